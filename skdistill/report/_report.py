"""distillation_report: a teacher and its students side by side, with a verdict."""

import sys
from numbers import Integral

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)
from sklearn.preprocessing import label_binarize
from sklearn.utils import check_random_state, column_or_1d

from .._compat import optional_import
from ._cost import model_complexity, model_size, prediction_speed
from ._metrics import expected_calibration_error, fidelity_score, probability_fidelity
from ._metrics import recall_at_fpr as _recall_at_fpr
from ._models import (
    check_same_classes,
    model_outputs,
    named_models,
    positive_scores,
    teacher_first,
)
from ._render import format_markdown, report_dict, report_markdown, report_text
from ._render import markdown_html as _markdown_html
from ._serving import serving_speed
from ._verdict import is_verdict_candidate, summarize, verdicts_for

__all__ = ["DistillationReport", "distillation_report", "format_markdown"]


class DistillationReport(list):
    """The result of :func:`distillation_report`: one row (a dict) per model.

    A list of dicts, the teacher first, so that it needs nothing beyond the standard
    library: it prints, indexes and serialises to JSON as is. Columns are those
    listed in :func:`distillation_report`.

    Parameters
    ----------
    rows : list of dict
        One dict per model, each with a ``"model"`` name.
    verdicts : list of Verdict, default=()
        The verdicts of the distilled students.

    Attributes
    ----------
    verdicts : list of Verdict
        One per distilled student and metric; empty when the report was made
        without training data.
    table : pandas.DataFrame or list of dict
        The rows as a DataFrame indexed by model name when pandas is installed;
        otherwise the rows themselves.
    verdict_table : pandas.DataFrame or list of dict
        The verdicts, one row per student and metric (:meth:`Verdict.as_dict`).

    See Also
    --------
    distillation_report : Makes it.
    Verdict : One entry of ``verdicts``.

    Examples
    --------
    >>> from skdistill.report import DistillationReport
    >>> report = DistillationReport([{"model": "teacher", "accuracy": 0.9},
    ...                              {"model": "student", "accuracy": 0.88}])
    >>> report[1]["accuracy"]
    0.88
    >>> print(report.to_markdown())
    | model | accuracy |
    |---|---|
    | teacher | 0.9000 |
    | student | 0.8800 |
    >>> print(report.to_text())
    model    accuracy
    teacher     0.900
    student     0.880
    """

    def __init__(self, rows=(), verdicts=()):
        super().__init__(rows)
        self.verdicts = list(verdicts)

    @property
    def table(self):
        """The rows as a DataFrame indexed by model (the rows without pandas)."""
        return _frame(list(self), index="model")

    @property
    def verdict_table(self):
        """The verdicts, one row per student and metric (DataFrame, or list of dicts)."""
        return _frame([verdict.as_dict() for verdict in self.verdicts])

    def to_markdown(self):
        """The table, then the verdicts, as Markdown.

        Returns
        -------
        text : str
            A Markdown table of the models; when there are verdicts, a table of
            them (one line per student and metric) and one sentence per student.
        """
        return report_markdown(self)

    def to_text(self, columns=None, *, width=88):
        """The table as plain text, then one sentence per student's verdict.

        Parameters
        ----------
        columns : list of str, default=None
            The columns to show, after the model's name; None shows accuracy,
            ROC-AUC, log-loss, fidelity, size, size ratio, latency and speed-up
            through scikit-learn, fastest path and speed-up on the fastest paths
            (those the report has).
        width : int, default=88
            Width the verdict sentences are wrapped to.

        Returns
        -------
        text : str
            Numbers with 3 decimals, sizes in kB or MB, and the ratios to the
            teacher as ``12x`` or, below 1, ``4.9x LARGER`` (``SLOWER``).
        """
        return report_text(self, columns, width=width)

    def to_html(self, *, title="Distillation report"):
        """The Markdown of :meth:`to_markdown` as a self-contained HTML page.

        Parameters
        ----------
        title : str, default="Distillation report"
            The page's title, also its heading.

        Returns
        -------
        page : str
            An HTML document (tables and lists, no scripts and no external files).
        """
        return _markdown_html(f"# {title}\n\n{self.to_markdown()}", title=title)

    def to_dict(self):
        """The rows and the verdicts as plain Python values, ready for JSON.

        Returns
        -------
        data : dict
            ``{"rows": [...], "verdicts": [...]}``: the rows as they are and each
            verdict's :meth:`Verdict.as_dict`, with numpy values as Python ones and
            NaN as None, so that ``json.dumps(report.to_dict())`` writes valid
            JSON.
        """
        return report_dict(self)

    def __str__(self):
        return self.to_markdown()

    def __repr__(self):
        names = ", ".join(repr(row.get("model")) for row in self)
        return f"DistillationReport([{names}], {len(self.verdicts)} verdicts)"

    def _repr_html_(self):  # pragma: no cover - notebooks
        table = self.table
        return table.to_html() if hasattr(table, "to_html") else None


def _frame(records, index=None):
    """A pandas DataFrame of ``records`` if pandas is installed, else the records."""
    try:
        pd = optional_import("pandas", purpose="DistillationReport.table")
    except ImportError:
        return records
    frame = pd.DataFrame(records)
    return frame.set_index(index) if index is not None and len(frame) else frame


def distillation_report(
    teacher,
    students,
    X,
    y,
    *,
    X_train=None,
    y_train=None,
    n_seeds=3,
    verdict_metrics=None,
    early_stopping_rounds=20,
    n_bootstrap=100,
    fprs=(0.001, 0.01),
    n_bins=10,
    latency_calls=200,
    n_batches=3,
    serving_paths=("native", "onnx"),
    random_state=0,
    verbose=False,
):
    """Compare a teacher and its students on the same held-out rows.

    Every model is scored on ``X, y``; size and speed are those of the deployed
    model (the fitted student of a distiller), timed side by side in one run, both
    through the scikit-learn API and, like for like, each model on its own fastest
    serving path (see :func:`serving_speed`). Given
    the training rows, every distilled student also gets an honest verdict: it is
    refitted over ``n_seeds`` seeds beside the same student trained on hard labels
    (``alpha=0``; with early stopping where its strategy supports it), and the
    report says on which metrics distillation paid off, and by how much.

    Parameters
    ----------
    teacher : fitted classifier
        The reference model.
    students : dict of str to fitted classifier, or list of them, or one
        The students: fitted ``DistilledClassifier`` objects (also inside a
        ``Pipeline``, or a fitted search whose best estimator is one) or any
        fitted classifier with the teacher's classes. Unnamed ones are named
        after their class.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        Held-out rows, never seen in training.
    y : array-like of shape (n_samples,)
        Their labels.
    X_train : {array-like, sparse matrix, DataFrame}, default=None
        The distilled students' training rows. Given (with ``y_train``), each
        distilled student gets verdicts; None skips them (fast).
    y_train : array-like of shape (n_train_samples,), default=None
        Their labels.
    n_seeds : int, default=3
        Number of seeds each distilled student and its hard-label twin are refitted
        with (every ``random_state`` of the student set to the seed).
    verdict_metrics : list of str, default=None
        Columns the verdicts compare. None: ``["roc_auc", "pr_auc", "log_loss",
        "ece"]`` for binary problems, ``["accuracy", "log_loss", "ece"]`` otherwise:
        a student is not said to pay off without its calibration beside.
    early_stopping_rounds : int or None, default=20
        Early stopping of the hard-label twin of a LightGBM or XGBoost student (on
        a validation split of its training rows, see
        :class:`~skdistill.strategies.LightGBMStrategy`), unless its strategy sets
        its own. None trains the twin like the distilled student.
    n_bootstrap : int, default=100
        Bootstrap resamples of the held-out rows for the standard error of each
        gain; 0 uses the spread over seeds alone.
    fprs : tuple of float, default=(0.001, 0.01)
        False-positive-rate budgets of the ``recall_at_<fpr>%_fpr`` columns
        (binary problems).
    n_bins : int, default=10
        Bins of the expected calibration error.
    latency_calls : int, default=200
        Timed single-row calls per model (the median is reported).
    n_batches : int, default=3
        Timed calls on all of ``X`` per model, for the throughput.
    serving_paths : tuple of str or None, default=("native", "onnx")
        Serving paths tried besides the scikit-learn API (always timed), for the
        like-for-like speed-up: any of ``"native"`` (LightGBM and XGBoost
        boosters), ``"onnx"`` (ONNX Runtime) and ``"compiled"`` (treelite and
        tl2cgen; off by default as the C compiler takes about a second per 1,000
        tree nodes, and models above 20,000 nodes are not compiled), see
        :func:`serving_speed`. A path a model cannot take is listed with the
        reason. None or ``()`` times the scikit-learn API alone (fastest, no
        conversions), so the like-for-like columns repeat its figures.
    random_state : int, RandomState instance or None, default=0
        Draws the seeds of the refits and the bootstrap resamples.
    verbose : bool, default=False
        Print progress to standard error.

    Returns
    -------
    report : DistillationReport
        A list with one dict per model (the teacher first) and these keys:

        - ``model``: the name (``"teacher"`` for the teacher);
        - ``accuracy``; ``roc_auc`` (binary, or macro one-vs-rest); ``pr_auc``
          (average precision of the positive class, or its macro average over
          classes); ``recall_at_0.1%_fpr``, ``recall_at_1%_fpr`` (binary only, see
          :func:`recall_at_fpr`);
        - ``log_loss``, ``brier`` (Brier score), ``ece`` (see
          :func:`expected_calibration_error`); NaN for a model without
          ``predict_proba``, like ``prob_mad`` and ``kl_to_teacher``;
        - ``fidelity`` (agreement of the labels with the teacher's),
          ``prob_mad`` and ``kl_to_teacher`` (see :func:`probability_fidelity`);
        - ``size_bytes`` (:func:`model_size`), ``complexity`` and
          ``complexity_unit`` (:func:`model_complexity`, None if unknown);
        - ``latency_ms``: median single-row call through the scikit-learn API
          (``predict_proba``, one thread), and ``rows_per_s``: batch
          throughput, see :func:`prediction_speed`;
        - ``fastest_path``, ``fastest_latency_ms``: the model's fastest serving
          path among ``"sklearn"`` and ``serving_paths``, and its median
          single-row call; ``serving``: each path tried, with its latency in
          milliseconds or, as a string, why the model could not take it;
        - ``size_ratio``, ``speedup_sklearn`` and ``speedup_fastest``: the
          teacher's size, its latency through scikit-learn and its latency on
          its own fastest path, divided by the model's size, its latency
          through scikit-learn and its latency on its own fastest path
          (``10`` means ten times smaller, or faster). ``speedup_sklearn`` is
          mostly scikit-learn's per-call overhead; ``speedup_fastest`` is the
          like-for-like figure a serving team gets;
        - ``verdict`` (when trained with ``X_train``): one sentence for each
          distilled student, None for the other models.

        Its ``table`` is a DataFrame when pandas is installed, its ``verdicts``
        the :class:`Verdict` objects, ``to_markdown()`` the text.

    See Also
    --------
    format_markdown : The rows as a Markdown table.
    TeacherStudentCurveDisplay : ROC and precision-recall curves of the same models.

    Notes
    -----
    A verdict is per metric: ``gain = distilled - hard labels`` for each seed, its
    mean and standard deviation over seeds, and ``"better"`` or ``"worse"`` when
    the mean gain exceeds twice its standard error (the spread over seeds
    combined with a paired, stratified bootstrap of the held-out rows), else
    ``"no clear difference"``. Distillation helps weak students and scarce labels
    most; a strong, early-stopped hard-label model often matches a distilled one,
    and the verdict says so.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import distillation_report
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> teacher = RandomForestClassifier(n_estimators=50, random_state=0)
    >>> teacher = teacher.fit(X_train, y_train)
    >>> student = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=2),
    ...                               temperature=2.0, random_state=0)
    >>> student = student.fit(X_train, y_train)
    >>> report = distillation_report(teacher, {"tree": student}, X_test, y_test,
    ...                              X_train=X_train, y_train=y_train,
    ...                              n_seeds=2, n_bootstrap=10, latency_calls=5)
    >>> [row["model"] for row in report]
    ['teacher', 'tree']
    >>> report[1]["size_ratio"] > 10
    True
    >>> [v.metric for v in report.verdicts]
    ['roc_auc', 'pr_auc', 'log_loss', 'ece']
    """
    log = _logger(verbose)
    students = named_models(students)
    models = teacher_first(teacher, students)
    y = column_or_1d(y)
    log("Scoring the teacher and its students on the held-out rows ...")
    outputs = {name: model_outputs(model, X) for name, model in models.items()}
    classes = outputs["teacher"].classes
    check_same_classes(classes, students)
    metrics = _quality_metrics(classes, fprs=fprs, n_bins=n_bins)
    rows = [
        {
            "model": name,
            **{metric: function(y, out) for metric, (function, _) in metrics.items()},
            **_fidelity(outputs["teacher"], out),
        }
        for name, out in outputs.items()
    ]
    log("Measuring size and single-row latency, side by side ...")
    _add_costs(
        rows,
        models,
        X,
        latency_calls=latency_calls,
        n_batches=n_batches,
        serving_paths=serving_paths,
    )
    verdicts = []
    if X_train is not None or y_train is not None:
        verdicts = _verdicts(
            students,
            X,
            y,
            X_train,
            y_train,
            _pick(metrics, verdict_metrics, binary=len(classes) == 2),
            n_seeds=n_seeds,
            early_stopping_rounds=early_stopping_rounds,
            n_bootstrap=n_bootstrap,
            random_state=random_state,
            log=log,
        )
        for row in rows:
            mine = [v for v in verdicts if v.student == row["model"]]
            row["verdict"] = summarize(mine) if mine else None
    return DistillationReport(rows, verdicts)


def _logger(verbose):
    def log(message):
        if verbose:
            print(message, file=sys.stderr, flush=True)

    return log


# -- quality and fidelity -----------------------------------------------------------


def _recall_column(fpr):
    return f"recall_at_{fpr * 100:g}%_fpr"


def _quality_metrics(classes, *, fprs, n_bins):
    """``{column: (function(y, outputs), greater_is_better)}`` for these classes."""
    metrics = {"accuracy": (lambda y, o: accuracy_score(y, o.pred), True)}
    if len(classes) == 2:
        metrics["roc_auc"] = (
            lambda y, o: roc_auc_score(y == classes[1], positive_scores(o)),
            True,
        )
        metrics["pr_auc"] = (
            lambda y, o: average_precision_score(y == classes[1], positive_scores(o)),
            True,
        )
        for fpr in fprs:
            metrics[_recall_column(fpr)] = (_recall_metric(classes[1], fpr), True)
    else:
        metrics["roc_auc"] = (
            _with_proba(
                lambda y, p: roc_auc_score(y, p, multi_class="ovr", labels=classes)
            ),
            True,
        )
        metrics["pr_auc"] = (
            _with_proba(
                lambda y, p: average_precision_score(
                    label_binarize(y, classes=classes), p, average="macro"
                )
            ),
            True,
        )
    metrics["log_loss"] = (_with_proba(lambda y, p: log_loss(y, p, labels=classes)), False)
    metrics["brier"] = (
        _with_proba(lambda y, p: brier_score_loss(y, p, labels=classes)),
        False,
    )
    metrics["ece"] = (
        _with_proba(
            lambda y, p: expected_calibration_error(y, p, n_bins=n_bins, labels=classes)
        ),
        False,
    )
    return metrics


def _recall_metric(positive, fpr):
    def recall(y, outputs):
        return _recall_at_fpr(y == positive, positive_scores(outputs), fpr=fpr)

    return recall


def _with_proba(function):
    """A metric of probabilities as a metric of outputs: NaN without probabilities."""

    def metric(y, outputs):
        return float("nan") if outputs.proba is None else float(function(y, outputs.proba))

    return metric


def _fidelity(teacher, student):
    """Agreement of labels and probabilities with the teacher's outputs."""
    agreement = fidelity_score(teacher.pred, student.pred)
    if teacher.proba is None or student.proba is None:
        return {
            "fidelity": agreement,
            "prob_mad": float("nan"),
            "kl_to_teacher": float("nan"),
        }
    mad, kl = probability_fidelity(teacher.proba, student.proba)
    return {"fidelity": agreement, "prob_mad": mad, "kl_to_teacher": kl}


# -- cost ---------------------------------------------------------------------------


def _add_costs(rows, models, X, *, latency_calls, n_batches, serving_paths):
    paths = ("sklearn", *(serving_paths or ()))
    speeds = serving_speed(models, X, paths=paths, n_calls=latency_calls)
    # latencies come from serving_speed; prediction_speed adds the batch throughput
    batch = prediction_speed(models, X, n_calls=1, n_batches=n_batches)
    for row, model in zip(rows, models.values(), strict=True):
        try:
            complexity = model_complexity(model)
        except TypeError:
            complexity = (None, None)
        speed = speeds[row["model"]]
        row.update(
            size_bytes=model_size(model),
            complexity=complexity[0],
            complexity_unit=complexity[1],
            latency_ms=1000.0 * speed.latency.get("sklearn", float("nan")),
            rows_per_s=batch[row["model"]].throughput,
            fastest_path=speed.fastest,
            fastest_latency_ms=1000.0 * speed.fastest_latency,
            serving={
                **{path: 1000.0 * seconds for path, seconds in speed.latency.items()},
                **{path: f"unavailable: {why}" for path, why in speed.unavailable.items()},
            },
        )
    teacher = rows[0]
    for row in rows:
        row["size_ratio"] = teacher["size_bytes"] / row["size_bytes"]
        row["speedup_sklearn"] = teacher["latency_ms"] / row["latency_ms"]
        row["speedup_fastest"] = teacher["fastest_latency_ms"] / row["fastest_latency_ms"]


# -- verdicts -----------------------------------------------------------------------


def _pick(metrics, names, *, binary):
    if names is None:
        names = ["roc_auc", "pr_auc"] if binary else ["accuracy"]
        names += ["log_loss", "ece"]
    unknown = [name for name in names if name not in metrics]
    if unknown:
        raise ValueError(f"Unknown verdict_metrics {unknown}; choose from {list(metrics)}.")
    return {name: metrics[name] for name in names}


def _verdicts(students, X, y, X_train, y_train, metrics, *, n_seeds, log, **options):
    if X_train is None or y_train is None:
        raise ValueError("Pass both X_train and y_train for the verdicts, or neither.")
    if not isinstance(n_seeds, Integral) or n_seeds < 1:
        raise ValueError(f"n_seeds must be a positive integer, got {n_seeds!r}.")
    rng = check_random_state(options.pop("random_state"))
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_seeds)
    y_train = column_or_1d(y_train)
    verdicts = []
    for name, model in students.items():
        if not is_verdict_candidate(model):
            continue
        log(f"Verdict for {name!r}: refitting it and its hard-label twin, {n_seeds} seeds")
        verdicts += verdicts_for(
            name,
            model,
            X,
            y,
            X_train,
            y_train,
            metrics,
            seeds=seeds,
            random_state=rng,
            **options,
        )
    return verdicts
