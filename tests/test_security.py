"""Security: imgfix reads the repository it fixes and never runs it; values from options and
project files cannot inject instructions; no network unless digest pinning is asked for."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import corpus_dockerfiles
from fixer.document.model import Document
from fixer.transforms.options import OptionError, Options
from fixer.run.pipeline import FixError, fix

PAYLOAD = "PWNED"


def hostile_project(root: Path, marker_dir: Path) -> None:
    """A project whose every runnable file would leave a marker if anything ran it."""
    touch = lambda name: f"{marker_dir / name}"  # noqa: E731
    root.mkdir(parents=True, exist_ok=True)
    (root / "setup.py").write_text(f"open({touch('setup.py')!r}, 'w').close()\nfrom setuptools import setup\nsetup(name='x')\n")
    (root / "conftest.py").write_text(f"open({touch('conftest')!r}, 'w').close()\n")
    (root / "package.json").write_text(json.dumps({
        "name": "app", "version": "1.0.0", "main": "server.js",
        "scripts": {k: f"touch {touch(k)}" for k in ("preinstall", "install", "postinstall", "prepare", "build", "start")},
        "dependencies": {"express": "^4.18.0"},
    }))
    (root / "package-lock.json").write_text(json.dumps({"name": "app", "lockfileVersion": 3, "packages": {}}))
    (root / "server.js").write_text(f"require('fs').writeFileSync({str(touch('server.js'))!r}, '')\n")
    entry = root / "entrypoint.sh"
    entry.write_text(f"#!/bin/sh\ntouch {touch('entrypoint')}\nexec \"$@\"\n")
    entry.chmod(0o755)
    (root / "Makefile").write_text(f"all:\n\ttouch {touch('make')}\n")
    (root / "gradlew").write_text(f"#!/bin/sh\ntouch {touch('gradlew')}\n")
    (root / "gradlew").chmod(0o755)
    (root / "Dockerfile").write_text(
        "FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n"
        "COPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"npm\", \"start\"]\n"
    )


def test_nothing_from_the_repository_is_executed(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    project = tmp_path / "project"
    hostile_project(project, markers)
    # git with an fsmonitor hook and an external diff that would run for --changed-since
    git = subprocess.run(["git", "init", "-q", str(project)], capture_output=True)
    if git.returncode == 0:
        hook = project / "hook.sh"
        hook.write_text(f"#!/bin/sh\ntouch {markers / 'git-hook'}\n")
        hook.chmod(0o755)
        subprocess.run(["git", "-C", str(project), "config", "core.fsmonitor", str(hook)], check=True)
        subprocess.run(["git", "-C", str(project), "config", "diff.external", str(hook)], check=True)
        subprocess.run(["git", "-C", str(project), "-c", "core.fsmonitor=false", "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(project), "-c", "core.fsmonitor=false", "-c", "user.name=t", "-c", "user.email=t@t",
                        "commit", "-qm", "x"], check=True)
        (project / "Dockerfile").write_text((project / "Dockerfile").read_text() + "# changed\n")
    runs = [
        ["--check", str(project)],
        ["--write", str(project)],
        ["--changed-since", "HEAD", str(project)],
        ["init", "--force", str(project)],
    ]
    for args in runs:
        proc = subprocess.run([sys.executable, "-m", "fixer", *args], capture_output=True, text=True, timeout=120, cwd=project)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert sorted(p.name for p in markers.iterdir()) == [], (args, proc.stdout, proc.stderr)
    assert "USER" in (project / "Dockerfile").read_text()  # the tool did work on the project


@pytest.mark.parametrize("field, value", [
    ("user", f"app\nRUN touch /{PAYLOAD}"),
    ("user", "app;touch"),
    ("user", "$(id)"),
    ("user", "a b"),
    ("user", "root\\"),
    ("uid", 0),
    ("uid", -1),
    ("gid", 2**31),
    ("uid", True),
    ("targets", (f"prod\nRUN {PAYLOAD}",)),
    ("registry", f"mirror.example.com\nRUN {PAYLOAD}"),
    ("registry", "mirror.example.com/$(id)"),
    ("registry", "mirror.example.com; rm -rf /"),
    ("registry_map", (("docker.io", f"m.example.com\nRUN {PAYLOAD}"),)),
    ("registry_map", ((f"docker.io\n{PAYLOAD}", "m.example.com"),)),
])
def test_injected_option_values_are_refused(field, value):
    assert field in Options.__dataclass_fields__  # a renamed option must not pass unnoticed
    with pytest.raises(OptionError):
        Options(**{field: value})


@pytest.mark.parametrize("args", [
    ["--user", f"app\nRUN touch /{PAYLOAD}"],
    ["--user", "app`id`"],
    ["--uid", "0"],
    ["--target", "x;y"],
])
def test_cli_refuses_injected_values(tmp_path, args):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\nCMD [\"sh\"]\n")
    proc = subprocess.run([sys.executable, "-m", "fixer", "--write", *args, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert PAYLOAD not in (tmp_path / "Dockerfile").read_text()


def new_lines(old: str, new: str) -> list[str]:
    before = set(old.splitlines())
    return [line for line in new.splitlines() if line not in before]


HOSTILE_VALUES = [
    f"x\nRUN touch /{PAYLOAD}",
    f'x"]\nRUN touch /{PAYLOAD}\nCMD ["x',
    f"x && touch /{PAYLOAD}",
    f"x; touch /{PAYLOAD}",
    f"$(touch /{PAYLOAD})",
    f"`touch /{PAYLOAD}`",
    f"x\\\nRUN touch /{PAYLOAD}",
    f"{{{{ {PAYLOAD} }}}}",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_project_file_values_cannot_reach_the_dockerfile(tmp_path, value):
    """Names, entry points and module paths read from project files are validated: a hostile
    value is refused (reported), never copied into the rewrite."""
    node = tmp_path / "node"
    node.mkdir()
    (node / "package.json").write_text(json.dumps({
        "name": value, "main": value, "scripts": {"start": f"node {value}", "build": value},
        "engines": {"node": value},
    }))
    (node / "package-lock.json").write_text("{}")
    (node / "Dockerfile").write_text("FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n")
    py = tmp_path / "py"
    py.mkdir()
    (py / "pyproject.toml").write_text(
        f"[project]\nname = {json.dumps(value)}\nversion = \"1\"\nrequires-python = {json.dumps(value)}\n"
        f"[project.scripts]\nserve = {json.dumps(value)}\n"
    )
    (py / "requirements.txt").write_text(f"flask\n{value}\n")
    (py / "Dockerfile").write_text("FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install .\nCMD [\"serve\"]\n")
    go = tmp_path / "go"
    go.mkdir()
    (go / "go.mod").write_text(f"module {value}\n\ngo 1.22\n")
    (go / "main.go").write_text("package main\nfunc main() {}\n")
    (go / "Dockerfile").write_text("FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n")
    for project in (node, py, go):
        text = (project / "Dockerfile").read_text()
        try:
            out = fix(text, Options(), project, project / "Dockerfile")
        except FixError as err:
            assert PAYLOAD not in err.message or "rejected" in err.message
            continue
        added = new_lines(text, out.fixed)
        assert not [line for line in added if PAYLOAD in line], (project.name, out.fixed)
        for change in out.files:  # .dockerignore written beside it
            assert PAYLOAD not in change.new
        Document(out.fixed)
    # init renders templates from the same values
    for project in (node, py, go):
        (project / "Dockerfile").unlink()
        proc = subprocess.run([sys.executable, "-m", "fixer", "init", str(project)], capture_output=True, text=True, timeout=60)
        assert "Traceback" not in proc.stderr, proc.stderr
        written = project / "Dockerfile"
        if written.exists():
            assert PAYLOAD not in written.read_text(), (project.name, written.read_text())


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def network_off(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError(101, "Network is unreachable (disabled by the test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return calls


def test_no_network_without_pinning(network_off):
    changed = 0
    for path in corpus_dockerfiles():
        text = path.read_bytes().decode("utf-8")
        try:
            out = fix(text, Options(registry="mirror.example.com"), None, path)
        except FixError:
            continue
        changed += out.changed
    assert network_off == []
    assert changed > 50  # the pipeline did run its transforms


def test_pinning_without_network_fails_cleanly(tmp_path, network_off):
    """A tag that cannot be resolved fails the file with the reason; nothing is pinned."""
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:bookworm-slim\nCMD [\"sh\"]\n")
    with pytest.raises(FixError) as err:
        fix(path.read_text(), Options(pin_digests=True, select=("PIN",)), tmp_path, path)
    assert err.value.line == 1 and "cannot pin 1 base image" in err.value.message and "registry-1.docker.io" in err.value.message


def test_terminal_output_shows_control_characters_as_escapes(tmp_path, capsys):
    """A file name that holds an escape sequence (or a bidirectional override) must not drive the
    terminal or the CI log that shows imgfix's findings and diff."""
    from fixer.integrations.cli import main

    evil = "x\x1b]0;owned\x07\u202e.pem"
    (tmp_path / evil).write_text("k")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine:3.20\nCOPY . /app\n")
    with pytest.raises(SystemExit):
        main(["--select", "DIG", str(dockerfile)])
    out, err = capsys.readouterr()
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
    assert "x\\x1b]0;owned\\x07\\u202e.pem" in err
    assert "\x1b" not in out.split("\n+", 1)[0]  # the diff's header lines
