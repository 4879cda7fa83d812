"""What the CHK fixes share (fixer/transforms/checks.py holds the transform, its codes and
its documentation): the result built fix by fix, and where words sit in an instruction."""

from __future__ import annotations

import bisect

from e2b_dockerfile_utils import ShellLex

from ...document.model import Document, Edit
from ...document.parser import Instruction, extract_flags
from .. import Result
from ..options import Options

GO_SPACE = " \t\n\v\f\r\x85\xa0"


class Fixes:
    """The transform's result, built fix by fix: a fix's edits are applied when its code is
    wanted and its safety allows, and no two fixes touch the same bytes."""

    def __init__(self, doc: Document, options: Options, codes: dict) -> None:
        self.doc = doc
        self.options = options
        self.codes = codes  # the transform's CODES table
        self.lower = majority_lower(doc)  # the keyword case the file ends with
        self.result = Result()
        self.removed: set[int] = set()  # id() of instructions a fix deletes or replaces whole
        self._claimed: list[tuple[int, int]] = []

    def free(self, edits: list[Edit]) -> bool:
        """No edit overlaps one already made (an insertion may sit at either end of a
        replaced span: ``apply_edits`` puts it before or after). The claimed spans never
        overlap, so they are sorted by start and by end alike: a binary search finds the two
        neighbours an edit could touch (a file with thousands of fixes stays linear)."""
        for e in edits:
            at = bisect.bisect_right(self._claimed, (e.start, float("inf")))
            if at > 0:
                start, end = self._claimed[at - 1]
                if e.start < end and (start < e.start or start < e.end):
                    return False
            if at < len(self._claimed) and self._claimed[at][0] < e.end:
                return False
        return True

    def report(self, code: str, line: int, message: str, edits: list[Edit] | None = None, fix: str | None = None) -> bool:
        """A finding; ``edits`` None: no fix offered. True when the edits were applied."""
        safety = "none" if edits is None else (fix or self.codes[code][2])
        apply = (edits is not None and self.options.wants(code) and self.free(edits)
                 and (safety == "safe" or (safety == "unsafe" and self.options.unsafe_fixes)))
        if apply:
            self.result.edits += edits
            for e in edits:
                bisect.insort(self._claimed, (e.start, e.end))
        self.result.add(self.codes, code, line, message, fixed=apply, fix=safety)
        return apply

    def insert(self, instr: Instruction, logical: int, text: str) -> Edit | None:
        """An insertion before ``instr.text[logical]`` (or after its last character)."""
        if logical < len(instr.text):
            at = instr.source_offset(logical)
        else:
            last = instr.source_offset(len(instr.text) - 1)
            at = None if last is None else last + 1
        return None if at is None else Edit(at, at, text)

    def span(self, instr: Instruction, start: int, end: int, text: str) -> Edit | None:
        return self.doc.replace_span(instr, start, end, text)


def keyword_at(instr: Instruction) -> int:
    """Where the keyword starts in ``instr.text``."""
    return len(instr.text) - len(instr.text.lstrip(GO_SPACE))


def majority_lower(doc: Document) -> bool:
    """BuildKit's rule: lower case when more keywords are all lower case than all upper case."""
    lower = sum(i.keyword == i.keyword.lower() for i in doc.instructions)
    upper = sum(i.keyword == i.keyword.upper() for i in doc.instructions)
    return lower > upper


def cased(word: str, lower: bool) -> str:
    return word.lower() if lower else word.upper()


def processed(lexer: ShellLex, word: str) -> str | None:
    try:
        return lexer.process_word(word)
    except (ValueError, IndexError):
        return None


def quoted_value(value: str, escape: str) -> str | None:
    """``value`` as a double-quoted word BuildKit reads back as exactly ``value`` (its ``$``,
    quotes and escape characters escaped); None when it cannot be."""
    text = "".join(escape + c if c in ('"', "$", escape) else c for c in value)
    word = f'"{text}"'
    return word if processed(ShellLex(escape), word) == value else None


def flags_end(instr: Instruction) -> int:
    """Where the instruction's ``--flags`` end in ``instr.text``."""
    after = keyword_at(instr) + len(instr.keyword)
    rest, _ = extract_flags(instr.text[after:])
    return len(instr.text) - len(rest)
