"""Shared shape of the cluster configuration objects add-ons ship (ClusterIssuer, ClusterSecretStore)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..resolve.gitops import ClusterGitOps

LABELS = {"app.kubernetes.io/managed-by": "infraplan", "app.kubernetes.io/part-of": "platform"}


def config_annotations(wave: int) -> dict[str, str]:
    # The CRD arrives with the chart in an earlier wave; skip the dry run that would fail before it exists.
    return {"argocd.argoproj.io/sync-wave": str(wave), "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}


def cluster_scoped_config(g: ClusterGitOps, api_version: str, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "labels": LABELS, "annotations": config_annotations(g.waves["cluster-config"])},
        "spec": spec,
    }
