"""parse → analyse → transforms → render → check, for one Dockerfile.

Transforms run in a fixed order, each on the document the previous one left, so none can
undo another. Every rewrite is checked the way black checks its output: the result must
parse, and running the pipeline on it again must change nothing. A failure is reported,
never written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..analysis.stages import Analysis
from ..document import linediff
from ..document.model import Document, EditConflict, apply_edits
from ..document.parser import KNOWN_KEYWORDS, ParseError
from ..document.suppressions import SuppressionError, find_suppressions
from ..transforms import FileChange, Finding, FixError, all_transforms
from ..transforms.options import Options
from .suppress import Suppressed, filter_result


@dataclass
class Outcome:
    original: str
    fixed: str
    findings: list[Finding] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)  # hidden by ``# imgfix: ignore``

    @property
    def changed(self) -> bool:
        return self.fixed != self.original or any(f.old != f.new for f in self.files)


def check_semantics(doc: Document) -> None:
    """What BuildKit rejects after parsing: unknown instructions, no stage to build."""
    seen_from = False
    for instr in doc.instructions:
        cmd = instr.cmd
        if cmd not in KNOWN_KEYWORDS:
            raise FixError(f"unknown instruction: {instr.keyword}", instr.start_line)
        if instr.sub is not None and instr.sub.cmd not in KNOWN_KEYWORDS - {"ONBUILD", "FROM", "MAINTAINER"}:
            raise FixError(f"{instr.sub.keyword} isn't allowed as an ONBUILD trigger", instr.start_line)
        if cmd == "FROM":
            seen_from = True
        elif cmd != "ARG" and not seen_from:
            raise FixError(f"{instr.keyword} before the first FROM: not a Dockerfile, or no build stage", instr.start_line)
    if not seen_from:
        raise FixError("no FROM instruction: not a Dockerfile")


@functools.lru_cache(maxsize=8)
def _document(text: str, limits: bool = True) -> Document:
    """Parsed once: the stability check parses again exactly what the first run rendered.
    The size limits hold for the input; a rewrite may add a few instructions to it."""
    return Document(text, limits=limits)


def parse_document(text: str, limits: bool = True) -> Document:
    try:
        doc = _document(text, limits)
    except ParseError as err:
        raise FixError(err.message, err.line) from None
    check_semantics(doc)
    return doc


def _line_mapper(original: str, current: str):
    """Maps a 1-based line of ``current`` to the line of ``original`` it came from or follows."""
    if original == current:
        return lambda line: line
    mapping: dict[int, int] = {}

    def build() -> None:  # only when a finding on a rewritten text asks
        a, b = original.splitlines(), current.splitlines()
        for tag, i1, i2, j1, j2 in linediff.opcodes(a, b, autojunk=False):
            for k in range(j1, j2):
                if tag in ("equal", "replace"):  # the line itself, or the one it replaced
                    mapping[k + 1] = i1 + min(k - j1, i2 - i1 - 1) + 1
                else:  # an inserted line: the original line it follows
                    mapping[k + 1] = max(i1, 1)
        mapping[0] = 0

    def to_original(line: int) -> int:
        if not mapping:
            build()
        return mapping.get(line, line) if line else 0

    return to_original


@functools.lru_cache(maxsize=8)
def _analysis(doc: Document, context: Path | None, path: Path | None, mirrors: tuple[tuple[str, str], ...]) -> Analysis:
    """One analysis per version of the document (the stability check asks for the last again)."""
    return Analysis(doc, context, path, dict(mirrors))


@functools.lru_cache(maxsize=8)
def _suppressions(doc: Document):
    try:
        return find_suppressions(doc)
    except SuppressionError as err:
        raise FixError(err.message, err.line) from None


def forget() -> None:
    """Drop the documents, analyses and suppressions kept between calls: for a process that
    lives on (the language server), where the build context may change while the text stays."""
    _document.cache_clear()
    _analysis.cache_clear()
    _suppressions.cache_clear()


def run_transforms(
    text: str, options: Options, context: Path | None, path: Path | None = None, *, dockerfile_only: bool = False,
    rewrite: bool = False,
) -> Outcome:
    """The transforms in their order; ``dockerfile_only`` leaves out those that never edit the
    Dockerfile (the stability check compares the Dockerfile only); ``rewrite``: the text is
    the pipeline's own output (not held to the input's size limits)."""
    doc = parse_document(text, limits=not rewrite)
    outcome = Outcome(original=text, fixed=text)
    analysis = suppressions = None  # computed once per version of the document
    for transform in all_transforms():
        if not options.wants(transform.code):
            continue
        if dockerfile_only and not transform.edits_dockerfile:
            continue
        if analysis is None or analysis.doc is not doc:
            analysis = _analysis(doc, context, path, tuple(options.mirrors().items()))
            suppressions = _suppressions(doc)
        result = transform.apply(doc, analysis, options)
        result.findings = [f for f in result.findings if options.wants(f.code)]
        # suppressed findings are reported, their fixes dropped (see fixer.suppress)
        to_original = _line_mapper(text, doc.text)
        result, hidden = filter_result(result, transform.code, suppressions, to_original)
        for f in result.findings:
            outcome.findings.append(replace(f, line=to_original(f.line)))
        for h in hidden:
            f = h.finding
            outcome.suppressed.append(Suppressed(replace(f, line=to_original(f.line), fixed=False), h.reason))
        outcome.files += result.files
        dangling = doc.parsed.dangling
        if dangling is not None and any(e.start >= dangling.end for e in result.edits):
            raise FixError(
                f"{dangling.keyword} ends with a line continuation at the end of the file: a line "
                f"added after it would join it ({transform.name}); end the instruction, then run imgfix again",
                dangling.end_line,
            )
        if result.edits:
            try:
                new_text = apply_edits(doc.text, result.edits)
                doc = _document(new_text, False)
            except (EditConflict, ParseError) as err:
                raise FixError(f"internal error: {transform.name} produced an invalid rewrite ({err})") from None
    outcome.fixed = doc.text
    outcome.findings.sort(key=lambda f: (f.line, f.code, f.message))
    outcome.suppressed.sort(key=lambda s: (s.finding.line, s.finding.code, s.finding.message))
    return outcome


def fix(text: str, options: Options, context: Path | None = None, path: Path | None = None) -> Outcome:
    """The whole pipeline with its stability check."""
    outcome = run_transforms(text, options, context, path)
    if outcome.changed:
        again = run_transforms(outcome.fixed, options, context, path, dockerfile_only=True, rewrite=True)
        if again.fixed != outcome.fixed:
            raise FixError("internal error: the rewrite is not stable (a second run changes it again); nothing written")
    return outcome
