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
from ..report._pareto import (
    COSTS,
    LATENCY_BAND,
    SIZE_BAND,
    cost_key,
    finite,
    latency_tiers,
    pareto_rows,
    size_groups,
)
from ._bootstrap import gap_lower_bound, relative_gaps, within_probability

__all__ = ["FrontierResult", "Selection"]

#: Kinds of training of each candidate.
KINDS = ("hard", "distilled")

#: Candidates tried, cheapest first, on the confirmation rows: each extra try is
#: another chance for a student to pass there by luck.
MAX_CONFIRMATIONS = 3


def _number(row, column):
    value = row.get(column, math.nan)
    return value if finite(value) else math.inf


def _name(row):
    """``"tree depth=4 (distilled)"``: a row in words."""
    return f"{row['family']} {row['capacity']} ({row['kind']})"


def _label(relative_to):
    return relative_to if isinstance(relative_to, str) else "value"


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
    confirmed : bool or None
        Whether the student is within the tolerance of the reference on the
        confirmation rows, which the selection never looked at (None: no
        confirmation rows, or ``confirm=False``).
    confirm_score : float
        Its score on the confirmation rows (NaN without them).
    confirm_reference_score : float
        The reference's score there (the teacher's, the best candidate's, or the
        number).
    n_confirm_tried : int
        Candidates tried on the confirmation rows, cheapest first, before one was
        confirmed (at most ``MAX_CONFIRMATIONS``, 3).
    n_confirm_rows : int
        Rows held out to confirm the selection.
    tied : list of str
        With ``cost="latency"``: the other candidates within the rule whose
        latency is tied with the selected one's (the same tie group among the
        candidates kept: within their measured spread, at least ``LATENCY_BAND``
        apart), beaten by size, complexity, then validation score.
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
    confirmed: bool | None = None
    confirm_score: float = math.nan
    confirm_reference_score: float = math.nan
    n_confirm_tried: int = 0
    n_confirm_rows: int = 0
    tied: list = field(default_factory=list)
    note: str = ""

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
            why = r.get("bootstrap_error") or "no bootstrap of the validation rows"
            text += (
                f" (No bootstrap available ({why}): the validation score alone decided.)"
            )
        if self.tied:
            text += (
                f" Latency tied (within the measured spread, at least "
                f"{LATENCY_BAND:.0%} apart) with {', '.join(self.tied)}: the smallest "
                f"(sizes within {SIZE_BAND:.0%} equal), then the simplest, then the "
                "best-scoring was kept."
            )
        if self.confirmed is not None:
            tries = (
                f" after {self.n_confirm_tried - 1} cheaper one(s) failed there"
                if self.n_confirm_tried > 1
                else ""
            )
            text += (
                f" Confirmation on {self.n_confirm_rows} held-out rows the selection "
                f"never looked at: {self.confirm_score:.4f} against {self.reference} "
                f"{self.confirm_reference_score:.4f}, "
                + ("CONFIRMED" if self.confirmed else "NOT confirmed")
                + f" within {self.tolerance:g}{tries}."
            )
        elif self.note:
            text += f" Not confirmed: {self.note}."
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
        of the bootstrap resamples within the search's tolerance),
        ``bootstrap_error`` (why its bootstrap failed, if it did), ``confirm_score``
        (on the confirmation rows), ``test_score``, ``size_bytes``, ``complexity``,
        ``complexity_unit``, ``latency_s`` (median), ``latency_spread`` (half the
        interquartile range of its timed blocks), ``cost_tier`` (latency tie group,
        fastest 0, see :meth:`select`), ``latency_path`` (the serving path of
        ``latency_s``), ``latency_sklearn_s``, ``fit_time_s``, ``scorer``,
        ``teacher_test_score`` and ``error``.
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
    confirmation : dict
        The rows held out of the selection to confirm it (``confirm_size``):
        ``n_rows``, ``size``, the teacher's score there (``teacher_score``), and a
        ``note`` saying why there are none when they were asked for. Each row's
        ``confirm_score`` is its score there.
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
    confirmation: dict = field(default_factory=dict)
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
        confidence=0.8, confirm=True,
    ):  # fmt: skip
        """The cheapest fitted student within a tolerance, with a given confidence.

        The plain rule keeps a candidate whose validation score is within the
        tolerance. On a few hundred validation rows that is a coin toss for a
        candidate near the threshold, so by default the rule also asks the paired
        bootstrap of the validation rows (the candidate and the reference scored
        on the same resamples, ``bootstrap``): the ``1 - confidence`` quantile of
        the candidate's relative gap to the reference must be within the
        tolerance too. A candidate whose bootstrap failed (``bootstrap_error``)
        is kept by the plain rule.

        Among the candidates kept, the cheapest is chosen. With ``cost="latency"``
        latencies within their measured spread are ties (``cost_tier``, see
        below), broken by size, then complexity, then the higher validation
        score. Sizes within ``SIZE_BAND`` (5%) of each other count as equal (a
        student fitted on the labels and its distilled twin differ by a few bytes
        of parameters), with ``cost="latency"`` and ``cost="size"``; complexities
        are exact. Then, when the sweep held rows
        out of the selection (``confirm_size``), the choice is confirmed there:
        its score on those rows must be within the tolerance of the reference's
        score on the same rows. If it is not, the next cheapest candidate kept
        is tried, up to ``MAX_CONFIRMATIONS`` (3) in all.

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
        confirm : bool, default=True
            Confirm the choice on the held-out confirmation rows, when there are
            any. False: the choice of the validation rows is returned as is
            (``confirmed=None``).

        Returns
        -------
        selection : Selection
            The fitted student, its row and the evidence (with ``p_within``,
            ``gap_lower``, the latency ties and the confirmation). If no candidate
            meets the rule: with ``confidence``, the candidate most likely within
            the tolerance (highest lower bound), else the best-scoring one;
            ``within_tolerance=False`` and a :class:`~skdistill.DistillationWarning`
            say so. If none of those tried is confirmed, the one of the best
            confirmation score is returned, ``confirmed=False``, with a warning.

        Notes
        -----
        Latency ties: single-row latencies of small students are a few
        microseconds apart, less than they move from run to run. A row's latency
        is its median ``latency_s`` plus or minus the larger of its
        ``latency_spread`` (half the interquartile range of its timed blocks) and
        ``LATENCY_BAND / 2`` (5%) of it; rows whose intervals overlap the fastest
        row of a group belong to that group. The groups are formed among the
        candidates the rule kept (anchored at the fastest of them, so that a
        refused candidate cannot move a group's end), and the selection minimises
        (group, size, complexity, -score). The table's ``cost_tier`` column is the
        same grouping over every row, to read the measurements.

        Confirmation: the bootstrap measures the noise of the validation rows,
        not the optimism of choosing the best of some thirty candidates and grid
        points on them. The confirmation rows never entered any choice (grid
        point, bootstrap, rule), so a score there is an unbiased estimate for the
        candidate tried. Its noise is that of a small sample: a confirmation
        says "not refuted on new rows", not "proved".
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
        # a candidate without a bootstrap (NaN bound) is kept by the plain rule
        within = [
            i
            for i in indices
            if self.rows[i]["val_score"] >= threshold
            and (not finite(lower[i]) or lower[i] >= -tolerance)
        ]
        tiers = self._tiers(cost, within)
        within.sort(key=self._cost_order(cost, tiers))
        if within:
            best = within[0]
        else:
            best = self._most_likely(indices, lower, confident)
            self._warn_none(best, reference, score, threshold, tolerance, confidence,
                            confident)  # fmt: skip
        confirmation = (
            self._confirm(within, relative_to, kind, tolerance, confirm) if within else {}
        )
        best = confirmation.get("index", best)
        tied = [
            _name(self.rows[i])
            for i in within
            if cost == "latency" and i != best and tiers[i][0] == tiers[best][0]
        ]
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
            confirmed=confirmation.get("confirmed"),
            confirm_score=confirmation.get("score", math.nan),
            confirm_reference_score=confirmation.get("reference", math.nan),
            n_confirm_tried=confirmation.get("tried", 0),
            n_confirm_rows=int(self.confirmation.get("n_rows", 0)),
            tied=tied,
            note=confirmation.get("note", ""),
        )

    def _tiers(self, cost, among):
        """``{row index: (latency tie group, size group)}`` among the rows ``among``
        (empty for ``cost="complexity"``): groups anchored at the cheapest candidate
        kept, so that a candidate the rule refused cannot move where a group ends."""
        if cost == "complexity":
            return {}
        rows = [self.rows[i] for i in among]
        sizes = size_groups(rows)
        latencies = latency_tiers(rows) if cost == "latency" else [0] * len(rows)
        return {
            i: (math.inf if t is None else t, math.inf if g is None else g)
            for i, t, g in zip(among, latencies, sizes, strict=True)
        }

    def _cost_order(self, cost, tiers):
        """Sort key of row indices, cheapest first: the cost (with latency, its tie
        group; sizes within ``SIZE_BAND`` are equal), then the complexity, then the
        higher validation score."""

        def key(i):
            r = self.rows[i]
            if cost == "complexity":
                cost_part = cost_key(r, "complexity")
            else:
                cost_part = (*tiers[i], _number(r, "complexity"))
            return (*cost_part, -r["val_score"])

        return key

    def _most_likely(self, indices, lower, confident):
        if confident:
            return max(
                indices,
                key=lambda i: (
                    lower[i] if finite(lower[i]) else -math.inf,
                    self.rows[i]["val_score"],
                ),
            )
        return max(indices, key=lambda i: self.rows[i]["val_score"])

    def _warn_none(self, best, reference, score, threshold, tolerance, confidence,
                   confident):  # fmt: skip
        if confident:
            how = (
                f"with confidence {confidence:g} (paired bootstrap of the "
                f"validation rows); the most likely one"
            )
            fix = (
                "Give more validation rows, lower the confidence (or "
                "confidence=None), raise the tolerance, or add larger students."
            )
        else:
            how = "on validation; the best one"
            fix = "Raise the tolerance, or add larger students."
        warnings.warn(
            f"No candidate reaches {threshold:.4f} ({reference} score "
            f"{score:.4f} minus {tolerance:g} of it) {how}, "
            f"{_name(self.rows[best])} ({self.rows[best]['val_score']:.4f}), is "
            f"returned. {fix}",
            DistillationWarning,
            stacklevel=3,
        )

    def _confirm(self, order, relative_to, kind, tolerance, confirm):
        """Try the candidates of ``order`` on the confirmation rows, cheapest first.

        ``{}`` without confirmation rows (or ``confirm=False``; with a ``note``
        when rows were asked for but none could be kept), else ``index`` (the
        candidate returned), ``confirmed``, ``score``, ``reference`` and ``tried``.
        """
        if not confirm:
            return {}
        if not self.confirmation.get("n_rows"):
            note = self.confirmation.get("note", "")
            return {"note": note} if note else {}
        if isinstance(relative_to, Real) and not isinstance(relative_to, bool):
            reference = float(relative_to)
        elif relative_to == "best":
            rows = [r for r in self._rows_of(kind) if finite(r["val_score"])]
            reference = max(rows, key=lambda r: r["val_score"])["confirm_score"]
        else:
            reference = self.confirmation.get("teacher_score", math.nan)
        if not finite(reference):
            return {"note": "the reference has no score on the confirmation rows"}
        floor = reference - tolerance * abs(reference)
        tried = order[:MAX_CONFIRMATIONS]
        for n, i in enumerate(tried, start=1):
            score = self.rows[i].get("confirm_score", math.nan)
            if finite(score) and score >= floor:
                return {"index": i, "confirmed": True, "score": score,
                        "reference": reference, "tried": n}  # fmt: skip
        best = max(
            tried,
            key=lambda i: (
                self.rows[i]["confirm_score"]
                if finite(self.rows[i].get("confirm_score"))
                else -math.inf
            ),
        )
        warnings.warn(
            f"None of the {len(tried)} cheapest candidate(s) within the rule is within "
            f"{tolerance:g} of the {_label(relative_to)} "
            f"score ({reference:.4f}) on the {self.confirmation['n_rows']} confirmation "
            f"rows the selection never looked at: the choice on the validation rows was "
            f"optimistic. {_name(self.rows[best])}, the best of them there, is returned "
            "unconfirmed. Give more validation rows, raise the tolerance, or add larger "
            "students.",
            DistillationWarning,
            stacklevel=3,
        )
        return {"index": best, "confirmed": False,
                "score": self.rows[best].get("confirm_score", math.nan),
                "reference": reference, "tried": len(tried)}  # fmt: skip

    def __repr__(self):
        return (
            f"FrontierResult({len(self.rows)} rows, scorer={self.scorer!r}, "
            f"cost={self.cost!r}, validation={self.validation!r}; {self.message})"
        )
