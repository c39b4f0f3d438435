"""Reports that put a teacher and its students side by side.

Metrics (fidelity, the fraud-desk recall, calibration, size, and speed on each
serving path), the
:func:`distillation_report` with its honest verdict, scorers for model selection,
and matplotlib Displays. ``import skdistill.report`` loads neither pandas nor
matplotlib: they are imported by the functions that need them.
"""

from ._cost import model_complexity, model_size, prediction_speed
from ._display import FidelityDisplay, ReliabilityDisplay, TeacherStudentCurveDisplay
from ._frontier_display import CompressionFrontierDisplay
from ._loss_display import LossCurveDisplay
from ._metrics import (
    expected_calibration_error,
    fidelity_score,
    probability_fidelity,
    recall_at_fpr,
)
from ._report import DistillationReport, distillation_report, format_markdown
from ._scorers import (
    fidelity_scorer,
    make_fidelity_scorer,
    make_labeled_scorer,
    make_recall_at_fpr_scorer,
)
from ._search_display import DistillationSearchDisplay
from ._serving import ServingSpeed, serving_speed
from ._verdict import Verdict

__all__ = [
    "CompressionFrontierDisplay",
    "DistillationReport",
    "DistillationSearchDisplay",
    "FidelityDisplay",
    "LossCurveDisplay",
    "ReliabilityDisplay",
    "ServingSpeed",
    "TeacherStudentCurveDisplay",
    "Verdict",
    "distillation_report",
    "expected_calibration_error",
    "fidelity_score",
    "fidelity_scorer",
    "format_markdown",
    "make_fidelity_scorer",
    "make_labeled_scorer",
    "make_recall_at_fpr_scorer",
    "model_complexity",
    "model_size",
    "prediction_speed",
    "probability_fidelity",
    "recall_at_fpr",
    "serving_speed",
]
