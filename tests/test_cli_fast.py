"""The fix command read without typer (fixer.integrations.cli.FIX_OPTIONS) gives exactly the
values typer gives, and leaves to typer whatever it would treat otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixer.integrations import cli

ROOT = Path(__file__).resolve().parent.parent

LINES = [
    [],
    ["Dockerfile"],
    ["a/Dockerfile", "b", "--write"],
    ["--check", "-q", "--select", "USR,MSB", "--select", "DIG", "--ignore=LYR"],
    ["--user", "web", "--uid", "2000", "--gid=2001", "--chown", "--no-unsafe-fixes", "x"],
    ["--unsafe-fixes", "--no-chown", "--color", "--jobs", "0", "-j", "3", "--format", "json", "-o", "out.json"],
    ["--target", "build", "--target", "final", "--context", "ctx", "--config", "c.toml", "--changed-since", "origin/main"],
    ["--registry", "mirror.example/hub", "--registry-map", "ghcr.io=mirror.example/ghcr", "--pin-digests", "--offline"],
    ["--lock-file", "imgfix.lock", "--allow-distro-switch", "--templates", "t", "--diff", "--no-color", "--", "-odd-name"],
    ["--user", "--check"],  # a value that looks like an option is still the value, as in click
]


def _through_typer(args: list[str], monkeypatch) -> dict:
    seen = {}
    monkeypatch.setattr(cli, "_fix", lambda values: seen.update(values) or 0)
    with pytest.raises(SystemExit):
        cli._build_app()(args=["fix", *args], prog_name="imgfix")
    return seen


@pytest.mark.parametrize("args", LINES, ids=lambda a: " ".join(a) or "(none)")
def test_the_same_values_as_typer(args, monkeypatch):
    fast = cli._read_fix_options(args)
    assert fast is not None
    typer_values = _through_typer(args, monkeypatch)
    # typer gives an empty list where nothing was given to a repeatable option
    assert {k: v or None for k, v in fast.items()} == {k: v or None for k, v in typer_values.items()}


@pytest.mark.parametrize(
    "args",
    [["--help"], ["-h"], ["--bogus"], ["--uid", "ten"], ["--jobs"], ["--write=yes"], ["-qj2"], ["--jobs", "²"]],
)
def test_anything_else_goes_to_typer(args):
    assert cli._read_fix_options(args) is None


def test_a_plain_run_imports_neither_typer_nor_click(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\nCMD [\"true\"]\n")
    code = (
        "import sys; from fixer.integrations.cli import main\n"
        "try:\n    main(['--check', '-q', 'Dockerfile'])\n"
        "except SystemExit as e:\n    print(e.code, 'typer' in sys.modules, 'click' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.stdout.split() == ["1", "False", "False"], out.stderr


def test_usage_errors_are_typer_s(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--write", "--check", str(tmp_path)])
    assert exit_.value.code == 2
    assert "--write and --check exclude each other" in capsys.readouterr().err
