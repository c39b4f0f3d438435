"""The two ways a model in a saved file can fail skdistill's integrity checks."""

__all__ = ["Corrupt", "Unsupported", "refuse_teacher_ensemble"]


class Corrupt(ValueError):
    """The model is inconsistent: native code could read or write out of bounds."""


class Unsupported(ValueError):
    """The model uses a feature the checks do not cover, so they cannot vouch for it."""


def refuse_teacher_ensemble(model, what):
    """A ``TeacherEnsemble`` is a teacher, several models averaged: not exported."""
    from .._ensemble import TeacherEnsemble

    if isinstance(model, TeacherEnsemble):
        raise TypeError(
            f"{what} exports a distiller's student (or a plain model), but got a "
            "TeacherEnsemble: a teacher that averages several models. Distil it into a "
            "student and export the DistilledClassifier, or export its members one by "
            "one (ensemble.named_teachers_)."
        )
