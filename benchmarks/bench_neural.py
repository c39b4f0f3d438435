"""Neural distillation techniques: hard labels vs Hinton KD vs FitNets, RKD, mutual,
born-again and int8-quantized students (issue 14).

Run from the repository root::

    python benchmarks/bench_neural.py            # 5 seeds, <= 4000 training rows
    python benchmarks/bench_neural.py --quick    # 2 seeds, <= 1500 rows, fewer epochs

Options ``--seeds``, ``--max-rows``, ``--epochs``, ``--teacher-epochs`` and
``--datasets`` override the mode's settings.

Time: ``--quick`` took 2.5 min on the shared 2-core machine (one thread); the cost
grows with seeds x training rows x epochs, and only letter recognition has more than
1500 training rows (digits 1257, the ULB sample 1205), so the full mode (:data:`FULL`:
5 seeds, <= 4000 rows, 100 student and 60 teacher epochs) was estimated at about 6x
the quick run on digits and ULB and 17x on letter, 30-45 minutes; it took 24.7
minutes (first line of ``results/neural.md``), so these settings stay those of the
earlier digits-only run.

Datasets: scikit-learn's digits (10 classes, no download) and two real tabular sets
read in place from ``../shared/data/``: the ULB credit-card fraud sample (binary, 29%
fraud in this subset) and letter recognition (26 classes). For each seed: 70/30
stratified split, training rows subsampled (stratified) to ``--max-rows``, features
standardised on the training rows.

Teacher: a wide MLP (two hidden layers of 256 with dropout 0.3 and weight decay
1e-4, skorch ``NeuralNetClassifier``; regularised, as Hinton et al.'s teacher was).
Students: MLPs with one hidden layer of two sizes (32 and 8 units), each trained by
every technique of :data:`TECHNIQUES`, a table ``name -> factory`` (add a row to
compare another technique: the factory gets the teacher, an unfitted student net,
the layer names and the seed, and returns an unfitted classifier):

* hard labels: the student net on the labels alone (cross-entropy);
* Hinton KD: ``SkorchStrategy()`` at temperature 4, alpha 0.9;
* KD + mixup rows: the same, with ``transfer_set="mixup"`` (as many extra rows,
  mixtures of training rows, labelled by the teacher alone: Hinton et al.'s
  student also saw the teacher's answers on more inputs than the labelled ones);
* FitNets: KD plus ``beta * MSE`` between a linear map of the student's hidden layer
  and the teacher's last hidden layer (``hint_layer``/``guided_layer``, beta 1);
* RKD: cross-entropy plus RKD's distance (weight 1) and angle (weight 2) losses on
  the logits (``alpha=0``: the relations are the only teacher signal);
* KD+RKD: Hinton KD plus the same RKD terms;
* mutual (peer): :class:`~skdistill.MutualDistillationClassifier`, the student and
  one peer of the same size (its own initial weights) trained together (deep mutual
  learning, temperature 4, alpha 0.5), no teacher; the student alone predicts, so
  its size and latency are one student's. A peer of the student's size is the
  paper's basic setting and costs one more small net, not a large one;
* born-again: :class:`~skdistill.BornAgainClassifier` with 2 generations, to keep
  the time down: generation 0 is the student on the labels (the born-again
  "teacher"), generation 1 the same net distilled from it (temperature 4, alpha
  0.9); each is fitted on 80% of the training rows and the better one on the other
  20% predicts (the class's validation split).

:data:`DERIVED` rows reuse a fitted technique instead of fitting: ``KD int8
(torch)`` and ``KD int8 (onnx)`` are the fitted Hinton KD student quantized by
:func:`skdistill.export.quantize` (dynamic int8 of the linear layers, with torch or
with onnxruntime), scored on the test rows, and compared with the float student by
:func:`skdistill.export.quantization_report`.

A second table measures the tree-leaf hint: a 100-tree random forest teacher, the
small MLP student distilled with Hinton KD, with and without the leaf-embedding
hint (``hint_layer="leaves"``, 16 SVD components, beta 1).

Reported per (dataset, student, technique): test accuracy, ROC-AUC (macro
one-vs-rest for multiclass), log-loss (mean ± sd over seeds), the share of the
hard-label -> teacher error gap closed (Hinton et al.'s measure: ``(err_hard -
err) / (err_hard - err_teacher)``, from the mean errors), and the size and latency
ratios to the teacher. Size: the parameter count (all float32); latency: module
forward on the test rows, median of 20 calls, one thread (a shared machine: noisy).
The int8 rows have no parameter count of their own: their size ratio is the float
KD student's times int8/float serialized bytes, their latency ratio the float KD
student's times int8/float single-row latency through the same runtime (both from
``quantization_report``); a last table gives those int8/float ratios, the accuracy
drop and the share of rows that keep their class directly. Distillers use
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
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdistill import (
    BornAgainClassifier,
    DistillationWarning,
    DistilledClassifier,
    MutualDistillationClassifier,
)
from skdistill.export import quantization_report, quantize
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
MUTUAL_ALPHA = 0.5  # deep mutual learning's equal weights of CE and KL
BORN_AGAIN_GENERATIONS = 2  # generation 0 (labels) and one born-again generation
# the full run: 24.7 minutes on one thread of the busy 2-core box (docstring)
FULL = {"seeds": 5, "max_rows": 4000, "epochs": 100, "teacher_epochs": 60}
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


class MLP(torch.nn.Sequential):
    """Sequential MLP with named layers hidden1, act1, (drop1,) ..., out.

    A class, not an instance, in the nets: the distillers, the born-again generations
    and the mutual peers then draw each net's initial weights from their own seeds.
    """

    def __init__(self, n_features=1, n_classes=2, widths=(32,), dropout=0.0):
        layers, width = OrderedDict(), n_features
        for i, units in enumerate(widths, 1):
            layers[f"hidden{i}"] = torch.nn.Linear(width, units)
            layers[f"act{i}"] = torch.nn.ReLU()
            if dropout:
                layers[f"drop{i}"] = torch.nn.Dropout(dropout)
            width = units
        layers["out"] = torch.nn.Linear(width, n_classes)
        super().__init__(layers)


def net(n_features, n_classes, widths, epochs, teacher=False):
    """A student MLP, or the teacher (dropout 0.3, weight decay 1e-4, lr 1e-3)."""
    return skorch.NeuralNetClassifier(
        MLP,
        module__n_features=n_features,
        module__n_classes=n_classes,
        module__widths=tuple(widths),
        module__dropout=0.3 if teacher else 0.0,
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
    # online: the student and a peer of its size (its own initial weights), no
    # teacher; the student alone predicts, so the size and latency are one student's
    "mutual (peer)": lambda teacher, student, layers, seed: MutualDistillationClassifier(
        [("student", student), ("peer", clone(student))],
        temperature=TEMPERATURE,
        alpha=MUTUAL_ALPHA,
        predict_with="student",
        random_state=seed,
    ),
    # self-distillation: generation 0 is the student on the labels (its "teacher"),
    # generation 1 the student distilled from it; the validation split picks one
    "born-again": lambda teacher, student, layers, seed: BornAgainClassifier(
        student,
        n_generations=BORN_AGAIN_GENERATIONS - 1,
        temperature=TEMPERATURE,
        alpha=ALPHA,
        strategy=SkorchStrategy(random_state=seed),
        random_state=seed,
    ),
}

# derived rows: name -> (technique whose fitted model they reuse, derive(model, X))
DERIVED = {
    f"KD int8 ({backend})": (
        "Hinton KD",
        lambda model, X, backend=backend: quantize(model, X[:200], backend=backend),
    )
    for backend in ("torch", "onnx")
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
    """The torch module that predicts for ``model`` (a distiller, a net, a mutual or
    born-again classifier)."""
    if hasattr(model, "named_peers_"):
        return model.named_peers_[model.predict_with].module_
    if hasattr(model, "best_estimator_"):
        model = model.best_estimator_
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
        torch.manual_seed(seed)  # the teacher is fitted directly: torch draws its init
        teacher = net(
            n_features,
            n_classes,
            [TEACHER_HIDDEN, TEACHER_HIDDEN],
            settings.teacher_epochs,
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
            fitted = {}
            for technique, factory in TECHNIQUES.items():
                student = net(n_features, n_classes, [size], settings.epochs)
                start = time.perf_counter()
                model = factory(teacher, student, ("act2", "act1"), seed).fit(X, y)
                fit_seconds = time.perf_counter() - start
                print(
                    f"  {name} {seed} MLP-{size} {technique}: {fit_seconds:.1f} s",
                    flush=True,
                )
                fitted[technique] = row = {
                    **base,
                    "student": f"MLP-{size}",
                    "technique": technique,
                    "params": model_complexity(module_of(model)).count,
                    "fit_s": fit_seconds,
                    "params_ratio": model_complexity(module_of(model)).count / t_params,
                    "latency_ratio": latency(module_of(model), X_test) / t_latency,
                } | scores(model, X_test, y_test, n_classes)
                fitted[technique, "model"] = model
                rows.append(row)
            for technique, (source, derive) in DERIVED.items():
                rows.append(
                    derived_row(technique, fitted, source, derive, X, X_test, y_test)
                )
        print(f"{name} seed {seed} done", flush=True)


def derived_row(technique, fitted, source, derive, X, X_test, y_test):
    """A quantized student of ``fitted[source]``: its scores, and its ratios to the
    teacher as the float student's ratios times the int8/float ratios that
    :func:`quantization_report` measures (serialized bytes; single-row latency,
    both through the same runtime)."""
    model, float_row = fitted[source, "model"], fitted[source]
    start = time.perf_counter()
    quantized = derive(model, X)
    seconds = time.perf_counter() - start
    report = quantization_report(model, quantized, X_test, y_test, n_calls=100)
    int8 = report["int8"]
    n_classes = len(model.classes_)
    return {
        **{key: float_row[key] for key in ("dataset", "seed", "student")},
        "technique": technique,
        "params": float_row["params"],
        "fit_s": seconds,
        "params_ratio": float_row["params_ratio"] * int8["size_ratio"],
        "latency_ratio": float_row["latency_ratio"] * int8["latency_ratio"],
        "int8_size_ratio": int8["size_ratio"],
        "int8_latency_ratio": int8["latency_ratio"],
        "int8_bytes": int8["size"],
        "float_bytes": report["float"]["size"],
        "accuracy_drop": report["float"]["accuracy"] - int8["accuracy"],
        "agreement": int8["agreement"],
        "max_proba_diff": int8["max_proba_diff"],
    } | scores(quantized, X_test, y_test, n_classes)


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
            student = net(X.shape[1], n_classes, [size], settings.epochs)
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
        "gap closed | size ratio | latency ratio |",
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


def quantized_table(frame):
    """The int8 students against their float KD student (the issue's targets)."""
    part = frame[frame.technique.isin(list(DERIVED))]
    if part.empty:
        return "(not run)"
    lines = [
        "| dataset | student | int8 student | float bytes | int8/float size | "
        "int8/float latency | accuracy drop (points) | worst seed drop | same class |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (dataset, student, technique), cell in part.groupby(
        ["dataset", "student", "technique"], sort=False
    ):
        lines.append(
            f"| {dataset} | {student} | {technique} | "
            f"{int(cell['float_bytes'].median()):,} | "
            f"{cell['int8_size_ratio'].median():.3f} | "
            f"{cell['int8_latency_ratio'].median():.2f} | "
            f"{100 * cell['accuracy_drop'].mean():+.2f} | "
            f"{100 * cell['accuracy_drop'].max():+.2f} | "
            f"{cell['agreement'].min():.1%} |"
        )
    return "\n".join(lines)


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
    parser.add_argument("--epochs", type=int, help="student epochs")
    parser.add_argument("--teacher-epochs", type=int)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = parser.parse_args()
    settings = argparse.Namespace(
        seeds=args.seeds or (2 if args.quick else FULL["seeds"]),
        max_rows=args.max_rows or (1500 if args.quick else FULL["max_rows"]),
        sizes=(32, 8),
        epochs=args.epochs or (40 if args.quick else FULL["epochs"]),
        teacher_epochs=args.teacher_epochs
        or (30 if args.quick else FULL["teacher_epochs"]),
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
    for option in ("seeds", "max_rows", "epochs", "teacher_epochs"):
        if getattr(args, option):
            command += f" --{option.replace('_', '-')} {getattr(args, option)}"
    if args.datasets != list(DATASETS):
        command += " --datasets " + " ".join(f"'{name}'" for name in args.datasets)
    text = "\n\n".join(
        [
            "# Neural distillation: hard labels vs Hinton KD vs FitNets, RKD, mutual, "
            "born-again and int8 students",
            f"`{command}` ({seconds / 60:.1f} min). {machine_facts()}; torch "
            f"{torch.__version__}, skorch {skorch.__version__}; one thread.",
            f"{settings.seeds} seeds; at most {settings.max_rows} training rows; "
            f"teacher MLP {TEACHER_HIDDEN}-{TEACHER_HIDDEN}, dropout 0.3, weight decay "
            f"1e-4 ({settings.teacher_epochs} epochs, lr 1e-3); students MLP with "
            f"one hidden layer of {settings.sizes} units "
            f"({settings.epochs} epochs, Adam lr 3e-3, batch 128); temperature "
            f"{TEMPERATURE:g}, alpha {ALPHA:g}; FitNets beta 1 (teacher act2 -> "
            f"student act1); RKD weights distance {RKD_WEIGHTS['rkd_distance']:g}, "
            f"angle {RKD_WEIGHTS['rkd_angle']:g} on logits; mutual: the student and one "
            f"peer of its size, alpha {MUTUAL_ALPHA:g}, the student predicts; born-again: "
            f"{BORN_AGAIN_GENERATIONS} generations (labels, then distilled from "
            "generation 0), each fitted on 80% of the training rows, the better on the "
            "other 20% kept; KD int8: the fitted Hinton KD student quantized (dynamic "
            "int8, torch or onnxruntime), not refitted. Mean ± sd over seeds; "
            "'gap closed' is the share of the hard-label -> teacher accuracy gap "
            "closed (from mean errors; negative: worse than hard labels). Ratios to "
            "the teacher: 'size' is the parameter count (float32 rows) and module "
            "forward time on the test rows (median; a shared, busy machine: noisy). "
            "For the int8 rows, size ratio = the float KD student's ratio x int8/float "
            "serialized bytes (state_dict for torch, the ONNX file for onnx) and "
            "latency ratio = the float KD student's ratio x int8/float single-row "
            "latency through the same runtime (`quantization_report`); the last "
            "table gives those int8/float ratios directly.",
            "## Digits, as Hinton et al. report MNIST",
            hinton_table(frame),
            "## All techniques",
            main_table(frame),
            "## Tree-ensemble teacher: the leaf-embedding hint",
            "Random forest (100 trees, min_samples_leaf 3) teacher; MLP student with "
            f"{settings.sizes[0]} hidden units; Hinton KD as above, with and without "
            "the hint of the forest's leaves (one-hot, TruncatedSVD to 16 dims, beta 1).",
            leaves_table(pd.DataFrame(leaf_rows)) if leaf_rows else "(not run)",
            "## Quantized KD students against the float KD student",
            "Issue 14's target: accuracy within 0.5 points at <= 0.35x the float size. "
            "Accuracy drop: float minus int8, mean over seeds and the worst seed; "
            "same class: the share of test rows whose class int8 keeps (worst seed); "
            "bytes and ratios: medians.",
            quantized_table(frame),
        ]
    )
    name = "neural_quick.md" if args.quick else "neural.md"
    if args.datasets == ["digits"]:
        name = name.replace(".md", "_digits.md")
    print(text)
    print(f"\nwrote {write_result(name, text + chr(10))}")


if __name__ == "__main__":
    main()
