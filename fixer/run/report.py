"""Per-file results, the summary people read, and the exit code CI reads.

Exit codes: 0 nothing to do or everything written; 1 ``--check`` found files that would
change; 2 a file could not be processed (the others still were).
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..document import linediff
from ..transforms import FileChange, Finding
from .suppress import Suppressed


class Mode(enum.Enum):
    DIFF = "diff"  # print what would change (default)
    CHECK = "check"  # print nothing but findings; exit 1 if anything would change
    WRITE = "write"  # apply the changes


@dataclass
class FileResult:
    path: Path
    original: str = ""
    fixed: str = ""
    findings: list[Finding] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)  # findings hidden by ``# imgfix: ignore``
    error: str | None = None  # "path:line: message"
    # --write failed: no file of the result was changed, and its findings are not fixed
    write_failed: bool = False

    @property
    def changed(self) -> bool:
        return self.error is None and (self.fixed != self.original or any(f.old != f.new for f in self.files))

    @property
    def unfixed(self) -> int:
        """Findings left to a person (info findings do not count)."""
        return sum(1 for f in self.findings if not f.fixed and f.severity != "info")

    @property
    def n_suppressed(self) -> int:
        return len(self.suppressed)

    @property
    def held_back(self) -> int:
        """Unsafe fixes found and not applied (``--unsafe-fixes`` would)."""
        if self.write_failed:
            return 0  # nothing was applied, held back or not
        return sum(f.held_back for f in self.findings)

    def findings_text(self) -> str:
        """``path:line: CODE severity: message`` lines: the error, findings, suppressed ones."""
        lines = [self.error] if self.error else []
        for f in self.findings:
            state = "" if self.write_failed else finding_state(f)
            lines.append(f"{self.path}:{f.line}: {f.code} {f.severity}: {f.message}{f' [{state}]' if state else ''}")
        for s in self.suppressed:
            f = s.finding
            lines.append(f"{self.path}:{f.line}: {f.code} {f.severity}: {f.message} [{s.reason}]")
        return "".join(f"{printable(line)}\n" for line in lines)

    def diff(self) -> str:
        if self.error is not None:
            return ""
        parts = [unified_diff(str(self.path), self.original, self.fixed)]
        parts += [unified_diff(display_path(f.path), f.old or "", f.new, created=f.old is None) for f in self.files]
        return "".join(parts)


def finding_state(f: Finding) -> str:
    """What became of a finding's fix, for people: fixed, held back, or nothing to say."""
    if f.fixed:
        return "fixed (unsafe fix)" if f.fix == "unsafe" else "fixed"
    if f.fix == "unsafe":
        return "unsafe fix held back: --unsafe-fixes applies it"
    return ""


def display_path(path: str) -> str:
    """A path as the user would write it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def unified_diff(name: str, old: str, new: str, created: bool = False) -> str:
    if old == new:
        return ""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    name = printable(name)  # the header only: the lines are the file's own
    lines = []
    for line in linediff.unified_diff(
        old_lines,
        new_lines,
        # git's a/ b/ prefixes for relative paths, so `git apply` / `patch -p1` take the diff
        fromfile="/dev/null" if created else (name if name.startswith("/") else f"a/{name}"),
        tofile=name if name.startswith("/") else f"b/{name}",
    ):
        if not line.endswith("\n"):  # a last line without newline, as git shows it
            line += "\n\\ No newline at end of file\n"
        lines.append(line)
    return "".join(lines)


# control characters (an escape sequence in a file name would drive the reader's terminal),
# line separators, and the bidirectional overrides that make text read differently from what it is
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """The text with what a terminal or a log would act on shown as escapes (``\\x1b``)."""
    return UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}


def colourise(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        colour = _COLOURS.get(line[:1])
        if line.startswith(("+++", "---")):
            colour = "\x1b[1m"
        out.append(f"{colour}{line.rstrip(chr(10))}\x1b[0m\n" if colour else line)
    return "".join(out)


@dataclass
class Report:
    """The run's results as they come: counted, and kept only when ``keep`` (the machine-readable
    formats need them all; a streamed diff does not, so memory stays flat)."""

    mode: Mode
    keep: bool = True
    results: list[FileResult] = field(default_factory=list)  # every result, when kept
    failed: list[FileResult] = field(default_factory=list)  # always kept: they are reported again
    n_files: int = 0
    n_changed: int = 0
    n_unfixed: int = 0
    n_suppressed: int = 0
    n_held_back: int = 0

    def add(self, result: FileResult) -> None:
        self.n_files += 1
        self.n_changed += result.changed
        self.n_unfixed += result.unfixed
        self.n_suppressed += result.n_suppressed
        self.n_held_back += result.held_back
        if result.error is not None:
            self.failed.append(result)
        if self.keep:
            self.results.append(result)

    def exit_code(self) -> int:
        if self.failed:
            return 2
        if self.mode is Mode.CHECK and self.n_changed:
            return 1
        return 0

    def findings_text(self) -> str:
        return "".join(r.findings_text() for r in self.results)

    def summary(self) -> str:
        n_changed, n_failed = self.n_changed, len(self.failed)
        n_same = self.n_files - n_changed - n_failed
        verb = "changed" if self.mode is Mode.WRITE else "would change"
        parts = [f"{n_changed} file{'s' * (n_changed != 1)} {verb}", f"{n_same} unchanged"]
        if n_failed:
            parts.append(f"{n_failed} failed")
        unfixed = self.n_unfixed
        if unfixed:
            parts.append(f"{unfixed} finding{'s' * (unfixed != 1)} left to a person")
        n_suppressed = self.n_suppressed
        if n_suppressed:
            parts.append(f"{n_suppressed} suppressed")
        if self.n_held_back:
            n = self.n_held_back
            parts.append(f"{n} unsafe fix{'es' * (n != 1)} held back (--unsafe-fixes applies {'them' if n != 1 else 'it'})")
        return ", ".join(parts) + ".\n"
