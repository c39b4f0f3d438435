"""distillation_report and its helpers."""

import numpy as np
import pytest

from skdistill.report import fidelity_score, format_markdown, model_size


def test_report_on_dataframe_pipelines():
    """The report keeps DataFrames whole, so column-based pipelines work."""
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdistill import DistilledClassifier
    from skdistill.report import distillation_report

    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    columns = list(X.columns[:5])
    teacher = make_pipeline(
        make_column_transformer((StandardScaler(), columns)), LogisticRegression()
    ).fit(X, y)
    student = DistilledClassifier(teacher, random_state=0).fit(X, y)
    rows = distillation_report(teacher, {"student": student}, X, y, latency_repeats=3)
    assert isinstance(X, pd.DataFrame)
    assert rows[1]["fidelity"] > 0.8
    assert "| student |" in format_markdown(rows)


def test_fidelity_and_size():
    assert fidelity_score(np.array(["a", "b"]), np.array(["a", "a"])) == 0.5
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=1).fit([[0], [1]], [0, 1])
    assert model_size(tree) > 0


def test_format_markdown_marks_missing_values():
    rows = [{"model": "m", "accuracy": 0.5, "pr_auc": float("nan")}]
    table = format_markdown(rows)
    assert table.splitlines()[0] == "| model | accuracy | pr_auc |"
    assert table.splitlines()[2] == "| m | 0.5000 | n/a |"
