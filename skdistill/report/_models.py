"""What the report, the scorers and the displays need to know about a fitted model.

Which model gets deployed (the student of a distiller), where a distiller sits in a
pipeline, and a model's outputs on held-out rows, in one place.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target

from .._compat import safe_indexing
from .._distill import DistilledClassifier, DistilledRegressor
from .._validation import name_of

__all__ = [
    "Outputs",
    "check_same_classes",
    "deployed_model",
    "distiller_and_input",
    "distiller_at",
    "distiller_prefix",
    "is_distiller",
    "model_outputs",
    "named_models",
    "positive_scores",
    "positive_target",
    "row",
    "teacher_first",
]


def is_distiller(estimator):
    """Whether ``estimator`` is one of skdistill's distillers (fitted or not)."""
    return isinstance(estimator, DistilledClassifier | DistilledRegressor)


def deployed_model(model):
    """The model that would be deployed in place of ``model``.

    The fitted student of a distiller; looks through fitted searches
    (``best_estimator_``), :class:`~sklearn.frozen.FrozenEstimator` and the steps of
    a :class:`~sklearn.pipeline.Pipeline` (a pipeline whose distiller step is
    replaced by its student). Any other model is returned as is.
    """
    if hasattr(model, "best_estimator_"):
        return deployed_model(model.best_estimator_)
    if isinstance(model, FrozenEstimator):
        return deployed_model(model.estimator)
    if isinstance(model, Pipeline):
        steps = [(name, deployed_model(step)) for name, step in model.steps]
        if all(new is old for (_, new), (_, old) in zip(steps, model.steps, strict=True)):
            return model
        return Pipeline(steps)
    if is_distiller(model) and hasattr(model, "student_"):
        return deployed_model(model.student_)
    return model


def distiller_prefix(estimator):
    """Parameter prefix of the distiller in ``estimator``, or None if there is none.

    ``""`` for a distiller itself, ``"<step>__"`` for a pipeline step (nested
    pipelines give ``"<outer>__<inner>__"``), so that ``prefix + "alpha"`` is the
    name ``set_params`` and ``GridSearchCV`` know.
    """
    if is_distiller(estimator):
        return ""
    if isinstance(estimator, Pipeline):
        for name, step in estimator.steps:
            inner = distiller_prefix(step)
            if inner is not None:
                return f"{name}__{inner}"
    return None


def distiller_and_input(estimator, X):
    """The fitted distiller in ``estimator`` and the rows as it receives them."""
    estimator = getattr(estimator, "best_estimator_", estimator)
    if isinstance(estimator, Pipeline) and is_distiller(estimator.steps[-1][1]):
        distiller, X = estimator.steps[-1][1], estimator[:-1].transform(X)
    else:
        distiller = estimator
    if not (is_distiller(distiller) and hasattr(distiller, "teacher_")):
        raise TypeError(
            "Fidelity to the teacher needs a fitted DistilledClassifier (or a Pipeline "
            f"ending with one), which knows its teacher_; got {name_of(estimator)}."
        )
    return distiller, X


def distiller_at(estimator, prefix):
    """The distiller object found at ``prefix`` (see :func:`distiller_prefix`)."""
    return estimator if prefix == "" else estimator.get_params()[prefix[:-2]]


def named_models(models, *, what="students"):
    """``{name: model}`` from a mapping, a list of models or a single model.

    Unnamed models are named after their class (``"DecisionTreeClassifier"``, then
    ``"DecisionTreeClassifier (2)"`` for a second one).
    """
    if isinstance(models, Mapping):
        named = dict(models)
    else:
        if not isinstance(models, list | tuple):
            models = [models]
        named = {}
        for model in models:
            name = name_of(model)
            n = sum(key == name or key.startswith(f"{name} (") for key in named)
            named[name if n == 0 else f"{name} ({n + 1})"] = model
    if not named:
        raise ValueError(f"Expected at least one model in {what}, got none.")
    return named


def teacher_first(teacher, students, teacher_name="teacher"):
    """``{teacher_name: teacher, **students}``, refusing a student of that name."""
    if teacher_name in students:
        raise ValueError(
            f"{teacher_name!r} names the teacher; give the student another name."
        )
    return {teacher_name: teacher, **students}


@dataclass(frozen=True)
class Outputs:
    """A classifier's outputs on some rows.

    ``proba`` is None for models without ``predict_proba``; ``score`` is then the
    ``decision_function`` (shape (n,) for binary problems, (n, n_classes) otherwise).
    """

    classes: np.ndarray
    pred: np.ndarray
    proba: np.ndarray | None
    score: np.ndarray

    def take(self, rows):
        """The outputs of a subset (or resample) of the rows."""
        proba = None if self.proba is None else self.proba[rows]
        return Outputs(self.classes, self.pred[rows], proba, self.score[rows])


def model_outputs(model, X):
    """Predicted labels, probabilities (if any) and ranking scores of a classifier.

    Labels are the most probable class when the model has ``predict_proba``, so
    that labels and probabilities never disagree.
    """
    classes = np.asarray(model.classes_)
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        return Outputs(classes, classes[np.argmax(proba, axis=1)], proba, proba)
    score = np.asarray(model.decision_function(X), dtype=np.float64)
    return Outputs(classes, np.asarray(model.predict(X)), None, score)


def positive_scores(outputs, pos_label=None):
    """Scores of one class (``pos_label``; by default the second of two classes)."""
    classes = outputs.classes
    if pos_label is None:
        if len(classes) != 2:
            raise ValueError(
                f"The model has {len(classes)} classes; curves and this metric need "
                "a binary problem. Pass pos_label=<one class> for a one-vs-rest view "
                f"of that class (classes: {classes.tolist()})."
            )
        pos_label = classes[1]
    index = _class_index(classes, pos_label)
    if outputs.proba is None and outputs.score.ndim == 1:
        return outputs.score if index == 1 else -outputs.score
    return outputs.score[:, index]


def _class_index(classes, label):
    matches = np.flatnonzero(classes == label)
    if len(matches) == 0:
        raise ValueError(
            f"pos_label={label!r} is not one of the classes {classes.tolist()}."
        )
    return int(matches[0])


def positive_target(y, classes, pos_label=None):
    """``y == pos_label`` (default: the second of two classes), checked."""
    y = np.asarray(y)
    if pos_label is None:
        if type_of_target(y) == "multiclass" or len(classes) > 2:
            raise ValueError(
                "The target is multiclass; this view needs a binary problem. Pass "
                "pos_label=<one class> for a one-vs-rest view of that class "
                f"(classes: {np.asarray(classes).tolist()})."
            )
        pos_label = classes[-1]
    return y == pos_label, pos_label


def check_same_classes(teacher_classes, models):
    """Raise if a model's ``classes_`` differ from the teacher's."""
    for name, model in models.items():
        classes = np.asarray(model.classes_)
        if classes.shape != teacher_classes.shape or np.any(classes != teacher_classes):
            raise ValueError(
                f"The classes of {name!r} ({classes.tolist()}) differ from the "
                f"teacher's ({teacher_classes.tolist()}); models must be compared on "
                "the same classes, in the same order."
            )


def row(X, i):
    """Row ``i`` of ``X`` as a one-row 2-D input of the same kind."""
    return safe_indexing(X, slice(i, i + 1))
