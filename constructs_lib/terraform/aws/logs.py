"""CloudWatch Logs family."""

from __future__ import annotations

from .base import AwsDataSource, AwsResource


class CloudwatchLogGroup(AwsResource):
    resource_type = "aws_cloudwatch_log_group"


class DataCloudwatchLogGroups(AwsDataSource):
    data_type = "aws_cloudwatch_log_groups"
