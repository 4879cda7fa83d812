"""A fake GitHub REST API on 127.0.0.1 for the bot's tests, held to GitHub's own contract.

Every request is matched to one of the operations in ``data/github-openapi-subset.json``
(extracted from GitHub's published OpenAPI description; see data/GITHUB-OPENAPI-NOTICE.md):
its query parameters and JSON body are validated against the operation's schemas (request
bodies strictly: a property the schema does not name is a violation too), and so is every
response the server sends back, so the fake cannot drift from what GitHub answers. Violations
are collected in ``violations``; every test asserts there are none.

State lives in memory: one repository, its pull requests with their files (a ``patch`` per
file, as the files API gives it), reviews, review comments (which follow their lines across a
push as GitHub does, or become outdated), issue comments, and a small git object store (refs,
commits, trees) for the Git Data API. The server is threaded, bound to loopback, answers at
most ``max_requests`` requests, and is shut down by the test fixture.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CONTRACT_FILE = Path(__file__).parent / "data" / "github-openapi-subset.json"
BOT_LOGIN = "github-actions[bot]"


def _strict(node):
    """A request schema where objects accept only the properties they name."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: (_strict(v) if k != "properties" else {p: _strict(s) for p, s in v.items()}) for k, v in node.items()}
    if "properties" in out and "additionalProperties" not in out and not any(k in out for k in ("allOf", "anyOf", "oneOf")):
        out["additionalProperties"] = False
    return out


class Contract:
    def __init__(self, path: Path = CONTRACT_FILE) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for op in doc["operations"].values():
            if op["requestBody"] and op["requestBody"]["schema"]:
                op["requestBody"]["schema"] = _strict(op["requestBody"]["schema"])
        self.doc = doc
        self.registry = Registry().with_resource("urn:github", Resource.from_contents(doc, default_specification=DRAFT202012))
        self.routes = []
        for op_id, op in doc["operations"].items():
            pattern = re.escape(op["path"])
            for name in re.findall(r"\{(\w+)\}", op["path"]):
                # a git ref keeps its slashes (heads/imgfix/harden)
                pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+)" if name == "ref" else f"(?P<{name}>[^/]+)")
            self.routes.append((op["method"], re.compile(pattern + "$"), op_id))
        self._validators: dict[str, Draft202012Validator] = {}

    def route(self, method: str, path: str) -> tuple[str, dict] | None:
        for m, regex, op_id in self.routes:
            match = regex.match(path)
            if m == method and match:
                return op_id, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def _validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator({"$ref": "urn:github#" + pointer}, registry=self.registry)
        return self._validators[pointer]

    @staticmethod
    def _ptr(op_id: str) -> str:
        return "/operations/" + op_id.replace("~", "~0").replace("/", "~1")

    def check_request(self, op_id: str, query: dict, body) -> list[str]:
        op = self.doc["operations"][op_id]
        problems = []
        known = {p["name"]: (i, p) for i, p in enumerate(op["parameters"]) if p["in"] == "query"}
        for name, value in query.items():
            if name not in known:
                problems.append(f"{op_id}: unknown query parameter {name!r}")
                continue
            i, p = known[name]
            schema = p["schema"]
            if schema.get("type") == "integer":
                try:
                    value = int(value)
                except ValueError:
                    problems.append(f"{op_id}: query {name}={value!r} is not an integer")
                    continue
            for err in self._validator(f"{self._ptr(op_id)}/parameters/{i}/schema").iter_errors(value):
                problems.append(f"{op_id}: query {name}: {err.message}")
        rb = op["requestBody"]
        if body is None:
            if rb and rb["required"]:
                problems.append(f"{op_id}: request body required")
        elif rb is None or rb["schema"] is None:
            problems.append(f"{op_id}: takes no request body")
        else:
            for err in self._validator(f"{self._ptr(op_id)}/requestBody/schema").iter_errors(body):
                problems.append(f"{op_id}: request body {list(err.absolute_path)}: {err.message}")
        return problems

    def check_response(self, op_id: str, status: int, body) -> list[str]:
        responses = self.doc["operations"][op_id]["responses"]
        if str(status) not in responses:
            return [f"{op_id}: GitHub does not answer {status} here (documented: {sorted(responses)})"]
        if responses[str(status)] is None:
            return [] if body is None else [f"{op_id}: {status} has no body"]
        pointer = f"{self._ptr(op_id)}/responses/{status}"
        return [f"{op_id}: response {status} {list(e.absolute_path)}: {e.message}" for e in self._validator(pointer).iter_errors(body)]

    def skeleton(self, name: str) -> dict:
        """The smallest object the named component schema accepts (required fields only)."""
        return self._fill(self.doc["components"]["schemas"][name])

    def _fill(self, schema):
        while "$ref" in schema:
            schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if "allOf" in schema:
            out: dict = {}
            for part in schema["allOf"]:
                out.update(self._fill(part))
            return out
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"]
                return None if len(options) < len(schema[key]) else self._fill(options[0])
        types = schema.get("type", "object")
        types = types if isinstance(types, list) else [types]
        if "null" in types:
            return None
        if "enum" in schema:
            return schema["enum"][0]
        t = types[0]
        if t == "object":
            props = schema.get("properties", {})
            return {k: self._fill(props.get(k, {})) for k in schema.get("required", [])}
        if t == "array":
            return []
        if t == "string":
            return {"date-time": "2026-01-01T00:00:00Z", "uri": "https://github.example/x", "email": "bot@example.com",
                    "uri-template": "https://github.example/{x}"}.get(schema.get("format"), "x")
        if t in ("integer", "number"):
            return 1
        if t == "boolean":
            return False
        return None


def patch_of(old: str, new: str) -> str:
    """The ``patch`` the files API shows for a file: unified diff hunks, no file header."""
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3))
    return "\n".join(lines[2:])


def _sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode("utf-8")).hexdigest()


class FakeGitHub:
    def __init__(self, token: str, owner: str = "acme", name: str = "app", *, page_size: int = 100, max_requests: int = 500) -> None:
        self.contract = Contract()
        self.token = token
        self.owner, self.name = owner, name
        self.page_size = page_size  # a small one makes every list paginate
        self.max_requests = max_requests
        self.read_only = False
        self.injected: list[tuple[str, int, dict, dict, int]] = []  # op_id, status, headers, body, times
        self.requests: list[dict] = []
        self.violations: list[str] = []
        self.lock = threading.RLock()
        self.default_branch = "main"
        self.pulls: dict[int, dict] = {}
        self.files: dict[int, list[dict]] = {}
        self.reviews: dict[int, list[dict]] = {}
        self.comments: list[dict] = []
        self.issue_comments: list[dict] = []
        self.refs: dict[str, str] = {}
        self.commits: dict[str, dict] = {}
        self.trees: dict[str, dict[str, tuple[str, str]]] = {}
        self._next = 1000
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}/api/v3"  # GHES-style prefix
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # ------------------------------------------------------------------ test-facing helpers

    def start(self) -> "FakeGitHub":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def new_id(self) -> int:
        self._next += 1
        return self._next

    def inject(self, op_id: str, status: int, body: dict, headers: dict | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``op_id`` get this answer instead."""
        self.injected.append((op_id, status, headers or {}, body, times))

    def add_commit(self, files: dict[str, str], parents: list[str] = (), message: str = "base") -> str:
        tree = {p: ("100644", c) for p, c in files.items()}
        tree_sha = _sha("tree", json.dumps(sorted(tree.items())))
        self.trees[tree_sha] = tree
        sha = _sha("commit", tree_sha, *parents, message)
        self.commits[sha] = {"tree": tree_sha, "parents": list(parents), "message": message}
        return sha

    def open_pull(self, number: int, base_files: dict[str, str], head_files: dict[str, str], *, fork: bool = False) -> str:
        base_sha = self.add_commit(base_files)
        self.refs.setdefault(f"heads/{self.default_branch}", base_sha)
        head_sha = self.add_commit(head_files, [base_sha], f"pr {number}")
        self.pulls[number] = {"number": number, "state": "open", "title": f"PR {number}", "body": "",
                              "head_ref": f"feature-{number}", "head_sha": head_sha, "base_ref": self.default_branch,
                              "base_sha": base_sha, "fork": fork}
        self.files[number] = self._diff_entries(base_files, head_files)
        self.reviews[number] = []
        return head_sha

    def push(self, number: int, head_files: dict[str, str]) -> str:
        """A new commit on the pull request: files and patches change, comments follow their lines."""
        pull = self.pulls[number]
        base_files = {p: c for p, (_m, c) in self.trees[self.commits[pull["base_sha"]]["tree"]].items()}
        head_sha = self.add_commit(head_files, [pull["head_sha"]], f"push {number}")
        pull["head_sha"] = head_sha
        self.files[number] = self._diff_entries(base_files, head_files)
        for c in self.comments:
            if c["pull_request_url"].endswith(f"/pulls/{number}") and c["line"] is not None:
                new = head_files.get(c["path"], "").splitlines()
                span = c["_lines"]
                found = [i + 1 for i in range(len(new) - len(span) + 1) if new[i:i + len(span)] == span]
                shown = self._commentable(number, c["path"])
                if found and any(a <= found[0] and found[0] + len(span) - 1 <= b for a, b in shown):
                    c["start_line"] = found[0] if c["start_line"] is not None else None
                    c["line"] = found[0] + len(span) - 1
                    c["position"] = c["line"]
                else:  # outdated, as GitHub shows it
                    c["line"] = c["start_line"] = c["position"] = None
        return head_sha

    def _diff_entries(self, base_files: dict[str, str], head_files: dict[str, str]) -> list[dict]:
        out = []
        for path in sorted(set(base_files) | set(head_files)):
            old, new = base_files.get(path), head_files.get(path)
            if old == new:
                continue
            status = "added" if old is None else "removed" if new is None else "modified"
            entry = self.contract.skeleton("diff-entry")
            entry.update(filename=path, status=status, sha=_sha(new or ""), patch=patch_of(old or "", new or ""),
                         additions=1, deletions=0, changes=1)
            out.append(entry)
        return out

    def _commentable(self, number: int, path: str) -> list[tuple[int, int]]:
        for entry in self.files[number]:
            if entry["filename"] == path:
                ranges = []
                for m in re.finditer(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", entry.get("patch", ""), re.M):
                    start, count = int(m.group(1)), int(m.group(2) or 1)
                    if count:
                        ranges.append((start, start + count - 1))
                return ranges
        return []

    def add_human_comment(self, number: int, path: str, line: int, body: str) -> int:
        """A comment by a person (who may well type the bot's marker)."""
        c = self._new_comment(number, {"path": path, "line": line, "body": body, "side": "RIGHT"}, self.pulls[number]["head_sha"], 1)
        c["user"] = self._user() | {"login": "mallory", "type": "User"}
        self.comments.append(c)
        return c["id"]

    def bodies(self) -> list[str]:
        """Every request body received, as text (for the token scan)."""
        return [r["raw"] for r in self.requests]

    # --------------------------------------------------------------------- GitHub's objects

    def _user(self) -> dict:
        user = self.contract.skeleton("simple-user")
        user.update(login=BOT_LOGIN, type="Bot")
        return user

    def _repo(self) -> dict:
        repo = self.contract.skeleton("full-repository")
        repo.update(name=self.name, full_name=f"{self.owner}/{self.name}", default_branch=self.default_branch,
                    owner=self.contract.skeleton("simple-user") | {"login": self.owner})
        return repo

    def _pull(self, number: int, simple: bool = False) -> dict:
        p = self.pulls[number]
        out = self.contract.skeleton("pull-request-simple" if simple else "pull-request")
        head = out["head"]
        head.update(ref=p["head_ref"], sha=p["head_sha"], label=f"{self.owner}:{p['head_ref']}")
        out["base"].update(ref=p["base_ref"], sha=p["base_sha"], label=f"{self.owner}:{p['base_ref']}")
        out.update(number=number, state=p["state"], title=p["title"], body=p["body"],
                   html_url=f"https://github.example/{self.owner}/{self.name}/pull/{number}")
        return out

    def _review(self, number: int, r: dict) -> dict:
        out = self.contract.skeleton("pull-request-review")
        out.update(id=r["id"], body=r["body"], state="COMMENTED", commit_id=r["commit_id"], user=self._user(),
                   html_url=f"https://github.example/{self.owner}/{self.name}/pull/{number}#pullrequestreview-{r['id']}")
        return out

    def _comment(self, c: dict) -> dict:
        out = self.contract.skeleton("pull-request-review-comment")
        out.update({k: v for k, v in c.items() if not k.startswith("_")})
        # an outdated comment: GitHub sends "line": null, which its description (integer) does
        # not allow; the fake leaves the keys out, which both allow (the bot handles either)
        for key in ("line", "position"):
            if out.get(key) is None:
                out.pop(key, None)
        return out

    # ---------------------------------------------------------------------------- handling

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body, headers: dict | None = None, op_id: str | None = None) -> None:
                if op_id is not None:
                    fake.violations += fake.contract.check_response(op_id, status, body)
                data = b"" if body is None else json.dumps(body).encode("utf-8")
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if data:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.handle(self, raw)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        return Handler

    def handle(self, h, raw: bytes) -> None:
        url = urlsplit(h.path)
        record = {"method": h.command, "path": url.path, "query": dict(parse_qsl(url.query)), "raw": raw.decode("utf-8", "replace"),
                  "headers": dict(h.headers)}
        self.requests.append(record)
        if len(self.requests) > self.max_requests:
            self.violations.append("too many requests")
            return h._answer(503, {"message": "the fake's request budget is spent"})
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return h._answer(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        for name, want in (("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")):
            if h.headers.get(name) != want:
                self.violations.append(f"header {name}: {h.headers.get(name)!r}")
        prefix = "/api/v3"
        if not url.path.startswith(prefix + "/"):
            self.violations.append(f"not under the API prefix: {url.path}")
            return h._answer(404, {"message": "Not Found"})
        found = self.contract.route(h.command, url.path[len(prefix):])
        if found is None:
            self.violations.append(f"no such operation: {h.command} {url.path}")
            return h._answer(404, {"message": "Not Found"})
        op_id, params = found
        body = None
        if raw:
            if not (h.headers.get("Content-Type") or "").startswith("application/json"):
                self.violations.append(f"{op_id}: body without a JSON content type")
            body = json.loads(raw)
        record.update(op=op_id, body=body)
        self.violations += self.contract.check_request(op_id, record["query"], body)
        if (params.get("owner"), params.get("repo")) != (self.owner, self.name):
            return h._answer(404, {"message": "Not Found", "documentation_url": "x"}, op_id=self._documented(op_id, 404))
        for i, (oid, status, headers, answer, times) in enumerate(self.injected):
            if oid == op_id:
                if times <= 1:
                    del self.injected[i]
                else:
                    self.injected[i] = (oid, status, headers, answer, times - 1)
                # errors every operation can give (401, 403, 429) are checked where the operation documents them
                return h._answer(status, answer, headers, op_id=self._documented(op_id, status))
        if self.read_only and h.command != "GET":
            return h._answer(403, {"message": "Resource not accessible by integration",
                                   "documentation_url": "https://docs.github.com/rest"}, op_id=self._documented(op_id, 403))
        status, answer, headers = getattr(self, "op_" + op_id.replace("/", "_").replace("-", "_"))(params, record["query"], body)
        h._answer(status, answer, headers, op_id=op_id)

    def _documented(self, op_id: str, status: int) -> str | None:
        return op_id if str(status) in self.contract.doc["operations"][op_id]["responses"] else None

    def _page(self, items: list, query: dict, path: str):
        per_page = min(int(query.get("per_page", 30)), self.page_size)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            q = dict(query, page=str(page + 1))
            headers["Link"] = f'<{self.base}{path}?{"&".join(f"{k}={v}" for k, v in q.items())}>; rel="next"'
        return 200, chunk, headers

    def _pr(self, params) -> int | None:
        n = int(params["pull_number"])
        return n if n in self.pulls else None

    # one method per operation: (status, body, headers)

    def op_repos_get(self, params, query, body):
        return 200, self._repo(), {}

    def op_pulls_get(self, params, query, body):
        n = self._pr(params)
        if n is None:
            return 404, {"message": "Not Found", "documentation_url": "x"}, {}
        return 200, self._pull(n), {}

    def op_pulls_list(self, params, query, body):
        items = [n for n, p in sorted(self.pulls.items())
                 if query.get("state", "open") in (p["state"], "all")
                 and ("head" not in query or query["head"] == f"{self.owner}:{p['head_ref']}")
                 and ("base" not in query or query["base"] == p["base_ref"])]
        status, chunk, headers = self._page(items, query, f"/repos/{self.owner}/{self.name}/pulls")
        return status, [self._pull(n, simple=True) for n in chunk], headers

    def op_pulls_create(self, params, query, body):
        ref = f"heads/{body['head']}"
        if ref not in self.refs:
            return 422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
                         "documentation_url": "x"}, {}
        if any(p["head_ref"] == body["head"] and p["state"] == "open" for p in self.pulls.values()):
            return 422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom",
                         "message": f"A pull request already exists for {self.owner}:{body['head']}."}], "documentation_url": "x"}, {}
        n = max(self.pulls, default=0) + 1
        self.pulls[n] = {"number": n, "state": "open", "title": body["title"], "body": body.get("body") or "",
                         "head_ref": body["head"], "head_sha": self.refs[ref], "base_ref": body["base"],
                         "base_sha": self.refs.get(f"heads/{body['base']}", ""), "fork": False}
        self.files[n], self.reviews[n] = [], []
        return 201, self._pull(n), {}

    def op_pulls_update(self, params, query, body):
        n = self._pr(params)
        if n is None:
            return 404, {"message": "Not Found"}, {}
        p = self.pulls[n]
        for key in ("title", "body", "state"):
            if key in body:
                p[key] = body[key]
        if "base" in body:
            p["base_ref"] = body["base"]
        return 200, self._pull(n), {}

    def op_pulls_list_files(self, params, query, body):
        n = self._pr(params)
        return self._page(self.files.get(n, []), query, f"/repos/{self.owner}/{self.name}/pulls/{params['pull_number']}/files")

    def op_pulls_list_reviews(self, params, query, body):
        n = self._pr(params)
        status, chunk, headers = self._page(self.reviews.get(n, []), query, f"/repos/{self.owner}/{self.name}/pulls/{n}/reviews")
        return status, [self._review(n, r) for r in chunk], headers

    def _check_anchor(self, n: int, c: dict) -> str | None:
        ranges = self._commentable(n, c["path"])
        line, start = c.get("line"), c.get("start_line", c.get("line"))
        if line is None or c.get("side", "RIGHT") != "RIGHT":
            return "line and side RIGHT are required by this fake"
        if start > line:
            return "start_line must precede line"
        if not any(a <= start and line <= b for a, b in ranges):
            return "pull_request_review_thread.line must be part of the diff"
        return None

    def _new_comment(self, n: int, c: dict, commit_id: str, review_id: int) -> dict:
        head = self.trees[self.commits[self.pulls[n]["head_sha"]]["tree"]]
        lines = head.get(c["path"], ("", ""))[1].splitlines()
        start = c.get("start_line", c["line"])
        cid = self.new_id()
        return {"id": cid, "path": c["path"], "body": c["body"], "line": c["line"], "original_line": c["line"],
                "start_line": c.get("start_line"), "original_start_line": c.get("start_line"), "side": "RIGHT",
                "start_side": "RIGHT" if "start_line" in c else None, "position": c["line"], "commit_id": commit_id,
                "original_commit_id": commit_id, "pull_request_review_id": review_id, "diff_hunk": "@@",
                "user": self._user(), "url": f"https://github.example/c/{cid}",
                "html_url": f"https://github.example/{self.owner}/{self.name}/pull/{n}#discussion_r{cid}",
                "pull_request_url": f"https://github.example/{self.owner}/{self.name}/pulls/{n}",
                "_lines": lines[start - 1:c["line"]]}

    def op_pulls_create_review(self, params, query, body):
        n = self._pr(params)
        if n is None:
            return 404, {"message": "Not Found"}, {}
        if body.get("commit_id") not in (None, self.pulls[n]["head_sha"]) and body.get("commit_id") not in self.commits:
            return 422, {"message": "Unprocessable Entity", "errors": ["commit_id is not part of the pull request"], "documentation_url": "x"}, {}
        if body.get("event") == "COMMENT" and not body.get("body") and not body.get("comments"):
            return 422, {"message": "Unprocessable Entity", "errors": ["Review body is required"], "documentation_url": "x"}, {}
        for c in body.get("comments", []):
            why = self._check_anchor(n, c)
            if why:
                return 422, {"message": "Unprocessable Entity", "errors": [why], "documentation_url": "x"}, {}
        review = {"id": self.new_id(), "body": body.get("body", ""), "commit_id": body.get("commit_id") or self.pulls[n]["head_sha"]}
        self.reviews[n].append(review)
        for c in body.get("comments", []):
            self.comments.append(self._new_comment(n, c, review["commit_id"], review["id"]))
        return 200, self._review(n, review), {}

    def op_pulls_update_review(self, params, query, body):
        n = self._pr(params)
        for r in self.reviews.get(n, []):
            if r["id"] == int(params["review_id"]):
                r["body"] = body["body"]
                return 200, self._review(n, r), {}
        return 422, {"message": "Unprocessable Entity", "errors": ["no such review"], "documentation_url": "x"}, {}

    def op_pulls_list_review_comments(self, params, query, body):
        n = self._pr(params)
        mine = [c for c in self.comments if c["pull_request_url"].endswith(f"/pulls/{n}")]
        status, chunk, headers = self._page(mine, query, f"/repos/{self.owner}/{self.name}/pulls/{n}/comments")
        return status, [self._comment(c) for c in chunk], headers

    def op_pulls_create_review_comment(self, params, query, body):
        n = self._pr(params)
        if n is None:
            return 404, {"message": "Not Found"}, {}
        why = self._check_anchor(n, body)
        if why:
            return 422, {"message": "Validation Failed", "errors": [{"code": "custom", "message": why}], "documentation_url": "x"}, {}
        review = {"id": self.new_id(), "body": "", "commit_id": body["commit_id"]}  # GitHub wraps it in a review
        self.reviews[n].append(review)
        c = self._new_comment(n, body, body["commit_id"], review["id"])
        self.comments.append(c)
        return 201, self._comment(c), {}

    def op_pulls_update_review_comment(self, params, query, body):
        for c in self.comments:
            if c["id"] == int(params["comment_id"]):
                c["body"] = body["body"]
                return 200, self._comment(c), {}
        return 404, {"message": "Not Found"}, {}  # undocumented status: a violation if it happens

    def op_pulls_delete_review_comment(self, params, query, body):
        for c in self.comments:
            if c["id"] == int(params["comment_id"]):
                self.comments.remove(c)
                return 204, None, {}
        return 404, {"message": "Not Found", "documentation_url": "x"}, {}

    def op_issues_create_comment(self, params, query, body):
        n = int(params["issue_number"])
        cid = self.new_id()
        self.issue_comments.append({"issue": n, "id": cid, "body": body["body"]})
        out = self.contract.skeleton("issue-comment")
        out.update(id=cid, body=body["body"], user=self._user())
        return 201, out, {}

    def _ref(self, ref: str) -> dict:
        out = self.contract.skeleton("git-ref")
        out.update(ref=f"refs/{ref}", object={"type": "commit", "sha": self.refs[ref], "url": "https://github.example/x"})
        return out

    def op_git_get_ref(self, params, query, body):
        if params["ref"] not in self.refs:
            return 404, {"message": "Not Found", "documentation_url": "x"}, {}
        return 200, self._ref(params["ref"]), {}

    def op_git_create_ref(self, params, query, body):
        ref = body["ref"][len("refs/"):] if body["ref"].startswith("refs/") else None
        if ref is None or ref in self.refs or body["sha"] not in self.commits:
            return 422, {"message": "Reference already exists" if ref in self.refs else "Invalid request", "documentation_url": "x"}, {}
        self.refs[ref] = body["sha"]
        return 201, self._ref(ref), {}

    def op_git_update_ref(self, params, query, body):
        ref = params["ref"]
        if ref not in self.refs or body["sha"] not in self.commits:
            return 422, {"message": "Reference does not exist", "documentation_url": "x"}, {}
        if not body.get("force") and self.refs[ref] not in self._ancestors(body["sha"]):
            return 422, {"message": "Update is not a fast forward", "documentation_url": "x"}, {}
        self.refs[ref] = body["sha"]
        return 200, self._ref(ref), {}

    def op_git_delete_ref(self, params, query, body):
        if params["ref"] not in self.refs:
            return 422, None, {}  # GitHub documents no body here
        del self.refs[params["ref"]]
        return 204, None, {}

    def _ancestors(self, sha: str) -> set[str]:
        seen, todo = set(), [sha]
        while todo:
            s = todo.pop()
            if s not in seen and s in self.commits:
                seen.add(s)
                todo += self.commits[s]["parents"]
        return seen

    def _commit(self, sha: str) -> dict:
        c = self.commits[sha]
        out = self.contract.skeleton("git-commit")
        out.update(sha=sha, message=c["message"], tree={"sha": c["tree"], "url": "https://github.example/t"},
                   parents=[{"sha": p, "url": "https://github.example/c", "html_url": "https://github.example/c"} for p in c["parents"]])
        return out

    def op_git_get_commit(self, params, query, body):
        if params["commit_sha"] not in self.commits:
            return 404, {"message": "Not Found", "documentation_url": "x"}, {}
        return 200, self._commit(params["commit_sha"]), {}

    def op_git_create_tree(self, params, query, body):
        base = dict(self.trees.get(body.get("base_tree"), {})) if body.get("base_tree") else {}
        if body.get("base_tree") and body["base_tree"] not in self.trees:
            return 404, {"message": "Not Found", "documentation_url": "x"}, {}
        for e in body["tree"]:
            if e.get("type") != "blob" or "content" not in e:
                return 422, {"message": "this fake takes blobs with content", "documentation_url": "x"}, {}
            base[e["path"]] = (e["mode"], e["content"])
        sha = _sha("tree", json.dumps(sorted(base.items())))
        self.trees[sha] = base
        out = self.contract.skeleton("git-tree")
        out.update(sha=sha, tree=[], truncated=False)
        return 201, out, {}

    def op_git_create_commit(self, params, query, body):
        if body["tree"] not in self.trees or any(p not in self.commits for p in body.get("parents", [])):
            return 422, {"message": "Tree or parent does not exist", "documentation_url": "x"}, {}
        sha = _sha("commit", body["tree"], *body.get("parents", []), body["message"], str(self.new_id()))
        self.commits[sha] = {"tree": body["tree"], "parents": list(body.get("parents", [])), "message": body["message"]}
        return 201, self._commit(sha), {}

    def tree_of(self, ref: str) -> dict[str, str]:
        return {p: c for p, (_m, c) in self.trees[self.commits[self.refs[ref]]["tree"]].items()}
