"""Transfer-set generators: the shared contract, then each generator's maths."""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import InvalidParameterError

from skdistill.transfer import (
    MUNGE,
    FunctionSampler,
    GaussianJitter,
    MinorityOversampler,
    Mixup,
    TransferSampler,
    available_transfer_sets,
    resolve_transfer_set,
    transfer_count,
)
from skdistill.transfer._base import _Table
from skdistill.transfer._munge import munge_neighbors, munge_pass, munge_schedule

#: One factory per generator, with the parameters under test.
GENERATORS = {
    "munge": MUNGE,
    "gaussian": GaussianJitter,
    "mixup": Mixup,
    "minority": MinorityOversampler,
}
FAST = settings(max_examples=25, deadline=None)


@pytest.fixture(params=list(GENERATORS), ids=list(GENERATORS))
def make(request):
    """A generator factory: make(**params) -> sampler."""
    return GENERATORS[request.param]


def labels(n_rows):
    """Imbalanced labels with a few unlabeled rows (-1), for every generator."""
    y = np.zeros(n_rows, dtype=int)
    y[::4] = 1
    y[1::9] = -1
    return y


def draw(sampler, X, n, random_state=0, y="auto"):
    if isinstance(y, str):
        y = labels(len(X))
    return sampler.sample(X, n, random_state=random_state, y=y)


@pytest.fixture(scope="module")
def X_num():
    rng = np.random.RandomState(0)
    return rng.normal(size=(40, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, -1.0, 100.0]


@pytest.fixture(scope="module")
def frame():
    rng = np.random.RandomState(0)
    n = 30
    x = rng.normal(size=n)
    x[[3, 17]] = np.nan
    return pd.DataFrame(
        {
            "amount": rng.lognormal(size=n),
            "with_nan": x,
            "count": rng.randint(0, 5, size=n),
            "small": rng.normal(size=n).astype(np.float32),
            "nullable": pd.array(rng.randint(0, 9, size=n), dtype="Int64"),
            "country": pd.Categorical(rng.choice(["fr", "de", "it"], size=n)),
            "channel": rng.choice(["web", "app"], size=n).astype(object),
            "flag": rng.rand(n) < 0.3,
        },
        index=np.arange(100, 100 + n),
    )


# -- The shared contract -------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 40, 95])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_shape_and_dtype(make, X_num, n, dtype):
    X = X_num.astype(dtype)
    out = draw(make(), X, n)
    assert isinstance(out, np.ndarray)
    assert out.shape == (n, X.shape[1])
    assert out.dtype == X.dtype
    assert np.isfinite(out).all()


def test_deterministic_with_random_state(make, X_num):
    first = draw(make(), X_num, 50, random_state=3)
    assert np.array_equal(first, draw(make(), X_num, 50, random_state=3))
    assert not np.array_equal(first, draw(make(), X_num, 50, random_state=4))
    rng = np.random.RandomState(3)
    assert np.array_equal(first, draw(make(), X_num, 50, random_state=rng))


def test_list_input_gives_ndarray(make):
    X = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]
    out = draw(make(), X, 5)
    assert isinstance(out, np.ndarray) and out.shape == (5, 2)


def test_dataframe_round_trip(make, frame):
    out = draw(make(categorical_features="auto"), frame, 45)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(frame.columns)
    assert (out.dtypes == frame.dtypes).all()
    assert isinstance(out.index, pd.RangeIndex) and list(out.index) == list(range(45))
    for column in ["country", "channel", "flag"]:
        assert set(out[column]) <= set(frame[column])
    assert list(out["country"].cat.categories) == list(frame["country"].cat.categories)
    for column in ["amount", "count", "small", "nullable"]:
        assert out[column].notna().all(), column
    assert (out["count"] >= 0).all()


def test_categorical_columns_by_index_name_and_mask(make, frame):
    by_name = make(categorical_features=["country", "channel", "flag"])
    by_index = make(categorical_features=[5, 6, 7])
    by_mask = make(categorical_features=[False] * 5 + [True] * 3)
    expected = draw(make(categorical_features="auto"), frame, 20)
    for sampler in (by_name, by_index, by_mask):
        pd.testing.assert_frame_equal(draw(sampler, frame, 20), expected)


def test_categorical_values_come_from_the_input(make, X_num):
    rng = np.random.RandomState(1)
    X = np.column_stack([X_num, rng.randint(0, 4, size=len(X_num)) * 7.0])
    out = draw(make(categorical_features=[4]), X, 200)
    assert set(out[:, 4]) <= set(X[:, 4])
    assert not set(out[:, 0]) <= set(X[:, 0])  # continuous columns are new values


def test_string_array_with_auto(make):
    X = np.array([["a", "x"], ["b", "y"], ["a", "y"]])
    out = draw(make(categorical_features="auto"), X, 6)
    assert out.dtype == X.dtype and set(out.ravel()) <= set(X.ravel())


@st.composite
def arrays_with_gaps(draw_):
    n_rows = draw_(st.integers(1, 15))
    n_cols = draw_(st.integers(1, 4))
    values = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
    X = np.array(
        draw_(st.lists(values, min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    )
    X = X.reshape(n_rows, n_cols)
    gaps = draw_(st.lists(st.sampled_from([np.nan, np.inf, -np.inf]), max_size=3))
    holes = draw_(
        st.lists(st.integers(0, n_rows - 1), min_size=len(gaps), max_size=len(gaps))
    )
    X[holes, 0] = gaps  # non-finite values only in column 0
    return X


@FAST
@given(
    X=arrays_with_gaps(), name=st.sampled_from(list(GENERATORS)), seed=st.integers(0, 99)
)
def test_no_nan_or_inf_created(X, name, seed):
    out = draw(GENERATORS[name](), X, 23, random_state=seed)
    assert out.shape == (23, X.shape[1])
    assert np.isfinite(out[:, 1:]).all()
    for kind in (np.isnan, np.isposinf, np.isneginf):
        assert kind(X[:, 0]).any() or not kind(out[:, 0]).any()


@FAST
@given(
    codes=st.lists(st.integers(-3, 3), min_size=1, max_size=12),
    name=st.sampled_from(list(GENERATORS)),
    seed=st.integers(0, 99),
)
def test_categorical_values_property(codes, name, seed):
    rng = np.random.RandomState(seed)
    X = np.column_stack([rng.normal(size=len(codes)), np.array(codes) * 1.5])
    out = draw(GENERATORS[name](categorical_features=[1]), X, 17, random_state=seed)
    assert set(out[:, 1]) <= set(X[:, 1])


def test_constant_columns_stay_constant(make, X_num):
    X = X_num.copy()
    X[:, 2] = 4.25
    out = draw(make(), X, 60)
    assert (out[:, 2] == 4.25).all()


@pytest.mark.parametrize("X", [np.array([[1.5, -2.0]]), np.tile([[3.0, 7.0]], (5, 1))])
def test_one_distinct_row_is_copied(make, X):
    out = draw(make(), X, 9)
    assert (out == X[0]).all()


def test_n_zero_gives_an_empty_result(make, X_num, frame):
    out = draw(make(), X_num, 0)
    assert out.shape == (0, 4) and out.dtype == X_num.dtype
    empty = draw(make(categorical_features="auto"), frame, 0)
    assert empty.shape == (0, frame.shape[1])
    assert (empty.dtypes == frame.dtypes).all()
    assert draw(make(), X_num[:0], 0, y=np.array([])).shape == (0, 4)


@pytest.mark.parametrize(
    "n, error, match",
    [
        (-1, ValueError, "must be >= 0"),
        (2.0, TypeError, "non-negative integer.*transfer_count"),
        (True, TypeError, "non-negative integer"),
    ],
)
def test_bad_n(make, X_num, n, error, match):
    with pytest.raises(error, match=match):
        draw(make(), X_num, n)


def test_bad_inputs(make, X_num, frame):
    with pytest.raises(ValueError, match="must be 2-d"):
        draw(make(), X_num[:, 0], 3)
    with pytest.raises(TypeError, match="dense data.*toarray"):
        draw(make(), sparse.csr_matrix(X_num), 3, y=labels(40))
    with pytest.raises(ValueError, match="X has no rows"):
        draw(make(), X_num[:0], 3, y=np.array([]))
    with pytest.raises(ValueError, match="X has 40 rows but y has 39"):
        draw(make(), X_num, 3, y=np.zeros(39))
    name = type(make()).__name__
    with pytest.raises(
        ValueError,
        match=rf"'country'.*not numeric.*{name}\(categorical_features='auto'\)",
    ):
        draw(make(categorical_features=None), frame, 3)


def test_categories_are_found_from_the_dtypes_by_default(make, frame):
    """The default ("auto") samples a DataFrame's category/object/bool columns,
    and is "no categorical column" on numeric data."""
    assert_frame_equal(
        draw(make(), frame, 12), draw(make(categorical_features="auto"), frame, 12)
    )
    numeric = frame.select_dtypes("number")
    assert_frame_equal(
        draw(make(), numeric, 12), draw(make(categorical_features=None), numeric, 12)
    )


@pytest.mark.parametrize(
    "categorical_features, match",
    [
        (["country", "nope"], r"names columns \['nope'\] that are not in X"),
        ([0, 8], r"indices \[8\] outside \[0, 8\)"),
        ([-1], r"indices \[-1\]"),
        ([True, False], "one entry per column of X \\(8\\)"),
        ([0, "country"], "must be None, 'auto'"),
    ],
)
def test_bad_categorical_features(make, frame, categorical_features, match):
    with pytest.raises(ValueError, match=match):
        draw(make(categorical_features=categorical_features), frame, 3)


def test_names_need_a_dataframe(make, X_num):
    with pytest.raises(ValueError, match="X has no column names"):
        draw(make(categorical_features=["a"]), X_num, 3)


@pytest.mark.parametrize(
    "name, params",
    [
        ("munge", {"p": 1.5}),
        ("munge", {"s": 0}),
        ("gaussian", {"scale": -1}),
        ("mixup", {"alpha": 0}),
        ("minority", {"minority_ratio": 2}),
        ("minority", {"k_neighbors": 0}),
        ("minority", {"categorical_features": "all"}),
    ],
)
def test_bad_parameters(name, params, X_num):
    parameter = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter"):
        draw(GENERATORS[name](**params), X_num, 3)


def test_clone_get_params_and_pickle(make, X_num):
    sampler = make(categorical_features=[1])
    copy = clone(sampler)
    assert copy is not sampler and copy.get_params() == sampler.get_params()
    assert np.array_equal(draw(copy, X_num, 10), draw(sampler, X_num, 10))
    restored = pickle.loads(pickle.dumps(sampler))
    assert np.array_equal(draw(restored, X_num, 10), draw(sampler, X_num, 10))
    # sample stores nothing on the sampler
    before = dict(vars(sampler))
    draw(sampler, X_num, 10)
    assert vars(sampler) == before


class _Holder(BaseEstimator):
    """A stand-in for an estimator with a transfer_set parameter."""

    def __init__(self, transfer_set=None):
        self.transfer_set = transfer_set


@pytest.mark.parametrize(
    "sampler, nested",
    [
        (MUNGE(), {"transfer_set__p": 0.2, "transfer_set__s": 3.0}),
        (GaussianJitter(), {"transfer_set__scale": 0.5}),
        (Mixup(), {"transfer_set__alpha": 1.0}),
        (MinorityOversampler(), {"transfer_set__minority_ratio": 0.9}),
    ],
)
def test_nested_parameters_are_grid_searchable(sampler, nested):
    holder = _Holder(sampler)
    assert set(nested) <= set(holder.get_params(deep=True))
    tuned = clone(holder).set_params(**nested)
    for key, value in nested.items():
        assert getattr(tuned.transfer_set, key.split("__")[1]) == value
    assert sampler.get_params() == type(sampler)().get_params()  # original untouched


# -- MUNGE ---------------------------------------------------------------------------


def nearest_distinct(X, categorical=()):
    """Brute-force MUNGE neighbours: standardized Euclidean plus Hamming."""
    X = np.asarray(X, dtype=float)
    cont = [j for j in range(X.shape[1]) if j not in categorical]
    z = X[:, cont] - X[:, cont].mean(axis=0)
    std = X[:, cont].std(axis=0)
    z /= np.where(std > 0, std, 1)
    d2 = ((z[:, None] - z[None]) ** 2).sum(-1)
    for j in categorical:
        d2 += X[:, j][:, None] != X[:, j][None]
    d2[d2 == 0] = np.inf  # itself and exact duplicates
    return d2.argmin(axis=1)


def test_munge_p0_copies_rows(X_num, frame):
    out = MUNGE(p=0.0).sample(X_num, 3 * 40 + 5, random_state=0)
    assert np.array_equal(out[:40], X_num) and np.array_equal(out[80:120], X_num)
    assert {tuple(r) for r in out} <= {tuple(r) for r in X_num}
    df = MUNGE(p=0.0, categorical_features="auto").sample(frame, 30, random_state=0)
    pd.testing.assert_frame_equal(df, frame.reset_index(drop=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_munge_p1_large_s_swaps_with_the_neighbour(seed):
    """With p=1 and s -> inf every step swaps e and e' whole: a pass is the
    permutation made of the swaps (t, neighbour(t)), t = 0, 1, ... in order."""
    rng = np.random.RandomState(seed)
    X = np.column_stack([rng.normal(size=(25, 3)), rng.randint(0, 3, size=25)])
    neighbors = nearest_distinct(X, categorical=[3])
    perm = np.arange(len(X))
    for t, j in enumerate(neighbors):
        perm[[t, j]] = perm[[j, t]]
    out = MUNGE(p=1.0, s=1e12, categorical_features=[3]).sample(X, 25, random_state=seed)
    assert np.allclose(out, X[perm], rtol=0, atol=1e-9)
    assert np.array_equal(out[:, 3], X[perm, 3])


def test_munge_one_step_gives_each_row_the_neighbours_values():
    """Two rows: one step swaps them (noise ~ 0), the second step swaps back."""
    X = np.array([[0.0, 5.0], [1.0, 9.0], [50.0, 50.0]])
    # rows 0 and 1 are mutual neighbours; row 2's neighbour is row 1.
    out = MUNGE(p=1.0, s=1e12).sample(X, 3, random_state=0)
    # step 0 swaps (0, 1), step 1 swaps (1, 0) back, step 2 swaps (2, 1).
    assert np.allclose(out, X[[0, 2, 1]], atol=1e-9)


def test_munge_neighbours_match_brute_force(X_num):
    X = np.column_stack([X_num, np.arange(40) % 3])
    table = _Table(X, [4])
    assert np.array_equal(munge_neighbors(table), nearest_distinct(X, categorical=[4]))


def test_munge_sparse_neighbour_space_gives_the_same_neighbours(X_num, monkeypatch):
    from skdistill.transfer import _base

    X = np.column_stack([X_num, np.arange(40) % 7, np.arange(40) % 3])
    dense = munge_neighbors(_Table(X, [4, 5]))
    monkeypatch.setattr(_base, "_MAX_DENSE_CELLS", 0)
    assert sparse.issparse(_base.neighbor_space(_Table(X, [4, 5])))
    assert np.array_equal(munge_neighbors(_Table(X, [4, 5])), dense)
    out = MUNGE(categorical_features=[4, 5]).sample(X, 50, random_state=0)
    assert set(out[:, 4]) <= set(X[:, 4])


def test_non_numeric_columns_without_auto_dtype(make):
    X = pd.DataFrame({"x": [1.0, 2.0, 4.0], "t": pd.date_range("2024-01-01", periods=3)})
    with pytest.raises(
        ValueError, match=r"Declare it categorical.*: list it.*categorical_features=\['t'\]"
    ):
        draw(make(categorical_features="auto"), X, 2)
    out = draw(make(categorical_features=["t"]), X, 5)
    assert out["t"].dtype == X["t"].dtype and set(out["t"]) <= set(X["t"])


def test_munge_duplicates_pair_with_a_distinct_row(X_num):
    X = np.vstack([X_num, X_num, X_num[:5]])
    neighbors = munge_neighbors(_Table(X, None))
    assert not np.any((X[neighbors] == X).all(axis=1))
    out = MUNGE(p=0.5).sample(X, len(X), random_state=0)
    changed = ~(out[:, None, :] == X_num[None]).all(-1).any(-1)
    assert changed.mean() > 0.7  # duplicates are perturbed too


@FAST
@given(
    n_rows=st.integers(1, 30),
    n_cont=st.integers(0, 3),
    n_cat=st.integers(0, 2),
    seed=st.integers(0, 10_000),
    s=st.floats(0.1, 10),
)
def test_munge_pass_equals_the_sequential_algorithm(n_rows, n_cont, n_cat, seed, s):
    """The layered, vectorized pass gives exactly the paper's sequential loop."""
    rng = np.random.RandomState(seed)
    cont = rng.normal(size=(n_rows, n_cont))
    cont[rng.rand(n_rows, n_cont) < 0.1] = np.nan
    neighbors = rng.randint(n_rows, size=n_rows)  # any graph, self-loops included
    swap = rng.rand(n_rows, n_cont + n_cat) < 0.5
    noise = rng.standard_normal((2, n_rows, n_cont))
    src = np.repeat(np.arange(n_rows)[:, None], n_cat, axis=1)
    fast_cont, fast_src = cont.copy(), src.copy()
    munge_pass(fast_cont, fast_src, neighbors, munge_schedule(neighbors), swap, noise, s)
    for t, j in enumerate(neighbors):  # Algorithm 1 of Bucila et al., one pass
        if j == t:
            continue
        for a in range(n_cont):
            if swap[t, a]:
                ea, eb = cont[t, a], cont[j, a]
                if np.isfinite(ea) and np.isfinite(eb):
                    sd = abs(ea - eb) / s
                    cont[t, a], cont[j, a] = (
                        eb + sd * noise[0, t, a],
                        ea + sd * noise[1, t, a],
                    )
                else:
                    cont[t, a], cont[j, a] = eb, ea
        for a in range(n_cat):
            if swap[t, n_cont + a]:
                src[t, a], src[j, a] = src[j, a], src[t, a]
    assert np.array_equal(fast_cont, cont, equal_nan=True)
    assert np.array_equal(fast_src, src)


@FAST
@given(neighbors=st.lists(st.integers(0, 19), min_size=20, max_size=20))
def test_munge_schedule_layers_touch_disjoint_rows(neighbors):
    neighbors = np.array(neighbors)
    layers = munge_schedule(neighbors)
    steps = np.concatenate(layers) if layers else np.array([], dtype=int)
    assert sorted(steps) == [t for t in range(20) if neighbors[t] != t]
    for layer in layers:
        rows = np.concatenate([layer, neighbors[layer]])
        assert len(set(rows.tolist())) == 2 * len(layer)


@pytest.mark.parametrize("n", [1, 39, 40, 41, 203])
def test_munge_exact_count(X_num, n):
    assert MUNGE().sample(X_num, n, random_state=0).shape == (n, 4)


def test_munge_stays_local(seed):
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(20, 1, (60, 2))])
    out = MUNGE().sample(X, 1200, random_state=seed)
    between = (out[:, 0] > 7) & (out[:, 0] < 13)
    assert between.mean() < 0.01
    assert abs(out[:, 0].mean() - X[:, 0].mean()) < 1.0


# -- GaussianJitter ------------------------------------------------------------------


def test_gaussian_scale_zero_is_a_bootstrap(X_num):
    out = GaussianJitter(scale=0).sample(X_num, 100, random_state=0)
    assert {tuple(r) for r in out} <= {tuple(r) for r in X_num}


def test_gaussian_noise_is_scale_times_column_std(seed):
    X = np.array(
        [[0.0, 0.0, 0.0], [1.0, 10.0, 1.0]]
    )  # std 0.5 and 5; column 2 is categorical
    out = GaussianJitter(scale=0.1, categorical_features=[2]).sample(X, 4000, seed)
    source = out[:, 2].astype(int)  # categorical column tells the drawn row
    residual = out[:, :2] - X[source, :2]
    assert np.allclose(residual.std(axis=0), [0.05, 0.5], rtol=0.1)
    assert np.allclose(residual.mean(axis=0), 0, atol=0.05)
    assert abs(source.mean() - 0.5) < 0.05


# -- Mixup ---------------------------------------------------------------------------


def test_mixup_rows_lie_on_segments_and_categories_follow_the_weight(seed):
    X = np.array([[0.0, 0.0, 0.0], [1.0, 10.0, 1.0]])
    out = Mixup(alpha=1.0, categorical_features=[2]).sample(X, 500, random_state=seed)
    assert np.allclose(out[:, 1], 10 * out[:, 0])
    assert ((out[:, 0] >= 0) & (out[:, 0] <= 1)).all()
    inner = (out[:, 0] > 0) & (out[:, 0] < 1)
    assert inner.mean() > 0.3
    assert np.array_equal(out[inner, 2], (out[inner, 0] > 0.5).astype(float))


def test_mixup_small_alpha_stays_near_rows(X_num):
    out = Mixup(alpha=0.05).sample(X_num, 400, random_state=0)
    distance = np.abs(out[:, None, :] - X_num[None]).max(-1).min(-1)
    assert np.median(distance) < 0.05 * np.abs(X_num).max()


def test_mixup_never_mixes_nan():
    X = np.array([[np.nan, 0.0], [2.0, 1.0]])
    out = Mixup(alpha=1.0).sample(X, 300, random_state=0)
    assert set(out[~np.isnan(out[:, 0]), 0]) == {2.0}
    assert np.array_equal(np.isnan(out[:, 0]), out[:, 1] < 0.5)


# -- MinorityOversampler -------------------------------------------------------------


@pytest.fixture(scope="module")
def imbalanced():
    rng = np.random.RandomState(0)
    X = np.vstack(
        [
            rng.normal(0, 1, (80, 2)),  # class 0
            rng.normal(100, 1, (6, 2)),  # class 1, the minority
            rng.normal(-100, 1, (3, 2)),  # unlabeled: fewer rows, but not a class
        ]
    )
    y = np.r_[np.zeros(80, int), np.ones(6, int), -np.ones(3, int)]
    return X, y


def test_minority_needs_y(X_num):
    with pytest.raises(ValueError, match="needs the labels y"):
        MinorityOversampler().sample(X_num, 5, random_state=0)
    with pytest.raises(ValueError, match="no labeled rows"):
        MinorityOversampler().sample(X_num, 5, random_state=0, y=-np.ones(40))


def test_minority_ignores_unlabeled_rows(imbalanced, seed):
    X, y = imbalanced
    out = MinorityOversampler(minority_ratio=1.0).sample(X, 200, seed, y=y)
    assert (np.abs(out - 100) < 20).all()  # jitter: 0.1 std of all rows, about 3


def test_minority_fraction(imbalanced, seed):
    X, y = imbalanced
    share = 6 / len(X)  # chance that a row generated from all rows is a minority one
    out = MinorityOversampler(minority_ratio=0.3, scale=0).sample(X, 1000, seed, y=y)
    near = (np.abs(out - 100) < 6).all(axis=1).sum()
    assert 300 <= near <= 300 + 700 * share + 3 * np.sqrt(700 * share)
    none = MinorityOversampler(minority_ratio=0.0, scale=0).sample(X, 1000, seed, y=y)
    assert (np.abs(none - 100) < 6).all(axis=1).mean() < 3 * share


def test_minority_interpolates_between_minority_neighbours():
    X = np.array([[0.0, 0.0], [0.1, 0.3], [0.2, 0.1], [5.0, 5.0], [6.0, 7.0]])
    y = np.array(["a", "a", "a", "b", "b"])  # string labels
    out = MinorityOversampler(minority_ratio=1.0, scale=0).sample(X, 50, 0, y=y)
    t = (out[:, 0] - 5.0) / 1.0
    assert np.allclose(out[:, 1], 5.0 + 2.0 * t)
    assert ((t >= 0) & (t <= 1)).all() and np.ptp(t) > 0.5


def test_minority_multiclass_and_single_minority_row():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(10, 1, (30, 2)), [[50.0, 50.0]]])
    y = np.r_[np.zeros(50), np.ones(30), [2.0]]
    out = MinorityOversampler(minority_ratio=1.0, scale=0).sample(X, 20, 0, y=y)
    assert (out == [50.0, 50.0]).all()


def test_minority_categorical_from_the_nearer_row():
    X = np.array([[0.0, 7.0], [1.0, 8.0], [30.0, 1.0], [31.0, 1.0], [32.0, 1.0]])
    y = np.array([1, 1, 0, 0, 0])
    sampler = MinorityOversampler(minority_ratio=1.0, scale=0, categorical_features=[1])
    out = sampler.sample(X, 200, 0, y=y)
    assert np.array_equal(out[:, 1], np.where(out[:, 0] < 0.5, 7.0, 8.0))


# -- Resolving transfer_set and transfer_size ----------------------------------------


def test_resolve_names_objects_and_none():
    assert resolve_transfer_set(None) is None
    for name in available_transfer_sets():
        assert type(resolve_transfer_set(name)) is GENERATORS[name]
    sampler = MUNGE(p=0.1)
    assert resolve_transfer_set(sampler) is sampler

    class DuckSampler:
        def sample(self, X, n, random_state=None, y=None):
            return X[:n]

    duck = DuckSampler()
    assert resolve_transfer_set(duck) is duck


def test_resolve_wraps_a_function(X_num, frame):
    def head(X, n, random_state):
        return X[:n]

    sampler = resolve_transfer_set(head)
    assert isinstance(sampler, FunctionSampler) and sampler.func is head
    assert np.array_equal(sampler.sample(X_num, 3, 0), X_num[:3])
    assert clone(sampler).func is head

    def as_array(X, n, random_state):
        return X.to_numpy()[:n]

    out = FunctionSampler(as_array).sample(frame, 4)
    assert list(out.columns) == list(frame.columns) and list(out.index) == [0, 1, 2, 3]


def test_function_sampler_passes_y_when_asked(X_num):
    seen = {}

    def with_y(X, n, random_state, y=None):
        seen["y"] = y
        return X[:n]

    FunctionSampler(with_y).sample(X_num, 2, 0, y=np.arange(40))
    assert np.array_equal(seen["y"], np.arange(40))
    FunctionSampler(lambda X, n, random_state: X[:n]).sample(X_num, 2, 0, y=np.arange(40))


def test_function_sampler_checks_the_output(X_num, frame):
    with pytest.raises(ValueError, match=r"returned shape \(2, 4\); expected \(3, 4\)"):
        FunctionSampler(lambda X, n, random_state: X[:2]).sample(X_num, 3)
    with pytest.raises(ValueError, match="returned columns"):
        FunctionSampler(lambda X, n, random_state: X.iloc[:n, ::-1]).sample(frame, 3)
    with pytest.raises(InvalidParameterError, match="'func' parameter"):
        FunctionSampler(42).sample(X_num, 3)


@pytest.mark.parametrize(
    "spec, error, match",
    [
        ("smote", ValueError, r"Unknown transfer_set 'smote'.*\['munge', 'gaussian'"),
        (MUNGE, TypeError, r"class MUNGE, not an instance; pass MUNGE\(\)"),
        (
            42,
            TypeError,
            "must be None, one of the names.*sample.*f\\(X, n, random_state\\)",
        ),
        ([1, 2], TypeError, "got \\[1, 2\\] of type list"),
    ],
)
def test_resolve_errors(spec, error, match):
    with pytest.raises(error, match=match):
        resolve_transfer_set(spec)


@pytest.mark.parametrize(
    "size, n_samples, expected",
    [
        (5.0, 200, 1000),
        (1.0, 37, 37),
        (0.5, 3, 2),  # halves round up
        (0.25, 10, 3),
        (0.0, 100, 0),
        (0, 100, 0),
        (7, 100, 7),
        (np.int64(12), 5, 12),
        (np.float32(2.0), 5, 10),
        (3, 0, 3),
        (2.5, 0, 0),
    ],
)
def test_transfer_count(size, n_samples, expected):
    count = transfer_count(size, n_samples)
    assert count == expected and type(count) is int


@pytest.mark.parametrize(
    "size, match",
    [
        (-1, "must be >= 0"),
        (-0.5, "finite number >= 0"),
        (float("nan"), "finite number >= 0"),
        (float("inf"), "finite number >= 0"),
        ("5x", "must be a number.*ratio.*count"),
        (None, "must be a number"),
        (True, "must be a number"),
    ],
)
def test_transfer_count_errors(size, match):
    with pytest.raises(ValueError, match=match):
        transfer_count(size, 10)
    with pytest.raises(ValueError, match="n_samples must be a non-negative integer"):
        transfer_count(1.0, -3)


@FAST
@given(ratio=st.floats(0, 50), n_samples=st.integers(0, 10_000))
def test_transfer_count_ratio_property(ratio, n_samples):
    count = transfer_count(ratio, n_samples)
    assert abs(count - ratio * n_samples) <= 0.5


def test_base_class_needs_generate(X_num):
    with pytest.raises(NotImplementedError, match="must implement _generate"):
        TransferSampler().sample(X_num, 3)
