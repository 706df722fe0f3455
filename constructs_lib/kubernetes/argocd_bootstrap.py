"""ArgoCD on a cluster as a construct: its own install (a Helm-source Application it then
upgrades itself from), ``root/`` (the platform AppProject and the root Application, the only
objects a bootstrap applies once) and ``argocd/`` (what the root syncs: the three roots, the
repository Secrets of the charts in use, the locked ``default`` project)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..addons.base import ChartRef
from ..resolve.addons import ResolvedAddon
from ..resolve.gitops import PLATFORM_PROJECT, ROOT_APPLICATION, ROOT_SOURCE, ProjectSpec, platform_project
from . import argocd
from .helm_addon import registry_chart
from .tree_base import ConstructError, TreeConstruct, check_objects, folder_files, tree_of
from .tree_node import Construct

if TYPE_CHECKING:
    from .gitops_tree import GitOpsTree


def root_objects(tree: Any, platform: ProjectSpec) -> dict[str, dict]:
    """The platform AppProject and the root Application over ``argocd/`` (file name -> object):
    what the bootstrap (Pulumi, or ``kubectl apply -k root/``) creates, and nothing else.
    ``tree``: a :class:`GitOpsTree` or a resolved ``ClusterGitOps`` (the Pulumi program's)."""
    return {
        "project-platform.yaml": argocd.app_project(tree, platform, tree.waves["projects"]),
        "application-root.yaml": argocd.git_application(tree, ROOT_APPLICATION, tree.path(*ROOT_SOURCE), PLATFORM_PROJECT, tree.argocd_namespace),
    }


class ArgoCdBootstrap(TreeConstruct):
    """ArgoCD, its root and the roots it syncs. One per tree (``tree.add_argocd(...)``).

    Keyword-only props:

    - ``values``: ArgoCD's Helm values. Default ``{}``: the chart's defaults (a local admin, no SSO).
    - ``chart``: the pinned argo-cd chart. Default the registry's pin.
    - ``install``: write ArgoCD's own Application (``bootstrap/argocd/install``), so ArgoCD upgrades
      itself from Git after the bootstrap installed it. Default ``True``. With ``False`` and no
      ``chart``, ArgoCD is installed elsewhere: no repository Secret for its chart either.
    - ``admin_groups``: groups given every right in the platform project. Default none: only
      ArgoCD's local admin administers it.
    - ``source_repos``: repositories the platform project may deploy from besides the tree's own and
      the charts' in use (e.g. a Kustomize component's). Default none.
    - ``config_objects``: ArgoCD's configuration that needs other add-ons' CRDs (an SSO
      ExternalSecret), in ``infrastructure/argocd/``. Default none.
    - ``platform``: the platform AppProject as resolved; default built from the props above.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        values: Mapping[str, Any] | None = None,
        chart: ChartRef | None = None,
        install: bool = True,
        admin_groups: Sequence[str] = (),
        source_repos: Sequence[str] = (),
        config_objects: Mapping[str, dict] | None = None,
        platform: ProjectSpec | None = None,
    ):
        name = f"ArgoCdBootstrap {id!r}"
        self.uses_chart = install or chart is not None  # the tree then holds the chart repository's Secret
        chart = chart if chart is not None else registry_chart(name, "argocd")
        if chart.component != "argocd":
            raise ConstructError(name, f"chart is the pin of {chart.component!r}", "give the argo-cd chart (the registry's 'argocd' pin) or leave chart out")
        if isinstance(admin_groups, str) or not all(isinstance(g, str) and g for g in admin_groups):
            raise ConstructError(name, f"admin_groups={admin_groups!r} is not a list of group names", "give a list such as ['platform-admins']")
        if platform is not None and platform.name != PLATFORM_PROJECT:
            raise ConstructError(name, f"platform project is named {platform.name!r}", f"the root Application and the add-ons use the project {PLATFORM_PROJECT!r}")
        self.config = check_objects(name, "config_objects", config_objects or {})
        tree = tree_of(scope, name)
        existing = tree.constructs_of(ArgoCdBootstrap)
        if existing:
            raise ConstructError(name, f"tree {tree.key!r} already has ArgoCD ({existing[0].node.path})", "add ArgoCD once per cluster")
        super().__init__(scope, id)
        self.chart, self.install = chart, install
        self.values: dict[str, Any] = dict(values or {})
        self.admin_groups, self.source_repos, self._platform = tuple(admin_groups), tuple(source_repos), platform

    def platform_project(self) -> ProjectSpec:
        """The platform AppProject: as given, or over the tree's repository and every chart repository in use."""
        if self._platform is not None:
            return self._platform
        tree = self.tree
        repos = tuple(sorted({tree.repo_url, *(c.source_url for c in tree.charts()), *self.source_repos}))
        return platform_project(repos, self.admin_groups)

    def application(self) -> dict:
        """ArgoCD's own Application: its pinned chart with ``values`` exactly (the Pulumi release's too)."""
        return argocd.helm_application(self.tree, ResolvedAddon("argocd", "helm", "", self.chart, self.values), PLATFORM_PROJECT)

    def roots(self) -> dict[str, dict]:
        """``argocd/applications/``: bootstrap, infrastructure and the apps ApplicationSet, in that order of waves."""
        t = self.tree
        w = t.waves
        return {
            "bootstrap.yaml": argocd.git_application(t, "bootstrap", t.path("bootstrap"), PLATFORM_PROJECT, t.argocd_namespace, w["root:bootstrap"]),
            "infrastructure.yaml": argocd.git_application(t, "infrastructure", t.path("infrastructure"), PLATFORM_PROJECT, t.argocd_namespace, w["root:infrastructure"]),
            "apps.yaml": argocd.apps_application_set(t, tuple(a.spec for a in t.apps()), w["root:apps"]),
        }

    def files(self) -> dict[str, str]:
        t: GitOpsTree = self.tree
        wave = t.waves["repositories"]
        files = folder_files("bootstrap/argocd/install", {"application.yaml": self.application()}) if self.install else {}
        if self.config:
            files.update(folder_files("infrastructure/argocd", self.config))
        files.update(folder_files("argocd/applications", self.roots()))
        files.update(folder_files("argocd/repositories", {f"{r.name}.yaml": argocd.repository_secret(t, r, wave) for r in t.helm_repos()}))
        files.update(folder_files("argocd/projects", {"default.yaml": argocd.locked_default_project(t, wave)}))
        files.update(folder_files("argocd", {}, ("applications", "projects", "repositories")))
        files.update(folder_files("root", root_objects(t, self.platform_project())))
        return files

    def entries(self) -> tuple[tuple[str, str], ...]:
        out = [("bootstrap", "argocd/install")] if self.install else []
        return (*out, *([("infrastructure", "argocd")] if self.config else []))
