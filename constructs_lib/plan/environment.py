"""``<env>.yaml``: one environment, one AWS account."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import (
    AwsAccountId,
    AwsRegion,
    AwsTags,
    IPV4_CIDR_PATTERN,
    DnsLabel,
    InstanceType,
    LogRetentionDays,
    PlanModel,
    PublicAccessCidrs,
    RdsPostgresVersion,
)
from ..value_checks.aws import check_principal_arns
from ..value_checks.dns import DNS_NAME_MAX, check_dns_name
from ..value_checks.ipv4 import check_cidr
from .cluster_access import ApiAccess
from .errors import FieldValueError

RDS_STORAGE_MAX_GB = 65536  # gp3/gp2 storage of RDS for PostgreSQL

TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
TAINT_SCHEMA = {  # what NodeGroupPlan._sizes checks of a taint, for the JSON Schema
    "title": "taint",
    "type": "object",
    "properties": {
        "key": {"type": "string", "description": "The taint's key, e.g. CriticalAddonsOnly or dedicated."},
        "value": {"type": "string", "description": "Its value, if any."},
        "effect": {"enum": list(TAINT_EFFECTS), "description": "What it does to pods without a toleration: not scheduled, evicted, or avoided."},
    },
    "required": ["key", "effect"],
    "additionalProperties": False,
}

_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DNS_NAME_PATTERN = rf"^{_LABEL}(\.{_LABEL})*$"  # what check_dns_name takes, for the JSON Schema
DOMAIN_PATTERN = rf"^{_LABEL}(\.{_LABEL})+$"  # the same with two labels or more


class DnsPlan(PlanModel):
    """The environment's own DNS domain: its apps' hostnames live under it, cert-manager (DNS-01)
    and external-dns edit only its Route 53 zone, in the environment's own account."""

    domain: str = Field(
        description="e.g. dev.acme.example.com; distinct per environment (a subzone delegated from the parent domain).",
        json_schema_extra={"title": "DNS domain", "pattern": DOMAIN_PATTERN, "maxLength": DNS_NAME_MAX},
    )
    hosted_zone_id: str | None = Field(
        None, description="An existing public Route 53 zone for the domain in this environment's account; left out, Terraform creates it."
    )

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        return check_dns_name(v, min_labels=2)

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"Z[A-Z0-9]{1,31}", v):
            raise FieldValueError((), f"'{v}' is not a Route 53 hosted zone id", "the id without /hostedzone/, e.g. Z0123456789ABCDEFGHIJ (aws route53 list-hosted-zones-by-name)")
        return v



class NodeGroupPlan(PlanModel):
    name: DnsLabel = Field(description="The EKS managed node group's name (unique in the cluster).")
    instance_types: list[InstanceType] = Field(min_length=1, description="EC2 instance types the group's nodes run on (several: EKS picks among them).")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field("ON_DEMAND", description="ON_DEMAND, or SPOT: cheaper capacity AWS may reclaim at two minutes' notice.")
    min_size: int = Field(ge=0, le=450, description="The fewest nodes the group keeps.")
    max_size: int = Field(ge=1, le=450, description="The most nodes the group may grow to; counted against scale.max_nodes.")
    desired_size: int | None = Field(None, ge=0, le=450, description="The nodes it starts with, within min_size..max_size; left out, min_size.")
    disk_size_gb: int = Field(50, ge=20, le=16384, description="Each node's root volume (GiB, encrypted gp3).")
    labels: dict[str, str] = Field(default={}, description="Kubernetes labels on the group's nodes (for nodeSelectors).")
    taints: list[dict[str, str]] = Field(
        default=[],
        description="Taints of the group's nodes: key, effect (NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE), optional value. "
        "A CriticalAddonsOnly taint makes it a system group: the add-ons run there.",
        json_schema_extra={"items": TAINT_SCHEMA},
    )
    release_version: str | None = Field(
        None,
        description="An EKS optimized AMI release (e.g. 1.31.3-20250101) of the cluster's Kubernetes version; left out, the latest one when the group is created or upgraded.",
    )

    @field_validator("release_version")
    @classmethod
    def _release(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+-[0-9]{8}", v):
            raise FieldValueError((), f"'{v}' is not an EKS optimized AMI release", "write <Kubernetes version>.<patch>-<date>, e.g. 1.31.3-20250101 (aws eks describe-nodegroup shows the current one)")
        return v

    @model_validator(mode="after")
    def _sizes(self) -> "NodeGroupPlan":
        if self.min_size > self.max_size:
            raise FieldValueError(("max_size",), f"max_size ({self.max_size}) is smaller than min_size ({self.min_size})", "raise max_size or lower min_size")
        if self.desired_size is not None and not (self.min_size <= self.desired_size <= self.max_size):
            raise FieldValueError(
                ("desired_size",),
                f"desired_size ({self.desired_size}) is outside min_size..max_size ({self.min_size}..{self.max_size})",
                f"a number from {self.min_size} to {self.max_size}, or leave it out (it starts at min_size)",
            )
        if len(self.instance_types) != len(set(self.instance_types)):
            dup = next(i for i, t in enumerate(self.instance_types) if t in self.instance_types[:i])
            raise FieldValueError(("instance_types", dup), f"instance type '{self.instance_types[dup]}' is listed twice", "list each instance type once")
        for i, t in enumerate(self.taints):
            unknown = sorted(set(t) - {"key", "value", "effect"})
            if unknown:
                raise FieldValueError(("taints", i, unknown[0]), f"a taint has no field '{unknown[0]}'", "a taint has key, effect and optionally value")
            for needed in ("key", "effect"):
                if needed not in t:
                    raise FieldValueError(("taints", i), f"this taint has no {needed}", "a taint has key, effect and optionally value")
            if t["effect"] not in TAINT_EFFECTS:
                raise FieldValueError(("taints", i, "effect"), f"taint effect '{t['effect']}' is not one EKS knows", f"allowed: {', '.join(TAINT_EFFECTS)}")
        return self


class ClusterPlan(PlanModel):
    endpoint_public_access: bool | None = Field(None, description="Replaces platform.yaml's cluster.endpoint_public_access here: true opens a public API endpoint to public_access_cidrs.")
    public_access_cidrs: PublicAccessCidrs | None = Field(None, description="Replaces platform.yaml's cluster.public_access_cidrs here: the internet ranges the public endpoint admits.")
    api_access: ApiAccess | None = Field(None, description="Replaces platform.yaml's cluster.api_access for this environment.")
    node_groups: list[NodeGroupPlan] = Field(min_length=1, description="The cluster's managed node groups, on its Kubernetes version.")

    @model_validator(mode="after")
    def _unique(self) -> "ClusterPlan":
        seen: set[str] = set()
        for i, group in enumerate(self.node_groups):
            if group.name in seen:
                raise FieldValueError(("node_groups", i, "name"), f"node group name '{group.name}' is used twice", "give each node group its own name")
            seen.add(group.name)
        system = [(i, g) for i, g in enumerate(self.node_groups) if any(t.get("key") == "CriticalAddonsOnly" for t in g.taints)]
        if len(system) > 1 and not set.intersection(*(set(g.labels.items()) for _, g in system)):
            i, g = system[-1]
            raise FieldValueError(
                ("node_groups", i, "labels"),
                f"node groups {', '.join(n.name for _, n in system)} are all tainted CriticalAddonsOnly but share no label: the add-ons cannot select them",
                "give the system node groups a common label (e.g. labels: {workload: system}), or taint one group only",
            )
        return self


class DatabasePlan(PlanModel):
    instance_class: str | None = Field(
        None, pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="The RDS instance class; left out, by tier (db.t4g.micro, db.t4g.medium, db.r6g.large)."
    )
    allocated_storage_gb: int = Field(20, ge=20, le=RDS_STORAGE_MAX_GB, description="The instance's storage at creation (GiB, encrypted gp3).")
    max_allocated_storage_gb: int | None = Field(
        None, ge=20, le=RDS_STORAGE_MAX_GB, description="How far storage autoscaling may grow it (GiB); left out, twice allocated_storage_gb."
    )
    multi_az: bool | None = Field(None, description="A standby in another AZ; left out, production decides from performance, the other tiers are single-AZ.")
    backup_retention_days: int | None = Field(None, ge=0, le=35, description="Days of automated backups (point-in-time recovery); left out, from the tier, RPO and compliance.")
    deletion_protection: bool | None = Field(None, description="Whether RDS refuses to delete the instance; left out, from the tier and compliance.")
    engine_version: RdsPostgresVersion | None = Field(None, description="Replaces platform.yaml's database.engine_version here.")
    auto_minor_version_upgrade: bool | None = Field(None, description="Replaces platform.yaml's database.auto_minor_version_upgrade here.")

    @model_validator(mode="after")
    def _storage(self) -> "DatabasePlan":
        floor = -(-self.allocated_storage_gb * 11 // 10)  # RDS: the threshold is at least 10% above the allocated storage
        if floor > RDS_STORAGE_MAX_GB:
            raise FieldValueError(
                ("allocated_storage_gb",),
                f"{self.allocated_storage_gb} GiB leaves no room for storage autoscaling (its threshold is at least 10% higher, at most {RDS_STORAGE_MAX_GB} GiB)",
                f"allocate at most {RDS_STORAGE_MAX_GB * 10 // 11} GiB",
            )
        if self.max_allocated_storage_gb is None:
            if self.allocated_storage_gb * 2 > RDS_STORAGE_MAX_GB:
                raise FieldValueError(
                    ("allocated_storage_gb",),
                    f"storage autoscaling would grow {self.allocated_storage_gb} GiB to twice that, over the RDS maximum of {RDS_STORAGE_MAX_GB} GiB",
                    f"set max_allocated_storage_gb between {floor} and {RDS_STORAGE_MAX_GB}",
                )
        elif self.max_allocated_storage_gb < floor:
            raise FieldValueError(
                ("max_allocated_storage_gb",),
                f"max_allocated_storage_gb ({self.max_allocated_storage_gb}) is not at least 10% above allocated_storage_gb ({self.allocated_storage_gb}), as RDS requires",
                f"set it to {floor} GiB or more (up to {RDS_STORAGE_MAX_GB}), or leave it out for twice the allocated storage",
            )
        return self


class EnvironmentAdmins(PlanModel):
    """Who is cluster-admin on this environment's clusters (EKS access entries with
    AmazonEKSClusterAdminPolicy): principals of this environment's account, and only those other
    accounts' principals this file names as such."""

    principal_arns: list[str] | None = Field(None, description="Replaces platform.yaml's platform_admins.principal_arns here; each in this account.")
    cross_account_principal_arns: list[str] = Field(default_factory=list, description="Principals of other accounts trusted as cluster-admin here, on purpose.")

    @field_validator("principal_arns", "cross_account_principal_arns")
    @classmethod
    def _arns(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else check_principal_arns(values, "EKS takes one access entry per principal: list it once")

    @model_validator(mode="after")
    def _disjoint(self) -> "EnvironmentAdmins":
        for i, arn in enumerate(self.cross_account_principal_arns):
            if arn in (self.principal_arns or []):
                raise FieldValueError(("cross_account_principal_arns", i), f"'{arn}' is also in principal_arns", "EKS takes one access entry per principal: list it once")
        return self


class EnvironmentPlan(PlanModel):
    name: DnsLabel = Field(description="The environment's name, the same as its file's; it names its stacks (<name>-platform, ...) and cluster.")
    account_id: AwsAccountId = Field(description="The AWS account its stacks deploy to (quote it in YAML); principals named for it must be of this account.")
    regions: list[AwsRegion] = Field(min_length=1, description="The first region is the primary one.")
    tier: Literal["development", "staging", "production"] = Field(
        description="What the defaults follow (NAT, database class, backups, protection, log retention); production is held to performance."
    )
    vpc_cidr: str = Field(
        description="The primary region's VPC (RFC 1918, /16 to /20); its private, public and database subnets are carved from it.",
        json_schema_extra={"title": "IPv4 CIDR block", "pattern": IPV4_CIDR_PATTERN},
    )
    region_vpc_cidrs: dict[str, str] = Field(
        default_factory=dict,
        description="Multi-region: the VPC CIDR of each secondary region (the primary uses vpc_cidr).",
        json_schema_extra={"additionalProperties": {"title": "IPv4 CIDR block", "type": "string", "pattern": IPV4_CIDR_PATTERN}},
    )
    availability_zones: int = Field(2, ge=2, le=3, description="2 or 3; zones are <region>a, b, c.")
    nat: Literal["none", "single", "one-per-az"] | None = Field(None, description="NAT gateways for the private subnets' egress; left out, by tier (one-per-az in production).")
    flow_logs_retention_days: LogRetentionDays | None = Field(None, description="How long the VPC flow logs are kept; left out, from the tier and compliance.")
    cluster: ClusterPlan = Field(description="The environment's EKS cluster (and each secondary region's).")
    database: DatabasePlan = Field(DatabasePlan(), description="The environment's shared RDS PostgreSQL instance, made when a tenant has a shared database here.")
    component_values: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per-environment values overlay, merged last.")
    dns: DnsPlan | None = Field(None, description="The environment's DNS domain: app hosts, ArgoCD's URL, cert-manager's DNS-01 and external-dns use it.")
    platform_admins: EnvironmentAdmins | None = Field(None, description="The cluster-admins of this environment's clusters.")
    tags: AwsTags = Field(default={}, description="AWS tags on every resource of this environment's stacks, over platform.yaml's tags.")

    def admin_principal_arns(self, platform_default: list[str]) -> tuple[str, ...]:
        """The cluster-admins of every cluster of this environment: this file's principal_arns, else
        platform.yaml's, and this file's cross-account principals."""
        own = self.platform_admins.principal_arns if self.platform_admins and self.platform_admins.principal_arns is not None else platform_default
        return (*own, *(self.platform_admins.cross_account_principal_arns if self.platform_admins else ()))

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        return check_cidr(v)

    @field_validator("regions")
    @classmethod
    def _regions_unique(cls, v: list[str]) -> list[str]:
        for i, region in enumerate(v):
            if region in v[:i]:
                raise FieldValueError((i,), f"region '{region}' is listed twice", "list each region once; the first is the primary")
        return v

    @field_validator("region_vpc_cidrs")
    @classmethod
    def _region_cidrs(cls, v: dict[str, str]) -> dict[str, str]:
        out = {}
        for region, cidr in v.items():
            try:
                out[region] = check_cidr(cidr)
            except FieldValueError as exc:
                raise FieldValueError((region,), exc.message, exc.hint) from None
        return out

    @model_validator(mode="after")
    def _secondary_regions(self) -> "EnvironmentPlan":
        secondary = self.regions[1:]
        for region in self.region_vpc_cidrs:
            if region not in secondary:
                raise FieldValueError(
                    ("region_vpc_cidrs", region),
                    f"region_vpc_cidrs names {region}, which is not a secondary region of {self.regions}",
                    "the primary region (the first) uses vpc_cidr; list here only the other regions" if region == self.regions[0] else f"secondary regions: {', '.join(secondary) or 'none'}",
                )
        for i, region in enumerate(self.regions):
            if i and region not in self.region_vpc_cidrs:
                raise FieldValueError(("regions", i), f"secondary region {region} has no VPC CIDR: secondary regions need a VPC CIDR in region_vpc_cidrs", f"add region_vpc_cidrs: {{{region}: <a /16 that overlaps no other VPC>}}")
        if self.tier == "production" and self.database.backup_retention_days == 0:
            raise FieldValueError(
                ("database", "backup_retention_days"),
                "0 turns off automated backups of a production database: no point-in-time recovery, no RPO",
                "keep at least 1 day (production defaults to 14, or 35 under compliance); leave it out to use the default",
            )
        return self
