"""SEC: secret build arguments and copied credential files become build secrets (unsafe fix);
secret ENV is reported; no report ever carries a secret's value."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixer.document.model import Document
from fixer.transforms.options import Options
from fixer.run.pipeline import fix
from fixer.transforms.secrets.facts import masked, secret_name

SAFE = Options(select=("SEC",))
UNSAFE = Options(select=("SEC",), unsafe_fixes=True)
GH = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789AB"  # looks like a GitHub token; is none


def run(text: str, options: Options = UNSAFE):
    outcome = fix(textwrap.dedent(text).lstrip(), options)
    return outcome.fixed, [(f.line, f.code, "fixed" if f.fixed else "held" if f.held_back else "open") for f in outcome.findings], outcome


# ------------------------------------------------------------------ ARG


def test_arg_used_by_one_run_becomes_a_secret_mount_on_that_run_only():
    fixed, findings, outcome = run(
        """
        FROM node:18
        ARG NPM_TOKEN
        RUN apt-get update
        RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm install && rm .npmrc
        CMD ["node", "app.js"]
        """
    )
    assert fixed == textwrap.dedent(
        """\
        FROM node:18
        RUN apt-get update
        RUN --mount=type=secret,id=npm_token export NPM_TOKEN="$(cat /run/secrets/npm_token)" && echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm install && rm .npmrc
        CMD ["node", "app.js"]
        """
    )
    assert findings == [(2, "SEC001", "fixed")]
    assert "`docker build --secret id=npm_token,env=NPM_TOKEN .`" in outcome.findings[0].message


def test_held_back_by_default_with_the_build_command():
    text = "FROM python:3.11-slim\nARG PIP_EXTRA_INDEX_URL\nRUN pip install -r requirements.txt\n"
    fixed, findings, outcome = run(text, SAFE)
    assert fixed == text and findings == [(2, "SEC001", "held")]
    message = outcome.findings[0].message
    assert "--unsafe-fixes" in message and "docker build --secret id=pip_extra_index_url,env=PIP_EXTRA_INDEX_URL ." in message
    # pip reads PIP_EXTRA_INDEX_URL from its environment: that RUN uses it without naming it
    fixed, _, _ = run(text)
    assert 'RUN --mount=type=secret,id=pip_extra_index_url export PIP_EXTRA_INDEX_URL="$(cat /run/secrets/pip_extra_index_url)" && pip install' in fixed


def test_two_stages_and_the_global_declaration_all_go():
    fixed, findings, _ = run(
        """
        ARG GITHUB_TOKEN
        FROM golang:1.19 AS build
        ARG GITHUB_TOKEN
        RUN git config --global url."https://${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
        RUN go build ./...
        FROM debian:bookworm-slim
        ARG GITHUB_TOKEN
        ARG VERSION=1
        USER 1000
        RUN curl -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/x
        """
    )
    assert "ARG GITHUB_TOKEN" not in fixed and "ARG VERSION=1" in fixed
    lines = fixed.splitlines()
    assert lines[1].startswith("RUN --mount=type=secret,id=github_token export GITHUB_TOKEN=")
    assert lines[2] == "RUN go build ./..."  # does not use it: untouched
    # a non-root USER cannot read a 0400 root-owned secret file
    assert lines[-1].startswith("RUN --mount=type=secret,id=github_token,mode=0444 export GITHUB_TOKEN=")
    assert findings == [(3, "SEC001", "fixed")]


def test_two_names_in_one_run_and_one_arg_instruction():
    fixed, findings, _ = run(
        """
        FROM debian:bookworm
        ARG VERSION=2 API_TOKEN=
        ARG DB_PASSWORD=""
        RUN ./configure --token "$API_TOKEN" --password "$DB_PASSWORD" --version "$VERSION"
        """
    )
    assert fixed.splitlines()[1] == "ARG VERSION=2"  # (the empty default goes with its name)
    assert fixed.splitlines()[2] == (
        "RUN --mount=type=secret,id=api_token --mount=type=secret,id=db_password "
        'export API_TOKEN="$(cat /run/secrets/api_token)" DB_PASSWORD="$(cat /run/secrets/db_password)" && ./configure'
        ' --token "$API_TOKEN" --password "$DB_PASSWORD" --version "$VERSION"'
    )
    assert findings == [(2, "SEC001", "fixed"), (3, "SEC001", "fixed")]


def test_a_heredoc_script_gets_the_export_as_its_first_line():
    fixed, findings, _ = run(
        """
        FROM debian:bookworm
        ARG NPM_TOKEN
        RUN --mount=type=cache,target=/root/.npm <<EOF
        set -e
        npm ci --token "$NPM_TOKEN"
        EOF
        """
    )
    assert fixed == textwrap.dedent(
        """\
        FROM debian:bookworm
        RUN --mount=type=secret,id=npm_token --mount=type=cache,target=/root/.npm <<EOF
        export NPM_TOKEN="$(cat /run/secrets/npm_token)"
        set -e
        npm ci --token "$NPM_TOKEN"
        EOF
        """
    )
    assert findings == [(2, "SEC001", "fixed")]


def test_crlf_and_continuations_are_kept():
    text = "FROM debian:bookworm\r\nARG NPM_TOKEN\r\nRUN set -e; \\\r\n    npm ci \\\r\n      --token=$NPM_TOKEN\r\n"
    fixed, _, _ = run(text)
    assert fixed == (
        "FROM debian:bookworm\r\n"
        'RUN --mount=type=secret,id=npm_token export NPM_TOKEN="$(cat /run/secrets/npm_token)" && set -e; \\\r\n'
        "    npm ci \\\r\n      --token=$NPM_TOKEN\r\n"
    )


REFUSED = {
    "from": ("ARG TAG_TOKEN\nFROM debian:${TAG_TOKEN}\nARG TAG_TOKEN\nRUN echo $TAG_TOKEN\n", "FROM at line 2 uses it"),
    "copy": ("FROM debian\nARG SRC_SECRET\nCOPY $SRC_SECRET /x\nRUN echo $SRC_SECRET\n", "COPY at line 3 uses it"),
    "env": ("FROM debian\nARG NPM_TOKEN\nENV NPMRC_VALUE=$NPM_TOKEN\nRUN npm ci\n", "ENV at line 3 uses it"),
    "heredoc": ("FROM debian\nARG NPM_TOKEN\nRUN <<EOF bash\nnpm ci --token $NPM_TOKEN\nEOF\n", "a heredoc that imgfix does not edit"),
    "shebang": ("FROM debian\nARG NPM_TOKEN\nRUN <<EOF\n#!/bin/bash\nnpm ci\nEOF\n", "a #! script"),
    "exec": ('FROM debian\nARG NPM_TOKEN\nRUN ["npm", "ci"]\n', "exec form"),
    "default": (f"FROM debian\nARG GH_TOKEN={GH}\nRUN gh repo clone o/r\n", "rotate it"),
    "unused": ("FROM debian\nARG DEPLOY_KEY\nRUN ./deploy.sh\n", "no RUN line uses it"),
    "shell": ('FROM debian\nSHELL ["/bin/bash", "-c"]\nARG NPM_TOKEN\nRUN npm ci\n', "SHELL instruction"),
    "flag": ("FROM debian\nARG NPM_TOKEN\nRUN --mount=type=secret,id=$NPM_TOKEN npm ci\n", "flags of the RUN"),
    "mounted": ("FROM debian\nARG NPM_TOKEN\nRUN --mount=type=secret,id=npm_token npm ci\n", "already mounts a secret"),
    "windows": ("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nARG NPM_TOKEN\nRUN npm ci\n", "may not run in /bin/sh"),
    "other-arg": ("FROM debian\nARG NPM_TOKEN\nARG URL=https://x:$NPM_TOKEN@h\nRUN npm ci\n", "ARG at line 3 uses it"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refusals_say_why_and_change_nothing(case):
    text, why = REFUSED[case]
    fixed, findings, outcome = run(text)
    assert fixed == text
    assert [c for _, c, _ in findings] == ["SEC004"], findings
    assert why in outcome.findings[0].message and findings[0][2] == "open"
    assert GH not in outcome.findings[0].message


def test_names_as_data():
    assert secret_name("NPM_TOKEN") and secret_name("db_password") and secret_name("NETRC")
    assert not secret_name("GPG_KEY") and not secret_name("PUBLIC_KEY") and not secret_name("VERSION")
    assert masked("API_KEY", "x") == "API_KEY=****"


def test_index_url_without_credentials_is_not_a_secret():
    text = "FROM python:3.11\nARG PIP_INDEX_URL=https://pypi.org/simple\nRUN pip install x\n"
    assert run(text)[1] == []
    text = "FROM python:3.11\nARG PIP_INDEX_URL=https://me:hunter22@pypi.example/simple\nRUN pip install x\n"
    fixed, findings, outcome = run(text)
    assert fixed == text and findings == [(2, "SEC004", "open")] and "hunter22" not in outcome.findings[0].message


def test_a_suppression_over_part_of_a_fix_stops_all_of_it():
    """The pipeline drops suppressed edits one by one: an ARG removed while a RUN that needs
    it keeps no mount would break the build."""
    on_run = "FROM node:18\nARG NPM_TOKEN\n# imgfix: ignore[SEC] -- reviewed\nRUN npm ci\nRUN npm run x\n"
    fixed, findings, outcome = run(on_run)
    assert fixed == on_run and findings == [(2, "SEC004", "open")]
    assert "imgfix: ignore` at line 3" in outcome.findings[0].message
    on_arg = "FROM node:18\n# imgfix: ignore[SEC001] -- rotated\nARG NPM_TOKEN\nRUN npm ci\n"
    fixed, findings, outcome = run(on_arg)
    assert fixed == on_arg and findings == [] and [s.finding.code for s in outcome.suppressed] == ["SEC001"]
    assert "--secret id=npm_token,env=NPM_TOKEN" in outcome.suppressed[0].finding.message


# ------------------------------------------------------------------ files


def test_npmrc_copied_and_removed_in_a_later_run():
    fixed, findings, outcome = run(
        """
        FROM node:18
        WORKDIR /app
        COPY package.json package-lock.json .npmrc ./
        RUN npm ci
        RUN npm run build
        RUN rm -f .npmrc
        CMD ["node", "dist/index.js"]
        """
    )
    assert fixed == textwrap.dedent(
        """\
        FROM node:18
        WORKDIR /app
        COPY package.json package-lock.json ./
        RUN --mount=type=secret,id=npmrc,target=/app/.npmrc,required=true npm ci
        RUN --mount=type=secret,id=npmrc,target=/app/.npmrc,required=true npm run build
        CMD ["node", "dist/index.js"]
        """
    )
    assert findings == [(3, "SEC002", "fixed")]
    assert "docker build --secret id=npmrc,src=.npmrc ." in outcome.findings[0].message


@pytest.mark.parametrize(
    ("run_line", "expected"),
    [
        ("RUN pip install -r r.txt && rm /etc/pip.conf", "RUN {m} pip install -r r.txt"),
        ("RUN rm /etc/pip.conf; pip list", "RUN {m} pip list"),
        ("RUN pip install x && rm -f /etc/pip.conf && pip list", "RUN {m} pip install x && pip list"),
        ("RUN pip install x \\\n    && rm -f /etc/pip.conf /tmp/x", "RUN {m} pip install x \\\n    && rm -f /tmp/x"),
        ("RUN pip install x && \\\n    rm -f /etc/pip.conf", "RUN {m} pip install x"),
    ],
)
def test_rm_forms(run_line, expected):
    text = f"FROM python:3.11\nCOPY pip.conf /etc/pip.conf\n{run_line}\n"
    fixed, findings, _ = run(text)
    mount = "--mount=type=secret,id=pip_conf,target=/etc/pip.conf,required=true"
    assert fixed == "FROM python:3.11\n" + expected.format(m=mount) + "\n"
    assert findings == [(2, "SEC002", "fixed")]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("COPY .netrc /root/.netrc\nRUN pip install x\n", "no later RUN"),
        ("COPY .netrc /root/.netrc\nRUN cd /root && rm .netrc\n", "relative to a folder"),
        ("COPY .netrc /root/.netrc\nRUN pip install x || rm /root/.netrc\n", "compound command"),
        ("COPY .netrc /root/.netrc\nRUN if true; then rm /root/.netrc; fi\n", "compound command"),
        ("COPY .netrc /root/x\nRUN rm /root/x\n", "is a folder cannot be told"),
        ("COPY --chmod=600 .netrc /root/.netrc\nRUN rm /root/.netrc\n", "--chmod"),
        ("COPY .netrc /root/.netrc\nCOPY . /root/\nRUN rm /root/.netrc\n", "may copy it again"),
        ("COPY .netrc .netrc\nRUN rm .netrc\n", "working folder is not known"),
    ],
)
def test_file_refusals(body, why):
    text = "FROM debian:bookworm\n" + body
    fixed, findings, outcome = run(text)
    assert fixed == text and [c for _, c, _ in findings] == ["SEC005"]
    assert why in outcome.findings[0].message


def test_two_credential_files_of_one_copy_and_one_rm():
    fixed, findings, outcome = run(
        """
        FROM python:3.11
        WORKDIR /src
        COPY .npmrc pip.conf ./
        RUN npm ci && pip install -r r.txt
        RUN rm -f .npmrc pip.conf
        """
    )
    assert fixed == textwrap.dedent(
        """\
        FROM python:3.11
        WORKDIR /src
        RUN --mount=type=secret,id=npmrc,target=/src/.npmrc,required=true --mount=type=secret,id=pip_conf,target=/src/pip.conf,required=true npm ci && pip install -r r.txt
        RUN --mount=type=secret,id=npmrc,target=/src/.npmrc,required=true --mount=type=secret,id=pip_conf,target=/src/pip.conf,required=true rm -f
        """
    )  # (each fix removes its own word of the shared rm: an empty ``rm -f`` is left, harmless)
    assert findings == [(3, "SEC002", "fixed"), (3, "SEC002", "fixed")]
    assert "--secret id=npmrc,src=.npmrc --secret id=pip_conf,src=pip.conf ." in outcome.findings[0].message


def test_one_npmrc_in_two_stages_is_one_secret():
    fixed, findings, outcome = run(
        """
        FROM node:18 AS deps
        COPY .npmrc /root/.npmrc
        RUN npm ci && rm /root/.npmrc
        FROM node:18
        WORKDIR /app
        COPY .npmrc .
        RUN npm ci --omit=dev && rm .npmrc
        """
    )
    assert "COPY" not in fixed and "rm" not in fixed
    assert "id=npmrc,target=/root/.npmrc" in fixed and "id=npmrc,target=/app/.npmrc" in fixed
    assert [c for _, c, s in findings] == ["SEC002", "SEC002"]
    assert outcome.findings[0].message.count("--secret") == 1


def test_a_builder_stage_that_keeps_the_file_is_not_reported():
    text = "FROM node:18 AS build\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci\nFROM node:18-slim\nCOPY --from=build /app/dist /dist\n"
    assert run(text)[1] == []


def test_file_and_arg_on_the_same_run_and_non_root_owner():
    fixed, _, _ = run(
        """
        FROM node:18
        ARG NPM_TOKEN
        WORKDIR /home/node/app
        COPY --chown=1000:1000 .npmrc .
        USER node
        RUN npm ci && rm .npmrc
        """
    )
    assert fixed.splitlines()[-1] == (
        "RUN --mount=type=secret,id=npm_token,mode=0444 --mount=type=secret,id=npmrc,target=/home/node/app/.npmrc,"
        'required=true,uid=1000,gid=1000 export NPM_TOKEN="$(cat /run/secrets/npm_token)" && npm ci'
    )


# ------------------------------------------------------------------ ENV and reports


def test_env_is_reported_masked_and_never_fixed():
    text = f"FROM debian\nENV GH_TOKEN={GH}\nENV DB_PASSWORD=hunter22\nENV API_URL=https://x\n"
    fixed, findings, outcome = run(text)
    assert fixed == text and findings == [(2, "SEC003", "open"), (3, "SEC003", "open")]
    assert "GH_TOKEN=****" in outcome.findings[0].message and "a GitHub token" in outcome.findings[0].message
    assert all(GH not in f.message and "hunter22" not in f.message for f in outcome.findings)


def test_names_and_values_moved_from_dig006():
    """What DIG006 reported (dockerignore, before SEC): the same names and values, masked. A
    global ARG that no stage declares is left out: only FROM lines can see it."""
    token = "ghp_" + "a1" * 20
    text = (
        "ARG NPM_TOKEN\nFROM python:3.12\nENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\n"
        f"ENV DB_PASSWORD=hunter2 PUBLIC_KEY=abc\nENV HELLO={token}\nARG API_KEY_PUBLIC=1\n"
    )
    fixed, findings, outcome = run(text)
    assert fixed == text and findings == [(4, "SEC003", "open"), (5, "SEC003", "open")]
    assert [f.message.split(" (")[0] for f in outcome.findings] == ["ENV DB_PASSWORD=****", "ENV HELLO=****"]
    assert all("hunter2" not in f.message and token not in f.message for f in outcome.findings)


@pytest.mark.parametrize("fmt", ["diff", "json", "sarif", "github"])
@pytest.mark.parametrize("unsafe", [False, True])
def test_no_report_format_carries_a_secret_value(tmp_path, fmt, unsafe):
    (tmp_path / "Dockerfile").write_text(
        "FROM node:18\n"
        f"ENV GH_TOKEN={GH}\n"
        "ARG NPM_TOKEN\n"
        f"ARG LIT_TOKEN={GH[::-1]}\n"
        "ARG PIP_INDEX_URL=https://me:hunter22@pypi.example/simple\n"
        "RUN npm ci\n"
    )
    argv = [sys.executable, "-m", "fixer", "--select", "SEC", "--format", fmt, str(tmp_path)]
    proc = subprocess.run(argv + (["--unsafe-fixes"] if unsafe else []), capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    out = proc.stdout + proc.stderr
    assert "SEC003" in out and "SEC004" in out
    if fmt == "json":
        data = json.loads(proc.stdout)
        messages = [f["message"] for r in data["files"] for f in r["findings"]]
        assert messages and all(GH not in m and GH[::-1] not in m and "hunter22" not in m for m in messages)
        out = json.dumps({k: v for k, v in data.items() if k != "files"}) + json.dumps(
            [{k: v for k, v in r.items() if k not in ("diff", "edits")} for r in data["files"]]
        )
    if fmt == "diff":
        out = proc.stderr  # findings; the diff on standard output is the user's own text
    for value in (GH, GH[::-1], "hunter22"):
        # SARIF and Markdown carry only the changed lines: the ARG NPM_TOKEN line and the RUN
        assert value not in out, (fmt, value)


# ------------------------------------------------------------------ property: idempotent

_NAMES = ["NPM_TOKEN", "GITHUB_TOKEN", "DB_PASSWORD", "VERSION", "PIP_EXTRA_INDEX_URL"]


@st.composite
def arg_run_files(draw):
    lines = []
    for stage in range(draw(st.integers(1, 3))):
        lines.append(f"FROM debian:bookworm AS s{stage}")
        for _ in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(
                ["arg", "args", "run", "run2", "pip", "user", "cont", "copy", "copy2", "rm", "rm2", "heredoc", "plain"]
            ))
            a, b = draw(st.sampled_from(_NAMES)), draw(st.sampled_from(_NAMES))
            lines.append({
                "arg": f"ARG {a}",
                "run": f'RUN echo "${a}" > /tmp/x',
                "run2": f"RUN ./build --a=${{{a}}} --b=${b} && true",
                "pip": "RUN pip install -r requirements.txt",
                "user": "USER 1000",
                "cont": f"RUN set -e; \\\n    curl -u me:${a} https://x \\\n    && echo done",
                "args": f"ARG {a} {b}",
                "copy": "COPY .npmrc /root/.npmrc",
                "copy2": "COPY .npmrc pip.conf /root/",
                "rm": "RUN npm ci && rm -f /root/.npmrc",
                "rm2": "RUN rm -f /root/.npmrc /root/pip.conf; true",
                "heredoc": f"RUN <<EOF\nset -e\necho ${a}\nEOF",
                "plain": "RUN true",
            }[kind])
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arg_run_files())
def test_idempotent_on_generated_arg_run_files(text):
    outcome = fix(text, UNSAFE)  # raises when the rewrite does not parse or a second run changes it
    again = fix(outcome.fixed, UNSAFE)
    assert again.fixed == outcome.fixed
    Document(outcome.fixed)
    fixed_names = {f.message.split()[1] for f in outcome.findings if f.code == "SEC001"}
    for name in fixed_names:  # a fixed argument is declared nowhere any more
        assert f"ARG {name}\n" not in outcome.fixed
