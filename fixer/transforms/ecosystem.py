"""Which ecosystem a build context holds, read from its manifests without executing anything.

``detect(context, base_image)`` returns a ``Project``: the language, and the facts the
multi-stage templates need (dependency files, entry points, the framework and its port, the
artefact a build produces). Python files are read with libcst (``setup.py`` is never run),
TOML with ``tomllib``, ``package.json`` with ``json``, ``pom.xml`` with ``xml.etree`` after
refusing any DTD (no entity expansion), ``go.mod`` and ``build.gradle`` line by line.

Every value that may reach a rendered Dockerfile is checked against a strict pattern here
(``valid_*``); a value that does not match is dropped and the reason kept in ``problems``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.catalogue import image_entry
from ..document.context import BuildContext, shared

LANGS = ("python", "node", "go", "java", "rust")

# strict patterns for values read from project files
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,8}$")
_ATTR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")  # package / binary / script names
_PATH = re.compile(r"^/?[A-Za-z0-9._@+-]+(/[A-Za-z0-9._@+-]+)*/?$")
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,3}$")
_FILE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def valid_module(value: object) -> bool:
    return isinstance(value, str) and bool(_MODULE.match(value))


def valid_name(value: object) -> bool:
    return isinstance(value, str) and bool(_NAME.match(value)) and ".." not in value


def valid_path(value: object) -> bool:
    return isinstance(value, str) and len(value) < 256 and bool(_PATH.match(value)) and ".." not in value.split("/")


def valid_port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def valid_version(value: object) -> bool:
    return isinstance(value, str) and bool(_VERSION.match(value))


@dataclass
class Project:
    lang: str | None
    evidence: list[str] = field(default_factory=list)  # the files that decided it
    problems: list[str] = field(default_factory=list)  # values found but rejected
    # python
    requirements: list[str] = field(default_factory=list)
    pyproject: bool = False
    setup_py: bool = False
    python_requires: str | None = None
    python_version: str | None = None
    dependencies: list[str] = field(default_factory=list)  # normalised names (python and node)
    scripts: dict[str, str] = field(default_factory=dict)  # console script -> module:func
    framework: str | None = None  # flask | fastapi | django | express | ...
    app_module: str | None = None  # python module (or node file) that serves / runs
    app_object: str | None = None  # the WSGI/ASGI object in app_module
    port: int | None = None
    health_path: str | None = None
    # node
    name: str | None = None
    lockfile: str | None = None
    build_script: bool = False
    start_script: bool = False
    static_output: str | None = None  # the folder a static front-end build writes
    dev_dependencies: list[str] = field(default_factory=list)  # package.json devDependencies
    node_scripts: dict[str, str] = field(default_factory=dict)  # package.json scripts (read, never run)
    dev_bins: set[str] = field(default_factory=set)  # commands only devDependencies install
    node_version: str | None = None
    # go
    module: str | None = None
    go_version: str | None = None
    # java
    build_tool: str | None = None  # maven | gradle
    jar: str | None = None  # relative to the project root
    java_version: str | None = None
    wrapper: bool = False
    # rust
    binaries: list[str] = field(default_factory=list)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(line: str) -> str | None:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return _norm(m.group(1)) if m else None


def detect(context: Path | None, base: str | None = None, lang: str | None = None, *, read: bool = True) -> Project:
    """The project in ``context``; ``base`` (the FROM image) and ``lang`` break ties.
    ``read=False``: the language only, from file names (no project file is read or parsed)."""
    ctx = BuildContext(context) if context is not None and context.is_dir() else None
    files = set(shared(("files", ctx.root, 5000), lambda: tuple(ctx.files(limit=5000)))) if ctx else set()
    top = {f for f in files if "/" not in f}
    found: list[tuple[str, list[str]]] = []
    py = [f for f in sorted(top) if re.match(r"^requirements.*\.txt$", f)] + [
        f for f in ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "poetry.lock") if f in top
    ]
    if py:
        found.append(("python", py))
    if "package.json" in top:
        found.append(("node", ["package.json"]))
    if "go.mod" in top:
        found.append(("go", ["go.mod"]))
    java = [f for f in ("pom.xml", "build.gradle", "build.gradle.kts", "mvnw", "gradlew") if f in top]
    if java:
        found.append(("java", java))
    if "Cargo.toml" in top:
        found.append(("rust", ["Cargo.toml"]))
    chosen = None
    if lang:
        chosen = next((f for f in found if f[0] == lang), (lang, []))
    elif len(found) == 1:
        chosen = found[0]
    elif found:
        by_image = _lang_of_image(base)
        chosen = next((f for f in found if f[0] == by_image), None)
    if chosen is None:
        by_image = None if found else _lang_of_image(base)
        project = Project(by_image, [f"base image {base}"] if by_image else [])
        if found and not by_image:
            project.problems.append("the context holds several ecosystems: " + ", ".join(f[0] for f in found))
        if project.lang is None or ctx is None:
            return project
        chosen = (project.lang, [])
    project = Project(chosen[0], list(chosen[1]))
    if ctx is not None and read:
        reader = {"python": _python, "node": _node, "go": _go, "java": _java, "rust": _rust}[project.lang]
        reader(ctx, top, files, project)
    return project


def _lang_of_image(base: str | None) -> str | None:
    """The ecosystem the catalogue gives the image (by its last name: ``python``, ``golang``)."""
    if not base:
        return None
    name = base.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    entry = image_entry(name) if name else None
    return entry.get("ecosystem") if entry else None


# ------------------------------------------------------------------ python

def _python(ctx: BuildContext, top: set[str], files: set[str], p: Project) -> None:
    p.requirements = [f for f in sorted(top) if re.match(r"^requirements.*\.txt$", f) and _FILE.match(f)]
    for req in p.requirements:
        for line in (ctx.read_text(req) or "").splitlines():
            name = _req_name(line)
            if name and name not in p.dependencies:
                p.dependencies.append(name)
    if "pyproject.toml" in top:
        p.pyproject = True
        try:
            data = tomllib.loads(ctx.read_text("pyproject.toml") or "")
        except tomllib.TOMLDecodeError as err:
            p.problems.append(f"pyproject.toml does not parse: {err}")
            data = {}
        proj = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
        for dep in proj.get("dependencies", []) or []:
            name = _req_name(dep) if isinstance(dep, str) else None
            if name and name not in p.dependencies:
                p.dependencies.append(name)
        if isinstance(proj.get("requires-python"), str):
            p.python_requires = proj["requires-python"]
        for script, target in (proj.get("scripts") or {}).items():
            _add_script(p, script, target)
        poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
        for name in (poetry.get("dependencies") or {}):
            if name != "python" and _norm(name) not in p.dependencies:
                p.dependencies.append(_norm(name))
        for script, target in (poetry.get("scripts") or {}).items():
            _add_script(p, script, target)
    if "setup.py" in top:
        p.setup_py = True
        _setup_py(ctx.read_text("setup.py") or "", p)
    if p.python_requires:
        m = re.search(r">=\s*3\.(\d+)", p.python_requires)
        if m:
            p.python_version = f"3.{m.group(1)}"
    deps = set(p.dependencies)
    for fw in ("django", "fastapi", "flask", "starlette"):
        if fw in deps:
            p.framework = fw
            break
    _python_app(ctx, files, p)


def _add_script(p: Project, script: object, target: object) -> None:
    if not isinstance(script, str) or not isinstance(target, str):
        return
    target = target.strip()
    mod, _, func = target.partition(":")
    if valid_name(script) and valid_module(mod.strip()) and (not func or _ATTR.match(func.strip())):
        p.scripts[script] = target
    else:
        p.problems.append(f"console script {script!r} = {target!r} rejected: not a plain name and module")


def _literal(node):
    """The Python value of a literal libcst expression (strings, numbers, lists, dicts), else None."""
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        try:
            return node.evaluated_value
        except Exception:  # noqa: BLE001 - odd prefixes
            return None
    if isinstance(node, cst.ConcatenatedString):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if isinstance(left, str) and isinstance(right, str) else None
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None
    if isinstance(node, (cst.List, cst.Tuple)):
        out = [_literal(e.value) for e in node.elements]
        return None if any(v is None for v in out) else out
    if isinstance(node, cst.Dict):
        out = {}
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                return None
            k, v = _literal(el.key), _literal(el.value)
            if k is None or v is None:
                return None
            out[k] = v
        return out
    return None


def _call_name(node) -> str | None:
    import libcst as cst

    func = node.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _setup_py(text: str, p: Project) -> None:
    import libcst as cst

    try:
        tree = cst.parse_module(text)
    except Exception as err:  # noqa: BLE001 - libcst raises ParserSyntaxError and friends
        p.problems.append(f"setup.py does not parse: {str(err).splitlines()[0]}")
        return

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if _call_name(node) != "setup":
                return
            for arg in node.args:
                if arg.keyword is None:
                    continue
                key, value = arg.keyword.value, _literal(arg.value)
                if key == "install_requires" and isinstance(value, list):
                    for dep in value:
                        name = _req_name(dep) if isinstance(dep, str) else None
                        if name and name not in p.dependencies:
                            p.dependencies.append(name)
                elif key == "python_requires" and isinstance(value, str):
                    p.python_requires = value
                elif key == "name" and isinstance(value, str):
                    if valid_name(value):
                        p.name = value
                    else:
                        p.problems.append(f"setup.py name {value!r} rejected")
                elif key == "entry_points" and isinstance(value, dict):
                    scripts = value.get("console_scripts", [])
                    for entry in scripts if isinstance(scripts, list) else []:
                        if isinstance(entry, str) and "=" in entry:
                            script, target = entry.split("=", 1)
                            _add_script(p, script.strip(), target.strip())

    tree.visit(Visitor())


_APP_FILES = ("app.py", "main.py", "wsgi.py", "asgi.py", "server.py", "application.py", "run.py", "manage.py")


def _python_app(ctx: BuildContext, files: set[str], p: Project, hint: str | None = None) -> None:
    """The module that holds the app object, its port and an obvious health endpoint."""
    candidates = [hint] if hint else []
    candidates += [f for f in _APP_FILES if f in files]
    candidates += sorted(f for f in files if f.count("/") == 1 and f.split("/")[1] in _APP_FILES)
    for rel in candidates:
        if not rel or not rel.endswith(".py"):
            continue
        info = python_source_facts(ctx.read_text(rel) or "")
        if info is None:
            continue
        module = rel[:-3].replace("/", ".")
        if info["app_object"] or info["main"]:
            if not valid_module(module):
                p.problems.append(f"module name {module!r} rejected")
                continue
            p.app_module, p.app_object = module, info["app_object"]
            if info["framework"] and not p.framework:
                p.framework = info["framework"]
            if info["port"]:
                p.port = info["port"]
            p.health_path = info["health_path"]
            return


def python_source_facts(text: str) -> dict | None:
    """Read one Python file with libcst: the WSGI/ASGI object, the port it runs on, routes."""
    import libcst as cst

    try:
        tree = cst.parse_module(text)
    except Exception:  # noqa: BLE001
        return None
    facts = {"app_object": None, "framework": None, "port": None, "health_path": None, "main": False}
    routes: list[str] = []
    makers = {"Flask": "flask", "FastAPI": "fastapi", "Starlette": "starlette"}

    class Visitor(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, cst.Call) and _call_name(node.value) in makers:
                target = node.targets[0].target
                if isinstance(target, cst.Name) and _ATTR.match(target.value):
                    facts["app_object"] = target.value
                    facts["framework"] = makers[_call_name(node.value)]

        def visit_If(self, node: cst.If) -> None:
            test = node.test
            if isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and test.left.value == "__name__":
                facts["main"] = True

        def visit_Call(self, node: cst.Call) -> None:
            name = _call_name(node)
            if name == "run":
                for arg in node.args:
                    if arg.keyword is not None and arg.keyword.value == "port":
                        value = _literal(arg.value)
                        if valid_port(value):
                            facts["port"] = value

        def visit_Decorator(self, node: cst.Decorator) -> None:
            dec = node.decorator
            if isinstance(dec, cst.Call) and _call_name(dec) in ("route", "get") and dec.args:
                value = _literal(dec.args[0].value)
                if isinstance(value, str):
                    routes.append(value)

    tree.visit(Visitor())
    for path in ("/healthz", "/health", "/"):
        if path in routes:
            facts["health_path"] = path
            break
    return facts


# ------------------------------------------------------------------ node

_STATIC_TOOLS = {"vite": "dist", "react-scripts": "build", "@vue/cli-service": "dist", "parcel": "dist"}
_NODE_SERVERS = {"express", "fastify", "koa", "@nestjs/core", "next", "nuxt", "hapi", "@hapi/hapi", "@remix-run/serve"}


def _node(ctx: BuildContext, top: set[str], files: set[str], p: Project) -> None:
    try:
        data = json.loads(ctx.read_text("package.json") or "")
    except ValueError as err:
        p.problems.append(f"package.json does not parse: {err}")
        return
    if not isinstance(data, dict):
        p.problems.append("package.json is not an object")
        return
    name = data.get("name")
    if isinstance(name, str):
        if valid_name(name.replace("@", "").replace("/", "-")):
            p.name = name
        else:
            p.problems.append(f"package.json name {name!r} rejected")
    scripts = data.get("scripts") if isinstance(data.get("scripts"), dict) else {}
    p.node_scripts = {k: v for k, v in scripts.items() if isinstance(k, str) and isinstance(v, str)}
    p.build_script = isinstance(scripts.get("build"), str)
    p.start_script = isinstance(scripts.get("start"), str)
    for lock in ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"):
        if lock in top:
            p.lockfile = lock
            break
    deps: list[str] = []
    for key in ("dependencies", "devDependencies"):
        section = data.get(key)
        if isinstance(section, dict):
            deps += [d for d in section if isinstance(d, str)]
            if key == "devDependencies":
                p.dev_dependencies = [d for d in section if isinstance(d, str)]
    p.dependencies = deps
    p.dev_bins = _node_dev_bins(ctx, p.lockfile, data)
    servers = _NODE_SERVERS & set(deps)
    if servers:
        p.framework = sorted(servers)[0]
    elif p.build_script:
        for tool, out in _STATIC_TOOLS.items():
            if tool in deps:
                out = _static_output(ctx, top, tool, out, p)
                if out is not None:
                    p.framework, p.static_output = tool, out
                break
    engines = data.get("engines") if isinstance(data.get("engines"), dict) else {}
    m = re.search(r"(\d+)", str(engines.get("node", "")))
    if m and valid_version(m.group(1)):
        p.node_version = m.group(1)
    main = data.get("main")
    if isinstance(main, str):
        if valid_path(main) and not main.startswith("/"):
            p.app_module = main
        else:
            p.problems.append(f"package.json main {main!r} rejected")
    elif "server.js" in top or "index.js" in top:
        p.app_module = "server.js" if "server.js" in top else "index.js"
    if p.app_module:
        source = ctx.read_text(p.app_module) or ""
        m = re.search(r"\.listen\(\s*(?:process\.env\.PORT\s*\|\|\s*)?(\d{2,5})", source)
        if m and valid_port(int(m.group(1))):
            p.port = int(m.group(1))
        if re.search(r"""\.get\(\s*['"]/health['"]""", source):
            p.health_path = "/health"
        elif re.search(r"""\.get\(\s*['"]/['"]""", source):
            p.health_path = "/"


# where each tool is told to write elsewhere: its config file's key, the build script's flag or variable
_OUTPUT_SETTINGS = {
    "vite": (("vite.config.js", "vite.config.ts", "vite.config.mjs", "vite.config.mts", "vite.config.cjs"), "outDir", r"--outDir[= ]"),
    "@vue/cli-service": (("vue.config.js", "vue.config.cjs", "vue.config.mjs"), "outputDir", r"--dest[= ]"),
    "parcel": ((), None, r"--dist-dir[= ]"),
    "react-scripts": ((), None, r"\bBUILD_PATH="),
}


def _static_output(ctx: BuildContext, top: set[str], tool: str, default: str, p: Project) -> str | None:
    """The folder the front-end build writes: the tool's default unless the build script or
    the tool's config names another (a literal, relative path), None when it cannot be told."""
    configs, key, flag = _OUTPUT_SETTINGS[tool]
    found = None
    m = re.search(flag + r"""(['"]?)([^\s'"&;|]+)\1""", p.node_scripts.get("build", ""))
    if m:
        found = m.group(2)
    elif key:
        for name in configs:
            if name not in top:
                continue
            text = ctx.read_text(name) or ""
            if re.search(rf"\b{key}\b", text):
                m = re.search(rf"""\b{key}\s*:\s*(['"`])([^'"`$]+)\1""", text)
                if m is None:
                    p.problems.append(f"{name} sets {key} to something other than a plain string")
                    return None
                found = m.group(2)
            break
    if found is None:
        return default
    found = found.removeprefix("./").rstrip("/")
    if not valid_path(found) or found.startswith("/") or not found:
        p.problems.append(f"{tool}'s output folder {found!r} rejected")
        return None
    return found


def _node_dev_bins(ctx: BuildContext, lockfile: str | None, data: dict) -> set[str]:
    """The commands that only devDependencies provide (``nodemon``, ``ts-node``, ``vite``):
    gone after ``npm prune --omit=dev``. An npm lock file names every package's binaries and
    marks the dev-only ones; without one, a devDependency's binary is taken to be its name."""
    prod_bins: set[str] = set()
    dev_bins: set[str] = set()
    if lockfile in ("package-lock.json", "npm-shrinkwrap.json"):
        try:
            lock = json.loads(ctx.read_text(lockfile) or "")
        except ValueError:
            lock = {}
        entries = lock.get("packages") if isinstance(lock, dict) and isinstance(lock.get("packages"), dict) else {}
        for key, entry in entries.items():
            if not key or not isinstance(entry, dict) or not isinstance(entry.get("bin"), (dict, str)):
                continue
            name = key.rsplit("node_modules/", 1)[-1]
            bins = set(entry["bin"]) if isinstance(entry["bin"], dict) else {name.rsplit("/", 1)[-1]}
            (dev_bins if entry.get("dev") else prod_bins).update(b for b in bins if isinstance(b, str))
    for key, target in (("devDependencies", dev_bins), ("dependencies", prod_bins)):
        section = data.get(key) if isinstance(data.get(key), dict) else {}
        target.update(name.rsplit("/", 1)[-1] for name in section if isinstance(name, str))
    return dev_bins - prod_bins


# ------------------------------------------------------------------ go

def _go(ctx: BuildContext, top: set[str], files: set[str], p: Project) -> None:
    for line in (ctx.read_text("go.mod") or "").splitlines():
        words = line.split("//", 1)[0].split()
        if len(words) == 2 and words[0] == "module":
            if valid_path(words[1]):
                p.module = words[1]
                p.name = go_binary_name(words[1])
            else:
                p.problems.append(f"go.mod module {words[1]!r} rejected")
        elif len(words) == 2 and words[0] == "go":
            m = re.match(r"^(\d+\.\d+)", words[1])
            if m:
                p.go_version = m.group(1)
    p.framework = "cgo" if any(
        f.endswith(".go") and re.search(r'^import\s+"C"', ctx.read_text(f) or "", re.M) for f in sorted(files)[:2000]
    ) else None


_GO_MAJOR = re.compile(r"^v[0-9]+$")


def go_binary_name(import_path: str) -> str | None:
    """The file ``go build`` names a main package's executable after: the last element of its
    import path that is not a major version (``example.com/tool/v2`` -> ``tool``)."""
    parts = [x for x in import_path.strip("/").split("/") if x not in ("", ".")]
    if len(parts) > 1 and _GO_MAJOR.match(parts[-1]):
        parts.pop()
    return parts[-1] if parts and parts[-1] != ".." else None


# ------------------------------------------------------------------ java

def _xml_root(text: str):
    import xml.etree.ElementTree as ET

    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.I):
        raise ValueError("the file declares a DTD or entities; not read")
    return ET.fromstring(text)


def _java(ctx: BuildContext, top: set[str], files: set[str], p: Project) -> None:
    if "pom.xml" in top:
        p.build_tool = "maven"
        p.wrapper = "mvnw" in top
        try:
            root = _xml_root(ctx.read_text("pom.xml") or "")
        except Exception as err:  # noqa: BLE001 - ParseError, ValueError
            p.problems.append(f"pom.xml not read: {err}")
            return
        ns = {"m": root.tag[1:].split("}", 1)[0]} if root.tag.startswith("{") else {}
        q = (lambda path: "/".join(f"m:{x}" for x in path.split("/"))) if ns else (lambda path: path)

        def text(path: str) -> str | None:
            el = root.find(q(path), ns)
            return el.text.strip() if el is not None and el.text else None

        properties = {}
        props = root.find(q("properties"), ns)
        for el in list(props) if props is not None else []:
            if isinstance(el.tag, str) and el.text:
                properties[el.tag.rsplit("}", 1)[-1]] = el.text.strip()
        # what Maven substitutes in these names: the model's own values and <properties>
        # (`${project.artifactId}` in finalName, CI-friendly `${revision}` versions)
        values = dict(properties)
        for key, path in (("artifactId", "artifactId"), ("version", "version"), ("groupId", "groupId"), ("name", "name")):
            value = text(path) or (text(f"parent/{path}") if key in ("version", "groupId") else None)
            if value is not None:
                values[f"project.{key}"] = value
                values.setdefault(key, value)

        def resolved(value: str | None) -> str | None:
            for _ in range(5):  # properties that name properties; what stays unknown keeps its ${...}
                new = re.sub(r"\$\{([A-Za-z0-9_.-]+)\}", lambda m: values.get(m.group(1), m.group()), value or "")
                if new == value or value is None:
                    break
                value = new
            return value

        artifact, version = resolved(text("artifactId")), resolved(text("version") or text("parent/version"))
        final = resolved(text("build/finalName"))
        packaging = text("packaging") or "jar"
        for key in ("properties/maven.compiler.release", "properties/java.version", "properties/maven.compiler.source"):
            v = text(key)
            if v and valid_version(v):
                p.java_version = v.split(".")[-1] if v.startswith("1.") else v.split(".")[0]
                break
        if packaging != "jar":
            p.problems.append(f"pom.xml packaging is {packaging}, not jar")
            return
        if final and "${" in final:  # the jar is named after it, never after artifactId-version
            p.problems.append(f"pom.xml finalName {final!r} uses a property imgfix cannot resolve")
            return
        if final:
            jar = f"target/{final}.jar"
        elif artifact and version and "${" not in artifact + version:
            jar = f"target/{artifact}-{version}.jar"
        else:
            p.problems.append("pom.xml does not name the jar (artifactId and version)")
            return
        if valid_path(jar):
            p.jar, p.name = jar, artifact
        else:
            p.problems.append(f"jar name {jar!r} rejected")
    elif "build.gradle" in top or "build.gradle.kts" in top:
        p.build_tool = "gradle"
        p.wrapper = "gradlew" in top
        src = ctx.read_text("build.gradle" if "build.gradle" in top else "build.gradle.kts") or ""
        m = re.search(r"languageVersion\s*(?:=|\.set\()\s*JavaLanguageVersion\.of\((\d+)\)", src) or re.search(
            r"sourceCompatibility\s*=\s*['\"]?(?:JavaVersion\.VERSION_)?(?:1[._])?(\d+)", src
        )
        if m:
            p.java_version = m.group(1)
        settings = ctx.read_text("settings.gradle") or ctx.read_text("settings.gradle.kts") or ""
        name = re.search(r"rootProject\.name\s*=\s*['\"]([^'\"]+)['\"]", settings)
        version = re.search(r"^version\s*=\s*['\"]([^'\"]+)['\"]", src, re.M)
        if name and valid_name(name.group(1)):
            p.name = name.group(1)
            jar = f"build/libs/{p.name}" + (f"-{version.group(1)}" if version else "") + ".jar"
            if valid_path(jar):
                p.jar = jar
            else:
                p.problems.append(f"jar name {jar!r} rejected")
        elif name:
            p.problems.append(f"rootProject.name {name.group(1)!r} rejected")


# ------------------------------------------------------------------ rust

def _rust(ctx: BuildContext, top: set[str], files: set[str], p: Project) -> None:
    try:
        data = tomllib.loads(ctx.read_text("Cargo.toml") or "")
    except tomllib.TOMLDecodeError as err:
        p.problems.append(f"Cargo.toml does not parse: {err}")
        return
    package = data.get("package") if isinstance(data.get("package"), dict) else {}
    names = [b.get("name") for b in data.get("bin", []) if isinstance(b, dict)] or [package.get("name")]
    for name in names:
        if valid_name(name):
            p.binaries.append(name)
        elif name is not None:
            p.problems.append(f"binary name {name!r} rejected")
    p.name = p.binaries[0] if p.binaries else None
