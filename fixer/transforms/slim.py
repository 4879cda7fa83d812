"""SLM: run on the slim variant of a full base image, when the build still works on it.

## What it does
Swaps the base image of the stages that end up in the built image (the final stage, stages
named with ``--target``, and the stages they are built ``FROM``) for its slim variant from the
catalogue: ``python:3.11`` → ``python:3.11-slim``, ``python:3.11-bookworm`` →
``python:3.11-slim-bookworm``, ``node:20`` → ``node:20-slim``, ``debian:bookworm`` →
``debian:bookworm-slim``, ``ruby:3.3`` → ``ruby:3.3-slim``, a JDK used only to run →
its JRE, the deprecated ``openjdk`` → ``eclipse-temurin:<v>-jre``. A FROM built from an ARG
gets the ARG's default rewritten instead. It also reports bases past their end of life and
bases without a tag (or ``latest``), without guessing a replacement.

## Why is this bad?
A full language image carries a compiler toolchain, version control, -dev headers and a few
hundred MB of libraries the application never uses at run time: a bigger download, a slower
start, and many more packages for scanners to flag and attackers to use.

## Example
    FROM python:3.11
    RUN curl -fsSL https://example.com/x -o /x
    CMD ["python", "app.py"]

## Use instead
    FROM python:3.11-slim
    RUN apt-get update \\
        && apt-get install -y --no-install-recommends curl ca-certificates \\
        && rm -rf /var/lib/apt/lists/*
    RUN curl -fsSL https://example.com/x -o /x
    CMD ["python", "app.py"]

## Fix safety
The stage's RUN lines are parsed with a shell parser to find what they use. A tool the slim
variant lacks (curl, wget, git, ssh, gpg, unzip, ...) is added to the stage's own
``apt-get install`` (or to a new one with ``--no-install-recommends`` and the apt lists
removed). A stage that compiles (gcc, make, -dev headers, pip/npm/gem packages that build
native code, javac) keeps its full base: splitting build from run is the multistage
transform's job. A RUN the parser cannot read, a dependency file that cannot be read, a swap
that would change the distro (Debian → Alpine, an install with another package manager)
without ``--allow-distro-switch``, and digest-pinned bases are reported and left alone.

## References
Docker's "Choose the right base image" best practice; hadolint DL3006/DL3007 (untagged and
``latest`` bases); docker-library's image variants documentation.
"""

from __future__ import annotations

import re

from ..analysis import catalogue
from ..analysis.shellusage import (
    Command,
    Usage,
    package_name,
    runtime_commands,
    stage_usage,
)
from ..analysis.stages import Analysis, Stage
from ..document.imageref import RESERVED, join_reference, locate, split_reference
from ..document.model import Document, Edit
from . import Result
from .lean import new_apt_install
from .options import Options

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "SLM001": ("warning", "A full base image has a slim variant", "safe"),
    "SLM002": ("info", "The base stays full: the stage needs what the slim variant lacks", "none"),
    "SLM003": ("warning", "The base image is past its end of life", "none"),
    "SLM004": ("warning", "The base image has no tag or uses latest", "none"),
    "SLM005": ("info", "The smaller variant would switch the distro", "none"),
    "SLM006": ("info", "The base image cannot be rewritten here", "none"),
}

_APT_FAMILIES = {"debian", "ubuntu"}


class Slim:
    code = "SLM"
    name = "slim"
    summary = "Swap full runtime base images for their slim variants when the stage still builds; flag EOL and untagged bases."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        result = Result()
        for stage in analysis.stages:
            if stage.parent is None and stage.image is not None:
                _check_support(stage, result)
        roots: list[Stage] = []
        for stage in self._runtime_stages(analysis, options):
            root = stage.root_image
            if root.image is not None and root not in roots:
                roots.append(root)
        claimed: dict[tuple[int, int, int], str] = {}
        for root in roots:
            _RootFix(doc, analysis, options, root, result, claimed).run()
        return result

    @staticmethod
    def _runtime_stages(analysis: Analysis, options: Options) -> list[Stage]:
        stages = [analysis.final_stage] if analysis.final_stage else []
        for name in options.targets:
            stage = analysis.stage_named(name)
            if stage is not None and stage not in stages:
                stages.append(stage)
        return stages


def _finding(result: Result, code: str, line: int, message: str, fixed: bool = False) -> None:
    result.add(CODES, code, line, message, fixed)


def _check_support(stage: Stage, result: Result) -> None:
    image = stage.image
    line = stage.from_instr.start_line
    if image.familiar in RESERVED:
        return
    if image.digest is None and (image.tag is None or image.tag == "latest"):
        what = "has no tag" if image.tag is None else "uses the latest tag"
        _finding(
            result,
            "SLM004",
            line,
            f"{stage.base} {what}: the build changes whenever a new release is pushed; "
            "name the version you test with (imgfix does not guess it)",
        )
    if stage.facts.known and catalogue.is_eol(stage.facts, image.tag):
        _finding(
            result,
            "SLM003",
            line,
            f"{stage.base} is past its end of life and gets no security fixes; "
            "move to a supported release (imgfix does not guess which)",
        )


class _RootFix:
    """Decides and makes the swap for one base image that ends up in the built image."""

    def __init__(self, doc, analysis, options, root: Stage, result: Result, claimed) -> None:
        self.doc, self.analysis, self.options, self.root, self.result = doc, analysis, options, root, result
        self.claimed = claimed
        self.line = root.from_instr.start_line
        # every stage built on this base: what any of them runs must work on the new one
        self.consumers = [s for s in analysis.stages if s.root_image is root]

    def info(self, code: str, message: str) -> None:
        _finding(self.result, code, self.line, message)

    def run(self) -> None:
        root, image, facts = self.root, self.root.image, self.root.facts
        if not facts.known or image.familiar in RESERVED:
            return
        entry = facts.entry
        if entry.get("role") not in ("runtime", "os", "server"):
            return
        if image.tag is None or image.tag == "latest" or image.digest:
            if image.digest and self._candidate() is not None:
                self.info("SLM006", f"{root.base} is pinned by digest; its slim variant has another digest: left alone")
            return
        candidate = self._candidate()
        if candidate is None:
            return
        new_name, new_tag, new_family, kind = candidate
        current_family = facts.family.name if facts.family else None
        new_ref = join_reference(new_name, new_tag, None)
        lacks = entry.get("lacks", []) if kind in ("slim", "replace") else []
        triggered = next((i for s in self.consumers for i in s.of("ONBUILD") if i.sub and i.sub.cmd == "RUN"), None)
        if triggered is not None:
            self.info(
                "SLM002",
                f"{root.base} stays: the ONBUILD RUN on line {triggered.start_line} runs in the images built from "
                f"this one, with their files; what it needs from {new_ref} cannot be checked",
            )
            return
        instructions = [i for s in self.consumers for i in s.instructions]
        usage = stage_usage([i for i in instructions if i.cmd == "RUN"])
        runtime_commands(instructions, usage)
        if usage.unparsed:
            line, why = usage.unparsed[0]
            self.info("SLM002", f"{root.base} stays: line {line} cannot be checked ({why}), so {new_ref} might lack what it uses")
            return
        managers = [c for c in usage.commands if catalogue.family_for_package_manager(c.name)]
        if new_family != current_family:
            allowed = self.options.allow_distro_switch or kind == "replace"
            if managers and not (self.options.allow_distro_switch and _same_manager(current_family, new_family)):
                self.info(
                    "SLM005",
                    f"{root.base} → {new_ref} would switch from {current_family} to {new_family}, and line "
                    f"{managers[0].run.start_line} installs packages with {managers[0].name}: left alone",
                )
                return
            if not allowed:
                self.info("SLM005", f"{root.base} → {new_ref} would switch from {current_family} to {new_family}: left alone (--allow-distro-switch allows it)")
                return
        blockers, additions = self._needs(usage, lacks, new_family)
        if blockers:
            self.info("SLM002", f"{root.base} stays: {blockers[0]}" + (f" (and {len(blockers) - 1} more)" if len(blockers) > 1 else ""))
            return
        site, why = locate(root, self.analysis)
        if site is None:
            self.info("SLM006", f"{root.base} could become {new_ref}, but {why}: left alone")
            return
        name, _, _ = split_reference(site.reference)
        if kind == "replace":
            name = name[: len(name) - len(image.path.rsplit("/", 1)[-1])] + new_name.rsplit("/", 1)[-1]
        new_text = join_reference(name, new_tag, None)
        edit, how = site.edit(self.doc, new_text, self.claimed)
        if edit is None:
            if how:
                self.info("SLM006", f"{root.base} could become {new_ref}, but {how}: left alone")
            return
        edits: list[Edit] = [edit]
        for add in additions:
            edits.append(add[0])
        self.result.edits.extend(edits)
        via = f" (through the default of ARG {site.arg} on line {site.arg_instr.start_line})" if how == "arg" else ""
        added = sorted({p for _, pkgs in additions for p in pkgs})
        extra = f"; the stage now installs {' '.join(added)} itself" if added else ""
        reason = {
            "slim": "its slim variant",
            "replace": f"the maintained replacement of the deprecated {image.familiar} image",
            "alpine": "its Alpine variant (--allow-distro-switch: musl libc and apk)",
            "minimal": "its minimal variant (--allow-distro-switch: microdnf; the stage installs no packages)",
        }[kind]
        _finding(self.result, "SLM001", self.line, f"{root.base} → {new_ref}, {reason}{via}{extra}", fixed=True)

    # ------------------------------------------------------------------ decisions

    def _candidate(self) -> tuple[str, str, str | None, str] | None:
        """(image name, tag, family, kind) of the smaller variant, or None."""
        image, facts = self.root.image, self.root.facts
        entry = facts.entry
        family = facts.family.name if facts.family else None
        found = catalogue.rewrite_tag(entry.get("slim", []), image.tag)
        if found:
            return image.familiar, found[0], family, "slim"
        found = catalogue.rewrite_tag(entry.get("replacement", []), image.tag)
        if found:
            rule = found[1]
            return rule["image"], found[0], rule.get("family", family), "replace"
        if self.options.allow_distro_switch:
            found = catalogue.rewrite_tag(entry.get("minimal", []), image.tag)
            if found:
                return image.familiar, found[0], found[1].get("family", family), "minimal"
            found = catalogue.rewrite_tag(entry.get("alpine", []), image.tag)
            if found:
                return image.familiar, found[0], "alpine", "alpine"
        return None

    def _needs(self, usage: Usage, lacks: list[str], family: str | None) -> tuple[list[str], list[tuple[Edit, list[str]]]]:
        """Why the stage cannot move (blockers), or the package installs that make it work."""
        needs = catalogue.slim_needs()
        installs = usage.apt_installs()
        installed = {p.split("=", 1)[0] for _, pkgs in installs for p in pkgs}
        blockers: list[str] = []
        missing: dict[str, tuple[Command, list[str]]] = {}
        by_command = {c: key for key in lacks for c in needs.get(key, {}).get("commands", [])}
        for cmd in usage.commands:
            key = by_command.get(cmd.name) or by_command.get(cmd.words[0])
            if key is None and "git" in lacks and any(w.startswith("git+") for w in cmd.words[1:]):
                key = "git"  # pip/npm install git+https://...: the installer runs git
            if key is None:
                continue
            need = needs[key]
            provided = [p for p in need.get("apt", []) if p in installed] or (cmd.name in installed)
            if need.get("compile"):
                if not (installed & {"build-essential", "gcc", "g++", "make", "default-jdk", "default-jdk-headless"}):
                    blockers.append(f"line {cmd.run.start_line} calls {cmd.name}, which the slim variant lacks (a compiler toolchain: the multistage transform separates building from running)")
                continue
            if provided:
                if not self._installed_before(installs, need.get("apt", []) + [cmd.name], cmd):
                    blockers.append(f"line {cmd.run.start_line} calls {cmd.name} before the stage installs it")
                continue
            missing.setdefault(key, (cmd, need.get("apt", [])))
        if "dev-headers" in lacks:
            blockers += self._compiling_packages(usage, installed)
        if blockers:
            return blockers, []
        additions: list[tuple[Edit, list[str]]] = []
        if missing:
            if family not in _APT_FAMILIES:
                first = next(iter(missing.values()))[0]
                return [f"line {first.run.start_line} calls {first.name}, which the slim variant lacks"], []
            first_use = min((c for c, _ in missing.values()), key=lambda c: c.order)
            packages: list[str] = []
            for _, pkgs in missing.values():
                packages += [p for p in pkgs if p not in packages and p not in installed]
            edit, why = self._add_packages(installs, first_use, packages)
            if edit is None:
                return [why], []
            additions.append((edit, packages))
        return [], additions

    def _installed_before(self, installs, packages: list[str], use: Command) -> bool:
        return any(cmd.order < use.order and set(pkgs) & set(packages) for cmd, pkgs in installs)

    def _compiling_packages(self, usage: Usage, installed: set[str]) -> list[str]:
        """pip/npm/gem installs of packages that build native code on a slim image."""
        out = []
        has_compiler = bool(installed & {"build-essential", "gcc", "g++"})
        for manager, cmd, packages, files in usage.language_installs():
            compiles = catalogue.compiling_packages(manager)
            names = [n for n in (package_name(p) for p in packages) if n]
            for file in files:
                text = self._read_dependency_file(cmd, file)
                if text is None:
                    if manager == "npm" and file == "package.json" and not self._copied(file):
                        continue  # nothing copied: the install cannot read one either
                    if manager == "gem" and file != files[-1]:
                        continue
                    out.append(f"line {cmd.run.start_line} installs from {file}, which cannot be read to check for packages that compile")
                    break
                names += _dependency_names(manager, file, text)
                if manager == "gem":
                    break
            for name in names:
                if name in compiles:
                    headers = compiles[name]
                    if has_compiler and all(h in installed for h in headers):
                        continue
                    what = " and ".join(["a C compiler"] + headers) if headers else "a C compiler"
                    out.append(f"line {cmd.run.start_line} installs {name} ({manager}), which builds native code and needs {what}")
        return out

    def _copied(self, file: str) -> bool:
        base = file.rsplit("/", 1)[-1]
        for stage in self.consumers:
            for copy in stage.of("COPY", "ADD"):
                if any(f.startswith("--from") for f in copy.flags or []):
                    continue
                for src in (copy.value or [])[:-1]:
                    if src.rstrip("/") in (".", "./", "") or src.rstrip("/").rsplit("/", 1)[-1] == base:
                        return True
        return False

    def _read_dependency_file(self, cmd: Command, file: str) -> str | None:
        if self.analysis.context is None:
            return None
        from ..document.context import BuildContext

        context = BuildContext(self.analysis.context)
        base = file.rsplit("/", 1)[-1]
        candidates = [file.lstrip("/"), base]
        for stage in self.consumers:
            for copy in stage.of("COPY", "ADD"):
                if any(f.startswith("--from") for f in copy.flags or []):
                    continue
                for src in (copy.value or [])[:-1]:
                    if src.rstrip("/").rsplit("/", 1)[-1] == base:
                        candidates.insert(0, src)
        for candidate in candidates:
            text = context.read_text(candidate)
            if text is not None:
                return text
        return None

    def _add_packages(self, installs, first_use: Command, packages: list[str]) -> tuple[Edit | None, str]:
        """Add packages to the stage's own apt-get install before ``first_use``, or a new RUN."""
        names = " ".join(packages)
        if not re.fullmatch(r"[a-z0-9][a-z0-9.+-]*( [a-z0-9][a-z0-9.+-]*)*", names):
            return None, f"the packages {names!r} are not valid Debian package names"
        use_stage = self._stage_of(first_use.run)
        for cmd, pkgs in installs:
            if cmd.order >= first_use.order or self._stage_of(cmd.run) not in (use_stage, self.root):
                continue
            spans = [s for w, s in zip(cmd.words, cmd.spans) if w in pkgs]
            if not spans or spans[-1] is None:
                continue
            start, end = spans[-1]
            run = cmd.run
            edit = self.doc.replace_span(run, end - 1, end, run.text[end - 1] + " " + names)
            if edit is not None:
                return edit, ""
        run = first_use.run
        indent = self.doc.indent_of(run)
        # the install line the lean transform would leave as it is (fixer/data/lean.toml)
        text = self.doc.render_instruction("RUN", *new_apt_install(names), indent=indent)
        return self.doc.insert_before(run, text), ""

    def _stage_of(self, run) -> Stage | None:
        for stage in self.consumers:
            if any(i is run for i in stage.instructions):
                return stage
        return None


def _same_manager(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return set(catalogue.family(a).package_managers) == set(catalogue.family(b).package_managers)


def _dependency_names(manager: str, file: str, text: str) -> list[str]:
    names: list[str] = []
    if manager == "pip":
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            name = package_name(line)
            if name:
                names.append(name)
    elif manager == "npm":
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return names
        for key in ("dependencies", "devDependencies", "optionalDependencies"):
            deps = data.get(key) or {}
            if isinstance(deps, dict):
                names += [str(k) for k in deps]
    elif manager == "gem":
        if file.endswith(".lock"):
            names += re.findall(r"^    ([A-Za-z0-9_.-]+) \(", text, re.M)
        else:
            names += re.findall(r"""^\s*gem\s+['"]([A-Za-z0-9_.-]+)['"]""", text, re.M)
    return names


TRANSFORM = Slim()
