"""imgfix's knowledge as data: the base image catalogue, package maps, servers and their
ports, secret names, what each package manager caches. Read by any layer, with ``load``.

Parsing TOML (and importing tomllib) costs more than the rest of a one-file run's start: each
file's parsed form is kept beside it in ``__pycache__``, as Python keeps its bytecode, keyed
by the file's size and modification time, and read back with marshal. Where that folder cannot
be written, the file is parsed every time.
"""

from __future__ import annotations

import marshal
import os
from functools import cache
from pathlib import Path

_FOLDER = Path(__file__).resolve().parent
_CACHE = _FOLDER / "__pycache__"


@cache
def load(name: str) -> dict:
    """One TOML file of this folder, parsed once per process (read-only: callers never change it)."""
    source = _FOLDER / name
    stat = source.stat()
    cached = _CACHE / f"{name}.{stat.st_size}-{stat.st_mtime_ns}.marshal"
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    import tomllib

    data = tomllib.loads(source.read_text(encoding="utf-8"))
    _keep(name, cached, data)
    return data


def _keep(name: str, cached: Path, data: dict) -> None:
    """Write the parsed form atomically; an older one of the same file goes."""
    try:
        blob = marshal.dumps(data)
        _CACHE.mkdir(exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, cached)
        for old in _CACHE.glob(f"{name}.*.marshal"):
            if old != cached:
                old.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass  # a read-only installation: parsed each time
