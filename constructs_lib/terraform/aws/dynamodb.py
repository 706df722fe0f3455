"""DynamoDB family: the state lock table."""

from __future__ import annotations

from .base import AwsResource


class DynamodbTable(AwsResource):
    resource_type = "aws_dynamodb_table"
