"""``# imgfix: ignore`` comments: findings a person has looked at and decided to keep.

Two places, one syntax::

    # imgfix: ignore[USR001] -- the image must run as root to bind port 80
    FROM nginx:1.27

A comment in the block of comment lines directly above an instruction applies to that
instruction. A comment at the top of the file, before the first instruction and separated
from it by a blank line (or by another instruction's comments), applies to the whole file.
Without ``[CODES]`` everything is suppressed; codes are matched as prefixes (``USR`` covers
``USR001``). The text after the comment (``--``, ``:`` or ``-`` then words) is the reason
shown in reports.

The pipeline applies them to findings and edits (``fixer.run.suppress``); a transform whose
fix is all or nothing (secrets) reads them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Document

_DIRECTIVE = re.compile(
    r"^\s*#\s*imgfix\s*:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$",
    re.IGNORECASE,
)
_CODE = re.compile(r"^[A-Z]{2,8}[0-9]{0,4}$")
_REASON_SEP = re.compile(r"^\s*(?:--|:|-|—)?\s*")


class SuppressionError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


@dataclass(frozen=True)
class Suppression:
    codes: tuple[str, ...]  # empty: every code
    reason: str
    line: int  # line of the comment
    start_line: int = 0  # the instruction it applies to; 0: the whole file
    end_line: int = 0
    start: int = 0  # source offsets of that instruction
    end: int = 0

    def covers(self, code: str) -> bool:
        return not self.codes or any(code.startswith(c) for c in self.codes)

    def covers_transform(self, prefix: str) -> bool:
        """Whether edits of the transform with this code prefix are dropped."""
        return not self.codes or any(c.startswith(prefix) or prefix.startswith(c) for c in self.codes)

    def describe(self, to_original=lambda line: line) -> str:
        what = f"imgfix: ignore[{','.join(self.codes)}]" if self.codes else "imgfix: ignore"
        where = "for the whole file" if not self.start_line else f"for line {to_original(self.start_line)}"
        reason = f": {self.reason}" if self.reason else " (no reason given)"
        return f"suppressed by `# {what}` on line {to_original(self.line)} {where}{reason}"


def parse_comment(line: str, lineno: int) -> tuple[tuple[str, ...], str] | None:
    """(codes, reason) when the line is an imgfix suppression comment; None otherwise."""
    m = _DIRECTIVE.match(line.rstrip("\r\n"))
    if not m:
        return None
    rest = m.group("rest")
    if rest and not m.group("codes") and rest[0] not in " \t:-—":
        return None  # "# imgfix: ignored ..." or similar prose, not a directive
    codes: list[str] = []
    if m.group("codes"):
        for raw in m.group("codes")[1:-1].split(","):
            code = raw.strip().upper()
            if not code:
                continue
            if not _CODE.match(code):
                raise SuppressionError(f"# imgfix: ignore[...]: {raw.strip()!r} is not a finding code (e.g. USR001 or USR)", lineno)
            codes.append(code)
        if not codes:
            raise SuppressionError("# imgfix: ignore[]: no codes between the brackets (leave the brackets out to ignore everything)", lineno)
    reason = _REASON_SEP.sub("", rest, count=1).strip()
    return tuple(codes), reason


def _is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def find_suppressions(doc: Document) -> list[Suppression]:
    """Every suppression in the document, in line order."""
    lines = doc.text.splitlines()
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    inside: set[int] = set()  # 1-based lines that belong to an instruction (heredoc bodies too)
    for instr in doc.instructions:
        inside.update(range(instr.start_line, instr.end_line + 1))
    attached: set[int] = set()
    out: list[Suppression] = []
    for instr in doc.instructions:
        n = instr.start_line - 1
        while n >= 1 and n not in inside and _is_comment(lines[n - 1]):
            attached.add(n)
            parsed = parse_comment(lines[n - 1], n)
            if parsed:
                codes, reason = parsed
                out.append(Suppression(codes, reason, n, instr.start_line, instr.end_line, instr.start, instr.end))
            n -= 1
    first = doc.instructions[0].start_line if doc.instructions else len(lines) + 1
    for n in range(1, first):
        if n in attached or not _is_comment(lines[n - 1]):
            continue
        parsed = parse_comment(lines[n - 1], n)
        if parsed:
            out.append(Suppression(parsed[0], parsed[1], n))
    return sorted(out, key=lambda s: s.line)
