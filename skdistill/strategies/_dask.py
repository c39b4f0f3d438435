"""The "dask" strategy: students trained on Dask collections of teacher-labeled rows.

Three routes, chosen by ``route`` (``"auto"`` picks the first that applies):

``"cluster"``
    ``lightgbm.DaskLGBMClassifier`` and ``xgboost.dask.DaskXGBClassifier`` students
    train on the cluster under the libraries' built-in objectives, no Python
    callback: binary soft targets as probability labels of a regressor
    (LightGBM ``cross_entropy``, XGBoost ``binary:logistic``), multiclass ones as each
    row repeated ``K`` times with label ``k`` and weight ``w q_k`` under the softmax
    objective, whose gradient on the row's margins is ``sum_k q_k (p - e_k) = p - q``
    and hessian ``c p (1 - p)`` (``sum_k q_k = 1``): the loss and derivatives the
    in-memory "lightgbm" and "xgboost" strategies use. Boosting starts from the
    log prior of the targets (``init_score``/``base_margin``), as in memory, and
    LightGBM on LightGBM's in-memory bins (``bins``; see ``_bins``). The
    booster is then fetched into a local ``LGBMClassifier``/``XGBClassifier``,
    rewritten like the in-memory student's.
``"partial_fit"``
    Students with ``partial_fit`` (``SGDClassifier``, ``MLPClassifier``) see the
    rows block by block, expanded as above, ``n_epochs`` times. Nothing is
    persisted: the workers label as many blocks ahead as there are workers, and the
    sample the map back to temperature 1 is fitted on is drawn in the first pass, so
    memory stays that of a few blocks whatever the number of rows.
``"sample"``
    Any other student: the in-memory distiller on about ``sample_size`` rows of
    the teacher-labeled rows, stratified by class.

After fitting, ``local_`` is the fitted in-memory strategy of the local student
("lightgbm", "xgboost" or "expand"); the distiller keeps it as ``strategy_``, so
prediction, persistence and export are those of an in-memory fit.
"""

from contextlib import nullcontext
from dataclasses import replace
from numbers import Integral
from types import SimpleNamespace

import numpy as np

from .._compat import Interval, StrOptions, safe_tags
from .._validation import name_of
from ._base import BaseStrategy, check_describes_output
from ._boosting import binary_soft_labels, initial_margins
from ._expand import ExpandStrategy, expand

__all__ = ["DaskStrategy"]

_CLUSTER_MODULES = ("lightgbm.dask", "xgboost.dask")


def _is_dask_student(student):
    return type(student).__module__.startswith(_CLUSTER_MODULES)


class DaskStrategy(BaseStrategy):
    """Train a student on Dask collections: on the cluster, streamed or on a sample.

    ``DistilledClassifier(teacher, student).fit(X, y)`` with a Dask array or
    DataFrame ``X`` (and a Dask ``y``) uses it; pass it as ``strategy=`` to choose the
    route or the sample size. See the module docstring and the "Scaling out" section
    of the user guide.

    Parameters
    ----------
    route : {"auto", "cluster", "partial_fit", "sample"}, default="auto"
        ``"cluster"`` for ``lightgbm.DaskLGBMClassifier`` and
        ``xgboost.dask.DaskXGBClassifier`` students (the ``"auto"`` choice for them);
        ``"partial_fit"`` streams the blocks through ``student.partial_fit``;
        ``"sample"`` (the ``"auto"`` choice for every other student) fits the
        in-memory distiller on a sample.
    sample_size : int, default=100_000
        Rows of the sample (``"sample"`` route): in each block, each class (and
        the unlabeled rows) keeps its share ``sample_size / n_rows`` of rows to
        within one row, drawn without replacement (seeded per block); also the most
        rows the map back to temperature 1 is fitted on (other routes).
    n_epochs : int, default=1
        Passes over the blocks (``"partial_fit"`` route).
    local_strategy : str or BaseStrategy, default="auto"
        The in-memory strategy of the ``"sample"`` route.
    bins : {"global", "worker"}, default="global"
        Feature bins of a ``DaskLGBMClassifier`` student (``"cluster"`` route).
        ``"global"``: LightGBM finds them in this process, as in memory, on a sample
        of every partition's rows (``bin_construct_sample_cnt`` rows, default
        200,000, or all rows when there are fewer), and every worker uses them; with
        the sample holding every row, the cluster fits what LightGBM fits in memory.
        ``"worker"``: LightGBM's data-parallel default, each feature's bins from the
        rows of one worker, which moves splits and, when partitions differ (rows
        sorted by a column, files by date), leaves most of a feature's range in its
        end bins. The workers receive each numeric value as its bin's number and
        the fitted thresholds are mapped back; categorical features keep
        LightGBM's bins. LightGBM's own bins are used when the student sets
        ``forcedbins_filename``, ``max_bin_by_feature``, ``linear_tree``,
        ``zero_as_missing`` or ``use_missing=False``. XGBoost already builds its
        quantiles from every worker's rows.

    Attributes
    ----------
    local_ : BaseStrategy
        The fitted in-memory strategy of the local student.
    student_ : estimator
        The fitted local student (``LGBMClassifier``, ``XGBClassifier``, or the
        student itself).
    route_ : str
        The route taken.

    See Also
    --------
    LightGBMStrategy, XGBoostStrategy : The in-memory strategies of the local student.
    skdistill.compute_teacher_logits : Lazy teacher logits of a Dask collection.

    Examples
    --------
    >>> from skdistill.strategies import DaskStrategy
    >>> DaskStrategy(sample_size=50_000).route_for(object())
    'sample'
    """

    name = "dask"

    _parameter_constraints = {
        "route": [StrOptions({"auto", "cluster", "partial_fit", "sample"})],
        "sample_size": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "local_strategy": [str, BaseStrategy],
        "bins": [StrOptions({"global", "worker"})],
    }

    def __init__(
        self,
        route="auto",
        sample_size=100_000,
        n_epochs=1,
        local_strategy="auto",
        bins="global",
    ):
        self.route = route
        self.sample_size = sample_size
        self.n_epochs = n_epochs
        self.local_strategy = local_strategy
        self.bins = bins

    @classmethod
    def accepts(cls, student):
        """Dask LightGBM/XGBoost classifiers (their in-memory strategies would not)."""
        return (
            _is_dask_student(student) and safe_tags(student).estimator_type == "classifier"
        )

    def route_for(self, student):
        """The route this strategy takes for ``student``."""
        if self.route != "auto":
            return self.route
        return "cluster" if self.accepts(student) else "sample"

    def fit(self, student, X, targets, *, sample_weight=None, **fit_params):
        """Fit ``student`` on Dask rows; ``targets`` is the distiller's ``DaskRows``.

        Parameters
        ----------
        student : estimator
            The unfitted student.
        X : dask.array.Array or dask.dataframe.DataFrame
            Training rows.
        targets : DaskRows
            Lazy teacher logits, labels and weights, chunked like ``X``.
        sample_weight : None
            Unused: the weights are in ``targets``.
        **fit_params : dict
            Not supported.

        Returns
        -------
        self : DaskStrategy
            The fitted strategy.
        """
        self._validate_params()
        if not hasattr(targets, "lengths"):
            raise TypeError(
                f"The 'dask' strategy trains on Dask collections, but X is a "
                f"{type(X).__name__}. Pass X and y as Dask collections "
                "(dask.array.from_array(X), dask.array.from_array(y)), or use the "
                f"in-memory twin of the student {name_of(student)} (for instance "
                "lightgbm.LGBMClassifier for DaskLGBMClassifier) with strategy='auto'."
            )
        route = self.route_for(student)
        if route == "cluster":
            module = type(student).__module__.split(".")[0]
            if not _is_dask_student(student):
                raise TypeError(
                    f"route='cluster' needs a lightgbm.DaskLGBMClassifier or "
                    f"xgboost.dask.DaskXGBClassifier student, got {name_of(student)}. "
                    "Use route='sample' or 'partial_fit' for other students."
                )
            if module == "lightgbm":
                self.local_ = _fit_lightgbm(student, targets, self.bins)
            else:
                self.local_ = _fit_xgboost(student, targets)
        elif route == "partial_fit":
            self.local_ = _fit_partial(student, targets, self.n_epochs, self.sample_size)
        else:
            raise ValueError(
                "The 'sample' route is run by the distiller itself (it fits the "
                "in-memory distiller on a sample); fit it through DistilledClassifier."
            )
        self.route_ = route
        return self._record(self.local_.student_, targets)

    # After fit, everything is the local strategy's.
    def tempered_logits(self, X):
        return self.local_.tempered_logits(X)

    def output_spec(self):
        """The local strategy's output description."""
        check_describes_output(self.local_, "The local strategy")
        return self.local_.output_spec()


# -- shared pieces -------------------------------------------------------------------


def _initial_margins(q, weight):
    """Where boosting starts, as in memory (:func:`initial_margins`), from the
    weighted mean of the target rows (one pass over the persisted targets)."""
    import dask

    total, norm = dask.compute((q * weight[:, None]).sum(axis=0), weight.sum())
    if norm <= 0:
        raise ValueError("Every training row has weight 0; nothing to fit.")
    return initial_margins((total / norm)[None, :])


def _soft_labels(q):
    """Binary soft labels in [0, 1], block by block (:func:`binary_soft_labels`)."""
    return q.rechunk({1: -1}).map_blocks(binary_soft_labels, drop_axis=1, dtype=np.float64)


def _expanded(targets, q, init):
    """Rows repeated once per class: X, labels (class index), weights, initial margins."""
    from .._dask import _is_frame

    n_classes = targets.n_classes
    lengths = tuple(n * n_classes for n in targets.lengths)
    X = targets.X
    if _is_frame(X):
        X = X.map_partitions(_repeat_frame, n_classes)
    else:
        X = X.rechunk({1: -1})
        X = X.map_blocks(
            np.repeat, n_classes, axis=0, chunks=(lengths, X.chunks[1]), dtype=X.dtype
        )
    q = q.rechunk({1: -1})
    weight = targets.weight[:, None]  # a column: blocks align on rows
    labels = q.map_blocks(_expanded_labels, chunks=(lengths,), drop_axis=1, dtype=np.int64)
    weights = q.map_blocks(
        _expanded_weights, weight, chunks=(lengths,), drop_axis=1, dtype=np.float64
    )
    margins = q.map_blocks(
        _expanded_margins, init, chunks=(lengths, (n_classes,)), dtype=np.float64
    )
    return X, labels, weights, margins


def _repeat_frame(frame, n_classes):
    return frame.iloc[np.repeat(np.arange(len(frame)), n_classes)]


def _expanded_labels(q):
    n, k = q.shape
    return np.tile(np.arange(k), n)


def _expanded_weights(q, weight):
    return (weight * q).ravel()


def _expanded_margins(q, init):
    n, k = q.shape
    return np.tile(init, (n * k, 1))


def _constant(targets, value):
    """A Dask array of ``value`` per row (binary initial margins)."""
    return targets.weight.map_blocks(
        lambda w: np.full(len(w), value, dtype=np.float64), dtype=np.float64
    )


def _params(student):
    params = student.get_params()
    params.pop("client", None)
    if params.get("class_weight") is not None:
        raise ValueError(
            "class_weight is not supported when training on Dask collections; weight "
            "the rows through sample_weight instead."
        )
    return params


def _local_strategy(strategy, student, targets, init, n_iter, columns):
    strategy.init_score_ = np.atleast_1d(init).copy()
    strategy.n_iter_ = int(n_iter)
    strategy.columns_ = columns
    recipe = SimpleNamespace(classes=targets.classes, temperature=targets.temperature)
    return strategy._record(student, recipe)


# -- LightGBM --------------------------------------------------------------------------


def _fit_lightgbm(student, targets, bins):
    import lightgbm as lgb

    from .._dask import active_client
    from ._bins import global_bins
    from ._lightgbm import LightGBMStrategy, _rewrite_booster, set_label_state

    params = _params(student)
    client = getattr(student, "client", None)
    local_strategy = LightGBMStrategy()
    columns = local_strategy._student_order(targets.classes)
    q = targets.proba[:, columns]
    init = _initial_margins(q, targets.weight)
    student_classes = targets.classes[columns]
    fitting = (
        global_bins(client or active_client(), targets.X, targets.lengths, params)
        if bins == "global"
        else nullcontext((targets.X, params, None))
    )
    with fitting as (X, fit_params, codes):
        rows = replace(targets, X=X)
        if targets.n_classes == 2:
            model = lgb.DaskLGBMRegressor(**{**fit_params, "objective": "cross_entropy"})
            model.set_params(client=client)
            model.fit(
                rows.X,
                _soft_labels(q),
                sample_weight=rows.weight,
                init_score=_constant(rows, float(init)),
            )
            model = _as_lgbm_classifier(lgb, model.to_local(), params, student_classes)
        else:
            X, labels, weights, margins = _expanded(rows, q, init)
            # Each row is now K rows: a leaf (a bin) of m rows holds K * m expanded rows.
            k = targets.n_classes
            fit_params = {
                **fit_params,
                "min_child_samples": params["min_child_samples"] * k,
                "min_data_in_bin": params.get("min_data_in_bin", 3) * k,
            }
            model = lgb.DaskLGBMClassifier(**{**fit_params, "objective": "multiclass"})
            model.set_params(client=client)
            model.fit(X, labels, sample_weight=weights, init_score=margins)
            model = model.to_local()
            set_label_state(model, student_classes)  # labels were class indices
    local = _with_params(model, params, fit_params)
    n_iter = local.booster_.current_iteration()
    local._Booster = _rewrite_booster(lgb, local.booster_, init, 1.0, n_iter)
    if codes is not None:  # thresholds on bin numbers -> on the feature values
        text = codes.rewrite(local._Booster.model_to_string())
        local._Booster = lgb.Booster(model_str=text)
    local.set_params(objective=params["objective"])  # LightGBM also sets _objective
    local._objective = "binary" if targets.n_classes == 2 else "multiclass"
    return _local_strategy(local_strategy, local, targets, init, n_iter, columns)


def _with_params(model, params, fit_params):
    """``model`` with the user's parameters back where the fit changed or added one
    (leaf sizes of expanded rows, the bins file); LightGBM's default where the user
    set none."""
    for key in [k for k in fit_params if k not in params or fit_params[k] != params[k]]:
        if key in params:
            model.set_params(**{key: params[key]})
        else:
            model._other_params.pop(key, None)
            vars(model).pop(key, None)
    return model


def _as_lgbm_classifier(lgb, regressor, params, classes):
    """An ``LGBMClassifier`` holding a fitted binary regressor's state."""
    from ._lightgbm import set_label_state

    model = lgb.LGBMClassifier(**params)
    own = set(params)
    model.__dict__.update({k: v for k, v in vars(regressor).items() if k not in own})
    set_label_state(model, classes)
    return model


# -- XGBoost ---------------------------------------------------------------------------


def _fit_xgboost(student, targets):
    import xgboost as xgb
    from xgboost import dask as dxgb

    from ._xgboost import XGBoostStrategy, _finalize_booster

    params = _params(student)
    client = getattr(student, "client", None)
    columns = np.arange(targets.n_classes)
    q = targets.proba
    init = _initial_margins(q, targets.weight)
    if targets.n_classes == 2:
        model = dxgb.DaskXGBRegressor(**{**params, "objective": "binary:logistic"})
        model.client = client
        model.fit(
            targets.X,
            _soft_labels(q),
            sample_weight=targets.weight,
            base_margin=_constant(targets, float(init)),
        )
    else:
        X, labels, weights, margins = _expanded(targets, q, init)
        model = dxgb.DaskXGBClassifier(**{**params, "objective": "multi:softprob"})
        model.client = client
        model.fit(X, labels, sample_weight=weights, base_margin=margins)
    booster = model.get_booster()
    n_iter = booster.num_boosted_rounds()
    booster = _finalize_booster(xgb, booster, np.atleast_1d(init), 1.0)
    booster.set_attr(scikit_learn=None)
    local = xgb.XGBClassifier(**params)
    local.load_model(booster.save_raw("json"))
    local.objective = "binary:logistic" if targets.n_classes == 2 else "multi:softprob"
    if _is_frame_like(targets.X):
        local.get_booster().feature_names = [str(c) for c in targets.X.columns]
    strategy = XGBoostStrategy()
    return _local_strategy(strategy, local, targets, init, n_iter, columns)


def _is_frame_like(X):
    return hasattr(X, "columns")


# -- partial_fit -------------------------------------------------------------------------


def _stream(parts):
    """The computed blocks of ``parts`` (tuples of collections), in order. With a
    distributed client, as many blocks as there are workers are computed ahead (one
    task gathering each part), so the workers label while the student trains; at
    most that many are held."""
    import dask

    from .._dask import active_client

    client = active_client()
    if client is None:
        for part in parts:
            yield dask.compute(*part)
        return
    ahead = max(2, len(client.scheduler_info().get("workers", ())))
    joined = [dask.delayed(_joined, pure=False)(*part) for part in parts]
    pending = [client.compute(part) for part in joined[:ahead]]
    for i in range(len(parts)):
        future = pending.pop(0)
        if i + ahead < len(parts):
            pending.append(client.compute(joined[i + ahead]))
        yield future.result()
        future.release()


def _joined(*blocks):
    return blocks


def _fit_partial(student, targets, n_epochs, sample_size):
    """Stream the blocks through ``student.partial_fit``, rows expanded by class;
    nothing is persisted. In the first pass the sample the map back to temperature 1
    is fitted on is drawn (``targets.sample(sample_size, targets.map_seed)``, the same
    rows), so the rows are not read again for it."""
    from .._dask import _blocks, _joined_sample, _sample_block, _targets_block

    if not hasattr(student, "partial_fit"):
        raise TypeError(
            f"route='partial_fit' needs a student with partial_fit (SGDClassifier, "
            f"MLPClassifier), got {name_of(student)}. Use route='sample'."
        )
    classes = targets.classes
    parts = list(
        zip(
            _blocks(targets.X),
            _blocks(targets.logits),
            _blocks(targets.y_index),
            _blocks(targets.weight),
            strict=True,
        )
    )
    n_rows = sum(targets.lengths)
    fraction = 1.0 if sample_size >= n_rows else sample_size / n_rows
    sampled = []
    n_expanded = 0
    for epoch in range(n_epochs):
        for i, (X, logits, y_index, weight) in enumerate(_stream(parts)):
            if epoch == 0 and targets.map_seed is not None:
                sampled.append(
                    _sample_block(X, logits, y_index, weight, fraction, targets.map_seed, i)
                )
            q = _targets_block(logits, y_index, targets.temperature, targets.alpha)
            rows, labels, weights = expand(q, weight)
            if len(rows) == 0:
                continue
            X = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
            student.partial_fit(X, classes[labels], sample_weight=weights, classes=classes)
            n_expanded += len(rows)
    if sampled:
        targets.map_sample = _joined_sample(sampled)
    strategy = ExpandStrategy()
    strategy.n_expanded_ = n_expanded
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    strategy.columns_ = np.array([lookup[c] for c in np.asarray(student.classes_).tolist()])
    strategy._identity = np.array_equal(strategy.columns_, np.arange(len(classes)))
    recipe = SimpleNamespace(classes=classes, temperature=targets.temperature)
    return strategy._record(student, recipe)
