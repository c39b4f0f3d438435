"""Tree students compiled to a C shared library with treelite and tl2cgen.

``compile_student`` turns the student's trees into C code (tl2cgen), adds a C
function returning the metadata of the head the distiller applies to the student's
outputs (class order, temperature scale, softmax of a regressor's logits), builds
both into one shared library with the system compiler, and writes the same metadata
beside it as JSON. :class:`CompiledStudent` loads the library only if its SHA-256 is
the one pinned by the caller (or ``trust=True``), refuses a metadata file that
differs from the copy compiled into the library, and predicts like the distiller
without scikit-learn's per-call overhead.
"""

import contextlib
import ctypes
import hashlib
import io
import json
import math
import os
import re
import shutil
import struct
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_is_fitted

from .._compat import optional_import
from .._distill import DistilledClassifier, DistilledRegressor
from .._io import write_atomic
from .._targets import PROBA_FLOOR, binary_logits, smooth_log_proba
from .._validation import name_of
from ..exceptions import DistillationWarning
from ..strategies._base import fitted_output_spec
from ._c_build import (
    MAX_NODES,
    build_library,
    check_max_nodes,
    check_size,
    estimate,
    jobs_of,
    units_of,
)
from ._integrity import refuse_teacher_ensemble
from ._persist import _versions

__all__ = ["CompiledStudent", "compile_student"]

_FORMAT = "skdistill-compiled-student/2"

#: The format before the metadata was compiled into the library (not tamper-evident).
_OLD_FORMATS = ("skdistill-compiled-student/1",)

_PURPOSE = "compiling tree students"

#: Up to this many rows, the compiled function is called row by row through ctypes,
#: which costs less than building tl2cgen's DMatrix (single-row serving).
_DIRECT_ROWS = 16

#: The kinds of student output (``OutputSpec.kind``) a compiled student reads.
_HEADS = ("proba", "margin", "regress-logit", "regress-proba")

#: Of those, the kinds whose values are logits (the others are probabilities).
_LOGIT_HEADS = ("margin", "regress-logit")

#: Compilers tried, in order, when ``toolchain`` is None.
_TOOLCHAINS = ("gcc", "clang")


def compile_student(
    model,
    path,
    *,
    toolchain=None,
    overwrite=False,
    n_jobs=1,
    verbose=False,
    max_nodes=MAX_NODES,
):
    """Compile a tree student to a C shared library that predicts like the distiller.

    The student's trees are translated to C by treelite and tl2cgen and built with
    the system compiler. What the distiller does with the student's outputs (the
    teacher's class order, the map back to temperature 1, the softmax of a
    ``"regress"`` student's logits) is compiled into the same library and written
    beside it, in ``<path>.json`` (read from the strategy's
    :meth:`~skdistill.strategies.BaseStrategy.output_spec`); :class:`CompiledStudent`
    applies it, and refuses a ``<path>.json`` that differs from the copy inside the
    library.

    Loading a compiled student runs its native code, so :class:`CompiledStudent`
    asks for the library's SHA-256: keep the ``sha256`` of the returned object
    with the deployment (not the copy in ``<path>.json``, which whoever can replace
    the library can rewrite too) and pass it as ``CompiledStudent(path,
    sha256=...)``. As the metadata is compiled in, that hash pins it as well.

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
        ``<path>.json``. Each file is written atomically, the metadata just before
        the library; if the library cannot be written, the metadata is put back
        as it was.
    toolchain : {"gcc", "clang"} or str, default=None
        The C compiler, a command that takes gcc's options (e.g. ``"gcc-12"`` or
        ``"ccache gcc"``); None uses the first of gcc and clang found on ``PATH``.
    overwrite : bool, default=False
        Replace existing files.
    n_jobs : int, default=1
        Compiler processes run at once (at most one per core; -1 or None: one
        per core), and threads of the returned predictor's batch predictions
        (single rows never use more than one; at most OpenMP's thread limit).
    verbose : bool, default=False
        Show tl2cgen's messages, and progress lines on the standard error: the
        estimated size and compile time, then the files compiled so far.
    max_nodes : int or None, default=1_000_000
        Refuse to compile a student with more tree nodes (split and leaf nodes of
        all trees) than this; None compiles any size. See Notes for the time to
        expect.

    Returns
    -------
    compiled : CompiledStudent
        The compiled student, loaded. Its ``sha256`` is the hash to pin when
        loading it again.

    Raises
    ------
    TypeError
        If the student is not a tree model treelite can import, or its strategy
        describes no output (does not implement
        :meth:`~skdistill.strategies.BaseStrategy.output_spec`) or one that is not
        a tree model's.
    ValueError
        If the student has more than ``max_nodes`` tree nodes; the message gives
        its nodes, the estimated code size and compile time, and the fixes. The
        check runs before any code is written.
    RuntimeError
        If no C compiler is found, or the compiler fails.

    Warns
    -----
    CompileSizeWarning
        If the student has more than 250,000 nodes (and at most ``max_nodes``), or
        one tree of more than 20,000 nodes.

    See Also
    --------
    CompiledStudent : Load a compiled student again.
    to_onnx : Export to ONNX.

    Notes
    -----
    Features are compared as the student's framework does: scikit-learn and
    XGBoost round them to float32, LightGBM compares in float64. Missing values
    (NaN) follow the trees' default branches.

    **Size and compile time.** tl2cgen writes each tree as nested ``if`` blocks,
    about 170 bytes of C per split and 36 per leaf value (a leaf of a k-class
    forest holds k values): 100 to 250 bytes per node. The trees are split into
    C files (translation units) of about 2,000 nodes (a tree is never split),
    compiled by ``n_jobs`` processes at once with ``gcc -O3``: measured at 0.45 to
    0.7 s per 1,000 nodes on one job for random forests and LightGBM of 16,000 to
    64,000 nodes (more per node for small models, where starting the compiler
    counts; on a shared 2-core machine, ``benchmarks/results/compile.md``), with
    at most 90 MB of memory per compiler process whatever the size. Before the
    split, all the trees went into one function, whose compile time and memory
    grow faster than its size (16,000 nodes: 460 to 890 MB; a 500-tree forest ran
    for more than 20 minutes at 2.6 GB). A single tree cannot be split: a tree of
    10,000 nodes takes about 500 MB and 2 s per 1,000 nodes. Hence the limits:
    above 250,000 nodes (2 to 3 minutes on one job) ``compile_student`` warns
    with a :class:`~skdistill.exceptions.CompileSizeWarning`; above
    ``max_nodes``, 1,000,000 nodes by default (about 150 MB of C, 10 minutes on
    one job), it refuses; it also warns when one tree has more than 20,000 nodes.
    For larger students, raise ``max_nodes`` and pass
    ``n_jobs=-1``, export with :func:`to_onnx` (no compiler), or distil a smaller
    student.

    tl2cgen bundles an older treelite than the treelite package that imports the
    trees, and its treelite writes a version-mismatch warning to the standard error
    on every call; that one message is filtered out, even with ``verbose=True``.

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
    ...     pinned = compiled.sha256  # keep it to load the library again
    ...     proba = compiled.predict_proba(X)
    ... else:  # no compiler on this machine
    ...     proba = model.predict_proba(X)
    >>> bool(np.abs(proba - model.predict_proba(X)).max() < 1e-12)
    True
    """
    treelite = optional_import("treelite", purpose=_PURPOSE)
    tl2cgen = optional_import("tl2cgen", purpose=_PURPOSE)
    refuse_teacher_ensemble(model, "compile_student")
    check_is_fitted(model)
    path = Path(path)
    meta_path = _meta_path(path)
    for target in (path, meta_path):
        if not overwrite and target.exists():
            raise FileExistsError(
                f"{target} already exists; pass overwrite=True to replace it, or choose "
                "another path."
            )
    check_max_nodes(max_nodes)
    toolchain = _find_toolchain(toolchain)
    student, meta = _describe(model)
    tree_model = _import_trees(treelite, student)
    size, jobs = estimate(tree_model), jobs_of(n_jobs)
    check_size(size, max_nodes, jobs)
    meta["versions"] = _versions()
    for framework in ("treelite", "tl2cgen"):
        meta["versions"][framework] = sys.modules[framework].__version__
    embedded = _canonical(meta)
    with tempfile.TemporaryDirectory(prefix="skdistill-compile-") as build:
        sources = Path(build)
        with _quiet_code_generation(verbose):
            params = {"parallel_comp": units_of(size, jobs)}
            tl2cgen.generate_c_code(tree_model, sources, params, verbose=verbose)
        _add_metadata_source(sources, embedded)
        built = build_library(toolchain, sources, jobs, size=size, verbose=verbose)
        data = built.read_bytes()
        meta["library_sha256"] = _sha256(data)
        text = json.dumps(meta, indent=2)
        _write_pair(path, data, meta_path, text, overwrite=overwrite)
    # pinned to the bytes just built: a file swapped in meanwhile is refused
    return CompiledStudent(path, sha256=meta["library_sha256"], n_jobs=n_jobs)


def _canonical(meta):
    """The metadata as compiled into the library: compact JSON, sorted keys, ASCII."""
    try:
        text = json.dumps(meta, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"Cannot compile the student: its metadata holds a non-finite number "
            f"({exc}); the distiller's temperature scale (strategy scale_) must be "
            "finite. Fit the distiller again."
        ) from exc
    return text.encode("ascii")


#: Name of the C function, compiled into every library, that returns its metadata.
_METADATA_FUNCTION = "skdistill_metadata"


def _add_metadata_source(sources, embedded):
    """Add to tl2cgen's generated sources a C file whose function returns ``embedded``.

    The bytes are written as a C array (no string escaping to get wrong), and the
    file is appended to the ``recipe.json`` that tl2cgen's ``create_shared`` builds.
    """
    rows = [
        "  " + ", ".join(f"0x{byte:02x}" for byte in embedded[i : i + 16]) + ","
        for i in range(0, len(embedded), 16)
    ]
    lines = [
        "/* Metadata of this compiled student, from skdistill.export.compile_student */",
        "#include <stddef.h>",
        "static const unsigned char metadata[] = {",
        *rows,
        "};",
        f"const unsigned char* {_METADATA_FUNCTION}(size_t* length) {{",
        "  *length = sizeof(metadata);",
        "  return metadata;",
        "}",
    ]
    code = "\n".join(lines) + "\n"
    name = "skdistill_metadata"
    (sources / f"{name}.c").write_text(code)
    recipe_path = sources / "recipe.json"
    recipe = json.loads(recipe_path.read_text())
    recipe["sources"].append({"name": name, "length": len(lines)})
    recipe_path.write_text(json.dumps(recipe))


def _write_pair(path, data, meta_path, text, *, overwrite):
    """Write the library and its metadata so that they land together or not at all.

    Both are written atomically; the metadata lands while the library's temporary
    file is complete, just before the library's rename. If that rename fails (or is
    interrupted), the metadata is put back as it was. Only a crash between the two
    renames leaves the new metadata beside the old library, a pair that
    :class:`CompiledStudent` refuses.
    """
    previous = meta_path.read_bytes() if overwrite and meta_path.is_file() else None
    landed = False

    def write_library(tmp):
        nonlocal landed
        tmp.write_bytes(data)
        write_atomic(meta_path, text, overwrite=overwrite)
        landed = True

    try:
        write_atomic(path, write_library, overwrite=overwrite)
    except BaseException:
        if landed:
            if previous is None:
                meta_path.unlink(missing_ok=True)
            else:
                write_atomic(meta_path, previous)
        raise


#: What tl2cgen's bundled treelite logs to the process's stderr when it reads a model
#: serialized by the (newer) treelite package: "[hh:mm:ss] .../serializer.cc:202:
#: The model you are loading originated from a newer Treelite version; ..." and two
#: lines with the versions.
_TREELITE_VERSION_WARNING = re.compile(
    rb"\[[0-9:]+\] [^\n]*serializer\.cc:[0-9]+: The model you are loading originated "
    rb"from a newer Treelite version; some functionalities may be unavailable\.\r?\n"
    rb"Currently running Treelite version [0-9.]+\r?\n"
    rb"The model checkpoint was generated from Treelite version [0-9.]+\r?\n"
)

#: A one-line log record of tl2cgen ("[hh:mm:ss] .../split.cc:30: Parallel
#: compilation disabled; ..."). In the thread that imported tl2cgen, it goes through
#: ``print``; tl2cgen's log callback is per thread, so other threads write it to the
#: process's stderr.
_TL2CGEN_LOG = re.compile(rb"\[[0-9]{2}:[0-9]{2}:[0-9]{2}\] [^\n]*\.cc:[0-9]+: [^\n]*\n")


@contextlib.contextmanager
def _quiet_code_generation(verbose):
    """Around ``tl2cgen.generate_c_code``: drop treelite's version-mismatch warning.

    tl2cgen 1.0 bundles treelite 4.1 and reads the model that the treelite package
    (4.8) serializes; the bundled treelite writes "The model you are loading
    originated from a newer Treelite version" with C++ ``std::cerr`` on every call
    (its log callback is not exported), so no Python warnings or logging filter
    reaches it. The file descriptor 2 is sent to a temporary file for the duration
    of the block, and everything it received is written back to ``sys.stderr``
    except that message (and, unless ``verbose``, tl2cgen's own log records, which
    ``print`` sends to the standard output, dropped too). Other threads' output to
    the descriptor during the block is delayed, not lost. A lock keeps threads that
    compile at once from nesting the redirections.
    """
    drop = [_TREELITE_VERSION_WARNING] + ([] if verbose else [_TL2CGEN_LOG])
    stdout = (
        contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    )
    with _OUTPUT_LOCK, stdout:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:  # no standard error to filter
            yield
            return
        try:
            with tempfile.TemporaryFile() as captured:
                os.dup2(captured.fileno(), 2)
                try:
                    yield
                finally:
                    os.dup2(saved, 2)
                    captured.seek(0)
                    rest = captured.read()
                    for pattern in drop:
                        rest = pattern.sub(b"", rest)
                    if rest:
                        sys.stderr.write(rest.decode("utf-8", "replace"))
                        sys.stderr.flush()
        finally:
            os.close(saved)


_OUTPUT_LOCK = threading.Lock()


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
        lead = f"Cannot compile the student of the strategy {type(strategy).__name__}"
        spec = fitted_output_spec(strategy, lead)
        if spec.kind not in _HEADS:
            raise TypeError(
                f"{lead} ({strategy.name!r}): its student's output is of kind "
                f"{spec.kind!r}, and compile_student compiles trees whose output is of "
                f"kind {', '.join(map(repr, _HEADS))} (the 'expand', 'regress', "
                "'lightgbm' and 'xgboost' strategies). Use to_onnx instead."
            )
        meta = {
            "task": "classification",
            "classes": np.asarray(model.classes_).tolist(),
            "head": spec.kind,
            "columns": list(spec.columns),
            "scale": spec.scale,
            "bias": list(spec.bias),
            "smoothing": spec.smoothing,
            "proba_floor": spec.proba_floor,
            "strategy": strategy.name,
        }
    elif isinstance(model, DistilledRegressor):
        student = model.student_
        meta = {"task": "regression"}
    elif is_classifier(model) and hasattr(model, "predict_proba"):
        student = model
        meta = {
            "task": "classification",
            "classes": np.asarray(model.classes_).tolist(),
            "scale": 1.0,
            "bias": [0.0] * len(model.classes_),
            "smoothing": 0.0,
            "strategy": None,
            "head": "proba",
            "columns": list(range(len(model.classes_))),
            "proba_floor": PROBA_FLOOR,
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

    **Loading a compiled student runs the code of its shared library** in this
    process, with its rights: only load a library you compiled, or one from a
    source you trust. The library is loaded only if its SHA-256 equals ``sha256``,
    the hash that :func:`compile_student` returned (``compiled.sha256``), or with
    ``trust=True``. The metadata beside it (``<path>.json``: classes, columns,
    temperature scale) is also compiled into the library, and a file that differs
    from that copy is refused, with or without ``trust``: an edited or swapped
    metadata file would silently change every prediction.

    Parameters
    ----------
    path : str or path-like
        The shared library written by :func:`compile_student`; its metadata is read
        from ``<path>.json``.
    sha256 : str, default=None
        The SHA-256 (64 hexadecimal digits) the library must have: the ``sha256``
        of the object :func:`compile_student` returned, kept with the deployment.
        Not the ``library_sha256`` of ``<path>.json``: whoever can replace the
        library can rewrite that file too.
    trust : bool, default=False
        Load the library without a pinned hash, with a warning. Only for a file
        from a source you trust. Ignored when ``sha256`` is given (the hash is
        checked).
    n_jobs : int, default=1
        Threads for batch predictions.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers only).
    n_features_in_ : int
        Number of features expected.
    metadata_ : dict
        The content of ``<path>.json``, checked against the library's copy.
    sha256 : str
        The SHA-256 of the loaded library (the bytes that were loaded).

    Raises
    ------
    ValueError
        If neither ``sha256`` nor ``trust=True`` is given (the message shows the
        library's SHA-256 to compare), if the library's SHA-256 is not ``sha256``,
        if the metadata does not match the library (edited, swapped or from
        another build), or if the library cannot be loaded (truncated, corrupt).
    FileNotFoundError
        If the library or its metadata is missing.

    Warns
    -----
    DistillationWarning
        When the library is loaded without a pinned hash because ``trust=True``.

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
    ...     pinned = compile_student(student, path).sha256  # keep it with the model
    ...     prediction = CompiledStudent(path, sha256=pinned).predict(X[:3])
    ... else:  # no compiler on this machine
    ...     prediction = student.predict(X[:3])
    >>> bool((prediction == student.predict(X[:3])).all())
    True
    """

    def __init__(self, path, *, sha256=None, trust=False, n_jobs=1):
        tl2cgen = optional_import("tl2cgen", purpose="loading compiled students")
        self.path = Path(path)
        expected = _expected_sha256(sha256)
        # The bytes hashed are the bytes loaded (from a private copy): the file
        # cannot be swapped between the check and the load.
        data = _read_library(self.path)
        self.sha256 = _sha256(data)
        _authorize(self.path, self.sha256, expected, trust)
        meta = _read_metadata(self.path)
        if meta.get("library_sha256") != self.sha256:
            raise ValueError(
                _mismatch_message(
                    self.path, "the library's SHA-256 is not the one it records"
                )
            )
        _check_complete(self.path, data)
        with _private_copy(self.path, data) as copy:
            try:
                self._library = ctypes.CDLL(copy)
                _check_embedded_metadata(self.path, self._library, meta, len(data))
                self._predictor = _predictor(tl2cgen, copy, n_jobs)
            except (OSError, tl2cgen.TL2cgenError) as exc:
                raise ValueError(
                    f"{self.path} cannot be loaded as a compiled student (truncated, "
                    f"corrupt, or built for another platform): {exc}. Compile the "
                    "student again."
                ) from exc
        self.metadata_ = meta
        self.n_features_in_ = int(meta["n_features"])
        self._classifier = meta["task"] == "classification"
        if self._classifier:
            self.classes_ = np.asarray(meta["classes"])
            self._head = meta["head"]
            self._scale = float(meta["scale"])
            n_classes = len(self.classes_)
            self._bias = np.asarray(meta.get("bias", [0.0] * n_classes), dtype=np.float64)
            self._smoothing = float(meta.get("smoothing", 0.0))
            self._floor = float(meta.get("proba_floor", PROBA_FLOOR))
            self._mapped = (
                self._scale != 1.0 or self._smoothing != 0.0 or bool(self._bias.any())
            )
            columns = np.asarray(meta.get("columns", range(n_classes)), dtype=np.intp)
            identity = len(columns) == n_classes and np.array_equal(
                columns, np.arange(n_classes)
            )
            self._columns = None if identity else columns
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
        return f"CompiledStudent({str(self.path)!r}, sha256={self.sha256!r})"

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
        head, n_classes = self._head, len(self.classes_)
        out = self._raw(X, margin=head == "margin")
        if out.shape[1] == 1 and n_classes == 2:  # the second class's log-odds or P
            if head in _LOGIT_HEADS:
                out = binary_logits(out)
            else:
                out = np.column_stack([1 - out[:, 0], out[:, 0]])
        out = self._to_columns(out)
        if head == "proba":
            if not self._mapped:
                return out
            proba = (1.0 - self._smoothing) * out + self._smoothing / n_classes
            return _softmax(self._scale * _log_clip(proba, self._floor) + self._bias)
        logits = out if head in _LOGIT_HEADS else _log_clip(out, self._floor)
        if self._mapped:
            if self._smoothing:
                logits = smooth_log_proba(logits, self._smoothing)
            logits = self._scale * logits + self._bias
        return _softmax(logits)

    def _proba_row(self, x):
        """``predict_proba`` of one row in plain Python floats (no numpy per-call cost).

        The same maths as the batch path, row by row.
        """
        head, scale, n_classes = self._head, self._scale, len(self.classes_)
        bias = self._bias.tolist()
        out = self._raw_row(x, head == "margin")
        if len(out) == 1 and n_classes == 2:
            v = out[0]
            out = [-v / 2, v / 2] if head in _LOGIT_HEADS else [1 - v, v]
        if self._columns is not None:
            full = [0.0] * n_classes
            for value, column in zip(out, self._columns.tolist(), strict=True):
                full[column] = value
            out = full
        if head == "proba":
            if not self._mapped:
                return out
            keep, share = 1.0 - self._smoothing, self._smoothing / n_classes
            return _softmax_row(
                [
                    scale * _log_clip_row(keep * v + share, self._floor) + b
                    for v, b in zip(out, bias, strict=True)
                ]
            )
        if head not in _LOGIT_HEADS:
            out = [_log_clip_row(v, self._floor) for v in out]
        if self._mapped:
            if self._smoothing:
                keep, share = 1.0 - self._smoothing, self._smoothing / n_classes
                out = [math.log(keep * p + share) for p in _softmax_row(out)]
            out = [scale * v + b for v, b in zip(out, bias, strict=True)]
        return _softmax_row(out)

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


def _predictor(tl2cgen, library, n_jobs):
    """tl2cgen's predictor on ``n_jobs`` threads, or OpenMP's limit if that is lower.

    tl2cgen refuses more threads than OpenMP allows (``OMP_NUM_THREADS``, or a
    ``threadpoolctl`` limit around the call); batches then run on that many.
    """
    try:
        return tl2cgen.Predictor(library, nthread=n_jobs)
    except tl2cgen.TL2cgenError as exc:
        if "cannot exceed" not in str(exc):
            raise
    return tl2cgen.Predictor(library, nthread=-1)


@contextlib.contextmanager
def _private_copy(path, data):
    """``data`` written to a new file in a new private folder, removed afterwards.

    The loader is given this copy, not ``path``: its bytes are the ones hashed and
    checked, and no one else can replace them between the check and the load (the
    folder is created with mode 0700, so another user who may write beside the
    library cannot swap the file or rename the folder). Each load gets a fresh path,
    too: the dynamic loader would return an already loaded library of the same
    path (an older build). The folder goes beside the library if that folder is
    writable (the system temporary folder may forbid executing code), else in the
    system temporary folder. Loaded libraries stay mapped once the copy is gone.
    """
    try:
        folder = tempfile.mkdtemp(prefix=f".{path.stem}.loading-", dir=path.parent)
    except OSError:
        folder = tempfile.mkdtemp(prefix=f"skdistill-{path.stem}-")
    copy = os.path.join(folder, path.name)
    try:
        with open(copy, "xb") as f:
            f.write(data)
        yield copy
    finally:
        with contextlib.suppress(OSError):
            os.unlink(copy)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _mark_missing(rows, missing):
    """Set the ``int missing`` member of tl2cgen's ``union Entry`` to -1 (NaN)."""
    rows.view(np.int32).reshape(*rows.shape, -1)[..., 0][missing] = -1


def _log_clip(proba, floor):
    """``log(clip(proba, floor, 1))`` (as ``_targets.log_clip``, fewer calls)."""
    return np.log(np.minimum(np.maximum(proba, floor), 1.0))


def _log_clip_row(p, floor):
    return math.log(min(max(p, floor), 1.0))


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


def _expected_sha256(sha256):
    """The pinned hash, as 64 lowercase hexadecimal digits (None if not pinned)."""
    if sha256 is None:
        return None
    if not isinstance(sha256, str):
        raise TypeError(
            f"sha256 must be the library's SHA-256 as a string of 64 hexadecimal "
            f"digits (compiled.sha256, or hashlib.sha256(...).hexdigest()); got "
            f"{type(sha256).__name__}."
        )
    digest = sha256.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(
            f"sha256 must be 64 hexadecimal digits (the sha256 of the object "
            f"compile_student returned); got {sha256!r}."
        )
    return digest


def _read_library(path):
    if path.is_dir():
        raise IsADirectoryError(
            f"{path} is a folder; give the path of the compiled library (the path "
            "passed to compile_student, e.g. student.so)."
        )
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"No compiled student at {path}; write one with compile_student."
        ) from None


def _authorize(path, actual, expected, trust):
    """Refuse to load the library unless its hash is pinned and equal, or trusted."""
    if expected is not None:
        if actual != expected:
            raise ValueError(
                f"Refusing to load {path}: its SHA-256 is {actual}, not the expected "
                f"{expected}. It is not the library that was compiled (replaced, "
                "corrupted or truncated); loading it would run its code. Compile the "
                "student again, or check which hash you pinned."
            )
        return
    if not trust:
        raise ValueError(
            f"Refusing to load {path}: loading a compiled student runs the code of its "
            f"shared library in this process. Its SHA-256 is {actual}. Compare it with "
            "the hash recorded when the student was compiled (the sha256 of the object "
            "compile_student returned; not the copy in the .json beside the library, "
            "which can be rewritten with it) and, if they are equal, pass "
            f"sha256='{actual}'. Pass trust=True only for a file from a source you trust."
        )
    warnings.warn(
        f"Loading {path} without a pinned SHA-256 because trust=True: its code runs in "
        f"this process. Its SHA-256 is {actual}; pass sha256=... to pin it.",
        DistillationWarning,
        stacklevel=3,
    )


def _check_complete(path, data):
    """Refuse an ELF library whose segments or tables reach past the end of the file.

    The dynamic loader maps a truncated library without complaint and the process
    dies with a bus error when it touches the missing part. Other formats (Mach-O,
    PE) are left to their loader.
    """
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4:5] not in (b"\1", b"\2"):
        return
    wide, order = data[4] == 2, ">" if data[5] == 2 else "<"
    if wide:
        header, table, entry = order + "QQ", 0x20, order + "IIQQQQ"
    else:
        header, table, entry = order + "II", 0x1C, order + "IIIII"
    sizes = 0x36 if wide else 0x2A
    try:
        phoff, shoff = struct.unpack_from(header, data, table)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", data, sizes)
        ends = [phoff + phentsize * phnum, shoff + shentsize * shnum]
        for i in range(phnum if ends[0] <= len(data) else 0):
            segment = struct.unpack_from(entry, data, phoff + i * phentsize)
            kind, offset, size = segment[0], segment[-4], segment[-1]
            if kind == 1:  # PT_LOAD
                ends.append(offset + size)
    except struct.error:
        ends = [math.inf]
    if max(ends) > len(data):
        raise ValueError(
            f"{path} is truncated or corrupt (its ELF headers describe data past its "
            f"{len(data)} bytes); it cannot be loaded. Compile the student again."
        )


def _mismatch_message(path, why):
    return (
        f"The metadata {_meta_path(path)} does not match the library it came with "
        f"(edited or swapped): {why}. Its classes, columns or scale would change every "
        "prediction, so it is refused. Compile the student again, or restore the "
        "library and its metadata from the same compile_student call."
    )


def _check_embedded_metadata(path, library, meta, size):
    """Compare the metadata file with the copy compiled into the library."""
    try:
        function = getattr(library, _METADATA_FUNCTION)
    except AttributeError:
        raise ValueError(
            _mismatch_message(path, "the library has no compiled-in metadata")
        ) from None
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.POINTER(ctypes.c_size_t)]
    length = ctypes.c_size_t(0)
    address = function(ctypes.byref(length))
    if not address or not 0 < length.value <= size:
        raise ValueError(
            _mismatch_message(path, "the library's compiled-in metadata is unreadable")
        )
    try:
        embedded = json.loads(ctypes.string_at(address, length.value))
    except ValueError:
        raise ValueError(
            _mismatch_message(path, "the library's compiled-in metadata is unreadable")
        ) from None
    recorded = {key: value for key, value in meta.items() if key != "library_sha256"}
    if recorded != embedded:
        changed = sorted(
            key
            for key in set(recorded) | set(embedded)
            if recorded.get(key, _MISSING) != embedded.get(key, _MISSING)
        )
        raise ValueError(
            _mismatch_message(path, f"it differs in {', '.join(map(repr, changed))}")
        )


_MISSING = object()


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
    found = meta.get("format") if isinstance(meta, dict) else None
    if found in _OLD_FORMATS:
        raise ValueError(
            f"{path} was compiled by an older skdistill (format {found!r}), whose "
            "metadata is not bound to the library. Compile the student again."
        )
    if found != _FORMAT:
        raise ValueError(
            f"{meta_path} is not the metadata of a compiled student (format {found!r}, "
            f"expected {_FORMAT!r})."
        )
    return meta
