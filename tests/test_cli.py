"""The ``skdistill`` command, run as a user would."""

import json
import subprocess
import sys

import pytest

from skdistill.cli import main


def test_demo_quick_writes_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--quiet", "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((out / "report.json").read_text())
    assert [r["dataset"] for r in printed] == [r["dataset"] for r in saved]
    assert len(saved) == 2
    for result in saved:
        names = [row["model"] for row in result["rows"]]
        assert names == ["teacher", "hard-label tree", "distilled tree"]
        teacher, hard, distilled = result["rows"]
        assert teacher["fidelity"] == 1.0
        assert distilled["size_ratio"] > 10
        assert 0.5 < distilled["roc_auc"] <= 1.0
        assert 0.0 <= result["best_params"]["alpha"] <= 1.0
    report = (out / "report.md").read_text()
    assert "| distilled tree |" in report
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]


def test_help_lists_the_demo():
    result = subprocess.run(
        [sys.executable, "-m", "skdistill.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "demo" in result.stdout


def test_unknown_command_exits_nonzero(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["nope"])
    assert excinfo.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
