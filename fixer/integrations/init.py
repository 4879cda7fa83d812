"""``imgfix init``: bootstrap a Dockerfile and a .dockerignore for a new service.

The files come from the same jinja2 templates the multi-stage transform uses (``templates/``,
or an organisation's own ``--templates DIR``), filled from what ``fixer.ecosystem`` reads in
the project (never executed): the language and its version, dependency files, the framework,
the module that serves, its port and an obvious health endpoint. The rendered Dockerfile then
goes through the non-root transform, so it is multi-stage, slim and non-root from the start.
Nothing is overwritten without ``force``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..transforms.ecosystem import (
    LANGS,
    Project,
    detect,
    valid_module,
    valid_name,
    valid_path,
    valid_port,
    valid_version,
)

APP_DIR = "/app"


class InitError(Exception):
    pass


@dataclass
class InitResult:
    project: Project
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dockerfile: str = ""
    dockerignore: str = ""


def _defaults() -> dict:
    from ..transforms.multistage import packages

    return packages()["init"]


def _version(found: str | None, lang: str) -> str:
    version = found or _defaults()[lang]
    if not valid_version(version):
        raise InitError(f"{lang} version {version!r} is not a plain version number")
    return version


def _cmd(words: list[str]) -> str:
    return json.dumps(words)


def _python(p: Project, notes: list[str]) -> dict:
    version = _version(p.python_version, "python")
    deps = set(p.dependencies)
    port, module, obj = p.port, p.app_module, p.app_object
    if module and not valid_module(module) or obj and not valid_module(obj):
        raise InitError(f"the app module {module}:{obj} is not a plain module name")
    if obj and "gunicorn" in deps and p.framework in ("flask", "django", None):
        port = 8000
        cmd = ["gunicorn", "--bind", f"0.0.0.0:{port}", f"{module}:{obj}"]
    elif obj and p.framework in ("fastapi", "starlette") and "uvicorn" in deps:
        port = port or 8000
        cmd = ["uvicorn", f"{module}:{obj}", "--host", "0.0.0.0", "--port", str(port)]
    elif obj and p.framework == "flask":
        port = port or 5000
        cmd = ["flask", "--app", module, "run", "--host", "0.0.0.0", "--port", str(port)]
    elif p.scripts:
        script = sorted(p.scripts)[0]
        cmd, port = [script], None
        notes.append(f"runs the console script {script} ({p.scripts[script]})")
    elif module:
        cmd = ["python", module.replace(".", "/") + ".py"]
    else:
        raise InitError("cannot tell what to run: no app object, console script or __main__ module was found")
    if port is not None and not valid_port(port):
        raise InitError(f"port {port!r} is not a port number")
    if not p.requirements and not (p.pyproject or p.setup_py):
        raise InitError("no requirements*.txt, pyproject.toml or setup.py: the dependencies are unknown")
    return {
        "builder_image": f"python:{version}",
        "runtime_image": f"python:{version}-slim",
        "venv": "/opt/venv",
        "requirements": [r for r in p.requirements if r == "requirements.txt"] or p.requirements[:1],
        "install_project": p.pyproject or p.setup_py,
        "cmd": _cmd(cmd),
        "port": port,
        "health_path": p.health_path if port else None,
    }


def _node(p: Project, notes: list[str]) -> dict:
    version = _version(p.node_version, "node")
    install = {
        "package-lock.json": "npm ci",
        "npm-shrinkwrap.json": "npm ci",
        "yarn.lock": "yarn install --frozen-lockfile",
        "pnpm-lock.yaml": "corepack enable && pnpm install --frozen-lockfile",
    }.get(p.lockfile or "", "npm install")
    prune = {"yarn.lock": "yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline",
             "pnpm-lock.yaml": "pnpm prune --prod"}.get(p.lockfile or "", "npm prune --omit=dev")
    common = {"builder_image": f"node:{version}", "lockfile": p.lockfile, "install": install, "build_script": p.build_script}
    if p.static_output:
        from ..transforms.multistage import packages

        images = packages()["images"]
        notes.append(f"a static {p.framework} front-end: nginx serves {p.static_output}/")
        return common | {"variant": "-static", "runtime_image": images["nginx"], "output_dir": f"{APP_DIR}/{p.static_output}",
                         "web_root": images["nginx_root"], "port": images["nginx_port"]}
    if p.app_module:
        if not valid_path(p.app_module):
            raise InitError(f"the entry file {p.app_module!r} is not a plain path")
        cmd = ["node", p.app_module]
    elif p.start_script:
        cmd = ["npm", "start"]
    else:
        raise InitError("cannot tell what to run: package.json has no main and no start script")
    port = p.port if valid_port(p.port) else None
    return common | {"runtime_image": f"node:{version}-slim", "prune": prune, "cmd": _cmd(cmd), "port": port,
                     "health_path": p.health_path if port else None}


def _go(p: Project, notes: list[str]) -> dict:
    from ..transforms.multistage import packages

    if p.framework == "cgo":
        raise InitError('a Go source imports "C": the static distroless template does not fit')
    if not valid_name(p.name):
        raise InitError("go.mod names no module")
    return {"builder_image": f"golang:{_version(p.go_version, 'go')}", "runtime_image": packages()["images"]["go"],
            "binary": f"/usr/local/bin/{p.name}", "port": None}


def _java(p: Project, notes: list[str]) -> dict:
    version = _version(p.java_version, "java")
    if not p.jar or not valid_path(p.jar):
        raise InitError("the jar's name is not known: " + ("; ".join(p.problems) or "no pom.xml artifactId/version or rootProject.name"))
    d = _defaults()
    if p.build_tool == "maven":
        image = d["maven_image"].format(version=version)
        build = "./mvnw -B -DskipTests package" if p.wrapper else "mvn -B -DskipTests package"
    else:
        image = d["gradle_image"].format(version=version)
        build = "./gradlew --no-daemon build -x test" if p.wrapper else "gradle --no-daemon build -x test"
    from ..transforms.multistage import packages

    return {"builder_image": image, "runtime_image": packages()["images"]["java"].format(version=version),
            "build_command": build, "jar": f"{APP_DIR}/{p.jar}", "port": None}


def _rust(p: Project, notes: list[str]) -> dict:
    from ..transforms.multistage import packages

    if not p.binaries:
        raise InitError("Cargo.toml names no binary: " + "; ".join(p.problems))
    name = p.binaries[0]
    return {"builder_image": f"rust:{_version(None, 'rust')}", "runtime_image": packages()["images"]["rust"],
            "binary": f"{APP_DIR}/target/release/{name}", "binary_target": f"/usr/local/bin/{name}", "port": None}


def render_project(project: Project, templates: Path | None = None) -> tuple[str, str, list[str]]:
    """(Dockerfile, .dockerignore, notes) for a detected project."""
    from ..transforms.multistage import render

    notes: list[str] = []
    variables = {"python": _python, "node": _node, "go": _go, "java": _java, "rust": _rust}[project.lang](project, notes)
    variant = variables.pop("variant", "")
    variables.update(
        builder_from=f"FROM {variables.pop('builder_image')} AS builder",
        builder_name="builder",
        builder_steps="",
        runtime_steps="",
        metadata="",
        generated=True,  # a new service: the template supplies EXPOSE, HEALTHCHECK and CMD
        app_dir=APP_DIR,
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
    return result
