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
from skdistill.exceptions import CompileSizeWarning
from skdistill.export import CompiledStudent, _c_build, _compiled, compile_student

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
    else:  # tl2cgen's messages and the progress lines are shown
        assert "Parallel compilation" in out + err
        assert "compile_student: " in err and "built the library in" in err
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


# -- issue 16, item 2: size estimate, size guard, parallel units --------------------


def _forest(n_trees, *, classes=3, nan=True):
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True)
    X = _with_missing(X) if nan else X
    y = y if classes == 3 else (y == 1).astype(int)
    forest = RandomForestClassifier(n_trees, max_depth=4, random_state=0)
    return forest.fit(X, y), X


def _boosted(n_trees):
    lightgbm = pytest.importorskip("lightgbm")
    X, y = load_iris(return_X_y=True)
    model = lightgbm.LGBMClassifier(n_estimators=n_trees, num_leaves=6, verbose=-1)
    return model.fit(_with_missing(X), y), X


def _generated_bytes(tree_model, tmp_path, name):
    """Bytes of the C code tl2cgen writes for ``tree_model``."""
    import tl2cgen

    folder = tmp_path / name
    with _compiled._quiet_code_generation(False):
        tl2cgen.generate_c_code(tree_model, folder, {"parallel_comp": 2})
    return sum(p.stat().st_size for p in folder.glob("*.c"))


@pytest.mark.parametrize(
    "make", [_forest, lambda n: _forest(n, classes=2), _boosted], ids=["rf", "rf2", "lgbm"]
)
def test_issue16_item2_estimate_grows_with_nodes_and_is_within_2x(make, tmp_path):
    import treelite

    sizes = []
    for n_trees in (2, 8, 32):
        model, _ = make(n_trees)
        tree_model = _compiled._import_trees(treelite, model)
        size = _c_build.estimate(tree_model)
        real = _generated_bytes(tree_model, tmp_path, f"t{n_trees}")
        assert 0.5 < size.c_bytes / real < 2, (size, real)
        assert size.trees >= n_trees and size.largest_tree <= size.nodes
        sizes.append(size)
    assert [s.nodes for s in sizes] == sorted({s.nodes for s in sizes})
    assert [s.c_bytes for s in sizes] == sorted({s.c_bytes for s in sizes})
    assert [s.seconds for s in sizes] == sorted({s.seconds for s in sizes})


def _nodes(model):
    import treelite

    return _c_build.estimate(_compiled._import_trees(treelite, model)).nodes


def test_issue16_item2_refused_above_max_nodes_with_the_fix(tmp_path):
    model, _ = _forest(4)
    nodes = _nodes(model)
    path = tmp_path / "student.so"
    with pytest.raises(ValueError, match="Refusing to compile the student") as info:
        compile_student(model, path, max_nodes=nodes - 1)
    message = str(info.value)
    assert f"{nodes:,} nodes in 4 trees" in message and "of C" in message
    assert f"above max_nodes={nodes - 1:_}" in message
    for fix in ("Pass max_nodes=", "skdistill.export.to_onnx", "smaller student"):
        assert fix in message
    assert not path.exists() and not _compiled._meta_path(path).exists()
    # raising the limit compiles it: the limit itself is allowed, None is no limit
    for limit in (nodes, None):
        compiled = compile_student(model, path, max_nodes=limit, overwrite=True)
        np.testing.assert_allclose(
            compiled.predict_proba(_forest(4)[1]), model.predict_proba(_forest(4)[1])
        )


def test_issue16_item2_default_limits_are_the_documented_ones():
    assert (_c_build.WARN_NODES, _c_build.MAX_NODES) == (250_000, 1_000_000)
    assert compile_student.__kwdefaults__["max_nodes"] == _c_build.MAX_NODES
    doc = " ".join(compile_student.__doc__.split())
    assert "250,000 nodes" in doc and "1,000,000 nodes" in doc


def test_issue16_item2_warns_above_the_warning_size(tmp_path, monkeypatch):
    model, X = _forest(4)
    nodes = _nodes(model)
    monkeypatch.setattr(_c_build, "WARN_NODES", nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # at the threshold: no warning
        compile_student(model, tmp_path / "a.so")
    monkeypatch.setattr(_c_build, "WARN_NODES", nodes - 1)
    with pytest.warns(CompileSizeWarning, match=f"{nodes:,} nodes in 4 trees") as caught:
        compiled = compile_student(model, tmp_path / "b.so")
    assert issubclass(caught[0].category, DistillationWarning)
    assert "n_jobs=-1" in str(caught[0].message)
    np.testing.assert_allclose(compiled.predict_proba(X), model.predict_proba(X))


def test_issue16_item2_warns_about_one_tree_too_big_to_split(tmp_path, monkeypatch):
    model, X = _forest(4)
    largest = max(tree.tree_.node_count for tree in model.estimators_)
    monkeypatch.setattr(_c_build, "WARN_TREE_NODES", largest)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # at the threshold: no warning
        compile_student(model, tmp_path / "a.so")
    monkeypatch.setattr(_c_build, "WARN_TREE_NODES", largest - 1)
    with pytest.warns(CompileSizeWarning, match=f"largest tree has {largest:,} nodes"):
        compiled = compile_student(model, tmp_path / "b.so")
    np.testing.assert_allclose(compiled.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "max_nodes, error",
    [
        (0, ValueError),
        (-5, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("10", TypeError),
    ],
)
def test_issue16_item2_bad_max_nodes(max_nodes, error, tmp_path):
    model, _ = _forest(2)
    with pytest.raises(error, match="max_nodes must be a positive int or None"):
        compile_student(model, tmp_path / "s.so", max_nodes=max_nodes)


def test_issue16_item2_units_follow_size_and_jobs():
    size = _c_build.CodeEstimate(
        nodes=10_000, trees=50, largest_tree=200, c_bytes=0, seconds=0
    )
    assert _c_build.units_of(size, 1) == 5  # one per NODES_PER_UNIT nodes
    assert _c_build.units_of(size, 8) == 8  # at least one per job
    assert _c_build.units_of(size._replace(trees=3), 8) == 3  # a tree is not split
    assert _c_build.units_of(size._replace(nodes=100), 1) == 0  # one file
    assert _c_build.units_of(size._replace(trees=1), 4) == 0
    cores = os.cpu_count()
    assert [_c_build.jobs_of(n) for n in (1, None, -1, 0, 10**6)] == [1] + [cores] * 4


def test_issue16_item2_parallel_units_predict_like_one_file(tmp_path, monkeypatch):
    """One C file, units compiled by one job, units by three: the same predictions."""
    model, X = _forest(6)
    assert np.isnan(X).any()
    one_file = compile_student(model, tmp_path / "one.so")  # small: not split
    monkeypatch.setattr(_c_build, "NODES_PER_UNIT", 20)
    serial = compile_student(model, tmp_path / "serial.so", n_jobs=1)
    parallel = compile_student(model, tmp_path / "parallel.so", n_jobs=3)
    expected = one_file.predict_proba(X)
    np.testing.assert_allclose(expected, model.predict_proba(X), atol=1e-12)
    for compiled in (serial, parallel):
        np.testing.assert_array_equal(compiled.predict_proba(X), expected)
        for i in (0, 1, 7):  # single rows, 0 and 7 with a missing value
            np.testing.assert_array_equal(
                compiled.predict_proba(X[i : i + 1]), expected[i : i + 1]
            )
    assert one_file.sha256 not in (serial.sha256, parallel.sha256)  # really split


def test_issue16_item2_compiler_failure_is_a_runtime_error(tmp_path):
    model, _ = _forest(2)
    with pytest.raises(RuntimeError, match="The C compiler failed on"):
        compile_student(model, tmp_path / "a.so", toolchain="false")
    with pytest.raises(RuntimeError, match="Cannot run the C compiler"):
        compile_student(model, tmp_path / "b.so", toolchain="no-such-compiler-xyz")
    assert not any(tmp_path.iterdir())
