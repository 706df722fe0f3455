"""The GrafanaAdminSecret construct: a cluster's Grafana admin credentials in Secrets Manager.

The password comes from the ephemeral ``aws_secretsmanager_random_password`` and reaches AWS
through the write-only ``secret_string_wo`` with a fixed version: it is written once, never
stored in state or plan files, and a re-plan changes nothing. The ``grafana-admin``
ClusterSecretStore reads it (its role, in ``cluster.py``, reads this secret only) into the
Secret that kube-prometheus-stack's ``grafana.admin.existingSecret`` names.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from ..resolve.model import GrafanaAdmin
from ..resolve import names
from ..resolve.names import GRAFANA_ADMIN_PASSWORD_KEY, GRAFANA_ADMIN_USER_KEY
from .aws import Expression, hcl_jsonencode, secretsmanager
from .kms_key import EncryptionKey, principal_via_service_statement

PASSWORD_LENGTH = 32
ADMIN_USER = "admin"
VERSION = 1  # raise it to write a new password on the next apply


@dataclass(frozen=True)
class GrafanaAdminSecretProps:
    grafana: GrafanaAdmin
    cluster: str
    account_id: str


class GrafanaAdminSecret(Construct):
    def __init__(self, scope: Construct, id: str, props: GrafanaAdminSecretProps):
        super().__init__(scope, id)
        g = props.grafana
        self.kms = EncryptionKey(
            self,
            "kms",
            alias=g.key_alias,
            description=f"Grafana admin credentials of {props.cluster}",
            account_id=props.account_id,
            statements=[principal_via_service_statement("GrafanaAdminStoreReads", g.role_arn, names.service_principal("secretsmanager", g.region), ["kms:Decrypt", "kms:DescribeKey"])],
        )
        self.secret = secretsmanager.SecretsmanagerSecret(
            self,
            "secret",
            name=g.secret_name,
            kms_key_id=self.kms.arn,
            description=f"Grafana admin credentials of {props.cluster} (read by its grafana-admin ClusterSecretStore)",
            recovery_window_in_days=g.recovery_window_days,  # 0 in development: a rebuild reuses the name at once
            tags={"Name": g.secret_name},
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
            secret_string_wo_version=VERSION,
        )
