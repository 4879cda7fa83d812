"""Kubernetes manifests and Helm values that no longer match the rewritten image: reported
(USR011), never edited (issue 24)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixer.run.pipeline import fix
from fixer.transforms.options import Options

CASE = Path(__file__).resolve().parent.parent / "golden" / "compose-port-move"
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  template:
    spec:
      securityContext:
        runAsUser: {uid}
      containers:
        - name: server
          image: {image}
          ports:
            - containerPort: 80
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    app = tmp_path / "src" / "frontend"
    app.mkdir(parents=True)
    for name in ("Dockerfile", "app.py", "requirements.txt"):
        shutil.copy(CASE / name, app / name)
    (tmp_path / "k8s").mkdir()
    return tmp_path


def run(repo: Path, unsafe: bool = True):
    path = repo / "src" / "frontend" / "Dockerfile"
    return fix(path.read_text(), Options(select=("USR",), unsafe_fixes=unsafe, context=path.parent), path.parent, path)


def messages(outcome) -> list[str]:
    return [f.message for f in outcome.findings if f.code == "USR011"]


def test_run_as_user_and_container_port_that_no_longer_match(repo):
    (repo / "k8s" / "frontend.yaml").write_text(DEPLOYMENT.format(uid=1000, image="gcr.io/acme/frontend:v1"))
    before = (repo / "k8s" / "frontend.yaml").read_text()
    out = run(repo)
    found = messages(out)
    assert any("runAsUser: 1000" in m and "uid 10001" in m for m in found)
    assert any("names port 80" in m and "8080" in m for m in found)
    assert (repo / "k8s" / "frontend.yaml").read_text() == before and out.files == []


def test_matching_manifest_is_quiet(repo):
    (repo / "k8s" / "frontend.yaml").write_text(DEPLOYMENT.format(uid=10001, image="frontend").replace("80\n", "8080\n"))
    assert messages(run(repo)) == []


def test_another_image_is_not_this_one(repo):
    (repo / "k8s" / "backend.yaml").write_text(DEPLOYMENT.format(uid=1000, image="gcr.io/acme/backend:v1"))
    assert messages(run(repo)) == []


def test_nothing_changed_nothing_reported(repo):
    (repo / "k8s" / "frontend.yaml").write_text(DEPLOYMENT.format(uid=1000, image="frontend"))
    assert messages(run(repo, unsafe=False)) == []  # the port move is held back: the stage stays root


def test_helm_values_and_templates(repo):
    chart = repo / "charts" / "frontend"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: frontend\n")
    (chart / "values.yaml").write_text("image:\n  repository: registry.example.com/frontend\npodSecurityContext:\n  runAsUser: 2000\n")
    (chart / "templates" / "deployment.yaml").write_text("spec:\n  containers:\n    - image: {{ .Values.image.repository }}\n")
    [message] = messages(run(repo))
    assert "charts/frontend/values.yaml" in message and "runAsUser: 2000" in message


def test_compose_image_name_counts(repo):
    (repo / "compose.yaml").write_text("services:\n  web:\n    build: ./src/frontend\n    image: acme/shop-web:1\n")
    (repo / "k8s" / "web.yaml").write_text(DEPLOYMENT.format(uid=1000, image="acme/shop-web:2"))
    assert any("runAsUser: 1000" in m for m in messages(run(repo)))
