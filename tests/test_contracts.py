"""Contract tests by discovery (issue 12 item 3), as imbalanced-learn's common tests.

Three lists are discovered, never kept by hand: every registered strategy
(``available_strategies()``), every registered transfer set
(``available_transfer_sets()``) and every public estimator (the ``__all__`` of the
public modules, ``skdistill.utils._discovery.all_estimators``). Each member must
pass the same checks on tiny data: fit and predict, the output description
(``output_spec``) reproducing ``predict_proba``, pickle and skops round trips
that predict identically, ONNX export and compiled students with the distiller's
predictions. A member needs an entry in the tables below (a student for a
strategy, a builder for an estimator); what it cannot do is listed in
``EXPECTED_FAILURES`` with the reason, and the test asserts that it fails as
stated, so a fixed limitation shows up as a failure to update the table.
"""

import pickle
import shutil
import warnings
from functools import cache

import numpy as np
import pytest
from _nets import skorch_net
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import (
    BornAgainClassifier,
    DistillationWarning,
    DistilledClassifier,
    DistilledRegressor,
    TeacherEnsemble,
)
from skdistill.strategies import BaseStrategy, available_strategies
from skdistill.transfer import available_transfer_sets, resolve_transfer_set
from skdistill.utils._discovery import all_estimators

#: Discovered at collection: registered names and public classes.
#: Registered strategies that fit on Dask collections only; their contract (the local
#: strategy left as strategy_, persistence, export) is checked in tests/test_dask.py.
DASK_ONLY = {"dask"}
STRATEGIES = [name for name in available_strategies() if name not in DASK_ONLY]
TRANSFER_SETS = available_transfer_sets()
ESTIMATORS = [name for name, _ in all_estimators(["classifier", "regressor"])]


def _lightgbm(n_features, n_classes):
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1)


def _xgboost(n_features, n_classes):
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1)


def _linear_net(n_features, n_classes):
    """A linear net, its weights drawn in fit (seeded by the distiller's
    random_state), not when built (from torch's global random state)."""
    torch = pytest.importorskip("torch")
    return skorch_net(
        n_features,
        n_classes,
        torch.nn.Linear,
        module__in_features=n_features,
        module__out_features=n_classes,
        max_epochs=15,
        lr=0.2,
        batch_size=150,
    )


#: The student each registered strategy is checked with: name -> factory(f, k).
STRATEGY_STUDENTS = {
    "expand": lambda f, k: DecisionTreeClassifier(max_depth=3, random_state=0),
    "regress": lambda f, k: DecisionTreeRegressor(max_depth=3, random_state=0),
    "lightgbm": _lightgbm,
    "xgboost": _xgboost,
    "skorch": lambda f, k: _linear_net(f, k),
}

#: Public strategy and sampler classes that are not registered under a name, and why.
UNREGISTERED = {
    "FunctionSampler": "wraps a user's function: it has no default to build by name",
    "TransferSampler": "the base class of the samplers: it implements no _generate",
}

#: What a member cannot do: (name, check) -> (error, message pattern, reason).
EXPECTED_FAILURES = {
    ("skorch", "skops"): (
        TypeError,
        "pickles its torch module",
        "skops cannot store a torch module without a pickle, so save refuses it",
    ),
    ("skorch", "compiled"): (
        TypeError,
        "of kind 'module-logit'.*Use to_onnx instead",
        "a torch module is not trees",
    ),
    ("BornAgainClassifier", "onnx"): (
        TypeError,
        "no converter for the student BornAgainClassifier",
        "to_onnx exports distillers, students and plain models; not the generations",
    ),
    ("BornAgainClassifier", "compiled"): (
        TypeError,
        "Cannot compile the student BornAgainClassifier",
        "compile_student compiles a distiller's tree student, not the generations",
    ),
    ("CompressionSearch", "onnx"): (
        TypeError,
        "no converter for the student CompressionSearch",
        "a search, not a student: its best_estimator_ is exported",
    ),
    ("CompressionSearch", "compiled"): (
        TypeError,
        "Cannot compile the student CompressionSearch",
        "a search, not a student: its best_estimator_ is compiled",
    ),
    ("MutualDistillationClassifier", "skops"): (
        TypeError,
        "pickles its torch module",
        "its peers are skorch nets: skops cannot store a torch module without a pickle",
    ),
    ("MutualDistillationClassifier", "onnx"): (
        TypeError,
        "no converter for the student MutualDistillationClassifier",
        "to_onnx exports distillers and students, not a set of peers",
    ),
    ("MutualDistillationClassifier", "compiled"): (
        TypeError,
        "Cannot compile the student MutualDistillationClassifier",
        "its peers are torch modules, not trees",
    ),
    ("TeacherEnsemble", "onnx"): (
        TypeError,
        "got a TeacherEnsemble: a teacher that averages several models",
        "a teacher, not a student: its members or its distilled student are exported",
    ),
    ("TeacherEnsemble", "compiled"): (
        TypeError,
        "got a TeacherEnsemble: a teacher that averages several models",
        "a teacher, not a student: its members or its distilled student are compiled",
    ),
}


@cache
def _iris():
    """Iris (values exact in float32, the precision of ONNX inputs) and a teacher."""
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32).astype(np.float64)
    return X, y, LogisticRegression(max_iter=1000).fit(X, y)


@pytest.fixture
def data():
    return _iris()[:2]


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        return model.fit(X, y)


@cache
def _distilled(strategy):
    """A distiller fitted with the registered ``strategy`` and its table's student."""
    if strategy not in STRATEGY_STUDENTS:
        pytest.fail(
            f"The registered strategy {strategy!r} has no student in "
            "STRATEGY_STUDENTS; add one so its contract is checked."
        )
    X, y, teacher = _iris()
    student = STRATEGY_STUDENTS[strategy](X.shape[1], len(np.unique(y)))
    model = DistilledClassifier(
        teacher, student, strategy=strategy, temperature=2.0, random_state=0
    )
    return _fit_quietly(model, X, y)


#: Public estimators: name -> builder() returning a fitted instance. TeacherEnsemble
#: is built from fitted models; it is never fitted itself.
def _distilled_classifier():
    X, y, teacher = _iris()
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3), temperature=2.0, random_state=0
    )
    return _fit_quietly(model, X, y)


def _distilled_regressor():
    X, y, _ = _iris()
    teacher = Ridge().fit(X, y)
    model = DistilledRegressor(teacher, DecisionTreeRegressor(max_depth=3), alpha=0.7)
    return _fit_quietly(model, X, y)


def _born_again():
    X, y, _ = _iris()
    model = BornAgainClassifier(
        DecisionTreeClassifier(max_depth=3), n_generations=1, random_state=0
    )
    return _fit_quietly(model, X, y)


def _teacher_ensemble():
    X, y, teacher = _iris()
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    return TeacherEnsemble([("logistic", teacher), ("tree", tree)])


def _compression_search():
    from skdistill.frontier import CompressionSearch

    X, y, teacher = _iris()
    students = [DecisionTreeClassifier(max_depth=d, random_state=0) for d in (2, 3)]
    search = CompressionSearch(
        teacher, students, cost="size", param_grid={"alpha": [1.0]}, cv=2,
        scoring="accuracy", tolerance=0.1, n_resamples=20, random_state=0,
    )  # fmt: skip
    return _fit_quietly(search, X, y)


def _mutual():
    from skdistill import MutualDistillationClassifier

    X, y, _ = _iris()
    peers = [(name, _linear_net(X.shape[1], 3).set_params(batch_size=16)) for name in "ab"]
    return _fit_quietly(MutualDistillationClassifier(peers, random_state=0), X, y)


ESTIMATOR_BUILDERS = {
    "BornAgainClassifier": _born_again,
    "CompressionSearch": _compression_search,
    "MutualDistillationClassifier": _mutual,
    "DistilledClassifier": _distilled_classifier,
    "DistilledRegressor": _distilled_regressor,
    "TeacherEnsemble": _teacher_ensemble,
}


@cache
def _estimator(name):
    if name not in ESTIMATOR_BUILDERS:
        pytest.fail(
            f"The public estimator {name} has no builder in ESTIMATOR_BUILDERS; add "
            "one so its contract is checked."
        )
    return ESTIMATOR_BUILDERS[name]()


def _model(member):
    return _distilled(member) if member in STRATEGIES else _estimator(member)


def _refused(member, check, action):
    """Whether ``check`` is an expected failure of ``member``; if so, assert that
    ``action()`` fails as ``EXPECTED_FAILURES`` says."""
    if (member, check) not in EXPECTED_FAILURES:
        return False
    error, message, _ = EXPECTED_FAILURES[(member, check)]
    with pytest.raises(error, match=message):
        action()
    return True


def _assert_same(model, other, X, atol=0.0):
    """``other`` predicts as ``model``: the same labels (or regression values, to
    ``atol``) and probabilities to ``atol``."""
    methods = ["predict_proba"] if hasattr(model, "predict_proba") else []
    for method in ["predict", *methods]:
        expected, got = getattr(model, method)(X), getattr(other, method)(X)
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(got, expected, rtol=0, atol=atol)
        else:
            np.testing.assert_array_equal(got, expected)


def _strategy(name):
    from skdistill.strategies import _REGISTRY

    return _REGISTRY[name]()


# -- every list covers what is public -------------------------------------------------


def test_tables_cover_every_discovered_member():
    assert set(STRATEGIES) <= set(STRATEGY_STUDENTS), "add a student per strategy"
    assert set(ESTIMATORS) == set(ESTIMATOR_BUILDERS), "add a builder per estimator"
    registered = {type(resolve_transfer_set(name)).__name__ for name in TRANSFER_SETS}
    registered |= {type(_strategy(name)).__name__ for name in available_strategies()}
    public = {name for name, _ in all_estimators(["strategy", "sampler"])}
    assert public - registered == set(UNREGISTERED), (
        "a public strategy or sampler class is neither registered nor listed in "
        "UNREGISTERED with the reason"
    )
    stale = {key for key in EXPECTED_FAILURES if key[0] not in STRATEGIES + ESTIMATORS}
    assert not stale, f"EXPECTED_FAILURES lists members that no longer exist: {stale}"


def test_discovery_finds_the_public_estimators():
    found = dict(all_estimators())
    assert {"DistilledClassifier", "ExpandStrategy", "MUNGE"} <= set(found)
    assert BaseStrategy not in found.values()  # base classes are left out
    assert [name for name, _ in all_estimators("strategy")] == sorted(
        type(_strategy(name)).__name__ for name in available_strategies()
    )
    with pytest.raises(ValueError, match="type_filter must be None or among"):
        all_estimators("transformer")


# -- strategies and public estimators -------------------------------------------------

MEMBERS = STRATEGIES + ESTIMATORS


@pytest.mark.parametrize("member", MEMBERS)
def test_fit_and_predict(member, data):
    X, y = data
    model = _model(member)
    if member in STRATEGIES:
        assert model.strategy_.name == member
        assert isinstance(model.strategy_, type(_strategy(member)))
    labels = model.predict(X)
    assert labels.shape == (len(X),)
    if hasattr(model, "classes_"):
        np.testing.assert_array_equal(model.classes_, np.unique(y))
        proba = model.predict_proba(X)
        assert proba.shape == (len(X), 3)
        assert (proba >= 0).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_array_equal(labels, model.classes_[proba.argmax(axis=1)])
        assert (labels == y).mean() > 0.8  # a sane model of iris
    else:
        assert np.corrcoef(labels, y)[0, 1] > 0.8


def _student_outputs(model, kind, X):
    """The output of the fitted student that ``kind`` names (see OutputSpec)."""
    student = model.student_
    if kind == "proba":
        return student.predict_proba(X)
    if kind == "margin":
        if type(student).__module__.startswith("lightgbm"):
            return student.predict(X, raw_score=True)
        return student.predict(X, output_margin=True)
    if kind.startswith("regress-"):
        return student.predict(X)
    if kind.startswith("module-"):
        out = student.forward(X.astype(np.float32), training=False)
        return out.detach().numpy().astype(np.float64)
    raise AssertionError(f"no reader for the student output {kind!r}")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_output_spec_reproduces_predict_proba(strategy, data):
    """The description the exporters read is exact: the student's own output,
    mapped as it says, gives the distiller's probabilities."""
    X, _ = data
    model = _distilled(strategy)
    spec = model.strategy_.output_spec()
    assert spec.n_classes == len(model.classes_)
    assert spec.scale == model.strategy_.scale_
    np.testing.assert_array_equal(spec.bias, model.strategy_.bias_)
    proba = spec.to_proba(_student_outputs(model, spec.kind, X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("member", MEMBERS)
def test_pickle_round_trip(member, data):
    X, _ = data
    model = _model(member)
    _assert_same(model, pickle.loads(pickle.dumps(model)), X)


@pytest.mark.parametrize("member", MEMBERS)
def test_skops_round_trip(member, data, tmp_path):
    pytest.importorskip("skops")
    from skdistill.export import load, save

    X, _ = data
    model = _model(member)
    path = tmp_path / "model.skops"
    if _refused(member, "skops", lambda: save(model, path)):
        assert not path.exists()
        return
    save(model, path)
    _assert_same(model, load(path), X)


@pytest.mark.parametrize("member", MEMBERS)
def test_onnx_parity(member, data):
    pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    from skdistill.export import to_onnx

    X, _ = data
    model = _model(member)
    if type(getattr(model, "student_", None)).__module__.split(".")[0] in (
        "lightgbm",
        "xgboost",
    ):
        pytest.importorskip("onnxmltools")
    if _refused(member, "onnx", lambda: to_onnx(model, X[:5])):
        return
    onx = to_onnx(model, X[:5])
    session = ort.InferenceSession(onx.SerializeToString())
    outputs = session.run(None, {"X": X.astype(np.float32)})
    names = [output.name for output in onx.graph.output]
    exported = dict(zip(names, outputs, strict=True))
    if "probabilities" in exported:
        assert np.abs(exported["probabilities"] - model.predict_proba(X)).max() <= 1e-5
        np.testing.assert_array_equal(exported["label"], model.predict(X))
    else:
        np.testing.assert_allclose(
            exported["predictions"], model.predict(X), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("member", MEMBERS)
def test_compiled_parity(member, data, tmp_path):
    pytest.importorskip("tl2cgen")
    if not (shutil.which("gcc") or shutil.which("clang")):
        pytest.skip("no C compiler (gcc or clang) on PATH")
    from skdistill.export import compile_student

    X, _ = data
    model = _model(member)
    path = tmp_path / "student.so"
    if _refused(member, "compiled", lambda: compile_student(model, path)):
        assert not path.exists()
        return
    _assert_same(model, compile_student(model, path), X, atol=1e-6)


# -- transfer sets ----------------------------------------------------------------------


@pytest.mark.parametrize("name", TRANSFER_SETS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transfer_set_samples_rows(name, dtype, data):
    X, y = data
    X = X.astype(dtype)
    sampler = resolve_transfer_set(name)
    rows = sampler.sample(X, 7, random_state=0, y=y)
    assert isinstance(rows, np.ndarray)
    assert rows.shape == (7, X.shape[1]) and rows.dtype == dtype
    assert np.isfinite(rows).all()
    np.testing.assert_array_equal(sampler.sample(X, 7, random_state=0, y=y), rows)
    assert not np.array_equal(sampler.sample(X, 7, random_state=1, y=y), rows)
    assert sampler.sample(X, 0, random_state=0, y=y).shape == (0, X.shape[1])
    # no state is kept: a clone samples the same rows
    np.testing.assert_array_equal(clone(sampler).sample(X, 7, 0, y=y), rows)


@pytest.mark.parametrize("name", TRANSFER_SETS)
def test_transfer_set_inside_the_distiller(name, data):
    X, y = data
    _, _, teacher = _iris()

    def fit():
        model = DistilledClassifier(
            teacher, DecisionTreeClassifier(max_depth=3), transfer_set=name
        )
        return _fit_quietly(model.set_params(random_state=0), X, y)

    model = fit()
    # the training rows and as many generated ones, which carry the teacher's
    # targets alone and so weigh alpha = 0.5
    assert model.student_.tree_.weighted_n_node_samples[0] == pytest.approx(1.5 * len(X))
    np.testing.assert_array_equal(fit().predict_proba(X), model.predict_proba(X))
