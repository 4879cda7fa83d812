"""What every ecosystem module shares: the project facts, the checks every value read from a
project passes before it reaches a rendered Dockerfile, the refusal, and the package data.

Every value that may reach a rendered Dockerfile is checked against a strict pattern here
(``valid_*``); a value that does not match is dropped and the reason kept in ``problems``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Protocol

from ...analysis.stages import Stage
from ...document.parser import Instruction

NEW_SERVICE_DIR = "/app"  # where `imgfix init` puts a new service

# strict patterns for values read from project files
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,8}$")
_ATTR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")  # package / binary / script names
_PATH = re.compile(r"^/?[A-Za-z0-9._@+-]+(/[A-Za-z0-9._@+-]+)*/?$")
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,3}$")
_FILE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def valid_module(value: object) -> bool:
    return isinstance(value, str) and bool(_MODULE.match(value))


def valid_name(value: object) -> bool:
    return isinstance(value, str) and bool(_NAME.match(value)) and ".." not in value


def valid_path(value: object) -> bool:
    return isinstance(value, str) and len(value) < 256 and bool(_PATH.match(value)) and ".." not in value.split("/")


def valid_port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def valid_version(value: object) -> bool:
    return isinstance(value, str) and bool(_VERSION.match(value))


class Refused(Exception):
    """The project does not fit a template with confidence; the message says what is missing."""


@cache
def packages() -> dict:
    """``data/packages.toml``: runtime images, build packages and their runtime libraries,
    command names, the versions ``imgfix init`` defaults to."""
    with resources.files("fixer.data").joinpath("packages.toml").open("rb") as fh:
        return tomllib.load(fh)


def default_version(found: str | None, lang: str) -> str:
    """The version the project states, else the one ``imgfix init`` defaults to."""
    version = found or packages()["init"][lang]
    if not valid_version(version):
        raise Refused(f"{lang} version {version!r} is not a plain version number")
    return version


@dataclass
class Project:
    """The facts every ecosystem reads; each ecosystem's module adds its own (``PROJECT``)."""

    lang: str | None
    evidence: list[str] = field(default_factory=list)  # the files that decided it
    problems: list[str] = field(default_factory=list)  # values found but rejected
    dependencies: list[str] = field(default_factory=list)  # normalised names (python and node)
    framework: str | None = None  # flask | fastapi | django | express | ...
    app_module: str | None = None  # python module (or node file) that serves / runs
    app_object: str | None = None  # the WSGI/ASGI object in app_module
    port: int | None = None
    health_path: str | None = None
    name: str | None = None


class Conversion(Protocol):
    """What the multi-stage conversion offers an ecosystem's ``conversion()``: the stage being
    split and checks on it."""

    stage: Stage

    def entry_words(self) -> list[tuple[Instruction, list[str]]]:
        """Each CMD and ENTRYPOINT of the stage with its words."""

    def check_entry(self, plan, forbidden: set[str]) -> None:
        """Refused when CMD/ENTRYPOINT runs one of ``forbidden`` (a build tool)."""

    def slim_image(self, name: str) -> str:
        """The base image's slim variant (the catalogue's ``slim`` rules)."""

    def base_is(self, *names: str) -> bool:
        """Whether the base image's last name is one of ``names``."""
