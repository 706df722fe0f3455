"""The Pulumi bootstrap program under pulumi.runtime mocks: resources and their inputs per environment,
the GitOps-none path, the cluster connection and the exports. No Pulumi CLI or cluster involved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.resolve.gitops import repo_secret_name
from stacks.pulumi_preview import OFFLINE_KUBECONFIG, offline_program, run_offline
from stacks.pulumi_program import ClusterConnectionMissing, eks_kubeconfig, program

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
PROVIDER = "pulumi:providers:kubernetes"

ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def runs(example_plan: Path):
    return {env: run_offline(offline_program(example_plan, env), stack=env) for env in ENVS}


@pytest.fixture(scope="module")
def resolved(example_plan: Path):
    plan = load_plan(example_plan)
    return {env: resolve_environment(plan, env) for env in ENVS}


def _provider_of(run, resource) -> str:
    """The name of the provider resource a resource was registered with."""
    assert resource.provider, f"{resource.name} has no explicit provider"
    return resource.provider.split("::")[-2]


@pytest.mark.parametrize("env", ENVS)
def test_one_provider_and_bootstrap_per_cluster(runs, resolved, env):
    run, r = runs[env], resolved[env]
    keys = [c.key for c, _ in r.clusters]
    assert sorted(p.name for p in run.mocks.of_type(PROVIDER)) == sorted(f"{k}-cluster" for k in keys)
    for p in run.mocks.of_type(PROVIDER):
        assert p.inputs["kubeconfig"] == OFFLINE_KUBECONFIG
    # per cluster: ArgoCD, the platform AppProject and one root Application, all on that cluster's provider
    for cluster, _ in r.clusters:
        k = cluster.key
        argocd = run.mocks.named(f"{k}-argocd")
        assert _provider_of(run, argocd) == f"{k}-cluster"
        assert _provider_of(run, run.mocks.named(f"{k}-platform-appproject")) == f"{k}-cluster"
        root = run.mocks.named(f"{k}-root")
        assert _provider_of(run, root) == f"{k}-cluster"
    assert len(run.mocks.of_type(RELEASE)) == len(keys)  # only ArgoCD: ArgoCD installs the rest from Git
    assert len(run.mocks.of_type(APPLICATION)) == len(keys)


def test_prod_org_c_dedicated_cluster_gets_its_own_bootstrap(runs):
    run = runs["prod"]
    assert {p.name for p in run.mocks.of_type(PROVIDER)} == {"prod-cluster", "prod-org-c-cluster"}
    root = run.mocks.named("prod-org-c-root")
    assert root.inputs["spec"]["source"]["path"] == "kubernetes/prod-org-c/argocd"
    assert run.exports["clusters"]["prod-org-c"]["clusterName"] == "acme-prod-org-c"
    # dev and staging host org-c on the shared cluster: no second provider
    assert [p.name for p in runs["dev"].mocks.of_type(PROVIDER)] == ["dev-cluster"]


@pytest.mark.parametrize("env", ENVS)
def test_argocd_release_inputs_come_from_the_catalog_and_resolved_values(runs, resolved, env):
    run = runs[env]
    for cluster, _ in resolved[env].clusters:
        addon = cluster.addon("argocd")
        inputs = run.mocks.named(f"{cluster.key}-argocd").inputs
        assert inputs["chart"] == "argo-cd" == addon.chart.chart
        assert inputs["version"] == "8.1.3" == addon.chart.version  # exact pin from constructs_lib/data/charts.yaml
        assert inputs["repositoryOpts"] == {"repo": "https://argoproj.github.io/argo-helm"}
        assert inputs["namespace"] == "argocd"
        assert inputs["name"] == "argocd"
        assert inputs["createNamespace"] is True
        assert inputs["values"] == addon.values
        assert inputs["values"]["global"]["domain"] == f"argocd.{cluster.name}.internal"


def test_values_differ_per_tier(runs):
    def values(env, key):
        return runs[env].mocks.named(f"{key}-argocd").inputs["values"]

    assert values("dev", "dev")["server"]["replicas"] == 1
    assert values("dev", "dev")["redis-ha"]["enabled"] is False
    assert values("prod", "prod")["server"]["replicas"] == 2
    assert values("prod", "prod")["redis-ha"]["enabled"] is True
    assert values("prod", "prod-org-c")["redis-ha"]["enabled"] is True


@pytest.mark.parametrize("env", ENVS)
def test_the_bootstrap_creates_no_repository_secrets_and_only_the_root_objects(runs, resolved, env):
    """One owner per object: the repository Secrets are the root Application's (argocd/repositories);
    Pulumi creates only ArgoCD's release, the platform AppProject and the root Application."""
    run = runs[env]
    for cluster, _ in resolved[env].clusters:
        mine = {(r.typ, r.name) for r in run.resources if r.provider and _provider_of(run, r) == f"{cluster.key}-cluster"}
        assert run.mocks.of_type(SECRET) == []
        assert mine == {
            ("kubernetes:helm.sh/v3:Release", f"{cluster.key}-argocd"),
            ("kubernetes:argoproj.io/v1alpha1:AppProject", f"{cluster.key}-platform-appproject"),
            ("kubernetes:argoproj.io/v1alpha1:Application", f"{cluster.key}-root"),
        }


@pytest.mark.parametrize("env", ENVS)
def test_root_application_points_at_the_environment_in_the_gitops_repo(runs, resolved, env):
    r = resolved[env]
    for cluster, _ in r.clusters:
        app = runs[env].mocks.named(f"{cluster.key}-root").inputs
        assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
        assert app["metadata"]["name"] == "root" and app["metadata"]["namespace"] == "argocd"
        spec = app["spec"]
        assert spec["project"] == "platform"
        assert spec["source"] == {"repoURL": r.gitops.repo_url, "targetRevision": r.gitops.target_revision, "path": f"{r.gitops.root_path}/{cluster.key}/argocd"}
        assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
        assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


@pytest.mark.parametrize("env", ENVS)
def test_exports(runs, resolved, env):
    e = runs[env].exports
    assert e["environment"] == env
    assert e["gitopsTool"] == "argocd"
    assert e["argocdNamespace"] == "argocd"
    assert e["rootApplication"] == "root"
    assert e["chartVersions"] == {"argocd": "8.1.3"}
    assert sorted(e["clusters"]) == sorted(c.key for c, _ in resolved[env].clusters)
    for key, c in e["clusters"].items():
        assert c["rootPath"] == f"kubernetes/{key}/argocd"
        assert c["chartVersions"] == {"argocd": "8.1.3"}


# --- gitops.tool: none ---------------------------------------------------------------------------


@pytest.fixture
def plan_without_gitops(plan_copy: Path) -> Path:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(tool="none"))
    return plan_copy


def test_gitops_none_installs_every_addon_as_a_helm_release(plan_without_gitops):
    env = resolve_environment(load_plan(plan_without_gitops), "prod")
    run = run_offline(offline_program(plan_without_gitops, "prod"), stack="prod")
    assert run.mocks.of_type(SECRET) == [] and run.mocks.of_type(APPLICATION) == []
    for cluster, _ in env.clusters:
        assert cluster.addon("argocd") is None
        names = {r.name for r in run.mocks.of_type(RELEASE) if _provider_of(run, r) == f"{cluster.key}-cluster"}
        assert names == {f"{cluster.key}-{a.component}" for a in cluster.addons}
        for addon in cluster.addons:
            inputs = run.mocks.named(f"{cluster.key}-{addon.component}").inputs
            c = addon.chart
            assert (inputs["chart"], inputs["version"], inputs["namespace"], inputs["name"]) == (c.chart, c.version, c.namespace, c.release)
            assert inputs["repositoryOpts"] == {"repo": c.repo_url}
            assert inputs["values"] == addon.values  # the values the GitOps tree would have used
    cm = run.mocks.named("prod-cert-manager").inputs
    assert cm["version"] == "v1.17.2"
    assert cm["values"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].endswith("-irsa-cert-manager")
    assert run.mocks.named("prod-ingress-nginx").inputs["values"]["controller"]["replicaCount"] == 3
    e = run.exports
    assert e["gitopsTool"] == "none" and e["argocdNamespace"] is None and e["rootApplication"] is None
    assert e["chartVersions"] == {a.component: a.chart.version for a in env.cluster.addons}
    assert e["clusters"]["prod-org-c"]["mode"] == "helm"


def test_gitops_none_orders_releases_by_sync_wave(plan_without_gitops):
    from constructs_lib.resolve.bootstrap import resolve_bootstrap

    b = resolve_bootstrap(resolve_environment(load_plan(plan_without_gitops), "dev"))
    releases = {r.addon.component: r for r in b.shared.releases}
    # ingress-nginx (wave 0) waits for the CRD-installing charts (waves -8, -5), e.g. its ServiceMonitor needs kube-prometheus-stack;
    # cert-manager's ServiceMonitor needs it too (-8 before -5)
    assert set(releases["ingress-nginx"].after) == {"dev-cert-manager", "dev-external-secrets", "dev-kube-prometheus-stack"}
    assert releases["cert-manager"].after == ("dev-kube-prometheus-stack",)
    assert releases["kube-prometheus-stack"].after == ()


# --- cluster connection ---------------------------------------------------------------------------


def test_kubeconfig_built_from_terraform_eks_outputs(example_plan):
    config = {
        "infraplan:clusterEndpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "infraplan:clusterCertificateAuthority": "LS0tQ0E=",
        "infraplan:clusterEndpoint-prod-org-c": "https://DEF.gr7.eu-west-1.eks.amazonaws.com",
        "infraplan:clusterCertificateAuthority-prod-org-c": "LS0tQ0Ey",
    }
    run = run_offline(lambda: program(example_plan, "prod"), stack="prod", config=config)
    providers = {p.name: json.loads(p.inputs["kubeconfig"]) for p in run.mocks.of_type(PROVIDER)}
    shared, dedicated = providers["prod-cluster"], providers["prod-org-c-cluster"]
    assert shared["clusters"][0]["cluster"] == {"server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com", "certificate-authority-data": "LS0tQ0E="}
    assert shared["users"][0]["user"]["exec"]["args"] == ["eks", "get-token", "--cluster-name", "acme-prod", "--region", "eu-west-1", "--output", "json"]
    assert dedicated["clusters"][0]["cluster"]["server"] == "https://DEF.gr7.eu-west-1.eks.amazonaws.com"
    assert "acme-prod-org-c" in dedicated["users"][0]["user"]["exec"]["args"]


def test_secret_kubeconfig_wins(example_plan):
    kubeconfig = eks_kubeconfig("acme-dev", "eu-west-1", "https://x", "Y2E=", aws_profile="dev-admin")
    run = run_offline(lambda: program(example_plan, "dev"), stack="dev", config={"infraplan:kubeconfig": kubeconfig, "infraplan:clusterEndpoint": "https://ignored"}, secret_keys=["infraplan:kubeconfig"])
    got = json.loads(run.mocks.named("dev-cluster").inputs["kubeconfig"])
    assert got["clusters"][0]["cluster"]["server"] == "https://x"
    assert got["users"][0]["user"]["exec"]["env"] == [{"name": "AWS_PROFILE", "value": "dev-admin"}]


def test_missing_connection_says_which_terraform_outputs_to_copy(example_plan):
    with pytest.raises(ClusterConnectionMissing, match=r"infraplan:clusterEndpoint-prod-org-c.*prod-tenant-org-c") as exc:
        run_offline(lambda: program(example_plan, "prod"), stack="prod", config={"infraplan:kubeconfig": "apiVersion: v1"})
    assert "terraform -chdir=dist/terraform/stacks/prod-tenant-org-c output -raw cluster_endpoint" in str(exc.value)


def test_stack_name_is_the_environment(example_plan):
    config = {"infraplan:plan": str(example_plan), "infraplan:clusterEndpoint": "https://s", "infraplan:clusterCertificateAuthority": "Y2E="}
    run = run_offline(lambda: program(), stack="staging", config=config)
    assert run.exports["environment"] == "staging"
    assert run.mocks.named("staging-root").inputs["spec"]["source"]["path"] == "kubernetes/staging/argocd"


def test_update_mode_gives_the_same_inputs(example_plan, runs):
    """preview=False (as in `pulumi up`) registers the same resources with the same inputs."""
    up = run_offline(offline_program(example_plan, "dev"), stack="dev", preview=False)
    by_name = lambda run: {r.name: (r.typ, r.inputs) for r in run.resources}  # noqa: E731
    assert by_name(up) == by_name(runs["dev"])


def test_pulumi_main_entry_exports_the_stack_outputs(example_plan):
    """What `pulumi up` runs (Pulumi.yaml main: stacks/pulumi_main.py), here under mocks."""
    import runpy

    import pulumi
    import yaml

    from conftest import ROOT

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "infraplan" and project["runtime"]["name"] == "python"
    assert (ROOT / project["main"]).is_file()
    for env in ENVS:
        assert (ROOT / f"Pulumi.{env}.yaml").is_file()
    config = {"infraplan:clusterEndpoint": "https://e", "infraplan:clusterCertificateAuthority": "Y2E="}
    run = run_offline(lambda: (runpy.run_path(str(ROOT / project["main"]), run_name="__main__"), {})[1], stack="dev", config=config)
    assert {r.name for r in run.resources} >= {"dev-cluster", "dev-argocd", "dev-root"}
    outputs = pulumi.runtime.get_root_resource().outputs
    assert {"argocdNamespace", "rootApplication", "chartVersions", "clusters"} <= set(outputs)
