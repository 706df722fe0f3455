"""What a chart repository publishes: its versions of a chart, with digest and app version.

Two kinds, read with the standard library only (``urllib``), each request with a timeout:

- a Helm repository (``https://host/path``): its ``index.yaml``;
- an OCI registry (``oci://host/path``): the Distribution API, ``/v2/<path>/<chart>/tags/list``
  (following ``Link: rel="next"`` pages) and a ``HEAD`` of the tag's manifest for its
  ``Docker-Content-Digest``. A registry that answers 401 with a ``Bearer`` challenge gets the
  anonymous token flow (the challenge's realm, service and scope). Helm writes a version's ``+``
  as ``_`` in a tag; it is read back. The registry is reached over HTTPS, except a loopback host
  (localhost, 127.0.0.0/8, ::1), which is reached over plain HTTP, as Docker does.

Only ``infraplan charts lock`` calls this; synth never does.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import yaml

TIMEOUT_SECONDS = 30  # per connect and per read: a server that stops answering
DEADLINE_SECONDS = 300  # per response, whole: a server that trickles bytes cannot hold the lock forever
READ_CHUNK = 64 * 1024
MAX_INDEX_BYTES = 256 * 1024 * 1024  # the largest public indexes are tens of MiB
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_TAG_PAGES = 100
USER_AGENT = "infraplan-charts-lock"
OCI_MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"


class RepositoryError(Exception):
    """A repository that cannot be read, or that lacks what the plan asks of it (a readable sentence)."""


@dataclass(frozen=True)
class Published:
    """One version of a chart as its repository lists it."""

    version: str
    digest: str | None
    app_version: str | None


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows a repository's redirects (GitHub Pages, a CDN, a registry's blob store), but never from
    HTTPS to plain HTTP or another scheme (urllib's own handler does: an https:// repository would
    then be read unauthenticated), and never carries the registry's token to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 (urllib's signature)
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if new.scheme not in ("http", "https") or (old.scheme == "https" and new.scheme != "https"):
            fp.close()
            raise RepositoryError(f"{req.full_url} redirects to {newurl}: refused, a redirect from {old.scheme} may not lead to {new.scheme or 'no scheme'}")
        follow = super().redirect_request(req, fp, code, msg, headers, newurl)
        if follow is not None and old.netloc.lower() != new.netloc.lower():
            follow.remove_header("Authorization")
        return follow


_OPENER = urllib.request.build_opener(_Redirects)


def _read(response, url: str, what: str, limit: int) -> bytes:  # noqa: ANN001 (an http.client.HTTPResponse)
    """At most ``limit + 1`` bytes, within DEADLINE_SECONDS for the whole body (one recv per chunk)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    chunks, size = [], 0
    while size <= limit:
        if time.monotonic() > deadline:
            raise RepositoryError(f"{what}: {url} did not send its whole answer within {DEADLINE_SECONDS} s")
        chunk = response.read1(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _open(request: urllib.request.Request, what: str, limit: int) -> tuple[bytes, dict[str, str]]:
    if urllib.parse.urlsplit(request.full_url).scheme not in ("http", "https"):  # a registry's token realm is its to choose: never file:// or ftp://
        raise RepositoryError(f"{what}: {request.full_url} is not an http(s) URL; refused")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:  # http/https only: checked by the plan and _Redirects
            body = _read(response, request.full_url, what, limit)
            headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError:
        raise  # the caller reads its status (401: the token flow; 404: no such chart)
    except urllib.error.URLError as exc:
        raise RepositoryError(f"{what}: {request.full_url} is unreachable ({exc.reason})") from None
    except TimeoutError:
        raise RepositoryError(f"{what}: {request.full_url} did not answer within {TIMEOUT_SECONDS} s") from None
    except OSError as exc:
        raise RepositoryError(f"{what}: {request.full_url} failed ({exc})") from None
    except (http.client.HTTPException, ValueError) as exc:  # a malformed answer: status line, headers, length, redirect URL
        raise RepositoryError(f"{what}: {request.full_url} answered something that is not HTTP ({type(exc).__name__}: {str(exc)[:200]})") from None
    if len(body) > limit:
        raise RepositoryError(f"{what}: {request.full_url} is larger than {limit // (1024 * 1024)} MiB")
    return body, headers


def _get(url: str, what: str, limit: int, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})}, method=method)
    try:
        return _open(request, what, limit)
    except urllib.error.HTTPError as exc:
        raise RepositoryError(f"{what}: {url} answered HTTP {exc.code} {exc.reason}") from None


# --- Helm repositories (index.yaml) -------------------------------------------------------------


def index_versions(repo_url: str, chart: str) -> list[Published]:
    """Every version of ``chart`` the repository's index.yaml lists."""
    url = repo_url.rstrip("/") + "/index.yaml"
    body, _ = _get(url, f"the Helm repository {repo_url}", MAX_INDEX_BYTES)
    try:
        index = yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise RepositoryError(f"{url} is not a Helm repository index: {str(exc).splitlines()[0]}") from None
    entries = index.get("entries") if isinstance(index, dict) else None
    if not isinstance(entries, dict):
        raise RepositoryError(f"{url} is not a Helm repository index (no entries)")
    if chart not in entries:
        import difflib

        close = difflib.get_close_matches(chart, [str(k) for k in entries], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; it has {len(entries)} other charts"
        raise RepositoryError(f"the Helm repository {repo_url} has no chart '{chart}'{hint}")
    if not isinstance(entries[chart] or [], list):
        raise RepositoryError(f"{url} is not a Helm repository index (entries.{chart} is no list of versions)")
    out = []
    for entry in entries[chart] or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
            continue
        digest = entry.get("digest")
        digest = f"sha256:{digest}" if isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest) else None
        app = entry.get("appVersion")  # a scalar; anything else (an alias to a nested list: a YAML bomb once str()-ed) is none
        app = str(app) if isinstance(app, (str, int, float)) and not isinstance(app, bool) else None
        out.append(Published(entry["version"], digest, app))
    return out


# --- OCI registries (Distribution API) ----------------------------------------------------------


def _oci_base(repo_url: str, chart: str) -> tuple[str, str]:
    """(https://host or http://loopback, repository name) of ``chart`` under ``oci://host/path``."""
    parts = urllib.parse.urlsplit(repo_url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    scheme = "http" if loopback else "https"
    netloc = parts.netloc
    return f"{scheme}://{netloc}", f"{parts.path.strip('/')}/{chart}"


def _challenge(header: str) -> dict[str, str] | None:
    """The parameters of a ``Bearer`` WWW-Authenticate challenge, or None for any other scheme."""
    if not header.lower().startswith("bearer "):
        return None
    return {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', header[len("bearer ") :])}


class _Registry:
    """One OCI repository, with the anonymous pull token once the registry asked for one."""

    def __init__(self, repo_url: str, chart: str):
        self.repo_url, self.chart = repo_url, chart
        self.base, self.name = _oci_base(repo_url, chart)
        self.token: str | None = None

    def request(self, path: str, method: str = "GET", accept: str | None = None) -> tuple[bytes, dict[str, str]]:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        what = f"the OCI registry {self.repo_url}"
        for attempt in (1, 2):
            headers = {"Accept": accept} if accept else {}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers}, method=method)
            try:
                return _open(req, what, MAX_JSON_BYTES)
            except urllib.error.HTTPError as exc:
                if exc.code == 401 and attempt == 1 and self.token is None:
                    self.token = self._anonymous_token(exc.headers.get("WWW-Authenticate", ""), url)
                    continue
                if exc.code == 404:
                    raise RepositoryError(f"{what} has no chart '{self.chart}' ({url} answered HTTP 404)") from None
                raise RepositoryError(f"{what}: {url} answered HTTP {exc.code} {exc.reason}") from None
        raise RepositoryError(f"{what}: {url} refused the anonymous token (HTTP 401): the chart is not public")

    def _anonymous_token(self, header: str, url: str) -> str:
        params = _challenge(header)
        if not params or not params.get("realm"):
            raise RepositoryError(f"the OCI registry {self.repo_url}: {url} asks for credentials ({header or 'HTTP 401 without a challenge'}); charts lock reads public charts only")
        query = {k: v for k, v in (("service", params.get("service")), ("scope", params.get("scope") or f"repository:{self.name}:pull")) if v}
        realm = params["realm"]
        if self.base.startswith("https://") and not realm.startswith("https://"):
            raise RepositoryError(f"the OCI registry {self.repo_url}: its token service {realm} is not HTTPS; refused")
        token_url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
        body, _ = _get(token_url, f"the token service of {self.repo_url}", MAX_JSON_BYTES)
        try:
            data = json.loads(body)
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RepositoryError(f"the token service {realm} of {self.repo_url} gave no token")
        return token

    def tags(self) -> list[str]:
        out: list[str] = []
        path: str | None = f"/v2/{self.name}/tags/list"
        for _ in range(MAX_TAG_PAGES):
            if path is None:
                return out
            body, headers = self.request(path)
            try:
                tags = json.loads(body).get("tags") or []
            except (ValueError, AttributeError):
                raise RepositoryError(f"the OCI registry {self.repo_url}: {path} is not a tag list") from None
            out += [t for t in tags if isinstance(t, str)]
            link = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', headers.get("link", ""))
            path = urllib.parse.urljoin(self.base + "/", link.group(1)) if link else None
            if path is not None and not path.startswith(self.base + "/"):
                # the next page is asked with our token: only of this registry, over its own scheme
                raise RepositoryError(f"the OCI registry {self.repo_url}: its next page of tags is {path}, on another host or scheme; refused")
        raise RepositoryError(f"the OCI registry {self.repo_url} lists more than {MAX_TAG_PAGES} pages of tags for {self.chart}")

    def digest(self, tag: str) -> str:
        _, headers = self.request(f"/v2/{self.name}/manifests/{urllib.parse.quote(tag)}", method="HEAD", accept=OCI_MANIFEST_TYPES)
        digest = headers.get("docker-content-digest", "")
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise RepositoryError(f"the OCI registry {self.repo_url} gave no Docker-Content-Digest for {self.chart}:{tag}")
        return digest


def oci_versions(repo_url: str, chart: str) -> tuple[list[str], _Registry]:
    """The versions the registry's tags name (Helm's ``_`` read back as ``+``), and the registry to ask for a digest."""
    registry = _Registry(repo_url, chart)
    return [t.replace("_", "+") for t in registry.tags()], registry


def published_versions(repo_url: str, chart: str) -> tuple[list[str], object]:
    """The versions of ``chart`` in ``repo_url`` and a handle for :func:`details`."""
    if repo_url.startswith("oci://"):
        return oci_versions(repo_url, chart)
    entries = index_versions(repo_url, chart)
    return [e.version for e in entries], {e.version: e for e in entries}


def details(handle: object, version: str) -> Published:
    """Digest and app version of the chosen ``version`` (a manifest HEAD for OCI: no app version there)."""
    if isinstance(handle, _Registry):
        return Published(version, handle.digest(version.replace("+", "_")), None)
    assert isinstance(handle, dict)
    return handle[version]
