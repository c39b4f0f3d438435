"""A small skorch net shared by the export tests (skipped without torch/skorch)."""

import pytest


def skorch_net(n_features, n_classes, module=None, **params):
    """A ``NeuralNetClassifier`` of ``module``, by default one hidden layer whose
    output is logits."""
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    if module is None:
        module = torch.nn.Sequential(
            torch.nn.Linear(n_features, 8), torch.nn.ReLU(), torch.nn.Linear(8, n_classes)
        )
    settings = dict(
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.05,
        max_epochs=10,
        train_split=None,
        verbose=0,
    )
    return skorch.NeuralNetClassifier(module, **{**settings, **params})


def named_mlp(n_features, n_classes, hidden=8, embedding=4):
    """``Sequential`` with named layers: ``hidden`` (Linear), ``act``, ``embedding``
    (Linear), ``act2`` and ``out`` (logits)."""
    torch = pytest.importorskip("torch")
    from collections import OrderedDict

    return torch.nn.Sequential(
        OrderedDict(
            hidden=torch.nn.Linear(n_features, hidden),
            act=torch.nn.ReLU(),
            embedding=torch.nn.Linear(hidden, embedding),
            act2=torch.nn.ReLU(),
            out=torch.nn.Linear(embedding, n_classes),
        )
    )
