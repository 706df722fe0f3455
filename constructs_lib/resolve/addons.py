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

INGRESS_CLASS = "nginx"  # the IngressClass ingress-nginx creates; app Ingresses and HTTP-01 solvers use it
LETSENCRYPT = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}
# ArgoCD >= 1.8 does not assess the health of Application objects, so an
# app-of-apps would not wait for one sync wave to be healthy before the next.
# This restores it (argo-cd docs, "App of Apps" health); sync waves then order
# CRD-installing charts (cert-manager, external-secrets, ...) before their users.
APPLICATION_HEALTH_LUA = """hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
"""


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
    # GitOps-side settings that are not Helm values (e.g. the ClusterIssuer of
    # cert-manager, the admin groups of ArgoCD's platform project). The Helm
    # release values are exactly ``values``; renderers never add to them.
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

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
            "configs": {
                "params": {"server.insecure": False},
                "cm": {"exec.enabled": False, "admin.enabled": True, "resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA},
            },
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
                "ingressClassResource": {"name": INGRESS_CLASS, "enabled": True, "default": False},
                "ingressClass": INGRESS_CLASS,
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


def resolve_addons(
    platform: PlatformPlan,
    tier: str,
    cluster_name: str,
    region: str,
    roles: tuple[IrsaRole, ...],
    env_values: dict[str, dict[str, Any]] | None = None,
    env_file: str = "",
) -> tuple[ResolvedAddon, ...]:
    catalog = chart_catalog()
    env_values = env_values or {}
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
        settings, why = addon_settings(component, tier, region, roles, platform)
        if why:
            reason = f"{reason}; {why}"
        values = addon_values(component, tier, cluster_name, region, roles, platform)
        overlays = [(platform.component_values.get(component), f"platform.yaml component_values.{component}"), (env_values.get(component), f"{env_file} component_values.{component}")]
        for overlay, where in overlays:
            if overlay:
                values = deep_merge(values, overlay)
                reason = f"{reason}; the chart needs customization: values overlay from {where}"
        out.append(ResolvedAddon(component, method, reason, chart, values, settings))
    return tuple(out)


def cluster_issuer(tier: str) -> tuple[str, str]:
    """The ACME ClusterIssuer of a tier and why."""
    if tier == "production":
        return "letsencrypt-production", "tier production: Let's Encrypt production ACME (browser-trusted certificates)"
    return "letsencrypt-staging", f"tier {tier}: Let's Encrypt staging ACME (untrusted certificates, no production rate limits burnt by short-lived environments)"


def addon_settings(component: str, tier: str, region: str, roles: tuple[IrsaRole, ...], platform: PlatformPlan) -> tuple[dict[str, Any], str]:
    """GitOps settings of an add-on that are not Helm values, and the reason (for ``infraplan explain``)."""
    if component == "argocd":
        groups = list(platform.platform_admins.groups)
        return {"admin_groups": groups}, f"platform project admins: {', '.join(groups) or '(none)'} (platform.yaml: platform_admins.groups)"
    if component == "ingress-nginx":
        return {"ingress_class": INGRESS_CLASS}, f"IngressClass {INGRESS_CLASS}"
    if component == "cert-manager":
        assert platform.certificates is not None, "checked when the plan was loaded"
        name, why = cluster_issuer(tier)
        c = platform.certificates
        issuer: dict[str, Any] = {"name": name, "server": LETSENCRYPT[name], "email": c.acme_email, "challenge": c.challenge}
        if c.challenge == "dns-01":
            role = _irsa(roles, "cert-manager")
            issuer.update({"hosted_zone_id": c.hosted_zone_id, "region": region, "role_arn": role.role_arn if role else None})
            solver = f"DNS-01 via Route 53 zone {c.hosted_zone_id} in {region} with the cert-manager IRSA role"
        else:
            issuer["ingress_class"] = INGRESS_CLASS
            solver = f"HTTP-01 through IngressClass {INGRESS_CLASS}"
        return {"issuer": issuer}, f"ClusterIssuer {name}: {why}; {solver}"
    if component == "external-secrets":
        role = _irsa(roles, "external-secrets")
        if role is None:
            return {}, "no IRSA role (secrets.operator is not external-secrets): no SecretStores"
        return {"service_account": role.service_account, "service_account_namespace": role.namespace, "role_arn": role.role_arn}, (
            f"ClusterSecretStores for AWS Secrets Manager in {region} authenticate as service account {role.namespace}/{role.service_account} (IRSA role {role.role_name})"
        )
    return {}, ""
