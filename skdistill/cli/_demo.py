"""``skdistill demo``: boosted teachers distilled into small students, on embedded data.

Two parts, each a teacher, a temperature x alpha search and a report with its
verdict: sklearn's bundled digits (10 classes) and a synthetic fraud-like set (about
1.5% positives). Needs only numpy, scipy and scikit-learn; LightGBM adds a boosted
student on the fraud set, matplotlib the plots, tqdm a progress bar.

The command's options (:func:`add_arguments`) and its run (:func:`run`); the
tables, pages and JSON are rendered by :mod:`skdistill.report`. Everything is
computed before anything is written; the files then land in the output folder
together (temporary files, then renames), or not at all.
"""

import importlib.util
import io
import json
import os
import platform
import re
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import _common
from ._common import CapturedWarnings, Progress, UsageError, atomic_outputs, distiller

__all__ = ["add_arguments", "run"]

_PROG = "skdistill demo"

#: ``report.json["generator"]``: how a later run recognises an earlier demo's folder.
GENERATOR = "skdistill demo"

#: What gives the plots, in the message printed without matplotlib.
PLOT_HINT = 'pip install "skdistill[plot]"'

_REPORTS = ("report.md", "report.html", "report.json")
#: Files an earlier demo may have written (plots are ``<part>_<what>.png``); only
#: these are ever replaced or removed in a folder that holds an earlier demo.
_OUTPUT_NAME = re.compile(r"(report\.(md|html|json)|[a-z]+_[a-z]+\.png)")

#: The searched grid: alpha=0 (hard labels; the temperature then does nothing, so
#: its row is flat) comes first so that it wins ties.
_ALPHAS = (0.0, 0.5, 0.8, 1.0)
_TEMPERATURES = (1.0, 3.0, 10.0)
_QUICK_ALPHAS = (0.0, 0.5, 1.0)
_QUICK_TEMPERATURES = (1.0, 10.0)


# -- settings and data ----------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    """How much work the demo does: full, or ``--quick``."""

    quick: bool
    digits_rounds: int
    fraud_rounds: int
    fraud_rows: int
    alphas: tuple
    temperatures: tuple
    cv: int
    n_seeds: int
    n_bootstrap: int
    latency_calls: int
    lightgbm_rounds: int

    @classmethod
    def make(cls, quick):
        common = {"cv": 3, "latency_calls": 10 if quick else 30}
        if quick:
            return cls(
                quick=True,
                digits_rounds=30,
                fraud_rounds=100,
                fraud_rows=5000,
                alphas=_QUICK_ALPHAS,
                temperatures=_QUICK_TEMPERATURES,
                n_seeds=2,
                n_bootstrap=10,
                lightgbm_rounds=100,
                **common,
            )
        return cls(
            quick=False,
            digits_rounds=200,
            fraud_rounds=500,
            fraud_rows=12000,
            alphas=_ALPHAS,
            temperatures=_TEMPERATURES,
            n_seeds=3,
            n_bootstrap=40,
            lightgbm_rounds=200,
            **common,
        )


@dataclass
class _Problem:
    """One part of the demo: a dataset, its splits and what was fitted on it."""

    key: str  # prefix of the plot files
    title: str
    about: str
    X: object
    y: object
    teacher_params: dict  # of HistGradientBoostingClassifier, besides max_iter
    teacher_style: str  # the teacher's settings, in words
    scoring: str  # what the search maximises
    scoring_label: str
    console_columns: tuple  # report columns printed on the console
    n_classes: int = 0
    splits: dict = field(default_factory=dict)
    teacher: object = None
    teacher_about: str = ""
    search: object = None
    models: dict = field(default_factory=dict)  # the students, by report name
    notes: list = field(default_factory=list)
    report: object = None
    plots: dict = field(default_factory=dict)  # file name -> (title, PNG bytes)


def _problems(settings, seed):
    import numpy as np
    from sklearn.datasets import load_digits, make_classification

    X, y = load_digits(return_X_y=True)
    digits = _Problem(
        key="digits",
        title="Digits (10 classes)",
        about=f"scikit-learn's bundled digits ({len(y):,} handwritten 8x8 images, 64 "
        "pixel features, 10 classes; the small cousin of MNIST)",
        X=X.astype(np.float64),
        y=y,
        teacher_params={},
        teacher_style="default settings",
        scoring="accuracy",
        scoring_label="accuracy",
        console_columns=("accuracy", "roc_auc", "log_loss", "fidelity"),
    )
    X, y = make_classification(
        n_samples=settings.fraud_rows,
        n_features=20,
        n_informative=5,
        n_redundant=5,
        weights=[0.985],
        class_sep=1.0,
        flip_y=0.002,
        random_state=seed,
    )
    fraud = _Problem(
        key="fraud",
        title=f"Synthetic fraud ({y.mean():.1%} positives)",
        about=f"a synthetic fraud-like set (make_classification: {len(y):,} rows, 20 "
        f"features, {y.mean():.1%} positives)",
        X=X,
        y=y,
        # Regularised: unregularised, 500 rounds on a few thousand rows with rare
        # positives give overconfident probabilities, a poor teacher for soft targets.
        teacher_params={
            "learning_rate": 0.05,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 40,
            "l2_regularization": 1.0,
        },
        teacher_style="learning rate 0.05, at most 15 leaves of at least 40 rows, L2 "
        "regularisation 1",
        scoring="average_precision",
        scoring_label="average precision (PR-AUC)",
        console_columns=("roc_auc", "pr_auc", "recall_at_1%_fpr", "fidelity"),
    )
    return [digits, fraud]


def _split(problem, seed):
    """Teacher rows (50%), student rows (30%) and held-out rows (20%), stratified."""
    from sklearn.model_selection import train_test_split

    X_teacher, X_rest, y_teacher, y_rest = train_test_split(
        problem.X, problem.y, train_size=0.5, stratify=problem.y, random_state=seed
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X_rest, y_rest, test_size=0.4, stratify=y_rest, random_state=seed
    )
    problem.splits = {
        "teacher": (X_teacher, y_teacher),
        "train": (X_train, y_train),
        "test": (X_test, y_test),
    }
    problem.n_classes = len(set(problem.y.tolist()))


# -- the teacher's logits, computed once per set of rows -----------------------------


class _LogitsCache:
    """A ``memory=`` for the distillers that keeps the teacher's logits in RAM.

    The candidates of the search and the refits of the verdicts label the same rows
    with the same teacher; through this cache the teacher is asked once per set of
    rows. Unlike a ``joblib.Memory`` folder it writes nothing. ``clone`` deep-copies
    parameters, so it shares itself instead of copying.
    """

    def __init__(self):
        self._store = {}

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):  # pickled (e.g. to measure a model's size): empty
        return (type(self), ())

    def cache(self, func, ignore=()):
        import joblib

        def cached(*args, **kwargs):
            kept = {k: v for k, v in kwargs.items() if k not in ignore}
            key = joblib.hash((func.__name__, args, kept))
            if key not in self._store:
                self._store[key] = func(*args, **kwargs)
            return self._store[key]

        return cached


# -- fitting --------------------------------------------------------------------------


def _optional(module):
    """Whether ``module`` can be imported."""
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _fit_teacher(problem, settings, seed, progress):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rounds = settings.digits_rounds if problem.key == "digits" else settings.fraud_rounds
    trees = rounds * (problem.n_classes if problem.n_classes > 2 else 1)
    X, y = problem.splits["teacher"]
    problem.teacher_about = (
        f"HistGradientBoostingClassifier, {rounds} rounds ({trees:,} trees; "
        f"{problem.teacher_style}), fitted on {len(y):,} rows"
    )
    with progress.stage(f"{problem.key}: fitting the teacher ({trees:,} boosted trees)"):
        problem.teacher = HistGradientBoostingClassifier(
            max_iter=rounds,
            early_stopping=False,
            random_state=seed,
            **problem.teacher_params,
        ).fit(X, y)


def _search_tree(problem, settings, seed, progress, cache):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.tree import DecisionTreeClassifier

    X, y = problem.splits["train"]
    tree = DecisionTreeClassifier(max_depth=6, random_state=seed)
    grid = {"alpha": list(settings.alphas), "temperature": list(settings.temperatures)}
    n_candidates = len(settings.alphas) * len(settings.temperatures)
    label = (
        f"{problem.key}: grid search over temperature x alpha "
        f"({n_candidates} candidates x {settings.cv} folds)"
    )
    with progress.stage(label):
        problem.search = GridSearchCV(
            distiller(problem.teacher, tree, memory=cache, random_state=seed),
            grid,
            scoring=problem.scoring,
            cv=StratifiedKFold(settings.cv, shuffle=True, random_state=seed),
        ).fit(X, y)
        problem.models["hard-label tree"] = clone(tree).fit(X, y)
        problem.models["distilled tree"] = problem.search.best_estimator_


#: The LightGBM student and its distillation settings (not searched, to stay quick).
_LGBM_TEMPERATURE = 3.0
_LGBM_ALPHA = 0.8
_LGBM_PARAMS = {"num_leaves": 7, "learning_rate": 0.1, "n_jobs": 1, "verbose": -1}


def _fit_lightgbm(problem, settings, seed, progress, cache):
    """A small LightGBM student, early-stopped, on hard labels and distilled."""
    from lightgbm import LGBMClassifier

    from ..strategies import LightGBMStrategy

    X, y = problem.splits["train"]
    student = LGBMClassifier(n_estimators=settings.lightgbm_rounds, **_LGBM_PARAMS)
    label = f"{problem.key}: LightGBM student, on hard labels and distilled"
    with progress.stage(label):
        models = {}
        for name, alpha in (("hard-label LightGBM", 0.0), ("distilled LightGBM", None)):
            model = distiller(
                problem.teacher,
                student,
                temperature=_LGBM_TEMPERATURE,
                alpha=_LGBM_ALPHA if alpha is None else alpha,
                strategy=LightGBMStrategy(early_stopping_rounds=20),
                memory=cache,
                random_state=seed,
            ).fit(X, y)
            models[name] = model
        # The hard-label row is the plain (early-stopped) LGBMClassifier: no verdict
        # against itself; the distilled one is refitted beside its twin for its verdict.
        problem.models["hard-label LightGBM"] = models["hard-label LightGBM"].student_
        problem.models["distilled LightGBM"] = models["distilled LightGBM"]
    problem.notes.append(
        f"LightGBM students: LGBMClassifier(n_estimators={settings.lightgbm_rounds}, "
        "num_leaves=7, learning_rate=0.1), early stopping after 20 rounds without "
        "progress on a 10% validation split of the student rows; distilled at "
        f"temperature={_LGBM_TEMPERATURE:g}, alpha={_LGBM_ALPHA:g} (fixed, not "
        "searched); the hard-label one is the same model with alpha=0."
    )


def _report(problem, settings, seed, progress):
    from ..report import distillation_report

    X_train, y_train = problem.splits["train"]
    X_test, y_test = problem.splits["test"]
    label = (
        f"{problem.key}: report and verdict (refitting each distilled student and its "
        f"hard-label twin over {settings.n_seeds} seeds)"
    )
    with progress.stage(label):
        problem.report = distillation_report(
            problem.teacher,
            problem.models,
            X_test,
            y_test,
            X_train=X_train,
            y_train=y_train,
            n_seeds=settings.n_seeds,
            n_bootstrap=settings.n_bootstrap,
            latency_calls=settings.latency_calls,
            n_batches=2,
            random_state=seed,
        )


# -- plots ----------------------------------------------------------------------------


def _png(draw):
    """Draw on a fresh figure (no pyplot, no window) and return its PNG bytes."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 5.6), layout="constrained")
    draw(figure.add_subplot())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _retitle(ax, first_line):
    """Put the part's name above the Display's own title."""
    ax.set_title(f"{first_line}\n{ax.get_title()}", fontsize=10)


#: Probabilities below this are drawn at it on the log axes of the fraud fidelity plot.
_FLOOR = 1e-5


def _fidelity_log(ax, teacher, student, X, name):
    """Fidelity scatter of the positive class on log axes (rare positives, near 0)."""
    import numpy as np

    from ..report import FidelityDisplay

    display = FidelityDisplay.from_predictions(
        np.clip(teacher.predict_proba(X), _FLOOR, 1.0),
        np.clip(student.predict_proba(X), _FLOOR, 1.0),
        labels=student.classes_,
        name=name,
        ax=ax,
    )
    ax.set(xscale="log", yscale="log", xlim=(_FLOOR / 2, 1.5), ylim=(_FLOOR / 2, 1.5))
    display.diagonal_.set_data([_FLOOR, 1.0], [_FLOOR, 1.0])
    ax.set_xlabel(ax.get_xlabel() + f", log scale (< {_FLOOR:g} drawn at {_FLOOR:g})")
    ax.set_ylabel(ax.get_ylabel() + ", log scale")


def _draw_plots(problem, settings):
    """The problem's plots, as ``{file name: (caption, PNG bytes)}``."""
    from ..report import (
        DistillationSearchDisplay,
        FidelityDisplay,
        LossCurveDisplay,
        ReliabilityDisplay,
        TeacherStudentCurveDisplay,
    )

    X_test, y_test = problem.splits["test"]
    students = dict(problem.models)
    key, title = problem.key, problem.title
    binary = problem.n_classes == 2
    plots = {}

    def search(ax):
        DistillationSearchDisplay.from_estimator(problem.search, ax=ax)
        _retitle(ax, f"{title}, depth-6 tree student")

    plots[f"{key}_search.png"] = (
        f"Mean {settings.cv}-fold cross-validated {problem.scoring_label} of the "
        "distilled tree over temperature x alpha; bottom row: hard labels (alpha=0); "
        "red frame: chosen",
        _png(search),
    )
    if binary:
        for kind, what in (("roc", "ROC curves"), ("pr", "Precision-recall curves")):

            def curves(ax, kind=kind):
                TeacherStudentCurveDisplay.from_estimator(
                    students, X_test, y_test, teacher=problem.teacher, kind=kind, ax=ax
                )
                _retitle(ax, title)

            plots[f"{key}_{kind}.png"] = (
                f"{what} of the teacher and its students on the held-out rows",
                _png(curves),
            )
    else:
        # With 1.5% positives, nearly every row sits in the lowest bin: the diagram
        # says little there, so it is drawn for the multiclass part only.
        def reliability(ax):
            ReliabilityDisplay.from_estimator(
                students,
                X_test,
                y_test,
                teacher=problem.teacher,
                strategy="quantile",
                ax=ax,
            )
            _retitle(ax, title)

        plots[f"{key}_reliability.png"] = (
            "Reliability diagram: confidence (probability of the predicted class) "
            "against the share of right predictions, in 10 bins of equal row counts (the "
            "table's ece uses 10 bins of equal width)",
            _png(reliability),
        )

    def fidelity(ax):
        name, student = "the distilled tree", problem.models["distilled tree"]
        if binary:
            _fidelity_log(ax, problem.teacher, student, X_test, name)
        else:
            FidelityDisplay.from_estimator(student, X_test, name=name, ax=ax)
        _retitle(ax, title)

    plots[f"{key}_fidelity.png"] = (
        "Fidelity: the distilled tree's probability against the teacher's, one point "
        "per held-out row"
        + (
            " (log axes: most probabilities of the rare class are near 0)" if binary else ""
        ),
        _png(fidelity),
    )
    if "distilled LightGBM" in problem.models:

        def loss(ax):
            LossCurveDisplay.from_estimator(
                problem.models["distilled LightGBM"], name="the distilled LightGBM", ax=ax
            )
            _retitle(ax, title)

        plots[f"{key}_loss.png"] = (
            "Distillation loss per boosting round of the LightGBM student on its "
            "early-stopping validation rows",
            _png(loss),
        )
    return plots


# -- text: console, Markdown, HTML, JSON -------------------------------------------------


def _search_summary(problem):
    """``(chosen, hard)``: the chosen candidate and alpha=0, as text, from the search."""
    from ..report._render import _pm, best_and_hard, search_results

    best, hard = best_and_hard(search_results(problem.search))
    chosen = f"temperature={best['temperature']:g}, alpha={best['alpha']:g}"
    if best["alpha"] == 0:
        chosen = "alpha=0 (hard labels: distillation did not help in cross-validation)"
    return f"{chosen} ({_pm(best['mean'], best['std'])})", _pm(hard["mean"], hard["std"])


def _describe(problem, settings):
    """The lines saying what was fitted on which rows."""
    n = {k: len(v[1]) for k, v in problem.splits.items()}
    chosen, hard = _search_summary(problem)
    return [
        f"Data: {problem.about}.",
        f"Teacher: {problem.teacher_about}.",
        f"Students: depth-6 decision trees fitted on the next {n['train']:,} rows, which "
        "the teacher has not seen: on the labels alone (hard-label tree) and on the "
        "teacher's soft targets blended with the labels (distilled tree).",
        f"Search: {settings.cv}-fold cross-validated {problem.scoring_label} on those "
        f"rows; chosen {chosen}; hard labels {hard}.",
        *problem.notes,
        f"Scored on the last {n['test']:,} rows, never used in fitting.",
    ]


#: Columns of the console tables, after each part's own quality columns.
_COST_COLUMNS = (
    "size_bytes",
    "size_ratio",
    "latency_ms",
    "speedup_sklearn",
    "fastest_path",
    "speedup_fastest",
)


def _console_text(problems, settings):
    parts = []
    for number, problem in enumerate(problems, 1):
        lines = [f"== Part {number}/{len(problems)}. {problem.title} =="]
        for sentence in _describe(problem, settings):
            lines += textwrap.wrap(sentence, 88, subsequent_indent="  ")
        columns = [*problem.console_columns, *_COST_COLUMNS]
        lines += ["", problem.report.to_text(columns, width=88)]
        parts.append("\n".join(lines))
    legend = (
        "size: pickled deployed model (a distiller's fitted student); smaller and "
        "faster: teacher / model, in size and in median single-row time (one "
        "thread): 'faster (sklearn)' through the scikit-learn API's predict_proba "
        "(ms/row), 'faster (fastest paths)' like for like, the teacher on its own "
        "fastest serving path (fastest path: sklearn, LightGBM's booster or ONNX "
        "Runtime) against the model on its own; fidelity: share of rows where the "
        "model predicts the "
        "teacher's label. A verdict is 'paid off' when the gain exceeds twice its "
        "standard error (seeds and a bootstrap of the held-out rows)."
    )
    return "\n\n".join([*parts, textwrap.fill(legend, 88)])


def _plot_markdown(problem, names):
    """Image lines, each followed by a blank line (a paragraph of its own)."""
    lines = []
    for name in names:
        if name in problem.plots:
            lines += [f"![{problem.plots[name][0]}]({name})", ""]
    return lines


def _markdown(problems, settings, meta):
    import sklearn

    from .. import __version__
    from ..report._render import search_markdown, search_results

    run_kind = "quick run (--quick)" if settings.quick else "full run"
    lines = [
        "# skdistill demo",
        "",
        f"skdistill {__version__}, scikit-learn {sklearn.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU(s), one thread; seed "
        f"{meta['seed']}; {run_kind} in {meta['seconds']:.0f} s.",
        "",
        "Can a small, fast student replace a large teacher? In each part a large boosted "
        "teacher is fitted on half of the rows, then distilled into a depth-6 decision "
        "tree on the next 30% (rows the teacher has not seen); teacher and students are "
        "compared on the last 20%. Beside the distilled tree stands the same tree fitted "
        "on the labels alone, and a verdict says whether distillation paid off.",
        "",
        "Columns: `size_bytes` is the pickled deployed model (a distiller's fitted "
        "student), `complexity` its nodes; `size_ratio` and `speedup_sklearn` are "
        "teacher / model (size, and median single-row `predict_proba` time "
        "`latency_ms` through the scikit-learn API, one thread); `speedup_fastest` "
        "compares like for like, each model on its own fastest serving path "
        "(`fastest_path`, `fastest_latency_ms`; the paths tried, and why a model "
        "could not take one, are listed below each table); `rows_per_s` is batch "
        "throughput; `fidelity` is the share of rows "
        "where the model predicts the teacher's label, `prob_mad` and `kl_to_teacher` "
        "the distance to its probabilities; `recall_at_1%_fpr` is the share of "
        "positives caught when 1% of the negatives are flagged; `ece` is the expected "
        "calibration error.",
    ]
    for number, problem in enumerate(problems, 1):
        lines += ["", f"## {number}. {problem.title}", ""]
        lines += [f"- {sentence}" for sentence in _describe(problem, settings)]
        lines += [
            "",
            "### Search: temperature x alpha",
            "",
            f"Mean ± sd over {settings.cv} folds of the {problem.scoring_label} of the "
            "distilled tree; alpha=0 is the hard-label tree (the temperature then does "
            "nothing), listed first so that it wins ties. Bold: chosen.",
            "",
            search_markdown(search_results(problem.search)),
            "",
            *_plot_markdown(problem, [f"{problem.key}_search.png"]),
            "### Teacher and students on the held-out rows",
            "",
            problem.report.to_markdown(),
            "",
        ]
        lines += _plot_markdown(problem, [n for n in problem.plots if "_search" not in n])
    lines += ["", "## Files", ""]
    lines += [f"- `{name}`" for name in meta["files"]]
    if not meta["plots"]:
        lines += ["", f"No plots: matplotlib is not installed; `{PLOT_HINT}` gives them."]
    return "\n".join(lines).rstrip() + "\n"


def _json(problems, settings, meta):
    from ..report._render import jsonable, search_results

    parts = []
    for problem in problems:
        parts.append(
            {
                "key": problem.key,
                "dataset": problem.title,
                "about": problem.about,
                "n_rows": {k: len(v[1]) for k, v in problem.splits.items()},
                "n_classes": problem.n_classes,
                "teacher": problem.teacher_about,
                "search": {
                    "scoring": problem.scoring,
                    "n_splits": settings.cv,
                    "best_params": {
                        k: float(v) for k, v in problem.search.best_params_.items()
                    },
                    "results": search_results(problem.search),
                },
                "notes": problem.notes,
                **problem.report.to_dict(),  # "rows" and "verdicts"
                "plots": list(problem.plots),
            }
        )
    return jsonable({**meta, "parts": parts})


# -- neural part: Hinton et al.'s teacher and student nets, on the digits ------------


def _neural_digits(seed, quick, progress):
    """A 512-512 teacher net, then an 8-unit student net on hard labels and
    distilled (combined soft/hard loss, teacher-labelled mixup rows), on the
    digits; errors reported as Hinton et al. report MNIST. Needs torch and skorch."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from skorch import NeuralNetClassifier

    from ..strategies import SkorchStrategy

    def net(widths, epochs, dropout=0.0, **params):
        layers, width = [], 64
        for units in widths:
            layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
            layers += [torch.nn.Dropout(dropout)] if dropout else []
            width = units
        torch.manual_seed(seed)
        module = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
        settings = {"lr": 3e-3, "batch_size": 64, "train_split": None, "verbose": 0}
        return NeuralNetClassifier(
            module,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            max_epochs=epochs,
            **{**settings, **params},
        )

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = (scaler.transform(a).astype(np.float32) for a in (X_train, X_test))
    epochs = (20, 50) if quick else (40, 100)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with progress.stage("digits, neural: teacher net, then the student net twice"):
            teacher = net([512, 512], epochs[0], dropout=0.3, lr=1e-3,
                          optimizer__weight_decay=1e-4).fit(X_train, y_train)  # fmt: skip
            hard = net([8], epochs[1]).fit(X_train, y_train)
            distilled = distiller(
                teacher,
                net([8], epochs[1]),
                temperature=4.0,
                alpha=0.9,
                transfer_set="mixup",
                strategy=SkorchStrategy(random_state=seed),
                calibration_cv="train",
                random_state=seed,
            ).fit(X_train, y_train)
    finally:
        torch.set_num_threads(threads)
    n_test = len(y_test)
    errors = {
        name: int(round((1 - model.score(X_test, y_test)) * n_test))
        for name, model in (("teacher", teacher), ("hard-label student", hard),
                            ("distilled student", distilled))
    }  # fmt: skip
    gap = errors["hard-label student"] - errors["teacher"]
    closed = (
        (errors["hard-label student"] - errors["distilled student"]) / gap
        if gap > 0
        else None
    )
    losses = {
        name: [float(v) for v in model.history[:, "train_loss"]]
        for name, model in (("teacher", teacher), ("hard-label student", hard),
                            ("distilled student", distilled.student_))
    }  # fmt: skip
    return {
        "n_test": n_test,
        "errors": errors,
        "gap_closed": closed,
        "parameters": {
            "teacher": int(sum(p.numel() for p in teacher.module_.parameters())),
            "student": int(sum(p.numel() for p in hard.module_.parameters())),
        },
        "recipe": "teacher 64-512-512-10 (dropout 0.3, weight decay 1e-4, "
        f"{epochs[0]} epochs); student 64-8-10 ({epochs[1]} epochs) on hard labels, "
        "and distilled at temperature 4, alpha 0.9 (Hinton loss: soft KL x T**2 + "
        "hard cross-entropy) on the training digits plus as many mixup rows "
        "labelled by the teacher",
        "train_loss": losses,
    }


def _neural_markdown(result):
    """The neural part as Markdown lines: Hinton et al.'s MNIST table."""
    if result is None:
        return ["", "Neural part skipped: torch and skorch are not installed "
                '(pip install "skdistill[torch]").']  # fmt: skip
    errors = result["errors"]
    closed = result["gap_closed"]
    share = "n/a (no gap)" if closed is None else f"{closed:.0%}"
    return [
        "",
        "## Digits with neural networks (Hinton et al.'s experiment)",
        "",
        f"- {result['recipe']}.",
        f"- Parameters: teacher {result['parameters']['teacher']:,}, student "
        f"{result['parameters']['student']:,}.",
        "",
        f"| model | test errors (of {result['n_test']}) |",
        "|---|---:|",
        *[f"| {name} | {count} |" for name, count in errors.items()],
        "",
        f"Share of the hard-label -> teacher gap closed by distillation: {share}.",
        "",
    ]


# -- the output folder ------------------------------------------------------------------


def _earlier_demo_files(out):
    """Files an earlier demo wrote in ``out`` (from its report.json), or None."""
    try:
        data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generator") != GENERATOR:
        return None
    files = data.get("files", [])
    return [f for f in files if isinstance(f, str) and _OUTPUT_NAME.fullmatch(f)]


def _check_out(out, force):
    """Refuse an output folder the demo could clobber; earlier demo files in it."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a folder.")
    if not out.exists():
        if not out.absolute().parent.is_dir():
            raise UsageError(
                f"--out {out}: the folder {out.absolute().parent} does not exist; the "
                "demo creates the output folder only, not its parents."
            )
        return []
    earlier = _earlier_demo_files(out)
    if earlier is not None:
        return earlier
    if any(out.iterdir()) and not force:
        raise UsageError(
            f"--out {out} is a folder that is not empty and holds no earlier demo "
            "output; choose a new or empty folder, or pass --force to write the demo's "
            "files into it (files of the same names are replaced, nothing else is "
            "touched)."
        )
    return []


def _write_outputs(out, files, earlier):
    """Write ``files`` (name -> data) into ``out``, all or none; drop stale demo files.

    ``report.json``, which marks the folder as the demo's, should come last.
    """
    created = not out.exists()
    out.mkdir(exist_ok=True)
    try:
        with atomic_outputs(overwrite=True) as staged:
            for name, data in files.items():
                staged.write(out / name, data)
            staged.commit()
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    for name in earlier:  # e.g. plots of an earlier run with matplotlib
        path = out / name
        if name not in files and path.is_file() and not path.is_symlink():
            path.unlink()


# -- the command line --------------------------------------------------------------------


def add_arguments(parser):
    """The options of ``skdistill demo``, on its (sub)parser."""
    parser.description = textwrap.fill(
        "Two worked examples, offline, in about a minute on 2 cores: a boosted "
        "teacher (HistGradientBoosting) on sklearn's digits and on a synthetic "
        "fraud-like set with 1.5% positives is distilled into a depth-6 decision "
        "tree, with a temperature x alpha search (alpha=0, the hard-label tree, "
        "included). The teacher, the same tree on hard labels and the distilled "
        "tree are compared side by side on held-out rows, with a verdict on "
        "whether distillation paid off. With LightGBM installed, the fraud part "
        "adds a LightGBM student. Prints the tables, and writes report.md, "
        "report.html and report.json (and, with matplotlib, PNG plots) into the "
        "output folder; nothing else is written anywhere.",
        width=80,
    )
    parser.epilog = textwrap.fill(
        'Optional: pip install "skdistill[plot]" for the plots (matplotlib), '
        '"skdistill[lightgbm]" for the LightGBM student, "skdistill[progress]" '
        "for a progress bar (tqdm).",
        width=80,
    )
    parser.add_argument(
        "--out",
        default="skdistill-demo",
        metavar="DIR",
        help="output folder, created if missing (its parent must exist). An existing "
        "folder must be empty or hold an earlier demo's output, whose files are then "
        "replaced (default: ./skdistill-demo)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into an existing folder that is not empty and holds no earlier "
        "demo output: files named like the demo's (report.md, report.html, "
        "report.json, <part>_<plot>.png) are replaced, nothing else is touched",
    )
    parser.add_argument(
        "--seed",
        type=_common.seed,
        default=0,
        help="seed of the synthetic data, the splits, the models and the search "
        "(default: 0)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller teachers, data, grid and verdicts: a smoke test in about 15 s",
    )
    _common.add_json_and_quiet(
        parser,
        json_help="print the report as JSON on stdout (as saved in report.json) "
        "instead of the tables",
        printed="the tables, or the JSON, are",
    )
    parser.set_defaults(run=run)


# -- the command -------------------------------------------------------------------------


def run(args):
    """Run ``skdistill demo`` with parsed ``args``; return the exit status.

    Raises
    ------
    UsageError
        If the output folder cannot be used (before any work is done).
    """
    from threadpoolctl import threadpool_limits

    from ..exceptions import DistillationWarning
    from ..report._render import markdown_html

    out = Path(args.out)
    earlier = _check_out(out, args.force)
    settings = _Settings.make(args.quick)
    has_plots = _optional("matplotlib")
    has_lightgbm = _optional("lightgbm")
    problems = _problems(settings, args.seed)
    has_torch = _optional("torch") and _optional("skorch")
    n_stages = 3 * len(problems) + has_lightgbm + has_torch + 1
    progress = Progress(_PROG, total=n_stages, quiet=args.quiet)
    cache = _LogitsCache()
    start = time.perf_counter()
    try:
        # One native thread: on a small shared machine, OpenMP threads of the boosted
        # teacher spin against other processes and can slow the demo down tenfold.
        # The demo's own data gives soft targets it knows about: no DistillationWarning.
        ignore = (DistillationWarning,)
        with CapturedWarnings(_PROG, ignore=ignore), threadpool_limits(limits=1):
            for problem in problems:
                _split(problem, args.seed)
                _fit_teacher(problem, settings, args.seed, progress)
                _search_tree(problem, settings, args.seed, progress, cache)
                if problem.n_classes == 2 and has_lightgbm:
                    _fit_lightgbm(problem, settings, args.seed, progress, cache)
                _report(problem, settings, args.seed, progress)
            neural = (
                _neural_digits(args.seed, settings.quick, progress) if has_torch else None
            )
            label = "drawing the plots and writing" if has_plots else "writing"
            with progress.stage(f"{label} report.md, report.html and report.json"):
                if has_plots:
                    for problem in problems:
                        problem.plots = _draw_plots(problem, settings)
                images = {n: p[1] for pr in problems for n, p in pr.plots.items()}
                meta = {
                    "generator": GENERATOR,
                    "seed": args.seed,
                    "quick": settings.quick,
                    "seconds": round(time.perf_counter() - start, 1),
                    "plots": has_plots,
                    "lightgbm": has_lightgbm,
                    "files": [*_REPORTS, *images],
                }
                markdown = _markdown(problems, settings, meta)
                markdown += "\n".join(_neural_markdown(neural))
                report = _json(problems, settings, meta)
                report["neural_digits"] = neural
                report["stage_seconds"] = dict(progress.seconds)
                files = {
                    **images,
                    "report.md": markdown,
                    "report.html": markdown_html(markdown, title=_PROG, images=images),
                    # last: it marks the folder as the demo's
                    "report.json": json.dumps(report, indent=2, ensure_ascii=False),
                }
                _write_outputs(out, files, earlier)
    finally:
        progress.close()
    seconds = time.perf_counter() - start
    folder = out.resolve()
    written = "report.md, report.html, report.json"
    written += f" and {len(images)} plots (PNG)" if images else ""
    closing = [f"Wrote {written} to {folder}{os.sep} in {seconds:.0f} s."]
    if images:
        closing.append(f"Open {folder / 'report.html'} in a browser to see them.")
    else:
        closing.append(f"No plots: matplotlib is not installed; {PLOT_HINT} gives them.")
    if not has_lightgbm:
        closing.append(
            'LightGBM is not installed; pip install "skdistill[lightgbm]" adds a '
            "LightGBM student to the fraud part."
        )
    if importlib.util.find_spec("onnxruntime") is None:
        closing.append(
            "ONNX Runtime is not installed, so every model was timed through "
            'scikit-learn only; pip install "skdistill[onnx]" times each on its '
            "fastest serving path too (like for like)."
        )
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        if not args.quiet:
            progress.message("\n".join(closing))
    else:
        print(_console_text(problems, settings))
        print("\n".join(_neural_markdown(neural)))
        print()
        print("\n".join(closing))
    return 0
