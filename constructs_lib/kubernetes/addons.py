"""Cluster configuration that ships with an add-on: cert-manager's ClusterIssuer,
external-secrets' ClusterSecretStores. Values come from the resolved model."""

from __future__ import annotations

from typing import Any

from ..resolve.addons import ResolvedAddon
from ..resolve.gitops import ClusterGitOps, SecretStoreSpec

LABELS = {"app.kubernetes.io/managed-by": "infraplan", "app.kubernetes.io/part-of": "platform"}


def _annotations(wave: int) -> dict[str, str]:
    # The CRD arrives with the chart in an earlier wave; skip the dry run that would fail before it exists.
    return {"argocd.argoproj.io/sync-wave": str(wave), "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}


def cluster_issuer(g: ClusterGitOps, cert_manager: ResolvedAddon) -> dict[str, Any]:
    i = cert_manager.settings["issuer"]
    if i["challenge"] == "dns-01":
        # Ambient credentials: the cert-manager service account is annotated with its IRSA role (Helm values).
        solver: dict[str, Any] = {"dns01": {"route53": {"region": i["region"], "hostedZoneID": i["hosted_zone_id"]}}}
    else:
        solver = {"http01": {"ingress": {"ingressClassName": i["ingress_class"]}}}
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": i["name"], "labels": LABELS, "annotations": _annotations(g.waves["cluster-config"])},
        "spec": {"acme": {"server": i["server"], "email": i["email"], "privateKeySecretRef": {"name": f"{i['name']}-account-key"}, "solvers": [solver]}},
    }


def cluster_secret_store(g: ClusterGitOps, s: SecretStoreSpec) -> dict[str, Any]:
    if s.namespaces:
        conditions = [{"namespaces": list(s.namespaces)}]
    else:  # the platform's own namespaces: those without a tenant label
        conditions = [{"namespaceSelector": {"matchExpressions": [{"key": "infraplan.io/tenant", "operator": "DoesNotExist"}]}}]
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": s.kind,
        "metadata": {"name": s.name, "labels": LABELS, "annotations": _annotations(g.waves["cluster-config"])},
        "spec": {
            "provider": {
                "aws": {
                    "service": "SecretsManager",
                    "region": s.region,
                    "auth": {"jwt": {"serviceAccountRef": {"name": s.service_account, "namespace": s.service_account_namespace}}},
                    **({"role": s.role_arn} if s.role_arn else {}),
                }
            },
            "conditions": conditions,
        },
    }
