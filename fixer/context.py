"""Read-only access to a build context that never leaves it (no symlink escapes, no huge reads)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

MAX_READ = 1 << 20  # project files larger than 1 MiB are not read


class BuildContext:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

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
