"""Complexity tracking: each choice that adds complexity has a justification in ``platform.yaml``.

The choices infraplan can see are a tenant's dedicated cluster (its own VPC, cluster and, with
``database.mode: dedicated``, instance) and a multi-region deployment (a cluster per secondary
region). An entry names the choice it justifies in ``applies_to``.

Refused (errors): an entry naming a tenant that does not exist, two entries for one choice.
Reported (warnings, :func:`complexity_warnings`): a choice without an entry, an entry without
``applies_to``, an entry for a choice the plan does not make. They do not stop validate or
synth (stderr); a plan's constitution can make them blocking in ``infraplan check``, which reads
``Plan.warnings``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from .environment import EnvironmentPlan
from .errors import PlanIssue
from .platform import ComplexityJustification, PlatformPlan
from .tenant import TenantPlan
from .yaml_source import FieldPath, SourceMap, format_path

At = Callable[..., None]
ADD_ENTRY = "add to complexity_tracking in {platform_file}: {{decision: ..., justification: ..., applies_to: {choice}}}"


def justification(platform: PlatformPlan, choice: str) -> tuple[int, ComplexityJustification] | None:
    """The entry (and its index) that justifies ``choice`` (dedicated-cluster:<tenant>, multi-region)."""
    return next(((i, e) for i, e in enumerate(platform.complexity_tracking) if e.applies_to == choice), None)


def dedicated_in(tenant: TenantPlan, environments: list[str]) -> list[tuple[str, FieldPath]]:
    """The environments where the tenant has its own cluster, with the field that decides it."""
    out = []
    for env_name in environments:
        override = tenant.environments.get(env_name)
        if override and override.isolation:
            if override.isolation == "dedicated":
                out.append((env_name, ("environments", env_name, "isolation")))
        elif tenant.isolation == "dedicated":
            out.append((env_name, ("isolation",)))
    return out


def _multi_region(platform: PlatformPlan, environments: dict[str, tuple[EnvironmentPlan, str]]) -> bool:
    return platform.deployment_type == "multi-region" or any(len(env.regions) > 1 for env, _ in environments.values())


def complexity_checks(at: At, platform: PlatformPlan, platform_file: str, tenants: dict[str, tuple[TenantPlan, str]]) -> None:
    """Errors: an entry for a tenant that does not exist, or a second entry for the same choice."""
    seen: dict[str, int] = {}
    for i, entry in enumerate(platform.complexity_tracking):
        if entry.applies_to is None:
            continue
        if entry.applies_to in seen:
            at(platform_file, ("complexity_tracking", i, "applies_to"), f"complexity_tracking[{seen[entry.applies_to]}] already justifies {entry.applies_to}", "merge the two entries into one")
        seen.setdefault(entry.applies_to, i)
        kind, _, tenant = entry.applies_to.partition(":")
        if kind == "dedicated-cluster" and tenant not in tenants:
            close = difflib.get_close_matches(tenant, list(tenants), n=1)
            at(
                platform_file,
                ("complexity_tracking", i, "applies_to"),
                f"applies_to names tenant '{tenant}', which is not defined",
                (f"did you mean 'dedicated-cluster:{close[0]}'? " if close else "") + f"tenants: {', '.join(tenants) or 'none'}",
            )


def complexity_warnings(
    platform: PlatformPlan, platform_file: str, environments: dict[str, tuple[EnvironmentPlan, str]], tenants: dict[str, tuple[TenantPlan, str]], sources: dict[str, SourceMap]
) -> list[PlanIssue]:
    """Choices without a justification, and entries that justify nothing infraplan can see."""
    warnings: list[PlanIssue] = []

    def warn(file: str, path: FieldPath, message: str, hint: str) -> None:
        source = sources.get(file)
        warnings.append(PlanIssue(file, source.line_of(path) if source else None, format_path(path), message, hint))

    env_names = list(environments)
    made: set[str] = set()
    for tname, (tenant, tfile) in tenants.items():
        where = dedicated_in(tenant, env_names)
        if not where:
            continue
        choice = f"dedicated-cluster:{tname}"
        made.add(choice)
        if justification(platform, choice) is None:
            envs = ", ".join(e for e, _ in where)
            warn(
                tfile,
                where[0][1],
                f"a dedicated cluster for {tname} ({envs}: its own VPC, cluster and add-ons to run and pay for) has no justification in complexity_tracking",
                ADD_ENTRY.format(platform_file=platform_file, choice=choice) + ", or run the tenant on the shared cluster",
            )
    if _multi_region(platform, environments):
        made.add("multi-region")
        if justification(platform, "multi-region") is None:
            warn(
                platform_file,
                ("deployment_type",),
                "a multi-region deployment (a VPC and cluster per secondary region, copied backups) has no justification in complexity_tracking",
                ADD_ENTRY.format(platform_file=platform_file, choice="multi-region") + ", or deploy to a single region",
            )
    for i, entry in enumerate(platform.complexity_tracking):
        if entry.applies_to is None:
            warn(
                platform_file,
                ("complexity_tracking", i),
                f"'{entry.decision}' does not say which choice it justifies, so it cannot be checked or shown next to it",
                "add applies_to: dedicated-cluster:<tenant> or applies_to: multi-region",
            )
        elif entry.applies_to not in made and (not entry.applies_to.startswith("dedicated-cluster:") or entry.applies_to.partition(":")[2] in tenants):
            warn(platform_file, ("complexity_tracking", i, "applies_to"), f"justifies {entry.applies_to}, a choice this plan does not make", "remove the entry, or make the choice it is for")
    return warnings
