"""skdistill: knowledge distillation as a first-class scikit-learn citizen.

Compress any fitted model (the teacher) into a compact student trained on the
teacher's temperature-softened outputs blended with the true labels.
"""

from ._born_again import BornAgainClassifier
from ._distill import DistilledClassifier, DistilledRegressor
from ._ensemble import TeacherEnsemble
from ._targets import UNLABELED
from ._teacher import compute_teacher_logits
from .exceptions import DistillationWarning

__version__ = "0.1.0.dev0"

__all__ = [
    "BornAgainClassifier",
    "DistilledClassifier",
    "DistilledRegressor",
    "DistillationWarning",
    "TeacherEnsemble",
    "UNLABELED",
    "compute_teacher_logits",
    "__version__",
]
