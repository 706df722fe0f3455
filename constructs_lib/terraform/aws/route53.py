"""Route 53 family: the environment's public hosted zone."""

from __future__ import annotations

from .base import AwsDataSource, AwsResource


class Route53Zone(AwsResource):
    resource_type = "aws_route53_zone"


class DataRoute53Zone(AwsDataSource):
    data_type = "aws_route53_zone"
