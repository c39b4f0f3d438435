"""skdistill: knowledge distillation as a first-class scikit-learn citizen.

Compress any fitted model (the teacher) into a compact student trained on the
teacher's temperature-softened outputs blended with the true labels.
"""

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0.dev0"

__all__ = [
    "BornAgainClassifier",
    "DistilledClassifier",
    "DistilledRegressor",
    "DistillationWarning",
    "MutualDistillationClassifier",
    "TeacherEnsemble",
    "UNLABELED",
    "compute_teacher_logits",
    "__version__",
]

#: Where each public name lives. They are imported on first use (PEP 562), so that
#: the ``skdistill`` command starts without scikit-learn and answers ``--help``, or
#: a Ctrl-C while scikit-learn loads, itself.
_MODULES = {
    "BornAgainClassifier": "._born_again",
    "DistilledClassifier": "._distill",
    "DistilledRegressor": "._distill",
    "MutualDistillationClassifier": "._mutual",
    "TeacherEnsemble": "._ensemble",
    "UNLABELED": "._targets",
    "compute_teacher_logits": "._teacher",
    "DistillationWarning": ".exceptions",
}

if TYPE_CHECKING:
    from ._born_again import BornAgainClassifier
    from ._distill import DistilledClassifier, DistilledRegressor
    from ._ensemble import TeacherEnsemble
    from ._mutual import MutualDistillationClassifier
    from ._targets import UNLABELED
    from ._teacher import compute_teacher_logits
    from .exceptions import DistillationWarning


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__})
