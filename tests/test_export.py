"""ONNX export and compiled students: parity with the distiller per student kind."""

import shutil
import warnings
from functools import cache

import numpy as np
import pytest
from _nets import skorch_net
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistillationWarning, DistilledClassifier, DistilledRegressor
from skdistill.strategies import LightGBMStrategy, RegressStrategy

#: Temperature and alpha of each parity recipe (id: (temperature, alpha)).
RECIPES = {"T1-a0.5": (1.0, 0.5), "T4-a0.5": (4.0, 0.5), "T4-a1": (4.0, 1.0)}

#: (data, recipe) cases: every recipe on three classes, one on two classes.
CASES = [("multiclass", recipe) for recipe in RECIPES] + [("binary", "T4-a0.5")]


def _lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=8, num_leaves=4, verbose=-1)


def _xgboost():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=8, max_depth=2, n_jobs=1)


#: Student kinds: id -> (student factory(n_features, n_classes), strategy, strategy name).
STUDENTS = {
    "tree": (lambda f, k: DecisionTreeClassifier(max_depth=3), "auto", "expand"),
    "pipeline-logistic": (
        lambda f, k: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        "auto",
        "expand",
    ),
    "regress-logit": (lambda f, k: DecisionTreeRegressor(max_depth=3), "auto", "regress"),
    "regress-proba": (
        lambda f, k: DecisionTreeRegressor(max_depth=3),
        RegressStrategy(target="proba"),
        "regress",
    ),
    "lightgbm": (lambda f, k: _lightgbm(), "auto", "lightgbm"),
    "lightgbm-hinton": (
        lambda f, k: _lightgbm(),
        LightGBMStrategy(loss="hinton"),
        "lightgbm",
    ),
    "xgboost": (lambda f, k: _xgboost(), "auto", "xgboost"),
    "skorch": (skorch_net, "auto", "skorch"),
}

#: Kinds whose student is made of trees, for compile_student.
TREE_STUDENTS = ["tree", "regress-logit", "regress-proba", "lightgbm", "xgboost"]


def _data(name):
    if name == "binary":
        X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    else:
        X, y = load_iris(return_X_y=True)
    # values exactly representable in float32, the precision of ONNX inputs
    return X.astype(np.float32).astype(np.float64), y


@cache
def _distilled(kind, data, recipe):
    """A fitted distiller (shared by the ONNX and compile tests, which only read it)."""
    X, y = _data(data)
    factory, strategy, name = STUDENTS[kind]
    temperature, alpha = RECIPES[recipe]
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    model = DistilledClassifier(
        teacher,
        factory(X.shape[1], len(np.unique(y))),
        temperature=temperature,
        alpha=alpha,
        strategy=strategy,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        model.fit(X, y)
    assert model.strategy_.name == name
    return model, X


def _assert_parity(model, X, proba, label):
    expected = model.predict_proba(X)
    assert proba.shape == expected.shape
    assert np.abs(proba - expected).max() <= 1e-5
    np.testing.assert_array_equal(proba.argmax(axis=1), expected.argmax(axis=1))
    np.testing.assert_array_equal(label, model.predict(X))


# -- ONNX -----------------------------------------------------------------------------


def _session(onx):
    ort = pytest.importorskip("onnxruntime")
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def _run(onx, X):
    return _session(onx).run(None, {"X": np.asarray(X, dtype=np.float32)})


@pytest.fixture(scope="module")
def to_onnx():
    for module in ("onnx", "skl2onnx", "onnxruntime"):
        pytest.importorskip(module)
    from skdistill.export import to_onnx

    return to_onnx


@pytest.mark.parametrize("data, recipe", CASES)
@pytest.mark.parametrize("kind", list(STUDENTS))
def test_onnx_reproduces_the_distiller(to_onnx, kind, data, recipe):
    if kind.startswith(("lightgbm", "xgboost")):
        pytest.importorskip("onnxmltools")
    model, X = _distilled(kind, data, recipe)
    onx = to_onnx(model, X[:5])
    assert [value.name for value in onx.graph.input] == ["X"]
    assert [value.name for value in onx.graph.output] == ["label", "probabilities"]
    label, proba = _run(onx, X)
    assert proba.dtype == np.float32
    _assert_parity(model, X, proba, label)
    # the teacher is not in the graph: no node reads the teacher's coefficients
    teacher_weights = model.teacher_.coef_.astype(np.float32).ravel()
    for tensor in onx.graph.initializer:
        values = np.frombuffer(tensor.raw_data, dtype=np.float32) if tensor.raw_data else []
        assert not np.array_equal(values, teacher_weights)


def test_onnx_classes_order_and_string_labels(to_onnx):
    X, y = _data("multiclass")
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    teacher = LogisticRegression(max_iter=1000).fit(X, names)
    # the student sees two classes only (alpha=0 and no virginica rows left): its
    # columns must be placed among the teacher's three
    keep = names != "virginica"
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=2), temperature=2.0, alpha=0.0
    ).fit(X[keep], names[keep])
    assert len(model.student_.classes_) == 2
    label, proba = _run(to_onnx(model, X[:3]), X)
    assert label.dtype.kind in "OU"
    _assert_parity(model, X, proba, label.astype(str))


@pytest.mark.parametrize(
    "student",
    [
        DecisionTreeRegressor(max_depth=3),
        make_pipeline(StandardScaler(), LinearRegression()),
        "lightgbm",
        "xgboost",
    ],
    ids=["tree", "pipeline-linear", "lightgbm", "xgboost"],
)
def test_onnx_regressor(to_onnx, student):
    if isinstance(student, str):
        pytest.importorskip("onnxmltools")
        lib = pytest.importorskip(student)
        cls = lib.LGBMRegressor if student == "lightgbm" else lib.XGBRegressor
        kwargs = {"verbose": -1} if student == "lightgbm" else {"n_jobs": 1}
        student = cls(n_estimators=8, max_depth=2, **kwargs)
    X, y = load_diabetes(return_X_y=True)
    X = X.astype(np.float32).astype(np.float64)
    teacher = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    model = DistilledRegressor(teacher, student, random_state=0).fit(X, y)
    onx = to_onnx(model, X[:5])
    assert [value.name for value in onx.graph.output] == ["predictions"]
    (predictions,) = _run(onx, X)
    assert predictions.shape == (len(X),)
    np.testing.assert_allclose(predictions, model.predict(X), rtol=1e-5)


def test_onnx_multiclass_regress_student_is_multi_output(to_onnx):
    """A single-output regressor is wrapped in MultiOutputRegressor for 3 classes."""
    X, y = _data("multiclass")
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    model = DistilledClassifier(
        teacher, make_pipeline(StandardScaler(), SVR()), temperature=3.0, random_state=0
    ).fit(X, y)
    assert type(model.student_).__name__ == "MultiOutputRegressor"
    label, proba = _run(to_onnx(model, X[:5]), X)
    _assert_parity(model, X, proba, label)


def test_onnx_bare_students(to_onnx):
    X, y = _data("multiclass")
    student = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    label, proba = _run(to_onnx(student, X[:2]), X)
    _assert_parity(student, X, proba, label)
    regressor = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    (predictions,) = _run(to_onnx(regressor, X[:2]), X)
    np.testing.assert_allclose(predictions, regressor.predict(X), rtol=1e-6)


def test_onnx_student_without_predict_proba_gives_labels(to_onnx):
    X, y = _data("multiclass")
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    model = DistilledClassifier(teacher, RidgeClassifier(), random_state=0).fit(X, y)
    onx = to_onnx(model, X[:2])
    assert [value.name for value in onx.graph.output] == ["label"]
    (label,) = _run(onx, X)
    np.testing.assert_array_equal(label, model.predict(X))


def test_onnx_is_written_atomically_and_carries_metadata(to_onnx, tmp_path):
    import onnx

    model, X = _distilled("tree", "multiclass", "T4-a0.5")
    path = tmp_path / "student.onnx"
    onx = to_onnx(model, X[:2], path=path)
    assert onnx.load(path) == onx
    meta = {prop.key: prop.value for prop in onx.metadata_props}
    assert meta["skdistill.classes"] == "[0, 1, 2]"
    assert meta["skdistill.strategy"] == "expand"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        to_onnx(model, X[:2], path=path)
    to_onnx(model, X[:2], path=path, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["student.onnx"]


def test_onnx_errors_name_the_fix(to_onnx):
    X, y = _data("multiclass")
    model, X = _distilled("tree", "multiclass", "T1-a0.5")
    with pytest.raises(ValueError, match="target_opset=11 is too old"):
        to_onnx(model, X[:2], target_opset=11)
    with pytest.raises(ValueError, match="X_sample has 3 features but .* fitted on 4"):
        to_onnx(model, X[:2, :3])
    with pytest.raises(ValueError, match="non-empty 2-d numeric array"):
        to_onnx(model, X[0])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_onnx(DistilledClassifier(model.teacher_), X[:2])
    with pytest.raises(TypeError, match="exports fitted distillers, classifiers"):
        to_onnx(StandardScaler().fit(X), X[:2])


def test_onnx_bare_skorch_net_is_refused(to_onnx):
    model, X = _distilled("skorch", "multiclass", "T1-a0.5")
    with pytest.raises(TypeError, match="Export the fitted DistilledClassifier"):
        to_onnx(model.student_, X[:2])


def test_onnx_unconvertible_student(to_onnx):
    from sklearn.semi_supervised import LabelSpreading

    X, y = _data("multiclass")
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = DistilledClassifier(teacher, GradientBoostingClassifier(n_estimators=2))
        model.fit(X, y)
        model.student_ = LabelSpreading().fit(X, y)  # skl2onnx has no converter
    with pytest.raises(TypeError, match="skl2onnx has no converter for the student"):
        to_onnx(model, X[:2])


# -- compiled students ----------------------------------------------------------------


@pytest.fixture(scope="module")
def compile_student():
    pytest.importorskip("treelite")
    pytest.importorskip("tl2cgen")
    if not (shutil.which("gcc") or shutil.which("clang")):
        pytest.skip("no C compiler (gcc or clang) on PATH")
    from skdistill.export import compile_student

    return compile_student


@pytest.mark.parametrize("data, recipe", CASES)
@pytest.mark.parametrize("kind", TREE_STUDENTS)
def test_compiled_student_reproduces_the_distiller(
    compile_student, kind, data, recipe, tmp_path
):
    from skdistill.export import CompiledStudent

    model, X = _distilled(kind, data, recipe)
    path = tmp_path / "student.so"
    compiled = compile_student(model, path)
    _assert_parity(model, X, compiled.predict_proba(X), compiled.predict(X))
    for row in X[:3]:  # single rows, the serving case
        np.testing.assert_allclose(
            compiled.predict_proba(row[None]), model.predict_proba(row[None]), atol=1e-6
        )
    again = CompiledStudent(path, sha256=compiled.sha256)  # loaded again from disk
    np.testing.assert_array_equal(again.predict_proba(X), compiled.predict_proba(X))


@pytest.mark.parametrize("student", ["tree", "lightgbm", "xgboost"])
def test_compiled_regressor(compile_student, student, tmp_path):
    if student == "tree":
        student = DecisionTreeRegressor(max_depth=4)
    else:
        lib = pytest.importorskip(student)
        if student == "lightgbm":
            student = lib.LGBMRegressor(n_estimators=8, num_leaves=4, verbose=-1)
        else:
            student = lib.XGBRegressor(n_estimators=8, max_depth=2, n_jobs=1)
    X, y = load_diabetes(return_X_y=True)
    teacher = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    model = DistilledRegressor(teacher, student, random_state=0).fit(X, y)
    compiled = compile_student(model, tmp_path / "student.so")
    np.testing.assert_allclose(compiled.predict(X), model.predict(X), rtol=1e-6)
    with pytest.raises(AttributeError, match="no predict_proba"):
        compiled.predict_proba(X)


def test_compiled_files_are_checked(compile_student, tmp_path):
    import hashlib

    from skdistill.export import CompiledStudent

    model, X = _distilled("tree", "multiclass", "T4-a0.5")
    path = tmp_path / "student.so"
    compile_student(model, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student.so", "student.so.json"]
    with pytest.raises(FileExistsError, match="overwrite=True"):
        compile_student(model, path)
    # overwriting in the same process loads the new library, not the cached old one
    other, _ = _distilled("tree", "multiclass", "T1-a0.5")
    replaced = compile_student(other, path, overwrite=True)
    np.testing.assert_allclose(replaced.predict_proba(X), other.predict_proba(X))

    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="not the expected"):
        CompiledStudent(path, sha256=replaced.sha256)
    changed = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="does not match the library it came with"):
        CompiledStudent(path, sha256=changed)
    (tmp_path / "student.so.json").unlink()
    with pytest.raises(FileNotFoundError, match="No metadata"):
        CompiledStudent(path, sha256=changed)
    with pytest.raises(ValueError, match=r"expects \(n_samples, 4\)"):
        replaced.predict_proba(X[:, :3])


def test_compile_refuses_non_tree_students(compile_student, tmp_path):
    model, X = _distilled("pipeline-logistic", "multiclass", "T1-a0.5")
    with pytest.raises(TypeError, match="needs a tree model"):
        compile_student(model, tmp_path / "student.so")
    assert not list(tmp_path.iterdir())


def test_compile_without_compiler(compile_student, monkeypatch, tmp_path):
    from skdistill.export import _compiled

    monkeypatch.setattr(_compiled.shutil, "which", lambda name: None)
    model, _ = _distilled("tree", "multiclass", "T1-a0.5")
    with pytest.raises(RuntimeError, match="No C compiler found"):
        compile_student(model, tmp_path / "student.so")


@pytest.mark.parametrize("kind", ["tree", "lightgbm"])
def test_compiled_student_with_missing_values(compile_student, kind, tmp_path):
    """NaN follows the trees' learned branch on every path (1 row, a few, a batch)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _data("multiclass")
    X = X.copy()
    X[::7, 2] = np.nan
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    student = DecisionTreeClassifier(max_depth=4) if kind == "tree" else _lightgbm()
    model = DistilledClassifier(teacher, student, temperature=2.0, random_state=0)
    model.fit(X, y)
    compiled = compile_student(model, tmp_path / "student.so")
    expected = model.predict_proba(X)
    np.testing.assert_allclose(compiled.predict_proba(X), expected, atol=1e-12)
    np.testing.assert_allclose(compiled.predict_proba(X[:7]), expected[:7], atol=1e-12)
    for i in (0, 7, 14):  # rows with a missing value
        np.testing.assert_allclose(
            compiled.predict_proba(X[i : i + 1]), expected[i : i + 1]
        )
