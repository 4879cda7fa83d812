"""Which Dockerfile parser agrees with BuildKit? The measurement behind the README's design.

    python scripts/compare_parsers.py [tests/data/vectors/parser]

For every vector BuildKit accepts, a parser agrees when it finds the same instructions with
the same start and end lines and the same heredoc bodies; where BuildKit rejects the file,
when it rejects it too. (dockerfile-parse comes with the test extra.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def imgfix(text: str):
    from fixer.document.parser import parse

    return [(i.start_line, i.end_line, i.cmd, [h.content for h in (i.sub or i).heredocs]) for i in parse(text).instructions]


def e2b(text: str):
    from e2b_dockerfile_utils import parse_dockerfile_ast

    return [(i.start_line, i.end_line, i.name.upper(), [h.content for h in i.heredocs]) for i in parse_dockerfile_ast(text).instructions]


def dockerfile_parse(text: str):
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(fileobj=__import__("io").BytesIO(text.encode("utf-8", "surrogateescape")))
    return [
        (s["startline"] + 1, s["endline"] + 1, s["instruction"].upper(), [])
        for s in parser.structure
        if s["instruction"] != "COMMENT"
    ]


def main(vectors: Path) -> None:
    expected = json.loads((vectors / "buildkit-parse.json").read_text())
    for name, parse in (("imgfix", imgfix), ("e2b-dockerfile-utils", e2b), ("dockerfile-parse", dockerfile_parse)):
        wrong = []
        for case, want in expected.items():
            text = _text(vectors / f"{case}.Dockerfile")
            try:
                got = parse(text)
            except Exception as err:  # noqa: BLE001 - a parser's rejection is an answer
                if "error" not in want:
                    wrong.append(f"{case} (rejected: {str(err)[:50]})")
                continue
            if "error" in want:
                wrong.append(f"{case} (accepted)")
                continue
            bodies = name != "dockerfile-parse"  # it has no heredoc bodies to compare
            ours = [(s, e, c.upper(), h if bodies else []) for s, e, c, h in got]
            theirs = [
                (c["Start"], c["End"], c["Cmd"].upper(), [h["Content"] for h in c["Heredocs"] or []] if bodies else [])
                for c in want["cmds"]
            ]
            if ours != theirs:
                wrong.append(case)
        print(f"{name}: {len(expected) - len(wrong)} of {len(expected)} agree" + (f"; wrong: {', '.join(wrong)}" if wrong else ""))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "vectors" / "parser")
