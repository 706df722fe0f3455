"""The Pulumi bootstrap program under pulumi.runtime mocks: resources and their inputs per environment,
the GitOps-none path, the cluster connection, the GitOps repository credential, the hand-off of ArgoCD
(resource options, recorded by a stack transformation) and the exports. No Pulumi CLI or cluster involved."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from conftest import edit_yaml
from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.resolve.gitops import repo_secret_name
from stacks.pulumi_preview import OFFLINE_KUBECONFIG, offline_program, run_offline
from stacks.pulumi_program import ClusterConnectionMissing, RepositoryCredentialMissing, eks_kubeconfig, program

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
PROVIDER = "pulumi:providers:kubernetes"

ENVS = ("dev", "staging", "prod")
# The example's GitOps repository is private (gitops.repository_auth: https): the stack config holds its credential.
TOKEN = "ghp_TEST0nly0fake0token0for0mocks"
CREDENTIAL = {"infraplan:gitopsRepoUsername": "x-access-token", "infraplan:gitopsRepoPassword": TOKEN}
CREDENTIAL_SECRETS = ["infraplan:gitopsRepoPassword"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """The endpoints in these tests' stack config are made up: no TCP check (tests/test_pulumi_connection.py drives it)."""
    monkeypatch.setattr("stacks.pulumi_program.check_connectivity", lambda server, command: [])


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
        tenant = cluster.key.removeprefix(env).lstrip("-")  # SSO: ArgoCD in the environment's domain
        assert inputs["values"]["global"]["domain"] == (f"argocd-{tenant}" if tenant else "argocd") + f".{env}.acme.example.com"


def test_values_differ_per_tier(runs):
    def values(env, key):
        return runs[env].mocks.named(f"{key}-argocd").inputs["values"]

    assert values("dev", "dev")["server"]["replicas"] == 1
    assert values("dev", "dev")["redis-ha"]["enabled"] is False
    assert values("prod", "prod")["server"]["replicas"] == 2
    assert values("prod", "prod")["redis-ha"]["enabled"] is True
    assert values("prod", "prod-org-c")["redis-ha"]["enabled"] is True


@pytest.mark.parametrize("env", ENVS)
def test_the_bootstrap_creates_only_argocd_its_repository_credential_and_the_root_objects(runs, resolved, env):
    """One owner per object: the Helm repository Secrets are the root Application's (argocd/repositories);
    Pulumi creates only ArgoCD's release, the GitOps repository credential (which is not in the tree),
    the platform AppProject and the root Application."""
    run = runs[env]
    for cluster, _ in resolved[env].clusters:
        mine = {(r.typ, r.name) for r in run.resources if r.provider and _provider_of(run, r) == f"{cluster.key}-cluster"}
        assert mine == {
            ("kubernetes:helm.sh/v3:Release", f"{cluster.key}-argocd"),
            (SECRET, f"{cluster.key}-gitops-repository"),
            ("kubernetes:argoproj.io/v1alpha1:AppProject", f"{cluster.key}-platform-appproject"),
            ("kubernetes:argoproj.io/v1alpha1:Application", f"{cluster.key}-root"),
        }


# --- the GitOps repository credential (#11 convergence 5) -----------------------------------------


def test_private_repository_credential_comes_from_secret_config(example_plan, resolved):
    """An ArgoCD repository Secret (Argo CD 3.0 util/db/repository_secrets.go: label secret-type
    repository; url, type git, username, password) per cluster, from the stack's secret config, and
    in place before the root Application asks ArgoCD to read the repository."""
    config = {**CREDENTIAL, "infraplan:clusterEndpoint": "https://e", "infraplan:clusterCertificateAuthority": "Y2E=",
              "infraplan:clusterEndpoint-prod-org-c": "https://f", "infraplan:clusterCertificateAuthority-prod-org-c": "Y2E="}
    run = run_offline(lambda: program(example_plan, "prod"), stack="prod", config=config, secret_keys=CREDENTIAL_SECRETS)
    repo = resolved["prod"].gitops.repo_url
    for cluster, _ in resolved["prod"].clusters:
        k = cluster.key
        secret = run.mocks.named(f"{k}-gitops-repository")
        assert _provider_of(run, secret) == f"{k}-cluster"
        assert secret.inputs["metadata"]["name"] == "gitops-repository" and secret.inputs["metadata"]["namespace"] == "argocd"
        assert secret.inputs["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "repository"
        assert secret.inputs["stringData"] == {"type": "git", "url": repo, "username": "x-access-token", "password": TOKEN}
        assert "stringData" in secret.secret_paths  # a secret input: encrypted in the state, masked in the CLI
        assert secret.options["depends_on"] == [f"{k}-argocd"]  # the argocd namespace comes with the release
        assert f"{k}-gitops-repository" in run.mocks.named(f"{k}-root").options["depends_on"]
        assert run.exports["clusters"][k]["repositorySecret"] == "argocd/gitops-repository"
    assert TOKEN not in json.dumps(run.exports)


def test_missing_repository_credential_names_the_config_keys(example_plan):
    config = {"infraplan:clusterEndpoint": "https://e", "infraplan:clusterCertificateAuthority": "Y2E=", "infraplan:gitopsRepoUsername": "x-access-token"}
    with pytest.raises(RepositoryCredentialMissing, match="lacks infraplan:gitopsRepoPassword: ArgoCD could not read https://github.com/acme/platform-gitops.git") as exc:
        run_offline(lambda: program(example_plan, "dev"), stack="dev", config=config)
    assert "pulumi config set --secret infraplan:gitopsRepoPassword" in str(exc.value)


def test_ssh_repository_credential_is_a_deploy_key(plan_copy):
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(repo_url="git@github.com:acme/platform-gitops.git", repository_auth="ssh"))
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nTESTONLY\n-----END OPENSSH PRIVATE KEY-----\n"
    config = {"infraplan:clusterEndpoint": "https://e", "infraplan:clusterCertificateAuthority": "Y2E=", "infraplan:gitopsRepoSshPrivateKey": key}
    run = run_offline(lambda: program(plan_copy, "dev"), stack="dev", config=config, secret_keys=["infraplan:gitopsRepoSshPrivateKey"])
    data = run.mocks.named("dev-gitops-repository").inputs["stringData"]
    assert data == {"type": "git", "url": "git@github.com:acme/platform-gitops.git", "sshPrivateKey": key}
    assert run.mocks.named("dev-root").inputs["spec"]["source"]["repoURL"] == data["url"]  # ArgoCD matches the credential by URL
    with pytest.raises(RepositoryCredentialMissing, match="infraplan:gitopsRepoSshPrivateKey"):
        run_offline(lambda: program(plan_copy, "dev"), stack="dev", config={k: v for k, v in config.items() if "Ssh" not in k})


def test_public_repository_needs_no_credential(plan_copy):
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].pop("repository_auth"))
    run = run_offline(lambda: program(plan_copy, "dev"), stack="dev", config={"infraplan:clusterEndpoint": "https://e", "infraplan:clusterCertificateAuthority": "Y2E="})
    assert run.mocks.of_type(SECRET) == []
    assert "repositorySecret" not in run.exports["clusters"]["dev"]
    assert run.mocks.named("dev-root").options["depends_on"] == ["dev-argocd", "dev-platform-appproject"]


def test_a_new_credential_updates_the_secret_in_place(example_plan):
    """Rotation: a new token in the config changes only the Secret's data. pulumi-kubernetes replaces a
    named Secret whose data changes (delete, then create: ArgoCD without a credential in between) unless
    the provider sets enableSecretMutable (provider/pkg/provider/diff.go forceNewProperties); then it is
    an in-place update. Neither name nor type changes, and no option forces a replacement."""
    base = {"infraplan:clusterEndpoint": "https://e", "infraplan:clusterCertificateAuthority": "Y2E="}
    runs = [run_offline(lambda: program(example_plan, "dev"), stack="dev", config={**base, **CREDENTIAL, "infraplan:gitopsRepoPassword": t}, secret_keys=CREDENTIAL_SECRETS) for t in (TOKEN, "rotated")]
    before, after = (r.mocks.named("dev-gitops-repository") for r in runs)
    assert {**before.inputs["stringData"], "password": "rotated"} == after.inputs["stringData"]
    assert (before.inputs["metadata"], before.inputs["type"]) == (after.inputs["metadata"], after.inputs["type"]) and "immutable" not in after.inputs
    assert not after.options["delete_before_replace"]
    assert runs[1].mocks.named("dev-cluster").inputs["enableSecretMutable"] == "true"


# --- hand-off to ArgoCD (#11 isolation 7) ----------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_argocd_is_installed_once_and_never_uninstalled(runs, resolved, env):
    """After the first sync the tree's argocd Application (bootstrap/argocd/install) manages ArgoCD: Pulumi
    ignores later chart and values changes (they reach the cluster through Git) and retains ArgoCD, its
    repository credential, the platform project and the root on `pulumi destroy` or a replacement."""
    run = runs[env]
    for cluster, _ in resolved[env].clusters:
        k = cluster.key
        argocd = run.mocks.named(f"{k}-argocd").options
        assert argocd["retain_on_delete"] is True
        assert {"chart", "version", "repositoryOpts", "values"} <= set(argocd["ignore_changes"])
        for name in (f"{k}-gitops-repository", f"{k}-platform-appproject", f"{k}-root"):
            assert run.mocks.named(name).options["retain_on_delete"] is True, name
            assert run.mocks.named(name).options["ignore_changes"] == [], name  # the bootstrap's alone: `pulumi up` keeps them current


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


def test_gitops_none_releases_stay_pulumis(plan_without_gitops):
    """Without GitOps nothing takes the releases over: Pulumi upgrades and uninstalls them."""
    run = run_offline(offline_program(plan_without_gitops, "dev"), stack="dev")
    for r in run.mocks.of_type(RELEASE):
        assert r.options["retain_on_delete"] is False and r.options["ignore_changes"] == [], r.name


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
    assert set(releases["ingress-nginx"].after) == {"dev-aws-load-balancer-controller", "dev-cert-manager", "dev-external-secrets", "dev-kube-prometheus-stack"}
    # the load balancer controller (-4) runs before ingress-nginx's Service, after cert-manager (its webhook certificate)
    assert set(releases["aws-load-balancer-controller"].after) == {"dev-cert-manager", "dev-external-secrets", "dev-kube-prometheus-stack"}
    assert set(releases["cert-manager"].after) == {"dev-external-secrets", "dev-kube-prometheus-stack"}
    # external-secrets first (-12): its stores give Grafana its admin Secret before kube-prometheus-stack (-8)
    assert releases["kube-prometheus-stack"].after == ("dev-external-secrets",)
    assert releases["external-secrets"].after == ()


def test_gitops_none_gives_grafana_its_admin_secret_before_its_chart(plan_without_gitops):
    """#11 isolation 5 without GitOps: the kube-prometheus-stack release waits for its pods, and
    Grafana's cannot start before its admin Secret; so the stores (and their service accounts)
    come after external-secrets, Grafana's ExternalSecret after the stores, and the chart after
    both; the rest of the configuration after every chart."""
    run = run_offline(offline_program(plan_without_gitops, "dev"), stack="dev")

    def after(name: str) -> set[str]:
        return set(run.mocks.named(name).options["depends_on"])

    assert "dev-external-secrets" in after("dev-secret-stores")
    assert "dev-secret-stores" in after("dev-platform-secrets")
    assert {"dev-secret-stores", "dev-platform-secrets"} <= after("dev-kube-prometheus-stack")
    assert {"dev-secret-stores", "dev-platform-secrets", "dev-kube-prometheus-stack", "dev-cert-manager", "dev-namespaces"} <= after("dev-cluster-config")
    assert "dev-namespaces" not in after("dev-kube-prometheus-stack")  # a chart needs none of the tenants' namespaces
    assert run.exports["clusters"]["dev"]["manifestGroups"] == [f"dev-{p}" for p in ("storage", "namespaces", "secret-stores", "platform-secrets", "cluster-config", "database-bootstrap")]


# --- cluster connection ---------------------------------------------------------------------------


def test_kubeconfig_built_from_terraform_eks_outputs(example_plan):
    config = {
        "infraplan:clusterEndpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "infraplan:clusterCertificateAuthority": "LS0tQ0E=",
        "infraplan:clusterEndpoint-prod-org-c": "https://DEF.gr7.eu-west-1.eks.amazonaws.com",
        "infraplan:clusterCertificateAuthority-prod-org-c": "LS0tQ0Ey",
        **CREDENTIAL,
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
    run = run_offline(lambda: program(example_plan, "dev"), stack="dev", config={"infraplan:kubeconfig": kubeconfig, "infraplan:clusterEndpoint": "https://ignored", **CREDENTIAL}, secret_keys=["infraplan:kubeconfig"])
    got = json.loads(run.mocks.named("dev-cluster").inputs["kubeconfig"])
    assert got["clusters"][0]["cluster"]["server"] == "https://x"
    assert got["users"][0]["user"]["exec"]["args"][-2:] == ["--profile", "dev-admin"]


def test_half_a_connection_says_which_terraform_outputs_to_copy(example_plan):
    """An endpoint without its CA in the stack config is a RunError (reported without a traceback) naming the missing key and the Terraform output."""
    config = {"infraplan:kubeconfig": "apiVersion: v1", "infraplan:clusterEndpoint-prod-org-c": "https://f", **CREDENTIAL}
    with pytest.raises(ClusterConnectionMissing, match=r"sets infraplan:clusterEndpoint-prod-org-c but not infraplan:clusterCertificateAuthority-prod-org-c") as exc:
        run_offline(lambda: program(example_plan, "prod"), stack="prod", config=config)
    assert isinstance(exc.value, pulumi.RunError)
    assert "terraform -chdir=dist/terraform/stacks/prod-tenant-org-c output -raw cluster_certificate_authority" in str(exc.value)


def test_stack_name_is_the_environment(example_plan):
    config = {"infraplan:plan": str(example_plan), "infraplan:clusterEndpoint": "https://s", "infraplan:clusterCertificateAuthority": "Y2E=", **CREDENTIAL}
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
    config = {"infraplan:clusterEndpoint": "https://e", "infraplan:clusterCertificateAuthority": "Y2E=", **CREDENTIAL}
    run = run_offline(lambda: (runpy.run_path(str(ROOT / project["main"]), run_name="__main__"), {})[1], stack="dev", config=config)
    assert {r.name for r in run.resources} >= {"dev-cluster", "dev-argocd", "dev-root"}
    outputs = pulumi.runtime.get_root_resource().outputs
    assert {"argocdNamespace", "rootApplication", "chartVersions", "clusters"} <= set(outputs)
