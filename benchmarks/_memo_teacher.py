"""A memoised teacher and the students shared by the issue-5 benchmarks.

``bench_label_scarce.py`` and ``bench_transfer_sets.py`` fit the same teachers on
the same rows many times (grid-search candidates, students, modes): ``MemoTeacher``
fits each once and computes its logits once per set of rows.
"""

import hashlib
import time

import lightgbm
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill._teacher import teacher_logits

TEACHER_LEARNING_RATE = 0.03
N_TEACHER_TREES = 500
N_STUDENT_TREES = 20

_FITS = {}
_LOGITS = {}
#: (rows, seconds) of every uncached teacher labeling, in order.
LABELING_LOG = []


def _digest(a):
    a = np.ascontiguousarray(a)
    return a.shape, str(a.dtype), hashlib.blake2b(a.tobytes(), digest_size=16).hexdigest()


def make_teacher_model(kind, seed):
    if kind == "LightGBM-500":
        return lightgbm.LGBMClassifier(
            n_estimators=N_TEACHER_TREES,
            learning_rate=TEACHER_LEARNING_RATE,
            verbose=-1,
            n_jobs=1,
            random_state=seed,
        )
    return RandomForestClassifier(n_estimators=N_TEACHER_TREES, n_jobs=1, random_state=seed)


class MemoTeacher(ClassifierMixin, BaseEstimator):
    """A LightGBM or random-forest teacher whose fits and logits are memoised.

    ``fit`` on the same rows, labels and parameters returns the same fitted model
    (the models are deterministic on one thread; ``fit_s_`` is the time of the real
    fit), and ``decision_function`` returns the logits skdistill would take from the
    model itself (``skdistill._teacher.teacher_logits``: LightGBM raw scores, or
    clipped log-probabilities of the forest), computed once per model and rows and
    timed in ``LABELING_LOG``. So the candidates of a grid search share their fold's
    teacher, and the students share a teacher fitted inside ``fit``; results are
    those of the unwrapped model.
    """

    def __init__(self, kind="LightGBM-500", random_state=0):
        self.kind = kind
        self.random_state = random_state

    def fit(self, X, y):
        key = (self.kind, self.random_state, _digest(X), _digest(y))
        if key not in _FITS:
            start = time.perf_counter()
            model = make_teacher_model(self.kind, self.random_state).fit(X, y)
            _FITS[key] = (model, time.perf_counter() - start)
        self.model_, self.fit_s_ = _FITS[key]
        self.key_ = key
        self.classes_ = self.model_.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        key = (self.key_, _digest(X))
        if key not in _LOGITS:
            start = time.perf_counter()
            _LOGITS[key] = teacher_logits(self.model_, X)[0]
            LABELING_LOG.append((len(X), time.perf_counter() - start))
        return _LOGITS[key].copy()  # fit must not write into the memo

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


def clear_teacher_cache():
    _FITS.clear()
    _LOGITS.clear()


def make_student(name, seed):
    if name == "LightGBM-20":
        return lightgbm.LGBMClassifier(
            n_estimators=N_STUDENT_TREES, verbose=-1, n_jobs=1, random_state=seed
        )
    return DecisionTreeClassifier(max_depth=6, random_state=seed)


def distiller(teacher, student_name, seed, **params):
    """``DistilledClassifier`` of the named student, native strategy for LightGBM."""
    strategy = "lightgbm" if student_name == "LightGBM-20" else "expand"
    return DistilledClassifier(
        teacher, make_student(student_name, seed), strategy=strategy, random_state=seed,
        **params,
    )  # fmt: skip
