"""The honest verdict: a distilled student against the same student on hard labels.

Both are refitted over the same seeds; per metric, the paired gain (distilled minus
hard labels) is called clear when it exceeds twice its standard error.
"""

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._models import distiller_at, distiller_prefix, model_outputs

__all__ = [
    "Verdict",
    "is_verdict_candidate",
    "summarize",
    "verdict_markdown",
    "verdicts_for",
]

#: A gain is "clear" when it exceeds this many standard errors.
_CLEAR = 2.0

#: Metrics of the probabilities themselves: a student whose ranking improved but
#: whose probabilities got worse is "mixed", and the summary says it is calibration.
_CALIBRATION_METRICS = ("log_loss", "brier", "ece")


@dataclass(frozen=True)
class Verdict:
    """Did distillation pay off for one student, on one metric?

    Returned in :attr:`DistillationReport.verdicts`. The distilled student and its
    hard-label twin (the same configuration with ``alpha=0``) are refitted on the
    same training rows over the same seeds and scored on the same held-out rows.

    Parameters
    ----------
    student : str
        Name of the student in the report.
    metric : str
        Name of the metric, a column of the report.
    distilled : tuple of float
        The distilled student's score for each seed.
    hard : tuple of float
        The hard-label twin's score for each seed (same seeds, same order).
    gain_se : float
        Standard error of :attr:`gain_mean`: its spread over seeds (``gain_sd /
        sqrt(n_seeds)``) combined with the noise of the held-out rows (the spread
        of the first seed's gain over a paired, stratified bootstrap of the rows).
    greater_is_better : bool, default=True
        Whether a higher score is better (False for log loss, Brier score, ECE).
    baseline : str, default="hard labels (alpha=0)"
        How the hard-label twin was trained.

    Attributes
    ----------
    outcome : {"better", "worse", "no clear difference"}
        ``"better"`` when the gain is in the metric's good direction by more than
        twice ``gain_se``, ``"worse"`` when in the bad direction by as much.
    paid_off : bool
        ``outcome == "better"``.

    See Also
    --------
    distillation_report : Computes the verdicts when given training data.
    """

    student: str
    metric: str
    distilled: tuple
    hard: tuple
    gain_se: float
    greater_is_better: bool = True
    baseline: str = "hard labels (alpha=0)"

    @property
    def n_seeds(self):
        """Number of seeds."""
        return len(self.distilled)

    @property
    def distilled_mean(self):
        """Mean score of the distilled student over seeds."""
        return float(np.mean(self.distilled))

    @property
    def distilled_sd(self):
        """Standard deviation over seeds (NaN for one seed)."""
        return _sd(self.distilled)

    @property
    def hard_mean(self):
        """Mean score of the hard-label twin over seeds."""
        return float(np.mean(self.hard))

    @property
    def hard_sd(self):
        """Standard deviation over seeds (NaN for one seed)."""
        return _sd(self.hard)

    @property
    def gain_mean(self):
        """Mean of the paired differences, distilled minus hard labels."""
        return float(np.mean(np.subtract(self.distilled, self.hard)))

    @property
    def gain_sd(self):
        """Standard deviation over seeds of the paired differences."""
        return _sd(np.subtract(self.distilled, self.hard))

    @property
    def outcome(self):
        improvement = self.gain_mean if self.greater_is_better else -self.gain_mean
        if np.isnan(improvement) or abs(improvement) <= _CLEAR * self.gain_se:
            return "no clear difference"
        return "better" if improvement > 0 else "worse"

    @property
    def paid_off(self):
        return self.outcome == "better"

    def as_dict(self):
        """The fields and the derived numbers, as a flat dict (one table row)."""
        derived = (
            "n_seeds distilled_mean distilled_sd hard_mean hard_sd gain_mean gain_sd "
            "outcome"
        ).split()
        return {**asdict(self), **{name: getattr(self, name) for name in derived}}

    def __str__(self):
        return (
            f"{self.student}, {self.metric}: {self.outcome} "
            f"({_pm(self.distilled_mean, self.distilled_sd)} distilled vs "
            f"{_pm(self.hard_mean, self.hard_sd)} with {self.baseline}; gain "
            f"{_pm(self.gain_mean, self.gain_sd, sign=True)} over {self.n_seeds} seeds)"
        )


def _sd(values):
    values = np.asarray(values, dtype=np.float64)
    return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")


def _pm(mean, sd, *, sign=False):
    """``mean ± sd`` with 4 decimals; the spread is left out when undefined."""
    text = f"{mean:+.4f}" if sign else f"{mean:.4f}"
    return text if np.isnan(sd) else f"{text} ± {sd:.4f}"


def verdict_markdown(verdicts):
    """A Markdown table of verdicts, one line per student and metric."""
    lines = [
        "| student | metric | distilled | hard labels | gain | gain se | outcome |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {v.student} | {v.metric} | {_pm(v.distilled_mean, v.distilled_sd)} | "
        f"{_pm(v.hard_mean, v.hard_sd)} | {_pm(v.gain_mean, v.gain_sd, sign=True)} | "
        f"{v.gain_se:.4f} | {v.outcome} |"
        for v in verdicts
    ]
    return "\n".join(lines)


def summarize(verdicts):
    """One plain sentence for one student's verdicts (all metrics)."""
    groups = {outcome: [] for outcome in ("better", "worse", "no clear difference")}
    for verdict in verdicts:
        groups[verdict.outcome].append(verdict)

    def gains(group):
        return ", ".join(
            f"{v.metric} {_pm(v.gain_mean, v.gain_sd, sign=True)} (se {v.gain_se:.4f})"
            for v in group
        )

    better, worse, unclear = groups.values()
    worse_calibrated = [v for v in worse if v.metric in _CALIBRATION_METRICS]
    if better and worse_calibrated and len(worse_calibrated) == len(worse):
        text = (
            f"mixed: better on {gains(better)}, but its probabilities are worse "
            f"calibrated: {gains(worse)}"
        )
    elif better and worse:
        text = f"mixed: better on {gains(better)}; worse on {gains(worse)}"
    elif better:
        text = f"paid off on {gains(better)}"
    elif worse:
        text = f"did not pay off: hard labels better on {gains(worse)}"
    else:
        text = "no clear difference from hard labels"
    if unclear and (better or worse):
        text += f"; no clear difference on {gains(unclear)}"
    elif unclear:
        text += f" ({gains(unclear)})"
    first = verdicts[0]
    return f"{text} [gain = distilled - {first.baseline}, {first.n_seeds} seeds]"


def verdicts_for(
    name,
    model,
    X,
    y,
    X_train,
    y_train,
    metrics,
    *,
    seeds,
    early_stopping_rounds,
    n_bootstrap,
    random_state,
):
    """The verdicts of one fitted distilled student, one per metric.

    ``metrics`` maps names to ``(function(y, outputs), greater_is_better)``.
    """
    model = getattr(model, "best_estimator_", model)
    prefix = distiller_prefix(model)
    hard, baseline = _hard_label_twin(model, prefix, early_stopping_rounds)
    runs = {"distilled": [], "hard": []}
    for seed in seeds:
        for variant, template in (("distilled", model), ("hard", hard)):
            fitted = _reseeded(clone(template), int(seed)).fit(X_train, y_train)
            runs[variant].append(model_outputs(fitted, X))
    resamples = _stratified_bootstrap(y, n_bootstrap, random_state)
    verdicts = []
    for metric, (function, greater_is_better) in metrics.items():
        scores = {k: tuple(float(function(y, o)) for o in outs) for k, outs in runs.items()}
        verdicts.append(
            Verdict(
                student=name,
                metric=metric,
                distilled=scores["distilled"],
                hard=scores["hard"],
                gain_se=_gain_se(function, y, runs, scores, resamples),
                greater_is_better=greater_is_better,
                baseline=baseline,
            )
        )
    return verdicts


def is_verdict_candidate(model):
    """Whether the report can give ``model`` a verdict: a fitted distiller inside."""
    model = getattr(model, "best_estimator_", model)
    prefix = distiller_prefix(model)
    return prefix is not None and hasattr(distiller_at(model, prefix), "strategy_")


def _hard_label_twin(model, prefix, early_stopping_rounds):
    """The same (unfitted) student configuration on hard labels, and its description.

    ``alpha=0``, with the fitted strategy; a strategy that supports early stopping
    (the native LightGBM and XGBoost ones) gets ``early_stopping_rounds`` unless
    it has its own, so that the baseline is the strongest plain training.
    """
    strategy = clone(distiller_at(model, prefix).strategy_)
    params = strategy.get_params()
    if "early_stopping_rounds" in params and params["early_stopping_rounds"] is None:
        strategy.set_params(early_stopping_rounds=early_stopping_rounds)  # None: as is
    rounds = strategy.get_params().get("early_stopping_rounds")
    baseline = "hard labels (alpha=0)"
    if rounds is not None:
        baseline = (
            f"hard labels (alpha=0, early stopping after {rounds} rounds on a "
            f"{strategy.validation_fraction:.0%} validation split)"
        )
    twin = clone(model).set_params(**{f"{prefix}alpha": 0.0, f"{prefix}strategy": strategy})
    return twin, baseline


def _reseeded(estimator, seed):
    """``estimator`` with every ``random_state`` set to ``seed``, the teacher's aside."""
    keys = [
        key
        for key in estimator.get_params(deep=True)
        if key.split("__")[-1] == "random_state" and "teacher" not in key.split("__")[:-1]
    ]
    return estimator.set_params(**dict.fromkeys(keys, seed))


def _stratified_bootstrap(y, n_bootstrap, random_state):
    """Row indices of ``n_bootstrap`` resamples that keep each class's row count."""
    rng = check_random_state(random_state)
    by_class = [np.flatnonzero(y == label) for label in np.unique(y)]
    return [
        np.concatenate([rng.choice(rows, size=len(rows)) for rows in by_class])
        for _ in range(n_bootstrap)
    ]


def _gain_se(function, y, runs, scores, resamples):
    """Standard error of the mean paired gain: seeds and held-out rows combined.

    The noise of the held-out rows is the spread of the first seed's gain over
    the bootstrap resamples: a single seed's gain varies at least as much as the
    mean over seeds, so this errs on the side of "no clear difference".
    """
    gains = np.subtract(scores["distilled"], scores["hard"])
    seed_var = np.var(gains, ddof=1) / len(gains) if len(gains) > 1 else 0.0
    if len(resamples) < 2:
        return float(np.sqrt(seed_var))
    distilled, hard = runs["distilled"][0], runs["hard"][0]
    boot = [
        function(y[rows], distilled.take(rows)) - function(y[rows], hard.take(rows))
        for rows in resamples
    ]
    return float(np.sqrt(seed_var + np.var(boot, ddof=1)))
