"""Reports as text, Markdown, HTML and JSON: every format in one place.

:class:`~skdistill.report.DistillationReport` renders itself through these
functions, and so do both commands of the ``skdistill`` command line (the tables,
the verdicts, the search over temperature and alpha, the HTML page and the JSON
values), so that a number reads the same wherever it is shown.
"""

import base64
import html
import math
import re
import textwrap
from numbers import Integral, Real

import numpy as np

from .._io import format_size
from ._models import distiller_prefix
from ._verdict import _pm, verdict_markdown

__all__ = [
    "best_and_hard",
    "compared",
    "cost_sentences",
    "format_markdown",
    "format_text",
    "jsonable",
    "markdown_html",
    "report_dict",
    "report_markdown",
    "report_text",
    "search_markdown",
    "search_results",
    "serving_lines",
    "times",
]

# -- Markdown ---------------------------------------------------------------------------


def format_markdown(rows):
    """A Markdown table of report rows, one line per model.

    Parameters
    ----------
    rows : DistillationReport, list of dict or DataFrame
        Output of :func:`distillation_report` (or its ``table``). Every key but
        ``verdict`` becomes a column (:meth:`DistillationReport.to_markdown`
        adds the verdicts below the table).

    Returns
    -------
    table : str
        The table; missing values read ``n/a``, ratios ``12.3x``, and
        ``complexity`` joins its unit (``"1,023 nodes"``).

    See Also
    --------
    DistillationReport.to_markdown : The table with the verdicts.
    DistillationReport.to_text : The table as plain text.

    Examples
    --------
    >>> from skdistill.report import format_markdown
    >>> print(format_markdown([{"model": "m", "roc_auc": 0.91234, "size_ratio": 140.0}]))
    | model | roc_auc | size_ratio |
    |---|---|---|
    | m | 0.9123 | 140.0x |
    """
    if hasattr(rows, "reset_index"):  # a DataFrame indexed by model
        rows = rows.reset_index().to_dict("records")
    hidden = {"verdict", "complexity_unit", "serving"}
    columns = list(dict.fromkeys(key for row in rows for key in row if key not in hidden))
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row, column) for column in columns) + " |")
    return "\n".join(lines)


def _cell(row, column, *, plain=False):
    """One cell, ``n/a`` when missing: for Markdown, 4 decimals and ratios as
    ``12.3x``; ``plain`` (text tables), 3 decimals, sizes in kB or MB, and ratios
    that say which way they go (``4.9x LARGER``)."""
    value = row.get(column)
    if _missing(value):
        return "n/a"
    if isinstance(value, str):
        return value
    if column == "complexity":
        return f"{value:,} {row.get('complexity_unit') or ''}".strip()
    if column in ("latency_ms", "fastest_latency_ms"):
        return f"{value:.3f}"
    if plain and column == "size_bytes":
        return format_size(value)
    if column in _WORSE:
        return times(value, _WORSE[column]) if plain else f"{value:.1f}x"
    if isinstance(value, Integral) or column == "rows_per_s":
        return f"{value:,.0f}"
    return f"{value:.3f}" if plain else f"{value:.4f}"


#: Ratio columns (teacher / model), and the word for a model worse than the teacher.
_WORSE = {"size_ratio": "LARGER", "speedup_sklearn": "SLOWER", "speedup_fastest": "SLOWER"}


def _missing(value):
    return value is None or (isinstance(value, Real) and math.isnan(value))


_VERDICT_INTRO = (
    "Verdicts: each distilled student and the same student on hard labels (alpha=0), "
    "refitted on the same training rows over the same seeds and scored on these "
    "held-out rows; mean ± sd over seeds; gain = distilled - hard labels (negative is "
    "better for log_loss, brier and ece). A gain is clear when it exceeds twice its "
    "standard error (gain se: spread over seeds and a bootstrap of the held-out rows)."
)


_SERVING_INTRO = (
    "Speed: median single-row latency, one thread. `latency_ms` and `speedup_sklearn` "
    "time every model through the scikit-learn API (`predict_proba`); "
    "`speedup_fastest` compares like for like, the teacher on its own fastest serving "
    "path against the model on its own (`fastest_path`, `fastest_latency_ms`). Paths "
    "tried, and why a model could not take one:"
)


def serving_lines(report):
    """One Markdown bullet per model: each serving path's latency, or why the model
    could not take it (empty when the report has no ``serving`` column)."""
    lines = []
    for row in report:
        serving = row.get("serving")
        if not serving:
            continue
        parts = []
        for path, value in serving.items():
            if isinstance(value, str):
                parts.append(f"{path} {value}")
            else:
                fastest = " (fastest)" if path == row.get("fastest_path") else ""
                parts.append(f"{path} {value:.3f} ms{fastest}")
        lines.append(f"- **{row['model']}**: " + "; ".join(parts))
    return lines


def report_markdown(report):
    """The report's table, the serving paths, then its verdicts (a table and one
    sentence per student)."""
    parts = [format_markdown(report)]
    serving = serving_lines(report)
    if serving:
        parts += [_SERVING_INTRO, "\n".join(serving)]
    if report.verdicts:
        parts += [_VERDICT_INTRO, verdict_markdown(report.verdicts)]
    sentences = [
        f"- **{row['model']}**: {row['verdict']}" for row in report if row.get("verdict")
    ]
    if sentences:
        parts.append("\n".join(sentences))
    return "\n\n".join(parts)


# -- plain text -------------------------------------------------------------------------

#: Column headers of the text tables.
_LABELS = {
    "accuracy": "accuracy",
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "log_loss": "log-loss",
    "brier": "Brier",
    "ece": "ECE",
    "fidelity": "fidelity",
    "prob_mad": "prob-MAD",
    "kl_to_teacher": "KL",
    "size_bytes": "size",
    "size_ratio": "smaller",
    "complexity": "complexity",
    "latency_ms": "ms/row (sklearn)",
    "rows_per_s": "rows/s",
    "speedup_sklearn": "faster (sklearn)",
    "fastest_path": "fastest path",
    "fastest_latency_ms": "ms/row (fastest)",
    "speedup_fastest": "faster (fastest paths)",
}

#: The columns of a text table when none are named.
_TEXT_COLUMNS = (
    "accuracy",
    "roc_auc",
    "log_loss",
    "fidelity",
    "size_bytes",
    "size_ratio",
    "latency_ms",
    "speedup_sklearn",
    "fastest_path",
    "fastest_latency_ms",
    "speedup_fastest",
)


def _label(column):
    recall = re.fullmatch(r"recall_at_(.+)_fpr", column)
    return f"recall@{recall.group(1)}FPR" if recall else _LABELS.get(column, column)


def format_text(rows, columns=None, *, indent=""):
    """Report rows as a plain table: the model left-aligned, numbers right-aligned."""
    rows = list(rows)
    if columns is None:
        columns = [c for c in _TEXT_COLUMNS if any(c in row for row in rows)]
    table = [["model", *map(_label, columns)]]
    table += [
        [str(row["model"]), *(_cell(row, c, plain=True) for c in columns)] for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]

    def line(cells):
        text = "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return (indent + text).rstrip()

    return "\n".join(map(line, table))


def report_text(report, columns=None, *, width=88):
    """The table as plain text, then one wrapped sentence per student's verdict."""
    verdicts = []
    for row in report:
        if row.get("verdict"):
            text = f"Verdict, {row['model']} vs the same student on hard labels: "
            verdicts += textwrap.wrap(text + row["verdict"], width, subsequent_indent="  ")
    return "\n".join([format_text(report, columns), *([""] if verdicts else []), *verdicts])


# -- sizes and speeds against the teacher ------------------------------------------------


def times(ratio, worse):
    """teacher / model in a "smaller" or "faster" column: ``"12x"``, ``"1.5x"``, or
    ``"4.9x LARGER"`` below 1 (``worse`` names that direction)."""
    if 0 < ratio < 1:
        return f"{times(1 / ratio, worse)} {worse}"
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def compared(ratio, better, worse, same):
    """``ratio`` (teacher / model) in words, e.g. ``"5.1x smaller than the teacher"``
    or ``"4.9x LARGER than the teacher"``: never a bare ratio to misread."""
    if not math.isfinite(ratio) or ratio <= 0:
        return f"of unknown {same} next to the teacher"
    if abs(math.log(ratio)) < math.log(1.05):
        return f"about the {same} of the teacher ({ratio:.2f}x)"
    if ratio >= 1:
        return f"{ratio:.1f}x {better} than the teacher"
    return f"{1 / ratio:.1f}x {worse} than the teacher"


def cost_sentences(report):
    """One Markdown bullet per model: its size and single-row speed against the
    teacher's, through the scikit-learn API and like for like (each on its fastest
    serving path)."""
    rows = list(report)
    teacher = next((row for row in rows if row["model"] == "teacher"), {})
    lines = []
    for row in rows:
        if row["model"] == "teacher":
            continue
        size = compared(row["size_ratio"], "smaller", "LARGER", "size")
        speed = compared(row["speedup_sklearn"], "faster", "SLOWER", "speed")
        line = f"- {row['model']} is {size}; through the scikit-learn API it is {speed}"
        if "speedup_fastest" in row:
            fair = compared(row["speedup_fastest"], "faster", "SLOWER", "speed")
            line += (
                f"; like for like it is {fair} (teacher on "
                f"{teacher.get('fastest_path')}, {row['model']} on {row['fastest_path']})"
            )
        lines.append(line + ".")
    return lines


# -- the search over temperature and alpha ----------------------------------------------


def search_results(search):
    """Each candidate of a fitted search over a distiller's temperature and alpha.

    Returns a list of dicts with ``temperature``, ``alpha``, ``mean``, ``std`` and
    ``rank`` (of the refit score), in the search's order.
    """
    results = search.cv_results_
    prefix = distiller_prefix(search.estimator) or ""
    fixed = search.estimator.get_params()

    def value(params, name):
        name = prefix + name
        return float(params.get(name, fixed.get(name, math.nan)))

    return [
        {
            "temperature": value(params, "temperature"),
            "alpha": value(params, "alpha"),
            "mean": float(results["mean_test_score"][i]),
            "std": float(results["std_test_score"][i]),
            "rank": int(results["rank_test_score"][i]),
        }
        for i, params in enumerate(results["params"])
    ]


def best_and_hard(results):
    """The chosen candidate (the first of rank 1, as a search picks it) and the best
    one on hard labels (``alpha=0``, None if not searched), from
    :func:`search_results`."""
    best = min(results, key=lambda r: r["rank"])
    hard = [r for r in results if r["alpha"] == 0]
    return best, (min(hard, key=lambda r: r["rank"]) if hard else None)


def search_markdown(results):
    """The search as a Markdown grid: one line per alpha, one column per
    temperature, each cell ``mean ± std``; the chosen candidate in bold."""
    best, _ = best_and_hard(results)
    alphas = sorted({r["alpha"] for r in results})
    temperatures = sorted({r["temperature"] for r in results})
    cells = {(r["alpha"], r["temperature"]): r for r in results}
    lines = [
        "| alpha \\ temperature | " + " | ".join(f"{t:g}" for t in temperatures) + " |",
        "|---" * (len(temperatures) + 1) + "|",
    ]
    for alpha in alphas:
        row = []
        for temperature in temperatures:
            result = cells.get((alpha, temperature))
            text = "" if result is None else _pm(result["mean"], result["std"])
            row.append(f"**{text}**" if result is best else text)
        name = "0 (hard labels)" if alpha == 0 else f"{alpha:g}"
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


# -- JSON -------------------------------------------------------------------------------


def jsonable(value):
    """``value`` with numpy scalars and arrays as Python ones, tuples as lists and
    NaN or infinity as None (JSON null)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_dict(report):
    """The rows and the verdicts, ready for ``json.dumps``."""
    return jsonable(
        {"rows": list(report), "verdicts": [v.as_dict() for v in report.verdicts]}
    )


# -- HTML -------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #222; }
h1, h2, h3 { line-height: 1.2; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2.5rem; }
.table { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; white-space: nowrap; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { display: inline-block; margin: .5rem; max-width: 34rem; vertical-align: top; }
figure img { max-width: 100%; }
figcaption { font-size: .85rem; color: #555; }
code { background: #f3f3f3; padding: 0 .2rem; }
"""

_NUMERIC = re.compile(r"[-+]?[\d,.]+( ?[±x%]| ±.*| [a-z]+)?$|n/a")


def _inline(text):
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _html_table(lines):
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    head, body = rows[0], rows[2:]  # rows[1] is the |---| line

    def cell(i, text):
        numeric = i > 0 and _NUMERIC.match(text.strip("*"))
        attribute = ' class="num"' if numeric else ""
        return f"<td{attribute}>{_inline(text)}</td>"

    out = [
        "<thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr></thead>"
    ]
    out += [
        "<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in body
    ]
    return '<div class="table"><table>' + "".join(out) + "</table></div>"


def markdown_html(markdown, *, title, images=None):
    """A self-contained HTML page of Markdown written by skdistill, PNGs inlined.

    The Markdown is skdistill's own, so a small subset is enough: headings, bullet
    lists, tables, images on lines of their own (``images`` maps their file names
    to PNG bytes), paragraphs, bold and inline code.
    """
    images = images or {}
    body, block, kind = [], [], None

    def close():
        if kind == "p":
            body.append(f"<p>{_inline(' '.join(block))}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block) + "</ul>")
        elif kind == "table":
            body.append(_html_table(block))
        block.clear()

    for line in markdown.splitlines():
        image = re.fullmatch(r"!\[(.*)\]\((.+)\)", line)
        heading = re.fullmatch(r"(#{1,3}) (.*)", line)
        this = (
            "table"
            if line.startswith("|")
            else "ul"
            if line.startswith("- ")
            else "p"
            if line.strip() and not (image or heading)
            else None
        )
        if this != kind or this is None:
            close()
        kind = this
        if this == "ul":
            block.append(line[2:])
        elif this is not None:
            block.append(line)
        elif heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif image and image.group(2) in images:
            data = base64.b64encode(images[image.group(2)]).decode("ascii")
            caption = html.escape(image.group(1))
            body.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
                f"<figcaption>{caption} (<code>{html.escape(image.group(2))}</code>)"
                "</figcaption></figure>"
            )
    close()
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
