"""Gaussian jitter: resampled rows plus noise scaled to each column's spread."""

from numbers import Real

import numpy as np

from .._compat import Interval
from ._base import TransferSampler, with_size_and_weight_doc

__all__ = ["GaussianJitter"]


@with_size_and_weight_doc
class GaussianJitter(TransferSampler):
    """New rows: resampled rows plus Gaussian noise on the continuous columns.

    Each new row copies a row of ``X`` drawn uniformly with replacement, then adds
    ``N(0, (scale * std_j)**2)`` noise to each continuous column ``j``, where
    ``std_j`` is the column's standard deviation: jitter of ``scale`` standard
    deviations on standardized features. Categorical columns keep the drawn row's
    values; constant columns stay constant; NaN and infinite values stay as they are.

    Read the trade-off before using it: measured before this library existed,
    jittered transfer rows helped a depth-6 tree on a fraud sample (ROC-AUC .955 ->
    .973, teacher .983) but hurt elsewhere. Keep ``scale`` small (the default moves a
    row by a tenth of a standard deviation per column) and search ``transfer_set__size``
    with 0 included.

    Parameters
    ----------
    scale : float, default=0.1
        Noise standard deviation in units of each column's standard deviation.
        ``scale=0`` gives a bootstrap sample of the rows.
    categorical_features : "auto", None, array-like of int, str or bool, default="auto"
        Columns copied from the drawn row, never jittered: see
        :class:`TransferSampler`.
    {size_and_weight}

    See Also
    --------
    MUNGE : Swaps with the nearest neighbour, noise proportional to local distances.
    Mixup : Convex combinations of random pairs of rows.
    MinorityOversampler : SMOTE-like rows around the minority class.

    Notes
    -----
    The standard deviation is computed over the finite values of each column
    (``ddof=0``). Integer columns are rounded back to integers, so noise well below
    one unit leaves them unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import GaussianJitter
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> X_new = GaussianJitter(scale=0.1).sample(X, 4, random_state=0)
    >>> X_new.round(2)
    array([[-0.12,  1.  ],
           [ 0.98,  1.  ],
           [-0.01,  1.  ],
           [ 0.99,  1.  ]])
    """

    _parameter_constraints = {
        **TransferSampler._parameter_constraints,
        "scale": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, scale=0.1, categorical_features="auto", *, size=1.0, weight=1.0):
        self.scale = scale
        self.categorical_features = categorical_features
        self.size = size
        self.weight = weight

    def _generate(self, table, n, random_state, y):
        rows = random_state.randint(table.n_rows, size=n)
        _, std = table.stats()
        noise = random_state.standard_normal((n, table.cont.shape[1]))
        cont = table.cont[rows] + noise * (float(self.scale) * std)
        return cont, np.repeat(rows[:, None], len(table.cat_idx), axis=1)
