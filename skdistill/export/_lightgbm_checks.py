"""Checks of a LightGBM text model, in Python, before LightGBM parses it.

``lightgbm.basic.Booster.__setstate__`` hands its model string to
``LGBM_BoosterLoadModelFromString``, whose parser trusts it: it seeks to the offsets
``tree_sizes`` gives, reads as many numbers as ``num_leaves`` says whatever the line
holds, and its predictor follows ``left_child``/``right_child`` and reads feature
``split_feature[node]`` of a row without bounds checks. These checks accept only the
layout LightGBM 3 and 4 write (``GBDT::SaveModelToString``, ``Tree::ToString``) with
every index in range, and refuse anything else.
"""

import json
import re

import numpy as np

from ._integrity import Corrupt, Unsupported

__all__ = ["check_model_string"]

_INT32_MAX = 2**31 - 1

_INT = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|nan)\Z", re.IGNORECASE
)
_PARAMETER = re.compile(r"\[[A-Za-z0-9_]+: .*\]\Z")
_FEATURE_INFO = re.compile(r"none|\[[^\[\]: ]+:[^\[\]: ]+\]|-?[0-9]+(?::-?[0-9]+)*\Z")

_HEADER_KEYS = {
    "version",
    "num_class",
    "num_tree_per_iteration",
    "label_index",
    "max_feature_idx",
    "objective",
    "average_output",
    "feature_names",
    "monotone_constraints",
    "feature_infos",
    "tree_sizes",
}
_OBJECTIVES = {
    "regression",
    "regression_l1",
    "quantile",
    "huber",
    "fair",
    "poisson",
    "binary",
    "lambdarank",
    "rank_xendcg",
    "multiclass",
    "multiclassova",
    "cross_entropy",
    "cross_entropy_lambda",
    "mape",
    "gamma",
    "tweedie",
    "custom",
}

#: Arrays of a tree: one entry per internal node, one per leaf.
_INTERNAL = {
    "split_feature": "int",
    "split_gain": "float",
    "threshold": "float",
    "decision_type": "int",
    "left_child": "int",
    "right_child": "int",
    "internal_value": "float",
    "internal_weight": "float",
    "internal_count": "int",
}
_LEAF = {"leaf_value": "float", "leaf_weight": "float", "leaf_count": "int"}
_REQUIRED = {
    "num_leaves",
    "num_cat",
    "split_feature",
    "threshold",
    "decision_type",
    "left_child",
    "right_child",
    "leaf_value",
    "shrinkage",
}
_CATEGORICAL = {"cat_boundaries", "cat_threshold"}
_LINEAR = {"leaf_const", "num_features", "leaf_features", "leaf_coeff"}
_TREE_KEYS = {*_INTERNAL, *_LEAF, *_REQUIRED, *_CATEGORICAL, *_LINEAR, "is_linear"}

#: Bits of ``decision_type``: categorical, default left, then the missing type
#: (0 none, 1 zero, 2 NaN) in bits 2-3.
_CATEGORICAL_BIT = 1


def check_model_string(text):
    """Check a LightGBM model string; return its shape.

    Returns a dict with ``num_class``, ``n_features`` and ``n_trees``. Raises
    ``Corrupt`` or ``Unsupported``.
    """
    if not isinstance(text, str):
        raise Corrupt(f"the model is a {type(text).__name__}, not a string")
    if "\0" in text or "\r" in text:
        raise Corrupt("the model string holds NUL or carriage-return characters")
    first_tree = text.find("\nTree=")
    if first_tree < 0:
        raise Corrupt("the model string holds no tree")
    header = _parse_header(text[: first_tree + 1])
    n_features = header["max_feature_idx"] + 1
    position = first_tree + 1
    for index, size in enumerate(header["tree_sizes"]):
        if size > len(text) - position:
            raise Corrupt(
                f"tree_sizes gives tree {index} {size} characters but only "
                f"{len(text) - position} remain: LightGBM would read past the end"
            )
        _check_tree(text[position : position + size], index, header)
        position += size
    _check_trailer(text[position:])
    n_trees = len(header["tree_sizes"])
    per_iteration = header["num_tree_per_iteration"]
    if n_trees % per_iteration:
        raise Corrupt(
            f"{n_trees} trees is not a whole number of iterations of {per_iteration} trees"
        )
    return {"num_class": header["num_class"], "n_features": n_features, "n_trees": n_trees}


# -- numbers ------------------------------------------------------------------------


def _integer(token, where, low=-_INT32_MAX - 1, high=_INT32_MAX):
    if not _INT.match(token):
        raise Corrupt(f"{where} is not an integer: {token[:40]!r}")
    value = int(token)
    if not low <= value <= high:
        raise Corrupt(f"{where} = {value} is out of range [{low}, {high}]")
    return value


def _array(value, kind, where, size):
    tokens = value.split(" ") if value else []
    if len(tokens) != size:
        raise Corrupt(f"{where} has {len(tokens)} entries, expected {size}")
    if kind == "int":
        if not all(_INT.match(token) for token in tokens):
            raise Corrupt(f"{where} holds a value that is not an integer")
        values = [int(token) for token in tokens]
        if values and not (-(2**31) <= min(values) and max(values) < 2**32):
            raise Corrupt(f"{where} holds an integer out of 32-bit range")
        return np.array(values, dtype=np.int64)
    if not all(_FLOAT.match(token) for token in tokens):
        raise Corrupt(f"{where} holds a value that is not a number")
    return np.array([float(token) for token in tokens], dtype=np.float64)


def _finite(values, where):
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise Corrupt(f"{where}: entry {bad[0]} is {values[bad[0]]}, not finite")


# -- header -------------------------------------------------------------------------


def _parse_header(text):
    lines = text.split("\n")
    if lines[0] != "tree":
        raise Unsupported(f"the model string starts with {lines[0][:40]!r}, not 'tree'")
    values = {}
    for line in lines[1:]:
        if not line:
            continue
        key, equals, value = line.partition("=")
        if key not in _HEADER_KEYS:
            raise Unsupported(f"unknown line in the model's header: {line[:60]!r}")
        if key in values:
            raise Corrupt(f"the model's header gives {key} twice")
        if (key == "average_output") == bool(equals):
            raise Corrupt(f"malformed line in the model's header: {line[:60]!r}")
        if "=" in value and key not in ("feature_names", "monotone_constraints"):
            raise Corrupt(f"malformed line in the model's header: {line[:60]!r}")
        values[key] = value
    missing = {
        "version",
        "num_class",
        "num_tree_per_iteration",
        "label_index",
        "max_feature_idx",
        "feature_names",
        "feature_infos",
        "tree_sizes",
    } - values.keys()
    if missing:
        raise Corrupt(f"the model's header lacks {sorted(missing)}")
    if values["version"] not in ("v3", "v4"):
        raise Unsupported(
            f"model format {values['version'][:20]!r} (LightGBM writes v3 or v4)"
        )

    header = {
        "num_class": _integer(values["num_class"], "num_class", 1),
        "num_tree_per_iteration": _integer(
            values["num_tree_per_iteration"], "num_tree_per_iteration", 1
        ),
        "max_feature_idx": _integer(values["max_feature_idx"], "max_feature_idx", 0),
    }
    _integer(values["label_index"], "label_index")
    if header["num_tree_per_iteration"] != header["num_class"]:
        raise Corrupt(
            f"num_tree_per_iteration is {header['num_tree_per_iteration']} but num_class "
            f"{header['num_class']}: predictions would be written past their buffer"
        )
    n_features = header["max_feature_idx"] + 1
    names = values["feature_names"].split(" ")
    if len(names) != n_features or not all(names):
        raise Corrupt(f"feature_names does not name {n_features} features")
    infos = values["feature_infos"].split(" ")
    if len(infos) != n_features or not all(_FEATURE_INFO.match(info) for info in infos):
        raise Corrupt(f"feature_infos does not describe {n_features} features")
    if "monotone_constraints" in values:
        constraints = _array(
            values["monotone_constraints"], "int", "monotone_constraints", n_features
        )
        if np.any(np.abs(constraints) > 1):
            raise Corrupt("monotone_constraints holds a value other than -1, 0 or 1")
    if "objective" in values:
        _check_objective(values["objective"], header["num_class"])
    sizes = values["tree_sizes"].split(" ") if values["tree_sizes"] else []
    header["tree_sizes"] = [_integer(size, "tree_sizes", 1) for size in sizes]
    if not header["tree_sizes"]:
        raise Corrupt("tree_sizes lists no tree")
    return header


def _check_objective(objective, num_class):
    name, *parameters = objective.split(" ")
    if name not in _OBJECTIVES:
        raise Unsupported(f"unknown objective {name[:40]!r}")
    classes = None
    for parameter in parameters:
        key, colon, value = parameter.partition(":")
        if parameter == "sqrt":
            continue
        if not colon or key not in ("sigmoid", "num_class"):
            raise Unsupported(f"unknown parameter {parameter[:40]!r} of the objective")
        if key == "num_class":
            classes = _integer(value, "the objective's num_class", 1)
        elif not (_FLOAT.match(value) and 0 < float(value) < np.inf):
            raise Corrupt(
                f"the objective's sigmoid {value[:40]!r} is not a positive number"
            )
    if name in ("multiclass", "multiclassova"):
        if classes != num_class:
            raise Corrupt(
                f"the objective {name} has {classes} classes but the model {num_class}: "
                "its softmax would run past the predictions"
            )
    elif classes is not None or num_class != 1:
        raise Corrupt(f"the objective {name} does not fit a model of {num_class} classes")


# -- trees --------------------------------------------------------------------------


def _check_tree(block, index, header):
    where = f"tree {index}"
    title = f"Tree={index}\n"
    if not block.startswith(title):
        raise Corrupt(
            f"tree_sizes does not point at tree {index} (found {block[:20]!r}); "
            "the sizes do not match the trees"
        )
    body = block[len(title) :]
    if not body.endswith("\n\n\n") or "\n\n" in body[:-3]:
        raise Corrupt(
            f"{where} does not end with blank lines where tree_sizes says it ends; the "
            "sizes do not match the trees"
        )
    values = {}
    for line in body[:-3].split("\n"):
        key, equals, value = line.partition("=")
        if not equals or key not in _TREE_KEYS:
            raise Unsupported(f"{where}: unknown line {line[:60]!r}")
        if key in values:
            raise Corrupt(f"{where} gives {key} twice")
        values[key] = value
    missing = _REQUIRED - values.keys()
    if missing:
        raise Corrupt(f"{where} lacks {sorted(missing)}")

    n_leaves = _integer(values["num_leaves"], f"{where}'s num_leaves", 1)
    n_cat = _integer(values["num_cat"], f"{where}'s num_cat", 0)
    is_linear = _integer(values.get("is_linear", "0"), f"{where}'s is_linear", 0, 1)
    if (n_cat > 0) != bool(_CATEGORICAL & values.keys()) or (
        n_cat > 0 and not _CATEGORICAL <= values.keys()
    ):
        raise Corrupt(f"{where} has num_cat={n_cat} but not matching categorical arrays")
    if is_linear != bool(_LINEAR & values.keys()) or (
        is_linear and not _LINEAR <= values.keys()
    ):
        raise Corrupt(f"{where} has is_linear={is_linear} but not matching linear arrays")

    arrays = {}
    for key, kind in _INTERNAL.items():
        if key in values:
            arrays[key] = _array(values[key], kind, f"{where}'s {key}", n_leaves - 1)
    for key, kind in _LEAF.items():
        if key == "leaf_weight" and n_leaves == 1 and not values.get(key):
            continue  # LightGBM writes no weight for a single leaf, and reads none
        if key in values:
            arrays[key] = _array(values[key], kind, f"{where}'s {key}", n_leaves)
    _finite(arrays["leaf_value"], f"{where}'s leaf_value")
    shrinkage = _array(values["shrinkage"], "float", f"{where}'s shrinkage", 1)
    _finite(shrinkage, f"{where}'s shrinkage")

    n_features = header["max_feature_idx"] + 1
    if n_leaves > 1:
        _check_nodes(arrays, where, n_leaves, n_features, n_cat)
    if n_cat > 0:
        _check_categories(values, where, n_cat)
    if is_linear:
        _check_linear(values, where, n_leaves, n_features)


def _check_nodes(arrays, where, n_leaves, n_features, n_cat):
    n_internal = n_leaves - 1
    left, right = arrays["left_child"], arrays["right_child"]
    feature, decision = arrays["split_feature"], arrays["decision_type"]
    threshold = arrays["threshold"]

    bad = np.flatnonzero((feature < 0) | (feature >= n_features))
    if bad.size:
        node = bad[0]
        raise Corrupt(
            f"{where} node {node}: split feature {feature[node]} out of range "
            f"[0, {n_features})"
        )
    bad = np.flatnonzero((decision < 0) | (decision > 15) | ((decision >> 2) & 3 == 3))
    if bad.size:
        raise Corrupt(
            f"{where} node {bad[0]}: decision_type {decision[bad[0]]} is not valid"
        )
    categorical = (decision & _CATEGORICAL_BIT).astype(bool)
    bad = np.flatnonzero(
        categorical
        & ((threshold != np.round(threshold)) | (threshold < 0) | (threshold >= n_cat))
    )
    if bad.size:
        raise Corrupt(
            f"{where} node {bad[0]}: categorical split {threshold[bad[0]]} out of range "
            f"[0, {n_cat})"
        )
    _finite(threshold[~categorical], f"{where}'s threshold")

    reached_node = np.zeros(n_internal, dtype=bool)
    reached_leaf = np.zeros(n_leaves, dtype=bool)
    reached_node[0] = True
    stack = [0]
    while stack:
        node = stack.pop()
        for side, child in (("left", int(left[node])), ("right", int(right[node]))):
            if child >= 0:
                if not 0 < child < n_internal:
                    raise Corrupt(
                        f"{where} node {node}: {side} child {child} out of range "
                        f"[1, {n_internal})"
                    )
                reached, target = reached_node, child
            else:
                leaf = ~child
                if leaf >= n_leaves:
                    raise Corrupt(
                        f"{where} node {node}: {side} child is leaf {leaf}, out of range "
                        f"[0, {n_leaves})"
                    )
                reached, target = reached_leaf, leaf
            if reached[target]:
                raise Corrupt(
                    f"{where} node {node}: {side} child {child} is reached twice (a cycle "
                    "or a shared node)"
                )
            reached[target] = True
            if child >= 0:
                stack.append(child)
    if not (reached_node.all() and reached_leaf.all()):
        raise Corrupt(f"{where}: some nodes or leaves are not reachable from the root")


def _check_categories(values, where, n_cat):
    bounds = _array(values["cat_boundaries"], "int", f"{where}'s cat_boundaries", n_cat + 1)
    words = values["cat_threshold"].split(" ") if values["cat_threshold"] else []
    thresholds = _array(
        values["cat_threshold"], "int", f"{where}'s cat_threshold", len(words)
    )
    if bounds[0] != 0 or bounds[-1] != len(thresholds) or np.any(np.diff(bounds) < 0):
        raise Corrupt(
            f"{where}: cat_boundaries do not split the {len(thresholds)} "
            "cat_threshold words"
        )
    if thresholds.size and (thresholds.min() < 0 or thresholds.max() > 2**32 - 1):
        raise Corrupt(f"{where}: cat_threshold holds a value out of 32-bit unsigned range")


def _check_linear(values, where, n_leaves, n_features):
    constant = _array(values["leaf_const"], "float", f"{where}'s leaf_const", n_leaves)
    _finite(constant, f"{where}'s leaf_const")
    counts = _array(values["num_features"], "int", f"{where}'s num_features", n_leaves)
    if np.any(counts < 0):
        raise Corrupt(f"{where}: a leaf has a negative number of linear features")
    total = int(counts.sum())
    features = " ".join(values["leaf_features"].split())
    features = _array(features, "int", f"{where}'s leaf_features", total)
    if np.any((features < 0) | (features >= n_features)):
        raise Corrupt(f"{where}: a linear feature is out of range [0, {n_features})")
    coefficients = " ".join(values["leaf_coeff"].split())
    _finite(
        _array(coefficients, "float", f"{where}'s leaf_coeff", total),
        f"{where}'s leaf_coeff",
    )


# -- after the trees ----------------------------------------------------------------


def _check_trailer(text):
    if not text.startswith("end of trees\n"):
        raise Corrupt(
            f"the trees are not followed by 'end of trees' (found {text[:30]!r}); "
            "tree_sizes does not match the trees"
        )
    section = None
    for line in text.split("\n")[1:]:
        if section == "parameters":
            if line == "end of parameters":
                section = None
            elif line and not _PARAMETER.match(line):
                # LightGBM's GetLoadedParam indexes the part after ':' unchecked
                raise Corrupt(f"malformed parameter line {line[:60]!r}")
        elif section == "parser":
            if line == "end of parser":
                section = None
        elif line in ("parameters:", "parser:"):
            section = line[:-1]
        elif line == "feature_importances:":
            section = "importances"
        elif line.startswith("pandas_categorical:"):
            _check_pandas_categorical(line[len("pandas_categorical:") :])
            section = "done"
        elif section == "done" and line:
            raise Corrupt(f"unexpected line after pandas_categorical: {line[:60]!r}")
        elif section == "importances" and line:
            name, equals, count = line.rpartition("=")
            if not (name and equals and _INT.match(count)):
                raise Corrupt(f"malformed feature importance line {line[:60]!r}")
        elif line:
            raise Unsupported(f"unknown line after the trees: {line[:60]!r}")
    if section in ("parameters", "parser"):
        raise Corrupt(f"the {section} section is not closed")


def _check_pandas_categorical(text):
    try:
        value = json.loads(text)
    except ValueError:
        raise Corrupt("pandas_categorical is not JSON") from None
    if value is not None and not (
        isinstance(value, list) and all(isinstance(item, list) for item in value)
    ):
        raise Corrupt("pandas_categorical is not a list of category lists")
