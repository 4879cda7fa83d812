"""Kubernetes manifests and Helm values that no longer match the rewritten image (read by
``fixer.analysis.manifests``; never edited): a ``runAsUser`` other than the user the image now
runs as, a ``containerPort`` the server no longer listens on."""

from __future__ import annotations

from ..analysis import manifests
from ..analysis.stages import Analysis
from . import Result


def check(analysis: Analysis, user: str | None, moved: dict[int, int], result: Result, codes: dict, line: int) -> None:
    """``user``: the numeric ``uid:gid`` the image now runs as (None: not changed or not
    numeric); ``moved``: the ports the server moved from (old -> new)."""
    uid = user.split(":", 1)[0] if user else None
    if not (uid and uid.isdigit()) and not moved:
        return
    for container in manifests.find(analysis):
        where = f"{container.file} ({container.name})"
        if uid and uid.isdigit() and container.run_as_user is not None and container.run_as_user != int(uid):
            result.add(
                codes, "USR011", line,
                f"{where} sets runAsUser: {container.run_as_user}, but the image now runs as uid {uid} and its "
                f"writable folders belong to that uid; set runAsUser: {uid} there (imgfix does not edit manifests), "
                f"or run imgfix with --uid {container.run_as_user}",
            )
        for port in container.ports:
            if port in moved:
                result.add(
                    codes, "USR011", line,
                    f"{where} names port {port}, but the server now listens on {moved[port]}; change containerPort "
                    "(and the Service's targetPort) there: imgfix does not edit manifests",
                )
