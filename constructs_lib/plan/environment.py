"""``<env>.yaml``: one environment, one AWS account."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .errors import FieldValueError
from .base import AwsAccountId, AwsRegion, DnsLabel, PlanModel


def check_cidr(value: str, *, min_prefix: int = 16, max_prefix: int = 20) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"'{value}' is not an IPv4 CIDR block such as 10.0.0.0/16") from None
        raise ValueError(f"'{value}' has host bits set; did you mean {loose}?") from None
    if net.version != 4:
        raise ValueError(f"'{value}' is IPv6; VPC primary CIDRs are IPv4")
    if not (min_prefix <= net.prefixlen <= max_prefix):
        raise ValueError(
            f"'{value}' is a /{net.prefixlen}; a VPC CIDR here is /{min_prefix} to /{max_prefix} "
            "so that the subnet tiers fit"
        )
    if not net.is_private:
        raise ValueError(f"'{value}' is not a private (RFC 1918) range")
    return str(net)


class NodeGroupPlan(PlanModel):
    name: DnsLabel
    instance_types: list[str] = Field(min_length=1)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    min_size: int = Field(ge=0, le=450)
    max_size: int = Field(ge=1, le=450)
    desired_size: int | None = Field(None, ge=0, le=450)
    disk_size_gb: int = Field(50, ge=20, le=16384)
    labels: dict[str, str] = {}
    taints: list[dict[str, str]] = []

    @model_validator(mode="after")
    def _sizes(self) -> "NodeGroupPlan":
        if self.min_size > self.max_size:
            raise FieldValueError(("max_size",), f"max_size ({self.max_size}) is smaller than min_size ({self.min_size})", "raise max_size or lower min_size")
        if self.desired_size is not None and not (self.min_size <= self.desired_size <= self.max_size):
            raise FieldValueError(("desired_size",), f"desired_size ({self.desired_size}) is outside min_size..max_size ({self.min_size}..{self.max_size})")
        for t in self.taints:
            if set(t) - {"key", "value", "effect"} or "key" not in t or "effect" not in t:
                raise ValueError("a taint has key, effect and optionally value")
            if t["effect"] not in ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"):
                raise ValueError(f"taint effect '{t['effect']}' must be NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE")
        return self


class ClusterPlan(PlanModel):
    endpoint_public_access: bool | None = None
    public_access_cidrs: list[str] | None = None
    node_groups: list[NodeGroupPlan] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "ClusterPlan":
        names = [n.name for n in self.node_groups]
        if len(set(names)) != len(names):
            raise ValueError("node group names must be unique")
        return self


class DatabasePlan(PlanModel):
    instance_class: str | None = Field(None, pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    allocated_storage_gb: int = Field(20, ge=20, le=65536)
    max_allocated_storage_gb: int | None = Field(None, ge=20, le=65536)
    multi_az: bool | None = None
    backup_retention_days: int | None = Field(None, ge=0, le=35)
    deletion_protection: bool | None = None
    engine_version: str | None = Field(None, pattern=r"^\d+(\.\d+)?$")


class EnvironmentPlan(PlanModel):
    name: DnsLabel
    account_id: AwsAccountId
    regions: list[AwsRegion] = Field(min_length=1, description="The first region is the primary one.")
    tier: Literal["development", "staging", "production"]
    vpc_cidr: str
    region_vpc_cidrs: dict[str, str] = Field(
        default_factory=dict, description="Multi-region: the VPC CIDR of each secondary region (the primary uses vpc_cidr)."
    )
    availability_zones: int = Field(2, ge=2, le=3, description="2 or 3; zones are <region>a, b, c.")
    nat: Literal["none", "single", "one-per-az"] | None = None
    flow_logs_retention_days: int | None = None
    cluster: ClusterPlan
    database: DatabasePlan = DatabasePlan()
    component_values: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per-environment values overlay, merged last.")
    tags: dict[str, str] = {}

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        return check_cidr(v)

    @field_validator("regions")
    @classmethod
    def _regions_unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each region may be listed once")
        return v

    @field_validator("region_vpc_cidrs")
    @classmethod
    def _region_cidrs(cls, v: dict[str, str]) -> dict[str, str]:
        return {region: check_cidr(cidr) for region, cidr in v.items()}

    @model_validator(mode="after")
    def _secondary_regions(self) -> "EnvironmentPlan":
        secondary = self.regions[1:]
        for region in self.region_vpc_cidrs:
            if region not in secondary:
                raise ValueError(f"region_vpc_cidrs names {region}, which is not a secondary region of {self.regions}")
        missing = [r for r in secondary if r not in self.region_vpc_cidrs]
        if missing:
            raise ValueError(f"secondary region(s) {', '.join(missing)} need a VPC CIDR in region_vpc_cidrs")
        return self
