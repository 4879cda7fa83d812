"""The pull-request bot: ``imgfix github review`` and ``imgfix github pull-request``.

review
    Reads the pull request's changed files from the GitHub API, runs imgfix on the Dockerfiles
    it touches (and those whose .dockerignore it touches) as they are in the checked-out
    workspace (read, never executed), and posts one review. A change whose lines all lie in one
    hunk of the pull request's diff (the files API's ``patch``) becomes a comment with a
    ```suggestion block (``start_line``/``line``, side RIGHT); the rest (lines outside the diff,
    new files such as .dockerignore, a workspace that is not the pull request's head) goes into
    the review's body as a diff. Findings without a fix are plain comments (on the diff) or
    listed in the body. Hidden markers (HTML comments) identify the bot's review and comments:
    a later run edits the review's body, keeps or edits comments whose change is still wanted
    at the same place, and deletes the others (REST cannot resolve a thread; only GraphQL's
    resolveReviewThread can, so a comment whose finding is gone is deleted). A read-only token
    (a fork's) degrades to the job summary with a message.

pull-request
    Runs ``imgfix --write`` on the workspace (the default branch), commits the changed files on
    one branch (``imgfix/harden``) through the Git Data API, and opens or updates one pull
    request listing each change with its finding (and ``imgfix verify`` results when asked).
    With nothing left to change it closes that pull request and deletes the branch. The commit
    message and the body depend only on the input (same input, same text).

    The Git Data API rather than the git command line: the token stays in this process (no
    credentials in a remote URL or git configuration, no push from the workspace), the commit
    is made by GitHub as the token's identity (shown as verified), and it is the same REST
    contract as the rest of the bot, so the whole flow is tested against GitHub's description.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..run.files import is_dockerfile_name
from ..run.formats import (
    Hunk,
    _code_block,
    _error,
    attributor,
    hunks,
    md_escape,
    render_github,
    suggestion,
)
from ..run.report import (
    FileResult,
    Mode,
    Report,
    finding_state,
    printable,
    unified_diff,
)
from .github import GitHub, GitHubError, repo_path

REVIEW_MARKER = "<!-- imgfix:review -->"
_COMMENT_MARKER = re.compile(r"<!-- imgfix:comment ([0-9a-f]{16}) -->")
MAX_BODY = 60000  # GitHub refuses bodies over 65,536 characters
UNSAFE_LABEL = ("**Unsafe fix**: it changes the container's interface (ports, how it is built). "
                "Review it before committing.")


class BotError(Exception):
    pass


def _say(message: str) -> None:
    sys.stderr.write(printable(message) + "\n")


# ------------------------------------------------------------------------------ the context


@dataclass
class Context:
    """Where the bot works: repository, pull request, commit; from options or the Actions environment."""

    repo: str
    pr: int | None = None
    sha: str | None = None
    event: dict = field(default_factory=dict)

    @classmethod
    def resolve(cls, repo: str | None, pr: int | None, sha: str | None, event_path: str | None = None,
                env: dict | None = None) -> "Context":
        env = os.environ if env is None else env
        event: dict = {}
        path = event_path or env.get("GITHUB_EVENT_PATH")
        if path:
            try:
                event = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise BotError(f"the event file {path} cannot be read ({err})") from None
            if not isinstance(event, dict):
                event = {}
        pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else {}
        repo = repo or env.get("GITHUB_REPOSITORY") or (event.get("repository") or {}).get("full_name")
        if not repo:
            raise BotError("which repository? give --repo OWNER/NAME (or set GITHUB_REPOSITORY)")
        repo_path(repo)  # validates
        if pr is None:
            pr = pull.get("number") or (event.get("number") if pull else None)
        sha = sha or (pull.get("head") or {}).get("sha") or (env.get("GITHUB_SHA") if not pull else None)
        if sha is not None and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
            raise BotError(f"--sha {sha!r} is not a commit id")
        return cls(repo=repo, pr=int(pr) if pr is not None else None, sha=sha, event=event)


def _relative(path: Path | str, workspace: Path) -> str | None:
    """The path relative to the workspace with ``/``, or None outside it (a symlink out)."""
    try:
        return Path(os.path.realpath(path)).relative_to(Path(os.path.realpath(workspace))).as_posix()
    except ValueError:
        return None


# ------------------------------------------------------------------------------- diff hunks


def parse_patch(patch: str) -> tuple[list[tuple[int, int]], dict[int, str]]:
    """The new-side line ranges of a files-API ``patch`` (comments may anchor there) and the
    text of each new-side line it shows (to check the workspace holds the same file)."""
    ranges: list[tuple[int, int]] = []
    lines: dict[int, str] = {}
    line = 0
    for raw in patch.split("\n"):
        m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", raw)
        if m:
            start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
            if count:
                ranges.append((start, start + count - 1))
            line = start
        elif raw.startswith(("+", " ")) and ranges:
            lines[line] = raw[1:].rstrip("\r")
            line += 1
    return ranges, lines


def _in_one_hunk(ranges: list[tuple[int, int]], first: int, last: int) -> bool:
    return any(a <= first and last <= b for a, b in ranges)


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------------------- the review


@dataclass
class Comment:
    key: str
    path: str
    line: int
    start_line: int | None
    body: str

    def payload(self, commit_id: str | None = None) -> dict:
        out = {"path": self.path, "body": self.body, "line": self.line, "side": "RIGHT"}
        if self.start_line is not None and self.start_line != self.line:
            out.update(start_line=self.start_line, start_side="RIGHT")
        if commit_id:
            out["commit_id"] = commit_id
        return out


@dataclass
class ReviewPlan:
    comments: list[Comment] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # Markdown: changes not anchored on the diff
    findings: list[tuple[str, int, str, str, str, str]] = field(default_factory=list)  # not on the diff
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    files: int = 0
    changed: int = 0

    seen_keys: dict[str, int] = field(default_factory=dict)

    def unique(self, key: str) -> str:
        """The same change twice in a file (two stages) gets two keys."""
        n = self.seen_keys.get(key, 0)
        self.seen_keys[key] = n + 1
        return key if n == 0 else _key(key, str(n))

    @property
    def empty(self) -> bool:
        return not (self.comments or self.outside or self.findings or self.failed)


def _finding_line(f) -> str:
    state = finding_state(f)
    return (f"**imgfix** `{md_escape(f.code)}` {f.severity}: {md_escape(f.message)}"
            + (f" \u2014 {md_escape(state)}" if state else ""))


def dockerfiles_touched(files: list[dict], workspace: Path) -> tuple[list[Path], list[str]]:
    """The Dockerfiles a pull request touches: changed ones, and those whose .dockerignore changed."""
    found: dict[str, Path] = {}
    notes: list[str] = []
    root = Path(os.path.realpath(workspace))
    for entry in files:
        name = entry.get("filename", "")
        if entry.get("status") == "removed" or not isinstance(name, str) or not name:
            continue
        path = workspace / name
        base = Path(name).name
        candidates: list[Path] = []
        if is_dockerfile_name(base):
            candidates.append(path)
        elif base == ".dockerignore":
            folder = path.parent
            if folder.is_dir():
                candidates += sorted(p for p in folder.iterdir() if is_dockerfile_name(p.name))
        elif base.endswith(".dockerignore"):
            candidates.append(path.with_name(base[: -len(".dockerignore")]))
        for c in candidates:
            rel = _relative(c, root)
            if rel is None:
                notes.append(f"{name}: points outside the workspace; not read")
            elif c.is_file():
                found.setdefault(rel, root / rel)
            elif is_dockerfile_name(c.name) and c == path:
                notes.append(f"{name}: not in the workspace (is the pull request's head checked out?)")
    return [found[k] for k in sorted(found)], notes


def plan_review(results: list[FileResult], files: list[dict], workspace: Path) -> ReviewPlan:
    """Which change goes on which lines of the diff, and what goes into the review's body."""
    plan = ReviewPlan()
    diff_of: dict[str, tuple[list[tuple[int, int]], dict[int, str]]] = {}
    for entry in files:
        if isinstance(entry.get("patch"), str) and entry.get("status") != "removed":
            diff_of[entry["filename"]] = parse_patch(entry["patch"])
    matches: dict[str, bool] = {}

    def anchorable(rel: str, text: str) -> list[tuple[int, int]]:
        if rel not in diff_of:
            return []
        ranges, shown = diff_of[rel]
        if rel not in matches:
            have = text.splitlines()
            matches[rel] = all(0 < n <= len(have) and have[n - 1].rstrip("\r") == t for n, t in shown.items())
            if not matches[rel]:
                plan.notes.append(f"{md_escape(rel)} in the workspace is not the pull request's version "
                                  "(check out the head commit): its changes are shown here, not on the diff")
        return ranges if matches[rel] else []

    for r in sorted(results, key=lambda r: str(r.path)):
        rel = _relative(r.path, workspace) or str(r.path)
        plan.files += 1
        if r.error is not None:
            err = _error(r)
            plan.failed.append(f"{md_escape(rel)} (line {err['line']}): {md_escape(err['message'])}")
            continue
        plan.changed += r.changed
        ranges = anchorable(rel, r.original)
        fixed = [f for f in r.findings if f.fixed]
        by_hunk: dict[int, list] = {}
        dockerfile_hunks = hunks(r.original, r.fixed)
        attribute = attributor([f.line for f in fixed])
        for i, h in enumerate(dockerfile_hunks):
            k = attribute(h)
            by_hunk.setdefault(i, [])
            if k is not None:
                by_hunk[i].append(fixed[k])
        shown = _place_changes(plan, rel, r.original, dockerfile_hunks, by_hunk, ranges)
        original_lines = r.original.splitlines()  # once: split per finding, long files were quadratic
        for f in r.findings:
            if f.fixed:
                continue
            line_text = original_lines[f.line - 1] if 0 < f.line <= len(original_lines) else ""
            if f.line > 0 and _in_one_hunk(ranges, f.line, f.line):
                key = plan.unique(_key(rel, "finding", f.code, f.message, line_text))
                body = f"<!-- imgfix:comment {key} -->\n{_finding_line(f)}\n"
                if f.held_back:
                    body += "\nSet `unsafe-fixes = true` in the imgfix configuration to have it suggested here.\n"
                plan.comments.append(Comment(key, rel, f.line, None, body))
            else:
                plan.findings.append((rel, f.line, f.code, f.severity, f.message, finding_state(f) or "to do"))
        for c in sorted(r.files, key=lambda c: c.path):
            if c.old == c.new:
                continue
            crel = _relative(c.path, workspace)
            if crel is None:
                continue
            if c.old is None:
                plan.outside.append(f"New file {md_escape(crel)} (for {md_escape(rel)}):\n\n"
                                    + _code_block(unified_diff(crel, "", c.new, created=True), "diff"))
                continue
            side = hunks(c.old, c.new)
            _place_changes(plan, crel, c.old, side, {i: [] for i in range(len(side))}, anchorable(crel, c.old),
                           note=f"for {md_escape(rel)}")
        # fixed findings no change names (a .dockerignore written, a change outside the diff): in the table
        for f in fixed:
            if id(f) not in shown:
                plan.findings.append((rel, f.line, f.code, f.severity, f.message, finding_state(f) or "fixed"))
    return plan


def _place_changes(plan: ReviewPlan, rel: str, original: str, file_hunks: list[Hunk], by_hunk: dict[int, list],
                   ranges: list[tuple[int, int]], note: str = "") -> set[int]:
    """Suggestions for the hunks on the diff, one diff in the body for the others; returns the
    ids of the findings a suggestion names."""
    outside: list[Hunk] = []
    shown: set[int] = set()
    for i, h in enumerate(file_hunks):
        s = suggestion(original, h)
        findings = by_hunk.get(i, [])
        if s is not None and _in_one_hunk(ranges, s[0], s[1]):
            first, last, text = s
            key = plan.unique(_key(rel, "change", h.original, h.replacement, ",".join(sorted(f.code for f in findings))))
            lines = [f"<!-- imgfix:comment {key} -->"]
            lines += [_finding_line(f) for f in findings] or [f"**imgfix** change {note}".rstrip()]
            if any(f.fix == "unsafe" for f in findings):
                lines.append(UNSAFE_LABEL)
            lines += ["", _code_block(text, "suggestion")]
            plan.comments.append(Comment(key, rel, last, first if first != last else None, "\n".join(lines)))
            shown.update(id(f) for f in findings)
        else:
            outside.append(h)
    if outside:
        # the original with only these changes applied: a diff git apply takes, without the
        # changes already offered as suggestions
        pieces, pos = [], 0
        for h in outside:
            pieces += [original[pos:h.start], h.replacement]
            pos = h.end
        partial = "".join(pieces) + original[pos:]
        plan.outside.append(f"Changes to {md_escape(rel)} outside the pull request's diff{(' ' + note) if note else ''}:\n\n"
                            + _code_block(unified_diff(rel, original, partial), "diff"))
    return shown


def render_review_body(plan: ReviewPlan, sha: str | None) -> str:
    from .. import __version__

    at = f" at `{sha[:7]}`" if sha else ""
    head = [REVIEW_MARKER, f"### imgfix {__version__}{at}", ""]
    if plan.empty:
        return "\n".join(head + ["Nothing to change in the Dockerfiles this pull request touches.", ""])
    n = len(plan.comments)
    head.append(f"{plan.files} Dockerfile{'s' * (plan.files != 1)} checked, {plan.changed} would change: "
                f"{n} comment{'s' * (n != 1)} on the diff"
                + (", the other changes below" if plan.outside else "") + ". "
                + "Apply a suggestion with *Commit suggestion*.")
    head.append("")
    for note in plan.notes:
        head += [f"> {note}", ""]
    out = head
    if plan.failed:
        out += ["#### Not processed", ""] + [f"- {x}" for x in plan.failed] + [""]
    if plan.outside:
        out += ["#### Changes that cannot be suggested on the diff", ""]
        for block in plan.outside:
            out += [block, ""]
    if plan.findings:
        out += ["#### Other findings", "", "| File | Line | Code | Severity | Finding | State |",
                "| --- | ---: | --- | --- | --- | --- |"]
        for rel, line, code, severity, message, state in plan.findings:
            out.append(f"| {md_escape(rel)} | {line} | {md_escape(code)} | {severity} | {md_escape(message)} | {md_escape(state)} |")
        out.append("")
    return _fit("\n".join(out).rstrip("\n") + "\n")


def _fit(text: str) -> str:
    if len(text) <= MAX_BODY:
        return text
    cut = text[:MAX_BODY]
    if cut.count("```") % 2:  # close an open fence
        cut += "\n```"
    return cut + "\n\n(truncated: GitHub allows 65,536 characters; the job summary and `imgfix --check` have everything)\n"


def _comment_key(comment: dict) -> str | None:
    m = _COMMENT_MARKER.search(comment.get("body") or "")
    return m.group(1) if m else None


@dataclass
class Outcome:
    code: int
    message: str
    review_url: str | None = None


def _by(item: dict, login: str | None) -> bool:
    return login is None or ((item.get("user") or {}).get("login") == login)


def sync_review(gh: GitHub, repo: str, pr: int, sha: str, plan: ReviewPlan, login: str | None = None) -> str:
    """Posts or updates the bot's review and comments; returns a line saying what it did.

    ``login``: the bot's account; markers in anything another account wrote are ignored (anyone
    can type an HTML comment). Without it, a marked comment the token may not change is skipped."""
    base = f"{repo_path(repo)}/pulls/{pr}"
    reviews = [r for r in gh.paginate(f"{base}/reviews") if REVIEW_MARKER in (r.get("body") or "") and _by(r, login)]
    mine = [c for c in gh.paginate(f"{base}/comments") if _comment_key(c) and _by(c, login)]
    wanted = {c.key: c for c in plan.comments}
    kept: set[str] = set()
    counts = {"kept": 0, "edited": 0, "deleted": 0, "added": 0}
    for c in mine:
        key = _comment_key(c)
        want = wanted.get(key)
        same_place = (want is not None and key not in kept and c.get("path") == want.path and c.get("line") == want.line
                      and (c.get("start_line") or c.get("line")) == (want.start_line or want.line)
                      and c.get("side", "RIGHT") == "RIGHT")
        try:
            if same_place:
                if c.get("body") != want.body:
                    gh.patch(f"{repo_path(repo)}/pulls/comments/{int(c['id'])}", {"body": want.body})
                    counts["edited"] += 1
                else:
                    counts["kept"] += 1
                kept.add(key)
            else:  # its finding is gone, or its line changed: REST cannot resolve a thread, so it goes
                gh.delete(f"{repo_path(repo)}/pulls/comments/{int(c['id'])}")
                counts["deleted"] += 1
        except GitHubError as err:
            if err.status not in (403, 404) or err.read_only or login is not None:
                raise
            # not the bot's own comment (someone typed the marker): leave it, post the bot's

    new = [c for c in plan.comments if c.key not in kept]
    if not reviews and plan.empty and not mine:
        return "nothing to review: no review posted"
    if not reviews:
        body = render_review_body(plan, sha)
        try:
            review = gh.post(f"{base}/reviews", {"commit_id": sha, "body": body, "event": "COMMENT",
                                                 "comments": [c.payload() for c in new]})
        except GitHubError as err:
            if err.status != 422 or not new:
                raise
            # GitHub refused an anchor (a diff that moved under us): everything into the body
            plan.notes.append(f"GitHub refused the inline comments ({md_escape(err.message)}); all changes are below")
            plan.outside += [f"Suggested change for {md_escape(c.path)} (lines {c.start_line or c.line}\u2013{c.line}):\n\n{c.body}"
                             for c in new]
            plan.comments = []
            review = gh.post(f"{base}/reviews", {"commit_id": sha, "body": render_review_body(plan, sha), "event": "COMMENT"})
            new = []
        counts["added"] = len(new)
        return f"review posted ({review.get('html_url', '')}): " + _counted(counts)
    review = reviews[-1]
    refused = []
    for c in new:
        try:
            gh.post(f"{base}/comments", c.payload(sha))
            counts["added"] += 1
        except GitHubError as err:
            if err.status != 422:
                raise
            refused.append(c)
    if refused:
        plan.notes.append("GitHub refused some inline comments (their lines left the diff); they are below")
        plan.outside += [f"Suggested change for {md_escape(c.path)} (lines {c.start_line or c.line}\u2013{c.line}):\n\n{c.body}"
                         for c in refused]
    gh.put(f"{base}/reviews/{int(review['id'])}", {"body": render_review_body(plan, sha)})
    return f"review updated ({review.get('html_url', '')}): " + _counted(counts)


def _counted(counts: dict) -> str:
    return ", ".join(f"{n} comment{'s' * (n != 1)} {what}" for what, n in counts.items())


def write_summary(text: str, summary: Path | None) -> None:
    if summary is None:
        return
    try:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    except OSError as err:
        _say(f"imgfix: the job summary {summary} cannot be written ({err.strerror or err})")


def review(gh: GitHub, ctx: Context, workspace: Path, options_for, summary: Path | None = None,
           login: str | None = None) -> Outcome:
    from ..run.runner import fix_files

    if ctx.pr is None:
        raise BotError("which pull request? give --pr N (or run on a pull_request event)")
    base = f"{repo_path(ctx.repo)}/pulls/{ctx.pr}"
    pull = gh.get(base)
    head_sha = (pull.get("head") or {}).get("sha")
    sha = ctx.sha or head_sha
    if pull.get("state") == "closed":
        return Outcome(0, f"pull request #{ctx.pr} is closed: nothing to review")
    files = gh.paginate(f"{base}/files")
    paths, notes = dockerfiles_touched(files, workspace)
    results = list(fix_files(paths, options_for))
    plan = plan_review(results, files, workspace)
    plan.notes[:0] = [md_escape(n) for n in notes] + list(getattr(options_for, "notes", []))
    if head_sha and sha != head_sha:
        plan.notes.insert(0, f"this review is of `{sha[:7]}`; the pull request has moved on to `{head_sha[:7]}` "
                             "(a newer run will review it)")
    report = Report(Mode.CHECK)
    for r in results:
        report.add(r)
    code = report.exit_code()
    try:
        did = sync_review(gh, ctx.repo, ctx.pr, sha, plan, login)
    except GitHubError as err:
        if not err.read_only:
            raise
        message = (f"imgfix could not post its review: {err.message}. The review is in this job summary instead; "
                   "to get it on the pull request, run the workflow with pull-requests: write (a fork's pull "
                   "request has a read-only token: see docs/github.md).")
        write_summary(f"> [!WARNING]\n> {md_escape(message)}\n\n" + render_github(report), summary)
        print(f"::warning title=imgfix review::{_workflow_escape(message)}")
        return Outcome(code, message)
    write_summary(render_review_body(plan, sha), summary)
    return Outcome(code, did)


class UntrustedOptions:
    """Each Dockerfile's options, for a pull request's files: templates named by the pull
    request's own configuration are not used (jinja2 templates are code); those given on the
    command line (the workflow's, not the pull request's) are."""

    def __init__(self, resolver) -> None:
        self.resolver = resolver
        self.notes: list[str] = []

    def __call__(self, path: Path):
        from dataclasses import replace

        options = self.resolver(path)
        if options.templates is not None and "templates" not in self.resolver.cli:
            note = (f"the configuration for {md_escape(str(path.name))} names templates ({md_escape(str(options.templates))}); "
                    "a review does not render a pull request's templates (they are code): the built-in ones were used")
            if note not in self.notes:
                self.notes.append(note)
            options = replace(options, templates=None)
        return options


def _workflow_escape(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped so it cannot start another command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
