"""Transfer-set generators: synthetic rows for the teacher to label.

A transfer set adds rows, generated at fit time and labeled only by the teacher, to
the student's training set, so that the student sees more of the teacher's function
than the labeled rows show. Every generator has a method
``sample(X, n, random_state=None, y=None)`` that returns ``n`` new rows of the same
type as ``X``; categorical columns are never jittered or interpolated, only copied
from existing rows. :func:`sample_dask` generates a transfer set as a lazy Dask
collection, partition by partition.
"""

from ._base import FunctionSampler, TransferSampler, transfer_count
from ._dask import partition_seed, sample_dask
from ._gaussian import GaussianJitter
from ._minority import MinorityOversampler
from ._mixup import Mixup
from ._munge import MUNGE
from ._registry import available_transfer_sets, register, resolve_transfer_set

__all__ = [
    "MUNGE",
    "FunctionSampler",
    "GaussianJitter",
    "MinorityOversampler",
    "Mixup",
    "TransferSampler",
    "available_transfer_sets",
    "partition_seed",
    "register",
    "resolve_transfer_set",
    "sample_dask",
    "transfer_count",
]
