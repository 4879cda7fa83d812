"""The CHK fixes of stages (see fixer/transforms/checks.py, whose CODES table and documentation
they share): ``AS`` casing, a redundant ``--platform=$TARGETPLATFORM``, stage names in lower
case, duplicate and reserved stage names, and build arguments a FROM uses without declaring.
"""

from __future__ import annotations

import re

from ...analysis.stages import Analysis, Stage
from ...document.model import Edit
from ...document.parser import Instruction
from .base import Fixes, cased, flags_end, keyword_at

_REDUNDANT_PLATFORM = re.compile(r"--platform=(?:\$TARGETPLATFORM|\$\{TARGETPLATFORM\})[ \t]+")


_RESERVED = {"scratch", "context"}  # BuildKit's ReservedStageName
# build arguments BuildKit defines in the global scope itself
_AUTOMATIC = {"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS", "TARGETARCH",
              "TARGETVARIANT", "TARGETSTAGE"}
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")


def stages(fixes: Fixes, analysis: Analysis, lower: bool) -> None:
    """``AS`` casing, redundant ``--platform=$TARGETPLATFORM``, stage names in lower case,
    duplicate and reserved stage names."""
    taken = {s.name.lower() for s in analysis.stages if s.name}
    count: dict[str, int] = {}
    for s in analysis.stages:
        if s.name:
            count[s.name.lower()] = count.get(s.name.lower(), 0) + 1
    # the later duplicates are renamed (CHK014) only with --unsafe-fixes: until then the first
    # keeps its case, or hadolint (case-sensitive) would see two stages of one name (DL3024)
    renames = fixes.options.unsafe_fixes and fixes.options.wants("CHK014")
    seen: set[str] = set()
    for stage in analysis.stages:
        instr = stage.from_instr
        words = instr.value or []
        if len(words) >= 3 and words[1] != cased(words[1], lower) and words[1].lower() == "as":
            base = fixes.doc.find_word(instr, words[0], keyword_at(instr) + len(instr.keyword))
            found = fixes.doc.find_word(instr, words[1], base[1]) if base else None
            edit = fixes.span(instr, *found, cased("as", lower)) if found else None
            fixes.report("CHK004", instr.start_line, f"FROM ... {words[1]} {words[2]}: {cased('AS', lower)} like the keyword", [edit] if edit else None)
        match = _REDUNDANT_PLATFORM.search(instr.text, 0, flags_end(instr))
        if match:
            edit = fixes.span(instr, match.start(), match.end(), "")
            fixes.report("CHK008", instr.start_line, "FROM --platform=$TARGETPLATFORM: the platform a stage is built for by default; flag removed", [edit] if edit else None)
        if not stage.name:
            continue
        name = stage.name.lower()
        if name in seen or name in _RESERVED:
            new = next(f"{name}-{n}" for n in range(2, 1000) if f"{name}-{n}" not in taken)
            taken.add(new)
            why = "another stage before it has that name" if name in seen else f"{name} is reserved"
            _rename_stage(fixes, analysis, stage, new, "CHK014", f"stage {stage.name}: {why}; named {new}, with the references after it")
        elif stage.name != name and count[name] > 1 and not renames:
            fixes.report("CHK005", instr.start_line, f"stage {stage.name}: not named {name}, which a later stage "
                         "has (CHK014 renames that one with --unsafe-fixes)")
        elif stage.name != name:
            _rename_stage(fixes, analysis, stage, name, "CHK005", f"stage {stage.name}: named {name}, with its references")
        seen.add(name)


def _rename_stage(fixes: Fixes, analysis: Analysis, stage: Stage, new: str, code: str, message: str) -> None:
    """Rename a stage and the references to it: ``FROM <name>`` and ``--from=<name>`` in the
    stages after it up to the next stage of the same name (which a reference would then mean);
    ``FROM scratch`` and ``FROM context`` stay."""
    doc = fixes.doc
    instr = stage.from_instr
    words = instr.value or []
    base = doc.find_word(instr, words[0], keyword_at(instr) + len(instr.keyword))
    as_word = doc.find_word(instr, words[1], base[1]) if base else None
    name_at = doc.find_word(instr, stage.name, as_word[1]) if as_word else None
    edits = [fixes.span(instr, *name_at, new) if name_at else None]
    old = stage.name.lower()
    edits += [e for i in stage.instructions for e in _flag_references(fixes, i, old, new)]
    for later in analysis.stages[stage.index + 1 :]:
        if later.parent is stage and old not in _RESERVED:  # ``FROM scratch`` keeps meaning the empty image
            found = doc.find_word(later.from_instr, later.base_text, keyword_at(later.from_instr))
            edits.append(fixes.span(later.from_instr, *found, new) if found else None)
        if later.name and later.name.lower() == old:
            break
        edits += [e for i in later.instructions for e in _flag_references(fixes, i, old, new)]
    if None in edits:
        fixes.report(code, instr.start_line, f"{message} (not renamed: a reference is split over lines)")
        return
    fixes.report(code, instr.start_line, message, edits)


def arguments_in_from(fixes: Fixes, analysis: Analysis, lower: bool) -> None:
    """A FROM that uses a build argument no ``ARG`` before the first FROM declares (BuildKit's
    UndefinedArgInFrom): the FROM sees it empty whatever ``--build-arg`` says; ``ARG NAME``
    before the first FROM makes ``--build-arg`` reach it. Where a stage declares the argument
    with a default (which the FROM cannot see) and the global one has none (BuildKit's
    InvalidDefaultArgInFrom when the reference is then invalid), that default goes to the
    global declaration: the FROM got nothing before, and ``--build-arg`` still wins."""
    if not analysis.stages:
        return
    doc = fixes.doc
    used: dict[str, int] = {}
    for stage in analysis.stages:
        instr = stage.from_instr
        for m in _VAR.finditer(instr.text, keyword_at(instr) + len(instr.keyword)):
            name = m.group(1) or m.group(2)
            if name not in _AUTOMATIC and analysis.global_args.get(name) is None:
                used.setdefault(name, instr.start_line)
    if not used:
        return
    defaults = _stage_defaults(analysis)
    missing = [name for name in used if name not in analysis.global_args]
    if missing:
        first = analysis.stages[0].from_instr
        at = _above_comments(fixes, first)
        text = "".join(f"{cased('ARG', lower)} {defaults.get(name, name)}{doc.newline}" for name in missing)
        edit = Edit(at, at, text)
        for n, name in enumerate(missing):
            fixes.report("CHK015", used[name], f"FROM uses ${name}, which no ARG before the first FROM declares: "
                         f"ARG {defaults.get(name, name)} added there", [edit] if n == 0 else [])
    for instr in doc.instructions:
        if instr.cmd == "FROM":
            break
        if instr.cmd != "ARG":
            continue
        for word in instr.value or []:
            if word in used and word in defaults:
                found = doc.find_word(instr, word, keyword_at(instr) + len(instr.keyword))
                edit = fixes.span(instr, *found, defaults[word]) if found else None
                fixes.report("CHK015", used[word], f"FROM uses ${word}, which its global ARG gives no default: "
                             f"the default a stage declares, ARG {defaults[word]}", [edit] if edit else None)


def _stage_defaults(analysis: Analysis) -> dict[str, str]:
    """``NAME=default`` as written, for the build arguments stages declare with a default (the
    first declaration of each name)."""
    out: dict[str, str] = {}
    for stage in analysis.stages:
        for instr in stage.of("ARG"):
            for word in instr.value or []:
                name, eq, value = word.partition("=")
                if eq and value and "$" not in value:
                    out.setdefault(name, word)
    return out


def _above_comments(fixes: Fixes, first: Instruction) -> int:
    """Where a line goes before the first FROM without coming between it and the comment
    lines right above it (its description), nor before the parser directives."""
    doc = fixes.doc
    at = doc.line_start(first.start)
    directives_end = 0  # just past the last parser directive's line
    for _ in range(max((line for _, line in doc.parsed.directives.values()), default=0)):
        directives_end = doc.text.find("\n", directives_end) + 1 or len(doc.text)
    while at > directives_end:
        prev = doc.line_start(at - 1)
        if not doc.text[prev:at].lstrip().startswith("#"):
            break
        at = prev
    return at


_FROM_FLAG = re.compile(r"--from=([^\s]+)")
_MOUNT_FROM = re.compile(r"(?<=[=,])from=([^\s,]+)")


def _flag_references(fixes: Fixes, instr: Instruction, old: str, new: str) -> list[Edit | None]:
    """Edits renaming ``--from=<old>`` (COPY, ADD) and ``--mount=...,from=<old>`` (RUN)."""
    if instr.cmd not in ("COPY", "ADD", "RUN") or not instr.flags:
        return []
    pattern = _FROM_FLAG if instr.cmd != "RUN" else _MOUNT_FROM
    return [fixes.span(instr, m.start(1), m.end(1), new)
            for m in pattern.finditer(instr.text, 0, flags_end(instr)) if m.group(1).lower() == old]
