"""Mixup: convex combinations of random pairs of rows."""

from numbers import Real

import numpy as np

from .._compat import Interval
from ._base import TransferSampler, with_size_and_weight_doc

__all__ = ["Mixup", "mix"]


def mix(table, first, second, weight):
    """Rows ``weight * first + (1 - weight) * second`` on the continuous columns.

    Categorical cells, and continuous cells where either value is NaN or infinite,
    come from the row with the larger weight (``first`` on ties).
    """
    w = weight[:, None]
    a, b = table.cont[first], table.cont[second]
    nearer_first = w >= 0.5
    finite = np.isfinite(a) & np.isfinite(b)
    with np.errstate(invalid="ignore"):
        # Exact at the ends and for equal values (constant columns stay constant).
        mixed = np.clip(w * a + (1.0 - w) * b, np.fmin(a, b), np.fmax(a, b))
        mixed = np.where(a == b, a, mixed)
    cont = np.where(finite, mixed, np.where(nearer_first, a, b))
    source = np.where(weight >= 0.5, first, second)
    return cont, np.repeat(source[:, None], len(table.cat_idx), axis=1)


@with_size_and_weight_doc
class Mixup(TransferSampler):
    """New rows: convex combinations of random pairs of rows (mixup).

    Each new row mixes two rows ``i`` and ``j`` of ``X`` drawn uniformly with
    replacement: ``lam * x_i + (1 - lam) * x_j`` on the continuous columns with
    ``lam ~ Beta(alpha, alpha)``, as in Zhang et al. [1]_ (there the labels are
    mixed too; here the teacher labels the new row). Categorical columns are taken
    from the row with the larger weight.

    The pairs are not neighbours: mixed rows can fall between clusters, where the
    teacher's outputs are least constrained by data. Small ``alpha`` (the default
    0.2) puts most of ``lam``'s mass near 0 and 1, so most rows stay close to a real
    one. Not yet benchmarked for distillation in this library: search
    ``transfer_set__size`` with 0 included.

    Parameters
    ----------
    alpha : float, default=0.2
        Both parameters of the Beta distribution of ``lam``: small values keep new
        rows near real ones, ``alpha=1`` mixes uniformly.
    categorical_features : "auto", None, array-like of int, str or bool, default="auto"
        Columns taken from the row with the larger weight, never interpolated: see
        :class:`TransferSampler`.
    {size_and_weight}

    See Also
    --------
    MUNGE : Swaps with the nearest neighbour, noise proportional to local distances.
    GaussianJitter : Independent noise around resampled rows.
    MinorityOversampler : SMOTE-like interpolation between neighbours.

    Notes
    -----
    A NaN or infinite value is never mixed: the cell takes the value of the row with
    the larger weight. Integer columns are rounded back to integers.

    References
    ----------
    .. [1] H. Zhang, M. Cisse, Y. N. Dauphin and D. Lopez-Paz, "mixup: Beyond
       Empirical Risk Minimization", ICLR 2018. arXiv:1710.09412.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import Mixup
    >>> X = np.array([[0.0, 0.0], [1.0, 10.0]])
    >>> X_new = Mixup(alpha=1.0).sample(X, 3, random_state=0)
    >>> bool(np.allclose(X_new[:, 1], 10 * X_new[:, 0]))  # on the segment
    True
    """

    _parameter_constraints = {
        **TransferSampler._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, alpha=0.2, categorical_features="auto", *, size=1.0, weight=1.0):
        self.alpha = alpha
        self.categorical_features = categorical_features
        self.size = size
        self.weight = weight

    def _generate(self, table, n, random_state, y):
        first = random_state.randint(table.n_rows, size=n)
        second = random_state.randint(table.n_rows, size=n)
        weight = random_state.beta(self.alpha, self.alpha, size=n)
        return mix(table, first, second, weight)
