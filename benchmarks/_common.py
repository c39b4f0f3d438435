"""Helpers shared by the benchmark scripts: machine facts and Markdown output."""

import os
import platform
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine_facts():
    """One line of versions and hardware, for the header of every result table."""
    import numpy
    import sklearn

    import skdistill

    cpu = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in out.splitlines()
                if "Model name" in line
            ),
            cpu,
        )
    except OSError:
        pass
    return (
        f"skdistill {skdistill.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {numpy.__version__}, Python {sys.version.split()[0]}; "
        f"{os.cpu_count()} CPU(s) ({cpu}), {platform.system()}"
    )


def write_result(name, text):
    """Write ``benchmarks/results/<name>`` and return its path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(text, encoding="utf-8")
    return path


def mean_sd(values, fmt="{:.3f}"):
    """``mean ± sd`` of a list of numbers."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{fmt.format(values.mean())} ± {fmt.format(sd)}"
