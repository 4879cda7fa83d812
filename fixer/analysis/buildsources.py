"""What a build takes from its context: every path a COPY, ADD or ``RUN --mount`` of each stage
names (build arguments substituted; heredocs and URLs are not the context's), the files a
``COPY --from`` of an earlier stage brings along, and where context folders land in each stage.
The .dockerignore transform keeps all of it in the build context.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from ..document import ignorefile
from ..document.ignorefile import Glob
from ..document.parser import Instruction, is_number
from .stages import Analysis, Stage, arg_defaults, substitute

_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)")


@dataclass(frozen=True)
class Need:
    """A path the build needs from the context."""

    path: str  # cleaned, relative to the context root; "." for the whole context
    line: int
    why: str  # "COPY", "ADD", "RUN --mount", "COPY --from=build"
    glob: bool  # a wildcard source
    derived: bool = False  # found through COPY --from=<stage> (may also be built in that stage)

    def describe(self) -> str:
        return f"{self.why} at line {self.line}"


class BuildSources:
    """What each stage takes from the build context, and where it puts context folders."""

    def __init__(self, analysis: Analysis, context: Path) -> None:
        self.analysis, self.context = analysis, context
        self.unchecked: list[tuple[int, str]] = []  # (line, why): a source that names an ARG without a default
        self.needs: list[Need] = []
        self.sent: list[Glob] = []  # every source (a file under one of them goes into the image)
        self.explicit: list[tuple[Glob, Need]] = []  # sources that name files (not the root)
        # per stage: (absolute destination folder, context folder copied there)
        self.mounts: dict[int, list[tuple[str, str]]] = {}
        for stage in analysis.stages:
            self._stage(stage)

    def sent_files(self, files: list[str]) -> list[str]:
        """The files of the context that some COPY/ADD source sends into a stage."""
        if any(source.is_root for source in self.sent):
            return list(files)
        return [f for f in files if any(source.sends(f) for source in self.sent)]

    def _args(self, stage: Stage, upto: Instruction) -> dict[str, str | None]:
        args = dict(self.analysis.global_args)
        chain, s = [], stage
        while s is not None:
            chain.insert(0, s)
            s = s.parent
        for s in chain:
            for instr in s.instructions:
                if instr is upto:
                    break
                if instr.cmd == "ARG":
                    for k, v in arg_defaults(instr).items():
                        if v is not None or k not in args:
                            args[k] = v if v is not None else args.get(k)
        return args

    def _resolve(self, text: str, stage: Stage, instr: Instruction) -> str | None:
        if "$" not in text:
            return text
        return substitute(text, self._args(stage, instr))

    def _stage(self, stage: Stage) -> None:
        mounts = list(self.mounts.get(stage.parent.index, [])) if stage.parent else []
        workdir = self._workdir_of(stage.parent) if stage.parent else "/"
        for instr in stage.instructions:
            if instr.cmd == "WORKDIR":
                value = self._resolve(" ".join(instr.value or []), stage, instr)
                workdir = posixpath.normpath(posixpath.join(workdir, value)) if value else workdir
            elif instr.cmd in ("COPY", "ADD"):
                mounts += self._copy(stage, instr, workdir)
            elif instr.cmd == "RUN":
                self._run_mounts(stage, instr)
        self.mounts[stage.index] = mounts

    def _workdir_of(self, stage: Stage) -> str:
        workdir = self._workdir_of(stage.parent) if stage.parent else "/"
        for instr in stage.of("WORKDIR"):
            value = self._resolve(" ".join(instr.value or []), stage, instr)
            workdir = posixpath.normpath(posixpath.join(workdir, value)) if value else workdir
        return workdir

    def _flag(self, instr: Instruction, name: str) -> str | None:
        for flag in instr.flags or []:
            if flag == f"--{name}" or flag.startswith(f"--{name}="):
                return flag.partition("=")[2]
        return None

    def _copy(self, stage: Stage, instr: Instruction, workdir: str) -> list[tuple[str, str]]:
        words = list(instr.value or [])
        if len(words) < 2:
            return []
        from_stage = self._flag(instr, "from")
        if from_stage is not None:
            self._copy_from(stage, instr, from_stage, words[:-1])
            return []
        dest = self._resolve(words[-1], stage, instr)
        dest_abs = posixpath.normpath(posixpath.join(workdir, dest)) if dest else None
        mounts = []
        for raw in words[:-1]:
            if raw.startswith("<<") or _URL.match(raw):
                continue  # a heredoc or a remote source: nothing from the context
            value = self._resolve(raw, stage, instr)
            if value is None:
                self.unchecked.append((instr.start_line, f"{instr.cmd} source {raw} uses a build argument without a default; it was not checked"))
                continue
            path = ignorefile.clean(value)
            glob = ignorefile.has_wildcard(path)
            need = Need(path, instr.start_line, instr.cmd, glob)
            self.needs.append(need)
            try:
                source = ignorefile.compiled(path)
            except ValueError:
                continue  # BuildKit rejects it anyway
            self.sent.append(source)
            if not source.is_root:
                self.explicit.append((source, need))
            if dest_abs and not glob and (path == "." or (self.context / path).is_dir()):
                mounts.append((dest_abs, path))
        return mounts

    def _copy_from(self, stage: Stage, instr: Instruction, from_stage: str, sources: list[str]) -> None:
        """``COPY --from=build /app/x`` after ``COPY . /app`` in build: ``x`` must be sent."""
        source_stage = self.analysis.stage_named(from_stage)
        if source_stage is None and is_number(from_stage) and int(from_stage) < len(self.analysis.stages):
            source_stage = self.analysis.stages[int(from_stage)]
        if source_stage is None or source_stage.index >= stage.index:
            return
        for raw in sources:
            value = self._resolve(raw, stage, instr)
            if not value or ignorefile.has_wildcard(value):
                continue
            wanted = posixpath.normpath(posixpath.join(self._workdir_of(source_stage), value))
            for dest, folder in self.mounts.get(source_stage.index, []):
                if wanted.startswith(dest.rstrip("/") + "/") and wanted != dest:
                    rest = wanted[len(dest.rstrip("/")) + 1 :]
                    path = ignorefile.clean(posixpath.join(folder, rest))
                    if (self.context / path).exists():  # else the stage builds it
                        self.needs.append(Need(path, instr.start_line, f"COPY --from={from_stage}", False, True))

    def _run_mounts(self, stage: Stage, instr: Instruction) -> None:
        for flag in instr.flags or []:
            if not flag.startswith("--mount="):
                continue
            fields = {}
            for part in flag[len("--mount=") :].split(","):
                key, _, val = part.partition("=")
                fields[key.strip().lower()] = val.strip()
            if fields.get("type", "bind") != "bind" or "from" in fields:
                continue
            raw = fields.get("source", fields.get("src", "."))
            value = self._resolve(raw, stage, instr)
            if value is None:
                self.unchecked.append((instr.start_line, f"RUN --mount source {raw} uses a build argument without a default; it was not checked"))
                continue
            path = ignorefile.clean(value)
            self.needs.append(Need(path, instr.start_line, "RUN --mount", ignorefile.has_wildcard(path)))
