"""The AuditTrail construct: an account's CloudTrail trail and the bucket and key it writes to.

``AuditTrail(stack, "audit")``; the plan is one front end (``stacks.py: audit_trail_props`` maps the
resolved trail, which a compliance framework of the plan asks for: resolve/compliance.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from constructs import Construct

from ..resolve import names
from . import policy
from .aws import cloudtrail, s3
from .kms_key import EncryptionKey
from .props import ConstructPropsError, account_and_region, construct_path, props_from
from .secret_checks import key_alias_problem
from .state_backend import bucket_name_problem


@dataclass(frozen=True, kw_only=True)
class AuditTrailProps:
    """One trail per account. Nothing is required. Not props, so no build drops them: the trail
    logs every region and the global services' events, with log file validation, into a bucket
    that is versioned, SSE-KMS with the construct's own key (rotation on), owner-enforced, blocks
    all public access and takes only TLS; its policy lets CloudTrail write for this trail only
    (``aws:SourceArn``), the key's lets CloudTrail encrypt for it only."""

    name: str | None = None
    """The trail's name: 3 to 128 letters, digits, ``.``, ``_`` and ``-``, none of those adjacent,
    starting and ending with a letter or digit. @default the construct id."""
    bucket: str | None = None
    """The bucket's name, global across AWS (the S3 rules). @default ``<name>-<account id>``."""
    kms_alias: str | None = None
    """The key's alias, without ``alias/``. @default ``<name>-trail``."""
    retention_days: int = 365
    """Days a log file is kept, then expired (a deleted or overwritten file's old version is kept 90
    days more). @default 365: the 12 months PCI DSS 10.5.1 asks for."""
    account_id: str | None = None
    """The account (the bucket and key policies). @default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """The trail's home region (its ARN). @default the stack's aws provider's region."""


NONCURRENT_DAYS = 90
"""An overwritten or deleted log file's old version is kept this long (versioning), then expired."""


def check_audit_trail_props(p: AuditTrailProps, construct: str) -> None:
    """What CloudTrail, S3 or KMS would refuse, with the fix."""

    def refuse(prop: str, problem: str | None, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem or "", fix)

    if p.name is not None and (not isinstance(p.name, str) or (problem := names.trail_name_problem(p.name))):
        refuse("name", problem if isinstance(p.name, str) else "not a string", "e.g. name='acme-prod-audit'")
    if p.bucket is not None and (problem := bucket_name_problem(p.bucket)):
        refuse("bucket", problem, "e.g. bucket='acme-prod-audit-111122223333'")
    if p.kms_alias is not None and (problem := key_alias_problem(p.kms_alias)):
        refuse("kms_alias", problem, "e.g. 'acme-prod-audit-trail'")
    if isinstance(p.retention_days, bool) or not isinstance(p.retention_days, int) or p.retention_days < 1:
        refuse("retention_days", "S3 expires objects after a whole number of days from 1", "e.g. 365")


class AuditTrail(Construct):
    """``aws_cloudtrail`` (all regions, global service events, log file validation, SSE-KMS) writing to
    its own private, versioned, TLS-only bucket under its own customer-managed key."""

    def __init__(self, scope: Construct, id: str, props: AuditTrailProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "AuditTrail")
        p = props_from(AuditTrailProps, props, kwargs, where)
        check_audit_trail_props(p, where)
        super().__init__(scope, id)
        self.props = p
        account_id, region = account_and_region(self, where, p.account_id, p.region)
        self.name = name = p.name or id
        if (problem := names.trail_name_problem(name)) is not None:
            raise ConstructPropsError(where, "name", None, f"the default name {name!r} (the construct id): {problem}", "pass name='...'")
        bucket = p.bucket or names.audit_trail_bucket(name, account_id)
        if (problem := bucket_name_problem(bucket)) is not None:
            raise ConstructPropsError(where, "bucket", None, f"the default name {bucket!r} (name and account): {problem}", "pass bucket='...'")
        alias = p.kms_alias or names.audit_trail_key_alias(name)
        if (problem := key_alias_problem(alias)) is not None:
            raise ConstructPropsError(where, "kms_alias", None, f"the default alias {alias!r}: {problem}", "pass kms_alias='...'")
        self.trail_arn = trail_arn = names.audit_trail_arn(region, account_id, name)
        self.kms = EncryptionKey(
            self, "kms", alias=alias, description=f"CloudTrail trail {name}", account_id=account_id, statements=_cloudtrail_key_statements(trail_arn, account_id)
        )
        self.bucket = s3.S3Bucket(self, "bucket", bucket=bucket, force_destroy=False, tags={"Name": bucket})
        self._bucket_settings(p.retention_days)
        bucket_policy = self._bucket_policy(trail_arn, account_id)
        self.trail = cloudtrail.Cloudtrail(
            self,
            "trail",
            name=name,
            s3_bucket_name=self.bucket.id_ref,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=self.kms.arn,
            tags={"Name": name},
            depends_on=[bucket_policy],  # CloudTrail checks it may write before it creates the trail
        )

    def _bucket_settings(self, retention_days: int) -> None:
        """Owner-enforced, private, versioned, SSE-KMS with the trail's key; log files expire after the retention."""
        bucket_id = self.bucket.id_ref
        s3.S3BucketOwnershipControls(self, "ownership", bucket=bucket_id, rule=[{"object_ownership": "BucketOwnerEnforced"}])
        s3.S3BucketPublicAccessBlock(
            self, "public_access", bucket=bucket_id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
        )
        versioning = s3.S3BucketVersioning(self, "versioning", bucket=bucket_id, versioning_configuration=[{"status": "Enabled"}])
        s3.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                {
                    "id": "expire-log-files",
                    "status": "Enabled",
                    "filter": [{"prefix": ""}],
                    "expiration": [{"days": retention_days}],
                    "noncurrent_version_expiration": [{"noncurrent_days": NONCURRENT_DAYS}],
                    "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
                }
            ],
            depends_on=[versioning],
        )
        s3.S3BucketServerSideEncryptionConfiguration(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": self.kms.arn}], "bucket_key_enabled": True}],
        )

    def _bucket_policy(self, trail_arn: str, account_id: str) -> s3.S3BucketPolicy:
        """TLS only; CloudTrail may check the bucket's ACL and write the account's log files, for this trail only."""
        this_trail = {"StringEquals": {"aws:SourceArn": trail_arn}}
        return s3.S3BucketPolicy(
            self,
            "policy",
            bucket=self.bucket.id_ref,
            policy=policy.document(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [self.bucket.arn, f"{self.bucket.arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "CloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": names.service_principal("cloudtrail")},
                    "Action": "s3:GetBucketAcl",
                    "Resource": self.bucket.arn,
                    "Condition": this_trail,
                },
                {
                    "Sid": "CloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": names.service_principal("cloudtrail")},
                    "Action": "s3:PutObject",
                    "Resource": f"{self.bucket.arn}/AWSLogs/{account_id}/*",
                    "Condition": {"StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}},
                },
            ),
        )


def _cloudtrail_key_statements(trail_arn: str, account_id: str) -> list[dict[str, Any]]:
    """CloudTrail may encrypt log files with the key for this trail only, and describe the key; reading
    them stays with the account's IAM policies (the key policy's administration statement)."""
    return [
        {
            "Sid": "CloudTrailEncrypts",
            "Effect": "Allow",
            "Principal": {"Service": names.service_principal("cloudtrail")},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": names.arn("cloudtrail", "*", account_id, "trail/*")},
            },
        },
        {
            "Sid": "CloudTrailDescribesKey",
            "Effect": "Allow",
            "Principal": {"Service": names.service_principal("cloudtrail")},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
    ]
