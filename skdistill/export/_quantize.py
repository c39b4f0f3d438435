"""int8 dynamic quantization of a distilled neural student, for the smallest deployable
model: torch's ``quantize_dynamic`` on the student's linear layers, or onnxruntime's
on its ONNX export. torch, onnx and onnxruntime are imported only when used.
"""

import contextlib
import copy
import io
import json
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.utils.validation import check_is_fitted

from .._compat import StrOptions, optional_import
from .._distill import DistilledClassifier
from .._io import write_atomic
from .._validation import name_of
from ..strategies._skorch import _is_skorch_classifier

__all__ = ["QuantizedStudent", "quantization_report", "quantize"]

_PURPOSE = "int8 quantization"

_BACKENDS = StrOptions({"auto", "torch", "onnx"})


def quantize(model, X_sample, *, backend="auto", path=None, overwrite=False):
    """Quantize a distilled neural student to int8 (dynamic quantization).

    The weights of the student's linear layers are stored as int8, with one
    float scale per tensor; activations are quantized on the fly, row by row, at
    predict time ("dynamic" quantization: no calibration data needed). The result
    predicts like the distiller: the same ``classes_``, the strategy's map of the
    student's outputs back to temperature 1, ``predict`` and ``predict_proba``.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    model : DistilledClassifier, onnx.ModelProto, bytes or path
        A fitted :class:`~skdistill.DistilledClassifier` whose student is a skorch
        net (strategy ``"skorch"``), or an ONNX classifier written by
        :func:`~skdistill.export.to_onnx` (the model, its bytes or its file).
    X_sample : array-like of shape (n_samples, n_features)
        A few numeric rows of the data the model predicts on (to check the
        number of features, and to export a distiller to ONNX).
    backend : {"auto", "torch", "onnx"}, default="auto"
        ``"torch"`` quantizes the student's ``torch.nn.Linear`` layers with
        ``torch.ao.quantization.quantize_dynamic``; ``"onnx"`` quantizes the ONNX
        export (MatMul and Gemm weights) with
        ``onnxruntime.quantization.quantize_dynamic``. ``"auto"`` is ``"torch"``
        for a distiller, ``"onnx"`` for an ONNX model.
    path : str or path-like, default=None
        With ``backend="onnx"``, also write the quantized ONNX model there,
        atomically (by convention ``*.onnx``).
    overwrite : bool, default=False
        Replace an existing ``path``.

    Returns
    -------
    quantized : QuantizedStudent
        The quantized student, with ``predict``, ``predict_proba``, ``classes_``,
        ``size_`` and ``float_size_``.

    Raises
    ------
    TypeError
        If the model is neither a distiller with a skorch student nor an ONNX model.
    ValueError
        If the student has no linear layer to quantize.

    See Also
    --------
    quantization_report : Size, latency and scores against the float student.
    to_onnx : The float student as an ONNX graph.

    Notes
    -----
    Parity, measured by ``benchmarks/bench_quantize.py`` (digits and MAGIC,
    MLPs of two hidden layers of 128 and 256 units, both backends, 5 seeds): at
    least 97% of the test rows keep their predicted class (98.6% or more with
    onnxruntime), and accuracy moves by 0.26 points or less on average (0.93 at
    worst for one seed). Single probabilities move more on rows near a decision
    boundary: up to 0.7 there (standardized inputs, two hidden layers), at most
    0.05 for one-hidden-layer students on digits scaled to [0, 1];
    ``tests/test_quantize.py`` holds such students to 0.05 and 98%.

    Int8 weights take a quarter of the space of float32 ones: students whose
    weights dominate their size shrink to 0.27-0.33x (128-256 hidden units); a
    small one less (0.5x at 32 units), as biases, scales and the file's
    structure stay, and a net of a few hundred weights even grows. Inputs on a
    large or uneven scale quantize worse: standardize them before the distiller
    (quantize takes the distiller, not a pipeline). Single-row latency is not
    what int8 buys on a CPU for small MLPs: quantizing the activations of each
    call costs as much as the float products it saves (int8/float latency about
    1.0-1.2x with onnxruntime, about 2x with torch, single-threaded; on a busy
    machine torch's thread pool dominates single-row calls, so time with
    ``torch.set_num_threads(1)``).

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.export import quantize
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> _ = torch.manual_seed(0)  # the module instance draws its weights now
    >>> net = NeuralNetClassifier(
    ...     torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
    ...                         torch.nn.Linear(128, 10)),
    ...     criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
    ...     lr=0.01, max_epochs=10, train_split=None, verbose=0)
    >>> model = DistilledClassifier(teacher, net, temperature=2.0,
    ...                             random_state=0).fit(X, y)
    >>> quantized = quantize(model, X[:10])
    >>> bool(quantized.size_ < 0.35 * quantized.float_size_)
    True
    >>> bool((quantized.predict(X) == model.predict(X)).mean() > 0.97)
    True
    """
    if not _BACKENDS.is_satisfied_by(backend):
        raise ValueError(f"backend must be 'auto', 'torch' or 'onnx'; got {backend!r}.")
    if isinstance(model, DistilledClassifier):
        check_is_fitted(model)
        _check_skorch_student(model)
        if backend == "onnx":
            from ._onnx import to_onnx

            onx = to_onnx(model, X_sample)
            return _quantize_onnx(onx.SerializeToString(), X_sample, path, overwrite)
        if path is not None:
            raise ValueError(
                "path is written by backend='onnx' only (a torch student is not a file); "
                "pass backend='onnx', or save the quantized student with pickle."
            )
        return _quantize_torch(model, X_sample)
    data = _onnx_bytes(model)
    if data is None:
        raise TypeError(
            f"quantize takes a fitted DistilledClassifier with a skorch (torch) student "
            f"or an ONNX model from skdistill.export.to_onnx; got {name_of(model)}. "
            "Tree and linear students are already small: compile them "
            "(compile_student) or export them (to_onnx) instead."
        )
    if backend == "torch":
        raise ValueError(
            "backend='torch' quantizes a distiller's torch student; an ONNX model is "
            "quantized with backend='onnx' (or 'auto')."
        )
    return _quantize_onnx(data, X_sample, path, overwrite)


def _check_skorch_student(model):
    if model.strategy_.name != "skorch" or not _is_skorch_classifier(model.student_):
        raise TypeError(
            f"quantize needs a torch student: this DistilledClassifier's student is "
            f"{name_of(model.student_)} (strategy {model.strategy_.name!r}). Dynamic "
            "int8 quantization applies to the linear layers of a neural net (a skorch "
            "NeuralNetClassifier student); tree and linear students are already "
            "small: compile_student or to_onnx them instead."
        )


def _onnx_bytes(model):
    """The serialized ONNX model given as a ModelProto, bytes or a path; else None."""
    if isinstance(model, bytes):
        return model
    if isinstance(model, str | Path):
        path = Path(model)
        if path.suffix.lower() != ".onnx":
            return None
        return path.read_bytes()
    if type(model).__name__ == "ModelProto" and hasattr(model, "SerializeToString"):
        return model.SerializeToString()
    return None


def _sample(X_sample, n_features):
    X = np.asarray(X_sample)
    if X.ndim != 2 or X.shape[0] == 0 or X.dtype.kind not in "biuf":
        raise ValueError(
            f"X_sample must be a non-empty 2-d numeric array (a few rows of the data); "
            f"got shape {X.shape} and dtype {X.dtype}."
        )
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X_sample has {X.shape[1]} features but the model takes {n_features}; "
            "pass rows of the data it predicts on."
        )
    return X.astype(np.float32)


def _torch_size(module):
    import torch

    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return len(buffer.getvalue())


def _quantize_torch(model, X_sample):
    torch = optional_import("torch", extra="torch", purpose=_PURPOSE)
    X = _sample(X_sample, model.n_features_in_)
    module = model.student_.module_
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in module.modules())
    if n_linear == 0:
        raise ValueError(
            f"The student's module {type(module).__name__} has no torch.nn.Linear "
            "layer, the layers dynamic int8 quantization stores as int8. Give the "
            "student linear layers, or quantize a convolutional net statically with "
            "torch.ao.quantization (calibration data needed)."
        )
    float_module = copy.deepcopy(module).cpu().eval()
    with warnings.catch_warnings():
        # torch announces that torch.ao moves to the torchao package
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", ".*quantized tensor creation", UserWarning)
        quantized = torch.ao.quantization.quantize_dynamic(
            float_module, {torch.nn.Linear}, dtype=torch.qint8
        )
    spec = model.strategy_.output_spec()
    student = QuantizedStudent(
        _TorchRunner(quantized, spec),
        float_runner=_TorchRunner(float_module, spec),
        classes=model.classes_,
        columns=getattr(model, "student_features_", None),
        n_features=model.n_features_in_,
        backend="torch",
        size=_torch_size(quantized),
        float_size=_torch_size(float_module),
    )
    student.predict_proba(X[:1])  # fails now, not at the first real call
    return student


def _quantize_onnx(data, X_sample, path, overwrite):
    onnx = optional_import("onnx", purpose=_PURPOSE)
    optional_import("onnxruntime", purpose=_PURPOSE)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    proto = onnx.load_from_string(data)
    weighted = {"MatMul", "Gemm", "Conv"}
    if not any(node.op_type in weighted for node in proto.graph.node):
        raise ValueError(
            "The ONNX model has no MatMul, Gemm or Conv node, whose weights dynamic "
            "int8 quantization stores as int8 (tree ensembles are TreeEnsemble "
            "nodes): there is nothing to quantize."
        )
    meta = {prop.key: prop.value for prop in proto.metadata_props}
    if "skdistill.classes" not in meta:
        raise ValueError(
            "The ONNX model carries no skdistill.classes metadata: quantize takes "
            "ONNX classifiers written by skdistill.export.to_onnx."
        )
    with tempfile.TemporaryDirectory() as folder, _quiet_root_logger():
        source, target = Path(folder, "float.onnx"), Path(folder, "int8.onnx")
        source.write_bytes(data)
        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        quantized = target.read_bytes()
    n_features = _input_width(proto)
    X = _sample(X_sample, n_features)
    student = QuantizedStudent(
        _OnnxRunner(quantized),
        float_runner=_OnnxRunner(data),
        classes=np.asarray(json.loads(meta["skdistill.classes"])),
        columns=None,
        n_features=n_features,
        backend="onnx",
        size=len(quantized),
        float_size=len(data),
    )
    student.predict_proba(X[:1])
    if path is not None:
        write_atomic(path, quantized, overwrite=overwrite)
    return student


@contextlib.contextmanager
def _quiet_root_logger():
    """Silence onnxruntime's advice to pre-process (logged on the root logger),
    which concerns static quantization of convolutional models."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _input_width(proto):
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    return int(dims[1].dim_value) if len(dims) == 2 and dims[1].dim_value else None


class _TorchRunner:
    """The quantized module and the distiller's map of its outputs to probabilities."""

    def __init__(self, module, spec):
        self.module = module
        self.spec = spec

    def proba(self, X):
        import torch

        with torch.no_grad():
            out = self.module(torch.as_tensor(X))
        if isinstance(out, tuple | list):
            out = out[0]
        return self.spec.to_proba(out.numpy().astype(np.float64))


class _OnnxRunner:
    """An onnxruntime session of the quantized graph (rebuilt after unpickling)."""

    def __init__(self, data):
        self.data = data
        self._session = None

    def __getstate__(self):
        return {"data": self.data, "_session": None}

    def proba(self, X):
        if self._session is None:
            import onnxruntime

            self._session = onnxruntime.InferenceSession(
                self.data, providers=["CPUExecutionProvider"]
            )
        (proba,) = self._session.run(["probabilities"], {"X": X})
        return proba.astype(np.float64)


class QuantizedStudent:
    """A distilled student with int8 weights, predicting like its distiller.

    Made by :func:`quantize`; not constructed directly.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The distiller's classes; columns of ``predict_proba``.
    n_features_in_ : int or None
        Number of features ``predict`` takes.
    backend_ : {"torch", "onnx"}
        Which quantizer made it.
    size_ : int
        Bytes of the quantized model (the serialized ``state_dict`` for torch, the
        ONNX file for onnx).
    float_size_ : int
        Bytes of the float model, measured the same way.
    onnx_bytes_ : bytes or None
        The quantized ONNX model (``backend="onnx"``).

    See Also
    --------
    quantize : Makes it.
    quantization_report : Compares it with the float student.
    """

    def __init__(
        self,
        runner,
        *,
        float_runner,
        classes,
        columns,
        n_features,
        backend,
        size,
        float_size,
    ):
        self._runner = runner
        self._float_runner = float_runner  # the same runner, float weights: the reference
        self._columns = columns
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = n_features
        self.backend_ = backend
        self.size_ = int(size)
        self.float_size_ = int(float_size)

    def __getstate__(self):
        return {**self.__dict__, "_float_runner": None}  # the float model stays out

    def _float_reference(self):
        """The float student run the same way (for fair latency comparisons)."""
        if self._float_runner is None:
            raise ValueError(
                "This QuantizedStudent was unpickled without its float reference; "
                "quantize the distiller again to compare them."
            )
        reference = copy.copy(self)
        reference._runner = self._float_runner
        return reference

    @property
    def onnx_bytes_(self):
        return getattr(self._runner, "data", None)

    def _input(self, X):
        X = np.asarray(X)
        if X.ndim != 2 or (
            self.n_features_in_ is not None and X.shape[1] != self.n_features_in_
        ):
            raise ValueError(
                f"X must be 2-d with {self.n_features_in_} features; got shape {X.shape}."
            )
        if self._columns is not None:
            X = X[:, self._columns]
        return np.ascontiguousarray(X, dtype=np.float32)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities (float64).
        """
        return self._runner.proba(self._input(X))

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __repr__(self):
        return (
            f"QuantizedStudent(backend={self.backend_!r}, size={self.size_} bytes, "
            f"float_size={self.float_size_} bytes)"
        )


def quantization_report(model, quantized, X, y, *, n_calls=200):
    """Float and int8 students side by side: size, latency, scores and agreement.

    Parameters
    ----------
    model : estimator
        The float model: the fitted distiller (or any classifier with
        ``predict_proba``).
    quantized : QuantizedStudent
        Its quantized student, from :func:`quantize`.
    X : array-like of shape (n_samples, n_features)
        Test rows.
    y : array-like of shape (n_samples,)
        Their labels.
    n_calls : int, default=200
        Single-row calls timed per model (see
        :func:`~skdistill.report.prediction_speed`).

    Returns
    -------
    report : dict of str to dict
        ``{"float": {...}, "int8": {...}}`` with ``size`` (bytes, as ``size_`` and
        ``float_size_`` measure them), ``latency`` (median seconds of a single-row
        ``predict_proba``; the float student is run by the same runtime as the
        int8 one, torch module or onnxruntime, so that only the weights differ),
        ``accuracy`` and ``roc_auc`` (one-vs-rest, macro, for more than two
        classes); the ``"int8"`` entry adds ``size_ratio``,
        ``latency_ratio``, ``max_proba_diff`` and ``agreement`` (share of rows with
        the float model's predicted class). ``pandas.DataFrame(report)`` shows it
        as a table.

    See Also
    --------
    quantize : Makes the quantized student.
    skdistill.report.prediction_speed : The latency measurement.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.export import quantization_report, quantize
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> _ = torch.manual_seed(0)  # the module instance draws its weights now
    >>> net = NeuralNetClassifier(
    ...     torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.ReLU(),
    ...                         torch.nn.Linear(64, 3)),
    ...     criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
    ...     lr=0.01, max_epochs=30, train_split=None, verbose=0)
    >>> model = DistilledClassifier(teacher, net, random_state=0).fit(X, y)
    >>> report = quantization_report(model, quantize(model, X[:5]), X, y, n_calls=20)
    >>> sorted(report["int8"])  # doctest: +NORMALIZE_WHITESPACE
    ['accuracy', 'agreement', 'latency', 'latency_ratio', 'max_proba_diff',
     'roc_auc', 'size', 'size_ratio']
    >>> bool(report["int8"]["agreement"] > 0.95)
    True
    """
    from ..report import prediction_speed

    X = np.asarray(X)
    # the float student run by the same runner, so only the weights differ
    reference = quantized._float_reference()
    speeds = prediction_speed(
        {"float": reference, "int8": quantized}, X, n_calls=n_calls, n_batches=1
    )
    float_proba = model.predict_proba(X)
    int8_proba = quantized.predict_proba(X)
    classes = np.asarray(model.classes_)
    report = {}
    for name, proba, size in (
        ("float", float_proba, quantized.float_size_),
        ("int8", int8_proba, quantized.size_),
    ):
        report[name] = {
            "size": size,
            "latency": speeds[name].latency,
            "accuracy": accuracy_score(y, classes[proba.argmax(axis=1)]),
            "roc_auc": _roc_auc(y, proba, classes),
        }
    report["int8"].update(
        size_ratio=quantized.size_ / quantized.float_size_,
        latency_ratio=speeds["int8"].latency / speeds["float"].latency,
        max_proba_diff=float(np.abs(int8_proba - float_proba).max()),
        agreement=float((int8_proba.argmax(axis=1) == float_proba.argmax(axis=1)).mean()),
    )
    return report


def _roc_auc(y, proba, classes):
    present = np.unique(y)
    if len(present) < 2:
        return float("nan")
    if len(classes) == 2:
        return float(roc_auc_score(y == classes[1], proba[:, 1]))
    if len(present) < len(classes):
        return float("nan")  # one-vs-rest needs every class among the rows
    return float(roc_auc_score(y, proba, multi_class="ovr", labels=classes))
