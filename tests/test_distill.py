"""DistilledClassifier/DistilledRegressor over a matrix of teachers and students."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistillationWarning, DistilledClassifier, DistilledRegressor

TEACHERS = {
    "hgb": lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0),
    "forest": lambda: RandomForestClassifier(n_estimators=30, random_state=0),
    "stacking": lambda: StackingClassifier(
        [
            ("forest", RandomForestClassifier(n_estimators=10, random_state=0)),
            ("logistic", make_pipeline(StandardScaler(), LogisticRegression())),
        ]
    ),
    "mlp": lambda: make_pipeline(
        StandardScaler(), MLPClassifier((16,), max_iter=300, random_state=0)
    ),
    "logistic": lambda: LogisticRegression(max_iter=5000),
}
STUDENTS = {
    "tree": lambda: DecisionTreeClassifier(max_depth=4),
    "scaled_logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "hgb_regress": lambda: HistGradientBoostingRegressor(max_iter=10),
}
# Agreement floors with the teacher on held-out rows (binary, multiclass).
FIDELITY_FLOOR = {"binary": 0.85, "multiclass": 0.8}


@pytest.fixture(scope="module", params=["binary", "multiclass"])
def split(request, cancer, iris):
    X, y = cancer if request.param == "binary" else iris
    return request.param, train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def fitted_teachers():
    return {}


def _teacher(name, split, cache):
    kind, (X_train, _, y_train, _) = split
    if (name, kind) not in cache:
        cache[name, kind] = TEACHERS[name]().fit(X_train, y_train)
    return cache[name, kind]


@pytest.mark.parametrize("student_name", STUDENTS)
@pytest.mark.parametrize("teacher_name", TEACHERS)
@pytest.mark.filterwarnings("ignore::skdistill.DistillationWarning")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_teacher_student_matrix(teacher_name, student_name, split, fitted_teachers):
    kind, (X_train, X_test, y_train, y_test) = split
    teacher = _teacher(teacher_name, split, fitted_teachers)
    model = DistilledClassifier(
        teacher, STUDENTS[student_name](), temperature=2.0, alpha=0.7, random_state=0
    ).fit(X_train, y_train)

    assert model.teacher_ is teacher
    np.testing.assert_array_equal(model.classes_, teacher.classes_)
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), len(teacher.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    fidelity = np.mean(model.predict(X_test) == teacher.predict(X_test))
    assert fidelity >= FIDELITY_FLOOR[kind], f"fidelity {fidelity:.3f}"
    expected = "regress" if student_name == "hgb_regress" else "expand"
    assert model.strategy_.name == expected


def test_fitted_pipeline_teacher_keeps_raw_features(cancer):
    X, y = cancer
    teacher = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3)).fit(X, y)
    assert model.teacher_ is teacher
    assert model.response_method_ == "decision_function"
    assert np.mean(model.predict(X) == teacher.predict(X)) > 0.9


@pytest.mark.parametrize(
    "teacher, method",
    [
        (LogisticRegression(max_iter=5000), "decision_function"),
        (RandomForestClassifier(n_estimators=5, random_state=0), "predict_proba"),
        (HistGradientBoostingClassifier(max_iter=5), "decision_function"),
    ],
    ids=["logistic", "forest", "hgb"],
)
def test_auto_response_method_prefers_margins(teacher, method, iris):
    X, y = iris
    teacher.fit(X, y)
    model = DistilledClassifier(teacher, temperature=3.0).fit(X, y)
    assert model.response_method_ == method


def test_binary_margin_becomes_two_logits(cancer):
    """A binary decision_function d gives the teacher's probabilities at T=1, alpha=1."""
    X, y = cancer
    teacher = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    model = DistilledClassifier(
        teacher, DecisionTreeRegressor(), alpha=1.0, calibration_cv="train", random_state=0
    ).fit(X, y)
    # an unbounded regression tree reproduces its training targets exactly (so the
    # map fitted on its training outputs is the identity)
    np.testing.assert_allclose(
        model.predict_proba(X), teacher.predict_proba(X), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(model.decision_function(X), teacher.decision_function(X))


@pytest.mark.parametrize("target", ["logit", "proba"])
@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_regress_strategy_recovers_teacher_at_any_temperature(target, temperature, iris):
    """A student that matches its targets exactly (a fully grown tree, on its own
    training rows) maps back to the teacher's probabilities: the fitted scale is T."""
    from skdistill.strategies import RegressStrategy

    X, y = iris
    teacher = LogisticRegression(max_iter=5000).fit(X, y)
    model = DistilledClassifier(
        teacher,
        DecisionTreeRegressor(),
        temperature=temperature,
        alpha=1.0,
        strategy=RegressStrategy(target=target),
        calibration_cv="train",
    ).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), teacher.predict_proba(X), atol=1e-5)
    assert model.strategy_.output_scale_ == pytest.approx(temperature, rel=1e-4)


def test_expand_student_sees_fewer_classes(iris):
    """Classes with zero target everywhere are absent from the student: align on labels."""
    X, y = iris
    teacher = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    keep = y != 2
    # T -> 0 and alpha=0: class 2 has zero weight in every row of this subset
    model = DistilledClassifier(teacher, alpha=0.0).fit(X[keep], y[keep])
    np.testing.assert_array_equal(model.student_.classes_, [0, 1])
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    proba = model.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_array_equal(proba[:, 2], 0.0)


def test_alpha_zero_is_the_hard_label_student(cancer):
    X, y = cancer
    teacher = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    distilled = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3, random_state=0), alpha=0.0
    ).fit(X, y)
    hard = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(distilled.predict_proba(X), hard.predict_proba(X))


def test_near_one_hot_targets_warn(cancer):
    """A boosted teacher on its own training rows gives almost one-hot targets."""
    X, y = cancer
    teacher = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.5).fit(X, y)
    with pytest.warns(DistillationWarning, match="nearly one-hot.*Raise temperature"):
        DistilledClassifier(teacher, temperature=1.0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DistillationWarning)
        DistilledClassifier(teacher, temperature=20.0).fit(X, y)
        DistilledClassifier(teacher, alpha=0.0).fit(X, y)


def test_label_types_are_aligned_with_teacher(iris):
    """String, bool and categorical labels map to the teacher's classes_."""
    pd = pytest.importorskip("pandas")
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    teacher = LogisticRegression(max_iter=5000).fit(X, names)
    for labels in (names, pd.Series(names, dtype="category"), list(names)):
        model = DistilledClassifier(teacher, random_state=0).fit(X, labels)
        np.testing.assert_array_equal(model.classes_, teacher.classes_)
        assert set(model.predict(X)) <= set(names)
    flags = y == 0
    teacher = LogisticRegression(max_iter=5000).fit(X, flags)
    model = DistilledClassifier(teacher).fit(X, flags)
    assert model.predict(X).dtype == bool


def test_teacher_classes_absent_from_y_are_kept(iris):
    X, y = iris
    teacher = LogisticRegression(max_iter=5000).fit(X, y)
    keep = y != 1
    model = DistilledClassifier(teacher, alpha=0.9, temperature=5.0).fit(X[keep], y[keep])
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.predict_proba(X).shape == (150, 3)


def test_pandas_feature_names_are_carried(cancer):
    pd = pytest.importorskip("pandas")
    X, y = cancer
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    teacher = HistGradientBoostingClassifier(max_iter=10).fit(frame, y)
    model = DistilledClassifier(teacher, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    np.testing.assert_array_equal(model.student_.feature_names_in_, frame.columns)
    assert model.predict(frame).shape == (len(y),)


def test_sparse_input(iris):
    from scipy import sparse

    X, y = iris
    Xs = sparse.csr_matrix(X)
    teacher = LogisticRegression(max_iter=5000).fit(Xs, y)
    model = DistilledClassifier(teacher, random_state=0).fit(Xs, y)
    dense = DistilledClassifier(teacher, random_state=0).fit(X, y)
    # the teacher's sparse and dense logits differ in the last bits, which can move
    # a split of a fold's student: the fitted maps agree to about 1e-3
    np.testing.assert_allclose(model.predict_proba(Xs), dense.predict_proba(X), atol=0.02)
    np.testing.assert_array_equal(model.predict(Xs), dense.predict(X))


def test_sample_weight_multiplies_targets(iris):
    """Integer weights equal repeated rows for the expand strategy."""
    X, y = iris
    teacher = LogisticRegression(max_iter=5000).fit(X, y)
    weight = np.random.RandomState(0).randint(1, 4, size=len(y))
    student = make_pipeline(LogisticRegression(max_iter=5000))
    # (out-of-fold maps differ: repeated rows fall on both sides of a fold)
    weighted = DistilledClassifier(teacher, student, calibration_cv="train")
    weighted.fit(X, y, sample_weight=weight)
    repeated = clone(weighted)
    repeated.fit(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-3, atol=1e-4
    )


def test_regressor_blends_teacher_and_labels():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.normal(scale=0.1, size=200)
    teacher = Ridge().fit(X, y)
    for alpha in (0.0, 0.4, 1.0):
        model = DistilledRegressor(teacher, DecisionTreeRegressor(), alpha=alpha).fit(X, y)
        np.testing.assert_allclose(
            model.predict(X), alpha * teacher.predict(X) + (1 - alpha) * y, atol=1e-10
        )


def test_regressor_default_student_and_forest_teacher():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(300, 4))
    y = np.sin(4 * X[:, 0]) + X[:, 1]
    teacher = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    model = DistilledRegressor(teacher, random_state=0).fit(X, y)
    assert model.student_.get_depth() == 6
    assert model.score(X, y) > 0.8


def test_unfitted_teacher_is_fitted_on_a_clone(iris):
    X, y = iris
    teacher = LogisticRegression(max_iter=5000)
    model = DistilledClassifier(teacher, random_state=0).fit(X, y)
    assert model.teacher_ is not teacher
    assert not hasattr(teacher, "coef_")
    assert hasattr(model.teacher_, "coef_")


def test_a_clone_of_a_fitted_teacher_is_refitted(iris):
    """To cross-validate the whole procedure, pass an unfitted clone."""
    X, y = iris
    teacher = LogisticRegression(max_iter=5000).fit(X[:100], y[:100])
    coef = teacher.coef_.copy()
    model = DistilledClassifier(clone(teacher)).fit(X, y)
    assert model.teacher_ is not teacher
    np.testing.assert_array_equal(teacher.coef_, coef)
    assert model.teacher_.classes_.tolist() == [0, 1, 2]


def test_random_state_makes_fit_reproducible(cancer):
    X, y = cancer
    teacher = RandomForestClassifier(n_estimators=10)
    a = DistilledClassifier(teacher, random_state=3).fit(X, y).predict_proba(X)
    b = DistilledClassifier(teacher, random_state=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_digits_distilled_tree_beats_hard_labels(digits):
    """The headline claim on a bundled dataset: a weak student gains from soft targets.

    A depth-4 tree learns digits from a logistic-regression teacher's targets at a
    high temperature (which expose the teacher's ranking of the wrong digits).
    Averaged over seeds it beats the same tree on hard labels; the benchmark
    ``benchmarks/bench_digits.py`` reports the numbers.
    """
    X, y = digits
    gains = []
    for seed in range(3):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, train_size=0.6, random_state=seed
        )
        teacher = LogisticRegression(max_iter=3000).fit(X_train, y_train)
        student = DecisionTreeClassifier(max_depth=4, random_state=seed)
        hard = clone(student).fit(X_train, y_train).score(X_test, y_test)
        distilled = DistilledClassifier(
            teacher, student, temperature=10.0, alpha=1.0, random_state=seed
        ).fit(X_train, y_train)
        gains.append(distilled.score(X_test, y_test) - hard)
    assert np.mean(gains) > 0.02, gains


@pytest.mark.parametrize("student", ["tree", "hgb_regress"])
def test_alpha_zero_ignores_temperature(student, iris):
    """alpha=0 is the hard-label baseline whatever the temperature."""
    X, y = iris
    teacher = LogisticRegression(max_iter=5000).fit(X, y)
    probas = [
        DistilledClassifier(
            teacher, STUDENTS[student](), temperature=t, alpha=0.0, random_state=0
        )
        .fit(X, y)
        .predict_proba(X)
        for t in (1.0, 5.0)
    ]
    np.testing.assert_allclose(probas[0], probas[1])


def test_fit_output_map_recovers_a_known_map():
    from skdistill._targets import softmax
    from skdistill.strategies import fit_output_map

    rng = np.random.RandomState(0)
    logits = rng.normal(size=(300, 4))
    for scale in (0.3, 1.0, 4.0, 25.0):
        bias = np.array([0.0, 1.0, -2.0, 0.3])
        fitted_scale, fitted_bias, _ = fit_output_map(
            logits, softmax(scale * logits + bias)
        )
        assert fitted_scale == pytest.approx(scale, rel=1e-3)
        np.testing.assert_allclose(fitted_bias, bias, atol=1e-3)
    # weights: rows of weight 0 do not count
    mixed = np.vstack([softmax(2.0 * logits[:150]), softmax(8.0 * logits[150:])])
    weight = np.r_[np.ones(150), np.zeros(150)]
    assert fit_output_map(logits, mixed, weight)[0] == pytest.approx(2.0, rel=1e-3)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_student_carries_the_temperature_map_in_its_coefficients(n_classes):
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 6, n_informative=4, n_classes=n_classes, random_state=0)
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    student = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model = DistilledClassifier(teacher, student, temperature=3.0, random_state=0)
    model.fit(X, y)
    assert model.strategy_.scale_ == 1.0
    np.testing.assert_allclose(model.student_.predict_proba(X), model.predict_proba(X))
    # The same fit without the fold: the map applied at predict time agrees.
    unfolded = DistilledClassifier(
        teacher,
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        temperature=3.0,
        random_state=0,
    )
    from skdistill.strategies import _expand

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_expand, "_carry_map", lambda student, scale, bias, smoothing: False)
        unfolded.fit(X, y)
    assert unfolded.strategy_.scale_ > 1.0
    assert unfolded.strategy_.scale_ == model.strategy_.output_scale_
    np.testing.assert_allclose(
        model.predict_proba(X), unfolded.predict_proba(X), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_tree_student_carries_the_temperature_map_in_its_leaves(alpha):
    """A bare tree student predicts the distiller's probabilities by itself."""
    from sklearn.datasets import load_iris
    from sklearn.pipeline import Pipeline

    from skdistill._targets import log_clip, smooth_log_proba, softmax

    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    kwargs = dict(temperature=4.0, alpha=alpha, random_state=0)
    tree = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3), **kwargs)
    tree.fit(X, y)
    assert tree.strategy_.scale_ == 1.0
    np.testing.assert_allclose(tree.student_.predict_proba(X), tree.predict_proba(X))
    # Inside a Pipeline too; without the fold, the map applied at predict time
    # gives the same answers.
    piped = DistilledClassifier(
        teacher, Pipeline([("tree", DecisionTreeClassifier(max_depth=3))]), **kwargs
    ).fit(X, y)
    assert piped.strategy_.scale_ == 1.0
    np.testing.assert_allclose(piped.student_.predict_proba(X), tree.predict_proba(X))
    from skdistill.strategies import _expand

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_expand, "_carry_map", lambda student, scale, bias, smoothing: False)
        piped = clone(piped).fit(X, y)
    strategy = piped.strategy_
    assert strategy.scale_ > 1.0
    raw = piped.student_.predict_proba(X)
    logits = smooth_log_proba(log_clip(raw), strategy.smoothing_)
    np.testing.assert_allclose(
        tree.predict_proba(X), softmax(strategy.scale_ * logits + strategy.bias_), rtol=1e-6
    )
    np.testing.assert_array_equal(tree.predict(X), piped.predict(X))


# -- issue 11, item 5: NaN follows what the student that runs at predict time takes --


def _categorical_frame(n=400, seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "job": rng.choice(["tech", "sales", "admin", None], n),
            "city": rng.choice(["a", "b", "c"], n).astype(object),
        }
    )
    frame.loc[rng.rand(n) < 0.2, "city"] = np.nan
    y = ((frame["age"] > 40) ^ (frame["job"] == "tech")).astype(int).to_numpy()
    return frame, y


def test_issue11_item5_categorical_pipeline_predicts_its_own_training_rows():
    """Teacher and student encode string columns with NaN (adult): fit worked but
    predict on the same rows raised "Input contains NaN" (student_ alone: 0.849)."""
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import OneHotEncoder

    X, y = _categorical_frame()

    def encoder():
        return make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["job", "city"]),
            remainder="passthrough",
        )

    teacher = make_pipeline(encoder(), HistGradientBoostingClassifier(max_iter=30))
    teacher.fit(X, y)
    student = make_pipeline(encoder(), DecisionTreeClassifier(max_depth=4))
    model = DistilledClassifier(teacher, student, temperature=3.0, random_state=0)
    model.fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, model.student_.predict_proba(X))
    assert model.score(X, y) == pytest.approx(np.mean(model.student_.predict(X) == y))
    assert model.score(X, y) > 0.9


def test_issue11_item5_imputing_pipeline_student_takes_nan():
    """The fix the NaN error recommends (an imputer in front of the student) was
    itself refused: a Pipeline's tags never allow NaN."""
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer

    X, y = make_classification(300, 5, random_state=0)
    X[::7, 1] = np.nan
    teacher = HistGradientBoostingClassifier(max_iter=20).fit(X, y)
    student = make_pipeline(SimpleImputer(), LogisticRegression())
    model = DistilledClassifier(teacher, student).fit(X, y)
    assert model.score(X, y) > 0.8
    assert np.isfinite(model.predict_proba(X[::7])).all()
    # a bare student that cannot take NaN is still refused before the teacher works
    with pytest.raises(ValueError, match="student LogisticRegression cannot handle"):
        DistilledClassifier(teacher, LogisticRegression()).fit(X, y)
