"""
=====================================================
From a neural network to a tree: checking fidelity
=====================================================

A neural network draws smooth decision boundaries; a decision tree can only cut
along the axes. This example distils a small
:class:`~sklearn.neural_network.MLPClassifier` into a depth-5 tree and asks how
faithfully the tree copies it, with :class:`~skdistill.report.FidelityDisplay`:
each test row is a point, the teacher's probability on one axis and the student's
on the other.

The data has two features (scikit-learn's noisy "two moons") so that the decision
regions can be drawn. A skorch ``NeuralNetClassifier`` teacher works the same way:
the distiller only needs its ``predict_proba``.
"""

# %%
# Teacher and students
# --------------------
import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill.report import FidelityDisplay, distillation_report

X, y = make_moons(n_samples=1500, noise=0.3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)

teacher = make_pipeline(
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(64, 64), alpha=1e-3, max_iter=2000, random_state=0),
).fit(X_train, y_train)

hard_tree = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X_train, y_train)
distilled_tree = DistilledClassifier(
    teacher, DecisionTreeClassifier(max_depth=5), temperature=1.0, alpha=1.0, random_state=0
).fit(X_train, y_train)
print("teacher's logits taken from:", distilled_tree.response_method_)

# %%
# The network has no ``decision_function``, so its logits are the logarithms of
# its probabilities. For a softmax model that loses nothing: they differ from its
# internal logits by a constant per row, which the tempered softmax ignores. The
# temperature is 1: on noisy data a regularised network's probabilities are soft
# already (a higher one changes little here), and ``alpha=1`` fits the tree to them
# alone.
#
# The decision regions
# --------------------
#
# The colour is each model's probability of the second class; the points are the
# test rows.
models = {
    "teacher: MLP (64, 64)": teacher,
    "depth-5 tree, hard labels": hard_tree,
    "depth-5 tree, distilled": distilled_tree,
}
fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), layout="constrained", sharey=True)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    display = DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict_proba",
        grid_resolution=200,
        cmap="RdBu",
        vmin=0,
        vmax=1,
        alpha=0.8,
        ax=ax,
    )
    ax.scatter(*X_test.T, c=y_test, cmap="RdBu", edgecolors="k", linewidths=0.3, s=12)
    ax.set(title=name, xlabel="feature 0")
axes[0].set_ylabel("feature 1")
fig.colorbar(display.surface_, ax=axes, label="probability of class 1", shrink=0.9)
plt.show()

# %%
# The hard-label tree carves confident boxes around the noise in the training
# labels; the distilled tree follows the teacher's smooth gradient of probability,
# with the same axis-aligned cuts.
#
# Fidelity
# --------
#
# :class:`~skdistill.report.FidelityDisplay` compares a student's probabilities
# with its teacher's, row by row: points on the diagonal are perfect copies, red
# crosses are rows where the two predict different labels. A plain classifier is
# compared with any teacher by passing ``teacher=``.
fig, axes = plt.subplots(1, 2, figsize=(10, 6.8), layout="constrained")
FidelityDisplay.from_estimator(
    hard_tree, X_test, teacher=teacher, name="the hard-label tree", ax=axes[0]
)
FidelityDisplay.from_estimator(
    distilled_tree, X_test, name="the distilled tree", ax=axes[1]
)
plt.show()

# %%
# Both trees predict in horizontal bands, one per leaf: a leaf gives all its rows
# the same probability. The hard-label tree's leaves hold the share of class 1
# among their training labels, and some of them are sure (0 or 1) where the teacher
# hesitates: points far from the diagonal at the top and bottom of the left plot.
# The distilled tree's leaves hold the mean of the teacher's probabilities, so it
# is never that sure where the teacher is not; its bands lie closer to the
# diagonal, though a tree of at most 32 leaves still lumps together rows that the
# teacher tells apart (the band at 0.5). The same in numbers, on the test rows:
report = distillation_report(
    teacher,
    {"tree, hard labels": hard_tree, "tree, distilled": distilled_tree},
    X_test,
    y_test,
    latency_calls=50,
)
report.table[["accuracy", "log_loss", "ece", "fidelity", "prob_mad"]].round(3)

# %%
# The distilled tree's probabilities are closer to the network's (``prob_mad``, the
# mean absolute difference) and far better as probabilities: its log-loss is about
# a third of the hard-label tree's, close to the teacher's. On *labels*, though, the
# two trees agree with the network about equally often (``fidelity``), and their
# accuracies are within a point of each other: with 900 training rows in two
# dimensions, the labels already tell a depth-5 tree where the classes lie, and the
# network is only a little more accurate than the tree. Over other draws of the
# data the accuracy and agreement gains go either way by a point or two; the
# log-loss gain is there every time. Distilling a network into a tree buys a
# readable copy with usable probabilities, not necessarily more correct answers.
