"""The "skorch" strategy: a torch network trained on the Hinton distillation loss.

The student is a skorch ``NeuralNetClassifier`` whose criterion is replaced by
:class:`HintonLoss`. The teacher's logits travel with each batch inside ``y``: the
net is fitted on a float matrix whose rows are ``[label index, sample weight,
teacher logits...]``, which skorch batches, splits and shuffles like any target, and
which the criterion takes apart. torch and skorch are imported only inside the
functions that use them.
"""

import contextlib
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state

from .._compat import Interval, StrOptions, optional_import
from .._targets import UNLABELED, log_clip
from .._validation import name_of
from ..exceptions import DistillationWarning
from ._base import BaseStrategy

__all__ = ["SkorchStrategy"]  # and HintonLoss, created on first access

#: Columns of the packed target before the teacher's logits: label index, weight.
_N_META = 2

#: Probabilities are clipped to this floor before their log is taken as logits.
_PROBA_EPS = 1e-7

#: Rows of the training data checked, after fit, for a module that outputs
#: probabilities while trained as if it output logits.
_N_CHECK = 256

_PURPOSE = "the 'skorch' strategy (NeuralNetClassifier students)"


class _HintonLoss:
    """Distillation loss of Hinton et al. (2015) as a skorch criterion.

    For student logits ``z`` and teacher logits ``v`` of one row with label ``y``::

        alpha * T**2 * KL(softmax(v / T) || softmax(z / T))
            + (1 - alpha) * cross_entropy(z, y)

    Unlabeled rows (label index ``-1``) get ``T**2 * KL`` alone, the loss of the
    soft targets they are given by :class:`~skdistill.strategies.SoftTargets`. Rows
    are weighted by their sample weight and averaged over the batch.

    Parameters
    ----------
    temperature : float, default=1.0
        Temperature ``T`` of both softmaxes of the KL term.
    alpha : float, default=0.5
        Weight of the KL term; ``1 - alpha`` weighs the cross-entropy.
    module_output : {"logits", "proba"}, default="logits"
        What the net's module outputs: logits, or probabilities whose (clipped)
        log is taken as logits.

    Notes
    -----
    ``y_true`` is a float tensor of shape ``(batch, 2 + n_classes)``: label index
    (``-1`` for unlabeled rows), sample weight, then the teacher's logits. A 1-d
    ``y_true`` of label indices gives the plain (unweighted) cross-entropy, so a
    fitted student can be refitted on ordinary labels. The ``T**2`` factor keeps
    the gradient of the soft term on the scale of the hard term when ``T``
    changes. The KL term equals the cross-entropy to the teacher's tempered
    probabilities minus their entropy, a constant: same gradient, zero at the
    optimum.

    The class is a ``torch.nn.Module``, created on first access to
    ``skdistill.strategies._skorch.HintonLoss`` so that importing skdistill does not
    import torch.
    """

    def __init__(self, temperature=1.0, alpha=0.5, module_output="logits"):
        super().__init__()
        self.temperature = temperature
        self.alpha = alpha
        self.module_output = module_output

    def forward(self, y_pred, y_true):
        """Mean weighted loss of a batch; differentiable in ``y_pred``."""
        import torch

        functional = torch.nn.functional
        if isinstance(y_pred, tuple | list):
            y_pred = y_pred[0]
        z = self._logits(torch, y_pred)
        y_true = torch.as_tensor(y_true, device=z.device)
        if y_true.ndim == 1:
            return functional.cross_entropy(z, y_true.long())
        return self._hinton(z, y_true.to(z.dtype), y_true.shape[1] - _N_META)

    def _hinton(self, z, y_true, n_classes):
        """The weighted mean Hinton loss of a batch; ``y_true`` packed (float)."""
        import torch

        functional = torch.nn.functional
        if z.ndim != 2 or z.shape[1] != n_classes:
            raise ValueError(
                f"The student's module outputs shape {tuple(z.shape)} but the teacher "
                f"has {n_classes} classes; the module must output one logit per class, "
                f"shape (batch, {n_classes}): set the size of its last layer to "
                f"{n_classes} (a module__ parameter of the net)."
            )
        label = y_true[:, 0].long()
        weight = y_true[:, 1]
        teacher = y_true[:, _N_META : _N_META + n_classes]
        t = float(self.temperature)
        log_p_teacher = functional.log_softmax(teacher / t, dim=1)
        log_p_student = functional.log_softmax(z / t, dim=1)
        kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=1)
        # unlabeled rows: hard weight 0 and soft weight 1 (their targets are soft)
        hard_weight = (1.0 - float(self.alpha)) * (label != UNLABELED).to(z.dtype)
        ce = functional.cross_entropy(z, label.clamp(min=0), reduction="none")
        loss = (1.0 - hard_weight) * (t * t) * kl + hard_weight * ce
        return (weight * loss).mean()

    def _logits(self, torch, y_pred):
        if self.module_output == "logits":
            return y_pred
        if (y_pred < 0).any() or not torch.allclose(
            y_pred.sum(dim=-1), torch.ones((), dtype=y_pred.dtype), atol=1e-3
        ):
            raise ValueError(
                "The student's module must output probabilities (module_output="
                "'proba', the convention of skorch's default NLLLoss criterion) but "
                "its rows are not probability distributions. If it outputs logits, "
                "pass criterion=torch.nn.CrossEntropyLoss to the net or "
                "SkorchStrategy(module_output='logits')."
            )
        return torch.log(y_pred.clamp(min=_PROBA_EPS))

    def extra_repr(self):
        return (
            f"temperature={self.temperature!r}, alpha={self.alpha!r}, "
            f"module_output={self.module_output!r}"
        )


class _DistillationLoss(_HintonLoss):
    """Hinton loss plus FitNets hint and RKD terms, as a skorch criterion.

    Per batch, with student logits ``z``, teacher logits ``v``, the student's guided
    layer ``g`` (captured by a forward hook), the teacher's hint ``h`` and
    embeddings ``e_s``, ``e_t`` (a hooked student layer or ``z``; a teacher layer
    or ``v``)::

        hinton(z, v, y) + beta * hint_loss(W g + c, h)
            + rkd_distance * rkd_distance_loss(e_s, e_t)
            + rkd_angle * rkd_angle_loss(e_s, e_t)

    ``W g + c`` is ``regressor``, a ``torch.nn.Linear(guided_features,
    hint_features)`` trained with the net (skorch trains a criterion's
    parameters). In the ``"hint"`` stage (FitNets' first stage) the loss is the
    hint term alone.

    Parameters
    ----------
    temperature, alpha, module_output :
        As for :class:`HintonLoss`.
    n_classes : int, default=2
        Number of classes: the packed target is ``[label index, weight, teacher
        logits (n_classes), hint (hint_features), teacher embedding
        (embedding_features)]``.
    hint_features, guided_features : int, default=0
        Width of the teacher's hint and of the student's guided layer (flattened);
        0 means no hint.
    beta : float, default=1.0
        Weight of the hint term in the ``"kd"`` stage.
    embedding_features : int, default=0
        Width of the teacher's RKD embedding; 0 means its logits.
    rkd_distance, rkd_angle : float, default=0.0
        Weights of the distance-wise and angle-wise RKD terms.
    """

    def __init__(
        self,
        temperature=1.0,
        alpha=0.5,
        module_output="logits",
        n_classes=2,
        hint_features=0,
        guided_features=0,
        beta=1.0,
        embedding_features=0,
        rkd_distance=0.0,
        rkd_angle=0.0,
    ):
        super().__init__(temperature, alpha, module_output)
        import torch

        self.n_classes = n_classes
        self.hint_features = hint_features
        self.guided_features = guided_features
        self.beta = beta
        self.embedding_features = embedding_features
        self.rkd_distance = rkd_distance
        self.rkd_angle = rkd_angle
        self.regressor = None
        if guided_features and hint_features:
            self.regressor = torch.nn.Linear(int(guided_features), int(hint_features))
        #: "kd", or "hint" during FitNets' hint pre-training; set by the strategy.
        self.stage = "kd"
        #: Layer outputs recorded by the strategy's hooks during fit, else None.
        self.capture = None

    def forward(self, y_pred, y_true):
        """Mean weighted loss of a batch; differentiable in ``y_pred`` (and in the
        captured student layers and the regressor)."""
        import torch

        from ._neural import flat, hint_loss, rkd_angle_loss, rkd_distance_loss

        if isinstance(y_pred, tuple | list):
            y_pred = y_pred[0]
        z = self._logits(torch, y_pred)
        y_true = torch.as_tensor(y_true, device=z.device)
        if y_true.ndim == 1:
            return torch.nn.functional.cross_entropy(z, y_true.long())
        y_true = y_true.to(z.dtype)
        k, n_hint = int(self.n_classes), int(self.hint_features)
        width = _N_META + k + n_hint + int(self.embedding_features)
        if y_true.shape[1] != width:
            raise ValueError(
                f"The packed targets have {y_true.shape[1]} columns, expected {width} "
                f"(label, weight, {k} teacher logits, {n_hint} hint and "
                f"{self.embedding_features} embedding columns). Fit the net through "
                "DistilledClassifier with this SkorchStrategy, which packs them."
            )
        logits_end = _N_META + k
        hint = None
        if self.regressor is not None:
            guided = flat(self._captured("guided", z.shape[0]))
            if guided.shape[1] != self.regressor.in_features:
                raise ValueError(
                    f"The student's guided layer outputs {guided.shape[1]} features per "
                    f"row, but {self.regressor.in_features} when the regressor was "
                    "built; the layer's output width must not depend on the batch."
                )
            target = y_true[:, logits_end : logits_end + n_hint]
            hint = hint_loss(self.regressor(guided), target, y_true[:, 1])
            if self.stage == "hint":
                return hint
        loss = self._hinton(z, y_true[:, :logits_end], k)
        if hint is not None and self.beta:
            loss = loss + float(self.beta) * hint
        if self.rkd_distance or self.rkd_angle:
            if self.capture is not None and "embedding" in self.capture:
                student = self._captured("embedding", z.shape[0])
            else:
                student = z
            if self.embedding_features:
                teacher = y_true[:, logits_end + n_hint :]
            else:
                teacher = y_true[:, _N_META:logits_end]
            if self.rkd_distance:
                loss = loss + float(self.rkd_distance) * rkd_distance_loss(student, teacher)
            if self.rkd_angle:
                loss = loss + float(self.rkd_angle) * rkd_angle_loss(student, teacher)
        return loss

    def _captured(self, key, n_rows):
        """The output of the student's layer ``key`` for this batch, checked."""
        output = None if self.capture is None else self.capture.get(key)
        if output is None:
            raise RuntimeError(
                f"The student's {key} layer was not recorded for this batch: the loss "
                "reads it through forward hooks that SkorchStrategy registers during "
                "fit only. Fit the net through DistilledClassifier, or refit it on "
                "plain labels (1-d y)."
            )
        if output.shape[0] != n_rows:
            raise ValueError(
                f"The student's {key} layer outputs shape {tuple(output.shape)} for a "
                f"batch of {n_rows} rows; name a layer whose first dimension is the "
                "batch."
            )
        return output

    def extra_repr(self):
        return (
            f"{super().extra_repr()}, n_classes={self.n_classes!r}, "
            f"hint_features={self.hint_features!r}, "
            f"guided_features={self.guided_features!r}, beta={self.beta!r}, "
            f"embedding_features={self.embedding_features!r}, "
            f"rkd_distance={self.rkd_distance!r}, rkd_angle={self.rkd_angle!r}"
        )

    def __getstate__(self):
        state = self.__dict__.copy()
        state["capture"] = None  # never pickle a batch's activations
        return state


#: The torch criteria created on first access (PEP 562), by name.
_LOSSES = {"HintonLoss": _HintonLoss, "DistillationLoss": _DistillationLoss}


def __getattr__(name):
    """Create ``HintonLoss`` and ``DistillationLoss`` (``torch.nn.Module``
    subclasses) on first access (PEP 562)."""
    if name in _LOSSES:
        return _loss_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _loss_class(name):
    """The criterion class ``name``, created once and stored in this module.

    It lives under its own name in this module, so pickle finds it, and unpickling
    it (which needs torch anyway) creates it again.
    """
    cls = globals().get(name)
    if cls is None:
        torch = optional_import("torch", extra="torch", purpose=_PURPOSE)
        mixin = _LOSSES[name]
        bases = (mixin, torch.nn.Module)
        if name != "HintonLoss":  # subclasses of the module class, for isinstance
            bases = (mixin, _loss_class("HintonLoss"))
        cls = type(name, bases, {"__module__": __name__, "__doc__": mixin.__doc__})
        globals()[name] = cls
    return cls


def _hinton_loss_class():
    """The ``HintonLoss`` module class."""
    return _loss_class("HintonLoss")


class _SplitOnLabels:
    """The net's own ``train_split``, given the label column of the packed targets.

    skorch passes ``y`` to ``train_split`` (``ValidSplit(5, stratified=True)`` for a
    classifier), which can only stratify on labels, not on the packed float matrix.
    """

    def __init__(self, train_split):
        self.train_split = train_split

    def __call__(self, dataset, y=None, **fit_params):
        if y is None:
            return self.train_split(dataset, **fit_params)
        return self.train_split(dataset, _label_column(y), **fit_params)

    def __repr__(self):
        return f"_SplitOnLabels({self.train_split!r})"


def _label_column(y):
    """Label indices of packed targets (a tensor or an array); other ``y`` as is."""
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > _N_META:
        return y[:, 0].astype(np.int64)
    return y


def _softmax(logits):
    """``predict_nonlinearity`` of a student whose module outputs logits."""
    return logits.softmax(dim=-1)


class _MappedSoftmax:
    """``predict_nonlinearity`` mapping the module's output back to temperature 1.

    ``softmax(scale * z + bias)`` of the logits ``z`` (of ``log p`` for a module
    that outputs probabilities), so that the fitted net's own ``predict_proba``
    gives the distiller's probabilities.
    """

    def __init__(self, scale, bias, module_output):
        self.scale = float(scale)
        self.bias = [float(b) for b in bias]
        self.module_output = module_output

    def __call__(self, out):
        import torch

        if self.module_output == "proba":
            out = torch.log(out.clamp(min=_PROBA_EPS))
        bias = torch.as_tensor(self.bias, dtype=out.dtype, device=out.device)
        return (self.scale * out + bias).softmax(dim=-1)

    def __repr__(self):
        return (
            f"_MappedSoftmax(scale={self.scale!r}, bias={self.bias!r}, "
            f"module_output={self.module_output!r})"
        )


class SkorchStrategy(BaseStrategy):
    """Fit a skorch ``NeuralNetClassifier`` on the Hinton distillation loss.

    The net keeps the user's module, optimizer, learning rate, epochs, batch size,
    callbacks and ``train_split``; its criterion becomes :class:`HintonLoss` with the
    distiller's ``temperature`` and ``alpha``, and each batch carries the teacher's
    logits. Works with any ``module`` that outputs one logit per class (or, with
    skorch's default ``NLLLoss`` criterion, one probability per class).

    Parameters
    ----------
    module_output : {"auto", "logits", "proba"}, default="auto"
        What the net's module outputs. ``"auto"`` follows skorch's convention:
        probabilities when the net's criterion is ``torch.nn.NLLLoss`` (the default
        of ``NeuralNetClassifier``), logits otherwise (e.g. ``CrossEntropyLoss``).
    input_dtype : str or None, default="float32"
        Dense and sparse numpy inputs with another float dtype are cast to it
        before they reach the net (torch layers are float32 while scikit-learn
        data is usually float64). None passes ``X`` unchanged, as are DataFrames
        (skorch gives the module one keyword argument per column).
    hint_layer : str or None, default=None
        Feature-based distillation (FitNets): the name of the teacher layer whose
        output is the *hint* (a name from ``teacher.module_.named_modules()``, the
        teacher being a fitted skorch net, maybe frozen or the last step of a
        pipeline). Set together with ``guided_layer``.
    guided_layer : str or None, default=None
        The student layer (a name from ``student.module_.named_modules()``)
        trained to predict the hint through a learned linear regressor.
    beta : float, default=1.0
        Weight of the hint's mean squared error, added to the Hinton loss.
    hint_epochs : int, default=0
        FitNets' two-stage recipe: that many epochs of training on the hint alone
        (which reaches the layers up to ``guided_layer`` and the regressor) before
        the net's ``max_epochs`` on the distillation loss. The paper's second stage
        drops the hint: set ``beta=0`` for it. 0 trains on both at once.
    rkd_distance : float, default=0.0
        Relation-based distillation (RKD): weight of the distance-wise loss, the
        Huber loss between the teacher's and the student's mean-normalised
        distances between the rows of each batch.
    rkd_angle : float, default=0.0
        Weight of RKD's angle-wise loss, on the angles formed by triplets of rows
        of each batch (the first 64 rows of a batch).
    rkd_teacher_layer : str or None, default=None
        The teacher's embedding for RKD: a layer name (a skorch teacher); None
        takes the teacher's logits, which any teacher has (also
        ``teacher="precomputed"``).
    rkd_student_layer : str or None, default=None
        The student's embedding for RKD: a layer name; None takes its logits.
    random_state : int, RandomState instance or None, default=None
        Seeds torch (weights, shuffling, dropout) for the fit, without changing
        torch's global random state. None uses the
        global state as is.

    Attributes
    ----------
    student_ : NeuralNetClassifier
        The fitted net. Its ``classes_`` are the teacher's classes; its
        ``predict_proba`` columns follow them and its ``predict`` returns indices
        into them (skorch's convention). Its ``criterion`` is :class:`HintonLoss`,
        which falls back to the cross-entropy when refitted on 1-d labels.
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    temperature_ : float
        The temperature of the targets.
    module_output_ : {"logits", "proba"}
        What the module was taken to output.
    output_scale_, output_bias_ : float, ndarray of shape (n_classes,)
        The map ``softmax(s * z + b)`` at predict time, fitted by the distiller on
        the net's out-of-fold logits (also ``scale_`` and ``bias_``; the identity
        at ``temperature=1``).

    See Also
    --------
    ExpandStrategy : Any classifier with ``sample_weight``, on expanded rows.

    Notes
    -----
    The net minimises, per row with student logits ``z``, teacher logits ``v`` and
    label ``y``::

        alpha * T**2 * KL(softmax(v / T) || softmax(z / T))
            + (1 - alpha) * cross_entropy(z, y)

    weighted by ``sample_weight`` (rescaled to mean 1). The student is used at
    temperature 1: its logits are ``s * z + b``, with ``s`` and ``b`` fitted by
    the distiller (:func:`~skdistill.strategies.fit_output_map`) so that a net
    that cannot match its soft targets is not over-confident. ``y`` reaches the
    net as a float matrix ``[label index, weight, teacher logits...]``, so the
    net's ``train_split`` is
    wrapped to split on the label column, scoring callbacks that use skorch's
    default ``target_extractor`` get the label column, and the validation loss is
    the distillation loss (monitor ``valid_loss`` for early stopping). Unlabeled
    rows (label index ``-1``) get ``T**2 * KL`` alone, as their targets are the
    teacher's. A module that outputs probabilities while trained as logits draws a
    warning.

    With a hint or an RKD weight, the criterion becomes ``DistillationLoss``::

        hinton + beta * mean((W g + c - h)**2)
            + rkd_distance * huber(d_s / mean(d_s), d_t / mean(d_t))
            + rkd_angle * huber(cos_s, cos_t)

    with ``g`` the student's guided layer, ``h`` the teacher's hint, ``W g + c``
    the regressor (``student_.criterion_.regressor``, trained with the net, not
    used at predict time), ``d`` the pairwise distances and ``cos`` the triplet
    angles of each batch's embeddings. The teacher's layers are read once per fit,
    batch by batch through its own ``forward_iter`` (eval mode, no gradients,
    forward hooks removed and train/eval modes restored afterwards), and travel
    with the targets; the student's are recorded by forward hooks on its module
    during fit and removed afterwards, also when training fails. A pre-training
    stage (``hint_epochs``) shows in the net's ``history`` as its first epochs,
    whose loss is the hint's. The student's module and its export are unchanged.
    RKD ignores ``sample_weight`` (pairs count alike); the hint weighs rows like
    the Hinton loss. Layer hints need the teacher's columns: leave
    ``student_features`` unset.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
       Network", 2015. arXiv:1503.02531.
    .. [2] A. Romero, N. Ballas, S. E. Kahou, A. Chassang, C. Gatta and Y. Bengio,
       "FitNets: Hints for Thin Deep Nets", ICLR 2015. arXiv:1412.6550.
    .. [3] W. Park, D. Kim, Y. Lu and M. Cho, "Relational Knowledge Distillation",
       CVPR 2019. arXiv:1904.05068.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdistill import DistilledClassifier
    >>> from skdistill.strategies import SkorchStrategy
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=1000).fit(X, y)
    >>> net = NeuralNetClassifier(
    ...     torch.nn.Linear, module__in_features=4, module__out_features=3,
    ...     criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
    ...     lr=0.2, max_epochs=30, batch_size=150, train_split=None, verbose=0)
    >>> model = DistilledClassifier(teacher, net, temperature=2.0, alpha=0.7,
    ...                             strategy=SkorchStrategy(random_state=0)).fit(X, y)
    >>> model.strategy_.name, model.predict_proba(X[:2]).shape
    ('skorch', (2, 3))
    >>> bool((model.predict(X) == teacher.predict(X)).mean() > 0.9)
    True

    RKD on the teacher's logits, added to the Hinton loss:

    >>> rkd = SkorchStrategy(rkd_distance=1.0, rkd_angle=2.0, random_state=0)
    >>> model = DistilledClassifier(teacher, net, temperature=2.0, alpha=0.7,
    ...                             strategy=rkd).fit(X, y)
    >>> model.student_.criterion_.rkd_angle
    2.0
    """

    name = "skorch"
    #: The tree-leaf hint (``hint_layer="leaves"``: ``apply()``, one-hot, a truncated
    #: SVD to ``_leaf_components`` dimensions) did not beat plain KD in
    #: benchmarks/bench_neural.py, so it is not offered; a subclass can switch it on.
    _allow_leaves = False
    _leaf_components = 16
    _parameter_constraints = {
        "module_output": [StrOptions({"auto", "logits", "proba"})],
        "input_dtype": [str, type, None],
        "hint_layer": [str, None],
        "guided_layer": [str, None],
        "beta": [Interval(Real, 0, None, closed="left")],
        "hint_epochs": [Interval(Integral, 0, None, closed="left")],
        "rkd_distance": [Interval(Real, 0, None, closed="left")],
        "rkd_angle": [Interval(Real, 0, None, closed="left")],
        "rkd_teacher_layer": [str, None],
        "rkd_student_layer": [str, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        module_output="auto",
        input_dtype="float32",
        hint_layer=None,
        guided_layer=None,
        beta=1.0,
        hint_epochs=0,
        rkd_distance=0.0,
        rkd_angle=0.0,
        rkd_teacher_layer=None,
        rkd_student_layer=None,
        random_state=None,
    ):
        self.module_output = module_output
        self.input_dtype = input_dtype
        self.hint_layer = hint_layer
        self.guided_layer = guided_layer
        self.beta = beta
        self.hint_epochs = hint_epochs
        self.rkd_distance = rkd_distance
        self.rkd_angle = rkd_angle
        self.rkd_teacher_layer = rkd_teacher_layer
        self.rkd_student_layer = rkd_student_layer
        self.random_state = random_state

    @classmethod
    def accepts(cls, student):
        return _is_skorch_classifier(student)

    def fit(self, student, X, targets, *, sample_weight=None, **fit_params):
        self._validate_params()
        self._check_techniques()
        optional_import("skorch", extra="torch", purpose=_PURPOSE)
        torch = optional_import("torch", extra="torch", purpose=_PURPOSE)
        if not _is_skorch_classifier(student):
            raise TypeError(
                f"The 'skorch' strategy needs a skorch NeuralNetClassifier student "
                f"(module outputs one logit per class); got {name_of(student)}. Wrap "
                "the torch module in skorch.NeuralNetClassifier, or use another strategy."
            )
        module_output = self._resolve_module_output(torch, student)
        self.module_output_ = module_output
        X_teacher, X = X, self._as_input(X)
        with _seeded_torch(torch, self.random_state):
            if not self._uses_features():
                student = _distillation_net(student, targets, module_output)
                student.fit(X, _pack(targets, sample_weight), **fit_params)
            else:
                hint, embedding = self._teacher_columns(targets, X_teacher)
                student = _distillation_net(
                    student,
                    targets,
                    module_output,
                    criterion=_loss_class("DistillationLoss"),
                    n_classes=len(targets.classes),
                    hint_features=0 if hint is None else hint.shape[1],
                    beta=float(self.beta),
                    embedding_features=0 if embedding is None else embedding.shape[1],
                    rkd_distance=float(self.rkd_distance),
                    rkd_angle=float(self.rkd_angle),
                )
                columns = [c for c in (hint, embedding) if c is not None]
                y_packed = np.column_stack([_pack(targets, sample_weight), *columns])
                self._fit_hooked(student, X, y_packed.astype(np.float32), fit_params)
            self._record(student, targets)
            if module_output == "logits":  # (a DataLoader draws a seed: keep it inside)
                _warn_if_probabilities(self._raw_output(_head(X, _N_CHECK)))
        return self

    # -- feature- and relation-based distillation -------------------------------------

    def _uses_features(self):
        """Whether a FitNets hint or an RKD term is asked for."""
        return self.hint_layer is not None or bool(self.rkd_distance or self.rkd_angle)

    def _check_techniques(self):
        """Refuse parameter combinations that would silently do nothing."""
        if (self.hint_layer is None) != (self.guided_layer is None):
            given, missing = ("hint_layer", "guided_layer")
            if self.hint_layer is None:
                given, missing = missing, given
            raise ValueError(
                f"{given} is set but {missing} is not: a FitNets hint pairs a teacher "
                "layer (hint_layer) with a student layer (guided_layer). Set both, or "
                "neither."
            )
        if self.hint_epochs and self.hint_layer is None:
            raise ValueError(
                f"hint_epochs={self.hint_epochs} pre-trains the student on a hint, but "
                "hint_layer is None. Set hint_layer and guided_layer, or hint_epochs=0."
            )
        layers = (self.rkd_teacher_layer, self.rkd_student_layer)
        if any(layer is not None for layer in layers) and not (
            self.rkd_distance or self.rkd_angle
        ):
            raise ValueError(
                "rkd_teacher_layer or rkd_student_layer is set but rkd_distance and "
                "rkd_angle are both 0, so no relational loss uses them. Give one of "
                "the weights a positive value (Park et al. use 25 and 50 on "
                "embeddings, 1 and 2 with a KD loss)."
            )

    def _teacher_columns(self, targets, X):
        """The teacher's hint and RKD embedding of every row (None where unused)."""
        from ._neural import LEAVES, leaf_embedding, teacher_layer_outputs

        wanted = {"hint_layer": self.hint_layer}
        if self.rkd_distance or self.rkd_angle:
            wanted["rkd_teacher_layer"] = self.rkd_teacher_layer
        wanted = {key: layer for key, layer in wanted.items() if layer is not None}
        if not wanted:
            return None, None
        teacher = targets.teacher
        if teacher is None:
            raise ValueError(
                f"{' and '.join(wanted)} name(s) a layer of the teacher, but the "
                "strategy got no teacher, only its logits (teacher='precomputed'). "
                "Pass the fitted teacher to the distiller, or leave the layers unset "
                "(RKD then uses the teacher's logits)."
            )
        leaves = LEAVES if self._allow_leaves else None
        layer_names = sorted({v for v in wanted.values() if v != leaves})
        outputs = {}
        if layer_names:
            outputs = teacher_layer_outputs(
                teacher, X, layer_names, parameter=" and ".join(wanted)
            )
        if leaves in wanted.values():
            outputs[LEAVES] = leaf_embedding(
                teacher, X, self._leaf_components, _seed(self.random_state)
            )
        return outputs.get(wanted.get("hint_layer")), outputs.get(
            wanted.get("rkd_teacher_layer")
        )

    def _fit_hooked(self, net, X, y, fit_params):
        """Fit ``net`` with forward hooks on its guided and embedding layers.

        The net is initialised first, the guided layer's width read on two rows to
        size the regressor, the hooks registered, and the net trained with
        ``partial_fit`` (``hint_epochs`` on the hint alone first, if asked); the
        hooks are removed and the recorded activations dropped afterwards, also when
        training fails.
        """
        import torch

        from ._neural import LayerCapture, flat, named_layer

        net.initialize()
        layers = {}
        if self.guided_layer is not None:
            layers["guided"] = named_layer(
                net.module_, self.guided_layer, parameter="guided_layer", owner="student"
            )
        if self.rkd_student_layer is not None:
            layers["embedding"] = named_layer(
                net.module_,
                self.rkd_student_layer,
                parameter="rkd_student_layer",
                owner="student",
            )
        if "guided" in layers:
            with LayerCapture({"guided": layers["guided"]}) as probe, torch.no_grad():
                net.forward(_head(X, 2), training=False)
                width = flat(probe.outputs["guided"]).shape[1]
            net.set_params(criterion__guided_features=width)  # builds the regressor
            layers["guided"] = named_layer(
                net.module_, self.guided_layer, parameter="guided_layer", owner="student"
            )
            if "embedding" in layers:
                layers["embedding"] = named_layer(
                    net.module_,
                    self.rkd_student_layer,
                    parameter="rkd_student_layer",
                    owner="student",
                )
        criterion = net.criterion_
        try:
            with LayerCapture(layers) as capture:
                criterion.capture = capture.outputs
                if self.hint_epochs:
                    criterion.stage = "hint"
                    net.partial_fit(X, y, epochs=int(self.hint_epochs), **fit_params)
                    criterion = net.criterion_
                    criterion.stage = "kd"
                net.partial_fit(X, y, **fit_params)
        finally:
            net.criterion_.capture = None
            net.criterion_.stage = "kd"

    def set_output_map(self, scale, bias=None, smoothing=0.0):
        super().set_output_map(scale, bias, smoothing)
        net = self.student_
        if self._maps_output() and net.predict_nonlinearity in (_softmax, "auto"):
            # the net's own predict_proba follows (its module is not changed)
            net.predict_nonlinearity = _MappedSoftmax(
                self.scale_, self.bias_, self.module_output_
            )
        return self

    def output_spec(self):
        """The module's output: kind ``"module-logit"`` or ``"module-proba"``
        (probabilities clipped to 1e-7 before their log)."""
        kind = "module-logit" if self.module_output_ == "logits" else "module-proba"
        return self._spec(kind, proba_floor=_PROBA_EPS)

    def tempered_logits(self, X):
        out = self._raw_output(self._as_input(X))
        if self.module_output_ == "proba":
            out = log_clip(out, _PROBA_EPS)
        n_classes = len(self.classes_)
        if out.ndim != 2 or out.shape[1] != n_classes:
            raise ValueError(
                f"The student's module outputs shape {out.shape}; the 'skorch' strategy "
                f"expects one logit per class, shape (n_samples, {n_classes})."
            )
        return out

    def _raw_output(self, X):
        """The module's first output, as float64 numpy (eval mode, no gradients).

        torch's global random state is left as it was (skorch's DataLoader draws a
        seed from it even when predicting).
        """
        import torch

        with torch.random.fork_rng(devices=[]):
            out = self.student_.forward(X, training=False)
        if isinstance(out, tuple | list):
            out = out[0]
        return out.detach().cpu().numpy().astype(np.float64)

    def _as_input(self, X):
        if self.input_dtype is None:
            return X
        dtype = np.dtype(self.input_dtype)
        if (sparse.issparse(X) or isinstance(X, np.ndarray)) and X.dtype.kind == "f":
            return X if X.dtype == dtype else X.astype(dtype)
        return X

    def _resolve_module_output(self, torch, student):
        if self.module_output != "auto":
            return self.module_output
        criterion = student.criterion
        nll = isinstance(criterion, torch.nn.NLLLoss) or (
            isinstance(criterion, type) and issubclass(criterion, torch.nn.NLLLoss)
        )
        return "proba" if nll else "logits"


def _is_skorch_classifier(student):
    """A skorch ``NeuralNetClassifier`` or subclass, found by name (no import)."""
    return any(
        klass.__name__ == "NeuralNetClassifier" and klass.__module__.startswith("skorch")
        for klass in type(student).__mro__
    )


def _distillation_net(student, targets, module_output, criterion=None, **loss_params):
    """A copy of ``student`` set up for distillation; the user's settings kept.

    Its criterion is ``criterion`` (default :class:`HintonLoss`) with the targets'
    temperature and alpha, and ``loss_params``.
    """
    params = student.get_params(deep=False)
    params.pop("_params_to_validate", None)
    dropped = sorted(key for key in params if key.startswith("criterion__"))
    if dropped:
        warnings.warn(
            f"The student's criterion parameters {dropped} are ignored: the 'skorch' "
            "strategy trains with HintonLoss. Set temperature and alpha on the "
            "distiller instead.",
            DistillationWarning,
            stacklevel=5,  # here, strategy fit, distiller fit, its wrapper, user
        )
    params = {key: value for key, value in params.items() if key not in dropped}
    train_split = params["train_split"]
    if train_split and not isinstance(train_split, _SplitOnLabels):
        params["train_split"] = _SplitOnLabels(train_split)
    if module_output == "logits" and params["predict_nonlinearity"] == "auto":
        params["predict_nonlinearity"] = _softmax
    params.update(
        criterion=criterion or _hinton_loss_class(),
        criterion__temperature=float(targets.temperature),
        criterion__alpha=float(targets.alpha),
        criterion__module_output=module_output,
        **{f"criterion__{key}": value for key, value in loss_params.items()},
        classes=np.asarray(targets.classes).tolist(),
    )
    net = type(student)(**params)
    _extract_labels_for_scoring(net)
    return net


def _extract_labels_for_scoring(net):
    """Give scoring callbacks with skorch's default ``target_extractor`` the labels."""
    from skorch.utils import to_numpy

    if net.callbacks == "disable":
        return
    net.initialize_callbacks()
    updates = {
        f"callbacks__{name}__target_extractor": _label_column
        for name, callback in net.callbacks_
        if getattr(callback, "target_extractor", None) is to_numpy
    }
    if updates:
        net.set_params(**updates)


def _pack(targets, sample_weight):
    """Rows ``[label index, weight, teacher logits...]`` as float32; weights of mean 1."""
    n_samples = len(targets.y_index)
    if sample_weight is None:
        weight = np.ones(n_samples)
    else:
        weight = np.asarray(sample_weight, dtype=np.float64)
        total = weight.sum()
        if total <= 0:
            raise ValueError(
                f"sample_weight sums to {total:g}; at least one row needs a positive "
                "weight to fit the student."
            )
        weight = weight * (n_samples / total)
    packed = np.column_stack([targets.y_index, weight, targets.teacher_logits])
    return packed.astype(np.float32)


def _head(X, n):
    if hasattr(X, "iloc"):
        return X.iloc[:n]
    return X[:n]


def _warn_if_probabilities(out):
    """Warn when a module trained as if it output logits outputs probabilities."""
    if out.ndim != 2 or out.size == 0:
        return
    if np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        warnings.warn(
            "The student's module seems to output probabilities (non-negative rows "
            "summing to 1), but it was trained as if they were logits. End the module "
            "with a linear layer (no softmax), or keep the softmax and pass "
            "criterion=torch.nn.NLLLoss or SkorchStrategy(module_output='proba').",
            DistillationWarning,
            stacklevel=5,  # here, strategy fit, distiller fit, its wrapper, user
        )


def _seed(random_state):
    """An int seed from ``random_state`` (None stays None)."""
    if random_state is None or isinstance(random_state, Integral):
        return random_state
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def _seeded_torch(torch, random_state):
    """Seed torch's CPU random state inside the block and restore it on exit."""
    if random_state is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_seed(random_state))
        yield
