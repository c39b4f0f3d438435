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

import numpy as np
from sklearn.exceptions import InconsistentVersionWarning

from .._compat import extra_for, optional_import
from .._distill import DistilledClassifier, DistilledRegressor
from .._io import write_atomic
from .._validation import name_of
from ..exceptions import DistillationWarning

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

#: Types of the student frameworks that ``load`` trusts (see ``trusted_types``).
_FRAMEWORK_TYPES = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    # The optimizer state an MLP student keeps after fit: plain arrays and floats.
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "xgboost.core.Booster",
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


def _public_estimator_classes():
    """The estimator classes in the ``__all__`` of skdistill's public modules."""
    import importlib

    from sklearn.base import BaseEstimator

    found = set()
    for name in ("skdistill", "skdistill.strategies", "skdistill.transfer"):
        module = importlib.import_module(name)
        for attribute in module.__all__:
            obj = getattr(module, attribute)
            if (
                isinstance(obj, type)
                and issubclass(obj, BaseEstimator)
                and obj.__module__.startswith("skdistill.")
            ):
                found.add(obj)
    return found


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def trusted_types():
    """Types that :func:`load` trusts in a skops file, beyond skops' own defaults.

    skops trusts builtins, numpy and scipy containers and the public scikit-learn
    estimators. To load distillers and their students, :func:`load` also trusts:

    - skdistill's own types: every estimator class of its public API (the
      distillers, ``TeacherEnsemble``, ``BornAgainClassifier``, the student
      strategies, the transfer-set samplers) and the placeholder of a teacher
      dropped on save (``drop_teacher=True``). Trusting a class does not trust what
      it holds: skops checks every nested object (a sampler's function, say) on its
      own;
    - ``sklearn.tree._tree.Tree``, the node storage of every scikit-learn tree and
      forest. skops leaves it untrusted because scikit-learn indexes its node arrays
      without bounds checks, so a crafted file could crash the process at predict
      time; :func:`load` therefore checks every tree of the loaded object (children
      in range and below their parent, features below the estimator's
      ``n_features_in_``, node count within the arrays) and refuses the file if one
      fails;
    - the LightGBM and XGBoost scikit-learn wrappers and their boosters. A booster's
      state is its model in the library's own text or binary format, parsed by the
      library's loader (as ``lightgbm.Booster(model_file=...)`` or
      ``xgboost.Booster.load_model`` would), never by pickle; plus
      ``collections.OrderedDict``, a plain container LightGBM stores.

    Any other type (a HistGradientBoosting student's ``TreePredictor``, a custom
    estimator, ...) must be named in ``load(..., trusted=[...])``. skorch and torch
    students cannot be saved (their state embeds a pickle); export them with
    :func:`~skdistill.export.to_onnx` instead.

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
    own = {_DroppedTeacher, *_public_estimator_classes()}
    return sorted({*map(_type_name, own), _TREE, *_FRAMEWORK_TYPES})


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
    data = sio.dumps(model)
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
        each one: trusting a type lets the file create objects of it.
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
        in an unknown format, or if a tree in it fails the integrity check.

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
    allowed = set(trusted_types()) | set(_names(trusted))
    refused = sorted(set(found) - allowed)
    if refused:
        raise TypeError(_untrusted_message(path, refused))
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
    if _TREE in found:
        _check_trees(model, path)
    _warn_if_other_sklearn(path, data, model)
    return model


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


# -- integrity of scikit-learn trees --------------------------------------------------


def _check_trees(model, path):
    """Refuse trees whose node arrays would make predict read out of bounds.

    Every ``Tree`` must be the ``tree_`` of an estimator with ``n_features_in_``;
    the sub-estimators of an ensemble (``estimators_``) may not see more features
    than the ensemble, which calls them without checking ``X``.
    """
    from sklearn.tree._tree import Tree

    seen = set()
    stack = [(model, None, None)]  # (object, its owner's n_features_in_, ensemble's)
    while stack:
        obj, owner_features, ensemble_features = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Tree):
            _check_tree(obj, owner_features, path)
        elif isinstance(obj, dict):
            stack.extend((v, owner_features, ensemble_features) for v in obj.values())
        elif isinstance(obj, list | tuple):
            stack.extend((v, owner_features, ensemble_features) for v in obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend((v, owner_features, ensemble_features) for v in obj.flat)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            state = vars(obj)
            n_features = state.get("n_features_in_")
            if (
                n_features is not None
                and ensemble_features is not None
                and n_features > ensemble_features
            ):
                raise ValueError(
                    f"{path} failed the integrity check of its trees: a sub-estimator "
                    f"{type(obj).__name__} expects {n_features} features but its "
                    f"ensemble {ensemble_features}. The file is corrupt or crafted."
                )
            for key, value in state.items():
                sub_ensemble = n_features if key == "estimators_" else None
                stack.append((value, n_features, sub_ensemble))


def _check_tree(tree, n_features, path):
    def refuse(why):
        raise ValueError(
            f"{path} failed the integrity check of its trees: {why}. The file is corrupt "
            "or crafted; predicting with it could crash the process."
        )

    if n_features is None:
        refuse("a tree is not the tree_ of an estimator with n_features_in_")
    if tree.n_features != n_features:
        refuse(f"a tree has {tree.n_features} features but its estimator {n_features}")
    if not 0 < tree.node_count <= tree.capacity:
        refuse(f"a tree has {tree.node_count} nodes for {tree.capacity} stored")
    left, right = tree.children_left, tree.children_right
    feature = tree.feature
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        refuse("a node has one child")
    node = np.arange(tree.node_count)
    inner = ~leaf
    if not (
        np.all(left[inner] > node[inner])
        and np.all(right[inner] > node[inner])
        and np.all(left[inner] < tree.node_count)
        and np.all(right[inner] < tree.node_count)
    ):
        refuse("a child index is out of range or not after its parent")
    if not np.all((feature[inner] >= 0) & (feature[inner] < n_features)):
        refuse("a split feature is out of range")
