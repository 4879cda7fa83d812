"""Compose files that build the Dockerfile: read (fixer.analysis.compose) and used by the
nonroot transform (fixer.transforms.composeuse): mount points, bind mounts, ``user:``,
published ports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixer.analysis import compose
from fixer.analysis.stages import Analysis
from fixer.document.model import Document
from fixer.run.pipeline import fix
from fixer.transforms.options import Options

PYTHON = 'FROM python:3.12-slim\nWORKDIR /srv/notes\nCOPY app.py .\nEXPOSE 8000\nCMD ["python", "app.py"]\n'
GUNICORN = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 80\nCMD ["gunicorn", "-b", "0.0.0.0:80", "app:app"]\n'


def project(tmp_path: Path, compose_text: str, dockerfile: str = PYTHON, name: str = "compose.yaml",
            where: str = "", files: dict[str, str] | None = None) -> Path:
    """A project folder: the Dockerfile in ``where`` (relative), the compose file at the top."""
    (tmp_path / ".git").mkdir()
    folder = tmp_path / where
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "app.py").write_text("print('hello')\n")
    (tmp_path / name).write_text(compose_text)
    for rel, text in (files or {}).items():
        (tmp_path / rel).write_text(text)
    return folder / "Dockerfile"


def run(path: Path, **options):
    opts = Options(select=("USR",), context=path.parent, **options)
    return fix(path.read_text(), opts, path.parent, path)


def services(path: Path) -> list[compose.Service]:
    return compose.find(Analysis(Document(path.read_text()), path.parent, path)).services


def codes(outcome) -> list[str]:
    return [f.code for f in outcome.findings]


# ---------------------------------------------------------------------------- reading


def test_build_context_and_dockerfile_name_the_service(tmp_path):
    path = project(tmp_path, "services:\n  api:\n    build:\n      context: ./api\n      dockerfile: Dockerfile\n"
                             "  web:\n    build: ./web\n  db:\n    image: postgres\n", where="api")
    assert [s.name for s in services(path)] == ["api"]


def test_a_service_building_another_dockerfile_is_not_read(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n")
    assert services(path) == []


def test_override_file_adds_volumes_and_ports(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build: .\n    ports: ['8000:8000']\n",
                   files={"compose.override.yaml": "services:\n  web:\n    volumes:\n      - data:/srv/notes/data\n"
                                                   "    ports:\n      - 9000:9000\n"})
    [service] = services(path)
    assert [m.target for m in service.mounts] == ["/srv/notes/data"]
    assert [p.container for p in service.ports] == [8000, 9000]
    assert len(service.files) == 2


def test_volume_syntaxes(tmp_path):
    path = project(tmp_path, """\
services:
  web:
    build: .
    volumes:
      - named:/data
      - /anonymous
      - ./host:/host
      - ~/home:/home-mount
      - /etc/ro:/ro:ro
      - type: volume
        source: long
        target: /long
      - type: bind
        source: ./b
        target: /b
        read_only: true
      - ${DATA_DIR:-./default}:/var/lib/app
""", name="docker-compose.yml")
    [service] = services(path)
    got = [(m.kind, m.source, m.target, m.read_only) for m in service.mounts]
    assert got == [
        ("volume", "named", "/data", False), ("anonymous", "", "/anonymous", False), ("bind", "./host", "/host", False),
        ("bind", "~/home", "/home-mount", False), ("bind", "/etc/ro", "/ro", True), ("volume", "long", "/long", False),
        ("bind", "./b", "/b", True), ("bind", "./default", "/var/lib/app", False),
    ]


def test_port_syntaxes_are_read_as_text_not_yaml_1_1_numbers(tmp_path):
    # unquoted 80:80 is the sexagesimal number 4880 in YAML 1.1: imgfix reads what is written
    path = project(tmp_path, "services:\n  web:\n    build: .\n    ports:\n      - 80:80\n      - '127.0.0.1:8443:443/tcp'\n"
                             "      - 3000-3005\n      - target: 53\n        published: 5353\n        protocol: udp\n")
    [service] = services(path)
    assert [(p.container, p.host, p.protocol) for p in service.ports] == [
        (80, "80", "tcp"), (443, "127.0.0.1:8443", "tcp"), (None, "", "tcp"), (53, "5353", "udp")]


def test_anchors_and_merge_keys(tmp_path):
    path = project(tmp_path, "x-base: &base\n  user: '1000:1000'\n  volumes: [data:/data]\n"
                             "services:\n  web:\n    <<: *base\n    build: .\n")
    [service] = services(path)
    assert service.user == "1000:1000" and service.mounts[0].target == "/data"


def test_invalid_yaml_is_reported_not_raised(tmp_path):
    path = project(tmp_path, "services: [unclosed\n")
    found = compose.find(Analysis(Document(path.read_text()), path.parent, path))
    assert not found and "not valid YAML" in found.problems[0]


def test_python_objects_are_never_built(tmp_path):
    # the safe loader's nodes only: no tag can construct (let alone run) anything
    path = project(tmp_path, "services:\n  web:\n    build: .\n    user: !!python/object/apply:os.system ['touch pwned']\n")
    assert [s.name for s in services(path)] == ["web"]
    assert not (tmp_path / "pwned").exists()


def test_yaml_is_imported_only_when_a_compose_file_exists(tmp_path):
    (tmp_path / "Dockerfile").write_text(PYTHON)
    code = ("import sys; from pathlib import Path; from fixer.run.pipeline import fix; from fixer.transforms.options import Options;"
            f"p = Path({str(tmp_path / 'Dockerfile')!r}); fix(p.read_text(), Options(context=p.parent), p.parent, p);"
            "print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------- volumes and users


def test_named_volume_mount_point_is_made_and_owned_by_the_user(tmp_path):
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    volumes:\n      - notes-data:/srv/notes/data\n"
                             "volumes:\n  notes-data:\n")
    out = run(path)
    assert "mkdir -p /home/app /srv/notes/data" in out.fixed
    assert "chown 10001:10001 /home/app /srv/notes/data" in out.fixed
    assert "USR010" not in codes(out)


def test_without_compose_the_output_is_unchanged(tmp_path):
    path = project(tmp_path, "services:\n  other:\n    image: nginx\n")
    (tmp_path / "compose.yaml").unlink()
    assert "/srv/notes/data" not in run(path).fixed


def test_bind_mount_gets_a_finding_naming_the_uid(tmp_path):
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    volumes:\n      - ./backup:/srv/backup\n      - ./conf:/conf:ro\n")
    out = run(path)
    [finding] = [f for f in out.findings if f.code == "USR010"]
    assert "./backup" in finding.message and "uid 10001" in finding.message and "/conf" not in finding.message
    assert "/srv/backup" not in out.fixed  # the host's folder hides the image's


def test_numeric_compose_user_is_the_one_user(tmp_path):
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    user: '1000:1001'\n    volumes: ['d:/srv/notes/data']\n")
    out = run(path)
    assert "useradd --system --no-log-init --uid 1000 --gid 1001" in out.fixed
    assert "USER 1000:1001" in out.fixed and "10001" not in out.fixed


def test_compose_user_root_is_left_alone(tmp_path):
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    user: root\n")
    out = run(path)
    assert out.fixed == PYTHON and "USR003" in codes(out)


def test_compose_user_the_dockerfile_creates_is_kept(tmp_path):
    dockerfile = PYTHON.replace("COPY app.py .\n", "COPY app.py .\nRUN groupadd --gid 2000 web && useradd --uid 2000 --gid web web\n")
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    user: web\n", dockerfile=dockerfile)
    assert "USER 2000:2000" in run(path).fixed


def test_unknown_compose_user_name_gets_no_second_user(tmp_path):
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    user: www-data\n")
    out = run(path)
    assert out.fixed == PYTHON and "USR005" in codes(out)


def test_build_target_names_the_stage(tmp_path):
    dockerfile = PYTHON + "FROM python:3.12-slim AS test\nCMD [\"pytest\"]\n"
    dockerfile = dockerfile.replace("FROM python:3.12-slim\n", "FROM python:3.12-slim AS app\n", 1)
    path = project(tmp_path, "services:\n  notes:\n    build:\n      context: .\n      target: app\n"
                             "    volumes: ['d:/srv/notes/data']\n", dockerfile=dockerfile)
    out = fix(path.read_text(), Options(select=("USR",), targets=("app",), context=path.parent), path.parent, path)
    head = out.fixed.split("FROM python:3.12-slim AS test")[0]
    assert "/srv/notes/data" in head


# ---------------------------------------------------------------------------- ports


def test_privileged_published_port_of_an_unknown_server_keeps_root(tmp_path):
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    ports: ['80:80']\n",
                   dockerfile=PYTHON.replace("EXPOSE 8000\n", ""))
    out = run(path)
    assert out.fixed == PYTHON.replace("EXPOSE 8000\n", "")
    [finding] = [f for f in out.findings if f.code == "USR005"]
    assert "compose.yaml service notes publishes container port 80:80" in finding.message


def test_port_move_keeps_the_host_port_in_compose(tmp_path):
    text = "services:\n  web:\n    build: .\n    ports:\n      - \"80:80\"   # the site\n      - 127.0.0.1:9000:80/tcp\n"
    path = project(tmp_path, text, dockerfile=GUNICORN)
    out = run(path, unsafe_fixes=True)
    assert 'CMD ["gunicorn", "-b", "0.0.0.0:8080", "app:app"]' in out.fixed
    [change] = [c for c in out.files if c.path.endswith("compose.yaml")]
    assert change.old == text
    assert change.new == text.replace('"80:80"', '"80:8080"').replace(":9000:80/", ":9000:8080/")


def test_port_move_held_back_says_compose_follows(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build: .\n    ports: ['80:80']\n", dockerfile=GUNICORN)
    out = run(path)
    assert out.fixed == GUNICORN and out.files == []
    [finding] = [f for f in out.findings if f.code == "USR007"]
    assert "compose.yaml keeps the host ports" in finding.message


def test_port_in_compose_override_file_moves_there(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build: .\n", dockerfile=GUNICORN,
                   files={"compose.override.yml": "services:\n  web:\n    ports:\n      - 8000:80\n"})
    out = run(path, unsafe_fixes=True)
    [change] = out.files
    assert change.path.endswith("compose.override.yml") and "8000:8080" in change.new


@pytest.mark.parametrize("extra, why", [
    ("    environment:\n      PORT: '80'\n", "sets PORT=80"),
    ("    command: gunicorn -b 0.0.0.0:80 app:app\n", "names port 80"),
    ("    ports: ['8000-8001:80-81']\n", "a range or a variable"),
])
def test_port_move_refused_when_compose_would_undo_it(tmp_path, extra, why):
    path = project(tmp_path, "services:\n  web:\n    build: .\n" + extra, dockerfile=GUNICORN)
    out = run(path, unsafe_fixes=True)
    assert out.fixed == GUNICORN and out.files == []
    [finding] = [f for f in out.findings if f.code == "USR005"]
    assert why in finding.message


def test_compose_change_and_dockerfile_written_together(tmp_path):
    from fixer.integrations.cli import main

    path = project(tmp_path, "services:\n  web:\n    build: .\n    ports: ['80:80']\n", dockerfile=GUNICORN)
    with pytest.raises(SystemExit):
        main(["fix", "--select", "USR", "--unsafe-fixes", "--write", str(path)])
    assert "80:8080" in (tmp_path / "compose.yaml").read_text()
    assert "0.0.0.0:8080" in path.read_text()


def test_stable_after_the_move(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build: .\n    ports: ['80:80']\n", dockerfile=GUNICORN)
    out = run(path, unsafe_fixes=True)
    path.write_text(out.fixed)
    for change in out.files:
        Path(change.path).write_text(change.new)
    again = run(path, unsafe_fixes=True)
    assert again.fixed == out.fixed and all(c.old == c.new for c in again.files)


# ---------------------------------------------------------------------------- build args and secrets

NPM = """FROM node:18
ARG NPM_TOKEN
WORKDIR /app
COPY package.json .
RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm install && rm .npmrc
COPY . .
CMD ["node", "index.js"]
"""


def sec(path: Path, unsafe: bool = False) -> list[str]:
    opts = Options(select=("SEC",), unsafe_fixes=unsafe, context=path.parent)
    return [f.message for f in fix(path.read_text(), opts, path.parent, path).findings if f.code == "SEC001"]


def test_secret_build_arg_passed_by_compose_says_what_to_change_there(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}\n",
                   dockerfile=NPM)
    [message] = sec(path)
    assert "compose.yaml service web passes it as a build arg: there, replace build.args NPM_TOKEN with build.secrets: [npm_token]" in message
    assert "rotate" not in message


def test_secret_build_arg_written_in_compose_must_be_rotated(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build:\n      context: .\n      args:\n        - NPM_TOKEN=abc123\n",
                   dockerfile=NPM)
    [message] = sec(path, unsafe=True)
    assert "its value is written in compose.yaml" in message and "abc123" not in message


def test_compose_that_provides_the_build_secret_already(tmp_path):
    path = project(tmp_path, "services:\n  web:\n    build:\n      context: .\n      secrets: [npm_token]\n"
                             "secrets:\n  npm_token:\n    environment: NPM_TOKEN\n", dockerfile=NPM)
    [message] = sec(path, unsafe=True)
    assert "already provides the build secret npm_token" in message


def test_a_variable_on_the_host_side_is_not_a_privileged_port(tmp_path):
    path = project(tmp_path, "services:\n  notes:\n    build: .\n    ports: ['${HOST_PORT}:8000', '${BIND:-127.0.0.1}:${P2:-9000}:80']\n")
    [service] = services(path)
    assert [(p.container, p.host) for p in service.ports] == [(8000, "${HOST_PORT}"), (80, "${BIND:-127.0.0.1}:${P2:-9000}")]
