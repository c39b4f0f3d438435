"""Scorers: fidelity to the teacher and recall at a false-positive-rate budget."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill.report import (
    fidelity_score,
    fidelity_scorer,
    make_fidelity_scorer,
    make_recall_at_fpr_scorer,
    probability_fidelity,
    recall_at_fpr,
)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=900, n_features=8, n_informative=5, weights=[0.85], random_state=0
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def teacher(data):
    X_train, _, y_train, _ = data
    return RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)


@pytest.fixture(scope="module")
def model(data, teacher):
    X_train, _, y_train, _ = data
    student = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3), random_state=0
    )
    return student.fit(X_train, y_train)


def test_fidelity_scorer_compares_with_the_own_teacher_and_ignores_y(data, teacher, model):
    _, X_test, _, y_test = data
    expected = fidelity_score(teacher.predict(X_test), model.predict(X_test))
    assert fidelity_scorer(model, X_test, y_test) == expected
    assert fidelity_scorer(model, X_test) == expected
    assert fidelity_scorer(model, X_test, np.zeros_like(y_test)) == expected
    assert 0.7 < expected < 1.0
    weight = np.arange(len(y_test), dtype=float)
    assert fidelity_scorer(model, X_test, sample_weight=weight) == fidelity_score(
        teacher.predict(X_test), model.predict(X_test), sample_weight=weight
    )


@pytest.mark.parametrize("metric", ["mad", "kl"])
def test_probability_fidelity_scorers_are_negated(data, teacher, model, metric):
    _, X_test, _, _ = data
    value = getattr(
        probability_fidelity(teacher.predict_proba(X_test), model.predict_proba(X_test)),
        metric,
    )
    scorer = make_fidelity_scorer(metric)
    assert scorer(model, X_test) == -value < 0
    assert repr(scorer) == f"make_fidelity_scorer(metric={metric!r})"


def test_fidelity_scorer_in_a_pipeline_feeds_the_teacher_transformed_rows(data):
    X_train, X_test, y_train, _ = data
    scaler = StandardScaler().fit(X_train)
    teacher = LogisticRegression().fit(scaler.transform(X_train), y_train)
    pipe = make_pipeline(StandardScaler(), DistilledClassifier(teacher, random_state=0))
    pipe.fit(X_train, y_train)
    expected = fidelity_score(
        teacher.predict(scaler.transform(X_test)), pipe.predict(X_test)
    )
    assert fidelity_scorer(pipe, X_test) == expected > 0.8


def test_fidelity_scorer_errors(data, teacher):
    _, X_test, _, _ = data
    with pytest.raises(TypeError, match="needs a fitted DistilledClassifier.*RandomForest"):
        fidelity_scorer(teacher, X_test)
    with pytest.raises(ValueError, match="metric must be one of"):
        make_fidelity_scorer("agreement_rate")


def test_scorers_pickle_and_pass_check_scoring(model):
    for scorer in (fidelity_scorer, make_recall_at_fpr_scorer(0.05)):
        assert check_scoring(model, scoring=scorer) is scorer
        assert repr(pickle.loads(pickle.dumps(scorer))) == repr(scorer)


def test_recall_at_fpr_scorer_uses_the_decision_function(data):
    X_train, X_test, y_train, y_test = data
    clf = LogisticRegression().fit(X_train, y_train)
    scorer = make_recall_at_fpr_scorer(fpr=0.02)
    expected = recall_at_fpr(y_test, clf.decision_function(X_test), fpr=0.02)
    assert scorer(clf, X_test, y_test) == expected
    names = np.array(["legit", "fraud"])[y_train]
    named = LogisticRegression().fit(X_train, names)  # classes_: fraud, legit
    fraud = make_recall_at_fpr_scorer(fpr=0.02, pos_label="fraud")
    assert fraud(named, X_test, np.array(["legit", "fraud"])[y_test]) == pytest.approx(
        recall_at_fpr(y_test, -named.decision_function(X_test), fpr=0.02)
    )
    with pytest.raises(ValueError, match="fpr must be a rate"):
        make_recall_at_fpr_scorer(fpr=5)


def test_grid_search_selects_temperature_and_alpha_on_the_scorers(data, teacher):
    X_train, _, y_train, _ = data
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scoring = {"fidelity": fidelity_scorer, "recall@5%": make_recall_at_fpr_scorer(0.05)}
    search = GridSearchCV(
        DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3), random_state=0),
        {"temperature": [1.0, 4.0], "alpha": [0.0, 1.0]},
        scoring=scoring,
        refit="fidelity",
        cv=cv,
    ).fit(X_train, y_train)
    results = search.cv_results_
    assert search.best_index_ == int(np.argmax(results["mean_test_fidelity"]))
    assert search.best_estimator_.teacher_ is teacher
    # the fold scores are the scorers' values on the fold's held-out rows
    candidate = 1
    params = results["params"][candidate]
    train, test = next(cv.split(X_train, y_train))
    fitted = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3), random_state=0, **params
    ).fit(X_train[train], y_train[train])
    assert results["split0_test_fidelity"][candidate] == pytest.approx(
        fidelity_score(teacher.predict(X_train[test]), fitted.predict(X_train[test]))
    )
    assert results["split0_test_recall@5%"][candidate] == pytest.approx(
        recall_at_fpr(y_train[test], fitted.decision_function(X_train[test]), fpr=0.05)
    )
    # copying the teacher alone (alpha=1) is at least as faithful as hard labels
    alpha = np.asarray(results["param_alpha"], dtype=float)
    fidelity = results["mean_test_fidelity"]
    assert fidelity[alpha == 1.0].max() >= fidelity[alpha == 0.0].max()
