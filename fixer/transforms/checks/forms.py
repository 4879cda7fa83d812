"""The CHK fixes that need to know what runs where (see fixer/transforms/checks.py, whose
CODES table and documentation they share): shell form → exec form (CHK011), relative WORKDIR
(CHK012) and pipefail (CHK013). What they know about base images is data:
``fixer/data/checks.toml``.
"""

from __future__ import annotations

import json
import posixpath
import re

from ...analysis import catalogue
from ...analysis.packagecalls import posix_shell
from ...analysis.shellusage import _parser, stage_usage
from ...analysis.stages import Analysis, Stage
from ...data import load
from ...document.parser import Instruction
from .base import GO_SPACE, Fixes, cased

_POSIX_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "busybox"}
# a word the shell passes on unchanged: no variables, globs, quotes, escapes, ~, {, #
_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")
# commands that exist only inside the shell: exec form cannot run them, nor can ``exec``
_BUILTINS = {"cd", "export", "source", ".", "set", "exit", "trap", "ulimit", "umask", "eval", "wait", "read",
             "alias", "unset", "shift", "times", "type", "hash", "exec", "return", "break", "continue", "readonly",
             "local", "declare", "typeset", "shopt", "builtin", "command", "jobs", "fg", "bg"}
_PIPEFAIL_SHELL = ["/bin/bash", "-o", "pipefail", "-c"]


def data() -> dict:
    return load("checks.toml")


def image_facts(stage: Stage) -> dict:
    """checks.toml's entry for the image the stage is built on ({} when unknown)."""
    root = stage.root_image
    name = root.image.familiar if root.image is not None else root.base_text if root.base_text == "scratch" else None
    return (catalogue.match(data()["images"], name) if name else None) or {}


def shell_of(stage: Stage, before: Instruction | None = None) -> list[str] | None:
    """The SHELL in effect at ``before`` (the end of the stage when None); None: the default."""
    for s in stage.chain:
        shells = [i for i in s.of("SHELL") if s is not stage or before is None or i.start < before.start]
        if shells:
            return list(shells[-1].value or [])
    return None


def _tree(script: str):
    data_ = script.encode("utf-8")
    tree = _parser().parse(data_)
    return None if tree.root_node.has_error else tree, data_


def plain_words(script: str) -> list[str] | None:
    """The words of a script that is one simple command of plain words (nothing the shell would
    expand, split or interpret), else None."""
    tree, _ = _tree(script)
    if tree is None:
        return None
    statements = [c for c in tree.root_node.children if c.type != "comment"]
    if len(statements) != 1 or statements[0].type != "command":
        return None
    command = statements[0]
    if any(c.type not in ("command_name", "word", "number") for c in command.named_children):
        return None
    words = script.split()
    if not words or any(not _PLAIN.match(w) for w in words) or len(words) != len(command.named_children):
        return None
    if words[0] == "exec":
        words = words[1:]
    return words if words and words[0] not in _BUILTINS else None


def exec_last(script: str) -> str | None:
    """The script with ``exec`` before its last command, when that command is a simple command
    the shell can replace itself with; else None."""
    if "trap" in script:
        return None
    tree, data_ = _tree(script)
    if tree is None:
        return None
    top = [c for c in tree.root_node.children if c.type != "comment"]
    named = [c for c in top if c.is_named]
    if not named or top[-1].type == "&":
        return None
    node = named[-1]
    while node.type == "list":
        node = node.named_children[-1]
    if node.type == "redirected_statement" and node.named_children:
        node = node.named_children[0]  # ``exec cmd 2>&1`` keeps the redirection
    if node.type != "command" or not node.named_children or node.named_children[0].type != "command_name":
        return None
    name = node.named_children[0].text.decode("utf-8", "replace")
    if name in _BUILTINS or not _PLAIN.match(name):
        return None
    at = len(data_[: node.start_byte].decode("utf-8"))
    return script[:at] + "exec " + script[at:]


def _descendants(stage: Stage, analysis: Analysis) -> list[Stage]:
    return [s for s in analysis.stages if s is not stage and stage in s.chain]


def _cmd_exec_safe(stage: Stage) -> tuple[bool, str]:
    for s in stage.chain:
        if s.of("ENTRYPOINT"):
            return False, "the stage has an ENTRYPOINT, which receives the CMD as arguments"
    entrypoint = image_facts(stage).get("entrypoint")
    if entrypoint in ("none", "exec"):
        return True, ""
    return False, "the base image's ENTRYPOINT is not known (it receives the CMD as arguments)"


def _entrypoint_exec_safe(stage: Stage, analysis: Analysis) -> tuple[bool, str]:
    if any(s.of("CMD") for s in [stage, *_descendants(stage, analysis)]):
        return False, "a CMD would become its arguments (shell form ignores them)"
    return True, ""


def exec_forms(fixes: Fixes, analysis: Analysis) -> None:
    for stage in analysis.stages:
        posix = posix_shell(stage, fixes.doc.escape)
        for instr in stage.of("CMD", "ENTRYPOINT"):
            if instr.json or not instr.value or id(instr) in fixes.removed:
                continue
            if not posix:
                fixes.report("CHK011", instr.start_line, f"{instr.cmd} in shell form, on a Windows shell or with the "
                             "escape character `: not rewritten (its quoting rules differ)")
                continue
            script = instr.value[0]
            end = len(instr.text.rstrip(GO_SPACE))
            start = end - len(script)
            words = plain_words(script)
            if words is not None:
                safe, why = _cmd_exec_safe(stage) if instr.cmd == "CMD" else _entrypoint_exec_safe(stage, analysis)
                new = json.dumps(words, ensure_ascii=False)
                edit = fixes.span(instr, start, end, new)
                message = f"{instr.cmd} in shell form runs under /bin/sh, which does not pass signals on: {instr.cmd} {new}"
                if not safe:
                    message += f" (unsafe: {why})"
                fixes.report("CHK011", instr.start_line, message if edit else message + " (not rewritten: it spans lines)",
                             [edit] if edit else None, fix="safe" if safe else "unsafe")
                continue
            shell = shell_of(stage, instr) or ["/bin/sh", "-c"]
            wrapped = exec_last(script)
            edit = None
            if wrapped is not None:
                new = json.dumps([*shell, wrapped], ensure_ascii=False)
                edit = fixes.span(instr, start, end, new)
                message = f"{instr.cmd} in shell form uses shell syntax: {instr.cmd} {new} keeps it and execs the last command (unsafe)"
            else:
                message = f"{instr.cmd} in shell form uses shell syntax and its last command cannot be exec'd: write it in exec form by hand"
            fixes.report("CHK016", instr.start_line, message, [edit] if edit else None)


_PLAIN_PATH = re.compile(r"^[A-Za-z0-9_.@+=:,/-]+$")


def relative_workdirs(fixes: Fixes, analysis: Analysis) -> None:
    final: dict[int, str | None] = {}  # stage index -> its WORKDIR at its end (None: unknown)
    for stage in analysis.stages:
        if stage.parent is not None:
            cwd = final.get(stage.parent.index)
        else:
            cwd = image_facts(stage).get("workdir")
        posix = posix_shell(stage, fixes.doc.escape)
        for instr in stage.of("WORKDIR"):
            path = (instr.value or [""])[0]
            if path.startswith(("/", "$")):  # absolute, or a variable (BuildKit expands it first)
                cwd = posixpath.normpath(path) if _PLAIN_PATH.match(path) else None
                continue
            if not posix or not path:
                cwd = None
                continue
            if not _PLAIN_PATH.match(path) or cwd is None:
                why = "the previous WORKDIR is not known" if cwd is None else "the path has variables or quotes"
                fixes.report("CHK012", instr.start_line, f"WORKDIR {path} is relative to a WORKDIR set elsewhere; not rewritten: {why}")
                cwd = None
                continue
            new = posixpath.normpath(posixpath.join(cwd, path))
            end = len(instr.text.rstrip(GO_SPACE))
            edit = fixes.span(instr, end - len(path), end, new)
            fixes.report("CHK012", instr.start_line, f"WORKDIR {path} is relative: WORKDIR {new}", [edit] if edit else None)
            cwd = new
        final[stage.index] = cwd


def _piped(run: Instruction) -> bool:
    """A shell-form RUN (no heredoc) with a pipe and no pipefail of its own."""
    if run.json or run.heredocs or not run.value or "pipefail" in run.value[0]:
        return False
    tree, _ = _tree(run.value[0])
    if tree is None:
        return "|" in run.value[0]
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "pipeline":
            return True
        stack.extend(node.children)
    return False


def _installs_bash(runs: list[Instruction]) -> bool:
    managers = set(data()["shells"]["installs"])
    for call in stage_usage(runs).commands:
        if call.name in managers and "bash" in call.words[1:]:
            return True
    return False


def pipefail(fixes: Fixes, analysis: Analysis) -> None:
    doc = fixes.doc
    has_bash = set(data()["shells"]["bash"])
    shelled: set[int] = set()  # stages given a SHELL in this run
    for stage in analysis.stages:
        if not posix_shell(stage, doc.escape) or any(s.index in shelled for s in stage.chain):
            continue
        if shell_of(stage) is not None:
            continue  # a SHELL of the file's own: left to its author
        runs = [r for r in stage.of("RUN") if id(r) not in fixes.removed]
        first = next((r for r in runs if _piped(r)), None)
        if first is None:
            continue
        family, _ = stage.distro
        earlier = [r for s in stage.chain[1:] for r in s.of("RUN")] + runs[: runs.index(first)]
        bash = (family is not None and family.name in has_bash) or _installs_bash(earlier)
        message = "RUN with a pipe: a failure left of `|` does not fail the build without pipefail"
        if not bash:
            where = family.name if family is not None else "an unknown base image"
            fixes.report("CHK013", first.start_line, f"{message}; not fixed: no bash on {where} (add `set -o pipefail` where the shell has it)")
            continue
        indent = doc.indent_of(first)
        text = f"{indent}{cased('SHELL', fixes.lower)} {json.dumps(_PIPEFAIL_SHELL)}{doc.newline}"
        edit = doc.insert_before(first, text)
        fixed = fixes.report("CHK013", first.start_line, f"{message}: SHELL {json.dumps(_PIPEFAIL_SHELL)} before it "
                             "(RUN, CMD and ENTRYPOINT in shell form then run under bash)", [edit])
        if fixed:
            shelled.add(stage.index)
