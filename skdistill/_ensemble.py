"""Several fitted teachers seen as one: their logits or probabilities averaged.

``DistilledClassifier(teacher=[("gbm", gbm), ("rf", rf)])`` distils from the weighted
average of its teachers. The average is a classifier like any teacher (it is the
distiller's ``teacher_``), so targets, reports and scorers need no special case.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ._targets import log_clip, softmax
from ._teacher import teacher_classes, teacher_logits
from ._validation import name_of

__all__ = ["TeacherEnsemble", "check_teacher_list"]


def check_teacher_list(teachers, weights):
    """Validate ``[(name, estimator), ...]`` and the weights; return names, models, w."""
    if len(teachers) == 0:
        raise ValueError(
            "teacher is an empty list. Pass one estimator, or a list of (name, "
            "estimator) pairs such as [('gbm', gbm), ('rf', forest)]."
        )
    for item in teachers:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(
                f"A list of teachers must hold (name, estimator) pairs, like "
                f"[('gbm', gbm), ('rf', forest)]; got {item!r:.80}."
            )
    names = [name for name, _ in teachers]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"Teacher names must be unique; {duplicated} repeat.")
    if weights is None:
        weights = np.ones(len(teachers))
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (len(teachers),):
        raise ValueError(
            f"teacher_weights has {weights.size} value(s) for {len(teachers)} teachers; "
            "give one weight per teacher, in the order of the teacher list."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(
            f"teacher_weights must be finite, non-negative and not all zero; got "
            f"{weights.tolist()}."
        )
    return names, [model for _, model in teachers], weights / weights.sum()


class TeacherEnsemble(ClassifierMixin, BaseEstimator):
    """Fitted teachers averaged into one teacher (the ``teacher_`` of a distiller).

    Built from already fitted classifiers; it is never fitted itself.

    Parameters
    ----------
    teachers : list of (str, classifier)
        Fitted classifiers with the same set of classes.
    weights : array-like of shape (n_teachers,), default=None
        Weight of each teacher in the average; None means equal weights.
    averaging : {"logit", "proba"}, default="logit"
        ``"logit"`` averages the teachers' logits (a weighted geometric mean of
        their probabilities, sharp where they agree); ``"proba"`` averages their
        probabilities (an arithmetic mean, a mixture).
    response_method : str, default="auto"
        The teacher output taken as logits, as in ``DistilledClassifier``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes, in the first teacher's order.
    named_teachers_ : dict
        The teachers by name.
    weights_ : ndarray of shape (n_teachers,)
        The normalised weights.

    See Also
    --------
    DistilledClassifier : Takes a list of teachers and builds this average.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skdistill import TeacherEnsemble
    >>> X, y = load_iris(return_X_y=True)
    >>> teachers = [("lr", LogisticRegression(max_iter=1000).fit(X, y)),
    ...             ("nb", GaussianNB().fit(X, y))]
    >>> ensemble = TeacherEnsemble(teachers, weights=[3, 1])
    >>> ensemble.predict_proba(X[:2]).shape
    (2, 3)
    >>> ensemble.weights_
    array([0.75, 0.25])
    """

    def __init__(self, teachers, weights=None, averaging="logit", response_method="auto"):
        self.teachers = teachers
        self.weights = weights
        self.averaging = averaging
        self.response_method = response_method

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self._aligned()[0]

    @property
    def named_teachers_(self):
        return dict(self.teachers)

    @property
    def weights_(self):
        return check_teacher_list(self.teachers, self.weights)[2]

    def _aligned(self):
        """The classes, and for each teacher the column order that matches them."""
        classes = None
        orders = []
        for name, model in self.teachers:
            own = teacher_classes(model)
            if classes is None:
                classes = own
            if len(own) != len(classes) or set(own.tolist()) != set(classes.tolist()):
                raise ValueError(
                    f"The teachers disagree on the classes: {name!r} "
                    f"({name_of(model)}) has {own.tolist()!r} but "
                    f"{self.teachers[0][0]!r} has {classes.tolist()!r}. Distil from "
                    "teachers fitted on the same labels."
                )
            position = {c: i for i, c in enumerate(own.tolist())}
            orders.append(np.array([position[c] for c in classes.tolist()]))
        return classes, orders

    def _logits(self, X):
        """Averaged logits, shape (n_samples, n_classes)."""
        _, orders = self._aligned()
        weights = self.weights_
        total = 0.0
        for (_, model), order, weight in zip(self.teachers, orders, weights, strict=True):
            logits = teacher_logits(model, X, self.response_method)[0][:, order]
            total = total + weight * (
                softmax(logits) if self.averaging == "proba" else logits
            )
        return log_clip(total) if self.averaging == "proba" else total

    def decision_function(self, X):
        """Averaged logits; for two classes, the log-odds of the second.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Probabilities of the averaged teacher.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._logits(X))

    def predict(self, X):
        """Most probable class of the averaged teacher.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self.classes_[np.argmax(self._logits(X), axis=1)]
