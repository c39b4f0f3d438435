"""Shared code of the native gradient-boosting strategies ("lightgbm", "xgboost").

:class:`_DistillationLoss` is the distillation loss on a student's raw margins, with
its gradient and diagonal hessian (the custom objective of every boosting library);
:class:`_NativeBoostingStrategy` the fitting logic around it: the student's class
order, the initial margins (log prior of the targets), the validation split for
early stopping, and the map back to temperature 1 written into the booster. Each
framework subclass adds only how its library fits a custom objective and rewrites
its booster.

Binary problems whose loss is the cross-entropy to one probability per row (the
``"blend"`` loss; ``"hinton"`` at ``T = 1`` or ``alpha = 0``) skip the Python
objective: the libraries' built-in binary cross-entropy takes soft labels in
[0, 1] (LightGBM ``cross_entropy``, XGBoost ``binary:logistic``) with the same
gradient ``w (p - q)`` and hessian ``w p (1 - p)`` as :class:`_DistillationLoss`.
:func:`binary_soft_labels`, :func:`initial_margins` and :func:`binary_cross_entropy`
(the eval metric) are the pieces such a fit needs (the Dask strategies import them
too). Row expansion (each row repeated once
per class ``k`` with label ``k`` and weight ``q_k``: ``_expand.expand``) would do
the same for multiclass targets under the built-in softmax objectives,
whose gradients sum to ``p - q`` and whose diagonal hessians ``c p_k (1 - p_k)``
do not depend on the label (so they sum to the custom objective's); in memory it is
slower than the custom objective for equal test cross-entropy (1.2-1.5x at 3
classes, 3x at 10; ``benchmarks/results/native_fit_cost.md``) and not used here.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.utils import check_random_state

from .._compat import (
    Interval,
    StrOptions,
    optional_import,
    safe_indexing,
    safe_tags,
    slice_fit_params,
)
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


def binary_soft_labels(target):
    """Soft labels for a built-in binary cross-entropy objective.

    The probability of the second column of binary targets, clipped to [0, 1] (the
    interval both libraries check: LightGBM's ``cross_entropy`` objective calls
    ``Common::CheckElementsIntervalClosed(label_, 0, 1, ...)`` in
    ``src/objective/xentropy_objective.hpp``; XGBoost's ``binary:logistic`` uses
    ``LogisticRegression::CheckLabel``, ``x >= 0 && x <= 1``, in
    ``src/objective/regression_loss.h``). Blending in floating point can step an
    ulp outside.

    Parameters
    ----------
    target : ndarray of shape (n_samples, 2)
        Target distributions, the positive class in column 1.

    Returns
    -------
    label : ndarray of shape (n_samples,)
        ``target[:, 1]`` in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.strategies._boosting import binary_soft_labels
    >>> binary_soft_labels(np.array([[0.25, 0.75], [1.0, 0.0]]))
    array([0.75, 0.  ])
    """
    target = np.asarray(target, dtype=np.float64)
    if target.ndim != 2 or target.shape[1] != 2:
        raise ValueError(
            f"binary_soft_labels needs targets of shape (n_samples, 2), got {target.shape}."
        )
    return np.clip(target[:, 1], 0.0, 1.0)


def binary_cross_entropy(label, proba, sample_weight=None):
    """Weighted mean cross-entropy of soft labels to predicted probabilities.

    The binary distillation loss as a Python eval metric sees it beside a built-in
    objective: LightGBM and XGBoost hand such a metric the transformed predictions
    (probabilities), not the raw margins, and the labels (here the soft labels).
    Probabilities are clipped to ``[1e-15, 1 - 1e-15]``.

    Parameters
    ----------
    label : ndarray of shape (n_samples,)
        Soft labels in [0, 1].
    proba : ndarray of shape (n_samples,)
        Predicted probabilities of the positive class.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights; None or empty for none.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.strategies._boosting import binary_cross_entropy
    >>> round(binary_cross_entropy(np.array([0.5, 1.0]), np.array([0.5, 0.5])), 4)
    0.6931
    """
    q = np.asarray(label, dtype=np.float64)
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1.0 - 1e-15)
    loss = -(q * np.log(p) + (1.0 - q) * np.log1p(-p))
    if sample_weight is None or not len(sample_weight):
        return float(loss.mean())
    return float(np.average(loss, weights=sample_weight))


def initial_margins(target, sample_weight=None):
    """Where boosting starts: the log prior of the targets.

    The (weighted) mean target distribution, clipped to ``[1e-12, 1]``: its
    log-odds for two classes (what LightGBM's ``binary`` and ``cross_entropy``
    objectives start from on their own), its logs for more. Pass it as the
    ``init_score`` (LightGBM) or ``base_margin`` (XGBoost) of every row.

    Parameters
    ----------
    target : ndarray of shape (n_samples, n_classes)
        Target distributions, in the student's column order.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    init : float or ndarray of shape (n_classes,)
        A float for two classes, one margin per class otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from skdistill.strategies._boosting import initial_margins
    >>> round(initial_margins(np.array([[0.5, 0.5], [0.0, 1.0]])), 4)
    1.0986
    """
    prior = np.average(np.asarray(target, dtype=np.float64), axis=0, weights=sample_weight)
    prior = np.clip(prior, 1e-12, 1.0)
    if len(prior) == 2:
        return float(np.log(prior[1]) - np.log(prior[0]))
    return log_clip(prior)


def _drop_weightless(X, targets, weight, fit_params):
    """The rows of positive weight: a row of weight 0 is as if it were not given
    (it would still count in LightGBM's row-count limits and bin boundaries)."""
    keep = np.flatnonzero(weight > 0)
    if not len(keep):
        raise ValueError(
            "Every sample_weight is 0: no row is left to train the student on. Give "
            "some rows a positive weight."
        )
    fit_params = slice_fit_params(X, fit_params, keep)
    return safe_indexing(X, keep), targets.take(keep), weight[keep], fit_params


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
    _native_objective = None  # built-in binary cross-entropy taking soft labels
    _compatible_objectives = frozenset()  # the student's objectives we may replace
    _objective_params = ("objective",)  # student parameters that set the objective

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
        """Fit ``student`` with the custom objective, or the built-in binary one on
        ``data["soft_label"]`` where it is not None; return the rounds kept."""
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
            Row weights, multiplied into the gradients and hessians; rows of weight
            0 are dropped (as if they were not given).
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
        self._check_objective(student)
        classes = np.asarray(targets.classes)
        n_classes = len(classes)
        if n_classes < 2:
            raise ValueError(f"Need at least 2 classes to distil, got {n_classes}.")
        weight = None if sample_weight is None else np.asarray(sample_weight, float)
        if weight is not None and not (weight > 0).all():
            X, targets, weight, fit_params = _drop_weightless(
                X, targets, weight, fit_params
            )
        columns = self._student_order(classes)
        hessian_scale = self._hessian_scale(n_classes)
        train, val = self._split(len(targets.y_index), student)
        native = self._native_binary(targets)

        loss, prior_target = self._losses(targets, train, columns, hessian_scale)
        w_train = None if weight is None else weight[train]
        init = initial_margins(prior_target, w_train)
        data = {
            "loss": loss,
            "init": init,
            "X": safe_indexing(X, train),
            "y": self._labels(_labels_for(targets.proba[train][:, columns]), classes),
            # the blend target itself: the built-in objective's labels
            "soft_label": binary_soft_labels(prior_target) if native else None,
            "sample_weight": w_train,
            "validation": None,
        }
        if len(val):
            val_loss, val_target = self._losses(targets, val, columns, hessian_scale)
            val_index = np.argmax(targets.proba[val][:, columns], axis=1)
            data["validation"] = {
                "loss": val_loss,
                "X": safe_indexing(X, val),
                "y": self._labels(val_index, classes),
                "index": val_index,  # the student's class index of each row
                "soft_label": binary_soft_labels(val_target) if native else None,
                "sample_weight": None if weight is None else weight[val],
            }
        # The booster predicts init + trees; the distiller's map back to T = 1 is
        # folded into its leaves later (set_output_map).
        self.init_score_ = np.atleast_1d(init).copy()
        self.training_objective_ = self._native_objective if native else "custom"
        self.n_iter_ = self._fit_student(student, lib, data, fit_params)
        self.columns_ = columns
        return self._record(student, targets)

    def _native_binary(self, targets):
        """Whether the loss is the cross-entropy to one probability per row.

        True for binary ``"blend"`` targets, and for ``"hinton"`` where it equals
        the blend at temperature 1: at ``T = 1`` (``a CE(s, p) + (1 - a) CE(h, p) =
        CE(a s + (1 - a) h, p)``) or at ``alpha = 0`` on labeled rows alone (the
        hard-label loss). Then the library's built-in binary cross-entropy on soft
        labels trains the student, without the Python objective.
        """
        if targets.n_classes != 2:
            return False
        if self.loss == "blend" or targets.temperature == 1.0:
            return True
        return targets.alpha == 0.0 and bool((np.asarray(targets.y_index) >= 0).all())

    def _check_objective(self, student):
        """Refuse an objective set on the student that is not the distillation
        loss's (the cross-entropy with the logistic or softmax link)."""
        params = student.get_params()
        for key in self._objective_params:
            objective = params.get(key)
            if objective is None or (
                key == "objective" and isinstance(objective, str)
                and objective in self._compatible_objectives
            ):  # fmt: skip
                continue
            allowed = ", ".join(repr(o) for o in sorted(self._compatible_objectives))
            raise ValueError(
                f"The {self.name!r} strategy trains the student on the distillation "
                "loss (the cross-entropy to the soft targets, logistic or softmax "
                f"link), so it cannot use the student's {key}={objective!r}. Leave "
                f"objective unset or set it to one of {allowed} (the strategy picks "
                "the objective), or pass strategy='expand' to train the student with "
                "its own objective on row-expanded soft targets."
            )

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

    def output_spec(self):
        """The booster's raw margins (kind ``"margin"``), columns placed by
        ``columns_``; the map is in the booster's leaves (the identity here)."""
        return self._spec("margin", columns=self.columns_)

    def tempered_logits(self, X):
        margins = np.asarray(self._raw_margins(X), dtype=np.float64)
        if margins.ndim == 1:
            margins = binary_logits(margins)
        logits = np.empty_like(margins)
        logits[:, self.columns_] = margins
        return logits

    def predict_proba(self, X):
        """Student probabilities over ``classes_``: for a binary booster that carries
        its map, the logistic function of its margin, placed by ``columns_`` (what
        ``softmax(decision_function(X))`` computes, with fewer steps: serving code
        calls this one row at a time)."""
        if self._maps_output():
            return super().predict_proba(X)
        margins = np.asarray(self._raw_margins(X), dtype=np.float64)
        if margins.ndim != 1:
            return super().predict_proba(X)
        proba = np.empty((len(margins), 2))
        proba[:, self.columns_[0]] = expit(-margins)
        proba[:, self.columns_[1]] = expit(margins)
        return proba
