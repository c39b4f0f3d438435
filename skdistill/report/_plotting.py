"""What the Displays share: matplotlib imported on use, axes, and model styles."""

from .._compat import optional_import

__all__ = ["DisplayMixin", "model_styles", "pyplot"]

#: The teacher is the reference: drawn in black, thicker, on top.
_TEACHER_STYLE = {"color": "black", "linewidth": 2.5, "zorder": 3}
#: Several teachers (students distilled from different ones) differ by line style.
_TEACHER_LINESTYLES = ("-", "--", "-.", ":")


def pyplot(purpose):
    """``matplotlib.pyplot``, or an ImportError naming the ``plot`` extra."""
    return optional_import("matplotlib.pyplot", purpose=purpose)


class DisplayMixin:
    """Creates the axes of ``plot`` (when not given) and stores ``ax_``/``figure_``."""

    def _set_axes(self, ax):
        if ax is None:
            # constrained layout keeps legends placed below the axes inside the figure
            _, ax = pyplot(f"{type(self).__name__}.plot").subplots(layout="constrained")
        self.ax_, self.figure_ = ax, ax.figure
        return ax


def model_styles(names, curve_kwargs=None, *, n_teachers=1):
    """Line styles of the models ``names``, the first ``n_teachers`` being teachers.

    Teachers are black and thick (solid, then dashed, dash-dotted, dotted), students
    take the colour cycle. ``curve_kwargs`` (user kwargs, which win) is None, one
    dict for every curve, or a list of dicts (or None), one per name.
    """
    if curve_kwargs is None or isinstance(curve_kwargs, dict):
        curve_kwargs = [curve_kwargs] * len(names)
    if len(curve_kwargs) != len(names):
        raise ValueError(
            f"curve_kwargs has {len(curve_kwargs)} entries for {len(names)} curves "
            f"({names}); give one dict (or None) per curve, teachers first, or one "
            "dict for all of them."
        )
    teachers = [
        {**_TEACHER_STYLE, "linestyle": _TEACHER_LINESTYLES[i % 4]}
        for i in range(n_teachers)
    ]
    students = [
        {"color": f"C{i % 10}", "linewidth": 1.8} for i in range(len(names) - n_teachers)
    ]
    return [
        {**style, **(kwargs or {})}
        for style, kwargs in zip(teachers + students, curve_kwargs, strict=True)
    ]
