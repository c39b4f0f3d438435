"""Command-line interface: ``skdistill demo`` and ``skdistill distill``.

This module parses the command line; ``distill`` lives in
:mod:`skdistill.cli._distill` and the demo in :mod:`skdistill.cli._demo`. Only the
standard library is imported at module level: scikit-learn, pandas, skops and the
student frameworks are imported inside the command that needs them, so
``skdistill --help`` answers at once.
"""

import argparse
import sys
import textwrap

from ._distill import (
    _INTERRUPTED,
    _RUNTIME_ERROR,
    _STUDENTS,
    _USAGE_ERROR,
    _CommandError,
    _fraction,
    _seed,
    _students_epilog,
    _temperature,
    _unit_interval,
    _UsageError,
)
from ._distill import run as _run_distill

__all__ = ["main"]


def _run_demo(args):
    from ._demo import DemoUsageError, run

    try:
        return run(args)
    except DemoUsageError as exc:
        raise _UsageError(str(exc)) from None


# -- the command line -------------------------------------------------------------------


def _add_demo(sub):
    demo = sub.add_parser(
        "demo",
        help="distil boosted teachers into small students on embedded data and report",
        description=textwrap.fill(
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
        ),
        epilog=textwrap.fill(
            'Optional: pip install "skdistill[plot]" for the plots (matplotlib), '
            '"skdistill[lightgbm]" for the LightGBM student, "skdistill[progress]" '
            "for a progress bar (tqdm).",
            width=80,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--out",
        default="skdistill-demo",
        metavar="DIR",
        help="output folder, created if missing (its parent must exist). An existing "
        "folder must be empty or hold an earlier demo's output, whose files are then "
        "replaced (default: ./skdistill-demo)",
    )
    demo.add_argument(
        "--force",
        action="store_true",
        help="write into an existing folder that is not empty and holds no earlier "
        "demo output: files named like the demo's (report.md, report.html, "
        "report.json, <part>_<plot>.png) are replaced, nothing else is touched",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the synthetic data, the splits, the models and the search "
        "(default: 0)",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="smaller teachers, data, grid and verdicts: a smoke test in about 15 s",
    )
    demo.add_argument(
        "--json",
        action="store_true",
        help="print the report as JSON on stdout (as saved in report.json) instead of "
        "the tables",
    )
    demo.add_argument(
        "--quiet",
        action="store_true",
        help="no progress messages on stderr (the tables, or the JSON, are still printed)",
    )
    demo.set_defaults(handler=_run_demo, parser=demo)


def _add_distill(sub):
    distill = sub.add_parser(
        "distill",
        help="distil a saved classifier into a compact student on your data",
        description=textwrap.fill(
            "Distil a fitted classifier saved with skops (the teacher) into a compact "
            "student trained on a CSV or parquet file: the student learns from a blend "
            "of the teacher's temperature-softened probabilities (weight alpha) and the "
            "labels (weight 1 - alpha). A share of the labeled rows is held out to "
            "compare the teacher, the student fitted on labels alone and the distilled "
            "student. Outputs are written atomically, and only if every step succeeds.",
            width=80,
        ),
        epilog=_students_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs = distill.add_argument_group("inputs")
    inputs.add_argument(
        "--teacher",
        required=True,
        metavar="FILE",
        help="the fitted classifier: a .skops file (skdistill.export.save); a "
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

    student = distill.add_argument_group("student and distillation")
    student.add_argument(
        "--student",
        required=True,
        metavar="SPEC",
        help="the student: NAME or NAME:key=value,... with NAME one of "
        f"{', '.join(_STUDENTS)} (listed below)",
    )
    student.add_argument(
        "--temperature",
        type=_temperature,
        metavar="T",
        help="softmax temperature of the teacher's logits, from 1 to 100; higher is "
        "softer (default: 1)",
    )
    student.add_argument(
        "--alpha",
        type=_unit_interval,
        metavar="A",
        help="weight of the teacher's soft targets in [0, 1]: 1 = teacher only, 0 = "
        "labels only (default: 0.5)",
    )
    student.add_argument(
        "--search",
        action="store_true",
        help="choose temperature and alpha by cross-validation on the labeled "
        "training rows (ROC-AUC for two classes, else accuracy) over alpha=0 (hard "
        "labels) and temperature {1, 3, 10} x alpha {0.5, 0.9, 1}; ties go to alpha=0. "
        "Not with --temperature/--alpha",
    )
    student.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        metavar="F",
        help="share of the labeled rows held out to score teacher and students, in "
        "[0, 1); the student is trained on the rest (default: 0.2)",
    )
    student.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the split, search and student (default: 0)",
    )

    outputs = distill.add_argument_group("outputs")
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
        help="write a Markdown report: teacher, hard-label and distilled student side by "
        "side on the held-out rows, and the search results",
    )
    outputs.add_argument(
        "--force",
        action="store_true",
        help="overwrite output files that already exist (only once every output of "
        "the run is written; a failed run leaves them as they were)",
    )
    outputs.add_argument(
        "--json", action="store_true", help="print the summary as JSON on stdout"
    )
    outputs.add_argument(
        "--quiet",
        action="store_true",
        help="no progress messages on stderr (the summary and warnings are still printed)",
    )
    distill.set_defaults(handler=_run_distill, parser=distill)


def _parser():
    parser = argparse.ArgumentParser(
        prog="skdistill",
        description="Knowledge distillation for scikit-learn: compress a fitted model "
        "into a compact student.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_demo(sub)
    _add_distill(sub)
    return parser


def main(argv=None):
    """Entry point of the ``skdistill`` command; returns the exit status.

    Everything heavy (scikit-learn, pandas, the student frameworks) is imported
    inside the handler, so a Ctrl-C at any point, imports included, ends with
    status 130 and one line, not a traceback.
    """
    parser = None
    try:
        args = _parser().parse_args(argv)
        parser = getattr(args, "parser", None)
        return args.handler(args)
    except _UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return _USAGE_ERROR
    except _CommandError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return _RUNTIME_ERROR
    except KeyboardInterrupt:
        prog = parser.prog if parser is not None else "skdistill"
        print(f"\n{prog}: interrupted; no output written.", file=sys.stderr)
        return _INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
