"""Displays, drawn with the non-interactive Agg backend; their artists are checked."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from sklearn.datasets import load_iris, make_classification  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    average_precision_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from skdistill import DistilledClassifier  # noqa: E402
from skdistill.report import (  # noqa: E402
    DistillationSearchDisplay,
    FidelityDisplay,
    LossCurveDisplay,
    ReliabilityDisplay,
    TeacherStudentCurveDisplay,
    expected_calibration_error,
    fidelity_score,
)
from skdistill.report._metrics import calibration_bins  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=800, n_features=8, n_informative=5, weights=[0.8], random_state=0
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def teacher(data):
    X_train, _, y_train, _ = data
    return RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)


@pytest.fixture(scope="module")
def students(data, teacher):
    X_train, _, y_train, _ = data
    distilled = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=4), random_state=0
    )
    hard = DecisionTreeClassifier(max_depth=4, random_state=0)
    return {
        "distilled": distilled.fit(X_train, y_train),
        "hard": hard.fit(X_train, y_train),
    }


@pytest.fixture(scope="module")
def search(data, teacher):
    X_train, _, y_train, _ = data
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3), random_state=0
    )
    grid = {"temperature": [1.0, 3.0, 10.0], "alpha": [0.0, 0.5, 1.0]}
    return GridSearchCV(model, grid, cv=3, scoring="roc_auc").fit(X_train, y_train)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    student = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=2), random_state=0
    )
    return X, y, teacher, student.fit(X, y)


def _save(display, tmp_path):
    path = tmp_path / "display.png"
    display.figure_.savefig(path)
    assert path.stat().st_size > 5000


# -- what from_estimator draws: one form of input after another ------------------------

_DISPLAYS = {
    "curves": TeacherStudentCurveDisplay,
    "reliability": ReliabilityDisplay,
}


def _title_start(display_name):
    return "ROC curves" if display_name == "curves" else "Reliability diagram"


@pytest.fixture(scope="module")
def in_pipeline(data):
    """A distiller behind a scaler: its teacher (fitted inside) sees scaled rows."""
    X_train, _, y_train, _ = data
    distiller = DistilledClassifier(
        LogisticRegression(), DecisionTreeClassifier(max_depth=3), random_state=0
    )
    return make_pipeline(StandardScaler(), distiller).fit(X_train, y_train)


@pytest.fixture(scope="module")
def forms(teacher, students, search, in_pipeline):
    """``(estimator, keyword arguments, names drawn, the fitted models drawn)``."""
    distilled, hard = students["distilled"], students["hard"]
    tree = "distilled DecisionTreeClassifier"
    return {
        "single distiller": (distilled, {}, ["teacher", tree], [teacher, distilled]),
        "list": (
            [distilled, hard],
            {},
            ["teacher", tree, "DecisionTreeClassifier"],
            [teacher, distilled, hard],
        ),
        "list with names": (
            [distilled, hard],
            {"name": ["soft", "hard"], "teacher_name": "forest"},
            ["forest", "soft", "hard"],
            [teacher, distilled, hard],
        ),
        "dict": (
            students,
            {},
            ["teacher", "distilled", "hard"],
            [teacher, *students.values()],
        ),
        "search": (search, {}, ["teacher", tree], [teacher, search]),
        "frozen distiller": (
            FrozenEstimator(distilled),
            {},
            ["teacher", tree],
            [teacher, distilled],
        ),
        "pipeline": (in_pipeline, {}, ["teacher", tree], [None, in_pipeline]),
        "explicit teacher": (
            hard,
            {"teacher": teacher},
            ["teacher", "DecisionTreeClassifier"],
            [teacher, hard],
        ),
        "no teacher": (distilled, {"teacher": None}, [tree], [distilled]),
        "shared teacher drawn once": (
            {"distilled": distilled, "searched": search},
            {},
            ["teacher", "distilled", "searched"],
            [teacher, distilled, search],
        ),
    }


FORMS = [
    "single distiller",
    "list",
    "list with names",
    "dict",
    "search",
    "frozen distiller",
    "pipeline",
    "explicit teacher",
    "no teacher",
    "shared teacher drawn once",
]


def _probabilities(model, X, in_pipeline):
    """``predict_proba`` of a drawn model (None: the pipeline's inner teacher)."""
    if model is None:
        return in_pipeline[-1].teacher_.predict_proba(in_pipeline[:-1].transform(X))
    return model.predict_proba(X)


def _assert_drawn(line, display_name, y, proba):
    """``line`` is the ROC curve (or reliability line) of these probabilities."""
    if display_name == "curves":
        fpr, tpr, _ = roc_curve(y, proba[:, 1])
        expected = fpr, tpr
    else:
        frequency, mean_prob, _ = calibration_bins(y, proba[:, 1])
        expected = mean_prob, frequency
    np.testing.assert_allclose(line.get_xdata(), expected[0])
    np.testing.assert_allclose(line.get_ydata(), expected[1])


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("display_name", list(_DISPLAYS))
def test_from_estimator_draws_each_form(display_name, form, forms, data, in_pipeline):
    _, X_test, _, y_test = data
    estimator, kwargs, names, models = forms[form]
    display = _DISPLAYS[display_name].from_estimator(estimator, X_test, y_test, **kwargs)
    n_teachers = 0 if kwargs.get("teacher", "auto") is None else 1
    assert display.names == names and display.n_teachers == n_teachers
    assert len(display.lines_) == len(names)
    labels = [line.get_label().split(" (")[0] for line in display.lines_]
    assert labels == names
    colors = [line.get_color() for line in display.lines_]
    assert colors[:n_teachers] == ["black"] * n_teachers
    assert "black" not in colors[n_teachers:]
    title = _title_start(display_name)
    if n_teachers:
        title += ": teacher vs " + ("students" if len(names) > 2 else "student")
    assert display.ax_.get_title() == title
    for line, model in zip(display.lines_, models, strict=True):  # each model's numbers
        _assert_drawn(
            line, display_name, y_test, _probabilities(model, X_test, in_pipeline)
        )


@pytest.mark.parametrize("display_name", list(_DISPLAYS))
def test_students_of_different_teachers_show_each_teacher_once(
    display_name, data, students
):
    X_train, X_test, y_train, y_test = data
    other = LogisticRegression().fit(X_train, y_train)
    from_other = DistilledClassifier(
        other, DecisionTreeClassifier(max_depth=4), random_state=0
    ).fit(X_train, y_train)
    models = {
        "forest's": students["distilled"],
        "logistic's": from_other,
        "hard": students["hard"],
    }
    display = _DISPLAYS[display_name].from_estimator(models, X_test, y_test)
    assert display.names == [
        "teacher of forest's",
        "teacher of logistic's",
        "forest's",
        "logistic's",
        "hard",
    ]
    assert display.n_teachers == 2
    assert [line.get_linestyle() for line in display.lines_[:2]] == ["-", "--"]
    assert {line.get_color() for line in display.lines_[:2]} == {"black"}
    _assert_drawn(display.lines_[1], display_name, y_test, other.predict_proba(X_test))
    assert display.ax_.get_title().endswith(": teachers vs students")


def test_a_teacher_listed_as_a_student_is_drawn_once(data, teacher, students):
    X_train, X_test, y_train, y_test = data
    first = students["distilled"]
    second = DistilledClassifier(first, DecisionTreeClassifier(max_depth=2), random_state=0)
    second.fit(X_train, y_train)
    assert second.teacher_ is first
    display = TeacherStudentCurveDisplay.from_estimator(
        {"first": first, "second": second}, X_test, y_test
    )
    assert display.names == ["teacher", "first", "second"]  # teacher: the forest
    expected = roc_auc_score(y_test, teacher.predict_proba(X_test)[:, 1])
    assert display.areas[0] == pytest.approx(expected)


# -- TeacherStudentCurveDisplay -------------------------------------------------------


def test_roc_overlay(data, teacher, students, tmp_path):
    _, X_test, _, y_test = data
    display = TeacherStudentCurveDisplay.from_estimator(students, X_test, y_test)
    assert len(display.lines_) == 3 and display.ax_ is display.lines_[0].axes
    labels = [line.get_label() for line in display.lines_]
    auc = roc_auc_score(y_test, students["distilled"].predict_proba(X_test)[:, 1])
    assert (
        labels[0].startswith("teacher (AUC = ")
        and labels[1] == f"distilled (AUC = {auc:.3f})"
    )
    assert display.lines_[0].get_color() == "black"
    np.testing.assert_allclose(display.chance_level_.get_xydata(), [[0, 0], [1, 1]])
    assert display.ax_.get_xlabel() == "False positive rate (positive class: 1)"
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()][-1] == (
        "chance (AUC = 0.5)"
    )
    _save(display, tmp_path)


def test_pr_overlay_from_predictions(data, teacher, students, tmp_path):
    _, X_test, _, y_test = data
    scores = {name: m.predict_proba(X_test)[:, 1] for name, m in students.items()}
    fig, ax = plt.subplots()
    display = TeacherStudentCurveDisplay.from_predictions(
        y_test,
        scores,
        teacher_score=teacher.predict_proba(X_test)[:, 1],
        kind="pr",
        ax=ax,
    )
    assert display.ax_ is ax and display.figure_ is fig
    assert display.names == ["teacher", "distilled", "hard"]
    ap = average_precision_score(y_test, scores["hard"])
    assert display.lines_[2].get_label() == f"hard (AP = {ap:.3f})"
    assert display.chance_level_.get_ydata()[0] == pytest.approx(np.mean(y_test))
    assert display.ax_.get_xlabel().startswith("Recall")
    assert display.ax_.get_title() == "Precision-recall curves: teacher vs students"
    assert display.lines_[1].get_drawstyle() == "steps-post"
    _save(display, tmp_path)


def test_from_predictions_of_one_model_without_teacher(data, students):
    _, X_test, _, y_test = data
    score = students["hard"].predict_proba(X_test)[:, 1]
    display = TeacherStudentCurveDisplay.from_predictions(y_test, score, name="tree")
    assert display.names == ["tree"] and display.n_teachers == 0
    assert display.lines_[0].get_color() == "C0"
    assert display.ax_.get_title() == "ROC curves"
    unnamed = TeacherStudentCurveDisplay.from_predictions(y_test, score)
    assert unnamed.names == ["student"]


def test_curves_of_a_multiclass_problem_need_a_class(iris):
    X, y, teacher, student = iris
    with pytest.raises(ValueError, match="pos_label=<one class> for a one-vs-rest"):
        TeacherStudentCurveDisplay.from_estimator(student, X, y)
    display = TeacherStudentCurveDisplay.from_estimator(student, X, y, pos_label=2)
    assert display.areas[1] == pytest.approx(
        roc_auc_score(y == 2, student.predict_proba(X)[:, 2])
    )
    assert display.areas[0] == pytest.approx(
        roc_auc_score(y == 2, teacher.predict_proba(X)[:, 2])
    )
    assert display.lines_[1].get_label().startswith("distilled DecisionTreeClassifier (AUC")
    assert "(positive class: 2)" in display.ax_.get_ylabel()


def test_roc_of_a_student_without_probabilities_uses_its_decision_function(data, teacher):
    X_train, X_test, y_train, y_test = data
    svm = LinearSVC().fit(X_train, y_train)
    display = TeacherStudentCurveDisplay.from_estimator(
        [svm], X_test, y_test, teacher=teacher
    )
    assert display.areas[1] == pytest.approx(
        roc_auc_score(y_test, svm.decision_function(X_test))
    )


def test_curve_display_errors(data, teacher, students):
    _, X_test, _, y_test = data
    score = teacher.predict_proba(X_test)[:, 1]
    with pytest.raises(ValueError, match="kind must be 'roc' or 'pr'"):
        TeacherStudentCurveDisplay.from_predictions(y_test, score, kind="det")
    with pytest.raises(ValueError, match="curve_kwargs has 1 entries for 2 curves"):
        TeacherStudentCurveDisplay.from_predictions(
            y_test, score, teacher_score=score, curve_kwargs=[{}]
        )
    with pytest.raises(ValueError, match="'teacher' names a teacher and a student"):
        TeacherStudentCurveDisplay.from_predictions(
            y_test, {"teacher": score}, teacher_score=score
        )
    with pytest.raises(ValueError, match="the keys of the dict already name them"):
        TeacherStudentCurveDisplay.from_predictions(y_test, {"a": score}, name="b")


@pytest.mark.parametrize("per_curve", [True, False], ids=["list", "one dict"])
def test_curve_kwargs_override_the_styles(per_curve, data, students):
    _, X_test, _, y_test = data
    kwargs = (
        [{"color": "purple"}, None, {"linestyle": "--"}]
        if per_curve
        else {"linestyle": "--"}
    )
    display = TeacherStudentCurveDisplay.from_estimator(
        students, X_test, y_test, curve_kwargs=kwargs, plot_chance_level=False
    )
    assert display.lines_[2].get_linestyle() == "--" and display.chance_level_ is None
    if per_curve:
        assert display.lines_[0].get_color() == "purple"
        assert display.lines_[1].get_linestyle() == "-"
    else:
        assert {line.get_linestyle() for line in display.lines_} == {"--"}
        assert display.lines_[0].get_color() == "black"


# -- the errors of from_estimator ---------------------------------------------------------


def _precomputed(data, teacher):
    X_train, _, y_train, _ = data
    model = DistilledClassifier("precomputed", DecisionTreeClassifier(max_depth=2))
    logits = np.log(np.clip(teacher.predict_proba(X_train), 1e-6, 1))
    return model.fit(X_train, y_train, teacher_logits=logits)


def _estimator_errors(data, teacher, students):
    X_train, _, y_train, _ = data
    distilled, hard = students["distilled"], students["hard"]
    relabeled = DecisionTreeClassifier(max_depth=2).fit(X_train, y_train + 1)
    no_refit = GridSearchCV(
        DistilledClassifier(teacher, DecisionTreeClassifier()),
        {"alpha": [0.0, 1.0]},
        cv=2,
        refit=False,
    ).fit(X_train, y_train)
    return {
        "unfitted distiller": (
            [distilled, DistilledClassifier(teacher)],
            {},
            NotFittedError,
            r"The student 'DistilledClassifier' is not fitted\. Call fit\(X_train, "
            r"y_train\) on it before plotting",
        ),
        "unfitted teacher": (
            hard,
            {"teacher": RandomForestClassifier()},
            NotFittedError,
            "The teacher 'teacher' .* is not fitted",
        ),
        "no distiller to find a teacher": (
            [hard],
            {},
            ValueError,
            r"None of \['DecisionTreeClassifier'\] is a fitted distiller, so "
            r"teacher='auto' finds no teacher to draw\. Pass teacher=<fitted "
            r"classifier> .*, or teacher=None",
        ),
        "precomputed teacher": (
            _precomputed(data, teacher),
            {},
            ValueError,
            "distilled from precomputed teacher logits, so it has no teacher_ to "
            "draw. Pass teacher=<the fitted teacher>, or teacher=None",
        ),
        "mixed class sets": (
            [distilled, relabeled],
            {},
            ValueError,
            r"'DecisionTreeClassifier' predicts the classes \[1, 2\] but 'teacher' "
            r"predicts \[0, 1\]: .* Fit them on the same labels",
        ),
        "a regressor": (
            [distilled, LinearRegression().fit(X_train, y_train)],
            {},
            TypeError,
            "has no classes_: these plots compare classifiers",
        ),
        "not an estimator": (
            [distilled, "tree"],
            {},
            TypeError,
            "The student 'tree' is a str, not an estimator; pass fitted classifiers",
        ),
        "search without refit": (
            no_refit,
            {},
            ValueError,
            "fitted with refit=False, so it has no model to plot; fit the search "
            "with refit=True",
        ),
        "one name for a list": (
            [distilled, hard],
            {"name": "tree"},
            TypeError,
            r"name='tree' is one name for a list of 2 models; pass a list of names",
        ),
        "wrong number of names": (
            [distilled, hard],
            {"name": ["a"]},
            ValueError,
            r"name= gives 1 names for 2 model\(s\)",
        ),
        "names for a dict": (
            students,
            {"name": ["a", "b"]},
            ValueError,
            "the keys of the dict already name them",
        ),
        "student named like the teacher": (
            {"teacher": distilled},
            {},
            ValueError,
            "'teacher' names a teacher and a student; give the student another name",
        ),
        "unknown teacher option": (
            distilled,
            {"teacher": "own"},
            ValueError,
            "teacher='own' is not understood; pass teacher='auto'",
        ),
        "empty list": ([], {}, ValueError, "Expected at least one fitted classifier"),
    }


ESTIMATOR_ERRORS = [
    "unfitted distiller",
    "unfitted teacher",
    "no distiller to find a teacher",
    "precomputed teacher",
    "mixed class sets",
    "a regressor",
    "not an estimator",
    "search without refit",
    "one name for a list",
    "wrong number of names",
    "names for a dict",
    "student named like the teacher",
    "unknown teacher option",
    "empty list",
]


@pytest.fixture(scope="module")
def estimator_errors(data, teacher, students):
    return _estimator_errors(data, teacher, students)


@pytest.mark.parametrize("case", ESTIMATOR_ERRORS)
@pytest.mark.parametrize("display_name", list(_DISPLAYS))
def test_from_estimator_errors_name_the_fix(display_name, case, estimator_errors, data):
    _, X_test, _, y_test = data
    estimator, kwargs, error, match = estimator_errors[case]
    with pytest.raises(error, match=match):
        _DISPLAYS[display_name].from_estimator(estimator, X_test, y_test, **kwargs)


# -- ReliabilityDisplay -----------------------------------------------------------------


def test_reliability_diagram_binary(data, teacher, students, tmp_path):
    _, X_test, _, y_test = data
    display = ReliabilityDisplay.from_estimator(students, X_test, y_test, n_bins=5)
    assert len(display.lines_) == 3
    proba = students["distilled"].predict_proba(X_test)[:, 1]
    frequency, mean_prob, _ = calibration_bins(y_test, proba, n_bins=5)
    np.testing.assert_allclose(display.lines_[1].get_xdata(), mean_prob)
    np.testing.assert_allclose(display.lines_[1].get_ydata(), frequency)
    ece = expected_calibration_error(y_test, proba, n_bins=5)
    assert display.lines_[1].get_label() == f"distilled (ECE = {ece:.3f})"
    assert display.perfect_.get_label() == "perfectly calibrated"
    assert display.ax_.get_ylabel() == "Share of positives (positive class: 1)"
    assert display.ax_.get_title() == "Reliability diagram: teacher vs students"
    _save(display, tmp_path)


def test_reliability_diagram_multiclass_is_top_label(iris):
    X, y, teacher, student = iris
    display = ReliabilityDisplay.from_estimator({"tree": student}, X, y, n_bins=4)
    assert display.ax_.get_ylabel() == "Accuracy (share of right predictions)"
    ece = expected_calibration_error(y, student.predict_proba(X), n_bins=4)
    assert display.eces[1] == pytest.approx(ece)
    one_class = ReliabilityDisplay.from_estimator(student, X, y, pos_label=0)
    assert one_class.ax_.get_xlabel() == "Mean predicted probability (positive class: 0)"


def test_reliability_from_predictions(data, teacher, students):
    _, X_test, _, y_test = data
    proba = students["hard"].predict_proba(X_test)
    display = ReliabilityDisplay.from_predictions(
        y_test, {"hard": proba}, teacher_prob=teacher.predict_proba(X_test), n_bins=5
    )
    assert display.names == ["teacher", "hard"]
    assert display.eces[1] == pytest.approx(
        expected_calibration_error(y_test, proba, n_bins=5)
    )
    alone = ReliabilityDisplay.from_predictions(y_test, proba[:, 1], name="hard")
    assert alone.names == ["hard"] and alone.ax_.get_title() == "Reliability diagram"


@pytest.mark.parametrize("role", ["student", "teacher"])
def test_reliability_diagram_needs_probabilities(role, data, teacher, students):
    X_train, X_test, y_train, y_test = data
    svm = LinearSVC().fit(X_train, y_train)
    estimator, kwargs = (
        ([svm], {"teacher": teacher})
        if role == "student"
        else (students["hard"], {"teacher": svm})
    )
    missing = "'LinearSVC'" if role == "student" else "'teacher'"
    with pytest.raises(
        TypeError,
        match=rf"needs probabilities, but \[{missing}\] have no predict_proba\. Wrap "
        "such a model in sklearn.calibration.CalibratedClassifierCV",
    ):
        ReliabilityDisplay.from_estimator(estimator, X_test, y_test, **kwargs)


# -- FidelityDisplay -----------------------------------------------------------------


def test_fidelity_scatter(data, teacher, students, tmp_path):
    _, X_test, _, _ = data
    student = students["distilled"]
    display = FidelityDisplay.from_estimator(student, X_test, name="tree")
    teacher_pred, student_pred = teacher.predict(X_test), student.predict(X_test)
    agree = teacher_pred == student_pred
    same, different = display.scatter_
    assert len(same.get_offsets()) == agree.sum() > 0
    assert len(different.get_offsets()) == (~agree).sum() > 0
    np.testing.assert_allclose(
        different.get_offsets()[:, 0], teacher.predict_proba(X_test)[~agree, 1]
    )
    np.testing.assert_allclose(
        different.get_offsets()[:, 1], student.predict_proba(X_test)[~agree, 1]
    )
    assert display.agreement == fidelity_score(teacher_pred, student_pred)
    assert f"label agreement {display.agreement:.1%}" in display.text_.get_text()
    assert display.text_.get_text().startswith("Fidelity of tree to its teacher")
    assert same.get_label() == f"same label ({agree.sum():,} rows)"
    assert display.ax_.get_xlabel() == "Teacher: P(class 1)"
    np.testing.assert_allclose(display.diagonal_.get_xydata(), [[0, 0], [1, 1]])
    _save(display, tmp_path)


@pytest.mark.parametrize(
    "form", ["single distiller", "search", "pipeline", "explicit teacher"]
)
def test_fidelity_scatter_of_each_form(form, forms, data, in_pipeline):
    _, X_test, _, _ = data
    estimator, kwargs, names, (teacher, student) = forms[form]
    kwargs = {k: v for k, v in kwargs.items() if k == "teacher"}
    display = FidelityDisplay.from_estimator(estimator, X_test, **kwargs)
    np.testing.assert_allclose(
        display.teacher_prob, _probabilities(teacher, X_test, in_pipeline)[:, 1]
    )
    np.testing.assert_allclose(display.student_prob, student.predict_proba(X_test)[:, 1])
    assert display.text_.get_text().startswith(f"Fidelity of {names[1]} to its teacher")


def test_fidelity_scatter_multiclass_and_explicit_teacher(iris):
    X, y, teacher, student = iris
    display = FidelityDisplay.from_estimator(student, X)
    top = np.argmax(teacher.predict_proba(X), axis=1)
    np.testing.assert_allclose(
        display.student_prob, student.predict_proba(X)[np.arange(len(y)), top]
    )
    assert display.ax_.get_ylabel() == "Student: probability of the teacher's top class"
    tree = DecisionTreeClassifier(max_depth=1).fit(X, y)
    explicit = FidelityDisplay.from_estimator(tree, X, teacher=teacher, pos_label=2)
    np.testing.assert_allclose(explicit.teacher_prob, teacher.predict_proba(X)[:, 2])


FIDELITY_ERRORS = {
    "plain student": (
        lambda m: (m["hard"], {}),
        TypeError,
        r"DecisionTreeClassifier knows no teacher: it is not a fitted distiller, or "
        r"one fitted on precomputed logits\. .* teacher=<fitted classifier>",
    ),
    "precomputed teacher": (
        lambda m: (m["precomputed"], {}),
        TypeError,
        "DistilledClassifier knows no teacher",
    ),
    "a list": (
        lambda m: ([m["distilled"], m["hard"]], {}),
        TypeError,
        "shows one student; got a list of 2. Draw each on its own axes",
    ),
    "no teacher": (
        lambda m: (m["distilled"], {"teacher": None}),
        ValueError,
        "teacher=None leaves nothing to compare with. Pass teacher='auto'",
    ),
    "unfitted distiller": (
        lambda m: (DistilledClassifier(m["teacher"]), {}),
        NotFittedError,
        "is not fitted. Call fit",
    ),
    "teacher without probabilities": (
        lambda m: (m["hard"], {"teacher": m["svm"]}),
        TypeError,
        r"compares probabilities, but \['teacher'\] have no predict_proba",
    ),
    "other classes": (
        lambda m: (m["relabeled"], {"teacher": m["teacher"]}),
        ValueError,
        r"'DecisionTreeClassifier' predicts the classes \[1, 2\] but 'teacher'",
    ),
}


@pytest.mark.parametrize("case", list(FIDELITY_ERRORS))
def test_fidelity_scatter_errors_name_the_fix(case, data, teacher, students):
    X_train, X_test, y_train, _ = data
    models = {
        **students,
        "teacher": teacher,
        "precomputed": _precomputed(data, teacher),
        "svm": LinearSVC().fit(X_train, y_train),
        "relabeled": DecisionTreeClassifier(max_depth=2).fit(X_train, y_train + 1),
    }
    make, error, match = FIDELITY_ERRORS[case]
    estimator, kwargs = make(models)
    with pytest.raises(error, match=match):
        FidelityDisplay.from_estimator(estimator, X_test, **kwargs)


# -- DistillationSearchDisplay --------------------------------------------------------


def test_search_heatmap(search, tmp_path):
    display = DistillationSearchDisplay.from_estimator(search)
    results = search.cv_results_
    for row, params in enumerate(results["params"]):
        i = [0.0, 0.5, 1.0].index(params["alpha"])
        j = [1.0, 3.0, 10.0].index(params["temperature"])
        assert display.scores[i, j] == results["mean_test_score"][row]
    np.testing.assert_allclose(display.image_.get_array(), display.scores)
    best = search.best_params_
    i, j = [0.0, 0.5, 1.0].index(best["alpha"]), [1.0, 3.0, 10.0].index(best["temperature"])
    assert isinstance(display.best_marker_, Rectangle)
    assert display.best_marker_.get_xy() == (j - 0.5, i - 0.5)
    ticks = [t.get_text() for t in display.ax_.get_yticklabels()]
    assert ticks == ["0 (hard labels)", "0.5", "1"]
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["1", "3", "10"]
    assert display.colorbar_.ax.get_ylabel() == "mean CV roc_auc"
    assert f"({search.best_score_:.4f})" in display.ax_.get_title()
    assert len(display.ax_.texts) == 9  # every cell annotated
    _save(display, tmp_path)


def test_search_lines(search):
    display = DistillationSearchDisplay.from_estimator(search, kind="lines")
    assert display.image_ is None and len(display.lines_) == 3
    assert display.baseline_ is display.lines_[0]
    assert display.baseline_.get_label() == "alpha = 0 (hard labels)"
    assert display.baseline_.get_linestyle() == "--"
    np.testing.assert_allclose(display.lines_[2].get_xdata(), [1, 3, 10])
    np.testing.assert_allclose(display.lines_[2].get_ydata(), display.scores[2])
    best = search.best_params_
    assert display.best_marker_.get_xdata()[0] == best["temperature"]
    assert display.best_marker_.get_ydata()[0] == pytest.approx(search.best_score_)
    assert display.ax_.get_xscale() == "log"


def test_search_over_alpha_in_a_pipeline_slices_through_the_best(data):
    X_train, _, y_train, _ = data
    teacher = LogisticRegression().fit(X_train, y_train)
    pipe = make_pipeline(
        StandardScaler(),
        DistilledClassifier(
            teacher, DecisionTreeClassifier(), temperature=2.0, random_state=0
        ),
    )
    grid = {
        "distilledclassifier__alpha": [0.0, 0.5, 1.0],
        "distilledclassifier__student__max_depth": [1, 3],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)
    display = DistillationSearchDisplay.from_estimator(search)
    assert display.image_ is None and display.temperatures.tolist() == [2.0]
    depth = search.best_params_["distilledclassifier__student__max_depth"]
    results = search.cv_results_
    at_best_depth = (
        np.asarray(results["param_distilledclassifier__student__max_depth"]) == depth
    )
    np.testing.assert_allclose(
        display.scores[:, 0], results["mean_test_score"][at_best_depth]
    )
    np.testing.assert_allclose(display.lines_[0].get_xdata(), [0.0, 0.5, 1.0])
    assert display.baseline_.get_label() == "hard labels (alpha=0)"
    assert display.baseline_.get_ydata()[0] == display.scores[0, 0]
    assert display.lines_[0].get_label() == "temperature = 2"
    assert display.ax_.get_xlabel().startswith("alpha")


def test_search_with_several_scorers_and_errors(data, teacher):
    X_train, _, y_train, _ = data
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=2), random_state=0
    )
    search = GridSearchCV(
        model,
        {"alpha": [0.0, 1.0], "temperature": [1.0, 2.0]},
        scoring={"acc": "accuracy", "ap": "average_precision"},
        refit="ap",
        cv=2,
    ).fit(X_train, y_train)
    display = DistillationSearchDisplay.from_estimator(search)
    assert display.score_name == "ap"
    assert display.scores.max() == pytest.approx(search.best_score_)
    acc = DistillationSearchDisplay.from_estimator(search, metric="acc")
    assert acc.scores.max() == pytest.approx(search.cv_results_["mean_test_acc"].max())
    with pytest.raises(
        ValueError, match=r"no scorer 'f1'; pass metric= one of \['acc', 'ap'\]"
    ):
        DistillationSearchDisplay.from_estimator(search, metric="f1")
    plain = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(
        X_train, y_train
    )
    with pytest.raises(
        TypeError, match="has no DistilledClassifier; pass temperature_param"
    ):
        DistillationSearchDisplay.from_estimator(plain)
    with pytest.raises(ValueError, match="kind must be"):
        display.plot(kind="bars")


def test_search_from_cv_results_is_the_lower_level(search, data, teacher, tmp_path):
    from_search = DistillationSearchDisplay.from_estimator(search)
    display = DistillationSearchDisplay.from_cv_results(
        search.cv_results_, score_name="roc_auc", kind="lines"
    )
    np.testing.assert_array_equal(display.scores, from_search.scores)
    assert display.best == from_search.best and display.image_ is None
    assert display.ax_.get_ylabel() == "mean CV roc_auc"
    assert len(display.lines_) == 3
    _save(display, tmp_path)
    X_train, _, y_train, _ = data
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=2))
    over_depth = GridSearchCV(model, {"student__max_depth": [1, 2]}, cv=2)
    over_depth.fit(X_train, y_train)
    with pytest.raises(
        ValueError,
        match=r"varied neither 'temperature' nor 'alpha' \(it searched "
        r"\['student__max_depth'\]\)\. Pass temperature_param= and alpha_param=",
    ):
        DistillationSearchDisplay.from_cv_results(over_depth.cv_results_)


def test_search_display_needs_a_fitted_search(teacher, students):
    model = DistilledClassifier(teacher, DecisionTreeClassifier())
    unfitted = GridSearchCV(model, {"alpha": [0.0, 1.0]})
    with pytest.raises(NotFittedError, match="GridSearchCV is not fitted. Call fit"):
        DistillationSearchDisplay.from_estimator(unfitted)
    with pytest.raises(TypeError, match="plots a fitted search .* got DistilledClassifier"):
        DistillationSearchDisplay.from_estimator(students["distilled"])


# -- LossCurveDisplay ---------------------------------------------------------------


def test_loss_curve_of_gradient_boosting_student(data, teacher, tmp_path):
    X_train, _, y_train, _ = data
    student = GradientBoostingClassifier(n_estimators=15, max_depth=2, subsample=0.8)
    model = DistilledClassifier(teacher, student, random_state=0).fit(X_train, y_train)
    display = LossCurveDisplay.from_estimator(model)
    assert list(display.curves) == ["training (in-bag)", "out-of-bag"]
    np.testing.assert_allclose(display.lines_[0].get_ydata(), model.student_.train_score_)
    np.testing.assert_allclose(display.lines_[0].get_xdata(), np.arange(1, 16))
    best = int(np.argmin(model.student_.oob_scores_))
    assert display.best_marker_.get_xdata()[0] == best + 1
    assert display.ax_.get_title() == "Loss per iteration of GradientBoostingClassifier"
    _save(display, tmp_path)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_loss_curve_of_mlp_and_hist_gradient_boosting(data):
    X_train, _, y_train, _ = data
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=12, random_state=0).fit(
        X_train, y_train
    )
    display = LossCurveDisplay.from_estimator(
        make_pipeline(StandardScaler(), mlp), name="mlp"
    )
    np.testing.assert_allclose(display.lines_[0].get_ydata(), mlp.loss_curve_)
    assert display.ax_.get_xlabel() == "epoch" and display.best_marker_ is None
    hgb = HistGradientBoostingClassifier(
        max_iter=10, early_stopping=True, n_iter_no_change=50
    )
    hgb.fit(X_train, y_train)
    display = LossCurveDisplay.from_estimator(hgb)
    np.testing.assert_allclose(display.curves["training"], -hgb.train_score_[1:])
    np.testing.assert_allclose(display.curves["validation"], -hgb.validation_score_[1:])
    with pytest.raises(ValueError, match="only with early stopping"):
        LossCurveDisplay.from_estimator(
            HistGradientBoostingClassifier(max_iter=3, early_stopping=False).fit(
                X_train, y_train
            )
        )


def test_loss_curve_of_native_boosting_students(data, teacher):
    lightgbm = pytest.importorskip("lightgbm")
    xgboost = pytest.importorskip("xgboost")
    from skdistill.strategies import LightGBMStrategy, XGBoostStrategy

    X_train, _, y_train, _ = data
    lgbm = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=4, verbose=-1, n_jobs=1)
    model = DistilledClassifier(
        teacher, lgbm, strategy=LightGBMStrategy(early_stopping_rounds=5), random_state=0
    ).fit(X_train, y_train)
    display = LossCurveDisplay.from_estimator(model, name="LightGBM student")
    recorded = model.student_.evals_result_["valid_0"]["distillation_loss"]
    assert list(display.curves) == ["validation: distillation_loss"]
    np.testing.assert_allclose(display.lines_[0].get_ydata(), recorded)
    assert display.best_marker_.get_xdata()[0] == int(np.argmin(recorded)) + 1
    assert display.ax_.get_xlabel() == "boosting round"
    xgb = xgboost.XGBClassifier(n_estimators=20, max_depth=2, n_jobs=1)
    model = DistilledClassifier(
        teacher, xgb, strategy=XGBoostStrategy(early_stopping_rounds=5), random_state=0
    ).fit(X_train, y_train)
    display = LossCurveDisplay.from_estimator(model)
    assert list(display.curves) == ["validation: distillation_loss"]
    plain = DistilledClassifier(teacher, lgbm, random_state=0).fit(X_train, y_train)
    with pytest.raises(ValueError, match="record losses on evaluation sets only"):
        LossCurveDisplay.from_estimator(plain)


def test_loss_curve_of_a_skorch_student(data, teacher):
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    X_train, _, y_train, _ = data
    net = skorch.NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=8,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=4,
        verbose=0,
    )
    model = DistilledClassifier(teacher, net, random_state=0).fit(
        X_train.astype(np.float32), y_train
    )
    display = LossCurveDisplay.from_estimator(model)
    assert list(display.curves) == ["training", "validation"]
    np.testing.assert_allclose(
        display.curves["validation"], model.student_.history[:, "valid_loss"]
    )
    assert display.ax_.get_xlabel() == "epoch" and display.best_marker_ is not None


def test_loss_curve_needs_an_iterative_student(students, teacher):
    with pytest.raises(
        TypeError, match="DecisionTreeClassifier records no loss per iteration"
    ):
        LossCurveDisplay.from_estimator(students["distilled"])
    unfitted = DistilledClassifier(teacher, GradientBoostingClassifier())
    with pytest.raises(NotFittedError, match="recorded no loss yet. Call fit"):
        LossCurveDisplay.from_estimator(unfitted)


@pytest.mark.parametrize(
    "draw",
    [
        lambda d: TeacherStudentCurveDisplay.from_estimator(d["students"], d["X"], d["y"]),
        lambda d: ReliabilityDisplay.from_predictions(d["y"], d["y"] * 0.5),
        lambda d: FidelityDisplay.from_estimator(d["students"]["distilled"], d["X"]),
        lambda d: DistillationSearchDisplay.from_estimator(d["search"]),
        lambda d: LossCurveDisplay.from_estimator(d["students"]["distilled"]),
    ],
    ids=["curves", "reliability", "fidelity", "search", "loss"],
)
def test_plot_without_matplotlib_names_the_extra(draw, monkeypatch, data, students, search):
    import sys

    _, X_test, _, y_test = data
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install \"skdistill\[plot\]\""):
        draw({"students": students, "X": X_test, "y": y_test, "search": search})
