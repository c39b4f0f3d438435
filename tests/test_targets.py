"""Property tests of the target maths (hypothesis) and of the row expansion."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skdistill._targets import (
    blend,
    log_blend,
    log_clip,
    log_softmax,
    one_hot,
    soften,
    softmax,
)
from skdistill.strategies._expand import expand

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw):
    """Logits, labels (some unlabeled), temperature and alpha of a random problem."""
    n = draw(st.integers(1, 20))
    k = draw(st.integers(2, 6))
    logits = draw(arrays(np.float64, (n, k), elements=finite))
    y = draw(arrays(np.int64, (n,), elements=st.integers(-1, k - 1)))
    temperature = draw(st.floats(0.05, 100))
    alpha = draw(st.floats(0, 1))
    return logits, y, temperature, alpha


@settings(max_examples=200, deadline=None)
@given(problems())
def test_blended_rows_are_distributions(problem):
    logits, y, temperature, alpha = problem
    q = blend(soften(logits, temperature), y, alpha)
    assert np.all(q >= 0)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(problems())
def test_alpha_zero_gives_one_hot_for_labeled_rows(problem):
    logits, y, temperature, _ = problem
    q = blend(soften(logits, temperature), y, 0.0)
    labeled = y >= 0
    np.testing.assert_array_equal(q[labeled], one_hot(y[labeled], logits.shape[1]))
    # unlabeled rows keep the teacher's soft targets whatever alpha
    np.testing.assert_allclose(q[~labeled], soften(logits[~labeled], temperature))


@settings(max_examples=100, deadline=None)
@given(problems())
def test_alpha_one_temperature_one_reproduces_teacher(problem):
    logits, y, _, _ = problem
    proba = softmax(logits)
    np.testing.assert_allclose(blend(soften(logits, 1.0), y, 1.0), proba, atol=1e-12)
    # and the teacher's probabilities are recovered from clipped log-probabilities
    np.testing.assert_allclose(softmax(log_clip(proba)), proba, atol=1e-8)


@settings(max_examples=100, deadline=None)
@given(problems(), st.floats(-1e3, 1e3))
def test_shift_invariance(problem, shift):
    logits, _, temperature, _ = problem
    np.testing.assert_allclose(
        soften(logits + shift, temperature), soften(logits, temperature), atol=1e-9
    )


@settings(max_examples=50, deadline=None)
@given(problems())
def test_large_temperature_tends_to_uniform(problem):
    logits, _, _, _ = problem
    k = logits.shape[1]
    np.testing.assert_allclose(soften(logits, 1e6), 1.0 / k, atol=1e-4)


def test_softmax_is_stable_at_low_temperature():
    p = soften(np.array([[1000.0, 0.0, -1000.0]]), 1e-3)
    np.testing.assert_array_equal(p, [[1.0, 0.0, 0.0]])


@settings(max_examples=200, deadline=None)
@given(problems(), st.data())
def test_expanded_weights_reproduce_q(problem, data):
    logits, y, temperature, alpha = problem
    n, k = logits.shape
    q = blend(soften(logits, temperature), y, alpha)
    weight = data.draw(arrays(np.float64, (n,), elements=st.floats(0.01, 10)))
    rows, labels, w = expand(q, weight)
    rebuilt = np.zeros_like(q)
    np.add.at(rebuilt, (rows, labels), w)
    np.testing.assert_allclose(rebuilt, q * weight[:, None], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(np.bincount(rows, w, minlength=n), weight, rtol=1e-9)


@settings(max_examples=100, deadline=None)
@given(problems(), st.integers(1, 6))
def test_top_k_bounds_growth_and_keeps_row_mass(problem, top_k):
    logits, y, temperature, alpha = problem
    n, k = logits.shape
    q = blend(soften(logits, temperature), y, alpha)
    rows, _, w = expand(q, None, top_k=top_k)
    assert len(rows) <= n * min(top_k, k)
    np.testing.assert_allclose(np.bincount(rows, w, minlength=n), 1.0, rtol=1e-9)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_log_blend_matches_log_of_blend(problem):
    logits, y, temperature, alpha = problem
    q = blend(soften(logits, temperature), y, alpha)
    log_q = log_blend(log_softmax(logits / temperature), y, alpha)
    big = q > 1e-6
    np.testing.assert_allclose(log_q[big], np.log(q[big]), rtol=1e-9, atol=1e-9)
    assert np.all(np.isfinite(log_q))
