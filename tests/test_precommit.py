"""The pre-commit hooks: their file patterns, their entry points on a temporary git repo, and
(when pre-commit and PyPI are reachable) ``pre-commit try-repo`` end to end."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fixer.run.files import is_dockerfile_name

REPO = Path(__file__).resolve().parent.parent
HOOKS = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
IMGFIX = Path(sys.executable).parent / "imgfix"
ROOT = 'FROM python:3.11-slim\nRUN pip install flask\nCMD ["python", "app.py"]\n'


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "proj"
    r.mkdir()
    (r / "Dockerfile").write_text(ROOT)
    (r / "svc").mkdir()
    (r / "svc" / "api.Dockerfile").write_text("FROM debian:12\nUSER 1000\n")
    (r / ".imgfix.toml").write_text("select = ['USR']\n")
    git(r, "init", "-q")
    git(r, "add", "-A")
    return r


def test_hooks_are_declared():
    assert set(HOOKS) == {"imgfix", "imgfix-check"}
    for hook in HOOKS.values():
        assert hook["language"] == "python" and hook["entry"].split()[0] == "imgfix"


@pytest.mark.parametrize(
    "name",
    ["Dockerfile", "Containerfile", "Dockerfile.prod", "api.Dockerfile", "web.dockerfile", "Containerfile.arm",
     "Dockerfile.dockerignore", "README.md", "Dockerfile.md", "Dockerfile.orig", "Dockerfile~", "docker-compose.yml",
     "notDockerfile", "Dockerfile.bak"],
)
def test_file_patterns_agree_with_discovery(name):
    for hook in HOOKS.values():
        for path in (name, f"deploy/{name}"):
            selected = bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)
            assert selected == is_dockerfile_name(name), (hook["id"], path)


def run_entry(hook_id: str, repo: Path, files: list[str]) -> subprocess.CompletedProcess:
    """What pre-commit runs: the entry, then the staged file names."""
    args = shlex.split(HOOKS[hook_id]["entry"])
    args[0] = str(IMGFIX)
    return subprocess.run([*args, *files], cwd=repo, capture_output=True, text=True, timeout=120)


def test_check_hook_entry(repo):
    done = run_entry("imgfix-check", repo, ["Dockerfile", "svc/api.Dockerfile"])
    assert done.returncode == 1, done.stderr
    assert "Dockerfile:1: USR001" in done.stderr
    assert (repo / "Dockerfile").read_text() == ROOT  # a check changes nothing
    assert run_entry("imgfix-check", repo, ["svc/api.Dockerfile"]).returncode == 0


def test_fix_hook_entry(repo):
    done = run_entry("imgfix", repo, ["Dockerfile"])
    assert done.returncode == 0, done.stderr
    assert "USER 10001:10001" in (repo / "Dockerfile").read_text()  # pre-commit fails the commit: file modified
    assert run_entry("imgfix-check", repo, ["Dockerfile"]).returncode == 0


def _hook_repo(tmp_path: Path) -> Path:
    """A git repository holding this project as it is now (uncommitted work included)."""
    hooks = tmp_path / "hooks"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("fixer", "templates"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, hooks / name, ignore=ignore)
    for name in ("pyproject.toml", ".pre-commit-hooks.yaml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, hooks / name)
    git(hooks, "init", "-q")
    git(hooks, "add", "-A")
    git(hooks, "commit", "-qm", "hooks")
    return hooks


@pytest.mark.skipif(shutil.which("pre-commit", path=str(Path(sys.executable).parent)) is None, reason="pre-commit is not installed")
def test_pre_commit_try_repo(repo, tmp_path):
    hooks = _hook_repo(tmp_path)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"))
    pre_commit = str(Path(sys.executable).parent / "pre-commit")
    done = subprocess.run([pre_commit, "try-repo", str(hooks), "imgfix-check", "--files", "Dockerfile", "svc/api.Dockerfile"],
                          cwd=repo, capture_output=True, text=True, timeout=600, env=env)
    if "Installing environment" in done.stdout and ("Could not find a version" in done.stdout or "NewConnectionError" in done.stdout):
        pytest.skip("pre-commit could not install the hook environment (no package index): " + done.stdout[-500:])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "imgfix (check Dockerfiles)" in done.stdout and "Failed" in done.stdout
    assert "Dockerfile:1: USR001" in done.stdout
    done = subprocess.run([pre_commit, "try-repo", str(hooks), "imgfix", "--files", "Dockerfile"],
                          cwd=repo, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 1 and "files were modified by this hook" in done.stdout, done.stdout
    assert "USER 10001:10001" in (repo / "Dockerfile").read_text()
    done = subprocess.run([pre_commit, "try-repo", str(hooks), "imgfix-check", "--files", "Dockerfile"],
                          cwd=repo, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0 and "Passed" in done.stdout, done.stdout
