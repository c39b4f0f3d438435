"""FitNets hints, leaf hints and RKD through SkorchStrategy (issue 14, items 1-2)."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skdistill import DistilledClassifier, compute_teacher_logits
from skdistill.strategies import SkorchStrategy

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from _nets import named_mlp, skorch_net  # noqa: E402

FITNETS = dict(hint_layer="embedding", guided_layer="hidden", beta=0.5)
RKD = dict(rkd_distance=1.0, rkd_angle=2.0)
RKD_LAYERS = dict(RKD, rkd_teacher_layer="embedding", rkd_student_layer="embedding")
TECHNIQUES = {
    "fitnets": FITNETS,
    "fitnets-two-stage": dict(FITNETS, hint_epochs=2, beta=0.0),
    "rkd-logits": RKD,
    "rkd-layers": RKD_LAYERS,
    "fitnets+rkd": dict(FITNETS, **RKD),
}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture(scope="module")
def data():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


@pytest.fixture(scope="module")
def teacher(data):
    X, y = data
    net = skorch_net(4, 3, module=named_mlp(4, 3, hidden=16, embedding=6), max_epochs=30)
    return net.fit(X, y)


def student_net(**params):
    """A tiny student; its module instance (weights drawn here) seeded."""
    torch.manual_seed(0)
    return skorch_net(4, 3, module=named_mlp(4, 3, hidden=5, embedding=3), **{
        "max_epochs": 3, **params})  # fmt: skip


def distil(teacher, data, strategy, **params):
    X, y = data
    params = {"temperature": 2.0, "alpha": 0.7, "calibration_cv": "train", **params}
    model = DistilledClassifier(teacher, student_net(), strategy=strategy, **params)
    return model.set_params(random_state=0).fit(X, y)


def _hooks(module):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


@pytest.mark.parametrize("technique", list(TECHNIQUES), ids=list(TECHNIQUES))
def test_techniques_fit_predict_and_leave_no_hooks(teacher, data, technique):
    X, y = data
    # (a skorch net's predict_proba, which gives the logits, leaves it in eval mode;
    # the layer hints must change nothing more)
    teacher.predict_proba(X[:2])
    before = joblib.hash(teacher)
    model = distil(teacher, data, SkorchStrategy(random_state=0, **TECHNIQUES[technique]))
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3) and np.allclose(proba.sum(axis=1), 1.0)
    net = model.student_
    assert _hooks(net.module_) == 0 and _hooks(teacher.module_) == 0
    assert net.criterion_.capture is None and net.criterion_.stage == "kd"
    assert joblib.hash(teacher) == before  # the teacher is left as it was
    epochs = 3 + TECHNIQUES[technique].get("hint_epochs", 0)
    assert len(net.history) == epochs
    if "hint_layer" in TECHNIQUES[technique]:  # the regressor maps 5 -> 6 features
        assert tuple(net.criterion_.regressor.weight.shape) == (6, 5)


def test_hint_training_moves_student_layer_towards_teacher(teacher, data):
    """The two-stage hint pre-training lowers the hint loss it optimises."""
    X, y = data
    strategy = SkorchStrategy(random_state=0, hint_epochs=40, beta=0.0, **{
        k: FITNETS[k] for k in ("hint_layer", "guided_layer")})  # fmt: skip
    model = distil(teacher, data, strategy, calibration_cv="train")
    losses = model.student_.history[:, "train_loss"]
    assert losses[39] < 0.5 * losses[0]


def test_hooks_are_removed_when_training_fails(teacher, data):
    X, y = data

    class Boom(skorch.callbacks.Callback):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("boom")

    net = student_net(callbacks=[("boom", Boom())])
    strategy = SkorchStrategy(random_state=0, **FITNETS, **RKD_LAYERS)
    model = DistilledClassifier(teacher, net, strategy=strategy, calibration_cv="train")
    seen = []
    original = torch.nn.Module.register_forward_hook

    def spy(module, hook, **kwargs):
        seen.append(module)
        return original(module, hook, **kwargs)

    torch.nn.Module.register_forward_hook = spy
    try:
        with pytest.raises(RuntimeError, match="boom"):
            model.fit(X, y)
    finally:
        torch.nn.Module.register_forward_hook = original
    assert seen and all(len(module._forward_hooks) == 0 for module in seen)


def test_fitted_student_pickles_and_exports(teacher, data, tmp_path):
    X, y = data
    model = distil(teacher, data, SkorchStrategy(random_state=0, **FITNETS, **RKD))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X))
    assert restored.student_.criterion_.capture is None
    # the bare student net predicts the distiller's probabilities on its own
    np.testing.assert_allclose(model.student_.predict_proba(X), model.predict_proba(X),
                               atol=1e-6)  # fmt: skip
    # skops refuses torch objects (their state embeds a pickle) and says what to do
    from skdistill.export import save

    pytest.importorskip("skops")
    with pytest.raises(TypeError, match="to_onnx"):
        save(model, tmp_path / "model.skops", drop_teacher=True)
    pytest.importorskip("onnxruntime")
    from onnxruntime import InferenceSession

    from skdistill.export import to_onnx

    onx = to_onnx(model, X[:5])
    session = InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_array_equal(label, model.predict(X))
    assert np.abs(proba - model.predict_proba(X)).max() <= 1e-5


def test_grid_search_over_beta_rkd_weights_and_temperature(teacher, data):
    X, y = data
    strategy = SkorchStrategy(random_state=0, **FITNETS, rkd_distance=1.0)
    model = DistilledClassifier(teacher, student_net(max_epochs=2), strategy=strategy,
                                calibration_cv="train", random_state=0)  # fmt: skip
    grid = {
        "strategy__beta": [0.0, 1.0],
        "strategy__rkd_distance": [0.5, 2.0],
        "strategy__rkd_angle": [0.0, 1.0],
        "temperature": [1.0, 4.0],
    }
    search = GridSearchCV(model, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 16
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.strategy_
    assert best.beta == search.best_params_["strategy__beta"]


class LeafHintStrategy(SkorchStrategy):
    """The tree-leaf hint, not offered publicly (it did not beat plain KD)."""

    _allow_leaves = True
    _leaf_components = 4


def test_leaf_hint_from_a_forest_teacher_in_a_subclass(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0)
    forest.fit(X, y)
    before = joblib.hash(forest)
    params = dict(hint_layer="leaves", guided_layer="hidden", rkd_distance=1.0,
                  rkd_teacher_layer="leaves", random_state=0)  # fmt: skip
    model = distil(forest, data, LeafHintStrategy(**params))
    assert model.student_.criterion_.hint_features == 4
    assert model.student_.criterion_.embedding_features == 4
    assert joblib.hash(forest) == before
    assert model.score(X, y) > 0.5
    with pytest.raises(TypeError, match="is not a fitted skorch net"):
        distil(forest, data, SkorchStrategy(**params))  # not public


def test_rkd_on_logits_works_with_any_teacher(data):
    X, y = data
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    model = distil(teacher, data, SkorchStrategy(random_state=0, **RKD))
    assert model.student_.criterion_.embedding_features == 0
    # and with precomputed logits (no teacher object at all)
    logits = compute_teacher_logits(teacher, X)
    precomputed = DistilledClassifier("precomputed", student_net(),
                                      strategy=SkorchStrategy(random_state=0, **RKD),
                                      calibration_cv="train")  # fmt: skip
    precomputed.fit(X, y, teacher_logits=logits)
    assert precomputed.predict_proba(X).shape == (len(X), 3)


def test_teacher_in_a_pipeline_and_seeded_results_repeat(data):
    X, y = data
    net = skorch_net(4, 3, module=named_mlp(4, 3, hidden=16, embedding=6), max_epochs=5)
    to32 = FunctionTransformer(lambda a: np.asarray(a, dtype=np.float32))
    teacher = make_pipeline(to32, net).fit(X.astype(np.float64), y)
    strategy = SkorchStrategy(random_state=0, **FITNETS)
    first = distil(teacher, data, strategy).predict_proba(X)
    second = distil(teacher, data, strategy).predict_proba(X)
    np.testing.assert_array_equal(first, second)


# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(hint_layer="nope", guided_layer="hidden"), ValueError,
         r"hint_layer='nope' is not a layer of the teacher's module Sequential\. "
         r"Its layers .* are: \['hidden', 'act', 'embedding', 'act2', 'out'\]"),
        (dict(hint_layer="embedding", guided_layer="nope"), ValueError,
         r"guided_layer='nope' is not a layer of the student's module"),
        (dict(rkd_distance=1.0, rkd_student_layer="nope"), ValueError,
         r"rkd_student_layer='nope' is not a layer of the student's"),
        (dict(hint_layer="embedding"), ValueError, "guided_layer is not"),
        (dict(guided_layer="hidden"), ValueError, "hint_layer is not"),
        (dict(hint_epochs=2), ValueError, "hint_layer is None"),
        (dict(rkd_teacher_layer="embedding"), ValueError, "rkd_angle are both 0"),
        (dict(beta=-1.0), ValueError, "beta"),
    ],
    ids=["teacher-layer", "student-layer", "rkd-student-layer", "hint-alone",
         "guided-alone", "hint-epochs-alone", "rkd-layer-no-weight", "negative-beta"],
)  # fmt: skip
def test_bad_parameters_are_refused_clearly(teacher, data, params, error, match):
    with pytest.raises(error, match=match):
        distil(teacher, data, SkorchStrategy(**params))


def test_layer_hint_needs_a_torch_teacher(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="is not a fitted skorch net.*rkd_distance"):
        distil(forest, data, SkorchStrategy(hint_layer="x", guided_layer="hidden"))
    logits = compute_teacher_logits(forest, X)
    model = DistilledClassifier("precomputed", student_net(), calibration_cv="train",
                                strategy=SkorchStrategy(hint_layer="x",
                                                        guided_layer="hidden"))  # fmt: skip
    with pytest.raises(ValueError, match="got no teacher, only its logits"):
        model.fit(X, y, teacher_logits=logits)


def test_layer_with_tuple_output_is_refused(data):
    X, y = data

    class TupleOut(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = torch.nn.Linear(4, 3)

        def forward(self, x):
            return self.inner(x), x

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pair = TupleOut()

        def forward(self, x):
            return self.pair(x)[0]

    student = skorch_net(4, 3, module=Net(), max_epochs=2)
    strategy = SkorchStrategy(rkd_distance=1.0, rkd_student_layer="pair")
    model = DistilledClassifier(LogisticRegression().fit(X, y), student,
                                strategy=strategy, calibration_cv="train")  # fmt: skip
    with pytest.raises(TypeError, match="outputs tuple, not a tensor"):
        model.fit(X, y)
    assert len(student.module._forward_hooks) == 0
    assert len(student.module.pair._forward_hooks) == 0


def test_leaves_of_a_net_teacher_are_refused(teacher, data):
    strategy = LeafHintStrategy(hint_layer="leaves", guided_layer="hidden")
    with pytest.raises(TypeError, match="needs a tree-ensemble teacher"):
        distil(teacher, data, strategy)


def test_student_features_with_a_teacher_layer_is_refused(teacher, data):
    with pytest.raises(ValueError, match="leave student_features"):
        distil(teacher, data, SkorchStrategy(**FITNETS), student_features=[0, 1, 2, 3][:3])
