"""Issue 14, privileged ports, real builds: servers that bind port 80 as root, fixed with
``--unsafe-fixes`` (moved to 8080, then a non-root user), built and run by ``imgfix verify``
side by side with the original: the rewrite builds, answers HTTP on the moved port (verify
probes where each Dockerfile's server listens) and its process runs as uid 10001 (read from
the running process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from test_verify import buildenv, make_project, our_leftovers  # noqa: F401  (buildenv is a fixture)

pytestmark = pytest.mark.build

FASTAPI_APP = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/")
    def root():
        return {"ok": True}
"""


def have(*images: str) -> None:
    for image in images:
        if subprocess.run(["podman", "image", "exists", image], capture_output=True).returncode != 0:
            pytest.skip(f"local base image {image} missing: run ../shared/buildenv/setup.sh with WITH=all")


def verify_unsafe(path, wait: str = "20") -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixer", "verify", str(path), "--pull", "never", "--select", "USR",
         "--unsafe-fixes", "--wait", wait, "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stdout + stderr
    # what this run created is named after its pid (other verify runs may be going on)
    images, containers = our_leftovers()
    mine = f"imgfix-verify-{proc.pid}-"
    assert [i for i in images + containers if mine in i] == []
    (v,) = json.loads(stdout)["files"]
    o, r = v["original"], v["rewritten"] or {}
    print(f"\n{path.parent.name}: original uid {o['uid']} port {o['port']} HTTP {o['http_status']} "
          f"{o['build_seconds']} s {o['image_size']} B; rewrite uid {r.get('uid')} port {r.get('port')} "
          f"HTTP {r.get('http_status')} {r.get('build_seconds')} s {r.get('image_size')} B")
    return v


def assert_moved_and_serving(v: dict, uid: int = 10001) -> None:
    assert v["changed"] and v["regressions"] == [], v
    orig, new = v["original"], v["rewritten"]
    assert orig["built"] and new["built"]
    assert orig["uid"] == 0 and orig["port"] == 80 and orig["http_status"] == 200
    assert new["uid"] == uid and new["uid_source"] == "process"
    assert new["running"] and new["port"] == 8080 and new["http_status"] == 200
    assert any("moved the server from port 80 to 8080" in n for n in v["notes"]), v["notes"]


def test_uvicorn_on_port_80_in_cmd(buildenv, tmp_path):
    path = make_project(
        tmp_path,
        """
        FROM python:3.11-slim
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY main.py .
        CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"]
        """,
        **{"main.py": FASTAPI_APP, "requirements.txt": "fastapi==0.115.6\nuvicorn==0.32.1\n"},
    )
    # by default nothing changes: the port would move
    plain = subprocess.run([sys.executable, "-m", "fixer", "--select", "USR", str(path)], capture_output=True, text=True)
    assert plain.returncode == 0 and plain.stdout == "", plain.stdout
    assert "USR007" in plain.stderr and "held back" in plain.stderr
    assert_moved_and_serving(verify_unsafe(path))


def test_php_apache_app(buildenv, tmp_path):
    have("docker.io/library/php:8.2-apache")
    path = make_project(
        tmp_path,
        """
        FROM php:8.2-apache
        COPY index.php /var/www/html/
        EXPOSE 80
        """,
        **{"index.php": '<?php echo "sum=", 6 * 7, "\\n";\n'},
    )
    assert_moved_and_serving(verify_unsafe(path))


def test_httpd_static_site(buildenv, tmp_path):
    have("docker.io/library/httpd:2.4")
    (tmp_path / "public-html").mkdir(parents=True)
    (tmp_path / "public-html" / "index.html").write_text("<h1>ok</h1>\n")
    path = make_project(tmp_path, "FROM httpd:2.4\nCOPY ./public-html/ /usr/local/apache2/htdocs/\n")
    assert_moved_and_serving(verify_unsafe(path))


def test_old_nginx_with_its_own_server_block(buildenv, tmp_path):
    """nginx:1.22 plays an nginx older than any nginx-unprivileged tag (1.14), tagged for the
    test: the listen port, pid and temp paths are moved in the image, and the copied server
    block (a file of the build context) listens on the new port too."""
    have("docker.io/library/nginx:1.22")
    # a name of its own (other sessions share the image store); untag removes only that name
    # (``podman untag IMAGE`` without a name would strip every name from the shared image)
    version = f"1.14.{os.getpid()}"
    old = f"docker.io/library/nginx:{version}"
    subprocess.run(["podman", "tag", "docker.io/library/nginx:1.22", old], check=True)
    try:
        (tmp_path / "site").mkdir(parents=True)
        (tmp_path / "site" / "index.html").write_text("<h1>ok</h1>\n")
        path = make_project(
            tmp_path,
            f"""
            FROM nginx:{version}
            COPY site.conf /etc/nginx/conf.d/site.conf
            COPY site/ /usr/share/nginx/html/
            EXPOSE 80
            """,
            **{"site.conf": "server {\n    listen 80;\n    root /usr/share/nginx/html;\n}\n"},
        )
        v = verify_unsafe(path)
        assert_moved_and_serving(v)
        assert (tmp_path / "site.conf").read_text().count("listen 80;") == 1  # verify writes nothing
    finally:
        subprocess.run(["podman", "untag", old, old], capture_output=True)
        assert subprocess.run(["podman", "image", "exists", "docker.io/library/nginx:1.22"]).returncode == 0


def test_nginx_switches_to_nginx_unprivileged(buildenv, tmp_path):
    """The switch that used to be applied by default: 80 -> 8080, uid 101 of the image."""
    have("docker.io/library/nginx:1.22", "docker.io/nginxinc/nginx-unprivileged:1.22")
    (tmp_path / "site").mkdir(parents=True)
    (tmp_path / "site" / "index.html").write_text("<h1>ok</h1>\n")
    path = make_project(tmp_path, "FROM nginx:1.22\nCOPY site/ /usr/share/nginx/html/\nEXPOSE 80\n")
    assert_moved_and_serving(verify_unsafe(path), uid=101)
