"""MSB: split a single-stage build into a builder stage and a small runtime stage.

## What it does
Finds a single-stage Dockerfile whose stage builds something (installs compilers or -dev
packages, installs or compiles dependencies, runs a build command) for a Python, Node, Go,
Java or Rust project, where the runtime stage would drop something real (a full base image,
build packages, development dependencies, all but a build output), and rewrites it from the ecosystem's jinja2 template in ``templates/``:
the original stage becomes the ``builder`` (Python: into a virtualenv in ``/opt/venv``; Go:
``CGO_ENABLED=0``; Node: production dependencies pruned after the build), and a new runtime
stage copies only what runs: the venv and the app, the built ``node_modules`` and app, the
binary, the jar. The runtime image is the slim variant of the base (Python, Node), a
distroless image (Go, Rust), a JRE (Java) or unprivileged nginx (a static front-end), plus
the runtime libraries of the -dev packages the builder needed (``libpq-dev`` → ``libpq5``,
from ``data/packages.toml``).

The user's choices survive: the base image and its version, ARG, ENV, LABEL, WORKDIR,
EXPOSE, HEALTHCHECK, CMD/ENTRYPOINT, their RUN lines in order in the stage they belong to,
and the comments above each instruction.

## Why is this bad?
A single-stage image ships its compilers, headers, package caches and build tools to
production: hundreds of megabytes, and every one of those tools is attack surface.

## Example
    FROM python:3.11
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install -r requirements.txt
    COPY . .
    CMD ["python", "app.py"]

## Use instead
    FROM python:3.11 AS builder
    RUN python3 -m venv /opt/venv
    ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install -r requirements.txt
    COPY . .

    FROM python:3.11-slim
    ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
    WORKDIR /app
    COPY --from=builder /opt/venv /opt/venv
    COPY --from=builder /app /app
    CMD ["python", "app.py"]

## Fix safety
Unsafe in general: an application that reads files its build wrote outside the paths the
runtime copies (the app folder, the venv, the binary) breaks. imgfix only converts when every
RUN line is one it understands (package installs, dependency installs and builds, user and
folder setup) and the artefact's location is known; anything else is left unchanged with a
finding that says what was missing. A static front-end served by nginx instead of its
development server listens on another port with another command: that conversion changes the
container's interface, so it is an unsafe fix (held back, MSB001 says so, unless
``--unsafe-fixes``).

## References
Docker: "Multi-stage builds"; hadolint DL3059; Snyk and Google distroless guidance.
"""

from __future__ import annotations

from ...analysis.stages import Analysis
from ...document.model import Document, Edit
from .. import Result
from ..ecosystems.base import Refused
from ..options import Options
from .convert import Converter, NotWorth, Unknown

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "MSB001": ("warning", "A single-stage image ships the tools that built it", "safe"),
    "MSB002": ("warning", "The build cannot be split into stages with confidence", "none"),
    "MSB003": ("info", "The ecosystem of a stage that builds is unknown", "none"),
    "MSB004": ("info", "Splitting the build would drop nothing from the image", "none"),
}


class MultiStage:
    code = "MSB"
    name = "multistage"
    summary = "Split a single-stage build into a builder and a slim runtime stage, from per-ecosystem templates."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        result = Result()
        if len(analysis.stages) != 1 or not analysis.stages[0].instructions:
            return result
        stage = analysis.stages[0]
        line = stage.from_instr.start_line
        try:
            new_text, message, interface_change = Converter(doc, analysis, options, stage).convert()
        except Refused as why:
            result.add(CODES, "MSB002", line, f"single-stage build left unchanged: {why}")
            return result
        except Unknown as why:
            result.add(CODES, "MSB003", line, str(why))
            return result
        except NotWorth as why:
            result.add(CODES, "MSB004", line, f"single-stage build left as it is: {why}")
            return result
        if new_text is None:
            return result
        if interface_change and not options.unsafe_fixes:
            result.add(CODES, "MSB001", line, f"{message}; held back: {interface_change} (--unsafe-fixes applies it)", fix="unsafe")
            return result
        start = doc.line_start(stage.from_instr.start)
        result.edits.append(Edit(start, len(doc.text), new_text))
        result.add(CODES, "MSB001", line, message, fixed=True, fix="unsafe" if interface_change else None)
        return result


TRANSFORM = MultiStage()
