"""serving_speed: each model timed on every serving path it can take, like for like."""

import importlib.util
import math
import shutil
import tempfile

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill.report import ServingSpeed, distillation_report, serving_speed

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

#: Whether compile_student can run here: a C compiler, treelite and tl2cgen.
HAS_COMPILER = bool(shutil.which("gcc") or shutil.which("clang")) and all(
    importlib.util.find_spec(name) for name in ("treelite", "tl2cgen")
)
#: The compiled path where a compiler is installed (else its reason is checked alone).
PATHS = ("sklearn", "native", "onnx", "compiled") if HAS_COMPILER else (
    "sklearn", "native", "onnx"
)  # fmt: skip


def _lightgbm(**params):
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1, **params)


def _xgboost(**params):
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=10, max_depth=3, **params)


def _voting():
    # flatten_transform at its default (True), which skl2onnx does not convert: the
    # export converts a copy without it (the option shapes transform() only)
    return VotingClassifier(
        [
            ("forest", RandomForestClassifier(n_estimators=5, random_state=0)),
            ("linear", make_pipeline(StandardScaler(), LogisticRegression())),
        ],
        voting="soft",
    )


#: Teachers and the paths each must be timed on (those that apply, by PATHS).
TEACHERS = {
    "forest": (
        lambda: RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0),
        {"sklearn", "onnx", "compiled"},
    ),
    "hist_gradient_boosting": (
        lambda: HistGradientBoostingClassifier(max_iter=10, random_state=0),
        {"sklearn", "compiled"},
    ),
    "lightgbm": (_lightgbm, {"sklearn", "native", "onnx", "compiled"}),
    "xgboost": (_xgboost, {"sklearn", "native", "onnx", "compiled"}),
    "voting": (_voting, {"sklearn", "onnx"}),
    "scaled_voting": (
        lambda: make_pipeline(StandardScaler(), _voting()),
        {"sklearn", "onnx"},
    ),
}


@pytest.fixture(scope="module")
def data(binary_data):
    X, y = binary_data
    return X[:200], y[:200], X[200:]


@pytest.mark.parametrize("name", list(TEACHERS), ids=list(TEACHERS))
def test_teachers_are_timed_on_the_paths_they_can_take(data, name):
    X, y, X_test = data
    make, expected = TEACHERS[name]
    teacher = make().fit(X, y)
    before = joblib.hash(teacher)
    speed = serving_speed(teacher, X_test, paths=PATHS, n_calls=5)
    assert isinstance(speed, ServingSpeed)
    assert expected & set(PATHS) <= set(speed.latency), speed.describe()
    assert set(speed.latency) | set(speed.unavailable) == set(PATHS)
    assert all(seconds > 0 for seconds in speed.latency.values())
    assert speed.fastest == min(speed.latency, key=speed.latency.get)
    if "native" not in expected:
        assert speed.unavailable["native"].endswith("is not a LightGBM or XGBoost model")
    assert joblib.hash(teacher) == before  # threads are set on copies, not on it


#: Students of a distiller and the paths each must be timed on.
STUDENTS = {
    "tree": (lambda: DecisionTreeClassifier(max_depth=4), {"sklearn", "onnx", "compiled"}),
    "linear_pipeline": (
        lambda: make_pipeline(StandardScaler(), LogisticRegression()),
        {"sklearn", "onnx"},
    ),
    "lightgbm": (_lightgbm, {"sklearn", "native", "onnx", "compiled"}),
}


@pytest.mark.parametrize("name", list(STUDENTS), ids=list(STUDENTS))
def test_distilled_students_are_served_with_their_head(data, name):
    X, y, X_test = data
    make, expected = STUDENTS[name]
    teacher = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    # temperature 2: ONNX and compiled must apply the map back to temperature 1
    model = DistilledClassifier(teacher, make(), temperature=2.0, random_state=0)
    model.fit(X, y)
    speed = serving_speed(model, X_test, paths=PATHS, n_calls=5)
    assert expected & set(PATHS) <= set(speed.latency), speed.describe()
    if name == "linear_pipeline" and HAS_COMPILER:
        assert "compile_student needs a tree model" in speed.unavailable["compiled"]


def test_the_onnx_path_it_times_predicts_like_predict_proba(data):
    """The check is real: the same export, run independently, agrees to 1e-5."""
    import onnxruntime as ort

    from skdistill.export import to_onnx

    X, y, X_test = data
    teacher = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    model = DistilledClassifier(teacher, temperature=3.0, random_state=0).fit(X, y)
    assert "onnx" in serving_speed(model, X_test, paths=("onnx",), n_calls=3).latency
    session = ort.InferenceSession(to_onnx(model, X_test[:2]).SerializeToString())
    proba = session.run(["probabilities"], {"X": X_test.astype(np.float32)})[0]
    assert np.abs(proba - model.predict_proba(X_test)).max() < 1e-5


class _Shifted(RandomForestClassifier):
    """A forest whose probabilities are not its trees': every other path disagrees."""

    def predict_proba(self, X):
        proba = super().predict_proba(X)
        return 0.9 * proba + 0.1 / proba.shape[1]


@pytest.mark.skipif(not HAS_COMPILER, reason="needs a C compiler, treelite and tl2cgen")
def test_a_path_that_predicts_differently_is_not_timed(data):
    X, y, X_test = data
    model = _Shifted(n_estimators=5, random_state=0).fit(X, y)
    speed = serving_speed(model, X_test, paths=("sklearn", "compiled"), n_calls=3)
    assert list(speed.latency) == ["sklearn"]
    reason = speed.unavailable["compiled"]
    assert "predicts differently from predict_proba" in reason
    assert "so it was not timed" in reason


def test_a_native_booster_that_predicts_differently_is_not_timed(data):
    lightgbm = pytest.importorskip("lightgbm")

    class Shifted(lightgbm.LGBMClassifier):
        def predict_proba(self, X, **kwargs):
            return 0.5 * super().predict_proba(X, **kwargs) + 0.25

    X, y, X_test = data
    model = Shifted(n_estimators=5, verbose=-1).fit(X, y)
    speed = serving_speed(model, X_test, paths=("native",), n_calls=3)
    assert speed.latency == {} and speed.fastest is None
    assert "predicts differently" in speed.unavailable["native"]
    assert math.isnan(speed.fastest_latency)


class _Majority(ClassifierMixin, BaseEstimator):
    """A custom classifier no converter knows."""

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.prior_ = counts / counts.sum()
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


@pytest.mark.parametrize(
    "model", [KNeighborsClassifier(), _Majority()], ids=["knn", "custom"]
)
def test_models_without_converters_say_why(data, model):
    X, y, X_test = data
    model.fit(X, y)
    speed = serving_speed(model, X_test, paths=PATHS, n_calls=3)
    assert "sklearn" in speed.latency
    assert speed.unavailable["native"] == (
        f"{type(model).__name__} is not a LightGBM or XGBoost model"
    )
    if HAS_COMPILER:
        assert speed.unavailable["compiled"].startswith("TypeError: Cannot compile")
    if isinstance(model, _Majority):
        assert speed.unavailable["onnx"].startswith("TypeError: skl2onnx has no converter")
    assert speed.describe().count("unavailable") == len(speed.unavailable)


def test_a_model_without_predict_proba_is_timed_through_sklearn_only(data):
    from sklearn.svm import LinearSVC

    X, y, X_test = data
    svm = LinearSVC().fit(X, y)
    speed = serving_speed(svm, X_test, paths=("sklearn", "onnx"), n_calls=3)
    assert list(speed.latency) == ["sklearn"]
    assert speed.unavailable["onnx"] == (
        "LinearSVC has no predict_proba to check the onnx path against"
    )


@pytest.mark.skipif(not HAS_COMPILER, reason="needs a C compiler, treelite and tl2cgen")
def test_large_models_are_not_compiled_unless_asked(data, monkeypatch, tmp_path):
    X, y, X_test = data
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    speed = serving_speed(
        forest, X_test, paths=("compiled",), n_calls=3, max_compile_nodes=10
    )
    assert speed.unavailable["compiled"].startswith("not compiled: ")
    assert "> max_compile_nodes=10" in speed.unavailable["compiled"]
    assert "max_compile_nodes=None" in speed.unavailable["compiled"]
    speed = serving_speed(
        forest, X_test, paths=("compiled",), n_calls=3, max_compile_nodes=None
    )
    assert list(speed.latency) == ["compiled"]
    assert list(tmp_path.iterdir()) == []  # the libraries went with their folder


def test_fastest_is_the_path_of_the_lowest_latency():
    speed = ServingSpeed({"sklearn": 2e-3, "onnx": 4e-5, "native": 6e-5}, {"compiled": "x"})
    assert speed.fastest == "onnx" and speed.fastest_latency == 4e-5
    assert speed.describe() == (
        "sklearn 2.000 ms; onnx 0.040 ms (fastest); native 0.060 ms; "
        "compiled unavailable: x"
    )
    assert ServingSpeed().fastest is None


def test_several_models_in_one_run(data):
    X, y, X_test = data
    models = {
        "forest": RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y),
        "tree": DecisionTreeClassifier(max_depth=3).fit(X, y),
    }
    speeds = serving_speed(models, X_test, paths="sklearn", n_calls=10)
    assert list(speeds) == ["forest", "tree"]
    assert speeds["tree"].latency["sklearn"] < speeds["forest"].latency["sklearn"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"paths": ("sklearn", "gpu")}, r"Unknown serving paths \['gpu'\]"),
        ({"paths": ()}, "paths is empty"),
        ({"n_calls": 0}, "n_calls must be a positive integer"),
        ({"max_compile_nodes": -1}, "max_compile_nodes must be a non-negative integer"),
    ],
)
def test_bad_arguments_say_what_to_pass(data, kwargs, match):
    X, y, X_test = data
    tree = DecisionTreeClassifier(max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match=match):
        serving_speed(tree, X_test, **kwargs)


def test_report_gives_both_speedups_and_the_paths(data):
    X, y, X_test = data
    y_test = (X_test[:, 0] > 0).astype(int)  # labels do not matter for the speeds
    teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    student = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
    student.fit(X, y)
    report = distillation_report(
        teacher, {"tree": student}, X_test, y_test, latency_calls=5
    )
    teacher_row, row = report
    assert teacher_row["fastest_path"] in teacher_row["serving"]
    assert teacher_row["serving"]["native"] == (
        "unavailable: RandomForestClassifier is not a LightGBM or XGBoost model"
    )
    assert set(row["serving"]) == {"sklearn", "native", "onnx"}
    assert row["fastest_latency_ms"] == min(
        v for v in row["serving"].values() if not isinstance(v, str)
    )
    assert row["speedup_fastest"] == pytest.approx(
        teacher_row["fastest_latency_ms"] / row["fastest_latency_ms"]
    )
    assert row["speedup_sklearn"] == pytest.approx(
        teacher_row["latency_ms"] / row["latency_ms"]
    )
    text = report.to_text()
    assert "faster (sklearn)" in text and "faster (fastest paths)" in text

    sklearn_only = distillation_report(
        teacher, {"tree": student}, X_test, y_test, latency_calls=5, serving_paths=None
    )
    for line in sklearn_only:
        assert line["fastest_path"] == "sklearn" and list(line["serving"]) == ["sklearn"]
        assert line["speedup_fastest"] == line["speedup_sklearn"]


def test_native_path_of_a_student_whose_map_is_applied_at_predict_is_not_timed(data):
    # The expand strategy cannot write the map back to temperature 1 into a LightGBM
    # booster, so the distiller applies it at predict time: the booster alone does
    # not serve what the distiller returns, and the native path must say so.
    X, y, X_test = data
    teacher = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    model = DistilledClassifier(
        teacher, _lightgbm(), strategy="expand", temperature=3.0, alpha=1.0, random_state=0
    ).fit(X, y)
    assert model.strategy_._maps_output()
    speed = serving_speed(model, X_test, paths=("sklearn", "native"), n_calls=5)
    assert "native" not in speed.latency
    assert "predicts differently" in speed.unavailable["native"]
