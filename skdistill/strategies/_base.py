"""The student-strategy interface: how a student is fitted on soft targets.

A strategy is a small estimator-like object (its constructor arguments are
parameters, so ``strategy__top_k`` can be grid-searched). ``fit`` takes an unfitted
student and :class:`~skdistill.strategies.SoftTargets` and stores the fitted student
in ``student_``; the predict methods map the student's outputs back to probabilities
over the teacher's classes.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter

from .._compat import routing_enabled
from .._targets import softmax
from .._validation import name_of

__all__ = ["BaseStrategy", "fit_weighted"]


class BaseStrategy(BaseEstimator):
    """Base class of student strategies.

    Subclasses set ``name`` (the registry name used by ``strategy="..."``), implement
    :meth:`accepts`, :meth:`fit` and :meth:`decision_function`, and may override
    :meth:`predict_proba` and :meth:`predict`. Register them with
    :func:`skdistill.strategies.register`.

    Attributes
    ----------
    student_ : estimator
        The fitted student (set by ``fit``).
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes; columns of ``predict_proba``.
    temperature_ : float
        The temperature the student was trained at.
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

    def decision_function(self, X):
        """Student logits at temperature 1, shape (n_samples, n_classes)."""
        raise NotImplementedError

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
        return self


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
