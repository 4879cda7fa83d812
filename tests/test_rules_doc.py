"""docs/rules.md documents every code under its own heading, and imgfix's SARIF points there:
the driver's informationUri is the project's home, each rule's helpUri its code's heading
(issue 22)."""

from __future__ import annotations

import re
import sys

from markdown_it import MarkdownIt

from conftest import ROOT
from fixer.run.formats import HOME_URL, RULES_URL, _rules, help_uri, to_sarif
from fixer.transforms.options import Options
from fixer.run.report import Mode, Report
from fixer.run.runner import fix_file

sys.path.insert(0, str(ROOT / "scripts"))
import rules_doc  # noqa: E402

DOC = ROOT / "docs" / "rules.md"


def _anchors(path) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped,
    spaces to hyphens; a repeated heading gets -1, -2, ...)."""
    tokens = MarkdownIt().parse(path.read_text())
    seen: dict[str, int] = {}
    anchors = set()
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = tokens[i + 1].content
            slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def test_rules_doc_is_current():
    assert DOC.read_text() == rules_doc.render(), "docs/rules.md is out of date: run python scripts/rules_doc.py"
    assert rules_doc.main(["--check"]) == 0


def test_every_code_has_its_heading_and_its_help_uri_points_there():
    anchors = _anchors(DOC)
    codes = _rules()
    assert len(codes) >= 40
    for code in codes:
        assert rules_doc.anchor(code) in anchors, code
        assert help_uri(code) == f"{RULES_URL}#{rules_doc.anchor(code)}"
    assert RULES_URL == f"{HOME_URL}/blob/main/docs/rules.md" and (ROOT / "docs" / "rules.md").exists()


def test_the_index_and_the_more_links_resolve():
    anchors = _anchors(DOC)
    for target in re.findall(r"\]\(#([^)]+)\)", DOC.read_text()):
        assert target in anchors, target
    for link, _text in rules_doc.MORE.values():
        page, _, anchor = link.partition("#")
        path = ROOT / page if page == "README.md" else ROOT / "docs" / page
        assert path.exists(), link
        if anchor:
            assert anchor in _anchors(path), link


def test_sarif_has_information_uri_and_per_rule_help(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM python:3.11\nRUN pip install flask\nCMD [\"flask\", \"run\"]\n")
    report = Report(Mode.CHECK)
    report.add(fix_file(df, Options(context=tmp_path)))
    driver = to_sarif(report)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == HOME_URL
    assert driver["rules"]
    for rule in driver["rules"]:
        code = rule["id"]
        assert rule["helpUri"] == help_uri(code)
        assert rule["help"]["text"].endswith(f"Documentation: {help_uri(code)}")
        assert f"]({help_uri(code)})" in rule["help"]["markdown"]
        assert rule["fullDescription"]["text"].startswith(rule["shortDescription"]["text"] + ". ")
