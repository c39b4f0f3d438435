"""The "regress" strategy: any regressor learns the targets as numbers.

With ``target="logit"`` the regressor learns the target logits ``log(q)`` (centred
per row, computed in log space so that large teacher margins survive; binary: the
single log-odds); with ``target="proba"`` it learns ``q`` itself. Either way the
prediction maps back to temperature 1 through ``softmax(s * logits + b)``, with
``s`` and ``b`` fitted on the student's own out-of-fold outputs.
"""

import numpy as np
from sklearn.multioutput import MultiOutputRegressor

from .._compat import StrOptions, safe_tags
from .._targets import binary_logits, log_clip
from .._validation import name_of
from ._base import BaseStrategy, fit_weighted

__all__ = ["RegressStrategy"]


class RegressStrategy(BaseStrategy):
    """Fit a regressor student on the target logits or probabilities.

    Binary problems need one output (the log-odds, or the probability of the positive
    class); multiclass ones one output per class, given to a multi-output regressor
    directly or through :class:`~sklearn.multioutput.MultiOutputRegressor` for
    single-output ones (such as ``HistGradientBoostingRegressor``).

    Parameters
    ----------
    target : {"logit", "proba"}, default="logit"
        ``"logit"`` regresses ``log(q)`` (row-centred; exact zeros of ``q`` at
        ``alpha = 0`` become ``log(1e-9)``);
        ``"proba"`` regresses ``q`` itself. Predictions are mapped back to
        temperature 1 by ``softmax(s * logits + b)``, ``s`` and ``b`` fitted by the
        distiller on the student's out-of-fold outputs (see
        :func:`~skdistill.strategies.fit_output_map`).

    Attributes
    ----------
    student_ : regressor
        The fitted student (wrapped in ``MultiOutputRegressor`` when needed).
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    temperature_ : float
        The temperature of the targets.
    output_scale_, output_bias_ : float, ndarray of shape (n_classes,)
        The map ``softmax(s * logits + b)`` back to temperature 1 (also
        ``scale_`` and ``bias_``: a regressor does not carry it).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skdistill import DistilledClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> model = DistilledClassifier(teacher, DecisionTreeRegressor(max_depth=3),
    ...                             alpha=1.0, random_state=0).fit(X, y)
    >>> model.strategy_.name
    'regress'
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    name = "regress"
    _parameter_constraints = {"target": [StrOptions({"logit", "proba"})]}

    def __init__(self, target="logit"):
        self.target = target

    @classmethod
    def accepts(cls, student):
        return safe_tags(student).estimator_type == "regressor"

    def fit(self, student, X, targets, *, sample_weight=None, **fit_params):
        self._validate_params()
        if safe_tags(student).estimator_type == "classifier":
            raise TypeError(
                f"The 'regress' strategy needs a regressor student; got the classifier "
                f"{name_of(student)}. Use strategy='auto' or 'expand' for classifiers."
            )
        n_classes = targets.n_classes
        if self.target == "logit":
            z = targets.log_proba - targets.log_proba.mean(axis=1, keepdims=True)
            y = z[:, 1] - z[:, 0] if n_classes == 2 else z
        else:
            y = targets.proba[:, 1] if n_classes == 2 else targets.proba
        if n_classes > 2 and not _multi_output(student):
            student = MultiOutputRegressor(student)
        fit_weighted(student, X, y, sample_weight, strategy=self.name, **fit_params)
        return self._record(student, targets)

    def tempered_logits(self, X):
        """The student's logits at the temperature of its targets."""
        out = np.asarray(self.student_.predict(X), dtype=np.float64)
        n_classes = len(self.classes_)
        if n_classes == 2:
            out = out.reshape(-1)
            if self.target == "logit":
                return binary_logits(out)
            out = np.column_stack([1 - out, out])
        if out.ndim != 2 or out.shape[1] != n_classes:
            raise ValueError(
                f"The student {name_of(self.student_)} predicted shape {out.shape}; the "
                f"'regress' strategy expects {n_classes} outputs per row."
            )
        return out if self.target == "logit" else log_clip(out)

    def output_spec(self):
        """The regressor's ``predict``: kind ``"regress-logit"`` or ``"regress-proba"``."""
        return self._spec(f"regress-{self.target}")


def _multi_output(student):
    tags = safe_tags(student).target_tags
    return tags is not None and tags.multi_output
