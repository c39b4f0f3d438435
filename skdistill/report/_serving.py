"""How fast a fitted model serves one row on each path it can take.

A speed-up measured through scikit-learn's ``predict_proba`` is mostly scikit-learn's
per-call overhead, which a serving team removes from the teacher as well as from the
student. :func:`serving_speed` times each model on every path it can take (the
scikit-learn API, its framework's own booster, ONNX Runtime, compiled C), checks
each path against the model's own probabilities before timing it, and says why a
path is unavailable, so that teacher and student can be compared like for like:
each on its fastest path.
"""

import copy
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.frozen import FrozenEstimator
from threadpoolctl import threadpool_limits

from .._compat import optional_import
from .._validation import name_of
from ._cost import _interleaved, _predict_method, model_complexity
from ._models import deployed_model, row

__all__ = ["MAX_COMPILE_NODES", "PATHS", "ServingSpeed", "serving_speed"]

#: The serving paths, in the order they are listed.
PATHS = ("sklearn", "native", "onnx", "compiled")

#: Models with more tree nodes are not compiled unless asked: gcc takes minutes on a
#: 500-tree forest (issue 16), about a second per 1,000 nodes on a busy machine.
MAX_COMPILE_NODES = 20_000

#: Largest absolute difference to ``predict_proba`` a path may show and still be
#: timed: ONNX computes in float32; compiled trees and native boosters sum the same
#: leaf values as the framework, in float32 where it does.
TOLERANCE = {"native": 1e-6, "onnx": 1e-5, "compiled": 1e-6}

#: Parameters that set a model's threads, set to 1 on a copy for the sklearn path.
_THREAD_PARAMS = ("n_jobs", "nthread", "num_threads", "thread_count")


@dataclass(frozen=True)
class ServingSpeed:
    """Single-row latency of one model on each serving path, or why it has none.

    The result of :func:`serving_speed` for one model. Its ``fastest`` path is the
    one of the lowest latency, ``fastest_latency`` that latency, and
    ``describe()`` says it all in one line.

    Parameters
    ----------
    latency : dict of str to float
        Median seconds of one single-row call, for each path that was timed, in the
        order the paths were asked for.
    unavailable : dict of str to str
        For each path that was not timed, the reason (the error of the exporter or
        the converter, a prediction that differs from ``predict_proba``, a model
        too large to compile).
    spread : dict of str to tuple of float, default={}
        For each path timed, the first and third quartiles of the seconds per
        call over the timed blocks: how much the latency moved during the run.

    See Also
    --------
    serving_speed : Makes it.

    Examples
    --------
    >>> from skdistill.report import ServingSpeed
    >>> speed = ServingSpeed({"sklearn": 2e-3, "onnx": 4e-5}, {"native": "no booster"})
    >>> speed.fastest, speed.fastest_latency
    ('onnx', 4e-05)
    >>> speed.describe()
    'sklearn 2.000 ms; onnx 0.040 ms (fastest); native unavailable: no booster'
    """

    latency: dict = field(default_factory=dict)
    unavailable: dict = field(default_factory=dict)
    spread: dict = field(default_factory=dict)

    @property
    def fastest(self):
        """The path of the lowest latency, or None if no path was timed."""
        return min(self.latency, key=self.latency.get) if self.latency else None

    @property
    def fastest_latency(self):
        """Median seconds of one call on the fastest path (NaN if none was timed)."""
        return self.latency[self.fastest] if self.latency else float("nan")

    def describe(self):
        """One line: each path's latency in milliseconds, or why it was not timed."""
        parts = [
            f"{path} {seconds * 1000:.3f} ms"
            + (" (fastest)" if path == self.fastest else "")
            for path, seconds in self.latency.items()
        ]
        parts += [f"{path} unavailable: {why}" for path, why in self.unavailable.items()]
        return "; ".join(parts)


def serving_speed(
    models, X, *, paths=PATHS, n_calls=200, max_compile_nodes=MAX_COMPILE_NODES
):
    """Single-row latency of fitted models on each serving path they can take.

    A model can be served through its scikit-learn API, its framework's own
    predictor, ONNX Runtime or compiled C. Comparing a student on its fastest path
    with a teacher through scikit-learn flatters the student: most of the
    teacher's time is scikit-learn's per-call overhead, which serving the teacher
    the same way removes too. This function times every model on every path it
    can take, so that each can be compared on its own fastest path.

    Paths (each predicts probabilities for one row, prepared outside the timer):

    - ``"sklearn"``: ``predict_proba`` (else ``decision_function``, else
      ``predict``) of the deployed model (a distiller's fitted student, as
      :func:`prediction_speed`), on a copy set to one thread (``n_jobs=1``);
    - ``"native"``: LightGBM's ``Booster.predict(num_threads=1)`` or XGBoost's
      ``Booster.inplace_predict`` (a copy of the booster, ``nthread=1``) of the
      deployed model, on a float64 row;
    - ``"onnx"``: :func:`~skdistill.export.to_onnx` of the model (a distiller's
      graph includes its map back to temperature 1; any other classifier is
      converted by skl2onnx, LightGBM and XGBoost models by onnxmltools), run by
      an onnxruntime ``InferenceSession`` with one thread, on a float32 row;
    - ``"compiled"``: :func:`~skdistill.export.compile_student` (treelite and
      tl2cgen, a distiller or a tree model alone), on a float64 row.

    Before a path is timed, its probabilities on the rows it will be timed on
    (called one row at a time, as timed) are compared with ``predict_proba`` of
    the same model: the deployed model's for ``"native"``, the model's as given
    for ``"onnx"`` and ``"compiled"`` (a distiller's, which both export). A path
    whose largest absolute difference exceeds its tolerance (1e-6 native, 1e-5
    ONNX, which computes in float32, 1e-6 compiled) is not timed, and neither is
    one that raises any error: each is listed as unavailable with the reason.

    Parameters
    ----------
    models : dict of str to fitted model, or a fitted model
        The models to time, by name; a single model is timed alone. Distillers
        (also in a ``Pipeline``, a ``FrozenEstimator`` or a fitted search) are
        served as they are deployed, see :func:`model_size`.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        Rows to predict: single-row calls cycle through them. The ``"native"``,
        ``"onnx"`` and ``"compiled"`` paths need numeric columns.
    paths : tuple of str, default=("sklearn", "native", "onnx", "compiled")
        The paths to try, among those above.
    n_calls : int, default=200
        Number of timed single-row calls per model and path.
    max_compile_nodes : int or None, default=20_000
        Tree models with more nodes (:func:`model_complexity`) are not compiled:
        the C compiler takes about a second per 1,000 nodes, and minutes on a
        500-tree ensemble. None compiles any model (slow for large ones).

    Returns
    -------
    speeds : dict of str to ServingSpeed, or ServingSpeed
        For each name (or, given one model, for it): a ``ServingSpeed`` with
        ``latency``, the median seconds of one single-row call on each path that
        was timed, ``spread``, the quartiles of those seconds over the timed
        blocks, ``unavailable``, the reason for each other path, ``fastest``,
        the path of the lowest latency, ``fastest_latency``, its seconds, and
        ``describe()``, all of it as one line.

    Raises
    ------
    ValueError
        If a path is unknown, or ``n_calls`` or ``max_compile_nodes`` is not a
        positive integer.

    See Also
    --------
    prediction_speed : Latency and batch throughput through the scikit-learn API.
    distillation_report : Reports both speed-ups, through scikit-learn and like
        for like.
    skdistill.export.to_onnx : The ONNX export timed here.
    skdistill.export.compile_student : The compiled model timed here.

    Notes
    -----
    All models and paths are timed in one interleaved run (rounds in which each,
    in a rotating order, makes a block of a tenth of its calls), inside
    ``threadpoolctl.threadpool_limits(1)``, so that a busy machine slows them all
    alike; each is called once untimed first. Numbers are single-thread: a
    server answering one row at a time gains nothing from more.

    Conversions happen before the timing: ONNX export takes about a second per
    model, compiling about a second per 1,000 tree nodes. Compiled libraries
    live in a temporary directory, removed before the function returns.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill.report import serving_speed
    >>> X, y = load_iris(return_X_y=True)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    >>> speed = serving_speed(tree, X, paths=("sklearn", "native"), n_calls=20)
    >>> list(speed.latency), speed.fastest
    (['sklearn'], 'sklearn')
    >>> speed.unavailable["native"]
    'DecisionTreeClassifier is not a LightGBM or XGBoost model'
    >>> knn = KNeighborsClassifier().fit(X, y)
    >>> speeds = serving_speed({"tree": tree, "knn": knn}, X, paths=("sklearn",),
    ...                        n_calls=20)
    >>> speeds["tree"].fastest_latency < speeds["knn"].fastest_latency
    True
    """
    paths = _check_paths(paths)
    if not isinstance(n_calls, Integral) or n_calls < 1:
        raise ValueError(f"n_calls must be a positive integer, got {n_calls!r}.")
    if max_compile_nodes is not None and (
        not isinstance(max_compile_nodes, Integral) or max_compile_nodes < 0
    ):
        raise ValueError(
            "max_compile_nodes must be a non-negative integer, or None to compile "
            f"models of any size; got {max_compile_nodes!r}."
        )
    one = not isinstance(models, Mapping)
    named = {"model": models} if one else dict(models)
    k = min(n_calls, X.shape[0])
    serve, unavailable = {}, {name: {} for name in named}
    with tempfile.TemporaryDirectory(prefix="skdistill-serving-") as folder:
        for index, (name, model) in enumerate(named.items()):
            for path in paths:
                try:
                    serve[name, path] = _ready(
                        path,
                        model,
                        X,
                        k,
                        Path(folder) / f"model{index}.so",
                        max_compile_nodes,
                    )
                except Exception as exc:  # any failure of a path makes it unavailable
                    unavailable[name][path] = _reason(exc)
        samples = {}
        with threadpool_limits(1):
            latency = (
                _interleaved(
                    serve,
                    list(range(n_calls)),
                    block=max(1, n_calls // 10),
                    samples=samples,
                )  # fmt: skip
                if serve
                else {}
            )
    speeds = {
        name: ServingSpeed(
            {p: latency[name, p] for p in paths if (name, p) in latency},
            unavailable[name],
            {
                p: tuple(float(q) for q in np.quantile(samples[name, p], [0.25, 0.75]))
                for p in paths
                if (name, p) in samples
            },
        )
        for name in named
    }
    return speeds["model"] if one else speeds


def _check_paths(paths):
    if isinstance(paths, str):
        paths = (paths,)
    paths = tuple(dict.fromkeys(paths))
    unknown = [p for p in paths if p not in PATHS]
    if unknown or not paths:
        raise ValueError(
            f"Unknown serving paths {unknown}; choose one or more of {list(PATHS)}."
            if unknown
            else f"paths is empty; choose one or more of {list(PATHS)}."
        )
    return paths


class _Skipped(Exception):
    """A path not tried, with the reason (e.g. a model too large to compile)."""


def _reason(exc):
    if isinstance(exc, _Skipped):
        return str(exc)
    message = " ".join(str(exc).split()) or "no message"
    return f"{type(exc).__name__}: {message}"


def _ready(path, model, X, k, library, max_compile_nodes):
    """A function of ``i`` serving row ``i % k`` on ``path``, checked against
    ``predict_proba`` first; raises if the path is unavailable."""
    if path == "sklearn":
        method = _predict_method(_one_thread(deployed_model(model)))
        rows = [row(X, j) for j in range(k)]
        return lambda i: method(rows[i % k])
    served = _unwrapped(model)
    if not hasattr(served, "predict_proba"):
        raise _Skipped(
            f"{name_of(served)} has no predict_proba to check the {path} path against"
        )
    if path == "native":
        # the student's booster, checked against the model as given: a distiller
        # whose map is applied at predict time is not served by its booster alone
        call, rows = _native(deployed_model(model)), _numeric_rows(X, k, np.float64)
    elif path == "onnx":
        call, rows = _onnx(served, X), _numeric_rows(X, k, np.float32)
    else:
        call, rows = (
            _compiled(served, library, max_compile_nodes),
            _numeric_rows(X, k, np.float64),
        )
    _check_outputs(path, [call(r) for r in rows], served.predict_proba(_first(X, k)))
    return lambda i: call(rows[i % k])


def _unwrapped(model):
    """The model as exported: through fitted searches and ``FrozenEstimator``."""
    while True:
        if hasattr(model, "best_estimator_"):
            model = model.best_estimator_
        elif isinstance(model, FrozenEstimator):
            model = model.estimator
        else:
            return model


def _one_thread(model):
    """``model``, or a copy of it set to one thread: the user's model is not touched."""
    params = model.get_params(deep=True) if hasattr(model, "get_params") else {}
    names = [p for p in params if p.rsplit("__", 1)[-1] in _THREAD_PARAMS]
    if not names or all(params[p] == 1 for p in names):
        return model
    model = copy.deepcopy(model)
    model.set_params(**dict.fromkeys(names, 1))
    return model


def _first(X, k):
    return X[:k] if not hasattr(X, "iloc") else X.iloc[:k]


def _numeric_rows(X, k, dtype):
    X = _first(X, k)
    X = X.toarray() if hasattr(X, "toarray") else X
    X = np.ascontiguousarray(np.asarray(X, dtype=dtype))
    return [X[j : j + 1] for j in range(k)]


def _native(model):
    frameworks = {cls.__module__.split(".")[0] for cls in type(model).__mro__}
    if "lightgbm" in frameworks and hasattr(model, "booster_"):
        booster = model.booster_
        return lambda x: booster.predict(x, num_threads=1)
    if "xgboost" in frameworks and hasattr(model, "get_booster"):
        booster = copy.copy(model.get_booster())  # a copy: the model keeps its threads
        booster.set_param({"nthread": 1})
        best = getattr(booster, "best_iteration", None)
        trees = (0, best + 1) if best is not None else (0, 0)
        return lambda x: booster.inplace_predict(x, iteration_range=trees)
    raise _Skipped(f"{name_of(model)} is not a LightGBM or XGBoost model")


def _onnx(model, X):
    from ..export import to_onnx

    ort = optional_import("onnxruntime", extra="onnx", purpose="the onnx serving path")
    proto = to_onnx(model, _numeric_rows(X, 1, np.float64)[0])
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    outputs = ["probabilities"]
    return lambda x: session.run(outputs, {"X": x})[0]


def _compiled(model, library, max_compile_nodes):
    from ..export import compile_student

    if max_compile_nodes is not None:
        try:
            count, unit = model_complexity(model)
        except TypeError:
            count, unit = None, None  # compile_student says why it cannot compile it
        if unit == "nodes" and count > max_compile_nodes:
            raise _Skipped(
                f"not compiled: {count:,} nodes > max_compile_nodes="
                f"{max_compile_nodes:,} (compiling takes about a second per 1,000 "
                "nodes); pass max_compile_nodes=None to compile it anyway"
            )
    compiled = compile_student(model, library, n_jobs=1)
    return compiled.predict_proba


def _check_outputs(path, outputs, expected):
    """Raise if ``path``'s probabilities differ from ``predict_proba``'s."""
    got = np.vstack(
        [np.asarray(out, dtype=np.float64).reshape(len(out), -1) for out in outputs]
    )
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape[1] == 1 and expected.shape[1] == 2:  # a booster's positive class
        got = np.hstack([1.0 - got, got])
    if got.shape != expected.shape:
        raise ValueError(
            f"the {path} path returns shape {got.shape} where predict_proba returns "
            f"{expected.shape}"
        )
    diff = float(np.max(np.abs(got - expected), initial=0.0))
    if not diff <= TOLERANCE[path]:
        raise ValueError(
            f"the {path} path predicts differently from predict_proba (largest "
            f"difference {diff:.2g} > {TOLERANCE[path]:g}), so it was not timed"
        )
