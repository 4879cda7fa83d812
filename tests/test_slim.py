"""Slim bases: swaps that keep the build working, refusals that say why, and shell usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixer.analysis import catalogue
from fixer.document.model import Document
from fixer.document.imageref import ImageRef
from fixer.transforms.options import Options
from fixer.run.pipeline import fix
from fixer.analysis.shellusage import package_name, stage_usage


def slim(text: str, tmp_path: Path, files: dict[str, str] | None = None, **kw):
    for name, content in (files or {}).items():
        (tmp_path / name).write_text(content)
    out = fix(text, Options(select=("SLM",), context=tmp_path, **kw), tmp_path)
    return out.fixed, [(f.line, f.code, f.fixed) for f in out.findings], out.findings


@pytest.mark.parametrize(
    "before, after",
    [
        ("python:3.11", "python:3.11-slim"),
        ("python:3.11.9", "python:3.11.9-slim"),
        ("python:3.11-bookworm", "python:3.11-slim-bookworm"),
        ("node:22", "node:22-slim"),
        ("node:22-bookworm", "node:22-bookworm-slim"),
        ("node:lts", "node:lts-slim"),
        ("debian:bookworm", "debian:bookworm-slim"),
        ("debian:12", "debian:12-slim"),
        ("ruby:3.3", "ruby:3.3-slim"),
        ("ruby:3.3-bookworm", "ruby:3.3-slim-bookworm"),
        ("openjdk:17", "eclipse-temurin:17-jre"),
        ("openjdk:11-jdk-slim", "eclipse-temurin:11-jre"),
        ("eclipse-temurin:21-jdk-jammy", "eclipse-temurin:21-jre-jammy"),
        ("docker.io/library/python:3.12", "docker.io/library/python:3.12-slim"),
    ],
)
def test_swaps(before, after, tmp_path):
    fixed, findings, _ = slim(f"FROM {before} AS app\nCMD [\"run\"]\n", tmp_path)
    assert fixed == f"FROM {after} AS app\nCMD [\"run\"]\n"
    assert (1, "SLM001", True) in findings


@pytest.mark.parametrize(
    "image",
    ["python:3.11-slim", "python:3.11-alpine", "node:22-slim", "node:lts-slim", "golang:1.25", "rust:1", "nginx:1.27",
     "ubuntu:24.04", "gcr.io/distroless/static:nonroot", "scratch", "php:8.3-apache", "eclipse-temurin:21-jre", "mcr.microsoft.com/dotnet/aspnet:9.0"],
)
def test_left_alone(image, tmp_path):
    text = f"FROM {image}\nCMD [\"run\"]\n"
    fixed, findings, _ = slim(text, tmp_path)
    assert fixed == text
    assert not [f for f in findings if f[1] == "SLM001"]


def test_arg_default_is_rewritten_not_the_from(tmp_path):
    text = "ARG PY=3.11\nFROM --platform=$TARGETPLATFORM python:${PY} AS final\nCMD [\"python\"]\n"
    fixed, _, findings = slim(text, tmp_path)
    assert fixed == "ARG PY=3.11-slim\nFROM --platform=$TARGETPLATFORM python:${PY} AS final\nCMD [\"python\"]\n"
    assert "ARG PY on line 1" in findings[0].message


def test_only_the_stages_that_are_shipped(tmp_path):
    text = "FROM python:3.11 AS build\nRUN gcc -o /x x.c\nFROM python:3.11\nCOPY --from=build /x /x\n"
    fixed, findings, _ = slim(text, tmp_path)
    assert fixed == "FROM python:3.11 AS build\nRUN gcc -o /x x.c\nFROM python:3.11-slim\nCOPY --from=build /x /x\n"
    # --target: that stage is shipped too, and it compiles, so it says why it stays
    fixed, findings, _ = slim(text, tmp_path, targets=("build",))
    assert fixed.startswith("FROM python:3.11 AS build\n") and (1, "SLM002", False) in findings


def test_a_shared_base_is_checked_for_every_stage_built_on_it(tmp_path):
    text = "FROM python:3.11 AS base\nFROM base AS build\nRUN make\nFROM base\nCMD [\"x\"]\n"
    fixed, findings, all_ = slim(text, tmp_path)
    assert fixed == text and findings == [(1, "SLM002", False)]
    assert "line 3 calls make" in all_[0].message and "multistage" in all_[0].message


def test_missing_tool_is_added_to_the_stages_own_install(tmp_path):
    text = (
        "FROM python:3.11\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends \\\n"
        "        libpq5 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "RUN git clone --depth 1 https://example.com/x.git /src && curl -fsS https://example.com -o /y\n"
    )
    fixed, _, findings = slim(text, tmp_path)
    assert fixed == text.replace("python:3.11", "python:3.11-slim").replace("libpq5 \\", "libpq5 git ca-certificates curl \\")
    assert "ca-certificates curl git" in findings[0].message


def test_missing_tool_gets_its_own_install_when_the_stage_has_none(tmp_path):
    text = "FROM node:22\nWORKDIR /app\n  RUN wget -q https://example.com/a.tgz\n"
    fixed, _, _ = slim(text, tmp_path)
    assert fixed == (
        "FROM node:22-slim\nWORKDIR /app\n"
        "  RUN apt-get update \\\n"
        "      && apt-get install -y --no-install-recommends wget ca-certificates \\\n"
        "      && rm -rf /var/lib/apt/lists/*\n"
        "  RUN wget -q https://example.com/a.tgz\n"
    )


def test_a_tool_installed_after_its_use_is_a_refusal(tmp_path):
    text = "FROM python:3.11\nRUN curl -o /x https://example.com\nRUN apt-get update && apt-get install -y curl\n"
    fixed, findings, all_ = slim(text, tmp_path)
    assert fixed == text and "before the stage installs it" in all_[0].message


def test_compilers_installed_by_the_stage_itself_are_fine(tmp_path):
    text = "FROM python:3.11\nRUN apt-get update && apt-get install -y build-essential libpq-dev\nRUN pip install psycopg2\n"
    fixed, _, _ = slim(text, tmp_path)
    assert fixed.startswith("FROM python:3.11-slim\n")


@pytest.mark.parametrize(
    "run, files, why",
    [
        ("RUN pip install psycopg2==2.9 flask", {}, "psycopg2 (pip), which builds native code and needs a C compiler and libpq-dev"),
        ("COPY requirements.txt .\nRUN pip install -r requirements.txt", {"requirements.txt": "flask\nmysqlclient>=2  # db\n"}, "mysqlclient (pip)"),
        ("COPY requirements.txt .\nRUN pip install -r requirements.txt", {}, "requirements.txt, which cannot be read"),
        ("RUN ./configure && make install", {}, "calls configure"),
        ("RUN echo $((1+ )", {}, "cannot be checked"),
    ],
)
def test_stays_full_and_says_why(run, files, why, tmp_path):
    text = f"FROM python:3.12\n{run}\n"
    fixed, findings, all_ = slim(text, tmp_path, files)
    assert fixed == text
    assert findings[0][1] == "SLM002" and why in all_[0].message


def test_readable_dependency_files_without_native_code(tmp_path):
    files = {"requirements.txt": "flask==3.0\npsycopg2-binary\n", "package.json": json.dumps({"dependencies": {"express": "4"}})}
    fixed, _, _ = slim("FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n", tmp_path, files)
    assert fixed.startswith("FROM python:3.12-slim\n")
    fixed, _, _ = slim("FROM node:22\nCOPY package.json .\nRUN npm ci\n", tmp_path, files)
    assert fixed.startswith("FROM node:22-slim\n")
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"bcrypt": "5"}}))
    fixed, _, all_ = slim("FROM node:22\nCOPY package.json .\nRUN npm ci\n", tmp_path)
    assert fixed.startswith("FROM node:22\n") and "bcrypt (npm)" in all_[0].message


def test_never_switches_distro_implicitly(tmp_path):
    text = "FROM openjdk:11\nRUN apt-get update && apt-get install -y fontconfig\nCMD [\"java\", \"-jar\", \"/a.jar\"]\n"
    fixed, findings, _ = slim(text, tmp_path)
    assert fixed == text and findings == [(1, "SLM005", False)]
    # Alpine only with the option, and never for a stage that uses apt-get
    text = "FROM python:3.11\nCMD [\"python\"]\n"
    assert slim(text, tmp_path)[0].startswith("FROM python:3.11-slim\n")
    assert slim("FROM nginx:1.27\n", tmp_path, allow_distro_switch=True)[0] == "FROM nginx:1.27-alpine\n"
    assert slim("FROM nginx:1.27\n", tmp_path)[0] == "FROM nginx:1.27\n"
    text = "FROM nginx:1.27\nRUN apt-get update && apt-get install -y curl\n"
    fixed, findings, _ = slim(text, tmp_path, allow_distro_switch=True)
    assert fixed == text and findings == [(1, "SLM005", False)]


def test_eol_latest_and_untagged_are_findings_not_guesses(tmp_path):
    text = "FROM centos:7 AS a\nFROM python:2.7 AS b\nFROM node AS c\nFROM ubuntu:latest AS d\nFROM node:16\n"
    fixed, findings, _ = slim(text, tmp_path)
    assert (1, "SLM003", False) in findings and (2, "SLM003", False) in findings
    assert (3, "SLM004", False) in findings and (4, "SLM004", False) in findings and (5, "SLM003", False) in findings
    assert "centos" in fixed and "ubuntu:latest" in fixed and "FROM node AS c" in fixed


def test_digest_pinned_bases_are_left_alone(tmp_path):
    text = "FROM python:3.11@sha256:" + "a" * 64 + "\n"
    fixed, findings, _ = slim(text, tmp_path)
    assert fixed == text and findings == [(1, "SLM006", False)]


def test_shell_usage_reads_real_shell():
    doc = Document(
        "FROM x\n"
        "RUN set -eux; DEBIAN_FRONTEND=noninteractive sudo apt-get install -y --no-install-recommends \\\n"
        "    curl 'git' && if [ -f x ]; then make -j2; fi | tee log\n"
        "RUN [\"/bin/sh\", \"-c\", \"gcc x.c\"]\n"
        "RUN <<EOF\npython3 -m pip install 'psycopg2<3' -r req.txt\nEOF\n"
    )
    usage = stage_usage(doc.instructions[1:])
    names = [c.name for c in usage.commands]
    # ``[ -f x ]`` is a test expression to the parser, not a command that needs a tool
    assert names == ["set", "apt-get", "make", "tee", "gcc", "python3"]
    (cmd, pkgs), = usage.apt_installs()
    assert pkgs == ["curl", "git"]
    assert [cmd.run.text[s:e] for s, e in cmd.spans][-1] == "'git'"
    (manager, _, packages, files), = usage.language_installs()
    assert manager == "pip" and [package_name(p) for p in packages] == ["psycopg2"] and files == ["req.txt"]


def test_catalogue_facts():
    python = catalogue.lookup(ImageRef.parse("python:3.11"))
    assert python.entry["role"] == "runtime" and "compilers" in python.entry["lacks"]
    assert catalogue.lookup(ImageRef.parse("golang:1.25")).entry["role"] == "build"
    assert catalogue.is_eol(catalogue.lookup(ImageRef.parse("centos:8")), "8")
    assert not catalogue.is_eol(python, "3.12")
    # every rule compiles and every need it names exists
    needs = catalogue.slim_needs()
    for name in ("python", "node", "ruby", "openjdk", "eclipse-temurin", "debian"):
        entry = catalogue.image_entry(name)
        assert set(entry.get("lacks", [])) <= set(needs)


def test_runtime_commands_need_their_tools_too(tmp_path):
    text = (
        "FROM python:3.12\nCOPY . /app\n"
        "HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8000/health || exit 1\n"
        'CMD ["python", "/app/main.py"]\n'
    )
    fixed, _, _ = slim(text, tmp_path)
    assert fixed == text.replace("python:3.12", "python:3.12-slim").replace(
        "HEALTHCHECK",
        "RUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl ca-certificates \\\n"
        "    && rm -rf /var/lib/apt/lists/*\nHEALTHCHECK",
    )
    text = 'FROM node:22\nENTRYPOINT ["sh", "-c", "gcc -o /x /x.c && /x"]\n'
    fixed, findings, _ = slim(text, tmp_path)
    assert fixed == text and findings == [(1, "SLM002", False)]


def test_simple_commands_words_spans_and_substitutions():
    from fixer.analysis.shellusage import simple_commands

    script = 'echo "héllo wörld" && X=1 curl -fsS "$(wget -qO- http://x)" > /dev/null'
    found = simple_commands(script)
    assert [words for words, _ in found] == [
        ["echo", "héllo wörld"],
        ["curl", "-fsS", "$(wget -qO- http://x)"],  # the assignment and the redirect are not words
        ["wget", "-qO-", "http://x"],  # a command inside $(...) is a command too
    ]
    (s, e) = found[0][1][1]
    assert script[s:e] == '"héllo wörld"'  # character offsets, also after non-ASCII text
    assert simple_commands("echo $((1+ )") is None
