"""``skdistill distill --onnx``: real column names, NaN rows, and the check before fitting.

Issue 11 item 6: ``--student xgboost --onnx`` failed after the whole fit on data
with real column names; an export that cannot succeed must fail before the fit.
Item 1: the exported student must agree with the distiller on rows with NaN.
"""

import json
import re
import sys

import numpy as np
import pytest

from skdistill.cli import main

pd = pytest.importorskip("pandas")
sio = pytest.importorskip("skops.io")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

#: Column names as in the credit-default data the issue was found on.
COLUMNS = ["PAY_0", "LIMIT BAL", "AGE", "BILL_AMT1", "PAY_AMT1"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A teacher that takes NaN, fitted on named columns, and a CSV with NaN."""
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    folder = tmp_path_factory.mktemp("onnx-cli")
    X, y = make_classification(
        n_samples=400, n_features=5, n_informative=3, n_redundant=0, random_state=0
    )
    X = pd.DataFrame(X.astype(np.float32).astype(np.float64), columns=COLUMNS)
    rng = np.random.default_rng(0)
    for column in COLUMNS[:3]:
        X.loc[rng.random(len(X)) < 0.2, column] = np.nan
    X.iloc[-3:] = np.nan  # rows with nothing known
    teacher = HistGradientBoostingClassifier(max_iter=15, random_state=0)
    teacher.fit(X[:150], y[:150])
    sio.dump(teacher, folder / "teacher.skops")
    X[150:].assign(default=y[150:]).to_csv(folder / "train.csv", index=False)
    return folder


def _distill(files, out, student, *extra):
    argv = [
        "distill",
        "--teacher",
        str(files / "teacher.skops"),  # plain skops.io.dump: loads without --trust
        "--data",
        str(files / "train.csv"),
        "--target",
        "default",
        "--student",
        student,
        "--out",
        str(out / "student.skops"),
        "--onnx",
        str(out / "student.onnx"),
        "--quiet",
        *extra,
    ]
    return main(argv)


@pytest.mark.parametrize(
    "student",
    ["xgboost:n_estimators=10,max_depth=3", "tree", "lightgbm:n_estimators=10"],
    ids=["xgboost", "tree", "lightgbm"],
)
def test_issue11_item1_item6_cli_onnx_with_column_names_and_nan_rows(
    files, tmp_path, capsys, student
):
    pytest.importorskip(student.split(":")[0] if ":" in student else "sklearn")
    if ":" in student:
        pytest.importorskip("onnxmltools")
    from skdistill.export import load

    code = _distill(files, tmp_path, student, "--json", "--test-size", "0")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    model = load(tmp_path / "student.skops", trusted=summary["types_to_trust"])
    X = pd.read_csv(files / "train.csv").drop(columns="default")
    assert np.isnan(X.to_numpy()).any(axis=1).sum() > 50
    assert np.isnan(X.to_numpy()).all(axis=1).sum() == 3
    session = ort.InferenceSession(str(tmp_path / "student.onnx"))
    label, proba = session.run(None, {"X": X.to_numpy(dtype=np.float32)})
    np.testing.assert_array_equal(label, model.predict(X))
    assert np.abs(proba - model.predict_proba(X)).max() <= 1e-5


def _fit_must_not_run(monkeypatch):
    import skdistill.cli._distill as command

    calls = []

    def fit(*args, **kwargs):  # pragma: no cover - the point is that it is not run
        calls.append(args)
        raise AssertionError("the student was fitted before the ONNX check")

    monkeypatch.setattr(command, "_fit", fit)
    return calls


def test_issue11_item6_cli_unexportable_student_fails_before_fitting(
    files, tmp_path, capsys, monkeypatch
):
    pytest.importorskip("xgboost")
    pytest.importorskip("onnxmltools")
    calls = _fit_must_not_run(monkeypatch)
    code = _distill(files, tmp_path, "xgboost:missing=0.0")
    err = " ".join(capsys.readouterr().err.split())
    assert code == 1
    assert calls == []
    assert "ONNX export failed (nothing was fitted)" in err
    assert re.search(r"treats the value 0.0 as missing.*missing=np.nan", err), err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "student, module",
    [("xgboost", "onnxmltools"), ("tree", "skl2onnx")],
    ids=["xgboost-without-onnxmltools", "tree-without-skl2onnx"],
)
def test_issue11_item6_cli_missing_onnx_extra_fails_before_fitting(
    files, tmp_path, capsys, monkeypatch, student, module
):
    pytest.importorskip(student if student != "tree" else "sklearn")
    calls = _fit_must_not_run(monkeypatch)
    for name in [m for m in sys.modules if m.split(".")[0] == module]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # not installed
    code = _distill(files, tmp_path, student)
    err = " ".join(capsys.readouterr().err.split())
    assert code == 1
    assert calls == []
    assert f"'{module}' is required for ONNX export" in err
    assert list(tmp_path.iterdir()) == []
