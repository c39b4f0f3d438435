"""FitNets and RKD losses: gradient checks and NumPy references (issue 14)."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skdistill.strategies._neural import (  # noqa: E402
    MAX_ANGLE_ROWS,
    hint_loss,
    rkd_angle_loss,
    rkd_distance_loss,
)
from skdistill.strategies._skorch import DistillationLoss  # noqa: E402


def _huber(a, b):
    diff = np.abs(a - b)
    return np.where(diff < 1.0, 0.5 * diff**2, diff - 0.5).mean()


def reference_hint(guided, hint, weight):
    return np.mean(weight * ((guided - hint) ** 2).mean(axis=1))


def reference_distance(student, teacher):
    """Park et al.'s distance-wise loss, pair by pair."""

    def normed(e):
        pairs = itertools.combinations(range(len(e)), 2)
        d = np.array([np.linalg.norm(e[i] - e[j]) for i, j in pairs])
        return d / d.mean()

    return _huber(normed(student), normed(teacher))


def reference_angle(student, teacher):
    """Park et al.'s angle-wise loss, triplet by triplet (vertex j)."""

    def cosines(e):
        n = len(e)
        out = np.zeros((n, n, n))
        for j, i, k in itertools.product(range(n), repeat=3):
            a, b = e[i] - e[j], e[k] - e[j]
            na, nb = np.linalg.norm(a), np.linalg.norm(b)
            if na > 0 and nb > 0:
                out[j, i, k] = a @ b / (na * nb)
        return out.ravel()

    return _huber(cosines(student), cosines(teacher))


@pytest.fixture
def embeddings():
    rng = np.random.default_rng(0)
    return rng.normal(size=(7, 3)), rng.normal(size=(7, 5)) * 3


@pytest.mark.parametrize(
    "loss, reference",
    [(rkd_distance_loss, reference_distance), (rkd_angle_loss, reference_angle)],
    ids=["distance", "angle"],
)
def test_rkd_losses_equal_numpy_reference(embeddings, loss, reference):
    student, teacher = embeddings
    got = loss(torch.as_tensor(student), torch.as_tensor(teacher)).item()
    assert got == pytest.approx(reference(student, teacher), rel=1e-10)
    # the same embedding (up to scale for distances, any similarity for angles): 0
    assert loss(torch.as_tensor(teacher * 2), torch.as_tensor(teacher)).item() < 1e-12


def test_hint_loss_equals_numpy_reference():
    rng = np.random.default_rng(1)
    guided, hint, weight = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.random(5)
    got = hint_loss(*map(torch.as_tensor, (guided, hint, weight))).item()
    assert got == pytest.approx(reference_hint(guided, hint, weight), rel=1e-12)


@pytest.mark.parametrize(
    "loss", [rkd_distance_loss, rkd_angle_loss], ids=["distance", "angle"]
)
def test_rkd_losses_pass_gradcheck(embeddings, loss):
    student = torch.as_tensor(embeddings[0]).requires_grad_()
    teacher = torch.as_tensor(embeddings[1])
    assert torch.autograd.gradcheck(lambda s: loss(s, teacher), (student,))


def test_hint_loss_passes_gradcheck():
    rng = np.random.default_rng(2)
    guided = torch.as_tensor(rng.normal(size=(5, 4))).requires_grad_()
    hint, weight = torch.as_tensor(rng.normal(size=(5, 4))), torch.rand(5).double()
    assert torch.autograd.gradcheck(lambda g: hint_loss(g, hint, weight), (guided,))


@pytest.mark.parametrize("loss", [rkd_distance_loss, rkd_angle_loss])
def test_rkd_losses_of_tiny_batches_are_zero_with_a_gradient(loss):
    student = torch.zeros((1, 3), requires_grad=True)
    value = loss(student, torch.ones((1, 3)))
    value.backward()
    assert value.item() == 0.0 and student.grad is not None


def test_angle_loss_reads_only_the_first_rows():
    rng = np.random.default_rng(3)
    student = rng.normal(size=(MAX_ANGLE_ROWS + 5, 2))
    teacher = rng.normal(size=(MAX_ANGLE_ROWS + 5, 2))
    changed = student.copy()
    changed[MAX_ANGLE_ROWS:] += 10.0
    a, b, t = map(torch.as_tensor, (student, changed, teacher))
    assert rkd_angle_loss(a, t).item() == rkd_angle_loss(b, t).item()


def _packed(n_classes=3, n_hint=4, n_embedding=0, n=6, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n).astype(float)
    labels[1] = -1  # an unlabeled row
    weight = rng.random(n) + 0.5
    logits = rng.normal(size=(n, n_classes)) * 2
    hint = rng.normal(size=(n, n_hint))
    embedding = rng.normal(size=(n, n_embedding))
    y = np.column_stack([labels, weight, logits, hint, embedding])
    return torch.as_tensor(y), labels, weight, logits, hint, embedding


def _hinton_reference(z, v, labels, weight, temperature, alpha):
    def log_softmax(a):
        a = a - a.max(axis=1, keepdims=True)
        return a - np.log(np.exp(a).sum(axis=1, keepdims=True))

    log_p, log_q = log_softmax(v / temperature), log_softmax(z / temperature)
    kl = (np.exp(log_p) * (log_p - log_q)).sum(axis=1)
    ce = -log_softmax(z)[np.arange(len(z)), np.maximum(labels, 0).astype(int)]
    hard = np.where(labels == -1, 0.0, 1 - alpha)
    return np.mean(weight * ((1 - hard) * temperature**2 * kl + hard * ce))


@pytest.mark.parametrize("n_embedding", [0, 5], ids=["rkd-on-logits", "rkd-on-layer"])
def test_distillation_loss_equals_sum_of_references(n_embedding):
    """The criterion: Hinton + beta * hint + rkd weights * RKD, term by term."""
    y, labels, weight, logits, hint, embedding = _packed(n_embedding=n_embedding)
    rng = np.random.default_rng(5)
    z = rng.normal(size=(6, 3))
    guided = rng.normal(size=(6, 2))
    student_embedding = rng.normal(size=(6, 4))
    loss = DistillationLoss(
        2.0, 0.7, n_classes=3, hint_features=4, guided_features=2, beta=0.5,
        embedding_features=n_embedding, rkd_distance=3.0, rkd_angle=2.0,
    ).double()  # fmt: skip
    capture = {"guided": torch.as_tensor(guided)}
    if n_embedding:
        capture["embedding"] = torch.as_tensor(student_embedding)
    loss.capture = capture
    got = loss(torch.as_tensor(z), y).item()
    W = loss.regressor.weight.detach().numpy()
    c = loss.regressor.bias.detach().numpy()
    s_emb, t_emb = (student_embedding, embedding) if n_embedding else (z, logits)
    expected = (
        _hinton_reference(z, logits, labels, weight, 2.0, 0.7)
        + 0.5 * reference_hint(guided @ W.T + c, hint, weight)
        + 3.0 * reference_distance(s_emb, t_emb)
        + 2.0 * reference_angle(s_emb, t_emb)
    )
    assert got == pytest.approx(expected, rel=1e-10)
    loss.stage = "hint"  # FitNets' first stage: the hint alone
    assert loss(torch.as_tensor(z), y).item() == pytest.approx(
        reference_hint(guided @ W.T + c, hint, weight), rel=1e-10
    )


def test_distillation_loss_passes_gradcheck():
    y, *_ = _packed(n_embedding=0)
    rng = np.random.default_rng(6)
    loss = DistillationLoss(
        3.0, 0.5, n_classes=3, hint_features=4, guided_features=2,
        rkd_distance=1.0, rkd_angle=1.0,
    ).double()  # fmt: skip
    z = torch.as_tensor(rng.normal(size=(6, 3))).requires_grad_()
    guided = torch.as_tensor(rng.normal(size=(6, 2))).requires_grad_()

    def total(z, guided):
        loss.capture = {"guided": guided}
        return loss(z, y)

    assert torch.autograd.gradcheck(total, (z, guided))


def test_distillation_loss_errors():
    y, *_ = _packed()
    loss = DistillationLoss(n_classes=3, hint_features=4, guided_features=2).double()
    z = torch.zeros((6, 3), dtype=torch.float64)
    with pytest.raises(RuntimeError, match="forward hooks that SkorchStrategy"):
        loss(z, y)
    loss.capture = {"guided": torch.zeros((5, 2), dtype=torch.float64)}
    with pytest.raises(ValueError, match="first dimension is the batch"):
        loss(z, y)
    with pytest.raises(ValueError, match="packed targets have 7 columns, expected 9"):
        loss(z, y[:, :7])
    # refit on plain labels: the cross-entropy, no hooks needed
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    expected = torch.nn.functional.cross_entropy(z, labels)
    assert loss(z, labels).item() == pytest.approx(expected.item())
