#!/usr/bin/env python3
"""Scaling: how imgfix's time grows with the size of one Dockerfile (issue 16 §2).

    python bench/scaling.py [--sizes 1000,4000,16000] [--shapes runs,continued,...]
                            [--timeout 120] [--rounds 1] [--imgfix COMMAND]

Generates Dockerfiles of several shapes at several sizes (``n`` is the number of
instructions, lines or words the shape repeats), runs ``imgfix FILE`` on each (the whole
pipeline, every transform that needs no network, the diff rendered to a pipe) in its own
process and prints the wall time per size, and the time per 1,000 units, as a Markdown table.
Linear cost shows as a flat time per 1,000; a quadratic part as a time per 1,000 that doubles
with the size. A run that takes longer than ``--timeout`` seconds is stopped and shown as
``> timeout``. Each file sits in a folder of its own (its build context: a small app).
Nothing is written outside a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent

HEAD = "FROM python:3.12\nWORKDIR /app\n"
TAIL = 'CMD ["python", "app.py"]\n'


def many_runs(n: int) -> str:
    """``n`` one-line RUNs: apt-get and pip installs (which the lean transform edits) and
    plain commands, in turn."""
    lines = []
    for i in range(n):
        if i % 3 == 0:
            lines.append(f"RUN apt-get update && apt-get install -y pkg{i}\n")
        elif i % 3 == 1:
            lines.append(f"RUN pip install pkg{i}\n")
        else:
            lines.append(f"RUN echo step {i} > /tmp/step{i}\n")
    return HEAD + "".join(lines) + TAIL


def continued(n: int) -> str:
    """One RUN continued over ``n`` lines (an apt-get install chain)."""
    body = "".join(f"    && apt-get install -y pkg{i} \\\n" for i in range(n))
    return HEAD + "RUN apt-get update \\\n" + body + "    && echo done\n" + TAIL


def stages(n: int) -> str:
    """``n`` stages, each copying from the one before."""
    parts = ["FROM python:3.12 AS s0\nRUN echo 0 > /s0\n"]
    for i in range(1, n):
        parts.append(f"FROM python:3.12 AS s{i}\nCOPY --from=s{i - 1} /s{i - 1} /s{i - 1}\nRUN echo {i} > /s{i}\n")
    return "".join(parts) + "WORKDIR /app\n" + TAIL


def copies(n: int) -> str:
    """``n`` COPY lines."""
    return HEAD + "".join(f"COPY src/file{i}.py /app/src/file{i}.py\n" for i in range(n)) + TAIL


def heredoc(n: int) -> str:
    """One RUN heredoc of ``n`` lines."""
    body = "".join(f"apt-get install -y pkg{i}\n" if i % 2 else f"echo line {i} >> /tmp/log\n" for i in range(n))
    return HEAD + "RUN <<EOF\nset -e\napt-get update\n" + body + "EOF\n" + TAIL


def env_arg(n: int) -> str:
    """``n`` ENV and ARG lines, alternating, each used by the next RUN."""
    parts = []
    for i in range(n):
        parts.append(f"ARG A{i}=v{i}\n" if i % 2 else f"ENV E{i}=v{i} P{i}=/opt/p{i}\n")
    return HEAD + "".join(parts) + "RUN echo $A1 $E0\n" + TAIL


def long_line(n: int) -> str:
    """One RUN on one line of ``n`` commands (about 22 characters each)."""
    return HEAD + "RUN apt-get update && " + " && ".join(f"apt-get install -y p{i}" if i % 2 else f"echo w{i} >> /tmp/log" for i in range(n)) + "\n" + TAIL


SHAPES = {
    "runs": (many_runs, "one-line RUNs"),
    "continued": (continued, "continuation lines of one RUN"),
    "stages": (stages, "stages (FROM, COPY --from, RUN)"),
    "copies": (copies, "COPY lines"),
    "heredoc": (heredoc, "lines of one RUN heredoc"),
    "env": (env_arg, "ENV/ARG lines"),
    "line": (long_line, "commands on one line (~22 chars each)"),
}


def imgfix_command() -> list[str]:
    exe = VENV_BIN / "imgfix"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "fixer"]


def project(folder: Path) -> None:
    (folder / "app.py").write_text("print('hi')\n")
    (folder / "requirements.txt").write_text("flask\n")
    src = folder / "src"
    src.mkdir()
    (src / "file0.py").write_text("x = 1\n")


def run_once(argv: list[str], timeout: float, cwd: Path) -> tuple[float | None, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    try:
        assert proc.stdout is not None
        deadline = t0 + timeout
        # drain the diff so it is really rendered and written
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise subprocess.TimeoutExpired(argv, timeout)
            if sel.select(left) and not proc.stdout.read1(1 << 16):
                break
        proc.wait(timeout=max(0.1, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None, -1
    return time.perf_counter() - t0, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,4000,16000")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--rounds", type=int, default=1, help="runs per file (median)")
    ap.add_argument("--imgfix", help="the command to run (default: this environment's imgfix), "
                    "e.g. 'env PYTHONPATH=/tmp/old python -m fixer' for another version")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = [s for s in args.shapes.split(",") if s]
    for s in shapes:
        if s not in SHAPES:
            sys.exit(f"scaling: unknown shape {s!r} (one of {', '.join(SHAPES)})")
    cmd = shlex.split(args.imgfix) if args.imgfix else imgfix_command()
    print(f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d', time.gmtime())}; `{' '.join(Path(c).name for c in cmd)} FILE`, "
          f"median of {args.rounds}, timeout {args.timeout:g} s\n")
    print("| shape | n | lines | bytes | wall time | per 1,000 | exit |")
    print("|---|---|---|---|---|---|---|")
    tmp = Path(tempfile.mkdtemp(prefix="imgfix-scaling-"))
    try:
        for shape in shapes:
            make, what = SHAPES[shape]
            for n in sizes:
                folder = tmp / f"{shape}-{n}"
                folder.mkdir()
                project(folder)
                text = make(n)
                dockerfile = folder / "Dockerfile"
                dockerfile.write_text(text)
                times, code = [], 0
                for _ in range(args.rounds):
                    wall, code = run_once([*cmd, "Dockerfile"], args.timeout, folder)
                    if wall is None:
                        times = []
                        break
                    times.append(wall)
                if times:
                    med = statistics.median(times)
                    shown, per = f"{med:.2f} s", f"{med / n * 1000:.2f} s"
                else:
                    shown, per, code = f"> {args.timeout:g} s", "", "timeout"
                print(f"| {shape} ({what}) | {n:,} | {text.count(chr(10)):,} | {len(text):,} | {shown} | {per} | {code} |",
                      flush=True)
                shutil.rmtree(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
