"""Feature- and relation-based distillation for torch students: losses, hooks, hints.

The pieces :class:`~skdistill.strategies.SkorchStrategy` adds to the Hinton loss:

- :func:`hint_loss`: FitNets (Romero et al., 2015), the mean squared error between a
  learned linear map of a student layer's activations and a teacher layer's;
- :func:`rkd_distance_loss`, :func:`rkd_angle_loss`: relational knowledge
  distillation (Park et al., 2019), the Huber loss between the teacher's and the
  student's mean-normalised pairwise distances, and between the cosines of the
  angles of their triplets, within a batch;
- :class:`LayerCapture`: forward hooks that record the output of named layers,
  removed on exit;
- :func:`teacher_layer_outputs` (a skorch teacher's layer, batch by batch, in eval
  mode without gradients) and :func:`leaf_embedding` (a tree ensemble's leaves,
  one-hot, reduced by a truncated SVD; measured, it did not beat plain KD, so
  ``SkorchStrategy`` offers it only to subclasses that set ``_allow_leaves``): the
  teacher's side, computed once per fit.

torch is imported inside the functions; ``import skdistill`` does not load it.
"""

import numpy as np

from .._validation import name_of

__all__ = [
    "LEAVES",
    "LayerCapture",
    "flat",
    "hint_loss",
    "leaf_embedding",
    "named_layer",
    "rkd_angle_loss",
    "rkd_distance_loss",
    "teacher_layer_outputs",
    "unwrap_teacher",
]

#: ``hint_layer`` / ``rkd_teacher_layer`` value naming a tree ensemble's leaves.
LEAVES = "leaves"

#: Rows of a batch that enter the angle-wise loss: its cost grows as rows**3.
MAX_ANGLE_ROWS = 64

#: Squared distances are clipped to this floor before their square root.
_EPS = 1e-12


# -- losses -------------------------------------------------------------------------


def flat(tensor):
    """``tensor`` as a matrix: one row per sample, its other dimensions flattened."""
    return tensor.reshape(tensor.shape[0], -1)


def hint_loss(guided, hint, weight=None):
    """FitNets' hint loss: mean over features of ``(guided - hint)**2``, then over rows.

    ``guided`` is the regressor's output for the student's guided layer, ``hint``
    the teacher's hint layer, both of shape (batch, d); rows are weighted by
    ``weight`` (mean taken over the batch, as for the Hinton loss).
    """
    per_row = ((guided - hint) ** 2).mean(dim=1)
    if weight is not None:
        per_row = weight * per_row
    return per_row.mean()


def _pair_distances(embedding):
    """Euclidean distances of the pairs ``i < j`` of rows, in ``triu_indices`` order."""
    import torch

    n = embedding.shape[0]
    i, j = torch.triu_indices(n, n, offset=1, device=embedding.device)
    squared = ((embedding[i] - embedding[j]) ** 2).sum(dim=1)
    return squared.clamp(min=_EPS).sqrt()


def rkd_distance_loss(student, teacher):
    """Distance-wise RKD loss of Park et al. (2019) for one batch of embeddings.

    Each model's distances between the pairs of rows are divided by their mean;
    the loss is the Huber loss (``smooth_l1``, delta 1) between the two, averaged
    over the pairs. ``teacher`` enters as a constant. Batches of fewer than two
    rows give 0.
    """
    import torch

    student, teacher = flat(student), flat(teacher).detach()
    if student.shape[0] < 2:
        return student.sum() * 0.0
    d_student = _pair_distances(student)
    d_teacher = _pair_distances(teacher)
    d_student = d_student / d_student.mean().clamp(min=_EPS)
    d_teacher = d_teacher / d_teacher.mean().clamp(min=_EPS)
    return torch.nn.functional.smooth_l1_loss(d_student, d_teacher)


def _angles(embedding):
    """Cosines ``<e_ij, e_kj>`` for every triplet, with ``e_ij`` the unit vector
    from row ``j`` to row ``i`` (zero when the rows coincide); flattened."""
    import torch

    diff = embedding.unsqueeze(0) - embedding.unsqueeze(1)  # [j, i] = e_i - e_j
    unit = torch.nn.functional.normalize(diff, p=2, dim=2)
    return torch.bmm(unit, unit.transpose(1, 2)).reshape(-1)


def rkd_angle_loss(student, teacher):
    """Angle-wise RKD loss of Park et al. (2019) for one batch of embeddings.

    The Huber loss (delta 1) between the cosines of the angles that every triplet
    of rows forms in the teacher's and in the student's embedding, averaged over
    the triplets (as in the authors' code, triplets with coinciding rows count
    with a cosine of 0 or 1 on both sides). Only the first ``MAX_ANGLE_ROWS`` (64)
    rows of a batch enter (the cost grows as rows**3; batches are shuffled).
    ``teacher`` enters as a constant. Batches of fewer than three rows give 0.
    """
    import torch

    student = flat(student)[:MAX_ANGLE_ROWS]
    teacher = flat(teacher)[:MAX_ANGLE_ROWS].detach()
    if student.shape[0] < 3:
        return student.sum() * 0.0
    return torch.nn.functional.smooth_l1_loss(_angles(student), _angles(teacher))


# -- layers and hooks -----------------------------------------------------------------


def named_layer(module, name, *, parameter, owner):
    """The submodule ``name`` of ``module``, or a ValueError listing the names."""
    layers = dict(module.named_modules())
    layers.pop("", None)
    if name in layers:
        return layers[name]
    shown = list(layers)[:30]
    more = f" (and {len(layers) - 30} more)" if len(layers) > 30 else ""
    raise ValueError(
        f"{parameter}={name!r} is not a layer of the {owner}'s module "
        f"{type(module).__name__}. Its layers (names from module.named_modules()) "
        f"are: {shown}{more}. Pass one of them."
    )


class LayerCapture:
    """Forward hooks recording the output of named layers of a torch module.

    Used as a context manager: the hooks are registered on entry and removed on
    exit (also when the block raises), so the module keeps no hook. ``outputs``
    maps each key to the last output of its layer (``detach=False``: with its
    gradient graph, for the student) or to the list of every output, detached, on
    the CPU as numpy (``detach=True``: the teacher, batch by batch).

    Parameters
    ----------
    layers : dict of str to torch.nn.Module
        Key -> layer to hook.
    detach : bool, default=False
        Collect detached numpy batches rather than keep the last tensor.
    """

    def __init__(self, layers, *, detach=False):
        self.layers = layers
        self.detach = detach
        self.outputs = {}
        self._handles = []

    def _hook(self, key):
        def record(module, inputs, output):
            if isinstance(output, tuple | list) or not hasattr(output, "shape"):
                raise TypeError(
                    f"The layer {key!r} ({type(module).__name__}) outputs "
                    f"{type(output).__name__}, not a tensor; name a layer whose output "
                    "is one tensor of shape (batch, ...)."
                )
            if self.detach:
                batch = flat(output.detach()).cpu().numpy()
                self.outputs.setdefault(key, []).append(batch)
            else:
                self.outputs[key] = output

        return record

    def __enter__(self):
        try:
            for key, layer in self.layers.items():
                self._handles.append(layer.register_forward_hook(self._hook(key)))
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Remove the hooks and forget the outputs."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if not self.detach:
            self.outputs = {}


def unwrap_teacher(teacher):
    """The model inside a ``FrozenEstimator``, and the ``Pipeline`` steps before the
    last (applied to ``X`` first) with its final step."""
    from sklearn.pipeline import Pipeline

    from .._validation import is_frozen

    if is_frozen(teacher):
        teacher = teacher.estimator
    if isinstance(teacher, Pipeline):
        return teacher[:-1], teacher.steps[-1][1]
    return None, teacher


def _transform(preprocess, X):
    return X if preprocess is None else preprocess.transform(X)


def teacher_layer_outputs(teacher, X, names, *, parameter):
    """Outputs of the teacher's layers ``names`` for the rows of ``X``.

    The teacher, a fitted skorch net (maybe frozen, or the last step of a
    pipeline), is run batch by batch through its own ``forward_iter``: in eval mode
    and without gradients. The hooks are removed and the train/eval mode of each of
    its modules restored afterwards, so the teacher is left as it was.

    Returns
    -------
    outputs : dict of str to ndarray of shape (n_samples, n_features)
        Float32 activations per layer name, flattened per row.
    """
    preprocess, net = unwrap_teacher(teacher)
    module = getattr(net, "module_", None)
    if module is None or not hasattr(net, "forward_iter"):
        raise TypeError(
            f"{parameter} names a layer of the teacher, but the teacher "
            f"{name_of(teacher)} is not a fitted skorch net (it has no torch module_), "
            "so it has no layers to imitate. For any teacher, relation-based "
            "distillation on its logits needs no layer (rkd_distance=..., "
            "rkd_teacher_layer=None)."
        )
    layers = {
        name: named_layer(module, name, parameter=parameter, owner="teacher")
        for name in names
    }
    modes = [(m, m.training) for m in module.modules()]
    try:
        with LayerCapture(layers, detach=True) as capture:
            for _ in net.forward_iter(_transform(preprocess, X), training=False):
                pass
            outputs = {key: np.concatenate(parts) for key, parts in capture.outputs.items()}
    except RuntimeError as err:
        raise ValueError(
            f"The teacher {name_of(teacher)} could not be run on the student's rows "
            f"(shape {getattr(X, 'shape', '?')}) to read {parameter}: {err}. Give the "
            "teacher the rows it was trained on, in its dtype (float32) and on its "
            "device; with student_features set, the student sees fewer columns than "
            "the teacher: leave student_features unset when naming a teacher layer."
        ) from err
    finally:
        for layer, training in modes:
            layer.training = training
    return {key: value.astype(np.float32) for key, value in outputs.items()}


def _leaves(model, X):
    """Leaf index of every row in every tree, shape (n_samples, n_trees)."""
    if type(model).__module__.split(".")[0] == "lightgbm":
        leaves = model.predict(X, pred_leaf=True)
    elif hasattr(model, "apply"):
        leaves = model.apply(X)
    else:
        raise TypeError(
            f"hint_layer='{LEAVES}' needs a tree-ensemble teacher that tells each row's "
            f"leaves (apply(), or LightGBM's predict(pred_leaf=True)); the teacher "
            f"{name_of(model)} has neither. Use a RandomForest, ExtraTrees, "
            "GradientBoosting, LightGBM or XGBoost teacher, or distil from its logits "
            "(rkd_teacher_layer=None)."
        )
    leaves = np.asarray(leaves)
    return leaves.reshape(leaves.shape[0], -1)


def leaf_embedding(teacher, X, n_components, random_state=None):
    """The teacher's leaves as a dense hint: one-hot, then a truncated SVD.

    Each row's leaf in each tree is one-hot encoded (a sparse matrix with one 1
    per tree); a :class:`~sklearn.decomposition.TruncatedSVD` fitted on these rows
    reduces it to ``n_components`` columns (fewer if the one-hot has fewer), which
    are scaled to a mean square of 1 so that ``beta`` means the same for any
    number of trees.

    Returns
    -------
    embedding : ndarray of shape (n_samples, n_components), float32
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import OneHotEncoder

    preprocess, model = unwrap_teacher(teacher)
    leaves = _leaves(model, _transform(preprocess, X))
    one_hot = OneHotEncoder(handle_unknown="ignore").fit_transform(leaves)
    n_components = int(min(n_components, one_hot.shape[1] - 1, one_hot.shape[0] - 1))
    if n_components < 1:
        raise ValueError(
            f"The teacher's leaves give {one_hot.shape[1]} one-hot column(s) on "
            f"{one_hot.shape[0]} row(s): too few for an embedding. Use more rows or a "
            "teacher with more leaves."
        )
    svd = TruncatedSVD(n_components=n_components, random_state=random_state)
    embedding = svd.fit_transform(one_hot)
    scale = np.sqrt(np.mean(embedding**2))
    return (embedding / (scale if scale > 0 else 1.0)).astype(np.float32)
