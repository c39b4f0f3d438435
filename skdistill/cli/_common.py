"""What the commands share: exit statuses, errors, Ctrl-C, progress, warnings,
option types, outputs that land together, and the distiller they fit.

Only the standard library is imported at module level, so that building the
parser of a command costs nothing.
"""

import argparse
import contextlib
import errno
import math
import sys
import time
import warnings

__all__ = [
    "INTERRUPTED",
    "RUNTIME_ERROR",
    "USAGE_ERROR",
    "CapturedWarnings",
    "CommandError",
    "Progress",
    "UsageError",
    "add_json_and_quiet",
    "atomic_outputs",
    "distiller",
    "fraction",
    "interrupted",
    "run_command",
    "seed",
    "temperature",
    "unit_interval",
]

#: Exit statuses: a command line that cannot be honoured as given (bad or conflicting
#: options, missing input files or target column, outputs that exist), a failure
#: while loading, fitting or writing, and an interruption (Ctrl-C).
USAGE_ERROR = 2
RUNTIME_ERROR = 1
INTERRUPTED = 130


class UsageError(Exception):
    """The command line cannot be honoured as given (exit status 2)."""


class CommandError(Exception):
    """Loading, fitting or writing failed (exit status 1)."""


def run_command(args):
    """Run the parsed command ``args.run(args)``; return its exit status.

    A usage error prints the command's usage and one line, a failure one line, and
    Ctrl-C (also while scikit-learn is being imported) one line: no traceback.
    """
    parser = args.parser
    try:
        return args.run(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except CommandError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return RUNTIME_ERROR
    except KeyboardInterrupt:
        return interrupted(parser.prog)


def interrupted(prog):
    """Say that ``prog`` was interrupted (outputs land together, so none did)."""
    print(f"\n{prog}: interrupted; no output written.", file=sys.stderr)
    return INTERRUPTED


# -- option types -----------------------------------------------------------------------


def _number(text, expected):
    """``text`` as a finite float, or argparse's error saying what was expected."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text}")
    return value


def fraction(text):
    """A number in [0, 1)."""
    value = _number(text, "a number in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def unit_interval(text):
    """A number in [0, 1]."""
    value = _number(text, "a number in [0, 1]")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


#: The temperatures DistilledClassifier accepts.
_TEMPERATURES = (1.0, 100.0)


def temperature(text):
    """A temperature DistilledClassifier accepts, from 1 to 100."""
    low, high = _TEMPERATURES
    expected = f"a number from {low:g} to {high:g} (1: the teacher's own probabilities)"
    value = _number(text, expected)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text}")
    return value


def seed(text):
    """A seed numpy accepts: a whole number from 0 to 2**32 - 1."""
    expected = "a whole number from 0 to 4294967295"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text}")
    return value


def add_json_and_quiet(group, *, json_help, printed):
    """``--json`` and ``--quiet``, which every command takes; ``printed`` says what
    ``--quiet`` still prints."""
    group.add_argument("--json", action="store_true", help=json_help)
    group.add_argument(
        "--quiet",
        action="store_true",
        help=f"no progress messages on stderr ({printed} still printed)",
    )


# -- progress and warnings on stderr ----------------------------------------------------


class Progress:
    """Progress on stderr: messages, numbered stages and counters of fits.

    ``total`` stages are numbered ``[k/total]``; on a terminal with tqdm they also
    drive a bar. Nothing is printed when ``quiet``.
    """

    def __init__(self, prog, *, quiet, total=None, stream=None):
        self.prog = prog
        self.quiet = quiet
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        self.done = 0
        self.seconds = {}  # stage label -> seconds it took
        self._bar = None
        if total and not quiet and self.stream.isatty():
            tqdm = _tqdm()
            if tqdm is not None:
                self._bar = tqdm(
                    total=total,
                    file=self.stream,
                    desc=prog,
                    bar_format="{desc}: {n}/{total} steps |{bar}| {elapsed}",
                    leave=False,
                )

    def message(self, text):
        """One line (above the bar, if any)."""
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    @contextlib.contextmanager
    def stage(self, label):
        """``[k/total] label ...`` (or ``label ...``); times the stage."""
        number = f"[{self.done + 1}/{self.total}] " if self.total else ""
        self.message(f"{number}{label} ...")
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] = round(time.perf_counter() - start, 2)
            self.done += 1
            if self._bar is not None:
                self._bar.update(1)

    def counter(self, total, desc):
        """Something to ``update(1)`` after each of ``total`` fits, then ``close()``:
        a tqdm bar if tqdm is installed, else one line rewritten in place."""
        tqdm = _tqdm()
        if tqdm is None:
            return _Counter(total, desc, self)
        return tqdm(
            total=total, desc=desc, unit="fit", disable=self.quiet, file=self.stream
        )

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class _Counter:
    """A count of fits on one line of stderr, without tqdm."""

    def __init__(self, total, desc, progress):
        self.total, self.desc, self.progress, self.n = total, desc, progress, 0

    def update(self, n):
        self.n += n
        if not self.progress.quiet:
            end = "\n" if self.n >= self.total else ""
            stream = self.progress.stream
            print(f"\r{self.desc}: {self.n}/{self.total} fits", end=end, file=stream)
            stream.flush()

    def close(self):
        pass


def warn(prog, message):
    """``prog: warning: message`` on stderr."""
    print(f"{prog}: warning: {message}", file=sys.stderr, flush=True)


class CapturedWarnings:
    """Warnings raised during a run, said once each (with a count) when it ends.

    Dropped: warnings of the ``ignore`` categories, deprecations (they are for
    developers; Python hides them from users too), and scikit-learn's about
    feature names (the commands pass frames and arrays on purpose).
    """

    _IGNORED = ("does not have valid feature names", "X has feature names, but")

    def __init__(self, prog, *, ignore=()):
        self.prog = prog
        self.ignore = (DeprecationWarning, PendingDeprecationWarning, *ignore)

    def __enter__(self):
        self._context = warnings.catch_warnings(record=True)
        self.caught = self._context.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._context.__exit__(*exc)
        counts = {}
        for item in self.caught:
            message = str(item.message)
            if issubclass(item.category, self.ignore) or any(
                text in message for text in self._IGNORED
            ):
                continue
            key = (item.category.__name__, message)
            counts[key] = counts.get(key, 0) + 1
        for (category, message), count in counts.items():
            times = f" ({count} times)" if count > 1 else ""
            warn(self.prog, f"{category}: {message}{times}")
        return False


# -- outputs ----------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_outputs(*, overwrite):
    """:class:`~skdistill._io.AtomicFiles` for a command's outputs: they land
    together at ``commit()``, or not at all; an ``OSError`` becomes a
    CommandError naming the file, why, and what to do."""
    from .._io import AtomicFiles

    try:
        with AtomicFiles(overwrite=overwrite) as files:
            yield files
    except OSError as exc:
        raise CommandError(_write_error(exc)) from None


def _write_error(exc):
    """The message for an OSError while writing: which file, why, and what to do."""
    path = exc.filename or "the outputs"
    why = "it already exists" if exc.errno == errno.EEXIST else exc.strerror or str(exc)
    fix = {
        errno.ENOSPC: "free some disk space, or write the outputs to another folder",
        errno.EDQUOT: "free some space in your quota, or write the outputs elsewhere",
        errno.EACCES: "check the permissions of the folder, or write the outputs elsewhere",
        errno.EPERM: "check the permissions of the folder, or write the outputs elsewhere",
        errno.EROFS: "write the outputs to a folder that is not read-only",
        errno.EEXIST: "pass --force to overwrite it, or choose another output path",
    }.get(exc.errno, "fix the cause, or write the outputs to another folder")
    return (
        f"could not write {path}: {why}. Nothing was written: the output files are as "
        f"they were before this run. To fix it, {fix}, then run again."
    )


# -- the model ---------------------------------------------------------------------------


def distiller(teacher, student, **params):
    """The DistilledClassifier of a command: ``teacher`` is fitted (checked when it
    is loaded), so it is used as it is.

    The one place where the command line builds a distiller.
    """
    from .. import DistilledClassifier

    return DistilledClassifier(teacher, student, **params)
