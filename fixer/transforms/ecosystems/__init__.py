"""The ecosystems imgfix knows (Python, Node, Go, Java, Rust): one module each.

An ecosystem module holds everything about its language, read from the project's files
without executing anything:

- ``LANG`` and ``PROJECT``: its name and the facts it reads (a ``base.Project`` subclass);
- ``manifests(top)``: the files in the build context's top folder that show it;
- ``read(ctx, top, files, project)``: the facts (dependencies, entry point, port, artefact);
- ``conversion(conv, plan, project)``: the template variables that split an existing
  single-stage build (``transforms.multistage``), or ``base.Refused`` with the reason;
- ``new_service(project, notes)``: the template variables of a new service (``imgfix init``).

Adding an ecosystem: one module here with those five names, its name in ``LANGS``, a
``templates/<lang>.Dockerfile.j2`` and its entries in ``data/packages.toml`` (runtime image,
build commands, default version) and ``data/catalogue.toml`` (its base images). The modules
are imported only when a project is read.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from ...analysis.catalogue import image_entry
from ...document.context import BuildContext, shared
from .base import Project, Refused  # noqa: F401 - the names callers use

LANGS = ("python", "node", "go", "java", "rust")  # the order ties are broken in


def module(lang: str) -> ModuleType:
    """The module of one ecosystem."""
    if lang not in LANGS:
        raise ValueError(f"unknown ecosystem {lang!r}")
    return importlib.import_module(f"{__name__}.{lang}")


def detect(context: Path | None, base: str | None = None, lang: str | None = None, *, read: bool = True) -> Project:
    """The project in ``context``; ``base`` (the FROM image) and ``lang`` break ties.
    ``read=False``: the language only, from file names (no project file is read or parsed)."""
    ctx = BuildContext(context) if context is not None and context.is_dir() else None
    files = set(shared(("files", ctx.root, 5000), lambda: tuple(ctx.files(limit=5000)))) if ctx else set()
    top = {f for f in files if "/" not in f}
    found = [(name, evidence) for name in LANGS if (evidence := module(name).manifests(top))]
    chosen = None
    if lang:
        chosen = next((f for f in found if f[0] == lang), (lang, []))
    elif len(found) == 1:
        chosen = found[0]
    elif found:
        by_image = _lang_of_image(base)
        chosen = next((f for f in found if f[0] == by_image), None)
    if chosen is None:
        by_image = None if found else _lang_of_image(base)
        project = (module(by_image).PROJECT if by_image else Project)(by_image, [f"base image {base}"] if by_image else [])
        if found and not by_image:
            project.problems.append("the context holds several ecosystems: " + ", ".join(f[0] for f in found))
        if project.lang is None or ctx is None:
            return project
        chosen = (project.lang, [])
    ecosystem = module(chosen[0])
    project = ecosystem.PROJECT(chosen[0], list(chosen[1]))
    if ctx is not None and read:
        ecosystem.read(ctx, top, files, project)
    return project


def _lang_of_image(base: str | None) -> str | None:
    """The ecosystem the catalogue gives the image (by its last name: ``python``, ``golang``)."""
    if not base:
        return None
    name = base.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    entry = image_entry(name) if name else None
    return entry.get("ecosystem") if entry else None
