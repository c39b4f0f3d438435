"""Warnings and errors raised by skdistill."""

from sklearn.exceptions import NotFittedError

__all__ = [
    "BiasedComparisonWarning",
    "CompileSizeWarning",
    "DistillationWarning",
    "NotFittedError",
]


class DistillationWarning(UserWarning):
    """Warning about a distillation set-up that is legal but likely to disappoint.

    Raised, for example, when the teacher's soft targets on the training rows
    are almost one-hot, so that they carry little more than the hard labels.
    """


class CompileSizeWarning(DistillationWarning):
    """Warning that a tree student is large enough to take the C compiler minutes.

    Raised by :func:`skdistill.export.compile_student` when the student has more
    tree nodes than it compiles in about a minute (the limits and the measured
    compile time per 1,000 nodes are in its docstring). A subclass of
    :class:`DistillationWarning`, so filters on that one catch it too.
    """


class BiasedComparisonWarning(DistillationWarning):
    """A compression sweep validates on rows its fitted teacher was trained on.

    Raised by :class:`skdistill.frontier.CompressionSearch`. Students that follow
    such a teacher score optimistically there: on its own training rows the
    teacher's outputs carry the labels, so cross-validated scores flatter
    distillation (and the teacher, whose reference score is then too high). Pass
    validation rows the teacher has not seen (``X_val``/``y_val`` or
    ``teacher_train_mask``), or an unfitted teacher, which is cross-fitted.
    """
