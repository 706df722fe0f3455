"""Tenants as constructs: :class:`TenantNamespace` (the guarded namespace: Namespace with Pod
Security restricted, ResourceQuota, LimitRange, NetworkPolicies, Roles and RoleBindings, in
``bootstrap/namespaces/<ns>/``), :class:`TenantProject` (its ArgoCD AppProject) and
:class:`Tenant`, which composes both from a tenant's namespaces, quota and groups."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from ..resolve.gitops import TENANT_ROLES, NamespaceSpec, ProjectSpec, RoleBindingSpec, RoleSpec, namespace_quota, tenant_project, tenant_project_roles, tenant_role_bindings
from ..resolve.model import Quota
from . import argocd, namespaces
from .tree_base import ConstructError, TreeConstruct, check_dns_label, folder_files, positive_quantity, tree_of
from .tree_node import Construct
from .yaml_out import dump

DEFAULT_QUOTA = Quota(cpu="4", memory="8Gi", pods=50, services_loadbalancers=0, persistentvolumeclaims=10)
"""A tenant's quota when none is given: the plan's defaults (``tenants/<t>.yaml`` quotas)."""
RESERVED_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


def _check_quota(construct: str, q: Quota) -> None:
    for prop, value in (("cpu", q.cpu), ("memory", q.memory)):
        if not positive_quantity(value):
            raise ConstructError(construct, f"quota.{prop}={value!r} is not a positive Kubernetes quantity", "write e.g. cpu '2' or '500m', memory '4Gi'")
    if q.pods < 1 or q.services_loadbalancers < 0 or q.persistentvolumeclaims < 0:
        raise ConstructError(construct, f"quota {q} has a count below its floor", "give pods >= 1 and services_loadbalancers, persistentvolumeclaims >= 0")


def _check_database(construct: str, cidrs: Sequence[str], port: int | None) -> None:
    for c in cidrs:
        try:
            ipaddress.ip_network(c, strict=True)
        except ValueError:
            raise ConstructError(construct, f"database_cidrs holds {c!r}, not a network", "give networks such as '10.0.20.0/24' (host bits zero)") from None
    if bool(cidrs) != (port is not None) or (port is not None and not 1 <= port <= 65535):
        raise ConstructError(construct, f"database_cidrs={list(cidrs)!r} with database_port={port!r}", "give both (the database subnets and its port, 1-65535) or neither")


class TenantNamespace(TreeConstruct):
    """A guarded namespace. Everything is denied but what it names: default-deny NetworkPolicies
    with DNS and same-namespace traffic allowed, ingress from ``ingress_namespace``, egress to the
    database; Pod Security ``restricted``; the quota; container defaults; the tenant's groups bound
    to namespaced Roles. ArgoCD never prunes the namespace or its guardrails.

    Keyword-only props:

    - ``name``: the namespace. Required. ``default`` and ``kube-*`` are refused (not a tenant's).
    - ``environment``: label of the environment. Default the tree's.
    - ``tenant``: the owning tenant (label, secret store access). Default ``None``: a platform namespace.
    - ``quota``: this namespace's quota. Default :data:`DEFAULT_QUOTA`.
    - ``role_bindings``: groups bound to Roles of this namespace. Default none: no one but the platform.
    - ``roles``: the Roles written. Default those of :data:`TENANT_ROLES` the bindings name.
    - ``ingress_namespace``: namespace of the ingress controller allowed in. Default none: no ingress.
    - ``database_cidrs`` / ``database_port``: egress allowed to the database. Default none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        environment: str | None = None,
        tenant: str | None = None,
        quota: Quota = DEFAULT_QUOTA,
        role_bindings: Sequence[RoleBindingSpec] = (),
        roles: Sequence[RoleSpec] | None = None,
        ingress_namespace: str | None = None,
        database_cidrs: Sequence[str] = (),
        database_port: int | None = None,
    ):
        label = f"TenantNamespace {id!r}"
        check_dns_label(label, "name", name)
        if name in RESERVED_NAMESPACES or name.startswith("kube-"):
            raise ConstructError(label, f"name={name!r} is a Kubernetes system namespace", "give the tenant a namespace of its own")
        tree = tree_of(scope, label)
        if any(ns.spec.name == name for ns in tree.namespaces()):
            raise ConstructError(label, f"namespace {name!r} is already guarded in tree {tree.key!r}", "each namespace belongs to one tenant; pick another name")
        _check_quota(label, quota)
        _check_database(label, database_cidrs, database_port)
        roles = tuple(r for r in TENANT_ROLES if r.name in {b.role for b in role_bindings}) if roles is None else tuple(roles)
        for b in role_bindings:
            if b.role not in {r.name for r in roles} or not b.groups:
                raise ConstructError(label, f"role binding {b.name!r} binds {b.role!r} to {list(b.groups)!r}", f"bind at least one group to one of the Roles {[r.name for r in roles]}")
        if ingress_namespace is not None:
            check_dns_label(label, "ingress_namespace", ingress_namespace)
        super().__init__(scope, id)
        env = environment if environment is not None else tree.environment
        self.spec = NamespaceSpec(name, tenant, env, quota, tuple(role_bindings), ingress_namespace, tuple(database_cidrs), database_port, roles)

    @classmethod
    def from_spec(cls, scope: Construct, spec: NamespaceSpec) -> TenantNamespace:
        """The plan's front end: a namespace as resolution decided it."""
        return cls(
            scope,
            f"namespace-{spec.name}",
            name=spec.name,
            environment=spec.environment,
            tenant=spec.tenant,
            quota=spec.quota,
            role_bindings=spec.role_bindings,
            roles=spec.roles,
            ingress_namespace=spec.ingress_namespace,
            database_cidrs=spec.database_cidrs,
            database_port=spec.database_port,
        )

    def objects(self) -> dict[str, dict]:
        """File name -> object: Namespace, quota, limits, policies, Roles, RoleBindings."""
        return namespaces.namespace_files(self.spec)

    def files(self) -> dict[str, str]:
        return folder_files(f"bootstrap/namespaces/{self.spec.name}", self.objects())

    def entries(self) -> tuple[tuple[str, str], ...]:
        return (("bootstrap/namespaces", self.spec.name),)


class TenantProject(TreeConstruct):
    """A tenant's ArgoCD AppProject (``bootstrap/argocd/projects/<name>.yaml``): deploys only from
    its repositories into its namespaces, workload kinds only, no cluster-scoped object.

    ``spec``: the project (:func:`constructs_lib.resolve.gitops.tenant_project` builds one)."""

    def __init__(self, scope: Construct, id: str, *, spec: ProjectSpec):
        label = f"TenantProject {id!r}"
        check_dns_label(label, "spec.name", spec.name)
        if spec.cluster_resources or "*" in spec.destinations or not spec.destinations:
            raise ConstructError(label, f"project {spec.name!r} reaches {list(spec.destinations)!r} (cluster-scoped: {spec.cluster_resources})", "a tenant project names its own namespaces and no cluster-scoped kinds")
        super().__init__(scope, id)
        self.spec = spec

    def files(self) -> dict[str, str]:
        t = self.tree
        return {f"bootstrap/argocd/projects/{self.spec.name}.yaml": dump(argocd.app_project(t, self.spec, t.waves["projects"]))}

    def entries(self) -> tuple[tuple[str, str], ...]:
        return (("bootstrap/argocd/projects", f"{self.spec.name}.yaml"),)


class Tenant(Construct):
    """A tenant on the cluster: its AppProject and a :class:`TenantNamespace` per namespace, the
    quota split evenly over them (their sum never exceeds it). ``tree.add_tenant(name, ...)``.

    Keyword-only props: ``name`` and ``namespaces`` (required); ``quota`` (default
    :data:`DEFAULT_QUOTA`, for the whole tenant); ``admin_groups``, ``developer_groups``,
    ``viewer_groups`` (default none); ``source_repos`` (besides the tree's repository, default
    none); ``ingress_namespace``; ``display_name`` (default ``name``); ``environment`` (default the tree's).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        namespaces: Sequence[str],
        quota: Quota | None = None,
        admin_groups: Sequence[str] = (),
        developer_groups: Sequence[str] = (),
        viewer_groups: Sequence[str] = (),
        source_repos: Sequence[str] = (),
        ingress_namespace: str | None = None,
        display_name: str | None = None,
        environment: str | None = None,
    ):
        label = f"Tenant {id!r}"
        check_dns_label(label, "name", name)
        if isinstance(namespaces, str) or not namespaces or len(set(namespaces)) != len(namespaces):
            raise ConstructError(label, f"namespaces={namespaces!r}", "give a list of one or more distinct namespace names")
        tree = tree_of(scope, label)
        if any(p.spec.name == name for p in tree.constructs_of(TenantProject)):
            raise ConstructError(label, f"tree {tree.key!r} already has tenant {name!r}", "add each tenant once, with all its namespaces")
        super().__init__(scope, id)
        tree.composed(self, scope)
        groups = (tuple(admin_groups), tuple(developer_groups), tuple(viewer_groups))
        share = namespace_quota(quota or DEFAULT_QUOTA, len(namespaces))
        bindings = tenant_role_bindings(name, *groups)
        repos = tuple(sorted({tree.repo_url, *source_repos}))
        self.project = TenantProject(self, "project", spec=tenant_project(name, f"tenant {display_name or name}", repos, tuple(namespaces), tenant_project_roles(name, *groups)))
        self.namespaces = [
            TenantNamespace(self, f"namespace-{ns}", name=ns, environment=environment, tenant=name, quota=share, role_bindings=bindings, ingress_namespace=ingress_namespace)
            for ns in namespaces
        ]
