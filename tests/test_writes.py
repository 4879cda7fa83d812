"""--write is all or nothing across the files of a result (issue 16 §3).

A result here is two files: the Dockerfile (a non-root user is added) and its
``.dockerignore`` (written or completed). Each is made unwritable in turn by making the
rename (or the staging) of that one file fail: tests may run as root, where ``chmod`` does
not stop a write, so the file functions are patched. Whatever fails, both files keep their
old content, no temporary file is left, stderr names the file, the exit code is 2, and no
finding says ``[fixed]``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from fixer.integrations.cli import main
from fixer.run import files as files_mod

DOCKERFILE = 'FROM debian:bookworm-slim\nRUN echo hi\nCMD ["sleep", "1"]\n'
IGNORE = ".git\n"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--no-color"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return exc.value.code, out, err


def project(tmp_path: Path, ignore: str | None = IGNORE) -> tuple[Path, Path]:
    folder = tmp_path / "svc"
    folder.mkdir()
    dockerfile = folder / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    dockerignore = folder / ".dockerignore"
    if ignore is not None:
        dockerignore.write_text(ignore)
    return dockerfile, dockerignore


def fail_replace_onto(monkeypatch, target: Path) -> list[str]:
    """``os.replace`` fails (permission denied) for the first rename onto ``target``; the
    calls are recorded."""
    real = os.replace
    calls: list[str] = []
    state = {"failed": False}

    def replace(src, dst, *args, **kwargs):
        calls.append(os.fspath(dst))
        if os.fspath(dst) == str(target) and not state["failed"]:
            state["failed"] = True
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(files_mod.os, "replace", replace)
    return calls


def assert_untouched(dockerfile: Path, dockerignore: Path, ignore: str | None) -> None:
    assert dockerfile.read_text() == DOCKERFILE
    if ignore is None:
        assert not dockerignore.exists()
    else:
        assert dockerignore.read_text() == ignore
    left = sorted(p.name for p in dockerfile.parent.iterdir())
    assert left == sorted(["Dockerfile"] + ([".dockerignore"] if ignore is not None else [])), left


def test_both_files_are_written_when_nothing_fails(tmp_path, capsys):
    dockerfile, dockerignore = project(tmp_path)
    code, _, err = cli(capsys, "--write", str(dockerfile))
    assert code == 0, err
    assert "USER 10001:10001" in dockerfile.read_text()
    assert dockerignore.read_text().startswith(IGNORE) and len(dockerignore.read_text()) > len(IGNORE)
    assert "[fixed]" in err
    assert sorted(p.name for p in dockerfile.parent.iterdir()) == [".dockerignore", "Dockerfile"]


@pytest.mark.parametrize("ignore", [IGNORE, None], ids=["dockerignore-completed", "dockerignore-created"])
@pytest.mark.parametrize("failing", ["Dockerfile", ".dockerignore"])
def test_a_failed_rename_changes_no_file(tmp_path, capsys, monkeypatch, failing, ignore):
    dockerfile, dockerignore = project(tmp_path, ignore)
    target = dockerfile.parent / failing
    calls = fail_replace_onto(monkeypatch, target)
    code, _, err = cli(capsys, "--write", str(dockerfile))
    assert code == 2, err
    assert_untouched(dockerfile, dockerignore, ignore)
    assert f"{dockerfile}:0: not written (Permission denied: " in err
    failed_name = str(target) if os.path.relpath(target).startswith("..") else os.path.relpath(target)
    assert f"Permission denied: {failed_name}); none of its 2 files was changed" in err
    assert "[fixed]" not in err and "fixed (unsafe fix)" not in err
    assert "1 failed" in err and "changed" in err
    if failing == "Dockerfile":  # the .dockerignore was replaced first, then put back
        assert calls.count(str(dockerignore)) == 2 if ignore is not None else calls.count(str(dockerignore)) == 1


@pytest.mark.parametrize("failing", ["Dockerfile", ".dockerignore"])
def test_a_failed_staging_changes_no_file(tmp_path, capsys, monkeypatch, failing):
    """The temporary file of one of them cannot be made (a full disk, a read-only folder)."""
    dockerfile, dockerignore = project(tmp_path)
    real = tempfile.mkstemp

    def mkstemp(*args, prefix="", **kwargs):
        if prefix.startswith(f".{failing}.") and kwargs.get("suffix") == ".imgfix-tmp":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, prefix=prefix, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # files.py imports it when it writes
    code, _, err = cli(capsys, "--write", str(dockerfile))
    assert code == 2, err
    assert_untouched(dockerfile, dockerignore, IGNORE)
    assert "not written (No space left on device: " in err and failing in err.split("not written", 1)[1].split("\n")[0]
    assert "[fixed]" not in err


def test_without_hard_links_the_old_text_is_written_back(tmp_path, capsys, monkeypatch):
    """Where the folder cannot hold a hard link to the old file, its bytes are kept instead."""
    dockerfile, dockerignore = project(tmp_path)
    dockerignore.chmod(0o640)

    def no_link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(files_mod.os, "link", no_link)
    fail_replace_onto(monkeypatch, dockerfile)
    code, _, err = cli(capsys, "--write", str(dockerfile))
    assert code == 2, err
    assert_untouched(dockerfile, dockerignore, IGNORE)
    assert dockerignore.stat().st_mode & 0o777 == 0o640


def test_a_failed_result_is_not_fixed_in_the_json_report(tmp_path, capsys, monkeypatch):
    dockerfile, dockerignore = project(tmp_path)
    fail_replace_onto(monkeypatch, dockerfile)
    code, out, err = cli(capsys, "--write", "--format", "json", str(dockerfile))
    assert code == 2, err
    report = json.loads(out)
    (result,) = report["files"]
    assert result["status"] == "failed"
    assert result["findings"] and not any(f["fixed"] for f in result["findings"])
    assert report["summary"]["fixed"] == 0 and report["summary"]["failed"] == 1
    assert_untouched(dockerfile, dockerignore, IGNORE)


def test_other_files_are_still_written(tmp_path, capsys, monkeypatch):
    """One result failing leaves the others of the run alone: they are written."""
    dockerfile, dockerignore = project(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "Dockerfile").write_text(DOCKERFILE)
    fail_replace_onto(monkeypatch, dockerfile)
    code, _, err = cli(capsys, "--write", str(tmp_path))
    assert code == 2, err
    assert_untouched(dockerfile, dockerignore, IGNORE)
    assert "USER 10001:10001" in (other / "Dockerfile").read_text()
    assert (other / ".dockerignore").exists()
    assert "1 file changed" in err and "1 failed" in err


def test_modes_and_symlinks_are_kept(tmp_path, capsys):
    dockerfile, dockerignore = project(tmp_path)
    real = dockerfile.parent / "real.Dockerfile"
    dockerfile.rename(real)
    dockerfile.symlink_to("real.Dockerfile")
    real.chmod(0o600)
    dockerignore.chmod(0o640)
    code, _, err = cli(capsys, "--write", str(dockerfile))
    assert code == 0, err
    assert dockerfile.is_symlink() and os.readlink(dockerfile) == "real.Dockerfile"
    assert "USER 10001:10001" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o600
    assert dockerignore.stat().st_mode & 0o777 == 0o640
    assert not any(p.name.endswith((".imgfix-tmp", ".imgfix-old")) for p in dockerfile.parent.iterdir())


def test_symlink_target_is_restored_after_a_failure(tmp_path, capsys, monkeypatch):
    dockerfile, dockerignore = project(tmp_path)
    real = dockerfile.parent / "real.Dockerfile"
    dockerfile.rename(real)
    dockerfile.symlink_to("real.Dockerfile")
    real_ignore = dockerfile.parent / "ignore.real"
    dockerignore.rename(real_ignore)
    dockerignore.symlink_to("ignore.real")
    fail_replace_onto(monkeypatch, real)  # the rename onto the link's target fails
    code, _, err = cli(capsys, "--write", str(dockerfile))
    assert code == 2, err
    assert real.read_text() == DOCKERFILE and real_ignore.read_text() == IGNORE
    assert dockerfile.is_symlink() and dockerignore.is_symlink()
    assert sorted(p.name for p in dockerfile.parent.iterdir()) == [".dockerignore", "Dockerfile", "ignore.real", "real.Dockerfile"]


def test_write_all_restores_in_reverse_and_reports_the_file(tmp_path, monkeypatch):
    """The function itself: three files, the third fails; the first two are put back."""
    paths = [tmp_path / name for name in ("a", "b", "c")]
    for p in paths:
        p.write_text(f"old {p.name}\n")
    fail_replace_onto(monkeypatch, paths[2])
    with pytest.raises(files_mod.WriteError) as exc:
        files_mod.write_all([(p, f"new {p.name}\n") for p in paths])
    assert exc.value.path == paths[2] and exc.value.reason == "Permission denied"
    assert [p.read_text() for p in paths] == ["old a\n", "old b\n", "old c\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]
    files_mod.write_all([(p, f"new {p.name}\n") for p in paths])
    assert [p.read_text() for p in paths] == ["new a\n", "new b\n", "new c\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]


def test_init_writes_both_files_or_neither(tmp_path, capsys, monkeypatch):
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    fail_replace_onto(monkeypatch, tmp_path / ".dockerignore")
    with pytest.raises(SystemExit) as exc:
        main(["init", str(tmp_path)])
    out, err = capsys.readouterr()
    assert exc.value.code != 0 and "Traceback" not in err
    assert f"{tmp_path / '.dockerignore'}: not written (Permission denied); neither file was written" in err + out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py", "requirements.txt"]


def lock(folder):
    """Make ``folder`` a place where no entry can be created or renamed; returns the undo.
    chmod does not stop root (tests often run as root): there the folder is made immutable."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"as root a folder is read-only only when immutable, and chattr +i failed here: {made.stderr.strip()}")
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("read_only", ["dockerfile-folder", "context"])
def test_read_only_folders_in_turn(tmp_path, capsys, read_only):
    """The same with real permissions: the Dockerfile and its build context in two folders
    (--context), one of them read-only."""
    folder, context = tmp_path / "docker", tmp_path / "context"
    folder.mkdir()
    context.mkdir()
    dockerfile = folder / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    (context / ".dockerignore").write_text(IGNORE)
    locked = folder if read_only == "dockerfile-folder" else context
    unlock = lock(locked)
    try:
        code, _, err = cli(capsys, "--write", "--context", str(context), str(dockerfile))
    finally:
        unlock()
    assert code == 2, err
    assert "none of its 2 files was changed" in err and "[fixed]" not in err
    assert dockerfile.read_text() == DOCKERFILE and (context / ".dockerignore").read_text() == IGNORE
    assert sorted(p.name for p in folder.iterdir()) == ["Dockerfile"]
    assert sorted(p.name for p in context.iterdir()) == [".dockerignore"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can make a file immutable (chattr +i)")
@pytest.mark.parametrize("name", ["Dockerfile", ".dockerignore"])
def test_an_immutable_file_in_turn(tmp_path, capsys, name):
    """An immutable file (chattr +i) cannot be replaced, even by root: the other file of the
    result is not written either, and nothing is marked fixed."""
    dockerfile, dockerignore = project(tmp_path)
    target = dockerfile.parent / name
    made = subprocess.run(["chattr", "+i", str(target)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i failed here: {made.stderr.strip()}")
    try:
        code, _, err = cli(capsys, "--write", str(dockerfile))
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)
    assert code == 2, err
    assert "none of its 2 files was changed" in err and "[fixed]" not in err
    assert dockerfile.read_text() == DOCKERFILE and dockerignore.read_text() == IGNORE
    assert sorted(p.name for p in dockerfile.parent.iterdir()) == [".dockerignore", "Dockerfile"]


def test_a_side_file_alone_that_fails_is_named(tmp_path, capsys, monkeypatch):
    """Only the .dockerignore changes (the Dockerfile is already fixed): the error names it."""
    dockerfile, dockerignore = project(tmp_path)
    code, _, err = cli(capsys, "--write", "--select", "USR", str(dockerfile))
    assert code == 0, err
    fixed = dockerfile.read_text()
    fail_replace_onto(monkeypatch, dockerignore)
    code, _, err = cli(capsys, "--write", str(dockerfile))
    assert code == 2, err
    name = os.path.relpath(dockerignore) if not os.path.relpath(dockerignore).startswith("..") else str(dockerignore)
    assert f"{dockerfile}:0: not written (Permission denied: {name}); the file is unchanged" in err
    assert dockerfile.read_text() == fixed and dockerignore.read_text() == IGNORE
    assert "[fixed]" not in err
