"""ONNX export on data with missing values, and what cannot be exported exactly.

Issue 11 item 1: scikit-learn trees send NaN down each node's ``missing_go_to_left``
branch, which the exported graph must reproduce; models whose routing ONNX cannot
express are refused. Item 6: XGBoost students fitted on named columns.
"""

import warnings
from functools import cache

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    BaggingClassifier,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
)

from skdistill import DistillationWarning, DistilledClassifier, DistilledRegressor
from skdistill.strategies import BaseStrategy, RegressStrategy

pytest.importorskip("onnx")
pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

from _nets import skorch_net  # noqa: E402

from skdistill.export import to_onnx  # noqa: E402
from skdistill.export._onnx import check_onnx_exportable  # noqa: E402

#: Columns with NaN in the training rows; the others get NaN only at predict time.
TRAIN_NAN_COLUMNS = (0, 1, 2)


def _lightgbm(kind="Classifier", **params):
    lightgbm = pytest.importorskip("lightgbm")
    pytest.importorskip("onnxmltools")
    params = {"n_estimators": 8, "num_leaves": 8, "verbose": -1, **params}
    return getattr(lightgbm, "LGBM" + kind)(**params)


def _xgboost(kind="Classifier", **params):
    xgboost = pytest.importorskip("xgboost")
    pytest.importorskip("onnxmltools")
    params = {"n_estimators": 8, "max_depth": 3, "n_jobs": 1, **params}
    return getattr(xgboost, "XGB" + kind)(**params)


#: Every student kind that accepts NaN: id -> (factory, strategy, strategy name).
NAN_STUDENTS = {
    "tree": (lambda: DecisionTreeClassifier(max_depth=6), "auto", "expand"),
    "extra-tree": (lambda: ExtraTreeClassifier(max_depth=6), "auto", "expand"),
    "forest": (
        lambda: RandomForestClassifier(n_estimators=4, max_depth=5),
        "auto",
        "expand",
    ),
    "extra-trees": (
        lambda: ExtraTreesClassifier(n_estimators=4, max_depth=5),
        "auto",
        "expand",
    ),
    "bagging-trees": (
        lambda: BaggingClassifier(DecisionTreeClassifier(max_depth=5), n_estimators=3),
        "auto",
        "expand",
    ),
    "hist-gradient-boosting": (
        lambda: HistGradientBoostingClassifier(max_iter=8),
        "auto",
        "expand",
    ),
    "regress-tree": (lambda: DecisionTreeRegressor(max_depth=6), "auto", "regress"),
    "regress-proba-extra-trees": (
        lambda: ExtraTreesRegressor(n_estimators=4, max_depth=5),
        RegressStrategy(target="proba"),
        "regress",
    ),
    "regress-hist-gradient-boosting": (
        lambda: HistGradientBoostingRegressor(max_iter=8),
        "auto",
        "regress",
    ),
    "lightgbm": (_lightgbm, "auto", "lightgbm"),
    "xgboost": (_xgboost, "auto", "xgboost"),
}


@cache
def _nan_data(n_classes):
    """Training rows with NaN in a few columns, and rows to compare on.

    Values are float32 (what the graph reads), so no feature lies between a float64
    threshold and its float32 rounding. The rows compared are the training rows,
    fresh rows with NaN in every column (those that had none in training too), and
    all-NaN rows.
    """
    X, y = make_classification(
        n_samples=500,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=n_classes,
    )
    X = X.astype(np.float32).astype(np.float64)
    rng = np.random.default_rng(n_classes)
    X_train, y_train, X_new = X[:350].copy(), y[:350], X[350:].copy()
    for column in TRAIN_NAN_COLUMNS:
        X_train[rng.random(len(X_train)) < 0.2, column] = np.nan
    X_new[rng.random(X_new.shape) < 0.25] = np.nan
    X_new[:5] = np.nan
    X_eval = np.vstack([X_train, X_new])
    return X_train, y_train, X_eval


@cache
def _teacher(n_classes):
    X, y, _ = _nan_data(n_classes)
    return HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)


def _run(onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": np.asarray(X, dtype=np.float32)})


def _assert_nan_rows_present(X):
    """The comparison includes NaN rows of every sort (so a pass means something)."""
    assert np.isnan(X).all(axis=1).sum() >= 5
    assert np.isnan(X[:, 3:]).any(axis=1).sum() >= 30  # columns without NaN in fit
    assert np.isnan(X[:, :3]).any(axis=1).sum() >= 100


@pytest.mark.parametrize("temperature", [1.0, 4.0], ids=["T1", "T4"])
@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multiclass"])
@pytest.mark.parametrize("kind", list(NAN_STUDENTS))
def test_issue11_item1_onnx_parity_with_nan_rows(kind, n_classes, temperature):
    factory, strategy, name = NAN_STUDENTS[kind]
    X, y, X_eval = _nan_data(n_classes)
    model = DistilledClassifier(
        _teacher(n_classes),
        factory(),
        temperature=temperature,
        strategy=strategy,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        model.fit(X, y)
    assert model.strategy_.name == name
    label, proba = _run(to_onnx(model, X[:5]), X_eval)
    _assert_nan_rows_present(X_eval)
    np.testing.assert_array_equal(label, model.predict(X_eval))
    assert np.abs(proba - model.predict_proba(X_eval)).max() <= 1e-5


#: Bare students (classifiers and regressors) fitted on NaN: id -> factory.
BARE_STUDENTS = {
    "tree-classifier": lambda: DecisionTreeClassifier(max_depth=6, random_state=0),
    "tree-regressor": lambda: DecisionTreeRegressor(max_depth=6, random_state=0),
    "forest-regressor": lambda: RandomForestRegressor(
        n_estimators=4, max_depth=5, random_state=0
    ),
    "hist-classifier": lambda: HistGradientBoostingClassifier(max_iter=8),
    "hist-regressor": lambda: HistGradientBoostingRegressor(max_iter=8),
    "imputer-logistic": lambda: make_pipeline(
        SimpleImputer(), LogisticRegression(max_iter=500)
    ),
    "imputer-tree": lambda: make_pipeline(
        SimpleImputer(strategy="median"), DecisionTreeClassifier(max_depth=5)
    ),
    "lightgbm-regressor": lambda: _lightgbm("Regressor"),
    "xgboost-regressor": lambda: _xgboost("Regressor"),
}


@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multiclass"])
@pytest.mark.parametrize("kind", list(BARE_STUDENTS))
def test_issue11_item1_onnx_parity_with_nan_rows_bare_student(kind, n_classes):
    X, y, X_eval = _nan_data(n_classes)
    student = BARE_STUDENTS[kind]().fit(X, y)
    outputs = _run(to_onnx(student, X[:5]), X_eval)
    if hasattr(student, "predict_proba"):
        label, proba = outputs
        np.testing.assert_array_equal(label, student.predict(X_eval))
        assert np.abs(proba - student.predict_proba(X_eval)).max() <= 1e-5
    else:
        np.testing.assert_allclose(
            outputs[0], student.predict(X_eval), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize(
    "student",
    [
        DecisionTreeRegressor(max_depth=6),
        ExtraTreesRegressor(n_estimators=4, max_depth=5),
        HistGradientBoostingRegressor(max_iter=8),
        "lightgbm",
        "xgboost",
    ],
    ids=["tree", "extra-trees", "hist-gradient-boosting", "lightgbm", "xgboost"],
)
def test_issue11_item1_onnx_parity_with_nan_rows_distilled_regressor(student):
    if student == "lightgbm":
        student = _lightgbm("Regressor")
    elif student == "xgboost":
        student = _xgboost("Regressor")
    X, _, X_eval = _nan_data(3)
    rng = np.random.default_rng(0)
    y = np.nan_to_num(X[:, 0]) * 3 + np.nan_to_num(X[:, 3]) + rng.normal(size=len(X))
    teacher = HistGradientBoostingRegressor(max_iter=20).fit(X, y)
    model = DistilledRegressor(teacher, student, random_state=0).fit(X, y)
    (predictions,) = _run(to_onnx(model, X[:5]), X_eval)
    np.testing.assert_allclose(predictions, model.predict(X_eval), rtol=1e-5, atol=1e-5)


def test_issue11_item1_graph_carries_each_nodes_missing_value_branch():
    """The tree node attribute itself: 1 exactly where scikit-learn goes left."""
    X, y, _ = _nan_data(3)
    student = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y)
    onx = to_onnx(student, X[:5])
    (node,) = [n for n in onx.graph.node if n.op_type == "TreeEnsembleClassifier"]
    attributes = {a.name: a for a in node.attribute}
    node_ids = np.array(attributes["nodes_nodeids"].ints)
    modes = [m.decode() for m in attributes["nodes_modes"].strings]
    tracks = np.array(attributes["nodes_missing_value_tracks_true"].ints)
    branch = np.array([mode != "LEAF" for mode in modes])
    expected = student.tree_.missing_go_to_left[node_ids[branch]]
    np.testing.assert_array_equal(tracks[branch], expected)
    assert 0 < expected.sum() < len(expected)  # both directions occur


@pytest.mark.parametrize(
    "student",
    ["tree", "hist-gradient-boosting", "lightgbm", "xgboost"],
)
def test_issue11_item1_float32_thresholds_reproduce_float64_comparisons(student):
    """Values one float32 step apart: each threshold lies between two of them, and
    the graph's float32 threshold must send both where the student does."""
    rng = np.random.default_rng(0)
    base = np.float32(0.1) + np.arange(12, dtype=np.float32) * np.spacing(np.float32(0.1))
    X = rng.choice(base, size=(600, 2)).astype(np.float64)
    y = (X[:, 0] > base[5]).astype(int) ^ (rng.random(600) < 0.1)
    student = {
        "tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
        "hist-gradient-boosting": lambda: HistGradientBoostingClassifier(max_iter=5),
        "lightgbm": lambda: _lightgbm(min_child_samples=5),
        "xgboost": _xgboost,
    }[student]().fit(X, y)
    label, proba = _run(to_onnx(student, X[:5]), X)
    np.testing.assert_array_equal(label, student.predict(X))
    assert np.abs(proba - student.predict_proba(X)).max() <= 1e-5


def test_issue11_item1_user_models_and_global_converters_untouched():
    """The exact converters are passed for one conversion only."""
    import skl2onnx
    from skl2onnx.common._registration import get_converter

    alias = skl2onnx.get_model_alias(DecisionTreeClassifier)
    before = get_converter(alias)
    X, y, _ = _nan_data(2)
    student = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    tree_before = student.tree_.__getstate__()["nodes"].copy()
    to_onnx(student, X[:5])
    assert get_converter(alias) is before
    np.testing.assert_array_equal(student.tree_.__getstate__()["nodes"], tree_before)


# -- refused: what ONNX tree ensembles cannot express -----------------------------------


def _categorical_frame(n_classes=2):
    pd = pytest.importorskip("pandas")
    X, y, _ = _nan_data(n_classes)
    frame = pd.DataFrame(X[:, 3:], columns=["a", "b", "c"])
    codes = (y + np.arange(len(y)) % 2).astype(int)  # strongly tied to the label
    frame["colour"] = pd.Categorical(np.array(["red", "green", "blue", "grey"])[codes])
    return frame, y


#: Students whose fitted routing ONNX cannot express: id -> (factory, data, match).
REFUSED = {
    "lightgbm-zero-as-missing": (
        lambda: _lightgbm(zero_as_missing=True),
        "nan",
        r"zero_as_missing=True.*Fit the student with zero_as_missing=False",
    ),
    "lightgbm-categorical": (
        lambda: _lightgbm(min_data_per_group=5, cat_smooth=1.0),
        "categorical",
        r"LGBMClassifier has categorical splits.*without categorical_feature",
    ),
    "lightgbm-linear-tree": (
        lambda: _lightgbm("Regressor", linear_tree=True),
        "nan",
        r"linear_tree=True.*Fit the student with linear_tree=False",
    ),
    "xgboost-missing-zero": (
        lambda: _xgboost(missing=0.0),
        "nan",
        r"treats the value 0.0 as missing.*missing=np.nan",
    ),
    "xgboost-categorical": (
        lambda: _xgboost(enable_categorical=True, max_cat_to_onehot=1),
        "categorical",
        r"XGBClassifier has categorical splits.*enable_categorical=False",
    ),
    "hist-categorical": (
        lambda: HistGradientBoostingClassifier(max_iter=5, categorical_features=[3]),
        "categorical-codes",
        r"has categorical features.*categorical_features=None",
    ),
    "hist-categorical-from-dtype": (
        lambda: HistGradientBoostingClassifier(max_iter=5),
        "categorical",
        r"has categorical features.*categorical_features=None",
    ),
    "hist-poisson": (
        lambda: HistGradientBoostingRegressor(max_iter=5, loss="poisson"),
        "positive",
        r"loss='poisson'.*exponential link.*loss='squared_error'",
    ),
}


def _refused_data(kind):
    if kind.startswith("categorical"):
        frame, y = _categorical_frame()
        if kind == "categorical-codes":
            frame = _numeric(frame)
        return frame, y
    X, y, _ = _nan_data(2)
    if kind == "positive":
        return np.nan_to_num(np.abs(X)), y + 1.0
    return X, y


@pytest.mark.parametrize("kind", list(REFUSED))
def test_issue11_item1_inexact_routing_is_refused(kind):
    factory, data, match = REFUSED[kind]
    X, y = _refused_data(data)
    student = factory().fit(X, y)
    with pytest.raises(ValueError, match=match):
        to_onnx(student, _numeric(X[:5]))


def _numeric(X):
    """Rows as floats (categories as their codes), what X_sample takes."""
    if isinstance(X, np.ndarray):
        return X
    codes = {c: X[c].cat.codes for c in X.columns if X[c].dtype == "category"}
    return X.assign(**codes).to_numpy(dtype=np.float64)


@pytest.mark.parametrize(
    "kind",
    [
        "lightgbm-zero-as-missing",
        "lightgbm-linear-tree",
        "xgboost-missing-zero",
        "hist-categorical",
        "hist-poisson",
    ],
)
def test_issue11_item1_inexact_parameters_are_refused_before_fitting(kind):
    factory, _, match = REFUSED[kind]
    student = factory()
    with pytest.raises(ValueError, match=match):
        check_onnx_exportable(student)
    if "Regressor" not in type(student).__name__:
        teacher = LogisticRegression()
        with pytest.raises(ValueError, match=match):
            check_onnx_exportable(DistilledClassifier(teacher, student))
    assert not hasattr(student, "n_features_in_")  # nothing was fitted


# -- item 6: XGBoost students fitted on named columns -----------------------------------


@pytest.mark.parametrize(
    "columns",
    [
        ["PAY_0", "LIMIT BAL", "AGE", "x_1", "f0", "BILL_AMT1"],
        ["f5", "f4", "f3", "f2", "f1", "f0"],
    ],
    ids=["real-names", "misleading-f-names"],
)
def test_issue11_item6_xgboost_student_with_column_names(columns):
    pd = pytest.importorskip("pandas")
    X, y, X_eval = _nan_data(3)
    frame = pd.DataFrame(X, columns=columns)
    teacher = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(frame, y)
    model = DistilledClassifier(teacher, _xgboost(), random_state=0)
    model.fit(frame, y)
    booster = model.student_.get_booster()
    assert booster.feature_names == columns
    label, proba = _run(to_onnx(model, X[:5]), X_eval)
    frame_eval = pd.DataFrame(X_eval, columns=columns)
    np.testing.assert_array_equal(label, model.predict(frame_eval))
    assert np.abs(proba - model.predict_proba(frame_eval)).max() <= 1e-5
    assert booster.feature_names == columns  # the user's model keeps its names
    assert model.student_.get_booster() is booster


def test_issue11_item6_xgboost_regressor_with_column_names():
    pd = pytest.importorskip("pandas")
    X, y, X_eval = _nan_data(2)
    frame = pd.DataFrame(X, columns=["PAY_0", "LIMIT BAL", "AGE", "A", "B", "C"])
    student = _xgboost("Regressor").fit(frame, y.astype(float))
    (predictions,) = _run(to_onnx(student, X[:5]), X_eval)
    expected = student.predict(pd.DataFrame(X_eval, columns=frame.columns))
    np.testing.assert_allclose(predictions, expected, rtol=1e-5, atol=1e-6)


# -- the check before fitting -----------------------------------------------------------


class _CustomStrategy(BaseStrategy):
    name = "custom"

    @classmethod
    def accepts(cls, student):
        return False


@pytest.mark.parametrize(
    "student",
    [
        None,
        make_pipeline(SimpleImputer(), LogisticRegression()),
        DecisionTreeRegressor(),
        HistGradientBoostingClassifier(),
        "lightgbm",
        "xgboost",
    ],
    ids=["default", "pipeline", "regress", "hist", "lightgbm", "xgboost"],
)
def test_check_onnx_exportable_accepts_what_to_onnx_exports(student):
    if student == "lightgbm":
        student = _lightgbm()
    elif student == "xgboost":
        student = _xgboost(missing=np.nan)
    model = DistilledClassifier(LogisticRegression(), student)
    assert check_onnx_exportable(model) is None
    assert not hasattr(model, "student_")


def test_check_onnx_exportable_refuses_what_to_onnx_refuses():
    from sklearn.semi_supervised import LabelSpreading

    teacher = LogisticRegression()
    with pytest.raises(TypeError, match="skl2onnx has no converter for the student"):
        check_onnx_exportable(DistilledClassifier(teacher, LabelSpreading()))
    with pytest.raises(TypeError, match="no converter for the student LabelSpreading"):
        check_onnx_exportable(
            DistilledClassifier(teacher, make_pipeline(SimpleImputer(), LabelSpreading()))
        )
    with pytest.raises(TypeError, match="No ONNX export for the strategy _Custom"):
        check_onnx_exportable(
            DistilledClassifier(
                teacher, DecisionTreeClassifier(), strategy=_CustomStrategy()
            )
        )


# -- student_features: the graph feeds the student its own columns ------------------------


@pytest.mark.parametrize(
    "student",
    [DecisionTreeClassifier(max_depth=4), RidgeClassifier(), "skorch"],
    ids=["tree", "without-predict-proba", "skorch"],
)
def test_onnx_student_features_select_the_students_columns(student):
    if student == "skorch":
        student = skorch_net(3, 3, max_epochs=5)
    X, y, _ = _nan_data(3)
    X = np.nan_to_num(X).astype(np.float32)  # float32: what a skorch net takes
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    model = DistilledClassifier(
        teacher, student, student_features=[4, 0, 2], random_state=0
    ).fit(X, y)
    onx = to_onnx(model, X[:5])
    assert onx.graph.input[0].type.tensor_type.shape.dim[1].dim_value == X.shape[1]
    outputs = _run(onx, X)
    np.testing.assert_array_equal(outputs[0], model.predict(X))
    if len(outputs) == 2:
        assert np.abs(outputs[1] - model.predict_proba(X)).max() <= 1e-5


def test_issue11_item1_unrecognised_tree_nodes_are_refused_not_guessed():
    """Nodes the routing cannot be matched to (another converter's numbering) stop
    the export instead of keeping skl2onnx's NaN-goes-right default."""
    from skdistill.export._onnx_trees import InexactConversionError, _route

    X, y, _ = _nan_data(2)
    student = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    attrs = {
        "nodes_treeids": [1],  # a tree the student does not have
        "nodes_nodeids": [0],
        "nodes_modes": ["BRANCH_LEQ"],
        "nodes_values": [0.5],
    }
    trees = {0: (student.tree_.missing_go_to_left, student.tree_.threshold)}
    with pytest.raises(InexactConversionError, match="refused rather than possibly"):
        _route(attrs, trees, student)
