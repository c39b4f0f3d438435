"""Native soft-target students vs hard labels vs row expansion, on real data (issue 4).

Run from the repository root::

    python benchmarks/bench_native_students.py            # 5 seeds, <= 4000 train rows
    python benchmarks/bench_native_students.py --quick    # 1 seed, <= 1500 train rows

Datasets (``../shared/data/``, read in place): covertype subset, letter, shuttle
(multiclass), ULB fraud sample, Taiwan credit default, mammography (binary). For each
seed: 70/30 stratified split, training rows subsampled (stratified) to ``--max-rows``,
features standardised on the training rows (for the MLP; trees do not care).

Teacher: a 500-tree LightGBM on every dataset, and a 500-tree random forest on Taiwan
credit. Students, each trained on hard labels and distilled from the same teacher at
one fixed temperature and alpha (not tuned) on the teacher's own training rows:

* LightGBM (20 trees) and XGBoost (20 trees, depth 6): native objective with the
  ``"blend"`` and the ``"hinton"`` loss, and sample-weight row expansion;
* a small MLP (skorch ``NeuralNetClassifier``): native Hinton loss (``SkorchStrategy``);
  the hard-label baseline is the same net trained with cross-entropy;
* a depth-6 decision tree: row expansion (``ExpandStrategy``).

A second table varies the recipe for the LightGBM and tree students: temperature 1
and 5, early stopping on the distillation loss, and held-out transfer rows (teacher
fitted on one half of the training rows, student distilled on the other half).

The teacher's logits on the training rows are computed once per (dataset, seed) and
served from a cache, so the fit times below are the students' own; the teacher's
inference time is reported separately. Everything runs on one thread.
Writes benchmarks/results/native_students.md.
"""

import argparse
import hashlib
import time
import warnings
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import skorch
import torch
import xgboost
from _common import machine_facts, mean_sd, write_result
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, average_precision_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from skdistill import DistillationWarning, DistilledClassifier
from skdistill._teacher import teacher_logits
from skdistill.report import model_size
from skdistill.strategies import (
    ExpandStrategy,
    LightGBMStrategy,
    SkorchStrategy,
    XGBoostStrategy,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

# name: (file, target column, columns to drop)
DATASETS = {
    "covertype": ("covertype_kaggle_train_15120.csv.gz", "Cover_Type", ["Id"]),
    "letter": ("letter_recognition.csv.gz", "lettr", []),
    "shuttle": ("shuttle.csv.gz", "class", []),
    "ulb fraud": ("ulb_creditcard_fraud_sample.csv.gz", "Class", []),
    "taiwan credit": ("taiwan_credit_default.csv.gz", "default.payment.next.month", ["ID"]),
    "mammography": ("mammography.csv.gz", "class", []),
}
RF_DATASET = "taiwan credit"
RF_STUDENTS = ("LightGBM-20", "DecisionTree-6")
#: shuttle has classes of 10, 13 and 50 rows: too few to split and subsample.
MIN_CLASS_ROWS = 100
#: LightGBM's default 0.1 makes 500 trees overfit the small binary sets (the teacher
#: was worse than a 20-tree student on Taiwan credit and mammography in a trial run).
TEACHER_LEARNING_RATE = 0.03
TEMPERATURE, ALPHA = 3.0, 0.8
N_TREES = 20
EARLY_STOPPING = {"early_stopping_rounds": 5, "validation_fraction": 0.2}
MLP = {"hidden": 64, "epochs": 30, "batch_size": 128, "lr": 3e-3}

MAIN_METHODS = ("hard labels", "native blend", "native hinton", "expansion")


# -- data and teachers ----------------------------------------------------------------


def load(name):
    """Features (float64) and label indices 0..K-1 of a dataset."""
    file, target, drop = DATASETS[name]
    frame = pd.read_csv(DATA / file)
    y = frame.pop(target).to_numpy()
    X = frame.drop(columns=drop).to_numpy(dtype=np.float64)
    values, counts = np.unique(y, return_counts=True)
    keep = np.isin(y, values[counts >= MIN_CLASS_ROWS])
    _, y = np.unique(y[keep], return_inverse=True)
    return X[keep], y


def split(X, y, seed, max_rows):
    """70/30 stratified split, training rows capped at max_rows, standardised.

    Missing values (2 cells of Taiwan credit) become the training-row median.
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    if len(y_train) > max_rows:
        X_train, _, y_train, _ = train_test_split(
            X_train, y_train, train_size=max_rows, stratify=y_train, random_state=seed
        )
    prepare = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    prepare.fit(X_train)
    return prepare.transform(X_train), prepare.transform(X_test), y_train, y_test


def make_teacher(kind, seed):
    if kind == "LightGBM-500":
        return lightgbm.LGBMClassifier(
            n_estimators=500,
            learning_rate=TEACHER_LEARNING_RATE,
            verbose=-1,
            n_jobs=1,
            random_state=seed,
        )
    return RandomForestClassifier(n_estimators=500, n_jobs=1, random_state=seed)


class CachedTeacher(ClassifierMixin, BaseEstimator):
    """A fitted teacher whose logits on the distillation rows are computed once.

    ``decision_function`` returns the logits the distiller would take from the
    teacher itself (LightGBM raw scores, or clipped log-probabilities of the random
    forest), looked up by a hash of ``X``; unseen rows are computed on the fly.
    """

    def __init__(self, teacher, X_cached):
        self.teacher = teacher
        self.classes_ = teacher.classes_
        self.n_features_in_ = teacher.n_features_in_
        start = time.perf_counter()
        logits, self.response_method_ = teacher_logits(teacher, X_cached)
        self.inference_s_ = time.perf_counter() - start
        self._cache = {_fingerprint(X_cached): logits}

    def decision_function(self, X):
        logits = self._cache.get(_fingerprint(X))
        return logits if logits is not None else teacher_logits(self.teacher, X)[0]

    def predict_proba(self, X):
        return self.teacher.predict_proba(X)

    def predict(self, X):
        return self.teacher.predict(X)


def _fingerprint(X):
    X = np.ascontiguousarray(X, dtype=np.float64)
    return X.shape, hashlib.blake2b(X.tobytes(), digest_size=16).hexdigest()


# -- students -------------------------------------------------------------------------


class MLPModule(torch.nn.Module):
    """Two hidden ReLU layers; outputs one logit per class."""

    def __init__(self, n_in, n_out, hidden=64):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, n_out),
        )

    def forward(self, X):
        return self.layers(X)


def make_student(name, seed, n_features, n_classes):
    if name == "LightGBM-20":
        return lightgbm.LGBMClassifier(
            n_estimators=N_TREES, verbose=-1, n_jobs=1, random_state=seed
        )
    if name == "XGBoost-20":
        return xgboost.XGBClassifier(
            n_estimators=N_TREES, max_depth=6, tree_method="hist", n_jobs=1,
            random_state=seed,
        )  # fmt: skip
    if name == "MLP":
        return skorch.NeuralNetClassifier(
            MLPModule,
            module__n_in=n_features,
            module__n_out=n_classes,
            module__hidden=MLP["hidden"],
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=MLP["lr"],
            max_epochs=MLP["epochs"],
            batch_size=MLP["batch_size"],
            iterator_train__shuffle=True,
            train_split=None,
            verbose=0,
        )
    return DecisionTreeClassifier(max_depth=6, random_state=seed)


def native_strategy(student_name, seed, **params):
    if student_name == "LightGBM-20":
        return LightGBMStrategy(**params)
    if student_name == "XGBoost-20":
        return XGBoostStrategy(**params)
    return SkorchStrategy(random_state=seed)


def fit_hard(student, X, y, seed):
    """The student trained on the labels alone, as its library trains it."""
    student = clone(student)
    if isinstance(student, skorch.NeuralNetClassifier):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return student.fit(X.astype(np.float32), y.astype(np.int64))
    return student.fit(X, y)


def distiller(teacher, student, strategy, seed, temperature=TEMPERATURE):
    return DistilledClassifier(
        teacher,
        student,
        temperature=temperature,
        alpha=ALPHA,
        strategy=strategy,
        random_state=seed,
    )


def main_methods(student_name, student, teacher, seed):
    """method name -> unfitted model (None: hard labels) of the main table."""
    methods = {"hard labels": None}
    if student_name in ("LightGBM-20", "XGBoost-20"):
        for loss in ("blend", "hinton"):
            strategy = native_strategy(student_name, seed, loss=loss)
            methods[f"native {loss}"] = distiller(teacher, student, strategy, seed)
    if student_name == "MLP":
        strategy = native_strategy(student_name, seed)
        methods["native hinton"] = distiller(teacher, student, strategy, seed)
    else:  # skorch nets take no sample_weight: no expansion
        methods["expansion"] = distiller(teacher, student, ExpandStrategy(), seed)
    return methods


def variant_methods(student_name, student, teacher, seed):
    """Recipe variants on the teacher's training rows: temperature, early stopping."""
    expand = ExpandStrategy()
    if student_name == "DecisionTree-6":
        return {
            f"expansion T={t:g}": distiller(teacher, student, expand, seed, t)
            for t in (1.0, 5.0)
        }
    lgbm = {loss: LightGBMStrategy(loss=loss) for loss in ("blend", "hinton")}
    return {
        "native T=1 (blend = hinton)": distiller(
            teacher, student, lgbm["blend"], seed, 1.0
        ),
        "native blend T=5": distiller(teacher, student, lgbm["blend"], seed, 5.0),
        "native hinton T=5": distiller(teacher, student, lgbm["hinton"], seed, 5.0),
        "native blend T=3 + early stop": distiller(
            teacher, student, LightGBMStrategy(**EARLY_STOPPING), seed
        ),
        "native hinton T=3 + early stop": distiller(
            teacher, student, LightGBMStrategy(loss="hinton", **EARLY_STOPPING), seed
        ),
        "expansion T=5": distiller(teacher, student, expand, seed, 5.0),
    }


def transfer_methods(student_name, student, teacher_half, seed):
    """Held-out transfer: the teacher never saw the rows the student learns from."""
    methods = {"held-out: hard labels (half rows)": None}
    if student_name == "LightGBM-20":
        for loss in ("blend", "hinton"):
            strategy = LightGBMStrategy(loss=loss)
            methods[f"held-out: native {loss}"] = distiller(
                teacher_half, student, strategy, seed
            )
    expand = ExpandStrategy()
    methods["held-out: expansion"] = distiller(teacher_half, student, expand, seed)
    return methods


# -- measuring ------------------------------------------------------------------------


def scores(model, X, y, n_classes):
    if isinstance(model, skorch.NeuralNetClassifier):
        X = X.astype(np.float32)
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    proba = np.clip(proba, 1e-15, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    out = {
        "acc": accuracy_score(y, proba.argmax(axis=1)),
        "logloss": log_loss(y, proba, labels=np.arange(n_classes)),
    }
    if n_classes == 2:
        out["auc"] = roc_auc_score(y, proba[:, 1])
        out["pr_auc"] = average_precision_score(y, proba[:, 1])
    else:
        out["auc"] = roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(n_classes))
        out["pr_auc"] = np.nan
    return out


def measure(model, student, X_train, y_train, X_test, y_test, n_classes, seed):
    """Fit (hard labels when model is None), time and score; one result row."""
    start = time.perf_counter()
    if model is None:
        model = fit_hard(student, X_train, y_train, seed)
        fitted = model
    else:
        model.fit(X_train, y_train)
        fitted = model.student_
    fit_s = time.perf_counter() - start
    strategy = getattr(model, "strategy_", None)
    rounds = getattr(strategy, "n_iter_", getattr(fitted, "n_estimators", np.nan))
    return {
        **scores(model, X_test, y_test, n_classes),
        "fit_s": fit_s,
        "size": model_size(model),
        "rounds": rounds if isinstance(rounds, int | float) else np.nan,
    }


def run_seed(name, X, y, seed, max_rows, students):
    """All teachers, students and methods of one dataset and seed."""
    X_train, X_test, y_train, y_test = split(X, y, seed, max_rows)
    n_classes = int(y.max()) + 1
    n_features = X.shape[1]
    # held-out transfer: teacher on half A, student on half B of the training rows
    X_a, X_b, y_a, y_b = train_test_split(
        X_train, y_train, train_size=0.5, stratify=y_train, random_state=seed
    )
    teachers = ["LightGBM-500"] + (["RF-500"] if name == RF_DATASET else [])
    rows = []
    for teacher_kind in teachers:
        start = time.perf_counter()
        fitted = make_teacher(teacher_kind, seed).fit(X_train, y_train)
        teacher_fit_s = time.perf_counter() - start
        teacher = CachedTeacher(fitted, X_train)
        base = {"dataset": name, "teacher": teacher_kind, "seed": seed}
        rows.append(
            {
                **base,
                "table": "main",
                "student": "teacher",
                "method": teacher_kind,
                **scores(fitted, X_test, y_test, n_classes),
                "fit_s": teacher_fit_s,
                "size": model_size(fitted),
                "infer_s": teacher.inference_s_,
            }
        )
        half = None
        for student_name in students:
            if teacher_kind == "RF-500" and student_name not in RF_STUDENTS:
                continue
            student = make_student(student_name, seed, n_features, n_classes)
            tables = {"main": main_methods(student_name, student, teacher, seed)}
            if student_name in ("LightGBM-20", "DecisionTree-6"):
                tables["variants"] = variant_methods(student_name, student, teacher, seed)
            for table, methods in tables.items():
                for method, model in methods.items():
                    result = measure(
                        model, student, X_train, y_train, X_test, y_test, n_classes, seed
                    )
                    rows.append(
                        {**base, "table": table, "student": student_name,
                         "method": method, **result}
                    )  # fmt: skip
            if student_name in ("LightGBM-20", "DecisionTree-6"):
                if half is None:
                    half = make_teacher(teacher_kind, seed).fit(X_a, y_a)
                    half = CachedTeacher(half, X_b)
                for method, model in transfer_methods(
                    student_name, student, half, seed
                ).items():
                    result = measure(
                        model, student, X_b, y_b, X_test, y_test, n_classes, seed
                    )
                    rows.append(
                        {**base, "table": "variants", "student": student_name,
                         "method": method, **result}
                    )  # fmt: skip
    return rows


def run(n_seeds, max_rows, students, datasets):
    rows = []
    for name in datasets:
        X, y = load(name)
        for seed in range(n_seeds):
            start = time.perf_counter()
            rows += run_seed(name, X, y, seed, max_rows, students)
            print(f"{name} seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    return pd.DataFrame(rows)


# -- reporting ------------------------------------------------------------------------


def gap_closed(value, hard, teacher, lower_is_better=False):
    """(student - hard) / (teacher - hard) of the means.

    "n/a" for a gap under 0.1 %, "t<h" where the teacher is worse than the
    hard-label student (there is no gap to close).
    """
    gap = teacher - hard
    if not np.isfinite(gap) or abs(gap) < 1e-3 * max(abs(teacher), 1e-12):
        return "n/a"
    if (gap > 0) == lower_is_better:
        return "t<h"
    return f"{(value - hard) / gap:+.0%}"


def table(results, which):
    header = (
        "| dataset | teacher | student | method | accuracy | ROC-AUC | PR-AUC | log-loss "
        "| gap closed acc / AUC / log-loss | fit / hard | fit / expansion | size KB "
        "| trees |"
    )
    lines = [header, "|" + "---|" * 13]
    keys = ["dataset", "teacher", "student", "method"]
    groups = results.groupby(keys, sort=False)
    means = groups.mean(numeric_only=True)
    for (dataset, teacher_kind, student, method), group in groups:
        if group["table"].iloc[0] != which and student != "teacher":
            continue
        row = means.loc[(dataset, teacher_kind, student, method)]
        cells = [dataset, teacher_kind, student, method]
        for metric, fmt in (("acc", "{:.4f}"), ("auc", "{:.4f}"), ("pr_auc", "{:.4f}")):
            cells.append("" if group[metric].isna().all() else mean_sd(group[metric], fmt))
        cells.append(mean_sd(group["logloss"], "{:.4f}"))
        if student == "teacher":
            infer = means.loc[(dataset, teacher_kind, student, method), "infer_s"]
            cells += ["", f"teacher fit {row['fit_s']:.1f} s, train-row logits "
                      f"{infer:.2f} s", "", f"{row['size'] / 1024:.0f}", ""]  # fmt: skip
        else:
            teacher = means.loc[(dataset, teacher_kind, "teacher", teacher_kind)]
            hard = means.loc[(dataset, teacher_kind, student, "hard labels")]
            closed = [
                gap_closed(row[m], hard[m], teacher[m], m == "logloss")
                for m in ("acc", "auc", "logloss")
            ]
            cells.append(" / ".join(closed))
            cells.append(f"{row['fit_s'] / hard['fit_s']:.2f}")
            expansion = (dataset, teacher_kind, student, "expansion")
            cells.append(
                f"{row['fit_s'] / means.loc[expansion, 'fit_s']:.2f}"
                if expansion in means.index
                else ""
            )
            cells.append(f"{row['size'] / 1024:.0f}")
            cells.append("" if np.isnan(row["rounds"]) else f"{row['rounds']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(results, args, n_seeds, max_rows, elapsed):
    command = "python benchmarks/bench_native_students.py" + (
        " --quick" if args.quick else ""
    )
    versions = (
        f"LightGBM {lightgbm.__version__}, XGBoost {xgboost.__version__}, "
        f"torch {torch.__version__}, skorch {skorch.__version__}"
    )
    return f"""# Native soft-target students vs hard labels vs row expansion (issue 4)

Command: `{command}` ({elapsed / 60:.1f} min). Machine: {machine_facts()}; {versions}.
The machine was shared with other jobs; every model runs on one thread
(`n_jobs=1`, threadpoolctl, `torch.set_num_threads(1)`), so times are comparable
within this run only, and only their ratios are reported for students.

**Reduced setting:** {n_seeds} seed(s) (mean ± sd over seeds 0..{n_seeds - 1}); 70/30
stratified split per seed; training rows **subsampled (stratified) to at most
{max_rows}**, test rows not capped; features standardised on the training rows
(the 2 missing cells of Taiwan credit imputed with the training median). Shuttle
keeps its 4 classes with at least {MIN_CLASS_ROWS} rows (of 7). The ULB file is the
1,722-row fraud sample (28.6 % fraud), not the full data set.

Teacher: `LGBMClassifier(n_estimators=500, learning_rate={TEACHER_LEARNING_RATE})`, plus
`RandomForestClassifier(500)` on {RF_DATASET}. Students:
`LGBMClassifier(n_estimators={N_TREES})`,
`XGBClassifier(n_estimators={N_TREES}, max_depth=6)`, an MLP (skorch
`NeuralNetClassifier`, 2 hidden layers of {MLP["hidden"]}, Adam lr {MLP["lr"]},
{MLP["epochs"]} epochs, batch {MLP["batch_size"]}) and
`DecisionTreeClassifier(max_depth=6)`.
Distillation at **temperature={TEMPERATURE:g}, alpha={ALPHA:g}, fixed (not tuned)**, on
the teacher's own training rows unless marked "held-out". "native" = `LightGBMStrategy`
/ `XGBoostStrategy` (`loss="blend"` or `"hinton"`) or `SkorchStrategy` (Hinton loss);
"expansion" = `ExpandStrategy` (one row per class, weighted by its target); the MLP
has no expansion row (skorch nets take no `sample_weight`).

Columns: ROC-AUC is one-vs-rest macro for multiclass; PR-AUC (average precision) for
binary sets only. Gap closed = (student − hard) / (teacher − hard) of the means, for
accuracy, ROC-AUC and log-loss ("n/a" where teacher and hard-label student differ by
less than 0.1 %, "t<h" where the teacher is worse than the hard-label student).
Fit times are the student's own (the teacher's training-row logits are computed
once and cached; their time is in the teacher row). fit / hard and fit / expansion
are ratios of mean fit times for the same student. Size: pickled fitted student.
Trees: boosting rounds kept (per class for multiclass LightGBM).

## Main table: T={TEMPERATURE:g}, alpha={ALPHA:g}, teacher's training rows

{table(results, "main")}

## Variants: temperature, early stopping, held-out transfer rows

Same students and alpha={ALPHA:g}. "early stop": `early_stopping_rounds=
{EARLY_STOPPING["early_stopping_rounds"]}, validation_fraction=
{EARLY_STOPPING["validation_fraction"]}` on the distillation loss, at most {N_TREES}
rounds. "held-out": the training rows are split in two stratified halves; a teacher of
the same kind is fitted on the first half and the student learns from the second half
only (its own hard-label baseline on that half is the "held-out: hard labels" row).
Gap closed and fit ratios are still relative to the main-table teacher and hard-label
student on all training rows.

{table(results, "variants")}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 1500 rows")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--max-rows", type=int, default=None)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = parser.parse_args()
    n_seeds = args.seeds or (1 if args.quick else 5)
    max_rows = args.max_rows or (1500 if args.quick else 4000)
    students = ("LightGBM-20", "XGBoost-20", "MLP", "DecisionTree-6")
    warnings.simplefilter("ignore", DistillationWarning)
    warnings.filterwarnings("ignore", message=".*feature names.*")
    torch.set_num_threads(1)
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        results = run(n_seeds, max_rows, students, args.datasets)
    elapsed = time.perf_counter() - start
    name = "native_students_quick.md" if args.quick else "native_students.md"
    results.to_csv(Path("/tmp") / name.replace(".md", ".csv"), index=False)
    path = write_result(name, report(results, args, n_seeds, max_rows, elapsed))
    print(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
