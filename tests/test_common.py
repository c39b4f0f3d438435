"""scikit-learn's own estimator checks, over several teacher/student pairs.

The teachers are unfitted so that the checks, which fit on their own data, can have
them fitted inside ``fit`` (the leak-free path); prefit teachers are covered by
``test_teacher_contract.py``.
"""

from sklearn.ensemble import (
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdistill import (
    BornAgainClassifier,
    DistilledClassifier,
    DistilledRegressor,
    TeacherEnsemble,
)
from skdistill.frontier import CompressionSearch
from skdistill.strategies import ExpandStrategy, RegressStrategy
from skdistill.utils._discovery import all_estimators

# A tree student splits on exact values, so the last-bit differences between a teacher
# fitted with weights and one fitted on repeated rows can move a split.
TREE_SW = "tree splits move with last-bit changes of the blended targets"
_TREE_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": TREE_SW,
    "check_sample_weight_equivalence_on_sparse_data": TREE_SW,
}

ESTIMATORS = [
    DistilledClassifier(LogisticRegression(), DecisionTreeClassifier(max_depth=3)),
    DistilledClassifier(
        RandomForestClassifier(n_estimators=5),
        DecisionTreeRegressor(max_depth=3),
        temperature=2.0,
    ),
    DistilledClassifier(
        LogisticRegression(),
        make_pipeline(StandardScaler(), LogisticRegression()),
        strategy=ExpandStrategy(top_k=2),
        alpha=0.8,
    ),
    DistilledClassifier(
        RandomForestClassifier(n_estimators=5),
        HistGradientBoostingRegressor(max_iter=5),
        strategy=RegressStrategy(target="proba"),
    ),
    DistilledRegressor(Ridge(), DecisionTreeRegressor(max_depth=3)),
    DistilledRegressor(RandomForestRegressor(n_estimators=5), Ridge(), alpha=0.3),
    BornAgainClassifier(DecisionTreeClassifier(max_depth=3), n_generations=2),
    BornAgainClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()),
        n_generations=1,
        temperature=2.0,
        teacher=RandomForestClassifier(n_estimators=5),
    ),
    TeacherEnsemble(
        [("linear", LogisticRegression()), ("tree", DecisionTreeClassifier(max_depth=3))],
        weights=[2, 1],
    ),
    CompressionSearch(
        LogisticRegression(),
        [DecisionTreeClassifier(max_depth=2)],
        scoring="accuracy",
        cost="size",
        param_grid={"alpha": [1.0]},
        cv=2,
        tolerance=0.5,
        n_resamples=20,
    ),
]


def _expected_failures(estimator):
    return _student_failures(estimator)


def _student_failures(estimator):
    if isinstance(estimator, TeacherEnsemble):
        return _TREE_XFAIL  # one of its members is a tree
    if isinstance(estimator, BornAgainClassifier):
        # The validation split draws rows: a row repeated twice can land on both sides,
        # a row of weight 2 on one only.
        reason = "the validation split draws rows, not weight"
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    if isinstance(estimator, CompressionSearch):
        return {}  # fit takes no sample_weight: the weight checks do not apply
    student = estimator.student
    if isinstance(student, DecisionTreeClassifier | DecisionTreeRegressor):
        return _TREE_XFAIL
    if isinstance(student, Pipeline):
        # The scaler of the student pipeline sees the expanded rows without weights.
        return {
            "check_sample_weight_equivalence_on_dense_data": "scaler ignores weights",
            "check_sample_weight_equivalence_on_sparse_data": "scaler ignores weights",
        }
    if isinstance(student, HistGradientBoostingRegressor):
        # HistGradientBoosting bins features by quantiles of the (unweighted) rows.
        return {
            "check_sample_weight_equivalence_on_dense_data": "HGB binning ignores weights",
        }
    if isinstance(estimator.teacher, RandomForestRegressor):
        # Bootstrap resampling: weights and repeated rows draw different samples.
        return {
            "check_sample_weight_equivalence_on_dense_data": "bootstrapped teacher",
            "check_sample_weight_equivalence_on_sparse_data": "bootstrapped teacher",
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_checks_cover_every_public_estimator():
    """A new public estimator (discovered from the public modules' ``__all__``) must
    be added to ESTIMATORS."""
    public = {name for name, _ in all_estimators(["classifier", "regressor"])}
    checked = {type(est).__name__ for est in ESTIMATORS}
    checked.add("MutualDistillationClassifier")  # needs torch: tests/test_mutual.py
    assert public == checked
