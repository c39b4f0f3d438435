"""The two ways a model in a saved file can fail skdistill's integrity checks."""

__all__ = ["Corrupt", "Unsupported"]


class Corrupt(ValueError):
    """The model is inconsistent: native code could read or write out of bounds."""


class Unsupported(ValueError):
    """The model uses a feature the checks do not cover, so they cannot vouch for it."""
