"""Transfer sets by name, and the conversion of every accepted form to a sampler."""

from ._base import FunctionSampler
from ._gaussian import GaussianJitter
from ._minority import MinorityOversampler
from ._mixup import Mixup
from ._munge import MUNGE

__all__ = ["available_transfer_sets", "resolve_transfer_set"]

_BY_NAME = {
    "munge": MUNGE,
    "gaussian": GaussianJitter,
    "mixup": Mixup,
    "minority": MinorityOversampler,
}


def available_transfer_sets():
    """Names that :func:`resolve_transfer_set` accepts, e.g. for parameter checks.

    Returns
    -------
    names : list of str
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
          :class:`MinorityOversampler` with default parameters;
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
