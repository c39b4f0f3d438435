"""int8 quantization of distilled torch students (issue 14 item 5)."""

import pickle
import warnings
from functools import cache

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from _nets import skorch_net  # noqa: E402
from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from skdistill import DistillationWarning, DistilledClassifier  # noqa: E402
from skdistill.export import (  # noqa: E402
    QuantizedStudent,
    quantization_report,
    quantize,
)

#: The parity the documentation of quantize states.
MAX_PROBA_DIFF = 0.05
MIN_AGREEMENT = 0.98


def _needs(backend):
    if backend == "onnx":
        pytest.importorskip("onnxruntime")
        pytest.importorskip("onnx")


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        return model.fit(X, y)


@cache
def _digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32).astype(np.float64)
    return train_test_split(X, y, random_state=0, stratify=y)


@cache
def _distilled(seed, hidden=128, criterion="logits"):
    X_train, _, y_train, _ = _digits()
    teacher = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    layers = [torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)]
    params = {}
    if criterion == "proba":  # skorch's default: NLLLoss on probabilities
        layers.append(torch.nn.Softmax(dim=-1))
        params["criterion"] = torch.nn.NLLLoss
    net = skorch_net(64, 10, torch.nn.Sequential(*layers), lr=0.01, max_epochs=20, **params)
    model = DistilledClassifier(teacher, net, temperature=2.0, random_state=seed)
    return _fit(model, X_train, y_train)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
@pytest.mark.parametrize(
    "seed, hidden, criterion", [(0, 128, "logits"), (1, 32, "logits"), (2, 64, "proba")]
)
def test_parity_with_the_float_student(backend, seed, hidden, criterion):
    _needs(backend)
    _, X_test, _, y_test = _digits()
    model = _distilled(seed, hidden, criterion)
    quantized = quantize(model, X_test[:5], backend=backend)
    assert isinstance(quantized, QuantizedStudent) and quantized.backend_ == backend
    np.testing.assert_array_equal(quantized.classes_, model.classes_)
    proba, expected = quantized.predict_proba(X_test), model.predict_proba(X_test)
    assert proba.shape == expected.shape
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(proba - expected).max() <= MAX_PROBA_DIFF
    agreement = (quantized.predict(X_test) == model.predict(X_test)).mean()
    assert agreement >= MIN_AGREEMENT
    # not a copy of the float model: the weights did change
    assert np.abs(proba - expected).max() > 1e-6
    assert quantized.size_ < 0.6 * quantized.float_size_


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_size_target_and_report(backend):
    _needs(backend)
    _, X_test, _, y_test = _digits()
    model = _distilled(0)
    quantized = quantize(model, X_test[:5], backend=backend)
    report = quantization_report(model, quantized, X_test, y_test, n_calls=10)
    int8, float_ = report["int8"], report["float"]
    assert int8["size"] == quantized.size_ and float_["size"] == quantized.float_size_
    assert int8["size_ratio"] == pytest.approx(quantized.size_ / quantized.float_size_)
    assert int8["size_ratio"] <= 0.36  # 128 hidden units: weights dominate
    assert abs(int8["accuracy"] - float_["accuracy"]) <= 0.01
    assert float_["accuracy"] == pytest.approx(model.score(X_test, y_test))
    assert int8["roc_auc"] > 0.99 and float_["roc_auc"] > 0.99
    assert int8["agreement"] >= MIN_AGREEMENT
    assert 0 < int8["max_proba_diff"] <= MAX_PROBA_DIFF
    assert int8["latency"] > 0 and int8["latency_ratio"] > 0


def test_distiller_is_left_as_it_was():
    _, X_test, _, _ = _digits()
    model = _distilled(0)
    before = model.predict_proba(X_test)
    module = model.student_.module_
    module.train()  # whatever mode it and its layers are in stays
    module[0].eval()
    modes = [layer.training for layer in module.modules()]
    quantize(model, X_test[:5])
    assert [layer.training for layer in module.modules()] == modes
    assert all(type(layer) in (torch.nn.Linear, torch.nn.ReLU) for layer in module)
    module.eval()
    np.testing.assert_array_equal(model.predict_proba(X_test), before)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_pickle_round_trip(backend):
    _needs(backend)
    _, X_test, _, _ = _digits()
    quantized = quantize(_distilled(0), X_test[:5], backend=backend)
    loaded = pickle.loads(pickle.dumps(quantized))
    np.testing.assert_array_equal(
        loaded.predict_proba(X_test), quantized.predict_proba(X_test)
    )
    with pytest.raises(ValueError, match="without its float reference"):
        quantization_report(_distilled(0), loaded, X_test, np.zeros(len(X_test)))


def test_onnx_file_is_written_and_quantizes_from_a_file(tmp_path):
    _needs("onnx")
    from skdistill.export import to_onnx

    _, X_test, _, _ = _digits()
    model = _distilled(0)
    path = tmp_path / "student.int8.onnx"
    quantized = quantize(model, X_test[:5], backend="onnx", path=path)
    assert path.read_bytes() == quantized.onnx_bytes_
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student.int8.onnx"]
    with pytest.raises(FileExistsError, match="already exists"):
        quantize(model, X_test[:5], backend="onnx", path=path)
    # from an exported float model, given as a file, as bytes or as the proto
    float_path = tmp_path / "student.onnx"
    onx = to_onnx(model, X_test[:5], path=float_path)
    for source in (float_path, str(float_path), onx, onx.SerializeToString()):
        again = quantize(source, X_test[:5])
        assert again.backend_ == "onnx"
        np.testing.assert_array_equal(again.predict(X_test), quantized.predict(X_test))


def test_string_classes_and_output_map():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    teacher = LogisticRegression(max_iter=1000).fit(X, labels)
    net = skorch_net(4, 3, lr=0.05, max_epochs=40, module=None)
    model = _fit(
        DistilledClassifier(teacher, net, temperature=3.0, random_state=0), X, labels
    )
    assert model.strategy_.scale_ != 1.0  # the map back to temperature 1 is used
    for backend in ("torch", "onnx"):
        _needs(backend)
        quantized = quantize(model, X[:5], backend=backend)
        assert quantized.classes_.tolist() == model.classes_.tolist()
        assert (quantized.predict(X) == model.predict(X)).mean() >= MIN_AGREEMENT
        # 8 hidden units on unscaled features: looser than the digits bound (0.051 seen)
        assert np.abs(quantized.predict_proba(X) - model.predict_proba(X)).max() < 0.1


def test_errors_say_what_to_do(tmp_path):
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    tree = _fit(DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3)), X, y)
    with pytest.raises(TypeError, match="needs a torch student.*compile_student"):
        quantize(tree, X[:5])
    with pytest.raises(TypeError, match="got LogisticRegression"):
        quantize(teacher, X[:5])
    with pytest.raises(TypeError, match="got str"):
        quantize("model.skops", X[:5])

    class Scaled(torch.nn.Module):  # a learned weight, but no torch.nn.Linear
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(4, 3))

        def forward(self, X):
            return X @ self.weight

    net = skorch_net(4, 3, Scaled(), max_epochs=2)
    no_linear = _fit(DistilledClassifier(teacher, net, random_state=0), X, y)
    with pytest.raises(ValueError, match="has no torch.nn.Linear layer"):
        quantize(no_linear, X[:5])
    model = _fit(DistilledClassifier(teacher, skorch_net(4, 3), random_state=0), X, y)
    with pytest.raises(ValueError, match="X_sample has 3 features but the model takes 4"):
        quantize(model, X[:5, :3])
    with pytest.raises(ValueError, match="backend must be"):
        quantize(model, X[:5], backend="tensorrt")
    with pytest.raises(ValueError, match="path is written by backend='onnx' only"):
        quantize(model, X[:5], path=tmp_path / "x.onnx")
    quantized = quantize(model, X[:5])
    with pytest.raises(ValueError, match="2-d with 4 features"):
        quantized.predict(X[:, :2])
    pytest.importorskip("onnxruntime")
    from skdistill.export import to_onnx

    with pytest.raises(ValueError, match="backend='torch' quantizes a distiller"):
        quantize(to_onnx(model, X[:5]), X[:5], backend="torch")
    with pytest.raises(ValueError, match="no MatMul, Gemm or Conv node"):
        quantize(to_onnx(tree, X[:5]), X[:5])
