"""The dockerignore transform (DIG) and Docker's .dockerignore matching (fixer/ignorefile.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DOCKERIGNORE_VECTORS
from golden import cases
from fixer.document import ignorefile
from fixer.analysis.stages import Analysis
from fixer.document.model import Document
from fixer.document.ignorefile import Glob, IgnoreError, Matcher
from fixer.transforms.options import Options
from fixer.run.pipeline import fix
from fixer.transforms import Result, all_transforms
from fixer.transforms.dockerignore import CODES, MARKER, TRANSFORM, _Sources

def run(text: str, context: Path | None, path: Path | None = None):
    return fix(text, Options(select=("DIG",), context=context), context, path)


def make_context(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def codes(outcome) -> list[str]:
    return [f.code for f in outcome.findings]


# ---------------------------------------------------------------------------- moby vectors


MOBY_VECTORS = json.loads(DOCKERIGNORE_VECTORS.read_text())


def test_there_are_26_moby_vectors():
    assert len(MOBY_VECTORS) == 26


@pytest.mark.parametrize("vector", MOBY_VECTORS, ids=lambda v: v["name"])
def test_moby_vector(vector):
    expected = vector["moby_patternmatcher"]
    if "error" in expected:
        with pytest.raises(IgnoreError, match=expected["error"]):
            Matcher.from_text(vector["dockerignore"])
        return
    matcher = Matcher.from_text(vector["dockerignore"])
    assert matcher.patterns == expected["cleaned"]
    got = {path: matcher.excluded(path) for path in expected["results"]}
    assert got == expected["results"]


# ---------------------------------------------------------------------------- reading, matching


def test_reading_drops_bom_and_carriage_returns_like_moby():
    text = "\ufeff# comment\r\n*.log\r\n\r\n  !keep.log  \r\nbuild/\r\n"
    assert ignorefile.lines_of(text) == ["# comment", "*.log", "", "  !keep.log  ", "build/"]
    matcher = Matcher.from_text(text)
    assert matcher.patterns == ["*.log", "!keep.log", "build"]
    assert matcher.excluded("a.log") and not matcher.excluded("keep.log") and matcher.excluded("build/x")


def test_a_bom_only_counts_on_the_first_line():
    assert Matcher.from_text("\ufeffa\n").excluded("a")
    assert not Matcher.from_text("x\n\ufeffb\n").excluded("b")


def test_the_context_root_is_never_excluded():
    assert not Matcher.from_text("*\n**\n").excluded(".")


def test_glob_sends_and_names():
    glob = Glob("target/*.jar")
    assert glob.sends("target/a.jar") and glob.names("target/a.jar")
    assert not glob.sends("target/sub/a.jar")
    folder = Glob("config")
    assert folder.sends("config/x.yml") and not folder.names("config/x.yml") and folder.names("config")
    assert Glob(".").sends("anything") and not Glob(".").names("anything")


def test_probes():
    assert ignorefile.probes("**/*.py[co]") == ("x.pyc", "d/x.pyc", "x.pyo", "d/x.pyo")
    assert ignorefile.probes("[^a].txt") == ()
    assert ignorefile.probes("!.env.example") == (".env.example",)


def test_locate_prefers_the_dockerfile_specific_ignore_file(tmp_path):
    dockerfile = tmp_path / "docker" / "api.Dockerfile"
    dockerfile.parent.mkdir()
    dockerfile.write_text("FROM scratch\n")
    assert ignorefile.locate(dockerfile, tmp_path) == tmp_path / ".dockerignore"
    (tmp_path / "docker" / "api.Dockerfile.dockerignore").write_text("x\n")
    assert ignorefile.locate(dockerfile, tmp_path) == tmp_path / "docker" / "api.Dockerfile.dockerignore"


# ---------------------------------------------------------------------------- the transform


def test_registered_after_nonroot():
    names = [t.name for t in all_transforms()]
    assert "dockerignore" in names
    if "nonroot" in names:
        assert names.index("nonroot") < names.index("dockerignore")
    assert TRANSFORM.code == "DIG" and all(code.startswith("DIG") for code in CODES)


def test_no_context_folder_writes_nothing():
    outcome = run("FROM python:3.12\nCOPY . /app\n", None)
    assert outcome.files == [] and outcome.findings == []


def test_absent_file_is_generated_for_the_ecosystems_found(tmp_path):
    make_context(tmp_path, {"Dockerfile": "", "app.py": "", "requirements.txt": "", "web/package.json": "{}"})
    text = "FROM python:3.12\nCOPY . /app\n"
    outcome = run(text, tmp_path, tmp_path / "Dockerfile")
    (change,) = outcome.files
    assert change.path == str(tmp_path / ".dockerignore") and change.old is None
    lines = change.new.splitlines()
    for entry in (".git", "**/.env", "**/*.pem", ".aws", ".ssh", "**/.DS_Store", "**/Dockerfile", "**/__pycache__", "**/node_modules"):
        assert entry in lines
    assert "target" not in lines and "**/bin" not in lines  # no Maven/Rust/.NET here
    assert codes(outcome) == ["DIG001"]


def test_present_file_gets_one_block_at_the_end_and_user_lines_stay(tmp_path):
    user = "# mine\nnode_modules\n*.md\n!README.md"  # no final newline
    make_context(tmp_path, {".dockerignore": user, "package.json": "{}", "README.md": ""})
    outcome = run("FROM node:20\nCOPY . .\n", tmp_path, tmp_path / "Dockerfile")
    (change,) = outcome.files
    assert change.old == user and change.new.startswith(user + "\n")
    block = change.new[len(user) + 1 :]
    assert block.count(MARKER) == 1 and block.startswith("\n" + MARKER)
    added = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert "node_modules" not in added and "**/node_modules" in added  # root one is the user's
    assert codes(outcome) == ["DIG002"]


def test_crlf_ignore_file_keeps_its_line_endings(tmp_path):
    user = "node_modules\r\n*.log\r\n"
    make_context(tmp_path, {".dockerignore": user.encode(), "package.json": "{}"})
    (change,) = run("FROM node:20\nCOPY . .\n", tmp_path, tmp_path / "Dockerfile").files
    assert change.new.startswith(user)
    assert change.new.count("\r\n") == change.new.count("\n")


def test_dockerfile_specific_ignore_file_is_read_and_written(tmp_path):
    make_context(tmp_path, {
        "api.Dockerfile": "", ".dockerignore": "*\n", "api.Dockerfile.dockerignore": "**/*.pyc\n",
        "main.py": "", "requirements.txt": "",
    })
    text = "FROM python:3.12\nCOPY requirements.txt main.py /app/\n"
    outcome = run(text, tmp_path, tmp_path / "api.Dockerfile")
    (change,) = outcome.files
    assert change.path == str(tmp_path / "api.Dockerfile.dockerignore")
    assert change.old == "**/*.pyc\n"
    assert "DIG007" not in codes(outcome)  # the root .dockerignore ("*") is not the one used
    assert "**/*.Dockerfile" in change.new.splitlines()  # the Dockerfile itself is kept out


def test_idempotent_after_writing(tmp_path):
    make_context(tmp_path, {"package.json": "{}", ".env": "A=1", "src/index.js": ""})
    text = "FROM node:20\nCOPY . .\n"
    (change,) = run(text, tmp_path, tmp_path / "Dockerfile").files
    Path(change.path).write_text(change.new)
    again = run(text, tmp_path, tmp_path / "Dockerfile")
    assert again.files == [] and "DIG001" not in codes(again) and "DIG002" not in codes(again)


def test_a_wildcard_source_drops_the_entry_and_a_file_source_gets_an_exception(tmp_path):
    make_context(tmp_path, {"pom.xml": "", "target/app-1.0.jar": "", "certs/ca.crt": "", "src/Main.java": ""})
    text = "FROM eclipse-temurin:21\nCOPY target/*.jar /app.jar\nCOPY certs/ca.crt /usr/local/share/ca-certificates/\n"
    outcome = run(text, tmp_path, tmp_path / "Dockerfile")
    lines = outcome.files[0].new.splitlines()
    assert "target" not in lines
    assert lines[lines.index("**/*.crt") + 1] == "!certs/ca.crt"
    after = Matcher(lines)
    assert not after.excluded("target/app-1.0.jar") and not after.excluded("certs/ca.crt")
    notes = [f.message for f in outcome.findings if f.code == "DIG005"]
    assert any("left out target" in n for n in notes) and any("!certs/ca.crt" in n for n in notes)


def test_a_folder_source_drops_the_entry_instead_of_reincluding_below_it(tmp_path):
    make_context(tmp_path, {"Cargo.toml": "", "target/release/app": "", "src/main.rs": ""})
    outcome = run("FROM debian\nCOPY target/release /usr/local/bin/\n", tmp_path, tmp_path / "Dockerfile")
    lines = outcome.files[0].new.splitlines()
    assert "target" not in lines and "!target/release" not in lines


def test_copy_from_a_stage_that_copied_the_context_protects_the_file(tmp_path):
    make_context(tmp_path, {".vscode/settings.json": "{}", "package.json": "{}"})
    text = (
        "FROM node:20 AS build\nWORKDIR /app\nCOPY . .\nRUN npm run build\n"
        "FROM nginx\nCOPY --from=build /app/.vscode/settings.json /etc/x.json\nCOPY --from=build /app/dist /usr/share/nginx/html\n"
    )
    outcome = run(text, tmp_path, tmp_path / "Dockerfile")
    lines = outcome.files[0].new.splitlines()
    assert lines[lines.index(".vscode") + 1] == "!.vscode/settings.json"
    assert not any("dist" in f.message for f in outcome.findings)  # built in the stage, not in the context


def test_bind_mount_source_is_protected(tmp_path):
    make_context(tmp_path, {"secrets/dev.key": "", "requirements.txt": ""})
    text = "FROM python:3.12\nRUN --mount=type=bind,source=secrets/dev.key,target=/k cat /k\n"
    lines = run(text, tmp_path, tmp_path / "Dockerfile").files[0].new.splitlines()
    assert not Matcher(lines).excluded("secrets/dev.key")


def test_heredoc_url_and_from_sources_are_not_needs(tmp_path):
    text = (
        "# syntax=docker/dockerfile:1\nFROM alpine AS a\nCOPY <<EOF /x\nhi\nEOF\n"
        "ADD https://example.com/a.tgz /a.tgz\nFROM alpine\nCOPY --from=a /x /x\n"
    )
    doc = Document(text)
    sources = _Sources(Analysis(doc, tmp_path, None), tmp_path, Result())
    assert sources.needs == []


def test_user_line_that_excludes_a_copy_source_is_reported_not_rewritten(tmp_path):
    make_context(tmp_path, {".dockerignore": "*.json\n", "config.json": "{}", "app.py": ""})
    outcome = run("FROM python:3.12\nCOPY config.json app.py /app/\n", tmp_path, tmp_path / "Dockerfile")
    (finding,) = [f for f in outcome.findings if f.code == "DIG007"]
    assert finding.line == 2 and "config.json" in finding.message and not finding.fixed
    assert outcome.files[0].new.startswith("*.json\n")


def test_user_exceptions_are_repeated_when_a_new_entry_would_override_them(tmp_path):
    make_context(tmp_path, {".dockerignore": "keys/*\n!keys/public.key\n", "keys/public.key": "", "app.py": ""})
    (change,) = run("FROM python:3.12\nCOPY . /app\n", tmp_path, tmp_path / "Dockerfile").files
    assert change.new.rstrip("\n").endswith("!keys/public.key")
    assert not Matcher.from_text(change.new).excluded("keys/public.key")


def test_secrets_copied_by_dot_are_named_and_excluded(tmp_path):
    make_context(tmp_path, {
        ".env": "X=1", "id_rsa": "", "conf/credentials.json": "{}", "app.py": "",
        ".npmrc": "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789\n",
        "web/.npmrc": "registry=https://registry.npmjs.org/\n",
    })
    outcome = run("FROM python:3.12\nCOPY . /app\n", tmp_path, tmp_path / "Dockerfile")
    (finding,) = [f for f in outcome.findings if f.code == "DIG003"]
    for name in (".env", "id_rsa", "conf/credentials.json", ".npmrc"):
        assert name in finding.message
    assert "web/.npmrc" not in finding.message
    after = Matcher.from_text(outcome.files[0].new)
    assert all(after.excluded(p) for p in (".env", "id_rsa", "conf/credentials.json", ".npmrc"))
    assert not after.excluded("web/.npmrc") and not after.excluded("app.py")


def test_secret_copied_by_name_is_kept_and_pointed_to_secret_mounts(tmp_path):
    make_context(tmp_path, {"server.key": "", "app.py": ""})
    outcome = run("FROM python:3.12\nCOPY server.key /etc/ssl/\nCOPY app.py /app/\n", tmp_path, tmp_path / "Dockerfile")
    (finding,) = [f for f in outcome.findings if f.code == "DIG004"]
    assert finding.line == 2 and "server.key" in finding.message and "--mount=type=secret" in finding.message
    assert not Matcher.from_text(outcome.files[0].new).excluded("server.key")


def test_an_invalid_existing_file_is_left_alone(tmp_path):
    make_context(tmp_path, {".dockerignore": "[\n"})
    outcome = run("FROM alpine\nCOPY . /\n", tmp_path, tmp_path / "Dockerfile")
    assert outcome.files == [] and codes(outcome) == ["DIG009"]


def test_a_second_run_on_another_dockerfile_extends_the_marked_block(tmp_path):
    make_context(tmp_path, {"app.py": "", "Cargo.toml": ""})
    (first,) = run("FROM python:3.12\nCOPY . /app\n", tmp_path, tmp_path / "Dockerfile").files
    Path(first.path).write_text(first.new)
    # a second Dockerfile that needs target/ which the first block excludes
    outcome = run("FROM debian\nCOPY target/app /app\n", tmp_path, tmp_path / "b.Dockerfile")
    (second,) = outcome.files
    assert second.new.startswith(first.new) and second.new.count(MARKER) == 1
    assert not Matcher.from_text(second.new).excluded("target/app")
    Path(second.path).write_text(second.new)
    # a third one adds to the existing marked block instead of opening another
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text("{}")
    (third,) = run("FROM node:20\nCOPY web /web\n", tmp_path, tmp_path / "c.Dockerfile").files
    assert third.new.startswith(second.new) and third.new.count(MARKER) == 1


# ---------------------------------------------------------------------------- golden cases


def _golden_with_context():
    return [c for c in cases() if (c / "context").is_dir()]


@pytest.mark.parametrize("case", _golden_with_context(), ids=lambda p: p.name)
def test_golden_no_copy_source_is_excluded_by_the_result(case):
    """Whatever DIG writes never excludes a COPY/ADD/bind source the user's own file did not."""
    options = Options(select=("DIG",), context=case / "context")
    text = (case / "Dockerfile").read_text()
    outcome = fix(text, options, options.context, case / "Dockerfile")
    target = ignorefile.locate(case / "Dockerfile", case / "context")
    old = target.read_text() if target.exists() else ""
    new = next((c.new for c in outcome.files), old)
    before, after = Matcher.from_text(old), Matcher.from_text(new)
    sources = _Sources(Analysis(Document(text), case / "context", case / "Dockerfile"), case / "context", Result())
    files = [f.relative_to(case / "context").as_posix() for f in (case / "context").rglob("*") if f.is_file()]
    for need in sources.needs:
        paths = [need.path] + ([f for f in files if Glob(need.path).names(f)] if need.glob else [])
        for path in paths:
            if path != ".":
                assert not after.excluded(path) or before.excluded(path), (case.name, need)


@pytest.mark.parametrize("case", _golden_with_context(), ids=lambda p: p.name)
def test_golden_ignore_file_is_idempotent(case, tmp_path):
    work = tmp_path / case.name
    shutil.copytree(case, work)
    options = Options(select=("DIG",), context=work / "context")
    text = (work / "Dockerfile").read_text()
    first = fix(text, options, options.context, work / "Dockerfile")
    for change in first.files:
        Path(change.path).write_text(change.new, newline="")
    second = fix(text, options, options.context, work / "Dockerfile")
    assert [c for c in second.files if c.old != c.new] == []


def test_there_are_dockerignore_golden_cases_from_real_contexts():
    mine = [c for c in _golden_with_context() if c.name.startswith("dockerignore-")]
    assert len(mine) >= 10
    assert sum((c / "context" / ".dockerignore").exists() for c in mine) >= 5


# ---------------------------------------------------------------------------- CLI


def test_cli_check_counts_and_write_writes_the_ignore_file(tmp_path):
    make_context(tmp_path, {"app.py": "", "requirements.txt": ""})
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.12\nCOPY . /app\n")
    cmd = [sys.executable, "-m", "fixer", "--select", "DIG"]
    check = subprocess.run(cmd + ["--check", str(dockerfile)], capture_output=True, text=True)
    assert check.returncode == 1 and not (tmp_path / ".dockerignore").exists()
    diff = subprocess.run(cmd + [str(dockerfile)], capture_output=True, text=True)
    assert ".dockerignore" in diff.stdout and "+**/__pycache__" in diff.stdout
    write = subprocess.run(cmd + ["--write", str(dockerfile)], capture_output=True, text=True)
    assert write.returncode == 0, write.stderr
    assert "**/__pycache__" in (tmp_path / ".dockerignore").read_text()
    again = subprocess.run(cmd + ["--check", str(dockerfile)], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr


def test_a_dockerfile_name_the_generic_entries_miss_gets_its_own_group_last(tmp_path):
    make_context(tmp_path, {"Dockerfile-web": "", "app.py": "", "requirements.txt": ""})
    (change,) = run("FROM python:3.12-slim\nCOPY app.py /app/\n", tmp_path, tmp_path / "Dockerfile-web").files
    assert change.new.splitlines()[-2:] == ["# this Dockerfile", "Dockerfile-web"]
    # a usual name is covered by **/Dockerfile: no group of its own
    make_context(tmp_path, {"Dockerfile": ""})
    (change,) = run("FROM python:3.12-slim\nCOPY app.py /app/\n", tmp_path, tmp_path / "Dockerfile").files
    assert "# this Dockerfile" not in change.new


def test_listings_are_shared_only_while_a_run_shares_them(tmp_path):
    from fixer.document import context

    calls = []

    def listing():
        calls.append(1)
        return ("a",)

    assert context.shared(("k", tmp_path), listing) == ("a",)
    assert context.shared(("k", tmp_path), listing) == ("a",)
    assert len(calls) == 2  # off: computed each time
    context.start_sharing()
    try:
        context.shared(("k", tmp_path), listing)
        context.shared(("k", tmp_path), listing)
        assert len(calls) == 3
        context.forget()  # after a write
        context.shared(("k", tmp_path), listing)
        assert len(calls) == 4
        for i in range(20):  # only the most recent contexts are kept
            context.shared(("k", i), listing)
        assert len(context._shared) <= context._SHARED_CONTEXTS
    finally:
        context.stop_sharing()


def test_literal_lines_exclude_exactly_the_file():
    assert ignorefile.literal("k[.pem") == "k\\[.pem"
    assert ignorefile.literal("#notes.pem") == "\\#notes.pem"  # not a comment
    assert ignorefile.literal("!x.key") == "\\!x.key"  # not an exception
    assert ignorefile.literal("a/b*c?.env") == "a/b\\*c\\?.env"
    assert ignorefile.literal(" x.pem") is None and ignorefile.literal("x\n.pem") is None
    names = ["k[.pem", "#notes.pem", "!x.key", "a/b*c?.env", "a\\b.key"]
    matcher = Matcher([ignorefile.literal(n) for n in names])
    for name in names:
        assert matcher.excluded(name), name
    for other in ["k.pem", "x.key", "a/bxc?.env", "a/b*cd.env", "notes.pem", "ab.key"]:
        assert not matcher.excluded(other), other
    assert ignorefile.probes("k\\[.pem") == ("k[.pem",)


def test_secret_files_with_wildcards_in_their_names_are_excluded_literally(tmp_path):
    """A name such as ``k[.pem`` used to become an invalid pattern (a crash), ``#x.pem`` a
    comment and ``!x.key`` an exception that re-included another file."""
    make_context(tmp_path, {"k[.pem": "k", "#x.pem": "k", "!x.key": "k", "x.key": "k", "app.py": ""})
    outcome = run("FROM python:3.12-slim\nCOPY . /app\n", tmp_path, tmp_path / "Dockerfile")
    (change,) = outcome.files
    after = Matcher.from_text(change.new)
    for name in ("k[.pem", "#x.pem", "!x.key", "x.key"):
        assert after.excluded(name), name
    assert not after.excluded("app.py")
    assert "DIG003" in codes(outcome)
