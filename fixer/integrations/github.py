"""A small client for the GitHub REST API: the calls the pull-request bot makes (fixer.bot).

Standard library HTTP (``http.client``), no new dependency: the bot makes a few dozen JSON
calls, and owning the connection lets it refuse what a general client would do silently:
following a redirect or a pagination link to another host with the token, or sending the
token over plain HTTP to anything but this machine.

- The token comes from ``GITHUB_TOKEN``; it is sent only in the Authorization header, and every
  message this module makes passes through ``redact`` so it can never be printed.
- ``GITHUB_API_URL`` (GitHub Enterprise Server: ``https://HOST/api/v3``), default api.github.com.
- Errors are ``GitHubError`` with a message a person can act on: 401 (the token), 403 with
  ``x-ratelimit-remaining: 0`` or 429 (rate limit, with the reset time), a secondary rate limit
  (``retry-after``: waited for once when short), 403 "Resource not accessible by integration"
  (a read-only token, e.g. a fork's: ``read_only``), 404, 409, 422 (GitHub's reasons), 5xx.
- Lists follow ``Link: <...>; rel="next"`` (``paginate``), 100 items a page, bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = 30.0  # seconds per request
MAX_PAGES = 50  # 5,000 items: far more reviews/comments/files than a pull request has
MAX_RETRY_WAIT = 60.0  # seconds: a longer secondary-rate-limit wait is reported instead
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class GitHubError(Exception):
    """A call failed; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0, *, read_only: bool = False, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.read_only = read_only  # 403 "Resource not accessible by integration": the token cannot write here
        self.rate_limited = rate_limited


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    data: object


_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class GitHub:
    def __init__(self, token: str, api_url: str | None = None, *, timeout: float = TIMEOUT,
                 max_retry_wait: float = MAX_RETRY_WAIT, user_agent: str | None = None) -> None:
        if not token or any(c.isspace() for c in token):
            raise GitHubError("GITHUB_TOKEN is empty or malformed: the bot needs a token (secrets.GITHUB_TOKEN in a workflow)")
        self._token = token
        url = (api_url or DEFAULT_API_URL).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise GitHubError(f"GITHUB_API_URL {url!r} is not an http(s) URL")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise GitHubError(f"GITHUB_API_URL {url!r}: the token is sent over HTTPS only (plain HTTP only to this machine)")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise GitHubError(f"GITHUB_API_URL {url!r} must be a plain URL (no query, fragment or credentials)")
        self.api_url = url
        self._scheme, self._netloc, self._base = parts.scheme, parts.netloc, parts.path.rstrip("/")
        self.timeout = timeout
        self.max_retry_wait = max_retry_wait
        if user_agent is None:
            from .. import __version__

            user_agent = f"imgfix/{__version__}"
        self.user_agent = user_agent

    @classmethod
    def from_env(cls, env: dict | None = None, **kw) -> "GitHub":
        env = os.environ if env is None else env
        return cls(env.get("GITHUB_TOKEN", ""), env.get("GITHUB_API_URL") or None, **kw)

    def redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    # ------------------------------------------------------------------------------ requests

    def _target(self, path_or_url: str) -> str:
        """The request target (path and query) on the API host; a full URL must be on it."""
        if path_or_url.startswith("/"):
            return self._base + path_or_url
        parts = urlsplit(path_or_url)
        if (parts.scheme, parts.netloc) != (self._scheme, self._netloc) or not parts.path.startswith(self._base + "/"):
            raise GitHubError(f"refusing to follow {self.redact(path_or_url)!r}: not on {self.api_url} (the token goes nowhere else)")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def request(self, method: str, path: str, body: object = None, params: dict | None = None) -> Response:
        target = self._target(path)
        if params:
            target += ("&" if "?" in target else "?") + urlencode(params)
        payload = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": self.user_agent,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        for attempt in (1, 2):
            status, resp_headers, raw = self._send(method, target, payload, headers)
            wait = self._retry_wait(status, resp_headers)
            if wait is not None and attempt == 1:
                time.sleep(wait)
                continue
            break
        data = None
        if raw:
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                data = raw.decode("utf-8", "replace")
        if status >= 300:
            raise self._error(method, target, status, resp_headers, data)
        return Response(status, resp_headers, data)

    def _send(self, method: str, target: str, payload: bytes | None, headers: dict) -> tuple[int, dict, bytes]:
        conn_cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(self._netloc, timeout=self.timeout)
        try:
            conn.request(method, target, body=payload, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw
        except (OSError, http.client.HTTPException) as err:
            raise GitHubError(f"{method} {self.api_url}{target[len(self._base):]}: no answer from GitHub ({self.redact(str(err)) or type(err).__name__})") from None
        finally:
            conn.close()

    def _retry_wait(self, status: int, headers: dict) -> float | None:
        """Seconds to wait before the one retry of a secondary rate limit, or None."""
        if status not in (403, 429) or headers.get("x-ratelimit-remaining") == "0":
            return None
        try:
            wait = float(headers["retry-after"])
        except (KeyError, ValueError):
            return None
        return wait if 0 <= wait <= self.max_retry_wait else None

    def _error(self, method: str, target: str, status: int, headers: dict, data: object) -> GitHubError:
        where = f"{method} {target[len(self._base):].split('?', 1)[0]}"
        message = data.get("message", "") if isinstance(data, dict) else str(data or "")[:200]
        details = ""
        if isinstance(data, dict) and isinstance(data.get("errors"), list):
            parts = []
            for e in data["errors"][:5]:
                if isinstance(e, dict):
                    parts.append(e.get("message") or " ".join(str(e.get(k, "")) for k in ("resource", "field", "code")).strip())
                else:
                    parts.append(str(e))
            details = "; ".join(p for p in parts if p)
        reason = f"{message}" + (f" ({details})" if details else "")
        if status == 401:
            text = f"{where}: GitHub refused the token (401 {message or 'Bad credentials'}): check GITHUB_TOKEN"
            return GitHubError(self.redact(text), status)
        if status in (403, 429) and (headers.get("x-ratelimit-remaining") == "0" or status == 429 or "rate limit" in message.lower()):
            reset = headers.get("x-ratelimit-reset")
            when = ""
            if reset and reset.isdigit():
                when = f"; it resets at {time.strftime('%H:%M:%S UTC', time.gmtime(int(reset)))}"
            elif headers.get("retry-after"):
                when = f"; GitHub asks to wait {headers['retry-after']} s"
            text = f"{where}: GitHub's API rate limit is exhausted ({status} {message or 'rate limit exceeded'}){when}; run again later"
            return GitHubError(self.redact(text), status, rate_limited=True)
        if status == 403 and "not accessible by integration" in message.lower():
            text = (f"{where}: the token may not write here (403 {message}): a pull request from a fork gets a read-only "
                    "token, or the workflow lacks the permission (pull-requests: write / contents: write)")
            return GitHubError(self.redact(text), status, read_only=True)
        if status == 403:
            return GitHubError(self.redact(f"{where}: forbidden (403 {reason})"), status)
        if status == 404:
            text = f"{where}: not found (404 {message}): the repository, pull request or branch does not exist, or the token cannot see it"
            return GitHubError(self.redact(text), status)
        if status == 422:
            return GitHubError(self.redact(f"{where}: GitHub rejected the request (422 {reason})"), status)
        if status in (301, 302, 307, 308):
            text = f"{where}: moved ({status}) to {headers.get('location', '?')}: the repository was renamed or transferred; use its new name"
            return GitHubError(self.redact(text), status)
        return GitHubError(self.redact(f"{where}: GitHub answered {status} {reason}".rstrip()), status)

    # ----------------------------------------------------------------------------- helpers

    def get(self, path: str, **params) -> object:
        return self.request("GET", path, params=params or None).data

    def post(self, path: str, body: object) -> object:
        return self.request("POST", path, body).data

    def patch(self, path: str, body: object) -> object:
        return self.request("PATCH", path, body).data

    def put(self, path: str, body: object) -> object:
        return self.request("PUT", path, body).data

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def paginate(self, path: str, **params) -> list:
        """Every item of a list, following ``Link: rel="next"`` (on the API host only)."""
        items: list = []
        url: str | None = path
        query = {"per_page": 100, **params}
        for _ in range(MAX_PAGES):
            resp = self.request("GET", url, params=query)
            if not isinstance(resp.data, list):
                raise GitHubError(f"GET {path}: expected a list, GitHub answered {type(resp.data).__name__}")
            items += resp.data
            m = _NEXT.search(resp.headers.get("link", ""))
            if not m:
                return items
            url, query = m.group(1), None  # the next link carries the query
        raise GitHubError(f"GET {path}: more than {MAX_PAGES} pages; stopped")


def repo_path(repo: str) -> str:
    """``/repos/OWNER/NAME`` for a validated ``OWNER/NAME``."""
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}", repo or "") or repo.split("/")[1] in (".", ".."):
        raise GitHubError(f"repository {repo!r} is not OWNER/NAME")
    return f"/repos/{repo}"


def ref_path(ref: str) -> str:
    """A ref such as ``heads/imgfix/harden`` quoted for a URL path (its slashes stay)."""
    return quote(ref, safe="/")
