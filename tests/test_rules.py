"""Every transform documents itself the same way, and every code it emits is in its table."""

from __future__ import annotations

import sys

import pytest

from fixer.integrations.cli import main
from fixer.transforms import FIX_SAFETY, SEVERITIES, all_transforms
from golden import cases

HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "## References"]
TRANSFORMS = all_transforms()
ALL_CODES = {code: sev for t in TRANSFORMS for code, (sev, _, _) in sys.modules[type(t).__module__].CODES.items()}


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.name)
def test_docstring_and_code_table(transform):
    module = sys.modules[type(transform).__module__]
    doc = module.__doc__ or ""
    positions = [doc.find(h) for h in HEADINGS]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), transform.name
    assert module.CODES and all(code.startswith(transform.code) for code in module.CODES)
    assert all(severity in SEVERITIES and title and fix in FIX_SAFETY for severity, title, fix in module.CODES.values())


def test_rules_shows_each_fixs_safety(capsys):
    with pytest.raises(SystemExit):
        main(["rules"])
    out = capsys.readouterr().out
    assert "USR001  warning  fix: safe" in out and "USR005  warning  fix: none" in out


def test_pipeline_order_is_the_documented_one():
    assert [t.name for t in TRANSFORMS] == ["checks", "multistage", "slim", "lean", "secrets", "nonroot", "dockerignore", "registry", "pin"]


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_golden_findings_use_known_codes(case):
    findings = case / "expected.findings"
    for line in findings.read_text().splitlines() if findings.exists() else []:
        if line.startswith("error "):
            continue
        _, code, _ = line.split()
        assert code in ALL_CODES, f"{case.name}: {code} is in no transform's CODES"


def test_rules_prints_a_transforms_documentation(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["rules", "DIG003"])
    out = capsys.readouterr().out
    assert exit_.value.code in (0, None) and "## What it does" in out and "DIG003" in out
    with pytest.raises(SystemExit) as exit_:
        main(["rules", "XYZ"])
    assert exit_.value.code == 2


def test_transforms_that_declare_no_dockerfile_edits_make_none():
    """The stability check leaves them out, which is only sound if they never edit it."""
    from fixer.analysis.stages import Analysis
    from fixer.document.model import Document
    from golden import case_options

    quiet = [t for t in TRANSFORMS if not t.edits_dockerfile]
    assert quiet and all(isinstance(t.edits_dockerfile, bool) for t in TRANSFORMS)
    for case in cases():
        options = case_options(case)
        try:
            doc = Document((case / "Dockerfile").read_text())
        except ValueError:
            continue
        for transform in quiet:
            assert transform.apply(doc, Analysis(doc, options.context, case / "Dockerfile"), options).edits == []
