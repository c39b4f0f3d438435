"""Compiled students (issue 11, item 8): loading runs native code, so the library's
SHA-256 must be pinned (or trusted), and the metadata beside it must match the copy
compiled into the library."""

import hashlib
import json
import os
import shutil
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skdistill import DistillationWarning, DistilledClassifier, DistilledRegressor
from skdistill.export import CompiledStudent, _compiled, compile_student

pytest.importorskip("treelite")
pytest.importorskip("tl2cgen")
if not (shutil.which("gcc") or shutil.which("clang")):
    pytest.skip("no C compiler (gcc or clang) on PATH", allow_module_level=True)

MISMATCH = r"does not match the library it came with \(edited or swapped\)"


def _with_missing(X):
    X = X.copy()
    X[::7, 2] = np.nan
    return X


def _student(kind):
    if kind in ("tree", "regressor"):
        return None  # the distiller's default tree
    if kind == "lightgbm":
        lightgbm = pytest.importorskip("lightgbm")
        return lightgbm.LGBMClassifier(n_estimators=8, num_leaves=4, verbose=-1)
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(n_estimators=8, max_depth=2, n_jobs=1)


def _distilled(kind, *, offset=0):
    """A fitted distiller on rows with missing values (classes shifted by offset)."""
    if kind == "regressor":
        X, y = load_diabetes(return_X_y=True)
        X = _with_missing(X)
        teacher = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(X, y)
        model = DistilledRegressor(teacher, DecisionTreeRegressor(max_depth=4))
        return model.fit(X, y), X
    X, y = load_iris(return_X_y=True)
    X, y = _with_missing(X), y + offset
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    student = _student(kind) or DecisionTreeClassifier(max_depth=4)
    model = DistilledClassifier(teacher, student, temperature=2.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        return model.fit(X, y), X


def _assert_parity(model, X, compiled):
    """Predictions of every path (batch, a few rows, one row) match the distiller."""
    if isinstance(model, DistilledRegressor):
        np.testing.assert_allclose(compiled.predict(X), model.predict(X), rtol=1e-6)
        return
    expected = model.predict_proba(X)
    np.testing.assert_allclose(compiled.predict_proba(X), expected, atol=1e-6)
    np.testing.assert_allclose(compiled.predict_proba(X[:7]), expected[:7], atol=1e-6)
    for i in (0, 1, 7):  # rows 0 and 7 have a missing value
        np.testing.assert_allclose(
            compiled.predict_proba(X[i : i + 1]), expected[i : i + 1], atol=1e-6
        )
    np.testing.assert_array_equal(compiled.predict(X), model.predict(X))


@pytest.fixture(scope="module")
def compiled_tree(tmp_path_factory):
    """A compiled tree student: (model, X, path, sha256), for tests that only read it."""
    model, X = _distilled("tree")
    path = tmp_path_factory.mktemp("compiled") / "student.so"
    return model, X, path, compile_student(model, path).sha256


@pytest.fixture
def copied(compiled_tree, tmp_path):
    """A private copy of the compiled tree's library and metadata, to tamper with."""
    model, X, path, sha256 = compiled_tree
    target = tmp_path / "student.so"
    shutil.copyfile(path, target)
    shutil.copyfile(_compiled._meta_path(path), _compiled._meta_path(target))
    return model, X, target, sha256


def _edit_metadata(path, edit):
    meta_path = _compiled._meta_path(path)
    meta = json.loads(meta_path.read_text())
    edit(meta)
    meta_path.write_text(json.dumps(meta))


@pytest.mark.parametrize("kind", ["tree", "lightgbm", "xgboost", "regressor"])
def test_issue11_item8_pinned_hash_loads_and_predicts_like_the_distiller(kind, tmp_path):
    model, X = _distilled(kind)
    path = tmp_path / "student.so"
    compiled = compile_student(model, path)
    assert compiled.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert compiled.sha256 in repr(compiled)
    _assert_parity(model, X, compiled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a pinned load warns about nothing
        loaded = CompiledStudent(path, sha256=compiled.sha256)
    assert loaded.sha256 == compiled.sha256
    _assert_parity(model, X, loaded)
    # the hash as people paste it: upper case, surrounding blanks
    CompiledStudent(path, sha256=f" {compiled.sha256.upper()}\n")


def test_issue11_item8_unpinned_load_is_refused_with_the_hash(compiled_tree):
    _, _, path, sha256 = compiled_tree
    with pytest.raises(ValueError, match="runs the code of its shared library") as info:
        CompiledStudent(path)
    message = str(info.value)
    assert sha256 in message  # the actual hash, to compare with the recorded one
    assert f"sha256='{sha256}'" in message and "trust=True" in message


def test_issue11_item8_wrong_hash_is_refused(compiled_tree):
    _, _, path, sha256 = compiled_tree
    other = hashlib.sha256(b"another library").hexdigest()
    with pytest.raises(ValueError, match=f"its SHA-256 is {sha256}, not the expected"):
        CompiledStudent(path, sha256=other)
    with pytest.raises(ValueError, match=f"SHA-256 is {sha256}"):
        CompiledStudent(path, sha256=other, trust=True)  # a pinned hash is checked


@pytest.mark.parametrize(
    "sha256, error",
    [("abc", ValueError), ("z" * 64, ValueError), (b"\0" * 32, TypeError)],
)
def test_issue11_item8_malformed_hash_is_refused(compiled_tree, sha256, error):
    with pytest.raises(error, match="64 hexadecimal digits"):
        CompiledStudent(compiled_tree[2], sha256=sha256)


def test_issue11_item8_trust_loads_with_a_warning(compiled_tree):
    model, X, path, sha256 = compiled_tree
    with pytest.warns(DistillationWarning, match="without a pinned SHA-256"):
        loaded = CompiledStudent(path, trust=True)
    assert loaded.sha256 == sha256
    _assert_parity(model, X, loaded)


def _swap_two_classes(meta):
    meta["classes"] = meta["classes"][::-1]


def _change_scale(meta):
    meta["scale"] = meta["scale"] * 3


def _change_columns(meta):
    meta["head"] = "proba"
    meta["columns"] = meta["columns"][::-1]


def _drop_a_key(meta):
    del meta["n_features"]


@pytest.mark.parametrize(
    "edit", [_swap_two_classes, _change_scale, _change_columns, _drop_a_key]
)
@pytest.mark.parametrize("how", ["pinned", "trusted"])
def test_issue11_item8_edited_metadata_is_refused(copied, edit, how):
    """Integrity, not trust: an edited file is refused even with trust=True."""
    _, _, path, sha256 = copied
    _edit_metadata(path, edit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        with pytest.raises(ValueError, match=MISMATCH):
            if how == "pinned":
                CompiledStudent(path, sha256=sha256)
            else:
                CompiledStudent(path, trust=True)


def test_issue11_item8_reformatted_metadata_still_loads(copied):
    """Only content counts: the same metadata, indented otherwise, is accepted."""
    model, X, path, sha256 = copied
    meta_path = _compiled._meta_path(path)
    meta_path.write_text(json.dumps(json.loads(meta_path.read_text()), indent=8))
    _assert_parity(model, X, CompiledStudent(path, sha256=sha256))


def test_issue11_item8_swapped_library_is_refused(copied, tmp_path):
    """Another compiled student's library beside the old metadata is refused."""
    _, _, path, sha256 = copied
    model, _ = _distilled("tree", offset=10)  # classes 10, 11, 12
    other = compile_student(model, tmp_path / "other.so")
    shutil.copyfile(other.path, path)
    with pytest.raises(ValueError, match="not the expected"):
        CompiledStudent(path, sha256=sha256)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        with pytest.raises(ValueError, match=MISMATCH + ".*SHA-256 is not the one"):
            CompiledStudent(path, trust=True)
        # the metadata's recorded hash rewritten too: its content still differs
        _edit_metadata(path, lambda meta: meta.update(library_sha256=other.sha256))
        with pytest.raises(ValueError, match=MISMATCH + ".*differs in 'classes'"):
            CompiledStudent(path, trust=True)
    with pytest.raises(ValueError, match=MISMATCH):
        CompiledStudent(path, sha256=other.sha256)


def test_issue11_item8_truncated_library_is_refused(copied):
    _, _, path, sha256 = copied
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    truncated = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="not the expected"):
        CompiledStudent(path, sha256=sha256)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationWarning)
        with pytest.raises(ValueError, match=MISMATCH):
            CompiledStudent(path, trust=True)
    # hashes made consistent: refused before the loader maps it (a bus error)
    _edit_metadata(path, lambda meta: meta.update(library_sha256=truncated))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        CompiledStudent(path, sha256=truncated)
    path.write_bytes(b"not a shared library")
    garbage = hashlib.sha256(path.read_bytes()).hexdigest()
    _edit_metadata(path, lambda meta: meta.update(library_sha256=garbage))
    with pytest.raises(ValueError, match="cannot be loaded as a compiled student"):
        CompiledStudent(path, sha256=garbage)


def test_issue11_item8_metadata_of_the_old_format_is_refused(copied):
    _, _, path, sha256 = copied
    _edit_metadata(path, lambda meta: meta.update(format="skdistill-compiled-student/1"))
    with pytest.raises(ValueError, match="older skdistill"):
        CompiledStudent(path, sha256=sha256)


def test_issue11_item8_library_and_metadata_land_together(compiled_tree, monkeypatch):
    """If the library cannot be renamed into place, the metadata is put back."""
    _, X, path, sha256 = compiled_tree
    folder = path.parent / "together"
    folder.mkdir()
    target = folder / "student.so"
    shutil.copyfile(path, target)
    shutil.copyfile(_compiled._meta_path(path), _compiled._meta_path(target))
    meta_before = _compiled._meta_path(target).read_bytes()
    model, _ = _distilled("tree", offset=10)
    replace = os.replace

    def failing_replace(source, destination):
        if os.fspath(destination) == os.fspath(target):
            raise OSError("disk full")
        return replace(source, destination)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        compile_student(model, target, overwrite=True)
    monkeypatch.undo()
    assert _compiled._meta_path(target).read_bytes() == meta_before
    assert sorted(p.name for p in folder.iterdir()) == ["student.so", "student.so.json"]
    CompiledStudent(target, sha256=sha256).predict(X)


@pytest.mark.parametrize("verbose", [False, True])
def test_issue11_treelite_version_warning_is_not_printed(capfd, tmp_path, verbose):
    model, _ = _distilled("tree")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile_student(model, tmp_path / "student.so", verbose=verbose)
    out, err = capfd.readouterr()
    assert "Treelite version" not in out + err
    if not verbose:
        assert (out, err) == ("", "")
    else:  # tl2cgen's and the compiler's messages are shown
        assert "Generated shared library" in out
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("verbose", [False, True])
def test_issue11_treelite_version_warning_filter_keeps_other_output(capfd, verbose):
    warning = (
        b"[06:49:42] /tmp/build/_deps/treelite-src/src/serializer.cc:202: The model you "
        b"are loading originated from a newer Treelite version; some functionalities "
        b"may be unavailable.\nCurrently running Treelite version 4.1.2\nThe model "
        b"checkpoint was generated from Treelite version 4.8.1\n"
    )
    log = b"[06:49:42] /project/src/compiler/ast/split.cc:30: Parallel compilation.\n"
    with _compiled._quiet_code_generation(verbose):
        os.write(2, b"before\n" + warning + log + b"after\n")
        print("printed")
    out, err = capfd.readouterr()
    if verbose:  # only the version warning is dropped
        assert (out, err) == ("printed\n", "before\n" + log.decode() + "after\n")
    else:  # tl2cgen's messages are hidden, anything else is kept
        assert (out, err) == ("", "before\nafter\n")


def test_issue11_treelite_version_warning_filter_is_thread_safe(capfd, tmp_path):
    """Compiling from several threads at once leaves the standard error in place."""
    from concurrent.futures import ThreadPoolExecutor

    model, X = _distilled("tree")
    before = os.fstat(2)
    with ThreadPoolExecutor(4) as pool:
        compiled = list(
            pool.map(lambda i: compile_student(model, tmp_path / f"s{i}.so"), range(4))
        )
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
    assert capfd.readouterr() == ("", "")
    for student in compiled:
        np.testing.assert_allclose(student.predict_proba(X), model.predict_proba(X))
