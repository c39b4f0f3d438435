"""MutualDistillationClassifier (deep mutual learning) and its loss (issue 14 item 3)."""

import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from _nets import skorch_net  # noqa: E402
from sklearn.datasets import load_iris, make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from skdistill import DistillationWarning, MutualDistillationClassifier  # noqa: E402
from skdistill._mutual import mutual_loss  # noqa: E402


class TinyMLP(torch.nn.Module):
    """One hidden layer; the input width is read from the first batch (LazyLinear)."""

    def __init__(self, n_classes=2, hidden=8):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.LazyLinear(hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_classes)
        )

    def forward(self, X):
        return self.body(X)


class SizedNet(skorch.NeuralNetClassifier):
    """A net whose module gets ``n_classes`` from the net's ``classes``, so that one
    configuration fits every data set of the estimator checks."""

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix == "module" and self.classes is not None:
            params.setdefault("n_classes", len(self.classes))
        return params


def tiny_net(hidden=8, **params):
    settings = dict(
        module__hidden=hidden,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.05,
        max_epochs=20,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    return SizedNet(TinyMLP, **{**settings, **params})


def mutual(peer_params=None, **params):
    peer_params = peer_params or {}
    peers = [("a", tiny_net(16, **peer_params)), ("b", tiny_net(4, **peer_params))]
    return MutualDistillationClassifier(peers, **{"random_state": 0, **params})


@pytest.fixture(autouse=True)
def _quiet_lazy_modules():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Lazy modules", UserWarning)
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# -- scikit-learn's checks -------------------------------------------------------------


@parametrize_with_checks([mutual(temperature=2.0), mutual(predict_with="b", alpha=0.8)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# -- the loss -------------------------------------------------------------------------


def _numpy_mutual_loss(z, y, others, temperature, alpha):
    """Hand-written reference: (1 - a) CE + a T^2 mean_j KL(q_j || p), batch mean."""

    def log_softmax(v):
        v = v - v.max(axis=1, keepdims=True)
        return v - np.log(np.exp(v).sum(axis=1, keepdims=True))

    ce = -log_softmax(z)[np.arange(len(y)), y]
    log_p = log_softmax(z / temperature)
    kl = np.zeros(len(y))
    for other in others:
        log_q = log_softmax(other / temperature)
        kl += (np.exp(log_q) * (log_q - log_p)).sum(axis=1)
    kl /= len(others)
    return np.mean((1 - alpha) * ce + alpha * temperature**2 * kl)


@pytest.mark.parametrize("n_peers", [2, 3])
@pytest.mark.parametrize("temperature, alpha", [(1.0, 0.5), (4.0, 0.9), (2.0, 0.0)])
def test_mutual_loss_matches_numpy_reference(n_peers, temperature, alpha):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 4)) * 3
    others = [rng.normal(size=(6, 4)) * 3 for _ in range(n_peers - 1)]
    y = rng.integers(0, 4, size=6)
    got = mutual_loss(
        torch.tensor(z),
        torch.tensor(y),
        [torch.tensor(o) for o in others],
        temperature=temperature,
        alpha=alpha,
    )
    expected = _numpy_mutual_loss(z, y, others, temperature, alpha)
    assert float(got) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_mutual_loss_gradcheck(temperature):
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(5, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    other = torch.randn(5, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    y = torch.tensor([0, 1, 2, 1, 0])

    def loss(z):
        return mutual_loss(z, y, [other], temperature=temperature, alpha=0.7)

    assert torch.autograd.gradcheck(loss, (z,))
    # the peer's logits are a constant: no gradient flows to them
    loss(z).backward()
    assert other.grad is None


def test_mutual_loss_is_cross_entropy_when_peers_agree():
    z = torch.tensor([[2.0, -1.0, 0.5], [0.0, 1.0, 0.2]])
    y = torch.tensor([0, 2])
    ce = torch.nn.functional.cross_entropy(z, y)
    got = mutual_loss(z, y, [z.clone()], temperature=3.0, alpha=0.4)
    assert float(got) == pytest.approx(0.6 * float(ce), abs=1e-6)


# -- fit and predict ------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_peers_learn_and_agree_more_with_mutual_learning(seed):
    """On noisy labels, independent peers (alpha=0) fit the noise differently; the
    KL terms pull them together."""
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, flip_y=0.2, random_state=seed
    )
    X_train, X_test, y_train, y_test = X[:300], X[300:], y[:300], y[300:]
    disagreement = {}
    for alpha in (0.0, 0.7):
        model = mutual({"batch_size": 32}, alpha=alpha, temperature=2.0, random_state=seed)
        model.fit(X_train, y_train)
        assert model.score(X_test, y_test) > 0.65
        a = model.set_params(predict_with="a").predict_proba(X_test)
        b = model.set_params(predict_with="b").predict_proba(X_test)
        disagreement[alpha] = np.abs(a - b).sum(axis=1).mean()
        assert set(model.loss_curves_) == {"a", "b"}
        assert model.loss_curves_["a"].shape == (20,)
        assert model.loss_curves_["a"][-1] < model.loss_curves_["a"][0]
    assert disagreement[0.7] < 0.5 * disagreement[0.0]


def test_average_and_named_peer_predictions(iris):
    X, y = iris
    model = mutual().fit(X, y)
    a = model.named_peers_["a"]
    assert a.classes_.tolist() == [0, 1, 2]
    assert len(a.history) == 20 and "train_loss" in a.history[-1]
    # a fitted peer works on its own and agrees with predict_with="a"
    own = a.predict_proba(X.astype(np.float32))
    np.testing.assert_allclose(
        model.set_params(predict_with="a").predict_proba(X), own, atol=1e-6
    )
    average = model.set_params(predict_with="average").predict_proba(X)
    b = model.set_params(predict_with="b").predict_proba(X)
    np.testing.assert_allclose(average, (own + b) / 2, atol=1e-6)
    np.testing.assert_allclose(average.sum(axis=1), 1.0, atol=1e-12)


def test_same_seed_same_model_and_peers_start_apart(iris):
    X, y = iris
    first = mutual(random_state=3).fit(X, y)
    again = mutual(random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    other = mutual(random_state=4).fit(X, y)
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))
    # two identical peers are seeded apart (otherwise they would stay identical)
    twins = MutualDistillationClassifier(
        [("a", tiny_net(8)), ("b", tiny_net(8))], random_state=0
    ).fit(X, y)
    a = twins.set_params(predict_with="a").predict_proba(X)
    b = twins.set_params(predict_with="b").predict_proba(X)
    assert not np.allclose(a, b)


def test_user_peers_are_not_fitted_or_changed(iris):
    X, y = iris
    peers = [("a", tiny_net(8)), ("b", tiny_net(4))]
    model = MutualDistillationClassifier(peers, random_state=0).fit(X, y)
    assert not any(getattr(net, "initialized_", False) for _, net in peers)
    assert all(net.classes is None for _, net in peers)
    assert model.peers_[0][1] is not peers[0][1]


def test_three_peers_and_nllloss_peer(iris):
    """Three peers; one of them outputs probabilities (skorch's NLLLoss default)."""
    X, y = iris

    class SoftmaxMLP(TinyMLP):
        def forward(self, X):
            return super().forward(X).softmax(dim=-1)

    proba_peer = SizedNet(
        SoftmaxMLP,
        module__hidden=8,
        optimizer=torch.optim.Adam,
        lr=0.05,
        max_epochs=20,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    model = MutualDistillationClassifier(
        [("a", tiny_net(16)), ("b", tiny_net(4)), ("c", proba_peer)], random_state=0
    ).fit(X, y)
    assert model.score(X, y) > 0.9
    c = model.set_params(predict_with="c").predict_proba(X)
    np.testing.assert_allclose(c.sum(axis=1), 1.0, atol=1e-9)
    assert (c.argmax(axis=1) == y).mean() > 0.85


def test_pipeline_and_grid_search_over_temperature():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)
    X = X * 50 + 10  # the scaler in front matters
    pipe = make_pipeline(StandardScaler(), mutual())
    search = GridSearchCV(
        pipe,
        {
            "mutualdistillationclassifier__temperature": [1.0, 4.0],
            "mutualdistillationclassifier__a__lr": [0.01, 0.05],
        },
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.75
    best = search.best_estimator_[-1]
    assert (
        best.temperature == search.best_params_["mutualdistillationclassifier__temperature"]
    )
    assert (
        best.named_peers_["a"].lr
        == search.best_params_["mutualdistillationclassifier__a__lr"]
    )


def test_string_labels(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = mutual().fit(X, labels)
    assert model.classes_.tolist() == labels[[0, 50, 100]].tolist()
    assert (model.predict(X) == labels).mean() > 0.9


# -- persistence ----------------------------------------------------------------------


def test_pickle_round_trip(iris):
    X, y = iris
    model = mutual().fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_skops_refuses_the_peers_with_the_fix(iris, tmp_path):
    """skops cannot store a torch module without a pickle: save refuses, says why."""
    pytest.importorskip("skops")
    from skdistill.export import save

    X, y = iris
    model = mutual().fit(X, y)
    path = tmp_path / "mutual.skops"
    with pytest.raises(TypeError, match="pickles its torch module inside its state"):
        save(model, path)
    assert not path.exists()


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "peer_params, message",
    [
        ({"train_split": skorch.dataset.ValidSplit(5)}, r"\['a', 'b'\] have a train_split"),
        (
            {"callbacks": [skorch.callbacks.EarlyStopping(patience=2)]},
            r"callbacks \{'a': \['EarlyStopping'\], 'b': \['EarlyStopping'\]\} never run",
        ),
        (
            {"callbacks": [("stop", skorch.callbacks.EarlyStopping)]},
            r"\{'a': \['stop'\].* early stopping.*Remove them",
        ),
    ],
)
def test_unused_split_and_callbacks_warn_with_the_fix(iris, peer_params, message):
    X, y = iris
    with pytest.warns(DistillationWarning, match=message) as record:
        model = mutual(peer_params).fit(X, y)
    assert len(record) == 1
    assert record[0].filename == __file__  # points at the caller's fit
    # what the warning says: the loop ignores them, every row trains, no valid_loss
    for net in model.peers_:
        assert "valid_loss" not in net[1].history[-1]
        assert len(net[1].history) == net[1].max_epochs


def test_skorch_default_split_warns_and_none_is_quiet(iris):
    X, y = iris
    default = mutual().set_params(a__train_split=skorch.NeuralNetClassifier(
        TinyMLP).train_split)  # fmt: skip
    with pytest.warns(
        DistillationWarning,
        match=r"\['a'\] have a train_split \(ValidSplit\).*a__train_split=None",
    ):
        default.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DistillationWarning)
        mutual(peer_params={"callbacks": "disable"}).fit(X, y)
        mutual(peer_params={"callbacks": []}).fit(X, y)


def test_errors_name_the_fix(iris):
    X, y = iris
    net = tiny_net()
    cases = [
        ([("a", net)], ValueError, "at least two peers"),
        ([], ValueError, "at least two peers"),
        ([("a", net), ("a", tiny_net())], ValueError, r"unique; \['a'\] repeat"),
        (
            [("a", net), ("b", DecisionTreeClassifier())],
            TypeError,
            "skorch NeuralNetClassifier",
        ),
        ([net, tiny_net()], TypeError, r"list of \(name, net\) pairs"),
        ([("a__x", net), ("b", tiny_net())], ValueError, "cannot contain '__'"),
        ([("a", net), ("b", tiny_net(max_epochs=5))], ValueError, "same max_epochs"),
        ([("a", net), ("b", tiny_net(classes=[0, 1]))], ValueError, "classes of y"),
    ]
    for peers, error, message in cases:
        with pytest.raises(error, match=message):
            MutualDistillationClassifier(peers).fit(X, y)
    with pytest.raises(ValueError, match="neither 'average' nor the name of a peer"):
        mutual(predict_with="c").fit(X, y)
    wrong_width = skorch_net(4, 2)  # two logits for three classes
    with pytest.raises(ValueError, match="outputs shape .* one logit per class"):
        MutualDistillationClassifier([("a", net), ("b", wrong_width)]).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        mutual().fit(X, np.zeros(len(X)))
