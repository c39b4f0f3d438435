"""The ``skdistill`` command: ``skdistill demo`` and ``skdistill distill``.

Each command is a module of this package with its own ``add_arguments(parser)``
and ``run(args)``; ``skdistill.cli._common`` holds what they share (exit
statuses, errors, Ctrl-C, progress, warnings, option types, outputs that land
together). The table below names each command's module and one-line summary, so
that ``skdistill --help`` imports no command, and ``skdistill distill ...`` only
``distill``'s. Everything is standard library until a command runs: scikit-learn,
numpy, pandas, skops and the student frameworks are imported inside ``run``, so
``--help`` answers at once.
"""

import argparse
import importlib
import sys

__all__ = ["main"]

#: name -> (module, one-line summary shown by ``skdistill --help``).
_COMMANDS = {
    "demo": (
        "._demo",
        "distil boosted teachers into small students on embedded data and report",
    ),
    "distill": (
        "._distill",
        "distil a saved classifier into a compact student on your data",
    ),
}


def _parser(commands=None):
    """The ``skdistill`` parser; the options of ``commands`` (default: all) are added
    by their modules, the others are listed by name and summary only."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="skdistill",
        description="Knowledge distillation for scikit-learn: compress a fitted model "
        "into a compact student.",
        epilog="Run 'skdistill COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, summary) in _COMMANDS.items():
        command = sub.add_parser(
            name, help=summary, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        if commands is None or name in commands:
            importlib.import_module(module, __name__).add_arguments(command)
            command.set_defaults(parser=command)
    return parser


def _command_in(argv):
    """The command named in ``argv`` (its first word that is not an option), or None."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return word if word in _COMMANDS else None


def main(argv=None):
    """Run the ``skdistill`` command line and return its exit status.

    The ``skdistill`` console script and ``python -m skdistill`` call it;
    ``skdistill --help`` lists the commands, ``skdistill COMMAND --help`` their
    options.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 for a command line that cannot be honoured (the message
        says which option to change), 1 when loading, fitting or writing fails,
        130 when interrupted (Ctrl-C). argparse's own errors and ``--help`` exit
        through ``SystemExit`` (status 2 and 0).

    Examples
    --------
    A teacher file that does not exist is a usage error, found before anything
    is read or fitted (the message goes to standard error):

    >>> from skdistill.cli import main
    >>> main(["distill", "--teacher", "missing.skops", "--data", "train.csv",
    ...       "--target", "label", "--out", "student.skops"])
    2
    """
    from ._common import interrupted, run_command

    argv = sys.argv[1:] if argv is None else [str(arg) for arg in argv]
    command = _command_in(argv)
    try:
        args = _parser([command] if command else []).parse_args(argv)
    except KeyboardInterrupt:
        return interrupted("skdistill" + (f" {command}" if command else ""))
    return run_command(args)
