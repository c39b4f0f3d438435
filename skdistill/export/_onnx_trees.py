"""Exact ONNX conversion of tree models: missing values, thresholds, feature names.

The converters :func:`~skdistill.export.to_onnx` relies on are not exact for every
tree model. skl2onnx writes every scikit-learn tree node with
``nodes_missing_value_tracks_true=0`` (NaN then always takes the right branch, where
scikit-learn follows each node's ``missing_go_to_left``) and its
HistGradientBoosting converter fails on that same attribute; onnxmltools' XGBoost
converter reads feature positions from the booster's feature names (``f0``, ``f1``,
...); and some models route values in ways an ONNX ``TreeEnsemble`` cannot express.

This module hands skl2onnx, for one conversion (its ``custom_conversion_functions``,
so nothing is registered globally), converters that wrap the registered ones:
scikit-learn trees get each node's missing-value branch, and they and LightGBM
models the float32 thresholds that reproduce their float64 comparisons; XGBoost
models are converted from a copy whose booster has positional feature names; and a
model the ONNX graph cannot reproduce is refused with the reason and the fix
(:func:`refusal`) instead of being written wrong.
"""

import importlib
import sys

import numpy as np

from .._validation import name_of

#: ONNX-ML operators that hold tree nodes.
_TREE_OPS = ("TreeEnsembleClassifier", "TreeEnsembleRegressor")

#: scikit-learn tree models that accept NaN, by module and class name. Their nodes
#: route NaN with ``missing_go_to_left`` (scikit-learn >= 1.3).
_SKLEARN_TREES = {
    "sklearn.tree": (
        "DecisionTreeClassifier",
        "DecisionTreeRegressor",
        "ExtraTreeClassifier",
        "ExtraTreeRegressor",
    ),
    "sklearn.ensemble": (
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
        "HistGradientBoostingClassifier",
        "HistGradientBoostingRegressor",
    ),
}

_IMPUTE = "impute NaN in a pipeline step before the student (e.g. SimpleImputer)"


class InexactConversionError(ValueError):
    """The ONNX graph could not reproduce the model: what and how to fix it."""


def exact_converters(skl2onnx):
    """``{model class: converter}`` for ``convert_sklearn(custom_conversion_functions=)``.

    Covers the scikit-learn trees that accept NaN and, when their framework is
    imported, LightGBM and XGBoost models (already registered with skl2onnx).
    """
    from skl2onnx.common._registration import get_converter

    converters = {}
    for module, names in _SKLEARN_TREES.items():
        module = importlib.import_module(module)
        for name in names:
            cls = getattr(module, name)
            original = get_converter(skl2onnx.get_model_alias(cls))
            converters[cls] = _tree_node_converter(original, _sklearn_routes)
    for framework, prefix, wrap in (
        ("lightgbm", "LGBM", _lightgbm_converter),
        ("xgboost", "XGB", _positional_names_converter),
    ):
        if framework not in sys.modules:
            continue
        for kind in ("Classifier", "Regressor"):
            cls = getattr(sys.modules[framework], prefix + kind)
            try:
                original = get_converter(skl2onnx.get_model_alias(cls))
            except (RuntimeError, ValueError):  # not registered: skl2onnx says so
                continue
            converters[cls] = wrap(original)
    return converters


def _check(estimator):
    message = refusal(estimator, fitted=True)
    if message:
        raise InexactConversionError(message)


def _tree_node_converter(original, rewriter):
    """``original``, the attributes of its tree nodes passed through a rewrite.

    ``rewriter(estimator)`` returns the function that edits, in place, the
    attributes of each ``TreeEnsemble*`` node before it is made.
    """

    def convert(scope, operator, container):
        estimator = operator.raw_operator
        _check(estimator)
        rewrite = rewriter(estimator)
        own = vars(container).get("add_node")
        add_node = container.add_node

        def add_rewritten_node(op_type, *args, **kwargs):
            if op_type in _TREE_OPS:
                rewrite(kwargs)
            elif op_type.startswith("TreeEnsemble"):  # e.g. ai.onnx.ml 5's TreeEnsemble
                raise InexactConversionError(
                    f"The converter of {name_of(estimator)} wrote a {op_type} node, "
                    "whose missing-value branches skdistill cannot check; the export "
                    "is refused rather than possibly wrong. Use a skl2onnx version "
                    "that writes TreeEnsembleClassifier/Regressor nodes (1.20 does)."
                )
            return add_node(op_type, *args, **kwargs)

        container.add_node = add_rewritten_node  # this container, this call only
        try:
            original(scope, operator, container)
        finally:
            if own is None:
                del container.add_node
            else:
                container.add_node = own

    return convert


def _sklearn_routes(estimator):
    trees = _sklearn_trees(estimator)
    return lambda attrs: _route(attrs, trees, estimator)


def _lightgbm_converter(original):
    """``original`` with thresholds LightGBM's float64 comparisons agree with."""
    return _tree_node_converter(original, lambda estimator: _lightgbm_thresholds)


def _lightgbm_thresholds(attrs):
    """``x <= t`` (float64 t) as ``x <= w`` for float32 x; the converter rounds t."""
    attrs["nodes_values"] = [
        float(float32_threshold(value)) if mode == "BRANCH_LEQ" else value
        for value, mode in zip(attrs["nodes_values"], attrs["nodes_modes"], strict=True)
    ]


def _sklearn_trees(estimator):
    """``{tree id: (missing_go_to_left, threshold)}``, numbered as skl2onnx does."""
    if hasattr(estimator, "tree_"):  # DecisionTree*, ExtraTree*
        return {0: _tree_arrays(estimator.tree_)}
    if hasattr(estimator, "_predictors"):  # HistGradientBoosting*
        trees = {}
        for i, predictors in enumerate(estimator._predictors):
            for k, predictor in enumerate(predictors):
                nodes = predictor.nodes
                tree_id = i if len(predictors) == 1 else i * len(predictors) + k
                trees[tree_id] = (
                    nodes["missing_go_to_left"].astype(bool),
                    nodes["num_threshold"].astype(np.float64),
                )
        return trees
    return {i: _tree_arrays(tree.tree_) for i, tree in enumerate(estimator.estimators_)}


def _tree_arrays(tree):
    return np.asarray(tree.missing_go_to_left, dtype=bool), tree.threshold


def float32_threshold(threshold):
    """The float32 ``w`` with ``x <= threshold`` iff ``x <= w``, for float32 ``x``."""
    w = np.float32(threshold)
    if np.float64(w) > threshold:
        w = np.nextafter(w, np.float32(-np.inf))
    return w


def _route(attrs, trees, estimator):
    """Set the missing-value branch and threshold of every branch node in ``attrs``."""
    tree_ids = attrs["nodes_treeids"]
    node_ids = attrs["nodes_nodeids"]
    modes = attrs["nodes_modes"]
    values = np.array(attrs["nodes_values"], dtype=np.float32)
    tracks = []
    for position, (tree_id, node_id, mode) in enumerate(
        zip(tree_ids, node_ids, modes, strict=True)
    ):
        if mode == "LEAF":
            tracks.append(0)
            continue
        go_left, thresholds = trees.get(int(tree_id), (None, None))
        if mode != "BRANCH_LEQ" or go_left is None or int(node_id) >= len(go_left):
            raise InexactConversionError(
                f"skl2onnx converted {name_of(estimator)} into nodes skdistill does not "
                f"recognise (tree {tree_id}, node {node_id}, mode {mode}), so the "
                "missing-value branches cannot be checked; the export is refused "
                "rather than possibly wrong. Use skl2onnx 1.20, whose tree converters "
                "skdistill knows."
            )
        tracks.append(int(go_left[int(node_id)]))  # the "true" branch is the left one
        values[position] = float32_threshold(thresholds[int(node_id)])
    attrs["nodes_missing_value_tracks_true"] = tracks
    attrs["nodes_values"] = values


def _positional_names_converter(original):
    """``original`` given a view of the XGBoost model whose booster names ``f0..fN``."""

    def convert(scope, operator, container):
        estimator = operator.raw_operator
        _check(estimator)
        operator.raw_operator = positional_xgboost(estimator)
        try:
            original(scope, operator, container)
        finally:
            operator.raw_operator = estimator

    return convert


def positional_xgboost(estimator):
    """A shallow copy of an XGBoost model whose booster (a copy) has no feature names.

    onnxmltools reads the feature position from the names in the trees' dump (``f3``
    is column 3), so real column names fail ("Unable to interpret 'PAY_0'") or, worse,
    names like ``f1`` on another column map silently to the wrong one. The user's
    model is not touched.
    """
    booster = estimator.get_booster()
    if booster.feature_names is None:
        return estimator
    renamed = booster.copy()
    renamed.feature_names = None
    twin = object.__new__(type(estimator))
    twin.__dict__.update(vars(estimator))
    twin._Booster = renamed
    return twin


# -- what ONNX cannot express ---------------------------------------------------------


def refusal(estimator, *, fitted):
    """Why ``estimator`` cannot be exported exactly (a message with the fix), or None.

    With ``fitted=False`` only the parameters are looked at (a check before fitting);
    with ``fitted=True`` the fitted trees are too.
    """
    module = type(estimator).__module__.split(".")[0]
    name = type(estimator).__name__
    if module == "xgboost":
        return _xgboost_refusal(estimator, fitted)
    if module == "lightgbm":
        return _lightgbm_refusal(estimator, fitted)
    if module == "sklearn" and name.startswith("HistGradientBoosting"):
        return _hist_refusal(estimator, fitted)
    return None


def _xgboost_refusal(estimator, fitted):
    name = name_of(estimator)
    missing = getattr(estimator, "missing", np.nan)
    if missing is not None and not np.isnan(missing):
        return (
            f"{name} treats the value {missing!r} as missing (missing={missing!r}), which "
            "an ONNX tree ensemble cannot express (it only routes NaN). Fit the student "
            "with missing=np.nan (the default) and encode missing values as NaN."
        )
    if fitted:
        types = estimator.get_booster().feature_types or []
        categorical = [i for i, kind in enumerate(types) if kind == "c"]
        if categorical:
            return (
                f"{name} has categorical splits (features {categorical}), which the ONNX "
                "converter cannot reproduce exactly (XGBoost truncates values to "
                "integers and sends unknown categories its own way). Encode those "
                "columns as numbers (e.g. OrdinalEncoder) and fit with "
                "enable_categorical=False."
            )
    return None


def _lightgbm_refusal(estimator, fitted):
    name = name_of(estimator)
    params = estimator.get_params()
    if params.get("zero_as_missing"):
        return _lightgbm_zero_message(name)
    if params.get("linear_tree"):
        return _lightgbm_linear_message(name)
    if not fitted:
        return None
    for tree in estimator.booster_.dump_model()["tree_info"]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "leaf_coeff" in node:
                return _lightgbm_linear_message(name)
            if "split_index" not in node:
                continue
            stack += [node["left_child"], node["right_child"]]
            if node["decision_type"] != "<=":
                return (
                    f"{name} has categorical splits (decision '{node['decision_type']}' "
                    f"on feature {node['split_feature']}), which the ONNX converter "
                    "cannot reproduce exactly (LightGBM truncates values to integers "
                    "and sends NaN and unknown categories its own way). Fit it without "
                    "categorical_feature, on numerically encoded columns."
                )
            if node["missing_type"] == "Zero":
                return _lightgbm_zero_message(name)
            if (
                node["missing_type"] == "None"
                and not node["default_left"]
                and float(node["threshold"]) >= 0
            ):
                return (
                    f"{name} has a node (feature {node['split_feature']}) where LightGBM "
                    "reads NaN as 0, which takes the left branch, but the ONNX converter "
                    f"sends NaN right. Cannot export it exactly; {_IMPUTE}."
                )
    return None


def _lightgbm_zero_message(name):
    return (
        f"{name} treats zeros as missing values (zero_as_missing=True), which an ONNX "
        "tree ensemble cannot express (it only routes NaN). Fit the student with "
        "zero_as_missing=False (the default) and encode missing values as NaN."
    )


def _lightgbm_linear_message(name):
    return (
        f"{name} has linear models in its leaves (linear_tree=True), which the ONNX "
        "converter leaves out. Fit the student with linear_tree=False."
    )


def _hist_refusal(estimator, fitted):
    name = name_of(estimator)
    if fitted:
        categorical = getattr(estimator, "is_categorical_", None)
        has_categorical = categorical is not None and bool(np.any(categorical))
    else:  # a list of columns or a mask; "from_dtype" depends on the data
        declared = estimator.categorical_features
        declared = None if isinstance(declared, str) else declared
        declared = np.asarray([] if declared is None else declared)
        has_categorical = declared.size > 0 and (
            declared.dtype.kind != "b" or declared.any()
        )
    if has_categorical:
        return (
            f"{name} has categorical features, whose splits the ONNX converter "
            "(skl2onnx) does not reproduce. Fit it with categorical_features=None, "
            "with those columns encoded numerically (e.g. an OrdinalEncoder step)."
        )
    loss = getattr(estimator, "loss", None)
    if type(estimator).__name__ == "HistGradientBoostingRegressor" and loss in (
        "poisson",
        "gamma",
    ):
        return (
            f"{name} uses loss={loss!r}, whose exponential link the ONNX converter "
            "(skl2onnx) leaves out. Fit it with loss='squared_error', or predict with "
            "scikit-learn."
        )
    return None
