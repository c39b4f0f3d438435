"""
=========================================================
Digits: distilling a boosted teacher into small trees
=========================================================

The classic experiment: an accurate but large model (the *teacher*) and a small,
readable one (the *student*). Here the teacher is a 100-round
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` (1,000 trees, as it grows
one per class and round) on the 8x8 handwritten digits, and the students are
decision trees of depth 4, 6 and 8.

Each tree is fitted twice: on the labels alone (the *hard-label* baseline), and
with :class:`~skdistill.DistilledClassifier` on the teacher's tempered
probabilities at temperatures 1, 3 and 10. Then a small LightGBM student, trained
natively on the distillation loss, shows its loss curves with
:class:`~skdistill.report.LossCurveDisplay`.

What to expect: distillation helps the *weakest* student most, and only at a
temperature high enough to bring out how the teacher ranks the wrong classes.
Deeper trees, and boosted students, gain little or nothing.
"""

# %%
# The teacher
# -----------
#
# The teacher is fitted on 60% of the digits; the other 40% are the test rows.
# The students are fitted on the same training rows as the teacher, the simplest
# set-up (see the :ref:`user guide <user_guide>` for held-out transfer rows).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from lightgbm import LGBMClassifier
from scipy.special import softmax
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistillationWarning, DistilledClassifier, compute_teacher_logits
from skdistill.report import LossCurveDisplay, model_size
from skdistill.strategies import LightGBMStrategy

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)

teacher = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0)
teacher.fit(X_train, y_train)
teacher_accuracy = teacher.score(X_test, y_test)
print(f"teacher test accuracy: {teacher_accuracy:.3f}")
print(f"teacher size: {model_size(teacher) / 1e6:.1f} MB (pickled)")

# %%
# How soft are the soft targets?
# ------------------------------
#
# On the rows it was trained on, a boosted model is sure of itself. Dividing its
# logits by a temperature before the softmax flattens its probabilities and brings
# out its second and third choices:
temperatures = [1.0, 3.0, 10.0]
logits = compute_teacher_logits(teacher, X_train)
for temperature in temperatures:
    top = softmax(logits / temperature, axis=1).max(axis=1)
    print(
        f"temperature {temperature:4g}: the teacher's top class gets "
        f"{top.mean():.3f} of the probability on average (lowest {top.min():.3f})"
    )

# %%
# At temperature 1 the targets are one-hot in all but name: they tell the student
# nothing the labels do not, and skdistill says so with a
# :class:`~skdistill.DistillationWarning` (silenced below).
#
# Hard labels against soft targets
# --------------------------------
#
# ``alpha=1`` trains each tree on the teacher's soft targets alone, so the only
# difference from the hard-label tree is what it learns from. With a tree student,
# ``DistilledClassifier`` uses the ``"expand"`` strategy: every row is repeated once
# per class, weighted by its target probability.
depths = [4, 6, 8]
accuracy = {"hard labels": []} | {f"T = {t:g}": [] for t in temperatures}
sizes = {}

for depth in depths:
    hard = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X_train, y_train)
    accuracy["hard labels"].append(hard.score(X_test, y_test))
    for temperature in temperatures:
        student = DistilledClassifier(
            teacher,
            DecisionTreeClassifier(max_depth=depth),
            temperature=temperature,
            alpha=1.0,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DistillationWarning)
            student.fit(X_train, y_train)
        accuracy[f"T = {temperature:g}"].append(student.score(X_test, y_test))
    sizes[depth] = model_size(student.student_)

print("test accuracy by tree depth")
print("depth  " + "  ".join(f"{name:>11}" for name in accuracy))
for i, depth in enumerate(depths):
    print(f"{depth:5d}  " + "  ".join(f"{values[i]:11.3f}" for values in accuracy.values()))
for depth, size in sizes.items():
    print(
        f"depth-{depth} tree: {model_size(teacher) / size:,.0f}x smaller than the teacher"
    )

# %%
# The accuracy comparison
# -----------------------
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
width = 0.2
colors = ["0.6", "C0", "C1", "C2"]
for k, (name, values) in enumerate(accuracy.items()):
    positions = np.arange(len(depths)) + (k - 1.5) * width
    bars = ax.bar(positions, values, width, label=name, color=colors[k])
    ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=2)
ax.axhline(
    teacher_accuracy,
    color="black",
    linestyle="--",
    label=f"teacher ({teacher_accuracy:.2f})",
)
ax.set(
    xticks=np.arange(len(depths)),
    xticklabels=[f"depth-{d} tree" for d in depths],
    ylim=(0.4, 1.0),
    ylabel="test accuracy",
    title="Digits: trees on hard labels vs distilled (alpha=1) at three temperatures",
)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=5, frameon=False)
plt.show()


# %%
# Reading the plot. At temperatures 1 and 3 the targets are still dominated by the
# top class, and the distilled trees are no better than the hard-label ones. At
# temperature 10 the ranking of the wrong classes comes through, and the depth-4
# tree gains several points. The deeper trees are limited less by what they are
# told than by what they can represent: the depth-6 tree gains little, and the
# depth-8 tree is even a little worse at temperature 10 than on the labels. One
# split of 719 test rows is noisy (a point is seven rows); over five seeds
# (``benchmarks/results/digits.md``), the depth-4 tree goes from 0.557 to 0.641 at
# temperature 10, the depth-6 tree from 0.757 to 0.780, and the depth-8 tree
# hardly moves (0.828 to 0.835). Tune the temperature, with ``alpha=0`` among the candidates
# (:ref:`sphx_glr_auto_examples_plot_grid_search_temperature_alpha.py`).
#
# Loss curves of a boosted student
# --------------------------------
#
# A LightGBM student is trained natively on the distillation loss (the
# ``"lightgbm"`` strategy); with ``early_stopping_rounds``, 10% of the training rows
# are held out and the loss on them is recorded at every boosting round.
# ``alpha=0`` is the same student trained on the labels (LightGBM's own multiclass
# loss), with the same early stopping.
def lightgbm_student(temperature, alpha):
    student = LGBMClassifier(
        n_estimators=300,
        num_leaves=4,
        learning_rate=0.1,
        min_child_samples=5,
        n_jobs=1,
        verbose=-1,
    )
    strategy = LightGBMStrategy(early_stopping_rounds=20)
    model = DistilledClassifier(
        teacher,
        student,
        temperature=temperature,
        alpha=alpha,
        strategy=strategy,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        return model.fit(X_train, y_train)


boosted = {
    "hard labels (alpha=0)": lightgbm_student(1.0, 0.0),
    "distilled (T=3, alpha=1)": lightgbm_student(3.0, 1.0),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
for ax, (name, model) in zip(axes, boosted.items(), strict=True):
    LossCurveDisplay.from_estimator(model, name=name, ax=ax)
    print(
        f"{name}: {model.strategy_.n_iter_} rounds kept, "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )
plt.show()

# %%
# The two curves measure cross-entropy to *different* targets (one-hot labels on
# the left, the teacher's soft targets on the right, whose entropy is the floor),
# so compare their shapes, not their levels. On the labels the held-out loss stops
# improving after about a hundred rounds and early stopping ends the training; the
# soft targets keep giving signal for longer, and the student uses most of its 300
# rounds. The test accuracies end up close to each other and to the teacher's: a
# boosted student this size already learns nearly all it can from the labels, so
# distillation buys it little beyond being a smaller model than its teacher.
