"""What a fitted strategy's student outputs: the description the exporters read.

A strategy fitted by a distiller returns an :class:`OutputSpec` from
:meth:`~skdistill.strategies.BaseStrategy.output_spec`: which output of the student
to read (a classifier's probabilities or raw margins, a regressor's predictions, a
torch module's output), where each of its columns goes among the teacher's classes,
and the map ``softmax(scale * g + bias)`` back to temperature 1. ``to_onnx`` and
``compile_student`` build their graphs and heads from it alone, so a strategy
registered by a user exports through the same code as the built-in ones.
"""

import math
from dataclasses import dataclass

import numpy as np

from .._targets import PROBA_FLOOR, binary_logits, log_clip, smooth_log_proba, softmax

__all__ = ["OutputSpec"]

#: Every ``kind`` of :class:`OutputSpec` (what each means: its docstring).
_KINDS = (
    "proba",
    "label",
    "margin",
    "regress-logit",
    "regress-proba",
    "module-logit",
    "module-proba",
)

#: Kinds whose values are logits (the others are probabilities, or labels).
_LOGIT_KINDS = ("margin", "regress-logit", "module-logit")

#: Kinds that give one column for two classes (the second class's log-odds or
#: probability).
_ONE_COLUMN_BINARY = ("margin", "regress-logit", "regress-proba")


@dataclass(frozen=True)
class OutputSpec:
    """What a fitted student outputs, and how the distiller turns it into probabilities.

    Returned by :meth:`BaseStrategy.output_spec
    <skdistill.strategies.BaseStrategy.output_spec>` of a fitted strategy;
    :func:`~skdistill.export.to_onnx` and :func:`~skdistill.export.compile_student`
    read nothing else about the strategy. The distiller's probabilities are
    computed from the student's outputs ``v`` as follows (:meth:`to_proba` does it
    in numpy):

    1. for the kinds with one column for two classes, ``v`` becomes two columns:
       ``[-v / 2, v / 2]`` (log-odds) or ``[1 - v, v]`` (probability);
    2. column ``j`` goes to class ``columns[j]`` of the teacher (zeros for the
       classes the student never saw);
    3. ``g`` is those values (logit kinds) or their log, clipped to
       ``[proba_floor, 1]`` first (probability kinds);
    4. the probabilities are ``softmax(scale * log((1 - e) * softmax(g) + e / K) +
       bias)``, with ``e = smoothing`` and ``K`` classes (``softmax(scale * g +
       bias)`` when ``e = 0``). For ``kind="proba"`` and the identity map
       (``scale=1``, zero ``bias``, no smoothing), the placed probabilities are
       used as they are.

    Parameters
    ----------
    kind : {"proba", "label", "margin", "regress-logit", "regress-proba", \
"module-logit", "module-proba"}
        Which output of the student to read:

        - ``"proba"``: a classifier's ``predict_proba``;
        - ``"label"``: a classifier without ``predict_proba``, whose ``predict``
          gives the distiller's labels (no probabilities to export);
        - ``"margin"``: a classifier's raw margins, whose softmax (sigmoid of the
          single log-odds for two classes) is its ``predict_proba``; an exporter
          may read either;
        - ``"regress-logit"``, ``"regress-proba"``: a regressor's ``predict``,
          read as logits or probabilities;
        - ``"module-logit"``, ``"module-proba"``: the output of a skorch net's
          torch module (``student.module_``), logits or probabilities.
    n_classes : int
        Number of the distiller's classes (the teacher's ``classes_``).
    columns : sequence of int, default=None
        Index in the distiller's ``classes_`` of each of the student's output
        columns (after step 1). None means ``range(n_classes)``.
    scale : float, default=1.0
        The factor of the map applied at predict time (the strategy's ``scale_``:
        1 when the student carries the map itself).
    bias : sequence of float, default=None
        The bias of the map, one per class in the order of ``classes_`` (the
        strategy's ``bias_``); None means zeros.
    smoothing : float, default=0.0
        Share ``e`` of the uniform distribution mixed in before the map (the
        strategy's ``smoothing_``), in ``[0, 1)``.
    proba_floor : float, default=1e-9
        Probabilities are clipped to ``[proba_floor, 1]`` before their log.

    Attributes
    ----------
    maps_output : bool
        Whether the map is other than the identity.
    is_logit : bool
        Whether the student's values are logits (``"margin"``, ``"regress-logit"``,
        ``"module-logit"``), not probabilities or labels.

    See Also
    --------
    BaseStrategy.output_spec : The hook that returns it.
    skdistill.export.to_onnx : Reads it to build the graph's head.

    Examples
    --------
    A student trained on two classes of three, whose probabilities go to classes 0
    and 2, mapped with a scale of 2:

    >>> import numpy as np
    >>> from skdistill.strategies import OutputSpec
    >>> spec = OutputSpec("proba", n_classes=3, columns=[0, 2], scale=2.0)
    >>> spec.maps_output
    True
    >>> spec.to_proba(np.array([[0.75, 0.25]])).round(3)
    array([[0.9, 0. , 0.1]])
    """

    kind: str
    n_classes: int
    columns: tuple = None
    scale: float = 1.0
    bias: tuple = None
    smoothing: float = 0.0
    proba_floor: float = PROBA_FLOOR

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(
                f"OutputSpec kind={self.kind!r} is not one of {list(_KINDS)}; "
                "pick the one that says which output of the student the distiller "
                "reads (see the OutputSpec documentation)."
            )
        n_classes = int(self.n_classes)
        if n_classes < 2:
            raise ValueError(f"OutputSpec needs n_classes >= 2, got {self.n_classes}.")
        columns = range(n_classes) if self.columns is None else self.columns
        columns = tuple(int(c) for c in np.asarray(columns).reshape(-1))
        if not columns or len(set(columns)) != len(columns):
            raise ValueError(
                f"OutputSpec columns must name distinct classes; got {list(columns)}."
            )
        if min(columns) < 0 or max(columns) >= n_classes:
            raise ValueError(
                f"OutputSpec columns {list(columns)} are not class indices in [0, "
                f"{n_classes}); give the index in classes_ of each student column."
            )
        bias = np.zeros(n_classes) if self.bias is None else self.bias
        bias = tuple(float(b) for b in np.asarray(bias, dtype=np.float64).reshape(-1))
        if len(bias) != n_classes:
            raise ValueError(
                f"OutputSpec bias has {len(bias)} values but there are {n_classes} "
                "classes; give one per class, in the order of classes_."
            )
        scale, smoothing = float(self.scale), float(self.smoothing)
        floor = float(self.proba_floor)
        if not all(map(math.isfinite, (scale, *bias))):
            raise ValueError(
                f"OutputSpec scale ({scale}) and bias ({list(bias)}) must be finite."
            )
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"OutputSpec smoothing must be in [0, 1), got {smoothing}.")
        if not 0.0 < floor < 1.0:
            raise ValueError(f"OutputSpec proba_floor must be in (0, 1), got {floor}.")
        for name, value in [
            ("n_classes", n_classes),
            ("columns", columns),
            ("bias", bias),
            ("scale", scale),
            ("smoothing", smoothing),
            ("proba_floor", floor),
        ]:
            object.__setattr__(self, name, value)

    @property
    def maps_output(self):
        """Whether the map is other than the identity."""
        return self.scale != 1.0 or self.smoothing != 0.0 or any(self.bias)

    @property
    def is_logit(self):
        """Whether the student's values are logits (else probabilities or labels)."""
        return self.kind in _LOGIT_KINDS

    def to_proba(self, outputs):
        """The distiller's probabilities from the student's raw outputs (numpy).

        The reference of what an exporter computes (see the class description).

        Parameters
        ----------
        outputs : array-like of shape (n_samples, n_columns) or (n_samples,)
            The output of the student named by ``kind``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of the distiller's ``classes_``.
        """
        if self.kind == "label":
            raise ValueError(
                "This student predicts labels only (kind='label'): it has no outputs "
                "to turn into probabilities."
            )
        out = np.asarray(outputs, dtype=np.float64)
        if out.ndim == 1:
            out = out[:, None]
        if out.shape[1] == 1 and len(self.columns) == 2:
            if self.kind not in _ONE_COLUMN_BINARY:
                raise ValueError(
                    f"kind={self.kind!r} gives one column per class; got one column "
                    "for two classes."
                )
            values = out[:, 0]
            out = (
                binary_logits(values)
                if self.is_logit
                else np.column_stack([1.0 - values, values])
            )
        if out.ndim != 2 or out.shape[1] != len(self.columns):
            raise ValueError(
                f"The student's outputs have shape {out.shape}; this OutputSpec expects "
                f"{len(self.columns)} columns."
            )
        if self.columns == tuple(range(self.n_classes)):
            placed = out
        else:
            placed = np.zeros((out.shape[0], self.n_classes))
            placed[:, self.columns] = out
        if self.kind == "proba" and not self.maps_output:
            return placed
        g = placed if self.is_logit else log_clip(placed, self.proba_floor)
        if self.maps_output:
            g = self.scale * smooth_log_proba(g, self.smoothing) + np.asarray(self.bias)
        return softmax(g)
