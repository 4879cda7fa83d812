"""The whole pipeline and the CLI under generated and hostile input.

Properties (hypothesis): for Dockerfiles generated from a grammar of instructions,
continuations, comments, heredocs and directives, and for mutations of the real corpus,
imgfix never crashes (a clean ``FixError`` with a line is fine), its output parses, a file it
does not change comes back byte for byte, and a second run changes nothing.
Bad input: each case through the CLI, in-process, checking the exit code and the message.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import corpus_dockerfiles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixer.document import parser as parser_mod
from fixer.document.model import Document
from fixer.integrations.cli import main
from fixer.run import files as files_mod
from fixer.run.pipeline import FixError, fix
from fixer.transforms.options import Options

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing here may touch the network (no digest pinning is requested)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def check_pipeline(text: str, context: Path | None = None) -> None:
    """The four properties for one input."""
    try:
        out = fix(text, Options(), context)
    except FixError as err:
        assert isinstance(err.line, int) and err.line >= 0 and err.message
        assert "internal error" not in err.message, err.message
        return
    if not out.changed:
        assert out.fixed == text  # lossless
        return
    Document(out.fixed)  # parses
    again = fix(out.fixed, Options(), context)
    assert again.fixed == out.fixed  # idempotent


# ----------------------------------------------------------------------------- grammar

IMAGES = ["debian:bookworm-slim", "python:3.11", "alpine:3.19", "node:20", "ubuntu:22.04", "scratch",
          "golang:1.22 AS build", "gcr.io/distroless/static-debian12", "nginx:1.25", "$BASE", "${BASE:-debian}"]
WORDS = st.sampled_from(["echo hi", "apt-get update", "apt-get install -y curl", "pip install flask",
                         "npm ci", "go build -o /app .", "mkdir -p /data", "adduser -D x", "useradd u",
                         "chmod 755 /app", "true", "cd /app", 'echo "a b"', "echo $HOME", "make"])


@st.composite
def run_instruction(draw, esc: str, nl: str) -> str:
    kind = draw(st.sampled_from(["simple", "continued", "comment-in-continuation", "heredoc", "exec", "mount"]))
    cmds = draw(st.lists(WORDS, min_size=1, max_size=4))
    if kind == "simple":
        return "RUN " + " && ".join(cmds) + nl
    if kind == "continued":
        return "RUN " + f" {esc}{nl}    && ".join(cmds) + nl
    if kind == "comment-in-continuation":
        return "RUN " + cmds[0] + f" {esc}{nl}# a comment{nl}{nl}    && " + " && ".join(cmds) + nl
    if kind == "heredoc":
        dash = draw(st.sampled_from(["", "-"]))
        quote = draw(st.sampled_from(["", "'", '"']))
        body = nl.join(("\t" if dash else "") + c for c in cmds)
        return f"RUN <<{dash}{quote}EOF{quote}{nl}{body}{nl}EOF{nl}"
    if kind == "exec":
        return 'RUN ["sh", "-c", "' + " && ".join(c.replace('"', "'") for c in cmds) + '"]' + nl
    return "RUN --mount=type=cache,target=/root/.cache " + " && ".join(cmds) + nl


@st.composite
def instruction(draw, esc: str, nl: str) -> str:
    kind = draw(st.sampled_from(["RUN", "RUN", "COPY", "ENV", "ARG", "WORKDIR", "USER", "EXPOSE", "CMD",
                                 "ENTRYPOINT", "comment", "blank", "LABEL", "VOLUME", "HEALTHCHECK", "ONBUILD"]))
    if kind == "RUN":
        return draw(run_instruction(esc, nl))
    return {
        "COPY": draw(st.sampled_from(["COPY . /app", "COPY --from=build /app /app", "COPY --chown=1:1 a b",
                                      "ADD https://example.com/x.tgz /x", "COPY <<EOF /etc/x" + nl + "data" + nl + "EOF"])),
        "ENV": draw(st.sampled_from(["ENV A=1 B=two", "ENV PATH=/app/bin:$PATH", "ENV X y"])),
        "ARG": draw(st.sampled_from(["ARG V=1", "ARG BASE=debian", "ARG TARGETARCH"])),
        "WORKDIR": "WORKDIR /app",
        "USER": draw(st.sampled_from(["USER root", "USER 1000", "USER node", "USER app:app", "USER 0"])),
        "EXPOSE": draw(st.sampled_from(["EXPOSE 80", "EXPOSE 8080/tcp", "EXPOSE 53/udp"])),
        "CMD": draw(st.sampled_from(['CMD ["python", "app.py"]', "CMD node server.js", 'CMD ["nginx", "-g", "daemon off;"]'])),
        "ENTRYPOINT": draw(st.sampled_from(['ENTRYPOINT ["gosu", "app", "run"]', 'ENTRYPOINT ["/entrypoint.sh"]', "ENTRYPOINT exec x"])),
        "comment": draw(st.sampled_from(["# a comment", "#", "   # indented", "# syntax=late"])),
        "blank": draw(st.sampled_from(["", "   "])),
        "LABEL": 'LABEL a="b c"',
        "VOLUME": draw(st.sampled_from(["VOLUME /data", 'VOLUME ["/var/lib/x"]'])),
        "HEALTHCHECK": "HEALTHCHECK CMD curl -f http://localhost/ || exit 1",
        "ONBUILD": "ONBUILD RUN echo hi",
    }[kind] + nl


@st.composite
def dockerfile(draw) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    escape = draw(st.sampled_from(["", "\\", "`"]))
    esc = escape or "\\"
    parts = []
    if draw(st.booleans()):
        parts.append("\ufeff")
    if draw(st.booleans()):
        parts.append("# syntax=docker/dockerfile:1" + nl)
    if escape:
        parts.append(f"# escape={escape}" + nl)
    if draw(st.booleans()):
        parts.append("ARG BASE=debian:bookworm" + nl)
    for _ in range(draw(st.integers(1, 3))):
        parts.append("FROM " + draw(st.sampled_from(IMAGES)) + nl)
        parts += draw(st.lists(instruction(esc, nl), max_size=8))
    text = "".join(parts)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no final newline
    return text


@SETTINGS
@given(dockerfile())
def test_generated_dockerfiles(text):
    check_pipeline(text)


# ----------------------------------------------------------------------------- corpus mutations

CORPUS = corpus_dockerfiles()


@st.composite
def mutated(draw) -> str:
    path = draw(st.sampled_from(CORPUS))
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "backslash", "truncate", "swap", "insert", "crlf", "heredoc"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "backslash":
            lines[i] = lines[i].rstrip("\r\n") + " \\\n"
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
            del lines[i + 1:]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"), max_size=30)) + "\n")
        elif op == "crlf":
            lines = [line.replace("\r\n", "\n").replace("\n", "\r\n") for line in lines]
        else:
            lines.insert(i, "RUN <<EOF\n")
    return "".join(lines)


@SETTINGS
@given(mutated())
def test_corpus_mutations(text):
    check_pipeline(text)


def test_whole_corpus_is_stable():
    for path in CORPUS:
        check_pipeline(path.read_bytes().decode("utf-8"))


# ----------------------------------------------------------------------------- bad input


def cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--no-color"] if args and args[0] != "verify" else list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return exc.value.code, out, err


GOOD = "FROM debian:bookworm-slim\nRUN echo hi\nCMD [\"sleep\", \"1\"]\n"


def test_empty_file(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text("")
    code, _, err = cli(capsys, str(tmp_path / "Dockerfile"))
    assert code == 2 and re.search(re.escape(str(tmp_path / "Dockerfile")) + r":[01]: (file with no instructions|no FROM)", err), err


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)), "is a binary file"),
    (b"FROM debian\nRUN echo \0hi\n", "is a binary file (it contains NUL bytes)"),
    (b"FROM debian\nRUN echo caf\xe9\n", "line 2: is not UTF-8 text (byte 0xe9)"),
])
def test_binary_nul_and_non_utf8(tmp_path, capsys, data, message):
    path = tmp_path / "Dockerfile"
    path.write_bytes(data)
    code, out, err = cli(capsys, "--write", str(path))
    assert code == 2 and f"{path}:0: " in err and message in err
    assert path.read_bytes() == data


def test_50_mb_file(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    filler = ("# " + "x" * 1021 + "\n") * (50 * 1024)
    path.write_text("FROM debian:bookworm-slim\n" + filler + "RUN echo hi\nCMD [\"sh\"]\n")
    assert path.stat().st_size > 50 * 1024 * 1024
    code, out, err = cli(capsys, "--check", "--select", "USR", str(path))
    assert code == 1, err  # it would add a non-root user
    assert "1 file would change" in err


def test_larger_than_the_limit_is_refused(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    with open(path, "wb") as fh:
        fh.truncate(files_mod.MAX_SIZE + 1)
    code, _, err = cli(capsys, str(path))
    assert code == 2 and "not a Dockerfile" in err


def test_thousands_of_continuation_lines(tmp_path, capsys):
    path = tmp_path / "Dockerfile"
    body = " \\\n".join(f"    && echo {i}" for i in range(5000))
    path.write_text(f"FROM debian:bookworm-slim\nRUN true \\\n{body}\nCMD [\"sh\"]\n")
    code, out, err = cli(capsys, "--write", "--select", "USR", str(path))
    assert code == 0, err
    text = path.read_text()
    assert "echo 4999\n" in text and "USER 10001:10001" in text
    assert fix(text, Options(select=("USR",))).changed is False


# ------------------------------------------------------------- long files (issue 16 §2)


def _timed_check(path: Path, bound: float) -> tuple[float, int, str]:
    """``imgfix --check PATH`` in its own process, stopped after ``bound`` seconds (the
    quadratic code took minutes on these files: the test fails at the bound, not later)."""
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "fixer", "--check", "--no-color", str(path)],
                              capture_output=True, text=True, timeout=bound, cwd=path.parent)
    except subprocess.TimeoutExpired:
        pytest.fail(f"imgfix took more than {bound} s on {path.stat().st_size:,} bytes: not linear")
    return time.perf_counter() - start, proc.returncode, proc.stderr


def test_20000_runs_finish_in_seconds(tmp_path):
    """20,000 one-line RUNs, installs among them (before: 8,000 RUNs took 21 s, growing as
    the square; about 4 s now on one core)."""
    lines = []
    for i in range(20_000):
        if i % 10 == 0:
            lines.append(f"RUN apt-get update && apt-get install -y pkg{i}\n")
        elif i % 10 == 5:
            lines.append(f"RUN pip install pkg{i}\n")
        else:
            lines.append(f"RUN echo {i}\n")
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:bookworm-slim\n" + "".join(lines) + 'CMD ["sleep", "1"]\n')
    elapsed, code, err = _timed_check(path, 20)
    assert code == 1, err[-2000:]
    assert "1 file would change" in err


def test_one_run_over_50000_continuation_lines_finishes_in_seconds(tmp_path):
    """One RUN continued over 50,000 lines (before: 50,000 lines did not finish in 10
    minutes; about 4 s now)."""
    body = "".join(f"    && echo {i} \\\n" for i in range(50_000))
    path = tmp_path / "Dockerfile"
    path.write_text(f"FROM debian:bookworm-slim\nRUN apt-get update \\\n{body}    && apt-get install -y curl\nCMD [\"sh\"]\n")
    elapsed, code, err = _timed_check(path, 20)
    assert code == 1, err[-2000:]
    assert "1 file would change" in err


_SPANS = r"spans [\d,]+ characters \(with its continuation lines and heredocs\): over imgfix's limit of 2,097,152; not processed"


@pytest.mark.parametrize("make, line, message", [
    (lambda: "FROM debian\nRUN echo " + "x" * parser_mod.MAX_LINE_LENGTH + "\n", 2,
     re.escape(f"a line of {parser_mod.MAX_LINE_LENGTH + 9:,} characters: over imgfix's limit of {parser_mod.MAX_LINE_LENGTH:,}; not processed")),
    (lambda: "FROM debian\n# a comment\nRUN true \\\n" + ("    && echo " + "y" * 1000 + " \\\n") * 2100 + "    && true\n", 3,
     "RUN " + _SPANS),
    (lambda: "FROM debian\nCOPY <<EOF /big\n" + ("z" * 999 + "\n") * 2100 + "EOF\n", 2, "COPY " + _SPANS),
    (lambda: "FROM debian\n" + "RUN true\n" * parser_mod.MAX_INSTRUCTIONS, parser_mod.MAX_INSTRUCTIONS + 1,
     re.escape(f"more than {parser_mod.MAX_INSTRUCTIONS:,} instructions: over imgfix's limit; not processed")),
], ids=["line", "continued-instruction", "heredoc", "instructions"])
def test_limits_fail_cleanly(tmp_path, capsys, make, line, message):
    """What is absurd for a Dockerfile is refused at once, as path:line: message, exit 2, and
    the file is left as it was."""
    path = tmp_path / "Dockerfile"
    text = make()
    path.write_text(text)
    start = time.perf_counter()
    code, out, err = cli(capsys, "--write", str(path))
    assert code == 2, err[-500:]
    assert re.search("^" + re.escape(f"{path}:{line}: ") + message + "$", err, re.M), err[-500:]
    assert out == "" and path.read_text() == text
    assert time.perf_counter() - start < 10


def test_limits_hold_for_the_input_not_for_its_rewrite(tmp_path, capsys, monkeypatch):
    """A file at the instruction limit is fixed even though the fix adds instructions."""
    monkeypatch.setattr(parser_mod, "MAX_INSTRUCTIONS", 3)
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)  # FROM, RUN, CMD: three instructions; the user adds two more
    code, _, err = cli(capsys, "--write", "--select", "USR", str(path))
    assert code == 0, err
    assert "USER 10001:10001" in path.read_text()
    path.write_text(GOOD + "EXPOSE 8080\n")
    code, _, err = cli(capsys, "--check", str(path))
    assert code == 2 and f"{path}:4: more than 3 instructions: over imgfix's limit; not processed" in err


def test_folder_named_dockerfile(tmp_path, capsys):
    (tmp_path / "Dockerfile").mkdir()
    (tmp_path / "Dockerfile" / "notes").write_text("x")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(GOOD)
    code, out, err = cli(capsys, "--check", "--select", "USR", str(tmp_path))
    assert code == 1 and "1 file would change, 0 unchanged" in err  # the folder is not a Dockerfile


def test_unreadable_file(tmp_path, capsys, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)
    if os.geteuid() == 0:  # root reads mode-000 files: simulate the refusal
        real = Path.read_bytes

        def read_bytes(self):
            if self == path:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    path.chmod(0)
    try:
        code, _, err = cli(capsys, "--write", str(path))
    finally:
        path.chmod(0o644)
    assert code == 2 and f"{path}:0: permission denied" in err
    assert path.read_text() == GOOD


def test_read_only_file_keeps_its_mode(tmp_path, capsys):
    """A read-only file in a writable folder is replaced like git does (rename), mode kept."""
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)
    path.chmod(0o444)
    code, _, err = cli(capsys, "--write", "--select", "USR", str(path))
    assert code == 0, err
    assert "USER 10001:10001" in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o444


def test_read_only_folder_is_a_clear_error(tmp_path, capsys, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)

    def mkstemp(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # files.py imports it when it writes
    code, _, err = cli(capsys, "--write", "--select", "USR", str(path))
    assert code == 2 and f"{path}:0: not written (Read-only file system); the file is unchanged" in err
    assert path.read_text() == GOOD


def test_symlink_loops(tmp_path, capsys):
    (tmp_path / "a.Dockerfile").symlink_to(tmp_path / "b.Dockerfile")
    (tmp_path / "b.Dockerfile").symlink_to(tmp_path / "a.Dockerfile")
    (tmp_path / "loop").symlink_to(tmp_path)  # a folder loop: never walked into
    (tmp_path / "Dockerfile").write_text(GOOD)
    code, out, err = cli(capsys, "--check", "--select", "USR", str(tmp_path))
    assert code == 2, err
    assert "a.Dockerfile:0:" in err and "b.Dockerfile:0:" in err
    assert "1 file would change" in err
    code, _, err = cli(capsys, str(tmp_path / "a.Dockerfile"))
    assert code == 2 and "a.Dockerfile:0:" in err


def test_symlink_out_of_the_tree_is_not_followed(tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text(GOOD)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Dockerfile").symlink_to(outside / "Dockerfile")
    code, _, err = cli(capsys, "--write", str(tree))
    assert code == 2 and "symlink points outside the tree; not followed" in err
    assert (outside / "Dockerfile").read_text() == GOOD


def test_disk_full_half_way_leaves_the_original_intact(tmp_path, capsys, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)
    real_fdopen = os.fdopen

    class HalfWay:
        """Writes half the text, then fails like a full disk."""

        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files_mod.os, "fdopen", lambda *a, **k: HalfWay(real_fdopen(*a, **k)))
    code, _, err = cli(capsys, "--write", "--select", "USR", str(path))
    assert code == 2
    assert f"{path}:0: not written (No space left on device); the file is unchanged" in err
    assert path.read_text() == GOOD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]  # no temporary file left


# ---------------------------------------------------------------------------- context file names

_name = st.builds(
    lambda stem, ext: stem + ext,
    st.text(alphabet="ab*?[]\\#! .-_é", min_size=1, max_size=8),
    st.sampled_from(["", ".pem", ".key", ".env", ".txt", "/id_rsa", "/.npmrc"]),
).filter(lambda n: all(part not in ("", ".", "..") for part in n.split("/")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_name, min_size=1, max_size=6, unique=True))
def test_any_file_names_in_the_context_give_a_valid_dockerignore(names):
    """Glob characters, ``#``, ``!``, blanks and non-ASCII in file names: no crash, the written
    file is valid for Docker, it excludes every secret it names, and a second run adds nothing."""
    import tempfile

    from fixer.document.ignorefile import Matcher

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in names:
            path = root / name
            if path.parent != root and path.parent.exists() and not path.parent.is_dir():
                return  # a file and a folder of the same name: not a context
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("TOKEN=x\n")
            except OSError:
                return
        (root / "Dockerfile").write_text("FROM alpine:3.20\nCOPY . /app\n")
        options = Options(select=("DIG",), context=root)
        outcome = fix("FROM alpine:3.20\nCOPY . /app\n", options, root, root / "Dockerfile")
        if not outcome.files:
            return
        (change,) = outcome.files
        after = Matcher.from_text(change.new)  # Docker would accept it (IgnoreError otherwise)
        for line in change.new.splitlines():
            if line and not line.startswith("#") and not line.startswith("!"):
                name = line.replace("\\", "") if "\\" in line else None
                if name is not None and (root / name).is_file():
                    assert after.excluded(name), line
        Path(change.path).write_text(change.new)
        again = fix("FROM alpine:3.20\nCOPY . /app\n", options, root, root / "Dockerfile")
        assert all(c.old == c.new for c in again.files), again.files
