"""Teacher outputs: choose the response method and turn it into logits.

The temperature acts on logits, so the teacher's real margins are preferred to
log-probabilities where it has them: ``decision_function`` for sklearn models,
``raw_score=True`` for LightGBM and ``output_margin=True`` for XGBoost. Otherwise the
logits are ``log(clip(predict_proba))``, which equal the margins up to a per-row
constant for softmax models and stay finite for random forests' zero probabilities.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import has_fit_parameter

from ._targets import binary_logits, log_clip
from ._validation import check_teacher, is_fitted, is_frozen, name_of
from .exceptions import DistillationWarning

__all__ = ["fitted_teacher", "teacher_classes", "teacher_logits", "teacher_predict"]


def _unwrapped(teacher):
    """The estimator inside a ``FrozenEstimator``, or the teacher itself."""
    return teacher.estimator if is_frozen(teacher) else teacher


def _framework(teacher):
    """Top-level package of the (unwrapped) teacher's class, e.g. ``"lightgbm"``."""
    return type(_unwrapped(teacher)).__module__.split(".")[0]


def fitted_teacher(teacher, X, y, *, fit_teacher, sample_weight=None, task, seed=None):
    """The teacher to distil from: the user's fitted object, or a fitted clone.

    A fitted teacher is returned as is (the same object, never written to) unless
    ``fit_teacher=True``; an unfitted one is cloned and fitted on ``X, y`` unless
    ``fit_teacher=False``. ``seed``, if given, is applied to the clone before fitting.
    """
    check_teacher(teacher, task=task)
    fitted = is_fitted(teacher)
    if fit_teacher is False and not fitted:
        raise _not_fitted(teacher)
    if fitted and fit_teacher is not True:
        return teacher
    if is_frozen(teacher):
        raise ValueError(
            f"fit_teacher=True but the teacher {name_of(teacher)} is frozen and cannot "
            "be refitted. Pass the unfrozen estimator to refit it inside fit, or "
            "fit_teacher='auto' to use it as is."
        )
    teacher = clone(teacher)
    if seed is not None:
        seed(teacher)
    if sample_weight is None:
        return teacher.fit(X, y)
    if has_fit_parameter(teacher, "sample_weight"):
        return teacher.fit(X, y, sample_weight=sample_weight)
    warnings.warn(
        f"The teacher {name_of(teacher)}'s fit takes no sample_weight, so it is fitted "
        "without the weights (the student still uses them). Fit the teacher yourself "
        "with the weights it needs and pass it fitted.",
        DistillationWarning,
        stacklevel=4,
    )
    return teacher.fit(X, y)


def _not_fitted(teacher):
    from sklearn.exceptions import NotFittedError

    return NotFittedError(
        f"The teacher {name_of(teacher)} is not fitted and fit_teacher=False. Fit it "
        "first (teacher.fit(X_teacher, y_teacher)), or set fit_teacher='auto' to have "
        "it fitted on the training data inside fit."
    )


def teacher_classes(teacher):
    """The fitted teacher's ``classes_`` as an array."""
    classes = getattr(teacher, "classes_", None)
    if classes is None:
        raise TypeError(
            f"The teacher {name_of(teacher)} has no classes_ attribute, so its outputs "
            "cannot be matched to labels. Use a fitted scikit-learn-compatible classifier."
        )
    return np.asarray(classes)


def teacher_logits(teacher, X, response_method="auto"):
    """Logits of a fitted classifier, one column per class in ``teacher.classes_``.

    Parameters
    ----------
    teacher : fitted classifier
    X : array-like of shape (n_samples, n_features)
    response_method : {"auto", "decision_function", "predict_proba"}, default="auto"
        ``"auto"`` uses margins where the teacher has them (LightGBM raw scores,
        XGBoost output margins, ``decision_function``), else clipped log-probabilities.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)
    method : str
        The response method used.
    """
    name = name_of(teacher)
    n_classes = len(teacher_classes(teacher))
    method = response_method
    if method == "auto":
        framework = _framework(teacher)
        if framework == "lightgbm" and hasattr(teacher, "booster_"):
            method = "raw_score"
        elif framework == "xgboost" and hasattr(teacher, "get_booster"):
            method = "output_margin"
        elif hasattr(teacher, "decision_function"):
            method = "decision_function"
        else:
            method = "predict_proba"
    elif not hasattr(teacher, method):
        raise TypeError(
            f"response_method={method!r} but the teacher {name} has no {method} method. "
            "Use response_method='auto' to pick what the teacher offers."
        )
    ovo = getattr(_unwrapped(teacher), "decision_function_shape", None) == "ovo"
    if method == "decision_function" and ovo and n_classes > 2:
        raise ValueError(
            f"The teacher {name} has decision_function_shape='ovo': one column per pair "
            "of classes, not per class, so its margins are no logits. Set "
            "decision_function_shape='ovr' on it, or use "
            "response_method='predict_proba'."
        )

    if method == "raw_score":
        raw = teacher.predict(X, raw_score=True)
    elif method == "output_margin":
        raw = teacher.predict(X, output_margin=True)
    elif method == "decision_function":
        raw = teacher.decision_function(X)
    else:
        raw = log_clip(teacher.predict_proba(X))
    logits = np.asarray(raw, dtype=np.float64)

    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1 and n_classes == 2):
        logits = binary_logits(logits)
    if logits.ndim != 2 or logits.shape[1] != n_classes:
        raise ValueError(
            f"The teacher {name}'s {method} returned shape {np.shape(raw)}, which does "
            f"not match its {n_classes} classes. Use response_method='predict_proba'."
        )
    if not np.all(np.isfinite(logits)):
        bad = int(np.sum(~np.isfinite(logits).all(axis=1)))
        raise ValueError(
            f"The teacher {name}'s {method} returned NaN or infinite values for {bad} "
            "row(s). Check X for values the teacher was not trained on, or use "
            "response_method='predict_proba'."
        )
    return logits, method


def teacher_predict(teacher, X):
    """Predictions of a fitted regressor teacher, checked to be finite."""
    pred = np.asarray(teacher.predict(X), dtype=np.float64)
    if not np.all(np.isfinite(pred)):
        raise ValueError(
            f"The teacher {name_of(teacher)}'s predict returned NaN or infinite values. "
            "Check X for values the teacher was not trained on."
        )
    return pred
