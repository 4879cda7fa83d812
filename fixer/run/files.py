"""Finding Dockerfiles, reading them strictly and writing them atomically."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

DOCKERFILE_PATTERNS = ("Dockerfile", "Containerfile", "*.Dockerfile", "Dockerfile.*", "*.dockerfile", "Containerfile.*")
# not Dockerfiles even though the name matches: ignore files and editor/backup litter
NOT_DOCKERFILES = ("*.dockerignore", "*.orig", "*.rej", "*.bak", "*~", "*.swp", "*.md", "*.txt", "*.diff", "*.patch")
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "vendor", "__pycache__", ".tox", ".nox", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
MAX_SIZE = 64 << 20


class FileError(Exception):
    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def is_dockerfile_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in DOCKERFILE_PATTERNS) and not any(
        fnmatch.fnmatchcase(name, p) for p in NOT_DOCKERFILES
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return False
    return real == root or root in real.parents


def walk(paths: list[Path], empty: list[Path] | None = None) -> Iterator[Path | FileError]:
    """The Dockerfiles named by ``paths`` (files, or folders searched recursively) and the
    errors, in order, as they are found: a run streams them (memory stays flat however many
    there are). Each file once: one folder yields each of its files once; several paths are
    checked against the names seen. ``empty``, if given, receives the folders with no
    Dockerfile (and no error) under them, as they were given."""
    seen: set[str] | None = set() if len(paths) > 1 else None
    for given in paths:
        found = False
        for item in _walk_one(given):
            found = True
            if seen is not None and isinstance(item, Path):
                if str(item) in seen:
                    continue
                seen.add(str(item))
            yield item
        if not found and empty is not None:
            empty.append(given)


def discover(paths: list[Path]) -> tuple[list[Path], list[FileError]]:
    """``walk`` as two lists: the Dockerfiles and the errors."""
    found: list[Path] = []
    errors: list[FileError] = []
    for item in walk(paths):
        (errors if isinstance(item, FileError) else found).append(item)
    return found, errors


def _walk_one(given: Path) -> Iterator[Path | FileError]:
    if given.is_dir() and not given.is_symlink():
        root = given.resolve()
        for dirpath, dirnames, filenames in os.walk(given):
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in SKIP_DIRS
                and not os.path.islink(os.path.join(dirpath, d))
                and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
            )
            for name in sorted(filenames):
                if not is_dockerfile_name(name):
                    continue
                path = Path(dirpath) / name
                if path.is_symlink() and not _inside(path, root):
                    yield FileError(path, "symlink points outside the tree; not followed")
                elif path.is_file():
                    yield path
    elif given.is_symlink() and given.is_dir():
        yield FileError(given, "is a symlink to a folder; not followed")
    elif given.exists() and given.is_dir() is False and not given.is_file():
        yield FileError(given, "is not a regular file")
    elif given.is_file():
        if given.is_symlink() and not _inside(given, given.parent.resolve()):
            yield FileError(given, "symlink points outside its folder; not followed")
        else:
            yield given
    elif given.is_symlink():
        yield FileError(given, "is a broken symlink")
    else:
        yield FileError(given, "no such file or folder")


def read_text(path: Path) -> str:
    """The file as text, exactly (line endings and BOM kept); FileError when it is not text."""
    try:
        if path.stat().st_size > MAX_SIZE:
            raise FileError(path, f"larger than {MAX_SIZE >> 20} MiB; not a Dockerfile")
        data = path.read_bytes()
    except IsADirectoryError:
        raise FileError(path, "is a folder, not a file") from None
    except PermissionError:
        raise FileError(path, "permission denied") from None
    except OSError as err:
        raise FileError(path, f"cannot be read ({err.strerror or err})") from None
    if b"\0" in data:
        raise FileError(path, "is a binary file (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise FileError(path, f"line {line}: is not UTF-8 text (byte 0x{data[err.start]:02x})") from None


def write_atomic(path: Path, text: str) -> None:
    """Replace the file in one rename: a temporary file beside it, same mode, fsynced."""
    write_all([(path, text)])


class WriteError(OSError):
    """A file of a set could not be written; none of the set was changed (``path`` says which
    one failed, ``reason`` why)."""

    def __init__(self, path: Path, err: OSError) -> None:
        super().__init__(err.errno, err.strerror or str(err))
        self.path = path
        self.reason = err.strerror or str(err)


def _target(path: Path) -> Path:
    """The file a write replaces: a symlink's target (the link itself stays)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _stage(target: Path, data: bytes) -> str:
    """A temporary file beside ``target`` holding ``data``, with ``target``'s mode, fsynced."""
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    import tempfile  # (and shutil, bz2, lzma...) only for a run that writes

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".imgfix-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_all(changes: list[tuple[Path, str]]) -> None:
    """Write several files all or nothing: every file is staged first (a temporary file beside
    it, same mode, fsynced), then each replaces its file in one rename. When staging or a
    rename fails, the files already replaced get their old content back (a hard link to the
    old file, kept until the end, is renamed back; where links are not possible, the old
    text is written back the same way), the temporary files are removed, and ``WriteError``
    names the file that failed. A symlink's target is written, not the link."""
    staged: list[tuple[Path, Path, str]] = []  # (as given, the file replaced, temporary file)
    try:
        for path, text in changes:
            target = _target(path)
            try:
                staged.append((path, target, _stage(target, text.encode("utf-8"))))
            except OSError as err:
                raise WriteError(path, err) from None
        done: list[tuple[Path, str | None, bytes | None]] = []  # (file, hard link to the old one, old bytes)
        try:
            for n, (path, target, tmp) in enumerate(staged):
                backup, old = None, None
                try:
                    # (the last file needs no way back: nothing is replaced after it)
                    if n < len(staged) - 1 and os.path.lexists(target):
                        backup, old = _keep_old(target)
                    os.replace(tmp, target)
                except OSError as err:
                    if backup is not None:
                        _unlink(backup)
                    raise WriteError(path, err) from None
                done.append((target, backup, old))
        except BaseException:
            _restore(done)
            raise
        for _, backup, _ in done:
            if backup is not None:
                _unlink(backup)
    finally:
        for _, _, tmp in staged:
            if os.path.lexists(tmp):
                _unlink(tmp)


def _keep_old(target: Path) -> tuple[str | None, bytes | None]:
    """A way back to ``target`` as it is now: a hard link beside it, else its bytes."""
    import tempfile

    fd, link = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".imgfix-old")
    os.close(fd)
    os.unlink(link)
    try:
        os.link(target, link)
        return link, None
    except OSError:
        return None, target.read_bytes()


def _restore(done: list[tuple[Path, str | None, bytes | None]]) -> None:
    """Undo the renames already made, last first (best effort: each is tried)."""
    for target, backup, old in reversed(done):
        try:
            if backup is not None:
                os.replace(backup, target)
            elif old is not None:
                tmp = _stage(target, old)
                try:
                    os.replace(tmp, target)
                finally:
                    if os.path.lexists(tmp):
                        _unlink(tmp)
            else:  # the file was new
                os.unlink(target)
        except OSError:
            pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
