"""Target maths of distillation: pure numpy, no estimators.

``soften`` turns teacher logits into tempered probabilities, ``blend`` mixes them with
the one-hot labels, and :class:`SoftTargets` carries both to a student strategy.
"""

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import expit

__all__ = [
    "SoftTargets",
    "binary_logits",
    "blend",
    "fit_output_map",
    "log_clip",
    "one_hot",
    "smooth_log_proba",
    "softmax",
    "soften",
]

#: Probabilities are clipped to this floor before taking logs: random forests and
#: one-hot labels give exact zeros, whose log is -inf.
PROBA_FLOOR = 1e-9

#: Label index of an unlabeled row: it gets the teacher's soft targets alone.
UNLABELED = -1

#: The temperatures the distillers accept. Below 1 the targets sharpen towards the
#: teacher's hard labels (one-hot to machine precision below ~0.01, where the
#: T**2-scaled losses of the native and skorch strategies vanish and a tree's pure
#: leaves leave nothing to map back to temperature 1); above 100 they are uniform
#: for any margins a classifier gives.
MIN_TEMPERATURE, MAX_TEMPERATURE = 1.0, 100.0

#: Largest (and smallest, inverted) factor ``fit_output_map`` returns.
_MAX_OUTPUT_SCALE = 1e3


def softmax(logits):
    """Row-wise softmax, stable for any scale (the row max is subtracted first).

    Two classes take the logistic function of the difference (exact in both tails);
    more are reduced along contiguous class rows, several times faster than along
    the short second axis.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.shape[1] == 2:
        diff = z[:, 1] - z[:, 0]
        return np.column_stack([expit(-diff), expit(diff)])
    zt = np.array(z.T, order="C")
    zt -= zt.max(axis=0)
    np.exp(zt, out=zt)
    zt /= zt.sum(axis=0)
    return zt.T


def log_softmax(logits):
    """Row-wise ``log(softmax(logits))``, exact for any scale (``-inf`` entries too)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def binary_logits(margin):
    """Two centred logit columns ``[-m/2, m/2]`` from one binary margin (log-odds)."""
    margin = np.asarray(margin, dtype=np.float64).reshape(-1)
    return np.column_stack([-margin / 2, margin / 2])


def log_clip(proba, floor=PROBA_FLOOR):
    """``log(proba)`` with probabilities clipped to ``[floor, 1]`` first."""
    return np.log(np.clip(np.asarray(proba, dtype=np.float64), floor, 1.0))


def _tempered(logits, temperature):
    """``logits / temperature`` shifted so that each row's largest entry is 0.

    Shifting first keeps every entry finite or ``-inf`` for any temperature > 0
    (dividing first overflows to ``inf - inf = nan`` for tiny temperatures).
    """
    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore"):
        return (z - z.max(axis=1, keepdims=True)) / temperature


def soften(logits, temperature):
    """Tempered softmax ``softmax(logits / temperature)``, stable for any temperature."""
    return softmax(_tempered(logits, temperature))


def one_hot(y_index, n_classes):
    """One-hot matrix of integer labels; rows with ``y_index == -1`` are all zero."""
    y_index = np.asarray(y_index)
    out = np.zeros((y_index.shape[0], n_classes))
    labeled = y_index != UNLABELED
    out[np.flatnonzero(labeled), y_index[labeled]] = 1.0
    return out


def blend(soft, y_index, alpha):
    """Distillation targets ``alpha * soft + (1 - alpha) * one_hot(y)``.

    Unlabeled rows (``y_index == -1``) get the soft targets alone, whatever ``alpha``.
    Every row of the result is a probability distribution.
    """
    soft = np.asarray(soft, dtype=np.float64)
    hard = one_hot(y_index, soft.shape[1])
    q = alpha * soft + (1.0 - alpha) * hard
    unlabeled = np.asarray(y_index) == UNLABELED
    q[unlabeled] = soft[unlabeled]
    return q


def log_blend(log_soft, y_index, alpha):
    """``log(blend(exp(log_soft), y_index, alpha))`` without losing small probabilities.

    Computed in log space, so the teacher's far-apart margins survive (no clipping of
    ``soft`` to a floor). Only the exact zeros of ``alpha = 0`` are set to
    ``log(PROBA_FLOOR)``.
    """
    log_soft = np.asarray(log_soft, dtype=np.float64)
    y_index = np.asarray(y_index)
    with np.errstate(divide="ignore"):
        out = np.log(alpha) + log_soft
        labeled = np.flatnonzero(y_index != UNLABELED)
        label = y_index[labeled]
        out[labeled, label] = np.logaddexp(out[labeled, label], np.log1p(-alpha))
    unlabeled = y_index == UNLABELED
    out[unlabeled] = log_soft[unlabeled]
    out[np.isneginf(out)] = np.log(PROBA_FLOOR)
    return out


def smooth_log_proba(logits, smoothing):
    """``log((1 - smoothing) * softmax(logits) + smoothing / n_classes)``.

    Mixing a share of the uniform distribution into a student's probabilities
    bounds the cost of its confident mistakes (a pure tree leaf says 0 for the
    classes it has not seen) without changing the order of any column.
    """
    z = np.asarray(logits, dtype=np.float64)
    if smoothing == 0:
        return z
    n_classes = z.shape[1]
    return np.log((1.0 - smoothing) * softmax(z) + smoothing / n_classes)


def fit_output_map(logits, proba, sample_weight=None, *, smoothing=False):
    """The map ``softmax(scale * g + bias)`` that best gives temperature-1 targets.

    A student fitted on targets softened at temperature ``T`` outputs logits ``g``
    at that temperature. Hinton et al. use it at ``T = 1`` through
    ``softmax(T * g)``, which is exact only for a student that fits its targets
    perfectly: an imperfect student's errors, sharpened by ``T``, make it
    over-confident, and with ``0 < alpha < 1`` no single factor maps the blend
    ``alpha * softmax(z / T) + (1 - alpha) * onehot(y)`` to its counterpart at
    ``T = 1``. Here ``scale`` and one ``bias`` per class minimise the (weighted)
    cross-entropy between ``proba``, the targets at temperature 1, and
    ``softmax(scale * g + bias)``: vector scaling (Guo et al., 2017) fitted on the
    student's outputs (out of fold, see ``DistilledClassifier(calibration_cv=...)``).
    With ``smoothing=True`` (students that output probabilities, which can be 0),
    ``g`` is first :func:`smooth_log_proba` of the logits with a fitted share in
    [0, 0.5].

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
        The student's logits (or log-probabilities) at the temperature of its
        targets.
    proba : ndarray of shape (n_samples, n_classes)
        The targets at temperature 1 (rows are probability distributions).
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights.
    smoothing : bool, default=False
        Also fit the share of the uniform distribution mixed into the student's
        probabilities.

    Returns
    -------
    scale : float
        In ``[1e-3, 1e3]``.
    bias : ndarray of shape (n_classes,)
        Added to the scaled logits; ``bias[0] == 0``.
    smoothing : float
        The share of the uniform distribution, 0.0 unless ``smoothing=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.strategies import fit_output_map
    >>> from skdistill._targets import softmax
    >>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 3.0], [1.0, 1.0, 0.0]])
    >>> target = softmax(3.0 * logits + [0.0, 0.5, -1.0])
    >>> scale, bias, smoothing = fit_output_map(logits, target)
    >>> round(scale, 3), bias.round(3).tolist(), smoothing
    (3.0, [0.0, 0.5, -1.0], 0.0)
    """
    from scipy.optimize import minimize

    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    n_classes = z.shape[1]
    proba_z = softmax(z)
    target = np.asarray(proba, dtype=np.float64)
    weight = np.ones(len(z)) if sample_weight is None else np.asarray(sample_weight, float)
    weight = weight / weight.sum()
    bound = np.log(_MAX_OUTPUT_SCALE)

    def loss_and_grad(params):
        scale, eps = np.exp(params[0]), params[-1] if smoothing else 0.0
        bias = params[1:n_classes]
        if eps:
            mixed = (1.0 - eps) * proba_z + eps / n_classes
            g = np.log(mixed)
        else:
            g = z
        out = scale * g
        out[:, 1:] += bias
        log_p = log_softmax(out)
        loss = -np.sum(weight * (target * log_p).sum(axis=1))
        residual = weight[:, None] * (np.exp(log_p) - target)
        grad = np.empty_like(params)
        grad[0] = scale * np.sum(residual * g)
        grad[1:n_classes] = residual[:, 1:].sum(axis=0)
        if smoothing:
            d_g = (1.0 / n_classes - proba_z) / (
                mixed if eps else np.maximum(proba_z, PROBA_FLOOR)
            )
            grad[-1] = scale * np.sum(residual * d_g)
        return loss, grad

    start = np.zeros(n_classes + (1 if smoothing else 0))
    bounds = [(-bound, bound)] + [(None, None)] * (n_classes - 1)
    if smoothing:
        bounds.append((0.0, 0.5))
    result = minimize(
        loss_and_grad,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000},
    )
    bias = np.concatenate([[0.0], result.x[1:n_classes]])
    eps = float(result.x[-1]) if smoothing else 0.0
    return float(np.exp(result.x[0])), bias, eps


@dataclass(frozen=True, eq=False)
class SoftTargets:
    """What a student strategy is fitted on: teacher logits, labels and the recipe.

    Parameters
    ----------
    teacher_logits : ndarray of shape (n_samples, n_classes)
        The teacher's logits (margins, or clipped log-probabilities), columns in the
        order of ``classes``.
    y_index : ndarray of shape (n_samples,)
        Index of each row's label in ``classes``; ``-1`` marks an unlabeled row.
    classes : ndarray of shape (n_classes,)
        The class labels, in the teacher's order.
    temperature : float
        Temperature of the softmax applied to the teacher's logits.
    alpha : float
        Weight of the soft targets in the blend.
    teacher : estimator or None, default=None
        The fitted teacher the logits came from (None when they were given), for
        strategies that learn more than its logits (the layer hints and relations of
        :class:`~skdistill.strategies.SkorchStrategy`). Read, never modified.

    Attributes
    ----------
    soft : ndarray of shape (n_samples, n_classes)
        ``softmax(teacher_logits / temperature)``.
    proba : ndarray of shape (n_samples, n_classes)
        The blended targets ``q = alpha * soft + (1 - alpha) * one_hot(y)``.
    log_proba : ndarray of shape (n_samples, n_classes)
        ``log(q)`` computed in log space (exact for far-apart teacher margins).
    proba_at_one : ndarray of shape (n_samples, n_classes)
        The same blend at temperature 1, ``alpha * softmax(z) + (1 - alpha) *
        one_hot(y)``: what a student's probabilities should estimate at predict time.
    row_weight : ndarray of shape (n_samples,)
        Weight of each row in the distillation loss: 1 for a labeled row, ``alpha``
        for an unlabeled one (its only term is the teacher's, weighted ``alpha`` as
        on labeled rows), so that ``alpha = 0`` is the hard-label student.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.strategies import SoftTargets
    >>> t = SoftTargets(np.array([[2.0, 0.0]]), np.array([1]), np.array([0, 1]),
    ...                 temperature=1.0, alpha=0.5)
    >>> t.proba.round(3)
    array([[0.44, 0.56]])
    """

    teacher_logits: np.ndarray
    y_index: np.ndarray
    classes: np.ndarray
    temperature: float
    alpha: float
    teacher: object = field(default=None, repr=False)

    @property
    def n_classes(self):
        """Number of classes."""
        return len(self.classes)

    @cached_property
    def soft(self):
        return soften(self.teacher_logits, self.temperature)

    @cached_property
    def proba(self):
        return blend(self.soft, self.y_index, self.alpha)

    @cached_property
    def proba_at_one(self):
        if self.temperature == 1:
            return self.proba
        return blend(softmax(self.teacher_logits), self.y_index, self.alpha)

    @cached_property
    def row_weight(self):
        unlabeled = np.asarray(self.y_index) == UNLABELED
        return np.where(unlabeled, float(self.alpha), 1.0)

    def take(self, rows):
        """The targets of ``rows`` (indices or a boolean mask), same recipe."""
        return SoftTargets(
            np.asarray(self.teacher_logits)[rows],
            np.asarray(self.y_index)[rows],
            self.classes,
            self.temperature,
            self.alpha,
            self.teacher,
        )

    @cached_property
    def log_proba(self):
        log_soft = log_softmax(_tempered(self.teacher_logits, self.temperature))
        return log_blend(log_soft, self.y_index, self.alpha)
