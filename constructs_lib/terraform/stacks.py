"""The Terraform stacks of a plan.

| stack | what | state |
|---|---|---|
| ``<env>-state`` | state bucket + lock table (bootstrap) | local (``terraform.<env>-state.tfstate`` outside the output), applied first |
| ``<env>-platform`` | network, EKS cluster, shared PostgreSQL | S3 ``<env>-platform/terraform.tfstate`` |
| ``<env>-tenant-<t>`` | a tenant's secrets; for a dedicated tenant its own network, cluster, database | S3 ``<env>-tenant-<t>/terraform.tfstate`` |

Stacks do not read each other's state. A tenant stack finds what the platform
stack made by the names the resolved model gives, so each stack can be
planned, applied and destroyed on its own, once what it finds exists:
``stack_graph.py`` lists those lookups, which are the stacks' dependencies
(``manifest.json``) and the apply order (``infraplan graph``). A lookup added
here is added there too (tests/test_stack_graph.py finds them in the JSON).
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, replace
from typing import Any

from constructs import Construct

from ..resolve import names
from ..resolve.model import ResolvedAuditTrail, ResolvedBudget, ResolvedCluster, ResolvedDatabase, ResolvedEnvironment, ResolvedNetwork, ResolvedRegion, ResolvedStateBackend, ResolvedTenant
from ..resolve.trace import Decision, Source
from .aws import AwsProvider, Expression, rds
from .aws import vpc as vpc_l1
from .audit_trail import AuditTrail
from .budget import AccountBudget, CostAlert
from .cluster import Cluster, ClusterProps, NodeGroup, managed_addon_defaults
from .dns import EnvironmentZone
from .dns import zone_id as dns_zone_id
from . import jsii_pipeline
from .database import Database, DatabaseAdminAccess
from .database_backups import DatabaseBackupReplication
from .engine import cdktf
from .grafana_admin import GrafanaAdminSecret
from .kms_key import EncryptionKey
from .network import Network
from .props import child_path, defaults_left, node_id, recording_props, remember_path
from .state_backend import StateBackend
from .target import REAL_AWS, AwsTarget
from .tenant_database import ExistingDatabase, TenantDatabaseCredentials


@dataclass(frozen=True)
class EnvironmentStackProps:
    environment: ResolvedEnvironment
    target: AwsTarget = REAL_AWS


TERRAFORM_REQUIRED_VERSION = ">= 1.11"
"""Every stack's ``terraform.required_version``: older CLIs refuse before they misread a stack."""

CDKTF_PROJECT_ROOT = "../../.."
"""From a stack folder in cdktf's layout (``cdktf.out/stacks/<stack>``) to the project root."""


@dataclass(frozen=True)
class StateStackProps(EnvironmentStackProps):
    local_state_path: str | None = None
    """Where the state stack's local state lives, relative to the stack's folder (or absolute).

    Default: ``terraform.<stack>.tfstate`` in the project root, as cdktf does, so that
    re-synthesizing (which replaces the stack folders) never touches the state. It must
    never point into the synthesized output."""

    def state_path(self, stack_id: str) -> str:
        path = self.local_state_path or f"{CDKTF_PROJECT_ROOT}/terraform.{stack_id}.tfstate"
        if not path.endswith(".tfstate") or "${" in path:
            raise ValueError(f"local_state_path {path!r} must be a plain path ending in .tfstate")
        return path


@dataclass(frozen=True)
class TenantStackProps:
    environment: ResolvedEnvironment
    tenant: ResolvedTenant
    target: AwsTarget = REAL_AWS


def configure_stack(
    stack: cdktf.TerraformStack,
    *,
    region: str,
    account_id: str,
    tags: dict[str, str],
    state: ResolvedStateBackend | None,
    target: AwsTarget,
    local_state_path: str | None = None,
) -> AwsProvider:
    """Provider (pinned, default tags, wrong-account guard) and backend of a stack.

    ``state`` None means local state at ``local_state_path`` (the state stack, which
    creates the bucket).

    What cdktf has no setting for (``required_version``, the S3 backend's ``use_lockfile`` and a
    local target's backend settings) goes in one ``add_override`` of the ``terraform`` block (one jsii
    round trip per stack, not one per setting): cdktf deep-merges the stack's overrides into the
    block as it does one per dotted path, and lists the same ``overrides`` in the stack's metadata."""
    # ephemeral resources and write-only attributes (the tenant secrets) need Terraform 1.11
    terraform: dict[str, Any] = {"required_version": TERRAFORM_REQUIRED_VERSION}
    provider = AwsProvider(
        stack,
        "aws",
        region=region,
        allowed_account_ids=[account_id],
        default_tags=[{"tags": dict(sorted(tags.items()))}],
        **target.provider_settings(),
    )
    if state is None:
        cdktf.LocalBackend(stack, path=local_state_path or f"{CDKTF_PROJECT_ROOT}/terraform.{node_id(stack)}.tfstate")
    else:
        # kms_key_id: the state bucket's own key (by alias ARN: a backend takes no expressions), not SSE-S3
        cdktf.S3Backend(
            stack, bucket=state.bucket, key=state.key, region=state.region, encrypt=True, kms_key_id=state.kms_key_id, dynamodb_table=state.lock_table
        )
        s3 = {"use_lockfile": True} if state.use_lockfile else {}
        s3.update(target.backend_settings())
        if s3:
            terraform["backend"] = {"s3": s3}
    stack.add_override("terraform", terraform)
    return provider


def output(stack: cdktf.TerraformStack, name: str, value, description: str, sensitive: bool = False) -> None:
    cdktf.TerraformOutput(stack, name, value=value, description=description, sensitive=sensitive)


class StateStack(cdktf.TerraformStack):
    """Bootstrap of one environment's account: the bucket and table every other stack uses."""

    def __init__(self, scope: Construct, id: str, props: EnvironmentStackProps):
        super().__init__(scope, id)
        remember_path(self, child_path(scope, id))  # the stack's constructs ask it of Python, not of constructs
        env = props.environment
        state_props = props if isinstance(props, StateStackProps) else StateStackProps(env, props.target)
        configure_stack(
            self, region=env.region, account_id=env.account_id, tags=env.tag_map, state=None, target=props.target, local_state_path=state_props.state_path(id)
        )
        backend = StateBackend(self, "state", account_id=env.account_id, region=env.region, **state_backend_props(env))
        assert backend.kms_key_id == env.state.kms_key_id, f"{backend.kms_key_id} is not the backends' {env.state.kms_key_id}"
        output(self, "state_bucket", backend.bucket.ref("bucket"), "S3 bucket of this environment's Terraform state")
        if backend.lock_table is not None:
            output(self, "lock_table", backend.lock_table.ref("name"), "DynamoDB table for state locks")
        output(self, "state_kms_key_arn", backend.kms.arn, "KMS key encrypting the state")


def _cluster_outputs(stack: cdktf.TerraformStack, cluster: Cluster, resolved: ResolvedCluster, prefix: str = "") -> None:
    output(stack, f"{prefix}cluster_name", cluster.name_ref, "EKS cluster name")
    output(stack, f"{prefix}cluster_endpoint", cluster.eks.ref("endpoint"), "EKS API endpoint (private unless the plan allows public)")
    output(stack, f"{prefix}cluster_certificate_authority", cluster.eks.ref("certificate_authority[0].data"), "base64 CA of the EKS API")
    output(stack, f"{prefix}oidc_provider_arn", cluster.oidc.arn, "IAM OIDC provider for IRSA")
    for component, role in sorted(cluster.irsa_roles.items()):
        output(stack, f"{prefix}irsa_{component.replace('-', '_')}_role_arn", role.arn, f"IRSA role of {component}")


def _database_outputs(stack: cdktf.TerraformStack, db: Database, prefix: str = "") -> None:
    output(stack, f"{prefix}db_endpoint", db.endpoint, "PostgreSQL endpoint (host:port)")
    output(stack, f"{prefix}db_master_secret_arn", db.secret_arn, "Secrets Manager secret holding the master credentials (managed by RDS)")


DATABASE_PROPS_FROM_PLAN = (
    "identifier",
    "engine_version",
    "instance_class",
    "allocated_storage_gb",
    "max_allocated_storage_gb",
    "multi_az",
    "backup_retention_days",
    "deletion_protection",
    "skip_final_snapshot",
    "performance_insights",
    "monitoring_interval_seconds",
    "master_username",
    "database_name",
    "port",
    "auto_minor_version_upgrade",
    "apply_immediately",
    "log_exports",
    "log_retention_days",
)
"""The Database props resolution decides (each a Decision); the others keep the construct's default."""


def database_props(db: ResolvedDatabase) -> dict[str, Any]:
    """The resolved database as Database props (the plan as one front end of the construct)."""
    return {name: getattr(db, name) for name in DATABASE_PROPS_FROM_PLAN}


def budget_props(budget: ResolvedBudget) -> dict[str, Any]:
    """The resolved budget as AccountBudget props: its name, the split limit, the plan's contacts, the resolved alerts."""
    alerts = tuple(CostAlert(threshold_percent=a.threshold_percent, notification_type=a.notification_type) for a in budget.alerts)
    return {"name": budget.name, "limit_usd": budget.limit_usd, "emails": budget.emails, "alerts": alerts}


def audit_trail_props(trail: ResolvedAuditTrail) -> dict[str, Any]:
    """The resolved trail as AuditTrail props: its names, home region and the frameworks' retention."""
    return {"name": trail.name, "bucket": trail.bucket, "kms_alias": trail.kms_alias, "region": trail.region, "retention_days": trail.retention_days}


def grafana_admin_props(cluster: ResolvedCluster) -> dict[str, Any]:
    """A cluster's resolved Grafana admin secret as GrafanaAdminSecret props: read by its store's role only."""
    g = cluster.grafana_admin
    assert g is not None
    return {
        "readers": (g.role_arn,), "cluster_name": cluster.name, "secret_name": g.secret_name, "key_alias": g.key_alias,
        "recovery_window_days": g.recovery_window_days, "region": g.region,
    }  # fmt: skip


def tenant_database_props(env: ResolvedEnvironment, tenant: ResolvedTenant) -> dict[str, Any]:
    """A tenant's resolved database as TenantDatabaseCredentials props (without the instance): read
    by the tenant's secret store role of every cluster its apps run on, in the primary region."""
    db = tenant.database
    assert db is not None
    return {
        "database_name": db.database_name, "role_name": db.role_name, "tenant": tenant.name, "environment": env.name, "region": env.region,
        "secret_name": db.secret_name, "key_alias": f"{tenant.cluster_name}-{tenant.name}-secrets",
        "readers": tuple(r.role_arn for c in _tenant_clusters(env, tenant) for r in c.tenant_secrets_roles if r.tenant == tenant.name),
        "credentials_version": db.credentials_version, "recovery_window_days": db.recovery_window_days,
    }  # fmt: skip


def database_admin_props(cluster: ResolvedCluster) -> dict[str, Any]:
    """A cluster's resolved database admin role as DatabaseAdminAccess props (without the database and
    the cluster): its name, and the store's service account that alone may assume it."""
    admin = cluster.database_admin
    assert admin is not None
    return {"role_name": admin.role_name, "namespace": admin.namespace, "service_account": admin.service_account}


def backup_replication_props(region: ResolvedRegion) -> dict[str, Any]:
    """A secondary region's resolved copy of the primary database's backups as DatabaseBackupReplication
    props (without the key): the instance by ARN (it is in another stack) and the retention."""
    return {"source_arn": region.source_database_arn, "retention_days": region.backup_replication_days, "region": region.region}


def state_backend_props(env: ResolvedEnvironment) -> dict[str, Any]:
    """The environment's resolved state backend as StateBackend props; the lock table is as
    protected as the environment's database."""
    st = env.state
    return {"bucket": st.bucket, "kms_alias": st.kms_alias, "lock_table": st.lock_table, "deletion_protection": env.database.deletion_protection}


def network_construct(stack: Construct, network: ResolvedNetwork, *, region: str, account_id: str) -> Network:
    """The resolved network as a Network construct; its subnets are the ones resolution recorded."""
    net = Network(
        stack, "network", name=network.name, cidr=network.cidr, azs=network.azs, nat=network.nat,
        flow_logs_retention_days=network.flow_logs_retention_days, region=region, account_id=account_id,
    )  # fmt: skip
    built = [s.attributes["cidr_block"] for s in (*net.public_subnets, *net.private_subnets, *net.database_subnets)]
    resolved = [s.cidr for s in (*network.public_subnets, *network.private_subnets, *network.database_subnets)]
    assert built == resolved, f"{network.name}: the Network's subnets {built} are not the resolved ones {resolved}"
    return net


def cluster_props(cluster: ResolvedCluster) -> dict[str, Any]:
    """The resolved cluster as Cluster props: what Terraform builds of it (the GitOps fields stay in
    the resolved model); the API endpoint is public only with the resolved allow-list."""
    return {
        "name": cluster.name,
        "version": cluster.version,
        "public_access_cidrs": cluster.public_access_cidrs if cluster.endpoint_public_access else (),
        "api_access_vpc": cluster.api_access_vpc,
        "api_access_cidrs": cluster.api_access_cidrs,
        "api_access_security_groups": cluster.api_access_security_groups,
        "node_groups": tuple(NodeGroup(**{f.name: getattr(ng, f.name) for f in dataclasses.fields(NodeGroup)}) for ng in cluster.node_groups),
        "log_types": cluster.log_types,
        "log_retention_days": cluster.log_retention_days,
        "admin_principal_arns": cluster.admin_principal_arns,
        "tenant_access": cluster.tenant_access,
        "irsa_roles": cluster.irsa_roles,
        "tenant_secrets_roles": cluster.tenant_secrets_roles,
        "platform_secrets_role": cluster.platform_secrets_role,
        "grafana_admin": cluster.grafana_admin,
        "argocd_sso": cluster.argocd_sso,
        "secrets_region": cluster.secrets_region,
        "system": cluster.system,
        "dns": cluster.dns,
    }


def construct_defaults(env: ResolvedEnvironment, tenant: ResolvedTenant | None = None) -> tuple[Decision, ...]:
    """What the constructs decide that resolution does not set, as explain shows it. The stacks of
    the environment (or of the tenant) are built as synth builds them, without writing them; every
    prop a construct was left to default is listed with its value and the reason its docstring gives
    (source "default: <construct> construct"), and a Cluster's managed add-on versions with it. The
    paths follow the resolution's: ``<construct id>.<prop>``, under ``regions.<region>.`` or
    ``tenant.<name>.`` as the stack's decisions are."""
    with tempfile.TemporaryDirectory(prefix="infraplan-explain-") as outdir, recording_props() as built:
        app = cdktf.App(outdir=outdir)
        if tenant is None:
            prefixes = {env.state_stack_name: "", env.stack_name: ""}
            StateStack(app, env.state_stack_name, StateStackProps(env))
            EnvironmentStack(app, env.stack_name, EnvironmentStackProps(env))
            for r in env.secondary_regions:
                prefixes[r.stack_name] = f"regions.{r.region}."
                RegionalStack(app, r.stack_name, RegionalStackProps(env, r))
        else:
            prefixes = {tenant.stack_name: f"tenant.{tenant.name}."}
            TenantStack(app, tenant.stack_name, TenantStackProps(env, tenant))
        jsii_pipeline.check(app)  # built as synth builds them: a construct Node.js refused fails here too
    out: list[Decision] = []
    for b in built:
        stack, _, within = b.path.partition("/")
        where = prefixes[stack] + within.replace("/", ".")
        source = Source("default", f"{b.kind} construct", "")
        out += [Decision(f"{where}.{name}", value, replace(source, reason=why)) for name, value, why in defaults_left(b.props, set(b.given))]
        if isinstance(b.props, ClusterProps):  # not props: the add-ons every cluster gets, at the construct's versions
            out += [Decision(f"{where}.eks_addons.{name}", version, replace(source, reason=why)) for name, version, why in managed_addon_defaults(b.props.version)]
    return tuple(out)


def _platform(
    stack: cdktf.TerraformStack, *, network, cluster: ResolvedCluster, database, env: ResolvedEnvironment, zone_id: str | None = None
) -> tuple[Network, Cluster, Database | None]:
    """``zone_id``: the environment's zone where this stack creates it; otherwise found here (dns.zone_id)."""
    net = network_construct(stack, network, region=cluster.region, account_id=env.account_id)
    if zone_id is None:
        zone_id = dns_zone_id(stack, "dns_zone", cluster.dns)
    eks_cluster = Cluster(stack, "cluster", network=net, hosted_zone_id=zone_id, account_id=env.account_id, region=cluster.region, **cluster_props(cluster))
    db = None
    if database is not None:
        db = Database(stack, "database", network=net, clients={"nodes": eks_cluster}, account_id=env.account_id, region=cluster.region, **database_props(database))
        if cluster.database_admin is not None:
            DatabaseAdminAccess(stack, "database_admin", database=db, cluster=eks_cluster, **database_admin_props(cluster))
    return net, eks_cluster, db


class EnvironmentStack(cdktf.TerraformStack):
    """The shared platform of one environment: network, cluster, database."""

    def __init__(self, scope: Construct, id: str, props: EnvironmentStackProps):
        super().__init__(scope, id)
        remember_path(self, child_path(scope, id))  # the stack's constructs ask it of Python, not of constructs
        env = props.environment
        configure_stack(self, region=env.region, account_id=env.account_id, tags=env.tag_map, state=env.state, target=props.target)
        dns = env.cluster.dns
        self.zone = None
        if dns is not None and dns.managed:
            self.zone = EnvironmentZone(self, "dns", domain=dns.domain, comment=names.dns_zone_comment(env.platform, env.name))
        self.network, self.cluster, self.database = _platform(
            self, network=env.network, cluster=env.cluster, database=env.database, env=env, zone_id=self.zone.zone_id if self.zone else None
        )
        # Grafana's admin secrets, in the primary region like every secret: this cluster's and each secondary region's.
        for suffix, c in (("", env.cluster), *((f"_{r.region.replace('-', '_')}", r.cluster) for r in env.secondary_regions)):
            if c.grafana_admin is not None:
                GrafanaAdminSecret(self, f"grafana_admin{suffix}", account_id=env.account_id, **grafana_admin_props(c))
        if self.zone is not None:
            output(self, "dns_zone_id", self.zone.zone_id, f"Route 53 zone of {dns.domain}")
            output(self, "dns_name_servers", self.zone.name_servers, f"delegate {dns.domain} to these from its parent zone (NS record), once")
        if env.budget is not None:
            AccountBudget(self, "budget", account_id=env.account_id, **budget_props(env.budget))
        if env.audit_trail is not None:  # one per account, as the budget: each environment has its own
            trail = AuditTrail(self, "audit_trail", account_id=env.account_id, **audit_trail_props(env.audit_trail))
            output(self, "audit_trail_arn", trail.trail.arn, f"CloudTrail trail of the account ({', '.join(env.audit_trail.frameworks)})")
            output(self, "audit_trail_bucket", trail.bucket.ref("bucket"), "S3 bucket of the trail's log files")
        output(self, "vpc_id", self.network.vpc.id_ref, "VPC of the environment")
        output(self, "private_subnet_ids", [s.id_ref for s in self.network.private_subnets], "private subnets (nodes, internal load balancers)")
        _cluster_outputs(self, self.cluster, env.cluster)
        assert self.database is not None
        _database_outputs(self, self.database)


@dataclass(frozen=True)
class RegionalStackProps:
    environment: ResolvedEnvironment
    region: ResolvedRegion
    target: AwsTarget = REAL_AWS


class RegionalStack(cdktf.TerraformStack):
    """A secondary region of a multi-region environment: network and cluster for the shared
    tenants, and a copy of the primary database's automated backups."""

    def __init__(self, scope: Construct, id: str, props: RegionalStackProps):
        super().__init__(scope, id)
        remember_path(self, child_path(scope, id))  # the stack's constructs ask it of Python, not of constructs
        env, r = props.environment, props.region
        configure_stack(self, region=r.region, account_id=env.account_id, tags={**env.tag_map, "infraplan:region": r.region}, state=r.state, target=props.target)
        self.network, self.cluster, _ = _platform(self, network=r.network, cluster=r.cluster, database=None, env=env)
        output(self, "vpc_id", self.network.vpc.id_ref, f"VPC of the environment in {r.region}")
        _cluster_outputs(self, self.cluster, r.cluster)
        # The key stays a child of the stack (its Terraform address predates the construct).
        key = EncryptionKey(
            self, "backups_kms", alias=names.regional_backups_key_alias(r.cluster.name), description=f"Copies of {env.database.identifier}'s backups in {r.region}", account_id=env.account_id
        )
        DatabaseBackupReplication(self, "database_backups", kms_key=key, account_id=env.account_id, **backup_replication_props(r))


def _tenant_clusters(env: ResolvedEnvironment, tenant: ResolvedTenant) -> tuple[ResolvedCluster, ...]:
    """The clusters whose tenant stores read this tenant's secrets: its dedicated cluster, or the
    shared cluster of every region (a secondary region's store reads the primary region's secrets)."""
    if tenant.cluster is not None:
        return (tenant.cluster,)
    return (env.cluster, *(r.cluster for r in env.secondary_regions))


class TenantStack(cdktf.TerraformStack):
    """One tenant in one environment."""

    def __init__(self, scope: Construct, id: str, props: TenantStackProps):
        super().__init__(scope, id)
        remember_path(self, child_path(scope, id))  # the stack's constructs ask it of Python, not of constructs
        env, tenant = props.environment, props.tenant
        configure_stack(self, region=env.region, account_id=env.account_id, tags=tenant.tag_map, state=tenant.state, target=props.target)
        self.network = self.cluster = self.database = None
        if tenant.network is not None and tenant.cluster is not None:
            self.network, self.cluster, self.database = _platform(
                self, network=tenant.network, cluster=tenant.cluster, database=tenant.dedicated_database, env=env
            )
            vpc_id = self.network.vpc.id_ref
            _cluster_outputs(self, self.cluster, tenant.cluster)
            if tenant.cluster.grafana_admin is not None:
                GrafanaAdminSecret(self, "grafana_admin", account_id=env.account_id, **grafana_admin_props(tenant.cluster))
            if self.database is not None:
                _database_outputs(self, self.database)
        else:
            shared = vpc_l1.DataVpc(self, "shared_vpc", tags={"Name": env.network.name})
            vpc_id = shared.ref("id")
        output(self, "vpc_id", vpc_id, "VPC the tenant's workloads run in")
        if tenant.database is not None:
            if self.database is not None:  # dedicated: the instance is in this stack
                instance: Database | ExistingDatabase = self.database
            else:  # shared: the platform stack's instance, found by its identifier
                shared_db = rds.DataDbInstance(self, "shared_database", db_instance_identifier=tenant.database.instance_identifier)
                instance = ExistingDatabase(tenant.database.instance_identifier, Expression(shared_db.expr("address")), Expression(shared_db.expr("port")))
            credentials = TenantDatabaseCredentials(self, "db_credentials", database=instance, account_id=env.account_id, **tenant_database_props(env, tenant))
            output(self, "db_credentials_secret_arn", credentials.secret_arn, "Secrets Manager secret of the tenant's database credentials")
