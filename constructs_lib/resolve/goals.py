"""What the plan's goals drive in one environment, recorded for ``infraplan explain``.

``plan/goals.py`` refuses a goal the design cannot meet; here each goal is shown next to the
settings it decided (the database's Multi-AZ and backups, NAT, zones, nodes and pods per
cluster), or, outside production, that the environment is not held to it. Pure: no I/O.
"""

from __future__ import annotations

from ..plan.goals import MULTI_AZ_NAT_UPTIME, THREE_AZ_UPTIME
from ..plan.complexity import justification
from ..plan.loader import Plan
from ..plan.platform import FAILOVER_MINUTES, PITR_LOG_MINUTES, RESTORE_MINUTES, PlatformPlan
from . import names
from .model import ResolvedDatabase, ResolvedNetwork, ResolvedRegion, ResolvedTenant
from .trace import Trace, plan


def record_goals(
    trace: Trace,
    plan_: Plan,
    env_name: str,
    *,
    network: ResolvedNetwork,
    database: ResolvedDatabase,
    secondary: tuple[ResolvedRegion, ...],
    tenants: tuple[ResolvedTenant, ...],
) -> None:
    """``goals.*`` (performance) and ``scale.*`` decisions of the environment."""
    t = trace.child("goals.")
    p = plan_.platform
    goals = p.performance
    env = plan_.environment(env_name)
    production = env.tier == "production"
    skip = f"{env.tier} is not held to the performance goals (sized for cost): "
    uptime = [f"database multi_az {str(database.multi_az).lower()}"]
    if production and goals.uptime_percent >= MULTI_AZ_NAT_UPTIME:
        uptime += [f"NAT {network.nat}", f"a node in each of the {len(network.azs)} AZs (node groups that keep nodes keep one per AZ)"]
    if production and goals.uptime_percent >= THREE_AZ_UPTIME:
        uptime.append("3 AZs")
    t.record(
        "uptime_percent",
        goals.uptime_percent,
        plan("platform.yaml: performance.uptime_percent", ("drives " if production else skip) + ", ".join(uptime) + ("" if production else f", NAT {network.nat}")),
    )
    scope = "the primary region" if goals.failure_scope == "region" else "an Availability Zone"
    if goals.failure_scope == "region":
        how = f"restore the backups copied to {', '.join(r.region for r in secondary) or 'the secondary regions'} into a new instance there (about {RESTORE_MINUTES} min)"
    elif database.multi_az:
        how = f"the database fails over to its standby in 1-2 min (>= {FAILOVER_MINUTES}); the nodes of the other AZs keep running"
    else:
        how = "a single-AZ database is restored into a new instance (point-in-time recovery)"
    t.record("rto_minutes", goals.rto_minutes, plan("platform.yaml: performance.rto_minutes", (("" if production else skip) + f"measured for the loss of {scope}: {how}")))
    copies = f"; copied to {', '.join(r.region for r in secondary)} ({secondary[0].backup_replication_days} days)" if secondary else ""
    t.record(
        "rpo_minutes",
        goals.rpo_minutes,
        plan(
            "platform.yaml: performance.rpo_minutes",
            ("" if production else skip)
            + f"point-in-time recovery: RDS ships the transaction logs every {PITR_LOG_MINUTES} min; backups kept {database.backup_retention_days} days{copies}",
        ),
    )
    _record_scale(trace, plan_, env_name, secondary, tenants)
    for tenant in tenants:
        if tenant.isolation == "dedicated":
            record_complexity(trace, p, f"dedicated-cluster:{tenant.name}", f"complexity.dedicated-cluster.{tenant.name}")
    if secondary:
        record_complexity(trace, p, "multi-region", "complexity.multi-region")


def _record_scale(trace: Trace, plan_: Plan, env_name: str, secondary: tuple[ResolvedRegion, ...], tenants: tuple[ResolvedTenant, ...]) -> None:
    """Nodes of every cluster of the environment against scale.max_nodes, tenant pods per cluster against performance.max_pods."""
    p = plan_.platform
    env = plan_.environment(env_name)
    per_cluster = sum(g.max_size for g in env.cluster.node_groups)
    clusters = [names.cluster_key(env_name), *(r.cluster.key for r in secondary), *(t.cluster_key for t in tenants if t.isolation == "dedicated")]
    trace.record(
        "scale.max_nodes",
        {"clusters": len(clusters), "max_nodes_each": per_cluster, "total": per_cluster * len(clusters), "limit": p.scale.max_nodes},
        plan("platform.yaml: scale.max_nodes", f"the node groups' max_size summed over every cluster of {env_name}: {', '.join(clusters)}"),
    )
    pods: dict[str, int] = {}
    for tenant in tenants:
        for key in [tenant.cluster_key] if tenant.isolation == "dedicated" else [tenant.cluster_key, *(r.cluster.key for r in secondary)]:
            pods[key] = pods.get(key, 0) + tenant.quota.pods
    limit = p.performance.max_pods
    trace.record(
        "scale.tenant_pods",
        {**pods, "limit": limit if limit is not None else "none"},
        plan(
            "platform.yaml: performance.max_pods",
            "the tenants' ResourceQuota pods on each cluster; each sum is at most max_pods" if limit is not None else "max_pods is not set: the sums are not bounded",
        ),
    )


def record_complexity(trace: Trace, platform: PlatformPlan, choice: str, path: str = "complexity") -> None:
    """The justification of ``choice`` (dedicated-cluster:<tenant>, multi-region) next to it, or that it has none."""
    found = justification(platform, choice)
    if found is None:
        trace.record(
            path,
            f"{choice}: not justified",
            plan("platform.yaml: complexity_tracking", f"no entry has applies_to: {choice} (validate warns; a constitution gate can make it blocking)"),
        )
        return
    i, entry = found
    rejected = f"; rejected: {entry.simpler_alternative_rejected}" if entry.simpler_alternative_rejected else ""
    trace.record(path, f"{choice}: {entry.decision}", plan(f"platform.yaml: complexity_tracking[{i}]", f"{entry.justification}{rejected}"))
