"""The compression frontier: the smallest, fastest student that keeps the teacher's score.

:class:`CompressionSearch` (and its function form :func:`compression_frontier`)
sweeps student families and sizes, each fitted on the labels and distilled, and
measures score, size, complexity, single-row latency and fit time on validation rows
the teacher has not seen; :meth:`FrontierResult.select` returns the cheapest student
within a tolerance of the teacher, with the evidence. Plot it with
:class:`skdistill.report.CompressionFrontierDisplay`.
"""

from ._result import FrontierResult, Selection
from ._search import BiasedComparisonWarning, CompressionSearch, compression_frontier

__all__ = [
    "BiasedComparisonWarning",
    "CompressionSearch",
    "FrontierResult",
    "Selection",
    "compression_frontier",
]
