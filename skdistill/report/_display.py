"""Displays that compare a teacher and its students on held-out rows.

Each follows scikit-learn's Display convention: ``from_estimator`` computes the
models' outputs and defers to ``from_predictions``, which builds the Display from
the numbers and calls ``plot``; ``plot`` imports matplotlib, draws, stores ``ax_``
and ``figure_`` and returns the Display.
"""

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve
from sklearn.utils import column_or_1d

from ._metrics import (
    as_proba_matrix,
    calibration_bins,
    calibration_target,
    expected_calibration_error,
    fidelity_score,
    probability_fidelity,
)
from ._models import (
    check_same_classes,
    distiller_and_input,
    model_outputs,
    named_models,
    positive_scores,
    positive_target,
    teacher_first,
)
from ._plotting import DisplayMixin, model_styles

__all__ = ["FidelityDisplay", "ReliabilityDisplay", "TeacherStudentCurveDisplay"]


def _values_by_name(teacher, students, teacher_name):
    """``{name: values}``, the teacher's first; one unnamed student value is "student"."""
    return teacher_first(
        teacher,
        students if isinstance(students, dict) else {"student": students},
        teacher_name,
    )


def _estimator_outputs(teacher, students, X, teacher_name):
    """Outputs of the teacher and the (named) students on ``X``, same classes checked."""
    models = teacher_first(teacher, named_models(students), teacher_name)
    outputs = {name: model_outputs(model, X) for name, model in models.items()}
    classes = outputs[teacher_name].classes
    check_same_classes(classes, models)
    return outputs, classes


def _legend_below(ax):
    """A legend under the x axis label, clear of the data."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)


class TeacherStudentCurveDisplay(DisplayMixin):
    """ROC or precision-recall curves of a teacher and its students, overlaid.

    Binary problems; for a multiclass problem, pass ``pos_label`` to draw the
    one-vs-rest curves of that class. Create it with :meth:`from_estimator` or
    :meth:`from_predictions`.

    Parameters
    ----------
    curves : list of (ndarray, ndarray)
        ``(x, y)`` of each curve, the teacher's first: ``(fpr, tpr)`` for ROC,
        ``(recall, precision)`` for precision-recall.
    areas : list of float
        ROC-AUC, or average precision, of each curve.
    names : list of str
        Legend names, the teacher's first.
    kind : {"roc", "pr"}, default="roc"
        Which curves.
    pos_label : int, float, bool or str, default=None
        The positive class, shown in the axis labels.
    prevalence : float, default=None
        Share of positives: the chance level of a precision-recall curve.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The curves, the teacher's first.
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
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.report import TeacherStudentCurveDisplay
    >>> X, y = make_classification(n_samples=600, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> teacher = RandomForestClassifier(n_estimators=30, random_state=0)
    >>> teacher = teacher.fit(X_train, y_train)
    >>> student = DistilledClassifier(teacher, random_state=0).fit(X_train, y_train)
    >>> display = TeacherStudentCurveDisplay.from_estimator(
    ...     teacher, {"depth-6 tree": student}, X_test, y_test, kind="pr")
    >>> [line.get_label().split(" (")[0] for line in display.lines_]
    ['teacher', 'depth-6 tree']
    """

    def __init__(
        self, *, curves, areas, names, kind="roc", pos_label=None, prevalence=None
    ):
        self.curves = curves
        self.areas = areas
        self.names = names
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
        curve_kwargs : list of dict, default=None
            Keyword arguments of ``Axes.plot`` for each curve, the teacher's first.

        Returns
        -------
        display : TeacherStudentCurveDisplay
            This display.
        """
        ax = self._set_axes(ax)
        roc = self.kind == "roc"
        metric = "AUC" if roc else "AP"
        styles = model_styles(self.names, curve_kwargs)
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
            + ": teacher vs students",
        )
        if roc:  # ROC curves leave the lower right corner empty; PR curves fill it
            ax.legend(loc="lower right")
        else:
            _legend_below(ax)
        return self

    @classmethod
    def from_estimator(
        cls,
        teacher,
        students,
        X,
        y,
        *,
        kind="roc",
        pos_label=None,
        teacher_name="teacher",
        ax=None,
        plot_chance_level=True,
        curve_kwargs=None,
    ):
        """Curves of a fitted teacher and fitted students on the same rows.

        Parameters
        ----------
        teacher : fitted classifier
            The reference model.
        students : dict of str to fitted classifier, or list of them, or one
            The students; unnamed ones are named after their class.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their labels.
        kind : {"roc", "pr"}, default="roc"
            ROC or precision-recall curves.
        pos_label : int, float, bool or str, default=None
            The positive class; None means the second of two classes. Required
            for a multiclass problem (one-vs-rest curves of that class).
        teacher_name : str, default="teacher"
            The teacher's legend name.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_chance_level : bool, default=True
            Draw the chance level.
        curve_kwargs : list of dict, default=None
            Keyword arguments of ``Axes.plot`` for each curve, the teacher's first.

        Returns
        -------
        display : TeacherStudentCurveDisplay
            The plotted display.
        """
        outputs, classes = _estimator_outputs(teacher, students, X, teacher_name)
        if pos_label is None and len(classes) == 2:
            pos_label = classes[1]
        scores = {name: positive_scores(out, pos_label) for name, out in outputs.items()}
        return cls.from_predictions(
            y,
            scores.pop(teacher_name),
            scores,
            kind=kind,
            pos_label=pos_label,
            teacher_name=teacher_name,
            ax=ax,
            plot_chance_level=plot_chance_level,
            curve_kwargs=curve_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        teacher_score,
        student_scores,
        *,
        kind="roc",
        pos_label=None,
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
        teacher_score : array-like of shape (n_samples,)
            The teacher's probabilities or decision values for the positive class.
        student_scores : dict of str to array-like, or array-like
            The students' scores, by name (one unnamed array is ``"student"``).
        kind : {"roc", "pr"}, default="roc"
            ROC or precision-recall curves.
        pos_label : int, float, bool or str, default=None
            The positive class; None means the larger of two labels. Required for a
            multiclass ``y_true`` (then the scores are those of this class).
        teacher_name : str, default="teacher"
            The teacher's legend name.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_chance_level : bool, default=True
            Draw the chance level.
        curve_kwargs : list of dict, default=None
            Keyword arguments of ``Axes.plot`` for each curve, the teacher's first.

        Returns
        -------
        display : TeacherStudentCurveDisplay
            The plotted display.
        """
        if kind not in ("roc", "pr"):
            raise ValueError(f"kind must be 'roc' or 'pr', got {kind!r}.")
        y_true = column_or_1d(y_true)
        positive, pos_label = positive_target(y_true, np.unique(y_true), pos_label)
        scores = _values_by_name(teacher_score, student_scores, teacher_name)
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
            kind=kind,
            pos_label=pos_label,
            prevalence=float(np.mean(positive)),
        )
        return display.plot(
            ax=ax, plot_chance_level=plot_chance_level, curve_kwargs=curve_kwargs
        )


class ReliabilityDisplay(DisplayMixin):
    """Reliability diagram of a teacher and its students: frequency vs probability.

    Binary problems show the probability of the positive class against the share
    of positives; multiclass ones the probability of the predicted class
    (confidence) against the share of right predictions (top-label), unless
    ``pos_label`` asks for one class. The bins and events are those of
    :func:`expected_calibration_error`, whose value each legend entry shows.

    Parameters
    ----------
    frequencies : list of ndarray
        Observed frequency in each non-empty bin, per model (the teacher's first).
    probabilities : list of ndarray
        Mean predicted probability in the same bins.
    eces : list of float
        Expected calibration error of each model.
    names : list of str
        Legend names, the teacher's first.
    event : str, default="positive class"
        What is predicted, for the axis labels: ``"positive class: <label>"`` or
        ``"top class"``.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per model, the teacher's first.
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
    >>> display = ReliabilityDisplay.from_estimator(teacher, student, X, y, n_bins=5)
    >>> display.ax_.get_xlabel()
    'Mean confidence (probability of the predicted class)'
    """

    def __init__(self, *, frequencies, probabilities, eces, names, event="positive class"):
        self.frequencies = frequencies
        self.probabilities = probabilities
        self.eces = eces
        self.names = names
        self.event = event

    def plot(self, ax=None, *, plot_perfect=True, curve_kwargs=None):
        """Draw the diagram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_perfect : bool, default=True
            Draw the diagonal of perfect calibration.
        curve_kwargs : list of dict, default=None
            Keyword arguments of ``Axes.plot`` for each model, the teacher's first.

        Returns
        -------
        display : ReliabilityDisplay
            This display.
        """
        ax = self._set_axes(ax)
        styles = model_styles(self.names, curve_kwargs)
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
            title="Reliability diagram: teacher vs students",
        )
        ax.legend(loc="upper left")
        return self

    @classmethod
    def from_estimator(
        cls,
        teacher,
        students,
        X,
        y,
        *,
        n_bins=10,
        strategy="uniform",
        pos_label=None,
        teacher_name="teacher",
        ax=None,
        plot_perfect=True,
        curve_kwargs=None,
    ):
        """Reliability diagram of a fitted teacher and fitted students.

        Parameters
        ----------
        teacher : fitted classifier
            The reference model; it and the students need ``predict_proba``.
        students : dict of str to fitted classifier, or list of them, or one
            The students; unnamed ones are named after their class.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Their labels.
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or with equal numbers of rows.
        pos_label : int, float, bool or str, default=None
            The class whose probability is shown; None: the second of two classes,
            or the top class (confidence) for more.
        teacher_name : str, default="teacher"
            The teacher's legend name.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_perfect : bool, default=True
            Draw the diagonal of perfect calibration.
        curve_kwargs : list of dict, default=None
            Keyword arguments of ``Axes.plot`` for each model, the teacher's first.

        Returns
        -------
        display : ReliabilityDisplay
            The plotted display.
        """
        outputs, classes = _estimator_outputs(teacher, students, X, teacher_name)
        missing = [name for name, out in outputs.items() if out.proba is None]
        if missing:
            raise TypeError(
                f"A reliability diagram needs predict_proba; {missing} lack it."
            )
        probas = {name: out.proba for name, out in outputs.items()}
        return cls.from_predictions(
            y,
            probas.pop(teacher_name),
            probas,
            n_bins=n_bins,
            strategy=strategy,
            pos_label=pos_label,
            labels=classes,
            teacher_name=teacher_name,
            ax=ax,
            plot_perfect=plot_perfect,
            curve_kwargs=curve_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        teacher_proba,
        student_probas,
        *,
        n_bins=10,
        strategy="uniform",
        pos_label=None,
        labels=None,
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
        teacher_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
            The teacher's probabilities of the positive class, or of every class.
        student_probas : dict of str to array-like, or array-like
            The students' probabilities, same shape, by name (one unnamed array is
            ``"student"``).
        n_bins : int, default=10
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Bins of equal width, or with equal numbers of rows.
        pos_label : int, float, bool or str, default=None
            See :func:`expected_calibration_error`.
        labels : array-like of shape (n_classes,), default=None
            Classes of the probability columns; None: sorted labels of ``y_true``.
        teacher_name : str, default="teacher"
            The teacher's legend name.
        ax : matplotlib Axes, default=None
            Where to draw; None creates a figure.
        plot_perfect : bool, default=True
            Draw the diagonal of perfect calibration.
        curve_kwargs : list of dict, default=None
            Keyword arguments of ``Axes.plot`` for each model, the teacher's first.

        Returns
        -------
        display : ReliabilityDisplay
            The plotted display.
        """
        y_true = column_or_1d(y_true)
        probas = _values_by_name(teacher_proba, student_probas, teacher_name)
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
            event=_event(y_true, teacher_proba, pos_label, labels),
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
        student,
        X,
        *,
        teacher=None,
        pos_label=None,
        name=None,
        ax=None,
        scatter_kwargs=None,
    ):
        """Fidelity scatter of a fitted student against its teacher.

        Parameters
        ----------
        student : fitted classifier
            A fitted ``DistilledClassifier`` (or a ``Pipeline`` ending with one,
            whose teacher then sees the transformed rows), or any fitted classifier
            when ``teacher`` is given.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to compare on; labels are not needed.
        teacher : fitted classifier, default=None
            The teacher; None means the distiller's own ``teacher_``.
        pos_label : int, float, bool or str, default=None
            The compared class; None: the second of two classes, or the teacher's
            top class of each row for more.
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
        if teacher is None:
            distiller, X_teacher = distiller_and_input(student, X)
            teacher = distiller.teacher_
        else:
            X_teacher = X
        classes = np.asarray(student.classes_)
        check_same_classes(np.asarray(teacher.classes_), {name or "student": student})
        return cls.from_predictions(
            teacher.predict_proba(X_teacher),
            student.predict_proba(X),
            pos_label=pos_label,
            labels=classes,
            name=name,
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
