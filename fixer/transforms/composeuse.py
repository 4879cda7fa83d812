"""What the nonroot transform takes from the compose files that build the Dockerfile
(``fixer.analysis.compose``): the user compose runs the container as, the folders mounted
into it, the host folders bound into it, and the published ports that move with the server.

Nothing here edits the Dockerfile. A published port's container side is rewritten in the
compose file (a ``FileChange``, written with the Dockerfile all or nothing); everything else
is read.
"""

from __future__ import annotations

import re

from ..analysis import compose, ports
from ..analysis.stages import Analysis, Stage, is_root_user
from . import FileChange

_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._@+/-]*$")


def services(analysis: Analysis, stage: Stage) -> list[compose.Service]:
    """The services that run ``stage``: the final stage, or the one ``build.target`` names."""
    found = compose.find(analysis)
    if not found:
        return []
    final = stage is analysis.final_stage
    out = []
    for service in found.services:
        target = analysis.stage_named(service.target) if service.target else None
        if (service.target is None and final) or target is stage:
            out.append(service)
    return out


def user(services: list[compose.Service]) -> tuple[str, str] | None:
    """(the ``user:`` compose runs the container as, the service that says so)."""
    for service in services:
        if service.user:
            return service.user, service.label
    return None


def root_user(services: list[compose.Service]) -> str | None:
    """The service that runs the container as root on purpose (``user: root``, ``0:0``)."""
    found = user(services)
    return found[1] if found and is_root_user(found[0]) else None


def numeric_ids(spec: str) -> tuple[int, int] | None:
    """(uid, gid) of a numeric ``user:`` (``1000`` or ``1000:1000``; the gid defaults to the uid)."""
    uid, _, gid = spec.partition(":")
    if uid.isdigit() and (gid == "" or gid.isdigit()):
        return int(uid), int(gid or uid)
    return None


def mount_points(services: list[compose.Service]) -> list[str]:
    """Where named and anonymous volumes are mounted: Docker initialises a new named volume
    from the image's folder there, so the folder must exist and belong to the user."""
    out: list[str] = []
    for service in services:
        for mount in service.mounts:
            target = mount.target.rstrip("/") or "/"
            if mount.kind in ("volume", "anonymous") and not mount.read_only and _SAFE_PATH.match(target):
                if target != "/" and not target.startswith("/tmp") and target not in out:
                    out.append(target)
    return out


def unsafe_mounts(services: list[compose.Service]) -> list[str]:
    """Volume targets that cannot be written in a RUN line (spaces, variables...)."""
    return [m.target for s in services for m in s.mounts
            if m.kind in ("volume", "anonymous") and not _SAFE_PATH.match(m.target)]


def bind_mounts(services: list[compose.Service]) -> list[tuple[compose.Service, compose.Mount]]:
    """Host folders bound writable into the container."""
    return [(s, m) for s in services for m in s.mounts if m.kind == "bind" and not m.read_only]


def bind_message(service: compose.Service, mount: compose.Mount, user: str) -> str:
    uid, _, gid = user.partition(":")
    ids = f"uid {uid}" + (f" (gid {gid})" if gid else "")
    return (
        f"{service.label} binds the host folder {mount.source} at {mount.target}: the image now runs as "
        f"{ids}, so the host folder must be writable by that uid (e.g. sudo chown -R {user} {mount.source}), "
        "or the app cannot write there; no change to the image can set the owner of a host folder"
    )


def privileged_ports(services: list[compose.Service]) -> list[tuple[compose.Service, compose.PublishedPort]]:
    """Published container ports below 1024 (a range or a variable counts when unknown)."""
    out = []
    for service in services:
        for port in service.ports:
            if port.protocol == "udp":
                continue
            if port.container is None or port.container < 1024:
                out.append((service, port))
    return out


def move_ports(services: list[compose.Service], moved: dict[int, int]) -> tuple[list[FileChange], list[str]]:
    """The compose files with each published container port in ``moved`` changed (the host
    side stays: ``"80:80"`` -> ``"80:8080"``), and why that cannot be done when it cannot (a
    port in a range, or one the service's environment or command sets too: compose would
    override the move)."""
    problems: list[str] = []
    texts: dict = {}  # path -> (old text, [(start, end, new)])
    for service, port in privileged_ports(services):
        if port.container is None:
            problems.append(f"{service.label} publishes {port.text}, a range or a variable imgfix cannot move")
            continue
        if port.container not in moved:
            continue
        source = port.text.source
        text = service.sources.get(source) if source is not None else None
        span = compose.container_span(port, text) if text is not None else None
        if span is None:
            problems.append(f"{service.label}: the published port {port.text} cannot be changed in place")
            continue
        texts.setdefault(source, (text, []))[1].append((*span, str(moved[port.container])))
    for service in services:
        for old in moved:
            word = re.compile(rf"(?<![\w.]){old}(?![\w.])")
            for key, value in service.environment.items():
                if word.search(value):
                    problems.append(f"{service.label} sets {key}={value}, which compose gives the container over the image's")
            if word.search(service.command):
                problems.append(f"{service.label}'s command or entrypoint names port {old}")
    changes = []
    for path, (text, spans) in texts.items():
        new = text
        for start, end, value in sorted(set(spans), reverse=True):
            new = new[:start] + value + new[end:]
        changes.append(FileChange(str(path), text, new))
    return changes, problems


def unknown_listens(services: list[compose.Service], found: ports.Detection, line: int) -> list[ports.Listen]:
    """Privileged container ports compose publishes when where the server listens is not
    known: the app presumably listens there, and imgfix cannot move it."""
    if not services or (found.server is not None and found.listens):
        return []
    exposed = {p for p, _, _ in found.exposed}
    out = []
    for service, port in privileged_ports(services):
        if port.container is not None and port.container in exposed:
            continue  # EXPOSE says it too: its own entry
        out.append(ports.Listen(
            port.container or 0, "compose", f"{service.label} ports: {port.text}", line,
            problem=f"{service.label} publishes container port {port.text}, and imgfix does not know where the command sets it",
        ))
    return out
