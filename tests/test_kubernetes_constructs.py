"""The Kubernetes constructs composed in Python, without a plan (aws-cdk style): one construct
in an empty GitOpsTree with hand-written props, assertions on the files it synthesizes, and a
"raises" case for every constructor check. The last test builds a whole tree and runs
``kubectl kustomize`` and kubernetes-validate on it (slow)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from constructs_lib.addons import addon
from constructs_lib.kubernetes.argocd_bootstrap import ArgoCdBootstrap
from constructs_lib.kubernetes.gitops_tree import GitOpsTree
from constructs_lib.kubernetes.helm_addon import HelmAddOn
from constructs_lib.kubernetes.kustomize_app import KustomizeApp
from constructs_lib.kubernetes.platform_objects import DatabaseBootstrap, ManifestComponent, ObjectFolder
from constructs_lib.kubernetes.tenant_namespace import DEFAULT_QUOTA, TenantNamespace, TenantProject
from constructs_lib.kubernetes.tree_base import ConstructError
from constructs_lib.kubernetes.tree_node import Construct
from constructs_lib.resolve.addons import ResolvedManifestComponent
from constructs_lib.resolve.gitops import DatabaseBootstrapSpec, RoleBindingSpec, container_image, platform_project, tenant_project
from constructs_lib.resolve.model import Quota

REPO = "https://git.example.com/acme/platform.git"


def tree(**props) -> GitOpsTree:
    return GitOpsTree(None, "dev", **{"repo_url": REPO, "environment": "dev", **props})


def objs(files: dict[str, str], path: str) -> dict:
    return yaml.safe_load(files[f"dev/{path}"])


def listed(files: dict[str, str], folder: str) -> list[str]:
    return objs(files, f"{folder}/kustomization.yaml")["resources"]


# --- GitOpsTree ---------------------------------------------------------------------------------


def test_an_empty_tree_has_its_roots_and_defaults():
    t = tree()
    files = t.synth()
    assert listed(files, "bootstrap") == ["argocd/projects", "namespaces"]
    assert listed(files, "infrastructure") == [] and listed(files, "bootstrap/namespaces") == []
    assert (t.tree_path, t.target_revision, t.argocd_namespace) == ("kubernetes/dev", "main", "argocd")
    assert t.path("bootstrap") == "kubernetes/dev/bootstrap"


@pytest.mark.parametrize(
    "props, words",
    [
        ({"repo_url": "git.example.com/acme"}, "repo_url='git.example.com/acme'"),
        ({"tree_path": "../elsewhere"}, "tree_path='../elsewhere'"),
        ({"tree_path": "/abs"}, "tree_path='/abs'"),
        ({"target_revision": "a branch"}, "target_revision='a branch'"),
        ({"argocd_namespace": "Argo"}, "argocd_namespace='Argo'"),
        ({"environment": "Dev_1"}, "environment='Dev_1'"),
        ({"waves": {"projects": -20}}, "waves lacks"),
    ],
)
def test_tree_refuses_bad_props(props, words):
    with pytest.raises(ConstructError, match=f"GitOpsTree 'dev': .*{words}".replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        tree(**props)


def test_tree_refuses_an_id_that_is_no_folder_name():
    with pytest.raises(ConstructError, match="id .* is not a DNS label"):
        GitOpsTree(None, "Dev Cluster", repo_url=REPO, environment="dev")


def test_a_construct_outside_a_tree_is_refused():
    with pytest.raises(ConstructError, match="is not inside a GitOpsTree"):
        HelmAddOn(Construct(None, ""), "x", component="cert-manager")


def test_two_constructs_writing_one_file_are_refused():
    t = tree()
    t.add_addon("cert-manager")
    ObjectFolder(t, "clash", path="infrastructure/cert-manager", objects={"issuer.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}})
    with pytest.raises(ConstructError, match="writes infrastructure/cert-manager/kustomization.yaml, which another construct"):
        t.synth()


# --- HelmAddOn ----------------------------------------------------------------------------------


def test_helm_addon_is_the_registry_pin_with_its_values_exactly():
    t = tree()
    values = {"crds": {"enabled": True}, "replicaCount": 2}
    a = t.add_addon("cert-manager", values=values)
    pin = addon("cert-manager").chart
    files = t.synth()
    app = objs(files, "infrastructure/cert-manager/application.yaml")
    src = app["spec"]["source"]
    assert (src["repoURL"], src["chart"], src["targetRevision"], src["helm"]["releaseName"]) == (pin.repo_url, pin.chart, pin.version, pin.release)
    assert src["helm"]["valuesObject"] == values
    assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": pin.namespace}
    assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == str(pin.sync_wave)
    assert app["spec"]["project"] == "platform" and app["metadata"]["namespace"] == "argocd"
    assert listed(files, "infrastructure") == ["cert-manager"]
    assert [r.url for r in t.helm_repos()] == [pin.repo_url] and a.chart == pin


def test_helm_addon_ships_its_config_and_can_inflate_with_kustomize():
    t = tree()
    issuer = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "letsencrypt"}, "spec": {"selfSigned": {}}}
    t.add_addon("cert-manager", method="kustomize", values={"crds": {"enabled": True}}, config_objects={"clusterissuer.yaml": issuer})
    files = t.synth()
    assert listed(files, "infrastructure/cert-manager") == ["application.yaml", "clusterissuer.yaml"]
    assert objs(files, "infrastructure/cert-manager/clusterissuer.yaml") == issuer
    chart = objs(files, "infrastructure/cert-manager/chart/kustomization.yaml")["helmCharts"][0]
    assert chart["version"] == addon("cert-manager").chart.version and chart["valuesInline"] == {"crds": {"enabled": True}}
    src = objs(files, "infrastructure/cert-manager/application.yaml")["spec"]
    assert src["source"]["path"] == "kubernetes/dev/infrastructure/cert-manager/chart" and src["syncPolicy"]["syncOptions"][0] == "CreateNamespace=true"


CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}


@pytest.mark.parametrize(
    "props, words",
    [
        ({"component": "nginx-plus"}, "component='nginx-plus' is no add-on of the registry; use one of"),
        ({"component": "argocd"}, "is ArgoCD itself; use tree.add_argocd"),
        ({"component": "Cert_Manager"}, "component='Cert_Manager' is not a DNS label"),
        ({"component": "cert-manager", "chart": addon("external-dns").chart}, "chart is the pin of 'external-dns'"),
        ({"component": "cert-manager", "chart": dataclasses.replace(addon("cert-manager").chart, version="latest")}, "chart version 'latest' is not pinned"),
        ({"component": "cert-manager", "method": "raw"}, "method='raw' is unknown; use one of helm, kustomize"),
        ({"component": "cert-manager", "values": ["a"]}, "is not a mapping of Helm values"),
        ({"component": "cert-manager", "config_objects": {"application.yaml": CONFIGMAP}}, "file name 'application.yaml' is not allowed"),
        ({"component": "cert-manager", "config_objects": {"issuer.json": CONFIGMAP}}, "file name 'issuer.json' is not allowed"),
        ({"component": "cert-manager", "config_objects": {"issuer.yaml": {"kind": "ConfigMap"}}}, "is not a Kubernetes object"),
    ],
)
def test_helm_addon_refuses_bad_props(props, words):
    with pytest.raises(ConstructError, match="HelmAddOn 'a': .*" + _re(words)):
        HelmAddOn(tree(), "a", **props)


def test_helm_addon_refuses_the_same_addon_twice():
    t = tree()
    t.add_addon("cert-manager")
    with pytest.raises(ConstructError, match="already installs 'cert-manager'"):
        HelmAddOn(t, "again", component="cert-manager")


def _re(words: str) -> str:
    import re

    return re.escape(words)


# --- ArgoCdBootstrap ----------------------------------------------------------------------------


def test_argocd_bootstrap_writes_its_install_root_and_roots():
    t = tree()
    t.add_argocd(values={"configs": {"params": {"server.insecure": True}}}, admin_groups=["platform-admins"])
    t.add_addon("external-dns")
    files = t.synth()
    argo, dns = addon("argocd").chart, addon("external-dns").chart
    install = objs(files, "bootstrap/argocd/install/application.yaml")
    assert install["spec"]["source"]["targetRevision"] == argo.version and install["spec"]["source"]["helm"]["valuesObject"] == {"configs": {"params": {"server.insecure": True}}}
    assert "argocd/install" in listed(files, "bootstrap")
    assert listed(files, "root") == ["application-root.yaml", "project-platform.yaml"]
    root = objs(files, "root/application-root.yaml")
    assert root["spec"]["source"] == {"repoURL": REPO, "targetRevision": "main", "path": "kubernetes/dev/argocd"}
    project = objs(files, "root/project-platform.yaml")["spec"]
    assert project["sourceRepos"] == sorted({REPO, argo.repo_url, dns.repo_url})
    assert project["roles"][0]["groups"] == ["platform-admins"]
    secrets = {objs(files, f"argocd/repositories/{n}")["stringData"]["url"] for n in listed(files, "argocd/repositories")}
    assert secrets == {argo.repo_url, dns.repo_url}
    assert listed(files, "argocd") == ["applications", "projects", "repositories"]
    assert objs(files, "argocd/projects/default.yaml")["spec"]["sourceRepos"] == []


def test_argocd_installed_elsewhere_needs_no_chart_secret():
    t = tree()
    t.add_argocd(install=False)
    files = t.synth()
    assert "dev/bootstrap/argocd/install/application.yaml" not in files and listed(files, "argocd/repositories") == []


@pytest.mark.parametrize(
    "props, words",
    [
        ({"chart": addon("cert-manager").chart}, "chart is the pin of 'cert-manager'"),
        ({"admin_groups": "platform-admins"}, "admin_groups='platform-admins' is not a list of group names"),
        ({"platform": dataclasses.replace(platform_project((REPO,), ()), name="infra")}, "platform project is named 'infra'"),
        ({"config_objects": {"sso.yaml": {"apiVersion": "v1"}}}, "config_objects['sso.yaml'] is not a Kubernetes object"),
    ],
)
def test_argocd_bootstrap_refuses_bad_props(props, words):
    with pytest.raises(ConstructError, match="ArgoCdBootstrap 'argocd': .*" + _re(words)):
        tree().add_argocd(**props)


def test_argocd_bootstrap_refuses_a_second_argocd():
    t = tree()
    t.add_argocd()
    with pytest.raises(ConstructError, match="already has ArgoCD"):
        ArgoCdBootstrap(t, "argocd-2")


# --- TenantNamespace, TenantProject, Tenant ------------------------------------------------------


def test_tenant_namespace_is_guarded():
    t = tree()
    binding = RoleBindingSpec("shop-developers", "tenant-developer", ("shop-devs",))
    TenantNamespace(t, "ns", name="shop", tenant="shop", role_bindings=[binding], ingress_namespace="ingress-nginx", database_cidrs=["10.0.20.0/24"], database_port=5432)
    files = t.synth()
    ns = objs(files, "bootstrap/namespaces/shop/namespace.yaml")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted" and ns["metadata"]["labels"]["infraplan.io/tenant"] == "shop"
    assert ns["metadata"]["labels"]["infraplan.io/environment"] == "dev"  # the tree's
    assert objs(files, "bootstrap/namespaces/shop/resourcequota.yaml")["spec"]["hard"]["requests.cpu"] == DEFAULT_QUOTA.cpu
    assert objs(files, "bootstrap/namespaces/shop/networkpolicy-default-deny.yaml")["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    db = objs(files, "bootstrap/namespaces/shop/networkpolicy-allow-database.yaml")["spec"]["egress"][0]
    assert db == {"to": [{"ipBlock": {"cidr": "10.0.20.0/24"}}], "ports": [{"protocol": "TCP", "port": 5432}]}
    assert "networkpolicy-allow-ingress-controller.yaml" in listed(files, "bootstrap/namespaces/shop")
    assert objs(files, "bootstrap/namespaces/shop/rolebinding-shop-developers.yaml")["roleRef"]["name"] == "tenant-developer"
    assert [f for f in listed(files, "bootstrap/namespaces/shop") if f.startswith("role-")] == ["role-tenant-developer.yaml"]  # only the Roles bound
    assert listed(files, "bootstrap/namespaces") == ["shop"]


def test_a_bare_namespace_allows_no_ingress_and_no_database():
    t = tree()
    TenantNamespace(t, "ns", name="batch")
    names = listed(t.synth(), "bootstrap/namespaces/batch")
    assert not any("ingress" in n or "database" in n or n.startswith("role") for n in names)


@pytest.mark.parametrize(
    "props, words",
    [
        ({"name": "Shop"}, "name='Shop' is not a DNS label"),
        ({"name": "kube-system"}, "is a Kubernetes system namespace"),
        ({"name": "default"}, "is a Kubernetes system namespace"),
        ({"name": "shop", "quota": Quota("lots", "8Gi", 50, 0, 10)}, "quota.cpu='lots' is not a positive Kubernetes quantity"),
        ({"name": "shop", "quota": Quota("4", "0", 50, 0, 10)}, "quota.memory='0' is not a positive"),
        ({"name": "shop", "quota": Quota("4", "8Gi", 0, 0, 10)}, "has a count below its floor"),
        ({"name": "shop", "database_cidrs": ["10.0.20.1/24"], "database_port": 5432}, "database_cidrs holds '10.0.20.1/24', not a network"),
        ({"name": "shop", "database_cidrs": ["10.0.20.0/24"]}, "give both"),
        ({"name": "shop", "database_port": 5432}, "give both"),
        ({"name": "shop", "database_cidrs": ["10.0.20.0/24"], "database_port": 70000}, "give both"),
        ({"name": "shop", "role_bindings": [RoleBindingSpec("b", "cluster-admin", ("g",))]}, "role binding 'b' binds 'cluster-admin'"),
        ({"name": "shop", "role_bindings": [RoleBindingSpec("b", "tenant-viewer", ())]}, "role binding 'b' binds 'tenant-viewer' to []"),
        ({"name": "shop", "ingress_namespace": "Ingress"}, "ingress_namespace='Ingress' is not a DNS label"),
    ],
)
def test_tenant_namespace_refuses_bad_props(props, words):
    with pytest.raises(ConstructError, match="TenantNamespace 'ns': .*" + _re(words)):
        TenantNamespace(tree(), "ns", **props)


def test_a_namespace_is_guarded_once():
    t = tree()
    TenantNamespace(t, "one", name="shop")
    with pytest.raises(ConstructError, match="namespace 'shop' is already guarded"):
        TenantNamespace(t, "two", name="shop")


def test_add_tenant_splits_its_quota_and_binds_its_groups():
    t = tree()
    t.add_tenant("acme", namespaces=["acme-web", "acme-jobs"], quota=Quota("4", "8Gi", 40, 0, 10), admin_groups=["acme-admins"], source_repos=["https://git.example.com/acme/apps.git"])
    files = t.synth()
    for ns in ("acme-web", "acme-jobs"):
        hard = objs(files, f"bootstrap/namespaces/{ns}/resourcequota.yaml")["spec"]["hard"]
        assert (hard["requests.cpu"], hard["requests.memory"], hard["pods"]) == ("2", "4Gi", "20")
        assert objs(files, f"bootstrap/namespaces/{ns}/rolebinding-acme-admins.yaml")["subjects"][0]["name"] == "acme-admins"
    project = objs(files, "bootstrap/argocd/projects/acme.yaml")["spec"]
    assert project["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": n} for n in ("acme-web", "acme-jobs")]
    assert project["clusterResourceWhitelist"] == [] and project["sourceRepos"] == sorted([REPO, "https://git.example.com/acme/apps.git"])
    assert [r["name"] for r in project["roles"]] == ["admin"]
    assert listed(files, "bootstrap/argocd/projects") == ["acme.yaml"]


@pytest.mark.parametrize(
    "props, words",
    [
        ({"namespaces": "acme"}, "namespaces='acme'"),
        ({"namespaces": []}, "namespaces=[]"),
        ({"namespaces": ["a", "a"]}, "namespaces=['a', 'a']"),
    ],
)
def test_tenant_refuses_bad_namespaces(props, words):
    with pytest.raises(ConstructError, match="Tenant 'tenant-acme': " + _re(words)):
        tree().add_tenant("acme", **props)


def test_a_tenant_is_added_once_and_its_project_stays_in_its_namespaces():
    t = tree()
    t.add_tenant("acme", namespaces=["acme"])
    with pytest.raises(ConstructError, match="already has tenant 'acme'"):
        t.add_tenant("acme", namespaces=["acme-2"])
    wide = tenant_project("wide", "wide", (REPO,), ("*",), ())
    with pytest.raises(ConstructError, match="TenantProject 'p': project 'wide' reaches"):
        TenantProject(t, "p", spec=wide)


# --- KustomizeApp -------------------------------------------------------------------------------

APP = {"namespace": "shop", "tenant": "shop", "image": "ghcr.io/acme/shop", "tag": "1.4.2"}


def shop_tree() -> GitOpsTree:
    t = tree()
    t.add_tenant("shop", namespaces=["shop"])
    return t


def test_kustomize_app_base_and_overlay():
    t = shop_tree()
    t.add_app("shop", **APP, host="shop.dev.acme.example.com", ingress_class="nginx", cluster_issuer="letsencrypt", database_secret="acme/dev/shop/database", secret_store="tenant-shop")
    files = t.synth()
    dep = objs(files, "apps/shop/base/deployment.yaml")
    assert dep["spec"]["replicas"] == 2 and dep["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/shop"
    assert dep["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [{"secretRef": {"name": "shop-database"}}]
    kust = objs(files, "apps/shop/overlays/dev/kustomization.yaml")
    assert kust["images"] == [{"name": "ghcr.io/acme/shop", "newTag": "1.4.2"}] and kust["resources"] == ["../../base", "externalsecret.yaml", "ingress.yaml"]
    ing = objs(files, "apps/shop/overlays/dev/ingress.yaml")
    assert ing["spec"]["tls"] == [{"hosts": ["shop.dev.acme.example.com"], "secretName": "shop-tls"}]
    assert objs(files, "apps/shop/overlays/dev/externalsecret.yaml")["spec"]["secretStoreRef"]["name"] == "tenant-shop"


def test_apps_appear_in_the_apps_root():
    t = shop_tree()
    t.add_argocd()
    t.add_app("shop", **APP)
    elements = objs(t.synth(), "argocd/applications/apps.yaml")["spec"]["generators"][0]["list"]["elements"]
    assert elements == [{"app": "shop", "project": "shop", "namespace": "shop", "path": "kubernetes/dev/apps/shop/overlays/dev"}]


@pytest.mark.parametrize(
    "props, words",
    [
        ({"image": "ghcr.io/acme/shop:1.4.2"}, "image='ghcr.io/acme/shop:1.4.2' is not an image repository"),
        ({"tag": "latest"}, "tag='latest' is not a pinned image tag"),
        ({"tag": "a b"}, "tag='a b' is not a pinned image tag"),
        ({"port": 0}, "port=0 replicas=2"),
        ({"replicas": 0}, "port=8080 replicas=0"),
        ({"host": "shop"}, "host='shop' is not a DNS name"),
        ({"health_path": "healthz"}, "health_path='healthz'"),
        ({"cpu": "fast"}, "cpu='fast' is not a positive Kubernetes quantity"),
        ({"memory": "-1Gi"}, "memory='-1Gi' is not a positive Kubernetes quantity"),
        ({"namespace": "Shop"}, "namespace='Shop' is not a DNS label"),
        ({"tenant": "Shop"}, "tenant='Shop' is not a DNS label"),
        ({"database_secret": "x", "secret_store": "Tenant Store"}, "secret_store='Tenant Store' is not a DNS label"),
    ],
)
def test_kustomize_app_refuses_bad_props(props, words):
    with pytest.raises(ConstructError, match="KustomizeApp 'app-shop': .*" + _re(words)):
        shop_tree().add_app("shop", **{**APP, **props})


def test_an_app_needs_a_guarded_namespace_and_its_own_name():
    t = tree()
    t.add_app("shop", **APP)
    with pytest.raises(ConstructError, match="namespace 'shop' is not a guarded namespace of tree 'dev'; add it with tree.add_tenant"):
        t.synth()
    with pytest.raises(ConstructError, match="app 'shop' is already in the tree"):
        KustomizeApp(t, "other", name="shop", **APP)


# --- the platform's other constructs --------------------------------------------------------------


def test_object_folder_manifest_component_and_database_bootstrap_refuse_bad_props():
    t = tree()
    with pytest.raises(ConstructError, match="path='apps/x' is outside the synced roots"):
        ObjectFolder(t, "f", path="apps/x", objects={"a.yaml": CONFIGMAP})
    with pytest.raises(ConstructError, match="objects is empty"):
        ObjectFolder(t, "g", path="bootstrap/x", objects={})
    comp = ResolvedManifestComponent("policies", "https://git.example.com/acme/policies.git", "deploy", "main", "policies", 0, "")
    with pytest.raises(ConstructError, match="revision='main' is not pinned"):
        ManifestComponent(t, "m", component=comp)
    spec = DatabaseBootstrapSpec("database-bootstrap", "database-admin", "master-credentials", "arn:aws:rds:eu-west-1:111111111111:db:x", container_image("postgres-client"), ())
    with pytest.raises(ConstructError, match="spec.tenants is empty"):
        DatabaseBootstrap(t, "d", spec=spec)


def test_object_folder_and_manifest_component_are_listed():
    t = tree()
    ObjectFolder(t, "sc", path="bootstrap/eks-addons/ebs", objects={"storageclass.yaml": CONFIGMAP})
    ManifestComponent(t, "m", component=ResolvedManifestComponent("policies", "https://git.example.com/acme/policies.git", "deploy", "v1.2.0", "policies", 3, ""))
    files = t.synth()
    assert "eks-addons/ebs" in listed(files, "bootstrap") and listed(files, "infrastructure") == ["policies"]
    assert objs(files, "infrastructure/policies/application.yaml")["spec"]["source"]["targetRevision"] == "v1.2.0"


# --- a whole tree, composed in Python ---------------------------------------------------------------


def composed_tree() -> GitOpsTree:
    """What docs/constructs.md shows: ArgoCD, two add-ons, a tenant and its app, no plan."""
    t = GitOpsTree(None, "sandbox", repo_url=REPO, environment="dev", tree_path="clusters/sandbox")
    t.add_argocd(admin_groups=["platform-admins"])
    t.add_addon("cert-manager", values={"crds": {"enabled": True}})
    t.add_addon("ingress-nginx", values={"controller": {"replicaCount": 2}})
    t.add_tenant("shop", namespaces=["shop"], developer_groups=["shop-devs"], ingress_namespace="ingress-nginx")
    t.add_app("storefront", namespace="shop", tenant="shop", image="ghcr.io/acme/storefront", tag="2.0.1", host="shop.dev.acme.example.com", ingress_class="nginx")
    return t


def test_a_composed_tree_lists_every_file_in_a_kustomization():
    files = composed_tree().synth()
    folders = {p.rsplit("/", 1)[0] for p in files if p.endswith("/kustomization.yaml")}
    for path in files:
        folder, name = path.rsplit("/", 1)
        if name != "kustomization.yaml" and "/overlays/" not in path:
            assert folder in folders and name in yaml.safe_load(files[f"{folder}/kustomization.yaml"])["resources"], path


@pytest.mark.slow
def test_a_composed_tree_builds_with_kustomize_and_validates(tmp_path: Path):
    from kustomize_check import build_and_validate

    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    for rel, text in composed_tree().synth().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert len(list(tmp_path.rglob("kustomization.yaml"))) >= 10
    kinds = build_and_validate(tmp_path)
    assert {"Application", "AppProject", "ApplicationSet", "Namespace", "NetworkPolicy", "ResourceQuota", "RoleBinding", "Deployment", "Service", "Ingress", "Secret"} <= kinds


# --- the plan is one front end ------------------------------------------------------------------------


def test_the_plan_builds_the_tree_through_the_constructs():
    from conftest import EXAMPLE_PLAN
    from constructs_lib.kubernetes.tree import build_tree, render_cluster
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_plan
    from constructs_lib.resolve.gitops import resolve_cluster_gitops

    for env in resolve_plan(load_plan(EXAMPLE_PLAN)):
        for cluster, tenants in env.clusters:
            g = resolve_cluster_gitops(env, cluster, tenants)
            t = build_tree(g)
            assert [a.component for a in t.addons()] == [a.component for a in cluster.addons if a.component != "argocd"]
            assert [a.values for a in t.addons()] == [a.values for a in cluster.addons if a.component != "argocd"]
            assert tuple(ns.spec for ns in t.namespaces()) == g.namespaces
            assert tuple(a.spec for a in t.apps()) == g.apps
            assert t.helm_repos() == g.helm_repos
            assert len(t.constructs_of(ArgoCdBootstrap)) == 1
            assert render_cluster(g) == t.synth()
