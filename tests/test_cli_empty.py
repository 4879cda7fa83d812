"""A folder with no Dockerfile under it is said so on standard error, exit 0 (issue 22; ruff
does the same for a folder without Python files)."""

from __future__ import annotations

import json

import pytest

from fixer.integrations.cli import main
from fixer.run.files import walk

DF = 'FROM debian:bookworm-slim\nCMD ["bash"]\n'


def run(capsys, monkeypatch, cwd, *args) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "some" / "folder" / "deeper").mkdir(parents=True)
    (tmp_path / "some" / "folder" / "README.md").write_text("no Dockerfile here\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(DF)
    return tmp_path


@pytest.mark.parametrize("mode", [[], ["--check"], ["--write"], ["--diff"]])
def test_empty_folder_is_said_on_stderr_exit_0(tree, capsys, monkeypatch, mode):
    code, out, err = run(capsys, monkeypatch, tree, *mode, "some/folder")
    assert code == 0
    assert out == ""
    assert "no Dockerfile found under some/folder\n" in err
    assert err.endswith("0 unchanged.\n")  # the summary still ends the output


def test_json_stays_valid_and_the_note_goes_to_stderr(tree, capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, tree, "--format", "json", "some/folder")
    assert code == 0
    assert json.loads(out)["files"] == []
    assert "no Dockerfile found under some/folder" in err and "no Dockerfile" not in out


def test_json_with_check_and_sarif(tree, capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, tree, "--check", "--format", "json", "some/folder")
    assert code == 0 and json.loads(out)["files"] == [] and "no Dockerfile found under some/folder" in err
    code, out, err = run(capsys, monkeypatch, tree, "--format", "sarif", "some/folder")
    assert code == 0 and json.loads(out)["runs"][0]["results"] == [] and "no Dockerfile found under some/folder" in err


def test_only_the_empty_folder_is_named(tree, capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, tree, "--select", "USR", "-j", "2", "app", "some/folder", "app")
    assert code == 0
    assert err.count("no Dockerfile found") == 1 and "no Dockerfile found under some/folder" in err
    assert "app/Dockerfile" in out and "1 file would change" in err


def test_a_folder_with_a_dockerfile_says_nothing(tree, capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, tree, "--select", "USR", ".")
    assert code == 0 and "no Dockerfile found" not in err


def test_quiet_prints_only_errors(tree, capsys, monkeypatch):
    assert run(capsys, monkeypatch, tree, "-q", "some/folder") == (0, "", "")


def test_a_missing_path_is_an_error_not_an_empty_folder(tree, capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, tree, "missing")
    assert code == 2 and "no such file or folder" in err and "no Dockerfile found" not in err


def test_walk_reports_empty_folders_as_given(tree):
    empty: list = []
    found = list(walk([tree / "app", tree / "some/folder", tree / "app"], empty))
    assert found == [tree / "app" / "Dockerfile"]
    assert empty == [tree / "some/folder"]
    assert list(walk([tree / "some"])) == []  # the argument is optional
