"""Fit cost of native soft-target boosting students against hard labels (issue 13.3).

Run from the repository root::

    python benchmarks/bench_native_fit_cost.py            # 100k generated rows, GMSC
    python benchmarks/bench_native_fit_cost.py --quick    # 20k rows, fewer trees

Binary: the same student (``LGBMClassifier`` / ``XGBClassifier``, 100 trees, one
thread) fitted side by side in one run on

* hard labels (``student.fit(X, y)``);
* soft targets on the built-in objective (``LightGBMStrategy`` / ``XGBoostStrategy``
  with ``loss="blend"``: LightGBM ``cross_entropy``, XGBoost ``binary:logistic`` on
  the blended probabilities ``q``, no Python objective);
* soft targets on the Python objective (the same strategy with the built-in route
  switched off: the route every binary student took before issue 13.3).

The ratios native / hard and callback / hard are of median fit times over
``--repeats`` fits. The agreement of the two soft-target routes is the largest
absolute difference of their margins (at the training temperature) and of their
test ROC-AUC. Datasets: 100,000 generated rows (``make_classification``, 20
features) and Give Me Some Credit (150,000 real borrowers, 10 features;
``../shared/data/``), 70/30 split; soft targets from a 200-tree LightGBM teacher
fitted on the training rows (its cost is not counted).

Multiclass (K = 3 and 10, generated): the Python objective (the route kept) against
row expansion under the built-in softmax objective, each row repeated K times with
label k and weight q_k (``skdistill.strategies._expand.expand``): same gradient sums
``p - q`` and the same diagonal hessians (``c p_k (1 - p_k)`` does not depend on
the label), but K times the rows; the two fits start from the same initial margins.
Reported: fit time / hard-label fit time, and the test cross-entropy to the
teacher's targets.

Writes benchmarks/results/native_fit_cost.md (``--quick``:
native_fit_cost_quick.md).
"""

import argparse
import time
import warnings
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import xgboost
from _common import machine_facts, write_result
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skdistill.strategies import LightGBMStrategy, SoftTargets, XGBoostStrategy
from skdistill.strategies._boosting import initial_margins
from skdistill.strategies._expand import expand

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TEMPERATURE, ALPHA = 2.0, 0.7
TARGET_RATIO = 1.2  # issue 13: binary native fit / hard-label fit


def students(n_trees):
    """name: (strategy class, unfitted student factory)."""
    return {
        "LightGBM": (
            LightGBMStrategy,
            lambda: lightgbm.LGBMClassifier(
                n_estimators=n_trees, num_leaves=31, verbose=-1, n_jobs=1, random_state=0
            ),
        ),
        "XGBoost": (
            XGBoostStrategy,
            lambda: xgboost.XGBClassifier(
                n_estimators=n_trees, max_depth=6, n_jobs=1, random_state=0
            ),
        ),
    }


def binary_datasets(n_rows):
    X, y = make_classification(
        n_samples=n_rows, n_features=20, n_informative=10, flip_y=0.05, random_state=0
    )
    yield f"generated ({n_rows:,} rows)", X, y
    frame = pd.read_csv(DATA / "give_me_some_credit.csv.gz")
    y = frame.pop("SeriousDlqin2yrs").to_numpy()
    frame = frame.drop(columns=["Id"])
    X = frame.to_numpy(dtype=np.float64)
    if n_rows < len(y):
        X, _, y, _ = train_test_split(X, y, train_size=n_rows, stratify=y, random_state=0)
    yield f"Give Me Some Credit ({len(y):,} rows)", X, y


def teacher_logits(X_train, y_train, X_test):
    teacher = lightgbm.LGBMClassifier(
        n_estimators=200, num_leaves=63, learning_rate=0.05, verbose=-1, n_jobs=1
    ).fit(X_train, y_train)
    logit = lambda X: np.log(np.clip(teacher.predict_proba(X), 1e-12, 1))  # noqa: E731
    return logit(X_train), logit(X_test)


def timed(repeats, fit, *args):
    """Median seconds of ``fit(*args)`` over ``repeats`` calls, and its last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def hard_fit(make_student, X, y):
    return make_student().fit(X, y)


def strategy_fit(strategy_class, make_student, X, targets, native=True):
    strategy = strategy_class(loss="blend")
    if not native:
        strategy._native_binary = lambda targets: False
    return strategy.fit(make_student(), X, targets)


def binary_rows(n_rows, n_trees, repeats):
    rows = []
    for data, X, y in binary_datasets(n_rows):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        z_train, _ = teacher_logits(X_train, y_train, X_test)
        targets = SoftTargets(z_train, y_train, np.array([0, 1]), TEMPERATURE, ALPHA)
        _ = targets.proba  # computed once, outside the timed fits
        for name, (strategy_class, make_student) in students(n_trees).items():
            print(f"{data} / {name}", flush=True)
            fit = (strategy_class, make_student, X_train, targets)
            hard_s, hard = timed(repeats, hard_fit, make_student, X_train, y_train)
            native_s, native = timed(repeats, strategy_fit, *fit, True)
            callback_s, callback = timed(repeats, strategy_fit, *fit, False)
            assert native.training_objective_ != "custom"
            assert callback.training_objective_ == "custom"
            margin = np.abs(
                native.tempered_logits(X_test) - callback.tempered_logits(X_test)
            ).max()
            auc = {
                key: roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
                for key, model in [("hard", hard), ("native", native), ("cb", callback)]
            }
            rows.append(
                {
                    "dataset": data,
                    "student": f"{name}-{n_trees}",
                    "objective": native.training_objective_,
                    "hard (s)": hard_s,
                    "native / hard": native_s / hard_s,
                    "callback / hard": callback_s / hard_s,
                    "native / callback": native_s / callback_s,
                    "max |margin native - callback|": margin,
                    "AUC hard": auc["hard"],
                    "AUC native": auc["native"],
                    "AUC native - callback": auc["native"] - auc["cb"],
                }
            )
    return pd.DataFrame(rows)


def expanded_fit(make_student, X, targets):
    """The student on K copies of each row (label k, weight q_k), built-in softmax,
    starting from the same initial margins as the custom objective."""
    rows, labels, weights = expand(targets.proba)
    init = initial_margins(targets.proba)
    student = make_student()
    key = "init_score" if isinstance(student, lightgbm.LGBMClassifier) else "base_margin"
    student.fit(
        X[rows], labels, sample_weight=weights, **{key: np.tile(init, (len(rows), 1))}
    )
    return student, init


def cross_entropy(proba_target, margins):
    z = margins - margins.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-(proba_target * log_p).sum(axis=1).mean())


def multiclass_rows(n_rows, n_trees):
    rows = []
    for n_classes in (3, 10):
        X, y = make_classification(
            n_samples=n_rows, n_features=20, n_informative=12, n_classes=n_classes,
            flip_y=0.05, random_state=0,
        )  # fmt: skip
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        z_train, z_test = teacher_logits(X_train, y_train, X_test)
        classes = np.arange(n_classes)
        targets = SoftTargets(z_train, y_train, classes, TEMPERATURE, ALPHA)
        test_q = SoftTargets(z_test, y_test, classes, TEMPERATURE, ALPHA).proba
        _ = targets.proba
        for name, (strategy_class, make_student) in students(n_trees).items():
            print(f"K={n_classes} / {name}", flush=True)
            hard_s, _ = timed(1, hard_fit, make_student, X_train, y_train)
            callback_s, callback = timed(
                1, strategy_fit, strategy_class, make_student, X_train, targets
            )
            expanded_s, (expanded, init) = timed(
                1, expanded_fit, make_student, X_train, targets
            )
            if name == "LightGBM":
                expanded_margins = expanded.predict(X_test, raw_score=True) + init
            else:
                expanded_margins = expanded.predict(
                    X_test, output_margin=True, base_margin=np.tile(init, (len(X_test), 1))
                )
            rows.append(
                {
                    "classes": n_classes,
                    "student": f"{name}-{n_trees}",
                    "training rows": len(y_train),
                    "expanded rows": len(expand(targets.proba)[0]),
                    "callback / hard": callback_s / hard_s,
                    "expanded / hard": expanded_s / hard_s,
                    "expanded / callback": expanded_s / callback_s,
                    "test CE callback": cross_entropy(
                        test_q, callback.tempered_logits(X_test)
                    ),
                    "test CE expanded": cross_entropy(test_q, expanded_margins),
                }
            )
    return pd.DataFrame(rows)


def report(binary, multiclass, args, elapsed):
    command = "python benchmarks/bench_native_fit_cost.py" + (
        " --quick" if args.quick else ""
    )
    versions = f"LightGBM {lightgbm.__version__}, XGBoost {xgboost.__version__}"
    worst = binary["native / hard"].max()
    verdict = "met" if worst <= TARGET_RATIO else "missed"
    fmt = {"floatfmt": ".3g"}
    return f"""# Fit cost of native soft-target boosting students (issue 13.3)

Command: `{command}` ({elapsed / 60:.1f} min). Machine: {machine_facts()}; {versions}.
Every fit runs on one thread (`n_jobs=1`, threadpoolctl). The machine was shared with
other jobs while this ran: ratios of fits side by side in one run are meaningful,
absolute seconds are not, and single ratios move by about ±10 %.

## Binary: built-in objective on soft labels vs hard labels vs Python objective

{args.trees}-tree students (LightGBM `num_leaves=31`, XGBoost `max_depth=6`), median of
{args.repeats} fits each; soft targets `loss="blend"`, T={TEMPERATURE:g},
alpha={ALPHA:g}, from a 200-tree LightGBM teacher. "native": the student trained on
the built-in objective (column "objective"); "callback": the Python objective.
Issue target: native / hard <= {TARGET_RATIO} — **{verdict}** (worst
{worst:.2f}).

{binary.to_markdown(index=False, **fmt)}

## Multiclass: Python objective (kept) vs row expansion under the built-in softmax

{args.trees}-tree students, one fit each, generated data. "expanded": each training
row repeated once per class with label k and weight q_k, the built-in
`multiclass` / `multi:softprob` objective. Test CE: cross-entropy of the student to
the teacher's blended targets on the test rows (lower is better).

{multiclass.to_markdown(index=False, **fmt)}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k rows, 30 trees")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--trees", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    args.rows = args.rows or (20_000 if args.quick else 100_000)
    args.trees = args.trees or (30 if args.quick else 100)
    args.repeats = args.repeats or (1 if args.quick else 3)
    warnings.filterwarnings("ignore", message=".*feature names.*")
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        binary = binary_rows(args.rows, args.trees, args.repeats)
        multiclass = multiclass_rows(args.rows // (2 if args.quick else 3), args.trees)
    elapsed = time.perf_counter() - start
    name = "native_fit_cost_quick.md" if args.quick else "native_fit_cost.md"
    path = write_result(name, report(binary, multiclass, args, elapsed))
    print(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
