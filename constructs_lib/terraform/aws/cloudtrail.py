"""CloudTrail family: the account's audit trail."""

from __future__ import annotations

from .base import AwsResource


class Cloudtrail(AwsResource):
    """A trail: where CloudTrail delivers the account's events (``s3_bucket_name``), how they are
    protected (``kms_key_id``, ``enable_log_file_validation``) and from where (``is_multi_region_trail``)."""

    resource_type = "aws_cloudtrail"
