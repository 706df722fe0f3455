"""The StateBackend construct alone, aws-cdk style: one construct in an empty cdktf stack with
hand-written props (no plan), assertions on what it synthesizes, and a refusal per check."""

from __future__ import annotations

import json

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.terraform.props import ConstructPropsError
from constructs_lib.terraform.state_backend import StateBackend, StateBackendProps
from tfjson import one, resources


def test_defaults_are_a_private_versioned_kms_only_bucket_without_table() -> None:
    s = stack()
    backend = StateBackend(s, "tfstate")
    out = synth(s)
    bucket = one(out, "aws_s3_bucket")
    assert bucket["bucket"] == f"tfstate-{ACCOUNT}" and bucket["force_destroy"] is False
    assert one(out, "aws_kms_alias")["name"] == f"alias/tfstate-{ACCOUNT}-state"
    assert backend.kms_key_id == f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/tfstate-{ACCOUNT}-state"
    assert one(out, "aws_s3_bucket_versioning")["versioning_configuration"] == [{"status": "Enabled"}]
    block = one(out, "aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    rule = one(out, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms" and rule["bucket_key_enabled"] is True
    assert one(out, "aws_s3_bucket_lifecycle_configuration")["rule"][0]["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    statements = {st["Sid"]: st for st in json.loads(one(out, "aws_s3_bucket_policy")["policy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert backend.kms_key_id in statements["DenyOtherKeyWrites"]["Condition"]["StringNotEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"]
    assert "aws_dynamodb_table" not in out["resource"] and backend.lock_table is None  # a lockfile in the bucket locks


def test_props_reach_the_bucket_and_the_table() -> None:
    s = stack(provider=False)
    StateBackend(
        s, "state",
        StateBackendProps(
            bucket="acme-dev-444455556666", kms_alias="acme-dev-tfstate", lock_table="acme-dev-tflock", deletion_protection=False,
            noncurrent_version_days=30, account_id="444455556666", region="eu-central-1",
        ),
    )  # fmt: skip
    out = synth(s)
    assert one(out, "aws_s3_bucket")["bucket"] == "acme-dev-444455556666"
    table = one(out, "aws_dynamodb_table")
    assert table["name"] == "acme-dev-tflock" and table["deletion_protection_enabled"] is False and table["hash_key"] == "LockID"
    assert table["point_in_time_recovery"] == [{"enabled": True}] and table["server_side_encryption"][0]["enabled"] is True
    assert one(out, "aws_s3_bucket_lifecycle_configuration")["rule"][0]["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    key_ids = json.loads(one(out, "aws_s3_bucket_policy")["policy"])["Statement"][2]["Condition"]["StringNotEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"]
    assert "arn:aws:kms:eu-central-1:444455556666:alias/acme-dev-tfstate" in key_ids
    assert len(resources(out, "aws_kms_key")) == 1


@pytest.mark.parametrize(
    ("props", "prop", "problem"),
    [
        ({"bucket": "ab"}, "bucket", "3 to 63"),
        ({"bucket": "x" * 64}, "bucket", "3 to 63"),
        ({"bucket": "Acme-State"}, "bucket", "3 to 63 lowercase"),
        ({"bucket": "acme_state"}, "bucket", "3 to 63 lowercase"),
        ({"bucket": "-acme-state"}, "bucket", "starting and ending"),
        ({"bucket": "acme..state"}, "bucket", "adjacent periods"),
        ({"bucket": "acme.-state"}, "bucket", "next to a hyphen"),
        ({"bucket": "192.168.5.4"}, "bucket", "IP address"),
        ({"bucket": "xn--acme-state"}, "bucket", "reserves the prefixes"),
        ({"bucket": "acme-state-s3alias"}, "bucket", "reserves the prefixes"),
        ({"kms_alias": "alias/acme"}, "kms_alias", "without alias/"),
        ({"lock_table": "tf"}, "lock_table", "3 to 255"),
        ({"lock_table": "tf lock"}, "lock_table", "3 to 255"),
        ({"noncurrent_version_days": 0}, "noncurrent_version_days", "from 1"),
    ],
)
def test_what_s3_kms_or_dynamodb_refuse_is_refused(props: dict, prop: str, problem: str) -> None:
    with pytest.raises(ConstructPropsError) as info:
        StateBackend(stack(), "state", **props)
    assert info.value.prop == prop and problem in info.value.problem and info.value.fix
    assert str(info.value).startswith("StateBackend 'test/state': ")


def test_a_construct_id_that_makes_no_bucket_name_is_refused() -> None:
    with pytest.raises(ConstructPropsError) as info:
        StateBackend(stack(), "Terraform_State")
    assert info.value.prop == "bucket" and "the default name 'Terraform_State-111122223333'" in info.value.problem and "bucket=" in info.value.fix


def test_the_account_and_region_come_from_the_props_or_the_provider() -> None:
    with pytest.raises(ConstructPropsError) as info:
        StateBackend(stack(provider=False), "state")
    assert info.value.prop == "account_id"
