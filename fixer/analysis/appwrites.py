"""What an application writes into its own folder, read from its source (never run).

The nonroot transform makes the app folder (the stage's last WORKDIR) the user's own, and
asks this module which existing files and folders in it the app writes: data files and
folders by name (``data/appwrites.toml``: ``*.sqlite3``, ``uploads/``, ``logs/``...), and the
paths the code writes:

- Python, parsed with libcst: ``logging.FileHandler(...)`` and the rotating handlers,
  ``logging.basicConfig(filename=...)``, dict configurations with a ``*FileHandler`` class
  and a ``filename`` (Django ``LOGGING``, ``dictConfig``), Django ``DATABASES`` with the
  sqlite3 engine (``NAME``), ``sqlite3.connect(...)``, ``sqlite:///`` URLs (SQLAlchemy,
  Flask-SQLAlchemy), ``open(path, "w"/"a"/"x"/"+")``. A path is a string literal or built
  from ``__file__``, module-level names (``BASE_DIR``), ``Path(...)``, ``/``, ``.parent``,
  ``os.path.join/dirname/abspath``, ``str()`` and f-strings; anything else is not followed.
- JavaScript/TypeScript, read with regular expressions on the text (comments removed):
  ``fs.writeFile*``, ``fs.appendFile*``, ``createWriteStream`` and ``new (sqlite3.)Database``
  / ``require('better-sqlite3')(...)`` whose first argument is a string literal or
  ``path.join/resolve(__dirname | process.cwd(), 'literal', ...)``. Variables, template
  literals with ``${}`` and computed paths are not followed.

Relative paths are resolved against the folder the command runs in (the last WORKDIR), as
the process would. Only the files the stage copies from the build context are read (through
``COPY --from`` of earlier stages too), at most a few hundred small ones.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass, field
from functools import cache

from ..data import load
from ..document.context import BuildContext, shared
from ..document.parser import is_number
from .stages import Analysis, Stage


@cache
def data() -> dict:
    return load("appwrites.toml")


@dataclass(frozen=True)
class Write:
    """One place in the code that writes a file: ``path`` is absolute in the image."""

    path: str
    source: str  # the file, relative to the build context
    line: int
    how: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line} {self.how}"


@dataclass
class AppWrites:
    """What to make writable in the app folder, and why."""

    app_dir: str
    folders: list[str] = field(default_factory=list)  # chowned without -R (the app folder first)
    files: list[str] = field(default_factory=list)  # existing files the app writes
    trees: list[str] = field(default_factory=list)  # data folders, chowned with -R
    reasons: list[str] = field(default_factory=list)  # "db.sqlite3: app.py:4 sqlite3.connect"
    outside: list[str] = field(default_factory=list)  # writes outside the app folder, left alone
    # files the code writes that the build context does not hold but a RUN line that runs the
    # app may create at build time (``manage.py migrate``): owned by name where they exist
    created: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.files or self.trees or self.folders[1:] or self.reasons)


# ---------------------------------------------------------------------------- the image's files


def _join(base: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(base, path))


def _listing(context: BuildContext, ignore) -> tuple[str, ...]:
    """The context's files the build sends (the .dockerignore applied), listed once per run."""
    skip = set(data()["read"]["skip_dirs"]) - {"tests", "test", "__tests__", "migrations", "docs"}

    def compute() -> tuple[str, ...]:
        files = context.files(limit=20_000, skip_dir=lambda d: d.rsplit("/", 1)[-1] in skip)
        return tuple(f for f in files if ignore is None or not ignore.excluded(f))

    return shared(("appwrites", context.root, tuple(ignore.patterns) if ignore else ()), compute)


def image_files(analysis: Analysis, stage: Stage, listing: tuple[str, ...], depth: int = 0) -> dict[str, str]:
    """Image path -> build-context path of the files the stage (and the stages it copies from
    or is built on) copies from the build context. Paths with variables are left out."""
    found: dict[str, str] = {}
    if depth > 4:
        return found
    if stage.parent is not None:
        found.update(image_files(analysis, stage.parent, listing, depth + 1))
    workdir = "/"
    for instr in stage.instructions:
        if instr.cmd == "WORKDIR" and instr.value:
            workdir = _join(workdir, instr.value[0])
        if instr.cmd not in ("COPY", "ADD") or instr.heredocs or not instr.value or len(instr.value) < 2:
            continue
        sources, dest = instr.value[:-1], instr.value[-1]
        if "$" in dest or any("$" in s for s in sources):
            continue
        into_dir = dest.endswith("/") or len(sources) > 1 or dest in (".", "./")
        dest = _join(workdir, dest)
        origin = next((f.split("=", 1)[1] for f in instr.flags or [] if f.startswith("--from=")), None)
        if origin is not None:
            other = analysis.stage_named(origin) or (
                analysis.stages[int(origin)] if is_number(origin) and int(origin) < stage.index else None
            )
            if other is None or other is stage:
                continue  # an external image: nothing of the build context
            theirs = image_files(analysis, other, listing, depth + 1)
            for src in sources:
                src = _join("/", src)
                for path, ctx in theirs.items():
                    if path == src:
                        found[_join(dest, posixpath.basename(path)) if into_dir else dest] = ctx
                    elif path.startswith(src.rstrip("/") + "/"):
                        found[dest + path[len(src.rstrip("/")) :]] = ctx
            continue
        for src in sources:
            if re.match(r"^[a-z]+://|^git@", src):
                continue
            rel = posixpath.normpath(src.lstrip("/"))
            rel = "" if rel == "." else rel
            if any(c in rel for c in "*?["):
                depth_of = rel.count("/") + 1
                for f in listing:
                    head = "/".join(f.split("/")[:depth_of])
                    if fnmatch.fnmatchcase(head, rel):
                        found[_join(dest, posixpath.basename(head) + f[len(head) :]) if head != f else _join(dest, posixpath.basename(f))] = f
                continue
            if rel in listing:
                found[_join(dest, posixpath.basename(rel)) if into_dir else dest] = rel
                continue
            prefix = rel + "/" if rel else ""
            for f in listing:
                if f.startswith(prefix):
                    found[_join(dest, f[len(prefix) :])] = f
    return found


def app_dir(stage: Stage) -> str | None:
    """The folder the command runs in: the last WORKDIR of the stage or its parents."""
    s: Stage | None = stage
    chain = []
    while s is not None:
        chain.append(s)
        s = s.parent
    workdir = None
    for s in reversed(chain):
        for instr in s.of("WORKDIR"):
            if instr.value and "$" not in instr.value[0]:
                workdir = _join(workdir or "/", instr.value[0])
    return workdir


# ---------------------------------------------------------------------------- reading the code


def _strip_js_comments(text: str) -> str:
    """Comments replaced by as many newlines (line numbers stay); strings are kept whole."""
    out, i, n = [], 0, len(text)
    token = re.compile(r"""//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`""", re.S)
    for m in token.finditer(text):
        out.append(text[i : m.start()])
        piece = m.group()
        out.append("\n" * piece.count("\n") if piece.startswith("/") else piece)
        i = m.end()
    out.append(text[i:n])
    return "".join(out)


_JS_STR = r"""(?:'([^'\\\n$]*)'|"([^"\\\n$]*)"|`([^`\\$]*)`)"""
_JS_ARG = (
    rf"(?:{_JS_STR}|(?:path\.)?(?:join|resolve)\(\s*(__dirname|process\.cwd\(\))\s*((?:,\s*{_JS_STR}\s*)+)\))"
)


def js_writes(text: str, image_path: str) -> list[tuple[int, str, str]]:
    """(line, how, path as written or absolute) of the writes a JavaScript file makes."""
    node = data()["node"]
    code = _strip_js_comments(text)
    calls = "|".join(map(re.escape, node["write_calls"]))
    ctors = "|".join(map(re.escape, node["database_constructors"]))
    patterns = [
        (rf"\b(?:fs\.(?:promises\.)?)?({calls})\s*\(\s*{_JS_ARG}", None),
        (rf"\bnew\s+(?:[A-Za-z_$][\w$]*\.)?({ctors})\s*\(\s*{_JS_ARG}", "sqlite database"),
        (rf"""\brequire\(\s*['"](better-sqlite3)['"]\s*\)\s*\(\s*{_JS_ARG}""", "better-sqlite3 database"),
    ]
    out = []
    for pattern, how in patterns:
        for m in re.finditer(pattern, code):
            groups = m.groups()
            literal = next((g for g in groups[1:4] if g is not None), None)
            if literal is not None:
                path = literal
            elif groups[4] is not None:
                parts = [next(p for p in t if p) for t in re.findall(_JS_STR, groups[5]) if any(t)]
                base = posixpath.dirname(image_path) if groups[4] == "__dirname" else "."
                path = posixpath.join(base, *parts)
            else:
                continue
            if not path or path == ":memory:":
                continue
            out.append((code.count("\n", 0, m.start()) + 1, how or f"{groups[0]}()", path))
    return out


def py_writes(text: str, image_path: str) -> list[tuple[int, str, str]]:
    """(line, how, path: relative as written, or absolute) of the writes a Python file makes."""
    import libcst as cst  # lazily: only for a stage that gets a user and has Python files
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        module = cst.parse_module(text)
    except Exception:  # noqa: BLE001 - libcst's syntax errors: a file that is not Python 3
        return []
    py = data()["python"]
    url = re.compile(py["sqlite_url"])
    out: list[tuple[int, str, str]] = []
    env: dict[str, str] = {}
    evaluate = _PathEval(image_path, env)
    for stmt in module.body:  # module-level names (BASE_DIR = Path(__file__)...)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                target = value = None
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target, value = small.target, small.value
                if isinstance(target, cst.Name):
                    got = evaluate(value)
                    if got is not None:
                        env[target.value] = got
                    else:
                        env.pop(target.value, None)

    class Visitor(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def line(self, node) -> int:
            return self.get_metadata(PositionProvider, node).start.line

        def add(self, node, how: str, value) -> None:
            path = evaluate(value)
            if path:
                out.append((self.line(node), how, path))

        def visit_Call(self, node: cst.Call) -> None:
            name = _dotted(node.func)
            if name is None:
                return
            calls = py["calls"]
            spec = calls.get(name)
            if spec is not None:
                arg = _argument(node, spec[0], spec[1])
                if arg is not None:
                    self.add(node, f"{name}()", arg)
                return
            if name in ("open", "io.open"):
                mode = _argument(node, 1, "mode")
                mode_text = evaluate(mode) if mode is not None else None
                if mode_text and any(c in mode_text for c in py["write_modes"]) and len(mode_text) <= 4:
                    path = _argument(node, 0, "file")
                    if path is not None:
                        self.add(node, f"open(..., {mode_text!r})", path)

        def visit_Dict(self, node: cst.Dict) -> None:
            items = {}
            for el in node.elements:
                if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                    items[el.key.evaluated_value] = el.value
            cls = items.get("class")
            cls_text = cls.evaluated_value if isinstance(cls, cst.SimpleString) else None
            if cls_text and "filename" in items and any(cls_text.endswith(c) for c in py["handler_classes"]):
                self.add(node, f"logging handler {cls_text}", items["filename"])
            engine = items.get("ENGINE")
            engine_text = engine.evaluated_value if isinstance(engine, cst.SimpleString) else None
            if engine_text and py["sqlite_engine"] in engine_text and "NAME" in items:
                self.add(node, "DATABASES sqlite NAME", items["NAME"])

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            self._url(node)

        def visit_FormattedString(self, node: cst.FormattedString) -> None:
            self._url(node)

        def _url(self, node) -> None:
            text = evaluate(node)
            m = url.match(text or "")
            if m:
                out.append((self.line(node), "sqlite:/// URL", m.group(1)))

    MetadataWrapper(module, unsafe_skip_copy=True).visit(Visitor())
    return out


def _dotted(node) -> str | None:
    import libcst as cst

    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _argument(call, index: int, keyword: str):
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index].value if 0 <= index < len(positional) else None


class _PathEval:
    """A string or path expression's value, where it is known without running the code."""

    def __init__(self, file_path: str, env: dict[str, str]) -> None:
        self.file_path, self.env = file_path, env

    def __call__(self, node) -> str | None:
        try:
            return self._eval(node, 0)
        except (ValueError, TypeError, AttributeError):
            return None

    def _eval(self, node, depth: int) -> str | None:
        import libcst as cst

        if node is None or depth > 20:
            return None
        ev = lambda n: self._eval(n, depth + 1)  # noqa: E731
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(node, cst.ConcatenatedString):
            left, right = ev(node.left), ev(node.right)
            return left + right if left is not None and right is not None else None
        if isinstance(node, cst.FormattedString):
            parts = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(part.value)
                elif part.format_spec is None and part.conversion is None:
                    value = ev(part.expression)
                    if value is None:
                        return None
                    parts.append(value)
                else:
                    return None
            return "".join(parts)
        if isinstance(node, cst.Name):
            if node.value == "__file__":
                return self.file_path
            return self.env.get(node.value)
        if isinstance(node, cst.BinaryOperation):
            left, right = ev(node.left), ev(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.operator, cst.Divide):
                return posixpath.join(left, right)
            if isinstance(node.operator, cst.Add):
                return left + right
            return None
        if isinstance(node, cst.Attribute) and node.attr.value == "parent":
            inner = ev(node.value)
            return posixpath.dirname(inner.rstrip("/")) or "/" if inner is not None else None
        if isinstance(node, cst.Call):
            name = _dotted(node.func)
            args = [a.value for a in node.args if a.keyword is None and not a.star]
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("resolve", "absolute", "joinpath"):
                method = node.func.attr.value
                inner = ev(node.func.value)
                if inner is None:
                    return None
                if method in ("resolve", "absolute") and not args:
                    return inner
                rest = [ev(a) for a in args]
                return posixpath.join(inner, *rest) if method == "joinpath" and None not in rest else None
            if name in ("Path", "pathlib.Path", "PurePath", "PosixPath", "str", "os.fspath", "os.path.abspath",
                        "os.path.realpath", "os.path.normpath", "os.path.expanduser") and len(args) == 1:
                return ev(args[0])
            if name in ("Path", "pathlib.Path") and len(args) > 1:
                rest = [ev(a) for a in args]
                return posixpath.join(*rest) if None not in rest else None
            if name == "os.path.dirname" and len(args) == 1:
                inner = ev(args[0])
                return posixpath.dirname(inner) if inner is not None else None
            if name == "os.path.join" and args:
                rest = [ev(a) for a in args]
                return posixpath.join(*rest) if None not in rest else None
        return None


# ---------------------------------------------------------------------------- the answer


def ownable(folder: str) -> bool:
    """Whether a folder can be the app's own: not ``/``, a shared top-level folder or a
    system folder (``data/appwrites.toml`` [app_dir])."""
    rules = data()["app_dir"]
    if folder in rules["shared"]:
        return False
    return not any(folder == p or folder.startswith(p + "/") for p in rules["never_own"])


def find(analysis: Analysis, stage: Stage) -> AppWrites | None:
    """What the app of ``stage`` writes in its folder; None without an app folder to own."""
    folder = app_dir(stage)
    if folder is None or not ownable(folder):
        return None
    if analysis.context is None:
        return AppWrites(folder, [folder])
    from ..document import ignorefile

    context = BuildContext(analysis.context)
    try:
        ignore_text = ignorefile.read(ignorefile.locate(analysis.path, context.root))
        ignore = ignorefile.Matcher.from_text(ignore_text) if ignore_text else None
    except ignorefile.IgnoreError:
        return AppWrites(folder, [folder])
    files = image_files(analysis, stage, _listing(context, ignore))
    result = _decide(folder, files, context)
    if result.created and not _build_runs_app(analysis, stage):
        result.created = []
    return result


_APP_COMMANDS = re.compile(r"^(python[\d.]*|node|nodejs|flask|django-admin|alembic|php|ruby|rails|rake|bundle|deno|bun|\./.+|.+\.(sh|py|js))$")


def _build_runs_app(analysis: Analysis, stage: Stage) -> bool:
    """Whether a RUN line of the stage, the stages it is built on or copies from, runs the
    app or a script of it (``python manage.py migrate``, ``flask db upgrade``, ``./init.sh``),
    which may create the files the app writes. Package installs do not count."""
    seen: set[int] = set()
    todo = [stage]
    while todo:
        s = todo.pop()
        if s is None or s.index in seen:
            continue
        seen.add(s.index)
        todo.append(s.parent)
        for copy in s.of("COPY"):
            origin = next((f.split("=", 1)[1] for f in copy.flags or [] if f.startswith("--from=")), None)
            if origin is not None:
                todo.append(analysis.stage_named(origin) or (
                    analysis.stages[int(origin)] if is_number(origin) and int(origin) < len(analysis.stages) else None))
        for words in s.run_commands:
            program = words[0].rsplit("/", 1)[-1] if "/" not in words[0] or not words[0].startswith("./") else words[0]
            if words[1:3] == ["-m", "pip"] or "pip" in words[1:2] or "install" in words[1:2]:
                continue
            if _APP_COMMANDS.match(program) or any(w.endswith("manage.py") for w in words):
                return True
    return False


def _decide(folder: str, files: dict[str, str], context: BuildContext) -> AppWrites:
    result = AppWrites(folder, [folder])
    inside = {p: c for p, c in files.items() if p.startswith(folder.rstrip("/") + "/")}
    dirs: set[str] = set()
    for path in inside:
        parent = posixpath.dirname(path)
        while parent.startswith(folder.rstrip("/") + "/"):
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    conf = data()
    source_ext = tuple(conf["read"]["extensions"])

    def add_file(path: str, why: str) -> None:
        parent = posixpath.dirname(path)
        if parent in dirs and parent not in result.folders and not _under(parent, result.trees):
            result.folders.append(parent)  # sqlite writes its journal beside the database
        if path in inside and path not in result.files and not _under(path, result.trees):
            result.files.append(path)
        elif path not in inside and parent in dirs | {folder} and path not in result.created and not _under(path, result.trees):
            result.created.append(path)
        result.reasons.append(f"{posixpath.relpath(path, folder)}: {why}")

    # data by name
    for path in sorted(inside):
        name = posixpath.basename(path)
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in conf["data"]["files"]):
            add_file(path, "a database file")
    for d in sorted(dirs, key=lambda d: (d.count("/"), d)):
        if posixpath.basename(d) in conf["data"]["dirs"] and not _under(d, result.trees):
            if not any(p.startswith(d + "/") and p.endswith(source_ext) for p in inside):
                result.trees.append(d)
                result.reasons.append(f"{posixpath.relpath(d, folder)}/: a data folder")
    # what the code writes
    for write in _code_writes(folder, inside, context):
        if write.path.startswith(folder.rstrip("/") + "/"):
            if write.path in dirs:
                continue
            add_file(write.path, str(write))
        elif write.path != folder:
            result.outside.append(f"{write.path} ({write})")
    result.folders = [result.folders[0]] + sorted(set(result.folders[1:]) - set(result.trees))
    return result


def _under(path: str, trees: list[str]) -> bool:
    return any(path == t or path.startswith(t + "/") for t in trees)


def _code_writes(folder: str, inside: dict[str, str], context: BuildContext) -> list[Write]:
    conf = data()["read"]
    skip = set(conf["skip_dirs"])
    sources = [
        (p, c) for p, c in sorted(inside.items())
        if p.endswith(tuple(conf["extensions"])) and not (set(c.split("/")[:-1]) & skip)
        and not re.search(r"(^|/)(test_[^/]*|[^/]*_test\.py|[^/]*\.(test|spec)\.[jt]s|conftest\.py)$", c)
    ][: conf["max_files"]]
    out: list[Write] = []
    for image_path, rel in sources:
        path = context.resolve(rel)
        try:
            if path is None or path.stat().st_size > conf["max_bytes"]:
                continue
        except OSError:
            continue
        text = context.read_text(rel)
        if not text:
            continue
        reader = py_writes if rel.endswith(".py") else js_writes
        for line, how, target in reader(text, image_path):
            if target and ":memory:" not in target and not target.startswith("file:") and "\0" not in target:
                out.append(Write(_join(folder, target), rel, line, how))
    return out
