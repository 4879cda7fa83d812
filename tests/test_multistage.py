from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHARED
from fixer.document.model import Document
from fixer.transforms.options import Options
from fixer.run.pipeline import fix
from fixer.analysis.stages import split_commands
from fixer.transforms.ecosystems.base import Refused
from fixer.transforms.multistage import CODES, TRANSFORM
from fixer.transforms.multistage.plan import _RUNTIME_META, build_step, is_build_package, runtime_library

ROOT = Path(__file__).resolve().parent.parent


def run(text: str, context: Path | None, select=("MSB",), templates: str | None = None):
    options = Options(select=select, context=context, templates=Path(templates) if templates else None)
    return fix(text, options, context)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


FLASK = """\
# build the API
FROM python:3.11

ARG VERSION=1
ENV APP_ENV=prod
WORKDIR /app
# deps first
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
LABEL version=$VERSION
EXPOSE 5000
HEALTHCHECK CMD python -c "print(1)"
CMD ["python", "app.py"]
"""


def test_module_registers_first_with_documented_codes():
    from fixer.transforms import _MODULES

    # first of the transforms that restructure, right after the checks transform (CHK), which
    # only brings the file into the form BuildKit's and hadolint's checks ask for
    assert _MODULES[:2] == ("checks", "multistage")
    assert TRANSFORM.code == "MSB" and set(CODES) == {"MSB001", "MSB002", "MSB003", "MSB004"}
    doc = __import__("fixer.transforms.multistage", fromlist=["x"]).__doc__
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "## References"):
        assert heading in doc


def test_python_conversion_keeps_the_users_choices(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": ""})
    out = run(FLASK, tmp_path)
    builder, runtime = out.fixed.split("\nFROM python:3.11-slim\n")
    assert out.fixed.startswith("# build the API\nFROM python:3.11 AS builder\n")
    assert "RUN python3 -m venv /opt/venv" in builder
    assert "# deps first\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n" in builder
    for line in ("ARG VERSION=1", "ENV APP_ENV=prod", "WORKDIR /app"):
        assert line in builder and line in runtime
    for line in ("LABEL version=$VERSION", "EXPOSE 5000", 'HEALTHCHECK CMD python -c "print(1)"', 'CMD ["python", "app.py"]'):
        assert line not in builder and line in runtime
    assert "COPY --from=builder /opt/venv /opt/venv\nCOPY --from=builder /app /app\n" in runtime
    assert "pip install" not in runtime
    assert [f.code for f in out.findings] == ["MSB001"] and out.findings[0].fixed


def test_conversion_is_stable_and_the_runtime_then_goes_non_root(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n"})
    out = run(FLASK, tmp_path, select=("MSB", "USR"))
    assert fix(out.fixed, Options(select=("MSB", "USR"), context=tmp_path), tmp_path).fixed == out.fixed
    runtime = out.fixed.split("FROM python:3.11-slim")[1]
    assert "USER 10001:10001" in runtime and "useradd" in runtime
    assert "USER" not in out.fixed.split("FROM python:3.11-slim")[0]


def test_runtime_libraries_replace_dev_packages(tmp_path):
    write(tmp_path, {"requirements.txt": "psycopg2\n"})
    text = (
        "FROM python:3.12-bookworm\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev libffi-dev curl "
        "&& rm -rf /var/lib/apt/lists/*\n"
        "WORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"-m\", \"app\"]\n"
    )
    out = run(text, tmp_path)
    runtime = out.fixed.split("FROM python:3.12-slim-bookworm\n")[1]
    assert "apt-get install -y --no-install-recommends libpq5 libffi8 curl" in runtime
    assert "gcc" not in runtime and "-dev" not in runtime


def test_runtime_library_data():
    assert runtime_library("apt", "libpq-dev", None) == "libpq5"
    assert runtime_library("apt", "libffi-dev", "bullseye") == "libffi7"
    assert runtime_library("apt", "libssl-dev", "trixie") == "libssl3t64"
    assert runtime_library("apt", "libc6-dev", None) == ""
    assert runtime_library("apt", "libnothing-dev", None) is None
    assert runtime_library("apk", "postgresql-dev", None) == "libpq"
    assert is_build_package("apt", "build-essential") and is_build_package("apt", "libpq-dev=15.1")
    assert not is_build_package("apt", "curl")


@pytest.mark.parametrize(
    "words, step",
    [
        ("pip install -r r.txt", "pip install"),
        ("python -m pip install .", "pip install"),
        ("npm ci", "npm ci"),
        ("npm run build", "npm run build"),
        ("yarn", "yarn"),
        ("go build -o /x .", "go build"),
        ("./mvnw -B package", "./mvnw package"),
        ("cargo build --release", "cargo build"),
        ("python manage.py collectstatic", None),
        ("npm cache clean --force", None),
        ("go mod download", None),
    ],
)
def test_build_step(words, step):
    assert build_step(words.split()) == step


def test_global_installs_are_refused():
    with pytest.raises(Refused):
        build_step("npm install -g nodemon".split())
    with pytest.raises(Refused):
        build_step("yarn global add x".split())


def test_split_commands_keeps_empty_words():
    assert split_commands('adduser --gecos "" --home /x app && ls') == [["adduser", "--gecos", "", "--home", "/x", "app"], ["ls"]]


@pytest.mark.parametrize(
    "dockerfile, files, reason",
    [
        ("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nRUN wget -O /usr/bin/x http://x\nCMD [\"x\"]\n",
         {"requirements.txt": ""}, "calls wget"),
        ("FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"a.py\"]\n",
         {"requirements.txt": ""}, "without a WORKDIR"),
        ("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install --target /deps -r requirements.txt\n",
         {"requirements.txt": ""}, "--target"),
        ("FROM ubuntu:22.04\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n",
         {"requirements.txt": ""}, "not a python image"),
        ("FROM python:3.12@sha256:" + "a" * 64 + "\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n",
         {"requirements.txt": ""}, "pinned by digest"),
        ("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN <<EOF\npip install -r requirements.txt\nEOF\n",
         {"requirements.txt": ""}, "heredoc"),
        ("FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .\nCMD /bin/app --serve\n",
         {"go.mod": "module a/app\n"}, "shell form"),
        ("FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o '/bin/$(id)' .\nCMD [\"/bin/x\"]\n",
         {"go.mod": "module a/app\n"}, "not a plain path"),
        ("FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .\nRUN apt-get update && apt-get install -y ca-certificates\nENTRYPOINT [\"/bin/app\"]\n",
         {"go.mod": "module a/app\n"}, "distroless static has no shell"),
        ("FROM rust:1.79\nWORKDIR /src\nCOPY . .\nRUN cargo build\nCMD [\"./target/debug/x\"]\n",
         {"Cargo.toml": "[package]\nname='x'\n"}, "--release"),
        ("FROM maven:3.9-eclipse-temurin-17\nWORKDIR /b\nCOPY . .\nRUN mvn package\nCMD [\"mvn\", \"spring-boot:run\"]\n",
         {"pom.xml": "<project><artifactId>a</artifactId><version>1</version></project>"}, "runs mvn"),
        ("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN apt-get update && apt-get install -y 'gcc;id'\nRUN pip install .\n",
         {"setup.py": ""}, "not a plain package name"),
        ("FROM python:3.12\nWORKDIR /app\nCOPY --chown=$(id) . .\nRUN pip install .\n",
         {"setup.py": ""}, "not a plain user:group"),
    ],
)
def test_what_does_not_fit_is_left_unchanged_with_a_reason(tmp_path, dockerfile, files, reason):
    write(tmp_path, files)
    out = run(dockerfile, tmp_path)
    assert out.fixed == dockerfile
    assert [f.code for f in out.findings] == ["MSB002"], out.findings
    assert reason in out.findings[0].message and not out.findings[0].fixed


def test_stages_that_build_nothing_are_left_alone_silently(tmp_path):
    write(tmp_path, {"requirements.txt": ""})
    text = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN curl -o /x http://x\nCMD [\"python\", \"a.py\"]\n"
    out = run(text, tmp_path)
    assert out.fixed == text and out.findings == []


def test_unknown_ecosystem_is_reported(tmp_path):
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y gcc\nWORKDIR /s\nCOPY . .\nRUN gcc -o /x x.c\n"
    out = run(text, tmp_path)
    assert out.fixed == text and [f.code for f in out.findings] == ["MSB003"]


def test_go_without_output_flag_uses_the_module_name(tmp_path):
    write(tmp_path, {"go.mod": "module example.com/me/svc\n"})
    text = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build\nENTRYPOINT [\"./svc\"]\n"
    out = run(text, tmp_path)
    assert "COPY --from=builder /src/svc /src/svc" in out.fixed
    assert "FROM gcr.io/distroless/static-debian12:nonroot" in out.fixed and "ENV CGO_ENABLED=0" in out.fixed


def test_rust_that_needs_a_shell_gets_debian_slim(tmp_path):
    write(tmp_path, {"Cargo.toml": "[package]\nname = 'srv'\n"})
    text = "FROM rust:1.79-bookworm\nRUN apt-get update && apt-get install -y libssl-dev pkg-config\nWORKDIR /w\nCOPY . .\nRUN cargo build --release\nCMD ./target/release/srv\n"
    out = run(text, tmp_path)
    assert "FROM debian:bookworm-slim" in out.fixed and "libssl3" in out.fixed.split("FROM debian")[1]


def test_keywords_case_crlf_and_missing_final_newline(tmp_path):
    write(tmp_path, {"requirements.txt": ""})
    text = "from python:3.11\r\nworkdir /app\r\ncopy . .\r\nrun pip install -r requirements.txt\r\ncmd [\"python\", \"a.py\"]"
    out = run(text, tmp_path)
    assert out.fixed.startswith("from python:3.11 as builder\r\n")
    assert "\n" not in out.fixed.replace("\r\n", "") and not out.fixed.endswith("\n")
    assert Document(out.fixed)


def test_an_organisations_template_overrides_the_builtin(tmp_path):
    write(tmp_path, {"requirements.txt": ""})
    tpl = tmp_path / "tpl"
    write(tpl, {"python.Dockerfile.j2": "{{ builder_from }}\n{{ builder_steps }}\nFROM registry.example.com/python:{{ venv | length }}\n{{ metadata }}"})
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"a\"]\n"
    out = run(text, tmp_path, templates=str(tpl))
    assert "FROM registry.example.com/python:9\n" in out.fixed


def test_a_template_with_an_undefined_variable_is_a_finding_not_a_crash(tmp_path):
    write(tmp_path, {"requirements.txt": ""})
    tpl = tmp_path / "tpl"
    write(tpl, {"python.Dockerfile.j2": "{{ builder_from }}\n{{ no_such_variable }}\n"})
    text = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    out = run(text, tmp_path, templates=str(tpl))
    assert out.fixed == text and "no_such_variable" in out.findings[0].message


def test_multi_stage_files_are_not_touched(tmp_path):
    text = "FROM golang:1.22 AS b\nRUN go build -o /x\nFROM scratch\nCOPY --from=b /x /x\n"
    assert run(text, tmp_path).fixed == text


def test_templates_import_jinja2_lazily():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, fixer.transforms.multistage, fixer.transforms.ecosystems, fixer.integrations.init; print('jinja2' in sys.modules, 'libcst' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "False False"


def test_a_stage_that_builds_nothing_reads_no_project_file(tmp_path):
    """The language (from file names) decides whether a stage builds; setup.py and the app are
    read (with libcst, a 0.2 s import) only for a stage that is converted."""
    write(tmp_path, {"app.py": "from flask import Flask\napp = Flask(__name__)\n", "setup.py": "from setuptools import setup\nsetup(name='x')\n"})
    code = (
        "import sys; from pathlib import Path; from fixer.run.pipeline import fix; from fixer.transforms.options import Options; "
        f"ctx = Path({str(tmp_path)!r}); "
        "out = fix('FROM python:3.12-slim\\nCOPY app.py /app/\\nCMD [\"python\", \"/app/app.py\"]\\n', Options(context=ctx), ctx); "
        "print('libcst' in sys.modules, len(out.findings) > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True"


# ------------------------------------------------------------------ real builds

BUILDENV = Path("/var/tmp/imgfix-buildenv/env.sh")
VERIFY = SHARED / "buildenv" / "verify.sh"


def _verify(dockerfile: Path, context: Path, *flags: str) -> dict[str, str]:
    out = subprocess.run(["bash", str(VERIFY), *flags, str(dockerfile), str(context)], capture_output=True, text=True, timeout=900)
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", out.stdout, re.M))
    values["rc"] = str(out.returncode)
    return values


CLI_DOCKERFILE = """\
# A CLI tool with a compiled dependency (psycopg2 builds against libpq).
FROM python:3.11

RUN apt-get update \\
    && apt-get install -y --no-install-recommends gcc libpq-dev \\
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY cli.py .
CMD ["python", "cli.py"]
"""


@pytest.mark.build
@pytest.mark.skipif(not BUILDENV.exists() or shutil.which("buildah") is None or not VERIFY.exists(), reason="no build environment: run ../shared/buildenv/setup.sh as root")
@pytest.mark.parametrize("app", ["flask", "cli"])
def test_converted_python_images_build_run_non_root_and_are_smaller(tmp_path, app):
    if app == "flask":
        shutil.copytree(ROOT / "examples" / "flask-app", tmp_path, dirs_exist_ok=True)
        flags = ("-P",)
    else:
        write(tmp_path, {
            "requirements.txt": "psycopg2==2.9.9\n",
            "cli.py": "import psycopg2.extensions as e\nprint('libpq', e.libpq_version())\n",
            "Dockerfile": CLI_DOCKERFILE,
        })
        flags = ()
    original = (tmp_path / "Dockerfile").read_text()
    out = fix(original, Options(select=("MSB", "USR"), context=tmp_path), tmp_path)
    assert "MSB001" in [f.code for f in out.findings]
    (tmp_path / "Dockerfile.fixed").write_text(out.fixed)
    before = _verify(tmp_path / "Dockerfile", tmp_path, *flags)
    after = _verify(tmp_path / "Dockerfile.fixed", tmp_path, *flags)
    assert after["RESULT"] == "ok", after
    assert after["UID"] != "0"
    assert int(after["IMAGE_SIZE"]) < int(before["IMAGE_SIZE"])


def test_organisation_templates_override_the_built_in_ones(tmp_path, capsys):
    """--templates DIR (or `templates` in the configuration): a file of the same name wins."""
    from fixer.transforms import templates
    from fixer.integrations.cli import main

    case = Path(__file__).resolve().parent.parent / "golden" / "multistage-python-flask"
    project = tmp_path / "project"
    shutil.copytree(case / "context", project)
    shutil.copy(case / "Dockerfile", project / "Dockerfile")
    ours = tmp_path / "org-templates"
    ours.mkdir()
    built_in = (templates.folder() / "python.Dockerfile.j2").read_text()
    (ours / "python.Dockerfile.j2").write_text(built_in.replace("{{ builder_from }}\n", "{{ builder_from }}\n# built from ACME's template\n"))
    with pytest.raises(SystemExit):
        main(["--select", "MSB", "--templates", str(ours), str(project)])
    assert "+# built from ACME's template" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--select", "MSB", str(project)])
    assert "ACME" not in capsys.readouterr().out


def test_a_checkout_finds_the_built_in_templates(tmp_path):
    """``fixer`` imported from the source tree (``python -m fixer`` in a clone, tests run from
    the root next to a non-editable install) converts with the top-level templates/ folder."""
    case = ROOT / "golden" / "multistage-python-flask"
    project = tmp_path / "project"
    shutil.copytree(case / "context", project)
    shutil.copy(case / "Dockerfile", project / "Dockerfile")
    code = "import sys, fixer; print(fixer.__file__, file=sys.stderr); from fixer.integrations.cli import main; main(sys.argv[1:])"
    out = subprocess.run(
        [sys.executable, "-c", code, "--select", "MSB", "--no-color", str(project)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert out.stderr.splitlines()[0] == str(ROOT / "fixer" / "__init__.py")
    assert "failed to render" not in out.stderr, out.stderr
    assert "+FROM python:3.11 AS builder" in out.stdout, out.stderr


def test_split_commands_is_remembered_but_hands_out_fresh_lists():
    from fixer.analysis.stages import split_commands

    first = split_commands("apt-get update && sudo apt-get install -y curl")
    assert first == [["apt-get", "update"], ["apt-get", "install", "-y", "curl"]]
    first[0].append("changed")
    first.append(["x"])
    assert split_commands("apt-get update && sudo apt-get install -y curl") == [
        ["apt-get", "update"], ["apt-get", "install", "-y", "curl"]
    ]


def test_the_runtime_keeps_the_platform_the_from_line_chose(tmp_path):
    """The single stage's image was built for that platform (e.g. the build machine's): the
    runtime stage keeps it, or a cross-build would ship binaries for the wrong machine."""
    write(tmp_path, {"go.mod": "module example.com/me/svc\n"})
    text = "FROM --platform=$BUILDPLATFORM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/svc .\nENTRYPOINT [\"/out/svc\"]\n"
    out = run(text, tmp_path)
    froms = [line for line in out.fixed.splitlines() if line.startswith("FROM")]
    assert froms == [
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS builder",
        "FROM --platform=$BUILDPLATFORM gcr.io/distroless/static-debian12:nonroot",
    ]
    # an organisation's template that drops it is refused, not followed
    tpl = tmp_path / "tpl"
    write(tpl, {"go.Dockerfile.j2": "{{ builder_from }}\n{{ builder_steps }}\nFROM {{ runtime_image }}\n{{ metadata }}"})
    out = run(text, tmp_path, templates=str(tpl))
    assert out.fixed == text and "does not carry --platform=$BUILDPLATFORM" in out.findings[0].message


def test_the_users_own_blank_lines_stay_in_the_converted_stage(tmp_path):
    write(tmp_path, {"requirements.txt": ""})
    text = "FROM python:3.11\nWORKDIR /app\n\n\n# deps\nCOPY . .\nRUN pip install -r requirements.txt\n\n\nCMD [\"python\", \"a.py\"]\n"
    out = run(text, tmp_path)
    assert "WORKDIR /app\n\n\n# deps\nCOPY . .\n" in out.fixed  # the user's two blank lines
    assert "\n\n\n\n" not in out.fixed and Document(out.fixed)


def test_blank_lines_right_after_the_from_line_stay_too(tmp_path):
    write(tmp_path, {"requirements.txt": ""})
    text = "FROM python:3.11\n\n\n# deps\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"a.py\"]\n"
    out = run(text, tmp_path)
    assert out.fixed.count("\n\n\n# deps\n") == 1 and "\n\n\n\n" not in out.fixed


def _converted_cases() -> list[Path]:
    golden = ROOT / "golden"
    return sorted(
        case for case in golden.glob("multistage-*")
        if (case / "expected.findings").is_file() and "MSB001 fixed" in (case / "expected.findings").read_text()
    )


@pytest.mark.parametrize("case", _converted_cases(), ids=lambda p: p.name)
@pytest.mark.parametrize("filler", [" ", "\t", "  \t "])
def test_lines_of_only_spaces_stay_byte_for_byte_in_a_converted_stage(case, filler):
    """Issue 14 §5: a line holding only spaces/tabs is the user's; the conversion keeps it as it
    is wherever it copies the lines around it (it used to become an empty line)."""
    text = (case / "Dockerfile").read_bytes().decode()
    newline = "\r\n" if "\r\n" in text else "\n"
    doc = Document(text)
    stage_instrs = doc.instructions[1:]
    marked = text
    # a spaces-only line before every instruction after the FROM, each one a different width
    for n, instr in reversed(list(enumerate(stage_instrs))):
        at = doc.line_start(instr.start)
        marked = marked[:at] + filler * (n + 1) + newline + marked[at:]
    context = case / "context" if (case / "context").is_dir() else case
    options = Options(select=("MSB",), context=context, unsafe_fixes=True)  # the static front-end too
    out = fix(marked, options, context)
    assert "MSB001" in [f.code for f in out.findings if f.fixed], out.findings
    for n, instr in enumerate(stage_instrs):
        if instr.cmd in _RUNTIME_META:
            continue  # the runtime's CMD/EXPOSE... follow the template's COPY lines, as blank lines do
        # a RUN/COPY goes to the builder only, ENV/WORKDIR to both: at least once, as it was
        assert filler * (n + 1) + newline in out.fixed, (n, instr.keyword, out.fixed)
    # and no spaces-only line became an empty one: no more empty lines than without them
    plain = fix(text, options, context).fixed
    assert out.fixed.split(newline).count("") <= plain.split(newline).count(""), out.fixed
