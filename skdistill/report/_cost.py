"""What a model costs to deploy: serialized size, complexity and prediction speed.

Every function measures the deployed model (see ``_models.deployed_model``): the
fitted student of a distiller, which is what replaces the teacher.
"""

import pickle
import re
import time
from collections import Counter, namedtuple
from numbers import Integral

import numpy as np
from sklearn.pipeline import Pipeline

from .._validation import name_of
from ._models import deployed_model, row

__all__ = ["model_complexity", "model_size", "prediction_speed"]


def model_size(model):
    """Size in bytes of the deployed model, pickled.

    Parameters
    ----------
    model : object
        A fitted model. For a fitted ``DistilledClassifier`` or
        ``DistilledRegressor`` (also inside a ``Pipeline`` or as the best estimator
        of a fitted search) the student is measured: it is what gets deployed.

    Returns
    -------
    size : int
        Number of bytes of ``pickle.dumps(model)`` (highest protocol).

    See Also
    --------
    model_complexity : Nodes, coefficients or parameters of the model.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill.report import model_size
    >>> X, y = load_iris(return_X_y=True)
    >>> model_size(LogisticRegression(max_iter=500).fit(X, y)) < 2000
    True
    """
    model = deployed_model(model)
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


#: Result of :func:`model_complexity`.
Complexity = namedtuple("Complexity", ["count", "unit"])


def model_complexity(model):
    """How big the deployed model is, in its own unit: nodes, coefficients, parameters.

    Parameters
    ----------
    model : object
        A fitted model; distillers are looked through to their student, pipelines
        to their last step (preprocessing steps are not counted).

    Returns
    -------
    complexity : Complexity
        A named tuple ``(count, unit)``:

        - ``"nodes"``, split and leaf nodes of every tree: scikit-learn trees,
          forests, bagging and gradient boosting (``GradientBoosting*`` and
          ``HistGradientBoosting*``), LightGBM and XGBoost models;
        - ``"coefficients"``: ``coef_`` and ``intercept_`` of linear models;
        - ``"parameters"``: weights and biases of ``MLP*`` models, torch modules
          and skorch nets (``module_``).

        Ensembles of several kinds (voting, stacking) add up their members' counts,
        and the unit joins theirs, e.g. ``"coefficients+nodes"``.

    Raises
    ------
    TypeError
        If the model is none of the kinds above.

    See Also
    --------
    model_size : Serialized size in bytes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill.report import model_complexity
    >>> X, y = load_iris(return_X_y=True)
    >>> model_complexity(LogisticRegression(max_iter=500).fit(X, y))
    Complexity(count=15, unit='coefficients')
    >>> model_complexity(DecisionTreeClassifier(max_depth=1).fit(X, y))
    Complexity(count=3, unit='nodes')
    """
    counts = _counts(deployed_model(model))
    return Complexity(int(sum(counts.values())), "+".join(sorted(counts)))


def _counts(model):
    """``Counter`` of units of ``model``; TypeError if it has no known structure."""
    if isinstance(model, Pipeline):
        return _counts(model.steps[-1][1])
    for counter in _COUNTERS:
        counts = counter(model)
        if counts is not None:
            return counts
    raise TypeError(
        f"Cannot count the nodes, coefficients or parameters of {name_of(model)}: "
        "model_complexity knows trees and tree ensembles (scikit-learn, LightGBM, "
        "XGBoost), linear models, MLPs, torch modules and skorch nets."
    )


def _sklearn_tree(model):
    tree = getattr(model, "tree_", None)
    return None if tree is None else Counter(nodes=int(tree.node_count))


def _hist_gradient_boosting(model):
    predictors = getattr(model, "_predictors", None)
    if predictors is None:
        return None
    return Counter(nodes=sum(len(p.nodes) for trees in predictors for p in trees))


def _lightgbm(model):
    booster = getattr(model, "booster_", model)
    if not (hasattr(booster, "model_to_string") and hasattr(booster, "num_trees")):
        return None
    leaves = re.findall(r"^num_leaves=(\d+)$", booster.model_to_string(), re.MULTILINE)
    return Counter(nodes=sum(2 * int(n) - 1 for n in leaves))


def _xgboost(model):
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    if not hasattr(booster, "get_dump"):
        return None
    dump = booster.get_dump()
    return Counter(nodes=sum(len(tree.strip().splitlines()) for tree in dump))


def _ensemble(model):
    members = getattr(model, "estimators_", None)
    if members is None:
        return None
    members = [m for m in np.ravel(np.asarray(members, dtype=object)) if m != "drop"]
    final = getattr(model, "final_estimator_", None)
    total = Counter()
    for member in [*members, *([final] if final is not None else [])]:
        total += _counts(member)
    return total


def _linear(model):
    coef = getattr(model, "coef_", None)
    if coef is None:
        return None
    return Counter(
        coefficients=int(np.size(coef) + np.size(getattr(model, "intercept_", 0)))
    )


def _mlp(model):
    if not hasattr(model, "coefs_"):
        return None
    weights = [*model.coefs_, *model.intercepts_]
    return Counter(parameters=int(sum(np.size(w) for w in weights)))


def _torch(model):
    module = getattr(model, "module_", model)
    if not (
        callable(getattr(module, "parameters", None)) and hasattr(module, "state_dict")
    ):
        return None
    return Counter(parameters=int(sum(p.numel() for p in module.parameters())))


#: Tried in order; the first that recognises the model counts it.
_COUNTERS = (
    _sklearn_tree,
    _hist_gradient_boosting,
    _lightgbm,
    _xgboost,
    _mlp,
    _torch,
    _linear,
    _ensemble,
)


#: Result of :func:`prediction_speed` for one model.
Speed = namedtuple("Speed", ["latency", "throughput"])


def prediction_speed(models, X, *, n_calls=200, n_batches=3, deployed=True):
    """Single-row latency and batch throughput of several models, side by side.

    The models are timed in one interleaved run (rounds in which every model, in
    a rotating order, makes a block of a tenth of its single-row calls), so that a
    busy machine slows them all alike while each keeps its caches warm. Each model
    predicts with ``predict_proba``, or else ``decision_function``, or else
    ``predict``; each is called once untimed first.

    Parameters
    ----------
    models : dict of str to fitted model
        The models to time, by name.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        Rows to predict: single-row calls cycle through them, batch calls take all
        of them.
    n_calls : int, default=200
        Number of timed single-row calls per model.
    n_batches : int, default=3
        Number of timed calls on all of ``X`` per model.
    deployed : bool, default=True
        Time the deployed model (the fitted student of a distiller, see
        :func:`model_size`). False times the objects as given, e.g. to measure
        what the ``DistilledClassifier`` wrapper adds to its student.

    Returns
    -------
    speeds : dict of str to Speed
        For each name, a named tuple ``(latency, throughput)``: the median
        seconds of one single-row call, and the rows per second of the median
        batch call.

    See Also
    --------
    distillation_report : Uses it to compare a teacher and its students.

    Notes
    -----
    Models are timed with the threads they are configured with. For single-thread
    numbers, comparable across frameworks, time them inside
    ``threadpoolctl.threadpool_limits(1)`` and give LightGBM and XGBoost models
    ``n_jobs=1``: by default they start a thread per core for every call, which
    costs milliseconds per row on a busy machine.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill.report import prediction_speed
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    >>> tree = DecisionTreeClassifier(max_depth=3).fit(X, y)
    >>> speeds = prediction_speed({"forest": forest, "tree": tree}, X, n_calls=20)
    >>> speeds["tree"].latency < speeds["forest"].latency
    True
    """
    for name, value in {"n_calls": n_calls, "n_batches": n_batches}.items():
        if not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    methods = {
        name: _predict_method(deployed_model(model) if deployed else model)
        for name, model in models.items()
    }
    n_rows = X.shape[0]
    rows = [row(X, i % n_rows) for i in range(n_calls)]
    latency = _interleaved(methods, rows, block=max(1, n_calls // 10))
    batch = _interleaved(methods, [X] * n_batches)
    return {name: Speed(latency[name], n_rows / batch[name]) for name in methods}


def _predict_method(model):
    for method in ("predict_proba", "decision_function", "predict"):
        if hasattr(model, method):
            return getattr(model, method)
    raise TypeError(f"{name_of(model)} has no predict method to time.")


def _interleaved(methods, inputs, block=1, samples=None):
    """Median seconds per call of each method, over rounds in a rotating order.

    Each round gives every model ``block`` consecutive calls (its caches stay warm,
    as when it serves alone; calling models one by one in turn made fast models
    look 2-3x slower next to a slow one), and rotates which model goes first.
    A ``samples`` dict receives each method's seconds per call in every round.
    """
    names = list(methods)
    for name in names:
        methods[name](inputs[0])  # warm-up: caches, lazy initialisation
    times = {name: [] for name in names}
    rounds = [inputs[i : i + block] for i in range(0, len(inputs), block)]
    for i, chunk in enumerate(rounds):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            method = methods[name]
            start = time.perf_counter()
            for data in chunk:
                method(data)
            times[name].append((time.perf_counter() - start) / len(chunk))
    if samples is not None:
        samples.update(times)
    return {name: float(np.median(values)) for name, values in times.items()}
