"""Helm Chart Discovery (#14): chart version constraints in the plan, `infraplan charts lock`, charts.lock.

Offline: a local HTTP server serves index.yaml files the tests write, and a tiny OCI registry
(tags/list and manifest HEAD, with and without the anonymous token flow)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from constructs_lib.kubernetes.tree import render_environment
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.chart_lock import LOCK_FILE
from constructs_lib.plan.chart_versions import ConstraintError, best_match, parse_constraint
from constructs_lib.resolve.environment import resolve_environment
from stacks.chart_repos import RepositoryError
from stacks.charts_lock import lock_charts, write_lock
from stacks.cli import main

from conftest import edit_yaml
from ports import free_port

# --- the constraint grammar (pure) ---------------------------------------------------------------

PUBLISHED = ["7.9.1", "8.0.0", "8.1.3", "8.1.4", "8.2.0-rc.1", "9.0.0", "v1.16.5", "v1.17.2", "v1.17.10", "v1.18.0", "0.10.7", "0.17.0", "0.17.3", "0.18.0", "not-semver"]


@pytest.mark.parametrize(
    ("constraint", "chosen"),
    [
        ("8.1.3", "8.1.3"),
        ("8.x", "8.1.4"),
        ("8.1.x", "8.1.4"),
        ("8", "8.1.4"),
        ("~8.0", "8.0.0"),
        ("^8.0", "8.1.4"),
        (">=7.6,<9", "8.1.4"),
        (">= 7.6 , < 8.1.4", "8.1.3"),
        (">8.0.0 <=8.1.3", "8.1.3"),
        ("~1.17", "v1.17.10"),  # cert-manager's leading v: compared without it, written with it
        ("v1.17.x", "v1.17.10"),
        ("1.17.2", "v1.17.2"),
        ("^0.17", "0.17.3"),  # 0.x: the caret keeps the minor
        ("~0.17.1", "0.17.3"),
        ("0.10.x", "0.10.7"),
        ("8.2.0-rc.1", "8.2.0-rc.1"),  # a prerelease only when the constraint names one
        (">=8.2.0-0,<9", "8.2.0-rc.1"),
        ("~8.2", None),  # 8.2.0-rc.1 alone: not a release
        ("6.x", None),
    ],
)
def test_the_highest_version_within_the_constraint_is_chosen(constraint: str, chosen: str | None) -> None:
    assert best_match(parse_constraint(constraint), PUBLISHED) == chosen


@pytest.mark.parametrize(
    ("constraint", "series"),
    [("8.x", ["8"]), (">=7.6,<9", ["7", "8"]), ("~1.17", ["1"]), ("^0.17", ["0.17"]), (">=0.10,<0.18", [f"0.{m}" for m in range(10, 18)]), (">=7", None), ("<9", None)],
)
def test_the_series_a_constraint_admits(constraint: str, series: list[str] | None) -> None:
    assert parse_constraint(constraint).series() == series


@pytest.mark.parametrize(
    ("constraint", "reason"),
    [
        ("latest", "an upgrade nobody reviewed"),
        ("*", "an upgrade nobody reviewed"),
        ("x", "an upgrade nobody reviewed"),
        ("1.x || 2.x", "alternatives"),
        ("!=8.1.3", "exclusions"),
        (">=9,<8", "admits no version"),
        ("eight", "is no version"),
        ("x.1", "a wildcard is followed by a number"),
        ("8.1-rc.1", "a prerelease needs a whole version"),
    ],
)
def test_constraints_that_are_refused_say_why(constraint: str, reason: str) -> None:
    with pytest.raises(ConstraintError, match=reason.replace("(", r"\(")):
        parse_constraint(constraint)


# --- the plan: charts: -------------------------------------------------------------------------


def _charts(plan: Path, charts: dict) -> None:
    edit_yaml(plan / "platform.yaml", lambda d: d.update(charts=charts))


def _issue(plan: Path) -> tuple[str, str, str]:
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    [issue] = info.value.issues
    return issue.path, issue.message, issue.hint


@pytest.mark.parametrize("constraint", ["latest", "*"])
def test_latest_is_refused_with_the_reason(plan_copy: Path, constraint: str) -> None:
    _charts(plan_copy, {"argocd": {"version": constraint}})
    path, message, hint = _issue(plan_copy)
    assert path == "charts.argocd.version" and "an upgrade nobody reviewed" in message and "8.x" in hint


def test_a_major_infraplan_has_no_values_for_is_refused_with_the_supported_ones(plan_copy: Path) -> None:
    _charts(plan_copy, {"argocd": {"version": "9.x"}})
    path, message, _ = _issue(plan_copy)
    assert path == "charts.argocd.version" and "argo-cd 9.x, which infraplan has no values for" in message and "argo-cd 7.x, 8.x only" in message
    _charts(plan_copy, {"argocd": {"version": ">=8"}})
    path, message, _ = _issue(plan_copy)
    assert path == "charts.argocd.version" and "no upper bound: it admits every later argo-cd series" in message
    _charts(plan_copy, {"argocd": {"version": "<=8.1.3"}})
    assert "no lower bound: it admits every earlier argo-cd series" in _issue(plan_copy)[1]
    _charts(plan_copy, {"argocd": {"version": ">=6.0,<8.2"}})
    assert "argo-cd 6.x, which infraplan has no values for" in _issue(plan_copy)[1]


def test_a_chart_for_a_component_the_plan_does_not_install_is_refused(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(components=[c for c in d["components"] if c != "kube-prometheus-stack"]))
    _charts(plan_copy, {"kube-prometheus-stack": {"version": "72.x"}})
    path, message, _ = _issue(plan_copy)
    assert path == "charts.kube-prometheus-stack" and "kube-prometheus-stack is not in components" in message


@pytest.mark.parametrize(
    ("repo_url", "message"),
    [("ftp://charts.example.com", "not a chart repository URL"), ("https://user:pw@charts.example.com", "holds credentials"), ("oci://ghcr.io", "names no repository path")],
)
def test_a_repository_url_helm_cannot_read_is_refused(plan_copy: Path, repo_url: str, message: str) -> None:
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": repo_url}})
    path, found, _ = _issue(plan_copy)
    assert path == "charts.argocd.repo_url" and message in found


def test_gitops_argocd_version_is_refused_with_the_migration(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(argocd_version="7.9.1"))
    path, message, hint = _issue(plan_copy)
    assert path == "gitops.argocd_version" and "replaced by charts.argocd.version" in message
    assert 'charts: {argocd: {version: "7.9.1"}}' in hint and "infraplan charts lock" in hint


def test_constraints_without_a_lock_are_refused(plan_copy: Path) -> None:
    _charts(plan_copy, {"argocd": {"version": "8.x"}})
    path, message, hint = _issue(plan_copy)
    assert path == "charts" and "no charts.lock" in message and "run infraplan charts lock" in hint
    assert main(["validate", "--plan", str(plan_copy)]) == 2
    assert main(["explain", "--plan", str(plan_copy), "--env", "dev"]) == 2


# --- a local Helm repository and OCI registry --------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Repos:
    """Helm repositories (a path -> index.yaml) and OCI repositories (a name -> tags) on one local server."""

    def __init__(self) -> None:
        self.indexes: dict[str, dict] = {}
        self.oci: dict[str, list[str]] = {}
        self.token_required = False
        self.requests: list[tuple[str, str, str]] = []  # (method, path, Authorization)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def publish(self, repo: str, chart: str, *versions: str) -> str:
        entries = self.indexes.setdefault(repo, {})
        entries.setdefault(chart, [])
        entries[chart] += [{"name": chart, "version": v, "appVersion": f"app-{v}", "digest": _digest(chart + v), "urls": [f"{chart}-{v}.tgz"]} for v in versions]
        return f"{self.url}/{repo}"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        repos = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                repos.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
                path = self.path.split("?")[0]
                if path.endswith("/index.yaml") and path[1:-11] in repos.indexes:
                    return self._send(200, yaml.safe_dump({"apiVersion": "v1", "entries": repos.indexes[path[1:-11]]}).encode())
                if path == "/token":
                    return self._send(200, json.dumps({"token": "anonymous-pull"}).encode())
                if path.startswith("/v2/"):
                    if repos.token_required and self.headers.get("Authorization") != "Bearer anonymous-pull":
                        challenge = f'Bearer realm="{repos.url}/token",service="fake-registry",scope="repository:{path[4:].split("/tags/")[0].split("/manifests/")[0]}:pull"'
                        return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": challenge})
                    name, _, rest = path[4:].partition("/tags/list") if "/tags/list" in path else (None, None, None)
                    if name is not None and name in repos.oci:
                        return self._send(200, json.dumps({"name": name, "tags": repos.oci[name]}).encode())
                    if "/manifests/" in path:
                        name, tag = path[4:].split("/manifests/")
                        if name in repos.oci and tag in repos.oci[name]:
                            return self._send(200, b"{}", {"Docker-Content-Digest": "sha256:" + _digest(name + tag)})
                return self._send(404, b"not found")

        return Handler


@pytest.fixture
def repos() -> Iterator[Repos]:
    r = Repos()
    server = ThreadingHTTPServer(("127.0.0.1", r.port), r.handler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield r
    server.shutdown()
    server.server_close()


def _lock(plan: Path, *update: str) -> dict:
    lock, _ = lock_charts(plan, update)
    write_lock(plan, lock)
    return yaml.safe_load((plan / LOCK_FILE).read_text())["charts"]


def test_charts_lock_picks_the_highest_match_and_synth_uses_it(plan_copy: Path, repos: Repos) -> None:
    argo = repos.publish("argo", "argo-cd", "7.9.1", "8.0.0", "8.1.3", "8.1.4", "8.2.0-rc.1", "9.0.0")
    kps = repos.publish("prom", "kube-prometheus-stack", "72.6.2", "72.9.0", "73.0.0")
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": argo}, "kube-prometheus-stack": {"version": "~72.6", "repo_url": kps}})
    assert main(["charts", "lock", "--plan", str(plan_copy)]) == 0
    lock = yaml.safe_load((plan_copy / LOCK_FILE).read_text())["charts"]
    assert lock["argocd"] == {"chart": "argo-cd", "repo_url": argo, "constraint": "8.x", "version": "8.1.4", "digest": "sha256:" + _digest("argo-cd8.1.4"), "app_version": "app-8.1.4"}
    assert lock["kube-prometheus-stack"]["version"] == "72.6.2"
    first = (plan_copy / LOCK_FILE).read_text()
    assert main(["charts", "lock", "--plan", str(plan_copy)]) == 0 and (plan_copy / LOCK_FILE).read_text() == first  # deterministic

    env = resolve_environment(load_plan(plan_copy), "dev")
    chart = env.cluster.addon("argocd").chart
    assert (chart.version, chart.repo_url, chart.digest, chart.constraint) == ("8.1.4", argo, "sha256:" + _digest("argo-cd8.1.4"), "8.x")
    files = render_environment(env)
    app = yaml.safe_load(files["dev/bootstrap/argocd/install/application.yaml"])
    assert (app["spec"]["source"]["repoURL"], app["spec"]["source"]["targetRevision"]) == (argo, "8.1.4")
    # two repositories on one host: a repository Secret each, named apart
    secrets = {yaml.safe_load(t)["stringData"]["url"]: n for n, t in files.items() if n.startswith("dev/argocd/repositories/repo-")}
    assert secrets[argo] != secrets[kps] and {argo, kps} <= set(yaml.safe_load(files["dev/root/project-platform.yaml"])["spec"]["sourceRepos"])
    explained = {d.path: d for d in env.decisions}
    assert explained["cluster.addons.argocd.chart"].source.kind == "plan" and "'8.x' locked to 8.1.4" in explained["cluster.addons.argocd.chart"].source.reason
    assert explained["cluster.addons.ingress-nginx.chart"].source.kind == "default" and "chart catalog" in explained["cluster.addons.ingress-nginx.chart"].source.reason


def test_a_lock_does_not_drift_until_updated(plan_copy: Path, repos: Repos) -> None:
    argo = repos.publish("argo", "argo-cd", "8.1.3")
    kps = repos.publish("prom", "kube-prometheus-stack", "72.6.2")
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": argo}, "kube-prometheus-stack": {"version": "72.x", "repo_url": kps}})
    assert _lock(plan_copy)["argocd"]["version"] == "8.1.3"
    repos.publish("argo", "argo-cd", "8.2.0")
    repos.publish("prom", "kube-prometheus-stack", "72.9.0")
    repos.requests.clear()
    locked = _lock(plan_copy)
    assert (locked["argocd"]["version"], locked["kube-prometheus-stack"]["version"]) == ("8.1.3", "72.6.2") and repos.requests == []  # kept, nothing fetched
    locked = _lock(plan_copy, "argocd")
    assert (locked["argocd"]["version"], locked["kube-prometheus-stack"]["version"]) == ("8.2.0", "72.6.2")
    # a narrower constraint the locked version still satisfies keeps it; one it does not re-resolves
    _charts(plan_copy, {"argocd": {"version": "~8.2", "repo_url": argo}, "kube-prometheus-stack": {"version": "72.6.x", "repo_url": kps}})
    locked = _lock(plan_copy)
    assert (locked["argocd"]["version"], locked["argocd"]["constraint"], locked["kube-prometheus-stack"]["version"]) == ("8.2.0", "~8.2", "72.6.2")
    _charts(plan_copy, {"argocd": {"version": "8.1.x", "repo_url": argo}})
    locked = _lock(plan_copy)
    assert list(locked) == ["argocd"] and locked["argocd"]["version"] == "8.1.3"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"argocd": {"version": "7.x"}}, "constraint '8.x' (platform.yaml now says '7.x')"),
        ({"argocd": {"version": "8.x", "repo_url": "https://mirror.example.com/argo"}}, "repository"),
        ({"argocd": {"version": "8.x"}, "external-secrets": {"version": "~0.17"}}, "charts.external-secrets is not in charts.lock"),
        ({}, "locks argocd, which platform.yaml charts: no longer lists"),
    ],
)
def test_a_stale_lock_is_refused(plan_copy: Path, repos: Repos, change: dict, message: str) -> None:
    argo = repos.publish("argo", "argo-cd", "7.9.1", "8.1.3")
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": argo}})
    _lock(plan_copy)
    for c in change.values():
        c.setdefault("repo_url", argo)
    _charts(plan_copy, change)
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = info.value.issues
    assert message in issue.message and "run infraplan charts lock" in issue.hint


def test_a_malformed_lock_is_refused_at_its_line(plan_copy: Path, repos: Repos) -> None:
    argo = repos.publish("argo", "argo-cd", "8.1.3")
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": argo}})
    _lock(plan_copy)
    text = (plan_copy / LOCK_FILE).read_text()
    (plan_copy / LOCK_FILE).write_text(text.replace("digest: sha256:", "digest: md5:"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = info.value.issues
    assert issue.file.endswith(LOCK_FILE) and issue.path == "charts.argocd.digest" and "not a sha256 digest" in issue.message
    assert issue.line == next(i for i, line in enumerate(text.splitlines(), 1) if "digest:" in line)


def test_a_lock_edited_by_hand_outside_its_constraint_is_refused(plan_copy: Path, repos: Repos) -> None:
    argo = repos.publish("argo", "argo-cd", "8.1.3")
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": argo}})
    _lock(plan_copy)
    (plan_copy / LOCK_FILE).write_text((plan_copy / LOCK_FILE).read_text().replace("version: 8.1.3", "version: 7.9.1"))
    with pytest.raises(PlanError, match="does not satisfy '8.x'"):
        load_plan(plan_copy)


def test_what_lock_cannot_resolve_is_named(plan_copy: Path, repos: Repos) -> None:
    argo = repos.publish("argo", "argo-cd", "7.9.1", "8.0.0", "9.0.0", "9.1.0")
    repos.publish("other", "argocd-image-updater", "1.0.0")
    _charts(plan_copy, {"argocd": {"version": "~8.5", "repo_url": argo}})
    with pytest.raises(RepositoryError, match=r"no version of argo-cd in .* satisfies '~8.5'; the nearest are 7.9.1, 8.0.0, 9.0.0, 9.1.0"):
        lock_charts(plan_copy)
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": f"{repos.url}/other"}})
    with pytest.raises(RepositoryError, match="has no chart 'argo-cd'"):
        lock_charts(plan_copy)
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": f"{repos.url}/missing"}})
    with pytest.raises(RepositoryError, match="HTTP 404"):
        lock_charts(plan_copy)
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": f"http://127.0.0.1:{free_port()}/argo"}})
    with pytest.raises(RepositoryError, match="is unreachable"):
        lock_charts(plan_copy)
    assert main(["charts", "lock", "--plan", str(plan_copy)]) == 1 and not (plan_copy / LOCK_FILE).exists()
    assert main(["charts", "lock", "--plan", str(plan_copy), "--update", "cert-manager"]) == 2


@pytest.mark.parametrize("token", [False, True])
def test_an_oci_registry_is_read_through_the_distribution_api(plan_copy: Path, repos: Repos, token: bool) -> None:
    repos.token_required = token
    repos.oci["charts/argo-cd"] = ["7.9.1", "8.1.3", "8.1.4_build.1", "sha256-abc.sig", "latest"]
    _charts(plan_copy, {"argocd": {"version": "8.x", "repo_url": f"oci://127.0.0.1:{repos.port}/charts"}})
    locked = _lock(plan_copy)["argocd"]
    assert locked["version"] == "8.1.4+build.1" and locked["digest"] == "sha256:" + _digest("charts/argo-cd8.1.4_build.1") and "app_version" not in locked
    heads = [r for r in repos.requests if r[0] == "HEAD"]
    assert heads and heads[-1][1] == "/v2/charts/argo-cd/manifests/8.1.4_build.1"
    if token:
        assert [r[1] for r in repos.requests[:3]] == ["/v2/charts/argo-cd/tags/list", "/token?service=fake-registry&scope=repository%3Acharts%2Fargo-cd%3Apull", "/v2/charts/argo-cd/tags/list"]
        assert all(r[2] == "Bearer anonymous-pull" for r in repos.requests[2:])
    else:
        assert not any(r[1].startswith("/token") for r in repos.requests)
    env = resolve_environment(load_plan(plan_copy), "dev")
    assert env.cluster.addon("argocd").chart.version == "8.1.4+build.1"
    # Argo CD 2.14/3.0 name an OCI registry without its scheme, and its repository Secret enables OCI
    files, registry = render_environment(env), f"127.0.0.1:{repos.port}/charts"
    assert yaml.safe_load(files["dev/bootstrap/argocd/install/application.yaml"])["spec"]["source"]["repoURL"] == registry
    [secret] = [yaml.safe_load(t)["stringData"] for t in files.values() if f"url: {registry}" in t]
    assert secret["enableOCI"] == "true" and secret["type"] == "helm"
    assert registry in yaml.safe_load(files["dev/root/project-platform.yaml"])["spec"]["sourceRepos"]


def test_the_pulumi_release_pulls_an_oci_chart_by_reference(plan_copy: Path, repos: Repos, monkeypatch: pytest.MonkeyPatch) -> None:
    from stacks.pulumi_preview import offline_program, run_offline

    monkeypatch.setattr("stacks.pulumi_program.check_connectivity", lambda server, command: [])  # made-up endpoints: no TCP check
    repos.oci["charts/argo-cd"] = ["8.1.3"]
    _charts(plan_copy, {"argocd": {"version": "8.1.x", "repo_url": f"oci://127.0.0.1:{repos.port}/charts"}})
    _lock(plan_copy)
    inputs = run_offline(offline_program(plan_copy, "dev"), stack="dev").mocks.named("dev-argocd").inputs
    assert (inputs["chart"], inputs["version"]) == (f"oci://127.0.0.1:{repos.port}/charts/argo-cd", "8.1.3") and not inputs.get("repositoryOpts")


@pytest.mark.slow
def test_synth_refuses_a_missing_lock_before_any_output(plan_copy: Path, tmp_path: Path) -> None:
    _charts(plan_copy, {"argocd": {"version": "8.x"}})
    out = tmp_path / "out"
    assert main(["synth", "--plan", str(plan_copy), "--out", str(out)]) == 2
    assert not out.exists()
