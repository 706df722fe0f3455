"""The TenantDatabaseCredentials construct alone, aws-cdk style: one construct in an empty cdktf
stack with hand-written props (no plan), assertions on what it synthesizes, and a refusal per check."""

from __future__ import annotations

import json

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.terraform.aws import Expression
from constructs_lib.terraform.database import Database
from constructs_lib.terraform.props import ConstructPropsError, ExistingNetwork
from constructs_lib.terraform.tenant_database import ExistingDatabase, TenantDatabaseCredentials, TenantDatabaseCredentialsProps
from tfjson import one

STORE = f"arn:aws:iam::{ACCOUNT}:role/acme-dev-shop-secrets"
SHARED = ExistingDatabase("acme-dev-pg", Expression("data.aws_db_instance.shared.address"), Expression("data.aws_db_instance.shared.port"))


def test_defaults_are_write_only_credentials_only_the_store_decrypts() -> None:
    s = stack()
    TenantDatabaseCredentials(s, "creds", database=SHARED, database_name="shop", readers=(STORE,))
    out = synth(s)
    secret = one(out, "aws_secretsmanager_secret")
    assert secret["name"] == "shop/database" and secret["recovery_window_in_days"] == 30
    assert secret["description"] == "shop: credentials of database shop on acme-dev-pg"
    assert one(out, "aws_kms_alias")["name"] == "alias/shop-secrets"
    reads = json.loads(one(out, "aws_kms_key")["policy"])["Statement"][1]
    assert reads["Condition"]["StringEquals"] == {"aws:PrincipalArn": STORE, "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    version = one(out, "aws_secretsmanager_secret_version")
    value = version["secret_string_wo"]
    assert version["secret_string_wo_version"] == 1 and "secret_string" not in version
    for part in ('"engine" = "postgres"', '"host" = data.aws_db_instance.shared.address', '"port" = data.aws_db_instance.shared.port', '"dbname" = "shop"', '"username" = "shop"', "random_password"):
        assert part in value, (part, value)


def test_a_database_construct_is_the_instance() -> None:
    s = stack()
    db = Database(s, "orders-pg", network=ExistingNetwork(vpc_id="vpc-0abc", database_subnet_group_name="acme-db"))
    TenantDatabaseCredentials(
        s, "creds",
        TenantDatabaseCredentialsProps(
            database=db, database_name="orders", role_name="orders_app", readers=(STORE, f"arn:aws:iam::{ACCOUNT}:role/eu-central-1-shop-secrets"),
            tenant="shop", environment="prod", secret_name="platform/prod/shop/database", key_alias="acme-prod-shop-secrets",
            credentials_version=2, recovery_window_days=7,
        ),
    )  # fmt: skip
    out = synth(s)
    value = one(out, "aws_secretsmanager_secret_version")["secret_string_wo"]
    assert '"host" = aws_db_instance.orders-pg_' in value and '"username" = "orders_app"' in value and '"credentials_version" = 2' in value
    secret = one(out, "aws_secretsmanager_secret")
    assert secret["name"] == "platform/prod/shop/database" and secret["recovery_window_in_days"] == 7 and "on orders-pg" in secret["description"]
    keys = {k["description"]: k for k in out["resource"]["aws_kms_key"].values()}
    statements = json.loads(keys["Secrets of tenant shop in prod"]["policy"])["Statement"]
    assert [st["Sid"] for st in statements[1:]] == ["TenantSecretsRoleReads", "TenantSecretsRoleReads1"]
    assert one(out, "aws_secretsmanager_secret_version")["secret_string_wo_version"] == 2


@pytest.mark.parametrize(
    ("props", "prop", "problem"),
    [
        ({"database": "acme-dev-pg"}, "database", "no instance address"),
        ({"database_name": "Shop"}, "database_name", "not a PostgreSQL name"),
        ({"database_name": "shop-db"}, "database_name", "not a PostgreSQL name"),
        ({"database_name": "postgres"}, "database_name", "reserved"),
        ({"database_name": "pg_shop"}, "database_name", "reserved"),
        ({"role_name": "rds_shop"}, "role_name", "reserved"),
        ({"readers": ()}, "readers", "nobody could read"),
        ({"readers": ("arn:aws:iam::1111:role/x",)}, "readers", "not an IAM role ARN"),
        ({"secret_name": "shop database"}, "secret_name", "1 to 512"),
        ({"key_alias": "alias/shop"}, "key_alias", "without alias/"),
        ({"credentials_version": 0}, "credentials_version", "from 1"),
        ({"recovery_window_days": 3}, "recovery_window_days", "7 to 30 days"),
        ({"tenant": "shop team"}, "tenant", "the default secret name"),
    ],
)
def test_what_postgresql_secrets_manager_kms_or_iam_refuse_is_refused(props: dict, prop: str, problem: str) -> None:
    with pytest.raises(ConstructPropsError) as info:
        TenantDatabaseCredentials(stack(), "creds", **{"database": SHARED, "database_name": "shop", "readers": (STORE,), **props})
    assert info.value.prop == prop and problem in info.value.problem and info.value.fix
    assert str(info.value).startswith("TenantDatabaseCredentials 'test/creds': ")


def test_the_account_comes_from_the_props_or_the_provider() -> None:
    with pytest.raises(ConstructPropsError) as info:
        TenantDatabaseCredentials(stack(provider=False), "creds", database=SHARED, database_name="shop", readers=(STORE,))
    assert info.value.prop == "account_id"
