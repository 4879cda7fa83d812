"""Finding Dockerfiles, reading them strictly and writing them atomically."""

from __future__ import annotations

import fnmatch
import os
import tempfile
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


def walk(paths: list[Path]) -> Iterator[Path | FileError]:
    """The Dockerfiles named by ``paths`` (files, or folders searched recursively) and the
    errors, in order, as they are found: a run streams them (memory stays flat however many
    there are). Each file once: one folder yields each of its files once; several paths are
    checked against the names seen."""
    seen: set[str] | None = set() if len(paths) > 1 else None
    for given in paths:
        for item in _walk_one(given):
            if seen is not None and isinstance(item, Path):
                if str(item) in seen:
                    continue
                seen.add(str(item))
            yield item


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
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    folder = target.parent
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".imgfix-tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
