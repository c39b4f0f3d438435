"""Predicting on DataFrames (issue 16, item 3): the distiller checks a DataFrame's
columns cheaply and hands it to the student, which converts it once; every check of
the full path still holds, with the same errors."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistillationWarning, DistilledClassifier, DistilledRegressor

pd = pytest.importorskip("pandas")

COLUMNS = [f"f{i}" for i in range(6)]


def _student(kind):
    if kind == "tree":
        return DecisionTreeClassifier(max_depth=4, random_state=0)
    if kind == "pipeline":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1)


def _frame(n=300, seed=0):
    X, y = make_classification(n, len(COLUMNS), n_informative=4, random_state=seed)
    return pd.DataFrame(X, columns=COLUMNS), y


def _fitted(kind, teacher=None):
    X, y = _frame()
    teacher = teacher or HistGradientBoostingClassifier(max_iter=10, random_state=0)
    teacher.fit(X, y)
    model = DistilledClassifier(teacher, _student(kind), temperature=2.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        return model.fit(X, y), X


def _full_path(model, monkeypatch):
    """Make the distiller take its full checks for every DataFrame."""
    monkeypatch.setattr(type(model), "_frame_is_valid", lambda self, X: False)


@pytest.mark.parametrize("kind", ["tree", "pipeline", "lightgbm"])
@pytest.mark.parametrize("rows", [slice(0, 1), slice(3, 8)])
def test_issue16_item3_frame_fast_path_predicts_like_the_full_path(kind, rows, monkeypatch):
    model, X = _fitted(kind)
    frame = X.iloc[rows]
    assert model._frame_is_valid(frame)
    fast = {m: getattr(model, m)(frame) for m in ("predict", "predict_proba")}
    with warnings.catch_warnings():  # an array after a DataFrame fit: sklearn warns
        warnings.simplefilter("ignore", UserWarning)
        array = {m: getattr(model, m)(frame.to_numpy()) for m in fast}
    _full_path(model, monkeypatch)
    for method, values in fast.items():
        np.testing.assert_array_equal(values, getattr(model, method)(frame))
        np.testing.assert_array_equal(values, array[method])


def _renamed(X):
    return X.rename(columns={"f2": "g2"})


def _reordered(X):
    return X[COLUMNS[::-1]]


def _missing(X):
    return X.drop(columns="f3")


def _extra(X):
    return X.assign(f9=1.0)


@pytest.mark.parametrize(
    "edit, message",
    [
        (_renamed, "Feature names unseen at fit time:\n- g2"),
        (_reordered, "Feature names must be in the same order as they were in fit"),
        (_missing, "Feature names seen at fit time, yet now missing:\n- f3"),
        (_extra, "Feature names unseen at fit time:\n- f9"),
    ],
)
def test_issue16_item3_wrong_columns_raise_the_same_errors(edit, message, monkeypatch):
    model, X = _fitted("tree")
    frame = edit(X.iloc[:1])
    assert not model._frame_is_valid(frame)
    with pytest.raises(ValueError, match="feature names should match") as fast:
        model.predict_proba(frame)
    assert message in str(fast.value)
    _full_path(model, monkeypatch)
    with pytest.raises(ValueError) as full:
        model.predict_proba(frame)
    assert str(full.value) == str(fast.value)


def test_issue16_item3_infinity_and_refused_nan_are_still_errors():
    model, X = _fitted("tree")  # teacher and student take NaN
    frame = X.iloc[:2].copy()
    frame.iloc[0, 1] = np.nan
    model.predict_proba(frame)  # the student's default branch
    frame.iloc[1, 2] = np.inf
    with pytest.raises(ValueError, match="Input contains infinity"):
        model.predict_proba(frame)
    # a teacher that refuses NaN, a student that would take it silently
    model, X = _fitted("tree", teacher=LogisticRegression(max_iter=500))
    frame = X.iloc[:1].copy()
    frame.iloc[0, 0] = np.nan
    assert model._check_nan and not model._frame_is_valid(frame)
    with pytest.raises(ValueError, match="Input contains NaN"):
        model.predict_proba(frame)


def test_issue16_item3_other_frames_take_the_full_checks():
    model, X = _fitted("tree")
    for frame in (
        X.iloc[:0],  # no rows
        X.iloc[:1].astype({"f0": "object"}),  # not all numeric
        X.iloc[:1].set_axis(range(6), axis=1),  # names that are not strings
    ):
        assert not model._frame_is_valid(frame)
    assert model._frame_is_valid(X.iloc[:1].astype({"f0": "int64"}))
    with pytest.raises(ValueError, match="0 sample"):
        model.predict_proba(X.iloc[:0])
    with pytest.raises(ValueError, match="2-dimensional container"):
        model.predict_proba(X.iloc[0])  # a Series: one row, not a table


def test_issue16_item3_regressor_frames():
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y = _frame()
    teacher = HistGradientBoostingRegressor(max_iter=10).fit(X, y.astype(float))
    model = DistilledRegressor(teacher).fit(X, y.astype(float))
    assert model._frame_is_valid(X.iloc[:1])
    np.testing.assert_array_equal(
        model.predict(X.iloc[:1]), model.student_.predict(X.iloc[:1])
    )
    with pytest.raises(ValueError, match="same order"):
        model.predict(_reordered(X.iloc[:1]))


@pytest.mark.parametrize("framework", ["lightgbm", "xgboost"])
@pytest.mark.parametrize("labels", [[0, 1], ["yes", "no"]])
@pytest.mark.parametrize("temperature, alpha", [(1.0, 0.5), (3.0, 1.0)])
def test_issue16_item3_binary_booster_proba_is_the_softmax_of_its_logits(
    framework, labels, temperature, alpha
):
    # The short route of a binary booster's predict_proba (logistic of the margin,
    # placed by columns) gives what softmax(decision_function) gives.
    from skdistill._targets import softmax

    lib = pytest.importorskip(framework)
    X, y = _frame()
    y = np.asarray(labels, dtype=object)[y] if isinstance(labels[0], str) else y
    teacher = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    student = (
        lib.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1)
        if framework == "lightgbm"
        else lib.XGBClassifier(n_estimators=5, n_jobs=1)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        model = DistilledClassifier(
            teacher, student, temperature=temperature, alpha=alpha, random_state=0
        ).fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(
        proba, softmax(model.strategy_.decision_function(X)), atol=1e-12
    )
    np.testing.assert_array_equal(model.classes_, teacher.classes_)
    np.testing.assert_array_equal(
        model.predict(X), model.classes_[np.argmax(proba, axis=1)]
    )


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: f.assign(f0=pd.array([pd.NA], dtype="Int64")),
        lambda f: f.assign(f1=True),  # bool beside floats: an object array
        lambda f: f.astype({"f2": "Float64"}),  # a pandas extension dtype
    ],
    ids=["nullable_int_with_NA", "bool_column", "extension_float"],
)
def test_issue16_item3_frames_the_short_check_cannot_vouch_for_take_the_full_path(
    edit, monkeypatch
):
    # Whatever the full checks do with such a frame (refuse it, or convert it), the
    # distiller does the same: the short check never answers for it.
    model, X = _fitted("tree")
    frame = edit(X.iloc[:1].copy())
    assert not model._frame_is_valid(frame)
    outcomes = []
    for full in (False, True):
        if full:
            _full_path(model, monkeypatch)
        try:
            outcomes.append(model.predict_proba(frame))
        except (ValueError, TypeError) as exc:
            outcomes.append(f"{type(exc).__name__}: {exc}")
    if isinstance(outcomes[0], str):
        assert outcomes[0] == outcomes[1]
    else:
        np.testing.assert_array_equal(outcomes[0], outcomes[1])
