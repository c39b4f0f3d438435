"""Integrity checks of the LightGBM and XGBoost boosters in a skops file, before loading.

skops builds a ``lightgbm.basic.Booster`` or ``xgboost.core.Booster`` by calling its
``__setstate__``, which hands the stored model to the library's native parser at
once: a check of the loaded object would come too late. :func:`check_boosters`
therefore reads the archive's ``schema.json`` itself, finds every booster state in
it, and checks the stored model in Python (:mod:`._lightgbm_checks`,
:mod:`._xgboost_checks`) before skops builds anything. It also checks that a
scikit-learn wrapper (``LGBMClassifier``, ``XGBClassifier``, ...) agrees with its
booster on the number of features and classes.

skops resolves a state that carries the ``__id__`` of an earlier one to that earlier
object, so every state sharing a checked state's ``__id__`` is checked too.
"""

import json
import zipfile
import zlib
from collections import defaultdict

from ._integrity import Corrupt, Unsupported
from ._lightgbm_checks import check_model_string
from ._xgboost_checks import check_booster

__all__ = ["BOOSTER_TYPES", "check_boosters", "states_of"]

_LIGHTGBM = "lightgbm.basic.Booster"
_XGBOOST = "xgboost.core.Booster"

#: The booster types checked here, with a readable name for messages.
BOOSTER_TYPES = {_LIGHTGBM: "LightGBM", _XGBOOST: "XGBoost"}

_WRAPPERS = {
    "lightgbm.sklearn.LGBMClassifier": _LIGHTGBM,
    "lightgbm.sklearn.LGBMRegressor": _LIGHTGBM,
    "xgboost.sklearn.XGBClassifier": _XGBOOST,
    "xgboost.sklearn.XGBRegressor": _XGBOOST,
}

#: Most threads a saved wrapper's ``n_jobs`` may ask for.
_MAX_THREADS = 4096


class _Refusal:
    """Adds the booster type and framework to a Corrupt or Unsupported error."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, traceback):
        if isinstance(exc, Corrupt | Unsupported) and not hasattr(exc, "type_name"):
            exc.type_name = self.type_name
            exc.args = (f"its {BOOSTER_TYPES[self.type_name]} booster: {exc}",)
        return False


def check_boosters(archive, schema, *, unchecked=()):
    """Check every LightGBM and XGBoost booster stored in a skops archive.

    Parameters
    ----------
    archive : zipfile.ZipFile
        The open skops file, to read the members byte states point at.
    schema : dict
        Its parsed ``schema.json``.
    unchecked : collection of str
        Booster types the caller trusts explicitly: a model feature the checks do
        not cover (``Unsupported``) lets such a booster through. A booster that is
        inconsistent (``Corrupt``) is refused whatever the caller trusts.

    Raises
    ------
    Corrupt, Unsupported
        With ``type_name`` set to the booster type at fault.
    """
    states = list(states_of(schema))
    by_id = defaultdict(list)
    for state in states:
        if _id(state) and state.get("__loader__") != "CachedNode":
            by_id[_id(state)].append(state)
    shapes = {}
    for state in states:
        type_name = _type_name(state)
        if type_name in BOOSTER_TYPES and state.get("__loader__") not in (
            "CachedNode",
            "TypeNode",
        ):
            with _Refusal(type_name):
                try:
                    shapes[id(state)] = _check_booster(state, type_name, archive, by_id)
                except Unsupported:
                    if type_name not in unchecked:
                        raise
    for state in states:
        booster_type = _WRAPPERS.get(_type_name(state))
        if booster_type and state.get("__loader__") == "ObjectNode":
            with _Refusal(booster_type):
                _check_wrapper(state, booster_type, shapes, by_id)


def states_of(schema):
    """Every node state in the schema, at any depth."""
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _type_name(state):
    return f"{state.get('__module__')}.{state.get('__class__')}"


def _id(state):
    """The ``__id__`` by which skops memoizes a state (any hashable value)."""
    saved_id = state.get("__id__")
    return None if isinstance(saved_id, dict | list) else saved_id


def _definitions(state, by_id):
    """The states skops may build for ``state``: it and every state with its id."""
    if not isinstance(state, dict):
        raise Corrupt("a stored value is not a node")
    saved_id = _id(state)
    if state.get("__loader__") == "CachedNode":
        found = by_id.get(saved_id, [])
        if not found:
            raise Corrupt(f"a reference to the unknown object {saved_id!r}")
        return found
    if not saved_id:
        return [state]
    return [state, *(other for other in by_id.get(saved_id, []) if other is not state)]


def _attributes(state, by_id, what):
    """The attribute states of an object (an ``ObjectNode`` holding a dict)."""
    if state.get("__loader__") != "ObjectNode":
        raise Corrupt(f"{what} is stored with the {state.get('__loader__')!r} loader")
    if "content" not in state:
        raise Corrupt(f"{what} is stored without attributes")
    found = []
    for definition in _definitions(state["content"], by_id):
        if (
            definition.get("__loader__") != "DictNode"
            or _type_name(definition) != "builtins.dict"
            or not isinstance(definition.get("content"), dict)
        ):
            raise Corrupt(f"the attributes of {what} are not stored as a dict")
        found.append(definition["content"])
    return found


def _json_value(state):
    if state.get("__loader__") != "JsonNode" or not isinstance(state.get("content"), str):
        raise Corrupt(f"a value is stored with the {state.get('__loader__')!r} loader")
    try:
        return json.loads(state["content"])
    except (ValueError, RecursionError):
        raise Corrupt("a stored value is not valid JSON") from None


def _check_booster(state, type_name, archive, by_id):
    shape = None
    for attributes in _attributes(state, by_id, f"a {type_name}"):
        if type_name == _LIGHTGBM:
            if "handle" in attributes or "_handle" not in attributes:
                raise Corrupt("the booster's model is not stored under '_handle'")
            for definition in _definitions(attributes["_handle"], by_id):
                shape = check_model_string(_json_value(definition))
        else:
            if "handle" not in attributes:
                raise Corrupt("the booster's model is not stored under 'handle'")
            for definition in _definitions(attributes["handle"], by_id):
                shape = check_booster(_member(definition, archive))
    return shape


def _member(state, archive):
    """The bytes a ``BytesNode``/``BytearrayNode`` state points at."""
    if state.get("__loader__") not in ("BytesNode", "BytearrayNode") or not isinstance(
        state.get("file"), str
    ):
        raise Corrupt(f"the model is stored with the {state.get('__loader__')!r} loader")
    try:
        return archive.read(state["file"])
    except KeyError:
        raise Corrupt(f"the model's member {state['file']!r} is missing") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise Corrupt(
            f"the model's member {state['file']!r} is unreadable: {exc}"
        ) from None


def _check_wrapper(state, booster_type, shapes, by_id):
    """The wrapper must agree with its booster on features and classes."""
    for attributes in _attributes(state, by_id, f"a {_type_name(state)}"):
        n_jobs = _optional_int(attributes, "n_jobs", by_id)
        if n_jobs is not None and abs(n_jobs) > _MAX_THREADS:
            raise Corrupt(f"the wrapper asks for n_jobs={n_jobs}")
        if "_Booster" not in attributes:
            continue
        for booster in _definitions(attributes["_Booster"], by_id):
            if _type_name(booster) != booster_type:
                if booster.get("__loader__") == "JsonNode" and _json_value(booster) is None:
                    continue  # an unfitted wrapper
                raise Corrupt(f"the wrapper's _Booster is a {_type_name(booster)}")
            shape = shapes.get(id(booster))
            if shape is not None:
                _compare(attributes, shape, booster_type, by_id)


def _optional_int(attributes, key, by_id):
    """An integer attribute stored as JSON; None when absent or stored otherwise."""
    if key not in attributes:
        return None
    values = []
    for definition in _definitions(attributes[key], by_id):
        if definition.get("__loader__") != "JsonNode":
            return None
        values.append(_json_value(definition))
    if any(value != values[0] for value in values):
        raise Corrupt(f"the wrapper's {key} is stored twice with different values")
    return values[0] if type(values[0]) is int else None


def _compare(attributes, shape, booster_type, by_id):
    if booster_type == _LIGHTGBM:
        n_features = _optional_int(attributes, "_n_features", by_id)
        if n_features is not None and n_features != shape["n_features"]:
            raise Corrupt(
                f"the wrapper expects {n_features} features but its model has "
                f"{shape['n_features']}"
            )
        n_classes = _optional_int(attributes, "_n_classes", by_id)
        if n_classes is not None and n_classes > 0:
            expected = 1 if n_classes == 2 else n_classes
            if shape["num_class"] != expected:
                raise Corrupt(
                    f"the wrapper has {n_classes} classes but its model "
                    f"{shape['num_class']} "
                    "outputs per row"
                )
    else:
        n_classes = _optional_int(attributes, "n_classes_", by_id)
        if n_classes is not None:
            expected = shape["num_class"] if shape["num_class"] > 1 else 2
            if n_classes != expected:
                raise Corrupt(
                    f"the wrapper has {n_classes} classes but its model "
                    f"{max(shape['num_class'], 1)} outputs per row"
                )
