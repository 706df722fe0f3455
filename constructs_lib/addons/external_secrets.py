"""external-secrets: Kubernetes Secrets from AWS Secrets Manager, through ClusterSecretStores that
each authenticate as a service account of their own (one per tenant, the platform's, the database
admin's, Grafana's), each with an IRSA role that trusts that service account alone and reads only its
own path. The controller has no AWS identity: a SecretStore without auth gets no credentials, and
no role trusts the controller, so naming another store's role reaches nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import AddOn, AddOnContext, AddOnSettings, PodPlacement
from .manifests import LABELS, config_annotations

if TYPE_CHECKING:
    from ..plan.platform import PlatformPlan
    from ..resolve.addons import ResolvedAddon
    from ..resolve.gitops import ClusterGitOps, SecretStoreSpec
    from ..resolve.model import ResolvedCluster

SECRETS_READ = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy")
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"  # ESO 0.17 reads it from the store's service account (pkg/provider/aws/auth)


def needs_aws(platform: PlatformPlan) -> bool:
    return platform.secrets.operator == "external-secrets"


def aws_stores(platform: PlatformPlan) -> bool:
    """Whether the plan's clusters get AWS Secrets Manager stores (and their IAM roles)."""
    return "external-secrets" in platform.components and needs_aws(platform)


def _values(ctx: AddOnContext, rbac: dict[str, Any] | None) -> dict[str, Any]:
    # No IRSA annotation on the controller's service account: it needs no AWS identity, each store
    # authenticates as its own service account (the chart's ClusterRole may create their tokens).
    n = 2 if ctx.ha else 1
    out: dict[str, Any] = {"installCRDs": True, "replicaCount": n}
    if rbac:
        out["rbac"] = rbac
    if n > 1:  # two controllers reconciling the same objects race each other without a leader
        out["leaderElect"] = True
    return out


def values_0_10(ctx: AddOnContext) -> dict[str, Any]:
    """external-secrets 0.10. Its chart always aggregates its CRDs' rights into the built-in view, edit
    and admin ClusterRoles (templates/rbac.yaml has no switch): no tenant is bound to them (tenants get
    infraplan's own Roles), but edit then grants SecretStore writes, which 0.17 lets infraplan avoid.
    Its AWS provider honours a ClusterSecretStore's serviceAccountRef.namespace, as 0.17's does."""
    return _values(ctx, None)


def values_0_17(ctx: AddOnContext) -> dict[str, Any]:
    """external-secrets 0.17: its CRDs' rights stay out of the built-in view and edit ClusterRoles
    (rbac.aggregateTo*, new since 0.10): anyone with edit could otherwise create a SecretStore.
    (0.17 always aggregates into admin, which no tenant is bound to.)"""
    return _values(ctx, {"aggregateToEdit": False, "aggregateToView": False})


@dataclass(frozen=True)
class ExternalSecretsSettings(AddOnSettings):
    """What the GitOps tree builds beside external-secrets."""

    aws_stores: bool
    """Whether the cluster gets ClusterSecretStores for AWS Secrets Manager (and, with them, the
    tenants' stores and the database bootstrap): only when ``secrets.operator`` is external-secrets."""


def settings(ctx: AddOnContext) -> tuple[ExternalSecretsSettings, str]:
    if not needs_aws(ctx.platform):
        return ExternalSecretsSettings(aws_stores=False), "secrets.operator is not external-secrets: no SecretStores"
    return ExternalSecretsSettings(aws_stores=True), (
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
    obj = cluster_scoped_config(g, api_version(g.cluster, s.kind), s.kind, s.name, {"provider": {"aws": aws}, "conditions": conditions})
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


def api_version(cluster: ResolvedCluster, kind: str) -> str:
    """The apiVersion of an external-secrets ``kind`` (ExternalSecret, ClusterSecretStore, ...) that the
    cluster's external-secrets chart serves: v1beta1 up to 0.16, v1 from 0.17 (which no longer serves
    v1beta1). A cluster without the add-on gets the catalog's."""
    addon = cluster.addon(ADDON.name)
    return ADDON.api_version(addon.chart if addon else ADDON.chart, kind)


_V1BETA1 = {kind: "external-secrets.io/v1beta1" for kind in ("ExternalSecret", "ClusterSecretStore", "SecretStore", "ClusterExternalSecret")}
_V1 = {kind: "external-secrets.io/v1" for kind in ("ExternalSecret", "ClusterSecretStore", "SecretStore", "ClusterExternalSecret")}

ADDON = AddOn(
    name="external-secrets",
    values_by_series={"0.10": values_0_10, "0.17": values_0_17},
    # served versions of external-secrets-<version>-crds/bundle.yaml (0.10.7: v1alpha1, v1beta1; 0.17.0: v1)
    api_versions={"0.10": {**_V1BETA1, "PushSecret": "external-secrets.io/v1alpha1"}, "0.17": {**_V1, "PushSecret": "external-secrets.io/v1alpha1"}},
    enabled=lambda platform: "external-secrets" in platform.components,
    settings=settings,
    config_objects=config_objects,
    pods=(PodPlacement(""), PodPlacement("webhook"), PodPlacement("certController")),
)
