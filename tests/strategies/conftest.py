"""Fitted teachers shared by the strategy tests."""

import pytest
from sklearn.linear_model import LogisticRegression


@pytest.fixture(scope="module")
def iris_teacher(iris):
    X, y = iris
    return LogisticRegression(max_iter=1000).fit(X, y)


@pytest.fixture(scope="module")
def binary_teacher(binary_data):
    X, y = binary_data
    return LogisticRegression(max_iter=1000).fit(X, y)
