"""Single-stage builds on a full base image that stay unconverted, and why (docs/multistage.md).

    python scripts/corpus_multistage.py [--unsafe-fixes] [--list]

Reads tests/data/corpus/real (each file alone: no build context) and tests/projects (their own
build contexts), runs the multi-stage transform only, and counts each single-stage build whose
base is not already slim (no ``slim``, ``alpine``, ``distroless``, ``minimal``, ``busybox``,
``scratch`` in its name) by what happened: converted, held back (an unsafe conversion), or left
with its reason (MSB002, MSB003, MSB004, or nothing built).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixer.analysis.stages import Analysis  # noqa: E402
from fixer.run.pipeline import FixError, fix, parse_document  # noqa: E402
from fixer.transforms.options import Options  # noqa: E402

SLIM = re.compile(r"slim|alpine|distroless|minimal|micro|busybox|^scratch$|chainguard|wolfi")


def files() -> list[tuple[Path, Path | None]]:
    corpus = sorted(p for p in (ROOT / "tests" / "data" / "corpus" / "real").iterdir() if p.is_file())
    projects = sorted((ROOT / "tests" / "projects").glob("*/Dockerfile"))
    return [(p, None) for p in corpus] + [(p, p.parent) for p in projects]


def _reason(message: str) -> str:
    """The reason, with line numbers and names generalised, for grouping."""
    why = message.removeprefix("single-stage build left unchanged: ").removeprefix("single-stage build left as it is: ")
    why = re.sub(r"line \d+", "line N", why)
    return why[:140]


def main(argv: list[str]) -> None:
    unsafe = "--unsafe-fixes" in argv
    outcome: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    listing = []
    for path, context in files():
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            doc = parse_document(text)
        except FixError:
            continue
        analysis = Analysis(doc)
        if len(analysis.stages) != 1:
            continue
        base = analysis.stages[0].base or analysis.stages[0].base_text
        if SLIM.search(base):
            continue
        try:
            out = fix(text, Options(select=("MSB",), unsafe_fixes=unsafe, context=context), context, path if context else None)
        except FixError as err:
            outcome["error"] += 1
            listing.append((path.name, "error", err.message))
            continue
        findings = [f for f in out.findings if f.code.startswith("MSB")]
        converted = next((f for f in findings if f.code == "MSB001"), None)
        if converted is not None and converted.fixed:
            kind, why = "converted", ""
        elif converted is not None:
            kind, why = "held back (unsafe)", _reason(converted.message.split("held back: ", 1)[-1])
        elif findings:
            kind, why = findings[0].code, _reason(findings[0].message)
        else:
            kind, why = "nothing built", ""
        outcome[kind] += 1
        if why and kind != "converted":
            reasons[f"{kind}: {why}"] += 1
        listing.append((path.name if context is None else f"tests/projects/{path.parent.name}", kind, why))
    total = sum(outcome.values())
    print(f"single-stage builds on a full base: {total}")
    for kind, n in outcome.most_common():
        print(f"  {kind}: {n}")
    print("reasons left unconverted:")
    for why, n in reasons.most_common():
        print(f"  {n} x {why}")
    if "--list" in argv:
        for name, kind, why in listing:
            print(f"{kind:20} {name} {why}")


if __name__ == "__main__":
    main(sys.argv[1:])
