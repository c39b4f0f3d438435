"""Transfer sets by name, and the conversion of every accepted form to a sampler."""

import inspect

from .._compat import StrOptions
from ._base import FunctionSampler
from ._gaussian import GaussianJitter
from ._minority import MinorityOversampler
from ._mixup import Mixup
from ._munge import MUNGE

__all__ = [
    "TRANSFER_SET_NAMES",
    "available_transfer_sets",
    "register",
    "resolve_transfer_set",
]

_BY_NAME = {}

#: The names ``transfer_set`` accepts; :func:`register` adds to it, so that
#: parameter validation of the distillers knows samplers registered after import.
TRANSFER_SET_NAMES = StrOptions(set())


def register(sampler_class, *, name):
    """Register a sampler class under ``name`` so ``transfer_set="name"`` finds it.

    The transfer-set counterpart of :func:`skdistill.strategies.register`: the
    distillers' ``transfer_set`` parameter then accepts ``name``, and resolves it
    to a new ``sampler_class()`` with default parameters. Registering a name again
    replaces its class.

    Parameters
    ----------
    sampler_class : type
        A class whose instances have a method ``sample(X, n, random_state=None,
        y=None)`` (a :class:`TransferSampler` subclass, or any such class) and
        whose constructor needs no argument.
    name : str
        The name, e.g. ``"bootstrap"``.

    Returns
    -------
    sampler_class : type
        The class, unchanged.

    Raises
    ------
    TypeError
        If ``sampler_class`` is not a class with a ``sample`` method, or needs
        constructor arguments.
    ValueError
        If ``name`` is not a non-empty string.

    See Also
    --------
    available_transfer_sets : The registered names.
    skdistill.strategies.register : The same for student strategies.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.transfer import TransferSampler, register, resolve_transfer_set
    >>> class Bootstrap(TransferSampler):
    ...     def _generate(self, table, n, random_state, y):
    ...         rows = random_state.randint(table.n_rows, size=n)
    ...         return table.cont[rows], np.tile(rows[:, None], len(table.cat_idx))
    >>> _ = register(Bootstrap, name="bootstrap")
    >>> resolve_transfer_set("bootstrap")
    Bootstrap()
    """
    if not (
        isinstance(sampler_class, type) and callable(getattr(sampler_class, "sample", None))
    ):
        raise TypeError(
            f"Expected a sampler class with a sample(X, n, random_state=None, y=None) "
            f"method, got {sampler_class!r}. Subclass skdistill.transfer.TransferSampler "
            "(and implement _generate), or write a class with such a method."
        )
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string; got {name!r}.")
    required = [
        parameter.name
        for parameter in inspect.signature(sampler_class).parameters.values()
        if parameter.default is parameter.empty
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]
    if required:
        raise TypeError(
            f"{sampler_class.__name__}() needs the arguments {required}, but a named "
            "transfer set is built with default parameters. Give them defaults, or "
            "pass an instance as transfer_set instead of registering the class."
        )
    _BY_NAME[name] = sampler_class
    TRANSFER_SET_NAMES.options.add(name)
    return sampler_class


def available_transfer_sets():
    """Names that :func:`resolve_transfer_set` accepts, e.g. for parameter checks.

    Returns
    -------
    names : list of str
        The registered names, in the order of registration: first the built-in
        ``["munge", "gaussian", "mixup", "minority"]``.

    Examples
    --------
    >>> from skdistill.transfer import available_transfer_sets
    >>> available_transfer_sets()
    ['munge', 'gaussian', 'mixup', 'minority']
    """
    return list(_BY_NAME)


def resolve_transfer_set(transfer_set):
    """The sampler for a ``transfer_set`` parameter value.

    Parameters
    ----------
    transfer_set : None, str, sampler or callable
        - None: no transfer set (returns None);
        - ``"munge"``, ``"gaussian"``, ``"mixup"`` or ``"minority"``: a new
          :class:`MUNGE`, :class:`GaussianJitter`, :class:`Mixup` or
          :class:`MinorityOversampler` with default parameters (and a name given
          to :func:`register`: a new instance of its class);
        - an object with a ``sample(X, n, random_state=None, y=None)`` method:
          returned as is (not cloned: samplers store nothing when they sample);
        - a callable ``f(X, n, random_state)``: wrapped in :class:`FunctionSampler`.

    Returns
    -------
    sampler : object with a ``sample`` method, or None

    Raises
    ------
    ValueError
        For a string that is not a known name.
    TypeError
        For anything else, or for a sampler class instead of an instance.

    See Also
    --------
    transfer_count : How many rows to ask the sampler for.

    Examples
    --------
    >>> from skdistill.transfer import resolve_transfer_set
    >>> resolve_transfer_set("munge")
    MUNGE()
    >>> def head(X, n, random_state):
    ...     return X[:n]
    >>> sampler = resolve_transfer_set(head)
    >>> type(sampler).__name__, sampler.func is head
    ('FunctionSampler', True)
    """
    if transfer_set is None:
        return None
    if isinstance(transfer_set, str):
        if transfer_set not in _BY_NAME:
            raise ValueError(
                f"Unknown transfer_set {transfer_set!r}; the named transfer sets are "
                f"{available_transfer_sets()}. Pass one of them, a sampler object "
                "with a sample(X, n, random_state=None, y=None) method, or a function "
                "f(X, n, random_state)."
            )
        return _BY_NAME[transfer_set]()
    if isinstance(transfer_set, type):
        raise TypeError(
            f"transfer_set is the class {transfer_set.__name__}, not an instance; pass "
            f"{transfer_set.__name__}() (with its parameters)."
        )
    if callable(getattr(transfer_set, "sample", None)):
        return transfer_set
    if callable(transfer_set):
        return FunctionSampler(transfer_set)
    raise TypeError(
        f"transfer_set must be None, one of the names {available_transfer_sets()}, an "
        "object with a sample(X, n, random_state=None, y=None) method, or a function "
        f"f(X, n, random_state); got {transfer_set!r} of type "
        f"{type(transfer_set).__name__}."
    )


for _name, _class in (
    ("munge", MUNGE),
    ("gaussian", GaussianJitter),
    ("mixup", Mixup),
    ("minority", MinorityOversampler),
):
    register(_class, name=_name)
