"""Multi-stage conversions of single stages that create folders or use a relative WORKDIR
(issue 24)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixer.run.pipeline import fix
from fixer.transforms.options import Options

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
MSB = Options(select=("MSB",))


@pytest.fixture
def go_ctx(tmp_path: Path) -> Path:
    shutil.copytree(GOLDEN / "multistage-go" / "context", tmp_path / "ctx")
    return tmp_path / "ctx"


def convert(ctx: Path, text: str):
    (ctx / "Dockerfile").write_text(text)
    return fix(text, Options(select=("MSB",), context=ctx), ctx, ctx / "Dockerfile")


GO = """FROM golang:1.22
{mkdir}WORKDIR {workdir}
COPY . .
RUN go build -o /out/hello .
ENTRYPOINT ["/out/hello"]
"""


def runtime(text: str) -> str:
    return text.split("\nFROM ", 2)[-1]


def test_mkdir_of_the_app_folder_needs_nothing_on_distroless(go_ctx):
    out = convert(go_ctx, GO.format(mkdir="RUN mkdir /app\n", workdir="/app")).fixed
    assert "distroless" in out
    assert "RUN" not in runtime(out) and "WORKDIR /app" in runtime(out)


def test_mkdir_of_other_folders_is_copied_from_the_builder(go_ctx):
    out = convert(go_ctx, GO.format(mkdir="RUN mkdir -p /data/cache && mkdir /logs\n", workdir="/app")).fixed
    assert "COPY --from=builder /data/cache /data/cache\nCOPY --from=builder /logs /logs\n" in runtime(out)


def test_relative_mkdir_resolves_against_the_workdir(go_ctx):
    text = "FROM golang:1.22\nWORKDIR /app\nRUN mkdir data\nCOPY . .\nRUN go build -o /out/hello .\nENTRYPOINT [\"/out/hello\"]\n"
    assert "COPY --from=builder /app/data /app/data" in runtime(convert(go_ctx, text).fixed)


@pytest.mark.parametrize("mkdir", ["RUN mkdir -m 700 /secret\n", "RUN mkdir $DIR\n", "RUN mkdir /a && chmod 777 /a\n"])
def test_other_folder_setup_still_needs_a_shell(go_ctx, mkdir):
    out = convert(go_ctx, GO.format(mkdir=mkdir, workdir="/app"))
    assert "distroless" not in out.fixed
    assert any("no shell" in f.message for f in out.findings)


def test_relative_workdir_on_golang_resolves_against_go(go_ctx):
    out = convert(go_ctx, GO.format(mkdir="", workdir="src")).fixed
    assert "WORKDIR src\n" in out.split("\nFROM ")[0]  # the builder: as written (same image)
    assert "WORKDIR /go/src\n" in runtime(out)


def test_relative_workdir_after_another_one(go_ctx):
    text = GO.format(mkdir="WORKDIR /srv\n", workdir="app")
    assert "WORKDIR /srv/app\n" in runtime(convert(go_ctx, text).fixed)


def test_relative_workdir_on_an_unknown_image_is_refused(go_ctx):
    out = convert(go_ctx, GO.format(mkdir="", workdir="src").replace("golang:1.22", "example.com/acme/golang-custom:1"))
    assert "FROM example.com/acme/golang-custom:1\n" in out.fixed and "distroless" not in out.fixed
