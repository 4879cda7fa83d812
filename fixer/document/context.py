"""Read-only access to a build context that never leaves it (no symlink escapes, no huge reads)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

MAX_READ = 1 << 20  # project files larger than 1 MiB are not read


class BuildContext:
    def __init__(self, root: Path) -> None:
        self.root = resolved(root)

    def resolve(self, relative: str) -> Path | None:
        """The path inside the context, or None when it is absent or points outside."""
        rel = relative.replace("\\", "/").lstrip("/")
        if not rel or any(part == ".." for part in rel.split("/")):
            return None
        candidate = self.root / rel
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if real != self.root and self.root not in real.parents:
            return None
        return real

    def read_text(self, relative: str) -> str | None:
        path = self.resolve(relative)
        if path is None or not path.is_file():
            return None
        try:
            if path.stat().st_size > MAX_READ:
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def exists(self, relative: str) -> bool:
        return self.resolve(relative) is not None

    def files(self, limit: int = 100_000, skip_dir: Callable[[str], bool] | None = None) -> list[str]:
        """Relative paths of the files in the context, without following symlinked folders.

        ``skip_dir(relative_folder)`` returning True leaves that folder out (not walked)."""
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            if skip_dir is not None:
                dirnames[:] = [d for d in dirnames if not skip_dir(prefix + d)]
            for name in sorted(filenames):
                found.append(prefix + name)
                if len(found) >= limit:
                    return found
        return found


# ---------------------------------------------------------------------------- shared listings
# Several Dockerfiles often share one build context, and two transforms list it: a run lists
# each context once. Only the runner turns this on (``sharing``), and it forgets every listing
# after it writes a file, so a listing is never older than the last write; the few most
# recent contexts are kept, so memory stays flat however many there are.

_SHARED_CONTEXTS = 8
_REMEMBERED_PATHS = 4096
_shared: dict[tuple, object] | None = None
_resolved: dict[Path, Path] | None = None  # Path.resolve() answers, while sharing


def shared(key: tuple, compute: Callable[[], object]):
    """``compute()``, remembered under ``key`` (which names the context) while sharing is on."""
    if _shared is None:
        return compute()
    if key in _shared:
        _shared[key] = _shared.pop(key)  # most recently used last
    else:
        _shared[key] = compute()
        while len(_shared) > _SHARED_CONTEXTS:
            del _shared[next(iter(_shared))]
    return _shared[key]


def resolved(path: Path) -> Path:
    """``path.resolve()``, remembered while sharing is on (each Dockerfile of a run resolves
    its context and itself several times; every call walks the path with lstat)."""
    if _resolved is None:
        return path.resolve()
    answer = _resolved.get(path)
    if answer is None:
        if len(_resolved) >= _REMEMBERED_PATHS:
            _resolved.clear()
        answer = _resolved[path] = path.resolve()
    return answer


def start_sharing() -> None:
    """Listings are shared from now on in this process (a run, or a worker of one)."""
    global _shared, _resolved
    _shared, _resolved = {}, {}


def stop_sharing() -> None:
    global _shared, _resolved
    _shared = _resolved = None


def forget() -> None:
    """A file was written: listings (and resolved paths) taken before may be out of date."""
    if _shared is not None:
        _shared.clear()
    if _resolved is not None:
        _resolved.clear()
