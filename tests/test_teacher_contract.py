"""The teacher is the user's object: used as is, kept through clone, never mutated."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier

pytestmark = pytest.mark.filterwarnings("ignore::skdistill.DistillationWarning")


@pytest.fixture(params=["forest", "hgb", "frozen_logistic"])
def teacher_and_data(request, cancer):
    X, y = cancer
    if request.param == "forest":
        teacher = RandomForestClassifier(n_estimators=15, random_state=0)
    elif request.param == "hgb":
        teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    else:
        fitted = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        return FrozenEstimator(fitted), X, y
    return teacher.fit(X, y), X, y


def _digest(teacher):
    return joblib.hash(pickle.dumps(teacher))


def test_fit_clone_and_grid_search_leave_teacher_untouched(teacher_and_data):
    teacher, X, y = teacher_and_data
    before = _digest(teacher)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(), random_state=0)
    model.fit(X, y)
    cloned = clone(model)
    search = GridSearchCV(
        model,
        {"temperature": [1.0, 3.0], "alpha": [0.0, 0.7], "student__max_depth": [2]},
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert _digest(teacher) == before
    assert model.teacher_ is teacher
    assert cloned.teacher is teacher and not hasattr(cloned, "student_")
    assert search.best_estimator_.teacher_ is teacher


def test_grid_search_equals_manual_loop(cancer):
    X, y = cancer
    teacher = RandomForestClassifier(n_estimators=15, random_state=0).fit(X, y)
    grid = {"temperature": [1.0, 4.0], "alpha": [0.0, 1.0], "student__max_depth": [2, 3]}
    base = DistilledClassifier(teacher, DecisionTreeClassifier(), random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(base, grid, cv=cv, n_jobs=2).fit(X, y)
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
    ):
        manual = [
            DistilledClassifier(teacher, DecisionTreeClassifier(), random_state=0)
            .set_params(**params)
            .fit(X[train], y[train])
            .score(X[test], y[test])
            for train, test in cv.split(X, y)
        ]
        assert score == pytest.approx(np.mean(manual))


def test_clone_of_fitted_distiller_keeps_teacher_reference(teacher_and_data):
    teacher, X, y = teacher_and_data
    model = DistilledClassifier(teacher).fit(X, y)
    cloned = clone(model)
    assert cloned.teacher is teacher
    assert not hasattr(cloned, "teacher_")
    assert cloned.get_params(deep=False).keys() == model.get_params(deep=False).keys()


def test_clone_of_unfitted_teacher_is_a_copy():
    teacher = LogisticRegression()
    cloned = clone(DistilledClassifier(teacher))
    assert cloned.teacher is not teacher
    assert cloned.teacher.get_params() == teacher.get_params()


def test_set_params_then_fit_equals_construction(cancer):
    X, y = cancer
    teacher = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    a = DistilledClassifier(teacher, DecisionTreeClassifier(), random_state=1)
    a.set_params(temperature=3.0, alpha=0.2, student__max_depth=3)
    b = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=3),
        temperature=3.0,
        alpha=0.2,
        random_state=1,
    )
    np.testing.assert_array_equal(
        a.fit(X, y).predict_proba(X), b.fit(X, y).predict_proba(X)
    )


def test_nested_set_params_refused_on_fitted_teacher(cancer):
    X, y = cancer
    teacher = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    model = DistilledClassifier(teacher)
    with pytest.raises(ValueError, match="teacher__max_depth.*used as is.*unfitted"):
        model.set_params(teacher__max_depth=2)
    assert teacher.max_depth is None
    # an unfitted teacher may be tuned
    model = DistilledClassifier(RandomForestClassifier(n_estimators=5))
    model.set_params(teacher__max_depth=2)
    assert model.teacher.max_depth == 2


def test_pickle_round_trip_predicts_identically(teacher_and_data):
    teacher, X, y = teacher_and_data
    model = DistilledClassifier(teacher, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_in_pipeline_and_cross_validate(cancer):
    """Inside a Pipeline, the distiller (and so the teacher) sees transformed data."""
    X, y = cancer
    scaler = StandardScaler().fit(X)
    teacher = LogisticRegression().fit(scaler.transform(X), y)
    before = _digest(teacher)
    pipe = make_pipeline(
        StandardScaler(), DistilledClassifier(teacher, temperature=2.0, random_state=0)
    )
    result = cross_validate(pipe, X, y, cv=3, return_estimator=True)
    assert result["test_score"].mean() > 0.85
    assert all(est[-1].teacher_ is teacher for est in result["estimator"])
    assert _digest(teacher) == before


def test_cross_validate_whole_procedure_with_unfitted_teacher(cancer):
    X, y = cancer
    model = DistilledClassifier(
        RandomForestClassifier(n_estimators=10, random_state=0), random_state=0
    )
    result = cross_validate(model, X, y, cv=3, return_estimator=True)
    teachers = [est.teacher_ for est in result["estimator"]]
    assert len({id(t) for t in teachers}) == 3
    assert not hasattr(model.teacher, "estimators_")
