"""Integrity checks of scikit-learn's tree internals in a loaded model.

scikit-learn's Cython predictors index node arrays without bounds checks, which is
why skops does not trust ``sklearn.tree._tree.Tree`` or the HistGradientBoosting
``TreePredictor``. Building them runs no native code, so :func:`check_trees` runs
after skops has built the model and before anything predicts with it: every child,
feature and bitset index must be in range and every tree must be a tree.
"""

import numpy as np

from ._integrity import Corrupt

__all__ = ["check_trees"]


def check_trees(model):
    """Check every ``Tree`` and HistGradientBoosting model in ``model``.

    Raises ``Corrupt`` naming what is out of range.
    """
    from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (
        BaseHistGradientBoosting,
    )
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    predictors, boosters = [], []
    seen = set()
    stack = [(model, None, None)]  # (object, its owner's n_features_in_, ensemble's)
    while stack:
        obj, owner_features, ensemble_features = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Tree):
            _check_tree(obj, owner_features)
        elif isinstance(obj, TreePredictor):
            predictors.append(obj)
        elif isinstance(obj, dict):
            stack.extend((v, owner_features, ensemble_features) for v in obj.values())
        elif isinstance(obj, list | tuple):
            stack.extend((v, owner_features, ensemble_features) for v in obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend((v, owner_features, ensemble_features) for v in obj.flat)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            if isinstance(obj, BaseHistGradientBoosting):
                boosters.append(obj)
            state = vars(obj)
            n_features = state.get("n_features_in_")
            if (
                n_features is not None
                and ensemble_features is not None
                and n_features > ensemble_features
            ):
                raise Corrupt(
                    f"a sub-estimator {type(obj).__name__} expects {n_features} features "
                    f"but its ensemble {ensemble_features}"
                )
            for key, value in state.items():
                sub_ensemble = n_features if key == "estimators_" else None
                stack.append((value, n_features, sub_ensemble))

    checked = set()
    for booster in boosters:
        checked.update(_check_hist_gradient_boosting(booster, TreePredictor))
    if any(id(predictor) not in checked for predictor in predictors):
        raise Corrupt(
            "a TreePredictor is not among the _predictors of a HistGradientBoosting model"
        )


# -- sklearn.tree._tree.Tree ------------------------------------------------------------


def _check_tree(tree, n_features):
    if n_features is None:
        raise Corrupt("a tree is not the tree_ of an estimator with n_features_in_")
    if tree.n_features != n_features:
        raise Corrupt(
            f"a tree has {tree.n_features} features but its estimator {n_features}"
        )
    if not 0 < tree.node_count <= tree.capacity:
        raise Corrupt(f"a tree has {tree.node_count} nodes for {tree.capacity} stored")
    left, right = tree.children_left, tree.children_right
    feature = tree.feature
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        raise Corrupt("a node has one child")
    node = np.arange(tree.node_count)
    inner = ~leaf
    if not (
        np.all(left[inner] > node[inner])
        and np.all(right[inner] > node[inner])
        and np.all(left[inner] < tree.node_count)
        and np.all(right[inner] < tree.node_count)
    ):
        raise Corrupt("a child index is out of range or not after its parent")
    if not np.all((feature[inner] >= 0) & (feature[inner] < n_features)):
        raise Corrupt("a split feature is out of range")


# -- HistGradientBoosting ---------------------------------------------------------------


def _check_hist_gradient_boosting(model, tree_predictor):
    """Check the predictors of a fitted HistGradientBoosting model; return their ids."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    name = type(model).__name__
    state = vars(model)
    if "_predictors" not in state:
        return set()  # not fitted: nothing predicts
    n_features = state.get("n_features_in_")
    if (
        not isinstance(n_features, int | np.integer)
        or isinstance(n_features, bool)
        or (n_features < 1)
    ):
        raise Corrupt(f"{name} has no valid n_features_in_ ({n_features!r})")
    _check_preprocessor(state.get("_preprocessor"), n_features, name)
    categorical = _check_bin_mapper(state.get("_bin_mapper"), n_features, name)

    iterations = state["_predictors"]
    if not isinstance(iterations, list) or not all(isinstance(i, list) for i in iterations):
        raise Corrupt(f"{name}._predictors is not a list of lists")
    ids = set()
    for i, iteration in enumerate(iterations):
        for k, predictor in enumerate(iteration):
            where = f"{name} iteration {i} tree {k}"
            if not isinstance(predictor, tree_predictor):
                raise Corrupt(
                    f"{where} is a {type(predictor).__name__}, not a TreePredictor"
                )
            _check_predictor(
                predictor, where, n_features, categorical, PREDICTOR_RECORD_DTYPE
            )
            ids.add(id(predictor))
    return ids


def _check_predictor(predictor, where, n_features, categorical, record_dtype):
    nodes = getattr(predictor, "nodes", None)
    if not isinstance(nodes, np.ndarray) or nodes.dtype != record_dtype or nodes.ndim != 1:
        raise Corrupt(f"{where}: its nodes are not an array of scikit-learn's node records")
    n = len(nodes)
    if n == 0:
        raise Corrupt(f"{where} has no nodes")
    bitsets = {}
    for key in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
        array = getattr(predictor, key, None)
        if (
            not isinstance(array, np.ndarray)
            or array.dtype != np.uint32
            or array.ndim != 2
            or array.shape[1] != 8
        ):
            raise Corrupt(f"{where}: {key} is not an (n, 8) array of uint32 bitsets")
        bitsets[key] = len(array)
    for key in ("is_leaf", "is_categorical", "missing_go_to_left"):
        bad = np.flatnonzero(nodes[key] > 1)
        if bad.size:
            raise Corrupt(
                f"{where} node {bad[0]}: {key} is {nodes[key][bad[0]]}, not 0 or 1"
            )

    reached = np.zeros(n, dtype=bool)
    reached[0] = True
    stack = [0]
    while stack:
        node = stack.pop()
        record = nodes[node]
        if record["is_leaf"]:
            continue
        feature = int(record["feature_idx"])
        if not 0 <= feature < n_features:
            raise Corrupt(
                f"{where} node {node}: split feature {feature} out of range "
                f"[0, {n_features})"
            )
        if record["is_categorical"]:
            if not categorical[feature]:
                raise Corrupt(
                    f"{where} node {node}: a categorical split on feature {feature}, which "
                    "the model's bin mapper does not treat as categorical"
                )
            index = int(record["bitset_idx"])
            if index >= min(bitsets.values()):
                raise Corrupt(
                    f"{where} node {node}: bitset {index} out of range "
                    f"[0, {min(bitsets.values())})"
                )
        for side in ("left", "right"):
            child = int(record[side])
            if not 0 < child < n:
                raise Corrupt(
                    f"{where} node {node}: {side} child {child} out of range [1, {n})"
                )
            if reached[child]:
                raise Corrupt(
                    f"{where} node {node}: {side} child {child} is reached twice (a cycle "
                    "or a shared node)"
                )
            reached[child] = True
            stack.append(child)
    if not reached.all():
        raise Corrupt(f"{where}: node {np.flatnonzero(~reached)[0]} is not reachable")


def _check_bin_mapper(mapper, n_features, name):
    """The categorical flags the predictors rely on; returns them as a bool array."""
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper

    if not isinstance(mapper, _BinMapper):
        raise Corrupt(f"{name}._bin_mapper is a {type(mapper).__name__}, not a _BinMapper")
    flags = getattr(mapper, "is_categorical_", None)
    if not isinstance(flags, np.ndarray) or flags.shape != (n_features,):
        raise Corrupt(
            f"{name}._bin_mapper.is_categorical_ does not have {n_features} flags"
        )
    if np.any((flags != 0) & (flags != 1)):
        raise Corrupt(f"{name}._bin_mapper.is_categorical_ holds values other than 0 and 1")
    flags = flags.astype(bool)
    thresholds = getattr(mapper, "bin_thresholds_", None)
    if not isinstance(thresholds, list) or len(thresholds) != n_features:
        raise Corrupt(
            f"{name}._bin_mapper.bin_thresholds_ does not have {n_features} entries"
        )
    for feature in np.flatnonzero(flags):
        known = thresholds[feature]
        if (
            not isinstance(known, np.ndarray)
            or known.ndim != 1
            or not np.all((known >= 0) & (known <= 255) & (known == np.round(known)))
        ):
            raise Corrupt(
                f"{name}: the known categories of feature {feature} are not integers in "
                "[0, 255]"
            )
    return flags


def _check_preprocessor(preprocessor, n_features, name):
    """A categorical model's ColumnTransformer must output one column per feature."""
    if preprocessor is None:
        return
    import functools

    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder
    from sklearn.utils.validation import check_array

    where = f"{name}._preprocessor"
    if not isinstance(preprocessor, ColumnTransformer):
        raise Corrupt(
            f"{where} is a {type(preprocessor).__name__}, not a ColumnTransformer"
        )
    transformers = getattr(preprocessor, "transformers_", None)
    indices = getattr(preprocessor, "_transformer_to_input_indices", None)
    if not isinstance(transformers, list) or not isinstance(indices, dict):
        raise Corrupt(f"{where} is not fitted")
    selected, by_name = [], []
    for entry in transformers:
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise Corrupt(f"{where} has a malformed transformer entry")
        label, transformer, columns = entry
        if isinstance(transformer, str) and transformer == "drop":
            continue
        function = getattr(transformer, "func", None)
        if not (
            isinstance(transformer, OrdinalEncoder)
            or (
                isinstance(transformer, FunctionTransformer)
                and isinstance(function, functools.partial)
                and function.func is check_array
            )
        ):
            raise Corrupt(f"{where} holds an unexpected transformer {label!r}")
        selected.append(_column_indices(columns, n_features, where))
        by_name.append(_column_indices(indices.get(label), n_features, where))
    for chosen in (selected, by_name):
        merged = np.sort(np.concatenate(chosen)) if chosen else np.array([], dtype=int)
        if not np.array_equal(merged, np.arange(n_features)):
            raise Corrupt(f"{where} does not output each of the {n_features} features once")


def _column_indices(columns, n_features, where):
    columns = np.asarray(columns) if columns is not None else None
    if columns is None or columns.ndim != 1:
        raise Corrupt(f"{where} selects its columns in an unexpected way")
    if columns.dtype == bool:
        if len(columns) != n_features:
            raise Corrupt(f"{where} has a column mask of {len(columns)} for {n_features}")
        return np.flatnonzero(columns)
    if columns.size and columns.dtype.kind not in "iu":
        raise Corrupt(f"{where} selects its columns in an unexpected way")
    return columns.astype(int)
