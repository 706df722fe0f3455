"""The GrafanaAdminSecret construct: a cluster's Grafana admin credentials in Secrets Manager.

The password comes from the ephemeral ``aws_secretsmanager_random_password`` and reaches AWS
through the write-only ``secret_string_wo`` with a fixed version: it is written once, never
stored in state or plan files, and a re-plan changes nothing. The ``grafana-admin``
ClusterSecretStore reads it (its role, in ``cluster.py``, reads this secret only) into the
Secret that kube-prometheus-stack's ``grafana.admin.existingSecret`` names.

``GrafanaAdminSecret(stack, "grafana_admin", readers=(store_role_arn,))``; the plan is one front
end (``stacks.py: grafana_admin_props``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from constructs import Construct

from ..resolve import names
from ..resolve.names import GRAFANA_ADMIN_PASSWORD_KEY, GRAFANA_ADMIN_USER_KEY
from .aws import Expression, hcl_jsonencode, secretsmanager
from .kms_key import EncryptionKey, principal_via_service_statement
from .props import ConstructPropsError, account_and_region, construct_path, props_from
from .secret_checks import RECOVERY_FIX, VERSION_FIX, key_alias_problem, readers_problem, recovery_window_problem, secret_name_problem, write_only_version_problem

PASSWORD_LENGTH = 32
ADMIN_USER = "admin"


@dataclass(frozen=True, kw_only=True)
class GrafanaAdminSecretProps:
    """Grafana's admin credentials, under their own key. Required: who reads them. Not props: the
    password (32 random letters and digits, write-only, never in state) and the user ``admin``."""

    readers: tuple[str, ...]
    """IAM role ARNs that may decrypt, through Secrets Manager only: the ``grafana-admin``
    ClusterSecretStore's role (matched by ARN, so it may be created later or in another stack)."""
    cluster_name: str | None = None
    """The cluster whose Grafana uses them, in the descriptions and the default names.
    @default the construct id."""
    secret_name: str | None = None
    """@default ``grafana.<cluster_name>/admin``; the plan puts it under the environment's secrets path."""
    key_alias: str | None = None
    """The key's alias, without ``alias/``. @default ``<cluster_name>-grafana-admin``."""
    recovery_window_days: int = 30
    """How long a deleted secret can be restored (its name stays taken): 0 or 7 to 30.
    @default 30 days, the longest; the plan sets 0 in development, so a rebuild reuses the name at once."""
    password_version: int = 1
    """Raise it to write a new password on the next apply (Terraform cannot see a write-only value
    change). @default 1."""
    account_id: str | None = None
    """The account (the key's policy). @default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """Where the secret lives (the readers decrypt through Secrets Manager there). @default the stack's aws provider's region."""


def check_grafana_admin_props(p: GrafanaAdminSecretProps, construct: str) -> None:
    """What Secrets Manager, KMS or IAM would refuse, and a secret nobody can read, with the fix."""

    def refuse(prop: str, problem: str | None, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem or "", fix)

    if problem := readers_problem(p.readers):
        refuse("readers", problem, f"readers=({names.iam_role_arn('123456789012', '<cluster>-grafana-admin')!r},), the store's role")
    if p.secret_name is not None and (problem := secret_name_problem(p.secret_name)):
        refuse("secret_name", problem, "e.g. 'platform/prod/grafana.shop/admin'")
    if p.key_alias is not None and (problem := key_alias_problem(p.key_alias)):
        refuse("key_alias", problem, "e.g. 'shop-grafana-admin'")
    if problem := recovery_window_problem(p.recovery_window_days):
        refuse("recovery_window_days", problem, RECOVERY_FIX)
    if problem := write_only_version_problem(p.password_version):
        refuse("password_version", problem, VERSION_FIX)


class GrafanaAdminSecret(Construct):
    """A secret ``{admin-user, admin-password}`` under a customer key only the readers may use for
    decryption, and only through Secrets Manager."""

    def __init__(self, scope: Construct, id: str, props: GrafanaAdminSecretProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "GrafanaAdminSecret")
        p = props_from(GrafanaAdminSecretProps, props, kwargs, where)
        check_grafana_admin_props(p, where)
        cluster = p.cluster_name or id
        secret_name = p.secret_name or f"grafana.{cluster}/admin"
        if problem := secret_name_problem(secret_name):
            raise ConstructPropsError(where, "cluster_name", p.cluster_name, f"the default secret name {secret_name!r}: {problem}", "pass secret_name='...'")
        key_alias = p.key_alias or names.grafana_admin_key_alias(cluster)
        if problem := key_alias_problem(key_alias):
            raise ConstructPropsError(where, "cluster_name", p.cluster_name, f"the default key alias {key_alias!r}: {problem}", "pass key_alias='...'")
        super().__init__(scope, id)
        self.props = p
        account_id, region = account_and_region(self, where, p.account_id, p.region)
        via = names.service_principal("secretsmanager", region)
        self.kms = EncryptionKey(
            self,
            "kms",
            alias=key_alias,
            description=f"Grafana admin credentials of {cluster}",
            account_id=account_id,
            statements=[principal_via_service_statement(f"GrafanaAdminStoreReads{i or ''}", arn, via, ["kms:Decrypt", "kms:DescribeKey"]) for i, arn in enumerate(p.readers)],
        )
        self.secret = secretsmanager.SecretsmanagerSecret(
            self,
            "secret",
            name=secret_name,
            kms_key_id=self.kms.arn,
            description=f"Grafana admin credentials of {cluster} (read by its grafana-admin ClusterSecretStore)",
            recovery_window_in_days=p.recovery_window_days,
            tags={"Name": secret_name},
        )
        password = secretsmanager.SecretsmanagerRandomPassword(
            self,
            "password",
            password_length=PASSWORD_LENGTH,
            exclude_punctuation=True,
            require_each_included_type=True,
        )
        secretsmanager.SecretsmanagerSecretVersion(
            self,
            "value",
            secret_id=self.secret.id_ref,
            secret_string_wo=hcl_jsonencode({GRAFANA_ADMIN_USER_KEY: ADMIN_USER, GRAFANA_ADMIN_PASSWORD_KEY: Expression(password.expr("random_password"))}),
            secret_string_wo_version=p.password_version,
        )
