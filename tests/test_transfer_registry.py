"""``skdistill.transfer.register`` (issue 12 item 2): named transfer sets are open.

As ``skdistill.strategies.register``: a registered name is accepted by the
distillers' ``transfer_set`` parameter (its validation reads the live set of
names) and resolves to a new instance of the class. The root ``conftest.py``
unregisters what each test registers.
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skdistill import DistilledClassifier
from skdistill.transfer import (
    MUNGE,
    TransferSampler,
    available_transfer_sets,
    register,
    resolve_transfer_set,
)


class Bootstrap(TransferSampler):
    """Rows drawn with replacement from the training rows (a toy sampler)."""

    def _generate(self, table, n, random_state, y):
        rows = random_state.randint(table.n_rows, size=n)
        return table.cont[rows], np.tile(rows[:, None], len(table.cat_idx))


class Corners:
    """A duck-typed sampler (no TransferSampler base): the box's corner rows."""

    def __init__(self, high=True):
        self.high = high

    def sample(self, X, n, random_state=None, y=None):
        corner = X.max(axis=0) if self.high else X.min(axis=0)
        return np.tile(corner, (n, 1))


def test_builtin_names_are_registered():
    assert available_transfer_sets() == ["munge", "gaussian", "mixup", "minority"]


@pytest.mark.parametrize("sampler_class", [Bootstrap, Corners])
def test_registered_name_resolves_and_distils(sampler_class):
    assert register(sampler_class, name="toy") is sampler_class
    assert available_transfer_sets()[-1] == "toy"
    assert type(resolve_transfer_set("toy")) is sampler_class
    X, y = load_iris(return_X_y=True)
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3), transfer_set="toy", random_state=0
    ).fit(X, y)
    # the student saw the training rows and as many generated ones, which carry the
    # teacher's targets alone and so weigh alpha = 0.5
    assert model.student_.tree_.weighted_n_node_samples[0] == pytest.approx(1.5 * len(X))


def test_unregistered_name_is_refused_by_parameter_validation():
    X, y = load_iris(return_X_y=True)
    model = DistilledClassifier(LogisticRegression(), transfer_set="toy")
    with pytest.raises(InvalidParameterError, match="'toy'"):
        model.fit(X, y)


def test_registering_a_name_again_replaces_its_class():
    register(Bootstrap, name="munge")
    assert type(resolve_transfer_set("munge")) is Bootstrap
    assert available_transfer_sets().count("munge") == 1


def test_registries_are_restored_between_tests():
    """The previous test replaced "munge"; the conftest put it back."""
    assert type(resolve_transfer_set("munge")) is MUNGE
    assert "toy" not in available_transfer_sets()


class _NeedsArguments(TransferSampler):
    def __init__(self, scale, categorical_features=None):
        self.scale = scale
        self.categorical_features = categorical_features


@pytest.mark.parametrize(
    "sampler_class, name, error, message",
    [
        (Bootstrap(), "toy", TypeError, "Expected a sampler class with a sample"),
        (DecisionTreeClassifier, "toy", TypeError, "Expected a sampler class"),
        (_NeedsArguments, "toy", TypeError, r"needs the arguments \['scale'\]"),
        (Bootstrap, "", ValueError, "name must be a non-empty string"),
        (Bootstrap, 3, ValueError, "name must be a non-empty string"),
    ],
)
def test_register_refuses_with_the_fix(sampler_class, name, error, message):
    with pytest.raises(error, match=message):
        register(sampler_class, name=name)
    assert available_transfer_sets() == ["munge", "gaussian", "mixup", "minority"]
