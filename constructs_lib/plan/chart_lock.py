"""``charts.lock``: the exact chart versions a plan's ``charts`` constraints were resolved to.

``infraplan charts lock`` writes it (``stacks/charts_lock.py``); every other command reads only it,
never a repository, and refuses a plan whose lock is missing or no longer matches ``charts``
(a constraint, chart or repository changed, a component added or removed), so that what is
synthesized is what was reviewed and committed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import yaml
from pydantic import Field, field_validator

from .base import PlanModel
from .chart_versions import parse_constraint, parse_version
from .errors import FieldValueError, PlanIssue

if TYPE_CHECKING:
    from ..addons.base import ChartRef
    from .platform import PlatformPlan
    from .yaml_source import SourceMap

LOCK_FILE = "charts.lock"
RELOCK = "run infraplan charts lock (it resolves platform.yaml charts: into charts.lock), review and commit charts.lock"
HEADER = (
    "# charts.lock: the exact chart versions infraplan synthesizes, resolved from platform.yaml charts:\n"
    "# by `infraplan charts lock`. Commit it; change it only with that command (--update COMPONENT takes newer releases).\n"
)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class LockedChart(PlanModel):
    """One component's locked chart."""

    chart: str
    repo_url: str
    constraint: str = Field(description="The plan's constraint this version was resolved from.")
    version: str = Field(description="The exact version, as the repository lists it.")
    digest: str | None = Field(None, description="sha256: of the chart archive (index.yaml) or of its OCI manifest.")
    app_version: str | None = None

    @field_validator("version")
    @classmethod
    def _exact(cls, v: str) -> str:
        if parse_version(v) is None:
            raise FieldValueError((), f"'{v}' is not an exact chart version", RELOCK)
        return v

    @field_validator("digest")
    @classmethod
    def _digest(cls, v: str | None) -> str | None:
        if v is not None and not DIGEST.match(v):
            raise FieldValueError((), f"'{v}' is not a sha256 digest", RELOCK)
        return v


class ChartLockFile(PlanModel):
    """The whole ``charts.lock``."""

    charts: dict[str, LockedChart] = {}

    def dump(self) -> str:
        """Deterministic YAML: components and keys sorted, strings quoted where YAML 1.1 would read them otherwise."""
        body = {"charts": {c: {k: v for k, v in sorted(e.model_dump().items()) if v is not None} for c, e in sorted(self.charts.items())}}
        return HEADER + yaml.safe_dump(body, sort_keys=True, default_flow_style=False, allow_unicode=False, width=1000)


def wanted(platform: PlatformPlan) -> dict[str, tuple[str, str, str]]:
    """Per component of ``charts``: (chart, repo_url, constraint), the catalog filling what the plan leaves out."""
    from ..addons import addon

    out = {}
    for component, choice in sorted(platform.charts.items()):
        catalog = addon(component).chart
        out[component] = (choice.chart or catalog.chart, choice.repo_url or catalog.repo_url, choice.version)
    return out


def lock_issues(platform: PlatformPlan, lock: ChartLockFile | None, platform_file: str, lock_file: str, sources: dict[str, SourceMap]) -> list[PlanIssue]:
    """Why ``lock`` cannot be used for ``platform`` (each with the command that fixes it); empty when it can."""
    want = wanted(platform)
    source = sources.get(platform_file)
    lock_source = sources.get(lock_file)

    def at_plan(path: tuple, message: str) -> PlanIssue:
        return PlanIssue(platform_file, source.line_of(path) if source else None, ".".join(map(str, path)), message, RELOCK)

    def at_lock(component: str, message: str) -> PlanIssue:
        return PlanIssue(lock_file, lock_source.line_of(("charts", component)) if lock_source else None, f"charts.{component}", message, RELOCK)

    if lock is None:
        if not want:
            return []
        return [at_plan(("charts",), f"platform.yaml states chart version constraints ({', '.join(want)}), but the plan has no {LOCK_FILE}: synth reads chart versions only from it")]
    issues = []
    for component in sorted(set(lock.charts) - set(want)):
        issues.append(at_lock(component, f"{LOCK_FILE} locks {component}, which platform.yaml charts: no longer lists: the lock is stale"))
    for component, (chart, repo_url, constraint) in want.items():
        entry = lock.charts.get(component)
        if entry is None:
            issues.append(at_plan(("charts", component), f"charts.{component} is not in {LOCK_FILE}: the lock is stale"))
            continue
        changed = [
            f"{what} '{old}' (platform.yaml now says '{new}')"
            for what, old, new in (("chart", entry.chart, chart), ("repository", entry.repo_url, repo_url), ("constraint", entry.constraint, constraint))
            if old != new
        ]
        if changed:
            issues.append(at_plan(("charts", component), f"{LOCK_FILE} locked {component} for {', '.join(changed)}: the lock is stale"))
            continue
        version = parse_version(entry.version)
        if version is None or not parse_constraint(constraint).allows(version):
            issues.append(at_lock(component, f"{LOCK_FILE} locks {component} to {entry.version}, which does not satisfy '{constraint}' (edited by hand?)"))
    return issues


def chart_refs(platform: PlatformPlan, lock: ChartLockFile | None) -> dict[str, ChartRef]:
    """The chart of every component ``charts`` lists, as locked: name, repository, exact version, digest
    and the constraint it came from (the catalog's namespace, release and sync wave). A component
    ``charts`` leaves out is not here: it keeps the catalog's pin."""
    from ..addons import addon

    if lock is None:
        return {}
    out = {}
    for component in wanted(platform):
        entry = lock.charts[component]
        out[component] = replace(addon(component).chart, chart=entry.chart, repo_url=entry.repo_url, version=entry.version, digest=entry.digest, constraint=entry.constraint)
    return out
