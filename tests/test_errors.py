"""Every bad input gets an error that names the problem and the fix."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import DistilledClassifier, DistilledRegressor


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def teacher(data):
    return LogisticRegression().fit(*data)


class _InfTeacher(ClassifierMixin, BaseEstimator):
    """A fitted teacher whose margins blow up."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X):
        return np.full(len(X), np.inf)

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


class _NoWeights(ClassifierMixin, BaseEstimator):
    """A classifier whose fit takes no sample_weight."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


@pytest.mark.parametrize(
    "params, exc, match",
    [
        ({"alpha": 1.5}, InvalidParameterError, "alpha"),
        ({"alpha": -0.1}, InvalidParameterError, "alpha"),
        ({"temperature": 0}, InvalidParameterError, "temperature"),
        ({"temperature": -2.0}, InvalidParameterError, "temperature"),
        ({"strategy": "nope"}, InvalidParameterError, "strategy"),
        ({"response_method": "predict"}, InvalidParameterError, "response_method"),
    ],
    ids=["alpha>1", "alpha<0", "T=0", "T<0", "strategy", "response"],
)
def test_invalid_parameters(data, teacher, params, exc, match):
    with pytest.raises(exc, match=match):
        DistilledClassifier(teacher, **params).fit(*data)


def test_teacher_without_probabilities(data):
    X, y = data

    class Hard(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.unique(y)
            return self

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    with pytest.raises(TypeError, match="neither predict_proba nor decision_function.*Cal"):
        DistilledClassifier(Hard().fit(X, y)).fit(X, y)
    # a margin is enough
    DistilledClassifier(SVC().fit(X, y)).fit(X, y)


def test_forced_response_method_missing(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="no decision_function method.*'auto'"):
        DistilledClassifier(forest, response_method="decision_function").fit(X, y)


def test_teacher_feature_count_mismatch(data, teacher):
    X, y = data
    with pytest.raises(ValueError, match="fitted on 4 features but X has 3"):
        DistilledClassifier(teacher).fit(X[:, :3], y)


def test_teacher_feature_names_mismatch(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    teacher = LogisticRegression().fit(frame, y)
    renamed = frame.rename(columns={"d": "z"})
    with pytest.raises(ValueError, match=r"missing \['d'\].*unexpected \['z'\]"):
        DistilledClassifier(teacher).fit(renamed, y)
    with pytest.raises(ValueError, match="same names in another order"):
        DistilledClassifier(teacher).fit(frame[["b", "a", "c", "d"]], y)


def test_label_unknown_to_teacher(data, teacher):
    X, y = data
    with pytest.raises(ValueError, match=r"label\(s\) 7 that the teacher.*\[0, 1\]"):
        DistilledClassifier(teacher).fit(X, np.where(y == 1, 7, 0))
    with pytest.raises(ValueError, match="dtype"):
        DistilledClassifier(teacher).fit(X, np.where(y == 1, "yes", "no"))


def test_student_without_sample_weight(data, teacher):
    X, y = data
    with pytest.raises(TypeError, match="does not accept sample_weight.*'regress'"):
        DistilledClassifier(teacher, _NoWeights()).fit(X, y)


def test_student_that_is_neither_classifier_nor_regressor(data, teacher):
    X, y = data
    with pytest.raises(TypeError, match="No strategy accepts the student KMeans"):
        DistilledClassifier(teacher, KMeans(n_clusters=2, n_init=1)).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'student'.*'fit' and 'predict'"):
        DistilledClassifier(teacher, StandardScaler()).fit(X, y)


def test_non_finite_teacher_outputs(data):
    X, y = data
    with pytest.raises(ValueError, match="NaN or infinite values for 60 row"):
        DistilledClassifier(_InfTeacher().fit(X, y)).fit(X, y)


def test_nan_in_X_that_the_student_cannot_take(data):
    X, y = data
    X = X.copy()
    X[0, 0] = np.nan
    from sklearn.ensemble import HistGradientBoostingClassifier

    teacher = HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="NaN.*student LogisticRegression.*SimpleImputer"):
        DistilledClassifier(teacher, LogisticRegression()).fit(X, y)
    # a tree student takes NaN
    DistilledClassifier(teacher, DecisionTreeClassifier()).fit(X, y)


def test_infinity_in_X(data, teacher):
    X, y = data
    X = X.copy()
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        DistilledClassifier(teacher).fit(X, y)


def test_single_class_for_a_teacher_fitted_inside_fit(data):
    X, _ = data
    with pytest.raises(ValueError, match="only one class"):
        DistilledClassifier(LogisticRegression()).fit(X, np.ones(len(X), dtype=int))


def test_single_class_is_fine_for_a_fitted_teacher(data, teacher):
    """The fitted teacher knows both classes; its soft targets carry the other one."""
    X, _ = data
    model = DistilledClassifier(teacher, alpha=0.7).fit(X, np.ones(len(X), dtype=int))
    assert_array_equal(model.classes_, [0, 1])
    assert model.predict_proba(X)[:, 0].max() > 0.2


def test_empty_X(teacher):
    with pytest.raises(ValueError, match="0 sample"):
        DistilledClassifier(teacher).fit(np.empty((0, 4)), np.array([]))


def test_predict_before_fit(data, teacher):
    X, _ = data
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(NotFittedError):
            getattr(DistilledClassifier(teacher), method)(X)
    with pytest.raises(NotFittedError):
        DistilledRegressor(Ridge()).predict(X)


def test_frozen_unfitted_teacher(data):
    """FrozenEstimator says "already fitted": an unfitted one inside is an error."""
    from sklearn.frozen import FrozenEstimator

    X, y = data
    with pytest.raises(NotFittedError, match="frozen .* not fitted.*pass it unfrozen"):
        DistilledClassifier(FrozenEstimator(LogisticRegression())).fit(X, y)


def test_predict_feature_count_mismatch(data, teacher):
    X, y = data
    model = DistilledClassifier(teacher).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        model.predict(X[:, :2])


def test_regressor_rejects_classifier_teacher(data, teacher):
    X, y = data
    with pytest.raises(TypeError, match="teacher LogisticRegression is a classifier"):
        DistilledRegressor(teacher).fit(X, y.astype(float))


def test_regressor_shape_mismatch(data):
    X, y = data
    teacher = LinearRegression().fit(X, np.column_stack([y, y]))
    with pytest.raises(
        ValueError, match=r"predicts shape \(60, 2\) but y has shape \(60,\)"
    ):
        DistilledRegressor(teacher).fit(X, y.astype(float))


def test_missing_extra_names_the_install_command(monkeypatch):
    import sys

    from skdistill._compat import optional_import

    monkeypatch.setitem(sys.modules, "xgboost", None)
    with pytest.raises(ImportError, match=r'pip install "skdistill\[xgboost\]"'):
        optional_import("xgboost", purpose="XGBoost students")


#: Frameworks that ``import skdistill`` and its public subpackages must not load
#: (pandas is not one: scikit-learn itself imports it when it is installed).
HEAVY_MODULES = (
    "torch skorch lightgbm xgboost matplotlib onnx onnxruntime skl2onnx onnxmltools "
    "skops treelite tl2cgen tqdm"
).split()


def test_import_skdistill_loads_no_heavy_framework():
    import subprocess
    import sys

    public = ["skdistill", "skdistill.strategies", "skdistill.report"]
    public += [m for m in ("skdistill.transfer", "skdistill.export") if _exists(m)]
    public += ["skdistill.cli"]
    code = (
        f"import sys, {', '.join(public)}; "
        f"print(sorted({set(HEAVY_MODULES)!r} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _exists(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_ovo_decision_function_is_refused(iris):
    X, y = iris
    teacher = SVC(decision_function_shape="ovo").fit(X, y)
    with pytest.raises(ValueError, match="decision_function_shape='ovo'.*'ovr'"):
        DistilledClassifier(teacher).fit(X, y)


def test_teacher_without_sample_weight_warns(data):
    from sklearn.pipeline import make_pipeline

    from skdistill import DistillationWarning

    X, y = data
    teacher = make_pipeline(StandardScaler(), LogisticRegression())
    with pytest.warns(DistillationWarning, match="takes no sample_weight"):
        DistilledClassifier(teacher).fit(X, y, sample_weight=np.ones(len(y)))


def test_strategy_and_student_kind_must_match(data, teacher):
    X, y = data
    with pytest.raises(TypeError, match="'regress' strategy needs a regressor"):
        DistilledClassifier(teacher, DecisionTreeClassifier(), strategy="regress").fit(X, y)
    with pytest.raises(TypeError, match="'expand' strategy needs a classifier"):
        DistilledClassifier(teacher, Ridge(), strategy="expand").fit(X, y)


# -- issue 11, item 10: messages that name the fix ----------------------------------


def test_issue11_item10_negative_sample_weights_are_refused(data, teacher):
    X, y = data
    weight = np.ones(len(y))
    weight[[3, 7]] = -1.0
    with pytest.raises(ValueError, match=r"2 negative value\(s\) \(rows \[3, 7\]\).*>= 0"):
        DistilledClassifier(teacher).fit(X, y, sample_weight=weight)


class _DuckTeacher:
    """A teacher from another framework: predict and predict_proba, no sklearn base."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_issue11_item10_duck_typed_teacher_without_classes(data):
    X, y = data
    with pytest.raises(TypeError, match="cannot be cloned.*give it classes_"):
        DistilledClassifier(_DuckTeacher()).fit(X, y)  # looks unfitted
    fitted = _DuckTeacher()
    fitted.coef_ = np.zeros(2)  # a fitted attribute, but no classes_
    with pytest.raises(TypeError, match=r"Set teacher.classes_ to the labels"):
        DistilledClassifier(fitted).fit(X, y)
    fitted.classes_ = np.array([0, 1])
    model = DistilledClassifier(fitted, alpha=0.0).fit(X, y)
    assert model.teacher_ is fitted
    assert_array_equal(model.classes_, [0, 1])


@pytest.mark.parametrize("as_frame", [True, False])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_text_column_the_student_cannot_read_names_it_and_the_fix(as_frame, task):
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=120),
            "shop": pd.Categorical(rng.choice(["web", "pos", None], size=120)),
        }
    )
    signal = frame["amount"] + (frame["shop"] == "web")
    if task == "classification":
        y = np.where(signal > 0.3, "fraud", "ok")
        teacher = HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=10
        ).fit(frame, y)
        distiller, tree = DistilledClassifier, DecisionTreeClassifier
    else:
        y = signal.to_numpy()
        teacher = HistGradientBoostingRegressor(
            categorical_features="from_dtype", max_iter=10
        ).fit(frame, y)
        distiller, tree = DistilledRegressor, DecisionTreeRegressor
    X = frame if as_frame else frame.astype(object).to_numpy()
    column = "'shop'" if as_frame else "1"
    with pytest.raises(ValueError, match=r"DecisionTree\w+ could not be fitted") as info:
        distiller(teacher, tree(max_depth=3)).fit(X, y)
    message = str(info.value)
    assert f"non-numeric column(s) [{column}]" in message
    assert "OrdinalEncoder" in message and "student_features" in message
    assert "could not convert string to float" in str(info.value.__cause__)
    # the fix the message names works as written
    encoded = make_pipeline(
        make_column_transformer(
            (
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                ["shop"] if as_frame else [1],
            ),
            remainder="passthrough",
        ),
        tree(max_depth=3),
    )
    assert distiller(teacher, encoded).fit(X, y).predict(X).shape == (120,)


def test_unrelated_student_errors_pass_unchanged(data, teacher):
    X, y = data

    class _Broken(DecisionTreeClassifier):
        def fit(self, X, y, sample_weight=None):
            raise ValueError("the student broke on its own")

    with pytest.raises(ValueError, match="^the student broke on its own$"):
        DistilledClassifier(teacher, _Broken()).fit(X, y)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_frame_with_bool_and_string_category_columns_fits(task):
    """A bool column beside a string category one: scikit-learn's check_array casts
    such a frame to float64 and failed ("Cannot cast str dtype to float64"); the
    distillers check the numeric columns, and still refuse infinity there."""
    pd = pytest.importorskip("pandas")
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=200),
            "online": rng.rand(200) < 0.4,
            "shop": pd.Categorical(rng.choice(["web", "pos", "atm"], size=200)),
        }
    )
    signal = frame["amount"] + frame["online"] + (frame["shop"] == "web")
    kw = dict(n_estimators=10, verbose=-1)
    if task == "classification":
        y = (signal > 0.8).astype(int).to_numpy()
        teacher = lgb.LGBMClassifier(**kw).fit(frame, y)
        model = DistilledClassifier(teacher, lgb.LGBMClassifier(**kw))
    else:
        y = signal.to_numpy(dtype=float)
        teacher = lgb.LGBMRegressor(**kw).fit(frame, y)
        model = DistilledRegressor(teacher, lgb.LGBMRegressor(**kw))
    assert model.fit(frame, y).predict(frame).shape == (200,)
    frame.loc[3, "amount"] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clone(model).fit(frame, y)
