"""The outcome of a compression sweep: its table, Pareto frontiers and the selection.

Pure bookkeeping on the rows the sweep measured (no fitting here): the table (a
DataFrame when pandas is installed), the score-vs-cost frontier of each kind of
training (hard labels, distilled), and :meth:`FrontierResult.select`, the cheapest
student within a tolerance of a reference score, with the evidence.
"""

import math
import warnings
from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from ..exceptions import DistillationWarning
from ..report._pareto import COSTS, cost_key, finite, pareto_rows
from ._bootstrap import gap_lower_bound, relative_gaps, within_probability

__all__ = ["FrontierResult", "Selection"]

#: Kinds of training of each candidate.
KINDS = ("hard", "distilled")


def _table(rows):
    """A DataFrame of ``rows`` when pandas is installed, else the list of dicts."""
    try:
        import pandas as pd
    except ImportError:
        return [dict(r) for r in rows]
    return pd.DataFrame([dict(r) for r in rows])


@dataclass
class Selection:
    """The student chosen by :meth:`FrontierResult.select`, and why.

    Attributes
    ----------
    estimator : DistilledClassifier
        The fitted candidate (``alpha=0`` for a hard-label one).
    row : dict
        Its row of the table (family, capacity, kind, parameters, scores, costs).
    reference : str
        What the score was compared with: ``"teacher"``, ``"best"`` or ``"value"``.
    reference_score : float
        That score, on the same validation rows.
    threshold : float
        ``reference_score - tolerance * |reference_score|``: the lowest score kept.
    tolerance : float
        The relative tolerance.
    cost : str
        The cost minimised (``"latency"``, ``"size"`` or ``"complexity"``).
    validation : str
        Which rows the scores come from, and whether the comparison is biased.
    biased : bool
        Whether the validation rows were seen by the teacher (see
        :class:`BiasedComparisonWarning`).
    within_tolerance : bool
        False when no candidate reached the threshold: the best-scoring one is
        returned instead.
    n_within : int
        How many candidates met the rule (the threshold, and with ``confidence``
        the bootstrap lower bound).
    confidence : float or None
        The confidence required (None: the validation score alone decided).
    p_within : float
        Share of the paired bootstrap resamples of the validation rows in which
        this student is within the tolerance of the reference (NaN without a
        bootstrap).
    gap_lower : float
        The ``1 - confidence`` quantile of its relative gap to the reference over
        those resamples (``-0.012``: with that confidence, at most 1.2% below);
        NaN without a bootstrap or a confidence.
    n_resamples : int
        Bootstrap resamples behind ``p_within`` and ``gap_lower`` (0: none).
    """

    estimator: object
    row: dict
    reference: str
    reference_score: float
    threshold: float
    tolerance: float
    cost: str
    validation: str
    biased: bool
    within_tolerance: bool
    n_within: int
    confidence: float | None = None
    p_within: float = math.nan
    gap_lower: float = math.nan
    n_resamples: int = 0

    @property
    def evidence(self):
        """The selection in one paragraph: what was compared, on which rows."""
        r = self.row
        params = "" if r["kind"] == "hard" else f", {r['params']}"
        sure = (
            f" with confidence {self.confidence:g} (paired bootstrap)"
            if finite(self.gap_lower)
            else ""
        )
        chosen = (
            f"cheapest by {COSTS[self.cost][1]} of the {self.n_within} candidate(s) "
            f"within {self.tolerance:g} (relative) of the {self.reference} score{sure}"
            if self.within_tolerance
            else f"NO candidate within {self.tolerance:g} of the {self.reference} "
            f"score{sure}; this is the "
            + ("most likely one" if finite(self.gap_lower) else "best-scoring one")
        )
        se = r.get("val_score_se", math.nan)
        spread = f" (bootstrap s.e. {se:.4f})" if finite(se) else ""
        text = (
            f"{r['family']} {r['capacity']} ({r['kind']}{params}): {r['scorer']} "
            f"{r['val_score']:.4f}{spread} against {self.reference} "
            f"{self.reference_score:.4f} (threshold {self.threshold:.4f}), on "
            f"{self.validation}; {chosen}."
        )
        if finite(self.p_within):
            text += (
                f" Within the tolerance in {self.p_within:.0%} of {self.n_resamples} "
                "paired bootstrap resamples of the validation rows"
            )
            if finite(self.gap_lower):
                text += (
                    f"; relative gap to the {self.reference} at least "
                    f"{self.gap_lower:+.2%} with confidence {self.confidence:g}"
                )
            text += "."
        elif self.confidence is not None:
            text += " (No bootstrap available: the validation score alone decided.)"
        if finite(r.get("test_score")):
            text += f" Test score {r['test_score']:.4f}"
            if finite(r.get("teacher_test_score")):
                text += f" (teacher {r['teacher_test_score']:.4f})"
            text += "."
        return text

    def __repr__(self):
        return f"Selection({self.evidence})"


@dataclass
class FrontierResult:
    """Every candidate of a compression sweep, measured; see :func:`compression_frontier`.

    Attributes
    ----------
    rows : list of dict
        One row per candidate and kind (``"hard"``: fitted on the labels,
        ``alpha=0``; ``"distilled"``: the best temperature/alpha of the grid on
        validation). Columns: ``family``, ``capacity``, ``kind``, ``params``,
        ``val_score`` (mean over the folds), ``val_score_std`` (over the folds),
        ``val_score_se`` (its paired-bootstrap standard error), ``p_within`` (share
        of the bootstrap resamples within the search's tolerance), ``test_score``,
        ``size_bytes``, ``complexity``, ``complexity_unit``, ``latency_s``,
        ``latency_path`` (the serving path of ``latency_s``), ``latency_sklearn_s``,
        ``fit_time_s``, ``scorer``, ``teacher_test_score`` and ``error``.
    estimators : list of DistilledClassifier
        The fitted candidate of each row (None where fitting failed).
    teacher : dict
        The teacher's ``val_score``, ``test_score``, ``size_bytes``, ``latency_s``,
        ``latency_path`` and ``latency_sklearn_s``, measured as the candidates are
        (on the same serving paths, so that latency ratios compare like with like).
    scorer : str
        The name of the score.
    cost : str
        The default cost of :meth:`frontier` and :meth:`select`.
    validation : str
        Which rows the validation scores come from.
    biased : bool
        Whether the teacher has seen those rows (the comparison flatters
        distillation and the teacher; see :class:`BiasedComparisonWarning`).
    bias : dict
        Where test rows were given: the mean ``val_score - test_score`` of each
        kind (``"optimism_hard"``, ``"optimism_distilled"``) and the mean advantage
        of distillation over hard labels on validation and on test.
    bootstrap : dict
        The paired bootstrap of the validation rows: ``n_resamples``, the
        ``teacher``'s scores on the resamples and each row's (``scores``, of shape
        (n_rows, n_resamples), NaN where the scorer could not replay a
        candidate's outputs); empty when ``n_resamples=0``.
    complete : bool
        False when ``max_time`` stopped the sweep before every candidate.
    message : str
        How the sweep went (candidates done, skipped, failed; seconds).
    seconds : float
        Wall time of the sweep.
    """

    rows: list
    estimators: list
    teacher: dict
    scorer: str
    cost: str
    validation: str
    biased: bool
    bias: dict = field(default_factory=dict)
    bootstrap: dict = field(default_factory=dict)
    complete: bool = True
    message: str = ""
    seconds: float = 0.0

    @property
    def table(self):
        """The rows: a pandas DataFrame when pandas is installed, else a list of dicts."""
        return _table(self.rows)

    def _check_cost(self, cost):
        cost = self.cost if cost is None else cost
        if cost not in COSTS:
            raise ValueError(f"cost must be one of {sorted(COSTS)}, got {cost!r}.")
        return cost

    def frontier(self, kind="distilled", *, cost=None, family=None):
        """The Pareto frontier (score vs cost) of one kind of training.

        Parameters
        ----------
        kind : {"hard", "distilled", "any"}, default="distilled"
            The candidates fitted on the labels, distilled, or both.
        cost : {"latency", "size", "complexity"}, default=None
            None means the cost of the sweep.
        family : str, default=None
            Only this family (e.g. ``"tree"``); None means all.

        Returns
        -------
        frontier : DataFrame or list of dict
            The non-dominated rows, cheapest first: none is both cheaper and
            better-scoring than another on validation.
        """
        cost = self._check_cost(cost)
        if kind not in (*KINDS, "any"):
            raise ValueError(f"kind must be 'hard', 'distilled' or 'any', got {kind!r}.")
        rows = [
            r
            for r in self.rows
            if (kind == "any" or r["kind"] == kind)
            and (family is None or r["family"] == family)
        ]
        return _table(pareto_rows(rows, COSTS[cost][0]))

    def reference_score(self, relative_to="teacher", kind="any"):
        """The score that ``select`` measures the tolerance from."""
        if isinstance(relative_to, Real) and not isinstance(relative_to, bool):
            return "value", float(relative_to)
        if relative_to == "teacher":
            score = self.teacher.get("val_score", math.nan)
            if not finite(score):
                raise ValueError(
                    "The teacher has no validation score; pass relative_to='best' or a "
                    "number."
                )
            return "teacher", float(score)
        if relative_to == "best":
            scores = [r["val_score"] for r in self._rows_of(kind) if finite(r["val_score"])]
            if not scores:
                raise ValueError("No candidate has a validation score.")
            return "best", max(scores)
        raise ValueError(
            f"relative_to must be 'teacher', 'best' or a number, got {relative_to!r}."
        )

    def _rows_of(self, kind):
        return [r for r in self.rows if kind == "any" or r["kind"] == kind]

    def _gaps(self, relative_to, kind):
        """``gaps(i)``: row ``i``'s relative gaps to the reference over the paired
        bootstrap resamples (empty without a bootstrap)."""
        scores = self.bootstrap.get("scores")
        if scores is None or not len(scores):
            return lambda i: np.empty(0)
        if isinstance(relative_to, Real) and not isinstance(relative_to, bool):
            reference = float(relative_to)
        elif relative_to == "best":
            indices = [
                i
                for i, r in enumerate(self.rows)
                if (kind == "any" or r["kind"] == kind) and finite(r["val_score"])
            ]
            best = max(indices, key=lambda i: self.rows[i]["val_score"], default=None)
            reference = np.full(scores.shape[1], np.nan) if best is None else scores[best]
        else:
            reference = self.bootstrap["teacher"]
        return lambda i: relative_gaps(scores[i], reference)

    def within_probabilities(self, tolerance=0.01, relative_to="teacher", *, kind="any"):
        """Per row, the share of the paired bootstrap resamples of the validation
        rows in which it is within ``tolerance`` of the reference (NaN without a
        bootstrap).

        Parameters
        ----------
        tolerance : float, default=0.01
            Relative, as in :meth:`select`.
        relative_to : {"teacher", "best"} or float, default="teacher"
            The reference, as in :meth:`select`.
        kind : {"any", "hard", "distilled"}, default="any"
            Which rows ``"best"`` is taken from.

        Returns
        -------
        probabilities : list of float
            One per row of :attr:`rows`.
        """
        gaps = self._gaps(relative_to, kind)
        return [within_probability(gaps(i), tolerance) for i in range(len(self.rows))]

    def select(
        self, tolerance=0.01, relative_to="teacher", *, cost=None, kind="any",
        confidence=0.8,
    ):  # fmt: skip
        """The cheapest fitted student within a tolerance, with a given confidence.

        The plain rule keeps a candidate whose validation score is within the
        tolerance. On a few hundred validation rows that is a coin toss for a
        candidate near the threshold, so by default the rule also asks the paired
        bootstrap of the validation rows (the candidate and the reference scored
        on the same resamples, ``bootstrap``): the ``1 - confidence`` quantile of
        the candidate's relative gap to the reference must be within the
        tolerance too.

        Parameters
        ----------
        tolerance : float, default=0.01
            Relative: a candidate is kept when its validation score is at least
            ``reference - tolerance * |reference|`` (0.01 keeps 99% of the score).
        relative_to : {"teacher", "best"} or float, default="teacher"
            The reference: the teacher's score on the same validation rows, the
            best candidate's, or a number.
        cost : {"latency", "size", "complexity"}, default=None
            The cost to minimise; None means the cost of the sweep.
        kind : {"any", "hard", "distilled"}, default="any"
            Choose among every candidate, or only one kind of training.
        confidence : float in (0, 1) or None, default=0.8
            How sure the rule must be, over the bootstrap resamples, that the
            candidate is within the tolerance (0.8: in at least about 80% of
            them). None: the validation score alone decides. Without a bootstrap
            (``n_resamples=0``, or a scorer that cannot replay outputs) the
            validation score alone decides, and the evidence says so.

        Returns
        -------
        selection : Selection
            The fitted student, its row and the evidence (with ``p_within`` and
            ``gap_lower``). If no candidate meets the rule: with ``confidence``,
            the candidate most likely within the tolerance (highest lower bound),
            else the best-scoring one; ``within_tolerance=False`` and a
            :class:`~skdistill.DistillationWarning` say so.
        """
        if not (isinstance(tolerance, Real) and 0 <= tolerance < 1):
            raise ValueError(
                f"tolerance must be a number in [0, 1) (relative: 0.01 keeps 99% of the "
                f"reference score), got {tolerance!r}."
            )
        if confidence is not None and not (
            isinstance(confidence, Real) and 0 < confidence < 1
        ):
            raise ValueError(
                f"confidence must be a number in (0, 1) (0.8: within the tolerance in "
                f"80% of the bootstrap resamples) or None, got {confidence!r}."
            )
        cost = self._check_cost(cost)
        if kind not in (*KINDS, "any"):
            raise ValueError(f"kind must be 'hard', 'distilled' or 'any', got {kind!r}.")
        reference, score = self.reference_score(relative_to, kind)
        threshold = score - tolerance * abs(score)
        column = COSTS[cost][0]
        indices = [
            i
            for i, r in enumerate(self.rows)
            if (kind == "any" or r["kind"] == kind)
            and self.estimators[i] is not None
            and finite(r["val_score"])
        ]
        if not indices:
            raise ValueError(
                "No candidate was fitted and scored; see the table's error column, or "
                "raise max_time."
            )
        gaps = self._gaps(relative_to, kind)
        p_within = {i: within_probability(gaps(i), tolerance) for i in indices}
        lower = {
            i: math.nan if confidence is None else gap_lower_bound(gaps(i), confidence)
            for i in indices
        }
        confident = confidence is not None and any(finite(v) for v in lower.values())
        within = [
            i
            for i in indices
            if self.rows[i]["val_score"] >= threshold
            and (not confident or (finite(lower[i]) and lower[i] >= -tolerance))
        ]
        if within:
            best = min(
                within,
                key=lambda i: (cost_key(self.rows[i], column), -self.rows[i]["val_score"]),
            )
        else:
            if confident:
                best = max(
                    indices,
                    key=lambda i: (
                        lower[i] if finite(lower[i]) else -math.inf,
                        self.rows[i]["val_score"],
                    ),
                )
                how = (
                    f"with confidence {confidence:g} (paired bootstrap of the "
                    f"validation rows); the most likely one"
                )
                fix = (
                    "Give more validation rows, lower the confidence (or "
                    "confidence=None), raise the tolerance, or add larger students."
                )
            else:
                best = max(indices, key=lambda i: self.rows[i]["val_score"])
                how = "on validation; the best one"
                fix = "Raise the tolerance, or add larger students."
            warnings.warn(
                f"No candidate reaches {threshold:.4f} ({reference} score "
                f"{score:.4f} minus {tolerance:g} of it) {how}, "
                f"{self.rows[best]['family']} {self.rows[best]['capacity']} "
                f"({self.rows[best]['val_score']:.4f}), is returned. {fix}",
                DistillationWarning,
                stacklevel=2,
            )
        return Selection(
            estimator=self.estimators[best],
            row=dict(self.rows[best]),
            reference=reference,
            reference_score=score,
            threshold=threshold,
            tolerance=float(tolerance),
            cost=cost,
            validation=self.validation,
            biased=self.biased,
            within_tolerance=bool(within),
            n_within=len(within),
            confidence=None if confidence is None else float(confidence),
            p_within=p_within[best],
            gap_lower=lower[best] if confident else math.nan,
            n_resamples=int(self.bootstrap.get("n_resamples", 0)),
        )

    def __repr__(self):
        return (
            f"FrontierResult({len(self.rows)} rows, scorer={self.scorer!r}, "
            f"cost={self.cost!r}, validation={self.validation!r}; {self.message})"
        )
