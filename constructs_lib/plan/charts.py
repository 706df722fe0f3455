"""``platform.yaml`` ``charts:``: which chart, from which repository, in which versions, per component.

The plan states a version *constraint* (the template's Helm Chart Discovery table); ``infraplan
charts lock`` resolves it into ``charts.lock`` (exact version and digest), and synth reads only the
lock. A component the plan leaves out keeps the catalog's exact pin (``constructs_lib/data/charts.yaml``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from .base import PlanModel
from .chart_versions import MAX_SERIES, ConstraintError, parse_constraint
from .errors import FieldValueError

if TYPE_CHECKING:
    from .platform import PlatformPlan

CHART_NAME = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$")


def repo_url_problem(url: str) -> tuple[str, str] | None:
    """Why ``url`` is no chart repository Helm, ArgoCD and ``charts lock`` can read (message, hint), or None."""
    parts = urlsplit(url)
    hint = "write https://host/path for a Helm repository (its index.yaml) or oci://host/path for an OCI registry"
    if parts.scheme not in ("https", "http", "oci") or not parts.hostname or any(c.isspace() for c in url):
        return f"'{url}' is not a chart repository URL", hint
    if parts.username or parts.password:
        return f"'{url}' holds credentials", "credentials never go in the plan; give the repository's URL only"
    if parts.query or parts.fragment:
        return f"'{url}' has a query or fragment", hint
    try:
        parts.port
    except ValueError:
        return f"'{url}' has an invalid port", hint
    if parts.scheme == "oci" and not parts.path.strip("/"):
        return f"'{url}' names no repository path", "write oci://<registry>/<namespace>, e.g. oci://ghcr.io/acme/charts; the chart name is added to it"
    return None


class ChartChoice(PlanModel):
    """One component's chart, as the template's Helm Chart Discovery table states it."""

    version: str = Field(
        description="A version constraint: exact (8.1.3), 8.x / 8.1.x, ~1.17 (>=1.17.0,<1.18.0), ^4.12 (same major), >=7.6,<9. "
        "latest and * are refused. `infraplan charts lock` resolves it into charts.lock."
    )
    repo_url: str | None = Field(None, description="The chart repository (https:// with an index.yaml, or oci://registry/path); default: the catalog's.")
    chart: str | None = Field(None, description="The chart's name in that repository; default: the catalog's.")

    @field_validator("version")
    @classmethod
    def _constraint(cls, v: str) -> str:
        try:
            parse_constraint(v)
        except ConstraintError as exc:
            raise FieldValueError((), exc.message, exc.hint) from None
        return v

    @field_validator("repo_url")
    @classmethod
    def _repo(cls, v: str | None) -> str | None:
        if v is not None and (problem := repo_url_problem(v)):
            raise FieldValueError((), *problem)
        return v

    @field_validator("chart")
    @classmethod
    def _chart(cls, v: str | None) -> str | None:
        if v is not None and not CHART_NAME.match(v):
            raise FieldValueError((), f"'{v}' is not a chart name", "a chart name has lowercase letters, digits, '.', '_' and '-' (at most 63)")
        return v


def check_chart_choices(platform: PlatformPlan) -> None:
    """Each ``charts`` entry names a component the plan installs, in series infraplan has values for."""
    from ..addons import addon

    for component, choice in platform.charts.items():
        a = addon(component)
        if not a.enabled(platform):
            why = "gitops.tool is none: no ArgoCD is installed" if component == "argocd" else f"{component} is not in components"
            raise FieldValueError(("charts", component), f"charts.{component} chooses a chart nothing installs: {why}", f"remove charts.{component}, or install {component}")
        constraint = parse_constraint(choice.version)
        series = constraint.series()
        supported = [s for s in a.series if a.supports(s)]
        known = ", ".join(f"{s}.x" for s in supported)
        name = choice.chart or a.chart.chart
        if series is None:
            bounded = constraint.upper is not None and constraint.lower is not None
            what = (
                f"admits more than {MAX_SERIES} {name} series"
                if bounded
                else f"has no {'upper' if constraint.upper is None else 'lower'} bound: it admits every {'later' if constraint.upper is None else 'earlier'} {name} series"
            )
            raise FieldValueError(
                ("charts", component, "version"),
                f"'{choice.version}' {what}, and infraplan has values for {name} {known} only",
                f"bound it to a series infraplan knows, e.g. {supported[-1]}.x",
            )
        unknown = [s for s in series if not a.supports(s)]
        if unknown:
            raise FieldValueError(
                ("charts", component, "version"),
                f"'{choice.version}' admits {name} {', '.join(s + '.x' for s in unknown)}, which infraplan has no values for; it has values for {name} {known} only",
                f"write a constraint within {' or '.join(s + '.x' for s in supported)}, e.g. {supported[-1]}.x",
            )
