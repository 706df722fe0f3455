"""The live check of a :class:`~constructs_lib.terraform.cluster.Cluster`: the control plane
(version, endpoints, secrets encryption, logs), each node group, and the security group of the
private API endpoint. Its IAM roles are checked in ``iam.py``."""

from __future__ import annotations

from typing import Any

from ...resolve import names
from ...resolve.model import ResolvedCluster, ResolvedNodeGroup
from .base import Clients, Difference


def check_cluster(aws: Clients, c: ResolvedCluster) -> list[Difference]:
    """Every difference between the live EKS cluster ``c.name`` (its node groups, its API access) and ``c``."""
    eks = aws("eks")
    where = f"EKS cluster {c.name}"
    try:
        live = eks.describe_cluster(name=c.name)["cluster"]
    except eks.exceptions.ResourceNotFoundException:
        return [Difference(where, "exists", True, False)]
    out: list[Difference] = []
    if live.get("version") != c.version:
        out.append(Difference(where, "version", c.version, live.get("version")))
    vpc = live.get("resourcesVpcConfig", {})
    if bool(vpc.get("endpointPublicAccess")) != c.endpoint_public_access:
        out.append(Difference(where, "endpoint_public_access", c.endpoint_public_access, vpc.get("endpointPublicAccess")))
    if not vpc.get("endpointPrivateAccess"):
        out.append(Difference(where, "endpoint_private_access", True, vpc.get("endpointPrivateAccess")))
    if not any("secrets" in e.get("resources", []) and e.get("provider", {}).get("keyArn") for e in live.get("encryptionConfig") or []):
        out.append(Difference(where, "secrets encryption (KMS)", "enabled", "off"))
    enabled = sorted({t for entry in (live.get("logging") or {}).get("clusterLogging", []) if entry.get("enabled") for t in entry.get("types", [])})
    if enabled != sorted(c.log_types):
        out.append(Difference(where, "control plane log types", sorted(c.log_types), enabled))
    groups = set(eks.list_nodegroups(clusterName=c.name).get("nodegroups", []))
    for ng in c.node_groups:
        if ng.name not in groups:
            out.append(Difference(f"EKS node group {c.name}/{ng.name}", "exists", True, False))
            continue
        out += _check_node_group(c, ng, eks.describe_nodegroup(clusterName=c.name, nodegroupName=ng.name)["nodegroup"])
    return out + check_api_access(aws, c, vpc)


def _check_node_group(c: ResolvedCluster, ng: ResolvedNodeGroup, g: dict[str, Any]) -> list[Difference]:
    """One live node group (``describe_nodegroup``) against its resolved sizes, instances, labels and versions."""
    out: list[Difference] = []
    gwhere = f"EKS node group {c.name}/{ng.name}"
    sc = g.get("scalingConfig", {})
    for key, want in (("minSize", ng.min_size), ("maxSize", ng.max_size)):
        if sc.get(key) != want:
            out.append(Difference(gwhere, key, want, sc.get(key)))
    # desired_size belongs to whoever scales the group (ignore_changes); only its bounds are checked.
    desired = sc.get("desiredSize")
    if desired is None or not ng.min_size <= desired <= ng.max_size:
        out.append(Difference(gwhere, "desiredSize within [min, max]", f"{ng.min_size}..{ng.max_size}", desired))
    if sorted(g.get("instanceTypes") or []) != sorted(ng.instance_types):
        out.append(Difference(gwhere, "instance_types", sorted(ng.instance_types), sorted(g.get("instanceTypes") or [])))
    if g.get("capacityType") != ng.capacity_type:
        out.append(Difference(gwhere, "capacity_type", ng.capacity_type, g.get("capacityType")))
    if dict(ng.labels) and {k: v for k, v in (g.get("labels") or {}).items() if k in dict(ng.labels)} != dict(ng.labels):
        out.append(Difference(gwhere, "labels", dict(ng.labels), g.get("labels")))
    # Nodes follow the control plane: a group left on an older version was never upgraded.
    if g.get("version") != c.version:
        out.append(Difference(gwhere, "version", c.version, g.get("version")))
    if ng.release_version is not None and g.get("releaseVersion") != ng.release_version:
        out.append(Difference(gwhere, "release_version", ng.release_version, g.get("releaseVersion")))
    return out


def check_api_access(aws: Clients, c: ResolvedCluster, vpc_config: dict) -> list[Difference]:
    """The private endpoint's security group: attached to the cluster, admitting exactly
    ``cluster.api_access`` on TCP 443 (the VPC's CIDR for ``vpc: true``)."""
    ec2 = aws("ec2")
    name = names.cluster_api_access_security_group(c.name)
    where = f"security group {name}"
    vpc_id = vpc_config.get("vpcId")
    filters = [{"Name": "group-name", "Values": [name]}] + ([{"Name": "vpc-id", "Values": [vpc_id]}] if vpc_id else [])
    groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    if not groups:
        return [Difference(where, "exists", True, False)]
    group_id = groups[0]["GroupId"]
    out: list[Difference] = []
    if group_id not in (vpc_config.get("securityGroupIds") or []):
        out.append(Difference(f"EKS cluster {c.name}", "security groups", f"includes {group_id} ({name})", vpc_config.get("securityGroupIds") or []))
    expected = {*c.api_access_cidrs, *c.api_access_security_groups}
    if c.api_access_vpc and vpc_id:
        expected.add(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    live = set()
    for r in rules:
        if r.get("IsEgress"):
            continue
        source = r.get("CidrIpv4") or (r.get("ReferencedGroupInfo") or {}).get("GroupId") or r.get("CidrIpv6") or r.get("PrefixListId")
        live.add(source if (r.get("IpProtocol"), r.get("FromPort"), r.get("ToPort")) == ("tcp", 443, 443) else f"{source} ({r.get('IpProtocol')} {r.get('FromPort')}-{r.get('ToPort')})")
    if live != expected:
        out.append(Difference(where, "sources admitted on TCP 443", sorted(expected), sorted(live)))
    return out
