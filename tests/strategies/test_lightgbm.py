"""The "lightgbm" strategy: loss maths, hard-label equivalence, sklearn contracts."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from skdistill import DistilledClassifier
from skdistill.strategies import LightGBMStrategy, SoftTargets, resolve_strategy
from skdistill.strategies._lightgbm import _DistillationLoss

lgb = pytest.importorskip("lightgbm")

LOSSES = ["blend", "hinton"]


def _student(**params):
    defaults = dict(
        n_estimators=8,
        num_leaves=7,
        min_child_samples=5,
        verbose=-1,
        random_state=0,
        n_jobs=1,
    )
    return lgb.LGBMClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def iris_teacher(iris):
    X, y = iris
    return LogisticRegression(max_iter=1000).fit(X, y)


@pytest.fixture(scope="module")
def binary_teacher(binary_data):
    X, y = binary_data
    return LogisticRegression(max_iter=1000).fit(X, y)


def _random_loss(loss, n_classes, hessian_scale, rng):
    n = 6
    target = rng.dirichlet(np.ones(n_classes), size=n)
    hard = np.eye(n_classes)[rng.randint(n_classes, size=n)]
    hard[0] = 0.0  # an unlabeled row
    soft_weight = np.where(hard.sum(axis=1) == 0, 1.0, 0.3)
    return _DistillationLoss(
        loss,
        target,
        hard=hard,
        soft_weight=soft_weight,
        temperature=2.5,
        hessian_scale=hessian_scale,
    )


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_gradient_and_hessian_match_finite_differences(loss, n_classes, weighted, seed):
    rng = np.random.RandomState(seed)
    objective = _random_loss(loss, n_classes, 1.0, rng)
    shape = (6,) if n_classes == 2 else (6, n_classes)
    f = rng.normal(scale=2.0, size=shape)
    weight = rng.uniform(0.5, 2.0, size=6) if weighted else None

    def total(margins):
        w = np.ones(6) if weight is None else weight
        return objective.value(margins, weight) * w.sum()

    grad, hess = objective.grad_hess(f, weight)
    eps = 1e-5
    num_grad, num_hess = np.zeros(shape), np.zeros(shape)
    for index in np.ndindex(*shape):
        step = np.zeros(shape)
        step[index] = eps
        num_grad[index] = (total(f + step) - total(f - step)) / (2 * eps)
        g_plus, _ = objective.grad_hess(f + step, weight)
        g_minus, _ = objective.grad_hess(f - step, weight)
        num_hess[index] = (g_plus[index] - g_minus[index]) / (2 * eps)
    np.testing.assert_allclose(grad, num_grad, rtol=1e-6, atol=1e-7)
    # The hessian is the exact diagonal (LightGBM and XGBoost use diagonal ones).
    np.testing.assert_allclose(hess, num_hess, rtol=1e-5, atol=1e-7)
    assert (hess > 0).all()


def test_multiclass_hessian_scale():
    rng = np.random.RandomState(0)
    f = rng.normal(size=(6, 3))
    _, hess = _random_loss("blend", 3, 1.0, np.random.RandomState(1)).grad_hess(f)
    _, scaled = _random_loss("blend", 3, 1.5, np.random.RandomState(1)).grad_hess(f)
    np.testing.assert_allclose(scaled, 1.5 * hess)


def test_hinton_unlabeled_rows_get_soft_targets_only():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    targets = SoftTargets(
        logits, np.array([-1, 2]), np.arange(3), temperature=2.0, alpha=0.25
    )
    loss, _ = LightGBMStrategy(loss="hinton")._losses(
        targets, np.arange(2), np.arange(3), 1
    )
    np.testing.assert_allclose(loss.soft_weight, [1.0, 0.25])
    np.testing.assert_allclose(loss.hard[0], 0.0)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("data", ["binary", "multiclass"])
def test_alpha_zero_reproduces_lightgbm(
    loss, data, binary_data, iris, binary_teacher, iris_teacher
):
    X, y = binary_data if data == "binary" else iris
    teacher = binary_teacher if data == "binary" else iris_teacher
    if data == "multiclass":  # imbalanced classes: the initial score matters
        keep = np.r_[np.arange(50), np.arange(50, 80), np.arange(100, 115)]
        X, y = X[keep], y[keep]
    reference = _student(n_estimators=20).fit(X, y)
    # "blend" sharpens its margins by T (also at alpha=0); "hinton" ignores T at alpha=0.
    temperature = 1.0 if loss == "blend" else 3.0
    model = DistilledClassifier(
        teacher,
        _student(n_estimators=20),
        alpha=0.0,
        temperature=temperature,
        strategy=LightGBMStrategy(loss=loss),
    ).fit(X, y)
    # Same trees: identical probabilities up to rounding, hence identical log-loss.
    np.testing.assert_allclose(
        model.predict_proba(X), reference.predict_proba(X), atol=1e-10
    )
    assert log_loss(y, model.predict_proba(X)) == pytest.approx(
        log_loss(y, reference.predict_proba(X)), abs=1e-10
    )


@pytest.mark.parametrize("loss", LOSSES)
def test_fitted_student_is_a_plain_lgbm_classifier(loss, iris, iris_teacher):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    teacher = LogisticRegression(max_iter=1000).fit(X, labels)
    model = DistilledClassifier(
        teacher,
        _student(),
        temperature=2.0,
        alpha=0.7,
        strategy=LightGBMStrategy(loss=loss),
        random_state=0,
    ).fit(X, labels)
    student = model.student_
    assert type(student) is lgb.LGBMClassifier
    assert student.objective is None  # the user's parameter, restored
    assert student.n_estimators_ == 8 and student.booster_.num_trees() == 24
    assert student.feature_importances_.sum() > 0
    np.testing.assert_array_equal(student.classes_, model.classes_)
    np.testing.assert_allclose(student.predict_proba(X), model.predict_proba(X), atol=1e-12)
    np.testing.assert_array_equal(student.predict(X), model.predict(X))
    assert model.score(X, labels) > 0.9


def test_pickle_round_trip_predicts_identically(iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(
        iris_teacher, _student(), temperature=3.0, random_state=0
    ).fit(X, y)
    blob = pickle.dumps(model)
    assert b"_DistillationLoss" not in blob  # no training targets in the pickle
    np.testing.assert_array_equal(
        pickle.loads(blob).predict_proba(X), model.predict_proba(X)
    )


def test_blend_folds_the_temperature_into_the_student(binary_data, binary_teacher):
    X, y = binary_data
    model = DistilledClassifier(
        binary_teacher, _student(), temperature=4.0, alpha=1.0, random_state=0
    ).fit(X, y)
    assert model.strategy_.scale_ == 4.0
    margins = model.student_.predict(X, raw_score=True)
    np.testing.assert_allclose(model.decision_function(X), margins)


def test_auto_strategy_resolution():
    assert resolve_strategy("auto", _student()).name == "lightgbm"
    assert resolve_strategy("auto", lgb.LGBMRegressor()).name == "regress"
    assert LightGBMStrategy.accepts(_student())
    assert not LightGBMStrategy.accepts(LogisticRegression())


def test_wrong_student_is_a_type_error(iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(iris_teacher, LogisticRegression(), strategy="lightgbm")
    with pytest.raises(TypeError, match="needs a lightgbm.LGBMClassifier"):
        model.fit(X, y)


def test_sample_weight_multiplies_gradients(binary_data, binary_teacher):
    X, y = binary_data
    model = DistilledClassifier(binary_teacher, _student(), random_state=0)
    plain = model.fit(X, y).predict_proba(X)
    doubled = model.fit(X, y, sample_weight=np.full(len(y), 2.0)).predict_proba(X)
    np.testing.assert_allclose(doubled, plain, atol=1e-6)
    weights = np.where(y == 1, 5.0, 1.0)
    weighted = model.fit(X, y, sample_weight=weights).predict_proba(X)
    assert weighted[:, 1].mean() > plain[:, 1].mean() + 0.05


@pytest.mark.parametrize("loss", LOSSES)
def test_early_stopping_keeps_the_best_round(loss, iris, iris_teacher):
    X, y = iris
    strategy = LightGBMStrategy(loss=loss, early_stopping_rounds=3, validation_fraction=0.3)
    model = DistilledClassifier(
        iris_teacher,
        _student(n_estimators=300, learning_rate=0.5),
        temperature=2.0,
        strategy=strategy,
        random_state=0,
    ).fit(X, y)
    n_iter = model.strategy_.n_iter_
    assert 1 <= n_iter < 300
    assert model.student_.n_estimators_ == n_iter
    np.testing.assert_allclose(
        model.student_.predict_proba(X), model.predict_proba(X), atol=1e-12
    )


def test_grid_search_over_distillation_and_student_params(iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(
        iris_teacher, _student(), strategy=LightGBMStrategy(), random_state=0
    )
    grid = GridSearchCV(
        model,
        {
            "temperature": [1.0, 3.0],
            "alpha": [0.5, 0.9],
            "student__n_estimators": [5],
            "student__num_leaves": [4, 8],
            "strategy__loss": ["hinton"],
        },
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    assert grid.best_estimator_.teacher_ is iris_teacher
    assert grid.best_estimator_.student_.n_estimators == 5
    assert grid.best_score_ > 0.8


def test_missing_lightgbm_names_the_extra(monkeypatch, iris, iris_teacher):
    X, y = iris
    student = _student()
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    model = DistilledClassifier(iris_teacher, student)
    with pytest.raises(ImportError, match=r"skdistill\[lightgbm\]"):
        model.fit(X, y)


def test_import_skdistill_does_not_import_lightgbm_or_xgboost():
    code = (
        "import sys, skdistill, skdistill.strategies; "
        "print(sorted({'lightgbm', 'xgboost'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_invalid_loss_is_rejected(iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(
        iris_teacher, _student(), strategy=LightGBMStrategy(loss="kl")
    )
    with pytest.raises(ValueError, match="loss"):
        model.fit(X, y)
