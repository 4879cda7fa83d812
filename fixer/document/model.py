"""A lossless Dockerfile document and the edits transforms make to it.

The document is the source text itself plus BuildKit's view of it (``fixer.parser``).
Rendering is the text: nothing is regenerated. Transforms describe changes as ``Edit``
values (a source range and its replacement, as in ruff); ``apply_edits`` splices them in,
so every byte no edit touches stays as it was. New lines take the file's line ending,
keyword case, escape character and indentation.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

from .parser import Instruction, ParseResult, parse


@dataclass(frozen=True, order=True)
class Edit:
    start: int
    end: int
    text: str


class EditConflict(ValueError):
    pass


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Splice non-overlapping edits into text (several inserts at one point keep their order)."""
    out, pos = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise EditConflict(f"overlapping edits at offset {edit.start}")
        out.append(text[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


class Document:
    def __init__(self, text: str, *, limits: bool = True) -> None:
        self.text = text
        self.parsed: ParseResult = parse(text, limits=limits)  # raises ParseError

    @property
    def instructions(self) -> list[Instruction]:
        return self.parsed.instructions

    @property
    def escape(self) -> str:
        return self.parsed.escape

    @cached_property
    def newline(self) -> str:
        first = self.text.find("\n")
        return "\r\n" if first > 0 and self.text[first - 1] == "\r" else "\n"

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        end = self.text.find("\n")
        while end >= 0:
            starts.append(end + 1)
            end = self.text.find("\n", end + 1)
        return starts

    def line_of(self, offset: int) -> int:
        """1-based line number of a source offset."""
        return bisect.bisect_right(self._line_starts, offset)

    def line_start(self, offset: int) -> int:
        """Source offset of the start of the line holding ``offset``."""
        return self._line_starts[self.line_of(offset) - 1]

    @cached_property
    def lowercase_keywords(self) -> bool:
        words = [i.keyword for i in self.instructions]
        return sum(w.islower() for w in words) > len(words) / 2

    def keyword(self, name: str) -> str:
        return name.lower() if self.lowercase_keywords else name.upper()

    def indent_of(self, instr: Instruction) -> str:
        line_start = self.line_start(instr.start)
        head = self.text[line_start : instr.start]
        first = self.text[instr.start : instr.end]
        return head + first[: len(first) - len(first.lstrip(" \t"))]

    @cached_property
    def continuation_indent(self) -> str:
        """The indentation the file uses on continuation lines (four spaces if none)."""
        for instr in self.instructions:
            if len(instr.segments) > 1:
                line = self.text[instr.segments[1].source :]
                indent = line[: len(line) - len(line.lstrip(" \t"))]
                if indent:
                    return indent
        return "    "

    # ------------------------------------------------------------ rendering new text

    def render_instruction(self, keyword: str, *parts: str, indent: str = "") -> str:
        """One instruction; several parts become continuation lines joined by `` && ``-style
        text the caller supplies. Ends with the file's newline."""
        nl, esc = self.newline, self.escape
        head = f"{indent}{self.keyword(keyword)} {parts[0]}"
        lines = [head] + [f"{indent}{self.continuation_indent}{p}" for p in parts[1:]]
        return f" {esc}{nl}".join(lines) + nl

    # ------------------------------------------------------------ edits

    def _ends_with_newline(self, offset: int) -> bool:
        return offset > 0 and self.text[offset - 1] == "\n"

    def insert_after(self, instr: Instruction, new_text: str) -> Edit:
        """Insert whole lines (``new_text`` ends with a newline) after an instruction."""
        if (instr.sub or instr).heredocs:
            # its last line is a heredoc terminator: hadolint 2.x cannot parse a line right
            # after one (BuildKit can), so a blank line keeps the output readable to it
            new_text = self.newline + new_text
        if self._ends_with_newline(instr.end):
            return Edit(instr.end, instr.end, new_text)
        # the file has no final newline: keep it that way
        return Edit(instr.end, instr.end, self.newline + new_text[: -len(self.newline)])

    def insert_before(self, instr: Instruction, new_text: str) -> Edit:
        line_start = self.line_start(instr.start)
        return Edit(line_start, line_start, new_text)

    def replace(self, instr: Instruction, new_text: str) -> Edit:
        """Replace an instruction's lines (``new_text`` ends with a newline)."""
        line_start = self.line_start(instr.start)
        if not self._ends_with_newline(instr.end):
            new_text = new_text[: -len(self.newline)]
        return Edit(line_start, instr.end, new_text)

    def replace_span(self, instr: Instruction, start: int, end: int, new: str) -> Edit | None:
        """Replace ``instr.text[start:end]``; None when it crosses a line continuation."""
        span = instr.source_span(start, end)
        return None if span is None else Edit(span[0], span[1], new)

    def find_word(self, instr: Instruction, word: str, after: int = 0) -> tuple[int, int] | None:
        """Logical span of the first whitespace-delimited ``word`` in ``instr.text``."""
        text = instr.text
        pos = after
        while True:
            pos = text.find(word, pos)
            if pos < 0:
                return None
            before_ok = pos == 0 or text[pos - 1] in " \t"
            end = pos + len(word)
            after_ok = end == len(text) or text[end] in " \t"
            if before_ok and after_ok:
                return pos, end
            pos += 1

    def add_flag(self, instr: Instruction, flag: str) -> Edit | None:
        """Insert ``--flag`` right after the keyword."""
        keyword_at = instr.text.find(instr.keyword)
        span = instr.source_span(keyword_at, keyword_at + len(instr.keyword))
        if span is None:
            return None
        return Edit(span[1], span[1], f" {flag}")
