"""Metrics, model cost and distillation_report with its verdicts."""

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, label_binarize
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill.report import (
    DistillationReport,
    Verdict,
    distillation_report,
    expected_calibration_error,
    fidelity_score,
    format_markdown,
    model_complexity,
    model_size,
    prediction_speed,
    probability_fidelity,
    recall_at_fpr,
)
from skdistill.report._metrics import calibration_bins

# -- metrics ------------------------------------------------------------------------


def _brute_force_recall(y, score, budget):
    """Highest recall over thresholds ``score >= t`` whose FPR stays within budget."""
    best = 0.0
    for t in np.unique(score):
        flagged = score >= t
        fpr = flagged[y == 0].mean()
        if fpr <= budget:
            best = max(best, flagged[y == 1].mean())
    return best


@pytest.mark.parametrize("budget", [0.0, 0.01, 0.05, 0.3, 1.0])
def test_recall_at_fpr_is_the_best_threshold_within_budget(budget):
    rng = np.random.RandomState(0)
    y = rng.randint(2, size=400)
    score = np.round(rng.normal(size=400) + y, 1)  # rounded: many ties
    assert recall_at_fpr(y, score, fpr=budget) == pytest.approx(
        _brute_force_recall(y, score, budget)
    )


def test_recall_at_fpr_never_splits_ties_and_takes_pos_label():
    y = np.array(["ok", "ok", "fraud", "fraud"])
    score = np.array([0.5, 0.1, 0.5, 0.9])
    assert recall_at_fpr(y, score, fpr=0.0, pos_label="fraud") == 0.5
    assert recall_at_fpr(y, score, fpr=0.5, pos_label="fraud") == 1.0
    with pytest.raises(ValueError, match="pos_label"):
        recall_at_fpr(y, score)


@pytest.mark.parametrize("fpr", [-0.1, 1.5, "1%"])
def test_recall_at_fpr_rejects_bad_budgets(fpr):
    with pytest.raises(ValueError, match="fpr must be a rate"):
        recall_at_fpr([0, 1], [0.2, 0.8], fpr=fpr)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_calibration_bins_are_sklearns_and_ece_weights_them(strategy):
    rng = np.random.RandomState(0)
    prob = rng.uniform(size=500)
    y = (rng.uniform(size=500) < prob**2).astype(int)
    frequency, mean_prob, weight = calibration_bins(y, prob, n_bins=8, strategy=strategy)
    expected_freq, expected_prob = calibration_curve(y, prob, n_bins=8, strategy=strategy)
    np.testing.assert_allclose(frequency, expected_freq)
    np.testing.assert_allclose(mean_prob, expected_prob)
    assert weight.sum() == pytest.approx(1.0)
    ece = expected_calibration_error(y, prob, n_bins=8, strategy=strategy)
    assert ece == pytest.approx(np.sum(weight * np.abs(frequency - mean_prob)))


def test_ece_is_small_when_calibrated_and_large_when_overconfident():
    rng = np.random.RandomState(0)
    prob = rng.uniform(size=20000)
    y = (rng.uniform(size=20000) < prob).astype(int)
    assert expected_calibration_error(y, prob) < 0.02
    overconfident = np.where(prob > 0.5, 0.99, 0.01)
    assert expected_calibration_error(y, overconfident) > 0.2


def test_ece_binary_forms_agree_and_multiclass_is_top_label():
    y = np.array([0, 1, 1, 0, 1])
    p1 = np.array([0.1, 0.8, 0.6, 0.3, 0.9])
    assert expected_calibration_error(y, p1) == pytest.approx(
        expected_calibration_error(y, np.column_stack([1 - p1, p1]))
    )
    y = np.array([0, 1, 2, 1])
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.6, 0.2, 0.2]])
    # confidences 0.8 (right), 0.8 (right), 0.6 (right), 0.6 (wrong), 5 bins:
    # |1 - 0.8| * 0.5 + |0.5 - 0.6| * 0.5
    assert expected_calibration_error(y, proba, n_bins=5) == pytest.approx(0.15)
    # one-vs-rest for class 2: probabilities 0.1, 0.1, 0.6, 0.2
    assert expected_calibration_error(y, proba, n_bins=5, pos_label=2) == pytest.approx(
        expected_calibration_error(y == 2, proba[:, 2], n_bins=5)
    )


def test_ece_errors():
    with pytest.raises(ValueError, match="pos_label"):
        expected_calibration_error(["a", "b"], [0.2, 0.7])
    with pytest.raises(ValueError, match="labels="):
        expected_calibration_error([0, 1, 1], np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        expected_calibration_error([0, 1], [0.2, 1.7])
    with pytest.raises(ValueError, match="strategy"):
        expected_calibration_error([0, 1], [0.2, 0.7], strategy="equal")


def test_fidelity_score_and_weights():
    assert fidelity_score(np.array(["a", "b"]), np.array(["a", "a"])) == 0.5
    assert fidelity_score([0, 1, 1], [0, 1, 0], sample_weight=[1, 1, 2]) == 0.5


def test_probability_fidelity():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert probability_fidelity(p, p) == (0.0, 0.0)
    q = np.array([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    mad, kl = probability_fidelity(p, q)
    assert mad == pytest.approx((0.1 + 0.1) / 3 / 2)
    assert kl == pytest.approx((0.7 * np.log(0.7 / 0.6) + 0.2 * np.log(0.2 / 0.3)) / 2)
    # binary: 1-d positive-class probabilities equal the two-column form
    one_d = probability_fidelity([0.9, 0.2], [0.6, 0.3])
    two_d = probability_fidelity([[0.1, 0.9], [0.8, 0.2]], [[0.4, 0.6], [0.7, 0.3]])
    assert one_d == pytest.approx(two_d)
    assert one_d.mad == pytest.approx(0.2)
    # a teacher zero where the student is not costs nothing; the reverse is large
    assert probability_fidelity([[1.0, 0.0]], [[0.5, 0.5]]).kl == pytest.approx(np.log(2))
    assert probability_fidelity([[0.5, 0.5]], [[1.0, 0.0]]).kl > 15
    with pytest.raises(ValueError, match="must match"):
        probability_fidelity(p, q[:, :2])


# -- size, complexity, speed ----------------------------------------------------------


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=5, weights=[0.8], random_state=0
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def forest(binary):
    X_train, _, y_train, _ = binary
    return RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)


def test_size_and_complexity_measure_the_student(binary, forest):
    X_train, _, y_train, _ = binary
    model = DistilledClassifier(forest, DecisionTreeClassifier(max_depth=3), random_state=0)
    model.fit(X_train, y_train)
    assert model_size(model) == model_size(model.student_)
    assert model_complexity(model) == (model.student_.tree_.node_count, "nodes")
    assert model_complexity(forest).count == sum(t.tree_.node_count for t in forest)
    # in a pipeline, the distiller step is replaced by its student
    pipe = make_pipeline(StandardScaler(), model)
    assert model_size(pipe) < len(pickle.dumps(pipe)) / 5
    assert model_complexity(pipe) == model_complexity(model)
    # a fitted search is measured through its best estimator
    search = GridSearchCV(model, {"alpha": [0.5, 1.0]}, cv=2).fit(X_train, y_train)
    assert model_size(search) == model_size(search.best_estimator_.student_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_complexity_of_sklearn_models(binary):
    X, _, y, _ = binary
    iris_X, iris_y = load_iris(return_X_y=True)
    linear = LogisticRegression(max_iter=500)
    assert model_complexity(linear.fit(X, y)) == (9, "coefficients")
    assert model_complexity(linear.fit(iris_X, iris_y)) == (15, "coefficients")
    mlp = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, y)
    assert model_complexity(mlp) == (8 * 5 + 5 + 5 * 1 + 1, "parameters")
    gb = GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0).fit(X, y)
    assert model_complexity(gb).count == sum(
        t.tree_.node_count for t in gb.estimators_[:, 0]
    )
    hgb = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=4).fit(X, y)
    assert model_complexity(hgb) == (5 * 7, "nodes")  # 4 leaves + 3 splits per tree
    voting = VotingClassifier(
        [("tree", DecisionTreeClassifier(max_depth=1)), ("lr", LogisticRegression())],
        voting="soft",
    ).fit(X, y)
    assert model_complexity(voting) == (3 + 9, "coefficients+nodes")
    with pytest.raises(TypeError, match="Cannot count .* KNeighborsClassifier"):
        model_complexity(KNeighborsClassifier().fit(X, y))


def test_complexity_of_lightgbm_and_xgboost(binary):
    lightgbm = pytest.importorskip("lightgbm")
    xgboost = pytest.importorskip("xgboost")
    pytest.importorskip("pandas")
    X, _, y, _ = binary
    lgbm = lightgbm.LGBMClassifier(n_estimators=5, num_leaves=6, verbose=-1).fit(X, y)
    assert model_complexity(lgbm) == (len(lgbm.booster_.trees_to_dataframe()), "nodes")
    xgb = xgboost.XGBClassifier(n_estimators=5, max_depth=3).fit(X, y)
    assert model_complexity(xgb) == (len(xgb.get_booster().trees_to_dataframe()), "nodes")


def test_complexity_of_torch_and_skorch(binary):
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    X, _, y, _ = binary
    module = torch.nn.Sequential(
        torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    )
    assert model_complexity(module) == (8 * 4 + 4 + 4 * 2 + 2, "parameters")
    net = skorch.NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=8,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=1,
        train_split=None,
        verbose=0,
    ).fit(X.astype(np.float32), y)
    assert model_complexity(net) == (8 * 2 + 2, "parameters")


def test_prediction_speed_times_every_model(binary, forest):
    X_train, X_test, y_train, _ = binary
    model = DistilledClassifier(forest, random_state=0).fit(X_train, y_train)
    speeds = prediction_speed({"forest": forest, "student": model}, X_test, n_calls=5)
    assert list(speeds) == ["forest", "student"]
    for speed in speeds.values():
        assert speed.latency > 0 and speed.throughput > 0
    # a forest of 20 trees is slower per row than its depth-6 student
    assert speeds["student"].latency < speeds["forest"].latency
    wrapped = prediction_speed({"wrapper": model}, X_test, n_calls=5, deployed=False)
    assert wrapped["wrapper"].latency > 0
    with pytest.raises(ValueError, match="n_calls must be a positive integer"):
        prediction_speed({"forest": forest}, X_test, n_calls=0)


# -- distillation_report ----------------------------------------------------------------

BINARY_COLUMNS = [
    "model",
    "accuracy",
    "roc_auc",
    "pr_auc",
    "recall_at_0.1%_fpr",
    "recall_at_1%_fpr",
    "log_loss",
    "brier",
    "ece",
    "fidelity",
    "prob_mad",
    "kl_to_teacher",
    "size_bytes",
    "complexity",
    "complexity_unit",
    "latency_ms",
    "rows_per_s",
    "fastest_path",
    "fastest_latency_ms",
    "serving",
    "size_ratio",
    "speedup_sklearn",
    "speedup_fastest",
]


@pytest.fixture(scope="module")
def binary_report(binary, forest):
    X_train, X_test, y_train, y_test = binary
    student = DistilledClassifier(forest, temperature=2.0, random_state=0)
    student.fit(X_train, y_train)
    hard = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X_train, y_train)
    report = distillation_report(
        forest, {"distilled": student, "hard": hard}, X_test, y_test, latency_calls=5
    )
    return report, student


def test_report_rows_and_columns(binary, binary_report):
    _, X_test, _, y_test = binary
    report, student = binary_report
    assert isinstance(report, DistillationReport) and isinstance(report, list)
    assert [row["model"] for row in report] == ["teacher", "distilled", "hard"]
    assert list(report[0]) == BINARY_COLUMNS
    teacher, distilled, _ = report
    assert teacher["fidelity"] == 1.0 and teacher["prob_mad"] == 0.0
    assert teacher["kl_to_teacher"] == 0.0
    assert teacher["size_ratio"] == 1.0 and teacher["speedup_sklearn"] == 1.0
    assert teacher["speedup_fastest"] == 1.0
    proba = student.predict_proba(X_test)[:, 1]
    assert distilled["roc_auc"] == pytest.approx(roc_auc_score(y_test, proba))
    assert distilled["pr_auc"] == pytest.approx(average_precision_score(y_test, proba))
    assert distilled["recall_at_1%_fpr"] == recall_at_fpr(y_test, proba, fpr=0.01)
    assert distilled["size_bytes"] == model_size(student.student_)
    assert distilled["complexity_unit"] == "nodes" and distilled["size_ratio"] > 5
    assert report.verdicts == []


def test_report_serialises_and_formats(binary_report):
    report, _ = binary_report
    saved = json.loads(json.dumps(report, default=float))
    assert [row["model"] for row in saved] == ["teacher", "distilled", "hard"]
    markdown = report.to_markdown()
    assert markdown == str(report) and markdown.startswith(format_markdown(report))
    assert "like for like" in markdown and "- **teacher**: sklearn " in markdown
    header = markdown.splitlines()[0]
    assert "complexity_unit" not in header and "| size_ratio | speedup_sklearn |" in header
    assert "| speedup_sklearn | speedup_fastest |" in header and "serving" not in header
    assert " nodes |" in markdown.splitlines()[3] and "| 1.0x | 1.0x | 1.0x |" in markdown
    assert "DistillationReport(['teacher', 'distilled', 'hard'], 0 verdicts)" == repr(
        report
    )


def test_report_table_is_a_dataframe_or_the_rows(binary_report, monkeypatch):
    pd = pytest.importorskip("pandas")
    report, _ = binary_report
    table = report.table
    assert isinstance(table, pd.DataFrame)
    assert table.index.tolist() == ["teacher", "distilled", "hard"]
    assert table.loc["teacher", "fidelity"] == 1.0
    assert format_markdown(table) == format_markdown(report)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    assert report.table == list(report)
    assert report.verdict_table == []


def test_report_multiclass():
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    teacher = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    student = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=2), random_state=0
    )
    student.fit(X_train, y_train)
    report = distillation_report(teacher, [student], X_test, y_test, latency_calls=3)
    row = report[1]
    assert row["model"] == "DistilledClassifier"
    assert not any(column.startswith("recall_at") for column in row)
    proba = student.predict_proba(X_test)
    assert row["roc_auc"] == pytest.approx(roc_auc_score(y_test, proba, multi_class="ovr"))
    assert row["pr_auc"] == pytest.approx(
        average_precision_score(label_binarize(y_test, classes=[0, 1, 2]), proba)
    )
    assert row["ece"] == pytest.approx(expected_calibration_error(y_test, proba))


def test_report_without_predict_proba(binary, forest):
    from sklearn.svm import LinearSVC

    X_train, X_test, y_train, y_test = binary
    svm = LinearSVC().fit(X_train, y_train)
    report = distillation_report(forest, {"svm": svm}, X_test, y_test, latency_calls=3)
    row = report[1]
    assert row["roc_auc"] == pytest.approx(
        roc_auc_score(y_test, svm.decision_function(X_test))
    )
    assert np.isnan(row["log_loss"]) and np.isnan(row["kl_to_teacher"])
    assert "| n/a |" in report.to_markdown()


def test_report_on_dataframe_pipelines():
    """The report keeps DataFrames whole, so column-based pipelines work."""
    pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    columns = list(X.columns[:5])
    teacher = make_pipeline(
        make_column_transformer((StandardScaler(), columns)), LogisticRegression()
    ).fit(X, y)
    student = DistilledClassifier(teacher, random_state=0).fit(X, y)
    rows = distillation_report(teacher, {"student": student}, X, y, latency_calls=3)
    assert rows[1]["fidelity"] > 0.8
    assert "| student |" in format_markdown(rows)


def test_report_errors(binary, forest):
    X_train, X_test, y_train, y_test = binary
    tree = DecisionTreeClassifier(max_depth=2).fit(X_train, y_train)
    with pytest.raises(ValueError, match="'teacher' names the teacher"):
        distillation_report(forest, {"teacher": tree}, X_test, y_test)
    other = DecisionTreeClassifier().fit(X_train, np.where(y_train == 1, 2, 0))
    with pytest.raises(ValueError, match=r"classes of 'other' \(\[0, 2\]\) differ"):
        distillation_report(forest, {"other": other}, X_test, y_test, latency_calls=2)
    with pytest.raises(ValueError, match="both X_train and y_train"):
        distillation_report(forest, tree, X_test, y_test, X_train=X_train, latency_calls=2)
    with pytest.raises(ValueError, match="Unknown verdict_metrics"):
        distillation_report(
            forest,
            tree,
            X_test,
            y_test,
            X_train=X_train,
            y_train=y_train,
            verdict_metrics=["auc"],
            latency_calls=2,
        )
    with pytest.raises(ValueError, match="at least one model"):
        distillation_report(forest, {}, X_test, y_test)


# -- verdicts -------------------------------------------------------------------------


def _verdict(distilled, hard, se, greater_is_better=True):
    return Verdict("s", "m", tuple(distilled), tuple(hard), se, greater_is_better)


def test_verdict_outcome_rule():
    better = _verdict([0.9, 0.92], [0.8, 0.81], se=0.01)
    assert better.gain_mean == pytest.approx(0.105) and better.outcome == "better"
    assert better.paid_off
    assert _verdict([0.9, 0.92], [0.8, 0.81], se=0.06).outcome == "no clear difference"
    assert _verdict([0.3, 0.3], [0.2, 0.2], se=0.01, greater_is_better=False).outcome == (
        "worse"
    )
    single = _verdict([0.9], [0.8], se=0.0)
    assert np.isnan(single.gain_sd) and single.outcome == "better"
    assert "0.9000 distilled vs 0.8000" in str(single)  # no ± without a spread
    row = better.as_dict()
    assert row["outcome"] == "better" and row["n_seeds"] == 2


def test_issue11_item3_summary_does_not_hide_worse_calibration():
    """A student whose ranking improved but whose log-loss or ECE got worse is
    'mixed', and the sentence says its probabilities are worse calibrated."""
    from skdistill.report._verdict import summarize

    auc = Verdict("s", "roc_auc", (0.9, 0.91), (0.8, 0.81), 0.01)
    ece = Verdict("s", "ece", (0.12, 0.13), (0.05, 0.05), 0.01, greater_is_better=False)
    text = summarize([auc, ece])
    assert text.startswith("mixed: better on roc_auc")
    assert "probabilities are worse calibrated: ece +0.0750" in text
    assert "paid off" not in text
    unclear = Verdict("s", "log_loss", (0.30, 0.31), (0.29, 0.30), 0.02, False)
    text = summarize([auc, unclear])
    assert (
        text.startswith("paid off on roc_auc") and "no clear difference on log_loss" in text
    )


@pytest.fixture(scope="module")
def noisy_labels():
    """A teacher fitted on clean labels; students on rows with 35% flipped labels."""
    X, y = make_classification(
        n_samples=2400, n_features=6, n_informative=4, n_redundant=0, random_state=1
    )
    X_teacher, X_rest, y_teacher, y_rest = train_test_split(
        X, y, test_size=0.6, random_state=1
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=1
    )
    flip = np.random.RandomState(1).uniform(size=len(y_train)) < 0.35
    y_noisy = np.where(flip, 1 - y_train, y_train)
    teacher = HistGradientBoostingClassifier(max_iter=60, random_state=0)
    return teacher.fit(X_teacher, y_teacher), X_train, y_noisy, X_test, y_test


def test_verdict_says_when_distillation_pays_off(noisy_labels):
    teacher, X_train, y_noisy, X_test, y_test = noisy_labels
    student = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=5), temperature=2.0, alpha=1.0
    ).fit(X_train, y_noisy)
    plain = DecisionTreeClassifier(max_depth=5).fit(X_train, y_noisy)
    report = distillation_report(
        teacher,
        {"distilled": student, "plain": plain},
        X_test,
        y_test,
        X_train=X_train,
        y_train=y_noisy,
        n_seeds=2,
        n_bootstrap=30,
        latency_calls=3,
    )
    assert [(v.student, v.metric) for v in report.verdicts] == [
        ("distilled", "roc_auc"),
        ("distilled", "pr_auc"),
        ("distilled", "log_loss"),
        ("distilled", "ece"),
    ]
    roc = report.verdicts[0]
    assert roc.n_seeds == 2 and roc.paid_off and roc.gain_mean > 0.05
    assert roc.baseline == "hard labels (alpha=0)"
    assert report[1]["verdict"].startswith("paid off on roc_auc +")
    assert report[0]["verdict"] is None and report[2]["verdict"] is None
    text = report.to_markdown()
    assert "| distilled | roc_auc |" in text and "- **distilled**: paid off" in text


def test_verdict_says_when_it_does_not(noisy_labels):
    _, X_train, y_noisy, X_test, y_test = noisy_labels
    # a teacher that learnt shuffled labels knows nothing: copying it hurts
    rng = np.random.RandomState(0)
    bad = LogisticRegression().fit(X_train, rng.permutation(y_noisy))
    student = DistilledClassifier(
        bad, DecisionTreeClassifier(max_depth=5), temperature=2.0, alpha=1.0
    ).fit(X_train, y_noisy)
    report = distillation_report(
        bad,
        {"copy": student},
        X_test,
        y_test,
        X_train=X_train,
        y_train=y_noisy,
        n_seeds=2,
        n_bootstrap=30,
        verdict_metrics=["roc_auc"],
        latency_calls=3,
    )
    (verdict,) = report.verdicts
    assert verdict.outcome == "worse" and verdict.gain_mean < -0.1
    assert report[1]["verdict"].startswith("did not pay off: hard labels better on roc_auc")


def test_verdict_refits_the_twin_with_alpha_zero_and_the_same_seeds(noisy_labels):
    teacher, X_train, y_noisy, X_test, y_test = noisy_labels
    # a random-feature tree varies with its seed; a search and a pipeline are looked into
    student = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=4, max_features=2), random_state=0
    )
    search = GridSearchCV(make_pipeline(StandardScaler(), student), {}, cv=2)
    search.fit(X_train, y_noisy)
    report = distillation_report(
        teacher,
        {"searched": search},
        X_test,
        y_test,
        X_train=X_train,
        y_train=y_noisy,
        n_seeds=2,
        n_bootstrap=0,
        verdict_metrics=["accuracy"],
        latency_calls=3,
        random_state=7,
    )
    (verdict,) = report.verdicts
    seeds = np.random.RandomState(7).randint(np.iinfo(np.int32).max, size=2)
    expected = []
    for seed in seeds:
        twin = make_pipeline(
            StandardScaler(),
            DistilledClassifier(
                teacher,
                DecisionTreeClassifier(max_depth=4, max_features=2, random_state=seed),
                alpha=0.0,
                random_state=seed,
            ),
        ).fit(X_train, y_noisy)
        expected.append(np.mean(twin.predict(X_test) == y_test))
    assert verdict.hard == pytest.approx(tuple(expected))
    assert len(set(verdict.distilled)) == 2  # the seeds matter


def test_verdict_twin_of_a_lightgbm_student_stops_early(noisy_labels):
    lightgbm = pytest.importorskip("lightgbm")
    from skdistill.report._models import distiller_prefix
    from skdistill.report._verdict import _hard_label_twin
    from skdistill.strategies import LightGBMStrategy

    teacher, X_train, y_noisy, *_ = noisy_labels
    student = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1)
    model = DistilledClassifier(teacher, student, random_state=0).fit(X_train, y_noisy)
    twin, baseline = _hard_label_twin(model, distiller_prefix(model), 20)
    assert twin.alpha == 0.0 and twin.strategy.early_stopping_rounds == 20
    assert "early stopping after 20 rounds on a 10% validation split" in baseline
    own = DistilledClassifier(
        teacher, student, strategy=LightGBMStrategy(early_stopping_rounds=3)
    ).fit(X_train, y_noisy)
    twin, baseline = _hard_label_twin(own, "", 20)
    assert twin.strategy.early_stopping_rounds == 3 and "after 3 rounds" in baseline
    twin, baseline = _hard_label_twin(model, "", None)
    assert twin.strategy.early_stopping_rounds is None
    assert baseline == "hard labels (alpha=0)"


def test_import_report_loads_no_matplotlib():
    code = "import sys, skdistill.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_format_markdown_marks_missing_values():
    rows = [{"model": "m", "accuracy": 0.5, "pr_auc": float("nan"), "complexity": None}]
    table = format_markdown(rows)
    assert table.splitlines()[0] == "| model | accuracy | pr_auc | complexity |"
    assert table.splitlines()[2] == "| m | 0.5000 | n/a | n/a |"


def test_report_pickles_with_its_verdicts():
    verdict = Verdict("s", "roc_auc", (0.9, 0.91), (0.8, 0.82), 0.01)
    report = DistillationReport([{"model": "teacher"}, {"model": "s"}], [verdict])
    again = pickle.loads(pickle.dumps(report))
    assert again == report and again.verdicts == [verdict]
    assert "| s | roc_auc | 0.9050 ± 0.0071 | 0.8100 ± 0.0141 |" in again.to_markdown()
