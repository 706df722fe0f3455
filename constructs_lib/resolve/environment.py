"""Resolve one environment of the plan, with its tenants. Pure: no I/O."""

from __future__ import annotations

from ..plan.loader import Plan
from ..plan.tenant import GROUP_ROLES, TenantPlan
from . import names
from .cluster import resolve_cluster
from .database import resolve_database, secret_recovery_window
from .compliance import FRAMEWORKS, Effective, record_compliance
from .model import (
    BudgetAlert,
    ResolvedAuditTrail,
    ResolvedBudget,
    Quota,
    ResolvedApp,
    ResolvedCluster,
    ResolvedDatabase,
    ResolvedEnvironment,
    ResolvedGitOps,
    ResolvedNetwork,
    ResolvedRegion,
    ResolvedStateBackend,
    ResolvedTenant,
    ResolvedTenantDatabase,
    TenantAccess,
)
from .goals import record_complexity, record_goals
from .network import resolve_network
from .trace import Trace, environment, plan, rule, tenant as tenant_src


def _tags(*layers: dict[str, str]) -> tuple[tuple[str, str], ...]:
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    return tuple(sorted(merged.items()))


# Alert at 80% and 100% of the month's actual cost, and when AWS forecasts the month past 100%.
BUDGET_ALERTS = (BudgetAlert("ACTUAL", 80), BudgetAlert("ACTUAL", 100), BudgetAlert("FORECASTED", 100))


def _budget(plan_: Plan, env_name: str, trace: Trace) -> ResolvedBudget | None:
    """The AWS Budget of the environment's account (each environment has its own account, which
    validate checks; the budget has no cost filter, so it covers the whole account). The platform's
    monthly budget is split evenly over the environments, in whole dollars rounded down."""
    c = plan_.platform.constraints
    if c.monthly_budget_usd is None:
        return None
    limit = c.monthly_budget_usd // len(plan_.environments)
    budget = ResolvedBudget(names.budget_name(plan_.platform.name, env_name), limit, tuple(c.budget_alert_emails), BUDGET_ALERTS)
    trace.record(
        "budget",
        {"limit_usd": limit, "emails": list(budget.emails), "alerts": [f"{a.notification_type} > {a.threshold_percent}%" for a in BUDGET_ALERTS]},
        plan("platform.yaml: constraints.monthly_budget_usd", f"{c.monthly_budget_usd} USD split evenly over the {len(plan_.environments)} environments' accounts"),
    )
    return budget


def _residency(plan_: Plan, env_name: str, trace: Trace) -> None:
    """Show the residency constraint the environment's regions were checked against (validate refuses any other)."""
    allowed = plan_.platform.constraints.data_residency
    if allowed:
        regions = plan_.environment(env_name).regions
        trace.record(
            "data_residency",
            list(allowed),
            plan("platform.yaml: constraints.data_residency", f"every region ({', '.join(regions)}: state, secrets, clusters, database and its backup copies) starts with one of them"),
        )


def _audit_trail(plan_: Plan, env_name: str, trace: Trace, controls: dict[str, Effective]) -> ResolvedAuditTrail | None:
    """The account's CloudTrail trail, when a framework in scope asks for audit logging (one per
    account: each environment has its own, which validate checks)."""
    asked = controls.get("audit_trail")
    if asked is None or not asked.value:
        return None
    env = plan_.environment(env_name)
    name = names.audit_trail_name(plan_.platform.name, env_name)
    retention = controls["audit_trail_retention_days"]
    frameworks = tuple(fw for fw in plan_.platform.constraints.compliance if any(c.setting == "audit_trail" and c.value for c in FRAMEWORKS[fw]))
    trail = ResolvedAuditTrail(name, names.audit_trail_bucket(name, env.account_id), names.audit_trail_key_alias(name), env.regions[0], retention.value, frameworks)
    trace.record(
        "audit_trail",
        {"name": trail.name, "bucket": trail.bucket, "kms_alias": trail.kms_alias, "all_regions": True, "log_file_validation": True},
        asked.source,
    )
    trace.record("audit_trail.retention_days", trail.retention_days, retention.source)
    return trail


def _state(plan_: Plan, env_name: str, account_id: str, region: str, stack: str) -> ResolvedStateBackend:
    sb = plan_.platform.state_backend
    bucket = names.state_bucket(sb.bucket_prefix, env_name, account_id)
    return ResolvedStateBackend(
        bucket=bucket,
        lock_table=names.lock_table(sb.bucket_prefix, env_name) if "dynamodb" in sb.lock else None,
        use_lockfile="lockfile" in sb.lock,
        region=region,
        key=names.state_key(stack),
        kms_alias=names.state_kms_alias(bucket),
        kms_key_id=names.kms_alias_arn(region, account_id, names.state_kms_alias(bucket)),
    )


def _access(t: TenantPlan, env_name: str) -> TenantAccess:
    """The tenant's roles on a cluster of ``env_name``: groups, and who may assume each role there."""
    override = t.environments.get(env_name)
    named = override.access_principals if override else None
    principals = tuple((kind, tuple(getattr(named, kind))) for kind in GROUP_ROLES) if named else ()
    return TenantAccess(
        t.name, tuple(t.namespaces), tuple(t.groups.admins), tuple(t.groups.developers), tuple(t.groups.viewers), principals, t.access_trust == "account"
    )


def _isolation(t: TenantPlan, env_name: str) -> tuple[str, str]:
    override = t.environments.get(env_name)
    if override and override.isolation:
        return override.isolation, f"environments.{env_name}.isolation"
    return t.isolation, "isolation"


def _database_mode(t: TenantPlan, env_name: str) -> str:
    override = t.environments.get(env_name)
    return (override.database if override and override.database else t.database).mode


def resolve_environment(plan_: Plan, env_name: str) -> ResolvedEnvironment:
    env = plan_.environment(env_name)
    p = plan_.platform
    env_file = f"{env_name}.yaml"
    trace = Trace()
    region = trace.record("region", env.regions[0], environment(f"{env_file}: regions[0]", "the primary region"))
    base_tags = {"managed-by": "infraplan", "infraplan:platform": p.name, "infraplan:environment": env_name}
    tags = _tags(p.tags, env.tags, base_tags)
    trace.record("tags", dict(tags), rule("tags-merge", "platform.yaml tags, then the environment's, then infraplan's own"))
    _residency(plan_, env_name, trace)
    controls = record_compliance(trace, env.tier, p.constraints.compliance)
    shared_tenants = [t for t in plan_.tenants.values() if _isolation(t, env_name)[0] == "shared"]
    network, cluster, database = _primary_platform(plan_, env_name, trace, shared_tenants)
    stack = names.environment_stack(env_name)
    state_stack = names.state_stack(env_name)
    state = _state(plan_, env_name, env.account_id, region, stack)
    trace.record("state.bucket", state.bucket, rule("names.state_bucket", "<bucket_prefix>-<env>-<account id>: globally unique"))
    trace.record("state.lock", {"dynamodb_table": state.lock_table, "use_lockfile": state.use_lockfile}, plan("platform.yaml: state_backend.lock"))
    budget = _budget(plan_, env_name, trace)
    audit_trail = _audit_trail(plan_, env_name, trace, controls)
    secrets = names.secrets_path(p.secrets.path_prefix, env_name)
    trace.record("secrets_path", secrets, rule("names.secrets_path", "<path_prefix>/<env>: external-secrets may read only below it"))

    gitops = ResolvedGitOps(p.gitops.tool, p.gitops.repo_url, p.gitops.target_revision, p.gitops.path.strip("/"), p.gitops.repository_auth, p.iac.cluster_bootstrap)
    trace.record("gitops", {"tool": gitops.tool, "repo": gitops.repo_url, "revision": gitops.target_revision}, plan("platform.yaml: gitops"))
    secondary = tuple(
        _resolve_region(plan_, env_name, region, trace.child(f"regions.{region}."), shared_access=tuple(_access(t, env_name) for t in shared_tenants), backup_days=database.backup_retention_days)
        for region in env.regions[1:]
    )
    tenants = tuple(resolve_tenant(plan_, env_name, t.name, env_tags=tags, region=region, shared_db=database.identifier) for t in plan_.tenants.values())
    record_goals(trace, plan_, env_name, network=network, database=database, secondary=secondary, tenants=tenants)
    return ResolvedEnvironment(
        platform=p.name,
        name=env_name,
        tier=env.tier,
        account_id=env.account_id,
        region=region,
        stack_name=stack,
        state_stack_name=state_stack,
        tags=tags,
        network=network,
        cluster=cluster,
        database=database,
        state=state,
        secrets_path=secrets,
        gitops=gitops,
        tenants=tenants,
        secondary_regions=secondary,
        budget=budget,
        audit_trail=audit_trail,
        decisions=tuple(trace.decisions),
    )


def _primary_platform(plan_: Plan, env_name: str, trace: Trace, shared_tenants: list[TenantPlan]) -> tuple[ResolvedNetwork, ResolvedCluster, ResolvedDatabase]:
    """The environment's network, shared cluster (with the shared tenants' access) and database in its primary region."""
    env = plan_.environment(env_name)
    p = plan_.platform
    env_file = f"{env_name}.yaml"
    cluster_name = names.cluster_name(p.name, env_name)
    network = resolve_network(
        trace,
        name=cluster_name,
        cidr=env.vpc_cidr,
        cidr_source=environment(f"{env_file}: vpc_cidr"),
        env=env,
        env_file=env_file,
        compliance=p.constraints.compliance,
    )
    cluster = resolve_cluster(
        trace,
        name=cluster_name,
        key=names.cluster_key(env_name),
        platform=p,
        charts=plan_.charts,
        env=env,
        env_file=env_file,
        access=tuple(_access(t, env_name) for t in shared_tenants),
        platform_secrets_path=names.platform_secrets_path(p.secrets.path_prefix, env_name),
        terraform_stack=names.environment_stack(env_name),
        database=names.db_identifier(p.name, env_name) if any(_database_mode(t, env_name) == "shared" for t in shared_tenants) else None,
        vpc_name=network.name,
    )
    database = resolve_database(
        trace,
        identifier=names.db_identifier(p.name, env_name),
        tier=env.tier,
        platform=p,
        db=env.database,
        env_file=env_file,
        database_name=names.PLATFORM_DATABASE,
    )
    return network, cluster, database


def _resolve_region(plan_: Plan, env_name: str, region: str, trace: Trace, *, shared_access: tuple[TenantAccess, ...], backup_days: int) -> ResolvedRegion:
    """A secondary region: a network and cluster of its own for the shared tenants."""
    p = plan_.platform
    env = plan_.environment(env_name)
    env_file = f"{env_name}.yaml"
    name = names.regional_cluster_name(p.name, env_name, region)
    network = resolve_network(
        trace,
        name=name,
        cidr=env.region_vpc_cidrs[region],
        cidr_source=environment(f"{env_file}: region_vpc_cidrs.{region}"),
        env=env,
        env_file=env_file,
        compliance=p.constraints.compliance,
        region=region,
    )
    stack = names.regional_stack(env_name, region)
    cluster = resolve_cluster(
        trace,
        name=name,
        key=names.regional_key(env_name, region),
        platform=p,
        charts=plan_.charts,
        env=env,
        env_file=env_file,
        access=shared_access,
        platform_secrets_path=names.platform_secrets_path(p.secrets.path_prefix, env_name),
        terraform_stack=stack,
        region=region,
        vpc_name=network.name,
    )
    trace.record(
        "database",
        f"none here; automated backups of {names.db_identifier(p.name, env_name)} copied in, kept {backup_days} days",
        rule("multi-region-database", "one writer in the primary region; a copy of its backups in each secondary region keeps the RPO through a region loss"),
    )
    source = names.db_identifier(p.name, env_name)
    return ResolvedRegion(
        region=region,
        stack_name=stack,
        network=network,
        cluster=cluster,
        source_database_arn=names.arn("rds", env.regions[0], env.account_id, f"db:{source}"),
        backup_replication_days=backup_days,
        state=_state(plan_, env_name, env.account_id, env.regions[0], stack),
    )


def resolve_tenant(
    plan_: Plan,
    env_name: str,
    tenant_name: str,
    *,
    env_tags: tuple[tuple[str, str], ...] | None = None,
    region: str | None = None,
    shared_db: str | None = None,
) -> ResolvedTenant:
    p = plan_.platform
    env = plan_.environment(env_name)
    t = plan_.tenant(tenant_name)
    tfile = f"tenants/{tenant_name}.yaml"
    override = t.environments.get(env_name)
    region = region or env.regions[0]
    trace = Trace(prefix=f"tenant.{tenant_name}.")
    isolation, iso_field = _isolation(t, env_name)
    trace.record("isolation", isolation, tenant_src(f"{tfile}: {iso_field}"))
    dedicated = isolation == "dedicated"
    if dedicated:
        record_complexity(trace, p, f"dedicated-cluster:{tenant_name}", "isolation.justification")
    cluster_name = names.cluster_name(p.name, env_name, tenant_name if dedicated else None)
    cluster_key = names.cluster_key(env_name, tenant_name if dedicated else None)
    trace.record("cluster_name", cluster_name, rule("tenant-cluster", "its own cluster" if dedicated else "the environment's shared cluster"))
    quotas = override.quotas if override and override.quotas else t.quotas
    trace.record("quota", quotas.model_dump(), tenant_src(f"{tfile}: environments.{env_name}.quotas" if override and override.quotas else f"{tfile}: quotas"))
    tags = _tags(dict(env_tags) if env_tags else {**p.tags, **env.tags, "managed-by": "infraplan", "infraplan:platform": p.name, "infraplan:environment": env_name}, {"infraplan:tenant": tenant_name})
    secrets = names.secrets_path(p.secrets.path_prefix, env_name, tenant_name)
    db = _tenant_database(plan_, env_name, tenant_name, t, trace, secrets=secrets, shared_db=shared_db)
    network, cluster, dedicated_db = _dedicated_platform(plan_, env_name, tenant_name, t, trace, cluster_name=cluster_name, cluster_key=cluster_key, db=db) if dedicated else (None, None, None)
    apps = _apps(plan_, env_name, tenant_name, t, trace, db)
    stack = names.tenant_stack(tenant_name, env_name)
    trace.record("secrets_path", secrets, rule("names.secrets_path", "<path_prefix>/<env>/<tenant>"))
    return ResolvedTenant(
        name=tenant_name,
        display_name=t.display_name,
        environment=env_name,
        isolation=isolation,
        cluster_name=cluster_name,
        cluster_key=cluster_key,
        stack_name=stack,
        namespaces=tuple(t.namespaces),
        quota=Quota(quotas.cpu, quotas.memory, quotas.pods, quotas.services_loadbalancers, quotas.persistentvolumeclaims),
        access=_access(t, env_name),
        source_repos=tuple(t.source_repos),
        apps=apps,
        database=db,
        secrets_path=secrets,
        tags=tags,
        network=network,
        cluster=cluster,
        dedicated_database=dedicated_db,
        state=_state(plan_, env_name, env.account_id, region, stack),
        decisions=tuple(trace.decisions),
    )


def _tenant_database(plan_: Plan, env_name: str, tenant_name: str, t: TenantPlan, trace: Trace, *, secrets: str, shared_db: str | None) -> ResolvedTenantDatabase | None:
    """The tenant's database in this environment: on its own instance or the shared one, with its secret and login role."""
    env = plan_.environment(env_name)
    tfile = f"tenants/{tenant_name}.yaml"
    override = t.environments.get(env_name)
    db_plan = override.database if override and override.database else t.database
    if db_plan.mode == "none":
        return None
    db_name = db_plan.name or tenant_name.replace("-", "_")
    if db_plan.mode == "dedicated":
        instance = names.db_identifier(plan_.platform.name, env_name, tenant_name)
    else:
        instance = shared_db or names.db_identifier(plan_.platform.name, env_name)
    recovery, recovery_why = secret_recovery_window(env.tier)
    db = ResolvedTenantDatabase(
        db_plan.mode, db_name, instance, f"{secrets}/database", names.tenant_database_role(db_name), db_plan.credentials_version, recovery_window_days=recovery
    )
    trace.record("database.secret_recovery_window_days", recovery, recovery_why)
    trace.record(
        "database",
        {"mode": db.mode, "instance": instance, "database": db_name, "secret": db.secret_name, "credentials_version": db.credentials_version},
        tenant_src(f"{tfile}: database"),
    )
    trace.record(
        "database.role",
        db.role_name,
        rule("tenant-database-role", "a login role named after the database owns it; PUBLIC may not connect, so tenants on a shared instance cannot reach each other's data"),
    )
    return db


def _dedicated_platform(
    plan_: Plan, env_name: str, tenant_name: str, t: TenantPlan, trace: Trace, *, cluster_name: str, cluster_key: str, db: ResolvedTenantDatabase | None
) -> tuple[ResolvedNetwork, ResolvedCluster, ResolvedDatabase | None]:
    """A dedicated tenant's own network and cluster, and its own instance if its database is dedicated."""
    p = plan_.platform
    env = plan_.environment(env_name)
    tfile = f"tenants/{tenant_name}.yaml"
    env_file = f"{env_name}.yaml"
    override = t.environments.get(env_name)
    cidr = (override.vpc_cidr if override and override.vpc_cidr else None) or t.vpc_cidr
    assert cidr is not None, "checked when the plan was loaded"
    network = resolve_network(
        trace,
        name=cluster_name,
        cidr=cidr,
        cidr_source=tenant_src(f"{tfile}: vpc_cidr"),
        env=env,
        env_file=env_file,
        compliance=p.constraints.compliance,
    )
    cluster = resolve_cluster(
        trace,
        name=cluster_name,
        key=cluster_key,
        platform=p,
        charts=plan_.charts,
        env=env,
        env_file=env_file,
        access=(_access(t, env_name),),
        platform_secrets_path=names.platform_secrets_path(p.secrets.path_prefix, env_name, tenant_name),
        terraform_stack=names.tenant_stack(tenant_name, env_name),
        database=db.instance_identifier if db is not None else None,
        instance_types_override=override.node_instance_types if override else None,
        override_source=f"{tfile}: environments.{env_name}.node_instance_types",
        vpc_name=network.name,
    )
    if db is None or db.mode != "dedicated":
        return network, cluster, None
    dedicated_db = resolve_database(
        trace,
        identifier=db.instance_identifier,
        tier=env.tier,
        platform=p,
        db=env.database,
        env_file=env_file,
        database_name=db.database_name,
    )
    return network, cluster, dedicated_db


def _apps(plan_: Plan, env_name: str, tenant_name: str, t: TenantPlan, trace: Trace, db: ResolvedTenantDatabase | None) -> tuple[ResolvedApp, ...]:
    """The tenant's apps in this environment: image tag (the environment may pin its own), host in the environment's domain."""
    env = plan_.environment(env_name)
    tfile = f"tenants/{tenant_name}.yaml"
    env_file = f"{env_name}.yaml"
    override = t.environments.get(env_name)
    apps = []
    tags_override = override.image_tags if override else {}
    for app in t.apps:
        tag = tags_override.get(app.name, app.tag)
        trace.record(
            f"apps.{app.name}.tag",
            tag,
            tenant_src(f"{tfile}: environments.{env_name}.image_tags.{app.name}") if app.name in tags_override else tenant_src(f"{tfile}: apps[].tag"),
        )
        host = None
        if app.host:
            if env.dns is None:
                raise ValueError(f"app {app.name} of {tenant_name} has a host, but environment {env_name} has no dns domain (validate refuses this plan)")
            host = trace.record(
                f"apps.{app.name}.host",
                names.app_hostname(app.host, env.dns.domain),
                rule("names.app_hostname", f"{tfile}: apps[].host relative to {env_file}: dns.domain (a full name inside the domain is kept)"),
            )
        apps.append(
            ResolvedApp(
                name=app.name,
                namespace=app.namespace,
                image=app.image,
                tag=tag,
                port=app.port,
                replicas=app.replicas,
                host=host,
                health_path=app.health_path,
                cpu=app.cpu,
                memory=app.memory,
                database_secret=db.secret_name if (db and app.uses_database) else None,
            )
        )
    return tuple(apps)


def resolve_plan(plan_: Plan, env_names: list[str] | None = None) -> tuple[ResolvedEnvironment, ...]:
    selected = env_names or list(plan_.environments)
    return tuple(resolve_environment(plan_, e) for e in selected)
