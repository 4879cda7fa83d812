"""``.dockerignore`` files: which one a build uses, reading it as Docker does, matching with
Docker's own rules, and appending to it without touching the user's lines.

Matching is moby/patternmatcher (the code Docker and BuildKit use), through its Python port
``e2b_dockerfile_utils.PatternMatcher``: Go ``filepath.Match`` globs on slash paths relative
to the context root, ``**`` for any number of folders, a pattern that matches a folder
excludes everything below it, ``!`` re-includes, the last matching pattern wins, patterns
are cleaned like ``filepath.Clean`` and a leading ``/`` is dropped. Reading follows moby's
``ignorefile.ReadAll``: a UTF-8 BOM on the first line is dropped, ``\\r`` line ends too,
lines starting with ``#`` are comments, blank lines are skipped.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

MAX_SIZE = 1 << 20  # an ignore file larger than 1 MiB is not read
BOM = "\ufeff"


class IgnoreError(ValueError):
    """An ignore file Docker would reject (a bad pattern), or one that cannot be read."""


def locate(dockerfile: Path | None, context: Path) -> Path:
    """The ignore file the build uses: BuildKit prefers ``<Dockerfile name>.dockerignore``
    beside the Dockerfile over ``<context>/.dockerignore``. The latter when neither exists."""
    if dockerfile is not None:
        dedicated = dockerfile.parent / f"{dockerfile.name}.dockerignore"
        if dedicated.is_file():
            return dedicated
    return context / ".dockerignore"


def read(path: Path) -> str | None:
    """The file's text (None when absent); IgnoreError when it is not a readable text file."""
    if not path.exists():
        return None
    if not path.is_file():
        raise IgnoreError(f"{path.name} is not a regular file")
    try:
        if path.stat().st_size > MAX_SIZE:
            raise IgnoreError(f"{path.name} is larger than 1 MiB")
        data = path.read_bytes()
    except OSError as err:
        raise IgnoreError(f"{path.name} cannot be read ({err.strerror or err})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise IgnoreError(f"{path.name} is not UTF-8 text") from None


def lines_of(text: str) -> list[str]:
    """The raw lines the way Go's bufio.Scanner splits them (``\\n``, a ``\\r`` before it dropped)."""
    if text.startswith(BOM):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def newline_of(text: str | None) -> str:
    return "\r\n" if text and "\r\n" in text else "\n"


@functools.lru_cache(maxsize=4096)
def _cleaned(line: str) -> tuple[str, ...]:
    """What moby makes of one line (PatternMatcher, ported): its cleaned pattern, nothing for
    comments and blanks; ValueError for a pattern Docker rejects. Lines are independent."""
    from e2b_dockerfile_utils import PatternMatcher

    return tuple(PatternMatcher([line]).patterns)


@functools.lru_cache(maxsize=1024)
def _pattern_matcher(lines: tuple[str, ...]):
    """The cleaned patterns of the lines, with the FastMatcher and decision cache they share."""
    cleaned = tuple(pattern for line in lines for pattern in _cleaned(line))
    return (cleaned, *_fast_matcher(cleaned))


_FAST: dict[tuple[str, ...], tuple] = {}  # cleaned patterns -> (FastMatcher, decisions)
_FAST_KEPT = 1024
_EXTEND_BY = 4  # a list that adds up to this many patterns to a known one extends it
_MAX_DEPTH = 8  # ... unless that one already extends others this many times


def _fast_matcher(cleaned: tuple[str, ...]):
    """Built once per pattern list (transforms and Dockerfiles of one context ask for the same
    ones again and again, with different comments): a FastMatcher (moby's decisions, see
    fixer.patterns) and a cache of its decisions. A list that appends a few patterns to a
    known one (an entry tried, the Dockerfile's own name) extends it: the known decisions are
    reused, only the new patterns are evaluated."""
    known = _FAST.get(cleaned)
    if known is not None:
        return known
    from .patterns import FastMatcher

    fast = None
    for cut in range(1, min(_EXTEND_BY, len(cleaned)) + 1):
        base = _FAST.get(cleaned[:-cut])
        if base is not None and base[0].depth < _MAX_DEPTH:
            fast = FastMatcher(list(cleaned[-cut:]), base[0])
            break
    if len(_FAST) >= _FAST_KEPT:
        del _FAST[next(iter(_FAST))]  # the oldest
    known = _FAST[cleaned] = (fast or FastMatcher(list(cleaned)), {})
    return known


class Matcher:
    """Docker's decision for paths relative to the context root (``True``: excluded)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)
        try:
            # _seen: path -> decision, shared by every Matcher of the same lines
            self._patterns, self._fast, self._seen = _pattern_matcher(tuple(self.lines))
        except ValueError as err:
            raise IgnoreError(str(err)) from None

    @classmethod
    def from_text(cls, text: str) -> Matcher:
        return cls(lines_of(text))

    @property
    def patterns(self) -> list[str]:
        """The cleaned patterns, ``!`` first for exceptions (what moby's ReadAll returns)."""
        return list(self._patterns)

    def excluded(self, path: str) -> bool:
        seen = self._seen.get(path)  # decisions are cached by the path as asked
        if seen is None:
            cleaned = clean(path)
            # the context root itself is always sent
            seen = self._seen[path] = cleaned not in ("", ".") and self._fast.matches(cleaned)
        return seen

    def may_reinclude_under(self, folder: str) -> bool:
        """Whether a ``!`` pattern could re-include something below an excluded folder."""
        from e2b_dockerfile_utils import PatternMatcher

        return PatternMatcher(self.lines).may_match_under(clean(folder))

    def plus(self, *lines: str) -> Matcher:
        return Matcher(self.lines + list(lines))


@functools.lru_cache(maxsize=16384)
def clean(path: str) -> str:
    """A path relative to the context root, cleaned like Go's filepath.Clean, no leading ``/``."""
    import posixpath

    path = re.sub("/+", "/", path)
    path = posixpath.normpath(path) if path else "."
    while path.startswith("/"):
        path = path[1:] or "."
    if path == ".." or path.startswith("../"):
        return "."  # BuildKit clamps paths that leave the context to its root
    return path


@functools.lru_cache(maxsize=4096)
def clean_pattern(line: str) -> str | None:
    """The pattern a line stands for, cleaned as moby does (None for comments and blanks)."""
    if line.startswith("#"):
        return None
    pattern = line.strip()
    if not pattern:
        return None
    negated = pattern.startswith("!")
    if negated:
        pattern = pattern[1:].strip()
    pattern = clean(pattern) if pattern else pattern
    return ("!" if negated else "") + pattern


_WILDCARD = re.compile(r"[*?\[\\]")
_SPECIAL = re.compile(r"[*?\[\]\\]")


def literal(path: str) -> str | None:
    """The line that excludes exactly this file: wildcards escaped, and a leading ``#`` or ``!``
    too (a comment, an exception). None when no line can: a name that starts or ends with
    blanks (Docker trims lines) or holds a control character."""
    if not path or path != path.strip() or any(ord(c) < 32 or c == "\x7f" for c in path):
        return None
    line = _SPECIAL.sub(lambda m: "\\" + m.group(), path)
    return "\\" + line if line[0] in "#!" else line


def has_wildcard(pattern: str) -> bool:
    return bool(_WILDCARD.search(pattern))


@functools.lru_cache(maxsize=4096)
def probes(pattern: str) -> tuple[str, ...]:
    """Example paths a pattern excludes, to ask another matcher whether it already covers
    them: ``**/*.py[co]`` gives ``x.pyc``, ``x.pyo``, ``d/x.pyc``, ``d/x.pyo``; an escaped
    literal name gives the name. Empty when no example can be made (negated classes, ranges,
    escapes mixed with wildcards)."""
    pattern = pattern.lstrip("!")
    if "\\" in pattern:
        if _WILDCARD.search(re.sub(r"\\.", "", pattern)):
            return ()
        return (clean(re.sub(r"\\(.)", r"\1", pattern)),)  # a literal name (see ``literal``)
    bodies = [pattern]
    while any("[" in b for b in bodies):
        expanded = []
        for body in bodies:
            m = re.search(r"\[([^\]]*)\]", body)
            if m is None or not m.group(1) or m.group(1)[0] in "^!" or "-" in m.group(1):
                return ()
            expanded += [body[: m.start()] + ch + body[m.end() :] for ch in dict.fromkeys(m.group(1))]
        bodies = expanded[:16]
    out = []
    for body in bodies:
        for prefix in ("", "d/") if body.startswith("**/") else ("",):
            probe = prefix + body.removeprefix("**/")
            probe = probe.replace("/**/", "/d/").replace("**", "x").replace("*", "x").replace("?", "x")
            out.append(clean(probe))
    return tuple(out)


@dataclass(frozen=True)
class Glob:
    """A COPY/ADD source: Go filepath.Match per path segment, with everything below a match."""

    pattern: str

    def __post_init__(self) -> None:
        if self.pattern != ".":
            _, fast, seen = _pattern_matcher((self.pattern,))  # compiled once, decisions shared
            object.__setattr__(self, "_fast", fast)
            object.__setattr__(self, "_seen", seen)

    @property
    def is_root(self) -> bool:
        return self.pattern == "."

    def _matches(self, path: str) -> bool:
        seen = self._seen.get(path)
        if seen is None:
            seen = self._seen[path] = self._fast.matches(path)
        return seen

    def sends(self, path: str) -> bool:
        """Whether this source sends the file (it is the file, a folder above it, or a glob match)."""
        return self.is_root or self._matches(path)

    def names(self, path: str) -> bool:
        """Whether this source names the file itself (not a folder above it)."""
        if self.is_root:
            return False
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        return self._matches(path) and (parent is None or not self._matches(parent))


def append_block(old: str, lines: list[str], header: list[str], newline: str) -> str:
    """``old`` with ``header`` and ``lines`` appended at its end, in its line-ending style;
    a missing final newline is added first so the user's last line stays a line of its own."""
    text = old
    if text and not text.endswith("\n"):
        text += newline
    block: list[str] = []
    if text.strip(BOM + " \t\r\n"):
        block.append("")
    block += header + lines
    return text + "".join(line + newline for line in block)
