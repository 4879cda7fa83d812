"""Issue 15, measured: the lean transform's rewrites build, run, install the same packages
and make the image smaller, with podman on the local Debian, Python and Node bases.

Each case is fixed with ``imgfix --write --select LYR`` (the CLI, as a user runs it), then the
original and the rewrite are built and started; the package list (``dpkg -l``, ``pip
freeze``, ``npm ls``) is read from both images. ``LEAN_SIZES=path`` appends the sizes as JSON
lines (docs/lean.md quotes them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fixer.integrations.verify import Engine, Session, VerifyOptions
from test_verify import buildenv, make_project, our_leftovers  # noqa: F401  (buildenv is a fixture)

pytestmark = pytest.mark.build

PACKAGE_JSON = '{"name": "app", "version": "1.0.0", "private": true, "dependencies": {"express": "4.19.2"}}\n'

CASES = {
    # a lone update merged into the install, the lists removed
    "apt": (
        """
        FROM debian:bookworm
        RUN apt-get update
        RUN apt-get install -y curl
        CMD ["sleep", "600"]
        """,
        {},
        ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"],
        False,
    ),
    # with --unsafe-fixes: --no-install-recommends leaves procps' recommended psmisc out
    "apt-unsafe": (
        """
        FROM debian:bookworm
        # the stand-in turns recommends off globally; the official image does not
        RUN rm -f /etc/apt/apt.conf.d/docker-norecommends
        RUN apt-get update
        RUN apt-get install -y curl procps
        CMD ["sleep", "600"]
        """,
        {},
        ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"],
        True,
    ),
    "pip": (
        """
        FROM python:3.11-slim
        # two dependencies built from their sdists: pip keeps the wheels it builds in its cache
        # (here the proxy's downloads are not cacheable, so a wheel-only install caches nothing)
        RUN pip install flask==3.0.3 --no-binary=itsdangerous,blinker
        CMD ["python3", "-c", "import flask, time; time.sleep(600)"]
        """,
        {},
        ["pip", "freeze", "--all"],
        False,
    ),
    "npm": (
        """
        FROM node:18-slim
        WORKDIR /app
        COPY package.json ./
        RUN npm install --omit=dev
        CMD ["node", "-e", "require('express'); setTimeout(() => {}, 600000)"]
        """,
        {"package.json": PACKAGE_JSON},
        ["npm", "ls", "--all", "--omit=dev"],
        False,
    ),
    # --unsafe-fixes on a builder stage: a cache mount instead of a download on every build;
    # buildah must build it, and the final image is the same (nothing to make smaller)
    "pip-builder-cache-mount": (
        """
        FROM python:3.11-slim AS build
        RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install flask==3.0.3
        FROM python:3.11-slim
        COPY --from=build /opt/venv /opt/venv
        CMD ["/opt/venv/bin/python", "-c", "import flask, time; time.sleep(600)"]
        """,
        {},
        ["/opt/venv/bin/pip", "freeze", "--all"],
        True,
    ),
}


def _packages(tag: str, argv: list[str]) -> list[str]:
    out = subprocess.run(["podman", "run", "--rm", "--pull=never", tag, *argv], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return sorted(line.strip() for line in out.stdout.splitlines() if line.strip())


@pytest.mark.parametrize("case", sorted(CASES))
def test_lean_rewrite_builds_runs_same_packages_smaller(buildenv, tmp_path, case):  # noqa: F811
    dockerfile, files, listing, unsafe = CASES[case]
    if case == "npm" and subprocess.run(["podman", "image", "exists", "docker.io/library/node:18-slim"]).returncode != 0:
        pytest.skip("node:18-slim is not set up (../shared/buildenv/setup.sh WITH=node)")
    path = make_project(tmp_path, dockerfile, **files)
    original = path.read_text()
    original_copy = tmp_path / "original.Dockerfile"
    original_copy.write_text(original)
    argv = [sys.executable, "-m", "fixer", "--write", "--select", "LYR", str(path)] + (["--unsafe-fixes"] if unsafe else [])
    fixed = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert fixed.returncode == 0, fixed.stderr
    result = path.read_text()
    assert result != original, fixed.stderr

    with Session(Engine.detect("podman"), VerifyOptions(pull="never", wait=3)) as session:
        token = session.token
        before, before_tag = session.build(original_copy, tmp_path, None, "original")
        assert before.built, before.build_error
        session.start(before, before_tag, "original")
        after, after_tag = session.build(path, tmp_path, None, "rewritten")
        assert after.built, f"the rewrite does not build:\n{after.build_error}\n{result}"
        session.start(after, after_tag, "rewritten")
        assert before.running, before
        assert after.running, f"the rewrite does not stay up (exit {after.exit_code}):\n{after.logs}\n{result}"
        old, new = _packages(before_tag, listing), _packages(after_tag, listing)
    saved = before.image_size - after.image_size
    if case == "pip-builder-cache-mount":
        assert "RUN --mount=type=cache,target=/root/.cache/pip python3 -m venv" in result, result
        assert new == old and abs(saved) < 1_000_000, (saved, result)  # the final image is unchanged
    elif unsafe:
        assert set(new) < set(old), "--no-install-recommends should leave recommended packages out"
        assert saved > 0, (before.image_size, after.image_size, result)
    else:
        assert new == old
        assert saved > 0, (before.image_size, after.image_size, result)
    if os.environ.get("LEAN_SIZES"):
        with open(os.environ["LEAN_SIZES"], "a") as fh:
            fh.write(json.dumps({"case": case, "before": before.image_size, "after": after.image_size,
                                 "packages_before": len(old), "packages_after": len(new), "rewrite": result}) + "\n")
    images, containers = our_leftovers()  # other sessions may be building at the same time
    assert [i for i in images + containers if token in i] == []
