"""Reports that put a teacher and its students side by side."""

from ._metrics import distillation_report, fidelity_score, format_markdown, model_size

__all__ = ["distillation_report", "fidelity_score", "format_markdown", "model_size"]
