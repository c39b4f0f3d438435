"""Integrity checks of native models in skops files (issue 11 item 7, issue 12 item 5).

Legit LightGBM, XGBoost and HistGradientBoosting models load and predict exactly as
before. Crafted files (made the way an attacker would: a legit file unzipped, its
model edited, re-zipped) are refused before native code reads them; they are loaded
in a subprocess, so a regression that lets native code crash cannot take the test
runner down with it.
"""

import copy
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.tree import DecisionTreeClassifier

import skdistill
from skdistill import DistilledClassifier
from skdistill.export import load, save
from skdistill.export._ubjson import TypedArray
from skdistill.export._ubjson import loads as ubjson_loads

pytest.importorskip("skops")
lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")
pd = pytest.importorskip("pandas")

LIGHTGBM_BOOSTER = "lightgbm.basic.Booster"
XGBOOST_BOOSTER = "xgboost.core.Booster"


# -- legit models -------------------------------------------------------------------


def _numeric(n_classes):
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=0,
    )
    X[::5, 1] = np.nan  # missing values take the default branches
    return X, y


def _categorical():
    """Numeric columns with NaN and a category column that decides the label."""
    X, y = _numeric(2)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    frame["city"] = pd.Categorical(np.where(y == 1, rng.choice(["a", "b"], len(y)), "c"))
    frame.loc[rng.random(len(y)) < 0.3, "city"] = rng.choice(["c", "d", "e"])
    return frame, y


def _distiller(student, n_classes):
    X, y = _numeric(n_classes)
    teacher = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    return DistilledClassifier(teacher, student, temperature=2.0, random_state=0).fit(
        X, y
    ), X


def _lgbm(**params):
    return lightgbm.LGBMClassifier(
        n_estimators=4, num_leaves=4, min_child_samples=5, verbose=-1, **params
    )


def _xgb(**params):
    return xgboost.XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1, **params)


MODELS = {
    "lightgbm-binary": lambda: _distiller(_lgbm(), 2),
    "lightgbm-multiclass": lambda: _distiller(_lgbm(), 3),
    "xgboost-binary": lambda: _distiller(_xgb(), 2),
    "xgboost-multiclass": lambda: _distiller(_xgb(), 3),
    "lightgbm-categorical": lambda: (
        _lgbm(cat_smooth=1, min_data_per_group=5).fit(*_categorical()),
        _categorical()[0],
    ),
    "xgboost-categorical": lambda: (
        _xgb(enable_categorical=True, tree_method="hist").fit(*_categorical()),
        _categorical()[0],
    ),
    "lightgbm-linear": lambda: (
        lightgbm.LGBMRegressor(n_estimators=3, linear_tree=True, verbose=-1).fit(
            np.nan_to_num(_numeric(2)[0]), _numeric(2)[1]
        ),
        np.nan_to_num(_numeric(2)[0]),
    ),
    "hgb-categorical": lambda: (
        HistGradientBoostingClassifier(
            max_iter=5, categorical_features="from_dtype", random_state=0
        ).fit(*_categorical()),
        _categorical()[0],
    ),
    "hgb-regressor": lambda: (
        HistGradientBoostingRegressor(max_iter=5, random_state=0).fit(*_numeric(2)),
        _numeric(2)[0],
    ),
}


@pytest.fixture(scope="module")
def fitted():
    return {name: make() for name, make in MODELS.items()}


def _predictions(model, X):
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return model.predict(X)


@pytest.mark.parametrize("name", list(MODELS))
def test_issue11_item7_legit_native_models_load_and_predict_identically(
    fitted, tmp_path, name
):
    model, X = fitted[name]
    loaded = load(save(model, tmp_path / "model.skops"))
    np.testing.assert_array_equal(_predictions(loaded, X), _predictions(model, X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_issue12_item5_hist_gradient_boosting_needs_no_trust(fitted, tmp_path):
    import skops.io

    model, X = fitted["hgb-categorical"]
    path = tmp_path / "teacher.skops"
    skops.io.dump(model, path)  # written by skops itself, no skdistill member
    untrusted = skops.io.get_untrusted_types(file=path)
    assert "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor" in untrusted
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


def test_a_partial_of_another_function_stays_untrusted(tmp_path):
    from functools import partial

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = _numeric(2)
    X = np.nan_to_num(X)
    model = make_pipeline(
        FunctionTransformer(partial(np.multiply, 2.0)),  # a trusted ufunc
        DecisionTreeClassifier(max_depth=2),
    ).fit(X, y)
    path = save(model, tmp_path / "model.skops")
    with pytest.raises(TypeError, match=r"functools.partial of something other .*trusted="):
        load(path)
    loaded = load(path, trusted=["functools.partial"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


# -- a UBJSON writer, as XGBoost's, to tamper with XGBoost models --------------------


def _ubjson_dumps(value):
    """Encode as XGBoost's ``UBJWriter`` does (``src/common/json.cc``)."""

    def text(s):
        raw = s.encode()
        return b"L" + struct.pack(">q", len(raw)) + raw

    if isinstance(value, dict):
        return b"{" + b"".join(text(k) + _ubjson_dumps(v) for k, v in value.items()) + b"}"
    if isinstance(value, list):
        return b"[#L" + struct.pack(">q", len(value)) + b"".join(map(_ubjson_dumps, value))
    if isinstance(value, TypedArray):
        dtype = {
            b"d": ">f4",
            b"D": ">f8",
            b"i": ">i1",
            b"U": ">u1",
            b"I": ">i2",
            b"l": ">i4",
        }
        data = np.asarray(value.values).astype(dtype.get(value.marker, ">i8")).tobytes()
        return b"[$" + value.marker + b"#L" + struct.pack(">q", len(value)) + data
    if value is None or isinstance(value, bool):
        return {None: b"Z", True: b"T", False: b"F"}[value]
    if isinstance(value, int):
        for marker, fmt, bound in (
            (b"i", ">b", 2**7),
            (b"I", ">h", 2**15),
            (b"l", ">i", 2**31),
        ):
            if -bound < value < bound - 1:
                return marker + struct.pack(fmt, value)
        return b"L" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"d" + struct.pack(">f", value)
    return b"S" + text(value)


@pytest.mark.parametrize("name", ["xgboost-multiclass", "xgboost-categorical"])
def test_ubjson_reader_reads_what_xgboost_writes(fitted, name):
    model, _ = fitted[name]
    booster = model.student_ if hasattr(model, "student_") else model
    raw = bytes(booster.get_booster().__getstate__()["handle"])
    assert _ubjson_dumps(ubjson_loads(raw)) == raw


# -- crafting hostile files ---------------------------------------------------------


def _rewrite(source, target, *, text=None, member=None, schema=None):
    """Copy a skops archive, editing LightGBM model strings, XGBoost models or schema."""
    with zipfile.ZipFile(source) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    document = json.loads(members["schema.json"])
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if text and item.get("__loader__") == "JsonNode":
                value = json.loads(item["content"])
                if isinstance(value, str) and value.startswith("tree\n"):
                    item["content"] = json.dumps(text(value))
            if member and item.get("__loader__") == "BytearrayNode":
                members[item["file"]] = member(members[item["file"]])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    if schema:
        schema(document)
    members["schema.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _attributes_of(document, class_name):
    """The attribute states of the first object of ``class_name`` in a schema."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if (
                item.get("__class__") == class_name
                and item.get("__loader__") == "ObjectNode"
            ):
                return item["content"]["content"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise AssertionError(f"no {class_name} in the schema")


def _wrapper_attribute(class_name, key, value):
    """Set an attribute stored as JSON, under an ``__id__`` of its own."""

    def edit(document):
        _attributes_of(document, class_name)[key].update(
            content=json.dumps(value), __id__=1
        )

    return edit


# LightGBM model strings ------------------------------------------------------------


def _tree_sizes_fixed(text):
    """Make ``tree_sizes`` tell the truth again, as a careful attacker would."""
    start, end = text.index("\nTree=0\n") + 1, text.index("end of trees\n")
    blocks = re.split(r"(?=^Tree=\d+\n)", text[start:end], flags=re.MULTILINE)
    sizes = " ".join(str(len(block)) for block in blocks if block)
    return re.sub(r"^tree_sizes=.*$", f"tree_sizes={sizes}", text, count=1, flags=re.M)


def _tree_line(key, edit, tree=0):
    """An edit of line ``key`` of a tree; ``edit(values, tree_fields) -> values``."""

    def apply(text):
        start = text.index(f"\nTree={tree}\n")
        end = text.index("\n\n", start + 1)
        fields = dict(line.split("=", 1) for line in text[start + 1 : end].split("\n")[1:])
        line_start = text.index(f"\n{key}=", start) + 1
        line_end = text.index("\n", line_start)
        values = edit(fields[key].split(" "), {k: v.split(" ") for k, v in fields.items()})
        new = f"{key}={' '.join(map(str, values))}"
        return _tree_sizes_fixed(text[:line_start] + new + text[line_end:])

    return apply


def _header_line(key, value):
    def apply(text):
        return re.sub(rf"^{key}=.*$", f"{key}={value}", text, count=1, flags=re.M)

    return apply


def _set(index, value):
    def edit(values, fields):
        values[index] = value
        return values

    return edit


def _self_loop(values, fields):
    """Point an internal child of the root back at itself."""
    child = next(
        int(c) for c in (fields["left_child"][0], fields["right_child"][0]) if int(c) > 0
    )
    values[child] = child
    return values


def _first_linear_feature(values, fields):
    first = next(i for i, value in enumerate(values) if value)
    values[first] = 10**6
    return values


def _categorical_threshold(values, fields):
    node = next(i for i, d in enumerate(fields["decision_type"]) if int(d) & 1)
    values[node] = "1000"
    return values


# XGBoost UBJSON models ---------------------------------------------------------------


def _xgb_edit(edit):
    def apply(raw):
        document = ubjson_loads(raw)
        edit(document)
        return _ubjson_dumps(document)

    return apply


def _xgb_model(document):
    return document["Model"]["learner"]["gradient_booster"]["model"]


def _xgb_tree(key, index, value, tree=0):
    def edit(document):
        _xgb_model(document)["trees"][tree][key].values[index] = value

    return _xgb_edit(edit)


def _xgb_cycle(document):
    tree = _xgb_model(document)["trees"][0]
    left = tree["left_children"].values
    inner = next(i for i in (left[0], left[0] + 1) if left[i] != -1)
    left[inner], tree["right_children"].values[inner] = left[0], left[0] + 1


def _xgb_num_class(document):
    learner = document["Model"]["learner"]
    learner["learner_model_param"]["num_class"] = "2"
    learner["learner_model_param"]["base_score"] = "[5E-1]"
    learner["objective"]["softmax_multiclass_param"]["num_class"] = "2"


def _xgb_tree_info(document):
    _xgb_model(document)["tree_info"][0] = 50


def _xgb_num_nodes(document):
    _xgb_model(document)["trees"][0]["tree_param"]["num_nodes"] = "100000000"


def _xgb_categories(document):
    for tree in _xgb_model(document)["trees"]:
        if len(tree["categories_sizes"]):
            tree["categories_sizes"].values[0] = 10**6
            return
    raise AssertionError("no categorical split")


def _length_lie(raw):
    return raw[:2] + struct.pack(">q", 2**40) + raw[10:]


# HistGradientBoosting predictors (edited before saving) -------------------------------


def _hgb_node(field, value, node=0):
    def edit(model):
        model._predictors[0][0].nodes[field][node] = value

    return edit


def _hgb_categorical_node(field, value):
    def edit(model):
        for iteration in model._predictors:
            nodes = iteration[0].nodes
            found = np.flatnonzero(nodes["is_categorical"] & ~nodes["is_leaf"].astype(bool))
            if found.size:
                nodes[field][found[0]] = value
                return
        raise AssertionError("no categorical split")

    return edit


def _hgb_cycle(model):
    nodes = model._predictors[0][0].nodes
    child = next(
        c for c in (nodes["left"][0], nodes["right"][0]) if not nodes["is_leaf"][c]
    )
    nodes["left"][child] = child


#: kind: (legit model, tamper, message). A tamper is ("text", edit) for LightGBM
#: model strings, ("member", edit) for XGBoost models, ("schema", edit) for the
#: schema, ("model", edit) for a fitted model edited before it is saved.
TAMPERS = {
    "lightgbm-feature-index": (
        "lightgbm-multiclass",
        ("text", _tree_line("split_feature", _set(0, 10**6))),
        r"LightGBM booster: tree 0 node 0: split feature 1000000 out of range \[0, 6\)",
    ),
    "lightgbm-child-out-of-range": (
        "lightgbm-multiclass",
        ("text", _tree_line("right_child", _set(0, 99))),
        r"tree 0 node 0: right child 99 out of range \[1, 3\)",
    ),
    "lightgbm-leaf-out-of-range": (
        "lightgbm-multiclass",
        ("text", _tree_line("left_child", _set(0, -100))),
        r"tree 0 node 0: left child is leaf 99, out of range \[0, 4\)",
    ),
    "lightgbm-cycle": (
        "lightgbm-multiclass",
        ("text", _tree_line("left_child", _self_loop)),
        r"tree 0 node \d: left child \d is reached twice \(a cycle",
    ),
    "lightgbm-decision-type": (
        "lightgbm-multiclass",
        ("text", _tree_line("decision_type", _set(0, 12))),
        r"tree 0 node 0: decision_type 12 is not valid",
    ),
    "lightgbm-categorical-index": (
        "lightgbm-categorical",
        ("text", _tree_line("threshold", _categorical_threshold)),
        r"categorical split 1000.0 out of range",
    ),
    "lightgbm-huge-num-leaves": (
        "lightgbm-multiclass",
        ("text", _tree_line("num_leaves", _set(0, 10**8))),
        r"tree 0's split_feature has 3 entries, expected 99999999",
    ),
    "lightgbm-truncated": (
        "lightgbm-multiclass",
        ("text", lambda text: text[: len(text) // 2]),
        r"tree_sizes gives tree \d+ \d+ characters but only \d+ remain",
    ),
    "lightgbm-lying-tree-sizes": (
        "lightgbm-multiclass",
        ("text", lambda text: re.sub(r"tree_sizes=\d+", "tree_sizes=1000000000", text)),
        r"tree_sizes gives tree 0 1000000000 characters",
    ),
    "lightgbm-num-class": (
        "lightgbm-multiclass",
        ("text", _header_line("objective", "multiclass num_class:100")),
        r"objective multiclass has 100 classes but the model 3",
    ),
    "lightgbm-trees-per-iteration": (
        "lightgbm-multiclass",
        ("text", _header_line("num_tree_per_iteration", 30)),
        r"num_tree_per_iteration is 30 but num_class 3",
    ),
    "lightgbm-garbage": (
        "lightgbm-binary",
        ("text", lambda text: "tree\nversion=v4\n\x00\x13garbage" + text[:40]),
        r"NUL or carriage-return",
    ),
    "lightgbm-linear-feature": (
        "lightgbm-linear",
        ("text", _tree_line("leaf_features", _first_linear_feature, tree=1)),
        r"a linear feature is out of range \[0, 6\)",
    ),
    "lightgbm-wrapper-features": (
        "lightgbm-binary",
        ("schema", _wrapper_attribute("LGBMClassifier", "_n_features", 2)),
        r"the wrapper expects 2 features but its model has 6",
    ),
    "xgboost-feature-index": (
        "xgboost-multiclass",
        ("member", _xgb_tree("split_indices", 0, 10**6)),
        r"XGBoost booster: tree 0 node 0: split feature 1000000 out of range \[0, 6\)",
    ),
    "xgboost-child-out-of-range": (
        "xgboost-multiclass",
        ("member", _xgb_tree("left_children", 0, 99)),
        r"tree 0 node 0: left child 99 out of range \[1, \d\)",
    ),
    "xgboost-right-child": (
        "xgboost-multiclass",
        ("member", _xgb_tree("right_children", 0, 1)),
        r"tree 0 node 0: right child 1 is not left child \+ 1",
    ),
    "xgboost-cycle": (
        "xgboost-multiclass",
        ("member", _xgb_edit(_xgb_cycle)),
        r"tree 0 node \d: child \d is reached twice \(a cycle",
    ),
    "xgboost-parent-out-of-range": (
        "xgboost-multiclass",
        ("member", _xgb_tree("parents", 1, 10**6)),
        r"tree 0 node 1: parent 1000000 out of range",
    ),
    "xgboost-tree-info": (
        "xgboost-multiclass",
        ("member", _xgb_edit(_xgb_tree_info)),
        r"tree 0 adds to output 50, out of range \[0, 3\)",
    ),
    "xgboost-num-class": (
        "xgboost-multiclass",
        ("member", _xgb_edit(_xgb_num_class)),
        r"adds to output 2, out of range \[0, 2\)",
    ),
    "xgboost-huge-num-nodes": (
        "xgboost-multiclass",
        ("member", _xgb_edit(_xgb_num_nodes)),
        r"tree 0's loss_changes has \d+ entries, expected 100000000",
    ),
    "xgboost-categories": (
        "xgboost-categorical",
        ("member", _xgb_edit(_xgb_categories)),
        r"categories \[0, 1000000\) out of range",
    ),
    "xgboost-string-length": (
        "xgboost-binary",
        ("member", _length_lie),
        r"a length of 1099511627776 runs past the end",
    ),
    "xgboost-truncated": (
        "xgboost-binary",
        ("member", lambda raw: raw[: len(raw) // 2]),
        r"not valid UBJSON: ",
    ),
    "xgboost-garbage": (
        "xgboost-binary",
        ("member", lambda raw: b"\x00\x13garbage" + raw[:40]),
        r"not XGBoost's serialization",
    ),
    "xgboost-wrapper-classes": (
        "xgboost-multiclass",
        ("schema", _wrapper_attribute("XGBClassifier", "n_classes_", 5)),
        r"the wrapper has 5 classes but its model 3 outputs per row",
    ),
    "hgb-feature-index": (
        "hgb-categorical",
        ("model", _hgb_node("feature_idx", 10**6)),
        r"iteration 0 tree 0 node 0: split feature 1000000 out of range \[0, 7\)",
    ),
    "hgb-child-out-of-range": (
        "hgb-categorical",
        ("model", _hgb_node("left", 10**6)),
        r"node 0: left child 1000000 out of range",
    ),
    "hgb-cycle": (
        "hgb-categorical",
        ("model", _hgb_cycle),
        r"left child \d+ is reached twice \(a cycle",
    ),
    "hgb-bitset-index": (
        "hgb-categorical",
        ("model", _hgb_categorical_node("bitset_idx", 10**6)),
        r"bitset 1000000 out of range",
    ),
    "hgb-categorical-numeric-feature": (
        "hgb-categorical",
        ("model", _hgb_categorical_node("feature_idx", 1)),
        r"categorical split on feature 1, which the model's bin mapper does not",
    ),
}


def craft(kind, fitted, folder):
    """Write the crafted file of ``kind`` and a pickle of the rows to predict."""
    name, (how, edit), _ = TAMPERS[kind]
    model, X = fitted[name]
    folder = Path(folder)
    target, rows = folder / f"{kind}.skops", folder / f"{kind}.X.pkl"
    if how == "model":
        model = copy.deepcopy(model)
        edit(model)
        save(model, target)
    else:
        source = save(model, folder / f"{kind}.legit.skops")
        _rewrite(source, target, **{how: edit})
    rows.write_bytes(pickle.dumps(X))
    return target, rows


#: Loads each (model, rows) file given as JSON and predicts; one JSON line each.
RUNNER = """
import json, pickle, sys
from skdistill.export import load
for path, rows, trusted in json.loads(sys.argv[1]):
    try:
        model = load(path, trusted=trusted)
        with open(rows, "rb") as handle:
            model.predict(pickle.load(handle))
        result = {"path": path, "outcome": "predicted"}
    except Exception as exc:
        result = {"path": path, "outcome": type(exc).__name__, "message": str(exc)}
    print(json.dumps(result), flush=True)
"""


def run_isolated(jobs, package_root=None, timeout=300):
    """Load and predict each (path, rows, trusted) job in one subprocess."""
    root = package_root or str(Path(skdistill.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": root, "OMP_NUM_THREADS": "1"}
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            json.dumps([[str(p) for p in j[:2]] + [j[2]] for j in jobs]),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    results = [json.loads(line) for line in process.stdout.splitlines() if line]
    return process, {Path(r["path"]).name: r for r in results}


@pytest.fixture(scope="module")
def crafted_outcomes(fitted, tmp_path_factory):
    folder = tmp_path_factory.mktemp("crafted")
    jobs = [(*craft(kind, fitted, folder), None) for kind in TAMPERS]
    return run_isolated(jobs)


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_issue11_item7_crafted_native_model_is_refused_before_native_code(
    crafted_outcomes, kind
):
    process, outcomes = crafted_outcomes
    outcome = outcomes.get(f"{kind}.skops")
    assert outcome is not None, (
        f"the process loading the crafted files died with status {process.returncode} "
        f"(at or before {kind}): {process.stderr[-2000:]}"
    )
    assert outcome["outcome"] == "ValueError", outcome
    message = " ".join(outcome["message"].split())
    assert re.search(TAMPERS[kind][2], message), message
    assert f"{kind}.skops" in message
    assert re.search(r"corrupt or was crafted", message)


def test_crafted_files_never_crash_the_loading_process(crafted_outcomes):
    process, outcomes = crafted_outcomes
    assert process.returncode == 0, process.stderr[-2000:]
    assert len(outcomes) == len(TAMPERS)


def test_issue11_item7_cli_refuses_a_crafted_teacher_without_crashing(fitted, tmp_path):
    path, _ = craft("lightgbm-feature-index", fitted, tmp_path)
    _, X = fitted["lightgbm-multiclass"]
    data = tmp_path / "train.csv"
    pd.DataFrame(X[:60], columns=[f"f{i}" for i in range(6)]).assign(
        label=np.arange(60) % 3
    ).to_csv(data, index=False)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(skdistill.__file__).parents[1]),
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "skdistill.cli",
            "distill",
            "--teacher",
            str(path),
            "--data",
            str(data),
            "--target",
            "label",
            "--student",
            "tree:max_depth=2",
            "--out",
            str(tmp_path / "student.skops"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    error = " ".join(result.stderr.split())
    assert "could not load the teacher" in error
    assert re.search(r"split feature 1000000 out of range \[0, 6\)", error)
    assert not (tmp_path / "student.skops").exists()


@pytest.mark.parametrize(
    "make, type_name, why",
    [
        (
            lambda X, y: xgboost.XGBClassifier(
                n_estimators=2, booster="gblinear", n_jobs=1
            ).fit(np.nan_to_num(X), y),
            XGBOOST_BOOSTER,
            "gblinear",
        ),
        (
            lambda X, y: xgboost.XGBRegressor(
                n_estimators=2, max_depth=2, multi_strategy="multi_output_tree", n_jobs=1
            ).fit(X, np.c_[y, 1 - y]),
            XGBOOST_BOOSTER,
            "multi-output tree",
        ),
    ],
    ids=["gblinear", "multi-output-trees"],
)
def test_models_the_checks_do_not_cover_need_explicit_trust(tmp_path, make, type_name, why):
    X, y = _numeric(2)
    model = make(X, y)
    path = save(model, tmp_path / "model.skops")
    with pytest.raises(ValueError, match=rf"{why}.*trusted=\['{type_name}'\]") as info:
        load(path)
    assert f"--trust {type_name}" in str(info.value)
    loaded = load(path, trusted=[type_name])
    np.testing.assert_array_equal(
        loaded.predict(np.nan_to_num(X)), model.predict(np.nan_to_num(X))
    )


def test_explicit_trust_does_not_let_a_corrupt_booster_through(fitted, tmp_path):
    path, _ = craft("xgboost-feature-index", fitted, tmp_path)
    with pytest.raises(ValueError, match="split feature 1000000 out of range"):
        load(path, trusted=[XGBOOST_BOOSTER])


def test_a_booster_hidden_behind_a_shared_id_is_checked(fitted, tmp_path):
    """skops builds a state that reuses an ``__id__`` from the first state with it."""
    model, _ = fitted["lightgbm-binary"]
    source = save(model, tmp_path / "legit.skops")

    def hide(document):
        handle = _attributes_of(document, "Booster")["_handle"]
        crafted = json.loads(handle["content"]).replace(
            "split_feature=", "split_feature=99", 1
        )
        crafted = _tree_sizes_fixed(crafted)
        decoy = {**handle, "content": json.dumps(crafted)}
        # The decoy comes first in the schema: skops would build _handle from it.
        document["content"]["content"] = {"decoy": decoy, **document["content"]["content"]}

    _rewrite(source, tmp_path / "crafted.skops", schema=hide)
    with pytest.raises(ValueError, match=r"split feature 99\d* out of range"):
        load(tmp_path / "crafted.skops")
