"""The command line as a user and CI meet it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixer.integrations.cli import main

ROOT_DF = "FROM debian:bookworm-slim\nRUN apt-get update\nCMD [\"bash\"]\n"


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--select", "USR"] if args and args[0] not in ("rules",) else list(args))
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_diff_by_default_changes_nothing(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text(ROOT_DF)
    code, out, err = run(capsys, str(tmp_path))
    assert code == 0
    assert out.startswith(f"--- {df}\n+++ {df}\n") and "+USER 10001:10001" in out
    assert "USR001" in err and "1 file would change" in err
    assert df.read_text() == ROOT_DF


def test_check_exits_1_and_write_then_check_exits_0(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text(ROOT_DF)
    df.chmod(0o640)
    assert run(capsys, "--check", str(df))[0] == 1
    assert run(capsys, "--write", str(df))[0] == 0
    assert "USER 10001:10001" in df.read_text()
    assert df.stat().st_mode & 0o777 == 0o640
    code, out, err = run(capsys, "--check", str(df))
    assert code == 0 and "0 files would change, 1 unchanged" in err
    assert not [p for p in tmp_path.iterdir() if p.name != "Dockerfile"]  # no temporary file left


def test_unchanged_file_is_not_touched(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\nUSER nobody\n")
    before = df.stat().st_mtime_ns
    time.sleep(0.01)
    assert run(capsys, "--write", str(df))[0] == 0
    assert df.stat().st_mtime_ns == before


def test_crlf_is_kept_in_diff_and_file(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_bytes(ROOT_DF.replace("\n", "\r\n").encode())
    code, out, _ = run(capsys, str(df))
    assert "+USER 10001:10001\r\n" in out
    run(capsys, "--write", str(df))
    data = df.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")


def test_errors_name_file_and_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    bad = tmp_path / "a" / "Dockerfile"
    bad.write_text("FROM a\nRUN <<EOF\necho\n")
    good = tmp_path / "Dockerfile"
    good.write_text(ROOT_DF)
    latin = tmp_path / "latin.Dockerfile"
    latin.write_bytes(b"FROM a\n# caf\xe9\n")
    binary = tmp_path / "bin.Dockerfile"
    binary.write_bytes(b"FROM a\n\x00\x01")
    code, out, err = run(capsys, "--write", str(tmp_path))
    assert code == 2
    assert f"{bad}:2: unterminated heredoc" in err
    assert f"{latin}:0: line 2: is not UTF-8 text" in err
    assert f"{binary}:0: is a binary file" in err
    assert "USER 10001" in good.read_text()  # the others are still processed
    assert bad.read_text() == "FROM a\nRUN <<EOF\necho\n"


def test_not_a_dockerfile(tmp_path, capsys):
    df = tmp_path / "Dockerfile"
    df.write_text("import os\nprint(os.getcwd())\n")
    code, _, err = run(capsys, str(df))
    assert code == 2 and f"{df}:1: unknown instruction: import" in err


def test_discovery_finds_dockerfile_names_and_skips_vendor_dirs(tmp_path, capsys):
    for rel in ("Dockerfile", "api.Dockerfile", "Dockerfile.prod", "svc/Containerfile", "x.dockerfile",
                "node_modules/pkg/Dockerfile", ".git/Dockerfile", "venv/Dockerfile", "notes.txt", "Dockerfile.dockerignore"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ROOT_DF)
    code, out, err = run(capsys, str(tmp_path))
    changed = sorted(l[4:] for l in out.splitlines() if l.startswith("--- "))
    names = sorted(str(tmp_path / r) for r in ("Dockerfile", "api.Dockerfile", "Dockerfile.prod", "svc/Containerfile", "x.dockerfile"))
    assert changed == names


def test_bad_option_values_are_refused(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(ROOT_DF)
    code, _, err = run(capsys, "--user", "x;id", str(tmp_path))
    assert code == 2 and "user name" in err
    code, _, err = run(capsys, "--uid", "0", str(tmp_path))
    assert code == 2 and "uid" in err


def test_rules_lists_codes(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "USR001" in out


def test_version_starts_fast():
    exe = Path(sys.executable).parent / "imgfix"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "fixer"]
    best = min(_timed(cmd + ["--version"]) for _ in range(3))
    assert best < 0.5  # the benchmark script measures it properly; this only guards a regression


def _timed(cmd) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert out.startswith("imgfix ")
    return time.perf_counter() - start


def test_example_runs(capsys):
    example = Path(__file__).resolve().parent.parent / "examples" / "flask-app"
    code, out, err = run(capsys, str(example))
    assert code == 0 and "+USER 10001:10001" in out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_dockerfiles_sharing_a_context_write_one_consistent_dockerignore(tmp_path, capsys, jobs):
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / ".env").write_text("TOKEN=x\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]\n")
    (tmp_path / "worker.Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app/\nCMD [\"python\", \"/app/app.py\"]\n")
    with pytest.raises(SystemExit) as exit_:
        main(["--write", "--jobs", jobs, str(tmp_path)])
    assert exit_.value.code == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["--check", str(tmp_path)])
    assert exit_.value.code == 0, capsys.readouterr()
    ignore = (tmp_path / ".dockerignore").read_text()
    assert ".env" in ignore


def test_a_continuation_at_the_end_of_the_file_is_a_clear_error(tmp_path, capsys):
    """BuildKit ends such an instruction at the end of the file; a line added after it would
    join it, so the file is refused instead of silently changing that RUN."""
    df = tmp_path / "Dockerfile"
    df.write_text("FROM debian:bookworm-slim\nRUN apt-get update && \\\n")
    code, _, err = run(capsys, "--write", str(df))
    assert code == 2 and f"{df}:2: RUN ends with a line continuation at the end of the file" in err
    assert df.read_text() == "FROM debian:bookworm-slim\nRUN apt-get update && \\\n"


def test_worker_processes_return_every_file_in_order(tmp_path):
    """--jobs keeps a few chunks in flight: every file comes back once, in the given order,
    and a file whose options cannot be made fails alone."""
    from fixer.transforms.options import Options
    from fixer.run.runner import fix_files

    paths = []
    for i in range(30):
        (tmp_path / f"d{i:02d}").mkdir()
        path = tmp_path / f"d{i:02d}" / "Dockerfile"
        path.write_text(f"FROM python:3.12-slim\nLABEL n={i}\n")
        paths.append(path)

    def options_for(path):
        if path.parent.name == "d07":
            raise ValueError("bad configuration")
        return Options(select=("USR",))

    results = list(fix_files(paths, options_for, jobs=2))
    assert [r.path for r in results] == paths
    assert [r.error is not None for r in results] == [p.parent.name == "d07" for p in paths]
    assert all(r.changed for r in results if r.error is None)


def test_walk_streams_files_and_errors_in_order_each_file_once(tmp_path):
    from fixer.run.files import FileError, walk

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text("FROM scratch\n")
    missing = tmp_path / "missing"
    items = list(walk([tmp_path, missing, tmp_path / "a" / "Dockerfile"]))
    assert items[:2] == [tmp_path / "a" / "Dockerfile", tmp_path / "b" / "Dockerfile"]
    assert isinstance(items[2], FileError) and items[2].path == missing
    assert len(items) == 3  # a/Dockerfile named twice, returned once
    stream = walk([tmp_path])
    assert next(stream) == tmp_path / "a" / "Dockerfile"  # found lazily, one at a time
