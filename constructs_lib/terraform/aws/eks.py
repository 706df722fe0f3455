"""EKS family: cluster, node groups, add-ons (and their published versions), access entries, launch templates."""

from __future__ import annotations

from .base import AwsDataSource, AwsResource


class EksCluster(AwsResource):
    resource_type = "aws_eks_cluster"


class EksNodeGroup(AwsResource):
    resource_type = "aws_eks_node_group"


class EksAddon(AwsResource):
    resource_type = "aws_eks_addon"


class DataEksAddonVersion(AwsDataSource):
    data_type = "aws_eks_addon_version"


class EksAccessEntry(AwsResource):
    resource_type = "aws_eks_access_entry"


class EksAccessPolicyAssociation(AwsResource):
    resource_type = "aws_eks_access_policy_association"


class LaunchTemplate(AwsResource):
    resource_type = "aws_launch_template"
