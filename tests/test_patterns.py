"""The fast evaluator gives moby's (PatternMatcher's) decisions."""

from __future__ import annotations

import json

from e2b_dockerfile_utils import PatternMatcher
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DOCKERIGNORE_VECTORS
from fixer.document.patterns import FastMatcher, matches_any

_segment = st.sampled_from(
    ["a", "b", "ab", "c.d", "*", "**", "?", "a*", "*b", "*.d", "c.*", "[ab]", "[^a]", "a?", "\\*", "x+y", "(z)"]
)
_pattern = st.builds(
    lambda neg, lead, segs: ("!" if neg else "") + ("/" if lead else "") + "/".join(segs),
    st.booleans(), st.booleans(), st.lists(_segment, min_size=1, max_size=4),
)
_path = st.lists(st.sampled_from(["a", "b", "ab", "c.d", "*", "x+y", "(z)", "ba", "x.d"]), min_size=1, max_size=5).map("/".join)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_pattern, min_size=1, max_size=20), st.lists(_path, min_size=1, max_size=12))
def test_same_decisions_as_patternmatcher(patterns, paths):
    try:
        reference = PatternMatcher(patterns)
    except ValueError:
        return
    fast = FastMatcher(reference.patterns)
    for path in sorted(paths, key=len, reverse=True):  # deep paths first: parents get computed on the way
        assert fast.matches(path) == reference.matches(path), (patterns, path)


def test_moby_vectors():
    """Against what moby/patternmatcher itself decided (the cleaning is Matcher's job)."""
    from fixer.document.ignorefile import clean

    checked = 0
    for case in json.loads(DOCKERIGNORE_VECTORS.read_text()):
        moby = case["moby_patternmatcher"]
        if "results" not in moby:
            continue  # a file moby rejects: Matcher reports it
        fast = FastMatcher(moby["cleaned"])
        for path, excluded in moby["results"].items():
            cleaned = clean(path)
            assert (cleaned not in ("", ".") and fast.matches(cleaned)) == excluded, (case["name"], path)
            checked += 1
    assert checked >= 60


@settings(max_examples=500, deadline=None)
@given(_pattern.filter(lambda p: not p.startswith("!")), st.lists(_path, min_size=1, max_size=8))
def test_matches_any_is_whether_the_pattern_excludes_a_file(pattern, files):
    """A pattern excludes a file when it matches the file or a folder above it."""
    try:
        (cleaned,) = PatternMatcher([pattern]).patterns
    except ValueError:
        return
    paths = set(files)
    for f in files:
        parts = f.split("/")
        paths.update("/".join(parts[:i]) for i in range(1, len(parts)))
    fast = FastMatcher([cleaned])
    assert matches_any(cleaned, paths) == any(fast.matches(f) for f in files)


@settings(max_examples=800, deadline=None)
@given(
    st.lists(_pattern, max_size=8), st.lists(st.lists(_pattern, min_size=1, max_size=4), min_size=1, max_size=3),
    st.lists(_path, min_size=1, max_size=10),
)
def test_an_extended_matcher_decides_as_the_whole_list(base, extensions, paths):
    """Patterns appended to a known list (an extension over its matcher) decide exactly as the
    whole list does."""
    try:
        whole = PatternMatcher(base + [p for ext in extensions for p in ext]).patterns
        cleaned = [PatternMatcher(base).patterns] + [PatternMatcher(ext).patterns for ext in extensions]
    except ValueError:
        return
    chained = FastMatcher(cleaned[0])
    for part in cleaned[1:]:
        chained = FastMatcher(part, chained)
    flat = FastMatcher(whole)
    for path in paths:  # shallow or deep first: both orders reach each parent on the way
        assert chained.matches(path) == flat.matches(path), (base, extensions, path)
