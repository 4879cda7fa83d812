"""Rust: Cargo.toml (the package and its ``[[bin]]`` names); the release binary, run on
distroless cc (or a slim image when the runtime needs a shell).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
)

if TYPE_CHECKING:  # the plan of the multi-stage conversion that calls conversion()
    from ..multistage.plan import Plan

LANG = "rust"


@dataclass
class RustProject(Project):
    binaries: list[str] = field(default_factory=list)


PROJECT = RustProject


def manifests(top: set[str]) -> list[str]:
    return ["Cargo.toml"] if "Cargo.toml" in top else []


def read(ctx: BuildContext, top: set[str], files: set[str], p: RustProject) -> None:
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


# ------------------------------------------------------------------ templates

def conversion(conv: Conversion, plan: Plan, project: RustProject) -> tuple[dict, str]:
    conv.check_entry(plan, {"cargo", "rustup"})
    release = any(w[:2] == ["cargo", "build"] and "--release" in w for run in plan.build_runs for w in run)
    if not release:
        raise Refused("no `cargo build --release` line: the binary's location is unclear")
    entries = conv.entry_words()
    names = list(project.binaries)
    first = entries[0][1][0] if entries and entries[0][1] else ""
    name = first.rsplit("/", 1)[-1]
    if name not in names:
        raise Refused(f"CMD/ENTRYPOINT does not run a binary Cargo.toml names ({', '.join(names) or 'none found'})")
    binary = f"{plan.app_dir}/target/release/{name}"
    images = packages()["images"]
    needs_shell = plan.needs_shell or bool(plan.runtime_packages) or any(not i.json for i, _ in entries)
    runtime = images["rust_with_shell"] if needs_shell else images["rust"]
    if not needs_shell:
        plan.shell_free(conv.stage.name or "builder")
    target = first if first.startswith("/") else f"{plan.app_dir}/{first.removeprefix('./')}"
    if not valid_path(target) or not valid_name(name):
        raise Refused(f"binary path {target!r} is not a plain path")
    return {"runtime_image": runtime, "binary": binary, "binary_target": target}, ""


def new_service(p: RustProject, notes: list[str]) -> dict:
    if not p.binaries:
        raise Refused("Cargo.toml names no binary: " + "; ".join(p.problems))
    name = p.binaries[0]
    return {"builder_image": f"rust:{default_version(None, 'rust')}", "runtime_image": packages()["images"]["rust"],
            "binary": f"{NEW_SERVICE_DIR}/target/release/{name}", "binary_target": f"/usr/local/bin/{name}", "port": None}
