"""S3 family: the state bucket and its protections."""

from __future__ import annotations

from .base import AwsResource


class S3Bucket(AwsResource):
    resource_type = "aws_s3_bucket"


class S3BucketVersioning(AwsResource):
    resource_type = "aws_s3_bucket_versioning"


class S3BucketServerSideEncryptionConfiguration(AwsResource):
    resource_type = "aws_s3_bucket_server_side_encryption_configuration"


class S3BucketPublicAccessBlock(AwsResource):
    resource_type = "aws_s3_bucket_public_access_block"


class S3BucketPolicy(AwsResource):
    resource_type = "aws_s3_bucket_policy"


class S3BucketOwnershipControls(AwsResource):
    resource_type = "aws_s3_bucket_ownership_controls"


class S3BucketLifecycleConfiguration(AwsResource):
    resource_type = "aws_s3_bucket_lifecycle_configuration"
