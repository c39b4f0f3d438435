"""The student-strategy interface: how a student is fitted on soft targets.

A strategy is a small estimator-like object (its constructor arguments are
parameters, so ``strategy__top_k`` can be grid-searched). ``fit`` takes an unfitted
student and :class:`~skdistill.strategies.SoftTargets` and stores the fitted student
in ``student_``; ``tempered_logits`` gives the student's logits at the temperature of
its targets, ``set_output_map`` the map ``softmax(s * logits + b)`` back to temperature 1
(fitted by the distiller), and the predict methods give probabilities at
temperature 1 over the teacher's classes. ``output_spec`` describes the fitted
student's output for the exporters.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter

from .._compat import routing_enabled
from .._targets import smooth_log_proba, softmax
from .._validation import name_of
from ._output import OutputSpec

__all__ = [
    "BaseStrategy",
    "check_describes_output",
    "describes_output",
    "fit_weighted",
    "fitted_output_spec",
]


class BaseStrategy(BaseEstimator):
    """Base class of student strategies.

    Subclasses set ``name`` (the registry name used by ``strategy="..."``), implement
    :meth:`accepts`, :meth:`fit` and :meth:`tempered_logits`, and may override
    :meth:`predict_proba`, :meth:`predict` and :meth:`_carry_output_map`. To be
    exported (:func:`~skdistill.export.to_onnx`,
    :func:`~skdistill.export.compile_student`), they implement
    :meth:`output_spec`. Register them with :func:`skdistill.strategies.register`.

    Attributes
    ----------
    student_ : estimator
        The fitted student (set by ``fit``).
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes; columns of ``predict_proba``.
    temperature_ : float
        The temperature the student was trained at.
    output_scale_ : float
        The factor ``s`` of ``softmax(s * tempered_logits + b)`` that maps the
        student back to temperature 1 (1.0 until :meth:`set_output_map`).
    output_bias_ : ndarray of shape (n_classes,)
        The bias ``b`` of that map (zeros until :meth:`set_output_map`).
    output_smoothing_ : float
        The share of the uniform distribution mixed into the student's
        probabilities before the map (0.0 but for students whose probabilities can
        be 0).
    scale_, bias_, smoothing_ : float, ndarray of shape (n_classes,), float
        The map applied at predict time: the identity (1.0, zeros, 0.0) when the
        student carries it itself (a tree in its leaves, a logistic regression in
        its coefficients, a LightGBM or XGBoost booster in its leaves), so that the
        fitted ``student_`` alone predicts the distiller's probabilities.
    """

    name = None

    @classmethod
    def accepts(cls, student):
        """Whether ``strategy="auto"`` should pick this strategy for ``student``."""
        return False

    def fit(self, student, X, targets, *, sample_weight=None, **fit_params):
        """Fit ``student`` on ``targets`` and store it in ``student_``; return self."""
        raise NotImplementedError

    def has_method(self, method, student):
        """Whether the distiller can offer ``method`` with this (maybe unfitted) student."""
        return method in ("predict", "predict_proba", "decision_function")

    def tempered_logits(self, X):
        """Student logits at the temperature of its targets, shape (n_samples, n_classes).

        What the student learned, before the map back to temperature 1 (call it
        before :meth:`set_output_map`: a student that carries the map changes).
        """
        raise NotImplementedError

    def output_spec(self):
        """Describe the fitted student's output: what the exporters read.

        Which output of ``student_`` to read, where its columns go among
        ``classes_``, and the map applied at predict time (``scale_``, ``bias_``,
        ``smoothing_``), such that ``output_spec().to_proba(outputs)`` equals
        :meth:`predict_proba`. :func:`~skdistill.export.to_onnx` and
        :func:`~skdistill.export.compile_student` read nothing else about the
        strategy, so a subclass that implements it is exported like the built-in
        strategies; one that does not is refused with an error that says so.

        Returns
        -------
        spec : OutputSpec
            The description of the fitted student's output.

        Raises
        ------
        NotImplementedError
            In this base class: the strategy describes no output.
        """
        raise NotImplementedError(_no_output_spec_message(self))

    def _spec(self, kind, columns=None, proba_floor=None):
        """The :class:`OutputSpec` of ``kind`` with this strategy's map at predict time."""
        extra = {} if proba_floor is None else {"proba_floor": proba_floor}
        return OutputSpec(
            kind,
            n_classes=len(self.classes_),
            columns=columns,
            scale=self.scale_,
            bias=self.bias_,
            smoothing=self.smoothing_,
            **extra,
        )

    def set_output_map(self, scale, bias=None, smoothing=0.0):
        """Map the student back to temperature 1: ``softmax(scale * g + bias)``.

        ``g`` is the student's tempered logits, or with ``smoothing > 0`` the log of
        its probabilities mixed with that share of the uniform distribution
        (:func:`~skdistill._targets.smooth_log_proba`). Called once, after ``fit``.
        Where the map is exact inside the student, the student carries it (see
        :meth:`_carry_output_map`), and ``scale_``, ``bias_`` and ``smoothing_``
        are then the identity.

        Parameters
        ----------
        scale : float
            The factor, e.g. from :func:`~skdistill.strategies.fit_output_map`.
        bias : ndarray of shape (n_classes,), default=None
            Added to the scaled logits (columns in the order of ``classes_``);
            None means zeros.
        smoothing : float, default=0.0
            Share of the uniform distribution mixed into the probabilities first.

        Returns
        -------
        self : object
            The strategy.
        """
        scale, smoothing = float(scale), float(smoothing)
        bias = np.zeros(len(self.classes_)) if bias is None else np.asarray(bias, float)
        self.output_scale_, self.output_bias_ = scale, bias
        self.output_smoothing_ = smoothing
        identity = scale == 1.0 and not bias.any() and smoothing == 0.0
        if identity or self._carry_output_map(scale, bias, smoothing):
            self.scale_, self.bias_, self.smoothing_ = 1.0, np.zeros_like(bias), 0.0
        else:
            self.scale_, self.bias_, self.smoothing_ = scale, bias, smoothing
        return self

    def _smooths(self):
        """Whether the map may mix a uniform share into the student's probabilities
        (students whose probabilities can be 0, such as trees)."""
        return False

    def _carry_output_map(self, scale, bias, smoothing):
        """Write the map into the student where exact; return whether it was."""
        return False

    def _maps_output(self):
        """Whether a map is applied at predict time (not carried by the student)."""
        return self.scale_ != 1.0 or self.smoothing_ != 0.0 or bool(self.bias_.any())

    def _apply_map(self, logits):
        """Student logits at temperature 1 from its tempered ``logits``."""
        if not self._maps_output():
            return logits
        return self.scale_ * smooth_log_proba(logits, self.smoothing_) + self.bias_

    def decision_function(self, X):
        """Student logits at temperature 1, shape (n_samples, n_classes)."""
        return self._apply_map(self.tempered_logits(X))

    def predict_proba(self, X):
        """Student probabilities over ``classes_``, shape (n_samples, n_classes)."""
        return softmax(self.decision_function(X))

    def predict(self, X):
        """Predicted class labels."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _record(self, student, targets):
        self.student_ = student
        self.classes_ = np.asarray(targets.classes)
        self.temperature_ = float(targets.temperature)
        self.output_scale_ = self.scale_ = 1.0
        self.output_bias_ = np.zeros(len(self.classes_))
        self.bias_ = np.zeros(len(self.classes_))
        self.output_smoothing_ = self.smoothing_ = 0.0
        return self


def describes_output(strategy):
    """Whether a strategy (instance or class) implements ``output_spec``."""
    cls = strategy if isinstance(strategy, type) else type(strategy)
    return getattr(cls, "output_spec", None) not in (None, BaseStrategy.output_spec)


def _no_output_spec_message(strategy, lead=None):
    cls = strategy if isinstance(strategy, type) else type(strategy)
    lead = lead or f"The strategy {cls.__name__}"
    return (
        f"{lead} ({getattr(cls, 'name', None)!r}) describes no output: implement "
        f"{cls.__name__}.output_spec() to return a skdistill.strategies.OutputSpec "
        "(which output of the fitted student to read, the class of each of its "
        "columns and the map to temperature 1; see BaseStrategy.output_spec), and "
        "to_onnx and compile_student export it like the built-in strategies."
    )


def check_describes_output(strategy, lead):
    """Raise a TypeError, its message starting with ``lead``, unless
    ``strategy`` implements ``output_spec`` (checked before any fitting)."""
    if not describes_output(strategy):
        raise TypeError(_no_output_spec_message(strategy, lead))


def fitted_output_spec(strategy, lead):
    """``strategy.output_spec()``, or a TypeError whose message starts with ``lead``."""
    check_describes_output(strategy, lead)
    spec = strategy.output_spec()
    if not isinstance(spec, OutputSpec):
        raise TypeError(
            f"{lead}: {type(strategy).__name__}.output_spec() returned "
            f"{type(spec).__name__}, not a skdistill.strategies.OutputSpec."
        )
    return spec


def fit_weighted(student, X, y, sample_weight, *, strategy, **fit_params):
    """``student.fit(X, y)`` with per-row weights, however the student takes them.

    A ``Pipeline`` gets them as ``<last step>__sample_weight``; with metadata routing
    enabled the student must have requested ``sample_weight`` itself.
    """
    if sample_weight is None:
        return student.fit(X, y, **fit_params)
    if routing_enabled():
        return student.fit(X, y, sample_weight=sample_weight, **fit_params)
    if isinstance(student, Pipeline):
        step_name, last = student.steps[-1]
        if has_fit_parameter(last, "sample_weight"):
            fit_params[f"{step_name}__sample_weight"] = sample_weight
            return student.fit(X, y, **fit_params)
    elif has_fit_parameter(student, "sample_weight"):
        return student.fit(X, y, sample_weight=sample_weight, **fit_params)
    if strategy == "expand":
        raise TypeError(
            f"The student {name_of(student)}'s fit does not accept sample_weight, which "
            "the 'expand' strategy needs to weight rows by their soft targets. Use a "
            "student that supports sample_weight (trees, linear models, gradient "
            "boosting), or strategy='regress' with a regressor student."
        )
    raise TypeError(
        f"sample_weight was given but the student {name_of(student)}'s fit does not "
        "accept it. Use a student that supports sample_weight, or fit without weights."
    )
