"""What compiling a tree student costs: seconds per 1,000 nodes, code size, memory.

    python benchmarks/bench_compile.py            # writes results/compile.md
    python benchmarks/bench_compile.py --quick    # smaller models, compile_quick.md

Builds tree students of growing size (one decision tree, random forests, LightGBM;
up to ~64,000 nodes, far below ``compile_student``'s default limit of 1,000,000)
and compiles each as ``compile_student`` does (``skdistill.export._c_build``): tl2cgen
writes the C code split into units of about 2,000 nodes, the units are compiled by
one or two compiler processes. For the smaller models the code is also compiled as
one file, as before the split (issue 16, item 2). For each it records the nodes,
the estimated and the real size of the C code, the compile time per 1,000 nodes
and the peak memory of one compiler process (from ``os.wait4`` on each compiler
run, through a small wrapper given as the toolchain). Timings on a shared machine
are noisy.
"""

import argparse
import os
import shlex
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from _common import machine_facts, write_result
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from skdistill.export import _c_build, _compiled

#: A compiler wrapper that appends the peak memory (KiB) of its compiler run to a file.
WRAPPER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "a") as f:
    f.write(f"{usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""

#: Largest size of each family for which the single-file build is timed too.
SINGLE_FILE_UP_TO = 20_000


def families(quick):
    """(family, size label, make student) for growing sizes."""
    leaves = (1_000, 4_000) if quick else (1_000, 4_000, 16_000)
    for n in leaves:
        yield (
            "decision tree",
            f"up to {n:,} leaves",
            lambda n=n: DecisionTreeClassifier(max_leaf_nodes=n, random_state=0),
        )
    for n in (4, 16) if quick else (4, 16, 64):
        yield (
            "random forest",
            f"{n} trees x 500 leaves",
            lambda n=n: RandomForestClassifier(
                n, max_leaf_nodes=500, n_jobs=1, random_state=0
            ),
        )
    try:
        import lightgbm
    except ImportError:
        return
    for n in (64, 256) if quick else (64, 256, 1024):
        yield (
            "LightGBM",
            f"{n} trees x 31 leaves",
            lambda n=n: lightgbm.LGBMClassifier(
                n_estimators=n, num_leaves=31, verbose=-1, n_jobs=1, random_state=0
            ),
        )


def compile_once(tree_model, size, jobs, *, split, wrapper):
    """Seconds to compile, real bytes of C, peak KiB of one compiler process."""
    import tl2cgen

    with tempfile.TemporaryDirectory() as folder:
        sources = Path(folder)
        peaks = sources / "peaks.txt"
        units = _c_build.units_of(size, jobs) if split else 0
        with _compiled._quiet_code_generation(False):
            tl2cgen.generate_c_code(tree_model, sources, {"parallel_comp": units})
        c_bytes = sum(p.stat().st_size for p in sources.glob("*.c"))
        toolchain = shlex.join([sys.executable, "-S", str(wrapper), str(peaks), "gcc"])
        start = time.perf_counter()
        _c_build.build_library(toolchain, sources, jobs, size=size, verbose=False)
        seconds = time.perf_counter() - start
        peak = max(int(line) for line in peaks.read_text().split())
    return seconds, c_bytes, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller models")
    args = parser.parse_args()
    import treelite

    warnings.simplefilter("ignore")
    X, y = make_classification(40_000, 20, n_informative=12, flip_y=0.2, random_state=0)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        wrapper = Path(folder) / "peak.py"
        wrapper.write_text(WRAPPER)
        for family, label, make in families(args.quick):
            student = make().fit(X, y)
            tree_model = _compiled._import_trees(treelite, student)
            size = _c_build.estimate(tree_model)
            runs = {}
            for name, jobs, split in (
                ("units, 1 job", 1, True),
                ("units, 2 jobs", 2, True),
            ):
                runs[name] = compile_once(
                    tree_model, size, jobs, split=split, wrapper=wrapper
                )
            if size.nodes <= SINGLE_FILE_UP_TO:
                runs["one file"] = compile_once(
                    tree_model, size, 1, split=False, wrapper=wrapper
                )
            rows.append((family, label, size, _c_build.units_of(size, 1), runs))
            print(family, label, size, runs, flush=True)

    command = "python benchmarks/bench_compile.py" + (" --quick" if args.quick else "")
    lines = [
        "# Compiling tree students: time, code size and memory per node (issue 16)",
        "",
        f"`{command}`",
        "",
        "Binary classifiers fitted on 40,000 synthetic rows (20 features), compiled as "
        "`compile_student` does: C code by tl2cgen split into units of about "
        f"{_c_build.NODES_PER_UNIT:,} nodes (a tree is never split), built with "
        "`gcc -O3` by 1 or 2 compiler processes; `one file` is the build before the "
        "split (all trees in one function), timed for the smaller models only. "
        "`s / 1k nodes` is the wall time of the build over the nodes. `est. / real "
        "C` compares `compile_student`'s estimate of the code size with the code "
        "written. `peak MB` is the largest resident memory of one compiler process. "
        "One run each, on a machine shared with other jobs: timings are noisy.",
        "",
        "| student | size | nodes | units | C MB | est. / real C | C bytes / node "
        "| units, 1 job: s | s / 1k nodes | units, 2 jobs: s | s / 1k nodes "
        "| one file: s | s / 1k nodes | peak MB (units / one file) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for family, label, size, units, runs in rows:
        c_bytes = runs["units, 1 job"][1]
        cells = [
            family,
            label,
            f"{size.nodes:,}",
            str(max(units, 1)),
            f"{c_bytes / 1e6:.1f}",
            f"{size.c_bytes / c_bytes:.2f}",
            f"{c_bytes / size.nodes:.0f}",
        ]
        for name in ("units, 1 job", "units, 2 jobs", "one file"):
            if name in runs:
                seconds = runs[name][0]
                cells += [f"{seconds:.1f}", f"{1000 * seconds / size.nodes:.2f}"]
            else:
                cells += ["–", "–"]
        peaks = [
            f"{runs[n][2] / 1024:.0f}" for n in ("units, 1 job", "one file") if n in runs
        ]
        cells.append(" / ".join(peaks))
        lines.append("| " + " | ".join(cells) + " |")
    per_1k = [
        1000 * runs["units, 1 job"][0] / size.nodes
        for family, _, size, _, runs in rows
        if family != "decision tree"
    ]
    lines += [
        "",
        f"Forests and boosting split in units, one job: median "
        f"{np.median(per_1k):.2f} s per 1,000 nodes (`compile_student` assumes "
        f"{_c_build.SECONDS_PER_1000_NODES} s in its messages). It warns above "
        f"{_c_build.WARN_NODES:,} nodes and refuses above {_c_build.MAX_NODES:,} "
        "unless `max_nodes` is raised.",
        "",
        machine_facts() + f"; {os.cpu_count()} cores seen by the compiler runs",
        "",
    ]
    name = "compile_quick.md" if args.quick else "compile.md"
    path = write_result(name, "\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
