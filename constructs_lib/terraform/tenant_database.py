"""The TenantDatabaseCredentials construct: a tenant's database credentials in Secrets Manager.

The secret holds what an app and the bootstrap Job need to connect, in the shape RDS
itself uses for its secrets: ``engine``, ``host``, ``port``, ``dbname``, ``username``,
``password``. The password comes from the ephemeral
``aws_secretsmanager_random_password`` and reaches AWS through the write-only
``secret_string_wo``: it is never in Terraform state or plan files. The PostgreSQL
role and database themselves are created in the cluster by the database bootstrap
Job (``constructs_lib/kubernetes/database_bootstrap.py``), which reads this secret.

``TenantDatabaseCredentials(stack, "shop_db", database=db, database_name="shop", readers=(role_arn,))``
with ``db`` a :class:`~constructs_lib.terraform.database.Database`, or :class:`ExistingDatabase`
for an instance of another stack; the plan is one front end (``stacks.py: tenant_database_props``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NoReturn

from constructs import Construct

from ..resolve import names
from ..resolve.names import DbSecretKey as Key
from .aws import Expression, hcl_jsonencode, secretsmanager
from .kms_key import EncryptionKey, principal_via_service_statement
from .props import ConstructPropsError, account_and_region, construct_path, props_from
from .secret_checks import RECOVERY_FIX, VERSION_FIX, key_alias_problem, readers_problem, recovery_window_problem, secret_name_problem, write_only_version_problem

PASSWORD_LENGTH = 32
_PG_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class ExistingDatabase:
    """Escape hatch: an instance no Database construct of this stack made (the shared instance,
    found by ``data.aws_db_instance``), by its identifier and its address and port references."""

    identifier: str
    host: Expression
    port: Expression


@dataclass(frozen=True, kw_only=True)
class TenantDatabaseCredentialsProps:
    """One tenant database's credentials, under their own key. Required: the instance, the database
    and who reads them. Not props: the engine ``postgres``, the 32-character password (write-only,
    never in state), the key only the readers may use, through Secrets Manager."""

    database: Any
    """The instance: a :class:`Database` (its address and port), or :class:`ExistingDatabase`."""
    database_name: str
    """The tenant's database on the instance, which the bootstrap Job creates: a lowercase
    PostgreSQL name, not reserved (postgres, template0/1, rdsadmin, rds_*, pg_*, platform, the master user)."""
    readers: tuple[str, ...]
    """IAM role ARNs that may decrypt, through Secrets Manager in ``region`` only: the tenant's
    secret store role of each cluster its apps run on (matched by ARN, so they may be made elsewhere)."""
    role_name: str | None = None
    """The PostgreSQL role owning the database, as which the apps log in. @default the database name."""
    tenant: str | None = None
    """Whose credentials, in the descriptions and the default names. @default the database name."""
    environment: str | None = None
    """The environment, in the key's description. @default none named."""
    secret_name: str | None = None
    """@default ``<tenant>/database``; the plan puts it under the tenant's secrets path."""
    key_alias: str | None = None
    """The key's alias, without ``alias/``. @default ``<tenant>-secrets``."""
    credentials_version: int = 1
    """Raise it to write a new password (Terraform cannot see a write-only value change); the
    bootstrap Job waits for this version. @default 1."""
    recovery_window_days: int = 30
    """How long a deleted secret can be restored (its name stays taken): 0 or 7 to 30.
    @default 30 days, the longest; the plan sets 0 in development, so a rebuild reuses the name at once."""
    account_id: str | None = None
    """The account (the key's policy). @default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """Where the secret lives. @default the stack's aws provider's region."""


def _endpoint(database: Any) -> ExistingDatabase | None:
    """The instance's identifier, address and port, from a Database construct or an ExistingDatabase."""
    if isinstance(database, ExistingDatabase):
        return database
    instance, identifier = getattr(database, "instance", None), getattr(database, "identifier", None)
    if instance is None or not isinstance(identifier, str):
        return None
    return ExistingDatabase(identifier, Expression(instance.expr("address")), Expression(instance.expr("port")))


def _pg_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not _PG_NAME.match(name):
        return "not a PostgreSQL name the bootstrap Job creates (a lowercase letter, then up to 62 lowercase letters, digits and _)"
    if name in names.RESERVED_DATABASE_NAMES or name.startswith(("pg_", "rds_")):
        return "reserved on the instance (postgres, template0/1, rdsadmin, rds_*, pg_*, platform, the master user)"
    return None


def check_tenant_database_props(p: TenantDatabaseCredentialsProps, construct: str) -> None:
    """What PostgreSQL, Secrets Manager, KMS or IAM would refuse, and credentials nobody can read, with the fix."""

    def refuse(prop: str, problem: str | None, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem or "", fix)

    if _endpoint(p.database) is None:
        refuse("database", "has no instance address and port", "pass database=Database(...), or ExistingDatabase(identifier, host, port)")
    if problem := _pg_name_problem(p.database_name):
        refuse("database_name", problem, "e.g. database_name='shop'")
    if p.role_name is not None and (problem := _pg_name_problem(p.role_name)):
        refuse("role_name", problem, "e.g. role_name='shop', or leave it out (the database name)")
    if problem := readers_problem(p.readers):
        refuse("readers", problem, f"readers=({names.iam_role_arn('123456789012', '<cluster>-<tenant>-secrets')!r},), the tenant's store role")
    if p.secret_name is not None and (problem := secret_name_problem(p.secret_name)):
        refuse("secret_name", problem, "e.g. 'platform/prod/shop/database'")
    if p.key_alias is not None and (problem := key_alias_problem(p.key_alias)):
        refuse("key_alias", problem, "e.g. 'shop-secrets'")
    if problem := write_only_version_problem(p.credentials_version):
        refuse("credentials_version", problem, VERSION_FIX)
    if problem := recovery_window_problem(p.recovery_window_days):
        refuse("recovery_window_days", problem, RECOVERY_FIX)


class TenantDatabaseCredentials(Construct):
    def __init__(self, scope: Construct, id: str, props: TenantDatabaseCredentialsProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "TenantDatabaseCredentials")
        p = props_from(TenantDatabaseCredentialsProps, props, kwargs, where)
        check_tenant_database_props(p, where)
        endpoint = _endpoint(p.database)
        assert endpoint is not None
        tenant = p.tenant or p.database_name
        secret_name = p.secret_name or f"{tenant}/database"
        if problem := secret_name_problem(secret_name):
            raise ConstructPropsError(where, "tenant", p.tenant, f"the default secret name {secret_name!r}: {problem}", "pass secret_name='...'")
        key_alias = p.key_alias or f"{tenant}-secrets"
        if problem := key_alias_problem(key_alias):
            raise ConstructPropsError(where, "tenant", p.tenant, f"the default key alias {key_alias!r}: {problem}", "pass key_alias='...'")
        super().__init__(scope, id)
        self.props = p
        account_id, region = account_and_region(self, where, p.account_id, p.region)
        via = names.service_principal("secretsmanager", region)
        self.kms = EncryptionKey(
            self,
            "kms",
            alias=key_alias,
            description=f"Secrets of tenant {tenant}" + (f" in {p.environment}" if p.environment else ""),
            account_id=account_id,
            # Sids unique within the key policy: one reader per cluster (each region's in a multi-region environment).
            statements=[principal_via_service_statement(f"TenantSecretsRoleReads{i or ''}", arn, via, ["kms:Decrypt", "kms:DescribeKey"]) for i, arn in enumerate(p.readers)],
        )
        self.secret = secretsmanager.SecretsmanagerSecret(
            self,
            "secret",
            name=secret_name,
            kms_key_id=self.kms.arn,
            description=f"{tenant}: credentials of database {p.database_name} on {endpoint.identifier}",
            recovery_window_in_days=p.recovery_window_days,
            tags={"Name": secret_name},
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
            Key.HOST: endpoint.host,
            Key.PORT: endpoint.port,
            Key.DBNAME: p.database_name,
            Key.USERNAME: p.role_name or p.database_name,
            Key.PASSWORD: Expression(password.expr("random_password")),
            Key.CREDENTIALS_VERSION: p.credentials_version,  # the bootstrap Job waits for the version the plan asks for
        }
        self.version = secretsmanager.SecretsmanagerSecretVersion(
            self,
            "value",
            secret_id=self.secret.id_ref,
            secret_string_wo=hcl_jsonencode(value),
            # Terraform cannot see a write-only value change: a new value is written (with a
            # new password) only when credentials_version changes.
            secret_string_wo_version=p.credentials_version,
        )

    @property
    def secret_arn(self) -> str:
        return self.secret.arn
