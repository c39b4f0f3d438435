"""``skdistill distill --student auto``: run the compression frontier, keep the cheapest
student within ``--tolerance`` of the teacher's ``--metric``.

Writes the selected student (``--out``), the table of every candidate
(``<out>_frontier.csv``) and the frontier plot (``<out>_frontier.png``), together or
not at all. Reads data and the teacher like ``skdistill distill`` (its helpers).
"""

import argparse
import io
import json
from pathlib import Path

from ._common import CapturedWarnings, CommandError, Progress, UsageError, atomic_outputs

__all__ = ["frontier_outputs", "run_frontier"]

_PROG = "skdistill distill"

#: Options of ``skdistill distill`` that ``--student auto`` does not take, and why.
_REFUSED = {
    "search": "--search (the frontier searches temperature and alpha itself)",
    "temperature": "--temperature (searched by the frontier)",
    "alpha": "--alpha (searched by the frontier)",
    "unlabeled": "--unlabeled",
    "onnx": "--onnx (export the selected student with skdistill.export.to_onnx)",
    "report": "--report (the table and the plot are written beside --out)",
}


def frontier_outputs(out):
    """The table and plot paths written beside ``--out``."""
    out = Path(out)
    stem = out.with_suffix("")
    return Path(f"{stem}_frontier.csv"), Path(f"{stem}_frontier.png")


def _check(args):
    given = [text for key, text in _REFUSED.items() if getattr(args, key, None)]
    if given:
        raise UsageError(
            f"--student auto does not take {', '.join(given)}; leave them out, or "
            "name one student (e.g. --student tree)."
        )
    from . import _distill

    # Input files, --out and --test-size are checked as for any student.
    _distill._check_command_line(argparse.Namespace(**{**vars(args), "student": "tree"}))
    for path in frontier_outputs(args.out):
        if path.exists() and not args.force:
            raise UsageError(
                f"{path} (written beside --out) already exists; pass --force to "
                "overwrite it, or choose another --out."
            )
    if args.test_size == 0:
        raise UsageError(
            "--student auto scores the selected student on held-out rows; pass "
            "--test-size > 0."
        )
    from ..frontier._search import _resolve_scoring

    try:
        _resolve_scoring(args.metric)
    except ValueError as exc:
        raise UsageError(f"--metric {args.metric!r}: {exc}") from None


def _read(args):
    """Teacher and rows, as ``skdistill distill`` reads them."""
    import numpy as np

    from . import _distill

    frame = _distill._read_table(args.data, "--data")
    if args.target not in frame.columns:
        raise UsageError(
            f"--target {args.target!r} is not a column of {args.data}; its columns are: "
            f"{', '.join(map(str, frame.columns))}."
        )
    teacher = _distill._load_teacher(args)
    frame.columns = [str(c) for c in frame.columns]
    columns = [c for c in frame.columns if c != args.target]
    features = _distill._feature_columns(teacher, columns, option="--data", path=args.data)
    X = _distill._features_of(frame, features, teacher, option="--data", path=args.data)
    _, text = _distill._column_kinds(X, option="--data", path=args.data)
    if text:
        raise CommandError(
            f"--student auto needs numeric columns, and {args.data} has text or "
            f"categorical column(s) {', '.join(text)}. Encode them as numbers, or name "
            "one student (which then one-hot encodes them itself)."
        )
    _distill._check_teacher_takes(teacher, X, option="--data", path=args.data)
    y = _distill._labels(frame, args.target, np.asarray(teacher.classes_), args.data)
    train, test = _distill._split(y, args.test_size, args.seed)
    take = _distill._take
    return teacher, take(X, train), y[train], take(X, test), y[test]


def run_frontier(args):
    """Run the frontier for ``skdistill distill --student auto``; return 0."""
    _check(args)
    progress = Progress(_PROG, quiet=args.quiet)
    with CapturedWarnings(_PROG):
        progress.message(f"Reading {args.data} and the teacher {args.teacher} ...")
        teacher, X, y, X_test, y_test = _read(args)
        from ..frontier import CompressionSearch

        progress.message(
            f"Sweeping students (hard and distilled) on {len(y)} rows, "
            f"{len(y_test)} held out ..."
        )
        search = CompressionSearch(
            teacher,
            "auto",
            scoring=args.metric,
            tolerance=args.tolerance,
            random_state=args.seed,
            verbose=0 if args.quiet else 1,
        )
        try:
            search.fit(X, y, X_test=X_test, y_test=y_test)
        except (ValueError, TypeError) as exc:
            raise CommandError(f"the frontier failed: {exc}") from None
    sizes = _write(args, search)
    summary = _summary(args, search, sizes)
    print(json.dumps(summary, indent=2) if args.json else _text(summary))
    return 0


def _write(args, search):
    from .. import export
    from ..report import CompressionFrontierDisplay

    table_path, plot_path = frontier_outputs(args.out)
    result = search.result_
    columns = [key for key in result.rows[0] if key != "warnings"] if result.rows else []
    table = io.StringIO()
    _csv(table, result.rows, columns)
    display = CompressionFrontierDisplay.from_estimator(search)
    display.figure_.set_size_inches(9, 6)
    image = io.BytesIO()
    display.figure_.savefig(image, format="png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(display.figure_)
    sizes = {}
    with atomic_outputs(overwrite=args.force) as files:
        staged = files.path(args.out)
        export.save(search.best_estimator_, staged, overwrite=True, drop_teacher=True)
        sizes[str(args.out)] = Path(staged).stat().st_size
        for path, data in (
            (table_path, table.getvalue().encode()),
            (plot_path, image.getvalue()),
        ):
            files.write(path, data)
            sizes[str(path)] = len(data)
        files.commit()
    return sizes


def _csv(stream, rows, columns):
    import csv

    writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


def _summary(args, search, sizes):
    from ..report._render import jsonable

    selection = search.selection_
    row = selection.row
    teacher = search.result_.teacher
    return jsonable(
        {
            "selected": {
                key: row[key]
                for key in (
                    "family",
                    "capacity",
                    "kind",
                    "params",
                    "val_score",
                    "test_score",
                    "size_bytes",
                    "latency_s",
                    "latency_path",
                )
            },  # fmt: skip
            "teacher": teacher,
            "size_ratio": teacher["size_bytes"] / row["size_bytes"],
            "latency_ratio": teacher["latency_s"] / row["latency_s"],
            "evidence": selection.evidence,
            "within_tolerance": selection.within_tolerance,
            "confirmed": selection.confirmed,
            "best_score": search.best_score_,
            "validation": search.result_.validation,
            "biased": search.result_.biased,
            "sweep": search.result_.message,
            "outputs": sizes,
        }
    )


def _text(summary):
    selected = summary["selected"]
    lines = [
        f"Selected: {selected['family']} {selected['capacity']} ({selected['kind']}"
        + (f", {selected['params']}" if selected["kind"] != "hard" else "")
        + ").",
        summary["evidence"],
        f"It is {summary['size_ratio']:.0f}x smaller than the teacher and "
        f"{summary['latency_ratio']:.0f}x faster per row ({selected['latency_path']} "
        "path; the teacher through scikit-learn).",
        f"Sweep: {summary['sweep']}.",
        "Wrote " + ", ".join(summary["outputs"]) + ".",
    ]
    return "\n".join(lines)
