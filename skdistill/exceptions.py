"""Warnings and errors raised by skdistill."""

from sklearn.exceptions import NotFittedError

__all__ = ["DistillationWarning", "NotFittedError"]


class DistillationWarning(UserWarning):
    """Warning about a distillation set-up that is legal but likely to disappoint.

    Raised, for example, when the teacher's soft targets on the training rows
    are almost one-hot, so that they carry little more than the hard labels.
    """
