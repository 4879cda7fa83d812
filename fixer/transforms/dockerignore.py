"""DIG: keep what the build does not need, and every secret, out of the build context.

## What it does
Writes the ``.dockerignore`` the build will use when there is none: version-control folders,
``.env`` files, private keys and certificates, cloud and SSH credential folders, OS and editor
litter, the Dockerfile and compose files, plus the caches and build outputs of the ecosystems
found in the context (Python, Node.js, Maven, Gradle, Rust, Go, .NET, Ruby, PHP). When the
file exists, appends only the entries it lacks, in one marked block at its end; the user's
lines are never removed, reordered or rewritten. BuildKit reads
``<Dockerfile name>.dockerignore`` beside the Dockerfile before ``<context>/.dockerignore``:
that is the file read and completed when it exists.

Every entry is checked with Docker's own matching (moby/patternmatcher) against what the
build needs: each COPY/ADD source of every stage, each ``RUN --mount=type=bind`` source, and
the files a later ``COPY --from=<stage>`` takes out of a folder an earlier stage copied from
the context. An entry that would exclude one of them is dropped, or followed by a ``!``
exception for that file, and reported.

Files that look like credentials (``.env``, ``*.pem``, ``id_rsa``, ``credentials.json``, an
``.npmrc`` that holds a token, ...) and that a COPY would send into the image are reported by
name and excluded; one that the Dockerfile copies by name is kept and reported with a pointer
to ``RUN --mount=type=secret``. (``ARG`` and ``ENV`` that hold secrets are the secrets
transform's, SEC; DIG006 is retired.)

## Why is this bad?
Without a ``.dockerignore``, ``COPY . .`` sends ``.git``, ``.env``, keys and ``node_modules``
to the builder and into the image, where anyone who can pull it can read them (every layer
keeps them, even when a later RUN deletes them). The context is also uploaded on every build
and every changed file invalidates the COPY layer's cache.

## Example
    FROM python:3.12-slim
    COPY . /app

with ``.env``, ``.git/`` and ``__pycache__/`` in the folder.

## Use instead
The same Dockerfile, and a ``.dockerignore`` that holds ``.git``, ``**/.env``,
``**/__pycache__``, ... (and ``!`` exceptions for anything the Dockerfile copies by name).

## Fix safety
Safe for the files the Dockerfile names. A program that reads an excluded file at build time
without naming it in a COPY (``COPY . .`` then ``RUN cp certs/ca.crt ...``) loses it: every
excluded file that a COPY would have sent is counted in the finding, and secrets are named.

## References
Docker: "Build context" and ".dockerignore files"; BuildKit check SecretsUsedInArgOrEnv;
hadolint DL3020-adjacent advice; Trivy/Checkov secret scanning.
"""

from __future__ import annotations

import functools
import posixpath
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ..analysis.stages import Analysis, Stage, arg_defaults, substitute
from ..document import ignorefile
from ..document.context import BuildContext, resolved, shared
from ..document.ignorefile import Glob, IgnoreError, Matcher
from ..document.model import Document
from ..document.parser import Instruction, is_number
from . import FileChange, Result
from .options import Options

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "DIG001": ("warning", "The build context has no .dockerignore", "safe"),
    "DIG002": ("info", "The .dockerignore lacks entries", "safe"),
    "DIG003": ("warning", "A COPY sends a file that looks like a secret", "safe"),
    "DIG004": ("warning", "The Dockerfile copies a file that looks like a secret", "none"),
    "DIG005": ("info", "An entry would exclude a file the build needs", "safe"),
    "DIG007": ("warning", "The .dockerignore excludes a file the build needs", "none"),
    "DIG008": ("info", "A source cannot be checked statically", "none"),
    "DIG009": ("error", "The .dockerignore cannot be used", "none"),
}

HEADER_NEW = [
    "# Written by imgfix: keeps what the image does not need out of the build context.",
    "# Syntax and rules: https://docs.docker.com/build/concepts/context/#dockerignore-files",
]
MARKER = "# --- added by imgfix: entries this build context lacked ---"
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)")
_SHOWN = 5  # file names listed in a finding before "and N more"


@cache
def data() -> dict:
    return tomllib.loads(resources.files("fixer.data").joinpath("dockerignore.toml").read_text(encoding="utf-8"))


def _names(paths: list[str]) -> str:
    shown = ", ".join(paths[:_SHOWN])
    return shown + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")


def _user_part(old: str | None) -> str:
    """The user's lines of an ignore file: all of it but a block imgfix added or wrote."""
    if not old or old.lstrip(ignorefile.BOM).startswith(HEADER_NEW[0]):
        return ""
    return old.split(MARKER)[0]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


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


class DockerIgnore:
    code = "DIG"
    name = "dockerignore"
    summary = "Write or complete the .dockerignore the build uses; report secret files the context would leak."
    edits_dockerfile = False  # its changes are to the ignore file only

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        result = Result()
        if analysis.context is not None:
            _ContextFix(analysis, result).run()
        return result


@functools.lru_cache(maxsize=64)
def _present(files: tuple[str, ...]) -> frozenset[str]:
    """The ``if_present`` and ecosystem ``detect`` patterns that match a file of the context
    (once per context listing: every Dockerfile of a context asks the same)."""
    from ..document.patterns import matches_any

    patterns = [p for g in data()["common"] for p in g.get("if_present", [])]
    patterns += [p for eco in data()["ecosystem"] for p in eco["detect"]]
    # a pattern excludes a file when it matches the file or a folder above it
    paths = set(files)
    for f in files:
        while "/" in f:
            f = f.rsplit("/", 1)[0]
            paths.add(f)
    found = set()
    for pattern in dict.fromkeys(patterns):
        if any(not p.startswith("!") and matches_any(p, paths) for p in Matcher([pattern]).patterns):
            found.add(pattern)
    return frozenset(found)


_glob = functools.lru_cache(maxsize=1024)(Glob)  # each pattern compiled once, its decisions shared


def _reaches(pattern: str, path: str) -> bool:
    """Whether the pattern matches the path or a folder above it."""
    return _glob(pattern).sends(path)


@functools.lru_cache(maxsize=256)
def _named(pattern: str, files: tuple[str, ...]) -> tuple[str, ...]:
    """The files a pattern names (every Dockerfile of a context asks the same)."""
    rule = _glob(pattern)
    return tuple(f for f in files if rule.names(f))


_NEED = "\0"  # in a note: where the need's description goes


@functools.lru_cache(maxsize=32)
def _decide(
    groups: tuple[tuple[str, tuple[str, ...]], ...],
    before_lines: tuple[str, ...],
    needs: tuple[tuple[str, bool, bool], ...],
    files: tuple[str, ...],
) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """The entries to add (under their group titles) and the notes on what was held back, for
    the user's lines ``before_lines``, the needed paths as (path, wildcard source, is a folder)
    and the context's files. Each note comes with the number of the need whose description
    replaces its ``_NEED`` (-1: none)."""
    before = Matcher(list(before_lines))
    lines: list[str] = []
    notes: list[tuple[str, int]] = []
    seen: set[str] = set()
    users = {ignorefile.clean_pattern(x) for x in before_lines}
    current = before
    for title, entries in groups:
        chosen: list[str] = []
        for entry in entries:
            pattern = ignorefile.clean_pattern(entry)
            if pattern is None or pattern in seen:
                continue
            seen.add(pattern)
            if len(current.lines) != len(before.lines) + len(lines) + len(chosen):
                current = before.plus(*lines, *chosen)  # only when an entry was added
            if pattern.startswith("!"):
                # an exception in the template: only where it re-includes a file of the context
                if any(current.excluded(f) for f in _named(pattern[1:], files)):
                    chosen.append(entry)
                continue
            examples = ignorefile.probes(pattern)
            if examples and all(current.excluded(p) for p in examples):
                continue  # already covered
            if pattern in users:
                continue
            trial = None  # the lines with this entry, built only when a needed path asks
            exceptions: list[str] = []
            dropped = None
            for index, (path, glob, folder) in enumerate(needs):
                if path == "." or current.excluded(path):
                    continue
                if not _reaches(pattern, path):
                    continue  # an entry that matches neither the path nor a folder above cannot exclude it
                trial = trial or current.plus(entry)
                if not trial.excluded(path):
                    continue
                if glob or folder or path == pattern:
                    dropped = index
                    break
                exceptions.append(f"!{path}")
            if dropped is not None:
                path = needs[dropped][0]
                notes.append((f"left out {entry}: it would exclude {path}, which the {_NEED} needs", dropped))
                continue
            for exc in dict.fromkeys(exceptions):
                notes.append((f"{entry} is followed by {exc}: {exc[1:]} is needed by the build", -1))
            chosen += [entry, *dict.fromkeys(exceptions)]
        if chosen:
            lines += [f"# {title}", *chosen]
    return tuple(lines), tuple(notes)


def _finding(result: Result, code: str, message: str, line: int = 0, fixed: bool = False) -> None:
    result.add(CODES, code, line, message, fixed)


# ---------------------------------------------------------------------------- sources


class _Sources:
    """What each stage takes from the build context, and where it puts context folders."""

    def __init__(self, analysis: Analysis, context: Path, result: Result) -> None:
        self.analysis, self.context, self.result = analysis, context, result
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
                _finding(
                    self.result, "DIG008",
                    f"{instr.cmd} source {raw} uses a build argument without a default; it was not checked",
                    instr.start_line,
                )
                continue
            path = ignorefile.clean(value)
            glob = ignorefile.has_wildcard(path)
            need = Need(path, instr.start_line, instr.cmd, glob)
            self.needs.append(need)
            try:
                source = _glob(path)
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
                _finding(self.result, "DIG008", f"RUN --mount source {raw} uses a build argument without a default; it was not checked", instr.start_line)
                continue
            path = ignorefile.clean(value)
            self.needs.append(Need(path, instr.start_line, "RUN --mount", ignorefile.has_wildcard(path)))


# ---------------------------------------------------------------------------- the context


class _ContextFix:
    def __init__(self, analysis: Analysis, result: Result) -> None:
        self.analysis, self.result = analysis, result
        self.context = resolved(Path(analysis.context))
        self.dockerfile = resolved(Path(analysis.path)) if analysis.path else None

    def finding(self, code: str, message: str, line: int = 0, fixed: bool = False) -> None:
        _finding(self.result, code, message, line, fixed)

    def run(self) -> None:
        if not self.context.is_dir():
            self.finding("DIG009", f"the build context {self.context} is not a folder; no .dockerignore written")
            return
        target = ignorefile.locate(self.dockerfile, self.context)
        label = self._label(target)
        try:
            old = ignorefile.read(target)
            before = Matcher.from_text(old or "")
        except IgnoreError as err:
            self.finding("DIG009", f"{label}: {err}; Docker rejects it too: fix it by hand, nothing added")
            return
        sources = _Sources(self.analysis, self.context, self.result)
        files = self._files(before)
        needs = self._needs(sources.needs, files)

        # what the user's own lines exclude that the build needs
        user = Matcher.from_text(_user_part(old))
        ours_broke: list[Need] = []
        for need in needs:
            if need.path != "." and before.excluded(need.path):
                if need.derived:
                    continue  # the stage may well build it; only new entries are held back for it
                if user.excluded(need.path):
                    self.finding(
                        "DIG007",
                        f"{label} excludes {need.path}, which the {need.describe()} needs: the build fails or misses it",
                        need.line,
                    )
                else:
                    ours_broke.append(need)

        sent = sources.sent_files(files)
        secrets = self._secrets(sent, sources, self._secret_files(files, before))
        candidates = self._candidates(files, secrets)
        lines, notes = self._choose(candidates, before, needs, files)
        own_lines, own_notes = self._choose(self._own_name(), before.plus(*lines), needs, files)
        lines, notes = lines + own_lines, notes + own_notes
        for need in ours_broke:  # a previous imgfix block excludes what this Dockerfile needs
            if not before.plus(*lines, f"!{need.path}").excluded(need.path):
                lines.append(f"!{need.path}")
                notes.append(f"added !{need.path}: an earlier imgfix entry excluded it and the {need.describe()} needs it")
        lines += self._restore_user_exceptions(before, lines)
        if not any(line and not line.startswith("#") for line in lines):
            self._report(label, target, old, [], secrets, notes, before, before, sent)
            return
        newline = ignorefile.newline_of(old)
        if old is None:
            new = "".join(line + "\n" for line in HEADER_NEW + [""] + lines)
        else:
            header = [] if MARKER in old else [MARKER]
            new = ignorefile.append_block(old, lines, header, newline)
        after = Matcher.from_text(new)
        for need in needs:  # the guarantee: nothing the build needs became excluded
            if need.path != "." and after.excluded(need.path) and not before.excluded(need.path):
                self.finding("DIG009", f"internal error: the new entries would exclude {need.path} ({need.describe()}); nothing written")
                return
        self.result.files.append(FileChange(str(target), old, new))
        self._report(label, target, old, lines, secrets, notes, before, after, sent)

    # ------------------------------------------------------------------ facts

    def _label(self, target: Path) -> str:
        try:
            return str(target.relative_to(self.context))
        except ValueError:
            return target.name

    def _files(self, before: Matcher) -> list[str]:
        """The files of the context the build sends today (excluded folders are not walked)."""
        vcs = {".git", ".hg", ".svn"}

        def skip(folder: str) -> bool:
            if folder.rsplit("/", 1)[-1] in vcs:
                return True
            return before.excluded(folder) and not before.may_reinclude_under(folder)

        def sent() -> tuple[str, ...]:
            return tuple(f for f in BuildContext(self.context).files(skip_dir=skip) if not before.excluded(f))

        return list(shared(("sent", self.context, tuple(before.patterns)), sent))

    def _needs(self, needs: list[Need], files: list[str]) -> list[Need]:
        """The paths to protect: each source, and each file a wildcard source matches."""
        out: list[Need] = []
        for need in needs:
            out.append(need)
            if need.glob:
                try:
                    glob = _glob(need.path)
                except ValueError:
                    continue
                out += [Need(f, need.line, need.why, False) for f in files if glob.names(f)]
        return out

    def _secrets(self, sent: list[str], sources: _Sources, secret: frozenset[str]) -> list[tuple[str, Need | None]]:
        """(file, the source that names it or None) for the secret-looking files a COPY sends."""
        found: list[tuple[str, Need | None]] = []
        for path in sent:
            if path in secret:
                named = next((need for glob, need in sources.explicit if glob.names(path)), None)
                found.append((path, named))
        return found

    def _secret_files(self, files: list[str], before: Matcher) -> frozenset[str]:
        """The files of the context (``_files``) that look like secrets, by name or by content."""
        def find() -> frozenset[str]:
            secrets = data()["secrets"]
            by_name = Matcher(secrets["files"])
            content = [(Glob(c["file"]), re.compile(c["regex"])) for c in secrets["content"]]
            found = set()
            for path in files:
                is_secret = by_name.excluded(path)
                if not is_secret:
                    for glob, regex in content:
                        if glob.sends(path):
                            text = BuildContext(self.context).read_text(path)
                            is_secret = bool(text and regex.search(text))
                            break
                if is_secret:
                    found.add(path)
            return frozenset(found)

        return shared(("secrets", self.context, tuple(before.patterns)), find)

    def _candidates(self, files: list[str], secrets: list[tuple[str, Need | None]]) -> list[tuple[str, list[str]]]:
        """(group title, entries) in the order they are written."""
        groups = []
        found = _present(tuple(files))
        for group in data()["common"]:
            present = [p for p in group.get("if_present", []) if p in found]
            groups.append((group["title"], list(group["entries"]) + present))
        for eco in data()["ecosystem"]:
            if any(p in found for p in eco["detect"]):
                groups.append((eco["name"], list(eco["entries"])))
        extra = [line for path, named in secrets if named is None if (line := ignorefile.literal(path))]
        if extra:
            groups.append(("secrets found in this context", extra))
        return groups

    def _own_name(self) -> list[tuple[str, list[str]]]:
        """The Dockerfile's own name, where the generic entries miss it: a group of its own,
        last, so that the Dockerfiles of one context share the decisions on everything else."""
        if self.dockerfile is None:
            return []
        try:
            name = self.dockerfile.relative_to(self.context).as_posix()
        except ValueError:
            return []  # the Dockerfile lies outside the context: it is not sent
        line = ignorefile.literal(name)
        return [("this Dockerfile", [line])] if line else []

    # ------------------------------------------------------------------ decisions

    def _choose(
        self, groups: list[tuple[str, list[str]]], before: Matcher, needs: list[Need], files: list[str]
    ) -> tuple[list[str], list[str]]:
        """The lines to add, each group under its title, and notes on what was held back."""
        # the decisions depend on these facts only, so Dockerfiles that share them (those of one
        # context, copies of one project) share the answer; a needed path that no entry matches
        # (nor a folder above it) cannot change a decision
        entries = Matcher([e for _, group in groups for e in group if not e.lstrip().startswith("!")])
        relevant = [n for n in needs if n.path != "." and entries.excluded(n.path)]
        facts = tuple((n.path, n.glob, (self.context / n.path).is_dir()) for n in relevant)
        lines, notes = _decide(tuple((t, tuple(e)) for t, e in groups), tuple(before.lines), facts, tuple(files))
        return list(lines), [text.replace(_NEED, relevant[i].describe()) if i >= 0 else text for text, i in notes]

    def _restore_user_exceptions(self, before: Matcher, lines: list[str]) -> list[str]:
        """The user's ``!`` lines that the appended entries would override (the last match wins)."""
        after = before.plus(*lines)
        again: list[str] = []
        for line in before.lines:
            pattern = ignorefile.clean_pattern(line)
            if not pattern or not pattern.startswith("!"):
                continue
            examples = ignorefile.probes(pattern)
            if any(not before.excluded(p) and after.excluded(p) for p in examples):
                again.append(line.strip())
        return (["# the user's exceptions above, repeated so the entries above do not override them"] + again) if again else []

    # ------------------------------------------------------------------ findings

    def _report(self, label, target, old, lines, secrets, notes, before, after, sent) -> None:
        entries = [line for line in lines if line and not line.startswith("#")]
        newly = [f for f in sent if after.excluded(f) and not before.excluded(f)]
        kept_out = f"; it keeps {_plural(len(newly), 'file')} out of the image ({_names(newly)})" if newly else ""
        if entries and old is None:
            self.finding("DIG001", f"no .dockerignore: wrote {label} with {_plural(len(entries), 'entry', 'entries')}{kept_out}", fixed=True)
        elif entries:
            self.finding("DIG002", f"{label}: added {_plural(len(entries), 'missing entry', 'missing entries')} in a block at its end{kept_out}", fixed=True)
        for note in notes:
            self.finding("DIG005", note, fixed=True)
        hidden = [path for path, named in secrets if named is None and after.excluded(path)]
        if hidden:
            what = "it looks like a secret" if len(hidden) == 1 else "they look like secrets"
            self.finding("DIG003", f"a COPY would send {_names(hidden)} into the image: {what}; now excluded", fixed=True)
        for path, named in secrets:
            if named is None and not after.excluded(path):
                self.finding("DIG003", f"a COPY sends {path} into the image: it looks like a secret and stays included", 0)
            elif named is not None:
                self.finding(
                    "DIG004",
                    f"{path} looks like a secret and the {named.describe()} copies it into the image: "
                    "mount it only where it is used with RUN --mount=type=secret,id=...,target=... instead",
                    named.line,
                )


TRANSFORM = DockerIgnore()
