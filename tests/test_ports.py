"""Where a stage's server listens (fixer/ports.py): every server and configuration form that
``data/servers.toml`` knows, read without running anything; and moving it (fixer/portmove.py)."""

from __future__ import annotations

import textwrap

import pytest

from fixer.analysis.stages import Analysis
from fixer.document.model import Document
from fixer.transforms.options import Options
from fixer.run.pipeline import fix
from fixer.analysis.ports import detect, new_port, server_port


def found(dockerfile: str, context=None, **files: str):
    if files:
        for name, text in files.items():
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            (context / name).write_text(textwrap.dedent(text).lstrip())
    analysis = Analysis(Document(textwrap.dedent(dockerfile).lstrip()), context)
    return detect(analysis.final_stage, analysis)


def ports_of(dockerfile: str, context=None, **files: str) -> list[tuple[str, int, str]]:
    d = found(dockerfile, context, **files)
    return [(e.server, e.port, e.where) for e in d.listens]


@pytest.mark.parametrize("cmd, server, port", [
    ('CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"]', "uvicorn", 80),
    ("CMD uvicorn main:app --host 0.0.0.0 --port=80", "uvicorn", 80),
    ('CMD ["python", "-m", "uvicorn", "main:app", "--port", "443"]', "uvicorn", 443),
    ('CMD ["uvicorn", "main:app"]', "uvicorn", 8000),
    ('CMD ["gunicorn", "-b", "0.0.0.0:80", "app:app"]', "gunicorn", 80),
    ("CMD gunicorn --bind=:80 app:app", "gunicorn", 80),
    ('CMD ["gunicorn", "-b", "[::]:80", "app:app"]', "gunicorn", 80),
    ('CMD ["hypercorn", "--bind", "0.0.0.0:80", "app:app"]', "hypercorn", 80),
    ('CMD ["daphne", "-b", "0.0.0.0", "-p", "80", "proj.asgi:application"]', "daphne", 80),
    ('CMD ["waitress-serve", "--port=80", "app:app"]', "waitress", 80),
    ('CMD ["waitress-serve", "--listen=*:80", "app:app"]', "waitress", 80),
    ('CMD ["flask", "run", "--host=0.0.0.0", "--port", "80"]', "flask", 80),
    ('CMD ["flask", "--app", "app", "run", "-p", "81"]', "flask", 81),
    ('CMD ["python", "manage.py", "runserver", "0.0.0.0:80"]', "django", 80),
    ("CMD python3 manage.py runserver 80", "django", 80),
    ('CMD ["python", "-m", "http.server", "80"]', "python-http-server", 80),
    ('CMD ["python3", "-m", "http.server"]', "python-http-server", 8000),
    ('CMD ["php", "-S", "0.0.0.0:80", "-t", "public"]', "php-builtin", 80),
    ('CMD ["serve", "-s", "build", "-l", "80"]', "serve", 80),
    ('CMD ["serve", "-l", "tcp://0.0.0.0:80"]', "serve", 80),
    ('CMD ["http-server", "dist", "-p", "80"]', "http-server", 80),
    ('CMD ["caddy", "file-server", "--listen", ":80"]', "caddy-file-server", 80),
    ('CMD ["sh", "-c", "cd /app && exec uvicorn main:app --port 80"]', "uvicorn", 80),
    ("CMD poetry run gunicorn -b :80 app:app", "gunicorn", 80),
])
def test_command_line_forms(cmd, server, port):
    (entry,) = found(f"FROM python:3.11-slim\n{cmd}\n").listens
    assert (entry.server, entry.port) == (server, port)
    assert entry.where.startswith("line 2 (CMD") or entry.where.startswith("the default")


def test_entrypoint_and_cmd_are_joined_in_exec_form():
    d = found('FROM python:3.11-slim\nENTRYPOINT ["gunicorn"]\nCMD ["-b", ":80", "app:app"]\n')
    assert [(e.server, e.port, e.line) for e in d.listens] == [("gunicorn", 80, 3)]


@pytest.mark.parametrize("dockerfile, port, where", [
    ("FROM node:18-slim\nENV PORT=80\nCMD [\"node\", \"server.js\"]\n", 80, "line 2 (ENV PORT=80)"),
    ("FROM node:18-slim\nENV PORT 80\nCMD npm start\n", 80, "line 2 (ENV PORT=80)"),
    ("FROM python:3.11-slim\nENV PORT=80\nCMD gunicorn -b 0.0.0.0:$PORT app:app\n", 80, "line 2 (ENV PORT=80)"),
    ("FROM python:3.11-slim\nCMD uvicorn main:app --port ${PORT:-80}\n", 80, "line 2 (CMD uvicorn --port ${PORT:-80})"),
    ("FROM python:3.11-slim\nENV FLASK_RUN_PORT=80\nCMD flask run\n", 80, "line 2 (ENV FLASK_RUN_PORT=80)"),
])
def test_ports_from_env(dockerfile, port, where):
    (entry,) = found(dockerfile).listens
    assert (entry.port, entry.where) == (port, where)


def test_a_port_set_only_when_the_container_starts_is_unknown():
    d = found("FROM python:3.11-slim\nEXPOSE 8000\nCMD gunicorn -b 0.0.0.0:$PORT app:app\n")
    assert d.server == "gunicorn" and d.listens == [] and d.privileged == []


def test_gunicorn_conf_py_is_parsed_not_run(tmp_path):
    conf = 'import os\nos.system("touch /tmp/pwned-by-gunicorn-conf")\nbind = ["0.0.0.0:80", "unix:/tmp/g.sock"]\n'
    d = found('FROM python:3.11-slim\nWORKDIR /srv\nCOPY . .\nCMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]\n',
              tmp_path, **{"gunicorn.conf.py": conf})
    assert [(e.port, e.where) for e in d.listens] == [(80, "gunicorn.conf.py:3")]
    import os
    assert not os.path.exists("/tmp/pwned-by-gunicorn-conf")
    # the default file name, read from the working folder
    d = found('FROM python:3.11-slim\nWORKDIR /srv\nCOPY gunicorn.conf.py app.py ./\nCMD ["gunicorn", "app:app"]\n', tmp_path)
    assert [(e.port, e.site.kind) for e in d.listens] == [(80, "config")]


def test_nginx_image_default_and_copied_configuration(tmp_path):
    assert ports_of("FROM nginx:1.27\n") == [("nginx", 80, "/etc/nginx/conf.d/default.conf in nginx:1.27")]
    listens = ports_of("FROM nginx:1.27\nCOPY default.conf /etc/nginx/conf.d/\n", tmp_path,
                       **{"default.conf": "server {\n  listen 8081;\n  listen [::]:443 ssl;\n}\n"})
    assert listens == [("nginx", 8081, "default.conf:2"), ("nginx", 443, "default.conf:3")]
    # a file beside default.conf: the stock server still listens on 80
    listens = ports_of("FROM nginx:1.27\nCOPY api.conf /etc/nginx/conf.d/api.conf\n", tmp_path,
                       **{"api.conf": "server { listen 127.0.0.1:8081; }\n"})
    assert [p for _, p, _ in listens] == [8081, 80]
    # copied from another stage: cannot be read
    d = found("FROM nginx:1.27\nCOPY --from=build /out/nginx.conf /etc/nginx/conf.d/default.conf\n", tmp_path)
    assert d.listens[0].problem and "another stage" in d.listens[0].problem


def test_apache_layouts(tmp_path):
    assert ports_of("FROM httpd:2.4\n") == [("httpd", 80, "/usr/local/apache2/conf/httpd.conf in httpd:2.4")]
    assert ports_of("FROM php:8.2-apache\n")[0][:2] == ("php-apache", 80)
    listens = ports_of("FROM php:8.2-apache\nCOPY vhost.conf /etc/apache2/sites-available/000-default.conf\n", tmp_path,
                       **{"vhost.conf": "<VirtualHost *:80>\n  DocumentRoot /var/www/html\n</VirtualHost>\n"})
    assert listens[0] == ("php-apache", 80, "vhost.conf:1")
    assert ports_of("FROM php:8.2-cli\nCMD [\"php\", \"-a\"]\n") == []  # no server


def test_after_the_fix_the_stock_port_is_read_from_the_sed_that_moved_it():
    text = "FROM httpd:2.4\nRUN sed -i 's/^Listen 80$/Listen 8080/' /usr/local/apache2/conf/httpd.conf\nUSER 1000\n"
    assert [p for _, p, _ in ports_of(text)] == [8080]


def test_caddyfile(tmp_path):
    listens = ports_of("FROM caddy:2\nCOPY Caddyfile /etc/caddy/Caddyfile\n", tmp_path,
                       Caddyfile=":80 {\n  file_server\n}\n")
    assert listens == [("caddy", 80, "Caddyfile:1")]


def test_go_literals_when_a_go_binary_runs(tmp_path):
    (tmp_path / "main.go").write_text('package main\n\nfunc main() {\n\thttp.ListenAndServe(":80", nil)\n}\n')
    d = found("FROM golang:1.19 AS build\nCOPY . .\nRUN go build -o /app .\nFROM gcr.io/distroless/static\n"
              "COPY --from=build /app /app\nCMD [\"/app\"]\n", tmp_path)
    assert [(e.server, e.port, e.where) for e in d.listens] == [("go", 80, "main.go:4")]
    assert "Go source" in d.listens[0].problem


def test_expose_alone_is_used_when_the_command_is_not_known():
    d = found('FROM python:3.11-slim\nEXPOSE 80 9000/udp\nCMD ["python", "app.py"]\n')
    assert d.server is None and [(e.port, e.server) for e in d.privileged] == [(80, "EXPOSE")]
    assert d.exposed[0][0] == 80 and len(d.exposed) == 1


@pytest.mark.parametrize("word", ["\u00b2", "\u0663", "\uff18\uff10"])
def test_ports_are_ascii_digits_only(word):
    # str.isdigit() accepts superscripts and other scripts' digits; Docker reads ASCII only
    d = found(f'FROM python:3.11-slim\nEXPOSE {word}\nCMD ["uvicorn", "app:app", "--port", "{word}"]\n')
    assert d.exposed == []
    assert all(e.port < 65536 for e in d.listens)


def test_new_ports():
    assert new_port(80, {80}) == 8080
    assert new_port(443, set()) == 8443
    assert new_port(81, {8080}) == 8081
    assert new_port(80, {8080}) == 8081  # port + 8000 is 8080 too: the next free one


def test_server_port_for_verify(tmp_path):
    assert server_port('FROM python:3.11-slim\nCMD ["uvicorn", "m:app", "--port", "80"]\n') == 80
    assert server_port('FROM python:3.11-slim\nCMD ["python", "app.py"]\n') is None


# ---------------------------------------------------------------------------- moving


UNSAFE = Options(select=("USR",), unsafe_fixes=True)


def test_the_move_is_consistent_in_cmd_env_expose_and_healthcheck():
    text = ("FROM python:3.11-slim\nENV PORT=80\nEXPOSE 80/tcp\n"
            "HEALTHCHECK CMD curl -f http://localhost/health || exit 1\n"
            "CMD gunicorn -b 0.0.0.0:${PORT} app:app\n")
    out = fix(text, UNSAFE).fixed
    assert "ENV PORT=8080\n" in out and "EXPOSE 8080/tcp\n" in out
    assert "http://localhost:8080/health" in out and "USER 10001:10001" in out
    assert fix(text, Options(select=("USR",))).fixed == text


def test_443_moves_to_8443_and_a_taken_8080_is_avoided():
    out = fix('FROM python:3.11-slim\nEXPOSE 8080\nCMD ["uvicorn", "m:app", "--port", "80"]\n', UNSAFE).fixed
    assert '"--port", "8080"' not in out and '"--port", "8081"' in out
    out = fix('FROM python:3.11-slim\nCMD ["hypercorn", "-b", "0.0.0.0:443", "m:app"]\n', UNSAFE).fixed
    assert '"0.0.0.0:8443"' in out


def test_a_port_on_a_continuation_line_moves_and_the_rest_stays(tmp_path):
    text = 'FROM python:3.11-slim\nCMD ["uvicorn", "m:app", "--port", \\\n  "80"]\n'
    assert fix(text, UNSAFE).fixed.endswith('CMD ["uvicorn", "m:app", "--port", \\\n  "8080"]\n')


def test_refused_when_it_cannot_be_moved_consistently(tmp_path):
    # a configuration another Dockerfile copies too: not edited for this one alone
    (tmp_path / "default.conf").write_text("server { listen 80; }\n")
    (tmp_path / "Dockerfile.dev").write_text("FROM nginx:1.27\nCOPY default.conf /etc/nginx/conf.d/\n")
    text = "FROM nginx:1.27\nCOPY default.conf /etc/nginx/conf.d/default.conf\n"
    outcome = fix(text, UNSAFE, tmp_path, tmp_path / "Dockerfile")
    assert outcome.fixed == text and outcome.files == []
    (f,) = [f for f in outcome.findings if f.code == "USR005"]
    assert "Dockerfile.dev uses default.conf" in f.message and "NET_BIND_SERVICE" in f.message


def test_held_back_finding_names_the_port_where_and_the_ways_out():
    outcome = fix('FROM python:3.11-slim\nCMD ["uvicorn", "m:app", "--port", "80"]\n', Options(select=("USR",)))
    (f,) = outcome.findings
    assert (f.code, f.fix, f.fixed, f.line) == ("USR007", "unsafe", False, 2)
    for part in ("port 80", "line 2 (CMD uvicorn --port 80)", "--unsafe-fixes", "80 -> 8080",
                 "net.ipv4.ip_unprivileged_port_start=0", "NET_BIND_SERVICE"):
        assert part in f.message


def test_non_root_stage_reports_the_detected_port_usr004():
    outcome = fix('FROM python:3.11-slim\nUSER 1000\nCMD ["uvicorn", "m:app", "--port", "80"]\n', Options(select=("USR",)))
    (f,) = outcome.findings
    assert f.code == "USR004" and "uvicorn listens on port 80 (line 3" in f.message


def test_a_suppression_on_one_place_of_a_move_drops_the_whole_move():
    text = ('FROM python:3.11-slim\n# imgfix: ignore[USR007] -- the platform maps port 80\nENV PORT=80\n'
            'EXPOSE 80\nCMD gunicorn -b 0.0.0.0:$PORT app:app\n')
    outcome = fix(text, UNSAFE)
    assert outcome.fixed == text
    assert [s.finding.code for s in outcome.suppressed] == ["USR007"]


def test_a_configuration_that_is_a_symlink_is_not_edited(tmp_path):
    (tmp_path / "shared.conf").write_text("server {\n    listen 80;\n}\n")
    (tmp_path / "default.conf").symlink_to("shared.conf")
    text = "FROM nginx:1.27\nCOPY default.conf /etc/nginx/conf.d/default.conf\n"
    outcome = fix(text, UNSAFE, tmp_path, tmp_path / "Dockerfile")
    assert outcome.fixed == text and outcome.files == []
    assert "symbolic link" in outcome.findings[0].message


def test_the_copied_configuration_moves_with_the_server(tmp_path):
    (tmp_path / "default.conf").write_text("server {\n    listen 80;\n    listen [::]:80;\n}\n")
    text = "FROM nginx:1.27\nCOPY default.conf /etc/nginx/conf.d/default.conf\nEXPOSE 80\n"
    outcome = fix(text, UNSAFE, tmp_path, tmp_path / "Dockerfile")
    assert "FROM nginxinc/nginx-unprivileged:1.27\n" in outcome.fixed and "EXPOSE 8080\n" in outcome.fixed
    (change,) = outcome.files
    assert change.new == "server {\n    listen 8080;\n    listen [::]:8080;\n}\n"
    assert (tmp_path / "default.conf").read_text().count("80;") == 2  # fix() writes nothing itself


def test_nginx_unprivileged_with_a_configuration_on_port_80_is_reported(tmp_path):
    (tmp_path / "default.conf").write_text("server {\n    listen 80;\n}\n")
    text = "FROM nginxinc/nginx-unprivileged:1.27\nCOPY default.conf /etc/nginx/conf.d/default.conf\n"
    outcome = fix(text, Options(select=("USR",)), tmp_path, tmp_path / "Dockerfile")
    (f,) = outcome.findings
    assert outcome.fixed == text and f.code == "USR004" and "port 80 (default.conf:2)" in f.message
    assert server_port("FROM nginxinc/nginx-unprivileged:1.27\n") == 8080
