"""The "lightgbm" strategy: LGBMClassifier students trained on the distillation loss.

The student is fitted with a custom objective whose gradient and hessian use the soft
target matrix; afterwards its booster is rewritten into an ordinary ``binary`` or
``multiclass`` LightGBM model (the initial scores and, for ``loss="blend"``, the
temperature folded into the leaves), so the fitted ``LGBMClassifier`` predicts the
distilled probabilities on its own and pickles without the training targets.

The loss maths and the fitting logic shared with the "xgboost" strategy live in
``_boosting``.
"""

from inspect import signature

import numpy as np

from ._boosting import _NativeBoostingStrategy, binary_cross_entropy

__all__ = ["LightGBMStrategy"]


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


class _ProbaMetric:
    """Picklable LightGBM eval metric beside the built-in objective, which hands it
    probabilities and the soft labels: the same distillation loss."""

    def __call__(self, y_true, y_pred, weight):
        return "distillation_loss", binary_cross_entropy(y_true, y_pred, weight), False


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


class LightGBMStrategy(_NativeBoostingStrategy):
    """Train a LightGBM ``LGBMClassifier`` student natively on the distillation loss.

    Binary problems train on LightGBM's built-in ``cross_entropy`` objective with
    the soft labels ``q`` in [0, 1] (gradient ``p - q``, hessian ``p (1 - p)`` on
    the raw margin, computed in C++: no Python objective, so a fit costs about what
    a hard-label fit does) wherever the loss is the cross-entropy to one probability
    per row: ``loss="blend"``, and ``"hinton"`` at ``T = 1`` or ``alpha = 0``. The
    other binary recipes and multiclass problems use a custom objective with the
    same gradient and the hessian ``K / (K - 1) p (1 - p)`` of LightGBM's own
    softmax (``"hinton"``: its tempered version) on the soft target matrix.
    Boosting starts from the log prior of the targets, as LightGBM's own objectives
    do, so ``alpha=0`` reproduces LightGBM's hard-label training. No rows are
    repeated, unlike the generic ``"expand"`` strategy.

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
    training_objective_ : str
        The objective the student was trained with: ``"cross_entropy"`` (built-in,
        on soft labels) or ``"custom"`` (the Python objective).

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

    ``class_weight`` of the student weights rows by their most likely target class.
    The student's ``objective`` may be unset or name the cross-entropy with the
    logistic or softmax link (``"binary"``, ``"cross_entropy"``, ``"xentropy"``,
    ``"multiclass"``, ``"softmax"``): it is replaced during ``fit`` and restored
    after; any other objective (``"multiclassova"``, a callable, an alias such as
    ``loss=``) is refused with a ValueError, as the strategy trains the distillation
    loss (``strategy="expand"`` trains the student's own objective on row-expanded
    targets). Rows of ``sample_weight`` 0 are dropped. Linear trees
    (``linear_tree=True``) are not supported.

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
    _native_objective = "cross_entropy"
    # LightGBM's names (and aliases) of the cross-entropy with the logistic or
    # softmax link; "multiclassova" and the others are other losses.
    _compatible_objectives = frozenset(
        {"binary", "cross_entropy", "xentropy", "multiclass", "softmax"}
    )
    # LightGBM reads these aliases of ``objective`` from the student's extra params
    # and prefers them to ``objective`` (LGBMModel._process_params).
    _objective_params = ("objective", "objective_type", "app", "application", "loss")

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
        native = data["soft_label"] is not None
        original = student.get_params()["objective"]
        student.set_params(
            objective="cross_entropy" if native else _Objective(data["loss"])
        )
        kwargs = dict(fit_params)
        kwargs["init_score"] = np.tile(init, (n, 1)) if np.ndim(init) else np.full(n, init)
        validation = data["validation"]
        if validation is not None:
            n_val = len(validation["y"])
            if "eval_X" in signature(student.fit).parameters:  # LightGBM >= 4.7
                # eval_y skips the classifier's label encoding: class indices (the
                # custom metric reads none) or the soft labels
                eval_y = validation["soft_label"] if native else validation["index"]
                kwargs["eval_X"], kwargs["eval_y"] = (validation["X"],), (eval_y,)
            else:  # pragma: no cover - older LightGBM
                eval_y = validation["soft_label"] if native else validation["y"]
                kwargs["eval_set"] = [(validation["X"], eval_y)]
            kwargs["eval_init_score"] = [
                np.tile(init, (n_val, 1)) if np.ndim(init) else np.full(n_val, init)
            ]
            if validation["sample_weight"] is not None:
                kwargs["eval_sample_weight"] = [validation["sample_weight"]]
            kwargs["eval_metric"] = (
                _ProbaMetric() if native else _Metric(validation["loss"])
            )
            stopper = _EarlyStopping(self.early_stopping_rounds, lib.callback)
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), stopper]
        try:
            if native:
                _fit_on_soft_labels(student, lib, data, kwargs)
            else:
                student.fit(
                    data["X"], data["y"], sample_weight=data["sample_weight"], **kwargs
                )
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


def set_label_state(model, classes):
    """Set on the ``LGBMClassifier`` ``model`` the label state its ``fit`` sets
    (``_le``, ``_class_map``, ``_classes``, ``_n_classes``; ``LGBMClassifier.fit`` in
    ``lightgbm/sklearn.py``), for a booster trained on soft labels or class indices
    whose columns are ``classes``, in that order. The one place that writes these
    private attributes: a LightGBM release that renames one breaks every route here
    (``tests/test_dask.py::test_lightgbm_alpha_zero_student_is_the_frameworks_own_fit``
    compares the state and predictions with LightGBM's own fits).
    """
    from sklearn.preprocessing import LabelEncoder

    encoder = LabelEncoder()
    encoder.classes_ = classes = np.asarray(classes)
    model._le = encoder
    model._class_map = dict(zip(classes, range(len(classes)), strict=True))
    model._classes = classes
    model._n_classes = len(classes)


def _fit_on_soft_labels(student, lib, data, kwargs):
    """Fit the binary ``LGBMClassifier`` ``student`` on soft labels with the
    built-in ``cross_entropy`` objective (set on it by the caller).

    ``LGBMClassifier.fit`` encodes its labels as classes, so the soft labels go
    through ``LGBMModel.fit`` and the state the classifier's ``fit`` would set
    (label encoder and classes of ``data["y"]``) is set here; ``class_weight`` is
    turned into row weights by the hard labels, as the classifier does
    (``_LGBMComputeSampleWeight`` is scikit-learn's ``compute_sample_weight``).
    ``cross_entropy`` has the gradient ``w (p - q)`` and hessian ``w p (1 - p)`` of
    the custom objective (``CrossEntropy::GetGradients``,
    ``src/objective/xentropy_objective.hpp``) and, given ``init_score``, does not
    boost from its own average.
    """
    from sklearn.utils.class_weight import compute_sample_weight

    labels = data["y"]
    set_label_state(student, np.unique(labels))
    weight = data["sample_weight"]
    class_weight = student.get_params()["class_weight"]
    if class_weight is not None:
        by_class = compute_sample_weight(class_weight, labels)
        weight = by_class if weight is None else weight * by_class
        student.set_params(class_weight=None)
    try:
        lib.LGBMModel.fit(
            student, data["X"], data["soft_label"], sample_weight=weight, **kwargs
        )
    finally:
        if class_weight is not None:
            student.set_params(class_weight=class_weight)


def _rewrite_booster(lib, booster, init, scale, n_iter):
    """An ordinary binary/multiclass booster predicting ``scale * (init + trees)``.

    A booster trained with a custom objective has no objective (it predicts raw
    sums of leaves, without the ``init_score`` it started from; so does one trained
    with ``cross_entropy`` from an ``init_score``); the model text is
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
        elif line.startswith("[objective: "):  # custom or cross_entropy
            line = "[objective: " + objective.split("=")[1].split()[0] + "]"
        lines.append(line)
        if line.startswith("max_feature_idx="):
            lines.append(objective)
    return lib.Booster(model_str="\n".join(lines))
