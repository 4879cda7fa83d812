"""``imgfix github pull-request``: imgfix's changes as a fix pull request (a branch, one commit
through the API, the pull request's body with the findings and, when asked, ``imgfix
verify``'s table), updated in place on later runs.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from ..run.formats import (
    _code_block,
    md_escape,
)
from ..run.report import (
    Mode,
    printable,
)
from .bot import BotError, Context, Outcome, _fit, _relative
from .github import GitHub, GitHubError, ref_path, repo_path

PR_MARKER = "<!-- imgfix:pull-request -->"
DEFAULT_BRANCH = "imgfix/harden"


def commit_message(report: dict) -> tuple[str, str]:
    """(title, message) of the fix commit from the JSON report: the same report, the same text."""
    changed = [f for f in report["files"] if f["status"] == "changed"]
    title = f"imgfix: harden {len(changed)} Dockerfile{'s' * (len(changed) != 1)}"
    lines = [title, ""]
    for f in changed:
        lines.append(f"{printable(f['path'])}:")  # plain text: control characters shown as escapes
        for x in f["findings"]:
            if x["fixed"] and not x["suppressed"]:
                lines.append(f"- {x['code']} (line {x['line']}): {printable(x['message'])}" + (" [unsafe fix]" if x["fix"] == "unsafe" else ""))
        for o in f["other_files"]:
            lines.append(f"- {'creates' if o['created'] else 'updates'} {printable(o['path'])}")
    return title, "\n".join(lines).rstrip("\n") + "\n"


def pull_request_body(report: dict, base: str, sha: str | None, verify_text: str | None = None) -> str:
    from .. import __version__

    changed = [f for f in report["files"] if f["status"] == "changed"]
    at = f" at `{sha[:7]}`" if sha else ""
    out = [PR_MARKER, f"imgfix {__version__} hardened {len(changed)} Dockerfile{'s' * (len(changed) != 1)} "
           f"on `{md_escape(base)}`{at}. Each change below names the finding it fixes; imgfix keeps everything "
           "else byte for byte. This pull request is updated when the branch changes and closed when nothing is "
           "left to fix.", ""]
    for f in changed:
        out += [f"### {md_escape(f['path'])}", "", "| Line | Code | Severity | Finding | State |", "| ---: | --- | --- | --- | --- |"]
        for x in f["findings"]:
            if x["suppressed"]:
                state = "suppressed"
            elif x["fixed"]:
                state = "fixed (unsafe fix: review it)" if x["fix"] == "unsafe" else "fixed"
            else:
                state = "unsafe fix held back" if x["fix"] == "unsafe" else "left to a person"
            out.append(f"| {x['line']} | {md_escape(x['code'])} | {x['severity']} | {md_escape(x['message'])} | {state} |")
        out += ["", "<details><summary>Diff</summary>", "", _code_block(f["diff"] + "".join(o["diff"] for o in f["other_files"]), "diff"),
                "</details>", ""]
    failed = [f for f in report["files"] if f["status"] == "failed"]
    if failed:
        out += ["### Not processed", ""] + [f"- {md_escape(f['path'])}: {md_escape(f['error']['message'])}" for f in failed] + [""]
    if verify_text is not None:
        out += ["### imgfix verify", "", "Built and run, the original and the rewrite side by side:", "", _code_block(verify_text, "text")]
    return _fit("\n".join(out).rstrip("\n") + "\n")


def _file_mode(path: Path) -> str:
    return "100755" if os.stat(path).st_mode & 0o111 else "100644"


def fix_pull_request(gh: GitHub, ctx: Context, workspace: Path, paths: list[Path], options_for, *,
                     base: str | None = None, branch: str = DEFAULT_BRANCH, verify_options=None) -> Outcome:
    from ..run.runner import fix_files, run

    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch) or ".." in branch or branch.startswith(("/", "-")) or branch.endswith(("/", ".lock")):
        raise BotError(f"--branch {branch!r} is not a branch name")
    if isinstance(ctx.event.get("pull_request"), dict):
        raise BotError("pull-request mode runs on the default branch (push, schedule, workflow_dispatch), "
                       "not on a pull request's event: use mode review there")
    rp = repo_path(ctx.repo)
    repo_info = gh.get(rp)
    base = base or repo_info.get("default_branch") or "main"
    sha = ctx.sha or gh.get(f"{rp}/git/ref/{ref_path('heads/' + base)}")["object"]["sha"]
    owner = ctx.repo.split("/")[0]
    verify_text = None
    if verify_options is not None:
        verify_text = _verify(paths, options_for, fix_files, verify_options)
    with tempfile.TemporaryDirectory(prefix="imgfix-bot-") as tmp:
        out = Path(tmp) / "report.json"
        run(paths, options_for, Mode.WRITE, show_diff=False, quiet=True, colour=False, fmt="json", output=out)
        report = json.loads(out.read_text(encoding="utf-8"))
    # the JSON report's paths are relative to the working folder: make them the repository's
    for f in report["files"]:
        f["path"] = _relative(f["path"], workspace) or f["path"]
        for o in f["other_files"]:
            o["path"] = _relative(o["path"], workspace) or o["path"]
    report["files"].sort(key=lambda f: f["path"])
    open_prs = gh.paginate(f"{rp}/pulls", state="open", head=f"{owner}:{branch}")
    existing = open_prs[0] if open_prs else None
    changed = [f for f in report["files"] if f["status"] == "changed"]
    if not changed:
        if existing is None:
            return Outcome(report["exit_code"], "nothing to change: no pull request")
        gh.post(f"{rp}/issues/{int(existing['number'])}/comments",
                {"body": f"{PR_MARKER}\nimgfix finds nothing left to change on `{md_escape(base)}` at `{sha[:7]}`: closing."})
        gh.patch(f"{rp}/pulls/{int(existing['number'])}", {"state": "closed"})
        try:
            gh.delete(f"{rp}/git/refs/{ref_path('heads/' + branch)}")
        except GitHubError as err:
            if err.status not in (404, 422):
                raise
        return Outcome(report["exit_code"], f"nothing left to change: closed #{existing['number']} and deleted {branch}")
    entries = []
    for f in changed:
        for rel in [f["path"]] + [o["path"] for o in f["other_files"]]:
            full = Path(os.path.realpath(workspace)) / rel
            if _relative(full, workspace) is None or not full.is_file():
                raise BotError(f"{rel}: not a file inside the workspace; nothing committed")
            entries.append({"path": rel, "mode": _file_mode(full), "type": "blob",
                            "content": full.read_text(encoding="utf-8")})
    entries.sort(key=lambda e: e["path"])
    base_commit = gh.get(f"{rp}/git/commits/{sha}")
    tree = gh.post(f"{rp}/git/trees", {"base_tree": base_commit["tree"]["sha"], "tree": entries})
    title, message = commit_message(report)
    body = pull_request_body(report, base, sha, verify_text)
    try:
        current = gh.get(f"{rp}/git/ref/{ref_path('heads/' + branch)}")["object"]["sha"]
    except GitHubError as err:
        if err.status != 404:
            raise
        current = None
    pushed = "unchanged"
    if current is not None:
        head = gh.get(f"{rp}/git/commits/{current}")
        up_to_date = head["tree"]["sha"] == tree["sha"] and [p["sha"] for p in head.get("parents", [])] == [sha] \
            and head.get("message", "").rstrip("\n") == message.rstrip("\n")
    else:
        up_to_date = False
    if not up_to_date:
        commit = gh.post(f"{rp}/git/commits", {"message": message, "tree": tree["sha"], "parents": [sha]})
        if current is None:
            gh.post(f"{rp}/git/refs", {"ref": f"refs/heads/{branch}", "sha": commit["sha"]})
            pushed = "created"
        else:
            gh.patch(f"{rp}/git/refs/{ref_path('heads/' + branch)}", {"sha": commit["sha"], "force": True})
            pushed = "force-updated"
    if existing is None:
        pr = gh.post(f"{rp}/pulls", {"title": title, "head": branch, "base": base, "body": body})
        return Outcome(report["exit_code"], f"opened #{pr['number']} ({pr.get('html_url', '')}); branch {branch} {pushed}")
    if existing.get("title") != title or existing.get("body") != body or (existing.get("base") or {}).get("ref") != base:
        gh.patch(f"{rp}/pulls/{int(existing['number'])}", {"title": title, "body": body, "base": base})
    return Outcome(report["exit_code"], f"updated #{existing['number']} ({existing.get('html_url', '')}); branch {branch} {pushed}")


def _verify(paths, options_for, fix_files, verify_options) -> str:
    """``imgfix verify`` on the Dockerfiles that will change (before they are written)."""
    from .verify import render_table, verify

    verdicts = []
    for r in fix_files(_walked(paths), options_for):
        if r.changed:
            verdicts += verify([r.path], options_for(r.path), verify_options)
    return render_table(verdicts) if verdicts else "nothing to verify\n"


def _walked(paths):
    from ..run.files import FileError, walk

    return [p for p in walk(paths) if not isinstance(p, FileError)]
