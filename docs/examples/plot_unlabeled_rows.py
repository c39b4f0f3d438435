"""
=====================================================
Few labels, many rows: distilling on unlabeled data
=====================================================

Labels are often scarce or late: a fraud chargeback arrives weeks after the
transaction, a medical diagnosis needs an expert. Rows, meanwhile, are plentiful.
This is where distillation pays most: a teacher fitted on the few labeled rows
labels all the others with its probabilities, and the student learns from every
row.

In skdistill, with ``unlabeled_label=UNLABELED``, a row whose label is
:data:`~skdistill.UNLABELED` (``-1``, the convention of
:class:`~sklearn.semi_supervised.SelfTrainingClassifier`) gets the teacher's soft
targets alone. This example varies the share of labeled digits from
5% to 100% and compares a depth-8 tree fitted on the labeled rows alone with the
same tree distilled on all of them.
"""

# %%
# The experiment
# --------------
#
# For each share of labels, the rows to keep labeled are drawn at random, the
# others get ``UNLABELED``. The teacher, a random forest, is passed *unfitted*:
# :class:`~skdistill.DistilledClassifier` fits it on the labeled rows only, then
# computes the soft targets of every row. Three random splits per share.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from skdistill import UNLABELED, DistilledClassifier

X, y = load_digits(return_X_y=True)
shares = [0.05, 0.1, 0.2, 0.5, 1.0]
seeds = [0, 1, 2]
scores = {
    name: np.zeros((len(seeds), len(shares))) for name in ("teacher", "hard", "distilled")
}

for i, seed in enumerate(seeds):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    order = np.random.RandomState(seed).permutation(len(y_train))
    for j, share in enumerate(shares):
        labeled = np.zeros(len(y_train), dtype=bool)
        labeled[order[: int(share * len(y_train))]] = True
        y_partial = np.where(labeled, y_train, UNLABELED)

        hard = DecisionTreeClassifier(max_depth=8, random_state=seed)
        hard.fit(X_train[labeled], y_train[labeled])
        model = DistilledClassifier(
            RandomForestClassifier(n_estimators=100, random_state=seed),
            DecisionTreeClassifier(max_depth=8),
            temperature=1.0,
            alpha=0.5,
            unlabeled_label=UNLABELED,
            random_state=seed,
        ).fit(X_train, y_partial)

        scores["teacher"][i, j] = model.teacher_.score(X_test, y_test)
        scores["hard"][i, j] = hard.score(X_test, y_test)
        scores["distilled"][i, j] = model.score(X_test, y_test)

print("share labeled   labeled rows   teacher   tree, labels only   tree, distilled")
for j, share in enumerate(shares):
    n_labeled = int(share * len(y_train))
    print(
        f"{share:13.0%}   {n_labeled:12d}   {scores['teacher'][:, j].mean():7.3f}   "
        f"{scores['hard'][:, j].mean():17.3f}   {scores['distilled'][:, j].mean():15.3f}"
    )

# %%
# ``alpha=0.5`` blends the labels with the teacher's probabilities where a label
# exists; unlabeled rows get the teacher's probabilities alone, whatever
# ``alpha``.
#
# The gain, by share of labels
# ----------------------------
fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
styles = {
    "teacher": (
        "teacher (random forest, labeled rows)",
        {"color": "black", "linestyle": "--"},
    ),
    "hard": ("depth-8 tree, labeled rows only", {"color": "0.5"}),
    "distilled": ("depth-8 tree, distilled on all rows", {"color": "C0"}),
}
for name, (label, style) in styles.items():
    mean, sd = scores[name].mean(axis=0), scores[name].std(axis=0)
    ax.errorbar(shares, mean, yerr=sd, marker="o", capsize=3, label=label, **style)
ax.set_xscale("log")
ax.set_xticks(shares, [f"{share:.0%}" for share in shares])
ax.minorticks_off()
ax.set(
    xlabel="share of the training rows with a label (log scale)",
    ylabel="test accuracy (mean ± sd, 3 splits)",
    title="Digits: what the unlabeled rows are worth to a depth-8 tree",
    ylim=(0.4, 1.0),
)
ax.legend(loc="lower right")
plt.show()

# %%
# With 5% to 20% of the labels, the distilled tree is many points more accurate
# than the tree fitted on the labeled rows alone: the teacher, itself fitted on
# those few labels, turns every unlabeled row into a useful training example. The
# gain shrinks as labels become plentiful and is gone at 100%, where every row is
# labeled and the tree's depth, not its data, is the limit (the teacher's soft
# targets on its own training rows then add little to the labels).
#
# The student can never be much better than its teacher: at 5% of the labels, the
# forest itself is weak. Where labels are scarce, spend effort on the teacher (it
# may use more features, more compute, or ``teacher_cv`` cross-fitting), and let
# the student inherit it.
