"""The Pareto frontier of measured models: score against cost.

One implementation, shared by :class:`~skdistill.frontier.FrontierResult` (its
``frontier`` and ``select``) and :class:`CompressionFrontierDisplay` (its lines).
Rows are dicts with a score column and cost columns, as the sweep writes them.
"""

import math
from numbers import Real

__all__ = [
    "COSTS",
    "LATENCY_BAND",
    "SIZE_BAND",
    "cost_key",
    "finite",
    "latency_tiers",
    "pareto_rows",
    "size_groups",
]

#: ``cost`` name -> (column of the rows, words for it).
COSTS = {
    "latency": ("latency_s", "single-row latency (s, fastest path measured)"),
    "size": ("size_bytes", "size (bytes, pickled)"),
    "complexity": ("complexity", "complexity (nodes, coefficients or parameters)"),
}


def finite(value):
    """Whether ``value`` is a real, finite number (not None, NaN or inf)."""
    return isinstance(value, Real) and math.isfinite(value)


#: Relative width of the band within which two single-row latencies are timing noise:
#: the medians of the same 15 small students, timed three times in a row on a shared
#: 2-core machine, moved by up to 12% (4% typically), more than the quartiles of one
#: run showed for some of them. A latency's half-width is the larger of its measured
#: half interquartile range (``latency_spread``) and half of this band.
LATENCY_BAND = 0.10

#: Relative width of the band within which two pickled sizes are the same model: a
#: student fitted on the labels and distilled differ by a few bytes of parameters.
SIZE_BAND = 0.05


def _number(row, column):
    value = row.get(column, math.nan)
    return value if finite(value) else math.inf


def cost_key(row, cost_column):
    """Sort key of a row's cost: the cost, then the size and the complexity; NaN last."""
    value = row[cost_column]
    if not finite(value):
        return (math.inf, math.inf, math.inf)
    return (value, _number(row, "size_bytes"), _number(row, "complexity"))


def _groups(values, half_widths):
    """Anchored tie groups of ``values`` (None where not finite), smallest group 0:
    the smallest value not yet grouped opens a group, and every larger value whose
    interval (value minus its half-width) reaches the opener's (value plus its
    half-width) joins it. Anchoring keeps groups from chaining."""
    order = sorted((i for i, v in enumerate(values) if finite(v)), key=values.__getitem__)
    groups, group, top = [None] * len(values), -1, -math.inf
    for i in order:
        if values[i] - half_widths[i] > top:
            group, top = group + 1, values[i] + half_widths[i]
        groups[i] = group
    return groups


def latency_tiers(rows, band=LATENCY_BAND):
    """Tie groups of the rows' single-row latencies, fastest group 0 (NaN: None).

    Two latencies are tied when their intervals overlap: each is its median
    ``latency_s`` plus or minus the larger of ``latency_spread`` (half its
    measured interquartile range) and ``band / 2`` of it. Groups are anchored:
    the fastest row not yet grouped opens a group, and every slower row tied with
    it joins, so each group holds the rows indistinguishable from its fastest one.

    Examples
    --------
    >>> from skdistill.report._pareto import latency_tiers
    >>> rows = [{"latency_s": 10e-6, "latency_spread": 1e-6},
    ...         {"latency_s": 11e-6, "latency_spread": 0.2e-6},
    ...         {"latency_s": 20e-6, "latency_spread": 1e-6}]
    >>> latency_tiers(rows)
    [0, 0, 1]
    """
    values = [r["latency_s"] for r in rows]
    spreads = [r.get("latency_spread", math.nan) for r in rows]
    return _groups(
        values,
        [
            max(band / 2 * v, w if finite(w) else 0.0) if finite(v) else 0.0
            for v, w in zip(values, spreads, strict=True)
        ],
    )


def size_groups(rows, band=SIZE_BAND):
    """Groups of the rows' sizes within ``band`` of each other (the same model
    fitted on labels or distilled differs by a few bytes of parameters), smallest
    group 0; anchored as :func:`latency_tiers`.

    Examples
    --------
    >>> from skdistill.report._pareto import size_groups
    >>> size_groups([{"size_bytes": 12997}, {"size_bytes": 13005},
    ...              {"size_bytes": 1455}])
    [1, 1, 0]
    """
    values = [r.get("size_bytes", math.nan) for r in rows]
    return _groups(values, [band / 2 * v if finite(v) else 0.0 for v in values])


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
