"""Image references as Docker reads them: ``[registry[:port]/]path[:tag][@digest]``."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

DEFAULT_REGISTRY = "docker.io"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_HOST = re.compile(r"^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")


class InvalidReference(ValueError):
    pass


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "docker.io" when none is written
    path: str  # "library/python", "nginxinc/nginx-unprivileged"
    tag: str | None = None
    digest: str | None = None
    explicit_registry: bool = False

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        rest, digest = text, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not _DIGEST.match(digest):
                raise InvalidReference(f"invalid digest in {text!r}")
        registry, explicit = DEFAULT_REGISTRY, False
        first, sep, remainder = rest.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
            if not _HOST.match(first):
                raise InvalidReference(f"invalid registry in {text!r}")
            registry, rest, explicit = first, remainder, True
        tag = None
        last_slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > last_slash:
            rest, tag = rest[:colon], rest[colon + 1 :]
            if not _TAG.match(tag):
                raise InvalidReference(f"invalid tag in {text!r}")
        if not _PATH.match(rest):
            raise InvalidReference(f"invalid repository name in {text!r}")
        if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
            registry = DEFAULT_REGISTRY
            if "/" not in rest:
                rest = f"library/{rest}"
        return cls(registry, rest, tag, digest, explicit)

    @property
    def familiar(self) -> str:
        """The short name people write: ``python``, ``gcr.io/distroless/static``."""
        if self.registry == DEFAULT_REGISTRY:
            return self.path.removeprefix("library/")
        return f"{self.registry}/{self.path}"

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.path}"

    def with_tag(self, tag: str | None) -> ImageRef:
        return replace(self, tag=tag)

    def __str__(self) -> str:
        name = self.familiar if not self.explicit_registry else f"{self.registry}/{self.path}"
        if self.tag:
            name += f":{self.tag}"
        if self.digest:
            name += f"@{self.digest}"
        return name
