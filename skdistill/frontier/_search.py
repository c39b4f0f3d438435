"""CompressionSearch: sweep student families and sizes, hard and distilled, honestly.

``fit`` plans the validation (rows the teacher has not seen, or a cross-fitted
teacher, or a warning), asks the teacher for its logits once per plan, fits every
candidate on the labels (``alpha=0``) and distilled (the temperature/alpha grid),
measures score, size, complexity, single-row latency and fit time, then selects
the cheapest student within a tolerance of the teacher (see ``_result``).
"""

import inspect
import math
import sys
import time
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import ParameterGrid, StratifiedKFold, check_cv
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._compat import (
    HasMethods,
    Interval,
    StrOptions,
    fit_context,
    safe_indexing,
    safe_tags,
)
from .._distill import DistilledClassifier, _BaseDistiller
from .._seeding import RandomStreams
from .._teacher import compute_teacher_logits, fitted_teacher, teacher_classes
from .._validation import is_fitted, name_of, validate_X
from ..exceptions import BiasedComparisonWarning, DistillationWarning
from ..report import make_recall_at_fpr_scorer, model_complexity, model_size
from ..report._pareto import COSTS, latency_tiers
from ._bootstrap import bootstrap_scores, outputs_of
from ._candidates import resolve_candidates
from ._result import FrontierResult

__all__ = ["BiasedComparisonWarning", "CompressionSearch", "compression_frontier"]

#: The temperature/alpha grid of the distilled candidates when none is given.
DEFAULT_GRID = {"temperature": [1.0, 3.0], "alpha": [0.5, 1.0]}

#: Rows timed for the single-row latencies.
_N_LATENCY_ROWS = 50
_N_LATENCY_CALLS = 60
#: Serving paths the sweep times (see :func:`_latencies`).
_SERVING_PATHS = ("sklearn", "native", "onnx")

#: ``scoring`` names of the fraud-desk recall, beside scikit-learn's scorer names.
_RECALL_NAMES = {"recall_at_fpr": 0.01, "recall_at_1pct_fpr": 0.01}


# -- scoring ------------------------------------------------------------------------------


def _resolve_scoring(scoring):
    """``(scorer, name)``; ``"recall_at_fpr"`` is the recall at 1% FPR."""
    if callable(scoring):
        return scoring, getattr(scoring, "__name__", None) or repr(scoring)
    if scoring in _RECALL_NAMES:
        return make_recall_at_fpr_scorer(_RECALL_NAMES[scoring]), "recall at 1% FPR"
    try:
        return get_scorer(scoring), scoring
    except ValueError:
        raise ValueError(
            f"scoring={scoring!r} is not a scorer name; pass one of scikit-learn's "
            "(sklearn.metrics.get_scorer_names(), e.g. 'roc_auc'), 'recall_at_fpr' "
            "(recall at 1% false-positive rate) or a scorer such as "
            "skdistill.report.make_recall_at_fpr_scorer(0.05)."
        ) from None


def _describe(config):
    """``"T=3, alpha=1"`` (and the transfer set) of one grid point."""
    parts = []
    if "temperature" in config:
        parts.append(f"T={config['temperature']:g}")
    parts.append(f"alpha={config.get('alpha', 0.5):g}")
    for key, value in config.items():
        if key not in ("temperature", "alpha"):
            shown = value if isinstance(value, str | Real | None) else name_of(value)
            parts.append(f"{key}={shown}")
    return ", ".join(parts)


# -- one candidate -----------------------------------------------------------------------


class _Part:
    """Rows a candidate is fitted on (with the teacher's logits), scored on (the
    selection rows) and confirmed on (held out from the selection; None: none)."""

    def __init__(self, X, y, logits, teacher, X_val=None, y_val=None, confirm=None):
        self.X, self.y, self.logits, self.teacher = X, y, logits, teacher
        self.X_val, self.y_val = X_val, y_val
        self.confirm = confirm


def _confirm_score(scorer, model, part):
    """The model's score on the part's confirmation rows (NaN: none, or failed)."""
    if part.confirm is None:
        return math.nan
    try:
        return float(scorer(model, *part.confirm))
    except Exception:  # noqa: BLE001 - an unconfirmable candidate, not a failed sweep
        return math.nan


def _fit_one(candidate, config, part, seed):
    model = DistilledClassifier(
        part.teacher,
        candidate.student,
        calibration_cv="train",
        random_state=seed,
        **config,
    )
    start = time.perf_counter()
    model.fit(part.X, part.y, teacher_logits=part.logits)
    return model, time.perf_counter() - start


def _evaluate(candidate, folds, final, configs, scorer, test, seed, deadline, boot):
    """Fit and score one candidate: hard labels, then the distillation grid.

    Returns None when the time budget was spent before it started, else its two
    ``(row, fitted model, bootstrap scores)`` (the best grid point on validation
    for "distilled"). ``boot`` is ``(n_resamples, seed)`` of the bootstrap.
    """
    if deadline is not None and time.time() > deadline:
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _evaluate_fitted(
                candidate, folds, final, configs, scorer, test, seed, boot
            )
        except Exception as exc:  # noqa: BLE001 - as GridSearchCV's error_score=nan
            message = f"{type(exc).__name__}: {exc}"
            result = [
                (_row(candidate, kind, {}, [], None, 0.0, scorer=None), None, None)
                for kind in ("hard", "distilled")
            ]
            for row, _, _ in result:
                row["error"] = message
    notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    for row, _, _ in result:
        row["warnings"] = "; ".join(notes)
    return result


def _evaluate_fitted(candidate, folds, final, configs, scorer, test, seed, boot):
    scores, first, outputs, confirms = [], [], [], []
    for config in configs:
        fold_scores, fold_outputs, fold_confirms = [], [], []
        for k, fold in enumerate(folds):
            model, seconds = _fit_one(candidate, config, fold, seed)
            fold_scores.append(float(scorer(model, fold.X_val, fold.y_val)))
            fold_outputs.append(outputs_of(model, fold.X_val))
            fold_confirms.append(_confirm_score(scorer, model, fold))
            if k == 0:
                first.append((model, seconds))
        scores.append(fold_scores)
        outputs.append(fold_outputs)
        confirms.append(float(np.mean(fold_confirms)))
    means = [np.mean(s) for s in scores]
    best = 1 + int(np.argmax(means[1:])) if len(configs) > 1 else 0
    out = []
    for kind, i in (("hard", 0), ("distilled", best)):
        if kind == "distilled" and len(configs) == 1:
            break
        model, seconds = (
            first[i] if final is None else _fit_one(candidate, configs[i], final, seed)
        )
        row = _row(candidate, kind, configs[i], scores[i], model, seconds, scorer, test)
        row["confirm_score"] = confirms[i]
        ys = [fold.y_val for fold in folds]
        resampled, error = bootstrap_scores(scorer, outputs[i], model.classes_, ys, *boot)
        row["bootstrap_error"] = error
        if resampled is not None:
            row["val_score_se"] = float(np.std(resampled))
        out.append((row, model, resampled))
    return out


def _row(candidate, kind, config, scores, model, seconds, scorer, test=None):
    """The table row of one fitted candidate (costs but latency measured here)."""
    row = {
        "family": candidate.family,
        "capacity": candidate.capacity,
        "kind": kind,
        "params": _describe(config) if config else "",
        "temperature": float(config.get("temperature", math.nan)) if config else math.nan,
        "alpha": float(config.get("alpha", math.nan)) if config else math.nan,
        "val_score": float(np.mean(scores)) if scores else math.nan,
        "val_score_std": float(np.std(scores)) if scores else math.nan,
        "val_score_se": math.nan,
        "p_within": math.nan,
        "bootstrap_error": "",
        "confirm_score": math.nan,
        "test_score": math.nan,
        "size_bytes": math.nan,
        "complexity": math.nan,
        "complexity_unit": "",
        "latency_s": math.nan,
        "latency_spread": math.nan,
        "cost_tier": None,
        "latency_path": "",
        "latency_sklearn_s": math.nan,
        "fit_time_s": float(seconds),
        "error": "",
    }
    if model is None:
        return row
    row["size_bytes"] = model_size(model)
    try:
        complexity = model_complexity(model)
        row["complexity"], row["complexity_unit"] = complexity.count, complexity.unit
    except TypeError:
        pass  # a student of a kind model_complexity does not know: left NaN
    if test is not None:
        row["test_score"] = float(scorer(model, *test))
    return row


# -- latency -----------------------------------------------------------------------------


def _latencies(models, X_sample):
    """Single-row latency of each model on its fastest serving path, and through sklearn.

    ``{name: (seconds, spread, path, sklearn_seconds)}`` (``spread``: half the
    interquartile range of the timed blocks on that path), from one interleaved
    :func:`~skdistill.report.serving_speed` run over the teacher and every candidate
    on :data:`_SERVING_PATHS` (compiling every candidate would cost the sweep about a
    second per 1,000 nodes, and for small students it is as fast as ONNX). The
    teacher is timed on the same paths, so that ratios compare like with like. The one
    place where the sweep times models.
    """
    from ..report import serving_speed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        speeds = serving_speed(
            models, X_sample, paths=_SERVING_PATHS, n_calls=_N_LATENCY_CALLS
        )
    return {
        name: (
            s.fastest_latency,
            _half_iqr(s),
            s.fastest,
            s.latency.get("sklearn", math.nan),
        )
        for name, s in speeds.items()
    }


def _half_iqr(speed):
    low, high = speed.spread.get(speed.fastest, (math.nan, math.nan))
    return (high - low) / 2


# -- progress ------------------------------------------------------------------------------


def _progress(iterable, *, total, verbose):
    """Candidates with a progress bar when ``verbose`` (tqdm, or plain lines)."""
    if not verbose:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _plain_progress(iterable, total)
    return tqdm(iterable, total=total, desc="skdistill: frontier", unit="candidate")


def _plain_progress(iterable, total):
    for i, item in enumerate(iterable, start=1):
        print(f"skdistill: frontier candidate {i}/{total}", file=sys.stderr, flush=True)
        yield item


# -- the estimator ---------------------------------------------------------------------


def _best_has(method):
    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, method)
        return True

    return check


class CompressionSearch(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Find the cheapest student that keeps the teacher's score: the compression frontier.

    ``fit`` sweeps student families and sizes (trees by depth, LightGBM and
    XGBoost by rounds x leaves, a scaled logistic regression, a small MLP; or the
    students given), each fitted on the labels alone (``alpha=0``, "hard") and
    distilled (the best point of a temperature/alpha grid on validation), with
    :class:`~skdistill.DistilledClassifier`. It records each one's validation and
    test score, size, complexity, single-row latency and fit time
    (``result_``), then selects the cheapest student whose validation score is
    within ``tolerance`` of the teacher's, with ``confidence`` (paired bootstrap),
    latencies within their measured spread counted as ties, and confirms it on
    validation rows held out of the choice (``confirm_size``; ``selection_``);
    ``predict`` and ``predict_proba`` use it. The teacher's logits are computed
    once per validation plan and shared by every candidate.

    Read more in the :ref:`User Guide <choosing_a_student>`.

    Parameters
    ----------
    teacher : classifier
        The model to compress. A fitted teacher is used as is (kept by reference
        through ``clone``); an unfitted one is cloned and fitted inside ``fit``
        (cross-fitted when no validation rows are given, see Notes).
    students : "auto", list or dict, default="auto"
        The candidates: ``"auto"`` (see Notes), or unfitted classifiers, as a
        list of estimators, of ``(name, estimator)`` pairs or of ``(family,
        capacity, estimator)`` triples, or a dict of names to estimators.
    scoring : str or callable, default="roc_auc"
        The score to keep: a scikit-learn scorer name, ``"recall_at_fpr"``
        (recall at 1% false-positive rate, the fraud-desk view), or a scorer.
    cost : {"latency", "size", "complexity"}, default="latency"
        What "cheapest" means: single-row latency on the fastest serving path
        measured, pickled size, or nodes/coefficients/parameters.
    param_grid : dict or list of dict, default=None
        The :class:`~skdistill.DistilledClassifier` parameters searched for each
        distilled candidate (e.g. add ``"transfer_set": [None, "gaussian"]``);
        None means ``{"temperature": [1, 3], "alpha": [0.5, 1]}``.
    cv : int, cross-validation generator or iterable, default=3
        Folds of the training rows when no ``X_val`` is given; an int is a number
        of shuffled stratified folds (seeded by ``random_state``).
    tolerance : float, default=0.01
        Relative: the selected student keeps at least ``1 - tolerance`` of the
        reference score.
    relative_to : {"teacher", "best"} or float, default="teacher"
        The reference score: the teacher's on the same validation rows, the best
        candidate's, or a number.
    confidence : float in (0, 1) or None, default=0.8
        How sure the selection must be that the student is within ``tolerance``:
        the validation rows are resampled (``n_resamples`` paired bootstrap
        resamples, the student and the reference scored on the same ones), and
        the selected student is the cheapest whose ``1 - confidence`` quantile of
        the relative gap to the reference is within ``tolerance``. None keeps the
        plain rule (the validation score alone), which on a few hundred rows
        often picks a student that misses the tolerance on new rows. See
        :meth:`FrontierResult.select`.
    n_resamples : int, default=200
        Bootstrap resamples of the validation rows (the ``val_score_se`` and
        ``p_within`` columns, and ``confidence``); 0 turns the bootstrap off.
    confirm_size : float in [0, 1), default=0.3
        Share of the validation rows (of each class, and of each fold's scoring
        rows with cross-validation) held out of the selection to confirm it: no
        score, grid point, bootstrap or rule looks at them; the chosen student
        must then be within ``tolerance`` of the reference on them too, else the
        next cheapest candidate kept is tried (3 in all, see
        :meth:`FrontierResult.select`). This answers the optimism of choosing the
        best of some thirty candidates and grid points on the same rows, which
        the bootstrap does not see. 0 turns it off (every validation row then
        scores the candidates). The default is conservative: it spends 30% of the
        validation rows to check the choice on rows it has not seen.
    max_time : float, default=None
        Seconds the sweep may take: no candidate starts after that (one that has
        started finishes, and the first always runs); the result says how many
        were skipped. None: no limit.
    n_jobs : int, default=None
        Candidates fitted in parallel (joblib); None means 1.
    verbose : int, default=0
        Above 0, a progress bar over candidates (tqdm when installed).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, an unfitted teacher and every candidate.

    Attributes
    ----------
    result_ : FrontierResult
        Every candidate measured: ``result_.table`` (a DataFrame when pandas is
        installed), ``result_.frontier(kind)``, ``result_.select(...)``.
    selection_ : Selection
        The selected student, its row and the evidence (reference score, rows
        used, threshold).
    best_estimator_ : DistilledClassifier
        The deployed student. A hard-label selection (``alpha=0``) is the candidate
        as swept. A distilled one is refitted on the training rows with the
        default ``calibration_cv`` (candidates map their outputs back to
        temperature 1 on their training rows, which saves five fits each and which
        ranking scores such as ROC-AUC do not see, but accuracy or log-loss do),
        and scored again: see ``best_score_``.
    best_score_ : float
        The score of ``best_estimator_`` as deployed, measured as the table's
        ``val_score``: on the validation rows used for the selection (the refit
        has seen only ``X``), or, with cross-validation, the same refit of each
        fold's training rows on that fold's scoring rows. For a hard-label
        selection, its row's ``val_score``.
    best_confirm_score_ : float
        The same on the confirmation rows (NaN without them).
    teacher_ : classifier
        The fitted teacher: ``teacher`` itself if fitted.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    compression_frontier : The sweep as a function, returning the result.
    skdistill.report.CompressionFrontierDisplay : Plot of the frontier.

    Notes
    -----
    ``students="auto"``, cheapest first: scaler + ``LogisticRegression``; decision
    trees of depth 2, 3, 4, 6, 8; with LightGBM installed, ``LGBMClassifier`` of
    10x4, 30x8, 100x8, 100x16 and 300x16 rounds x leaves (native soft-target
    strategy); with XGBoost, ``XGBClassifier`` of 10, 30 and 100 rounds of depth 2,
    3 and 4; a scaled one-hidden-layer scikit-learn ``MLPClassifier`` of 16
    units (no torch needed). Torch nets are passed in ``students``: a skorch
    ``NeuralNetClassifier`` whose module is built for the data's feature and
    class counts (its ``module-logit`` strategy distils it).

    Validation, most honest first:

    - ``X_val``, ``y_val`` given: candidates are fitted on ``X`` and scored on
      ``X_val``; the teacher's reference score is its score on ``X_val``. Honest
      when the teacher has not seen ``X_val``.
    - ``teacher_train_mask`` given (True for the rows of ``X`` the teacher was
      fitted on): cross-validation whose scoring folds keep only the rows the
      teacher has not seen.
    - an unfitted teacher: cross-fitted; each fold's candidates are distilled
      from a clone fitted on that fold's training rows, and scored (as is the
      teacher's clone) on rows it has not seen.
    - a fitted teacher and none of the above: cross-validation on rows the
      teacher has seen, with a :class:`BiasedComparisonWarning`: its outputs
      there carry the labels, so teacher-following candidates score
      optimistically (a search preferred alpha=1 in 64 of 75 cases on such folds,
      while hard labels were sometimes better on test).

    With test rows, ``result_.bias`` measures the optimism of the validation
    scores (validation minus test) of each kind.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill.frontier import CompressionSearch
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> X, X_val, y, y_val = train_test_split(X, y, random_state=0)
    >>> teacher = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    >>> students = [DecisionTreeClassifier(max_depth=d) for d in (1, 3, 5)]
    >>> search = CompressionSearch(teacher, students, cost="size", tolerance=0.05,
    ...                            random_state=0)
    >>> search = search.fit(X, y, X_val=X_val, y_val=y_val)
    >>> len(search.result_.rows)
    6
    >>> search.selection_.within_tolerance
    True
    >>> search.predict(X_val[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        "teacher": [HasMethods(["fit", "predict"])],
        "students": [StrOptions({"auto"}), list, tuple, dict],
        "scoring": [str, callable],
        "cost": [StrOptions(set(COSTS))],
        "param_grid": [dict, list, None],
        "cv": ["cv_object"],
        "tolerance": [Interval(Real, 0, 1, closed="left")],
        "relative_to": [
            StrOptions({"teacher", "best"}),
            Interval(Real, None, None, closed="neither"),
        ],
        "confidence": [Interval(Real, 0, 1, closed="neither"), None],
        "n_resamples": [Interval(Integral, 0, None, closed="left")],
        "confirm_size": [Interval(Real, 0, 1, closed="left")],
        "max_time": [Interval(Real, 0, None, closed="neither"), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        teacher,
        students="auto",
        *,
        scoring="roc_auc",
        cost="latency",
        param_grid=None,
        cv=3,
        tolerance=0.01,
        relative_to="teacher",
        confidence=0.8,
        n_resamples=200,
        confirm_size=0.3,
        max_time=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.teacher = teacher
        self.students = students
        self.scoring = scoring
        self.cost = cost
        self.param_grid = param_grid
        self.cv = cv
        self.tolerance = tolerance
        self.relative_to = relative_to
        self.confidence = confidence
        self.n_resamples = n_resamples
        self.confirm_size = confirm_size
        self.max_time = max_time
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    # Clone the parameters, keeping a fitted teacher by reference: the distillers'
    # mechanism (that of sklearn.frozen.FrozenEstimator), shared rather than copied.
    __sklearn_clone__ = _BaseDistiller.__sklearn_clone__

    @fit_context(prefer_skip_nested_validation=False)
    def fit(
        self, X, y, *, X_val=None, y_val=None, X_test=None, y_test=None,
        teacher_train_mask=None,
    ):  # fmt: skip
        """Sweep the candidates, measure them and select the cheapest within tolerance.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows of the students.
        y : array-like of shape (n_samples,)
            Their labels.
        X_val : {array-like, DataFrame} of shape (n_val, n_features), default=None
            Validation rows the teacher has not seen: candidates and teacher are
            scored there (no cross-validation).
        y_val : array-like of shape (n_val,), default=None
            Their labels.
        X_test : {array-like, DataFrame} of shape (n_test, n_features), default=None
            Test rows, never used to choose: every candidate's ``test_score``, and
            the measured optimism of validation (``result_.bias``).
        y_test : array-like of shape (n_test,), default=None
            Their labels.
        teacher_train_mask : array-like of bool of shape (n_samples,), default=None
            For a fitted teacher: True for the rows of ``X`` it was fitted on.
            Cross-validation then scores on the other rows only.

        Returns
        -------
        self : CompressionSearch
            The fitted search.
        """
        started = time.time()
        deadline = None if self.max_time is None else started + float(self.max_time)
        X = validate_X(X, estimator=self, allow_nan=self._allow_nan())
        if sparse.issparse(X):
            raise TypeError(
                "CompressionSearch takes dense rows (its students are timed one row at "
                "a time, and exported to ONNX); got a sparse matrix. Pass X.toarray()."
            )
        validate_data(self, X, y, skip_check_array=True)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if len(y) != (X.shape[0]):
            raise ValueError(
                f"X has {X.shape[0]} rows but y has {len(y)}; pass one label per row."
            )
        test = _check_pair(X_test, y_test, "X_test", "y_test", self)
        validation = _check_pair(X_val, y_val, "X_val", "y_val", self)
        streams = RandomStreams(self.random_state)
        scorer, scorer_name = _resolve_scoring(self.scoring)
        candidates = resolve_candidates(self.students)
        configs = [{"alpha": 0.0}, *ParameterGrid(self.param_grid or DEFAULT_GRID)]
        needs_teacher = any(c.get("transfer_set") is not None for c in configs)

        plan = _Plan(self, X, y, validation, teacher_train_mask, streams, scorer)
        folds, final = plan.parts(needs_teacher)
        if plan.biased:
            warnings.warn(plan.warning, BiasedComparisonWarning, stacklevel=2)

        seed = streams.seed("candidates")
        boot = (self.n_resamples, streams.seed("bootstrap"))
        jobs = (
            delayed(_evaluate)(
                c, folds, final, configs, scorer, test, seed, deadline if i else None,
                boot,
            )  # the first candidate always runs: the sweep has something to select
            for i, c in enumerate(candidates)
        )  # fmt: skip
        outcomes = Parallel(n_jobs=self.n_jobs, return_as="generator")(jobs)
        rows, estimators, resampled, skipped = [], [], [], 0
        for outcome in _progress(outcomes, total=len(candidates), verbose=self.verbose):
            if outcome is None:
                skipped += 1
                continue
            for row, model, scores in outcome:
                row["scorer"] = scorer_name
                rows.append(row)
                estimators.append(model)
                resampled.append(scores)

        teacher_row = plan.teacher_row(scorer, test)
        timed = validation[0] if validation else X  # X_val may have fewer rows than X
        X_sample = safe_indexing(timed, np.arange(min(_N_LATENCY_ROWS, timed.shape[0])))
        fitted = {str(i): m for i, m in enumerate(estimators) if m is not None}
        latencies = _latencies({"teacher": plan.teacher, **fitted}, X_sample)
        (
            teacher_row["latency_s"],
            teacher_row["latency_spread"],
            teacher_row["latency_path"],
            teacher_row["latency_sklearn_s"],
        ) = latencies["teacher"]
        for key, (seconds, spread, path, sklearn_seconds) in latencies.items():
            if key != "teacher":
                row = rows[int(key)]
                row["latency_s"], row["latency_spread"] = seconds, spread
                row["latency_path"], row["latency_sklearn_s"] = path, sklearn_seconds
        for row, tier in zip(rows, latency_tiers(rows), strict=True):
            row["cost_tier"] = tier
            row["teacher_test_score"] = teacher_row["test_score"]

        failed = sum(1 for row in rows if row["error"]) // 2
        seconds = time.time() - started
        done = len(candidates) - skipped
        message = f"{done} of {len(candidates)} candidates in {seconds:.1f} s"
        if skipped:
            message += (
                f"; max_time={self.max_time:g} s stopped the sweep, {skipped} skipped"
            )
        if failed:
            message += f"; {failed} failed (see the error column)"
        bootstrap = _bootstrap(plan, folds, scorer, resampled, boot)
        _warn_bootstrap(rows, bootstrap)
        self.result_ = FrontierResult(
            rows=rows,
            estimators=estimators,
            teacher=teacher_row,
            scorer=scorer_name,
            cost=self.cost,
            validation=plan.description,
            biased=plan.biased,
            bias=_bias(rows) if test is not None else {},
            bootstrap=bootstrap,
            confirmation=plan.confirmation(),
            complete=skipped == 0,
            message=message,
            seconds=seconds,
        )
        probabilities = self.result_.within_probabilities(self.tolerance, self.relative_to)
        for row, probability in zip(rows, probabilities, strict=True):
            row["p_within"] = probability
        self.selection_ = self.result_.select(
            self.tolerance, self.relative_to, confidence=self.confidence
        )
        self.best_estimator_, self.best_score_, self.best_confirm_score_ = _deploy(
            self.selection_, folds, final, scorer
        )
        self.teacher_ = plan.teacher
        self.classes_ = np.asarray(self.best_estimator_.classes_)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NaN only where the teacher and every student given take it ("auto" has a
        # logistic regression, which does not).
        students = [] if isinstance(self.students, str) else self.students
        if isinstance(students, dict):
            students = list(students.values())
        models = [self.teacher, *(s[-1] if isinstance(s, tuple) else s for s in students)]
        tags.input_tags.allow_nan = bool(students) and all(
            safe_tags(model).input_tags.allow_nan for model in models
        )
        tags.input_tags.sparse = False
        return tags

    def _check_X(self, X):
        check_is_fitted(self)
        X = validate_X(X, estimator=self, allow_nan=self._allow_nan())
        return validate_data(self, X, reset=False, skip_check_array=True)

    def _allow_nan(self):
        return self.__sklearn_tags__().input_tags.allow_nan

    def predict(self, X):
        """Predict class labels with the selected student.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        X = self._check_X(X)
        return self.best_estimator_.predict(X)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the selected student.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        X = self._check_X(X)
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_has("decision_function"))
    def decision_function(self, X):
        """Logits of the selected student (log-odds for two classes).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The student's logits.
        """
        X = self._check_X(X)
        return self.best_estimator_.decision_function(X)


def _refit(model, part):
    """The candidate refitted on ``part`` with the default (out-of-fold) output map."""
    default = inspect.signature(DistilledClassifier).parameters["calibration_cv"].default
    refit = clone(model).set_params(calibration_cv=default, teacher=part.teacher)
    return refit.fit(part.X, part.y, teacher_logits=part.logits)


def _deploy(selection, folds, final, scorer):
    """``(best_estimator_, best_score_, best_confirm_score_)``.

    A hard-label candidate (``alpha=0``) has no output map: it is deployed as
    swept, with its row's scores. A distilled one is refitted with the default
    out-of-fold map, and that refit is scored again the way its row was: on the
    validation rows (it is fitted on ``X`` alone), or, with cross-validation, the
    refit of each fold's training rows on that fold's scoring rows.
    """
    model, row = selection.estimator, selection.row
    if model.alpha == 0:
        return model, row["val_score"], row["confirm_score"]
    best = _refit(model, folds[0] if final is None else final)
    fits = [best] if final is None else [_refit(model, fold) for fold in folds]
    score = np.mean(
        [scorer(fit, fold.X_val, fold.y_val) for fit, fold in zip(fits, folds, strict=True)]
    )
    confirm = np.mean(
        [_confirm_score(scorer, fit, fold) for fit, fold in zip(fits, folds, strict=True)]
    )
    return best, float(score), float(confirm)


def _warn_bootstrap(rows, bootstrap):
    """One warning when the paired bootstrap failed, for the teacher or candidates:
    they are then selected by the plain rule."""
    failed = [r for r in rows if r["bootstrap_error"]]
    teacher = bootstrap.get("teacher_error", "")
    if teacher:
        what = (
            f"of the teacher failed ({teacher}), so every candidate is selected by the "
            "plain rule"
        )
    elif failed:
        first = failed[0]
        what = (
            f"failed for {len(failed)} of {len(rows)} candidate rows (first: "
            f"{first['family']} {first['capacity']} ({first['kind']}), "
            f"{first['bootstrap_error']}); those are selected by the plain rule"
        )
    else:
        return
    warnings.warn(
        f"The paired bootstrap of the validation scores {what} (the validation score "
        "within the tolerance, without confidence); see the bootstrap_error column of "
        "the table. A scorer that reads the rows themselves, or fails on resampled "
        "rows, cannot be bootstrapped: pass a scorer of the model's outputs, or "
        "n_resamples=0 to turn the bootstrap off.",
        DistillationWarning,
        stacklevel=3,
    )


def _bootstrap(plan, folds, scorer, resampled, boot):
    """The paired bootstrap of the validation scores: the teacher's and each row's
    scores on the same resamples (NaN where a scorer could not replay them)."""
    n_resamples, seed = boot
    if not n_resamples:
        return {}
    ys = [fold.y_val for fold in folds]
    teacher, error = bootstrap_scores(
        scorer, plan.teacher_outputs, teacher_classes(plan.teacher), ys, *boot
    )
    nan = np.full(n_resamples, np.nan)
    return {
        "n_resamples": n_resamples,
        "teacher": nan if teacher is None else teacher,
        "teacher_error": error,
        "scores": np.array([nan if r is None else r for r in resampled]).reshape(
            len(resampled), n_resamples
        ),
    }


def _check_pair(X, y, x_name, y_name, estimator):
    """``(X, y)`` of extra rows, checked against the training columns; None if absent."""
    if X is None and y is None:
        return None
    if X is None or y is None:
        raise ValueError(f"Pass both {x_name} and {y_name}, or neither.")
    X = validate_X(X, estimator=estimator, allow_nan=True)
    validate_data(estimator, X, reset=False, skip_check_array=True)
    y = column_or_1d(y)
    if len(y) != X.shape[0]:
        raise ValueError(
            f"{x_name} has {X.shape[0]} rows but {y_name} has {len(y)}; pass one label "
            "per row."
        )
    return X, y


def _bias(rows):
    """Mean optimism (validation minus test score) of each kind, and of the gain of
    distillation over hard labels."""
    out = {}
    for kind in ("hard", "distilled"):
        gaps = [
            r["val_score"] - r["test_score"]
            for r in rows
            if r["kind"] == kind and np.isfinite(r["val_score"] - r["test_score"])
        ]
        out[f"optimism_{kind}"] = float(np.mean(gaps)) if gaps else math.nan
    pairs = {}
    for r in rows:
        pairs.setdefault((r["family"], r["capacity"]), {})[r["kind"]] = r
    gains = [
        (p["distilled"]["val_score"] - p["hard"]["val_score"],
         p["distilled"]["test_score"] - p["hard"]["test_score"])
        for p in pairs.values()
        if len(p) == 2
    ]  # fmt: skip
    gains = [g for g in gains if np.all(np.isfinite(g))]
    if gains:
        out["distillation_gain_val"] = float(np.mean([g[0] for g in gains]))
        out["distillation_gain_test"] = float(np.mean([g[1] for g in gains]))
    return out


class _Plan:
    """How the sweep validates: which teacher labels which rows, scored where."""

    def __init__(self, search, X, y, validation, mask, streams, scorer):
        self.search, self.X, self.y = search, X, y
        self.validation, self.streams, self.scorer = validation, streams, scorer
        teacher = search.teacher
        self.prefit = is_fitted(teacher)
        self.mask = None
        if mask is not None:
            if not self.prefit:
                raise ValueError(
                    "teacher_train_mask says which rows a fitted teacher was trained on, "
                    f"but the teacher {name_of(teacher)} is not fitted (it is fitted "
                    "here, on every row of X). Leave out teacher_train_mask, or pass the "
                    "fitted teacher."
                )
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != (len(y),):
                raise ValueError(
                    f"teacher_train_mask must be a boolean array of one value per row of "
                    f"X ({len(y)}), got dtype {mask.dtype} and shape {mask.shape}."
                )
            self.mask = mask
        self.teacher = fitted_teacher(
            teacher, X, y, task="classification",
            seed=lambda t: streams.seeded(t, "teacher"),
        )  # fmt: skip
        classes = teacher_classes(self.teacher)
        unknown = sorted(set(np.unique(y).tolist()) - set(classes.tolist()), key=repr)
        if unknown:
            raise ValueError(
                f"y holds label(s) {unknown[:5]} that the teacher {name_of(self.teacher)} "
                f"does not know (its classes are {classes.tolist()!r}). Pass rows of the "
                "teacher's classes."
            )
        self.same_classes = len(np.unique(y)) == len(classes)
        self.biased = False
        self.warning = ""
        self.teacher_val_score = math.nan
        self.teacher_confirm_score = math.nan
        self.teacher_outputs = []  # per fold, on its validation rows (the bootstrap)
        self.description = ""
        self.n_confirm = 0  # rows held out to confirm the selection
        self.no_confirm = ""  # why there are none, when confirm_size asked for some

    def _split(self, scoring_rows):
        """Per fold (labels of its scoring rows): ``(selection, confirmation)``
        indices, ``confirm_size`` of each class held out; confirmation None when
        it is off, or when a class has too few rows to keep some on each side."""
        size = self.search.confirm_size
        if not size:
            return [(np.arange(len(y)), None) for y in scoring_rows]
        rng = np.random.default_rng(self.streams.seed("confirm"))
        splits = []
        for y in scoring_rows:
            select, confirm = [], []
            for c in np.unique(y):
                rows = rng.permutation(np.flatnonzero(y == c))
                if len(rows) < 2:
                    self.no_confirm = (
                        f"class {c!r} has {len(rows)} scoring row(s) in a fold, too few to "
                        f"hold out confirm_size={size:g} of them"
                    )
                    return [(np.arange(len(y)), None) for y in scoring_rows]
                k = min(max(round(size * len(rows)), 1), len(rows) - 1)
                confirm.append(rows[:k])
                select.append(rows[k:])
            splits.append(
                (np.sort(np.concatenate(select)), np.sort(np.concatenate(confirm)))
            )
        return splits

    def _confirm_words(self):
        if self.n_confirm:
            return (
                f"; {self.n_confirm} of them held out to confirm the selection "
                f"(confirm_size={self.search.confirm_size:g}), never used to choose"
            )
        return f"; no confirmation rows ({self.no_confirm})" if self.no_confirm else ""

    def _labeler(self, teacher, needs_teacher):
        """The ``teacher`` parameter of the candidates' distillers."""
        return teacher if needs_teacher or not self.same_classes else "precomputed"

    def parts(self, needs_teacher):
        """``(folds, final)``: the fits scored, and the fit kept (None: fold 0's)."""
        X, y, search = self.X, self.y, self.search
        logits = compute_teacher_logits(self.teacher, X)
        labeler = self._labeler(self.teacher, needs_teacher)
        if self.validation is not None:
            X_val, y_val = self.validation
            n_val = len(y_val)
            ((select, confirm),) = self._split([y_val])
            confirm = None if confirm is None else (
                safe_indexing(X_val, confirm), y_val[confirm]
            )  # fmt: skip
            X_val, y_val = safe_indexing(X_val, select), y_val[select]
            part = _Part(X, y, logits, labeler, X_val, y_val, confirm)
            self.teacher_val_score = float(self.scorer(self.teacher, X_val, y_val))
            self.teacher_confirm_score = _confirm_score(self.scorer, self.teacher, part)
            self.teacher_outputs = [outputs_of(self.teacher, X_val)]
            self.n_confirm = 0 if confirm is None else len(confirm[1])
            self.description = f"{n_val} validation rows (X_val)" + self._confirm_words()
            return [part], None
        if isinstance(search.cv, Integral):  # shuffled: rows may come sorted
            cv = StratifiedKFold(
                search.cv, shuffle=True, random_state=self.streams.seed("cv")
            )
        else:
            cv = check_cv(search.cv, y, classifier=True)
        folds, teacher_scores, teacher_confirms = [], [], []
        splits = []
        for k, (train, test) in enumerate(cv.split(X, y)):
            if self.mask is not None:
                test = test[~self.mask[test]]
                if len(np.unique(y[test])) < 2:
                    raise ValueError(
                        f"teacher_train_mask leaves fold {k} with {len(test)} row(s) the "
                        "teacher has not seen, not of two classes, too few to score. "
                        "Pass fewer folds (cv=2), or X_val and y_val."
                    )
            splits.append((train, test))
        held_out = self._split([y[test] for _, test in splits])
        for k, ((train, test), (select, confirm)) in enumerate(
            zip(splits, held_out, strict=True)
        ):
            confirm = None if confirm is None else test[confirm]
            test = test[select]
            X_train, y_train = safe_indexing(X, train), y[train]
            X_test, y_test = safe_indexing(X, test), y[test]
            if confirm is not None:
                confirm = (safe_indexing(X, confirm), y[confirm])
                self.n_confirm += len(confirm[1])
            if self.prefit:
                teacher, fold_logits = self.teacher, logits[train]
            else:
                teacher = fitted_teacher(
                    search.teacher, X_train, y_train, task="classification",
                    seed=lambda t, k=k: self.streams.seeded(t, "teacher", str(k)),
                )  # fmt: skip
                fold_logits = compute_teacher_logits(teacher, X_train)
            part = _Part(
                X_train,
                y_train,
                fold_logits,
                self._labeler(teacher, needs_teacher),
                X_test,
                y_test,
                confirm,
            )
            teacher_scores.append(float(self.scorer(teacher, X_test, y_test)))
            teacher_confirms.append(_confirm_score(self.scorer, teacher, part))
            self.teacher_outputs.append(outputs_of(teacher, X_test))
            folds.append(part)
        self.teacher_val_score = float(np.mean(teacher_scores))
        self.teacher_confirm_score = float(np.mean(teacher_confirms))
        n = len(folds)
        if not self.prefit:
            self.description = (
                f"{n}-fold cross-validation, the teacher cross-fitted (each fold's "
                "students distilled from a teacher fitted without its scoring rows)"
            )
        elif self.mask is not None and (~self.mask).any():
            self.description = (
                f"{n}-fold cross-validation scored on the {int((~self.mask).sum())} "
                "rows the teacher has not seen (teacher_train_mask)"
            )
        elif self.mask is not None:
            self.description = f"{n}-fold cross-validation (the teacher saw no row of X)"
        else:
            self.biased = True
            self.description = (
                f"{n}-fold cross-validation on rows the teacher was fitted on (BIASED: "
                "flatters distillation and the teacher)"
            )
            self.warning = (
                f"The teacher {name_of(self.teacher)} is fitted and no validation rows "
                "it has not seen were given, so the candidates are scored by "
                "cross-validation on rows it was probably fitted on. There its outputs "
                "carry the labels: students that follow it score optimistically, which "
                "flatters distillation against hard labels, and the teacher's own "
                "reference score is too high. Pass X_val and y_val (rows the teacher "
                "has not seen), teacher_train_mask (which rows of X it was fitted on), "
                "or an unfitted teacher (cross-fitted here)."
            )
        self.description += self._confirm_words()
        return folds, _Part(X, y, logits, labeler)

    def confirmation(self):
        """What :attr:`FrontierResult.confirmation` records."""
        if not self.n_confirm:
            return {"n_rows": 0, "note": self.no_confirm}
        return {
            "n_rows": self.n_confirm,
            "size": float(self.search.confirm_size),
            "teacher_score": self.teacher_confirm_score,
            "note": "",
        }

    def teacher_row(self, scorer, test):
        """The teacher measured like a candidate (latency filled in later)."""
        return {
            "val_score": self.teacher_val_score,
            "confirm_score": self.teacher_confirm_score,
            "test_score": float(scorer(self.teacher, *test)) if test else math.nan,
            "size_bytes": model_size(self.teacher),
            "latency_s": math.nan,
            "latency_path": "",
        }


def compression_frontier(
    teacher, X, y, *, students="auto", X_val=None, y_val=None, X_test=None,
    y_test=None, teacher_train_mask=None, **params,
):  # fmt: skip
    """Sweep students hard and distilled; return the measured compression frontier.

    The function form of :class:`CompressionSearch`: it fits one and returns its
    ``result_``.

    Read more in the :ref:`User Guide <choosing_a_student>`.

    Parameters
    ----------
    teacher : classifier
        The model to compress, fitted (used as is) or not (fitted here).
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        Training rows of the students.
    y : array-like of shape (n_samples,)
        Their labels.
    students : "auto", list or dict, default="auto"
        The candidates (see :class:`CompressionSearch`).
    X_val, y_val : array-like, default=None
        Validation rows the teacher has not seen.
    X_test, y_test : array-like, default=None
        Test rows, reported only.
    teacher_train_mask : array-like of bool, default=None
        True for the rows of ``X`` a fitted teacher was trained on.
    **params : dict
        Other parameters of :class:`CompressionSearch` (``scoring``, ``cost``,
        ``param_grid``, ``cv``, ``max_time``, ``n_jobs``, ``verbose``,
        ``random_state``...).

    Returns
    -------
    result : FrontierResult
        The table, the frontiers and ``select(tolerance, relative_to)``.

    See Also
    --------
    CompressionSearch : The same as an estimator that predicts with the selection.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill.frontier import compression_frontier
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0)
    >>> result = compression_frontier(
    ...     teacher, X, y, students=[DecisionTreeClassifier(max_depth=d) for d in (2, 4)],
    ...     cost="complexity", tolerance=0.1, random_state=0)
    >>> result.validation.startswith("3-fold cross-validation, the teacher cross-fitted")
    True
    >>> selection = result.select(tolerance=0.1)
    >>> selection.row["family"]
    'DecisionTreeClassifier'
    """
    search = CompressionSearch(teacher, students, **params)
    search.fit(
        X, y, X_val=X_val, y_val=y_val, X_test=X_test, y_test=y_test,
        teacher_train_mask=teacher_train_mask,
    )  # fmt: skip
    return search.result_
