"""Package-manager calls in RUN lines: which manager (apt, apk, dnf, pip, npm, gem, conda, ...)
each command calls, to install, update or clean, with which flags and where in the source;
its caches (``--mount=type=cache``), and whether the stage's shell is a POSIX one. Read from
the shell parser's outline (``shellusage``); the managers' facts are data (``data/lean.toml``).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from ..document.parser import Instruction
from .shellusage import Outline, outline, script_of, simple_commands
from .stages import Stage

# options of these managers that take a value: the word after them is not the subcommand
_VALUED = {"-o", "-c", "-t", "--option", "--config-file", "--target-release", "-C"}
_INFO = {"--version", "-v", "-V", "--help", "-h"}  # ``yarn --version`` installs nothing


@functools.cache
def data() -> dict:
    with resources.files("fixer.data").joinpath("lean.toml").open("rb") as fh:
        return tomllib.load(fh)


def managers() -> dict[str, dict]:
    return data()["managers"]



@functools.cache
def _by_command() -> dict[str, str]:
    return {cmd: name for name, m in managers().items() for cmd in m["commands"]}


_PIP = re.compile(r"^pip\d*(\.\d+)?$")
_PYTHON = re.compile(r"^python\d*(\.\d+)?$")


@dataclass
class Call:
    """One call of a package manager in a RUN."""

    manager: str
    name: str  # the command as called (``apt-get``, ``microdnf``)
    words: list[str]
    spans: list[tuple[int, int] | None]  # logical spans in the RUN's text (None: not editable)
    kind: str  # install | update | other
    sub_end: int | None  # logical end of the subcommand (where a flag goes), None: not editable
    index: int  # order in the RUN
    cut: tuple[int, int] | None = None  # logical span of "this && " in the RUN's text


def classify(words: list[str], spans: list) -> tuple[str, str, list[str], list, str, int] | None:
    """(manager, name, words, spans, kind, index of the subcommand's last word) or None."""
    if not words:
        return None
    name = words[0].rsplit("/", 1)[-1]
    if _PYTHON.match(name) and words[1:3] == ["-m", "pip"]:
        words, spans, name = ["pip"] + words[3:], [spans[2]] + spans[3:], "pip"
    elif _PIP.match(name):
        name = "pip"
    manager = _by_command().get(name)
    if manager is None:
        return None
    m = managers()[manager]
    if len(words) > 1 and words[1] in _INFO:
        return manager, name, words, spans, "other", 1
    i = 1
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in _VALUED else 1
    rest = words[i:]
    for kind in ("update", "install"):
        for sub in sorted(m.get(kind, []), key=lambda s: -len(s.split())):
            parts = sub.split()
            if not parts:
                if not rest:
                    return manager, name, words, spans, kind, 0
                continue
            if rest[: len(parts)] == parts:
                return manager, name, words, spans, kind, i + len(parts) - 1
    return manager, name, words, spans, "other", i


@dataclass
class RunFacts:
    run: Instruction
    stage: Stage
    editable: bool  # shell form, no heredoc, parsed
    why: str = ""  # why it is not editable
    calls: list[Call] = field(default_factory=list)
    others: list[tuple[list[str], int]] = field(default_factory=list)  # other commands, order
    shape: Outline | None = None
    offset: int = 0  # where the script starts in run.text
    cache_mounts: list[str] = field(default_factory=list)  # targets
    posix: bool = True  # the stage's shell is a POSIX shell on Linux
    heredoc: object = None  # the heredoc that is the RUN's script (offsets are in its body)

    def src(self, offset: int) -> int | None:
        """Source offset of a script offset (logical offsets in ``run.text`` for shell form)."""
        if self.heredoc is not None:
            return self.heredoc.start + offset
        return self.run.source_offset(offset)

    def after(self, offset: int) -> int | None:
        """Source offset just after the script's character ``offset - 1``."""
        at = self.src(offset - 1)
        return None if at is None else at + 1

    def installs(self, manager: str) -> list[Call]:
        return [c for c in self.calls if c.manager == manager and c.kind == "install"]

    def updates(self, manager: str) -> list[Call]:
        return [c for c in self.calls if c.manager == manager and c.kind == "update"]

    def cached(self, manager: str) -> bool:
        """A cache mount on one of the manager's folders: the cache is wanted here."""
        paths = managers()[manager].get("cache", [])
        return any(t.rstrip("/") == p or p.startswith(t.rstrip("/") + "/") or t.startswith(p + "/") for t in self.cache_mounts for p in paths)


def _mount_targets(run: Instruction) -> list[str]:
    out = []
    for flag in run.flags or []:
        if not flag.startswith("--mount="):
            continue
        fields = dict(f.split("=", 1) if "=" in f else (f, "") for f in flag[len("--mount=") :].split(","))
        if fields.get("type") == "cache":
            target = fields.get("target") or fields.get("dst") or fields.get("destination")
            if target:
                out.append(target)
    return out


@functools.cache
def _mentions() -> re.Pattern:
    """Any manager's name in a text: RUN lines without one need no shell parse."""
    names = sorted(_by_command(), key=len, reverse=True) + ["pip", "python"]
    return re.compile(r"(?<![\w.-])(?:" + "|".join(re.escape(n) for n in names) + r")")


_POSIX_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "busybox"}


def posix_shell(stage: Stage, escape: str) -> bool:
    """The stage's RUN lines run in a POSIX shell: no Windows base, no ``SHELL`` for
    PowerShell or cmd (whose ``&&``, quoting and variables differ)."""
    s: Stage | None = stage
    while s is not None:
        shells = s.of("SHELL")
        if shells:
            words = shells[-1].value or []
            return bool(words) and words[0].replace("\\", "/").rsplit("/", 1)[-1].lower() in _POSIX_SHELLS
        s = s.parent
    family, _ = stage.distro
    return escape != "`" and not (family is not None and family.name == "windows")


_SCRIPT_SHELLS = {"", "sh", "bash", "ash", "dash", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/dash", "/usr/bin/bash"}


def _script_heredoc(run: Instruction, text: str | None):
    """The heredoc of ``RUN <<EOF`` (or ``RUN <<EOF bash``) when it is the script, its body is
    verbatim in the source and not tab-stripped; else None."""
    if text is None or len(run.heredocs) != 1:
        return None
    h = run.heredocs[0]
    found = script_of(run)
    if h.chomp or found is None:
        return None
    words = found[0].split()
    if not words or words[0].strip("<'\"") != h.name or not words[0].startswith("<<") or " ".join(words[1:]) not in _SCRIPT_SHELLS:
        return None
    return h if text[h.start : h.start + len(h.content)] == h.content else None


def read_run(run: Instruction, stage: Stage, posix: bool = True, text: str | None = None) -> RunFacts:
    facts = RunFacts(run, stage, editable=False, cache_mounts=_mount_targets(run))
    if not _mentions().search(run.text) and not any(_mentions().search(h.content) for h in run.heredocs):
        facts.editable = True  # nothing to edit, nothing to refuse
        return facts
    commands: list[tuple[list[str], list, tuple[int, int] | None]] = []
    if run.json:
        facts.why = "it is in exec form (no shell to chain a cleanup to)"
        words = list(run.value or [])
        if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "dash", "ash") and words[1] == "-c":
            for w, _ in simple_commands(words[2]) or []:
                commands.append((w, [None] * len(w), None))
        else:
            commands.append((words, [None] * len(words), None))
    elif posix and (here := _script_heredoc(run, text)) is not None and (shape := outline(here.content)) is not None:
        facts.editable, facts.shape, facts.heredoc = True, shape, here
        for c in shape.commands:
            commands.append((c.words, list(c.spans), c.cut))
    elif run.heredocs:
        facts.why = "its heredoc cannot be edited in place (several heredocs, or <<-)"
        found = script_of(run)
        line = [w for w in (found[0].split() if found else []) if not w.startswith("<<")]
        if not line or line[0] in _SCRIPT_SHELLS:  # the heredocs are the script, not data for a command
            for h in run.heredocs:
                for w, _ in simple_commands(h.content) or []:
                    commands.append((w, [None] * len(w), None))
        if found:
            for w, _ in simple_commands(found[0]) or []:
                commands.append((w, [None] * len(w), None))
    elif not posix:
        facts.posix = False
        facts.why = "the stage's shell is not a POSIX shell (SHELL, or a Windows base)"
        found = script_of(run)
        for w, _ in (simple_commands(found[0]) or []) if found else []:
            commands.append((w, [None] * len(w), None))
    else:
        found = script_of(run)
        if found is None:
            return facts
        script, at = found
        shape = outline(script) if at >= 0 else None
        if shape is None:
            facts.why = "the shell parser cannot read it"
            for w, _ in simple_commands(script) or []:
                commands.append((w, [None] * len(w), None))
        else:
            facts.editable, facts.shape, facts.offset = True, shape, at
            for c in shape.commands:
                spans = [(s + at, e + at) for s, e in c.spans]
                cut = (c.cut[0] + at, c.cut[1] + at) if c.cut else None
                commands.append((c.words, spans, cut))
    for index, (words, spans, cut) in enumerate(commands):
        found = classify(words, spans)
        if found is None:
            facts.others.append((words, index))
            continue
        manager, name, words, spans, kind, sub = found
        span = spans[sub] if sub < len(spans) else None
        facts.calls.append(Call(manager, name, words, spans, kind, span[1] if span else None, index, cut))
        facts.others.append((words, index))
    return facts


def cleaned_after(facts: RunFacts, manager: str, after: int) -> bool:
    """A command after the ``after``-th one already cleans the manager's cache."""
    for words, index in facts.others:
        if index <= after or not words:
            continue
        name = words[0].rsplit("/", 1)[-1]
        for done in managers()[manager].get("cleanup_done", []):
            if done[0] == "rm" and name == "rm":
                # rm -rf /var/lib/apt/lists/*, or a folder above it (not / or /var itself)
                if any(done[1] in w or (w.rstrip("/*") and done[1].startswith(w.rstrip("/*") + "/") and w.rstrip("/*").count("/") > 2) for w in words[1:]):
                    return True
            elif [name] + words[1 : len(done)] == done:
                return True
    return False


def has_flag(call: Call, done: list[str], env: set[str]) -> bool:
    for d in done:
        if d.endswith("="):
            if d[:-1] in env:
                return True
        elif any(w == d or w.startswith(d + "=") for w in call.words[1:]):
            return True
    return False


def apt_yes(call: Call) -> bool:
    m = managers()["apt"]
    for w in call.words[1:]:
        if w in m["yes"] or "Assume-Yes" in w:
            return True
        if re.fullmatch(r"-[a-zA-Z]+", w) and m["yes_short"] in w[1:]:
            return True
    return False


def stage_env(stage: Stage) -> set[str]:
    """Names the stage (or a stage it is built FROM) sets with ENV or ARG."""
    names: set[str] = set()
    s: Stage | None = stage
    while s is not None:
        for env in s.of("ENV"):
            names.update((env.value or [])[0::3])  # the parser gives (name, value, separator) triples
        for arg in s.of("ARG"):
            names.update(w.split("=", 1)[0] for w in arg.value or [])
        s = s.parent
    return names
