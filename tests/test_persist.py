"""skops persistence: round trips per student kind, trust rules, atomic writes."""

import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.ensemble import (
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistillationWarning, DistilledClassifier, DistilledRegressor
from skdistill.export import _persist, load, save, trusted_types

pytest.importorskip("skops")


def _lightgbm_classifier():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=8, num_leaves=4, verbose=-1)


def _xgboost_classifier():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=8, max_depth=2, n_jobs=1)


def _lightgbm_regressor():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMRegressor(n_estimators=8, num_leaves=4, verbose=-1)


def _xgboost_regressor():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBRegressor(n_estimators=8, max_depth=2, n_jobs=1)


#: Student kinds of a DistilledClassifier: (factory, expected strategy).
CLASSIFIER_STUDENTS = {
    "tree-expand": (lambda: DecisionTreeClassifier(max_depth=3), "expand"),
    "pipeline-logistic": (
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        "expand",
    ),
    "tree-regress": (lambda: DecisionTreeRegressor(max_depth=3), "regress"),
    # a SimpleImputer keeps a numpy.dtype, trusted (rebuilt without pickle)
    "pipeline-imputer": (
        lambda: make_pipeline(SimpleImputer(), LogisticRegression(max_iter=500)),
        "expand",
    ),
    "mlp": (
        lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0),
        "expand",
    ),
    "lightgbm": (_lightgbm_classifier, "lightgbm"),
    "xgboost": (_xgboost_classifier, "xgboost"),
}

REGRESSOR_STUDENTS = {
    "tree": lambda: DecisionTreeRegressor(max_depth=3),
    "pipeline-linear": lambda: make_pipeline(StandardScaler(), LinearRegression()),
    "lightgbm": _lightgbm_regressor,
    "xgboost": _xgboost_regressor,
}


def _binary():
    return make_classification(n_samples=200, n_features=6, random_state=0)


def _multiclass():
    return load_iris(return_X_y=True)


DATASETS = {"binary": _binary, "multiclass": _multiclass}


def _fit_classifier(kind, data, temperature=3.0):
    X, y = DATASETS[data]()
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    factory, strategy = CLASSIFIER_STUDENTS[kind]
    model = DistilledClassifier(
        teacher, factory(), temperature=temperature, alpha=0.7, random_state=0
    ).fit(X, y)
    assert model.strategy_.name == strategy
    return model, X


def _assert_same_predictions(a, b, X):
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    if hasattr(a, "predict_proba"):
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("data", list(DATASETS))
@pytest.mark.parametrize("kind", list(CLASSIFIER_STUDENTS))
def test_classifier_and_its_student_round_trip(kind, data, tmp_path):
    model, X = _fit_classifier(kind, data)
    loaded = load(save(model, tmp_path / "model.skops"))
    assert type(loaded) is DistilledClassifier
    _assert_same_predictions(model, loaded, X)
    np.testing.assert_array_equal(loaded.classes_, model.classes_)

    student = load(save(model.student_, tmp_path / "student.skops"))
    assert type(student) is type(model.student_)
    _assert_same_predictions(model.student_, student, X)


@pytest.mark.parametrize("kind", list(REGRESSOR_STUDENTS))
def test_regressor_and_its_student_round_trip(kind, tmp_path):
    X, y = load_diabetes(return_X_y=True)
    teacher = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    model = DistilledRegressor(teacher, REGRESSOR_STUDENTS[kind](), random_state=0)
    model.fit(X, y)
    loaded = load(save(model, tmp_path / "model.skops"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    student = load(save(model.student_, tmp_path / "student.skops"))
    np.testing.assert_array_equal(student.predict(X), model.student_.predict(X))


def test_drop_teacher_keeps_predictions_and_drops_the_teacher(tmp_path):
    X, y = _multiclass()
    teacher = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    model = DistilledClassifier(teacher, temperature=3.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)  # in-sample soft targets
        model.fit(X, y)
    full = save(model, tmp_path / "full.skops")
    small = save(model, tmp_path / "small.skops", drop_teacher=True)
    # the teacher is stored once (teacher and teacher_ are the same object), and
    # makes up most of the file
    assert full.stat().st_size > 10 * small.stat().st_size
    assert model.teacher_ is teacher  # the model itself is untouched

    loaded = load(small)
    _assert_same_predictions(model, loaded, X)
    assert "dropped" in repr(loaded.teacher)
    assert loaded.teacher_ is loaded.teacher
    with pytest.raises(ValueError, match=r"dropped .*set_params\(teacher="):
        loaded.fit(X, y)
    refitted = loaded.set_params(teacher=teacher)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        refitted.fit(X, y)
    _assert_same_predictions(model, refitted, X)


def test_drop_teacher_needs_a_distiller(tmp_path):
    X, y = _multiclass()
    student = DecisionTreeClassifier(max_depth=2).fit(X, y)
    with pytest.raises(TypeError, match="drop_teacher=True needs a Distilled"):
        save(student, tmp_path / "s.skops", drop_teacher=True)
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def small_model():
    X, y = _multiclass()
    return DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y), X


def test_existing_file_is_refused_unless_overwrite(small_model, tmp_path):
    student, X = small_model
    path = tmp_path / "m.skops"
    path.write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
        save(student, path)
    assert path.read_bytes() == b"keep me"
    assert save(student, path, overwrite=True) == path
    np.testing.assert_array_equal(load(path).predict(X), student.predict(X))
    assert [p.name for p in tmp_path.iterdir()] == ["m.skops"]


@pytest.mark.parametrize("existing", [False, True], ids=["new", "overwrite"])
def test_interrupted_save_leaves_no_partial_file(
    small_model, tmp_path, monkeypatch, existing
):
    student, _ = small_model
    path = tmp_path / "m.skops"
    if existing:
        path.write_bytes(b"old")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_persist.zipfile, "ZipFile", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(student, path, overwrite=True)
    expected = ["m.skops"] if existing else []
    assert [p.name for p in tmp_path.iterdir()] == expected
    if existing:
        assert path.read_bytes() == b"old"


def test_save_refuses_pickle_suffix_and_missing_folder(small_model, tmp_path):
    student, _ = small_model
    with pytest.raises(ValueError, match=r"not a pickle; name the file m\.skops"):
        save(student, tmp_path / "m.pkl")
    with pytest.raises(FileNotFoundError, match="does not exist; create it"):
        save(student, tmp_path / "missing" / "m.skops")


def test_untrusted_type_is_refused_with_the_fix(small_model, tmp_path):
    from collections import Counter

    student, X = small_model
    path = save({"student": student, "counts": Counter(a=1)}, tmp_path / "m.skops")
    name = "collections.Counter"
    with pytest.raises(TypeError, match=rf"not trusted: \['{name}'\].*trusted="):
        load(path)
    for trusted in ([name], [Counter], name):
        loaded = load(path, trusted=trusted)
        assert loaded["counts"] == Counter(a=1)
        np.testing.assert_array_equal(loaded["student"].predict(X), student.predict(X))


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib", ".skops"])
def test_pickle_files_need_trust_pickle(small_model, tmp_path, suffix):
    student, X = small_model
    path = tmp_path / f"model{suffix}"
    if suffix == ".pickle":
        path.write_bytes(pickle.dumps(student))
    else:
        joblib.dump(student, path, compress=suffix == ".joblib")
    with pytest.raises(ValueError, match="pickle/joblib file.*trust_pickle=True"):
        load(path)
    with pytest.warns(DistillationWarning, match="trust_pickle=True"):
        loaded = load(path, trust_pickle=True)
    np.testing.assert_array_equal(loaded.predict(X), student.predict(X))


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "neither a skops file"),
        (b"name,value\n1,2\n", "neither a skops file"),
        ("truncated", "not a readable skops file"),
        ("no-schema", "not a readable skops file"),
    ],
)
def test_corrupt_or_foreign_files_get_a_clear_error(small_model, tmp_path, content, match):
    student, _ = small_model
    path = tmp_path / "model.skops"
    if content == "truncated":
        data = save(student, tmp_path / "good.skops").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content == "no-schema":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("other.txt", "hello")
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)


def test_corrupt_pickle_gets_a_clear_error(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"a": 1})[:-3])
    with pytest.warns(DistillationWarning), pytest.raises(ValueError, match="model.pkl"):
        load(path, trust_pickle=True)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No file at"):
        load(tmp_path / "nothing.skops")


def _corrupt(tree, what):
    state = tree.__getstate__()
    nodes = state["nodes"]
    inner = np.flatnonzero(nodes["left_child"] != -1)
    if what == "child-out-of-range":
        nodes["left_child"][inner[0]] = 10**6
    elif what == "cycle":
        nodes["right_child"][inner[-1]] = 0
    elif what == "feature-out-of-range":
        nodes["feature"][inner[0]] = 10**6
    elif what == "one-child":
        leaf = np.flatnonzero(nodes["left_child"] == -1)[0]
        nodes["left_child"][leaf] = leaf + 1
    tree.__setstate__(state)


@pytest.mark.parametrize(
    "what", ["child-out-of-range", "cycle", "feature-out-of-range", "one-child"]
)
@pytest.mark.parametrize("owner", ["tree", "forest"])
def test_crafted_trees_are_refused(tmp_path, what, owner):
    X, y = _multiclass()
    if owner == "tree":
        model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
        tree = model.tree_
    else:
        model = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)
        tree = model.fit(X, y).estimators_[1].tree_
    _corrupt(tree, what)
    path = save(model, tmp_path / "crafted.skops")
    with pytest.raises(ValueError, match="failed the integrity check"):
        load(path)


def test_forest_member_with_more_features_is_refused(tmp_path):
    X, y = _multiclass()
    forest = RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y)
    forest.n_features_in_ = 2
    path = save(forest, tmp_path / "crafted.skops")
    with pytest.raises(ValueError, match="expects 4 features but its ensemble 2"):
        load(path)


def test_versions_are_recorded_and_checked(small_model, tmp_path, monkeypatch):
    import sklearn

    student, _ = small_model
    path = save(student, tmp_path / "m.skops")
    with zipfile.ZipFile(path) as archive:
        versions = archive.read("skdistill_versions.json").decode()
    assert f'"scikit-learn": "{sklearn.__version__}"' in versions
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(path)

    monkeypatch.setattr(_persist, "_versions", lambda: {"scikit-learn": "1.0.0"})
    old = save(student, tmp_path / "old.skops")
    with pytest.warns(InconsistentVersionWarning, match="from version 1.0.0"):
        load(old)


def test_skorch_students_cannot_be_saved(tmp_path):
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    X, y = _multiclass()
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    net = skorch.NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=4,
        module__out_features=3,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
        verbose=0,
    )
    model = DistilledClassifier(teacher, net, random_state=0).fit(X.astype("float32"), y)
    for obj in (model, model.student_):
        with pytest.raises(TypeError, match=r"pickles its torch module.*to_onnx"):
            save(obj, tmp_path / "net.skops")
    assert not list(tmp_path.iterdir())
    # a skops file of a net written by skops itself is refused by default, and says why
    import skops.io

    skops.io.dump(model.student_, tmp_path / "net.skops")
    with pytest.raises(TypeError, match="embed pickles in their state"):
        load(tmp_path / "net.skops")


def test_trusted_types_are_documented_names():
    names = trusted_types()
    assert names == sorted(set(names))
    assert {
        "skdistill._distill.DistilledClassifier",
        "skdistill._distill.DistilledRegressor",
        "skdistill.strategies._expand.ExpandStrategy",
        "skdistill.strategies._lightgbm.LightGBMStrategy",
        "skdistill._ensemble.TeacherEnsemble",
        "skdistill.transfer._munge.MUNGE",
        "sklearn.tree._tree.Tree",
        "lightgbm.basic.Booster",
        "xgboost.core.Booster",
    } <= set(names)
    assert not any(name.startswith(("torch", "skorch")) for name in names)


# -- the tree stored once (issue 11 note) --------------------------------------------


@pytest.mark.parametrize(
    "drop_teacher", [True, False], ids=["student-only", "with-teacher"]
)
def test_issue11_tree_student_is_stored_once(tmp_path, drop_teacher):
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    teacher = RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(X, y)
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=6, random_state=0), random_state=0
    ).fit(X, y)
    assert model.student_ is model.strategy_.student_
    attributes = dict(vars(model))
    path = save(model, tmp_path / "model.skops", drop_teacher=drop_teacher)
    assert vars(model) == attributes  # saving changes nothing
    with zipfile.ZipFile(path) as archive:
        schema = archive.read("schema.json").decode()
    n_trees = 1 if drop_teacher else 1 + len(teacher.estimators_)
    assert schema.count('"__class__": "Tree"') == n_trees
    loaded = load(path)
    assert loaded.student_ is loaded.strategy_.student_
    assert loaded.teacher_ is loaded.teacher
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    unpickled = pickle.loads(pickle.dumps(model))
    assert unpickled.student_ is unpickled.strategy_.student_
    assert unpickled.teacher_ is unpickled.teacher
