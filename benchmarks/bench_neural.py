"""Neural distillation techniques: hard labels vs Hinton KD vs FitNets vs RKD (issue 14).

Run from the repository root::

    python benchmarks/bench_neural.py            # 5 seeds, <= 4000 training rows
    python benchmarks/bench_neural.py --quick    # 2 seeds, <= 1500 rows, fewer epochs

Datasets: scikit-learn's digits (10 classes, no download) and two real tabular sets
read in place from ``../shared/data/``: the ULB credit-card fraud sample (binary, 29%
fraud in this subset) and letter recognition (26 classes). For each seed: 70/30
stratified split, training rows subsampled (stratified) to ``--max-rows``, features
standardised on the training rows.

Teacher: a wide MLP (two hidden layers of 256 with dropout 0.3 and weight decay
1e-4, skorch ``NeuralNetClassifier``; regularised, as Hinton et al.'s teacher was).
Students: MLPs with one hidden layer of two sizes (``--sizes``, 32 and 8 units), each
trained by every technique of :data:`TECHNIQUES`, a table ``name -> factory`` (add a
row to compare another technique: the factory gets the teacher, an unfitted student
net, the layer names and the seed, and returns a fitted classifier):

* hard labels: the student net on the labels alone (cross-entropy);
* Hinton KD: ``SkorchStrategy()`` at temperature 4, alpha 0.9;
* KD + mixup rows: the same, with ``transfer_set="mixup"`` (as many extra rows,
  mixtures of training rows, labelled by the teacher alone: Hinton et al.'s
  student also saw the teacher's answers on more inputs than the labelled ones);
* FitNets: KD plus ``beta * MSE`` between a linear map of the student's hidden layer
  and the teacher's last hidden layer (``hint_layer``/``guided_layer``, beta 1);
* RKD: cross-entropy plus RKD's distance (weight 1) and angle (weight 2) losses on
  the logits (``alpha=0``: the relations are the only teacher signal);
* KD+RKD: Hinton KD plus the same RKD terms.

A second table measures the tree-leaf hint: a 100-tree random forest teacher, the
small MLP student distilled with Hinton KD, with and without the leaf-embedding
hint (``hint_layer="leaves"``, 16 SVD components, beta 1).

Reported per (dataset, student, technique): test accuracy, ROC-AUC (macro
one-vs-rest for multiclass), log-loss (mean ± sd over seeds), the share of the
hard-label -> teacher error gap closed (Hinton et al.'s measure: ``(err_hard -
err) / (err_hard - err_teacher)``, from the mean errors), and the parameter-count
and latency ratios to the teacher (module forward on the test rows, median of 20
calls, one thread; measured on a shared machine: noisy). Distillers use
``calibration_cv="train"`` (the map back to temperature 1 fitted on the training
rows: no extra fits). Writes ``benchmarks/results/neural.md`` (``neural_quick.md``
with ``--quick``).
"""

import argparse
import time
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
import skorch
import torch
from _common import machine_facts, mean_sd, write_result
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdistill import DistillationWarning, DistilledClassifier
from skdistill.report import model_complexity
from skdistill.strategies import SkorchStrategy

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

# name: (file, target column, columns to drop); None: sklearn's digits
DATASETS = {
    "digits": None,
    "ulb fraud": ("ulb_creditcard_fraud_sample.csv.gz", "Class", []),
    "letter": ("letter_recognition.csv.gz", "lettr", []),
}
TEMPERATURE, ALPHA = 4.0, 0.9
RKD_WEIGHTS = {"rkd_distance": 1.0, "rkd_angle": 2.0}
TEACHER_HIDDEN = 256


# -- data and nets -----------------------------------------------------------------


def load(name):
    """Features (float64) and label indices 0..K-1 of a dataset."""
    if DATASETS[name] is None:
        return load_digits(return_X_y=True)
    file, target, drop = DATASETS[name]
    frame = pd.read_csv(DATA / file)
    y = frame.pop(target).to_numpy()
    X = frame.drop(columns=drop).to_numpy(dtype=np.float64)
    _, y = np.unique(y, return_inverse=True)
    return X, y


def split(X, y, seed, max_rows):
    """70/30 stratified split, training rows capped at max_rows, standardised (float32)."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    if len(y_train) > max_rows:
        X_train, _, y_train, _ = train_test_split(
            X_train, y_train, train_size=max_rows, stratify=y_train, random_state=seed
        )
    scaler = StandardScaler().fit(X_train)
    as32 = lambda a: scaler.transform(a).astype(np.float32)  # noqa: E731
    return as32(X_train), as32(X_test), y_train, y_test


def mlp(n_features, n_classes, widths, dropout=0.0):
    """Sequential MLP with named layers hidden1, act1, (drop1,) ..., out."""
    layers, width = OrderedDict(), n_features
    for i, units in enumerate(widths, 1):
        layers[f"hidden{i}"] = torch.nn.Linear(width, units)
        layers[f"act{i}"] = torch.nn.ReLU()
        if dropout:
            layers[f"drop{i}"] = torch.nn.Dropout(dropout)
        width = units
    layers["out"] = torch.nn.Linear(width, n_classes)
    return torch.nn.Sequential(layers)


def net(n_features, n_classes, widths, epochs, seed, teacher=False):
    """A student MLP, or the teacher (dropout 0.3, weight decay 1e-4, lr 1e-3)."""
    torch.manual_seed(seed)
    return skorch.NeuralNetClassifier(
        mlp(n_features, n_classes, widths, dropout=0.3 if teacher else 0.0),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=1e-4 if teacher else 0.0,
        lr=1e-3 if teacher else 3e-3,
        max_epochs=epochs,
        batch_size=128,
        train_split=None,
        verbose=0,
    )


# -- techniques: name -> factory(teacher, student, layers, seed) -> fitted model ------


class LeafHintStrategy(SkorchStrategy):
    """SkorchStrategy with the tree-leaf hint switched on (not offered publicly:
    this benchmark's leaf table is why)."""

    _allow_leaves = True
    _leaf_components = 16


def _distil(teacher, student, seed, alpha=ALPHA, transfer_set=None, **strategy):
    kind = LeafHintStrategy if strategy.get("hint_layer") == "leaves" else SkorchStrategy
    return DistilledClassifier(
        teacher,
        student,
        temperature=TEMPERATURE,
        alpha=alpha,
        transfer_set=transfer_set,
        strategy=kind(random_state=seed, **strategy),
        calibration_cv="train",
        random_state=seed,
    )


TECHNIQUES = {
    "hard labels": lambda teacher, student, layers, seed: _distil(
        teacher, student, seed, alpha=0.0
    ),
    "Hinton KD": lambda teacher, student, layers, seed: _distil(teacher, student, seed),
    "KD + mixup rows": lambda teacher, student, layers, seed: _distil(
        teacher, student, seed, transfer_set="mixup"
    ),
    "FitNets": lambda teacher, student, layers, seed: _distil(
        teacher, student, seed, hint_layer=layers[0], guided_layer=layers[1], beta=1.0
    ),
    "RKD": lambda teacher, student, layers, seed: _distil(
        teacher, student, seed, alpha=0.0, **RKD_WEIGHTS
    ),
    "KD+RKD": lambda teacher, student, layers, seed: _distil(
        teacher, student, seed, **RKD_WEIGHTS
    ),
}


# -- measures ----------------------------------------------------------------------


def scores(model, X, y, n_classes):
    proba = np.clip(model.predict_proba(X), 1e-7, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    labels = np.arange(n_classes)
    if n_classes == 2:
        auc = roc_auc_score(y, proba[:, 1])
    else:
        auc = roc_auc_score(y, proba, multi_class="ovr", labels=labels)
    return {
        "accuracy": accuracy_score(y, labels[proba.argmax(axis=1)]),
        "roc_auc": auc,
        "log_loss": log_loss(y, proba, labels=labels),
    }


def module_of(model):
    return getattr(model, "student_", model).module_


def latency(module, X, n_calls=20):
    """Median seconds of a forward pass of ``module`` on ``X`` (no gradients)."""
    tensor = torch.as_tensor(X)
    times = []
    with torch.no_grad():
        module.eval()
        for _ in range(n_calls):
            start = time.perf_counter()
            module(tensor)
            times.append(time.perf_counter() - start)
    return float(np.median(times))


# -- the run -----------------------------------------------------------------------


def run_dataset(name, settings, rows):
    X_all, y_all = load(name)
    n_classes = len(np.unique(y_all))
    for seed in range(settings.seeds):
        X, X_test, y, y_test = split(X_all, y_all, seed, settings.max_rows)
        n_features = X.shape[1]
        teacher = net(
            n_features,
            n_classes,
            [TEACHER_HIDDEN, TEACHER_HIDDEN],
            settings.teacher_epochs,
            seed,
            teacher=True,
        ).fit(X, y)
        base = {"dataset": name, "seed": seed}
        t_params = model_complexity(teacher).count
        t_latency = latency(teacher.module_, X_test)
        rows.append(
            {**base, "student": "teacher", "technique": "teacher", "params": t_params}
            | scores(teacher, X_test, y_test, n_classes)
            | {"latency_ratio": 1.0, "params_ratio": 1.0}
        )
        for size in settings.sizes:
            for technique, factory in TECHNIQUES.items():
                student = net(n_features, n_classes, [size], settings.epochs, seed)
                start = time.perf_counter()
                model = factory(teacher, student, ("act2", "act1"), seed).fit(X, y)
                fit_seconds = time.perf_counter() - start
                params = model_complexity(module_of(model)).count
                rows.append(
                    {
                        **base,
                        "student": f"MLP-{size}",
                        "technique": technique,
                        "params": params,
                        "fit_s": fit_seconds,
                        "params_ratio": params / t_params,
                        "latency_ratio": latency(module_of(model), X_test) / t_latency,
                    }
                    | scores(model, X_test, y_test, n_classes)
                )
        print(f"{name} seed {seed} done", flush=True)


def run_leaves(name, settings, rows):
    """Random-forest teacher: Hinton KD with and without the leaf-embedding hint."""
    X_all, y_all = load(name)
    n_classes = len(np.unique(y_all))
    size = settings.sizes[0]
    for seed in range(settings.seeds):
        X, X_test, y, y_test = split(X_all, y_all, seed, settings.max_rows)
        forest = RandomForestClassifier(
            n_estimators=100, min_samples_leaf=3, n_jobs=1, random_state=seed
        ).fit(X, y)
        rows.append(
            {"dataset": name, "seed": seed, "technique": "forest teacher"}
            | scores(forest, X_test, y_test, n_classes)
        )
        recipes = {
            "hard labels": {"alpha": 0.0},
            "Hinton KD": {},
            "KD + leaf hint": {"hint_layer": "leaves", "guided_layer": "act1"},
        }
        for technique, params in recipes.items():
            student = net(X.shape[1], n_classes, [size], settings.epochs, seed)
            alpha = params.pop("alpha", ALPHA)
            model = _distil(forest, student, seed, alpha=alpha, **params).fit(X, y)
            rows.append(
                {"dataset": name, "seed": seed, "technique": technique}
                | scores(model, X_test, y_test, n_classes)
            )


# -- the tables --------------------------------------------------------------------


def gap_closed(frame, teacher_acc):
    """Share of the hard-label -> teacher error gap closed, from mean errors."""
    hard = 1 - frame.loc[frame.technique == "hard labels", "accuracy"].mean()
    teacher = 1 - teacher_acc
    out = {}
    for technique, part in frame.groupby("technique", sort=False):
        err = 1 - part["accuracy"].mean()
        out[technique] = (hard - err) / (hard - teacher) if hard > teacher else np.nan
    return out


def main_table(frame):
    lines = [
        "| dataset | student | technique | accuracy | ROC-AUC | log-loss | "
        "gap closed | params ratio | latency ratio |",
        "|---|---|---|---|---|---|---:|---:|---:|",
    ]
    for dataset, part in frame.groupby("dataset", sort=False):
        teacher = part[part.technique == "teacher"]
        t_acc = teacher["accuracy"].mean()
        lines.append(
            f"| {dataset} | teacher ({int(teacher['params'].iloc[0]):,} params) | — | "
            f"{mean_sd(teacher['accuracy'])} | {mean_sd(teacher['roc_auc'])} | "
            f"{mean_sd(teacher['log_loss'])} | — | 1 | 1 |"
        )
        for student, rows in part[part.technique != "teacher"].groupby(
            "student", sort=False
        ):
            closed = gap_closed(rows, t_acc)
            for technique, cell in rows.groupby("technique", sort=False):
                lines.append(
                    f"| {dataset} | {student} | {technique} | "
                    f"{mean_sd(cell['accuracy'])} | {mean_sd(cell['roc_auc'])} | "
                    f"{mean_sd(cell['log_loss'])} | {closed[technique]:+.0%} | "
                    f"{cell['params_ratio'].median():.3f} | "
                    f"{cell['latency_ratio'].median():.2f} |"
                )
    return "\n".join(lines)


def hinton_table(frame):
    """Digits, Hinton et al.'s way: test errors and the share of the gap closed."""
    part = frame[frame.dataset == "digits"]
    n_test = None
    lines = [
        "| student | teacher errors | hard-label student errors | best distilled "
        "(technique) errors | gap closed |",
        "|---|---:|---:|---:|---:|",
    ]
    teacher = part[part.technique == "teacher"]
    if teacher.empty:
        return ""
    n_test = int(round(teacher["n_test"].iloc[0]))
    t_err = (1 - teacher["accuracy"].mean()) * n_test
    for student, rows in part[part.technique != "teacher"].groupby("student", sort=False):
        errors = {
            tech: (1 - cell["accuracy"].mean()) * n_test
            for tech, cell in rows.groupby("technique", sort=False)
        }
        hard = errors.pop("hard labels")
        best = min(errors, key=errors.get)
        share = (hard - errors[best]) / (hard - t_err) if hard > t_err else np.nan
        kd_share = (hard - errors["Hinton KD"]) / (hard - t_err) if hard > t_err else np.nan
        lines.append(
            f"| {student} | {t_err:.1f} | {hard:.1f} | {errors[best]:.1f} ({best}); "
            f"Hinton KD {errors['Hinton KD']:.1f} | {share:.0%} (Hinton KD "
            f"{kd_share:.0%}) |"
        )
    return f"Mean errors on the {n_test} test digits over the seeds.\n\n" + "\n".join(lines)


def leaves_table(frame):
    lines = [
        "| dataset | technique | accuracy | ROC-AUC | log-loss |",
        "|---|---|---|---|---|",
    ]
    for (dataset, technique), cell in frame.groupby(["dataset", "technique"], sort=False):
        lines.append(
            f"| {dataset} | {technique} | {mean_sd(cell['accuracy'])} | "
            f"{mean_sd(cell['roc_auc'])} | {mean_sd(cell['log_loss'])} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--max-rows", type=int)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = parser.parse_args()
    settings = argparse.Namespace(
        seeds=args.seeds or (2 if args.quick else 5),
        max_rows=args.max_rows or (1500 if args.quick else 4000),
        sizes=(32, 8),
        epochs=40 if args.quick else 100,
        teacher_epochs=30 if args.quick else 60,
    )
    torch.set_num_threads(1)
    rows, leaf_rows = [], []
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", DistillationWarning)
        for name in args.datasets:
            n_test = None
            before = len(rows)
            run_dataset(name, settings, rows)
            X_all, y_all = load(name)
            n_test = int(np.ceil(0.3 * len(y_all)))
            for row in rows[before:]:
                row["n_test"] = n_test
            if name != "digits":
                run_leaves(name, settings, leaf_rows)
    frame = pd.DataFrame(rows)
    seconds = time.perf_counter() - start
    command = "python benchmarks/bench_neural.py" + (" --quick" if args.quick else "")
    if args.datasets != list(DATASETS):
        command += " --datasets " + " ".join(f"'{name}'" for name in args.datasets)
    text = "\n\n".join(
        [
            "# Neural distillation: hard labels vs Hinton KD vs FitNets vs RKD",
            f"`{command}` ({seconds / 60:.1f} min). {machine_facts()}; torch "
            f"{torch.__version__}, skorch {skorch.__version__}; one thread.",
            f"{settings.seeds} seeds; at most {settings.max_rows} training rows; "
            f"teacher MLP {TEACHER_HIDDEN}-{TEACHER_HIDDEN}, dropout 0.3, weight decay "
            f"1e-4 ({settings.teacher_epochs} epochs, lr 1e-3); students MLP with "
            f"one hidden layer of {settings.sizes} units "
            f"({settings.epochs} epochs, Adam lr 3e-3, batch 128); temperature "
            f"{TEMPERATURE:g}, alpha {ALPHA:g}; FitNets beta 1 (teacher act2 -> "
            f"student act1); RKD weights distance {RKD_WEIGHTS['rkd_distance']:g}, "
            f"angle {RKD_WEIGHTS['rkd_angle']:g} on logits. Mean ± sd over seeds; "
            "'gap closed' is the share of the hard-label -> teacher accuracy gap "
            "closed (from mean errors; negative: worse than hard labels). Ratios to "
            "the teacher: parameters, and module forward time on the test rows "
            "(median; a shared, busy machine: noisy).",
            "## Digits, as Hinton et al. report MNIST",
            hinton_table(frame),
            "## All techniques",
            main_table(frame),
            "## Tree-ensemble teacher: the leaf-embedding hint",
            "Random forest (100 trees, min_samples_leaf 3) teacher; MLP student with "
            f"{settings.sizes[0]} hidden units; Hinton KD as above, with and without "
            "the hint of the forest's leaves (one-hot, TruncatedSVD to 16 dims, beta 1).",
            leaves_table(pd.DataFrame(leaf_rows)) if leaf_rows else "(not run)",
        ]
    )
    name = "neural_quick.md" if args.quick else "neural.md"
    if args.datasets == ["digits"]:
        name = name.replace(".md", "_digits.md")
    print(text)
    print(f"\nwrote {write_result(name, text + chr(10))}")


if __name__ == "__main__":
    main()
