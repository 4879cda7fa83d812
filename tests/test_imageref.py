"""The shared image-reference model: parsing as Docker does, spelling-preserving rewrites,
and where a FROM's image is written (the FROM itself or a global ARG's default)."""

from __future__ import annotations

import pytest

from fixer.analysis import catalogue
from fixer.analysis.stages import Analysis
from fixer.document.model import Document
from fixer.document.imageref import (
    ImageRef,
    InvalidReference,
    join_reference,
    locate,
    split_reference,
    valid_mirror,
)


@pytest.mark.parametrize(
    "text, registry, path, tag, digest, familiar",
    [
        ("python", "docker.io", "library/python", None, None, "python"),
        ("python:3.11-slim", "docker.io", "library/python", "3.11-slim", None, "python"),
        ("docker.io/python:3", "docker.io", "library/python", "3", None, "python"),
        ("index.docker.io/library/python", "docker.io", "library/python", None, None, "python"),
        ("nginxinc/nginx-unprivileged:1.25", "docker.io", "nginxinc/nginx-unprivileged", "1.25", None, "nginxinc/nginx-unprivileged"),
        ("localhost:5000/app:dev", "localhost:5000", "app", "dev", None, "localhost:5000/app"),
        ("localhost/app", "localhost", "app", None, None, "localhost/app"),
        ("gcr.io/distroless/static:nonroot", "gcr.io", "distroless/static", "nonroot", None, "gcr.io/distroless/static"),
        ("[::1]:5000/x/y:1", "[::1]:5000", "x/y", "1", None, "[::1]:5000/x/y"),
        ("python:3@sha256:" + "a" * 64, "docker.io", "library/python", "3", "sha256:" + "a" * 64, "python"),
        ("python@sha256:" + "b" * 64, "docker.io", "library/python", None, "sha256:" + "b" * 64, "python"),
    ],
)
def test_parse(text, registry, path, tag, digest, familiar):
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.path, ref.tag, ref.digest, ref.familiar) == (registry, path, tag, digest, familiar)


@pytest.mark.parametrize("text", ["Python:3", "python:", "python:-x", "python@sha256:zz", "registry..com/x", "a//b", "UPPER.example/x:1:2", "python:3\n", "python\n"])
def test_invalid(text):
    with pytest.raises(InvalidReference):
        ImageRef.parse(text)


def test_spelling_is_kept():
    assert split_reference("docker.io/python:3.11@sha256:" + "c" * 64) == ("docker.io/python", "3.11", "sha256:" + "c" * 64)
    assert split_reference("localhost:5000/app") == ("localhost:5000/app", None, None)
    assert join_reference("docker.io/python", "3.11-slim", None) == "docker.io/python:3.11-slim"
    assert ImageRef.parse("python:3.11").key == "docker.io/library/python:3.11"


def test_mirrors():
    assert valid_mirror("registry.example.com/dockerhub") and valid_mirror("r.example.com:5000")
    assert not valid_mirror("notahost/x") and not valid_mirror("r.example.com/UPPER")
    mirrors = {"docker.io": "hub.mirror.test/dh", "ghcr.io": "hub.mirror.test/gh"}
    assert ImageRef.parse("hub.mirror.test/dh/library/nginx:1").unmirrored(mirrors) == ImageRef.parse("nginx:1")
    assert ImageRef.parse("hub.mirror.test/dh/nginx:1").unmirrored(mirrors) == ImageRef.parse("nginx:1")
    assert ImageRef.parse("hub.mirror.test/gh/o/app:2").unmirrored(mirrors) == ImageRef.parse("ghcr.io/o/app:2")
    assert ImageRef.parse("hub.mirror.test/gh/o/app:2").unmirrored() == ImageRef.parse("hub.mirror.test/gh/o/app:2")
    # not registered, but Docker Hub's library/ folder says what it mirrors
    assert ImageRef.parse("other.test/proxy/library/python:3").unmirrored() == ImageRef.parse("python:3")
    assert ImageRef.parse("other.test/team/app:1").unmirrored() == ImageRef.parse("other.test/team/app:1")
    # and the catalogue knows mirrored images by their source
    assert catalogue.lookup(ImageRef.parse("hub.mirror.test/dh/nginx:1.25"), mirrors).low_port == 80
    assert catalogue.lookup(ImageRef.parse("hub.mirror.test/dh/nginx:1.25")).low_port is None


def _site(text: str, stage: int = -1):
    doc = Document(text)
    analysis = Analysis(doc)
    return locate(analysis.stages[stage], analysis)


def test_locate_from_text_keeps_flags_and_name():
    site, why = _site("FROM --platform=$BUILDPLATFORM python:3.11 AS build\n")
    assert why == "" and site.kind == "from" and site.reference == "python:3.11"
    where, instr, (start, end), text = site.rewrite("python:3.11-slim")
    assert instr.text[start:end] == "python:3.11" and text == "python:3.11-slim"


def test_locate_whole_reference_from_an_arg():
    site, _ = _site('ARG BASE="python:3.11"\nFROM ${BASE} AS app\n')
    assert site.kind == "arg" and site.arg == "BASE" and site.reference == "python:3.11"
    where, instr, (start, end), text = site.rewrite("python:3.11-slim")
    assert where == "arg" and instr.text[start:end] == "python:3.11" and text == "python:3.11-slim"


def test_locate_tag_from_an_arg():
    site, _ = _site("ARG V=3.11\nFROM python:$V\n")
    assert site.reference == "python:3.11"
    # the tag changes: the ARG default is rewritten
    assert site.rewrite("python:3.11-slim")[3] == "3.11-slim"
    # the name changes, the ARG value stays: the FROM's literal text is rewritten
    where, _, _, text = site.rewrite("mirror.test/library/python:3.11")
    assert where == "from" and text == "mirror.test/library/python:$V"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("ARG B\nFROM $B\n", "has no default"),
        ("ARG A=python\nARG B=3\nFROM ${A}:${B}\n", "several ARGs"),
        ("ARG B=python:3\nFROM ${B:-python:3}\n", "several ARGs"),
        ("ARG B=python:3\nFROM $B\nARG B\nRUN echo $B\n", "also used inside stage"),
        ("ARG X=3\nARG B=python:$X\nFROM $B\n", "built from other variables"),
    ],
)
def test_locate_refuses(text, reason):
    site, why = _site(text, 0)
    assert site is None and reason in why


def test_an_arg_default_shared_by_two_froms_is_edited_once_and_never_two_ways():
    doc = Document("ARG BASE=python:3.11\nFROM ${BASE} AS a\nFROM ${BASE} AS b\n")
    analysis = Analysis(doc)
    first, _ = locate(analysis.stages[0], analysis)
    second, _ = locate(analysis.stages[1], analysis)
    claimed: dict = {}
    edit, where = first.edit(doc, "python:3.11-slim", claimed)
    assert edit is not None and where == "arg"
    assert second.edit(doc, "python:3.11-slim", claimed) == (None, "")  # the same change: made once
    edit, why = second.edit(doc, "python:3.12", claimed)
    assert edit is None and "feeds other FROMs" in why  # another change: refused, with the reason
