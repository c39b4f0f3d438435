"""
===============================================
The smallest neural student: int8 quantization
===============================================

Distillation gives a small network; quantization makes it smaller still.
:func:`~skdistill.export.quantize` stores the weights of a distilled skorch
student's linear layers as int8, with torch (``backend="torch"``) or with
onnxruntime on the student's ONNX export (``backend="onnx"``), and returns a
:class:`~skdistill.export.QuantizedStudent` that predicts like the distiller.
:func:`~skdistill.export.quantization_report` then puts the float and int8
students side by side: size, single-row latency, accuracy and how many rows keep
their class.
"""

# %%
# A teacher and a distilled network
# ---------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier

from skdistill import DistillationWarning, DistilledClassifier
from skdistill.export import quantization_report, quantize

torch.set_num_threads(1)  # single-row timings are thread-pool noise otherwise
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
teacher = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(X_train, y_train)

net = NeuralNetClassifier(
    torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    ),
    criterion=torch.nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=0.01,
    max_epochs=20,
    train_split=None,
    verbose=0,
)
model = DistilledClassifier(teacher, net, temperature=2.0, alpha=0.7, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DistillationWarning)  # in-sample soft targets
    model.fit(X_train, y_train)
print(f"teacher accuracy {teacher.score(X_test, y_test):.3f}")
print(f"student accuracy {model.score(X_test, y_test):.3f}")

# %%
# Quantize with both backends and compare
# ---------------------------------------
reports = {}
for backend in ("torch", "onnx"):
    quantized = quantize(model, X_test[:5], backend=backend)
    reports[backend] = quantization_report(model, quantized, X_test, y_test, n_calls=100)
    float_, int8 = reports[backend]["float"], reports[backend]["int8"]
    print(
        f"{backend}: size {float_['size'] / 1000:.1f} kB -> {int8['size'] / 1000:.1f} kB "
        f"({int8['size_ratio']:.2f}x), accuracy {float_['accuracy']:.4f} -> "
        f"{int8['accuracy']:.4f}, same class on {100 * int8['agreement']:.1f}% of rows, "
        f"largest probability change {int8['max_proba_diff']:.3f}, single-row latency "
        f"x{int8['latency_ratio']:.2f}"
    )

# %%
# Size buys the most; latency does not drop for a net this small: quantizing the
# activations of each call costs about what the int8 products save.
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
backends = list(reports)
x = np.arange(len(backends))
for ax, key, label in (
    (axes[0], "size", "size (kB)"),
    (axes[1], "latency", "latency (µs)"),
):
    scale = 1e-3 if key == "size" else 1e6
    ax.bar(
        x - 0.2, [reports[b]["float"][key] * scale for b in backends], 0.4, label="float"
    )
    ax.bar(x + 0.2, [reports[b]["int8"][key] * scale for b in backends], 0.4, label="int8")
    ax.set_xticks(x, backends)
    ax.set_ylabel(label)
axes[0].legend()
fig.tight_layout()
plt.show()
