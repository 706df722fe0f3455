"""Which stack must be applied before which: the stack graph of a plan.

Stacks never read each other's state (``stacks.py``), yet some find what another stack creates,
so that one must exist first. Each edge here is one such lookup, named by what is looked up, and
mirrors how ``stacks.py`` builds the stack (the condition under which it adds the lookup):

- every stack but ``<env>-state`` keeps its state in the state stack's bucket (S3 backend: the
  bucket, the lock table, the KMS key by alias), so it needs ``<env>-state``;
- a secondary region's stack copies the primary database's automated backups (by the instance's
  ARN), so it needs ``<env>-platform``;
- a shared tenant's stack finds the shared VPC by its ``Name`` tag and, with a database on the
  shared instance, that instance by identifier: both in ``<env>-platform``;
- a stack that does not create the environment's Route 53 zone but uses it (a secondary region's
  or a dedicated tenant's cluster, when the plan names no existing zone) finds it by name in
  ``<env>-platform``.

Not edges: a KMS key policy naming a role of another stack matches it by condition
(``kms_key.principal_via_service_statement``), so the key may exist before the role; IAM
policies naming another stack's secrets or zone by ARN pattern; the budget and the CloudTrail
trail, which nothing else reads. Pure Python (no cdktf): ``infraplan graph`` runs in
milliseconds, and ``stacks/terraform_app.py`` gives the same edges to cdktf
(``TerraformStack.add_dependency``), so ``manifest.json`` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..resolve.model import ClusterDns, ResolvedEnvironment

StackKind = Literal["state", "platform", "region", "tenant"]


@dataclass(frozen=True)
class StackNode:
    """A stack of the plan, what it needs first, and why (one line per lookup)."""

    name: str
    kind: StackKind
    environment: str
    needs: tuple[tuple[str, tuple[str, ...]], ...]  # (stack, what is looked up there), in build order

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(stack for stack, _ in self.needs)


class StackCycleError(RuntimeError):
    """The stacks depend on each other in a circle: a bug in infraplan, never in the plan."""


def _finds_zone(dns: ClusterDns | None) -> bool:
    """A cluster outside the platform stack finds the zone by name when Terraform creates it (``dns.zone_id``)."""
    return dns is not None and dns.managed


def _node(name: str, kind: StackKind, env: ResolvedEnvironment, needs: dict[str, list[str]]) -> StackNode:
    return StackNode(name, kind, env.name, tuple((stack, tuple(what)) for stack, what in needs.items() if what))


def environment_stacks(env: ResolvedEnvironment, tenants: set[str] | None = None) -> list[StackNode]:
    """The stacks of one environment in the order ``add_stacks`` builds them, each with what it needs."""
    state, platform = env.state_stack_name, env.stack_name
    backend = f"its S3 backend: state bucket {env.state.bucket}, KMS key alias/{env.state.kms_alias}" + (f", lock table {env.state.lock_table}" if env.state.lock_table else "")
    zone = f"Route 53 zone {env.cluster.dns.domain} (found by name)" if env.cluster.dns is not None else ""
    nodes = [_node(state, "state", env, {}), _node(platform, "platform", env, {state: [backend]})]
    for r in env.secondary_regions:
        on_platform = [f"automated backups of the database {r.source_database_arn}"] + ([zone] if _finds_zone(r.cluster.dns) else [])
        nodes.append(_node(r.stack_name, "region", env, {state: [backend], platform: on_platform}))
    for t in env.tenants:
        if tenants is not None and t.name not in tenants:
            continue
        on_platform = []
        dedicated = t.network is not None and t.cluster is not None
        if not dedicated:
            on_platform.append(f"shared VPC {env.network.name} (found by its Name tag)")
        elif _finds_zone(t.cluster.dns):
            on_platform.append(zone)
        if t.database is not None and (not dedicated or t.dedicated_database is None):
            on_platform.append(f"shared database instance {t.database.instance_identifier} (found by identifier)")
        nodes.append(_node(t.stack_name, "tenant", env, {state: [backend], platform: on_platform}))
    return nodes


def plan_stacks(envs: Iterable[ResolvedEnvironment], tenants: set[str] | None = None) -> list[StackNode]:
    """Every stack of ``envs`` (``tenants`` limits the tenant stacks, as synth's ``--tenant``)."""
    return [node for env in envs for node in environment_stacks(env, tenants)]


def waves(nodes: Iterable[StackNode]) -> list[list[str]]:
    """The apply order as waves: each stack comes after every stack it needs, and the stacks of one
    wave need nothing from each other (they can apply in parallel); each wave sorted by name.
    A need outside ``nodes`` or a cycle is a :class:`StackCycleError` (infraplan's bug)."""
    deps = {n.name: set(n.depends_on) for n in nodes}
    for name, needed in deps.items():
        if missing := needed - deps.keys():
            raise StackCycleError(f"internal error: stack {name} needs {', '.join(sorted(missing))}, which the graph does not hold")
    done: set[str] = set()
    out: list[list[str]] = []
    while len(done) < len(deps):
        ready = sorted(name for name, needed in deps.items() if name not in done and needed <= done)
        if not ready:
            raise StackCycleError(f"internal error: the stacks {', '.join(_cycle(deps, done))} depend on each other in a cycle")
        out.append(ready)
        done.update(ready)
    return out


def _cycle(deps: dict[str, set[str]], done: set[str]) -> list[str]:
    """One cycle among the stacks not yet placed, as a path that ends where it starts."""
    name = min(n for n in deps if n not in done)
    path: list[str] = []
    while name not in path:
        path.append(name)
        name = min(d for d in deps[name] if d not in done)
    return [*path[path.index(name) :], name]
