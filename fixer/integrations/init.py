"""``imgfix init``: bootstrap a Dockerfile and a .dockerignore for a new service.

The files come from the same jinja2 templates the multi-stage transform uses (``templates/``,
or an organisation's own ``--templates DIR``), filled from what the ecosystem modules (``fixer.transforms.ecosystems``) read in
the project (never executed): the language and its version, dependency files, the framework,
the module that serves, its port and an obvious health endpoint. The rendered Dockerfile then
goes through the non-root transform, so it is multi-stage, slim and non-root from the start.
Nothing is overwritten without ``force``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..transforms import ecosystems
from ..transforms.ecosystems import LANGS, Project, Refused, detect
from ..transforms.ecosystems.base import NEW_SERVICE_DIR


class InitError(Exception):
    pass


@dataclass
class InitResult:
    project: Project
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dockerfile: str = ""
    dockerignore: str = ""


def render_project(project: Project, templates: Path | None = None) -> tuple[str, str, list[str]]:
    """(Dockerfile, .dockerignore, notes) for a detected project."""
    from ..transforms.templates import render

    notes: list[str] = []
    try:
        variables = ecosystems.module(project.lang).new_service(project, notes)
    except Refused as why:
        raise InitError(str(why)) from None
    variant = variables.pop("variant", "")
    variables.update(
        builder_from=f"FROM {variables.pop('builder_image')} AS builder",
        builder_name="builder",
        builder_steps="",
        runtime_steps="",
        metadata="",
        generated=True,  # a new service: the template supplies EXPOSE, HEALTHCHECK and CMD
        app_dir=NEW_SERVICE_DIR,
        runtime_packages=[],
        package_manager="apt",
        copy_flags="",
        from_flags="",
    )
    try:
        dockerfile = render(f"{project.lang}{variant}.Dockerfile.j2", variables, templates)
        dockerignore = render("dockerignore.j2", {"lang": project.lang}, templates)
    except Exception as err:  # noqa: BLE001 - jinja2's errors in an organisation's template
        raise InitError(f"the {project.lang} template failed to render: {type(err).__name__}: {err}") from None
    return dockerfile, dockerignore, notes


def init(directory: Path, lang: str = "auto", force: bool = False, templates: Path | None = None) -> InitResult:
    import re

    from ..run.pipeline import fix
    from ..transforms.options import Options

    if not directory.is_dir():
        raise InitError(f"{directory} is not a folder")
    if lang != "auto" and lang not in LANGS:
        raise InitError(f"--lang must be auto or one of {', '.join(LANGS)}")
    if templates is not None and not templates.is_dir():
        raise InitError(f"--templates {templates} is not a folder")
    project = detect(directory, None, None if lang == "auto" else lang)
    if project.lang is None:
        raise InitError("no Python, Node, Go, Java or Rust project found (use --lang)" +
                        (f": {'; '.join(project.problems)}" if project.problems else ""))
    targets = [directory / "Dockerfile", directory / ".dockerignore"]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise InitError(f"{', '.join(str(t) for t in existing)} already exist(s); use --force to overwrite")
    dockerfile, dockerignore, notes = render_project(project, templates)
    dockerfile = re.sub(r"\n{3,}", "\n\n", dockerfile)
    # the same pipeline as `imgfix fix`: the runtime stage becomes non-root
    from ..run.pipeline import FixError

    try:
        outcome = fix(dockerfile, Options(select=("USR",), context=directory), directory, targets[0])
    except FixError as err:
        raise InitError(f"the rendered Dockerfile is not valid (line {err.line}: {err.message}); check the templates") from None
    dockerfile = outcome.fixed
    result = InitResult(project, notes=notes + list(project.problems), dockerfile=dockerfile, dockerignore=dockerignore)
    from ..run.files import write_all

    try:  # both or neither (as --write): a half-made project is worse than none
        write_all(list(zip(targets, (dockerfile, dockerignore))))
    except OSError as err:
        failed = getattr(err, "path", targets[0])
        raise InitError(f"{failed}: not written ({err.strerror or err}); neither file was written") from None
    result.written += targets
    _complete_dockerignore(result, directory, targets)
    return result


def _complete_dockerignore(result: InitResult, directory: Path, targets: list[Path]) -> None:
    """The .dockerignore transform completes the template's file for this build context (the
    secrets, VCS data and build files it finds there), as ``imgfix fix`` would on its first run:
    a new service's files are stable under imgfix from the start. The completion is written on
    its own; if it fails, the project is as the template made it."""
    from ..run.files import write_all
    from ..run.pipeline import FixError, fix
    from ..transforms.options import Options

    try:
        outcome = fix(result.dockerfile, Options(select=("DIG",), context=directory), directory, targets[0])
    except FixError:
        return
    for change in outcome.files:
        if Path(change.path).resolve() == targets[1].resolve() and change.old == result.dockerignore:
            try:
                write_all([(targets[1], change.new)])
            except OSError:
                return
            result.dockerignore = change.new
