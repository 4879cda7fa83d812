"""# imgfix: ignore comments: parsing, where they apply, and that suppressed fixes are not applied."""

from __future__ import annotations

import pytest

from fixer.document.model import Document, Edit
from fixer.transforms.options import Options
from fixer.run.pipeline import FixError, fix
from fixer.document.suppressions import SuppressionError, find_suppressions, parse_comment
from fixer.run.suppress import filter_result
from fixer.transforms import Finding, Result

USR = Options(select=("USR",))
ROOT = 'FROM python:3.11-slim\nRUN pip install flask\nCMD ["python", "app.py"]\n'


@pytest.mark.parametrize(
    "line, expected",
    [
        ("# imgfix: ignore", ((), "")),
        ("#imgfix:ignore", ((), "")),
        ("  # IMGFIX: ignore[usr001, SLM] -- needs root", (("USR001", "SLM"), "needs root")),
        ("# imgfix: ignore[USR]: port 80", (("USR",), "port 80")),
        ("# imgfix: ignore - legacy image", ((), "legacy image")),
        ("# imgfix: ignored because", None),
        ("# imgfix ignore", None),
        ("# some other comment", None),
    ],
)
def test_parse_comment(line, expected):
    assert parse_comment(line, 1) == expected


@pytest.mark.parametrize("line", ["# imgfix: ignore[]", "# imgfix: ignore[USR 001]", "# imgfix: ignore[<b>]"])
def test_malformed_codes_are_errors(line):
    with pytest.raises(SuppressionError):
        parse_comment(line, 3)
    with pytest.raises(FixError) as err:
        fix(f"{line}\nFROM debian:12\n", USR)
    assert err.value.line == 1


def test_where_suppressions_apply():
    doc = Document(
        "# imgfix: ignore[PIN] -- whole file\n"
        "\n"
        "# imgfix: ignore[USR] -- above FROM\n"
        "# another comment\n"
        "FROM debian:12\n"
        "RUN <<EOF\n"
        "# imgfix: ignore  (inside a heredoc: not a comment)\n"
        "EOF\n"
        "# imgfix: ignore[SLM]\n"
        "\n"
        "COPY . /app\n"
    )
    found = [(s.codes, s.line, s.start_line, s.reason) for s in find_suppressions(doc)]
    # line 9 is separated from COPY by a blank line: it applies to nothing
    assert found == [(("PIN",), 1, 0, "whole file"), (("USR",), 3, 5, "above FROM")]


def test_suppressed_finding_is_reported_and_not_fixed():
    text = "# imgfix: ignore[USR001] -- binds port 80\n" + ROOT
    outcome = fix(text, USR)
    assert outcome.fixed == text  # the USER that would have been added at the end is not
    assert outcome.findings == []
    [s] = outcome.suppressed
    assert (s.finding.code, s.finding.line, s.finding.fixed) == ("USR001", 2, False)
    assert "on line 1 for line 2: binds port 80" in s.reason


def test_other_codes_are_not_suppressed():
    outcome = fix("# imgfix: ignore[SLM] -- keep the full image\n" + ROOT, USR)
    assert "USER 10001:10001" in outcome.fixed and not outcome.suppressed
    assert [f.code for f in outcome.findings] == ["USR001"]


def test_whole_file_suppression():
    text = "# imgfix: ignore -- vendored, do not touch\n\n" + ROOT
    outcome = fix(text, USR)
    assert outcome.fixed == text and not outcome.findings
    assert "for the whole file: vendored, do not touch" in outcome.suppressed[0].reason


def test_suppression_on_a_later_instruction_keeps_other_fixes():
    text = ROOT + "# imgfix: ignore[USR]\nEXPOSE 8080\n"
    outcome = fix(text, USR)  # the finding is on FROM: this suppression does not cover it
    assert "USER 10001:10001" in outcome.fixed and not outcome.suppressed


def _result():
    doc = Document("FROM a\n# imgfix: ignore[PIN] -- keep the tag\nFROM b\nFROM c\n")
    b, c = doc.instructions[1], doc.instructions[2]
    result = Result(
        edits=[Edit(b.start, b.start + 6, "FROM b@sha256:1"), Edit(c.start, c.start + 6, "FROM c@sha256:2")],
        findings=[Finding("PIN001", "info", 3, "pinned b", True), Finding("PIN001", "info", 4, "pinned c", True)],
    )
    return doc, result


def test_filter_result_drops_only_the_edits_of_the_suppressed_instruction():
    doc, result = _result()
    kept, hidden = filter_result(result, "PIN", find_suppressions(doc))
    assert [e.text for e in kept.edits] == ["FROM c@sha256:2"]
    assert [(f.line, f.fixed) for f in kept.findings] == [(4, True)]
    assert [(h.finding.line, h.finding.fixed) for h in hidden] == [(3, False)]
    # another transform's edits on that instruction stay
    kept, hidden = filter_result(Result(edits=result.edits), "REG", find_suppressions(doc))
    assert len(kept.edits) == 2 and not hidden


def test_filter_result_drops_everything_when_the_fix_lies_elsewhere():
    doc = Document("# imgfix: ignore[USR001]\nFROM a\nRUN x\n")
    end = len(doc.text)
    result = Result(edits=[Edit(end, end, "USER 1\n")],
                    findings=[Finding("USR001", "warning", 2, "root", True), Finding("USR004", "info", 3, "other", True)])
    kept, hidden = filter_result(result, "USR", find_suppressions(doc))
    assert kept.edits == [] and [(f.code, f.fixed) for f in kept.findings] == [("USR004", False)]
    assert [h.finding.code for h in hidden] == ["USR001"]
