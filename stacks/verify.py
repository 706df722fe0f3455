"""``infraplan verify``: compare the live AWS resources of an environment with the resolved model.

The entry point only: which checks an environment and its tenants need (``verify_environment``),
the guard against the wrong account, and the report. Each check lives beside what it checks, in
``constructs_lib/terraform/verify/`` (one module per construct module, same name). Reads with
boto3 only (never Terraform state) and finds resources by the names the resolved model gives
them. Every difference — a missing resource or a setting that is not what the model says — is
reported; the exit code is 1 if there is any.
"""

from __future__ import annotations

import argparse

from constructs_lib.resolve.model import ResolvedEnvironment, ResolvedTenant
from constructs_lib.terraform.verify import (
    Clients,
    Difference,
    check_budget,
    check_cluster,
    check_database,
    check_network,
    check_roles,
    check_secret,
    check_state,
)


class WrongAccountError(Exception):
    pass


def check_tenant(aws: Clients, env: ResolvedEnvironment, tenant: ResolvedTenant) -> list[Difference]:
    """What a tenant's stack holds: a dedicated tenant's network, cluster, roles and database, and its secrets."""
    out: list[Difference] = []
    if tenant.network is not None:
        out += check_network(aws, tenant.network)
    if tenant.cluster is not None:
        out += check_cluster(aws, tenant.cluster) + check_roles(aws, tenant.cluster)
    if tenant.dedicated_database is not None:
        out += check_database(aws, tenant.dedicated_database)
    if tenant.cluster is not None and tenant.cluster.grafana_admin is not None:
        out += check_secret(aws, f"cluster {tenant.cluster.name}: secret", tenant.cluster.grafana_admin.secret_name)
    if tenant.database is not None:
        out += check_secret(aws, f"tenant {tenant.name}: secret", tenant.database.secret_name)
    return out


def verify_environment(env: ResolvedEnvironment, tenants: list[str] | None = None, endpoint: str | None = None) -> list[Difference]:
    """Every difference between the live resources and ``env`` (and the named tenants)."""
    aws = Clients(env.region, endpoint)
    account = aws("sts").get_caller_identity()["Account"]
    if account != env.account_id:
        # Otherwise every resource would be reported missing, which reads like a disaster.
        raise WrongAccountError(f"the credentials are for account {account}, but environment {env.name} is account {env.account_id}")
    diffs = check_network(aws, env.network) + check_cluster(aws, env.cluster) + check_roles(aws, env.cluster) + check_database(aws, env.database)
    for r in env.secondary_regions:
        regional = Clients(r.region, endpoint)
        diffs += check_network(regional, r.network) + check_cluster(regional, r.cluster) + check_roles(regional, r.cluster)
    for c in (env.cluster, *(r.cluster for r in env.secondary_regions)):
        if c.grafana_admin is not None:  # in the primary region, with every secret
            diffs += check_secret(aws, f"cluster {c.name}: secret", c.grafana_admin.secret_name)
    for name in tenants or []:
        diffs += check_tenant(aws, env, env.tenant(name))
    if env.budget is not None:
        diffs += check_budget(aws, env.account_id, env.budget)
    diffs += check_state(aws, [env.state, *(r.state for r in env.secondary_regions), *(env.tenant(name).state for name in tenants or [])])
    return diffs


def _unreadable(where: str, exc: Exception) -> str:
    """Why the live resources could not be read: an endpoint that never answered, or what boto3 said."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

    from constructs_lib.terraform.verify import base

    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError)):
        return (
            f"could not read the live resources: {where} did not answer ({exc}); tried {base.MAX_ATTEMPTS} times with a "
            f"{base.CONNECT_TIMEOUT_S} s connect and {base.READ_TIMEOUT_S} s read timeout. Is the endpoint right and reachable?"
        )
    return f"could not read the live resources from {where}: {exc}"


def cmd_verify(args: argparse.Namespace) -> int:
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_environment

    from .cli import console, errors

    plan = load_plan(args.plan)
    for name in args.tenant or []:
        plan.tenant(name)  # unknown tenant: PlanError with a hint
    env = resolve_environment(plan, args.env)
    where = args.endpoint or "AWS"
    console.print(f"Verifying [bold]{env.name}[/] ({env.region}, account {env.account_id}) against {where} …")
    try:
        diffs = verify_environment(env, args.tenant, args.endpoint)
    except WrongAccountError as exc:
        errors.print(f"[bold red]refusing to verify:[/] {exc}")
        return 2
    except Exception as exc:  # no credentials, unreachable endpoint, access denied
        errors.print(_unreadable(where, exc), markup=False)
        return 2
    if not diffs:
        console.print(f"[green]✓[/] {env.name}: every checked resource matches the resolved model")
        return 0
    errors.print(f"[bold red]{len(diffs)} difference{'s' if len(diffs) != 1 else ''} from the resolved model:[/]")
    for d in diffs:
        errors.print(f"  ✗ {d.render()}", markup=False)
    return 1
