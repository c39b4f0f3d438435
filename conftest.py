"""Collection rules for the doctests of the package (``--doctest-modules``).

The examples of the native strategies import their framework; without the extra
installed, those modules' doctests are not collected (the tests in tests/strategies/
skip themselves).
"""

import importlib.util

_NEEDS = {
    "skdistill/strategies/_lightgbm.py": "lightgbm",
    "skdistill/strategies/_xgboost.py": "xgboost",
    "skdistill/strategies/_skorch.py": "skorch",
}

collect_ignore = [
    path for path, module in _NEEDS.items() if not importlib.util.find_spec(module)
]
