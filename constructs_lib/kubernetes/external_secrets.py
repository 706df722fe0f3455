"""ExternalSecret: one builder for every ExternalSecret infraplan writes (apps' database
credentials, the database bootstrap's master and tenant credentials)."""

from __future__ import annotations

from typing import Any

API = "external-secrets.io/v1"
REFRESH = "1h"


def external_secret(
    *,
    name: str,
    namespace: str,
    labels: dict[str, str],
    store: str,
    data_from: list[dict[str, Any]],
    template: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An ExternalSecret from a ClusterSecretStore that writes (and owns) the Secret ``name``."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner"}
    if template:
        target["template"] = template
    return {
        "apiVersion": API,
        "kind": "ExternalSecret",
        "metadata": meta,
        "spec": {"refreshInterval": REFRESH, "secretStoreRef": {"kind": "ClusterSecretStore", "name": store}, "target": target, "dataFrom": data_from},
    }


def extract(key: str) -> list[dict[str, Any]]:
    """Every property of one JSON secret becomes a key of the Secret."""
    return [{"extract": {"key": key}}]


def credentials_version_annotation(version: int | None) -> dict[str, str] | None:
    """Changing an ExternalSecret's annotations makes ESO refresh its Secret at once,
    so a new ``credentials_version`` reaches the cluster on the next sync, not within the hour."""
    return None if version is None else {"infraplan.io/credentials-version": str(version)}
