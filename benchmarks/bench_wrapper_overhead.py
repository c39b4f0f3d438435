"""The distiller's own cost at predict time: DistilledClassifier vs its bare student.

    python benchmarks/bench_wrapper_overhead.py

``DistilledClassifier.predict_proba`` checks its input and, for students trained at a
temperature ``T != 1``, maps their probabilities back to temperature 1. This script
times it against ``student_.predict_proba`` on one row and on 10,000 rows, side by
side in one run (the two calls alternate, best of several rounds of many calls), for a
depth-6 tree (whose leaves carry the map), a logistic-regression pipeline and a
20-tree LightGBM student (when installed). Target (issue 6): <= 1.1x. Writes
``benchmarks/results/wrapper_overhead.md``.
"""

import time
import warnings

import numpy as np
from _common import machine_facts, write_result
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from skdistill import DistillationWarning, DistilledClassifier


def students():
    yield "depth-6 tree", lambda: DecisionTreeClassifier(max_depth=6, random_state=0)
    yield (
        "scaler + logistic regression",
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    )
    try:
        import lightgbm
    except ImportError:
        return
    yield (
        "LightGBM-20",
        lambda: lightgbm.LGBMClassifier(
            n_estimators=20, verbose=-1, n_jobs=1, random_state=0
        ),
    )


def best_time(fn, calls, rounds):
    """Best over ``rounds`` of the mean seconds per call over ``calls`` calls."""
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def side_by_side(wrapper, bare, X, calls, rounds=7):
    """Alternate the two calls round by round; return their best times."""
    times = {"wrapper": np.inf, "bare": np.inf}
    for _ in range(rounds):
        for name, fn in (("wrapper", wrapper), ("bare", bare)):
            times[name] = min(times[name], best_time(lambda fn=fn: fn(X), calls, 1))
    return times["wrapper"], times["bare"]


def main():
    warnings.simplefilter("ignore", DistillationWarning)
    X, y = make_classification(20000, 20, n_informative=8, random_state=0)
    X_fit, y_fit, X_batch = X[:10000], y[:10000], X[10000:]
    teacher = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    teacher.fit(X_fit, y_fit)
    rows = []
    with threadpool_limits(1):
        for name, make in students():
            for temperature, alpha in ((1.0, 0.5), (3.0, 0.5), (3.0, 1.0)):
                model = DistilledClassifier(
                    teacher, make(), temperature=temperature, alpha=alpha, random_state=0
                ).fit(X_fit, y_fit)
                student = model.student_
                one = side_by_side(model.predict_proba, student.predict_proba, X[:1], 2000)
                batch = side_by_side(
                    model.predict_proba, student.predict_proba, X_batch, 20
                )
                scale = getattr(model.strategy_, "scale_", 1.0)
                rows.append((name, temperature, alpha, scale, one, batch))
                print(rows[-1], flush=True)

    lines = [
        "# Wrapper overhead: DistilledClassifier.predict_proba vs the bare student "
        "(issue 6)",
        "",
        "`python benchmarks/bench_wrapper_overhead.py`",
        "",
        "Teacher: HistGradientBoosting (100 rounds) on 10,000 synthetic rows (20 "
        "features); each student distilled at the given temperature and alpha. Best "
        "time per call over 7 alternating rounds (one row: 2,000 calls per round; "
        "10,000 rows: 20 calls), one thread. `map s` is the scale still applied at "
        "predict time (1 when there is nothing to map, or when the student carries the "
        "map itself, as tree leaves and rewritten LightGBM boosters do). Target: <= "
        "1.1x.",
        "",
        "| student | T | alpha | map s | 1 row: distiller µs | bare µs | ratio "
        "| 10k rows: distiller ms | bare ms | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, temperature, alpha, scale, one, batch in rows:
        lines.append(
            f"| {name} | {temperature:g} | {alpha:g} | {scale:.2f} | {one[0] * 1e6:.1f} "
            f"| {one[1] * 1e6:.1f} | {one[0] / one[1]:.2f} | {batch[0] * 1e3:.2f} "
            f"| {batch[1] * 1e3:.2f} | {batch[0] / batch[1]:.2f} |"
        )
    lines += ["", machine_facts(), ""]
    path = write_result("wrapper_overhead.md", "\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
