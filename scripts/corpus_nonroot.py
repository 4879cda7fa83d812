"""How the non-root transform fares on the real-world corpus: a table for the README.

    python scripts/corpus_nonroot.py [--unsafe-fixes] [tests/data/corpus/real]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixer.analysis.stages import Analysis, is_root_user  # noqa: E402
from fixer.document.model import Document  # noqa: E402
from fixer.transforms.options import Options  # noqa: E402
from fixer.run.pipeline import FixError, fix  # noqa: E402


def runs_as_root(text: str) -> bool:
    stage = Analysis(Document(text)).final_stage
    _, user = stage.last_user
    user = user if user is not None else stage.root_image.facts.runs_as
    return user is None or is_root_user(user)


def main(corpus: Path, unsafe: bool = False) -> None:
    files = sorted(p for p in corpus.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")
    options = Options(select=("USR",), unsafe_fixes=unsafe)
    root_before = fixed = 0
    skipped: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as context:
        for path in files:
            text = path.read_text(encoding="utf-8")
            if not runs_as_root(text):
                continue
            root_before += 1
            try:
                outcome = fix(text, options, Path(context))
            except FixError as err:
                skipped.append((path.name, err.message))
                continue
            if not runs_as_root(outcome.fixed):
                fixed += 1
            else:
                reasons = [f.message for f in outcome.findings if f.code in ("USR003", "USR005", "USR007")]
                skipped.append((path.name, "; ".join(reasons) or "no reason given"))
    print(f"{len(files)} files, {root_before} run their final stage as root; "
          f"{fixed} of them ({fixed / max(root_before, 1):.0%}) now run as non-root.\n")
    print("| file | why it was left as root |\n|---|---|")
    for name, reason in skipped:
        print(f"| `{name}` | {reason.replace('|', '/')} |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--unsafe-fixes"]
    main(Path(args[0]) if args else ROOT / "tests" / "data" / "corpus" / "real", "--unsafe-fixes" in sys.argv)
