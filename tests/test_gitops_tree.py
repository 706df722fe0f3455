"""The GitOps tree: layout, the Helm Application contract, tenant isolation,
pinned versions, determinism, and the values shared with Terraform."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from constructs_lib.kubernetes.tree import render_environment
from constructs_lib.plan import load_plan
from constructs_lib.kubernetes.external_secrets import DATA_FROM_DEFAULTS
from constructs_lib.resolve.addons import chart_catalog, resolve_addons
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.resolve.gitops import namespace_quota, split_cpu, split_memory
from constructs_lib.resolve.model import Quota

from conftest import EXAMPLE_PLAN, edit_yaml

EXACT_CHART = re.compile(r"^v?\d+\.\d+\.\d+$")
EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


@pytest.fixture(scope="module")
def envs():
    return resolve_plan(load_plan(EXAMPLE_PLAN))


def clusters_of(envs):
    for env in envs:
        for cluster, tenants in env.clusters:
            yield env, cluster, tenants


def load(path: Path) -> dict:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert len(docs) == 1, f"{path}: one object per file, found {len(docs)}"
    return docs[0]


def test_layout_per_cluster(example_synth: Path, envs):
    k8s = example_synth / "kubernetes"
    keys = sorted(p.name for p in k8s.iterdir())
    assert keys == sorted(c.key for _, c, _ in clusters_of(envs)) == ["dev", "prod", "prod-org-c", "staging"]
    for env, cluster, tenants in clusters_of(envs):
        root = k8s / cluster.key
        for rel in [
            "root/project-platform.yaml",
            "root/application-root.yaml",
            "bootstrap/argocd/install/application.yaml",
            "argocd/applications/bootstrap.yaml",
            "argocd/applications/infrastructure.yaml",
            "argocd/applications/apps.yaml",
            "argocd/projects/default.yaml",
        ]:
            assert (root / rel).is_file(), f"{cluster.key}: {rel} missing"
        assert not (root / "bootstrap/argocd/projects/platform.yaml").exists()  # one owner: the bootstrap path
        for t in tenants:
            assert (root / f"bootstrap/argocd/projects/{t.name}.yaml").is_file()
            for ns in t.namespaces:
                assert (root / f"bootstrap/namespaces/{ns}/namespace.yaml").is_file()
            for app in t.apps:
                assert (root / f"apps/{app.name}/base/deployment.yaml").is_file()
                assert (root / f"apps/{app.name}/overlays/{env.name}/kustomization.yaml").is_file()
                assert [p.name for p in (root / f"apps/{app.name}/overlays").iterdir()] == [env.name]
        for a in cluster.addons:
            if a.component != "argocd":
                assert (root / f"infrastructure/{a.component}/application.yaml").is_file()
        repos = {load(p)["stringData"]["url"] for p in (root / "argocd/repositories").glob("repo-*.yaml")}
        assert repos == {a.chart.repo_url for a in cluster.addons}
    # org-c is on its own cluster in prod, on the shared one elsewhere
    assert (k8s / "prod-org-c/bootstrap/namespaces/org-c-payments").is_dir()
    assert not (k8s / "prod/bootstrap/namespaces/org-c-payments").exists()
    assert (k8s / "dev/bootstrap/namespaces/org-c-payments").is_dir()


def test_one_object_per_file_and_no_timestamps(example_synth: Path):
    for path in (example_synth / "kubernetes").rglob("*.yaml"):
        text = path.read_text()
        load(path)
        assert "creationTimestamp" not in text and not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), path


def test_render_is_deterministic(envs):
    for env in envs:
        assert render_environment(env) == render_environment(env)


def test_helm_application_contract(example_synth: Path, envs):
    """The contract with the Pulumi program: source = pinned chart, valuesObject = addon.values exactly."""
    for env, cluster, _ in clusters_of(envs):
        for a in cluster.addons:
            assert a.method == "helm"
            rel = "bootstrap/argocd/install/application.yaml" if a.component == "argocd" else f"infrastructure/{a.component}/application.yaml"
            app = load(example_synth / "kubernetes" / cluster.key / rel)
            assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
            assert app["metadata"]["name"] == a.component and app["metadata"]["namespace"] == "argocd"
            assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == str(a.chart.sync_wave)
            assert app["spec"]["source"] == {
                "repoURL": a.chart.repo_url,
                "chart": a.chart.chart,
                "targetRevision": a.chart.version,
                "helm": {"releaseName": a.chart.release, "valuesObject": a.values},
            }
            assert app["spec"]["destination"]["namespace"] == a.chart.namespace
    # CRD-installing charts sync before the charts/objects that use their CRDs
    waves = {name: c.sync_wave for name, c in chart_catalog().items()}
    assert waves["argocd"] < waves["cert-manager"] < 0 and waves["external-secrets"] < waves["ingress-nginx"]


def test_argocd_values_per_tier(envs):
    for env in envs:
        v = env.cluster.addon("argocd").values
        assert v["redis-ha"]["enabled"] is (env.tier == "production")
        assert v["server"]["replicas"] == (2 if env.tier == "production" else 1)
        assert "resource.customizations.health.argoproj.io_Application" in v["configs"]["cm"]


def test_chart_versions_are_exact():
    for name, c in chart_catalog().items():
        assert EXACT_CHART.match(c.version), f"{name}: chart version {c.version!r} is not exact"
        assert c.maintainer in ("official", "community")


def _built(dirpath: Path) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(dirpath)], capture_output=True, text=True, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_every_deployed_image_has_an_exact_tag(example_synth: Path, envs):
    for env, cluster, tenants in clusters_of(envs):
        for t in tenants:
            for app in t.apps:
                objs = _built(example_synth / "kubernetes" / cluster.key / "apps" / app.name / "overlays" / env.name)
                images = [c["image"] for o in objs if o["kind"] == "Deployment" for c in o["spec"]["template"]["spec"]["containers"]]
                assert images == [f"{app.image}:{app.tag}"]
                for image in images:
                    assert EXACT_TAG.match(image.rsplit(":", 1)[1]), image
    # the dev override of storefront's tag reaches the dev overlay only
    assert "2.4.0-rc.1" in (example_synth / "kubernetes/dev/apps/storefront/overlays/dev/kustomization.yaml").read_text()
    assert "2.3.1" in (example_synth / "kubernetes/prod/apps/storefront/overlays/prod/kustomization.yaml").read_text()


def test_cluster_issuer_by_tier(example_synth: Path, envs):
    for env, cluster, tenants in clusters_of(envs):
        root = example_synth / "kubernetes" / cluster.key
        issuers = [load(p) for p in (root / "infrastructure/cert-manager").glob("clusterissuer-*.yaml")]
        assert len(issuers) == 1
        issuer = issuers[0]
        if env.tier == "production":
            assert issuer["metadata"]["name"] == "letsencrypt-production"
            assert issuer["spec"]["acme"]["server"] == "https://acme-v02.api.letsencrypt.org/directory"
        else:
            assert issuer["metadata"]["name"] == "letsencrypt-staging"
            assert "acme-staging-v02" in issuer["spec"]["acme"]["server"]
        # the environment's own zone: by id when the plan names it, else by its domain (Terraform creates it)
        route53 = {"region": env.region, **({"hostedZoneID": cluster.dns.zone_id} if cluster.dns.zone_id else {})}
        assert issuer["spec"]["acme"]["solvers"] == [{"selector": {"dnsZones": [cluster.dns.domain]}, "dns01": {"route53": route53}}]
        for t in tenants:
            for app in t.apps:
                if app.host:
                    assert app.host.endswith(f".{cluster.dns.domain}")
                    assert not (root / f"apps/{app.name}/base/ingress.yaml").exists()  # the hostname is the environment's: in its overlay
                    ing = load(root / f"apps/{app.name}/overlays/{env.name}/ingress.yaml")
                    assert ing["spec"]["rules"][0]["host"] == app.host
                    assert ing["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == issuer["metadata"]["name"]
                    assert ing["spec"]["tls"] == [{"hosts": [app.host], "secretName": f"{app.name}-tls"}]
                    assert ing["spec"]["ingressClassName"] == "nginx"


def test_http01_issuer(plan_copy: Path):
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["certificates"].update({"challenge": "http-01", "hosted_zone_id": None}))
    env = resolve_plan(load_plan(plan_copy), ["staging"])[0]
    issuer = yaml.safe_load(render_environment(env)["staging/infrastructure/cert-manager/clusterissuer-letsencrypt-staging.yaml"])
    assert issuer["spec"]["acme"]["solvers"] == [{"http01": {"ingress": {"ingressClassName": "nginx"}}}]


def test_tenant_isolation(example_synth: Path, envs):
    for env, cluster, tenants in clusters_of(envs):
        root = example_synth / "kubernetes" / cluster.key
        for t in tenants:
            proj = load(root / f"bootstrap/argocd/projects/{t.name}.yaml")["spec"]
            assert [d["namespace"] for d in proj["destinations"]] == list(t.namespaces)
            assert proj["clusterResourceWhitelist"] == []
            assert set(proj["sourceRepos"]) == {env.gitops.repo_url, *t.source_repos}
            groups = {g for r in proj["roles"] for g in r["groups"]}
            assert groups == {*t.access.admin_groups, *t.access.developer_groups, *t.access.viewer_groups}
            for r in proj["roles"]:
                assert all(f", {t.name}/*, allow" in p for p in r["policies"])
            store = load(root / f"infrastructure/external-secrets/clustersecretstore-tenant-{t.name}.yaml")
            bootstrap = ["database-bootstrap"] if t.database is not None else []  # its database is created from there
            assert store["spec"]["conditions"] == [{"namespaces": [*t.namespaces, *bootstrap]}]
            total_cpu = total_pods = 0
            for ns in t.namespaces:
                d = root / f"bootstrap/namespaces/{ns}"
                labels = load(d / "namespace.yaml")["metadata"]["labels"]
                assert labels["pod-security.kubernetes.io/enforce"] == "restricted" and labels["infraplan.io/tenant"] == t.name
                deny = load(d / "networkpolicy-default-deny.yaml")["spec"]
                assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
                for name in ("allow-same-namespace", "allow-dns", "allow-ingress-controller"):
                    assert (d / f"networkpolicy-{name}.yaml").is_file()
                rbs = [load(p) for p in d.glob("rolebinding-*.yaml")]
                assert {s["name"] for rb in rbs for s in rb["subjects"]} == groups
                hard = load(d / "resourcequota.yaml")["spec"]["hard"]
                total_cpu += int(hard["requests.cpu"].rstrip("m")) * (1 if hard["requests.cpu"].endswith("m") else 1000)
                total_pods += int(hard["pods"])
            assert total_cpu <= float(t.quota.cpu) * 1000 and total_pods <= t.quota.pods
            for app in t.apps:
                if app.database_secret:
                    es = load(root / f"apps/{app.name}/overlays/{env.name}/externalsecret.yaml")
                    assert es["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": f"tenant-{t.name}"}
                    key = es["spec"]["dataFrom"][0]["extract"]["key"]
                    assert key == app.database_secret and key.startswith(t.secrets_path + "/")
        platform_store = load(root / "infrastructure/external-secrets/clustersecretstore-aws-secrets-manager.yaml")
        assert platform_store["spec"]["conditions"][0]["namespaceSelector"]["matchExpressions"][0] == {"key": "infraplan.io/tenant", "operator": "DoesNotExist"}


def test_values_match_terraform(example_synth: Path, envs):
    """Cluster names, IRSA role ARNs and DB secret names in the manifests are the ones Terraform creates."""

    def stack(name: str) -> dict:
        return json.loads((example_synth / "terraform" / "stacks" / name / "cdk.tf.json").read_text())

    for env, cluster, tenants in clusters_of(envs):
        owner = env.stack_name if cluster is env.cluster else tenants[0].stack_name
        tf = stack(owner)["resource"]
        roles = {r["name"] for r in tf["aws_iam_role"].values()}
        assert cluster.name in {c["name"] for c in tf["aws_eks_cluster"].values()}
        root = example_synth / "kubernetes" / cluster.key
        for component in ("cert-manager",):
            values = load(root / f"infrastructure/{component}/application.yaml")["spec"]["source"]["helm"]["valuesObject"]
            arn = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
            role = cluster.irsa(component)
            assert arn == role.role_arn == f"arn:aws:iam::{env.account_id}:role/{role.role_name}"
            assert role.role_name in roles
            assert values["serviceAccount"]["name"] == role.service_account
        # external-secrets' controller has no AWS identity; each store authenticates as its own
        # service account, annotated with the role Terraform creates for that store alone.
        assert cluster.irsa("external-secrets") is None
        eso_values = load(root / "infrastructure/external-secrets/application.yaml")["spec"]["source"]["helm"]["valuesObject"]
        assert "serviceAccount" not in eso_values
        for store_role, store_name in [(cluster.platform_secrets_role, "aws-secrets-manager"), (cluster.database_admin, "database-admin"), (cluster.grafana_admin, "grafana-admin"),
                                       *((r, f"tenant-{r.tenant}") for r in cluster.tenant_secrets_roles)]:
            if store_role is None:
                continue
            store = load(root / f"infrastructure/external-secrets/clustersecretstore-{store_name}.yaml")["spec"]["provider"]["aws"]
            assert store["auth"]["jwt"]["serviceAccountRef"] == {"name": store_role.service_account, "namespace": store_role.namespace} and "role" not in store
            sa = load(root / f"infrastructure/external-secrets/serviceaccount-{store_role.service_account}.yaml")
            assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == store_role.role_arn == f"arn:aws:iam::{env.account_id}:role/{store_role.role_name}"
            assert store_role.role_name in roles and store["region"] == env.region
        for t in tenants:
            secrets = {s["name"] for s in stack(t.stack_name).get("resource", {}).get("aws_secretsmanager_secret", {}).values()}
            for app in t.apps:
                if app.database_secret:
                    assert app.database_secret in secrets
            if t.database is not None:  # the bootstrap reads the secret Terraform writes
                es = load(root / f"infrastructure/database-bootstrap/manifests/externalsecret-{t.name}-credentials.yaml")
                assert es["spec"]["dataFrom"] == [{"extract": {**DATA_FROM_DEFAULTS["extract"], "key": t.database.secret_name}}] and t.database.secret_name in secrets
        instances = {i["identifier"] for i in tf["aws_db_instance"].values()}
        master = load(root / "infrastructure/database-bootstrap/manifests/externalsecret-master-credentials.yaml")
        (tag_arn,) = master["spec"]["dataFrom"][0]["find"]["tags"].values()
        assert tag_arn.rsplit(":", 1)[1] in instances and tag_arn.startswith(f"arn:aws:rds:{env.region}:{env.account_id}:db:")


def test_database_bootstrap(example_synth: Path, envs):
    """Each cluster whose tenants have a database bootstraps them from a platform namespace
    that alone may read the master secret; the Jobs run after every sync, restricted."""
    dev = example_synth / "kubernetes/dev"
    app = load(dev / "infrastructure/database-bootstrap/application.yaml")
    assert app["spec"]["source"]["path"].endswith("dev/infrastructure/database-bootstrap/manifests")
    assert app["spec"]["destination"]["namespace"] == "database-bootstrap" and app["spec"]["project"] == "platform"
    waves = [int(load(p)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for p in (dev / "infrastructure/external-secrets").glob("clustersecretstore-*.yaml")]
    assert int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) > max(waves)  # after the stores exist
    assert "database-bootstrap" in load(dev / "infrastructure/kustomization.yaml")["resources"]
    assert "manifests" not in load(dev / "infrastructure/database-bootstrap/kustomization.yaml")["resources"]  # synced by its own Application only
    manifests = dev / "infrastructure/database-bootstrap/manifests"
    jobs = sorted(p.name for p in manifests.glob("job-*.yaml"))
    assert jobs == ["job-bootstrap-org-a.yaml", "job-bootstrap-org-c.yaml"]  # org-b has no database
    job = load(manifests / "job-bootstrap-org-a.yaml")
    assert job["metadata"]["annotations"] == {"argocd.argoproj.io/hook": "PostSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}
    pod = job["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False and pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert re.fullmatch(r"docker\.io/library/postgres:\d+\.\d+-alpine\d+\.\d+", container["image"]), container["image"]  # PostgreSQL's exact minor, pinned
    assert container["securityContext"]["readOnlyRootFilesystem"] is True and container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    master = load(manifests / "externalsecret-master-credentials.yaml")["spec"]
    assert master["secretStoreRef"]["name"] == "database-admin"
    assert master["dataFrom"][0]["find"]["tags"] == {"aws:rds:primaryDBInstanceArn": "arn:aws:rds:eu-west-1:111111111111:db:acme-dev-pg"}
    assert set(master["target"]["template"]["data"]) == {"PGUSER", "PGPASSWORD"}
    tenant = load(manifests / "externalsecret-org-a-credentials.yaml")["spec"]
    assert tenant["secretStoreRef"]["name"] == "tenant-org-a"
    ns = dev / "bootstrap/namespaces/database-bootstrap"
    labels = load(ns / "namespace.yaml")["metadata"]["labels"]
    assert "infraplan.io/tenant" not in labels and labels["pod-security.kubernetes.io/enforce"] == "restricted"
    egress = load(ns / "networkpolicy-allow-database.yaml")["spec"]["egress"][0]
    env = next(e for e in envs if e.name == "dev")
    assert [b["ipBlock"]["cidr"] for b in egress["to"]] == [s.cidr for s in env.network.database_subnets]
    assert egress["ports"] == [{"protocol": "TCP", "port": env.database.port}]
    # the dedicated cluster bootstraps its own instance; a secondary region bootstraps nothing
    org_c = example_synth / "kubernetes/prod-org-c/infrastructure/database-bootstrap/manifests"
    assert sorted(p.name for p in org_c.glob("job-*.yaml")) == ["job-bootstrap-org-c.yaml"]
    assert "db:acme-prod-org-c-pg" in (org_c / "externalsecret-master-credentials.yaml").read_text()


def test_quota_split():
    assert split_cpu("8", 2) == "4" and split_cpu("3", 2) == "1500m" and split_cpu("500m", 2) == "250m"
    assert split_memory("16Gi", 2) == "8Gi" and split_memory("1Gi", 3) == "341Mi"
    q = namespace_quota(Quota("4", "8Gi", 30, 1, 10), 3)
    assert (q.cpu, q.memory, q.pods, q.services_loadbalancers, q.persistentvolumeclaims) == ("1333m", "2730Mi", 10, 0, 3)


def test_decisions_explain_each_component(envs):
    env = envs[0]
    paths = {d.path: d for d in env.decisions}
    for a in env.cluster.addons:
        d = paths[f"cluster.addons.{a.component}"]
        assert a.chart.version in d.value and d.source.reason
    assert "ClusterIssuer letsencrypt-staging" in paths["cluster.addons.cert-manager"].source.reason


def test_kustomize_only_strategy(plan_copy: Path):
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update({"deployment_strategy": "kustomize-only"}))
    env = resolve_plan(load_plan(plan_copy), ["dev"])[0]
    files = render_environment(env)
    app = yaml.safe_load(files["dev/infrastructure/ingress-nginx/application.yaml"])
    assert app["spec"]["source"]["path"] == "kubernetes/dev/infrastructure/ingress-nginx/chart"
    chart = yaml.safe_load(files["dev/infrastructure/ingress-nginx/chart/kustomization.yaml"])["helmCharts"][0]
    addon = env.cluster.addon("ingress-nginx")
    assert chart["version"] == addon.chart.version and chart["valuesInline"] == addon.values
    methods = [a.method for a in resolve_addons(load_plan(plan_copy).platform, "development", "x", "eu-west-1", (), dns=env.cluster.dns, vpc_name="x")]
    assert methods == ["kustomize"] * 7


def test_tenant_secret_stores_use_the_tenant_role(example_synth: Path) -> None:
    """Each store authenticates as its own service account, which carries the store's role (no `role` to assume)."""
    base = example_synth / "kubernetes/dev/infrastructure/external-secrets"

    def identity(store: str) -> tuple[dict, str]:
        aws = yaml.safe_load((base / f"clustersecretstore-{store}.yaml").read_text())["spec"]
        ref = aws["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]
        assert "role" not in aws["provider"]["aws"] and ref == {"name": f"store-{store}", "namespace": "external-secrets"}
        sa = yaml.safe_load((base / f"serviceaccount-store-{store}.yaml").read_text())
        return aws, sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]

    tenant, role = identity("tenant-org-a")
    assert role == "arn:aws:iam::111111111111:role/acme-dev-org-a-secrets"
    assert sorted(tenant["conditions"][0]["namespaces"]) == ["database-bootstrap", "org-a-api", "org-a-web"]
    admin, role = identity("database-admin")
    assert role == "arn:aws:iam::111111111111:role/acme-dev-database-admin"
    assert admin["conditions"] == [{"namespaces": ["database-bootstrap"]}]  # no tenant namespace may read the master secret
    _, role = identity("aws-secrets-manager")
    assert role == "arn:aws:iam::111111111111:role/acme-dev-platform-secrets"
    grafana, role = identity("grafana-admin")
    assert role == "arn:aws:iam::111111111111:role/acme-dev-grafana-admin" and grafana["conditions"] == [{"namespaces": ["monitoring"]}]


def test_no_yaml_anchors_or_aliases(example_synth: Path) -> None:
    offenders = [p for p in (example_synth / "kubernetes").rglob("*.yaml") if re.search(r"(&|\*)id\d{3}\b", p.read_text())]
    assert not offenders, offenders[:5]


def test_raising_credentials_version_reaches_terraform_and_the_job(plan_copy: Path) -> None:
    """Rotation: both renderers read the version from the resolved model."""
    from cdktf import Testing

    from constructs_lib.terraform.stacks import TenantStack, TenantStackProps

    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["database"].update(credentials_version=2))
    dev = next(e for e in resolve_plan(load_plan(plan_copy)) if e.name == "dev")
    stack = json.loads(Testing.synth(TenantStack(Testing.app(), "t", TenantStackProps(dev, dev.tenant("org-a")))))
    (version,) = stack["resource"]["aws_secretsmanager_secret_version"].values()
    assert version["secret_string_wo_version"] == 2 and '"credentials_version" = 2' in version["secret_string_wo"]
    files = render_environment(dev)
    manifests = "dev/infrastructure/database-bootstrap/manifests"
    job = yaml.safe_load(files[f"{manifests}/job-bootstrap-org-a.yaml"])
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["EXPECTED_CREDENTIALS_VERSION"]["value"] == "2"
    es = yaml.safe_load(files[f"{manifests}/externalsecret-org-a-credentials.yaml"])
    assert es["metadata"]["annotations"]["infraplan.io/credentials-version"] == "2"
    assert yaml.safe_load(files[f"{manifests}/job-bootstrap-org-c.yaml"])["spec"]["template"]["spec"]["containers"][0]["env"][-1]["value"] == "1"
    # the apps' copies refresh at once too
    app_secret = yaml.safe_load(files["dev/apps/storefront/overlays/dev/externalsecret.yaml"])
    assert app_secret["metadata"]["annotations"]["infraplan.io/credentials-version"] == "2"


def test_no_database_bootstrap_without_external_secrets(plan_copy: Path) -> None:
    from constructs_lib.resolve.gitops import resolve_cluster_gitops

    edit_yaml(plan_copy / "platform.yaml", lambda d: (d.setdefault("secrets", {}).update(operator="none"), d["gitops"].pop("sso", None)))  # SSO needs external-secrets
    env = resolve_plan(load_plan(plan_copy), ["dev"])[0]
    assert env.cluster.database_admin is None  # no role that can read the master secret
    assert not any("database-bootstrap" in path for path in render_environment(env))
    g = resolve_cluster_gitops(env, env.cluster, env.clusters[0][1])
    (d,) = [d for d in g.decisions if d.path.endswith("database_bootstrap")]
    assert d.value == "not generated" and "by hand" in d.source.reason


def test_every_object_has_one_owner_and_the_roots_sync_in_order(example_synth: Path):
    """#11 convergence 2 and 4: the bootstrap path applies root/ only; the root syncs argocd/;
    the bootstrap root syncs bootstrap/ (no longer ../argocd, which made the roots and repository
    Secrets belong to two Applications that self-healed against each other forever)."""
    for cluster in (example_synth / "kubernetes").iterdir():
        kust = yaml.safe_load((cluster / "bootstrap/kustomization.yaml").read_text())
        assert not any(r.startswith("..") for r in kust["resources"])
        root = load(cluster / "root/application-root.yaml")
        assert root["spec"]["source"]["path"].endswith(f"/{cluster.name}/argocd") and root["spec"]["project"] == "platform"
        waves = {p.stem: int(load(p)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for p in (cluster / "argocd/applications").glob("*.yaml") if p.name != "kustomization.yaml"}
        assert waves["bootstrap"] < waves["infrastructure"] < waves["apps"]
        assert all(load(p)["spec"]["project"] == "platform" for p in (cluster / "argocd/applications").glob("[bi]*.yaml") if p.name != "kustomization.yaml")
        default = load(cluster / "argocd/projects/default.yaml")["spec"]
        assert default["sourceRepos"] == [] and default["destinations"] == [] and default["clusterResourceWhitelist"] == []
        assert default["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]
        template = load(cluster / "argocd/applications/apps.yaml")["spec"]["template"]["spec"]["syncPolicy"]
        assert "SkipDryRunOnMissingResource=true" in template["syncOptions"] and template["retry"]["limit"] > 0
