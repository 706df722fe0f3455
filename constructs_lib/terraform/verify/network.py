"""The live check of a :class:`~constructs_lib.terraform.network.Network`: the VPC and its CIDR,
each tier's subnets in their AZs, the NAT gateways, the flow logs and their log group, and a
default security group without rules."""

from __future__ import annotations

from ...resolve import names
from ...resolve.model import ResolvedNetwork
from .base import Clients, Difference, check_log_group


def _tag(tags: list[dict] | None, key: str) -> str | None:
    return next((t["Value"] for t in tags or [] if t["Key"] == key), None)


def check_network(aws: Clients, net: ResolvedNetwork) -> list[Difference]:
    """Every difference between the live VPC named ``net.name`` and ``net``."""
    out: list[Difference] = []
    ec2 = aws("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [net.name]}])["Vpcs"]
    where = f"VPC {net.name}"
    if not vpcs:
        return [Difference(where, "exists", True, False)]
    if len(vpcs) > 1:
        out.append(Difference(where, "count", 1, len(vpcs)))
    vpc = vpcs[0]
    if vpc["CidrBlock"] != net.cidr:
        out.append(Difference(where, "cidr", net.cidr, vpc["CidrBlock"]))
    out += _check_subnets(aws, net, vpc["VpcId"])
    nats = [
        n
        for n in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]
        if n["State"] in ("pending", "available")
    ]
    expected_nats = {"none": 0, "single": 1, "one-per-az": len(net.azs)}[net.nat]
    if len(nats) != expected_nats:
        out.append(Difference(f"{where} NAT gateways", f"count (nat: {net.nat})", expected_nats, len(nats)))
    out += _check_flow_logs(aws, net, vpc["VpcId"])
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    for sg in default_sg:
        rules = len(sg.get("IpPermissions", [])) + len(sg.get("IpPermissionsEgress", []))
        if rules:
            out.append(Difference(f"{where} default security group", "rules", 0, rules))
    return out


def _check_subnets(aws: Clients, net: ResolvedNetwork, vpc_id: str) -> list[Difference]:
    """Each resolved subnet, found by its Name tag in the VPC: its CIDR and AZ."""
    out: list[Difference] = []
    subnets = {_tag(s.get("Tags"), "Name"): s for s in aws("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]}
    for s in (*net.public_subnets, *net.private_subnets, *net.database_subnets):
        live = subnets.get(s.name)
        if live is None:
            out.append(Difference(f"subnet {s.name}", "exists", True, False))
            continue
        if live["CidrBlock"] != s.cidr:
            out.append(Difference(f"subnet {s.name}", "cidr", s.cidr, live["CidrBlock"]))
        if live["AvailabilityZone"] != s.az:
            out.append(Difference(f"subnet {s.name}", "availability_zone", s.az, live["AvailabilityZone"]))
    return out


def _check_flow_logs(aws: Clients, net: ResolvedNetwork, vpc_id: str) -> list[Difference]:
    """Flow logs of all traffic into the encrypted log group, kept as long as resolved."""
    out: list[Difference] = []
    flows = aws("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    if not any(f.get("TrafficType") == "ALL" and f.get("FlowLogStatus", "ACTIVE") == "ACTIVE" for f in flows):
        out.append(Difference(f"VPC {net.name}", "flow logs of all traffic", "on", "off"))
    return out + check_log_group(aws, names.flow_log_group(net.name), net.flow_logs_retention_days)
