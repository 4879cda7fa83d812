"""Node: package.json (dependencies, devDependencies, scripts, engines, main), the lock file,
the commands devDependencies install; a static front-end (Vite, React, Vue, Parcel) is served by
unprivileged nginx, anything else runs on the slim image with production dependencies only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...analysis.stages import split_commands
from ...document.context import BuildContext
from .base import (
    NEW_SERVICE_DIR,
    Conversion,
    Project,
    Refused,
    default_version,
    packages,
    valid_name,
    valid_path,
    valid_port,
    valid_version,
)

if TYPE_CHECKING:  # the plan of the multi-stage conversion that calls conversion()
    from ..multistage.plan import Plan

LANG = "node"


@dataclass
class NodeProject(Project):
    lockfile: str | None = None
    build_script: bool = False
    start_script: bool = False
    static_output: str | None = None  # the folder a static front-end build writes
    dev_dependencies: list[str] = field(default_factory=list)  # package.json devDependencies
    node_scripts: dict[str, str] = field(default_factory=dict)  # package.json scripts (read, never run)
    dev_bins: set[str] = field(default_factory=set)  # commands only devDependencies install
    node_version: str | None = None


PROJECT = NodeProject


def manifests(top: set[str]) -> list[str]:
    return ["package.json"] if "package.json" in top else []


_STATIC_TOOLS = {"vite": "dist", "react-scripts": "build", "@vue/cli-service": "dist", "parcel": "dist"}
_NODE_SERVERS = {"express", "fastify", "koa", "@nestjs/core", "next", "nuxt", "hapi", "@hapi/hapi", "@remix-run/serve"}


def read(ctx: BuildContext, top: set[str], files: set[str], p: NodeProject) -> None:
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


def _static_output(ctx: BuildContext, top: set[str], tool: str, default: str, p: NodeProject) -> str | None:
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


# ------------------------------------------------------------------ templates

def conversion(conv: Conversion, plan: Plan, project: NodeProject) -> tuple[dict, str]:
    if not conv.base_is("node"):
        raise Refused(f"the base image {conv.stage.base_text} is not a node image")
    tools = {w[0] for run in plan.build_runs for w in run}
    words = [" ".join(w) for run in plan.build_runs for w in run]
    conv.check_entry(plan, {"tsc", "webpack", "vite"})
    if project.static_output:
        if plan.needs_shell or plan.runtime_packages:
            raise Refused("a static front-end is served by nginx; the RUN lines or packages meant for the runtime would not apply there")
        if not any(re.search(r"\b(npm|yarn|pnpm)( run)? build\b", w) for w in words):
            raise Refused(f"package.json has a build script for {project.framework} but no RUN line runs it")
        images = packages()["images"]
        out = f"{plan.app_dir}/{project.static_output}"
        exposed = sorted({w for i in conv.stage.of("EXPOSE") for w in i.value or []})
        was = f"port {', '.join(exposed)} (EXPOSE)" if exposed else "the development server's port"
        meta = [t for t in plan.metadata if re.match(r"^(\s*#[^\n]*\n)*\s*LABEL\b", t.lstrip("\n"), re.I)]
        return {
            "variant": "-static",
            "runtime_image": images["nginx"],
            "output_dir": out,
            "web_root": images["nginx_root"],
            "port": images["nginx_port"],
            "metadata": meta,
            "runtime_packages": [],
            # a dev server becomes nginx: another port and another command, whatever the user
            # publishes or probes today stops answering
            "interface_change": f"the container serves on port {images['nginx_port']} instead of {was}",
        }, (
            f": a static {project.framework} front-end served by unprivileged nginx from {project.static_output}/ "
            f"on port {images['nginx_port']} (the development server's CMD, EXPOSE and HEALTHCHECK were dropped)"
        )
    _check_runtime_commands(conv, project)
    if "yarn" in tools:
        prune = "yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline"
    elif "pnpm" in tools:
        prune = "pnpm prune --prod"
    else:
        # npm 6 (node ≤ 14) ignores --omit; --production works there and still on npm 10
        major = re.match(r"(\d+)", conv.stage.image.tag or "") if conv.stage.image else None
        old_npm = major is not None and int(major.group(1)) <= 14
        prune = "npm prune --production" if old_npm else "npm prune --omit=dev"
    return {"runtime_image": conv.slim_image("node"), "prune": prune}, ""


def _check_runtime_commands(conv: Conversion, project: NodeProject) -> None:
    """The runtime keeps production dependencies only: a CMD that runs a devDependency's
    command (``npm start`` -> ``nodemon server.js``) would fail there."""
    for instr, words in conv.entry_words():
        commands = split_commands(" ".join(words)) if not instr.json else [words]
        seen: set[str] = set()
        while commands:
            cmd = commands.pop(0)
            tool = cmd[0].rsplit("/", 1)[-1] if cmd else ""
            if tool in ("sh", "bash") and "-c" in cmd[1:-1]:
                commands += split_commands(cmd[cmd.index("-c") + 1])
                continue
            if tool == "npx" and len(cmd) > 1:
                tool = next((w for w in cmd[1:] if not w.startswith("-")), "")
            script = None
            if tool in ("npm", "yarn", "pnpm") and len(cmd) > 1:
                args = [w for w in cmd[1:] if not w.startswith("-")]
                if args[:1] in (["start"], ["test"]):
                    script = args[0]
                elif args[:1] in (["run"], ["run-script"]) and len(args) > 1:
                    script = args[1]
                elif tool != "npm" and args and args[0] in project.node_scripts:
                    script = args[0]  # yarn dev, pnpm dev
            if script is not None:
                for name in (f"pre{script}", script, f"post{script}"):  # npm runs the hooks too
                    if name in project.node_scripts and name not in seen:
                        seen.add(name)
                        commands += split_commands(project.node_scripts[name])
            elif tool in project.dev_bins:
                raise Refused(
                    f"{instr.cmd} at line {instr.start_line} runs {tool}"
                    + (f" (through the package.json script{'s' * (len(seen) > 1)} {', '.join(sorted(seen))})" if seen else "")
                    + ", a command of a devDependency that the runtime's production install does not have"
                )


def new_service(p: NodeProject, notes: list[str]) -> dict:
    version = default_version(p.node_version, "node")
    install = {
        "package-lock.json": "npm ci",
        "npm-shrinkwrap.json": "npm ci",
        "yarn.lock": "yarn install --frozen-lockfile",
        "pnpm-lock.yaml": "corepack enable && pnpm install --frozen-lockfile",
    }.get(p.lockfile or "", "npm install")
    prune = {"yarn.lock": "yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline",
             "pnpm-lock.yaml": "pnpm prune --prod"}.get(p.lockfile or "", "npm prune --omit=dev")
    common = {"builder_image": f"node:{version}", "lockfile": p.lockfile, "install": install, "build_script": p.build_script}
    if p.static_output:
        images = packages()["images"]
        notes.append(f"a static {p.framework} front-end: nginx serves {p.static_output}/")
        return common | {"variant": "-static", "runtime_image": images["nginx"], "output_dir": f"{NEW_SERVICE_DIR}/{p.static_output}",
                         "web_root": images["nginx_root"], "port": images["nginx_port"]}
    if p.app_module:
        if not valid_path(p.app_module):
            raise Refused(f"the entry file {p.app_module!r} is not a plain path")
        cmd = ["node", p.app_module]
    elif p.start_script:
        cmd = ["npm", "start"]
    else:
        raise Refused("cannot tell what to run: package.json has no main and no start script")
    port = p.port if valid_port(p.port) else None
    return common | {"runtime_image": f"node:{version}-slim", "prune": prune, "cmd": json.dumps(cmd), "port": port,
                     "health_path": p.health_path if port else None}
