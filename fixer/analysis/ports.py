"""Where a stage's server listens, read from what the image runs; and how to move it.

Sources, in the order they are tried: the command the image runs (``CMD``/``ENTRYPOINT``,
exec or shell form; the programs and their flags are data in ``data/servers.toml``), the
``ENV`` it reads its port from, its configuration file where the Dockerfile copies one from
the build context (read, never executed: ``gunicorn.conf.py`` with libcst, nginx, Apache and
Caddy files line by line), the image's own server and stock configuration (nginx, httpd,
php:apache), ``:80`` literals in Go sources when a Go binary is what runs, and ``EXPOSE``.

Every port found is a ``Listen`` that says where it was read and, when it can be changed
consistently, where to write another port (``Site``); ``problem`` says why not otherwise.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from ..data import load
from ..document.context import BuildContext
from ..document.parser import Instruction, is_number
from .stages import Analysis, Stage, split_commands

_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_SHELLS = {"sh", "bash", "ash", "dash", "zsh"}
# wrappers that run the next word as the program (`exec uvicorn`, `poetry run gunicorn`)
_WRAPPERS = {"exec", "env", "nohup", "dumb-init", "tini", "--", "npx", "opentelemetry-instrument", "ddtrace-run"}
_RUNNERS = {"poetry", "pipenv", "uv", "pdm", "hatch", "rye"}  # `<runner> run <program>`
_VAR = re.compile(r"^\$\{?(\w+)(?::?-(\d+))?\}?$")
_VAR_END = re.compile(r"\$\{?(\w+)(?::?-(\d+))?\}?$")  # a port given as $VAR, ${VAR:-80}, host:$VAR
_BIND = re.compile(r"^(?:tcp://|https?://)?(?:[\w.\-*]*|\[[0-9a-fA-F:]*\])?:(\d{1,5})/?$")
_GO_LISTEN = re.compile(r"""(?:Listen|Addr|Serve|Run)\w*\W.*?"[\w.\-]*:(\d{1,5})\"""")
HEALTH_URL = re.compile(r"(https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]))(?::(\d{1,5}))?(?=[/\s\"',]|$)")
MAX_GO_FILES = 300


@cache
def servers() -> dict:
    return load("servers.toml")


@dataclass(frozen=True)
class Site:
    """Where a port is written: ``word`` (a word of ``instr``: CMD/ENTRYPOINT argument, ENV
    value) whose digits start at ``at``; ``config`` (line ``line`` of the context file
    ``path``); ``image`` (the image server's stock files, changed by its ``run`` commands)."""

    kind: str
    instr: Instruction | None = None
    word: str = ""
    at: int = 0
    path: str = ""
    line: int = 0
    server: str = ""


@dataclass(frozen=True)
class Listen:
    port: int
    server: str  # "uvicorn", "nginx", ... ; "EXPOSE" for a port only EXPOSE declares
    where: str  # for people: "line 7 (CMD --port 80)", "conf/nginx.conf:3"
    line: int  # the Dockerfile line a finding goes on
    site: Site | None = None
    problem: str | None = None  # why it cannot be moved, when it cannot

    @property
    def privileged(self) -> bool:
        return self.port < 1024


@dataclass
class Detection:
    listens: list[Listen] = field(default_factory=list)  # the server's, not EXPOSE's
    exposed: list[tuple[int, str, Instruction]] = field(default_factory=list)  # (port, word, EXPOSE)
    server: str | None = None  # the server found (None: not recognised)
    image_server: str | None = None  # the image's own server when it is what runs

    @property
    def privileged(self) -> list[Listen]:
        """The privileged ports the server binds; EXPOSE's when no server was recognised."""
        if self.server is not None and self.listens:
            return [entry for entry in self.listens if entry.privileged]
        return [
            Listen(p, "EXPOSE", f"line {i.start_line} (EXPOSE {w})", i.start_line,
                   problem="EXPOSE declares it, and imgfix does not know where the command sets it")
            for p, w, i in self.exposed if p < 1024
        ]


# ---------------------------------------------------------------------------- the command


def _last(stage: Stage, cmd: str) -> Instruction | None:
    for s in stage.chain:
        found = s.of(cmd)
        if found:
            return found[-1]
    return None


Word = tuple[str, Instruction]


def _commands(instr: Instruction) -> list[list[Word]]:
    """The simple commands of a CMD/ENTRYPOINT, each word with the instruction it is in."""
    words = list(instr.value or [])
    if instr.json:
        if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in _SHELLS and words[1] in ("-c", "-ec", "-ce"):
            return [[(w, instr) for w in c] for c in split_commands(words[2])]
        return [[(w, instr) for w in words]]
    return [[(w, instr) for w in c] for c in split_commands(" ".join(words))]


def _program_words(entry: Instruction | None, cmd: Instruction | None) -> list[list[Word]]:
    """Candidate commands: ENTRYPOINT + CMD as Docker joins them (exec form), then each alone."""
    out: list[list[Word]] = []
    if entry is not None and cmd is not None and entry.json and cmd.json:
        out.append(_commands(entry)[0] + _commands(cmd)[0])
    for instr in (entry, cmd):
        if instr is not None:
            out += _commands(instr)
    return out


def _strip_wrappers(words: list[Word]) -> list[Word]:
    words = list(words)
    while words:
        first = words[0][0].rsplit("/", 1)[-1]
        if first in _WRAPPERS or re.match(r"^\w+=", words[0][0]):
            words.pop(0)
        elif first in _RUNNERS and len(words) > 1 and words[1][0] == "run":
            words = words[2:]
        else:
            break
    return words


def _match(words: list[Word]) -> tuple[str, dict, list[Word]] | None:
    """The server a command runs, its spec and its arguments after the program (or module)."""
    if not words:
        return None
    program = words[0][0].rsplit("/", 1)[-1]
    args = words[1:]
    module = None
    if _PYTHON.match(program) and len(args) >= 2 and args[0][0] == "-m":
        module, args = args[1][0], args[2:]
    for name, spec in servers()["commands"].items():
        if module is not None:
            if module not in spec.get("modules", []):
                continue
        elif program not in spec.get("names", []):
            continue
        if "script" in spec:
            if not args or not args[0][0].endswith(spec["script"]):
                continue
            args = args[1:]
        if "subcommand" in spec:
            at = next((i for i, (w, _) in enumerate(args) if w == spec["subcommand"]), None)
            if at is None:
                continue
            args = args[at + 1 :]
        return name, spec, args
    return None


# ---------------------------------------------------------------------------- reading a port


def _env(stage: Stage) -> dict[str, tuple[str, Instruction]]:
    """ENV name -> (value, instruction), the stage's last word winning over its parents'."""
    out: dict[str, tuple[str, Instruction]] = {}
    for s in reversed(stage.chain):
        for instr in s.of("ENV"):
            values = list(instr.value or [])
            for i in range(0, len(values) - 2, 3):
                out[values[i]] = (values[i + 1].strip("\"'"), instr)
    return out


def _flag_value(args: list[Word], flags: list[str]) -> tuple[str, str, Instruction] | None:
    """(value, the word it is written in, its instruction) of the last of ``flags``."""
    found = None
    for i, (word, instr) in enumerate(args):
        for flag in flags:
            if word == flag and i + 1 < len(args):
                found = (args[i + 1][0], args[i + 1][0], args[i + 1][1])
            elif word.startswith(flag + "="):
                found = (word[len(flag) + 1 :], word, instr)
            elif len(flag) == 2 and word.startswith(flag) and is_number(word[2:]):
                found = (word[2:], word, instr)
    return found


class _Reader:
    def __init__(self, stage: Stage, analysis: Analysis) -> None:
        self.stage, self.analysis = stage, analysis
        self.env = _env(stage)

    @cached_property
    def context(self) -> BuildContext | None:  # resolving the folder costs: only when read
        return BuildContext(self.analysis.context) if self.analysis.context else None

    def word_listen(self, server: str, value: str, word: str, instr: Instruction, how: str, bind: bool) -> Listen | None:
        """A port written in a word, possibly through ``$VAR``/``${VAR:-80}`` and ENV."""
        var = _VAR_END.search(value)
        if var and (var.start() == 0 or (bind and value[: var.start()].endswith(":"))):
            name, default = var.group(1), var.group(2)
            if name in self.env and is_number(self.env[name][0]):
                return self.env_listen(server, name)
            if default:
                return self._at(server, int(default), word, instr, how, word.rfind(default))
            return None  # set when the container starts: not known here
        if bind and not is_number(value):
            m = _BIND.match(value)
            if m is None:
                return None  # a unix socket, a host without port
            port = m.group(1)
        elif is_number(value):
            port = value
        else:
            return None
        return self._at(server, int(port), word, instr, how, word.rfind(port))

    def _at(self, server: str, port: int, word: str, instr: Instruction, how: str, at: int) -> Listen:
        where = f"line {instr.start_line} ({instr.cmd} {how})"
        return Listen(port, server, where, instr.start_line, Site("word", instr, word, at))

    def env_listen(self, server: str, name: str) -> Listen:
        value, instr = self.env[name]
        word = f"{name}={value}" if f"{name}={value}" in instr.text else value
        return self._at(server, int(value), word, instr, f"{name}={value}", word.rfind(value))

    # -- configuration files copied from the context

    def copies(self) -> list[tuple[Instruction, list[str], str]]:
        """(COPY/ADD, sources, absolute destination) of the stage and its parents, in order."""
        out = []
        for s in reversed(self.stage.chain):
            workdir = "/"
            for instr in s.instructions:
                if instr.cmd == "WORKDIR" and instr.value:
                    workdir = posixpath.join(workdir, instr.value[0])
                elif instr.cmd in ("COPY", "ADD") and instr.value and len(instr.value) >= 2 and not instr.heredocs:
                    dest = instr.value[-1]
                    absolute = posixpath.normpath(posixpath.join(workdir, dest)) + ("/" if dest.endswith("/") or dest == "." else "")
                    out.append((instr, instr.value[:-1], absolute))
        return out

    def workdir(self) -> str:
        workdir = "/"
        for s in reversed(self.stage.chain):
            for instr in s.of("WORKDIR"):
                workdir = posixpath.join(workdir, (instr.value or ["/"])[0])
        return workdir

    def source_of(self, target: str) -> tuple[Instruction, str | None] | None:
        """The COPY that puts the file ``target`` (absolute) in the image, and its path in the
        context (None: from another stage or an image, or a URL)."""
        found = None
        for instr, sources, dest in self.copies():
            from_other = any(f.startswith("--from") for f in instr.flags or [])
            for src in sources:
                base = src.rstrip("/").rsplit("/", 1)[-1]
                if dest.rstrip("/") == target and not dest.endswith("/") and len(sources) == 1:
                    found = (instr, None if from_other else src)
                elif dest.endswith("/") and posixpath.join(dest, base) == target and base not in (".", ""):
                    found = (instr, None if from_other else src)
                elif dest.endswith("/") and (src in (".", "./") or src.endswith("/")) and target.startswith(dest):
                    rel = target[len(dest) :]
                    inner = posixpath.normpath(posixpath.join(src, rel))
                    if from_other:
                        found = (instr, None)
                    elif self.context is not None and self.context.exists(inner):
                        found = (instr, inner)
        return found

    def config_files(self, dirs: list[str]) -> list[tuple[Instruction, str | None, str]]:
        """(COPY, context path or None, path in the image) of files copied under ``dirs``."""
        out = []
        for instr, sources, dest in self.copies():
            if not any(dest == d or dest.startswith(d.rstrip("/") + "/") for d in dirs):
                continue
            from_other = any(f.startswith("--from") for f in instr.flags or [])
            for src in sources:
                if from_other or self.context is None:
                    out.append((instr, None, dest))
                    continue
                path = self.context.resolve(src)
                if path is not None and path.is_dir():
                    for rel in sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()):
                        out.append((instr, posixpath.join(src.rstrip("/"), rel), posixpath.join(dest, rel)))
                else:
                    base = src.rstrip("/").rsplit("/", 1)[-1]
                    out.append((instr, src, posixpath.join(dest, base) if dest.endswith("/") else dest))
        return out

    def read(self, rel: str) -> str | None:
        return self.context.read_text(rel) if self.context is not None else None


def _python_bind(text: str) -> list[tuple[int, int, str]]:
    """(line, port, the string) of ``bind = "host:port"`` (or a list of them) in a gunicorn
    configuration file, parsed with libcst, never executed."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        module = MetadataWrapper(cst.parse_module(text))
    except Exception:  # noqa: BLE001  (a file libcst cannot parse is just not read)
        return []
    found: list[tuple[int, int, str]] = []

    class Visitor(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def visit_Assign(self, node: cst.Assign) -> None:
            if not any(isinstance(t.target, cst.Name) and t.target.value == "bind" for t in node.targets):
                return
            values = [node.value] if isinstance(node.value, cst.SimpleString) else [
                e.value for e in getattr(node.value, "elements", []) if isinstance(e.value, cst.SimpleString)]
            for value in values:
                s = value.evaluated_value
                m = _BIND.match(s) if isinstance(s, str) else None
                if m:
                    found.append((self.get_metadata(PositionProvider, value).start.line, int(m.group(1)), s))

    module.visit(Visitor())
    return found


# ---------------------------------------------------------------------------- detecting


def detect(stage: Stage, analysis: Analysis) -> Detection:
    """Where ``stage``'s server listens (see the module docstring)."""
    reader = _Reader(stage, analysis)
    out = Detection()
    for s in stage.chain:
        for instr in s.of("EXPOSE"):
            for word in instr.value or []:
                number = word.split("/", 1)[0]
                if is_number(number) and not word.endswith("/udp"):
                    out.exposed.append((int(number), word, instr))
    entry, cmd = _last(stage, "ENTRYPOINT"), _last(stage, "CMD")
    candidates = [_strip_wrappers(c) for c in _program_words(entry, cmd)]
    for words in candidates:
        matched = _match(words)
        if matched:
            name, spec, args = matched
            out.server = name
            out.listens = _command_listens(reader, name, spec, args)
            return out
    image_server = _image_server(stage, candidates)
    if image_server is not None:
        out.server = out.image_server = image_server
        out.listens = _image_listens(reader, stage, image_server)
        return out
    if candidates and candidates[0] and analysis.context is not None and _runs_go_binary(analysis):
        go = _go_listens(reader, analysis)
        if go:
            out.server = "go"
            out.listens = go
    return out


def _command_listens(reader: _Reader, name: str, spec: dict, args: list[Word]) -> list[Listen]:
    listens: list[Listen] = []
    given = False  # a flag sets the port, perhaps in a way that cannot be read (then: unknown)
    for flags, bind in ((spec.get("port_flags", []), False), (spec.get("bind_flags", []), True)):
        for i, (word, instr) in enumerate(args):
            value = None
            for flag in flags:
                if word == flag and i + 1 < len(args):
                    value, written, at_instr = args[i + 1][0], args[i + 1][0], args[i + 1][1]
                elif word.startswith(flag + "="):
                    value, written, at_instr = word[len(flag) + 1 :], word, instr
                elif len(flag) == 2 and word.startswith(flag) and len(word) > 2 and word[2] != "=":
                    value, written, at_instr = word[2:], word, instr
            if value is not None:
                given = True
                found = reader.word_listen(name, value, written, at_instr, f"{name} {word if written == word else word + ' ' + value}", bind)
                if found:
                    listens.append(found)
    if not listens and spec.get("positional"):
        bind = spec["positional"] == "bind"
        for word, instr in args:
            if word.startswith("-"):
                continue
            if is_number(word) or (bind and _BIND.match(word)) or _VAR.match(word):
                found = reader.word_listen(name, word, word, instr, f"{name} {word}", bind and not is_number(word))
                if found:
                    listens.append(found)
                break
    if not listens:
        for var in spec.get("env", []):
            if var in reader.env and is_number(reader.env[var][0]):
                listens.append(reader.env_listen(name, var))
                break
    if not listens and spec.get("config"):
        listens += _config_file_listens(reader, name, spec, args)
    if not listens and "default" in spec and not given:
        instr = args[0][1] if args else None
        line = instr.start_line if instr else 0
        listens.append(Listen(spec["default"], name, f"the default of {name}", line,
                              problem=f"{name} binds {spec['default']} by default; give it a port flag to move it"))
    return listens


def _config_file_listens(reader: _Reader, name: str, spec: dict, args: list[Word]) -> list[Listen]:
    flagged = _flag_value(args, spec.get("config_flags", []))
    target = flagged[0] if flagged else spec.get("config_default")
    if not target or target.startswith("python:"):
        return []
    target = posixpath.normpath(posixpath.join(reader.workdir(), target))
    source = reader.source_of(target)
    if source is None:
        return []
    instr, rel = source
    if rel is None:
        return [Listen(0, name, f"{target} (line {instr.start_line})", instr.start_line,
                       problem=f"its configuration {target} is copied from another stage and cannot be read")]
    text = reader.read(rel)
    listens = []
    for line, port, _ in _python_bind(text or "") if spec["config"] == "python-bind" else []:
        listens.append(Listen(port, name, f"{rel}:{line}", instr.start_line, Site("config", path=rel, line=line)))
    return listens


def _image_server(stage: Stage, candidates: list[list[Word]]) -> str | None:
    """The image's own server, when it is what runs (no command, or one of its programs)."""
    name = stage.root_image.facts.entry.get("server") if stage.root_image.facts.known else None
    if name is None or name not in servers()["images"]:
        return None
    programs = servers()["images"][name]["programs"]
    own = [c for c in candidates if c and c[0][1] in _own_instructions(stage)]
    if not own or any(c[0][0].rsplit("/", 1)[-1] in programs for c in own):
        return name
    return None


def _own_instructions(stage: Stage) -> list[Instruction]:
    return [i for s in stage.chain for i in s.of("CMD", "ENTRYPOINT")]


def _image_listens(reader: _Reader, stage: Stage, name: str) -> list[Listen]:
    spec = servers()["images"][name]
    image = stage.root_image.base_text or name
    listens: list[Listen] = []
    replaced: set[str] = set()
    for instr, rel, dest in reader.config_files(spec["config_dirs"]):
        replaced.add(dest)
        if rel is None:
            listens.append(Listen(0, name, f"{dest} (line {instr.start_line})", instr.start_line,
                                  problem=f"line {instr.start_line} copies {dest} from another stage or without a build context: its ports cannot be read"))
            continue
        text = reader.read(rel)
        if text is None:
            listens.append(Listen(0, name, f"{rel} (line {instr.start_line})", instr.start_line,
                                  problem=f"{rel} (line {instr.start_line}) could not be read"))
            continue
        if dest == spec.get("main_config"):
            listens.append(Listen(0, name, f"{rel} (line {instr.start_line})", instr.start_line,
                                  problem=f"{rel} replaces {dest}, whose pid and temp paths imgfix does not rewrite"))
        for number, line in enumerate(text.splitlines(), 1):
            for m in re.finditer(spec["listen"], line):
                listens.append(Listen(int(m.group(1)), name, f"{rel}:{number}", instr.start_line,
                                      Site("config", path=rel, line=number)))
    line = stage.root_image.from_instr.start_line
    for stock in spec.get("stock", []):
        if stock["path"] not in replaced:
            port = _sed_moved(stage, stock["path"], stock["port"]) or stock["port"]
            listens.append(Listen(port, name, f"{stock['path']} in {image}", line, Site("image", server=name)))
            break
    return listens


_SED_SUBST = re.compile(r"s(?P<d>[^\\\w\s])(?P<a>(?:\\.|(?!(?P=d)).)*)(?P=d)(?P<b>(?:\\.|(?!(?P=d)).)*)(?P=d)")


def _sed_moved(stage: Stage, path: str, old: int) -> int | None:
    """The port a RUN line's ``sed`` moved a stock file's ``old`` port to (as the fix does)."""
    moved = None
    for s in reversed(stage.chain):
        for words in s.run_commands:
            if not words or words[0] != "sed" or path not in words:
                continue
            for word in words[1:]:
                for m in _SED_SUBST.finditer(word):
                    if re.search(rf"(?<![\d\\]){old}(?!\d)", m.group("a")):
                        numbers = re.findall(r"(?<![\d\\])\d{2,5}(?!\d)", m.group("b"))
                        if numbers:
                            moved = int(numbers[-1])
    return moved


def _runs_go_binary(analysis: Analysis) -> bool:
    return any(s.root_image.image and s.root_image.image.familiar == "golang" or
               any(w[:2] == ["go", "build"] for w in s.run_commands) for s in analysis.stages)


def _go_listens(reader: _Reader, analysis: Analysis) -> list[Listen]:
    context = reader.context
    files = [f for f in context.files(limit=20_000, skip_dir=lambda d: d.rsplit("/", 1)[-1] in ("vendor", ".git", "node_modules"))
             if f.endswith(".go") and not f.endswith("_test.go")][:MAX_GO_FILES]
    listens = []
    line = analysis.final_stage.from_instr.start_line if analysis.final_stage else 0
    for rel in files:
        for number, text in enumerate((context.read_text(rel) or "").splitlines(), 1):
            m = _GO_LISTEN.search(text)
            if m:
                listens.append(Listen(int(m.group(1)), "go", f"{rel}:{number}", line,
                                      problem=f"the port is written in the Go source {rel}:{number}; change it there"))
    return listens


def server_port(text: str, context: Path | None = None) -> int | None:
    """The port the final stage's server listens on (for ``imgfix verify``), if known."""
    from ..document.model import Document

    analysis = Analysis(Document(text), context)
    stage = analysis.final_stage
    if stage is None:
        return None
    found = detect(stage, analysis)
    ports = [entry.port for entry in found.listens if entry.port]
    return ports[0] if ports else None
