"""CHK: fix what BuildKit's build checks and hadolint report, wherever the fix is mechanical.

## What it does
Every ``docker build`` with a current BuildKit prints its own lint warnings, and most
pipelines run hadolint beside imgfix. This transform fixes those findings whose fix follows
from the file alone, each as a small edit of the bytes it concerns:

- CHK001 ``ENV``/``LABEL key value`` (legacy form) → ``key=value``, quoted where the value
  has spaces (or its blanks escaped where it has quotes of its own) (LegacyKeyValueFormat);
- CHK002 ``MAINTAINER x`` → ``LABEL org.opencontainers.image.authors="x"`` (MaintainerDeprecated, DL4000);
- CHK003 instruction keywords in the file's majority case (ConsistentInstructionCasing);
- CHK004 ``AS`` in ``FROM`` in the keyword's case (FromAsCasing);
- CHK005 stage names in lower case, with every ``FROM``/``--from=``/``from=`` reference (StageNameCasing);
- CHK006 ``EXPOSE 80/TCP`` → ``80/tcp`` (ExposeProtoCasing);
- CHK007 empty lines inside a line continuation removed (NoEmptyContinuation);
- CHK008 ``FROM --platform=$TARGETPLATFORM`` → ``FROM`` (RedundantTargetPlatform);
- CHK009 a ``CMD``/``ENTRYPOINT``/``HEALTHCHECK`` that a later one of the stage overrides is
  removed (MultipleInstructionsDisallowed, DL4003, DL4004);
- CHK010 ``apt`` → ``apt-get`` in RUN (DL3027);
- CHK011 ``CMD``/``ENTRYPOINT`` in shell form → exec form (JSONArgsRecommended, DL3025), and
  CHK016 for a command with shell syntax: ``["/bin/sh", "-c", "... exec <last command>"]``;
- CHK012 a relative ``WORKDIR`` made absolute (WorkdirRelativePath, DL3000);
- CHK013 ``SHELL ["/bin/bash", "-o", "pipefail", "-c"]`` before the first piped RUN (DL4006);
- CHK014 a stage name used twice, or ``scratch``/``context``, renamed ``<name>-2`` with the
  references after it (DuplicateStageName, ReservedStageName, DL3024);
- CHK015 ``ARG NAME`` before the first FROM for a build argument a FROM uses (UndefinedArgInFrom),
  with the default a stage declares for it where the global one has none (InvalidDefaultArgInFrom).

``ENV``/``LABEL`` are the instructions with a legacy form: ``ARG`` has none. A FROM argument
with no default anywhere has no mechanical one: left to BuildKit's report.

## Why is this bad?
A user who runs imgfix and then sees the same warnings from their own build concludes it did
half the job. The findings themselves matter too: a shell-form CMD runs under ``/bin/sh`` as
PID 1 and never receives SIGTERM; a failing command on the left of a pipe does not fail the
build without pipefail; a relative WORKDIR depends on a base image's WORKDIR that can change.

## Example
    from python:3.12-slim AS Build
    MAINTAINER Jane <jane@example.com>
    ENV APP_HOME /srv/my app
    WORKDIR app
    CMD python -m http.server 8000

## Use instead
    FROM python:3.12-slim AS build
    LABEL org.opencontainers.image.authors="Jane <jane@example.com>"
    ENV APP_HOME="/srv/my app"
    WORKDIR /app
    CMD ["python", "-m", "http.server", "8000"]

## Fix safety
Each fix is decided per occurrence, and only bytes the fix concerns change (comments,
continuations, CRLF and the escape directive stay). Safe: CHK001 when the new value reads back
(with BuildKit's own word processing) exactly as the old one, else reported; CHK002 likewise;
CHK003 to CHK010. CHK011 is safe only when the command has no shell syntax at all (the shell
parser sees one simple command of plain words) and, for CMD, when the stage's ENTRYPOINT is
known to be none or one that ends with ``exec "$@"`` (fixer/data/checks.toml), for ENTRYPOINT
when the stage sets no CMD (else unsafe). CHK016, a command with shell syntax: ``["/bin/sh",
"-c", "... exec <last command>"]`` is offered as unsafe where the last command can be exec'd,
and nothing where it cannot. Windows stages are
left alone. CHK012 is safe when the stage's previous WORKDIR or the base image's is known,
else reported. CHK013 is unsafe (a pipe that failed silently now fails the build; RUN, CMD and
ENTRYPOINT in shell form then run under bash) and offered only where bash exists: Debian,
Ubuntu, RHEL and SUSE families, or a stage that installs bash before its first piped RUN;
never on BusyBox, Alpine, distroless or Windows. CHK014 is unsafe: BuildKit cannot tell which
stage a reference to a duplicate name means, and the fix guesses the nearest one before it.
CHK015 is safe: a build argument a FROM uses undeclared is empty, and stays so unless
``--build-arg`` sets it. No fix adds a finding of either checker
(tests/test_checks.py runs both on every golden and corpus output).

## References
BuildKit build checks (https://docs.docker.com/reference/build-checks/); hadolint DL3000, DL3024, DL3025,
DL3027, DL4000, DL4003, DL4004, DL4006; docs/checks.md (the corpus before and after, and where
imgfix's secret detection differs from SecretsUsedInArgOrEnv).
"""

from __future__ import annotations

import re

from e2b_dockerfile_utils import ShellLex, parse_words

from ...analysis.shellusage import stage_usage
from ...analysis.stages import Analysis
from ...document.model import Document, Edit
from ...document.parser import Instruction
from .. import Result
from ..options import Options
from .base import GO_SPACE, Fixes, cased, keyword_at, processed, quoted_value
from .forms import exec_forms, pipefail, relative_workdirs
from .stages import arguments_in_from, stages

# code: (severity, title, fix safety: safe | unsafe | none; see transforms.FIX_SAFETY)
CODES = {
    "CHK001": ("warning", "ENV or LABEL in the legacy `key value` form (BuildKit LegacyKeyValueFormat)", "safe"),
    "CHK002": ("warning", "MAINTAINER is deprecated (BuildKit MaintainerDeprecated, hadolint DL4000)", "safe"),
    "CHK003": ("info", "Instruction keywords in mixed case (BuildKit ConsistentInstructionCasing)", "safe"),
    "CHK004": ("info", "`AS` in FROM not in the keyword's case (BuildKit FromAsCasing)", "safe"),
    "CHK005": ("info", "A stage name not in lower case (BuildKit StageNameCasing)", "safe"),
    "CHK006": ("info", "EXPOSE with an upper-case protocol (BuildKit ExposeProtoCasing)", "safe"),
    "CHK007": ("warning", "An empty line inside a line continuation (BuildKit NoEmptyContinuation)", "safe"),
    "CHK008": ("info", "FROM --platform=$TARGETPLATFORM, the default (BuildKit RedundantTargetPlatform)", "safe"),
    "CHK009": ("warning", "A CMD, ENTRYPOINT or HEALTHCHECK a later one overrides (BuildKit MultipleInstructionsDisallowed, hadolint DL4003/DL4004)", "safe"),
    "CHK010": ("info", "RUN calls apt, whose interface is not meant for scripts (hadolint DL3027)", "safe"),
    "CHK011": ("warning", "CMD or ENTRYPOINT in shell form, a plain command (BuildKit JSONArgsRecommended, hadolint DL3025); unsafe where an ENTRYPOINT receives it", "safe"),
    "CHK012": ("warning", "WORKDIR with a relative path (BuildKit WorkdirRelativePath, hadolint DL3000)", "safe"),
    "CHK013": ("warning", "A RUN with a pipe and no pipefail (hadolint DL4006)", "unsafe"),
    "CHK014": ("warning", "A stage name used twice, or reserved (BuildKit DuplicateStageName, ReservedStageName, hadolint DL3024)", "unsafe"),
    "CHK015": ("warning", "FROM uses a build argument no ARG before the first FROM declares (BuildKit UndefinedArgInFrom)", "safe"),
    "CHK016": ("warning", "CMD or ENTRYPOINT in shell form with shell syntax (BuildKit JSONArgsRecommended, hadolint DL3025)", "unsafe"),
}

_WS = re.compile(r"[ \t]+")
_STAGE_OVERRIDES = ("CMD", "ENTRYPOINT", "HEALTHCHECK")
# apt subcommands that apt-get has with the same meaning (``apt upgrade`` installs new
# dependencies, ``apt-get upgrade`` does not: left alone, as are list/search/show)
_APT_GET_SAME = {"install", "update", "remove", "purge", "autoremove", "clean", "autoclean", "dist-upgrade", "build-dep", "source"}


class Checks:
    code = "CHK"
    name = "checks"
    summary = "Fix what BuildKit's build checks and hadolint report where the fix is mechanical (exec form, key=value, casing...)."
    edits_dockerfile = True

    def apply(self, doc: Document, analysis: Analysis, options: Options) -> Result:
        fixes = Fixes(doc, options, CODES)
        lower = fixes.lower
        overridden(fixes, analysis)
        maintainers(fixes, lower)
        for instr in doc.instructions:
            if id(instr) in fixes.removed:
                continue
            legacy_key_value(fixes, instr)
            expose_protocols(fixes, instr)
            empty_continuations(fixes, instr)
        keyword_casing(fixes, lower)
        stages(fixes, analysis, lower)
        arguments_in_from(fixes, analysis, lower)
        apt_calls(fixes, analysis)
        exec_forms(fixes, analysis)
        relative_workdirs(fixes, analysis)
        pipefail(fixes, analysis)
        return fixes.result


TRANSFORM = Checks()


# ---------------------------------------------------------------- instructions a later one overrides


def overridden(fixes: Fixes, analysis: Analysis) -> None:
    doc = fixes.doc
    for stage in analysis.stages:
        for cmd in _STAGE_OVERRIDES:
            found = stage.of(cmd)
            for instr in found[:-1]:
                edit = Edit(doc.line_start(instr.start), instr.end, "")
                later = found[-1].start_line
                if fixes.report("CHK009", instr.start_line, f"{instr.keyword} is overridden by the {cmd} on line {later}: removed", [edit]):
                    fixes.removed.add(id(instr))


# ---------------------------------------------------------------- MAINTAINER


def maintainers(fixes: Fixes, lower: bool) -> None:
    doc = fixes.doc
    for instr in doc.instructions:
        if instr.cmd != "MAINTAINER" or not instr.value:
            continue
        who = instr.value[0]
        word = quoted_value(who, doc.escape)
        start = keyword_at(instr)
        end = len(instr.text.rstrip(GO_SPACE))
        edit = None
        if word is not None:
            edit = fixes.span(instr, start, end, f"{cased('LABEL', lower)} org.opencontainers.image.authors={word}")
        message = f"MAINTAINER is deprecated: LABEL org.opencontainers.image.authors={word or who}"
        if fixes.report("CHK002", instr.start_line, message if edit else f"{message} (not rewritten: the value spans lines or cannot be quoted)", [edit] if edit else None):
            fixes.removed.add(id(instr))


# ---------------------------------------------------------------- ENV / LABEL key value


def legacy_key_value(fixes: Fixes, instr: Instruction) -> None:
    """``ENV key value`` → ``ENV key=value``: the value as written when it is one word, else
    in double quotes; checked to read back the same through BuildKit's word processing."""
    if instr.cmd not in ("ENV", "LABEL") or not instr.value or len(instr.value) != 3 or instr.value[2] != "":
        return
    key, rest = instr.value[0], instr.value[1]
    text = instr.text
    k = text.find(key, keyword_at(instr) + len(instr.keyword))
    gap = _WS.match(text, k + len(key)) if k >= 0 else None
    edits = None
    if gap is not None and text.startswith(rest, gap.end()):
        v_end = gap.end() + len(rest)
        edits = _key_value_edits(fixes, instr, key, rest, gap.start(), gap.end(), v_end)
    message = f"{instr.keyword} {key} <value>: the legacy form; {key}=<value>"
    fixes.report("CHK001", instr.start_line, message if edits else f"{message} (not rewritten: the value cannot be quoted, or the line breaks between name and value)", edits)


def _key_value_edits(fixes: Fixes, instr: Instruction, key: str, rest: str, g_start: int, g_end: int, v_end: int) -> list[Edit] | None:
    escape = fixes.doc.escape
    lexer = ShellLex(escape)
    want = processed(lexer, rest)
    if want is None:
        return None
    if parse_words(f"{key}={rest}", escape) == [f"{key}={rest}"]:  # one word: the value reads the same
        edit = _gap_edit(fixes, instr, g_start, g_end, "=")
        return [edit] if edit else None
    if '"' not in rest and "'" not in rest and escape not in rest:
        word = f'"{rest}"'
        if processed(lexer, word) != want or parse_words(f"{key}={word}", escape) != [f"{key}={word}"]:
            return None
        edits = [_gap_edit(fixes, instr, g_start, g_end, '="'), fixes.insert(instr, v_end, '"')]
        return None if None in edits else edits
    # quotes of its own (``"part one" part two``): each blank outside them gets the escape
    # character instead, which keeps every quote's meaning
    blanks = _unquoted_blanks(rest, escape)
    word = "".join(escape + c if i in blanks else c for i, c in enumerate(rest))
    if blanks is None or processed(lexer, word) != want or parse_words(f"{key}={word}", escape) != [f"{key}={word}"]:
        return None
    v_start = v_end - len(rest)
    edits = [_gap_edit(fixes, instr, g_start, g_end, "=")] + [fixes.insert(instr, v_start + i, escape) for i in sorted(blanks)]
    return None if None in edits else edits


def _unquoted_blanks(text: str, escape: str) -> set[int] | None:
    """Positions of the blanks outside quotes and escapes; None for an unbalanced quote."""
    blanks, i, quote = set(), 0, ""
    while i < len(text):
        c = text[i]
        if c == escape and quote != "'":
            i += 2
            continue
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in " \t":
            blanks.add(i)
        i += 1
    return None if quote else blanks


def _gap_edit(fixes: Fixes, instr: Instruction, g_start: int, g_end: int, new: str) -> Edit | None:
    """Replace the blanks between name and value; when a line continuation breaks them (``ENV
    NAME \\`` then the value on the next line) the break goes too, as long as it holds nothing
    but blanks (no comment, no empty line)."""
    edit = fixes.span(instr, g_start, g_end, new)
    if edit is not None:
        return edit
    first, last = instr.source_offset(g_start), instr.source_offset(g_end)
    if first is None or last is None:
        return None
    between = fixes.doc.text[first:last]
    lines = between.split("\n")
    esc = fixes.doc.escape
    if len(lines) != 2 or lines[0].rstrip(" \t\r")[-1:] != esc or lines[0].rstrip(" \t\r")[:-1].strip(" \t") or lines[1].strip(" \t"):
        return None
    return Edit(first, last, new)


# ---------------------------------------------------------------- EXPOSE 80/TCP


def expose_protocols(fixes: Fixes, instr: Instruction) -> None:
    if instr.cmd != "EXPOSE" or instr.json:
        return
    after = keyword_at(instr) + len(instr.keyword)
    for word in instr.value or []:
        found = fixes.doc.find_word(instr, word, after)
        if found is None:
            continue
        after = found[1]
        port, slash, proto = word.partition("/")
        if slash and proto != proto.lower() and proto.lower() in ("tcp", "udp", "sctp"):
            edit = fixes.span(instr, found[0] + len(port) + 1, found[1], proto.lower())
            fixes.report("CHK006", instr.start_line, f"EXPOSE {word}: the protocol in lower case ({port}/{proto.lower()})", [edit] if edit else None)


# ---------------------------------------------------------------- empty continuation lines


def empty_continuations(fixes: Fixes, instr: Instruction) -> None:
    """Blank lines between an instruction's first and last continued line (not heredoc bodies)."""
    if len(instr.segments) < 2:
        return
    doc = fixes.doc
    pos, stop = instr.start, instr.segments[-1].source
    edits = []
    while pos < stop:
        nl = doc.text.find("\n", pos)
        end = stop if nl < 0 else min(nl + 1, stop)
        if pos > instr.start and not doc.text[pos:end].strip(GO_SPACE):
            edits.append(Edit(pos, end, ""))
        pos = end
    if edits:
        lines = ", ".join(str(doc.line_of(e.start)) for e in edits)
        fixes.report("CHK007", instr.start_line, f"{instr.keyword}: empty continuation line(s) {lines} removed", edits)


# ---------------------------------------------------------------- keyword and AS casing


def keyword_casing(fixes: Fixes, lower: bool) -> None:
    edits, lines = [], []
    for instr in fixes.doc.instructions:
        if id(instr) in fixes.removed:
            continue
        targets = [(instr, keyword_at(instr))]
        if instr.sub is not None:
            targets.append((instr, instr.text.find(instr.sub.keyword, keyword_at(instr) + len(instr.keyword))))
        for owner, at in targets:
            word = owner.text[at:].split(None, 1)[0] if at >= 0 else ""
            if word and word != cased(word, lower):
                edit = fixes.span(owner, at, at + len(word), cased(word, lower))
                if edit is not None:
                    edits.append(edit)
                    lines.append(owner.start_line)
    if edits:
        case = "lower" if lower else "upper"
        where = ", ".join(map(str, sorted(set(lines))))
        fixes.report("CHK003", lines[0], f"instruction keywords in {case} case like the rest of the file (lines {where})", edits)


# ---------------------------------------------------------------- apt → apt-get


def apt_calls(fixes: Fixes, analysis: Analysis) -> None:
    for stage in analysis.stages:
        runs = [r for r in stage.of("RUN") if id(r) not in fixes.removed]
        for call in stage_usage(runs).calls("apt"):
            if call.words[0] != "apt" or call.spans[0] is None:
                continue
            sub = next((w for w in call.words[1:] if not w.startswith("-")), None)
            if sub not in _APT_GET_SAME:
                continue
            message = f"apt {sub}: apt-get {sub} (apt's interface is not stable in scripts)"
            if sub == "install" and not _lints_clean_install(call.words):
                # hadolint reads only apt-get installs for unpinned versions (DL3008) and
                # recommended packages (DL3015): the rewrite would add those findings
                fixes.report("CHK010", call.run.start_line, f"{message}; not rewritten: apt-get install would then need "
                             "pinned versions and --no-install-recommends (hadolint DL3008, DL3015)")
                continue
            edit = fixes.span(call.run, *call.spans[0], "apt-get")
            fixes.report("CHK010", call.run.start_line, message, [edit] if edit else None)


def _lints_clean_install(words: list[str]) -> bool:
    """``apt install`` whose packages are all pinned, with --no-install-recommends."""
    after = words[words.index("install") + 1 :]
    packages = [w for w in after if not w.startswith("-")]
    return "--no-install-recommends" in after and all("=" in p for p in packages)
