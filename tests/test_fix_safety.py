"""Fix safety (ruff's model): every finding says whether its fix is safe, unsafe or absent;
unsafe fixes are held back unless asked for, and every report says how many."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixer.run.config import Resolver
from fixer.run.formats import to_json, to_sarif
from fixer.transforms.options import Options
from fixer.run.report import FileResult, Mode, Report
from fixer.transforms import Finding, Result

HELD = Finding("USR007", "warning", 3, "uvicorn binds port 80", fixed=False, fix="unsafe")
APPLIED = Finding("USR001", "warning", 1, "the stage runs as root", fixed=True, fix="safe")


def _report() -> Report:
    report = Report(Mode.DIFF)
    report.add(FileResult(Path("Dockerfile"), "FROM a\n", "FROM a\n", findings=[APPLIED, HELD]))
    return report


def test_a_finding_knows_when_its_fix_is_held_back():
    assert HELD.held_back and not APPLIED.held_back
    assert not Finding("X", "info", 1, "m", fixed=True, fix="unsafe").held_back
    with pytest.raises(AssertionError):
        Finding("X", "info", 1, "m", fix="maybe")


def test_text_findings_and_summary_say_what_was_held_back():
    report = _report()
    text = report.findings_text()
    assert "USR001 warning: the stage runs as root [fixed]" in text
    assert "USR007 warning: uvicorn binds port 80 [unsafe fix held back: --unsafe-fixes applies it]" in text
    assert "1 unsafe fix held back (--unsafe-fixes applies it)" in report.summary()


def test_json_and_sarif_carry_each_fixs_safety():
    data = to_json(_report())
    assert [(f["code"], f["fix"], f["fixed"]) for f in data["files"][0]["findings"]] == [
        ("USR001", "safe", True), ("USR007", "unsafe", False)]
    assert data["summary"]["unsafe_held_back"] == 1
    sarif = to_sarif(_report())
    props = [r["properties"] for r in sarif["runs"][0]["results"]]
    assert props == [{"fixed": True, "fix": "safe"}, {"fixed": False, "fix": "unsafe"}]


def test_result_takes_the_safety_from_the_codes_table_unless_told():
    codes = {"ABC001": ("warning", "title", "safe"), "ABC002": ("info", "title", "none")}
    result = Result()
    result.add(codes, "ABC001", 1, "m", fixed=True)
    result.add(codes, "ABC001", 2, "m", fixed=False, fix="unsafe")
    result.add(codes, "ABC002", 3, "m")
    assert [f.fix for f in result.findings] == ["safe", "unsafe", "none"]


def test_unsafe_fixes_is_off_by_default_and_configurable(tmp_path):
    assert Options().unsafe_fixes is False
    (tmp_path / ".imgfix.toml").write_text("unsafe-fixes = true\n")
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm\n")
    assert Resolver({}, None)(tmp_path / "Dockerfile").unsafe_fixes is True
    assert Resolver({"unsafe_fixes": False}, None)(tmp_path / "Dockerfile").unsafe_fixes is False
