"""Shims over private or version-dependent scikit-learn APIs, and optional imports.

Everything skdistill needs from sklearn's private modules goes through here, so a
change in sklearn breaks one file, not the package (supported: scikit-learn >= 1.6).
"""

import importlib

from sklearn.base import _fit_context as fit_context
from sklearn.utils import Tags, get_tags
from sklearn.utils import _safe_indexing as safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    _raise_for_params as raise_for_params,
)
from sklearn.utils.metadata_routing import (
    _routing_enabled as routing_enabled,
)
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.metaestimators import _BaseComposition as BaseComposition
from sklearn.utils.validation import _check_method_params
from sklearn.utils.validation import _check_sample_weight as check_sample_weight

__all__ = [
    "BaseComposition",
    "HasMethods",
    "Interval",
    "StrOptions",
    "check_sample_weight",
    "extra_for",
    "fit_context",
    "optional_import",
    "process_routing",
    "raise_for_params",
    "routing_enabled",
    "safe_indexing",
    "safe_tags",
    "shared_input_tags",
    "slice_fit_params",
]

#: The skdistill extra that installs each optional framework.
_EXTRA_OF = {
    "lightgbm": "lightgbm",
    "xgboost": "xgboost",
    "torch": "torch",
    "skorch": "torch",
    "matplotlib": "plot",
    "pandas": "pandas",
    "tqdm": "progress",
    "skops": "persist",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "skl2onnx": "onnx",
    "onnxmltools": "onnx",
    "treelite": "compile",
    "tl2cgen": "compile",
}


def safe_tags(estimator):
    """Tags of ``estimator``; for objects that define none, permissive input tags.

    A plain object (a teacher wrapping some other framework, say) says nothing about
    NaN or sparse input, so it is let through and left to fail on its own terms.
    scikit-learn's composites are tagged ``allow_nan=False`` whatever their steps
    take; their tag is worked out from the steps instead (see ``_nan_flow``).
    """
    if hasattr(estimator, "__sklearn_tags__"):
        tags = get_tags(estimator)
        if _is_composite(estimator):
            tags.input_tags.allow_nan = _nan_flow(estimator)[0]
        return tags
    tags = Tags(estimator_type=None, target_tags=None, transformer_tags=None)
    tags.input_tags.allow_nan = tags.input_tags.sparse = True
    return tags


#: Transformers whose output holds no NaN whatever their input holds.
_NAN_REMOVERS = {
    "SimpleImputer",
    "KNNImputer",
    "IterativeImputer",
    "MissingIndicator",
    "OneHotEncoder",
}


def _is_composite(estimator):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline

    return isinstance(estimator, Pipeline | ColumnTransformer | FeatureUnion)


def _nan_flow(step):
    """``(takes NaN, outputs no NaN)`` for a step, looking inside sklearn composites.

    A Pipeline takes NaN if every step up to the first one that removes NaN (an
    imputer, a one-hot encoder) takes it; a ColumnTransformer or FeatureUnion takes
    NaN if all its parts do, and removes it if all its parts do.
    """
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return True, False
    if isinstance(step, str):  # "drop"
        return True, True
    if not _is_composite(step):
        return safe_tags(step).input_tags.allow_nan, type(step).__name__ in _NAN_REMOVERS
    if hasattr(step, "steps"):  # Pipeline
        for _, inner in step.steps:
            takes, removes = _nan_flow(inner)
            if not takes or removes:
                return takes, removes
        return True, False
    if hasattr(step, "transformer_list"):  # FeatureUnion
        parts = [inner for _, inner in step.transformer_list]
    else:  # ColumnTransformer
        parts = [inner for _, inner, _ in step.transformers] + [step.remainder]
    flows = [_nan_flow(inner) for inner in parts]
    return all(takes for takes, _ in flows), all(removes for _, removes in flows)


def shared_input_tags(tags, models):
    """Set ``tags.input_tags`` to what every one of ``models`` accepts; return tags.

    A meta-estimator passes its input to each model, so it takes NaN or sparse
    input only if all of them do.
    """
    model_tags = [safe_tags(model).input_tags for model in models]
    tags.input_tags.sparse = all(t.sparse for t in model_tags)
    tags.input_tags.allow_nan = all(t.allow_nan for t in model_tags)
    return tags


def slice_fit_params(X, fit_params, rows):
    """``fit_params`` for ``rows`` of ``X``: sample-aligned arrays are sliced."""
    if not fit_params:
        return {}
    return _check_method_params(X, params=fit_params, indices=rows)


def extra_for(module):
    """The skdistill extra that installs ``module``, or None if no extra does."""
    return _EXTRA_OF.get((module or "").split(".")[0])


def optional_import(module, *, extra=None, purpose=None):
    """Import an optional dependency, or raise an ImportError naming the extra.

    Parameters
    ----------
    module : str
        Name of the module, e.g. ``"lightgbm"``.
    extra : str, default=None
        The skdistill extra that installs it; guessed from ``module`` when None.
    purpose : str, default=None
        What the module is needed for, to make the message specific.

    Returns
    -------
    module : module
        The imported module.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = extra or extra_for(module) or module.split(".")[0]
        what = f" for {purpose}" if purpose else ""
        raise ImportError(
            f"{module!r} is required{what} but is not installed. Install it with "
            f'pip install "skdistill[{extra}]".'
        ) from exc
