"""Layer 3, the transforms: each fix in its own module, and the interface they share (here).

A transform is a module-level object with a ``code`` prefix, a ``name`` and one method,
``apply(doc, analysis, options) -> Result``. It never writes files and never raises for a
Dockerfile it cannot handle: it returns findings that say so and no edits. Imports only the
document and analysis layers (and ``fixer.data``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol

from ..analysis.stages import Analysis
from ..document.model import Document, Edit
from .options import Options

SEVERITIES = ("error", "warning", "info")
# How far a finding's fix can be trusted (ruff's model): "safe" fixes are applied by default;
# "unsafe" ones change the container's interface (its ports, how it is built) and are applied
# only with --unsafe-fixes; "none": no automatic fix, a person decides.
FIX_SAFETY = ("safe", "unsafe", "none")


class FixError(Exception):
    """The file cannot be processed at all (not a fix that is refused: that is a finding);
    ``line`` is 1-based (0: the whole file). The pipeline reports it and writes nothing."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Finding:
    code: str  # e.g. "USR001"
    severity: str  # error | warning | info
    line: int  # 1-based line in the input file (0: the whole file)
    message: str
    fixed: bool = False  # the fix was applied in this run
    fix: str = "none"  # its safety: one of FIX_SAFETY

    def __post_init__(self) -> None:
        assert self.severity in SEVERITIES, self.severity
        assert self.fix in FIX_SAFETY, self.fix

    @property
    def held_back(self) -> bool:
        """An unsafe fix that was not applied (``--unsafe-fixes`` would apply it)."""
        return self.fix == "unsafe" and not self.fixed


@dataclass(frozen=True)
class FileChange:
    """A file other than the Dockerfile that a transform writes (``.dockerignore``)."""

    path: str  # absolute
    old: str | None  # None: the file does not exist yet
    new: str


@dataclass
class Result:
    edits: list[Edit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)

    def add(self, codes: dict, code: str, line: int, message: str, fixed: bool = False, fix: str | None = None) -> None:
        """A finding whose severity and fix safety come from the transform's ``CODES`` table
        (``(severity, title, fix safety)``); ``fix`` overrides the safety for this one finding."""
        severity, _title, safety = codes[code]
        self.findings.append(Finding(code, severity, line, message, fixed, fix or safety))


class Transform(Protocol):
    code: str  # the prefix of every finding code it emits, e.g. "USR"
    name: str  # the option name, e.g. "nonroot"
    summary: str  # one line for ``imgfix rules``
    # False for a transform that never edits the Dockerfile (only other files): the stability
    # check, which re-runs the pipeline on the rewritten Dockerfile, can leave it out
    edits_dockerfile: bool

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result: ...


# The fixed order the pipeline runs them in: structure first, then the base image, lean
# layers (package caches in the RUN that made them), secrets
# out of the build (before nonroot adds its USER after the last RUN), the user,
# the build context, and last the references that name the final images.
# Each helper module registers here, in this order:
#   checks, multistage, slim, lean, secrets, nonroot, dockerignore, registry, pin
# (checks first: BuildKit's and hadolint's mechanical fixes, so that the others read and
# extend a file already in key=value form, one keyword case and exec form)
_MODULES = ("checks", "multistage", "slim", "lean", "secrets", "nonroot", "dockerignore", "registry", "pin")


def all_transforms() -> list[Transform]:
    return [importlib.import_module(f"{__name__}.{m}").TRANSFORM for m in _MODULES]
