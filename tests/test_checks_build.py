"""Issue 23, real builds: a Dockerfile rewritten by the checks transform (``--select CHK``)
builds and runs the same as the original: exec-form CMD with arguments, key=value ENV with
spaces and quotes, renamed stages and their references, a relative WORKDIR made absolute,
MAINTAINER as a label; with ``--unsafe-fixes``, ``SHELL`` with pipefail and a shell-syntax CMD
wrapped in ``/bin/sh -c "... exec ..."``. Both are built with buildah and run with podman on
the build environment's local Debian image; the output of the default command must be equal.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from test_verify import buildenv, make_project  # noqa: F401  (buildenv is a fixture)

pytestmark = pytest.mark.build

SHOW = """
    #!/bin/sh
    echo "cwd=$(pwd)"
    for name in "$@"; do printf '%s=[%s]\\n' "$name" "$(printenv "$name")"; done
    cat /copied/marker
"""

CASES = {
    "safe": (
        r"""
        FROM debian:bookworm-slim AS Base
        MAINTAINER Jane Doe <jane@example.com>
        ENV GREETING hello   big world
        ENV QUOTED "two words"
        ENV MIXED "part one" part 'two  three'
        ENV ESCAPED a\ b
        ENV JAVA_OPTS \
            -Xmx512m -Xms256m
        ENV PATH /opt/tools:$PATH
        LABEL description A small image
        RUN mkdir -p /srv/data && echo base > /marker
        WORKDIR /srv
        WORKDIR data

        from Base as Final
        COPY --from=Base /marker /copied/marker
        COPY show.sh /usr/local/bin/show
        CMD echo overridden
        CMD show GREETING QUOTED MIXED ESCAPED JAVA_OPTS PATH
        """,
        [],
    ),
    "unsafe": (
        """
        FROM debian:bookworm-slim
        RUN echo piped | tr a-z A-Z > /upper && mkdir /copied && cp /upper /copied/marker
        COPY show.sh /usr/local/bin/show
        WORKDIR /srv
        CMD cd /tmp && show HOME
        """,
        ["--unsafe-fixes"],
    ),
}


def _build_and_run(dockerfile, context) -> tuple[str, dict]:
    tag = f"localhost/imgfix-chk-{uuid.uuid4().hex[:10]}"
    try:
        built = subprocess.run(["buildah", "bud", "--pull-never", "--layers", "-f", str(dockerfile), "-t", tag, str(context)],
                               capture_output=True, text=True, timeout=600)
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
        config = json.loads(subprocess.run(["podman", "image", "inspect", tag], capture_output=True, text=True, check=True).stdout)[0]["Config"]
        run = subprocess.run(["podman", "run", "--rm", "--pull=never", "--network", "none", tag], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        return run.stdout, config
    finally:
        subprocess.run(["podman", "rmi", "-f", tag], capture_output=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_checks_rewrite_builds_and_runs_the_same(buildenv, tmp_path, case):  # noqa: F811
    dockerfile, flags = CASES[case]
    original = make_project(tmp_path / "original", dockerfile, **{"show.sh": SHOW})
    (tmp_path / "original" / "show.sh").chmod(0o755)
    fixed = make_project(tmp_path / "fixed", dockerfile, **{"show.sh": SHOW})
    (tmp_path / "fixed" / "show.sh").chmod(0o755)
    proc = subprocess.run([sys.executable, "-m", "fixer", "fix", "--write", "--select", "CHK", *flags, str(fixed)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    rewritten = fixed.read_text()
    assert rewritten != original.read_text()
    before, before_config = _build_and_run(original, original.parent)
    after, after_config = _build_and_run(fixed, fixed.parent)
    assert after == before and "cwd=" in after
    assert after_config["Env"] == before_config["Env"]
    if case == "safe":
        assert 'CMD ["show", "GREETING", "QUOTED", "MIXED", "ESCAPED", "JAVA_OPTS", "PATH"]' in rewritten
        assert "FROM base AS final" in rewritten and "--from=base" in rewritten
        assert after_config["Cmd"] == ["show", "GREETING", "QUOTED", "MIXED", "ESCAPED", "JAVA_OPTS", "PATH"]
        assert after_config["Labels"]["org.opencontainers.image.authors"] == "Jane Doe <jane@example.com>"
        assert after_config["Labels"]["description"] == before_config["Labels"]["description"]
        assert "hello   big world" in after and "MIXED=[part one part two  three]" in after and "cwd=/srv/data" in after
    else:
        assert 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]' in rewritten
        assert after_config["Cmd"] == ["/bin/sh", "-c", "cd /tmp && exec show HOME"]
        assert "cwd=/tmp" in after and "PIPED" in after
