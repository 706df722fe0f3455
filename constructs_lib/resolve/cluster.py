"""EKS cluster resolution: version, endpoint access, node groups, access, IRSA roles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from ..addons import IrsaPolicyInputs, IrsaSpec, external_secrets, irsa_specs
from ..addons.base import ChartRef, SystemNodes
from ..addons.external_secrets import aws_stores
from ..addons.aws_ebs_csi_driver import DEFAULT_STORAGE_CLASS, reclaim_policy
from .addons import resolve_addons, resolve_manifest_components, system_nodes
from . import names
from .model import ArgocdSso, ClusterDns, DatabaseAdminRole, GrafanaAdmin, IrsaRole, PlatformSecretsRole, ResolvedCluster, ResolvedNodeGroup, Taint, TenantAccess, TenantSecretsRole
from .database import secret_recovery_window
from .compliance import floor
from .network import retention_days
from .trace import Trace, default, environment, plan, rule

if TYPE_CHECKING:  # annotations only: the Terraform worker imports this module without the plan model
    from ..plan.cluster_access import ApiAccess
    from ..plan.environment import EnvironmentPlan
    from ..plan.platform import PlatformPlan

CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")


@cache
def eks_addon_versions(kubernetes_version: str) -> dict[str, str | None]:
    """Each managed add-on's pinned version; None where AWS published none for this Kubernetes
    version and EKS installs its default (see constructs_lib/data/eks_addons.yaml)."""
    data = yaml.safe_load(resources.files("constructs_lib.data").joinpath("eks_addons.yaml").read_text())
    if kubernetes_version not in data:
        raise ValueError(f"no pinned EKS add-on versions for Kubernetes {kubernetes_version}; known: {', '.join(sorted(data))}")
    return dict(sorted(data[kubernetes_version].items()))


def irsa_role(account_id: str, cluster: str, spec: IrsaSpec) -> IrsaRole:
    """The role's identity (name, ARN, service account); its rights come with :func:`with_policies`."""
    name = f"{cluster}{spec.role_suffix}"
    return IrsaRole(spec.component, name, names.iam_role_arn(account_id, name), spec.namespace, spec.service_account)


def irsa_roles(platform: PlatformPlan, account_id: str, cluster: str) -> tuple[IrsaRole, ...]:
    """One role per controller that needs AWS, as the add-on registry declares them."""
    return tuple(sorted((irsa_role(account_id, cluster, spec) for spec in irsa_specs(platform)), key=lambda r: r.component))


def with_policies(roles: tuple[IrsaRole, ...], platform: PlatformPlan, inputs: IrsaPolicyInputs) -> tuple[IrsaRole, ...]:
    """The roles with the rights their add-on declares, once every ARN they may name is resolved."""
    specs = {spec.component: spec for spec in irsa_specs(platform)}
    out = []
    for role in roles:
        spec = specs[role.component]
        statements = spec.statements(inputs) if spec.statements is not None else ()
        out.append(replace(role, statements=statements, managed_policies=spec.managed_policies))
    return tuple(out)


def _endpoint(t: Trace, platform: PlatformPlan, env: EnvironmentPlan, env_file: str) -> tuple[bool, tuple[str, ...], ApiAccess]:
    """Who reaches the API server: the public endpoint and its allow-list, and the private endpoint's sources."""
    public = t.pick(
        "endpoint_public_access",
        [
            (env.cluster.endpoint_public_access, environment(f"{env_file}: cluster.endpoint_public_access")),
            (platform.cluster.endpoint_public_access, plan("platform.yaml: cluster.endpoint_public_access")),
        ],
    )
    cidrs = env.cluster.public_access_cidrs if env.cluster.public_access_cidrs is not None else platform.cluster.public_access_cidrs
    cidrs = tuple(cidrs) if public else ()
    t.record("public_access_cidrs", list(cidrs), default("empty: the API endpoint is private") if not public else plan("public_access_cidrs"))
    api_access = env.cluster.api_access if env.cluster.api_access is not None else platform.cluster.api_access
    t.record(
        "api_access",
        {"vpc": api_access.vpc, "cidrs": list(api_access.cidrs), "security_group_ids": list(api_access.security_group_ids)},
        environment(f"{env_file}: cluster.api_access") if env.cluster.api_access is not None else plan("platform.yaml: cluster.api_access", "TCP 443 to the private endpoint"),
    )
    return public, cidrs, api_access


def _node_groups(t: Trace, env: EnvironmentPlan, env_file: str, version: str, instance_types_override: list[str] | None, override_source: str) -> tuple[ResolvedNodeGroup, ...]:
    groups = []
    for i, ng in enumerate(env.cluster.node_groups):
        types = tuple(instance_types_override) if instance_types_override else tuple(ng.instance_types)
        src = environment(override_source) if instance_types_override else environment(f"{env_file}: cluster.node_groups[{i}]")
        desired = ng.desired_size if ng.desired_size is not None else ng.min_size
        t.record(
            f"node_groups.{ng.name}",
            {"instance_types": list(types), "capacity_type": ng.capacity_type, "min": ng.min_size, "max": ng.max_size, "desired": desired, "version": version, "release_version": ng.release_version or "latest"},
            src,
        )
        groups.append(
            ResolvedNodeGroup(
                name=ng.name,
                instance_types=types,
                capacity_type=ng.capacity_type,
                min_size=ng.min_size,
                max_size=ng.max_size,
                desired_size=desired,
                disk_size_gb=ng.disk_size_gb,
                labels=tuple(sorted(ng.labels.items())),
                taints=tuple(Taint(x["key"], x.get("value", ""), x["effect"]) for x in ng.taints),
                release_version=ng.release_version,
            )
        )
    return tuple(groups)


def _operations(t: Trace, platform: PlatformPlan, env: EnvironmentPlan, name: str) -> tuple[int, tuple[IrsaRole, ...]]:
    """Control-plane logs, the controllers' IRSA roles, NetworkPolicy enforcement and the default StorageClass."""
    days, why = retention_days(env.tier, platform.constraints.compliance)
    asked = floor(env.tier, platform.constraints.compliance, "eks_log_types")
    t.record("log_types", list(CONTROL_PLANE_LOGS), default("all control-plane log types") if asked is None else asked.source)
    t.record("log_retention_days", days, why)
    roles = irsa_roles(platform, env.account_id, name)
    t.record("irsa_roles", [r.role_name for r in roles], rule("irsa-by-component", "one least-privilege role per controller the plan enables"))
    t.record(
        "network_policies",
        "enforced (VPC CNI enableNetworkPolicy)",
        rule("network-policy-enforcement", "the tree's default-deny and allow policies do nothing unless the VPC CNI's network policy agent runs"),
    )
    t.record(
        "storage_class",
        {"name": DEFAULT_STORAGE_CLASS, "type": "gp3", "encrypted": True, "reclaim_policy": reclaim_policy(env.tier), "default": True},
        rule(
            "default-storage-class",
            "EKS clusters from 1.30 have no default StorageClass: the EBS CSI driver's encrypted gp3 class is the default and every chart's claims name it; "
            "production retains the volume of a deleted claim",
        ),
    )
    return days, roles


def _system_nodes(t: Trace, env_file: str, groups: tuple[ResolvedNodeGroup, ...]) -> SystemNodes | None:
    system = system_nodes(groups)
    if system is not None:
        t.record(
            "system_nodes",
            {"node_groups": list(system.node_groups), "tolerations": [dict(x) for x in system.tolerations], "node_selector": system.node_selector},
            environment(
                f"{env_file}: cluster.node_groups (taint CriticalAddonsOnly)",
                "every add-on pod (charts and the EBS CSI controller) tolerates these taints and selects these nodes; DaemonSets tolerate every taint",
            ),
        )
    return system


def _dns(t: Trace, env: EnvironmentPlan, env_file: str) -> ClusterDns | None:
    if env.dns is None:
        return None
    zone = env.dns.hosted_zone_id
    dns = ClusterDns(env.dns.domain, zone, zone or names.managed_zone_marker(env.dns.domain))
    t.record(
        "dns",
        {"domain": dns.domain, "zone": zone or "created by Terraform in the environment's platform stack"},
        environment(f"{env_file}: dns", "the environment's own domain and zone, in its own account: app hostnames, external-dns and DNS-01 use it"),
    )
    return dns


def _grafana_admin(t: Trace, platform: PlatformPlan, env: EnvironmentPlan, name: str, eso_ns: str) -> GrafanaAdmin | None:
    if "kube-prometheus-stack" not in platform.components:
        return None
    from ..addons.kube_prometheus_stack import ADDON as KPS

    role = names.grafana_admin_role(name)
    grafana = GrafanaAdmin(
        names.grafana_admin_secret(platform.secrets.path_prefix, env.name, name),
        env.regions[0],
        names.grafana_admin_key_alias(name),
        role,
        names.iam_role_arn(env.account_id, role),
        eso_ns,
        names.secret_store_service_account(names.GRAFANA_ADMIN_STORE),
        KPS.chart.namespace,
        names.GRAFANA_ADMIN_SECRET,
        recovery_window_days=secret_recovery_window(env.tier)[0],
    )
    t.record("grafana_admin.secret_recovery_window_days", grafana.recovery_window_days, secret_recovery_window(env.tier)[1])
    t.record(
        "grafana_admin",
        {"secret": grafana.secret_name, "role": grafana.role_name, "kubernetes_secret": f"{grafana.target_namespace}/{grafana.target_secret}"},
        rule(
            "grafana-admin",
            "Grafana's admin password is a random one Terraform writes once to Secrets Manager (never in state); the grafana-admin store, usable from the "
            "monitoring namespace only, reads that secret alone into the Secret the chart's admin.existingSecret names",
        ),
    )
    return grafana


def _argocd_sso(t: Trace, platform: PlatformPlan, env: EnvironmentPlan, name: str, eso_ns: str) -> ArgocdSso | None:
    sso = platform.gitops.sso
    if sso is None or platform.gitops.tool != "argocd":
        return None
    from ..addons.argocd import ADDON as ARGOCD

    role = names.argocd_sso_role(name)
    argocd_sso = ArgocdSso(
        names.argocd_sso_secret(platform.secrets.path_prefix, env.name, name, sso.client_secret),
        env.regions[0],
        role,
        names.iam_role_arn(env.account_id, role),
        eso_ns,
        names.secret_store_service_account(names.ARGOCD_SSO_STORE),
        ARGOCD.chart.namespace,
    )
    t.record(
        "argocd_sso",
        {"secret": argocd_sso.secret_name, "role": argocd_sso.role_name, "store": names.ARGOCD_SSO_STORE},
        rule(
            "argocd-sso",
            "ArgoCD's SSO client secret (created by hand in Secrets Manager) is read by the argocd-sso store, usable from the argocd namespace only, "
            "whose role reads that secret alone: neither the platform store nor any tenant's reads it",
        ),
    )
    return argocd_sso


@dataclass(frozen=True)
class _SecretStores:
    """The IRSA identities of external-secrets' stores on one cluster (all None/empty without an AWS store)."""

    tenants: tuple[TenantSecretsRole, ...] = ()
    platform: PlatformSecretsRole | None = None
    grafana: GrafanaAdmin | None = None
    argocd_sso: ArgocdSso | None = None


def _secret_stores(t: Trace, platform: PlatformPlan, env: EnvironmentPlan, name: str, access: tuple[TenantAccess, ...], platform_secrets: str) -> _SecretStores:
    if not aws_stores(platform):
        return _SecretStores()
    eso_ns = external_secrets.ADDON.chart.namespace

    def role(role_name: str, path: str, store: str, tenant: str | None = None):
        arn = names.iam_role_arn(env.account_id, role_name)
        sa = names.secret_store_service_account(store)
        return TenantSecretsRole(tenant, role_name, arn, path, eso_ns, sa) if tenant else PlatformSecretsRole(role_name, arn, path, eso_ns, sa)

    tenants = tuple(
        role(names.tenant_secrets_role(name, a.tenant), names.secrets_path(platform.secrets.path_prefix, env.name, a.tenant), f"tenant-{a.tenant}", a.tenant) for a in access
    )
    platform_role = role(names.platform_secrets_role(name), platform_secrets, names.PLATFORM_SECRET_STORE)
    t.record(
        "secret_store_roles",
        {**{f"tenant-{r.tenant}": r.secrets_path for r in tenants}, names.PLATFORM_SECRET_STORE: platform_role.secrets_path},
        rule(
            "secrets-isolation",
            "each ClusterSecretStore authenticates as its own service account in the external-secrets namespace, whose IRSA role trusts that service account alone "
            "and reads only its path (a tenant's <path>/<env>/<tenant>/*); the controller has no AWS identity, so no SecretStore can borrow one",
        ),
    )
    return _SecretStores(tenants, platform_role, _grafana_admin(t, platform, env, name, eso_ns), _argocd_sso(t, platform, env, name, eso_ns))


def _database_admin(t: Trace, env: EnvironmentPlan, name: str, database: str) -> DatabaseAdminRole:
    role_name = names.database_admin_role(name)
    admin = DatabaseAdminRole(
        role_name,
        names.iam_role_arn(env.account_id, role_name),
        database,
        names.arn("rds", env.regions[0], env.account_id, f"db:{database}"),
        external_secrets.ADDON.chart.namespace,
        names.secret_store_service_account(names.DATABASE_ADMIN_STORE),
    )
    t.record(
        "database_admin",
        {"role": role_name, "instance": database},
        rule(
            "database-bootstrap",
            "the database-admin store (usable from the database bootstrap namespace only) authenticates as its own service account with this role, which reads "
            "the instance's RDS-managed master secret only; the bootstrap Jobs create each tenant's role and database with it",
        ),
    )
    return admin


def _record_components(t: Trace, addons: tuple, manifests: tuple) -> None:
    """How each component is installed (the deployment decision matrix), Helm chart or Kustomize."""
    for a in addons:
        t.record(f"addons.{a.component}", f"{a.method}: {a.chart.chart} {a.chart.version} ({a.chart.maintainer})", rule("deployment-decision-matrix", a.reason))
        c = a.chart
        source = default(f"pinned in {c.pinned_by}") if c.constraint is None else plan(f"charts.lock: {a.component}", c.pinned_by)
        t.record(f"addons.{a.component}.chart", f"{c.chart} {c.version} from {c.repo_url}", source)
    for m in manifests:
        t.record(f"addons.{m.name}", f"kustomize: {m.repo_url}//{m.path} @ {m.revision}", rule("deployment-decision-matrix", m.reason))


def _admins(t: Trace, platform: PlatformPlan, env: EnvironmentPlan, env_file: str) -> tuple[str, ...]:
    admins = env.admin_principal_arns(platform.platform_admins.principal_arns)
    t.record(
        "admin_principal_arns",
        list(admins),
        environment(f"{env_file}: platform_admins") if env.platform_admins is not None else plan("platform.yaml: platform_admins.principal_arns"),
    )
    return admins


def resolve_cluster(
    trace: Trace,
    *,
    name: str,
    key: str,
    platform: PlatformPlan,
    env: EnvironmentPlan,
    env_file: str,
    access: tuple[TenantAccess, ...],
    platform_secrets_path: str,
    terraform_stack: str,
    database: str | None = None,
    region: str | None = None,
    instance_types_override: list[str] | None = None,
    override_source: str = "",
    vpc_name: str | None = None,
    charts: Mapping[str, ChartRef] | None = None,
) -> ResolvedCluster:
    """One EKS cluster of an environment (its shared one, a dedicated tenant's, or a secondary region's), with a Decision per value."""
    t = trace.child("cluster.")
    secondary = region is not None and region != env.regions[0]
    t.record("name", name, rule("names.regional_cluster_name", "<platform>-<env>-<region>") if secondary else rule("names.cluster_name", "<platform>-<env>[-<tenant>]"))
    version = t.record("version", platform.kubernetes.version, plan("platform.yaml: kubernetes.version"))
    eks_addon_versions(version)  # fails early for a version without add-on pins; the Cluster construct installs them (explain: its defaults)
    public, cidrs, api_access = _endpoint(t, platform, env, env_file)
    groups = _node_groups(t, env, env_file, version, instance_types_override, override_source)
    days, roles = _operations(t, platform, env, name)
    region = region or env.regions[0]
    t.record("region", region, environment(f"{env_file}: regions", "the primary region" if region == env.regions[0] else "a secondary region"))
    system = _system_nodes(t, env_file, groups)
    dns = _dns(t, env, env_file)
    addons = resolve_addons(platform, env.tier, name, region, roles, env.component_values, env_file, system, dns=dns, vpc_name=vpc_name, environment=env.name, charts=charts)
    manifests = resolve_manifest_components(platform)
    _record_components(t, addons, manifests)
    gitops_path = f"{platform.gitops.path.strip('/')}/{key}"
    t.record("gitops_path", gitops_path, plan("platform.yaml: gitops.path", "<gitops.path>/<cluster key>"))
    platform_secrets = t.record(
        "platform_secrets_path",
        platform_secrets_path,
        rule("secrets-isolation", "the platform store's role reads only the platform's secrets of this cluster, never below a tenant's path (names.platform_secrets_path)"),
    )
    stores = _secret_stores(t, platform, env, name, access, platform_secrets)
    database_admin = _database_admin(t, env, name, database) if database is not None and aws_stores(platform) else None
    admins = _admins(t, platform, env, env_file)
    inputs = IrsaPolicyInputs(account_id=env.account_id, hosted_zone_id=dns.policy_zone_id if dns else None, cluster_name=name, region=region, domain=dns.domain if dns else None)
    return ResolvedCluster(
        name=name, key=key, region=region, secrets_region=env.regions[0], terraform_stack=terraform_stack, version=version,
        endpoint_public_access=public, public_access_cidrs=cidrs, node_groups=groups, log_types=CONTROL_PLANE_LOGS, log_retention_days=days,
        admin_principal_arns=admins, tenant_access=access, irsa_roles=with_policies(roles, platform, inputs), addons=addons, manifest_components=manifests,
        gitops_path=gitops_path, dns_zone_id=dns.zone_id if dns else None, platform_secrets_path=platform_secrets,
        tenant_secrets_roles=stores.tenants, database_admin=database_admin, platform_secrets_role=stores.platform, grafana_admin=stores.grafana,
        argocd_sso=stores.argocd_sso, system=system, dns=dns,
        api_access_vpc=api_access.vpc, api_access_cidrs=tuple(api_access.cidrs), api_access_security_groups=tuple(api_access.security_group_ids),
    )
