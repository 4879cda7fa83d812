"""Configuration files: discovery, validation naming key and file, overrides, precedence; --changed-since."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fixer.integrations.cli import main
from fixer.run.config import ConfigError, Resolver, find, load

ROOT = 'FROM python:3.11-slim\nRUN pip install flask\nCMD ["python", "app.py"]\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_find_walks_up_and_skips_pyproject_without_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.imgfix]\nuser = 'top'\n")
    write(tmp_path / "svc" / "pyproject.toml", "[project]\nname = 'x'\n")
    deep = write(tmp_path / "svc" / "api" / "Dockerfile", ROOT)
    assert find(deep.parent) == tmp_path / "pyproject.toml"
    write(tmp_path / "svc" / ".imgfix.toml", "user = 'svc'\n")
    assert find(deep.parent) == tmp_path / "svc" / ".imgfix.toml"
    assert Resolver({})(deep).user == "svc"


def test_values_are_typed_and_paths_relative_to_the_file(tmp_path):
    cfg = load(write(tmp_path / ".imgfix.toml", "user = 'web'\nuid = 2000\nchown = true\nselect = ['usr']\ncontext = 'ctx'\n"))
    assert cfg.settings == {"user": "web", "uid": 2000, "chown": True, "select": ("USR",), "context": tmp_path / "ctx"}


@pytest.mark.parametrize(
    "text, key",
    [
        ("usr = 'web'\n", "usr"),
        ("uid = 'ten'\n", "uid"),
        ("uid = 0\n", "uid"),
        ("user = 'Root Admin'\n", "user"),
        ("chown = 'yes'\n", "chown"),
        ("select = 'USR'\n", "select"),
        ("[[overrides]]\npaths = ['a/*']\nbogus = 1\n", "overrides[0].bogus"),
        ("[[overrides]]\nuser = 'x'\n", "overrides[0].paths"),
    ],
)
def test_bad_keys_and_values_name_the_key_and_the_file(tmp_path, text, key):
    path = write(tmp_path / ".imgfix.toml", text)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_pyproject_errors_name_the_table(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[tool.imgfix]\ngid = -1\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.imgfix.gid: gid -1"):
        load(path)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path / ".imgfix.toml", "user = \n"))


def test_overrides_apply_in_order_to_matching_paths(tmp_path):
    write(tmp_path / ".imgfix.toml", "user = 'web'\n"
          "[[overrides]]\npaths = ['legacy/']\nuser = 'old'\nuid = 3000\n"
          "[[overrides]]\npaths = ['legacy/batch/*']\nuid = 4000\n")
    resolve = Resolver({})
    assert resolve(write(tmp_path / "svc" / "Dockerfile", ROOT)).user == "web"
    legacy = resolve(write(tmp_path / "legacy" / "Dockerfile", ROOT))
    assert (legacy.user, legacy.uid) == ("old", 3000)
    batch = resolve(write(tmp_path / "legacy" / "batch" / "Dockerfile", ROOT))
    assert (batch.user, batch.uid) == ("old", 4000)


def test_command_line_wins(tmp_path):
    write(tmp_path / ".imgfix.toml", "user = 'web'\nuid = 2000\n")
    o = Resolver({"uid": 5000})(write(tmp_path / "Dockerfile", ROOT))
    assert (o.user, o.uid) == ("web", 5000)


def test_cli_uses_the_configuration_and_its_own_options_win(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".imgfix.toml", "user = 'web'\nselect = ['USR']\n")
    write(tmp_path / "Dockerfile", ROOT)
    code, out, _ = run_cli(["Dockerfile"], capsys)
    assert code == 0 and "useradd" in out and "nologin web " in out
    code, out, _ = run_cli(["Dockerfile", "--user", "svc"], capsys)
    assert "nologin svc " in out and "nologin web " not in out
    write(tmp_path / "conf" / "pyproject.toml", "[tool.imgfix]\nuser = 'alt'\nselect = ['USR']\n")
    code, out, _ = run_cli(["Dockerfile", "--config", str(tmp_path / "conf" / "pyproject.toml")], capsys)
    assert "nologin alt " in out


def test_cli_reports_a_bad_configuration(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad" / ".imgfix.toml", "uid = 'x'\n")
    write(tmp_path / "bad" / "Dockerfile", ROOT)
    write(tmp_path / "good" / "Dockerfile", "FROM debian:12\nUSER 1000\n")
    code, _, err = run_cli(["--select", "USR", "bad", "good"], capsys)
    assert code == 2 and ".imgfix.toml: uid: expected a whole number" in err
    code, _, err = run_cli(["--config", str(tmp_path / "bad" / ".imgfix.toml"), "good"], capsys)
    assert code == 2 and "uid" in err


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo, check=True,
                   capture_output=True)


def test_changed_since_only_reports_changed_dockerfiles(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "repo"
    write(repo / "a" / "Dockerfile", ROOT)
    write(repo / "b" / "Dockerfile", ROOT)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    write(repo / "b" / "Dockerfile", ROOT.replace("flask", "django"))
    git(repo, "commit", "-qam", "change b")
    write(repo / "c" / "Dockerfile", ROOT)  # untracked: new in the pull request too
    monkeypatch.chdir(repo)
    code, out, _ = run_cli(["--select", "USR", "--format", "json", "--changed-since", "main", "."], capsys)
    assert [f["path"] for f in json.loads(out)["files"]] == ["b/Dockerfile", "c/Dockerfile"]
    code, out, err = run_cli(["--changed-since", "no-such-branch", "."], capsys)
    assert code == 2 and "no such commit" in err
    code, out, err = run_cli(["--changed-since", "--output=x", "."], capsys)
    assert code == 2


def test_output_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Dockerfile", ROOT)
    code, out, _ = run_cli(["--select", "USR", "--check", "--format", "sarif", "--output", "r.sarif", "Dockerfile"], capsys)
    assert code == 1 and out == ""
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    code, _, _ = run_cli(["--format", "xml", "Dockerfile"], capsys)
    assert code == 2
