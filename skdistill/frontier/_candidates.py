"""The students a compression sweep tries: families of models, each at several sizes.

``students="auto"`` gives, cheapest first: a scaled logistic regression, decision
trees by depth, LightGBM and XGBoost models by rounds x leaves (when installed) and
a small scaled scikit-learn MLP (always: it needs no torch). A user's list is taken
as it is; torch nets (skorch ``NeuralNetClassifier``) are passed there, built for
the data's feature and class counts.
"""

import importlib.util
from dataclasses import dataclass

from sklearn.base import clone

from .._validation import name_of

__all__ = ["Candidate", "auto_candidates", "resolve_candidates"]

#: Depths of the decision-tree family.
TREE_DEPTHS = (2, 3, 4, 6, 8)
#: (rounds, leaves) of the LightGBM family.
LIGHTGBM_SIZES = ((10, 4), (30, 8), (100, 8), (100, 16), (300, 16))
#: (rounds, max_depth) of the XGBoost family (at most 2**max_depth leaves a tree).
XGBOOST_SIZES = ((10, 2), (30, 3), (100, 4))
#: Hidden layer sizes of the MLP family.
MLP_SIZES = ((16,),)


@dataclass(frozen=True)
class Candidate:
    """One student of the sweep: its family, its size in words, the unfitted model."""

    family: str
    capacity: str
    student: object

    @property
    def name(self):
        return f"{self.family} {self.capacity}".strip()


def _installed(module):
    return importlib.util.find_spec(module) is not None


def auto_candidates():
    """The default sweep, cheapest families and sizes first (see module docstring)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    candidates = [
        Candidate(
            "logreg",
            "C=1",
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        )
    ]
    candidates += [
        Candidate("tree", f"depth={depth}", DecisionTreeClassifier(max_depth=depth))
        for depth in TREE_DEPTHS
    ]
    if _installed("lightgbm"):
        from lightgbm import LGBMClassifier

        candidates += [
            Candidate(
                "lightgbm",
                f"{rounds}x{leaves} leaves",
                LGBMClassifier(
                    n_estimators=rounds, num_leaves=leaves, n_jobs=1, verbose=-1
                ),
            )
            for rounds, leaves in LIGHTGBM_SIZES
        ]
    if _installed("xgboost"):
        from xgboost import XGBClassifier

        candidates += [
            Candidate(
                "xgboost",
                f"{rounds}x depth {depth}",
                XGBClassifier(n_estimators=rounds, max_depth=depth, n_jobs=1),
            )
            for rounds, depth in XGBOOST_SIZES
        ]
    candidates += [
        Candidate(
            "mlp",
            "x".join(map(str, sizes)),
            make_pipeline(
                StandardScaler(), MLPClassifier(sizes, max_iter=300, early_stopping=True)
            ),
        )
        for sizes in MLP_SIZES
    ]
    return candidates


def _final_step(estimator):
    steps = getattr(estimator, "steps", None)
    return _final_step(steps[-1][1]) if steps else estimator


def _capacity_of(estimator):
    """The parameters set on the final step, e.g. ``"max_depth=3"``."""
    final = _final_step(estimator)
    if not hasattr(final, "get_params"):
        return ""
    try:
        defaults = type(final)().get_params(deep=False)
    except TypeError:  # required constructor arguments: no defaults to compare with
        return ""
    changed = {
        key: value
        for key, value in final.get_params(deep=False).items()
        if key in defaults and repr(value) != repr(defaults[key])
    }
    return ", ".join(f"{key}={value!r}" for key, value in changed.items())


def resolve_candidates(students):
    """``students`` as a list of :class:`Candidate` (each student cloned).

    ``"auto"``, or a list whose items are estimators, ``(name, estimator)`` pairs or
    ``(family, capacity, estimator)`` triples; a dict maps names to estimators.
    """
    if isinstance(students, str):
        if students != "auto":
            raise ValueError(
                f"students={students!r} is not understood; pass 'auto' or a list of "
                "unfitted classifiers (or (name, classifier) pairs)."
            )
        return auto_candidates()
    items = list(students.items()) if isinstance(students, dict) else list(students)
    if not items:
        raise ValueError(
            "students is empty; pass 'auto' or at least one unfitted classifier."
        )
    candidates = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 3:
            family, capacity, student = item
        elif isinstance(item, tuple) and len(item) == 2:
            name, student = item
            family, capacity = type(_final_step(student)).__name__, str(name)
        else:
            student = item
            family, capacity = type(_final_step(student)).__name__, _capacity_of(item)
        if not (hasattr(student, "fit") and hasattr(student, "get_params")):
            raise TypeError(
                f"students holds {name_of(student)} ({item!r}), which is not an "
                "unfitted scikit-learn estimator; pass classifiers such as "
                "DecisionTreeClassifier(max_depth=4), or (name, classifier) pairs."
            )
        candidates.append(Candidate(str(family), str(capacity), clone(student)))
    names = [candidate.name for candidate in candidates]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"students has several candidates named {repeated}; give each a name of "
            "its own with (name, classifier) pairs."
        )
    return candidates
