"""external-secrets: Kubernetes Secrets from AWS Secrets Manager, through one ClusterSecretStore
for the platform and one per tenant (each assuming a role that reads only that tenant's path)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import AddOn, AddOnContext, IrsaPolicyInputs, IrsaSpec, PodPlacement, PolicyStatement

if TYPE_CHECKING:
    from ..plan.platform import PlatformPlan
    from ..resolve.addons import ResolvedAddon
    from ..resolve.gitops import ClusterGitOps, SecretStoreSpec

SECRETS_READ = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy")
ASSUME = ("sts:AssumeRole", "sts:TagSession")


def statements(inputs: IrsaPolicyInputs) -> tuple[PolicyStatement, ...]:
    """The controller's own role reads only the platform's secrets of its cluster, and may
    assume the per-tenant secrets roles and the database admin role (which trust it alone)."""
    out = [PolicyStatement("ReadPlatformSecrets", SECRETS_READ, (inputs.secret_arn(inputs.platform_secrets_path),))]
    if inputs.tenant_secrets_role_arns:
        out.append(PolicyStatement("AssumeTenantSecretRoles", ASSUME, tuple(sorted(inputs.tenant_secrets_role_arns))))
    if inputs.database_admin_role_arn:
        out.append(PolicyStatement("AssumeDatabaseAdminRole", ASSUME, (inputs.database_admin_role_arn,)))
    return tuple(out)


def needs_aws(platform: PlatformPlan) -> bool:
    return platform.secrets.operator == "external-secrets"


def values(ctx: AddOnContext) -> dict[str, Any]:
    role = ctx.irsa("external-secrets")
    # The chart aggregates its CRDs' rights into the built-in view/edit ClusterRoles by default: anyone
    # with edit could then create a SecretStore that assumes another tenant's role through the
    # controller's identity. Tenants are bound to infraplan's own Roles; edit and view stay clean too.
    # (0.17 always aggregates into admin, which no tenant is bound to.)
    n = 2 if ctx.ha else 1
    out: dict[str, Any] = {"installCRDs": True, "replicaCount": n, "rbac": {"aggregateToEdit": False, "aggregateToView": False}}
    if n > 1:  # two controllers reconciling the same objects race each other without a leader
        out["leaderElect"] = True
    if role:
        out["serviceAccount"] = {"name": role.service_account, "annotations": {"eks.amazonaws.com/role-arn": role.role_arn}}
    return out


def settings(ctx: AddOnContext) -> tuple[dict[str, Any], str]:
    role = ctx.irsa("external-secrets")
    if role is None:
        return {}, "no IRSA role (secrets.operator is not external-secrets): no SecretStores"
    return {"service_account": role.service_account, "service_account_namespace": role.namespace, "role_arn": role.role_arn}, (
        f"ClusterSecretStores for AWS Secrets Manager in {ctx.region} authenticate as service account {role.namespace}/{role.service_account} (IRSA role {role.role_name})"
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
        "auth": {"jwt": {"serviceAccountRef": {"name": s.service_account, "namespace": s.service_account_namespace}}},
        **({"role": s.role_arn} if s.role_arn else {}),
    }
    return cluster_scoped_config(g, "external-secrets.io/v1", s.kind, s.name, {"provider": {"aws": aws}, "conditions": conditions})


def config_objects(g: ClusterGitOps, addon: ResolvedAddon) -> dict[str, dict]:
    """The ClusterSecretStores (file name -> object)."""
    return {f"clustersecretstore-{store.name}.yaml": cluster_secret_store(g, store) for store in g.secret_stores}


ADDON = AddOn(
    name="external-secrets",
    values_by_series={"0.17": values},
    enabled=lambda platform: "external-secrets" in platform.components,
    irsa=IrsaSpec("external-secrets", "external-secrets", "external-secrets", statements=statements),
    irsa_when=needs_aws,
    settings=settings,
    config_objects=config_objects,
    pods=(PodPlacement(""), PodPlacement("webhook"), PodPlacement("certController")),
)
