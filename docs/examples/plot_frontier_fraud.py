"""
=====================================================
Choosing a student: the compression frontier on fraud
=====================================================

Which is the smallest, fastest model that keeps 99% of a fraud ensemble's ROC-AUC,
and does distillation get there sooner than training on the labels?
:class:`~skdistill.frontier.CompressionSearch` sweeps student families and sizes,
each fitted on the labels ("hard") and distilled, measures them on validation rows
the teacher has not seen, and selects the cheapest one within the tolerance.
:class:`~skdistill.report.CompressionFrontierDisplay` draws the result.

The data is synthetic and imbalanced (3% positives, like the fraud sets of the
benchmark ``benchmarks/bench_frontier.py``, which uses the real ones).
"""

# %%
# A fraud-like set and an ensemble teacher
# ----------------------------------------
# The teacher (a soft vote of gradient boosting and a random forest) is fitted on
# the training rows; the validation rows, which it never sees, judge the
# candidates; the test rows are only reported.
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill.frontier import CompressionSearch
from skdistill.report import CompressionFrontierDisplay

X, y = make_classification(
    n_samples=6000, n_features=20, n_informative=8, weights=[0.97],
    class_sep=0.8, random_state=0,
)  # fmt: skip
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
X_val, X_test, y_val, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=0
)
teacher = VotingClassifier(
    [
        ("gbm", HistGradientBoostingClassifier(max_iter=200, random_state=0)),
        ("forest", RandomForestClassifier(n_estimators=200, random_state=0)),
    ],
    voting="soft",
).fit(X_train, y_train)

# %%
# The sweep
# ---------
# Three scikit-learn families keep this example fast; ``students="auto"`` adds
# LightGBM and XGBoost (when installed) and a small scikit-learn MLP. Each student
# is fitted on the labels and distilled over a small temperature/alpha grid; the
# cost here is the pickled size (``cost="latency"``, the default, times single rows
# on the fastest path).
students = [
    ("logreg", "C=1", make_pipeline(StandardScaler(), LogisticRegression())),
    *[
        ("tree", f"depth={depth}", DecisionTreeClassifier(max_depth=depth))
        for depth in (2, 4, 6, 8)
    ],
    *[
        ("boosting", f"{rounds}x{leaves}", HistGradientBoostingClassifier(
            max_iter=rounds, max_leaf_nodes=leaves, random_state=0))
        for rounds, leaves in ((20, 4), (50, 8), (150, 16))
    ],
]  # fmt: skip
search = CompressionSearch(
    teacher, students, scoring="roc_auc", cost="size", tolerance=0.02, random_state=0
).fit(X_train, y_train, X_val=X_val, y_val=y_val, X_test=X_test, y_test=y_test)

table = search.result_.table
print(table[["family", "capacity", "kind", "params", "val_score", "test_score",
             "size_bytes"]].round(4).to_string())  # fmt: skip

# %%
# The selection, with its evidence
# --------------------------------
# The cheapest student whose validation ROC-AUC is within 2% of the teacher's on
# the same rows (with 80% confidence over bootstrap resamples of them, latencies
# within their measured spread counted as ties), then confirmed on the 30% of the
# validation rows the choice never looked at (``confirm_size``): if it fails
# there, the next cheapest is tried. The evidence says what was compared with
# what, on which rows, and whether the choice was confirmed.
print(search.selection_.evidence)
print("validation optimism:", search.result_.bias)

# %%
# The frontier
# ------------
# Filled markers and solid lines: distilled students; hollow markers and dashed
# lines: the same students fitted on the labels. Where the solid line reaches the
# grey band to the left of the dashed one, distillation gets there with a smaller
# model. The teacher is the black line (and the diamond at its size).
display = CompressionFrontierDisplay.from_estimator(search)
display.figure_.set_size_inches(8, 5.5)
plt.show()
