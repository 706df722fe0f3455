"""Resolution: pure functions from the plan to concrete settings, with the reason for each.

Public names are imported on first use (``constructs_lib/_lazy.py`` says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from . import model, names
    from .bootstrap import ClusterBootstrap, EnvironmentBootstrap, resolve_bootstrap
    from .environment import resolve_environment, resolve_plan, resolve_tenant
    from .model import ResolvedCluster, ResolvedDatabase, ResolvedEnvironment, ResolvedNetwork, ResolvedRegion, ResolvedTenant
    from .trace import Decision, Source, Trace

__all__ = [
    "ClusterBootstrap",
    "Decision",
    "EnvironmentBootstrap",
    "ResolvedCluster",
    "ResolvedDatabase",
    "ResolvedEnvironment",
    "ResolvedNetwork",
    "ResolvedRegion",
    "ResolvedTenant",
    "Source",
    "Trace",
    "model",
    "names",
    "resolve_bootstrap",
    "resolve_environment",
    "resolve_plan",
    "resolve_tenant",
]
__getattr__, __dir__ = lazy_exports(__name__, __all__)
