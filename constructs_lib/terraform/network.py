"""The Network construct: VPC, subnet tiers, NAT, routes, flow logs, S3 endpoint."""

from __future__ import annotations

import json
from dataclasses import dataclass

from constructs import Construct

from ..resolve import names
from ..resolve.model import ResolvedNetwork
from .aws import iam, rds, vpc
from .log_group import EncryptedLogGroup


@dataclass(frozen=True)
class NetworkProps:
    network: ResolvedNetwork
    region: str
    account_id: str
    cluster_name: str


class Network(Construct):
    """A VPC over the resolved AZs with public, private and database tiers.

    Secure defaults (see docs/constructs.md): the default security group has
    no rules; public subnets do not assign public IPs; the database tier has no
    route to the internet; every accepted and rejected flow is logged.
    """

    def __init__(self, scope: Construct, id: str, props: NetworkProps):
        super().__init__(scope, id)
        net = props.network
        cluster_tag = f"kubernetes.io/cluster/{props.cluster_name}"
        self.vpc = vpc.Vpc(
            self,
            "vpc",
            cidr_block=net.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": net.name},
        )
        vpc_id = self.vpc.id_ref
        vpc.DefaultSecurityGroup(self, "default_sg", vpc_id=vpc_id, tags={"Name": f"{net.name}-default-deny"})
        igw = vpc.InternetGateway(self, "igw", vpc_id=vpc_id, tags={"Name": net.name})

        def subnets(tier: str, items, extra_tags: dict[str, str]) -> list[vpc.Subnet]:
            return [
                vpc.Subnet(
                    self,
                    f"{tier}_{s.az}",
                    vpc_id=vpc_id,
                    cidr_block=s.cidr,
                    availability_zone=s.az,
                    map_public_ip_on_launch=False,
                    tags={"Name": s.name, "infraplan:tier": tier, **extra_tags},
                )
                for s in items
            ]

        self.public_subnets = subnets("public", net.public_subnets, {"kubernetes.io/role/elb": "1", cluster_tag: "shared"})
        self.private_subnets = subnets("private", net.private_subnets, {"kubernetes.io/role/internal-elb": "1", cluster_tag: "shared"})
        self.database_subnets = subnets("database", net.database_subnets, {})

        public_rt = vpc.RouteTable(self, "public_rt", vpc_id=vpc_id, tags={"Name": f"{net.name}-public"})
        vpc.Route(self, "public_default", route_table_id=public_rt.id_ref, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id_ref)
        for s in self.public_subnets:
            vpc.RouteTableAssociation(self, f"{s.node.id}_rta", subnet_id=s.id_ref, route_table_id=public_rt.id_ref)

        nat_ids: list[str] = []
        nat_azs = {"none": [], "single": net.azs[:1], "one-per-az": list(net.azs)}[net.nat]
        for az, subnet in zip(net.azs, self.public_subnets):
            if az not in nat_azs:
                continue
            eip = vpc.Eip(self, f"nat_eip_{az}", domain="vpc", tags={"Name": f"{net.name}-nat-{az}"})
            nat = vpc.NatGateway(
                self,
                f"nat_{az}",
                allocation_id=eip.id_ref,
                subnet_id=subnet.id_ref,
                tags={"Name": f"{net.name}-nat-{az}"},
                depends_on=[igw],
            )
            nat_ids.append(nat.id_ref)
        self.nat_gateway_count = len(nat_ids)

        self.private_route_tables = []
        for i, (az, subnet) in enumerate(zip(net.azs, self.private_subnets)):
            rt = vpc.RouteTable(self, f"private_rt_{az}", vpc_id=vpc_id, tags={"Name": f"{net.name}-private-{az}"})
            if nat_ids:
                vpc.Route(self, f"private_default_{az}", route_table_id=rt.id_ref, destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[min(i, len(nat_ids) - 1)])
            vpc.RouteTableAssociation(self, f"{subnet.node.id}_rta", subnet_id=subnet.id_ref, route_table_id=rt.id_ref)
            self.private_route_tables.append(rt)

        db_rt = vpc.RouteTable(self, "database_rt", vpc_id=vpc_id, tags={"Name": f"{net.name}-database"})
        for s in self.database_subnets:
            vpc.RouteTableAssociation(self, f"{s.node.id}_rta", subnet_id=s.id_ref, route_table_id=db_rt.id_ref)
        self.db_subnet_group = rds.DbSubnetGroup(
            self,
            "db_subnet_group",
            name=f"{net.name}-database",
            description=f"Database tier of {net.name}",
            subnet_ids=[s.id_ref for s in self.database_subnets],
            tags={"Name": f"{net.name}-database"},
        )

        vpc.VpcEndpoint(
            self,
            "s3_endpoint",
            vpc_id=vpc_id,
            service_name=f"com.amazonaws.{props.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id_ref for rt in self.private_route_tables] + [db_rt.id_ref],
            tags={"Name": f"{net.name}-s3"},
        )

        # Flow logs to CloudWatch Logs, encrypted, with retention.
        log_group = EncryptedLogGroup(
            self,
            "flow_logs",
            name=names.flow_log_group(net.name),
            retention_days=net.flow_logs_retention_days,
            key_alias=names.flow_logs_key_alias(net.name),
            description=f"VPC flow logs of {net.name}",
            account_id=props.account_id,
            region=props.region,
        )
        # Confused-deputy guard (as AWS documents for vpc-flow-logs): the service may assume the role
        # only for a flow log of this account in this region.
        assume = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": props.account_id},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{props.region}:{props.account_id}:vpc-flow-log/*"},
                    },
                }
            ],
        }
        role = iam.IamRole(self, "flow_logs_role", name=names.flow_logs_role(net.name), assume_role_policy=json.dumps(assume, sort_keys=True), tags={"Name": names.flow_logs_role(net.name)})
        iam.IamRolePolicy(
            self,
            "flow_logs_policy",
            name="write-flow-logs",
            role=role.id_ref,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            "Resource": f"{log_group.arn}:*",
                        }
                    ],
                },
                sort_keys=True,
            ),
        )
        vpc.FlowLog(
            self,
            "flow_log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{net.name}-flow-log"},
        )

    # What other constructs take from a Network (props.DatabaseNetworkSource, ClusterNetworkSource).
    @property
    def vpc_id(self) -> str:
        return self.vpc.id_ref

    @property
    def vpc_cidr(self) -> str:
        return self.vpc.ref("cidr_block")

    @property
    def private_subnet_ids(self) -> list[str]:
        return [s.id_ref for s in self.private_subnets]

    @property
    def database_subnet_group_name(self) -> str:
        return self.db_subnet_group.ref("name")
