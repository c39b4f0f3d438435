"""The ``teacher`` parameter of a fit, turned into one object at its start.

A distiller's teacher comes in three forms: a fitted model (or a
:class:`~sklearn.frozen.FrozenEstimator`, or a :class:`TeacherEnsemble` of fitted
models), used as is; an unfitted one, cloned and fitted inside ``fit`` on the
labeled rows (and, with ``teacher_cv``, cross-fitted); or ``"precomputed"``, whose
logits are given to ``fit``. :class:`TeacherSource` answers the questions ``fit``
asks of each form (which models, which classes, which rows are labeled, the logits
of some rows) so that ``fit`` does not branch on the form.
"""

import numpy as np
from sklearn.utils.validation import check_memory

from ._compat import safe_indexing
from ._ensemble import TeacherEnsemble
from ._rows import labeled_mask
from ._targets import binary_logits
from ._teacher import (
    cached_teacher_logits,
    fitted_teacher,
    out_of_fold_logits,
    teacher_classes,
    teacher_logits,
)
from ._validation import check_teacher_features, is_fitted, name_of

__all__ = ["TeacherSource", "teacher_models"]


def teacher_models(teacher):
    """The estimators behind a ``teacher`` parameter (none if precomputed or None)."""
    if teacher is None or isinstance(teacher, str | list):
        return []
    if isinstance(teacher, TeacherEnsemble):
        try:
            return [model for _, model in teacher.teachers]
        except (TypeError, ValueError):
            return []
    return [teacher]


class TeacherSource:
    """Where the logits of a fit come from.

    Parameters
    ----------
    teacher : estimator, TeacherEnsemble or "precomputed"
        The distiller's ``teacher`` parameter (never modified).
    task : {"classification", "regression"}
        What the distiller does.
    streams : RandomStreams
        Seeds of a teacher fitted inside ``fit`` (stream ``"teacher"``).
    response_method, memory, n_jobs, verbose :
        The distiller's parameters of the same names.
    """

    def __init__(
        self,
        teacher,
        *,
        task,
        streams,
        response_method="auto",
        memory=None,
        n_jobs=None,
        verbose=0,
    ):
        if isinstance(teacher, list):
            raise TypeError(
                "teacher is a list; to distil from several teachers, pass "
                "skdistill.TeacherEnsemble([('gbm', gbm), ('rf', forest)], "
                "weights=...), which carries their weights and averaging."
            )
        self.teacher = teacher
        self.task = task
        self.streams = streams
        self.response_method = response_method
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    @property
    def precomputed(self):
        """Whether the logits are given to ``fit`` (``teacher="precomputed"``)."""
        return isinstance(self.teacher, str)

    @property
    def models(self):
        """The teacher estimators (empty if precomputed)."""
        return teacher_models(self.teacher)

    @property
    def fits_inside(self):
        """Whether ``fit`` fits the teacher (a clone) rather than using it as is."""
        return not self.precomputed and not is_fitted(self.teacher)

    # -- the fitted teacher and its classes ---------------------------------------

    def fitted(self, X, y, sample_weight, *, unlabeled_label):
        """The fitted teacher (None if precomputed), the classes, the labeled rows.

        A teacher fitted inside ``fit`` sees the labeled rows only.
        """
        if self.precomputed:
            labeled = labeled_mask(y, unlabeled_label)
            classes = np.unique(y[labeled])
            if len(classes) == 0:
                raise ValueError(
                    "teacher='precomputed' takes the classes from the labeled rows of y, "
                    "but every row is unlabeled. Pass the teacher itself."
                )
            return None, classes, labeled
        if not self.fits_inside:
            teacher = self.fitted_on_all(X, y, sample_weight)
            classes = teacher_classes(teacher)
            return teacher, classes, labeled_mask(y, unlabeled_label, classes)
        labeled = labeled_mask(y, unlabeled_label)
        _check_two_classes(y[labeled], n_unlabeled=int(np.sum(~labeled)))
        rows = np.flatnonzero(labeled)
        weight = None if sample_weight is None else sample_weight[rows]
        teacher = self.fitted_on_all(safe_indexing(X, rows), y[rows], weight)
        return teacher, teacher_classes(teacher), labeled

    def fitted_on_all(self, X, y, sample_weight):
        """The fitted teacher: as is, or a clone fitted on every row given."""
        teacher = fitted_teacher(
            self.teacher,
            X,
            y,
            sample_weight=sample_weight,
            task=self.task,
            seed=self._seed,
        )
        if isinstance(teacher, TeacherEnsemble):
            models = list(teacher.named_teachers_.values())
        else:
            models = [teacher]
        for model in models:
            check_teacher_features(model, X)
        return teacher

    def _seed(self, teacher):
        """Seed a clone about to be fitted (an ensemble's unfitted members by name)."""
        if isinstance(teacher, TeacherEnsemble):
            for name, model in teacher.teachers:
                if not is_fitted(model):
                    self.streams.seeded(model, "teacher", name)
            return teacher
        return self.streams.seeded(teacher, "teacher")

    # -- logits ----------------------------------------------------------------------

    def logits(self, teacher, X):
        """The teacher's logits for ``X``, cached, batched, in parallel as configured;
        and the response method they came from."""
        method = "auto" if isinstance(teacher, TeacherEnsemble) else self.response_method
        if self.memory is not None:
            return cached_teacher_logits(
                check_memory(self.memory),
                teacher,
                X,
                method,
                n_jobs=self.n_jobs,
                verbose=self.verbose,
            )
        return teacher_logits(teacher, X, method, n_jobs=self.n_jobs, verbose=self.verbose)

    def row_logits(self, teacher, classes, X, y, labeled, sample_weight, *, given, cv):
        """Logits of the training rows: ``given`` (precomputed), out of fold (``cv``,
        for a teacher fitted inside ``fit``) or from the teacher."""
        if given is not None:
            return _check_precomputed(given, X, classes), "precomputed"
        if teacher is None:
            raise ValueError(
                "teacher='precomputed' but fit got no teacher_logits. Compute them "
                "once with skdistill.compute_teacher_logits(teacher, X) and pass "
                "fit(X, y, teacher_logits=logits)."
            )
        logits, method = self.logits(teacher, X)
        if cv is None:
            return logits, method
        if not self.fits_inside:
            raise ValueError(
                "teacher_cv cross-fits a teacher that fit trains itself, but the teacher "
                f"{name_of(teacher)} is used as is (fitted). Pass an unfitted teacher "
                "(sklearn.base.clone(teacher)) to use teacher_cv; or leave "
                "teacher_cv=None."
            )
        rows = np.flatnonzero(labeled)
        logits = logits.copy()  # the teacher's (or the cache's) array stays as it was
        logits[rows] = out_of_fold_logits(
            self.teacher,
            safe_indexing(X, rows),
            y[rows],
            classes=classes,
            cv=cv,
            response_method=self.response_method,
            sample_weight=None if sample_weight is None else sample_weight[rows],
            seed=self._seed,
        )
        return logits, method


def _check_two_classes(y, *, n_unlabeled):
    """A teacher fitted inside fit needs labeled rows of two classes at least."""
    labels = np.unique(y)
    if len(labels) >= 2:
        return
    found = f"only one class ({labels[0]!r})" if len(labels) else "no labeled rows"
    unlabeled = (
        f" besides {n_unlabeled} unlabeled row(s) (y == unlabeled_label)"
        if n_unlabeled
        else ""
    )
    raise ValueError(
        f"y contains {found}{unlabeled}; the teacher is fitted inside fit and needs "
        "labels of at least two classes. Check the target column, or the split that "
        "produced this fold; if the unlabeled marker is a real class, set "
        "unlabeled_label=None."
    )


def _check_precomputed(logits, X, classes):
    """Check ``teacher_logits`` given to fit: one row per sample, one column per class."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1 and len(classes) == 2:
        logits = binary_logits(logits)
    n_samples = X.shape[0]
    if logits.shape != (n_samples, len(classes)):
        raise ValueError(
            f"teacher_logits has shape {logits.shape} but X has {n_samples} rows and the "
            f"teacher {len(classes)} classes {classes.tolist()!r}; pass "
            "compute_teacher_logits(teacher, X) for these rows (sliced like X)."
        )
    if not np.all(np.isfinite(logits)):
        raise ValueError("teacher_logits contains NaN or infinite values.")
    return logits
