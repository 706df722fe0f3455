"""Argo CD (argo-cd chart): GitOps for every cluster whose plan says ``gitops.tool: argocd``.

It manages itself once installed (the Pulumi bootstrap or ``kubectl apply -k`` hands it over),
so its values are read by both the GitOps tree and the Pulumi program."""

from __future__ import annotations

from typing import Any

from .base import AddOn, AddOnContext, PodPlacement

# Argo CD >= 1.8 does not assess the health of Application objects, so an
# app-of-apps would not wait for one sync wave to be healthy before the next.
# This restores it (argo-cd docs, "App of Apps" health), and a child counts as
# healthy only once it is also synced and no sync of it is running: a child whose
# resources are healthy but whose later waves are still being applied does not
# release the parent's next wave. Sync waves then order CRD-installing charts
# (cert-manager, external-secrets, ...), namespaces and StorageClass before their users.
APPLICATION_HEALTH_LUA = """hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
  if hs.status == "Healthy" then
    if obj.status.sync == nil or obj.status.sync.status ~= "Synced" then
      hs.status = "Progressing"
      hs.message = "healthy, not yet synced"
    elseif obj.status.operationState ~= nil and obj.status.operationState.phase == "Running" then
      hs.status = "Progressing"
      hs.message = "a sync is running"
    end
  end
end
return hs
"""


def values(ctx: AddOnContext) -> dict[str, Any]:
    """argo-cd 7.x and 8.x take the same keys for what infraplan sets."""
    ha = ctx.ha
    return {
        "global": {"domain": f"argocd.{ctx.cluster_name}.internal"},
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


def settings(ctx: AddOnContext) -> tuple[dict[str, Any], str]:
    groups = list(ctx.platform.platform_admins.groups)
    return {"admin_groups": groups}, f"platform project admins: {', '.join(groups) or '(none)'} (platform.yaml: platform_admins.groups)"


ADDON = AddOn(
    name="argocd",
    values_by_series={"7": values, "8": values},
    enabled=lambda platform: platform.gitops.tool == "argocd",
    settings=settings,
    listed_in_plan=False,
    # Every Argo CD component reads global.tolerations/nodeSelector when its own are empty (the
    # chart's `| default .Values.global.*`); the redis-ha subchart (HA) reads its own top level.
    pods=(PodPlacement("global"), PodPlacement("redis-ha")),
)
