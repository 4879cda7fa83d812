"""Digest pinning: the OCI client against an in-process registry (token flow included) and
against a real registry (Debian's docker-registry via shared/buildenv/registry.sh)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fixer.integrations.cli import main
from fixer.document.imageref import ImageRef
from fixer.document.lockfile import LockError, LockFile
from fixer.analysis.oci import MANIFEST_TYPES, OciClient, RegistryError, api_host, credentials_for, parse_challenge
from fixer.transforms.options import OptionError, Options
from fixer.run.pipeline import FixError, fix

INDEX = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_TYPES[0], "manifests": []}).encode()


class FakeRegistry:
    """Speaks enough of the distribution API: manifests behind a bearer token from /token."""

    def __init__(self, *, send_digest: bool = True, basic: tuple[str, str] | None = None, deny_token: bool = False) -> None:
        self.manifests: dict[tuple[str, str], bytes] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.send_digest, self.basic, self.deny_token = send_digest, basic, deny_token
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code, body=b"", headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                registry.requests.append((self.command, self.path, dict(self.headers)))
                if self.path.startswith("/token"):
                    auth = self.headers.get("Authorization")
                    if registry.deny_token:
                        return self._send(401)
                    if registry.basic:
                        expected = "Basic " + base64.b64encode(":".join(registry.basic).encode()).decode()
                        if auth != expected:
                            return self._send(401)
                    scope = self.path.split("scope=", 1)[1].split("&")[0]
                    return self._send(200, json.dumps({"token": f"tok-{scope}"}).encode())
                if not self.path.startswith("/v2/"):
                    return self._send(404)
                name, _, ref = self.path[4:].partition("/manifests/")
                scope = f"repository%3A{name.replace('/', '%2F')}%3Apull"
                if self.headers.get("Authorization") != f"Bearer tok-{scope}":
                    challenge = f'Bearer realm="http://{registry.host}/token",service="fake",scope="repository:{name}:pull"'
                    return self._send(401, b"{}", {"WWW-Authenticate": challenge})
                body = registry.manifests.get((name, ref))
                if body is None:
                    return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
                headers = {"Content-Type": MANIFEST_TYPES[0]}
                if registry.send_digest:
                    headers["Docker-Content-Digest"] = "sha256:" + hashlib.sha256(body).hexdigest()
                return self._send(200, body, headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, name: str, tag: str, body: bytes = INDEX) -> str:
        body = body + tag.encode()  # a distinct manifest per tag
        self.manifests[(name, tag)] = body
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry():
    reg = FakeRegistry()
    yield reg
    reg.close()


def pin_options(tmp_path: Path, **kw) -> Options:
    kw.setdefault("lock_file", tmp_path / "imgfix.lock")
    return Options(select=("PIN",), pin_digests=True, context=tmp_path, **kw)


# ---------------------------------------------------------------------------- the client


def test_token_flow_and_media_types(registry):
    digest = registry.add("library/python", "3.11-slim")
    client = OciClient()
    assert client.resolve(ImageRef.parse(f"{registry.host}/library/python:3.11-slim")) == digest
    methods = [(m, p.split("?")[0]) for m, p, _ in registry.requests]
    assert methods == [("HEAD", "/v2/library/python/manifests/3.11-slim"), ("GET", "/token"), ("HEAD", "/v2/library/python/manifests/3.11-slim")]
    accept = registry.requests[-1][2]["Accept"]
    for media_type in MANIFEST_TYPES:
        assert media_type in accept
    # the token is kept: a second tag of the same repository needs one request
    registry.add("library/python", "3.12")
    client.resolve(ImageRef.parse(f"{registry.host}/library/python:3.12"))
    assert len(registry.requests) == 4


def test_digest_computed_from_the_manifest_when_the_header_is_missing():
    reg = FakeRegistry(send_digest=False)
    try:
        digest = reg.add("team/app", "1.0")
        assert OciClient().resolve(ImageRef.parse(f"{reg.host}/team/app:1.0")) == digest
        assert [m for m, path, _ in reg.requests if "/manifests/" in path] == ["HEAD", "HEAD", "GET"]
    finally:
        reg.close()


def test_unknown_tag_network_failure_and_refused_token(registry):
    with pytest.raises(RegistryError) as err:
        OciClient().resolve(ImageRef.parse(f"{registry.host}/library/python:nope"))
    assert err.value.kind == "not-found" and "python:nope" in err.value.message
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(RegistryError) as err:
        OciClient(timeout=2).resolve(ImageRef.parse(f"127.0.0.1:{port}/x:1"))
    assert err.value.kind == "network" and f"127.0.0.1:{port}" in err.value.message
    denied = FakeRegistry(deny_token=True)
    try:
        denied.add("x", "1")
        with pytest.raises(RegistryError) as err:
            OciClient().resolve(ImageRef.parse(f"{denied.host}/x:1"))
        assert err.value.kind == "auth"
    finally:
        denied.close()


def test_credentials_from_the_docker_config(tmp_path):
    reg = FakeRegistry(basic=("ci", "s3cret"))
    try:
        digest = reg.add("private/app", "2")
        ref = ImageRef.parse(f"{reg.host}/private/app:2")
        with pytest.raises(RegistryError):  # anonymous: the token service refuses
            OciClient(docker_config=tmp_path / "missing.json").resolve(ref)
        config = tmp_path / "config.json"
        auth = base64.b64encode(b"ci:s3cret").decode()
        config.write_text(json.dumps({"auths": {reg.host: {"auth": auth}}}))
        assert credentials_for(reg.host, config) == ("ci", "s3cret")
        assert OciClient(docker_config=config).resolve(ref) == digest
    finally:
        reg.close()


def test_docker_hub_names():
    assert api_host("docker.io") == "registry-1.docker.io"
    assert api_host("ghcr.io") == "ghcr.io"
    scheme, params = parse_challenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"')
    assert scheme == "bearer" and params["service"] == "registry.docker.io" and params["scope"] == "repository:library/python:pull"


# ---------------------------------------------------------------------------- the transform


def test_pins_every_from_keeping_tag_platform_and_name(registry, tmp_path):
    d1 = registry.add("library/python", "3.11-slim")
    d2 = registry.add("library/debian", "bookworm-slim")
    text = (
        f"ARG BASE={registry.host}/library/debian:bookworm-slim\n"
        f"FROM --platform=$BUILDPLATFORM {registry.host}/library/python:3.11-slim AS build\n"
        "RUN echo hi\n"
        "FROM build AS test\n"
        "FROM scratch AS empty\n"
        "FROM ${BASE}\n"
        "COPY --from=build /x /x\n"
    )
    out = fix(text, pin_options(tmp_path), tmp_path)
    assert out.fixed == (
        f"ARG BASE={registry.host}/library/debian:bookworm-slim@{d2}\n"
        f"FROM --platform=$BUILDPLATFORM {registry.host}/library/python:3.11-slim@{d1} AS build\n"
        "RUN echo hi\n"
        "FROM build AS test\n"
        "FROM scratch AS empty\n"
        "FROM ${BASE}\n"
        "COPY --from=build /x /x\n"
    )
    assert [f.code for f in out.findings] == ["PIN001", "PIN001"]
    (lock,) = out.files
    assert json.loads(lock.new)["images"] == {
        f"{registry.host}/library/debian:bookworm-slim": d2,
        f"{registry.host}/library/python:3.11-slim": d1,
    }


def test_lock_file_reproduces_pins_without_the_network(registry, tmp_path):
    digest = registry.add("library/python", "3.11")
    text = f"FROM {registry.host}/library/python:3.11\n"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    with pytest.raises(SystemExit) as exit_:
        main([str(dockerfile), "--select", "PIN", "--pin-digests", "--write", "-q"])
    assert exit_.value.code == 0
    assert dockerfile.read_text() == f"FROM {registry.host}/library/python:3.11@{digest}\n"
    assert json.loads((tmp_path / "imgfix.lock").read_text())["images"] == {f"{registry.host}/library/python:3.11": digest}
    registry.close()  # no registry any more: the lock file alone pins
    dockerfile.write_text(text)
    with pytest.raises(SystemExit) as exit_:
        main([str(dockerfile), "--select", "PIN", "--pin-digests", "--offline", "--write", "-q"])
    assert exit_.value.code == 0
    assert dockerfile.read_text() == f"FROM {registry.host}/library/python:3.11@{digest}\n"


def test_offline_without_a_lock_entry_fails_and_changes_nothing(tmp_path, capsys):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nFROM node:22-slim\n")
    with pytest.raises(SystemExit) as exit_:
        main([str(dockerfile), "--select", "PIN", "--pin-digests", "--offline", "--write"])
    assert exit_.value.code == 2
    assert dockerfile.read_text() == "FROM python:3.11-slim\nFROM node:22-slim\n"
    err = capsys.readouterr().err
    assert "python:3.11-slim is not in the lock file" in err and "node:22-slim is not in the lock file" in err
    assert not (tmp_path / "imgfix.lock").exists()


def test_unknown_tag_is_exit_2_with_a_message_per_image(registry, tmp_path, capsys):
    good = registry.add("library/python", "3.11")
    text = f"FROM {registry.host}/library/python:3.11\nFROM {registry.host}/library/python:9.9\nFROM {registry.host}/library/nope:1\n"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    with pytest.raises(SystemExit) as exit_:
        main([str(dockerfile), "--select", "PIN", "--pin-digests", "--write"])
    assert exit_.value.code == 2
    assert dockerfile.read_text() == text
    err = capsys.readouterr().err
    assert "python:9.9: no such tag" in err and "nope:1: no such tag" in err and good not in err
    with pytest.raises(FixError) as fix_err:
        fix(text, pin_options(tmp_path / "other"), tmp_path)
    assert fix_err.value.line == 2


def test_already_pinned_and_unresolvable_args_are_left_alone(registry, tmp_path):
    pinned = "python:3.11@sha256:" + "a" * 64
    text = f"ARG IMG\nFROM {pinned}\nFROM $IMG\n"
    out = fix(text, pin_options(tmp_path), tmp_path)
    assert out.fixed == text
    assert [(f.code, f.line) for f in out.findings] == [("PIN002", 3)]
    assert registry.requests == []


def test_invalid_lock_file_is_an_error(tmp_path):
    lock = tmp_path / "imgfix.lock"
    lock.write_text('{"version": 1, "images": {"docker.io/library/python:3": "sha256:zz"}}')
    with pytest.raises(LockError):
        LockFile.load(lock)
    with pytest.raises(FixError):
        fix("FROM python:3\n", pin_options(tmp_path, offline=True), tmp_path)


def test_offline_needs_pin_digests():
    with pytest.raises(OptionError):
        Options(offline=True)


def test_nothing_is_contacted_unless_pinning_is_asked(monkeypatch, tmp_path):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network access refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    text = "FROM python:3.11\nRUN pip install flask\nFROM ghcr.io/owner/app:1\nCMD [\"app\"]\n"
    for options in (Options(context=tmp_path), Options(context=tmp_path, registry="mirror.example.com/hub")):
        fix(text, options, tmp_path)
    assert calls == []
    with pytest.raises(FixError):  # asked: now it tries, and the failure is reported
        fix(text, Options(context=tmp_path, select=("PIN",), pin_digests=True, lock_file=tmp_path / "l"), tmp_path)
    assert calls


# ---------------------------------------------------------------------------- the real registry

BUILDENV = Path("/var/tmp/imgfix-buildenv")


@pytest.fixture(scope="module")
def real_registry():
    from conftest import shared_path

    script = shared_path("buildenv", "registry.sh")
    if not (BUILDENV / "env.sh").exists() or shutil.which("skopeo") is None:
        pytest.skip("the build environment or skopeo is not installed: run ../shared/buildenv/setup.sh as root")
    status = subprocess.run(["bash", str(script), "status"], capture_output=True, text=True, timeout=30)
    was_running = status.stdout.startswith("running")
    started = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        pytest.skip(f"the registry cannot be started: {started.stderr.strip() or started.stdout.strip()}")
    digests = subprocess.run(["bash", str(script), "digests"], capture_output=True, text=True, timeout=30)
    lines = [line.split() for line in digests.stdout.splitlines() if line.strip()]
    if digests.returncode != 0 or not lines:
        pushed = subprocess.run(["bash", str(script), "push"], capture_output=True, text=True, timeout=600)
        if pushed.returncode != 0:
            pytest.skip(f"no images could be pushed to the registry: {pushed.stderr.strip()}")
    yield "127.0.0.1:5000"
    if not was_running:  # leave the machine as it was
        subprocess.run(["bash", str(script), "stop"], capture_output=True, text=True, timeout=60)


def skopeo_digest(reference: str) -> str:
    out = subprocess.run(
        ["skopeo", "inspect", "--no-tags", "--tls-verify=false", "--format", "{{.Digest}}", f"docker://{reference}"],
        capture_output=True, text=True, timeout=60,
    )
    if out.returncode != 0:
        pytest.skip(f"skopeo cannot inspect {reference}: {out.stderr.strip()}")
    return out.stdout.strip()


@pytest.mark.build  # the registry of the build environment (buildenv/registry.sh), like the image builds
@pytest.mark.parametrize("image", ["library/python:3.11-slim", "library/python:3.11", "library/debian:bookworm-slim"])
def test_pins_equal_what_the_real_registry_serves(real_registry, tmp_path, image):
    reference = f"{real_registry}/{image}"
    expected = skopeo_digest(reference)
    out = fix(f"FROM {reference} AS app\n", pin_options(tmp_path), tmp_path)
    assert out.fixed == f"FROM {reference}@{expected} AS app\n"


@pytest.mark.build
def test_real_registry_unknown_tag(real_registry, tmp_path):
    with pytest.raises(FixError) as err:
        fix(f"FROM {real_registry}/library/python:0.0-nope\n", pin_options(tmp_path), tmp_path)
    assert "no such tag" in err.value.message


def test_images_copied_from_are_pinned_like_base_images(registry, tmp_path):
    """``COPY --from=<image>`` pulls that image: it is pinned (and locked) the same way; earlier
    stages, pinned images and build arguments are left alone."""
    base = registry.add("library/python", "3.12-slim")
    tool = registry.add("tools/uv", "0.5")
    pinned = f"{registry.host}/tools/uv:0.4@sha256:" + "b" * 64
    text = (
        f"FROM {registry.host}/library/python:3.12-slim AS build\n"
        "ARG TOOLS\n"
        f"COPY --from={registry.host}/tools/uv:0.5 /uv /usr/local/bin/uv\n"
        f"COPY --from={pinned} /uv /uv-old\n"
        "COPY --from=build /x /x\n"
        "COPY --from=$TOOLS /y /y\n"
    )
    out = fix(text, pin_options(tmp_path), tmp_path)
    assert out.fixed.splitlines()[0] == f"FROM {registry.host}/library/python:3.12-slim@{base} AS build"
    assert out.fixed.splitlines()[2] == f"COPY --from={registry.host}/tools/uv:0.5@{tool} /uv /usr/local/bin/uv"
    assert out.fixed.splitlines()[3:] == text.splitlines()[3:]
    assert sorted((f.code, f.line) for f in out.findings) == [("PIN001", 1), ("PIN001", 3), ("PIN002", 6)]
    (lock,) = out.files
    assert json.loads(lock.new)["images"][f"{registry.host}/tools/uv:0.5"] == tool
    assert fix(out.fixed, pin_options(tmp_path), tmp_path).fixed == out.fixed  # a second run: nothing
