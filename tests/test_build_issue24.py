"""Issue 24, real builds on the Docker engine (``../shared/buildenv/docker.sh``'s daemon, the
classic builder), each through ``imgfix verify --engine docker`` (the original and the rewrite
built and run side by side, the uid read from the running process):

- a Django project with a relative ``WORKDIR app`` that runs ``manage.py migrate`` at build
  time (its LOGGING file and sqlite database are created root-owned by that RUN): converted to
  a builder and a slim runtime, smaller, non-root, and the app still logs and writes;
- a Go service with ``RUN mkdir`` before ``go build``: converted to distroless, smaller;
- a Go binary on an Alpine runtime: the user made with BusyBox's addgroup/adduser;
- ``imgfix init`` per language on ``tests/projects`` (Python, Node, Go, Java, Rust): the
  generated Dockerfile builds, runs as non-root and answers HTTP.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_ecosystems import PROJECTS, engine_env, leftovers, need_docker_images, run_verify

pytestmark = pytest.mark.build

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


@pytest.fixture
def docker():
    return engine_env("docker-classic")


def verify(project: Path, env: dict, *args: str) -> dict:
    code, data, stderr, prefix = run_verify(project, "--engine", "docker", "--wait", "60", *args, env=env)
    (v,) = data["files"]
    print(f"{project.name}: original {v['original'].get('image_size')} B uid {v['original'].get('uid')} "
          f"HTTP {v['original'].get('http_status')} | rewrite {(v['rewritten'] or {}).get('image_size')} B "
          f"uid {(v['rewritten'] or {}).get('uid')} HTTP {(v['rewritten'] or {}).get('http_status')}")
    assert code == 0 and v["regressions"] == [] and v["engine_limits"] == [], f"{v}\n{stderr}"
    assert leftovers(prefix, env, "docker") == []
    return v


def converted_and_smaller(v: dict, uid: int) -> None:
    orig, new = v["original"], v["rewritten"]
    assert v["changed"] and orig["built"] and new["built"] and new["running"], v
    assert orig["uid"] == 0 and new["uid_source"] == "process" and new["uid"] == uid, v
    assert orig["http_status"] == new["http_status"] == 200, v
    assert new["image_size"] < orig["image_size"], v
    assert v["rewrite"].count("\nFROM ") + v["rewrite"].startswith("FROM ") == 2, v["rewrite"]


def test_django_relative_workdir_and_files_made_at_build_time(docker, tmp_path):
    need_docker_images(docker, "python:3.11", "python:3.11-slim")
    project = tmp_path / "django"
    shutil.copytree(GOLDEN / "nonroot-django-migrate-log" / "context", project)
    (project / "Dockerfile").write_text(
        "FROM python:3.11\nWORKDIR app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n"
        "COPY . .\nRUN python manage.py migrate --noinput\nEXPOSE 8000\n"
        'CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]\n'
    )
    v = verify(project, docker, "--select", "MSB,USR")
    if not v["original"]["built"] and "pip" in (v["original"]["build_error"] or ""):
        pytest.skip(f"the build cannot reach PyPI here: {v['original']['build_error'][-300:]}")
    converted_and_smaller(v, 10001)
    rewrite = v["rewrite"]
    assert "WORKDIR /app" in rewrite.split("FROM python:3.11-slim")[1]
    assert 'for f in /app/db.sqlite3 /app/django.log; do if [ -e "$f" ]; then chown 10001:10001 "$f"; fi; done' in rewrite
    assert "chown -R" not in rewrite


def test_go_service_with_mkdir_converts_to_distroless(docker, tmp_path):
    need_docker_images(docker, "golang:1.19", "gcr.io/distroless/static-debian12:nonroot")
    project = tmp_path / "go-mkdir"
    shutil.copytree(PROJECTS / "go-service", project)
    (project / "Dockerfile").write_text(
        "FROM golang:1.19\nRUN mkdir -p /app /var/lib/greeter\nWORKDIR /app\nCOPY go.mod ./\nRUN go mod download\n"
        "COPY . .\nRUN go build -o /app/greeter-api ./cmd/api\nEXPOSE 8080\nCMD [\"/app/greeter-api\"]\n"
    )
    v = verify(project, docker, "--select", "MSB,USR", "--path", "/healthz")
    converted_and_smaller(v, 65532)
    runtime = v["rewrite"].split("FROM gcr.io/distroless/static-debian12:nonroot")[1]
    assert "RUN" not in runtime and "COPY --from=builder /var/lib/greeter /var/lib/greeter" in runtime


def test_busybox_user_on_an_alpine_runtime(docker, tmp_path):
    need_docker_images(docker, "golang:1.19", "alpine:3.20")
    project = tmp_path / "go-alpine"
    shutil.copytree(PROJECTS / "go-service", project)
    (project / "Dockerfile").write_text(
        "FROM golang:1.19 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/greeter ./cmd/api\n\n"
        "FROM alpine:3.20\nCOPY --from=build /out/greeter /usr/local/bin/greeter\nEXPOSE 8080\nCMD [\"greeter\"]\n"
    )
    v = verify(project, docker, "--select", "USR", "--path", "/healthz")
    orig, new = v["original"], v["rewritten"]
    assert "addgroup -S -g 10001 app" in v["rewrite"] and "adduser -S -D -H -u 10001 -G app" in v["rewrite"]
    assert orig["uid"] == 0 and new["uid"] == 10001 and new["uid_source"] == "process", v
    assert orig["http_status"] == new["http_status"] == 200, v


# project: (the port it serves on, the probe path, the uid init's image runs as)
INIT = {
    "python-http": (8080, "/", 10001),
    "node-express": (3000, "/health", 1000),
    "go-service": (8080, "/healthz", 65532),
    "java-maven": (8080, "/items", 10001),
    "rust-http": (7878, "/status", 65532),
}
# init writes the current language versions; the build environment has older stand-ins of the
# same images (python:3.11, node:18): the same templates, built on what is here
STAND_INS = {"python:3.12": "python:3.11", "node:24": "node:18"}


@pytest.mark.parametrize("name", list(INIT))
def test_init_output_builds_runs_non_root_and_answers(docker, tmp_path, name):
    from fixer.integrations.init import init

    port, probe, uid = INIT[name]
    project = tmp_path / name
    shutil.copytree(PROJECTS / name, project)
    (project / "Dockerfile").unlink(missing_ok=True)
    init(project)
    text = (project / "Dockerfile").read_text()
    if name == "python-http":
        assert "EXPOSE 8080" in text  # read from HTTPServer(("", 8080), ...)
    for new, local in STAND_INS.items():
        text = text.replace(f"FROM {new}", f"FROM {local}")
    (project / "Dockerfile").write_text(text)
    need_docker_images(docker, *[line.split()[1] for line in text.splitlines() if line.startswith("FROM ")])
    # (--select: the user, the stages and the image are what is checked here; that init's files
    # are a fixed point of every transform is tests/test_init.py's test_a_new_service_is_stable)
    v = verify(project, docker, "--select", "MSB,USR,SLM", "--port", str(port), "--path", probe)
    run = v["original"]  # imgfix changes nothing in its own output: one image, built and run
    assert not v["changed"], v["rewrite"]
    assert run["built"] and run["running"], v
    assert run["uid_source"] == "process" and run["uid"] == uid, v
    assert run["http_status"] == 200, v
