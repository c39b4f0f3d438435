"""The "skorch" strategy: HintonLoss maths, and NeuralNetClassifier students."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdistill import DistillationWarning, DistilledClassifier
from skdistill.strategies import SkorchStrategy, SoftTargets, resolve_strategy

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from skdistill.strategies._skorch import HintonLoss  # noqa: E402


class MLP(torch.nn.Module):
    """One hidden layer; logits out, or probabilities with ``softmax=True``."""

    def __init__(self, n_features=4, n_classes=3, hidden=16, softmax=False):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, hidden)
        self.out = torch.nn.Linear(hidden, n_classes)
        self.softmax = softmax

    def forward(self, X):
        z = self.out(torch.relu(self.hidden(X)))
        return z.softmax(dim=-1) if self.softmax else z


class MyNet(skorch.NeuralNetClassifier):
    """A user subclass of NeuralNetClassifier, defined outside skorch."""


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny nets are fastest (and unaffected by a busy machine) on one thread."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture(scope="module", params=["iris", "cancer"])
def dataset(request):
    loader = {"iris": load_iris, "cancer": load_breast_cancer}[request.param]
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    return X, y, teacher


@pytest.fixture(scope="module")
def iris_setup():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X, y, LogisticRegression(max_iter=1000).fit(X, y)


def make_net(n_features=4, n_classes=3, *, softmax=False, **params):
    settings = dict(
        module__n_features=n_features,
        module__n_classes=n_classes,
        module__softmax=softmax,
        criterion=torch.nn.NLLLoss if softmax else torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.03,
        max_epochs=25,
        batch_size=64,
        verbose=0,
    )
    settings.update(params)
    return skorch.NeuralNetClassifier(MLP, **settings)


# -- the loss -------------------------------------------------------------------------


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def reference_loss(z, v, labels, weight, temperature, alpha):
    """Hinton et al.'s loss, row by row in numpy."""
    log_p = _log_softmax(v / temperature)
    log_q = _log_softmax(z / temperature)
    kl = (np.exp(log_p) * (log_p - log_q)).sum(axis=1)
    rows = []
    for i, label in enumerate(labels):
        if label == -1:
            rows.append(temperature**2 * kl[i])
        else:
            ce = -_log_softmax(z)[i, label]
            rows.append(alpha * temperature**2 * kl[i] + (1 - alpha) * ce)
    return np.mean(weight * np.array(rows))


def _pack(labels, weight, teacher_logits):
    return torch.as_tensor(np.column_stack([labels, weight, teacher_logits]))


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 3)) * 2
    v = rng.normal(size=(6, 3)) * 3
    labels = np.array([0, 2, 1, -1, 2, 0])
    weight = np.array([1.0, 0.5, 2.0, 1.0, 0.0, 1.5])
    return z, v, labels, weight


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_loss_matches_reference(batch, temperature, alpha):
    z, v, labels, weight = batch
    loss = HintonLoss(temperature=temperature, alpha=alpha)
    got = loss(torch.as_tensor(z), _pack(labels, weight, v)).item()
    expected = reference_loss(z, v, labels, weight, temperature, alpha)
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_loss_extremes_are_plain_ce_and_scaled_kl(temperature):
    rng = np.random.default_rng(1)
    z = torch.as_tensor(rng.normal(size=(5, 4)))
    v = torch.as_tensor(rng.normal(size=(5, 4)))
    labels = torch.tensor([0, 1, 2, 3, 1])
    y_true = _pack(labels.numpy(), np.ones(5), v.numpy())
    ce = torch.nn.functional.cross_entropy(z, labels)
    hard = HintonLoss(temperature=temperature, alpha=0.0)(z, y_true)
    torch.testing.assert_close(hard, ce)
    kl = torch.nn.functional.kl_div(
        torch.log_softmax(z / temperature, dim=1),
        torch.log_softmax(v / temperature, dim=1),
        reduction="batchmean",
        log_target=True,
    )
    soft = HintonLoss(temperature=temperature, alpha=1.0)(z, y_true)
    torch.testing.assert_close(soft, temperature**2 * kl)


def test_loss_gradcheck(batch):
    z, v, labels, weight = batch
    z = torch.as_tensor(z).requires_grad_(True)
    y_true = _pack(labels, weight, v)
    loss = HintonLoss(temperature=2.5, alpha=0.4)
    assert torch.autograd.gradcheck(lambda logits: loss(logits, y_true), (z,))


def test_loss_on_probabilities_equals_loss_on_their_logs(batch):
    z, v, labels, weight = batch
    y_true = _pack(labels, weight, v)
    proba = torch.softmax(torch.as_tensor(z), dim=1)
    from_proba = HintonLoss(2.0, 0.5, module_output="proba")(proba, y_true)
    from_logits = HintonLoss(2.0, 0.5)(torch.as_tensor(z), y_true)
    torch.testing.assert_close(from_proba, from_logits)
    with pytest.raises(ValueError, match="not probability distributions"):
        HintonLoss(module_output="proba")(torch.as_tensor(z), y_true)


def test_loss_rejects_wrong_number_of_outputs(batch):
    z, v, labels, weight = batch
    with pytest.raises(ValueError, match="teacher has 3 classes"):
        HintonLoss()(torch.as_tensor(z[:, :2]), _pack(labels, weight, v))


def test_loss_on_plain_labels_is_cross_entropy():
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 1, 2, 1])
    torch.testing.assert_close(
        HintonLoss(temperature=5.0, alpha=0.9)(z, labels),
        torch.nn.functional.cross_entropy(z, labels),
    )


# -- strategy resolution and imports ----------------------------------------------------


@pytest.mark.parametrize(
    "student, accepted",
    [
        (make_net(), True),
        (MyNet(MLP), True),
        (skorch.NeuralNetBinaryClassifier(MLP), False),
        (skorch.NeuralNetRegressor(MLP), False),
        (LogisticRegression(), False),
    ],
    ids=["NeuralNetClassifier", "subclass", "binary", "regressor", "sklearn"],
)
def test_auto_resolution(student, accepted):
    assert SkorchStrategy.accepts(student) is accepted
    if accepted:
        assert isinstance(resolve_strategy("auto", student), SkorchStrategy)


def test_missing_skorch_names_the_extra(iris_setup, monkeypatch):
    X, y, teacher = iris_setup
    model = DistilledClassifier(teacher, make_net())
    monkeypatch.setitem(sys.modules, "skorch", None)
    with pytest.raises(ImportError, match=r"skdistill\[torch\]"):
        model.fit(X, y)


def test_explicit_strategy_rejects_other_students(iris_setup):
    X, y, teacher = iris_setup
    model = DistilledClassifier(teacher, LogisticRegression(), strategy="skorch")
    with pytest.raises(TypeError, match="NeuralNetClassifier student"):
        model.fit(X, y)


# -- distilled nets ---------------------------------------------------------------------


@pytest.mark.parametrize("softmax", [False, True], ids=["logits", "proba"])
def test_fidelity_to_teacher(dataset, softmax):
    X, y, teacher = dataset
    n_classes = len(teacher.classes_)
    net = make_net(X.shape[1], n_classes, softmax=softmax)
    model = DistilledClassifier(
        teacher, net, temperature=2.0, alpha=0.7, strategy=SkorchStrategy(random_state=0)
    ).fit(X, y)
    assert model.strategy_.name == "skorch"
    assert model.strategy_.module_output_ == ("proba" if softmax else "logits")
    assert np.mean(model.predict(X) == teacher.predict(X)) >= 0.93
    np.testing.assert_array_equal(model.classes_, teacher.classes_)
    # the fitted net stays a usable skorch classifier over the teacher's classes
    student = model.student_
    np.testing.assert_array_equal(student.classes_, teacher.classes_)
    proba = student.predict_proba(X.astype(np.float32))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(
        student.classes_[student.predict(X.astype(np.float32))], model.predict(X)
    )


def test_string_labels_sample_weight_and_unchanged_student(iris_setup):
    X, y, _ = iris_setup
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    teacher = LogisticRegression(max_iter=1000).fit(X, names)
    net = make_net(train_split=None)
    params = net.get_params(deep=False)
    weight = np.where(y == 0, 3.0, 1.0)
    model = DistilledClassifier(teacher, net, strategy=SkorchStrategy(random_state=0))
    model.fit(X, names, sample_weight=weight)
    assert set(model.predict(X)) <= set(names)
    assert np.mean(model.predict(X) == teacher.predict(X)) >= 0.9
    assert net.get_params(deep=False) == params and not net.initialized_
    assert model.student_.max_epochs == 25 and model.student_.lr == 0.03


def test_default_split_early_stopping_and_label_scoring(iris_setup):
    X, y, teacher = iris_setup
    stop = skorch.callbacks.EarlyStopping(monitor="valid_loss", patience=3)
    net = make_net(max_epochs=60, lr=0.1, callbacks=[stop])  # default ValidSplit
    model = DistilledClassifier(
        teacher, net, temperature=2.0, strategy=SkorchStrategy(random_state=0)
    )
    model.fit(X, y)
    history = model.student_.history
    assert len(history) < 60  # stopped early on the distillation loss
    assert all(0 <= acc <= 1 for acc in history[:, "valid_acc"])
    assert history[-1, "valid_acc"] > 0.8
    # refit of a clone on plain label indices: HintonLoss falls back to CE
    clone(model.student_).fit(X.astype(np.float32), y)


def test_unlabeled_rows_learn_from_the_teacher(iris_setup):
    X, y, teacher = iris_setup
    y_index = np.where(np.arange(len(y)) % 2 == 0, y, -1)
    targets = SoftTargets(
        teacher.decision_function(X), y_index, teacher.classes_, temperature=2.0, alpha=0.0
    )
    strategy = SkorchStrategy(random_state=0).fit(make_net(train_split=None), X, targets)
    assert np.mean(strategy.predict(X) == teacher.predict(X)) >= 0.9


def test_random_state_reproducible_and_global_state_untouched(iris_setup):
    X, y, teacher = iris_setup
    torch.manual_seed(123)
    state = torch.get_rng_state()
    fits = [
        DistilledClassifier(
            teacher, make_net(max_epochs=3), strategy=SkorchStrategy(random_state=0)
        ).fit(X, y)
        for _ in range(2)
    ]
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))


def test_warnings_for_probability_outputs_and_dropped_criterion_params(iris_setup):
    X, y, teacher = iris_setup
    net = make_net(max_epochs=2, softmax=True, criterion=torch.nn.CrossEntropyLoss)
    with pytest.warns(DistillationWarning, match="seems to output probabilities"):
        DistilledClassifier(teacher, net).fit(X, y)
    net = make_net(max_epochs=2, criterion__label_smoothing=0.1)
    with pytest.warns(DistillationWarning, match="label_smoothing"):
        DistilledClassifier(teacher, net).fit(X, y)


def test_grid_search_over_distillation_and_net_params(iris_setup):
    X, y, teacher = iris_setup
    model = DistilledClassifier(
        teacher,
        make_net(max_epochs=5, train_split=None),
        strategy=SkorchStrategy(random_state=0),
    )
    grid = {
        "temperature": [1.0, 3.0],
        "alpha": [0.5, 1.0],
        "student__max_epochs": [5, 10],
        "student__lr": [0.03],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        search = GridSearchCV(model, grid, cv=2, n_jobs=1).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_estimator_.teacher_ is teacher
    assert (
        search.best_estimator_.student_.max_epochs
        == search.best_params_["student__max_epochs"]
    )
    assert search.best_score_ > 0.8


def test_pickle_round_trip(iris_setup):
    X, y, teacher = iris_setup
    model = DistilledClassifier(
        teacher,
        make_net(max_epochs=5),
        temperature=2.0,
        strategy=SkorchStrategy(random_state=0),
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert isinstance(restored.student_.criterion_, HintonLoss)


def test_fresh_process_imports_no_torch_and_unpickles(iris_setup, tmp_path):
    """``import skdistill`` loads no torch; HintonLoss, made lazily, unpickles."""
    X, y, teacher = iris_setup
    net = skorch.NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=4,
        module__out_features=3,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=3,
        verbose=0,
    )
    model = DistilledClassifier(teacher, net).fit(X, y)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    code = (
        "import pickle, sys, numpy as np, skdistill, skdistill.strategies; "
        "assert not {'torch', 'skorch'} & set(sys.modules), 'torch imported'; "
        "d = sys.argv[1]; m = pickle.load(open(d + '/model.pkl', 'rb')); "
        "np.save(d + '/proba.npy', m.predict_proba(np.load(d + '/X.npy')))"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), model.predict_proba(X))
