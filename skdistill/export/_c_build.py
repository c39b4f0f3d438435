"""Building the C code of a compiled student: size estimate, size guard, parallel build.

tl2cgen writes every tree of a model as nested ``if``/``else`` blocks; by default all
of them go into one function of one C file, and the compiler's time and memory grow
faster than linearly with the size of a function (a 500-tree forest ran ``gcc -O3``
for more than 20 minutes at 2.6 GB). Here the trees are split into translation units
of about :data:`NODES_PER_UNIT` nodes (tl2cgen's ``parallel_comp``), which keeps the
time per node constant and the memory per compiler process small, and the units are
compiled by ``n_jobs`` compiler processes at once, with a progress line on request.
Before any of that, the size of the code is estimated from the node counts and a
student above a limit is refused (:func:`check_size`).

The constants below were measured by ``benchmarks/bench_compile.py`` (results in
``benchmarks/results/compile*.md``).
"""

import json
import math
import os
import shlex
import subprocess
import sys
import time
import warnings
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor, as_completed
from numbers import Integral

from ..exceptions import CompileSizeWarning

#: Bytes of C that tl2cgen writes per split node and per leaf value (a leaf of a
#: k-class forest holds k values); fitted on forests, gradient boosting, LightGBM and
#: XGBoost models, the estimate is within a factor of 1.4 of the real size.
C_BYTES_PER_SPLIT = 170
C_BYTES_PER_LEAF_VALUE = 36
#: And the functions every model gets (number of classes, features, the sum of trees).
C_BYTES_FIXED = 1_000

#: Compiler seconds per 1,000 nodes with one job, split in units (measured: 0.45 to
#: 0.7 s for forests and LightGBM of 16,000 to 64,000 nodes on a shared 2-core
#: machine, median 0.6 s); used for the expected time in messages.
SECONDS_PER_1000_NODES = 0.6

#: Nodes per translation unit: small enough that the compiler's time per node stays
#: flat, large enough that the start of a compiler process per unit does not count.
NODES_PER_UNIT = 2_000

#: Above this many nodes, ``compile_student`` warns (two to three minutes on one job).
WARN_NODES = 250_000

#: Above this many nodes, ``compile_student`` refuses unless ``max_nodes`` is raised
#: (about 10 minutes on one job, 150 MB of C).
MAX_NODES = 1_000_000

#: Above this many nodes in ONE tree, ``compile_student`` warns: a tree is never split
#: across units, and the compiler's memory grows faster than its size (measured: about
#: 500 MB for a single tree of 10,000 nodes).
WARN_TREE_NODES = 20_000

#: What :func:`estimate` measures of a treelite model.
CodeEstimate = namedtuple(
    "CodeEstimate", ["nodes", "trees", "largest_tree", "c_bytes", "seconds"]
)


def estimate(tree_model):
    """Nodes of a treelite model, and the size and one-job compile time of its C code."""
    nodes = splits = leaf_values = largest = 0
    for i in range(tree_model.num_tree):
        accessor = tree_model.get_tree_accessor(i)
        count = int(accessor.get_field("num_nodes")[0])
        leaves = int((accessor.get_field("cleft") == -1).sum())
        width = max(1, len(accessor.get_field("leaf_vector")) // max(1, leaves))
        nodes += count
        splits += count - leaves
        leaf_values += leaves * width
        largest = max(largest, count)
    c_bytes = (
        C_BYTES_FIXED + C_BYTES_PER_SPLIT * splits + C_BYTES_PER_LEAF_VALUE * leaf_values
    )
    seconds = SECONDS_PER_1000_NODES * nodes / 1000
    return CodeEstimate(nodes, tree_model.num_tree, largest, c_bytes, seconds)


def jobs_of(n_jobs):
    """Compiler processes for ``n_jobs``: None or below 1, one per core; never more
    than the cores (each process may take 100 MB or more)."""
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs < 1:
        return cores
    return min(int(n_jobs), cores)


def units_of(size, jobs):
    """Translation units for tl2cgen's ``parallel_comp`` (0: one file, no split).

    One unit per :data:`NODES_PER_UNIT` nodes, at least one per job, at most one per
    tree (tl2cgen does not split a tree).
    """
    units = min(size.trees, max(jobs, math.ceil(size.nodes / NODES_PER_UNIT)))
    return units if units > 1 else 0


def describe(size, jobs=1):
    """``12,345 nodes in 40 trees (about 1.9 MB of C, about 4 s to compile...)``."""
    seconds = size.seconds / min(jobs, max(1, size.trees))
    return (
        f"{size.nodes:,} nodes in {size.trees:,} trees (about {_megabytes(size.c_bytes)} "
        f"of C, about {_duration(seconds)} to compile with {jobs} "
        f"job{'s' if jobs > 1 else ''})"
    )


def check_max_nodes(max_nodes):
    if max_nodes is None:
        return
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, Integral):
        raise TypeError(
            f"max_nodes must be a positive int or None (no limit); got "
            f"{type(max_nodes).__name__}."
        )
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int or None; got {max_nodes}.")


def check_size(size, max_nodes, jobs):
    """Refuse a student above ``max_nodes``; warn above :data:`WARN_NODES`."""
    what = describe(size, jobs)
    if max_nodes is not None and size.nodes > max_nodes:
        raise ValueError(
            f"Refusing to compile the student: it has {what}, above max_nodes="
            f"{max_nodes:_}. The compiler's time grows with the number of nodes "
            f"(about {SECONDS_PER_1000_NODES} s per 1,000 nodes on one job). Pass "
            f"max_nodes={_round_up(size.nodes)} (or None) to compile it anyway, with "
            "n_jobs=-1 to use every core; or export it with skdistill.export.to_onnx, "
            "which has no such cost; or distil a smaller student (fewer trees, a "
            "max_depth or max_leaf_nodes)."
        )
    if size.nodes > WARN_NODES:
        warnings.warn(
            f"The student has {what}: above {WARN_NODES:,} nodes, compiling takes "
            "minutes. Pass n_jobs=-1 to compile on every core and verbose=True to see "
            "the progress; skdistill.export.to_onnx or a smaller student avoid the "
            "wait.",
            CompileSizeWarning,
            stacklevel=3,
        )
    if size.largest_tree > WARN_TREE_NODES:
        warnings.warn(
            f"The student's largest tree has {size.largest_tree:,} nodes: a tree is "
            f"compiled as one function, never split, and above {WARN_TREE_NODES:,} "
            "nodes the compiler needs gigabytes of memory and a time that grows faster "
            "than the tree (about 500 MB for 10,000 nodes). Cap the tree (max_depth, "
            "max_leaf_nodes, num_leaves) or export it with skdistill.export.to_onnx.",
            CompileSizeWarning,
            stacklevel=3,
        )


def build_library(toolchain, sources, jobs, *, size, verbose):
    """Compile tl2cgen's sources in ``sources`` into one shared library; its path.

    The commands are tl2cgen's (``-O3 -fPIC -std=c99``, linked with ``-lm``), run
    without a shell, ``jobs`` compiler processes at once, the largest units first.
    With ``verbose``, a progress line goes to the standard error at each tenth of
    the units.
    """
    recipe = json.loads((sources / "recipe.json").read_text())
    names = [
        source["name"]
        for source in sorted(recipe["sources"], key=lambda s: -int(s["length"]))
    ]
    compiler = shlex.split(toolchain)
    units = sum(name.startswith("tu") for name in names) or 1
    say = _progress if verbose else lambda message: None
    say(
        f"{size.nodes:,} nodes in {size.trees:,} trees, about "
        f"{_megabytes(size.c_bytes)} of C: compiling {units} unit"
        f"{'s' if units > 1 else ''} with {jobs} job{'s' if jobs > 1 else ''} "
        f"(expect about {_duration(size.seconds / min(jobs, units))})"
    )
    start = time.perf_counter()

    def compile_one(name):
        command = [*compiler, "-c", "-O3", "-o", f"{name}.o", f"{name}.c", "-fPIC"]
        _run([*command, "-std=c99"], sources, f"{name}.c")

    with ThreadPoolExecutor(max_workers=min(jobs, len(names))) as pool:
        futures = [pool.submit(compile_one, name) for name in names]
        shown = 0
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                if verbose and 10 * done // len(names) > shown:
                    shown = 10 * done // len(names)
                    elapsed = time.perf_counter() - start
                    say(f"{done}/{len(names)} files compiled ({elapsed:.1f} s)")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    library = sources / f"{recipe['target']}.so"
    objects = [f"{name}.o" for name in names]
    link = [*compiler, "-shared", "-O3", "-o", library.name, *objects, "-std=c99"]
    _run([*link, "-lm"], sources, "the shared library")
    say(f"built the library in {time.perf_counter() - start:.1f} s")
    return library


def _run(command, cwd, what):
    try:
        done = subprocess.run(
            command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
    except OSError as exc:
        raise RuntimeError(
            f"Cannot run the C compiler {command[0]!r} ({exc}); pass toolchain=... "
            "naming a gcc- or clang-compatible compiler."
        ) from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode("utf-8", "replace").strip()
        raise RuntimeError(
            f"The C compiler failed on {what} (exit status {done.returncode}): "
            f"{output[-2000:]}"
        )


def _progress(message):
    print(f"compile_student: {message}", file=sys.stderr, flush=True)


def _megabytes(n_bytes):
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e5 else f"{n_bytes / 1e3:.0f} kB"


def _duration(seconds):
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _round_up(nodes):
    """``nodes`` rounded up to two significant digits, with thousands separators."""
    step = 10 ** max(0, len(str(nodes)) - 2)
    return f"{-(-nodes // step) * step:_}"
