"""Guarded namespaces: the Namespace (Pod Security Admission restricted, ownership
labels), ResourceQuota, LimitRange, NetworkPolicies, Roles and RoleBindings of each tenant
namespace and of the platform's ``database-bootstrap`` namespace. Sizes, names and rules
come from :mod:`constructs_lib.resolve.gitops`. The Namespace and its guardrails carry
``Prune=false,Delete=false``: ArgoCD never removes them; removing a tenant is explicit."""

from __future__ import annotations

from typing import Any

from ..resolve.gitops import CONTAINER_DEFAULTS, DNS_NAMESPACE, DNS_POD_LABELS, INGRESS_POD_LABELS, KEEP_SYNC_OPTIONS, PSA_LEVEL, NamespaceSpec
from ..resolve.model import ResolvedTenant


def tenant_labels(tenant: ResolvedTenant | NamespaceSpec) -> dict[str, str]:
    """Ownership labels. A platform namespace (tenant None) has no tenant label; the
    platform's secret store serves exactly the namespaces without one."""
    name = tenant.name if isinstance(tenant, ResolvedTenant) else tenant.tenant
    labels = {"app.kubernetes.io/managed-by": "infraplan"}
    if name is not None:
        labels["infraplan.io/tenant"] = name
    labels["infraplan.io/environment"] = tenant.environment
    return labels


KEEP = {"argocd.argoproj.io/sync-options": KEEP_SYNC_OPTIONS}


def _meta(ns: NamespaceSpec, name: str, *, keep: bool = False) -> dict[str, Any]:
    """``keep``: a guardrail that lives as long as its namespace (never pruned or cascade-deleted)."""
    meta: dict[str, Any] = {"name": name, "namespace": ns.name, "labels": tenant_labels(ns)}
    if keep:
        meta["annotations"] = dict(KEEP)
    return meta


def namespace(tenant: ResolvedTenant | NamespaceSpec, name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **tenant_labels(tenant),
                "pod-security.kubernetes.io/enforce": PSA_LEVEL,
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/audit": PSA_LEVEL,
                "pod-security.kubernetes.io/warn": PSA_LEVEL,
            },
            "annotations": dict(KEEP),
        },
    }


def resource_quota(ns: NamespaceSpec) -> dict:
    q = ns.quota
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _meta(ns, "tenant-quota", keep=True),
        "spec": {
            "hard": {
                "requests.cpu": q.cpu,
                "requests.memory": q.memory,
                "limits.memory": q.memory,
                "pods": str(q.pods),
                "services.loadbalancers": str(q.services_loadbalancers),
                "persistentvolumeclaims": str(q.persistentvolumeclaims),
            }
        },
    }


def limit_range(ns: NamespaceSpec) -> dict:
    d = CONTAINER_DEFAULTS
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _meta(ns, "container-defaults", keep=True),
        "spec": {"limits": [{"type": "Container", "defaultRequest": dict(d["default_request"]), "default": dict(d["default_limit"]), "max": dict(d["max"])}]},
    }


def _policy(ns: NamespaceSpec, name: str, spec: dict, *, keep: bool = False) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(ns, name, keep=keep), "spec": spec}


def network_policies(ns: NamespaceSpec) -> dict[str, dict]:
    """file stem -> NetworkPolicy."""
    out = {
        "default-deny": _policy(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, keep=True),
        "allow-same-namespace": _policy(
            ns,
            "allow-same-namespace",
            {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [{"podSelector": {}}]}], "egress": [{"to": [{"podSelector": {}}]}]},
        ),
        "allow-dns": _policy(
            ns,
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": DNS_NAMESPACE}},
                                "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    }
    if ns.ingress_namespace:
        out["allow-ingress-controller"] = _policy(
            ns,
            "allow-ingress-controller",
            {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns.ingress_namespace}},
                                "podSelector": {"matchLabels": dict(INGRESS_POD_LABELS)},
                            }
                        ]
                    }
                ],
            },
        )
    if ns.database_cidrs and ns.database_port:
        out["allow-database"] = _policy(
            ns,
            "allow-database",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in ns.database_cidrs], "ports": [{"protocol": "TCP", "port": ns.database_port}]}],
            },
        )
    return out


def roles(ns: NamespaceSpec) -> dict[str, dict]:
    """file stem -> Role: what the tenant's groups may do in this namespace."""
    out = {}
    for role in ns.roles:
        out[role.name] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(ns, role.name),
            "rules": [{"apiGroups": [r.api_group], "resources": list(r.resources), "verbs": list(r.verbs)} for r in role.rules],
        }
    return out


def role_bindings(ns: NamespaceSpec) -> dict[str, dict]:
    out = {}
    for rb in ns.role_bindings:
        out[rb.name] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(ns, rb.name),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": rb.role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in rb.groups],
        }
    return out


def namespace_files(ns: NamespaceSpec) -> dict[str, dict]:
    """file name -> object, for ``bootstrap/namespaces/<ns>/``."""
    files = {"namespace.yaml": namespace(ns, ns.name), "resourcequota.yaml": resource_quota(ns), "limitrange.yaml": limit_range(ns)}
    for stem, obj in network_policies(ns).items():
        files[f"networkpolicy-{stem}.yaml"] = obj
    for stem, obj in roles(ns).items():
        files[f"role-{stem}.yaml"] = obj
    for stem, obj in role_bindings(ns).items():
        files[f"rolebinding-{stem}.yaml"] = obj
    return files
