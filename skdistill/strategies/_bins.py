"""One set of feature bins for LightGBM's data-parallel learner: the in-memory ones.

LightGBM's Dask trainer runs the data-parallel learner: each worker builds the
histograms of its own rows and the workers sum them, which is exact only if every
worker puts a value in the same bin. Which bins? LightGBM splits the features among
the workers, and each worker finds the bins of its features from *its own rows*
(``DatasetLoader::ConstructFromSampleData``), then they exchange them. Bins from
part of the rows move every split a little, so the cluster's model differs from the
one LightGBM fits in memory on the same rows; and when the partitions are not alike
(files by date, rows sorted by a column), a feature's bins cover only the values one
worker holds and the rest of its range falls into its end bins.

:func:`global_bins` trains the cluster on LightGBM's own in-memory bins instead. It
draws a sample of every partition's rows (``bin_construct_sample_cnt`` rows, all of
them when there are fewer, as LightGBM samples in memory), lets LightGBM bin each
numeric feature of it in this process and reads the bounds back
(:func:`lightgbm_bin_bounds`). The workers then train on each value's bin number
(:class:`BinCodes`) under one list of forced bounds shared by every feature, which
puts each number in its own bin whatever rows a worker holds; the fitted trees'
thresholds are mapped back to feature values. With the sample holding every row,
the cluster trains on exactly the in-memory bins. Categorical features keep
LightGBM's own per-worker bins.
"""

import json
import os
import tempfile
import uuid
import warnings
from contextlib import contextmanager

import numpy as np

from ..exceptions import DistillationWarning

__all__ = ["global_bins", "lightgbm_bin_bounds"]

#: LightGBM's ``kZeroThreshold`` (``1e-35f``): values this close to 0 are zero.
_ZERO = float(np.float32(1e-35))
#: LightGBM's sample size for bins (``bin_construct_sample_cnt``), by default.
_DEFAULT_SAMPLE = 200_000
#: Features binned at once.
_GROUP = 128
#: Distinct values of a feature whose bins are read first (then those between two
#: of them that fall in different bins).
_GRID = 4096

# The dataset parameters binning depends on, each with LightGBM's aliases (the main
# name wins over an alias, as in LightGBM).
_BIN_PARAMS = {
    "max_bin": ("max_bin", "max_bins"),
    "min_data_in_bin": ("min_data_in_bin",),
    "use_missing": ("use_missing",),
    "zero_as_missing": ("zero_as_missing",),
    "feature_pre_filter": ("feature_pre_filter",),
    "min_data_in_leaf": (
        "min_data_in_leaf",
        "min_child_samples",
        "min_data_per_leaf",
        "min_data",
        "min_samples_leaf",
    ),
}
_SAMPLE_CNT = ("bin_construct_sample_cnt", "subsample_for_bin")
_USER_BINS = ("forcedbins_filename", "max_bin_by_feature")
_CATEGORICAL = (
    "categorical_feature",
    "cat_feature",
    "categorical_column",
    "cat_column",
    "categorical_features",
)


def _param(params, names, default=None):
    for name in names:
        if params.get(name) is not None:
            return params[name]
    return default


def numeric_columns(X, params):
    """Positions of the columns LightGBM bins as numbers: every column of an array,
    a frame's numeric and bool columns; minus the ``categorical_feature`` positions
    given as parameters."""
    if hasattr(X, "dtypes"):
        kinds = [getattr(dtype, "kind", "O") for dtype in X.dtypes]
        columns = [j for j, kind in enumerate(kinds) if kind in "biuf"]
    else:
        columns = list(range(X.shape[1]))
    declared = _param(params, _CATEGORICAL)
    if declared is not None:
        declared = {int(c) for c in np.atleast_1d(declared) if str(c).lstrip("-").isdigit()}
        columns = [j for j in columns if j not in declared]
    return columns


def _floats(X, columns):
    """``X``'s ``columns`` as float64, NaN where a pandas column holds a missing
    value (``pd.NA`` of the nullable dtypes included)."""
    if hasattr(X, "iloc"):
        return X.iloc[:, columns].to_numpy(np.float64, na_value=np.nan)
    return np.asarray(X[:, columns], dtype=np.float64)


def lightgbm_bin_bounds(X, params):
    """LightGBM's bins of each numeric column of ``X``, found in memory.

    LightGBM bins ``X`` (every row) under the binning parameters of ``params``; the
    bounds are read back by binning each column's distinct values against that
    dataset (``create_valid``, LightGBM's own text dump) and taking, where the bin
    changes between two neighbours ``a < b``, LightGBM's bound
    ``nextafter((a + b) / 2, inf)``. The bounds next to zero are left out: LightGBM
    adds its own there (``kZeroThreshold``).

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n_samples, n_features)
        The rows to bin.
    params : dict
        The student's LightGBM parameters (aliases allowed).

    Returns
    -------
    bounds : dict of int to list of float
        Column position to its bounds, for the numeric columns LightGBM bins into
        more than one bin (without the bounds at zero). Empty when there is nothing
        to bin.
    n_bins : dict of int to int
        The same columns' numbers of bins (with the zero and missing-value bins).

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.strategies._bins import lightgbm_bin_bounds
    >>> X = np.repeat([[1.0], [2.0], [3.0]], 30, axis=0)
    >>> lightgbm_bin_bounds(X, {})
    ({0: [1.5000000000000002, 2.5000000000000004]}, {0: 4})
    """
    columns = numeric_columns(X, params)
    return _bounds(columns, _floats(X, columns), params)


def _bounds(columns, values, params):
    """:func:`lightgbm_bin_bounds` of ``values``, the float64 ``columns`` of X."""
    import lightgbm as lgb

    if values.shape[0] == 0:
        return {}, {}
    dataset_params = {key: _param(params, names) for key, names in _BIN_PARAMS.items()}
    dataset_params = {k: v for k, v in dataset_params.items() if v is not None}
    dataset_params.update(
        bin_construct_sample_cnt=values.shape[0], num_threads=1, verbose=-1
    )
    bounds, n_bins = {}, {}
    with tempfile.TemporaryDirectory(prefix="skdistill-bins-") as folder:
        for start in range(0, len(columns), _GROUP):
            group = values[:, start : start + _GROUP]
            found = _group_bounds(lgb, group, dataset_params, os.path.join(folder, "dump"))
            for j, (b, count) in found.items():
                bounds[columns[start + j]], n_bins[columns[start + j]] = b, count
    return bounds, n_bins


def _group_bounds(lgb, values, params, dump_path):
    """Bounds and bin counts of a group of columns: LightGBM bins ``values``; the bin
    of each distinct value is read on a grid of ``_GRID`` of them, then on every
    distinct value between two grid points of different bins (bins grow with the
    value, so nothing changes elsewhere)."""
    reference = lgb.Dataset(values, params=params, free_raw_data=False).construct()
    distinct = [np.unique(column[~np.isnan(column)]) for column in values.T]
    grid = [
        np.unique(np.linspace(0, len(v) - 1, min(len(v), _GRID)).round().astype(np.intp))
        for v in distinct
    ]
    coarse = _probe(
        reference, [v[g] for v, g in zip(distinct, grid, strict=True)], dump_path
    )
    fine = []
    for g, b in zip(grid, coarse, strict=True):
        changed = np.flatnonzero(np.diff(b) != 0)
        ranges = [np.arange(g[i], g[i + 1] + 1) for i in changed]
        fine.append(np.unique(np.concatenate(ranges)) if ranges else g[:0])
    bins = _probe(reference, [v[f] for v, f in zip(distinct, fine, strict=True)], dump_path)
    found = {}
    for j, (v, f, b) in enumerate(zip(distinct, fine, bins, strict=True)):
        if reference.feature_num_bin(j) <= 1:  # constant, or a feature LightGBM drops
            continue
        a, c = v[f[:-1]], v[f[:-1] + 1]
        same_side = ((a > _ZERO) & (c > _ZERO)) | ((a < -_ZERO) & (c < -_ZERO))
        cut = (f[1:] == f[:-1] + 1) & (np.diff(b) != 0) & same_side
        bounds = np.nextafter((a[cut] + c[cut]) / 2.0, np.inf).tolist()
        found[j] = bounds, reference.feature_num_bin(j)
    return found


def _probe(reference, columns, dump_path):
    """LightGBM's bin of each value of ``columns`` (one array per feature of
    ``reference``), through a dataset binned like ``reference`` and LightGBM's text
    dump of it; -1 for a feature LightGBM does not use."""
    n_probe = max(1, max(len(v) for v in columns))
    probe = np.zeros((n_probe, len(columns)))
    for j, v in enumerate(columns):
        if len(v):
            probe[: len(v), j] = v
            probe[len(v) :, j] = v[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Overriding the parameters..."
        reference.create_valid(probe).construct()._dump_text(dump_path)
    with open(dump_path) as file:
        rows = file.read().splitlines()[-n_probe:]
    text = " ".join(rows).replace("NA", "-1").replace(",", " ")
    bins = np.array(text.split(), dtype=np.int64).reshape(n_probe, len(columns))
    return [bins[: len(v), j] for j, v in enumerate(columns)]


def bin_sample(X, lengths, size, seed):
    """About ``size`` rows of a Dask array or DataFrame, every row when there are at
    most ``size``: each block keeps each row with probability ``size / n`` (seeded
    per block), computed into one NumPy array or DataFrame here."""
    import dask

    from .._dask import _blocks, concat_rows

    n = sum(lengths)
    fraction = 1.0 if size >= n else size / n
    take = dask.delayed(_sample_rows, pure=False)
    picked = dask.compute(*[take(b, fraction, seed, i) for i, b in enumerate(_blocks(X))])
    return concat_rows(picked)


def _sample_rows(block, fraction, seed, index):
    if fraction >= 1.0:
        return block
    keep = np.random.default_rng([seed, index]).random(len(block)) < fraction
    return block[keep] if not hasattr(block, "iloc") else block.iloc[np.flatnonzero(keep)]


class BinCodes:
    """Each numeric value replaced by its bin's number under LightGBM's in-memory
    bins, and the trees' thresholds on those numbers mapped back.

    Code ``k`` (1, 2, ...) is the ``k``-th bin (NaN stays NaN). Every coded feature
    shares one list of forced bounds, ``1.5, 2.5, ...``: LightGBM's distributed bin
    finding reads a worker's ``i``-th feature's forced bounds at position ``i``
    instead of its global position (``forced_bin_bounds[i]`` in
    ``DatasetLoader::ConstructFromSampleData``), so bounds that differ per feature
    would land on the wrong features. Codes start at 1 so that no bin is LightGBM's
    zero bin; the empty bin below them costs one more ``max_bin``.
    """

    def __init__(self, columns, bounds, ranges, max_bin):
        self.columns = columns  # positions of the coded columns
        self.bounds = bounds  # each column's bin upper bounds, +inf last
        self.ranges = ranges  # each column's (min, max) in the sample
        self.max_bin = max_bin

    def forced_bins(self, n_features):
        """The forced-bins file's content: the same code bounds for every feature
        (LightGBM ignores them on categorical ones)."""
        shared = [k + 0.5 for k in range(1, self.max_bin)]
        return [{"feature": j, "bin_upper_bound": shared} for j in range(n_features)]

    def encode_block(self, block):
        """``block`` (NumPy or pandas) with its coded columns as bin numbers."""
        if hasattr(block, "iloc"):
            block = block.copy()
            for j, bounds in zip(self.columns, self.bounds, strict=True):
                name = block.columns[j]
                block[name] = _codes(_floats(block[[name]], [0])[:, 0], bounds)
            return block
        block = np.array(block, dtype=np.float64)
        for j, bounds in zip(self.columns, self.bounds, strict=True):
            block[:, j] = _codes(block[:, j], bounds)
        return block

    def encode(self, X):
        """A Dask array or DataFrame coded block by block."""
        if hasattr(X, "map_partitions"):
            meta = self.encode_block(X._meta)
            return X.map_partitions(self.encode_block, meta=meta)
        return X.map_blocks(self.encode_block, dtype=np.float64)

    def rewrite(self, text):
        """LightGBM model text trained on codes, with the real thresholds and value
        ranges of the coded features (numeric splits; categorical ones untouched)."""
        where = dict(zip(self.columns, range(len(self.columns)), strict=True))
        lines, features = [], None
        for line in text.split("\n"):
            if line.startswith("tree_sizes="):
                continue  # the edited trees' sizes differ; LightGBM parses without
            if line.startswith("[forcedbins_filename: "):
                line = "[forcedbins_filename: ]"  # the fit's file, gone
            elif line.startswith("[max_bin: "):
                line = f"[max_bin: {self.max_bin}]"
            if line.startswith("feature_infos="):
                infos = line[len("feature_infos=") :].split(" ")
                for j, i in where.items():
                    if infos[j] != "none":
                        low, high = self.ranges[i]
                        infos[j] = f"[{low!r}:{high!r}]"
                line = "feature_infos=" + " ".join(infos)
            elif line.startswith("split_feature="):
                features = [int(f) for f in line[len("split_feature=") :].split()]
            elif line.startswith("decision_type="):
                kinds = [int(d) for d in line[len("decision_type=") :].split()]
                thresholds = lines[-1][len("threshold=") :].split()
                for n, (feature, kind) in enumerate(zip(features, kinds, strict=True)):
                    if feature in where and not kind & 1:  # bit 0: categorical
                        bounds = self.bounds[where[feature]]
                        code = int(round(float(thresholds[n]) - 0.5))
                        thresholds[n] = repr(float(bounds[code - 1]))
                lines[-1] = "threshold=" + " ".join(thresholds)
            lines.append(line)
        return "\n".join(lines)


def _codes(values, bounds):
    codes = np.searchsorted(bounds, values, side="left") + 1.0
    codes[np.isnan(values)] = np.nan
    return codes


def find_codes(X, params):
    """:class:`BinCodes` of LightGBM's in-memory bins of ``X``'s numeric columns, or
    None when a column's bins cannot be read back exactly (then LightGBM's own
    per-worker bins are used)."""
    numeric = numeric_columns(X, params)
    values = _floats(X, numeric)
    bounds, n_bins = _bounds(numeric, values, params)
    columns, full, ranges = [], [], []
    for j in sorted(bounds):
        column = values[:, numeric.index(j)]
        present = column[~np.isnan(column)]
        # LightGBM's own bounds around its zero bin, where there are values beside it
        zeros = [
            b
            for b, side in ((-_ZERO, present < -_ZERO), (_ZERO, present > _ZERO))
            if side.any()
        ]
        edges = sorted(bounds[j] + zeros) + [np.inf]
        nan_bin = len(present) < len(column) and _param(params, ("use_missing",), True)
        if len(edges) + bool(nan_bin) != n_bins[j]:
            return None
        columns.append(j)
        full.append(np.array(edges))
        ranges.append((float(present.min()), float(present.max())))
    max_bin = int(_param(params, _BIN_PARAMS["max_bin"], 255))
    return BinCodes(columns, full, ranges, max_bin)


@contextmanager
def global_bins(client, X, lengths, params, seed=0):
    """LightGBM's in-memory bins for a fit on the cluster: yields ``(X, params,
    codes)``.

    ``X`` coded by :class:`BinCodes` and ``params`` with the shared code bounds forced
    on every worker (``forcedbins_filename``, a file written to each worker's
    temporary directory and removed after the fit) and ``max_bin`` one more; rewrite
    the fitted model with ``codes.rewrite``. Yields ``(X, params, None)`` (LightGBM's
    own per-worker bins) when the student sets bins or options codes would change
    (``forcedbins_filename``, ``max_bin_by_feature``, ``linear_tree``,
    ``zero_as_missing``, ``use_missing=False``), when there is no numeric column or
    no client, or, with a warning, when the bins cannot be shared.
    """
    if client is None or not _codable(params):
        yield X, params, None
        return
    size = int(_param(params, _SAMPLE_CNT, _DEFAULT_SAMPLE))
    try:
        codes = find_codes(bin_sample(X, lengths, size, seed), params)
    except AttributeError:  # a LightGBM without Dataset._dump_text, which reads bins
        codes = None
    if codes is None or not codes.columns:
        if codes is None:
            _warn_worker_bins("a feature's bins could not be read back from LightGBM")
        yield X, params, None
        return
    n_features = len(X.columns) if hasattr(X, "columns") else X.shape[1]
    name = f"skdistill-bins-{uuid.uuid4().hex}.json"
    text = json.dumps(codes.forced_bins(n_features))
    paths = set(client.run(_write_bins, name, text).values())
    try:
        if len(paths) != 1:
            _warn_worker_bins("the workers have different temporary directories")
            yield X, params, None
        else:
            fit_params = {
                **params,
                "forcedbins_filename": paths.pop(),
                "max_bin": codes.max_bin + 1,
            }
            fit_params.pop("max_bins", None)
            yield codes.encode(X), fit_params, codes
    finally:
        client.run(_remove_bins, name)


def _codable(params):
    if any(params.get(key) is not None for key in _USER_BINS):
        return False
    if _param(params, ("linear_tree", "linear_trees"), False):
        return False
    if _param(params, ("zero_as_missing",), False):
        return False
    return bool(_param(params, ("use_missing",), True))


def _warn_worker_bins(reason):
    warnings.warn(
        f"LightGBM's in-memory bins could not be used on the cluster ({reason}); "
        "each feature's bins come from one worker's rows (LightGBM's default), so "
        "the student can differ from the in-memory one. Set "
        "DaskStrategy(bins='worker') to silence this.",
        DistillationWarning,
        stacklevel=4,
    )


def _write_bins(name, text):
    """Write ``text`` to ``name`` in this process's temporary directory, atomically
    (workers of one machine write the same file)."""
    path = os.path.join(tempfile.gettempdir(), name)
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".part-")
    with os.fdopen(handle, "w") as file:
        file.write(text)
    os.replace(partial, path)
    return path


def _remove_bins(name):
    try:
        os.remove(os.path.join(tempfile.gettempdir(), name))
    except FileNotFoundError:  # another worker of this machine removed it
        pass
