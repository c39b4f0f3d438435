"""LossCurveDisplay: the loss per iteration that an iterative student recorded."""

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from .._validation import is_fitted, name_of
from ._models import deployed_model
from ._plotting import DisplayMixin, pyplot

__all__ = ["LossCurveDisplay"]

#: Curves whose lowest point is marked: losses on rows the model was not fitted on.
_HELD_OUT = ("validation", "out-of-bag")


class LossCurveDisplay(DisplayMixin):
    """Training (and validation) loss per iteration of an iterative student.

    Reads what the student recorded while fitting: a skorch net's ``history``
    (``train_loss``, ``valid_loss``; for a distilled net, the distillation loss),
    the ``evals_result_`` of LightGBM and XGBoost models (recorded on evaluation
    sets, such as the validation split of
    ``LightGBMStrategy(early_stopping_rounds=...)``), ``loss_curve_`` of
    ``MLPClassifier``, ``train_score_`` (and ``oob_scores_``) of
    ``GradientBoostingClassifier``, and ``train_score_``/``validation_score_`` of
    ``HistGradientBoostingClassifier`` fitted with early stopping. The lowest
    held-out loss is marked. Create it with :meth:`from_estimator`.

    Parameters
    ----------
    curves : dict of str to ndarray
        Loss per iteration, by curve name (e.g. ``"training"``, ``"validation"``).
    name : str, default=None
        The model's name, for the title.
    xlabel : str, default="iteration"
        What one step is (``"epoch"``, ``"boosting round"``).
    ylabel : str, default="loss"
        What is plotted.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per curve.
    best_marker_ : matplotlib Line2D or None
        The lowest point of the first held-out curve (validation, out-of-bag).
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    DistillationSearchDisplay : Scores across temperatures and alphas.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import LossCurveDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    >>> student = GradientBoostingClassifier(n_estimators=20, max_depth=2)
    >>> model = DistilledClassifier(teacher, student, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(model)
    >>> list(display.curves), len(display.curves["training (in-bag)"])
    (['training (in-bag)'], 20)
    """

    def __init__(self, *, curves, name=None, xlabel="iteration", ylabel="loss"):
        self.curves = curves
        self.name = name
        self.xlabel = xlabel
        self.ylabel = ylabel

    def plot(self, ax=None, *, mark_best=True):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        mark_best : bool, default=True
            Mark the lowest point of the first held-out curve.

        Returns
        -------
        display : LossCurveDisplay
            This display.
        """
        ax = self._set_axes(ax)
        self.lines_ = [
            ax.plot(np.arange(1, len(values) + 1), values, label=label, color=f"C{i}")[0]
            for i, (label, values) in enumerate(self.curves.items())
        ]
        self.best_marker_ = None
        held_out = [label for label in self.curves if label.startswith(_HELD_OUT)]
        if mark_best and held_out and self.ylabel == "loss":
            values = np.asarray(self.curves[held_out[0]])
            best = int(np.argmin(values))
            (self.best_marker_,) = ax.plot(
                best + 1,
                values[best],
                marker="*",
                markersize=14,
                color="red",
                linestyle="none",
                label=f"lowest {held_out[0]} ({self.xlabel} {best + 1})",
            )
        title = "Loss per " + self.xlabel + (f" of {self.name}" if self.name else "")
        ax.set(xlabel=self.xlabel, ylabel=self.ylabel, title=title)
        ax.legend(loc="upper right")
        return self

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, mark_best=True):
        """The recorded loss curves of a fitted iterative model.

        Parameters
        ----------
        estimator : fitted estimator
            A fitted ``DistilledClassifier`` (its student is read), a fitted search
            (its ``best_estimator_``), a ``Pipeline`` (its last step is read), or
            an iterative model itself.
        name : str, default=None
            The model's name, for the title; None: the student's class name.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        mark_best : bool, default=True
            Mark the lowest point of the first held-out curve.

        Returns
        -------
        display : LossCurveDisplay
            The plotted display.

        Raises
        ------
        NotFittedError
            If the model is not fitted.
        TypeError
            If the model records no loss per iteration (a decision tree, say).
        ValueError
            If it could but did not (LightGBM or XGBoost without an evaluation
            set, HistGradientBoosting without early stopping).
        """
        pyplot(f"{cls.__name__}.from_estimator")
        if not is_fitted(estimator):
            raise NotFittedError(
                f"{name_of(estimator)} is not fitted, so it recorded no loss yet. "
                "Call fit(X_train, y_train) on it before plotting."
            )
        student = deployed_model(estimator)
        if isinstance(student, Pipeline):
            student = student.steps[-1][1]
        curves, xlabel, ylabel = _recorded(student)
        display = cls(
            curves=curves, name=name or name_of(student), xlabel=xlabel, ylabel=ylabel
        )
        return display.plot(ax=ax, mark_best=mark_best)


def _recorded(model):
    """``(curves, xlabel, ylabel)`` of what ``model`` recorded while fitting."""
    for reader in (
        _skorch,
        _boosting_evals,
        _hist_gradient_boosting,
        _gradient_boosting,
        _mlp,
    ):
        found = reader(model)
        if found is not None:
            return found
    raise TypeError(
        f"{name_of(model)} records no loss per iteration. LossCurveDisplay reads skorch "
        "nets (history), LightGBM and XGBoost models (evals_result_), MLP* "
        "(loss_curve_), GradientBoosting* (train_score_) and HistGradientBoosting* "
        "fitted with early stopping."
    )


def _skorch(model):
    history = getattr(model, "history_", None) if hasattr(model, "module_") else None
    if history is None:
        return None
    curves = {"training": np.asarray(history[:, "train_loss"], dtype=float)}
    if len(history) and all("valid_loss" in epoch for epoch in history):
        curves["validation"] = np.asarray(history[:, "valid_loss"], dtype=float)
    return curves, "epoch", "loss"


def _boosting_evals(model):
    if not (hasattr(model, "booster_") or hasattr(model, "get_booster")):
        return None
    evals = getattr(model, "evals_result_", None)
    if not evals:
        raise ValueError(
            f"{name_of(model)} recorded no loss: LightGBM and XGBoost record losses on "
            "evaluation sets only. Distil with early stopping "
            "(LightGBMStrategy(early_stopping_rounds=...) or "
            "XGBoostStrategy(early_stopping_rounds=...)), or pass eval_set to fit."
        )
    curves = {}
    for data_name, metrics in evals.items():
        wanted = ["distillation_loss"] if "distillation_loss" in metrics else list(metrics)
        for metric in wanted:
            curves[f"{_data_label(data_name, len(evals))}: {metric}"] = np.asarray(
                metrics[metric], dtype=float
            )
    return curves, "boosting round", "loss"


def _data_label(data_name, n_sets):
    """``training``/``validation`` for the usual names of LightGBM and XGBoost."""
    if data_name in ("training", "train"):
        return "training"
    if data_name.startswith("valid") and n_sets == 1:
        return "validation"
    return f"validation ({data_name})" if data_name.startswith("valid") else data_name


def _hist_gradient_boosting(model):
    if not hasattr(model, "_predictors"):
        return None
    train = np.asarray(getattr(model, "train_score_", []), dtype=float)
    if train.size == 0:
        raise ValueError(
            f"{name_of(model)} recorded no loss: HistGradientBoosting records it only "
            "with early stopping (early_stopping=True)."
        )
    valid = np.asarray(getattr(model, "validation_score_", []), dtype=float)
    if model.scoring == "loss":  # stored as negative losses, iteration 0 first
        curves = {"training": -train[1:], "validation": -valid[1:]}
        return {k: v for k, v in curves.items() if v.size}, "iteration", "loss"
    curves = {"training": train[1:], "validation": valid[1:]}
    return (
        {k: v for k, v in curves.items() if v.size},
        "iteration",
        f"{model.scoring} score",
    )


def _gradient_boosting(model):
    if not hasattr(model, "train_score_"):
        return None
    curves = {"training (in-bag)": np.asarray(model.train_score_, dtype=float)}
    if getattr(model, "oob_scores_", None) is not None:
        curves["out-of-bag"] = np.asarray(model.oob_scores_, dtype=float)
    return curves, "iteration", "loss"


def _mlp(model):
    curve = getattr(model, "loss_curve_", None)
    return None if curve is None else ({"training": np.asarray(curve)}, "epoch", "loss")
