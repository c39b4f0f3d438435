"""Checks of a serialized XGBoost booster, in Python, before XGBoost reads it.

``xgboost.core.Booster.__setstate__`` hands its bytes (the learner's UBJSON
serialization: ``{"Config": ..., "Model": ...}``) to native code that trusts them:
its UBJSON reader copies lengths it reads, the model loader indexes parents it
reads, and the predictor walks ``left + 1`` as the right child and reads feature
``split_indices[node]`` of a row without bounds checks. These checks accept only a
model whose every index is in range (layout of XGBoost 2 and 3,
``src/tree/tree_model.cc`` and ``src/gbm/gbtree_model.cc``) and refuse anything
else.
"""

import re

import numpy as np

from ._integrity import Corrupt, Unsupported
from ._ubjson import TypedArray, UBJSONError, loads

__all__ = ["check_booster"]

_INT32_MAX = 2**31 - 1

#: How XGBoost stores the root's parent: ``-1`` masked to 31 bits.
_ROOT_PARENT = 2**31 - 1

#: XGBoost requires category codes below 2**24 (exact in float32).
_MAX_CATEGORY = 2**24

#: Most threads a saved configuration may ask for.
_MAX_THREADS = 4096

_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_INT = re.compile(r"-?[0-9]+\Z")

#: Node arrays of a tree and the typed-array element XGBoost writes for each.
_NODE_ARRAYS = {
    "loss_changes": b"d",
    "sum_hessian": b"d",
    "base_weights": b"d",
    "left_children": b"l",
    "right_children": b"l",
    "parents": b"l",
    "split_indices": b"l",
    "split_conditions": b"d",
    "default_left": b"U",
    "split_type": b"U",
}
_CATEGORY_ARRAYS = {
    "categories": b"l",
    "categories_nodes": b"l",
    "categories_segments": b"L",
    "categories_sizes": b"L",
}
_KINDS = {
    b"d": "float32",
    b"D": "float64",
    b"i": "int8",
    b"U": "uint8",
    b"I": "int16",
    b"l": "int32",
    b"L": "int64",
}

#: ``Value::ValueKind`` codes of the typed arrays XGBoost writes, by element marker.
_VALUE_KINDS = {7: b"d", 8: b"D", 9: b"i", 10: b"U", 11: b"I", 13: b"l", 15: b"L"}


def check_booster(data):
    """Check the bytes of a pickled ``xgboost.core.Booster``; return its shape.

    Returns a dict with ``num_feature``, ``num_class`` (0 for one output),
    ``n_outputs`` and ``objective``. Raises ``Corrupt`` or ``Unsupported``.
    """
    if not isinstance(data, bytes | bytearray):
        raise Corrupt(f"the model is a {type(data).__name__}, not bytes")
    if data[:1] != b"{":
        raise Corrupt("the model bytes are not XGBoost's serialization (a UBJSON object)")
    if data[1:2] == b'"':
        raise Unsupported("the model is in the JSON text serialization of XGBoost 1.x")
    try:
        document = loads(data)
    except UBJSONError as exc:
        raise Corrupt(f"the model bytes are not valid UBJSON: {exc}") from None
    _keys(document, "the serialization", required={"Config", "Model"})
    shape = _check_model(document["Model"])
    _check_config(document["Config"])
    return shape


# -- helpers ------------------------------------------------------------------------


def _keys(value, where, *, required=(), optional=()):
    if not isinstance(value, dict):
        raise Corrupt(f"{where} is a {_kind(value)}, not an object")
    missing = set(required) - value.keys()
    if missing:
        raise Corrupt(f"{where} lacks {sorted(missing)}")
    unknown = value.keys() - set(required) - set(optional)
    if unknown:
        raise Unsupported(
            f"{where} has keys skdistill does not know: {sorted(unknown)} (written by "
            "another XGBoost version?)"
        )
    return value


def _kind(value):
    if isinstance(value, TypedArray):
        return f"{_KINDS[value.marker]} array"
    return {dict: "object", list: "array", str: "string"}.get(
        type(value), type(value).__name__
    )


def _int_param(value, where, low, high):
    """An integer parameter, stored by XGBoost as a decimal string."""
    if not isinstance(value, str) or not _INT.match(value):
        raise Corrupt(f"{where} is not an integer: {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise Corrupt(f"{where} = {number} is out of range [{low}, {high}]")
    return number


def _integer(value, where):
    if type(value) is not int:
        raise Corrupt(f"{where} is a {_kind(value)}, not an integer")
    return value


def _typed(value, marker, where, size=None):
    if not isinstance(value, TypedArray) or value.marker != marker:
        raise Corrupt(f"{where} is a {_kind(value)}, not an {_KINDS[marker]} array")
    if size is not None and len(value) != size:
        raise Corrupt(f"{where} has {len(value)} entries, expected {size}")
    return value.values


def _strings(value, where):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Corrupt(f"{where} is not an array of strings")
    return value


def _plain(value, where):
    """A configuration: objects, arrays, strings, numbers and booleans only."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, f"{at}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(item))
        elif not isinstance(item, str | bool | int | float):
            raise Corrupt(f"{at} is a {_kind(item)}, unexpected in a configuration")


def _version(value, where):
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(type(v) is int and v >= 0 for v in value)
    ):
        raise Corrupt(f"{where} is not a [major, minor, patch] version")


# -- the model ----------------------------------------------------------------------


def _check_model(model):
    _keys(model, "Model", required={"learner", "version"})
    _version(model["version"], "Model.version")
    learner = _keys(
        model["learner"],
        "the learner",
        required={"learner_model_param", "gradient_booster", "objective", "attributes"},
        optional={"feature_names", "feature_types"},
    )
    param = _keys(
        learner["learner_model_param"],
        "learner_model_param",
        required={"base_score", "num_class", "num_feature"},
        optional={"num_target", "boost_from_average"},
    )
    num_class = _int_param(param["num_class"], "num_class", 0, _INT32_MAX)
    num_feature = _int_param(param["num_feature"], "num_feature", 1, _INT32_MAX)
    num_target = _int_param(param.get("num_target", "1"), "num_target", 1, _INT32_MAX)
    if "boost_from_average" in param:
        _int_param(param["boost_from_average"], "boost_from_average", 0, 1)
    if num_class > 1 and num_target > 1:
        raise Corrupt(f"the model has both {num_class} classes and {num_target} targets")
    n_outputs = max(num_class, num_target, 1)
    _check_base_score(param["base_score"], n_outputs)
    objective = _check_objective(learner["objective"], num_class)

    attributes = learner["attributes"]
    if not isinstance(attributes, dict) or not all(
        isinstance(value, str) for value in attributes.values()
    ):
        raise Corrupt("the attributes are not an object of strings")
    for key in ("feature_names", "feature_types"):
        values = _strings(learner.get(key, []), key)
        if len(values) not in (0, num_feature):
            raise Corrupt(f"{key} has {len(values)} entries for {num_feature} features")

    _check_gradient_booster(learner["gradient_booster"], num_feature, n_outputs)
    return {
        "num_feature": num_feature,
        "num_class": num_class,
        "n_outputs": n_outputs,
        "objective": objective,
    }


def _check_base_score(text, n_outputs):
    if not isinstance(text, str):
        raise Corrupt(f"base_score is a {_kind(text)}, not a string")
    body = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    parts = body.split(",")
    if not all(_FLOAT.match(part) and np.isfinite(float(part)) for part in parts):
        raise Corrupt(f"base_score {text[:60]!r} is not a list of finite numbers")
    if len(parts) not in (1, n_outputs):
        raise Corrupt(f"base_score has {len(parts)} values for {n_outputs} outputs")


def _check_objective(objective, num_class):
    if not isinstance(objective, dict) or not isinstance(objective.get("name"), str):
        raise Corrupt("the objective has no name")
    _plain(objective, "the objective")
    name = objective["name"]
    if name.startswith("multi:"):
        param = objective.get("softmax_multiclass_param")
        if not isinstance(param, dict) or "num_class" not in param:
            raise Corrupt(f"the objective {name} has no num_class")
        classes = _int_param(param["num_class"], "the objective's num_class", 1, _INT32_MAX)
        if classes != num_class:
            raise Corrupt(
                f"the objective {name} has {classes} classes but the model {num_class}"
            )
    return name


def _check_gradient_booster(booster, num_feature, n_outputs):
    name = booster.get("name") if isinstance(booster, dict) else None
    if name == "gbtree":
        _keys(booster, "the gbtree booster", required={"name", "model"})
        return _check_gbtree(booster["model"], num_feature, n_outputs)
    if name == "dart":
        _keys(booster, "the dart booster", required={"name", "gbtree", "weight_drop"})
        inner = _keys(
            booster["gbtree"], "the dart booster's gbtree", required={"name", "model"}
        )
        if inner["name"] != "gbtree":
            raise Corrupt("the dart booster does not hold a gbtree")
        n_trees = _check_gbtree(inner["model"], num_feature, n_outputs)
        weights = booster["weight_drop"]
        if not isinstance(weights, list) or not all(type(w) is float for w in weights):
            raise Corrupt("the dart booster's weight_drop is not an array of numbers")
        if len(weights) != n_trees:
            raise Corrupt(
                f"the dart booster has {len(weights)} tree weights for {n_trees} trees"
            )
        return n_trees
    if name == "gblinear":
        raise Unsupported("the booster is gblinear, which skdistill does not check")
    raise Unsupported(f"the gradient booster is {name!r}, which skdistill does not know")


def _check_gbtree(model, num_feature, n_outputs):
    _keys(
        model,
        "the gbtree model",
        required={"gbtree_model_param", "trees", "tree_info"},
        optional={"iteration_indptr", "cats"},
    )
    param = _keys(
        model["gbtree_model_param"],
        "gbtree_model_param",
        required={"num_parallel_tree", "num_trees"},
    )
    n_trees = _int_param(param["num_trees"], "num_trees", 0, _INT32_MAX)
    n_parallel = _int_param(param["num_parallel_tree"], "num_parallel_tree", 1, _INT32_MAX)
    trees, tree_info = model["trees"], model["tree_info"]
    if not isinstance(trees, list) or len(trees) != n_trees:
        raise Corrupt(f"num_trees is {n_trees} but the model holds {_count(trees)} trees")
    if not isinstance(tree_info, list) or len(tree_info) != n_trees:
        raise Corrupt(f"tree_info has {_count(tree_info)} entries for {n_trees} trees")
    for index, group in enumerate(tree_info):
        if not 0 <= _integer(group, f"tree_info[{index}]") < n_outputs:
            raise Corrupt(
                f"tree {index} adds to output {group}, out of range [0, {n_outputs})"
            )
    for index, tree in enumerate(trees):
        _check_tree(tree, index, num_feature)
    if "iteration_indptr" not in model:
        raise Unsupported("the model has no iteration_indptr (written by XGBoost < 2.0)")
    indptr = model["iteration_indptr"]
    layer = n_parallel * n_outputs
    if (
        not isinstance(indptr, list)
        or not indptr
        or not all(type(v) is int for v in indptr)
        or indptr[0] != 0
        or indptr[-1] != n_trees
        or any(b - a != layer for a, b in zip(indptr, indptr[1:], strict=False))
    ):
        raise Corrupt(
            f"iteration_indptr does not split the {n_trees} trees into rounds of {layer}"
        )
    if "cats" in model:
        _check_categories(model["cats"], num_feature)
    return n_trees


def _count(value):
    return len(value) if isinstance(value, list) else "no"


def _check_tree(tree, index, num_feature):
    where = f"tree {index}"
    param = tree.get("tree_param") if isinstance(tree, dict) else None
    if isinstance(param, dict) and param.get("size_leaf_vector") not in (None, "0", "1"):
        raise Unsupported(
            f"{where} is a multi-output tree (multi_strategy='multi_output_tree'), "
            "which skdistill does not check"
        )
    _keys(
        tree,
        where,
        required={"tree_param", "id", *_NODE_ARRAYS, *_CATEGORY_ARRAYS},
    )
    if _integer(tree["id"], f"{where}'s id") != index:
        raise Corrupt(f"{where} has id {tree['id']}")
    param = _keys(
        tree["tree_param"],
        f"{where}'s tree_param",
        required={"num_nodes", "num_feature", "size_leaf_vector", "num_deleted"},
    )
    n = _int_param(param["num_nodes"], f"{where}'s num_nodes", 1, _INT32_MAX)
    tree_features = _int_param(
        param["num_feature"], f"{where}'s num_feature", 0, _INT32_MAX
    )
    if tree_features != num_feature:
        raise Corrupt(f"{where} has {tree_features} features but the model {num_feature}")
    _int_param(param["size_leaf_vector"], f"{where}'s size_leaf_vector", 0, 1)
    n_deleted = _int_param(param["num_deleted"], f"{where}'s num_deleted", 0, n - 1)
    if (
        isinstance(tree["split_indices"], TypedArray)
        and tree["split_indices"].marker == b"L"
    ):
        raise Unsupported(
            f"{where} has 64-bit feature indices, which skdistill does not check"
        )
    nodes = {
        key: _typed(tree[key], marker, f"{where}'s {key}", n)
        for key, marker in _NODE_ARRAYS.items()
    }
    left, right, parents = nodes["left_children"], nodes["right_children"], nodes["parents"]
    split, threshold = nodes["split_indices"], nodes["split_conditions"]
    categorical = nodes["split_type"]
    for key in ("default_left", "split_type"):
        bad = np.flatnonzero(nodes[key] > 1)
        if bad.size:
            raise Corrupt(
                f"{where} node {bad[0]}: {key} is {nodes[key][bad[0]]}, not 0 or 1"
            )

    is_leaf = left == -1
    odd = np.flatnonzero(is_leaf != (right == -1))
    if odd.size:
        node = odd[0]
        raise Corrupt(
            f"{where} node {node}: children {left[node]} and {right[node]}, one -1"
        )
    if parents[0] != _ROOT_PARENT:
        raise Corrupt(f"{where}: the root has parent {parents[0]}")
    stray = np.flatnonzero((parents[1:] < 0) | (parents[1:] >= n))
    if stray.size:
        node = stray[0] + 1
        raise Corrupt(f"{where} node {node}: parent {parents[node]} out of range [0, {n})")

    reached = np.zeros(n, dtype=bool)
    reached[0] = True
    stack = [0]
    while stack:
        node = stack.pop()
        if is_leaf[node]:
            if not np.isfinite(threshold[node]):
                raise Corrupt(
                    f"{where} node {node}: leaf value {threshold[node]} is not finite"
                )
            continue
        first = int(left[node])
        if not 0 < first < n - 1:
            raise Corrupt(
                f"{where} node {node}: left child {first} out of range [1, {n - 1})"
            )
        if right[node] != first + 1:
            raise Corrupt(
                f"{where} node {node}: right child {right[node]} is not left child + 1 "
                f"({first + 1}), which XGBoost's predictor assumes"
            )
        feature = int(split[node])
        if not 0 <= feature < num_feature:
            raise Corrupt(
                f"{where} node {node}: split feature {feature} out of range "
                f"[0, {num_feature})"
            )
        if not categorical[node] and not np.isfinite(threshold[node]):
            raise Corrupt(f"{where} node {node}: threshold {threshold[node]} is not finite")
        for child in (first, first + 1):
            if reached[child]:
                raise Corrupt(
                    f"{where} node {node}: child {child} is reached twice (a cycle or a "
                    "shared node)"
                )
            if parents[child] != node:
                raise Corrupt(f"{where} node {child}: parent {parents[child]}, not {node}")
            reached[child] = True
            stack.append(child)
    unreached = n - int(reached.sum())
    if unreached != n_deleted:
        raise Corrupt(
            f"{where}: {unreached} nodes are not reachable from the root but "
            f"num_deleted is {n_deleted}"
        )
    _check_tree_categories(tree, where, n, categorical)


def _check_tree_categories(tree, where, n, split_type):
    arrays = {
        key: _typed(tree[key], marker, f"{where}'s {key}")
        for key, marker in _CATEGORY_ARRAYS.items()
    }
    nodes = arrays["categories_nodes"]
    segments, sizes = arrays["categories_segments"], arrays["categories_sizes"]
    categories = arrays["categories"]
    if not np.array_equal(nodes, np.flatnonzero(split_type)):
        raise Corrupt(f"{where}: categories_nodes does not list its categorical splits")
    if len(segments) != len(nodes) or len(sizes) != len(nodes):
        raise Corrupt(
            f"{where}: {len(nodes)} categorical splits but {len(segments)} segments and "
            f"{len(sizes)} sizes"
        )
    bad = np.flatnonzero(
        (segments < 0) | (sizes < 1) | (segments > len(categories) - sizes)
    )
    if bad.size:
        k = bad[0]
        raise Corrupt(
            f"{where} node {nodes[k]}: categories "
            f"[{segments[k]}, {segments[k] + sizes[k]}) "
            f"out of range [0, {len(categories)})"
        )
    if categories.size and not (categories.min() >= 0 and categories.max() < _MAX_CATEGORY):
        raise Corrupt(f"{where}: a category is out of range [0, {_MAX_CATEGORY})")


def _check_categories(cats, num_feature):
    """The categories seen in training, by which XGBoost re-codes input categories."""
    _keys(cats, "the categories", required={"enc", "feature_segments", "sorted_idx"})
    columns = cats["enc"]
    segments = _typed(cats["feature_segments"], b"l", "feature_segments")
    order = _typed(cats["sorted_idx"], b"l", "sorted_idx")
    if not isinstance(columns, list):
        raise Corrupt("the categories' enc is not an array")
    if not columns:
        if len(segments) or len(order):
            raise Corrupt("the categories have segments but no columns")
        return
    if len(columns) != num_feature:
        raise Corrupt(
            f"the categories have {len(columns)} columns for {num_feature} features"
        )
    sizes = [_category_count(column, f) for f, column in enumerate(columns)]
    if (
        len(segments) != len(columns) + 1
        or segments[0] != 0
        or not np.array_equal(np.diff(segments), sizes)
    ):
        raise Corrupt(
            "feature_segments does not match the number of categories per feature"
        )
    if len(order) != segments[-1]:
        raise Corrupt(f"sorted_idx has {len(order)} entries for {segments[-1]} categories")
    for f, size in enumerate(sizes):
        part = order[segments[f] : segments[f + 1]]
        if not np.array_equal(np.sort(part), np.arange(size)):
            raise Corrupt(f"sorted_idx of feature {f} is not an ordering of its categories")


def _category_count(column, feature):
    where = f"the categories of feature {feature}"
    if isinstance(column, dict) and "offsets" in column:
        _keys(column, where, required={"offsets", "values"})
        offsets = _typed(column["offsets"], b"l", f"{where}: offsets")
        values = _typed(column["values"], b"i", f"{where}: values")
        if not len(offsets):
            if len(values):
                raise Corrupt(f"{where} have names but no offsets")
            return 0
        if offsets[0] != 0 or offsets[-1] != len(values) or np.any(np.diff(offsets) < 0):
            raise Corrupt(f"{where}: offsets do not split the {len(values)} name bytes")
        return len(offsets) - 1
    _keys(column, where, required={"type", "values"})
    marker = _VALUE_KINDS.get(_integer(column["type"], f"{where}: type"))
    if marker is None:
        raise Corrupt(f"{where} have an unknown type {column['type']}")
    return len(_typed(column["values"], marker, f"{where}: values"))


# -- the configuration --------------------------------------------------------------


def _check_config(config):
    _keys(config, "Config", required={"learner", "version"})
    _version(config["version"], "Config.version")
    learner = config["learner"]
    if not isinstance(learner, dict):
        raise Corrupt("Config.learner is not an object")
    _plain(learner, "Config.learner")
    generic = learner.get("generic_param", {})
    if not isinstance(generic, dict):
        raise Corrupt("Config.learner.generic_param is not an object")
    for key in ("nthread", "n_jobs"):
        if key in generic:
            _int_param(
                generic[key], f"the configuration's {key}", -_MAX_THREADS, _MAX_THREADS
            )
