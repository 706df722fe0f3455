"""The GrafanaAdminSecret construct alone, aws-cdk style: one construct in an empty cdktf stack with
hand-written props (no plan), assertions on what it synthesizes, and a refusal per check."""

from __future__ import annotations

import json

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.terraform.grafana_admin import GrafanaAdminSecret, GrafanaAdminSecretProps
from constructs_lib.terraform.props import ConstructPropsError
from tfjson import one

STORE = f"arn:aws:iam::{ACCOUNT}:role/shop-grafana-admin"


def test_defaults_are_a_write_only_secret_only_the_store_decrypts() -> None:
    s = stack()
    GrafanaAdminSecret(s, "shop", readers=(STORE,))
    out = synth(s)
    secret = one(out, "aws_secretsmanager_secret")
    assert secret["name"] == "grafana.shop/admin" and secret["recovery_window_in_days"] == 30
    assert secret["kms_key_id"].startswith("${aws_kms_key.")
    assert one(out, "aws_kms_alias")["name"] == "alias/shop-grafana-admin"
    statements = json.loads(one(out, "aws_kms_key")["policy"])["Statement"]
    assert statements[0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}  # the provider's account
    reads = statements[1]
    assert reads["Condition"]["StringEquals"] == {"aws:PrincipalArn": STORE, "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    assert reads["Action"] == ["kms:Decrypt", "kms:DescribeKey"] and len(statements) == 2
    version = one(out, "aws_secretsmanager_secret_version")
    assert version["secret_string_wo_version"] == 1 and "secret_string" not in version and "random_password" in version["secret_string_wo"]
    assert '"admin-user"="admin"' in version["secret_string_wo"].replace(" ", "")
    password = out["ephemeral"]["aws_secretsmanager_random_password"]
    assert next(iter(password.values()))["password_length"] == 32


def test_props_reach_the_secret() -> None:
    s = stack(provider=False)
    other = "arn:aws:iam::444455556666:role/ops/reader"
    GrafanaAdminSecret(
        s, "g",
        GrafanaAdminSecretProps(
            readers=(STORE, other), cluster_name="acme-dev", secret_name="platform/dev/grafana.acme-dev/admin", key_alias="acme-dev-grafana",
            recovery_window_days=0, password_version=3, account_id="444455556666", region="eu-central-1",
        ),
    )  # fmt: skip
    out = synth(s)
    secret = one(out, "aws_secretsmanager_secret")
    assert secret["name"] == "platform/dev/grafana.acme-dev/admin" and secret["recovery_window_in_days"] == 0
    assert secret["description"].startswith("Grafana admin credentials of acme-dev")
    statements = json.loads(one(out, "aws_kms_key")["policy"])["Statement"]
    assert [st["Sid"] for st in statements[1:]] == ["GrafanaAdminStoreReads", "GrafanaAdminStoreReads1"]
    assert {st["Condition"]["StringEquals"]["kms:ViaService"] for st in statements[1:]} == {"secretsmanager.eu-central-1.amazonaws.com"}
    assert one(out, "aws_kms_alias")["name"] == "alias/acme-dev-grafana"
    assert one(out, "aws_secretsmanager_secret_version")["secret_string_wo_version"] == 3


@pytest.mark.parametrize(
    ("props", "prop", "problem"),
    [
        ({"readers": ()}, "readers", "nobody could read"),
        ({"readers": STORE}, "readers", "nobody could read"),  # a string, not a tuple of ARNs
        ({"readers": ("shop-grafana-admin",)}, "readers", "not an IAM role ARN"),
        ({"readers": (f"arn:aws:iam::{ACCOUNT}:user/alice",)}, "readers", "not an IAM role ARN"),
        ({"readers": (STORE, STORE)}, "readers", "listed twice"),
        ({"secret_name": "grafana admin"}, "secret_name", "1 to 512"),
        ({"secret_name": "x" * 513}, "secret_name", "1 to 512"),
        ({"key_alias": "alias/shop"}, "key_alias", "without alias/"),
        ({"key_alias": "aws/grafana"}, "key_alias", "not aws/"),
        ({"recovery_window_days": 5}, "recovery_window_days", "7 to 30 days"),
        ({"recovery_window_days": 31}, "recovery_window_days", "7 to 30 days"),
        ({"password_version": 0}, "password_version", "from 1"),
        ({"cluster_name": "shop cluster"}, "cluster_name", "the default secret name"),
    ],
)
def test_what_secrets_manager_kms_or_iam_refuse_is_refused(props: dict, prop: str, problem: str) -> None:
    with pytest.raises(ConstructPropsError) as info:
        GrafanaAdminSecret(stack(), "shop", **{"readers": (STORE,), **props})
    assert info.value.prop == prop and problem in info.value.problem and info.value.fix
    assert str(info.value).startswith("GrafanaAdminSecret 'test/shop': ")


def test_the_account_and_region_come_from_the_props_or_the_provider() -> None:
    with pytest.raises(ConstructPropsError) as info:
        GrafanaAdminSecret(stack(provider=False), "shop", readers=(STORE,))
    assert info.value.prop == "account_id"
    with pytest.raises(ConstructPropsError) as info:
        GrafanaAdminSecret(stack(provider=False), "shop", readers=(STORE,), account_id=ACCOUNT)
    assert info.value.prop == "region"
