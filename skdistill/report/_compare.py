"""What a Display compares: named fitted models, the teachers they know, their outputs.

``from_estimator`` of the teacher-and-student Displays takes one fitted model, a list
or a dict of them. A fitted distiller (also inside a search's ``best_estimator_``, a
``FrozenEstimator`` or as the last step of a ``Pipeline``) brings its ``teacher_``;
any other fitted classifier is drawn as a student of its own. This module turns that
input, and the ``teacher=`` keyword, into named teachers and students.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from .._distill import DistilledClassifier
from .._validation import is_fitted, name_of
from ._models import Outputs, model_outputs

__all__ = [
    "AUTO",
    "Compared",
    "check_distinct_names",
    "compare_params",
    "compared_models",
    "default_name",
    "distiller_in",
    "named_students",
    "named_values",
]

#: ``teacher=`` value meaning "the teachers the distillers know".
AUTO = "auto"

#: Descriptions of the parameters of ``compared_models``, shared by the docstrings of
#: the ``from_estimator`` methods (see :func:`compare_params`).
_PARAMS = {
    "estimator": """\
estimator : fitted classifier, or list or dict of str of them
    The students. A fitted :class:`~skdistill.DistilledClassifier` (alone, as
    the ``best_estimator_`` of a fitted search, in a ``FrozenEstimator`` or as
    the last step of a ``Pipeline``) brings its ``teacher_``; any other fitted
    classifier is drawn beside them without one.""",
    "teacher": """\
teacher : "auto", fitted classifier or None, default="auto"
    The teacher drawn with the students. ``"auto"``: the distillers'
    ``teacher_``, each distinct one once (an error if no model is a
    distiller); a fitted classifier: that teacher, fed ``X`` as given; None:
    no teacher.""",
    "name": """\
name : str or list of str, default=None
    Legend names of the students: a str for one model, a list for a list.
    None: the keys of a dict, else ``"distilled <student class>"`` for a
    distiller and the class name for another model.""",
    "teacher_name": """\
teacher_name : str, default="teacher"
    The teacher's legend name. Students distilled from different teachers
    show each teacher once, as ``"<teacher_name> of <student name>"``.""",
}


def compare_params(method):
    """Put the shared parameter descriptions at the ``<<name>>`` lines of a docstring."""
    if method.__doc__ is None:  # python -OO
        return method
    lines = []
    for line in method.__doc__.splitlines():
        key = line.strip()
        if key.startswith("<<") and key.endswith(">>"):
            indent = line[: len(line) - len(line.lstrip())]
            lines += [indent + part for part in _PARAMS[key[2:-2]].splitlines()]
        else:
            lines.append(line)
    method.__doc__ = "\n".join(lines)
    return method


@dataclass(frozen=True)
class Compared:
    """Named teachers and students of a Display, with their outputs on the rows.

    ``teachers`` come first in every Display; both map a legend name to
    :class:`~skdistill.report._models.Outputs`. ``classes`` are shared by all.
    """

    teachers: dict[str, Outputs]
    students: dict[str, Outputs]
    classes: np.ndarray


def compared_models(estimator, X, *, teacher=AUTO, name=None, teacher_name="teacher"):
    """The teachers and students that ``from_estimator`` draws, and their outputs.

    Parameters
    ----------
    estimator : fitted classifier, list of them, or dict of str to them
        The students; see :func:`named_students`.
    X : {array-like, sparse matrix, DataFrame}
        The rows, as the students receive them.
    teacher : "auto", fitted classifier or None, default="auto"
        ``"auto"``: each distinct ``teacher_`` of the distillers, once (a teacher
        that is itself one of the students is drawn once, as that student); a
        fitted classifier: that teacher alone, on ``X`` as given; None: no teacher.
    name : str or list of str, default=None
        Names of the students.
    teacher_name : str, default="teacher"
        Legend name of the teacher; with several teachers, ``"<teacher_name> of
        <the first student distilled from it>"``.

    Returns
    -------
    compared : Compared
    """
    students = named_students(estimator, name)
    teachers = _teachers(students, X, teacher, teacher_name)
    check_distinct_names(teachers, students)
    outputs = {
        model_name: model_outputs(model, rows)
        for model_name, (model, rows) in teachers.items()
    }
    outputs.update({k: model_outputs(model, X) for k, model in students.items()})
    classes = _check_same_classes(outputs)
    return Compared(
        teachers={k: outputs[k] for k in teachers},
        students={k: outputs[k] for k in students},
        classes=classes,
    )


def named_students(estimator, name=None):
    """``{name: fitted classifier}`` from one model, a list or a dict, checked fitted.

    Default names are those of :func:`default_name`, numbered when they repeat
    (``"DecisionTreeClassifier"``, ``"DecisionTreeClassifier (2)"``).
    """
    if isinstance(estimator, Mapping):
        if name is not None:
            raise ValueError(
                "name= names the models of a list; the keys of the dict already name "
                "them. Leave name=None, or pass a list of models with name=[...]."
            )
        models, names = list(estimator.values()), [str(k) for k in estimator]
    else:
        several = isinstance(estimator, list | tuple)
        models = list(estimator) if several else [estimator]
        names = _given_names(name, len(models), several)
    if not models:
        raise ValueError(
            "Expected at least one fitted classifier to plot, got an empty "
            f"{type(estimator).__name__}."
        )
    named = {}
    for model, model_name in zip(models, names, strict=True):
        _check_fitted_classifier(model, model_name or name_of(model), "student")
        if model_name is None:
            model_name = _numbered(default_name(model), named)
        elif model_name in named:
            raise ValueError(
                f"name= gives {model_name!r} twice; give each model its own name."
            )
        named[model_name] = model
    return named


def default_name(model):
    """``"distilled <student class>"`` for a distiller, else the deployed model's class."""
    distiller, _ = distiller_in(model)
    if distiller is not None:
        return f"distilled {name_of(distiller.student_)}"
    return name_of(_looked_through(model))


def distiller_in(model):
    """The fitted distiller inside ``model``, and a function giving its rows from X.

    Looks through searches (``best_estimator_``), ``FrozenEstimator`` and the last
    step of a ``Pipeline`` (whose earlier steps then transform the rows). Returns
    ``(None, None)`` for a model without a distiller.
    """
    if isinstance(model, DistilledClassifier):
        return model, _same_rows
    if isinstance(model, FrozenEstimator):
        return distiller_in(model.estimator)
    if hasattr(model, "best_estimator_"):
        return distiller_in(model.best_estimator_)
    if isinstance(model, Pipeline):
        distiller, inner = distiller_in(model.steps[-1][1])
        if distiller is not None:
            head = model[:-1]
            return distiller, lambda X: inner(head.transform(X))
    return None, None


def named_values(values, name, default, *, what):
    """``{name: array}`` of ``from_predictions``: a dict, or one unnamed array-like."""
    if isinstance(values, Mapping):
        if name is not None:
            raise ValueError(
                f"name= names a single array of {what}; the keys of the dict already "
                "name them. Leave name=None."
            )
        if not values:
            raise ValueError(f"Expected {what} of at least one model, got an empty dict.")
        return {str(key): value for key, value in values.items()}
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"name= must be a str for a single array of {what}, got "
            f"{type(name).__name__}; pass a dict {{name: {what}}} for several models."
        )
    return {default if name is None else name: values}


def check_distinct_names(teachers, students):
    """Raise if a student bears a teacher's name (their legend entries would merge)."""
    clash = sorted(set(teachers) & set(students))
    if clash:
        raise ValueError(
            f"{clash[0]!r} names a teacher and a student; give the student another "
            "name (name=... or a dict key), or the teacher another teacher_name."
        )


def _same_rows(X):
    return X


def _looked_through(model):
    """The model a search or a ``FrozenEstimator`` stands for."""
    if isinstance(model, FrozenEstimator):
        return _looked_through(model.estimator)
    if hasattr(model, "best_estimator_"):
        return _looked_through(model.best_estimator_)
    return model


def _given_names(name, n_models, several):
    """The ``name=`` of ``from_estimator``, one entry (or None) per model."""
    if name is None:
        return [None] * n_models
    if isinstance(name, str):
        if several:
            raise TypeError(
                f"name={name!r} is one name for a list of {n_models} models; pass a "
                "list of names, one per model, or a dict {name: model}."
            )
        return [name]
    names = list(name)
    if not several or len(names) != n_models:
        raise ValueError(
            f"name= gives {len(names)} names for {n_models} model(s); give one name "
            "per model, in the same order (a str for a single model)."
        )
    return names


def _numbered(base, taken):
    """``base``, or ``"base (k)"`` with the first k that is not taken."""
    if base not in taken:
        return base
    k = 2
    while f"{base} ({k})" in taken:
        k += 1
    return f"{base} ({k})"


def _check_fitted_classifier(model, model_name, role):
    """Raise if ``model`` is not a fitted classifier with an output to plot."""
    what = f"The {role} {model_name!r}"
    if model_name != name_of(model):
        what += f" ({name_of(model)})"
    if not hasattr(model, "fit"):
        raise TypeError(
            f"The {role} {model!r} is a {type(model).__name__}, not an estimator; "
            "pass fitted classifiers (a fitted DistilledClassifier, a search or "
            "pipeline holding one, or any fitted classifier)."
        )
    if not is_fitted(model):
        raise NotFittedError(
            f"{what} is not fitted. Call fit(X_train, y_train) on it before "
            "plotting, and pass the held-out rows to from_estimator."
        )
    if hasattr(model, "cv_results_") and not hasattr(model, "best_estimator_"):
        raise ValueError(
            f"{what} was fitted with refit=False, so it has no model to plot; fit "
            "the search with refit=True (or pass its best model, fitted)."
        )
    if not hasattr(model, "classes_"):
        raise TypeError(
            f"{what} has no classes_: these plots compare classifiers. Pass a "
            "fitted classifier (a DistilledRegressor or a regressor cannot be drawn "
            "here)."
        )
    if not (hasattr(model, "predict_proba") or hasattr(model, "decision_function")):
        raise TypeError(
            f"{what} has neither predict_proba nor decision_function, so it gives "
            "no score to plot. Wrap it in sklearn.calibration.CalibratedClassifierCV, "
            "or leave it out."
        )


def _teachers(students, X, teacher, teacher_name):
    """``{name: (fitted teacher, its rows)}`` for ``teacher=``, in drawing order."""
    if teacher is None:
        return {}
    if isinstance(teacher, str):
        if teacher != AUTO:
            raise ValueError(
                f"teacher={teacher!r} is not understood; pass teacher='auto' (the "
                "distillers' own teachers), a fitted classifier, or None (no teacher)."
            )
        return _known_teachers(students, X, teacher_name)
    _check_fitted_classifier(teacher, teacher_name, "teacher")
    return {teacher_name: (teacher, X)}


def _known_teachers(students, X, teacher_name):
    """Each distinct ``teacher_`` of the distillers, on its rows, named."""
    found = []  # (teacher, its rows, the first student distilled from it)
    n_distillers = 0
    for student_name, model in students.items():
        distiller, rows = distiller_in(model)
        if distiller is None:
            continue
        n_distillers += 1
        teacher = distiller.teacher_
        if teacher is None:
            raise ValueError(
                f"{student_name!r} was distilled from precomputed teacher logits, so "
                "it has no teacher_ to draw. Pass teacher=<the fitted teacher>, or "
                "teacher=None to draw the students alone."
            )
        known = any(teacher is t for t, _, _ in found)
        listed = any(teacher is m for m in students.values())
        if not (known or listed):
            found.append((teacher, rows(X), student_name))
    if not n_distillers:
        raise ValueError(
            f"None of {list(students)} is a fitted distiller, so teacher='auto' finds "
            "no teacher to draw. Pass teacher=<fitted classifier> to draw one beside "
            "them, or teacher=None to draw them alone."
        )
    if len(found) == 1:
        return {teacher_name: found[0][:2]}
    return {f"{teacher_name} of {s}": (t, rows) for t, rows, s in found}


def _check_same_classes(outputs):
    """The classes shared by every model, or an error naming the one that differs."""
    (first, reference), *others = outputs.items()
    for model_name, out in others:
        classes = out.classes
        if classes.shape != reference.classes.shape or np.any(classes != reference.classes):
            raise ValueError(
                f"{model_name!r} predicts the classes {classes.tolist()} but "
                f"{first!r} predicts {reference.classes.tolist()}: the models of one "
                "plot must share their classes, in the same order. Fit them on the "
                "same labels (a model fitted on a subset can miss a class), or plot "
                "them on separate axes."
            )
    return reference.classes
