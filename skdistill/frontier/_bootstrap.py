"""How sure is "within tolerance"? A paired bootstrap of the validation rows.

A few hundred validation rows (a fraud sample with a handful of positives) move a
ROC-AUC by more than 1%: a candidate whose validation score is just within the
tolerance may well be outside it on new rows. Each candidate's outputs on its
validation rows are kept, and the rows are resampled (with replacement, within
each class and each fold, so that every resample can be scored); the candidate
and the teacher are scored on the SAME resamples (paired), which cancels the
difficulty that both share. :meth:`FrontierResult.select` then asks how often,
and with what lower bound, the candidate stays within the tolerance.
"""

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if

__all__ = [
    "bootstrap_scores",
    "gap_lower_bound",
    "outputs_of",
    "relative_gaps",
    "within_probability",
]

#: The outputs a scorer may ask for.
_METHODS = ("predict", "predict_proba", "decision_function")


def outputs_of(model, X):
    """The model's outputs on ``X`` for each response method it has."""
    out = {}
    for method in _METHODS:
        if hasattr(model, method):
            try:
                out[method] = getattr(model, method)(X)
            except Exception:  # noqa: BLE001 - a method the scorer then cannot use
                continue
    return out


def _has(method):
    return lambda self: method in self.outputs


class _Replay(ClassifierMixin, BaseEstimator):
    """A classifier that answers with outputs computed earlier, row by row.

    Its ``X`` is a column of row indices: a scorer called on it scores the
    resampled rows without predicting again.
    """

    def __init__(self, outputs, classes):
        self.outputs = outputs
        self.classes = classes
        self.classes_ = classes

    def _replay(self, method, X):
        return self.outputs[method][np.asarray(X)[:, 0]]

    @available_if(_has("predict"))
    def predict(self, X):
        return self._replay("predict", X)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        return self._replay("predict_proba", X)

    @available_if(_has("decision_function"))
    def decision_function(self, X):
        return self._replay("decision_function", X)


def _resamples(ys, n_resamples, seed):
    """``n_resamples`` lists of per-fold row indices, drawn within each class.

    Deterministic in ``seed`` and the labels: the teacher and every candidate
    are scored on the same resamples.
    """
    rng = np.random.default_rng(seed)
    by_class = [[np.flatnonzero(y == c) for c in np.unique(y)] for y in ys]
    for _ in range(n_resamples):
        yield [
            np.concatenate([rng.choice(rows, len(rows)) for rows in classes])
            for classes in by_class
        ]


def bootstrap_scores(scorer, outputs, classes, ys, n_resamples, seed):
    """Scores on ``n_resamples`` resamples of the validation rows (mean over folds).

    Parameters
    ----------
    scorer : callable
        ``scorer(estimator, X, y)``.
    outputs : list of dict
        Per fold, the model's outputs on that fold's validation rows
        (:func:`outputs_of`).
    classes : ndarray
        The model's classes.
    ys : list of ndarray
        Per fold, the labels of the validation rows.
    n_resamples : int
    seed : int

    Returns
    -------
    scores : ndarray of shape (n_resamples,) or None
        None when there is no bootstrap: ``n_resamples=0``, no outputs, or a
        scorer that cannot score the replayed outputs (a custom scorer that reads
        the rows themselves, or fails on a resample).
    error : str
        Why a bootstrap asked for could not be made (the scorer's error); empty
        otherwise.
    """
    if not n_resamples:
        return None, ""
    if not outputs or any(not out for out in outputs):
        return None, "the model gave no predict, predict_proba or decision_function"
    replays = [_Replay(out, classes) for out in outputs]
    try:
        fast = [_fast_auc(scorer, replay, y) for replay, y in zip(replays, ys, strict=True)]
        if all(f is not None for f in fast):
            score = [lambda idx, y, f=f: f(idx) for f in fast]
        else:
            score = [
                lambda idx, y, replay=replay: scorer(replay, idx[:, None], y[idx])
                for replay in replays
            ]
        scores = np.empty(n_resamples)
        for b, indices in enumerate(_resamples(ys, n_resamples, seed)):
            scores[b] = np.mean(
                [f(idx, y) for f, idx, y in zip(score, indices, ys, strict=True)]
            )
    except Exception as exc:  # noqa: BLE001 - no uncertainty rather than no sweep
        return None, f"{type(exc).__name__}: {exc}"
    failed = int(np.sum(~np.isfinite(scores)))
    if failed:
        return (
            None,
            f"the scorer gave no finite score on {failed} of {n_resamples} resamples",
        )
    return scores, ""


def _fast_auc(scorer, replay, y):
    """``idx -> ROC-AUC of the rows idx`` by ranks (about 30 times faster than the
    scorer, which validates its inputs at each call), or None.

    Used only when it reproduces the scorer on all the rows: a binary ROC-AUC on
    the scores the scorer would take.
    """
    from scipy.stats import rankdata

    classes = replay.classes_
    if len(classes) != 2 or len(np.unique(y)) != 2:
        return None
    if "decision_function" in replay.outputs:
        values = np.asarray(replay.outputs["decision_function"], dtype=float)
    elif "predict_proba" in replay.outputs:
        values = np.asarray(replay.outputs["predict_proba"], dtype=float)[:, 1]
    else:
        return None
    if values.ndim != 1:
        return None
    positive = np.asarray(y) == classes[1]

    def auc(idx):
        pos = positive[idx]
        n_pos = pos.sum()
        ranks = rankdata(values[idx])
        return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(idx) - n_pos))

    everything = np.arange(len(y))
    expected = scorer(replay, everything[:, None], np.asarray(y))
    return auc if abs(auc(everything) - expected) <= 1e-9 else None


def relative_gaps(scores, reference):
    """``(scores - reference) / |reference|`` per resample (reference: an array of
    the same resamples, or a number); NaN resamples dropped."""
    scores = np.asarray(scores, dtype=float)
    reference = np.broadcast_to(np.asarray(reference, dtype=float), scores.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = (scores - reference) / np.abs(reference)
    return gaps[np.isfinite(gaps)]


def within_probability(gaps, tolerance):
    """Share of the resamples where the candidate is within ``tolerance``."""
    return float(np.mean(gaps >= -tolerance)) if len(gaps) else math.nan


def gap_lower_bound(gaps, confidence):
    """The ``1 - confidence`` quantile of the relative gaps: with probability
    ``confidence`` (over resamples) the candidate is at least this far from the
    reference."""
    return float(np.quantile(gaps, 1 - confidence)) if len(gaps) else math.nan
