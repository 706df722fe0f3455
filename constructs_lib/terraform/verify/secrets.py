"""The live check of the secrets Terraform writes (:class:`~constructs_lib.terraform.grafana_admin.GrafanaAdminSecret`,
:class:`~constructs_lib.terraform.tenant_database.TenantDatabaseCredentials`): present, not
scheduled for deletion, with a current value (which it never reads)."""

from __future__ import annotations

from .base import Clients, Difference


def check_secret(aws: Clients, label: str, name: str) -> list[Difference]:
    """A secret Terraform writes: present, not scheduled for deletion, with a current value."""
    sm = aws("secretsmanager")
    where = f"{label} {name}"
    out: list[Difference] = []
    try:
        desc = sm.describe_secret(SecretId=name)
        if desc.get("DeletedDate"):
            out.append(Difference(where, "state", "active", "scheduled for deletion"))
        # Terraform writes the value; verify only sees that one is current (it never reads it).
        current = any("AWSCURRENT" in stages for stages in desc.get("VersionIdsToStages", {}).values())
        if not current:
            out.append(Difference(where, "value", "a current version", "none"))
    except sm.exceptions.ResourceNotFoundException:
        out.append(Difference(where, "exists", True, False))
    return out
