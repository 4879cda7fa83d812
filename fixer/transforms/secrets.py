"""SEC: credentials out of the image: build arguments and copied credential files become build secrets.

## What it does
A build argument whose name says it holds a credential (``NPM_TOKEN``, ``GITHUB_TOKEN``,
``*_PASSWORD``, ``*_SECRET``, ``PIP_EXTRA_INDEX_URL``, ...; the names are data in
``fixer/data/secrets.toml``) and that RUN lines use becomes a build secret: each RUN that
uses it (names it, ``$NPM_TOKEN``, or calls a program that reads it from the environment,
``pip`` for ``PIP_EXTRA_INDEX_URL``) gets ``--mount=type=secret,id=npm_token`` and exports the
variable from the mounted file for its script (``export NPM_TOKEN="$(cat
/run/secrets/npm_token)" && ...``; in a ``RUN <<EOF`` script, as its first line), and the
``ARG`` is removed from every stage that declares it, the global one included. A credentials
file (``.npmrc``, ``pip.conf``, ``.netrc``, ...) that a COPY puts in a layer and a later ``rm``
deletes becomes a secret mounted at the same path on the RUN lines between the two; the COPY
(or that one source of it) and the ``rm`` go. Each fix is whole or nothing: where a
``# imgfix: ignore`` covers a part of it, it is reported and not applied.
An ``ENV`` with a secret name or a value that looks like a credential is reported; nothing
can move it automatically (it is in the container's environment at run time).

Why ``target`` (the file) and ``cat`` rather than ``env=``: ``env=`` in a secret mount needs
BuildKit's Dockerfile frontend 1.10 (2024). buildah 1.28 and podman 4.3 (Debian 12) reject it
("secret should have syntax id=id[,target=path,required=bool,mode=uint,uid=uint,gid=uint"), and
the BuildKit built into Docker 20.10 predates it; a secret file under ``/run/secrets`` works on
all of them. A RUN that may run as a non-root user gets ``mode=0444`` (secret files are
root-only, 0400, by default).

## Why is this bad?
Docker and buildah record the value of every build argument in scope in the history of each
later RUN (``docker history --no-trunc`` shows ``|1 NPM_TOKEN=...``), for anyone who can pull
the image. A file copied in one layer and deleted in a later one stays in the first layer.
An ENV value is in the image config and in every container's environment.

## Example
    FROM node:18
    ARG NPM_TOKEN
    COPY package.json .
    RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc

built with ``docker build --build-arg NPM_TOKEN=...``.

## Use instead
    FROM node:18
    COPY package.json .
    RUN --mount=type=secret,id=npm_token export NPM_TOKEN="$(cat /run/secrets/npm_token)" && echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc

built with ``docker build --secret id=npm_token,env=NPM_TOKEN .`` (the finding gives the
exact command; podman and buildah take the same ``--secret``).

## Fix safety
Unsafe: the image is now built with ``--secret`` instead of ``--build-arg`` (and ``RUN
--mount`` needs BuildKit, or buildah/podman), so it is applied only with ``--unsafe-fixes``;
otherwise the finding says what it would do. A program that reads the variable from its
environment without the RUN naming it and without being listed as a reader (a script that
reads ``$NPM_TOKEN`` itself) no longer sees it. Left alone, with a finding that says why: an
argument with a default value (a credential written in the Dockerfile is in the repository:
it is never copied anywhere, and must be rotated), one used in FROM, COPY/ADD, ENV, LABEL,
WORKDIR, another ARG or a RUN flag (its value reaches the image some other way), one used by
an exec-form RUN, by a heredoc with a ``#!`` line, a command after its marker or several
bodies, under a ``SHELL`` instruction, or by no RUN that can be seen; a credentials file that is not removed later, removed after a ``cd`` or inside a
compound command, copied with ``--chmod`` or to a path that cannot be worked out. Values are
never printed: findings say ``NAME=****``. A RUN that writes the value into a file it keeps
(``git config --global`` with the token, an ``.npmrc`` it does not delete) still leaves it in
that layer: the mount only keeps it out of the history and the image config.

## References
Docker: "Build secrets" (``RUN --mount=type=secret``) and the SecretsUsedInArgOrEnv build
check; hadolint DL3000-adjacent advice; CIS Docker Benchmark 4.10 ("Ensure secrets are not
stored in Dockerfiles"); Trivy/Checkov secret scanning.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from ..analysis.shellusage import (
    Command,
    Usage,
    script_of,
    simple_commands,
    stage_usage,
)
from ..analysis.stages import Analysis, Stage, arg_defaults, is_root_user
from ..document.model import Document, Edit
from ..document.parser import Instruction
from . import Result
from .options import Options

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


class Secrets:
    code = "SEC"
    name = "secrets"
    summary = "Move secret build arguments and copied credential files to build secrets (RUN --mount=type=secret); report secret ENV."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        result = Result()
        fixes: list[_Fix] = []
        ids: dict[str, str] = {}  # secret id -> what it carries (two secrets never share one)
        index = _Index(doc, analysis)
        _Args(doc, analysis, index, result, fixes, ids).run()
        _Files(doc, analysis, index, result, fixes, ids).run()
        _env(analysis, result)
        fixes, hidden = _unsuppressed(doc, fixes, result)
        # every finding gives the one build command that passes all of the file's secrets
        command = _command(analysis, [fix.flag for fix in fixes])
        for fix in fixes:
            message = (fix.done if options.unsafe_fixes else fix.held).replace(_COMMAND, command)
            result.add(CODES, fix.code, fix.line, message, fixed=options.unsafe_fixes)
        for fix in hidden:  # reported (as suppressed, by the pipeline), never applied
            result.add(CODES, fix.code, fix.line, fix.held.replace(_COMMAND, _command(analysis, [fix.flag])))
        if options.unsafe_fixes and fixes:
            result.edits += _edits(doc, fixes)
        return result


def _unsuppressed(doc: Document, fixes: list[_Fix], result: Result) -> tuple[list[_Fix], list[_Fix]]:
    """(the fixes to apply, those whose finding a ``# imgfix: ignore`` hides). The pipeline
    drops suppressed edits one by one; a secret's fix is whole or nothing (an ARG removed while
    a RUN that needs it is not mounted would break the build), so a fix that a suppression
    covers in part is reported instead of applied."""
    from ..document.suppressions import SuppressionError, find_suppressions

    try:
        local = [s for s in find_suppressions(doc) if s.start_line]
    except SuppressionError:
        return fixes, []  # the pipeline reports it
    if not local:
        return fixes, []
    kept, hidden = [], []
    for fix in fixes:
        if any(s.covers(fix.code) and s.start_line <= fix.line <= s.end_line for s in local):
            hidden.append(fix)
            continue
        edits = _edits(doc, [fix])
        hit = next((s for s in local if s.covers_transform("SEC") and any(_touches(e, s) for e in edits)), None)
        if hit is None:
            kept.append(fix)
            continue
        what = "ARG" if fix.code == "SEC001" else "COPY"
        code = "SEC004" if fix.code == "SEC001" else "SEC005"
        result.add(
            CODES, code, fix.line,
            f"{fix.subject}: the `# imgfix: ignore` at line {hit.line} covers a part of this fix, which is applied "
            f"whole or not at all; {what} left as it is",
        )
    return kept, hidden


def _touches(edit: Edit, s) -> bool:
    """As the pipeline decides it (fixer.suppress): an insertion touches an instruction only
    strictly inside it."""
    if edit.start == edit.end:
        return s.start < edit.start < s.end
    return edit.start < s.end and s.start < edit.end


def _command(analysis: Analysis, flags: list[str]) -> str:
    """The build command that passes the secrets: ``docker build [-f NAME] --secret ... .``"""
    name = analysis.path.name if analysis.path is not None else "Dockerfile"
    dash_f = "" if name == "Dockerfile" else f"-f {name} "
    return f"docker build {dash_f}" + "".join(f"--secret {flag} " for flag in dict.fromkeys(flags)) + "."


def _edits(doc: Document, fixes: list[_Fix]) -> list[Edit]:
    edits: list[Edit] = []
    changes: dict[int, _RunChange] = {}
    for fix in fixes:
        for run, mount, export in fix.runs:
            change = changes.setdefault(run.start, _RunChange(run))
            if mount not in change.mounts:
                change.mounts.append(mount)
            if export and export not in change.exports:
                change.exports.append(export)
        edits += [Edit(s, e, "") for s, e in fix.removals]
    gone = {(s, e) for fix in fixes for s, e in fix.removals}
    for change in changes.values():
        if (doc.line_start(change.run.start), change.run.end) in gone:
            continue  # the RUN only removed a credentials file: it goes
        flag = doc.add_flag(change.run, " ".join(change.mounts))
        assert flag is not None  # checked when the fix was planned
        edits.append(flag)
        if change.exports:
            assignments = " ".join(f'{var}="$(cat /run/secrets/{sid})"' for var, sid in change.exports)
            if change.run.heredocs:  # the first line of the script
                pos = change.run.heredocs[0].start
                edits.append(Edit(pos, pos, f"export {assignments}{doc.newline}"))
            else:
                _script, at = script_of(change.run)
                pos = change.run.source_offset(at)
                edits.append(Edit(pos, pos, f"export {assignments} && "))
    # ARG and COPY instructions: deleted when every name or source they hold goes, else one
    # word at a time
    by_instr: dict[int, tuple[Instruction, set[str]]] = {}
    for fix in fixes:
        for instr, word in fix.words:
            by_instr.setdefault(instr.start, (instr, set()))[1].add(word)
    for instr, words in by_instr.values():
        held = list(instr.value or []) if instr.cmd == "ARG" else list(instr.value or [])[:-1]
        if set(held) <= words:
            edits.append(doc.replace(instr, ""))
            continue
        for word in words:
            edits.append(_word_removal(doc, instr, word))  # checked when planned
    return edits


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
        where = _lines([r.start_line for _, r in users])
        decl_lines = _lines(sorted({d.start_line for _, d, _ in found}))
        self.fixes.append(_Fix(
            "SEC001", line,
            done=(
                f"ARG {name} ({why}) was recorded in the history of every later RUN: it is now a build secret "
                f"mounted only on the RUN at {where}, and the ARG ({decl_lines}) is gone. Build with `{command}` "
                f"({name} set in the environment; podman and buildah take the same --secret) instead of --build-arg {name}"
            ),
            held=(
                f"ARG {name} ({why}) is recorded in the history of every later RUN: --unsafe-fixes mounts it as a "
                f"build secret only on the RUN at {where} and removes the ARG ({decl_lines}); the build then needs "
                f"`{command}` instead of --build-arg {name}"
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


TRANSFORM = Secrets()
