from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"
# the real-world corpus and the parser and .dockerignore vectors, copied into the repository
# so that a fresh clone runs every test that needs no container engine (tests/data/README.md)
DATA = ROOT / "tests" / "data"
CORPUS_DIR = DATA / "corpus" / "real"
PARSER_VECTORS_DIR = DATA / "vectors" / "parser"
DOCKERIGNORE_VECTORS = DATA / "vectors" / "dockerignore-moby.json"
# the build environment (buildah/podman, local base images, a registry) stays outside
SHARED = Path(os.environ.get("IMGFIX_SHARED", ROOT.parent / "shared"))


def corpus_dockerfiles() -> list[Path]:
    """The 95 real Dockerfiles (MANIFEST.tsv and contexts/ describe them)."""
    return sorted(p for p in CORPUS_DIR.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")


def shared_path(*parts: str) -> Path:
    """A file of the build environment; the test is skipped, saying how to get it, without it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here: the build environment lies at ../shared beside the project root in CI (or set IMGFIX_SHARED)")
    return path


# CI runs each property test on the same generated examples every time (derandomize), so a
# submission is judged on its code, not on a lucky draw; run locally to explore new inputs:
# `pytest --hypothesis-seed=N` or with CI unset.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
