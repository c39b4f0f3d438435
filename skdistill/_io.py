"""Files written atomically (a temporary file beside the target, then a rename),
and byte counts as people read them.

An interrupted or failed write leaves either the complete new file or the old one
(or none), never a partial file. :class:`AtomicFiles` extends this to several files
that land together or not at all. Used by the exporters, the CLI and the demo.
"""

import errno
import os
import secrets
from pathlib import Path

__all__ = ["AtomicFiles", "format_size", "write_atomic"]


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
    tmp = _new_temp(path, "tmp")
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


def _new_temp(path, kind):
    """An empty, new, hidden file beside ``path``: ``.<stem>.<random>.<kind><suffix>``."""
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.{kind}{path.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # honours umask
    return tmp


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


class AtomicFiles:
    """Several files that land together, or not at all.

    Each file is first written to a temporary file beside its target
    (:meth:`write`, or :meth:`path` for a writer that takes a path). :meth:`commit`
    then moves them all into place; if one move fails (or is interrupted), the
    targets already moved get back what they held before, so the folder is as it
    was. Leaving the ``with`` block without :meth:`commit`, or on an error, removes
    the temporary files and changes no target.

    Files that a target replaces are kept as hidden backups (hard links, or renames
    where the file system has no hard links) until every move has succeeded.

    Parameters
    ----------
    overwrite : bool, default=True
        Replace existing targets. Without it a target that exists when
        :meth:`path` or :meth:`write` is called, or that appears before
        :meth:`commit`, raises ``FileExistsError`` (and nothing lands).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skdistill._io import AtomicFiles
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "model.txt").write_text("old model")
    9
    >>> with AtomicFiles() as files:
    ...     files.write(folder / "model.txt", "new model")
    ...     files.write(folder / "report.md", "# new report")
    ...     raise_before_commit = False
    ...     files.commit()
    >>> (folder / "model.txt").read_text(), (folder / "report.md").read_text()
    ('new model', '# new report')
    >>> try:
    ...     with AtomicFiles() as files:
    ...         files.write(folder / "model.txt", "newer model")
    ...         raise OSError("disk full while writing the second file")
    ... except OSError:
    ...     pass
    >>> (folder / "model.txt").read_text()
    'new model'
    >>> sorted(p.name for p in folder.iterdir())
    ['model.txt', 'report.md']
    """

    def __init__(self, *, overwrite=True):
        self.overwrite = overwrite
        self._staged = {}  # target -> temporary file
        self._committed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for tmp in self._staged.values():
            tmp.unlink(missing_ok=True)
        self._staged.clear()
        return False

    def path(self, target):
        """A new empty temporary file beside ``target`` to write; it lands at commit.

        Raises the ``OSError`` of the file system (e.g. ``FileNotFoundError`` for a
        missing folder) with ``filename`` set to ``target``.
        """
        target = Path(target)
        if self._committed:
            raise RuntimeError("These files have been committed; start a new AtomicFiles.")
        if target in self._staged:
            raise ValueError(f"{target} is already written in this group of files.")
        if target.is_dir():
            raise IsADirectoryError(
                f"{target} is a folder; give the path of a file to write."
            )
        if not self.overwrite and target.exists():
            raise _exists(target)
        try:
            tmp = _new_temp(target, "tmp")
        except OSError as exc:
            raise _naming(exc, target) from exc
        self._staged[target] = tmp
        return tmp

    def write(self, target, content):
        """Write ``content`` (str as UTF-8, or bytes) for ``target``; it lands at commit."""
        tmp = self.path(target)
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise _naming(exc, target) from exc

    def commit(self):
        """Move every file into place, all or none.

        On failure (or interruption) every target is restored to what it held before
        and the exception is raised again (an ``OSError`` names its target).
        """
        moved = []  # (target, backup or None) of the targets replaced so far
        try:
            for target, tmp in self._staged.items():
                with open(tmp, "rb") as handle:
                    os.fsync(handle.fileno())
                backup = None
                if target.exists():
                    if not self.overwrite:
                        raise _exists(target)
                    try:
                        backup = _backup(target)
                    except OSError as exc:
                        raise _naming(exc, target) from exc
                try:
                    os.replace(tmp, target)
                except BaseException as exc:
                    _restore(target, backup, replaced=False)
                    if isinstance(exc, OSError):
                        raise _naming(exc, target) from exc
                    raise
                moved.append((target, backup))
        except BaseException:
            for target, backup in reversed(moved):
                _restore(target, backup, replaced=True)
            raise
        for _, backup in moved:
            if backup is not None:
                backup.unlink(missing_ok=True)
        self._committed = True
        self._staged.clear()


def _backup(target):
    """A hidden copy of ``target``'s current file beside it (a hard link if possible)."""
    backup = target.with_name(f".{target.stem}.{secrets.token_hex(6)}.bak{target.suffix}")
    try:
        os.link(target, backup)
    except OSError:  # no hard links here: move it aside (the target is briefly absent)
        os.replace(target, backup)
    return backup


def _restore(target, backup, *, replaced):
    """Give ``target`` back what it held before: nothing, or its ``backup``.

    Best effort: a restore that fails leaves the backup beside the target.
    """
    try:
        if backup is None:
            if replaced:
                target.unlink(missing_ok=True)
        elif replaced or not target.exists():  # a new file, or moved aside
            os.replace(backup, target)
        else:  # never replaced, and the backup is a hard link to it
            backup.unlink(missing_ok=True)
    except OSError:  # pragma: no cover - keep restoring the others
        pass


def _exists(target):
    """FileExistsError naming ``target``, for AtomicFiles(overwrite=False)."""
    return FileExistsError(
        errno.EEXIST,
        "File exists (pass overwrite=True to replace it, or choose another path)",
        os.fspath(target),
    )


def _naming(exc, target):
    """The same kind of OSError, naming ``target`` (not a temporary file)."""
    if exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror, os.fspath(target))
