"""``cluster.api_access``: who may reach the private Kubernetes API endpoint (port 443).

The private endpoint answers only inside the VPC (and networks routed to it), and only
what a security group on the control plane admits: without a rule nothing but the nodes
reaches it, so ``pulumi up`` and every ``kubectl`` would time out. These are the sources
of that rule: the cluster's own VPC, private ranges (a peered VPC, a VPN) and security
groups (a CI runner's, a bastion's). ``public_access_cidrs`` is a different list: the public endpoint's.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import Field, field_validator, model_validator

from .base import RFC1918, PlanModel, parse_ipv4_cidr
from .errors import FieldValueError

API_ACCESS_RULES_MAX = 60  # EC2 quota "inbound rules per security group" (default): one rule per source
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # VPN clients are often numbered here
SECURITY_GROUP_ID = re.compile(r"sg-(?:[0-9a-f]{8}|[0-9a-f]{17})")


def _private_cidr(i: int, value: str) -> str:
    try:
        net = parse_ipv4_cidr(value)
    except FieldValueError as exc:
        raise FieldValueError((i,), exc.message, exc.hint) from None
    if not any(net.subnet_of(r) for r in (*RFC1918, CGNAT)):
        raise FieldValueError(
            (i,),
            f"{net} is not a private range: the private API endpoint is reached only from the VPC and networks routed to it",
            "list private ranges (RFC 1918 or 100.64.0.0/10: the VPC, a peered VPC, a VPN); for addresses on the internet use "
            "cluster.endpoint_public_access with public_access_cidrs instead",
        )
    return str(net)


class ApiAccess(PlanModel):
    """Sources admitted to the private API endpoint on TCP 443."""

    vpc: bool = Field(
        False, description="The cluster's own VPC (its CIDR): an instance in its subnets, such as an SSM bastion or a CI runner, reaches the API; for every cluster, each in its own VPC."
    )
    cidrs: list[str] = Field(default_factory=list, description="Private IPv4 ranges (the VPC, a peered VPC, a VPN) that reach the private endpoint.")
    security_group_ids: list[str] = Field(
        default_factory=list, description="Security groups (sg-...) in the cluster's VPC or a peered VPC of the same region, e.g. a CI runner's or a bastion's."
    )

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        out = [_private_cidr(i, v) for i, v in enumerate(values)]
        for i, v in enumerate(out):
            if v in out[:i]:
                raise FieldValueError((i,), f"{v} is listed twice", "list each range once")
        return values

    @field_validator("security_group_ids")
    @classmethod
    def _groups(cls, values: list[str]) -> list[str]:
        for i, v in enumerate(values):
            if not SECURITY_GROUP_ID.fullmatch(v):
                raise FieldValueError((i,), f"'{v}' is not a security group id", "write it as sg- and 8 or 17 lowercase hex digits, e.g. sg-0123456789abcdef0")
            if v in values[:i]:
                raise FieldValueError((i,), f"{v} is listed twice", "list each security group once")
        return values

    @model_validator(mode="after")
    def _quota(self) -> "ApiAccess":
        total = int(self.vpc) + len(self.cidrs) + len(self.security_group_ids)
        if total > API_ACCESS_RULES_MAX:
            raise FieldValueError((), f"{total} sources, one inbound rule each: over the {API_ACCESS_RULES_MAX} a security group holds", "merge adjacent ranges")
        return self

    @property
    def empty(self) -> bool:
        return not (self.vpc or self.cidrs or self.security_group_ids)
