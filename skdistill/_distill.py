"""DistilledClassifier and DistilledRegressor: teacher -> targets -> student.

The estimators orchestrate the one-way flow of the package: the teacher's outputs
(``_teacher``) become targets (``_targets``), a student strategy (``strategies``)
fits the student on them, and the fitted student answers every prediction.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    check_sample_weight,
    fit_context,
    process_routing,
    raise_for_params,
    routing_enabled,
    safe_tags,
)
from ._targets import SoftTargets, log_softmax
from ._teacher import fitted_teacher, teacher_classes, teacher_logits, teacher_predict
from ._validation import (
    check_nan_support,
    check_teacher_features,
    encode_labels,
    is_fitted,
    name_of,
    validate_X,
    validate_y,
)
from .exceptions import DistillationWarning
from .strategies import STRATEGY_NAMES, BaseStrategy, resolve_strategy
from .strategies._base import fit_weighted

__all__ = ["DistilledClassifier", "DistilledRegressor"]

#: Mean top-class probability of the soft targets above which they are "one-hot".
_ONE_HOT_WARNING_LEVEL = 0.999

_DEFAULT_MAX_DEPTH = 6


class _BaseDistiller(MetaEstimatorMixin, BaseEstimator):
    """Teacher handling, student seeding, cloning, tags and routing of both distillers."""

    _task = None
    _default_student = None

    _parameter_constraints = {
        "teacher": [HasMethods(["predict"])],
        "student": [HasMethods(["fit", "predict"]), None],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "fit_teacher": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
    }

    # -- the teacher stays the user's -------------------------------------------------

    def __sklearn_clone__(self):
        """Clone the parameters, but keep a fitted teacher by reference.

        A fitted teacher is the user's model and is used as is: cloning it would
        drop its fitted state (``sklearn.base.clone`` returns an unfitted copy), so a
        ``GridSearchCV`` over ``temperature`` or ``alpha`` would lose it. This is the
        mechanism of :class:`sklearn.frozen.FrozenEstimator`.
        """
        params = self.get_params(deep=False)
        teacher = params.pop("teacher")
        if not is_fitted(teacher):
            teacher = clone(teacher)
        params = {key: clone(value, safe=False) for key, value in params.items()}
        return type(self)(teacher=teacher, **params)

    def set_params(self, **params):
        """Set parameters; nested ``teacher__*`` ones only on an unfitted teacher.

        Parameters
        ----------
        **params : dict
            Estimator parameters, e.g. ``alpha=0.7`` or ``student__max_depth=4``.

        Returns
        -------
        self : estimator instance
            This estimator.
        """
        nested = sorted(key for key in params if key.startswith("teacher__"))
        teacher = params.get("teacher", getattr(self, "teacher", None))
        if nested and is_fitted(teacher):
            raise ValueError(
                f"Cannot set {nested} on the fitted teacher {name_of(teacher)}: it is "
                "used as is and would be changed in place. To tune the teacher, pass an "
                "unfitted teacher (it is then fitted inside fit) or set_params(teacher="
                "another_fitted_teacher)."
            )
        return super().set_params(**params)

    # -- pieces of fit ------------------------------------------------------------------

    def _validate_input(self, X, y, sample_weight, fit_params):
        raise_for_params(fit_params, self, "fit")
        X = validate_X(X, estimator=self)
        validate_data(self, X, y, skip_check_array=True)
        y = validate_y(y, X, task=self._task)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        if routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
        else:
            routed = Bunch(student=Bunch(fit={}))
        return X, y, sample_weight, routed

    def _student_or_default(self):
        if self.student is None:
            return self._default_student(max_depth=_DEFAULT_MAX_DEPTH)
        return self.student

    def _make_student(self):
        """A fresh student; unset random states are drawn from ``random_state``."""
        return _seeded(clone(self._student_or_default()), self.random_state, offset=0)

    def _check_X(self, X):
        """Validate X at predict time: fitted, same features, finite where needed.

        A float ndarray of the right width skips the generic checks (the student
        validates it again anyway): single-row latency is what students are for.
        """
        check_is_fitted(self)
        if (
            isinstance(X, np.ndarray)
            and X.ndim == 2
            and X.dtype.kind == "f"
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and (self._allow_nan or np.isfinite(X).all())
        ):
            return X
        X = validate_X(X, estimator=self, allow_nan=self._allow_nan)
        return validate_data(self, X, reset=False, skip_check_array=True)

    def _fitted_teacher(self, X, y, sample_weight):
        teacher = fitted_teacher(
            self.teacher,
            X,
            y,
            fit_teacher=self.fit_teacher,
            seed=lambda est: _seeded(est, self.random_state, offset=1),
            sample_weight=sample_weight,
            task=self._task,
        )
        check_teacher_features(teacher, X)
        return teacher

    # -- sklearn protocol ---------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        teacher_tags = safe_tags(self.teacher).input_tags
        student_tags = safe_tags(self._student_or_default()).input_tags
        tags.input_tags.sparse = teacher_tags.sparse and student_tags.sparse
        tags.input_tags.allow_nan = teacher_tags.allow_nan and student_tags.allow_nan
        return tags

    def get_metadata_routing(self):
        """Get metadata routing of this object: ``fit`` metadata goes to the student.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return MetadataRouter(owner=self).add(
            student=self._student_or_default(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )


def _seeded(estimator, random_state, *, offset):
    """Set ``estimator``'s unset random states from ``random_state``; return it.

    ``offset`` gives the teacher and the student different streams of the same seed.
    """
    if random_state is None:
        return estimator
    rng = check_random_state(random_state)
    for _ in range(offset):
        rng.randint(np.iinfo(np.int32).max)
    rng = check_random_state(rng.randint(np.iinfo(np.int32).max))
    seeds = {
        key: int(rng.randint(np.iinfo(np.int32).max))
        for key, value in sorted(estimator.get_params(deep=True).items())
        if key.split("__")[-1] == "random_state" and value is None
    }
    if seeds:
        estimator.set_params(**seeds)
    return estimator


def _strategy_has(method):
    """``available_if`` check: can the (fitted or configured) strategy offer ``method``?"""

    def check(self):
        if hasattr(self, "strategy_"):
            return self.strategy_.has_method(method, self.student_)
        student = self._student_or_default()
        try:
            strategy = resolve_strategy(self.strategy, student)
        except (TypeError, ValueError):
            return True  # the configuration is invalid; fit will say why
        return strategy.has_method(method, student)

    return check


class DistilledClassifier(ClassifierMixin, _BaseDistiller):
    """Distil a fitted classifier (the teacher) into a compact student classifier.

    The student is fitted on a blend of the teacher's temperature-softened outputs
    (soft targets) and the true labels (hard targets), then answers every prediction
    on its own. The teacher is used as is when fitted, and never modified.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    teacher : classifier
        The model to distil. A fitted teacher (or a
        :class:`~sklearn.frozen.FrozenEstimator`) is used as is and kept by reference
        through ``clone``; an unfitted one is cloned and fitted on the training data
        inside ``fit``. It needs ``predict_proba`` or ``decision_function``.
    student : estimator, default=None
        The model to train. A classifier that accepts ``sample_weight`` (strategy
        ``"expand"``), or a regressor (strategy ``"regress"``); may be a ``Pipeline``
        (e.g. a scaler and a logistic regression) so that the teacher keeps seeing
        raw features. None means ``DecisionTreeClassifier(max_depth=6)``.
    temperature : float, default=1.0
        Temperature ``T > 0`` of the softmax over the teacher's logits: higher values
        soften the targets and expose the teacher's ranking of the wrong classes.
    alpha : float, default=0.5
        Weight of the teacher's soft targets in the blend, in [0, 1]: 1 trains on the
        teacher alone, 0 on the labels alone (a hard-label baseline).
    response_method : {"auto", "decision_function", "predict_proba"}, default="auto"
        Which teacher output gives the logits. ``"auto"`` prefers margins (LightGBM
        raw scores, XGBoost output margins, ``decision_function``) and otherwise uses
        ``log(clip(predict_proba))``.
    strategy : str or BaseStrategy, default="auto"
        How the student is trained on soft targets: ``"expand"`` (one row per class
        weighted by its target), ``"regress"`` (a regressor learns the target
        logits), a strategy instance such as ``ExpandStrategy(top_k=3)``, or
        ``"auto"`` to choose from the student's type.
    fit_teacher : "auto" or bool, default="auto"
        ``"auto"`` fits the teacher (a clone) only if it is not fitted; ``True``
        always fits a clone on the training data (to cross-validate the whole
        procedure); ``False`` requires a fitted teacher.
    random_state : int, RandomState instance or None, default=None
        Seeds the unset ``random_state`` parameters of the student, of an unfitted
        teacher and of the strategy, for reproducible fits.

    Attributes
    ----------
    teacher_ : classifier
        The fitted teacher used: the ``teacher`` object itself if it was fitted.
    student_ : estimator
        The fitted student.
    strategy_ : BaseStrategy
        The fitted strategy; ``strategy_.name`` is the strategy chosen.
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the teacher's order.
    response_method_ : str
        The teacher output the logits came from.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    DistilledRegressor : The same for regression.
    sklearn.frozen.FrozenEstimator : Mark a teacher as fitted explicitly.

    Notes
    -----
    For row ``i`` and class ``k``, with teacher logits ``z``::

        p_ik = softmax(z_i / T)_k
        q_ik = alpha * p_ik + (1 - alpha) * [y_i == class_k]

    The student is fitted to ``q``. Probabilities of a student trained at ``T != 1``
    are mapped back to temperature 1 at predict time, ``softmax(s * log q_hat)``
    (the student "used at T = 1" of Hinton et al.; ``s = T`` when ``alpha = 1``,
    ``s = 1`` when ``alpha = 0``, see :func:`~skdistill.strategies.output_scale`),
    which leaves ``predict`` unchanged.
    Temperature acts on logits, so real margins are preferred: softening
    log-probabilities of a random forest, whose zeros are clipped, says little.

    Soft targets computed on the teacher's own training rows are often nearly
    one-hot (a warning says so); held-out or unlabeled rows carry more of the
    teacher's knowledge.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", NIPS Deep Learning Workshop, 2015. arXiv:1503.02531.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> teacher = RandomForestClassifier(n_estimators=50, random_state=0)
    >>> teacher = teacher.fit(X_train, y_train)
    >>> student = DecisionTreeClassifier(max_depth=3)
    >>> model = DistilledClassifier(teacher, student, temperature=2.0, alpha=0.7,
    ...                             random_state=0).fit(X_train, y_train)
    >>> model.teacher_ is teacher
    True
    >>> model.student_.get_depth()
    3
    >>> print(f"{model.score(X_test, y_test):.2f}")
    0.93
    """

    _task = "classification"
    _default_student = DecisionTreeClassifier

    _parameter_constraints = {
        **_BaseDistiller._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "response_method": [StrOptions({"auto", "decision_function", "predict_proba"})],
        "strategy": [STRATEGY_NAMES, BaseStrategy],
    }

    def __init__(
        self,
        teacher,
        student=None,
        *,
        temperature=1.0,
        alpha=0.5,
        response_method="auto",
        strategy="auto",
        fit_teacher="auto",
        random_state=None,
    ):
        self.teacher = teacher
        self.student = student
        self.temperature = temperature
        self.alpha = alpha
        self.response_method = response_method
        self.strategy = strategy
        self.fit_teacher = fit_teacher
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the student on the teacher's soft targets blended with ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training rows, passed unchanged to the teacher and the student.
        y : array-like of shape (n_samples,)
            Labels; each must be one of the teacher's classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied into the student's targets.
        **fit_params : dict
            Metadata routed to the student's ``fit``; only with
            ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        self : DistilledClassifier
            The fitted distiller.
        """
        X, y, sample_weight, routed = self._validate_input(X, y, sample_weight, fit_params)
        student = self._make_student()
        check_nan_support(X, teacher=self.teacher, student=student)
        teacher = self._fitted_teacher(X, y, sample_weight)
        classes = teacher_classes(teacher)
        logits, response_method = teacher_logits(teacher, X, self.response_method)
        targets = SoftTargets(
            logits,
            y_index=encode_labels(y, classes, teacher=teacher),
            classes=classes,
            temperature=float(self.temperature),
            alpha=float(self.alpha),
        )
        _warn_if_one_hot(targets)
        strategy = _seeded(
            resolve_strategy(self.strategy, student), self.random_state, offset=2
        )
        strategy.fit(student, X, targets, sample_weight=sample_weight, **routed.student.fit)

        self._allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        self.teacher_ = teacher
        self.response_method_ = response_method
        self.strategy_ = strategy
        self.student_ = strategy.student_
        self.classes_ = classes
        return self

    def predict(self, X):
        """Predict class labels with the student.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        X = self._check_X(X)
        return self.strategy_.predict(X)

    @available_if(_strategy_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the student, columns in the order of ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities at temperature 1.
        """
        X = self._check_X(X)
        return self.strategy_.predict_proba(X)

    @available_if(_strategy_has("predict_proba"))
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably from the student's logits.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        X = self._check_X(X)
        logits = self.strategy_.decision_function(X)
        return log_softmax(logits)

    @available_if(_strategy_has("decision_function"))
    def decision_function(self, X):
        """Student logits: shape (n_samples,) log-odds for binary problems.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Logits at temperature 1 (``log p`` up to a per-row constant).
        """
        X = self._check_X(X)
        logits = self.strategy_.decision_function(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits


def _warn_if_one_hot(targets):
    """Warn when the soft targets are nearly one-hot (stack: here, fit, wrapper, user)."""
    if targets.alpha == 0:
        return
    top = float(targets.soft.max(axis=1).mean())
    if top > _ONE_HOT_WARNING_LEVEL:
        warnings.warn(
            f"The teacher's soft targets are nearly one-hot (mean top-class probability "
            f"{top:.4f} at temperature={targets.temperature:g}), so they add little to "
            "the labels. Raise temperature (e.g. 3 to 10), or distil on rows the "
            "teacher was not fitted on (held-out or unlabeled data).",
            DistillationWarning,
            stacklevel=4,
        )


class DistilledRegressor(RegressorMixin, _BaseDistiller):
    """Distil a fitted regressor (the teacher) into a compact student regressor.

    The student is fitted on ``alpha * teacher.predict(X) + (1 - alpha) * y`` and
    then predicts on its own. The teacher is used as is when fitted, and never
    modified.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    teacher : regressor
        The model to distil; fitted (used as is, kept by reference through
        ``clone``) or not (cloned and fitted on the training data inside ``fit``).
    student : regressor, default=None
        The model to train; None means ``DecisionTreeRegressor(max_depth=6)``.
    alpha : float, default=0.5
        Weight of the teacher's predictions in the target, in [0, 1].
    fit_teacher : "auto" or bool, default="auto"
        ``"auto"`` fits the teacher (a clone) only if it is not fitted; ``True``
        always fits a clone; ``False`` requires a fitted teacher.
    random_state : int, RandomState instance or None, default=None
        Seeds the student's unset ``random_state`` parameters.

    Attributes
    ----------
    teacher_ : regressor
        The fitted teacher used: the ``teacher`` object itself if it was fitted.
    student_ : regressor
        The fitted student.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    DistilledClassifier : The same for classification, with temperature.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", 2015. arXiv:1503.02531.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skdistill import DistilledRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> teacher = RandomForestRegressor(n_estimators=50, random_state=0).fit(X, y)
    >>> model = DistilledRegressor(teacher, DecisionTreeRegressor(max_depth=4),
    ...                            alpha=0.8, random_state=0).fit(X, y)
    >>> model.student_.get_depth()
    4
    >>> model.predict(X[:3]).shape
    (3,)
    """

    _task = "regression"
    _default_student = DecisionTreeRegressor

    def __init__(
        self, teacher, student=None, *, alpha=0.5, fit_teacher="auto", random_state=None
    ):
        self.teacher = teacher
        self.student = student
        self.alpha = alpha
        self.fit_teacher = fit_teacher
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the student on a blend of the teacher's predictions and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training rows, passed unchanged to the teacher and the student.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to the student's ``fit``.
        **fit_params : dict
            Metadata routed to the student's ``fit``; only with
            ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        self : DistilledRegressor
            The fitted distiller.
        """
        X, y, sample_weight, routed = self._validate_input(X, y, sample_weight, fit_params)
        student = self._make_student()
        check_nan_support(X, teacher=self.teacher, student=student)
        teacher = self._fitted_teacher(X, y, sample_weight)
        prediction = teacher_predict(teacher, X)
        if prediction.ndim == 2 and prediction.shape[1] == 1 and y.ndim == 1:
            prediction = prediction.ravel()
        if prediction.shape != y.shape:
            raise ValueError(
                f"The teacher {name_of(teacher)} predicts shape {prediction.shape} but "
                f"y has shape {y.shape}; they must match to be blended."
            )
        target = self.alpha * prediction + (1.0 - self.alpha) * y
        fit_weighted(
            student, X, target, sample_weight, strategy="regress", **routed.student.fit
        )
        self._allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        self.teacher_ = teacher
        self.student_ = student
        return self

    def predict(self, X):
        """Predict with the student.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The student's predictions.
        """
        X = self._check_X(X)
        return self.student_.predict(X)
