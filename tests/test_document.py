"""The document is lossless and its edits touch only what they name."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fixer.document.model import Document, Edit, EditConflict, apply_edits
from fixer.transforms.options import Options
from fixer.document.parser import ParseError
from fixer.run.pipeline import FixError, fix

import pytest


def test_render_is_the_text():
    text = "\ufeff# escape=`\r\nFROM alpine `\r\n  AS base\r\nRUN echo a`\r\n  b\r\n"
    assert Document(text).text == text


def test_insert_after_keeps_file_style():
    doc = Document("FROM a\r\n  RUN x\r\nCMD y\r\n")
    run = doc.instructions[1]
    new = apply_edits(doc.text, [doc.insert_after(run, doc.render_instruction("USER", "1:1", indent=doc.indent_of(run)))])
    assert new == "FROM a\r\n  RUN x\r\n  USER 1:1\r\nCMD y\r\n"


def test_insert_after_last_line_without_newline():
    doc = Document("FROM a\nRUN x")
    new = apply_edits(doc.text, [doc.insert_after(doc.instructions[1], doc.render_instruction("USER", "1"))])
    assert new == "FROM a\nRUN x\nUSER 1"


def test_insert_after_heredoc_goes_after_its_body_and_a_blank_line():
    # hadolint 2.x cannot parse a line right after a heredoc terminator
    doc = Document("FROM a\nRUN <<EOF\necho\nEOF\nCMD x\n")
    new = apply_edits(doc.text, [doc.insert_after(doc.instructions[1], "USER 1\n")])
    assert new == "FROM a\nRUN <<EOF\necho\nEOF\n\nUSER 1\nCMD x\n"


@pytest.mark.parametrize("text, expected", [
    ("FROM a\r\nCOPY <<EOF /f\r\nx\r\nEOF\r\n", "FROM a\r\nCOPY <<EOF /f\r\nx\r\nEOF\r\n\r\nUSER 1\r\n"),
    ("FROM a\nCOPY <<EOF /f\nx\nEOF", "FROM a\nCOPY <<EOF /f\nx\nEOF\n\nUSER 1"),
    ("FROM a\nONBUILD RUN <<EOF\nx\nEOF\n", "FROM a\nONBUILD RUN <<EOF\nx\nEOF\n\nUSER 1\n"),
    ("FROM a\nRUN echo '<<EOF'\n", "FROM a\nRUN echo '<<EOF'\nUSER 1\n"),  # not a heredoc
])
def test_insert_after_heredoc_keeps_the_file_style(text, expected):
    doc = Document(text)
    new = apply_edits(doc.text, [doc.insert_after(doc.instructions[1], doc.render_instruction("USER", "1"))])
    assert new == expected
    assert Document(new).instructions[2].cmd == "USER"


def test_continuations_use_the_escape_character_and_indent():
    doc = Document("# escape=`\nFROM a\nRUN x `\n  y\n")
    assert doc.render_instruction("RUN", "a", "&& b") == "RUN a `\n  && b\n"


def test_lowercase_files_get_lowercase_keywords():
    doc = Document("from a\nrun x\n")
    assert doc.render_instruction("USER", "1") == "user 1\n"


def test_replace_span_and_add_flag():
    doc = Document("FROM python:3.11 AS build\nCOPY . /app\n")
    frm, copy = doc.instructions
    span = doc.find_word(frm, "python:3.11")
    edits = [doc.replace_span(frm, *span, "python:3.11-slim"), doc.add_flag(copy, "--chown=1:1")]
    assert apply_edits(doc.text, edits) == "FROM python:3.11-slim AS build\nCOPY --chown=1:1 . /app\n"


def test_replace_span_refuses_to_cross_a_continuation():
    doc = Document("FROM pyth\\\non:3.11\n")
    frm = doc.instructions[0]
    span = doc.find_word(frm, "python:3.11")
    assert doc.replace_span(frm, *span, "x") is None


def test_overlapping_edits_conflict():
    with pytest.raises(EditConflict):
        apply_edits("abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])


# ---------------------------------------------------------------- properties

_keywords = st.sampled_from(["RUN", "run", "COPY", "ENV", "LABEL", "EXPOSE", "WORKDIR", "CMD", "USER", "ARG", "VOLUME", "HEALTHCHECK"])
_word = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r\x00"), min_size=0, max_size=12)
_newline = st.sampled_from(["\n", "\r\n"])


@st.composite
def dockerfiles(draw):
    nl = draw(_newline)
    escape = draw(st.sampled_from(["\\", "`"]))
    lines = []
    if escape == "`":
        lines.append("# escape=`")
    lines.append(f"FROM {draw(st.sampled_from(['debian:bookworm', 'alpine:3.20', 'python:3.12-slim', 'scratch', 'example.com/x:1']))}")
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            lines.append("# " + draw(_word))
        elif kind == 1:
            lines.append("")
        elif kind == 2:
            parts = draw(st.lists(_word, min_size=1, max_size=3))
            lines.append(f"{draw(_keywords)} {parts[0]} {escape}")
            for p in parts[1:]:
                if draw(st.booleans()):
                    lines.append("  # inside " + p)
                lines.append(f"  {p} {escape}")
            lines.append("  end")
        elif kind == 3:
            lines += ["RUN <<EOF", draw(_word), "EOF"]
        else:
            lines.append(f"{draw(_keywords)} {draw(_word)}")
    text = nl.join(lines) + draw(st.sampled_from([nl, ""]))
    return text


@settings(max_examples=300, deadline=None)
@given(dockerfiles())
def test_parse_render_is_lossless(text):
    try:
        doc = Document(text)
    except ParseError:
        return
    assert doc.text == text
    for instr in doc.instructions:
        for i, ch in enumerate(instr.text):
            assert text[instr.source_offset(i)] == ch


@settings(max_examples=200, deadline=None)
@given(dockerfiles())
def test_pipeline_is_idempotent_and_parses(text):
    try:
        out = fix(text, Options(select=("USR",))).fixed
    except FixError:
        return
    Document(out)
    assert fix(out, Options(select=("USR",))).fixed == out


def test_source_offset_by_binary_search_matches_the_scan():
    """Long continued instructions look offsets up by binary search (issue 16 §2): the same
    answers as the scan over segments, with comments, blank and empty continuation lines."""
    import random

    from fixer.document.parser import parse

    rnd = random.Random(16)
    for _ in range(30):
        parts = ["FROM debian\n", "RUN echo start \\\n"]
        for i in range(rnd.randint(5, 40)):
            parts.append(rnd.choice([f"  && echo {i} \\\n", "# a comment\n", "\\\n", f"x{i}\\\n", "   \\\n"]))
        parts.append("  && true\n")
        instr = parse("".join(parts)).instructions[1]
        for logical in range(-1, len(instr.text) + 2):
            scan = next((s.source + logical - s.logical for s in instr.segments
                         if s.logical <= logical < s.logical + s.length), None)
            assert instr.source_offset(logical) == scan, (logical, instr.segments)
