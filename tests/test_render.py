"""A report as text, Markdown, HTML and JSON (skdistill/report/_render.py)."""

import json
import math

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier
from skdistill.report import DistillationReport, Verdict
from skdistill.report._render import (
    best_and_hard,
    jsonable,
    markdown_html,
    search_markdown,
    search_results,
)


@pytest.fixture
def report():
    """Rows as distillation_report makes them (numpy numbers, a NaN) and a verdict."""
    verdict = Verdict("distilled tree", "roc_auc", (0.91, 0.93), (0.85, 0.86), 0.01)
    rows = [
        {"model": "teacher", "accuracy": np.float64(0.9), "roc_auc": 0.95,
         "size_bytes": 1_500_000, "size_ratio": 1.0, "speedup_sklearn": 1.0,
         "verdict": None},
        {"model": "hard-label tree", "accuracy": 0.8, "roc_auc": float("nan"),
         "size_bytes": 8_200, "size_ratio": 183.0, "speedup_sklearn": 0.5,
         "verdict": None},
        {"model": "distilled tree", "accuracy": 0.85, "roc_auc": 0.92,
         "size_bytes": 16_300, "size_ratio": 92.0, "speedup_sklearn": 21.0,
         "verdict": "paid off on roc_auc +0.0650 (se 0.0100)"},
    ]  # fmt: skip
    return DistillationReport(rows, [verdict])


def test_text_says_which_way_the_ratios_go(report):
    lines = report.to_text().splitlines()
    assert lines[0].split() == [
        "model", "accuracy", "ROC-AUC", "size", "smaller", "faster", "(sklearn)"
    ]  # fmt: skip
    assert lines[1].split() == ["teacher", "0.900", "0.950", "1.5", "MB", "1.0x", "1.0x"]
    assert lines[2].split()[2:] == ["0.800", "n/a", "8.2", "kB", "183x", "2.0x", "SLOWER"]
    assert lines[4] == ""  # the verdicts, after a blank line
    assert lines[5].startswith("Verdict, distilled tree vs the same student on hard labels")
    assert report.to_text(["accuracy"], width=40).splitlines()[1].split() == [
        "teacher",
        "0.900",
    ]


def test_markdown_html_and_json_carry_the_same_report(report):
    markdown = report.to_markdown()
    assert "| distilled tree | 0.8500 | 0.9200 |" in markdown
    assert "| distilled tree | roc_auc |" in markdown  # the verdict table
    page = report.to_html(title="Fraud model")
    assert page.startswith("<!DOCTYPE html>") and "<title>Fraud model</title>" in page
    assert "<h1>Fraud model</h1>" in page and page.count("<table>") == 2
    assert '<td class="num">0.8500</td>' in page and "<td>n/a</td>" not in page
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))  # valid JSON
    assert [row["model"] for row in data["rows"]] == [row["model"] for row in report]
    assert data["rows"][1]["roc_auc"] is None  # NaN -> null
    assert data["verdicts"][0]["outcome"] == "better"


def test_jsonable_turns_numpy_and_nan_into_plain_values():
    value = {1: np.arange(2), "x": (np.float32(0.5), math.inf), "y": [np.bool_(True)]}
    assert jsonable(value) == {"1": [0, 1], "x": [0.5, None], "y": [True]}


def test_markdown_html_inlines_images_and_escapes_text():
    markdown = "# A <b>\n\n- **bold** and `code`\n\n![a plot](p.png)\n\n![gone](q.png)"
    page = markdown_html(markdown, title="t", images={"p.png": b"\x89PNG"})
    assert "<h1>A &lt;b&gt;</h1>" in page
    assert "<li><strong>bold</strong> and <code>code</code></li>" in page
    assert page.count("<img ") == 1 and 'src="data:image/png;base64,iVBORw=="' in page


@pytest.mark.parametrize("pipeline", [False, True], ids=["distiller", "pipeline"])
def test_search_table_of_an_uneven_grid(pipeline):
    """alpha=0 at one temperature only (as ``skdistill distill --search``): empty
    cells elsewhere; the chosen candidate in bold; also through a Pipeline."""
    X, y = make_classification(n_samples=120, random_state=0)
    teacher = LogisticRegression().fit(X, y)
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=2), random_state=0
    )
    prefix = ""
    if pipeline:
        model, prefix = make_pipeline(StandardScaler(), model), "distilledclassifier__"
    grid = [
        {f"{prefix}alpha": [0.0], f"{prefix}temperature": [1.0]},
        {f"{prefix}alpha": [0.5, 1.0], f"{prefix}temperature": [1.0, 3.0]},
    ]
    search = GridSearchCV(model, grid, cv=2).fit(X, y)
    results = search_results(search)
    assert [(r["alpha"], r["temperature"]) for r in results] == [
        (0.0, 1.0),
        (0.5, 1.0),
        (0.5, 3.0),
        (1.0, 1.0),
        (1.0, 3.0),
    ]
    best, hard = best_and_hard(results)
    assert results.index(best) == search.best_index_ and hard is results[0]
    lines = search_markdown(results).splitlines()
    assert lines[0] == "| alpha \\ temperature | 1 | 3 |"
    assert lines[2].startswith("| 0 (hard labels) | ") and lines[2].endswith(" |  |")
    assert sum(line.count("**") for line in lines) == 2  # one cell in bold
