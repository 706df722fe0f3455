"""Checks that need more than one plan file at a time."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..resolve import names
from .environment import EnvironmentPlan
from .errors import PlanIssue
from .platform import PlatformPlan
from .tenant import TenantPlan
from .yaml_source import FieldPath, SourceMap, format_path


def cross_file_checks(
    platform: PlatformPlan,
    platform_file: str,
    environments: dict[str, tuple[EnvironmentPlan, str]],
    tenants: dict[str, tuple[TenantPlan, str]],
    sources: dict[str, SourceMap],
) -> list[PlanIssue]:
    issues: list[PlanIssue] = []

    def at(file: str, path: FieldPath, message: str, hint: str = "") -> None:
        issues.append(PlanIssue(file, sources[file].line_of(path), format_path(path), message, hint))

    env_names = list(environments)

    # One AWS account per environment.
    seen_accounts: dict[str, str] = {}
    for name, (env, file) in environments.items():
        if env.account_id in seen_accounts:
            at(file, ("account_id",), f"account {env.account_id} is also used by environment '{seen_accounts[env.account_id]}'", "each environment has its own AWS account")
        seen_accounts.setdefault(env.account_id, name)

        # Regions: residency and single/multi-region.
        if platform.constraints.data_residency:
            for i, region in enumerate(env.regions):
                if not region.startswith(platform.constraints.data_residency):
                    at(file, ("regions", i), f"region '{region}' breaks the data residency constraint '{platform.constraints.data_residency}'", f"see {platform_file}: constraints.data_residency")
        if platform.deployment_type == "single-region" and len(env.regions) != 1:
            at(file, ("regions",), f"{len(env.regions)} regions, but deployment_type is single-region", "list one region, or set deployment_type: multi-region")
        if platform.deployment_type == "multi-region" and env.tier == "production" and len(env.regions) < 2:
            at(file, ("regions",), "a multi-region plan needs at least two regions in production", "add a secondary region (and its VPC CIDR in region_vpc_cidrs), or set deployment_type: single-region")

        # Public API endpoint only with an allow-list.
        public = env.cluster.endpoint_public_access if env.cluster.endpoint_public_access is not None else platform.cluster.endpoint_public_access
        cidrs = env.cluster.public_access_cidrs if env.cluster.public_access_cidrs is not None else platform.cluster.public_access_cidrs
        if public and not cidrs:
            at(file, ("cluster", "endpoint_public_access"), "a public API endpoint needs an allow-list", "set cluster.public_access_cidrs to your office or VPN ranges")
        for i, cidr in enumerate(cidrs or []):
            try:
                net = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                loose = ipaddress.ip_network(cidr, strict=False) if _parses(cidr) else None
                at(file, ("cluster", "public_access_cidrs", i), f"'{cidr}' is not a CIDR block", f"did you mean {loose}?" if loose else "")
                continue
            if net.prefixlen == 0:
                at(file, ("cluster", "public_access_cidrs", i), "0.0.0.0/0 opens the Kubernetes API to the internet", "list the ranges that need access")

        known = {"argocd", *platform.components} if platform.gitops.tool == "argocd" else set(platform.components)
        for component in env.component_values:
            if component not in known:
                at(file, ("component_values", component), f"'{component}' is not a chart component of this plan", f"components with charts: {', '.join(sorted(known))}")

        # Scale: node groups within max_nodes.
        total_max = sum(n.max_size for n in env.cluster.node_groups)
        if total_max > platform.scale.max_nodes:
            at(file, ("cluster", "node_groups"), f"node groups can grow to {total_max} nodes, over scale.max_nodes ({platform.scale.max_nodes})", f"raise scale.max_nodes in {platform_file} or lower max_size")

        # Names over AWS limits.
        cluster = names.cluster_name(platform.name, name)
        _check_names(at, file, cluster, names.db_identifier(platform.name, name), platform, env)
        for region in env.regions[1:]:
            _check_names(at, file, names.regional_cluster_name(platform.name, name, region), names.db_identifier(platform.name, name), platform, env)

    # Tenants.
    if len(tenants) > platform.scale.tenants:
        issues.append(PlanIssue(platform_file, sources[platform_file].line_of(("scale", "tenants")), "scale.tenants", f"{len(tenants)} tenants are defined, over scale.tenants ({platform.scale.tenants})"))
    namespace_owner: dict[str, str] = {}
    from ..resolve.addons import chart_catalog

    platform_namespaces = {*names.SYSTEM_NAMESPACES, *(c.namespace for c in chart_catalog().values())}
    database_owner: dict[tuple[str, str], str] = {}  # (env, database on the shared instance) -> tenant
    for tname, (tenant, file) in tenants.items():
        if tname == names.PLATFORM_SECRETS:
            at(file, ("name",), f"the tenant name '{tname}' is reserved: <secrets path>/{tname}/ holds the platform's own secrets", "choose another name")
        if len(tenant.namespaces) > platform.scale.namespaces_per_tenant:
            at(file, ("namespaces",), f"{len(tenant.namespaces)} namespaces, over scale.namespaces_per_tenant ({platform.scale.namespaces_per_tenant})")
        for i, ns in enumerate(tenant.namespaces):
            if ns in platform_namespaces:
                at(file, ("namespaces", i), f"namespace '{ns}' belongs to the platform", f"platform namespaces: {', '.join(sorted(platform_namespaces))}")
            if ns in namespace_owner:
                at(file, ("namespaces", i), f"namespace '{ns}' is also claimed by tenant '{namespace_owner[ns]}'")
            namespace_owner.setdefault(ns, tname)
        for env_name in tenant.environments:
            if env_name not in environments:
                import difflib

                close = difflib.get_close_matches(env_name, env_names, n=1)
                at(file, ("environments", env_name), f"environment '{env_name}' is not defined", (f"did you mean '{close[0]}'? " if close else "") + f"defined: {', '.join(env_names)}")
        for env_name, (env, _) in environments.items():
            override = tenant.environments.get(env_name)
            isolation = (override.isolation if override and override.isolation else None) or tenant.isolation
            role = names.tenant_role(names.cluster_name(platform.name, env_name, tname if isolation == "dedicated" else None), tname, "developers")
            if len(role) > names.IAM_ROLE_NAME_MAX:
                at(file, ("name",), f"the tenant's IAM role '{role}' would be {len(role)} characters, over {names.IAM_ROLE_NAME_MAX}", "shorten the tenant name")
            db = override.database if override and override.database else tenant.database
            db_path: FieldPath = ("environments", env_name, "database") if override and override.database else ("database",)
            if db.mode != "none":
                db_name = db.name or tname.replace("-", "_")
                if db_name in names.RESERVED_DATABASE_NAMES or db_name.startswith(("pg_", "rds_")):
                    at(file, (*db_path, "name"), f"the database name '{db_name}' is reserved on the instance", "choose another name (not postgres, template0/1, rdsadmin, rds_*, pg_*, platform or the master user)")
                wanted = "dedicated" if isolation == "dedicated" else "shared"
                if db.mode != wanted:
                    at(
                        file,
                        (*db_path, "mode"),
                        f"database.mode '{db.mode}' in '{env_name}' does not fit the tenant's {isolation} cluster",
                        "a dedicated cluster has its own VPC and instance (mode: dedicated); a tenant on the shared cluster uses the shared instance (mode: shared)",
                    )
                elif db.mode == "shared":
                    other = database_owner.setdefault((env_name, db_name), tname)
                    if other != tname:
                        at(file, (*db_path, "name"), f"database '{db_name}' on the shared instance of '{env_name}' is also tenant '{other}'s", "give each tenant its own database name")
            if isolation == "dedicated":
                cidr = (override.vpc_cidr if override else None) or tenant.vpc_cidr
                if cidr is None:
                    path: FieldPath = ("environments", env_name, "isolation") if override and override.isolation else ("isolation",)
                    at(file, path, f"a dedicated cluster in '{env_name}' needs its own VPC CIDR", f"set environments.{env_name}.vpc_cidr (or vpc_cidr) to a range that overlaps no other VPC")
                cluster = names.cluster_name(platform.name, env_name, tname)
                _check_names(at, file, cluster, names.db_identifier(platform.name, env_name, tname), platform, env)

    issues += _cidr_overlaps(platform, environments, tenants, sources)
    return issues


def _parses(cidr: str) -> bool:
    try:
        ipaddress.ip_network(cidr, strict=False)
        return True
    except ValueError:
        return False


def _check_names(at: Any, file: str, cluster: str, db_id: str, platform: PlatformPlan, env: EnvironmentPlan) -> None:
    if len(cluster) > names.EKS_CLUSTER_NAME_MAX:
        at(file, ("name",), f"cluster name '{cluster}' is over {names.EKS_CLUSTER_NAME_MAX} characters", "shorten the platform, environment or tenant name")
    longest_role = cluster + max(names.IAM_ROLE_SUFFIXES, key=len)
    if len(longest_role) > names.IAM_ROLE_NAME_MAX:
        at(file, ("name",), f"IAM role names such as '{longest_role}' would be {len(longest_role)} characters, over {names.IAM_ROLE_NAME_MAX}", "shorten the platform, environment or tenant name")
    problem = names.rds_identifier_problem(db_id)
    if problem:
        at(file, ("name",), problem, "shorten the platform, environment or tenant name")
    bucket = names.state_bucket(platform.state_backend.bucket_prefix, env.name, env.account_id)
    if len(bucket) > names.S3_BUCKET_MAX:
        at(file, ("name",), f"state bucket name '{bucket}' is over {names.S3_BUCKET_MAX} characters", "shorten state_backend.bucket_prefix")


def _cidr_overlaps(
    platform: PlatformPlan,
    environments: dict[str, tuple[EnvironmentPlan, str]],
    tenants: dict[str, tuple[TenantPlan, str]],
    sources: dict[str, SourceMap],
) -> list[PlanIssue]:
    # (owner, label, network, file, path)
    vpcs: list[tuple[str, str, ipaddress.IPv4Network, str, FieldPath]] = []
    for name, (env, file) in environments.items():
        vpcs.append((f"env:{name}", f"environment '{name}'", ipaddress.ip_network(env.vpc_cidr), file, ("vpc_cidr",)))
        for region, cidr in env.region_vpc_cidrs.items():
            vpcs.append((f"env:{name}:{region}", f"environment '{name}' in {region}", ipaddress.ip_network(cidr), file, ("region_vpc_cidrs", region)))
    for tname, (tenant, file) in tenants.items():
        for env_name in environments:
            override = tenant.environments.get(env_name)
            isolation = (override.isolation if override and override.isolation else None) or tenant.isolation
            if isolation != "dedicated":
                continue
            if override and override.vpc_cidr:
                cidr, path = override.vpc_cidr, ("environments", env_name, "vpc_cidr")
            elif tenant.vpc_cidr:
                cidr, path = tenant.vpc_cidr, ("vpc_cidr",)
            else:
                continue
            vpcs.append((f"tenant:{tname}", f"tenant '{tname}' in '{env_name}'", ipaddress.ip_network(cidr), file, path))
    issues = []
    for i, (owner_a, label_a, net_a, file_a, path_a) in enumerate(vpcs):
        for owner_b, label_b, net_b, _file_b, _path_b in vpcs[i + 1 :]:
            if owner_a == owner_b and net_a == net_b:
                continue  # the same tenant's VPC in two accounts
            if net_a.overlaps(net_b):
                issues.append(
                    PlanIssue(
                        file_a,
                        sources[file_a].line_of(path_a),
                        format_path(path_a),
                        f"VPC CIDR {net_a} of {label_a} overlaps {net_b} of {label_b}",
                        "VPCs that may be peered or joined by a transit gateway must not overlap; pick another /16",
                    )
                )
    return issues
