"""Every real-world Dockerfile and every parser vector goes through the whole pipeline."""

from __future__ import annotations

import difflib

import pytest

from conftest import PARSER_VECTORS_DIR, corpus_dockerfiles
from fixer.document.model import Document
from fixer.run.files import FileError, read_text
from fixer.transforms.options import Options
from fixer.run.pipeline import FixError, fix

CORPUS = corpus_dockerfiles()
VECTORS = sorted(PARSER_VECTORS_DIR.glob("*.Dockerfile"))
# transforms that need the network or options are not run here; everything else is
OPTIONS = Options()


def _check(path, tmp_path):
    try:
        text = read_text(path)
    except FileError as err:  # the Latin-1 vector: refused with the line, never mangled
        assert "is not UTF-8 text" in err.message, err.message
        return None
    context = tmp_path  # an empty build context: nothing from the corpus' own repositories
    try:
        outcome = fix(text, OPTIONS, context)
    except FixError as err:
        assert err.message and err.line >= 0
        return None
    out = outcome.fixed
    Document(out)  # parses
    again = fix(out, OPTIONS, context)
    assert again.fixed == out, "a second run changed the output"
    original = Document(text)
    kept = Document(out)
    # line endings keep their style
    assert ("\r\n" in out) == ("\r\n" in text)
    # no comment and no heredoc body is lost
    comments = [l.strip() for l in text.splitlines() if l.strip().startswith("#")]
    out_comments = [l.strip() for l in out.splitlines() if l.strip().startswith("#")]
    for c in comments:
        assert c in out_comments
    # the lean transform may chain a cleanup or add a flag inside a RUN <<EOF script it fixed
    lean_fixed = {f.line for f in outcome.findings if f.code.startswith("LYR") and f.fixed}
    bodies = [
        h.content
        for i in original.instructions
        for h in (i.sub or i).heredocs
        if not (i.cmd == "RUN" and lean_fixed & set(range(i.start_line, i.end_line + 1)))
    ]
    out_bodies = [h.content for i in kept.instructions for h in (i.sub or i).heredocs]
    for body in bodies:
        assert body in out_bodies
    rewritable = {"FROM", "USER", "EXPOSE", "COPY", "ADD", "ARG"}  # lines transforms may rewrite in place
    # the checks transform edits the instruction its finding is on (key=value, exec form, an
    # overridden CMD removed, empty continuation lines) and the case of words anywhere
    # (keywords, AS, stage names and their references)
    chk_fixed = {f.line for f in outcome.findings if f.code.startswith("CHK") and f.fixed}
    chk_lines = {n for i in original.instructions if i.start_line in chk_fixed for n in range(i.start_line, i.end_line + 1)}
    folded = {line.lower() for line in out.splitlines()}

    def chk_changed(number: int, line: str) -> bool:
        return number in chk_lines or line.lower() in folded

    if any(f.code == "MSB001" and f.fixed for f in outcome.findings):
        # a restructured build moves instructions between stages: nothing may be lost
        out_lines = out.splitlines()
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip() and line.lstrip().split(" ", 1)[0].upper() not in rewritable and not chk_changed(number, line):
                assert line in out_lines, line
        return outcome
    # the lean transform edits inside RUN lines (a flag, a chained cleanup, a merged update):
    # every physical line of a RUN it fixed may change
    lean_lines = set()
    fixed_lines = {f.line for f in outcome.findings if f.code.startswith("LYR") and f.fixed}
    merged = {f.line for f in outcome.findings if f.code == "LYR006" and f.fixed}  # into the next RUN
    runs = [i for i in original.instructions if i.cmd == "RUN"]
    for k, instr in enumerate(runs):
        lines = set(range(instr.start_line, instr.end_line + 1))
        if fixed_lines & lines or (k and runs[k - 1].start_line in merged):
            lean_lines.update(lines)
    # what no edit touched is unchanged: every original line is still there, in order
    sm = difflib.SequenceMatcher(None, text.splitlines(), out.splitlines(), autojunk=False)
    removed = [op for op in sm.get_opcodes() if op[0] in ("delete", "replace")]
    for _, i1, i2, _, _ in removed:
        for number, line in enumerate(text.splitlines()[i1:i2], start=i1 + 1):
            assert number in lean_lines or line.lstrip().split(" ", 1)[0].upper() in rewritable or chk_changed(number, line), line
    return outcome


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name[:80])
def test_real_corpus(path, tmp_path):
    _check(path, tmp_path)


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_parser_vectors_through_pipeline(path, tmp_path):
    _check(path, tmp_path)


def test_corpus_is_here():
    assert len(CORPUS) == 95
    assert len(VECTORS) == 52
