"""KMS family: customer-managed keys and aliases."""

from __future__ import annotations

from .base import AwsResource


class KmsKey(AwsResource):
    resource_type = "aws_kms_key"


class KmsAlias(AwsResource):
    resource_type = "aws_kms_alias"
