"""Metrics on predictions: the fraud-desk view, calibration and fidelity to a teacher.

Pure functions of arrays (labels, scores, probabilities), in the style of
``sklearn.metrics``; the report, the scorers and the displays build on them.
"""

from collections import namedtuple
from numbers import Integral, Real

import numpy as np
from sklearn.metrics import roc_curve
from sklearn.utils import column_or_1d

__all__ = [
    "expected_calibration_error",
    "fidelity_score",
    "probability_fidelity",
    "recall_at_fpr",
]

#: Student probabilities are clipped to this floor inside the log of the KL divergence.
_PROBA_EPS = 1e-15


def recall_at_fpr(y_true, y_score, *, fpr=0.01, pos_label=None, sample_weight=None):
    """Recall (true-positive rate) at a maximum false-positive rate: the fraud-desk view.

    A fraud team can review a fixed share of the legitimate traffic. This is the
    share of positives caught by the best threshold whose false-positive rate stays
    within that budget: the highest true-positive rate among the points of the ROC
    curve (every distinct score as a threshold; tied scores are never split) with
    false-positive rate ``<= fpr``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_score : array-like of shape (n_samples,)
        Scores of the positive class: probabilities or decision values.
    fpr : float, default=0.01
        The false-positive-rate budget, in [0, 1] (``0.01``: 1% of the negatives).
    pos_label : int, float, bool or str, default=None
        The positive class. None means 1 when ``y_true`` is in {0, 1} or {-1, 1};
        other labels need it.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    recall : float
        Recall in [0, 1]; 0 if no threshold keeps the false-positive rate within
        ``fpr`` while flagging any positive.

    See Also
    --------
    make_recall_at_fpr_scorer : The same as a scorer, for ``GridSearchCV``.
    sklearn.metrics.roc_curve : The curve this reads a point from.

    Examples
    --------
    >>> from skdistill.report import recall_at_fpr
    >>> y_true = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> y_score = [0.1, 0.2, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95]
    >>> recall_at_fpr(y_true, y_score, fpr=0.0)
    0.5
    >>> recall_at_fpr(y_true, y_score, fpr=0.25)
    1.0
    """
    check_fpr(fpr)
    fprs, tprs, _ = roc_curve(
        y_true,
        y_score,
        pos_label=pos_label,
        sample_weight=sample_weight,
        drop_intermediate=False,
    )
    return float(tprs[fprs <= fpr].max())


def check_fpr(fpr):
    """Raise unless ``fpr`` is a rate in [0, 1]."""
    if not isinstance(fpr, Real) or not 0 <= fpr <= 1:
        raise ValueError(f"fpr must be a rate in [0, 1], got {fpr!r}.")


def expected_calibration_error(
    y_true, y_prob, *, n_bins=10, strategy="uniform", pos_label=None, labels=None
):
    """Expected calibration error (ECE): how far probabilities are from frequencies.

    Predictions are grouped into bins of predicted probability; the ECE is the
    average, weighted by the share of rows in each bin, of the gap between the
    observed frequency and the mean predicted probability in the bin::

        ECE = sum_b (n_b / n) * |frequency_b - mean_probability_b|

    Which event is measured depends on the problem:

    - binary (``y_prob`` of shape (n_samples,), or (n_samples, 2)): the
      probability of the positive class against the outcome "is positive";
    - multiclass (``y_prob`` of shape (n_samples, n_classes)): top-label ECE, the
      probability of the predicted (most probable) class, or confidence, against
      the outcome "the prediction is right" (Guo et al., 2017). Pass ``pos_label``
      for the one-vs-rest ECE of one class instead.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples,) or (n_samples, n_classes)
        Probabilities of the positive class, or of every class (columns in the
        order of ``labels``).
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on [0, 1]; ``"quantile"``: bins with the
        same number of rows.
    pos_label : int, float, bool or str, default=None
        The positive class. None: 1 for 1-d ``y_prob`` with labels in {0, 1} or
        {-1, 1}, the second column's class for two columns, and top-label ECE for
        more.
    labels : array-like of shape (n_classes,), default=None
        The classes of the columns of a 2-d ``y_prob``; None means the sorted
        unique values of ``y_true``.

    Returns
    -------
    ece : float
        In [0, 1]; lower is better, 0 for perfectly calibrated probabilities.

    See Also
    --------
    ReliabilityDisplay : The reliability diagram of the same bins.
    sklearn.calibration.calibration_curve : Frequencies and probabilities per bin.

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of
       Modern Neural Networks", ICML 2017.

    Examples
    --------
    >>> from skdistill.report import expected_calibration_error
    >>> y_true = [0, 0, 1, 1]
    >>> print(f"{expected_calibration_error(y_true, [0.2, 0.2, 0.8, 0.8]):.2f}")
    0.20
    >>> proba = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.6, 0.2, 0.2]]
    >>> print(f"{expected_calibration_error([0, 1, 2, 1], proba, n_bins=5):.2f}")
    0.15
    """
    outcome, probability = calibration_target(
        y_true, y_prob, pos_label=pos_label, labels=labels
    )
    frequency, mean_probability, weight = calibration_bins(
        outcome, probability, n_bins=n_bins, strategy=strategy
    )
    return float(np.sum(weight * np.abs(frequency - mean_probability)))


def calibration_target(y_true, y_prob, *, pos_label=None, labels=None):
    """The event whose calibration is measured: ``(outcome, probability)`` per row.

    See :func:`expected_calibration_error` for which event, by problem.
    """
    y_true = column_or_1d(y_true)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_prob.ndim == 1:
        return (y_true == _binary_pos_label(y_true, pos_label)).astype(float), y_prob
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    if y_prob.ndim != 2 or y_prob.shape[1] != len(labels):
        raise ValueError(
            f"y_prob has shape {y_prob.shape} but there are {len(labels)} labels "
            f"{labels.tolist()}; pass labels=... naming the class of each column."
        )
    if len(labels) == 2 or pos_label is not None:
        positive = labels[-1] if pos_label is None else pos_label
        return (y_true == positive).astype(float), y_prob[:, _label_index(labels, positive)]
    top = np.argmax(y_prob, axis=1)
    return (labels[top] == y_true).astype(float), y_prob[np.arange(len(top)), top]


def calibration_bins(outcome, probability, *, n_bins=10, strategy="uniform"):
    """Observed frequency, mean probability and share of rows of each non-empty bin.

    Bins are those of :func:`sklearn.calibration.calibration_curve` (a probability
    on an inner edge falls in the lower bin).
    """
    if not isinstance(n_bins, Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    probability = np.asarray(probability, dtype=np.float64)
    if probability.size and (probability.min() < 0 or probability.max() > 1):
        raise ValueError("Probabilities must lie in [0, 1].")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.quantile(probability, np.linspace(0.0, 1.0, n_bins + 1))
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}.")
    bins = np.searchsorted(edges[1:-1], probability)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    hits = np.bincount(bins, weights=outcome, minlength=n_bins)
    sums = np.bincount(bins, weights=probability, minlength=n_bins)
    full = counts > 0
    return hits[full] / counts[full], sums[full] / counts[full], counts[full] / counts.sum()


def _binary_pos_label(y_true, pos_label):
    if pos_label is not None:
        return pos_label
    values = set(np.unique(y_true).tolist())
    if values <= {0, 1} or values <= {-1, 1}:
        return 1
    raise ValueError(
        f"y_true takes the values {sorted(values, key=str)}; pass pos_label=... to "
        "say which class y_prob is the probability of."
    )


def _label_index(labels, label):
    matches = np.flatnonzero(labels == label)
    if len(matches) == 0:
        raise ValueError(f"pos_label={label!r} is not one of {labels.tolist()}.")
    return int(matches[0])


def fidelity_score(teacher_pred, student_pred, *, sample_weight=None):
    """Share of rows on which the student predicts the teacher's label.

    Parameters
    ----------
    teacher_pred : array-like of shape (n_samples,)
        The teacher's predicted labels.
    student_pred : array-like of shape (n_samples,)
        The student's predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        Agreement in [0, 1]; higher is better.

    See Also
    --------
    probability_fidelity : Agreement of the probabilities.
    fidelity_scorer : The same for a fitted distiller, as a scorer.

    Examples
    --------
    >>> from skdistill.report import fidelity_score
    >>> fidelity_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    teacher_pred, student_pred = column_or_1d(teacher_pred), column_or_1d(student_pred)
    return float(np.average(teacher_pred == student_pred, weights=sample_weight))


#: Result of :func:`probability_fidelity`.
ProbabilityFidelity = namedtuple("ProbabilityFidelity", ["mad", "kl"])


def probability_fidelity(teacher_proba, student_proba, *, sample_weight=None):
    """How close the student's probabilities are to the teacher's.

    Parameters
    ----------
    teacher_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        The teacher's probabilities: of the positive class, or of every class.
    student_proba : array-like of the same shape
        The student's, columns in the same class order.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the row averages.

    Returns
    -------
    fidelity : ProbabilityFidelity
        A named tuple ``(mad, kl)``, both 0 for a perfect copy and lower is
        better. ``mad``: mean absolute difference of the probabilities, averaged
        over rows and classes (for two classes, the mean absolute difference of the
        positive-class probability). ``kl``: mean over rows of the Kullback-Leibler
        divergence ``KL(teacher || student) = sum_k p_k log(p_k / q_k)`` in nats,
        the student's probabilities clipped at 1e-15.

    See Also
    --------
    fidelity_score : Agreement of the labels.

    Examples
    --------
    >>> from skdistill.report import probability_fidelity
    >>> mad, kl = probability_fidelity([0.9, 0.2], [0.8, 0.2])
    >>> print(f"{mad:.3f} {kl:.3f}")
    0.050 0.018
    """
    teacher_proba = as_proba_matrix(teacher_proba)
    student_proba = as_proba_matrix(student_proba)
    if teacher_proba.shape != student_proba.shape:
        raise ValueError(
            f"teacher_proba has shape {teacher_proba.shape} but student_proba has "
            f"{student_proba.shape}; they must match."
        )
    gap = np.abs(teacher_proba - student_proba).mean(axis=1)
    log_ratio = np.log(np.where(teacher_proba > 0, teacher_proba, 1.0)) - np.log(
        np.clip(student_proba, _PROBA_EPS, None)
    )
    kl = np.sum(np.where(teacher_proba > 0, teacher_proba * log_ratio, 0.0), axis=1)
    return ProbabilityFidelity(
        float(np.average(gap, weights=sample_weight)),
        float(np.average(kl, weights=sample_weight)),
    )


def as_proba_matrix(proba):
    """Probabilities as (n_samples, n_classes); a 1-d array is the positive class."""
    proba = np.asarray(proba, dtype=np.float64)
    return np.column_stack([1.0 - proba, proba]) if proba.ndim == 1 else proba
