"""What the language server tells an editor about one Dockerfile, without the protocol's plumbing.

``lint`` runs the document through the pipeline as ``imgfix fix`` takes a file (the
configuration the command line would find, the client's settings in place of its options);
``Lint`` holds the outcome and splits its fixes by finding; ``minimal_changes`` turns a rewrite
into the smallest edits the line diff allows; ``diagnostics`` and ``Positions`` make LSP ranges
of them in the client's units. ``fixer.integrations.server`` is the protocol around it.

- Never a registry: with ``pin-digests`` the server pins from the lock file only (``offline``).
- A quick fix for one finding runs its transform alone and keeps the changes that belong to it
  (the attribution the SARIF report uses). That share is offered alone only when the transform,
  run on the result, reaches the same file as its whole fix; otherwise the quick fix is the
  whole fix. A finding that exists only once an earlier transform has run (USR001 on the
  runtime stage MSB001 adds) gets the earlier transforms' changes too.
- A file that cannot be processed (parse error, too large, a bad configuration) gets one
  diagnostic that says why; ``lint`` never raises.
"""
from __future__ import annotations

import bisect
import dataclasses
import difflib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from ..document import linediff
from ..run import pipeline
from ..run.config import ConfigError, Resolver
from ..run.files import MAX_SIZE
from ..run.formats import RULES_URL, Hunk, attributor
from ..run.pipeline import Outcome, fix, parse_document
from ..transforms import FileChange, Finding, FixError, all_transforms
from ..transforms.options import OptionError, Options
from ..transforms.ruledocs import explain, rule

NAME = "imgfix"
# where a code's documentation is (codeDescription): its heading in docs/rules.md, as the SARIF
# helpUri (fixer.run.formats.help_uri); ``docsUrl`` in the settings replaces it
DOCS_URL = RULES_URL + "#{code}"
# findings whose instruction is better shown struck through (deprecated) or faded (unnecessary)
TAGS = {"SLM003": lsp.DiagnosticTag.Deprecated, "LYR006": lsp.DiagnosticTag.Unnecessary}
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
             "info": lsp.DiagnosticSeverity.Information}
_EOL = re.compile(r"\r\n|\r|\n")  # what LSP counts as a line end

log = logging.getLogger("imgfix.server")


# ------------------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class Settings:
    """What the client says; None: not said (the configuration file's value, or the default)."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    unsafe_fixes: bool | None = None
    config: Path | None = None
    docs_url: str = DOCS_URL

    @classmethod
    def parse(cls, raw: Any, root: Path | None) -> tuple[Settings, list[str]]:
        """Settings from the client's JSON (flat, or under ``imgfix`` or ``settings``), and the
        problems found (a bad value is left out and reported, the others still apply)."""
        problems: list[str] = []
        if raw is None:
            return cls(), problems
        if not isinstance(raw, dict):
            return cls(), [f"settings must be an object, not {type(raw).__name__}"]
        for key in (NAME, "settings"):
            if isinstance(raw.get(key), dict):
                raw = raw[key]
        values: dict[str, Any] = {}
        for key, value in raw.items():
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", key).replace("-", "_").lower()
            if value is None:
                continue
            if name in ("select", "ignore"):
                items = value.split(",") if isinstance(value, str) else value
                if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
                    problems.append(f"{key}: expected a list of codes, got {value!r}")
                    continue
                values[name] = tuple(c.strip().upper() for c in items if c.strip())
            elif name == "unsafe_fixes":
                if not isinstance(value, bool):
                    problems.append(f"{key}: expected true or false, got {value!r}")
                    continue
                values[name] = value
            elif name in ("config", "configuration"):
                if not isinstance(value, str) or not value:
                    problems.append(f"{key}: expected the path of a configuration file, got {value!r}")
                    continue
                path = Path(value).expanduser()
                values["config"] = path if path.is_absolute() or root is None else root / path
            elif name == "docs_url":
                if not isinstance(value, str) or "://" not in value:
                    problems.append(f"{key}: expected a URL (with {{code}} for the code), got {value!r}")
                    continue
                values[name] = value
            else:
                problems.append(f"unknown setting {key!r} (known: select, ignore, unsafeFixes, config, docsUrl)")
        return cls(**values), problems

    def command_line(self) -> dict:
        given = {"select": self.select, "ignore": self.ignore, "unsafe_fixes": self.unsafe_fixes}
        return {k: v for k, v in given.items() if v is not None}


def options_for(path: Path, settings: Settings) -> Options:
    """The Options ``imgfix fix PATH`` would use with these settings as its command line
    (ConfigError, OptionError when they are not valid). Never a registry: pin from the lock file."""
    options = Resolver(settings.command_line(), settings.config)(path)
    if options.pin_digests and not options.offline:
        options = dataclasses.replace(options, offline=True)
    return options


# ---------------------------------------------------------------------------------------- lint


@dataclass
class Fix:
    """A fix as the changed lines of the Dockerfile and the side files it writes."""

    title: str
    hunks: list[Hunk]
    files: list[FileChange]


@dataclass
class Lint:
    """One document checked: the pipeline's outcome, or why it could not be processed."""

    path: Path
    text: str
    options: Options | None = None
    outcome: Outcome | None = None
    error: tuple[int, str] | None = None  # (1-based line, 0: the file; message)
    _fixes: dict[str, dict[tuple, Fix]] = field(default_factory=dict)  # transform code -> finding key -> fix

    @property
    def findings(self) -> list[Finding]:
        return self.outcome.findings if self.outcome else []

    def fix_all(self) -> Fix | None:
        o = self.outcome
        if o is None or not o.changed:
            return None
        unsafe = any(f.fixed and f.fix == "unsafe" for f in o.findings)
        title = "imgfix: fix all" + (" (unsafe fixes included)" if unsafe else "")
        return Fix(title, minimal_changes(self.text, o.fixed), [c for c in o.files if c.old != c.new])

    def fix_for(self, finding: Finding) -> Fix | None:
        """The quick fix of one finding (None: it has none here)."""
        if not finding.fixed or self.options is None:
            return None
        prefix = next((t.code for t in all_transforms() if finding.code.startswith(t.code)), None)
        if prefix is None:
            return None
        if prefix not in self._fixes:
            self._fixes[prefix] = self._transform_fixes(prefix)
        found = self._fixes[prefix].get(_key(finding))
        if found is None:  # found on what an earlier transform made (USR001 on the stage MSB001 adds)
            if "+" + prefix not in self._fixes:
                self._fixes["+" + prefix] = self._with_earlier(prefix)
            found = self._fixes["+" + prefix].get(_key(finding))
        return found

    def _select(self, prefixes: list[str]) -> tuple[str, ...]:
        """The user's selection narrowed to these transforms (a shorter prefix becomes theirs)."""
        assert self.options is not None
        out: list[str] = []
        for prefix in prefixes:
            out += [s if s.startswith(prefix) else prefix for s in self.options.select or (prefix,)
                    if s.startswith(prefix) or prefix.startswith(s)]
        return tuple(dict.fromkeys(out))

    def _with_earlier(self, prefix: str) -> dict[tuple, Fix]:
        """The fix of each finding of a transform run after the transforms before it: what it
        fixes exists only once they have run; the quick fix is all of their changes."""
        options = self.options
        assert options is not None
        codes = [t.code for t in all_transforms()]
        select = self._select(codes[: codes.index(prefix) + 1])
        try:
            run = fix(self.text, dataclasses.replace(options, select=select), _context(self.path, options), self.path)
        except FixError:
            return {}
        every = minimal_changes(self.text, run.fixed)
        files = [c for c in run.files if c.old != c.new]
        out = {}
        for f in run.findings:
            if f.fixed and f.code.startswith(prefix):
                meta = rule(f.code)
                title = f"imgfix: fix {f.code} ({meta.title if meta else f.message}), with the fixes it needs first"
                out[_key(f)] = Fix(title + (" (unsafe fix)" if f.fix == "unsafe" else ""), every, files)
        return out

    def _transform_fixes(self, prefix: str) -> dict[tuple, Fix]:
        """The fixes of one transform run alone on the document, split by finding."""
        options = self.options
        assert options is not None
        select = self._select([prefix])
        try:
            alone = fix(self.text, dataclasses.replace(options, select=select), _context(self.path, options), self.path)
        except FixError:
            return {}
        fixed = [f for f in alone.findings if f.fixed]
        if not fixed:
            return {}
        every = minimal_changes(self.text, alone.fixed)
        files = [c for c in alone.files if c.old != c.new]
        mine: dict[int, list[Hunk]] = {}
        attribute = attributor([f.line for f in fixed])
        for h in every:
            k = attribute(h)
            if k is not None:
                mine.setdefault(k, []).append(h)
        without = [k for k in range(len(fixed)) if k not in mine] or [0]
        out = {}
        for k, f in enumerate(fixed):
            own, own_files = mine.get(k, []), files if k in without else []
            if own and len(own) < len(every) and not self._converges(_apply(self.text, own), alone.fixed, select):
                own = every  # its changes alone are no step towards the transform's fix: all of it
            if not own and not own_files:  # its fix is inside another finding's change
                own, own_files = every, files
            meta = rule(f.code)
            title = f"imgfix: fix {f.code} ({meta.title if meta else f.message})"
            if f.fix == "unsafe":
                title += " (unsafe fix)"
            out[_key(f)] = Fix(title, own, own_files)
        return out

    def _converges(self, partly: str, whole: str, select: tuple[str, ...]) -> bool:
        """Whether one finding's share of a transform's changes is a step towards its whole fix:
        it parses, and the transform run on it makes the same file the whole fix makes (a share
        that leaves something half done, such as a chown of a user not yet created, is not)."""
        options = self.options
        assert options is not None
        if not _parses(partly):
            return False
        try:
            again = fix(partly, dataclasses.replace(options, select=select), _context(self.path, options), self.path)
        except FixError:
            return False
        return again.fixed == whole


def minimal_changes(original: str, fixed: str) -> list[Hunk]:
    """What changed, as small as the line diff allows: a run of replaced lines with as many
    lines on each side is one change per line, and every change keeps only what differs (the
    characters both sides share at its start and end are left alone). So an inserted
    ``--no-cache-dir`` is an insertion, the cursor stays where it was, and each change
    belongs to the finding on its line."""
    a = original.splitlines(keepends=True)
    b = fixed.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    out: list[Hunk] = []
    for tag, i1, i2, j1, j2 in linediff.opcodes(a, b, autojunk=False):
        if tag == "equal":
            continue
        for x1, x2, y1, y2 in _pair_lines(a, b, i1, i2, j1, j2):
            old, new = "".join(a[x1:x2]), "".join(b[y1:y2])
            if old == new:
                continue
            head = _shared_head(old, new)
            tail = _shared_tail(old[head:], new[head:])
            start, end = starts[x1] + head, starts[x2] - tail
            first = bisect.bisect_right(starts, start)  # 1-based line of ``start``
            last = bisect.bisect_right(starts, end - 1) if end > start else first - 1
            out.append(Hunk(first, last, start, end, original[start:end], new[head:len(new) - tail]))
    return out


_SIMILAR = 0.6  # a replaced line and a new one this alike (difflib's ratio) are one line edited
_PAIRING_WORK = 400  # lines × lines of a replaced block that are searched for such pairs


def _pair_lines(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[tuple[int, int, int, int]]:
    """A replaced block as smaller ones: as many lines on each side, line by line; otherwise
    around the most alike pair of lines (as ``difflib.Differ`` does), so a line that was edited
    and lines added after it are an edit of that line and an insertion."""
    if i2 - i1 == j2 - j1:
        return [(i1 + k, i1 + k + 1, j1 + k, j1 + k + 1) for k in range(i2 - i1)]
    if i1 == i2 or j1 == j2 or (i2 - i1) * (j2 - j1) > _PAIRING_WORK:
        return [(i1, i2, j1, j2)]
    best, at = _SIMILAR, None
    matcher = difflib.SequenceMatcher(autojunk=False)
    for j in range(j1, j2):
        matcher.set_seq2(b[j])
        for i in range(i1, i2):
            matcher.set_seq1(a[i])
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best and (r := matcher.ratio()) > best:
                best, at = r, (i, j)
    if at is None:
        return [(i1, i2, j1, j2)]
    i, j = at
    return [*_pair_lines(a, b, i1, i, j1, j), (i, i + 1, j, j + 1), *_pair_lines(a, b, i + 1, i2, j + 1, j2)]


def _shared_head(a: str, b: str) -> int:
    n = 0
    limit = min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    if 0 < n < len(a) and a[n - 1] == "\r" and a[n] == "\n":
        n -= 1  # never between \r and \n: that is no position in LSP
    return n


def _shared_tail(a: str, b: str) -> int:
    n = 0
    limit = min(len(a), len(b))
    while n < limit and a[-1 - n] == b[-1 - n]:
        n += 1
    if 0 < n < len(a) and a[-n] == "\n" and a[-n - 1] == "\r":
        n -= 1
    return n


def _key(f: Finding) -> tuple:
    return (f.code, f.line, f.message)


def _context(path: Path, options: Options) -> Path:
    return options.context or path.parent


def _apply(text: str, changes: list[Hunk]) -> str:
    out, pos = [], 0
    for h in sorted(changes, key=lambda h: (h.start, h.end)):
        out += [text[pos:h.start], h.replacement]
        pos = h.end
    return "".join(out) + text[pos:]


def _parses(text: str) -> bool:
    try:
        parse_document(text, limits=False)
    except FixError:
        return False
    return True


def refused(text: str) -> str | None:
    """Why the CLI would not read this text as a Dockerfile (``fixer.files.read_text``), or None."""
    if len(text) * 4 > MAX_SIZE and len(text.encode("utf-8", "surrogatepass")) > MAX_SIZE:
        return f"larger than {MAX_SIZE >> 20} MiB; not a Dockerfile"
    if "\0" in text:
        return "is a binary file (it contains NUL bytes)"
    return None


def lint(path: Path, text: str, settings: Settings) -> Lint:
    """The document through the pipeline, as ``imgfix fix`` would take the file; never raises."""
    result = Lint(path, text)
    reason = refused(text)
    if reason is not None:
        result.error = (0, reason)
        return result
    try:
        result.options = options_for(path, settings)
    except (ConfigError, OptionError) as err:
        result.error = (0, str(err))
        return result
    pipeline.forget()  # the build context may have changed since the last check of this text
    try:
        result.outcome = fix(text, result.options, _context(path, result.options), path)
    except FixError as err:
        result.error = (err.line, err.message)
    except Exception as err:  # noqa: BLE001 (a bug must not take the editor's server down)
        log.exception("internal error on %s", path)
        result.error = (0, f"internal error: {type(err).__name__}: {err}")
    return result


# ------------------------------------------------------------------------------- LSP positions


class Positions:
    """Offsets in a text as LSP positions (lines end at \\n, \\r\\n or \\r; columns in the
    client's units), and imgfix's 1-based line numbers (lines end at \\n) as ranges."""

    def __init__(self, text: str, units) -> None:
        self.text = text
        self.units = units  # str -> its length in the negotiated encoding
        self.starts = [0] + [m.end() for m in _EOL.finditer(text)]
        self.nl_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> lsp.Position:
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return lsp.Position(line=line, character=self.units(self.text[start:offset]))

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(end))

    def line(self, line: int) -> lsp.Range:
        """The text of a 1-based line (0 or past the end: the first line), without its end."""
        if not 1 <= line <= len(self.nl_starts):
            line = 1
        start = self.nl_starts[line - 1]
        end = self.nl_starts[line] if line < len(self.nl_starts) else len(self.text)
        return self.range(start, _trim(self.text, start, end))


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in "\r\n":
        end -= 1
    return end


def finding_range(lint_: Lint, pos: Positions, line: int) -> lsp.Range:
    """The range of the instruction on a 1-based line, else of the line itself."""
    if lint_.outcome is not None and line > 0:
        try:
            doc = parse_document(lint_.text)
        except FixError:
            doc = None
        starts = [i.start_line for i in doc.instructions] if doc else []
        at = bisect.bisect_right(starts, line) - 1
        if doc and at >= 0 and doc.instructions[at].end_line >= line:
            instr = doc.instructions[at]
            return pos.range(instr.start, _trim(lint_.text, instr.start, instr.end))
    return pos.line(line)


def diagnostics(lint_: Lint, pos: Positions, settings: Settings) -> list[tuple[lsp.Diagnostic, Finding | None]]:
    if lint_.error is not None:
        line, message = lint_.error
        where = "" if line == 0 else f" (line {line})"
        d = lsp.Diagnostic(range=pos.line(line), message=f"imgfix cannot process this file{where}: {message}",
                           severity=lsp.DiagnosticSeverity.Error, source=NAME)
        return [(d, None)]
    out = []
    for f in lint_.findings:
        # the rule's title says what is wrong; the finding's message (the CLI's report) says
        # what the fix does or why there is none
        meta = rule(f.code)
        message = f"{meta.title}\n{f.message}" if meta else f.message
        if f.fixed:
            message = f"{meta.title}\nfix{' (unsafe)' if f.fix == 'unsafe' else ''}: {f.message}" if meta else f.message
        elif f.held_back:
            message += "\n(an unsafe fix is held back: the unsafeFixes setting or unsafe-fixes = true applies it)"
        d = lsp.Diagnostic(
            range=finding_range(lint_, pos, f.line),
            message=message,
            severity=_SEVERITY[f.severity],
            code=f.code,
            code_description=lsp.CodeDescription(href=settings.docs_url.replace("{code}", f.code.lower())),
            source=NAME,
            tags=[TAGS[f.code]] if f.code in TAGS else None,
            data={"fix": f.fix, "fixed": f.fixed},
        )
        out.append((d, f))
    return out


def text_edits(pos: Positions, changes: list[Hunk]) -> list[lsp.TextEdit]:
    return [lsp.TextEdit(range=pos.range(h.start, h.end), new_text=h.replacement) for h in changes]


def hover_text(code: str) -> str | None:
    text = explain(code)
    meta = rule(code)
    if text is None or meta is None:
        return None
    head = f"**{meta.code}** ({meta.severity}, fix: {meta.fix}): {meta.title}"
    return f"{head}\n\n---\n\n{text}"
