"""Argo CD (argo-cd chart): GitOps for every cluster whose plan says ``gitops.tool: argocd``.

It manages itself once installed (the Pulumi bootstrap or ``kubectl apply -k`` hands it over),
so its values are read by both the GitOps tree and the Pulumi program."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from .base import AddOn, AddOnContext, AddOnSettings, PodPlacement

if TYPE_CHECKING:
    from ..resolve.addons import ResolvedAddon
    from ..resolve.gitops import ClusterGitOps

SSO_SECRET = "argocd-sso"  # the Kubernetes Secret (argocd namespace) oidc.config reads the client secret from
SSO_SECRET_KEY = "clientSecret"  # its key: the property of the Secrets Manager secret's JSON
# Argo CD reads `$<secret>:<key>` in argocd-cm only from Secrets of its namespace with this label
# (util/settings/settings.go: partOfArgoCDSelector, ReplaceStringSecret).
ARGOCD_SECRET_LABELS = {"app.kubernetes.io/managed-by": "infraplan", "app.kubernetes.io/part-of": "argocd"}

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


def hostname(ctx: AddOnContext) -> str:
    """ArgoCD's host name with SSO (its URL is what the provider redirects back to): in the
    environment's own domain, ``argocd.<dns.domain>`` (``argocd-<tenant or region>.<dns.domain>`` for
    a tenant's dedicated or a secondary region's cluster), or ``argocd.<cluster key>.<gitops.sso.domain>``
    when the plan names one. Without SSO a cluster-local name that nothing resolves."""
    sso = ctx.platform.gitops.sso
    if sso is None:
        return f"argocd.{ctx.cluster_name}.internal"
    key = ctx.cluster_name.removeprefix(ctx.platform.name + "-")
    assert sso.domain is not None or ctx.dns is not None, "the plan requires a dns domain for SSO without gitops.sso.domain"
    return sso_hostname(sso.domain, key, ctx.environment, ctx.dns.domain if ctx.dns else "")


def sso_hostname(sso_domain: str | None, key: str, environment: str, dns_domain: str) -> str:
    """ArgoCD's SSO host name of the cluster ``key`` of ``environment`` (validate's checks use it too)."""
    if sso_domain is not None:
        return f"argocd.{key}.{sso_domain}"
    rest = key.removeprefix(environment).lstrip("-") if environment and key.startswith(environment) else ""
    return f"argocd{'-' + rest if rest else ''}.{dns_domain}"


def sso_values(ctx: AddOnContext) -> dict[str, Any]:
    """OIDC login, ArgoCD admins from platform_admins.groups, and no local admin (Argo CD 3.0:
    ``admin.enabled: false`` refuses the admin's logins and tokens; no initial admin secret is made)."""
    sso = ctx.platform.gitops.sso
    assert sso is not None
    oidc = {
        "name": sso.name,
        "issuer": sso.issuer,
        "clientID": sso.client_id,
        "clientSecret": f"${SSO_SECRET}:{SSO_SECRET_KEY}",  # resolved by Argo CD from the Secret; never the value in Git
        "requestedScopes": list(sso.requested_scopes),
        "requestedIDTokenClaims": {sso.groups_claim: {"essential": True}},
    }
    admins = "".join(f"g, {group}, role:admin\n" for group in ctx.platform.platform_admins.groups)
    return {
        "configs": {
            "cm": {"url": f"https://{hostname(ctx)}", "oidc.config": yaml.safe_dump(oidc, sort_keys=False), "admin.enabled": False},
            # scopes: the claims Argo CD matches groups in (global policy and the AppProject roles' groups)
            "rbac": {"policy.csv": admins, "policy.default": "", "scopes": f"[{sso.groups_claim}]"},
        }
    }


def server_ingress(ctx: AddOnContext) -> dict[str, Any]:
    """With SSO, argocd-server at its URL (the identity provider redirects browsers to <url>/auth/callback):
    the chart's Ingress (templates/argocd-server/ingress.yaml, the same in 7.9 and 8.1) for ingress-nginx,
    host = the URL's host, TLS from the cluster's ACME ClusterIssuer (cert-manager's ingress-shim writes
    the Secret argocd-server-tls the chart names; argocd-server serves it too), published by external-dns.

    nginx speaks HTTPS to argocd-server's own TLS port (server.insecure stays false, so no plain hop
    between nodes); nginx proxies HTTP/1.1 only, so the argocd CLI connects with --grpc-web.
    ingress-nginx is internet-facing: only gitops.sso.allowed_cidrs may reach the UI (allowlist-source-range,
    ingress-nginx 1.12's name, whitelist-source-range its alias; matched against the client address the load
    balancer keeps, see addons/ingress_nginx.py)."""
    from .cert_manager import cluster_issuer_for
    from .ingress_nginx import INGRESS_CLASS

    sso = ctx.platform.gitops.sso
    assert sso is not None
    return {
        "enabled": True,
        "ingressClassName": INGRESS_CLASS,
        "hostname": hostname(ctx),
        "annotations": {
            "cert-manager.io/cluster-issuer": cluster_issuer_for(ctx.tier)[0],
            "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
            "nginx.ingress.kubernetes.io/allowlist-source-range": ",".join(sso.allowed_cidrs),
            # ArgoCD is synced by the bootstrap root, ingress-nginx by the infrastructure root that waits for
            # it: the Ingress (Progressing until ingress-nginx gives it an address) must not hold ArgoCD's health.
            "argocd.argoproj.io/ignore-healthcheck": "true",
        },
        "tls": True,
    }


def values(ctx: AddOnContext) -> dict[str, Any]:
    """argo-cd 8.x (Argo CD 3.0), whose defaults the tree is built on."""
    ha = ctx.ha
    out: dict[str, Any] = {
        "global": {"domain": hostname(ctx)},
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
    if ctx.platform.gitops.sso is not None:
        from ..resolve.addons import deep_merge

        out = deep_merge(out, sso_values(ctx))
        out["server"]["ingress"] = server_ingress(ctx)
    return out


# Defaults Argo CD 3.0 changed (docs/operator-manual/upgrading/2.14-3.0.md at v3.0.11) that the tree
# relies on, set in argocd-cm for Argo CD 2.14 (argo-cd 7.x), which reads these keys
# (util/settings/settings.go at v2.14.11) and defaults them the other way.
ARGOCD_3_DEFAULTS_FOR_2 = {
    # annotation tracking: ESO copies an ExternalSecret's labels to its Secret, so with label tracking
    # Argo CD would take those Secrets for its own, out of Git, and prune them
    "application.resourceTrackingMethod": "annotation",
    # pod logs only for roles granted `logs, get` (the project roles grant it explicitly), not any `applications, get`
    "server.rbac.log.enforce.enable": True,
    # `applications, update|delete` covers the Application itself, not the live resources it manages
    "server.rbac.disableApplicationFineGrainedRBACInheritance": True,
}


def values_7(ctx: AddOnContext) -> dict[str, Any]:
    """argo-cd 7.x (Argo CD 2.14): the same keys as 8.x (the charts differ in defaults, not in what
    infraplan sets), plus Argo CD 3.0's tracking and RBAC defaults in argocd-cm."""
    out = values(ctx)
    out["configs"]["cm"].update(ARGOCD_3_DEFAULTS_FOR_2)
    return out


@dataclass(frozen=True)
class ArgoCdSsoSettings:
    """ArgoCD's OIDC login (gitops.sso)."""

    client_secret: str
    """The Secrets Manager secret holding the OIDC client secret (created by hand)."""
    url: str
    """ArgoCD's URL, which the identity provider redirects back to."""
    allowed_cidrs: tuple[str, ...]
    """The only ranges ingress-nginx admits to the UI (gitops.sso.allowed_cidrs)."""


@dataclass(frozen=True)
class ArgoCdSettings(AddOnSettings):
    """What the GitOps tree builds around ArgoCD that is not in its Helm values."""

    admin_groups: tuple[str, ...]
    """The groups that are admins of the platform AppProject (platform_admins.groups)."""
    sso: ArgoCdSsoSettings | None = None
    """OIDC login; None without gitops.sso (the local admin stays)."""


def settings(ctx: AddOnContext) -> tuple[ArgoCdSettings, str]:
    groups = tuple(ctx.platform.platform_admins.groups)
    why = f"platform project admins: {', '.join(groups) or '(none)'} (platform.yaml: platform_admins.groups)"
    sso = ctx.platform.gitops.sso
    if sso is None:
        return ArgoCdSettings(admin_groups=groups), f"{why}; no SSO (gitops.sso): the local admin stays, nothing supplies the project roles' groups"
    from ..resolve import names

    secret = names.argocd_sso_secret(ctx.platform.secrets.path_prefix, ctx.environment, ctx.cluster_name, sso.client_secret)
    login = ArgoCdSsoSettings(client_secret=secret, url=f"https://{hostname(ctx)}", allowed_cidrs=tuple(sso.allowed_cidrs))
    return ArgoCdSettings(admin_groups=groups, sso=login), (
        f"{why}; SSO: OIDC from {sso.issuer} (groups claim {sso.groups_claim}), callback https://{hostname(ctx)}/auth/callback; "
        f"platform_admins.groups are role:admin; the local admin is disabled; client secret from Secrets Manager {secret} "
        f"(created by hand) into Secret {SSO_SECRET} through the {names.ARGOCD_SSO_STORE} store (argocd namespace only, its role reads that secret alone); "
        f"exposed through ingress-nginx to {', '.join(sso.allowed_cidrs)} only (gitops.sso.allowed_cidrs)"
    )


def config_objects(g: ClusterGitOps, addon: ResolvedAddon) -> dict[str, dict]:
    """With SSO: the ExternalSecret that writes the client secret into ``argocd-sso``, labelled so
    that Argo CD reads it (ESO copies an ExternalSecret's labels to its Secret when it has no template),
    from the cluster's ``argocd-sso`` store (usable from the argocd namespace only; its role reads that one secret).

    It must never hold up the platform: until someone puts the client secret into Secrets Manager it
    is Degraded. gitops-engine fails a sync on a Degraded resource of any wave but the last (and
    succeeds in the last whatever its health), and Argo CD leaves a resource annotated
    ``ignore-healthcheck`` out of its Application's health: so it is the infrastructure root's last
    wave, out of its health, and the apps root still follows."""
    from ..kubernetes.external_secrets import external_secret, extract
    from ..resolve import names
    from .external_secrets import api_version as external_secrets_api

    sso = addon.settings_as(ArgoCdSettings).sso
    store = next((s for s in g.secret_stores if s.name == names.ARGOCD_SSO_STORE), None)
    if sso is None or store is None:
        return {}
    wave = 1 + max([*g.waves.values(), *(a.chart.sync_wave for a in g.cluster.addons), *(m.sync_wave for m in g.cluster.manifest_components)])
    secret = external_secret(
        name=SSO_SECRET,
        namespace=addon.namespace,
        labels=ARGOCD_SECRET_LABELS,
        store=store.name,
        data_from=extract(store.path_prefix),  # the store's one secret
        annotations={
            "argocd.argoproj.io/sync-wave": str(wave),
            "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true",
            "argocd.argoproj.io/ignore-healthcheck": "true",
        },
        api_version=external_secrets_api(g.cluster, "ExternalSecret"),
    )
    return {f"externalsecret-{SSO_SECRET}.yaml": secret}


ADDON = AddOn(
    name="argocd",
    values_by_series={"7": values_7, "8": values},
    # argo-cd 7.9.1 and 8.1.3 templates/crds serve v1alpha1 (kubernetes/argocd.py API)
    api_versions={s: {kind: "argoproj.io/v1alpha1" for kind in ("Application", "AppProject", "ApplicationSet")} for s in ("7", "8")},
    enabled=lambda platform: platform.gitops.tool == "argocd",
    settings=settings,
    config_objects=config_objects,
    listed_in_plan=False,
    # Every Argo CD component reads global.tolerations/nodeSelector when its own are empty (the
    # chart's `| default .Values.global.*`); the redis-ha subchart (HA) reads its own top level.
    pods=(PodPlacement("global"), PodPlacement("redis-ha")),
)
