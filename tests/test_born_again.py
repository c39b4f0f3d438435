"""BornAgainClassifier: the chain of generations, the validation split, the API."""

import math
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, get_scorer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import BornAgainClassifier, DistillationWarning, DistilledClassifier

pytestmark = pytest.mark.filterwarnings("ignore::skdistill.DistillationWarning")


class RecordingTree(DecisionTreeClassifier):
    """A tree that keeps a copy of the rows it was last fitted on."""

    def fit(self, X, y, sample_weight=None, check_input=True):
        self.fitted_rows_ = np.array(X, copy=True)
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300,
        n_features=8,
        n_informative=5,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X, y


def test_generation_chain(data):
    """Generation 0 learns the labels; generation k is distilled from k - 1, as is."""
    X, y = data
    hashes = {}

    def scorer(model, X_val, y_val):
        # Called right after each generation is fitted: its state at that moment.
        hashes[len(hashes)] = joblib.hash(model)
        return accuracy_score(y_val, model.predict(X_val))

    model = BornAgainClassifier(
        DecisionTreeClassifier(max_depth=3),
        n_generations=3,
        temperature=2.0,
        alpha=0.7,
        scoring=scorer,
        random_state=0,
    ).fit(X, y)

    assert len(model.generations_) == 4
    first = model.generations_[0]
    assert type(first) is DecisionTreeClassifier and first.get_depth() <= 3
    for k in range(1, 4):
        generation = model.generations_[k]
        assert isinstance(generation, DistilledClassifier)
        assert generation.teacher_ is model.generations_[k - 1]
        assert (generation.temperature, generation.alpha) == (2.0, 0.7)
        assert type(generation.student_) is DecisionTreeClassifier
        assert generation.student_.get_depth() <= 3
        assert generation.student_ is not getattr(model.generations_[k - 1], "student_", 0)
    # No generation changed after it was fitted (its successor used it as is).
    assert [joblib.hash(g) for g in model.generations_] == [hashes[k] for k in range(4)]
    np.testing.assert_array_equal(model.classes_, np.unique(y))
    assert model.n_features_in_ == X.shape[1]


def test_validation_scores_are_real(data):
    """Scores are those of each generation on the held-out, stratified rows."""
    X, y = data
    model = BornAgainClassifier(RecordingTree(max_depth=3), n_generations=2, random_state=0)
    model.fit(X, y)

    seen = model.generations_[0].fitted_rows_
    held_out = ~(X[:, None, :] == seen[None, :, :]).all(axis=2).any(axis=1)
    assert held_out.sum() == math.ceil(0.2 * len(X)) == len(X) - len(seen)
    # Stratified: each class keeps its share of the rows, to one row.
    for label in np.unique(y):
        assert abs((y[held_out] == label).sum() - 0.2 * (y == label).sum()) <= 1
    # No generation saw a held-out row.
    for generation in model.generations_[1:]:
        rows = generation.student_.fitted_rows_
        assert not (X[held_out][:, None, :] == rows[None, :, :]).all(axis=2).any()

    X_val, y_val = X[held_out], y[held_out]
    for k, generation in enumerate(model.generations_):
        expected = accuracy_score(y_val, generation.predict(X_val))
        assert model.validation_scores_[k] == pytest.approx(expected)
    np.testing.assert_array_equal(
        model.generation_results_["validation_score"], model.validation_scores_
    )
    np.testing.assert_array_equal(model.generation_results_["generation"], [0, 1, 2])
    assert np.all(model.generation_results_["fit_time"] > 0)


def test_scoring_by_name(data):
    X, y = data
    model = BornAgainClassifier(
        RecordingTree(max_depth=3), n_generations=1, scoring="neg_log_loss", random_state=0
    ).fit(X, y)
    seen = model.generations_[0].fitted_rows_
    held_out = ~(X[:, None, :] == seen[None, :, :]).all(axis=2).any(axis=1)
    scorer = get_scorer("neg_log_loss")
    expected = scorer(model.generations_[1], X[held_out], y[held_out])
    assert model.validation_scores_[1] == pytest.approx(expected)
    assert np.all(model.validation_scores_ <= 0)


def test_best_is_argmax_and_predicts(data):
    X, y = data
    model = BornAgainClassifier(
        DecisionTreeClassifier(max_depth=4),
        n_generations=3,
        temperature=3.0,
        random_state=1,
    ).fit(X, y)
    best = model.best_generation_
    scores = model.validation_scores_
    assert best == int(np.argmax(scores)) and scores[best] == scores.max()
    assert np.all(scores[:best] < scores[best])  # ties go to the earliest generation
    assert model.best_estimator_ is model.generations_[best]
    assert model.best_score_ == scores[best]
    np.testing.assert_array_equal(model.predict(X), model.best_estimator_.predict(X))
    np.testing.assert_allclose(
        model.predict_proba(X), model.best_estimator_.predict_proba(X)
    )
    assert model.score(X, y) == pytest.approx(model.best_estimator_.score(X, y))


def test_deterministic_with_random_state(data):
    X, y = data
    student = DecisionTreeClassifier(max_depth=4, max_features=0.5)  # random splits
    fits = [
        BornAgainClassifier(student, n_generations=2, random_state=seed).fit(X, y)
        for seed in (3, 3, 4, 5)
    ]
    np.testing.assert_array_equal(fits[0].validation_scores_, fits[1].validation_scores_)
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    for a, b in zip(fits[0].generations_[1:], fits[1].generations_[1:], strict=True):
        assert a.student_.random_state == b.student_.random_state
    # Another seed draws another split and other students.
    assert any(
        not np.array_equal(fits[0].predict_proba(X), other.predict_proba(X))
        for other in fits[2:]
    )
    # Generations get different seeds.
    states = [g.student_.random_state for g in fits[0].generations_[1:]]
    assert len(set(states)) == len(states)
    # n_generations extends the chain without changing its start (same split, seeds).
    longer = BornAgainClassifier(student, n_generations=4, random_state=3).fit(X, y)
    np.testing.assert_array_equal(longer.validation_scores_[:3], fits[0].validation_scores_)


def test_zero_generations(data):
    X, y = data
    model = BornAgainClassifier(
        LogisticRegression(max_iter=500), n_generations=0, random_state=0
    ).fit(X, y)
    assert len(model.generations_) == 1 and model.best_generation_ == 0
    assert type(model.best_estimator_) is LogisticRegression
    np.testing.assert_allclose(
        model.decision_function(X), model.best_estimator_.decision_function(X)
    )


def test_pipeline_student(data):
    X, y = data
    student = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model = BornAgainClassifier(student, n_generations=2, temperature=2.0, random_state=0)
    model.fit(X, y)
    assert model.generations_[2].teacher_ is model.generations_[1]
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.decision_function(X).shape == (len(X), 3)
    assert model.score(X, y) > 0.8
    assert student.named_steps["logisticregression"].__dict__.get("coef_") is None


def test_methods_follow_every_generation():
    """A tree has no decision_function, so neither has a chain that starts with one."""
    assert not hasattr(BornAgainClassifier(), "decision_function")
    assert hasattr(BornAgainClassifier(), "predict_proba")
    assert hasattr(BornAgainClassifier(LogisticRegression()), "decision_function")


def test_grid_search(data):
    X, y = data
    search = GridSearchCV(
        BornAgainClassifier(DecisionTreeClassifier(max_depth=3), random_state=0),
        {"n_generations": [0, 2], "temperature": [1.0, 4.0]},
        cv=3,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["n_generations"] in (0, 2)
    assert (
        len(search.best_estimator_.generations_) == search.best_params_["n_generations"] + 1
    )
    assert search.score(X, y) > 0.7


def test_external_teacher_used_as_is(data):
    X, y = data
    teacher = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    before = joblib.hash(teacher)
    model = BornAgainClassifier(
        DecisionTreeClassifier(max_depth=3),
        teacher=teacher,
        n_generations=2,
        random_state=0,
    )
    search = GridSearchCV(model, {"n_generations": [1, 2]}, cv=2).fit(X, y)
    model.fit(X, y)
    assert joblib.hash(teacher) == before
    assert search.best_estimator_.generations_[0].teacher_ is teacher
    assert isinstance(model.generations_[0], DistilledClassifier)
    assert model.generations_[0].teacher_ is teacher
    assert model.generations_[1].teacher_ is model.generations_[0]
    assert clone(model).teacher is teacher
    with pytest.raises(ValueError, match="fitted teacher RandomForestClassifier"):
        model.set_params(teacher__n_estimators=3)


def test_unfitted_teacher_and_regressor_student(data):
    """With a teacher, any student DistilledClassifier accepts works, a regressor too."""
    X, y = data
    teacher = LogisticRegression(max_iter=500)
    model = BornAgainClassifier(
        HistGradientBoostingRegressor(max_iter=10),
        teacher=teacher,
        n_generations=1,
        strategy="regress",
        random_state=0,
    ).fit(X, y)
    assert not hasattr(teacher, "coef_")
    first = model.generations_[0].teacher_
    assert first is not teacher and hasattr(first, "coef_")
    assert first.n_features_in_ == X.shape[1]
    assert model.predict_proba(X).shape == (len(X), 3)


def test_minus_one_is_a_label(data):
    """No unlabeled marker here: -1 is a class, with or without a teacher."""
    X, y = data
    y = np.where(y == 0, -1, 1)
    for teacher in (None, LogisticRegression(max_iter=500)):
        model = BornAgainClassifier(teacher=teacher, n_generations=1, random_state=0)
        model.fit(X, y)
        np.testing.assert_array_equal(model.classes_, [-1, 1])
        assert set(model.predict(X)) == {-1, 1}


def test_sample_weight(data):
    X, y = data
    kwargs = dict(n_generations=2, random_state=0)
    plain = BornAgainClassifier(DecisionTreeClassifier(max_depth=3), **kwargs).fit(X, y)
    ones = BornAgainClassifier(DecisionTreeClassifier(max_depth=3), **kwargs)
    ones.fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(plain.validation_scores_, ones.validation_scores_)
    weight = np.where(y == 0, 5.0, 1.0)
    weighted = BornAgainClassifier(DecisionTreeClassifier(max_depth=3), **kwargs)
    weighted.fit(X, y, sample_weight=weight)
    assert weighted.generations_[0].tree_.weighted_n_node_samples[0] > len(y)


def test_dataframe_and_pickle(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    model = BornAgainClassifier(n_generations=1, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(frame), model.predict(frame))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_generations": -1}, "n_generations"),
        ({"n_generations": 1.5}, "n_generations"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"temperature": 0}, "temperature"),
        ({"alpha": 1.5}, "alpha"),
        ({"scoring": "accuracy_typo"}, "scoring"),
        ({"strategy": "nope"}, "strategy"),
        ({"student": "tree"}, "student"),
    ],
)
def test_invalid_parameters(data, params, match):
    X, y = data
    with pytest.raises(InvalidParameterError, match=match):
        BornAgainClassifier(**params).fit(X, y)


def test_clear_errors(data):
    X, y = data
    with pytest.raises(TypeError, match="student must be a classifier.*teacher"):
        BornAgainClassifier(HistGradientBoostingRegressor()).fit(X, y)
    y_rare = y.copy()
    y_rare[0] = 7
    with pytest.raises(ValueError, match=r"Class\(es\) \[7\] .* single row"):
        BornAgainClassifier().fit(X, y_rare)
    with pytest.raises(ValueError, match="holds out 1 of 10 rows.*3 classes"):
        BornAgainClassifier(validation_fraction=0.1).fit(X[:10], [0, 1, 2, 0, 1] * 2)
    with pytest.raises(ValueError, match="only one class"):
        BornAgainClassifier().fit(X, np.zeros(len(X)))
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    y_unlabeled = np.where(np.arange(len(y)) % 5 == 0, -1, y)
    with pytest.raises(ValueError, match=r"contains \[-1\].*no unlabeled rows"):
        BornAgainClassifier(teacher=teacher, random_state=0).fit(X, y_unlabeled)
    with pytest.raises(NotFittedError):
        BornAgainClassifier().predict(X)
    model = BornAgainClassifier(n_generations=0, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(X[:, :3])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_digits_generations(digits):
    """Measured on digits: a depth-5 tree distilled from itself, several seeds."""
    X, y = digits
    gains = []
    for seed in range(3):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y
        )
        model = BornAgainClassifier(
            DecisionTreeClassifier(max_depth=5),
            n_generations=3,
            temperature=1.0,
            alpha=0.5,
            random_state=seed,
        ).fit(X_train, y_train)
        scores = model.validation_scores_
        assert model.validation_scores_[model.best_generation_] == scores.max()
        assert scores.min() > 0.55  # every generation learned digits, none collapsed
        tests = [generation.score(X_test, y_test) for generation in model.generations_]
        gains.append(tests[model.best_generation_] - tests[0])
    # Selecting on the validation split does not lose to generation 0 on test data
    # by more than noise (a few test rows).
    assert np.mean(gains) > -0.03


def test_one_hot_warning_passes_through(data):
    """An overfit generation gives one-hot targets; DistilledClassifier says so."""
    X, y = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        BornAgainClassifier(DecisionTreeClassifier(), n_generations=1, random_state=0).fit(
            X, y
        )
    assert any(issubclass(w.category, DistillationWarning) for w in caught)


# -- skorch students: generations of nets (issue 14 item 4) ------------------------------


def _linear_net():
    """A linear skorch net whose weights are drawn in fit (a module class, not an
    instance), so that random_state alone decides them."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from _nets import skorch_net

    return skorch_net(
        8,
        3,
        torch.nn.Linear,
        module__in_features=8,
        module__out_features=3,
        max_epochs=15,
        batch_size=32,
    )


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    return StandardScaler().fit_transform(X), np.array(["low", "mid", "high"])[y]


def _born_again_nets(seed, X, y, **params):
    model = BornAgainClassifier(
        _linear_net(), n_generations=2, temperature=2.0, random_state=seed, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        return model.fit(X, y)


@pytest.mark.parametrize("seed", [0, 1])
def test_skorch_student_generations(seed, three_classes):
    X, y = three_classes
    model = _born_again_nets(seed, X, y)
    first, *later = model.generations_
    # generation 0: the net on the labels alone, by the skorch strategy
    assert isinstance(first, DistilledClassifier) and first.alpha == 0.0
    assert first.strategy_.name == "skorch"
    for previous, generation in zip(model.generations_, later, strict=False):
        assert generation.teacher_ is previous and generation.strategy_.name == "skorch"
    # string labels come back as labels (a bare skorch net predicts indices)
    assert set(model.predict(X)) <= {"low", "mid", "high"}
    assert model.classes_.tolist() == ["high", "low", "mid"]
    assert accuracy_score(y, model.predict(X)) > 0.7
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    # every generation starts from its own seed: their weights differ
    weights = [g.student_.module_.weight.detach().numpy() for g in model.generations_]
    assert not np.allclose(weights[0], weights[1])
    again = _born_again_nets(seed, X, y)
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)


def test_skorch_student_seeds_and_weights(three_classes):
    X, y = three_classes
    first, other = _born_again_nets(0, X, y), _born_again_nets(1, X, y)
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))
    weight = np.where(y == "low", 3.0, 1.0)
    weighted = BornAgainClassifier(_linear_net(), n_generations=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        weighted.fit(X, y, sample_weight=weight)
    assert len(weighted.generations_) == 2
