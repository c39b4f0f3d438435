"""Shims over private or version-dependent scikit-learn APIs and optional imports.

Everything skdistill needs from sklearn's private modules goes through here, so a
change in sklearn breaks one file, not the package.
"""

import importlib

from sklearn.utils import Tags, get_tags
from sklearn.utils.metadata_routing import process_routing

try:  # sklearn >= 1.3, private
    from sklearn.base import _fit_context
except ImportError:  # pragma: no cover - sklearn without _fit_context

    def _fit_context(prefer_skip_nested_validation):
        def decorator(fit_method):
            return fit_method

        return decorator


from sklearn.utils.metadata_routing import _raise_for_params, _routing_enabled

__all__ = [
    "fit_context",
    "optional_import",
    "process_routing",
    "raise_for_params",
    "routing_enabled",
    "safe_tags",
]

fit_context = _fit_context
raise_for_params = _raise_for_params
routing_enabled = _routing_enabled


def safe_tags(estimator):
    """Tags of ``estimator``; sklearn's defaults for objects that define none."""
    if hasattr(estimator, "__sklearn_tags__"):
        return get_tags(estimator)
    return Tags(estimator_type=None, target_tags=None, transformer_tags=None)


_EXTRA_OF = {
    "lightgbm": "lightgbm",
    "xgboost": "xgboost",
    "torch": "torch",
    "skorch": "torch",
}
_EXTRA_OF.update({"matplotlib": "plot"})


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
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = extra or _EXTRA_OF.get(module.split(".")[0], module)
        what = f" for {purpose}" if purpose else ""
        raise ImportError(
            f"{module!r} is required{what} but is not installed. Install it with "
            f'pip install "skdistill[{extra}]".'
        ) from exc


from sklearn.utils import _safe_indexing as safe_indexing  # noqa: E402
from sklearn.utils._param_validation import (  # noqa: E402
    HasMethods,
    Interval,
    StrOptions,
)

__all__ += ["HasMethods", "Interval", "StrOptions", "safe_indexing"]

from sklearn.utils.validation import _check_sample_weight as check_sample_weight  # noqa: E402

__all__ += ["check_sample_weight"]
