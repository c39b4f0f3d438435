"""Student strategies: how each kind of student is trained on soft targets.

``strategy="auto"`` picks, by duck typing and never by importing a framework, the
first registered strategy that accepts the student (native framework strategies are
registered before the generic ``"expand"`` and ``"regress"``).
"""

from sklearn.base import clone

from .._compat import StrOptions
from .._targets import SoftTargets, fit_output_map
from .._validation import name_of
from ._base import BaseStrategy
from ._dask import DaskStrategy
from ._expand import ExpandStrategy
from ._lightgbm import LightGBMStrategy
from ._output import OutputSpec
from ._regress import RegressStrategy
from ._skorch import SkorchStrategy
from ._xgboost import XGBoostStrategy

__all__ = [
    "BaseStrategy",
    "DaskStrategy",
    "ExpandStrategy",
    "LightGBMStrategy",
    "OutputSpec",
    "RegressStrategy",
    "SkorchStrategy",
    "SoftTargets",
    "XGBoostStrategy",
    "available_strategies",
    "fit_output_map",
    "register",
    "resolve_strategy",
]

_REGISTRY = {}

#: The names ``strategy`` accepts; ``register`` adds to it, so that parameter
#: validation of the distillers knows strategies registered after import.
STRATEGY_NAMES = StrOptions({"auto"})


def register(strategy_class, *, first=False):
    """Register a strategy class under its ``name`` so ``strategy="name"`` finds it.

    Parameters
    ----------
    strategy_class : type
        A subclass of :class:`BaseStrategy` with a ``name``.
    first : bool, default=False
        Try it before the strategies already registered when resolving ``"auto"``.

    Returns
    -------
    strategy_class : type
        The class, unchanged.

    See Also
    --------
    BaseStrategy.output_spec : Implement it for the strategy's students to export.
    skdistill.transfer.register : The same for transfer-set samplers.
    """
    if not (isinstance(strategy_class, type) and issubclass(strategy_class, BaseStrategy)):
        raise TypeError(f"Expected a BaseStrategy subclass, got {strategy_class!r}.")
    if not strategy_class.name:
        raise ValueError(f"{strategy_class.__name__} has no name.")
    items = [(k, v) for k, v in _REGISTRY.items() if k != strategy_class.name]
    entry = (strategy_class.name, strategy_class)
    _REGISTRY.clear()
    _REGISTRY.update([entry, *items] if first else [*items, entry])
    STRATEGY_NAMES.options.add(strategy_class.name)
    return strategy_class


def available_strategies():
    """Names accepted by ``strategy=...``, in the order ``"auto"`` tries them."""
    return list(_REGISTRY)


def resolve_strategy(strategy, student):
    """An unfitted strategy instance for ``strategy`` (a name, "auto" or an instance).

    Parameters
    ----------
    strategy : str or BaseStrategy
        ``"auto"``, a registered name, or a strategy instance (cloned).
    student : estimator
        The (unfitted) student.

    Returns
    -------
    strategy : BaseStrategy
        A fresh strategy instance.
    """
    if isinstance(strategy, BaseStrategy):
        return clone(strategy)
    if strategy == "auto":
        for strategy_class in _REGISTRY.values():
            if strategy_class.accepts(student):
                return strategy_class()
        raise TypeError(
            f"No strategy accepts the student {name_of(student)}: it needs fit and "
            "predict, and to be a classifier (fitted with sample weights) or a "
            "regressor. Pass strategy=... explicitly."
        )
    try:
        return _REGISTRY[strategy]()
    except KeyError:
        raise ValueError(
            f"Unknown strategy {strategy!r}; choose one of {available_strategies()} or "
            "pass a BaseStrategy instance."
        ) from None


# "auto" tries them in this order: the native framework strategies (each accepts only
# its framework's classifiers), then any regressor, then any classifier.
for _strategy in (
    DaskStrategy,  # Dask LightGBM/XGBoost students, before their in-memory twins
    LightGBMStrategy,
    XGBoostStrategy,
    SkorchStrategy,
    RegressStrategy,
    ExpandStrategy,
):
    register(_strategy)
