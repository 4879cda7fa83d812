"""A fast evaluator of moby/patternmatcher decisions, for matching many paths.

``e2b_dockerfile_utils.PatternMatcher`` (a port of moby/patternmatcher) stays the reference:
it validates and cleans the patterns. Its ``matches`` re-walks every parent folder and every
pattern for each path, which dominates imgfix's run time on large contexts. This module
gives the same decisions faster, with three observations:

* BuildKit decides folder by folder (``MatchesUsingParentResults``): a path's result depends
  only on its parent folder's per-pattern results and the path itself, so each folder's
  state is computed once and shared by everything below it;
* within a run of consecutive patterns of the same kind (all excluding, or all ``!``), the
  sequential evaluation stops at the first pattern that matches, and every pattern of the
  run sets the decision the same way: only *whether* some pattern of the run matched (here,
  or in a parent folder) matters, not which, so a run is a set of patterns tried in any order;
* most patterns are literal (``node_modules``, ``**/.env``, ``**/*.pem``, ``**/id_rsa*``):
  moby's own exact, prefix and suffix shortcuts, and their basename forms, are one string
  operation over the whole run (``str.endswith`` takes a tuple); the rest share one regex.

``tests/test_patterns.py`` holds it to PatternMatcher on generated patterns and paths.
"""

from __future__ import annotations

import functools
import re

_LITERAL_REGEX_CHARS = set(".+()|{}$^")
_SPECIAL = set("*?[]\\")


def _literal(text: str) -> bool:
    return not (_SPECIAL & set(text))


@functools.lru_cache(maxsize=4096)
def pattern_regex(pattern: str) -> str:
    """The regular expression (full match) moby uses for one cleaned pattern.

    Mirrors moby's ``Pattern.compile``: its exact, prefix and suffix shortcuts are written as
    the regexes they are equivalent to; ``\\`` escapes the next character (Unix)."""
    regex, kind = "", "exact"
    i, n = 0, len(pattern)
    while i < n:
        first = i == 0
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                if i >= n:
                    regex += ".*"
                    kind = "prefix" if kind == "exact" else "regex"
                else:
                    regex += "(?:.*/)?"
                    kind = "regex"
                if first:
                    kind = "suffix"
            else:
                regex += "[^/]*"
                kind = "regex"
        elif ch == "?":
            regex += "[^/]"
            kind = "regex"
        elif ch == "[":
            j = i
            if j < n and pattern[j] == "^":
                j += 1
            while j < n and pattern[j] != "]":
                if pattern[j] == "\\":
                    j += 1
                j += 1
            regex += pattern[i - 1 : j + 1]
            i = j + 1
            kind = "regex"
        elif ch == "]":
            regex += ch
            kind = "regex"
        elif ch in _LITERAL_REGEX_CHARS:
            regex += "\\" + ch
        elif ch == "\\":
            if i < n:
                regex += re.escape(pattern[i])
                i += 1
                kind = "regex"
            else:
                regex += "\\\\"
        else:
            regex += ch
    if kind == "exact":
        return re.escape(pattern)
    if kind == "prefix":
        return re.escape(pattern[:-2]) + ".*"
    if kind == "suffix":  # moby: strings.HasSuffix(path, pattern[2:]); "**/foo" also "foo"
        suffix = pattern[2:]
        alternatives = [".*" + re.escape(suffix)]
        if suffix.startswith("/"):
            alternatives.append(re.escape(suffix[1:]))
        return "(?:" + "|".join(alternatives) + ")"
    return regex


@functools.lru_cache(maxsize=4096)
def _tests(pattern: str) -> tuple[tuple[str, str], ...]:
    """How to test a path against one cleaned pattern, as (kind, value) alternatives:
    ``exact`` (equal), ``prefix``/``suffix`` (starts/ends with), ``base`` (its last name starts
    with), ``regex`` (full match). The literal kinds are what ``pattern_regex`` would produce."""
    if _literal(pattern):
        return (("exact", pattern),)
    if pattern.startswith("**") and _literal(pattern[2:]):  # moby's suffix shortcut
        suffix = pattern[2:]
        tests = [("suffix", suffix)]
        if suffix.startswith("/"):
            tests.append(("exact", suffix[1:]))
        return tuple(tests)
    if pattern.endswith("/**") and _literal(pattern[:-3]):  # moby's prefix shortcut
        return (("prefix", pattern[:-2]),)
    if pattern.startswith("**/*") and _literal(pattern[4:]) and "/" not in pattern[4:]:
        return (("suffix", pattern[4:]),)  # (?:.*/)?[^/]*L: the last name ends with L
    if pattern.startswith("**/") and pattern.endswith("*") and _literal(pattern[3:-1]) and "/" not in pattern[3:-1]:
        return (("base", pattern[3:-1]),)  # (?:.*/)?L[^/]*: the last name starts with L
    return (("regex", pattern_regex(pattern)),)


@functools.lru_cache(maxsize=1024)
def _alternation(regexes: tuple[str, ...]) -> re.Pattern:
    """One regex for the run's patterns that need one (lists that differ only in literal
    patterns share it)."""
    return re.compile("(?:" + "|".join(regexes) + ")\\Z", re.DOTALL)


class _Run:
    """Consecutive patterns of one kind: ``exclusion`` is True for ``!`` patterns."""

    def __init__(self, exclusion: bool, patterns: list[str]) -> None:
        self.exclusion = exclusion
        tests: dict[str, list[str]] = {"exact": [], "prefix": [], "suffix": [], "base": [], "regex": []}
        for pattern in patterns:
            for kind, value in _tests(pattern):
                tests[kind].append(value)
        self.exact = frozenset(tests["exact"])
        self.prefixes = tuple(tests["prefix"])
        self.suffixes = tuple(tests["suffix"])
        self.bases = tuple(tests["base"])
        self.regex = _alternation(tuple(dict.fromkeys(tests["regex"]))) if tests["regex"] else None

    def matches(self, path: str) -> bool:
        """Whether some pattern of the run matches the path."""
        if path in self.exact or path.startswith(self.prefixes) or path.endswith(self.suffixes):
            return True
        if self.bases and path[path.rfind("/") + 1 :].startswith(self.bases):
            return True
        return self.regex is not None and self.regex.match(path) is not None


def matches_any(pattern: str, paths) -> bool:
    """Whether one cleaned excluding pattern matches one of the paths itself (a folder among
    them stands for everything below it)."""
    run = _Run(False, [pattern])
    return any(run.matches(path) for path in paths)


class FastMatcher:
    """``matches(path)`` as moby/BuildKit decide it, for cleaned patterns (``!`` first for
    exceptions, as ``PatternMatcher.patterns`` lists them).

    With ``base``, the patterns are those of ``base`` followed by ``cleaned``: the base's
    decision for a path (computed once, and shared by every extension) is where these runs
    start, which is all a later run needs to know of the earlier ones."""

    def __init__(self, cleaned: list[str], base: FastMatcher | None = None) -> None:
        self.base = base
        self.depth = base.depth + 1 if base is not None else 0
        self.runs: list[_Run] = []
        i = 0
        while i < len(cleaned):
            exclusion = cleaned[i].startswith("!")
            j = i
            while j < len(cleaned) and cleaned[j].startswith("!") == exclusion:
                j += 1
            self.runs.append(_Run(exclusion, [p[1:] if exclusion else p for p in cleaned[i:j]]))
            i = j
        # folder path -> (excluded, bit k set: run k matched it or a folder above it)
        self._states: dict[str, tuple[bool, int]] = {}

    def matches(self, path: str) -> bool:
        return self._state(path)[0]

    def _state(self, path: str) -> tuple[bool, int]:
        state = self._states.get(path)
        if state is None:
            slash = path.rfind("/")
            inherited = self._state(path[:slash])[1] if slash > 0 else 0
            matched = self.base._state(path)[0] if self.base is not None else False
            state = self._states[path] = self._step(path, inherited, matched)
        return state

    def _step(self, path: str, inherited: int, matched: bool) -> tuple[bool, int]:
        """One folder level of BuildKit's ``MatchesUsingParentResults``, a run at a time."""
        hits = 0
        for k, run in enumerate(self.runs):
            # a run matched by a folder above holds here; otherwise a pattern can only change
            # the decision when it would flip it: excluding runs while the path is not
            # excluded, ``!`` runs while it is
            if inherited >> k & 1 or (matched == run.exclusion and run.matches(path)):
                hits |= 1 << k
                matched = not run.exclusion
        return matched, hits
