"""external-secrets: Kubernetes Secrets from AWS Secrets Manager, through ClusterSecretStores that
each authenticate as a service account of their own (one per tenant, the platform's, the database
admin's, Grafana's), each with an IRSA role that trusts that service account alone and reads only its
own path. The controller has no AWS identity: a SecretStore without auth gets no credentials, and
no role trusts the controller, so naming another store's role reaches nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import AddOn, AddOnContext, PodPlacement
from .manifests import LABELS, config_annotations

if TYPE_CHECKING:
    from ..plan.platform import PlatformPlan
    from ..resolve.addons import ResolvedAddon
    from ..resolve.gitops import ClusterGitOps, SecretStoreSpec

SECRETS_READ = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy")
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"  # ESO 0.17 reads it from the store's service account (pkg/provider/aws/auth)


def needs_aws(platform: PlatformPlan) -> bool:
    return platform.secrets.operator == "external-secrets"


def aws_stores(platform: PlatformPlan) -> bool:
    """Whether the plan's clusters get AWS Secrets Manager stores (and their IAM roles)."""
    return "external-secrets" in platform.components and needs_aws(platform)


def values(ctx: AddOnContext) -> dict[str, Any]:
    # The chart aggregates its CRDs' rights into the built-in view/edit ClusterRoles by default: anyone
    # with edit could then create a SecretStore. Tenants are bound to infraplan's own Roles; edit and
    # view stay clean too. (0.17 always aggregates into admin, which no tenant is bound to.)
    # No IRSA annotation on the controller's service account: it needs no AWS identity, each store
    # authenticates as its own service account (the chart's ClusterRole may create their tokens).
    n = 2 if ctx.ha else 1
    out: dict[str, Any] = {"installCRDs": True, "replicaCount": n, "rbac": {"aggregateToEdit": False, "aggregateToView": False}}
    if n > 1:  # two controllers reconciling the same objects race each other without a leader
        out["leaderElect"] = True
    return out


def settings(ctx: AddOnContext) -> tuple[dict[str, Any], str]:
    if not needs_aws(ctx.platform):
        return {}, "secrets.operator is not external-secrets: no SecretStores"
    return {"aws_stores": True}, (
        f"ClusterSecretStores for AWS Secrets Manager in {ctx.region}, each authenticating as its own service account "
        "(IRSA role trusting that service account alone); the controller has no AWS identity"
    )


def cluster_secret_store(g: ClusterGitOps, s: SecretStoreSpec) -> dict[str, Any]:
    from .manifests import cluster_scoped_config

    if s.namespaces:
        conditions = [{"namespaces": list(s.namespaces)}]
    else:  # the platform's own namespaces: those without a tenant label
        conditions = [{"namespaceSelector": {"matchExpressions": [{"key": "infraplan.io/tenant", "operator": "DoesNotExist"}]}}]
    aws: dict[str, Any] = {
        "service": "SecretsManager",
        "region": s.region,
        # A ClusterSecretStore's serviceAccountRef.namespace is honoured (not the ExternalSecret's).
        "auth": {"jwt": {"serviceAccountRef": {"name": s.service_account, "namespace": s.service_account_namespace}}},
    }
    obj = cluster_scoped_config(g, "external-secrets.io/v1", s.kind, s.name, {"provider": {"aws": aws}, "conditions": conditions})
    obj["metadata"]["annotations"] = config_annotations(g.waves["secret-stores"])
    return obj


def store_service_account(g: ClusterGitOps, s: SecretStoreSpec) -> dict[str, Any]:
    """The store's identity: ESO requests a token for it and assumes the annotated role with it.
    Same wave as the stores (ServiceAccounts apply before custom resources within a wave)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": s.service_account,
            "namespace": s.service_account_namespace,
            "labels": LABELS,
            "annotations": {"argocd.argoproj.io/sync-wave": str(g.waves["secret-stores"]), ROLE_ARN_ANNOTATION: s.role_arn},
        },
        # no pod runs as it: only ESO asks the API server for its tokens
        "automountServiceAccountToken": False,
    }


def config_objects(g: ClusterGitOps, addon: ResolvedAddon) -> dict[str, dict]:
    """Each ClusterSecretStore and its service account (file name -> object)."""
    out: dict[str, dict] = {}
    for store in g.secret_stores:
        out[f"serviceaccount-{store.service_account}.yaml"] = store_service_account(g, store)
        out[f"clustersecretstore-{store.name}.yaml"] = cluster_secret_store(g, store)
    return out


ADDON = AddOn(
    name="external-secrets",
    values_by_series={"0.17": values},
    enabled=lambda platform: "external-secrets" in platform.components,
    settings=settings,
    config_objects=config_objects,
    pods=(PodPlacement(""), PodPlacement("webhook"), PodPlacement("certController")),
)
