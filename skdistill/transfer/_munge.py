"""MUNGE (Bucila, Caruana & Niculescu-Mizil, 2006): swap attributes with the nearest
neighbour, with Gaussian noise on continuous ones."""

from numbers import Real

import numpy as np

from .._compat import Interval
from ._base import (
    TransferSampler,
    nearest_neighbors,
    neighbor_space,
    standardized,
    with_size_and_weight_doc,
)

__all__ = ["MUNGE", "munge_neighbors", "munge_pass", "munge_schedule"]


def munge_neighbors(table):
    """Index of the nearest *distinct* row of each row (itself if all rows are equal).

    Distances are Euclidean on standardized continuous columns plus Hamming on the
    categorical ones (see :func:`~skdistill.transfer._base.neighbor_space`). Exact
    duplicates are collapsed first, so that a duplicated row is paired with the
    nearest row that differs from it (a duplicate would give zero noise and an
    identical swap, hence no new row). The neighbour of a row is the first
    occurrence of the nearest distinct row.
    """
    key = np.hstack([standardized(table), table.cat_codes()])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if len(first) == 1:
        return np.arange(table.n_rows)
    space = neighbor_space(table)[first]
    # Two neighbours including the row itself: kneighbors() without X leaves each
    # (unique) row out of its own neighbours, so one is asked for.
    found = nearest_neighbors(space, 1).kneighbors(return_distance=False)
    neighbor_of_unique = first[found[:, 0]]
    return neighbor_of_unique[inverse]


def munge_schedule(neighbors):
    """Group the steps of one MUNGE pass into layers of steps on disjoint rows.

    Step ``t`` of a pass modifies rows ``t`` and ``neighbors[t]``, in the order
    ``t = 0, 1, ...``. A step's layer is one more than the last layer that touched
    either of its rows, so steps in one layer touch disjoint rows and running the
    layers in order gives exactly the result of the sequential loop. Steps pairing a
    row with itself (all rows equal) do nothing and are left out.

    Returns
    -------
    layers : list of ndarray
        Step indices of each layer, in order.
    """
    last = [-1] * len(neighbors)
    layer_of = []
    steps = []
    for t, j in enumerate(neighbors.tolist()):
        if j == t:
            continue
        layer = max(last[t], last[j]) + 1
        last[t] = last[j] = layer
        layer_of.append(layer)
        steps.append(t)
    if not steps:
        return []
    layer_of = np.asarray(layer_of)
    steps = np.asarray(steps)
    order = np.argsort(layer_of, kind="stable")
    bounds = np.flatnonzero(np.diff(layer_of[order])) + 1
    return np.split(steps[order], bounds)


def munge_pass(cont, src, neighbors, layers, swap, noise, s):
    """One MUNGE pass over a copy of the data, in place on ``cont`` and ``src``.

    For each step ``t`` (row ``e = t``, its neighbour ``e' = neighbors[t]``) and each
    attribute ``a`` with ``swap[t, a]``: a categorical attribute swaps ``e_a`` and
    ``e'_a`` (here: their source rows); a continuous one sets, from the values
    before the step, ``e_a = e'_a + sd * noise[0, t, a]`` and
    ``e'_a = e_a + sd * noise[1, t, a]`` with ``sd = |e_a - e'_a| / s``. If either
    value is NaN or infinite the two are swapped without noise.

    Parameters
    ----------
    cont : ndarray of shape (n_rows, n_continuous)
        Continuous values, modified in place.
    src : ndarray of shape (n_rows, n_categorical)
        Source row of each categorical cell, modified in place.
    neighbors : ndarray of shape (n_rows,)
        Neighbour of each row.
    layers : list of ndarray
        From :func:`munge_schedule`.
    swap : ndarray of bool of shape (n_rows, n_continuous + n_categorical)
        Which attributes each step changes: continuous first, then categorical.
    noise : ndarray of shape (2, n_rows, n_continuous)
        Standard normal draws for ``e`` and ``e'`` at each step.
    s : float
        MUNGE's local variance parameter.
    """
    n_cont = cont.shape[1]
    for steps in layers:
        a, b = steps, neighbors[steps]
        if n_cont:
            va, vb = cont[a], cont[b]
            finite = np.isfinite(va) & np.isfinite(vb)
            with np.errstate(invalid="ignore"):
                sd = np.abs(va - vb) / s
                new_a = np.where(finite, vb + sd * noise[0, steps], vb)
                new_b = np.where(finite, va + sd * noise[1, steps], va)
            m = swap[steps, :n_cont]
            cont[a] = np.where(m, new_a, va)
            cont[b] = np.where(m, new_b, vb)
        if src.shape[1]:
            sa, sb = src[a], src[b]
            m = swap[steps, n_cont:]
            src[a] = np.where(m, sb, sa)
            src[b] = np.where(m, sa, sb)


@with_size_and_weight_doc
class MUNGE(TransferSampler):
    """MUNGE: new rows by swapping attributes with the nearest neighbour, with noise.

    The generator of Bucila, Caruana & Niculescu-Mizil [1]_ (Algorithm 1). One *pass*
    copies the data, then visits each row ``e`` in order with ``e'``, its nearest
    neighbour, and for each attribute ``a``, with probability ``p``:

    - categorical (nominal) ``a``: swap ``e_a`` and ``e'_a``;
    - continuous ``a``: with ``sd = |e_a - e'_a| / s``, set ``e_a ~ N(e'_a, sd)`` and
      ``e'_a ~ N(e_a, sd)``, both drawn around the values *before* this step.

    Both rows are modified in the copy, and later steps see earlier modifications;
    the modified copy is the pass's output. Passes repeat (each from a fresh copy of
    the data, with new random draws) until there are ``n`` rows: all rows of
    ``n // n_samples`` passes, plus a random subset (without replacement) of one more
    pass.

    Read the trade-off before using it: measured before this library existed, MUNGE
    transfer sets of 5x and 20x (``p=0.5, s=1``) made a 30-round LightGBM student
    1.0-1.4 points *less* accurate on covertype and letter, and labeling 20x rows
    with a 26-class teacher took minutes. MUNGE was designed for students that can
    use much more data than there are labels (the neural nets of the paper); for
    capacity-limited students, search ``transfer_set__size`` with 0 included.

    Parameters
    ----------
    p : float, default=0.5
        Probability that a step changes each attribute. ``p=0`` copies the data.
    s : float, default=1.0
        Local variance parameter: the noise of a continuous attribute has standard
        deviation ``|e_a - e'_a| / s``. Large ``s`` gives pure swaps, small ``s``
        wide noise.
    categorical_features : "auto", None, array-like of int, str or bool, default="auto"
        Columns swapped, never perturbed: see :class:`TransferSampler`.
    {size_and_weight}

    See Also
    --------
    GaussianJitter : Independent noise around resampled rows.
    Mixup : Convex combinations of random pairs of rows.
    MinorityOversampler : SMOTE-like rows around the minority class.

    Notes
    -----
    Choices where the paper is silent or ambiguous:

    - The nearest neighbour is the Euclidean nearest on standardized continuous
      attributes plus the Hamming distance on categorical ones (each one-hot encoded
      and scaled by ``1/sqrt(2)``, so a mismatch adds 1 to the squared distance). It
      is found once, on the original data (equal to each pass's copy when the pass
      starts), among the *distinct* rows: an exact duplicate is never its own
      neighbour, since it would give zero noise and no new row. NaN and infinite
      values count as the column mean in distances; in a step they are swapped
      without noise, so a column gets NaN or infinity only if it had them.
    - The update ``e_a ~ N(e'_a, sd), e'_a ~ N(e_a, sd)`` uses the values before the
      step for both draws: a noisy swap, which ``s -> inf`` turns into the swap
      nominal attributes get. (Read sequentially, ``e'`` would be drawn around its
      own value.)
    - Rows are visited in their order in ``X``. A row is modified by its own step
      and by the step of every row whose neighbour it is, so modifications compound.
      In particular, a pair of *mutual* nearest neighbours is swapped twice in a
      pass: each attribute ends up exchanged with probability ``2p(1 - p)`` and is
      perturbed by both steps. With ``p=1`` and large ``s``, a pass is therefore the
      permutation of the rows given by the swaps ``(t, neighbor(t))`` in order.
    - Integer columns are rounded back to integers.

    Because modifications compound within a pass (a row that is the neighbour of
    several rows is moved several times, each time with noise proportional to its
    current distance), MUNGE spreads the data: on the breast-cancer data, ``s=1``
    makes the standard deviation of the generated columns 1.1 to 1.6 times that of
    the data, ``s=2`` 1.0 to 1.1 times, ``s=5`` about 1.0 (a variant that moves only
    ``e`` and reads the original rows, not implemented here, gives 1.0 to 1.1 at
    ``s=1``). Put ``s`` in the search when the spread matters.

    The nearest-neighbour search costs up to ``O(n_samples**2 * n_features)``
    (brute force in many dimensions): a few seconds for 20,000 rows of 10 features.
    The pass itself is vectorized exactly: its steps are grouped into layers that
    touch disjoint rows, which gives the same result as the sequential loop of the
    paper (a test checks this against a literal implementation).

    References
    ----------
    .. [1] C. Bucila, R. Caruana and A. Niculescu-Mizil, "Model Compression",
       Proceedings of the 12th ACM SIGKDD International Conference on Knowledge
       Discovery and Data Mining (KDD), 2006, pp. 535-541.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import MUNGE
    >>> X = np.array([[0.0, 1.0], [0.1, 1.2], [5.0, 7.0], [5.2, 7.1]])
    >>> MUNGE(p=0.5, s=1.0).sample(X, 6, random_state=0).round(2)
    array([[ 0.  ,  1.  ],
           [ 0.1 ,  1.2 ],
           [ 5.24,  7.  ],
           [ 5.74,  7.1 ],
           [-0.03,  1.2 ],
           [ 5.  ,  7.  ]])
    >>> MUNGE(p=0.0).sample(X, 4, random_state=0)  # p=0 copies the rows
    array([[0. , 1. ],
           [0.1, 1.2],
           [5. , 7. ],
           [5.2, 7.1]])
    """

    _parameter_constraints = {
        **TransferSampler._parameter_constraints,
        "p": [Interval(Real, 0, 1, closed="both")],
        "s": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, p=0.5, s=1.0, categorical_features="auto", *, size=1.0, weight=1.0):
        self.p = p
        self.s = s
        self.categorical_features = categorical_features
        self.size = size
        self.weight = weight

    def _generate(self, table, n, random_state, y):
        n_rows, n_cont = table.cont.shape
        n_cat = len(table.cat_idx)
        neighbors = munge_neighbors(table)
        layers = munge_schedule(neighbors)
        n_passes, remainder = divmod(n, n_rows)
        conts, srcs = [], []
        for i in range(n_passes + (remainder > 0)):
            swap = random_state.random_sample((n_rows, n_cont + n_cat)) < self.p
            noise = random_state.standard_normal((2, n_rows, n_cont))
            cont = table.cont.copy()
            src = np.repeat(np.arange(n_rows)[:, None], n_cat, axis=1)
            munge_pass(cont, src, neighbors, layers, swap, noise, float(self.s))
            if i == n_passes:  # the last, partial pass
                keep = np.sort(random_state.choice(n_rows, remainder, replace=False))
                cont, src = cont[keep], src[keep]
            conts.append(cont)
            srcs.append(src)
        return np.concatenate(conts), np.concatenate(srcs)
