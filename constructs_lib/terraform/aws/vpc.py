"""VPC family: VPC, subnets, gateways, routes, flow logs, endpoints, security groups."""

from __future__ import annotations

from .base import AwsDataSource, AwsResource


class Vpc(AwsResource):
    resource_type = "aws_vpc"


class Subnet(AwsResource):
    resource_type = "aws_subnet"


class InternetGateway(AwsResource):
    resource_type = "aws_internet_gateway"


class Eip(AwsResource):
    resource_type = "aws_eip"


class NatGateway(AwsResource):
    resource_type = "aws_nat_gateway"


class RouteTable(AwsResource):
    resource_type = "aws_route_table"


class Route(AwsResource):
    resource_type = "aws_route"


class RouteTableAssociation(AwsResource):
    resource_type = "aws_route_table_association"


class DefaultSecurityGroup(AwsResource):
    resource_type = "aws_default_security_group"


class SecurityGroup(AwsResource):
    resource_type = "aws_security_group"


class SecurityGroupIngressRule(AwsResource):
    resource_type = "aws_vpc_security_group_ingress_rule"



class FlowLog(AwsResource):
    resource_type = "aws_flow_log"


class VpcEndpoint(AwsResource):
    resource_type = "aws_vpc_endpoint"


class DataVpc(AwsDataSource):
    data_type = "aws_vpc"

