"""Checks that need more than one plan file at a time.

Every issue is reported in the file that holds the value to change: a platform-wide
default in platform.yaml (once, not once per environment), an environment's own value in
its file, a tenant's in the tenant's file.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from ..resolve import names
from ..resolve.database import LOG_EXPORTS
from ..value_checks.aws import S3_RESERVED_PREFIXES
from .base import group_key, parse_quantity
from .environment import EnvironmentPlan
from .errors import PlanIssue
from .complexity import complexity_checks
from .goals import goal_checks
from .platform import PlatformPlan, SsoDecision
from .tenant import GROUP_ROLES, Quotas, TenantDatabase, TenantPlan
from .yaml_source import FieldPath, SourceMap, format_path

AWS_TAGS_MAX = 50  # tags per AWS resource
INFRAPLAN_TAG_KEYS = ("managed-by", "infraplan:platform", "infraplan:environment", "infraplan:tenant", "Name")
TXT_OWNER_PREFIX = "cname-"  # external-dns' TXT registry names a record's owner record <type>-<first label>...: the longest type it writes

At = Callable[..., None]
API_ACCESS_HINT = (
    "add cluster.api_access (platform.yaml, or <env>.yaml for one environment): cidrs of the VPC, a peered VPC or a VPN, "
    "and/or security_group_ids of a CI runner or a bastion; docs/deploy.md shows an SSM bastion in the VPC"
)


def _line(sources: dict[str, SourceMap], file: str, path: FieldPath) -> int | None:
    """The line of ``path`` in ``file``; none for a plan built in Python (it has no files)."""
    source = sources.get(file)
    return source.line_of(path) if source is not None else None


def cross_file_checks(
    platform: PlatformPlan,
    platform_file: str,
    environments: dict[str, tuple[EnvironmentPlan, str]],
    tenants: dict[str, tuple[TenantPlan, str]],
    sources: dict[str, SourceMap],
) -> list[PlanIssue]:
    issues: list[PlanIssue] = []

    def at(file: str, path: FieldPath, message: str, hint: str = "") -> None:
        issues.append(PlanIssue(file, _line(sources, file, path), format_path(path), message, hint))

    _environment_checks(at, platform, platform_file, environments)
    _tenant_checks(at, platform, platform_file, environments, tenants)
    _dns_checks(at, platform, platform_file, environments, tenants)
    _group_checks(at, platform, platform_file, tenants, sources)
    _tenant_trust_checks(at, environments, tenants)
    _admin_checks(at, platform, platform_file, environments, tenants)
    _derived_name_checks(at, platform, platform_file, environments, tenants, sources)
    goal_checks(at, platform, platform_file, environments, tenants)
    complexity_checks(at, platform, platform_file, tenants)
    _gate_checks(at, platform, platform_file, environments)
    issues += _cidr_overlaps(platform, environments, tenants, sources)
    return issues


def _gate_checks(at: At, platform: PlatformPlan, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]]) -> None:
    """A gate's per-environment params name environments of the plan (a typo would silently take the default)."""
    for i, gate in enumerate(platform.constitution):
        for env in (gate.params.get("environments") or {}) if gate.rule == "min-azs" else {}:
            if env not in environments:
                close = difflib.get_close_matches(env, list(environments), n=1)
                hint = (f"did you mean '{close[0]}'? " if close else "") + f"environments: {', '.join(environments)}"
                at(platform_file, ("constitution", i, "params", "environments", env), f"'{env}' is not an environment of the plan", hint)


def _tenant_checks(
    at: At, platform: PlatformPlan, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]
) -> None:
    """Each tenant's names, namespaces and environments against the platform and the other tenants."""
    env_names = list(environments)
    if len(tenants) > platform.scale.tenants:
        at(platform_file, ("scale", "tenants"), f"{len(tenants)} tenants are defined, over scale.tenants ({platform.scale.tenants})", f"raise scale.tenants to at least {len(tenants)}")
    namespace_owner: dict[str, str] = {}
    from ..resolve.addons import chart_catalog

    platform_namespaces = {*names.SYSTEM_NAMESPACES, *(c.namespace for c in chart_catalog().values()), *(m.namespace for m in platform.manifest_components)}
    database_owner: dict[tuple[str, str], str] = {}  # (env, database on the shared instance) -> tenant
    for tname, (tenant, file) in tenants.items():
        if tname == names.PLATFORM_SECRETS:
            at(file, ("name",), f"the tenant name '{tname}' is reserved: <secrets path>/{tname}/ holds the platform's own secrets", "choose another name")
        if len(tenant.namespaces) > platform.scale.namespaces_per_tenant:
            at(file, ("namespaces",), f"{len(tenant.namespaces)} namespaces, over scale.namespaces_per_tenant ({platform.scale.namespaces_per_tenant})", f"list fewer, or raise scale.namespaces_per_tenant in {platform_file}")
        for i, ns in enumerate(tenant.namespaces):
            if ns in platform_namespaces:
                at(file, ("namespaces", i), f"namespace '{ns}' belongs to the platform", f"platform namespaces: {', '.join(sorted(platform_namespaces))}")
            if ns in namespace_owner:
                at(file, ("namespaces", i), f"namespace '{ns}' is also claimed by tenant '{namespace_owner[ns]}' ({tenants[namespace_owner[ns]][1]})", "a namespace belongs to one tenant")
            namespace_owner.setdefault(ns, tname)
        for env_name in tenant.environments:
            if env_name not in environments:
                close = difflib.get_close_matches(env_name, env_names, n=1)
                at(file, ("environments", env_name), f"environment '{env_name}' is not defined", (f"did you mean '{close[0]}'? " if close else "") + f"defined: {', '.join(env_names)}")
        for env_name in environments:
            _tenant_environment_checks(at, tname, tenant, file, env_name, environments[env_name][0], tenants, database_owner)
        _quota_checks(at, tenant, file, environments)
    _shared_app_name_checks(at, environments, tenants)


def _shared_app_name_checks(at: At, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]) -> None:
    """Apps of the tenants that share an environment's cluster share its tree's apps/<name>/ folder
    (and ArgoCD's Application names): one name, one app. A dedicated tenant's apps are in its own tree."""
    clashes: dict[tuple[str, int], tuple[str, list[str]]] = {}  # (tenant, app index) -> (the name's first tenant, environments)
    for env_name in environments:
        owner: dict[str, str] = {}
        for tname, (tenant, _) in tenants.items():
            for i, app in enumerate(tenant.apps if _isolation(tenant, env_name) == "shared" else ()):
                first = owner.setdefault(app.name, tname)
                if first != tname:
                    clashes.setdefault((tname, i), (first, []))[1].append(env_name)
    for (tname, i), (first, envs) in clashes.items():
        tenant, file = tenants[tname]
        name = tenant.apps[i].name
        at(
            file,
            ("apps", i, "name"),
            f"app '{name}' is also an app of tenant {first} ({tenants[first][1]}); both run on the shared cluster of {', '.join(envs)}, whose tree has one apps/{name}/",
            f"give one of them another name, e.g. {tname}-{name}",
        )


def _tenant_environment_checks(
    at: At, tname: str, tenant: TenantPlan, file: str, env_name: str, env: EnvironmentPlan, tenants: dict[str, tuple[TenantPlan, str]], database_owner: dict[tuple[str, str], str]
) -> None:
    """A tenant in one environment: its database fits its cluster and is its own, a dedicated cluster has a VPC range."""
    override = tenant.environments.get(env_name)
    isolation = _isolation(tenant, env_name)
    db, db_path = _tenant_database(tenant, env_name)
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
                at(file, (*db_path, "name"), f"database '{db_name}' on the shared instance of '{env_name}' is also tenant '{other}'s ({tenants[other][1]})", "give each tenant its own database name")
    if isolation == "dedicated":
        cidr = (override.vpc_cidr if override else None) or tenant.vpc_cidr
        if cidr is None:
            path: FieldPath = ("environments", env_name, "isolation") if override and override.isolation else ("isolation",)
            at(file, path, f"a dedicated cluster in '{env_name}' needs its own VPC CIDR", f"set environments.{env_name}.vpc_cidr (or vpc_cidr) to a range that overlaps no other VPC")
    _multi_region_tenant_checks(at, tenant, file, env_name, env, isolation)


def _dns_checks(
    at: At, platform: PlatformPlan, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]
) -> None:
    """Each environment (account) has its own domain and zone, and every hostname lies in it:
    a zone lives in one account, and a name published from two clusters would flip between them."""
    sso = platform.gitops.sso if platform.gitops.tool == "argocd" else None
    domains: dict[str, str] = {}
    zones: dict[str, str] = {}
    for name, (env, file) in environments.items():
        hosted = [(tname, tfile, i) for tname, (t, tfile) in tenants.items() for i, a in enumerate(t.apps) if a.host]
        if env.dns is None:
            _missing_dns_check(at, platform, platform_file, name, file, hosted)
            continue
        domain = env.dns.domain
        for other, other_domain in domains.items():
            if domain == other_domain or domain.endswith(f".{other_domain}") or other_domain.endswith(f".{domain}"):
                relation = "the same domain as" if domain == other_domain else "a domain nested with that of"
                at(file, ("dns", "domain"), f"'{domain}' is {relation} environment '{other}' ('{other_domain}', {environments[other][1]})", "give each environment its own domain, none inside another (e.g. dev.acme.example.com, prod.acme.example.com)")
                break
        domains[name] = domain
        zone = env.dns.hosted_zone_id
        if zone is not None:
            if zone in zones:
                at(file, ("dns", "hosted_zone_id"), f"zone {zone} is also environment '{zones[zone]}''s ({environments[zones[zone]][1]})", "a zone lives in one account: each environment names its own")
            zones.setdefault(zone, name)
        published = _argocd_hosts(at, platform_file, sso, name, env, domain, tenants) if sso is not None else {}
        _app_host_checks(at, platform, name, domain, environments, tenants, hosted, published)


def _missing_dns_check(at: At, platform: PlatformPlan, platform_file: str, name: str, file: str, hosted: list[tuple[str, str, int]]) -> None:
    """An environment without a domain, though something of the plan publishes or certifies names in it."""
    dns01 = "cert-manager" in platform.components and platform.certificates is not None and platform.certificates.challenge == "dns-01"
    sso_in_dns = (platform.gitops.sso if platform.gitops.tool == "argocd" else None) is not None
    needs = (
        "external-dns publishes its hostnames" if "external-dns" in platform.components
        else f"cert-manager's DNS-01 challenge edits its zone ({platform_file}: certificates.challenge)" if dns01
        else f"app hosts are names in it ({hosted[0][1]}: apps[{hosted[0][2]}].host)" if hosted
        else f"ArgoCD's SSO URL is published and certified in it ({platform_file}: gitops.sso)" if sso_in_dns
        else None
    )  # fmt: skip
    if needs:
        at(file, ("dns",), f"environment '{name}' has no dns domain, but {needs}", "add dns: {domain: " + f"{name}.<your domain>" + "} (Terraform creates its Route 53 zone in this account)")


def _argocd_hosts(
    at: At, platform_file: str, sso: SsoDecision, name: str, env: EnvironmentPlan, domain: str, tenants: dict[str, tuple[TenantPlan, str]]
) -> dict[str, str]:
    """Each cluster's ArgoCD, served by ingress-nginx, published by external-dns, certified in this
    zone: its hostname (to the owner it is published for) must lie in the environment's domain."""
    from ..addons.argocd import sso_hostname

    published: dict[str, str] = {}
    keys = [names.cluster_key(name), *(names.regional_key(name, r) for r in env.regions[1:])]
    keys += [names.cluster_key(name, t) for t, (tp, _) in tenants.items() if _isolation(tp, name) == "dedicated"]
    for key in keys:
        host = sso_hostname(sso.domain, key, name, domain)
        if not host.endswith(f".{domain}"):
            at(
                platform_file,
                ("gitops", "sso", "domain"),
                f"ArgoCD of cluster '{key}' would be {host}, outside environment '{name}''s domain {domain}: its Ingress could be neither published nor certified there",
                "leave gitops.sso.domain out: each ArgoCD is then argocd.<the environment's dns.domain> (argocd-<tenant or region>.<...> for the others)",
            )
            break
        published[host] = f"ArgoCD of {key}"
    return published


def _app_host_checks(
    at: At,
    platform: PlatformPlan,
    name: str,
    domain: str,
    environments: dict[str, tuple[EnvironmentPlan, str]],
    tenants: dict[str, tuple[TenantPlan, str]],
    hosted: list[tuple[str, str, int]],
    published: dict[str, str],
) -> None:
    """Every app host of one environment: in its domain, within DNS limits, and nobody else's."""
    others = {o: e.dns.domain for o, (e, _) in environments.items() if o != name and e.dns is not None}
    for tname, tfile, i in hosted:
        app = tenants[tname][0].apps[i]
        host = names.app_hostname(app.host or "", domain)
        foreign = next((o for o, d in others.items() if host != app.host and (app.host == d or (app.host or "").endswith(f".{d}"))), None)
        if foreign is not None:
            at(tfile, ("apps", i, "host"), f"'{app.host}' lies in environment '{foreign}''s domain; in '{name}' it would become '{host}'", "write the host relative to the environment's domain (e.g. its first label): each environment then gets its own name")
            continue
        if len(host) > 253:
            at(tfile, ("apps", i, "host"), f"'{host}' (in '{name}') has {len(host)} characters; a DNS name has at most 253", "choose a shorter host")
        elif "external-dns" in platform.components and (len(host) + len(TXT_OWNER_PREFIX) > 253 or len(host.split(".")[0]) + len(TXT_OWNER_PREFIX) > 63):
            at(
                tfile,
                ("apps", i, "host"),
                f"external-dns could not publish '{host}' (in '{name}'): its ownership record is named '{TXT_OWNER_PREFIX}{host}', over DNS limits (253 characters, 63 per label)",
                f"shorten the host's first label to at most {63 - len(TXT_OWNER_PREFIX)} characters and the whole name to {253 - len(TXT_OWNER_PREFIX)}",
            )
        owner = published.setdefault(host, f"{tname}/{app.name}")
        if owner != f"{tname}/{app.name}":
            taken = owner if owner.startswith("ArgoCD") else f"app {owner}"
            at(tfile, ("apps", i, "host"), f"hostname '{host}' in '{name}' is also {taken}'s", "give each app its own host")


def _admin_checks(
    at: At, platform: PlatformPlan, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]
) -> None:
    """Cluster-admins per environment (#12 below-defaults 2): each of an environment's own admins is in
    its account (a dev role is never cluster-admin in prod), another account's only when <env>.yaml
    names it under platform_admins.cross_account_principal_arns, and every cluster has one."""
    default = platform.platform_admins.principal_arns
    for name, (env, file) in environments.items():
        own = env.platform_admins.principal_arns if env.platform_admins and env.platform_admins.principal_arns is not None else None
        where, path, arns = (file, ("platform_admins", "principal_arns"), own) if own is not None else (platform_file, ("platform_admins", "principal_arns"), default)
        for i, arn in enumerate(arns):
            account = arn.split(":")[4]
            if account != env.account_id:
                at(
                    where,
                    (*path, i),
                    f"'{arn}' (account {account}) would be cluster-admin in '{name}', whose account is {env.account_id}",
                    (f"in {file}, write platform_admins.principal_arns with roles of account {env.account_id}" if own is None else f"name a role of account {env.account_id}")
                    + f", or, to trust this principal of another account on purpose, list it under platform_admins.cross_account_principal_arns in {file}",
                )
        cross = env.platform_admins.cross_account_principal_arns if env.platform_admins else []
        for i, arn in enumerate(cross):
            if arn.split(":")[4] == env.account_id:
                at(file, ("platform_admins", "cross_account_principal_arns", i), f"'{arn}' is in '{name}''s own account {env.account_id}", "list it under platform_admins.principal_arns")
        if not arns and not cross:
            clusters = [names.cluster_key(name)] + [names.cluster_key(name, t) for t, (tp, _) in tenants.items() if _isolation(tp, name) == "dedicated"]
            at(
                file if env.platform_admins is not None else platform_file,
                ("platform_admins",) if env.platform_admins is not None else ("platform_admins", "principal_arns"),
                f"no cluster-admin for the clusters of '{name}' ({', '.join(clusters)}): nobody could administer them through EKS access entries",
                f"list at least one IAM role of account {env.account_id} under platform_admins.principal_arns in {file}",
            )


def _tenant_trust_checks(at: At, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]) -> None:
    """Each tenant role (<cluster>-<tenant>-<role>, one per role with groups) trusts named principals
    of its environment's account, unless the tenant says access_trust: account (the account root)."""
    for tname, (tenant, file) in tenants.items():
        for env_name, (env, _) in environments.items():
            override = tenant.environments.get(env_name)
            named = override.access_principals if override else None
            base = ("environments", env_name, "access_principals")
            if tenant.access_trust == "account":
                if named is not None:
                    at(file, base, f"environments.{env_name}.access_principals is ignored with access_trust: account (the account root is trusted)", "remove access_trust: account to trust these principals only, or remove access_principals")
                continue
            for kind in GROUP_ROLES:
                arns = getattr(named, kind) if named else []
                if getattr(tenant.groups, kind) and not arns:
                    at(
                        file,
                        (*base, kind) if named else ("groups", kind),
                        f"nobody may assume the {kind} role of tenant '{tname}' in '{env_name}': environments.{env_name}.access_principals.{kind} is empty",
                        f"list the IAM role ARNs (e.g. IAM Identity Center permission-set roles) of account {env.account_id} that may assume it, "
                        "or write access_trust: account to let any principal of the account whose IAM policy allows it",
                    )
                if arns and not getattr(tenant.groups, kind):
                    at(file, (*base, kind), f"tenant '{tname}' has no {kind} groups, so there is no {kind} role to assume", f"add groups.{kind}, or remove these principals")
                for i, arn in enumerate(arns):
                    account = arn.split(":")[4]
                    if account != env.account_id:
                        at(
                            file,
                            (*base, kind, i),
                            f"'{arn}' is in account {account}, not in '{env_name}''s account {env.account_id}",
                            f"name a principal of account {env.account_id} (each environment is its own account)",
                        )


def _multi_region_tenant_checks(at: At, tenant: TenantPlan, file: str, env_name: str, env: EnvironmentPlan, isolation: str) -> None:
    """What a secondary region cannot give a tenant yet: a dedicated cluster is built in the
    primary region only (nothing in the others, its database backups not copied), and a shared
    tenant's apps run on every region's cluster, where nothing reaches the primary database."""
    if len(env.regions) < 2:
        return
    primary, others = env.regions[0], ", ".join(env.regions[1:])
    if isolation == "dedicated":
        at(
            file,
            _isolation_path(tenant, env_name),
            f"tenant '{tenant.name}' is dedicated in '{env_name}', which spans several regions: its cluster, VPC and database would exist in {primary} only, "
            f"nothing in {others}, and its database backups would not be copied there",
            f"replicating a dedicated cluster is not built: use isolation: shared in '{env_name}' (the shared clusters run in every region), "
            f"or list one region in {env_name}.yaml",
        )
        return
    for i, app in enumerate(tenant.apps):
        if app.uses_database:
            at(
                file,
                ("apps", i, "uses_database"),
                f"app '{app.name}' uses a database, but in '{env_name}' it would also run on the cluster in {others}, "
                f"which nothing connects to the database in {primary} (no VPC peering, no read replica)",
                f"cross-region database access is not built: an app that uses the database can run in single-region environments only; "
                f"set uses_database: false, or list one region in {env_name}.yaml",
            )


def _isolation(tenant: TenantPlan, env_name: str) -> str:
    override = tenant.environments.get(env_name)
    return (override.isolation if override and override.isolation else None) or tenant.isolation


def _isolation_path(tenant: TenantPlan, env_name: str) -> FieldPath:
    override = tenant.environments.get(env_name)
    return ("environments", env_name, "isolation") if override and override.isolation else ("isolation",)


def _tenant_database(tenant: TenantPlan, env_name: str) -> tuple[TenantDatabase, FieldPath]:
    override = tenant.environments.get(env_name)
    if override and override.database:
        return override.database, ("environments", env_name, "database")
    return tenant.database, ("database",)


def _environment_checks(at: At, platform: PlatformPlan, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]]) -> None:
    """Each environment's own rules; a default every environment takes from platform.yaml is blamed
    there, once, naming the environments that use it."""
    seen_accounts: dict[str, str] = {}
    public_without_list: list[str] = []  # environments that inherit a public endpoint and an empty list from platform.yaml
    private_unreachable: list[str] = []  # environments that inherit a private endpoint and no api_access from platform.yaml
    pinned_by_default: list[str] = []  # environments that inherit a pinned minor and automatic minor upgrades from platform.yaml
    for name, (env, file) in environments.items():
        # One AWS account per environment.
        if env.account_id in seen_accounts:
            other = seen_accounts[env.account_id]
            at(file, ("account_id",), f"account {env.account_id} is also used by environment '{other}' ({environments[other][1]})", "each environment has its own AWS account")
        seen_accounts.setdefault(env.account_id, name)
        _region_checks(at, platform, platform_file, env, file)
        _compliance_checks(at, platform, platform_file, env, file)
        _api_endpoint_checks(at, platform, platform_file, name, env, file, public_without_list, private_unreachable)
        _node_and_tag_checks(at, platform, platform_file, name, env, file)

        # A pinned minor with automatic minor upgrades: blamed where the version or the switch is written.
        if (pinned := _pinned_minor_problem(platform, env)) is not None:
            message, hint = pinned
            if env.database.engine_version is not None:
                at(file, ("database", "engine_version"), message, hint + f" ({file})")
            elif env.database.auto_minor_version_upgrade is not None:
                at(file, ("database", "auto_minor_version_upgrade"), message, hint + f" ({file})")
            else:
                pinned_by_default.append(name)

    if pinned_by_default and (pinned := _pinned_minor_problem(platform, environments[pinned_by_default[0]][0])) is not None:
        message, hint = pinned
        at(platform_file, ("database", "engine_version"), f"{message} (environments {', '.join(pinned_by_default)} use this default)", hint + f" ({platform_file})")
    if public_without_list:
        at(
            platform_file,
            ("cluster", "endpoint_public_access"),
            f"a public API endpoint needs an allow-list (environments {', '.join(public_without_list)} use this default with no public_access_cidrs)",
            "set cluster.public_access_cidrs to your office or VPN ranges",
        )
    if private_unreachable:
        at(
            platform_file,
            ("cluster", "endpoint_public_access"),
            f"the API endpoint is private and no cluster.api_access says who may reach it (environments {', '.join(private_unreachable)})",
            API_ACCESS_HINT,
        )
    prefix = platform.state_backend.bucket_prefix
    if prefix.startswith(S3_RESERVED_PREFIXES):
        at(platform_file, ("state_backend", "bucket_prefix"), f"S3 bucket names may not start with '{next(p for p in S3_RESERVED_PREFIXES if prefix.startswith(p))}'", "choose another bucket_prefix")


def _compliance_checks(at: At, platform: PlatformPlan, platform_file: str, env: EnvironmentPlan, file: str) -> None:
    """An environment's own value may not go below what a compliance framework in scope asks for
    (resolve/compliance.py): the plan would claim a control it does not render."""
    from ..resolve.compliance import floor

    def shown(v: object) -> str:
        return str(v).lower() if isinstance(v, bool) else str(v)

    frameworks = platform.constraints.compliance
    for path, value, setting in (
        (("flow_logs_retention_days",), env.flow_logs_retention_days, "log_retention_days"),
        (("database", "backup_retention_days"), env.database.backup_retention_days, "backup_retention_days"),
        (("database", "deletion_protection"), env.database.deletion_protection, "deletion_protection"),
    ):
        asked = floor(env.tier, frameworks, setting)
        if value is None or asked is None:
            continue
        below = (value is False and asked.value is True) if isinstance(asked.value, bool) else (value != 0 and value < asked.value) or (value == 0 and setting == "backup_retention_days")
        if below:
            at(
                file,
                path,
                f"{shown(value)} does not meet what {asked.framework} asks for in a {env.tier} environment: {shown(asked.value)} ({asked.requirement})",
                f"set {shown(asked.value)} or leave it out, or remove {asked.framework} from {platform_file}: constraints.compliance",
            )


def _region_checks(at: At, platform: PlatformPlan, platform_file: str, env: EnvironmentPlan, file: str) -> None:
    """Regions: residency, single- or multi-region, and the backups a secondary region copies."""
    residency = platform.constraints.data_residency
    if residency:
        allowed = " or ".join(f"'{p}'" for p in residency)
        for i, region in enumerate(env.regions):
            if not region.startswith(tuple(residency)):
                held = "the environment's state, secrets, cluster and database" if i == 0 else "a cluster and copies of the database's backups"
                at(file, ("regions", i), f"region '{region}' (it would hold {held}) breaks the data residency constraint {allowed}", f"choose a region starting with {allowed} ({platform_file}: constraints.data_residency)")
    if platform.deployment_type == "single-region" and len(env.regions) != 1:
        at(file, ("regions",), f"{len(env.regions)} regions, but deployment_type is single-region", f"list one region, or set deployment_type: multi-region in {platform_file}")
    if platform.deployment_type == "multi-region" and env.tier == "production" and len(env.regions) < 2:
        at(file, ("regions",), "a multi-region plan needs at least two regions in production", f"add a secondary region (and its VPC CIDR in region_vpc_cidrs), or set deployment_type: single-region in {platform_file}")
    if len(env.regions) > 1 and env.database.backup_retention_days == 0:
        at(file, ("database", "backup_retention_days"), "0 turns off automated backups, but the secondary regions receive a copy of them", "keep at least 1 day")


def _api_endpoint_checks(
    at: At, platform: PlatformPlan, platform_file: str, name: str, env: EnvironmentPlan, file: str, public_without_list: list[str], private_unreachable: list[str]
) -> None:
    """A public API endpoint only with an allow-list, a private one only if something may reach it;
    blamed where the deciding value is written (an inherited default is collected for platform.yaml)."""
    public = env.cluster.endpoint_public_access if env.cluster.endpoint_public_access is not None else platform.cluster.endpoint_public_access
    cidrs = env.cluster.public_access_cidrs if env.cluster.public_access_cidrs is not None else platform.cluster.public_access_cidrs
    if public and not cidrs:
        if env.cluster.public_access_cidrs is not None:
            at(file, ("cluster", "public_access_cidrs"), "a public API endpoint needs an allow-list, and this one is empty", "list your office or VPN ranges, or set cluster.endpoint_public_access: false")
        elif env.cluster.endpoint_public_access:
            at(file, ("cluster", "endpoint_public_access"), "a public API endpoint needs an allow-list", f"set cluster.public_access_cidrs here or in {platform_file} to your office or VPN ranges")
        else:
            public_without_list.append(name)

    # A private-only endpoint that nothing but the nodes may reach: pulumi up and kubectl time out.
    access = env.cluster.api_access if env.cluster.api_access is not None else platform.cluster.api_access
    if not public and access.empty:
        if env.cluster.api_access is not None:
            at(file, ("cluster", "api_access"), "the API endpoint is private and this api_access admits nobody: nothing outside the nodes can reach it", API_ACCESS_HINT)
        elif env.cluster.endpoint_public_access is False:
            at(file, ("cluster", "endpoint_public_access"), "the API endpoint is private and no cluster.api_access says who may reach it", API_ACCESS_HINT)
        else:
            private_unreachable.append(name)


def _node_and_tag_checks(at: At, platform: PlatformPlan, platform_file: str, name: str, env: EnvironmentPlan, file: str) -> None:
    """AMI releases, chart values, the node count and the tags each resource would carry."""
    # A pinned AMI release belongs to the cluster's Kubernetes version.
    for i, group in enumerate(env.cluster.node_groups):
        if group.release_version is not None and not group.release_version.startswith(f"{platform.kubernetes.version}."):
            at(
                file,
                ("cluster", "node_groups", i, "release_version"),
                f"AMI release {group.release_version} is not one of Kubernetes {platform.kubernetes.version} ({platform_file}: kubernetes.version); EKS refuses it",
                f"pin a {platform.kubernetes.version}.<patch>-<date> release, or leave release_version out for the latest",
            )

    known = {"argocd", *platform.components} if platform.gitops.tool == "argocd" else set(platform.components)
    for component in env.component_values:
        if component not in known:
            at(file, ("component_values", component), f"'{component}' is not a chart component of this plan", f"components with charts: {', '.join(sorted(known))}")

    # Tags: platform's, then the environment's, then infraplan's own, on every resource.
    keys = {*platform.tags, *env.tags, *INFRAPLAN_TAG_KEYS}
    if len(keys) > AWS_TAGS_MAX:
        where, path = (file, ("tags",)) if env.tags else (platform_file, ("tags",))
        at(where, path, f"resources of '{name}' would carry {len(keys)} tags, over the {AWS_TAGS_MAX} AWS allows", f"infraplan adds {len(INFRAPLAN_TAG_KEYS)} of its own; drop tags from {platform_file} or {file}")


def _pinned_minor_problem(platform: PlatformPlan, env: EnvironmentPlan) -> tuple[str, str] | None:
    """RDS upgrades the minor of an instance with auto_minor_version_upgrade on; the provider
    accepts that drift only for a major ("16" matches 16.x). Against a pinned "16.9" every plan
    then asks for a downgrade, which RDS refuses: the apply fails."""
    version = env.database.engine_version or platform.database.engine_version
    auto = env.database.auto_minor_version_upgrade
    if auto is None:
        auto = platform.database.auto_minor_version_upgrade
    if "." not in version or not auto:
        return None
    major = version.split(".")[0]
    return (
        f"engine_version '{version}' pins a minor while auto_minor_version_upgrade is on: once RDS upgrades the minor, every plan asks to go back to {version} and the apply fails",
        f"write '{major}' (RDS's current {major}.x, kept current by the automatic upgrades), or set database.auto_minor_version_upgrade: false to hold {version} "
        "and upgrade the minor yourself before RDS stops offering it",
    )


# --- Quotas: what the GitOps tree splits and what the apps ask for -------------------------


def _quota_checks(at: At, tenant: TenantPlan, file: str, environments: dict[str, tuple[EnvironmentPlan, str]]) -> None:
    """Each namespace gets an even share of the tenant quota (resolve/gitops.namespace_quota): the
    share must not round to nothing, and the apps in a namespace must fit in its share and under
    the LimitRange's maximum, or their pods are refused at admission."""
    from ..resolve.gitops import CONTAINER_DEFAULTS

    parts = len(tenant.namespaces)
    max_memory = parse_quantity(CONTAINER_DEFAULTS["max"]["memory"])
    for i, app in enumerate(tenant.apps):
        if parse_quantity(app.memory) > max_memory:
            at(file, ("apps", i, "memory"), f"app '{app.name}' asks for {app.memory} of memory; a container may have at most {CONTAINER_DEFAULTS['max']['memory']} (the namespaces' LimitRange)", f"at most {CONTAINER_DEFAULTS['max']['memory']}: run more replicas instead")
    reported: set[FieldPath] = set()
    for env_name in environments:
        override = tenant.environments.get(env_name)
        quotas: Quotas = override.quotas if override and override.quotas else tenant.quotas
        qpath: FieldPath = ("environments", env_name, "quotas") if override and override.quotas else ("quotas",)
        cpu_share = parse_quantity(quotas.cpu) * 1000 // parts  # millicores, as namespace_quota rounds
        memory_share = parse_quantity(quotas.memory) // parts // 2**20 * 2**20  # bytes, rounded down to 1Mi
        pod_share = max(1, quotas.pods // parts)
        problems: list[tuple[FieldPath, str, str]] = []
        if cpu_share < 1:
            problems.append(((*qpath, "cpu"), f"cpu {quotas.cpu} split over {parts} namespaces leaves each less than 1m", f"at least {parts}m"))
        if memory_share < 2**20:
            problems.append(((*qpath, "memory"), f"memory {quotas.memory} split over {parts} namespaces leaves each less than 1Mi", f"at least {parts}Mi"))
        for ns in tenant.namespaces:
            apps = [a for a in tenant.apps if a.namespace == ns]
            cpu = sum(parse_quantity(a.cpu) * 1000 * a.replicas for a in apps)
            memory = sum(parse_quantity(a.memory) * a.replicas for a in apps)
            pods = sum(a.replicas for a in apps)
            share = f"namespace '{ns}' gets 1/{parts} of the tenant quota in '{env_name}'"
            if cpu > cpu_share and cpu_share >= 1:
                problems.append(((*qpath, "cpu"), f"the apps of {ns} ask for {_milli(cpu)} of CPU, but {share}: {_milli(cpu_share)}", f"raise cpu to at least {_milli(cpu * parts)}, or lower the apps' cpu or replicas"))
            if memory > memory_share and memory_share >= 2**20:
                problems.append(((*qpath, "memory"), f"the apps of {ns} ask for {_mib(memory)} of memory, but {share}: {_mib(memory_share)}", f"raise memory to at least {_mib(memory * parts)}, or lower the apps' memory or replicas"))
            if pods > pod_share:
                problems.append(((*qpath, "pods"), f"the apps of {ns} run {pods} pods, but {share}: {pod_share} pods", f"raise pods to at least {pods * parts}"))
        for path, message, hint in problems:
            if path not in reported:
                reported.add(path)
                at(file, path, message, hint)


def _milli(milli: object) -> str:
    value = int(milli)  # type: ignore[call-overload]
    return f"{value // 1000}" if value % 1000 == 0 else f"{value}m"


def _mib(size: object) -> str:
    mib = -(-int(size) // 2**20)  # type: ignore[call-overload]
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


# --- Identity groups: each belongs to one tenant, or to the platform -----------------------


def _group_checks(at: At, platform: PlatformPlan, platform_file: str, tenants: dict[str, tuple[TenantPlan, str]], sources: dict[str, SourceMap]) -> None:
    """A group in a tenant's RoleBindings, EKS access entries and ArgoCD project gets that tenant's
    rights. If two owners list it, the members of one get the other's rights (org-a's IAM role mapped
    to org-b's admin group is admin in org-b's namespaces), so a group has exactly one owner."""
    claims: dict[str, list[tuple[str, str, str, FieldPath]]] = defaultdict(list)  # key -> [(owner, group, file, path)]
    for i, group in enumerate(platform.platform_admins.groups):
        claims[group_key(group)].append(("the platform", group, platform_file, ("platform_admins", "groups", i)))
    for tname, (tenant, file) in tenants.items():
        for role in GROUP_ROLES:
            for i, group in enumerate(getattr(tenant.groups, role)):
                claims[group_key(group)].append((f"tenant '{tname}'", group, file, ("groups", role, i)))
    for key, owners in claims.items():
        if len({o[0] for o in owners}) < 2:
            continue
        owner = _rightful_owner(owners, tenants)
        first = owners[owner]
        for j, (who, group, file, path) in enumerate(owners):
            if j == owner or who == first[0]:
                continue
            line = _line(sources, first[2], first[3])
            at(
                file,
                path,
                f"group '{group}' belongs to {first[0]} ({first[2]}:{line}); {who} may not claim it",
                "a group belongs to exactly one tenant or to the platform: use a group of your own, or remove it from the other file",
            )


def _rightful_owner(owners: list[tuple[str, str, str, FieldPath]], tenants: dict[str, tuple[TenantPlan, str]]) -> int:
    """The platform if it lists the group; else the one tenant whose name the group carries; else the first."""
    for j, (who, *_rest) in enumerate(owners):
        if who == "the platform":
            return j
    named = [j for j, (who, group, *_rest) in enumerate(owners) if any(who == f"tenant '{t}'" and group_key(group).startswith(f"{t}-") for t in tenants)]
    return named[0] if len({owners[j][0] for j in named}) == 1 else 0


# --- Derived names: unique, within limits ---------------------------------------------------


@dataclass(frozen=True)
class _Owner:
    key: str
    label: str
    file: str
    path: FieldPath
    hint: str


_LIMITS = {
    "EKS cluster": names.EKS_CLUSTER_NAME_MAX,
    "IAM role": names.IAM_ROLE_NAME_MAX,
    "S3 bucket": names.S3_BUCKET_MAX,
    "launch template": 128,
    "DynamoDB table": 255,
    "KMS alias": 256 - len("alias/"),
}


class _NameClaims:
    """The names the renderers derive, with their owners: which names two owners claim, which
    exceed their AWS limit, and which secrets path each principal reads."""

    def __init__(self, platform: PlatformPlan) -> None:
        from ..addons.external_secrets import aws_stores
        from ..resolve.cluster import irsa_roles

        self._irsa_roles = irsa_roles
        self.platform = platform
        self.prefix = platform.secrets.path_prefix
        self.claims: dict[tuple[str, str, str], list[_Owner]] = defaultdict(list)  # (kind, scope, name) -> owners
        self.too_long: dict[tuple[str, str], _Owner] = {}
        self.secret_readers: list[tuple[str, str, _Owner]] = []  # (account, path, owner)
        self.stores = aws_stores(platform)
        self.sso = platform.gitops.sso if platform.gitops.tool == "argocd" else None

    def claim(self, owner: _Owner, kind: str, name: str, scope: str) -> None:
        if owner not in self.claims[(kind, scope, name)]:
            self.claims[(kind, scope, name)].append(owner)
        limit = _LIMITS.get(kind)
        if kind == "RDS instance":
            problem = names.rds_identifier_problem(name)
            if problem:
                self.too_long.setdefault((kind, name), owner)
        elif kind == "CloudTrail trail":
            if names.trail_name_problem(name):
                self.too_long.setdefault((kind, name), owner)
        elif limit is not None and len(name) > limit:
            self.too_long.setdefault((kind, name), owner)

    def cluster(self, owner: _Owner, account: str, name: str, key: str, stack: str, env: str, *, network: bool = True) -> None:
        platform, prefix, sso, claim = self.platform, self.prefix, self.sso, self.claim
        claim(owner, "GitOps folder", key, "plan")
        claim(owner, "Terraform stack", stack, "plan")
        claim(owner, "EKS cluster", name, account)
        claim(owner, "IAM role", names.cluster_role(name), account)
        claim(owner, "IAM role", names.node_role(name), account)
        for role in self._irsa_roles(platform, account, name):
            claim(owner, "IAM role", role.role_name, account)
        claim(owner, "IAM role", names.database_admin_role(name), account)
        if self.stores:  # the platform store's and Grafana's store's roles (terraform/cluster.py), Grafana's key
            claim(owner, "IAM role", names.platform_secrets_role(name), account)
            if "kube-prometheus-stack" in platform.components:
                claim(owner, "IAM role", names.grafana_admin_role(name), account)
                claim(owner, "KMS alias", names.grafana_admin_key_alias(name), account)
                self.secret_readers.append((account, names.grafana_admin_secret(prefix, env, name), _Owner(owner.key + ":grafana", f"Grafana of {name}", owner.file, owner.path, "")))
            if sso is not None:  # ArgoCD's SSO store: its role reads the one client secret
                claim(owner, "IAM role", names.argocd_sso_role(name), account)
                self.secret_readers.append(
                    (account, names.argocd_sso_secret(prefix, env, name, sso.client_secret), _Owner(owner.key + ":argocd-sso", f"ArgoCD of {name}", owner.file, owner.path, ""))
                )
        claim(owner, "KMS alias", names.eks_secrets_key_alias(name), account)
        claim(owner, "KMS alias", names.eks_logs_key_alias(name), account)
        claim(owner, "CloudWatch log group", names.eks_log_group(name), account)
        if network:  # the cluster's VPC carries its name
            claim(owner, "IAM role", names.flow_logs_role(name), account)
            claim(owner, "KMS alias", names.flow_logs_key_alias(name), account)
            claim(owner, "CloudWatch log group", names.flow_log_group(name), account)

    def database(self, owner: _Owner, account: str, identifier: str) -> None:
        self.claim(owner, "RDS instance", identifier, account)
        self.claim(owner, "IAM role", names.rds_monitoring_role(identifier), account)
        self.claim(owner, "KMS alias", names.rds_key_alias(identifier), account)
        self.claim(owner, "KMS alias", names.rds_logs_key_alias(identifier), account)
        for log in LOG_EXPORTS:
            self.claim(owner, "CloudWatch log group", names.rds_log_group(identifier, log), account)

    def node_groups(self, owner: _Owner, account: str, cluster_name: str, env: EnvironmentPlan) -> None:
        for group in env.cluster.node_groups:  # one launch template per node group
            self.claim(owner, "launch template", names.node_launch_template(cluster_name, group.name), account)

    def tenant_access(self, owner: _Owner, account: str, cluster_name: str, tname: str, tenant: TenantPlan) -> None:
        for role in GROUP_ROLES:
            if getattr(tenant.groups, role):
                self.claim(owner, "IAM role", names.tenant_role(cluster_name, tname, role), account)
        if "external-secrets" in self.platform.components and self.platform.secrets.operator == "external-secrets":
            self.claim(owner, "IAM role", names.tenant_secrets_role(cluster_name, tname), account)


def _derived_name_checks(
    at: At,
    platform: PlatformPlan,
    platform_file: str,
    environments: dict[str, tuple[EnvironmentPlan, str]],
    tenants: dict[str, tuple[TenantPlan, str]],
    sources: dict[str, SourceMap],
) -> None:
    """Every name the renderers derive (resolve/names.py, and the Terraform constructs' suffixes on
    them) for every environment, region and tenant: two owners must never get one name (two clusters
    in one GitOps folder, one stack or IAM role for two things), no name may exceed its AWS limit,
    and no principal's secrets path may lie inside another's."""
    claims = _NameClaims(platform)
    _claim_environment_names(claims, platform_file, environments, tenants)
    _claim_tenant_names(claims, platform_file, environments, tenants)
    _report_collisions(at, claims, sources)
    _report_too_long(at, claims)
    _report_nested_secrets(at, claims, platform_file)


def _claim_audit_trail(claims: _NameClaims, owner: _Owner, env: EnvironmentPlan, env_name: str, platform_file: str) -> None:
    """The account's CloudTrail trail, its bucket and key, where a compliance framework asks for one (resolve/compliance.py)."""
    from ..resolve.compliance import floor

    platform = claims.platform
    if floor(env.tier, platform.constraints.compliance, "audit_trail") is None:
        return
    trail = names.audit_trail_name(platform.name, env_name)
    trail_owner = _Owner(owner.key, owner.label, owner.file, owner.path, f"shorten the environment name, or the platform name in {platform_file}")
    claims.claim(trail_owner, "CloudTrail trail", trail, env.account_id)
    claims.claim(trail_owner, "S3 bucket", names.audit_trail_bucket(trail, env.account_id), "aws")
    claims.claim(trail_owner, "KMS alias", names.audit_trail_key_alias(trail), env.account_id)


def _claim_environment_names(claims: _NameClaims, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]) -> None:
    """The names of each environment: its cluster, state, database and platform secrets, each
    secondary region's cluster, and the shared tenants' access on each of these clusters."""
    platform, claim = claims.platform, claims.claim
    p, prefix = platform.name, claims.prefix
    shared_by_env = {e: [t for t, (tp, _) in tenants.items() if _isolation(tp, e) == "shared"] for e in environments}
    for env_name, (env, file) in environments.items():
        acct = env.account_id
        shorten = f"shorten the environment name, or the platform name in {platform_file}"
        owner = _Owner(f"env:{env_name}", f"environment '{env_name}'", file, ("name",), shorten)
        cname = names.cluster_name(p, env_name)
        claims.cluster(owner, acct, cname, names.cluster_key(env_name), names.environment_stack(env_name), env_name)
        claims.node_groups(owner, acct, cname, env)
        claim(owner, "Terraform stack", names.state_stack(env_name), "plan")
        bucket_owner = _Owner(owner.key, owner.label, file, ("name",), f"shorten the environment name or state_backend.bucket_prefix in {platform_file}")
        claim(bucket_owner, "S3 bucket", names.state_bucket(platform.state_backend.bucket_prefix, env_name, acct), "aws")
        claim(bucket_owner, "DynamoDB table", names.lock_table(platform.state_backend.bucket_prefix, env_name), acct)
        claim(bucket_owner, "KMS alias", names.state_kms_alias(names.state_bucket(platform.state_backend.bucket_prefix, env_name, acct)), acct)
        claims.database(owner, acct, names.db_identifier(p, env_name))
        _claim_audit_trail(claims, owner, env, env_name, platform_file)
        claims.secret_readers.append((acct, names.platform_secrets_path(prefix, env_name), _Owner(owner.key, f"the platform of '{env_name}'", file, ("name",), "")))
        for tname in shared_by_env[env_name]:
            tenant, tfile = tenants[tname]
            towner = _Owner(f"tenant:{tname}:{env_name}", f"tenant '{tname}' in '{env_name}'", tfile, ("name",), f"shorten the tenant name (or the platform name in {platform_file}, or the environment name)")
            claims.tenant_access(towner, acct, cname, tname, tenant)
        for i, region in enumerate(env.regions[1:], start=1):
            rowner = _Owner(f"region:{env_name}:{region}", f"environment '{env_name}' in {region}", file, ("regions", i), f"shorten the environment name, or the platform name in {platform_file}")
            rname = names.regional_cluster_name(p, env_name, region)
            claims.cluster(rowner, acct, rname, names.regional_key(env_name, region), names.regional_stack(env_name, region), env_name)
            claims.node_groups(rowner, acct, rname, env)
            claim(rowner, "KMS alias", f"{rname}-rds-backups", acct)  # terraform/stacks.py
            for tname in shared_by_env[env_name]:
                tenant, tfile = tenants[tname]
                towner = _Owner(f"tenant:{tname}:{env_name}:{region}", f"tenant '{tname}' in '{env_name}' ({region})", tfile, ("name",), f"shorten the tenant name (or the platform name in {platform_file}, or the environment name)")
                claims.tenant_access(towner, acct, rname, tname, tenant)


def _claim_tenant_names(claims: _NameClaims, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]]) -> None:
    """The names of each tenant in each environment: its stack, secrets, and a dedicated cluster's whole set."""
    p, prefix, claim = claims.platform.name, claims.prefix, claims.claim
    for tname, (tenant, tfile) in tenants.items():
        for env_name, (env, _efile) in environments.items():
            acct = env.account_id
            dedicated = _isolation(tenant, env_name) == "dedicated"
            owner = _Owner(
                f"tenant:{tname}:{env_name}",
                f"tenant '{tname}' in '{env_name}'" + (" (its dedicated cluster)" if dedicated else ""),
                tfile,
                _isolation_path(tenant, env_name) if dedicated else ("name",),
                f"shorten the tenant name (or the platform name in {platform_file}, or the environment name)",
            )
            claim(owner, "Terraform stack", names.tenant_stack(tname, env_name), "plan")
            cname = names.cluster_name(p, env_name, tname if dedicated else None)
            db, _ = _tenant_database(tenant, env_name)
            if db.mode != "none":
                claim(owner, "KMS alias", f"{cname}-{tname}-secrets", acct)  # terraform/stacks.py: the tenant secret's key
            claims.secret_readers.append((acct, names.secrets_path(prefix, env_name, tname), _Owner(owner.key, f"tenant '{tname}' in '{env_name}'", tfile, ("name",), "")))
            if dedicated:
                claims.cluster(owner, acct, cname, names.cluster_key(env_name, tname), names.tenant_stack(tname, env_name), env_name)
                claims.node_groups(owner, acct, cname, env)
                claims.tenant_access(owner, acct, cname, tname, tenant)
                if db.mode == "dedicated":
                    claims.database(owner, acct, names.db_identifier(p, env_name, tname))
                claims.secret_readers.append(
                    (acct, names.platform_secrets_path(prefix, env_name, tname), _Owner(owner.key + ":platform", f"the platform of tenant '{tname}''s cluster in '{env_name}'", tfile, owner.path, ""))
                )


def _report_collisions(at: At, claims: _NameClaims, sources: dict[str, SourceMap]) -> None:
    """One issue per pair of owners of a name, at the later one, naming both."""
    pairs: dict[tuple[str, str], tuple[_Owner, _Owner, list[str]]] = {}
    for (kind, _scope, name), owners in claims.claims.items():
        first = owners[0]
        for other in owners[1:]:
            if other.key != first.key:
                pair = tuple(sorted((first.key, other.key)))
                pairs.setdefault(pair, (first, other, []))[2].append(f"{kind} '{name}'")  # type: ignore[index]
    for first, other, what in pairs.values():
        shown = ", ".join(what[:3]) + (f" and {len(what) - 3} more" if len(what) > 3 else "")
        line = _line(sources, first.file, first.path)
        at(
            other.file,
            other.path,
            f"{other.label} and {first.label} ({first.file}:{line}) would get the same {shown}",
            "every derived name must be unique (GitOps folders, stacks, clusters, roles, buckets): rename one of the two",
        )


def _report_too_long(at: At, claims: _NameClaims) -> None:
    """Per owner and kind of name, the longest name over its limit."""
    longest: dict[tuple[str, str], tuple[str, _Owner]] = {}  # (owner, kind) -> the longest name over its limit
    for (kind, name), owner in claims.too_long.items():
        if (owner.key, kind) not in longest or len(name) > len(longest[(owner.key, kind)][0]):
            longest[(owner.key, kind)] = (name, owner)
    for (_key, kind), (name, owner) in longest.items():
        if kind == "RDS instance":
            message = names.rds_identifier_problem(name) or ""
        elif kind == "CloudTrail trail":
            message = f"the audit trail '{name}' ({owner.label}): {names.trail_name_problem(name)}"
        else:
            message = f"{kind} names such as '{name}' ({owner.label}) would be {len(name)} characters, over the {_LIMITS[kind]} AWS allows"
        at(owner.file, owner.path, message, owner.hint)


def _report_nested_secrets(at: At, claims: _NameClaims, platform_file: str) -> None:
    """What one principal reads must not contain what another reads."""
    secret_readers = claims.secret_readers
    for i, j in _nested_path_pairs([(acct, path) for acct, path, _ in secret_readers]):
        (acct_a, path_a, owner_a), (acct_b, path_b, owner_b) = secret_readers[i], secret_readers[j]
        if acct_a != acct_b or owner_a.key == owner_b.key:
            continue
        for (pa, oa), (pb, ob) in (((path_a, owner_a), (path_b, owner_b)), ((path_b, owner_b), (path_a, owner_a))):
            if f"{pb}/".startswith(f"{pa}/"):
                at(
                    ob.file,
                    ob.path,
                    f"the secrets of {ob.label} ({pb}/*) lie inside those of {oa.label} ({pa}/*), who could read them",
                    f"no secrets path may be inside another principal's; check secrets.path_prefix in {platform_file} and the names",
                )
                break


def _nested_path_pairs(paths: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """The index pairs ``i < j``, in order, of the ``(account, path)`` entries of one account whose
    paths nest: one is the other or a '/'-ancestor of it (``f"{b}/".startswith(f"{a}/")``).

    Each path looks up the entries at itself and at each of its ancestors by exact path, so the
    work is linear in entries plus the pairs found (comparing every pair was quadratic in tenants)."""
    at_path: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, key in enumerate(paths):
        at_path[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for j, (acct, path) in enumerate(paths):
        for ancestor in {path[:k] for k, c in enumerate(path) if c == "/"} | {path}:
            for i in at_path.get((acct, ancestor), ()):
                if i != j:
                    pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


# --- VPC ranges ---------------------------------------------------------------------------


def _cidr_overlaps(
    platform: PlatformPlan,
    environments: dict[str, tuple[EnvironmentPlan, str]],
    tenants: dict[str, tuple[TenantPlan, str]],
    sources: dict[str, SourceMap],
) -> list[PlanIssue]:
    # (owner, label, network, file, path)
    vpcs: list[tuple[str, str, ipaddress.IPv4Network | ipaddress.IPv6Network, str, FieldPath]] = []
    for name, (env, file) in environments.items():
        vpcs.append((f"env:{name}", f"environment '{name}'", ipaddress.ip_network(env.vpc_cidr), file, ("vpc_cidr",)))
        for region, cidr in env.region_vpc_cidrs.items():
            vpcs.append((f"env:{name}:{region}", f"environment '{name}' in {region}", ipaddress.ip_network(cidr), file, ("region_vpc_cidrs", region)))
    for tname, (tenant, file) in tenants.items():
        for env_name in environments:
            override = tenant.environments.get(env_name)
            if _isolation(tenant, env_name) != "dedicated":
                continue
            if override and override.vpc_cidr:
                cidr, path = override.vpc_cidr, ("environments", env_name, "vpc_cidr")
            elif tenant.vpc_cidr:
                cidr, path = tenant.vpc_cidr, ("vpc_cidr",)
            else:
                continue
            vpcs.append((f"tenant:{tname}", f"tenant '{tname}' in '{env_name}'", ipaddress.ip_network(cidr), file, path))
    issues = []
    for i, j in _overlapping_pairs([net for _, _, net, _, _ in vpcs]):
        (owner_a, label_a, net_a, file_a, path_a), (owner_b, label_b, net_b, file_b, path_b) = vpcs[i], vpcs[j]
        if owner_a == owner_b and net_a == net_b:
            continue  # the same tenant's VPC in two accounts
        if net_a.overlaps(net_b):
            issues.append(
                PlanIssue(
                    file_a,
                    _line(sources, file_a, path_a),
                    format_path(path_a),
                    f"VPC CIDR {net_a} of {label_a} overlaps {net_b} of {label_b} ({file_b}:{_line(sources, file_b, path_b)})",
                    "VPCs that may be peered or joined by a transit gateway must not overlap; pick another /16",
                )
            )
    return issues


def _overlapping_pairs(nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> list[tuple[int, int]]:
    """The index pairs ``i < j``, in order, of the networks that overlap.

    Two CIDR blocks overlap only if one contains the other: sorted by first address (the larger
    block first), the blocks still open at a network's first address form a chain, each inside
    the one below, and all contain it. The work is linear in networks plus the pairs found,
    where comparing every pair (a dedicated tenant's VPC per environment) was quadratic."""
    if len({net.version for net in nets}) > 1:  # never in a validated plan (VPC CIDRs are IPv4): every pair
        return [(i, j) for i in range(len(nets)) for j in range(i + 1, len(nets))]
    pairs: list[tuple[int, int]] = []
    open_blocks: list[tuple[int, int]] = []  # (last address, index)
    for index in sorted(range(len(nets)), key=lambda k: (int(nets[k].network_address), nets[k].prefixlen, k)):
        first = int(nets[index].network_address)
        while open_blocks and open_blocks[-1][0] < first:
            open_blocks.pop()
        pairs += [(min(index, other), max(index, other)) for _, other in open_blocks]
        open_blocks.append((int(nets[index].broadcast_address), index))
    return sorted(pairs)
