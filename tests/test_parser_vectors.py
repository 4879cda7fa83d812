"""The parser agrees with BuildKit's own parser on every vector in tests/data/vectors/parser."""

from __future__ import annotations

import json

import pytest

from conftest import PARSER_VECTORS_DIR as VECTORS
from fixer.document.parser import ParseError, parse

BUILDKIT = json.loads((VECTORS / "buildkit-parse.json").read_text())
NAMES = sorted(BUILDKIT)


def _read(name: str) -> str:
    data = (VECTORS / f"{name}.Dockerfile").read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # BuildKit reads bytes; Latin-1 maps each byte to one character
        return data.decode("latin-1")


def _view(instr) -> dict:
    src = instr.sub or instr
    return {
        "Cmd": instr.keyword,
        "Sub": instr.sub.keyword if instr.sub else "",
        "Start": instr.start_line,
        "End": instr.end_line,
        "Flags": src.flags,
        "Value": src.value,
        "JSON": src.json,
        "Original": instr.text,
        "Heredocs": [
            {"Name": h.name, "Content": h.content, "Expand": h.expand, "Chomp": h.chomp} for h in src.heredocs
        ]
        or None,
    }


def _expected(cmd: dict) -> dict:
    out = {k: cmd[k] for k in ("Cmd", "Sub", "Start", "End", "Flags", "Value", "JSON", "Original")}
    out["Heredocs"] = [
        {k: h[k] for k in ("Name", "Content", "Expand", "Chomp")} for h in cmd["Heredocs"] or []
    ] or None
    return out


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_buildkit(name):
    expected = BUILDKIT[name]
    text = _read(name)
    if "error" in expected:
        with pytest.raises(ParseError) as err:
            parse(text)
        assert err.value.message == expected["error"]
        return
    result = parse(text)
    assert [_view(i) for i in result.instructions] == [_expected(c) for c in expected["cmds"]]
    assert result.escape == expected["escape"]
    assert [f"{line}: {msg}" for line, msg in result.warnings] == (expected["warnings"] or [])


@pytest.mark.parametrize("name", NAMES)
def test_positions_point_at_the_source(name):
    text = _read(name)
    try:
        result = parse(text)
    except ParseError:
        return
    lines = text.splitlines(keepends=True)
    for instr in result.instructions:
        for i, ch in enumerate(instr.text):
            offset = instr.source_offset(i)
            assert offset is not None and text[offset] == ch
        # the span covers exactly the instruction's lines
        start_line = text.count("\n", 0, instr.start) + 1
        assert start_line == instr.start_line
        assert instr.end == sum(len(l) for l in lines[: instr.end_line])


def test_all_vectors_present():
    assert len(NAMES) == 52
    assert sorted(p.stem for p in VECTORS.glob("*.Dockerfile")) == NAMES
