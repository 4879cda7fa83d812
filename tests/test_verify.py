"""``imgfix verify``: unit tests of its decisions, and real builds with podman/buildah.

The build tests need the environment ``../shared/buildenv/setup.sh`` makes (``.ci/run`` runs it
as root): podman, buildah, and local ``debian``/``python`` base images. Without it they are
skipped with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fixer.transforms.options import Options
from fixer.integrations.verify import (
    Engine,
    Run,
    Session,
    Verdict,
    VerifyError,
    VerifyOptions,
    _docker_builder,
    _status_uid,
    compare,
    engine_limits,
    limit_in_log,
    exit_code,
    render_json,
    render_table,
    verify,
    verify_file,
)

BUILDENV = Path(os.environ.get("BUILDENV_DIR", "/var/tmp/imgfix-buildenv"))
LOCAL_BASES = ("docker.io/library/debian:bookworm-slim", "docker.io/library/python:3.11-slim")
USR = Options(select=("USR",))


def load_env_sh(path: Path) -> dict[str, str]:
    """The ``export NAME=value`` lines of env.sh, read (never executed)."""
    env = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            words = shlex.split(m.group(2), comments=True)
            env[m.group(1)] = words[0] if words else ""
    return env


@pytest.fixture(scope="session")
def buildenv():
    """Loads the buildenv's env.sh into os.environ, or skips with the reason."""
    env_sh = BUILDENV / "env.sh"
    if not env_sh.is_file():
        pytest.skip(f"no {env_sh}: run ../shared/buildenv/setup.sh as root to enable build tests")
    if os.geteuid() != 0:
        pytest.skip("build tests need root (the buildenv's podman storage is rootful)")
    for tool in ("podman", "buildah"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: run ../shared/buildenv/setup.sh")
    values = load_env_sh(env_sh)
    mp = pytest.MonkeyPatch()
    for key, value in values.items():
        mp.setenv(key, value)
    for image in LOCAL_BASES:
        if subprocess.run(["podman", "image", "exists", image], capture_output=True).returncode != 0:
            mp.undo()
            pytest.skip(f"local base image {image} missing: run ../shared/buildenv/setup.sh")
    yield values
    mp.undo()


def podman_lines(*args: str) -> list[str]:
    out = subprocess.run(["podman", *args], capture_output=True, text=True, check=True)
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def make_project(tmp_path: Path, dockerfile: str, **files: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Dockerfile").write_text(textwrap.dedent(dockerfile).lstrip())
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip())
    return tmp_path / "Dockerfile"


HTTP_APP = """
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello\\n")

    http.server.HTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


# ----------------------------------------------------------------------------- unit


def running(uid=0, http=None):
    return Run(built=True, build_seconds=1.0, image_size=1, uid=uid, uid_source="process", running=True, http_status=http)


def test_compare_flags_each_kind_of_regression():
    assert compare(running(0, 200), running(10001, 200), True) == []
    assert compare(running(), Run(built=False), True) == ["the rewrite fails to build"]
    dead = Run(built=True, running=False, exit_code=2)
    assert "keeps running" in compare(running(), dead, True)[0]
    assert "answers HTTP 500" in compare(running(0, 200), running(10001, 500), True)[0]
    assert "no answer" in compare(running(0, 200), running(10001, 0), True)[0]
    assert compare(running(0), running(0), True) == ["the rewrite still runs as root (uid 0)"]
    assert compare(running(0), running(0), False) == []  # USR not selected: root is not a regression
    # a batch job: same exit status is fine, a different one is not
    done = Run(built=True, running=False, exit_code=0)
    assert compare(done, Run(built=True, running=False, exit_code=0), True) == []
    assert "status 1" in compare(done, Run(built=True, running=False, exit_code=1), True)[0]
    # nothing to regress from when the original does not build
    assert compare(Run(built=False), Run(built=False), True) == []


def test_exit_codes_and_rendering():
    ok = Verdict("a/Dockerfile", True, running(0, 200), running(10001, 200))
    bad = Verdict("b/Dockerfile", True, running(0), Run(built=False, build_error="Error: boom"),
                  regressions=["the rewrite fails to build"])
    broken = Verdict("c/Dockerfile", False, Run(), None, error="c/Dockerfile:0: permission denied")
    assert exit_code([ok]) == 0
    assert exit_code([ok, broken]) == 2
    assert exit_code([ok, bad, broken]) == 1
    table = render_table([ok, bad, broken])
    assert "10001" in table and "REGRESSION: the rewrite fails to build" in table and "Error: boom" in table
    assert table.rstrip().endswith("3 files verified, 1 regressed, 1 failed.")
    data = json.loads(render_json([ok, bad]))
    assert data["exit_code"] == 1
    assert data["files"][0]["rewritten"]["uid"] == 10001
    assert data["files"][1]["regressions"] == ["the rewrite fails to build"]


def test_status_uid_reads_the_effective_uid():
    assert _status_uid("Name:\tsh\nUid:\t0\t10001\t10001\t10001\nGid:\t0\t0\t0\t0\n") == 10001
    assert _status_uid("Name:\tsh\n") is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"pull": "always"}, "--pull"),
        ({"build_args": ("X",)}, "NAME=value"),
        ({"build_args": ("A=1\nRUN x",)}, None),  # the value is one argv item: allowed, never a shell
        ({"target": "a b"}, "--target"),
        ({"port": 70000}, "--port"),
        ({"wait": 0}, "--wait"),
    ],
)
def test_verify_options_are_validated(kwargs, message):
    if message is None:
        VerifyOptions(**kwargs)
        return
    with pytest.raises(VerifyError, match=re.escape(message)):
        VerifyOptions(**kwargs)


def test_build_argv_passes_everything_as_separate_arguments(tmp_path):
    opts = VerifyOptions(build_args=("A=1", "B=two words"), target="prod", pull="never")
    podman = Engine("podman", "/usr/bin/podman", "/usr/bin/podman", "podman")
    argv = podman.build_argv(tmp_path / "Dockerfile", tmp_path, "localhost/t:1", opts, tmp_path / "ign")
    assert argv[:2] == ["/usr/bin/podman", "build"]
    assert "--pull=never" in argv and "--force-rm" in argv
    assert argv[argv.index("--ignorefile") + 1] == str(tmp_path / "ign")
    assert ["--build-arg", "B=two words"] == argv[argv.index("B=two words") - 1: argv.index("B=two words") + 1]
    assert argv[argv.index("--target") + 1] == "prod" and argv[-1] == str(tmp_path)
    buildah = Engine("buildah", "/usr/bin/buildah", None, None)
    assert "--pull-never" in buildah.build_argv(tmp_path / "D", tmp_path, "t", opts, None)
    docker = Engine("docker", "/usr/bin/docker", "/usr/bin/docker", "docker")
    assert not any(a.startswith("--pull") for a in docker.build_argv(tmp_path / "D", tmp_path, "t", opts, None))


def test_engine_detection_needs_a_docker_daemon(tmp_path, monkeypatch):
    """A docker client without a daemon (as on this machine) is not an engine."""
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(VerifyError, match="no daemon answers"):
        Engine.detect()
    with pytest.raises(VerifyError, match="podman: not installed"):
        Engine.detect("podman")
    with pytest.raises(VerifyError, match="--engine must be one of"):
        Engine.detect("rkt")


def test_cli_reports_a_missing_engine_with_exit_2(tmp_path, monkeypatch):
    make_project(tmp_path, "FROM debian:bookworm-slim\nCMD [\"true\"]\n")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    proc = subprocess.run([sys.executable, "-m", "fixer", "verify", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "no container engine works here" in proc.stderr


FEATURES = """\
FROM --platform=$BUILDPLATFORM debian:bookworm-slim AS build
RUN --mount=type=cache,target=/var/cache/apt echo cached
COPY --chmod=755 run.sh /run.sh
COPY --link app /app
RUN <<EOF
echo heredoc
EOF
"""


def test_engine_limits_name_what_each_builder_lacks():
    """What buildah 1.28, Docker 20.10's classic builder and its BuildKit cannot build."""
    assert engine_limits(FEATURES, "docker-classic") == [
        "FROM --platform=$VAR (line 1)", "RUN --mount (line 2)", "COPY --chmod (line 3)",
        "COPY --link (line 4)", "heredoc (line 5)",
    ]
    assert engine_limits(FEATURES, "docker-buildkit") == ["COPY --link (line 4)", "heredoc (line 5)"]
    assert engine_limits(FEATURES, "buildah") == ["COPY --link (line 4)", "heredoc (line 5)"]
    # a # syntax= line: BuildKit builds with the frontend it names, whose limits are not known here
    assert engine_limits("# syntax=docker/dockerfile:1.7\n" + FEATURES, "docker-buildkit") == []
    assert engine_limits("# syntax=docker/dockerfile:1.7\n" + FEATURES, "buildah")[-1] == "heredoc (line 6)"
    plain = "FROM debian:bookworm-slim\nCOPY --chown=1:1 a /a\nRUN echo hi\n"
    assert all(engine_limits(plain, kind) == [] for kind in ("buildah", "docker-classic", "docker-buildkit"))
    assert engine_limits("FROM\n", "buildah") == []  # the build reports what does not parse


def test_limit_in_log_finds_the_builders_own_words():
    assert limit_in_log("Step 2/4 : RUN --mount=type=cache,target=/x true\nthe --mount option requires BuildKit.") == (
        "the --mount option requires BuildKit."
    )
    assert "docker.io/docker/dockerfile" in limit_in_log(
        "failed to solve with frontend dockerfile.v0: failed to resolve source metadata for docker.io/docker/dockerfile:1"
    )
    assert limit_in_log('Error: building at STEP "RUN exit 3": exit status 3') is None
    assert limit_in_log(None) is None


def test_docker_builder_follows_docker_buildkit(tmp_path, monkeypatch):
    fake = tmp_path / "docker"
    fake.write_text('#!/bin/sh\n[ "$1" = version ] && echo 28.0.1 && exit 0\nexit 1\n')  # v28 client, no buildx
    fake.chmod(0o755)
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    assert _docker_builder(str(fake)) == "docker-classic"
    monkeypatch.setenv("DOCKER_BUILDKIT", "1")
    assert _docker_builder(str(fake)) == "docker-buildkit"
    monkeypatch.delenv("DOCKER_BUILDKIT")
    assert _docker_builder(str(fake)) == "docker-classic"  # no buildx plugin: the legacy builder
    fake.write_text('#!/bin/sh\n[ "$1" = version ] && echo 28.0.1\nexit 0\n')  # buildx answers
    assert _docker_builder(str(fake)) == "docker-buildkit"


def test_an_engine_limit_is_not_a_regression_and_not_a_pass():
    limit = "the original uses heredoc (line 2), which docker (classic builder) cannot build"
    limited = Verdict("h/Dockerfile", True, Run(), None, engine_limits=[limit])
    assert exit_code([limited]) == 2
    assert exit_code([limited, Verdict("b", True, running(0), Run(built=False), regressions=["x"])]) == 1
    table = render_table([limited])
    assert f"ENGINE CANNOT BUILD THIS: {limit}" in table
    assert "not built" in table.splitlines()[1] and "not built" in table.splitlines()[2]
    assert "REGRESSION" not in table
    assert table.rstrip().endswith("1 file verified, 0 regressed, 0 failed, 1 the engine cannot build.")


# ----------------------------------------------------------------------------- real builds


def our_leftovers() -> tuple[list[str], list[str]]:
    images = [i for i in podman_lines("images", "-a", "--format", "{{.Repository}}") if "imgfix-verify-" in i]
    containers = [c for c in podman_lines("ps", "-a", "--format", "{{.Names}}") if c.startswith("imgfix-verify-")]
    return images, containers


@pytest.mark.build
def test_http_app_rewrite_keeps_answering_as_non_root(buildenv, tmp_path):
    path = make_project(
        tmp_path,
        """
        FROM python:3.11-slim
        WORKDIR /app
        COPY app.py .
        EXPOSE 8000
        CMD ["python3", "app.py"]
        """,
        **{"app.py": HTTP_APP},
    )
    proc = subprocess.run(
        [sys.executable, "-m", "fixer", "verify", str(path), "--pull", "never", "--select", "USR", "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (v,) = json.loads(proc.stdout)["files"]
    assert v["changed"] and v["regressions"] == []
    orig, new = v["original"], v["rewritten"]
    assert orig["built"] and new["built"]
    assert orig["uid"] == 0 and orig["uid_source"] == "process"
    assert new["uid"] == 10001 and new["uid_source"] == "process"
    assert orig["running"] and new["running"]
    assert orig["port"] == new["port"] == 8000
    assert orig["http_status"] == new["http_status"] == 200
    assert new["image_size"] > 10_000_000
    assert our_leftovers() == ([], [])


@pytest.mark.build
def test_app_writing_into_a_root_owned_folder_is_a_regression(buildenv, tmp_path):
    # its own folder (/srv/app) is made the user's since issue 14; /srv stays root's
    path = make_project(
        tmp_path,
        """
        FROM debian:bookworm-slim
        WORKDIR /srv/app
        CMD ["sh", "-c", "date > /srv/started && exec sleep 600"]
        """,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "fixer", "verify", str(path), "--pull", "never", "--select", "USR", "--wait", "3"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "REGRESSION: the rewrite exits (status 2) where the original keeps running" in proc.stdout
    rows = {line.split()[0 if line.startswith(" ") else 1]: line for line in proc.stdout.splitlines()[1:3]}
    assert " 0 " in rows["original"] and " up " in rows["original"]
    assert "exit 2" in rows["rewritten"]
    assert our_leftovers() == ([], [])


@pytest.mark.build
def test_failed_build_and_interrupt_leave_nothing_behind(buildenv, tmp_path, monkeypatch):
    # two committed layers before the failing step: a layered build keeps them as images
    path = make_project(
        tmp_path,
        """
        FROM debian:bookworm-slim
        RUN echo one > /one
        RUN echo two > /two
        RUN exit 3
        CMD ["sleep", "600"]
        """,
    )
    engine = Engine.detect("podman")
    opts = VerifyOptions(pull="never", wait=1)
    with Session(engine, opts) as session:
        run, tag = session.build(path, tmp_path, None, "original")
        assert not run.built and tag is None
        assert "exit status 3" in run.build_error
        layers = set(session.layers)
        assert len(layers) == 2, run.build_error
        ids = podman_lines("images", "-a", "-q", "--no-trunc")
        assert all(any(i.removeprefix("sha256:").startswith(layer) for i in ids) for layer in layers)
    ids = podman_lines("images", "-a", "-q", "--no-trunc")
    assert not any(i.removeprefix("sha256:").startswith(layer) for layer in layers for i in ids)
    assert our_leftovers() == ([], [])

    # Ctrl-C while the container runs: the container and both images are removed
    good = make_project(tmp_path / "ok", 'FROM debian:bookworm-slim\nRUN echo x > /x\nCMD ["sleep", "600"]\n')
    real_start = Session.start

    def start_then_interrupt(self, run, tag, kind):
        real_start(self, run, tag, kind)
        if kind == "rewritten":
            assert our_leftovers()[0], "the images exist while verifying"
            raise KeyboardInterrupt

    monkeypatch.setattr(Session, "start", start_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        verify([good], USR, opts)
    assert our_leftovers() == ([], [])


@pytest.mark.build
def test_batch_job_and_build_args(buildenv, tmp_path):
    """A command that finishes: the exit status is compared; build args reach both builds."""
    path = make_project(
        tmp_path,
        """
        FROM debian:bookworm-slim
        ARG GREETING=unset
        RUN echo "$GREETING" > /greeting
        CMD ["sh", "-c", "grep -qx hello /greeting"]
        """,
    )
    with Session(Engine.detect("podman"), VerifyOptions(pull="never", wait=2, build_args=("GREETING=hello",))) as s:
        v = verify_file(s, path, USR)
    assert v.original.running is False and v.original.exit_code == 0, v.original
    assert v.rewritten.exit_code == 0 and v.regressions == []
    with Session(Engine.detect("podman"), VerifyOptions(pull="never", wait=2)) as s:
        v = verify_file(s, path, USR)
    assert v.original.exit_code == 1 and v.rewritten.exit_code == 1 and v.regressions == []
    assert our_leftovers() == ([], [])
