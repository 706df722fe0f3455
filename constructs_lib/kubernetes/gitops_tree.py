"""The GitOps tree of one cluster as a construct: :class:`GitOpsTree` is the root the
Kubernetes constructs compose under (``tree.add_addon(...)``, ``tree.add_tenant(...)``,
``tree.add_app(...)``), and ``tree.synth()`` gives every file of ``<cluster>/...``.

The plan is one front end of it (``tree.render_cluster`` maps a resolved cluster onto these
constructs); a Python user composes the same constructs without a plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..addons.base import ChartRef
from ..resolve.gitops import IN_CLUSTER, WAVES, HelmRepo, helm_repos_for
from ..resolve.model import Quota
from .tree_base import ConstructError, TreeConstruct, check_dns_label, kustomization
from .tree_node import Construct

if TYPE_CHECKING:
    from .argocd_bootstrap import ArgoCdBootstrap
    from .helm_addon import HelmAddOn
    from .kustomize_app import KustomizeApp
    from .tenant_namespace import Tenant, TenantNamespace

SHARED_FOLDERS = ("bootstrap", "bootstrap/argocd/projects", "bootstrap/namespaces", "infrastructure")
"""The tree's kustomizations that list what its constructs add (always written, empty or not)."""
ALWAYS_IN_BOOTSTRAP = ("argocd/projects", "namespaces")


class GitOpsTree(Construct):
    """One cluster's GitOps tree (``<id>/`` of the repository's ``tree_path``'s parent).

    Keyword-only props:

    - ``repo_url``: the Git repository ArgoCD syncs the tree from. Required: nothing else can say it.
    - ``environment``: the environment the cluster serves (labels, app overlays). Required.
    - ``target_revision``: the branch or tag ArgoCD follows. Default ``"main"``, the plan's default.
    - ``tree_path``: the folder of this tree inside the repository. Default ``"kubernetes/<id>"``,
      where ``infraplan synth`` writes it under the plan's default ``gitops.path``.
    - ``argocd_namespace``: where ArgoCD and its Applications live. Default ``"argocd"``, the chart's.
    - ``server``: the cluster ArgoCD deploys to. Default the in-cluster API: one ArgoCD per
      cluster, managing only itself.
    - ``waves``: the sync waves by phase. Default :data:`constructs_lib.resolve.gitops.WAVES`.
    """

    is_gitops_tree = True

    def __init__(
        self,
        scope: Construct | None,
        id: str,
        *,
        repo_url: str,
        environment: str,
        target_revision: str = "main",
        tree_path: str | None = None,
        argocd_namespace: str = "argocd",
        server: str = IN_CLUSTER,
        waves: Mapping[str, int] | None = None,
    ):
        name = f"GitOpsTree {id!r}"
        check_dns_label(name, "id (the cluster folder)", id)
        if not isinstance(repo_url, str) or not repo_url.startswith(("https://", "ssh://", "git@")) or any(c.isspace() for c in repo_url):
            raise ConstructError(name, f"repo_url={repo_url!r} is not a Git URL ArgoCD can clone", "give https://host/org/repo.git or ssh://git@host/org/repo.git")
        path = tree_path if tree_path is not None else f"kubernetes/{id}"
        if not path or path.startswith("/") or ".." in path.split("/") or path.endswith("/"):
            raise ConstructError(name, f"tree_path={path!r} is not a folder inside the repository", "give a relative path such as 'kubernetes/dev', without '..'")
        if not target_revision or any(c.isspace() for c in target_revision):
            raise ConstructError(name, f"target_revision={target_revision!r} is not a Git revision", "give a branch, a tag or a commit SHA")
        check_dns_label(name, "argocd_namespace", argocd_namespace)
        check_dns_label(name, "environment", environment)
        missing = sorted(set(WAVES) - set(waves or WAVES))
        if missing:
            raise ConstructError(name, f"waves lacks {missing}", "start from constructs_lib.resolve.gitops.WAVES and change only the waves you mean to")
        super().__init__(scope if scope is not None else Construct(None, ""), id)  # under a root of its own, as before: paths start at the id
        self.key, self.environment, self.repo_url, self.target_revision = id, environment, repo_url, target_revision
        self.tree_path, self.argocd_namespace, self.server = path, argocd_namespace, server
        self.waves: dict[str, int] = dict(waves or WAVES)
        self._constructs: list | None = None  # the TreeConstructs in find_all's order, while known
        self._spine: list[Construct] = []  # the last construct added at the root, its last child, ...

    def path(self, *parts: str) -> str:
        """A folder of this tree as the repository knows it (what an Application's source names)."""
        return "/".join([self.tree_path, *parts])

    # composition -------------------------------------------------------------------------

    def add_argocd(self, **props: Any) -> ArgoCdBootstrap:
        """ArgoCD's own install, its root Application and the roots it syncs (see :class:`ArgoCdBootstrap`)."""
        from .argocd_bootstrap import ArgoCdBootstrap

        return ArgoCdBootstrap(self, "argocd", **props)

    def add_addon(self, component: str, **props: Any) -> HelmAddOn:
        """An add-on of the registry (``constructs_lib/addons/``) as a pinned chart (see :class:`HelmAddOn`)."""
        from .helm_addon import HelmAddOn

        return HelmAddOn(self, f"addon-{component}", component=component, **props)

    def add_tenant(self, name: str, *, namespaces: Sequence[str], quota: Quota | None = None, **props: Any) -> Tenant:
        """A tenant: its AppProject and a guarded namespace each, sharing its quota (see :class:`Tenant`)."""
        from .tenant_namespace import Tenant

        return Tenant(self, f"tenant-{name}", name=name, namespaces=namespaces, quota=quota, **props)

    def add_app(self, name: str, **props: Any) -> KustomizeApp:
        """A tenant's app as Kustomize base and overlay (see :class:`KustomizeApp`)."""
        from .kustomize_app import KustomizeApp

        return KustomizeApp(self, f"app-{name}", name=name, **props)

    # what the constructs share -------------------------------------------------------------

    def constructs_of(self, kind: type) -> list:
        """This tree's constructs of one class, in composition order (``node.find_all``'s).

        Every construct's checks and files ask for a kind, and each ``find_all`` walks the
        whole tree: asked each time, composing and writing a tree was quadratic in its size.
        The tree's constructs are listed once; one added where ``find_all`` would list it last (under the root, or under the construct last added
        there, ...: :meth:`composed`) is appended, any other makes the list be read again."""
        from .tree_base import TreeConstruct

        if not (isinstance(kind, type) and issubclass(kind, TreeConstruct)):
            return [c for c in self.node.find_all() if isinstance(c, kind)]
        if self._constructs is None:
            self._constructs = [c for c in self.node.find_all() if isinstance(c, TreeConstruct)]
        return [c for c in self._constructs if isinstance(c, kind)]

    def composed(self, construct: Construct, scope: Construct) -> None:
        """``construct`` was just added under ``scope`` (every :class:`TreeConstruct` and
        :class:`Tenant` says so when created)."""
        from .tree_base import TreeConstruct

        if scope is self:
            self._spine = [construct]
        elif any(s is scope for s in self._spine):
            self._spine = [*self._spine[: next(i for i, s in enumerate(self._spine) if s is scope) + 1], construct]
        else:  # not where find_all lists it last
            self._spine, self._constructs = [], None
            return
        if self._constructs is not None and isinstance(construct, TreeConstruct):
            self._constructs.append(construct)

    def addons(self) -> list[HelmAddOn]:
        from .helm_addon import HelmAddOn

        return self.constructs_of(HelmAddOn)

    def apps(self) -> list[KustomizeApp]:
        from .kustomize_app import KustomizeApp

        return self.constructs_of(KustomizeApp)

    def namespaces(self) -> list[TenantNamespace]:
        from .tenant_namespace import TenantNamespace

        return self.constructs_of(TenantNamespace)

    def charts(self) -> list[ChartRef]:
        """Every chart the tree installs (ArgoCD's included)."""
        from .argocd_bootstrap import ArgoCdBootstrap

        return [c.chart for c in self.constructs_of(ArgoCdBootstrap) if c.uses_chart] + [a.chart for a in self.addons()]

    def helm_repos(self) -> tuple[HelmRepo, ...]:
        """One repository Secret per chart repository in use, by name."""
        return helm_repos_for(chart.repo_url for chart in self.charts())

    # synthesis -----------------------------------------------------------------------------

    def synth(self) -> dict[str, str]:
        """Every file of the tree, ``<id>/<path>`` -> text. Refuses two constructs writing one file
        and an app whose namespace the tree does not guard."""
        self._check_apps()
        files: dict[str, str] = {}
        entries: dict[str, list[str]] = {folder: [] for folder in SHARED_FOLDERS}
        entries["bootstrap"].extend(ALWAYS_IN_BOOTSTRAP)
        for c in self.constructs_of(TreeConstruct):
            for path, text in c.files().items():
                if path in files:
                    raise ConstructError(c.node.path, f"writes {path}, which another construct of the tree writes", "give each construct its own name")
                files[path] = text
            for folder, entry in c.entries():
                entries[folder].append(entry)
        for folder, resources in entries.items():
            files[f"{folder}/kustomization.yaml"] = kustomization(resources)
        return {f"{self.key}/{path}": text for path, text in files.items()}

    def _check_apps(self) -> None:
        guarded = {ns.spec.name for ns in self.namespaces()}
        for app in self.apps():
            if app.spec.app.namespace not in guarded:
                raise ConstructError(
                    app.node.path, f"namespace {app.spec.app.namespace!r} is not a guarded namespace of tree {self.key!r}", "add it with tree.add_tenant(..., namespaces=[...]) first"
                )
