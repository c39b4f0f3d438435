"""
=========================================================
Digits: a small neural network distilled from a large one
=========================================================

Hinton, Vinyals and Dean's MNIST experiment (2015), at the scale of
scikit-learn's bundled 8x8 digits: a large, regularised teacher network is
trained first; then a much smaller student network is trained twice, on the
labels alone and on the combined soft/hard loss

``alpha * T**2 * KL(softmax(v / T) || softmax(z / T)) + (1 - alpha) * CE(z, y)``

(``v`` the teacher's logits, ``z`` the student's), the loss of
:class:`~skdistill.strategies.SkorchStrategy`. The result is reported as the
paper reports MNIST: test errors of the teacher, of the hard-label student and of
the distilled student, and the share of the gap between the first two that
distillation closes.

What to expect on so small a data set: the soft targets of the 1,078 training
digits alone do not help the 8-unit student (the teacher is nearly certain on
the rows it was trained on). They pay once the teacher also labels rows it has
not seen: here mixtures of training digits (``transfer_set="mixup"``), the
"transfer set" of the paper.
"""

# %%
# Data and the teacher
# --------------------
import warnings
from collections import OrderedDict

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNetClassifier

from skdistill import DistillationWarning, DistilledClassifier
from skdistill.report import LossCurveDisplay, model_complexity
from skdistill.strategies import SkorchStrategy

torch.set_num_threads(1)
warnings.simplefilter("ignore", DistillationWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train = scaler.transform(X_train).astype(np.float32)
X_test = scaler.transform(X_test).astype(np.float32)


def mlp(widths, dropout=0.0):
    """64 pixels -> hidden layers of ``widths`` units -> 10 logits."""
    layers, width = OrderedDict(), 64
    for i, units in enumerate(widths, 1):
        layers[f"hidden{i}"] = torch.nn.Linear(width, units)
        layers[f"act{i}"] = torch.nn.ReLU()
        if dropout:
            layers[f"drop{i}"] = torch.nn.Dropout(dropout)
        width = units
    layers["out"] = torch.nn.Linear(width, 10)
    return torch.nn.Sequential(layers)


def net(widths, epochs, dropout=0.0, **params):
    torch.manual_seed(0)
    settings = dict(
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=3e-3,
        batch_size=64,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
    )
    return NeuralNetClassifier(mlp(widths, dropout), **{**settings, **params})


# The teacher: two hidden layers of 512 units, dropout and weight decay.
teacher = net([512, 512], 40, dropout=0.3, lr=1e-3, optimizer__weight_decay=1e-4)
teacher.fit(X_train, y_train)

# %%
# The student, without and with distillation
# ------------------------------------------
#
# One hidden layer of 8 units: about 0.3% of the teacher's parameters.
hard = net([8], 100).fit(X_train, y_train)

distilled = {}
for name, transfer_set in (("distilled", None), ("distilled + mixup rows", "mixup")):
    distilled[name] = DistilledClassifier(
        teacher,
        net([8], 100),
        temperature=4.0,
        alpha=0.9,
        transfer_set=transfer_set,
        strategy=SkorchStrategy(random_state=0),
        random_state=0,
    ).fit(X_train, y_train)

# %%
# Results, reported as Hinton et al. report MNIST
# ------------------------------------------------
n_test = len(y_test)
errors = {"teacher": n_test - round(teacher.score(X_test, y_test) * n_test)}
errors["hard-label student"] = n_test - round(hard.score(X_test, y_test) * n_test)
for name, model in distilled.items():
    errors[f"{name} student"] = n_test - round(model.score(X_test, y_test) * n_test)

gap = errors["hard-label student"] - errors["teacher"]
print(f"test errors on {n_test} digits")
for name, count in errors.items():
    closed = ""
    if "distilled" in name and gap > 0:
        closed = f"  ({(errors['hard-label student'] - count) / gap:.0%} of the gap closed)"
    print(f"  {name:36s} {count:4d}  accuracy {1 - count / n_test:.3f}{closed}")
print(
    f"parameters: teacher {model_complexity(teacher).count:,}, "
    f"student {model_complexity(hard).count:,}"
)

# %%
# Training-loss curves
# --------------------
#
# Each net's ``history`` holds its loss per epoch: the cross-entropy for the
# teacher and the hard-label student, the distillation loss (soft and hard terms)
# for the distilled students, on their own scales.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
LossCurveDisplay.from_estimator(teacher, name="teacher", ax=axes[0])
LossCurveDisplay.from_estimator(hard, name="hard-label student", ax=axes[1])
for (name, model), color in zip(distilled.items(), ["C1", "C2"], strict=True):
    display = LossCurveDisplay.from_estimator(model, name=name, ax=axes[2])
    display.lines_[0].set_color(color)
    display.lines_[0].set_label(name)
axes[2].set_title("distilled students")
axes[2].legend()
plt.show()

# %%
# The distilled student trained on the mixup rows sees the teacher's answers on
# inputs between the digits, where they carry the most information about how the
# teacher generalises; :class:`~skdistill.transfer.Mixup` and
# :class:`~skdistill.transfer.GaussianJitter` are the two generators to try for
# image-like features. ``benchmarks/bench_neural.py`` repeats this over five
# seeds and two student sizes, and adds the feature-based (FitNets) and
# relation-based (RKD) losses.
