"""The state backend bootstrap: the S3 bucket and DynamoDB lock table every other stack uses."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from ..resolve.model import ResolvedStateBackend
from . import policy
from .aws import dynamodb, s3
from .kms_key import EncryptionKey


NONCURRENT_STATE_DAYS = 90  # old state versions kept for recovery, then expired


@dataclass(frozen=True)
class StateBackendProps:
    state: ResolvedStateBackend
    account_id: str
    deletion_protection: bool


class StateBackend(Construct):
    """Versioned, KMS-encrypted, private, TLS-only bucket; encrypted lock table with PITR."""

    def __init__(self, scope: Construct, id: str, props: StateBackendProps):
        super().__init__(scope, id)
        st = props.state
        self.kms = EncryptionKey(self, "kms", alias=st.kms_alias, description=f"Terraform state in {st.bucket}", account_id=props.account_id)
        self.bucket = s3.S3Bucket(self, "bucket", bucket=st.bucket, force_destroy=False, tags={"Name": st.bucket})
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
                    "noncurrent_version_expiration": [{"noncurrent_days": NONCURRENT_STATE_DAYS}],
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
        objects = f"{self.bucket.arn}/*"
        s3.S3BucketPolicy(
            self,
            "tls_only",
            bucket=bucket_id,
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
                    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": [self.kms.arn, st.kms_key_id]}},
                },
            ),
        )
        self.lock_table = None
        if st.lock_table:
            self.lock_table = dynamodb.DynamodbTable(
                self,
                "locks",
                name=st.lock_table,
                billing_mode="PAY_PER_REQUEST",
                hash_key="LockID",
                attribute=[{"name": "LockID", "type": "S"}],
                point_in_time_recovery=[{"enabled": True}],
                server_side_encryption=[{"enabled": True, "kms_key_arn": self.kms.arn}],
                deletion_protection_enabled=props.deletion_protection,
                tags={"Name": st.lock_table},
            )
