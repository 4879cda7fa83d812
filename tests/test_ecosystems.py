"""Issue 13, proof for every ecosystem: one realistic project per template and runtime imgfix
can emit (``tests/projects/<name>/``, each with the naive single-stage, root Dockerfile a user
writes), converted and then built and run for real.

Each test copies its project, runs ``imgfix verify`` on it (which builds and runs the original
and the rewrite and compares them), then ``imgfix --write``, and checks: the file written is
the multi-stage rewrite verify built; the rewrite builds, stays up, answers the probe path with
the same status and body as the original, runs as a non-zero uid read from its running process,
and its image is smaller.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHARED
from fixer.document.parser import parse
from test_verify import buildenv  # noqa: F401  (a fixture)

PROJECTS = Path(__file__).resolve().parent / "projects"

# project: (probe path, the runtime image the rewrite must end on, the uid it must run as)
CASES = {
    "python-compiled": ("/version", "python:3.11-slim", 10001),
    "node-express": ("/health", "node:18-slim", 1000),
    "node-nolock": ("/hello", "node:18-slim", 1000),
    "frontend-vite": ("/status.txt", "nginxinc/nginx-unprivileged:", 101),
    "go-service": ("/healthz", "gcr.io/distroless/static-debian12:nonroot", 65532),
    "java-maven": ("/items", "eclipse-temurin:17-jre", 10001),
    "rust-http": ("/status", "gcr.io/distroless/cc-debian12:nonroot", 65532),
    # a shell-form CMD and a -dev package: the runtime with a shell (debian slim + libssl3)
    "rust-shell-cmd": ("/status", "debian:bookworm-slim", 10001),
}
# a dev server turned into nginx changes the port: an unsafe fix, asked for explicitly
UNSAFE = {"frontend-vite"}
# the images these projects build on (../shared/buildenv/setup.sh with WITH=all)
NEEDS = {
    "python-compiled": ["python:3.11", "python:3.11-slim"],
    "node-express": ["node:18", "node:18-slim"],
    "node-nolock": ["node:18", "node:18-slim"],
    "frontend-vite": ["node:18", "nginxinc/nginx-unprivileged:1.27-alpine"],
    "go-service": ["golang:1.19", "gcr.io/distroless/static-debian12:nonroot"],
    "java-maven": ["maven:3.8-eclipse-temurin-17", "eclipse-temurin:17-jre"],
    "rust-http": ["rust:1.63", "gcr.io/distroless/cc-debian12:nonroot"],
    "rust-shell-cmd": ["rust:1.63", "debian:bookworm-slim"],
}


def full_ref(image: str) -> str:
    """``python:3.11`` -> ``docker.io/library/python:3.11``, as podman stores it."""
    first = image.split("/")[0]
    if "/" in image and ("." in first or ":" in first):
        return image
    return f"docker.io/{image}" if "/" in image else f"docker.io/library/{image}"


def need_images(*images: str) -> None:
    for image in images:
        if subprocess.run(["podman", "image", "exists", full_ref(image)], capture_output=True).returncode != 0:
            pytest.skip(f"base image {full_ref(image)} missing: run WITH=all ../shared/buildenv/setup.sh")


def final_from(dockerfile: str) -> tuple[int, str]:
    """(number of FROM lines, the image of the last one)."""
    froms = [i for i in parse(dockerfile).instructions if i.cmd == "FROM"]
    return len(froms), (froms[-1].value or [""])[0] if froms else ""


def run_verify(project: Path, *args: str, env: dict | None = None, timeout: float = 1500) -> tuple[int, dict, str, str]:
    """``imgfix verify --format json``: (exit code, its JSON, stderr, the prefix of everything it
    names: ``imgfix-verify-<its pid>-``, so other verify runs on the machine do not count)."""
    argv = [sys.executable, "-m", "fixer", "verify", str(project), "--pull", "never", "--format", "json", *args]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()  # verify removes what it made on SIGTERM
            out, err = proc.communicate()
            pytest.fail(f"imgfix verify took more than {timeout} s:\n{out}\n{err}")
    try:
        data = json.loads(out)
    except ValueError:
        pytest.fail(f"imgfix verify printed no JSON (exit {proc.returncode}):\n{out}\n{err}")
    return proc.returncode, data, err, f"imgfix-verify-{proc.pid}-"


def leftovers(prefix: str, env: dict | None = None, tool: str = "podman") -> list[str]:
    """Images and containers whose names start with ``prefix`` (one verify run's own)."""
    images = subprocess.run([tool, "images", "-a", "--format", "{{.Repository}}"], capture_output=True, text=True, env=env)
    containers = subprocess.run([tool, "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True, env=env)
    return [n for n in (images.stdout + containers.stdout).split() if prefix in n]


def copy_project(name: str, tmp_path: Path) -> Path:
    project = tmp_path / name
    shutil.copytree(PROJECTS / name, project)
    return project


# ----------------------------------------------------------------------------- what the builds found


@pytest.mark.parametrize(
    "args, binary",
    [
        (["-o", "bin/greeter-api", "./cmd/api"], "bin/greeter-api"),
        (["-o=bin/greeter-api"], "bin/greeter-api"),  # one word: was not seen as -o
        (["./cmd/api"], "api"),  # named after the package's folder, not the module
        (["-trimpath", "-ldflags", "-s -w", "./cmd/api/"], "api"),  # -ldflags' value is no package
        ([], "greeter"),
        (["."], "greeter"),
        (["-o", "/out/", "./cmd/api"], "/out/api"),  # -o DIR/: into the folder
        (["main.go", "util.go"], "main"),
        (["-tags=netgo", "example.com/tool/v2"], "tool"),  # a major version is not the name
    ],
)
def test_go_build_output_is_where_the_go_command_writes_it(args, binary):
    from fixer.transforms.ecosystems.go import GoProject as Project
    from fixer.transforms.ecosystems.go import _go_output

    project = Project("go", name="greeter")
    assert _go_output(args, project, moved=False) == binary


@pytest.mark.parametrize(
    "args, moved, why",
    [
        (["./..."], False, "several packages"),
        (["./cmd/api", "./cmd/worker"], False, "several packages"),
        (["-o", "bin/api"], True, "after a cd"),
        (["./cmd/api"], True, "after a cd"),
        (["-C", "cmd/api"], False, "-C"),
    ],
)
def test_go_build_output_refuses_what_it_cannot_place(args, moved, why):
    from fixer.transforms.ecosystems.base import Refused
    from fixer.transforms.ecosystems.go import GoProject as Project
    from fixer.transforms.ecosystems.go import _go_output

    with pytest.raises(Refused, match=re.escape(why)):
        _go_output(args, Project("go", name="greeter"), moved=moved)
    assert _go_output(["-o", "/usr/local/bin/api"], Project("go"), moved=True) == "/usr/local/bin/api"  # absolute: fine


def test_pom_names_resolve_like_maven(tmp_path):
    from fixer.transforms.ecosystems import detect

    pom = """<project xmlns="http://maven.apache.org/POM/4.0.0"><artifactId>inv</artifactId><version>${revision}</version>
    <properties><revision>1.2.${patch}</revision><patch>7</patch><loop>${loop}</loop></properties>
    <build><finalName>%s</finalName></build></project>"""
    for final, jar in [
        ("${project.artifactId}-${project.version}", "target/inv-1.2.7.jar"),
        ("${artifactId}", "target/inv.jar"),
        ("${loop}", None),  # never resolves
        ("${env.IMAGE_NAME}", None),  # not artifactId-version: Maven names the jar after finalName
    ]:
        (tmp_path / "pom.xml").write_text(pom % final)
        project = detect(tmp_path, None)
        assert project.jar == jar, (final, project.problems)
        assert (jar is None) == any("finalName" in p for p in project.problems)


def test_node_dev_bins_come_from_the_lock_file_or_the_package_names(tmp_path):
    """What `npm prune --omit=dev` takes away: a CMD that needs it is refused (nodemon; a
    binary whose name differs from its package's, as the lock file says)."""
    from fixer.transforms.ecosystems import detect

    package = {"name": "x", "dependencies": {"express": "4"}, "devDependencies": {"nodemon": "3", "@nestjs/cli": "10", "express": "4"}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    assert detect(tmp_path, None).dev_bins == {"nodemon", "cli"}  # no lock: each package's name
    (tmp_path / "package-lock.json").write_text(json.dumps({"packages": {
        "": {"name": "x"},
        "node_modules/@nestjs/cli": {"dev": True, "bin": {"nest": "bin/nest.js"}},
        "node_modules/typescript": {"dev": True, "bin": {"tsc": "bin/tsc", "tsserver": "bin/tsserver"}},
        "node_modules/semver": {"bin": {"semver": "bin/semver.js"}},  # production: stays
        "node_modules/nodemon": {"dev": True, "bin": {"nodemon": "bin/nodemon.js"}},
    }}))
    assert detect(tmp_path, None).dev_bins == {"nest", "tsc", "tsserver", "nodemon", "cli"}


@pytest.mark.parametrize(
    "tool, build, config, output",
    [
        ("vite", "vite build", None, "dist"),
        ("vite", "vite build --outDir build", None, "build"),
        ("vite", "vite build", ("vite.config.ts", "export default { build: { outDir: './public/app/' } }"), "public/app"),
        ("vite", "vite build", ("vite.config.js", "export default { build: { outDir: process.env.OUT } }"), None),
        ("vite", "vite build", ("vite.config.js", "export default { build: { outDir: '../elsewhere' } }"), None),
        ("react-scripts", "BUILD_PATH=./www react-scripts build", None, "www"),
        ("@vue/cli-service", "vue-cli-service build", ("vue.config.js", "module.exports = { outputDir: 'site' }"), "site"),
        ("parcel", "parcel build index.html --dist-dir out", None, "out"),
    ],
)
def test_static_output_is_the_folder_the_build_writes(tmp_path, tool, build, config, output):
    from fixer.transforms.ecosystems import detect

    (tmp_path / "package.json").write_text(json.dumps({"name": "web", "scripts": {"build": build}, "devDependencies": {tool: "1"}}))
    if config:
        (tmp_path / config[0]).write_text(config[1])
    project = detect(tmp_path, None)
    assert project.static_output == output, project.problems
    assert (output is None) == bool(project.problems)  # unknown: said, and not served from a guess


@pytest.mark.build
@pytest.mark.parametrize("name", list(CASES))
def test_project_converts_builds_runs_non_root_and_is_smaller(buildenv, tmp_path, name):  # noqa: F811
    probe, runtime, uid = CASES[name]
    need_images(*NEEDS[name])
    project = copy_project(name, tmp_path)
    original = (project / "Dockerfile").read_text()

    unsafe = ["--unsafe-fixes"] if name in UNSAFE else []
    code, data, stderr, prefix = run_verify(project, "--path", probe, "--wait", "30", *unsafe)
    (v,) = data["files"]
    orig, new = v["original"], v["rewritten"]
    summary = (
        f"{name}: original {orig.get('image_size')} B uid {orig.get('uid')} HTTP {orig.get('http_status')} | "
        f"rewrite {new and new.get('image_size')} B uid {new and new.get('uid')} HTTP {new and new.get('http_status')}"
    )
    print(summary)
    detail = f"{summary}\n{json.dumps(v, indent=1)[:6000]}\n{stderr}"
    assert code == 0 and v["regressions"] == [] and v["engine_limits"] == [], detail
    assert orig["built"] and orig["running"] and orig["uid"] == 0 and orig["http_status"] == 200, detail
    assert new["built"], detail
    assert new["running"], detail
    assert new["uid_source"] == "process" and new["uid"] == uid, detail
    assert new["http_status"] == orig["http_status"] and new["http_sha256"] == orig["http_sha256"], detail
    assert new["image_size"] < orig["image_size"], detail

    # what --write writes is the multi-stage file verify built
    written = subprocess.run([sys.executable, "-m", "fixer", "--write", *unsafe, str(project)], capture_output=True, text=True, timeout=120)
    assert written.returncode == 0, written.stderr
    result = (project / "Dockerfile").read_text()
    assert result != original and result == v["rewrite"]
    count, image = final_from(result)
    assert count == 2 and image.startswith(runtime), result
    assert "MSB001" in written.stderr
    assert leftovers(prefix) == []


# ----------------------------------------------------------------------------- both engines

DOCKER_SH = SHARED / "buildenv" / "docker.sh"
ENGINES = ("podman", "docker-classic", "docker-buildkit")


def engine_env(engine: str) -> dict[str, str]:
    """The environment that makes ``imgfix verify --engine docker`` use docker.sh's daemon with
    that builder (its ``env`` lines, read, not evaluated), or skips with how to enable it."""
    env = dict(os.environ)
    if engine == "podman":
        return env
    if not DOCKER_SH.is_file():
        pytest.skip(f"no {DOCKER_SH}: the Docker tests need ../shared/buildenv")
    status = subprocess.run(["bash", str(DOCKER_SH), "status"], capture_output=True, text=True)
    if not status.stdout.startswith("running"):
        pytest.skip("no Docker daemon: run `../shared/buildenv/docker.sh start && ../shared/buildenv/docker.sh load` as root")
    lines = subprocess.run(["bash", str(DOCKER_SH), "env", engine.removeprefix("docker-")], capture_output=True, text=True, check=True)
    for line in lines.stdout.splitlines():
        m = re.match(r"^export ([A-Z_]+)=(.*)$", line)
        if m:
            env[m.group(1)] = m.group(2).replace("$PATH", env.get("PATH", ""))
    if shutil.which("docker", path=env["PATH"]) is None:
        pytest.skip("no docker client on PATH: ../shared/buildenv/docker.sh start installs it")
    return env


def need_docker_images(env: dict, *images: str) -> None:
    for image in images:
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True, env=env).returncode != 0:
            pytest.skip(f"{image} is not in docker.sh's daemon: run ../shared/buildenv/docker.sh load")


@pytest.mark.build
def test_podman_docker_classic_and_buildkit_give_the_same_verdict(buildenv, tmp_path):  # noqa: F811
    """The Go service (stdlib only: the cheapest real conversion) through all three builders."""
    name = "go-service"
    need_images(*NEEDS[name])
    runs = {}
    for engine in ENGINES:
        env = engine_env(engine)
        if engine != "podman":
            need_docker_images(env, *NEEDS[name])
        project = copy_project(name, tmp_path / engine)
        code, data, stderr, prefix = run_verify(project, "--engine", engine.split("-")[0], "--path", "/healthz", "--wait", "30", env=env)
        (v,) = data["files"]
        runs[engine] = (code, v)
        assert code == 0 and v["regressions"] == [] and v["engine_limits"] == [], f"{engine}: {json.dumps(v, indent=1)[:5000]}\n{stderr}"
        assert leftovers(prefix, env, engine.split("-")[0]) == []
    labels = {e: runs[e][1]["engine"] for e in ENGINES}
    assert labels == {"podman": "podman (buildah)", "docker-classic": "docker (classic builder)", "docker-buildkit": "docker (BuildKit)"}
    for engine, (code, v) in runs.items():
        orig, new = v["original"], v["rewritten"]
        print(f"{engine}: original {orig['image_size']} B uid {orig['uid']} HTTP {orig['http_status']} | "
              f"rewrite {new['image_size']} B uid {new['uid']} HTTP {new['http_status']}")
        assert (orig["uid"], new["uid"], new["uid_source"]) == (0, 65532, "process"), engine
        assert (orig["http_status"], new["http_status"]) == (200, 200), engine
        assert new["image_size"] < orig["image_size"], engine
    assert len({v["original"]["http_sha256"] for _, v in runs.values()} | {v["rewritten"]["http_sha256"] for _, v in runs.values()}) == 1
    assert len({v["rewrite"] for _, v in runs.values()}) == 1  # the same rewrite, built three ways


HEREDOC = """\
FROM debian:bookworm-slim
RUN <<EOF
echo "written by a heredoc" > /greeting
EOF
CMD ["sleep", "600"]
"""
MOUNT = """\
FROM debian:bookworm-slim
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && echo ok > /greeting
CMD ["sleep", "600"]
"""


@pytest.mark.build
@pytest.mark.parametrize(
    "engine, dockerfile, limited",
    [
        ("docker-classic", HEREDOC, "heredoc (line 2)"),
        ("docker-buildkit", HEREDOC, "heredoc (line 2)"),
        ("podman", HEREDOC, "heredoc (line 2)"),
        ("docker-classic", MOUNT, "RUN --mount (line 2)"),
        ("docker-buildkit", MOUNT, None),  # BuildKit builds it: a real verdict
    ],
)
def test_a_feature_the_engine_lacks_is_said_not_reported_as_a_regression(buildenv, tmp_path, engine, dockerfile, limited):  # noqa: F811
    env = engine_env(engine)
    if engine != "podman":
        need_docker_images(env, "debian:bookworm-slim")
    (tmp_path / "Dockerfile").write_text(dockerfile)
    code, data, stderr, prefix = run_verify(tmp_path, "--engine", engine.split("-")[0], "--select", "USR", "--wait", "3", env=env)
    (v,) = data["files"]
    if limited is None:
        assert code == 0 and v["engine_limits"] == [] and v["regressions"] == [], v
        assert v["original"]["uid"] == 0 and v["rewritten"]["uid"] == 10001
    else:
        assert code == 2, (code, v, stderr)
        assert v["regressions"] == [] and v["changed"], v
        assert v["engine_limits"] == [f"the original uses {limited}, which {v['engine']} cannot build"] + (
            [f"the rewrite uses {limited}, which {v['engine']} cannot build"]
        ), v
        assert not v["original"]["built"] and v["rewritten"] is None  # nothing was built
    assert leftovers(prefix, env, engine.split("-")[0]) == []
