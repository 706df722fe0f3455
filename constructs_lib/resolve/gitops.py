"""GitOps resolution of one cluster: what its ``kubernetes/<cluster key>/`` tree holds.

Pure: computed from the resolved environment, its cluster and the tenants the
cluster hosts. Every name, size and wave the GitOps renderer writes is decided
here (with a :class:`Decision` saying why), so the renderer holds no policy.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlparse

import yaml

from ..addons.argocd import ArgoCdSettings
from ..addons.cert_manager import CertManagerSettings
from ..addons.external_secrets import ExternalSecretsSettings, api_version as external_secrets_api
from ..addons.ingress_nginx import IngressNginxSettings
from ..kubernetes.external_secrets import API as EXTERNAL_SECRETS_API
from ..plan.base import parse_quantity
from . import names
from .model import Quota, ResolvedApp, ResolvedCluster, ResolvedEnvironment, ResolvedTenant
from .trace import Decision, Trace, default, plan, rule, tenant as tenant_src

IN_CLUSTER = "https://kubernetes.default.svc"  # one ArgoCD per cluster: each manages only itself
ARGOCD_NAMESPACE = "argocd"
PLATFORM_PROJECT = "platform"
ROOT_APPLICATION = "root"
ROOT_SOURCE = ("argocd",)  # the folder of the cluster's tree the root Application syncs
PSA_LEVEL = "restricted"

DNS_NAMESPACE = "kube-system"
DNS_POD_LABELS = (("k8s-app", "kube-dns"),)
INGRESS_POD_LABELS = (("app.kubernetes.io/name", "ingress-nginx"),)
# What a tenant's Applications may create (AppProject namespaceResourceWhitelist): the
# workload kinds its apps need, nothing that weakens a guardrail. No Secret: a secret in
# Git is plain text; tenants write an ExternalSecret. No DaemonSet, Pod or Endpoints.
TENANT_ALLOWED_KINDS = (
    ("", "ConfigMap"),
    ("", "PersistentVolumeClaim"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("batch", "CronJob"),
    ("batch", "Job"),
    ("external-secrets.io", "ExternalSecret"),
    ("networking.k8s.io", "Ingress"),
    ("policy", "PodDisruptionBudget"),
)
# Guardrails a tenant must never create or change through ArgoCD, denied as well
# (namespaceResourceBlacklist) so that widening the whitelist cannot admit them. A
# SecretStore or generator without auth runs with external-secrets' own identity; RBAC
# objects would let a tenant grant itself anything. Cluster-scoped kinds (ClusterRole,
# ClusterRoleBinding, ClusterSecretStore, Namespace, ...) are denied by an empty
# clusterResourceWhitelist.
TENANT_DENIED_KINDS = (
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("external-secrets.io", "PushSecret"),
    ("external-secrets.io", "SecretStore"),
    ("generators.external-secrets.io", "*"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
)

# ArgoCD must never prune or cascade-delete these: a path mistake or a removed tenant
# would take a namespace, everything in it, or a project with it. Removing a tenant is
# an explicit step (docs/gitops.md). Access (Roles, RoleBindings, allow-* policies) stays
# prunable: removing access is always safe, keeping stale access is not.
KEEP_SYNC_OPTIONS = "Prune=false,Delete=false"

# Kubernetes RBAC of tenant groups, per namespace (a Role each, never the built-in
# admin/edit/view: those let a tenant change NetworkPolicies and RBAC, and charts
# aggregate their own rights into them, e.g. external-secrets' SecretStore writes).
READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
_VIEWER_RULES = (
    ("", ("configmaps", "endpoints", "events", "limitranges", "persistentvolumeclaims", "pods", "pods/log", "pods/status", "resourcequotas", "serviceaccounts", "services"), READ),
    ("apps", ("controllerrevisions", "daemonsets", "deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"), READ),
    ("autoscaling", ("horizontalpodautoscalers",), READ),
    ("batch", ("cronjobs", "jobs"), READ),
    ("discovery.k8s.io", ("endpointslices",), READ),
    ("external-secrets.io", ("externalsecrets",), READ),
    ("networking.k8s.io", ("ingresses", "networkpolicies"), READ),
    ("policy", ("poddisruptionbudgets",), READ),
)
_DEVELOPER_RULES = (
    *_VIEWER_RULES,
    ("", ("secrets",), READ),
    ("", ("configmaps", "persistentvolumeclaims", "pods", "serviceaccounts", "services"), WRITE),
    ("", ("pods/attach", "pods/exec", "pods/portforward"), ("create", "get")),
    ("", ("pods/eviction",), ("create",)),
    ("apps", ("deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"), WRITE),
    ("autoscaling", ("horizontalpodautoscalers",), WRITE),
    ("batch", ("cronjobs", "jobs"), WRITE),
    ("external-secrets.io", ("externalsecrets",), WRITE),
    ("networking.k8s.io", ("ingresses",), WRITE),
    ("policy", ("poddisruptionbudgets",), WRITE),
)
_ADMIN_RULES = (*_DEVELOPER_RULES, ("", ("secrets",), WRITE), ("rbac.authorization.k8s.io", ("rolebindings", "roles"), READ))

# Sync waves inside one root. AppProjects first (Applications need them); the
# add-on Applications carry their chart's wave from the catalog (CRD-installing
# charts at -5, ArgoCD at -10); custom resources that need the add-ons' CRDs
# (ClusterIssuer, ClusterSecretStore) come after all of them.
WAVES = {
    "projects": -20,
    "storage": -15,
    "secret-stores": -11,  # ClusterSecretStores and their service accounts, after external-secrets (-12)
    "platform-secrets": -10,  # the platform's ExternalSecrets (Grafana's admin), before the charts that need them
    "cluster-config": 10,
    "database-bootstrap": 20,
    # the children of the root Application, synced in this order, each waiting for the last to be healthy
    "repositories": -1,
    "root:bootstrap": 0,
    "root:infrastructure": 1,
    "root:apps": 2,
}
DATABASE_ADMIN_STORE = names.DATABASE_ADMIN_STORE
DATABASE_MASTER_SECRET = "master-credentials"  # Kubernetes Secret in the bootstrap namespace
RDS_MASTER_SECRET_TAG = "aws:rds:primaryDBInstanceArn"  # RDS tags the secret it manages with its instance
BOOTSTRAP_QUOTA = Quota(cpu="1", memory="1Gi", pods=10, services_loadbalancers=0, persistentvolumeclaims=0)

CONTAINER_DEFAULTS = {
    "default_request": {"cpu": "100m", "memory": "128Mi"},
    "default_limit": {"memory": "512Mi"},
    "max": {"memory": "8Gi"},
}


def restricted_container_security_context() -> dict:
    """What Pod Security "restricted" asks of every container infraplan writes, plus a
    read-only root filesystem (a fresh dict per call: renderers may extend it)."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


@dataclass(frozen=True)
class HelmRepo:
    name: str  # name of the repository Secret
    url: str

    @property
    def oci(self) -> bool:
        """An OCI registry (oci://host/path) rather than a repository with an index.yaml."""
        return self.url.startswith("oci://")

    @property
    def source_url(self) -> str:
        """How Argo CD names it (repository Secret, AppProject, Application): Argo CD 2.14 and 3.0 take a
        URL without a scheme for an OCI registry (util/helm IsHelmOciRepo), so oci:// is dropped."""
        return self.url.removeprefix("oci://")


@dataclass(frozen=True)
class PolicyRule:
    """One rule of a Kubernetes Role."""

    api_group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class RoleSpec:
    """A namespaced Role written beside its RoleBindings."""

    name: str
    rules: tuple[PolicyRule, ...]


@dataclass(frozen=True)
class RoleBindingSpec:
    name: str
    role: str  # a Role of the same namespace (RoleSpec.name)
    groups: tuple[str, ...]


@dataclass(frozen=True)
class ProjectRole:
    name: str
    description: str
    groups: tuple[str, ...]
    policies: tuple[tuple[str, str], ...]  # (ArgoCD 3.0 project-scoped resource, action), each on <project>/*


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    description: str
    source_repos: tuple[str, ...]
    destinations: tuple[str, ...]  # namespaces ("*" = any) on the in-cluster server
    cluster_resources: bool  # may create cluster-scoped resources
    allowed_namespaced_kinds: tuple[tuple[str, str], ...]  # () = every kind not denied
    denied_namespaced_kinds: tuple[tuple[str, str], ...]
    roles: tuple[ProjectRole, ...]


@dataclass(frozen=True)
class NamespaceSpec:
    name: str
    tenant: str | None  # None: a platform namespace
    environment: str
    quota: Quota  # this namespace's share of the tenant quota
    role_bindings: tuple[RoleBindingSpec, ...]
    ingress_namespace: str | None  # namespace of the ingress controller allowed in, if any
    database_cidrs: tuple[str, ...]  # egress allowed to these on database_port
    database_port: int | None
    roles: tuple[RoleSpec, ...] = ()


@dataclass(frozen=True)
class SecretStoreSpec:
    name: str
    kind: str  # ClusterSecretStore
    region: str
    service_account: str  # its own, in service_account_namespace (external-secrets'), annotated with role_arn
    service_account_namespace: str
    namespaces: tuple[str, ...]  # who may use it; () = the platform's own namespaces (no tenant label)
    path_prefix: str  # what its role reads ("" for the database admin: one secret, by ARN)
    role_arn: str  # the IRSA role of its service account, trusting that service account alone


@dataclass(frozen=True)
class AppSpec:
    app: ResolvedApp
    tenant: str
    environment: str
    project: str
    ingress_class: str | None
    cluster_issuer: str | None
    tls_secret: str | None
    secret_store: str | None  # ClusterSecretStore its ExternalSecret reads from
    database_secret_target: str | None  # Kubernetes Secret the ExternalSecret writes
    credentials_version: int | None = None  # of the tenant's database credentials (a change refreshes the Secret at once)
    external_secrets_api: str = EXTERNAL_SECRETS_API  # its ExternalSecret's apiVersion: what the cluster's external-secrets chart serves


@dataclass(frozen=True)
class ContainerImage:
    image: str
    tag: str
    uid: int  # the image's unprivileged user

    @property
    def ref(self) -> str:
        return f"{self.image}:{self.tag}"


@cache
def container_image(name: str) -> ContainerImage:
    data = yaml.safe_load(resources.files("constructs_lib.data").joinpath("images.yaml").read_text())
    return ContainerImage(**data[name])


@dataclass(frozen=True)
class TenantDatabaseBootstrap:
    tenant: str
    secret_store: str  # the tenant's ClusterSecretStore
    secret_name: str  # Secrets Manager secret Terraform writes (engine, host, port, dbname, username, password)
    credentials_secret: str  # the Kubernetes Secret its ExternalSecret writes in the bootstrap namespace
    credentials_version: int  # the Job waits until the secret carries this version


@dataclass(frozen=True)
class DatabaseBootstrapSpec:
    """Creates each tenant's PostgreSQL role and database with the instance's master credentials."""

    namespace: str
    admin_store: str  # ClusterSecretStore reading the RDS-managed master secret
    master_secret: str  # Kubernetes Secret with PGUSER / PGPASSWORD of the master user
    instance_arn: str  # the value of the tag RDS puts on the master secret
    image: ContainerImage
    tenants: tuple[TenantDatabaseBootstrap, ...]
    external_secrets_api: str = EXTERNAL_SECRETS_API  # its ExternalSecrets' apiVersion: what the cluster's external-secrets chart serves


@dataclass(frozen=True)
class ClusterGitOps:
    cluster: ResolvedCluster
    environment: str
    tier: str
    region: str
    repo_url: str
    target_revision: str
    tree_path: str  # folder of this cluster's tree in the GitOps repo
    server: str
    argocd_namespace: str
    helm_repos: tuple[HelmRepo, ...]
    projects: tuple[ProjectSpec, ...]
    namespaces: tuple[NamespaceSpec, ...]
    secret_stores: tuple[SecretStoreSpec, ...]
    apps: tuple[AppSpec, ...]
    waves: dict[str, int]
    decisions: tuple[Decision, ...]
    database_bootstrap: DatabaseBootstrapSpec | None = None

    def path(self, *parts: str) -> str:
        return "/".join([self.tree_path, *parts])


def split_cpu(cpu: str, parts: int) -> str:
    """One of ``parts`` even shares of a CPU quantity (any Kubernetes form: '3', '500m', '2k', '1e3'), rounded down to 1m."""
    milli = int(parse_quantity(cpu) * 1000) // parts
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def split_memory(memory: str, parts: int) -> str:
    """One of ``parts`` even shares of a memory quantity (any Kubernetes form: '16Gi', '16G', '1e9'), rounded down to 1Mi."""
    mib = int(parse_quantity(memory)) // parts // 1024**2
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def namespace_quota(q: Quota, parts: int) -> Quota:
    """An even share of the tenant quota for each of its ``parts`` namespaces (the sum never exceeds it)."""
    return Quota(
        cpu=split_cpu(q.cpu, parts),
        memory=split_memory(q.memory, parts),
        pods=max(1, q.pods // parts),
        services_loadbalancers=q.services_loadbalancers // parts,
        persistentvolumeclaims=q.persistentvolumeclaims // parts,
    )


def repo_secret_name(url: str) -> str:
    host = urlparse(url).netloc or url
    return "repo-" + re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")


def helm_repos_for(urls: Iterable[str]) -> tuple[HelmRepo, ...]:
    """One repository Secret per chart repository, by name: ``repo-<host>``, or, for repositories
    that share a host (a plan's mirror serving several), ``repo-<host>-<path>`` (and a hash of the URL
    if that is still shared), so that no Secret replaces another."""
    unique = sorted(set(urls))
    hosts = Counter(repo_secret_name(u) for u in unique)
    named = {u: repo_secret_name(u) if hosts[repo_secret_name(u)] == 1 else "repo-" + re.sub(r"[^a-z0-9]+", "-", u.split("://", 1)[-1].lower()).strip("-")[:200] for u in unique}
    taken = Counter(named.values())
    repos = [HelmRepo(name if taken[name] == 1 else f"{name}-{hashlib.sha256(u.encode()).hexdigest()[:8]}", u) for u, name in named.items()]
    return tuple(sorted(repos, key=lambda r: r.name))


TENANT_ROLES = (
    RoleSpec("tenant-admin", tuple(PolicyRule(g, r, v) for g, r, v in _ADMIN_RULES)),
    RoleSpec("tenant-developer", tuple(PolicyRule(g, r, v) for g, r, v in _DEVELOPER_RULES)),
    RoleSpec("tenant-viewer", tuple(PolicyRule(g, r, v) for g, r, v in _VIEWER_RULES)),
)


def _role_bindings(t: ResolvedTenant) -> tuple[RoleBindingSpec, ...]:
    return tenant_role_bindings(t.name, tuple(t.access.admin_groups), tuple(t.access.developer_groups), tuple(t.access.viewer_groups))


def _tenant_roles(bindings: tuple[RoleBindingSpec, ...]) -> tuple[RoleSpec, ...]:
    """The Roles the bindings name, and only those."""
    used = {b.role for b in bindings}
    return tuple(r for r in TENANT_ROLES if r.name in used)


def _project_policies(*actions: str) -> tuple[tuple[str, str], ...]:
    """Actions on the project's applications, plus ``logs, get`` (enforced since ArgoCD 3.0) for whoever may read them."""
    return (*(("applications", a) for a in actions), ("logs", "get"))


def _project_roles(t: ResolvedTenant) -> tuple[ProjectRole, ...]:
    return tenant_project_roles(t.name, tuple(t.access.admin_groups), tuple(t.access.developer_groups), tuple(t.access.viewer_groups))


def platform_project(source_repos: tuple[str, ...], admin_groups: tuple[str, ...]) -> ProjectSpec:
    """The platform's AppProject: its repositories, every namespace, cluster-scoped kinds; a role for
    ArgoCD's admin groups, if any."""
    roles = (ProjectRole("admin", "platform administrators", admin_groups, _project_policies("*")),) if admin_groups else ()
    return ProjectSpec(PLATFORM_PROJECT, "infraplan platform: ArgoCD, add-ons, namespaces and guardrails", source_repos, ("*",), True, (), (), roles)


def tenant_project(name: str, description: str, source_repos: tuple[str, ...], namespaces: tuple[str, ...], roles: tuple[ProjectRole, ...]) -> ProjectSpec:
    """A tenant's AppProject: its own namespaces only, workload kinds only, guardrails denied."""
    return ProjectSpec(name, description, source_repos, namespaces, False, TENANT_ALLOWED_KINDS, TENANT_DENIED_KINDS, roles)


def tenant_project_roles(tenant: str, admin_groups: tuple[str, ...], developer_groups: tuple[str, ...], viewer_groups: tuple[str, ...]) -> tuple[ProjectRole, ...]:
    """The project roles of a tenant's groups (none for a role without groups)."""
    out = []
    for name, groups, policies in (
        ("admin", admin_groups, _project_policies("get", "create", "update", "delete", "sync", "override", "action/*")),
        ("developer", developer_groups, _project_policies("get", "sync")),
        ("viewer", viewer_groups, _project_policies("get")),
    ):
        if groups:
            out.append(ProjectRole(name, f"{tenant} {name}s", tuple(groups), policies))
    return tuple(out)


def tenant_role_bindings(tenant: str, admin_groups: tuple[str, ...], developer_groups: tuple[str, ...], viewer_groups: tuple[str, ...]) -> tuple[RoleBindingSpec, ...]:
    """The RoleBindings of a tenant's groups to its namespaced Roles (none for a role without groups)."""
    out = []
    for name, role, groups in (("admins", "tenant-admin", admin_groups), ("developers", "tenant-developer", developer_groups), ("viewers", "tenant-viewer", viewer_groups)):
        if groups:
            out.append(RoleBindingSpec(f"{tenant}-{name}", role, tuple(groups)))
    return tuple(out)


def _database_network(env: ResolvedEnvironment, t: ResolvedTenant) -> tuple[tuple[str, ...], int | None]:
    if t.database is None:
        return (), None
    if t.dedicated_database is not None and t.network is not None:
        return tuple(s.cidr for s in t.network.database_subnets), t.dedicated_database.port
    network = t.network or env.network  # a dedicated cluster with the shared database is not supported by the plan
    return tuple(s.cidr for s in network.database_subnets), env.database.port


def _helm_repos(cluster: ResolvedCluster, trace: Trace) -> tuple[HelmRepo, ...]:
    """One repository Secret per chart repository an add-on uses."""
    helm_repos = helm_repos_for(a.chart.repo_url for a in cluster.addons)
    trace.record("helm_repos", [r.url for r in helm_repos], rule("charts-in-use", "one repository Secret per chart repository an add-on uses"))

    return helm_repos


def _projects(env: ResolvedEnvironment, cluster: ResolvedCluster, tenants: tuple[ResolvedTenant, ...], chart_repos: tuple[str, ...], trace: Trace) -> list[ProjectSpec]:
    """The platform's AppProject and one per tenant."""
    argocd = cluster.addon("argocd")
    platform_repos = tuple(sorted({env.gitops.repo_url, *chart_repos, *(m.repo_url for m in cluster.manifest_components)}))
    projects = [platform_project(platform_repos, argocd.settings_as(ArgoCdSettings).admin_groups if argocd else ())]
    trace.record("projects.platform", {"source_repos": list(platform_repos), "destinations": "*", "cluster_resources": True}, rule("platform-project", "the GitOps repo and the chart repos in use; may manage cluster-scoped resources"))
    for t in tenants:
        srcs = tuple(sorted({env.gitops.repo_url, *t.source_repos}))
        projects.append(tenant_project(t.name, f"tenant {t.display_name}", srcs, tuple(t.namespaces), _project_roles(t)))
        trace.record(
            f"projects.{t.name}",
            {
                "source_repos": list(srcs),
                "destinations": list(t.namespaces),
                "cluster_resources": False,
                "allowed_kinds": [f"{g or 'core'}/{k}" for g, k in TENANT_ALLOWED_KINDS],
            },
            tenant_src(
                f"tenants/{t.name}.yaml: source_repos, namespaces, groups",
                "only its own namespaces, no cluster-scoped resources, only workload kinds; secret stores, RBAC, NetworkPolicy, quota and limits denied",
            ),
        )
    return projects


def _tenant_namespaces(env: ResolvedEnvironment, cluster: ResolvedCluster, tenants: tuple[ResolvedTenant, ...], trace: Trace) -> list[NamespaceSpec]:
    """Each tenant's guarded namespaces, its quota split evenly over them."""
    ingress = cluster.addon("ingress-nginx")
    namespaces = []
    for t in tenants:
        share = namespace_quota(t.quota, len(t.namespaces))
        cidrs, port = _database_network(env, t)
        bindings = _role_bindings(t)
        for ns in t.namespaces:
            uses_db = any(a.namespace == ns and a.database_secret for a in t.apps)
            namespaces.append(
                NamespaceSpec(
                    ns,
                    t.name,
                    t.environment,
                    share,
                    bindings,
                    ingress.namespace if ingress else None,
                    cidrs if uses_db else (),
                    port if uses_db else None,
                    _tenant_roles(bindings),
                )
            )
        trace.record(
            f"namespaces.{t.name}.quota",
            {"cpu": share.cpu, "memory": share.memory, "pods": share.pods},
            rule("quota-split", f"the tenant quota split evenly over its {len(t.namespaces)} namespace(s), so their sum never exceeds it"),
        )
    trace.record("namespaces.network", "default-deny; allow same namespace, DNS, the ingress controller, database egress where an app uses one", default("least privilege between tenants"))
    trace.record("namespaces.limit_range", CONTAINER_DEFAULTS, default("containers without requests still count against the quota sensibly"))
    trace.record("namespaces.pod_security", PSA_LEVEL, default("Pod Security Admission restricted for every tenant namespace"))
    trace.record(
        "namespaces.rbac",
        {r.name: len(r.rules) for r in TENANT_ROLES},
        default("tenant groups bound to namespaced Roles: workloads and ExternalSecrets, never NetworkPolicies, RBAC, quota, limits or secret stores"),
    )
    trace.record(
        "namespaces.sync_options",
        KEEP_SYNC_OPTIONS,
        default("Namespaces, their quota, limits and default-deny policy, and AppProjects are never pruned or cascade-deleted by ArgoCD"),
    )
    return namespaces


def _secret_stores(
    cluster: ResolvedCluster, tenants: tuple[ResolvedTenant, ...], bootstrap_ns: str | None, db_tenants: tuple[ResolvedTenant, ...], trace: Trace
) -> list[SecretStoreSpec]:
    """Each store authenticates as its own service account (IRSA role trusting it alone)."""
    eso = cluster.addon("external-secrets")
    admin = cluster.database_admin
    stores = []
    aws = eso is not None and eso.settings_as(ExternalSecretsSettings).aws_stores
    if aws and cluster.platform_secrets_role is not None:
        pr = cluster.platform_secrets_role
        stores.append(SecretStoreSpec(names.PLATFORM_SECRET_STORE, "ClusterSecretStore", cluster.secrets_region, pr.service_account, pr.namespace, (), pr.secrets_path, pr.role_arn))
        tenant_roles = {r.tenant: r for r in cluster.tenant_secrets_roles}
        for t in tenants:
            role = tenant_roles[t.name]
            users = (*t.namespaces, bootstrap_ns) if bootstrap_ns and t in db_tenants else tuple(t.namespaces)
            stores.append(SecretStoreSpec(f"tenant-{t.name}", "ClusterSecretStore", cluster.secrets_region, role.service_account, role.namespace, users, role.secrets_path, role.role_arn))
        if bootstrap_ns and admin is not None:
            # no path: its role reads one secret, the instance's master secret, by ARN
            stores.append(SecretStoreSpec(DATABASE_ADMIN_STORE, "ClusterSecretStore", cluster.secrets_region, admin.service_account, admin.namespace, (bootstrap_ns,), "", admin.role_arn))
        ga = cluster.grafana_admin
        if ga is not None and cluster.addon("kube-prometheus-stack") is not None:
            stores.append(
                SecretStoreSpec(names.GRAFANA_ADMIN_STORE, "ClusterSecretStore", ga.region, ga.service_account, ga.namespace, (ga.target_namespace,), ga.secret_name, ga.role_arn)
            )
        sso = cluster.argocd_sso
        if sso is not None and cluster.addon("argocd") is not None:  # usable from ArgoCD's namespace only; its role reads one secret
            stores.append(
                SecretStoreSpec(names.ARGOCD_SSO_STORE, "ClusterSecretStore", sso.region, sso.service_account, sso.namespace, (sso.target_namespace,), sso.secret_name, sso.role_arn)
            )
        trace.record(
            "secret_stores",
            {s.name: f"{s.service_account_namespace}/{s.service_account}" for s in stores},
            rule(
                "secret-store-per-tenant",
                "aws-secrets-manager (the platform's secrets) for platform namespaces only; one ClusterSecretStore per tenant, usable only from that tenant's namespaces; "
                "each authenticates as its own service account whose IRSA role trusts it alone and reads only its own path",
            ),
        )
    return stores


def _database_bootstrap(
    cluster: ResolvedCluster, tenants: tuple[ResolvedTenant, ...], bootstrap_ns: str | None, db_tenants: tuple[ResolvedTenant, ...], trace: Trace
) -> DatabaseBootstrapSpec | None:
    """The tenants' roles and databases, bootstrapped from a platform namespace that alone may read the master secret."""
    admin = cluster.database_admin
    bootstrap = None
    if not bootstrap_ns and any(t.database is not None for t in tenants) and cluster.region == cluster.secrets_region:
        trace.record(
            "database_bootstrap",
            "not generated",
            default("it needs external-secrets (secrets.operator and components): create each tenant's role and database from its secret by hand"),
        )
    if bootstrap_ns and admin is not None:
        bootstrap = DatabaseBootstrapSpec(
            bootstrap_ns,
            DATABASE_ADMIN_STORE,
            DATABASE_MASTER_SECRET,
            admin.instance_arn,
            container_image("postgres-client"),
            tuple(
                TenantDatabaseBootstrap(t.name, f"tenant-{t.name}", t.database.secret_name, f"{t.name}-credentials", t.database.credentials_version)
                for t in db_tenants
                if t.database is not None
            ),
            external_secrets_api(cluster, "ExternalSecret"),
        )
        trace.record(
            "database_bootstrap",
            {"namespace": bootstrap_ns, "instance": admin.instance_identifier, "tenants": {t.name: {"database": t.database.database_name, "role": t.database.role_name} for t in db_tenants if t.database}},
            rule(
                "database-bootstrap",
                "an idempotent PostSync Job per tenant creates its role (password from its secret) and database, owned by the role, closed to PUBLIC; only this namespace may read the master secret",
            ),
        )
    return bootstrap


def _apps(cluster: ResolvedCluster, tenants: tuple[ResolvedTenant, ...], with_stores: bool, trace: Trace) -> list[AppSpec]:
    """The tenants' apps: their Ingress class and issuer, the store of their database credentials."""
    ingress = cluster.addon("ingress-nginx")
    ingress_class = ingress.settings_as(IngressNginxSettings).ingress_class if ingress else None
    cm = cluster.addon("cert-manager")
    issuer = cm.settings_as(CertManagerSettings).issuer.name if cm else None
    apps = []
    for t in tenants:
        for a in t.apps:
            store = f"tenant-{t.name}" if (a.database_secret and with_stores) else None
            apps.append(
                AppSpec(
                    a,
                    t.name,
                    t.environment,
                    t.name,
                    ingress_class if a.host else None,
                    issuer if a.host else None,
                    f"{a.name}-tls" if a.host and issuer else None,
                    store,
                    f"{a.name}-database" if store else None,
                    t.database.credentials_version if (store and t.database) else None,
                    external_secrets_api(cluster, "ExternalSecret"),
                )
            )
            trace.record(f"apps.{a.name}", f"kustomize: base + overlays/{t.environment} (image tag {a.tag})", rule("deployment-decision-matrix", "custom app: Kustomize base/overlays + ArgoCD"))
    return apps


def resolve_cluster_gitops(env: ResolvedEnvironment, cluster: ResolvedCluster, tenants: tuple[ResolvedTenant, ...]) -> ClusterGitOps:
    trace = Trace(prefix=f"gitops.{cluster.key}.")
    trace.record("tree_path", cluster.gitops_path, plan("platform.yaml: gitops.path", "<gitops.path>/<cluster key>"))
    trace.record("server", IN_CLUSTER, default("one ArgoCD per cluster, managing only the cluster it runs in (a dedicated tenant cluster stays self-contained)"))
    helm_repos = _helm_repos(cluster, trace)
    projects = _projects(env, cluster, tenants, tuple(r.source_url for r in helm_repos), trace)
    namespaces = _tenant_namespaces(env, cluster, tenants, trace)
    eso = cluster.addon("external-secrets")
    argocd = cluster.addon("argocd")
    admin = cluster.database_admin
    db_tenants = tuple(t for t in tenants if t.database is not None and admin is not None and t.database.instance_identifier == admin.instance_identifier)
    bootstrap_ns = names.DATABASE_BOOTSTRAP_NAMESPACE if (db_tenants and eso is not None and eso.settings_as(ExternalSecretsSettings).aws_stores) else None
    if bootstrap_ns:
        cidrs, port = _database_network(env, db_tenants[0])
        namespaces.append(NamespaceSpec(bootstrap_ns, None, env.name, BOOTSTRAP_QUOTA, (), None, cidrs, port))
    stores = _secret_stores(cluster, tenants, bootstrap_ns, db_tenants, trace)
    bootstrap = _database_bootstrap(cluster, tenants, bootstrap_ns, db_tenants, trace)
    apps = _apps(cluster, tenants, bool(stores), trace)
    trace.record("waves", WAVES, default("AppProjects before Applications, namespaces before workloads, CRD users after the add-ons"))
    return ClusterGitOps(
        cluster=cluster,
        environment=env.name,
        tier=env.tier,
        region=cluster.region,
        repo_url=env.gitops.repo_url,
        target_revision=env.gitops.target_revision,
        tree_path=cluster.gitops_path,
        server=IN_CLUSTER,
        argocd_namespace=argocd.namespace if argocd else ARGOCD_NAMESPACE,
        helm_repos=helm_repos,
        projects=tuple(projects),
        namespaces=tuple(namespaces),
        secret_stores=tuple(stores),
        apps=tuple(apps),
        waves=dict(WAVES),
        decisions=tuple(trace.decisions),
        database_bootstrap=bootstrap,
    )
