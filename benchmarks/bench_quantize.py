"""Distillation + quantization: float vs int8 distilled MLP students (issue 14 item 5).

A HistGradientBoosting teacher is distilled (T=2, alpha=0.7) into skorch MLP students
of two widths; each student is quantized to int8 by ``skdistill.export.quantize``
with both backends (torch dynamic quantization of the linear layers; onnxruntime's
dynamic quantization of the ONNX export). Reported per dataset, width and backend,
over seeds: the size ratio int8 / float (issue target <= 0.35x), the single-row
latency ratio (each model run by the same runtime; ``torch.set_num_threads(1)``),
test accuracy float and int8 (target: within 0.5 points), ROC-AUC for the binary
set, the share of rows with the same predicted class and the largest probability
difference.

Datasets: digits (scikit-learn) and MAGIC gamma telescope (``../shared/data``, read
in place; 10 numeric features, binary). Features are standardized on the training
rows.

Run from the repository root::

    python benchmarks/bench_quantize.py            # results/quantize.md (5 seeds)
    python benchmarks/bench_quantize.py --quick    # results/quantize_quick.md (1 seed)
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine_facts, mean_sd, write_result
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdistill import DistillationWarning, DistilledClassifier
from skdistill.export import quantization_report, quantize

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def load(name, max_rows, seed):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        frame = pd.read_csv(DATA / "magic_gamma_telescope.csv.gz")
        y = (frame.pop("class") == "h").to_numpy().astype(int)
        X = frame.to_numpy(dtype=np.float64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    X_train, y_train = X_train[:max_rows], y_train[:max_rows]
    X_test, y_test = X_test[:max_rows], y_test[:max_rows]
    scaler = StandardScaler().fit(X_train)
    as32 = lambda A: scaler.transform(A).astype(np.float32).astype(np.float64)  # noqa: E731
    return as32(X_train), as32(X_test), y_train, y_test


def student(n_features, n_classes, hidden, epochs):
    import torch
    from skorch import NeuralNetClassifier

    module = torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, n_classes),
    )
    return NeuralNetClassifier(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.003,
        max_epochs=epochs,
        batch_size=64,
        train_split=None,
        verbose=0,
    )


def run(datasets, widths, seeds, max_rows, epochs, n_calls):
    import torch

    torch.set_num_threads(1)
    rows = []
    for name in datasets:
        for seed in seeds:
            X_train, X_test, y_train, y_test = load(name, max_rows, seed)
            teacher = HistGradientBoostingClassifier(max_iter=200, random_state=seed)
            teacher.fit(X_train, y_train)
            n_classes = len(np.unique(y_train))
            for hidden in widths:
                net = student(X_train.shape[1], n_classes, hidden, epochs)
                model = DistilledClassifier(
                    teacher, net, temperature=2.0, alpha=0.7, random_state=seed
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DistillationWarning)
                    model.fit(X_train, y_train)
                for backend in ("torch", "onnx"):
                    quantized = quantize(model, X_test[:5], backend=backend)
                    report = quantization_report(
                        model, quantized, X_test, y_test, n_calls=n_calls
                    )
                    rows.append(
                        {
                            "dataset": name,
                            "hidden": hidden,
                            "backend": backend,
                            "seed": seed,
                            "float_kb": report["float"]["size"] / 1000,
                            "size_ratio": report["int8"]["size_ratio"],
                            "latency_ratio": report["int8"]["latency_ratio"],
                            "float_latency_us": report["float"]["latency"] * 1e6,
                            "acc_float": report["float"]["accuracy"],
                            "acc_int8": report["int8"]["accuracy"],
                            "auc_float": report["float"]["roc_auc"],
                            "auc_int8": report["int8"]["roc_auc"],
                            "agreement": report["int8"]["agreement"],
                            "max_proba_diff": report["int8"]["max_proba_diff"],
                        }
                    )
                    print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def markdown(frame, args, elapsed):
    lines = [
        "# Float vs int8 distilled MLP students (`bench_quantize.py`"
        + (" --quick" if args.quick else "")
        + ")",
        "",
        f"{machine_facts()}; torch single-threaded. {len(frame.seed.unique())} seed(s), "
        f"<= {args.max_rows} train/test rows, {args.epochs} epochs; {elapsed:.0f} s.",
        "Latency ratios were measured while other jobs shared the 2 CPUs: noisy.",
        "",
        "| dataset | hidden | backend | float size | int8/float size | int8/float "
        "latency (float µs) | accuracy float → int8 (points) | ROC-AUC float → int8 "
        "| same class | max Δp |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (name, hidden, backend), group in frame.groupby(
        ["dataset", "hidden", "backend"], sort=False
    ):
        delta = 100 * (group.acc_int8 - group.acc_float)
        auc = (
            "n/a (multiclass)"
            if name == "digits"
            else f"{group.auc_float.mean():.4f} → {group.auc_int8.mean():.4f}"
        )
        lines.append(
            f"| {name} | {hidden} | {backend} | {group.float_kb.mean():.1f} kB "
            f"| {mean_sd(group.size_ratio)} "
            f"| {mean_sd(group.latency_ratio, '{:.2f}')} "
            f"({group.float_latency_us.median():.0f}) "
            f"| {100 * group.acc_float.mean():.2f} → {100 * group.acc_int8.mean():.2f} "
            f"(Δ {mean_sd(delta, '{:+.2f}')}) "
            f"| {auc} | {100 * group.agreement.min():.1f}% (min) "
            f"| {group.max_proba_diff.max():.3f} |"
        )
    ok_size = frame.size_ratio.max() <= 0.35
    ok_acc = (100 * (frame.acc_float - frame.acc_int8)).abs().max() <= 0.5
    lines += [
        "",
        f"Targets: size <= 0.35x in every cell: {'yes' if ok_size else 'no'} "
        f"(largest {frame.size_ratio.max():.3f}); accuracy within 0.5 points in every "
        f"cell: {'yes' if ok_acc else 'no'} (largest change "
        f"{(100 * (frame.acc_int8 - frame.acc_float)).abs().max():.2f} points).",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 1500 rows")
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2, 3, 4]
    args.max_rows = 1500 if args.quick else 5000
    args.epochs = 15 if args.quick else 30
    start = time.perf_counter()
    frame = run(
        ["digits", "magic"],
        [128, 256],
        seeds,
        args.max_rows,
        args.epochs,
        n_calls=100 if args.quick else 300,
    )
    text = markdown(frame, args, time.perf_counter() - start)
    path = write_result("quantize_quick.md" if args.quick else "quantize.md", text)
    print(text)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
