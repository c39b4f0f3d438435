"""DistillationSearchDisplay: cross-validated score over temperature and alpha."""

import numpy as np
from sklearn.exceptions import NotFittedError

from .._validation import name_of
from ._models import distiller_prefix
from ._plotting import DisplayMixin, pyplot

__all__ = ["DistillationSearchDisplay"]

_ALPHA_LABEL = "alpha (weight of the teacher's soft targets)"


class DistillationSearchDisplay(DisplayMixin):
    """Mean cross-validated score of a search over ``temperature`` and ``alpha``.

    A heatmap when both vary, lines otherwise (or on request). ``alpha=0`` trains
    the student on the labels alone: its row (or line) is the hard-label baseline
    that distillation has to beat. The best candidate is outlined (heatmap) or
    starred (lines). Create it with :meth:`from_estimator`, from a fitted search,
    or :meth:`from_cv_results`, from its ``cv_results_``.

    Parameters
    ----------
    temperatures : ndarray of shape (n_temperatures,)
        Temperatures, increasing (NaN for a search without temperature).
    alphas : ndarray of shape (n_alphas,)
        Alphas, increasing.
    scores : ndarray of shape (n_alphas, n_temperatures)
        Mean test score of each pair; NaN where no candidate was evaluated.
    scores_std : ndarray of shape (n_alphas, n_temperatures), default=None
        Standard deviation over the folds.
    best : tuple of int, default=None
        ``(alpha index, temperature index)`` of the best candidate.
    score_name : str, default="score"
        Name of the score, for the labels.

    Attributes
    ----------
    image_ : matplotlib AxesImage or None
        The heatmap.
    colorbar_ : matplotlib Colorbar or None
        Its colour bar.
    lines_ : list of matplotlib Line2D
        The lines (empty for a heatmap).
    baseline_ : matplotlib Artist or None
        The ``alpha=0`` line, if the search has one (lines only).
    best_marker_ : matplotlib Artist or None
        The outline (heatmap) or star (lines) on the best candidate.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : The search.
    make_fidelity_scorer : Select on fidelity to the teacher.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import DistillationSearchDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    >>> grid = {"temperature": [1.0, 3.0], "alpha": [0.0, 0.5, 1.0]}
    >>> search = GridSearchCV(DistilledClassifier(teacher, random_state=0), grid,
    ...                       cv=3).fit(X, y)
    >>> display = DistillationSearchDisplay.from_estimator(search)
    >>> display.scores.shape
    (3, 2)
    >>> display = DistillationSearchDisplay.from_cv_results(search.cv_results_)
    >>> display.ax_.get_xlabel()
    'temperature'
    """

    def __init__(
        self,
        *,
        temperatures,
        alphas,
        scores,
        scores_std=None,
        best=None,
        score_name="score",
    ):
        self.temperatures = temperatures
        self.alphas = alphas
        self.scores = scores
        self.scores_std = scores_std
        self.best = best
        self.score_name = score_name

    def plot(self, ax=None, *, kind="auto", cmap="viridis", annotate=True):
        """Draw the heatmap or the lines.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        kind : {"auto", "heatmap", "lines"}, default="auto"
            ``"auto"``: a heatmap when both temperature and alpha take several
            values, lines otherwise. Lines over two parameters put temperature on
            the x axis, one line per alpha.
        cmap : str or matplotlib Colormap, default="viridis"
            Colours of the heatmap.
        annotate : bool, default=True
            Write each score in its heatmap cell.

        Returns
        -------
        display : DistillationSearchDisplay
            This display.
        """
        if kind not in ("auto", "heatmap", "lines"):
            raise ValueError(f"kind must be 'auto', 'heatmap' or 'lines', got {kind!r}.")
        ax = self._set_axes(ax)
        both = len(self.temperatures) > 1 and len(self.alphas) > 1
        self.image_ = self.colorbar_ = self.baseline_ = self.best_marker_ = None
        self.lines_ = []
        if kind == "heatmap" or (kind == "auto" and both):
            self._heatmap(ax, cmap, annotate)
        else:
            self._lines(ax)
        ax.set_title(self._title())
        return self

    def _title(self):
        title = f"Distillation search: mean CV {self.score_name}"
        if self.best is None:
            return title
        i, j = self.best
        temperature = self.temperatures[j]
        at = f"temperature={temperature:g}, " if np.isfinite(temperature) else ""
        return f"{title}\nbest: {at}alpha={self.alphas[i]:g} ({self.scores[i, j]:.4f})"

    def _heatmap(self, ax, cmap, annotate):
        from matplotlib.patches import Rectangle

        scores = np.ma.masked_invalid(self.scores)
        self.image_ = ax.imshow(scores, origin="lower", aspect="auto", cmap=cmap)
        self.colorbar_ = self.figure_.colorbar(
            self.image_, ax=ax, label=f"mean CV {self.score_name}"
        )
        ax.set_xticks(range(len(self.temperatures)), [f"{t:g}" for t in self.temperatures])
        ax.set_yticks(range(len(self.alphas)), [_alpha_tick(a) for a in self.alphas])
        ax.set(xlabel="temperature", ylabel=_ALPHA_LABEL)
        if annotate:
            for (i, j), score in np.ndenumerate(self.scores):
                if np.isfinite(score):
                    ax.text(
                        j,
                        i,
                        f"{score:.3f}",
                        ha="center",
                        va="center",
                        color=self._ink(score),
                        fontsize=9,
                    )
        if self.alphas[0] == 0 and len(self.alphas) > 1:
            ax.axhline(0.5, color="white", linewidth=3)  # hard labels | distilled
        if self.best is not None:
            i, j = self.best
            self.best_marker_ = ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5),
                    1,
                    1,
                    fill=False,
                    edgecolor="red",
                    linewidth=3,
                    label="best",
                    zorder=4,
                )
            )

    def _ink(self, score):
        """Black or white text, whichever reads better on the cell's colour."""
        red, green, blue, _ = self.image_.cmap(self.image_.norm(score))
        return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"

    def _lines(self, ax):
        over_temperature = len(self.temperatures) > 1
        x = self.temperatures if over_temperature else self.alphas
        series = (
            [
                (a, self.scores[i], _std_row(self.scores_std, i))
                for i, a in enumerate(self.alphas)
            ]
            if over_temperature
            else [(None, self.scores[:, 0], _std_column(self.scores_std, 0))]
        )
        log = over_temperature and x.min() > 0 and x.max() / x.min() >= 10
        for k, (alpha, y, std) in enumerate(series):
            hard = alpha == 0
            style = {"color": "gray", "linestyle": "--"} if hard else {"color": f"C{k}"}
            label = _line_label(alpha, self.temperatures)
            (line,) = ax.plot(x, y, marker="o", label=label, **style)
            if std is not None:  # fold spread, nudged sideways so that bars stay apart
                x_bars = _dodge(x, k - (len(series) - 1) / 2, log=log)
                ax.errorbar(
                    x_bars, y, yerr=std, fmt="none", ecolor=style["color"], capsize=3
                )
            self.lines_.append(line)
            self.baseline_ = line if hard else self.baseline_
        if not over_temperature and self.alphas[0] == 0:
            self.baseline_ = ax.axhline(
                self.scores[0, 0],
                color="gray",
                linestyle="--",
                label="hard labels (alpha=0)",
            )
        if self.best is not None:
            i, j = self.best
            (self.best_marker_,) = ax.plot(
                x[j if over_temperature else i],
                self.scores[i, j],
                marker="*",
                markersize=16,
                color="red",
                linestyle="none",
                label="best",
                zorder=5,
            )
        if log:
            ax.set_xscale("log")
            ax.set_xticks(x, [f"{t:g}" for t in x])
            ax.minorticks_off()
        ax.set(
            xlabel="temperature" if over_temperature else _ALPHA_LABEL,
            ylabel=f"mean CV {self.score_name}",
        )
        ax.legend(loc="best")

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        metric=None,
        temperature_param=None,
        alpha_param=None,
        ax=None,
        kind="auto",
        cmap="viridis",
        annotate=True,
    ):
        """Plot a fitted search over the temperature and alpha of a distiller.

        Other searched parameters (``student__max_depth``, say) are held at the
        best candidate's values: the plot is the slice of the search through its
        best candidate.

        Parameters
        ----------
        estimator : fitted GridSearchCV or RandomizedSearchCV
            A search whose estimator is a ``DistilledClassifier``, or a
            ``Pipeline`` with one (its parameters are then named
            ``<step>__temperature`` and ``<step>__alpha``).
        metric : str, default=None
            The scorer to plot, for searches with several; None: the one used to
            refit, or ``"score"``.
        temperature_param, alpha_param : str, default=None
            Parameter names, for estimators other than skdistill's distillers;
            None finds the distiller's. A parameter not searched takes the
            estimator's value.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        kind : {"auto", "heatmap", "lines"}, default="auto"
            See :meth:`plot`.
        cmap : str or matplotlib Colormap, default="viridis"
            Colours of the heatmap.
        annotate : bool, default=True
            Write each score in its heatmap cell.

        Returns
        -------
        display : DistillationSearchDisplay
            The plotted display.

        Raises
        ------
        NotFittedError
            If the search is not fitted.
        TypeError
            If the search's estimator holds no distiller and the parameter names
            are not given.
        """
        pyplot(f"{cls.__name__}.from_estimator")
        if not hasattr(estimator, "cv_results_"):
            if hasattr(estimator, "param_grid") or hasattr(
                estimator, "param_distributions"
            ):
                raise NotFittedError(
                    f"The search {name_of(estimator)} is not fitted. Call "
                    "fit(X_train, y_train) on it before plotting."
                )
            raise TypeError(
                f"DistillationSearchDisplay plots a fitted search (GridSearchCV or "
                f"RandomizedSearchCV), got {name_of(estimator)}; search over the "
                "distiller's temperature and alpha, fit the search, and pass it."
            )
        metric, score_name = _metric(estimator, metric)
        names = _param_names(estimator.estimator, temperature_param, alpha_param)
        params = estimator.estimator.get_params()
        return cls.from_cv_results(
            estimator.cv_results_,
            metric=metric,
            temperature_param=names[0],
            alpha_param=names[1],
            defaults={name: params.get(name, np.nan) for name in names},
            score_name=score_name,
            ax=ax,
            kind=kind,
            cmap=cmap,
            annotate=annotate,
        )

    @classmethod
    def from_cv_results(
        cls,
        cv_results,
        *,
        metric="score",
        temperature_param="temperature",
        alpha_param="alpha",
        defaults=None,
        score_name=None,
        ax=None,
        kind="auto",
        cmap="viridis",
        annotate=True,
    ):
        """Plot the ``cv_results_`` of a search over temperature and alpha.

        The lower level of :meth:`from_estimator`, from the results alone. Other
        searched parameters are held at the best candidate's values.

        Parameters
        ----------
        cv_results : dict of str to ndarray
            The ``cv_results_`` of a fitted ``GridSearchCV`` or
            ``RandomizedSearchCV``.
        metric : str, default="score"
            The scorer to plot: its ``mean_test_<metric>`` and
            ``rank_test_<metric>`` are read.
        temperature_param : str, default="temperature"
            The temperature's parameter name (``"<step>__temperature"`` for a
            distiller in a ``Pipeline``).
        alpha_param : str, default="alpha"
            The alpha's parameter name.
        defaults : dict of str to float, default=None
            Values of these parameters for candidates that do not set them (not
            searched, or not in one of several grids); None: NaN, shown without
            a value.
        score_name : str, default=None
            The score's name, for the labels; None: ``metric``.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        kind : {"auto", "heatmap", "lines"}, default="auto"
            See :meth:`plot`.
        cmap : str or matplotlib Colormap, default="viridis"
            Colours of the heatmap.
        annotate : bool, default=True
            Write each score in its heatmap cell.

        Returns
        -------
        display : DistillationSearchDisplay
            The plotted display.
        """
        pyplot(f"{cls.__name__}.from_cv_results")
        results = cv_results
        if f"mean_test_{metric}" not in results:
            found = sorted(
                k[len("mean_test_") :] for k in results if k.startswith("mean_test_")
            )
            raise ValueError(
                f"The search has no scorer {metric!r}; pass metric= one of {found}."
            )
        names = [temperature_param, alpha_param]
        if not any(f"param_{name}" in results for name in names):
            searched = sorted(k[len("param_") :] for k in results if k.startswith("param_"))
            raise ValueError(
                f"The search varied neither {temperature_param!r} nor {alpha_param!r} "
                f"(it searched {searched}). Pass temperature_param= and alpha_param= "
                "naming them (e.g. 'distilledclassifier__alpha' in a Pipeline)."
            )
        defaults = defaults or {}
        values = [
            _param_values(results, name, defaults.get(name, np.nan)) for name in names
        ]
        best = int(np.argmin(results[f"rank_test_{metric}"]))
        rows = _slice_through(results, best, exclude=[f"param_{name}" for name in names])
        temperatures, alphas = (np.unique(v[rows].astype(float)) for v in values)
        shape = (len(alphas), len(temperatures))
        scores, scores_std = np.full(shape, np.nan), np.full(shape, np.nan)
        std = results.get(f"std_test_{metric}")
        for row in rows:
            cell = (_index(alphas, values[1][row]), _index(temperatures, values[0][row]))
            scores[cell] = results[f"mean_test_{metric}"][row]
            scores_std[cell] = np.nan if std is None else std[row]
        display = cls(
            temperatures=temperatures,
            alphas=alphas,
            scores=scores,
            scores_std=scores_std,
            best=(_index(alphas, values[1][best]), _index(temperatures, values[0][best])),
            score_name=metric if score_name is None else score_name,
        )
        return display.plot(ax=ax, kind=kind, cmap=cmap, annotate=annotate)


def _dodge(x, step, *, log):
    """``x`` moved by ``step`` small steps: 1.5% of the axis, in log space if ``log``."""
    if log:
        return x * 10 ** (0.015 * step * np.log10(x.max() / x.min()))
    return x + 0.015 * step * (x.max() - x.min())


def _alpha_tick(alpha):
    return "0 (hard labels)" if alpha == 0 else f"{alpha:g}"


def _line_label(alpha, temperatures):
    if alpha is None:  # one line over alpha
        t = temperatures[0]
        return f"temperature = {t:g}" if np.isfinite(t) else "mean CV score"
    return "alpha = 0 (hard labels)" if alpha == 0 else f"alpha = {alpha:g}"


def _std_row(std, i):
    return None if std is None or np.all(np.isnan(std[i])) else std[i]


def _std_column(std, j):
    return None if std is None or np.all(np.isnan(std[:, j])) else std[:, j]


def _index(sorted_values, value):
    value = float(value)
    if np.isnan(value):
        return int(np.flatnonzero(np.isnan(sorted_values))[0])
    return int(np.searchsorted(sorted_values, value))


def _metric(search, metric):
    """The scorer to plot (the refit one by default) and its name for the labels."""
    if metric is None:
        refit = getattr(search, "refit", True)
        metric = refit if isinstance(refit, str) else "score"
    scoring = getattr(search, "scoring", None)
    return metric, scoring if metric == "score" and isinstance(scoring, str) else metric


def _param_names(estimator, temperature_param, alpha_param):
    """Names of the temperature and alpha parameters of the searched estimator."""
    if temperature_param is not None and alpha_param is not None:
        return [temperature_param, alpha_param]
    prefix = distiller_prefix(estimator)
    if prefix is None:
        raise TypeError(
            f"The search's estimator {name_of(estimator)} has no DistilledClassifier; "
            "pass temperature_param=... and alpha_param=... naming the parameters."
        )
    return [temperature_param or f"{prefix}temperature", alpha_param or f"{prefix}alpha"]


def _param_values(results, name, default):
    """Value of parameter ``name`` for each candidate (``default`` where unset)."""
    column = results.get(f"param_{name}")
    if column is None:
        return np.full(len(results["params"]), default, dtype=object)
    values = np.asarray(np.ma.getdata(column), dtype=object).copy()
    values[np.ma.getmaskarray(column)] = default
    return values


def _slice_through(results, best, *, exclude):
    """Candidates whose other searched parameters equal the best candidate's."""
    keys = [k for k in results if k.startswith("param_") and k not in exclude]
    n_candidates = len(results["params"])
    keep = np.ones(n_candidates, dtype=bool)
    for key in keys:
        data, mask = np.ma.getdata(results[key]), np.ma.getmaskarray(results[key])
        keep &= [
            mask[i] == mask[best] and (mask[i] or _same(data[i], data[best]))
            for i in range(n_candidates)
        ]
    return np.flatnonzero(keep)


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays, objects without a truth value
        return a is b
