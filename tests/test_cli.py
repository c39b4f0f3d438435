"""The ``skdistill`` command, run as a user would.

``distill`` runs end to end on files written here: in a subprocess for the happy
path and one usage error, in-process through ``main`` (same code path, without the
seconds of interpreter start-up) for the other cases.
"""

import contextlib
import importlib.util
import io
import json
import operator
import os
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from skdistill import export
from skdistill.cli import _parser, main
from skdistill.cli._distill import _parse_student_spec

#: The function of the ``negated.skops`` teacher, a type skops and skdistill do not trust.
NEGATE = "_operator.neg"


# -- skdistill demo ----------------------------------------------------------------------

HAS_LIGHTGBM = importlib.util.find_spec("lightgbm") is not None
HAS_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "skorch"))
#: Optional packages the demo could use, absent after ``pip install .`` (numpy, scipy
#: and scikit-learn only). pandas and pyarrow stay: scikit-learn looks them up in
#: ``sys.modules`` and the demo never imports them.
CORE_INSTALL_MISSING = (
    "matplotlib", "lightgbm", "xgboost", "tqdm", "skops", "torch", "skorch"
)  # fmt: skip
REPORTS = {"report.md", "report.html", "report.json"}
PLOTS = {
    "digits_search.png",
    "digits_reliability.png",
    "digits_fidelity.png",
    "fraud_search.png",
    "fraud_roc.png",
    "fraud_pr.png",
    "fraud_fidelity.png",
} | ({"fraud_loss.png"} if HAS_LIGHTGBM else set())


def _run_demo(argv, hidden=()):
    """``main(argv)`` in-process, ``hidden`` modules unimportable: (status, out, err)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for module in hidden:
            patch.setitem(sys.modules, module, None)  # ``import module`` now fails
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = main(argv)
    return status, stdout.getvalue(), stderr.getvalue()


def _snapshot(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """``skdistill demo --quick`` twice into one folder, as a user would run it.

    First with the optional packages installed here (plots; LightGBM when present),
    then as after the README's core install (CORE_INSTALL_MISSING hidden) with
    --json: the second run replaces the first's files and removes its plots, and
    leaves a file of the user's alone.
    """
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("demo") / "skdistill-demo"
    full = _run_demo(["demo", "--quick", "--out", str(out)])
    full_files = _snapshot(out)
    (out / "notes.txt").write_text("mine")
    core = _run_demo(
        ["demo", "--quick", "--json", "--out", str(out)],
        hidden=CORE_INSTALL_MISSING,
    )
    return {"out": out, "full": (*full, full_files), "core": (*core, _snapshot(out))}


def test_demo_full(demo_runs):
    status, out, err, files = demo_runs["full"]
    assert status == 0, err
    assert set(files) == REPORTS | PLOTS  # and no temporary file left behind
    # Progress: one line per stage, on stderr.
    n_stages = 7 + HAS_LIGHTGBM + HAS_TORCH
    assert f"[1/{n_stages}] digits: fitting the teacher" in err
    assert f"[{n_stages}/{n_stages}] drawing the plots" in err
    assert "grid search over temperature x alpha (6 candidates x 3 folds)" in err
    assert "Traceback" not in err and "Warning" not in err
    # The tables, the verdicts and, last, the output folder.
    assert "== Part 1/2. Digits (10 classes) ==" in out
    assert "== Part 2/2. Synthetic fraud" in out
    assert re.search(r"^distilled tree +0\.\d{3} ", out, re.MULTILINE)
    assert out.count("Verdict, distilled tree vs the same student on hard labels") == 2
    folder = str(demo_runs["out"].resolve())
    assert f"and {len(PLOTS)} plots (PNG) to {folder}" in out
    assert out.rstrip().endswith(f"Open {folder}/report.html in a browser to see them.")

    report = json.loads(files["report.json"])
    assert report["generator"] == "skdistill demo"
    assert (report["quick"], report["plots"], report["lightgbm"]) == (
        True,
        True,
        HAS_LIGHTGBM,
    )
    assert set(report["files"]) == REPORTS | PLOTS
    digits, fraud = report["parts"]
    students = ["hard-label tree", "distilled tree"]
    if HAS_LIGHTGBM:
        students += ["hard-label LightGBM", "distilled LightGBM"]
    assert [row["model"] for row in digits["rows"]] == ["teacher", *students[:2]]
    assert [row["model"] for row in fraud["rows"]] == ["teacher", *students]
    for part, n_classes in ((digits, 10), (fraud, 2)):
        assert part["n_classes"] == n_classes
        teacher, hard, distilled = part["rows"][:3]
        assert teacher["fidelity"] == 1.0
        assert distilled["size_ratio"] > 10 and hard["size_ratio"] > 10
        assert 0.5 < distilled["roc_auc"] <= 1.0
        assert distilled["verdict"] and hard["verdict"] is None
        search = part["search"]
        assert len(search["results"]) == 6  # 3 alphas x 2 temperatures
        assert {r["alpha"] for r in search["results"]} == {0.0, 0.5, 1.0}
        best = min(search["results"], key=lambda r: r["rank"])
        hard_cv = max(r["mean"] for r in search["results"] if r["alpha"] == 0)
        assert best["mean"] >= hard_cv  # alpha=0 is a candidate: never worse
        assert search["best_params"] == {
            "alpha": best["alpha"],
            "temperature": best["temperature"],
        }
        names = [row["model"] for row in part["rows"]]
        assert {v["student"] for v in part["verdicts"]} == {
            name for name in names if name.startswith("distilled")
        }
    assert "recall_at_1%_fpr" in fraud["rows"][0] and "pr_auc" in fraud["rows"][0]
    assert set(digits["plots"] + fraud["plots"]) == PLOTS

    for name in PLOTS:
        assert files[name][:8] == b"\x89PNG\r\n\x1a\n" and len(files[name]) > 10_000
    markdown = files["report.md"].decode()
    assert "| distilled tree |" in markdown and "| 0 (hard labels) |" in markdown
    for name in PLOTS:
        assert f"]({name})" in markdown
    page = files["report.html"].decode()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count('src="data:image/png;base64,') == len(PLOTS)  # self-contained
    assert "<td>distilled tree</td>" in page


def test_demo_core_install(demo_runs):
    status, out, err, files = demo_runs["core"]
    assert status == 0, err
    # The earlier demo's folder is reused without --force: its files replaced, its
    # plots (not drawn this time) removed, the user's file kept.
    assert set(files) == REPORTS | {"notes.txt"}
    assert files["notes.txt"] == b"mine"
    # --json: stdout is the JSON report, as saved.
    report = json.loads(out)
    assert report == json.loads(files["report.json"])
    assert (report["plots"], report["lightgbm"], report["files"]) == (
        False,
        False,
        ["report.md", "report.html", "report.json"],
    )
    fraud = report["parts"][1]
    assert [row["model"] for row in fraud["rows"]] == [
        "teacher",
        "hard-label tree",
        "distilled tree",
    ]
    assert fraud["plots"] == []
    # Plain progress lines without tqdm; what is missing, and how to get it.
    assert "[1/7] digits: fitting the teacher" in err
    assert "[7/7] writing report.md, report.html and report.json" in err
    assert 'No plots: matplotlib is not installed; pip install "skdistill[plot]"' in err
    assert 'pip install "skdistill[lightgbm]"' in err
    assert str(demo_runs["out"].resolve()) in err
    markdown = files["report.md"].decode()
    assert "No plots: matplotlib is not installed" in markdown
    assert ".png" not in markdown
    assert "<img" not in files["report.html"].decode()


def test_demo_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    # Refused before any work: this returns at once.
    status, out, err = _run_demo(["demo", "--quick", "--out", str(tmp_path)])
    assert status == 2
    assert "skdistill demo: error:" in err and "pass --force" in err
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]
    (tmp_path / "a-file").write_text("")
    status, _, err = _run_demo(["demo", "--out", str(tmp_path / "a-file")])
    assert status == 2 and "is a file" in err
    status, _, err = _run_demo(["demo", "--out", str(tmp_path / "no" / "such")])
    assert status == 2 and "does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "thesis.tex"]


def test_demo_output_folder_rules(tmp_path):
    from skdistill.cli._common import UsageError
    from skdistill.cli._demo import _check_out, _write_outputs

    new = tmp_path / "new"
    assert _check_out(new, force=False) == []
    _write_outputs(new, {"fraud_roc.png": b"png", "report.json": "{}"}, [])
    assert sorted(p.name for p in new.iterdir()) == ["fraud_roc.png", "report.json"]
    # A report.json that is not the demo's does not make a folder the demo's.
    with pytest.raises(UsageError, match="--force"):
        _check_out(new, force=False)
    # --force: files of the demo's names are replaced, nothing else is touched.
    (new / "keep.png").write_bytes(b"yours")
    assert _check_out(new, force=True) == []
    _write_outputs(new, {"report.json": json.dumps({"generator": "skdistill demo"})}, [])
    assert (new / "keep.png").read_bytes() == b"yours"
    # An earlier demo's folder: its listed files (demo names only) may be replaced.
    earlier = {
        "generator": "skdistill demo",
        "files": ["report.md", "fraud_roc.png", "../outside.txt", "keep.png"],
    }
    (new / "report.json").write_text(json.dumps(earlier))
    assert _check_out(new, force=False) == ["report.md", "fraud_roc.png"]
    _write_outputs(new, {"report.json": "{}"}, ["fraud_roc.png"])
    assert sorted(p.name for p in new.iterdir()) == ["keep.png", "report.json"]


def test_demo_progress_bar_on_a_terminal():
    pytest.importorskip("tqdm")
    from skdistill.cli._common import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress("skdistill demo", total=2, quiet=False, stream=stream)
    for label in ("first", "second"):
        with progress.stage(label):
            pass
    progress.close()
    text = stream.getvalue()
    assert "[1/2] first ..." in text and "[2/2] second ..." in text
    assert "skdistill demo: 1/2 steps |" in text  # the bar
    assert set(progress.seconds) == {"first", "second"}
    quiet = Terminal()
    progress = Progress("skdistill demo", total=1, quiet=True, stream=quiet)
    with progress.stage("silent"):
        pass
    assert quiet.getvalue() == ""


def test_demo_help_explains_every_option(capsys):
    parser = _parser()
    demo = parser._subparsers._group_actions[0].choices["demo"]
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", "--help"])
    assert excinfo.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for action in demo._actions:
        assert action.help, action.option_strings
        assert action.option_strings[-1] in text
    assert 'pip install "skdistill[plot]"' in text


def test_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "skdistill.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "demo" in result.stdout
    assert "distill" in result.stdout


@pytest.mark.parametrize(
    "argv",
    [None, ["--help"], ["distill", "--help"], ["demo", "--help"], ["--version"]],
    ids=["import", "help", "distill-help", "demo-help", "version"],
)
def test_issue12_cli_starts_without_the_scientific_stack(argv):
    """``import skdistill.cli`` and ``--help`` load neither scikit-learn, numpy,
    scipy nor pandas: the command answers at once."""
    run = "" if argv is None else f"skdistill.cli.main({argv!r})"
    code = textwrap.dedent(
        f"""
        import sys
        import skdistill.cli
        try:
            {run or "pass"}
        except SystemExit as exc:
            assert exc.code == 0, exc.code
        heavy = {{"sklearn", "numpy", "scipy", "pandas"}}
        print(sorted({{m.split(".")[0] for m in sys.modules}} & heavy), file=sys.stderr)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"
    if argv is not None:
        assert "skdistill" in result.stdout


def test_unknown_command_exits_nonzero(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["nope"])
    assert excinfo.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# -- skdistill distill -------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Teachers (skops, pickle, corrupt) and CSV files in one folder."""
    pd = pytest.importorskip("pandas")
    sio = pytest.importorskip("skops.io")
    from sklearn.base import clone
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    folder = tmp_path_factory.mktemp("distill-inputs")
    X, y = make_classification(
        n_samples=360, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    X = pd.DataFrame(X, columns=["f0", "f1", "f2", "f3"])
    # The teacher is fitted on rows the student never sees, as in production.
    X_old, y_old = X[:160], y[:160]
    forest = RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0)
    forest.fit(X_old, y_old)
    sio.dump(forest, folder / "teacher.skops")
    with open(folder / "teacher.pkl", "wb") as handle:
        pickle.dump(forest, handle)
    boosted = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X_old, y_old)
    sio.dump(boosted, folder / "boosted.skops")
    negated = make_pipeline(FunctionTransformer(operator.neg), clone(forest)).fit(
        X_old, y_old
    )
    sio.dump(negated, folder / "negated.skops")
    (folder / "corrupt.skops").write_bytes(b"PK\x03\x04 a truncated zip archive")
    train = X[160:310].assign(label=y[160:310])
    train.to_csv(folder / "train.csv", index=False)
    train.drop(columns="f3").to_csv(folder / "three_features.csv", index=False)
    X[310:].to_csv(folder / "unlabeled.csv", index=False)
    X[310:].assign(label=-5)[["label", "f3", "f2", "f1", "f0"]].to_csv(
        folder / "unlabeled_with_target.csv", index=False
    )
    return folder


def _argv(files, out_dir, *extra, teacher="teacher.skops", student="tree:max_depth=3"):
    """``distill`` arguments; ``extra`` may repeat an option to override it. No
    ``--student`` with ``student=None``."""
    argv = [
        "distill",
        "--teacher",
        str(files / teacher),
        "--data",
        str(files / "train.csv"),
        "--target",
        "label",
        *(["--student", student] if student is not None else []),
        "--out",
        str(out_dir / "student.skops"),
    ]
    return argv + [str(a) for a in extra]


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _features(files, name="train.csv"):
    import pandas as pd

    return pd.read_csv(files / name).drop(columns="label", errors="ignore")


def test_distill_end_to_end_in_a_subprocess(files, tmp_path):
    report = tmp_path / "report.md"
    argv = _argv(files, tmp_path, "--temperature", 2, "--alpha", 0.7, "--report", report)
    result = subprocess.run(
        [sys.executable, "-m", "skdistill.cli", *argv, "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Reading" in result.stderr  # progress messages without --quiet
    summary = json.loads(result.stdout)
    assert (summary["temperature"], summary["alpha"]) == (2.0, 0.7)
    assert (summary["student"], summary["student_class"]) == (
        "tree",
        "DecisionTreeClassifier",
    )
    assert summary["rows"] == {"labeled": 150, "train": 120, "test": 30, "unlabeled": 0}
    assert [row["model"] for row in summary["scores"]] == [
        "teacher",
        "hard-label tree",
        "distilled tree",
    ]
    assert summary["scores"][2]["accuracy"] > 0.6
    # Only the outputs: no temporary file left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "student.skops"]
    assert set(summary["outputs"]) == {str(tmp_path / "student.skops"), str(report)}
    assert summary["types_to_trust"] == []

    model = export.load(tmp_path / "student.skops")
    X = _features(files)
    assert model.student_.get_depth() <= 3
    assert model.predict_proba(X).shape == (len(X), 2)
    assert (
        np.mean(model.predict(X) == export.load(files / "teacher.skops").predict(X)) > 0.7
    )

    text = report.read_text()
    assert "| distilled tree |" in text and "| teacher |" in text
    assert "temperature=2, alpha=0.7" in text


def test_usage_error_in_a_subprocess(files, tmp_path):
    argv = _argv(files, tmp_path, student="forest:n_estimators=5")
    result = subprocess.run(
        [sys.executable, "-m", "skdistill.cli", *argv], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "skdistill distill: error: unknown student 'forest'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "student.skops").exists()


def test_distill_search(files, tmp_path, capsys):
    report = tmp_path / "report.md"
    code, out, err = _run(
        _argv(files, tmp_path, "--search", "--json", "--report", report), capsys
    )
    assert code == 0, err
    assert "searching temperature x alpha" in err  # the progress indicator
    summary = json.loads(out)
    results = summary["search"]["results"]
    assert len(results) == 10
    hard = next(r for r in results if r["alpha"] == 0)
    best = min(results, key=lambda r: r["rank"])
    assert best["mean"] >= hard["mean"]  # alpha=0 is a candidate: never worse
    assert (summary["temperature"], summary["alpha"]) == (
        best["temperature"],
        best["alpha"],
    )
    text = " ".join(report.read_text().split())
    chosen = f"temperature={best['temperature']:g}, alpha={best['alpha']:g} (chosen by"
    assert chosen in text
    assert "## Search (3-fold cross-validation, roc_auc)" in text


def test_issue12_distill_without_student_fits_the_default_tree(files, tmp_path, capsys):
    """No --student: a depth-6 tree, said in the summary; --search says what it
    searches; --report FILE.html writes the report as a page."""
    export = pytest.importorskip("skdistill.export")
    page = tmp_path / "report.html"
    argv = _argv(files, tmp_path, "--search", "--quiet", "--report", page, student=None)
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "-> tree student (DecisionTreeClassifier" in text
    assert "Student: tree, the default: DecisionTreeClassifier(max_depth=6)" in text
    assert "choose another with --student" in text
    searched = "alpha=0 (hard labels) and temperature {1, 3, 10} x alpha {0.5, 0.9, 1}"
    assert f"Searched: {searched}; the student's own parameters" in text
    assert export.load(tmp_path / "student.skops").student_.get_params()["max_depth"] == 6
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<td>distilled tree</td>" in html and "<h2>Search (3-fold" in html
    assert "<code>tree</code> (the default)" in html

    code, out, err = _run([*argv, "--json", "--force"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["student_spec"], summary["student_default"]) == ("tree", True)
    assert summary["search"]["grid"][0] == {"alpha": [0.0], "temperature": [1.0]}


@pytest.mark.parametrize("name", ["unlabeled.csv", "unlabeled_with_target.csv"])
def test_distill_unlabeled(files, tmp_path, capsys, name):
    argv = _argv(files, tmp_path, "--unlabeled", files / name, "--json", "--quiet")
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert err == ""
    summary = json.loads(out)
    assert summary["rows"] == {"labeled": 150, "train": 120, "test": 30, "unlabeled": 50}


@pytest.mark.parametrize(
    "spec, class_name",
    [
        ("logreg:C=0.5", "Pipeline"),
        ("mlp:hidden_layer_sizes=(8,),max_iter=300", "Pipeline"),
        ("lightgbm:n_estimators=10,num_leaves=7", "LGBMClassifier"),
        ("xgboost:n_estimators=10,max_depth=2", "XGBClassifier"),
    ],
    ids=lambda v: v.split(":")[0] if ":" in v else None,
)
def test_distill_student_kinds(files, tmp_path, capsys, spec, class_name):
    framework = spec.split(":")[0]
    if framework in ("lightgbm", "xgboost"):
        pytest.importorskip(framework)
    argv = _argv(files, tmp_path, "--json", "--quiet", "--test-size", 0, student=spec)
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["student_class"] == class_name
    assert summary["scores"] is None  # --test-size 0: nothing held out
    # The summary names the types a user must trust to load the file, if any.
    model = export.load(tmp_path / "student.skops", trusted=summary["types_to_trust"])
    assert set(model.predict(_features(files))) <= {0, 1}


def test_distill_onnx(files, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    argv = _argv(files, tmp_path, "--onnx", tmp_path / "student.onnx", "--quiet")
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    model = export.load(tmp_path / "student.skops")
    X = _features(files)
    session = ort.InferenceSession(str(tmp_path / "student.onnx"))
    name = session.get_inputs()[0].name
    label, proba = session.run(None, {name: X.to_numpy(dtype=np.float32)})
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(X))


@pytest.mark.parametrize(
    "teacher, extra, warning",
    [
        ("teacher.pkl", ["--trust-pickle"], "warning: loading the pickle file"),
        ("negated.skops", ["--trust", NEGATE], None),
        ("boosted.skops", [], None),  # HistGradientBoosting: checked, trusted by default
    ],
    ids=["pickle-trusted", "skops-type-trusted", "hist-gradient-boosting"],
)
def test_distill_trusted_teachers(files, tmp_path, capsys, teacher, extra, warning):
    argv = _argv(files, tmp_path, "--quiet", *extra, teacher=teacher)
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert (tmp_path / "student.skops").is_file()
    if warning:
        assert warning in err


def test_distill_refuses_to_overwrite_without_force(files, tmp_path, capsys):
    out = tmp_path / "student.skops"
    out.write_text("an earlier student")
    report = tmp_path / "report.md"
    code, _, err = _run(_argv(files, tmp_path, "--report", report), capsys)
    assert code == 2
    assert "already exists; pass --force" in err
    assert out.read_text() == "an earlier student"
    assert not report.exists()  # every output is checked before any work

    code, _, err = _run(_argv(files, tmp_path, "--report", report, "--force"), capsys)
    assert code == 0, err
    assert out.read_bytes()[:2] == b"PK"  # a skops (zip) file now
    assert report.is_file()


@pytest.mark.parametrize(
    "change, status, message",
    [
        ({"teacher": "teacher.pkl"}, 2, r"pickle file.*--trust-pickle"),
        ({"teacher": "corrupt.skops"}, 1, r"could not load the teacher .*corrupt\.skops"),
        ({"teacher": "negated.skops"}, 1, r"not trusted.*--trust TYPE"),
        ({"teacher": "missing.skops"}, 2, r"--teacher .*missing\.skops: no such file"),
        ({"extra": ["--target", "fraud"]}, 2, r"'fraud' is not a column .*f0, f1, f2, f3"),
        ({"student": "forest"}, 2, r"unknown student 'forest'.*tree, logreg, mlp"),
        (
            {"student": "tree:depth=3"},
            2,
            r"'depth' \(did you mean 'max_depth'\?\).*ccp_alpha",
        ),
        ({"student": "tree:max_depth"}, 2, r"expected key=value"),
        ({"extra": ["--search", "--alpha", "0.5"]}, 2, r"--search chooses"),
        ({"extra": ["--alpha", "1.5"]}, 2, r"argument --alpha: must be in \[0, 1\]"),
        ({"extra": ["--report", "r.md", "--test-size", "0"]}, 2, r"--test-size > 0"),
        ({"extra": ["--out", "student.pkl"]}, 2, r"must end in \.skops"),
        ({"extra": ["--data", "{files}/three_features.csv"]}, 1, r"missing 'f3'"),
        ({"extra": ["--unlabeled", "{files}/three_features.csv"]}, 1, r"missing 'f3'"),
    ],
    ids=[
        "pickle-not-trusted",
        "corrupt-teacher",
        "untrusted-type",
        "missing-teacher",
        "missing-target",
        "unknown-student",
        "unknown-student-key",
        "student-key-without-value",
        "search-and-alpha",
        "alpha-out-of-range",
        "report-without-held-out-rows",
        "out-not-skops",
        "feature-mismatch",
        "unlabeled-feature-mismatch",
    ],
)
def test_distill_errors(files, tmp_path, capsys, monkeypatch, change, status, message):
    monkeypatch.chdir(tmp_path)
    extra = [a.format(files=files) for a in change.get("extra", [])]
    kwargs = {key: change[key] for key in ("teacher", "student") if key in change}
    argv = _argv(files, tmp_path, *extra, "--quiet", **kwargs)
    if status == 2 and "argument --" in message:
        with pytest.raises(SystemExit) as excinfo:  # argparse's own errors
            main(argv)
        code, err = excinfo.value.code, capsys.readouterr().err
    else:
        code, _, err = _run(argv, capsys)
    assert code == status
    assert "skdistill distill: error:" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no output written
    assert re.search(message, " ".join(err.split())), err


@pytest.mark.skipif(
    any(__import__("importlib").util.find_spec(m) for m in ("pyarrow", "fastparquet")),
    reason="a parquet engine is installed",
)
def test_distill_parquet_without_engine(files, tmp_path, capsys):
    data = tmp_path / "train.parquet"
    data.write_bytes(b"PAR1")
    argv = _argv(files, tmp_path, "--data", data, "--quiet")
    code, _, err = _run(argv, capsys)
    assert code == 1
    assert "needs pyarrow" in err
    assert [p.name for p in tmp_path.iterdir()] == ["train.parquet"]


def test_distill_parquet(files, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    import pandas as pd

    data = tmp_path / "train.parquet"
    pd.read_csv(files / "train.csv").to_parquet(data)
    code, _, err = _run(_argv(files, tmp_path, "--data", data, "--quiet"), capsys)
    assert code == 0, err


def test_interrupted_distill_leaves_no_file(files, tmp_path, capsys, monkeypatch):
    from skdistill.cli import _distill as command

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    # The student is written first; the interruption comes while writing the report.
    monkeypatch.setattr(command, "_report_markdown", interrupt)
    code, _, err = _run(_argv(files, tmp_path, "--report", tmp_path / "r.md"), capsys)
    assert code == 130
    assert "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_distill_help_explains_every_option(capsys):
    parser = _parser()
    distill = parser._subparsers._group_actions[0].choices["distill"]
    with pytest.raises(SystemExit) as excinfo:
        main(["distill", "--help"])
    assert excinfo.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for action in distill._actions:
        assert action.help, action.option_strings
        assert action.option_strings[-1] in text
    for name in ("tree", "logreg", "mlp", "lightgbm", "xgboost"):
        assert f"{name} " in text


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("tree", ("tree", {})),
        (
            "Tree:max_depth=4,criterion=entropy",
            ("tree", {"max_depth": 4, "criterion": "entropy"}),
        ),
        (
            "mlp:hidden_layer_sizes=(64, 32),alpha=1e-3,early_stopping=true",
            (
                "mlp",
                {"hidden_layer_sizes": (64, 32), "alpha": 1e-3, "early_stopping": True},
            ),
        ),
        (
            "logreg:class_weight='balanced', C=0.5",
            ("logreg", {"class_weight": "balanced", "C": 0.5}),
        ),
        ("lightgbm:", ("lightgbm", {})),
    ],
)
def test_parse_student_spec(spec, expected):
    assert _parse_student_spec(spec) == expected


# -- issue 11: outputs that land together, clean errors, messy data ------------------------


def _outputs(folder):
    return {
        "--out": folder / "student.skops",
        "--onnx": folder / "student.onnx",
        "--report": folder / "report.md",
    }


@pytest.mark.parametrize("stage", ["writing", "moving into place"])
def test_issue11_item9_failed_output_leaves_earlier_files_intact(
    files, tmp_path, capsys, monkeypatch, stage
):
    """Disk full on the second output (--onnx), with --force over earlier outputs:
    a clean error naming the file, and every earlier file byte for byte as it was."""
    pytest.importorskip("skl2onnx")
    from skdistill import _io

    outputs = _outputs(tmp_path)
    for option, path in outputs.items():
        path.write_bytes(f"the earlier {option} file".encode())
    before = _snapshot(tmp_path)
    full = OSError(28, "No space left on device")  # errno.ENOSPC
    if stage == "writing":
        write = _io.AtomicFiles.write

        def write_or_fail(self, target, content):
            if str(target).endswith(".onnx"):
                tmp = self.path(target)
                tmp.write_bytes(content[:10])  # a partial temporary file
                raise _io._naming(full, target)
            return write(self, target, content)

        monkeypatch.setattr(_io.AtomicFiles, "write", write_or_fail)
    else:  # the student has landed already when the ONNX file cannot be moved
        replace = os.replace

        def replace_or_fail(src, dst):
            if str(dst).endswith(".onnx"):
                raise OSError(28, "No space left on device", str(src))
            return replace(src, dst)

        monkeypatch.setattr(_io.os, "replace", replace_or_fail)
    argv = [*_argv(files, tmp_path), "--force", "--quiet"]
    argv += ["--onnx", outputs["--onnx"], "--report", outputs["--report"]]
    code, out, err = _run([str(a) for a in argv], capsys)
    assert code == 1
    message = " ".join(err.split())
    assert f"could not write {outputs['--onnx']}: No space left on device" in message
    assert "Nothing was written" in message and "free some disk space" in message
    assert "Traceback" not in err and out == ""
    assert _snapshot(tmp_path) == before  # same files, same bytes, no temporary file


def test_issue11_item9_success_replaces_every_output(files, tmp_path, capsys):
    pytest.importorskip("skl2onnx")
    outputs = _outputs(tmp_path)
    for option, path in outputs.items():
        path.write_bytes(f"the earlier {option} file".encode())
    argv = [*_argv(files, tmp_path), "--force", "--quiet"]
    argv += ["--onnx", outputs["--onnx"], "--report", outputs["--report"]]
    code, out, err = _run([str(a) for a in argv], capsys)
    assert code == 0, err
    assert sorted(_snapshot(tmp_path)) == ["report.md", "student.onnx", "student.skops"]
    assert export.load(outputs["--out"]).predict(_features(files)).shape == (150,)
    assert outputs["--report"].read_text().startswith("# skdistill distill")
    assert b"earlier" not in outputs["--onnx"].read_bytes()


def test_issue11_item9_atomic_files_roll_back_every_target(tmp_path, monkeypatch):
    from skdistill import _io

    (tmp_path / "a.txt").write_text("old a")
    replace = os.replace
    moves = []

    def replace_then_fail(src, dst):
        moves.append(dst)
        if str(dst).endswith("c.txt"):
            raise PermissionError(13, "Permission denied", str(src))
        return replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", replace_then_fail)
    with pytest.raises(PermissionError) as excinfo:
        with _io.AtomicFiles() as group:
            for name in ("a.txt", "b.txt", "c.txt"):
                group.write(tmp_path / name, f"new {name}")
            group.commit()
    assert excinfo.value.filename == str(tmp_path / "c.txt")  # the target, not a temp
    assert _snapshot(tmp_path) == {"a.txt": b"old a"}  # b.txt landed, then went back
    # Without overwrite, a target that appears before the commit is not replaced.
    monkeypatch.setattr(_io.os, "replace", replace)
    with pytest.raises(FileExistsError):
        with _io.AtomicFiles(overwrite=False) as group:
            group.write(tmp_path / "d.txt", "new d")
            (tmp_path / "d.txt").write_text("someone else's d")
            group.commit()
    assert _snapshot(tmp_path) == {"a.txt": b"old a", "d.txt": b"someone else's d"}


@pytest.mark.parametrize("test_size", ["0.999", "0.99"])
def test_issue11_item10_test_size_that_leaves_too_few_training_rows(
    files, tmp_path, capsys, test_size
):
    argv = _argv(files, tmp_path, "--test-size", test_size, "--quiet")
    code, _, err = _run(argv, capsys)
    assert code == 2
    message = " ".join(err.split())
    assert f"--test-size {test_size} holds out" in message
    assert "of the 150 labeled rows" in message
    assert "use a --test-size from 0 to 0.98" in message  # what works for this data
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_issue11_item10_header_only_csv(files, tmp_path, capsys):
    data = tmp_path / "train.csv"
    data.write_text("f0,f1,f2,f3,label\n")
    code, _, err = _run(_argv(files, tmp_path, "--data", data, "--quiet"), capsys)
    assert code == 1
    message = " ".join(err.split())
    assert f"--data {data} has a header (5 columns) but no rows" in message
    assert "add rows below the header" in message
    assert [p.name for p in tmp_path.iterdir()] == ["train.csv"]


@pytest.mark.parametrize(
    "spec, message",
    [
        ("lightgbm:n_estimators=abc", "n_estimators must be an integer, got 'abc'"),
        ("xgboost:max_depth=2.5", "max_depth must be an integer or None, got 2.5"),
        ("tree:max_depth=abc", "'max_depth' parameter of DecisionTreeClassifier must be"),
        ("logreg:C=-1", "'C' parameter of LogisticRegression must be a float"),
    ],
    ids=["lightgbm", "xgboost", "tree", "logreg"],
)
def test_issue11_item10_student_value_of_the_wrong_type(
    files, tmp_path, capsys, spec, message
):
    framework = spec.split(":")[0]
    if framework in ("lightgbm", "xgboost"):
        pytest.importorskip(framework)
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 4)  # refused before any data is read
    code, _, err = _run(_argv(files, tmp_path, "--data", garbage, student=spec), capsys)
    assert code == 2
    text = " ".join(err.split())
    assert f"--student '{spec}': " in text and message in text
    assert "Change it in --student" in text
    assert "Reading" not in err


def test_issue11_item10_ctrl_c_while_importing_at_start(files, tmp_path):
    """A KeyboardInterrupt while scikit-learn loads, as the console script runs."""
    argv = [str(a) for a in _argv(files, tmp_path)]
    code = textwrap.dedent(
        f"""
        import sys

        class Interrupt:  # Ctrl-C arrives while sklearn is being imported
            def find_spec(self, name, path=None, target=None):
                if name == "sklearn":
                    raise KeyboardInterrupt

        sys.meta_path.insert(0, Interrupt())
        from skdistill.cli import main  # what the skdistill console script does
        sys.exit(main({argv!r}))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip() == "skdistill distill: interrupted; no output written."
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--test-size", "abc", "must be a number in [0, 1), got 'abc'"),
        ("--temperature", "0.5", "must be a number from 1 to 100 (1: the teacher's"),
        ("--seed", "-1", "must be a whole number from 0 to 4294967295, got -1"),
    ],
    ids=["test-size", "temperature", "seed"],
)
def test_issue11_item10_option_values(files, tmp_path, capsys, option, value, message):
    with pytest.raises(SystemExit) as excinfo:
        main(_argv(files, tmp_path, option, value))
    assert excinfo.value.code == 2
    assert f"argument {option}: {message}" in capsys.readouterr().err


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """Numbers with NaN, text with NaN, a pandas category with NaN, and two kinds of
    odd labels; teachers are Pipelines that one-hot encode, saved with skdistill."""
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    n = 320
    X = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "color": rng.choice(["red", "green", "blue"], size=n).astype(object),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], size=n)),
        }
    )
    X.loc[rng.random(n) < 0.15, "x1"] = np.nan
    X.loc[rng.random(n) < 0.1, "color"] = np.nan
    X.loc[rng.random(n) < 0.1, "size"] = np.nan
    score = X.x1.fillna(0) + (X.color == "red") - (X["size"] == "L").astype(float)
    positive = (score + 0.3 * rng.normal(size=n)).to_numpy() > 0.2
    folder = tmp_path_factory.mktemp("messy")
    parquet = importlib.util.find_spec("pyarrow") is not None
    for labels, (neg, pos) in {"yes-no": ("no", "yes"), "3-7": (3, 7)}.items():
        y = np.where(positive, pos, neg)
        encode = ColumnTransformer(
            [
                ("numbers", "passthrough", ["x1", "x2"]),
                ("text", OneHotEncoder(handle_unknown="ignore"), ["color", "size"]),
            ]
        )
        teacher = make_pipeline(encode, HistGradientBoostingClassifier(max_iter=20))
        teacher.fit(X[:120], y[:120])  # rows the student does not see
        export.save(teacher, folder / f"teacher-{labels}.skops")
        train = X[120:].assign(label=y[120:])
        if parquet:  # keeps the category dtype
            train.to_parquet(folder / f"train-{labels}.parquet")
        train.to_csv(folder / f"train-{labels}.csv", index=False)
    return {"folder": folder, "X": X[120:].reset_index(drop=True), "parquet": parquet}


@pytest.mark.parametrize("labels", ["yes-no", "3-7"])
@pytest.mark.parametrize("student", ["tree", "logreg", "mlp", "lightgbm", "xgboost"])
def test_issue11_item11_text_categories_and_missing_values(
    messy, tmp_path, capsys, student, labels
):
    if student in ("lightgbm", "xgboost"):
        pytest.importorskip(student)
    folder = messy["folder"]
    suffix = "parquet" if messy["parquet"] and labels == "yes-no" else "csv"
    out = tmp_path / "student.skops"
    argv = [
        "distill",
        "--teacher",
        folder / f"teacher-{labels}.skops",
        "--data",
        folder / f"train-{labels}.{suffix}",
        "--target",
        "label",
        "--student",
        student,
        "--out",
        out,
        "--quiet",
    ]
    code, out_text, err = _run([str(a) for a in argv], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    # The summary says what the student carries, and which way the sizes go.
    first = out_text.splitlines()[0]
    assert "Pipeline(HistGradientBoostingClassifier) teacher" in first
    assert "2 one-hot encoded columns" in first
    if student in ("logreg", "mlp"):
        assert "mean-imputed (with indicators), standardised numeric columns" in first
    else:
        assert "2 raw numeric columns" in first
    assert re.search(r"the student is \d+\.\dx (smaller|LARGER) than the teacher", out_text)
    scores = {
        line.split()[0] + " " + line.split()[1]: float(line.split()[2])
        for line in out_text.splitlines()
        if line.startswith("  distilled") or line.startswith("  hard-label")
    }
    assert scores[f"distilled {student}"] > 0.6  # accuracy on held-out rows
    # The saved model predicts on the raw frame: text, categories, NaN, an unseen value.
    trusted = (
        re.findall(r"'([\w.]+)'", out_text.split("trusted=")[-1])
        if ("trusted=" in out_text)
        else None
    )
    model = export.load(out, trusted=trusted)
    X = messy["X"].copy()
    X.loc[0, "color"] = "ultraviolet"
    pred = model.predict(X)
    expected = {"no", "yes"} if labels == "yes-no" else {3, 7}
    assert set(pred.tolist()) <= expected and len(pred) == len(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_issue11_item11_onnx_is_refused_before_fitting_for_text_columns(
    messy, tmp_path, capsys
):
    folder = messy["folder"]
    argv = [
        "distill",
        "--teacher",
        folder / "teacher-3-7.skops",
        "--data",
        folder / "train-3-7.csv",
        "--target",
        "label",
        "--student",
        "logreg",
        "--out",
        tmp_path / "student.skops",
        "--onnx",
        tmp_path / "student.onnx",
    ]
    code, _, err = _run([str(a) for a in argv], capsys)
    assert code == 2
    message = " ".join(err.split())
    assert "--onnx: " in message and "color, size" in message
    assert "Leave out --onnx" in message
    assert "Distilling" not in err  # refused before fitting
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def numbers_with_nan(tmp_path_factory):
    pd = pytest.importorskip("pandas")
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = (X.a + X.b > 0).astype(int)
    X.loc[rng.random(300) < 0.1, "a"] = np.nan
    folder = tmp_path_factory.mktemp("nan")
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    export.save(teacher.fit(X[:150], y[:150]), folder / "teacher.skops")
    X[150:].assign(label=y[150:]).to_csv(folder / "train.csv", index=False)
    return folder


@pytest.mark.parametrize("student", ["logreg", "mlp"])
def test_issue11_item11_onnx_with_missing_numbers(
    numbers_with_nan, tmp_path, capsys, student
):
    """logreg and mlp impute missing numbers (without indicator columns, which the
    ONNX converters lack) and export exactly."""
    ort = pytest.importorskip("onnxruntime")
    pd = pytest.importorskip("pandas")
    folder = numbers_with_nan
    argv = [
        "distill",
        "--teacher",
        folder / "teacher.skops",
        "--data",
        folder / "train.csv",
        "--target",
        "label",
        "--student",
        student,
        "--out",
        tmp_path / "student.skops",
        "--onnx",
        tmp_path / "student.onnx",
        "--json",
        "--quiet",
    ]
    code, out, err = _run([str(a) for a in argv], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["student_description"].endswith("on mean-imputed, standardised columns")
    model = export.load(tmp_path / "student.skops", trusted=summary["types_to_trust"])
    X = pd.read_csv(folder / "train.csv").drop(columns="label")
    assert X.isna().any().any()
    session = ort.InferenceSession(str(tmp_path / "student.onnx"))
    label, proba = session.run(None, {"X": X.to_numpy(dtype=np.float32)})
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(X))


@pytest.mark.parametrize(
    "ratio, words",
    [
        (5.1, "5.1x smaller than the teacher"),
        (1 / 4.9, "4.9x LARGER than the teacher"),
        (1.02, "about the size of the teacher (1.02x)"),
    ],
    ids=["smaller", "larger", "same"],
)
def test_issue11_item11_size_ratios_say_which_way(ratio, words):
    from skdistill.report._render import compared, times

    assert compared(ratio, "smaller", "LARGER", "size") == words
    assert times(0.2, "LARGER") == "5.0x LARGER"  # the "smaller" column of a table
    assert times(12.0, "LARGER") == "12x"
