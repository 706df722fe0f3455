"""The AuditTrail construct alone, aws-cdk style: one construct in an empty cdktf stack with
hand-written props (no plan), assertions on what it synthesizes, and a refusal per check."""

from __future__ import annotations

import json

import pytest

from construct_stack import ACCOUNT, REGION, stack, synth
from constructs_lib.terraform.audit_trail import AuditTrail, AuditTrailProps
from constructs_lib.terraform.props import ConstructPropsError
from tfjson import one

TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/audit"


def test_defaults_one_validated_all_region_trail_into_a_private_encrypted_bucket() -> None:
    s = stack()
    AuditTrail(s, "audit")
    out = synth(s)
    trail = one(out, "aws_cloudtrail")
    assert trail["name"] == "audit" and trail["is_multi_region_trail"] is True and trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True and trail["enable_logging"] is True
    assert trail["kms_key_id"].startswith("${aws_kms_key.") and trail["s3_bucket_name"].startswith("${aws_s3_bucket.")
    assert trail["depends_on"] == [f"aws_s3_bucket_policy.{next(iter(out['resource']['aws_s3_bucket_policy']))}"]  # CloudTrail checks the policy at creation
    assert one(out, "aws_s3_bucket")["bucket"] == f"audit-{ACCOUNT}" and one(out, "aws_s3_bucket")["force_destroy"] is False
    assert one(out, "aws_kms_alias")["name"] == "alias/audit-trail" and one(out, "aws_kms_key")["enable_key_rotation"] is True
    block = one(out, "aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    assert one(out, "aws_s3_bucket_versioning")["versioning_configuration"] == [{"status": "Enabled"}]
    assert one(out, "aws_s3_bucket_ownership_controls")["rule"] == [{"object_ownership": "BucketOwnerEnforced"}]
    sse = one(out, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert sse["sse_algorithm"] == "aws:kms" and sse["kms_master_key_id"].startswith("${aws_kms_key.")
    rule = one(out, "aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert rule["expiration"] == [{"days": 365}] and rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]


def test_the_bucket_admits_cloudtrail_for_this_trail_only_and_tls_only() -> None:
    s = stack()
    AuditTrail(s, "audit")
    statements = {st["Sid"]: st for st in json.loads(one(synth(s), "aws_s3_bucket_policy")["policy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny" and statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    acl, write = statements["CloudTrailAclCheck"], statements["CloudTrailWrite"]
    assert acl["Principal"] == write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl["Action"] == "s3:GetBucketAcl" and acl["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    assert write["Action"] == "s3:PutObject" and write["Resource"].endswith(f"/AWSLogs/{ACCOUNT}/*")
    assert write["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}}


def test_the_key_lets_cloudtrail_encrypt_for_this_trail_only() -> None:
    s = stack()
    AuditTrail(s, "audit")
    statements = {st["Sid"]: st for st in json.loads(one(synth(s), "aws_kms_key")["policy"])["Statement"]}
    encrypt = statements["CloudTrailEncrypts"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": TRAIL_ARN}
    assert encrypt["Condition"]["StringLike"] == {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}
    assert statements["CloudTrailDescribesKey"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}


def test_props_reach_the_trail() -> None:
    s = stack(provider=False)
    AuditTrail(s, "t", AuditTrailProps(name="acme-prod-audit", bucket="acme-audit-logs", kms_alias="acme/audit", retention_days=2192, account_id="444455556666", region="us-east-1"))
    out = synth(s)
    assert one(out, "aws_cloudtrail")["name"] == "acme-prod-audit" and one(out, "aws_s3_bucket")["bucket"] == "acme-audit-logs"
    assert one(out, "aws_kms_alias")["name"] == "alias/acme/audit"
    assert one(out, "aws_s3_bucket_lifecycle_configuration")["rule"][0]["expiration"] == [{"days": 2192}]
    assert "arn:aws:cloudtrail:us-east-1:444455556666:trail/acme-prod-audit" in one(out, "aws_s3_bucket_policy")["policy"]


@pytest.mark.parametrize(
    ("props", "prop", "problem"),
    [
        ({"name": "ab"}, "name", "3 to 128"),
        ({"name": "x" * 129}, "name", "3 to 128"),
        ({"name": "-audit"}, "name", "starting and ending with a letter or digit"),
        ({"name": "my audit"}, "name", "3 to 128"),
        ({"name": "my--audit"}, "name", "adjacent"),
        ({"name": "my-_audit"}, "name", "adjacent"),
        ({"name": "192.168.5.4"}, "name", "IP address"),
        ({"bucket": "Audit_Logs"}, "bucket", "lowercase"),
        ({"bucket": "sthree-audit"}, "bucket", "reserves"),
        ({"kms_alias": "aws/audit"}, "kms_alias", "not aws/"),
        ({"retention_days": 0}, "retention_days", "from 1"),
        ({"retention_days": True}, "retention_days", "from 1"),
        ({"account_id": "123"}, "account_id", "12 digits"),
    ],
)
def test_what_cloudtrail_s3_and_kms_refuse_is_refused(props: dict, prop: str, problem: str) -> None:
    with pytest.raises(ConstructPropsError) as info:
        AuditTrail(stack(), "audit", **props)
    assert info.value.prop == prop and problem in info.value.problem


def test_a_default_name_cloudtrail_refuses_is_refused() -> None:
    with pytest.raises(ConstructPropsError) as info:
        AuditTrail(stack(), "my--trail")
    assert info.value.prop == "name" and "construct id" in info.value.problem


def test_no_account_no_trail() -> None:
    with pytest.raises(ConstructPropsError) as info:
        AuditTrail(stack(provider=False), "audit")
    assert info.value.prop == "account_id"
