"""The native gradient-boosting strategies, "lightgbm" and "xgboost".

The loss maths they share, then the same contracts for both: hard-label equivalence,
plain fitted students, early stopping, sample weights and the sklearn contracts. Each
framework is one row of ``FRAMEWORKS``; its own details live in test_<framework>.py.
"""

import importlib
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from skdistill import DistilledClassifier
from skdistill.strategies import (
    LightGBMStrategy,
    SoftTargets,
    XGBoostStrategy,
    resolve_strategy,
)
from skdistill.strategies._boosting import _DistillationLoss

LOSSES = ["blend", "hinton"]


# -- one row per framework -----------------------------------------------------------


def _lgbm_reloaded_proba(student, X):
    import lightgbm as lgb

    proba = lgb.Booster(model_str=student.booster_.model_to_string()).predict(X)
    return proba if proba.ndim == 2 else np.column_stack([1 - proba, proba])


def _xgb_reloaded_proba(student, X):
    import xgboost as xgb

    restored = xgb.XGBClassifier()
    restored.load_model(bytearray(student.get_booster().save_raw("json")))
    return restored.predict_proba(X)


@dataclass(frozen=True)
class Framework:
    """What the shared tests need to know about one boosting framework."""

    name: str  # module, strategy name and install extra
    strategy: type
    classifier: str
    regressor: str
    defaults: dict  # a small, fast, deterministic student
    leaves: str  # the student's tree-size parameter, for grid searches
    hessian_scale: Callable  # multiclass hessian factor of the built-in objective
    rounds: Callable  # boosting rounds kept by a fitted student
    n_trees: Callable
    margins: Callable  # the fitted student's own raw margins
    labels: Callable  # (model, student, X) -> class labels from the student's predict
    student_classes: Callable  # model -> the fitted student's classes_
    reloaded_proba: Callable  # probabilities of the model saved by the framework
    objective: dict  # the fitted student's objective, by problem
    restored: dict  # student parameters set during fit, the user's value after it
    proba_atol: float  # the student's own probabilities against the model's
    margin_rtol: float  # the student's own margins against decision_function
    alpha_zero_atol: float  # probabilities at alpha=0 against hard-label training
    alpha_zero_log_loss: dict  # its pytest.approx tolerance on the log-loss
    min_score: dict  # floor of the training accuracy, by problem
    native_objective: str = ""  # built-in binary objective trained on soft labels
    native_atol: float = 0.0  # its margins against the Python objective's
    weight_scale_free: bool = False  # doubling all weights changes nothing

    def __str__(self):
        return self.name

    @property
    def lib(self):
        return importlib.import_module(self.name)

    def student(self, **params):
        return getattr(self.lib, self.classifier)(**{**self.defaults, **params})


LIGHTGBM = Framework(
    name="lightgbm",
    strategy=LightGBMStrategy,
    classifier="LGBMClassifier",
    regressor="LGBMRegressor",
    defaults=dict(
        n_estimators=8,
        num_leaves=7,
        min_child_samples=5,
        verbose=-1,
        random_state=0,
        n_jobs=1,
    ),
    leaves="num_leaves",
    hessian_scale=lambda n_classes: n_classes / (n_classes - 1),
    rounds=lambda student: student.n_estimators_,
    n_trees=lambda student: student.booster_.num_trees(),
    margins=lambda student, X: student.predict(X, raw_score=True),
    labels=lambda model, student, X: student.predict(X),
    student_classes=lambda model: model.classes_,
    reloaded_proba=_lgbm_reloaded_proba,
    objective={"binary": None, "multiclass": None},  # the user's parameter, restored
    restored={"objective": None},
    proba_atol=1e-12,
    margin_rtol=1e-7,
    # Same trees: identical probabilities up to rounding, hence identical log-loss.
    alpha_zero_atol=1e-10,
    alpha_zero_log_loss=dict(abs=1e-10),
    min_score={"binary": 0.85, "multiclass": 0.9},
    native_objective="cross_entropy",
    # Same trees; gradients computed in double by both, rounded to float32.
    native_atol=1e-6,
    # Row counts (min_child_samples) limit LightGBM's leaves and it has no L2 by
    # default; XGBoost's min_child_weight and reg_lambda weigh against hessian sums.
    weight_scale_free=True,
)

XGBOOST = Framework(
    name="xgboost",
    strategy=XGBoostStrategy,
    classifier="XGBClassifier",
    regressor="XGBRegressor",
    defaults=dict(n_estimators=8, max_depth=3, n_jobs=1, random_state=0),
    leaves="max_leaves",
    hessian_scale=lambda n_classes: 2.0,
    rounds=lambda student: student.get_booster().num_boosted_rounds(),
    n_trees=lambda student: len(student.get_booster().get_dump()),
    margins=lambda student, X: student.predict(X, output_margin=True),
    labels=lambda model, student, X: model.classes_[student.predict(X)],
    student_classes=lambda model: np.arange(len(model.classes_)),
    reloaded_proba=_xgb_reloaded_proba,
    objective={"binary": "binary:logistic", "multiclass": "multi:softprob"},
    restored={"early_stopping_rounds": None, "eval_metric": None},
    proba_atol=1e-6,
    margin_rtol=1e-5,
    # XGBoost's own intercept is a one-step estimate of the log prior (binary) and
    # float32 throughout: predictions agree to 1e-3, log-loss to 1%.
    alpha_zero_atol=1e-3,
    alpha_zero_log_loss=dict(rel=1e-2),
    min_score={"binary": 0.85, "multiclass": 0.85},
    native_objective="binary:logistic",
    # Same trees; XGBoost's own objective computes its sigmoid in float32.
    native_atol=1e-5,
)

FRAMEWORKS = [LIGHTGBM, XGBOOST]


@pytest.fixture(params=FRAMEWORKS, ids=str)
def gbdt(request):
    """Each framework in turn, skipped where it is not installed."""
    pytest.importorskip(request.param.name)
    return request.param


@pytest.fixture(params=["binary", "multiclass"])
def problem(request, binary_data, iris, binary_teacher, iris_teacher):
    """``(name, X, y, teacher)`` for a binary and a 3-class problem."""
    if request.param == "binary":
        return (request.param, *binary_data, binary_teacher)
    return (request.param, *iris, iris_teacher)


# -- the loss maths ------------------------------------------------------------------


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


@pytest.mark.parametrize("strategy", [LightGBMStrategy, XGBoostStrategy])
def test_hinton_unlabeled_rows_get_soft_targets_only(strategy):
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    targets = SoftTargets(
        logits, np.array([-1, 2]), np.arange(3), temperature=2.0, alpha=0.25
    )
    loss, _ = strategy(loss="hinton")._losses(targets, np.arange(2), np.arange(3), 1)
    np.testing.assert_allclose(loss.soft_weight, [1.0, 0.25])
    np.testing.assert_allclose(loss.hard[0], 0.0)


def test_strategy_uses_the_frameworks_multiclass_hessian(gbdt):
    for n_classes in [3, 4]:
        assert gbdt.strategy()._hessian_scale(n_classes) == pytest.approx(
            gbdt.hessian_scale(n_classes)
        )


# -- fitted students -----------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
def test_alpha_zero_reproduces_the_framework(gbdt, loss, problem):
    data, X, y, teacher = problem
    if data == "multiclass":  # imbalanced classes: the initial score matters
        keep = np.r_[np.arange(50), np.arange(50, 80), np.arange(100, 115)]
        X, y = X[keep], y[keep]
    reference = gbdt.student(n_estimators=20).fit(X, y)
    # "blend" sharpens its margins by T (also at alpha=0); "hinton" ignores T at alpha=0.
    temperature = 1.0 if loss == "blend" else 3.0
    model = DistilledClassifier(
        teacher,
        gbdt.student(n_estimators=20),
        alpha=0.0,
        temperature=temperature,
        strategy=gbdt.strategy(loss=loss),
    ).fit(X, y)
    np.testing.assert_allclose(
        model.predict_proba(X), reference.predict_proba(X), atol=gbdt.alpha_zero_atol
    )
    assert log_loss(y, model.predict_proba(X)) == pytest.approx(
        log_loss(y, reference.predict_proba(X)), **gbdt.alpha_zero_log_loss
    )


@pytest.mark.parametrize("loss", LOSSES)
def test_fitted_student_is_a_plain_classifier(gbdt, loss, problem):
    data, X, y, _ = problem
    names = ["setosa", "versicolor", "virginica"] if data == "multiclass" else ["no", "yes"]
    labels = np.array(names)[y]
    teacher = LogisticRegression(max_iter=1000).fit(X, labels)
    model = DistilledClassifier(
        teacher,
        gbdt.student(),
        temperature=2.0,
        alpha=0.7,
        strategy=gbdt.strategy(loss=loss),
        random_state=0,
    ).fit(X, labels)
    student = model.student_
    assert type(student) is getattr(gbdt.lib, gbdt.classifier)
    assert student.objective == gbdt.objective[data]
    assert gbdt.rounds(student) == 8
    assert gbdt.n_trees(student) == 8 * (len(names) if len(names) > 2 else 1)
    assert student.feature_importances_.sum() > 0
    np.testing.assert_array_equal(student.classes_, gbdt.student_classes(model))
    proba = model.predict_proba(X)
    np.testing.assert_allclose(student.predict_proba(X), proba, atol=gbdt.proba_atol)
    np.testing.assert_array_equal(gbdt.labels(model, student, X), model.predict(X))
    # A model saved by the framework itself loads back to the same predictions.
    np.testing.assert_allclose(gbdt.reloaded_proba(student, X), proba, atol=gbdt.proba_atol)
    assert model.score(X, labels) > gbdt.min_score[data]


def test_pickle_round_trip_predicts_identically(gbdt, iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(
        iris_teacher, gbdt.student(), temperature=3.0, random_state=0
    ).fit(X, y)
    blob = pickle.dumps(model)
    assert b"_DistillationLoss" not in blob  # no training targets in the pickle
    np.testing.assert_array_equal(
        pickle.loads(blob).predict_proba(X), model.predict_proba(X)
    )


def test_blend_folds_the_temperature_into_the_student(gbdt, binary_data, binary_teacher):
    X, y = binary_data
    model = DistilledClassifier(
        binary_teacher, gbdt.student(), temperature=4.0, alpha=1.0, random_state=0
    ).fit(X, y)
    # the fitted map back to temperature 1 lives in the leaves, not in the strategy
    assert model.strategy_.scale_ == 1.0
    assert model.strategy_.output_scale_ > 1.0  # fitted (out of fold), sharpening
    margins = gbdt.margins(model.student_, X)
    np.testing.assert_allclose(model.decision_function(X), margins, rtol=gbdt.margin_rtol)


@pytest.mark.parametrize("loss", LOSSES)
def test_early_stopping_keeps_the_best_round(gbdt, loss, iris, iris_teacher):
    X, y = iris
    strategy = gbdt.strategy(loss=loss, early_stopping_rounds=3, validation_fraction=0.3)
    model = DistilledClassifier(
        iris_teacher,
        gbdt.student(n_estimators=300, learning_rate=0.5),
        temperature=2.0,
        strategy=strategy,
        random_state=0,
    ).fit(X, y)
    n_iter = model.strategy_.n_iter_
    assert 1 <= n_iter < 300
    assert gbdt.rounds(model.student_) == n_iter
    for key, value in gbdt.restored.items():  # the user's parameters
        assert getattr(model.student_, key) == value
    np.testing.assert_allclose(
        model.student_.predict_proba(X), model.predict_proba(X), atol=gbdt.proba_atol
    )


def test_sample_weight_multiplies_gradients(gbdt, binary_data, binary_teacher):
    X, y = binary_data
    model = DistilledClassifier(binary_teacher, gbdt.student(), random_state=0)
    plain = model.fit(X, y).predict_proba(X)
    if gbdt.weight_scale_free:
        doubled = model.fit(X, y, sample_weight=np.full(len(y), 2.0)).predict_proba(X)
        np.testing.assert_allclose(doubled, plain, atol=1e-6)
    weights = np.where(y == 1, 5.0, 1.0)
    weighted = model.fit(X, y, sample_weight=weights).predict_proba(X)
    assert weighted[:, 1].mean() > plain[:, 1].mean() + 0.05


# -- binary students on the built-in objective -----------------------------------------

#: (loss, temperature, alpha) of binary recipes the built-in objective trains.
NATIVE_RECIPES = [
    ("blend", 1.0, 0.5),
    ("blend", 3.0, 0.7),
    ("blend", 4.0, 1.0),
    ("blend", 2.0, 0.0),
    ("hinton", 1.0, 0.7),
    ("hinton", 3.0, 0.0),
]


@pytest.fixture
def callback_route(gbdt, monkeypatch):
    """``fit(params, X, y)``: a distiller fitted with the Python objective (the route
    of every recipe before the built-in one)."""

    def fit(params, X, y):
        with monkeypatch.context() as patch:
            patch.setattr(gbdt.strategy, "_native_binary", lambda self, targets: False)
            return DistilledClassifier(**params).fit(X, y)

    return fit


def _binary_model(gbdt, teacher, loss, temperature, alpha, **params):
    """Parameters of a distiller of ``gbdt``'s student with this recipe."""
    return dict(
        teacher=teacher,
        student=params.pop("student", None) or gbdt.student(),
        strategy=gbdt.strategy(loss=loss, **params.pop("strategy", {})),
        temperature=temperature,
        alpha=alpha,
        random_state=0,
        **params,
    )


def _no_python_objective(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("the Python objective was called")

    monkeypatch.setattr(_DistillationLoss, "grad_hess", refuse)


@pytest.mark.parametrize(("loss", "temperature", "alpha"), NATIVE_RECIPES)
def test_binary_recipe_trains_on_the_built_in_objective(
    gbdt, loss, temperature, alpha, binary_data, binary_teacher, monkeypatch
):
    X, y = binary_data
    _no_python_objective(monkeypatch)
    params = _binary_model(gbdt, binary_teacher, loss, temperature, alpha)
    model = DistilledClassifier(**params).fit(X, y)
    assert model.strategy_.training_objective_ == gbdt.native_objective
    student = model.student_
    assert type(student) is getattr(gbdt.lib, gbdt.classifier)
    np.testing.assert_array_equal(student.classes_, [0, 1])
    assert student.objective == gbdt.objective["binary"]
    np.testing.assert_allclose(
        student.predict_proba(X), model.predict_proba(X), atol=gbdt.proba_atol
    )
    np.testing.assert_allclose(gbdt.reloaded_proba(student, X), model.predict_proba(X),
                               atol=gbdt.proba_atol)  # fmt: skip


@pytest.mark.parametrize(("loss", "temperature", "alpha"), NATIVE_RECIPES)
def test_built_in_objective_matches_the_python_objective(
    gbdt, loss, temperature, alpha, binary_data, binary_teacher
):
    X, y = binary_data
    logits = np.log(binary_teacher.predict_proba(X))
    y_index = np.where(np.arange(len(y)) % 5 == 0, -1, y) if alpha else y
    targets = SoftTargets(logits, y_index, np.array([0, 1]), temperature, alpha)
    weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    strategy = gbdt.strategy(loss=loss).fit(
        gbdt.student(), X, targets, sample_weight=weight
    )
    assert strategy.training_objective_ == gbdt.native_objective
    reference = gbdt.strategy(loss=loss)
    reference._native_binary = lambda targets: False
    reference.fit(gbdt.student(), X, targets, sample_weight=weight)
    assert reference.training_objective_ == "custom"
    np.testing.assert_allclose(
        strategy.tempered_logits(X), reference.tempered_logits(X), atol=gbdt.native_atol
    )
    np.testing.assert_allclose(strategy.init_score_, reference.init_score_)


@pytest.mark.parametrize(
    "recipe",
    [
        dict(temperature=3.0, alpha=0.7),
        dict(temperature=2.0, alpha=0.6, transfer_set="gaussian"),
        dict(
            temperature=2.0,
            alpha=0.8,
            strategy={"early_stopping_rounds": 3, "validation_fraction": 0.3},
            student={"n_estimators": 200, "learning_rate": 0.5},
        ),
    ],
    ids=["plain", "transfer-set", "early-stopping"],
)
def test_distiller_predicts_as_with_the_python_objective(
    gbdt, recipe, binary_data, binary_teacher, callback_route
):
    X, y = binary_data

    def params():
        student = gbdt.student(**{"n_estimators": 40, **recipe.get("student", {})})
        rest = {k: v for k, v in recipe.items() if k != "student"}
        return _binary_model(gbdt, binary_teacher, "blend", student=student, **rest)

    native = DistilledClassifier(**params()).fit(X, y)
    reference = callback_route(params(), X, y)
    assert native.strategy_.training_objective_ == gbdt.native_objective
    assert reference.strategy_.training_objective_ == "custom"
    assert native.n_transfer_ == reference.n_transfer_
    assert native.strategy_.n_iter_ == reference.strategy_.n_iter_
    if "early_stopping_rounds" in recipe.get("strategy", {}):
        assert native.strategy_.n_iter_ < 200  # it stopped, on the same round
    # Same trees; the map back to T = 1 is fitted (L-BFGS) on margins that differ
    # by float32 rounding, which moves the probabilities by less than 1e-4.
    np.testing.assert_allclose(
        native.predict_proba(X), reference.predict_proba(X), atol=1e-4
    )


def test_zero_sample_weight_drops_the_row(gbdt, binary_data, binary_teacher):
    X, y = binary_data
    logits = np.log(binary_teacher.predict_proba(X))
    targets = SoftTargets(logits, y, np.array([0, 1]), 2.0, 0.7)
    weight = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    weight[::4] = 0.0
    kept = np.flatnonzero(weight)
    weighted = gbdt.strategy().fit(gbdt.student(), X, targets, sample_weight=weight)
    dropped = gbdt.strategy().fit(
        gbdt.student(), X[kept], targets.take(kept), sample_weight=weight[kept]
    )
    np.testing.assert_array_equal(weighted.tempered_logits(X), dropped.tempered_logits(X))
    with pytest.raises(ValueError, match="Every sample_weight is 0"):
        gbdt.strategy().fit(gbdt.student(), X, targets, sample_weight=np.zeros(len(y)))


def test_native_route_honours_sample_weight(gbdt, binary_data, binary_teacher):
    X, y = binary_data
    model = DistilledClassifier(binary_teacher, gbdt.student(), alpha=0.5, random_state=0)
    plain = model.fit(X, y).predict_proba(X)
    weighted = model.fit(X, y, sample_weight=np.where(y == 1, 5.0, 1.0)).predict_proba(X)
    assert model.strategy_.training_objective_ == gbdt.native_objective
    assert weighted[:, 1].mean() > plain[:, 1].mean() + 0.05


def test_multiclass_and_tempered_hinton_keep_the_python_objective(
    gbdt, iris, iris_teacher, binary_data, binary_teacher
):
    X, y = iris
    model = DistilledClassifier(iris_teacher, gbdt.student(), temperature=2.0).fit(X, y)
    assert model.strategy_.training_objective_ == "custom"
    X, y = binary_data
    model = DistilledClassifier(
        binary_teacher, gbdt.student(), temperature=3.0, alpha=0.5,
        strategy=gbdt.strategy(loss="hinton"),
    ).fit(X, y)  # fmt: skip
    assert model.strategy_.training_objective_ == "custom"


def test_lightgbm_class_weight_on_the_native_route(binary_data, binary_teacher):
    pytest.importorskip("lightgbm")
    X, y = binary_data
    logits = np.log(binary_teacher.predict_proba(X))
    targets = SoftTargets(logits, y, np.array([0, 1]), 2.0, 0.7)
    student = LIGHTGBM.student(class_weight={0: 1.0, 1: 3.0})
    native = LightGBMStrategy().fit(student, X, targets)
    assert native.training_objective_ == "cross_entropy"
    assert student.class_weight == {0: 1.0, 1: 3.0}  # the user's, restored
    reference = LightGBMStrategy()
    reference._native_binary = lambda targets: False
    reference.fit(LIGHTGBM.student(class_weight={0: 1.0, 1: 3.0}), X, targets)
    np.testing.assert_allclose(
        native.tempered_logits(X), reference.tempered_logits(X), atol=1e-6
    )
    plain = LightGBMStrategy().fit(LIGHTGBM.student(), X, targets)
    assert native.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("lightgbm", {"objective": "binary"}),
        ("lightgbm", {"objective": "xentropy"}),
        ("xgboost", {"objective": "binary:logitraw"}),
    ],
)
def test_compatible_objective_of_the_user_is_accepted(
    name, params, binary_data, binary_teacher
):
    gbdt = next(f for f in FRAMEWORKS if f.name == name)
    pytest.importorskip(name)
    X, y = binary_data
    model = DistilledClassifier(binary_teacher, gbdt.student(**params)).fit(X, y)
    assert model.strategy_.training_objective_ == gbdt.native_objective
    assert model.score(X, y) > 0.85


@pytest.mark.parametrize(
    ("name", "params", "key"),
    [
        ("lightgbm", {"objective": "multiclassova"}, "objective"),
        ("lightgbm", {"objective": "regression"}, "objective"),
        ("lightgbm", {"loss": "binary"}, "loss"),
        ("lightgbm", {"objective": _DistillationLoss}, "objective"),
        ("xgboost", {"objective": "binary:hinge"}, "objective"),
        ("xgboost", {"objective": _DistillationLoss}, "objective"),
    ],
)
def test_other_objective_of_the_user_is_refused(
    name, params, key, binary_data, binary_teacher
):
    gbdt = next(f for f in FRAMEWORKS if f.name == name)
    pytest.importorskip(name)
    X, y = binary_data
    model = DistilledClassifier(binary_teacher, gbdt.student(**params))
    with pytest.raises(ValueError, match=rf"student's {key}=.*strategy='expand'"):
        model.fit(X, y)


# -- sklearn contracts ---------------------------------------------------------------


def test_grid_search_over_distillation_and_student_params(gbdt, iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(
        iris_teacher, gbdt.student(), strategy=gbdt.strategy(), random_state=0
    )
    grid = GridSearchCV(
        model,
        {
            "temperature": [1.0, 3.0],
            "alpha": [0.5, 0.9],
            "student__n_estimators": [5],
            f"student__{gbdt.leaves}": [4, 8],
            "strategy__loss": ["hinton"],
        },
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    assert grid.best_estimator_.teacher_ is iris_teacher
    assert grid.best_estimator_.student_.n_estimators == 5
    assert grid.best_score_ > 0.8


def test_auto_strategy_resolution(gbdt):
    regressor = getattr(gbdt.lib, gbdt.regressor)
    assert resolve_strategy("auto", gbdt.student()).name == gbdt.name
    assert resolve_strategy("auto", regressor()).name == "regress"
    assert gbdt.strategy.accepts(gbdt.student())
    assert not gbdt.strategy.accepts(LogisticRegression())


def test_wrong_student_is_a_type_error(gbdt, iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(iris_teacher, LogisticRegression(), strategy=gbdt.name)
    with pytest.raises(
        TypeError, match=re.escape(f"needs a {gbdt.name}.{gbdt.classifier}")
    ):
        model.fit(X, y)


def test_invalid_loss_is_rejected(gbdt, iris, iris_teacher):
    X, y = iris
    model = DistilledClassifier(
        iris_teacher, gbdt.student(), strategy=gbdt.strategy(loss="kl")
    )
    with pytest.raises(ValueError, match="loss"):
        model.fit(X, y)


def test_missing_framework_names_the_extra(gbdt, monkeypatch, iris, iris_teacher):
    X, y = iris
    student = gbdt.student()
    monkeypatch.setitem(sys.modules, gbdt.name, None)
    model = DistilledClassifier(iris_teacher, student)
    with pytest.raises(ImportError, match=rf"skdistill\[{gbdt.name}\]"):
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
