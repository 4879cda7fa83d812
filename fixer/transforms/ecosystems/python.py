"""Python: requirements*.txt, pyproject.toml (PEP 621 and Poetry), setup.py read with libcst
(never run); the runtime is the base image's slim variant with the builder's virtualenv.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...document.context import BuildContext
from .base import (
    _ATTR,
    _FILE,
    Conversion,
    Project,
    Refused,
    default_version,
    valid_module,
    valid_name,
    valid_port,
)

if TYPE_CHECKING:  # the plan of the multi-stage conversion that calls conversion()
    from ..multistage.plan import Plan

LANG = "python"
VENV = "/opt/venv"


@dataclass
class PythonProject(Project):
    requirements: list[str] = field(default_factory=list)
    pyproject: bool = False
    setup_py: bool = False
    python_requires: str | None = None
    python_version: str | None = None
    scripts: dict[str, str] = field(default_factory=dict)  # console script -> module:func


PROJECT = PythonProject


def manifests(top: set[str]) -> list[str]:
    """The files in the context's top folder that make it a Python project."""
    return [f for f in sorted(top) if re.match(r"^requirements.*\.txt$", f)] + [
        f for f in ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "poetry.lock") if f in top
    ]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(line: str) -> str | None:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return _norm(m.group(1)) if m else None


def read(ctx: BuildContext, top: set[str], files: set[str], p: PythonProject) -> None:
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


def _add_script(p: PythonProject, script: object, target: object) -> None:
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


def _setup_py(text: str, p: PythonProject) -> None:
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


def _python_app(ctx: BuildContext, files: set[str], p: PythonProject, hint: str | None = None) -> None:
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


_SERVERS = {"HTTPServer", "ThreadingHTTPServer", "TCPServer", "ThreadingTCPServer", "make_server"}


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
    constants: dict[str, object] = {}  # NAME = literal, for a port given by name (PORT = 8080)
    named_port: list[str] = []

    def port_of(node) -> None:
        if isinstance(node, cst.Name):
            named_port.append(node.value)
        elif valid_port(_literal(node)):
            facts["port"] = _literal(node)

    class Visitor(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            target = node.targets[0].target
            if isinstance(target, cst.Name) and _literal(node.value) is not None:
                constants[target.value] = _literal(node.value)
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
            if name in ("run", "run_app"):
                for arg in node.args:
                    if arg.keyword is not None and arg.keyword.value == "port":
                        port_of(arg.value)
            elif name in _SERVERS and node.args:
                # http.server / socketserver: HTTPServer(("", 8080), Handler); wsgiref: make_server("", 8000, app)
                first = node.args[0].value
                if name == "make_server" and len(node.args) > 1:
                    port_of(node.args[1].value)
                elif isinstance(first, cst.Tuple) and len(first.elements) == 2:
                    port_of(first.elements[1].value)
                facts["main"] = True  # the module serves when it runs

        def visit_Decorator(self, node: cst.Decorator) -> None:
            dec = node.decorator
            if isinstance(dec, cst.Call) and _call_name(dec) in ("route", "get") and dec.args:
                value = _literal(dec.args[0].value)
                if isinstance(value, str):
                    routes.append(value)

    tree.visit(Visitor())
    for name in named_port:
        if facts["port"] is None and valid_port(constants.get(name)):
            facts["port"] = constants[name]
    for path in ("/healthz", "/health", "/"):
        if path in routes:
            facts["health_path"] = path
            break
    return facts


# ------------------------------------------------------------------ templates

def conversion(conv: Conversion, plan: Plan, project: PythonProject) -> tuple[dict, str]:
    if not conv.base_is("python"):
        raise Refused(f"the base image {conv.stage.base_text} is not a python image: the venv would not match the runtime's Python")
    for run in plan.build_runs:
        for words in run:
            if words[0].rsplit("/", 1)[-1] in ("pip", "pip3") or words[:3] in (["python", "-m", "pip"], ["python3", "-m", "pip"]):
                bad = next((w for w in words if w.split("=", 1)[0] in ("--user", "--target", "-t", "--prefix", "--root", "--system")), None)
                if bad:
                    raise Refused(f"pip install {bad} writes outside the virtualenv")
                if words[0].startswith("/") and not words[0].startswith(VENV):
                    raise Refused(f"{words[0]} is outside the virtualenv")
            if words[0] in ("uv",) and "--system" in words:
                raise Refused("uv pip install --system writes outside the virtualenv")
    conv.check_entry(plan, {"pip", "pip3", "poetry", "pipenv"})
    return {"runtime_image": conv.slim_image("python"), "venv": VENV}, ""


def new_service(p: PythonProject, notes: list[str]) -> dict:
    version = default_version(p.python_version, "python")
    deps = set(p.dependencies)
    port, module, obj = p.port, p.app_module, p.app_object
    if module and not valid_module(module) or obj and not valid_module(obj):
        raise Refused(f"the app module {module}:{obj} is not a plain module name")
    if obj and "gunicorn" in deps and p.framework in ("flask", "django", None):
        port = 8000
        cmd = ["gunicorn", "--bind", f"0.0.0.0:{port}", f"{module}:{obj}"]
    elif obj and p.framework in ("fastapi", "starlette") and "uvicorn" in deps:
        port = port or 8000
        cmd = ["uvicorn", f"{module}:{obj}", "--host", "0.0.0.0", "--port", str(port)]
    elif obj and p.framework == "flask":
        port = port or 5000
        cmd = ["flask", "--app", module, "run", "--host", "0.0.0.0", "--port", str(port)]
    elif p.scripts:
        script = sorted(p.scripts)[0]
        cmd, port = [script], None
        notes.append(f"runs the console script {script} ({p.scripts[script]})")
    elif module:
        cmd = ["python", module.replace(".", "/") + ".py"]
    else:
        raise Refused("cannot tell what to run: no app object, console script or __main__ module was found")
    if port is not None and not valid_port(port):
        raise Refused(f"port {port!r} is not a port number")
    if not p.requirements and not (p.pyproject or p.setup_py):
        raise Refused("no requirements*.txt, pyproject.toml or setup.py: the dependencies are unknown")
    return {
        "builder_image": f"python:{version}",
        "runtime_image": f"python:{version}-slim",
        "venv": "/opt/venv",
        "requirements": [r for r in p.requirements if r == "requirements.txt"] or p.requirements[:1],
        "install_project": p.pyproject or p.setup_py,
        "cmd": json.dumps(cmd),
        "port": port,
        "health_path": p.health_path if port else None,
    }
