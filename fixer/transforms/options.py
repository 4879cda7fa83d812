"""Options every transform reads, validated once: nothing unchecked reaches a Dockerfile."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
MAX_ID = 2**31 - 2  # largest id useradd and the kernel accept (-1 is reserved)


class OptionError(ValueError):
    pass


@dataclass(frozen=True)
class Options:
    user: str = "app"
    uid: int = 10001
    gid: int = 10001
    targets: tuple[str, ...] = ()  # stage names to harden besides the final stage
    chown: bool = False  # COPY/ADD --chown=<uid>:<gid> in hardened stages
    # apply fixes that change the container's interface (ports, how it is built); see
    # transforms.FIX_SAFETY: without it they are reported, held back
    unsafe_fixes: bool = False
    select: tuple[str, ...] = ()  # code prefixes to run; empty: all
    ignore: tuple[str, ...] = ()
    context: Path | None = None  # build context; default: the Dockerfile's folder
    # base images (slim, registry, pin transforms)
    allow_distro_switch: bool = False  # slim may move to Alpine/minimal variants
    registry: str | None = None  # HOST[/PREFIX] that mirrors docker.io
    # (source registry, HOST[/PREFIX]) pairs; a table {source = "HOST[/PREFIX]"} is accepted
    registry_map: tuple[tuple[str, str], ...] | dict[str, str] = ()
    pin_digests: bool = False  # resolve tags to digests (the only option that contacts a registry)
    offline: bool = False  # pin from the lock file only
    lock_file: Path | None = None  # default: imgfix.lock beside the Dockerfile
    templates: Path | None = None  # the organisation's templates, overriding the built-in ones
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not _USER_NAME.match(self.user):
            raise OptionError(f"user name {self.user!r} must match [a-z_][a-z0-9_-]* (at most 32 characters)")
        for label, value in (("uid", self.uid), ("gid", self.gid)):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
                raise OptionError(f"{label} {value!r} must be a whole number from 1 to {MAX_ID}")
        for target in self.targets:
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9_.-]*$", target):
                raise OptionError(f"target {target!r} is not a valid stage name")
        self._check_registries()
        if self.offline and not self.pin_digests:
            raise OptionError("--offline applies to --pin-digests (pinning from the lock file only)")

    def _check_registries(self) -> None:
        from ..document.imageref import valid_mirror, valid_registry_host

        pairs = self.registry_map
        if isinstance(pairs, dict):
            pairs = tuple(pairs.items())
        if any(len(p) != 2 for p in pairs):
            raise OptionError("registry map entries are SOURCE=HOST[/PREFIX]")
        pairs = tuple((str(k).lower(), str(v)) for k, v in pairs)
        object.__setattr__(self, "registry_map", pairs)
        if self.registry is not None and not valid_mirror(self.registry):
            raise OptionError(f"registry {self.registry!r} must be HOST[:PORT][/PREFIX] (a lowercase path)")
        for source, target in pairs:
            if not valid_registry_host(source):
                raise OptionError(f"registry map: {source!r} is not a registry host")
            if not valid_mirror(target):
                raise OptionError(f"registry map: {target!r} must be HOST[:PORT][/PREFIX] (a lowercase path)")

    def mirrors(self) -> dict[str, str]:
        """Source registry -> HOST[/PREFIX]; ``--registry`` mirrors docker.io."""
        out = {"docker.io": self.registry} if self.registry else {}
        out.update(dict(self.registry_map))
        return out

    def wants(self, code: str) -> bool:
        """Whether findings and fixes with this code (or prefix) are enabled."""
        selected = not self.select or any(code.startswith(s) or s.startswith(code) for s in self.select)
        ignored = any(code.startswith(s) for s in self.ignore)
        return selected and not ignored
