"""BornAgainClassifier: generations of the same student, each distilled from the last.

Self-distillation needs no separate teacher: generation 0 is the student fitted on
the labels, and every later generation is a fresh copy of the same student distilled
(by :class:`~skdistill.DistilledClassifier`) from the fitted generation before it. A
stratified validation split, held out from every generation, picks the one to keep.
"""

import math
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, clone, is_classifier
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import (
    HasMethods,
    Interval,
    StrOptions,
    check_sample_weight,
    fit_context,
    safe_indexing,
)
from ._distill import DistilledClassifier, _BaseDistiller
from ._seeding import RandomStreams
from ._targets import MAX_TEMPERATURE, MIN_TEMPERATURE
from ._validation import is_fitted, name_of, validate_X, validate_y
from .strategies import STRATEGY_NAMES, BaseStrategy
from .strategies._base import fit_weighted
from .strategies._skorch import _is_skorch_classifier

__all__ = ["BornAgainClassifier"]


def _generations_have(method):
    """``available_if`` check: can every generation (fitted or to be) offer ``method``?

    Every generation, not only the best: whether a method exists must not depend on
    which generation the validation split happened to select.
    """

    def check(self):
        if hasattr(self, "generations_"):
            return all(hasattr(model, method) for model in self.generations_)
        student = self._student_or_default()
        # An unfitted distiller only answers from its student and strategy.
        distilled = DistilledClassifier(None, student, strategy=self.strategy)
        if not hasattr(distilled, method):
            return False
        return self.teacher is not None or hasattr(student, method)

    return check


class BornAgainClassifier(ClassifierMixin, _BaseDistiller):
    """Self-distillation: a student distilled from itself, generation after generation.

    Generation 0 is the student fitted on the labels (or, if ``teacher`` is given,
    distilled from that teacher). Generation ``k`` is a fresh clone of the same
    student distilled with :class:`DistilledClassifier` from the fitted generation
    ``k - 1``, used as is as the teacher ("born-again networks", Furlanello et al.
    2018). A stratified validation split, held out from every generation, scores
    each one, and the best answers every prediction.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    student : estimator, default=None
        The model each generation trains, cloned afresh for every generation. Without
        a ``teacher`` it must be a classifier (generation 0 learns the labels);
        otherwise any student :class:`DistilledClassifier` accepts. May be a
        ``Pipeline``. None means ``DecisionTreeClassifier(max_depth=6)``.
    n_generations : int, default=3
        Number of distilled generations after generation 0, so ``n_generations + 1``
        models are fitted; 0 fits generation 0 only.
    temperature : float, default=1.0
        Temperature ``T`` of the softmax over each teacher generation's logits, in
        [1, 100].
    alpha : float, default=0.5
        Weight of the previous generation's soft targets in the blend, in [0, 1]:
        1 trains on the previous generation alone (the setting of Furlanello et al.),
        0 on the labels alone.
    teacher : classifier, default=None
        An optional external teacher for generation 0. Fitted, it is used as is and
        kept by reference through ``clone``; unfitted, a clone is fitted on the
        training part of the split. None fits generation 0 on the labels.
    validation_fraction : float, default=0.2
        Fraction of the rows, in (0, 1), held out (stratified by class) from every
        generation to score it. Each class needs at least two rows.
    scoring : str or callable, default=None
        How generations are compared on the validation split: a scorer name (see
        :func:`sklearn.metrics.get_scorer_names`) or a callable
        ``scorer(estimator, X, y)``, higher is better. None means ``"accuracy"``.
    strategy : str or BaseStrategy, default="auto"
        How the distilled generations are trained on soft targets; see
        :class:`DistilledClassifier`.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split and each generation (a different seed per
        generation, for the student's unset ``random_state`` parameters). The split
        and the first generations do not depend on ``n_generations``.

    Attributes
    ----------
    generations_ : list of estimators
        The fitted generations, ``n_generations + 1`` of them. ``generations_[0]`` is
        the fitted student (a :class:`DistilledClassifier` if ``teacher`` is given,
        or if the student is a skorch net: then one fitted on the labels alone,
        ``alpha=0``, by the ``"skorch"`` strategy, which casts rows to float32,
        seeds torch and predicts labels rather than skorch's indices); the others
        are fitted :class:`DistilledClassifier` whose ``teacher_`` is the previous
        generation.
    validation_scores_ : ndarray of shape (n_generations + 1,)
        The score of each generation on the validation split.
    generation_results_ : dict of ndarrays
        Per generation, like ``cv_results_`` (``pandas.DataFrame`` accepts it):
        ``"generation"``, ``"validation_score"`` and ``"fit_time"`` (seconds).
    best_generation_ : int
        Index of the generation with the highest validation score (the earliest on
        ties).
    best_estimator_ : estimator
        ``generations_[best_generation_]``, fitted on the training part of the split
        only and not refitted; it answers every prediction.
    best_score_ : float
        ``validation_scores_[best_generation_]``.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    DistilledClassifier : Distil a separate, fitted teacher into a student.

    Notes
    -----
    Generation ``k`` is fitted to
    ``q = alpha * softmax(z / T) + (1 - alpha) * onehot(y)`` where ``z`` are the
    logits of generation ``k - 1`` on the training rows, the rows that generation was
    itself fitted on: self-distillation is in-sample by construction, so an
    overfitting student passes on nearly one-hot targets (a warning says so) and
    later generations then change little. Regularized students, ``alpha < 1`` and
    ``temperature > 1`` leave more to learn.

    The validation rows are used only to choose a generation. The best generation is
    kept as fitted on the other rows, not refitted on all of them: a refit would
    replay the whole chain and its score would no longer be the one measured. Because
    the same rows select the generation, ``best_score_`` is slightly optimistic; use
    a separate test set or cross-validation (``GridSearchCV`` over ``n_generations``
    and ``temperature`` works) to report performance.

    References
    ----------
    .. [1] T. Furlanello, Z. C. Lipton, M. Tschannen, L. Itti and A. Anandkumar,
       "Born-Again Neural Networks", ICML 2018. arXiv:1805.04770.
    .. [2] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", NIPS Deep Learning Workshop, 2015. arXiv:1503.02531.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import BornAgainClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> model = BornAgainClassifier(DecisionTreeClassifier(max_depth=3),
    ...                             n_generations=2, temperature=2.0, random_state=0)
    >>> model = model.fit(X_train, y_train)
    >>> len(model.generations_)
    3
    >>> model.generations_[2].teacher_ is model.generations_[1]
    True
    >>> model.best_generation_ == int(model.validation_scores_.argmax())
    True
    >>> model.predict(X_test[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "student": [HasMethods(["fit", "predict"]), None],
        "n_generations": [Interval(Integral, 0, None, closed="left")],
        "temperature": [Interval(Real, MIN_TEMPERATURE, MAX_TEMPERATURE, closed="both")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "teacher": [HasMethods(["predict"]), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "strategy": [STRATEGY_NAMES, BaseStrategy],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        student=None,
        *,
        n_generations=3,
        temperature=1.0,
        alpha=0.5,
        teacher=None,
        validation_fraction=0.2,
        scoring=None,
        strategy="auto",
        random_state=None,
    ):
        self.student = student
        self.n_generations = n_generations
        self.temperature = temperature
        self.alpha = alpha
        self.teacher = teacher
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.strategy = strategy
        self.random_state = random_state

    _task = "classification"
    _default_student = DecisionTreeClassifier

    # -- fit ----------------------------------------------------------------------------

    def _check_student(self, student):
        if self.teacher is None and not is_classifier(student):
            raise TypeError(
                f"Without a teacher, generation 0 is the student fitted on the labels, "
                f"so the student must be a classifier; got {name_of(student)}. Pass a "
                "classifier student, or a teacher to distil generation 0 from (then "
                "any student DistilledClassifier accepts, such as a regressor with "
                "strategy='regress', works)."
            )

    def _split(self, y, seed):
        """Stratified train/validation row indices, with errors that say what to do."""
        n_samples = len(y)
        labels, counts = np.unique(y, return_counts=True)
        n_val = math.ceil(self.validation_fraction * n_samples)
        rare = labels[counts < 2]
        if len(rare):
            raise ValueError(
                f"Class(es) {rare.tolist()[:5]!r} of y have a single row, but the "
                "stratified validation split needs at least two rows of every class "
                "(one to fit on, one to validate). Pass more rows of these classes, "
                "or drop them."
            )
        if n_val < len(labels) or n_samples - n_val < len(labels):
            raise ValueError(
                f"validation_fraction={self.validation_fraction} holds out {n_val} of "
                f"{n_samples} rows, leaving {n_samples - n_val} to fit on, but both "
                f"parts need a row of each of the {len(labels)} classes. Pass more "
                "rows, or change validation_fraction."
            )
        return train_test_split(
            np.arange(n_samples), test_size=n_val, stratify=y, random_state=seed
        )

    def _check_labels_known(self, labels):
        """With a fitted teacher, every label must be one of its classes."""
        classes = getattr(self.teacher, "classes_", None)
        if self.teacher is None or classes is None or not is_fitted(self.teacher):
            return
        unknown = np.setdiff1d(labels, np.asarray(classes))
        if len(unknown):
            raise ValueError(
                f"y contains {unknown.tolist()[:5]!r}, which the teacher "
                f"{name_of(self.teacher)} does not have among its classes "
                f"{np.asarray(classes).tolist()!r}. BornAgainClassifier fits and scores "
                "every row on its label, so it takes no unlabeled rows: drop them, or "
                "pass labels the teacher knows."
            )

    def _score(self, scorer, model, X, y, sample_weight):
        if sample_weight is None:
            return float(scorer(model, X, y))
        return float(scorer(model, X, y, sample_weight=sample_weight))

    def _fit_generation(self, k, student, previous, X, y, sample_weight, seed):
        """Fit generation ``k``: the student on the labels, or distilled from a teacher."""
        if k == 0 and self.teacher is None and _is_skorch_classifier(student):
            return self._fit_net_on_labels(student, X, y, sample_weight, seed)
        if k == 0 and self.teacher is None:
            # seeded as a distiller with random_state=seed seeds its student
            model = RandomStreams(seed).seeded(clone(student), "student")
            return fit_weighted(model, X, y, sample_weight, strategy=None)
        model = DistilledClassifier(
            self.teacher if k == 0 else previous,  # a fitted generation is used as is
            clone(student),
            temperature=self.temperature,
            alpha=self.alpha,
            strategy=self.strategy,
            random_state=seed,
        )
        return model.fit(X, y, sample_weight=sample_weight)

    def _fit_net_on_labels(self, student, X, y, sample_weight, seed):
        """Generation 0 of a skorch student: the net on the labels alone (``alpha=0``),
        trained by the distillers' skorch strategy, so that it takes float64 rows,
        is seeded like the later generations and predicts labels, not indices."""
        n_classes = len(np.unique(y))
        model = DistilledClassifier(
            "precomputed",
            clone(student),
            alpha=0.0,  # the (unused) logits below weigh nothing
            strategy=self.strategy,
            random_state=seed,
        )
        zeros = np.zeros((len(y), n_classes))
        return model.fit(X, y, sample_weight=sample_weight, teacher_logits=zeros)

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit generation after generation and keep the best on the validation split.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training rows; a stratified ``validation_fraction`` of them is held out
            from every generation to score it.
        y : array-like of shape (n_samples,)
            Class labels. Every value is a class, ``-1`` included: unlike
            :class:`DistilledClassifier`, there are no unlabeled rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, used to fit every generation and to score it.

        Returns
        -------
        self : BornAgainClassifier
            The fitted estimator.
        """
        student = self._student_or_default()
        self._check_student(student)
        allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        X = validate_X(X, estimator=self, allow_nan=allow_nan)
        validate_data(self, X, y, skip_check_array=True)
        y = validate_y(y, X, task="classification")
        labels = np.unique(y)
        if len(labels) < 2:
            raise ValueError(
                f"y contains only one class ({labels[0]!r}); BornAgainClassifier needs "
                "labels of at least two classes. Check the target column, or the split "
                "that produced this fold."
            )
        self._check_labels_known(labels)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)

        # One stream each, so that the split and the first generations do not depend
        # on n_generations.
        streams = RandomStreams(self.random_state)
        train, val = self._split(y, streams.seed("validation split"))
        X_train, X_val = safe_indexing(X, train), safe_indexing(X, val)
        y_train, y_val = y[train], y[val]
        w_train = None if sample_weight is None else sample_weight[train]
        w_val = None if sample_weight is None else sample_weight[val]
        scorer = get_scorer("accuracy" if self.scoring is None else self.scoring)

        generations, scores, fit_times = [], [], []
        for k in range(self.n_generations + 1):
            start = time.perf_counter()
            previous = generations[-1] if generations else None
            model = self._fit_generation(
                k,
                student,
                previous,
                X_train,
                y_train,
                w_train,
                streams.seed("generation", str(k)),
            )
            fit_times.append(time.perf_counter() - start)
            scores.append(self._score(scorer, model, X_val, y_val, w_val))
            generations.append(model)

        scores = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(scores)):
            raise ValueError(
                f"The scoring {self.scoring!r} gave non-finite validation scores "
                f"{scores.tolist()}, so no generation can be selected. Use a scorer "
                "that is defined on the validation split (e.g. 'accuracy')."
            )
        best = int(np.argmax(scores))
        self.generations_ = generations
        self.validation_scores_ = scores
        self.generation_results_ = {
            "generation": np.arange(len(generations)),
            "validation_score": scores,
            "fit_time": np.asarray(fit_times),
        }
        self.best_generation_ = best
        self.best_estimator_ = generations[best]
        self.best_score_ = float(scores[best])
        self.classes_ = np.asarray(self.best_estimator_.classes_)
        return self

    # -- predict ------------------------------------------------------------------------

    def _check_X(self, X):
        check_is_fitted(self)
        allow_nan = self.__sklearn_tags__().input_tags.allow_nan
        X = validate_X(X, estimator=self, allow_nan=allow_nan)
        return validate_data(self, X, reset=False, skip_check_array=True)

    def predict(self, X):
        """Predict class labels with the best generation.

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
        return self.best_estimator_.predict(X)

    @available_if(_generations_have("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the best generation, columns in ``classes_`` order.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        X = self._check_X(X)
        return self.best_estimator_.predict_proba(X)

    @available_if(_generations_have("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of the class probabilities of the best generation.

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
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_generations_have("decision_function"))
    def decision_function(self, X):
        """Decision scores of the best generation.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Scores; shape (n_samples,) for binary problems.
        """
        X = self._check_X(X)
        return self.best_estimator_.decision_function(X)
