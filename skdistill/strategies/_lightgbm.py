"""The "lightgbm" strategy: LGBMClassifier students trained on the distillation loss.

The student is fitted with a custom objective whose gradient and hessian use the soft
target matrix; afterwards its booster is rewritten into an ordinary ``binary`` or
``multiclass`` LightGBM model (the initial scores and, for ``loss="blend"``, the
temperature folded into the leaves), so the fitted ``LGBMClassifier`` predicts the
distilled probabilities on its own and pickles without the training targets.

The loss maths (:class:`_DistillationLoss`) and the shared fitting logic
(:class:`_NativeBoostingStrategy`) are reused by the "xgboost" strategy.
"""

from inspect import signature
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from .._compat import Interval, StrOptions, optional_import, safe_indexing, safe_tags
from .._targets import (
    UNLABELED,
    binary_logits,
    blend,
    log_clip,
    log_softmax,
    one_hot,
    soften,
    softmax,
)
from .._validation import name_of
from ._base import BaseStrategy

__all__ = ["LightGBMStrategy"]

#: Smallest hessian handed to the boosting library (XGBoost's own floor).
_HESSIAN_FLOOR = 1e-16


def _sigmoid(f):
    """Logistic function, stable for large ``|f|``."""
    return np.exp(-np.logaddexp(0.0, -f))


class _DistillationLoss:
    """Distillation loss on a student's raw margins, its gradient and diagonal hessian.

    All matrices are in the student's column order. Binary problems have one margin
    per row (the log-odds of column 1); multiclass ones ``n_classes`` margins.

    Parameters
    ----------
    loss : {"blend", "hinton"}
        ``"blend"``: cross-entropy to ``target``. ``"hinton"``:
        ``a * T**2 * CE(soft, softmax(f / T)) + (1 - a) * CE(hard, softmax(f))``
        with ``a`` the per-row weight ``soft_weight``.
    target : ndarray of shape (n_samples, n_classes)
        Blended targets (``"blend"``) or the teacher's tempered probabilities
        (``"hinton"``).
    hard : ndarray of shape (n_samples, n_classes), default=None
        One-hot labels (``"hinton"`` only; zero rows for unlabeled samples).
    soft_weight : ndarray of shape (n_samples,), default=None
        ``alpha``, or 1 for unlabeled rows (``"hinton"`` only).
    temperature : float, default=1.0
        Temperature of the soft part (``"hinton"`` only).
    hessian_scale : float, default=1.0
        Factor of the multiclass hessian: ``K / (K - 1)`` reproduces LightGBM's
        built-in multiclass objective, 2 XGBoost's.
    """

    def __init__(
        self, loss, target, hard=None, soft_weight=None, temperature=1.0, hessian_scale=1.0
    ):
        self.loss = loss
        self.target = np.asarray(target, dtype=np.float64)
        self.hard = hard
        self.soft_weight = soft_weight
        self.temperature = float(temperature)
        self.hessian_scale = float(hessian_scale)

    @property
    def binary(self):
        return self.target.shape[1] == 2

    def _parts(self, f):
        """(weight, target, temperature) of each cross-entropy term of the loss."""
        if self.loss == "blend":
            return [(1.0, self.target, 1.0)]
        a = self.soft_weight
        return [(a, self.target, self.temperature), (1.0 - a, self.hard, 1.0)]

    def grad_hess(self, f, weight=None):
        """Gradient and diagonal hessian of the loss with respect to the margins."""
        f = np.asarray(f, dtype=np.float64)
        grad, hess = np.zeros_like(f), np.zeros_like(f)
        for a, target, t in self._parts(f):
            if np.ndim(a):
                a = a if self.binary else a[:, None]
            if self.binary:
                p = _sigmoid(f / t)
                grad += a * t * (p - target[:, 1])
                hess += a * p * (1.0 - p)
            else:
                p = softmax(f / t)
                grad += a * t * (p - target)
                hess += a * self.hessian_scale * p * (1.0 - p)
        np.maximum(hess, _HESSIAN_FLOOR, out=hess)
        if weight is not None and len(weight):
            w = np.asarray(weight, dtype=np.float64)
            w = w if f.ndim == 1 else w[:, None]
            grad *= w
            hess *= w
        return grad, hess

    def value(self, f, weight=None):
        """Weighted mean of the loss per row."""
        f = np.asarray(f, dtype=np.float64)
        total = np.zeros(f.shape[0])
        for a, target, t in self._parts(f):
            if self.binary:
                z = np.column_stack([np.zeros_like(f), f]) / t
            else:
                z = f / t
            total += a * t**2 * -(target * log_softmax(z)).sum(axis=1)
        if weight is None or not len(weight):
            return float(total.mean())
        return float(np.average(total, weights=weight))


class _Objective:
    """Picklable custom objective ``(y_true, y_pred, weight) -> (grad, hess)``."""

    def __init__(self, loss):
        self.loss = loss

    def __call__(self, y_true, y_pred, weight):
        return self.loss.grad_hess(y_pred, weight)


class _Metric:
    """Picklable LightGBM eval metric: the distillation loss (lower is better)."""

    def __init__(self, loss):
        self.loss = loss

    def __call__(self, y_true, y_pred, weight):
        return "distillation_loss", self.loss.value(y_pred, weight), False


class _EarlyStopping:
    """LightGBM callback: stop on the distillation loss alone, keep the best round.

    LightGBM's ``early_stopping`` watches every metric (or the first one), and a
    booster with a custom objective still computes the library's default metric.
    """

    order = 30
    before_iteration = False

    def __init__(self, rounds, callback_module):
        self.rounds = rounds
        self.callback_module = callback_module
        self.best_score = np.inf
        self.best_iteration = -1
        self.best_results = None

    def __call__(self, env):
        results = env.evaluation_result_list
        score = next(r[2] for r in results if r[1] == "distillation_loss")
        if score < self.best_score:
            self.best_score, self.best_iteration, self.best_results = (
                score,
                env.iteration,
                results,
            )
        last = env.iteration == env.end_iteration - 1
        if env.iteration - self.best_iteration >= self.rounds or last:
            raise self.callback_module.EarlyStopException(
                self.best_iteration, self.best_results
            )


def _labels_for(proba):
    """Most likely target class of each row, every class present at least once.

    The label column is ignored by the custom objective; it only tells the
    classifier wrapper how many classes there are (and drives ``class_weight``).
    """
    n_samples, n_classes = proba.shape
    if n_samples < n_classes:
        raise ValueError(
            f"Need at least as many training rows as classes ({n_classes}) to fit a "
            f"boosting student on soft targets, got {n_samples}."
        )
    labels = np.argmax(proba, axis=1)
    counts = np.bincount(labels, minlength=n_classes)
    for k in np.flatnonzero(counts == 0):
        order = np.argsort(-proba[:, k], kind="stable")
        row = next(i for i in order if counts[labels[i]] > 1)
        counts[labels[row]] -= 1
        labels[row] = k
        counts[k] += 1
    return labels


class _NativeBoostingStrategy(BaseStrategy):
    """Shared fitting logic of the native gradient-boosting strategies."""

    _parameter_constraints = {
        "loss": [StrOptions({"blend", "hinton"})],
        "early_stopping_rounds": [Interval(Integral, 1, None, closed="left"), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    }

    _module = None  # framework module name
    _classifier = None  # name of the accepted classifier class

    def __init__(self, loss="blend", early_stopping_rounds=None, validation_fraction=0.1):
        self.loss = loss
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction

    @classmethod
    def accepts(cls, student):
        module = type(student).__module__
        return (
            module.split(".")[0] == cls._module
            and safe_tags(student).estimator_type == "classifier"
        )

    # -- hooks of each framework ---------------------------------------------------

    def _student_order(self, classes):
        """Teacher column of each of the student's class columns."""
        raise NotImplementedError

    def _labels(self, label_index, classes):
        """The ``y`` handed to the student's ``fit`` for target-class indices."""
        raise NotImplementedError

    def _fit_student(self, student, lib, data, fit_params):
        """Fit ``student`` with the custom objective; return the rounds kept."""
        raise NotImplementedError

    def _raw_margins(self, X):
        """The fitted student's raw margins, student column order."""
        raise NotImplementedError

    # -- shared logic --------------------------------------------------------------

    def _import(self):
        return optional_import(
            self._module,
            purpose=f"the {self.name!r} strategy ({self._classifier} students)",
        )

    def _check_student(self, student, lib):
        expected = getattr(lib, self._classifier)
        if not isinstance(student, expected):
            raise TypeError(
                f"The {self.name!r} strategy needs a {self._module}.{self._classifier} "
                f"student, got {name_of(student)}. Use strategy='auto' to pick a strategy "
                "for this student."
            )

    def _losses(self, targets, rows, columns, hessian_scale):
        """The distillation loss on ``rows`` and the prior of its targets at T = 1."""
        y_index = np.asarray(targets.y_index)[rows]
        if self.loss == "blend":
            target = targets.proba[rows][:, columns]
            loss = _DistillationLoss("blend", target, hessian_scale=hessian_scale)
            return loss, target
        hard = one_hot(y_index, targets.n_classes)[:, columns]
        soft_weight = np.where(y_index == UNLABELED, 1.0, targets.alpha)
        loss = _DistillationLoss(
            "hinton",
            targets.soft[rows][:, columns],
            hard=hard,
            soft_weight=soft_weight,
            temperature=targets.temperature,
            hessian_scale=hessian_scale,
        )
        at_one = blend(soften(targets.teacher_logits[rows], 1.0), y_index, targets.alpha)
        return loss, at_one[:, columns]

    def _split(self, n_samples, student):
        """Training and validation row indices (validation empty without early stopping)."""
        rows = np.arange(n_samples)
        if self.early_stopping_rounds is None:
            return rows, rows[:0]
        seed = student.get_params().get("random_state")
        rng = check_random_state(seed)
        rows = rng.permutation(n_samples)
        n_val = int(np.ceil(self.validation_fraction * n_samples))
        if n_val < 1 or n_val >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no training or no "
                f"validation rows out of {n_samples}."
            )
        return np.sort(rows[n_val:]), np.sort(rows[:n_val])

    def fit(self, student, X, targets, *, sample_weight=None, **fit_params):
        """Fit the student on the distillation loss; return self.

        Parameters
        ----------
        student : classifier
            The unfitted student.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training rows.
        targets : SoftTargets
            Teacher logits, labels and the distillation recipe.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied into the gradients and hessians.
        **fit_params : dict
            Passed to the student's ``fit``.

        Returns
        -------
        self : object
            The fitted strategy.
        """
        self._validate_params()
        lib = self._import()
        self._check_student(student, lib)
        classes = np.asarray(targets.classes)
        n_classes = len(classes)
        if n_classes < 2:
            raise ValueError(f"Need at least 2 classes to distil, got {n_classes}.")
        columns = self._student_order(classes)
        hessian_scale = self._hessian_scale(n_classes)
        train, val = self._split(len(targets.y_index), student)
        weight = None if sample_weight is None else np.asarray(sample_weight, float)

        loss, prior_target = self._losses(targets, train, columns, hessian_scale)
        w_train = None if weight is None else weight[train]
        prior = np.average(prior_target, axis=0, weights=w_train)
        prior = np.clip(prior, 1e-12, 1.0)
        if n_classes == 2:
            init = np.log(prior[1]) - np.log(prior[0])
        else:
            init = log_clip(prior)
        data = {
            "loss": loss,
            "init": init,
            "X": safe_indexing(X, train),
            "y": self._labels(_labels_for(targets.proba[train][:, columns]), classes),
            "sample_weight": w_train,
            "validation": None,
        }
        if len(val):
            val_loss, _ = self._losses(targets, val, columns, hessian_scale)
            data["validation"] = {
                "loss": val_loss,
                "X": safe_indexing(X, val),
                "y": self._labels(
                    np.argmax(targets.proba[val][:, columns], axis=1), classes
                ),
                "sample_weight": None if weight is None else weight[val],
            }
        # The booster predicts init + trees; the distiller's map back to T = 1 is
        # folded into its leaves later (set_output_map).
        self.init_score_ = np.atleast_1d(init).copy()
        self.n_iter_ = self._fit_student(student, lib, data, fit_params)
        self.columns_ = columns
        return self._record(student, targets)

    def _hessian_scale(self, n_classes):
        return 1.0

    def _remap(self, lib, scale, bias):
        """Make the booster's margins ``scale * margins + bias`` (student column
        order; binary: one log-odds), in its leaves and initial score."""
        raise NotImplementedError

    def _carry_output_map(self, scale, bias, smoothing):
        student_bias = np.asarray(bias)[self.columns_]
        if len(student_bias) == 2:
            student_bias = np.array([student_bias[1] - student_bias[0]])
        self._remap(self._import(), scale, student_bias)
        return True

    def tempered_logits(self, X):
        margins = np.asarray(self._raw_margins(X), dtype=np.float64)
        if margins.ndim == 1:
            margins = binary_logits(margins)
        logits = np.empty_like(margins)
        logits[:, self.columns_] = margins
        return logits


class LightGBMStrategy(_NativeBoostingStrategy):
    """Train a LightGBM ``LGBMClassifier`` student natively on the distillation loss.

    Binary problems use the soft-label cross-entropy on labels in [0, 1] (gradient
    ``p - q``, hessian ``p (1 - p)`` on the raw margin); multiclass ones a custom
    softmax objective whose gradient ``p - q`` and hessian ``K / (K - 1) p (1 - p)``
    use the soft target matrix. Boosting starts from the log prior of the targets,
    as LightGBM's own objectives do, so ``alpha=0`` reproduces LightGBM's hard-label
    training. No rows are repeated, unlike the generic ``"expand"`` strategy.

    After training, the initial score and (``loss="blend"``) the factor that maps
    the margins back to temperature 1 are folded into the trees, and the booster is
    marked ``binary``/``multiclass``: the fitted student is an ordinary
    ``LGBMClassifier`` whose own ``predict_proba``, ``predict``, ``booster_``,
    ``feature_importances_`` and ``n_estimators_`` give the distilled model, ready
    to deploy without skdistill, and it pickles without the training targets.

    Parameters
    ----------
    loss : {"blend", "hinton"}, default="blend"
        ``"blend"`` fits the cross-entropy to the blended targets
        ``q = alpha * softmax(z / T) + (1 - alpha) * onehot(y)`` (the same ``q`` as
        the generic strategies); the student's margins live at temperature ``T`` and
        are scaled back to ``T = 1`` for prediction by a factor fitted on the
        student's out-of-fold margins (see
        :func:`~skdistill.strategies.fit_output_map`).
        ``"hinton"`` fits the loss of Hinton et al. on the student's own margins ``f``:
        ``alpha * T**2 * CE(softmax(z / T), softmax(f / T)) + (1 - alpha) *
        CE(onehot(y), softmax(f))``, gradient
        ``alpha * T * (softmax(f / T) - softmax(z / T)) + (1 - alpha) *
        (softmax(f) - onehot(y))``, and predicts with ``f`` at ``T = 1`` (times the
        fitted output scale, which corrects a student that cannot match its targets).
        Unlabeled rows get the soft part alone in both.
    early_stopping_rounds : int, default=None
        Stop when the distillation loss on a held-out validation split has not
        improved for this many rounds, and keep the best round's trees. None trains
        all ``n_estimators`` rounds on every row.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping (drawn with the student's
        ``random_state``); unused without ``early_stopping_rounds``.

    Attributes
    ----------
    student_ : lightgbm.LGBMClassifier
        The fitted student; its classes are the teacher's (sorted, as LightGBM
        sorts labels).
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    temperature_ : float
        The temperature of the targets.
    columns_ : ndarray of shape (n_classes,)
        Index in ``classes_`` of each of the student's class columns.
    init_score_ : ndarray of shape (1,) or (n_classes,)
        Initial margins (log prior of the targets) folded into the first trees.
    output_scale_, output_bias_ : float, ndarray of shape (n_classes,)
        The map ``scale * margins + bias`` of the trained margins to temperature 1,
        fitted by the distiller on the student's out-of-fold margins (see
        :func:`~skdistill.strategies.fit_output_map`); it is folded into the
        leaves and the initial score, so ``scale_`` is 1 and ``bias_`` zeros.
    n_iter_ : int
        Number of boosting rounds kept (fewer than ``n_estimators`` after early
        stopping).

    See Also
    --------
    XGBoostStrategy : The same for XGBoost students.
    ExpandStrategy : Any classifier, through row expansion.

    Notes
    -----
    Which loss? Both coincide at ``T = 1``. ``"blend"`` (default) fits one proper
    scoring rule to fixed targets, the same ``q`` as the generic strategies, so it
    can be swapped with ``"expand"`` and compared directly; ``"hinton"`` keeps the
    hard-label term at ``T = 1`` and matches the teacher at ``T``, the loss Hinton et
    al. designed for neural nets. On six real datasets (20-tree students, ``T = 3``,
    ``alpha = 0.8``; ``benchmarks/results/native_students.md``) they gave the same
    accuracy within seed noise and log-losses within a few percent of each other,
    neither consistently better: tune ``strategy__loss`` with the rest.

    ``class_weight`` of the student weights rows by their most likely target class;
    an ``objective`` set on the student is replaced during ``fit`` and restored after.
    Linear trees (``linear_tree=True``) are not supported.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", 2015. arXiv:1503.02531.

    Examples
    --------
    >>> from lightgbm import LGBMClassifier
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.strategies import LightGBMStrategy
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> student = LGBMClassifier(n_estimators=10, num_leaves=4, verbose=-1)
    >>> model = DistilledClassifier(teacher, student, temperature=2.0,
    ...                             strategy=LightGBMStrategy(loss="hinton"),
    ...                             random_state=0).fit(X, y)
    >>> model.strategy_.name
    'lightgbm'
    >>> type(model.student_).__name__, model.student_.n_estimators_
    ('LGBMClassifier', 10)
    >>> bool((model.student_.predict(X) == model.predict(X)).all())
    True
    """

    name = "lightgbm"
    _module = "lightgbm"
    _classifier = "LGBMClassifier"

    def _hessian_scale(self, n_classes):
        return n_classes / (n_classes - 1)

    def _student_order(self, classes):
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        return np.array([lookup[c] for c in np.unique(classes).tolist()])

    def _labels(self, label_index, classes):
        return classes[self._student_order(classes)[label_index]]

    def _fit_student(self, student, lib, data, fit_params):
        if student.get_params().get("linear_tree"):
            raise ValueError(
                "The 'lightgbm' strategy does not support linear_tree=True students: "
                "their leaves cannot be rescaled. Set linear_tree=False."
            )
        n = len(data["y"])
        init = data["init"]
        original = student.get_params()["objective"]
        student.set_params(objective=_Objective(data["loss"]))
        kwargs = dict(fit_params)
        kwargs["init_score"] = np.tile(init, (n, 1)) if np.ndim(init) else np.full(n, init)
        validation = data["validation"]
        if validation is not None:
            n_val = len(validation["y"])
            if "eval_X" in signature(student.fit).parameters:  # LightGBM >= 4.7
                kwargs["eval_X"], kwargs["eval_y"] = (validation["X"],), (validation["y"],)
            else:  # pragma: no cover - older LightGBM
                kwargs["eval_set"] = [(validation["X"], validation["y"])]
            kwargs["eval_init_score"] = [
                np.tile(init, (n_val, 1)) if np.ndim(init) else np.full(n_val, init)
            ]
            if validation["sample_weight"] is not None:
                kwargs["eval_sample_weight"] = [validation["sample_weight"]]
            kwargs["eval_metric"] = _Metric(validation["loss"])
            stopper = _EarlyStopping(self.early_stopping_rounds, lib.callback)
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), stopper]
        try:
            student.fit(data["X"], data["y"], sample_weight=data["sample_weight"], **kwargs)
        finally:
            student.set_params(objective=original)
        best = student.booster_.best_iteration
        n_iter = best if best > 0 else student.booster_.current_iteration()
        booster = _rewrite_booster(lib, student.booster_, init, 1.0, n_iter)
        student._Booster = booster
        student._objective = "binary" if np.ndim(init) == 0 else "multiclass"
        return int(n_iter)

    def _remap(self, lib, scale, bias):
        # _rewrite_booster computes scale * (trees + init): init = bias / scale
        booster = self.student_.booster_
        init = bias / scale if len(bias) > 1 else bias[0] / scale
        self.student_._Booster = _rewrite_booster(
            lib, booster, init, scale, booster.current_iteration()
        )

    def _raw_margins(self, X):
        return self.student_.predict(X, raw_score=True)


def _rewrite_booster(lib, booster, init, scale, n_iter):
    """An ordinary binary/multiclass booster predicting ``scale * (init + trees)``.

    A booster trained with a custom objective has no objective (it predicts raw
    sums of leaves, without the ``init_score`` it started from); the model text is
    edited so that the leaves include the initial score and the scale, and the
    header names the built-in objective whose link (sigmoid or softmax) applies.
    """
    init = np.atleast_1d(np.asarray(init, dtype=np.float64))
    n_classes = len(init)
    text = booster.model_to_string(num_iteration=n_iter)
    header_end = text.index("\nTree=")
    header = text[:header_end]
    average = "\naverage_output" in header
    if n_classes == 1:
        objective = "objective=binary sigmoid:1"
    else:
        objective = f"objective=multiclass num_class:{n_classes}"
    lines, tree = [], -1
    for line in text.split("\n"):
        if line.startswith("tree_sizes="):
            continue  # sizes of the edited trees differ; LightGBM parses without them
        if line.startswith("objective="):
            continue
        if line.startswith("Tree="):
            tree = int(line[5:])
        elif line.startswith("leaf_value="):
            values = np.array(line[len("leaf_value=") :].split(), dtype=np.float64)
            # The initial score belongs to the first tree of each class (of every
            # tree when the model averages its trees, as random-forest mode does).
            if average or tree < n_classes:
                values = values + init[tree % n_classes]
            values *= scale
            line = "leaf_value=" + " ".join(repr(float(v)) for v in values)
        elif line == "[objective: custom]":
            line = "[objective: " + objective.split("=")[1].split()[0] + "]"
        lines.append(line)
        if line.startswith("max_feature_idx="):
            lines.append(objective)
    return lib.Booster(model_str="\n".join(lines))
