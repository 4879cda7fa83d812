"""What a stage's RUN lines use, read with a real shell parser (tree-sitter's bash grammar);
nothing is executed.

Each simple command of a shell-form RUN (or of a ``RUN <<EOF`` script) becomes a ``Command``
with its words and, for shell-form RUNs, the logical span of every word in the instruction's
text, so a transform can edit one word (add a package to an ``apt-get install``) without
re-rendering the line. A script the parser cannot read without errors is reported as such:
callers then treat the stage as unknown instead of guessing.

tree-sitter parses in C and loads in milliseconds (bashlex, used before, built its LR tables
at every start: 0.1 s per run).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from dataclasses import dataclass, field

from .stages import unquote

_WRAPPERS = {"sudo", "env", "exec", "nice", "nohup", "time", "command"}
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass
class Command:
    words: list[str]  # the command word first, assignments and wrappers removed
    spans: list[tuple[int, int] | None]  # logical spans in ``run.text`` (None: not editable)
    run: object  # the RUN Instruction
    order: int  # position of the command among the stage's commands

    @property
    def name(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    def args(self) -> list[str]:
        return self.words[1:]


@dataclass
class Usage:
    commands: list[Command] = field(default_factory=list)
    unparsed: list[tuple[int, str]] = field(default_factory=list)  # (line, why)

    def calls(self, *names: str) -> list[Command]:
        return [c for c in self.commands if c.name in names]

    def apt_installs(self) -> list[tuple[Command, list[str]]]:
        """``apt-get install`` / ``apt install`` commands and the packages they name."""
        out = []
        for cmd in self.calls("apt-get", "apt", "aptitude"):
            args = cmd.args()
            if "install" not in args:
                continue
            after = args[args.index("install") + 1 :]
            out.append((cmd, [a for a in after if not a.startswith("-") and "$" not in a]))
        return out

    def language_installs(self) -> list[tuple[str, Command, list[str], list[str]]]:
        """(manager, command, packages named, files read: requirements, package.json, Gemfile)."""
        out = []
        for cmd in self.commands:
            words = cmd.words
            name = cmd.name
            if name.startswith("python") and words[1:3] == ["-m", "pip"]:
                name, words = "pip", ["pip"] + words[3:]
            if name in ("pip", "pip3") and "install" in words:
                pkgs, files = [], []
                rest = words[words.index("install") + 1 :]
                i = 0
                while i < len(rest):
                    w = rest[i]
                    if w in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(rest):
                        files.append(rest[i + 1])
                        i += 2
                        continue
                    if w.startswith("--requirement="):
                        files.append(w.split("=", 1)[1])
                    elif w in ("-e", "--editable", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--target", "-t", "--prefix", "--root"):
                        i += 2
                        continue
                    elif not w.startswith("-") and w != ".":
                        pkgs.append(w)
                    i += 1
                out.append(("pip", cmd, pkgs, files))
            elif name in ("npm", "yarn", "pnpm") and len(words) > 1 and words[1] in ("install", "i", "ci", "add"):
                pkgs = [w for w in words[2:] if not w.startswith("-")]
                out.append(("npm", cmd, pkgs, [] if pkgs and words[1] != "ci" else ["package.json"]))
            elif name == "yarn" and len(words) == 1:
                out.append(("npm", cmd, [], ["package.json"]))
            elif name == "gem" and "install" in words:
                out.append(("gem", cmd, [w for w in words[words.index("install") + 1 :] if not w.startswith("-")], []))
            elif name == "bundle" and (len(words) == 1 or words[1] == "install"):
                out.append(("gem", cmd, [], ["Gemfile.lock", "Gemfile"]))
        return out


def package_name(spec: str) -> str | None:
    """The distribution name of a pip/npm/gem requirement (``psycopg2==2.9`` -> ``psycopg2``)."""
    spec = spec.strip().strip("'\"")
    if spec.startswith("@"):  # scoped npm package
        return spec.rsplit("@", 1)[0] if spec.count("@") > 1 else spec
    m = _REQ_NAME.match(spec)
    return m.group(1).lower().replace("_", "-") if m else None


def script_of(run) -> tuple[str, int] | None:
    """A shell-form RUN's script and its logical offset in ``run.text``; None for exec form."""
    if run.json or not run.value:
        return None
    script = run.value[0]
    at = run.text.find(script, len(run.keyword))
    return (script, at) if at >= 0 else (script, -1)


_NOT_WORDS = {"variable_assignment", "file_redirect", "heredoc_redirect", "herestring_redirect", "comment"}


@functools.cache
def _parser():
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def _to_char(script: str, data: bytes):
    """Byte offsets in ``data`` (``script`` in UTF-8) to character offsets: the characters
    wholly before the byte. A table, not a decode per offset (quadratic on long scripts)."""
    if len(data) == len(script):
        return int
    starts = list(itertools.accumulate((len(c.encode("utf-8", "surrogatepass")) for c in script), initial=0))

    def to_char(offset: int) -> int:
        return bisect.bisect_right(starts, offset) - 1

    return to_char


def simple_commands(script: str) -> list[tuple[list[str], list[tuple[int, int]]]] | None:
    """Every simple command of a script, in source order (those inside ``$(...)`` too): its
    words as the shell passes them on and their spans in ``script``. None when the script does
    not parse."""
    data = script.encode("utf-8")
    tree = _parser().parse(data)
    if tree.root_node.has_error:
        return None
    to_char = _to_char(script, data)

    found: list[tuple[list[str], list[tuple[int, int]]]] = []
    stack = [tree.root_node]
    while stack:  # pre-order, without recursion: scripts can be long
        node = stack.pop()
        if node.type == "command":
            words, spans = [], []
            for child in node.named_children:
                if child.type not in _NOT_WORDS:
                    words.append(unquote(child.text.decode("utf-8", "replace")))
                    spans.append((to_char(child.start_byte), to_char(child.end_byte)))
            if words:
                found.append((words, spans))
        stack.extend(reversed(node.children))
    return found


def _strip_wrappers(words: list[str], spans: list) -> tuple[list[str], list]:
    while words and (re.match(r"^\w+=", words[0]) or words[0] in _WRAPPERS):
        words, spans = words[1:], spans[1:]
    return words, spans


def stage_usage(runs: list) -> Usage:
    """The simple commands of these RUN instructions, in order."""
    usage = Usage()
    for run in runs:
        scripts: list[tuple[str, int]] = []
        if run.json:
            words = list(run.value or [])
            if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "dash", "ash") and words[1] == "-c":
                scripts.append((words[2], -1))  # ["/bin/sh", "-c", "script"]: read the script
            elif words:
                usage.commands.append(Command(words, [None] * len(words), run, len(usage.commands)))
                continue
        elif run.heredocs:
            scripts += [(h.content, -1) for h in run.heredocs]
            # the RUN line itself (``RUN <<EOF bash``) runs the heredoc: nothing else to read
        else:
            found = script_of(run)
            if found:
                scripts.append(found)
        for script, offset in scripts:
            _read(usage, script, run, offset if offset >= 0 else None)
    return usage


def _read(usage: Usage, script: str, instr, offset: int | None, order: int = 0) -> None:
    """Add a script's simple commands to ``usage``; ``offset``: where the script starts in
    ``instr.text`` (None: its words cannot be edited); ``order`` shifts their positions."""
    commands = simple_commands(script)
    if commands is None:
        usage.unparsed.append((instr.start_line, "the shell parser cannot read it"))
        return
    for words, spans in commands:
        words, spans = _strip_wrappers(words, spans)
        if words:
            logical = [(s + offset, e + offset) for s, e in spans] if offset is not None else [None] * len(words)
            usage.commands.append(Command(words, logical, instr, order + len(usage.commands)))


def runtime_commands(instructions: list, usage: Usage) -> None:
    """Add the commands CMD, ENTRYPOINT and HEALTHCHECK run (``HEALTHCHECK CMD curl ...``)
    to ``usage``, ordered after every RUN: they need their tools in the final image."""
    for instr in instructions:
        if instr.cmd not in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            continue
        words = list(instr.value or [])
        if instr.cmd == "HEALTHCHECK":
            if not words or words[0].upper() != "CMD":
                continue
            words = words[1:]
        if not words:
            continue
        if instr.json:
            if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and words[1] == "-c":
                words = [words[2]]
            else:
                usage.commands.append(Command(words, [None] * len(words), instr, 10**6 + len(usage.commands)))
                continue
        _read(usage, words[0], instr, None, order=10**6)


@dataclass
class Outlined:
    """One simple command of a script, with what an edit around it needs."""

    words: list[str]  # wrappers and assignments removed
    spans: list[tuple[int, int]]  # of each word, in the script
    start: int  # where the command (after its wrappers) starts in the script
    # (start, end) of "this command && " when it can be cut out of its && chain, else None
    cut: tuple[int, int] | None


@dataclass
class Outline:
    commands: list[Outlined]
    end: int  # where the last statement ends: a command appended here with ``&&`` runs last
    background: bool  # the script ends with ``&``: nothing can be chained after it


@functools.lru_cache(maxsize=512)
def outline(script: str) -> Outline | None:
    """The simple commands of a script and where its last statement ends; None when the
    script does not parse. Cached: the stability check reads the same RUN lines again (the
    result is shared, never change it)."""
    data = script.encode("utf-8")
    tree = _parser().parse(data)
    root = tree.root_node
    if root.has_error:
        return None
    to_char = _to_char(script, data)

    found: list[Outlined] = []
    # (node, its parent's entry, its index among the parent's children, the parent's children):
    # tree-sitter finds a node's parent and siblings by walking down from the root, which is
    # quadratic on a long ``a && b && ...`` chain (a tree as deep as the chain is long)
    stack: list[tuple] = [(root, None, 0, None)]
    while stack:
        entry = stack.pop()
        node, up, _, _ = entry
        if node.type == "command":
            words, spans = [], []
            for child in node.named_children:
                if child.type not in _NOT_WORDS:
                    words.append(unquote(child.text.decode("utf-8", "replace")))
                    spans.append((to_char(child.start_byte), to_char(child.end_byte)))
            words, spans = _strip_wrappers(words, spans)
            if words:
                statement = up if up is not None and up[0].type == "redirected_statement" else entry
                s_node, s_up, s_index, siblings = statement
                cut = None
                op = siblings[s_index + 1] if siblings is not None and s_index + 1 < len(siblings) else None
                after_op = siblings[s_index + 2] if op is not None and s_index + 2 < len(siblings) else None
                if op is not None and op.type == "&&" and after_op is not None and s_up is not None and s_up[0].type == "list":
                    # "a && b": a is the left operand; cutting "a && " leaves b where a was
                    if s_index == 0:
                        cut = (to_char(s_node.start_byte), to_char(after_op.start_byte))
                found.append(Outlined(words, spans, spans[0][0], cut))
        children = node.children
        stack.extend((child, entry, i, children) for i, child in reversed(list(enumerate(children))))
    top = root.children
    statements = [i for i, c in enumerate(top) if c.is_named and c.type != "comment"]
    if not statements:
        return Outline(found, 0, False)
    last = top[statements[-1]]
    background = any(after.type == "&" for after in top[statements[-1] + 1 :])
    return Outline(found, to_char(last.end_byte), background)
