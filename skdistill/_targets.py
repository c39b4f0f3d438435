"""Target maths of distillation: pure numpy, no estimators.

``soften`` turns teacher logits into tempered probabilities, ``blend`` mixes them with
the one-hot labels, and :class:`SoftTargets` carries both to a student strategy.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import expit

__all__ = [
    "SoftTargets",
    "binary_logits",
    "blend",
    "log_clip",
    "one_hot",
    "softmax",
    "soften",
]

#: Probabilities are clipped to this floor before taking logs: random forests and
#: one-hot labels give exact zeros, whose log is -inf.
PROBA_FLOOR = 1e-9

#: Label index of an unlabeled row: it gets the teacher's soft targets alone.
UNLABELED = -1


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
    """Row-wise ``log(softmax(logits))``, exact for any scale."""
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


def soften(logits, temperature):
    """Tempered softmax ``softmax(logits / temperature)``."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


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


def output_scale(targets):
    """Factor ``s`` mapping logits at the targets' temperature back to ``T = 1``.

    A student fitted to the tempered blend ``q_T`` is used at ``T = 1`` through
    ``softmax(s * log q_hat)``. With ``alpha = 1`` the factor is exactly ``T``
    (Hinton et al.'s "use the student at T = 1": ``softmax(T * log q_T)`` is the
    teacher's own distribution); with ``alpha = 0`` the targets carry no
    temperature and ``s = 1``, so the hard-label student is unchanged. In between no
    single factor is exact, and ``s`` is the one that best maps the targets
    themselves to the same recipe at temperature 1 (``targets.proba_at_one``), by
    cross-entropy: what a student that fitted its targets perfectly would need. It
    depends on the teacher and the recipe only, not on the student.

    Parameters
    ----------
    targets : SoftTargets
        The targets a student was fitted on.

    Returns
    -------
    scale : float
        ``temperature`` when ``alpha == 1``; 1.0 when ``alpha == 0`` or
        ``temperature == 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.strategies import SoftTargets, output_scale
    >>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 3.0]])
    >>> def recipe(alpha):
    ...     return SoftTargets(logits, np.array([0, 2]), np.arange(3), 4.0, alpha)
    >>> output_scale(recipe(1.0)), output_scale(recipe(0.0))
    (4.0, 1.0)
    >>> 1.0 < output_scale(recipe(0.5)) < 4.0
    True
    """
    if targets.alpha == 0 or targets.temperature == 1:
        return 1.0
    if targets.alpha == 1:
        return float(targets.temperature)
    from scipy.optimize import minimize_scalar

    log_q = np.maximum(targets.log_proba, np.log(PROBA_FLOOR))
    target = targets.proba_at_one

    def cross_entropy(log_scale):
        return -np.sum(target * log_softmax(np.exp(log_scale) * log_q)) / len(target)

    bound = np.log(10 * max(targets.temperature, 1 / targets.temperature))
    result = minimize_scalar(cross_entropy, bounds=(-bound, bound), method="bounded")
    return float(np.exp(result.x))


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
    def log_proba(self):
        log_soft = log_softmax(np.asarray(self.teacher_logits) / self.temperature)
        return log_blend(log_soft, self.y_index, self.alpha)
