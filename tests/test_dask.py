"""Dask collections: teacher labeling, students on the cluster, faults, search.

Every Dask result is compared with the in-memory result on the same small data.
Each test starts and closes its own LocalCluster (fixtures).
"""

import logging
import pickle
import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression, SGDClassifier  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from skdistill import (  # noqa: E402
    DistilledClassifier,
    TeacherEnsemble,
    compute_teacher_logits,
)
from skdistill.strategies import DaskStrategy  # noqa: E402


def _cluster(**kwargs):
    options = dict(
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
    )
    options.update(kwargs)
    cluster = distributed.LocalCluster(**options)
    return cluster, distributed.Client(cluster)


class _RunSpecCollisions(logging.Handler):
    """Records the scheduler's "Detected different `run_spec`" warnings
    (dask/dask#9888): one key sent in two forms, which can deadlock a fit."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.keys = []

    def emit(self, record):
        if "different `run_spec`" in record.getMessage():
            self.keys.append(record.getMessage().split(" for key ")[1][:80])


@pytest.fixture(autouse=True)
def no_run_spec_collisions():
    """Every Dask test fails if the scheduler saw one key in two forms: the
    scheduler's warning is a log record, not a Python warning, hence a handler."""
    handler = _RunSpecCollisions()
    logger = logging.getLogger("distributed.scheduler")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.keys, f"run_spec collisions on {handler.keys[:3]}"


@pytest.fixture
def client():
    cluster, client = _cluster()
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def client2():
    cluster, client = _cluster(n_workers=2)
    yield client
    client.close()
    cluster.close()


def _data(n_classes=2, n=400, seed=0):
    X, y = make_classification(
        n, 6, n_informative=4, n_classes=n_classes, random_state=seed
    )
    return X, y


def _teacher(kind, X, y):
    if kind == "hgb":
        return HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    if kind == "forest":
        return RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    if kind == "lightgbm":
        lgb = pytest.importorskip("lightgbm")
        return lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    if kind == "xgboost":
        xgb = pytest.importorskip("xgboost")
        return xgb.XGBClassifier(n_estimators=20, max_depth=3).fit(X, y)
    return TeacherEnsemble(
        [
            ("hgb", HistGradientBoostingClassifier(max_iter=10, random_state=0)),
            ("lr", LogisticRegression(max_iter=500)),
        ]
    ).fit(X, y)


# -- 1. teacher labeling ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hgb", "forest", "lightgbm", "xgboost", "ensemble"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logits_equal_in_memory(client, kind, n_classes):
    X, y = _data(n_classes)
    teacher = _teacher(kind, X, y)
    expected = compute_teacher_logits(teacher, X)
    lazy = compute_teacher_logits(teacher, da.from_array(X, chunks=(90, 3)))
    assert isinstance(lazy, da.Array)
    assert lazy.numblocks[0] == 5
    np.testing.assert_array_equal(lazy.compute(), expected)
    frame = dd.from_pandas(pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]), 4)
    if kind in ("hgb", "forest", "ensemble"):  # fitted on arrays: names differ
        frame = frame.to_dask_array(lengths=True)
    np.testing.assert_allclose(
        compute_teacher_logits(teacher, frame).compute(), expected, rtol=1e-12
    )


def test_logits_without_client_ship_teacher_once():
    X, y = _data()
    teacher = _teacher("forest", X, y)
    logits = compute_teacher_logits(teacher, da.from_array(X, chunks=20))
    graph = pickle.dumps(dict(logits.__dask_graph__()))
    assert logits.numblocks[0] == 20
    assert len(graph) < 1.5 * len(pickle.dumps(teacher))  # once, not 20 times
    np.testing.assert_array_equal(logits.compute(), compute_teacher_logits(teacher, X))


def test_logits_scattered_to_workers(client2):
    X, y = _data()
    teacher = _teacher("forest", X, y)
    logits = compute_teacher_logits(teacher, da.from_array(X, chunks=20))
    graph = pickle.dumps(dict(logits.__dask_graph__()))
    assert len(graph) < len(pickle.dumps(teacher)) / 2  # a future, not the teacher
    assert len(client2.who_has()) >= 1  # scattered
    np.testing.assert_array_equal(logits.compute(), compute_teacher_logits(teacher, X))


def test_persisted_logits_reused(client, tmp_path):
    X, y = _data()
    teacher = _teacher("hgb", X, y)
    dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    logits = compute_teacher_logits(teacher, dX).persist()
    path = str(tmp_path / "logits.parquet")
    dd.from_dask_array(logits, columns=["z0", "z1"]).to_parquet(path)
    stored = dd.read_parquet(path).to_dask_array(lengths=True)
    np.testing.assert_array_equal(stored.compute(), compute_teacher_logits(teacher, X))
    tree = DecisionTreeClassifier(max_depth=3)
    model = DistilledClassifier("precomputed", tree, random_state=0)
    model.fit(dX, dy, teacher_logits=stored)
    expected = DistilledClassifier("precomputed", tree, random_state=0).fit(
        X, y, teacher_logits=compute_teacher_logits(teacher, X)
    )
    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X))


# -- 2. students on the cluster ------------------------------------------------------------


def _students(framework):
    if framework == "lightgbm":
        lgb = pytest.importorskip("lightgbm")
        kw = dict(n_estimators=10, num_leaves=7, verbose=-1)
        return lgb.LGBMClassifier(**kw), lgb.DaskLGBMClassifier(**kw)
    xgb = pytest.importorskip("xgboost")
    dxgb = pytest.importorskip("xgboost.dask")
    kw = dict(n_estimators=10, max_depth=3)
    return xgb.XGBClassifier(**kw), dxgb.DaskXGBClassifier(**kw)


#: max |p_dask - p_memory| on one worker: the same loss and start; LightGBM multiclass
#: approximates a leaf's row count from its hessian sum (min_child_samples), which
#: repeated rows change, so its trees may differ from the in-memory distiller's
#: (Python objective on the original rows); against LightGBM's own fit on the same
#: repeated rows it is exact (test_lightgbm_multiclass_cluster_fit_is_the_...).
_TOLERANCE = {
    ("lightgbm", 2): 1e-6,
    ("xgboost", 2): 1e-6,
    ("xgboost", 3): 1e-6,
    ("lightgbm", 3): 0.35,
}


def _fitted_twins(framework, X, y, chunks, strategy="auto"):
    """The same distiller fitted in memory and on the cluster: (expected, model)."""
    teacher = _teacher("hgb", X, y)
    local, on_dask = _students(framework)
    params = dict(temperature=2.0, alpha=0.7, calibration_cv="train", random_state=0)
    expected = DistilledClassifier(teacher, local, **params).fit(X, y)
    dX, dy = da.from_array(X, chunks=chunks), da.from_array(y, chunks=chunks)
    model = DistilledClassifier(teacher, on_dask, strategy=strategy, **params)
    return expected, model.fit(dX, dy)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("framework", ["lightgbm", "xgboost"])
def test_cluster_student_predicts_like_in_memory(client, framework, n_classes):
    X, y = _data(n_classes)
    expected, model = _fitted_twins(framework, X, y, 100)
    assert type(model.student_) is type(expected.student_)
    assert model.strategy_.name == expected.strategy_.name
    np.testing.assert_array_equal(model.classes_, expected.classes_)
    assert model.n_features_in_ == 6
    diff = np.abs(model.predict_proba(X) - expected.predict_proba(X)).max()
    assert diff <= _TOLERANCE[framework, n_classes]
    assert np.mean(model.predict(X) == expected.predict(X)) >= 0.95
    # the local student alone predicts the distiller's probabilities
    np.testing.assert_allclose(
        model.student_.predict_proba(X), model.predict_proba(X), atol=1e-6
    )


def test_cluster_student_exports(client, tmp_path):
    pytest.importorskip("skops")
    from skdistill.export import load, save, to_onnx

    X, y = _data()
    teacher = _teacher("hgb", X, y)
    _, on_dask = _students("lightgbm")
    dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    model = DistilledClassifier(teacher, on_dask, calibration_cv="train", random_state=0)
    model.fit(dX, dy)
    save(model, tmp_path / "model.skops")
    # the student parameter is the (unfitted) Dask estimator, a trusted type
    loaded = load(tmp_path / "model.skops")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxmltools")
    import onnxruntime as ort

    onx = to_onnx(model, X[:5])
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    outputs = session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})
    proba = next(o for o in outputs if np.ndim(o) == 2 and np.shape(o)[1] == 2)
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-4)


def test_dataframe_input_and_frame_labels(client):
    X, y = _data(3)
    _, on_dask = _students("xgboost")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(label=y)
    ddf = dd.from_pandas(frame, npartitions=3)
    teacher_on_names = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    teacher_on_names.fit(frame.drop(columns="label"), y)
    model = DistilledClassifier(
        teacher_on_names, on_dask, calibration_cv="train", random_state=0
    ).fit(ddf.drop(columns="label"), ddf["label"])
    assert list(model.feature_names_in_) == [f"f{i}" for i in range(6)]
    local, _ = _students("xgboost")
    expected = DistilledClassifier(
        teacher_on_names, local, calibration_cv="train", random_state=0
    ).fit(frame.drop(columns="label"), y)
    frame_X = frame.drop(columns="label")
    np.testing.assert_allclose(
        model.predict_proba(frame_X), expected.predict_proba(frame_X), atol=1e-5
    )


def test_sample_route_equals_in_memory(client):
    X, y = _data(3)
    teacher = _teacher("hgb", X, y)
    tree = DecisionTreeClassifier(max_depth=4)
    expected = DistilledClassifier(teacher, tree, temperature=3, random_state=0).fit(X, y)
    model = DistilledClassifier(teacher, tree, temperature=3, random_state=0)
    model.fit(da.from_array(X, chunks=150), da.from_array(y, chunks=150))
    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    assert model.strategy_.name == "expand"


def test_sample_route_sample_size(client):
    X, y = _data(2, n=2000)
    teacher = _teacher("hgb", X, y)
    model = DistilledClassifier(
        teacher,
        DecisionTreeClassifier(max_depth=3),
        strategy=DaskStrategy(sample_size=500),
        random_state=0,
    ).fit(da.from_array(X, chunks=250), da.from_array(y, chunks=250))
    assert 350 < model.student_.tree_.n_node_samples[0] / 2 < 650  # expanded x2
    full = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3), random_state=0)
    assert model.score(X, y) > full.fit(X, y).score(X, y) - 0.1  # 500 of 2000 rows


def test_partial_fit_route_streams_blocks(client):
    from skdistill._targets import blend, soften
    from skdistill.strategies._expand import expand

    X, y = _data(3)
    teacher = _teacher("hgb", X, y)
    sgd = SGDClassifier(loss="log_loss", random_state=0)
    model = DistilledClassifier(
        teacher, sgd, strategy=DaskStrategy(route="partial_fit", n_epochs=2), alpha=0.8
    ).fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    reference = clone(sgd)
    q = blend(soften(compute_teacher_logits(teacher, X), 1.0), y, 0.8)
    for _ in range(2):
        for start in range(0, 400, 100):
            rows, labels, weights = expand(q[start : start + 100])
            reference.partial_fit(
                X[start:][rows], labels, sample_weight=weights, classes=np.arange(3)
            )
    np.testing.assert_allclose(model.student_.coef_, reference.coef_)
    assert model.strategy_.name == "expand"


@pytest.mark.parametrize("frame", [False, True])
def test_partial_fit_route_draws_the_map_sample_while_streaming(client2, frame):
    # one pass, nothing persisted: the sample the map is fitted on is drawn from the
    # streamed blocks, the rows rows.sample(size, seed) gives
    from skdistill._dask import _dask_rows

    X, y = _data(3)
    teacher = _teacher("hgb", X, y)
    dX, dy = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    if frame:
        dX, dy = dd.from_dask_array(dX), dd.from_dask_array(dy)
    rows, _, _ = _dask_rows(DistilledClassifier(teacher, alpha=0.6), dX, dy, None, None)
    rows.map_seed = 5
    strategy = DaskStrategy(route="partial_fit", sample_size=120)
    strategy.fit(SGDClassifier(loss="log_loss", random_state=0), dX, rows)
    for streamed, sampled in zip(rows.map_sample, rows.sample(120, 5), strict=True):
        np.testing.assert_array_equal(np.asarray(streamed), np.asarray(sampled))
    assert 100 <= len(rows.map_sample[1]) <= 140


# -- 3. faults and bad input ---------------------------------------------------------------


def test_numpy_y_is_refused_with_the_fix(client):
    X, y = _data()
    teacher = _teacher("hgb", X, y)
    with pytest.raises(TypeError, match="from_array"):
        DistilledClassifier(teacher).fit(da.from_array(X, chunks=100), y)


def test_row_counts_checked(client):
    X, y = _data()
    teacher = _teacher("hgb", X, y)
    with pytest.raises(ValueError, match="400 rows but y has 399"):
        DistilledClassifier(teacher).fit(
            da.from_array(X, chunks=100), da.from_array(y[:-1], chunks=100)
        )


def test_unequal_and_unknown_chunks(client):
    X, y = _data()
    teacher = _teacher("hgb", X, y)
    dX = da.from_array(X, chunks=100)
    unknown = dX[da.from_array(np.ones(400, bool), chunks=100)]  # NaN chunk sizes
    assert np.isnan(unknown.chunks[0][0])
    tree = DecisionTreeClassifier(max_depth=3)
    expected = DistilledClassifier(teacher, tree, random_state=0).fit(X, y)
    model = DistilledClassifier(teacher, tree, random_state=0)
    model.fit(unknown, da.from_array(y, chunks=70))  # other partitions: rechunked
    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    logits = compute_teacher_logits(teacher, unknown)
    assert logits.compute().shape == (400, 2)


def test_unsupported_configurations(client):
    X, y = _data()
    teacher = _teacher("hgb", X, y)
    dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    with pytest.raises(ValueError, match="not fitted"):
        DistilledClassifier(clone(teacher)).fit(dX, dy)
    frame = dd.from_pandas(pd.DataFrame(X), npartitions=2)
    with pytest.raises(TypeError, match="sample_dask"):
        DistilledClassifier(teacher, transfer_set="gaussian").fit(
            frame, dd.from_pandas(pd.Series(y), npartitions=2)
        )
    _, on_dask = _students("lightgbm")
    with pytest.raises(TypeError, match="Dask collections"):
        DistilledClassifier(teacher, on_dask).fit(X, y)
    with pytest.raises(ValueError, match="does not know"):
        DistilledClassifier(teacher, DecisionTreeClassifier()).fit(
            dX, da.from_array(y + 5, chunks=100)
        )


def _slow_logits(block):
    time.sleep(0.4)
    return block


def test_killed_worker_is_retried(tmp_path):
    import cloudpickle
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    cloudpickle.register_pickle_by_value(__import__(__name__))
    X, y = _data()
    teacher = make_pipeline(
        FunctionTransformer(_slow_logits), LogisticRegression(max_iter=500)
    ).fit(X, y)
    expected = LogisticRegression(max_iter=500).fit(X, y).decision_function(X)
    cluster, client = _cluster(processes=True, n_workers=2)
    try:
        logits = compute_teacher_logits(teacher, da.from_array(X, chunks=25))
        future = client.compute(logits)
        deadline = time.time() + 30
        while not any(client.processing().values()) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # some blocks done, some running
        nanny = next(iter(cluster.workers.values()))
        nanny.process.process.kill()
        result = future.result(timeout=120)
    finally:
        client.close()
        cluster.close()
    np.testing.assert_allclose(result[:, 1] - result[:, 0], expected, rtol=1e-10)


# -- 4. search on a cluster ----------------------------------------------------------------


def test_grid_search_on_dask_backend_with_precomputed_logits(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y = _data()
    teacher = _teacher("hgb", X, y)
    logits = compute_teacher_logits(teacher, da.from_array(X, chunks=100)).compute()
    search = GridSearchCV(
        DistilledClassifier(
            "precomputed", DecisionTreeClassifier(max_depth=3), random_state=0
        ),
        {"temperature": [1.0, 3.0], "alpha": [0.5, 1.0]},
        cv=3,
        n_jobs=2,
    )
    with joblib.parallel_backend("dask"):
        search.fit(X, y, teacher_logits=logits)
    expected = clone(search).fit(X, y, teacher_logits=compute_teacher_logits(teacher, X))
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], expected.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == expected.best_params_


# -- 4. transfer sets on Dask ------------------------------------------------------------


@pytest.mark.parametrize("name", ["gaussian", "munge", "mixup", "minority"])
def test_sample_dask_partitions_are_seeded_samples(name):
    from skdistill.transfer import partition_seed, resolve_transfer_set, sample_dask

    X, y = _data(n=120)
    sampler = resolve_transfer_set(name)
    X_new = sample_dask(sampler, X, 250, chunks=100, random_state=7, y=y)
    assert X_new.chunks == ((100, 100, 50), (6,))
    rows = X_new.compute(scheduler="sync")  # no cluster, one thread
    cluster, client = _cluster(n_workers=2)
    try:  # the same rows from a new graph on a 2-worker cluster
        again = sample_dask(sampler, X, 250, chunks=100, random_state=7, y=y)
        np.testing.assert_array_equal(again.compute(), rows)
    finally:
        client.close()
        cluster.close()
    for i, (start, n) in enumerate([(0, 100), (100, 100), (200, 50)]):
        expected = sampler.sample(X, n, random_state=partition_seed(7, i), y=y)
        np.testing.assert_array_equal(rows[start : start + n], expected)
    other = sample_dask(sampler, X, 250, chunks=100, random_state=8, y=y).compute()
    assert not np.array_equal(other, rows)


def test_sample_dask_frame_keeps_columns_and_dtypes():
    from skdistill.transfer import GaussianJitter, partition_seed, sample_dask

    frame = pd.DataFrame(
        {"amount": np.linspace(1, 50, 40), "n": np.arange(40), "kind": ["a", "b"] * 20}
    )
    sampler = GaussianJitter(categorical_features=["kind"])
    new = sample_dask(sampler, frame, 70, chunks=30, random_state=0)
    assert list(new.columns) == list(frame.columns)
    out = new.compute(scheduler="sync")
    assert out.dtypes.equals(frame.dtypes) and len(out) == 70
    assert set(out["kind"]) <= {"a", "b"}
    first = sampler.sample(frame, 30, random_state=partition_seed(0, 0))
    pd.testing.assert_frame_equal(out.iloc[:30], first)


def test_sample_dask_bad_input():
    from skdistill.transfer import sample_dask

    X, _ = _data(n=50)
    with pytest.raises(ValueError, match="add up to n_rows"):
        sample_dask("gaussian", X, 100, chunks=(40, 40))
    with pytest.raises(ValueError, match="2-d"):
        sample_dask("gaussian", X[:, 0], 10)
    with pytest.raises(ValueError, match="needs the labels"):
        sample_dask("minority", X, 10)  # checked when the graph is built
    assert sample_dask("gaussian", X, 0).shape == (0, 6)


def test_transfer_rows_weigh_alpha_as_in_memory(client):
    from skdistill._seeding import RandomStreams
    from skdistill.transfer import GaussianJitter, sample_dask

    X, y = _data()
    teacher = _teacher("hgb", X, y)
    local, on_dask = _students("xgboost")
    sampler = GaussianJitter(size=0.5, weight=2.0)
    params = dict(alpha=0.6, temperature=2.0, calibration_cv="train", random_state=0)
    model = DistilledClassifier(teacher, on_dask, transfer_set=sampler, **params)
    model.fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    assert model.n_transfer_ == 200 and model.n_unlabeled_ == 0
    # the same generated rows, appended in memory as rows only the teacher labels
    X_new = sample_dask(
        sampler, X, 200, chunks=100, random_state=RandomStreams(0).seed("transfer"), y=y
    ).compute()
    expected = DistilledClassifier(teacher, local, unlabeled_label=-1, **params).fit(
        np.vstack([X, X_new]),
        np.concatenate([y, np.full(200, -1)]),
        sample_weight=np.concatenate([np.ones(400), np.full(200, 2.0)]),
    )
    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X), atol=1e-5)
    plain = DistilledClassifier(teacher, local, **params).fit(X, y)
    assert np.abs(plain.predict_proba(X) - model.predict_proba(X)).max() > 1e-3


# -- 5. the stratified sample ------------------------------------------------------------


def test_sample_keeps_each_class_share_per_block(client):
    from skdistill._dask import _dask_rows

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 3))
    y = np.where(rng.random(3000) < 0.03, 2, rng.integers(2, size=3000))  # 3% class 2
    y[::7] = -1  # unlabeled rows are a class of their own
    teacher = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, np.abs(y))
    model = DistilledClassifier(teacher, unlabeled_label=-1)
    dy = da.from_array(y, chunks=500)
    rows, _, _ = _dask_rows(model, da.from_array(X, chunks=500), dy, None, None)
    _, y_index, _, _ = rows.sample(300, seed=1)  # 10% of the rows
    _, again, _, _ = rows.sample(300, seed=1)
    np.testing.assert_array_equal(y_index, again)
    assert abs(len(y_index) - 300) <= 6 * 4  # within one row per block and class
    for k in (-1, 0, 1, 2):
        expected = 0.1 * np.sum(np.where(y == -1, -1, y) == k)
        assert abs(np.sum(y_index == k) - expected) <= 6  # one row per block


# -- 6. two workers ----------------------------------------------------------------------

#: 2 workers vs in memory, binary. XGBoost: the same trees on these 600 rows (max |dp|
#: measured 7e-8: fewer distinct values than bins, so the merged quantile sketch finds
#: the in-memory bins; on 10,000 rows the bins differ and max |dp| reached 0.29).
#: LightGBM with the in-memory bins forced on the workers (bins="global", the
#: default): the in-memory student up to rounding. With LightGBM's own per-worker bins
#: (bins="worker") each feature's bins come from the rows of one worker, and the
#: partition-to-worker assignment varies from run to run, so single rows can move far
#: (max |dp| measured 0.46-0.56 on 600-4000 rows) while the student stays close on
#: average (mean |dp| 0.018-0.025, 98-99% equal labels).
_TOLERANCE_2_WORKERS = {
    ("xgboost", "global"): (1e-6, 1e-6, 1.0),
    ("lightgbm", "global"): (1e-9, 1e-10, 1.0),
    ("lightgbm", "worker"): (1.0, 0.05, 0.97),
}


@pytest.mark.parametrize(
    "framework, bins",
    [("lightgbm", "global"), ("lightgbm", "worker"), ("xgboost", "global")],
)
def test_two_worker_students_close_to_in_memory(client2, framework, bins):
    X, y = _data(n=600)
    expected, model = _fitted_twins(framework, X, y, 150, DaskStrategy(bins=bins))
    diff = np.abs(model.predict_proba(X) - expected.predict_proba(X))[:, 1]
    largest, mean, agree = _TOLERANCE_2_WORKERS[framework, bins]
    assert diff.max() <= largest and diff.mean() <= mean
    assert np.mean(model.predict(X) == expected.predict(X)) >= agree


def test_xgboost_dask_fitted_distiller_loads_without_extra_trust(client, tmp_path):
    pytest.importorskip("skops")
    from skdistill.export import load, save

    X, y = _data()
    _, on_dask = _students("xgboost")
    model = DistilledClassifier(
        _teacher("hgb", X, y), on_dask, calibration_cv="train", random_state=0
    ).fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    save(model, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("student", ["xgboost", "tree"])
def test_unlabeled_rows_weigh_alpha_as_in_memory(client, student):
    X, y = _data()
    y = y.copy()
    y[::3] = -1  # a third of the rows only the teacher labels
    teacher = _teacher("hgb", X[y != -1], y[y != -1])
    if student == "xgboost":
        local, on_dask = _students("xgboost")
    else:
        local = on_dask = DecisionTreeClassifier(max_depth=4, random_state=0)
    params = dict(alpha=0.6, unlabeled_label=-1, calibration_cv="train", random_state=0)
    expected = DistilledClassifier(teacher, local, **params).fit(X, y)
    model = DistilledClassifier(teacher, on_dask, **params)
    model.fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    assert model.n_unlabeled_ == expected.n_unlabeled_ == int(np.sum(y == -1))
    np.testing.assert_array_equal(model.classes_, [0, 1])
    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X), atol=1e-5)


# -- 7. lazily generated rows (delayed blocks sharing one object) ------------------------


def _draw(rows, i, n):
    return rows[np.random.default_rng(i).integers(len(rows), size=n)]


def _lazy_rows(source, X, n_rows=600, chunks=150):
    """Rows generated block by block: every block depends on one shared object."""
    import dask

    if source == "sample_dask":
        from skdistill.transfer import GaussianJitter, sample_dask

        return sample_dask(
            GaussianJitter(scale=0.3), X, n_rows, chunks=chunks, random_state=0
        )
    shared = dask.delayed(X)
    blocks = [
        da.from_delayed(
            dask.delayed(_draw)(shared, i, chunks), (chunks, X.shape[1]), X.dtype
        )
        for i in range(n_rows // chunks)
    ]
    return da.concatenate(blocks)


def _finishes(fit, seconds=60):
    """``fit()``'s result; fails (instead of hanging the suite) if it takes longer."""
    outcome = {}

    def run():
        try:
            outcome["model"] = fit()
        except BaseException as error:  # re-raised below, in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the fit made no progress for {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["model"]


@pytest.mark.parametrize("source", ["sample_dask", "from_delayed"])
@pytest.mark.parametrize("student", ["partial_fit", "lightgbm", "xgboost"])
def test_fit_on_lazily_generated_rows_finishes(client2, source, student):
    """Delayed-block X (generated rows) with a client: each route finishes and fits
    what the in-memory twin fits on the same rows. Such X used to deadlock the
    scheduler: its keys reached it from two graphs in two forms (delayed blocks'
    unoptimized graph, the fused one of a collection) while the first still ran."""

    X, y = _data()
    teacher = _teacher("hgb", X, y)
    dX = _lazy_rows(source, X)
    # rows only the teacher labels, as generated transfer rows are
    dy = da.full(len(dX), -1, chunks=(dX.chunks[0],), dtype=np.int64)
    params = dict(
        alpha=0.7,
        temperature=2.0,
        unlabeled_label=-1,
        calibration_cv="train",
        random_state=0,
    )
    if student == "partial_fit":
        from skdistill._targets import soften
        from skdistill.strategies._expand import expand

        sgd = SGDClassifier(loss="log_loss", random_state=0)
        strategy = DaskStrategy(route="partial_fit")
        model = _finishes(
            lambda: DistilledClassifier(teacher, sgd, strategy=strategy, **params).fit(
                dX, dy
            )
        )
        rows = dX.compute()  # the same rows, in memory
        reference = clone(sgd)
        q = soften(compute_teacher_logits(teacher, rows), 2.0)  # the teacher's alone
        for start in range(0, len(rows), 150):
            picked, classes, weights = expand(q[start : start + 150], np.full(150, 0.7))
            reference.partial_fit(
                rows[start:][picked], classes, sample_weight=weights, classes=[0, 1]
            )
        np.testing.assert_allclose(model.student_.coef_, reference.coef_)
        return
    local, on_dask = _students(student)
    model = _finishes(lambda: DistilledClassifier(teacher, on_dask, **params).fit(dX, dy))
    rows = dX.compute()
    expected = DistilledClassifier(teacher, local, **params).fit(
        rows, np.full(len(rows), -1)
    )
    diff = np.abs(model.predict_proba(rows) - expected.predict_proba(rows))[:, 1]
    largest, mean, agree = _TOLERANCE_2_WORKERS[student, "global"]
    assert diff.max() <= largest and diff.mean() <= mean
    # LightGBM on 2 workers: labels compared where the in-memory student is not
    # within 0.1 of a tie (these generated rows put many near one).
    clear = np.abs(expected.predict_proba(rows)[:, 1] - 0.5) > 0.1
    same = model.predict(rows) == expected.predict(rows)
    assert np.mean(same[clear]) >= agree


def test_sample_dask_without_random_state_fixes_its_rows_when_built():
    # random_state=None: fresh rows per graph, but the same on every compute of one
    # graph (the teacher's persisted labels must stay those of the rows trained on),
    # and different from partition to partition.
    from skdistill.transfer import sample_dask

    X, y = _data(n=120)
    X_new = sample_dask("gaussian", X, 300, chunks=100, random_state=None, y=y)
    first = X_new.compute(scheduler="sync")
    np.testing.assert_array_equal(X_new.compute(scheduler="sync"), first)
    assert not np.array_equal(first[:100], first[100:200])
    other = sample_dask("gaussian", X, 300, chunks=100, random_state=None, y=y)
    assert not np.array_equal(other.compute(scheduler="sync"), first)


# -- 8. rows only the teacher labels, on the sample route; generated frames ---------------


@pytest.mark.parametrize("frame", [False, True])
def test_sample_route_fits_rows_only_the_teacher_labels(client, frame):
    # a pure transfer set: every row unlabeled; the teacher gives the classes
    X, y = _data(3)
    teacher = _teacher("hgb", X, y)
    tree = DecisionTreeClassifier(max_depth=4, random_state=0)
    params = dict(temperature=2.0, unlabeled_label=-1, random_state=0)
    unlabeled = np.full(len(X), -1)
    expected = DistilledClassifier(teacher, tree, **params).fit(X, unlabeled)
    dX, dy = da.from_array(X, chunks=100), da.from_array(unlabeled, chunks=100)
    if frame:
        dX, dy = dd.from_dask_array(dX), dd.from_dask_array(dy)
    model = DistilledClassifier(teacher, tree, **params).fit(dX, dy)
    assert model.strategy_.name == "expand" and model.n_unlabeled_ == len(X)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    with pytest.raises(ValueError, match="every row is unlabeled.*fitted teacher itself"):
        DistilledClassifier("precomputed", tree, **params).fit(
            dX, dy, teacher_logits=compute_teacher_logits(teacher, X)
        )


def test_unlabeled_marker_edge_cases(client):
    X, y = _data()
    teacher = _teacher("hgb", X, y)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    # a marker that is one of the teacher's classes is an ordinary label, as in memory
    params = dict(unlabeled_label=0, random_state=0)
    expected = DistilledClassifier(teacher, tree, **params).fit(X, y)
    model = DistilledClassifier(teacher, tree, **params).fit(dX, dy)
    assert model.n_unlabeled_ == expected.n_unlabeled_ == 0
    np.testing.assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    with pytest.raises(ValueError, match="alpha=0 gives such rows weight 0.*Raise alpha"):
        DistilledClassifier(teacher, tree, alpha=0.0, unlabeled_label=-1).fit(
            dX, da.full(400, -1, chunks=100)
        )


@pytest.mark.parametrize("student", ["partial_fit", "lightgbm", "xgboost", "tree"])
def test_generated_frame_fits_on_every_route(client2, student):
    """A transfer set generated as a Dask DataFrame (``sample_dask``, built with
    ``dd.from_map``) under a 2-worker client: every route finishes without a
    run_spec collision (the autouse fixture) and fits what the same rows fit in
    memory (partial_fit: what the same blocks as a Dask array fit)."""
    from skdistill.transfer import GaussianJitter, sample_dask

    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(frame, y)
    dX = sample_dask(GaussianJitter(scale=0.3), frame, 600, chunks=150, random_state=0)
    dy = dX["f0"].map_partitions(  # rows only the teacher labels, from the same frame
        lambda part: pd.Series(-1, index=part.index), meta=("y", "int64")
    )
    params = dict(alpha=0.7, temperature=2.0, unlabeled_label=-1,
                  calibration_cv="train", random_state=0)  # fmt: skip
    if student == "partial_fit":
        local = on_dask = SGDClassifier(loss="log_loss", random_state=0)
        params["strategy"] = DaskStrategy(route="partial_fit")
    elif student == "tree":
        local = on_dask = DecisionTreeClassifier(max_depth=4, random_state=0)
    else:
        local, on_dask = _students(student)
    model = _finishes(lambda: DistilledClassifier(teacher, on_dask, **params).fit(dX, dy))
    rows = dX.compute()
    assert list(model.feature_names_in_) == list(frame.columns)
    if student == "partial_fit":
        again = DistilledClassifier(teacher, on_dask, **params).fit(
            da.from_array(rows.to_numpy(), chunks=150),
            da.full(600, -1, chunks=150, dtype=np.int64),
        )
        np.testing.assert_allclose(model.student_.coef_, again.student_.coef_)
        return
    expected = DistilledClassifier(teacher, local, **params).fit(rows, np.full(600, -1))
    diff = np.abs(model.predict_proba(rows) - expected.predict_proba(rows))[:, 1]
    largest, mean, _ = _TOLERANCE_2_WORKERS.get((student, "global"), (0.0, 0.0, 1.0))
    assert diff.max() <= largest and diff.mean() <= mean


# -- 9. the LightGBM routes against LightGBM's own fits ------------------------------------

#: The label state ``LGBMClassifier.fit`` sets (lightgbm/sklearn.py), which
#: ``strategies._lightgbm.set_label_state`` writes for boosters trained on soft labels
#: or class indices.
_LABEL_STATE = ("_classes", "_n_classes", "_objective")


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("route", ["memory", "dask"])
def test_lightgbm_alpha_zero_student_is_the_frameworks_own_fit(client, route, n_classes):
    """alpha=0 (hard labels only): the student of the soft-label route (in memory) and
    of the cluster route (Dask) carries the state LightGBM's own fit gives and predicts
    what it predicts, so a LightGBM release that changes the private label state
    (``set_label_state``) fails here. String labels: ``predict`` goes through ``_le``."""
    lgb = pytest.importorskip("lightgbm")
    X, y = _data(n_classes)
    y = np.array(["ant", "bee", "cat"])[y]
    teacher = _teacher("hgb", X, y)
    kw = dict(n_estimators=10, num_leaves=7, verbose=-1)
    params = dict(alpha=0.0, calibration_cv="train", random_state=0)
    if route == "memory":
        reference = lgb.LGBMClassifier(**kw).fit(X, y)
        model = DistilledClassifier(teacher, lgb.LGBMClassifier(**kw), **params).fit(X, y)
    else:
        dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
        reference = lgb.DaskLGBMClassifier(**kw).fit(dX, dy).to_local()
        on_dask = lgb.DaskLGBMClassifier(**kw)
        model = DistilledClassifier(teacher, on_dask, **params).fit(dX, dy)
    student = model.student_
    assert type(student) is type(reference)
    assert set(vars(reference)) <= set(vars(student))  # no state LightGBM sets is missing
    for name in _LABEL_STATE:
        np.testing.assert_array_equal(getattr(student, name), getattr(reference, name))
    np.testing.assert_array_equal(student._le.classes_, reference._le.classes_)
    assert {k: int(v) for k, v in student._class_map.items()} == reference._class_map
    np.testing.assert_array_equal(student.classes_, reference.classes_)
    assert student.n_classes_ == reference.n_classes_
    proba = student.predict_proba(X)
    np.testing.assert_array_equal(student.predict(X), student.classes_[proba.argmax(1)])
    if route == "dask" and n_classes > 2:
        # the rows repeated per class (weights q_k, here 0 or 1) and the leaf-size
        # limits scaled by K: close, not equal (the exact check is the next test)
        assert np.mean(student.predict(X) == reference.predict(X)) >= 0.95
        return
    np.testing.assert_allclose(proba, reference.predict_proba(X), atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_lightgbm_multiclass_cluster_fit_is_the_in_memory_fit_on_expanded_rows(client):
    """The cluster route's multiclass student (one worker) is LightGBM's in-memory
    fit on the same expanded rows: each row repeated K times with label k, weight
    w q_k and the initial margins, min_child_samples and min_data_in_bin times K.
    Measured max |dz| 4e-16. On two workers the same fit whatever the partitions
    (test_lightgbm_global_bins_fit_the_in_memory_student_on_two_workers)."""
    lgb = pytest.importorskip("lightgbm")
    from skdistill._dask import _dask_rows

    X, y = _data(3)
    teacher = _teacher("hgb", X, y)
    kw = dict(n_estimators=10, num_leaves=7, verbose=-1)
    distiller = DistilledClassifier(teacher, temperature=2.0, alpha=0.7)
    dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    rows, _, _ = _dask_rows(distiller, dX, dy, None, None)
    strategy = DaskStrategy().fit(lgb.DaskLGBMClassifier(**kw), dX, rows)
    init = strategy.local_.init_score_
    q, weight = rows.proba.compute(), rows.weight.compute()
    k = 3
    reference = lgb.LGBMClassifier(
        **kw, objective="multiclass", min_child_samples=20 * k, min_data_in_bin=3 * k
    ).fit(
        np.repeat(X, k, axis=0),
        np.tile(np.arange(k), len(X)),
        sample_weight=(weight[:, None] * q).ravel(),
        init_score=np.tile(init, (k * len(X), 1)),
    )
    np.testing.assert_allclose(  # LightGBM predicts without the init score
        strategy.local_.student_.predict(X, raw_score=True),
        reference.predict(X, raw_score=True) + init,
        atol=1e-10,
    )
    np.testing.assert_allclose(init, np.log((q * weight[:, None]).sum(0) / weight.sum()))


# -- LightGBM bins on the cluster ---------------------------------------------------------


def _messy_frame(n=800, seed=0):
    """Numeric columns of every kind LightGBM bins: NaN, zeros, few values, a
    constant, bool, ints, a heavy tail."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "normal": rng.standard_normal(n),
            "with_nan": np.where(rng.random(n) < 0.2, np.nan, rng.standard_normal(n)),
            "zeros": np.where(rng.random(n) < 0.5, 0.0, rng.exponential(size=n)),
            "few": rng.integers(-2, 3, size=n).astype(float),
            "constant": np.full(n, 7.0),
            "flag": rng.random(n) < 0.3,
            "count": rng.poisson(3, size=n),
            "tail": rng.standard_cauchy(n),
        }
    )
    score = X["normal"] + np.nan_to_num(X["with_nan"]) + X["few"] - X["flag"]
    y = (score + rng.standard_normal(n) > 0).astype(int).to_numpy()
    return X, y


def test_lightgbm_bin_bounds_are_lightgbms_own():
    """Forcing the bounds read back gives LightGBM's in-memory model exactly, on
    every column kind (NaN, zeros, few values, constant, bool, ints, heavy tail)."""
    lgb = pytest.importorskip("lightgbm")
    import json

    from skdistill.strategies._bins import lightgbm_bin_bounds

    X, y = _messy_frame()
    kw = dict(n_estimators=15, num_leaves=7, min_child_samples=5, verbose=-1)
    bounds, n_bins = lightgbm_bin_bounds(X, kw)
    assert set(bounds) == set(n_bins) == {0, 1, 2, 3, 5, 6, 7}  # all but the constant
    assert bounds[5] == [] and n_bins[5] == 2  # bool: 0 | 1 is LightGBM's zero bound
    assert n_bins[3] == 5
    assert bounds[3] == [-1.4999999999999998, 1.5000000000000002]  # 0 by LightGBM
    path = f"{__import__('tempfile').mkdtemp()}/bins.json"
    with open(path, "w") as file:
        json.dump([{"feature": j, "bin_upper_bound": b} for j, b in bounds.items()], file)
    own = lgb.LGBMClassifier(**kw).fit(X, y)
    forced = lgb.LGBMClassifier(**kw, forcedbins_filename=path).fit(X, y)
    np.testing.assert_array_equal(
        forced.predict(X, raw_score=True), own.predict(X, raw_score=True)
    )


@pytest.mark.parametrize("grid", [7, 64])
def test_lightgbm_bin_bounds_read_on_a_coarse_grid_are_the_same(monkeypatch, grid):
    """Bins are read on a grid of distinct values, then between grid points of
    different bins: the bounds equal those of reading every distinct value."""
    pytest.importorskip("lightgbm")
    from skdistill.strategies import _bins

    X, _ = _messy_frame()
    every = _bins.lightgbm_bin_bounds(X, {"min_child_samples": 5})
    monkeypatch.setattr(_bins, "_GRID", grid)
    assert _bins.lightgbm_bin_bounds(X, {"min_child_samples": 5}) == every


def _pinned(client, X, y, order):
    """``X``, ``y`` in ``order`` as Dask arrays whose first half lives on one worker
    and second half on the other (the way files by date land)."""
    workers = sorted(client.scheduler_info()["workers"])
    half = len(y) // 2
    X, y = np.asarray(X, dtype=np.float64)[order], y[order]
    parts = [slice(0, half), slice(half, None)]
    dX = da.concatenate(
        [
            da.from_array(X[s], chunks=(half // 2, -1)).persist(workers=w)
            for s, w in zip(parts, workers, strict=True)
        ]
    )
    dy = da.concatenate(
        [
            da.from_array(y[s], chunks=half // 2).persist(workers=w)
            for s, w in zip(parts, workers, strict=True)
        ]
    )
    return dX, dy


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lightgbm_global_bins_fit_the_in_memory_student_on_two_workers(client2, n_classes):
    """Rows sorted by a feature, each half on its own worker (the case where a
    worker's own bins cover half a feature's range), with NaN, zeros, few values, a
    constant, a heavy tail: with bins="global" (the default) the binary student is
    the in-memory student, and the 3-class one is the fit on shuffled rows spread
    over both workers (both LightGBM's fit on the expanded rows with the in-memory
    bins; see the one-worker test above)."""
    lgb = pytest.importorskip("lightgbm")
    X, y = _messy_frame()
    X = X.drop(columns="flag").to_numpy()  # arrays: every column a float
    if n_classes == 3:
        y = np.digitize(X[:, 0] + X[:, 3], [-1.0, 1.0])
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    kw = dict(n_estimators=15, num_leaves=7, min_child_samples=5, verbose=-1)
    params = dict(temperature=2.0, alpha=0.7, calibration_cv="train", random_state=0)
    dX, dy = _pinned(client2, X, y, np.argsort(X[:, 0]))
    model = DistilledClassifier(teacher, lgb.DaskLGBMClassifier(**kw), **params)
    model.fit(dX, dy)
    if n_classes == 2:
        expected = DistilledClassifier(teacher, lgb.LGBMClassifier(**kw), **params)
        expected.fit(X, y)
    else:
        order = np.random.default_rng(0).permutation(len(y))
        dX, dy = da.from_array(X[order], chunks=(100, -1)), da.from_array(y[order], 100)
        expected = DistilledClassifier(teacher, lgb.DaskLGBMClassifier(**kw), **params)
        expected.fit(dX, dy)
    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X), atol=1e-9)
    # the fit's bins file is neither kept in the student's parameters nor left behind
    for key in ("forcedbins_filename", "max_bin"):
        assert key not in model.student_.get_params()
    text = model.student_.booster_.model_to_string()
    assert "[forcedbins_filename: ]" in text and "[max_bin: 255]" in text
    leftovers = client2.run(
        lambda: [
            name
            for name in __import__("os").listdir(__import__("tempfile").gettempdir())
            if name.startswith("skdistill-bins-")
        ]
    )
    assert not any(leftovers.values())


def test_lightgbm_global_bins_on_a_frame_with_bool_and_category_columns(client2):
    """A Dask DataFrame: numeric (a nullable one with pd.NA too) and bool columns are
    sent as bin numbers, a category column as it is (LightGBM's own bins); the
    student is the in-memory one."""
    lgb = pytest.importorskip("lightgbm")
    X, y = _messy_frame()
    rng = np.random.default_rng(1)
    X.insert(0, "shop", pd.Categorical(rng.choice(["web", "pos", "atm"], len(y))))
    X["visits"] = pd.array(rng.integers(0, 9, len(y)), dtype="Int64")  # nullable
    X.loc[::9, "visits"] = pd.NA
    teacher = HistGradientBoostingClassifier(
        max_iter=20, random_state=0, categorical_features="from_dtype"
    ).fit(X, y)
    kw = dict(n_estimators=15, num_leaves=7, min_child_samples=5, verbose=-1)
    params = dict(temperature=2.0, alpha=0.7, calibration_cv="train", random_state=0)
    expected = DistilledClassifier(teacher, lgb.LGBMClassifier(**kw), **params)
    expected.fit(X, y)
    dX = dd.from_pandas(X, npartitions=4)
    dy = dd.from_pandas(pd.Series(y, index=X.index), npartitions=4)
    model = DistilledClassifier(teacher, lgb.DaskLGBMClassifier(**kw), **params)
    model.fit(dX, dy)
    assert list(model.feature_names_in_) == list(X.columns)
    np.testing.assert_allclose(model.predict_proba(X), expected.predict_proba(X), atol=1e-9)


def test_lightgbm_bins_fall_back_with_a_warning(client2, monkeypatch):
    """Where LightGBM's bins cannot be read back (a LightGBM without the text dump),
    the fit uses LightGBM's per-worker bins and says so."""
    lgb = pytest.importorskip("lightgbm")
    from skdistill.exceptions import DistillationWarning

    monkeypatch.delattr(lgb.Dataset, "_dump_text")
    X, y = _data(n=600)
    dX, dy = da.from_array(X, chunks=150), da.from_array(y, chunks=150)
    model = DistilledClassifier(
        _teacher("hgb", X, y), lgb.DaskLGBMClassifier(n_estimators=5, verbose=-1)
    )
    with pytest.warns(DistillationWarning, match=r"bins='worker'"):
        model.fit(dX, dy)
    assert model.predict_proba(X).shape == (600, 2)


def test_lightgbm_user_bins_are_kept(client2, tmp_path):
    """A student that sets its bins (forcedbins_filename) trains on them: the cluster
    does not replace them."""
    lgb = pytest.importorskip("lightgbm")
    import json

    X, y = _data(n=600)
    bins = [{"feature": j, "bin_upper_bound": [-1.0, 0.5, 1.0]} for j in range(6)]
    path = tmp_path / "bins.json"
    path.write_text(json.dumps(bins))
    kw = dict(n_estimators=5, num_leaves=7, verbose=-1, forcedbins_filename=str(path))
    teacher = _teacher("hgb", X, y)
    dX, dy = da.from_array(X, chunks=150), da.from_array(y, chunks=150)
    model = DistilledClassifier(teacher, lgb.DaskLGBMClassifier(**kw), random_state=0)
    model.fit(dX, dy)
    assert model.student_.get_params()["forcedbins_filename"] == str(path)
    assert "max_bin" not in model.student_.get_params()  # no codes: trained as given
    assert "[max_bin: 255]" in model.student_.booster_.model_to_string()


def test_bin_sample_size_and_seed(client):
    from skdistill.strategies._bins import bin_sample

    X = da.from_array(np.arange(40_000.0).reshape(-1, 2), chunks=(2_000, 2))
    lengths = (2_000,) * 10
    every = bin_sample(X, lengths, 50_000, seed=0)
    np.testing.assert_array_equal(every, X.compute())  # all rows, in order
    some = bin_sample(X, lengths, 5_000, seed=0)
    assert abs(len(some) - 5_000) < 300
    np.testing.assert_array_equal(some, bin_sample(X, lengths, 5_000, seed=0))
    frame = dd.from_pandas(pd.DataFrame(X.compute(), columns=["a", "b"]), npartitions=4)
    assert list(bin_sample(frame, (5_000,) * 4, 1_000, seed=1).columns) == ["a", "b"]
