"""FrontierResult.select on measured rows: latency ties, held-out confirmation,
failed bootstraps, and the search's deployed (refitted) student scored again."""

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import DistillationWarning
from skdistill.frontier import CompressionSearch, FrontierResult, compression_frontier
from skdistill.frontier._result import MAX_CONFIRMATIONS
from skdistill.report import serving_speed
from skdistill.report._pareto import LATENCY_BAND, latency_tiers

GRID = {"temperature": [2.0], "alpha": [1.0]}


def _row(name, *, latency=10e-6, spread=math.nan, size=1000, complexity=10, val=0.95,
         confirm=math.nan, kind="hard"):  # fmt: skip
    return {
        "family": "m", "capacity": name, "kind": kind, "params": "", "scorer": "s",
        "val_score": val, "val_score_se": math.nan, "confirm_score": confirm,
        "bootstrap_error": "", "latency_s": latency, "latency_spread": spread,
        "size_bytes": size, "complexity": complexity, "test_score": math.nan,
    }  # fmt: skip


def _result(rows, *, confirmation=None, bootstrap=None):
    return FrontierResult(
        rows=rows,
        estimators=[object() for _ in rows],
        teacher={"val_score": 0.955},
        scorer="s",
        cost="latency",
        validation="hand-made rows",
        biased=False,
        bootstrap=bootstrap or {},
        confirmation=confirmation or {},
    )


# -- latency ties --------------------------------------------------------------------


@pytest.mark.parametrize("small_is_faster", [True, False])
def test_latencies_within_their_spread_are_ties_won_by_the_smaller(small_is_faster):
    """Two latencies 0.5 µs apart with a measured spread of 1 µs: the smaller model
    wins whichever is nominally faster."""
    fast, slow = (10.0e-6, 10.5e-6) if small_is_faster else (10.5e-6, 10.0e-6)
    rows = [
        _row("big", latency=slow, spread=1e-6, size=50_000, complexity=900, val=0.958),
        _row("small", latency=fast, spread=1e-6, size=2_000, complexity=30, val=0.955),
    ]
    selection = _result(rows).select(0.01, confidence=None)
    assert selection.row["capacity"] == "small"
    assert selection.tied == ["m big (hard)"]
    assert "Latency tied" in selection.evidence and "m big (hard)" in selection.evidence
    assert latency_tiers(rows) == [0, 0]


def test_a_latency_beyond_the_spread_is_not_a_tie():
    rows = [
        _row("big", latency=10e-6, spread=0.3e-6, size=50_000),
        _row("small", latency=14e-6, spread=0.3e-6, size=2_000),
    ]
    assert latency_tiers(rows) == [0, 1]
    selection = _result(rows).select(0.01, confidence=None)
    assert selection.row["capacity"] == "big" and selection.tied == []
    # cost="size" ignores latency altogether
    assert _result(rows).select(0.01, cost="size", confidence=None).row["capacity"] == (
        "small"
    )


@pytest.mark.parametrize(
    "ratio, tied", [(1 + LATENCY_BAND * 0.9, True), (1 + LATENCY_BAND * 1.2, False)]
)
def test_without_a_measured_spread_the_band_decides(ratio, tied):
    rows = [_row("a", latency=10e-6, size=9000), _row("b", latency=10e-6 * ratio, size=10)]
    assert (latency_tiers(rows) == [0, 0]) is tied
    chosen = _result(rows).select(0.01, confidence=None).row["capacity"]
    assert chosen == ("b" if tied else "a")


def test_ties_then_complexity_then_score():
    rows = [
        _row("c", latency=10e-6, spread=1e-6, size=1000, complexity=50, val=0.99),
        _row("b", latency=10.2e-6, spread=1e-6, size=1000, complexity=20, val=0.951),
        _row("a", latency=10.1e-6, spread=1e-6, size=1000, complexity=20, val=0.955),
    ]
    assert _result(rows).select(0.01, confidence=None).row["capacity"] == "a"


def test_tiers_are_anchored_not_chained():
    """11 is tied with 10 and 12 with 11, but 12 is not tied with 10."""
    rows = [_row(str(v), latency=v * 1e-6, spread=0.6e-6) for v in (10, 11, 12, 13)]
    assert latency_tiers(rows) == [0, 0, 1, 1]


def test_sweep_rows_carry_spread_and_tier():
    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    X, X_val, y, y_val = train_test_split(X, y, random_state=0, stratify=y)
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    result = compression_frontier(
        teacher, X, y, X_val=X_val, y_val=y_val, param_grid=GRID, n_resamples=20,
        students=[DecisionTreeClassifier(max_depth=d) for d in (2, 4)], random_state=0,
    )  # fmt: skip
    rows = result.rows
    assert all(r["latency_spread"] >= 0 for r in rows)
    assert [r["cost_tier"] for r in rows] == latency_tiers(rows)
    assert min(r["cost_tier"] for r in rows) == 0
    assert result.teacher["latency_spread"] >= 0


def test_serving_speed_reports_quartiles():
    X, y = make_classification(n_samples=100, random_state=0)
    tree = DecisionTreeClassifier(max_depth=3).fit(X, y)
    speed = serving_speed(tree, X, paths=("sklearn",), n_calls=20)
    low, high = speed.spread["sklearn"]
    assert 0 < low <= speed.latency["sklearn"] <= high


# -- confirmation --------------------------------------------------------------------


CONFIRMATION = {"n_rows": 60, "size": 0.3, "teacher_score": 0.90, "note": ""}


def test_confirmation_moves_to_the_next_cheapest_that_holds():
    rows = [
        _row("1", size=100, confirm=0.85),  # optimistic on validation: fails here
        _row("2", size=200, confirm=0.895),  # 0.895 >= 0.90 - 0.01 * 0.90
        _row("3", size=300, confirm=0.95),
    ]
    result = _result(rows, confirmation=CONFIRMATION)
    selection = result.select(0.01, cost="size", confidence=None)
    assert selection.row["capacity"] == "2"
    assert selection.confirmed is True and selection.n_confirm_tried == 2
    assert selection.confirm_score == 0.895 and selection.confirm_reference_score == 0.90
    assert "CONFIRMED" in selection.evidence and "1 cheaper one(s) failed" in (
        selection.evidence
    )
    unconfirmed = result.select(0.01, cost="size", confidence=None, confirm=False)
    assert unconfirmed.row["capacity"] == "1" and unconfirmed.confirmed is None


def test_nothing_confirmed_warns_and_tries_at_most_three():
    rows = [_row(str(i), size=100 * i, confirm=0.80 + 0.01 * i) for i in range(1, 6)]
    rows[4]["confirm_score"] = 0.99  # would pass, but it is the fifth
    result = _result(rows, confirmation=CONFIRMATION)
    with pytest.warns(DistillationWarning, match="confirmation rows"):
        selection = result.select(0.01, cost="size", confidence=None)
    assert selection.confirmed is False
    assert selection.n_confirm_tried == MAX_CONFIRMATIONS == 3
    assert selection.row["capacity"] == "3"  # the best of the three tried there
    assert "NOT confirmed" in selection.evidence


def test_confirmation_relative_to_best_uses_its_confirm_score():
    rows = [
        _row("cheap", size=100, val=0.94, confirm=0.70),
        _row("best", size=900, val=0.95, confirm=0.80),
    ]
    selection = _result(rows, confirmation=CONFIRMATION).select(
        0.02, "best", cost="size", confidence=None
    )
    assert selection.confirm_reference_score == 0.80
    assert selection.row["capacity"] == "best" and selection.confirmed


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=900, n_features=8, n_informative=5, weights=[0.8], random_state=0
    )
    X, X_val, y, y_val = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
    teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    return teacher, X, y, X_val, y_val


def _students():
    return [DecisionTreeClassifier(max_depth=d) for d in (2, 4, 6)]


def test_confirmation_rows_are_held_out_of_the_selection(data):
    """With accuracy (a mean over rows), the teacher's score on the selection rows
    and on the confirmation rows must add up to its score on all of X_val: the two
    parts split X_val."""
    teacher, X, y, X_val, y_val = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        result = compression_frontier(
            teacher, X, y, X_val=X_val, y_val=y_val, students=_students(),
            scoring="accuracy", param_grid=GRID, n_resamples=20, confirm_size=0.3,
            random_state=0,
        )  # fmt: skip
    n_confirm = result.confirmation["n_rows"]
    assert n_confirm == pytest.approx(0.3 * len(y_val), abs=2)
    whole = teacher.score(X_val, y_val) * len(y_val)
    parts = result.teacher["val_score"] * (len(y_val) - n_confirm) + (
        result.confirmation["teacher_score"] * n_confirm
    )
    assert parts == pytest.approx(whole)
    assert all(0 < r["confirm_score"] <= 1 for r in result.rows)
    assert f"{n_confirm} of them held out to confirm" in result.validation
    # the selection rows are fewer: the bootstrap and the scores saw only them
    assert not any(r["confirm_score"] == r["val_score"] for r in result.rows)


def test_confirmation_in_cross_validation_and_off(data):
    teacher, X, y, *_ = data
    kwargs = {"students": _students()[:2], "param_grid": GRID, "n_resamples": 20,
              "random_state": 0, "tolerance": 0.2}  # fmt: skip
    search = CompressionSearch(RandomForestClassifier(n_estimators=10), **kwargs).fit(X, y)
    assert 0.25 * len(y) < search.result_.confirmation["n_rows"] < 0.35 * len(y)
    assert "cross-fitted" in search.result_.validation
    assert search.selection_.confirmed is not None
    off = CompressionSearch(teacher, confirm_size=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        off.fit(X, y)  # biased CV: warns
    assert off.result_.confirmation == {"n_rows": 0, "note": ""}
    assert off.selection_.confirmed is None
    assert all(math.isnan(r["confirm_score"]) for r in off.result_.rows)


def test_too_few_rows_to_confirm_is_said(data):
    teacher, X, y, X_val, y_val = data
    rare = np.r_[np.flatnonzero(y_val == 1)[:1], np.flatnonzero(y_val == 0)[:40]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        result = compression_frontier(
            teacher, X, y, X_val=X_val[rare], y_val=y_val[rare], students=_students()[:1],
            scoring="accuracy", param_grid=GRID, n_resamples=0, random_state=0,
        )  # fmt: skip
    assert result.confirmation["n_rows"] == 0
    assert "too few" in result.confirmation["note"]
    assert "too few" in result.select(0.5).evidence


@pytest.mark.parametrize("bad", [1.0, -0.1, "0.3"])
def test_confirm_size_is_validated(data, bad):
    teacher, X, y, X_val, y_val = data
    with pytest.raises(InvalidParameterError, match="confirm_size"):
        CompressionSearch(teacher, confirm_size=bad).fit(X, y, X_val=X_val, y_val=y_val)


# -- the deployed student ------------------------------------------------------------


def test_best_score_is_the_deployed_students(data):
    """best_estimator_ (refitted with the out-of-fold map) is scored again: with
    log-loss, which sees the map, best_score_ is its score, not the row's."""
    teacher, X, y, X_val, y_val = data
    scorer = get_scorer("neg_log_loss")
    search = CompressionSearch(
        teacher, _students(), scoring="neg_log_loss", param_grid=GRID, tolerance=0.5,
        confirm_size=0, n_resamples=0, cost="size", random_state=0,
    ).fit(X, y, X_val=X_val, y_val=y_val)  # fmt: skip
    assert search.best_score_ == pytest.approx(scorer(search.best_estimator_, X_val, y_val))
    assert math.isnan(search.best_confirm_score_)
    # a distilled selection: refitted, and its score moves with the map
    from skdistill.frontier._search import _deploy, _Part

    selection = search.result_.select(0.5, cost="size", kind="distilled")
    part = _Part(X, y, None, teacher, X_val, y_val)  # the teacher labels the rows
    best, score, _ = _deploy(selection, [part], None, scorer)
    assert best is not selection.estimator and best.calibration_cv != "train"
    assert score == pytest.approx(scorer(best, X_val, y_val))
    assert score != pytest.approx(selection.row["val_score"], abs=1e-9)


def test_best_score_with_confirmation_rows(data):
    teacher, X, y, X_val, y_val = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        search = CompressionSearch(
            teacher, _students()[:2], param_grid=GRID, n_resamples=20, random_state=0
        ).fit(X, y, X_val=X_val, y_val=y_val)
    assert 0.5 < search.best_score_ <= 1 and 0.5 < search.best_confirm_score_ <= 1
    if search.selection_.row["kind"] == "hard":
        assert search.best_estimator_ is search.selection_.estimator
        assert search.best_score_ == search.selection_.row["val_score"]


# -- failed bootstraps ---------------------------------------------------------------


def _no_duplicates(estimator, X, y):
    """Accuracy, refusing rows seen twice: fails on every bootstrap resample."""
    X = np.asarray(X)
    if len(np.unique(X[:, 0])) < len(X):
        raise ValueError("duplicate rows")
    return float(np.mean(estimator.predict(X) == y))


def test_failed_bootstrap_is_recorded_warned_once_and_falls_back(data):
    teacher, X, y, X_val, y_val = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compression_frontier(
            teacher, X, y, X_val=X_val, y_val=y_val, students=_students(),
            scoring=_no_duplicates, param_grid=GRID, n_resamples=20, random_state=0,
            tolerance=0.1, cost="size",
        )  # fmt: skip
    messages = [str(w.message) for w in caught if "paired bootstrap" in str(w.message)]
    assert len(messages) == 1 and "duplicate rows" in messages[0]
    assert all("duplicate rows" in r["bootstrap_error"] for r in result.rows)
    assert result.bootstrap["teacher_error"].endswith("duplicate rows")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        sure = result.select(0.1, cost="size", confirm=False)
        plain = result.select(0.1, cost="size", confidence=None, confirm=False)
    assert sure.row == plain.row and sure.within_tolerance
    assert "duplicate rows" in sure.evidence


def test_a_candidate_without_bootstrap_falls_back_to_the_plain_rule():
    """Row 0 (cheapest) failed its bootstrap: its point estimate within tolerance
    keeps it, rather than a NaN bound that can never pass."""
    rng = np.random.default_rng(0)
    teacher = 0.96 + 0.01 * rng.standard_normal(100)
    rows = [_row("no bootstrap", size=100, val=0.955), _row("sure", size=900, val=0.97),
            _row("unsure", size=500, val=0.955)]  # fmt: skip
    rows[0]["bootstrap_error"] = "ValueError: boom"
    scores = np.vstack([np.full(100, np.nan), teacher + 0.01, teacher - 0.03])
    result = _result(rows, bootstrap={"n_resamples": 100, "teacher": teacher,
                                      "scores": scores})  # fmt: skip
    selection = result.select(0.01, cost="size")
    assert selection.row["capacity"] == "no bootstrap" and selection.within_tolerance
    assert "boom" in selection.evidence
    rows[0]["val_score"] = 0.90  # out of tolerance: the plain rule refuses it too
    selection = result.select(0.01, cost="size")
    assert selection.row["capacity"] == "sure"  # "unsure" fails its bound


def test_a_refused_candidate_does_not_move_the_tie_groups():
    """Over every row, the refused 9.6 µs student anchors a group that ends before
    10.9 µs; among the candidates kept, 10.0 and 10.9 µs are tied (10% band)."""
    rows = [
        _row("refused", latency=9.6e-6, size=10, val=0.5),
        _row("big", latency=10.0e-6, size=9000),
        _row("small", latency=10.9e-6, size=100),
    ]
    assert latency_tiers(rows) == [0, 0, 1]  # the table's cost_tier
    selection = _result(rows).select(0.01, confidence=None)
    assert selection.row["capacity"] == "small" and selection.tied == ["m big (hard)"]


@pytest.mark.parametrize("cost", ["latency", "size"])
def test_sizes_a_few_bytes_apart_are_the_same_model(cost):
    """A hard student and its distilled twin differ by bytes of parameters: the
    validation score decides, not the 8 bytes."""
    rows = [
        _row("10x2", kind="hard", size=12997, complexity=70, val=0.951),
        _row("10x2", kind="distilled", size=13005, complexity=70, val=0.958),
        _row("30x3", size=37000, complexity=400, val=0.99),
    ]
    selection = _result(rows).select(0.01, cost=cost, confidence=None)
    assert (selection.row["capacity"], selection.row["kind"]) == ("10x2", "distilled")


def test_best_score_with_cross_validation_is_of_fold_refits(data):
    """With cross-validation, the deployed (refitted) distilled student is scored by
    refitting it on each fold's training rows, not on rows it was fitted on."""
    from skdistill._seeding import RandomStreams
    from skdistill.frontier._search import _deploy, _Plan, _refit

    _, X, y, *_ = data
    search = CompressionSearch(
        RandomForestClassifier(n_estimators=10), _students()[1:2], param_grid=GRID,
        scoring="neg_log_loss", n_resamples=0, tolerance=0.5, random_state=0,
    ).fit(X, y)  # fmt: skip
    scorer = get_scorer("neg_log_loss")
    plan = _Plan(search, X, y, None, None, RandomStreams(0), scorer)
    folds, final = plan.parts(needs_teacher=False)
    selection = search.result_.select(0.5, kind="distilled", confirm=False)
    best, score, confirm = _deploy(selection, folds, final, scorer)
    expected = np.mean([scorer(_refit(selection.estimator, f), f.X_val, f.y_val)
                        for f in folds])  # fmt: skip
    assert score == pytest.approx(expected)
    assert score < scorer(best, X, y)  # in-sample would flatter it
    assert np.isfinite(confirm) and np.isfinite(search.best_score_)
