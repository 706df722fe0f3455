"""The StateBackend construct: the S3 bucket (and, while locks migrate, the DynamoDB table) that
every other stack of an account keeps its Terraform state in.

``StateBackend(stack, "state", bucket="acme-dev-111122223333")``; the plan is one front end
(``stacks.py: state_backend_props``)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from constructs import Construct

from ..resolve import names
from ..value_checks.aws import S3_RESERVED_PREFIXES
from . import policy
from .aws import dynamodb, s3
from .kms_key import EncryptionKey
from .props import ConstructPropsError, account_and_region, construct_path, props_from
from .secret_checks import key_alias_problem

S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
"""Suffixes S3 keeps for access points, Multi-Region Access Points, directory and table buckets."""
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


@dataclass(frozen=True, kw_only=True)
class StateBackendProps:
    """A state bucket, optionally a lock table. Nothing is required. Not props, so no build drops
    them: versioning, SSE-KMS with the construct's own key (bucket key on), every public access
    blocked, ``BucketOwnerEnforced``, TLS-only and KMS-only writes in the bucket policy, no
    ``force_destroy``; the table's encryption with the same key and point-in-time recovery."""

    bucket: str | None = None
    """The bucket's name, global across AWS: the S3 rules (3 to 63 lowercase letters, digits, dots
    and hyphens; not an IP address; no reserved prefix or suffix). @default ``<construct id>-<account id>``,
    unique to the account; the plan writes ``<prefix>-<env>-<account id>``."""
    kms_alias: str | None = None
    """The state key's alias, without ``alias/``: the backends name the key by its alias ARN.
    @default ``<bucket>-state``."""
    lock_table: str | None = None
    """A DynamoDB lock table (on-demand), for backends that lock with ``dynamodb_table``.
    @default none: Terraform 1.10+ locks with a lockfile in the bucket (``use_lockfile``)."""
    deletion_protection: bool = True
    """The lock table's deletion protection. @default on: a mistaken destroy keeps the locks;
    the plan turns it off in development."""
    noncurrent_version_days: int = 90
    """Days an old state version is kept for recovery, then expired. @default 90."""
    account_id: str | None = None
    """The account (the key's policy, the default bucket name). @default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """The region (the alias ARN the bucket policy admits). @default the stack's aws provider's region."""


def bucket_name_problem(name: str) -> str | None:
    """What S3 refuses of a general purpose bucket's name, or None."""
    if not isinstance(name, str) or not _BUCKET.match(name):
        return "S3 takes 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if ".." in name or ".-" in name or "-." in name:
        return "S3 refuses adjacent periods, and a period next to a hyphen"
    try:
        ipaddress.IPv4Address(name)
        return "S3 refuses a name formatted as an IP address"
    except ValueError:
        pass
    if name.startswith(S3_RESERVED_PREFIXES) or name.endswith(S3_RESERVED_SUFFIXES):
        return f"S3 reserves the prefixes {', '.join(S3_RESERVED_PREFIXES)} and the suffixes {', '.join(S3_RESERVED_SUFFIXES)}"
    return None


def check_state_backend_props(p: StateBackendProps, construct: str) -> None:
    """What S3, KMS or DynamoDB would refuse, with the fix."""

    def refuse(prop: str, problem: str | None, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem or "", fix)

    if p.bucket is not None and (problem := bucket_name_problem(p.bucket)):
        refuse("bucket", problem, "e.g. bucket='acme-dev-111122223333'")
    if p.kms_alias is not None and (problem := key_alias_problem(p.kms_alias)):
        refuse("kms_alias", problem, "e.g. 'acme-dev-state'")
    if p.lock_table is not None and (not isinstance(p.lock_table, str) or not _TABLE.match(p.lock_table)):
        refuse("lock_table", "DynamoDB takes 3 to 255 letters, digits and _.-", "e.g. 'acme-dev-tflock', or None (lockfile in the bucket)")
    if isinstance(p.noncurrent_version_days, bool) or not isinstance(p.noncurrent_version_days, int) or p.noncurrent_version_days < 1:
        refuse("noncurrent_version_days", "S3 expires noncurrent versions after a whole number of days from 1", "e.g. 90")


class StateBackend(Construct):
    """Versioned, KMS-encrypted, private, TLS-only bucket; encrypted lock table with PITR."""

    def __init__(self, scope: Construct, id: str, props: StateBackendProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "StateBackend")
        p = props_from(StateBackendProps, props, kwargs, where)
        check_state_backend_props(p, where)
        super().__init__(scope, id)
        self.props = p
        account_id, region = account_and_region(self, where, p.account_id, p.region)
        bucket = p.bucket or f"{id}-{account_id}"
        if (problem := bucket_name_problem(bucket)) is not None:
            raise ConstructPropsError(where, "bucket", None, f"the default name {bucket!r} (construct id and account): {problem}", "pass bucket='...'")
        kms_alias = p.kms_alias or names.state_kms_alias(bucket)
        if (problem := key_alias_problem(kms_alias)) is not None:
            raise ConstructPropsError(where, "kms_alias", None, f"the default alias {kms_alias!r}: {problem}", "pass kms_alias='...'")
        self.bucket_name = bucket
        # the key's alias ARN: the S3 backends' kms_key_id (a backend block takes no expressions)
        self.kms_key_id = names.kms_alias_arn(region, account_id, kms_alias)
        self.kms = EncryptionKey(self, "kms", alias=kms_alias, description=f"Terraform state in {bucket}", account_id=account_id)
        self.bucket = s3.S3Bucket(self, "bucket", bucket=bucket, force_destroy=False, tags={"Name": bucket})
        self._bucket_settings(p.noncurrent_version_days)
        self._bucket_policy()
        self.lock_table = self._lock_table(p) if p.lock_table else None

    def _bucket_settings(self, noncurrent_days: int) -> None:
        """Owner-enforced, private, versioned (old versions expire), SSE-KMS with the state key."""
        bucket_id = self.bucket.id_ref
        s3.S3BucketOwnershipControls(self, "ownership", bucket=bucket_id, rule=[{"object_ownership": "BucketOwnerEnforced"}])
        s3.S3BucketPublicAccessBlock(
            self,
            "public_access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        versioning = s3.S3BucketVersioning(self, "versioning", bucket=bucket_id, versioning_configuration=[{"status": "Enabled"}])
        s3.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                {
                    "id": "expire-old-state-versions",
                    "status": "Enabled",
                    "filter": [{"prefix": ""}],
                    "noncurrent_version_expiration": [{"noncurrent_days": noncurrent_days}],
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

    def _bucket_policy(self) -> None:
        """TLS only, and every write SSE-KMS with the state key."""
        objects = f"{self.bucket.arn}/*"
        s3.S3BucketPolicy(
            self,
            "tls_only",
            bucket=self.bucket.id_ref,
            policy=policy.document(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [self.bucket.arn, objects],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                # Every write names SSE-KMS and this key, as the backends do (kms_key_id, for the
                # state and the .tflock file alike): nobody writes state with SSE-S3 or another key.
                {
                    "Sid": "DenyNonKmsWrites",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": objects,
                    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
                },
                {
                    "Sid": "DenyOtherKeyWrites",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": objects,
                    # S3 compares the key it will use; the alias ARN too, as the backends name it
                    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": [self.kms.arn, self.kms_key_id]}},
                },
            ),
        )

    def _lock_table(self, p: StateBackendProps) -> dynamodb.DynamodbTable:
        """On demand, encrypted with the state key, point-in-time recovery."""
        return dynamodb.DynamodbTable(
            self,
            "locks",
            name=p.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[{"name": "LockID", "type": "S"}],
            point_in_time_recovery=[{"enabled": True}],
            server_side_encryption=[{"enabled": True, "kms_key_arn": self.kms.arn}],
            deletion_protection_enabled=p.deletion_protection,
            tags={"Name": p.lock_table},
        )
