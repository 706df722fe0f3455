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
from ..resolve.gitops import PLATFORM_PROJECT, ROOT_APPLICATION, ROOT_SOURCE, ClusterGitOps, resolve_cluster_gitops
from ..resolve.model import ResolvedCluster, ResolvedEnvironment, ResolvedTenant
from . import apps as app_objects
from . import argocd, database_bootstrap, namespaces
from .yaml_out import dump

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"


def kustomization(resources: list[str]) -> str:
    return dump({"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "resources": sorted(resources)})


class _Folder:
    """Collects one folder's files and writes its kustomization."""

    def __init__(self, files: dict[str, str], path: str):
        self.files, self.path, self.resources = files, path, []

    def add(self, name: str, obj: dict) -> None:
        self.files[f"{self.path}/{name}"] = dump(obj)
        self.resources.append(name)

    def include(self, folder: str) -> None:
        self.resources.append(folder)

    def close(self) -> None:
        self.files[f"{self.path}/kustomization.yaml"] = kustomization(self.resources)


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


def render_cluster(g: ClusterGitOps) -> dict[str, str]:
    files: dict[str, str] = {}
    k = g.cluster.key

    # bootstrap/
    bootstrap = _Folder(files, f"{k}/bootstrap")
    argocd_addon = g.cluster.addon("argocd")
    if argocd_addon is not None and argocd_addon.method == "helm":
        install = _Folder(files, f"{k}/bootstrap/argocd/install")
        install.add("application.yaml", argocd.helm_application(g, argocd_addon, PLATFORM_PROJECT))
        install.close()
        bootstrap.include("argocd/install")
    projects = _Folder(files, f"{k}/bootstrap/argocd/projects")
    for p in g.projects:
        if p.name != PLATFORM_PROJECT:  # the platform project comes with the root (root/)
            projects.add(f"{p.name}.yaml", argocd.app_project(g, p, g.waves["projects"]))
    projects.close()
    bootstrap.include("argocd/projects")
    ns_root = _Folder(files, f"{k}/bootstrap/namespaces")
    for ns in g.namespaces:
        folder = _Folder(files, f"{k}/bootstrap/namespaces/{ns.name}")
        for name, obj in namespaces.namespace_files(ns).items():
            folder.add(name, obj)
        folder.close()
        ns_root.include(ns.name)
    ns_root.close()
    bootstrap.include("namespaces")
    for name, objs in eks_addon_config(g).items():
        folder = _Folder(files, f"{k}/bootstrap/eks-addons/{name}")
        for file, obj in objs.items():
            folder.add(file, obj)
        folder.close()
        bootstrap.include(f"eks-addons/{name}")
    bootstrap.close()

    # infrastructure/
    infra = _Folder(files, f"{k}/infrastructure")
    for addon in g.cluster.addons:
        if addon.component == "argocd":  # installed by bootstrap/; here only its configuration (SSO's ExternalSecret), which needs external-secrets
            config = addon_config(g, addon)
            if config:
                folder = _Folder(files, f"{k}/infrastructure/argocd")
                for name, obj in config.items():
                    folder.add(name, obj)
                folder.close()
                infra.include("argocd")
            continue
        folder = _Folder(files, f"{k}/infrastructure/{addon.component}")
        if addon.method == "helm":
            folder.add("application.yaml", argocd.helm_application(g, addon, PLATFORM_PROJECT))
        else:  # kustomize inflates the pinned chart (ArgoCD needs kustomize.buildOptions: --enable-helm)
            chart = f"{k}/infrastructure/{addon.component}/chart"
            files[f"{chart}/kustomization.yaml"] = dump(
                {
                    "apiVersion": KUSTOMIZE_API,
                    "kind": "Kustomization",
                    "namespace": addon.chart.namespace,
                    "helmCharts": [
                        {
                            "name": addon.chart.chart,
                            "repo": addon.chart.repo_url,
                            "version": addon.chart.version,
                            "releaseName": addon.chart.release,
                            "namespace": addon.chart.namespace,
                            "includeCRDs": True,
                            "valuesInline": addon.values,
                        }
                    ],
                }
            )
            app = argocd.git_application(g, addon.component, g.path("infrastructure", addon.component, "chart"), PLATFORM_PROJECT, addon.chart.namespace, addon.chart.sync_wave)
            app["spec"]["syncPolicy"]["syncOptions"].insert(0, "CreateNamespace=true")
            folder.add("application.yaml", app)
        for name, obj in addon_config(g, addon).items():
            folder.add(name, obj)
        folder.close()
        infra.include(addon.component)
    for m in g.cluster.manifest_components:  # no chart: the component's own pinned kustomization
        folder = _Folder(files, f"{k}/infrastructure/{m.name}")
        folder.add("application.yaml", argocd.manifest_application(g, m, PLATFORM_PROJECT))
        folder.close()
        infra.include(m.name)
    if g.database_bootstrap is not None:
        spec = g.database_bootstrap
        manifests = _Folder(files, f"{k}/infrastructure/database-bootstrap/manifests")
        for name, obj in database_bootstrap.manifests(spec).items():
            manifests.add(name, obj)
        manifests.close()
        folder = _Folder(files, f"{k}/infrastructure/database-bootstrap")
        app = argocd.git_application(g, "database-bootstrap", g.path("infrastructure", "database-bootstrap", "manifests"), PLATFORM_PROJECT, spec.namespace, g.waves["database-bootstrap"])
        folder.add("application.yaml", app)
        folder.close()
        infra.include("database-bootstrap")
    infra.close()

    # apps/
    for s in g.apps:
        base = _Folder(files, f"{k}/apps/{s.app.name}/base")
        for name, obj in app_objects.base_files(s).items():
            base.add(name, obj)
        base.close()
        kust, objs = app_objects.overlay(s)
        over = f"{k}/apps/{s.app.name}/overlays/{s.environment}"
        for name, obj in objs.items():
            files[f"{over}/{name}"] = dump(obj)
        files[f"{over}/kustomization.yaml"] = dump(kust)

    # argocd/
    # argocd/: the root Application's source. Exactly one owner for every object: the root
    # owns these, the bootstrap root owns bootstrap/, and nothing syncs root/.
    roots = _Folder(files, f"{k}/argocd/applications")
    roots.add("bootstrap.yaml", argocd.git_application(g, "bootstrap", g.path("bootstrap"), PLATFORM_PROJECT, g.argocd_namespace, g.waves["root:bootstrap"]))
    roots.add("infrastructure.yaml", argocd.git_application(g, "infrastructure", g.path("infrastructure"), PLATFORM_PROJECT, g.argocd_namespace, g.waves["root:infrastructure"]))
    roots.add("apps.yaml", argocd.apps_application_set(g, g.apps, g.waves["root:apps"]))
    roots.close()
    repos = _Folder(files, f"{k}/argocd/repositories")
    for repo in g.helm_repos:
        repos.add(f"{repo.name}.yaml", argocd.repository_secret(g, repo, g.waves["repositories"]))
    repos.close()
    default_project = _Folder(files, f"{k}/argocd/projects")
    default_project.add("default.yaml", argocd.locked_default_project(g, g.waves["repositories"]))
    default_project.close()
    top = _Folder(files, f"{k}/argocd")
    for sub in ("applications", "projects", "repositories"):
        top.include(sub)
    top.close()

    # root/: applied once by the bootstrap (Pulumi or kubectl apply -k), never synced
    root = _Folder(files, f"{k}/root")
    for name, obj in root_objects(g).items():
        root.add(name, obj)
    root.close()
    return files


def root_objects(g: ClusterGitOps) -> dict[str, dict]:
    """The platform AppProject and the root Application over ``argocd/``: the only objects of
    the tree the bootstrap path applies (file name -> object). Pulumi creates exactly these."""
    platform = next(p for p in g.projects if p.name == PLATFORM_PROJECT)
    return {
        "project-platform.yaml": argocd.app_project(g, platform, g.waves["projects"]),
        "application-root.yaml": argocd.git_application(g, ROOT_APPLICATION, g.path(*ROOT_SOURCE), PLATFORM_PROJECT, g.argocd_namespace),
    }


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
