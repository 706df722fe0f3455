"""``cluster.api_access``: who may reach the private Kubernetes API endpoint (port 443).

The private endpoint answers only inside the VPC (and networks routed to it), and only
what a security group on the control plane admits: without a rule nothing but the nodes
reaches it, so ``pulumi up`` and every ``kubectl`` would time out. These are the sources
of that rule: the cluster's own VPC, private ranges (a peered VPC, a VPN) and security
groups (a CI runner's, a bastion's). ``public_access_cidrs`` is a different list: the public endpoint's.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ..value_checks.aws import API_ACCESS_RULES_MAX, SECURITY_GROUP_ID
from ..value_checks.ipv4 import check_private_cidr
from .base import PlanModel
from .errors import FieldValueError

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
        out = [check_private_cidr(i, v) for i, v in enumerate(values)]
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
