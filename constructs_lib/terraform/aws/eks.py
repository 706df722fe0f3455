"""EKS family: cluster, node groups, add-ons, access entries, launch templates."""

from __future__ import annotations

from .base import AwsResource


class EksCluster(AwsResource):
    resource_type = "aws_eks_cluster"


class EksNodeGroup(AwsResource):
    resource_type = "aws_eks_node_group"


class EksAddon(AwsResource):
    resource_type = "aws_eks_addon"


class EksAccessEntry(AwsResource):
    resource_type = "aws_eks_access_entry"


class EksAccessPolicyAssociation(AwsResource):
    resource_type = "aws_eks_access_policy_association"


class LaunchTemplate(AwsResource):
    resource_type = "aws_launch_template"
