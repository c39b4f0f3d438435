"""Shared fixtures: small datasets, fitted teachers, and a several-seed fixture."""

import numpy as np
import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    make_classification,
)


@pytest.fixture(params=[0, 1, 2], ids=lambda s: f"seed{s}")
def seed(request):
    """Several seeds, so that stochastic results are not one lucky draw."""
    return request.param


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def cancer():
    return load_breast_cancer(return_X_y=True)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float64), y


@pytest.fixture(scope="session", autouse=True)
def _single_threaded_native_code():
    """One BLAS/OpenMP thread: on 2 cores, HistGradientBoosting's threads fight the
    GridSearchCV workers and the suite slows down tenfold."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
