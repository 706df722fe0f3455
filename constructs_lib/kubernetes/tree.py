"""The GitOps tree: ``kubernetes/<cluster>/...``, as a mapping of relative path -> file text.

Layout of one cluster (see docs/gitops.md)::

    <cluster>/root/                           what the bootstrap applies once (Pulumi, or kubectl apply -k): the
                                              platform AppProject and the root Application; nothing syncs this folder
    <cluster>/bootstrap/                      kustomization: argocd/install, argocd/projects, namespaces, eks-addons
    <cluster>/bootstrap/argocd/install/       ArgoCD itself as a Helm-source Application
    <cluster>/bootstrap/argocd/projects/      AppProject per tenant
    <cluster>/bootstrap/namespaces/<ns>/      Namespace, ResourceQuota, LimitRange, NetworkPolicies, RoleBindings
    <cluster>/bootstrap/eks-addons/<addon>/   what an EKS managed add-on needs (the EBS CSI driver's default StorageClass)
    <cluster>/infrastructure/<addon>/         Helm-source Application (+ ClusterIssuer / ClusterSecretStores)
    <cluster>/infrastructure/database-bootstrap/  Application of manifests/: tenant roles and databases (PostSync Jobs)
    <cluster>/apps/<app>/base, overlays/<env> Kustomize of each custom app
    <cluster>/argocd/                         what the root Application syncs (it alone owns these):
    <cluster>/argocd/applications/            the roots: bootstrap.yaml, infrastructure.yaml, apps.yaml (waves 0, 1, 2)
    <cluster>/argocd/repositories/            Helm repository Secrets
    <cluster>/argocd/projects/                ArgoCD's default AppProject, locked

One Kubernetes object per file; every folder holding objects has a
``kustomization.yaml`` listing them (sorted).
"""

from __future__ import annotations

from ..addons import EKS_ADDONS
from ..addons import addon as registered_addon
from ..resolve.addons import ResolvedAddon
from ..resolve.gitops import PLATFORM_PROJECT, ClusterGitOps, resolve_cluster_gitops
from ..resolve.model import ResolvedCluster, ResolvedEnvironment, ResolvedTenant
from . import database_bootstrap, namespaces
from .argocd_bootstrap import ArgoCdBootstrap
from .argocd_bootstrap import root_objects as _root_objects
from .gitops_tree import GitOpsTree
from .helm_addon import HelmAddOn
from .kustomize_app import KustomizeApp
from .platform_objects import DatabaseBootstrap, ManifestComponent, ObjectFolder
from .tenant_namespace import TenantNamespace, TenantProject


def addon_config(g: ClusterGitOps, addon: ResolvedAddon) -> dict[str, dict]:
    """The cluster configuration that ships beside an add-on (file name -> object), as its
    module in the add-on registry builds it: cert-manager's ClusterIssuer, external-secrets'
    ClusterSecretStores."""
    return registered_addon(addon.component).config_objects(g, addon)


CONFIG_PHASES = ("secret-stores", "platform-secrets", "cluster-config")  # the add-ons' configuration, by its sync wave


def objects_without_gitops(g: ClusterGitOps) -> tuple[tuple[str, tuple[dict, ...]], ...]:
    """What a cluster needs beside its add-on charts when nothing syncs the tree
    (``gitops.tool: none``), in apply order: the guarded namespaces, the add-ons' cluster
    configuration (needs their CRDs) in the phases of its sync waves (the stores' service
    accounts and the stores; the platform's ExternalSecrets; the rest), the tenant database
    bootstrap. The same objects the tree holds; the tenants' apps are left to the team's own
    deploys. :func:`phase_wave` says which charts a phase comes after and before."""
    storage = tuple(obj for objs in eks_addon_config(g).values() for obj in objs.values())
    guarded = tuple(obj for ns in g.namespaces for obj in namespaces.namespace_files(ns).values())
    config = [obj for addon in g.cluster.addons for obj in addon_config(g, addon).values()]
    waves = {str(g.waves[p]): p for p in CONFIG_PHASES}
    unplaced = [o for o in config if o["metadata"].get("annotations", {}).get(WAVE) not in waves]
    if unplaced:
        raise ValueError(f"{g.cluster.key}: configuration objects outside the configuration waves: {[o['metadata']['name'] for o in unplaced]}")
    by_phase = {p: tuple(o for o in config if waves[o["metadata"]["annotations"][WAVE]] == p) for p in CONFIG_PHASES}
    bootstrap = tuple(database_bootstrap.manifests(g.database_bootstrap).values()) if g.database_bootstrap else ()
    phases = (("storage", storage), ("namespaces", guarded), *by_phase.items(), ("database-bootstrap", bootstrap))
    return tuple((phase, objs) for phase, objs in phases if objs)


def phase_wave(g: ClusterGitOps, phase: str) -> int | None:
    """The sync wave of a phase of :func:`objects_without_gitops` among the charts' (None: the
    guarded namespaces, which need no chart; the storage class comes before every chart)."""
    return None if phase == "namespaces" else g.waves[phase]


WAVE = "argocd.argoproj.io/sync-wave"


def eks_addon_config(g: ClusterGitOps) -> dict[str, dict[str, dict]]:
    """What the EKS managed add-ons need in the cluster (add-on -> file name -> object):
    the EBS CSI driver's default StorageClass."""
    return {name: a.config_objects(g) for name, a in EKS_ADDONS.items() if a.config_objects is not None}


def build_tree(g: ClusterGitOps) -> GitOpsTree:
    """The plan's front end of the Kubernetes constructs: one cluster's resolved GitOps model
    mapped onto a :class:`GitOpsTree` and its constructs (the only way the tree is written)."""
    tree = GitOpsTree(
        None,
        g.cluster.key,
        repo_url=g.repo_url,
        environment=g.environment,
        target_revision=g.target_revision,
        tree_path=g.tree_path,
        argocd_namespace=g.argocd_namespace,
        server=g.server,
        waves=g.waves,
    )
    _add_argocd(tree, g)
    for p in g.projects:
        if p.name != PLATFORM_PROJECT:  # the platform project comes with the root (root/)
            TenantProject(tree, f"project-{p.name}", spec=p)
    for ns in g.namespaces:
        TenantNamespace.from_spec(tree, ns)
    for name, objs in eks_addon_config(g).items():
        ObjectFolder(tree, f"eks-addon-{name}", path=f"bootstrap/eks-addons/{name}", objects=objs)
    for addon in g.cluster.addons:
        if addon.component != "argocd":  # installed by ArgoCdBootstrap
            HelmAddOn.from_resolved(tree, addon, addon_config(g, addon))
    for m in g.cluster.manifest_components:  # no chart: the component's own pinned kustomization
        ManifestComponent(tree, f"manifest-{m.name}", component=m)
    if g.database_bootstrap is not None:
        DatabaseBootstrap(tree, "database-bootstrap", spec=g.database_bootstrap)
    for s in g.apps:
        KustomizeApp.from_spec(tree, s)
    return tree


def _add_argocd(tree: GitOpsTree, g: ClusterGitOps) -> ArgoCdBootstrap:
    """ArgoCD's install (when the plan installs it by Helm), its configuration (SSO's
    ExternalSecret, which needs external-secrets: in infrastructure/), the roots."""
    addon = g.cluster.addon("argocd")
    platform = next(p for p in g.projects if p.name == PLATFORM_PROJECT)
    if addon is None:
        return tree.add_argocd(install=False, platform=platform)
    config = addon_config(g, addon)
    return tree.add_argocd(values=addon.values, chart=addon.chart, install=addon.method == "helm", config_objects=config, platform=platform)


def render_cluster(g: ClusterGitOps) -> dict[str, str]:
    """``<cluster>/...`` -> file text, for one resolved cluster."""
    return build_tree(g).synth()


def root_objects(g: ClusterGitOps) -> dict[str, dict]:
    """The platform AppProject and the root Application over ``argocd/``: the only objects of
    the tree the bootstrap path applies (file name -> object). Pulumi creates exactly these."""
    return _root_objects(g, next(p for p in g.projects if p.name == PLATFORM_PROJECT))


def clusters(env: ResolvedEnvironment, only_tenants: set[str] | None = None) -> list[tuple[ResolvedCluster, tuple[ResolvedTenant, ...]]]:
    out = []
    for cluster, tenants in env.clusters:
        tenants = tuple(t for t in tenants if only_tenants is None or t.name in only_tenants)
        if cluster is not env.cluster and not tenants:
            continue  # a dedicated cluster whose tenant was not selected
        out.append((cluster, tenants))
    return out


def render_environment(env: ResolvedEnvironment, only_tenants: set[str] | None = None) -> dict[str, str]:
    files: dict[str, str] = {}
    for cluster, tenants in clusters(env, only_tenants):
        files.update(render_cluster(resolve_cluster_gitops(env, cluster, tenants)))
    return files
