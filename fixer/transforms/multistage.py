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

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from ..analysis import catalogue
from ..analysis.stages import Analysis, Stage, split_commands
from ..document.model import Document, Edit
from ..document.parser import KNOWN_KEYWORDS, Instruction, is_number
from . import Result, templates
from .ecosystem import Project, detect, go_binary_name, valid_name, valid_path
from .options import Options

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "MSB001": ("warning", "A single-stage image ships the tools that built it", "safe"),
    "MSB002": ("warning", "The build cannot be split into stages with confidence", "none"),
    "MSB003": ("info", "The ecosystem of a stage that builds is unknown", "none"),
    "MSB004": ("info", "Splitting the build would drop nothing from the image", "none"),
}

VENV = "/opt/venv"
_PKG = re.compile(r"^[a-z0-9][a-z0-9+.~_-]{0,127}(=[A-Za-z0-9+.~:_*-]{1,64})?$")
_PLATFORM_FLAG = re.compile(r"^--platform=[A-Za-z0-9_./${},-]{1,128}$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]{0,200}(@sha256:[0-9a-f]{64})?$")
_CHOWN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})?$")
_RUNTIME_META = {"LABEL", "EXPOSE", "HEALTHCHECK", "CMD", "ENTRYPOINT", "STOPSIGNAL", "VOLUME", "USER", "MAINTAINER"}


def build_step(words: list[str]) -> str | None:
    """``pip install``, ``npm ci``, ``go build``...: a command that installs or compiles (else None).

    Raises Refused for installs that write outside any folder a runtime stage could copy."""
    if not words:
        return None
    tool = words[0] if words[0].startswith("./") else words[0].rsplit("/", 1)[-1]
    args = [w for w in words[1:] if not w.startswith("-")]
    verb = args[0] if args else ""
    if tool in ("python", "python3") and words[1:4] in (["-m", "pip", "install"],):
        return "pip install"
    if tool in ("python", "python3") and verb == "setup.py":
        return "setup.py"
    if tool in ("pip", "pip3") and verb == "install":
        return "pip install"
    if tool in ("poetry", "pipenv") and verb in ("install", "sync"):
        return f"{tool} {verb}"
    if tool == "uv" and (verb == "sync" or args[:2] == ["pip", "install"]):
        return "uv " + " ".join(args[:2])
    if tool in ("npm", "yarn", "pnpm"):
        if verb == "global" or any(w in ("-g", "--global") for w in words):
            raise Refused(f"{' '.join(words[:3])} installs globally, outside the app folder")
        if verb in ("ci", "install", "i", "add", "build") or (tool == "yarn" and not args):
            return f"{tool} {verb}".strip()
        if verb in ("run", "run-script") and len(args) > 1:
            return f"{tool} run {args[1]}"
    if tool == "go" and verb == "build":
        return "go build"
    if tool in ("mvn", "mvnw", "./mvnw") and set(args) & {"package", "install", "verify"}:
        return f"{tool} package"
    if tool in ("gradle", "gradlew", "./gradlew") and set(args) & {"build", "assemble", "bootJar", "jar", "installDist", "shadowJar"}:
        return f"{tool} build"
    if tool == "cargo" and verb in ("build", "install"):
        return f"cargo {verb}"
    if tool in command_names("generic_build"):
        return tool
    return None


@cache
def packages() -> dict:
    with resources.files("fixer.data").joinpath("packages.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def command_names(kind: str) -> frozenset[str]:
    """Command names of a kind in ``[commands]`` of packages.toml; ``build``: every
    ecosystem's build tools and the generic ones."""
    table = packages()["commands"]
    if kind == "build":
        return frozenset().union(*map(frozenset, table["build"].values()), table["generic_build"])
    return frozenset(table[kind])


def _collapse_blank_runs(text: str, verbatim: list[str]) -> str:
    """Runs of blank lines that the template's empty optional blocks leave, made one; the
    user's own (the new lines of the run that lie in the instructions passed through
    ``verbatim``, plus the line they follow) stay as they were."""
    kept = [(at, at + len(block)) for block in verbatim if block and (at := text.find(block)) >= 0]

    def blank_lines(m: re.Match) -> str:
        theirs = max((min(m.end(), end) - max(m.start(), start) for start, end in kept), default=0)
        return "\n" * max(2, min(len(m.group()), theirs + 1))

    return re.sub(r"\n{3,}", blank_lines, text)


class Refused(Exception):
    """The stage does not fit a template with confidence; the message says what is missing."""


def render(template: str, variables: dict, templates_dir: Path | None = None) -> str:
    """Render ``templates/<template>`` (or the organisation's own copy) with StrictUndefined."""
    return _environment(templates_dir).get_template(template).render(**variables)


@cache
def _environment(templates_dir: Path | None):
    """One jinja2 environment per templates folder: it compiles each template once (and
    reloads it when the file changes)."""
    import jinja2

    loaders = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(templates.folder())))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# ------------------------------------------------------------------ package helpers

def _installs(words: list[str]) -> tuple[str, list[str]] | None:
    """(manager, packages) when a command installs packages with apt-get/apt/apk."""
    if not words:
        return None
    cmd = words[0].rsplit("/", 1)[-1]
    verb = packages()["commands"]["install_verb"].get(cmd)
    if verb is None or verb not in words[1:3]:
        return None
    pkgs = [w for w in words[words.index(verb) + 1 :] if not w.startswith("-")]
    return ("apk" if cmd == "apk" else "apt"), pkgs


def is_build_package(manager: str, name: str) -> bool:
    data = packages()["build"]
    base = name.split("=", 1)[0]
    return base in data[manager] or any(base.endswith(s) for s in data["dev_suffix"])


def runtime_library(manager: str, dev: str, release: str | None) -> str | None:
    """The runtime package a -dev package needs ("" for none); None when unknown."""
    libs = packages()["runtime_libs"][manager]
    base = dev.split("=", 1)[0]
    release = release or libs.get("default_release")
    if release and isinstance(libs.get(release), dict) and base in libs[release]:
        return libs[release][base]
    value = libs.get(base)
    return value if isinstance(value, str) else None


# ------------------------------------------------------------------ the plan

@dataclass
class _Chunk:
    instr: Instruction
    text: str  # comments directly above + the instruction, newline-terminated


@dataclass
class _Plan:
    lang: str
    builder: list[str] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    build_runs: list[list[list[str]]] = field(default_factory=list)
    runtime_packages: list[str] = field(default_factory=list)
    manager: str = "apt"
    needs_shell: bool = False  # the runtime stage runs RUN lines
    app_dir: str | None = None
    builds: bool = False
    reasons: list[str] = field(default_factory=list)  # why it counts as building
    refusals: list[str] = field(default_factory=list)  # what does not fit, in order
    app_copies: list = field(default_factory=list)  # (dest, chunk) of COPY lines into the app folder
    user_line: int | None = None  # the first USER instruction
    build_packages: list[str] = field(default_factory=list)  # apt/apk packages only the build needs
    user_setup: list[int] = field(default_factory=list)  # builder entries that only create users


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
            new_text, message, interface_change = _Converter(doc, analysis, options, stage).convert()
        except Refused as why:
            result.add(CODES, "MSB002", line, f"single-stage build left unchanged: {why}")
            return result
        except _Unknown as why:
            result.add(CODES, "MSB003", line, str(why))
            return result
        except _NotWorth as why:
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


_KEYWORD = re.compile(r"^(\s*)([A-Z]+)\b")
# blank (or spaces-only) lines a copied block starts with: the template decides the spacing there
_LEADING_BLANKS = re.compile(r"\A(?:[ \t]*\n)+")


def _lower_keyword(line: str) -> str:
    m = _KEYWORD.match(line)
    if m is None or m.group(2) not in KNOWN_KEYWORDS:
        return line
    return m.group(1) + m.group(2).lower() + line[m.end() :]


class _Unknown(Exception):
    pass


class _NotWorth(Exception):
    """The runtime stage would drop nothing real: a split would only add copies (a venv's pip)."""


class _Converter:
    def __init__(self, doc: Document, analysis: Analysis, options: Options, stage: Stage) -> None:
        self.doc, self.analysis, self.options, self.stage = doc, analysis, options, stage
        self.templates = options.templates

    # ---------------------------------------------------------------- chunks

    def _chunks(self) -> list[_Chunk]:
        text, out = self.doc.text, []
        prev = self.stage.from_instr.end
        for instr in self.stage.instructions:
            line_start = self.doc.line_start(instr.start)
            # blank lines, comments and lines of only spaces/tabs above it stay byte-for-byte
            body = text[prev:line_start] + text[line_start : instr.end]
            body = body.replace("\r\n", "\n")
            if not body.endswith("\n"):
                body += "\n"
            out.append(_Chunk(instr, body))
            prev = instr.end
        return out

    # ---------------------------------------------------------------- classification

    def _run_kind(self, instr: Instruction, lang: str | None) -> tuple[str, list[list[str]]]:
        if instr.json:
            commands = [list(instr.value or [])]
        else:
            if instr.heredocs:
                raise Refused(f"RUN at line {instr.start_line} uses a heredoc; its effects cannot be checked")
            commands = split_commands(" ".join(instr.value or []))
        kinds = set()
        for words in commands:
            cmd = words[0]
            name = cmd if cmd.startswith("./") else cmd.rsplit("/", 1)[-1]
            if name in command_names("package"):
                kinds.add("package")
            elif name in command_names("build"):
                kinds.add("build")
            elif name in command_names("setup"):
                kinds.add("setup")
            elif name in command_names("neutral"):
                continue
            else:
                raise Refused(
                    f"RUN at line {instr.start_line} calls {name}, which may write outside the paths "
                    "the runtime stage copies"
                )
        if "setup" in kinds and kinds - {"setup"}:
            raise Refused(f"RUN at line {instr.start_line} mixes build steps with user/folder setup")
        if "build" in kinds:
            return "build", commands
        if "package" in kinds:
            return "package", commands
        return ("setup" if "setup" in kinds else "noop"), commands

    def _plan(self, lang: str | None) -> _Plan:
        plan = _Plan(lang or "")
        workdir = None
        dest_dirs: list[tuple[str, _Chunk]] = []
        for chunk in self._chunks():
            try:
                workdir = self._route(chunk, plan, workdir, dest_dirs, lang)
            except Refused as why:
                plan.refusals.append(str(why))
                plan.builder.append(chunk.text)
                script = " ".join(chunk.instr.value or []) + " " + " ".join(h.content for h in chunk.instr.heredocs)
                if chunk.instr.cmd == "RUN" and command_names("build") & set(script.split()):
                    plan.builds = True
                    plan.reasons.append(f"line {chunk.instr.start_line} builds")
        if plan.refusals:
            return plan
        return self._finish(plan, workdir, dest_dirs)

    def _route(self, chunk: _Chunk, plan: _Plan, workdir: str | None, dest_dirs: list, lang: str | None) -> str | None:
        """Put one instruction in the builder, the runtime stage or both; returns the WORKDIR."""
        instr = chunk.instr
        cmd = instr.cmd
        if cmd in ("ARG", "ENV", "SHELL"):
            plan.builder.append(chunk.text)
            plan.runtime.append(chunk.text)
        elif cmd == "WORKDIR":
            path = (instr.value or [""])[0]
            if not path.startswith("/") and workdir:
                path = f"{workdir.rstrip('/')}/{path}"
            workdir = path
            plan.builder.append(chunk.text)
            plan.runtime.append(chunk.text)
        elif cmd == "USER":
            plan.metadata.append(chunk.text)
            plan.user_line = plan.user_line or instr.start_line
        elif cmd in _RUNTIME_META:
            plan.metadata.append(chunk.text)
        elif cmd == "ONBUILD":
            raise Refused(f"ONBUILD at line {instr.start_line} cannot be placed in one of two stages")
        elif cmd in ("COPY", "ADD"):
            flags = instr.flags or []
            if any(f.startswith("--from") for f in flags):
                raise Refused(f"{cmd} --from at line {instr.start_line} copies from another image")
            values = instr.value or []
            if cmd == "ADD" and any(re.match(r"^(https?|git)://|^git@", v) for v in values[:-1]):
                raise Refused(f"ADD at line {instr.start_line} downloads a file; where it lands at run time is unclear")
            if instr.heredocs:
                raise Refused(f"{cmd} at line {instr.start_line} uses a heredoc")
            dest = values[-1] if values else ""
            if not dest.startswith("/"):
                if not workdir:
                    raise Refused(f"{cmd} at line {instr.start_line} copies into / without a WORKDIR; where the application lives is unclear")
                dest = f"{workdir.rstrip('/')}/{dest}"
            dest_dirs.append((dest, chunk))
            chown = next((f.split("=", 1)[1] for f in flags if f.startswith("--chown=")), None)
            if chown is not None and not _CHOWN.match(chown):
                raise Refused(f"{cmd} --chown={chown} at line {instr.start_line} is not a plain user:group")
            plan.builder.append(chunk.text)
        elif cmd == "RUN":
            if plan.user_line:
                raise Refused(f"USER at line {plan.user_line} comes before RUN at line {instr.start_line}")
            kind, commands = self._run_kind(instr, lang)
            if kind == "build":
                plan.builder.append(chunk.text)
                plan.build_runs.append(commands)
                steps = [step for step in map(build_step, commands) if step]
                if steps:
                    plan.builds = True
                    plan.reasons.append(f"line {instr.start_line} runs {', '.join(dict.fromkeys(steps))}")
                plan.build_packages += self._package_run(instr, commands, plan, both=False)
            elif kind == "package":
                build = self._package_run(instr, commands, plan, both=True)
                plan.build_packages += build
                plan.builder.append(chunk.text)
                if build:
                    plan.builds = True
                    plan.reasons.append(f"line {instr.start_line} installs {', '.join(build)}")
                else:
                    plan.runtime.append(chunk.text)
                    plan.needs_shell = True
            elif kind == "setup":
                if all(words[0].rsplit("/", 1)[-1] in command_names("user_setup") for words in commands if words):
                    plan.user_setup.append(len(plan.builder))
                plan.builder.append(chunk.text)
                plan.runtime.append(chunk.text)
                plan.needs_shell = True
            else:
                plan.builder.append(chunk.text)
        else:
            plan.builder.append(chunk.text)
        return workdir

    def _finish(self, plan: _Plan, workdir: str | None, dest_dirs: list) -> _Plan:
        if workdir in (None, "/", ""):
            if plan.builds:
                raise Refused("no WORKDIR: where the application lives is unclear")
            return plan
        if not valid_path(workdir) or not workdir.startswith("/"):
            raise Refused(f"WORKDIR {workdir} is not a plain absolute path")
        plan.app_dir = workdir.rstrip("/") or "/"
        self._drop_builder_users(plan, dest_dirs)
        for dest, chunk in dest_dirs:
            norm = re.sub(r"/\.?/", "/", dest + "/")
            if norm.startswith(plan.app_dir + "/"):
                plan.app_copies.append((dest, chunk))
            else:
                # copied outside the app folder: the runtime stage copies it from the context too
                plan.runtime.append(chunk.text)
        return plan

    @staticmethod
    def _drop_builder_users(plan: _Plan, dest_dirs: list) -> None:
        """A RUN that only creates users runs in the runtime stage; the builder needs it only
        when a COPY --chown there names a user (else the project got its useradd twice)."""
        named = any(
            not re.fullmatch(r"[0-9]+(:[0-9]+)?", f.split("=", 1)[1])
            for _dest, chunk in dest_dirs for f in chunk.instr.flags or [] if f.startswith("--chown=")
        )
        if named:
            return
        for index in plan.user_setup:
            # its comments go with it; the blank lines before it stay, as they were
            plan.builder[index] = re.match(r"(?:[ \t]*\n)*", plan.builder[index]).group()

    def _package_run(self, instr: Instruction, commands: list[list[str]], plan: _Plan, both: bool) -> list[str]:
        """Record the runtime packages of an install; returns the build packages it installs."""
        build: list[str] = []
        for words in commands:
            found = _installs(words)
            if found is None:
                continue
            manager, pkgs = found
            plan.manager = manager
            release = self._release()
            for pkg in pkgs:
                if not _PKG.match(pkg):
                    raise Refused(f"package {pkg!r} at line {instr.start_line} is not a plain package name")
                if is_build_package(manager, pkg):
                    build.append(pkg)
                    lib = runtime_library(manager, pkg, release) if any(
                        pkg.split("=")[0].endswith(s) for s in packages()["build"]["dev_suffix"]
                    ) else ""
                    if lib is None:
                        raise Refused(
                            f"no runtime library is known for {pkg} (line {instr.start_line}); "
                            "add it to fixer/data/packages.toml"
                        )
                    if lib and lib not in plan.runtime_packages:
                        plan.runtime_packages.append(lib)
                elif not both and pkg not in plan.runtime_packages:
                    plan.runtime_packages.append(pkg.split("=", 1)[0])
        if build and both:  # the runtime also needs the install's other packages
            for words in commands:
                found = _installs(words)
                for pkg in (found[1] if found else []):
                    if not is_build_package(found[0], pkg) and pkg.split("=", 1)[0] not in plan.runtime_packages:
                        plan.runtime_packages.append(pkg.split("=", 1)[0])
        return build

    def _release(self) -> str | None:
        tag = self.stage.image.tag if self.stage.image else None
        for release in ("bookworm", "bullseye", "trixie", "buster"):
            if tag and release in tag:
                return release
        return None

    # ---------------------------------------------------------------- convert

    def convert(self) -> tuple[str | None, str, str]:
        """(the new text from the stage on, what it did, how it changes the container's
        interface: empty for a safe conversion)."""
        stage = self.stage
        if self.doc.escape != "\\":
            raise Refused("the file uses a non-default escape character")
        # the language decides the plan; the project's files are read only for a stage that builds
        language = detect(self.analysis.context, stage.base, read=False)
        plan = self._plan(language.lang)
        generic = any(w and w[0] in command_names("generic_build") for run in plan.build_runs for w in run)
        if not plan.builds:
            return None, "", ""
        if language.lang is not None and plan.refusals:
            raise Refused(plan.refusals[0])
        if language.lang is None:
            raise _Unknown(
                "the stage builds something (" + "; ".join(plan.reasons) + ") but its ecosystem is unknown: "
                "no requirements.txt/pyproject.toml/setup.py, package.json, go.mod, pom.xml/build.gradle or Cargo.toml "
                "in the build context and a base image that names none"
                + (f" ({'; '.join(language.problems)})" if language.problems else "")
            )
        if generic:
            raise Refused("a RUN line calls make/cmake/a compiler directly; what it installs where is unclear")
        if stage.image is None or stage.base_args:
            raise Refused(f"the base image {stage.base_text} is built from ARG values; the runtime image cannot be derived")
        if stage.image.digest:
            raise Refused(f"the base image {stage.base_text} is pinned by digest; its runtime variant's digest is unknown")
        project = detect(self.analysis.context, stage.base)
        method = getattr(self, f"_{project.lang}")
        variables, what = method(plan, project)
        self._check_it_pays(plan, project, variables["runtime_image"])
        interface_change = variables.pop("interface_change", "")
        variables.setdefault("runtime_packages", plan.runtime_packages)
        variables.setdefault("package_manager", plan.manager)
        for pkg in variables["runtime_packages"]:
            if not _PKG.match(pkg):
                raise Refused(f"package {pkg!r} is not a plain package name")
        if not _IMAGE.match(variables["runtime_image"]):
            raise Refused(f"runtime image {variables['runtime_image']!r} is not a plain image reference")
        # the image kept the platform its FROM chose (e.g. $BUILDPLATFORM): so does the runtime
        from_flags = "".join(f" {f}" for f in stage.from_instr.flags or [] if f.startswith("--platform="))
        if from_flags and not _PLATFORM_FLAG.match(from_flags.strip()):
            raise Refused(f"the FROM flag {from_flags.strip()!r} is not a plain platform")
        from_text = self.doc.text[stage.from_instr.start : stage.from_instr.end].replace("\r\n", "\n").rstrip("\n")
        if not stage.name:
            from_text += f" {'as' if self.doc.lowercase_keywords else 'AS'} builder"
        variables.update(
            builder_from=from_text,
            builder_name=stage.name or "builder",
            builder_steps="".join(plan.builder),
            runtime_steps=_LEADING_BLANKS.sub("", "".join(plan.runtime)),
            metadata=_LEADING_BLANKS.sub("", "".join(variables.pop("metadata", plan.metadata))),
            app_dir=plan.app_dir,
            copy_flags=self._copy_flags(plan),
            from_flags=from_flags,
            generated=False,  # the user's own EXPOSE/CMD/... (metadata), even when there are none
        )
        name = f"{project.lang}{variables.pop('variant', '')}.Dockerfile.j2"
        try:
            text = render(name, variables, self._templates_dir())
        except Exception as err:  # noqa: BLE001 - jinja2's errors (an organisation's template), never a crash
            raise Refused(f"the template {name} failed to render: {type(err).__name__}: {err}") from None
        runtime_from = [line for line in text.split("\n") if line.upper().startswith("FROM ")][-1:]
        if from_flags and not (runtime_from and from_flags.strip() in runtime_from[0]):
            raise Refused(f"the template {name} does not carry {from_flags.strip()} to the runtime stage (from_flags)")
        text = _collapse_blank_runs(text, [variables[k] for k in ("builder_steps", "runtime_steps", "metadata")])
        if self.doc.lowercase_keywords:  # the template's own lines follow the file's style
            theirs = set(self.doc.text[stage.from_instr.start :].replace("\r\n", "\n").split("\n"))
            text = "\n".join(line if line in theirs else _lower_keyword(line) for line in text.split("\n"))
        tail = self.doc.text[stage.instructions[-1].end :]
        if tail.strip():
            text += tail.replace("\r\n", "\n")
        elif not self.doc.text.endswith("\n"):
            text = text.rstrip("\n")
        if self.doc.newline != "\n":
            text = text.replace("\n", self.doc.newline)
        return text, (
            f"the single stage builds ({'; '.join(plan.reasons)}) and ships its build tools; "
            f"split into a {variables['builder_name']} stage and a runtime stage on {variables['runtime_image']}{what}"
        ), interface_change

    def _check_it_pays(self, plan: _Plan, project: Project, runtime_image: str) -> None:
        """Convert only when the runtime stage drops something real: a full base image for a
        slim or distroless one, build packages (compilers, -dev headers), development
        dependencies, or everything but a build output (the image changes then). A slim
        image that only installs pure dependencies would get larger: the venv copies pip
        and setuptools again."""
        if runtime_image != str(self.stage.image):
            return
        if plan.build_packages:
            return
        if project.lang == "node" and project.dev_dependencies:
            flags = set(command_names("production_install"))
            installs = [w for run in plan.build_runs for w in run if w and w[0] in ("npm", "yarn", "pnpm")]
            production = any(flags & set(w) for w in installs) or self._node_env_production(installs)
            if not production:
                return
        why = {
            "python": "; a split would only add copies (the venv brings its own pip and setuptools)",
            "node": "" if "package.json" in project.evidence else "; no package.json was read to find devDependencies",
        }.get(project.lang or "", "")
        raise _NotWorth(
            f"the base image {self.stage.base_text} is already the runtime image and the build installs "
            f"no build packages or development dependencies that a runtime stage could leave out{why}"
        )

    def _node_env_production(self, installs: list[list[str]]) -> bool:
        """NODE_ENV=production makes npm and yarn skip devDependencies (unless --include=dev)."""
        if any("--include=dev" in w or "--production=false" in w for w in installs):
            return False
        return any(
            re.search(r"(^|\s)NODE_ENV(=|\s+)[\"']?production\b", " ".join(i.value or [])) for i in self.stage.of("ENV")
        )

    def _copy_flags(self, plan: _Plan) -> str:
        """`` --chown=...`` for the artefact copies when the builder's app files had an owner."""
        owners = set()
        for _dest, chunk in plan.app_copies:
            owners |= {f.split("=", 1)[1] for f in chunk.instr.flags or [] if f.startswith("--chown=")}
        if not owners:
            return ""
        if len(owners) > 1:
            raise Refused(f"the app's files are copied with several owners ({', '.join(sorted(owners))})")
        return f" --chown={owners.pop()}"

    def _templates_dir(self) -> Path | None:
        return Path(self.templates) if self.templates else None

    # ---------------------------------------------------------------- entrypoint helpers

    def _entry_words(self) -> list[tuple[Instruction, list[str]]]:
        return [(i, list(i.value or [])) for i in self.stage.of("ENTRYPOINT", "CMD")]

    def _check_entry(self, plan: _Plan, forbidden: set[str]) -> None:
        for instr, words in self._entry_words():
            flat = " ".join(words).split()
            hit = next((w for w in flat if w.rsplit("/", 1)[-1] in forbidden), None)
            if hit:
                raise Refused(f"{instr.cmd} at line {instr.start_line} runs {hit}, a build tool the runtime stage does not have")

    def _slim_image(self, name: str) -> str:
        """The same image's slim variant (the catalogue's ``slim`` rules, as the slim transform
        reads them); a slim or Alpine tag is kept as it is."""
        image = self.stage.image
        tag = image.tag or "latest"
        if "slim" in tag or "alpine" in tag:
            return str(image)
        if tag == "latest":
            return str(image.with_tag("slim"))
        slim = catalogue.rewrite_tag((catalogue.image_entry(name) or {}).get("slim", []), tag)
        if slim is None:
            raise Refused(f"no slim variant of {name}:{tag} is known")
        return str(image.with_tag(slim[0]))

    def _base_is(self, *names: str) -> bool:
        familiar = self.stage.image.familiar if self.stage.image else ""
        return familiar.rsplit("/", 1)[-1] in names

    # ---------------------------------------------------------------- ecosystems

    def _python(self, plan: _Plan, project: Project) -> tuple[dict, str]:
        if not self._base_is("python"):
            raise Refused(f"the base image {self.stage.base_text} is not a python image: the venv would not match the runtime's Python")
        for run in plan.build_runs:
            for words in run:
                if words[0].rsplit("/", 1)[-1] in ("pip", "pip3") or words[:3] in (["python", "-m", "pip"], ["python3", "-m", "pip"]):
                    bad = next((w for w in words if w.split("=", 1)[0] in ("--user", "--target", "-t", "--prefix", "--root", "--system")), None)
                    if bad:
                        raise Refused(f"pip install {bad} writes outside the virtualenv")
                    if words[0].startswith("/") and not words[0].startswith(VENV):
                        raise Refused(f"{words[0]} is outside the virtualenv")
                if words[0] in ("uv",) and "--system" in words:
                    raise Refused("uv pip install --system writes outside the virtualenv")
        self._check_entry(plan, {"pip", "pip3", "poetry", "pipenv"})
        return {"runtime_image": self._slim_image("python"), "venv": VENV}, ""

    def _node(self, plan: _Plan, project: Project) -> tuple[dict, str]:
        if not self._base_is("node"):
            raise Refused(f"the base image {self.stage.base_text} is not a node image")
        tools = {w[0] for run in plan.build_runs for w in run}
        words = [" ".join(w) for run in plan.build_runs for w in run]
        self._check_entry(plan, {"tsc", "webpack", "vite"})
        if project.static_output:
            if plan.needs_shell or plan.runtime_packages:
                raise Refused("a static front-end is served by nginx; the RUN lines or packages meant for the runtime would not apply there")
            if not any(re.search(r"\b(npm|yarn|pnpm)( run)? build\b", w) for w in words):
                raise Refused(f"package.json has a build script for {project.framework} but no RUN line runs it")
            images = packages()["images"]
            out = f"{plan.app_dir}/{project.static_output}"
            exposed = sorted({w for i in self.stage.of("EXPOSE") for w in i.value or []})
            was = f"port {', '.join(exposed)} (EXPOSE)" if exposed else "the development server's port"
            meta = [t for t in plan.metadata if re.match(r"^(\s*#[^\n]*\n)*\s*LABEL\b", t.lstrip("\n"), re.I)]
            return {
                "variant": "-static",
                "runtime_image": images["nginx"],
                "output_dir": out,
                "web_root": images["nginx_root"],
                "port": images["nginx_port"],
                "metadata": meta,
                "runtime_packages": [],
                # a dev server becomes nginx: another port and another command, whatever the user
                # publishes or probes today stops answering
                "interface_change": f"the container serves on port {images['nginx_port']} instead of {was}",
            }, (
                f": a static {project.framework} front-end served by unprivileged nginx from {project.static_output}/ "
                f"on port {images['nginx_port']} (the development server's CMD, EXPOSE and HEALTHCHECK were dropped)"
            )
        self._check_node_runtime_commands(project)
        if "yarn" in tools:
            prune = "yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline"
        elif "pnpm" in tools:
            prune = "pnpm prune --prod"
        else:
            # npm 6 (node ≤ 14) ignores --omit; --production works there and still on npm 10
            major = re.match(r"(\d+)", self.stage.image.tag or "") if self.stage.image else None
            old_npm = major is not None and int(major.group(1)) <= 14
            prune = "npm prune --production" if old_npm else "npm prune --omit=dev"
        return {"runtime_image": self._slim_image("node"), "prune": prune}, ""

    def _check_node_runtime_commands(self, project: Project) -> None:
        """The runtime keeps production dependencies only: a CMD that runs a devDependency's
        command (``npm start`` -> ``nodemon server.js``) would fail there."""
        for instr, words in self._entry_words():
            commands = split_commands(" ".join(words)) if not instr.json else [words]
            seen: set[str] = set()
            while commands:
                cmd = commands.pop(0)
                tool = cmd[0].rsplit("/", 1)[-1] if cmd else ""
                if tool in ("sh", "bash") and "-c" in cmd[1:-1]:
                    commands += split_commands(cmd[cmd.index("-c") + 1])
                    continue
                if tool == "npx" and len(cmd) > 1:
                    tool = next((w for w in cmd[1:] if not w.startswith("-")), "")
                script = None
                if tool in ("npm", "yarn", "pnpm") and len(cmd) > 1:
                    args = [w for w in cmd[1:] if not w.startswith("-")]
                    if args[:1] in (["start"], ["test"]):
                        script = args[0]
                    elif args[:1] in (["run"], ["run-script"]) and len(args) > 1:
                        script = args[1]
                    elif tool != "npm" and args and args[0] in project.node_scripts:
                        script = args[0]  # yarn dev, pnpm dev
                if script is not None:
                    for name in (f"pre{script}", script, f"post{script}"):  # npm runs the hooks too
                        if name in project.node_scripts and name not in seen:
                            seen.add(name)
                            commands += split_commands(project.node_scripts[name])
                elif tool in project.dev_bins:
                    raise Refused(
                        f"{instr.cmd} at line {instr.start_line} runs {tool}"
                        + (f" (through the package.json script{'s' * (len(seen) > 1)} {', '.join(sorted(seen))})" if seen else "")
                        + ", a command of a devDependency that the runtime's production install does not have"
                    )

    def _go(self, plan: _Plan, project: Project) -> tuple[dict, str]:
        if project.framework == "cgo":
            raise Refused('a Go source imports "C": a static CGO_ENABLED=0 build would fail')
        if plan.needs_shell or plan.runtime_packages:
            raise Refused("the runtime stage would need RUN lines or packages, and distroless static has no shell")
        binary = None
        for run in plan.build_runs:
            moved = False  # a `cd` earlier in the RUN: relative paths are not under the WORKDIR
            for words in run:
                moved = moved or words[0] in ("cd", "pushd")
                if words[:2] == ["go", "build"]:
                    binary = _go_output(words[2:], project, moved)
        if not binary:
            raise Refused("no `go build -o PATH` line: the binary's location is unclear")
        if not binary.startswith("/"):
            binary = f"{plan.app_dir}/{binary.removeprefix('./')}"
        if not valid_path(binary) or binary.endswith("/"):
            raise Refused(f"binary path {binary!r} is not a plain path")
        self._check_binary_entry(binary, plan, {"go"})
        return {"runtime_image": packages()["images"]["go"], "binary": binary}, ""

    def _check_binary_entry(self, binary: str, plan: _Plan, forbidden: set[str]) -> None:
        self._check_entry(plan, forbidden)
        entries = self._entry_words()
        if not entries:
            raise Refused("no CMD or ENTRYPOINT names the binary")
        for instr, words in entries:
            if not instr.json:
                raise Refused(f"{instr.cmd} at line {instr.start_line} is in shell form and the runtime image has no shell")
        first = entries[0][1][0] if entries[0][1] else ""
        path = first if first.startswith("/") else f"{plan.app_dir}/{first.removeprefix('./')}"
        if path != binary:
            raise Refused(f"{entries[0][0].cmd} runs {first}, not the built binary {binary}")

    def _java(self, plan: _Plan, project: Project) -> tuple[dict, str]:
        self._check_entry(plan, {"mvn", "mvnw", "gradle", "gradlew"})
        if not any(w and w[0].rsplit("/", 1)[-1] in {"mvn", "mvnw", "gradle", "gradlew"} for run in plan.build_runs for w in run):
            raise Refused("no RUN line builds the jar with Maven or Gradle")
        jar = None
        for _instr, words in self._entry_words():
            flat = " ".join(words).split()
            if "-jar" in flat and flat.index("-jar") + 1 < len(flat):
                candidate = flat[flat.index("-jar") + 1]
                if "*" not in candidate and "$" not in candidate:
                    jar = candidate
        jar = jar or project.jar
        if not jar:
            raise Refused("the jar's name is not known (no `java -jar PATH` and no artifactId/version or rootProject.name)")
        if not jar.startswith("/"):
            jar = f"{plan.app_dir}/{jar}"
        if not valid_path(jar):
            raise Refused(f"jar path {jar!r} is not a plain path")
        tag = self.stage.image.tag or ""
        m = re.search(r"(?:jdk-?|temurin-|corretto-|^)(\d{1,2})(?:[.-]|$)", tag)
        version = m.group(1) if m and int(m.group(1)) >= 8 and not self._base_is("maven", "gradle") else None
        if self._base_is("maven", "gradle"):
            m = re.search(r"(?:jdk-?|temurin-|corretto-|openjdk-?)(\d{1,2})\b", tag)
            version = m.group(1) if m else None
        version = version or project.java_version
        if not version or not is_number(version):
            raise Refused("the Java version is not known from the image tag or the build file")
        return {"runtime_image": packages()["images"]["java"].format(version=version), "jar": jar}, ""

    def _rust(self, plan: _Plan, project: Project) -> tuple[dict, str]:
        self._check_entry(plan, {"cargo", "rustup"})
        release = any(w[:2] == ["cargo", "build"] and "--release" in w for run in plan.build_runs for w in run)
        if not release:
            raise Refused("no `cargo build --release` line: the binary's location is unclear")
        entries = self._entry_words()
        names = list(project.binaries)
        first = entries[0][1][0] if entries and entries[0][1] else ""
        name = first.rsplit("/", 1)[-1]
        if name not in names:
            raise Refused(f"CMD/ENTRYPOINT does not run a binary Cargo.toml names ({', '.join(names) or 'none found'})")
        binary = f"{plan.app_dir}/target/release/{name}"
        images = packages()["images"]
        needs_shell = plan.needs_shell or bool(plan.runtime_packages) or any(not i.json for i, _ in entries)
        runtime = images["rust_with_shell"] if needs_shell else images["rust"]
        target = first if first.startswith("/") else f"{plan.app_dir}/{first.removeprefix('./')}"
        if not valid_path(target) or not valid_name(name):
            raise Refused(f"binary path {target!r} is not a plain path")
        return {"runtime_image": runtime, "binary": binary, "binary_target": target}, ""


# `go build` flags that take a value as the next word (the others are booleans)
_GO_VALUE_FLAGS = {
    "o", "p", "C", "asmflags", "buildmode", "buildvcs", "compiler", "gccgoflags", "gcflags", "installsuffix",
    "ldflags", "mod", "modfile", "overlay", "pgo", "pkgdir", "tags", "toolexec", "covermode", "coverpkg",
}


def _go_output(args: list[str], project: Project, moved: bool) -> str | None:
    """Where ``go build ARGS`` writes the executable (relative to the folder it runs in), as
    the go command decides: ``-o FILE`` / ``-o=FILE``; ``-o DIR/`` or no ``-o``: a file named
    after the package (its folder for ``./cmd/api``, the module for ``.``), or after the first
    file for ``go build main.go``. Raises Refused where that is not one known path."""
    output, packages, i = None, [], 0
    while i < len(args):
        word = args[i]
        if word.startswith("-") and word != "-":
            name, eq, value = word.lstrip("-").partition("=")
            if name in _GO_VALUE_FLAGS and not eq:
                value, i = (args[i + 1] if i + 1 < len(args) else ""), i + 1
            if name == "o":
                output = value
            elif name == "C":
                raise Refused("go build -C changes the folder it builds in")
        else:
            packages.append(word)
        i += 1
    if output and not output.endswith("/"):
        if moved and not output.startswith("/"):
            raise Refused(f"go build -o {output} runs after a cd: the binary's folder is unclear")
        return output
    if any("..." in pkg for pkg in packages) or len({p for p in packages if not p.endswith(".go")}) > 1:
        raise Refused("go build builds several packages: which binary runs is unclear")
    if moved and not (output or "").startswith("/"):
        raise Refused("go build runs after a cd: the binary's folder is unclear")
    package = packages[0] if packages else "."
    if package.endswith(".go"):
        name = package.rsplit("/", 1)[-1].removesuffix(".go")
    elif package in (".", "./"):
        name = project.name  # the module's own name, from go.mod
    else:
        name = go_binary_name(package)  # a folder (./cmd/api) or an import path: its last element
    if not name or not valid_name(name):
        return None
    return f"{output}{name}" if output else name


TRANSFORM = MultiStage()
