"""REG: pull base images through the organisation's registry or mirror.

## What it does
With ``--registry HOST[/PREFIX]`` (docker.io) or ``registry_map`` entries (any source
registry: ``ghcr.io``, ``quay.io``, ``gcr.io``, ``mcr.microsoft.com``, ...), rewrites every
base image that comes from a mapped registry so it is pulled from the mirror:
``python:3.11-slim`` → ``registry.example.com/dockerhub/library/python:3.11-slim``. The tag,
the digest, ``--platform`` and the stage name stay as written; a FROM built from an ARG gets
the literal text around the variable or the ARG's default rewritten. ``COPY --from=<image>``
references are rewritten the same way. Images already on a target registry, references to
earlier stages and ``scratch`` are left alone; images from a registry with no mapping are
reported.

## Why is this bad?
Builds that pull straight from Docker Hub hit its rate limits, break when it is down, and
bypass the scanning, caching and allow-lists an organisation's registry provides.

## Example
    FROM python:3.11-slim AS app

## Use instead
    FROM registry.example.com/dockerhub/library/python:3.11-slim AS app

## Fix safety
Safe when the mirror serves the same content (a pull-through cache does; digests stay valid).
Nothing is contacted: whether the mirror really holds the image is checked at build time
(or by ``--pin-digests``, which resolves through the rewritten name).

## References
Docker's registry mirror documentation; Harbor proxy-cache projects; Artifactory remote
Docker repositories.
"""

from __future__ import annotations

from ..analysis.stages import Analysis
from ..document.imageref import (
    RESERVED,
    ImageRef,
    copy_from_images,
    join_reference,
    locate,
    split_reference,
)
from ..document.model import Document
from . import Result
from .options import Options

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "REG001": ("info", "A base image is pulled from outside the organisation's registry", "safe"),
    "REG002": ("info", "A base image comes from a registry with no mirror configured", "none"),
    "REG003": ("warning", "A base image reference cannot be rewritten", "none"),
}


class Registry:
    code = "REG"
    name = "registry"
    summary = "Rewrite base images to the organisation's registry or mirror (--registry, registry_map)."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        result = Result()
        mirrors = options.mirrors()
        if not mirrors:
            return result
        targets = {m.split("/", 1)[0].lower() for m in mirrors.values()}
        claimed: dict[tuple[int, int, int], str] = {}

        def finding(code: str, line: int, message: str, fixed: bool = False) -> None:
            result.add(CODES, code, line, message, fixed)

        def target_name(image: ImageRef) -> str | None:
            mirror = mirrors.get(image.registry)
            return None if mirror is None else f"{mirror}/{image.path}"

        for stage in analysis.stages:
            if stage.parent is not None or (stage.image is None and stage.base is not None):
                continue  # an earlier stage, or not an image reference
            line = stage.from_instr.start_line
            if stage.base is None:
                finding("REG003", line, f"{stage.base_text}: the FROM is built from ARG {', '.join(stage.base_args)}, which has no default; not rewritten")
                continue
            image = stage.image
            if image.familiar in RESERVED or image.registry.lower() in targets:
                continue
            new_name = target_name(image)
            if new_name is None:
                finding("REG002", line, f"{stage.base} comes from {image.registry}, which has no mirror configured (registry_map); left alone")
                continue
            site, why = locate(stage, analysis)
            if site is None:
                finding("REG003", line, f"{stage.base} could not be rewritten to {new_name}: {why}")
                continue
            _, tag, digest = split_reference(site.reference)
            edit, how = site.edit(doc, join_reference(new_name, tag, digest), claimed)
            if edit is None:
                if how:
                    finding("REG003", line, f"{stage.base} could not be rewritten to {new_name}: {how}")
                continue
            result.edits.append(edit)
            via = f" (the default of ARG {site.arg})" if how == "arg" else ""
            finding("REG001", line, f"{stage.base} is now pulled from {new_name}{via}", fixed=True)

        for copy in copy_from_images(analysis):
            line = copy.instr.start_line
            if copy.image is None or copy.image.registry.lower() in targets:
                continue  # built from a build argument, or already from the organisation
            new_name = target_name(copy.image)
            if new_name is None:
                finding("REG002", line, f"COPY --from={copy.value} comes from {copy.image.registry}, which has no mirror configured; left alone")
                continue
            _, tag, digest = split_reference(copy.value)
            edit = doc.replace_span(copy.instr, *copy.span, join_reference(new_name, tag, digest)) if copy.span else None
            if edit is None:
                finding("REG003", line, f"COPY --from={copy.value}: the flag is split over several lines; not rewritten")
                continue
            result.edits.append(edit)
            finding("REG001", line, f"COPY --from={copy.value} is now pulled from {new_name}", fixed=True)
        return result


TRANSFORM = Registry()
