"""L1: AWS resources and data sources, one module per resource family."""

from .base import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION, AwsDataSource, AwsEphemeralResource, AwsProvider, AwsResource, Expression, Template, hcl_jsonencode, terraform_literal

__all__ = [
    "AWS_PROVIDER_SOURCE",
    "AWS_PROVIDER_VERSION",
    "AwsDataSource",
    "AwsEphemeralResource",
    "AwsProvider",
    "AwsResource",
    "Expression",
    "Template",
    "hcl_jsonencode",
    "terraform_literal",
]
