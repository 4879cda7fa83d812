"""Go: go.mod (module, go version), cgo; the binary ``go build`` writes, run on distroless
static (no shell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...document.context import BuildContext
from .base import (
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

LANG = "go"


@dataclass
class GoProject(Project):
    module: str | None = None
    go_version: str | None = None
    main_package: str = "."  # the folder of the main package (./cmd/api when the root has none)


PROJECT = GoProject


def manifests(top: set[str]) -> list[str]:
    return ["go.mod"] if "go.mod" in top else []


def read(ctx: BuildContext, top: set[str], files: set[str], p: GoProject) -> None:
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
    mains = sorted({f.rsplit("/", 1)[0] if "/" in f else "." for f in sorted(files)[:2000]
                    if f.endswith(".go") and not f.endswith("_test.go") and "/vendor/" not in f"/{f}"
                    and re.search(r"^package\s+main\b", ctx.read_text(f) or "", re.M)})
    if "." not in mains and len(mains) == 1 and valid_path("/" + mains[0]):
        p.main_package = "./" + mains[0]  # the one command of the module (cmd/api/main.go)
    elif "." not in mains and len(mains) > 1:
        p.problems.append(f"several main packages ({', '.join(mains[:4])}): which one is the service is unclear")
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


# ------------------------------------------------------------------ templates

def conversion(conv: Conversion, plan: Plan, project: GoProject) -> tuple[dict, str]:
    if project.framework == "cgo":
        raise Refused('a Go source imports "C": a static CGO_ENABLED=0 build would fail')
    if plan.needs_shell or plan.runtime_packages:
        raise Refused("the runtime stage would need RUN lines or packages, and distroless static has no shell")
    plan.shell_free(conv.stage.name or "builder")
    binary = None
    for run in plan.build_runs:
        moved = False  # a `cd` earlier in the RUN: relative paths are not under the WORKDIR
        for words in run:
            moved = moved or words[0] in ("cd", "pushd")
            if words[:2] == ["go", "build"]:
                binary = _go_output(words[2:], project, moved)
    if not binary:
        raise Refused("no `go build -o PATH` line: the binary's location is unclear")
    if not binary.startswith("/"):
        binary = f"{plan.app_dir}/{binary.removeprefix('./')}"
    if not valid_path(binary) or binary.endswith("/"):
        raise Refused(f"binary path {binary!r} is not a plain path")
    _check_binary_entry(conv, binary, plan, {"go"})
    return {"runtime_image": packages()["images"]["go"], "binary": binary}, ""


def _check_binary_entry(conv: Conversion, binary: str, plan: Plan, forbidden: set[str]) -> None:
    conv.check_entry(plan, forbidden)
    entries = conv.entry_words()
    if not entries:
        raise Refused("no CMD or ENTRYPOINT names the binary")
    for instr, words in entries:
        if not instr.json:
            raise Refused(f"{instr.cmd} at line {instr.start_line} is in shell form and the runtime image has no shell")
    first = entries[0][1][0] if entries[0][1] else ""
    path = first if first.startswith("/") else f"{plan.app_dir}/{first.removeprefix('./')}"
    if path != binary:
        raise Refused(f"{entries[0][0].cmd} runs {first}, not the built binary {binary}")


# `go build` flags that take a value as the next word (the others are booleans)
_GO_VALUE_FLAGS = {
    "o", "p", "C", "asmflags", "buildmode", "buildvcs", "compiler", "gccgoflags", "gcflags", "installsuffix",
    "ldflags", "mod", "modfile", "overlay", "pgo", "pkgdir", "tags", "toolexec", "covermode", "coverpkg",
}


def _go_output(args: list[str], project: GoProject, moved: bool) -> str | None:
    """Where ``go build ARGS`` writes the executable (relative to the folder it runs in), as
    the go command decides: ``-o FILE`` / ``-o=FILE``; ``-o DIR/`` or no ``-o``: a file named
    after the package (its folder for ``./cmd/api``, the module for ``.``), or after the first
    file for ``go build main.go``. Raises Refused where that is not one known path."""
    output, packages, i = None, [], 0
    while i < len(args):
        word = args[i]
        if word.startswith("-") and word != "-":
            name, eq, value = word.lstrip("-").partition("=")
            if name in _GO_VALUE_FLAGS and not eq:
                value, i = (args[i + 1] if i + 1 < len(args) else ""), i + 1
            if name == "o":
                output = value
            elif name == "C":
                raise Refused("go build -C changes the folder it builds in")
        else:
            packages.append(word)
        i += 1
    if output and not output.endswith("/"):
        if moved and not output.startswith("/"):
            raise Refused(f"go build -o {output} runs after a cd: the binary's folder is unclear")
        return output
    if any("..." in pkg for pkg in packages) or len({p for p in packages if not p.endswith(".go")}) > 1:
        raise Refused("go build builds several packages: which binary runs is unclear")
    if moved and not (output or "").startswith("/"):
        raise Refused("go build runs after a cd: the binary's folder is unclear")
    package = packages[0] if packages else "."
    if package.endswith(".go"):
        name = package.rsplit("/", 1)[-1].removesuffix(".go")
    elif package in (".", "./"):
        name = project.name  # the module's own name, from go.mod
    else:
        name = go_binary_name(package)  # a folder (./cmd/api) or an import path: its last element
    if not name or not valid_name(name):
        return None
    return f"{output}{name}" if output else name


def new_service(p: GoProject, notes: list[str]) -> dict:
    if p.framework == "cgo":
        raise Refused('a Go source imports "C": the static distroless template does not fit')
    if not valid_name(p.name):
        raise Refused("go.mod names no module")
    return {"builder_image": f"golang:{default_version(p.go_version, 'go')}", "runtime_image": packages()["images"]["go"],
            "binary": f"/usr/local/bin/{p.name}", "port": None, "package": p.main_package}
