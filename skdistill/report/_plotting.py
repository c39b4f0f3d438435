"""What the Displays share: matplotlib imported on use, axes, and model styles."""

from .._compat import optional_import

__all__ = ["DisplayMixin", "model_styles", "pyplot"]

#: The teacher is the reference: drawn in black, thicker, on top.
_TEACHER_STYLE = {"color": "black", "linewidth": 2.5, "zorder": 3}


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


def model_styles(names, curve_kwargs=None):
    """Line styles, the first name being the teacher's; user kwargs win.

    ``curve_kwargs`` is None or a list of dicts (or None), one per name.
    """
    if curve_kwargs is None:
        curve_kwargs = [None] * len(names)
    if len(curve_kwargs) != len(names):
        raise ValueError(
            f"curve_kwargs has {len(curve_kwargs)} entries for {len(names)} curves "
            f"({names}); give one dict (or None) per curve, the teacher's first."
        )
    styles = [dict(_TEACHER_STYLE)] + [
        {"color": f"C{i % 10}", "linewidth": 1.8} for i in range(len(names) - 1)
    ]
    return [
        {**style, **(kwargs or {})}
        for style, kwargs in zip(styles, curve_kwargs, strict=True)
    ]
