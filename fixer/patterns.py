"""A fast evaluator of moby/patternmatcher decisions, for matching many paths.

``e2b_dockerfile_utils.PatternMatcher`` (a port of moby/patternmatcher) stays the reference:
it validates and cleans the patterns. Its ``matches`` re-walks every parent folder and every
pattern for each path, which dominates imgfix's run time on large contexts. This module
gives the same decisions faster, with two observations:

* BuildKit decides folder by folder (``MatchesUsingParentResults``): a path's result depends
  only on its parent folder's per-pattern results and the path itself, so each folder's
  state is computed once and shared by everything below it;
* within a run of consecutive patterns of the same kind (all excluding, or all ``!``), the
  sequential evaluation stops at the first pattern that matches, so one alternation regex
  (which also tries its alternatives in order) finds it in a single call.

``tests/test_patterns.py`` holds it to PatternMatcher on generated patterns and paths.
"""

from __future__ import annotations

import functools
import re

_LITERAL_REGEX_CHARS = set(".+()|{}$^")


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


@functools.lru_cache(maxsize=2048)
def _alternation(regexes: tuple[str, ...]) -> re.Pattern:
    """One regex that tries the patterns in order: the group that matched says which."""
    return re.compile("(?:" + "|".join(f"({r})\\Z" for r in regexes) + ")", re.DOTALL)


_CHUNK = 8  # patterns per alternation: a list that grows by one recompiles only its last chunk


class _Run:
    """Consecutive patterns of one kind: ``exclusion`` is True for ``!`` patterns."""

    def __init__(self, exclusion: bool, start: int, regexes: tuple[str, ...]) -> None:
        self.exclusion = exclusion
        self.start = start
        self.end = start + len(regexes)
        self.chunks = [regexes[i : i + _CHUNK] for i in range(0, len(regexes), _CHUNK)]

    def first_match(self, path: str) -> int | None:
        """Index (in the whole list) of the first pattern of the run that matches the path."""
        for n, chunk in enumerate(self.chunks):
            m = _alternation(chunk).match(path)
            if m is not None:
                return self.start + n * _CHUNK + m.lastindex - 1
        return None


class FastMatcher:
    """``matches(path)`` as moby/BuildKit decide it, for cleaned patterns (``!`` first for
    exceptions, as ``PatternMatcher.patterns`` lists them)."""

    def __init__(self, cleaned: list[str]) -> None:
        self.runs: list[_Run] = []
        kinds = [(p.startswith("!"), p[1:] if p.startswith("!") else p) for p in cleaned]
        i = 0
        while i < len(kinds):
            j = i
            while j < len(kinds) and kinds[j][0] == kinds[i][0]:
                j += 1
            self.runs.append(_Run(kinds[i][0], i, tuple(pattern_regex(p) for _, p in kinds[i:j])))
            i = j
        # folder path -> (excluded, indices of the patterns that matched it or a parent)
        self._states: dict[str, tuple[bool, frozenset[int]]] = {}

    def matches(self, path: str) -> bool:
        return self._state(path)[0]

    def _state(self, path: str) -> tuple[bool, frozenset[int]]:
        state = self._states.get(path)
        if state is None:
            slash = path.rfind("/")
            inherited = self._state(path[:slash])[1] if slash > 0 else frozenset()
            state = self._states[path] = self._step(path, inherited)
        return state

    def _step(self, path: str, inherited: frozenset[int]) -> tuple[bool, frozenset[int]]:
        """One folder level of BuildKit's ``MatchesUsingParentResults``."""
        matched = False
        hits: set[int] = set()
        for run in self.runs:
            carried = sorted(i for i in inherited if run.start <= i < run.end)
            hits.update(carried)
            # a pattern can only change the decision when it would flip it: excluding patterns
            # while not excluded, ``!`` patterns while excluded; the first match settles the run
            if matched == run.exclusion:
                limit = carried[0] if carried else run.end
                first = run.first_match(path)
                if first is not None and first < limit:
                    hits.add(first)
                    matched = not run.exclusion
            if carried:
                matched = not run.exclusion
        return matched, frozenset(hits)
