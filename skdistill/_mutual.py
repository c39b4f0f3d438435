"""MutualDistillationClassifier: skorch nets that teach each other while they train.

Online distillation needs no teacher trained first: two or more peer networks are
trained together, batch by batch on the same batches, each on the cross-entropy to
the labels plus the KL divergence to the other peers' tempered predictions ("Deep
Mutual Learning", Zhang et al. 2018). torch and skorch are imported only inside the
functions that use them.
"""

import time
import warnings
from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from ._compat import BaseComposition, Interval, fit_context, optional_import
from ._seeding import RandomStreams
from ._targets import MAX_TEMPERATURE, MIN_TEMPERATURE, softmax
from ._validation import name_of
from .exceptions import DistillationWarning

__all__ = ["MutualDistillationClassifier", "mutual_loss"]

_PURPOSE = "MutualDistillationClassifier (skorch peers)"

#: Probabilities of a module that outputs them are clipped to this floor before log.
_PROBA_EPS = 1e-7


def mutual_loss(logits, y, peer_logits, *, temperature=1.0, alpha=0.5):
    """Deep-mutual-learning loss of one peer on a batch (torch tensors).

    For the peer's logits ``z``, the labels ``y`` and the other peers' logits
    ``z_1 ... z_m`` (treated as constants), the mean over the batch of::

        (1 - alpha) * cross_entropy(z, y)
            + alpha * T**2 * mean_j KL(softmax(z_j / T) || softmax(z / T))

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, n_classes)
        The peer's logits; the loss is differentiable in them.
    y : torch.Tensor of shape (batch,)
        Label indices (int64).
    peer_logits : list of torch.Tensor of shape (batch, n_classes)
        The other peers' logits on the same rows; detached here.
    temperature : float, default=1.0
        Temperature ``T`` of both softmaxes of the KL terms.
    alpha : float, default=0.5
        Weight of the KL terms; ``1 - alpha`` weighs the cross-entropy.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from skdistill._mutual import mutual_loss
    >>> z = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    >>> y = torch.tensor([0, 1])
    >>> float(mutual_loss(z, y, [z.clone()], alpha=1.0))  # peers agree: no KL
    0.0
    """
    import torch

    functional = torch.nn.functional
    t = float(temperature)
    log_p = functional.log_softmax(logits / t, dim=1)
    kl = torch.zeros((), dtype=logits.dtype, device=logits.device)
    for other in peer_logits:
        log_q = functional.log_softmax(other.detach().to(logits.dtype) / t, dim=1)
        kl = kl + (log_q.exp() * (log_q - log_p)).sum(dim=1).mean()
    kl = kl / max(len(peer_logits), 1)
    ce = functional.cross_entropy(logits, y.long())
    return (1.0 - float(alpha)) * ce + float(alpha) * t * t * kl


def _check_peers(peers):
    """Validate ``[(name, net), ...]``: unique names, two or more skorch classifiers."""
    from .strategies._skorch import _is_skorch_classifier

    if not isinstance(peers, list | tuple) or not all(
        isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
        for item in peers
    ):
        raise TypeError(
            "MutualDistillationClassifier's peers must be a list of (name, net) pairs, "
            f"like [('a', net_a), ('b', net_b)]; got {peers!r:.80}."
        )
    if len(peers) < 2:
        raise ValueError(
            f"MutualDistillationClassifier needs at least two peers to teach each "
            f"other; got {len(peers)}. Add a second (name, net) pair, or fit the net "
            "alone."
        )
    names = [name for name, _ in peers]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"Peer names must be unique; {duplicated} repeat.")
    bad = [name for name in names if "__" in name]
    if bad:
        raise ValueError(
            f"Peer names cannot contain '__' (the separator of nested parameters such "
            f"as peers__a__lr); rename {bad}."
        )
    for name, net in peers:
        if not _is_skorch_classifier(net):
            raise TypeError(
                f"Peer {name!r} is {name_of(net)}, but every peer must be a skorch "
                "NeuralNetClassifier whose module outputs one logit (or, with an "
                "NLLLoss criterion, one probability) per class. Wrap the torch module "
                "in skorch.NeuralNetClassifier."
            )
    return names


def _warn_unused_settings(peers):
    """Warn about peer settings that skorch's own ``fit`` would use and ``fit`` here
    does not: a validation split and the user's callbacks."""
    split = {name: net.train_split for name, net in peers if net.train_split is not None}
    if split:
        names = list(split)
        warnings.warn(
            f"The peers {names} have a train_split ({_name(split[names[0]])}) that "
            "MutualDistillationClassifier does not use: it runs the training loop "
            "itself, so every peer trains on all the rows it is given, on the same "
            "batches, and no validation loss is recorded. Set "
            f"{names[0]}__train_split=None (for every peer) to silence this, and hold "
            "out validation rows outside the estimator (a train/test split, "
            "cross_val_score or GridSearchCV).",
            DistillationWarning,
            stacklevel=4,
        )
    callbacks = {
        name: _callback_names(net.callbacks)
        for name, net in peers
        if net.callbacks not in (None, "disable") and len(net.callbacks) > 0
    }
    if callbacks:
        epochs = " and ".join(f"{name}__max_epochs" for name, _ in peers)
        warnings.warn(
            f"The peers' callbacks {callbacks} never run: MutualDistillationClassifier "
            "drives the epochs and batches itself, so early stopping, checkpoints, "
            "learning-rate schedules and scorings do not happen. Remove them "
            "(callbacks=None); choose max_epochs by cross-validation (GridSearchCV "
            f"over {epochs} together) instead of early stopping.",
            DistillationWarning,
            stacklevel=4,
        )


def _callback_names(callbacks):
    """Names of skorch callbacks given as instances, classes or (name, callback)."""
    return [item[0] if isinstance(item, tuple) else _name(item) for item in callbacks]


def _name(thing):
    """A class's or a function's name, or an object's class name."""
    return getattr(thing, "__name__", type(thing).__name__)


def _schedule(peers, n_samples):
    """The shared ``(max_epochs, batch_size)`` of the peers (they share batches)."""
    settings = {name: (net.max_epochs, net.batch_size) for name, net in peers}
    if len(set(settings.values())) > 1:
        raise ValueError(
            f"The peers train on the same batches, so they need the same max_epochs "
            f"and batch_size; got (max_epochs, batch_size) = {settings}. Set them "
            "equal, e.g. set_params(a__max_epochs=20, b__max_epochs=20)."
        )
    max_epochs, batch_size = next(iter(settings.values()))
    if batch_size is None or batch_size == -1 or batch_size > n_samples:
        batch_size = n_samples  # skorch's -1: the whole data set in one batch
    return int(max_epochs), int(batch_size)


class MutualDistillationClassifier(ClassifierMixin, BaseComposition):
    """Deep mutual learning: skorch nets trained together, each taught by the others.

    Online distillation, with no teacher trained first: in one ``fit``, the peers
    train epoch by epoch on the same shuffled batches, each on the cross-entropy to
    the labels plus the KL divergence to the other peers' predictions at a
    temperature. Peers of different sizes work: a small net learns from a large one
    while the large one also gains from the small one (Zhang et al. 2018). The
    prediction comes from one named peer, the one to deploy, or from their average.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    peers : list of (str, NeuralNetClassifier)
        Two or more named, unfitted skorch classifiers. Each keeps its module,
        optimizer, learning rate and device; they must agree on ``max_epochs`` and
        ``batch_size``, as they share batches. Their parameters are tunable as
        ``<name>__<parameter>`` (e.g. ``a__lr``). A module outputs one logit per
        class, or one probability per class if the net's criterion is
        ``torch.nn.NLLLoss`` (skorch's default). Lazy layers
        (``torch.nn.LazyLinear``) are sized on the first rows. Give each net its
        module as a class (``module=MyModule, module__hidden=32``): a module
        instance brings the weights it was built with, which ``random_state``
        then does not decide. Give each net ``train_split=None`` and no callbacks:
        this estimator runs the training loop and uses neither (a warning says so).
    temperature : float, default=1.0
        Temperature ``T`` of the softmaxes of the KL terms, in [1, 100].
    alpha : float, default=0.5
        Weight of the KL terms in each peer's loss, in [0, 1]; ``1 - alpha`` weighs
        the cross-entropy. 0 trains the peers independently (on the same batches).
    predict_with : str, default="average"
        ``"average"`` predicts with the mean of the peers' probabilities; a peer's
        name predicts with that peer alone.
    random_state : int, RandomState instance or None, default=None
        Seeds each peer's initial weights (a different seed per peer) and the
        order of the batches. None uses torch's and numpy's global random states.

    Attributes
    ----------
    peers_ : list of (str, NeuralNetClassifier)
        The fitted peers, each a fitted skorch net usable on its own (its
        ``predict_proba`` columns follow ``classes_``; its ``predict`` returns
        indices into them, skorch's convention). Their ``history`` holds the mean
        training loss of every epoch.
    named_peers_ : dict
        The fitted peers by name.
    loss_curves_ : dict of ndarray of shape (max_epochs,)
        Mean training loss (cross-entropy + KL) of each peer per epoch.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    See Also
    --------
    DistilledClassifier : Distil a fitted teacher into a student (offline).
    BornAgainClassifier : Generations of a student, each distilled from the last.

    Notes
    -----
    Peer ``k``, with logits ``z_k``, minimises on each batch::

        (1 - alpha) * cross_entropy(z_k, y)
            + alpha * T**2 * mean_{j != k} KL(softmax(z_j / T) || softmax(z_k / T))

    the other peers' logits taken as constants. As in Algorithm 1 of the paper the
    peers are updated in turn on each batch, peer ``k`` seeing the predictions of
    the peers already updated on it. This estimator runs the training loop, so the
    peers' ``train_split`` and callbacks are not used: every peer trains on all the
    rows, and early stopping, checkpoints or learning-rate schedules never run. A
    :class:`~skdistill.DistillationWarning` says so when a peer has a
    ``train_split`` (skorch's default holds out a fifth of the rows: give peers
    ``train_split=None``) or callbacks of its own. ``predict`` and
    ``predict_proba`` run the modules in evaluation mode. X is cast to float32.

    References
    ----------
    .. [1] Y. Zhang, T. Xiang, T. M. Hospedales and H. Lu, "Deep Mutual Learning",
       CVPR 2018. arXiv:1706.00384.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from sklearn.datasets import load_iris
    >>> from skdistill import MutualDistillationClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> class MLP(torch.nn.Module):  # a class: random_state draws its weights
    ...     def __init__(self, hidden=8):
    ...         super().__init__()
    ...         self.layers = torch.nn.Sequential(
    ...             torch.nn.Linear(4, hidden), torch.nn.ReLU(),
    ...             torch.nn.Linear(hidden, 3))
    ...     def forward(self, X):
    ...         return self.layers(X)
    >>> def net(hidden):
    ...     return NeuralNetClassifier(MLP, module__hidden=hidden,
    ...                                criterion=torch.nn.CrossEntropyLoss,
    ...                                optimizer=torch.optim.Adam, lr=0.05,
    ...                                max_epochs=30, batch_size=32,
    ...                                train_split=None)  # all rows train
    >>> model = MutualDistillationClassifier([("large", net(32)), ("small", net(8))],
    ...                                      temperature=2.0, random_state=0)
    >>> model = model.fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 3)
    >>> bool(model.score(X, y) > 0.9)
    True
    >>> small = model.set_params(predict_with="small")  # deploy the small peer
    >>> bool(small.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        "peers": [list],
        "temperature": [Interval(Real, MIN_TEMPERATURE, MAX_TEMPERATURE, closed="both")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "predict_with": [str],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        peers,
        *,
        temperature=1.0,
        alpha=0.5,
        predict_with="average",
        random_state=None,
    ):
        self.peers = peers
        self.temperature = temperature
        self.alpha = alpha
        self.predict_with = predict_with
        self.random_state = random_state

    # -- composition ----------------------------------------------------------------

    def get_params(self, deep=True):
        """Get parameters, the peers' ones as ``<name>__<parameter>``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the peers and their parameters.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("peers", deep=deep)

    def set_params(self, **params):
        """Set parameters, a peer's ones as ``<name>__<parameter>``.

        Parameters
        ----------
        **params : dict
            Parameters, e.g. ``temperature=2.0`` or ``a__lr=0.01``.

        Returns
        -------
        self : MutualDistillationClassifier
            This estimator.
        """
        self._set_params("peers", **params)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags

    # -- fit ------------------------------------------------------------------------

    def _check_predict_with(self, names):
        if self.predict_with != "average" and self.predict_with not in names:
            raise ValueError(
                f"predict_with={self.predict_with!r} is neither 'average' nor the name "
                f"of a peer; choose among {['average', *names]}."
            )

    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Train the peers together, each on the labels and on the others.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (numeric; cast to float32 for the nets).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : MutualDistillationClassifier
            The fitted estimator.
        """
        names = _check_peers(self.peers)
        self._check_predict_with(names)
        _warn_unused_settings(self.peers)
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y contains only one class ({classes[0]!r}); the peers need labels of "
                "at least two classes. Check the target column, or the split that "
                "produced this fold."
            )
        optional_import("skorch", extra="torch", purpose=_PURPOSE)
        torch = optional_import("torch", extra="torch", purpose=_PURPOSE)
        X = X.astype(np.float32, copy=False)
        streams = RandomStreams(self.random_state)
        peers = [
            (name, self._new_peer(torch, name, net, classes, X, streams))
            for name, net in self.peers
        ]
        max_epochs, batch_size = _schedule(peers, len(X))
        rng = check_random_state(streams.seed("batches"))
        curves = self._train(torch, peers, X, y_index, max_epochs, batch_size, rng)
        self.peers_ = peers
        self.classes_ = classes
        self.loss_curves_ = curves
        return self

    def _new_peer(self, torch, name, net, classes, X, streams):
        """An initialised clone of ``net`` (seeded), checked against the classes."""
        given = net.classes
        if given is not None and (
            len(given) != len(classes) or not np.array_equal(np.asarray(given), classes)
        ):
            raise ValueError(
                f"Peer {name!r} was given classes={list(given)!r:.80} but y has the "
                f"classes {classes.tolist()!r:.80}; all peers learn the classes of y. "
                f"Leave the peers' classes unset (set_params({name}__classes=None))."
            )
        net = clone(net).set_params(classes=classes.tolist())
        with _seeded(torch, streams.seed("peer", name)):
            net.initialize()
            module = net.module_
            if any(torch.nn.parameter.is_lazy(p) for p in module.parameters()):
                with torch.no_grad():
                    net.infer(torch.as_tensor(X[:2]))  # sizes the lazy layers
                net.initialize_optimizer()
            with torch.no_grad():
                out = self._logits(torch, net, torch.as_tensor(X[:2]))
        if out.ndim != 2 or out.shape[1] != len(classes):
            raise ValueError(
                f"Peer {name!r}'s module outputs shape {tuple(out.shape)} but y has "
                f"{len(classes)} classes; every peer must output one logit per class, "
                f"shape (batch, {len(classes)}): set the size of its last layer (a "
                f"{name}__module__ parameter)."
            )
        return net

    @staticmethod
    def _logits(torch, net, X_batch):
        """The module's logits on a batch (log of clipped probabilities with NLLLoss)."""
        out = net.infer(X_batch)
        if isinstance(out, tuple | list):
            out = out[0]
        criterion = net.criterion
        if isinstance(criterion, type) and issubclass(criterion, torch.nn.NLLLoss):
            out = torch.log(out.clamp(min=_PROBA_EPS))
        return out

    def _train(self, torch, peers, X, y_index, max_epochs, batch_size, rng):
        """Algorithm 1 of Zhang et al.: on each batch, update the peers in turn."""
        nets = [net for _, net in peers]
        X_all = torch.as_tensor(X)
        y_all = torch.as_tensor(y_index.astype(np.int64))
        curves = np.zeros((len(nets), max_epochs))
        for net in nets:
            net.module_.train()
        for epoch in range(max_epochs):
            start = time.perf_counter()
            order = rng.permutation(len(X))
            n_rows = 0
            for first in range(0, len(X), batch_size):
                rows = torch.as_tensor(order[first : first + batch_size])
                X_batch, y_batch = X_all[rows], y_all[rows]
                with torch.no_grad():
                    outputs = [self._logits(torch, net, X_batch) for net in nets]
                for k, net in enumerate(nets):
                    net.optimizer_.zero_grad()
                    logits = self._logits(torch, net, X_batch)
                    others = [out for j, out in enumerate(outputs) if j != k]
                    loss = mutual_loss(
                        logits,
                        y_batch.to(logits.device),
                        [out.to(logits.device) for out in others],
                        temperature=self.temperature,
                        alpha=self.alpha,
                    )
                    loss.backward()
                    net.optimizer_.step()
                    curves[k, epoch] += float(loss.detach()) * len(rows)
                    if k < len(nets) - 1:  # the next peers learn from the updated one
                        with torch.no_grad():
                            outputs[k] = self._logits(torch, net, X_batch)
                n_rows += len(rows)
            curves[:, epoch] /= n_rows
            duration = time.perf_counter() - start
            for k, net in enumerate(nets):
                net.history.new_epoch()
                net.history.record("epoch", epoch + 1)
                net.history.record("train_loss", float(curves[k, epoch]))
                net.history.record("dur", duration)
        for net in nets:
            net.module_.eval()
        return {name: curves[k] for k, (name, _) in enumerate(peers)}

    # -- predict --------------------------------------------------------------------

    @property
    def named_peers_(self):
        check_is_fitted(self)
        return dict(self.peers_)

    def _proba_of(self, net, X):
        """Probabilities of one fitted peer, float64 (eval mode, torch's RNG kept)."""
        import torch

        with torch.random.fork_rng(devices=[]), torch.no_grad():
            net.module_.eval()
            logits = self._logits(torch, net, torch.as_tensor(X))
        return softmax(logits.detach().cpu().numpy().astype(np.float64))

    def predict_proba(self, X):
        """Class probabilities of the named peer, or the mean of the peers'.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64])
        X = X.astype(np.float32, copy=False)
        names = [name for name, _ in self.peers_]
        self._check_predict_with(names)
        if self.predict_with != "average":
            return self._proba_of(self.named_peers_[self.predict_with], X)
        proba = np.mean([self._proba_of(net, X) for _, net in self.peers_], axis=0)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class (see :meth:`predict_proba`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _seeded(torch, seed):
    """torch seeded with ``seed`` inside the block (global state restored), or as is."""
    from .strategies._skorch import _seeded_torch

    return _seeded_torch(torch, seed)
