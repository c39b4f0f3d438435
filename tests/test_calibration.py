"""Probabilities at temperature 1 (issue 11, items 3 and 4).

A student trained on targets softened at temperature ``T`` is mapped back to
temperature 1 by ``softmax(s * logits)``. Hinton et al.'s ``s = T`` made a weak
student over-confident (digits, depth-6 tree at T=10: 0.98 confidence at 76%
accuracy, ECE 0.22); ``s`` is now fitted on the student's out-of-fold outputs. The
requirement: on held-out rows, the ECE is no worse than the worse of the teacher's
and the hard-label student's by more than 0.01, in every mode.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import UNLABELED, DistilledClassifier
from skdistill.report import expected_calibration_error
from skdistill.transfer import GaussianJitter

TOLERANCE = 0.01


def _splits(X, y, seed):
    """Teacher rows, student rows and held-out rows (40/30/30)."""
    X_teacher, X_rest, y_teacher, y_rest = train_test_split(
        X, y, test_size=0.6, random_state=seed, stratify=y
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=seed, stratify=y_rest
    )
    return (X_teacher, y_teacher), (X_train, y_train), (X_test, y_test)


@pytest.fixture(scope="module")
def digits_setup():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float64), y


@pytest.fixture(scope="module")
def imbalanced_setup():
    X, y = make_classification(
        3000, 20, n_informative=8, weights=[0.9], flip_y=0.05, random_state=0
    )
    return X, y


def _mean_ece(X, y, make_model, seeds=(0, 1, 2)):
    """Held-out ECE of the teacher, the hard-label student and the distilled one."""
    eces = []
    for seed in seeds:
        (X_t, y_t), (X_tr, y_tr), (X_te, y_te) = _splits(X, y, seed)
        teacher = HistGradientBoostingClassifier(max_iter=60, random_state=seed)
        teacher.fit(X_t, y_t)
        model, y_fit = make_model(teacher, X_tr, y_tr, seed)
        hard = DecisionTreeClassifier(max_depth=6, random_state=seed).fit(X_tr, y_tr)
        eces.append(
            [
                expected_calibration_error(y_te, teacher.predict_proba(X_te)),
                expected_calibration_error(y_te, hard.predict_proba(X_te)),
                expected_calibration_error(y_te, model.predict_proba(X_te)),
            ]
        )
    return np.mean(eces, axis=0)


def _tree(teacher, seed, **params):
    return DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=6), random_state=seed, **params
    )


def test_issue11_item3_weak_student_at_high_temperature_is_calibrated(digits_setup):
    """Digits, depth-6 tree at T=10, alpha=1: was ECE 0.22 (hard 0.12, teacher 0.03)."""
    X, y = digits_setup

    def make(teacher, X_tr, y_tr, seed):
        return _tree(teacher, seed, temperature=10.0, alpha=1.0).fit(X_tr, y_tr), y_tr

    teacher_ece, hard_ece, ece = _mean_ece(X, y, make)
    assert ece <= max(teacher_ece, hard_ece) + TOLERANCE, (teacher_ece, hard_ece, ece)


@pytest.mark.parametrize(
    "mode",
    ["labeled", "unlabeled_80", "transfer_alpha_0", "transfer_alpha_half"],
)
def test_issue11_item3_imbalanced_binary_modes_are_calibrated(imbalanced_setup, mode):
    """Imbalanced binary (10% positives), depth-6 tree at T=10: was ECE 0.06 (labeled,
    alpha=1) and 0.14-0.16 with 80% unlabeled rows or a transfer set at alpha=0."""
    X, y = imbalanced_setup

    def make(teacher, X_tr, y_tr, seed):
        if mode == "labeled":
            model = _tree(teacher, seed, temperature=10.0, alpha=1.0)
            return model.fit(X_tr, y_tr), y_tr
        if mode == "unlabeled_80":
            rng = np.random.RandomState(seed)
            y_semi = np.where(rng.rand(len(y_tr)) < 0.2, y_tr, UNLABELED)
            model = _tree(
                teacher, seed, temperature=10.0, alpha=0.5, unlabeled_label=UNLABELED
            )
            return model.fit(X_tr, y_semi), y_semi
        alpha = 0.0 if mode == "transfer_alpha_0" else 0.5
        model = _tree(
            teacher,
            seed,
            temperature=10.0,
            alpha=alpha,
            transfer_set=GaussianJitter(size=2.0),
        )
        return model.fit(X_tr, y_tr), y_tr

    teacher_ece, hard_ece, ece = _mean_ece(X, y, make)
    assert ece <= max(teacher_ece, hard_ece) + TOLERANCE, (teacher_ece, hard_ece, ece)


def test_issue11_item3_mean_predicted_rate_follows_the_base_rate(imbalanced_setup):
    """Was 0.072 against a base rate of 0.108 (alpha=1), 0.23-0.25 with unlabeled rows.
    (Here the teacher itself under-predicts: 0.076 against 0.119.)"""
    X, y = imbalanced_setup
    (X_t, y_t), (X_tr, y_tr), (X_te, y_te) = _splits(X, y, 0)
    teacher = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(X_t, y_t)
    y_semi = np.where(np.random.RandomState(0).rand(len(y_tr)) < 0.2, y_tr, UNLABELED)
    base, teacher_rate = y_te.mean(), teacher.predict_proba(X_te)[:, 1].mean()
    for alpha in (0.5, 1.0):
        model = _tree(
            teacher, 0, temperature=10.0, alpha=alpha, unlabeled_label=UNLABELED
        ).fit(X_tr, y_semi)
        rate = model.predict_proba(X_te)[:, 1].mean()
        # the student learns the teacher's rate (weight alpha) and the labels'
        low, high = sorted([base, teacher_rate])
        assert low - 0.01 < rate < high + 0.01, (alpha, rate, base, teacher_rate)


def test_issue11_item3_scale_is_continuous_in_alpha(imbalanced_setup):
    """alpha=0 is the hard-label student (no map); a little alpha changes a little."""
    X, y = imbalanced_setup
    (X_t, y_t), (X_tr, y_tr), (X_te, _) = _splits(X, y, 0)
    teacher = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(X_t, y_t)
    y_semi = np.where(np.random.RandomState(0).rand(len(y_tr)) < 0.2, y_tr, UNLABELED)
    probas = {}
    for alpha in (0.0, 0.01):
        model = _tree(
            teacher, 0, temperature=10.0, alpha=alpha, unlabeled_label=UNLABELED
        ).fit(X_tr, y_semi)
        probas[alpha] = model.predict_proba(X_te)[:, 1]
    assert abs(probas[0.0].mean() - probas[0.01].mean()) < 0.02


def test_calibration_cv_train_needs_no_extra_fits(cancer):
    """calibration_cv='train' fits the scale on the student's own training outputs."""
    X, y = cancer
    teacher = LogisticRegression(max_iter=5000).fit(X, y)
    fits = []

    class Counting(DecisionTreeClassifier):
        def fit(self, X, y, sample_weight=None):
            fits.append(len(X))
            return super().fit(X, y, sample_weight=sample_weight)

    model = DistilledClassifier(
        teacher, Counting(max_depth=3), temperature=4.0, calibration_cv="train"
    ).fit(X, y)
    assert len(fits) == 1
    assert model.strategy_.output_scale_ > 0
    fits.clear()
    clone(model).set_params(calibration_cv=4).fit(X, y)
    assert len(fits) == 1 + 4
    fits.clear()
    clone(model).set_params(alpha=0.0, calibration_cv=4).fit(X, y)
    assert len(fits) == 1  # the hard-label student has no teacher targets to map


def test_calibration_cv_with_too_few_rows_warns_and_fits_on_the_training_rows():
    from skdistill import DistillationWarning

    X, y = load_breast_cancer(return_X_y=True)
    teacher = LogisticRegression(max_iter=5000).fit(X, y)
    with pytest.warns(DistillationWarning, match="calibration_cv=5 needs at least 10"):
        DistilledClassifier(teacher, temperature=3.0).fit(X[:9], y[:9])


# -- item 4: temperatures ----------------------------------------------------------


@pytest.mark.parametrize(
    "temperature", [0.0, -1.0, 0.5, 1e-3, 1e-5, 1e-30, 1e-300, 101.0, np.inf, np.nan]
)
def test_issue11_item4_temperature_outside_the_documented_range_is_refused(
    cancer, temperature
):
    """Was: 1e-3..1e-5 collapsed predict_proba to ~0.5, 1e-20..1e-300 gave a
    chance-level model with exit 0. Below 1 the targets only sharpen towards the
    teacher's hard labels; the accepted range is [1, 100]."""
    X, y = cancer
    teacher = LogisticRegression(max_iter=5000).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"temperature.*\[1\.0, 100\.0\]"):
        DistilledClassifier(teacher, temperature=temperature).fit(X, y)


STUDENTS = {
    "tree": lambda: DecisionTreeClassifier(max_depth=4),
    "regress": lambda: DecisionTreeRegressor(max_depth=4),
    "logreg": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
}


@pytest.mark.parametrize("temperature", [1.0, 20.0, 100.0])
@pytest.mark.parametrize("student", list(STUDENTS))
def test_issue11_item4_extreme_temperatures_give_sound_probabilities(
    cancer, student, temperature
):
    """At both ends of the range: finite probabilities that sum to 1, predict is
    their argmax, accuracy and calibration close to those at T=1."""
    X, y = cancer
    (X_t, y_t), (X_train, y_train), (X_test, y_test) = _splits(X, y, 0)
    teacher = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_t, y_t)
    model = DistilledClassifier(
        teacher, STUDENTS[student](), temperature=temperature, alpha=1.0, random_state=0
    ).fit(X_train, y_train)
    proba = model.predict_proba(X_test)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        model.classes_[proba.argmax(axis=1)], model.predict(X_test)
    )
    baseline = clone(model).set_params(temperature=1.0).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= baseline.score(X_test, y_test) - 0.05
    assert expected_calibration_error(y_test, proba) < 0.1


def test_soften_is_stable_for_any_positive_temperature():
    from skdistill._targets import SoftTargets, soften

    logits = np.array([[0.0, 1e-8, -3.0], [1e3, 1e3, -1e3]])
    soft = soften(logits, 1e-300)
    np.testing.assert_array_equal(soft, [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    targets = SoftTargets(logits, np.array([0, -1]), np.arange(3), 1e-300, 0.5)
    assert np.isfinite(targets.log_proba).all()
    np.testing.assert_allclose(np.exp(targets.log_proba).sum(axis=1), 1.0, atol=1e-8)
