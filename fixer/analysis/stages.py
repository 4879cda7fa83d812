"""What a Dockerfile means, computed once per document and read by every transform.

Stages and their base images (with global ``ARG`` defaults substituted), the parent stage a
``FROM`` names, the distro each stage runs on and where that knowledge came from, the user
each stage ends as, and the commands its RUN lines call.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..document.imageref import ImageRef, InvalidReference
from ..document.model import Document
from ..document.parser import Instruction
from . import catalogue
from .catalogue import Family, ImageFacts

_VAR = re.compile(r"\$(?:\{(\w+)(?:(:?[-+])([^}]*))?\}|(\w+))")
ROOT_USERS = {"root", "0", "containeradministrator"}


def substitute(text: str, args: dict[str, str | None]) -> str | None:
    """Expand ``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR:+word}`` from ARG defaults.

    None when a variable has no value and no default: the text cannot be known statically.
    """
    unknown = False

    def expand(m: re.Match) -> str:
        nonlocal unknown
        value = args.get(m.group(1) or m.group(4))
        op, word = m.group(2), m.group(3) or ""
        if op in (":-", "-"):
            return value if value else word
        if op in (":+", "+"):
            return word if value else ""
        if value is None:
            unknown = True
            return ""
        return value

    result = _VAR.sub(expand, text)
    return None if unknown else result


def arg_defaults(instr: Instruction) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for word in instr.value or []:
        name, eq, value = word.partition("=")
        if eq:
            try:
                value = "".join(shlex.split(value)) if value else ""
            except ValueError:
                pass
        out[name] = value if eq else None
    return out


@dataclass
class Stage:
    index: int
    from_instr: Instruction
    instructions: list[Instruction]  # everything after FROM up to the next FROM
    name: str | None
    base_text: str  # the image as written
    base: str | None  # the image with ARG defaults substituted; None if unresolvable
    parent: Stage | None
    image: ImageRef | None
    facts: ImageFacts
    platform: str | None = None
    base_args: list[str] = field(default_factory=list)  # ARG names the FROM uses
    _by_cmd: tuple[int, dict[str, list[Instruction]]] | None = field(default=None, init=False, repr=False, compare=False)
    _position: dict[int, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def chain(self) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first."""
        out, s = [], self
        while s is not None:
            out.append(s)
            s = s.parent
        return out

    def of(self, *cmds: str) -> list[Instruction]:
        """The stage's instructions of these kinds, in order (a fresh list). Indexed once: the
        transforms ask this for every instruction, and a scan each time made them quadratic."""
        index = self._by_cmd
        if index is None or index[0] != len(self.instructions):
            by_cmd: dict[str, list[Instruction]] = {}
            for pos, instr in enumerate(self.instructions):
                by_cmd.setdefault(instr.cmd, []).append(instr)
                self._position[id(instr)] = pos
            index = self._by_cmd = (len(self.instructions), by_cmd)
        if len(cmds) == 1:
            return list(index[1].get(cmds[0], ()))
        found = [i for cmd in dict.fromkeys(cmds) for i in index[1].get(cmd, ())]
        if len(cmds) > 1:
            found.sort(key=lambda i: self._position[id(i)])
        return found

    def position(self, instr: Instruction) -> int:
        """The index of ``instr`` in ``instructions`` (by identity, not by value)."""
        self.of()
        return self._position[id(instr)]

    @property
    def root_image(self) -> Stage:
        """The stage whose FROM names an image (following ``FROM <stage>`` chains)."""
        stage = self
        while stage.parent is not None:
            stage = stage.parent
        return stage

    @cached_property
    def run_commands(self) -> list[list[str]]:
        """The simple commands of the stage's shell-form RUN lines and heredoc scripts."""
        commands: list[list[str]] = []
        for run in self.of("RUN"):
            if run.json:
                commands.append(list(run.value or []))
                continue
            scripts = [h.content for h in run.heredocs] + [" ".join(run.value or [])]
            for script in scripts:
                commands.extend(split_commands(script))
        return commands

    @cached_property
    def package_managers(self) -> list[str]:
        seen = []
        for words in self.run_commands:
            for word in words[:3]:  # "sudo apt-get", "DEBIAN_FRONTEND=x apt-get"
                name = word.rsplit("/", 1)[-1]
                if catalogue.family_for_package_manager(name) and name not in seen:
                    seen.append(name)
        return seen

    @cached_property
    def distro(self) -> tuple[Family | None, str]:
        """The stage's distro family and where that came from."""
        stage = self
        while stage is not None:
            if stage.facts.family is not None:
                how = "catalogue" if stage is self else f"parent stage {stage.name or stage.index}"
                return stage.facts.family, how
            stage = stage.parent
        for manager in self.package_managers:
            fam = catalogue.family_for_package_manager(manager)
            if fam is not None:
                return fam, f"RUN calls {manager}"
        return None, "unknown base image"

    @cached_property
    def last_user(self) -> tuple[Instruction | None, str | None]:
        """The last USER instruction of the stage or its parents, and the user it sets."""
        stage: Stage | None = self
        while stage is not None:
            users = stage.of("USER")
            if users:
                instr = users[-1]
                return instr, (instr.value or [""])[0]
            stage = stage.parent
        return None, None


def is_root_user(user: str) -> bool:
    name = user.split(":", 1)[0].strip().lower()
    return name in ROOT_USERS


_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")", "{", "}", "!", "then", "do", "else", "fi", "done"}


# POSIX shell tokens: an operator, a comment (only where a word could start), or a word made
# of unquoted characters, backslash escapes and quoted strings
_TOKEN = re.compile(
    r"""(?P<op>[;&|()]+)|(?P<comment>\#.*)|(?P<word>(?:[^\s'"\\;&|()]|\\.|'[^']*'|"(?:\\.|[^"\\])*")+)|(?P<space>\s+)"""
)
_QUOTED = re.compile(r"\\(.)|'([^']*)'|\"((?:\\.|[^\"\\])*)\"")


def unquote(word: str) -> str:
    """The word as the shell passes it on: quotes removed, escapes resolved."""
    if "'" not in word and '"' not in word and "\\" not in word:
        return word

    def part(m: re.Match) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(2) is not None:
            return m.group(2)
        return re.sub(r'\\([\\"$`])', r"\1", m.group(3))

    return _QUOTED.sub(part, word)


def split_commands(script: str) -> list[list[str]]:
    """Split shell text into simple commands: a forgiving tokenizer, nothing is executed."""
    return [list(words) for words in _split_commands(script)]


@functools.lru_cache(maxsize=1024)
def _split_commands(script: str) -> tuple[tuple[str, ...], ...]:
    """(Each RUN line is read by several transforms, and again by the stability check.)"""
    commands: list[list[str]] = []
    for line in re.sub(r"\\\r?\n", " ", script).splitlines():
        current: list[str] = []
        pos = 0
        while pos < len(line):
            m = _TOKEN.match(line, pos)
            if m is None:
                break  # an unbalanced quote: keep what was read
            pos = m.end()
            if m.lastgroup == "word":
                word = unquote(m.group())
                if word in _OPERATORS:  # if/then/do... keywords end a command too
                    commands.append(current)
                    current = []
                else:
                    current.append(word)
            elif m.lastgroup == "op":
                commands.append(current)
                current = []
            elif m.lastgroup == "comment":
                break
        commands.append(current)
    for words in commands:  # drop leading VAR=value assignments and sudo/exec wrappers
        while words and (re.match(r"^\w+=", words[0]) or words[0] in ("sudo", "exec", "env")):
            words.pop(0)
    return tuple(tuple(c) for c in commands if c)


class Analysis:
    def __init__(
        self,
        doc: Document,
        context: Path | None = None,
        path: Path | None = None,
        mirrors: dict[str, str] | None = None,
    ) -> None:
        self.doc = doc
        self.mirrors = mirrors or {}  # source registry -> HOST[/PREFIX] (Options.mirrors())
        self.context = context  # the build context folder, when known
        self.path = path  # the Dockerfile's own path, when it is a file
        self.global_args: dict[str, str | None] = {}
        self.stages: list[Stage] = []
        self._build()

    def _build(self) -> None:
        current: Stage | None = None
        by_name: dict[str, Stage] = {}
        for instr in self.doc.instructions:
            if instr.cmd == "FROM":
                current = self._new_stage(instr, by_name)
                self.stages.append(current)
                if current.name:
                    by_name[current.name.lower()] = current
            elif current is None:
                if instr.cmd == "ARG":
                    self.global_args.update(arg_defaults(instr))
            else:
                current.instructions.append(instr)

    def _new_stage(self, instr: Instruction, by_name: dict[str, Stage]) -> Stage:
        words = list(instr.value or [])
        name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        base_text = words[0] if words else ""
        base = substitute(base_text, self.global_args)
        parent = by_name.get((base or base_text).lower())
        image, facts = None, ImageFacts(known=False)
        if parent is None and base:
            try:
                image = ImageRef.parse(base)
                facts = catalogue.lookup(image, self.mirrors)
            except InvalidReference:
                pass
        platform = next((f.split("=", 1)[1] for f in instr.flags or [] if f.startswith("--platform=")), None)
        used_args = [m.group(1) or m.group(4) for m in _VAR.finditer(base_text)]
        return Stage(
            index=len(self.stages),
            from_instr=instr,
            instructions=[],
            name=name,
            base_text=base_text,
            base=base,
            parent=parent,
            image=image,
            facts=facts,
            platform=platform,
            base_args=used_args,
        )

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_named(self, name: str) -> Stage | None:
        """The first stage of that name (case-insensitive)."""
        named = self.__dict__.get("_named")
        if named is None or named[0] != len(self.stages):
            by_name: dict[str, Stage] = {}
            for stage in self.stages:
                if stage.name:
                    by_name.setdefault(stage.name.lower(), stage)
            named = self.__dict__["_named"] = (len(self.stages), by_name)
        return named[1].get(name.lower())
