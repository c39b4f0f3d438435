"""Every random stream of a fit, derived from one ``random_state``.

A distiller draws randomness for several purposes: the student's own seed, the
seed of a teacher fitted inside ``fit``, the strategy's, the transfer rows', and
so on. Each purpose is a named *stream*: its seed is derived from the base seed
and the stream's name (``numpy.random.SeedSequence``), so that streams are
independent, adding a stream changes no other, and nothing depends on the order
in which they are drawn.
"""

import zlib
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["RandomStreams"]

_MAX_SEED = np.iinfo(np.int32).max


def _key(name):
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """Named seeds derived from one ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        None gives no seeds (every stream is None: estimators keep their own
        randomness); a ``RandomState`` is drawn from once, here.

    Examples
    --------
    >>> from skdistill._seeding import RandomStreams
    >>> streams = RandomStreams(0)
    >>> streams.seed("student") == RandomStreams(0).seed("student")
    True
    >>> streams.seed("student") != streams.seed("transfer")
    True
    >>> RandomStreams(None).seed("student") is None
    True
    """

    def __init__(self, random_state):
        if random_state is None:
            self._base = None
        elif isinstance(random_state, Integral):
            self._base = int(random_state)
        else:
            self._base = int(check_random_state(random_state).randint(_MAX_SEED))

    def seed(self, *names):
        """The seed of the stream ``names`` (e.g. ``"teacher", "gbm"``), or None."""
        if self._base is None:
            return None
        sequence = np.random.SeedSequence(self._base, spawn_key=[_key(n) for n in names])
        return int(sequence.generate_state(1)[0] % _MAX_SEED)

    def seeded(self, estimator, *names):
        """``estimator`` with its unset ``random_state`` parameters seeded from the
        stream ``names``, one derived seed per parameter; returns it."""
        if self._base is None:
            return estimator
        unset = sorted(
            key
            for key, value in estimator.get_params(deep=True).items()
            if key.split("__")[-1] == "random_state" and value is None
        )
        if unset:
            estimator.set_params(**{key: self.seed(*names, key) for key in unset})
        return estimator
