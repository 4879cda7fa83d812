"""Issue 16, real builds: the SEC rewrite keeps a build that needs credentials working, and
the credentials appear nowhere in the built image.

One Dockerfile takes a token as a build argument (read by root in one stage and by uid 1000
in the next) and an ``.npmrc`` it copies and deletes
later. Its "install" step fails unless both hold the expected values (it compares their
SHA-256, so the values are never written in the Dockerfile). Built as written with
``--build-arg``, the token shows in ``podman history`` and the ``.npmrc`` in a layer of
``podman image save`` (the test can fail). Rewritten by ``imgfix --write --select SEC
--unsafe-fixes`` (the CLI, as a user runs it) and built with the command the finding gives
(``docker`` → ``podman``), the install step still succeeds and neither value is in the
history, the image config or any layer.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import uuid

import pytest

from test_verify import buildenv, make_project  # noqa: F401  (buildenv is a fixture)

pytestmark = pytest.mark.build

TOKEN = "npm_" + uuid.uuid4().hex + uuid.uuid4().hex[:4]  # fresh each run: no cache can hold it
AUTH = "s3cr3t-" + uuid.uuid4().hex


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


NPMRC = f"//registry.example.org/:_authToken={AUTH}\n"
DOCKERFILE = f"""
    FROM debian:bookworm-slim AS build
    ARG NPM_TOKEN
    WORKDIR /app
    COPY .npmrc ./
    RUN printf '%s' "$NPM_TOKEN" | sha256sum | grep -q {_sha(TOKEN)} \\
        && sha256sum .npmrc | grep -q {_sha(NPMRC)} \\
        && echo installed > /app/installed
    RUN rm -f .npmrc

    FROM build
    ARG NPM_TOKEN
    USER 1000
    RUN printf '%s' "$NPM_TOKEN" | sha256sum | grep -q {_sha(TOKEN)} && echo checked > /tmp/checked
    CMD ["cat", "/app/installed", "/tmp/checked"]
"""


def _podman(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=600, **kw)


def _leaks(image: str, tmp_path, values: list[str]) -> dict[str, list[str]]:
    """Where each value shows up: history, image config, layer files."""
    found: dict[str, list[str]] = {}
    history = _podman("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    config = _podman("image", "inspect", image).stdout
    archive = tmp_path / f"{image.replace('/', '_').replace(':', '_')}.tar"
    saved = _podman("image", "save", "--format", "docker-archive", "-o", str(archive), image)
    assert saved.returncode == 0, saved.stderr
    blobs = []
    with tarfile.open(archive) as outer:  # every layer, deleted files included
        for member in outer.getmembers():
            if member.isfile():
                blob = outer.extractfile(member).read()
                blobs.append(blob)
                if member.name.endswith(".tar") or blob[257:262] == b"ustar":
                    with tarfile.open(fileobj=io.BytesIO(blob)) as layer:
                        blobs += [layer.extractfile(m).read() for m in layer.getmembers() if m.isfile()]
    for value in values:
        where = [name for name, text in (("history", history), ("config", config)) if value in text]
        if any(value.encode() in blob for blob in blobs):
            where.append("layers")
        found[value] = where
    return found


def test_secrets_reach_the_build_and_not_the_image(buildenv, tmp_path):  # noqa: F811
    path = make_project(tmp_path, DOCKERFILE, **{".npmrc": NPMRC})
    original = path.read_text()
    tag = f"localhost/imgfix-secrets-{os.getpid()}"
    env = {**os.environ, "NPM_TOKEN": TOKEN}
    images = []
    try:
        # 1. the Dockerfile as written, with --build-arg: the values leak (the check can fail)
        built = _podman("build", "--no-cache", "--build-arg", f"NPM_TOKEN={TOKEN}", "-t", f"{tag}:orig", str(tmp_path), env=env)
        assert built.returncode == 0, built.stderr[-2000:]
        images.append(f"{tag}:orig")
        before = _leaks(f"{tag}:orig", tmp_path, [TOKEN, AUTH])
        assert "history" in before[TOKEN], before
        assert "layers" in before[AUTH], before

        # 2. the rewrite, built with the command its finding gives
        fixed = subprocess.run(
            [sys.executable, "-m", "fixer", "--write", "--select", "SEC", "--unsafe-fixes", str(path)],
            capture_output=True, text=True, timeout=60,
        )
        assert fixed.returncode == 0, fixed.stderr
        result = path.read_text()
        assert result != original and "ARG NPM_TOKEN" not in result and "COPY .npmrc" not in result, result
        # uid 1000 reads the secret file: mode=0444 (it is root-only by default)
        assert "RUN --mount=type=secret,id=npm_token,mode=0444 export" in result, result
        assert TOKEN not in fixed.stderr + fixed.stdout and AUTH not in fixed.stderr + fixed.stdout
        commands = set(re.findall(r"`(docker build [^`]*)`", fixed.stderr))
        assert len(commands) == 1, fixed.stderr
        argv = commands.pop().split()
        assert argv[-1] == "."
        # docker build ... .  →  podman build --no-cache -t TAG ... .
        argv = ["build", "--no-cache", "-t", f"{tag}:fixed", *argv[2:]]
        built = _podman(*argv, cwd=tmp_path, env=env)
        assert built.returncode == 0, built.stderr[-2000:]
        images.append(f"{tag}:fixed")
        ran = _podman("run", "--rm", f"{tag}:fixed")
        assert ran.stdout.split() == ["installed", "checked"], ran.stdout + ran.stderr
        after = _leaks(f"{tag}:fixed", tmp_path, [TOKEN, AUTH])
        assert after == {TOKEN: [], AUTH: []}, after

        # 3. the same command with another token fails: the step really reads the secret
        argv[argv.index("-t") + 1] = f"{tag}:missing"
        missing = _podman(*argv, cwd=tmp_path, env={**os.environ, "NPM_TOKEN": "wrong"})
        assert missing.returncode != 0, missing.stdout[-2000:]
    finally:
        for image in images + [f"{tag}:missing"]:
            _podman("rmi", "-f", image)
