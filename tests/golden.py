"""Golden cases: ``golden/<case>/`` holds ``Dockerfile`` (input), ``expected.Dockerfile``,
optionally ``options.toml`` (Options fields, e.g. ``select = ["USR"]``, ``uid = 2000``),
``context/`` (the build context; default: the case folder) and ``expected.dockerignore``
(the .dockerignore the build will use after the fix), and ``expected.findings`` (one
``line CODE fixed|open`` per finding).

Regenerate the expected files for review with ``python tests/golden.py [CASE...]``, then read
every changed line before committing it.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"
sys.path.insert(0, str(ROOT))

from fixer.transforms.options import Options  # noqa: E402
from fixer.run.pipeline import FixError, fix  # noqa: E402


def case_options(case: Path) -> Options:
    raw = {}
    if (case / "options.toml").exists():
        raw = tomllib.loads((case / "options.toml").read_text())
    for key in ("select", "ignore", "targets"):
        if key in raw:
            raw[key] = tuple(raw[key])
    context = case / "context" if (case / "context").is_dir() else case
    return Options(context=context, **raw)


def run_case(case: Path):
    """(fixed Dockerfile text, .dockerignore text or None, findings lines)."""
    text = (case / "Dockerfile").read_bytes().decode("utf-8")
    options = case_options(case)
    try:
        outcome = fix(text, options, options.context, case / "Dockerfile")
    except FixError as err:
        return text, None, [f"error {err.line} {err.message}"]
    ignore = None
    for change in outcome.files:
        if change.path.endswith(".dockerignore"):
            ignore = change.new
    if ignore is None:
        existing = Path(options.context) / ".dockerignore"
        if existing.is_file():
            ignore = existing.read_text()
    # "held": an unsafe fix held back (options.toml sets unsafe_fixes = true to apply it)
    findings = [f"{f.line} {f.code} {'fixed' if f.fixed else 'held' if f.held_back else 'open'}" for f in outcome.findings]
    return outcome.fixed, ignore, findings


def changed_files(case: Path) -> dict[str, str]:
    """Files of the build context other than the .dockerignore that the fix rewrites (a
    server's configuration whose port moves), by path in the context; expected in
    ``expected.files/<path>``."""
    text = (case / "Dockerfile").read_bytes().decode("utf-8")
    options = case_options(case)
    try:
        outcome = fix(text, options, options.context, case / "Dockerfile")
    except FixError:
        return {}
    root = Path(options.context).resolve()
    return {str(Path(c.path).relative_to(root)): c.new for c in outcome.files
            if not c.path.endswith(".dockerignore") and Path(c.path).is_relative_to(root)}


def cases() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir() if (p / "Dockerfile").is_file())


def regenerate(names: list[str]) -> None:
    for case in cases():
        if names and case.name not in names:
            continue
        fixed, ignore, findings = run_case(case)
        (case / "expected.Dockerfile").write_bytes(fixed.encode("utf-8"))
        if ignore is not None and (case / "context").is_dir():
            (case / "expected.dockerignore").write_text(ignore)
        (case / "expected.findings").write_text("".join(f"{f}\n" for f in findings))
        for rel, new in changed_files(case).items():
            target = case / "expected.files" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(new)
        print(f"regenerated {case.name}")


if __name__ == "__main__":
    regenerate(sys.argv[1:])
