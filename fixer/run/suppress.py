"""What ``# imgfix: ignore`` comments (``fixer.document.suppressions``) do to a transform's
findings and fixes.

What a suppression does to fixes (``filter_result``): a transform's finding on a suppressed
instruction is reported as suppressed and not fixed; every edit of that transform that touches
the instruction is dropped. Edits carry no finding code, so an edit touching a suppressed
instruction is dropped when the suppression names any code of the transform that made it.
When a suppressed finding claimed a fix and none of the transform's edits touched the
instruction, its fix lies elsewhere (e.g. a USER added at the end of the stage for a finding
on FROM): then all that transform's edits for the file are dropped, because keeping part of
them could leave a half-made change. Its other findings are then reported as not fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..document.model import Edit
from ..document.suppressions import Suppression
from ..transforms import Finding, Result


@dataclass(frozen=True)
class Suppressed:
    """A finding that a suppression hides, with the suppression's description."""

    finding: Finding
    reason: str


def _touches(edit: Edit, s: Suppression) -> bool:
    if edit.start == edit.end:  # an insertion touches the instruction only strictly inside it
        return s.start < edit.start < s.end
    return edit.start < s.end and s.start < edit.end


def filter_result(
    result: Result, prefix: str, suppressions: list[Suppression], to_original=lambda line: line
) -> tuple[Result, list[Suppressed]]:
    """The transform's result without what is suppressed, and the suppressed findings.

    Lines and offsets are those of the document the transform ran on; ``to_original`` maps
    its lines to the input file's for the reasons.
    """
    if not suppressions:
        return result, []
    whole = [s for s in suppressions if not s.start_line]
    local = [s for s in suppressions if s.start_line]
    kept: list[Finding] = []
    hidden: list[Suppressed] = []
    hidden_at: list[tuple[Finding, Suppression]] = []
    for f in result.findings:
        by = next((s for s in local if s.covers(f.code) and s.start_line <= f.line <= s.end_line), None)
        by = by or next((s for s in whole if s.covers(f.code)), None)
        if by is None:
            kept.append(f)
        else:
            hidden_at.append((f, by))
    edits: list[Edit] = []
    dropped_for: set[Suppression] = set()
    for e in result.edits:
        by = next((s for s in local if s.covers_transform(prefix) and _touches(e, s)), None)
        if by is None:
            edits.append(e)
        else:
            dropped_for.add(by)
    # an unsafe fix (a port moved in CMD, ENV, EXPOSE, configuration...) holds together: one
    # suppressed part drops all of it, never leaving the rest half-applied
    drop_all = any(s.covers_transform(prefix) and not s.codes for s in whole) or any(
        f.fixed and (not by.start_line or by not in dropped_for or f.fix == "unsafe") for f, by in hidden_at
    )
    files = result.files
    if drop_all and (edits or files):
        edits, files = [], []
        kept = [replace(f, fixed=False) for f in kept]
    for f, by in hidden_at:
        hidden.append(Suppressed(replace(f, fixed=False), by.describe(to_original)))
    return Result(edits=edits, findings=kept, files=files), hidden
