"""``--help`` works for the top level and every subcommand (issue 22: rich read the option help
``HOST[/PREFIX]`` as markup and ``imgfix fix --help`` crashed with a MarkupError)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
import typer

from fixer.integrations.cli import SUBCOMMANDS, _build_app, main


def _command_paths() -> list[tuple[str, ...]]:
    """Every command of the app, walked from click's tree, so a new subcommand is tested too."""
    paths: list[tuple[str, ...]] = []

    def walk(cmd: click.Command, path: tuple[str, ...]) -> None:
        paths.append(path)
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, path + (name,))

    walk(typer.main.get_command(_build_app()), ())
    return paths


PATHS = _command_paths()


def test_the_walk_finds_every_subcommand():
    assert {p[0] for p in PATHS if p} == set(SUBCOMMANDS)
    assert ("github", "review") in PATHS and ("github", "pull-request") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "imgfix")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(path, flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*path, flag])
    out, err = capsys.readouterr()
    assert exit_.value.code == 0, err
    assert "Usage: imgfix" in out and (not path or " ".join(path) in out)
    assert err == ""


def test_help_texts_are_printed_as_written(capsys):
    with pytest.raises(SystemExit):
        main(["fix", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # help is wrapped to the terminal's width
    assert "this registry: HOST[/PREFIX]." in out
    assert "SOURCE=HOST[/PREFIX]: mirror another registry" in out


def test_fix_help_from_the_installed_command_on_a_wide_terminal():
    """As a user runs it: a fresh process (rich, if it were used, would read the terminal)."""
    done = subprocess.run([sys.executable, "-m", "fixer", "fix", "--help"], capture_output=True, text=True,
                          env={"COLUMNS": "200", "TERM": "xterm-256color", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "--registry-map" in done.stdout and "HOST[/PREFIX]" in done.stdout
