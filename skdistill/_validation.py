"""Checks shared by every estimator, so that each bad input fails the same way.

Every error says what is wrong, shows the offending value or type, and says how to
fix it.
"""

import warnings
from contextlib import contextmanager

import numpy as np
from scipy import sparse
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._compat import safe_tags

__all__ = [
    "check_nan_support",
    "check_teacher",
    "check_teacher_features",
    "encode_labels",
    "explain_student_failure",
    "is_dask_collection",
    "is_fitted",
    "is_frozen",
    "name_of",
    "validate_X",
    "validate_y",
]


def name_of(estimator):
    """Class name of an estimator, looking through ``FrozenEstimator``."""
    if is_frozen(estimator):
        return f"FrozenEstimator({type(estimator.estimator).__name__})"
    return type(estimator).__name__


def is_frozen(estimator):
    """Whether ``estimator`` is a :class:`sklearn.frozen.FrozenEstimator`."""
    from sklearn.frozen import FrozenEstimator

    return isinstance(estimator, FrozenEstimator)


def is_dask_collection(X):
    """Whether ``X`` is a Dask collection (array, DataFrame, Series), by duck typing:
    dask is not imported."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "__dask_graph__")


def is_fitted(estimator):
    """Whether ``estimator`` is fitted, by sklearn's rules.

    Objects without a ``fit`` method (plain prediction functions wrapped in a class)
    count as fitted: there is nothing to fit.
    """
    if not hasattr(estimator, "fit"):
        return True
    if not hasattr(estimator, "__sklearn_tags__"):  # duck-typed: sklearn's own rule
        if hasattr(estimator, "__sklearn_is_fitted__"):
            return bool(estimator.__sklearn_is_fitted__())
        return any(k.endswith("_") and not k.startswith("__") for k in vars(estimator))
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def check_teacher(teacher, *, task):
    """Check that ``teacher`` can give the outputs distillation needs.

    Parameters
    ----------
    teacher : object
        The teacher, fitted or not.
    task : {"classification", "regression"}
        What the distiller does.
    """
    name = name_of(teacher)
    if not hasattr(teacher, "predict"):
        raise TypeError(
            f"The teacher must be a fitted estimator with a predict method; got {name}."
        )
    if task == "classification":
        if not (hasattr(teacher, "predict_proba") or hasattr(teacher, "decision_function")):
            raise TypeError(
                f"The teacher {name} has neither predict_proba nor decision_function, so "
                "it gives no soft targets to distil. Use a probabilistic model, or wrap "
                "it in sklearn.calibration.CalibratedClassifierCV to give it "
                "predict_proba."
            )
    elif hasattr(teacher, "classes_") or safe_tags(teacher).estimator_type == "classifier":
        raise TypeError(
            f"The teacher {name} is a classifier; DistilledRegressor needs a regressor "
            "teacher. Use DistilledClassifier to distil a classifier."
        )


def check_teacher_features(teacher, X):
    """Check that ``X`` has the columns the (fitted) teacher was trained on."""
    name = name_of(teacher)
    names = getattr(teacher, "feature_names_in_", None)
    columns = getattr(X, "columns", None)
    if names is not None and columns is not None:
        columns = np.asarray(columns, dtype=object)
        if len(columns) != len(names) or np.any(columns != np.asarray(names, dtype=object)):
            missing = [c for c in names if c not in set(columns)]
            extra = [c for c in columns if c not in set(names)]
            detail = []
            if missing:
                detail.append(f"missing {missing[:5]}")
            if extra:
                detail.append(f"unexpected {extra[:5]}")
            if not detail:
                detail.append("same names in another order")
            raise ValueError(
                f"The columns of X do not match the features the teacher {name} was "
                f"fitted on ({', '.join(detail)}). Pass X with the teacher's columns "
                f"{list(names)[:10]}{'...' if len(names) > 10 else ''} in that order."
            )
    n_features = getattr(teacher, "n_features_in_", None)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"The teacher {name} was fitted on {n_features} features but X has "
            f"{X.shape[1]}. Pass the same columns the teacher was trained on."
        )


def validate_X(X, *, estimator, allow_nan=None):
    """Check X as a meta-estimator does, keeping DataFrames and sparse matrices as is.

    Returns the array to use: DataFrames are returned unchanged, so that the teacher
    and the student see their column names; anything else as checked by
    ``check_array``, without dtype conversion. ``allow_nan=None`` lets NaN and
    infinity through (for the more specific checks of ``check_nan_support``); a
    boolean rejects infinity, and NaN unless ``allow_nan``.
    """
    finite = False if allow_nan is None else ("allow-nan" if allow_nan else True)
    if hasattr(X, "iloc"):
        # The numeric columns: check_array on the whole frame casts it to float64
        # when a bool column sits beside a string category one, and fails.
        checked = X
        if hasattr(X, "select_dtypes") and X.size:  # an empty frame: sklearn's message
            checked = X.select_dtypes(include="number")
        if checked.size or not X.size:
            check_array(checked, dtype=None, ensure_all_finite=finite, estimator=estimator)
        return X
    return check_array(
        X,
        accept_sparse=("csr", "csc"),
        dtype=None,
        ensure_all_finite=finite,
        estimator=estimator,
    )


def check_nan_support(X, *, teacher, student):
    """Reject infinity, and NaN that the teacher or the student cannot take."""
    values = X.data if sparse.issparse(X) else X
    if hasattr(values, "iloc"):
        numeric = values.select_dtypes("number")
        if numeric.shape[1] == 0:
            return
        values = numeric.to_numpy(dtype=np.float64)
    values = np.asarray(values)
    if values.dtype.kind not in "fc":
        if values.dtype.kind != "O":
            return
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            return  # strings: left to the teacher's and student's own encoders
    if np.isinf(values).any():
        raise ValueError(
            "Input X contains infinity. Replace infinite values (e.g. with NaN or a "
            "large finite number) before distillation."
        )
    if not np.isnan(values).any():
        return
    for role, model in (("teacher", teacher), ("student", student)):
        if model is not None and not _may_accept_nan(model):
            raise ValueError(
                f"Input X contains NaN, which the {role} {name_of(model)} cannot "
                "handle. Put an imputer in front of it, e.g. "
                f"{role}=make_pipeline(SimpleImputer(), {name_of(model)}(...)), or "
                "choose a model that accepts missing values (HistGradientBoosting*, "
                "DecisionTree*, LightGBM, XGBoost)."
            )


# Words of the errors numpy, pandas and the frameworks raise on text they cannot read.
_CONVERSION_WORDS = ("convert", "string", "str'", "cast", "dtype", "categor", "object")


@contextmanager
def explain_student_failure(X, student):
    """Re-raise a student's failure to read non-numeric columns with the fix.

    Strings and categories go to the student as they are (its own encoders may
    read them); a student that cannot read them fails deep inside its ``fit`` with
    numpy's "could not convert string to float". When ``X`` has such columns and
    the error is of that kind, the error is raised again naming the columns, the
    student and two ways out. Any other error passes unchanged.
    """
    try:
        yield
    except (TypeError, ValueError) as exc:
        columns = _text_columns(X)
        message = str(exc)
        if not columns or not any(w in message.lower() for w in _CONVERSION_WORDS):
            raise
        shown = f"{columns[:10]}{'...' if len(columns) > 10 else ''}"
        raise ValueError(
            f"The student {name_of(student)} could not be fitted on X "
            f"({message.rstrip('.')}). X has non-numeric column(s) {shown}, which the "
            "teacher reads but this student does not. Encode them for the student, "
            "e.g. student=make_pipeline(make_column_transformer((OrdinalEncoder("
            f"handle_unknown='use_encoded_value', unknown_value=-1), {shown}), "
            f"remainder='passthrough'), {name_of(student)}(...)), use a student that "
            "reads categories (HistGradientBoosting* with "
            "categorical_features='from_dtype', LightGBM), or leave the columns out "
            "of the student with student_features."
        ) from exc


def _text_columns(X):
    """Names (DataFrame) or indices (array) of the columns of X that are not numeric."""
    if hasattr(X, "iloc"):
        kinds = [getattr(dtype, "kind", "O") for dtype in X.dtypes]
        return [str(c) for c, k in zip(X.columns, kinds, strict=True) if k not in "biufc"]
    if sparse.issparse(X) or getattr(X, "dtype", None) is None or X.dtype.kind != "O":
        return []
    return [j for j in range(X.shape[1]) if any(isinstance(v, str) for v in X[:1000, j])]


def _may_accept_nan(model):
    """Whether ``model`` takes NaN, by its tags (a pipeline's worked out from its
    steps, see ``safe_tags``), looking through ``FrozenEstimator``."""
    while is_frozen(model):
        model = model.estimator
    return safe_tags(model).input_tags.allow_nan


def validate_y(y, X, *, task, labeled=None):
    """Check y's shape and type (for classification, of the ``labeled`` rows only:
    an unlabeled marker such as ``-1`` may sit among string labels)."""
    if task == "classification":
        y = column_or_1d(y, warn=True)
        mask = labeled(y) if labeled is not None else slice(None)
        check_classification_targets(y[mask])
        if len(y) != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} rows but y has {len(y)}; they must be sample-aligned."
            )
        return y
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change "
            "the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y.ravel()
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must be sample-aligned."
        )
    return y


def encode_labels(y, classes, *, teacher):
    """Index of each label of ``y`` in the teacher's ``classes``.

    Raises a ValueError naming the unknown labels when ``y`` holds a label the teacher
    was not fitted on. Teacher classes absent from ``y`` are fine.
    """
    uniques, inverse = np.unique(y, return_inverse=True)
    lookup = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
    positions = np.array([lookup.get(u, -1) for u in uniques.tolist()], dtype=np.intp)
    unknown = uniques[positions < 0]
    if len(unknown):
        shown = ", ".join(repr(u) for u in unknown.tolist()[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(
            f"y contains label(s) {shown}{more} that the teacher {name_of(teacher)} "
            f"does not know; it was fitted on classes {np.asarray(classes).tolist()!r} "
            f"(dtype {np.asarray(classes).dtype}, while y has dtype {uniques.dtype}). "
            "Encode y like the teacher's training labels, or pass an unfitted teacher "
            f"to have it fitted on these labels.{_marker_hint(unknown)}"
        )
    return positions[inverse.ravel()]


def _marker_hint(unknown):
    """Advice for a label that looks like a marker of unlabeled rows."""
    from ._targets import UNLABELED

    markers = [u for u in unknown.tolist() if u in (UNLABELED, "?", "") or u is None]
    if not markers:
        return ""
    marker = markers[0]
    value = "skdistill.UNLABELED" if marker == UNLABELED else repr(marker)
    return f" If {marker!r} marks rows without a label, pass unlabeled_label={value}."
