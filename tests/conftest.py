from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("IMGFIX_SHARED", ROOT.parent / "shared"))
GOLDEN = ROOT / "golden"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here: the shared test material lies beside the project root in CI")
    return path
