"""
=========================================
Distilling on a Dask cluster
=========================================

When the rows to distil on do not fit in one process, hand
:class:`~skdistill.DistilledClassifier` Dask collections and a Dask student: the
teacher labels the rows partition by partition on the workers (it is sent to each
worker once), the student trains on the cluster with the soft targets, and the
fitted distiller holds an ordinary in-memory student that predicts, saves and
exports like any other.

This example runs on a small ``LocalCluster`` (two workers in this process);
pointing a ``Client`` at a real cluster is the only change for more rows. See
"Scaling out on Dask" in the user guide for the routes each kind of student takes.
"""

# %%
# A cluster, rows as Dask arrays, and a fitted teacher
# ----------------------------------------------------
#
# The teacher is fitted beforehand (here on an in-memory sample); ``y`` must be a
# Dask collection with the same rows as ``X``.
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from xgboost import XGBClassifier
from xgboost.dask import DaskXGBClassifier

from skdistill import DistilledClassifier, compute_teacher_logits
from skdistill.transfer import GaussianJitter

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)

X, y = make_classification(
    12_000, 10, n_informative=6, flip_y=0.05, class_sep=0.8, random_state=0
)
X_train, y_train, X_test, y_test = X[:10_000], y[:10_000], X[10_000:], y[10_000:]
teacher = HistGradientBoostingClassifier(max_iter=200, random_state=0)
teacher.fit(X_train, y_train)

dX = da.from_array(X_train, chunks=(2_500, -1))
dy = da.from_array(y_train, chunks=2_500)

# %%
# The teacher's logits, lazily
# ----------------------------
#
# :func:`~skdistill.compute_teacher_logits` returns a lazy Dask array; persist it
# (or write it to Parquet/Zarr) to reuse it, e.g. across a search over temperature
# and alpha with ``teacher="precomputed"``.
logits = compute_teacher_logits(teacher, dX)
print(logits)
print("first rows:", logits[:2].compute().round(3))

# %%
# The same distiller, on the cluster and in memory
# ------------------------------------------------
#
# A ``DaskXGBClassifier`` student is trained by XGBoost's Dask trainer under its
# built-in ``binary:logistic`` objective on the soft targets; the in-memory twin,
# an ``XGBClassifier`` with the same parameters, is fitted on the same rows.
params = dict(temperature=2.0, alpha=0.7, calibration_cv="train", random_state=0)
student = dict(n_estimators=40, max_depth=3, learning_rate=0.2)
on_cluster = DistilledClassifier(teacher, DaskXGBClassifier(**student), **params)
on_cluster.fit(dX, dy)
in_memory = DistilledClassifier(teacher, XGBClassifier(**student), **params)
in_memory.fit(X_train, y_train)

p_cluster = on_cluster.predict_proba(X_test)[:, 1]
p_memory = in_memory.predict_proba(X_test)[:, 1]
print("fitted student:", type(on_cluster.student_).__name__)
diff = np.abs(p_cluster - p_memory)
print(f"probability difference: mean {diff.mean():.1e}, largest {diff.max():.1e}")

# %%
# The two students are close, not equal: with two workers, XGBoost merges the
# workers' quantile sketches into bin boundaries that differ slightly from the
# in-memory ones, so a few splits move (on one worker, or with fewer distinct
# values than bins, the trees are the same).

# %%
# A transfer set generated on the cluster
# ---------------------------------------
#
# With a Dask ``X``, a ``transfer_set``'s rows are generated lazily, partition by
# partition, each partition from its own seed (see
# :func:`skdistill.transfer.sample_dask`), labeled by the teacher alone and
# weighted ``alpha`` as in memory.
with_transfer = DistilledClassifier(
    teacher,
    DaskXGBClassifier(**student),
    transfer_set=GaussianJitter(size=1.0),
    **params,
)
with_transfer.fit(dX, dy)
print("transfer rows:", with_transfer.n_transfer_)

# %%
# Test ROC-AUC
# ------------
models = {
    "teacher": teacher,
    "in memory": in_memory,
    "on the cluster": on_cluster,
    "on the cluster\n+ transfer set": with_transfer,
}
scores = {
    name: roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    for name, model in models.items()
}
fig, ax = plt.subplots(figsize=(6, 3))
ax.barh(list(scores), list(scores.values()), color="tab:blue")
for i, value in enumerate(scores.values()):
    ax.text(value, i, f" {value:.4f}", va="center")
ax.set_xlim(min(scores.values()) - 0.02, 1.0)
ax.set_xlabel("test ROC-AUC")
ax.invert_yaxis()
fig.tight_layout()

client.close()
cluster.close()
