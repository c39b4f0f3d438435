"""DistilledClassifier and DistilledRegressor: teacher -> targets -> student.

The estimators orchestrate the one-way flow of the package: the teacher's outputs
(``_teacher``) become targets (``_targets``), a student strategy (``strategies``)
fits the student on them, and the fitted student answers every prediction.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import Bunch
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
    safe_indexing,
    safe_tags,
    shared_input_tags,
    slice_fit_params,
)
from ._dask import fit_dask
from ._ensemble import TeacherEnsemble
from ._rows import (
    TrainingRows,
    concat_rows,
    labeled_mask,
    nearest_rows,
    resolve_student_features,
    student_view,
)
from ._seeding import RandomStreams
from ._source import TeacherSource, teacher_models
from ._targets import (
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    UNLABELED,
    SoftTargets,
    fit_output_map,
    log_softmax,
)
from ._teacher import remember_fingerprint, teacher_fingerprint, teacher_predict
from ._validation import (
    check_nan_support,
    encode_labels,
    explain_student_failure,
    is_dask_collection,
    is_fitted,
    name_of,
    validate_X,
    validate_y,
)
from .exceptions import DistillationWarning
from .strategies import STRATEGY_NAMES, BaseStrategy, resolve_strategy
from .strategies._base import fit_weighted
from .transfer import resolve_transfer_set, transfer_count
from .transfer._registry import TRANSFER_SET_NAMES

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
        teacher = _clone_teacher(params.pop("teacher"))
        params = {key: clone(value, safe=False) for key, value in params.items()}
        return type(self)(teacher=teacher, **params)

    def __getstate__(self):
        """Pickle state; with ``memory``, the teacher's fingerprint travels along.

        ``GridSearchCV(n_jobs=...)`` pickles every candidate to its workers: the
        fingerprint, computed once here, spares each worker hashing its copy of the
        teacher (as long as predicting, for a large ensemble).
        """
        state = dict(super().__getstate__())  # object.__getstate__ gives __dict__ itself
        teacher = self.__dict__.get("teacher")
        if self.__dict__.get("memory") is not None and teacher_models(teacher) == [teacher]:
            if is_fitted(teacher):
                state["_teacher_fingerprint"] = teacher_fingerprint(teacher)
        # A fitted teacher_ is teacher, and student_ is strategy_.student_: keep one
        # reference each (skops writes every reference in full); __setstate__ restores.
        aliases = {
            "teacher_": state.get("teacher"),
            "student_": getattr(state.get("strategy_"), "student_", None),
        }
        shared = [name for name, same in aliases.items() if state.get(name, self) is same]
        for name in shared:
            del state[name]
        if shared:
            state["_shared_attributes"] = shared
        return state

    def __setstate__(self, state):
        fingerprint = state.pop("_teacher_fingerprint", None)
        shared = state.pop("_shared_attributes", ())
        super().__setstate__(state)
        if "teacher_" in shared:
            self.teacher_ = self.teacher
        if "student_" in shared:
            self.student_ = self.strategy_.student_
        if fingerprint is not None:
            remember_fingerprint(self.teacher, fingerprint)

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
        if isinstance(teacher, TeacherEnsemble):
            nested = []  # its weights are tunable; it guards its fitted members itself
        if nested and _teacher_is_fitted(teacher):
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
        marker = getattr(self, "unlabeled_label", None)
        y = validate_y(y, X, task=self._task, labeled=lambda y: labeled_mask(y, marker))
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
            _check_non_negative(sample_weight)
        if routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
        else:
            routed = Bunch(student=Bunch(fit={}))
        return X, y, sample_weight, routed

    def _student_or_default(self):
        if self.student is None:
            return self._default_student(max_depth=_DEFAULT_MAX_DEPTH)
        return self.student

    def _make_student(self, streams):
        """A fresh student; unset random states are drawn from ``random_state``."""
        return streams.seeded(clone(self._student_or_default()), "student")

    def _source(self, streams):
        """The ``teacher`` parameter as one object (see ``TeacherSource``)."""
        return TeacherSource(
            self.teacher,
            task=self._task,
            streams=streams,
            response_method=getattr(self, "response_method", "auto"),
            memory=getattr(self, "memory", None),
            n_jobs=getattr(self, "n_jobs", None),
            verbose=getattr(self, "verbose", 0),
        )

    def _check_X(self, X):
        """Validate X at predict time: fitted, same features, finite where needed.

        A float ndarray of the right width skips the generic checks (the student
        validates it again anyway): single-row latency is what students are for.
        """
        if not hasattr(self, "student_"):
            check_is_fitted(self)
        if (
            isinstance(X, np.ndarray)
            and X.ndim == 2
            and X.dtype.kind == "f"
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and (not self._check_nan or np.isfinite(X.sum()))  # sklearn's quick test
        ):
            return X
        if hasattr(X, "iloc") and self._frame_is_valid(X):
            return X
        X = validate_X(X, estimator=self, allow_nan=not self._check_nan)
        return validate_data(self, X, reset=False, skip_check_array=True)

    def _frame_is_valid(self, X):
        """Whether the DataFrame ``X`` passes the checks of ``_check_X``, tested cheaply.

        True only for rows whose columns are exactly the names seen in ``fit``, in
        order, all numeric and without infinity (nor NaN where refused); anything
        else goes through the full checks, which raise their usual errors. The
        DataFrame itself goes to the student, which converts it once.
        """
        names, columns = (
            getattr(self, "feature_names_in_", None),
            getattr(X, "columns", None),
        )
        if names is None or columns is None or columns.tolist() != names.tolist():
            return False
        if len(X) == 0:
            return False
        values = X.to_numpy()
        if values.dtype.kind not in "fiub":
            return False
        if np.isfinite(values.sum()):
            return True
        return not self._check_nan and not np.isinf(values).any()

    def _set_nan_policy(self, student):
        """NaN at predict is the business of the student, which alone runs then and
        validates its own input (a pipeline may encode or impute it, whatever its
        tags say). Only where the tags refuse NaN for the distiller (a teacher cannot
        take it) but the student would accept it silently, it is refused here."""
        tags_allow = self.__sklearn_tags__().input_tags.allow_nan
        self._check_nan = not tags_allow and safe_tags(student).input_tags.allow_nan

    # -- sklearn protocol ---------------------------------------------------------------

    def __sklearn_tags__(self):
        models = [self._student_or_default(), *teacher_models(self.teacher)]
        return shared_input_tags(super().__sklearn_tags__(), models)

    def get_metadata_routing(self):
        """Get metadata routing of this object: ``fit`` metadata goes to the student.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                student=self._student_or_default(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )


def _check_non_negative(sample_weight):
    negative = np.flatnonzero(sample_weight < 0)
    if len(negative):
        raise ValueError(
            f"sample_weight has {len(negative)} negative value(s) (rows "
            f"{negative[:5].tolist()}{'...' if len(negative) > 5 else ''}); a row's "
            "weight multiplies its targets and must be >= 0. Give those rows weight 0 "
            "to leave them out, or drop them."
        )


def _teacher_is_fitted(teacher):
    models = teacher_models(teacher)
    return bool(models) and all(is_fitted(model) for model in models)


def _clone_teacher(teacher):
    """Keep a fitted teacher (and "precomputed") by reference, clone an unfitted one.

    A ``TeacherEnsemble`` is cloned with its fitted members kept by reference (its
    own ``__sklearn_clone__``), so that its weights can be tuned per candidate.
    """
    if isinstance(teacher, str | list):
        return teacher  # "precomputed"; a list is refused by fit, with the fix
    if isinstance(teacher, TeacherEnsemble):
        return clone(teacher)
    return teacher if is_fitted(teacher) else clone(teacher)


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
    teacher : classifier, TeacherEnsemble or "precomputed"
        The model to distil. A fitted teacher (or a
        :class:`~sklearn.frozen.FrozenEstimator`) is used as is and kept by reference
        through ``clone``; an unfitted one is cloned and fitted on the training data
        (its labeled rows) inside ``fit``, the way to cross-validate the whole
        procedure (pass ``sklearn.base.clone(teacher)`` to refit a fitted one). It
        needs ``predict_proba`` or ``decision_function``. A
        :class:`~skdistill.TeacherEnsemble` distils from the weighted average of
        several teachers (tune ``teacher__weights``); ``"precomputed"`` takes the
        teacher's logits from ``fit(..., teacher_logits=...)``.
    student : estimator, default=None
        The model to train. A classifier that accepts ``sample_weight`` (strategy
        ``"expand"``), or a regressor (strategy ``"regress"``); may be a ``Pipeline``
        (e.g. a scaler and a logistic regression) so that the teacher keeps seeing
        raw features. None means ``DecisionTreeClassifier(max_depth=6)``.
    temperature : float, default=1.0
        Temperature ``T`` of the softmax over the teacher's logits, in [1, 100]:
        higher values soften the targets and expose the teacher's ranking of the
        wrong classes (1 to 20 is the useful range).
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
    unlabeled_label : int, str or None, default=None
        The label that marks a row without one, for instance
        :data:`~skdistill.UNLABELED` (-1): such rows get the teacher's soft targets
        alone, weighted ``alpha`` (so ``alpha=0`` leaves them out), and an unfitted
        teacher is fitted on the other rows. None, the default, marks no row: every
        value of ``y`` is a label, -1 included. A marker that is one of a fitted
        teacher's classes is an ordinary label too.
    transfer_set : {"munge", "gaussian", "mixup", "minority"}, sampler or callable, \
            default=None
        Generates extra rows at fit time, labeled by the teacher alone (never used
        at predict time) and weighted ``alpha``: a name (the sampler with its
        defaults), a sampler of :mod:`skdistill.transfer` such as
        ``GaussianJitter(scale=0.1, size=5.0)`` (its ``size`` says how many rows,
        its ``weight`` what each weighs; tune ``transfer_set__size``), an object
        with ``sample(X, n, random_state, y)`` or a function
        ``f(X, n, random_state)``.
    student_features : array-like of str, int or bool, default=None
        The columns the student sees (names, positions or a mask); the teacher sees
        all. ``predict`` takes all columns; the fitted ``student_`` takes these.
        None means all columns.
    teacher_cv : int, cross-validation generator or iterable, default=None
        With a teacher fitted inside ``fit``, label each labeled training row with a
        clone fitted on the other folds (out-of-fold soft targets, as on new data).
        None labels them with the teacher fitted on all of them.
    calibration_cv : int, cross-validation generator, iterable or "train", default=5
        How the map of the student's outputs to probabilities at temperature 1,
        ``softmax(s * logits + b)``, is fitted (whenever ``alpha > 0``; the
        hard-label student, ``alpha=0``, is left as it is): ``s`` and ``b``
        minimise the cross-entropy between the targets at temperature 1 and the
        out-of-fold logits of clones of the student fitted on the other folds (an
        int is a number of stratified folds; each fold costs one more fit of the
        student). ``"train"`` fits them on the fitted student's outputs on its own
        training rows: no extra fits, but a student that overfits comes out
        over-confident.
    memory : str, joblib.Memory or None, default=None
        Caches the teacher's logits (keyed by a hash of the teacher, of the rows and
        of the response method), so that the candidates of a grid search ask the
        teacher once per fold, also across worker processes.
    n_jobs : int, default=None
        Batches of rows labeled by the teacher in parallel; None means 1.
    verbose : int, default=0
        Above 0, a progress bar while the teacher labels rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the unset ``random_state`` parameters of the student, of an unfitted
        teacher and of the strategy, the transfer rows and the folds, each from a
        stream of its own, for reproducible fits.

    Attributes
    ----------
    teacher_ : classifier or None
        The fitted teacher used: the ``teacher`` object itself if it was fitted (a
        copy holding the same fitted members for a ``TeacherEnsemble``), a fitted
        clone if it was fitted inside ``fit``, None if precomputed.
    student_ : estimator
        The fitted student.
    strategy_ : BaseStrategy
        The fitted strategy; ``strategy_.name`` is the strategy chosen.
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the teacher's order.
    response_method_ : str
        The teacher output the logits came from (``"precomputed"`` when given).
    student_features_ : ndarray of int or None
        Positions of the student's columns, or None for all.
    n_unlabeled_ : int
        Number of training rows without a label.
    n_transfer_ : int
        Number of rows the transfer set added.
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

    The student is fitted to ``q``; a row that only the teacher labels (unlabeled,
    or from the transfer set) gets ``q_i = p_i`` with weight ``alpha``, so that
    ``alpha=0`` is exactly the hard-label student. The probabilities of a student
    trained at ``T != 1`` are mapped back to temperature 1 by
    a fitted map. Hinton et al. use the student "at T = 1", ``softmax(T * log q_hat)``,
    which is exact only for a student that matches its targets perfectly: a weak
    student's errors, sharpened by ``T``, make it over-confident (a depth-6 tree
    at ``T=10`` predicted 0.98 confidence at 76% accuracy), and with
    ``0 < alpha < 1`` no single factor is right. Here the map is
    ``softmax(s * log q_hat + b)``, one scale and one bias per class that minimise
    the cross-entropy between the targets at temperature 1,
    ``alpha * softmax(z) + (1 - alpha) * onehot(y)``, and the student's
    out-of-fold outputs (``calibration_cv``; vector scaling as in Guo et al.,
    2017), so that ``predict_proba`` is a calibrated temperature-1 probability.
    The map is stored in ``strategy_.output_scale_``, ``output_bias_`` and
    ``output_smoothing_`` (a share of the uniform distribution mixed into the
    probabilities of students that can say 0, such as trees);
    ``predict`` is the argmax of ``predict_proba``. Tree, logistic regression,
    LightGBM and XGBoost students carry the map themselves, so the fitted
    ``student_`` alone predicts the same probabilities.
    Temperature acts on logits, so real margins are preferred: softening
    log-probabilities of a random forest, whose zeros are clipped, says little.

    Soft targets computed on the teacher's own training rows are often nearly
    one-hot (a warning says so); held-out or unlabeled rows carry more of the
    teacher's knowledge.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", NIPS Deep Learning Workshop, 2015. arXiv:1503.02531.
    .. [2] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of Modern
       Neural Networks", ICML 2017. arXiv:1706.04599.

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
    0.94
    """

    _task = "classification"
    _default_student = DecisionTreeClassifier

    _parameter_constraints = {
        **_BaseDistiller._parameter_constraints,
        "teacher": [HasMethods(["predict"]), list, StrOptions({"precomputed"})],
        "temperature": [Interval(Real, MIN_TEMPERATURE, MAX_TEMPERATURE, closed="both")],
        "response_method": [StrOptions({"auto", "decision_function", "predict_proba"})],
        "strategy": [STRATEGY_NAMES, BaseStrategy],
        "unlabeled_label": [Integral, str, None],
        "transfer_set": [
            TRANSFER_SET_NAMES,
            HasMethods(["sample"]),
            callable,
            None,
        ],
        "student_features": ["array-like", None],
        "teacher_cv": ["cv_object", None],
        "calibration_cv": ["cv_object", StrOptions({"train"})],
        "memory": [None, str, HasMethods(["cache"])],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
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
        unlabeled_label=None,
        transfer_set=None,
        student_features=None,
        teacher_cv=None,
        calibration_cv=5,
        memory=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.teacher = teacher
        self.student = student
        self.temperature = temperature
        self.alpha = alpha
        self.response_method = response_method
        self.strategy = strategy
        self.unlabeled_label = unlabeled_label
        self.transfer_set = transfer_set
        self.student_features = student_features
        self.teacher_cv = teacher_cv
        self.calibration_cv = calibration_cv
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, teacher_logits=None, **fit_params):
        """Fit the student on the teacher's soft targets blended with ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training rows, passed unchanged to the teacher and the student.
        y : array-like of shape (n_samples,)
            Labels; each must be one of the teacher's classes, or ``unlabeled_label``
            for a row without one.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied into the student's targets.
        teacher_logits : array-like of shape (n_samples, n_classes), default=None
            The teacher's logits for ``X``, precomputed with
            :func:`~skdistill.compute_teacher_logits`: the teacher is then not asked
            again. Sample-aligned, so ``GridSearchCV`` slices it per fold (with
            metadata routing enabled, request it with
            ``set_fit_request(teacher_logits=True)``).
        **fit_params : dict
            Metadata routed to the student's ``fit``; only with
            ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        self : DistilledClassifier
            The fitted distiller.
        """
        if is_dask_collection(X):  # the rows stay on the cluster: skdistill._dask
            return fit_dask(self, X, y, sample_weight, teacher_logits, **fit_params)
        X, y, sample_weight, routed = self._validate_input(X, y, sample_weight, fit_params)
        streams = RandomStreams(self.random_state)
        student = self._make_student(streams)
        source = self._source(streams)
        for model in source.models or [None]:
            check_nan_support(X, teacher=model, student=student)
        teacher, classes, labeled = source.fitted(
            X, y, sample_weight, unlabeled_label=self.unlabeled_label
        )
        y_index = np.full(len(y), UNLABELED, dtype=np.intp)
        y_index[labeled] = encode_labels(y[labeled], classes, teacher=teacher)
        logits, response_method = source.row_logits(
            teacher, classes, X, y, labeled, sample_weight,
            given=teacher_logits, cv=self.teacher_cv,
        )  # fmt: skip
        targets = SoftTargets(
            logits,
            y_index=y_index,
            classes=classes,
            temperature=float(self.temperature),
            alpha=float(self.alpha),
            teacher=teacher,
        )
        rows = TrainingRows(X, targets, sample_weight, np.ones(len(y), dtype=bool))
        rows = self._with_transfer_rows(source, teacher, rows, streams)
        _warn_if_one_hot(rows.targets)
        rows = rows.in_loss()
        self.student_features_ = resolve_student_features(self.student_features, X)
        rows.X = student_view(rows.X, self.student_features_)
        strategy = streams.seeded(resolve_strategy(self.strategy, student), "strategy")
        unfitted = clone(strategy), clone(student)
        with explain_student_failure(rows.X, student):
            strategy.fit(
                student,
                rows.X,
                rows.targets,
                sample_weight=rows.sample_weight,
                **routed.student.fit,
            )
        if self.alpha > 0 and strategy.has_method("predict_proba", strategy.student_):
            strategy.set_output_map(
                *self._fit_output_map(strategy, unfitted, rows, routed.student.fit)
            )

        self._set_nan_policy(student)
        self.teacher_ = teacher
        self.response_method_ = response_method
        self.strategy_ = strategy
        self.student_ = strategy.student_
        self.classes_ = classes
        self.n_unlabeled_ = int(np.sum(~labeled))
        self.n_transfer_ = int(np.sum(~rows.real))
        return self

    # -- pieces of fit ------------------------------------------------------------------

    def _fit_output_map(self, strategy, unfitted, rows, fit_params):
        """The map ``softmax(s * logits + b)`` of the student back to temperature 1.

        Fitted to the targets at temperature 1 on the student's out-of-fold logits
        (``calibration_cv``): clones of the student fitted on the other folds of the
        real rows answer for the held-out fold, so the map reflects how well the
        student matches its targets on rows it has not seen. A transfer row goes with
        the fold of its nearest real row (it is a near copy of it), so that the
        clones are fitted like the student without seeing the held-out rows.
        ``"train"`` fits the map on the fitted student's own outputs on its training
        rows (no extra fits; a student that overfits its targets then comes out
        over-confident).
        """
        targets, weight = rows.targets, rows.sample_weight
        smoothing = strategy._smooths()
        real = np.flatnonzero(rows.real)
        strata = np.argmax(targets.proba[real], axis=1)
        cv = None
        if not isinstance(self.calibration_cv, str):  # "train"
            cv = _calibration_splitter(self.calibration_cv, strata)
            n_splits = cv.get_n_splits(np.zeros((len(real), 1)), strata)
            if len(real) < 2 * n_splits:
                warnings.warn(
                    f"calibration_cv={self.calibration_cv!r} needs at least "
                    f"{2 * n_splits} training rows to fit the map back to temperature 1 "
                    f"out of fold, got {len(real)}; it is fitted on the training rows "
                    "instead. Pass more rows, or calibration_cv='train' to choose this.",
                    DistillationWarning,
                    stacklevel=4,
                )
                cv = None
        if cv is None:
            logits = strategy.tempered_logits(rows.X)
            return fit_output_map(logits, targets.proba_at_one, weight, smoothing=smoothing)
        splits = list(cv.split(np.zeros((len(real), 1)), strata))
        fold = np.full(len(real), -1)
        for k, (_, test) in enumerate(splits):
            fold[test] = k
        generated = np.flatnonzero(~rows.real)
        generated_fold = fold[
            nearest_rows(safe_indexing(rows.X, generated), safe_indexing(rows.X, real))
        ]
        logits = np.zeros((len(real), targets.n_classes))
        for k, (train, test) in enumerate(splits):
            fold_strategy, fold_student = clone(unfitted[0]), clone(unfitted[1])
            fit_rows = np.sort(np.r_[real[train], generated[generated_fold != k]])
            part = rows.take(fit_rows)
            fold_strategy.fit(
                fold_student,
                part.X,
                part.targets,
                sample_weight=part.sample_weight,
                **slice_fit_params(rows.X, fit_params, fit_rows),
            )
            logits[test] = fold_strategy.tempered_logits(safe_indexing(rows.X, real[test]))
        held_out = fold >= 0
        real, logits = real[held_out], logits[held_out]
        return fit_output_map(
            logits,
            targets.proba_at_one[real],
            None if weight is None else weight[real],
            smoothing=smoothing,
        )

    def _with_transfer_rows(self, source, teacher, rows, streams):
        """``rows`` followed by the ones ``transfer_set`` generates, labeled by the
        teacher alone (none with ``alpha=0``: they would weigh nothing)."""
        if self.transfer_set is None or self.alpha == 0:
            return rows
        sampler = resolve_transfer_set(self.transfer_set)
        if hasattr(sampler, "_validate_params"):
            sampler._validate_params()  # its size and weight are read here
        n_real = len(rows)
        n_new = transfer_count(getattr(sampler, "size", 1.0), n_real)
        if n_new == 0:
            return rows
        if teacher is None:
            raise ValueError(
                "transfer_set needs the teacher to label the new rows, but "
                "teacher='precomputed'. Pass the teacher itself."
            )
        if sparse.issparse(rows.X):
            raise TypeError(
                "transfer_set does not generate sparse rows. Densify X (X.toarray()) or "
                "leave transfer_set=None."
            )
        targets = rows.targets
        X_new = sampler.sample(
            rows.X, n_new, random_state=streams.seed("transfer"), y=targets.y_index
        )
        new_logits, _ = source.logits(teacher, X_new)
        weight = getattr(sampler, "weight", 1.0)
        weight = n_real / n_new if weight == "balanced" else float(weight)
        sample_weight = rows.sample_weight
        if sample_weight is None:
            sample_weight = np.ones(n_real)
        return TrainingRows(
            concat_rows(rows.X, X_new),
            SoftTargets(
                np.concatenate([targets.teacher_logits, new_logits]),
                np.concatenate([targets.y_index, np.full(n_new, UNLABELED, np.intp)]),
                targets.classes,
                targets.temperature,
                targets.alpha,
                targets.teacher,
            ),
            np.concatenate([sample_weight, np.full(n_new, weight)]),
            np.concatenate([rows.real, np.zeros(n_new, dtype=bool)]),
        )

    # -- prediction ---------------------------------------------------------------------

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
        X = student_view(self._check_X(X), self.student_features_)
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
        X = student_view(self._check_X(X), self.student_features_)
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
        X = student_view(self._check_X(X), self.student_features_)
        logits = self.strategy_.decision_function(X)
        return log_softmax(logits)

    def score(self, X, y, sample_weight=None):
        """Accuracy of the student on the labeled rows of ``y``.

        Rows marked ``unlabeled_label`` are left out, so that ``GridSearchCV``'s
        default scoring works on folds with unlabeled rows. For another metric on
        such folds, use :func:`skdistill.report.make_labeled_scorer`.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            True labels, or ``unlabeled_label``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            Mean accuracy on the labeled rows.
        """
        y = np.asarray(y)
        labeled = labeled_mask(y, self.unlabeled_label, self.classes_)
        if labeled.all():
            return super().score(X, y, sample_weight=sample_weight)
        rows = np.flatnonzero(labeled)
        if len(rows) == 0:
            raise ValueError(
                "Every row of y is unlabeled (y == unlabeled_label): there is nothing "
                "to score. Score on labeled rows."
            )
        weights = None if sample_weight is None else np.asarray(sample_weight)[rows]
        return super().score(safe_indexing(X, rows), y[rows], sample_weight=weights)

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
        X = student_view(self._check_X(X), self.student_features_)
        logits = self.strategy_.decision_function(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits


def _calibration_splitter(cv, strata):
    """``check_cv`` of ``calibration_cv``; an int stratifies on the most likely target
    class when each of those has rows for every fold, else splits in plain folds."""
    if isinstance(cv, Integral):
        counts = np.bincount(strata)
        if counts[counts > 0].min() >= cv:
            return StratifiedKFold(cv)
        return KFold(cv)
    return check_cv(cv, strata, classifier=True)


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
    random_state : int, RandomState instance or None, default=None
        Seeds the unset ``random_state`` parameters of the student and of an
        unfitted teacher.

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

    def __init__(self, teacher, student=None, *, alpha=0.5, random_state=None):
        self.teacher = teacher
        self.student = student
        self.alpha = alpha
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
        streams = RandomStreams(self.random_state)
        student = self._make_student(streams)
        check_nan_support(X, teacher=self.teacher, student=student)
        teacher = self._source(streams).fitted_on_all(X, y, sample_weight)
        prediction = teacher_predict(teacher, X)
        if prediction.ndim == 2 and prediction.shape[1] == 1 and y.ndim == 1:
            prediction = prediction.ravel()
        if prediction.shape != y.shape:
            raise ValueError(
                f"The teacher {name_of(teacher)} predicts shape {prediction.shape} but "
                f"y has shape {y.shape}; they must match to be blended."
            )
        target = self.alpha * prediction + (1.0 - self.alpha) * y
        with explain_student_failure(X, student):
            fit_weighted(
                student, X, target, sample_weight, strategy="regress", **routed.student.fit
            )
        self._set_nan_policy(student)
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
