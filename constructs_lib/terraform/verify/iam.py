"""The live check of the IAM roles a :class:`~constructs_lib.terraform.cluster.Cluster` (its
controllers' IRSA roles, its secret stores' roles) and
:class:`~constructs_lib.terraform.database.DatabaseAdminAccess` make: present, and each secret
store's role trusting that store's own service account alone."""

from __future__ import annotations

from ...resolve.model import ResolvedCluster
from .base import Clients, Difference


def _principals(document: dict) -> list[str]:
    found: set[str] = set()
    for st in document.get("Statement", []):
        if st.get("Effect") == "Allow":
            aws = (st.get("Principal") or {}).get("AWS", [])
            found.update([aws] if isinstance(aws, str) else aws)
    return sorted(found)


def _trusted(document: dict) -> list[str]:
    """Whom a trust policy admits: AWS principals, and the Kubernetes service accounts of web identities (their ``sub``)."""
    found: set[str] = set(_principals(document))
    for st in document.get("Statement", []):
        if st.get("Effect") == "Allow" and (st.get("Principal") or {}).get("Federated"):
            for conds in (st.get("Condition") or {}).values():
                for var, vals in conds.items():
                    if var.endswith(":sub"):
                        found.update([vals] if isinstance(vals, str) else vals)
            if not any(var.endswith(":sub") for conds in (st.get("Condition") or {}).values() for var in conds):
                found.add("any service account")
    return sorted(found)


def check_roles(aws: Clients, c: ResolvedCluster) -> list[Difference]:
    """The IAM roles of the cluster's controllers (IRSA) and of its secret stores: present, and
    each store role (platform, tenant secrets, database admin, Grafana, ArgoCD SSO) trusting its store's own
    service account alone."""
    iam = aws("iam")
    roles: list[tuple[str, str | None]] = [(r.role_name, None) for r in c.irsa_roles]
    stores = [*c.tenant_secrets_roles, c.platform_secrets_role, c.database_admin, c.grafana_admin, c.argocd_sso]
    roles += [(r.role_name, f"system:serviceaccount:{r.namespace}:{r.service_account}") for r in stores if r is not None]
    out: list[Difference] = []
    for name, trusted in roles:
        where = f"IAM role {name}"
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            out.append(Difference(where, "exists", True, False))
            continue
        found = _trusted(role.get("AssumeRolePolicyDocument") or {})
        if trusted is not None and found != [trusted]:
            out.append(Difference(where, "trusted principals", [trusted], found))
    return out
