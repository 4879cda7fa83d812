"""Where secrets come from: build arguments (``_Args``), copied credentials files (``_Files``),
and ENV values that look like credentials (``_env``, reported only).
"""

from __future__ import annotations

import posixpath
import re

from ...analysis import compose
from ...analysis.shellusage import (
    Command,
    script_of,
    simple_commands,
)
from ...analysis.stages import Analysis, Stage, arg_defaults
from ...document.model import Document
from ...document.parser import Instruction
from .. import Result
from .facts import (
    _COMMAND,
    _EXPANDED,
    _MOUNT_PATH,
    _SECRET_ID,
    _SHELL_NAME,
    CODES,
    _arg_word,
    _copies_again,
    _editable,
    _Fix,
    _heredoc_script,
    _Index,
    _lines,
    _mounted,
    _program,
    _source_range,
    _word_removal,
    data,
    masked,
    secret_name,
    secret_value,
)


class _Args:
    def __init__(self, doc: Document, analysis: Analysis, index: _Index, result: Result, fixes: list[_Fix], ids: dict[str, str]) -> None:
        self.doc, self.analysis, self.index, self.result, self.fixes, self.ids = doc, analysis, index, result, fixes, ids
        self.secrets = data()

    def why(self, name: str, defaults: list[str | None]) -> str | None:
        """Why this ARG looks like a secret; None when it does not."""
        for value in defaults:
            label = secret_value(value) if value else None
            if label:
                return f"its default holds what looks like {label}"
        if name.upper() in self.secrets["names"]["url_names"]:
            if all(not v for v in defaults):
                return "a package-index URL passed at build time carries the index's user and password"
            return None  # a URL written in the file: a credential only when it holds one (above)
        if secret_name(name):
            return "the name says it holds a secret"
        return None

    def run(self) -> None:
        decls: dict[str, list[tuple[Stage | None, Instruction, str | None]]] = {}
        for instr in self.doc.instructions:
            if instr.cmd == "FROM":
                break
            if instr.cmd == "ARG":
                for name, value in arg_defaults(instr).items():
                    decls.setdefault(name, []).append((None, instr, value))
        for stage in self.analysis.stages:
            for instr in stage.of("ARG"):
                for name, value in arg_defaults(instr).items():
                    decls.setdefault(name, []).append((stage, instr, value))
        for name, found in decls.items():
            in_stages = [d for d in found if d[0] is not None]
            why = self.why(name, [v for _, _, v in found])
            if why is None or not in_stages:
                continue  # a global ARG that no stage declares reaches FROM lines only
            self.one(name, found, in_stages, why)

    def refuse(self, name: str, line: int, why: str, reason: str, value: str | None) -> None:
        self.result.add(CODES, "SEC004", line, f"ARG {masked(name, value)} ({why}): {reason}; left as it is")

    def one(self, name: str, found: list, in_stages: list, why: str) -> None:
        line = in_stages[0][1].start_line
        value = next((v for _, _, v in found if v), None)
        if value:
            self.refuse(
                name, line, why,
                "its default value is written in the Dockerfile, and so in the repository: rotate it, "
                "delete the default and pass it with --secret (RUN --mount=type=secret); imgfix does not copy it anywhere",
                value,
            )
            return
        if not _SHELL_NAME.match(name):
            self.refuse(name, line, why, "not a shell variable name", None)
            return
        refs = re.compile(rf"\$\{{?{re.escape(name)}\b")
        readers = set(self.secrets["readers"].get(name.upper(), []))
        own = {id(instr) for _, instr, _ in found}
        for instr in self.index.named.get(name, []):
            if instr.cmd in _EXPANDED and id(instr) not in own:
                self.refuse(name, line, why, f"{instr.keyword} at line {instr.start_line} uses it, so its value reaches the image or the build another way", None)
                return
        sid = name.lower()
        # the RUN lines in scope of a declaration (after it, in its stage) that name the
        # argument or call a program that reads it
        candidates = {id(i): i for i in self.index.named.get(name, []) if i.cmd == "RUN"}
        if readers:
            for stage, _, _ in in_stages:
                for run in stage.of("RUN"):
                    if id(run) not in candidates and {_program(c) for c in self.index.usage(run).commands} & readers:
                        candidates[id(run)] = run
        first = {}  # stage index -> its first declaration of the argument
        for stage, decl, _ in in_stages:
            first.setdefault(stage.index, decl.start)
        users: list[tuple[Stage, Instruction]] = []
        for run in sorted(candidates.values(), key=lambda i: i.start):
            stage = self.index.stage.get(id(run))
            if stage is None or not first.get(stage.index, run.start) < run.start:
                continue  # not in scope of a declaration
            reason = None
            if any(refs.search(f) for f in run.flags or []):
                reason = f"the flags of the RUN at line {run.start_line} use it"
            elif run.heredocs and not _heredoc_script(run):
                reason = (
                    f"the RUN at line {run.start_line} is a heredoc that imgfix does not edit (several "
                    "heredocs, a command after it, or a #! script)"
                )
            elif run.json:
                reason = f"the RUN at line {run.start_line} is in exec form (no shell to read the secret file)"
            elif self.index.other_shell[stage.index] or self.doc.escape == "`":
                reason = f"the RUN at line {run.start_line} may not run in /bin/sh (a SHELL instruction, Windows)"
            elif _mounted(run, sid):
                reason = f"the RUN at line {run.start_line} already mounts a secret {sid}"
            elif self.index.usage(run).unparsed:
                reason = f"the shell parser cannot read the RUN at line {run.start_line}"
            elif not run.heredocs and not _editable(self.doc, run):
                reason = f"the RUN at line {run.start_line} cannot be edited in place"
            if reason:
                self.refuse(name, line, why, reason, None)
                return
            users.append((stage, run))
        if not users:
            self.refuse(
                name, line, why,
                f"no RUN line uses it by name (${name}) or through a program known to read it, so where to mount "
                "it cannot be told (a script may read it from its environment)",
                None,
            )
            return
        if not _SECRET_ID.match(sid) or self.ids.get(sid, name) != name:
            self.refuse(name, line, why, f"the secret id {sid} is taken", None)
            return
        args = []
        for _, decl, _ in found:
            if len(arg_defaults(decl)) > 1 and _word_removal(self.doc, decl, _arg_word(decl, name)) is None:
                self.refuse(name, line, why, f"the ARG at line {decl.start_line} declares several names over several lines", None)
                return
            args.append((decl, _arg_word(decl, name)))
        self.ids[sid] = name
        runs = []
        for stage, run in users:
            mount = f"--mount=type=secret,id={sid}" + (",mode=0444" if self.index.non_root(run) else "")
            runs.append((run, mount, (name, sid)))
        flag = f"id={sid},env={name}"
        command = _COMMAND
        composed = _compose_note(self.analysis, name, sid)
        where = _lines([r.start_line for _, r in users])
        decl_lines = _lines(sorted({d.start_line for _, d, _ in found}))
        self.fixes.append(_Fix(
            "SEC001", line,
            done=(
                f"ARG {name} ({why}) was recorded in the history of every later RUN: it is now a build secret "
                f"mounted only on the RUN at {where}, and the ARG ({decl_lines}) is gone. Build with `{command}` "
                f"({name} set in the environment; podman and buildah take the same --secret) instead of --build-arg {name}"
                + composed
            ),
            held=(
                f"ARG {name} ({why}) is recorded in the history of every later RUN: --unsafe-fixes mounts it as a "
                f"build secret only on the RUN at {where} and removes the ARG ({decl_lines}); the build then needs "
                f"`{command}` instead of --build-arg {name}" + composed
            ),
            flag=flag, subject=f"ARG {name}", runs=runs, removals=[], words=args,
        ))


# ---------------------------------------------------------------------------- files


class _Files:
    def __init__(self, doc: Document, analysis: Analysis, index: _Index, result: Result, fixes: list[_Fix], ids: dict[str, str]) -> None:
        self.doc, self.analysis, self.index, self.result, self.fixes, self.ids = doc, analysis, index, result, fixes, ids
        self.names = set(data()["files"]["names"])
        final = analysis.final_stage
        self.shipped: set[int] = set()  # stages whose files end up in the final image
        while final is not None:
            self.shipped.add(final.index)
            final = final.parent

    def run(self) -> None:
        for stage in self.analysis.stages:
            for copy in stage.of("COPY"):
                if copy.heredocs or any(f.startswith("--from") for f in copy.flags or []):
                    continue
                words = list(copy.value or [])
                for src in words[:-1]:
                    base = posixpath.basename(src.rstrip("/"))
                    if base in self.names and not any(c in src for c in "*?[$"):
                        self.one(stage, copy, src, base, words)

    def refuse(self, copy: Instruction, src: str, reason: str) -> None:
        self.result.add(CODES, "SEC005", copy.start_line, f"COPY {src}: a credentials file in a layer of the image; {reason}; left as it is")

    def one(self, stage: Stage, copy: Instruction, src: str, base: str, words: list[str]) -> None:
        dest = words[-1]
        flags = copy.flags or []
        if copy.json:
            return self.refuse(copy, src, "the COPY is in JSON form")
        if any(f.startswith(("--chmod", "--parents", "--exclude")) or "$" in f for f in flags):
            return self.refuse(copy, src, "its COPY flags (--chmod, --parents, --exclude, variables) have no secret-mount equivalent")
        workdir = self.index.workdir.get(id(copy))
        if "$" in dest:
            return self.refuse(copy, src, "its destination uses a variable")
        if not dest.startswith("/"):
            if workdir is None:
                return self.refuse(copy, src, "the destination is relative and the working folder is not known")
            dest = posixpath.join(workdir, dest)
        if len(words) > 2 or words[-1].endswith("/") or words[-1] in (".", "./"):
            target = posixpath.join(dest, base)
        elif posixpath.basename(dest.rstrip("/")) == base:
            target = dest
        else:
            return self.refuse(copy, src, f"whether {words[-1]} is a folder cannot be told")
        target = posixpath.normpath(target)
        if not _MOUNT_PATH.match(target):
            return self.refuse(copy, src, f"the path {target} cannot be written into a --mount flag")
        rm = None
        between: list[Instruction] = []
        for instr in stage.instructions[self.index.position[id(copy)] + 1 :]:
            if _copies_again(instr, base):
                return self.refuse(copy, src, f"the {instr.keyword} at line {instr.start_line} may copy it again")
            if instr.cmd != "RUN":
                continue
            between.append(instr)
            found = self.find_rm(stage, instr, target)
            if isinstance(found, str):
                return self.refuse(copy, src, found)
            if found is not None:
                rm = (instr, found)
                break
        if rm is None:
            if stage.index in self.shipped:
                self.refuse(copy, src, "no later RUN of the stage removes it, so the image keeps it (mount it with "
                            "RUN --mount=type=secret where it is used if only the build needs it)")
            return None
        sid = re.sub(r"[^a-z0-9_-]", "_", base.lstrip(".").lower()) or "secret"
        source = posixpath.normpath(src)
        if self.ids.get(sid, source) != source:
            return self.refuse(copy, src, f"the secret id {sid} is taken")
        # the COPY: deleted, or this one source of several (see _edits)
        if len(words) > 2 and _word_removal(self.doc, copy, src) is None:
            return self.refuse(copy, src, "its sources are spread over several lines")
        run_rm, rm_range = rm
        removals = [rm_range]
        owner = ""
        chown = next((f.split("=", 1)[1] for f in flags if f.startswith("--chown=")), None)
        if chown is not None and re.match(r"^\d+(:\d+)?$", chown):
            uid, _, gid = chown.partition(":")
            owner = f",uid={uid},gid={gid or uid}"
        runs = []
        for run in between:
            if run is run_rm and rm_range == (self.doc.line_start(run.start), run.end):
                continue  # the RUN only removed the file: it goes
            if self.doc.add_flag(run, "--x") is None:
                return self.refuse(copy, src, f"the RUN at line {run.start_line} cannot be edited in place")
            if _mounted(run, sid, target):
                return self.refuse(copy, src, f"the RUN at line {run.start_line} already mounts something at {target} or a secret {sid}")
            mode = ",mode=0444" if not owner and (chown is not None or self.index.non_root(run)) else ""
            runs.append((run, f"--mount=type=secret,id={sid},target={target},required=true{owner}{mode}", None))
        self.ids[sid] = source
        flag = f"id={sid},src={source}"
        command = _COMMAND
        where = _lines([r.start_line for r, _, _ in runs]) if runs else "no line (nothing used it)"
        self.fixes.append(_Fix(
            "SEC002", copy.start_line,
            done=(
                f"COPY {src} put {base} in a layer that the rm at line {run_rm.start_line} cannot take back: it is now a "
                f"secret mounted at {target} on the RUN at {where}, and the COPY and the rm are gone. Build with `{command}`"
            ),
            held=(
                f"COPY {src} puts {base} in a layer that the rm at line {run_rm.start_line} cannot take back: "
                f"--unsafe-fixes mounts it as a secret at {target} on the RUN at {where} and drops the COPY and the rm; "
                f"the build then needs `{command}`"
            ),
            flag=flag, subject=f"COPY {src}", runs=runs, removals=removals, words=[(copy, src)],
        ))
        return None

    def find_rm(self, stage: Stage, run: Instruction, target: str) -> tuple[int, int] | str | None:
        """The source range that removes ``target`` from this RUN (the ``rm``, or one of its
        words), a reason it cannot be removed, or None when this RUN does not remove it."""
        usage = self.index.usage(run)
        workdir = self.index.workdir.get(id(run))
        moved = False  # a cd before: relative paths are no longer known
        for cmd in usage.commands:
            if cmd.name == "cd":
                moved = True
            if cmd.name != "rm":
                continue
            args = [(i, w) for i, w in enumerate(cmd.words) if i and not w.startswith("-")]
            for i, word in args:
                if word.startswith("/"):
                    path = posixpath.normpath(word)
                elif moved or workdir is None:
                    if posixpath.basename(word) == posixpath.basename(target):
                        return f"the rm at line {run.start_line} names it relative to a folder that cannot be known"
                    continue
                else:
                    path = posixpath.normpath(posixpath.join(workdir, word))
                if path != target:
                    continue
                if cmd.spans[i] is None or run.heredocs or run.json:
                    return f"the rm at line {run.start_line} is in a script imgfix does not edit"
                return self.rm_range(run, cmd, i, len(args), len(usage.commands))
        return None

    def rm_range(self, run: Instruction, cmd: Command, i: int, n_args: int, n_commands: int) -> tuple[int, int] | str:
        text = run.text
        why = f"the rm at line {run.start_line} is part of a compound command"
        if n_args > 1:  # ``rm -f .npmrc other``: only this word goes
            start, end = cmd.spans[i]
            while start > 0 and text[start - 1] in " \t":
                start -= 1
            new_script = text[:start] + text[end:]
        else:
            start, end = cmd.spans[0][0], cmd.spans[-1][1]
            if n_commands == 1:
                _script, at = script_of(run)
                if text[at:start].strip() or text[end:].strip():
                    return why
                return self.doc.line_start(run.start), run.end  # the whole RUN
            before = re.search(r"\s*(?<![|&;])(&&|;)\s*$", text[:start])
            after = re.match(r"\s*(&&|;)(?![&;|])\s*", text[end:])
            _script, at = script_of(run)
            if before and before.start() > at:
                start = before.start()
                if text[end:].strip() and not re.match(r"\s*(&&|;)(?![&;|])", text[end:]):
                    return why
            elif after and not text[at:start].strip():
                end += after.end()
            else:
                return why
            new_script = text[:start] + text[end:]
        _script, at = script_of(run)
        if simple_commands(new_script[at:]) is None:
            return why
        found = _source_range(self.doc, run, start, end)
        return found if found is not None else f"the rm at line {run.start_line} has comments inside it"


# ---------------------------------------------------------------------------- ENV


def _env(analysis: Analysis, result: Result) -> None:
    for instr in analysis.doc.instructions:
        if instr.cmd != "ENV":
            continue
        words = list(instr.value or [])
        for name, value in [(words[i], words[i + 1]) for i in range(0, len(words) - 1, 3)]:
            label = secret_value(value) if value else None
            if label:
                why = f"holds what looks like {label}"
            elif value and secret_name(name):
                why = "the name says it holds a secret"
            else:
                continue
            copies = re.fullmatch(r"\$\{?(\w+)\}?", value)
            how = f"copies build argument {copies.group(1)} into" if copies else "is written in the Dockerfile and stays in"
            result.add(
                CODES, "SEC003", instr.start_line,
                f"ENV {masked(name, value)} ({why}) {how} the image config (docker inspect) and every container's "
                "environment: pass it when the container starts (a runtime secret), or to one build step with "
                "RUN --mount=type=secret",
            )


def _compose_note(analysis: Analysis, name: str, sid: str) -> str:
    """What the compose files that build the Dockerfile do with the argument (read only)."""
    notes = []
    for service in compose.find(analysis).services:
        if sid in service.secrets:
            notes.append(f"{service.label} already provides the build secret {sid}")
        elif name in service.args:
            literal = (f" (its value is written in {service.file.name}: it is in the repository, rotate it)"
                       if name in service.literal_args else "")
            notes.append(
                f"{service.label} passes it as a build arg{literal}: there, replace build.args {name} with "
                f"build.secrets: [{sid}] and a top-level secrets: {{{sid}: {{environment: {name}}}}}"
            )
    return "; " + "; ".join(notes) if notes else ""
