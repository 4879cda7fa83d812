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
    select: tuple[str, ...] = ()  # code prefixes to run; empty: all
    ignore: tuple[str, ...] = ()
    context: Path | None = None  # build context; default: the Dockerfile's folder
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

    def wants(self, code: str) -> bool:
        """Whether findings and fixes with this code (or prefix) are enabled."""
        selected = not self.select or any(code.startswith(s) or s.startswith(code) for s in self.select)
        ignored = any(code.startswith(s) for s in self.ignore)
        return selected and not ignored
