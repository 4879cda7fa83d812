"""Issue 14, real builds (podman, the local stand-in bases): apps that write into their own
folder, a ``go run`` image whose tools need a home, and an already-slim image the multi-stage
transform must leave alone. Each one goes through ``imgfix verify`` (the CLI, as a user runs
it): the original and the rewrite are built and run side by side, the uid is read from the
running process, and verify must report no regression.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fixer.transforms.options import Options
from fixer.run.pipeline import fix
from test_verify import buildenv, make_project, our_leftovers  # noqa: F401  (buildenv is a fixture)

pytestmark = pytest.mark.build

# answers only after it has written: a log line, and (with a database) a row it counts
WRITING_APP = """
    import http.server
    import logging
    import sqlite3

    logging.basicConfig(filename="api.log", level=logging.INFO)
    DB = {db!r}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            logging.info("GET %s", self.path)
            count = 0
            if DB:
                con = sqlite3.connect(DB)
                con.execute("INSERT INTO hits (path) VALUES (?)", (self.path,))
                con.commit()
                count = con.execute("SELECT count(*) FROM hits").fetchone()[0]
                con.close()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(f"hits {{count}}\\n".encode())

    http.server.HTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


def verify(path: Path, select: str, wait: float = 10) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "fixer", "verify", str(path), "--pull", "never", "--select", select,
         "--wait", str(wait), "--format", "json"],
        capture_output=True, text=True, timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (v,) = json.loads(proc.stdout)["files"]
    return v


def assert_works_as_non_root(v: dict, uid: int = 10001) -> None:
    orig, new = v["original"], v["rewritten"]
    assert v["changed"] and v["regressions"] == [], v
    assert orig["built"] and new["built"], new["build_error"]
    assert orig["uid"] == 0 and orig["uid_source"] == "process"
    assert new["running"], new["logs"]
    assert new["uid"] == uid and new["uid_source"] == "process", new
    assert orig["http_status"] == new["http_status"] == 200, new["logs"]


def test_an_app_that_logs_to_a_file_keeps_working_after_the_split_and_the_user(buildenv, tmp_path):  # noqa: F811
    """Full image → builder + slim runtime (COPY --from=builder /app /app), then the user:
    the app folder the copy leaves to root is made the user's own, so basicConfig can create
    api.log at start and the handler can append to it."""
    path = make_project(
        tmp_path,
        """
        FROM python:3.11
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
        EXPOSE 8000
        CMD ["python", "app.py"]
        """,
        **{"app.py": WRITING_APP.format(db=""), "requirements.txt": ""},
    )
    out = fix(path.read_text(), Options(select=("MSB", "USR"), context=tmp_path), tmp_path)
    # the folder is the user's (the files in it are not; a log file already there would be, by name)
    assert "COPY --from=builder /app /app" in out.fixed and "&& chown 10001:10001 /app " in out.fixed
    assert "api.log: app.py:5 logging.basicConfig()" in next(f.message for f in out.findings if f.code == "USR008")
    v = verify(path, "MSB,USR")
    assert_works_as_non_root(v)
    assert v["rewritten"]["image_size"] < v["original"]["image_size"]  # the split pays here


def test_an_app_with_sqlite_in_its_folder_keeps_writing(buildenv, tmp_path):  # noqa: F811
    path = make_project(
        tmp_path,
        """
        FROM python:3.11-slim
        WORKDIR /srv/app
        COPY . .
        EXPOSE 8000
        CMD ["python", "app.py"]
        """,
        **{"app.py": WRITING_APP.format(db="db.sqlite3")},
    )
    con = sqlite3.connect(tmp_path / "db.sqlite3")
    con.execute("CREATE TABLE hits (path TEXT)")
    con.commit()
    con.close()
    out = fix(path.read_text(), Options(select=("USR",), context=tmp_path), tmp_path)
    assert "chown 10001:10001 /srv/app /srv/app/db.sqlite3" in out.fixed
    assert_works_as_non_root(verify(path, "USR"))


def test_go_run_starts_as_non_root_with_a_home_for_its_build_cache(buildenv, tmp_path):  # noqa: F811
    path = make_project(
        tmp_path,
        """
        FROM golang:1.19
        WORKDIR /go/src/app
        COPY . .
        EXPOSE 8000
        CMD ["go", "run", "main.go"]
        """,
        **{
            "go.mod": "module example.com/hello\n\ngo 1.19\n",
            "main.go": (
                'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc main() {\n'
                '\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })\n'
                '\thttp.ListenAndServe(":8000", nil)\n}\n'
            ),
        },
    )
    out = fix(path.read_text(), Options(select=("MSB", "USR"), context=tmp_path), tmp_path)
    assert "--home-dir /home/app" in out.fixed and "chown 10001:10001 /home/app" in out.fixed
    v = verify(path, "MSB,USR", wait=120)  # go run compiles first
    assert_works_as_non_root(v)


def test_an_already_slim_pure_python_image_is_not_split_and_not_larger(buildenv, tmp_path):  # noqa: F811
    path = make_project(
        tmp_path,
        """
        FROM python:3.11-slim
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
        EXPOSE 8000
        CMD ["python", "app.py"]
        """,
        **{"app.py": WRITING_APP.format(db=""), "requirements.txt": "six==1.16.0\n"},
    )
    msb = fix(path.read_text(), Options(select=("MSB",), context=tmp_path), tmp_path)
    assert msb.fixed == path.read_text() and [f.code for f in msb.findings] == ["MSB004"]
    v = verify(path, "MSB,USR")
    if not v["original"]["built"] and "pip" in (v["original"]["build_error"] or ""):
        pytest.skip(f"the build cannot reach PyPI here: {v['original']['build_error'][-300:]}")
    assert_works_as_non_root(v)
    # the rewrite only adds the user's RUN layer (passwd, group, shadow, an empty home): a few
    # KB; the split made this image ~23 MB larger
    assert v["rewritten"]["image_size"] <= v["original"]["image_size"] + 64 * 1024, v
    assert our_leftovers() == ([], [])
