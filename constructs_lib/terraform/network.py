"""The Network construct: VPC, subnet tiers, NAT, routes, flow logs, S3 endpoint."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from constructs import Construct

from ..plan.errors import FieldValueError
from ..resolve import names
from ..resolve.network import subnet_layout
from ..value_checks.aws import LOG_RETENTION_DAYS
from ..value_checks.ipv4 import check_cidr
from .aws import iam, rds, vpc
from .log_group import EncryptedLogGroup
from .props import ConstructPropsError, account_and_region, construct_path, props_from

NAT_MODES = ("none", "single", "one-per-az")
MAX_AZS = 16
"""The subnet layout (resolve/network.py) has room for 16 public and 16 database subnets."""
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _subnet_id(tier: str, az: str) -> str:
    """The construct id of a tier's subnet in ``az``; its route table association's is this plus ``_rta``
    (computed, not asked of the subnet: ``node.id`` is two jsii round trips)."""
    return f"{tier}_{az}"


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    """A VPC with public, private and database subnet tiers, one subnet of each per AZ.
    No prop is required. Not props, so no build drops them: no public IP on launch, a default
    security group without rules, no internet route from the database tier, every flow logged."""

    cidr: str = "10.0.0.0/16"
    """The VPC's IPv4 range: RFC 1918, /16 to /20, so the tiers fit (private /+4 from the start,
    public and database /+8 from the upper half). @default 10.0.0.0/16; give each VPC its own
    range if they are ever to be peered."""
    azs: tuple[str, ...] | None = None
    """The availability zones, each ``<region><letter>``, at least two (EKS and RDS need two).
    @default the region's ``a`` and ``b``: two AZs, as the plan's default."""
    name: str | None = None
    """Names the VPC, subnets (``<name>-<tier>-<az>``), flow-log group, key and role.
    @default the construct's id."""
    nat: str = "one-per-az"
    """NAT gateways for the private tier's egress: ``one-per-az``, ``single`` (cheaper; an outage
    of its AZ cuts egress) or ``none`` (only the S3 endpoint). @default one-per-az: an AZ outage
    does not cut the others' egress."""
    flow_logs_retention_days: int = 90
    """Retention of the VPC flow logs (always on, every accepted and rejected flow), a value
    CloudWatch Logs accepts (0: never expire). @default 90 days; a compliance regime may need 365."""
    account_id: str | None = None
    """The account (flow-log role trust, key policy). @default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """The region (AZs, S3 endpoint). @default the stack's aws provider's region."""


def check_network_props(p: NetworkProps, construct: str, region: str) -> tuple[str, ...]:
    """The AZs to use, after refusing what AWS or the layout would refuse."""

    def refuse(prop: str, problem: str, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem, fix)

    try:
        check_cidr(p.cidr)
    except FieldValueError as e:
        refuse("cidr", e.message, e.hint or "an RFC 1918 range from /16 to /20, e.g. 10.0.0.0/16")
    azs = p.azs if p.azs is not None else (f"{region}a", f"{region}b")
    if isinstance(azs, str) or not 2 <= len(azs) <= MAX_AZS or len(set(azs)) != len(azs):
        refuse("azs", f"needs 2 to {MAX_AZS} distinct AZs (EKS and RDS need subnets in two)", f"e.g. ('{region}a', '{region}b')")
    for az in azs:
        if not re.fullmatch(rf"{re.escape(region)}[a-z]", az):
            refuse("azs", f"'{az}' is not an AZ of {region}", f"AZs of {region} are {region}a, {region}b, ...")
    if p.name is not None and (not _NAME.match(p.name) or len(p.name) > 40):
        refuse("name", "names IAM roles, KMS aliases and log groups: lowercase letters, digits and single hyphens, at most 40", "e.g. 'acme-dev'")
    if p.nat not in NAT_MODES:
        refuse("nat", f"one of {', '.join(NAT_MODES)}", "'one-per-az' (resilient) or 'single' (cheaper)")
    if p.flow_logs_retention_days not in LOG_RETENTION_DAYS:
        refuse("flow_logs_retention_days", "not a retention CloudWatch Logs accepts", f"one of {', '.join(map(str, LOG_RETENTION_DAYS))} (0: never expire)")
    return tuple(azs)


def _flow_logs_trust(account_id: str, region: str) -> dict[str, Any]:
    """The flow-log role's trust. Confused-deputy guard (as AWS documents for vpc-flow-logs): the
    service may assume the role only for a flow log of this account in this region."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": names.service_principal("vpc-flow-logs")},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": names.arn("ec2", region, account_id, "vpc-flow-log/*")},
                },
            }
        ],
    }


class Network(Construct):
    """A VPC over two or more AZs with public, private and database tiers.

    ``Network(stack, "net", cidr="10.10.0.0/16", azs=("eu-west-1a", "eu-west-1b"))``, or
    ``Network(stack, "net", props)``; every prop has a default (:class:`NetworkProps`).

    Secure defaults (see docs/constructs.md): the default security group has
    no rules; public subnets do not assign public IPs; the database tier has no
    route to the internet; every accepted and rejected flow is logged.
    """

    def __init__(self, scope: Construct, id: str, props: NetworkProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "Network")
        p = props_from(NetworkProps, props, kwargs, where)
        super().__init__(scope, id)
        account_id, region = account_and_region(self, where, p.account_id, p.region)
        azs = check_network_props(p, where, region)
        self.props = p
        name = p.name or id
        if p.name is None and (not _NAME.match(name) or len(name) > 40):
            raise ConstructPropsError(where, "name", None, f"the construct id '{id}' is the default name, and it is not lowercase letters, digits and single hyphens", "pass name='...'")
        self.name, self.azs = name, azs
        igw = self._vpc(p.cidr)
        self._subnets(p.cidr)
        self.clusters: list[str] = []
        self._public_routes(igw)
        nat_ids = self._nat_gateways(p.nat, igw)
        self._private_routes(nat_ids)
        db_rt = self._database_tier()
        vpc.VpcEndpoint(
            self,
            "s3_endpoint",
            vpc_id=self.vpc_id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id_ref for rt in self.private_route_tables] + [db_rt.id_ref],
            tags={"Name": f"{name}-s3"},
        )
        self._flow_logs(p.flow_logs_retention_days, account_id, region)

    def _vpc(self, cidr: str) -> vpc.InternetGateway:
        """The VPC, its default security group stripped of every rule, and its internet gateway."""
        self.vpc = vpc.Vpc(self, "vpc", cidr_block=cidr, enable_dns_support=True, enable_dns_hostnames=True, tags={"Name": self.name})
        vpc.DefaultSecurityGroup(self, "default_sg", vpc_id=self.vpc_id, tags={"Name": f"{self.name}-default-deny"})
        return vpc.InternetGateway(self, "igw", vpc_id=self.vpc_id, tags={"Name": self.name})

    def _subnets(self, cidr: str) -> None:
        """One subnet per tier and AZ; none assigns public IPs. The public and private tiers carry
        the role tags the load balancer controllers select them by."""
        pub, prv, db = subnet_layout(cidr, self.azs, self.name)

        def tier(tier: str, items, extra_tags: dict[str, str]) -> list[vpc.Subnet]:
            return [
                vpc.Subnet(
                    self,
                    _subnet_id(tier, s.az),
                    vpc_id=self.vpc_id,
                    cidr_block=s.cidr,
                    availability_zone=s.az,
                    map_public_ip_on_launch=False,
                    tags={"Name": s.name, "infraplan:tier": tier, **extra_tags},
                )
                for s in items
            ]

        self.public_subnets = tier("public", pub, {"kubernetes.io/role/elb": "1"})
        self.private_subnets = tier("private", prv, {"kubernetes.io/role/internal-elb": "1"})
        self.database_subnets = tier("database", db, {})

    def _public_routes(self, igw: vpc.InternetGateway) -> None:
        """One route table for the public tier, its default route through the internet gateway."""
        public_rt = vpc.RouteTable(self, "public_rt", vpc_id=self.vpc_id, tags={"Name": f"{self.name}-public"})
        vpc.Route(self, "public_default", route_table_id=public_rt.id_ref, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id_ref)
        for az, s in zip(self.azs, self.public_subnets):
            vpc.RouteTableAssociation(self, f"{_subnet_id('public', az)}_rta", subnet_id=s.id_ref, route_table_id=public_rt.id_ref)

    def _nat_gateways(self, mode: str, igw: vpc.InternetGateway) -> list[str]:
        """The NAT gateways ``mode`` asks for, in the public subnets of the first AZ or of each; their ids."""
        nat_ids: list[str] = []
        nat_azs = {"none": [], "single": self.azs[:1], "one-per-az": list(self.azs)}[mode]
        for az, subnet in zip(self.azs, self.public_subnets):
            if az not in nat_azs:
                continue
            eip = vpc.Eip(self, f"nat_eip_{az}", domain="vpc", tags={"Name": f"{self.name}-nat-{az}"})
            nat = vpc.NatGateway(
                self,
                f"nat_{az}",
                allocation_id=eip.id_ref,
                subnet_id=subnet.id_ref,
                tags={"Name": f"{self.name}-nat-{az}"},
                depends_on=[igw],
            )
            nat_ids.append(nat.id_ref)
        self.nat_gateway_count = len(nat_ids)
        return nat_ids

    def _private_routes(self, nat_ids: list[str]) -> None:
        """A route table per private subnet: egress through its AZ's NAT gateway (or the last one
        there is), no default route when there is none."""
        self.private_route_tables = []
        for i, (az, subnet) in enumerate(zip(self.azs, self.private_subnets)):
            rt = vpc.RouteTable(self, f"private_rt_{az}", vpc_id=self.vpc_id, tags={"Name": f"{self.name}-private-{az}"})
            if nat_ids:
                vpc.Route(self, f"private_default_{az}", route_table_id=rt.id_ref, destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[min(i, len(nat_ids) - 1)])
            vpc.RouteTableAssociation(self, f"{_subnet_id('private', az)}_rta", subnet_id=subnet.id_ref, route_table_id=rt.id_ref)
            self.private_route_tables.append(rt)

    def _database_tier(self) -> vpc.RouteTable:
        """The database subnets' route table (no route to the internet) and their DB subnet group."""
        db_rt = vpc.RouteTable(self, "database_rt", vpc_id=self.vpc_id, tags={"Name": f"{self.name}-database"})
        for az, s in zip(self.azs, self.database_subnets):
            vpc.RouteTableAssociation(self, f"{_subnet_id('database', az)}_rta", subnet_id=s.id_ref, route_table_id=db_rt.id_ref)
        self.db_subnet_group = rds.DbSubnetGroup(
            self,
            "db_subnet_group",
            name=f"{self.name}-database",
            description=f"Database tier of {self.name}",
            subnet_ids=[s.id_ref for s in self.database_subnets],
            tags={"Name": f"{self.name}-database"},
        )
        return db_rt

    def _flow_logs(self, retention_days: int, account_id: str, region: str) -> None:
        """Every accepted and rejected flow to CloudWatch Logs, encrypted, with retention, through a
        role only the flow-logs service of this account and region may assume."""
        name = self.name
        log_group = EncryptedLogGroup(
            self,
            "flow_logs",
            name=names.flow_log_group(name),
            retention_days=retention_days,
            key_alias=names.flow_logs_key_alias(name),
            description=f"VPC flow logs of {name}",
            account_id=account_id,
            region=region,
        )
        trust = json.dumps(_flow_logs_trust(account_id, region), sort_keys=True)
        role = iam.IamRole(self, "flow_logs_role", name=names.flow_logs_role(name), assume_role_policy=trust, tags={"Name": names.flow_logs_role(name)})
        write = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": f"{log_group.arn}:*",
                }
            ],
        }
        iam.IamRolePolicy(self, "flow_logs_policy", name="write-flow-logs", role=role.id_ref, policy=json.dumps(write, sort_keys=True))
        vpc.FlowLog(
            self,
            "flow_log",
            vpc_id=self.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-log"},
        )

    def add_cluster(self, cluster_name: str) -> None:
        """Tag the public and private subnets ``kubernetes.io/cluster/<name> = shared``, so the load
        balancer controllers of that cluster find them (a Cluster on this network calls it)."""
        if cluster_name in self.clusters:
            return
        self.clusters.append(cluster_name)
        for subnet in (*self.public_subnets, *self.private_subnets):
            subnet.attributes["tags"][f"kubernetes.io/cluster/{cluster_name}"] = "shared"

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
