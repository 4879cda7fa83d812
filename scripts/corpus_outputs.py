"""Runs the whole corpus (tests/data/corpus/real) through imgfix's JSON and SARIF outputs, so
that a refactoring can show it changed no behaviour.

    python scripts/corpus_outputs.py save DIR      # write the outputs into DIR
    python scripts/corpus_outputs.py compare DIR   # exit 1 and show what differs from DIR

Each Dockerfile is checked alone from a copy of the corpus (same relative paths every run),
by default and with --unsafe-fixes; nothing is written to the corpus.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "real"
RUNS = {
    "json": ["--format", "json"],
    "sarif": ["--format", "sarif"],
    "json-unsafe": ["--format", "json", "--unsafe-fixes"],
    "sarif-unsafe": ["--format", "sarif", "--unsafe-fixes"],
}


def outputs() -> dict[str, str]:
    """{run name: stdout} for the whole corpus in one process per run."""
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "corpus"
        shutil.copytree(CORPUS, work)
        names = sorted(p.name for p in work.iterdir() if p.is_file())
        for run, flags in RUNS.items():
            proc = subprocess.run(
                [sys.executable, "-m", "fixer", "fix", *flags, "--", *names],
                cwd=work, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            )
            if proc.returncode not in (0, 1, 2):  # 2: a file that cannot be fixed (one corpus file is rejected)
                sys.exit(f"{run}: exit {proc.returncode}\n{proc.stderr}")
            if not proc.stdout.strip():
                sys.exit(f"{run}: no output (exit {proc.returncode})\n{proc.stderr[-3000:]}")
            result[run] = f"exit {proc.returncode}\n{proc.stdout}".replace(work.as_uri(), "<corpus>")
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "compare"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    action, folder = argv[0], Path(argv[1])
    current = outputs()
    if action == "save":
        folder.mkdir(parents=True, exist_ok=True)
        for run, text in current.items():
            (folder / f"{run}.out").write_text(text)
        print(f"saved {len(current)} outputs in {folder}")
        return 0
    differ = 0
    for run, text in current.items():
        saved = (folder / f"{run}.out").read_text()
        if saved != text:
            differ += 1
            diff = list(difflib.unified_diff(saved.splitlines(True), text.splitlines(True), f"saved/{run}", f"now/{run}", n=1))
            sys.stdout.writelines(diff[:60] + ([f"... {len(diff) - 60} more diff lines\n"] if len(diff) > 60 else []))
    print(f"{len(current) - differ} of {len(current)} outputs identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
