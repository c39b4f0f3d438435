"""The "expand" strategy: soft targets as sample weights, for any classifier.

Each training row is repeated once per class ``k`` with label ``k`` and weight
``q_ik * sample_weight_i``. A classifier minimising the weighted log-loss then
minimises the cross-entropy to the soft targets exactly; trees and other models fit
the weighted class frequencies.
"""

from numbers import Integral

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .._compat import Interval, safe_indexing, safe_tags
from .._targets import log_clip, smooth_log_proba, softmax
from .._validation import name_of
from ._base import BaseStrategy, fit_weighted

__all__ = ["ExpandStrategy", "expand"]


def expand(proba, sample_weight=None, top_k=None):
    """Rows, labels and weights of the expanded training set.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Target distributions ``q``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights that multiply ``q``.
    top_k : int, default=None
        Keep only the ``top_k`` largest targets of each row, rescaled so the row keeps
        its total weight. None keeps every non-zero target.

    Returns
    -------
    rows : ndarray of shape (n_expanded,)
        Index of the original row of each expanded row.
    labels : ndarray of shape (n_expanded,)
        Class index of each expanded row.
    weights : ndarray of shape (n_expanded,)
        Weight of each expanded row; the weights of row ``i`` sum to
        ``sample_weight[i]``.
    """
    q = np.array(proba, dtype=np.float64)
    if top_k is not None and top_k < q.shape[1]:
        drop = np.argsort(q, axis=1)[:, : q.shape[1] - top_k]
        np.put_along_axis(q, drop, 0.0, axis=1)
        q /= q.sum(axis=1, keepdims=True)
    if sample_weight is not None:
        q *= np.asarray(sample_weight, dtype=np.float64)[:, None]
    rows, labels = np.nonzero(q > 0)
    return rows, labels, q[rows, labels]


class ExpandStrategy(BaseStrategy):
    """Fit any classifier that takes ``sample_weight`` on row-expanded soft targets.

    Each row appears once per class with non-zero target, labelled with that class and
    weighted by its target probability (times the row's ``sample_weight``). The
    student learns the target distribution; at predict time its probabilities are
    mapped back to temperature 1 by ``softmax(s * log((1 - e) p + e / K) + b)``,
    with ``s``, ``b`` and ``e`` fitted by the distiller on the student's out-of-fold
    outputs (see :func:`~skdistill.strategies.fit_output_map`). A scikit-learn
    decision tree gets the map written into its leaves instead, and a logistic
    regression into its coefficients, alone or last in a Pipeline (the map applied
    at predict time, ``scale_``, ``bias_`` and ``smoothing_``, is then the
    identity): the fitted ``student_`` alone predicts the probabilities at
    temperature 1, with no
    overhead when it serves.

    Parameters
    ----------
    top_k : int, default=None
        Keep only the ``top_k`` most probable classes of each row (rescaled to the
        row's weight), bounding the expanded size at ``top_k * n_samples`` for many
        classes. None keeps every class with a non-zero target.

    Attributes
    ----------
    student_ : classifier
        The fitted student; its ``classes_`` are labels of the teacher, possibly
        fewer (classes with zero total weight are absent).
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    temperature_ : float
        The temperature of the targets.
    output_scale_, output_bias_, output_smoothing_ : float, ndarray, float
        The map ``softmax(s * log((1 - e) p + e / K) + b)`` back to temperature 1:
        the share ``e`` of the uniform distribution bounds the cost of the
        student's confident mistakes (0 for a logistic regression).
    scale_, bias_, smoothing_ : float, ndarray, float
        The part of it applied at predict time (the identity when the student
        carries it).
    n_expanded_ : int
        Number of rows the student was fitted on.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.strategies import ExpandStrategy
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=2),
    ...                             strategy=ExpandStrategy(top_k=2)).fit(X, y)
    >>> model.strategy_.n_expanded_
    300
    """

    name = "expand"
    _parameter_constraints = {"top_k": [Interval(Integral, 1, None, closed="left"), None]}

    def __init__(self, top_k=None):
        self.top_k = top_k

    @classmethod
    def accepts(cls, student):
        tags = safe_tags(student)
        return tags.estimator_type == "classifier" or hasattr(student, "predict_proba")

    def fit(self, student, X, targets, *, sample_weight=None, **fit_params):
        self._validate_params()
        if safe_tags(student).estimator_type == "regressor":
            raise TypeError(
                f"The 'expand' strategy needs a classifier student; got the regressor "
                f"{name_of(student)}. Use strategy='auto' or 'regress' for regressors."
            )
        rows, labels, weights = expand(targets.proba, sample_weight, self.top_k)
        X_expanded = safe_indexing(X, rows)
        y_expanded = np.asarray(targets.classes)[labels]
        fit_weighted(
            student, X_expanded, y_expanded, weights, strategy=self.name, **fit_params
        )
        self.n_expanded_ = len(rows)
        student_classes = getattr(student, "classes_", None)
        if student_classes is None:
            raise TypeError(
                f"The student {name_of(student)} has no classes_ after fit; the "
                "'expand' strategy needs a classifier student."
            )
        lookup = {c: i for i, c in enumerate(np.asarray(targets.classes).tolist())}
        self.columns_ = np.array([lookup[c] for c in np.asarray(student_classes).tolist()])
        self._identity = np.array_equal(self.columns_, np.arange(len(targets.classes)))
        return self._record(student, targets)

    def has_method(self, method, student):
        if method == "predict":
            return True
        return hasattr(student, "predict_proba")

    def _student_proba(self, X):
        """The student's probabilities over the teacher's classes (zeros if unseen)."""
        if getattr(self, "_identity", False):
            return self.student_.predict_proba(X)
        proba = np.zeros((_n_rows(X), len(self.classes_)))
        proba[:, self.columns_] = self.student_.predict_proba(X)
        return proba

    def tempered_logits(self, X):
        return log_clip(self._student_proba(X))

    def output_spec(self):
        """The student's ``predict_proba`` (kind ``"proba"``; ``"label"`` for a
        student without it), its columns placed by ``columns_``."""
        kind = "proba" if hasattr(self.student_, "predict_proba") else "label"
        return self._spec(kind, columns=self.columns_)

    def _smooths(self):
        final = _final_step(self.student_)
        return not (self._identity and _is_softmax_regression(final))

    def _carry_output_map(self, scale, bias, smoothing):
        return self._identity and _carry_map(self.student_, scale, bias, smoothing)

    def predict_proba(self, X):
        proba = self._student_proba(X)
        if not self._maps_output():
            return proba
        return softmax(self._apply_map(log_clip(proba)))

    def decision_function(self, X):
        return log_clip(self.predict_proba(X))

    def predict(self, X):
        if hasattr(self.student_, "predict_proba"):
            return super().predict(X)
        return self.student_.predict(X)


def _carry_map(student, scale, bias, smoothing):
    """Write the map to temperature 1 into the student, where it is exact; say if so.

    A (final) single tree gets it in its leaves; a (final) logistic regression in
    its coefficients, since ``softmax(s * log softmax(z) + b) = softmax(s * z + b)``
    (without smoothing, which its probabilities never need). The fitted
    ``student_`` then predicts the distiller's probabilities by itself (no mapping
    step when it serves, or once exported).
    """
    final = _final_step(student)
    if _is_single_tree(final):
        _map_leaves(final.tree_, scale, bias, smoothing)
        return True
    if smoothing == 0 and _is_softmax_regression(final):
        final.coef_ = final.coef_ * scale
        if final.intercept_.shape[0] == 1:  # binary: the log-odds of class 1
            final.intercept_ = final.intercept_ * scale + (bias[1] - bias[0])
        else:
            final.intercept_ = final.intercept_ * scale + bias
        return True
    return False


def _final_step(student):
    return student.steps[-1][1] if isinstance(student, Pipeline) else student


def _is_softmax_regression(model):
    """A fitted LogisticRegression whose probabilities are a softmax (or sigmoid)."""
    if not isinstance(model, LogisticRegression):
        return False
    binary = len(model.classes_) == 2
    ovr = getattr(model, "multi_class", "auto") == "ovr" or model.solver == "liblinear"
    return binary or not ovr


def _is_single_tree(student):
    """A bare scikit-learn classification tree (not a forest, not a Pipeline)."""
    tree = getattr(student, "tree_", None)
    return tree is not None and type(student).__module__.startswith("sklearn.tree")


def _map_leaves(tree, scale, bias, smoothing):
    """Write ``softmax(scale * log((1 - e) p + e / K) + bias)`` into the leaves.

    The tree then predicts the probabilities at temperature 1 itself: the fitted
    student serves alone (or exported) with no mapping step.
    """
    value = tree.value  # a view on the tree's own buffer: writes go to the model
    proba = value[:, 0, :] / np.maximum(value[:, 0, :].sum(axis=1, keepdims=True), 1e-300)
    logits = smooth_log_proba(log_clip(proba), smoothing)
    value[:, 0, :] = softmax(scale * logits + bias)


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)
