"""Writes docs/rules.md: every transform's documentation (its module docstring, as
``imgfix rules CODE`` prints it) and one heading per code, so that each code has a stable
anchor (``docs/rules.md#usr001``), the ``helpUri`` of its SARIF rule.

    python scripts/rules_doc.py           # write docs/rules.md
    python scripts/rules_doc.py --check   # exit 1 if docs/rules.md is not what it would write

tests/test_rules_doc.py checks that the file is current.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "rules.md"

# the longer documentation of each transform, beside its docstring
MORE = {
    "USR": ("README.md#non-root-user-usr", "README, Non-root user"),
    "LYR": ("lean.md", "docs/lean.md"),
    "MSB": ("multistage.md", "docs/multistage.md"),
    "SLM": ("images.md", "docs/images.md"),
    "REG": ("images.md", "docs/images.md"),
    "PIN": ("images.md", "docs/images.md"),
    "DIG": ("dockerignore.md", "docs/dockerignore.md"),
    "SEC": ("secrets.md", "docs/secrets.md"),
}
FIX = {
    "safe": "safe (applied by default)",
    "unsafe": "unsafe (applied only with `--unsafe-fixes`)",
    "none": "none (left to a person)",
}


def anchor(code: str) -> str:
    """The anchor of a code's heading, as GitHub makes it from ``### USR001``."""
    return code.lower()


def render() -> str:
    from fixer.transforms import all_transforms

    out = [
        "# Rules",
        "",
        "<!-- Written by scripts/rules_doc.py from each transform's docstring and CODES table; do not edit. -->",
        "",
        "Every code imgfix reports, by transform, with the transform's documentation (the same as",
        "`imgfix rules CODE` prints). Each code has its own heading: `docs/rules.md#usr001` is the",
        "`helpUri` of rule USR001 in imgfix's SARIF.",
        "",
    ]
    for t in all_transforms():
        out.append(f"- [{t.code}: {t.name}](#{t.code.lower()}-{t.name.lower()}): {t.summary}")
    out.append("")
    for t in all_transforms():
        module = sys.modules[type(t).__module__]
        doc = inspect.cleandoc(module.__doc__ or t.summary)
        rest = doc.partition("\n")[2]  # the first line repeats the summary
        out += [f"## {t.code} {t.name}", "", t.summary, ""]
        for code, (severity, title, fix) in module.CODES.items():
            out += [f"### {code}", "", f"{title}. Severity: {severity}; fix: {FIX.get(fix, fix)}.", ""]
        if rest.strip():
            # the docstring's own sections sit under the codes, one level down
            out += [f"### About {t.name}", "", re.sub(r"^## ", "#### ", rest.strip("\n"), flags=re.M), ""]
        if t.code in MORE:
            link, text = MORE[t.code]
            out += [f"More: [{text}]({'../' if link.startswith('README') else ''}{link}).", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        if DOC.exists() and DOC.read_text() == text:
            return 0
        print(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/rules_doc.py", file=sys.stderr)
        return 1
    if argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
