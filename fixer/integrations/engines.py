"""The build engines ``imgfix verify`` drives (podman, docker with the classic builder or
BuildKit, buildah): building, running, inspecting and removing images with bounded time, and
what each builder cannot build (heredocs, ``RUN --mount``, ...), so that an engine's limit is
reported as such and never as a regression of the rewrite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("podman", "docker", "buildah")
_BUILD_ARG = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PROBE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,500}$")
PULL_POLICIES = ("never", "missing")


class VerifyError(Exception):
    """The verification itself cannot run (no engine, bad option): exit 2."""


@dataclass
class VerifyOptions:
    engine: str | None = None
    build_args: tuple[str, ...] = ()
    target: str | None = None
    context: Path | None = None
    pull: str = "missing"
    probe: bool = False  # probe HTTP even without EXPOSE (needs --port then)
    port: int | None = None  # container port to probe instead of the first EXPOSEd one
    path: str = "/"  # what the probe asks for
    wait: float = 5.0  # seconds the app gets to start (and to answer)
    build_timeout: float = 900.0
    step_timeout: float = 120.0

    def __post_init__(self) -> None:
        if self.pull not in PULL_POLICIES:
            raise VerifyError(f"--pull must be one of {', '.join(PULL_POLICIES)}, not {self.pull!r}")
        for arg in self.build_args:
            if not _BUILD_ARG.match(arg):
                raise VerifyError(f"--build-arg {arg!r} must look like NAME=value")
        if self.target is not None and not re.match(r"^[a-zA-Z][a-zA-Z0-9_.-]*$", self.target):
            raise VerifyError(f"--target {self.target!r} is not a valid stage name")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise VerifyError(f"--port {self.port} is not a port number")
        if not _PROBE_PATH.match(self.path):
            raise VerifyError(f"--path {self.path!r} must start with / and be a plain URL path")
        if self.probe and self.port is None:
            pass  # the first EXPOSEd port is used; an image without one reports "no port"
        for label, value in (("--wait", self.wait), ("--build-timeout", self.build_timeout)):
            if value <= 0:
                raise VerifyError(f"{label} must be positive")


# ---------------------------------------------------------------------------- engine


def run_bounded(argv: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    """An engine command with a timeout; SIGINT first on timeout so the engine cleans up."""
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace", env=env,
        stdin=subprocess.DEVNULL,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        return subprocess.CompletedProcess(argv, 124, out, (err or "") + f"\ntimed out after {timeout:g} s")
    except BaseException:  # Ctrl-C while the engine runs: let it clean up, then re-raise
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


@dataclass
class Engine:
    """How to build (``builder``) and run (``runner``) images; both may be the same tool."""

    name: str  # what --engine chose: podman | docker | buildah
    builder: str  # executable path
    runner: str | None  # executable that runs containers (None: build-only)
    runner_kind: str | None  # podman | docker
    # what builds, which decides the Dockerfile features that work (BUILDERS): buildah (also
    # under podman), docker-classic or docker-buildkit
    builder_kind: str = ""

    def __post_init__(self) -> None:
        if not self.builder_kind:
            self.builder_kind = "docker-classic" if self.name == "docker" else "buildah"

    @property
    def label(self) -> str:
        return f"{self.name} ({BUILDERS[self.builder_kind]})"

    @classmethod
    def detect(cls, wanted: str | None = None) -> "Engine":
        """The engine asked for, or the first that works: podman, docker (daemon up), buildah."""
        if wanted is not None and wanted not in ENGINES:
            raise VerifyError(f"--engine must be one of {', '.join(ENGINES)}, not {wanted!r}")
        podman, docker, buildah = shutil.which("podman"), shutil.which("docker"), shutil.which("buildah")
        problems = []
        for name in [wanted] if wanted else list(ENGINES):
            if name == "podman" and podman:
                return cls("podman", podman, podman, "podman")
            if name == "docker" and docker:
                probe = run_bounded([docker, "info", "--format", "{{.ServerVersion}}"], timeout=20)
                if probe.returncode == 0:
                    return cls("docker", docker, docker, "docker", _docker_builder(docker))
                problems.append("docker: the client is installed but no daemon answers")
                continue
            if name == "buildah" and buildah:
                return cls("buildah", buildah, podman, "podman" if podman else None)
            problems.append(f"{name}: not installed")
        raise VerifyError("no container engine works here (" + "; ".join(problems) + ")")

    # -- build

    def build_argv(self, dockerfile: Path, context: Path, tag: str, opts: VerifyOptions, ignorefile: Path | None) -> list[str]:
        argv = [self.builder, "build" if self.name != "buildah" else "bud", "-f", str(dockerfile), "-t", tag]
        if self.name == "docker":
            # Docker has no "never": it pulls only missing images, which is the same for local bases.
            # --force-rm: the classic builder also removes the containers of failed steps
            argv += ["--force-rm"]
        else:
            argv += ["--pull-never"] if (self.name == "buildah" and opts.pull == "never") else [f"--pull={opts.pull}"]
            argv += ["--layers", "--force-rm"]
            if ignorefile is not None:
                argv += ["--ignorefile", str(ignorefile)]
        for arg in opts.build_args:
            argv += ["--build-arg", arg]
        if opts.target:
            argv += ["--target", opts.target]
        argv.append(str(context))
        return argv

    def image_ids(self) -> set[str]:
        tool = self.runner or self.builder
        argv = [tool, "images", "-a", "-q", "--no-trunc"]
        out = run_bounded(argv, timeout=60)
        return {line.strip().removeprefix("sha256:") for line in out.stdout.splitlines() if line.strip()}

    def inspect_image(self, tag: str) -> dict:
        tool = self.runner or self.builder
        out = run_bounded([tool, "image", "inspect", tag] if self.runner else [tool, "inspect", "--type", "image", tag], timeout=60)
        if out.returncode != 0:
            return {}
        data = json.loads(out.stdout or "[]")
        return data[0] if isinstance(data, list) and data else data if isinstance(data, dict) else {}

    def remove_image(self, ref: str) -> None:
        tool = self.runner or self.builder
        run_bounded([tool, "rmi", "-f", ref], timeout=120)

    # -- run

    def inspect_container(self, name: str) -> dict:
        out = run_bounded([self.runner, "inspect", name], timeout=60)
        if out.returncode != 0:
            return {}
        data = json.loads(out.stdout or "[]")
        return data[0] if data else {}

    def remove_container(self, name: str) -> None:
        if self.runner_kind == "podman":
            run_bounded([self.runner, "rm", "-f", "-t", "0", name], timeout=60)
        else:
            run_bounded([self.runner, "rm", "-f", name], timeout=60)


def _docker_builder(docker: str) -> str:
    """Which builder ``docker build`` uses: DOCKER_BUILDKIT decides; unset, a client from 23 on
    uses BuildKit through buildx when the plugin is there and falls back to the classic builder
    when it is not (as an older client does)."""
    value = os.environ.get("DOCKER_BUILDKIT", "").strip().lower()
    if value in ("0", "false"):
        return "docker-classic"
    if value in ("1", "true"):
        return "docker-buildkit"
    version = run_bounded([docker, "version", "--format", "{{.Client.Version}}"], timeout=20).stdout.strip()
    major = int(m.group(1)) if (m := re.match(r"(\d+)\.", version)) else 0
    if major >= 23 and run_bounded([docker, "buildx", "version"], timeout=20).returncode == 0:
        return "docker-buildkit"
    return "docker-classic"


# ---------------------------------------------------------------------------- engine limits

BUILDERS = {
    "buildah": "buildah",
    "docker-classic": "classic builder",
    "docker-buildkit": "BuildKit",
}
# Dockerfile features a builder cannot build, measured on this project's build environment
# (../shared/buildenv: buildah 1.28 under podman, Docker 20.10's classic builder and its built-in
# BuildKit, dockerfile frontend 1.2). A file that uses one gets "engine cannot build this", not
# a regression: the failure would say nothing about the rewrite. BuildKit with a ``# syntax=``
# line builds with the frontend it names, so its own limits do not apply (see _LIMIT_LOG).
_LACKS = {
    "heredoc": {"buildah", "docker-classic", "docker-buildkit"},
    "COPY --link": {"buildah", "docker-classic", "docker-buildkit"},
    "RUN --mount": {"docker-classic"},
    "RUN --network": {"docker-classic"},
    "RUN --security": {"docker-classic"},
    "COPY --chmod": {"docker-classic"},
    "FROM --platform=$VAR": {"docker-classic"},  # the classic builder sets no BUILDPLATFORM/TARGETPLATFORM
}
# build-log lines that say the builder lacks a feature (what the static check cannot know)
_LIMIT_LOG = re.compile(
    r"requires BuildKit|[Uu]nknown flag: (?:mount|chmod|link|network|security)"
    r"|docker\.io/docker/dockerfile|frontend gateway|resolve image config for .*dockerfile"
)


def engine_limits(text: str, builder_kind: str) -> list[str]:
    """The features of a Dockerfile that ``builder_kind`` cannot build, each with its line."""
    from ..document.parser import ParseError, parse

    try:
        parsed = parse(text)
    except ParseError:
        return []  # the build itself reports it
    own_frontend = builder_kind == "docker-buildkit" and "syntax" in parsed.directives
    found: dict[str, int] = {}

    def lacks(feature: str, line: int) -> None:
        if builder_kind in _LACKS[feature] and not own_frontend:
            found.setdefault(feature, line)

    for instr in parsed.instructions:
        instr = instr.sub or instr  # ONBUILD: the instruction it wraps
        flags = {f.split("=", 1)[0].lower() for f in instr.flags or []}
        if instr.heredocs:
            lacks("heredoc", instr.start_line)
        if instr.cmd in ("COPY", "ADD"):
            if "--link" in flags:
                lacks("COPY --link", instr.start_line)
            if "--chmod" in flags:
                lacks("COPY --chmod", instr.start_line)
        elif instr.cmd == "RUN":
            for flag in ("--mount", "--network", "--security"):
                if flag in flags:
                    lacks(f"RUN {flag}", instr.start_line)
        elif instr.cmd == "FROM" and any(f.startswith("--platform=") and "$" in f for f in instr.flags or []):
            lacks("FROM --platform=$VAR", instr.start_line)
    return [f"{feature} (line {line})" for feature, line in sorted(found.items(), key=lambda kv: kv[1])]


def limit_in_log(log: str | None) -> str | None:
    """The line of a failed build's log that says the builder lacks a feature, if one does."""
    for line in (log or "").splitlines():
        if _LIMIT_LOG.search(line):
            return line.strip()[:300]
    return None


