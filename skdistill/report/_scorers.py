"""Scorers for model selection: fidelity to the teacher and the fraud-desk recall.

Scorers follow scikit-learn's protocol, ``scorer(estimator, X, y)`` returning a
number where greater is better, so ``GridSearchCV(scoring=...)`` can select on them.
"""

import numpy as np
from sklearn.metrics import check_scoring, make_scorer

from .._compat import safe_indexing
from .._rows import labeled_mask
from .._targets import UNLABELED
from ._metrics import check_fpr, fidelity_score, probability_fidelity, recall_at_fpr
from ._models import distiller_and_input

__all__ = [
    "fidelity_scorer",
    "make_fidelity_scorer",
    "make_labeled_scorer",
    "make_recall_at_fpr_scorer",
]

#: What each fidelity scorer measures, and its sign (scorers maximise).
_FIDELITY = {
    "agreement": "share of rows where the student predicts the teacher's label",
    "mad": "minus the mean absolute difference of the probabilities",
    "kl": "minus the mean KL(teacher || student)",
}


class _FidelityScorer:
    """Scores a fitted distiller by its fidelity to its own ``teacher_``."""

    def __init__(self, metric):
        self.metric = metric

    def __call__(self, estimator, X, y_true=None, sample_weight=None):
        distiller, X_distiller = distiller_and_input(estimator, X)
        teacher = distiller.teacher_
        if self.metric == "agreement":
            return fidelity_score(
                teacher.predict(X_distiller),
                distiller.predict(X_distiller),
                sample_weight=sample_weight,
            )
        fidelity = probability_fidelity(
            teacher.predict_proba(X_distiller),
            distiller.predict_proba(X_distiller),
            sample_weight=sample_weight,
        )
        return -getattr(fidelity, self.metric)

    def __repr__(self):
        return f"make_fidelity_scorer(metric={self.metric!r})"


def make_fidelity_scorer(metric="agreement"):
    """A scorer that rates a fitted distiller by its fidelity to its own teacher.

    The scorer compares, on the scoring rows, the predictions of a fitted
    ``DistilledClassifier`` (or a ``Pipeline`` ending with one, whose teacher then
    sees the transformed rows) with those of its ``teacher_``. It ignores ``y``:
    fidelity needs no labels, so it also selects students for unlabeled traffic.

    Parameters
    ----------
    metric : {"agreement", "mad", "kl"}, default="agreement"
        ``"agreement"``: :func:`fidelity_score` of the predicted labels.
        ``"mad"`` and ``"kl"``: minus the mean absolute difference of the
        probabilities and minus ``KL(teacher || student)`` (see
        :func:`probability_fidelity`), negated so that greater is better, like
        ``"neg_log_loss"``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None, sample_weight=None) -> float``, for
        ``scoring=`` of ``GridSearchCV``, ``cross_validate`` and the like (alone
        or in a dict of scorers).

    See Also
    --------
    fidelity_scorer : The agreement scorer, ready made.
    make_recall_at_fpr_scorer : Recall at a false-positive-rate budget.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import make_fidelity_scorer
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    >>> search = GridSearchCV(DistilledClassifier(teacher, random_state=0),
    ...                       {"temperature": [1.0, 4.0]}, cv=3,
    ...                       scoring=make_fidelity_scorer("kl")).fit(X, y)
    >>> bool(search.best_score_ <= 0)
    True
    """
    if metric not in _FIDELITY:
        raise ValueError(f"metric must be one of {sorted(_FIDELITY)}, got {metric!r}.")
    return _FidelityScorer(metric)


#: Scorer: share of the scoring rows where a fitted distiller predicts its teacher's
#: label (``make_fidelity_scorer("agreement")``; ignores ``y``).
fidelity_scorer = make_fidelity_scorer()


def make_recall_at_fpr_scorer(fpr=0.01, *, pos_label=None):
    """A scorer of the recall at a false-positive-rate budget (see :func:`recall_at_fpr`).

    Parameters
    ----------
    fpr : float, default=0.01
        The false-positive-rate budget, in [0, 1].
    pos_label : int, float, bool or str, default=None
        The positive class; None means the second of the estimator's
        ``classes_`` (``1`` for 0/1 labels).

    Returns
    -------
    scorer : callable
        Made by :func:`sklearn.metrics.make_scorer` on the estimator's
        ``decision_function`` (or ``predict_proba``), binary problems only.

    See Also
    --------
    recall_at_fpr : The metric.
    make_fidelity_scorer : Fidelity to the teacher.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skdistill.report import make_recall_at_fpr_scorer
    >>> X, y = make_classification(n_samples=400, weights=[0.9], random_state=0)
    >>> scores = cross_val_score(LogisticRegression(), X, y, cv=3,
    ...                          scoring=make_recall_at_fpr_scorer(fpr=0.05))
    >>> bool(((0 <= scores) & (scores <= 1)).all())
    True
    """
    check_fpr(fpr)
    kwargs = {"fpr": fpr} if pos_label is None else {"fpr": fpr, "pos_label": pos_label}
    return make_scorer(
        recall_at_fpr, response_method=("decision_function", "predict_proba"), **kwargs
    )


class _LabeledScorer:
    """A scorer applied to the rows of ``y`` that carry a label."""

    def __init__(self, scorer, unlabeled_label):
        self.scorer = scorer
        self.unlabeled_label = unlabeled_label

    def __call__(self, estimator, X, y_true, sample_weight=None):
        y_true = np.asarray(y_true)
        rows = np.flatnonzero(labeled_mask(y_true, self.unlabeled_label))
        if len(rows) == 0:
            raise ValueError(
                "This scoring fold holds no labeled rows (every y is "
                f"{self.unlabeled_label!r}). Use folds stratified on y, or fewer folds."
            )
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight[rows]}
        return self.scorer(estimator, safe_indexing(X, rows), y_true[rows], **kwargs)

    def __repr__(self):
        return f"make_labeled_scorer({self.scorer!r})"


def make_labeled_scorer(scoring=None, *, unlabeled_label=UNLABELED):
    """A scorer that leaves out the unlabeled rows of ``y`` before scoring.

    With unlabeled rows in ``y`` (``y == UNLABELED``), ``GridSearchCV``'s scoring
    folds hold them too: accuracy would count them as errors and ROC-AUC would see a
    third class. This wrapper scores the labeled rows only.

    Parameters
    ----------
    scoring : str, callable or None, default=None
        Any scikit-learn scoring (``"roc_auc"``, ``"average_precision"``, a
        scorer...); None means the estimator's ``score`` (accuracy).
    unlabeled_label : int or str, default=-1
        The marker of unlabeled rows, as ``DistilledClassifier(unlabeled_label=...)``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdistill import UNLABELED, DistilledClassifier
    >>> from skdistill.report import make_labeled_scorer
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> y_semi = np.where(np.arange(len(y)) % 4 == 0, y, UNLABELED)
    >>> search = GridSearchCV(
    ...     DistilledClassifier(RandomForestClassifier(50, random_state=0),
    ...                         unlabeled_label=UNLABELED, random_state=0),
    ...     {"alpha": [0.0, 1.0]}, scoring=make_labeled_scorer("roc_auc"), cv=3,
    ... ).fit(X, y_semi)
    >>> bool(search.best_score_ > 0.8)
    True
    """
    return _LabeledScorer(
        check_scoring(None, scoring=scoring, allow_none=False)
        if scoring is not None
        else _score_method,
        unlabeled_label,
    )


def _score_method(estimator, X, y_true, sample_weight=None):
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    return estimator.score(X, y_true, **kwargs)
