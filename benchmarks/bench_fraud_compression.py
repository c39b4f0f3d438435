"""Fraud compression: can a small distilled student replace a big teacher? (issue 6)

Run from the repository root::

    python benchmarks/bench_fraud_compression.py            # 5 seeds, 5 datasets
    python benchmarks/bench_fraud_compression.py --quick    # 1 seed, 2 datasets, 2000 rows
    python benchmarks/bench_fraud_compression.py --render   # Markdown from the /tmp rows

Datasets (``../shared/data/``, read in place, never copied): ULB credit-card fraud
sample, Taiwan credit default, give-me-some-credit, mammography, bank marketing. Per
seed: stratified 55/15/30 train/validation/test split, then each part subsampled
(stratified) to at most ``max_train`` / 5000 / 10000 rows. Shared preprocessing,
fitted on the training rows and used by teacher and students alike: median
imputation with missing-value indicator columns (give-me-some-credit, 2 cells of
Taiwan credit). Bank marketing: its 10 string columns become integer category codes
(``pandas.factorize`` over the file: no label information); trees and LightGBM split
on the codes, the logistic-regression student one-hot encodes them inside its own
pipeline; ``duration`` is dropped (known only after the call, as the UCI notes say).

Teacher: the best, by validation ROC-AUC, of a 500-tree LightGBM (learning rate
0.03), a 500-tree random forest and their soft-voting ensemble (one
``VotingClassifier`` fit gives all three), fitted on the training rows.

Students (fitted on the same training rows):

* ``tree``: ``DecisionTreeClassifier(max_depth=6)``, ``"expand"`` strategy;
* ``gbdt``: ``LGBMClassifier(n_estimators=100, num_leaves=15)``, native
  ``"lightgbm"`` strategy with early stopping on the distillation loss (10 rounds,
  10 % of the rows);
* ``logreg``: scaler (+ one-hot for bank marketing) and ``LogisticRegression``,
  ``"expand"`` strategy.

Each is distilled with ``GridSearchCV`` (3 stratified folds of the training rows,
ROC-AUC) over alpha 0 (the hard-label student), alpha 0.5/1 x temperature 1/3, and
the same with a transfer set of 2x the rows (``GaussianJitter`` or
``MinorityOversampler``, categorical and indicator columns never jittered); the
teacher's logits are cached with ``memory=`` so every candidate asks the teacher once
per fold and transfer set. Peers: the hard-label student (the same model on the
labels; the GBDT with early stopping on 10 % of the training rows) and an
imodels-style student (the matching regressor fitted on the teacher's probabilities,
``strategy=RegressStrategy(target="proba")``, alpha 1, temperature 1, no transfer).

Measured on the test rows: ROC-AUC, PR-AUC (average precision) and recall at 1 %
false-positive rate (sklearn metrics directly); size = ``len(pickle.dumps(...))`` of
the teacher and of the bare fitted student; single-row ``predict_proba`` latency
(median over interleaved timing rounds, one thread) of the teacher, of the
distiller (the scikit-learn API a user calls), of the student's native fast path
(tree: ``predict_proba(check_input=False)`` on float32; LightGBM:
``booster_.predict``; logistic regression: a numpy dot product with the scaler and
one-hot folded in; the map back to temperature 1 included where it applies) and of
``skdistill.export.to_onnx`` run by onnxruntime. The teacher is timed on its own
serving paths too (issue 16, like for like): LightGBM's ``booster_.predict``
(native) and ONNX (skl2onnx/onnxmltools, one-thread onnxruntime), each checked
against ``predict_proba`` first by ``skdistill.report.serving_speed``'s machinery,
with the reason when the teacher cannot take a path (a soft vote has no native
booster, and skl2onnx converts no ``flatten_transform=True`` vote). Two speed-ups:
through the scikit-learn API (teacher ``predict_proba`` / student path) and like
for like (teacher on its fastest path / student on its fastest path). Finally, the
wrapper's own cost: ``DistilledClassifier.predict_proba`` vs the bare
``student_.predict_proba`` on one row and on 10,000 rows, side by side.

Writes ``benchmarks/results/fraud_compression.md`` (``fraud_compression_quick.md``
with ``--quick``, not committed) and the raw rows to the temporary folder
(``fraud_compression.csv``, ``_wrapper.csv``, ``.json``), from which ``--render``
rewrites the Markdown without measuring again.
"""

import argparse
import json
import pickle
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version
from inspect import signature
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
from _common import machine_facts, mean_sd, write_result
from joblib import Memory
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from skdistill import DistillationWarning, DistilledClassifier
from skdistill._targets import PROBA_FLOOR
from skdistill.report._serving import _ready, _reason
from skdistill.strategies import ExpandStrategy, LightGBMStrategy, RegressStrategy
from skdistill.transfer import GaussianJitter, MinorityOversampler

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@dataclass
class Spec:
    file: str
    target: str
    positive: object
    drop: list = field(default_factory=list)
    max_train: int | None = None


DATASETS = {
    "ulb fraud": Spec("ulb_creditcard_fraud_sample.csv.gz", "Class", 1),
    "taiwan credit": Spec(
        "taiwan_credit_default.csv.gz", "default.payment.next.month", 1, ["ID"], 5000
    ),
    "give me some credit": Spec(
        "give_me_some_credit.csv.gz", "SeriousDlqin2yrs", 1, ["Id"], 4000
    ),
    "mammography": Spec("mammography.csv.gz", "class", 1),
    "bank marketing": Spec(
        "bank_marketing_additional_full.csv.gz", "y", "yes", ["duration"], 5000
    ),
}
QUICK_DATASETS = ("ulb fraud", "mammography")
QUICK_MAX_TRAIN = 2000
MAX_VAL, MAX_TEST = 5000, 10000
TEST_SIZE, VAL_SIZE = 0.30, 0.15

TEACHER_TREES, TEACHER_LEARNING_RATE = 500, 0.03
#: The forest is fitted on both cores, then predicts on one. LightGBM stays on one
#: thread: on the shared, loaded machine its OpenMP threads made a 500-tree fit 20x
#: slower with n_jobs=2 (44 s against 2.3 s on 8000 rows) in a trial.
FOREST_FIT_JOBS = 2
GBDT = {"n_estimators": 100, "num_leaves": 15, "learning_rate": 0.1}
TREE_DEPTH = 6
EARLY_STOPPING_ROUNDS, EARLY_STOPPING_FRACTION = 10, 0.1
CV_FOLDS = 3
TRANSFER_SIZE = 2.0
TEMPERATURES, ALPHAS = (1.0, 3.0), (0.5, 1.0)
STUDENTS = ("tree", "gbdt", "logreg")
STUDENT_LABEL = {
    "tree": f"depth-{TREE_DEPTH} tree",
    "gbdt": f"LightGBM-{GBDT['n_estimators']}",
    "logreg": "logistic regression",
}
METHODS = ("distilled", "hard labels", "imodels-style")
TARGET_ROC, TARGET_PR, TARGET_SIZE, TARGET_WRAPPER = 0.99, 0.97, 100.0, 1.1
FPR = 0.01


def library_commit():
    """The repository's commit, with "+changes" when skdistill/ has uncommitted edits."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "skdistill"], cwd=root, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes to skdistill/" if dirty else "")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- data ---------------------------------------------------------------------------


def load(name):
    """Features as float64 (categories as codes), labels 0/1, categorical columns."""
    spec = DATASETS[name]
    frame = pd.read_csv(DATA / spec.file)
    y = (frame.pop(spec.target).to_numpy() == spec.positive).astype(np.int64)
    frame = frame.drop(columns=spec.drop)
    categorical = []
    for j, column in enumerate(frame.columns):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = pd.factorize(frame[column])[0].astype(np.float64)
            categorical.append(j)
    return frame.to_numpy(dtype=np.float64), y, categorical


def _cap(X, y, cap, seed):
    if cap is None or len(y) <= cap:
        return X, y
    X, _, y, _ = train_test_split(X, y, train_size=cap, stratify=y, random_state=seed)
    return X, y


def split(X, y, categorical, seed, max_train):
    """Train / validation / test rows, imputed; the columns never to jitter."""
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=VAL_SIZE / (1 - TEST_SIZE), stratify=y_rest,
        random_state=seed,
    )  # fmt: skip
    X_train, y_train = _cap(X_train, y_train, max_train, seed)
    X_val, y_val = _cap(X_val, y_val, MAX_VAL, seed)
    X_test, y_test = _cap(X_test, y_test, MAX_TEST, seed)
    imputer = SimpleImputer(strategy="median", add_indicator=True).fit(X_train)
    n_indicators = imputer.transform(X_train[:1]).shape[1] - X.shape[1]
    keep = list(categorical) + list(range(X.shape[1], X.shape[1] + n_indicators))
    parts = [imputer.transform(part) for part in (X_train, X_val, X_test)]
    return (*parts, y_train, y_val, y_test, keep)


# -- metrics and sizes ----------------------------------------------------------------


def recall_at_fpr(y, score, fpr_max=FPR):
    """Highest true-positive rate among thresholds with false-positive rate <= fpr_max."""
    fpr, tpr, _ = roc_curve(y, score)
    return float(tpr[fpr <= fpr_max].max())


def quality(y, score):
    return {
        "roc": roc_auc_score(y, score),
        "pr": average_precision_score(y, score),
        "rec1": recall_at_fpr(y, score),
    }


def nbytes(model):
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def time_paths(paths, rounds=3, budget_s=0.08, min_calls=5):
    """Median seconds per call of each path, paths interleaved round by round."""
    samples = {name: [] for name in paths}
    for _ in range(rounds):
        for name, (fn, inputs) in paths.items():
            deadline = time.perf_counter() + budget_s
            i = 0
            while i < min_calls or time.perf_counter() < deadline:
                x = inputs[i % len(inputs)]
                start = time.perf_counter_ns()
                fn(x)
                samples[name].append(time.perf_counter_ns() - start)
                i += 1
    return {name: float(np.median(s)) * 1e-9 for name, s in samples.items()}


def time_pairs(wrapper, bare, inputs, n_calls):
    """Median seconds per call of two functions called alternately on the same input.

    Each input is given to both, in alternating order, so that both see the same
    load of the shared machine.
    """
    times = {"wrapper": [], "bare": []}
    for i in range(n_calls):
        x = inputs[i % len(inputs)]
        order = (("wrapper", wrapper), ("bare", bare))
        for name, fn in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter_ns()
            fn(x)
            times[name].append(time.perf_counter_ns() - start)
    return {name: float(np.median(t)) * 1e-9 for name, t in times.items()}


# -- teachers -----------------------------------------------------------------------


def fit_teachers(X, y, seed):
    """LightGBM-500, RF-500 and their soft vote, fitted once (the vote's members)."""
    lgbm = lightgbm.LGBMClassifier(
        n_estimators=TEACHER_TREES, learning_rate=TEACHER_LEARNING_RATE, verbose=-1,
        n_jobs=1, random_state=seed,
    )  # fmt: skip
    forest = RandomForestClassifier(
        n_estimators=TEACHER_TREES, n_jobs=FOREST_FIT_JOBS, random_state=seed
    )
    vote = VotingClassifier([("lgbm", lgbm), ("rf", forest)], voting="soft").fit(X, y)
    members = vote.named_estimators_
    for member in members.values():
        member.set_params(n_jobs=1)  # predict (and measure) on one thread
    return {"LightGBM-500": members["lgbm"], "RF-500": members["rf"], "soft vote": vote}


# -- students -----------------------------------------------------------------------


def logreg_pipeline(categorical, final):
    """Scaler (+ one-hot of the categorical codes) then ``final``."""
    if categorical:
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        prepare = ColumnTransformer(
            [("onehot", onehot, list(categorical))], remainder=StandardScaler()
        )
    else:
        prepare = StandardScaler()
    return Pipeline([("prepare", prepare), ("model", final)])


def make_student(kind, seed, categorical, regressor=False):
    if kind == "tree":
        cls = DecisionTreeRegressor if regressor else DecisionTreeClassifier
        return cls(max_depth=TREE_DEPTH, random_state=seed)
    if kind == "gbdt":
        cls = lightgbm.LGBMRegressor if regressor else lightgbm.LGBMClassifier
        return cls(**GBDT, n_jobs=1, verbose=-1, random_state=seed)
    final = Ridge() if regressor else LogisticRegression(max_iter=2000)
    return logreg_pipeline(categorical, final)


def strategy_of(kind):
    if kind == "gbdt":  # early stopping on the distillation loss, as the hard peer's
        return LightGBMStrategy(
            early_stopping_rounds=EARLY_STOPPING_ROUNDS,
            validation_fraction=EARLY_STOPPING_FRACTION,
        )
    return ExpandStrategy()


def param_grid(keep):
    categorical = keep or None
    samplers = [
        GaussianJitter(categorical_features=categorical, size=TRANSFER_SIZE),
        MinorityOversampler(categorical_features=categorical, size=TRANSFER_SIZE),
    ]
    soft = {"alpha": list(ALPHAS), "temperature": list(TEMPERATURES)}
    return [
        {"alpha": [0.0], "transfer_set": [None]},  # the hard-label student
        {**soft, "transfer_set": [None]},
        {**soft, "transfer_set": samplers},
    ]


def describe(params):
    """Short label of a chosen candidate, e.g. ``a=1 T=3 +minority``."""
    text = f"a={params['alpha']:g}"
    if params["alpha"] > 0:
        text += f" T={params.get('temperature', 1.0):g}"
    if params.get("transfer_set") is not None:
        sampler = type(params["transfer_set"]).__name__
        text += (
            " +" + {"GaussianJitter": "gauss", "MinorityOversampler": "minority"}[sampler]
        )
    return text


def distil(kind, teacher, memory, X, y, categorical, keep, seed):
    student = make_student(kind, seed, categorical)
    base = DistilledClassifier(
        teacher, student, strategy=strategy_of(kind), alpha=0.0,
        transfer_set=None, memory=memory, random_state=seed,
    )  # fmt: skip
    search = GridSearchCV(
        base,
        param_grid(keep),
        scoring="roc_auc",
        cv=StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed),
        n_jobs=1,
        error_score="raise",
    ).fit(X, y)
    return search.best_estimator_, search.best_params_


def hard_label(kind, X, y, categorical, seed):
    student = make_student(kind, seed, categorical)
    if kind != "gbdt":
        return student.fit(X, y)
    X_fit, X_stop, y_fit, y_stop = train_test_split(
        X, y, test_size=EARLY_STOPPING_FRACTION, stratify=y, random_state=seed
    )
    if "eval_X" in signature(student.fit).parameters:  # LightGBM >= 4.7
        stop = {"eval_X": (X_stop,), "eval_y": (y_stop,)}
    else:
        stop = {"eval_set": [(X_stop, y_stop)]}
    return student.fit(
        X_fit, y_fit, **stop,
        callbacks=[lightgbm.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )  # fmt: skip


def imodels_style(kind, teacher, memory, X, y, categorical, seed):
    regressor = make_student(kind, seed, categorical, regressor=True)
    return DistilledClassifier(
        teacher, regressor, temperature=1.0, alpha=1.0,
        strategy=RegressStrategy(target="proba"), memory=memory, random_state=seed,
    ).fit(X, y)  # fmt: skip


def n_trees(model):
    """Trees a LightGBM model predicts with (early stopping keeps fewer); NaN else."""
    booster = getattr(model, "booster_", None)
    if booster is None:
        return np.nan
    best = getattr(model, "best_iteration_", None)
    return float(best if best else booster.current_iteration())


# -- native fast paths ----------------------------------------------------------------


def _mapped(p1, scale):
    """P(class 1) mapped back to temperature 1: softmax(scale * log clip(p))."""
    if scale == 1.0:
        return p1
    log1 = np.log(np.clip(p1, PROBA_FLOOR, 1.0))
    log0 = np.log(np.clip(1.0 - p1, PROBA_FLOOR, 1.0))
    return 1.0 / (1.0 + np.exp(-scale * (log1 - log0)))


def native_path(kind, model):
    """(function of a (1, d) float row -> P(class 1), its input dtype)."""
    student, strategy = model.student_, model.strategy_
    if kind == "gbdt":
        booster = student.booster_  # the rewritten booster: scale and prior folded in
        return (lambda x: booster.predict(x)), np.float64
    scale = float(strategy.scale_)
    column = list(student.classes_).index(1) if kind == "tree" else None
    if kind == "tree":

        def tree(x):
            p = student.predict_proba(x, check_input=False)[:, column]
            return _mapped(p, scale)

        return tree, np.float32
    return _linear_path(student, scale), np.float64


def _linear_path(pipeline, scale):
    """The scaler/one-hot/logistic pipeline as a numpy dot product and lookups."""
    prepare, lr = pipeline.named_steps["prepare"], pipeline.named_steps["model"]
    coef = lr.coef_.ravel().astype(np.float64)
    bias = float(lr.intercept_[0])
    if isinstance(prepare, StandardScaler):
        w = coef / prepare.scale_
        b = bias - float(np.dot(w, prepare.mean_))
        return lambda x: _mapped(1.0 / (1.0 + np.exp(-(x @ w + b))), scale)
    onehot, cat_cols = prepare.named_transformers_["onehot"], prepare.transformers_[0][2]
    scaler = prepare.named_transformers_["remainder"]
    rest = prepare.transformers_[1][2]
    offset, tables = 0, []
    for values in onehot.categories_:
        weights = coef[offset : offset + len(values)]
        tables.append(dict(zip(values.tolist(), weights, strict=True)))
        offset += len(values)
    w = coef[offset:] / scaler.scale_
    b = bias - float(np.dot(w, scaler.mean_))
    cat_cols, rest = list(cat_cols), np.asarray(rest)

    def linear(x):
        row = x[0]
        z = float(row[rest] @ w) + b
        for j, table in zip(cat_cols, tables, strict=True):
            z += table.get(float(row[j]), 0.0)
        return _mapped(1.0 / (1.0 + np.exp(-z)), scale)

    return linear


def onnx_path(model, X_sample):
    """onnxruntime session of ``skdistill.export.to_onnx(model)``, or the error."""
    try:
        import onnxruntime as ort

        from skdistill.export import to_onnx

        proto = to_onnx(model, X_sample[:5])
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        name = session.get_inputs()[0].name
        column = list(model.classes_).index(1)
        return (lambda x: session.run(None, {name: x})[1][:, column]), None
    except Exception as error:  # noqa: BLE001 - reported, never fatal
        return None, f"{type(error).__name__}: {str(error)[:120]}"


# -- one dataset and seed ---------------------------------------------------------------


def run_seed(name, X, y, categorical, seed, max_train):
    started = time.perf_counter()
    X_train, X_val, X_test, y_train, y_val, y_test, keep = split(
        X, y, categorical, seed, max_train
    )
    base = {"dataset": name, "seed": seed, "n_train": len(y_train),
            "n_val": len(y_val), "n_test": len(y_test)}  # fmt: skip
    t0 = time.perf_counter()
    teachers = fit_teachers(X_train, y_train, seed)
    teacher_fit_s = time.perf_counter() - t0
    val_auc = {
        kind: roc_auc_score(y_val, model.predict_proba(X_val)[:, 1])
        for kind, model in teachers.items()
    }
    teacher_kind = max(val_auc, key=val_auc.get)
    teacher = teachers[teacher_kind]
    rows_1 = [X_test[i : i + 1].copy() for i in range(min(50, len(y_test)))]
    rows_32 = [row.astype(np.float32) for row in rows_1]
    teacher_row = {
        **base, "student": "teacher", "method": teacher_kind,
        **quality(y_test, teacher.predict_proba(X_test)[:, 1]),
        "size": nbytes(teacher), "fit_s": teacher_fit_s,
        **{f"val_{kind}": auc for kind, auc in val_auc.items()},
    }  # fmt: skip
    log(
        f"{name} seed {seed}: teacher {teacher_kind} (val AUC "
        + ", ".join(f"{k} {v:.4f}" for k, v in val_auc.items())
        + f"), test AUC {teacher_row['roc']:.4f}, {teacher_row['size'] / 1e6:.1f} MB, "
        f"fit {teacher_fit_s:.0f} s"
    )
    rows = [teacher_row]
    # every single-row path of this seed is timed at the end, interleaved with the
    # teacher's, so that the speed-ups compare calls made under the same load
    paths = {("teacher", "api"): (teacher.predict_proba, rows_1)}
    teacher_row["teacher_paths_unavailable"] = ""
    for path in ("native", "onnx"):  # like for like (issue 16)
        try:
            serve = _ready(path, teacher, X_test, len(rows_1), None, None)
            paths[("teacher", path)] = (serve, list(range(len(rows_1))))
        except Exception as error:  # as serving_speed: any failure, with its reason
            teacher_row["teacher_paths_unavailable"] += f"{path}: {_reason(error)[:160]}; "
    distilled_rows = {}
    cache = tempfile.mkdtemp(prefix="skdistill-fraud-")
    memory = Memory(cache, verbose=0)
    try:
        for kind in STUDENTS:
            t0 = time.perf_counter()
            distilled, params = distil(
                kind, teacher, memory, X_train, y_train, categorical, keep, seed
            )
            search_s = time.perf_counter() - t0
            peers = {
                "hard labels": hard_label(kind, X_train, y_train, categorical, seed),
                "imodels-style": imodels_style(
                    kind, teacher, memory, X_train, y_train, categorical, seed
                ),
            }
            native, dtype = native_path(kind, distilled)
            onnx, onnx_error = onnx_path(distilled, X_train)
            reference = distilled.predict_proba(X_test)[:, 1]
            native_rows = rows_32 if dtype == np.float32 else rows_1
            parity = max(
                abs(float(np.ravel(native(row))[0]) - reference[i])
                for i, row in enumerate(native_rows)
            )
            paths[(kind, "api")] = (distilled.predict_proba, rows_1)
            paths[(kind, "bare")] = (distilled.student_.predict_proba, rows_1)
            paths[(kind, "native")] = (native, native_rows)
            if onnx is not None:
                paths[(kind, "onnx")] = (onnx, rows_32)
            distilled_rows[kind] = {
                **base, "student": kind, "method": "distilled",
                **quality(y_test, reference), "size": nbytes(distilled.student_),
                "lat_onnx": np.nan, "onnx_error": onnx_error, "parity": parity,
                "params": describe(params), "fit_s": search_s,
                "trees": n_trees(distilled.student_),
            }  # fmt: skip
            rows.append(distilled_rows[kind])
            for method, model in peers.items():
                fitted = model.student_ if hasattr(model, "student_") else model
                rows.append(
                    {**base, "student": kind, "method": method,
                     **quality(y_test, model.predict_proba(X_test)[:, 1]),
                     "size": nbytes(fitted), "trees": n_trees(fitted)}
                )  # fmt: skip
            log(
                f"  {kind}: {describe(params)}, search {search_s:.0f} s; test AUC "
                + ", ".join(f"{r['method']} {r['roc']:.4f}" for r in rows[-3:])
                + f"; native parity {parity:.1e}"
                + (f"; ONNX failed: {onnx_error}" if onnx_error else "")
            )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    latency = time_paths(paths)
    for (who, path), seconds in latency.items():
        (teacher_row if who == "teacher" else distilled_rows[who])[f"lat_{path}"] = seconds
    log(
        f"{name} seed {seed}: {time.perf_counter() - started:.0f} s; ms per row: "
        + ", ".join(f"{who} {path} {t * 1e3:.3g}" for (who, path), t in latency.items())
    )
    return rows, (teacher, X_train, y_train, X_test, categorical)


# -- the wrapper's own cost ------------------------------------------------------------


def wrapper_cost(name, teacher, X_train, y_train, X_test, categorical, seed=0):
    """Distiller vs bare student ``predict_proba``: one row, and 10,000 rows."""
    cache = tempfile.mkdtemp(prefix="skdistill-wrapper-")
    memory = Memory(cache, verbose=0)
    configs = [
        ("tree", 1.0, 0.5), ("tree", 3.0, 0.5), ("tree", 3.0, 1.0),
        ("gbdt", 1.0, 0.5), ("gbdt", 3.0, 0.5),
        ("logreg", 1.0, 0.5), ("logreg", 3.0, 0.5),
    ]  # fmt: skip
    rows_1 = [X_test[i : i + 1].copy() for i in range(min(50, len(X_test)))]
    batch = np.resize(X_test, (10_000, X_test.shape[1]))
    out = []
    try:
        for kind, temperature, alpha in configs:
            student = make_student(kind, seed, categorical)
            model = DistilledClassifier(
                teacher, student, temperature=temperature, alpha=alpha,
                strategy=strategy_of(kind), memory=memory, random_state=seed,
            ).fit(X_train, y_train)  # fmt: skip
            bare = model.student_
            one = time_pairs(model.predict_proba, bare.predict_proba, rows_1, 3000)
            many = time_pairs(model.predict_proba, bare.predict_proba, [batch], 60)
            scale = float(model.strategy_.scale_)
            if temperature == 1.0:
                where = "none needed (T=1)"
            elif kind == "gbdt":
                where = "folded into the booster"
            elif scale == 1.0:
                where = "folded into the leaves"
            else:
                where = f"wrapper, s={scale:.3g}"
            same = np.abs(model.predict_proba(batch) - bare.predict_proba(batch)).max()
            out.append(
                {"student": kind, "temperature": temperature, "alpha": alpha,
                 "map": where, "max_diff": float(same),
                 "one_wrapper": one["wrapper"], "one_bare": one["bare"],
                 "many_wrapper": many["wrapper"], "many_bare": many["bare"]}
            )  # fmt: skip
            log(
                f"wrapper {kind} T={temperature:g} a={alpha:g}: one row "
                f"{one['wrapper'] / one['bare']:.2f}x, 10k rows "
                f"{many['wrapper'] / many['bare']:.2f}x"
            )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return pd.DataFrame(out)


# -- reporting ------------------------------------------------------------------------


def teacher_table(results):
    lines = [
        "| dataset | rows train / val / test (positives %) | teacher chosen (seeds) "
        "| val ROC-AUC LightGBM / RF / vote | test ROC-AUC | PR-AUC | recall@1%FPR "
        "| size MB | ms per row (sklearn) | ms per row (native) | ms per row (ONNX) "
        "| paths unavailable |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    teachers = results[results["student"] == "teacher"]
    for name, group in teachers.groupby("dataset", sort=False):
        chosen = group["method"].value_counts()
        kinds = ("LightGBM-500", "RF-500", "soft vote")
        val = " / ".join(f"{group[f'val_{k}'].mean():.4f}" for k in kinds)
        first = group.iloc[0]
        lines.append(
            f"| {name} | {first['n_train']} / {first['n_val']} / {first['n_test']} "
            f"({100 * first['pos_rate']:.1f} %) | "
            + ", ".join(f"{k} ({v})" for k, v in chosen.items())
            + f" | {val} | {mean_sd(group['roc'], '{:.4f}')} | "
            f"{mean_sd(group['pr'], '{:.4f}')} | {mean_sd(group['rec1'], '{:.3f}')} | "
            f"{med_range(group['size'] / 1e6, '{:.1f}', '')} | "
            f"{med_range(group['lat_api'] * 1e3, '{:.3g}', '')} | "
            + " | ".join(
                med_range(group[f"lat_{p}"] * 1e3, "{:.3g}", "")
                if f"lat_{p}" in group
                else "n/a"
                for p in ("native", "onnx")
            )
            + f" | {_unavailable(group)} |"
        )
    return "\n".join(lines)


def _unavailable(group):
    """The teacher's paths that were not timed, and why (distinct reasons)."""
    if "teacher_paths_unavailable" not in group:
        return ""
    reasons = {r for text in group["teacher_paths_unavailable"].dropna() for r in
               str(text).split("; ") if r}  # fmt: skip
    return "; ".join(sorted(reasons)).replace("|", "/")


def with_ratios(results):
    teachers = results[results["student"] == "teacher"].set_index(["dataset", "seed"])
    students = results[results["student"] != "teacher"].copy()
    key = list(zip(students["dataset"], students["seed"], strict=True))
    teachers["lat_fastest"] = _fastest(teachers, ("api", "native", "onnx"))
    students["lat_fastest"] = _fastest(students, ("api", "bare", "native", "onnx"))
    for column in ("roc", "pr", "size", "lat_api", "lat_fastest"):
        students[f"t_{column}"] = teachers.loc[key, column].to_numpy()
    students["teacher_kind"] = teachers.loc[key, "method"].to_numpy()
    students["roc_ratio"] = students["roc"] / students["t_roc"]
    students["pr_ratio"] = students["pr"] / students["t_pr"]
    students["size_ratio"] = students["t_size"] / students["size"]
    for path in ("api", "bare", "native", "onnx"):
        if f"lat_{path}" in students:
            students[f"speed_{path}"] = students["t_lat_api"] / students[f"lat_{path}"]
    students["speed_fair"] = students["t_lat_fastest"] / students["lat_fastest"]
    return students


def _fastest(frame, paths):
    """Each row's lowest latency over the paths it was timed on."""
    columns = [f"lat_{p}" for p in paths if f"lat_{p}" in frame]
    return frame[columns].min(axis=1, skipna=True)


def med_range(values, fmt="{:.0f}", unit="x"):
    """``median [min-max]`` of a list of ratios (they span orders of magnitude when
    the teacher changes from seed to seed)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return "n/a"
    if len(values) == 1:
        return fmt.format(values[0]) + unit
    low, mid, high = np.min(values), np.median(values), np.max(values)
    return f"{fmt.format(mid)}{unit} [{fmt.format(low)}-{fmt.format(high)}]"


def _mark(value, target, above=True):
    return " ✓" if (value >= target if above else value <= target) else ""


def student_table(students):
    lines = [
        "| dataset | student | method | ROC-AUC ratio | PR-AUC ratio | recall@1%FPR "
        "| teacher / student size | speed-up sklearn API | speed-up native | "
        "speed-up ONNX | speed-up like for like | trees | chosen recipe (per seed) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (name, kind, method), group in students.groupby(
        ["dataset", "student", "method"], sort=False
    ):
        roc, pr = group["roc_ratio"].mean(), group["pr_ratio"].mean()
        cells = [
            name, STUDENT_LABEL[kind], method,
            mean_sd(group["roc_ratio"], "{:.4f}") + _mark(roc, TARGET_ROC),
            mean_sd(group["pr_ratio"], "{:.4f}") + _mark(pr, TARGET_PR),
            mean_sd(group["rec1"], "{:.3f}"),
            med_range(group["size_ratio"])
            + _mark(group["size_ratio"].median(), TARGET_SIZE),
        ]  # fmt: skip
        if method == "distilled":
            cells += [
                med_range(group[f"speed_{path}"])
                for path in ("api", "native", "onnx", "fair")
            ]
        else:
            cells += ["", "", "", ""]
        cells.append(mean_sd(group["trees"], "{:.0f}") if kind == "gbdt" else "")
        cells.append(", ".join(group["params"]) if method == "distilled" else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratios(group, kind, method):
    g = group[(group["student"] == kind) & (group["method"] == method)]
    return g["roc_ratio"].mean(), g["pr_ratio"].mean(), g["size_ratio"].median(), g


def _closed(distilled, hard):
    """Share of the hard-label student's gap to the teacher closed by distillation."""
    if hard >= 1.0:
        return "no gap to close"
    return f"{(distilled - hard) / (1.0 - hard):+.0%} of the hard-label gap closed"


def verdicts(students, results):
    """One line per dataset: which students met all three targets, and why not."""
    lines = []
    teachers = results[results["student"] == "teacher"]
    for name, group in students.groupby("dataset", sort=False):
        t = teachers[teachers["dataset"] == name]
        chosen = ", ".join(f"{k} {v}x" for k, v in t["method"].value_counts().items())
        met, misses = [], []
        for kind in STUDENTS:
            roc, pr, size, g = _ratios(group, kind, "distilled")
            hard_roc, hard_pr, _, _ = _ratios(group, kind, "hard labels")
            failed = []
            if roc < TARGET_ROC:
                failed.append(
                    f"ROC-AUC ratio {roc:.4f} < {TARGET_ROC} (hard labels {hard_roc:.4f}; "
                    f"{_closed(roc, hard_roc)})"
                )
            if pr < TARGET_PR:
                failed.append(
                    f"PR-AUC ratio {pr:.4f} < {TARGET_PR} (hard labels {hard_pr:.4f}; "
                    f"{_closed(pr, hard_pr)})"
                )
            if size < TARGET_SIZE:
                failed.append(
                    f"only {size:.0f}x smaller (teacher {t['size'].median() / 1e6:.1f} MB, "
                    f"student {g['size'].median() / 1e3:.0f} kB)"
                )
            label = STUDENT_LABEL[kind]
            if failed:
                misses.append(f"{label}: " + "; ".join(failed))
            else:
                met.append(f"{label} ({roc:.4f} / {pr:.4f} / {size:.0f}x)")
        peers_met = [
            f"{STUDENT_LABEL[kind]} {method}"
            for kind in STUDENTS
            for method in METHODS[1:]
            if (lambda r: r[0] >= TARGET_ROC and r[1] >= TARGET_PR and r[2] >= TARGET_SIZE)(
                _ratios(group, kind, method)
            )
        ]
        head = f"- **{name}** (teacher: {chosen}): "
        if met:
            head += "**targets met** by " + ", ".join(met) + "."
        else:
            head += "**targets NOT met** by any student."
        if misses:
            head += " Missed: " + " | ".join(misses) + "."
        if peers_met:
            head += " Peers that meet them as well: " + ", ".join(peers_met) + "."
        else:
            head += " No hard-label or imodels-style peer meets them."
        lines.append(head)
    return "\n".join(lines)


def _meets(ratios):
    roc, pr, size, _ = ratios
    return roc >= TARGET_ROC and pr >= TARGET_PR and size >= TARGET_SIZE


def summary(students, results):
    """The headline, computed: where the targets are met, by whom, and what helped."""
    met, by_peer, beaten = [], [], []
    for name, group in students.groupby("dataset", sort=False):
        winners = [k for k in STUDENTS if _meets(_ratios(group, k, "distilled"))]
        if winners:
            met.append(f"{name} ({', '.join(STUDENT_LABEL[k] for k in winners)})")
        if any(_meets(_ratios(group, k, "hard labels")) for k in STUDENTS):
            by_peer.append(name)
        best = group.groupby(["student", "method"])["roc_ratio"].mean().max()
        if best > 1.0:
            beaten.append(f"{name} (best student ROC-AUC ratio {best:.3f})")
    names = list(students["dataset"].unique())
    missed = [n for n in names if not any(m.startswith(n + " (") for m in met)]

    def gain(kind, peer):
        return [
            _ratios(g, kind, "distilled")[0] - _ratios(g, kind, peer)[0]
            for _, g in students.groupby("dataset", sort=False)
        ]

    def span(values):
        return f"{min(values):+.3f} to {max(values):+.3f}"

    tree_hard, tree_imodels = gain("tree", "hard labels"), gain("tree", "imodels-style")
    gbdt = students[students["student"] == "gbdt"]
    trees = gbdt.groupby("method")["trees"].mean()
    size = gbdt.groupby("method")["size"].median()
    lines = [
        f"- Targets met on {len(met)} of {len(names)} datasets: "
        + ("; ".join(met) if met else "none")
        + (f". Missed on: {', '.join(missed)}." if missed else "."),
        f"- A hard-label student meets them as well on {len(by_peer)} of the "
        f"{len(names)} datasets ({', '.join(by_peer) or 'none'}): there, compression "
        "does not need distillation; a small model trained on the labels already "
        "matches the teacher.",
        "- Students at or above their teacher (ROC-AUC ratio > 1): "
        + (", ".join(beaten) if beaten else "none")
        + ". The teachers are fitted on the capped training rows, where the 500-tree "
        "forest and ensemble are not much stronger than a 100-tree LightGBM.",
        f"- Distillation pays for the depth-{TREE_DEPTH} tree: ROC-AUC ratio "
        f"{span(tree_hard)} over the hard-label tree and {span(tree_imodels)} over the "
        "imodels-style regressor. It changes little for the LightGBM student "
        f"({span(gain('gbdt', 'hard labels'))} over hard labels) and the logistic "
        f"regression ({span(gain('logreg', 'hard labels'))}), which are limited by "
        "their capacity, not by their labels.",
        f"- The distilled LightGBM keeps {trees.get('distilled', np.nan):.0f} trees on "
        f"average (early stopping on the soft-target loss rarely triggers), the "
        f"early-stopped hard-label one {trees.get('hard labels', np.nan):.0f}: the "
        f"hard-label student is {size['distilled'] / size['hard labels']:.1f}x smaller "
        "(median), which decides the size target when the teacher is itself a "
        "LightGBM or small.",
    ]
    return "\n".join(lines)


def gains(students):
    """Distilled minus hard-label and minus imodels-style ratios, per student."""
    lines = [
        "| student | vs | ROC-AUC ratio gain per dataset | PR-AUC ratio gain per dataset |",
        "|---|---|---|---|",
    ]
    for kind in STUDENTS:
        for peer in METHODS[1:]:
            roc, pr = [], []
            for name, group in students.groupby("dataset", sort=False):
                d_roc, d_pr, _, _ = _ratios(group, kind, "distilled")
                p_roc, p_pr, _, _ = _ratios(group, kind, peer)
                roc.append(f"{name} {d_roc - p_roc:+.3f}")
                pr.append(f"{name} {d_pr - p_pr:+.3f}")
            lines.append(
                f"| {STUDENT_LABEL[kind]} | {peer} | {', '.join(roc)} | {', '.join(pr)} |"
            )
    return "\n".join(lines)


def selection_summary(students):
    d = students[students["method"] == "distilled"]
    n = len(d)
    alpha = d["params"].str.extract(r"^a=(\S+)")[0].astype(float)
    transfer = int(d["params"].str.contains(r"\+").sum())
    return (
        f"Of {n} searches (dataset x seed x student), {int((alpha == 0).sum())} chose "
        f"alpha=0 (the hard-label student won in cross-validation), "
        f"{int((alpha == 0.5).sum())} alpha=0.5 and {int((alpha == 1).sum())} alpha=1; "
        f"{transfer} chose a transfer set."
    )


def speed_summary(students):
    """Median speed-ups of the distilled students, split by the teacher's kind."""
    d = students[students["method"] == "distilled"]
    lines = []
    for teacher_kind, group in d.groupby("teacher_kind", sort=False):
        cells = []
        for kind in STUDENTS:
            g = group[group["student"] == kind]
            cells.append(
                f"{STUDENT_LABEL[kind]} {med_range(g['speed_api'])} (sklearn API), "
                f"{med_range(g['speed_native'])} (native), {med_range(g['speed_onnx'])} "
                f"(ONNX); like for like {med_range(g['speed_fair'], '{:.1f}')}"
            )
        teacher_ms = np.median(group["t_lat_api"]) * 1e3
        fast_ms = np.median(group["t_lat_fastest"]) * 1e3
        lines.append(
            f"- teacher {teacher_kind} ({len(group) // len(STUDENTS)} dataset-seeds, "
            f"median {teacher_ms:.3g} ms per row through sklearn, {fast_ms:.3g} ms on "
            "its fastest path): " + "; ".join(cells)
        )
    return "\n".join(lines)


def wrapper_table(wrapper):
    lines = [
        "| student | temperature | alpha | map to T=1 | max output difference "
        "| 1 row: distiller µs | bare µs | ratio | 10k rows: distiller ms | bare ms "
        "| ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, row in wrapper.iterrows():
        one = row["one_wrapper"] / row["one_bare"]
        many = row["many_wrapper"] / row["many_bare"]
        lines.append(
            f"| {STUDENT_LABEL[row['student']]} | {row['temperature']:g} | "
            f"{row['alpha']:g} | {row['map']} | {row['max_diff']:.1e} | "
            f"{row['one_wrapper'] * 1e6:.1f} | "
            f"{row['one_bare'] * 1e6:.1f} | {one:.2f}{_mark(one, TARGET_WRAPPER, False)} | "
            f"{row['many_wrapper'] * 1e3:.2f} | {row['many_bare'] * 1e3:.2f} | "
            f"{many:.2f}{_mark(many, TARGET_WRAPPER, False)} |"
        )
    return "\n".join(lines)


def report(results, wrapper, wrapper_dataset, args, n_seeds, elapsed, commit):
    students = with_ratios(results)
    command = "python benchmarks/bench_fraud_compression.py" + (
        " --quick" if args.quick else ""
    )
    caps = ", ".join(
        f"{dataset} {args.max_train or DATASETS[dataset].max_train or 'all'}"
        for dataset in results["dataset"].unique()
    )
    if args.quick:
        caps = f"every dataset {args.max_train or QUICK_MAX_TRAIN}"
    onnx_errors = students["onnx_error"].dropna().unique()
    onnx = "failed: " + "; ".join(onnx_errors) if len(onnx_errors) else "every student"
    parity = students["parity"].max()
    versions = (
        f"lightgbm {lightgbm.__version__}, onnxruntime {version('onnxruntime')}, "
        f"skl2onnx {version('skl2onnx')}, onnxmltools {version('onnxmltools')}"
    )
    return f"""# Fraud compression: distilled students vs their teacher (issue 6)

Command: `{command}` ({elapsed / 60:.1f} min), library at commit {commit}. Machine:
{machine_facts()}; {versions}.
The machine is shared with other jobs (2 cores): the random forest is fitted on 2
threads, everything else (LightGBM teacher included) runs on one thread (`n_jobs=1`,
threadpoolctl, `OMP_NUM_THREADS=1`).
Speed is reported as ratios measured side by side in the same run, never as
absolute times.

**Setting.** {n_seeds} seed(s) (mean ± sd over seeds 0..{n_seeds - 1}). Per seed a
stratified 55 / 15 / 30 % train / validation / test split, each part subsampled
(stratified) to at most max_train / {MAX_VAL} / {MAX_TEST} rows; max_train: {caps}.
Shared preprocessing fitted on the training rows (teacher and students see the same
columns): median imputation plus missing-value indicator columns; bank marketing's 10
string columns as integer codes (one-hot inside the logistic-regression student's
own pipeline), its `duration` column dropped (known only after the call). The ULB
file is the 1,722-row fraud *sample* (28.6 % fraud), not the full data set.

**Teacher** = the best by validation ROC-AUC of `LGBMClassifier(n_estimators=
{TEACHER_TREES}, learning_rate={TEACHER_LEARNING_RATE})`, `RandomForestClassifier(
n_estimators={TEACHER_TREES})` and their soft-voting `VotingClassifier`, fitted on
the training rows.

**Students**, fitted on the same training rows: `DecisionTreeClassifier(max_depth=
{TREE_DEPTH})` (`"expand"`), `LGBMClassifier(n_estimators={GBDT["n_estimators"]},
num_leaves={GBDT["num_leaves"]}, learning_rate={GBDT["learning_rate"]})` (native
`"lightgbm"` strategy, blend loss, early stopping on the distillation loss:
`early_stopping_rounds={EARLY_STOPPING_ROUNDS}, validation_fraction=
{EARLY_STOPPING_FRACTION}`) and scaler + `LogisticRegression` (`"expand"`).
"distilled" = `GridSearchCV` ({CV_FOLDS} stratified folds of the training rows,
scoring ROC-AUC, refit on all of them) over alpha=0 (the hard-label student), alpha
{"/".join(f"{a:g}" for a in ALPHAS)} x temperature
{"/".join(f"{t:g}" for t in TEMPERATURES)} without transfer rows, and the same with a
transfer set of {TRANSFER_SIZE:g}x the training rows (`GaussianJitter()` or
`MinorityOversampler()`, categorical and indicator columns never jittered), teacher
logits cached with `memory=`. Peers: "hard labels" = the same student fitted on the
labels (LightGBM with early stopping, {EARLY_STOPPING_ROUNDS} rounds on
{EARLY_STOPPING_FRACTION:.0%} of the training rows); "imodels-style" = the matching
regressor (`DecisionTreeRegressor(max_depth={TREE_DEPTH})`, `LGBMRegressor` with the
same trees, scaler + `Ridge`) fitted on the teacher's probabilities
(`RegressStrategy(target="proba")`, alpha=1, temperature 1, no transfer set).
{selection_summary(students)} The teacher was fitted on all training rows,
so it has seen every cross-validation fold: candidates that follow the teacher
closely score optimistically there, and "never worse than hard labels on
validation" does not carry over to the test rows exactly.

**Measures**, on the test rows: ROC-AUC and PR-AUC (average precision) ratios
student / teacher per seed; recall at {FPR:.0%} false-positive rate (the highest
TPR among ROC thresholds with FPR <= {FPR:.0%}); size = `len(pickle.dumps(...))` of
the teacher over that of the bare fitted student (`student_`); single-row latency =
median over 3 interleaved timing rounds (teacher and every student path of the seed
in turn) of `predict_proba` on one float64 row (float32 for the tree's native path
and ONNX), speed-up = teacher's sklearn `predict_proba` latency / the student
path's. Size and speed ratios are given as median [min-max] over seeds (they change
by orders of magnitude when the chosen teacher changes); quality ratios as mean ±
sd. Trees: LightGBM trees kept (early stopping). Paths: "sklearn API" =
`DistilledClassifier.predict_proba`; "native" = tree `predict_proba(X32,
check_input=False)`, LightGBM `booster_.predict`, logistic regression as one numpy
dot product with the scaler and
one-hot folded in, each with the map back to temperature 1 where it applies (largest
difference from the distiller's `predict_proba` on the test rows: {parity:.1e});
"ONNX" = `skdistill.export.to_onnx` run by onnxruntime on one thread (converted:
{onnx}).
Targets (issue 6), for at least one student per dataset: ROC-AUC ratio >=
{TARGET_ROC}, PR-AUC ratio >= {TARGET_PR}, >= {TARGET_SIZE:.0f}x smaller (✓ = the mean
of the quality ratios, the median of the size ratios, meets it).

## Summary

{summary(students, results)}

## Teachers

{teacher_table(results)}

## Students relative to the teacher

{student_table(students)}

## Targets per dataset

{verdicts(students, results)}

## What distillation adds

Distilled minus peer, in ratio-to-teacher points (mean over seeds; positive =
distillation better):

{gains(students)}

Speed-ups of the distilled students by the kind of teacher chosen:

{speed_summary(students)}

## The wrapper's own cost

`DistilledClassifier.predict_proba` vs the bare fitted `student_.predict_proba`
on {wrapper_dataset} (seed 0, the dataset's teacher, fitted on its training rows),
the two called alternately on the same input: 3,000 calls each on one float64 row
and 60 calls each on 10,000 rows, medians. A student trained at temperature != 1
(alpha > 0) must be mapped back to temperature 1 (`softmax(s * log p)`). "map to
T=1" says where that happens: folded into the fitted student (LightGBM booster, a
decision tree's leaves: the bare student then returns the distiller's numbers, max
output difference ~0) or applied by the wrapper at every call (the bare student then
returns other numbers, so that ratio is the price of the correct answer). Target:
ratio <= {TARGET_WRAPPER}.

{wrapper_table(wrapper)}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 datasets")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--max-train", type=int, default=None)
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--wrapper-dataset", default="taiwan credit")
    parser.add_argument(
        "--render", action="store_true",
        help="only rewrite the Markdown from the raw rows a previous run left in /tmp",
    )  # fmt: skip
    args = parser.parse_args()
    name = "fraud_compression_quick.md" if args.quick else "fraud_compression.md"
    raw = Path(tempfile.gettempdir()) / name.replace(".md", "")
    if args.render:
        results = pd.read_csv(f"{raw}.csv")
        wrapper = pd.read_csv(f"{raw}_wrapper.csv")
        meta = json.loads(Path(f"{raw}.json").read_text(encoding="utf-8"))
        args.max_train = meta["max_train"]
        text = report(
            results, wrapper, meta["wrapper_dataset"], args, meta["n_seeds"],
            meta["elapsed"], meta["commit"],
        )  # fmt: skip
        print(write_result(name, text).read_text(encoding="utf-8"))
        return
    n_seeds = args.seeds or (1 if args.quick else 5)
    datasets = args.datasets or (list(QUICK_DATASETS) if args.quick else list(DATASETS))
    wrapper_dataset = (
        args.wrapper_dataset if args.wrapper_dataset in datasets else datasets[0]
    )
    warnings.simplefilter("ignore", DistillationWarning)
    warnings.filterwarnings("ignore", message=".*feature names.*")
    warnings.filterwarnings("ignore", category=UserWarning, module="lightgbm")
    commit = library_commit()  # what this process imports, before others edit it
    start = time.perf_counter()
    rows, wrapper = [], None
    with threadpool_limits(limits=1):
        for dataset in datasets:
            X, y, categorical = load(dataset)
            default = QUICK_MAX_TRAIN if args.quick else DATASETS[dataset].max_train
            max_train = args.max_train or default
            for seed in range(n_seeds):
                seed_rows, fitted = run_seed(dataset, X, y, categorical, seed, max_train)
                for row in seed_rows:
                    row["pos_rate"] = float(y.mean())
                rows += seed_rows
                if dataset == wrapper_dataset and seed == 0:
                    wrapper = wrapper_cost(dataset, *fitted)
            log(f"done {dataset}; elapsed {(time.perf_counter() - start) / 60:.1f} min")
    elapsed = time.perf_counter() - start
    results = pd.DataFrame(rows)
    results.to_csv(f"{raw}.csv", index=False)
    wrapper.to_csv(f"{raw}_wrapper.csv", index=False)
    meta = {"elapsed": elapsed, "n_seeds": n_seeds, "max_train": args.max_train,
            "wrapper_dataset": wrapper_dataset, "commit": commit}  # fmt: skip
    Path(f"{raw}.json").write_text(json.dumps(meta), encoding="utf-8")
    text = report(results, wrapper, wrapper_dataset, args, n_seeds, elapsed, commit)
    print(write_result(name, text).read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
