"""The "xgboost" strategy: hard-label equivalence and sklearn contracts.

The loss maths shared with the "lightgbm" strategy is tested in test_lightgbm.py.
"""

import json
import pickle
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from skdistill import DistilledClassifier
from skdistill.strategies import XGBoostStrategy, resolve_strategy

xgb = pytest.importorskip("xgboost")

LOSSES = ["blend", "hinton"]


def _student(**params):
    defaults = dict(n_estimators=8, max_depth=3, n_jobs=1, random_state=0)
    return xgb.XGBClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def iris_teacher(iris):
    X, y = iris
    return LogisticRegression(max_iter=1000).fit(X, y)


@pytest.fixture(scope="module")
def binary_teacher(binary_data):
    X, y = binary_data
    return LogisticRegression(max_iter=1000).fit(X, y)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("data", ["binary", "multiclass"])
def test_alpha_zero_reproduces_xgboost(
    loss, data, binary_data, iris, binary_teacher, iris_teacher
):
    X, y = binary_data if data == "binary" else iris
    teacher = binary_teacher if data == "binary" else iris_teacher
    if data == "multiclass":  # imbalanced classes: the initial margins matter
        keep = np.r_[np.arange(50), np.arange(50, 80), np.arange(100, 115)]
        X, y = X[keep], y[keep]
    reference = _student(n_estimators=20).fit(X, y)
    temperature = 1.0 if loss == "blend" else 3.0  # "blend" sharpens by T
    model = DistilledClassifier(
        teacher,
        _student(n_estimators=20),
        alpha=0.0,
        temperature=temperature,
        strategy=XGBoostStrategy(loss=loss),
    ).fit(X, y)
    # XGBoost's own intercept is a one-step estimate of the log prior (binary) and
    # float32 throughout: predictions agree to 1e-3, log-loss to 1%.
    np.testing.assert_allclose(
        model.predict_proba(X), reference.predict_proba(X), atol=1e-3
    )
    assert log_loss(y, model.predict_proba(X)) == pytest.approx(
        log_loss(y, reference.predict_proba(X)), rel=1e-2
    )


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("data", ["binary", "multiclass"])
def test_fitted_student_is_a_plain_xgb_classifier(
    loss, data, binary_data, iris, binary_teacher, iris_teacher
):
    X, y = binary_data if data == "binary" else iris
    teacher = binary_teacher if data == "binary" else iris_teacher
    model = DistilledClassifier(
        teacher,
        _student(),
        temperature=2.0,
        alpha=0.7,
        strategy=XGBoostStrategy(loss=loss),
        random_state=0,
    ).fit(X, y)
    student = model.student_
    assert type(student) is xgb.XGBClassifier
    expected = "binary:logistic" if data == "binary" else "multi:softprob"
    assert student.objective == expected
    assert student.get_booster().num_boosted_rounds() == 8
    assert student.feature_importances_.sum() > 0
    np.testing.assert_allclose(student.predict_proba(X), model.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(model.classes_[student.predict(X)], model.predict(X))
    # A model saved by XGBoost itself loads back to the same predictions.
    restored = xgb.XGBClassifier()
    restored.load_model(bytearray(student.get_booster().save_raw("json")))
    np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X), atol=1e-6)
    assert model.score(X, y) > 0.85


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


def test_blend_folds_temperature_and_prior_into_the_model(binary_data, binary_teacher):
    X, y = binary_data
    model = DistilledClassifier(
        binary_teacher, _student(), temperature=4.0, alpha=1.0, random_state=0
    ).fit(X, y)
    config = json.loads(model.student_.get_booster().save_config())
    base = json.loads(config["learner"]["learner_model_param"]["base_score"])[0]
    init = model.strategy_.init_score_[0]
    assert base == pytest.approx(1 / (1 + np.exp(-4.0 * init)), rel=1e-5)
    margins = model.student_.predict(X, output_margin=True)
    np.testing.assert_allclose(model.decision_function(X), margins, rtol=1e-5)


def test_auto_strategy_resolution():
    assert resolve_strategy("auto", _student()).name == "xgboost"
    assert resolve_strategy("auto", xgb.XGBRegressor()).name == "regress"


@pytest.mark.parametrize("loss", LOSSES)
def test_early_stopping_keeps_the_best_round(loss, iris, iris_teacher):
    X, y = iris
    strategy = XGBoostStrategy(loss=loss, early_stopping_rounds=3, validation_fraction=0.3)
    model = DistilledClassifier(
        iris_teacher,
        _student(n_estimators=300, learning_rate=0.5),
        temperature=2.0,
        strategy=strategy,
        random_state=0,
    ).fit(X, y)
    n_iter = model.strategy_.n_iter_
    assert 1 <= n_iter < 300
    assert model.student_.get_booster().num_boosted_rounds() == n_iter
    assert model.student_.early_stopping_rounds is None  # the user's parameter
    np.testing.assert_allclose(
        model.student_.predict_proba(X), model.predict_proba(X), atol=1e-6
    )


def test_sample_weight_multiplies_gradients(binary_data, binary_teacher):
    X, y = binary_data
    model = DistilledClassifier(binary_teacher, _student(), random_state=0)
    plain = model.fit(X, y).predict_proba(X)
    weights = np.where(y == 1, 5.0, 1.0)
    weighted = model.fit(X, y, sample_weight=weights).predict_proba(X)
    assert weighted[:, 1].mean() > plain[:, 1].mean() + 0.05


def test_grid_search_over_distillation_and_student_params(iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(
        iris_teacher, _student(), strategy=XGBoostStrategy(), random_state=0
    )
    grid = GridSearchCV(
        model,
        {
            "temperature": [1.0, 3.0],
            "alpha": [0.5, 0.9],
            "student__n_estimators": [5],
            "student__max_leaves": [4, 8],
            "strategy__loss": ["hinton"],
        },
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    assert grid.best_estimator_.teacher_ is iris_teacher
    assert grid.best_score_ > 0.8


def test_missing_xgboost_names_the_extra(monkeypatch, iris, iris_teacher):
    X, y = iris
    student = _student()
    monkeypatch.setitem(sys.modules, "xgboost", None)
    model = DistilledClassifier(iris_teacher, student)
    with pytest.raises(ImportError, match=r"skdistill\[xgboost\]"):
        model.fit(X, y)
