"""ArgoCD objects: Applications (Helm and Git sources), AppProjects, the apps
ApplicationSet and Helm repository Secrets. Values come from the resolved model."""

from __future__ import annotations

from typing import Any, Protocol

from ..resolve.addons import ResolvedAddon, ResolvedManifestComponent
from ..resolve.gitops import KEEP_SYNC_OPTIONS, AppSpec, HelmRepo, ProjectSpec

API = "argoproj.io/v1alpha1"
LABELS = {"app.kubernetes.io/managed-by": "infraplan", "app.kubernetes.io/part-of": "platform"}
SYNC_AUTOMATED = {"prune": True, "selfHeal": True}
# A sync that fails (a CRD or namespace another Application makes is not there yet) is retried
# with backoff instead of waiting for the next change in Git.
SYNC_RETRY = {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}


class Site(Protocol):
    """Where a tree's ArgoCD objects point: a :class:`~constructs_lib.kubernetes.gitops_tree.GitOpsTree`
    or a resolved ``ClusterGitOps``."""

    repo_url: str
    target_revision: str
    server: str
    argocd_namespace: str

    def path(self, *parts: str) -> str: ...


def _meta(name: str, namespace: str, wave: int | None = None, labels: dict | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {**LABELS, **(labels or {})}}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": str(wave)}
    return meta


def _application(
    g: Site, name: str, project: str, source: dict[str, Any], namespace: str, wave: int | None, *, component: bool, create_namespace: bool
) -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "Application",
        "metadata": _meta(name, g.argocd_namespace, wave, {"infraplan.io/component": name} if component else None),
        "spec": {
            "project": project,
            "source": source,
            "destination": {"server": g.server, "namespace": namespace},
            "syncPolicy": {
                "automated": SYNC_AUTOMATED,
                "syncOptions": (["CreateNamespace=true"] if create_namespace else []) + ["ServerSideApply=true"],
                "retry": SYNC_RETRY,
            },
        },
    }


def helm_application(g: Site, addon: ResolvedAddon, project: str) -> dict[str, Any]:
    """The shared contract with the Pulumi program: source = the pinned chart, values = ``addon.values`` exactly."""
    c = addon.chart
    source = {"repoURL": c.source_url, "chart": c.chart, "targetRevision": c.version, "helm": {"releaseName": c.release, "valuesObject": addon.values}}
    return _application(g, addon.component, project, source, c.namespace, c.sync_wave, component=True, create_namespace=True)


def git_application(g: Site, name: str, path: str, project: str, namespace: str, wave: int | None = None) -> dict[str, Any]:
    """An Application whose source is a kustomization in the GitOps repo."""
    source = {"repoURL": g.repo_url, "targetRevision": g.target_revision, "path": path}
    return _application(g, name, project, source, namespace, wave, component=False, create_namespace=False)


def manifest_application(g: Site, m: ResolvedManifestComponent, project: str) -> dict[str, Any]:
    """A component with no chart: its pinned Kustomize folder from its own repository."""
    source = {"repoURL": m.repo_url, "targetRevision": m.revision, "path": m.path}
    return _application(g, m.name, project, source, m.namespace, m.sync_wave, component=True, create_namespace=True)


def app_project(g: Site, p: ProjectSpec, wave: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "description": p.description,
        "sourceRepos": list(p.source_repos),
        "destinations": [{"server": g.server, "namespace": ns} for ns in p.destinations],
    }
    if p.cluster_resources:
        spec["clusterResourceWhitelist"] = [{"group": "*", "kind": "*"}]
    else:
        spec["clusterResourceWhitelist"] = []  # none: tenants may not create cluster-scoped objects
        if p.allowed_namespaced_kinds:  # ArgoCD admits a namespaced kind only if whitelisted and not blacklisted
            spec["namespaceResourceWhitelist"] = [{"group": group, "kind": kind} for group, kind in p.allowed_namespaced_kinds]
        spec["namespaceResourceBlacklist"] = [{"group": group, "kind": kind} for group, kind in p.denied_namespaced_kinds]
    if p.roles:
        spec["roles"] = [
            {
                "name": r.name,
                "description": r.description,
                "policies": [f"p, proj:{p.name}:{r.name}, {resource}, {action}, {p.name}/*, allow" for resource, action in r.policies],
                "groups": list(r.groups),
            }
            for r in p.roles
        ]
    meta = _meta(p.name, g.argocd_namespace, wave)
    meta["annotations"]["argocd.argoproj.io/sync-options"] = KEEP_SYNC_OPTIONS  # a pruned project strands its Applications
    return {"apiVersion": API, "kind": "AppProject", "metadata": meta, "spec": spec}


def locked_default_project(g: Site, wave: int) -> dict[str, Any]:
    """ArgoCD's ``default`` project, emptied: no source, no destination, no kind. Every
    Application infraplan writes names its project; one that names none deploys nothing."""
    meta = _meta("default", g.argocd_namespace, wave)
    meta["annotations"]["argocd.argoproj.io/sync-options"] = KEEP_SYNC_OPTIONS  # deleted, ArgoCD would recreate it wide open
    return {
        "apiVersion": API,
        "kind": "AppProject",
        "metadata": meta,
        # ArgoCD treats an absent whitelist as "everything": deny every namespaced kind explicitly.
        "spec": {
            "description": "locked by infraplan: use the platform or a tenant project",
            "sourceRepos": [],
            "destinations": [],
            "clusterResourceWhitelist": [],
            "namespaceResourceBlacklist": [{"group": "*", "kind": "*"}],
        },
    }


def apps_application_set(g: Site, apps: tuple[AppSpec, ...], wave: int | None = None) -> dict[str, Any]:
    """The apps root: one Application per custom app, in its tenant's project, from its overlay."""
    elements = [
        {"app": a.app.name, "project": a.project, "namespace": a.app.namespace, "path": g.path("apps", a.app.name, "overlays", a.environment)} for a in apps
    ]
    return {
        "apiVersion": API,
        "kind": "ApplicationSet",
        "metadata": _meta("apps", g.argocd_namespace, wave),
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": elements}}],
            "template": {
                "metadata": {"name": "{{.app}}", "labels": {**LABELS, "app.kubernetes.io/part-of": "apps"}},
                "spec": {
                    "project": "{{.project}}",
                    "source": {"repoURL": g.repo_url, "targetRevision": g.target_revision, "path": "{{.path}}"},
                    "destination": {"server": g.server, "namespace": "{{.namespace}}"},
                    # A tenant app may use kinds (ExternalSecret) whose CRD an add-on brings: no dry run
                    # against a missing CRD, and retries until the platform has converged.
                    "syncPolicy": {"automated": SYNC_AUTOMATED, "syncOptions": ["SkipDryRunOnMissingResource=true"], "retry": SYNC_RETRY},
                },
            },
        },
    }


def repository_secret(g: Site, repo: HelmRepo, wave: int | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": repo.name, "namespace": g.argocd_namespace, "labels": {**LABELS, "argocd.argoproj.io/secret-type": "repository"}}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": str(wave)}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta,
        "type": "Opaque",
        "stringData": {"type": "helm", "name": repo.name, "url": repo.source_url, **({"enableOCI": "true"} if repo.oci else {})},
    }


def git_repository_secret(namespace: str, name: str, url: str, credential: dict[str, Any]) -> dict[str, Any]:
    """An ArgoCD repository Secret for a Git repository (Argo CD 3.0 ``util/db/repository_secrets.go``
    reads ``url``, ``type``, ``username``/``password`` or ``sshPrivateKey``). Only the bootstrap builds
    it, with ``credential`` from secret stack config: it never enters the GitOps tree."""
    meta = {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "infraplan", "argocd.argoproj.io/secret-type": "repository"}}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "stringData": {"type": "git", "url": url, **credential}}
