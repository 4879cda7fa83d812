"""Reports for machines: ``--format json``, ``sarif`` and ``github`` (``diff`` is the runner's).

- json: imgfix's own schema, versioned (``SCHEMA_VERSION``, documented in docs/reports.md).
- sarif: SARIF 2.1.0 for code scanning, with rules, results, locations and ``fixes``.
- github: Markdown for a pull-request review or a job summary: a summary table, the findings,
  and per change a ```suggestion block anchored to the original lines.

Every format lists files sorted by path and findings by (line, code, message), so the same
input always gives the same bytes. Changes are described in the input file's coordinates:
the difference between the original and the fixed text, as whole-line hunks.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..document import linediff
from .report import (
    FORMATS,
    UNPRINTABLE,
    FileResult,
    Report,
    finding_state,
    unified_diff,
)

SCHEMA_VERSION = 1
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# The project's home (SARIF: the driver's informationUri) and the rules' documentation, one
# heading per code in docs/rules.md (scripts/rules_doc.py writes it): each rule's helpUri.
HOME_URL = "https://github.com/imgfix/imgfix"
RULES_URL = HOME_URL + "/blob/main/docs/rules.md"
_FIX = {"safe": "safe (applied by default)", "unsafe": "unsafe (applied only with --unsafe-fixes)", "none": "none (left to a person)"}
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


@dataclass(frozen=True)
class Hunk:
    """Lines ``start_line..end_line`` of the input (1-based, inclusive) become ``replacement``.

    An insertion has ``end_line == start_line - 1``: the text goes before ``start_line``.
    ``start``/``end`` are the same range as character offsets into the input text.
    """

    start_line: int
    end_line: int
    start: int
    end: int
    original: str
    replacement: str


def hunks(original: str, fixed: str) -> list[Hunk]:
    a = original.splitlines(keepends=True)
    b = fixed.splitlines(keepends=True)
    offsets = [0]
    for line in a:
        offsets.append(offsets[-1] + len(line))
    out = []
    for tag, i1, i2, j1, j2 in linediff.opcodes(a, b, autojunk=False):
        if tag == "equal":
            continue
        out.append(Hunk(i1 + 1, i2, offsets[i1], offsets[i2], "".join(a[i1:i2]), "".join(b[j1:j2])))
    return out


def display_path(path: str | Path) -> str:
    """The path relative to the working folder when it is inside it, with ``/``."""
    p = Path(path)
    try:
        rel = Path(os.path.abspath(p)).relative_to(Path.cwd())
        return rel.as_posix()
    except ValueError:
        return Path(os.path.abspath(p)).as_posix()


def _error(r: FileResult) -> dict | None:
    if r.error is None:
        return None
    prefix = f"{r.path}:"
    text = r.error[len(prefix):] if r.error.startswith(prefix) else r.error
    m = re.match(r"^(\d+): (.*)$", text, re.S)
    return {"line": int(m.group(1)), "message": m.group(2)} if m else {"line": 0, "message": text}


def _status(r: FileResult) -> str:
    return "failed" if r.error is not None else "changed" if r.changed else "unchanged"


def _sorted(report: Report) -> list[FileResult]:
    return sorted(report.results, key=lambda r: display_path(r.path))


# ---------------------------------------------------------------------------------------- json


def to_json(report: Report) -> dict:
    files = []
    totals = {"files": 0, "changed": 0, "unchanged": 0, "failed": 0, "findings": 0, "fixed": 0, "suppressed": 0,
              "unsafe_held_back": 0}
    for r in _sorted(report):
        status = _status(r)
        totals["files"] += 1
        totals[status] += 1
        findings = [
            {"code": f.code, "severity": f.severity, "line": f.line, "message": f.message, "fixed": f.fixed, "fix": f.fix,
             "suppressed": None}
            for f in r.findings
        ] + [
            {"code": s.finding.code, "severity": s.finding.severity, "line": s.finding.line, "message": s.finding.message,
             "fixed": False, "fix": s.finding.fix, "suppressed": s.reason}
            for s in r.suppressed
        ]
        findings.sort(key=lambda f: (f["line"], f["code"], f["message"], f["suppressed"] or ""))
        totals["findings"] += len(r.findings)
        totals["fixed"] += sum(f.fixed for f in r.findings)
        totals["unsafe_held_back"] += r.held_back
        totals["suppressed"] += len(r.suppressed)
        ok = r.error is None
        files.append({
            "path": display_path(r.path),
            "status": status,
            "error": _error(r),
            "findings": findings,
            "edits": [
                {"start_line": h.start_line, "end_line": h.end_line, "start": h.start, "end": h.end,
                 "original": h.original, "replacement": h.replacement}
                for h in (hunks(r.original, r.fixed) if ok else [])
            ],
            "other_files": sorted(
                (
                    {"path": display_path(c.path), "created": c.old is None, "content": c.new,
                     "diff": unified_diff(display_path(c.path), c.old or "", c.new, created=c.old is None)}
                    for c in (r.files if ok else []) if c.old != c.new
                ),
                key=lambda c: c["path"],
            ),
            "diff": unified_diff(display_path(r.path), r.original, r.fixed) if ok else "",
        })
    from .. import __version__

    return {
        "schema": "imgfix-report",
        "version": SCHEMA_VERSION,
        "tool": {"name": "imgfix", "version": __version__},
        "mode": report.mode.value,
        "exit_code": report.exit_code(),
        "summary": totals,
        "files": files,
    }


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def apply_json_edits(original: str, edits: list[dict]) -> str:
    """The fixed text from a JSON report's ``edits`` and the input text (what a bot does)."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e["start"], e["end"])):
        if original[e["start"]:e["end"]] != e["original"]:
            raise ValueError(f"edit at line {e['start_line']} does not match the file (it changed since the report)")
        out += [original[pos:e["start"]], e["replacement"]]
        pos = e["end"]
    return "".join(out) + original[pos:]


# --------------------------------------------------------------------------------------- sarif


def _rules() -> dict[str, tuple[str, str, str, str, str]]:
    """code -> (severity, title, transform name, fix safety, transform summary), from every
    transform's CODES table."""
    import sys

    from ..transforms import all_transforms

    rules = {}
    for t in all_transforms():
        for code, (severity, title, fix) in getattr(sys.modules[type(t).__module__], "CODES", {}).items():
            rules[code] = (severity, title, t.name, fix, t.summary)
    return rules


def help_uri(code: str, known: bool = True) -> str:
    """Where a code is documented: its heading in docs/rules.md."""
    return f"{RULES_URL}#{code.lower()}" if known else RULES_URL


def attributor(fixed_lines: list[int]):
    """``_attribute`` for many hunks against the same findings: by binary search when the
    lines are in order (they are: findings are sorted by line), instead of a scan of every
    finding for every hunk (quadratic on long files)."""
    lines = list(fixed_lines)
    if any(b < a for a, b in zip(lines, lines[1:])):
        return lambda h: _attribute(lines, h)

    def attribute(h: Hunk) -> int | None:
        if not lines:
            return None
        last = max(h.end_line, h.start_line)
        at = bisect.bisect_left(lines, h.start_line)
        if at < len(lines) and lines[at] <= last:
            return at  # the first one on its lines
        if at == 0:
            return 0
        return bisect.bisect_left(lines, lines[at - 1])  # the first of the nearest before it

    return attribute


def _attribute(fixed_lines: list[int], h: Hunk) -> int | None:
    """Index of the fixed finding a change belongs to: the one on its lines, else the nearest before it."""
    if not fixed_lines:
        return None
    last = max(h.end_line, h.start_line)
    inside = [i for i, line in enumerate(fixed_lines) if h.start_line <= line <= last]
    if inside:
        return inside[0]
    before = [i for i, line in enumerate(fixed_lines) if line < h.start_line]
    return max(before, key=lambda i: fixed_lines[i]) if before else 0


def _artifact(path: str) -> dict:
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": path.replace("%", "%25").replace(" ", "%20"), "uriBaseId": "%SRCROOT%"}


def to_sarif(report: Report) -> dict:
    from .. import __version__

    catalogue = _rules()
    used: list[str] = sorted({f.code for r in report.results for f in r.findings} | {s.finding.code for r in report.results for s in r.suppressed})
    rules = []
    for code in used:
        severity, title, name, fix, summary = catalogue.get(code, ("warning", code, "imgfix", "none", ""))
        uri = help_uri(code, code in catalogue)
        fix_text = _FIX.get(fix, fix)
        rules.append({
            "id": code,
            "name": title.title().replace(" ", "").replace("-", "")[:100] or code,
            "shortDescription": {"text": title},
            "fullDescription": {"text": f"{title}. {name}: {summary}".rstrip(": ")},
            "help": {
                "text": f"{title}. Fix: {fix_text}. {summary} Documentation: {uri}".replace("  ", " "),
                "markdown": f"**{title}**. Fix: {fix_text}.\n\n{summary}\n\n[{code} in imgfix's rules]({uri})",
            },
            "helpUri": uri,
            "defaultConfiguration": {"level": _LEVEL.get(severity, "warning")},
            "properties": {"transform": name},
        })
    index = {code: i for i, code in enumerate(used)}
    results, notifications = [], []
    for r in _sorted(report):
        path = display_path(r.path)
        if r.error is not None:
            err = _error(r)
            location = {"physicalLocation": {"artifactLocation": _artifact(path)}}
            if err["line"] > 0:
                location["physicalLocation"]["region"] = {"startLine": err["line"]}
            notifications.append({"level": "error", "message": {"text": err["message"]}, "locations": [location]})
            continue
        entries = [(f, None) for f in r.findings] + [(s.finding, s.reason) for s in r.suppressed]
        entries.sort(key=lambda e: (e[0].line, e[0].code, e[0].message))
        fixed_idx = [i for i, (f, why) in enumerate(entries) if f.fixed and why is None]
        changes: dict[int, list[Hunk]] = {}
        attribute = attributor([entries[i][0].line for i in fixed_idx])
        for h in hunks(r.original, r.fixed):
            k = attribute(h)
            if k is not None:
                changes.setdefault(fixed_idx[k], []).append(h)
        for n, (f, why) in enumerate(entries):
            result = {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": _artifact(path), "region": {"startLine": max(f.line, 1)}}}],
                "properties": {"fixed": f.fixed, "fix": f.fix},
            }
            if why is not None:
                result["suppressions"] = [{"kind": "inSource", "justification": why}]
            artifact_changes = []
            if n in changes:
                artifact_changes.append({
                    "artifactLocation": _artifact(path),
                    "replacements": [
                        {"deletedRegion": {"charOffset": h.start, "charLength": h.end - h.start},
                         **({"insertedContent": {"text": h.replacement}} if h.replacement else {})}
                        for h in changes[n]
                    ],
                })
            if fixed_idx and n == fixed_idx[0]:
                for c in sorted(r.files, key=lambda c: c.path):
                    if c.old != c.new:
                        artifact_changes.append({
                            "artifactLocation": _artifact(display_path(c.path)),
                            "replacements": [{"deletedRegion": {"charOffset": 0, "charLength": len(c.old or "")},
                                              "insertedContent": {"text": c.new}}],
                        })
            if artifact_changes:
                result["fixes"] = [{"description": {"text": f"imgfix: {f.message}"}, "artifactChanges": artifact_changes}]
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "imgfix", "version": __version__, "informationUri": HOME_URL, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "invocations": [{"executionSuccessful": not report.failed, "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    }


def render_sarif(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


# -------------------------------------------------------------------------------------- github

_PUNCT = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")


def md_escape(text: str) -> str:
    """Text that Markdown shows as itself: no HTML, links, emphasis, table cells, mentions.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows it for all of
    them), new lines become spaces, and a zero-width space after ``@`` and ``#`` keeps
    GitHub from turning ``@name`` into a mention or ``#12`` into a cross-reference.
    """
    text = UNPRINTABLE.sub(" ", text.replace("\r\n", " "))
    text = _PUNCT.sub(r"\\\1", text)
    return text.replace("@", "@\u200b").replace("#", "#\u200b")


def fence_for(content: str) -> str:
    """A backtick fence longer than any backtick run in the content, so it cannot be closed early."""
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def _code_block(content: str, info: str) -> str:
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if content and not content.endswith("\n"):
        content += "\n"
    fence = fence_for(content)
    return f"{fence}{info}\n{content}{fence}\n"


def suggestion(original: str, h: Hunk) -> tuple[int, int, str] | None:
    """(first line, last line, new text) of a GitHub suggestion for the hunk.

    A suggestion replaces at least one line, so an insertion is anchored on the line before
    it (or, at the top of the file, the line after it) and repeats that line.
    """
    lines = original.splitlines(keepends=True)
    if h.end_line >= h.start_line:
        return h.start_line, h.end_line, h.replacement
    if not lines:
        return None
    if h.start_line > 1:
        anchor = h.start_line - 1
        before = lines[anchor - 1]
        if not before.endswith("\n"):
            before += "\n"
        return anchor, anchor, before + h.replacement
    return 1, 1, h.replacement + lines[0]


def render_github(report: Report) -> str:
    results = _sorted(report)
    n_changed, n_failed = report.n_changed, len(report.failed)
    verb = "changed" if report.mode.value == "write" else "would change"
    out = [f"### imgfix: {n_changed} file{'s' * (n_changed != 1)} {verb}, "
           f"{len(results) - n_changed - n_failed} unchanged" + (f", {n_failed} failed" if n_failed else ""), ""]
    if not results:
        return "\n".join(out + ["No Dockerfiles were checked.", ""])
    out += ["| File | Status | Findings | Fixed | Suppressed |", "| --- | --- | ---: | ---: | ---: |"]
    for r in results:
        status = {"failed": "failed", "changed": verb, "unchanged": "unchanged"}[_status(r)]
        out.append(f"| {md_escape(display_path(r.path))} | {status} | {len(r.findings)} | "
                   f"{sum(f.fixed for f in r.findings)} | {len(r.suppressed)} |")
    out.append("")
    for r in results:
        if r.error is None and not r.findings and not r.suppressed and not r.changed:
            continue
        path = display_path(r.path)
        out += [f"#### {md_escape(path)}", ""]
        if r.error is not None:
            err = _error(r)
            out += [f"**Not processed** (line {err['line']}): {md_escape(err['message'])}", ""]
            continue
        rows = [(f, "to do" if r.write_failed else finding_state(f) or "to do") for f in r.findings]
        rows += [(s.finding, "suppressed: " + s.reason) for s in r.suppressed]
        rows.sort(key=lambda x: (x[0].line, x[0].code, x[0].message))
        if rows:
            out += ["| Line | Code | Severity | Finding | State |", "| ---: | --- | --- | --- | --- |"]
            for f, state in rows:
                out.append(f"| {f.line} | {md_escape(f.code)} | {f.severity} | {md_escape(f.message)} | {md_escape(state)} |")
            out.append("")
        for h in hunks(r.original, r.fixed):
            s = suggestion(r.original, h)
            if s is None:
                continue
            first, last, text = s
            where = f"line {first}" if first == last else f"lines {first}\u2013{last}"
            out += [f"Suggested change for {where} of {md_escape(path)}:", "", _code_block(text, "suggestion")]
        for c in sorted(r.files, key=lambda c: c.path):
            if c.old != c.new:
                cpath = display_path(c.path)
                what = "New file" if c.old is None else "Change to"
                out += [f"{what} {md_escape(cpath)}:", "",
                        _code_block(unified_diff(cpath, c.old or "", c.new, created=c.old is None), "diff")]
    return "\n".join(out).rstrip("\n") + "\n"


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report)
    if fmt == "github":
        return render_github(report)
    if fmt == "diff":
        return "".join(r.diff() for r in _sorted(report))
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
