"""Add-ons of a cluster: the Deployment Decision Matrix, pinned charts, values per environment.

The GitOps tree and the Pulumi program both read :class:`ResolvedAddon`, so a
chart version or a value is decided once, here.

Decision matrix (``deployment_strategy``):

| component                         | helm-first                | kustomize-only / raw-manifests |
|-----------------------------------|---------------------------|--------------------------------|
| official or community chart       | Helm + ArgoCD             | Kustomize (chart inflated) + ArgoCD |
| no chart                          | Kustomize + ArgoCD        | Kustomize + ArgoCD             |
| custom app                        | Kustomize base/overlays   | Kustomize base/overlays        |
| chart that needs customization    | Helm + values overlay     | Kustomize (chart inflated) + ArgoCD |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..addons import CHART_ADDONS, AddOn, AddOnContext, ChartRef, chart_catalog
from ..addons.base import CRITICAL_ADDONS_ONLY, AddOnSettings, SystemNodes
from ..addons.cert_manager import cluster_issuer_for as cluster_issuer
from ..addons.ingress_nginx import INGRESS_CLASS
from .model import ClusterDns, IrsaRole, ResolvedNodeGroup

if TYPE_CHECKING:  # annotations only: the Terraform worker imports this module without the plan model
    from ..plan.platform import PlatformPlan

__all__ = ["INGRESS_CLASS", "ChartRef", "ResolvedAddon", "ResolvedManifestComponent", "chart_catalog", "cluster_issuer", "deep_merge", "resolve_addons", "system_nodes"]

S = TypeVar("S", bound=AddOnSettings)


@dataclass(frozen=True)
class ResolvedAddon:
    component: str
    method: str  # helm | kustomize
    reason: str
    chart: ChartRef
    values: dict[str, Any] = field(hash=False)
    # GitOps-side settings that are not Helm values (e.g. the ClusterIssuer of
    # cert-manager, the admin groups of ArgoCD's platform project), typed by the add-on's
    # module; None for an add-on without any. The Helm release values are exactly
    # ``values``; renderers never add to them.
    settings: AddOnSettings | None = field(default=None, hash=False, compare=False)

    @property
    def namespace(self) -> str:
        return self.chart.namespace

    def settings_as(self, kind: type[S]) -> S:
        """The settings as ``kind`` (the add-on module's class): asking for another add-on's, or
        for settings this add-on was resolved without, is a TypeError rather than a default."""
        if not isinstance(self.settings, kind):
            raise TypeError(f"add-on {self.component} has settings {type(self.settings).__name__}, not {kind.__name__}")
        return self.settings


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``overlay`` over ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = deep_merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


@dataclass(frozen=True)
class ResolvedManifestComponent:
    """A component with no chart: a pinned Kustomize folder in a Git repository, applied by ArgoCD."""

    name: str
    repo_url: str
    path: str
    revision: str
    namespace: str
    sync_wave: int
    reason: str


def resolve_manifest_components(platform: PlatformPlan) -> tuple[ResolvedManifestComponent, ...]:
    return tuple(
        ResolvedManifestComponent(
            m.name, m.repo_url, m.path, m.revision, m.namespace, m.sync_wave, f"no chart: Kustomize + ArgoCD from {m.repo_url}//{m.path} at {m.revision}"
        )
        for m in platform.manifest_components
    )


TAINT_EFFECT = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}  # EKS API -> Kubernetes
EKS_NODE_GROUP_LABEL = "eks.amazonaws.com/nodegroup"  # EKS labels every node of a managed node group with its name


def system_nodes(node_groups: tuple[ResolvedNodeGroup, ...]) -> SystemNodes | None:
    """The cluster's system node groups (tainted ``CriticalAddonsOnly``) as add-on pods see them:
    their taints as tolerations, and their common labels as node selector (EKS's node group
    label when a single group has none). None when the cluster has no such group."""
    groups = [g for g in node_groups if any(t.key == CRITICAL_ADDONS_ONLY for t in g.taints)]
    if not groups:
        return None
    tolerations: dict[tuple[str, str, str], dict[str, str]] = {}
    for g in groups:
        for t in g.taints:
            tol = {"key": t.key, "operator": "Equal", "value": t.value, "effect": TAINT_EFFECT[t.effect]} if t.value else {"key": t.key, "operator": "Exists", "effect": TAINT_EFFECT[t.effect]}
            tolerations.setdefault((t.key, t.value, t.effect), tol)
    common = set.intersection(*(set(g.labels) for g in groups))  # the plan refuses several groups without one
    selector = dict(sorted(common)) if common else {EKS_NODE_GROUP_LABEL: groups[0].name}
    return SystemNodes(tuple(g.name for g in groups), tuple(tolerations.values()), selector)


def addon_chart(addon: AddOn, platform: PlatformPlan, charts: Mapping[str, ChartRef] | None = None) -> ChartRef:
    """The chart ``addon`` installs for this plan. Its ``version`` alone selects the values, the
    custom resources' apiVersions and the pod placement (``AddOn`` per chart series), so this is the
    one place a plan's choice of version enters resolution: ``charts`` (``Plan.charts``) holds the
    versions charts.lock resolved from the plan's constraints; a component without one keeps the catalog's pin."""
    return (charts or {}).get(addon.name) or addon.chart


def resolve_addons(
    platform: PlatformPlan,
    tier: str,
    cluster_name: str,
    region: str,
    roles: tuple[IrsaRole, ...],
    env_values: dict[str, dict[str, Any]] | None = None,
    env_file: str = "",
    system: SystemNodes | None = None,
    dns: ClusterDns | None = None,
    vpc_name: str | None = None,
    environment: str = "",
    charts: Mapping[str, ChartRef] | None = None,
) -> tuple[ResolvedAddon, ...]:
    """Every chart add-on the plan enables, in the registry's order, with its values and settings;
    every pod template the add-on declares runs on the ``system`` node group, if there is one."""
    env_values = env_values or {}
    ctx = AddOnContext(tier, cluster_name, region, roles, platform, system, dns=dns, vpc_name=vpc_name, environment=environment)
    out = []
    for component, addon in CHART_ADDONS.items():
        if not addon.enabled(platform):
            continue
        chart = addon_chart(addon, platform, charts)
        if platform.deployment_strategy == "helm-first":
            method = "helm"
            reason = f"{chart.maintainer} chart {chart.chart} {chart.version} exists: Helm + ArgoCD, values per environment"
        else:
            method = "kustomize"
            reason = f"deployment_strategy {platform.deployment_strategy}: Kustomize inflates chart {chart.chart} {chart.version}"
        settings, why = addon.settings(ctx)
        if why:
            reason = f"{reason}; {why}"
        values = addon.values(ctx, chart)
        if system is not None and addon.pods_for(chart):
            reason = f"{reason}; {system.reason} ({', '.join(p.path or '(top level)' for p in addon.pods_for(chart))})"
        overlays = [(platform.component_values.get(component), f"platform.yaml component_values.{component}"), (env_values.get(component), f"{env_file} component_values.{component}")]
        for overlay, where in overlays:
            if overlay:
                values = deep_merge(values, overlay)
                reason = f"{reason}; the chart needs customization: values overlay from {where}"
        out.append(ResolvedAddon(component, method, reason, chart, values, settings))
    return tuple(out)
