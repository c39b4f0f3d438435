"""Files written atomically (a temporary file beside the target, then a rename),
and byte counts as people read them.

An interrupted or failed write leaves either the complete new file or the old one
(or none), never a partial file. Used by the exporters, the CLI and the demo.
"""

import os
import secrets
from pathlib import Path

__all__ = ["format_size", "write_atomic"]


def write_atomic(path, write, *, overwrite=True):
    """Write ``path`` through a temporary file beside it, then rename it.

    ``write`` is the content (str, written as UTF-8, or bytes) or a function called
    with the temporary file's path.

    The temporary file is removed on any error (or interruption), so ``path`` either
    holds the complete new file or is left untouched. Without ``overwrite`` an
    existing ``path`` is refused, before and at the rename (``os.link`` is atomic).
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give the path of a file to write.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"The folder {path.parent} does not exist; create it before writing "
            f"{path.name}."
        )
    if not overwrite and path.exists():
        raise _exists_error(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # honours umask
    try:
        if isinstance(write, str | bytes):
            data = write.encode("utf-8") if isinstance(write, str) else write
            tmp.write_bytes(data)
        else:
            write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path appeared meanwhile
            except FileExistsError:
                raise _exists_error(path) from None
            except OSError:  # no hard links on this file system
                if path.exists():
                    raise _exists_error(path) from None
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _exists_error(path):
    return FileExistsError(
        f"{path} already exists; pass overwrite=True to replace it, or choose another path."
    )


def format_size(n_bytes):
    """``n_bytes`` in B, kB, MB or GB (powers of 1000), e.g. ``"17.5 kB"``."""
    for unit in ("B", "kB", "MB", "GB"):
        if n_bytes < 1000 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
