"""Born-again generations and deep mutual learning of skorch MLPs (issue 14 items 3-4).

Born-again: ``BornAgainClassifier`` with a skorch MLP student, ``n_generations=3``,
``temperature=2``, ``alpha=0.7``; the test accuracy of every generation 0..3 (the
generation the validation split picks is marked). Mutual: two MLPs (64 and 16 hidden
units) trained by ``MutualDistillationClassifier`` with ``alpha=0.5, T=2`` against
the same two trained independently on the same batches (``alpha=0``); test accuracy
of each peer and of their average.

Datasets: digits (scikit-learn) and MAGIC gamma telescope (``../shared/data``, read
in place; binary, 10 features), standardized on the training rows.

Run from the repository root::

    python benchmarks/bench_online.py            # results/online.md (5 seeds)
    python benchmarks/bench_online.py --quick    # results/online_quick.md (1 seed)
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _common import machine_facts, mean_sd, write_result
from bench_quantize import load

from skdistill import BornAgainClassifier, DistillationWarning, MutualDistillationClassifier


def mlp(n_features, n_classes, hidden, epochs):
    import torch
    from skorch import NeuralNetClassifier

    class MLP(torch.nn.Module):  # built in fit, so random_state decides the weights
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(n_features, hidden),
                torch.nn.ReLU(),
                torch.nn.Linear(hidden, n_classes),
            )

        def forward(self, X):
            return self.body(X)

    return NeuralNetClassifier(
        MLP,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.003,
        max_epochs=epochs,
        batch_size=64,
        train_split=None,
        verbose=0,
    )


def run(datasets, seeds, max_rows, epochs):
    import torch

    torch.set_num_threads(1)
    born, mutual = [], []
    for name in datasets:
        for seed in seeds:
            X_train, X_test, y_train, y_test = load(name, max_rows, seed)
            f, k = X_train.shape[1], len(np.unique(y_train))
            model = BornAgainClassifier(
                mlp(f, k, 32, epochs),
                n_generations=3,
                temperature=2.0,
                alpha=0.7,
                random_state=seed,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DistillationWarning)
                model.fit(X_train, y_train)
            for g, generation in enumerate(model.generations_):
                born.append(
                    {
                        "dataset": name,
                        "seed": seed,
                        "generation": g,
                        "accuracy": generation.score(X_test, y_test),
                        "picked": g == model.best_generation_,
                    }
                )
            for alpha in (0.0, 0.5):
                peers = [("large", mlp(f, k, 64, epochs)), ("small", mlp(f, k, 16, epochs))]
                dml = MutualDistillationClassifier(
                    peers, temperature=2.0, alpha=alpha, random_state=seed
                ).fit(X_train, y_train)
                row = {"dataset": name, "seed": seed, "alpha": alpha}
                for who in ("large", "small", "average"):
                    row[who] = dml.set_params(predict_with=who).score(X_test, y_test)
                mutual.append(row)
            print(born[-4:], mutual[-2:], flush=True)
    return pd.DataFrame(born), pd.DataFrame(mutual)


def markdown(born, mutual, args, elapsed):
    lines = [
        "# Born-again and mutual learning of skorch MLPs (`bench_online.py`"
        + (" --quick" if args.quick else "")
        + ")",
        "",
        f"{machine_facts()}; torch single-threaded. {born.seed.nunique()} seed(s), "
        f"<= {args.max_rows} train/test rows, {args.epochs} epochs; {elapsed:.0f} s.",
        "",
        "## Born-again networks (32 hidden units, T=2, alpha=0.7): test accuracy",
        "",
        "| dataset | generation 0 (labels) | 1 | 2 | 3 | picked by validation |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, group in born.groupby("dataset", sort=False):
        cells = [
            mean_sd(group[group.generation == g].accuracy)
            for g in sorted(group.generation.unique())
        ]
        picked = mean_sd(group[group.picked].accuracy)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {picked} |")
    lines += [
        "",
        "## Deep mutual learning (64 + 16 hidden units, T=2): test accuracy",
        "",
        "| dataset | training | large peer | small peer | average |",
        "|---|---|---:|---:|---:|",
    ]
    for (name, alpha), group in mutual.groupby(["dataset", "alpha"], sort=False):
        how = "independent (alpha=0)" if alpha == 0 else f"mutual (alpha={alpha})"
        lines.append(
            f"| {name} | {how} | {mean_sd(group.large)} | {mean_sd(group.small)} "
            f"| {mean_sd(group.average)} |"
        )
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 1500 rows")
    args = parser.parse_args()
    seeds = [0] if args.quick else [0, 1, 2, 3, 4]
    args.max_rows = 1500 if args.quick else 5000
    args.epochs = 15 if args.quick else 30
    start = time.perf_counter()
    born, mutual = run(["digits", "magic"], seeds, args.max_rows, args.epochs)
    text = markdown(born, mutual, args, time.perf_counter() - start)
    path = write_result("online_quick.md" if args.quick else "online.md", text)
    print(text)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
