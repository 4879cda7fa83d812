"""The compose files that build this Dockerfile, read with a YAML parser (never run).

A project's ``compose.yaml``, ``compose.yml``, ``docker-compose.yaml`` or
``docker-compose.yml`` and the override file beside it (``compose.override.yaml``...), in the
Dockerfile's folder and up to three folders above it (not above a ``.git`` folder). A service
builds this Dockerfile when its ``build`` (a path, or ``build.context`` and
``build.dockerfile``) names it. What is read of each such service: its ``user``, the volumes
mounted into the container (named, anonymous, bind mounts), the published ports, its
``environment``, ``command`` and ``entrypoint`` (to see whether they name a port), and its
build ``args``, ``secrets`` and ``target``.

PyYAML's safe loader only ever builds plain values, and it is imported when a compose file
exists (start-up stays lean). Each scalar keeps where it is written in its file
(``Scalar.start``, ``Scalar.end``: character offsets), so a published port can be rewritten
in place, leaving the rest of the file as it was. ``${VAR:-default}`` takes its default; a
value with a variable and no default is left out.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..document.context import resolved, shared
from .stages import Analysis

BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
MAX_LEVELS = 3  # folders above the Dockerfile's
MAX_BYTES = 1 << 20
_VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")


class Scalar(str):
    """A YAML scalar as text, with its place in the file: ``text[start:end]`` is how it is
    written (quotes included)."""

    start: int
    end: int
    source: Path | None  # the file it is written in

    def __new__(cls, value: str, start: int = -1, end: int = -1, source: Path | None = None) -> Scalar:
        obj = super().__new__(cls, value)
        obj.start, obj.end, obj.source = start, end, source
        return obj


@dataclass(frozen=True)
class Mount:
    kind: str  # "volume" (named), "anonymous", "bind", "tmpfs"
    source: str  # the volume's name or the host path ("" for anonymous and tmpfs)
    target: str  # the path in the container
    read_only: bool = False


@dataclass(frozen=True)
class PublishedPort:
    text: Scalar  # as written (``"80:80"``, ``80``, or a long syntax's ``target``)
    container: int | None  # None: a range or a variable
    host: str  # "" when Docker picks it
    protocol: str = "tcp"


@dataclass
class Service:
    name: str
    file: Path  # the compose file that names the build
    files: list[Path]  # every file its definition comes from (the override too)
    user: str | None = None
    mounts: list[Mount] = field(default_factory=list)
    ports: list[PublishedPort] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    command: str = ""  # command and entrypoint, as one text (only searched)
    args: dict[str, str | None] = field(default_factory=dict)
    literal_args: set[str] = field(default_factory=set)  # build args whose value is written in the file
    secrets: list[str] = field(default_factory=list)
    target: str | None = None
    image: str | None = None  # the name compose tags the built image with
    sources: dict[Path, str] = field(default_factory=dict)  # file -> its text, as read

    @property
    def label(self) -> str:
        return f"{self.file.name} service {self.name}"


@dataclass
class Compose:
    services: list[Service] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be read

    def __bool__(self) -> bool:
        return bool(self.services)


def candidates(dockerfile: Path) -> list[list[Path]]:
    """[base file, its override files...] per project, from the Dockerfile's folder upwards."""
    out: list[list[Path]] = []
    folder = dockerfile.parent
    for _ in range(MAX_LEVELS + 1):
        for base in BASE_NAMES:
            path = folder / base
            if path.is_file():
                stem, ext = base.rsplit(".", 1)
                overrides = [folder / f"{stem}.override.{e}" for e in ("yaml", "yml")]
                out.append([path] + [o for o in overrides if o.is_file()])
        if (folder / ".git").exists() or folder.parent == folder:
            break
        folder = folder.parent
    return out


def find(analysis: Analysis) -> Compose:
    """The services of the compose files around the Dockerfile that build it."""
    if analysis.path is None or not analysis.path.is_file():
        return Compose()
    dockerfile = resolved(analysis.path)
    return shared(("compose", str(dockerfile)), lambda: _find(dockerfile))


def _find(dockerfile: Path) -> Compose:
    out = Compose()
    for files in candidates(dockerfile):
        texts: dict[Path, str] = {}
        merged: dict = {}
        for path in files:
            try:
                if path.stat().st_size > MAX_BYTES:
                    out.problems.append(f"{path.name} is larger than 1 MiB; not read")
                    continue
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                out.problems.append(f"{path.name} could not be read ({err})")
                continue
            try:
                doc = load(text, path)
            except ValueError as err:
                out.problems.append(f"{path.name} is not valid YAML ({err})")
                continue
            if not isinstance(doc, dict):
                continue
            texts[path] = text
            services = doc.get("services")
            if isinstance(services, dict):
                for name, spec in services.items():
                    if isinstance(spec, dict):
                        merged.setdefault(name, ({}, []))
                        _merge(merged[name][0], spec)
                        merged[name][1].append(path)
        for name, (spec, sources) in merged.items():
            service = _service(str(name), spec, files[0].parent, dockerfile, sources, texts)
            if service is not None:
                out.services.append(service)
    return out


# ---------------------------------------------------------------------------- YAML


def load(text: str, source: Path | None = None):
    """The document as dicts, lists and ``Scalar`` strings (a mapping's keys are plain str);
    ValueError when it is not YAML."""
    import yaml  # only when a compose file exists

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise ValueError(str(err).splitlines()[0] if str(err) else "YAML error") from None
    return _value(node, 0, source) if node is not None else None


def _value(node, depth: int, source: Path | None):
    import yaml

    if depth > 50:
        raise ValueError("nested too deeply")
    if isinstance(node, yaml.ScalarNode):
        if node.tag.endswith(":null"):
            return None
        return Scalar(node.value, node.start_mark.index, node.end_mark.index, source)
    if isinstance(node, yaml.SequenceNode):
        return [_value(n, depth + 1, source) for n in node.value]
    out: dict = {}
    merges = []
    for key, value in node.value:
        if key.tag.endswith(":merge") or key.value == "<<":  # YAML anchors merged in (x-common: &x)
            merges += value.value if isinstance(value, yaml.SequenceNode) else [value]
            continue
        out[str(key.value)] = _value(value, depth + 1, source)
    for merged in merges:
        if isinstance(merged, yaml.MappingNode):
            for k, v in _value(merged, depth + 1, source).items():
                out.setdefault(k, v)
    return out


def _merge(into: dict, spec: dict) -> None:
    """An override file merged into a service the way compose does: mappings merged, the
    lists of ports, volumes and secrets added to, other values replaced."""
    for key, value in spec.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            into[key] = old + value
        else:
            into[key] = value


def interpolate(value) -> str | None:
    """``${VAR:-default}`` with its default, ``$$`` as ``$``; None when a variable has none."""
    if value is None:
        return None
    text = str(value)
    if "$" not in text:
        return text
    unknown = False

    def expand(m: re.Match) -> str:
        nonlocal unknown
        if m.group(2) is not None:
            return m.group(2)
        unknown = True
        return ""

    out = _VAR.sub(expand, text.replace("$$", "\0")).replace("\0", "$")
    return None if unknown else out


# ---------------------------------------------------------------------------- a service


def _service(name: str, spec: dict, folder: Path, dockerfile: Path, sources: list[Path], texts: dict) -> Service | None:
    build = spec.get("build")
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict) or "dockerfile_inline" in build:
        return None
    context = interpolate(build.get("context", ".")) or "."
    if re.match(r"^[a-z]+://|^git@", context):
        return None
    name_of = interpolate(build.get("dockerfile", "Dockerfile")) or "Dockerfile"
    try:
        path = resolved((folder / context / name_of) if not name_of.startswith("/") else Path(name_of))
    except (OSError, RuntimeError):
        return None
    if path != dockerfile:
        return None
    file = next((s for s in sources if "build" in _raw_services(texts.get(s), name)), sources[0])
    service = Service(name, file, sources, sources={s: texts[s] for s in sources if s in texts})
    user = interpolate(spec.get("user"))
    service.user = user.strip() if user else None
    for item in spec.get("volumes") or []:
        mount = _mount(item)
        if mount is not None:
            service.mounts = [m for m in service.mounts if m.target != mount.target] + [mount]
    tmpfs = spec.get("tmpfs") or []
    for item in tmpfs if isinstance(tmpfs, list) else [tmpfs]:
        target = interpolate(item)
        if target:
            service.mounts.append(Mount("tmpfs", "", target.split(":", 1)[0]))
    for item in spec.get("ports") or []:
        port = _port(item)
        if port is not None:
            service.ports.append(port)
    env = spec.get("environment")
    if isinstance(env, dict):
        service.environment = {str(k): interpolate(v) or "" for k, v in env.items()}
    elif isinstance(env, list):
        for item in env:
            key, _, value = str(item).partition("=")
            service.environment[key] = interpolate(value) or ""
    for key in ("command", "entrypoint"):
        value = spec.get(key)
        service.command += " " + (" ".join(map(str, value)) if isinstance(value, list) else str(value or ""))
    args = build.get("args")
    pairs = [(str(k), v) for k, v in args.items()] if isinstance(args, dict) else [
        (str(i).partition("=")[0], str(i).partition("=")[2] if "=" in str(i) else None) for i in args
    ] if isinstance(args, list) else []
    for key, value in pairs:
        service.args[key] = interpolate(value)
        if value is not None and str(value) and "$" not in str(value):
            service.literal_args.add(key)
    for item in build.get("secrets") or []:
        secret = item.get("source") if isinstance(item, dict) else item
        if secret:
            service.secrets.append(str(secret))
    service.image = interpolate(spec.get("image")) if spec.get("image") else None
    target = build.get("target")
    service.target = interpolate(target) if target else None
    return service


def _raw_services(text: str | None, name: str) -> dict:
    if not text:
        return {}
    try:
        doc = load(text)
    except ValueError:
        return {}
    services = doc.get("services") if isinstance(doc, dict) else None
    spec = services.get(name) if isinstance(services, dict) else None
    return spec if isinstance(spec, dict) else {}


def _mount(item) -> Mount | None:
    if isinstance(item, dict):
        kind = str(item.get("type") or "volume")
        target = interpolate(item.get("target"))
        source = interpolate(item.get("source")) or ""
        if not target:
            return None
        if kind == "volume" and not source:
            kind = "anonymous"
        return Mount(kind, source, posixpath.normpath(target), str(item.get("read_only", "")).lower() == "true")
    text = interpolate(item)
    if not text:
        return None
    parts = text.split(":")
    if len(parts) == 1:
        return Mount("anonymous", "", posixpath.normpath(parts[0]))
    if re.match(r"^[A-Za-z]$", parts[0]) and len(parts) > 2:  # C:\path:/target
        parts = [parts[0] + ":" + parts[1]] + parts[2:]
    source, target = parts[0], parts[1]
    mode = parts[2] if len(parts) > 2 else ""
    kind = "bind" if source.startswith((".", "/", "~")) or "\\" in source else "volume"
    return Mount(kind, source, posixpath.normpath(target), "ro" in mode.split(","))


def _port(item) -> PublishedPort | None:
    if isinstance(item, dict):
        target = item.get("target")
        if target is None:
            return None
        number = interpolate(target)
        container = int(number) if number and number.isdigit() else None
        text = target if isinstance(target, Scalar) else Scalar(str(target))
        return PublishedPort(text, container, interpolate(item.get("published")) or "", str(item.get("protocol") or "tcp"))
    if item is None:
        return None
    text = item if isinstance(item, Scalar) else Scalar(str(item))
    spec, _, protocol = str(text).partition("/")
    host, sep, container = spec.rpartition(":")
    container = interpolate(container) or ""  # a variable on the host side does not matter here
    return PublishedPort(text, int(container) if container.isdigit() else None, host if sep else "", protocol or "tcp")


def container_span(port: PublishedPort, text: str) -> tuple[int, int] | None:
    """Where, in the compose file's ``text``, the container side of ``port`` is written."""
    if port.text.start < 0 or port.container is None:
        return None
    raw = text[port.text.start:port.text.end]
    m = re.search(rf"(?<![\d-]){port.container}(?=(?:/\w+)?[\"']?\s*$)", raw)
    if m is None:
        return None
    return port.text.start + m.start(), port.text.start + m.end()
