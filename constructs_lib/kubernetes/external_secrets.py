"""ExternalSecret: one builder for every ExternalSecret infraplan writes (apps' database
credentials, the database bootstrap's master and tenant credentials)."""

from __future__ import annotations

from typing import Any

API = "external-secrets.io/v1"  # what the catalog's external-secrets (0.17) serves; a plan's chart may serve another
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
    api_version: str,
) -> dict[str, Any]:
    """An ExternalSecret from a ClusterSecretStore that writes (and owns) the Secret ``name``;
    ``api_version`` is the one the cluster's external-secrets chart serves (``addons.external_secrets.api_version``)."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner", "deletionPolicy": "Retain"}
    if template:
        target["template"] = {"engineVersion": "v2", "mergePolicy": "Replace", **template}
    return {
        "apiVersion": api_version,
        "kind": "ExternalSecret",
        "metadata": meta,
        "spec": {
            "refreshInterval": REFRESH,
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": target,
            "dataFrom": [_with_defaults(entry) for entry in data_from],
        },
    }


# What external-secrets 0.17's CRD defaults (0.10's v1beta1 defaults the same) inside each dataFrom entry. dataFrom is an atomic
# list (no x-kubernetes-list-type), so with a field left out the API server's copy differs from
# Git's forever: ArgoCD would see the application OutOfSync, self-heal every few minutes and run
# its PostSync hooks again each time. Written out, the object is a fixed point of defaulting.
DATA_FROM_DEFAULTS = {
    "extract": {"conversionStrategy": "Default", "decodingStrategy": "None", "metadataPolicy": "None"},
    "find": {"conversionStrategy": "Default", "decodingStrategy": "None"},
}


def _with_defaults(entry: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    for kind, defaults in DATA_FROM_DEFAULTS.items():
        if kind in out:
            out[kind] = {**defaults, **out[kind]}
    return out


def extract(key: str) -> list[dict[str, Any]]:
    """Every property of one JSON secret becomes a key of the Secret."""
    return [{"extract": {"key": key}}]


def credentials_version_annotation(version: int | None) -> dict[str, str] | None:
    """Changing an ExternalSecret's annotations makes ESO refresh its Secret at once,
    so a new ``credentials_version`` reaches the cluster on the next sync, not within the hour."""
    return None if version is None else {"infraplan.io/credentials-version": str(version)}
