"""Teacher outputs: choose the response method and turn it into logits.

The temperature acts on logits, so the teacher's real margins are preferred to
log-probabilities where it has them: ``decision_function`` for sklearn models,
``raw_score=True`` for LightGBM and ``output_margin=True`` for XGBoost. Otherwise the
logits are ``log(clip(predict_proba))``, which equal the margins up to a per-row
constant for softmax models and stay finite for random forests' zero probabilities.
"""

import sys
import warnings
import weakref

import joblib
import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone
from sklearn.utils import gen_batches
from sklearn.utils.validation import _num_samples, has_fit_parameter

from ._compat import safe_indexing
from ._targets import binary_logits, log_clip
from ._validation import check_teacher, is_dask_collection, is_fitted, is_frozen, name_of
from .exceptions import DistillationWarning

__all__ = [
    "cached_teacher_logits",
    "compute_teacher_logits",
    "fitted_teacher",
    "out_of_fold_logits",
    "remember_fingerprint",
    "resolve_response_method",
    "teacher_classes",
    "teacher_logits",
    "teacher_fingerprint",
    "teacher_predict",
]


def _unwrapped(teacher):
    """The estimator inside a ``FrozenEstimator``, or the teacher itself."""
    return teacher.estimator if is_frozen(teacher) else teacher


def _framework(teacher):
    """Top-level package of the (unwrapped) teacher's class, e.g. ``"lightgbm"``."""
    return type(_unwrapped(teacher)).__module__.split(".")[0]


def fitted_teacher(teacher, X, y, *, sample_weight=None, task, seed=None):
    """The teacher to distil from: the user's fitted object, or a fitted clone.

    A fitted teacher is returned as is (the same object, never written to); an
    unfitted one is cloned and fitted on ``X, y``. ``seed``, if given, is applied to
    the clone before fitting.
    """
    check_teacher(teacher, task=task)
    if is_fitted(teacher):
        return teacher
    if is_frozen(teacher):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"The teacher {name_of(teacher)} is frozen (a FrozenEstimator says 'already "
            "fitted') but the estimator inside is not fitted. Fit it before freezing "
            "it, or pass it unfrozen to have a clone fitted inside fit."
        )
    if not hasattr(teacher, "get_params"):
        raise TypeError(
            f"The teacher {name_of(teacher)} looks unfitted (it has no fitted attribute "
            "ending in '_', such as classes_) and cannot be cloned to be fitted inside "
            "fit (it has no get_params: it is not a scikit-learn estimator). Fit it "
            "first and give it classes_, the labels of its predict_proba columns in "
            "order, or derive it from sklearn.base.BaseEstimator."
        )
    teacher = clone(teacher)
    if seed is not None:
        seed(teacher)
    if sample_weight is None:
        return teacher.fit(X, y)
    if has_fit_parameter(teacher, "sample_weight"):
        return teacher.fit(X, y, sample_weight=sample_weight)
    warnings.warn(
        f"The teacher {name_of(teacher)}'s fit takes no sample_weight, so it is fitted "
        "without the weights (the student still uses them). Fit the teacher yourself "
        "with the weights it needs and pass it fitted.",
        DistillationWarning,
        stacklevel=4,
    )
    return teacher.fit(X, y)


def out_of_fold_logits(
    teacher, X, y, *, classes, cv, response_method, sample_weight=None, seed=None
):
    """Cross-fitted logits: each row scored by a teacher fitted without it.

    ``teacher`` is the unfitted template; ``cv`` anything ``check_cv`` takes. Each fold's
    clone must see every class, so that its logit columns match ``classes`` (those of
    the teacher fitted on all rows).
    """
    from sklearn.model_selection import check_cv

    splitter = check_cv(cv, y, classifier=True)
    logits = np.empty((_num_samples(X), len(classes)))
    for train, test in splitter.split(X, y):
        weights = None if sample_weight is None else sample_weight[train]
        fold = fitted_teacher(
            teacher,
            safe_indexing(X, train),
            y[train],
            sample_weight=weights,
            task="classification",
            seed=seed,
        )
        if not np.array_equal(teacher_classes(fold), classes):
            missing = sorted(set(classes.tolist()) - set(teacher_classes(fold).tolist()))
            raise ValueError(
                f"A teacher_cv fold has no training rows of class(es) {missing[:5]}, so "
                "its teacher cannot score them. Use fewer folds (teacher_cv=3) or a "
                "stratified splitter, or more labeled rows of the rare classes."
            )
        logits[test] = teacher_logits(fold, safe_indexing(X, test), response_method)[0]
    return logits


def _not_fitted(teacher):
    from sklearn.exceptions import NotFittedError

    return NotFittedError(
        f"The teacher {name_of(teacher)} is not fitted; computing its logits needs a "
        "fitted teacher. Fit it first (teacher.fit(X_teacher, y_teacher)), or give the "
        "unfitted teacher to DistilledClassifier, which fits it inside fit."
    )


def teacher_classes(teacher):
    """The fitted teacher's ``classes_`` as an array."""
    classes = getattr(teacher, "classes_", None)
    if classes is None:
        raise TypeError(
            f"The teacher {name_of(teacher)} has no classes_ attribute, so the columns "
            "of its outputs cannot be matched to labels. Set teacher.classes_ to the "
            "labels of its predict_proba columns, in order (e.g. np.array([0, 1])), or "
            "use a fitted scikit-learn-compatible classifier."
        )
    return np.asarray(classes)


def resolve_response_method(teacher, response_method="auto"):
    """The teacher output that gives the logits: a method name, or LightGBM's
    ``"raw_score"`` / XGBoost's ``"output_margin"`` variants of ``predict``."""
    name = name_of(teacher)
    n_classes = len(teacher_classes(teacher))
    method = response_method
    if method == "auto":
        framework = _framework(teacher)
        if framework == "lightgbm" and hasattr(teacher, "booster_"):
            method = "raw_score"
        elif framework == "xgboost" and hasattr(teacher, "get_booster"):
            method = "output_margin"
        elif hasattr(teacher, "decision_function"):
            method = "decision_function"
        else:
            method = "predict_proba"
    elif not hasattr(teacher, method):
        raise TypeError(
            f"response_method={method!r} but the teacher {name} has no {method} method. "
            "Use response_method='auto' to pick what the teacher offers."
        )
    ovo = getattr(_unwrapped(teacher), "decision_function_shape", None) == "ovo"
    if method == "decision_function" and ovo and n_classes > 2:
        raise ValueError(
            f"The teacher {name} has decision_function_shape='ovo': one column per pair "
            "of classes, not per class, so its margins are no logits. Set "
            "decision_function_shape='ovr' on it, or use "
            "response_method='predict_proba'."
        )
    return method


def _raw_logits(teacher, X, method):
    """Logits of one batch of rows, checked; ``method`` already resolved."""
    name = name_of(teacher)
    n_classes = len(teacher_classes(teacher))
    if method == "raw_score":
        raw = teacher.predict(X, raw_score=True)
    elif method == "output_margin":
        raw = teacher.predict(X, output_margin=True)
    elif method == "decision_function":
        raw = teacher.decision_function(X)
    else:
        raw = log_clip(teacher.predict_proba(X))
    logits = np.asarray(raw, dtype=np.float64)

    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1 and n_classes == 2):
        logits = binary_logits(logits)
    if logits.ndim != 2 or logits.shape[1] != n_classes:
        raise ValueError(
            f"The teacher {name}'s {method} returned shape {np.shape(raw)}, which does "
            f"not match its {n_classes} classes. Use response_method='predict_proba'."
        )
    if not np.all(np.isfinite(logits)):
        bad = int(np.sum(~np.isfinite(logits).all(axis=1)))
        raise ValueError(
            f"The teacher {name}'s {method} returned NaN or infinite values for {bad} "
            "row(s). Check X for values the teacher was not trained on, or use "
            "response_method='predict_proba'."
        )
    return logits


#: Rows per teacher call when labeling: bounds the memory of large transfer sets.
DEFAULT_BATCH_SIZE = 65_536


def teacher_logits(
    teacher, X, response_method="auto", *, batch_size=None, n_jobs=None, verbose=0
):
    """Logits of a fitted classifier, one column per class in ``teacher.classes_``.

    Rows are labeled in batches of ``batch_size`` (bounded memory), optionally in
    parallel and with a progress bar.

    Parameters
    ----------
    teacher : fitted classifier
    X : array-like of shape (n_samples, n_features)
    response_method : {"auto", "decision_function", "predict_proba"}, default="auto"
        ``"auto"`` uses margins where the teacher has them (LightGBM raw scores,
        XGBoost output margins, ``decision_function``), else clipped log-probabilities.
    batch_size : int, default=None
        Rows per teacher call; None means ``DEFAULT_BATCH_SIZE``.
    n_jobs : int, default=None
        Batches labeled in parallel by joblib; None means 1.
    verbose : int, default=0
        Above 0, a progress bar over batches (tqdm when installed).

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)
    method : str
        The response method used.
    """
    method = resolve_response_method(teacher, response_method)
    n_samples = _num_samples(X)
    batch_size = batch_size or DEFAULT_BATCH_SIZE
    workers = effective_n_jobs(n_jobs)
    if workers > 1:  # at least one batch per worker
        batch_size = min(batch_size, -(-n_samples // workers))
    batches = list(gen_batches(n_samples, max(batch_size, 1)))
    if len(batches) <= 1 and not verbose:
        return _raw_logits(teacher, X, method), method
    parts = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_raw_logits)(teacher, safe_indexing(X, batch), method) for batch in batches
    )
    parts = list(_progress(parts, total=len(batches), verbose=verbose, what="teacher"))
    return np.concatenate(parts), method


def compute_teacher_logits(
    teacher, X, *, response_method="auto", batch_size=None, n_jobs=None, verbose=0
):
    """The teacher's logits for ``X``, to pass to ``fit`` as ``teacher_logits``.

    Computing them once and passing them to ``DistilledClassifier.fit`` (the
    "precomputed" idiom of scikit-learn) spares the teacher's predictions in every
    candidate of a grid search: ``GridSearchCV`` slices them per fold like ``X``.
    With ``teacher="precomputed"`` the teacher is not even shipped to the workers.

    Parameters
    ----------
    teacher : fitted classifier
        The teacher; its ``classes_`` give the column order.
    X : {array-like, sparse matrix, DataFrame, dask Array, dask DataFrame} of \
            shape (n_samples, n_features)
        Rows to score. A Dask array or DataFrame gives a lazy Dask array of logits,
        one task per block/partition; the teacher is sent to each worker once
        (scattered when a ``distributed.Client`` is active). Persist it
        (``logits.persist()``, ``dask.array.to_zarr``) to reuse it across fits;
        its row chunks are unknown (NaN) for a DataFrame until
        ``logits.compute_chunk_sizes()``.
    response_method : {"auto", "decision_function", "predict_proba"}, default="auto"
        The teacher output taken as logits, as in ``DistilledClassifier``.
    batch_size : int, default=None
        Rows per teacher call (bounded memory); None means 65536. Unused for Dask
        collections (a block is one call).
    n_jobs : int, default=None
        Batches scored in parallel by joblib; None means 1.
    verbose : int, default=0
        Above 0, a progress bar (tqdm when installed).

    Returns
    -------
    logits : ndarray or dask Array of shape (n_samples, n_classes)
        One column per class of ``teacher.classes_`` (a lazy Dask array for a Dask
        ``X``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier, compute_teacher_logits
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> logits = compute_teacher_logits(teacher, X)
    >>> logits.shape
    (150, 3)
    >>> model = DistilledClassifier("precomputed", DecisionTreeClassifier(max_depth=2))
    >>> model.fit(X, y, teacher_logits=logits).classes_
    array([0, 1, 2])
    """
    check_teacher(teacher, task="classification")
    if not is_fitted(teacher):
        raise _not_fitted(teacher)
    if is_dask_collection(X):  # lazy, one task per block: skdistill._dask
        from ._dask import dask_teacher_logits

        return dask_teacher_logits(teacher, X, response_method)[0]
    return teacher_logits(
        teacher, X, response_method, batch_size=batch_size, n_jobs=n_jobs, verbose=verbose
    )[0]


# -- cache across fits (GridSearchCV candidates ask the teacher the same question) ----

#: joblib hash of each teacher object, with the identity of its attribute values when
#: it was hashed: refitting the object replaces those values and so the hash.
_FINGERPRINTS = weakref.WeakKeyDictionary()


def teacher_fingerprint(teacher):
    """A hash of the fitted teacher, computed once per object and state.

    Hashing a large ensemble takes about as long as one prediction, so it is done
    once per teacher object: the hash is reused while the object's attributes are
    the same objects (a refit replaces them). Changing a fitted attribute's values in
    place is not detected.
    """
    state = _state(teacher)
    try:
        cached_state, digest = _FINGERPRINTS[teacher]
    except (KeyError, TypeError):
        cached_state = digest = None
    if cached_state != state:
        digest = joblib.hash(teacher)
        try:
            _FINGERPRINTS[teacher] = (state, digest)
        except TypeError:
            pass  # not weak-referenceable: hashed every time
    return digest


def _state(teacher):
    return tuple((key, id(value)) for key, value in sorted(vars(teacher).items()))


def remember_fingerprint(teacher, digest):
    """Record ``digest`` as the fingerprint of ``teacher`` in its current state.

    Used when a distiller is unpickled in a worker process: the fingerprint computed
    (and checked) in the parent travels with the pickled teacher, so the worker does
    not hash it again.
    """
    try:
        _FINGERPRINTS[teacher] = (_state(teacher), digest)
    except TypeError:
        pass


def _logits_of(fingerprint, X, response_method, *, teacher, n_jobs=None, verbose=0):
    """The cached function: keyed by the teacher's fingerprint, rows and method."""
    return teacher_logits(teacher, X, response_method, n_jobs=n_jobs, verbose=verbose)


def cached_teacher_logits(
    memory, teacher, X, response_method="auto", *, n_jobs=None, verbose=0
):
    """:func:`teacher_logits` through a ``joblib.Memory`` cache.

    The key is the teacher's fingerprint (:func:`teacher_fingerprint`), a hash of the
    rows ``X`` and the response method, so every candidate of a grid search over
    ``temperature`` and ``alpha`` on the same fold asks the teacher once, also across
    worker processes sharing the cache folder.
    """
    cached = memory.cache(_logits_of, ignore=["teacher", "n_jobs", "verbose"])
    return cached(
        teacher_fingerprint(teacher),
        X,
        response_method,
        teacher=teacher,
        n_jobs=n_jobs,
        verbose=verbose,
    )


def _progress(iterable, *, total, verbose, what):
    """``iterable`` with a progress bar when ``verbose`` (tqdm, or plain lines)."""
    if not verbose:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _plain_progress(iterable, total=total, what=what)
    return tqdm(iterable, total=total, desc=f"skdistill: {what}", unit="batch")


def _plain_progress(iterable, *, total, what):
    for i, item in enumerate(iterable, start=1):
        print(f"skdistill: {what} batch {i}/{total}", file=sys.stderr, flush=True)
        yield item


def teacher_predict(teacher, X):
    """Predictions of a fitted regressor teacher, checked to be finite."""
    pred = np.asarray(teacher.predict(X), dtype=np.float64)
    if not np.all(np.isfinite(pred)):
        raise ValueError(
            f"The teacher {name_of(teacher)}'s predict returned NaN or infinite values. "
            "Check X for values the teacher was not trained on."
        )
    return pred
