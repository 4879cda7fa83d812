"""Issue 14 §2: what an application writes into its own folder, read without running it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixer.analysis.stages import Analysis
from fixer.analysis.appwrites import find, js_writes, ownable, py_writes
from fixer.document.model import Document
from fixer.transforms.options import Options
from fixer.run.pipeline import fix

USR = ("USR",)


def paths(found):
    return [(line, path) for line, _how, path in found]


@pytest.mark.parametrize(
    "code, expected",
    [
        ('import logging\nlogging.basicConfig(filename="api.log")\n', [(2, "api.log")]),
        ('from logging import basicConfig\nbasicConfig(level=1, filename="a/b.log")\n', [(2, "a/b.log")]),
        ('import logging\nh = logging.FileHandler("app.log", mode="a")\n', [(2, "app.log")]),
        ('import logging.handlers as h\nx = logging.handlers.RotatingFileHandler(filename="r.log")\n', [(2, "r.log")]),
        ('import sqlite3\ncon = sqlite3.connect("data.db")\n', [(2, "data.db")]),
        ('import sqlite3\ncon = sqlite3.connect(":memory:")\n', [(2, ":memory:")]),  # dropped later
        ('URI = "sqlite:///site.db"\n', [(1, "site.db")]),
        ('URI = "sqlite:////var/data/site.db"\n', [(1, "/var/data/site.db")]),
        ('URI = "postgresql://db/x"\n', []),
        ('with open("out.txt", "w") as f: pass\n', [(1, "out.txt")]),
        ('with open("out.txt", mode="a") as f: pass\n', [(1, "out.txt")]),
        ('with open("in.txt") as f: pass\nwith open("in.txt", "rb") as f: pass\n', []),
        ('name = input()\nopen(name, "w")\n', []),  # not a literal: not followed
        ("this is not python(\n", []),
    ],
)
def test_python_patterns(code, expected):
    assert paths(py_writes(code, "/app/main.py")) == expected


def test_python_paths_built_from_file_and_module_names():
    code = (
        "import os\nfrom pathlib import Path\n"
        "BASE_DIR = Path(__file__).resolve().parent.parent\n"
        "OLD = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}\n'
        'LOGGING = {"handlers": {"f": {"class": "logging.handlers.RotatingFileHandler", '
        '"filename": os.path.join(OLD, "logs", "d.log")}}}\n'
        'URL = f"sqlite:///{BASE_DIR}/x.db"\n'
        'POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "app"}\n'
    )
    assert paths(py_writes(code, "/srv/site/proj/settings.py")) == [
        (5, "/srv/site/db.sqlite3"),
        (6, "/srv/site/logs/d.log"),
        (7, "/srv/site/x.db"),
    ]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("fs.writeFileSync('out.json', data)", [(1, "out.json")]),
        ('fs.appendFile("a.log", x, cb)', [(1, "a.log")]),
        ("await fs.promises.writeFile(`report.txt`, x)", [(1, "report.txt")]),
        ("const s = createWriteStream(path.join(__dirname, 'logs', 'e.log'))", [(1, "/app/src/logs/e.log")]),
        ("const s = fs.createWriteStream(path.resolve(process.cwd(), 'w.log'))", [(1, "./w.log")]),
        ("const db = new sqlite3.Database('./data.db')", [(1, "./data.db")]),
        ("const db = new Database('app.db', { verbose })", [(1, "app.db")]),
        ("const db = require('better-sqlite3')('b.db')", [(1, "b.db")]),
        ("// fs.writeFileSync('commented.txt', x)\n/* fs.appendFileSync('c.log') */", []),
        ("fs.writeFileSync(`${dir}/x`, y); fs.writeFileSync(name, y)", []),  # computed: not followed
        ("const s = '// not a comment'; fs.appendFileSync('after.log', s)", [(1, "after.log")]),
    ],
)
def test_javascript_patterns(code, expected):
    assert paths(js_writes(code, "/app/src/server.js")) == expected


def test_app_folders_that_are_never_the_apps_own():
    assert ownable("/app") and ownable("/usr/src/app") and ownable("/srv/app")
    assert not any(ownable(p) for p in ("/", "/usr", "/usr/src", "/opt", "/etc/app", "/tmp/x", "/usr/local/lib/x"))


def _project(tmp_path: Path, dockerfile: str, files: dict[str, str]) -> tuple[Analysis, Path]:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return (Analysis(Document(dockerfile), tmp_path, tmp_path / "Dockerfile") if dockerfile else None), tmp_path


def test_files_reach_the_runtime_through_copy_from(tmp_path):
    dockerfile = (
        "FROM python:3.11 AS builder\nWORKDIR /src\nCOPY . .\n"
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY --from=builder /src /app\nCMD [\"python\", \"main.py\"]\n"
    )
    analysis, _ = _project(tmp_path, dockerfile, {
        "main.py": 'import sqlite3\nsqlite3.connect("state/app.db")\n',
        "state/app.db": "",
        "uploads/.keep": "",
        "media/views.py": "print(1)\n",  # a code folder named like a data one: left alone
    })
    writes = find(analysis, analysis.final_stage)
    assert writes.app_dir == "/app"
    assert writes.folders == ["/app", "/app/state"] and writes.files == ["/app/state/app.db"]
    assert writes.trees == ["/app/uploads"]
    assert any("main.py:2 sqlite3.connect()" in r for r in writes.reasons)


def test_what_the_dockerignore_leaves_out_is_not_chowned(tmp_path):
    analysis, _ = _project(tmp_path, "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n", {
        "db.sqlite3": "", ".dockerignore": "*.sqlite3\n",
    })
    writes = find(analysis, analysis.final_stage)
    assert writes.files == [] and writes.folders == ["/app"]


def test_the_rewrite_owns_the_app_folder_and_says_why(tmp_path):
    _analysis, ctx = _project(tmp_path, "", {
        "app.py": 'import logging\nlogging.basicConfig(filename="api.log")\nopen("/var/log/x.log", "a")\n',
        "data.db": "",
    })
    text = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
    out = fix(text, Options(select=USR, context=ctx), ctx)
    assert "&& chown 10001:10001 /app /app/data.db\nUSER 10001:10001\n" in out.fixed
    (note,) = [f for f in out.findings if f.code == "USR008"]
    assert note.fixed and "api.log: app.py:2 logging.basicConfig()" in note.message
    assert "outside it: /var/log/x.log (app.py:3" in note.message
    assert "chown -R" not in out.fixed  # the code stays root's


def test_no_context_still_owns_the_folder_and_a_system_workdir_is_never_owned():
    out = fix("FROM debian:bookworm\nWORKDIR /srv/app\nCMD [\"x\"]\n", Options(select=USR))
    assert "chown 10001:10001 /srv/app" in out.fixed
    out = fix("FROM debian:bookworm\nWORKDIR /usr/local\nCMD [\"x\"]\n", Options(select=USR))
    assert "/usr/local" not in out.fixed.split("WORKDIR /usr/local", 1)[1]


def test_distroless_cannot_chown_and_says_so(tmp_path):
    _a, ctx = _project(tmp_path, "", {"app.py": 'open("out.txt", "w")\n'})
    text = "FROM gcr.io/distroless/python3-debian12\nWORKDIR /app\nCOPY . .\nCMD [\"app.py\"]\n"
    out = fix(text, Options(select=USR, context=ctx), ctx)
    (warn,) = [f for f in out.findings if f.code == "USR005"]
    assert "/app stay owned by root" in warn.message and "RUN" not in out.fixed


def test_libcst_is_read_only_for_a_stage_that_gets_a_user(tmp_path):
    (tmp_path / "app.py").write_text('open("x", "w")\n')
    code = (
        "import sys; from pathlib import Path; from fixer.run.pipeline import fix; from fixer.transforms.options import Options; "
        f"ctx = Path({str(tmp_path)!r}); "
        "fix('FROM python:3.12-slim\\nUSER 1000\\nWORKDIR /app\\nCOPY . .\\n', Options(context=ctx, select=('USR',)), ctx); "
        "print('libcst' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_reading_is_capped(tmp_path, monkeypatch):
    from fixer.analysis import appwrites

    files = {f"m{i:03}.py": f'open("f{i}.txt", "w")\n' for i in range(30)}
    analysis, _ = _project(tmp_path, "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n", files)
    monkeypatch.setitem(appwrites.data()["read"], "max_files", 5)
    writes = find(analysis, analysis.final_stage)
    assert len(writes.reasons) == 5
