"""IAM family: roles, policies, attachments, the OIDC provider for IRSA."""

from __future__ import annotations

from .base import AwsDataSource, AwsResource


class IamRole(AwsResource):
    resource_type = "aws_iam_role"



class IamRolePolicyAttachment(AwsResource):
    resource_type = "aws_iam_role_policy_attachment"


class IamRolePolicy(AwsResource):
    resource_type = "aws_iam_role_policy"


class IamOpenidConnectProvider(AwsResource):
    resource_type = "aws_iam_openid_connect_provider"


class DataIamPolicyDocument(AwsDataSource):
    data_type = "aws_iam_policy_document"
