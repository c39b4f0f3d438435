"""The "xgboost" strategy: XGBClassifier students trained on the distillation loss.

The custom objective carries the soft target matrix; the initial margins (log prior
of the targets) become the model's ``base_score``, and for ``loss="blend"`` the
temperature is folded into the leaves afterwards, so the fitted ``XGBClassifier``
predicts the distilled probabilities on its own.
"""

import json

import numpy as np

from ._boosting import _NativeBoostingStrategy, _sigmoid, binary_cross_entropy

__all__ = ["XGBoostStrategy"]


class _Objective:
    """Picklable XGBoost objective ``(y_true, y_pred, sample_weight) -> (grad, hess)``."""

    def __init__(self, loss):
        self.loss = loss

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.loss.grad_hess(y_pred, sample_weight)


class _Metric:
    """Picklable XGBoost eval metric on raw margins: the distillation loss."""

    __name__ = "distillation_loss"

    def __init__(self, loss):
        self.loss = loss

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.loss.value(y_pred, sample_weight)


class _ProbaMetric:
    """Picklable XGBoost eval metric beside the built-in objective, which hands it
    probabilities and the soft labels: the same distillation loss."""

    __name__ = "distillation_loss"

    def __call__(self, y_true, y_pred, sample_weight=None):
        return binary_cross_entropy(y_true, y_pred, sample_weight)


class XGBoostStrategy(_NativeBoostingStrategy):
    """Train an XGBoost ``XGBClassifier`` student natively on the distillation loss.

    Binary problems train on XGBoost's built-in ``binary:logistic`` objective with
    the soft labels ``q`` in [0, 1] as labels (gradient ``p - q``, hessian
    ``p (1 - p)``, computed in C++: no Python objective, so a fit costs about what
    a hard-label fit does) wherever the loss is the cross-entropy to one
    probability per row: ``loss="blend"``, and ``"hinton"`` at ``T = 1`` or
    ``alpha = 0``. The other binary recipes and multiclass problems use a custom
    objective with the same gradient and XGBoost's own softmax hessian
    ``2 p (1 - p)`` on the soft target matrix. Boosting starts from the log prior
    of the targets (stored as the model's ``base_score``), so ``alpha=0`` closely
    reproduces XGBoost's hard-label training. No rows are repeated, unlike the
    generic ``"expand"`` strategy.

    The fitted student is an ordinary ``XGBClassifier`` (``objective`` reads
    ``"binary:logistic"`` or ``"multi:softprob"``, as after a built-in fit): its own
    ``predict_proba`` gives the distilled probabilities, ``predict`` the index of
    the class in ``classes_`` (XGBoost labels classes ``0 .. K-1``), and it pickles
    without the training targets.

    Parameters
    ----------
    loss : {"blend", "hinton"}, default="blend"
        ``"blend"`` fits the cross-entropy to the blended targets
        ``q = alpha * softmax(z / T) + (1 - alpha) * onehot(y)``; the margins,
        trained at temperature ``T``, are scaled back to ``T = 1`` for prediction
        by a factor fitted on the student's out-of-fold margins.
        ``"hinton"`` fits ``alpha * T**2 * CE(softmax(z / T), softmax(f / T)) +
        (1 - alpha) * CE(onehot(y), softmax(f))`` on the student's own margins ``f``
        and predicts with ``f`` at ``T = 1`` (times the fitted output scale). See
        :class:`~skdistill.strategies.LightGBMStrategy` for when each is better.
    early_stopping_rounds : int, default=None
        Stop when the distillation loss on a held-out validation split has not
        improved for this many rounds, and keep the best round's trees. None trains
        all ``n_estimators`` rounds on every row.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping (drawn with the student's
        ``random_state``); unused without ``early_stopping_rounds``.

    Attributes
    ----------
    student_ : xgboost.XGBClassifier
        The fitted student; its class ``k`` is ``classes_[k]``.
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    temperature_ : float
        The temperature of the targets.
    columns_ : ndarray of shape (n_classes,)
        Index in ``classes_`` of each of the student's class columns.
    init_score_ : ndarray of shape (1,) or (n_classes,)
        Initial margins (log prior of the targets), before scaling.
    output_scale_, output_bias_ : float, ndarray of shape (n_classes,)
        The map ``scale * margins + bias`` of the trained margins to temperature 1,
        fitted by the distiller on the student's out-of-fold margins (see
        :func:`~skdistill.strategies.fit_output_map`); it is folded into the
        leaves and the base score, so ``scale_`` is 1 and ``bias_`` zeros.
    n_iter_ : int
        Number of boosting rounds kept (fewer than ``n_estimators`` after early
        stopping).
    training_objective_ : str
        The objective the student was trained with: ``"binary:logistic"``
        (built-in, on soft labels) or ``"custom"`` (the Python objective).

    See Also
    --------
    LightGBMStrategy : The same for LightGBM students.

    Notes
    -----
    A ``base_score``, ``eval_metric`` or ``early_stopping_rounds`` set on the
    student is replaced during ``fit`` and restored after. Its ``objective`` may
    name the cross-entropy with the logistic or softmax link
    (``"binary:logistic"``, the default, ``"binary:logitraw"``,
    ``"multi:softprob"``, ``"multi:softmax"``) and then names the built-in link
    after ``fit``; any other objective (a callable, ``"binary:hinge"``, ...) is
    refused with a ValueError, as the strategy trains the distillation loss
    (``strategy="expand"`` trains the student's own objective on row-expanded
    targets). Rows of ``sample_weight`` 0 are dropped. Only tree boosters
    (``gbtree``, ``dart``) with scalar leaves can be rescaled for ``loss="blend"``
    at ``T != 1``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xgboost import XGBClassifier
    >>> from skdistill import DistilledClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> student = XGBClassifier(n_estimators=10, max_depth=2, n_jobs=1)
    >>> model = DistilledClassifier(teacher, student, temperature=2.0,
    ...                             random_state=0).fit(X, y)
    >>> model.strategy_.name
    'xgboost'
    >>> model.student_.objective
    'multi:softprob'
    >>> bool((model.student_.predict(X) == model.predict(X)).all())
    True
    """

    name = "xgboost"
    _module = "xgboost"
    _classifier = "XGBClassifier"
    _native_objective = "binary:logistic"
    # XGBoost's names of the cross-entropy with the logistic or softmax link
    # (binary:logistic is XGBClassifier's default); the others are other losses.
    _compatible_objectives = frozenset(
        {"binary:logistic", "binary:logitraw", "multi:softprob", "multi:softmax"}
    )

    def _hessian_scale(self, n_classes):
        return 2.0

    def _student_order(self, classes):
        return np.arange(len(classes))

    def _labels(self, label_index, classes):
        return np.asarray(label_index)

    def _fit_student(self, student, lib, data, fit_params):
        init = np.atleast_1d(data["init"])
        native = data["soft_label"] is not None
        keys = ("objective", "eval_metric", "early_stopping_rounds")
        original = {k: student.get_params()[k] for k in keys}
        student.set_params(
            objective="binary:logistic" if native else _Objective(data["loss"])
        )
        kwargs = dict(fit_params)
        # Boosting starts from the initial margins given per row (base_margin); they
        # become the model's base_score afterwards.
        kwargs["base_margin"] = _margins(init, len(data["y"]))
        validation = data["validation"]
        if validation is not None:
            student.set_params(
                eval_metric=_ProbaMetric() if native else _Metric(validation["loss"]),
                early_stopping_rounds=self.early_stopping_rounds,
            )
            eval_y = validation["soft_label"] if native else validation["y"]
            kwargs["eval_set"] = [(validation["X"], eval_y)]
            kwargs["base_margin_eval_set"] = [_margins(init, len(validation["y"]))]
            if validation["sample_weight"] is not None:
                kwargs["sample_weight_eval_set"] = [validation["sample_weight"]]
            kwargs.setdefault("verbose", False)
        try:
            if native:
                # XGBClassifier.fit insists on labels 0 .. K-1; binary:logistic takes
                # probabilities (LogisticRegression::CheckLabel, x >= 0 && x <= 1, in
                # src/objective/regression_loss.h) with the gradient w (p - q) and
                # hessian w max(p (1 - p), 1e-16) of the custom objective. The
                # regressor's fit is the classifier's without the label check.
                lib.XGBModel.fit(
                    student,
                    data["X"],
                    data["soft_label"],
                    sample_weight=data["sample_weight"],
                    **kwargs,
                )
                student.n_classes_ = 2
            else:
                student.fit(
                    data["X"], data["y"], sample_weight=data["sample_weight"], **kwargs
                )
        finally:
            # setattr, not set_params: XGBoost pushes set_params to a fitted booster
            for key, value in original.items():
                setattr(student, key, value)
        booster = student.get_booster()
        n_iter = booster.num_boosted_rounds()
        if validation is not None:
            n_iter = min(n_iter, student.best_iteration + 1)
            booster = booster[:n_iter]
        student._Booster = _finalize_booster(lib, booster, init, 1.0)
        student.objective = "binary:logistic" if len(init) == 1 else "multi:softprob"
        return int(n_iter)

    def _remap(self, lib, scale, bias):
        # _finalize_booster computes scale * (trees + init): init = init + bias / scale
        booster = self.student_.get_booster()
        init = self.init_score_ + np.asarray(bias) / scale
        self.student_._Booster = _finalize_booster(lib, booster, init, scale)

    def _raw_margins(self, X):
        return self.student_.predict(X, output_margin=True)


def _margins(init, n_samples):
    """Per-row initial margins: shape (n,) for binary, (n, n_classes) otherwise."""
    return np.full(n_samples, init[0]) if len(init) == 1 else np.tile(init, (n_samples, 1))


def _finalize_booster(lib, booster, init, scale):
    """A copy of a tree booster predicting ``scale * (init + trees)`` on its own.

    The initial margins become the model's ``base_score`` (a probability for
    ``binary:logistic``, margins for ``multi:softprob``) and every leaf is scaled.
    """
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    trees_holder = learner["gradient_booster"]
    if trees_holder["name"] == "dart":
        trees_holder = trees_holder["gbtree"]
    if trees_holder["name"] != "gbtree":
        raise ValueError(
            f"The 'xgboost' strategy needs a tree booster (gbtree or dart), got "
            f"{trees_holder['name']!r}."
        )
    for tree in trees_holder["model"]["trees"] if scale != 1.0 else []:
        if int(tree["tree_param"]["size_leaf_vector"]) > 1:
            raise ValueError(
                "Cannot rescale XGBoost trees with vector leaves "
                "(multi_strategy='multi_output_tree'); use temperature=1 or "
                "loss='hinton'."
            )
        tree["base_weights"] = [w * scale for w in tree["base_weights"]]
        tree["split_conditions"] = [
            value * scale if left == -1 else value
            for value, left in zip(
                tree["split_conditions"], tree["left_children"], strict=True
            )
        ]
    base = scale * np.asarray(init, dtype=np.float64)
    if len(base) == 1:  # binary:logistic stores its base score as a probability
        base = np.clip(_sigmoid(base), 1e-7, 1 - 1e-7)
    params = learner["learner_model_param"]
    params["base_score"] = "[" + ",".join(repr(float(v)) for v in base) + "]"
    final = lib.Booster()
    final.load_model(bytearray(json.dumps(model).encode()))
    return final
