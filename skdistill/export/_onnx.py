"""ONNX export of a fitted student, with the distiller's mapping to probabilities.

The student is converted by its framework's converter (skl2onnx for scikit-learn
models, onnxmltools' LightGBM and XGBoost converters registered into skl2onnx,
``torch.onnx`` for skorch nets); a few extra nodes then reproduce what the
distiller's strategy does with the student's outputs (column order of the classes,
the ``softmax(s * log p)`` map back to temperature 1, the softmax of a regressor's
logits). The teacher is not part of the graph.
"""

import copy
import io
import json
import sys
import warnings

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_is_fitted

from .._compat import optional_import
from .._distill import DistilledClassifier, DistilledRegressor
from .._io import write_atomic
from .._validation import name_of
from ..strategies import resolve_strategy
from ..strategies._base import check_describes_output, fitted_output_spec
from ..strategies._skorch import _is_skorch_classifier
from ._integrity import refuse_teacher_ensemble
from ._onnx_trees import InexactConversionError, exact_converters, refusal

__all__ = ["to_onnx"]

#: Default opset of the main ONNX domain: supported by onnxruntime >= 1.14.
DEFAULT_OPSET = 18

#: Softmax over one axis (its current meaning) needs opset 13.
_MIN_OPSET = 13

_PURPOSE = "ONNX export"


def to_onnx(model, X_sample, *, path=None, target_opset=None, overwrite=False):
    """Export the fitted student as an ONNX model that reproduces the distiller.

    The graph holds the student alone, never the teacher. For a
    :class:`~skdistill.DistilledClassifier` it computes exactly what the distiller's
    ``predict_proba`` and ``predict`` compute: the student's outputs, mapped to the
    teacher's classes and, for a student trained at ``temperature != 1``, back to
    temperature 1 (``softmax(s * log p)``; the softmax of the logits for a
    ``"regress"`` student). Converters: skl2onnx for scikit-learn students
    (pipelines included), onnxmltools for LightGBM and XGBoost ones, ``torch.onnx``
    for skorch nets. What follows the student comes from the strategy's
    :meth:`~skdistill.strategies.BaseStrategy.output_spec` alone, so a strategy
    registered by a user is exported when it implements that method.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skdistill.DistilledClassifier` or
        :class:`~skdistill.DistilledRegressor`, or a fitted scikit-learn-API
        classifier (with ``predict_proba``) or regressor, such as a bare student.
    X_sample : array-like of shape (n_samples, n_features)
        A few numeric rows of the data the model predicts on: they fix the number
        of features, serve as the example input of ``torch.onnx`` and tell the
        output shape of a regressor.
    path : str or path-like, default=None
        Also write the model there (atomically, see
        :func:`~skdistill.export.save`), by convention ``*.onnx``.
    target_opset : int, default=None
        Opset of the main ONNX domain, at least 13; None means 18. Converters may
        use a lower one when they support no higher.
    overwrite : bool, default=False
        Replace an existing ``path``.

    Returns
    -------
    onnx_model : onnx.ModelProto
        One input ``X``: float32 of shape ``(n_samples, n_features)``, the columns
        in the order of ``fit``. Outputs of a classifier: ``label`` (int64, string
        or float64 labels from ``classes_``, shape ``(n_samples,)``) and
        ``probabilities`` (float32, shape ``(n_samples, n_classes)``, columns in
        the order of ``classes_``); a classifier without ``predict_proba`` gives
        ``label`` alone. Output of a regressor: ``predictions`` (float32, the shape
        of ``predict``).

    Raises
    ------
    TypeError
        If the student has no ONNX conversion, or its strategy describes no output
        (does not implement :meth:`~skdistill.strategies.BaseStrategy.output_spec`).
    ValueError
        If the graph could not reproduce the student exactly, as for missing values
        the ONNX tree operators cannot route (LightGBM's ``zero_as_missing=True``,
        XGBoost's ``missing=0``) or categorical splits (LightGBM, XGBoost,
        HistGradientBoosting); the message says how to fit an exportable student.

    See Also
    --------
    compile_student : Tree students as native code.
    save : The whole distiller in the skops format.

    Notes
    -----
    The graph computes in float32 where scikit-learn computes in float64:
    probabilities agree to about 1e-6. Trees compare float32 features with float32
    thresholds, chosen so that every float32 value takes the branch it takes in the
    student (scikit-learn and HistGradientBoosting compare with float64 thresholds,
    LightGBM compares float64 values). A float64 feature that float32 cannot hold is
    rounded first, and can take the other branch when it lies within that rounding
    of a threshold; feeding float32 data (as the runtime does) avoids it.

    Missing values (NaN) take the branch the student sends them to: each
    scikit-learn tree node's ``missing_go_to_left`` (HistGradientBoosting
    included; where training saw no NaN, the child with more samples),
    LightGBM's and XGBoost's default directions. Models whose routing the ONNX tree
    operators cannot express are refused rather than exported wrong.

    Metadata: ``skdistill.classes`` (JSON), ``skdistill.strategy``,
    ``skdistill.temperature`` and ``skdistill.version``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.export import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> model = DistilledClassifier(teacher, temperature=3.0, random_state=0).fit(X, y)
    >>> onx = to_onnx(model, X[:5])
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    >>> session = ort.InferenceSession(onx.SerializeToString())
    >>> label, proba = session.run(None, {"X": X.astype(np.float32)})
    >>> bool(np.abs(proba - model.predict_proba(X)).max() < 1e-5)
    True
    >>> bool((label == model.predict(X)).all())
    True
    """
    refuse_teacher_ensemble(model, "to_onnx")
    onnx = optional_import("onnx", purpose=_PURPOSE)
    check_is_fitted(model)
    opset = _check_opset(target_opset)
    X = _check_sample(X_sample, model)
    if isinstance(model, DistilledClassifier):
        graph = _distilled_classifier(model, X, opset)
    elif isinstance(model, DistilledRegressor):
        graph = _regressor(model.student_, X, opset, one_d=model.predict(X[:1]).ndim == 1)
    elif _is_skorch_classifier(model):
        raise TypeError(_bare_skorch_message(model))
    elif is_classifier(model):
        graph = _plain_classifier(model, X, opset)
    elif is_regressor(model):
        graph = _regressor(model, X, opset, one_d=np.ndim(model.predict(X[:1])) == 1)
    else:
        raise TypeError(
            f"to_onnx exports fitted distillers, classifiers and regressors; got "
            f"{name_of(model)}."
        )
    proto = graph.finish(model)
    onnx.checker.check_model(proto)
    if path is not None:
        data = proto.SerializeToString()
        write_atomic(path, lambda tmp: tmp.write_bytes(data), overwrite=overwrite)
    return proto


def check_onnx_exportable(estimator):
    """Raise, before any fitting, the error ``to_onnx`` would raise once fitted.

    A cheap check for long fits followed by an export (``skdistill distill
    --onnx``): the ONNX extras are installed, the strategy and every part of the
    student have a converter, and no parameter makes an exact export impossible
    (e.g. LightGBM's ``zero_as_missing=True``). What only the fitted model shows,
    such as categorical splits, is left to :func:`to_onnx`.

    Parameters
    ----------
    estimator : estimator
        An unfitted (or fitted) :class:`~skdistill.DistilledClassifier`,
        :class:`~skdistill.DistilledRegressor` or bare student.

    Raises
    ------
    ImportError
        If an extra the export needs is not installed.
    TypeError
        If the student or one of its parts has no ONNX conversion, or the strategy
        describes no output (``output_spec``).
    ValueError
        If a parameter of the student makes an exact export impossible.
    """
    optional_import("onnx", purpose=_PURPOSE)
    if isinstance(estimator, DistilledClassifier | DistilledRegressor):
        student = estimator._student_or_default()
        if isinstance(estimator, DistilledClassifier):
            strategy = resolve_strategy(estimator.strategy, student)
            check_describes_output(strategy, _no_export_lead(strategy))
            if _is_skorch_classifier(student):  # converted by torch.onnx
                optional_import("torch", extra="torch", purpose=_PURPOSE)
                return
    elif _is_skorch_classifier(estimator):
        raise TypeError(_bare_skorch_message(estimator))
    else:
        student = estimator
    skl2onnx = optional_import("skl2onnx", purpose=_PURPOSE)
    for part in _parts(student):
        if type(part).__module__.split(".")[0] in ("lightgbm", "xgboost"):
            optional_import("onnxmltools", purpose=_PURPOSE)
            _register_boosting_converters(skl2onnx)
        try:
            skl2onnx.get_model_alias(type(part))
        except RuntimeError:
            raise TypeError(_no_converter_message(part)) from None
        message = refusal(part, fitted=False)
        if message:
            raise InexactConversionError(message)


def _parts(estimator):
    """``estimator`` and the estimators inside it (steps, wrapped and listed ones)."""
    yield estimator
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    inner = []
    for key in ("steps", "transformer_list", "transformers", "estimators"):
        for item in params.get(key) or []:
            inner.append(item[1] if isinstance(item, tuple) else item)
    inner += [params.get("estimator"), params.get("final_estimator")]
    for part in inner:
        if part is not None and not isinstance(part, str):  # "passthrough", "drop"
            yield from _parts(part)


def _bare_skorch_message(net):
    return (
        f"A bare skorch net ({name_of(net)}) is not exported on its own: what its "
        "module outputs (logits or probabilities) is known to the distiller. Export "
        "the fitted DistilledClassifier instead."
    )


def _check_opset(target_opset):
    if target_opset is None:
        return DEFAULT_OPSET
    if int(target_opset) < _MIN_OPSET:
        raise ValueError(
            f"target_opset={target_opset} is too old: the export needs opset "
            f"{_MIN_OPSET} or later (Softmax over one axis). Pass target_opset=None "
            f"(uses {DEFAULT_OPSET}) or a value from {_MIN_OPSET}."
        )
    return int(target_opset)


def _check_sample(X_sample, model):
    X = np.asarray(X_sample)
    if X.ndim != 2 or X.shape[0] == 0 or X.dtype.kind not in "biuf":
        raise ValueError(
            f"X_sample must be a non-empty 2-d numeric array (a few rows of the data); "
            f"got shape {X.shape} and dtype {X.dtype}."
        )
    expected = getattr(model, "n_features_in_", X.shape[1])
    if X.shape[1] != expected:
        raise ValueError(
            f"X_sample has {X.shape[1]} features but {name_of(model)} was fitted on "
            f"{expected}; pass rows of the data it predicts on."
        )
    return X.astype(np.float32)


# -- the student's own graph ----------------------------------------------------------


def _distilled_classifier(model, X, opset):
    strategy = model.strategy_
    student = model.student_
    spec = fitted_output_spec(strategy, _no_export_lead(strategy))
    columns = getattr(model, "student_features_", None)
    if columns is not None:  # the student sees these columns only
        X = X[:, columns]
    if spec.kind.startswith("module-"):
        graph = _Graph(_torch_student(student, X, opset))
        proba = _head(graph, graph.student("logits"), spec)
    elif spec.kind.startswith("regress-"):
        graph = _Graph(_sklearn_student(student, X, opset, classifier=False))
        proba = _head(graph, graph.student("variable"), spec)
    else:  # "proba", "margin" (the converters' probabilities) or "label"
        graph = _Graph(_sklearn_student(student, X, opset, classifier=True))
        if spec.kind == "label":  # the distiller predicts the student's labels
            graph.set_label(graph.student("label"))
            if columns is not None:
                graph.select_columns(columns, model.n_features_in_)
            return graph
        proba = _head(graph, graph.student("probabilities"), spec)
    graph.set_probabilities(proba, len(model.classes_))
    graph.set_label(graph.argmax_label(proba, model.classes_))
    if columns is not None:
        graph.select_columns(columns, model.n_features_in_)
    graph.metadata.update(
        {
            "skdistill.strategy": strategy.name,
            "skdistill.temperature": repr(float(model.temperature)),
        }
    )
    return graph


def _no_export_lead(strategy):
    return f"No ONNX export for the strategy {type(strategy).__name__}"


def _head(graph, out, spec):
    """The distiller's probabilities from the student's output ``out``, as ``spec``
    describes them (:meth:`~skdistill.strategies.OutputSpec.to_proba` in nodes).

    A ``"margin"`` student is read through its converter's probabilities, the
    softmax of its margins: ``log`` of them differs from the margins by a constant
    per row, which the softmax of the map ignores.
    """
    n_classes, s = spec.n_classes, spec.scale
    if spec.kind in ("proba", "margin"):
        proba = graph.to_columns(out, spec.columns, n_classes)
        if not spec.maps_output:
            return proba
        proba = graph.smoothed(proba, spec.smoothing, n_classes)
        logits = graph.scaled_log(proba, s, spec.proba_floor)
        return graph.softmax(graph.add_bias(logits, spec.bias))
    if spec.kind.startswith("regress-") and len(spec.columns) == 2:
        # one output: the log-odds, or the probability of the second class
        out = graph.node("Reshape", [out, graph.const(np.array([-1, 1], np.int64))])
        if spec.kind == "regress-logit":  # logits [-m/2, m/2] of the log-odds m
            half = 0.5 * (s if spec.smoothing == 0 else 1.0)
            factor = graph.const(np.array([[-half, half]], dtype=np.float32))
            out = graph.node("Mul", [out, factor])
            if spec.smoothing == 0:  # already scaled
                return graph.softmax(graph.add_bias(out, spec.bias))
        else:
            one = graph.const(np.array(1.0, np.float32))
            out = graph.node("Concat", [graph.node("Sub", [one, out]), out], axis=1)
    out = graph.to_columns(out, spec.columns, n_classes)
    if spec.smoothing:
        if not spec.is_logit:
            out = graph.scaled_log(out, 1.0, spec.proba_floor)
        proba = graph.smoothed(graph.softmax(out), spec.smoothing, n_classes)
        logits = graph.scaled_log(proba, s, spec.smoothing / n_classes)
    elif not spec.is_logit:
        logits = graph.scaled_log(out, s, spec.proba_floor)
    elif s != 1.0:
        logits = graph.node("Mul", [out, graph.const(np.array(s, np.float32))])
    else:
        logits = out
    return graph.softmax(graph.add_bias(logits, spec.bias))


def _plain_classifier(model, X, opset):
    graph = _Graph(_sklearn_student(model, X, opset, classifier=True))
    if hasattr(model, "predict_proba"):
        proba = graph.student("probabilities")
        graph.set_probabilities(proba, len(model.classes_))
    graph.set_label(graph.student("label"))
    return graph


def _regressor(student, X, opset, *, one_d):
    graph = _Graph(_sklearn_student(student, X, opset, classifier=False))
    out = graph.student("variable")
    if one_d:
        out = graph.node("Reshape", [out, graph.const(np.array([-1], np.int64))])
        graph.add_output("predictions", out, "float32", [None])
    else:
        n_outputs = np.shape(student.predict(X[:1]))[1]
        graph.add_output("predictions", out, "float32", [None, n_outputs])
    return graph


def _final_step(estimator):
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    return estimator


def _sklearn_student(student, X, opset, *, classifier):
    """skl2onnx's graph of a scikit-learn-API student (LightGBM/XGBoost registered)."""
    skl2onnx = optional_import("skl2onnx", purpose=_PURPOSE)
    from skl2onnx.common.data_types import FloatTensorType
    from skl2onnx.common.exceptions import MissingConverter, MissingShapeCalculator

    _register_boosting_converters(skl2onnx)
    student = _without_flat_transform(student)
    options = None
    if classifier:
        final = _final_step(student)
        if hasattr(final, "predict_proba"):
            options = {id(final): {"zipmap": False}}
    try:
        return skl2onnx.convert_sklearn(
            student,
            initial_types=[("X", FloatTensorType([None, X.shape[1]]))],
            target_opset={"": opset, "ai.onnx.ml": _ml_opset(opset)},
            options=options,
            # for this conversion only: NaN branches, thresholds, feature names
            custom_conversion_functions=exact_converters(skl2onnx),
        )
    except (MissingConverter, MissingShapeCalculator) as exc:
        raise TypeError(f"{_no_converter_message(student)}\n{exc}") from exc


def _without_flat_transform(model):
    """``model``, or a shallow copy whose (final) soft ``VotingClassifier`` has
    ``flatten_transform=False``: the option shapes only ``transform``'s output, not
    the probabilities exported, and skl2onnx converts only that setting."""
    from sklearn.ensemble import VotingClassifier
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        final = _without_flat_transform(model.steps[-1][1])
        if final is model.steps[-1][1]:
            return model
        model = copy.copy(model)
        model.steps = [*model.steps[:-1], (model.steps[-1][0], final)]
        return model
    if isinstance(model, VotingClassifier) and model.flatten_transform:
        model = copy.copy(model)
        model.flatten_transform = False
    return model


def _no_converter_message(student):
    return (
        f"skl2onnx has no converter for the student {name_of(student)} (or one of its "
        "steps), so it cannot be exported to ONNX; choose a student skl2onnx "
        "supports (trees, forests, linear models, pipelines of them)."
    )


def _ml_opset(opset):
    """Opset of ``ai.onnx.ml`` released with ``opset`` (at most 3, skl2onnx's limit)."""
    onnx = sys.modules["onnx"]
    paired = [row[3] for row in onnx.helper.VERSION_TABLE if row[2] >= opset]
    return min(3, paired[0] if paired else 3)


def _register_boosting_converters(skl2onnx):
    """Register onnxmltools' LightGBM/XGBoost converters with skl2onnx, once.

    Done only for frameworks already imported (a fitted student of theirs exists),
    and never over a converter the user registered.
    """
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    frameworks = (
        ("lightgbm", "LGBM", "LightGbm", "lightgbm.operator_converters.LightGbm"),
        ("xgboost", "XGB", "XGBoost", "xgboost.operator_converters.XGBoost"),
    )
    for framework, prefix, alias, module in frameworks:
        if framework not in sys.modules:
            continue
        converters = optional_import(f"onnxmltools.convert.{module}", purpose=_PURPOSE)
        convert = getattr(converters, f"convert_{framework}")
        kinds = (
            ("Classifier", calculate_linear_classifier_output_shapes, options),
            ("Regressor", calculate_linear_regressor_output_shapes, None),
        )
        for kind, shapes, opts in kinds:
            cls = getattr(sys.modules[framework], prefix + kind)
            try:
                skl2onnx.get_model_alias(cls)
                continue  # already registered (by us or by the user)
            except RuntimeError:
                pass
            skl2onnx.update_registered_converter(
                cls, alias + cls.__name__, shapes, convert, options=opts
            )


def _torch_student(net, X, opset):
    """``torch.onnx``'s graph of a skorch net's module; output ``logits``."""
    torch = optional_import("torch", extra="torch", purpose=_PURPOSE)
    onnx = optional_import("onnx", purpose=_PURPOSE)
    module = net.module_
    was_training = module.training
    module.eval()
    buffer = io.BytesIO()
    try:
        example = torch.as_tensor(X[:1], device=net.device)
        with warnings.catch_warnings():
            # the TorchScript exporter (no onnxscript needed) announces its deprecation
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            torch.onnx.export(
                module,
                (example,),
                buffer,
                dynamo=False,
                input_names=["X"],
                output_names=["logits"],
                dynamic_axes={"X": {0: "n_samples"}, "logits": {0: "n_samples"}},
                opset_version=opset,
            )
    finally:
        module.train(was_training)
    return onnx.load_from_string(buffer.getvalue())


# -- extra nodes ----------------------------------------------------------------------


class _Graph:
    """A student's ONNX model, renamed ``student_*``, plus the nodes added after it."""

    def __init__(self, student):
        onnx = optional_import("onnx", purpose=_PURPOSE)
        from onnx import compose, numpy_helper, shape_inference  # noqa: F401

        self.onnx = onnx
        self.model = compose.add_prefix(student, "student_", rename_inputs=False)
        self.graph = self.model.graph
        # element types the converter declared for its outputs (fallback of inference)
        self._declared = {
            value.name: value.type.tensor_type.elem_type for value in self.graph.output
        }
        self.outputs = []
        self.metadata = {}
        self._count = 0
        self._opset = _default_opset(self.model)
        del self.graph.output[:]

    def _name(self, hint):
        self._count += 1
        return f"skdistill_{hint}_{self._count}"

    def student(self, output):
        return f"student_{output}"

    def const(self, array):
        name = self._name("const")
        array = np.asarray(array)
        if array.dtype.kind in "OUS":
            tensor = self.onnx.helper.make_tensor(
                name,
                self.onnx.TensorProto.STRING,
                array.shape,
                [str(v).encode() for v in array.ravel()],
            )
        else:
            tensor = self.onnx.numpy_helper.from_array(array, name)
        self.graph.initializer.append(tensor)
        return name

    def node(self, op, inputs, **attributes):
        output = self._name(op.lower())
        self.graph.node.append(
            self.onnx.helper.make_node(
                op, inputs, [output], name=self._name(op), **attributes
            )
        )
        return output

    def softmax(self, logits):
        return self.node("Softmax", [logits], axis=-1)

    def smoothed(self, proba, smoothing, n_classes):
        """``(1 - smoothing) * proba + smoothing / n_classes``; no node for 0."""
        if smoothing == 0:
            return proba
        keep = self.const(np.array(1.0 - smoothing, np.float32))
        share = self.const(np.array(smoothing / n_classes, np.float32))
        return self.node("Add", [self.node("Mul", [proba, keep]), share])

    def add_bias(self, logits, bias):
        """``logits + bias`` (one bias per class column); no node for zeros."""
        bias = np.asarray(bias, dtype=np.float32).reshape(1, -1)
        if not bias.any():
            return logits
        return self.node("Add", [logits, self.const(bias)])

    def select_columns(self, columns, n_features):
        """Feed the student ``X[:, columns]``; the input ``X`` gets ``n_features``."""
        selected = self._name("student_X")
        for node in self.graph.node:
            node.input[:] = [selected if name == "X" else name for name in node.input]
        indices = self.const(np.asarray(columns, dtype=np.int64))
        gather = self.onnx.helper.make_node(
            "Gather", ["X", indices], [selected], name=self._name("Gather"), axis=1
        )
        nodes = [gather, *self.graph.node]
        del self.graph.node[:]
        self.graph.node.extend(nodes)
        (value,) = [value for value in self.graph.input if value.name == "X"]
        dim = value.type.tensor_type.shape.dim[1]
        dim.Clear()
        dim.dim_value = int(n_features)

    def scaled_log(self, proba, scale, floor):
        """``scale * log(clip(proba, floor, 1))``."""
        low = self.const(np.array(floor, np.float32))
        high = self.const(np.array(1.0, np.float32))
        out = self.node("Log", [self.node("Clip", [proba, low, high])])
        if scale != 1.0:
            out = self.node("Mul", [out, self.const(np.array(scale, np.float32))])
        return out

    def to_columns(self, proba, columns, n_classes):
        """Student columns into the teacher's class order (zeros for unseen classes)."""
        columns = np.asarray(columns)
        if len(columns) == n_classes and np.array_equal(columns, np.arange(n_classes)):
            return proba
        placement = np.zeros((len(columns), n_classes), dtype=np.float32)
        placement[np.arange(len(columns)), columns] = 1.0
        return self.node("MatMul", [proba, self.const(placement)])

    def argmax_label(self, proba, classes):
        index = self.node("ArgMax", [proba], axis=1, keepdims=0)
        return self.node("Gather", [self.const(_label_values(classes)), index], axis=0)

    def set_probabilities(self, proba, n_classes):
        self.add_output("probabilities", proba, "float32", [None, n_classes])

    def set_label(self, label):
        # the element type is inferred by the checker from the producing node
        self.add_output("label", label, None, [None])

    def add_output(self, name, value, dtype, shape):
        self.graph.node.append(
            self.onnx.helper.make_node("Identity", [value], [name], name=self._name(name))
        )
        self.outputs.append((name, value, dtype, shape))

    def finish(self, model):
        helper, TensorProto = self.onnx.helper, self.onnx.TensorProto
        inferred = self._infer_types()
        order = ["label", "probabilities", "predictions"]
        self.outputs.sort(key=lambda output: order.index(output[0]))
        for name, source, dtype, shape in self.outputs:
            elem = (
                {"float32": TensorProto.FLOAT}.get(dtype)
                or inferred.get(name)
                or self._declared.get(source)
            )
            if not elem:  # pragma: no cover - every converter declares its outputs
                raise ValueError(f"Could not determine the element type of {name!r}.")
            self.graph.output.append(helper.make_tensor_value_info(name, elem, shape))
        self._prune()
        _dedupe_opsets(self.model)
        if self._opset < _MIN_OPSET:
            raise ValueError(
                f"The student's converter produced opset {self._opset}; the export "
                f"needs {_MIN_OPSET} or later. Pass a higher target_opset."
            )
        import skdistill

        meta = {"skdistill.version": skdistill.__version__, **self.metadata}
        if hasattr(model, "classes_"):
            meta["skdistill.classes"] = json.dumps(np.asarray(model.classes_).tolist())
        self.onnx.helper.set_model_props(self.model, meta)
        self.model.doc_string = (
            f"Student of {name_of(model)} exported by skdistill {skdistill.__version__}; "
            f"input X (float32), outputs {[output[0] for output in self.outputs]}."
        )
        return self.model

    def _infer_types(self):
        """Element type of each output, from shape inference on the graph."""
        probe = self.onnx.ModelProto()
        probe.CopyFrom(self.model)
        helper = self.onnx.helper
        for name, *_ in self.outputs:
            probe.graph.output.append(helper.make_empty_tensor_value_info(name))
        inferred = self.onnx.shape_inference.infer_shapes(probe)
        types = {}
        for value in [*inferred.graph.output, *inferred.graph.value_info]:
            elem = value.type.tensor_type.elem_type
            if elem:
                types[value.name] = elem
        return types

    def _prune(self):
        """Drop nodes and initializers no output depends on (e.g. a student's label)."""
        graph = self.graph
        if any(
            attribute.type in (attribute.GRAPH, attribute.GRAPHS)
            for node in graph.node
            for attribute in node.attribute
        ):
            return  # subgraphs may read outer values implicitly: keep everything
        needed = {value.name for value in graph.output}
        kept = []
        for node in reversed(graph.node):
            if any(output in needed for output in node.output):
                kept.append(node)
                needed.update(node.input)
        del graph.node[:]
        graph.node.extend(reversed(kept))
        initializers = [t for t in graph.initializer if t.name in needed]
        del graph.initializer[:]
        graph.initializer.extend(initializers)
        value_info = [v for v in graph.value_info if v.name in needed]
        del graph.value_info[:]
        graph.value_info.extend(value_info)


def _default_opset(model):
    return max(
        (entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")),
        default=0,
    )


def _dedupe_opsets(model):
    """One entry per domain (some converters list the main domain twice)."""
    versions = {}
    for entry in model.opset_import:
        domain = "" if entry.domain == "ai.onnx" else entry.domain
        versions[domain] = max(versions.get(domain, 0), entry.version)
    del model.opset_import[:]
    for domain, version in sorted(versions.items()):
        entry = model.opset_import.add()
        entry.domain, entry.version = domain, version


def _label_values(classes):
    classes = np.asarray(classes)
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        return classes.astype(np.float64)
    if classes.dtype.kind in "US" or all(isinstance(c, str) for c in classes):
        return classes.astype(str)
    raise TypeError(
        f"Cannot put the classes {classes.tolist()!r} in an ONNX label output: labels "
        "must be integers, floats or strings. Encode them (e.g. with LabelEncoder) "
        "before fitting."
    )
