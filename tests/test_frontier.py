"""The compression frontier: sweep, honest validation, selection, display, CLI."""

import math
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistillationWarning, DistilledClassifier
from skdistill.frontier import (
    BiasedComparisonWarning,
    CompressionSearch,
    FrontierResult,
    compression_frontier,
)

GRID = {"temperature": [1.0, 3.0], "alpha": [1.0]}


def _students():
    return [
        ("depth 1", DecisionTreeClassifier(max_depth=1)),
        ("depth 3", DecisionTreeClassifier(max_depth=3)),
        ("depth 6", DecisionTreeClassifier(max_depth=6)),
    ]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=900, n_features=8, n_informative=5, weights=[0.8], random_state=0
    )
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=0.3, stratify=y_rest, random_state=0
    )
    return X_train, y_train, X_val, y_val, X_test, y_test


@pytest.fixture(scope="module")
def teacher(data):
    X_train, y_train, *_ = data
    return RandomForestClassifier(n_estimators=40, random_state=0).fit(X_train, y_train)


@pytest.fixture(scope="module")
def search(data, teacher):
    X_train, y_train, X_val, y_val, X_test, y_test = data
    return CompressionSearch(
        teacher, _students(), param_grid=GRID, cost="size", tolerance=0.05, random_state=0
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val, X_test=X_test, y_test=y_test)


def test_sweep_rows_and_costs(search, data):
    rows = search.result_.rows
    assert len(rows) == 6  # 3 students x (hard, distilled)
    assert {r["kind"] for r in rows} == {"hard", "distilled"}
    for row, model in zip(rows, search.result_.estimators, strict=True):
        assert isinstance(model, DistilledClassifier)
        assert (model.alpha == 0) == (row["kind"] == "hard")
        assert 0.5 < row["val_score"] <= 1 and 0.5 < row["test_score"] <= 1
        assert row["size_bytes"] > 0 and row["complexity"] > 0
        assert row["latency_s"] > 0 and row["latency_path"] in ("sklearn", "onnx")
        assert row["fit_time_s"] > 0 and row["error"] == ""
    depth = {r["capacity"]: r["complexity"] for r in rows if r["kind"] == "hard"}
    assert depth["depth 1"] < depth["depth 3"] < depth["depth 6"]
    teacher = search.result_.teacher
    assert teacher["size_bytes"] > max(r["size_bytes"] for r in rows)
    assert search.result_.validation.startswith(f"{len(data[3])} validation rows")
    assert not search.result_.biased and search.result_.complete


def test_select_is_cheapest_within_tolerance(search):
    result = search.result_
    selection = result.select(tolerance=0.05, cost="size", confidence=None)
    threshold = 0.95 * result.teacher["val_score"]
    assert selection.threshold == pytest.approx(threshold)
    within = [r for r in result.rows if r["val_score"] >= threshold]
    assert selection.row["size_bytes"] == min(r["size_bytes"] for r in within)
    assert selection.within_tolerance and selection.n_within == len(within)
    assert selection.estimator in result.estimators
    assert "validation rows (X_val)" in selection.evidence
    assert f"{selection.reference_score:.4f}" in selection.evidence
    # the fitted search predicts with its selection, refitted with the default map
    assert search.selection_.row == result.select(tolerance=0.05, cost="size").row
    assert search.predict_proba(search_rows(search)).shape[1] == 2


def search_rows(search):
    return np.zeros((3, search.n_features_in_))


@pytest.mark.parametrize("kind", ["hard", "distilled"])
def test_select_by_kind_and_best(search, kind):
    selection = search.result_.select(0.5, "best", kind=kind)
    assert selection.row["kind"] == kind
    best = max(r["val_score"] for r in search.result_.rows if r["kind"] == kind)
    assert selection.reference_score == best


def test_select_nothing_within_tolerance_warns(search):
    with pytest.warns(DistillationWarning, match="No candidate reaches"):
        selection = search.result_.select(0.0, relative_to=2.0, confidence=None)
    assert not selection.within_tolerance
    best = max(r["val_score"] for r in search.result_.rows)
    assert selection.row["val_score"] == best


def test_bootstrap_is_paired_and_reported(search):
    result = search.result_
    boot = result.bootstrap
    assert boot["scores"].shape == (len(result.rows), boot["n_resamples"])
    assert np.isfinite(boot["scores"]).all() and np.isfinite(boot["teacher"]).all()
    for row, scores in zip(result.rows, boot["scores"], strict=True):
        assert row["val_score_se"] == pytest.approx(np.std(scores))
        assert 0 < row["val_score_se"] < 0.1 and 0 <= row["p_within"] <= 1
        # pairing: the gap to the teacher varies less than the two scores apart
        gap = np.var(scores - boot["teacher"])
        assert gap < np.var(scores) + np.var(boot["teacher"])
    assert [r["p_within"] for r in result.rows] == result.within_probabilities(0.05)


@pytest.mark.parametrize("scoring", ["roc_auc", "accuracy"])
def test_bootstrap_replays_the_scorer(scoring):
    from sklearn.metrics import get_scorer

    from skdistill.frontier._bootstrap import _resamples, bootstrap_scores, outputs_of

    X, y = make_classification(n_samples=200, weights=[0.8], random_state=1)
    model = LogisticRegression().fit(X[:100], y[:100])
    scorer = get_scorer(scoring)
    got, error = bootstrap_scores(
        scorer, [outputs_of(model, X[100:])], model.classes_, [y[100:]], 30, 0
    )
    assert error == ""
    expected = [
        scorer(model, X[100:][i], y[100:][i]) for (i,) in _resamples([y[100:]], 30, 0)
    ]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_confidence_refuses_a_student_at_the_threshold(search):
    """On 190 validation rows, the plain rule keeps a student whose score sits at the
    threshold (a coin toss on new rows); the paired bootstrap does not."""
    result = search.result_
    teacher = result.teacher["val_score"]
    cheapest = min(result.rows, key=lambda r: r["size_bytes"])
    tolerance = (teacher - cheapest["val_score"]) / teacher + 1e-9
    plain = result.select(tolerance, cost="size", confidence=None)
    assert plain.row == cheapest and plain.p_within < 0.8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        sure = result.select(tolerance, cost="size", confidence=0.8)
    assert sure.row != cheapest and sure.p_within > plain.p_within
    assert sure.row["size_bytes"] >= plain.row["size_bytes"]
    if sure.within_tolerance:
        assert sure.gap_lower >= -tolerance and sure.row["val_score"] >= sure.threshold
    assert "paired bootstrap resamples" in sure.evidence
    assert f"{sure.row['val_score_se']:.4f}" in sure.evidence


def test_without_bootstrap_the_score_decides(data, teacher):
    X_train, y_train, X_val, y_val, *_ = data
    result = compression_frontier(
        teacher, X_train, y_train, X_val=X_val, y_val=y_val, students=_students()[:2],
        param_grid=GRID, cost="size", tolerance=0.5, n_resamples=0, random_state=0,
    )  # fmt: skip
    assert result.bootstrap == {}
    assert all(math.isnan(r["val_score_se"]) for r in result.rows)
    selection = result.select(0.5, cost="size")
    assert selection.row == result.select(0.5, cost="size", confidence=None).row
    assert "No bootstrap available" in selection.evidence


@pytest.mark.parametrize(
    "kwargs, match",
    [({"tolerance": 1.5}, "tolerance"), ({"cost": "watts"}, "cost"),
     ({"kind": "soft"}, "kind"), ({"relative_to": "median"}, "relative_to"),
     ({"confidence": 1.0}, "confidence")],
)  # fmt: skip
def test_select_errors(search, kwargs, match):
    with pytest.raises(ValueError, match=match):
        search.result_.select(**kwargs)


@pytest.mark.parametrize("kind", ["hard", "distilled", "any"])
def test_frontier_is_pareto(search, kind):
    frontier = search.result_.frontier(kind, cost="complexity")
    rows = frontier.to_dict("records") if hasattr(frontier, "to_dict") else frontier
    costs = [r["complexity"] for r in rows]
    scores = [r["val_score"] for r in rows]
    assert costs == sorted(costs) and scores == sorted(scores)
    assert len(set(scores)) == len(scores)  # each step buys a better score


def test_bias_measured_with_test_rows(search):
    bias = search.result_.bias
    rows = [r for r in search.result_.rows if r["kind"] == "hard"]
    expected = np.mean([r["val_score"] - r["test_score"] for r in rows])
    assert bias["optimism_hard"] == pytest.approx(expected)
    assert set(bias) >= {"optimism_distilled", "distillation_gain_val"}


def test_teacher_unchanged_and_kept(data):
    X_train, y_train, X_val, y_val, *_ = data
    teacher = LogisticRegression(max_iter=500).fit(X_train, y_train)
    before = joblib.hash(teacher)
    search = CompressionSearch(
        teacher, _students()[:1], param_grid=GRID, n_resamples=20, random_state=0
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert joblib.hash(teacher) == before
    assert search.teacher_ is teacher
    from sklearn.base import clone

    assert clone(search).teacher is teacher


def test_biased_comparison_warns(data, teacher):
    X_train, y_train, *_ = data
    with pytest.warns(BiasedComparisonWarning, match="X_val and y_val"):
        result = compression_frontier(
            teacher, X_train, y_train, students=_students()[:2], param_grid=GRID,
            n_resamples=20,
            random_state=0,
        )  # fmt: skip
    assert result.biased and "BIASED" in result.validation
    # a random forest scores its own training rows nearly perfectly
    assert result.teacher["val_score"] > 0.99


@pytest.mark.parametrize("how", ["x_val", "mask", "unfitted"])
def test_honest_paths_do_not_warn(data, teacher, how):
    X_train, y_train, X_val, y_val, *_ = data
    kwargs = {}
    model = teacher
    X, y = X_train, y_train
    if how == "x_val":
        kwargs = {"X_val": X_val, "y_val": y_val}
    elif how == "mask":  # the teacher saw X_train, not X_val
        X, y = np.vstack([X_train, X_val]), np.r_[y_train, y_val]
        kwargs = {"teacher_train_mask": np.r_[np.ones(len(y_train), bool),
                                              np.zeros(len(y_val), bool)]}  # fmt: skip
    else:
        model = RandomForestClassifier(n_estimators=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BiasedComparisonWarning)
        result = compression_frontier(
            model, X, y, students=_students()[:2], param_grid=GRID, n_resamples=20,
            random_state=0,
            **kwargs,
        )  # fmt: skip
    assert not result.biased
    expected = {"x_val": "validation rows", "mask": "not seen", "unfitted": "cross-fitted"}
    assert expected[how] in result.validation
    assert result.teacher["val_score"] < 0.99  # scored on rows it has not seen


def test_max_time_stops_cleanly(data, teacher):
    X_train, y_train, X_val, y_val, *_ = data
    search = CompressionSearch(
        teacher, _students(), param_grid=GRID, max_time=1e-9, n_resamples=20, random_state=0
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    result = search.result_
    assert not result.complete
    assert len(result.rows) == 2  # the first candidate always runs
    assert "max_time" in result.message and "2 skipped" in result.message
    assert search.predict(X_val).shape == y_val.shape


def test_table_without_pandas(search, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    table = search.result_.table
    assert isinstance(table, list) and isinstance(table[0], dict)
    assert isinstance(search.result_.frontier("distilled"), list)


def test_table_with_pandas(search):
    pd = pytest.importorskip("pandas")
    table = search.result_.table
    assert isinstance(table, pd.DataFrame) and len(table) == 6
    assert {"val_score", "test_score", "latency_s", "size_bytes"} <= set(table.columns)


def test_failed_candidate_is_reported(data, teacher):
    X_train, y_train, X_val, y_val, *_ = data
    students = [("ok", DecisionTreeClassifier(max_depth=2)),
                ("bad", DecisionTreeClassifier(max_depth=-3))]  # fmt: skip
    result = compression_frontier(
        teacher, X_train, y_train, students=students, X_val=X_val, y_val=y_val,
        param_grid=GRID, n_resamples=20, random_state=0,
    )  # fmt: skip
    errors = [r["error"] for r in result.rows if r["capacity"] == "bad"]
    assert errors and all("max_depth" in e for e in errors)
    assert "1 failed" in result.message
    assert result.select(0.5).row["capacity"] == "ok"


@pytest.mark.parametrize(
    "students, error, match",
    [("some", ValueError, "'auto'"), ([], ValueError, "empty"),
     ([DecisionTreeClassifier(), DecisionTreeClassifier()], ValueError, "several"),
     ([object()], TypeError, "not an unfitted")],
)  # fmt: skip
def test_bad_students(data, teacher, students, error, match):
    X_train, y_train, *_ = data
    with pytest.raises(error, match=match):
        CompressionSearch(teacher, students).fit(X_train, y_train)


def test_recall_at_fpr_scoring(data, teacher):
    X_train, y_train, X_val, y_val, *_ = data
    result = compression_frontier(
        teacher, X_train, y_train, students=_students()[1:2], X_val=X_val, y_val=y_val,
        scoring="recall_at_fpr", param_grid=GRID, n_resamples=20, random_state=0,
    )  # fmt: skip
    assert result.scorer == "recall at 1% FPR"
    assert all(0 <= r["val_score"] <= 1 for r in result.rows)


def test_auto_candidates_cover_families():
    from skdistill.frontier._candidates import auto_candidates

    families = {c.family for c in auto_candidates()}
    assert {"logreg", "tree", "mlp"} <= families  # the MLP is scikit-learn's: no torch
    for module in ("lightgbm", "xgboost"):
        try:
            __import__(module)
        except ImportError:
            continue
        assert module in families


def test_auto_mlp_without_torch(monkeypatch):
    from skdistill.frontier._candidates import auto_candidates

    monkeypatch.setitem(sys.modules, "torch", None)
    (mlp,) = [c for c in auto_candidates() if c.family == "mlp"]
    assert type(mlp.student[-1]).__name__ == "MLPClassifier"


def test_skorch_net_passed_in_students():
    from _nets import skorch_net

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    X = X.astype(np.float32)
    teacher = LogisticRegression().fit(X[:200], y[:200])
    result = compression_frontier(
        teacher, X[:200], y[:200], X_val=X[200:], y_val=y[200:],
        students=[("net8", skorch_net(5, 2))],
        param_grid={"temperature": [2.0], "alpha": [1.0]}, n_resamples=20, random_state=0,
    )  # fmt: skip
    assert [r["family"] for r in result.rows] == ["NeuralNetClassifier"] * 2
    assert all(not r["error"] and r["val_score"] > 0.8 for r in result.rows)
    assert result.select(0.1).estimator.predict(X[200:]).shape == (100,)


def test_n_jobs_gives_the_same_rows(data, teacher):
    X_train, y_train, X_val, y_val, *_ = data
    results = [
        compression_frontier(
            teacher,
            X_train,
            y_train,
            students=_students()[:2],
            X_val=X_val,
            y_val=y_val,
            param_grid=GRID,
            n_jobs=n_jobs,
            n_resamples=20,
            random_state=0,
        )  # fmt: skip
        for n_jobs in (1, 2)
    ]
    scores = [[r["val_score"] for r in result.rows] for result in results]
    assert scores[0] == scores[1]


def test_display(search):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skdistill.report import CompressionFrontierDisplay

    display = CompressionFrontierDisplay.from_estimator(search)
    try:
        assert display.ax_.get_xscale() == "log"
        assert set(display.lines_) == {
            ("DecisionTreeClassifier", kind) for kind in ("hard", "distilled")
        }
        assert display.lines_["DecisionTreeClassifier", "hard"].get_linestyle() == "--"
        teacher = search.result_.teacher
        assert display.teacher_line_.get_ydata()[0] == pytest.approx(teacher["val_score"])
        assert display.teacher_marker_.get_xdata()[0] == teacher["size_bytes"]
        selected = search.selection_.row
        assert display.selected_marker_.get_xdata()[0] == selected["size_bytes"]
        assert display.selected_marker_.get_ydata()[0] == selected["val_score"]
        assert display.band_ is not None
        assert "size" in display.ax_.get_xlabel()
        other = CompressionFrontierDisplay.from_result(
            search.result_, tolerance=None, cost="complexity"
        )
        assert other.band_ is None and other.selected_marker_ is None
        assert "complexity" in other.ax_.get_xlabel()
    finally:
        plt.close("all")


def test_display_not_fitted():
    pytest.importorskip("matplotlib")
    from sklearn.exceptions import NotFittedError

    from skdistill.report import CompressionFrontierDisplay

    with pytest.raises(NotFittedError, match="call fit first"):
        CompressionFrontierDisplay.from_estimator(CompressionSearch(LogisticRegression()))


def test_result_repr(search):
    assert isinstance(search.result_, FrontierResult)
    assert "6 rows" in repr(search.result_)
    assert math.isfinite(search.result_.seconds)


def test_cli_student_auto(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("skops")
    pytest.importorskip("matplotlib")
    from skdistill.cli import main
    from skdistill.export import load, save

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    columns = [f"f{i}" for i in range(5)]
    frame = pd.DataFrame(X, columns=columns).assign(label=y)
    frame.to_csv(tmp_path / "data.csv", index=False)
    teacher = RandomForestClassifier(n_estimators=20, random_state=0)
    save(teacher.fit(frame[columns], y), tmp_path / "teacher.skops")
    out = tmp_path / "student.skops"
    argv = ["distill", "--teacher", str(tmp_path / "teacher.skops"),
            "--data", str(tmp_path / "data.csv"), "--target", "label",
            "--student", "auto", "--tolerance", "0.05", "--metric", "roc_auc",
            "--out", str(out), "--quiet"]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv) == 0
    model = load(out)
    assert model.predict(frame[columns].to_numpy()[:4]).shape == (4,)
    table = pd.read_csv(tmp_path / "student_frontier.csv")
    assert {"family", "kind", "val_score", "latency_s"} <= set(table.columns)
    assert len(table) >= 10
    assert (tmp_path / "student_frontier.png").stat().st_size > 1000
