"""Collection rules for the doctests of the package (``--doctest-modules``).

The examples of the native strategies, of the Displays and of the exporters import
their framework; without the extra installed, those modules' doctests are not
collected (their tests skip themselves).
"""

import importlib.util

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
