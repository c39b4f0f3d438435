"""Several teachers seen as one: their logits or probabilities averaged.

``DistilledClassifier(TeacherEnsemble([("gbm", gbm), ("rf", rf)], weights=[2, 1]))``
distils from the weighted average of its teachers. The ensemble is a classifier like
any teacher, so targets, reports and scorers need no special case, and its weights,
its averaging and its members' parameters are parameters of the distiller
(``teacher__weights``, ``teacher__gbm__max_depth``) that a grid search can tune.
"""

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import BaseComposition, StrOptions, fit_context, shared_input_tags
from ._targets import log_clip, softmax
from ._teacher import teacher_classes, teacher_logits
from ._validation import is_fitted, name_of, validate_X

__all__ = ["TeacherEnsemble"]


def _check_members(teachers):
    """Validate ``[(name, estimator), ...]``; return the names."""
    if not isinstance(teachers, list | tuple) or len(teachers) == 0:
        raise ValueError(
            f"TeacherEnsemble needs a non-empty list of (name, estimator) pairs, such "
            f"as [('gbm', gbm), ('rf', forest)]; got {teachers!r:.80}."
        )
    for item in teachers:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(
                f"TeacherEnsemble's teachers must be (name, estimator) pairs, like "
                f"[('gbm', gbm), ('rf', forest)]; got {item!r:.80}."
            )
    names = [name for name, _ in teachers]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"Teacher names must be unique; {duplicated} repeat.")
    return names


def _normalised(weights, n_teachers):
    if weights is None:
        return np.full(n_teachers, 1.0 / n_teachers)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n_teachers,):
        raise ValueError(
            f"weights has {weights.size} value(s) for {n_teachers} teachers; give one "
            "weight per teacher, in the order of the teachers."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(
            f"weights must be finite, non-negative and not all zero; got "
            f"{weights.tolist()}."
        )
    return weights / weights.sum()


class TeacherEnsemble(ClassifierMixin, BaseComposition):
    """Several teachers averaged into one teacher.

    Pass it as the ``teacher`` of a :class:`DistilledClassifier`. Fitted members
    are used as is, never refitted, and kept by reference through ``clone`` (as a
    fitted teacher is); an unfitted member is cloned and fitted on the training
    data when the ensemble is fitted (inside the distiller's ``fit``). The weights,
    the averaging and the members' parameters can be tuned like any nested
    parameter: ``teacher__weights``, ``teacher__averaging``,
    ``teacher__<name>__<parameter>`` (the last for unfitted members).

    Parameters
    ----------
    teachers : list of (str, classifier)
        Named classifiers with the same set of classes, fitted or not.
    weights : array-like of shape (n_teachers,), default=None
        Weight of each teacher in the average; None means equal weights.
    averaging : {"logit", "proba"}, default="logit"
        ``"logit"`` averages the teachers' logits (a weighted geometric mean of
        their probabilities, sharp where they agree); ``"proba"`` averages their
        probabilities (an arithmetic mean, a mixture).
    response_method : str, default="auto"
        The output of each teacher taken as its logits, as in
        ``DistilledClassifier``.

    Attributes
    ----------
    teachers_ : list of (str, classifier)
        The fitted teachers (the given ones where they were fitted).
    classes_ : ndarray of shape (n_classes,)
        The classes, in the first teacher's order.
    named_teachers_ : dict
        The fitted teachers by name.
    weights_ : ndarray of shape (n_teachers,)
        The normalised weights.

    See Also
    --------
    DistilledClassifier : Distils from a teacher such as this average.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier, TeacherEnsemble
    >>> X, y = load_iris(return_X_y=True)
    >>> ensemble = TeacherEnsemble(
    ...     [("lr", LogisticRegression(max_iter=1000).fit(X, y)), ("nb", GaussianNB())],
    ...     weights=[3, 1],
    ... )
    >>> model = DistilledClassifier(ensemble, DecisionTreeClassifier(max_depth=3),
    ...                             temperature=2.0, random_state=0).fit(X, y)
    >>> model.teacher_.weights_
    array([0.75, 0.25])
    >>> model.teacher_.named_teachers_["lr"] is ensemble.teachers[0][1]  # as is
    True
    """

    _parameter_constraints = {
        "teachers": [list],
        "weights": ["array-like", None],
        "averaging": [StrOptions({"logit", "proba"})],
        "response_method": [
            StrOptions({"auto", "decision_function", "predict_proba"}),
        ],
    }

    def __init__(
        self, teachers, *, weights=None, averaging="logit", response_method="auto"
    ):
        self.teachers = teachers
        self.weights = weights
        self.averaging = averaging
        self.response_method = response_method

    # -- composition ----------------------------------------------------------------

    def get_params(self, deep=True):
        """Get parameters, the members' ones as ``<name>__<parameter>``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the members and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("teachers", deep=deep)

    def set_params(self, **params):
        """Set parameters, a member's ones as ``<name>__<parameter>``.

        Parameters
        ----------
        **params : dict
            Parameters; a fitted member's own parameters cannot be set (it is used
            as is).

        Returns
        -------
        self : TeacherEnsemble
            This estimator.
        """
        members = dict(self._members())
        for key in params:
            name = key.split("__")[0]
            if "__" in key and name in members and is_fitted(members[name]):
                raise ValueError(
                    f"Cannot set {key!r}: the teacher {name!r} "
                    f"({name_of(members[name])}) is fitted and used as is. Pass it "
                    "unfitted to tune it, or set_params(<name>=another_teacher)."
                )
        self._set_params("teachers", **params)
        return self

    def __sklearn_clone__(self):
        """A copy of the parameters, the fitted members kept by reference."""
        _check_members(self.teachers)
        members = [
            (name, model if is_fitted(model) else clone(model))
            for name, model in self.teachers
        ]
        params = {
            key: clone(value, safe=False)
            for key, value in self.get_params(deep=False).items()
            if key != "teachers"
        }
        return type(self)(members, **params)

    def __sklearn_is_fitted__(self):
        if hasattr(self, "teachers_"):
            return True
        members = [model for _, model in self._members()]
        return bool(members) and all(is_fitted(model) for model in members)

    def _members(self):
        """The ``(name, estimator)`` pairs, or none if ``teachers`` is not such a list."""
        try:
            return [(name, model) for name, model in self.teachers]
        except (TypeError, ValueError):
            return []

    def __sklearn_tags__(self):
        members = [model for _, model in self._members()]
        return shared_input_tags(super().__sklearn_tags__(), members)

    # -- fit ------------------------------------------------------------------------

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the unfitted teachers (clones); keep the fitted ones as they are.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, for the teachers whose ``fit`` takes them.

        Returns
        -------
        self : TeacherEnsemble
            The fitted ensemble.
        """
        from ._teacher import fitted_teacher

        _check_members(self.teachers)
        X = validate_X(X, estimator=self)
        validate_data(self, X, y, skip_check_array=True, reset=True)
        for _, model in self.teachers:
            if not hasattr(model, "predict"):
                raise TypeError(
                    f"Every teacher of a TeacherEnsemble must be an estimator with "
                    f"predict; got {name_of(model)}."
                )
        fitted = [
            (
                name,
                fitted_teacher(
                    model, X, y, sample_weight=sample_weight, task="classification"
                ),
            )
            for name, model in self.teachers
        ]
        self._finish(fitted)
        return self

    def _finish(self, fitted):
        self.teachers_ = fitted
        _normalised(self.weights, len(fitted))
        self._aligned()  # the classes must agree
        return self

    def _fitted_teachers(self):
        if hasattr(self, "teachers_"):
            return self.teachers_
        _check_members(self.teachers)
        return list(self.teachers)

    @property
    def classes_(self):
        return self._aligned()[0]

    @property
    def named_teachers_(self):
        return dict(self._fitted_teachers())

    @property
    def weights_(self):
        return _normalised(self.weights, len(self._fitted_teachers()))

    def _aligned(self):
        """The classes, and for each teacher the column order that matches them."""
        classes, orders = None, []
        teachers = self._fitted_teachers()
        for name, model in teachers:
            own = teacher_classes(model)
            if classes is None:
                classes = own
            if len(own) != len(classes) or set(own.tolist()) != set(classes.tolist()):
                raise ValueError(
                    f"The teachers disagree on the classes: {name!r} "
                    f"({name_of(model)}) has {own.tolist()!r} but "
                    f"{teachers[0][0]!r} has {classes.tolist()!r}. Distil from "
                    "teachers fitted on the same labels."
                )
            position = {c: i for i, c in enumerate(own.tolist())}
            orders.append(np.array([position[c] for c in classes.tolist()]))
        return classes, orders

    # -- predict --------------------------------------------------------------------

    def _logits(self, X):
        """Averaged logits, shape (n_samples, n_classes)."""
        check_is_fitted(self)
        X = validate_X(X, estimator=self)
        if hasattr(self, "n_features_in_"):
            validate_data(self, X, reset=False, skip_check_array=True)
        _, orders = self._aligned()
        teachers = self._fitted_teachers()
        total = 0.0
        for (_, model), order, weight in zip(teachers, orders, self.weights_, strict=True):
            logits = teacher_logits(model, X, self.response_method)[0][:, order]
            total = total + weight * (
                softmax(logits) if self.averaging == "proba" else logits
            )
        return log_clip(total) if self.averaging == "proba" else total

    def decision_function(self, X):
        """Averaged logits; for two classes, the log-odds of the second.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Probabilities of the averaged teacher.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._logits(X))

    def predict(self, X):
        """Most probable class of the averaged teacher.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]
