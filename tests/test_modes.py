"""Distillation modes of DistilledClassifier: unlabeled rows, precomputed and cached
teacher outputs, several teachers, privileged features and cross-fitted targets."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import (
    UNLABELED,
    DistilledClassifier,
    TeacherEnsemble,
    compute_teacher_logits,
)
from skdistill._targets import softmax
from skdistill.transfer import MUNGE, FunctionSampler, GaussianJitter, resolve_transfer_set


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture(scope="module")
def teacher(data):
    return LogisticRegression(max_iter=1000).fit(*data)


class CountingTeacher(ClassifierMixin, BaseEstimator):
    """A fitted logistic regression that counts the rows it is asked to score."""

    calls = []  # shared by copies, as a cache test needs

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y):
        self.model_ = LogisticRegression(max_iter=1000).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        CountingTeacher.calls.append(len(X))
        return self.model_.predict_proba(X)


# -- unlabeled rows -----------------------------------------------------------------


def test_unlabeled_rows_get_the_teacher_targets_alone(data, teacher):
    X, y = data
    y_semi = y.copy()
    y_semi[::3] = UNLABELED
    model = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(),
        strategy="expand",
        alpha=0.5,
        unlabeled_label=UNLABELED,
        calibration_cv="train",  # an exact student: the map is the identity
        random_state=0,
    ).fit(X, y_semi)
    assert model.n_unlabeled_ == 100
    # labeled rows keep at least half of their label, unlabeled rows get the
    # teacher's targets (an unpruned tree fits its targets exactly).
    assert_array_equal(model.predict(X[1::3]), y[1::3])
    assert_array_equal(model.predict(X[::3]), teacher.predict(X[::3]))


@pytest.mark.parametrize("temperature", [1.0, 5.0])
def test_issue11_item3_alpha_zero_is_the_hard_label_student_with_unlabeled_rows(
    data, teacher, temperature
):
    """Rows only the teacher labels weigh ``alpha``: at 0 they are left out, and the
    student is the hard-label one on the labeled rows (no map, no jump at 0)."""
    X, y = data
    y_semi = np.where(np.arange(len(y)) % 5 == 0, y, UNLABELED)
    labeled = y_semi != UNLABELED
    model = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=4, random_state=0),
        temperature=temperature,
        alpha=0.0,
        unlabeled_label=UNLABELED,
        transfer_set="gaussian",
    ).fit(X, y_semi)
    hard = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X[labeled], y[labeled])
    assert model.n_transfer_ == 0
    assert model.strategy_.output_scale_ == 1.0
    assert_allclose(model.predict_proba(X), hard.predict_proba(X))
    # a little alpha: the unlabeled rows count a little, the map is fitted
    near = clone(model).set_params(alpha=0.01).fit(X, y_semi)
    assert near.n_transfer_ == 300
    assert np.mean(near.predict(X) == model.predict(X)) > 0.8


def test_unlabeled_rows_help_a_student_with_scarce_labels():
    """Digits, 15% of the labels: the teacher's answers on the rest help a tree."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    labeled = np.random.RandomState(0).rand(len(y_train)) < 0.15
    y_semi = np.where(labeled, y_train, UNLABELED)
    student = DecisionTreeClassifier(max_depth=8, random_state=0)
    hard = clone(student).fit(X_train[labeled], y_train[labeled]).score(X_test, y_test)
    model = DistilledClassifier(
        RandomForestClassifier(n_estimators=100),
        student,
        temperature=2.0,
        unlabeled_label=UNLABELED,
        random_state=0,
    ).fit(X_train, y_semi)
    # The teacher was fitted inside fit on the labeled rows only.
    assert model.teacher_.n_features_in_ == X.shape[1]
    assert sum(e.get_n_leaves() for e in model.teacher_.estimators_[:1]) <= labeled.sum()
    # Measured: 0.669 -> 0.785 (seed 0), +0.11 to +0.14 over three seeds.
    assert model.score(X_test, y_test) > hard + 0.05


def test_grid_search_with_unlabeled_rows_scores_the_labeled_ones(data, teacher):
    from skdistill.report import make_labeled_scorer

    X, y = data
    y_semi = np.where(np.arange(len(y)) % 3 == 0, y, UNLABELED)
    model = DistilledClassifier(teacher, unlabeled_label=UNLABELED, random_state=0)
    model.fit(X, y_semi)
    labeled = y_semi != UNLABELED
    assert model.score(X, y_semi) == pytest.approx(model.score(X[labeled], y[labeled]))
    for scoring in (None, make_labeled_scorer(), make_labeled_scorer("f1_macro")):
        search = GridSearchCV(
            DistilledClassifier(teacher, unlabeled_label=UNLABELED, random_state=0),
            {"alpha": [0.0, 1.0]},
            cv=StratifiedKFold(3),
            scoring=scoring,
        ).fit(X, y_semi)
        assert 0.5 < search.best_score_ <= 1.0


def test_scoring_only_unlabeled_rows_is_refused(data, teacher):
    from skdistill.report import make_labeled_scorer

    X, y = data
    model = DistilledClassifier(teacher, unlabeled_label=UNLABELED).fit(X, y)
    unlabeled = np.full(len(y), UNLABELED)
    with pytest.raises(ValueError, match="nothing to score"):
        model.score(X, unlabeled)
    with pytest.raises(ValueError, match="no labeled rows"):
        make_labeled_scorer("roc_auc_ovr")(model, X, unlabeled)


def test_teacher_fitted_inside_fit_sees_only_labeled_rows(data):
    X, y = data
    y_semi = np.where(np.arange(len(y)) % 2 == 0, y, UNLABELED)
    model = DistilledClassifier(
        KNeighborsClassifier(), unlabeled_label=UNLABELED, random_state=0
    ).fit(X, y_semi)
    assert model.teacher_.n_samples_fit_ == 150


def test_string_labels_with_a_string_marker(data, teacher):
    X, y = data
    names = np.array(["ant", "bee", "cat"], dtype=object)
    y_str = names[y]
    y_str[::4] = "?"
    teacher_str = LogisticRegression(max_iter=1000).fit(X, names[y])
    model = DistilledClassifier(teacher_str, unlabeled_label="?").fit(X, y_str)
    assert model.n_unlabeled_ == 75
    assert set(model.predict(X)) <= set(names)


def test_int_marker_among_string_labels(data, teacher):
    X, y = data
    names = np.array(["ant", "bee", "cat"], dtype=object)
    y_mixed = names[y]
    y_mixed[::5] = UNLABELED
    teacher_str = LogisticRegression(max_iter=1000).fit(X, names[y])
    model = DistilledClassifier(teacher_str, unlabeled_label=UNLABELED).fit(X, y_mixed)
    assert model.n_unlabeled_ == 60
    assert_array_equal(model.classes_, names)


def test_marker_that_is_a_class_of_the_fitted_teacher_is_a_label(data):
    X, y = data
    y_pm = np.where(y == 0, -1, y)
    teacher = LogisticRegression(max_iter=1000).fit(X, y_pm)
    model = DistilledClassifier(teacher, unlabeled_label=UNLABELED).fit(X, y_pm)
    assert model.n_unlabeled_ == 0
    assert_array_equal(model.classes_, [-1, 1, 2])


def test_issue11_item2_minus_one_is_a_label_unless_a_marker_is_given(data):
    """Labels {-1, 0, 1} keep their three classes by default (no silent unlabeled
    rows); the marker is an explicit opt-in."""
    X, y = data
    y_pm = y - 1  # {-1, 0, 1}
    model = DistilledClassifier(LogisticRegression(max_iter=1000), random_state=0)
    model.fit(X, y_pm)
    assert_array_equal(model.classes_, [-1, 0, 1])
    assert model.n_unlabeled_ == 0
    assert model.score(X, y_pm) == pytest.approx(np.mean(model.predict(X) == y_pm))
    # with the marker, a teacher fitted inside fit needs two labeled classes
    with pytest.raises(ValueError, match="unlabeled_label=None"):
        DistilledClassifier(LogisticRegression(), unlabeled_label=UNLABELED).fit(
            X, np.where(y_pm == 1, 1, -1)
        )


def test_issue11_item2_stray_minus_one_for_a_fitted_teacher_is_an_error(data, teacher):
    X, y = data
    y_stray = y.copy()
    y_stray[:3] = -1
    with pytest.raises(ValueError, match=r"label\(s\) -1 .*unlabeled_label=skdistill"):
        DistilledClassifier(teacher).fit(X, y_stray)
    model = DistilledClassifier(teacher, unlabeled_label=UNLABELED).fit(X, y_stray)
    assert model.n_unlabeled_ == 3


# -- transfer sets -------------------------------------------------------------------


@pytest.mark.parametrize("transfer_set", ["gaussian", "munge", "mixup", "minority"])
def test_transfer_rows_are_labeled_by_the_teacher_alone(data, teacher, transfer_set):
    X, y = data
    model = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(),
        strategy="expand",
        alpha=0.5,
        transfer_set=resolve_transfer_set(transfer_set).set_params(size=2.0),
        random_state=0,
    ).fit(X, y)
    assert model.n_transfer_ == 600
    # The student's training rows: 300 real and 600 generated, each expanded to
    # the teacher's 3 classes at most.
    assert model.strategy_.n_expanded_ <= (300 + 600) * 3
    same = clone(model).fit(X, y)
    assert_allclose(same.predict_proba(X), model.predict_proba(X))


def test_transfer_weight_balanced_gives_the_real_rows_half_the_weight(data, teacher):
    X, y = data

    class Recorder(DecisionTreeClassifier):
        totals = []

        def fit(self, X, y, sample_weight=None):
            Recorder.totals.append(float(np.sum(sample_weight)))
            return super().fit(X, y, sample_weight=sample_weight)

    transfer_set = GaussianJitter(size=900, weight="balanced")
    DistilledClassifier(
        teacher, Recorder(), transfer_set=transfer_set, alpha=1.0, random_state=0
    ).fit(X, y)
    # Expanded rows carry the row weight times the target: real 300, generated
    # 900 x 300 / 900 = 300 (the first fit is the student's; then the folds').
    assert Recorder.totals[0] == pytest.approx(600.0)


def test_transfer_size_zero_is_the_plain_distiller_and_can_be_searched(data, teacher):
    X, y = data
    plain = DistilledClassifier(teacher, random_state=0).fit(X, y)
    zero = DistilledClassifier(
        teacher, transfer_set=GaussianJitter(size=0), random_state=0
    ).fit(X, y)
    assert zero.n_transfer_ == 0
    assert_allclose(zero.predict_proba(X), plain.predict_proba(X))
    search = GridSearchCV(
        DistilledClassifier(teacher, transfer_set=MUNGE(), random_state=0),
        {"transfer_set__size": [0, 1.0], "transfer_set__p": [0.2, 0.5]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_["transfer_set__size"] in (0, 1.0)


def test_transfer_set_with_a_dataframe_and_a_callable(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    teacher = LogisticRegression(max_iter=1000).fit(frame, y)

    def shuffled_rows(X, n, random_state):
        return X.sample(n, replace=True, random_state=random_state)

    model = DistilledClassifier(
        teacher, transfer_set=FunctionSampler(shuffled_rows, size=50), random_state=0
    ).fit(frame, y)
    assert model.n_transfer_ == 50
    assert_array_equal(model.student_.feature_names_in_, frame.columns)


@pytest.mark.parametrize(
    "params, fit_kwargs, error, message",
    [
        ({"transfer_set": "smote"}, {}, ValueError, "transfer_set"),
        (
            {"transfer_set": GaussianJitter(size=-1)},
            {},
            ValueError,
            "'size' parameter of GaussianJitter must be",
        ),
        (
            {"teacher": "precomputed", "transfer_set": "gaussian"},
            "logits",
            ValueError,
            "Pass the teacher itself",
        ),
    ],
)
def test_transfer_set_errors(data, teacher, params, fit_kwargs, error, message):
    X, y = data
    if fit_kwargs == "logits":
        fit_kwargs = {"teacher_logits": compute_teacher_logits(teacher, X)}
    model = DistilledClassifier(**{"teacher": teacher, **params})
    with pytest.raises(error, match=message):
        model.fit(X, y, **fit_kwargs)


def test_transfer_set_refuses_sparse_X(data, teacher):
    from scipy import sparse

    X, y = data
    sparse_teacher = LogisticRegression(max_iter=1000).fit(sparse.csr_matrix(X), y)
    with pytest.raises(TypeError, match="sparse"):
        DistilledClassifier(sparse_teacher, transfer_set="gaussian").fit(
            sparse.csr_matrix(X), y
        )


# -- precomputed and cached teacher outputs ------------------------------------------


def test_precomputed_logits_give_the_same_student(data, teacher):
    X, y = data
    kwargs = dict(student=DecisionTreeClassifier(max_depth=4), temperature=3.0)
    direct = DistilledClassifier(teacher, random_state=0, **kwargs).fit(X, y)
    logits = compute_teacher_logits(teacher, X)
    for teacher_param in (teacher, "precomputed"):
        model = DistilledClassifier(teacher_param, random_state=0, **kwargs)
        model.fit(X, y, teacher_logits=logits)
        assert_allclose(model.predict_proba(X), direct.predict_proba(X))
    assert model.teacher_ is None
    assert model.response_method_ == "precomputed"


@pytest.mark.parametrize("batch_size", [7, 300])
@pytest.mark.parametrize("n_jobs", [None, 2])
def test_batched_and_parallel_labeling_equals_one_call(data, teacher, batch_size, n_jobs):
    X, _ = data
    expected = compute_teacher_logits(teacher, X)
    logits = compute_teacher_logits(teacher, X, batch_size=batch_size, n_jobs=n_jobs)
    assert_allclose(logits, expected)


def test_verbose_labeling_shows_progress(data, teacher, capsys):
    X, _ = data
    compute_teacher_logits(teacher, X, batch_size=100, verbose=1)
    err = capsys.readouterr().err
    assert "skdistill: teacher" in err and "3/3" in err


@pytest.mark.parametrize("routing", [False, True])
def test_grid_search_slices_precomputed_logits_per_fold(data, teacher, routing):
    import sklearn

    X, y = data
    logits = compute_teacher_logits(teacher, X)
    with sklearn.config_context(enable_metadata_routing=routing):
        model = DistilledClassifier("precomputed", DecisionTreeClassifier(max_depth=3))
        model.set_params(random_state=0)
        if routing:
            model.set_fit_request(teacher_logits=True)
        search = GridSearchCV(
            model, {"temperature": [1.0, 4.0], "alpha": [0.0, 1.0]}, cv=3
        ).fit(X, y, teacher_logits=logits)
    assert search.best_estimator_.teacher_ is None
    # Same folds, same answers as the teacher itself would give.
    reference = GridSearchCV(
        DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3), random_state=0),
        {"temperature": [1.0, 4.0], "alpha": [0.0, 1.0]},
        cv=3,
    ).fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"]
    )


def test_memory_asks_the_teacher_once_per_fold(data, tmp_path):
    X, y = data
    teacher = CountingTeacher().fit(X, y)
    grid = {"temperature": [1.0, 2.0, 4.0], "alpha": [0.5, 1.0]}
    cv = StratifiedKFold(3)

    def n_calls(memory):
        CountingTeacher.calls.clear()
        model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
        GridSearchCV(model.set_params(memory=memory), grid, cv=cv).fit(X, y)
        return len(CountingTeacher.calls)

    naive = n_calls(None)
    cached = n_calls(str(tmp_path))
    # Naive: 6 candidates x 3 folds + the refit; cached: 3 folds + the refit.
    assert naive == 19
    assert cached == 4
    assert n_calls(str(tmp_path)) == 0  # the cache persists across searches


def test_pickled_distiller_carries_the_teacher_fingerprint(data, tmp_path, monkeypatch):
    """Workers of GridSearchCV(n_jobs=...) get it with their copy: no hashing there."""
    import pickle

    from skdistill import _teacher

    X, y = data
    teacher = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    model = DistilledClassifier(teacher, memory=str(tmp_path))
    digest = _teacher.teacher_fingerprint(teacher)
    copy = pickle.loads(pickle.dumps(model))
    assert copy.teacher is not teacher

    def no_hashing(obj):
        raise AssertionError("the copy was hashed again")

    monkeypatch.setattr(_teacher.joblib, "hash", no_hashing)
    assert _teacher.teacher_fingerprint(copy.teacher) == digest
    copy.fit(X, y)  # uses the carried fingerprint
    # Without memory, nothing is carried.
    plain = pickle.loads(pickle.dumps(DistilledClassifier(teacher)))
    with pytest.raises(AssertionError, match="hashed again"):
        _teacher.teacher_fingerprint(plain.teacher)


def test_memory_key_changes_when_the_teacher_is_refitted(data, tmp_path):
    X, y = data
    teacher = LogisticRegression(C=0.01).fit(X, y)
    model = DistilledClassifier(teacher, alpha=1.0, memory=str(tmp_path), random_state=0)
    first = model.fit(X, y).predict_proba(X)
    teacher.set_params(C=100.0).fit(X, y)
    second = clone(model).fit(X, y).predict_proba(X)
    fresh = DistilledClassifier(teacher, alpha=1.0, random_state=0).fit(X, y)
    assert_allclose(second, fresh.predict_proba(X))
    assert not np.allclose(first, second)


def test_precomputed_errors(data, teacher):
    X, y = data
    with pytest.raises(ValueError, match="no teacher_logits"):
        DistilledClassifier("precomputed").fit(X, y)
    with pytest.raises(ValueError, match=r"shape \(300, 2\)"):
        DistilledClassifier(teacher).fit(X, y, teacher_logits=np.zeros((300, 2)))
    with pytest.raises(ValueError, match="NaN"):
        DistilledClassifier(teacher).fit(X, y, teacher_logits=np.full((300, 3), np.nan))


# -- several teachers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def two_teachers(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    linear = LogisticRegression(max_iter=1000).fit(X, y)
    return [("forest", forest), ("linear", linear)]


@pytest.mark.parametrize("averaging", ["logit", "proba"])
def test_teachers_are_averaged_with_their_weights(data, two_teachers, averaging):
    X, y = data
    weights = [1.0, 3.0]
    ensemble = TeacherEnsemble(two_teachers, weights=weights, averaging=averaging)
    model = DistilledClassifier(ensemble, alpha=1.0).fit(X, y)
    forest_logits = compute_teacher_logits(two_teachers[0][1], X)
    linear_logits = compute_teacher_logits(two_teachers[1][1], X)
    if averaging == "logit":
        expected = softmax(0.25 * forest_logits + 0.75 * linear_logits)
    else:
        expected = 0.25 * softmax(forest_logits) + 0.75 * softmax(linear_logits)
    assert_allclose(model.teacher_.predict_proba(X), expected, atol=1e-9)
    assert model.teacher_.named_teachers_["forest"] is two_teachers[0][1]
    # Fitted teachers stay the user's objects through clone; the weights can be tuned.
    assert clone(model).teacher.teachers[1][1] is two_teachers[1][1]
    search = GridSearchCV(
        model, {"teacher__weights": [[1, 0], [0, 1]]}, cv=2, error_score="raise"
    ).fit(X, y)
    assert search.best_estimator_.teacher_.named_teachers_["forest"] is two_teachers[0][1]
    assert ensemble.weights == weights  # the user's ensemble is not changed


def test_teachers_with_classes_in_another_order_are_aligned(data, two_teachers):
    X, y = data
    names = np.array(["c0", "c1", "c2"])
    y_rev = names[2 - y]  # same classes, other order of the label values
    one = LogisticRegression(max_iter=1000).fit(X, names[y])
    two = LogisticRegression(max_iter=1000).fit(X, y_rev)
    two.classes_ = two.classes_[::-1].copy()  # a teacher that lists them reversed
    two.coef_, two.intercept_ = two.coef_[::-1].copy(), two.intercept_[::-1].copy()
    ensemble = TeacherEnsemble([("a", one), ("b", two)])
    ensemble = DistilledClassifier(ensemble).fit(X, names[y]).teacher_
    assert_array_equal(ensemble.classes_, one.classes_)


def test_unfitted_teachers_in_a_list_are_fitted_on_the_labels(data):
    X, y = data
    teachers = [("lr", LogisticRegression(max_iter=1000)), ("knn", KNeighborsClassifier())]
    model = DistilledClassifier(TeacherEnsemble(teachers), random_state=0).fit(X, y)
    assert model.teacher.teachers[0][1] is teachers[0][1]
    assert not hasattr(teachers[0][1], "coef_")  # the user's objects are not fitted
    assert model.teacher_.named_teachers_["knn"].n_samples_fit_ == len(y)
    # a member's parameters are the distiller's (the unfitted ones can be tuned)
    model.set_params(teacher__knn__n_neighbors=3).fit(X, y)
    assert model.teacher_.named_teachers_["knn"].n_neighbors == 3


def test_fitted_member_parameters_cannot_be_set(data, two_teachers):
    model = DistilledClassifier(TeacherEnsemble(two_teachers))
    with pytest.raises(ValueError, match="'forest__n_estimators'.*fitted and used as is"):
        model.set_params(teacher__forest__n_estimators=5)


def test_a_list_of_teachers_names_the_ensemble(data, two_teachers):
    X, y = data
    with pytest.raises(TypeError, match=r"TeacherEnsemble\(\[\('gbm', gbm\)"):
        DistilledClassifier(two_teachers).fit(X, y)


@pytest.mark.parametrize(
    "teacher_list, weights, message",
    [
        ([], None, "non-empty list"),
        ([LogisticRegression()], None, r"\(name, estimator\) pairs"),
        ([("a", LogisticRegression()), ("a", LogisticRegression())], None, "unique"),
        ([("a", LogisticRegression())], [1.0, 2.0], "one weight per teacher"),
        ([("a", LogisticRegression())], [-1.0], "non-negative"),
    ],
)
def test_teacher_list_errors(data, teacher_list, weights, message):
    X, y = data
    with pytest.raises((ValueError, TypeError), match=message):
        DistilledClassifier(TeacherEnsemble(teacher_list, weights=weights)).fit(X, y)


def test_teachers_that_disagree_on_classes_are_refused(data):
    X, y = data
    three = LogisticRegression(max_iter=1000).fit(X, y)
    two = LogisticRegression(max_iter=1000).fit(X, y % 2)
    with pytest.raises(ValueError, match="disagree on the classes"):
        DistilledClassifier(TeacherEnsemble([("three", three), ("two", two)])).fit(X, y)


# -- privileged features -------------------------------------------------------------


def test_student_features_by_name_with_pandas(data, teacher):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    teacher = LogisticRegression(max_iter=1000).fit(frame, y)
    model = DistilledClassifier(teacher, student_features=["f0", "f2"]).fit(frame, y)
    assert_array_equal(model.student_.feature_names_in_, ["f0", "f2"])
    assert_array_equal(model.student_features_, [0, 2])
    # Serving: the student alone takes the cheap columns only.
    assert_allclose(
        model.student_.predict_proba(frame[["f0", "f2"]]), model.predict_proba(frame)
    )


@pytest.mark.parametrize("features", [[1, 3], [False, True, False, True, False, False]])
def test_student_features_by_position_or_mask(data, teacher, features):
    X, y = data
    model = DistilledClassifier(teacher, student_features=features).fit(X, y)
    assert model.student_.n_features_in_ == 2
    assert model.n_features_in_ == 6
    assert_allclose(model.predict_proba(X), model.student_.predict_proba(X[:, [1, 3]]))


def test_student_features_in_a_pipeline_and_a_grid_search(data, teacher):
    X, y = data
    pipe = make_pipeline(StandardScaler(), DistilledClassifier(LogisticRegression()))
    search = GridSearchCV(
        pipe, {"distilledclassifier__student_features": [[0], [0, 1, 2]]}, cv=3
    ).fit(X, y)
    assert search.best_estimator_[-1].student_.n_features_in_ in (1, 3)


@pytest.mark.parametrize(
    "features, message",
    [
        (["nope"], "has none"),
        ([7], "outside"),
        ([True, False], "boolean mask of length 2"),
        ([0, 0], "repeats"),
        ([], "non-empty"),
    ],
)
def test_student_features_errors(data, teacher, features, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        DistilledClassifier(teacher, student_features=features).fit(X, y)


# -- cross-fitted teacher ------------------------------------------------------------


def test_teacher_cv_gives_out_of_fold_targets(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=30, random_state=0)
    # (the map to temperature 1 fitted on the training rows follows the targets)
    kwargs = dict(alpha=1.0, calibration_cv="train", random_state=0)
    in_sample = DistilledClassifier(forest, **kwargs).fit(X, y)
    cross = DistilledClassifier(forest, teacher_cv=3, **kwargs)
    cross.fit(X, y)
    # A forest is nearly certain on its own training rows, less so out of fold.
    top_in = in_sample.predict_proba(X).max(axis=1).mean()
    top_cross = cross.predict_proba(X).max(axis=1).mean()
    assert top_cross < top_in - 0.05
    search = GridSearchCV(cross, {"teacher_cv": [None, 3]}, cv=2).fit(X, y)
    assert search.best_params_["teacher_cv"] in (None, 3)


@pytest.mark.parametrize("framework", ["lightgbm", "xgboost"])
def test_teacher_cv_with_native_margins(data, framework):
    """The folds' teachers resolve their own margins (raw_score, output_margin)."""
    module = pytest.importorskip(framework)
    X, y = data
    teacher = (
        module.LGBMClassifier(n_estimators=10, verbose=-1)
        if framework == "lightgbm"
        else module.XGBClassifier(n_estimators=10)
    )
    model = DistilledClassifier(teacher, teacher_cv=3, random_state=0).fit(X, y)
    assert model.response_method_ in ("raw_score", "output_margin")


def test_teacher_cv_leaves_the_teachers_outputs_alone(data):
    class Remembering(LogisticRegression):
        def decision_function(self, X):
            self.last_ = super().decision_function(X)
            return self.last_

    X, y = data
    model = DistilledClassifier(Remembering(max_iter=1000), teacher_cv=3).fit(X, y)
    expected = LogisticRegression.decision_function(model.teacher_, X)
    assert_allclose(model.teacher_.last_, expected)


def test_teacher_cv_needs_a_teacher_fitted_inside_fit(data, teacher):
    X, y = data
    with pytest.raises(ValueError, match="teacher_cv"):
        DistilledClassifier(teacher, teacher_cv=3).fit(X, y)
