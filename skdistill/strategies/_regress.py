"""The "regress" strategy: any regressor learns the targets as numbers.

With ``target="logit"`` the regressor learns the target logits ``T * log(q)``
(centred per row, computed in log space so that large teacher margins survive;
binary: the single log-odds); with ``target="proba"`` it learns
``q`` itself. Either way the prediction maps back through a softmax at temperature 1,
so with ``alpha=1`` a perfect student reproduces the teacher's own probabilities.
"""

import numpy as np
from sklearn.multioutput import MultiOutputRegressor

from .._compat import StrOptions, safe_tags
from .._targets import softmax
from .._validation import name_of
from ._base import BaseStrategy, fit_weighted, logits_from_proba

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
        ``"logit"`` regresses ``T * log(q)`` (row-centred), the scale on which a
        softmax student is trained; ``"proba"`` regresses ``q`` and maps predictions
        back with ``softmax(T * log(clip(pred)))``.

    Attributes
    ----------
    student_ : regressor
        The fitted student (wrapped in ``MultiOutputRegressor`` when needed).
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    temperature_ : float
        The temperature of the targets.

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
        q, n_classes = targets.proba, targets.n_classes
        if self.target == "logit":
            z = targets.temperature * targets.log_proba
            z -= z.mean(axis=1, keepdims=True)
            y = z[:, 1] - z[:, 0] if n_classes == 2 else z
        else:
            y = q[:, 1] if n_classes == 2 else q
        if n_classes > 2 and not _multi_output(student):
            student = MultiOutputRegressor(student)
        fit_weighted(student, X, y, sample_weight, strategy=self.name, **fit_params)
        return self._record(student, targets)

    def decision_function(self, X):
        out = np.asarray(self.student_.predict(X), dtype=np.float64)
        n_classes = len(self.classes_)
        if n_classes == 2:
            out = out.reshape(-1)
            if self.target == "logit":
                return np.column_stack([-out / 2, out / 2])
            out = np.column_stack([1 - out, out])
        if out.ndim != 2 or out.shape[1] != n_classes:
            raise ValueError(
                f"The student {name_of(self.student_)} predicted shape {out.shape}; the "
                f"'regress' strategy expects {n_classes} outputs per row."
            )
        if self.target == "logit":
            return out
        return logits_from_proba(out, self.temperature_)

    def predict_proba(self, X):
        return softmax(self.decision_function(X))


def _multi_output(student):
    tags = safe_tags(student).target_tags
    return tags is not None and tags.multi_output
