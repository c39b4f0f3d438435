"""Tree students compiled to a C shared library with treelite and tl2cgen.

``compile_student`` turns the student's trees into C code (tl2cgen), builds it with
the system compiler, and writes beside the library a small JSON file with what the
distiller does with the student's outputs (class order, temperature scale, softmax
of a regressor's logits). :class:`CompiledStudent` loads both and predicts like the
distiller, without scikit-learn's per-call overhead.
"""

import contextlib
import ctypes
import hashlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_is_fitted

from .._compat import optional_import
from .._distill import DistilledClassifier, DistilledRegressor
from .._io import write_atomic
from .._targets import PROBA_FLOOR, binary_logits
from .._validation import name_of
from ..strategies import ExpandStrategy, LightGBMStrategy, RegressStrategy, XGBoostStrategy
from ._persist import _versions

__all__ = ["CompiledStudent", "compile_student"]

_FORMAT = "skdistill-compiled-student/1"

_PURPOSE = "compiling tree students"

#: Up to this many rows, the compiled function is called row by row through ctypes,
#: which costs less than building tl2cgen's DMatrix (single-row serving).
_DIRECT_ROWS = 16

#: Compilers tried, in order, when ``toolchain`` is None.
_TOOLCHAINS = ("gcc", "clang")


def compile_student(
    model, path, *, toolchain=None, overwrite=False, n_jobs=1, verbose=False
):
    """Compile a tree student to a C shared library that predicts like the distiller.

    The student's trees are translated to C by treelite and tl2cgen and built with
    the system compiler. What the distiller does with the student's outputs (the
    teacher's class order, the map back to temperature 1, the softmax of a
    ``"regress"`` student's logits) is written beside the library, in
    ``<path>.json`` with the library's SHA-256, and applied by
    :class:`CompiledStudent`.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skdistill.DistilledClassifier` or
        :class:`~skdistill.DistilledRegressor` whose student is a tree model, or
        such a student on its own. Tree models: scikit-learn decision trees,
        random forests, extra trees, gradient boosting and histogram gradient
        boosting, LightGBM and XGBoost (tree boosters).
    path : str or path-like
        The shared library to write, e.g. ``student.so``; the metadata goes to
        ``<path>.json``. Both are written atomically.
    toolchain : {"gcc", "clang"} or str, default=None
        The C compiler; None uses the first of gcc and clang found on ``PATH``.
    overwrite : bool, default=False
        Replace existing files.
    n_jobs : int, default=1
        Threads of the compiler, and of the returned predictor's batch
        predictions (single rows never use more than one).
    verbose : bool, default=False
        Show tl2cgen's and the compiler's messages.

    Returns
    -------
    compiled : CompiledStudent
        The compiled student, loaded.

    Raises
    ------
    TypeError
        If the student is not a tree model treelite can import.
    RuntimeError
        If no C compiler is found.

    See Also
    --------
    CompiledStudent : Load a compiled student again.
    to_onnx : Export to ONNX.

    Notes
    -----
    Features are compared as the student's framework does: scikit-learn and
    XGBoost round them to float32, LightGBM compares in float64. Missing values
    (NaN) follow the trees' default branches.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.export import compile_student
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> model = DistilledClassifier(teacher, temperature=3.0, random_state=0).fit(X, y)
    >>> if shutil.which("gcc") or shutil.which("clang"):
    ...     compiled = compile_student(model, Path(tempfile.mkdtemp()) / "student.so")
    ...     proba = compiled.predict_proba(X)
    ... else:  # no compiler on this machine
    ...     proba = model.predict_proba(X)
    >>> bool(np.abs(proba - model.predict_proba(X)).max() < 1e-12)
    True
    """
    treelite = optional_import("treelite", purpose=_PURPOSE)
    tl2cgen = optional_import("tl2cgen", purpose=_PURPOSE)
    check_is_fitted(model)
    path = Path(path)
    meta_path = _meta_path(path)
    for target in (path, meta_path):
        if not overwrite and target.exists():
            raise FileExistsError(
                f"{target} already exists; pass overwrite=True to replace it, or choose "
                "another path."
            )
    toolchain = _find_toolchain(toolchain)
    student, meta = _describe(model)
    tree_model = _import_trees(treelite, student)
    quiet = (
        contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    )
    with tempfile.TemporaryDirectory(prefix="skdistill-compile-") as build:
        built = Path(build) / f"student{path.suffix or '.so'}"
        with quiet:
            tl2cgen.export_lib(
                tree_model,
                toolchain=toolchain,
                libpath=built,
                nthread=n_jobs,
                verbose=verbose,
            )
        meta["library_sha256"] = _sha256(built.read_bytes())
        meta["versions"] = _versions()
        for framework in ("treelite", "tl2cgen"):
            meta["versions"][framework] = sys.modules[framework].__version__
        text = json.dumps(meta, indent=2)
        # metadata first: a library without its (matching) metadata is refused on load
        write_atomic(meta_path, lambda tmp: tmp.write_text(text), overwrite=overwrite)
        write_atomic(path, lambda tmp: shutil.copyfile(built, tmp), overwrite=overwrite)
    return CompiledStudent(path, n_jobs=n_jobs)


def _meta_path(path):
    return path.with_name(path.name + ".json")


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _find_toolchain(toolchain):
    if toolchain is not None:
        return toolchain
    for candidate in _TOOLCHAINS:
        if shutil.which(candidate):
            return candidate
    raise RuntimeError(
        "No C compiler found on PATH (tried gcc and clang); compile_student builds a "
        "shared library with one. Install gcc (e.g. apt-get install gcc) or pass "
        "toolchain=... naming yours."
    )


def _describe(model):
    """The student to compile and the metadata of the head applied to its outputs."""
    if isinstance(model, DistilledClassifier):
        strategy, student = model.strategy_, model.student_
        meta = {
            "task": "classification",
            "classes": np.asarray(model.classes_).tolist(),
            "scale": float(getattr(strategy, "scale_", 1.0)),
            "strategy": strategy.name,
        }
        if isinstance(strategy, ExpandStrategy):
            meta.update(head="proba", columns=np.asarray(strategy.columns_).tolist())
        elif isinstance(strategy, RegressStrategy):
            meta.update(head=f"regress-{strategy.target}")
        elif isinstance(strategy, LightGBMStrategy | XGBoostStrategy):
            meta.update(head="margin", columns=np.asarray(strategy.columns_).tolist())
        else:
            raise TypeError(
                f"Cannot compile the student of the {strategy.name!r} strategy: "
                "compile_student compiles tree students of the 'expand', 'regress', "
                "'lightgbm' and 'xgboost' strategies. Use to_onnx instead."
            )
    elif isinstance(model, DistilledRegressor):
        student = model.student_
        meta = {"task": "regression"}
    elif is_classifier(model) and hasattr(model, "predict_proba"):
        student = model
        meta = {
            "task": "classification",
            "classes": np.asarray(model.classes_).tolist(),
            "scale": 1.0,
            "strategy": None,
            "head": "proba",
            "columns": list(range(len(model.classes_))),
        }
    elif is_regressor(model):
        student = model
        meta = {"task": "regression"}
    else:
        raise TypeError(
            f"compile_student compiles fitted distillers and tree classifiers (with "
            f"predict_proba) or regressors; got {name_of(model)}."
        )
    n_features = getattr(model, "n_features_in_", None) or student.n_features_in_
    meta.update(
        format=_FORMAT,
        n_features=int(n_features),
        input_dtype=_input_dtype(student),
    )
    if meta["task"] == "regression":
        probe = np.zeros((1, meta["n_features"]))
        meta["one_d"] = bool(np.ndim(model.predict(probe)) == 1)
    return student, meta


def _input_dtype(student):
    """Precision at which the student's framework compares features to thresholds."""
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    hist = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
    if _framework(student) == "lightgbm" or isinstance(student, hist):
        return "float64"
    return "float32"  # scikit-learn trees and XGBoost


def _framework(student):
    return type(student).__module__.split(".")[0]


def _import_trees(treelite, student):
    """The treelite model of a tree student."""
    from sklearn import ensemble, tree

    framework = _framework(student)
    if framework == "lightgbm" and hasattr(student, "booster_"):
        return treelite.frontend.from_lightgbm(student.booster_)
    if framework == "xgboost" and hasattr(student, "get_booster"):
        booster = student.get_booster()
        if json.loads(booster.save_config())["learner"]["gradient_booster"]["name"] == (
            "gblinear"
        ):
            raise TypeError("Cannot compile an XGBoost gblinear student: it has no trees.")
        return treelite.frontend.from_xgboost(booster)
    # a single tree is imported as a forest of one tree (treelite takes ensembles)
    if isinstance(student, tree.BaseDecisionTree):
        if is_classifier(student):
            forest = ensemble.RandomForestClassifier(n_estimators=1)
            forest.n_classes_ = student.n_classes_
        else:
            forest = ensemble.RandomForestRegressor(n_estimators=1)
        forest.estimators_ = [student]
        forest.n_outputs_ = student.n_outputs_
        forest.n_features_in_ = student.n_features_in_
        student = forest
    supported = (
        ensemble.RandomForestClassifier,
        ensemble.RandomForestRegressor,
        ensemble.ExtraTreesClassifier,
        ensemble.ExtraTreesRegressor,
        ensemble.GradientBoostingClassifier,
        ensemble.GradientBoostingRegressor,
        ensemble.HistGradientBoostingClassifier,
        ensemble.HistGradientBoostingRegressor,
    )
    if not isinstance(student, supported):
        raise TypeError(
            f"Cannot compile the student {name_of(student)}: compile_student needs a "
            "tree model (scikit-learn trees and tree ensembles, LightGBM, XGBoost), not "
            "a pipeline or another kind of model. Use to_onnx for other students."
        )
    return treelite.sklearn.import_model(student)


class CompiledStudent:
    """A student compiled by :func:`compile_student`, loaded from its shared library.

    It predicts like the distiller it came from: ``predict_proba`` applies the
    teacher's class order and the map back to temperature 1 to the compiled trees'
    outputs, ``predict`` returns the most probable class (regressors: the
    predictions).

    Parameters
    ----------
    path : str or path-like
        The shared library written by :func:`compile_student`; its metadata is read
        from ``<path>.json`` and must carry the library's SHA-256.
    n_jobs : int, default=1
        Threads for batch predictions.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers only).
    n_features_in_ : int
        Number of features expected.
    metadata_ : dict
        The content of ``<path>.json``.

    See Also
    --------
    compile_student : Compile a student.

    Examples
    --------
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skdistill.export import CompiledStudent, compile_student
    >>> X, y = load_diabetes(return_X_y=True)
    >>> student = DecisionTreeRegressor(max_depth=3).fit(X, y)
    >>> if shutil.which("gcc") or shutil.which("clang"):
    ...     path = Path(tempfile.mkdtemp()) / "student.so"
    ...     _ = compile_student(student, path)
    ...     prediction = CompiledStudent(path).predict(X[:3])
    ... else:  # no compiler on this machine
    ...     prediction = student.predict(X[:3])
    >>> bool((prediction == student.predict(X[:3])).all())
    True
    """

    def __init__(self, path, *, n_jobs=1):
        tl2cgen = optional_import("tl2cgen", purpose="loading compiled students")
        self.path = Path(path)
        meta = _read_metadata(self.path)
        self.metadata_ = meta
        self.n_features_in_ = int(meta["n_features"])
        self._classifier = meta["task"] == "classification"
        if self._classifier:
            self.classes_ = np.asarray(meta["classes"])
            self._head = meta["head"]
            self._scale = float(meta["scale"])
            n_classes = len(self.classes_)
            columns = np.asarray(meta.get("columns", range(n_classes)), dtype=np.intp)
            identity = len(columns) == n_classes and np.array_equal(
                columns, np.arange(n_classes)
            )
            self._columns = None if identity else columns
        # Load a private copy: its bytes are the ones checked, and the dynamic loader
        # would return an already loaded library of the same path (an older build).
        data = self.path.read_bytes()
        if _sha256(data) != meta["library_sha256"]:
            raise ValueError(
                f"{self.path} does not match its metadata {_meta_path(self.path)} "
                "(SHA-256 differs): one of them was replaced. Compile the student again."
            )
        fd, copy = _private_copy_file(self.path)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            self._predictor = tl2cgen.Predictor(copy, nthread=n_jobs)
            self._library = ctypes.CDLL(copy)
        finally:
            with contextlib.suppress(OSError):  # loaded libraries stay mapped
                os.unlink(copy)
        self._dmatrix = tl2cgen.DMatrix
        self._dtype = np.dtype(self._predictor.threshold_type)
        self._out_dtype = np.dtype(self._predictor.leaf_output_type)
        self._round = np.dtype(meta["input_dtype"])
        self._width = int(self._predictor.num_target * max(self._predictor.num_class))
        # The generated C function ``predict(union Entry* row, int pred_margin,
        # T* result)``: called directly for a few rows, tl2cgen's batch API otherwise.
        self._predict_row = self._library.predict
        self._predict_row.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        self._predict_row.restype = None
        self._direct = sys.byteorder == "little"
        # Buffers of the single-row path (a lock keeps it thread-safe).
        self._lock = threading.Lock()
        self._row = np.zeros(self.n_features_in_, dtype=self._dtype)
        self._row_rounded = np.zeros(self.n_features_in_, dtype=self._round)
        self._nan_probe = np.zeros(self.n_features_in_, dtype=self._dtype)
        self._out = np.zeros(self._width, dtype=self._out_dtype)
        self._row_address = self._row.ctypes.data
        self._out_address = self._out.ctypes.data

    def __repr__(self):
        return f"CompiledStudent({str(self.path)!r})"

    def _raw(self, X, *, margin=False):
        """Outputs of the compiled trees, shape (n_samples, n_outputs), float64."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}; the compiled student expects (n_samples, "
                f"{self.n_features_in_})."
            )
        if self._direct and X.shape[0] == 1:
            return np.array([self._raw_row(X[0], margin)])
        rows = np.array(X, dtype=self._round).astype(self._dtype, copy=False)
        if not (self._direct and len(rows) <= _DIRECT_ROWS):
            out = self._predictor.predict(
                self._dmatrix(rows, dtype=self._dtype.name), pred_margin=margin
            )
            return out.reshape(len(rows), -1).astype(np.float64, copy=False)
        missing = np.isnan(rows)
        if missing.any():
            _mark_missing(rows, missing)
        out = np.zeros((len(rows), self._width), dtype=self._out_dtype)
        step_in, step_out = rows.strides[0], out.strides[0]
        start_in, start_out = rows.ctypes.data, out.ctypes.data
        for i in range(len(rows)):
            self._predict_row(start_in + i * step_in, margin, start_out + i * step_out)
        return out.astype(np.float64, copy=False)

    def _raw_row(self, x, margin):
        """The compiled trees' outputs for one row, as a list of floats.

        Uses preallocated buffers and no per-call numpy allocation: single-row
        serving is what compiled students are for.
        """
        with self._lock:
            np.copyto(self._row_rounded, x, casting="unsafe")
            np.copyto(self._row, self._row_rounded, casting="unsafe")
            if np.dot(self._row, self._nan_probe) != 0:  # NaN (or inf) somewhere
                missing = np.isnan(self._row)
                if missing.any():
                    _mark_missing(self._row, missing)
            self._out.fill(0)
            self._predict_row(self._row_address, margin, self._out_address)
            return self._out.tolist()

    def predict_proba(self, X):
        """Class probabilities, as the distiller's ``predict_proba``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score (numeric, columns in the order of ``fit``).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        if not self._classifier:
            raise AttributeError("A compiled regressor has no predict_proba; use predict.")
        X = np.asarray(X)
        if self._direct and X.ndim == 2 and X.shape == (1, self.n_features_in_):
            return np.array([self._proba_row(X[0])])
        head, scale = self._head, self._scale
        if head == "proba":
            out = self._raw(X)
            if out.shape[1] == 1 and len(self.classes_) == 2:  # P(positive class)
                out = np.column_stack([1 - out[:, 0], out[:, 0]])
            proba = self._to_columns(out)
            if scale == 1.0:
                return proba
            return _softmax(scale * _log_clip(proba))
        if head == "margin":
            margins = self._raw(X, margin=True)
            if len(self.classes_) == 2:
                margins = binary_logits(margins)
            return _softmax(self._to_columns(margins))
        out = self._raw(X)  # regress-logit / regress-proba
        if len(self.classes_) == 2:
            out = out.reshape(-1)
            if head == "regress-logit":
                return _softmax(scale * binary_logits(out))
            out = np.column_stack([1 - out, out])
        if head == "regress-proba":
            out = _log_clip(out)
        return _softmax(scale * out)

    def _proba_row(self, x):
        """``predict_proba`` of one row in plain Python floats (no numpy per-call cost).

        The same maths as the batch path, row by row.
        """
        head, scale, n_classes = self._head, self._scale, len(self.classes_)
        out = self._raw_row(x, head == "margin")
        if head == "regress-logit":
            logits = [-out[0] / 2, out[0] / 2] if n_classes == 2 else out
            return _softmax_row([scale * v for v in logits])
        if head == "regress-proba":
            proba = [1 - out[0], out[0]] if n_classes == 2 else out
            return _softmax_row([scale * _log_clip_row(v) for v in proba])
        if head == "proba" and len(out) == 1 and n_classes == 2:
            out = [1 - out[0], out[0]]
        if head == "margin" and n_classes == 2:
            out = [-out[0] / 2, out[0] / 2]
        if self._columns is not None:
            full = [0.0] * n_classes
            for value, column in zip(out, self._columns.tolist(), strict=True):
                full[column] = value
            out = full
        if head == "margin":
            return _softmax_row(out)
        if scale == 1.0:
            return out
        return _softmax_row([scale * _log_clip_row(v) for v in out])

    def _to_columns(self, out):
        if self._columns is None:
            return out
        full = np.zeros((out.shape[0], len(self.classes_)))
        full[:, self._columns] = out
        return full

    def predict(self, X):
        """Predicted classes (classifiers) or values (regressors).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Labels from ``classes_``, or the regressor's predictions.
        """
        if self._classifier:
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        out = self._raw(X)
        return out.reshape(-1) if self.metadata_["one_d"] else out


def _private_copy_file(path):
    """A new temporary file for the loaded copy: beside the library if the folder is
    writable (the system temporary folder may forbid executing code), else there."""
    prefix = f".{path.stem}.loaded-"
    try:
        return tempfile.mkstemp(suffix=path.suffix, prefix=prefix, dir=path.parent)
    except OSError:
        return tempfile.mkstemp(suffix=path.suffix, prefix=prefix)


def _mark_missing(rows, missing):
    """Set the ``int missing`` member of tl2cgen's ``union Entry`` to -1 (NaN)."""
    rows.view(np.int32).reshape(*rows.shape, -1)[..., 0][missing] = -1


def _log_clip(proba):
    """``log(clip(proba, PROBA_FLOOR, 1))`` (as ``_targets.log_clip``, fewer calls)."""
    return np.log(np.minimum(np.maximum(proba, PROBA_FLOOR), 1.0))


def _log_clip_row(p):
    return math.log(min(max(p, PROBA_FLOOR), 1.0))


def _softmax_row(z):
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [v / total for v in e]


def _softmax(z):
    """Row-wise softmax of a fresh float64 array, in place (row max subtracted)."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _read_metadata(path):
    meta_path = _meta_path(path)
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"No metadata {meta_path} beside {path}; compile_student writes both. "
            "Compile the student again."
        ) from None
    except ValueError as exc:
        raise ValueError(f"{meta_path} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(
            f"{meta_path} is not the metadata of a compiled student (format {found!r}, "
            f"expected {_FORMAT!r})."
        )
    return meta
