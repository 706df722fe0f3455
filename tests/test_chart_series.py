"""Helm values and custom resources per chart series (#14: values are written per chart major).

infraplan keeps values for each series it supports (argo-cd 7 and 8, kube-prometheus-stack 65 and 72,
external-secrets 0.10 and 0.17). A plan selects a series through the resolved ``ChartRef.version``
alone (charts.lock, the catalog's pin); these tests select one at the seam where resolution reads it
(``resolve.addons.addon_chart``), so they hold however the plan came to that version.

- every values key infraplan sets, pod placement included, is read by that chart version (its
  values.yaml, values.schema.json, templates, subcharts), and the values pass its schema;
- the apiVersion each add-on declares per series is served by that version's CRDs, and the GitOps
  tree rendered with external-secrets 0.10 writes v1beta1 for it (0.10.7 does not serve v1), every
  custom resource validating against the CRDs of the versions it runs with;
- a series without values is refused with the supported ones listed.

The chart sources are read from ``../shared/charts`` (tests/gitops_sim.py, as the other chart tests)."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml

import gitops_sim as sim
from conftest import EXAMPLE_PLAN
from constructs_lib.addons import CHART_ADDONS
from constructs_lib.plan import load_plan
from constructs_lib.resolve import addons as resolve_addons
from constructs_lib.resolve.environment import resolve_environment

# Every series infraplan supports, at the version whose source is in ../shared/charts.
SUPPORTED = {
    "argocd": ("7.9.1", "8.1.3"),
    "kube-prometheus-stack": ("65.8.1", "72.6.2"),
    "external-secrets": ("0.10.7", "0.17.0"),
}
OLDEST = {component: versions[0] for component, versions in SUPPORTED.items()}


@pytest.fixture(autouse=True, scope="module")
def _charts_present() -> None:
    if not sim.CHARTS.is_dir():
        pytest.fail(f"the pinned chart sources are missing: {sim.CHARTS}")


def with_chart_versions(monkeypatch: pytest.MonkeyPatch, versions: dict[str, str]) -> None:
    """Resolve ``versions`` (component -> chart version) as if the plan had selected them: the seam
    where resolution reads the chart (``ChartRef.version`` is all the rest depends on)."""
    chosen = resolve_addons.addon_chart

    def addon_chart(addon, platform, *args, **kwargs):
        chart = chosen(addon, platform, *args, **kwargs)
        return replace(chart, version=versions[addon.name]) if addon.name in versions else chart

    monkeypatch.setattr(resolve_addons, "addon_chart", addon_chart)


@pytest.fixture(scope="module")
def plan():
    return load_plan(EXAMPLE_PLAN)


def test_every_supported_series_is_checked_here() -> None:
    """A series added to an add-on without its chart source here would go unchecked."""
    for component, versions in SUPPORTED.items():
        addon = CHART_ADDONS[component]
        assert tuple(replace(addon.chart, version=v).series for v in versions) == addon.series, component
        assert addon.chart.version in versions, f"{component}: the catalog pins {addon.chart.version}, not a version checked here"
        for v in versions:
            assert sim.chart_folder(addon.chart.chart, v).is_dir(), f"no chart source for {addon.chart.chart} {v}"


@pytest.mark.parametrize(("component", "version"), [(c, v) for c, vs in SUPPORTED.items() for v in vs])
def test_values_exist_in_each_supported_chart_version(plan, monkeypatch, component: str, version: str) -> None:
    """dev (no system node group) and prod (a tainted one: every pod template placed), and prod's
    dedicated cluster: every key is read by that version, and the values pass its schema."""
    with_chart_versions(monkeypatch, {component: version})
    checked = 0
    for env_name in ("dev", "prod"):
        env = resolve_environment(plan, env_name)
        for cluster in [env.cluster, *(t.cluster for t in env.tenants if t.cluster is not None)]:
            addon = cluster.addon(component)
            assert addon is not None and addon.chart.version == version
            install = sim.ChartInstall(addon.chart.chart, version, addon.chart.release, addon.namespace, addon.values)
            assert not sim.unknown_values(install), f"{cluster.name}: keys {addon.chart.chart} {version} does not read: {sim.unknown_values(install)}"
            assert not sim.values_schema_errors(install), f"{cluster.name}: {sim.values_schema_errors(install)}"
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize(("component", "version"), [(c, v) for c, vs in SUPPORTED.items() for v in vs])
def test_every_pod_template_of_each_series_runs_on_the_system_node_group(plan, monkeypatch, component: str, version: str) -> None:
    """prod's add-on pods tolerate its system group's taint and select its labels (DaemonSets tolerate
    every taint), for every workload template that chart version has (sim.CHART_PODS must list them all)."""
    import re

    with_chart_versions(monkeypatch, {component: version})
    cluster = resolve_environment(plan, "prod").cluster
    addon = cluster.addon(component)
    folder = sim.chart_folder(addon.chart.chart, version)
    workload = re.compile(r"^kind: (Deployment|StatefulSet|DaemonSet|Job|CronJob|Prometheus|Alertmanager|ThanosRuler)$", re.M)
    found = {str(f.relative_to(folder)) for f in (folder / "templates").rglob("*.yaml") if "tests" not in f.relative_to(folder).parts and workload.search(f.read_text())}
    found |= {str(f.relative_to(folder)) for f in (folder / "charts").glob("*/templates/**/*.yaml") if workload.search(f.read_text())}
    listed = {t["template"] for t in sim.CHART_PODS.get(addon.chart.chart, [])}
    assert found <= listed, f"{addon.chart.chart} {version}: workload templates the model does not place: {sorted(found - listed)}"
    taint = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}
    selector = {"workload": "system"}
    install = sim.ChartInstall(addon.chart.chart, version, addon.chart.release, addon.namespace, addon.values)
    pods = sim.pod_templates(install)
    assert pods
    for pod in pods:
        assert sim.tolerates(pod.tolerations, taint), f"{pod.template} does not tolerate the system taint"
        assert pod.every_node or selector.items() <= pod.node_selector.items(), f"{pod.template} does not select the system nodes: {pod.node_selector}"


def test_each_series_gets_its_own_values(plan, monkeypatch) -> None:
    """The differences between majors are in the values, not only in the version."""

    def values(component: str, version: str, env_name: str = "prod") -> dict:
        with_chart_versions(monkeypatch, {component: version})
        return resolve_environment(plan, env_name).cluster.addon(component).values

    cm7, cm8 = (values("argocd", v)["configs"]["cm"] for v in SUPPORTED["argocd"])
    # Argo CD 2.14 defaults to label tracking, logs for any `applications, get` and update/delete inherited by
    # the live resources; 3.0 changed all three, and argo-cd 7 gets 3.0's behaviour written out
    assert {k: cm7[k] for k in set(cm7) - set(cm8)} == {
        "application.resourceTrackingMethod": "annotation",
        "server.rbac.log.enforce.enable": True,
        "server.rbac.disableApplicationFineGrainedRBACInheritance": True,
    }
    eso10, eso17 = (values("external-secrets", v) for v in SUPPORTED["external-secrets"])
    assert "rbac" not in eso10 and eso17["rbac"] == {"aggregateToEdit": False, "aggregateToView": False}
    kps65, kps72 = (values("kube-prometheus-stack", v) for v in SUPPORTED["kube-prometheus-stack"])
    assert "crds" not in kps65 and kps72["crds"]["upgradeJob"]["tolerations"]  # prod has a system node group


def test_the_values_check_finds_another_series_keys(monkeypatch) -> None:
    """The check above can fail: 0.17's values are wrong for 0.10, 72's pod placement for 65."""
    eso = sim.ChartInstall("external-secrets", "0.10.7", "external-secrets", "external-secrets", {"rbac": {"aggregateToEdit": False}})
    assert sim.unknown_values(eso) == ["rbac.aggregateToEdit"]
    kps = sim.ChartInstall("kube-prometheus-stack", "65.8.1", "r", "monitoring", {"crds": {"upgradeJob": {"tolerations": []}}, "grafana": {"replicaz": 1}})
    assert sim.unknown_values(kps) == ["crds.upgradeJob.tolerations", "grafana.replicaz"]
    assert not sim.unknown_values(replace(kps, values={"grafana": {"admin": {"existingSecret": "x"}, "imageRenderer": {"nodeSelector": {"a": "b"}}}}))


@pytest.mark.slow  # parses the charts' CRDs (tens of seconds)
@pytest.mark.parametrize("component", sorted(SUPPORTED))
def test_declared_api_versions_are_served_by_each_series_crds(component: str) -> None:
    addon = CHART_ADDONS[component]
    assert set(addon.api_versions) == set(addon.series)
    for version in SUPPORTED[component]:
        chart = replace(addon.chart, version=version)
        crds = {c["spec"]["names"]["kind"]: c for c in sim.chart_crds(chart.chart, version)}
        for kind, api in addon.api_versions[chart.series].items():
            group, served = sim.group_version(api)
            assert kind in crds and crds[kind]["spec"]["group"] == group, f"{chart.chart} {version} has no CRD for {kind}"
            assert sim.crd_schema(crds[kind], served) is not None, f"{chart.chart} {version} does not serve {api} for {kind}"


def test_a_series_without_values_is_refused_with_the_supported_ones(plan, monkeypatch) -> None:
    for component, version, listed in (("external-secrets", "0.11.0", "external-secrets 0.10.x, 0.17.x"), ("kube-prometheus-stack", "70.0.0", "kube-prometheus-stack 65.x, 72.x"), ("argocd", "9.0.1", "argo-cd 7.x, 8.x")):
        assert CHART_ADDONS[component].unsupported(version) and listed in CHART_ADDONS[component].unsupported(version)
        with monkeypatch.context() as m, pytest.raises(ValueError, match=f"infraplan has no values for .* {version.split('.')[0]}.* it supports {listed}"):
            with_chart_versions(m, {component: version})
            resolve_environment(plan, "dev")


# --------------------------------------------------------------------------- the tree with the older series


def render_tree(plan, monkeypatch, versions: dict[str, str]) -> dict[str, str]:
    from constructs_lib.kubernetes.tree import render_environment

    with_chart_versions(monkeypatch, versions)
    out: dict[str, str] = {}
    for env_name in plan.environments:
        out.update(render_environment(resolve_environment(plan, env_name)))
    return out


def custom_resources(files: dict[str, str]) -> list[tuple[str, dict]]:
    groups = {"external-secrets.io", "argoproj.io", "monitoring.coreos.com"}
    return [(path, o) for path, text in sorted(files.items()) for o in yaml.safe_load_all(text) if o and sim.group_version(o.get("apiVersion", ""))[0] in groups]


def crd_errors(obj: dict, versions: dict[str, str]) -> list[str]:
    """``obj`` against the CRD of its kind in the chart versions ``versions`` installs, unknown fields denied."""
    from constructs_lib.gates.manifests import strict as _strict

    group, served = sim.group_version(obj["apiVersion"])
    chart = {"external-secrets.io": ("external-secrets", "external-secrets"), "argoproj.io": ("argocd", "argo-cd"), "monitoring.coreos.com": ("kube-prometheus-stack", "kube-prometheus-stack")}[group]
    crd = next((c for c in sim.chart_crds(chart[1], versions[chart[0]]) if c["spec"]["names"]["kind"] == obj["kind"] and c["spec"]["group"] == group), None)
    if crd is None:
        return [f"{chart[1]} {versions[chart[0]]} has no CRD for {obj['kind']}"]
    schema = sim.crd_schema(crd, served)
    if schema is None:
        return [f"{obj['apiVersion']} is not served by {chart[1]} {versions[chart[0]]}"]
    strict = _strict(copy.deepcopy(schema))
    validator = jsonschema.validators.validator_for(strict, default=jsonschema.Draft7Validator)(strict)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(obj)]


@pytest.mark.slow  # parses the charts' CRDs (tens of seconds)
def test_the_tree_with_the_older_series_validates_against_their_crds(plan, monkeypatch) -> None:
    """external-secrets 0.10 serves v1beta1 (not v1): every ExternalSecret and ClusterSecretStore the
    tree writes takes its apiVersion from the resolved chart; ArgoCD's objects validate against argo-cd 7's CRDs."""
    files = render_tree(plan, monkeypatch, OLDEST)
    objects = custom_resources(files)
    kinds = {o["kind"] for _, o in objects}
    assert {"ExternalSecret", "ClusterSecretStore", "Application", "AppProject", "ApplicationSet"} <= kinds, kinds
    assert {o["apiVersion"] for _, o in objects if o["apiVersion"].startswith("external-secrets.io/")} == {"external-secrets.io/v1beta1"}
    problems = [f"{path}: {o['kind']} {o['metadata']['name']}: {e}" for path, o in objects for e in crd_errors(o, OLDEST)[:3]]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.slow  # parses the charts' CRDs (tens of seconds)
def test_the_crd_check_refuses_v1_on_external_secrets_0_10(plan, monkeypatch) -> None:
    """What the tree wrote before the apiVersion followed the chart is refused by 0.10.7's CRDs."""
    files = render_tree(plan, monkeypatch, OLDEST)
    es = next(copy.deepcopy(o) for _, o in custom_resources(files) if o["kind"] == "ExternalSecret")
    es["apiVersion"] = "external-secrets.io/v1"
    assert crd_errors(es, OLDEST) == ["external-secrets.io/v1 is not served by external-secrets 0.10.7"]
    assert crd_errors({**es, "apiVersion": "external-secrets.io/v1beta1"}, {**OLDEST, "external-secrets": "0.17.0"}) == ["external-secrets.io/v1beta1 is not served by external-secrets 0.17.0"]


@pytest.mark.slow
def test_the_tree_with_the_older_series_builds_with_kustomize(plan, monkeypatch, tmp_path: Path) -> None:
    """Every kustomization builds; the core objects pass kubernetes-validate (custom resources: the CRD test above)."""
    import subprocess

    import kubernetes_validate
    from kustomize_check import KUBERNETES_VERSION

    for path, text in render_tree(plan, monkeypatch, OLDEST).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    kinds = set()
    for d in sorted(p.parent for p in tmp_path.rglob("kustomization.yaml")):
        proc = subprocess.run(["kubectl", "kustomize", str(d)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{d.relative_to(tmp_path)}: {proc.stderr}"
        for obj in (o for o in yaml.safe_load_all(proc.stdout) if o):
            kinds.add(obj["kind"])
            if "." not in sim.group_version(obj["apiVersion"])[0] or obj["apiVersion"].split("/")[0].endswith("k8s.io"):
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    assert {"ExternalSecret", "ClusterSecretStore", "Application", "Deployment"} <= kinds


def test_the_catalog_series_tree_is_the_golden_one(plan) -> None:
    """Without a selection the tree is written for the catalog's (newest) series: external-secrets v1."""
    from constructs_lib.kubernetes.tree import render_environment

    files = render_environment(resolve_environment(plan, "dev"))
    apis = {o["apiVersion"] for _, o in custom_resources(files) if o["kind"] in ("ExternalSecret", "ClusterSecretStore")}
    assert apis == {"external-secrets.io/v1"}


@pytest.mark.slow  # parses the charts' CRDs
def test_external_secrets_of_the_older_series_are_a_fixed_point_of_its_defaulting(plan, monkeypatch) -> None:
    """0.10.7's v1beta1 CRD defaults what 0.17's v1 does: the tree's ExternalSecrets do not drift on 0.10 either."""
    from test_external_secret_defaults import default

    crd = next(c for c in sim.chart_crds("external-secrets", OLDEST["external-secrets"]) if c["spec"]["names"]["kind"] == "ExternalSecret")
    schema = sim.crd_schema(crd, "v1beta1")
    secrets = [o for _, o in custom_resources(render_tree(plan, monkeypatch, OLDEST)) if o["kind"] == "ExternalSecret"]
    assert len(secrets) >= 6
    for es in secrets:
        assert default(copy.deepcopy(es), schema) == es, f"{es['metadata']['name']}: 0.10's API server would add defaults ArgoCD then sees as drift"
    bare = copy.deepcopy(secrets[0])
    del bare["spec"]["dataFrom"][0][next(iter(bare["spec"]["dataFrom"][0]))]["conversionStrategy"]
    assert default(copy.deepcopy(bare), schema) != bare  # the check sees a left-out default


def test_an_app_composed_in_python_follows_the_trees_external_secrets_chart() -> None:
    """Without a plan, a KustomizeApp's ExternalSecret takes the apiVersion of the tree's external-secrets chart."""
    from constructs_lib.kubernetes.gitops_tree import GitOpsTree
    from constructs_lib.kubernetes.tree_base import ConstructError

    app = {"namespace": "shop", "tenant": "shop", "image": "ghcr.io/acme/shop", "tag": "1.4.2", "database_secret": "acme/dev/shop/database", "secret_store": "tenant-shop"}

    def api(eso_version: str | None, **props) -> str:
        t = GitOpsTree(None, "dev", repo_url="https://git.example.com/acme/platform.git", environment="dev")
        if eso_version:
            t.add_addon("external-secrets", chart=replace(CHART_ADDONS["external-secrets"].chart, version=eso_version))
        t.add_tenant("shop", namespaces=["shop"])
        t.add_app("shop", **app, **props)
        return yaml.safe_load(t.synth()["dev/apps/shop/overlays/dev/externalsecret.yaml"])["apiVersion"]

    assert api("0.10.7") == "external-secrets.io/v1beta1"
    assert api("0.17.0") == api(None) == "external-secrets.io/v1"
    with pytest.raises(ConstructError, match="external_secrets_api='external-secrets.io/v2'"):
        api(None, external_secrets_api="external-secrets.io/v2")


@pytest.mark.slow  # a whole synth and the sync simulation of every cluster
def test_the_example_with_the_older_series_syncs_from_scratch(plan, monkeypatch, tmp_path: Path) -> None:
    """tests/gitops_sim.py on the example synthesized with argo-cd 7, kube-prometheus-stack 65 and
    external-secrets 0.10 (the kubectl bootstrap): every kind is served in the version the tree writes
    by the CRDs those charts install, no wave stalls, nothing drifts or has two owners, every Application becomes Healthy."""
    from stacks.synth import synthesize

    with_chart_versions(monkeypatch, OLDEST)
    dist = tmp_path / "dist"
    synthesize(EXAMPLE_PLAN, dist)
    folder = sim.documented_kubectl_folder(sim.ROOT / "docs" / "gitops.md")
    keys = sim.cluster_keys(dist)
    assert len(keys) >= 3
    for key in keys:
        s = sim.simulate(dist, key, plan.platform.gitops.repo_url, plan.platform.gitops.path, sim.kubectl_bootstrap(dist / "kubernetes" / key, folder))
        installed = {a.install.chart: a.install.version for a in s.apps.values() if a.install}
        assert {c: installed[CHART_ADDONS[c].chart.chart] for c in OLDEST} == OLDEST, key
        problems = [str(f) for f in s.of("served", "source", "blocked", "storage", "stall", "unhealthy", "drift", "owners", "unmodelled")]
        assert not problems, f"{key}:\n" + "\n".join(problems[:20])
        assert all(a.health.happened for a in s.apps.values()), "\n".join(s.timeline())
