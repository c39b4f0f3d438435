"""Shared plumbing of the transfer-set generators.

A transfer-set generator (a *sampler*) is any object with a method
``sample(X, n, random_state=None, y=None)`` that returns ``n`` new rows of the same
type as ``X``. :class:`TransferSampler` implements everything but the maths: input
checks, the split into continuous and categorical columns, the random state, and
the round trip back to an ndarray of ``X``'s dtype or a DataFrame with ``X``'s
columns and dtypes. A subclass only writes ``_generate``.

Every generator builds new rows the same way: a continuous cell gets a new float
value, and a categorical cell is *copied from an existing row* (its "source row"),
so categorical values are always values seen in ``X`` and keep their exact dtype.
"""

import inspect
import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d

from .._compat import Interval, StrOptions

__all__ = [
    "FunctionSampler",
    "TransferSampler",
    "check_n_rows",
    "neighbor_space",
    "standardized",
    "transfer_count",
]


def _is_dataframe(X):
    return hasattr(X, "iloc") and hasattr(X, "columns") and getattr(X, "ndim", 0) == 2


def check_n_rows(n):
    """Check the number of rows to generate: a non-negative integer."""
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(
            f"n, the number of rows to generate, must be a non-negative integer; got "
            f"{n!r} of type {type(n).__name__}. To turn a ratio of the training size "
            "into a count, use skdistill.transfer.transfer_count(ratio, n_samples)."
        )
    if n < 0:
        raise ValueError(
            f"n, the number of rows to generate, must be >= 0; got {n}. Pass 0 to "
            "generate nothing."
        )
    return int(n)


def transfer_count(size, n_samples):
    """Number of transfer rows to generate for a sampler's ``size`` and ``n_samples``.

    A float is a *ratio* of the training size, an integer is a *count*: ``5.0``
    means five times as many generated rows as training rows, while ``5`` means five
    rows. ``0`` and ``0.0`` mean no transfer set.

    Parameters
    ----------
    size : float or int
        A non-negative float (ratio, also when it is a whole number such as ``1.0``)
        or a non-negative integer (count). NumPy scalars count by their kind.
    n_samples : int
        Number of training rows the ratio applies to.

    Returns
    -------
    n_rows : int
        ``round(size * n_samples)`` (halves rounded up) for a float,
        ``size`` for an integer.

    Raises
    ------
    ValueError
        If ``size`` is negative, NaN, infinite, a bool or not a number, or
        ``n_samples`` is not a non-negative integer.

    See Also
    --------
    resolve_transfer_set : The sampler that generates the rows.

    Examples
    --------
    >>> from skdistill.transfer import transfer_count
    >>> transfer_count(5.0, 200)  # a ratio: five times the training size
    1000
    >>> transfer_count(0.25, 10)
    3
    >>> transfer_count(500, 200)  # a count
    500
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative integer; got {n_samples!r}.")
    hint = (
        "Pass a non-negative float for a ratio of the training size (5.0 = five "
        "times as many rows) or a non-negative integer for a count of rows (0 = no "
        "transfer set)."
    )
    if isinstance(size, bool) or not isinstance(size, Real):
        raise ValueError(
            f"size must be a number; got {size!r} of type {type(size).__name__}. {hint}"
        )
    if isinstance(size, Integral):
        if size < 0:
            raise ValueError(f"size must be >= 0; got {size}. {hint}")
        return int(size)
    ratio = float(size)
    if not math.isfinite(ratio) or ratio < 0:
        raise ValueError(f"size must be a finite number >= 0; got {size!r}. {hint}")
    return int(math.floor(ratio * int(n_samples) + 0.5))


# -- Columns -------------------------------------------------------------------------


def _factorize(values):
    """Integer codes of a 1-d array, NaN-like values as one category."""
    values = np.asarray(values)
    if values.dtype.kind in "biufcmM":
        _, codes = np.unique(values, return_inverse=True)
        return codes.reshape(-1).astype(np.intp)
    lookup = {}
    codes = np.empty(len(values), dtype=np.intp)
    for i, value in enumerate(values.tolist()):
        key = ("<nan>",) if isinstance(value, float) and value != value else value
        codes[i] = lookup.setdefault(key, len(lookup))
    return codes


def _is_number_column(values):
    """Whether a 1-d object array holds only real numbers (NaN allowed)."""
    return all(
        isinstance(v, Real | np.number) and not isinstance(v, bool | np.bool_)
        for v in values.tolist()
    )


def _frame_column_kind(dtype):
    """ "numeric", "categorical" (dtypes "auto" declares categorical) or "other"."""
    import pandas as pd

    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    return "other"


def _resolve_categorical(categorical_features, names, kinds, *, is_frame, owner):
    """Boolean mask of the categorical columns; errors name the fix."""
    n_features = len(kinds)
    if categorical_features is None:
        mask = np.zeros(n_features, dtype=bool)
    elif isinstance(categorical_features, str):  # "auto", the only string allowed
        mask = np.array([kind == "categorical" for kind in kinds], dtype=bool)
    else:
        spec = list(np.asarray(categorical_features, dtype=object).reshape(-1).tolist())
        if len(spec) == 0:
            mask = np.zeros(n_features, dtype=bool)
        elif all(isinstance(v, bool | np.bool_) for v in spec):
            if len(spec) != n_features:
                raise ValueError(
                    f"categorical_features as a boolean mask must have one entry per "
                    f"column of X ({n_features}); got {len(spec)}."
                )
            mask = np.array(spec, dtype=bool)
        elif all(isinstance(v, Integral) and not isinstance(v, bool) for v in spec):
            bad = [v for v in spec if not 0 <= v < n_features]
            if bad:
                raise ValueError(
                    f"categorical_features has column indices {bad} outside [0, "
                    f"{n_features}) for X with {n_features} columns. Pass indices of "
                    "existing columns (negative indices are not accepted)."
                )
            mask = np.zeros(n_features, dtype=bool)
            mask[np.asarray(spec, dtype=np.intp)] = True
        elif all(isinstance(v, str) for v in spec):
            if not is_frame:
                raise ValueError(
                    f"categorical_features names columns {spec[:5]}, but X has no "
                    "column names. Pass a pandas DataFrame, or column indices."
                )
            unknown = [v for v in spec if v not in set(names)]
            if unknown:
                raise ValueError(
                    f"categorical_features names columns {unknown} that are not in X; "
                    f"X has columns {list(names)[:10]}"
                    f"{'...' if len(names) > 10 else ''}."
                )
            mask = np.array([c in set(spec) for c in names], dtype=bool)
        else:
            raise ValueError(
                "categorical_features must be None, 'auto', a boolean mask, or a list "
                f"of column indices or of column names; got {categorical_features!r}."
            )
    for j in np.flatnonzero(~mask):
        if kinds[j] != "numeric":
            label = f"{names[j]!r}" if is_frame else f"{j}"
            auto = f"{owner}(categorical_features='auto') (from the dtypes) or " * (
                kinds[j] == "categorical"
            )
            raise ValueError(
                f"Column {label} of X is not numeric, so it cannot be jittered or "
                f"interpolated. Declare it categorical (its values are then copied "
                f"from existing rows): {auto}list it, e.g. "
                f"{owner}(categorical_features=[{label}])."
            )
    return mask


class _Table:
    """X split into a float matrix of continuous columns and categorical codes.

    ``assemble`` builds the output: continuous values cast back to each column's
    dtype, categorical cells copied from their source rows.
    """

    def __init__(self, X, categorical_features, owner="TransferSampler"):
        if sparse.issparse(X):
            raise TypeError(
                "Transfer-set generators take dense data; got a sparse matrix. Pass "
                "X.toarray() (or a DataFrame), or write a generator for sparse data."
            )
        self.is_frame = _is_dataframe(X)
        if self.is_frame:
            self.X = X
            self.names = list(X.columns)
            kinds = [_frame_column_kind(dtype) for dtype in X.dtypes]
        else:
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(
                    f"X must be 2-d (n_samples, n_features); got an array of shape "
                    f"{X.shape}. Reshape a single feature with X.reshape(-1, 1)."
                )
            self.X = X
            self.names = list(range(X.shape[1]))
            kinds = self._array_kinds(X)
        self.n_rows, self.n_features = X.shape
        if self.n_features == 0:
            raise ValueError("X has no columns; pass at least one feature.")
        self.categorical = _resolve_categorical(
            categorical_features, self.names, kinds, is_frame=self.is_frame, owner=owner
        )
        self.cat_idx = np.flatnonzero(self.categorical)
        self.cont_idx = np.flatnonzero(~self.categorical)
        self.cont = np.empty((self.n_rows, len(self.cont_idx)), dtype=np.float64)
        for k, j in enumerate(self.cont_idx):
            self.cont[:, k] = self._column_as_float(j)

    @staticmethod
    def _array_kinds(X):
        kind = X.dtype.kind
        if kind in "iuf":
            return ["numeric"] * X.shape[1]
        if kind == "O":
            return [
                "numeric" if _is_number_column(X[:, j]) else "categorical"
                for j in range(X.shape[1])
            ]
        if kind in "bUS":
            return ["categorical"] * X.shape[1]
        return ["other"] * X.shape[1]

    def _column_as_float(self, j):
        if self.is_frame:
            return self.X.iloc[:, j].to_numpy(dtype=np.float64, na_value=np.nan)
        return self.X[:, j].astype(np.float64)

    def column(self, j):
        """Column ``j`` as a 1-d array (object or native dtype)."""
        if self.is_frame:
            return self.X.iloc[:, j].to_numpy()
        return self.X[:, j]

    def cat_codes(self):
        """Integer codes of the categorical columns, shape (n_rows, n_categorical)."""
        codes = np.empty((self.n_rows, len(self.cat_idx)), dtype=np.intp)
        for k, j in enumerate(self.cat_idx):
            codes[:, k] = _factorize(self.column(j))
        return codes

    def stats(self):
        """Mean and standard deviation of each continuous column over finite values.

        All-non-finite columns get mean 0 and std 0.
        """
        finite = np.isfinite(self.cont)
        count = finite.sum(axis=0)
        safe = np.where(finite, self.cont, 0.0)
        mean = safe.sum(axis=0) / np.maximum(count, 1)
        var = (np.where(finite, self.cont - mean, 0.0) ** 2).sum(axis=0) / np.maximum(
            count, 1
        )
        return mean, np.sqrt(var)

    def assemble(self, cont, src):
        """Output rows from new continuous values and categorical source rows."""
        n = cont.shape[0]
        if self.is_frame:
            return self._assemble_frame(cont, src, n)
        out = np.empty((n, self.n_features), dtype=self.X.dtype)
        for k, j in enumerate(self.cont_idx):
            out[:, j] = _cast(cont[:, k], self.X.dtype)
        for k, j in enumerate(self.cat_idx):
            out[:, j] = self.X[src[:, k], j]
        return out

    def _assemble_frame(self, cont, src, n):
        import pandas as pd

        columns = {}
        for k, j in enumerate(self.cont_idx):
            dtype = self.X.dtypes.iloc[j]
            values = cont[:, k]
            if pd.api.types.is_integer_dtype(dtype):
                values = np.rint(values)
                if isinstance(dtype, np.dtype):
                    values = _cast(values, dtype)
            columns[j] = pd.Series(values).astype(dtype)
        for k, j in enumerate(self.cat_idx):
            columns[j] = self.X.iloc[src[:, k], j].reset_index(drop=True)
        out = pd.DataFrame({j: columns[j] for j in range(self.n_features)})
        out.index = pd.RangeIndex(n)
        out.columns = self.X.columns
        return out


def _cast(values, dtype):
    """Float values as ``dtype``: integers rounded and clipped to the dtype's range."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = np.clip(np.rint(values), info.min, info.max)
        return values.astype(dtype)
    if dtype.kind == "O":
        return values.astype(object)
    return values.astype(dtype)


#: Largest neighbour space (rows x columns) built as a dense matrix; above, CSR.
_MAX_DENSE_CELLS = 20_000_000


def standardized(table):
    """Continuous columns standardized; non-finite values at 0 (the mean)."""
    mean, std = table.stats()
    z = (table.cont - mean) / np.where(std > 0, std, 1.0)
    z[~np.isfinite(z)] = 0.0
    return z


def neighbor_space(table):
    """Rows of ``table`` in the space MUNGE and SMOTE measure distances in.

    Continuous columns standardized (non-finite values at the mean, constant columns
    left at 0) and each categorical column one-hot encoded times ``1/sqrt(2)``, so
    that the squared Euclidean distance is the squared standardized distance plus the
    Hamming distance of the categorical columns. Dense, or CSR when one-hot encoding
    many categories would make a dense matrix large.
    """
    z = standardized(table)
    if len(table.cat_idx) == 0:
        return z
    codes = table.cat_codes()
    widths = codes.max(axis=0) + 1 if table.n_rows else np.zeros(codes.shape[1], int)
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]])
    n_rows, width = table.n_rows, int(widths.sum())
    onehot = sparse.csr_matrix(
        (
            np.full(codes.size, 1 / np.sqrt(2)),
            (np.repeat(np.arange(n_rows), codes.shape[1]), (codes + offsets).ravel()),
        ),
        shape=(n_rows, width),
    )
    if n_rows * (z.shape[1] + width) <= _MAX_DENSE_CELLS:
        return np.hstack([z, onehot.toarray()])
    return sparse.hstack([sparse.csr_matrix(z), onehot], format="csr")


def nearest_neighbors(space, n_neighbors):
    """A fitted :class:`~sklearn.neighbors.NearestNeighbors` on ``space``."""
    return NearestNeighbors(n_neighbors=n_neighbors).fit(space)


# -- Samplers ------------------------------------------------------------------------


#: The docstring entries of ``size`` and ``weight``, shared by every sampler.
_SIZE_AND_WEIGHT_DOC = """size : float or int, default=1.0
        How many rows to generate when distilling: a float is a ratio of the
        training rows (``5.0``: five times as many), an int a count; 0 adds none.
    weight : float or "balanced", default=1.0
        Sample weight of each generated row; ``"balanced"`` makes all of them
        together weigh as much as the training rows."""


def with_size_and_weight_doc(sampler_class):
    """Fill the ``{size_and_weight}`` entry of a sampler's docstring."""
    doc = sampler_class.__doc__
    sampler_class.__doc__ = doc.replace("{size_and_weight}", _SIZE_AND_WEIGHT_DOC)
    return sampler_class


#: How many rows a sampler adds and what they weigh, read by the distillers.
_SIZE_CONSTRAINTS = {
    "size": [Interval(Real, 0, None, closed="left")],
    "weight": [Interval(Real, 0, None, closed="neither"), StrOptions({"balanced"})],
}


@with_size_and_weight_doc
class TransferSampler(BaseEstimator):
    """Base class of the transfer-set generators.

    A sampler generates new, unlabeled rows that look like the training rows; the
    distiller has the teacher label them and adds them to the student's training
    set. Subclasses implement only the maths in ``_generate``; this class checks the
    inputs, splits the columns into continuous and categorical ones, handles the
    random state, and returns rows of the same type as ``X``.

    Any object with a ``sample(X, n, random_state=None, y=None)`` method is a valid
    transfer set; subclassing is a convenience. Samplers store nothing when they
    sample (no fitted attributes), so one instance can be shared and cloned freely,
    and its parameters are grid-searchable as nested parameters
    (``transfer_set__scale``).

    Parameters
    ----------
    categorical_features : "auto", None, array-like of int, str or bool, default="auto"
        Columns that are never jittered or interpolated; their values are always
        copied from existing rows, so generated rows hold only values seen in ``X``.

        - "auto": from the dtypes: pandas ``category``, ``object``, ``string`` and
          ``bool`` columns; for an ndarray, every column of a bool or string array
          and the non-numeric columns of an object array (all-numeric data: no
          categorical columns);
        - None: no categorical columns (a non-numeric column is an error);
        - indices, column names (DataFrame only) or a boolean mask of length
          ``n_features``. Integers are always positions, even when a DataFrame has
          integer column labels.
    {size_and_weight}

    See Also
    --------
    MUNGE, GaussianJitter, Mixup, MinorityOversampler : The generators.
    resolve_transfer_set : A sampler from a name, an object or a function.

    Notes
    -----
    A subclass implements ``_generate(table, n, random_state, y)``, where ``table``
    holds ``cont`` (float64 array of the continuous columns), ``cat_idx`` and
    ``cont_idx`` (positions of each kind of column) and ``cat_codes()``. It returns
    ``(cont, src)``: the new continuous values, shape (n, n_continuous), and for each
    categorical column the index of the row its value is copied from, shape
    (n, n_categorical). Integer columns are rounded back to integers. Non-finite
    values (NaN, infinity) must never be combined arithmetically: copy them, so that
    a column without them never gets any.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import TransferSampler
    >>> class Bootstrap(TransferSampler):
    ...     def _generate(self, table, n, random_state, y):
    ...         rows = random_state.randint(table.n_rows, size=n)
    ...         return table.cont[rows], np.tile(rows[:, None], len(table.cat_idx))
    >>> Bootstrap().sample(np.arange(6.0).reshape(3, 2), 2, random_state=0)
    array([[0., 1.],
           [2., 3.]])
    """

    _parameter_constraints = {
        "categorical_features": [None, StrOptions({"auto"}), "array-like"],
        **_SIZE_CONSTRAINTS,
    }

    #: Whether ``sample`` needs the labels ``y``.
    _requires_y = False

    def __init__(self, categorical_features="auto", *, size=1.0, weight=1.0):
        self.categorical_features = categorical_features
        self.size = size
        self.weight = weight

    def sample(self, X, n, random_state=None, y=None):
        """Generate ``n`` new rows that look like the rows of ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The rows to imitate. Dense only.
        n : int
            Number of rows to generate (0 gives an empty result with ``X``'s
            columns).
        random_state : int, RandomState instance or None, default=None
            Seed of the random draws; an int gives the same rows at every call.
        y : array-like of shape (n_samples,), default=None
            Labels of the rows (``-1`` for an unlabeled row). Only generators that
            look at the classes use them; others check the length and ignore them.

        Returns
        -------
        X_new : {ndarray, DataFrame} of shape (n, n_features)
            An ndarray of ``X``'s dtype, or a DataFrame with ``X``'s columns and
            dtypes and a fresh ``RangeIndex``.
        """
        self._validate_params()
        n = check_n_rows(n)
        table = _Table(X, self.categorical_features, type(self).__name__)
        y = self._check_y(y, table)
        random_state = check_random_state(random_state)
        if n == 0:
            return table.assemble(
                np.empty((0, len(table.cont_idx))),
                np.empty((0, len(table.cat_idx)), dtype=np.intp),
            )
        if table.n_rows == 0:
            raise ValueError(
                f"X has no rows, so there is nothing to generate {n} rows from. Pass "
                "the training rows, or n=0."
            )
        cont, src = self._generate(table, n, random_state, y)
        return table.assemble(cont, src)

    def _check_y(self, y, table):
        if y is None:
            if self._requires_y:
                raise ValueError(
                    f"{type(self).__name__} needs the labels y to find the minority "
                    "class; call sample(X, n, random_state, y=y). DistilledClassifier "
                    "passes them for you."
                )
            return None
        y = column_or_1d(y, warn=False)
        if len(y) != table.n_rows:
            raise ValueError(
                f"X has {table.n_rows} rows but y has {len(y)}; they must be "
                "sample-aligned."
            )
        return y

    def _generate(self, table, n, random_state, y):
        raise NotImplementedError(
            f"{type(self).__name__} must implement _generate(table, n, random_state, y)."
        )


def _accepts_y(func):
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "y" or p.kind is p.VAR_KEYWORD for p in parameters)


@with_size_and_weight_doc
class FunctionSampler(BaseEstimator):
    """A transfer set from a plain function ``func(X, n, random_state)``.

    :func:`resolve_transfer_set` wraps a callable in this class, so that user
    generators get the same checks as the built-in ones.

    Parameters
    ----------
    func : callable
        ``func(X, n, random_state)`` returning ``n`` new rows with ``X``'s columns;
        ``random_state`` is passed as given to :meth:`sample` (None, an int or a
        ``RandomState``: use :func:`sklearn.utils.check_random_state` on it). When
        ``func`` takes a ``y`` parameter (or ``**kwargs``), it also gets ``y=y``
        whenever labels are given.
    {size_and_weight}

    See Also
    --------
    TransferSampler : Base class of the built-in generators.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.utils import check_random_state
    >>> from skdistill.transfer import FunctionSampler
    >>> def uniform_box(X, n, random_state):
    ...     rng = check_random_state(random_state)
    ...     return rng.uniform(X.min(axis=0), X.max(axis=0), size=(n, X.shape[1]))
    >>> X = np.array([[0.0, 10.0], [1.0, 20.0]])
    >>> FunctionSampler(uniform_box).sample(X, 3, random_state=0).shape
    (3, 2)
    """

    _parameter_constraints = {"func": [callable], **_SIZE_CONSTRAINTS}

    def __init__(self, func, *, size=1.0, weight=1.0):
        self.func = func
        self.size = size
        self.weight = weight

    def sample(self, X, n, random_state=None, y=None):
        """Call ``func`` and check that it returned ``n`` rows with ``X``'s columns.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The rows to imitate.
        n : int
            Number of rows to generate.
        random_state : int, RandomState instance or None, default=None
            Passed to ``func`` as given.
        y : array-like of shape (n_samples,), default=None
            Passed to ``func`` as ``y=y`` when it takes it; ignored otherwise.

        Returns
        -------
        X_new : {ndarray, DataFrame} of shape (n, n_features)
            For a DataFrame ``X``, a DataFrame with ``X``'s columns and a fresh
            ``RangeIndex`` (an array returned by ``func`` is wrapped); otherwise an
            ndarray.
        """
        self._validate_params()
        n = check_n_rows(n)
        name = getattr(self.func, "__name__", type(self.func).__name__)
        kwargs = {"y": y} if y is not None and _accepts_y(self.func) else {}
        out = self.func(X, n, random_state, **kwargs)
        is_frame = _is_dataframe(X)
        n_features = X.shape[1] if hasattr(X, "shape") else np.shape(X)[1]
        if is_frame:
            import pandas as pd

            if _is_dataframe(out):
                if list(out.columns) != list(X.columns):
                    raise ValueError(
                        f"The transfer-set function {name} returned columns "
                        f"{list(out.columns)[:10]}, but X has {list(X.columns)[:10]}; "
                        "it must return X's columns in X's order."
                    )
                out = out.reset_index(drop=True)
            else:
                out = np.asarray(out)
                if out.ndim != 2 or out.shape[1] != n_features:
                    raise ValueError(
                        f"The transfer-set function {name} returned shape {out.shape}; "
                        f"expected ({n}, {n_features})."
                    )
                out = pd.DataFrame(out, columns=X.columns)
        else:
            out = np.asarray(out)
        if out.ndim != 2 or out.shape != (n, n_features):
            raise ValueError(
                f"The transfer-set function {name} returned shape {out.shape}; expected "
                f"({n}, {n_features}): n rows with X's columns."
            )
        return out
