"""Transfer sets as Dask collections: rows generated partition by partition, lazily.

Nothing here imports dask at module level.
"""

from numbers import Integral

import numpy as np

from .._seeding import RandomStreams
from ._base import _is_dataframe, check_n_rows
from ._registry import resolve_transfer_set

__all__ = ["partition_seed", "sample_dask"]


def partition_seed(random_state, index):
    """The seed partition ``index`` of :func:`sample_dask` samples with.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        The ``random_state`` given to :func:`sample_dask` (None gives None: the
        partition draws fresh randomness each time it is computed).
    index : int
        Position of the partition.

    Returns
    -------
    seed : int or None

    Examples
    --------
    >>> from skdistill.transfer import partition_seed
    >>> partition_seed(0, 3) == partition_seed(0, 3) != partition_seed(0, 4)
    True
    """
    return RandomStreams(random_state).seed("transfer", "partition", str(int(index)))


def _partition_sizes(n_rows, chunks):
    if isinstance(chunks, Integral) and not isinstance(chunks, bool):
        if chunks < 1:
            raise ValueError(f"chunks must be >= 1 rows per partition; got {chunks}.")
        full, rest = divmod(n_rows, int(chunks))
        return (int(chunks),) * full + ((rest,) if rest else ())
    sizes = tuple(int(n) for n in chunks)
    if any(n < 0 for n in sizes) or sum(sizes) != n_rows:
        raise ValueError(
            f"chunks {sizes[:5]}{'...' if len(sizes) > 5 else ''} must be non-negative "
            f"rows per partition that add up to n_rows={n_rows}; got {sum(sizes)}. Pass "
            "one integer (rows per partition) to let sample_dask split n_rows."
        )
    return sizes


def _sample_partition(sampler, X, n, seed, y):
    return sampler.sample(X, n, random_state=seed, y=y)


def sample_dask(sampler, X, n_rows, *, chunks=100_000, random_state=None, y=None):
    """Generate a transfer set as a lazy Dask collection, one seeded partition at a time.

    Partition ``i`` holds ``sampler.sample(X, n_i, random_state=partition_seed(
    random_state, i), y=y)``: the rows an in-memory call with that seed gives, so the
    same ``random_state`` gives the same rows whatever the scheduler, the number of
    workers or the order partitions are computed in. Nothing is generated until the
    collection is computed, and each partition is generated where it is used, so a
    transfer set larger than the cluster's memory streams through teacher labeling
    (:func:`skdistill.compute_teacher_logits`) and training. ``X`` (the rows to
    imitate, in memory: the training rows or a sample of them) is shipped to the
    workers once: scattered to every worker when a distributed client is active
    while the collection is built (a DataFrame ``X`` is otherwise in the graph of
    each partition, built by ``dask.dataframe.from_map``).

    Parameters
    ----------
    sampler : str, sampler or callable
        A transfer set as ``DistilledClassifier(transfer_set=...)`` takes it (a name
        such as ``"gaussian"``, a sampler of :mod:`skdistill.transfer`, or a
        function ``func(X, n, random_state)``). Its ``size`` is ignored: ``n_rows``
        says how many rows.
    X : {ndarray, DataFrame} of shape (n_samples, n_features)
        The in-memory rows to imitate. Samplers that fit something on ``X``
        (MUNGE's and MinorityOversampler's nearest neighbours) fit it once per
        partition: keep ``X`` to a sample of some 10^4-10^5 rows.
    n_rows : int
        Rows to generate in all.
    chunks : int or sequence of int, default=100_000
        Rows per partition (the last one smaller), or the rows of each partition.
    random_state : int, RandomState instance or None, default=None
        Seed of every partition (see :func:`partition_seed`); None is not
        reproducible.
    y : array-like of shape (n_samples,), default=None
        Labels of ``X`` (``-1`` for unlabeled rows), for samplers that use them.

    Returns
    -------
    X_new : dask.array.Array or dask.dataframe.DataFrame of shape (n_rows, n_features)
        A Dask array of ``X``'s dtype chunked by ``chunks``, or, for a DataFrame
        ``X``, a Dask DataFrame with ``X``'s columns and dtypes.

    See Also
    --------
    skdistill.DistilledClassifier : With a Dask ``X`` and a ``transfer_set``, it
        generates its transfer rows with this function.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import GaussianJitter, sample_dask
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> X_new = sample_dask(GaussianJitter(), X, 250, chunks=100, random_state=0)
    >>> X_new.chunks[0]
    (100, 100, 50)
    >>> bool((X_new.compute() == sample_dask(GaussianJitter(), X, 250, chunks=100,
    ...                                      random_state=0).compute()).all())
    True
    """
    from .._dask import share

    sampler = resolve_transfer_set(sampler)
    if sampler is None:
        raise ValueError("sampler is None; pass a transfer set, e.g. 'gaussian'.")
    if hasattr(sampler, "_validate_params"):
        sampler._validate_params()
    n_rows = check_n_rows(n_rows)
    is_frame = _is_dataframe(X)
    if not is_frame:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"X must be 2-d in-memory rows to imitate; got shape {X.shape}. For "
                "a Dask collection, pass a sample: X.sample(...) / X[:n].compute()."
            )
    if y is not None:
        y = np.asarray(y)
    sizes = _partition_sizes(n_rows, chunks)
    if random_state is None:
        # Fresh entropy, fixed now: every compute of this graph gives the same rows
        # (the teacher's persisted labels stay those of the rows trained on), and
        # partitions of equal size differ (a None seed made them one task).
        random_state = int(np.random.SeedSequence().generate_state(1)[0])
    streams = RandomStreams(random_state)
    seeds = [streams.seed("transfer", "partition", str(i)) for i in range(len(sizes))]
    # A zero-row call checks X and the sampler now, not at compute time.
    empty = sampler.sample(X, 0, random_state=0, y=y)
    if is_frame:
        return _frame_partitions(sampler, X, y, sizes, seeds, empty)
    import dask
    import dask.array as da

    if not sizes:
        return da.from_array(empty)
    shared_X, shared_y = share(X), (None if y is None else share(y))
    part = dask.delayed(_sample_partition, pure=True)
    return da.concatenate(
        [
            da.from_delayed(
                part(sampler, shared_X, n, seed, shared_y),
                shape=(n, X.shape[1]),
                dtype=empty.dtype,
            )
            for n, seed in zip(sizes, seeds, strict=True)
        ]
    )


def _frame_partition(n, seed, sampler, X, y):
    return sampler.sample(X, n, random_state=seed, y=y)


def _frame_partitions(sampler, X, y, sizes, seeds, empty):
    """A Dask DataFrame of generated partitions, built with ``dask.dataframe.from_map``
    (dask's recommended constructor; ``from_delayed`` partitions mixed with the
    frame's own expressions send one key to the scheduler in two forms, which
    breaks a fit under a distributed client, dask/dask#9888). ``X`` and ``y``
    travel as futures scattered to every worker when a client is active (the
    ``args`` of ``from_map`` take futures, not delayed objects), else in the graph.
    """
    import dask
    import dask.dataframe as dd

    from .._dask import active_client, share

    if active_client() is not None:
        X, y = share(X), (None if y is None else share(y))
    # X's own dtypes: no conversion of string columns to pyarrow strings.
    with dask.config.set({"dataframe.convert-string": False}):
        if not sizes:
            return dd.from_pandas(empty, npartitions=1)
        return dd.from_map(
            _frame_partition,
            sizes,
            seeds,
            args=[sampler, X, y],
            meta=empty,
            label="sample-dask",
            enforce_metadata=False,
        )
