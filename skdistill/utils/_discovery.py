"""Discovery of skdistill's public estimator classes (for the contract tests).

As imbalanced-learn's ``all_estimators`` and scikit-learn's
``sklearn.utils.discovery.all_estimators``: the classes come from the ``__all__`` of
the public modules, not from a list kept by hand, so a new public estimator is
tested as soon as it is exported.
"""

import importlib
import inspect

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

__all__ = ["PUBLIC_MODULES", "all_estimators"]

#: The public modules whose ``__all__`` lists skdistill's public names.
PUBLIC_MODULES = (
    "skdistill",
    "skdistill.strategies",
    "skdistill.transfer",
    "skdistill.report",
    "skdistill.export",
    "skdistill.frontier",
)

_TYPES = ("classifier", "regressor", "strategy", "sampler")


def _kind(cls):
    """The type of a public estimator class: one of ``_TYPES``, or None."""
    from ..strategies import BaseStrategy

    if issubclass(cls, BaseStrategy):
        return "strategy"
    if callable(getattr(cls, "sample", None)):
        return "sampler"
    if issubclass(cls, ClassifierMixin):
        return "classifier"
    if issubclass(cls, RegressorMixin):
        return "regressor"
    return None


def all_estimators(type_filter=None):
    """The public estimator classes of skdistill, discovered from ``__all__``.

    A class counts when a public module lists it in its ``__all__``, it derives
    from scikit-learn's ``BaseEstimator``, it is defined in skdistill, and it is
    neither abstract nor named ``Base...`` (base classes, as imbalanced-learn
    leaves them out).

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "strategy", "sampler"} or list of \
them, default=None
        Keep only these types: distillers and other classifiers or regressors,
        student strategies (:class:`~skdistill.strategies.BaseStrategy`
        subclasses), or transfer-set samplers (with a ``sample`` method). None
        keeps every class.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs, sorted by name.

    Examples
    --------
    >>> from skdistill.utils._discovery import all_estimators
    >>> [name for name, _ in all_estimators("regressor")]
    ['DistilledRegressor']
    """
    if type_filter is None:
        wanted = set(_TYPES) | {None}
    else:
        wanted = {type_filter} if isinstance(type_filter, str) else set(type_filter)
        unknown = wanted - set(_TYPES)
        if unknown:
            raise ValueError(
                f"type_filter must be None or among {list(_TYPES)}; got {sorted(unknown)}."
            )
    found = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (
                isinstance(obj, type)
                and issubclass(obj, BaseEstimator)
                and obj.__module__.startswith("skdistill.")
                and not inspect.isabstract(obj)
                and not obj.__name__.startswith("Base")
                and _kind(obj) in wanted
            ):
                found[obj.__name__] = obj
    return sorted(found.items())
