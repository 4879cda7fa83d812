"""The plan of a multi-stage split: each instruction of the single stage routed to the builder,
the runtime stage or both, the RUN lines classified by the commands they call (package
installs, builds, user and folder setup), and the runtime packages the build packages need.
Anything it cannot place with confidence is a refusal, in order.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import cache

from ...analysis.stages import Stage, split_commands
from ...document.model import Document
from ...document.parser import Instruction
from ..ecosystems.base import Refused, packages, valid_path

PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.~_-]{0,127}(=[A-Za-z0-9+.~:_*-]{1,64})?$")
_CHOWN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})?$")
# the WORKDIR official images set (a relative WORKDIR resolves against it); others start at /
_IMAGE_WORKDIRS = {"golang": "/go", "php": "/var/www/html", "httpd": "/usr/local/apache2", "tomcat": "/usr/local/tomcat",
                   "wordpress": "/var/www/html", "jetty": "/var/lib/jetty", "composer": "/app"}
_MKDIR_FLAGS = {"-p", "--parents", "-v", "--verbose"}
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
def command_names(kind: str) -> frozenset[str]:
    """Command names of a kind in ``[commands]`` of packages.toml; ``build``: every
    ecosystem's build tools and the generic ones."""
    table = packages()["commands"]
    if kind == "build":
        return frozenset().union(*map(frozenset, table["build"].values()), table["generic_build"])
    return frozenset(table[kind])


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
class Chunk:
    instr: Instruction
    text: str  # comments directly above + the instruction, newline-terminated


@dataclass
class Plan:
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
    # runtime entries that only create folders: (index in ``runtime``, the absolute folders);
    # a runtime without a shell gets them another way (``shell_free``)
    mkdirs: list[tuple[int, list[str]]] = field(default_factory=list)
    workdirs: list[str] = field(default_factory=list)  # every WORKDIR, absolute

    def shell_free(self, builder: str) -> None:
        """The runtime has no shell (distroless): each RUN that only creates folders becomes
        nothing where a later WORKDIR creates the folder, else a COPY --from of the folder
        the builder created (empty, or what the build put there, as in the original image)."""
        workdirs = self.workdirs
        for index, dirs in self.mkdirs:
            lines = [f"COPY --from={builder} {d} {d}\n" for d in dirs
                     if not any(w == d or w.startswith(d.rstrip("/") + "/") for w in workdirs)]
            self.runtime[index] = "".join(lines)
        self.mkdirs = []


class Planner:
    """Routes the instructions of ``stage`` into a ``Plan``."""

    def __init__(self, doc: Document, stage: Stage) -> None:
        self.doc, self.stage = doc, stage

    def _chunks(self) -> list[Chunk]:
        text, out = self.doc.text, []
        prev = self.stage.from_instr.end
        for instr in self.stage.instructions:
            line_start = self.doc.line_start(instr.start)
            # blank lines, comments and lines of only spaces/tabs above it stay byte-for-byte
            body = text[prev:line_start] + text[line_start : instr.end]
            body = body.replace("\r\n", "\n")
            if not body.endswith("\n"):
                body += "\n"
            out.append(Chunk(instr, body))
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

    def plan(self, lang: str | None) -> Plan:
        plan = Plan(lang or "")
        workdir = None
        dest_dirs: list[tuple[str, Chunk]] = []
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

    def _route(self, chunk: Chunk, plan: Plan, workdir: str | None, dest_dirs: list, lang: str | None) -> str | None:
        """Put one instruction in the builder, the runtime stage or both; returns the WORKDIR."""
        instr = chunk.instr
        cmd = instr.cmd
        if cmd in ("ARG", "ENV", "SHELL"):
            plan.builder.append(chunk.text)
            plan.runtime.append(chunk.text)
        elif cmd == "WORKDIR":
            raw = (instr.value or [""])[0]
            path, text = raw, chunk.text
            if not raw.startswith("/") and "$" not in raw:
                # relative: against the previous WORKDIR, else the base image's own; the
                # runtime stage (another image) gets the absolute path
                base = workdir or self._image_workdir()
                if base is None:
                    raise Refused(f"WORKDIR {raw} at line {instr.start_line} is relative and the base image's own WORKDIR is unknown")
                path = posixpath.normpath(posixpath.join(base, raw))
                text = re.sub(rf"(\s){re.escape(raw)}(\s*)$", lambda m: f"{m.group(1)}{path}{m.group(2)}", chunk.text)
                if text == chunk.text:
                    raise Refused(f"WORKDIR {raw} at line {instr.start_line} could not be made absolute")
            workdir = path
            plan.workdirs.append(path)
            plan.builder.append(chunk.text)
            plan.runtime.append(text)
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
                dirs = _mkdir_only(commands, workdir or self._image_workdir())
                if dirs is not None:  # only creates folders: carried over as folders
                    plan.mkdirs.append((len(plan.runtime), dirs))
                else:
                    plan.needs_shell = True
                plan.runtime.append(chunk.text)
            else:
                plan.builder.append(chunk.text)
        else:
            plan.builder.append(chunk.text)
        return workdir

    def _image_workdir(self) -> str | None:
        """The WORKDIR the base image sets: / unless it is one that sets its own; None for
        an image the catalogue does not know."""
        root = self.stage.root_image
        if root.image is None:
            return None
        name = root.image.familiar.split(":", 1)[0].split("@", 1)[0].rsplit("/", 1)[-1]
        if name in _IMAGE_WORKDIRS:
            return _IMAGE_WORKDIRS[name]
        return "/" if root.facts.known else None

    def _finish(self, plan: Plan, workdir: str | None, dest_dirs: list) -> Plan:
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
    def _drop_builder_users(plan: Plan, dest_dirs: list) -> None:
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

    def _package_run(self, instr: Instruction, commands: list[list[str]], plan: Plan, both: bool) -> list[str]:
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
                if not PACKAGE_NAME.match(pkg):
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


def _mkdir_only(commands: list[list[str]], workdir: str | None) -> list[str] | None:
    """The absolute folders a RUN creates when all it does is ``mkdir [-p] DIR...``; None
    otherwise (other commands, other flags, variables)."""
    dirs: list[str] = []
    for words in commands:
        if not words or words[0].rsplit("/", 1)[-1] != "mkdir":
            return None
        for word in words[1:]:
            if word.startswith("-"):
                if word not in _MKDIR_FLAGS:
                    return None
                continue
            if "$" in word or any(c in word for c in "*?[{~"):
                return None
            if workdir is None and not word.startswith("/"):
                return None
            path = posixpath.normpath(posixpath.join(workdir or "/", word))
            if not valid_path(path) or path == "/":
                return None
            dirs.append(path)
    return dirs or None
