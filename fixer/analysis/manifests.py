"""Kubernetes manifests and Helm values in the repository that run the image this Dockerfile
builds: read (PyYAML's safe loader), never edited.

The repository is the folder with ``.git`` at most three folders above the Dockerfile (else
the Dockerfile's folder). Its ``*.yaml``/``*.yml`` files (at most 2,000 listed, 300 read, 256
KiB each; ``node_modules``, ``vendor``, dot folders skipped) that hold ``containers:`` are read
as manifests (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet and their pod
templates); a Helm chart's ``values.yaml`` (beside a ``Chart.yaml``) as values. Templates with
``{{ }}`` are not YAML and are skipped.

A container runs this image when the last part of its image's repository
(``gcr.io/acme/frontend:v1`` -> ``frontend``) is the name of the Dockerfile's folder, of a
compose service that builds it or of the image compose tags it with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..document.context import resolved, shared
from . import compose
from .stages import Analysis

MAX_LISTED = 2000
MAX_READ = 300
MAX_BYTES = 256 << 10
_SKIP = {"node_modules", "vendor", "__pycache__", "venv", "target", "dist", "build"}


@dataclass(frozen=True)
class Container:
    file: str  # relative to the repository
    name: str  # "Deployment web, container app" or "values.yaml"
    image: str
    run_as_user: int | None  # the container's, else the pod's
    ports: tuple[int, ...]  # containerPort values


def repository(dockerfile: Path) -> Path:
    folder = dockerfile.parent
    for _ in range(compose.MAX_LEVELS + 1):
        if (folder / ".git").exists():
            return folder
        if folder.parent == folder:
            break
        folder = folder.parent
    return dockerfile.parent


def names(analysis: Analysis) -> set[str]:
    """The names the image this Dockerfile builds may go by."""
    out = set()
    if analysis.path is not None:
        out.add(resolved(analysis.path).parent.name.lower())
    for service in compose.find(analysis).services:
        out.add(service.name.lower())
        if service.image:
            out.add(_repo_name(service.image))
    return {n for n in out if n}


def _repo_name(image: str) -> str:
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def find(analysis: Analysis) -> list[Container]:
    """The containers of the repository's manifests that run this Dockerfile's image."""
    if analysis.path is None or not analysis.path.is_file():
        return []
    wanted = names(analysis)
    root = repository(resolved(analysis.path))
    return [c for c in shared(("manifests", str(root)), lambda: _read(root)) if _repo_name(c.image) in wanted]


def _candidates(root: Path) -> list[Path]:
    found: list[Path] = []
    listed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP
                             and not os.path.islink(os.path.join(dirpath, d)))
        if Path(dirpath).relative_to(root).parts.__len__() > 5:
            dirnames[:] = []
        for name in sorted(filenames):
            listed += 1
            if name.endswith((".yaml", ".yml")):
                found.append(Path(dirpath) / name)
        if listed > MAX_LISTED:
            break
    return found


def _read(root: Path) -> list[Container]:
    out: list[Container] = []
    read = 0
    for path in _candidates(root):
        if read >= MAX_READ:
            break
        try:
            if path.is_symlink() or path.stat().st_size > MAX_BYTES:
                continue  # a link may point out of the repository: never followed
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        helm_values = path.name in ("values.yaml", "values.yml") and (path.parent / "Chart.yaml").is_file()
        if not helm_values and ("containers:" not in text or "{{" in text):
            continue
        read += 1
        import yaml  # only when a manifest is there

        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue
        rel = path.relative_to(root).as_posix()
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if helm_values:
                out += _values(rel, doc)
            else:
                out += _containers(rel, doc)
    return out


def _pod_spec(doc: dict) -> dict | None:
    spec = doc.get("spec")
    for _ in range(4):  # Deployment.spec.template.spec, CronJob.spec.jobTemplate.spec.template.spec
        if not isinstance(spec, dict):
            return None
        if isinstance(spec.get("containers"), list):
            return spec
        spec = (spec.get("template") or spec.get("jobTemplate") or {}).get("spec")
    return None


def _uid(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _containers(rel: str, doc: dict) -> list[Container]:
    spec = _pod_spec(doc)
    if spec is None:
        return []
    kind, meta = doc.get("kind", "Pod"), doc.get("metadata") or {}
    pod_user = _uid((spec.get("securityContext") or {}).get("runAsUser"))
    out = []
    for container in spec.get("containers") or []:
        if not isinstance(container, dict) or not isinstance(container.get("image"), str):
            continue
        user = _uid((container.get("securityContext") or {}).get("runAsUser"))
        ports = tuple(p["containerPort"] for p in container.get("ports") or []
                      if isinstance(p, dict) and _uid(p.get("containerPort")) is not None)
        out.append(Container(rel, f"{kind} {meta.get('name', '?')}, container {container.get('name', '?')}",
                             container["image"], user if user is not None else pod_user, ports))
    return out


def _values(rel: str, doc: dict) -> list[Container]:
    image = doc.get("image")
    repo = image.get("repository") if isinstance(image, dict) else image if isinstance(image, str) else None
    if not isinstance(repo, str):
        return []
    user = None
    for key in ("securityContext", "podSecurityContext"):
        section = doc.get(key)
        if isinstance(section, dict) and _uid(section.get("runAsUser")) is not None:
            user = user if user is not None else section["runAsUser"]
    ports = []
    for key in ("containerPort", "targetPort"):
        for section in (doc, doc.get("service") if isinstance(doc.get("service"), dict) else {}):
            if _uid(section.get(key)) is not None:
                ports.append(section[key])
    return [Container(rel, "Helm values", repo, user, tuple(ports))]
