"""Tenant namespaces: the Namespace object of each tenant namespace, with Pod
Security Admission (restricted) and ownership labels."""

from __future__ import annotations

from ..resolve.model import ResolvedTenant

PSA_LEVEL = "restricted"


def tenant_labels(tenant: ResolvedTenant) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "infraplan",
        "infraplan.io/tenant": tenant.name,
        "infraplan.io/environment": tenant.environment,
    }


def namespace(tenant: ResolvedTenant, name: str) -> dict:
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
        },
    }
