"""Issue 3, real builds: Dockerfiles on the local Debian and Python bases, fixed by
``imgfix --write --select USR`` (the CLI, as a user runs it), then the original and the
result are built and run with podman: the result must build, start, and its process must
run as a non-zero uid (read from /proc of the running process, not from the image config).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from fixer.integrations.verify import Engine, Session, VerifyOptions
from test_verify import HTTP_APP, buildenv, make_project, our_leftovers  # noqa: F401  (buildenv is a fixture)

pytestmark = pytest.mark.build

CASES = {
    # Debian, a runtime folder created by RUN: must be writable for the new user
    "debian-runtime-dir": (
        """
        FROM debian:bookworm
        RUN mkdir -p /var/lib/app/cache && echo ready > /etc/app.conf
        CMD ["sh", "-c", "touch /var/lib/app/cache/x && exec sleep 600"]
        """,
        {},
    ),
    # a VOLUME: buildah (like Docker's classic builder) discards changes made to a volume path
    # after VOLUME, so a chown placed after it is lost
    "debian-volume": (
        """
        FROM debian:bookworm-slim
        VOLUME /data
        CMD ["sh", "-c", "touch /data/y && exec sleep 600"]
        """,
        {},
    ),
    # a user the Dockerfile creates and never switches to (as node's official images do): the
    # rewrite runs as that user, and the app folder it writes in is its own
    "python-created-user": (
        """
        FROM python:3.11-slim
        RUN groupadd --gid 1000 web && useradd --uid 1000 --gid web --create-home web
        WORKDIR /app
        COPY app.py .
        CMD ["sh", "-c", "touch /app/started && exec python3 app.py"]
        """,
        {"app.py": HTTP_APP},
        "1000:1000",
    ),
    # python slim with an HTTP app on an EXPOSEd port
    "python-slim-http": (
        """
        FROM python:3.11-slim
        WORKDIR /app
        COPY app.py .
        EXPOSE 8000
        CMD ["python3", "app.py"]
        """,
        {"app.py": HTTP_APP},
    ),
    # full python image as builder, slim final stage, explicit USER root at the end
    "python-multistage-user-root": (
        """
        FROM python:3.11 AS build
        RUN python3 -m venv /opt/venv
        FROM python:3.11-slim
        COPY --from=build /opt/venv /opt/venv
        USER root
        CMD ["/opt/venv/bin/python", "-c", "import time; time.sleep(600)"]
        """,
        {},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rewrite_builds_starts_and_runs_as_non_root(buildenv, tmp_path, case):  # noqa: F811
    dockerfile, files, *expected = CASES[case]
    user = expected[0] if expected else "10001:10001"
    path = make_project(tmp_path, dockerfile, **files)
    original = path.read_text()
    original_copy = tmp_path / "original.Dockerfile"
    original_copy.write_text(original)
    fixed = subprocess.run(
        [sys.executable, "-m", "fixer", "--write", "--select", "USR", str(path)], capture_output=True, text=True, timeout=60
    )
    assert fixed.returncode == 0, fixed.stderr
    result = path.read_text()
    assert result != original and f"USER {user}" in result, result

    opts = VerifyOptions(pull="never", wait=3)
    with Session(Engine.detect("podman"), opts) as session:
        before = session.check(original_copy, tmp_path, None, "original")
        after = session.check(path, tmp_path, None, "rewritten")
    assert before.built, before.build_error
    assert before.running and before.uid == 0, before
    assert after.built, f"the rewrite does not build:\n{after.build_error}\n{result}"
    assert after.running, f"the rewrite does not stay up (exit {after.exit_code}):\n{after.logs}\n{result}"
    assert after.uid_source == "process" and after.uid == int(user.split(":")[0]), after
    if before.http_status is not None:
        assert after.http_status == before.http_status == 200
    assert our_leftovers() == ([], [])
