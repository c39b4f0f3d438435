"""Displays that compare students with their teacher on held-out rows.

Each follows scikit-learn's Display convention: ``from_estimator`` takes the fitted
models (distillers, which know their teacher, or any classifiers), computes their
outputs and defers to ``from_predictions``, which builds the Display from the
numbers and calls ``plot``; ``plot`` imports matplotlib, draws, stores ``ax_`` and
``figure_`` and returns the Display.
"""

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve
from sklearn.utils import column_or_1d

from .._validation import name_of
from ._compare import (
    AUTO,
    check_distinct_names,
    compare_params,
    compared_models,
    distiller_in,
    named_students,
    named_values,
)
from ._metrics import (
    as_proba_matrix,
    calibration_bins,
    calibration_target,
    expected_calibration_error,
    fidelity_score,
    probability_fidelity,
)
from ._models import positive_scores, positive_target
from ._plotting import DisplayMixin, model_styles, pyplot

__all__ = ["FidelityDisplay", "ReliabilityDisplay", "TeacherStudentCurveDisplay"]


def _teachers_then_students(values, teacher_values, name, teacher_name, *, what):
    """``({name: values}, n_teachers)`` of ``from_predictions``, the teachers first."""
    students = named_values(values, name, "student", what=what)
    if teacher_values is None:
        teachers = {}
    else:
        teachers = named_values(teacher_values, None, teacher_name, what=what)
    check_distinct_names(teachers, students)
    return {**teachers, **students}, len(teachers)


def _compared(display, estimator, X, teacher, name, teacher_name):
    """``compared_models`` for ``display.from_estimator``, once matplotlib is found."""
    pyplot(f"{display.__name__}.from_estimator")
    return compared_models(
        estimator, X, teacher=teacher, name=name, teacher_name=teacher_name
    )


def _check_probabilities(compared, need):
    """Raise, saying ``need``, if a compared model has no ``predict_proba``."""
    outputs = {**compared.teachers, **compared.students}
    missing = [k for k, out in outputs.items() if out.proba is None]
    if missing:
        raise TypeError(
            f"{need}, but {missing} have no predict_proba. Wrap such a model in "
            "sklearn.calibration.CalibratedClassifierCV, or leave it out (the "
            "teacher with teacher=None, where that is allowed)."
        )


def _versus(n_teachers, n_models):
    """``": teacher vs students"`` and the like, for a title."""
    n_students = n_models - n_teachers
    if n_teachers == 0:
        return ""
    teachers = "teacher" if n_teachers == 1 else "teachers"
    return f": {teachers} vs {'student' if n_students == 1 else 'students'}"


def _legend_below(ax):
    """A legend under the x axis label, clear of the data; long labels in one column."""
    _, labels = ax.get_legend_handles_labels()
    ncol = 2 if max(map(len, labels)) <= 40 else 1
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, frameon=False)


class TeacherStudentCurveDisplay(DisplayMixin):
    """ROC or precision-recall curves of students and their teacher, overlaid.

    Binary problems; for a multiclass problem, pass ``pos_label`` to draw the
    one-vs-rest curves of that class. Create it with :meth:`from_estimator`, from
    fitted distillers (which know their teacher) and other fitted classifiers, or
    with :meth:`from_predictions`, from labels and scores.

    Parameters
    ----------
    curves : list of (ndarray, ndarray)
        ``(x, y)`` of each curve, the teachers' first: ``(fpr, tpr)`` for ROC,
        ``(recall, precision)`` for precision-recall.
    areas : list of float
        ROC-AUC, or average precision, of each curve.
    names : list of str
        Legend names, the teachers' first.
    n_teachers : int, default=1
        How many of the first curves are teachers (drawn in black); 0 for none.
    kind : {"roc", "pr"}, default="roc"
        Which curves.
    pos_label : int, float, bool or str, default=None
        The positive class, shown in the axis labels.
    prevalence : float, default=None
        Share of positives: the chance level of a precision-recall curve.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The curves, the teachers' first.
    chance_level_ : matplotlib Line2D or None
        The chance level, if drawn.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    sklearn.metrics.RocCurveDisplay : One model's ROC curve.
    distillation_report : The same models, in numbers.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import TeacherStudentCurveDisplay
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0)
    >>> teacher = teacher.fit(X_train, y_train)
    >>> student = DistilledClassifier(teacher, random_state=0).fit(X_train, y_train)
    >>> display = TeacherStudentCurveDisplay.from_estimator(student, X_test, y_test)
    >>> [line.get_label().split(" (")[0] for line in display.lines_]
    ['teacher', 'distilled DecisionTreeClassifier']

    A list (or a dict, which names them) compares several models; plain
    classifiers are drawn beside the distillers' teacher:

    >>> hard = DecisionTreeClassifier(max_depth=6, random_state=0)
    >>> hard = hard.fit(X_train, y_train)
    >>> display = TeacherStudentCurveDisplay.from_estimator(
    ...     {"distilled": student, "hard labels": hard}, X_test, y_test, kind="pr")
    >>> display.names
    ['teacher', 'distilled', 'hard labels']
    """

    def __init__(
        self,
        *,
        curves,
        areas,
        names,
        n_teachers=1,
        kind="roc",
        pos_label=None,
        prevalence=None,
    ):
        self.curves = curves
        self.areas = areas
        self.names = names
        self.n_teachers = n_teachers
        self.kind = kind
        self.pos_label = pos_label
        self.prevalence = prevalence

    def plot(self, ax=None, *, plot_chance_level=True, curve_kwargs=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_chance_level : bool, default=True
            Draw the chance level: the diagonal (ROC), or the share of positives
            (precision-recall).
        curve_kwargs : dict or list of dict, default=None
            Keyword arguments of ``Axes.plot``: one dict for every curve, or one
            dict (or None) per curve, the teachers' first.

        Returns
        -------
        display : TeacherStudentCurveDisplay
            This display.
        """
        ax = self._set_axes(ax)
        roc = self.kind == "roc"
        metric = "AUC" if roc else "AP"
        styles = model_styles(self.names, curve_kwargs, n_teachers=self.n_teachers)
        drawstyle = {} if roc else {"drawstyle": "steps-post"}
        self.lines_ = [
            ax.plot(x, y, label=f"{name} ({metric} = {area:.3f})", **drawstyle, **style)[0]
            for (x, y), area, name, style in zip(
                self.curves, self.areas, self.names, styles, strict=True
            )
        ]
        self.chance_level_ = None
        if plot_chance_level and roc:
            (self.chance_level_,) = ax.plot(
                [0, 1], [0, 1], color="gray", linestyle=":", label="chance (AUC = 0.5)"
            )
        elif plot_chance_level and self.prevalence is not None:
            self.chance_level_ = ax.axhline(
                self.prevalence,
                color="gray",
                linestyle=":",
                label=f"chance (AP = {self.prevalence:.3f})",
            )
        positive = "" if self.pos_label is None else f" (positive class: {self.pos_label})"
        ax.set(
            xlabel=("False positive rate" if roc else "Recall") + positive,
            ylabel=("True positive rate" if roc else "Precision") + positive,
            xlim=(-0.01, 1.01),
            ylim=(-0.01, 1.01),
            aspect="equal",
            title=("ROC curves" if roc else "Precision-recall curves")
            + _versus(self.n_teachers, len(self.names)),
        )
        if roc:  # ROC curves leave the lower right corner empty; PR curves fill it
            ax.legend(loc="lower right")
        else:
            _legend_below(ax)
        return self

    @classmethod
    @compare_params
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        teacher=AUTO,
        kind="roc",
        pos_label=None,
        name=None,
        teacher_name="teacher",
        ax=None,
        plot_chance_level=True,
        curve_kwargs=None,
    ):
        """Curves of fitted students, and of their teacher, on held-out rows.

        Parameters
        ----------
        <<estimator>>
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their labels.
        <<teacher>>
        kind : {"roc", "pr"}, default="roc"
            ROC or precision-recall curves.
        pos_label : int, float, bool or str, default=None
            The positive class; None means the second of two classes. Required
            for a multiclass problem (one-vs-rest curves of that class).
        <<name>>
        <<teacher_name>>
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_chance_level : bool, default=True
            Draw the chance level.
        curve_kwargs : dict or list of dict, default=None
            Keyword arguments of ``Axes.plot``: one dict for every curve, or one
            dict (or None) per curve, the teachers' first.

        Returns
        -------
        display : TeacherStudentCurveDisplay
            The plotted display.

        Raises
        ------
        NotFittedError
            If a model is not fitted.
        ValueError
            If the models predict different classes, or ``teacher="auto"`` finds
            no distiller.
        """
        compared = _compared(cls, estimator, X, teacher, name, teacher_name)
        classes = compared.classes
        if pos_label is None and len(classes) == 2:
            pos_label = classes[1]

        def scores(outputs):
            return {k: positive_scores(out, pos_label) for k, out in outputs.items()}

        return cls.from_predictions(
            y,
            scores(compared.students),
            teacher_score=scores(compared.teachers) or None,
            kind=kind,
            pos_label=pos_label,
            ax=ax,
            plot_chance_level=plot_chance_level,
            curve_kwargs=curve_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_score,
        *,
        teacher_score=None,
        kind="roc",
        pos_label=None,
        name=None,
        teacher_name="teacher",
        ax=None,
        plot_chance_level=True,
        curve_kwargs=None,
    ):
        """Curves from labels and the scores of the positive class.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_score : array-like of shape (n_samples,), or dict of str to them
            The students' probabilities or decision values for the positive class:
            one array, or a dict that names several.
        teacher_score : array-like of shape (n_samples,), or dict, default=None
            The teacher's scores (a dict for several teachers); None draws no
            teacher.
        kind : {"roc", "pr"}, default="roc"
            ROC or precision-recall curves.
        pos_label : int, float, bool or str, default=None
            The positive class; None means the larger of two labels. Required for a
            multiclass ``y_true`` (then the scores are those of this class).
        name : str, default=None
            Legend name of a single ``y_score`` array; None: ``"student"``.
        teacher_name : str, default="teacher"
            Legend name of a single ``teacher_score`` array.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_chance_level : bool, default=True
            Draw the chance level.
        curve_kwargs : dict or list of dict, default=None
            Keyword arguments of ``Axes.plot``: one dict for every curve, or one
            dict (or None) per curve, the teachers' first.

        Returns
        -------
        display : TeacherStudentCurveDisplay
            The plotted display.

        Examples
        --------
        >>> from skdistill.report import TeacherStudentCurveDisplay
        >>> y = [0, 0, 1, 1]
        >>> display = TeacherStudentCurveDisplay.from_predictions(
        ...     y, {"tree": [0.1, 0.6, 0.4, 0.9]}, teacher_score=[0.1, 0.2, 0.8, 0.9])
        >>> [round(area, 2) for area in display.areas]
        [1.0, 0.75]
        """
        pyplot(f"{cls.__name__}.from_predictions")
        if kind not in ("roc", "pr"):
            raise ValueError(f"kind must be 'roc' or 'pr', got {kind!r}.")
        y_true = column_or_1d(y_true)
        positive, pos_label = positive_target(y_true, np.unique(y_true), pos_label)
        scores, n_teachers = _teachers_then_students(
            y_score, teacher_score, name, teacher_name, what="scores"
        )
        curves, areas = [], []
        for score in scores.values():
            score = column_or_1d(score)
            if kind == "roc":
                fpr, tpr, _ = roc_curve(positive, score)
                curves.append((fpr, tpr))
                areas.append(auc(fpr, tpr))
            else:
                precision, recall, _ = precision_recall_curve(positive, score)
                curves.append((recall, precision))
                areas.append(average_precision_score(positive, score))
        display = cls(
            curves=curves,
            areas=areas,
            names=list(scores),
            n_teachers=n_teachers,
            kind=kind,
            pos_label=pos_label,
            prevalence=float(np.mean(positive)),
        )
        return display.plot(
            ax=ax, plot_chance_level=plot_chance_level, curve_kwargs=curve_kwargs
        )


class ReliabilityDisplay(DisplayMixin):
    """Reliability diagram of students and their teacher: frequency vs probability.

    Binary problems show the probability of the positive class against the share
    of positives; multiclass ones the probability of the predicted class
    (confidence) against the share of right predictions (top-label), unless
    ``pos_label`` asks for one class. The bins and events are those of
    :func:`expected_calibration_error`, whose value each legend entry shows.
    Create it with :meth:`from_estimator`, from fitted distillers (which know
    their teacher) and other fitted classifiers, or with :meth:`from_predictions`.

    Parameters
    ----------
    frequencies : list of ndarray
        Observed frequency in each non-empty bin, per model (the teachers' first).
    probabilities : list of ndarray
        Mean predicted probability in the same bins.
    eces : list of float
        Expected calibration error of each model.
    names : list of str
        Legend names, the teachers' first.
    n_teachers : int, default=1
        How many of the first models are teachers (drawn in black); 0 for none.
    event : str, default="positive class"
        What is predicted, for the axis labels: ``"positive class: <label>"`` or
        ``"top class"``.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per model, the teachers' first.
    perfect_ : matplotlib Line2D or None
        The diagonal of perfect calibration, if drawn.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    expected_calibration_error : The number summarised by this diagram.
    sklearn.calibration.CalibrationDisplay : One binary model's diagram.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import ReliabilityDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> student = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3),
    ...                               random_state=0).fit(X, y)
    >>> display = ReliabilityDisplay.from_estimator(student, X, y, n_bins=5)
    >>> display.names
    ['teacher', 'distilled DecisionTreeClassifier']
    >>> display.ax_.get_xlabel()
    'Mean confidence (probability of the predicted class)'
    """

    def __init__(
        self,
        *,
        frequencies,
        probabilities,
        eces,
        names,
        n_teachers=1,
        event="positive class",
    ):
        self.frequencies = frequencies
        self.probabilities = probabilities
        self.eces = eces
        self.names = names
        self.n_teachers = n_teachers
        self.event = event

    def plot(self, ax=None, *, plot_perfect=True, curve_kwargs=None):
        """Draw the diagram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_perfect : bool, default=True
            Draw the diagonal of perfect calibration.
        curve_kwargs : dict or list of dict, default=None
            Keyword arguments of ``Axes.plot``: one dict for every model, or one
            dict (or None) per model, the teachers' first.

        Returns
        -------
        display : ReliabilityDisplay
            This display.
        """
        ax = self._set_axes(ax)
        styles = model_styles(self.names, curve_kwargs, n_teachers=self.n_teachers)
        self.perfect_ = None
        if plot_perfect:
            (self.perfect_,) = ax.plot(
                [0, 1], [0, 1], color="gray", linestyle=":", label="perfectly calibrated"
            )
        self.lines_ = [
            ax.plot(
                x, y, marker="o", markersize=4, label=f"{name} (ECE = {ece:.3f})", **style
            )[0]
            for x, y, ece, name, style in zip(
                self.probabilities,
                self.frequencies,
                self.eces,
                self.names,
                styles,
                strict=True,
            )
        ]
        if self.event == "top class":
            xlabel = "Mean confidence (probability of the predicted class)"
            ylabel = "Accuracy (share of right predictions)"
        else:
            xlabel = f"Mean predicted probability ({self.event})"
            ylabel = f"Share of positives ({self.event})"
        ax.set(
            xlabel=xlabel,
            ylabel=ylabel,
            xlim=(-0.01, 1.01),
            ylim=(-0.01, 1.01),
            aspect="equal",
            title="Reliability diagram" + _versus(self.n_teachers, len(self.names)),
        )
        _legend_below(ax)
        return self

    @classmethod
    @compare_params
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        teacher=AUTO,
        n_bins=10,
        strategy="uniform",
        pos_label=None,
        name=None,
        teacher_name="teacher",
        ax=None,
        plot_perfect=True,
        curve_kwargs=None,
    ):
        """Reliability diagram of fitted students, and of their teacher.

        Parameters
        ----------
        <<estimator>>
            Every model needs ``predict_proba``.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their labels.
        <<teacher>>
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or with equal numbers of rows.
        pos_label : int, float, bool or str, default=None
            The class whose probability is shown; None: the second of two classes,
            or the top class (confidence) for more.
        <<name>>
        <<teacher_name>>
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_perfect : bool, default=True
            Draw the diagonal of perfect calibration.
        curve_kwargs : dict or list of dict, default=None
            Keyword arguments of ``Axes.plot``: one dict for every model, or one
            dict (or None) per model, the teachers' first.

        Returns
        -------
        display : ReliabilityDisplay
            The plotted display.

        Raises
        ------
        NotFittedError
            If a model is not fitted.
        TypeError
            If a model has no ``predict_proba``.
        ValueError
            If the models predict different classes, or ``teacher="auto"`` finds
            no distiller.
        """
        compared = _compared(cls, estimator, X, teacher, name, teacher_name)
        _check_probabilities(compared, "A reliability diagram needs probabilities")

        def probas(outputs):
            return {k: out.proba for k, out in outputs.items()}

        return cls.from_predictions(
            y,
            probas(compared.students),
            teacher_prob=probas(compared.teachers) or None,
            n_bins=n_bins,
            strategy=strategy,
            pos_label=pos_label,
            labels=compared.classes,
            ax=ax,
            plot_perfect=plot_perfect,
            curve_kwargs=curve_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_prob,
        *,
        teacher_prob=None,
        n_bins=10,
        strategy="uniform",
        pos_label=None,
        labels=None,
        name=None,
        teacher_name="teacher",
        ax=None,
        plot_perfect=True,
        curve_kwargs=None,
    ):
        """Reliability diagram from labels and probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_prob : array-like of shape (n_samples,) or (n_samples, n_classes), or dict
            The students' probabilities of the positive class, or of every class:
            one array, or a dict that names several.
        teacher_prob : array-like of the same shape, or dict, default=None
            The teacher's probabilities (a dict for several teachers); None draws
            no teacher.
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or with equal numbers of rows.
        pos_label : int, float, bool or str, default=None
            See :func:`expected_calibration_error`.
        labels : array-like of shape (n_classes,), default=None
            Classes of the probability columns; None: sorted labels of ``y_true``.
        name : str, default=None
            Legend name of a single ``y_prob`` array; None: ``"student"``.
        teacher_name : str, default="teacher"
            Legend name of a single ``teacher_prob`` array.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_perfect : bool, default=True
            Draw the diagonal of perfect calibration.
        curve_kwargs : dict or list of dict, default=None
            Keyword arguments of ``Axes.plot``: one dict for every model, or one
            dict (or None) per model, the teachers' first.

        Returns
        -------
        display : ReliabilityDisplay
            The plotted display.

        Examples
        --------
        >>> from skdistill.report import ReliabilityDisplay
        >>> y = [0, 0, 1, 1]
        >>> display = ReliabilityDisplay.from_predictions(
        ...     y, [0.2, 0.3, 0.7, 0.9], teacher_prob=[0.1, 0.2, 0.8, 0.9], n_bins=2)
        >>> display.names
        ['teacher', 'student']
        """
        pyplot(f"{cls.__name__}.from_predictions")
        y_true = column_or_1d(y_true)
        probas, n_teachers = _teachers_then_students(
            y_prob, teacher_prob, name, teacher_name, what="probabilities"
        )
        options = {"pos_label": pos_label, "labels": labels}
        frequencies, probabilities, eces = [], [], []
        for proba in probas.values():
            outcome, probability = calibration_target(y_true, proba, **options)
            frequency, mean_probability, _ = calibration_bins(
                outcome, probability, n_bins=n_bins, strategy=strategy
            )
            frequencies.append(frequency)
            probabilities.append(mean_probability)
            eces.append(
                expected_calibration_error(
                    y_true, proba, n_bins=n_bins, strategy=strategy, **options
                )
            )
        display = cls(
            frequencies=frequencies,
            probabilities=probabilities,
            eces=eces,
            names=list(probas),
            n_teachers=n_teachers,
            event=_event(y_true, next(iter(probas.values())), pos_label, labels),
        )
        return display.plot(ax=ax, plot_perfect=plot_perfect, curve_kwargs=curve_kwargs)


def _event(y_true, proba, pos_label, labels):
    """What a reliability diagram of these probabilities is about, in words."""
    proba = np.asarray(proba)
    if proba.ndim == 2 and proba.shape[1] > 2 and pos_label is None:
        return "top class"
    if pos_label is None:
        labels = np.unique(y_true) if labels is None else np.asarray(labels)
        pos_label = labels[-1] if proba.ndim == 2 else 1
    return f"positive class: {pos_label}"


#: ``FidelityDisplay.target`` of multiclass problems: each row's teacher's top class.
_TOP_CLASS = "teacher's top class"


class FidelityDisplay(DisplayMixin):
    """Scatter of a student's probabilities against its teacher's.

    Each point is a row: the teacher's probability of the positive class (binary)
    or of its own top class (multiclass) on the x axis, the student's probability
    of the same class on the y axis. Points on the diagonal are perfect copies;
    crosses mark rows where the predicted labels differ.

    Parameters
    ----------
    teacher_prob : ndarray of shape (n_samples,)
        The teacher's probability of the compared class, per row.
    student_prob : ndarray of shape (n_samples,)
        The student's probability of the same class.
    agree : ndarray of bool of shape (n_samples,)
        Whether the predicted labels agree.
    agreement : float
        Share of rows where they agree (:func:`fidelity_score`).
    mad : float
        Mean absolute difference of the probabilities (:func:`probability_fidelity`).
    name : str, default="student"
        The student's name, for the title.
    target : str, default="class 1"
        The compared class, for the axis labels: ``"class <label>"``, or
        ``"teacher's top class"`` (each row's most probable class for the teacher).

    Attributes
    ----------
    scatter_ : list of matplotlib PathCollection
        The rows where labels agree, then those where they differ.
    diagonal_ : matplotlib Line2D
        The diagonal ``student = teacher``.
    text_ : matplotlib Text
        The title, with the agreement and the mean absolute difference.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    fidelity_score : The agreement of labels.
    probability_fidelity : The agreement of probabilities.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import FidelityDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    >>> student = DistilledClassifier(teacher, random_state=0).fit(X, y)
    >>> display = FidelityDisplay.from_estimator(student, X)
    >>> bool(display.agreement > 0.9)
    True
    """

    def __init__(
        self,
        *,
        teacher_prob,
        student_prob,
        agree,
        agreement,
        mad,
        name="student",
        target="class 1",
    ):
        self.teacher_prob = teacher_prob
        self.student_prob = student_prob
        self.agree = agree
        self.agreement = agreement
        self.mad = mad
        self.name = name
        self.target = target

    def plot(self, ax=None, *, scatter_kwargs=None):
        """Draw the scatter.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        scatter_kwargs : dict, default=None
            Keyword arguments of ``Axes.scatter`` for both groups of points.

        Returns
        -------
        display : FidelityDisplay
            This display.
        """
        ax = self._set_axes(ax)
        kwargs = {"rasterized": True, **(scatter_kwargs or {})}
        agree = np.asarray(self.agree, dtype=bool)
        groups = (
            (agree, {"color": "C0", "marker": "o", "s": 10, "alpha": 0.35}, "same label"),
            (
                ~agree,
                {"color": "C3", "marker": "x", "s": 22, "alpha": 0.9},
                "different label",
            ),
        )
        self.scatter_ = [
            ax.scatter(
                self.teacher_prob[mask],
                self.student_prob[mask],
                label=f"{label} ({mask.sum():,} rows)",
                **{**style, **kwargs},
            )
            for mask, style, label in groups
        ]
        (self.diagonal_,) = ax.plot([0, 1], [0, 1], color="gray", linestyle=":", zorder=0)
        if self.target == _TOP_CLASS:
            xlabel = "Teacher: probability of its top class"
            ylabel = "Student: probability of the teacher's top class"
        else:
            xlabel, ylabel = f"Teacher: P({self.target})", f"Student: P({self.target})"
        ax.set(xlabel=xlabel, ylabel=ylabel, xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
        ax.set_aspect("equal")
        self.text_ = ax.set_title(
            f"Fidelity of {self.name} to its teacher\nlabel agreement "
            f"{self.agreement:.1%}, mean |Δp| {self.mad:.3f}"
        )
        _legend_below(ax)
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        teacher=AUTO,
        pos_label=None,
        name=None,
        ax=None,
        scatter_kwargs=None,
    ):
        """Fidelity scatter of a fitted student against its teacher.

        Parameters
        ----------
        estimator : fitted classifier
            The student: a fitted :class:`~skdistill.DistilledClassifier` (alone,
            as the ``best_estimator_`` of a fitted search, in a
            ``FrozenEstimator`` or as the last step of a ``Pipeline``, whose
            teacher then sees the transformed rows), or any fitted classifier
            with ``predict_proba`` when ``teacher`` is given. One student per
            scatter: draw several on several axes.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to compare on; labels are not needed.
        teacher : "auto" or fitted classifier, default="auto"
            ``"auto"``: the distiller's own ``teacher_``; a fitted classifier
            with ``predict_proba``: that teacher, fed ``X`` as given.
        pos_label : int, float, bool or str, default=None
            The compared class; None: the second of two classes, or the teacher's
            top class of each row for more.
        name : str, default=None
            The student's name, for the title; None: ``"distilled <student
            class>"`` for a distiller, else the class name.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        scatter_kwargs : dict, default=None
            Keyword arguments of ``Axes.scatter``.

        Returns
        -------
        display : FidelityDisplay
            The plotted display.

        Raises
        ------
        NotFittedError
            If the student or the teacher is not fitted.
        TypeError
            If the student is a list, has no teacher to compare with, or a model
            has no ``predict_proba``.
        ValueError
            If ``teacher`` is None, or the two models predict different classes.
        """
        pyplot(f"{cls.__name__}.from_estimator")
        if isinstance(estimator, list | tuple | dict):
            raise TypeError(
                "A fidelity scatter shows one student; got a "
                f"{type(estimator).__name__} of {len(estimator)}. Draw each on its "
                "own axes (from_estimator(model, X, ax=ax) per model)."
            )
        if teacher is None:
            raise ValueError(
                "A fidelity scatter compares a student with a teacher; teacher=None "
                "leaves nothing to compare with. Pass teacher='auto' (the distiller's "
                "own teacher_) or a fitted classifier."
            )
        named_students(estimator, name)  # fitted classifiers, or an error saying so
        if isinstance(teacher, str) and teacher == AUTO and not _knows_teacher(estimator):
            raise TypeError(
                f"{name_of(estimator)} knows no teacher: it is not a fitted distiller, "
                "or one fitted on precomputed logits. Pass a fitted "
                "DistilledClassifier (or a search or Pipeline holding one), or the "
                "teacher to compare with: teacher=<fitted classifier>."
            )
        compared = compared_models(estimator, X, teacher=teacher, name=name)
        _check_probabilities(compared, "A fidelity scatter compares probabilities")
        ((student_name, student),) = compared.students.items()
        ((_, teacher_out),) = compared.teachers.items()
        return cls.from_predictions(
            teacher_out.proba,
            student.proba,
            pos_label=pos_label,
            labels=compared.classes,
            name=student_name,
            ax=ax,
            scatter_kwargs=scatter_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        teacher_proba,
        student_proba,
        *,
        pos_label=None,
        labels=None,
        name=None,
        ax=None,
        scatter_kwargs=None,
    ):
        """Fidelity scatter from the two models' probabilities.

        Parameters
        ----------
        teacher_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
            The teacher's probabilities of the positive class, or of every class.
        student_proba : array-like of the same shape
            The student's, same class order.
        pos_label : int, float, bool or str, default=None
            The compared class (a value of ``labels``); None: the second of two
            classes, or the teacher's top class of each row for more.
        labels : array-like of shape (n_classes,), default=None
            The classes of the columns; None: ``0, 1, ...``.
        name : str, default=None
            The student's name; None: ``"student"``.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        scatter_kwargs : dict, default=None
            Keyword arguments of ``Axes.scatter``.

        Returns
        -------
        display : FidelityDisplay
            The plotted display.
        """
        pyplot(f"{cls.__name__}.from_predictions")
        teacher = as_proba_matrix(teacher_proba)
        student = as_proba_matrix(student_proba)
        mad = probability_fidelity(teacher, student).mad
        labels = np.arange(teacher.shape[1]) if labels is None else np.asarray(labels)
        teacher_top, student_top = np.argmax(teacher, axis=1), np.argmax(student, axis=1)
        if teacher.shape[1] > 2 and pos_label is None:
            column, target = teacher_top, _TOP_CLASS
        else:
            positive = labels[-1] if pos_label is None else pos_label
            index = np.flatnonzero(labels == positive)
            if len(index) == 0:
                raise ValueError(f"pos_label={positive!r} is not one of {labels.tolist()}.")
            column, target = np.full(len(teacher), index[0]), f"class {positive}"
        rows = np.arange(len(teacher))
        display = cls(
            teacher_prob=teacher[rows, column],
            student_prob=student[rows, column],
            agree=teacher_top == student_top,
            agreement=fidelity_score(teacher_top, student_top),
            mad=mad,
            name=name or "student",
            target=target,
        )
        return display.plot(ax=ax, scatter_kwargs=scatter_kwargs)


def _knows_teacher(estimator):
    """Whether ``estimator`` is (or holds) a fitted distiller with a ``teacher_``."""
    distiller, _ = distiller_in(estimator)
    return distiller is not None and distiller.teacher_ is not None
