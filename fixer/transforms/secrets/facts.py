"""What counts as a secret (names and values: ``data/secrets.toml``), where RUN lines use it,
and the fixes the transform plans: the build-secret mounts and word removals they need.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from ...analysis.shellusage import (
    Command,
    Usage,
    script_of,
    simple_commands,
    stage_usage,
)
from ...analysis.stages import Analysis, Stage, is_root_user
from ...document.model import Document, Edit
from ...document.parser import Instruction

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "SEC001": ("warning", "A build argument that holds a secret reaches the image's history", "unsafe"),
    "SEC002": ("warning", "A credentials file is copied into a layer and removed later", "unsafe"),
    "SEC003": ("warning", "An ENV holds a secret: it stays in the image config", "none"),
    "SEC004": ("warning", "A secret build argument cannot be moved to a build secret", "none"),
    "SEC005": ("warning", "A copied credentials file cannot be moved to a build secret", "none"),
}

# instructions whose arguments the builder expands with build arguments (not RUN, which
# gets them as environment variables, nor CMD/ENTRYPOINT/HEALTHCHECK, which it never expands)
_EXPANDED = {"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "ONBUILD", "ARG"}
_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_ID = re.compile(r"^[a-z0-9_][a-z0-9_.-]*$")
_MOUNT_PATH = re.compile(r"^/[A-Za-z0-9._@+/-]*$")  # nothing that could end the --mount value
_SHOWN = 6
_COMMAND = "\0command\0"  # stands for the build command in a message until every fix is known


@cache
def data() -> dict:
    return tomllib.loads(resources.files("fixer.data").joinpath("secrets.toml").read_text(encoding="utf-8"))


def secret_name(name: str) -> bool:
    """Whether an ARG/ENV name says it holds a credential (BuildKit's SecretsUsedInArgOrEnv
    rule, plus the whole names of ``credential_names``)."""
    names = data()["names"]
    upper = name.upper()
    if upper in names["allowed_names"]:
        return False
    if upper in names["credential_names"]:
        return True
    tokens = name.lower().split("_")
    return any(t in names["denied"] for t in tokens) and not any(t in names["allowed"] for t in tokens)


def secret_value(value: str) -> str | None:
    """What a value looks like (``a GitHub token``) when it looks like a credential."""
    for label, regex in data()["values"].items():
        if re.search(regex, value):
            return label
    return None


def masked(name: str, value: str | None) -> str:
    """``NAME=****``: the way every finding shows a secret (never its value)."""
    return f"{name}=****" if value else name


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_SHOWN])
    more = f" and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else ""
    return ("line " if len(lines) == 1 else "lines ") + shown + more


def _program(cmd: Command) -> str:
    words = cmd.words
    if cmd.name.startswith("python") and words[1:3] == ["-m", "pip"]:
        return "pip"
    return cmd.name


def _mounted(run: Instruction, sid: str, target: str | None = None) -> bool:
    """Whether a RUN already mounts the secret ``sid`` or something at ``target``."""
    for flag in run.flags or []:
        if flag.startswith("--mount="):
            keys = dict(part.partition("=")[::2] for part in flag[len("--mount="):].split(","))
            if keys.get("id") == sid or (target and target in (keys.get("target"), keys.get("dst"), keys.get("destination"))):
                return True
    return False


class _Index:
    """What every check reads, computed once per document so the transform stays linear in
    the file's size: the variables each instruction names, the working folder and the user
    at each instruction, the simple commands of each RUN (parsed when first asked)."""

    _REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")

    def __init__(self, doc: Document, analysis: Analysis) -> None:
        self.named: dict[str, list[Instruction]] = {}  # variable -> the instructions naming it
        for instr in doc.instructions:
            texts = [instr.text] + [h.content for h in instr.heredocs]
            for name in {m.group(1) for text in texts for m in self._REF.finditer(text)}:
                self.named.setdefault(name, []).append(instr)
        self.stage: dict[int, Stage] = {}  # id(instruction) -> its stage
        self.position: dict[int, int] = {}  # id(instruction) -> its index in stage.instructions
        # stage index -> its RUN lines may not run in /bin/sh (a SHELL instruction in it or a
        # stage it is built from; Windows, where cmd.exe is the default)
        self.other_shell: dict[int, bool] = {}
        self.workdir: dict[int, str | None] = {}  # id(instruction) -> working folder (None: unknown)
        self.user: dict[int, str | None] = {}  # id(instruction) -> the user it runs as (None: root)
        ends: dict[int, tuple[str | None, str | None]] = {}
        for stage in analysis.stages:  # a parent stage comes before the stages built from it
            if stage.parent is not None:
                workdir, user = ends[stage.parent.index]
            else:
                workdir, user = None, stage.facts.runs_as  # the base image's folder is not known
            family, _ = stage.distro
            self.other_shell[stage.index] = (
                bool(stage.of("SHELL"))
                or (family is not None and family.user_tool == "windows")
                or (stage.parent is not None and self.other_shell[stage.parent.index])
            )
            for k, instr in enumerate(stage.instructions):
                self.stage[id(instr)], self.position[id(instr)] = stage, k
                self.workdir[id(instr)], self.user[id(instr)] = workdir, user
                if instr.cmd == "WORKDIR":
                    value = (instr.value or [""])[0]
                    if "$" in value or not value or (workdir is None and not value.startswith("/")):
                        workdir = None
                    else:
                        workdir = posixpath.normpath(posixpath.join(workdir or "/", value))
                elif instr.cmd == "USER":
                    user = (instr.value or [""])[0]
            ends[stage.index] = (workdir, user)
        self._usage: dict[int, Usage] = {}

    def usage(self, run: Instruction) -> Usage:
        if id(run) not in self._usage:
            self._usage[id(run)] = stage_usage([run])
        return self._usage[id(run)]

    def non_root(self, instr: Instruction) -> bool:
        """Whether it may run as a non-root user (a secret file is root-only by default)."""
        user = self.user.get(id(instr))
        return user is not None and ("$" in user or not is_root_user(user))


def _editable(doc: Document, run: Instruction) -> bool:
    """Whether a shell-form RUN takes a flag after its keyword and a command before its script
    (the script still parses with one more command in front)."""
    found = script_of(run)
    if found is None or found[1] < 0 or run.source_offset(found[1]) is None or doc.add_flag(run, "--x") is None:
        return False
    return simple_commands('export X="$(cat /run/secrets/x)" && ' + found[0]) is not None


def _copies_again(instr: Instruction, base: str) -> bool:
    """Whether a COPY/ADD from the build context may bring the file ``base`` back."""
    if instr.cmd not in ("COPY", "ADD") or any(f.startswith("--from") for f in instr.flags or []):
        return False
    sources = (instr.value or [])[:-1]
    return any(s in (".", "./") or posixpath.basename(s.rstrip("/")) == base or "*" in s for s in sources)


def _heredoc_script(run: Instruction) -> bool:
    """A ``RUN <<EOF`` whose one heredoc is the shell script it runs (no command after the
    marker, no ``#!`` line): a line can go in front of the script."""
    if len(run.heredocs) != 1 or run.json or not run.value:
        return False
    body = run.heredocs[0].content
    if not re.fullmatch(r"<<-?([\"']?)\w+\1", run.value[0].strip()) or body.startswith("#!"):
        return False
    return simple_commands('export X="$(cat /run/secrets/x)"\n' + body) is not None


def _source_range(doc: Document, instr: Instruction, start: int, end: int) -> tuple[int, int] | None:
    """Source range of ``instr.text[start:end]`` (it may cross line continuations); None when
    an end is not in the source or a comment line lies inside it (the user's text)."""
    first = instr.source_offset(start)
    last = instr.source_offset(end - 1) if end > start else first
    if first is None or last is None:
        return None
    inner = doc.text[first : last + 1]
    if any(line.lstrip(" \t").startswith("#") for line in inner.splitlines()[1:]):
        return None
    return first, last + 1


@dataclass
class _RunChange:
    """What the fixes add to one RUN: secret mounts and variables exported from them."""

    run: Instruction
    mounts: list[str] = field(default_factory=list)
    exports: list[tuple[str, str]] = field(default_factory=list)  # (variable, secret id)


@dataclass
class _Fix:
    """One secret's whole fix: applied completely or not at all."""

    code: str
    line: int
    done: str  # the finding's message when applied
    held: str  # ... when held back
    flag: str  # what ``--secret`` passes: ``id=npm_token,env=NPM_TOKEN``
    subject: str  # ``ARG NPM_TOKEN``, ``COPY .npmrc``
    runs: list[tuple[Instruction, str, tuple[str, str] | None]]  # (RUN, mount, export)
    removals: list[tuple[int, int]]  # source ranges to delete
    # words to remove: (ARG, name) or (COPY, source); an instruction that loses all of them goes
    words: list[tuple[Instruction, str]] = field(default_factory=list)




def _arg_word(instr: Instruction, name: str) -> str:
    """The word of an ARG that declares ``name`` (``NPM_TOKEN``, ``NPM_TOKEN=""``)."""
    return next(w for w in instr.value or [] if w.partition("=")[0] == name)


def _word_removal(doc: Document, instr: Instruction, word: str) -> Edit | None:
    """Delete one whitespace-separated word of an instruction and the blanks after it, when it
    lies on one line."""
    after = instr.text.find(instr.keyword) + len(instr.keyword)
    span = doc.find_word(instr, word, after)
    if span is None:
        return None
    start, end = span
    text = instr.text
    while end < len(text) and text[end] in " \t":
        end += 1
    if end == len(text):  # the last word: take the blanks before it instead
        end = span[1]
        while start > 0 and text[start - 1] in " \t":
            start -= 1
    return doc.replace_span(instr, start, end, "")


# ---------------------------------------------------------------------------- ARG


