"""The plan's goals against its design: ``performance`` (uptime, RTO, RPO, pods) and ``scale``
(nodes and pods per cluster), across every cluster of an environment.

A goal the design cannot meet is an error at the value to change, with the fix: accepting it
would promise what the output does not deliver. The goals are production's: development and
staging environments are sized for cost and are not held to them (``explain`` says so).
What each goal drives in the output is resolved in ``resolve/goals.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..resolve import names
from .environment import EnvironmentPlan
from .platform import RESTORE_MINUTES, SINGLE_AZ_DATABASE_SLA_PERCENT, PerformanceGoals, PlatformPlan
from .tenant import TenantPlan
from .yaml_source import FieldPath

At = Callable[..., None]
MULTI_AZ_NAT_UPTIME = 99.9  # from here an AZ's NAT gateway may not cut the others' egress, and every zone runs nodes
THREE_AZ_UPTIME = 99.95  # from here an AZ loss must leave two zones, not one


def database_needs_multi_az(goals: PerformanceGoals) -> list[str]:
    """Why the production database must be Multi-AZ (empty: a single-AZ instance meets the goals)."""
    why = []
    if goals.uptime_percent > SINGLE_AZ_DATABASE_SLA_PERCENT:
        why.append(f"uptime {goals.uptime_percent} % is above the {SINGLE_AZ_DATABASE_SLA_PERCENT} % of a Single-AZ RDS instance")
    if goals.failure_scope == "availability-zone" and goals.rto_minutes < RESTORE_MINUTES:
        why.append(f"RTO {goals.rto_minutes} min for an AZ loss is shorter than restoring a single-AZ instance into a new one (about {RESTORE_MINUTES} min); a Multi-AZ failover takes 1-2 min")
    return why


def tenant_clusters(tenant: TenantPlan, env_name: str, env: EnvironmentPlan) -> list[str]:
    """The keys of the clusters the tenant runs on in ``env_name``: its own, or the shared one and each secondary region's."""
    if _dedicated(tenant, env_name):
        return [names.cluster_key(env_name, tenant.name)]
    return [names.cluster_key(env_name), *(names.regional_key(env_name, r) for r in env.regions[1:])]


def _dedicated(tenant: TenantPlan, env_name: str) -> bool:
    override = tenant.environments.get(env_name)
    return ((override.isolation if override and override.isolation else None) or tenant.isolation) == "dedicated"


def _pods(tenant: TenantPlan, env_name: str) -> tuple[int, FieldPath]:
    override = tenant.environments.get(env_name)
    if override and override.quotas:
        return override.quotas.pods, ("environments", env_name, "quotas", "pods")
    return tenant.quotas.pods, ("quotas", "pods")


def goal_checks(
    at: At, platform: PlatformPlan, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]
) -> None:
    """Performance goals in every production environment, nodes and pods in every environment."""
    _region_scope(at, platform, platform_file)
    for env_name, (env, file) in environments.items():
        if env.tier == "production":
            _production_goals(at, platform, platform_file, env, file)
        _node_budget(at, platform, platform_file, env_name, env, file, tenants)
        if platform.performance.max_pods is not None:
            _pod_budget(at, platform, platform_file, env_name, env, tenants)


def _region_scope(at: At, platform: PlatformPlan, platform_file: str) -> None:
    """RTO and RPO for the loss of a region: only a multi-region design has somewhere to recover into."""
    goals = platform.performance
    if goals.failure_scope != "region":
        return
    if platform.deployment_type == "single-region":
        at(
            platform_file,
            ("performance", "failure_scope"),
            "RTO and RPO are measured for the loss of the region, but a single-region plan has nothing outside it to recover into",
            "set deployment_type: multi-region (secondary regions get a cluster and a copy of the database's backups), or failure_scope: availability-zone",
        )
    elif goals.rto_minutes < RESTORE_MINUTES:
        at(
            platform_file,
            ("performance", "rto_minutes"),
            f"rto_minutes: {goals.rto_minutes} for a region loss: the database comes back by restoring its replicated backups into a new instance in a secondary region, "
            f"which takes about {RESTORE_MINUTES} minutes (infraplan renders no cross-region replica)",
            f"raise it to {RESTORE_MINUTES} or more, or measure it for an AZ loss (failure_scope: availability-zone)",
        )


def _production_goals(at: At, platform: PlatformPlan, platform_file: str, env: EnvironmentPlan, file: str) -> None:
    """What uptime and RTO need of a production environment, refused where the file decides otherwise."""
    goals = platform.performance
    why_multi_az = database_needs_multi_az(goals)
    if why_multi_az and env.database.multi_az is False:
        at(file, ("database", "multi_az"), f"a single-AZ database cannot meet {platform_file}'s goals: {'; '.join(why_multi_az)}", "remove multi_az: false (production is Multi-AZ then), or lower the goals in performance")
    if goals.uptime_percent >= MULTI_AZ_NAT_UPTIME and env.nat in ("none", "single"):
        at(
            file,
            ("nat",),
            f"nat: {env.nat} leaves the private subnets without egress when one AZ (or its NAT gateway) fails, below uptime {goals.uptime_percent} % ({platform_file})",
            "remove nat (production gets one NAT gateway per AZ), or lower performance.uptime_percent below 99.9",
        )
    if goals.uptime_percent >= THREE_AZ_UPTIME and env.availability_zones < 3:
        at(
            file,
            ("availability_zones",),
            f"{env.availability_zones} AZs: an AZ loss leaves one zone running everything, below uptime {goals.uptime_percent} % ({platform_file})",
            "set availability_zones: 3, or lower performance.uptime_percent below 99.95",
        )
    if goals.uptime_percent >= MULTI_AZ_NAT_UPTIME:
        _node_per_zone(at, platform_file, env, file, goals.uptime_percent)

def _node_per_zone(at: At, platform_file: str, env: EnvironmentPlan, file: str, uptime: float) -> None:
    """A node in every AZ: a group that keeps nodes keeps at least one per AZ (EKS spreads a group over
    its subnets' zones); a group that may scale to zero is elastic, but some group the tenants' pods can
    run on (no NoSchedule or NoExecute taint: a system group keeps nodes for the add-ons only) must keep them all."""
    azs = env.availability_zones
    for i, group in enumerate(env.cluster.node_groups):
        if 0 < group.min_size < azs:
            at(
                file,
                ("cluster", "node_groups", i, "min_size"),
                f"node group {group.name} may shrink to {group.min_size} node(s) over {azs} AZs: a zone without one fails with its neighbour, below uptime {uptime} % ({platform_file})",
                f"set min_size to at least {azs} (one node per AZ), or lower performance.uptime_percent below 99.9",
            )
    workload = [g for g in env.cluster.node_groups if not any(t.get("effect") in ("NO_SCHEDULE", "NO_EXECUTE") for t in g.taints)]
    if all(group.min_size == 0 for group in workload):
        tainted = " but tainted ones, which the tenants' pods cannot run on" if len(workload) < len(env.cluster.node_groups) else ""
        at(
            file,
            ("cluster", "node_groups"),
            f"every node group may scale to zero{tainted}: no AZ is sure to keep a node for the tenants' pods, below uptime {uptime} % ({platform_file})",
            f"give an untainted node group min_size {azs} or more (one node per AZ), or lower performance.uptime_percent below 99.9",
        )


def _node_budget(
    at: At, platform: PlatformPlan, platform_file: str, env_name: str, env: EnvironmentPlan, file: str, tenants: dict[str, tuple[TenantPlan, str]]
) -> None:
    """Every cluster of the environment has the environment's node groups: the shared one, each
    secondary region's and each dedicated tenant's; together they may grow to scale.max_nodes."""
    per_cluster = sum(g.max_size for g in env.cluster.node_groups)
    clusters = [names.cluster_key(env_name), *(names.regional_key(env_name, r) for r in env.regions[1:])]
    clusters += [names.cluster_key(env_name, t.name) for t, _ in tenants.values() if _dedicated(t, env_name)]
    total = per_cluster * len(clusters)
    if total <= platform.scale.max_nodes:
        return
    where = f"{len(clusters)} clusters of {per_cluster} nodes each ({', '.join(clusters)})" if len(clusters) > 1 else f"cluster {clusters[0]}"
    at(
        file,
        ("cluster", "node_groups"),
        f"the node groups of {env_name} can grow to {total} nodes over {where}, over scale.max_nodes ({platform.scale.max_nodes})",
        f"raise scale.max_nodes in {platform_file} to at least {total}, or lower max_size" + (" (every dedicated tenant and secondary region adds a cluster of them)" if len(clusters) > 1 else ""),
    )


def _pod_budget(at: At, platform: PlatformPlan, platform_file: str, env_name: str, env: EnvironmentPlan, tenants: dict[str, tuple[TenantPlan, str]]) -> None:
    """The tenants' ResourceQuota pods on each cluster add up to at most performance.max_pods;
    blamed on the tenant (by name) whose quota takes its cluster over."""
    limit = platform.performance.max_pods
    assert limit is not None
    on: dict[str, list[tuple[str, int, str, FieldPath]]] = {}
    for tname, (tenant, tfile) in sorted(tenants.items()):
        pods, path = _pods(tenant, env_name)
        for key in tenant_clusters(tenant, env_name, env):
            on.setdefault(key, []).append((tname, pods, tfile, path))
    for key, quotas in on.items():
        total = sum(pods for _, pods, _, _ in quotas)
        if total <= limit:
            continue
        running = 0
        for tname, pods, tfile, path in quotas:
            running += pods
            if running > limit:
                listed = ", ".join(f"{n} {p}" for n, p, _, _ in quotas)
                at(
                    tfile,
                    path,
                    f"cluster {key} runs up to {total} tenant pods ({listed}), over performance.max_pods ({limit}): {tname}'s quota of {pods} takes it over",
                    f"lower the quotas of the tenants on {key}, or raise performance.max_pods in {platform_file}",
                )
                break
