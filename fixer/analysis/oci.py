"""A small OCI Distribution API client: resolve an image tag to its manifest digest.

``HEAD /v2/<name>/manifests/<tag>`` with the image-index, manifest-list and manifest media
types accepted, read ``Docker-Content-Digest`` (or ``GET`` the manifest and hash it when a
registry leaves the header out), and authenticate the way Docker does: on ``401`` read
``WWW-Authenticate``; ``Bearer realm=...,service=...,scope=...`` means fetch a token from the
realm (anonymously, or with the credentials the Docker config file holds for that
registry), ``Basic`` means send those credentials. Standard library only (``urllib``).

Only ``fixer.transforms.pin`` uses it, and only when pinning is asked for: nothing else in
imgfix opens a network connection. Loopback registries (``localhost``, ``127.0.0.0/8``,
``[::1]``) are spoken to over plain HTTP, as Docker does; everything else over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path

from ..document.imageref import DEFAULT_REGISTRY, ImageRef, is_sha256_digest

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_CONFIG_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"|(\w+)=([^\s,]+)')
_MAX_MANIFEST = 4 * 1024 * 1024


class RegistryError(Exception):
    """Resolving failed; ``kind`` is network | not-found | auth | protocol."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def api_host(registry: str) -> str:
    return DOCKER_HUB_API if registry == DEFAULT_REGISTRY else registry


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[: host.index("]") + 1]
    return name in ("localhost", "[::1]") or name.startswith("127.")


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="...",service="..."`` -> ("bearer", {realm, service, ...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {}
    for m in _CHALLENGE_PARAM.finditer(rest):
        key = (m.group(1) or m.group(3)).lower()
        params[key] = m.group(2) if m.group(1) else m.group(4)
    return scheme.lower(), params


def docker_config_path() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return Path(folder) / "config.json" if folder else Path.home() / ".docker" / "config.json"


def credentials_for(registry: str, config: Path | None = None) -> tuple[str, str] | None:
    """(user, password) the Docker config file stores for a registry, if it stores them inline.

    Credential helpers (``credsStore``, ``credHelpers``) are programs; imgfix does not run them.
    """
    path = config or docker_config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    auths = data.get("auths") or {}
    if not isinstance(auths, dict):
        return None
    keys = DOCKER_HUB_CONFIG_KEYS if registry == DEFAULT_REGISTRY else (registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v1/", f"https://{registry}/v2/")
    for key in keys:
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            if user:
                return user, password
        if entry.get("username") and entry.get("password"):
            return str(entry["username"]), str(entry["password"])
        if entry.get("identitytoken"):
            return "<token>", str(entry["identitytoken"])
    return None


class OciClient:
    """Resolves tags to digests; keeps tokens per registry and scope for one run."""

    def __init__(self, docker_config: Path | None = None, timeout: float = 15.0) -> None:
        self.docker_config = docker_config
        self.timeout = timeout
        self._tokens: dict[tuple[str, str], str] = {}
        self.requests = 0  # how many HTTP requests were made (tests read it)

    def resolve(self, ref: ImageRef) -> str:
        """The digest the registry serves for ``ref``'s tag (``latest`` when it has none)."""
        tag = ref.tag or "latest"
        host = api_host(ref.registry)
        scheme = "http" if is_loopback(host) else "https"
        url = f"{scheme}://{host}/v2/{ref.path}/manifests/{tag}"
        name = f"{ref.familiar}:{tag}"
        status, headers, _ = self._request("HEAD", url, ref, name)
        digest = headers.get("docker-content-digest", "")
        if not is_sha256_digest(digest):
            status, headers, body = self._request("GET", url, ref, name)
            computed = "sha256:" + hashlib.sha256(body).hexdigest()
            served = headers.get("docker-content-digest", "")
            if served and served != computed and served.startswith("sha256:"):
                raise RegistryError("protocol", f"{name}: the manifest does not match the digest the registry states ({served})")
            digest = computed
        return digest

    # ------------------------------------------------------------------ HTTP

    def _request(self, method: str, url: str, ref: ImageRef, name: str, retried: bool = False):
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, method=method)
        request.add_header("Accept", ", ".join(MANIFEST_TYPES))
        request.add_header("User-Agent", "imgfix")
        auth = self._auth_header(ref)
        if auth:
            request.add_unredirected_header("Authorization", auth)
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(_MAX_MANIFEST) if method == "GET" else b""
                return response.status, {k.lower(): v for k, v in response.headers.items()}, body
        except urllib.error.HTTPError as err:
            headers = {k.lower(): v for k, v in (err.headers or {}).items()}
            err.close()
            if err.code == 401 and not retried:
                self._authenticate(headers.get("www-authenticate", ""), ref, name)
                return self._request(method, url, ref, name, retried=True)
            if err.code == 401:
                raise RegistryError("auth", f"{name}: the registry refused access (401 after authenticating; check the credentials in {self.docker_config or docker_config_path()})") from None
            if err.code == 403:
                raise RegistryError("auth", f"{name}: access denied (403)") from None
            if err.code == 404:
                raise RegistryError("not-found", f"{name}: no such tag or repository on {ref.registry} (404 manifest unknown)") from None
            if err.code == 429:
                raise RegistryError("network", f"{name}: rate limited by {ref.registry} (429); try again later or use the lock file") from None
            raise RegistryError("protocol", f"{name}: {ref.registry} answered {err.code} {err.reason}") from None
        except urllib.error.URLError as err:
            raise RegistryError("network", f"{name}: cannot reach {api_host(ref.registry)} ({err.reason})") from None
        except (OSError, ValueError) as err:  # timeouts, connection resets, bad URLs
            raise RegistryError("network", f"{name}: cannot reach {api_host(ref.registry)} ({err})") from None

    def _auth_header(self, ref: ImageRef) -> str | None:
        token = self._tokens.get((ref.registry, ref.path))
        return token

    def _authenticate(self, challenge: str, ref: ImageRef, name: str) -> None:
        scheme, params = parse_challenge(challenge)
        creds = credentials_for(ref.registry, self.docker_config)
        if scheme == "basic":
            if creds is None:
                raise RegistryError("auth", f"{name}: {ref.registry} needs a login and the Docker config file has none for it")
            raw = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            self._tokens[(ref.registry, ref.path)] = f"Basic {raw}"
            return
        if scheme != "bearer" or not params.get("realm"):
            raise RegistryError("auth", f"{name}: {ref.registry} asks for an authentication imgfix does not speak ({challenge or 'no WWW-Authenticate header'})")
        token = self._fetch_token(params, ref, creds, name)
        self._tokens[(ref.registry, ref.path)] = f"Bearer {token}"

    def _fetch_token(self, params: dict[str, str], ref: ImageRef, creds, name: str) -> str:
        import urllib.error
        import urllib.parse
        import urllib.request

        realm = params["realm"]
        parsed = urllib.parse.urlsplit(realm)
        if parsed.scheme not in ("https", "http") or (parsed.scheme == "http" and not is_loopback(parsed.netloc)):
            raise RegistryError("auth", f"{name}: the token service {realm!r} is not an HTTPS address")
        query = {"scope": params.get("scope") or f"repository:{ref.path}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, method="GET")
        request.add_header("User-Agent", "imgfix")
        if creds is not None:
            raw = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            request.add_unredirected_header("Authorization", f"Basic {raw}")
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = json.loads(response.read(1024 * 1024))
        except urllib.error.HTTPError as err:
            err.close()
            raise RegistryError("auth", f"{name}: the token service refused ({err.code} {err.reason})") from None
        except urllib.error.URLError as err:
            raise RegistryError("network", f"{name}: cannot reach the token service {parsed.netloc} ({err.reason})") from None
        except (OSError, ValueError) as err:
            raise RegistryError("auth", f"{name}: no usable answer from the token service ({err})") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError("auth", f"{name}: the token service returned no token")
        return token
