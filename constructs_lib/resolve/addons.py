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

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..plan.platform import PlatformPlan
from .model import IrsaRole


@dataclass(frozen=True)
class ChartRef:
    component: str
    repo_url: str
    chart: str
    version: str
    maintainer: str  # official | community
    namespace: str
    release: str
    sync_wave: int


@dataclass(frozen=True)
class ResolvedAddon:
    component: str
    method: str  # helm | kustomize
    reason: str
    chart: ChartRef
    values: dict[str, Any] = field(hash=False)

    @property
    def namespace(self) -> str:
        return self.chart.namespace


@cache
def chart_catalog() -> dict[str, ChartRef]:
    data = yaml.safe_load(resources.files("constructs_lib.data").joinpath("charts.yaml").read_text())
    return {name: ChartRef(component=name, **{k: (str(v) if k == "version" else v) for k, v in spec.items()}) for name, spec in data.items()}


def _replicas(tier: str) -> int:
    return {"development": 1, "staging": 2, "production": 3}[tier]


def _irsa(roles: tuple[IrsaRole, ...], component: str) -> IrsaRole | None:
    return next((r for r in roles if r.component == component), None)


def addon_values(component: str, tier: str, cluster_name: str, region: str, roles: tuple[IrsaRole, ...], platform: PlatformPlan) -> dict[str, Any]:
    """Helm values per component and tier (HA in production)."""
    ha = tier == "production"
    n = _replicas(tier)
    if component == "argocd":
        values: dict[str, Any] = {
            "global": {"domain": f"argocd.{cluster_name}.internal"},
            "configs": {"params": {"server.insecure": False}, "cm": {"exec.enabled": False, "admin.enabled": True}},
            "dex": {"enabled": False},
            "server": {"replicas": 2 if ha else 1},
            "repoServer": {"replicas": 2 if ha else 1},
            "applicationSet": {"replicas": 2 if ha else 1},
            "controller": {"replicas": 1},
            "redis-ha": {"enabled": ha},
            "redis": {"enabled": not ha},
        }
        return values
    if component == "ingress-nginx":
        return {
            "controller": {
                "replicaCount": n,
                "minAvailable": max(1, n - 1),
                "service": {
                    "annotations": {
                        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                    }
                },
                "metrics": {"enabled": True, "serviceMonitor": {"enabled": "kube-prometheus-stack" in platform.components}},
                "config": {"use-forwarded-headers": "true", "server-tokens": "false"},
            }
        }
    if component == "cert-manager":
        role = _irsa(roles, "cert-manager")
        values = {"crds": {"enabled": True, "keep": True}, "replicaCount": 2 if ha else 1, "prometheus": {"enabled": "kube-prometheus-stack" in platform.components}}
        if role:
            values["serviceAccount"] = {"name": role.service_account, "annotations": {"eks.amazonaws.com/role-arn": role.role_arn}}
            values["securityContext"] = {"fsGroup": 1001}
        return values
    if component == "external-secrets":
        role = _irsa(roles, "external-secrets")
        values = {"installCRDs": True, "replicaCount": 2 if ha else 1}
        if role:
            values["serviceAccount"] = {"name": role.service_account, "annotations": {"eks.amazonaws.com/role-arn": role.role_arn}}
        return values
    if component == "kube-prometheus-stack":
        return {
            "prometheus": {
                "prometheusSpec": {
                    "replicas": 2 if ha else 1,
                    "retention": "15d" if ha else "3d",
                    "storageSpec": {
                        "volumeClaimTemplate": {
                            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "100Gi" if ha else "20Gi"}}}
                        }
                    },
                }
            },
            "alertmanager": {"alertmanagerSpec": {"replicas": 3 if ha else 1}},
            "grafana": {"replicas": 2 if ha else 1},
        }
    raise ValueError(f"no values for component {component}")


def resolve_addons(platform: PlatformPlan, tier: str, cluster_name: str, region: str, roles: tuple[IrsaRole, ...]) -> tuple[ResolvedAddon, ...]:
    catalog = chart_catalog()
    components = (["argocd"] if platform.gitops.tool == "argocd" else []) + list(platform.components)
    out = []
    for component in components:
        chart = catalog[component]
        if component == "argocd" and platform.gitops.argocd_version:
            chart = ChartRef(**{**chart.__dict__, "version": platform.gitops.argocd_version})
        if platform.deployment_strategy == "helm-first":
            method = "helm"
            reason = f"{chart.maintainer} chart {chart.chart} {chart.version} exists: Helm + ArgoCD, values per environment"
        else:
            method = "kustomize"
            reason = f"deployment_strategy {platform.deployment_strategy}: Kustomize inflates chart {chart.chart} {chart.version}"
        out.append(ResolvedAddon(component, method, reason, chart, addon_values(component, tier, cluster_name, region, roles, platform)))
    return tuple(out)
