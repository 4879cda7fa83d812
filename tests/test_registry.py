"""Private registry rewrite: every external base image through the organisation's mirror."""

from __future__ import annotations

import pytest

from fixer.transforms.options import OptionError, Options
from fixer.run.pipeline import fix

MIRROR = "registry.example.com/dockerhub"


def rewrite(text: str, **kw):
    kw.setdefault("registry", MIRROR)
    out = fix(text, Options(select=("REG",), **kw))
    return out.fixed, [(f.line, f.code, f.fixed) for f in out.findings], out.findings


def test_docker_hub_images_keep_tag_digest_platform_and_name():
    digest = "sha256:" + "d" * 64
    text = (
        "FROM --platform=$BUILDPLATFORM python:3.11-slim AS build\n"
        "FROM build AS test\n"
        f"FROM docker.io/library/nginx:1.27@{digest} AS web\n"
        "FROM bitnami/redis\n"
        "FROM scratch\n"
        "COPY --from=build /x /x\n"
        "COPY --from=busybox:1.36 /bin/busybox /busybox\n"
    )
    fixed, findings, _ = rewrite(text)
    assert fixed == (
        f"FROM --platform=$BUILDPLATFORM {MIRROR}/library/python:3.11-slim AS build\n"
        "FROM build AS test\n"
        f"FROM {MIRROR}/library/nginx:1.27@{digest} AS web\n"
        f"FROM {MIRROR}/bitnami/redis\n"
        "FROM scratch\n"
        "COPY --from=build /x /x\n"
        f"COPY --from={MIRROR}/library/busybox:1.36 /bin/busybox /busybox\n"
    )
    assert findings == [(1, "REG001", True), (3, "REG001", True), (4, "REG001", True), (7, "REG001", True)]


def test_per_source_registries_and_unmapped_ones():
    text = "FROM ghcr.io/owner/app:1\nFROM quay.io/org/tool:2\nFROM mcr.microsoft.com/dotnet/aspnet:9.0\nFROM python:3\n"
    fixed, findings, _ = rewrite(text, registry=None, registry_map={"ghcr.io": "mirror.test/ghcr", "mcr.microsoft.com": "mirror.test:8443"})
    assert fixed == "FROM mirror.test/ghcr/owner/app:1\nFROM quay.io/org/tool:2\nFROM mirror.test:8443/dotnet/aspnet:9.0\nFROM python:3\n"
    assert findings == [(1, "REG001", True), (2, "REG002", False), (3, "REG001", True), (4, "REG002", False)]


def test_images_already_on_the_target_are_left_alone():
    text = f"FROM {MIRROR}/library/python:3.11\nFROM registry.example.com/team/base:1\n"
    fixed, findings, _ = rewrite(text)
    assert fixed == text and findings == []


def test_arg_built_froms():
    text = "ARG BASE=python:3.11\nARG V=22\nFROM ${BASE} AS a\nFROM node:${V}-slim AS b\nARG NOPE\nFROM $NOPE\n"
    fixed, findings, _ = rewrite(text)
    assert fixed == (
        f"ARG BASE={MIRROR}/library/python:3.11\nARG V=22\nFROM ${{BASE}} AS a\n"
        f"FROM {MIRROR}/library/node:${{V}}-slim AS b\nARG NOPE\nFROM $NOPE\n"
    )
    assert findings[-1][1] == "REG003"


def test_a_shared_arg_is_rewritten_once():
    text = "ARG BASE=python:3.11\nFROM $BASE AS a\nFROM $BASE AS b\n"
    fixed, _, _ = rewrite(text)
    assert fixed == f"ARG BASE={MIRROR}/library/python:3.11\nFROM $BASE AS a\nFROM $BASE AS b\n"


def test_nothing_without_a_mirror():
    text = "FROM python:3.11\n"
    assert fix(text, Options(select=("REG",))).fixed == text


@pytest.mark.parametrize(
    "kw",
    [{"registry": "no-dot/prefix"}, {"registry": "r.example.com:port/x"}, {"registry": "r.example.com/a\n"}, {"registry": "r.example.com\n"}, {"registry": "r.example.com/Upper"},
     {"registry_map": {"ghcr.io": "bad host/x"}}, {"registry_map": (("ghcr.io",),)}, {"registry": "r.example.com/a\nFROM evil"}],
)
def test_options_are_validated(kw):
    with pytest.raises(OptionError):
        Options(**kw)
