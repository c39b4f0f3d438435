"""
===========================================
Grid-searching the temperature and alpha
===========================================

:class:`~skdistill.DistilledClassifier` is an ordinary scikit-learn estimator, so
:class:`~sklearn.model_selection.GridSearchCV` tunes its ``temperature`` and
``alpha`` like any other hyperparameters. ``alpha=0`` trains the student on the
labels alone: keep it in the grid, and distillation is then never chosen unless it
beats the hard-label student in cross-validation.

This example searches a 5 x 5 grid for a depth-5 tree student of a boosted digits
teacher, draws the cross-validated scores with
:class:`~skdistill.report.DistillationSearchDisplay`, and checks the winner on
held-out rows. The teacher's outputs are computed once, before the search, with
:func:`~skdistill.compute_teacher_logits`: every candidate then reuses them.
"""

# %%
# A teacher, and rows it has not seen
# -----------------------------------
#
# The teacher is fitted on half of the training rows; the search and the student
# use the other half. On rows it has not seen, the teacher's probabilities are
# genuinely soft, and its scores in the folds of the search are not those of its
# own training data.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier, compute_teacher_logits
from skdistill.report import DistillationSearchDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_teacher, X_student, y_teacher, y_student = train_test_split(
    X_train, y_train, test_size=0.5, stratify=y_train, random_state=0
)
teacher = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0)
teacher.fit(X_teacher, y_teacher)
print(f"teacher test accuracy: {teacher.score(X_test, y_test):.3f}")

# %%
# The search
# ----------
#
# ``teacher="precomputed"`` with ``fit(..., teacher_logits=...)`` is
# scikit-learn's precomputed idiom: the search slices the logits per fold like
# ``X``, and the teacher itself is neither called nor copied to the workers. (A
# fitted teacher with ``memory=...`` is the alternative that keeps ``teacher_``.)
# Two scores are recorded: accuracy, used to pick the winner, and the log-loss
# (negated, so that higher is better, as scikit-learn scorers are), which says how
# good the student's probabilities are.
logits = compute_teacher_logits(teacher, X_student)
search = GridSearchCV(
    DistilledClassifier("precomputed", DecisionTreeClassifier(max_depth=5), random_state=0),
    param_grid={
        "temperature": [1.0, 3.0, 10.0, 30.0, 100.0],
        "alpha": [0.0, 0.25, 0.5, 0.75, 1.0],
    },
    scoring={"accuracy": "accuracy", "neg_log_loss": "neg_log_loss"},
    refit="accuracy",
    cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
)
search.fit(X_student, y_student, teacher_logits=logits)
print("best:", search.best_params_, f"mean CV accuracy {search.best_score_:.3f}")

# %%
# The heatmaps
# ------------
#
# One cell per candidate; the bottom row (``alpha=0``) is the hard-label student,
# the same whatever the temperature. The best cell is outlined in red.
fig, axes = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
accuracy_display = DistillationSearchDisplay.from_estimator(
    search, metric="accuracy", ax=axes[0]
)
DistillationSearchDisplay.from_estimator(search, metric="neg_log_loss", ax=axes[1])
plt.show()

# %%
# How much of this is noise? Each cell is a mean over five folds of about 125 rows.
best = accuracy_display.best
spread = accuracy_display.scores_std[best]
hard = accuracy_display.scores[0, 0]
print(f"fold-to-fold standard deviation of the best cell: {spread:.3f}")
print(f"best - hard labels (mean CV accuracy): {accuracy_display.scores[best] - hard:+.3f}")

# %%
# Reading the heatmaps. Accuracy: only high temperatures with a large ``alpha``
# beat the hard-label row by more than the spread between folds; at temperature 1
# or 3 many cells are *below* it. From temperature 30 on, the ``alpha=1`` row
# hardly moves: at a high temperature the soft targets are the uniform distribution
# plus a small term proportional to the teacher's centred logits, so matching them
# amounts to matching the logits (the high-temperature limit of Hinton et al.).
# The log-loss tells a clearer story: any ``alpha > 0`` gives the tree far better
# probabilities than the labels alone (pure leaves predict 0 and 1, which the
# log-loss punishes), at every temperature; the hard-label row is so much worse that
# it takes up most of the colour scale. The best probabilities come from a blend
# (``alpha`` between 0.25 and 0.75), not from the teacher's targets alone. Which
# score to select on depends on what the student is for: labels, or probabilities.
#
# The winner on held-out rows
# ---------------------------
#
# The search picks the best of 25 noisy estimates, so its best score is optimistic.
# The test rows, which no model has seen, say whether the choice holds:
hard_tree = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X_student, y_student)
print(f"hard-label tree: {hard_tree.score(X_test, y_test):.3f} test accuracy")
print(f"selected student: {search.best_estimator_.score(X_test, y_test):.3f} test accuracy")
print(f"teacher:          {teacher.score(X_test, y_test):.3f} test accuracy")

# %%
# Here the choice holds: the selected student beats the hard-label tree on the test
# rows too. With a different teacher or student it may not; the search then picks
# ``alpha=0``, and you ship the hard-label student. The same search also tunes the
# student (``"student__max_depth": [4, 5, 6]``): the display then shows the slice
# of the grid through the best depth.
