"""Safe persistence of fitted distillers and students with skops.

``save`` writes the skops format (no pickle) atomically; ``load`` reads it back,
trusting only a documented list of types (:func:`trusted_types`) plus the ones the
caller names, and refuses pickle/joblib files unless told to trust them.
"""

import copy
import io
import json
import pickle
import struct
import sys
import warnings
import zipfile
from pathlib import Path

from sklearn.exceptions import InconsistentVersionWarning

from .._compat import extra_for, optional_import
from .._distill import DistilledClassifier, DistilledRegressor
from .._io import write_atomic
from .._validation import name_of
from ..exceptions import DistillationWarning
from ..utils._discovery import all_estimators
from ._integrity import Corrupt, Unsupported
from ._native_checks import check_boosters, states_of
from ._tree_checks import check_trees

__all__ = ["load", "save", "trusted_types"]

#: File suffixes of pickle-based formats, which ``load`` refuses by default.
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")

#: Name of the member of a skops archive in which ``save`` records versions.
_VERSIONS_MEMBER = "skdistill_versions.json"

#: First bytes of the formats joblib.load reads: pickle protocol 2+, and joblib's
#: compressors (zlib, gzip, bz2, xz, lzma).
_PICKLE_MAGIC = (b"\x80", b"x", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00")

#: Frameworks whose objects embed pickles in their state (a skorch net pickles its
#: torch module in ``__getstate__``): a skops file of them is only as safe as a pickle.
_PICKLE_IN_STATE = ("torch", "skorch")

_TREE = "sklearn.tree._tree.Tree"
_TREE_PREDICTOR = "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"

#: A fitted HistGradientBoosting model with categorical features keeps
#: ``partial(check_array, ...)`` in its preprocessor; ``load`` trusts a
#: ``functools.partial`` of that function only (see ``_check_partials``).
_PARTIAL = "functools.partial"
_CHECK_ARRAY = "sklearn.utils.validation.check_array"

#: Types of the student frameworks that ``load`` trusts (see ``trusted_types``).
_FRAMEWORK_TYPES = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    # The unfitted Dask student parameter of a distiller fitted on a Dask cluster.
    "lightgbm.dask.DaskLGBMClassifier",
    "lightgbm.dask.DaskLGBMRegressor",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    # A dtype (SimpleImputer keeps one): skops rebuilds it as the dtype of an empty
    # array read with np.load(allow_pickle=False), so no object dtype can come back.
    "numpy.dtype",
    # The optimizer state an MLP student keeps after fit: plain arrays and floats.
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "xgboost.core.Booster",
    "xgboost.dask.DaskXGBClassifier",
    "xgboost.dask.DaskXGBRegressor",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
)


class _DroppedTeacher:
    """Stands in for the teacher of a model saved with ``drop_teacher=True``."""

    def __init__(self, name):
        self.name = name

    def _refuse(self, *args, **kwargs):
        raise ValueError(
            f"The teacher ({self.name}) of this model was dropped when it was saved with "
            "drop_teacher=True; the model predicts with its student alone. To fit it "
            "again, give it a teacher first: model.set_params(teacher=fitted_teacher)."
        )

    predict = predict_proba = decision_function = _refuse
    classes_ = property(_refuse)

    def __repr__(self):
        return f"<{self.name} teacher dropped on save>"


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def trusted_types():
    """Types that :func:`load` trusts in a skops file, beyond skops' own defaults.

    skops trusts builtins, numpy and scipy containers and the public scikit-learn
    estimators. To load distillers and their students, :func:`load` also trusts:

    - skdistill's own types: every estimator class of its public API (the
      distillers, ``TeacherEnsemble``, ``BornAgainClassifier``, the student
      strategies, the transfer-set samplers, ``CompressionSearch`` with the
      records of its sweep) and the placeholder of a teacher
      dropped on save (``drop_teacher=True``). Trusting a class does not trust what
      it holds: skops checks every nested object (a sampler's function, say) on its
      own;
    - scikit-learn's tree internals, which skops leaves untrusted because
      scikit-learn's Cython predictors index their node arrays without bounds
      checks: ``sklearn.tree._tree.Tree`` (every tree and forest) and the
      HistGradientBoosting ``TreePredictor``, with the ``functools.partial`` of
      ``sklearn.utils.validation.check_array`` that a model with categorical
      features keeps (a ``partial`` of any other function stays untrusted). After
      skops builds the model and before anything predicts, :func:`load` checks
      every one: node count within the arrays, every child in range and each node
      reached once from the root, split features below the estimator's
      ``n_features_in_``, forest members seeing no more features than their
      forest; for HistGradientBoosting, categorical splits only on features its
      bin mapper treats as categorical, bitset indices in range, known categories
      in [0, 255], and a preprocessor that outputs each feature once;
    - ``numpy.dtype`` (a ``SimpleImputer`` keeps one): skops rebuilds it as the
      dtype of an empty array read with ``np.load(allow_pickle=False)``, which
      cannot produce an object dtype;
    - the LightGBM and XGBoost scikit-learn wrappers and their boosters (plus
      ``collections.OrderedDict``, a plain container LightGBM stores). A booster's
      state is its model in the library's own text (LightGBM) or UBJSON (XGBoost)
      format, which the library's native parser reads as soon as skops builds the
      booster and trusts blindly. :func:`load` therefore parses each stored model in
      Python first, before skops builds anything, and accepts only the layout the
      library writes with every index in range: for LightGBM the header
      (``num_class``, ``num_tree_per_iteration``, ``max_feature_idx``, feature
      names and infos, the objective and its number of classes), ``tree_sizes``
      against the real trees, and in every tree the array lengths against
      ``num_leaves``, children in range with each node and leaf reached once from
      the root, split features within ``max_feature_idx``, valid
      ``decision_type`` bits, categorical splits within ``cat_boundaries``, finite
      thresholds and leaf values, and linear-tree features; for XGBoost the UBJSON
      itself (lengths, no duplicate keys or trailing bytes), the number of trees
      against ``num_trees``, ``tree_info`` (outputs below the number of classes or
      targets) and ``iteration_indptr``, and in every tree the array lengths
      against ``num_nodes``, children in range (the right child being the left
      one + 1, as XGBoost's predictor assumes) with each node reached once,
      parents, split features below ``num_feature``, categorical splits and the
      stored categories, ``base_score`` and the objective's number of classes. A
      wrapper must agree with its booster on the number of features and classes.
      A model using what the checks do not cover (a gblinear booster,
      multi-output trees, a model written by XGBoost 1.x) is refused unless its
      booster type is named in ``load(..., trusted=[...])``; a model that fails a
      check is refused whatever is trusted.

    Any other type (a custom estimator, ...) must be named in
    ``load(..., trusted=[...])``. skorch and torch students cannot be saved (their
    state embeds a pickle); export them with :func:`~skdistill.export.to_onnx`
    instead.

    Returns
    -------
    types : list of str
        Fully qualified type names, sorted.

    See Also
    --------
    load : Load a skops file, trusting these types.

    Examples
    --------
    >>> from skdistill.export import trusted_types
    >>> "skdistill._distill.DistilledClassifier" in trusted_types()
    True
    >>> "sklearn.tree._tree.Tree" in trusted_types()
    True
    """
    from ..frontier import FrontierResult, Selection

    own = {_DroppedTeacher, FrontierResult, Selection}
    own |= {cls for _, cls in all_estimators()}
    checked = {_TREE, _TREE_PREDICTOR, _PARTIAL, _CHECK_ARRAY}
    return sorted({*map(_type_name, own), *checked, *_FRAMEWORK_TYPES})


def save(model, path, *, overwrite=False, drop_teacher=False):
    """Save a fitted distiller or student in the skops format, atomically.

    The skops format holds no pickle: loading it creates only types that
    :func:`load` trusts. The file is written to a temporary file in the same folder
    and renamed into place, so an interrupted run leaves no partial file. The
    versions of skdistill, scikit-learn, numpy, skops and the student framework are
    recorded in the archive (member ``skdistill_versions.json``).

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skdistill.DistilledClassifier` or
        :class:`~skdistill.DistilledRegressor`, or a bare student (any estimator
        skops can save). skorch/torch students cannot be saved safely; use
        :func:`~skdistill.export.to_onnx`.
    path : str or path-like
        File to write, by convention ``*.skops``. Pickle suffixes (``.pkl``,
        ``.pickle``, ``.joblib``) are refused.
    overwrite : bool, default=False
        Replace an existing file. Without it an existing ``path`` raises
        ``FileExistsError``.
    drop_teacher : bool, default=False
        Store the distiller without its teacher (``teacher`` and ``teacher_``
        become a placeholder whose methods raise). The distiller keeps the
        student, strategy and classes, so ``predict`` and ``predict_proba`` are
        unchanged: this is the artifact to deploy, as a large teacher otherwise
        makes up most of the file. The model can be fitted again after
        ``set_params(teacher=...)``.

    Returns
    -------
    path : pathlib.Path
        The path written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    TypeError
        If the model holds skorch or torch objects, whose state embeds a pickle.

    See Also
    --------
    load : Load the file back.
    to_onnx : Export the student alone as an ONNX graph.

    Notes
    -----
    A distiller saved with its teacher stores the whole teacher (``teacher`` and
    ``teacher_`` are the same object, stored once): a 500-tree forest weighs
    megabytes where its depth-6 student weighs kilobytes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.export import load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> model = DistilledClassifier(teacher, random_state=0).fit(X, y)
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = save(model, folder / "model.skops", drop_teacher=True)
    >>> loaded = load(path)
    >>> bool((loaded.predict_proba(X) == model.predict_proba(X)).all())
    True
    """
    sio = optional_import("skops.io", purpose="saving models with skops")
    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ValueError(
            f"save writes the skops format, not a pickle; name the file {path.stem}.skops "
            f"instead of {path.name}."
        )
    if drop_teacher:
        model = _without_teacher(model)
    # first on what the model holds directly: skops cannot even serialise some
    # of these (a skorch net given a module instance) and would fail obscurely
    _refuse_embedded_pickles(_held_types(model), model)
    data = sio.dumps(model, compression=zipfile.ZIP_DEFLATED)  # JSON schema: ~6x smaller
    _refuse_embedded_pickles(sio.get_untrusted_types(data=data), model)
    versions = json.dumps(_versions(), indent=2)

    def write(tmp):
        tmp.write_bytes(data)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(_VERSIONS_MEMBER, versions)

    return write_atomic(path, write, overwrite=overwrite)


def _without_teacher(model):
    """A shallow copy of a distiller whose teacher is a placeholder."""
    if not isinstance(model, DistilledClassifier | DistilledRegressor):
        raise TypeError(
            f"drop_teacher=True needs a DistilledClassifier or DistilledRegressor, got "
            f"{name_of(model)}; a bare student has no teacher to drop."
        )
    stand_in = _DroppedTeacher(name_of(getattr(model, "teacher_", model.teacher)))
    model = copy.copy(model)
    model.teacher = stand_in
    if hasattr(model, "teacher_"):
        model.teacher_ = stand_in
    return model


def _held_types(model):
    """Type names of ``model`` and of the student and teacher it holds."""
    held = [model] + [
        getattr(model, name, None)
        for name in ("student_", "teacher_", "student", "teacher")
    ]
    return {_type_name(type(obj)) for obj in held if obj is not None}


def _refuse_embedded_pickles(untrusted, model):
    frameworks = sorted({name.split(".")[0] for name in untrusted} & set(_PICKLE_IN_STATE))
    if frameworks:
        teacher = ""
        if isinstance(model, DistilledClassifier | DistilledRegressor):
            teacher = (
                " If the teacher is the torch model, save with drop_teacher=True to "
                "store the student alone."
            )
        raise TypeError(
            f"Cannot save {name_of(model)} safely with skops: it holds {frameworks} "
            "objects, and a skorch net pickles its torch module inside its state, so "
            "loading the file would unpickle (run) whatever it contains. Export the "
            "student with skdistill.export.to_onnx(model, X_sample) for deployment, "
            "or save the torch weights with the net's save_params." + teacher
        )


def _versions():
    """Versions of the libraries a saved model depends on."""
    from importlib.metadata import PackageNotFoundError, version

    import skdistill

    found = {"skdistill": skdistill.__version__}
    names = ["scikit-learn", "numpy", "scipy", "skops", "lightgbm", "xgboost"]
    for name in names:
        module = {"scikit-learn": "sklearn"}.get(name, name)
        if name in ("scikit-learn", "numpy", "scipy", "skops") or module in sys.modules:
            try:
                found[name] = version(name)
            except PackageNotFoundError:  # pragma: no cover - vendored copies
                pass
    found["python"] = sys.version.split()[0]
    return found


# -- reading --------------------------------------------------------------------------


def load(path, *, trusted=None, trust_pickle=False):
    """Load a model saved by :func:`save` (skops), or a trusted pickle/joblib file.

    A skops file is loaded only if every type in it is trusted: skops' defaults,
    :func:`trusted_types`, or a type named in ``trusted``. Pickle-based files
    (``.pkl``, ``.pickle``, ``.joblib``, or any file whose content is a pickle) can
    run arbitrary code when loaded and are refused unless ``trust_pickle=True``.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    trusted : list of str or type, default=None
        Types to trust in addition to :func:`trusted_types`, as fully qualified
        names (e.g. ``"mypackage.MyEstimator"``) or the types themselves. Review
        each one: trusting a type lets the file create objects of it. Naming a
        booster type (``"xgboost.core.Booster"``) also lets through the model
        features its checks do not cover (a gblinear booster, say), never a
        booster that fails a check.
    trust_pickle : bool, default=False
        Load a pickle or joblib file (with ``joblib.load``), with a warning. Only
        for files from a source you trust.

    Returns
    -------
    model : object
        The loaded model.

    Raises
    ------
    TypeError
        If the skops file holds types that are not trusted; the message lists them
        and how to trust them.
    ValueError
        If the file is a pickle and ``trust_pickle`` is False, if it is corrupt or
        in an unknown format, or if a tree or a LightGBM or XGBoost booster in it
        fails the integrity checks described in :func:`trusted_types` (a file
        corrupt or crafted to crash the process); boosters are checked before any
        native code reads them.

    Warns
    -----
    DistillationWarning
        When a pickle is loaded because ``trust_pickle=True``.
    sklearn.exceptions.InconsistentVersionWarning
        When the file was saved with another scikit-learn version.

    See Also
    --------
    save : Write a skops file atomically.
    trusted_types : The types trusted by default.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill.export import load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> student = DecisionTreeClassifier(max_depth=2).fit(X, y)
    >>> path = save(student, Path(tempfile.mkdtemp()) / "student.skops")
    >>> load(path).get_depth()
    2
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No file at {path}.")
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"PK\x03\x04":
        return _load_skops(path, data, trusted)
    if path.suffix.lower() in PICKLE_SUFFIXES or data.startswith(_PICKLE_MAGIC):
        return _load_pickle(path, data, trust_pickle)
    raise ValueError(
        f"{path} is neither a skops file (a zip archive, as written by "
        "skdistill.export.save) nor a pickle/joblib file; it may be corrupt or in "
        "another format."
    )


def _load_pickle(path, data, trust_pickle):
    if not trust_pickle:
        raise ValueError(
            f"Refusing to load {path}: it is a pickle/joblib file, and loading one can "
            "run arbitrary code. If you trust its source, pass trust_pickle=True "
            "(skdistill distill --trust-pickle); better, save the model with "
            "skdistill.export.save, which writes the safe skops format."
        )
    import joblib

    warnings.warn(
        f"Loading the pickle file {path} because trust_pickle=True: unpickling runs "
        "any code the file contains. Re-save it with skdistill.export.save (skops).",
        DistillationWarning,
        stacklevel=3,
    )
    try:
        return joblib.load(io.BytesIO(data))
    except (pickle.UnpicklingError, EOFError, IndexError, struct.error, ValueError) as exc:
        raise ValueError(
            f"{path} is not a readable pickle/joblib file (it may be truncated or "
            f"corrupt): {exc}"
        ) from exc


def _load_skops(path, data, trusted):
    sio = optional_import("skops.io", purpose="loading skops files")
    try:
        found = sio.get_untrusted_types(data=data)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{path} is not a readable skops file (it may be truncated or corrupt, or "
            f"not written by skops): {exc!r}"
        ) from exc
    named = set(_names(trusted))
    allowed = set(trusted_types()) | named
    refused = sorted(set(found) - allowed)
    if refused:
        raise TypeError(_untrusted_message(path, refused))
    _check_before_building(path, data, named)
    try:
        model = sio.loads(data, trusted=found)
    except ModuleNotFoundError as exc:
        extra = extra_for(exc.name)
        if extra is None:
            raise
        raise ImportError(
            f"{path} holds {exc.name} objects, but {exc.name} is not installed. Install "
            f'it with pip install "skdistill[{extra}]".'
        ) from exc
    if {_TREE, _TREE_PREDICTOR} & set(found):
        try:
            check_trees(model)
        except Corrupt as exc:
            raise ValueError(
                f"{path} failed the integrity check of its trees: {exc}. The file is "
                "corrupt or was crafted; predicting with it could crash the process."
            ) from None
    _warn_if_other_sklearn(path, data, model)
    return model


def _check_before_building(path, data, named):
    """Check what native code would read while skops builds the model.

    A LightGBM or XGBoost booster parses its stored model as soon as skops builds
    it, so its checks read ``schema.json`` before skops builds anything.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            schema = json.loads(archive.read("schema.json"))
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"{path} is not a readable skops file: {exc!r}") from None
        _check_partials(path, schema, named)
        try:
            check_boosters(archive, schema, unchecked=named)
        except Corrupt as exc:
            raise ValueError(
                f"{path} failed the integrity check of {exc}. The file is corrupt or "
                "was crafted: loading it could crash the process, so it was refused "
                "before any native code read it."
            ) from None
        except Unsupported as exc:
            raise ValueError(
                f"{path} holds {exc}, so skdistill cannot check it and does not trust "
                "it by default. If you created the file yourself or trust its source, "
                f"load it unchecked with load(path, trusted=[{exc.type_name!r}]) "
                f"(skdistill distill --trust {exc.type_name})."
            ) from None


def _check_partials(path, schema, named):
    """Refuse a ``functools.partial`` of anything but ``check_array``, unless named."""
    if _PARTIAL in named:
        return
    for state in states_of(schema):
        loader = state.get("__loader__")
        is_partial = f"{state.get('__module__')}.{state.get('__class__')}" == _PARTIAL
        if loader != "PartialNode" and not (is_partial and loader != "CachedNode"):
            continue
        content = state.get("content")
        func = content.get("func") if isinstance(content, dict) else None
        if not (
            loader == "PartialNode"
            and isinstance(func, dict)
            and func.get("__loader__") == "FunctionNode"
            and f"{func.get('__module__')}.{func.get('__class__')}" == _CHECK_ARRAY
        ):
            raise TypeError(
                f"{path} holds a functools.partial of something other than "
                f"{_CHECK_ARRAY}, which skdistill trusts by default only around that "
                "function. If you created the file yourself or trust its source, "
                f"review it and pass load(path, trusted=[{_PARTIAL!r}])."
            )


def _names(trusted):
    if trusted is None:
        return []
    if isinstance(trusted, str | type):
        trusted = [trusted]
    return [t if isinstance(t, str) else _type_name(t) for t in trusted]


def _untrusted_message(path, refused):
    try:
        from skops.io.exceptions import UNTRUSTED_TYPE_REASONS
    except ImportError:  # pragma: no cover - older skops
        UNTRUSTED_TYPE_REASONS = {}
    reasons = "".join(
        f"\n- {UNTRUSTED_TYPE_REASONS[name]}"
        for name in refused
        if name in UNTRUSTED_TYPE_REASONS
    )
    if any(name.split(".")[0] in _PICKLE_IN_STATE for name in refused):
        reasons += (
            "\n- torch and skorch objects embed pickles in their state: trusting them "
            "trusts the file as much as trust_pickle=True would."
        )
    return (
        f"{path} holds types that are not trusted: {refused}. Loading it would create "
        "objects of these types. If you created the file yourself or trust its "
        f"source, review them and pass load(path, trusted={refused!r}); the types "
        "trusted by default are listed by skdistill.export.trusted_types()." + reasons
    )


def _warn_if_other_sklearn(path, data, model):
    import sklearn

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            saved = json.loads(archive.read(_VERSIONS_MEMBER))
    except (KeyError, ValueError):  # a skops file written by skops itself
        return
    original = saved.get("scikit-learn")
    if original and original != sklearn.__version__:
        warnings.warn(
            InconsistentVersionWarning(
                estimator_name=f"{type(model).__name__} (in {path.name})",
                current_sklearn_version=sklearn.__version__,
                original_sklearn_version=original,
            ),
            stacklevel=3,
        )
