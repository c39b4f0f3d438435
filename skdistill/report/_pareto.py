"""The Pareto frontier of measured models: score against cost.

One implementation, shared by :class:`~skdistill.frontier.FrontierResult` (its
``frontier`` and ``select``) and :class:`CompressionFrontierDisplay` (its lines).
Rows are dicts with a score column and cost columns, as the sweep writes them.
"""

import math
from numbers import Real

__all__ = ["COSTS", "cost_key", "finite", "pareto_rows"]

#: ``cost`` name -> (column of the rows, words for it).
COSTS = {
    "latency": ("latency_s", "single-row latency (s, fastest path measured)"),
    "size": ("size_bytes", "size (bytes, pickled)"),
    "complexity": ("complexity", "complexity (nodes, coefficients or parameters)"),
}


def finite(value):
    """Whether ``value`` is a real, finite number (not None, NaN or inf)."""
    return isinstance(value, Real) and math.isfinite(value)


def cost_key(row, cost_column):
    """Sort key of a row's cost: latencies to two significant digits (closer ones
    are timing noise), then the size; NaN last."""
    value = row[cost_column]
    if not finite(value):
        return (math.inf, math.inf)
    if cost_column == "latency_s" and value > 0:
        value = float(f"{value:.2g}")
    size = row.get("size_bytes", math.inf)
    return (value, size if finite(size) else math.inf)


def pareto_rows(rows, cost_column, score_column="val_score"):
    """The rows not dominated in (lower cost, higher score), cheapest first.

    Examples
    --------
    >>> from skdistill.report._pareto import pareto_rows
    >>> rows = [{"size_bytes": 10, "val_score": 0.8},
    ...         {"size_bytes": 20, "val_score": 0.7},
    ...         {"size_bytes": 30, "val_score": 0.9}]
    >>> [r["size_bytes"] for r in pareto_rows(rows, "size_bytes")]
    [10, 30]
    """
    points = [r for r in rows if finite(r[cost_column]) and finite(r[score_column])]
    points.sort(key=lambda r: (cost_key(r, cost_column), -r[score_column]))
    frontier, best = [], -math.inf
    for r in points:
        if r[score_column] > best:
            frontier.append(r)
            best = r[score_column]
    return frontier
