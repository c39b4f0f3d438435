"""Persistence and export of fitted distillers and their students.

- :func:`save` / :func:`load`: the skops format (no pickle), with a documented list
  of trusted types (:func:`trusted_types`) and atomic writes.
- :func:`to_onnx`: the student alone as an ONNX graph that reproduces the
  distiller's ``predict`` and ``predict_proba``.
- :func:`compile_student`: tree students compiled to a C shared library with
  treelite and tl2cgen; :class:`CompiledStudent` loads one again, which runs its
  code, so only given the SHA-256 that ``compile_student`` returned (or
  ``trust=True``).
- :func:`quantize`: a torch student's linear layers (or its ONNX export) in int8,
  predicting like the distiller; :func:`quantization_report` compares it with the
  float student.

skops, onnx and treelite are imported only by the functions that use them.
"""

from ._compiled import CompiledStudent, compile_student
from ._onnx import to_onnx
from ._persist import load, save, trusted_types
from ._quantize import QuantizedStudent, quantization_report, quantize

__all__ = [
    "CompiledStudent",
    "compile_student",
    "QuantizedStudent",
    "load",
    "quantization_report",
    "quantize",
    "save",
    "to_onnx",
    "trusted_types",
]
