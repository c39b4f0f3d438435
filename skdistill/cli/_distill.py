"""``skdistill distill``: read a teacher and data, distil, write the outputs.

The command's options (:func:`add_arguments`) and its run (:func:`run`). Only the
standard library is imported at module level: scikit-learn, pandas, skops and the
student frameworks are imported inside the functions that need them, so that
``skdistill distill --help`` answers at once.
"""

import ast
import difflib
import inspect
import json
import math
import os
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import _common
from ._common import (
    CapturedWarnings,
    CommandError,
    Progress,
    UsageError,
    atomic_outputs,
    distiller,
    warn,
)

__all__ = ["add_arguments", "run"]

_PROG = "skdistill distill"

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".tsv")

#: The ``--search`` grid: the hard-label student (alpha=0, where the temperature does
#: nothing) and every temperature with the soft-target weights. alpha=0 comes first
#: so that it wins ties: the search never prefers distillation that does not help on
#: validation.
_SEARCH_GRID = [
    {"alpha": [0.0], "temperature": [1.0]},
    {"alpha": [0.5, 0.9, 1.0], "temperature": [1.0, 3.0, 10.0]},
]


# -- the student vocabulary of --student ----------------------------------------------


@dataclass(frozen=True)
class _StudentKind:
    """One name of ``--student``: an estimator class, its defaults, what it needs."""

    module: str
    class_name: str
    summary: str
    defaults: dict = field(default_factory=dict)
    scaled: bool = False  # a StandardScaler in front, inside the student
    extra: str | None = None  # the skdistill extra that installs the framework
    #: The same model as a regressor: with text/categorical columns the student is a
    #: Pipeline, which the framework's native soft-target strategy cannot train; it
    #: then learns the teacher's logits (strategy "regress") instead.
    regressor: str | None = None

    def label(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        scaler = "StandardScaler + " if self.scaled else ""
        return f"{scaler}{self.class_name}({params})"


#: ``--student NAME[:key=value,...]``: the one table of student kinds. Keys are the
#: estimator's own parameters; values given on the command line replace the defaults.
_STUDENTS = {
    "tree": _StudentKind(
        "sklearn.tree", "DecisionTreeClassifier", "a decision tree", {"max_depth": 6}
    ),
    "logreg": _StudentKind(
        "sklearn.linear_model",
        "LogisticRegression",
        "logistic regression on standardised features",
        {"max_iter": 1000},
        scaled=True,
    ),
    "mlp": _StudentKind(
        "sklearn.neural_network",
        "MLPClassifier",
        "a small neural network on standardised features",
        {"hidden_layer_sizes": (32,), "max_iter": 500},
        scaled=True,
    ),
    "lightgbm": _StudentKind(
        "lightgbm",
        "LGBMClassifier",
        "a small LightGBM model",
        {"n_estimators": 50, "num_leaves": 15, "verbose": -1},
        extra="lightgbm",
        regressor="LGBMRegressor",
    ),
    "xgboost": _StudentKind(
        "xgboost",
        "XGBClassifier",
        "a small XGBoost model",
        {"n_estimators": 50, "max_depth": 4},
        extra="xgboost",
        regressor="XGBRegressor",
    ),
}


#: The student of ``skdistill distill`` without ``--student``: a depth-6 decision
#: tree, the student DistilledClassifier fits when given none.
_DEFAULT_STUDENT = "tree"


def _student_spec(args):
    """The ``--student`` given, or the default."""
    return _DEFAULT_STUDENT if args.student is None else args.student


def _literal(text):
    """A Python literal from the command line; bare words stay strings."""
    lowered = text.lower()
    if lowered in ("true", "false", "none"):
        return {"true": True, "false": False, "none": None}[lowered]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _split_top_level(text):
    """Split ``text`` on commas outside brackets and quotes."""
    items, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _parse_student_spec(spec):
    """``"tree:max_depth=4"`` -> ``("tree", {"max_depth": 4})``; a UsageError if bad."""
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    if name not in _STUDENTS:
        close = difflib.get_close_matches(name, _STUDENTS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            f"unknown student {name!r} in --student {spec!r}{hint}; choose one of "
            f"{', '.join(_STUDENTS)}, optionally followed by ':key=value,...' "
            "(see skdistill distill --help)."
        )
    params = {}
    for item in _split_top_level(rest):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise UsageError(
                f"--student {spec!r}: expected key=value after '{name}:', got {item!r} "
                "(e.g. tree:max_depth=4,min_samples_leaf=5)."
            )
        if key in params:
            raise UsageError(f"--student {spec!r}: {key!r} is given twice.")
        params[key] = _literal(value.strip())
    return name, params


def _build_student(name, params, spec=None):
    """The bare, unfitted estimator of a parsed spec, its keys and values checked.

    Runs before any data is read: an unknown key, or a value of the wrong type, is a
    UsageError naming the valid keys or the type expected. The student actually
    fitted may wrap it in a Pipeline, as the data needs (see _student_for_data).
    """
    import importlib

    spec = name if spec is None else spec
    kind = _STUDENTS[name]
    try:
        module = importlib.import_module(kind.module)
    except ImportError as exc:
        raise CommandError(
            f"the {name!r} student needs {kind.module}, which is not installed "
            f'({exc}). Install it with pip install "skdistill[{kind.extra}]".'
        ) from None
    estimator_class = getattr(module, kind.class_name)
    valid = sorted(estimator_class().get_params(deep=False))
    unknown = [key for key in params if key not in valid]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, valid, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UsageError(
            f"unknown parameter(s) {', '.join(hints)} for the {name!r} student "
            f"({kind.class_name}); valid ones are: {', '.join(valid)}."
        )
    for key, value in params.items():
        annotation = _annotation(estimator_class, key)
        if annotation is not None and _accepts(annotation, value) is False:
            raise UsageError(
                f"--student {spec!r}: {key} must be {_describe_type(annotation)}, got "
                f"{value!r}. {_VALUES_HINT}"
            )
    estimator = estimator_class(**{**kind.defaults, **params})
    if getattr(estimator_class, "_parameter_constraints", None) is not None:
        try:  # scikit-learn's own checks of types and ranges
            estimator._validate_params()
        except (ValueError, TypeError) as exc:
            raise UsageError(f"--student {spec!r}: {exc} {_VALUES_HINT}") from None
    return estimator


_VALUES_HINT = (
    "Change it in --student; values are Python literals, e.g. 4, 0.5, True, None, "
    "'text', (64, 32)."
)


def _annotation(estimator_class, key):
    """The type annotation of ``key`` in the estimator's ``__init__`` (or a parent's)."""
    for klass in estimator_class.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            parameter = inspect.signature(init).parameters.get(key)
        except (TypeError, ValueError):
            continue
        if parameter is not None and parameter.annotation is not inspect.Parameter.empty:
            annotation = parameter.annotation
            if isinstance(annotation, str):  # postponed: only the plain builtins
                annotation = {"int": int, "float": float, "bool": bool, "str": str}.get(
                    annotation
                )
            return annotation
    return None


def _accepts(annotation, value):
    """Whether ``value`` fits ``annotation``: True, False, or None when not checked."""
    import types
    import typing

    if annotation is typing.Any:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        results = [_accepts(arg, value) for arg in typing.get_args(annotation)]
        if True in results:
            return True
        return None if None in results else False
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    return None  # callables, containers, numpy types: left to the estimator


def _describe_type(annotation):
    import types
    import typing

    names = {
        int: "an integer",
        float: "a number",
        bool: "True or False",
        str: "a quoted text value",
        type(None): "None",
        None: "None",
    }
    if annotation in names:
        return names[annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        parts = [_describe_type(arg) for arg in typing.get_args(annotation)]
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(annotation)))
    return "of another type"


def _students_epilog():
    width = max(map(len, _STUDENTS))
    lines = ["students (--student NAME[:key=value,...]; values are Python literals):"]
    for name, kind in _STUDENTS.items():
        extra = f' [pip install "skdistill[{kind.extra}]"]' if kind.extra else ""
        default = " (the default)" if name == _DEFAULT_STUDENT else ""
        lines.append(f"  {name:<{width}}  {kind.summary}{default}{extra}")
        lines.append(f"  {'':<{width}}  {kind.label()}")
    lines += [
        "",
        "  Keys are the estimator's own parameters and replace the defaults shown, e.g.",
        "  tree:max_depth=4,min_samples_leaf=5   mlp:hidden_layer_sizes=(64,32)",
        "  lightgbm:n_estimators=50,num_leaves=15",
        "",
        "text, categories and missing values:",
        *textwrap.wrap(
            "A teacher fitted on a DataFrame (e.g. a Pipeline whose ColumnTransformer "
            "encodes text columns) gets the columns of --data as they are. The student "
            "then carries its own encoding, so that the saved model predicts on the raw "
            "columns too: text and categorical columns are one-hot encoded (categories "
            "not seen in training are ignored, a missing value is a category of its "
            "own); lightgbm and xgboost then learn the teacher's logits as regressors "
            "(LGBMRegressor/XGBRegressor, strategy 'regress'). logreg and mlp fill "
            "missing numbers with the column mean and add indicator columns of what "
            "was missing (no indicators with --onnx); tree, lightgbm and xgboost take "
            "missing numbers as they are. --onnx needs numeric columns.",
            width=80,
            initial_indent="  ",
            subsequent_indent="  ",
        ),
        "",
        *textwrap.wrap(
            "--out holds the fitted distiller without its teacher: it predicts with the "
            "student alone, exactly as the distiller does; load it with "
            "skdistill.export.load(path). Exit status: 0 on success, 2 for a command "
            "line that cannot be honoured (bad options, missing files or target column, "
            "outputs that exist), 1 when loading, fitting or writing fails, 130 when "
            "interrupted. A failed or interrupted run writes nothing: the outputs "
            "land together, and files that were there before (--force) are kept "
            "as they were.",
            width=80,
        ),
    ]
    return "\n".join(lines)


def add_arguments(parser):
    """The options of ``skdistill distill``, on its (sub)parser."""
    parser.description = textwrap.fill(
        "Distil a fitted classifier saved with skops (the teacher) into a compact "
        "student trained on a CSV or parquet file: the student learns from a blend "
        "of the teacher's temperature-softened probabilities (weight alpha) and the "
        "labels (weight 1 - alpha). A share of the labeled rows is held out to "
        "compare the teacher, the student fitted on labels alone and the distilled "
        "student. Outputs are written atomically, and only if every step succeeds.",
        width=80,
    )
    parser.epilog = _students_epilog()
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument(
        "--teacher",
        required=True,
        metavar="FILE",
        help="the fitted classifier: a .skops file (skdistill.export.save, or "
        "skops.io.dump); a "
        ".pkl/.pickle/.joblib file only with --trust-pickle",
    )
    inputs.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        help="labeled training rows: .csv (also .csv.gz etc.) or .parquet (needs "
        "pyarrow); every column except --target is a feature and must match the "
        "teacher's feature names when it has them",
    )
    inputs.add_argument(
        "--target", required=True, metavar="COLUMN", help="the label column of --data"
    )
    inputs.add_argument(
        "--unlabeled",
        metavar="FILE",
        help="extra rows without labels (same feature columns; a target column is "
        "ignored): they train the student on the teacher's soft targets alone",
    )
    inputs.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow a pickle/joblib teacher file; loading a pickle runs code from it, "
        "so use this only for files you trust",
    )
    inputs.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE",
        help="a type in the .skops teacher file to trust although skdistill does not "
        "by default (repeatable, or comma-separated); the load error lists them",
    )

    student = parser.add_argument_group("student and distillation")
    student.add_argument(
        "--student",
        metavar="SPEC",
        help="the student: NAME or NAME:key=value,... with NAME one of "
        f"{', '.join(_STUDENTS)} (listed below). Default: {_DEFAULT_STUDENT}, a depth-6 "
        "decision tree (DecisionTreeClassifier(max_depth=6), the student "
        "DistilledClassifier fits when given none). 'auto' sweeps students of every "
        "family and size, hard and distilled (skdistill.frontier), keeps the cheapest "
        "within --tolerance of the teacher's --metric, and writes the table and the "
        "plot beside --out (OUT_frontier.csv, OUT_frontier.png)",
    )
    student.add_argument(
        "--tolerance",
        type=_common.fraction,
        default=0.01,
        metavar="F",
        help="with --student auto: keep the cheapest student whose validation --metric "
        "is within this share of the teacher's (default: 0.01, 99%% of it)",
    )
    student.add_argument(
        "--metric",
        default="roc_auc",
        metavar="NAME",
        help="with --student auto: the score to keep, roc_auc (the default), "
        "recall_at_fpr (recall at 1%% false-positive rate) or a scikit-learn scorer name",
    )
    student.add_argument(
        "--temperature",
        type=_common.temperature,
        metavar="T",
        help="softmax temperature of the teacher's logits, from 1 to 100; higher is "
        "softer (default: 1)",
    )
    student.add_argument(
        "--alpha",
        type=_common.unit_interval,
        metavar="A",
        help="weight of the teacher's soft targets in [0, 1]: 1 = teacher only, 0 = "
        "labels only (default: 0.5)",
    )
    student.add_argument(
        "--search",
        action="store_true",
        help="choose temperature and alpha by cross-validation on the labeled "
        "training rows (ROC-AUC for two classes, else accuracy) over "
        f"{_searched()}; ties go to alpha=0. The student's own parameters are not "
        "searched: they are those of --student. Not with --temperature/--alpha",
    )
    student.add_argument(
        "--test-size",
        type=_common.fraction,
        default=0.2,
        metavar="F",
        help="share of the labeled rows held out to score teacher and students, in "
        "[0, 1); the student is trained on the rest (default: 0.2)",
    )
    student.add_argument(
        "--seed",
        type=_common.seed,
        default=0,
        help="seed of the split, search and student (default: 0)",
    )

    outputs = parser.add_argument_group("outputs")
    outputs.add_argument(
        "--out",
        required=True,
        metavar="FILE.skops",
        help="where to save the distilled model, without its teacher (skops, via "
        "skdistill.export.save(..., drop_teacher=True)): it predicts with the student "
        "alone",
    )
    outputs.add_argument(
        "--onnx",
        metavar="FILE.onnx",
        help="also export the student to ONNX (needs skl2onnx, or onnxmltools for "
        'LightGBM/XGBoost: pip install "skdistill[onnx]")',
    )
    outputs.add_argument(
        "--report",
        metavar="FILE.md",
        help="write a report: teacher, hard-label and distilled student side by side "
        "on the held-out rows, and the search results; Markdown, or a self-contained "
        "HTML page if FILE ends in .html",
    )
    outputs.add_argument(
        "--force",
        action="store_true",
        help="overwrite output files that already exist (only once every output of "
        "the run is written; a failed run leaves them as they were)",
    )
    _common.add_json_and_quiet(
        outputs,
        json_help="print the summary as JSON on stdout",
        printed="the summary and warnings are",
    )
    parser.set_defaults(run=run)


# -- skdistill distill -----------------------------------------------------------------


def _resolve(path):
    return Path(path).expanduser().resolve()


def _check_command_line(args):
    """Every check that needs no data: options, input files, outputs (all of them)."""
    if args.search and (args.temperature is not None or args.alpha is not None):
        raise UsageError(
            "--search chooses the temperature and alpha; do not pass --temperature or "
            "--alpha with it."
        )
    if args.report and args.test_size == 0:
        raise UsageError(
            "--report compares the models on held-out rows; pass --test-size > 0."
        )
    name, params = _parse_student_spec(_student_spec(args))

    inputs = {"--teacher": args.teacher, "--data": args.data}
    if args.unlabeled:
        inputs["--unlabeled"] = args.unlabeled
    for option, path in inputs.items():
        if not Path(path).is_file():
            what = "is a folder" if Path(path).is_dir() else "no such file"
            raise UsageError(f"{option} {path}: {what}; give the path of a file.")
        suffixes = [suffix.lower() for suffix in Path(path).suffixes]
        table = suffixes and (
            suffixes[-1] in _PARQUET_SUFFIXES or any(s in _CSV_SUFFIXES for s in suffixes)
        )
        if option != "--teacher" and not table:
            raise UsageError(
                f"{option} {path}: unknown format; use a .csv file (optionally "
                "compressed, e.g. .csv.gz) or a .parquet file."
            )
    teacher_suffix = Path(args.teacher).suffix.lower()
    if teacher_suffix in _PICKLE_SUFFIXES and not args.trust_pickle:
        raise UsageError(
            f"--teacher {args.teacher} is a pickle file, and loading a pickle can run "
            "arbitrary code. Pass --trust-pickle if you trust where it came from, or "
            "save the teacher with skops (skdistill.export.save) instead."
        )
    if teacher_suffix not in (".skops", *_PICKLE_SUFFIXES):
        raise UsageError(
            f"--teacher {args.teacher}: expected a .skops file (or, with --trust-pickle, "
            f"a {'/'.join(_PICKLE_SUFFIXES)} file), got {teacher_suffix or 'no suffix'}."
        )

    outputs = {"--out": args.out}
    if args.onnx:
        outputs["--onnx"] = args.onnx
    if args.report:
        outputs["--report"] = args.report
    for option, suffix in (("--out", ".skops"), ("--onnx", ".onnx")):
        if option in outputs and Path(outputs[option]).suffix.lower() != suffix:
            raise UsageError(
                f"{option} {outputs[option]}: the file name must end in {suffix}."
            )
    seen = {_resolve(path): option for option, path in inputs.items()}
    for option, path in outputs.items():
        resolved = _resolve(path)
        if resolved in seen:
            raise UsageError(f"{option} {path} is also given as {seen[resolved]}.")
        seen[resolved] = option
        if not resolved.parent.is_dir():
            raise UsageError(f"{option} {path}: folder {resolved.parent} does not exist.")
        if resolved.is_dir():
            raise UsageError(f"{option} {path} is a folder; give the path of a file.")
    existing = [path for path in outputs.values() if Path(path).exists()]
    if existing and not args.force:
        raise UsageError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "pass --force to overwrite, or choose other output paths."
        )
    return name, params


def _read_table(path, option):
    """A DataFrame from a CSV (maybe compressed) or parquet file, with rows."""
    frame = _read_frame(path, option)
    if len(frame) == 0:
        what = (
            "extra rows; add rows, or leave out --unlabeled"
            if option == "--unlabeled"
            else "labeled rows to train on; add rows below the header"
        )
        columns = len(frame.columns)
        raise CommandError(
            f"{option} {path} has a header ({columns} column{'s' * (columns != 1)}) but "
            f"no rows; {option} gives the {what}."
        )
    return frame


def _read_frame(path, option):
    try:
        import pandas as pd
    except ImportError:
        raise CommandError(
            'reading data needs pandas: pip install "skdistill[pandas]".'
        ) from None
    suffixes = [s.lower() for s in Path(path).suffixes]
    try:
        if suffixes and suffixes[-1] in _PARQUET_SUFFIXES:
            try:
                return pd.read_parquet(path)
            except ImportError as exc:
                raise CommandError(
                    f"reading the parquet file {path} needs pyarrow, which is not "
                    f"installed: pip install pyarrow (or convert it to CSV). ({exc})"
                ) from None
        if any(s in _CSV_SUFFIXES for s in suffixes):
            sep = "\t" if ".tsv" in suffixes else ","
            return pd.read_csv(path, sep=sep)
    except CommandError:
        raise
    except pd.errors.EmptyDataError:
        raise CommandError(
            f"{option} {path} is empty; it needs a header line naming the columns, "
            "then one line per row."
        ) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        kind = (
            "parquet"
            if suffixes[-1] in _PARQUET_SUFFIXES
            else "CSV (comma-separated, UTF-8)"
        )
        raise CommandError(
            f"could not read {option} {path}: {' '.join(str(exc).split())}. Check that "
            f"it is a valid {kind} file."
        ) from None
    raise UsageError(
        f"{option} {path}: unknown format; use a .csv file (optionally compressed, "
        "e.g. .csv.gz) or a .parquet file."
    )


def _load_teacher(args):
    """The fitted classifier in ``--teacher``, loaded with skdistill.export."""
    try:
        from .. import export
    except ImportError as exc:
        raise CommandError(
            f"loading the teacher needs skdistill.export, which is unavailable ({exc}). "
            'Install the persistence extra: pip install "skdistill[persist]".'
        ) from None
    path = Path(args.teacher)
    trusted = [name for item in args.trust for name in item.split(",") if name.strip()]
    pickle = path.suffix.lower() in _PICKLE_SUFFIXES
    if pickle:
        warn(
            _PROG,
            f"loading the pickle file {path} (--trust-pickle): a pickle runs code when "
            "loaded; use it only if you trust where it came from.",
        )
    from ..exceptions import DistillationWarning

    try:
        with warnings.catch_warnings():
            # export.load warns about pickles itself; said once, above.
            warnings.simplefilter("ignore", DistillationWarning)
            teacher = export.load(path, trusted=trusted or None, trust_pickle=pickle)
    except Exception as exc:  # a user's file: any failure is a clear error, no traceback
        message = str(exc) or type(exc).__name__
        hint = ""
        if isinstance(exc, TypeError) and "trust" in message.lower():  # untrusted types
            hint = (
                " If you trust this file, name each of those types with --trust TYPE "
                "(or --trust TYPE1,TYPE2)."
            )
        raise CommandError(f"could not load the teacher {path}: {message}{hint}") from None

    from sklearn.base import is_classifier
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(teacher, "predict") or not is_classifier(teacher):
        raise CommandError(
            f"the teacher {path} holds a {type(teacher).__name__}, not a classifier; "
            "skdistill distill distils fitted classifiers."
        )
    try:
        check_is_fitted(teacher)
    except NotFittedError:
        raise CommandError(
            f"the teacher {path} holds an unfitted {type(teacher).__name__}; save it "
            "after fitting it."
        ) from None
    if not (hasattr(teacher, "predict_proba") or hasattr(teacher, "decision_function")):
        raise CommandError(
            f"the teacher {type(teacher).__name__} in {path} has neither predict_proba "
            "nor decision_function: it gives no soft targets to distil."
        )
    return teacher


def _feature_columns(teacher, columns, *, option, path):
    """The feature columns, in the teacher's order; a clear error if they differ."""
    names = getattr(teacher, "feature_names_in_", None)
    if names is not None:
        names = [str(name) for name in names]
        missing = [name for name in names if name not in columns]
        extra = [column for column in columns if column not in names]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(map(repr, missing))}")
            if extra:
                parts.append(f"not known to the teacher {', '.join(map(repr, extra))}")
            raise CommandError(
                f"the feature columns of {option} {path} do not match the teacher's "
                f"({len(names)} features): {'; '.join(parts)}. Every column but the "
                "target is a feature; drop or rename columns to match."
            )
        return names
    n_features = getattr(teacher, "n_features_in_", None)
    if n_features is not None and n_features != len(columns):
        raise CommandError(
            f"{option} {path} has {len(columns)} feature columns ({', '.join(columns)}) "
            f"but the teacher was fitted on {n_features} features (without names, so "
            "columns are taken in file order)."
        )
    return list(columns)


def _features_of(frame, features, teacher, *, option, path):
    """X for the teacher: a DataFrame if it knows column names, else a float array.

    A teacher fitted on a DataFrame gets the columns as they are, text and
    categories included (a Pipeline with a ColumnTransformer encodes them itself);
    one fitted on an array gets numbers only.
    """
    import numpy as np

    X = frame[features]
    _, text = _column_kinds(X, option=option, path=path)
    if getattr(teacher, "feature_names_in_", None) is None:
        if text:
            raise CommandError(
                f"{option} {path} has text or categorical column(s) {', '.join(text)}, "
                f"but the teacher {type(teacher).__name__} was fitted without column "
                "names, on numbers alone. Encode those columns as numbers the way the "
                "teacher's training data was encoded, or save a teacher fitted on a "
                "DataFrame that encodes them itself (e.g. a Pipeline with a OneHotEncoder "
                "in a ColumnTransformer)."
            )
        return X.to_numpy(dtype=np.float64)
    return X.reset_index(drop=True)


def _column_kinds(X, *, option, path):
    """``(numeric, text)`` column names of a DataFrame: numbers and booleans, or text
    and categories (which the student one-hot encodes). Other kinds are refused."""
    import pandas as pd

    if not hasattr(X, "columns"):
        return [], []
    numeric, text, other = [], [], []
    for column, dtype in X.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype)
            and not pd.api.types.is_complex_dtype(dtype)
        ):
            numeric.append(column)
        elif (
            isinstance(dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
        ):
            text.append(column)
        else:
            other.append(f"{column} ({dtype})")
    if other:
        raise CommandError(
            f"{option} {path} has column(s) of a kind the students cannot take: "
            f"{', '.join(other)}. Convert them to numbers (e.g. a date to its year, or "
            "days since a reference date) or to text, in the data and for the teacher."
        )
    return numeric, text


def _align_unlabeled(X_unlabeled, X, *, option, path):
    """``--unlabeled`` columns of the same kinds as ``--data``'s (by column)."""
    import pandas as pd

    if not hasattr(X, "columns"):
        return X_unlabeled
    numeric, _ = _column_kinds(X, option="--data", path="")
    numeric_here, _ = _column_kinds(X_unlabeled, option=option, path=path)
    X_unlabeled = X_unlabeled.copy()
    for column in X.columns:
        values = X_unlabeled[column]
        if column in numeric and column not in numeric_here:
            text = values[values.notna() & pd.to_numeric(values, errors="coerce").isna()]
            examples = ", ".join(map(repr, text.unique()[:3].tolist()))
            raise CommandError(
                f"column {column!r} holds numbers in --data but text in {option} {path} "
                f"(e.g. {examples}). Write numbers there too, and leave a missing value "
                "empty."
            )
        if column not in numeric and column in numeric_here:  # e.g. an empty column
            X_unlabeled[column] = values.astype(object).where(
                values.isna(), values.astype(str)
            )
            if isinstance(X[column].dtype, pd.CategoricalDtype):
                X_unlabeled[column] = X_unlabeled[column].astype("category")
    return X_unlabeled


def _check_teacher_takes(teacher, X, *, option, path):
    """Ask the teacher about a few rows (with missing values, if any) before fitting,
    so that data it cannot take is a clear error, not a failure deep in ``fit``."""
    import numpy as np

    n = len(X)
    if hasattr(X, "isna"):
        missing = np.flatnonzero(X.isna().to_numpy().any(axis=1))
    else:
        missing = np.flatnonzero(np.isnan(X).any(axis=1))
    rows = np.unique(np.concatenate([np.arange(min(n, 10)), missing[:10]]))
    method = "predict_proba" if hasattr(teacher, "predict_proba") else "decision_function"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(teacher, method)(_take(X, rows))
    except Exception as exc:  # the user's model on the user's data: anything goes
        _, text = _column_kinds(X, option=option, path=path)
        first = (str(exc) or type(exc).__name__).strip().splitlines()[0]
        fixes = []
        if text:
            fixes.append(
                f"its text/categorical column(s) {', '.join(text)} must be as in the "
                "teacher's training data"
            )
        if len(missing):
            with_nan = (
                [c for c in X.columns if X[c].isna().any()] if hasattr(X, "columns") else []
            )
            fixes.append(
                "fill or drop the missing values"
                + (f" (in {', '.join(map(str, with_nan))})" if with_nan else "")
                + " if the teacher cannot take them"
            )
        fixes.append("encode every column as the teacher's training data was encoded")
        raise CommandError(
            f"the teacher {type(teacher).__name__} fails on the rows of {option} {path}: "
            f"{first.rstrip('.')}. To fix it: {'; '.join(fixes)}."
        ) from None


def _labels(frame, target, classes, path):
    """The target column as labels of the teacher's classes."""
    column = frame[target]
    if column.isna().any():
        raise CommandError(
            f"the target column {target!r} of {path} has {int(column.isna().sum())} empty "
            "value(s); drop those rows, or move them to --unlabeled."
        )
    y = column.to_numpy()
    if classes.dtype.kind in "OUS" and all(isinstance(c, str) for c in classes.tolist()):
        y = y.astype(str).astype(object)
    known = set(classes.tolist())
    unknown = sorted({label for label in y.tolist() if label not in known}, key=repr)
    if unknown:
        shown = ", ".join(map(repr, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
        raise CommandError(
            f"the target column {target!r} of {path} holds label(s) {shown} that the "
            f"teacher does not know; its classes are {classes.tolist()!r}. Write the "
            "labels as the teacher's training data did, or move rows without a known "
            "label to --unlabeled."
        )
    if len(set(y.tolist())) < 2:
        raise CommandError(
            f"the target column {target!r} of {path} holds a single class; "
            "distillation needs labels of at least two classes: add rows of the others."
        )
    return y


def _split(y, test_size, seed):
    """Indices of training and held-out rows (stratified when the classes allow).

    A ``test_size`` that leaves too few training rows (fewer than the classes, or
    none of a class) is a UsageError saying which values work for these labels.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    if test_size == 0:
        return rows, rows[:0]
    n_test = math.ceil(test_size * len(y))
    if len(y) - n_test < len(set(y.tolist())):
        raise UsageError(_test_size_advice(y, test_size))
    try:
        train, test = train_test_split(
            rows, test_size=test_size, stratify=y, random_state=seed
        )
    except ValueError:  # a class too small to stratify
        train, test = train_test_split(rows, test_size=test_size, random_state=seed)
    if len(set(y[train].tolist())) < 2:
        raise UsageError(_test_size_advice(y, test_size))
    return train, test


def _test_size_advice(y, test_size):
    """Why ``--test-size`` leaves too few training rows, and the values that work."""
    import numpy as np

    n = len(y)
    _, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    n_test = math.ceil(test_size * n)
    # Training rows must outnumber the classes, and (stratified) keep one row of
    # the smallest class: at most (n - k) / n, and (m - 1) / m, held out.
    largest = (n - len(counts)) / n
    if counts.min() >= 2:
        largest = min(largest, (counts.min() - 1) / counts.min())
    largest = math.floor(largest * 100) / 100
    about = (
        f"--test-size {test_size:g} holds out {n_test} of the {n} labeled rows and "
        f"leaves {n - n_test} to train the student, too few for {len(counts)} classes "
        f"(the smallest has {counts.min()} rows)"
    )
    if largest < 0.01:
        return (
            f"{about}; these rows are too few to hold any out. Pass --test-size 0 "
            "(no held-out comparison), or add labeled rows."
        )
    return (
        f"{about}. For these rows use a --test-size from 0 to {largest:.2f} (the default "
        "is 0.2), or add labeled rows."
    )


def _student_for_data(name, student, X, *, missing, onnx):
    """The student to fit on ``X``: ``student`` itself, or a Pipeline that carries
    what it needs, so that it predicts on rows like ``X`` (the raw columns).

    - text and categorical columns are one-hot encoded (categories unseen in
      training are ignored; a missing value is a category of its own) by a
      ColumnTransformer; LightGBM and XGBoost students then become regressors of
      the teacher's logits (strategy "regress"), their native soft-target training
      needing the bare estimator;
    - logreg and mlp (``scaled``) standardise the numbers and, when ``missing``
      (some number is missing in the data), impute the column mean first, with
      indicator columns of what was missing (not with ``onnx``: the ONNX
      converters have none). Trees, LightGBM and XGBoost take missing numbers.
    """
    from sklearn.pipeline import make_pipeline

    kind = _STUDENTS[name]
    numeric, text = _column_kinds(X, option="--data", path="")
    steps = []
    if kind.scaled:
        from sklearn.preprocessing import StandardScaler

        if missing:
            from sklearn.impute import SimpleImputer

            steps.append(SimpleImputer(add_indicator=not onnx))
        steps.append(StandardScaler())
    if not text:
        return make_pipeline(*steps, student) if steps else student

    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    transformers = []
    if numeric:
        numbers = make_pipeline(*steps) if steps else "passthrough"
        transformers.append(("numbers", numbers, numeric))
    categories = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    transformers.append(("categories", categories, text))
    encoder = ColumnTransformer(transformers, sparse_threshold=0.0)
    if kind.regressor is not None:
        student = _as_regressor(student, kind)
    return make_pipeline(encoder, student)


def _as_regressor(classifier, kind):
    """The framework's regressor with the parameters set on ``classifier``."""
    import importlib

    module = importlib.import_module(kind.module)
    regressor_class = getattr(module, kind.regressor)
    defaults = type(classifier)().get_params(deep=False)
    params = {
        key: value
        for key, value in classifier.get_params(deep=False).items()
        if key not in defaults or repr(value) != repr(defaults[key])
    }
    return regressor_class(**params)


def _check_onnx_input(args, text):
    """``--onnx`` exports one float input: refused, before fitting, for text columns."""
    if args.onnx and text:
        raise UsageError(
            f"--onnx: {args.data} has text or categorical column(s) {', '.join(text)}, "
            "which the student one-hot encodes itself; the ONNX export takes one float "
            "input and cannot carry them. Leave out --onnx (the .skops file of --out "
            "predicts on the raw columns), or encode those columns as numbers in the "
            "data, for the teacher too."
        )


def _warn_many_categories(X, text, limit=100):
    for column in text:
        n = X[column].nunique(dropna=False)
        if n > limit:
            warn(
                _PROG,
                f"column {column!r} has {n} distinct values, and the student one-hot "
                f"encodes each into a column of its own. If it is an identifier, drop "
                "it from the data (and from the teacher's).",
            )


def _with_unlabeled(X, y, X_unlabeled):
    """Append unlabeled rows with the label skdistill.UNLABELED."""
    import numpy as np

    from .. import UNLABELED

    if X_unlabeled is None or len(X_unlabeled) == 0:
        return X, y
    if hasattr(X, "iloc"):
        import pandas as pd

        X = pd.concat([X, X_unlabeled], ignore_index=True)
    else:
        X = np.vstack([X, X_unlabeled])
    dtype = {"i": np.int64, "u": np.int64, "f": np.float64}.get(y.dtype.kind, object)
    y = np.concatenate([y.astype(dtype), np.full(len(X_unlabeled), UNLABELED, dtype=dtype)])
    return X, y


def _take(X, rows):
    return X.iloc[rows].reset_index(drop=True) if hasattr(X, "iloc") else X[rows]


class _CountingScorer:
    """A scorer that counts one cross-validation fit on ``counter`` per call."""

    def __init__(self, scorer, counter):
        self.scorer, self.counter = scorer, counter

    def __call__(self, estimator, X, y, **kwargs):
        try:
            return self.scorer(estimator, X, y, **kwargs)
        finally:
            self.counter.update(1)


def _search(model, X, y, n_labeled, *, classes, seed, progress):
    """GridSearchCV over temperature x alpha; unlabeled rows only ever train."""
    import numpy as np
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold

    from ..report._render import search_results

    y_labeled = y[:n_labeled]
    _, counts = np.unique(y_labeled.astype(str), return_counts=True)
    n_splits = int(min(3, counts.min()))
    if n_splits < 2:
        raise CommandError(
            "--search cross-validates on the labeled training rows and needs at least "
            "2 of every class there; add labeled rows, or pass --temperature/--alpha."
        )
    unlabeled = np.arange(n_labeled, len(y))
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    cv = [
        (np.concatenate([train, unlabeled]), test)
        for train, test in folds.split(np.zeros(n_labeled), y_labeled.astype(str))
    ]
    scoring = "roc_auc" if len(classes) == 2 else "accuracy"
    n_fits = len(ParameterGrid(_SEARCH_GRID)) * len(cv)
    counter = progress.counter(n_fits, "searching temperature x alpha")
    try:
        search = GridSearchCV(
            model,
            _SEARCH_GRID,
            scoring=_CountingScorer(get_scorer(scoring), counter),
            cv=cv,
            error_score="raise",
        )
        search.fit(X, y)
    finally:
        counter.close()
    info = {"scoring": scoring, "n_splits": n_splits, "results": search_results(search)}
    return search.best_estimator_, info


def _fit(args, name, student, progress):
    """Load, fit and evaluate; nothing is written. Returns everything to write/say."""
    import numpy as np

    from .. import UNLABELED

    progress.message(f"Reading {args.data} ...")
    frame = _read_table(args.data, "--data")
    if args.target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise UsageError(
            f"--target {args.target!r} is not a column of {args.data}; its columns are: "
            f"{columns}."
        )
    unlabeled_frame = None
    if args.unlabeled:
        unlabeled_frame = _read_table(args.unlabeled, "--unlabeled")
        unlabeled_frame = unlabeled_frame.drop(columns=[args.target], errors="ignore")

    progress.message(f"Loading the teacher {args.teacher} ...")
    teacher = _load_teacher(args)

    columns = [str(c) for c in frame.columns if c != args.target]
    frame.columns = [str(c) for c in frame.columns]
    features = _feature_columns(teacher, columns, option="--data", path=args.data)
    X_all = _features_of(frame, features, teacher, option="--data", path=args.data)
    _check_teacher_takes(teacher, X_all, option="--data", path=args.data)
    classes = np.asarray(teacher.classes_)
    y_all = _labels(frame, args.target, classes, args.data)
    X_unlabeled = None
    if unlabeled_frame is not None:
        if any(type(c) is not str and c == UNLABELED for c in classes.tolist()):
            raise CommandError(
                f"the teacher has a class {UNLABELED}, the label that marks unlabeled "
                "rows; --unlabeled cannot be used with it. Re-encode the classes."
            )
        unlabeled_frame.columns = [str(c) for c in unlabeled_frame.columns]
        unlabeled_columns = list(unlabeled_frame.columns)
        _feature_columns(
            teacher, unlabeled_columns, option="--unlabeled", path=args.unlabeled
        )
        if sorted(unlabeled_columns) != sorted(features):
            raise CommandError(
                f"--unlabeled {args.unlabeled} must have the feature columns of --data "
                f"({', '.join(features)}); it has {', '.join(unlabeled_columns)}."
            )
        X_unlabeled = _features_of(
            unlabeled_frame, features, teacher, option="--unlabeled", path=args.unlabeled
        )
        X_unlabeled = _align_unlabeled(
            X_unlabeled, X_all, option="--unlabeled", path=args.unlabeled
        )
        _check_teacher_takes(
            teacher, X_unlabeled, option="--unlabeled", path=args.unlabeled
        )

    train, test = _split(y_all, args.test_size, args.seed)
    X_train, y_train = _with_unlabeled(_take(X_all, train), y_all[train], X_unlabeled)
    X_test, y_test = _take(X_all, test), y_all[test]
    counts = {
        "labeled": len(y_all),
        "train": len(train),
        "test": len(test),
        "unlabeled": 0 if X_unlabeled is None else len(X_unlabeled),
    }

    numeric, text = _column_kinds(X_all, option="--data", path=args.data)
    numeric = numeric or None  # None: X is an array, of numbers only
    missing = _has_missing(X_all, numeric) or (
        X_unlabeled is not None and _has_missing(X_unlabeled, numeric)
    )
    _check_onnx_input(args, text)
    _warn_many_categories(X_train, text)
    student = _student_for_data(name, student, X_all, missing=missing, onnx=bool(args.onnx))

    model = distiller(
        teacher,
        student,
        temperature=args.temperature if args.temperature is not None else 1.0,
        alpha=args.alpha if args.alpha is not None else 0.5,
        # Rows of --unlabeled are marked UNLABELED in y; without them no row is.
        unlabeled_label=UNLABELED if X_unlabeled is not None else None,
        random_state=args.seed,
    )
    search = None
    start = time.perf_counter()
    try:
        if args.search:
            model, search = _search(
                model,
                X_train,
                y_train,
                len(train),
                classes=classes,
                seed=args.seed,
                progress=progress,
            )
        else:
            progress.message(f"Distilling into {_STUDENTS[name].class_name} ...")
            model.fit(X_train, y_train)
    except (ValueError, TypeError) as exc:
        hint = ""
        if counts["unlabeled"] and y_train.dtype == object:
            hint = (
                " Unlabeled rows are marked with skdistill.UNLABELED (-1) in y, and this "
                "version of DistilledClassifier may not accept that mark beside "
                f"non-numeric classes ({classes.tolist()!r}); re-encode the classes as "
                "integers, or leave out --unlabeled."
            )
        raise CommandError(
            f"distillation failed: {str(exc).rstrip('.')}.{hint or _FIT_HINT}"
        ) from None
    seconds = time.perf_counter() - start

    report = None
    if len(test):
        from sklearn.base import clone

        from ..report import distillation_report

        progress.message("Scoring the teacher and the students on the held-out rows ...")
        hard = clone(model).set_params(alpha=0.0)
        models = {f"hard-label {name}": hard, f"distilled {name}": model}
        try:
            hard.fit(_take(X_all, train), y_all[train])
            report = distillation_report(teacher, models, X_test, y_test)
        except (ValueError, AttributeError) as exc:
            raise CommandError(
                f"scoring on the held-out rows failed: {exc}. Pass --test-size 0 to "
                "skip the held-out comparison."
            ) from None

    onnx_model = None
    if args.onnx:
        from .. import export

        progress.message("Converting the student to ONNX ...")
        sample = np.asarray(
            _take(X_train, np.arange(min(5, len(y_train)))), dtype=np.float32
        )
        try:
            onnx_model = export.to_onnx(model, sample)
        except (ValueError, TypeError, ImportError, RuntimeError) as exc:
            raise CommandError(
                f"ONNX export failed: {str(exc).rstrip('.')}. Leave out --onnx to save "
                "the student with --out alone."
            ) from None

    return {
        "teacher": teacher,
        "model": model,
        "student_name": name,
        "search": search,
        "report": report,
        "counts": counts,
        "fit_seconds": seconds,
        "onnx_model": onnx_model,
        "n_features": len(features),
    }


_FIT_HINT = (
    " If this is about a parameter of the student, change it in --student; otherwise "
    "check that --data is encoded as the teacher's training data was."
)


def _has_missing(X, columns=None):
    """Whether a value is missing in ``X`` (in ``columns`` of a DataFrame, if given)."""
    import numpy as np

    if hasattr(X, "isna"):
        return bool((X if columns is None else X[columns]).isna().to_numpy().any())
    return bool(np.isnan(X).any())


def _write_outputs(args, result):
    """Write every output, or none: all land together, and if one cannot be written
    (disk full, say) the files that were there before are left as they were."""
    from .. import export

    sizes = {}
    with atomic_outputs(overwrite=args.force) as files:
        staged = files.path(args.out)
        try:
            export.save(result["model"], staged, overwrite=True, drop_teacher=True)
        except (ValueError, TypeError) as exc:
            raise CommandError(f"could not save the student to {args.out}: {exc}") from None
        sizes[args.out] = os.path.getsize(staged)
        result["types_to_trust"] = _types_to_trust(staged)
        if args.onnx:
            data = result["onnx_model"].SerializeToString()
            files.write(args.onnx, data)
            sizes[args.onnx] = len(data)
        if args.report:
            data = _report_file(args, result, sizes).encode("utf-8")
            files.write(args.report, data)
            sizes[args.report] = len(data)
        files.commit()
    return sizes


def _types_to_trust(path):
    """Types in a saved file that ``skdistill.export.load`` does not trust by default."""
    import skops.io as sio

    from ..export import trusted_types

    return sorted(set(sio.get_untrusted_types(file=path)) - set(trusted_types()))


def _load_hint(args, result):
    types = result["types_to_trust"]
    if not types:
        return f"Load it with skdistill.export.load({str(args.out)!r})."
    return (
        f"It holds types that skdistill.export.load does not trust by default; load it "
        f"with skdistill.export.load({str(args.out)!r}, trusted={types!r})."
    )


def _params_line(args, result):
    """The temperature and alpha, and how they were chosen."""
    model = result["model"]
    line = f"temperature={model.temperature:g}, alpha={model.alpha:g}"
    search = result["search"]
    if search is None:
        given = args.temperature is not None or args.alpha is not None
        return line + (" (given)" if given else " (the defaults; --search chooses them)")
    from ..report._render import _pm, best_and_hard

    best, hard = best_and_hard(search["results"])
    return (
        f"{line} (chosen by {search['n_splits']}-fold cross-validation on "
        f"{search['scoring']}: {_pm(best['mean'], best['std'])}; "
        f"hard labels, alpha=0: {_pm(hard['mean'], hard['std'])})"
    )


def _searched():
    """What ``--search`` tries, in words, from ``_SEARCH_GRID``."""
    hard, soft = _SEARCH_GRID

    def values(name):
        return "{" + ", ".join(f"{v:g}" for v in soft[name]) + "}"

    return (
        f"alpha=0 (hard labels) and temperature {values('temperature')} x alpha "
        f"{values('alpha')}"
    )


def _student_default_line(args):
    """Says which student was fitted when ``--student`` was left out; None if given."""
    if args.student is not None:
        return None
    kind = _STUDENTS[_DEFAULT_STUDENT]
    return (
        f"Student: {_DEFAULT_STUDENT}, the default: {kind.label()}, the student "
        "DistilledClassifier fits when given none; choose another with --student."
    )


def _student_line(result):
    model = result["model"]
    name = result["student_name"]
    return (
        f"{_model_name(result['teacher'])} teacher -> {name} student "
        f"({_describe_student(model.student_)}, strategy {model.strategy_.name!r})"
    )


def _model_name(model):
    """``"RandomForestClassifier"``, or ``"Pipeline(HistGradientBoostingClassifier)"``."""
    steps = getattr(model, "steps", None)
    if steps:
        return f"{type(model).__name__}({_model_name(steps[-1][1])})"
    return type(model).__name__


def _describe_student(student):
    """The fitted student in words: its estimator, and what a Pipeline does first."""
    inner = getattr(student, "estimator", None)  # MultiOutputRegressor of "regress"
    if inner is not None and not hasattr(student, "steps"):
        return f"{type(student).__name__} of {_describe_student(inner)}"
    if not hasattr(student, "steps"):
        return type(student).__name__
    *steps, (_, final) = student.steps
    name = type(final).__name__
    if len(steps) == 1 and type(steps[0][1]).__name__ == "ColumnTransformer":
        parts = []
        for _, transformer, columns in steps[0][1].transformers:
            n = len(columns)
            if type(transformer).__name__ == "OneHotEncoder":
                parts.append(f"{n} one-hot encoded column{'s' * (n != 1)}")
            else:
                done = _describe_numbers(transformer)
                parts.append(f"{n} {done or 'raw'} numeric column{'s' * (n != 1)}")
        return f"{name} on {' and '.join(parts)}"
    done = ", ".join(filter(None, (_describe_numbers(step) for _, step in steps)))
    return f"{name} on {done or 'transformed'} columns"


def _describe_numbers(transformer):
    """What a numeric step does, as adjectives: "mean-imputed, standardised"."""
    steps = getattr(transformer, "steps", None)
    steps = [step for _, step in steps] if steps else [transformer]
    words = []
    for step in steps:
        kind = type(step).__name__
        if kind == "SimpleImputer":
            indicator = getattr(step, "add_indicator", False)
            words.append("mean-imputed" + (" (with indicators)" if indicator else ""))
        elif kind == "StandardScaler":
            words.append("standardised")
        elif step != "passthrough":
            words.append(kind)
    return ", ".join(words)


def _rows_line(result):
    counts = result["counts"]
    line = f"{counts['labeled']} labeled rows ({counts['train']} to train"
    line += f", {counts['test']} held out)" if counts["test"] else ", none held out)"
    if counts["unlabeled"]:
        line += f" + {counts['unlabeled']} unlabeled rows"
    return line


def _report_file(args, result, sizes):
    """The ``--report`` file: an HTML page for ``.html``/``.htm``, else Markdown."""
    markdown = _report_markdown(args, result, sizes)
    if Path(args.report).suffix.lower() in (".html", ".htm"):
        from ..report._render import markdown_html

        return markdown_html(markdown, title=_PROG)
    return markdown


def _report_markdown(args, result, sizes):
    import sklearn

    from .. import __version__
    from .._io import format_size
    from ..report._render import cost_sentences, search_markdown

    teacher_size = os.path.getsize(args.teacher)
    default = " (the default)" if args.student is None else ""
    lines = [
        f"# {_PROG}",
        "",
        f"skdistill {__version__}, scikit-learn {sklearn.__version__}.",
        "",
        f"- Teacher: `{args.teacher}` ({_model_name(result['teacher'])}, "
        f"{format_size(teacher_size)}).",
        f"- Data: `{args.data}`, target `{args.target}`: {_rows_line(result)}"
        + (f" from `{args.unlabeled}`" if args.unlabeled else "")
        + ".",
        f"- Student: `{_student_spec(args)}`{default}: {_student_line(result)}.",
        f"- {_params_line(args, result)}; seed {args.seed}.",
        "",
        f"## Held-out comparison ({result['counts']['test']} rows)",
        "",
        "The hard-label student is the same student fitted on the labels alone "
        "(alpha=0). size_ratio and speedup_sklearn are teacher / model (pickled bytes, "
        "median single-row predict_proba time through the scikit-learn API, one "
        "thread); speedup_fastest compares like for like, the teacher on its own "
        "fastest serving path (fastest_path: sklearn, the LightGBM/XGBoost booster or "
        "ONNX Runtime) against the model on its own. Above 1 the model is smaller, or "
        "faster, than the teacher; a distiller is measured by its fitted student, the "
        "model saved.",
        "",
        result["report"].to_markdown(),
        "",
        *cost_sentences(result["report"]),
    ]
    if result["search"] is not None:
        search = result["search"]
        lines += [
            "",
            f"## Search ({search['n_splits']}-fold cross-validation, {search['scoring']})",
            "",
            f"Mean ± sd over the folds of the {search['scoring']} of the distilled "
            f"student, over {_searched()}; alpha=0 trains on the labels alone (the "
            "temperature then does nothing). Bold: chosen (ties go to alpha=0).",
            "",
            search_markdown(search["results"]),
        ]
    lines += ["", "## Outputs", ""]
    lines += [f"- `{path}`: {format_size(size)}" for path, size in sizes.items()]
    lines += [f"- `{args.report}`: this report", "", _load_hint(args, result)]
    return "\n".join(lines) + "\n"


#: The columns of the held-out table in the summary.
_SUMMARY_COLUMNS = (
    "accuracy",
    "roc_auc",
    "fidelity",
    "latency_ms",
    "speedup_sklearn",
    "fastest_path",
    "fastest_latency_ms",
    "speedup_fastest",
)


#: What the two speed-ups of the summary mean.
_SPEED_LEGEND = (
    "Speed, teacher / model, single row, one thread: 'faster (sklearn)' through the "
    "scikit-learn API (mostly its per-call overhead); 'faster (fastest paths)' like "
    "for like, each model on its own fastest serving path (--report lists the "
    "paths tried, and why a model could not take one)."
)


def _summary_text(args, result, sizes):
    from .._io import format_size
    from ..report._render import compared

    lines = [
        f"Distilled: {_student_line(result)}.",
        *filter(None, [_student_default_line(args)]),
        _params_line(args, result) + ".",
    ]
    if result["search"] is not None:
        lines.append(
            f"Searched: {_searched()}; the student's own parameters are those of --student."
        )
    lines.append(f"Rows: {_rows_line(result)}; fitted in {result['fit_seconds']:.1f} s.")
    report = result["report"]
    if report is not None:
        lines.append(f"Held-out rows ({result['counts']['test']}):")
        lines.append(textwrap.indent(report.to_text(_SUMMARY_COLUMNS), "  "))
        lines += textwrap.wrap(_SPEED_LEGEND, 88, subsequent_indent="  ")
    teacher_size = os.path.getsize(args.teacher)
    student_size = sizes[args.out]
    lines.append(
        f"Size: teacher file {format_size(teacher_size)}, "
        f"student file {format_size(student_size)}: the student is "
        f"{compared(teacher_size / student_size, 'smaller', 'LARGER', 'size')}."
    )
    lines.append(
        "Wrote " + ", ".join(f"{path} ({format_size(n)})" for path, n in sizes.items())
    )
    lines.append(_load_hint(args, result))
    return "\n".join(lines)


def _summary_json(args, result, sizes):
    from ..report._render import jsonable

    model = result["model"]
    report = result["report"]
    return jsonable(
        {
            "student": result["student_name"],
            "student_spec": _student_spec(args),
            "student_default": args.student is None,
            "student_class": type(model.student_).__name__,
            "student_description": _describe_student(model.student_),
            "strategy": model.strategy_.name,
            "teacher_class": type(result["teacher"]).__name__,
            "temperature": float(model.temperature),
            "alpha": float(model.alpha),
            "search": result["search"] and {**result["search"], "grid": _SEARCH_GRID},
            "rows": result["counts"],
            "fit_seconds": result["fit_seconds"],
            "scores": None if report is None else list(report),
            "teacher_bytes": os.path.getsize(args.teacher),
            "outputs": sizes,
            "types_to_trust": result["types_to_trust"],
        }
    )


def run(args):
    """Run ``skdistill distill``; raises UsageError/CommandError for user errors."""
    if args.student is not None and args.student.strip().lower() == "auto":
        from ._frontier import run_frontier

        return run_frontier(args)
    name, params = _check_command_line(args)
    student = _build_student(name, params, _student_spec(args))  # before reading data
    if args.onnx:  # an export that cannot succeed fails before the fit, not after
        from ..export._onnx import check_onnx_exportable

        try:
            check_onnx_exportable(student)
        except (ValueError, TypeError, ImportError) as exc:
            raise CommandError(f"ONNX export failed (nothing was fitted): {exc}") from None
    progress = Progress(_PROG, quiet=args.quiet)
    with CapturedWarnings(_PROG):
        result = _fit(args, name, student, progress)
    sizes = _write_outputs(args, result)
    if args.json:
        print(json.dumps(_summary_json(args, result, sizes), indent=2))
    else:
        print(_summary_text(args, result, sizes))
    return 0
