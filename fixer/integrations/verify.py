"""``imgfix verify``: build the original and the rewritten Dockerfile, run both, compare.

For each Dockerfile: run the pipeline, build the original and the rewrite with a real engine
(podman, Docker with a running daemon, or buildah for building plus podman for running), start
each image's default command, and read what actually happens: build ok and time, image size,
the uid of the running process (from the process itself, not the image config), whether it
stays up or its exit status, and the HTTP status it answers on its first EXPOSEd port (or the
port given with ``--port`` / ``--probe``). A rewrite *regresses* when it fails to build where
the original built, dies or exits differently where the original ran, answers HTTP
differently, or still runs as root while the nonroot transform was enabled.

Everything this module creates (images, intermediate layer images of failed builds,
containers, temporary folders) is removed in ``finally`` blocks, so also on failure, on
Ctrl-C and on SIGTERM. Every engine call has a timeout; a build that times out gets SIGINT (so
the engine cleans its working containers up) and is killed if it does not stop.

Nothing here runs a shell: engine commands are argument lists. The only thing executed from
the repository is what the Dockerfile itself runs inside the engine's containers, which is
the point of the command.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENGINES = ("podman", "docker", "buildah")
PULL_POLICIES = ("never", "missing")
_LOG_NOISE = re.compile(r"^(Copying (blob|config)|Writing manifest|Storing signatures|Getting image source)")
# a committed layer in the build log: buildah/podman "--> 1a2b…", Docker's classic builder " ---> 1a2b…"
_LAYER_ID = re.compile(r"^\s*-{2,3}> (?:Using cache )?([0-9a-f]{10,64})\s*$", re.M)
_PROBE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,500}$")
_BODY_KEEP = 400  # characters of the answer kept for the report
_BODY_MAX = 1 << 20  # bytes of the answer read and compared
_BUILD_ARG = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


class VerifyError(Exception):
    """The verification itself cannot run (no engine, bad option): exit 2."""


# ---------------------------------------------------------------------------- engine


def _run(argv: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
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
                probe = _run([docker, "info", "--format", "{{.ServerVersion}}"], timeout=20)
                if probe.returncode == 0:
                    return cls("docker", docker, docker, "docker", _docker_builder(docker))
                problems.append("docker: the client is installed but no daemon answers")
                continue
            if name == "buildah" and buildah:
                return cls("buildah", buildah, podman, "podman" if podman else None)
            problems.append(f"{name}: not installed")
        raise VerifyError("no container engine works here (" + "; ".join(problems) + ")")

    # -- build

    def build_argv(self, dockerfile: Path, context: Path, tag: str, opts: "VerifyOptions", ignorefile: Path | None) -> list[str]:
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
        out = _run(argv, timeout=60)
        return {line.strip().removeprefix("sha256:") for line in out.stdout.splitlines() if line.strip()}

    def inspect_image(self, tag: str) -> dict:
        tool = self.runner or self.builder
        out = _run([tool, "image", "inspect", tag] if self.runner else [tool, "inspect", "--type", "image", tag], timeout=60)
        if out.returncode != 0:
            return {}
        data = json.loads(out.stdout or "[]")
        return data[0] if isinstance(data, list) and data else data if isinstance(data, dict) else {}

    def remove_image(self, ref: str) -> None:
        tool = self.runner or self.builder
        _run([tool, "rmi", "-f", ref], timeout=120)

    # -- run

    def inspect_container(self, name: str) -> dict:
        out = _run([self.runner, "inspect", name], timeout=60)
        if out.returncode != 0:
            return {}
        data = json.loads(out.stdout or "[]")
        return data[0] if data else {}

    def remove_container(self, name: str) -> None:
        if self.runner_kind == "podman":
            _run([self.runner, "rm", "-f", "-t", "0", name], timeout=60)
        else:
            _run([self.runner, "rm", "-f", name], timeout=60)


def _docker_builder(docker: str) -> str:
    """Which builder ``docker build`` uses: DOCKER_BUILDKIT decides; unset, a client from 23 on
    uses BuildKit through buildx when the plugin is there and falls back to the classic builder
    when it is not (as an older client does)."""
    value = os.environ.get("DOCKER_BUILDKIT", "").strip().lower()
    if value in ("0", "false"):
        return "docker-classic"
    if value in ("1", "true"):
        return "docker-buildkit"
    version = _run([docker, "version", "--format", "{{.Client.Version}}"], timeout=20).stdout.strip()
    major = int(m.group(1)) if (m := re.match(r"(\d+)\.", version)) else 0
    if major >= 23 and _run([docker, "buildx", "version"], timeout=20).returncode == 0:
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


# ---------------------------------------------------------------------------- results


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


@dataclass
class Run:
    """What one image did."""

    built: bool = False
    build_seconds: float | None = None
    build_error: str | None = None  # the last lines of the build log
    image_size: int | None = None
    user: str | None = None  # the image config's USER (informational only)
    uid: int | None = None  # effective uid of the container's main process
    uid_source: str | None = None  # "process" (read from /proc) | "exec" | None
    running: bool | None = None  # still up after --wait seconds
    exit_code: int | None = None
    port: int | None = None
    http_status: int | None = None  # None: not probed; 0: no answer
    http_body: str | None = None  # the start of the answer's body
    http_sha256: str | None = None  # of the whole body (up to 1 MiB)
    logs: str | None = None


@dataclass
class Verdict:
    path: str
    changed: bool
    original: Run
    rewritten: Run | None  # None: the rewrite is the original (nothing to verify twice)
    regressions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    # features the engine cannot build: no verdict on the rewrite either way (exit 2)
    engine_limits: list[str] = field(default_factory=list)
    engine: str | None = None  # the engine and its builder, e.g. "docker (classic builder)"
    rewrite: str | None = None  # the rewritten Dockerfile that was built

    def to_json(self) -> dict:
        return asdict(self)


def compare(original: Run, rewritten: Run, expect_nonroot: bool) -> list[str]:
    """Why the rewrite is worse than the original (empty: it is not)."""
    out = []
    if not original.built:
        return out  # nothing to regress from
    if not rewritten.built:
        return ["the rewrite fails to build"]
    if original.running and rewritten.running is False:
        out.append(f"the rewrite exits (status {rewritten.exit_code}) where the original keeps running")
    elif original.running is False and rewritten.running is False and original.exit_code != rewritten.exit_code:
        out.append(f"the rewrite exits with status {rewritten.exit_code} where the original exited with {original.exit_code}")
    if original.http_status is not None and rewritten.http_status != original.http_status:
        was = original.http_status or "nothing"
        if rewritten.http_status:
            out.append(f"the rewrite answers HTTP {rewritten.http_status} where the original answered {was}")
        else:
            out.append(f"the rewrite gives no answer over HTTP where the original answered {was}")
    if expect_nonroot and rewritten.uid == 0:
        out.append("the rewrite still runs as root (uid 0)")
    return out


# ---------------------------------------------------------------------------- verifying


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_get(port: int, path: str = "/", timeout: float = 2.0) -> tuple[int, bytes]:
    """(status, body) of GET path; (0, b"") when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read(_BODY_MAX)
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        conn.close()


def _status_uid(text: str) -> int | None:
    for line in text.splitlines():
        if line.startswith("Uid:"):
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                return int(parts[2])  # effective uid
    return None


def _exposed_ports(config: dict) -> list[int]:
    ports = []
    for key in (config.get("ExposedPorts") or {}):
        number = str(key).split("/")[0]
        if number.isdigit() and (str(key).endswith("/tcp") or "/" not in str(key)):
            ports.append(int(number))
    return sorted(ports)


class Session:
    """One verification run; owns (and removes) everything it creates."""

    def __init__(self, engine: Engine, opts: VerifyOptions) -> None:
        self.engine = engine
        self.opts = opts
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.images: list[str] = []  # tags, removed in reverse order
        self.layers: list[str] = []  # intermediate image ids this session committed, in order
        self.containers: list[str] = []
        self.tmpdirs: list[Path] = []
        self._count = 0

    def __enter__(self) -> "Session":
        self._old_term = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, _raise_interrupt)
        except ValueError:  # not the main thread
            self._old_term = None
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.cleanup()
        finally:
            if self._old_term is not None:
                signal.signal(signal.SIGTERM, self._old_term)

    def cleanup(self) -> None:
        for name in reversed(self.containers):
            self.engine.remove_container(name)
        self.containers.clear()
        for tag in reversed(self.images):
            self.engine.remove_image(tag)
        self.images.clear()
        if self.layers:
            existing = self.engine.image_ids()
            for layer in reversed(self.layers):  # children first: Docker refuses to remove a parent
                if any(i.startswith(layer) for i in existing):
                    self.engine.remove_image(layer)
            self.layers.clear()
        for d in self.tmpdirs:
            shutil.rmtree(d, ignore_errors=True)
        self.tmpdirs.clear()

    def _name(self, kind: str) -> str:
        self._count += 1
        return f"imgfix-verify-{self.token}-{self._count}-{kind}"

    # -- one image

    def build(self, dockerfile: Path, context: Path, ignorefile: Path | None, kind: str,
              listen: int | None = None) -> tuple[Run, str | None]:
        run = Run()
        tag = f"localhost/{self._name(kind)}:latest"
        # images that exist already (the base image, cached layers) are never ours to remove:
        # the classic builder's log names the base image's id like a layer's
        before = self.engine.image_ids()
        self.images.append(tag)
        t0 = time.monotonic()
        out = _run(self.engine.build_argv(dockerfile, context, tag, self.opts, ignorefile), timeout=self.opts.build_timeout)
        run.build_seconds = round(time.monotonic() - t0, 2)
        log = (out.stdout or "") + (out.stderr or "")
        for layer in _LAYER_ID.findall(log):
            if not any(i.startswith(layer) for i in before) and layer not in self.layers:
                self.layers.append(layer)
        if out.returncode != 0:
            lines = [line for line in log.splitlines() if line.strip() and not _LOG_NOISE.match(line)]
            run.build_error = "\n".join(lines[-15:])
            return run, None
        run.built = True
        info = self.engine.inspect_image(tag)
        run.image_size = info.get("Size") or info.get("VirtualSize")
        config = info.get("Config") or {}
        run.user = config.get("User") or ""
        ports = _exposed_ports(config)
        if listen is not None:  # where the server listens, read from the Dockerfile (fixer.ports)
            run.port = listen
        elif self.opts.port is not None:
            run.port = self.opts.port
        elif ports:
            run.port = ports[0]
        return run, tag

    def start(self, run: Run, tag: str, kind: str) -> None:
        """Runs the default command for ``--wait`` seconds; fills running/exit/uid/http."""
        if self.engine.runner is None:
            return
        name = self._name(kind + "-run")
        argv = [self.engine.runner, "run", "-d", "--name", name]
        argv += ["--pull=never"] if self.engine.runner_kind == "podman" else []
        host_port = None
        if run.port is not None:
            host_port = _free_port()
            argv += ["-p", f"127.0.0.1:{host_port}:{run.port}"]
        argv.append(tag)
        self.containers.append(name)
        out = _run(argv, timeout=self.opts.step_timeout)
        if out.returncode != 0:
            run.running = False
            run.logs = (out.stderr or out.stdout or "").strip()[-2000:]
            return
        deadline = time.monotonic() + self.opts.wait
        state: dict = {}
        while True:
            state = self.engine.inspect_container(name).get("State") or {}
            if host_port is not None and state.get("Running"):
                status, body = _http_get(host_port, self.opts.path)
                if status:
                    run.http_status = status
                    run.http_body = body[:_BODY_KEEP].decode("utf-8", "replace")
                    run.http_sha256 = hashlib.sha256(body).hexdigest()
                    break
            if not state.get("Running") or time.monotonic() >= deadline:
                break
            time.sleep(0.3)
        if host_port is not None and run.http_status is None:
            run.http_status = 0
        state = self.engine.inspect_container(name).get("State") or state
        run.running = bool(state.get("Running"))
        if run.running:
            run.uid, run.uid_source = self._process_uid(name, state)
        else:
            run.exit_code = state.get("ExitCode")
        logs = _run([self.engine.runner, "logs", name], timeout=self.opts.step_timeout)
        run.logs = ((logs.stdout or "") + (logs.stderr or ""))[-2000:]
        self.engine.remove_container(name)
        self.containers.remove(name)

    def _process_uid(self, name: str, state: dict) -> tuple[int | None, str | None]:
        """The effective uid of the main process: /proc on the host when the engine is rootful,
        else /proc/1/status read inside the container (needs ``cat`` in the image)."""
        pid = state.get("Pid")
        rootless = bool(state.get("Rootless")) or (self.engine.runner_kind == "podman" and os.geteuid() != 0)
        if pid and not rootless:
            try:
                uid = _status_uid(Path(f"/proc/{pid}/status").read_text())
                if uid is not None:
                    return uid, "process"
            except OSError:
                pass
        out = _run([self.engine.runner, "exec", name, "cat", "/proc/1/status"], timeout=self.opts.step_timeout)
        if out.returncode == 0:
            uid = _status_uid(out.stdout)
            if uid is not None:
                return uid, "exec"
        return None, None

    def check(self, dockerfile: Path, context: Path, ignorefile: Path | None, kind: str, listen: int | None = None) -> Run:
        run, tag = self.build(dockerfile, context, ignorefile, kind, listen)
        if tag is not None:  # the image stays until the file is done: the rewrite reuses its layers
            self.start(run, tag, kind)
        return run


def _raise_interrupt(signum, frame):  # SIGTERM: unwind like Ctrl-C so every finally runs
    raise KeyboardInterrupt


def verify_file(session: Session, path: Path, fix_options) -> Verdict:
    """Builds and runs the original and the rewrite of one Dockerfile."""
    from ..run.files import FileError, read_text
    from ..run.pipeline import FixError, fix

    opts, engine = session.opts, session.engine
    context = (opts.context or fix_options.context or path.parent).resolve()
    verdict = Verdict(path=str(path), changed=False, original=Run(), rewritten=None, engine=engine.label)
    try:
        text = read_text(path)
        outcome = fix(text, fix_options, context, path)
    except FileError as err:
        verdict.error = f"{path}:0: {err.message}"
        return verdict
    except FixError as err:
        verdict.error = f"{path}:{err.line}: {err.message}"
        return verdict
    verdict.changed = outcome.changed
    verdict.rewrite = outcome.fixed if outcome.changed else None
    # a feature this engine cannot build: building would only show the engine's limit
    for label, source in (("the original", text), ("the rewrite", outcome.fixed if outcome.changed else "")):
        for feature in engine_limits(source, engine.builder_kind):
            verdict.engine_limits.append(f"{label} uses {feature}, which {engine.label} cannot build")
    if verdict.engine_limits:
        return verdict
    listens = _probe_ports(text, context, opts.port)
    verdict.original = session.check(path.resolve(), context, None, "original", listens[0])
    if not verdict.original.built:
        if (line := limit_in_log(verdict.original.build_error)) is not None:
            verdict.engine_limits.append(f"the original does not build with {engine.label}: {line}")
            return verdict
        verdict.notes.append("the original does not build: nothing to compare with")
    if not outcome.changed:
        verdict.notes.append("imgfix changes nothing in this file")
        rewritten = verdict.original
    else:
        work = Path(tempfile.mkdtemp(prefix="imgfix-verify-"))
        session.tmpdirs.append(work)
        new_dockerfile = work / "Dockerfile"
        new_dockerfile.write_text(outcome.fixed, encoding="utf-8", newline="")
        ignorefile = None
        for change in outcome.files:
            if Path(change.path).name == ".dockerignore" and change.old != change.new:
                if engine.name == "docker":
                    # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile; the classic
                    # builder only the context's own .dockerignore
                    (work / "Dockerfile.dockerignore").write_text(change.new, encoding="utf-8", newline="")
                    if engine.builder_kind == "docker-classic":
                        verdict.notes.append(
                            "the classic builder reads only the context's .dockerignore: the rewrite was built without the new one"
                        )
                else:
                    ignorefile = work / "dockerignore"
                    ignorefile.write_text(change.new, encoding="utf-8", newline="")
        new_context = _context_with_changes(context, outcome.files, work)
        port = _probe_ports(outcome.fixed, new_context, opts.port, listens[1])[0]
        verdict.rewritten = session.check(new_dockerfile, new_context, ignorefile, "rewritten", port)
        before, after = verdict.original.port, verdict.rewritten.port
        if before is not None and after is not None and before != after:
            verdict.notes.append(f"the rewrite moved the server from port {before} to {after}: each was probed on its own")
        rewritten = verdict.rewritten
        if verdict.original.built and not rewritten.built and (line := limit_in_log(rewritten.build_error)) is not None:
            verdict.engine_limits.append(f"the rewrite does not build with {engine.label}: {line}")
            return verdict
    verdict.regressions = compare(verdict.original, rewritten, fix_options.wants("USR")) if outcome.changed else []
    if not outcome.changed and fix_options.wants("USR") and verdict.original.uid == 0:
        verdict.regressions.append("the image runs as root and imgfix leaves it so (see its findings)")
    before, after = verdict.original, rewritten
    if outcome.changed and before.http_status and before.http_status == after.http_status and before.http_sha256 != after.http_sha256:
        # a note, not a regression: pages with times or ids, or a dev server replaced by the built files
        verdict.notes.append(f"the rewrite answers {opts.path} with a different body (same status {before.http_status})")
    if engine.runner is None:
        verdict.notes.append("built only: buildah cannot run the default command; install podman to run it")
    return verdict


def _probe_ports(text: str, context: Path, given: int | None, original: int | None = None) -> tuple[int | None, int | None]:
    """(the port to probe, the port the server listens on by the Dockerfile). ``--port`` wins
    for the original; a rewrite that moved the server from it (``original``) is probed where
    the server now listens. None: the first EXPOSEd port."""
    from ..analysis.ports import server_port

    try:
        listen = server_port(text, context)
    except Exception:  # noqa: BLE001  (a file the pipeline accepted; never let probing fail it)
        listen = None
    if given is None:
        return listen, listen
    if original is not None and listen is not None and original == given and listen != given:
        return listen, listen
    return given, listen


def _context_with_changes(context: Path, changes, work: Path) -> Path:
    """The build context for the rewrite: ``context`` itself, or a copy of it with the files
    the fix rewrites in it (a server configuration whose port moved)."""
    inside = [c for c in changes if Path(c.path).name != ".dockerignore" and c.old != c.new
              and Path(c.path).resolve().is_relative_to(context)]
    if not inside:
        return context
    copy = work / "context"
    shutil.copytree(context, copy, symlinks=True)
    for change in inside:
        (copy / Path(change.path).resolve().relative_to(context)).write_text(change.new, encoding="utf-8", newline="")
    return copy


def verify(paths: list[Path], fix_options, opts: VerifyOptions) -> list[Verdict]:
    from ..run.files import discover

    engine = Engine.detect(opts.engine)
    files, errors = discover(paths)
    verdicts = [Verdict(path=str(e.path), changed=False, original=Run(), rewritten=None, error=f"{e.path}:0: {e.message}") for e in errors]
    with Session(engine, opts) as session:
        for path in files:
            try:
                verdicts.append(verify_file(session, path, fix_options))
            finally:
                session.cleanup()
    return verdicts


def exit_code(verdicts: list[Verdict]) -> int:
    if any(v.regressions for v in verdicts):
        return 1
    if any(v.error or v.engine_limits for v in verdicts):
        return 2  # not verified: no answer is not a pass
    return 0


# ---------------------------------------------------------------------------- output


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def _cells(run: Run) -> list[str]:
    if run.build_seconds is None and not run.built:
        return ["not built", "-", "-", "-", "-"]
    build = f"ok {run.build_seconds:.1f}s" if run.built else "FAILED"
    if not run.built:
        return [build, "-", "-", "-", "-"]
    if run.running is None:
        state = "-"
    else:
        state = "up" if run.running else f"exit {run.exit_code}"
    uid = "-" if run.uid is None else str(run.uid)
    http = "-" if run.http_status is None else (str(run.http_status) if run.http_status else "none")
    return [build, _size(run.image_size), uid, state, http]


def render_table(verdicts: list[Verdict]) -> str:
    header = ["file", "image", "build", "size", "uid", "state", "http"]
    rows = []
    for v in verdicts:
        if v.error:
            rows.append([v.path, "error", v.error, "", "", "", ""])
            continue
        rows.append([v.path, "original", *_cells(v.original)])
        if v.rewritten is not None:
            rows.append(["", "rewritten", *_cells(v.rewritten)])
        elif v.changed:  # not built: the engine cannot build one of the two
            rows.append(["", "rewritten", *_cells(Run())])
        else:
            rows.append(["", "rewritten", "(unchanged)", "", "", "", ""])
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header] + rows]
    for v in verdicts:
        for msg in v.notes:
            lines.append(f"{v.path}: note: {msg}")
        for run, label in ((v.original, "original"), (v.rewritten, "rewritten")):
            if run is not None and run.build_error:
                lines.append(f"{v.path}: {label} build failed:\n    " + run.build_error.replace("\n", "\n    "))
        for msg in v.engine_limits:
            lines.append(f"{v.path}: ENGINE CANNOT BUILD THIS: {msg}")
        for msg in v.regressions:
            lines.append(f"{v.path}: REGRESSION: {msg}")
    n_reg = sum(1 for v in verdicts if v.regressions)
    n_err = sum(1 for v in verdicts if v.error)
    n_lim = sum(1 for v in verdicts if v.engine_limits)
    summary = f"{len(verdicts)} file{'s' * (len(verdicts) != 1)} verified, {n_reg} regressed, {n_err} failed"
    lines.append(summary + (f", {n_lim} the engine cannot build." if n_lim else "."))
    return "\n".join(lines) + "\n"


def render_json(verdicts: list[Verdict]) -> str:
    return json.dumps({"files": [v.to_json() for v in verdicts], "exit_code": exit_code(verdicts)}, indent=2) + "\n"
