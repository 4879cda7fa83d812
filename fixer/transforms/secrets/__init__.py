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

from ...analysis.shellusage import script_of
from ...analysis.stages import Analysis
from ...document.model import Document, Edit
from ...document.parser import Instruction
from .. import Result
from ..options import Options
from .facts import _COMMAND, CODES, _Fix, _Index, _RunChange, _word_removal
from .sources import _Args, _env, _Files


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
    from ...document.suppressions import SuppressionError, find_suppressions

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




TRANSFORM = Secrets()
