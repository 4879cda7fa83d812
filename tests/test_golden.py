from __future__ import annotations

import pytest

from golden import GOLDEN, case_options, cases, changed_files, run_case
from fixer.run.pipeline import FixError, fix


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_golden(case):
    fixed, ignore, findings = run_case(case)
    assert fixed == (case / "expected.Dockerfile").read_bytes().decode("utf-8")
    if (case / "expected.dockerignore").exists():
        assert ignore == (case / "expected.dockerignore").read_text()
    if (case / "expected.findings").exists():
        assert findings == (case / "expected.findings").read_text().splitlines()


@pytest.mark.parametrize("case", [c for c in cases() if (c / "expected.files").is_dir()], ids=lambda p: p.name)
def test_golden_context_files(case):
    """Configuration files the fix rewrites in the build context, as expected (and no others)."""
    expected = {p.relative_to(case / "expected.files").as_posix(): p.read_text()
                for p in (case / "expected.files").rglob("*") if p.is_file()}
    assert changed_files(case) == expected


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_golden_is_idempotent(case):
    findings = case / "expected.findings"
    expected = (case / "expected.Dockerfile").read_bytes().decode("utf-8")
    options = case_options(case)
    if findings.exists() and findings.read_text().startswith("error "):
        # a refused case's expected output is its input: it must be refused again
        with pytest.raises(FixError):
            fix(expected, options, options.context)
        return
    assert fix(expected, options, options.context).fixed == expected


def test_there_are_golden_cases():
    assert len(cases()) >= 10, GOLDEN
