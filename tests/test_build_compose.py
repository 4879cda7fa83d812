"""Issue 24, real builds on the Docker engine (``../shared/buildenv/docker.sh``'s daemon, the
classic builder) with Debian's ``docker-compose``, as a user runs them: imgfix rewrites the
project (``--write``), then ``docker-compose up --build`` builds and starts it.

- a notes app whose compose.yaml mounts a named volume inside its folder: after the rewrite it
  runs as uid 10001, answers, writes to the volume, and what it wrote outlives the container;
- a server on port 80 published as ``HOST:80``: ``--unsafe-fixes`` moves it to 8080 and the
  compose mapping to ``HOST:8080``, so the same host port answers, as uid 10001.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from test_ecosystems import engine_env, need_docker_images

pytestmark = pytest.mark.build

NOTES_APP = """
    import os
    from http.server import BaseHTTPRequestHandler, HTTPServer

    DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            with open(os.path.join(DATA, "notes.txt"), "a") as fh:
                fh.write("visit\\n")
            with open(os.path.join(DATA, "notes.txt")) as fh:
                visits = fh.read().count("visit")
            body = f"uid={os.getuid()} visits={visits}\\n".encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)


    HTTPServer(("", 8000), Handler).serve_forever()
"""


@pytest.fixture
def compose_env(tmp_path):
    """docker.sh's daemon (classic builder) and docker-compose, or a skip saying how to get them."""
    env = engine_env("docker-classic")
    if shutil.which("docker-compose", path=env["PATH"]) is None:
        pytest.skip("no docker-compose: apt-get install docker-compose (.ci/run does)")
    need_docker_images(env, "python:3.11-slim")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def imgfix(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fixer", "fix", *args], capture_output=True, text=True, timeout=120)


class Compose:
    def __init__(self, folder: Path, env: dict) -> None:
        self.folder, self.env = folder, env
        self.name = f"imgfixcompose{os.getpid()}{folder.name.replace('-', '')}"

    def __call__(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        proc = subprocess.run(["docker-compose", "-p", self.name, *args], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"docker-compose {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc

    def uid(self, service: str) -> int:
        """The uid of the service's process, read from the host's /proc (not from `id`)."""
        cid = self("ps", "-q", service).stdout.strip()
        pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", cid], env=self.env,
                             capture_output=True, text=True, check=True).stdout.strip()
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:")))

    def down(self) -> None:
        subprocess.run(["docker-compose", "-p", self.name, "down", "-v", "--rmi", "local", "-t", "2"],
                       cwd=self.folder, env=self.env, capture_output=True, timeout=300)


def get(port: int, wait: float = 60) -> tuple[int, str]:
    deadline, last = time.monotonic() + wait, None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                return resp.status, resp.read().decode()
        except OSError as err:
            last = err
            time.sleep(1)
    pytest.fail(f"nothing answered on port {port}: {last}")


def write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", "/")).write_text(textwrap.dedent(text).lstrip())


def test_named_volume_in_the_app_folder_is_the_users_and_keeps_its_data(compose_env, tmp_path):
    port = free_port()
    project = tmp_path / "notes"
    write(project, **{
        "Dockerfile": """
            FROM python:3.11-slim
            WORKDIR /srv/notes
            COPY app.py .
            EXPOSE 8000
            CMD ["python3", "app.py"]
        """,
        "app.py": NOTES_APP,
        "compose.yaml": f"""
            services:
              notes:
                build: .
                ports:
                  - "127.0.0.1:{port}:8000"
                volumes:
                  - notes-data:/srv/notes/data
            volumes:
              notes-data:
        """,
    })
    out = imgfix("--select", "USR", "--write", str(project / "Dockerfile"))
    assert out.returncode in (0, 1), out.stderr
    dockerfile = (project / "Dockerfile").read_text()
    assert "mkdir -p /home/app /srv/notes/data" in dockerfile and "USER 10001:10001" in dockerfile
    compose = Compose(project, compose_env)
    try:
        compose("up", "-d", "--build")
        status, body = get(port)
        assert status == 200 and body.startswith("uid=10001 visits=1"), body
        assert compose.uid("notes") == 10001
        compose("down", "-t", "2")  # the container goes, the named volume stays
        compose("up", "-d")
        status, body = get(port)
        assert body.startswith("uid=10001 visits=2"), body  # written to the volume, kept
    finally:
        compose.down()


def test_port_move_keeps_the_published_host_port(compose_env, tmp_path):
    port = free_port()
    project = tmp_path / "site"
    write(project, **{
        "Dockerfile": """
            FROM python:3.11-slim
            WORKDIR /srv/site
            COPY index.html .
            EXPOSE 80
            CMD ["python3", "-m", "http.server", "80"]
        """,
        "index.html": "<p>hello from the site</p>\n",
        "compose.yaml": f"""
            services:
              site:
                build: .
                ports:
                  - "127.0.0.1:{port}:80"   # the site
        """,
    })
    held = imgfix("--select", "USR", "--write", str(project / "Dockerfile"))
    assert "USR007" in held.stderr and ":80\"" in (project / "compose.yaml").read_text()  # held back by default
    out = imgfix("--select", "USR", "--unsafe-fixes", "--write", str(project / "Dockerfile"))
    assert out.returncode in (0, 1), out.stderr
    assert f'"127.0.0.1:{port}:8080"   # the site' in (project / "compose.yaml").read_text()
    assert 'CMD ["python3", "-m", "http.server", "8080"]' in (project / "Dockerfile").read_text()
    compose = Compose(project, compose_env)
    try:
        compose("up", "-d", "--build")
        status, body = get(port)
        assert status == 200 and "hello from the site" in body
        assert compose.uid("site") == 10001
    finally:
        compose.down()
