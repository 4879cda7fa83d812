"""Renders the split: the plan's builder and runtime steps, the ecosystem's template variables
(``ecosystems.<lang>.conversion``), checks on every value that reaches the template, and the
file's own style (lower-case keywords, CRLF, what follows the stage) kept.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...analysis import catalogue
from ...analysis.stages import Analysis, Stage
from ...document.model import Document
from ...document.parser import KNOWN_KEYWORDS, Instruction
from .. import ecosystems
from ..ecosystems import detect
from ..ecosystems.base import Project, Refused
from ..options import Options
from ..templates import render
from .plan import PACKAGE_NAME, Plan, Planner, command_names

_PLATFORM_FLAG = re.compile(r"^--platform=[A-Za-z0-9_./${},-]{1,128}$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]{0,200}(@sha256:[0-9a-f]{64})?$")


def _collapse_blank_runs(text: str, verbatim: list[str]) -> str:
    """Runs of blank lines that the template's empty optional blocks leave, made one; the
    user's own (the new lines of the run that lie in the instructions passed through
    ``verbatim``, plus the line they follow) stay as they were."""
    kept = [(at, at + len(block)) for block in verbatim if block and (at := text.find(block)) >= 0]

    def blank_lines(m: re.Match) -> str:
        theirs = max((min(m.end(), end) - max(m.start(), start) for start, end in kept), default=0)
        return "\n" * max(2, min(len(m.group()), theirs + 1))

    return re.sub(r"\n{3,}", blank_lines, text)


_KEYWORD = re.compile(r"^(\s*)([A-Z]+)\b")
# blank (or spaces-only) lines a copied block starts with: the template decides the spacing there
_LEADING_BLANKS = re.compile(r"\A(?:[ \t]*\n)+")


def _lower_keyword(line: str) -> str:
    m = _KEYWORD.match(line)
    if m is None or m.group(2) not in KNOWN_KEYWORDS:
        return line
    return m.group(1) + m.group(2).lower() + line[m.end() :]


class Unknown(Exception):
    """The stage builds, but for no ecosystem imgfix knows."""


class NotWorth(Exception):
    """The runtime stage would drop nothing real: a split would only add copies (a venv's pip)."""


class Converter:
    def __init__(self, doc: Document, analysis: Analysis, options: Options, stage: Stage) -> None:
        self.doc, self.analysis, self.options, self.stage = doc, analysis, options, stage
        self.templates = options.templates

    # ---------------------------------------------------------------- convert

    def convert(self) -> tuple[str | None, str, str]:
        """(the new text from the stage on, what it did, how it changes the container's
        interface: empty for a safe conversion)."""
        stage = self.stage
        if self.doc.escape != "\\":
            raise Refused("the file uses a non-default escape character")
        # the language decides the plan; the project's files are read only for a stage that builds
        language = detect(self.analysis.context, stage.base, read=False)
        plan = Planner(self.doc, stage).plan(language.lang)
        generic = any(w and w[0] in command_names("generic_build") for run in plan.build_runs for w in run)
        if not plan.builds:
            return None, "", ""
        if language.lang is not None and plan.refusals:
            raise Refused(plan.refusals[0])
        if language.lang is None:
            raise Unknown(
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
        variables, what = ecosystems.module(project.lang).conversion(self, plan, project)
        self._check_it_pays(plan, project, variables["runtime_image"])
        interface_change = variables.pop("interface_change", "")
        variables.setdefault("runtime_packages", plan.runtime_packages)
        variables.setdefault("package_manager", plan.manager)
        for pkg in variables["runtime_packages"]:
            if not PACKAGE_NAME.match(pkg):
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

    def _check_it_pays(self, plan: Plan, project: Project, runtime_image: str) -> None:
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
        raise NotWorth(
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

    def _copy_flags(self, plan: Plan) -> str:
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

    # ---------------------------------------------------------------- for the ecosystems (ecosystems.base.Conversion)

    def entry_words(self) -> list[tuple[Instruction, list[str]]]:
        return [(i, list(i.value or [])) for i in self.stage.of("ENTRYPOINT", "CMD")]

    def check_entry(self, plan: Plan, forbidden: set[str]) -> None:
        for instr, words in self.entry_words():
            flat = " ".join(words).split()
            hit = next((w for w in flat if w.rsplit("/", 1)[-1] in forbidden), None)
            if hit:
                raise Refused(f"{instr.cmd} at line {instr.start_line} runs {hit}, a build tool the runtime stage does not have")

    def slim_image(self, name: str) -> str:
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

    def base_is(self, *names: str) -> bool:
        familiar = self.stage.image.familiar if self.stage.image else ""
        return familiar.rsplit("/", 1)[-1] in names
