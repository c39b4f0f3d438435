"""Collection rules for the doctests of the package (``--doctest-modules``), and
the registries of strategies and transfer sets restored after every test.

The examples of the native strategies, of the Displays and of the exporters import
their framework; without the extra installed, those modules' doctests are not
collected (their tests skip themselves).
"""

import importlib.util

import pytest

_NEEDS = {
    "skdistill/strategies/_lightgbm.py": "lightgbm",
    "skdistill/strategies/_xgboost.py": "xgboost",
    "skdistill/strategies/_skorch.py": "skorch",
    "skdistill/report/_display.py": "matplotlib",
    "skdistill/report/_search_display.py": "matplotlib",
    "skdistill/report/_loss_display.py": "matplotlib",
    "skdistill/export/_persist.py": "skops",
    "skdistill/export/_onnx.py": "onnxruntime",
    "skdistill/export/_compiled.py": "tl2cgen",
}

collect_ignore = [
    path for path, module in _NEEDS.items() if not importlib.util.find_spec(module)
]


@pytest.fixture(autouse=True)
def _registries_left_as_found():
    """Strategies and transfer sets registered by a test or an example (such as the
    one of ``skdistill.transfer.register``) are unregistered after it."""
    from skdistill.strategies import _REGISTRY, STRATEGY_NAMES
    from skdistill.transfer._registry import _BY_NAME, TRANSFER_SET_NAMES

    saved = [
        (registry, dict(registry), names.options, set(names.options))
        for registry, names in ((_REGISTRY, STRATEGY_NAMES), (_BY_NAME, TRANSFER_SET_NAMES))
    ]
    yield
    for registry, entries, options, names in saved:
        registry.clear()
        registry.update(entries)
        options.clear()
        options.update(names)
