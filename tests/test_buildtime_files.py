"""Files the app writes that a RUN line may create at build time (issue 24): owned by name in
the stage that runs, only where they exist; never chown -R of the code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixer.run.pipeline import fix
from fixer.transforms.options import Options

CASE = Path(__file__).resolve().parent.parent / "golden" / "nonroot-django-migrate-log" / "context"
LOOP = 'for f in /app/db.sqlite3 /app/django.log; do if [ -e "$f" ]; then chown 10001:10001 "$f"; fi; done'


@pytest.fixture
def django(tmp_path: Path) -> Path:
    shutil.copytree(CASE, tmp_path / "ctx")
    return tmp_path / "ctx"


def run(ctx: Path, text: str) -> str:
    (ctx / "Dockerfile").write_text(text)
    return fix(text, Options(select=("USR",), context=ctx), ctx, ctx / "Dockerfile").fixed


SINGLE = """FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
{run}CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
"""


def test_migrate_at_build_time_owns_the_files_by_name(django):
    out = run(django, SINGLE.format(run="RUN python manage.py migrate\n"))
    assert LOOP in out
    assert "chown -R" not in out


@pytest.mark.parametrize("run_line", ["", "RUN python -m pip install gunicorn\n", "RUN pip3 install gunicorn\n"])
def test_no_app_run_at_build_time_no_loop(django, run_line):
    assert "for f in" not in run(django, SINGLE.format(run=run_line))


def test_a_script_run_at_build_time_counts(django):
    assert LOOP in run(django, SINGLE.format(run="RUN ./init.sh\n"))


def test_builder_stage_creates_them_the_runtime_stage_owns_them(django):
    text = """FROM python:3.11 AS builder
WORKDIR /app
COPY . .
RUN pip install --prefix=/install -r requirements.txt && python manage.py collectstatic --noinput
FROM python:3.11-slim
WORKDIR /app
COPY --from=builder /install /usr/local
COPY --from=builder /app /app
CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]
"""
    out = run(django, text)
    runtime = out.split("FROM python:3.11-slim", 1)[1]
    assert LOOP in runtime
