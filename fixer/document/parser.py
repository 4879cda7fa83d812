"""BuildKit-exact Dockerfile parser that keeps every source position.

A line-for-line port of ``moby/buildkit/frontend/dockerfile/parser`` (``Parse``,
``splitCommand``, ``extractBuilderFlags`` and the per-instruction line parsers), written
so that each instruction also knows where it came from: its physical line span and, for
every character of its continuation-joined text, the offset in the source. The shell
lexer that decides heredoc names and the quote-aware word splitter come from
``e2b_dockerfile_utils`` (a port of the same BuildKit code), so they are not written twice.

The tests hold this module to BuildKit's own answers on ``tests/data/vectors/parser`` (copied from shared/).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from e2b_dockerfile_utils import ShellLex, parse_heredoc, parse_words

DEFAULT_ESCAPE = "\\"
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_VALID_DIRECTIVES = {"syntax", "escape", "check"}
_HEREDOC_KEYWORDS = {"ADD", "COPY", "RUN"}
_LINES = re.compile(r"[^\n]*\n|[^\n]+$")
_GO_SPACE = " \t\n\v\f\r\x85\xa0"  # unicode.IsSpace for the characters Dockerfiles hold


# Limits far above any real Dockerfile (real ones have hundreds of lines, lines of at most a
# few thousand characters): past them a file is refused with ``path:line: message`` (exit 2)
# instead of keeping a pull-request bot busy. Time grows linearly with the file below them
# (bench/scaling.py), but per instruction and per word of shell, so they bound it: about a
# minute at the worst below them, on one core. The file size is capped in ``fixer.files``.
MAX_LINE_LENGTH = 1 << 20  # characters of one physical line
MAX_INSTRUCTION_SIZE = 2 << 20  # characters of one instruction: its continuation lines and heredocs
MAX_INSTRUCTIONS = 100_000


class ParseError(ValueError):
    """BuildKit rejects the file; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    expand: bool
    chomp: bool
    fd: int
    start: int  # source offset of the first body line
    end: int  # source offset just past the terminator line


@dataclass(frozen=True)
class Segment:
    """``length`` characters of the logical line, starting at ``logical``, sit at ``source``."""

    logical: int
    source: int
    length: int


@dataclass
class Instruction:
    keyword: str  # as written: ``FROM``, ``from``, ``Copy``
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive, heredoc bodies included
    start: int  # source offset of the first character of the instruction's first line
    end: int  # source offset just past its last line (line ending included)
    text: str  # the continuation-joined logical line (BuildKit's ``Original``)
    segments: tuple[Segment, ...]
    flags: list[str] | None
    value: list[str] | None
    json: bool = False
    heredocs: list[Heredoc] = field(default_factory=list)
    sub: Instruction | None = None  # the instruction an ONBUILD wraps

    @cached_property
    def cmd(self) -> str:
        return self.keyword.upper()

    @cached_property
    def _segment_starts(self) -> list[int]:
        return [seg.logical for seg in self.segments]

    def source_offset(self, logical: int) -> int | None:
        """Source offset of a character of ``text``; None when it is not in the source."""
        # a binary search (long continued RUNs ask for every word): segments follow each other
        # in ``text``, so only the last one starting at or before ``logical`` can hold it (an
        # empty one shares its start with the next)
        at = bisect.bisect_right(self._segment_starts, logical) - 1
        seg = self.segments[at] if at >= 0 else None
        if seg is not None and logical < seg.logical + seg.length:
            return seg.source + logical - seg.logical
        return None

    def source_span(self, start: int, end: int) -> tuple[int, int] | None:
        """Source span of ``text[start:end]`` when it lies on one physical line, else None."""
        first = self.source_offset(start)
        last = self.source_offset(end - 1) if end > start else first
        if first is None or last is None or last - first != end - 1 - start:
            return None
        return first, last + 1


@dataclass
class ParseResult:
    instructions: list[Instruction]
    escape: str
    directives: dict[str, tuple[str, int]]  # name -> (value, 1-based line)
    warnings: list[tuple[int, str]]
    bom: bool
    # the last instruction's last line continues into the end of the file: a line added after
    # it would join it (BuildKit ends the instruction at the end of the file)
    dangling: Instruction | None = None


def _trim_leading_ws(s: str) -> str:
    return s.lstrip(_GO_SPACE)


def _is_comment(line: str) -> bool:
    return _trim_leading_ws(line.rstrip("\r\n")).startswith("#")


class _Directives:
    def __init__(self) -> None:
        self.escape = DEFAULT_ESCAPE
        self.seen: dict[str, tuple[str, int]] = {}
        self._done = False
        self._set_continuation(DEFAULT_ESCAPE)

    def _set_continuation(self, token: str) -> None:
        t = re.escape(token)
        # the escape token ends a line when it is the last non-blank character and not
        # itself escaped
        self.continuation = re.compile(f"([^{t}]){t}[ \\t]*$|^{t}[ \\t]*$")

    def possible(self, line: str, lineno: int) -> None:
        if self._done:
            return
        match = _DIRECTIVE.match(line)
        if not match:
            self._done = True
            return
        key = match.group(1).lower()
        if key not in _VALID_DIRECTIVES:
            self._done = True
            return
        if key in self.seen:
            raise ParseError(f"only one {key} parser directive can be used", lineno)
        self.seen[key] = (match.group(2), lineno)
        if key == "escape":
            token = match.group(2)
            if token not in ("`", "\\"):
                raise ParseError(f"invalid escape token '{token}' does not match ` or \\", lineno)
            self.escape = token
            self._set_continuation(token)

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        if not line.rstrip(" \t").endswith(self.escape):
            return line, True  # (most lines: no need for the regex)
        match = self.continuation.search(line)
        if match:
            return line[: match.start()] + (match.group(1) or ""), False
        return line, True


def parse(text: str, *, limits: bool = True) -> ParseResult:
    """Parse Dockerfile text as BuildKit does. Raises ParseError where BuildKit does, and
    past imgfix's limits (``MAX_*``; ``limits=False`` for a rewrite of a file within them,
    which may hold a few more instructions)."""
    directives = _Directives()
    bom = text.startswith("\ufeff")
    base = 1 if bom else 0
    # (source offset, raw line with its ending)
    lines = [(m.start(), m.group()) for m in _LINES.finditer(text, base)]
    instructions: list[Instruction] = []
    dangling: Instruction | None = None
    warnings: list[tuple[int, str]] = []
    lineno = 0
    index = 0

    def process(raw: str, strip_left: bool, lineno: int) -> tuple[str, int]:
        """The line as BuildKit sees it, and how many leading characters were dropped."""
        line = raw.rstrip("\r\n")
        lead = 0
        if strip_left:
            stripped = _trim_leading_ws(line)
            lead = len(line) - len(stripped)
            line = stripped
        directives.possible(line, lineno)
        return ("" if _is_comment(line) else line), lead

    for at, (_, raw) in enumerate(lines if limits else ()):
        if len(raw) > MAX_LINE_LENGTH and (size := len(raw.rstrip("\r\n"))) > MAX_LINE_LENGTH:
            raise ParseError(f"a line of {size:,} characters: over imgfix's limit of {MAX_LINE_LENGTH:,}; not processed", at + 1)

    while index < len(lines):
        offset, raw = lines[index]
        index += 1
        lineno += 1
        line, lead = process(raw, True, lineno)
        start_line = lineno
        line, ended = directives.trim_continuation(line)
        if ended and not line:
            continue
        segments = [Segment(0, offset + lead, len(line))]
        pieces = [line]  # joined once: += on a long continued RUN copied it for every line
        length = len(line)
        empty_continuation = False
        while not ended and index < len(lines):
            c_offset, c_raw = lines[index]
            index += 1
            lineno += 1
            # (parser directives are over: the instruction's first line ended them)
            piece = c_raw.rstrip("\r\n")
            trimmed = _trim_leading_ws(piece)
            if trimmed.startswith("#"):
                continue
            if not trimmed:
                empty_continuation = True
                continue
            piece, ended = directives.trim_continuation(piece)
            segments.append(Segment(length, c_offset, len(piece)))
            pieces.append(piece)
            length += len(piece)
        logical = "".join(pieces) if len(pieces) > 1 else line
        if empty_continuation:
            warnings.append((lineno, f"Empty continuation line found in: {logical}"))
        end = lines[index - 1][0] + len(lines[index - 1][1])
        instr = _new_instruction(logical, tuple(segments), directives.escape, start_line)
        if not ended:
            dangling = instr
        instr.start_line, instr.end_line, instr.start, instr.end = start_line, lineno, offset, end
        target = instr.sub if instr.sub is not None else instr
        if target.cmd in _HEREDOC_KEYWORDS and not target.json and "<<" in logical:
            for name, doc in _heredoc_markers(logical, start_line):
                body_start = lines[index][0] if index < len(lines) else len(text)
                body: list[str] = []
                terminated = False
                while index < len(lines):
                    _, h_raw = lines[index]
                    index += 1
                    lineno += 1
                    candidate = h_raw.rstrip("\r\n")
                    if doc.chomp:
                        candidate = candidate.lstrip("\t")
                    if candidate == name:
                        terminated = True
                        break
                    body.append(h_raw)
                if not terminated:
                    raise ParseError("unterminated heredoc", start_line)
                heredoc = Heredoc(
                    name=name,
                    content="".join(body),
                    expand=doc.expand,
                    chomp=doc.chomp,
                    fd=doc.file_descriptor,
                    start=body_start,
                    end=lines[index - 1][0] + len(lines[index - 1][1]),
                )
                target.heredocs.append(heredoc)
            instr.end_line = lineno
            instr.end = lines[index - 1][0] + len(lines[index - 1][1])
        if limits and instr.end - instr.start > MAX_INSTRUCTION_SIZE:
            raise ParseError(
                f"{instr.keyword} spans {instr.end - instr.start:,} characters (with its continuation lines and "
                f"heredocs): over imgfix's limit of {MAX_INSTRUCTION_SIZE:,}; not processed", start_line
            )
        if limits and len(instructions) == MAX_INSTRUCTIONS:
            raise ParseError(f"more than {MAX_INSTRUCTIONS:,} instructions: over imgfix's limit; not processed", start_line)
        if instr.sub is not None:  # the trigger occupies its ONBUILD's lines
            sub = instr.sub
            sub.start_line, sub.end_line, sub.start, sub.end = instr.start_line, instr.end_line, instr.start, instr.end
        instructions.append(instr)

    if not instructions:
        raise ParseError("file with no instructions", max(lineno, 1))
    return ParseResult(instructions, directives.escape, directives.seen, warnings, bom, dangling)


def _heredoc_markers(line: str, lineno: int):
    try:
        words = ShellLex("\\", raw_quotes=True, raw_escapes=True).process_words(line)
    except ValueError:
        return []
    found = []
    for word in words:
        try:
            doc = parse_heredoc(word)
        except ValueError as err:
            raise ParseError(str(err), lineno) from None
        if doc is not None:
            found.append((doc.name, doc))
    return found


def _new_instruction(
    line: str, segments: tuple[Segment, ...], escape: str, lineno: int
) -> Instruction:
    keyword, flags, rest = _split_command(line)
    parser = _LINE_PARSERS.get(keyword.upper(), _parse_ignore)
    sub = None
    if keyword.upper() == "ONBUILD":
        value, is_json = None, False
        if rest:
            offset = line.index(rest) if rest in line else 0
            sub_segments = _shift_segments(segments, offset)
            sub = _new_instruction(rest, sub_segments, escape, lineno)
            sub.start_line = sub.end_line = lineno
    else:
        try:
            value, is_json = parser(rest, escape)
        except ValueError as err:
            raise ParseError(str(err), lineno) from None
    return Instruction(
        keyword=keyword,
        start_line=lineno,
        end_line=lineno,
        start=0,
        end=0,
        text=line,
        segments=segments,
        flags=flags,
        value=value,
        json=is_json,
        sub=sub,
    )


def _shift_segments(segments: tuple[Segment, ...], offset: int) -> tuple[Segment, ...]:
    shifted = []
    for seg in segments:
        lo, hi = max(seg.logical, offset), seg.logical + seg.length
        if hi > lo:
            shifted.append(Segment(lo - offset, seg.source + lo - seg.logical, hi - lo))
    return tuple(shifted)


def _split_command(line: str) -> tuple[str, list[str] | None, str]:
    trimmed = line.strip(_GO_SPACE)
    match = _WHITESPACE.search(trimmed)
    if not match:
        return trimmed, None, ""
    rest, flags = extract_flags(trimmed[match.end() :])
    return trimmed[: match.start()], flags, rest.strip(_GO_SPACE)


def extract_flags(line: str) -> tuple[str, list[str]]:
    """Leading ``--flag[=value]`` words (quotes removed), and the rest of the line."""
    flags: list[str] = []
    phase, quote, blank_ok, word = "spaces", "", False, []
    pos, length = 0, len(line)
    while pos <= length:
        ch = line[pos] if pos < length else ""
        if phase == "spaces":
            if pos == length:
                break
            if ch in _GO_SPACE:
                pos += 1
                continue
            if ch != "-" or pos + 1 == length or line[pos + 1] != "-":
                return line[pos:], flags
            phase = "word"
        if pos == length:
            joined = "".join(word)
            if joined != "--" and (blank_ok or word):
                flags.append(joined)
            break
        if phase == "word":
            if ch in _GO_SPACE:
                phase = "spaces"
                joined = "".join(word)
                if joined == "--":
                    return line[pos:], flags
                if blank_ok or word:
                    flags.append(joined)
                word, blank_ok = [], False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
                pos += 1
                continue
            if ch == "\\":
                pos += 1
                if pos < length:
                    word.append(line[pos])
                pos += 1
                continue
            word.append(ch)
            pos += 1
            continue
        if ch == quote:
            phase = "word"
            pos += 1
            continue
        if ch == "\\":
            pos += 1
            if pos == length:
                phase = "word"
                continue
            word.append(line[pos])
            pos += 1
            continue
        word.append(ch)
        pos += 1
    return "", flags


# ---------------------------------------------------------------- line parsers
# Each returns (value, is_json) as BuildKit's dispatch table does; value None is "no node".


class _NotJson(Exception):
    pass


def _parse_json(rest: str) -> list[str]:
    rest = _trim_leading_ws(rest)
    if not rest.startswith("["):
        raise _NotJson
    try:
        parsed = json.loads(rest)
    except ValueError:
        raise _NotJson from None
    if not isinstance(parsed, list):
        raise _NotJson
    if not all(isinstance(item, str) for item in parsed):
        raise ValueError("when using JSON array syntax, arrays must be comprised of strings only")
    return parsed


def _parse_string(rest: str, _escape: str):
    return ([rest] if rest else None), False


def _parse_ignore(_rest: str, _escape: str):
    return [""], False


def _parse_whitespace_delimited(rest: str, _escape: str):
    return (_WHITESPACE.split(rest) if rest else None), False


def _parse_maybe_json(rest: str, _escape: str):
    if not rest:
        return None, False
    try:
        return (_parse_json(rest) or None), True
    except _NotJson:
        return [rest], False


def _parse_maybe_json_to_list(rest: str, escape: str):
    try:
        return (_parse_json(rest) or None), True
    except _NotJson:
        return _parse_whitespace_delimited(rest, escape)


def _parse_name_or_name_val(rest: str, escape: str):
    return (parse_words(rest, escape) or None), False


def _parse_name_val(key: str):
    def parse(rest: str, escape: str):
        words = parse_words(rest, escape)
        if not words:
            return None, False
        if "=" not in words[0]:
            parts = _WHITESPACE.split(rest, maxsplit=1)
            if len(parts) < 2:
                raise ValueError(f"{key} must have two arguments")
            return [parts[0], parts[1], ""], False
        value: list[str] = []
        for word in words:
            if "=" not in word:
                raise ValueError(
                    f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value'
                )
            name, val = word.split("=", 1)
            value += [name, val, "="]
        return value, False

    return parse


def _parse_health_config(rest: str, escape: str):
    sep = 0
    while sep < len(rest) and rest[sep] not in _GO_SPACE:
        sep += 1
    nxt = sep
    while nxt < len(rest) and rest[nxt] in _GO_SPACE:
        nxt += 1
    if sep == 0:
        return None, False
    cmd, is_json = _parse_maybe_json(rest[nxt:], escape)
    return [rest[:sep], *(cmd or [])], is_json


_LINE_PARSERS = {
    "ADD": _parse_maybe_json_to_list,
    "ARG": _parse_name_or_name_val,
    "CMD": _parse_maybe_json,
    "COPY": _parse_maybe_json_to_list,
    "ENTRYPOINT": _parse_maybe_json,
    "ENV": _parse_name_val("ENV"),
    "EXPOSE": _parse_whitespace_delimited,
    "FROM": _parse_whitespace_delimited,
    "HEALTHCHECK": _parse_health_config,
    "LABEL": _parse_name_val("LABEL"),
    "MAINTAINER": _parse_string,
    "RUN": _parse_maybe_json,
    "SHELL": _parse_maybe_json,
    "STOPSIGNAL": _parse_string,
    "USER": _parse_string,
    "VOLUME": _parse_maybe_json_to_list,
    "WORKDIR": _parse_string,
}
KNOWN_KEYWORDS = frozenset(_LINE_PARSERS) | {"ONBUILD"}


def is_number(word: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²`` and ``٣``, which Docker does not."""
    return word.isascii() and word.isdigit()
