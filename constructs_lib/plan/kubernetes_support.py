"""The EKS support calendar (``constructs_lib/data/eks_support.yaml``) applied to a plan's
Kubernetes version on the day infraplan runs: past extended support is refused, extended
support (billed per cluster hour) is a warning.

"Today" is :func:`today`: ``INFRAPLAN_TODAY`` (an ISO date) when set, so tests and
reproducible CI runs never depend on the wall clock; otherwise the UTC date."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cache

from .base import catalog


@dataclass(frozen=True)
class SupportWindow:
    version: str
    standard_support_end: dt.date  # last day of standard support
    extended_support_end: dt.date  # last day of extended support
    source: str
    read: dt.date


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@cache
def calendar() -> dict[str, SupportWindow]:
    """Every Kubernetes version the calendar knows, oldest first."""
    data = catalog("eks_support.yaml")
    return {
        v: SupportWindow(v, e["standard_support_end"], e["extended_support_end"], e["source"], e["read"])
        for v, e in sorted(data.items(), key=lambda kv: _key(kv[0]))
    }


def today() -> dt.date:
    """The day the support windows are judged on: ``INFRAPLAN_TODAY`` or the UTC date."""
    value = os.environ.get("INFRAPLAN_TODAY")
    if value:
        return dt.date.fromisoformat(value)
    return dt.datetime.now(dt.timezone.utc).date()


def supported(on: dt.date, buildable: set[str] | None = None) -> list[str]:
    """Versions not past extended support on that day (restricted to ``buildable``), oldest first."""
    return [v for v, w in calendar().items() if on <= w.extended_support_end and (buildable is None or v in buildable)]


def refusal(version: str, on: dt.date, buildable: set[str]) -> tuple[str, str] | None:
    """(message, hint) when the version is past EKS extended support on that day."""
    window = calendar()[version]
    if on <= window.extended_support_end:
        return None
    usable = supported(on, buildable)
    oldest = f"the oldest supported is {usable[0]}" if usable else "no pinned version is supported any more"
    return (
        f"Kubernetes {version} is past the end of EKS extended support ({window.extended_support_end}, today is {on}); EKS no longer runs it",
        f"{oldest} (constructs_lib/data/eks_support.yaml); supported: {', '.join(usable)}",
    )


def warning(version: str, on: dt.date | None = None) -> str | None:
    """A warning when the version is in extended support on that day: it works, but AWS bills
    extended support for every cluster hour and upgrades the control plane at its end."""
    on = on or today()
    window = calendar().get(version)
    if window is None or on <= window.standard_support_end or on > window.extended_support_end:
        return None
    newer = [v for v, w in calendar().items() if on <= w.standard_support_end and v in catalog("eks_addons.yaml")]
    return (
        f"Kubernetes {version} is in EKS extended support since {window.standard_support_end} (until {window.extended_support_end}): "
        f"each cluster is billed extended support; versions in standard support: {', '.join(newer) or 'none pinned'}"
    )
