"""fixer.document.linediff: difflib's answers on small texts, valid and fast diffs on long ones."""

from __future__ import annotations

import difflib
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from fixer.document import linediff

_lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "RUN x\n", "\n", "d"]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_lines, _lines)
def test_small_texts_are_difflib(a, b):
    assert linediff.opcodes(a, b, autojunk=False) == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert list(linediff.unified_diff(a, b, "a/x", "b/x")) == list(difflib.unified_diff(a, b, "a/x", "b/x"))


def _check(a: list[str], b: list[str]) -> None:
    """The opcodes cover both texts in order, and their equal blocks are equal."""
    i = j = 0
    rebuilt: list[str] = []
    for tag, i1, i2, j1, j2 in linediff.opcodes(a, b, autojunk=False):
        assert (i1, j1) == (i, j)
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        rebuilt += b[j1:j2]
        i, j = i2, j2
    assert (i, j) == (len(a), len(b)) and rebuilt == b


def _long(n: int, seed: int) -> tuple[list[str], list[str]]:
    rnd = random.Random(seed)
    a = [f"RUN echo {i}\n" if rnd.random() < 0.9 else "RUN true\n" for i in range(n)]
    b = []
    for line in a:
        r = rnd.random()
        if r < 0.1:
            b.append(line.replace("echo", "printf"))  # changed
        elif r < 0.13:
            b += [line, "USER app\n"]  # inserted after
        elif r > 0.97:
            continue  # deleted
        else:
            b.append(line)
    return a, b


def test_long_texts_give_valid_diffs():
    for seed in range(5):
        a, b = _long(5000, seed)
        _check(a, b)
        it = iter(linediff.unified_diff(a, b, "a/x", "b/x", n=0))
        assert next(it).startswith("---") and next(it).startswith("+++")


def test_many_spread_changes_are_linear():
    """difflib takes lines × changes here (the lean transform edits every install); the
    anchors keep it near linear."""
    times = []
    for n in (10_000, 40_000):
        a = [f"RUN echo {i}\n" for i in range(n)]
        b = [line.replace("echo", "echo -n") if i % 3 == 0 else line for i, line in enumerate(a)]
        t0 = time.perf_counter()
        _check(a, b)
        "".join(linediff.unified_diff(a, b, "a/x", "b/x"))
        times.append(time.perf_counter() - t0)
    assert times[1] < 2.0, times  # about 0.4 s; difflib alone: 3.9 s at 10,000 lines, about a minute at 40,000
