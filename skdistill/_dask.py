"""Dask collections: teacher logits partition by partition, and the Dask fit route.

Nothing here imports dask at module level: a Dask collection is recognised by duck
typing (``_validation.is_dask_collection``), and dask/distributed are imported inside the
functions that run only once one was given.

The teacher travels to the workers once: scattered to every worker
(``client.scatter(teacher, broadcast=True)``) when a distributed ``Client`` is
active, otherwise as one object in the task graph that every block depends on; it
is never pickled into each task. Each block of rows is labeled by
``_teacher._raw_logits``, the function that labels in-memory batches, so Dask and
in-memory logits are the same numbers.
"""

import sys
import warnings
from dataclasses import dataclass

import numpy as np

from ._ensemble import TeacherEnsemble
from ._rows import labeled_mask
from ._targets import UNLABELED, blend, soften, softmax
from ._teacher import _raw_logits, resolve_response_method, teacher_classes
from ._validation import is_dask_collection, is_fitted, name_of
from .exceptions import DistillationWarning

__all__ = [
    "DaskRows",
    "active_client",
    "dask_teacher_logits",
    "fit_dask",
    "row_chunks",
    "share",
]

#: Rows of the teacher-labeled sample of students without a distributed trainer,
#: and of the rows the map back to temperature 1 is fitted on.
DEFAULT_SAMPLE_SIZE = 100_000


def _is_frame(X):
    """A Dask DataFrame or Series (partitions), as opposed to a Dask array (blocks)."""
    return hasattr(X, "divisions") and hasattr(X, "to_delayed")


def active_client():
    """The active ``distributed.Client``; None without distributed or a client."""
    if "distributed" not in sys.modules:
        return None
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        return None


def share(obj):
    """``obj`` as something every block of a graph can depend on, shipped once.

    A future of ``obj`` scattered to every worker when a distributed client is active,
    else one delayed object in the graph.
    """
    client = active_client()
    if client is not None:
        return client.scatter(obj, broadcast=True, hash=False)
    import dask

    return dask.delayed(obj, pure=False)


def row_chunks(X):
    """Rows per block/partition of ``X`` (a tuple), computed once when unknown."""
    if _is_frame(X):
        return tuple(int(n) for n in X.map_partitions(len).compute().tolist())
    chunks = X.chunks[0]
    if all(np.isfinite(chunks)):
        return tuple(int(n) for n in chunks)
    import dask.array as da

    counts = da.map_blocks(
        lambda block: np.array([block.shape[0]]),
        X if X.ndim == 1 else X[:, :1],
        chunks=((1,) * len(chunks),),
        drop_axis=list(range(1, X.ndim)),
        dtype=np.int64,
    )
    return tuple(int(n) for n in counts.compute().tolist())


def _blocks(X):
    """The blocks (rows, all columns) of a Dask array or DataFrame, in order, to
    compute together: slices ``X.blocks[i]`` of an array, delayed partitions of a
    frame (``to_delayed()``, optimized; the frame's logits and labels are its own
    expressions, ``map_partitions`` and ``to_dask_array``, never delayed partitions).

    Not an array's unoptimized ``to_delayed(optimize_graph=False)``: its blocks
    carry X's raw graph, and a block key sent raw while a graph sending it fused
    still runs (an async persist, a trainer's) gets two task specs on the scheduler,
    which deadlocks (dask/dask#9888)."""
    if _is_frame(X):
        return list(X.to_delayed())
    return [X.blocks[i] for i in range(X.numblocks[0])]


def _with_row_chunks(array, lengths):
    """``array`` (same graph, same keys) told its rows per block, known now."""
    import dask.array as da

    return da.Array(
        array.__dask_graph__(),
        array.name,
        (tuple(lengths),) + tuple(array.chunks[1:]),
        meta=array._meta,
    )


def _block_logits(block, teacher, method, n_classes):
    if block.shape[0] == 0:
        return np.empty((0, n_classes))
    return _raw_logits(teacher, block, method)


def _frame_logits(frame, teacher, method, n_classes):
    import pandas as pd

    return pd.DataFrame(_block_logits(frame, teacher, method, n_classes), index=frame.index)


def dask_teacher_logits(teacher, X, response_method="auto", *, lengths=None):
    """Lazy logits of a fitted teacher for a Dask array or DataFrame ``X``.

    One task per block/partition of ``X``; the teacher is shared once (see
    :func:`share`). Rows per block are ``lengths`` when given, else ``X``'s own
    (unknown, NaN, for a DataFrame: ``compute_chunk_sizes()`` on the result finds them).

    Returns
    -------
    logits : dask.array.Array of shape (n_samples, n_classes)
    method : str
    """
    method = resolve_response_method(teacher, response_method)
    n_classes = len(teacher_classes(teacher))
    if getattr(X, "ndim", 2) != 2:
        raise ValueError(
            f"X must be 2-D (rows, features), got a Dask collection of {X.ndim} "
            "dimension(s). Reshape it, e.g. X.reshape(-1, 1) for one feature."
        )
    shared = share(teacher)
    if _is_frame(X):
        # The frame's own expressions (map_partitions), not its delayed partitions:
        # one form of each key on the scheduler (see ``_blocks``).
        import pandas as pd

        frame = X.map_partitions(
            _frame_logits,
            shared,
            method,
            n_classes,
            meta=pd.DataFrame(np.empty((0, n_classes)), columns=range(n_classes)),
            enforce_metadata=False,
        )
        return frame.to_dask_array(lengths=lengths), method
    # A blockwise task per block, not delayed blocks (see ``_blocks``).
    X = X.rechunk({1: -1})
    if lengths is not None and tuple(lengths) != X.chunks[0]:
        X = _with_row_chunks(X, lengths)
    logits = X.map_blocks(
        _block_logits,
        shared,
        method,
        n_classes,
        chunks=(X.chunks[0], (n_classes,)),
        dtype=np.float64,
        meta=np.empty((0, n_classes)),
    )
    return logits, method


# -- the Dask fit route of DistilledClassifier -------------------------------------------


def _as_rows(values, lengths, name, X_name="X"):
    """``values`` (a Dask array/Series) as a 1-D Dask array chunked like X's rows."""
    if values is None:
        return None
    if not is_dask_collection(values):
        raise TypeError(
            f"X is a Dask collection but {name} is a {type(values).__name__}: both must "
            f"be Dask collections with the same rows. Build {name} from the same frame "
            f"(ddf['label'] next to ddf.drop(columns='label')) or wrap it with "
            f"dask.array.from_array({name}, chunks=(X.chunks[0],)) for a Dask array X "
            f"(dask.dataframe.from_pandas(...) with the partitions of X for a frame)."
        )
    if _is_frame(values):
        if getattr(values, "ndim", 1) == 2:
            if len(values.columns) != 1:
                raise ValueError(
                    f"{name} must be one column, got a frame of {len(values.columns)}."
                )
            values = values[values.columns[0]]
        own = row_chunks(values)
        array = values.to_dask_array(lengths=own)
    else:
        array = values
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {array.shape}.")
        own = row_chunks(array)
        if own != array.chunks[0]:
            array = _with_row_chunks(array, own)
    if sum(own) != sum(lengths):
        raise ValueError(
            f"{X_name} has {sum(lengths)} rows but {name} has {sum(own)}; they must be "
            "sample-aligned. Check that both come from the same rows (no filter or "
            "drop applied to one of them only)."
        )
    if own != tuple(lengths):
        array = array.rechunk((tuple(lengths),))  # same rows, other partitions
    return array


def _encode_block(y, classes, marker):
    """Index of each label in ``classes`` (``UNLABELED`` for ``marker``), checked."""
    y = np.asarray(y)
    out = np.full(len(y), UNLABELED, dtype=np.intp)
    labeled = labeled_mask(y, marker, classes)  # a marker that is a class is a label
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    codes = np.array([lookup.get(v, -2) for v in y[labeled].tolist()], dtype=np.intp)
    if np.any(codes == -2):
        unknown = sorted(
            {v for v, c in zip(y[labeled].tolist(), codes, strict=True) if c == -2}
        )
        raise ValueError(
            f"y contains label(s) {unknown[:5]!r} that the teacher does not know; it "
            f"was fitted on classes {classes.tolist()!r}. Encode y like the teacher's "
            "training labels, or set unlabeled_label to the marker of unlabeled rows."
        )
    out[labeled] = codes
    return out


def _targets_block(logits, y_index, temperature, alpha):
    return blend(soften(logits, temperature), np.ravel(y_index), alpha)


def _targets_at_one_block(logits, y_index, alpha):
    return blend(softmax(logits), np.ravel(y_index), alpha)


def _weight_block(y_index, weight, alpha):
    row = np.where(y_index == UNLABELED, float(alpha), 1.0)
    return row if weight is None else row * weight


@dataclass
class DaskRows:
    """Training rows on the cluster: Dask ``X`` and sample-aligned lazy targets.

    ``logits`` (n, K), ``y_index`` (n,) and ``weight`` (n,, the sample weight times
    the row's weight in the loss) are Dask arrays chunked by ``lengths``, the rows
    of each block/partition of ``X``.
    """

    X: object
    logits: object
    y_index: object
    weight: object
    lengths: tuple
    classes: np.ndarray
    temperature: float
    alpha: float
    #: the seed and rows of the sample the map back to temperature 1 is fitted on,
    #: when a route draws it while streaming (``rows.sample(size, map_seed)``)
    map_seed: object = None
    map_sample: tuple = None

    @property
    def n_classes(self):
        return len(self.classes)

    @property
    def proba(self):
        """The blended targets ``q`` (n, K), lazily."""
        return self.logits.map_blocks(
            _targets_block,
            self.y_index[:, None],  # a column: blocks align on rows
            self.temperature,
            self.alpha,
            dtype=np.float64,
        )

    @property
    def proba_at_one(self):
        return self.logits.map_blocks(
            _targets_at_one_block, self.y_index[:, None], self.alpha, dtype=np.float64
        )

    def sample(self, size, seed):
        """About ``size`` rows, stratified by class within each block (see
        :func:`stratified_take`; seeded per block), as NumPy arrays: X, y_index,
        logits, weight."""
        import dask

        n = sum(self.lengths)
        fraction = 1.0 if size >= n else size / n
        parts = zip(
            _blocks(self.X),
            _blocks(self.logits),
            _blocks(self.y_index),
            _blocks(self.weight),
            strict=True,
        )
        # impure: a new key per call, so that two samples of the same rows never
        # send one key in two forms (dask/dask#9888)
        take = dask.delayed(_sample_block, pure=False)
        picked = dask.compute(
            *[take(*part, fraction, seed, i) for i, part in enumerate(parts)]
        )
        return _joined_sample(picked)


def concat_rows(parts):
    """Computed blocks of ``X`` (NumPy arrays or pandas frames) as one."""
    if hasattr(parts[0], "iloc"):
        import pandas as pd

        return pd.concat(parts)
    return np.concatenate(parts)


def _joined_sample(picked):
    """The ``(X, logits, y_index, weight)`` picks of the blocks as one sample: X,
    y_index, logits, weight."""
    X_parts, logit_parts, y_parts, weight_parts = zip(*picked, strict=True)
    return (
        concat_rows(X_parts),
        np.concatenate(y_parts),
        np.concatenate(logit_parts),
        np.concatenate(weight_parts),
    )


def stratified_take(y_index, fraction, rng):
    """Positions of a sample of ``fraction`` of each class's rows (unlabeled rows are
    a class), in order: ``floor(fraction * n_k + u)`` rows of class ``k`` (``u``
    uniform in [0, 1)), drawn without replacement, so each class keeps its share to
    within one row and exactly in expectation."""
    keep = []
    for k in np.unique(y_index):
        rows = np.flatnonzero(y_index == k)
        n_take = int(np.floor(fraction * len(rows) + rng.random()))
        keep.append(rng.choice(rows, size=min(n_take, len(rows)), replace=False))
    return np.sort(np.concatenate(keep)) if keep else np.empty(0, dtype=np.intp)


def _sample_block(X, logits, y_index, weight, fraction, seed, index):
    if fraction < 1.0:
        rng = np.random.default_rng([0 if seed is None else seed, index])
        keep = stratified_take(np.asarray(y_index), fraction, rng)
        X = X.iloc[keep] if hasattr(X, "iloc") else X[keep]
        logits, y_index, weight = logits[keep], y_index[keep], weight[keep]
    return X, logits, y_index, weight


def _dask_rows(distiller, X, y, sample_weight, teacher_logits):
    """Check the Dask inputs and build the lazy training rows; return (rows, teacher,
    response method)."""
    import dask.array as da

    if getattr(X, "ndim", 2) != 2:
        raise ValueError(f"X must be 2-D (rows, features), got {X.ndim} dimension(s).")
    lengths = row_chunks(X)
    if sum(lengths) == 0:
        raise ValueError("X has no rows (every partition is empty); pass rows to fit.")
    y = _as_rows(y, lengths, "y")
    weight = _as_rows(sample_weight, lengths, "sample_weight")
    teacher = distiller.teacher
    if isinstance(teacher, str):  # "precomputed"
        if teacher_logits is None:
            raise ValueError(
                "teacher='precomputed' but fit got no teacher_logits. Compute them once "
                "with skdistill.compute_teacher_logits(teacher, X) and pass "
                "fit(X, y, teacher_logits=logits)."
            )
        teacher, classes = None, np.unique(y.compute())
        if distiller.unlabeled_label is not None:
            classes = classes[classes != distiller.unlabeled_label]
        if len(classes) == 0:
            raise ValueError(
                "teacher='precomputed' takes the classes from the labeled rows of y, "
                f"but every row is unlabeled ({distiller.unlabeled_label!r}). Pass the "
                "fitted teacher itself, with the logits if you have them: "
                "DistilledClassifier(teacher, ...).fit(X, y, teacher_logits=logits)."
            )
    else:
        if not is_fitted(teacher):
            raise ValueError(
                f"The teacher {name_of(teacher)} is not fitted, and fitting a teacher on "
                "a Dask collection inside fit is not supported. Fit it first, on a "
                "sample (teacher.fit(X_sample, y_sample)) or with a Dask trainer "
                "(lightgbm.DaskLGBMClassifier(...).fit(X, y).to_local()), and pass it "
                "fitted."
            )
        classes = teacher_classes(teacher)
    n_classes = len(classes)
    if teacher_logits is not None:
        if not is_dask_collection(teacher_logits):
            teacher_logits = da.from_array(np.asarray(teacher_logits, float))
        if teacher_logits.ndim != 2 or teacher_logits.shape[1] != n_classes:
            raise ValueError(
                f"teacher_logits must have shape (n_samples, {n_classes}), got "
                f"{teacher_logits.shape}. Pass compute_teacher_logits(teacher, X)."
            )
        logits, method = _as_matrix_rows(teacher_logits, lengths), "precomputed"
    else:
        method = "auto" if isinstance(teacher, TeacherEnsemble) else None
        logits, method = dask_teacher_logits(
            teacher, X, method or distiller.response_method, lengths=lengths
        )
    y_index = y.map_blocks(_encode_block, classes, distiller.unlabeled_label, dtype=np.intp)
    row_weight = (
        y_index.map_blocks(_weight_block, None, float(distiller.alpha), dtype=float)
        if weight is None
        else y_index.map_blocks(_weight_block, weight, float(distiller.alpha), dtype=float)
    )
    rows = DaskRows(
        X,
        logits,
        y_index,
        row_weight,
        lengths,
        np.asarray(classes),
        float(distiller.temperature),
        float(distiller.alpha),
    )
    return rows, teacher, method


def _as_matrix_rows(logits, lengths):
    """Precomputed Dask logits, checked against X's rows and chunked like them."""
    own = row_chunks(logits)
    if sum(own) != sum(lengths):
        raise ValueError(
            f"teacher_logits has {sum(own)} rows but X has {sum(lengths)}; compute them "
            "for the same rows: compute_teacher_logits(teacher, X)."
        )
    if own != logits.chunks[0]:
        logits = _with_row_chunks(logits, own)
    logits = logits.rechunk({1: -1})
    return logits if own == tuple(lengths) else logits.rechunk((tuple(lengths), -1))


def _refuse_unsupported(distiller, fit_params):
    options = {
        "student_features": distiller.student_features is None,
        "teacher_cv": distiller.teacher_cv is None,
        "memory": distiller.memory is None,
    }
    bad = [name for name, fine in options.items() if not fine]
    if bad or fit_params:
        raise ValueError(
            f"{bad + sorted(fit_params)} are not supported when X is a Dask collection. "
            "Select the student's columns in X; persist the teacher's logits "
            "(compute_teacher_logits(teacher, X).persist()) and pass them as "
            "teacher_logits instead of memory."
        )


def fit_dask(distiller, X, y, sample_weight=None, teacher_logits=None, **fit_params):
    """``DistilledClassifier.fit`` for Dask collections; see ``strategies.DaskStrategy``.

    The teacher labels the rows on the cluster; a Dask LightGBM/XGBoost student is
    trained on the cluster, any other student on a teacher-labeled sample (or streamed
    through ``partial_fit``). The fitted distiller holds the local student.
    """
    from ._seeding import RandomStreams
    from .strategies import resolve_strategy
    from .strategies._dask import DaskStrategy

    _refuse_unsupported(distiller, fit_params)
    rows, teacher, method = _dask_rows(distiller, X, y, sample_weight, teacher_logits)
    streams = RandomStreams(distiller.random_state)
    rows, n_transfer = _with_transfer_rows(distiller, rows, teacher, method, streams)
    student = distiller._make_student(streams)
    strategy = distiller.strategy
    if not isinstance(strategy, DaskStrategy):
        dask_strategy = DaskStrategy(local_strategy=strategy)
        if strategy == "dask" or (strategy == "auto" and DaskStrategy.accepts(student)):
            dask_strategy = DaskStrategy()
        strategy = dask_strategy
    else:
        strategy = resolve_strategy(strategy, student)
    strategy = streams.seeded(strategy, "strategy")
    route = strategy.route_for(student)
    if route == "sample":
        _fit_on_sample(distiller, strategy, student, rows, teacher, streams)
    else:
        if route == "cluster":  # the prior, the training and the map: labeled once
            rows = _persisted(rows)
        rows.map_seed = streams.seed("map")  # the partial_fit route streams: no persist
        local = strategy.fit(student, rows.X, rows).local_
        if distiller.alpha > 0 and local.has_method("predict_proba", local.student_):
            _warn_calibration(distiller)
            sample = rows.map_sample or rows.sample(strategy.sample_size, rows.map_seed)
            local.set_output_map(*_fit_map(local, sample, rows.alpha))
        distiller.strategy_ = local
        distiller.student_ = local.student_
    _set_fitted(distiller, X, teacher, method, rows)
    distiller.n_transfer_ = n_transfer
    return distiller


def transfer_seed_rows(rows, size, seed):
    """The in-memory rows a transfer sampler imitates on the Dask route, and their
    labels: every training row when there are at most ``size``, else about ``size``
    stratified by class (seeded)."""
    X, y_index, _, _ = rows.sample(size, seed)
    return X, y_index


def _with_transfer_rows(distiller, rows, teacher, method, streams):
    """``rows`` followed by the lazily generated rows of ``transfer_set`` (labeled by
    the teacher alone, weighing ``alpha`` times the sampler's ``weight``), and their
    count. The sampler imitates :func:`transfer_seed_rows`; the rows come from
    :func:`skdistill.transfer.sample_dask` with the distiller's "transfer" stream, in
    partitions the size of X's largest."""
    import dask.array as da

    from .transfer import resolve_transfer_set, sample_dask, transfer_count

    if distiller.transfer_set is None or distiller.alpha == 0:
        return rows, 0
    sampler = resolve_transfer_set(distiller.transfer_set)
    if hasattr(sampler, "_validate_params"):
        sampler._validate_params()
    n_real = sum(rows.lengths)
    n_new = transfer_count(getattr(sampler, "size", 1.0), n_real)
    if n_new == 0:
        return rows, 0
    if teacher is None:
        raise ValueError(
            "transfer_set needs the teacher to label the new rows, but "
            "teacher='precomputed'. Pass the teacher itself."
        )
    if _is_frame(rows.X):
        raise TypeError(
            "transfer_set on a Dask DataFrame X is not supported. Generate the rows "
            "with skdistill.transfer.sample_dask(sampler, X_sample, n_rows) and append "
            "them with dask.dataframe.concat, with y == unlabeled_label, or pass a Dask "
            "array X."
        )
    seed_X, seed_y = transfer_seed_rows(
        rows, DEFAULT_SAMPLE_SIZE, streams.seed("transfer", "rows")
    )
    X_new = sample_dask(
        sampler,
        seed_X.astype(rows.X.dtype, copy=False),
        n_new,
        chunks=max(rows.lengths),
        random_state=streams.seed("transfer"),
        y=seed_y,
    )
    new_lengths = X_new.chunks[0]
    if method == "precomputed":  # the given logits came with the teacher itself
        ensemble = isinstance(teacher, TeacherEnsemble)
        method = "auto" if ensemble else distiller.response_method
    logits, _ = dask_teacher_logits(teacher, X_new, method, lengths=new_lengths)
    weight = getattr(sampler, "weight", 1.0)
    weight = n_real / n_new if weight == "balanced" else float(weight)
    rows.X = da.concatenate([rows.X, X_new])
    rows.logits = da.concatenate([rows.logits, logits])
    rows.y_index = da.concatenate(
        [rows.y_index, da.full(n_new, UNLABELED, chunks=(new_lengths,), dtype=np.intp)]
    )
    rows.weight = da.concatenate(
        [
            rows.weight,
            da.full(n_new, rows.alpha * weight, chunks=(new_lengths,), dtype=float),
        ]
    )
    rows.lengths = tuple(rows.lengths) + tuple(new_lengths)
    return rows, n_new


def _persisted(rows):
    """The targets persisted on the cluster (labeled once for the prior, the
    training and the map), when a distributed client is active; ``X`` stays lazy.
    Cluster route only: its trainers hold their rows in the workers' memory anyway,
    while the ``partial_fit`` route streams (K + 2 floats a row would grow with the
    rows)."""
    client = active_client()
    if client is None:
        return rows
    logits, y_index, weight = client.persist([rows.logits, rows.y_index, rows.weight])
    rows.logits, rows.y_index, rows.weight = logits, y_index, weight
    return rows


def _warn_calibration(distiller):
    if distiller.calibration_cv != "train":
        warnings.warn(
            f"calibration_cv={distiller.calibration_cv!r} would refit the student per "
            "fold, which the Dask route does not do: the map back to temperature 1 is "
            f"fitted on the student's outputs on (up to {DEFAULT_SAMPLE_SIZE}) training "
            "rows, as calibration_cv='train' does. Pass calibration_cv='train' to say so.",
            DistillationWarning,
            stacklevel=4,
        )


def _fit_map(strategy, sample, alpha):
    """The map back to temperature 1, on the student's outputs on sampled rows."""
    from .strategies import fit_output_map

    X, y_index, logits, weight = sample
    target = _targets_at_one_block(logits, y_index, alpha)
    tempered = strategy.tempered_logits(X)
    return fit_output_map(tempered, target, weight, smoothing=strategy._smooths())


def _fit_on_sample(distiller, strategy, student, rows, teacher, streams):
    """Students without a distributed trainer: the in-memory distiller on a sample,
    with the sampled logits given; the fitted teacher itself (when there is one)
    gives the classes, so a sample of unlabeled rows alone (a transfer set) fits."""
    from sklearn.base import clone

    X, y_index, logits, weight = rows.sample(strategy.sample_size, streams.seed("sample"))
    if rows.alpha == 0 and np.all(y_index == UNLABELED):
        raise ValueError(
            "Every sampled row is unlabeled, and alpha=0 gives such rows weight 0: "
            "nothing to fit. Raise alpha (the teacher's share) or pass labeled rows."
        )
    if len(y_index) < 2:
        raise ValueError(
            f"The sample of the teacher-labeled rows has {len(y_index)} row(s); raise "
            "sample_size (DaskStrategy(sample_size=...)) or pass more rows."
        )
    marker = UNLABELED if distiller.unlabeled_label is None else distiller.unlabeled_label
    y = np.where(y_index == UNLABELED, marker, rows.classes[np.maximum(y_index, 0)])
    labeled = y_index != UNLABELED
    if labeled.all():
        y = rows.classes[y_index]
    elif rows.classes.dtype.kind not in "biuf":  # labels and the marker: one array
        y = y.astype(object)
    local = clone(distiller).set_params(
        teacher="precomputed" if teacher is None else teacher,
        transfer_set=None,  # its rows, if any, are in the sample
        student=student,
        strategy=strategy.local_strategy,
        unlabeled_label=None if labeled.all() else marker,
    )
    local.fit(X, y, sample_weight=_sample_weight(weight, y_index, rows.alpha),
              teacher_logits=logits)  # fmt: skip
    if not np.array_equal(local.classes_, rows.classes):  # a class missing in the sample
        raise ValueError(
            f"The sample of {len(y)} rows misses class(es) "
            f"{sorted(set(rows.classes.tolist()) - set(local.classes_.tolist()))}; raise "
            "sample_size (DaskStrategy(sample_size=...))."
        )
    distiller.strategy_ = local.strategy_
    distiller.student_ = local.student_
    strategy.sampled_rows_ = len(y)


def _sample_weight(weight, y_index, alpha):
    """Sample weights of the sampled rows without the loss weight of unlabeled rows
    (the in-memory distiller applies it again)."""
    row = np.where(y_index == UNLABELED, alpha, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(row > 0, weight / np.where(row > 0, row, 1.0), 0.0)
    return None if np.all(own == 1.0) else own


def _set_fitted(distiller, X, teacher, method, rows):
    distiller.teacher_ = teacher
    distiller.response_method_ = method
    distiller.classes_ = rows.classes
    distiller.n_features_in_ = int(X.shape[1])
    if _is_frame(X):
        names = np.asarray(X.columns, dtype=object)
        if all(isinstance(name, str) for name in names):
            distiller.feature_names_in_ = names
    distiller.student_features_ = None
    distiller.n_unlabeled_ = int(
        (rows.y_index[: sum(row_chunks(X))] == UNLABELED).sum().compute()
    )
    distiller._set_nan_policy(distiller.student_)
