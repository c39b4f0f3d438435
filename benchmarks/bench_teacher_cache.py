"""Teacher outputs computed once: a T x alpha grid search, naive vs cached vs precomputed.

    python benchmarks/bench_teacher_cache.py [--rows 10000] [--trees 500]

A 500-tree random forest teacher (fitted on the MAGIC gamma telescope data of
``../shared/data/``) is distilled into a depth-6 tree by ``GridSearchCV`` over a 5 x 5
grid of temperature and alpha, 3 folds, ``n_jobs=2``:

- naive: every candidate asks the teacher again (and the teacher is pickled to the
  workers with every task batch);
- memory: ``DistilledClassifier(memory=folder)``: a joblib cache shared by the
  workers, keyed by the teacher's fingerprint and the fold's rows;
- precomputed: ``compute_teacher_logits`` once, ``teacher="precomputed"`` and
  ``fit(X, y, teacher_logits=...)``: the teacher never reaches the workers.

Each mode runs in its own process, so its time (wall clock, including the teacher
logits it computes) and peak memory (max RSS of the process and of its worker
processes) are its own. All three must choose the same candidate. Writes
``benchmarks/results/teacher_cache.md``.
"""

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from _common import machine_facts, write_result

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GRID = {"temperature": [1.0, 2.0, 3.0, 5.0, 10.0], "alpha": [0.0, 0.25, 0.5, 0.75, 1.0]}


def load(rows, seed=0):
    import pandas as pd

    frame = pd.read_csv(DATA / "magic_gamma_telescope.csv.gz")
    y = (frame.pop("class") == "g").astype(int).to_numpy()
    X = frame.to_numpy(dtype=np.float64)
    index = np.random.RandomState(seed).permutation(len(y))[:rows]
    return X[index], y[index]


def run_mode(mode, teacher_path, rows):
    """One search in this process; prints a JSON line of its measurements."""
    from joblib.externals.loky import get_reusable_executor
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.tree import DecisionTreeClassifier

    from skdistill import DistillationWarning, DistilledClassifier, compute_teacher_logits

    warnings.simplefilter("ignore", DistillationWarning)
    X, y = load(rows)
    with open(teacher_path, "rb") as f:
        teacher = pickle.load(f)
    student = DecisionTreeClassifier(max_depth=6, random_state=0)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    start = time.perf_counter()
    fit_params = {}
    with tempfile.TemporaryDirectory() as folder:
        if mode == "naive":
            model = DistilledClassifier(teacher, student, random_state=0)
        elif mode == "memory":
            model = DistilledClassifier(teacher, student, memory=folder, random_state=0)
        else:
            fit_params["teacher_logits"] = compute_teacher_logits(teacher, X)
            model = DistilledClassifier("precomputed", student, random_state=0)
        search = GridSearchCV(model, GRID, cv=cv, n_jobs=2).fit(X, y, **fit_params)
        seconds = time.perf_counter() - start
        get_reusable_executor().shutdown(wait=True)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": seconds,
                "peak_self_mb": peak_self,
                "peak_worker_mb": peak_workers,
                "best": search.best_params_,
                "best_score": search.best_score_,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--teacher-path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        return run_mode(args.mode, args.teacher_path, args.rows)

    from sklearn.ensemble import RandomForestClassifier

    X, y = load(args.rows)
    teacher = RandomForestClassifier(args.trees, n_jobs=2, random_state=0).fit(X, y)
    teacher.set_params(n_jobs=1)  # as most users leave it; the search has n_jobs=2
    with tempfile.TemporaryDirectory() as folder:
        teacher_path = os.path.join(folder, "teacher.pkl")
        with open(teacher_path, "wb") as f:
            pickle.dump(teacher, f, protocol=pickle.HIGHEST_PROTOCOL)
        teacher_mb = os.path.getsize(teacher_path) / 2**20
        results = {}
        for mode in ("naive", "memory", "precomputed"):
            print(f"running {mode} ...", flush=True)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--mode",
                    mode,
                    "--teacher-path",
                    teacher_path,
                    "--rows",
                    str(args.rows),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
            print(results[mode], flush=True)

    naive = results["naive"]["seconds"]
    lines = [
        "# Teacher outputs computed once (issue 5)",
        "",
        "`python benchmarks/bench_teacher_cache.py "
        f"--rows {args.rows} --trees {args.trees}`",
        "",
        f"GridSearchCV over a 5 x 5 temperature x alpha grid (25 candidates x 3 folds, "
        f"n_jobs=2) distilling a {args.trees}-tree random forest ({teacher_mb:.0f} MB "
        f"pickled) into a depth-6 tree on {args.rows} rows of MAGIC gamma telescope. "
        "Each mode in its own process; time includes computing the teacher's logits.",
        "",
        "| mode | time (s) | time / naive | peak RSS main (MB) | peak RSS worker (MB) "
        "| best candidate | best CV accuracy |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for mode, r in results.items():
        lines.append(
            f"| {mode} | {r['seconds']:.1f} | {r['seconds'] / naive:.2f} | "
            f"{r['peak_self_mb']:.0f} | {r['peak_worker_mb']:.0f} | "
            f"T={r['best']['temperature']:g}, alpha={r['best']['alpha']:g} | "
            f"{r['best_score']:.4f} |"
        )
    same = len({json.dumps(r["best"], sort_keys=True) for r in results.values()}) == 1
    lines += [
        "",
        f"Same best candidate in all modes: {'yes' if same else 'NO'}. "
        "Target: <= 0.2x the naive time.",
        "",
        machine_facts(),
        "",
    ]
    path = write_result("teacher_cache.md", "\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
