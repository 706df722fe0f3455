"""The resolved model: concrete settings that every renderer reads.

Nothing here is optional or "to be derived": each value is what will be
written, and ``decisions`` says why. Renderers must not make policy of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

from .trace import Decision

if TYPE_CHECKING:
    from ..addons import PolicyStatement
    from ..addons.base import SystemNodes
    from .addons import ResolvedAddon, ResolvedManifestComponent


@dataclass(frozen=True)
class Subnet:
    name: str
    az: str
    cidr: str


@dataclass(frozen=True)
class ResolvedNetwork:
    name: str
    cidr: str
    azs: tuple[str, ...]
    public_subnets: tuple[Subnet, ...]
    private_subnets: tuple[Subnet, ...]
    database_subnets: tuple[Subnet, ...]
    nat: str  # none | single | one-per-az
    flow_logs_retention_days: int


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True)
class ResolvedNodeGroup:
    name: str
    instance_types: tuple[str, ...]
    capacity_type: str
    min_size: int
    max_size: int
    desired_size: int
    disk_size_gb: int
    labels: tuple[tuple[str, str], ...]
    taints: tuple[Taint, ...]
    release_version: str | None = None  # an EKS optimized AMI release of the cluster's version; None: EKS picks the latest


@dataclass(frozen=True)
class IrsaRole:
    """An IAM role for a Kubernetes service account (IRSA), with its rights: an inline
    least-privilege policy (``statements``) or AWS managed policies, from the add-on registry."""

    component: str
    role_name: str
    role_arn: str
    namespace: str
    service_account: str
    statements: tuple["PolicyStatement", ...] = ()
    managed_policies: tuple[str, ...] = ()


# Every ClusterSecretStore authenticates as a service account of its own in external-secrets'
# namespace (``namespace``/``service_account``), annotated with its own IRSA role, which trusts
# that service account alone. The controller itself has no AWS identity: a SecretStore without
# auth, or one naming another store's role, gets no credentials.


@dataclass(frozen=True)
class TenantSecretsRole:
    """The role of one tenant's store: reads only ``secrets_path/*``."""

    tenant: str
    role_name: str
    role_arn: str
    secrets_path: str
    namespace: str
    service_account: str


@dataclass(frozen=True)
class PlatformSecretsRole:
    """The role of the platform namespaces' store: reads only ``secrets_path/*``."""

    role_name: str
    role_arn: str
    secrets_path: str
    namespace: str
    service_account: str


@dataclass(frozen=True)
class DatabaseAdminRole:
    """The role of the ``database-admin`` store (usable from the database bootstrap namespace
    only): reads the RDS-managed master secret of ``instance_identifier`` and nothing else."""

    role_name: str
    role_arn: str
    instance_identifier: str
    instance_arn: str
    namespace: str
    service_account: str


@dataclass(frozen=True)
class GrafanaAdmin:
    """Grafana's admin credentials: a Secrets Manager secret Terraform fills once with a random
    password, read by the ``grafana-admin`` store (its role reads that secret only) into the
    Secret ``target_secret`` of ``target_namespace``, which the chart's ``admin.existingSecret`` names."""

    secret_name: str
    region: str  # the environment's primary region, like every secret (the environment's stack creates it)
    key_alias: str
    role_name: str
    role_arn: str
    namespace: str
    service_account: str
    target_namespace: str
    target_secret: str
    recovery_window_days: int = 30  # Secrets Manager keeps a deleted secret's name this long (0: deleted at once)


@dataclass(frozen=True)
class ArgocdSso:
    """ArgoCD's SSO client secret: a Secrets Manager secret the platform team creates, read by the
    ``argocd-sso`` store (usable from ``target_namespace`` only; its role reads that secret only)."""

    secret_name: str
    region: str  # the environment's primary region, like every secret
    role_name: str
    role_arn: str
    namespace: str  # of the store's service account (external-secrets')
    service_account: str
    target_namespace: str  # ArgoCD's namespace


@dataclass(frozen=True)
class TenantAccess:
    tenant: str
    namespaces: tuple[str, ...]
    admin_groups: tuple[str, ...]
    developer_groups: tuple[str, ...]
    viewer_groups: tuple[str, ...]
    # Who may assume each role (kind -> IAM ARNs in the environment's account); empty with trust_account
    principals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    trust_account: bool = False  # the plan's access_trust: account (the account root is the principal)

    def principals_of(self, kind: str) -> tuple[str, ...]:
        return dict(self.principals).get(kind, ())


@dataclass(frozen=True)
class ClusterDns:
    """The environment's DNS domain as a cluster uses it: hostnames under ``domain`` are published
    (external-dns) and certified (cert-manager DNS-01) in its Route 53 zone, in the environment's account."""

    domain: str
    zone_id: str | None  # the plan's existing zone; None: the environment's platform stack creates it
    policy_zone_id: str  # what IAM policies name: zone_id, or the marker terraform/ replaces by the created zone's id

    @property
    def managed(self) -> bool:
        """Whether Terraform creates the zone (in the environment's platform stack)."""
        return self.zone_id is None


@dataclass(frozen=True)
class ResolvedCluster:
    name: str
    key: str  # folder in the GitOps tree
    region: str  # where the cluster runs
    secrets_region: str  # where its Secrets Manager secrets live (the environment's primary region)
    terraform_stack: str  # the Terraform stack that creates it (its outputs connect Pulumi)
    version: str
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    node_groups: tuple[ResolvedNodeGroup, ...]
    log_types: tuple[str, ...]
    log_retention_days: int
    admin_principal_arns: tuple[str, ...]
    tenant_access: tuple[TenantAccess, ...]
    irsa_roles: tuple[IrsaRole, ...]
    addons: tuple["ResolvedAddon", ...]
    manifest_components: tuple["ResolvedManifestComponent", ...]  # components with no chart (Kustomize)
    gitops_path: str  # folder of this cluster's tree in the GitOps repo
    dns_zone_id: str | None  # Route 53 zone cert-manager may edit (DNS-01), if any
    platform_secrets_path: str  # the only path the platform store's role reads
    tenant_secrets_roles: tuple[TenantSecretsRole, ...]  # one per tenant on the cluster (with external-secrets)
    database_admin: DatabaseAdminRole | None = None  # when the cluster bootstraps its tenants' databases
    platform_secrets_role: PlatformSecretsRole | None = None  # with external-secrets: the platform store's role
    grafana_admin: GrafanaAdmin | None = None  # with external-secrets and kube-prometheus-stack
    argocd_sso: ArgocdSso | None = None  # with ArgoCD, gitops.sso and external-secrets
    system: "SystemNodes | None" = None  # the node groups tainted CriticalAddonsOnly, where add-on pods run
    dns: ClusterDns | None = None  # the environment's domain and zone, when the plan gives one
    api_access_vpc: bool = False  # the cluster's own VPC CIDR is admitted to the private API endpoint (443)
    api_access_cidrs: tuple[str, ...] = ()  # private ranges admitted to the private API endpoint (443)
    api_access_security_groups: tuple[str, ...] = ()  # security groups admitted to it

    def irsa(self, component: str) -> IrsaRole | None:
        return next((r for r in self.irsa_roles if r.component == component), None)

    def addon(self, component: str) -> "ResolvedAddon | None":
        return next((a for a in self.addons if a.component == component), None)


@dataclass(frozen=True)
class ResolvedGitOps:
    tool: str  # argocd | none
    repo_url: str
    target_revision: str
    root_path: str
    repository_auth: str = "none"  # none | https | ssh: the bootstrap's repository credential
    bootstrap: str = "pulumi"  # iac.cluster_bootstrap: pulumi (the Pulumi program) | gitops-only (by hand: dist/bootstrap/<cluster key>/README.md)


@dataclass(frozen=True)
class ResolvedDatabase:
    identifier: str
    engine_version: str
    instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    multi_az: bool
    backup_retention_days: int
    deletion_protection: bool
    skip_final_snapshot: bool
    performance_insights: bool
    monitoring_interval_seconds: int  # enhanced monitoring; 0 = off
    master_username: str
    database_name: str
    port: int
    auto_minor_version_upgrade: bool  # RDS upgrades the minor in the maintenance window (engine_version is then a major)
    parameter_group_family: str  # postgres<major>
    apply_immediately: bool  # an apply changes the instance now, not in the next maintenance window
    log_exports: tuple[str, ...]  # PostgreSQL logs exported to CloudWatch Logs (names.rds_log_group)
    log_retention_days: int


@dataclass(frozen=True)
class ResolvedStateBackend:
    bucket: str
    lock_table: str | None
    use_lockfile: bool
    region: str
    key: str  # the state key of the stack that owns this record
    kms_alias: str  # the state key's alias, without alias/ (names.state_kms_alias)
    kms_key_id: str  # its alias ARN: the S3 backend's kms_key_id, every state and lock object is written with it


@dataclass(frozen=True)
class Quota:
    cpu: str
    memory: str
    pods: int
    services_loadbalancers: int
    persistentvolumeclaims: int


@dataclass(frozen=True)
class ResolvedApp:
    name: str
    namespace: str
    image: str
    tag: str
    port: int
    replicas: int
    host: str | None
    health_path: str
    cpu: str
    memory: str
    database_secret: str | None  # Secrets Manager name of its DB credentials


@dataclass(frozen=True)
class ResolvedTenantDatabase:
    mode: str  # shared | dedicated
    database_name: str
    instance_identifier: str
    secret_name: str  # Secrets Manager: engine, host, port, dbname, username, password
    role_name: str  # PostgreSQL role owning the database; the apps log in as it
    credentials_version: int = 1  # a new value makes Terraform write a new password
    recovery_window_days: int = 30  # Secrets Manager keeps a deleted secret's name this long (0: deleted at once)


@dataclass(frozen=True)
class ResolvedTenant:
    name: str
    display_name: str
    environment: str
    isolation: str
    cluster_name: str
    cluster_key: str
    stack_name: str
    namespaces: tuple[str, ...]
    quota: Quota
    access: TenantAccess
    source_repos: tuple[str, ...]
    apps: tuple[ResolvedApp, ...]
    database: ResolvedTenantDatabase | None
    secrets_path: str
    tags: tuple[tuple[str, str], ...]
    # Only for a dedicated cluster:
    network: ResolvedNetwork | None
    cluster: ResolvedCluster | None
    dedicated_database: ResolvedDatabase | None
    state: ResolvedStateBackend
    decisions: tuple[Decision, ...]

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)


@dataclass(frozen=True)
class ResolvedRegion:
    """A secondary region of a multi-region environment: its own network and cluster,
    running the shared tenants; the database stays in the primary region, with a copy
    of its automated backups here."""

    region: str
    stack_name: str
    network: ResolvedNetwork
    cluster: ResolvedCluster
    source_database_arn: str  # the primary region's database whose backups are copied here
    backup_replication_days: int
    state: "ResolvedStateBackend"


@dataclass(frozen=True)
class BudgetAlert:
    notification_type: str  # ACTUAL (spent) or FORECASTED (AWS's month-end forecast)
    threshold_percent: int  # of the budget's limit


@dataclass(frozen=True)
class ResolvedBudget:
    """An AWS Budget of one account's monthly cost (every service, unfiltered)."""

    name: str
    limit_usd: int
    emails: tuple[str, ...]
    alerts: tuple[BudgetAlert, ...]


@dataclass(frozen=True)
class ResolvedAuditTrail:
    """The account's CloudTrail trail, when a compliance framework of the plan asks for audit
    logging (resolve/compliance.py): every region, log file validation, a KMS-encrypted bucket."""

    name: str
    bucket: str
    kms_alias: str
    region: str  # its home region: the environment's primary
    retention_days: int  # the bucket expires a log file after this many days
    frameworks: tuple[str, ...]  # the frameworks that ask for it


@dataclass(frozen=True)
class ResolvedEnvironment:
    platform: str
    name: str
    tier: str
    account_id: str
    region: str
    stack_name: str
    state_stack_name: str
    tags: tuple[tuple[str, str], ...]
    network: ResolvedNetwork
    cluster: ResolvedCluster
    database: ResolvedDatabase
    state: ResolvedStateBackend
    secrets_path: str
    gitops: ResolvedGitOps
    tenants: tuple[ResolvedTenant, ...]
    secondary_regions: tuple[ResolvedRegion, ...]
    decisions: tuple[Decision, ...]
    budget: ResolvedBudget | None = None  # the AWS Budget of the environment's account
    audit_trail: ResolvedAuditTrail | None = None  # the account's CloudTrail trail (compliance)

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    def tenant(self, name: str) -> ResolvedTenant:
        for t in self.tenants:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def clusters(self) -> tuple[tuple[ResolvedCluster, tuple[ResolvedTenant, ...]], ...]:
        """Every cluster of the environment with the tenants it hosts: the shared one first,
        then the shared ones of secondary regions, then dedicated tenant clusters."""
        shared = tuple(t for t in self.tenants if t.isolation == "shared")
        out = [(self.cluster, shared)]
        out += [(r.cluster, shared) for r in self.secondary_regions]
        for t in self.tenants:
            if t.cluster is not None:
                out.append((t.cluster, (t,)))
        return tuple(out)
