"""The DatabaseAdminAccess construct alone, aws-cdk style: a Database and a Cluster in an empty cdktf
stack with hand-written props (no plan), the role it synthesizes from them, and a refusal per check."""

from __future__ import annotations

import json

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.terraform.cluster import Cluster
from constructs_lib.terraform.database import Database, DatabaseAdminAccess, DatabaseAdminAccessProps
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.props import ConstructPropsError, ExistingNetwork
from tfjson import by_attr

ADMIN = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"
NET = ExistingNetwork(vpc_id="vpc-0abc", vpc_cidr="10.40.0.0/16", private_subnet_ids=("subnet-a", "subnet-b"), database_subnet_group_name="shop-db")


def _platform(s: cdktf.TerraformStack, **where: str) -> tuple[Database, Cluster]:
    eks = Cluster(s, "shop", network=NET, admin_principal_arns=(ADMIN,), **where)
    return Database(s, "orders", network=NET, clients=[eks], **where), eks


def _trust_subjects(out: dict) -> dict[str, list[str]]:
    """Each web identity trust document's id -> the service accounts (``sub``) it admits."""
    docs = out["data"]["aws_iam_policy_document"]
    return {key: [c["values"][0] for st in doc["statement"] for c in st["condition"] if c["variable"].endswith(":sub")] for key, doc in docs.items()}


def test_defaults_trust_the_database_admin_store_alone_and_read_one_secret() -> None:
    s = stack()
    db, eks = _platform(s)
    access = DatabaseAdminAccess(s, "db_admin", database=db, cluster=eks)
    out = synth(s)
    role = next(r for r in out["resource"]["aws_iam_role"].values() if r["name"] == "shop-database-admin")
    trust_key = next(k for k in _trust_subjects(out) if k.startswith("shop_db_admin_trust"))
    assert role["assume_role_policy"] == f"${{data.aws_iam_policy_document.{trust_key}.json}}"
    assert _trust_subjects(out)[trust_key] == ["system:serviceaccount:external-secrets:store-database-admin"]
    statements = {st["Sid"]: st for st in json.loads(by_attr(out, "aws_iam_role_policy", "name", "read-master-secret")["policy"])["Statement"]}
    (secret,) = statements["ReadMasterSecret"]["Resource"]  # that one secret, by its ARN
    assert secret.startswith("${aws_db_instance.orders_instance_") and secret.endswith(".master_user_secret[0].secret_arn}")
    assert statements["DecryptThroughSecretsManager"]["Resource"][0].startswith("${aws_kms_key.orders_kms_key_")
    assert statements["DecryptThroughSecretsManager"]["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    assert statements["FindMasterSecretByTag"]["Resource"] == "*" and set(statements) == {"ReadMasterSecret", "FindMasterSecretByTag", "DecryptThroughSecretsManager"}
    assert access.role_name == "shop-database-admin" and access.role_arn.startswith("${")


def test_props_reach_the_role_and_the_region_is_the_database_s() -> None:
    s = stack(provider=False)
    db, eks = _platform(s, account_id=ACCOUNT, region="eu-central-1")
    DatabaseAdminAccess(s, "admin", DatabaseAdminAccessProps(database=db, cluster=eks, namespace="db-ops", service_account="pg.admin", role_name="orders-admin"))
    out = synth(s)
    assert any(r["name"] == "orders-admin" for r in out["resource"]["aws_iam_role"].values())
    assert ["system:serviceaccount:db-ops:pg.admin"] in _trust_subjects(out).values()
    statements = {st["Sid"]: st for st in json.loads(by_attr(out, "aws_iam_role_policy", "name", "read-master-secret")["policy"])["Statement"]}
    assert statements["DecryptThroughSecretsManager"]["Condition"]["StringEquals"]["kms:ViaService"] == "secretsmanager.eu-central-1.amazonaws.com"


@pytest.mark.parametrize(
    ("props", "prop", "problem"),
    [
        ({"namespace": "DB_Ops"}, "namespace", "namespace name"),
        ({"namespace": "x" * 64}, "namespace", "namespace name"),
        ({"service_account": "store database admin"}, "service_account", "service account name"),
        ({"service_account": "-store"}, "service_account", "service account name"),
        ({"role_name": "shop/database-admin"}, "role_name", "IAM accepts"),
        ({"role_name": "r" * 65}, "role_name", "IAM accepts"),
    ],
)
def test_what_iam_or_kubernetes_refuse_is_refused(props: dict, prop: str, problem: str) -> None:
    s = stack()
    db, eks = _platform(s)
    with pytest.raises(ConstructPropsError) as info:
        DatabaseAdminAccess(s, "db_admin", database=db, cluster=eks, **props)
    assert info.value.prop == prop and problem in info.value.problem and info.value.fix
    assert str(info.value).startswith("DatabaseAdminAccess 'test/db_admin': ")


def test_the_database_and_the_cluster_must_be_constructs() -> None:
    s = stack()
    db, eks = _platform(s)
    with pytest.raises(ConstructPropsError) as info:
        DatabaseAdminAccess(s, "a", database="orders", cluster=eks)
    assert info.value.prop == "database" and "not a Database" in info.value.problem
    with pytest.raises(ConstructPropsError) as info:
        DatabaseAdminAccess(s, "b", database=db, cluster="shop")
    assert info.value.prop == "cluster" and "not a Cluster" in info.value.problem
    with pytest.raises(ConstructPropsError) as info:
        DatabaseAdminAccess(s, "c", database=db)
    assert info.value.prop == "props" and "cluster" in info.value.problem


@pytest.mark.parametrize("prop", ["database", "cluster"])
def test_a_database_or_cluster_of_another_stack_is_refused(prop: str) -> None:
    app = cdktf.Testing.app()
    here, there = (cdktf.TerraformStack(app, name) for name in ("here", "there"))
    db, eks = _platform(here, account_id=ACCOUNT, region="eu-west-1")
    other_db, other_eks = _platform(there, account_id=ACCOUNT, region="eu-west-1")
    refs = {"database": db, "cluster": eks, prop: {"database": other_db, "cluster": other_eks}[prop]}
    with pytest.raises(ConstructPropsError) as info:
        DatabaseAdminAccess(here, "db_admin", **refs)
    assert info.value.prop == prop and "stack 'there'" in info.value.problem and "never read each other's" in info.value.problem


def test_a_second_access_with_the_same_id_on_one_cluster_is_refused() -> None:
    s = stack()
    db, eks = _platform(s)
    DatabaseAdminAccess(s, "db_admin", database=db, cluster=eks)
    with pytest.raises(ConstructPropsError) as info:
        DatabaseAdminAccess(eks, "db_admin", database=db, cluster=eks, role_name="shop-database-admin-2")
    assert info.value.prop == "cluster" and "already holds a trust policy 'db_admin_trust'" in info.value.problem
