"""`infraplan charts lock` against repositories that misbehave (review of #14): redirects that
downgrade or leave the host, answers that are not HTTP, a server that trickles, an index.yaml
whose appVersion is a YAML bomb; and constraints whose series cannot be listed.

Offline: one local server whose answer each test chooses per path."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from constructs_lib.plan import PlanError, load_plan
from stacks import chart_repos
from stacks.chart_repos import RepositoryError, index_versions, oci_versions

from conftest import edit_yaml
from ports import free_port

Answer = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """Answers each path with the function a test registered; records (path, Authorization)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.routes: dict[str, Answer] = {}
        self.seen: list[tuple[str, str]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                server.seen.append((path, self.headers.get("Authorization", "")))
                answer = server.routes.get(path)
                if answer is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer(self)

        return Handler


def send(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return answer


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", s.port), s.handler())
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield s
    httpd.shutdown()
    httpd.server_close()


def _index(entries: list[dict]) -> bytes:
    return yaml.safe_dump({"apiVersion": "v1", "entries": {"argo-cd": entries}}).encode()


# --- redirects ---------------------------------------------------------------------------------


def test_a_redirect_from_https_to_plain_http_is_refused() -> None:
    """urllib's own handler follows it: an https:// repository would be read unauthenticated."""
    [handler] = [h for h in chart_repos._OPENER.handlers if isinstance(h, urllib.request.HTTPRedirectHandler)]
    request = urllib.request.Request("https://charts.example.com/index.yaml")
    with pytest.raises(RepositoryError, match="redirects to http://charts.example.com/index.yaml: refused"):
        handler.redirect_request(request, open("/dev/null", "rb"), 302, "Found", {}, "http://charts.example.com/index.yaml")
    follow = handler.redirect_request(request, open("/dev/null", "rb"), 302, "Found", {}, "https://cdn.example.net/index.yaml")
    assert follow is not None and follow.full_url == "https://cdn.example.net/index.yaml"


def test_a_redirect_to_another_scheme_is_refused(server: Server) -> None:
    server.routes["/repo/index.yaml"] = send(302, headers={"Location": f"ftp://127.0.0.1:{server.port}/index.yaml"})
    with pytest.raises(RepositoryError, match="redirects to ftp://.*refused"):
        index_versions(f"{server.url}/repo", "argo-cd")


def test_a_redirect_within_the_host_is_followed(server: Server) -> None:
    server.routes["/repo/index.yaml"] = send(301, headers={"Location": "/moved/index.yaml"})
    server.routes["/moved/index.yaml"] = send(200, _index([{"version": "8.1.3", "appVersion": "v3.0.11"}]))
    assert [(p.version, p.app_version) for p in index_versions(f"{server.url}/repo", "argo-cd")] == [("8.1.3", "v3.0.11")]


def test_the_registry_token_does_not_follow_a_redirect_to_another_host(server: Server) -> None:
    """A registry that sends the tag list elsewhere (a blob store, a CDN) must not receive our Bearer token there."""
    challenge = f'Bearer realm="{server.url}/token",service="registry",scope="repository:charts/argo-cd:pull"'

    def tags(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("Authorization") != "Bearer pull-token":
            return send(401, headers={"WWW-Authenticate": challenge})(h)
        # the same server under another name: another host as far as the client knows
        return send(307, headers={"Location": f"http://localhost:{server.port}/elsewhere/tags"})(h)

    server.routes["/token"] = send(200, b'{"token": "pull-token"}')
    server.routes["/v2/charts/argo-cd/tags/list"] = tags
    server.routes["/elsewhere/tags"] = send(200, b'{"tags": ["8.1.3"]}')
    versions, _ = oci_versions(f"oci://127.0.0.1:{server.port}/charts", "argo-cd")
    assert versions == ["8.1.3"]
    assert ("/v2/charts/argo-cd/tags/list", "Bearer pull-token") in server.seen
    assert ("/elsewhere/tags", "") in server.seen


def test_a_tag_page_link_to_another_host_is_refused_not_asked_with_the_token(server: Server) -> None:
    """The next page is asked with the registry's token: a Link to another host would hand it over."""
    challenge = f'Bearer realm="{server.url}/token",service="registry"'

    def tags(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("Authorization") != "Bearer pull-token":
            return send(401, headers={"WWW-Authenticate": challenge})(h)
        link = f'<http://localhost:{server.port}/v2/charts/argo-cd/tags/list?last=8.1.3>; rel="next"'
        return send(200, b'{"tags": ["8.1.3"]}', {"Link": link})(h)

    server.routes["/token"] = send(200, b'{"token": "pull-token"}')
    server.routes["/v2/charts/argo-cd/tags/list"] = tags
    with pytest.raises(RepositoryError, match="next page of tags is http://localhost:.*another host or scheme; refused"):
        oci_versions(f"oci://127.0.0.1:{server.port}/charts", "argo-cd")
    assert [a for p, a in server.seen if p == "/v2/charts/argo-cd/tags/list"] == ["", "Bearer pull-token"]


def test_a_token_realm_that_is_not_http_is_refused(server: Server) -> None:
    """The realm is the registry's to name: file:///etc/hostname must not be read (urllib's opener would)."""
    server.routes["/v2/charts/argo-cd/tags/list"] = send(401, headers={"WWW-Authenticate": 'Bearer realm="file:///etc/hostname",service="registry"'})
    with pytest.raises(RepositoryError, match=r"file:///etc/hostname\?.* is not an http\(s\) URL; refused"):
        oci_versions(f"oci://127.0.0.1:{server.port}/charts", "argo-cd")


def test_an_https_registry_whose_token_realm_is_plain_http_is_refused() -> None:
    registry = chart_repos._Registry("oci://registry.invalid/charts", "argo-cd")
    with pytest.raises(RepositoryError, match="its token service http://auth.invalid/token is not HTTPS; refused"):
        registry._anonymous_token('Bearer realm="http://auth.invalid/token",service="registry"', "https://registry.invalid/v2/charts/argo-cd/tags/list")


# --- answers that are not what they should be --------------------------------------------------


def test_an_answer_that_is_not_http_is_a_repository_error(server: Server) -> None:
    def garbage(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        h.close_connection = True

    server.routes["/repo/index.yaml"] = garbage
    with pytest.raises(RepositoryError, match="not HTTP"):
        index_versions(f"{server.url}/repo", "argo-cd")


def test_a_server_that_trickles_its_answer_is_cut_off(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each byte arrives before the read timeout; the whole answer must still come within the deadline."""
    monkeypatch.setattr(chart_repos, "DEADLINE_SECONDS", 0.5)

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "200")
        h.end_headers()
        try:
            for _ in range(200):
                h.wfile.write(b"#")
                h.wfile.flush()
                time.sleep(0.04)
        except OSError:
            pass  # the client gave up, as it should

    server.routes["/repo/index.yaml"] = trickle
    started = time.monotonic()
    with pytest.raises(RepositoryError, match="did not send its whole answer within 0.5 s"):
        index_versions(f"{server.url}/repo", "argo-cd")
    assert time.monotonic() - started < 3


def test_an_app_version_that_is_no_scalar_is_none_and_a_yaml_bomb_is_not_expanded(server: Server) -> None:
    levels = ["a: &l0 [x, x, x, x, x, x, x, x, x, x]"] + [f"b{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 6)]
    body = "\n".join(
        [
            "apiVersion: v1",
            "bomb:",
            *(f"  {line}" for line in levels),
            "entries:",
            "  argo-cd:",
            "    - {version: 8.1.3, appVersion: *l5, digest: " + "a" * 64 + "}",
            "    - {version: 8.1.4, appVersion: [v3]}",
            "    - {version: 8.1.5, appVersion: v3.0.12}",
            "    - {version: 8.1.6, appVersion: 3.1}",
        ]
    )
    server.routes["/repo/index.yaml"] = send(200, body.encode())
    published = index_versions(f"{server.url}/repo", "argo-cd")
    assert [(p.version, p.app_version) for p in published] == [("8.1.3", None), ("8.1.4", None), ("8.1.5", "v3.0.12"), ("8.1.6", "3.1")]


@pytest.mark.parametrize("versions", ["5", "{8.1.3: {}}"])
def test_an_index_whose_chart_lists_no_versions_is_a_repository_error(server: Server, versions: str) -> None:
    server.routes["/repo/index.yaml"] = send(200, f"apiVersion: v1\nentries:\n  argo-cd: {versions}\n".encode())
    with pytest.raises(RepositoryError, match=r"is not a Helm repository index \(entries.argo-cd is no list of versions\)"):
        index_versions(f"{server.url}/repo", "argo-cd")


# --- constraints whose series cannot be listed -------------------------------------------------


def test_validate_refuses_a_0x_range_of_millions_of_series_at_once(plan_copy: Path) -> None:
    """Counted, not listed: with <0.99999999 the list alone took gigabytes and validate never answered."""
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(charts={"external-secrets": {"version": ">=0.10,<0.2000000"}}))
    started = time.monotonic()
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    assert time.monotonic() - started < 5
    [issue] = [i for i in info.value.issues if i.path == "charts.external-secrets.version"]
    assert "admits more than 64 external-secrets series" in issue.message and len(issue.message) < 300


# --- a malformed lock ---------------------------------------------------------------------------


def test_charts_lock_rewrites_a_malformed_lock_whose_hint_names_it(plan_copy: Path, server: Server) -> None:
    """validate refuses the malformed lock with the hint 'run infraplan charts lock': that command must not refuse it too."""
    from stacks.charts_lock import lock_charts, write_lock

    digest = "b" * 64
    server.routes["/argo/index.yaml"] = send(200, _index([{"version": "7.9.1", "appVersion": "v2.14.15", "digest": digest}]))
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(charts={"argocd": {"version": "7.x", "repo_url": f"{server.url}/argo"}}))
    (plan_copy / "charts.lock").write_text("charts:\n  argocd:\n    chart: argo-cd\n    version: 7.x\n")
    with pytest.raises(PlanError, match="not an exact chart version"):
        load_plan(plan_copy)
    lock, _ = lock_charts(plan_copy)
    write_lock(plan_copy, lock)
    assert load_plan(plan_copy).charts["argocd"].version == "7.9.1"
    assert lock.charts["argocd"].digest == f"sha256:{digest}"
