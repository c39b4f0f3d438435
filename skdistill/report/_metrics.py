"""Side-by-side numbers for a teacher and its students: quality, fidelity, size, speed."""

import pickle
import time

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, log_loss, roc_auc_score

__all__ = ["distillation_report", "fidelity_score", "format_markdown", "model_size"]


def fidelity_score(teacher_pred, student_pred):
    """Share of rows on which the student predicts the teacher's label.

    Parameters
    ----------
    teacher_pred : array-like of shape (n_samples,)
        The teacher's predicted labels.
    student_pred : array-like of shape (n_samples,)
        The student's predicted labels.

    Returns
    -------
    score : float
        Agreement in [0, 1]; higher is better.

    Examples
    --------
    >>> from skdistill.report import fidelity_score
    >>> fidelity_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    teacher_pred, student_pred = np.asarray(teacher_pred), np.asarray(student_pred)
    return float(np.mean(teacher_pred == student_pred))


def model_size(model):
    """Size in bytes of ``model`` pickled (the fitted student alone for a distiller).

    Parameters
    ----------
    model : object
        A fitted model. For a fitted ``DistilledClassifier``/``DistilledRegressor``
        the student is measured: it is what gets deployed.

    Returns
    -------
    size : int
        Number of bytes of ``pickle.dumps(model)``.
    """
    model = getattr(model, "student_", model)
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def _latency(model, X, repeats):
    """Median seconds of one single-row ``predict_proba`` (or ``predict``) call."""
    method = getattr(model, "predict_proba", None) or model.predict
    n_rows = min(repeats, X.shape[0])
    rows = [
        X.iloc[i : i + 1] if hasattr(X, "iloc") else X[i : i + 1] for i in range(n_rows)
    ]
    method(rows[0])  # warm-up
    times = []
    for row in rows:
        start = time.perf_counter()
        method(row)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def distillation_report(teacher, students, X, y, *, latency_repeats=200):
    """Compare a teacher and its students on the same held-out rows.

    Parameters
    ----------
    teacher : fitted classifier
        The reference model.
    students : dict of str to fitted classifier
        Named students (distilled or hard-label baselines).
    X : array-like of shape (n_samples, n_features)
        Held-out rows.
    y : array-like of shape (n_samples,)
        Their labels.
    latency_repeats : int, default=200
        Number of single-row calls timed (median reported), measured side by side.

    Returns
    -------
    rows : list of dict
        One dict per model (the teacher first) with ``model``, ``accuracy``,
        ``roc_auc`` (binary, or macro one-vs-rest), ``pr_auc`` (binary: average
        precision of the last class), ``log_loss``, ``fidelity`` (agreement with
        the teacher), ``size_bytes``, ``size_ratio`` (teacher / model) and
        ``speedup`` (teacher / model single-row latency). Size and latency are
        those of the deployed model: the fitted student of a distiller.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import distillation_report
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    >>> student = DistilledClassifier(teacher, random_state=0).fit(X, y)
    >>> rows = distillation_report(teacher, {"student": student}, X, y,
    ...                            latency_repeats=5)
    >>> [row["model"] for row in rows]
    ['teacher', 'student']
    >>> rows[1]["size_ratio"] > 10
    True
    """
    X = np.asarray(X) if not hasattr(X, "iloc") else X
    y = np.asarray(y)
    models = {"teacher": teacher, **students}
    teacher_pred = teacher.predict(X)
    teacher_size = model_size(teacher)
    teacher_latency = _latency(teacher, X, latency_repeats)
    rows = []
    for name, model in models.items():
        proba = model.predict_proba(X)
        classes = model.classes_
        pred = classes[np.argmax(proba, axis=1)]
        binary = len(classes) == 2
        if binary:
            roc = roc_auc_score(y == classes[1], proba[:, 1])
            pr = average_precision_score(y == classes[1], proba[:, 1])
        else:
            roc = roc_auc_score(y, proba, multi_class="ovr", labels=classes)
            pr = float("nan")
        size = model_size(model)
        deployed = getattr(model, "student_", model)
        latency = (
            teacher_latency if model is teacher else _latency(deployed, X, latency_repeats)
        )
        rows.append(
            {
                "model": name,
                "accuracy": accuracy_score(y, pred),
                "roc_auc": roc,
                "pr_auc": pr,
                "log_loss": log_loss(y, np.clip(proba, 1e-15, 1), labels=classes),
                "fidelity": fidelity_score(teacher_pred, pred),
                "size_bytes": size,
                "size_ratio": teacher_size / size,
                "speedup": teacher_latency / latency,
            }
        )
    return rows


_FORMATS = {
    "accuracy": "{:.4f}",
    "roc_auc": "{:.4f}",
    "pr_auc": "{:.4f}",
    "log_loss": "{:.4f}",
    "fidelity": "{:.4f}",
    "size_bytes": "{:,}",
    "size_ratio": "{:.1f}x",
    "speedup": "{:.1f}x",
}


def format_markdown(rows):
    """A Markdown table of :func:`distillation_report` rows.

    Parameters
    ----------
    rows : list of dict
        Output of :func:`distillation_report`.

    Returns
    -------
    table : str
        The table, one line per model.
    """
    columns = ["model", *[c for c in _FORMATS if c in rows[0]]]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        cells = [str(row["model"])]
        for column in columns[1:]:
            value = row[column]
            nan = isinstance(value, float) and np.isnan(value)
            cells.append("n/a" if nan else _FORMATS[column].format(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
