"""Strategies describe their own output (issue 12 item 2): ``BaseStrategy.output_spec``.

The exporters read the description alone, so a strategy written and registered by a
user exports through the same code as the built-in ones, and one that describes
nothing is refused with an error that names the method to implement. Any map a
strategy applies at predict time (scale, bias and smoothing) is exported exactly,
not only the maps the built-in students happen to need. (The toy strategies
registered here are unregistered after each test by the root ``conftest.py``.)
"""

import shutil
import warnings
from functools import cache

import numpy as np
import pytest
from _nets import skorch_net
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistillationWarning, DistilledClassifier
from skdistill.strategies import (
    BaseStrategy,
    ExpandStrategy,
    LightGBMStrategy,
    OutputSpec,
    RegressStrategy,
    SkorchStrategy,
    register,
)
from skdistill.strategies._base import fit_weighted

HAS_COMPILER = bool(shutil.which("gcc") or shutil.which("clang"))


def _data(n_classes):
    if n_classes == 2:
        X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    else:
        X, y = load_iris(return_X_y=True)
    # values exactly representable in float32, the precision of ONNX inputs
    return X.astype(np.float32).astype(np.float64), y


def _fit(student, strategy, n_classes, **params):
    X, y = _data(n_classes)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    model = DistilledClassifier(
        teacher, student, strategy=strategy, temperature=3.0, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        return model.fit(X, y), X


def _onnx_outputs(model, X):
    pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    from skdistill.export import to_onnx

    onx = to_onnx(model, X[:5])
    session = ort.InferenceSession(onx.SerializeToString())
    return session.run(None, {"X": X.astype(np.float32)})


def _assert_onnx_parity(model, X):
    label, proba = _onnx_outputs(model, X)
    assert np.abs(proba - model.predict_proba(X)).max() <= 1e-5
    np.testing.assert_array_equal(label, model.predict(X))


def _assert_compiled_parity(model, X, tmp_path):
    pytest.importorskip("tl2cgen")
    if not HAS_COMPILER:
        pytest.skip("no C compiler (gcc or clang) on PATH")
    from skdistill.export import compile_student

    compiled = compile_student(model, tmp_path / "student.so")
    expected = model.predict_proba(X)
    np.testing.assert_allclose(compiled.predict_proba(X), expected, atol=1e-9)
    for i in (0, 1):  # the single-row path
        np.testing.assert_allclose(
            compiled.predict_proba(X[i : i + 1]), expected[i : i + 1], atol=1e-9
        )
    np.testing.assert_array_equal(compiled.predict(X), model.predict(X))


# -- OutputSpec -----------------------------------------------------------------------


def test_output_spec_is_frozen_and_normalised():
    spec = OutputSpec("margin", n_classes=3, columns=np.array([2, 0, 1]), bias=[1, 0, 0])
    assert spec.columns == (2, 0, 1) and spec.bias == (1.0, 0.0, 0.0)
    assert spec.maps_output and spec.is_logit
    assert OutputSpec("proba", n_classes=2).columns == (0, 1)
    assert not OutputSpec("proba", n_classes=2).maps_output
    with pytest.raises(AttributeError):
        spec.scale = 2.0


@pytest.mark.parametrize(
    "params, message",
    [
        ({"kind": "probability"}, "kind='probability' is not one of"),
        ({"n_classes": 1}, "n_classes >= 2"),
        ({"columns": [0, 3]}, r"not class indices in \[0, 3\)"),
        ({"columns": [1, 1]}, "distinct classes"),
        ({"bias": [0.0, 1.0]}, "bias has 2 values but there are 3 classes"),
        ({"scale": np.inf}, "must be finite"),
        ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\)"),
        ({"proba_floor": 0.0}, r"proba_floor must be in \(0, 1\)"),
    ],
)
def test_output_spec_refuses_what_it_cannot_describe(params, message):
    with pytest.raises(ValueError, match=message):
        OutputSpec(**{"kind": "proba", "n_classes": 3, **params})


def test_output_spec_binary_single_column():
    """One column for two classes: the second class's log-odds or probability."""
    logit = OutputSpec("regress-logit", n_classes=2)
    np.testing.assert_allclose(logit.to_proba([0.0, np.log(3.0)])[:, 1], [0.5, 0.75])
    proba = OutputSpec("regress-proba", n_classes=2)
    np.testing.assert_allclose(proba.to_proba([[0.25]]), [[0.75, 0.25]])
    with pytest.raises(ValueError, match="one column per class"):
        OutputSpec("module-logit", n_classes=2).to_proba([[0.3]])
    with pytest.raises(ValueError, match="predicts labels only"):
        OutputSpec("label", n_classes=2).to_proba([[0.3]])


# -- any map applied at predict time is exported -----------------------------------


class _MappedLightGBM(LightGBMStrategy):
    """LightGBM whose map is applied at predict time (not written into the leaves)."""

    def _carry_output_map(self, scale, bias, smoothing):
        return False


def _forest(n_features, n_classes):
    return RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)


def _lightgbm(n_features, n_classes):
    pytest.importorskip("onnxmltools")
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1)


def _proba_net(n_features, n_classes):
    """A net whose module ends with a softmax (NLLLoss: module_output "proba")."""
    torch = pytest.importorskip("torch")
    module = torch.nn.Sequential(
        torch.nn.Linear(n_features, n_classes), torch.nn.Softmax(dim=-1)
    )
    return skorch_net(
        n_features, n_classes, module, criterion=torch.nn.NLLLoss, max_epochs=5
    )


#: id -> (student factory(n_features, n_classes), strategy, OutputSpec kind, trees).
MAPPED = {
    "forest": (_forest, ExpandStrategy(), "proba", True),
    "regress-logit": (
        lambda f, k: DecisionTreeRegressor(max_depth=3),
        RegressStrategy(),
        "regress-logit",
        True,
    ),
    "regress-proba": (
        lambda f, k: DecisionTreeRegressor(max_depth=3),
        RegressStrategy(target="proba"),
        "regress-proba",
        True,
    ),
    "lightgbm": (_lightgbm, _MappedLightGBM(), "margin", True),
    "skorch-logit": (
        lambda f, k: skorch_net(f, k, max_epochs=5),
        SkorchStrategy(random_state=0),
        "module-logit",
        False,
    ),
    "skorch-proba": (_proba_net, SkorchStrategy(random_state=0), "module-proba", False),
}


@cache
def _mapped(case, n_classes):
    """A fitted distiller of ``MAPPED[case]`` (its map is set by each test)."""
    factory, strategy, _, _ = MAPPED[case]
    X, _ = _data(n_classes)
    # the fitted map is replaced by the test's: fit none (calibration_cv="train")
    return _fit(factory(X.shape[1], n_classes), strategy, n_classes, calibration_cv="train")


@pytest.mark.parametrize("smoothing", [0.0, 0.05], ids=["plain", "smoothed"])
@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multiclass"])
@pytest.mark.parametrize("case", list(MAPPED))
def test_any_map_at_predict_time_is_exported(case, n_classes, smoothing, tmp_path):
    _, _, kind, trees = MAPPED[case]
    model, X = _mapped(case, n_classes)
    bias = np.linspace(-0.4, 0.3, n_classes)
    model.strategy_.set_output_map(1.7, bias, smoothing)
    spec = model.strategy_.output_spec()
    assert spec.kind == kind and spec.maps_output
    assert (spec.scale, spec.smoothing) == (1.7, smoothing)
    _assert_onnx_parity(model, X)
    if trees:
        _assert_compiled_parity(model, X, tmp_path)


# -- a strategy written and registered by a user ------------------------------------


class HardLabelStrategy(BaseStrategy):
    """A toy user strategy: the student learns the most likely class of each target."""

    name = "hard-label-toy"

    def fit(self, student, X, targets, *, sample_weight=None, **fit_params):
        classes = np.asarray(targets.classes)
        y = classes[np.argmax(targets.proba, axis=1)]
        fit_weighted(student, X, y, sample_weight, strategy=self.name, **fit_params)
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        self.columns_ = np.array([lookup[c] for c in student.classes_.tolist()])
        return self._record(student, targets)

    def tempered_logits(self, X):
        proba = np.full((X.shape[0], len(self.classes_)), 1e-9)
        proba[:, self.columns_] = np.maximum(self.student_.predict_proba(X), 1e-9)
        return np.log(proba)

    def _smooths(self):
        return True

    def output_spec(self):
        return OutputSpec(
            "proba",
            n_classes=len(self.classes_),
            columns=self.columns_,
            scale=self.scale_,
            bias=self.bias_,
            smoothing=self.smoothing_,
        )


class SilentStrategy(HardLabelStrategy):
    """The same strategy, but describing nothing."""

    name = "silent-toy"
    output_spec = BaseStrategy.output_spec


def test_registered_user_strategy_exports_through_its_output_spec(tmp_path):
    register(HardLabelStrategy)
    model, X = _fit(
        RandomForestClassifier(n_estimators=3, max_depth=3), "hard-label-toy", 3
    )
    assert isinstance(model.strategy_, HardLabelStrategy)
    spec = model.strategy_.output_spec()
    assert spec.maps_output  # the distiller's fitted map, applied at predict time
    np.testing.assert_allclose(
        spec.to_proba(model.student_.predict_proba(X)), model.predict_proba(X), atol=1e-12
    )
    _assert_onnx_parity(model, X)
    _assert_compiled_parity(model, X, tmp_path)


def test_strategy_that_describes_nothing_is_refused_with_the_fix(tmp_path):
    register(SilentStrategy)
    fix = r"describes no output: implement SilentStrategy\.output_spec\(\)"
    unfitted = DistilledClassifier(
        LogisticRegression(), DecisionTreeClassifier(), strategy="silent-toy"
    )
    pytest.importorskip("skl2onnx")
    from skdistill.export._onnx import check_onnx_exportable

    with pytest.raises(TypeError, match="No ONNX export for the strategy Silent.*" + fix):
        check_onnx_exportable(unfitted)
    model, X = _fit(DecisionTreeClassifier(max_depth=3), "silent-toy", 3)
    with pytest.raises(NotImplementedError, match=fix):
        model.strategy_.output_spec()
    with pytest.raises(TypeError, match="No ONNX export for the strategy Silent.*" + fix):
        _onnx_outputs(model, X)
    pytest.importorskip("tl2cgen")
    from skdistill.export import compile_student

    with pytest.raises(TypeError, match="Cannot compile the student of .*" + fix):
        compile_student(model, tmp_path / "student.so")
    assert not list(tmp_path.iterdir())


def test_output_spec_of_the_wrong_type_is_refused():
    class Wrong(HardLabelStrategy):
        name = "wrong-toy"

        def output_spec(self):
            return {"kind": "proba"}

    model, X = _fit(DecisionTreeClassifier(max_depth=3), Wrong(), 3)
    with pytest.raises(TypeError, match="returned dict, not a skdistill.strategies.Output"):
        _onnx_outputs(model, X)


def test_compile_refuses_a_module_output_and_says_to_use_onnx(tmp_path):
    pytest.importorskip("tl2cgen")
    from skdistill.export import compile_student

    net = skorch_net(4, 3, max_epochs=2)
    model, _ = _fit(net, SkorchStrategy(random_state=0), 3, calibration_cv="train")
    with pytest.raises(TypeError, match="of kind 'module-logit'.*Use to_onnx instead"):
        compile_student(model, tmp_path / "student.so")
