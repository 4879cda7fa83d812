"""Line diffs that stay fast on long files: ``difflib`` below a size, anchors above it.

``difflib.SequenceMatcher`` finds the longest matching block of the whole range, then
recurses on each side. When a rewrite changes many lines spread over a long file (the lean
transform edits every install) the block found first is the first one, so each level
rescans nearly the whole file: time grows with lines × changes (quadratic), 4 s of a
10,000-line file's run. Real Dockerfiles are far below ``SMALL`` lines, where
``SequenceMatcher`` runs as before and every diff, hunk and line mapping stays byte for byte
what it was. Above it, ``Matcher`` anchors the matching on the lines that occur once in each
text (patience diff: the longest increasing run of them), extends each anchor over equal
neighbours, and runs ``SequenceMatcher`` only inside the small gaps between anchors (a gap
too big for it is treated as replaced). The result is a valid diff (each block matches),
found in O(n log n).
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterator, Sequence

SMALL = 2000  # lines, in the longer of the two texts: below it, difflib as it is
GAP = 250_000  # lines × lines of a gap between anchors that difflib may still match


class Matcher(difflib.SequenceMatcher):
    """``difflib.SequenceMatcher`` with matching blocks found by anchors on long texts."""

    def _SequenceMatcher__chain_b(self):  # noqa: N802 (difflib's index of b, for its own search)
        if max(len(self.a), len(self.b)) < SMALL:
            super()._SequenceMatcher__chain_b()  # type: ignore[misc]

    def get_matching_blocks(self):
        if self.matching_blocks is not None:
            return self.matching_blocks
        a, b = self.a, self.b
        if max(len(a), len(b)) < SMALL:
            return super().get_matching_blocks()
        blocks = _anchored(a, b, self.autojunk)
        merged: list[list[int]] = []
        for i, j, k in blocks:
            if k == 0:
                continue
            if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
                merged[-1][2] += k
            else:
                merged.append([i, j, k])
        merged.append([len(a), len(b), 0])
        self.matching_blocks = [difflib.Match(*m) for m in merged]
        return self.matching_blocks


def _anchored(a: Sequence, b: Sequence, autojunk: bool) -> list[tuple[int, int, int]]:
    na, nb = len(a), len(b)
    lo = 0
    while lo < na and lo < nb and a[lo] == b[lo]:
        lo += 1
    ha, hb = na, nb
    while ha > lo and hb > lo and a[ha - 1] == b[hb - 1]:
        ha -= 1
        hb -= 1
    blocks: list[tuple[int, int, int]] = [(0, 0, lo)]
    # lines once in each middle part, paired; the longest run increasing in both (patience)
    count_a: dict = {}
    for i in range(lo, ha):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
    where_b: dict = {}
    for j in range(lo, hb):
        line = b[j]
        where_b[line] = -1 if line in where_b else j
    pairs = [(i, where_b[a[i]]) for i in range(lo, ha) if count_a[a[i]] == 1 and where_b.get(a[i], -1) >= 0]
    anchors = _longest_increasing(pairs)
    i, j = lo, lo  # where the part not yet matched starts
    for ai, bj in anchors:
        if ai < i or bj < j:
            continue  # inside the previous anchor's extension
        # extend the anchor backwards over equal lines, then match the gap before it
        s = 0
        while ai - s - 1 >= i and bj - s - 1 >= j and a[ai - s - 1] == b[bj - s - 1]:
            s += 1
        blocks += _gap(a, b, i, ai - s, j, bj - s, autojunk)
        e = 1
        while ai + e < ha and bj + e < hb and a[ai + e] == b[bj + e]:
            e += 1
        blocks.append((ai - s, bj - s, s + e))
        i, j = ai + e, bj + e
    blocks += _gap(a, b, i, ha, j, hb, autojunk)
    blocks.append((ha, hb, na - ha))
    return blocks


def _gap(a: Sequence, b: Sequence, alo: int, ahi: int, blo: int, bhi: int, autojunk: bool) -> list[tuple[int, int, int]]:
    if alo >= ahi or blo >= bhi or (ahi - alo) * (bhi - blo) > GAP:
        return []
    sub = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=autojunk)
    return [(alo + i, blo + j, k) for i, j, k in sub.get_matching_blocks() if k]


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (increasing in the first item) increasing in the
    second too: patience sorting, O(n log n)."""
    tails: list[int] = []  # the smallest second item ending a run of each length
    tail_at: list[int] = []  # index in pairs of that item
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        at = bisect.bisect_left(tails, j)
        if at == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[at] = j
            tail_at[at] = k
        back[k] = tail_at[at - 1] if at else -1
    out = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    out.reverse()
    return out


def opcodes(a: Sequence, b: Sequence, autojunk: bool = True) -> list[tuple[str, int, int, int, int]]:
    return Matcher(None, a, b, autojunk=autojunk).get_opcodes()


def unified_diff(a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str, n: int = 3) -> Iterator[str]:
    """``difflib.unified_diff`` (same output, no dates, ``\\n`` line terms) with ``Matcher``."""
    started = False
    for group in Matcher(None, a, b).get_grouped_opcodes(n):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        file1_range = difflib._format_range_unified(first[1], last[2])  # type: ignore[attr-defined]
        file2_range = difflib._format_range_unified(first[3], last[4])  # type: ignore[attr-defined]
        yield f"@@ -{file1_range} +{file2_range} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for line in a[i1:i2]:
                    yield " " + line
                continue
            if tag in ("replace", "delete"):
                for line in a[i1:i2]:
                    yield "-" + line
            if tag in ("replace", "insert"):
                for line in b[j1:j2]:
                    yield "+" + line
