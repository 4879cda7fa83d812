"""Moving a server off a privileged port, consistently: every place the port is written.

A ``Plan`` holds the Dockerfile edits (CMD/ENTRYPOINT arguments, ENV, EXPOSE, HEALTHCHECK),
the configuration files from the build context to rewrite (``FileChange``, like the
.dockerignore), and the commands that move an image's stock configuration (``servers.toml``
``run``). ``problems`` says why the move cannot be done consistently; then nothing is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import ports
from ..analysis.stages import Analysis, Stage
from ..document.context import BuildContext
from ..document.model import Document, Edit
from ..document.parser import Instruction, is_number
from . import FileChange

_BEFORE = {" ", "\t", '"', "'", "[", ","}
_AFTER = {" ", "\t", '"', "'", "]", ",", ";", "&", "|"}


@dataclass
class Plan:
    moved: dict[int, int] = field(default_factory=dict)  # old port -> new port
    edits: list[Edit] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)
    run: list[str] = field(default_factory=list)  # with {uid} and {gid} still to fill in
    problems: list[str] = field(default_factory=list)


def _word_edit(doc: Document, instr: Instruction, word: str, at: int, old: int, new: int) -> Edit | None:
    """Replace the digits ``old`` at ``at`` in the first whole occurrence of ``word``."""
    text, pos = instr.text, 0
    while True:
        pos = text.find(word, pos)
        if pos < 0:
            return None
        end = pos + len(word)
        if (pos == 0 or text[pos - 1] in _BEFORE) and (end == len(text) or text[end] in _AFTER):
            start = pos + at
            if text[start : start + len(str(old))] != str(old):
                return None
            return doc.replace_span(instr, start, start + len(str(old)), str(new))
        pos += 1


def plan(doc: Document, analysis: Analysis, stage: Stage, found: ports.Detection,
         fixed: dict[int, int] | None = None, switch: bool = False) -> Plan:
    """How to move every privileged port ``found`` to an unprivileged one (``fixed``: moves
    decided elsewhere, e.g. by an unprivileged image variant; ``switch``: that variant takes
    care of the image's stock configuration)."""
    out = Plan()
    low = found.privileged
    taken = {entry.port for entry in found.listens} | {p for p, _, _ in found.exposed}
    moves = dict(fixed or {})
    for entry in sorted(low, key=lambda e: (e.port not in (80, 443), e.port)):  # 80 -> 8080 first
        if entry.port not in moves:
            moves[entry.port] = new_port(entry.port, taken | set(moves.values()))
    out.moved = {entry.port: moves[entry.port] for entry in low if entry.port}
    texts: dict[str, tuple[str, str]] = {}  # context path -> (old text, new text)
    seen: set[tuple] = set()
    for entry in low:
        old, new = entry.port, moves[entry.port]
        site = entry.site
        if entry.problem or site is None:
            out.problems.append(entry.problem or f"port {old} ({entry.where}) cannot be changed there")
            continue
        if site.kind == "word":
            key = (site.instr.start, site.word, site.at)
            if key in seen:
                continue
            seen.add(key)
            edit = _word_edit(doc, site.instr, site.word, site.at, old, new)
            if edit is None:
                out.problems.append(f"port {old} ({entry.where}) is split over several lines")
            else:
                out.edits.append(edit)
        elif site.kind == "config":
            problem = _config_change(analysis, entry, old, new, texts)
            if problem:
                out.problems.append(problem)
        elif site.kind == "image" and not switch:
            spec = ports.servers()["images"][site.server]
            if "run" not in spec:
                out.problems.append(f"port {old} ({entry.where}): imgfix does not know how to move {site.server}'s own configuration")
            else:
                out.run += [p.format(old=old, port=new, uid="{uid}", gid="{gid}") for p in spec["run"]]
    context = BuildContext(analysis.context) if analysis.context else None
    for rel, (before, after) in texts.items():
        out.files.append(FileChange(str(context.resolve(rel)), before, after))
    for s in stage.chain:
        for instr in s.of("EXPOSE"):
            for word in instr.value or []:
                number = word.split("/", 1)[0]
                if is_number(number) and int(number) in out.moved:
                    edit = _word_edit(doc, instr, word, 0, int(number), out.moved[int(number)])
                    if edit is None:
                        out.problems.append(f"EXPOSE {word} (line {instr.start_line}) is split over several lines")
                    else:
                        out.edits.append(edit)
    health = next((h for s in stage.chain for h in reversed(s.of("HEALTHCHECK"))), None)
    if health is not None:
        for old, new in out.moved.items():
            for start, end, text in health_edits(health, old, new):
                if start == end:  # an insertion: replace the character before it, with it
                    start, text = start - 1, health.text[start - 1] + text
                edit = doc.replace_span(health, start, end, text)
                if edit is None:
                    out.problems.append(f"the HEALTHCHECK (line {health.start_line}) is split over several lines")
                else:
                    out.edits.append(edit)
    return out


def _config_change(analysis: Analysis, entry: ports.Listen, old: int, new: int, texts: dict) -> str | None:
    rel = entry.site.path
    if analysis.context is None:
        return f"port {old} ({entry.where}): no build context to edit it in"
    other = used_elsewhere(analysis.context, rel, analysis.path)
    if other:
        return f"port {old} ({entry.where}): {other} uses {rel} too, so it is not changed for this Dockerfile alone"
    context = BuildContext(analysis.context)
    if (context.root / rel.lstrip("/")).is_symlink():
        return f"port {old} ({entry.where}): {rel} is a symbolic link; the file it points to may serve others"
    if rel not in texts:
        text = context.read_text(rel)
        if text is None:
            return f"port {old} ({entry.where}) could not be read"
        texts[rel] = (text, text)
    pattern = ports.servers()["images"].get(entry.server, {}).get("listen")
    changed = config_text(texts[rel][1], entry.site.line, old, new, pattern)
    if changed is None:
        return f"port {old} ({entry.where}) could not be changed in place"
    texts[rel] = (texts[rel][0], changed)
    return None


def describe(moved: dict[int, int]) -> str:
    return ", ".join(f"{old} -> {new}" for old, new in moved.items())


def valid(moved: dict[int, int]) -> bool:
    """Ports that reach the Dockerfile are whole numbers in range (nothing else is written)."""
    return all(isinstance(n, int) and 1024 <= n <= 65535 and re.fullmatch(r"\d+", str(n)) for n in moved.values())


# ---------------------------------------------------------------------------- moving a port


def new_port(port: int, taken: set[int]) -> int:
    """8080 (443: 8443), or port + 8000 when that is taken, else the next free one above."""
    for candidate in (8443 if port == 443 else 8080, port + 8000):
        if candidate not in taken:
            return candidate
    candidate = port + 8000
    while candidate in taken:
        candidate += 1
    return candidate


def health_edits(instr: Instruction, old: int, new: int) -> list[tuple[int, int, str]]:
    """(start, end, text) in ``instr.text`` that point a HEALTHCHECK's local URLs at ``new``."""
    out = []
    for m in ports.HEALTH_URL.finditer(instr.text):
        port = int(m.group(2)) if m.group(2) else (443 if m.group(1).startswith("https") else 80)
        if port == old:
            if m.group(2):
                out.append((m.start(2), m.end(2), str(new)))
            else:
                out.append((m.end(1), m.end(1), f":{new}"))
    return out


def config_text(text: str, line: int, old: int, new: int, pattern: str | None) -> str | None:
    """``text`` with the port on ``line`` (1-based) moved; None when it is not there."""
    lines = text.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        return None
    current = lines[line - 1]
    if pattern is None:  # a quoted "host:port" (gunicorn's bind)
        new_line, count = re.subn(rf"(:){old}(?=[\"'])", rf"\g<1>{new}", current)
    else:
        m = re.search(pattern, current)
        if m is None or int(m.group(1)) != old:
            return None
        new_line, count = current[: m.start(1)] + str(new) + current[m.end(1) :], 1
    if count != 1:
        return None
    lines[line - 1] = new_line
    return "".join(lines)


def used_elsewhere(context: Path, rel: str, dockerfile: Path | None) -> str | None:
    """Another Dockerfile or compose file in the context that names ``rel``: editing the file
    would change that one too."""
    ctx = BuildContext(context)
    name = rel.rsplit("/", 1)[-1]
    own = dockerfile.resolve() if dockerfile else None
    for f in ctx.files(limit=20_000, skip_dir=lambda d: d.rsplit("/", 1)[-1] in ("node_modules", ".git", "vendor")):
        base = f.rsplit("/", 1)[-1].lower()
        if not ("dockerfile" in base or "containerfile" in base or ("compose" in base and base.endswith((".yml", ".yaml")))):
            continue
        path = ctx.resolve(f)
        if path is None or path == own:
            continue
        if name in (ctx.read_text(f) or ""):
            return f
    return None
