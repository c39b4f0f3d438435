"""CompressionFrontierDisplay: score against cost of every student of a sweep."""

import math

from ._pareto import COSTS, finite, pareto_rows
from ._plotting import DisplayMixin

__all__ = ["CompressionFrontierDisplay"]


class CompressionFrontierDisplay(DisplayMixin):
    """Validation score against cost of the students of a compression sweep.

    One colour per family; hollow markers and a dashed line for the students fitted
    on the labels (hard), filled markers and a solid line for the distilled ones:
    each line joins the family's Pareto frontier (no point of it is both cheaper
    and better than another). The teacher's score is a black line, the tolerance
    band the grey area down to the selection threshold, and the selected student a
    star. Cost is on a log axis. Create it with :meth:`from_estimator` (a fitted
    :class:`~skdistill.frontier.CompressionSearch`) or :meth:`from_result`.

    Read more in the :ref:`User Guide <choosing_a_student>`.

    Parameters
    ----------
    rows : list of dict
        The sweep's rows (``family``, ``kind``, ``val_score`` and the cost column).
    teacher_score : float
        The teacher's score on the same validation rows (NaN: not drawn).
    teacher_cost : float, default=None
        The teacher's cost: a black diamond on its line (None: the line alone).
    cost : {"latency", "size", "complexity"}, default="latency"
        The x axis.
    score_name : str, default="score"
        Name of the score, for the labels.
    threshold : float, default=None
        Lowest score within the tolerance (the band's bottom); None draws no band.
    reference_score : float, default=None
        Top of the band; None means ``teacher_score``.
    selected : dict, default=None
        The selected row, starred.

    Attributes
    ----------
    lines_ : dict of (str, str) to matplotlib Line2D
        The frontier line of each ``(family, kind)``.
    points_ : dict of (str, str) to matplotlib PathCollection
        The markers of each ``(family, kind)``.
    teacher_line_ : matplotlib Line2D or None
        The teacher's score.
    teacher_marker_ : matplotlib Line2D or None
        The teacher at its cost.
    band_ : matplotlib Artist or None
        The tolerance band.
    selected_marker_ : matplotlib Line2D or None
        The star on the selected student.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    skdistill.frontier.CompressionSearch : The sweep.
    DistillationSearchDisplay : Scores over temperature and alpha of one student.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill.frontier import CompressionSearch
    >>> from skdistill.report import CompressionFrontierDisplay
    >>> X, y = make_classification(n_samples=400, random_state=0)
    >>> search = CompressionSearch(
    ...     RandomForestClassifier(n_estimators=20, random_state=0),
    ...     [DecisionTreeClassifier(max_depth=d) for d in (1, 3)],
    ...     cost="size", tolerance=0.1, random_state=0).fit(X, y)
    >>> display = CompressionFrontierDisplay.from_estimator(search)
    >>> sorted(display.lines_)[0]
    ('DecisionTreeClassifier', 'distilled')
    >>> display.ax_.get_xscale()
    'log'
    """

    def __init__(
        self,
        *,
        rows,
        teacher_score,
        teacher_cost=None,
        cost="latency",
        score_name="score",
        threshold=None,
        reference_score=None,
        selected=None,
    ):
        self.rows = rows
        self.teacher_score = teacher_score
        self.teacher_cost = teacher_cost
        self.cost = cost
        self.score_name = score_name
        self.threshold = threshold
        self.reference_score = reference_score
        self.selected = selected

    @classmethod
    def from_result(
        cls, result, *, tolerance=0.01, relative_to="teacher", confidence=0.8,
        cost=None, ax=None,
    ):  # fmt: skip
        """Plot a :class:`~skdistill.frontier.FrontierResult`, selecting as it does.

        Parameters
        ----------
        result : FrontierResult
            The sweep.
        tolerance : float or None, default=0.01
            Tolerance of the selection drawn (see ``FrontierResult.select``); None
            draws no band and no selection.
        relative_to : {"teacher", "best"} or float, default="teacher"
            Reference of the tolerance.
        confidence : float or None, default=0.8
            Confidence of the selection (see ``FrontierResult.select``).
        cost : {"latency", "size", "complexity"}, default=None
            The x axis; None means the sweep's cost.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.

        Returns
        -------
        display : CompressionFrontierDisplay
            The display, plotted.
        """
        cost = result.cost if cost is None else cost
        selection = None
        if tolerance is not None:
            selection = result.select(
                tolerance, relative_to, cost=cost, confidence=confidence
            )
        return cls._from_parts(result, selection, cost, ax)

    @classmethod
    def from_estimator(cls, search, *, cost=None, ax=None):
        """Plot a fitted :class:`~skdistill.frontier.CompressionSearch` and its selection.

        Parameters
        ----------
        search : CompressionSearch
            A fitted search.
        cost : {"latency", "size", "complexity"}, default=None
            The x axis; None means the search's cost (the selection drawn is the
            search's, made on that cost).
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.

        Returns
        -------
        display : CompressionFrontierDisplay
            The display, plotted.
        """
        if not hasattr(search, "result_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"This {type(search).__name__} is not fitted yet; call fit first, or "
                "plot a FrontierResult with CompressionFrontierDisplay.from_result."
            )
        cost = search.result_.cost if cost is None else cost
        return cls._from_parts(search.result_, search.selection_, cost, ax)

    @classmethod
    def _from_parts(cls, result, selection, cost, ax):
        display = cls(
            rows=result.rows,
            teacher_score=result.teacher.get("val_score", math.nan),
            teacher_cost=result.teacher.get(COSTS[cost][0]),
            cost=cost,
            score_name=result.scorer,
            threshold=None if selection is None else selection.threshold,
            reference_score=None if selection is None else selection.reference_score,
            selected=None if selection is None else selection.row,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None):
        """Draw the frontiers, the teacher, the band and the selection.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.

        Returns
        -------
        display : CompressionFrontierDisplay
            This display.
        """
        if self.cost not in COSTS:
            raise ValueError(f"cost must be one of {sorted(COSTS)}, got {self.cost!r}.")
        column, label = COSTS[self.cost]
        ax = self._set_axes(ax)
        self.lines_, self.points_ = {}, {}
        self.teacher_line_ = self.teacher_marker_ = None
        self.band_ = self.selected_marker_ = None
        families = list(dict.fromkeys(row["family"] for row in self.rows))
        for i, family in enumerate(families):
            color = f"C{i % 10}"
            for kind, line_style, face in (
                ("hard", "--", "none"),
                ("distilled", "-", color),
            ):
                rows = [
                    row
                    for row in self.rows
                    if row["family"] == family
                    and row["kind"] == kind
                    and finite(row[column])
                    and finite(row["val_score"])
                    and row[column] > 0
                ]
                if not rows:
                    continue
                self.points_[family, kind] = ax.scatter(
                    [row[column] for row in rows], [row["val_score"] for row in rows],
                    s=28, marker="o", facecolors=face, edgecolors=color,
                    linewidths=1.2, zorder=3,
                )  # fmt: skip
                frontier = pareto_rows(rows, column)
                fx = [row[column] for row in frontier]
                fy = [row["val_score"] for row in frontier]
                (self.lines_[family, kind],) = ax.plot(
                    fx, fy, linestyle=line_style, color=color, linewidth=1.5,
                    label=f"{family} ({kind})", drawstyle="steps-post",
                )  # fmt: skip
        if finite(self.teacher_score):
            self.teacher_line_ = ax.axhline(
                self.teacher_score, color="black", linewidth=2, label="teacher", zorder=2
            )
        if finite(self.teacher_score) and finite(self.teacher_cost):
            (self.teacher_marker_,) = ax.plot(
                [self.teacher_cost], [self.teacher_score], marker="D", markersize=8,
                color="black", linestyle="none", zorder=4,
            )  # fmt: skip
        top = self.reference_score if self.reference_score is not None else (
            self.teacher_score
        )  # fmt: skip
        if self.threshold is not None and finite(top):
            self.band_ = ax.axhspan(
                self.threshold, top, color="grey", alpha=0.2, zorder=1,
                label=f"tolerance (>= {self.threshold:.4f})",
            )  # fmt: skip
        selected = self.selected
        if selected is not None and finite(selected.get(column)):
            (self.selected_marker_,) = ax.plot(
                [selected[column]], [selected["val_score"]], marker="*", markersize=18,
                color="gold", markeredgecolor="black", linestyle="none", zorder=5,
                label=f"selected: {selected['family']} {selected['capacity']} "
                f"({selected['kind']})",
            )  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel(f"validation {self.score_name}")
        ax.set_title("Compression frontier: hard (dashed) vs distilled (solid)")
        ax.legend(fontsize="small", loc="best", ncol=2)
        ax.grid(True, which="major", alpha=0.3)
        return self
