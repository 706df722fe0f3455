"""The platform's other parts of a tree as constructs: :class:`ObjectFolder` (objects shipped
as they are, e.g. an EKS add-on's default StorageClass), :class:`ManifestComponent` (a component
with no chart: its pinned Kustomize folder from its own repository) and
:class:`DatabaseBootstrap` (the tenants' PostgreSQL roles and databases, PostSync Jobs)."""

from __future__ import annotations

from collections.abc import Mapping

from ..resolve.addons import ResolvedManifestComponent
from ..resolve.gitops import PLATFORM_PROJECT, DatabaseBootstrapSpec
from . import argocd, database_bootstrap
from .tree_base import ConstructError, TreeConstruct, check_dns_label, check_objects, folder_files
from .tree_node import Construct

SHARED = ("bootstrap", "infrastructure")


class ObjectFolder(TreeConstruct):
    """A folder of objects, listed in one of the tree's roots.

    Keyword-only props: ``path`` (the folder under ``bootstrap/`` or ``infrastructure/``, required),
    ``objects`` (file name -> object, required, at least one)."""

    def __init__(self, scope: Construct, id: str, *, path: str, objects: Mapping[str, dict]):
        label = f"ObjectFolder {id!r}"
        root, _, rest = path.partition("/")
        if root not in SHARED or not rest or ".." in rest.split("/"):
            raise ConstructError(label, f"path={path!r} is outside the synced roots", "give bootstrap/<folder> or infrastructure/<folder>")
        if not objects:
            raise ConstructError(label, "objects is empty", "give at least one object (a folder with none syncs nothing)")
        self.objects = check_objects(label, "objects", objects)
        super().__init__(scope, id)
        self.root, self.rest = root, rest

    def files(self) -> dict[str, str]:
        return folder_files(f"{self.root}/{self.rest}", self.objects)

    def entries(self) -> tuple[tuple[str, str], ...]:
        return ((self.root, self.rest),)


class ManifestComponent(TreeConstruct):
    """``infrastructure/<name>/``: the Application of a component's pinned Kustomize folder.

    ``component``: the component (its repository, path, exact revision, namespace, wave)."""

    def __init__(self, scope: Construct, id: str, *, component: ResolvedManifestComponent):
        label = f"ManifestComponent {id!r}"
        check_dns_label(label, "component.name", component.name)
        if not component.revision or component.revision in ("HEAD", "main", "master"):
            raise ConstructError(label, f"revision={component.revision!r} is not pinned", "give an exact tag or commit SHA")
        super().__init__(scope, id)
        self.component = component

    def files(self) -> dict[str, str]:
        return folder_files(f"infrastructure/{self.component.name}", {"application.yaml": argocd.manifest_application(self.tree, self.component, PLATFORM_PROJECT)})

    def entries(self) -> tuple[tuple[str, str], ...]:
        return (("infrastructure", self.component.name),)


class DatabaseBootstrap(TreeConstruct):
    """``infrastructure/database-bootstrap/``: an idempotent PostSync Job per tenant creating its
    PostgreSQL role and database, and the Application syncing them after the add-ons.

    ``spec``: the bootstrap as resolved (namespace, master secret store, image, tenants)."""

    def __init__(self, scope: Construct, id: str, *, spec: DatabaseBootstrapSpec):
        label = f"DatabaseBootstrap {id!r}"
        check_dns_label(label, "spec.namespace", spec.namespace)
        if not spec.tenants:
            raise ConstructError(label, "spec.tenants is empty", "add a DatabaseBootstrap only for tenants with a database")
        super().__init__(scope, id)
        self.spec = spec

    def files(self) -> dict[str, str]:
        t, spec = self.tree, self.spec
        app = argocd.git_application(t, "database-bootstrap", t.path("infrastructure", "database-bootstrap", "manifests"), PLATFORM_PROJECT, spec.namespace, t.waves["database-bootstrap"])
        files = folder_files("infrastructure/database-bootstrap/manifests", database_bootstrap.manifests(spec))
        files.update(folder_files("infrastructure/database-bootstrap", {"application.yaml": app}))
        return files

    def entries(self) -> tuple[tuple[str, str], ...]:
        return (("infrastructure", "database-bootstrap"),)
