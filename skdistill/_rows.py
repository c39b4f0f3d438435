"""Which rows and columns each model sees.

The teacher labels every row: the labeled ones, the unlabeled ones (``y`` equal to the
unlabeled marker) and the transfer rows generated at fit time. The student sees them
all, but possibly only some columns (``student_features``: the teacher may use
costly or after-the-fact features the student will not have when it serves).
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._compat import safe_indexing

__all__ = [
    "TrainingRows",
    "concat_rows",
    "labeled_mask",
    "nearest_rows",
    "resolve_student_features",
    "student_view",
]


def labeled_mask(y, marker, classes=None):
    """Boolean mask of the rows of ``y`` that carry a label.

    Rows equal to ``marker`` are unlabeled, unless ``marker`` is None or one of the
    (fitted) teacher's ``classes``: then it is an ordinary label.
    """
    y = np.asarray(y)
    if marker is None:
        return np.ones(y.shape[0], dtype=bool)
    if classes is not None and any(_same(c, marker) for c in np.asarray(classes).tolist()):
        return np.ones(y.shape[0], dtype=bool)
    if y.dtype.kind in "iufb":
        if isinstance(marker, str):
            return np.ones(y.shape[0], dtype=bool)
        return y != marker
    return ~np.fromiter((_same(v, marker) for v in y.tolist()), dtype=bool, count=len(y))


def _same(value, marker):
    """``value == marker`` for labels of mixed types (no numpy broadcasting)."""
    if isinstance(value, str) != isinstance(marker, str):
        return False
    return bool(value == marker)


def resolve_student_features(student_features, X):
    """Column positions of ``student_features`` in ``X`` (None: all columns).

    Accepts column names (with a DataFrame, or an estimator that saw names),
    integer positions, or a boolean mask of length ``n_features``.
    """
    if student_features is None:
        return None
    n_features = X.shape[1]
    columns = getattr(X, "columns", None)
    requested = np.asarray(student_features)
    if requested.ndim != 1 or requested.size == 0:
        raise ValueError(
            "student_features must be a non-empty list of column names, positions or "
            f"a boolean mask; got {student_features!r:.80}."
        )
    if requested.dtype.kind == "b":
        if requested.size != n_features:
            raise ValueError(
                f"student_features is a boolean mask of length {requested.size} but X "
                f"has {n_features} columns; give one entry per column."
            )
        return np.flatnonzero(requested)
    if requested.dtype.kind in "iu":
        bad = requested[(requested < -n_features) | (requested >= n_features)]
        if bad.size:
            raise ValueError(
                f"student_features has positions {bad.tolist()} outside the "
                f"{n_features} columns of X."
            )
        indices = requested % n_features
    elif all(isinstance(c, str) for c in requested.tolist()):
        if columns is None:
            raise ValueError(
                "student_features gives column names but X has none (a NumPy array). "
                "Pass a pandas DataFrame, or give column positions instead."
            )
        position = {str(c): i for i, c in enumerate(columns)}
        unknown = [c for c in requested.tolist() if c not in position]
        if unknown:
            raise ValueError(
                f"student_features names columns {unknown[:5]} that X does not have; "
                f"its columns are {list(columns)[:10]}"
                f"{'...' if len(columns) > 10 else ''}."
            )
        indices = np.array([position[c] for c in requested.tolist()])
    else:
        raise TypeError(
            "student_features must hold column names (str), positions (int) or booleans; "
            f"got values of dtype {requested.dtype}."
        )
    if len(set(indices.tolist())) != len(indices):
        raise ValueError(f"student_features repeats columns: {student_features!r:.80}.")
    return np.asarray(indices, dtype=np.intp)


def student_view(X, indices):
    """The columns of ``X`` that the student sees."""
    if indices is None:
        return X
    return safe_indexing(X, indices, axis=1)


def concat_rows(X, X_new):
    """``X`` followed by ``X_new``, in ``X``'s container type."""
    if hasattr(X, "iloc"):
        import pandas as pd

        return pd.concat([X, X_new], ignore_index=True)
    if sparse.issparse(X):
        return sparse.vstack([X, sparse.csr_matrix(X_new)], format=X.format)
    return np.concatenate([np.asarray(X), np.asarray(X_new, dtype=np.asarray(X).dtype)])


def nearest_rows(X_from, X_to):
    """Index in ``X_to`` of the nearest row to each row of ``X_from``.

    Euclidean distance on the numeric columns, each scaled by its spread in
    ``X_to`` (missing values filled with the column's mean). Used to tell which
    real row a generated transfer row is a near copy of.
    """
    if _num_rows(X_from) == 0:
        return np.zeros(0, dtype=np.intp)
    from sklearn.neighbors import NearestNeighbors

    to, frm = _numeric(X_to), _numeric(X_from)
    mean = np.nanmean(to, axis=0) if to.size else np.zeros(to.shape[1])
    scale = np.nanstd(to, axis=0) if to.size else np.ones(to.shape[1])
    scale[~(scale > 0)] = 1.0
    to = np.where(np.isnan(to), mean, to) / scale
    frm = np.where(np.isnan(frm), mean, frm) / scale
    if to.shape[1] == 0:
        return np.zeros(len(frm), dtype=np.intp)
    index = NearestNeighbors(n_neighbors=1).fit(to)
    return index.kneighbors(frm, return_distance=False)[:, 0]


def _numeric(X):
    if hasattr(X, "iloc"):
        X = X.select_dtypes("number")
    if sparse.issparse(X):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _num_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


@dataclass
class TrainingRows:
    """The rows a student is fitted on, with what each carries.

    ``real`` marks the rows of ``X`` given to ``fit`` (False for transfer rows, which
    the teacher alone labels); ``targets`` holds the teacher's logits and the label
    index of each row (``-1`` where the teacher alone labels it).
    """

    X: object
    targets: object
    sample_weight: object
    real: np.ndarray

    def __len__(self):
        return len(self.real)

    def take(self, rows):
        """The rows ``rows`` (indices)."""
        return TrainingRows(
            safe_indexing(self.X, rows),
            self.targets.take(rows),
            None if self.sample_weight is None else self.sample_weight[rows],
            self.real[rows],
        )

    def in_loss(self):
        """The rows that weigh something in the loss, each weighted as it counts.

        A row weighs its ``sample_weight`` times its weight in the distillation loss
        (``targets.row_weight``: ``alpha`` for a row the teacher alone labels); rows
        that weigh nothing (those at ``alpha=0``) are dropped, so that ``alpha=0`` is
        exactly the hard-label student on the labeled rows.
        """
        row_weight = self.targets.row_weight
        if np.all(row_weight == 1.0):
            return self
        weight = (
            row_weight if self.sample_weight is None else self.sample_weight * row_weight
        )
        keep = row_weight > 0
        if not keep.any():
            raise ValueError(
                "alpha=0 fits the student on the labels alone, but no training row has "
                "a label (every y is unlabeled_label). Raise alpha so that the student "
                "learns the teacher's targets, or pass labeled rows."
            )
        rows = TrainingRows(self.X, self.targets, weight, self.real)
        return rows if keep.all() else rows.take(np.flatnonzero(keep))
