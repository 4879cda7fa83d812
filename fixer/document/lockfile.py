"""The lock file of resolved digests: what ``--pin-digests`` found, so it can be reproduced.

A JSON file (default ``imgfix.lock`` beside the Dockerfile)::

    {
      "version": 1,
      "images": {
        "docker.io/library/python:3.11-slim": "sha256:…"
      }
    }

Keys are normalised references (registry, full path, tag). A tag found in the lock file is
pinned to the recorded digest without asking a registry, so CI and offline runs pin exactly
what the developer's run pinned; ``--offline`` uses nothing else. Delete an entry (or the
file) to resolve the tag again.
"""

from __future__ import annotations

import json
from pathlib import Path

from .imageref import is_sha256_digest

VERSION = 1


class LockError(ValueError):
    pass


class LockFile:
    def __init__(self, path: Path, text: str | None, images: dict[str, str]) -> None:
        self.path = path
        self.text = text  # what is on disk now (None: no file)
        self.images = images

    @classmethod
    def load(cls, path: Path) -> LockFile:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, None, {})
        except OSError as err:
            raise LockError(f"lock file {path}: cannot be read ({err.strerror or err})") from None
        try:
            data = json.loads(text)
        except ValueError as err:
            raise LockError(f"lock file {path}: not valid JSON ({err})") from None
        if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("images"), dict):
            raise LockError(f"lock file {path}: expected {{\"version\": {VERSION}, \"images\": {{...}}}}")
        images = {}
        for key, digest in data["images"].items():
            if not isinstance(digest, str) or not is_sha256_digest(digest):
                raise LockError(f"lock file {path}: {key}: {digest!r} is not a sha256 digest")
            images[str(key)] = digest
        return cls(path, text, images)

    def get(self, key: str) -> str | None:
        return self.images.get(key)

    def set(self, key: str, digest: str) -> None:
        if not is_sha256_digest(digest):
            raise LockError(f"{key}: {digest!r} is not a sha256 digest")
        self.images[key] = digest

    def render(self) -> str:
        data = {"version": VERSION, "images": dict(sorted(self.images.items()))}
        return json.dumps(data, indent=2) + "\n"

    @property
    def changed(self) -> bool:
        return self.render() != self.text and bool(self.images or self.text is not None)
