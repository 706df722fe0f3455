"""CloudWatch Logs family."""

from __future__ import annotations

from .base import AwsResource


class CloudwatchLogGroup(AwsResource):
    resource_type = "aws_cloudwatch_log_group"
