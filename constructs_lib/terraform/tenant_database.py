"""The TenantDatabaseCredentials construct: a tenant's database credentials in Secrets Manager.

The secret holds what an app and the bootstrap Job need to connect, in the shape RDS
itself uses for its secrets: ``engine``, ``host``, ``port``, ``dbname``, ``username``,
``password``. The password comes from the ephemeral
``aws_secretsmanager_random_password`` and reaches AWS through the write-only
``secret_string_wo``: it is never in Terraform state or plan files. The PostgreSQL
role and database themselves are created in the cluster by the database bootstrap
Job (``constructs_lib/kubernetes/database_bootstrap.py``), which reads this secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from ..resolve.model import ResolvedTenantDatabase
from ..resolve import names
from ..resolve.names import DbSecretKey as Key
from .aws import Expression, hcl_jsonencode, secretsmanager
from .kms_key import EncryptionKey, principal_via_service_statement

PASSWORD_LENGTH = 32


@dataclass(frozen=True)
class TenantDatabaseCredentialsProps:
    tenant: str
    environment: str
    region: str
    account_id: str
    database: ResolvedTenantDatabase
    key_alias: str
    readers: tuple[str, ...]  # IAM role ARNs that may decrypt, through Secrets Manager in ``region`` (the secrets' region) only
    host: Expression  # the instance's address
    port: Expression


class TenantDatabaseCredentials(Construct):
    def __init__(self, scope: Construct, id: str, props: TenantDatabaseCredentialsProps):
        super().__init__(scope, id)
        db = props.database
        self.kms = EncryptionKey(
            self,
            "kms",
            alias=props.key_alias,
            description=f"Secrets of tenant {props.tenant} in {props.environment}",
            account_id=props.account_id,
            statements=[
                # Sids unique within the key policy: one reader per cluster (each region's in a multi-region environment).
                principal_via_service_statement(f"TenantSecretsRoleReads{i or ''}", arn, names.service_principal("secretsmanager", props.region), ["kms:Decrypt", "kms:DescribeKey"])
                for i, arn in enumerate(props.readers)
            ],
        )
        self.secret = secretsmanager.SecretsmanagerSecret(
            self,
            "secret",
            name=db.secret_name,
            kms_key_id=self.kms.arn,
            description=f"{props.tenant}: credentials of database {db.database_name} on {db.instance_identifier}",
            recovery_window_in_days=db.recovery_window_days,  # 0 in development: a rebuild reuses the name at once
            tags={"Name": db.secret_name},
        )
        password = secretsmanager.SecretsmanagerRandomPassword(
            self,
            "password",
            password_length=PASSWORD_LENGTH,
            exclude_punctuation=True,  # safe in URLs, shells and connection strings; 32 of [A-Za-z0-9] is ~190 bits
            require_each_included_type=True,
        )
        value = {
            Key.ENGINE: "postgres",
            Key.HOST: props.host,
            Key.PORT: props.port,
            Key.DBNAME: db.database_name,
            Key.USERNAME: db.role_name,
            Key.PASSWORD: Expression(password.expr("random_password")),
            Key.CREDENTIALS_VERSION: db.credentials_version,  # the bootstrap Job waits for the version the plan asks for
        }
        self.version = secretsmanager.SecretsmanagerSecretVersion(
            self,
            "value",
            secret_id=self.secret.id_ref,
            secret_string_wo=hcl_jsonencode(value),
            # Terraform cannot see a write-only value change: a new value is written (with a
            # new password) only when the plan's credentials_version changes.
            secret_string_wo_version=db.credentials_version,
        )

    @property
    def secret_arn(self) -> str:
        return self.secret.arn
