"""--format json / sarif / github: schema, round trip, SARIF validation, Markdown escaping."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from fixer.run.formats import apply_json_edits, fence_for, hunks, md_escape, render_github, render_json, suggestion, to_sarif
from fixer.transforms.options import Options
from fixer.run.report import Mode, Report
from fixer.run.runner import fix_file

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
USR = Options(select=("USR",))

ROOT = 'FROM python:3.11-slim\nRUN pip install flask\nCMD ["python", "app.py"]\n'
FINE = "FROM python:3.11-slim\nUSER 10001\n"


def report_for(tmp_path: Path, files: dict[str, str], options: Options = USR, mode: Mode = Mode.CHECK) -> Report:
    report = Report(mode)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        report.add(fix_file(path, options))
    return report


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_hunks_describe_the_change_in_input_lines():
    old = "a\nb\nc\n"
    new = "a\nB\nc\nd\n"
    hs = hunks(old, new)
    assert [(h.start_line, h.end_line, h.original, h.replacement) for h in hs] == [(2, 2, "b\n", "B\n"), (4, 3, "", "d\n")]
    assert apply_json_edits(old, [{"start_line": h.start_line, "start": h.start, "end": h.end, "original": h.original,
                                   "replacement": h.replacement} for h in hs]) == new


def test_json_round_trip_and_stable_order(tmp_path):
    report = report_for(tmp_path, {"z/Dockerfile": ROOT, "a/Dockerfile": FINE, "m/Dockerfile": "RUN x\n"})
    text = render_json(report)
    data = json.loads(text)
    assert json.dumps(data, indent=2, ensure_ascii=False) + "\n" == text  # nothing lost or reordered
    assert data["schema"] == "imgfix-report" and data["version"] == 1
    assert [f["path"] for f in data["files"]] == ["a/Dockerfile", "m/Dockerfile", "z/Dockerfile"]
    assert [f["status"] for f in data["files"]] == ["unchanged", "failed", "changed"]
    assert data["summary"] == {"files": 3, "changed": 1, "unchanged": 1, "failed": 1, "findings": 1, "fixed": 1, "suppressed": 0,
                               "unsafe_held_back": 0}
    assert data["exit_code"] == 2
    failed = data["files"][1]
    assert failed["error"]["line"] == 1 and "before the first FROM" in failed["error"]["message"]
    changed = data["files"][2]
    assert changed["findings"] == [{"code": "USR001", "severity": "warning", "line": 1, "fixed": True, "fix": "safe", "suppressed": None,
                                    "message": changed["findings"][0]["message"]}]
    # a bot can rebuild the fixed file from the input and the edits alone
    fixed = apply_json_edits(ROOT, changed["edits"])
    assert fixed == report.results[0].fixed and "USER 10001:10001" in fixed
    assert changed["diff"].startswith("--- a/z/Dockerfile\n+++ b/z/Dockerfile\n")
    # same input, same bytes
    assert render_json(report_for(tmp_path, {"a/Dockerfile": FINE, "m/Dockerfile": "RUN x\n", "z/Dockerfile": ROOT})) == text


def test_json_edits_refuse_a_file_that_changed():
    edits = [{"start_line": h.start_line, "start": h.start, "end": h.end, "original": h.original, "replacement": h.replacement}
             for h in hunks("a\nb\n", "a\nB\n")]
    assert apply_json_edits("a\nb\n", edits) == "a\nB\n"
    with pytest.raises(ValueError, match="does not match"):
        apply_json_edits("a\nc\n", edits)


def _apply_sarif(text: str, replacements: list[dict]) -> str:
    out, pos = [], 0
    for r in sorted(replacements, key=lambda r: r["deletedRegion"]["charOffset"]):
        start = r["deletedRegion"]["charOffset"]
        out += [text[pos:start], r.get("insertedContent", {}).get("text", "")]
        pos = start + r["deletedRegion"]["charLength"]
    return "".join(out) + text[pos:]


def test_sarif_validates_against_the_official_schema(tmp_path):
    suppressed = "# imgfix: ignore[USR] -- <b>root</b> needed for port 80\nFROM debian:12\nRUN apt-get update\n"
    report = report_for(tmp_path, {"svc/Dockerfile": ROOT, "ok/Dockerfile": FINE, "bad/Dockerfile": "RUN x\n",
                                   "legacy/Dockerfile": suppressed})
    sarif = to_sarif(report)
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(sarif), key=str)
    assert not errors, [e.message for e in errors]
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["USR001"]
    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results] == [
        ("USR001", "legacy/Dockerfile"), ("USR001", "svc/Dockerfile")]
    assert results[0]["suppressions"][0]["kind"] == "inSource"
    assert "<b>root</b> needed for port 80" in results[0]["suppressions"][0]["justification"]
    assert "fixes" not in results[0]
    changes = results[1]["fixes"][0]["artifactChanges"]
    assert _apply_sarif(ROOT, changes[0]["replacements"]) == report.results[0].fixed
    assert run["invocations"][0]["executionSuccessful"] is False
    note = run["invocations"][0]["toolExecutionNotifications"][0]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad/Dockerfile"


def test_sarif_rejects_what_the_schema_rejects():
    # the validation is real: a result without a message fails
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "imgfix"}}, "results": [{"ruleId": "X"}]}]}
    assert list(jsonschema.Draft4Validator(SCHEMA).iter_errors(bad))


HOSTILE = "````` </details> <script>alert(1)</script> @octocat #1 [link](javascript:alert(1)) <img src=x onerror=alert(1)> | *x* _y_"


def _tokens(markdown: str):
    md = MarkdownIt("commonmark").enable("table")
    out = []

    def walk(tokens):
        for t in tokens:
            out.append(t)
            walk(t.children or [])

    walk(md.parse(markdown))
    return out


def test_md_escape_leaves_only_text():
    tokens = _tokens(md_escape(HOSTILE))
    kinds = {t.type for t in tokens}
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text"}, kinds
    text = "".join(t.content for t in tokens if t.type == "text")
    assert text.replace("\u200b", "") == HOSTILE
    assert "@octocat" not in text and "#1" not in text  # no mention, no cross-reference


def test_fence_is_longer_than_any_backtick_run():
    assert fence_for("no ticks") == "```"
    assert fence_for("a ``` b ````` c") == "``````"


def test_github_review_with_hostile_dockerfile(tmp_path):
    dockerfile = ("FROM python:3.11-slim\n"
                  f"RUN echo '{HOSTILE}'\n"
                  "RUN printf '```\\n' > /x\n")
    folder = "[x](javascript:alert(1)) @octocat <script>"
    report = report_for(tmp_path, {f"{folder}/Dockerfile": dockerfile})
    md = render_github(report)
    tokens = _tokens(md)
    assert not [t for t in tokens if t.type.startswith("html") or t.type == "link_open" or t.type == "image"]
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and fences[0].info == "suggestion"
    # the suggestion holds exactly the anchored line plus the inserted lines
    h = hunks(dockerfile, report.results[0].fixed)[0]
    first, last, text = suggestion(dockerfile, h)
    assert fences[0].content == text and (first, last) == (3, 3)
    assert "RUN printf '```\\n' > /x\n" in fences[0].content
    assert "Suggested change for line 3 of" in md
    visible = "".join(t.content for t in tokens if t.type == "text")
    assert "@octocat" not in visible and "<script>" in visible.replace("\u200b", "")
    table = [t for t in tokens if t.type == "table_open"]
    assert len(table) == 2  # the summary and the findings; no cell broken by "|"


def test_github_review_anchors_an_insertion_at_the_top(tmp_path):
    h = hunks("FROM a\n", "# syntax\nFROM a\n")[0]
    assert suggestion("FROM a\n", h) == (1, 1, "# syntax\nFROM a\n")
    assert suggestion("", hunks("", "x\n")[0]) is None


def test_github_review_summary_counts(tmp_path):
    report = report_for(tmp_path, {"a/Dockerfile": ROOT, "b/Dockerfile": FINE, "c/Dockerfile": "RUN x\n"})
    md = render_github(report)
    assert md.startswith("### imgfix: 1 file would change, 1 unchanged, 1 failed\n")
    assert "| a/Dockerfile | would change | 1 | 1 | 0 |" in md.replace("\\/", "/")
    assert "**Not processed** (line 1)" in md
    assert render_github(Report(Mode.CHECK)).endswith("No Dockerfiles were checked.\n")


def test_a_streamed_report_counts_results_without_keeping_them(tmp_path):
    """The diff is shown file by file: the report keeps counts (and failures) only, so memory
    stays flat however many files there are."""
    kept = report_for(tmp_path, {"a/Dockerfile": ROOT, "b/Dockerfile": FINE})
    streamed = Report(Mode.CHECK, keep=False)
    for name in ("a/Dockerfile", "b/Dockerfile"):
        streamed.add(fix_file(tmp_path / name, USR))
    streamed.add(fix_file(tmp_path / "missing" / "Dockerfile", USR))
    assert streamed.results == [] and len(streamed.failed) == 1
    assert (streamed.n_files, streamed.n_changed) == (3, 1)
    assert streamed.summary() == "1 file would change, 1 unchanged, 1 failed.\n"
    assert kept.summary() == "1 file would change, 1 unchanged.\n"
    assert streamed.exit_code() == 2 and kept.exit_code() == 1


def test_markdown_and_terminal_text_drop_the_same_unprintable_characters():
    from fixer.run.report import printable

    hostile = "a\x1b[31m\u202eb\r\nc\td\u2028e\x85f"
    assert not any(c in md_escape(hostile) for c in "\x1b\u202e\r\n\t\u2028\x85")
    assert printable(hostile) == "a\\x1b[31m\\u202eb\\x0d\\x0ac\\x09d\\u2028e\\x85f"
