"""Network resolution: AZs, subnet tiers, NAT strategy."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .compliance import floor
from .model import ResolvedNetwork, Subnet
from .trace import Source, Trace, default, environment, rule

if TYPE_CHECKING:  # annotations only: the Terraform worker imports this module without the plan model
    from ..plan.environment import EnvironmentPlan

# Subnet layout inside a /16../20 VPC (n = prefix length of the VPC):
#   private   /n+4  at indexes 0..azs-1     (large: pods get VPC IPs with the VPC CNI)
#   public    /n+8  at indexes 128..        (load balancers and NAT gateways only)
#   database  /n+8  at indexes 144..
PRIVATE_NEWBITS, EDGE_NEWBITS = 4, 8
PUBLIC_START, DATABASE_START = 128, 144

NAT_BY_TIER = {"development": "single", "staging": "single", "production": "one-per-az"}


def subnet_layout(cidr: str, azs: tuple[str, ...], prefix: str) -> tuple[tuple[Subnet, ...], tuple[Subnet, ...], tuple[Subnet, ...]]:
    vpc = ipaddress.ip_network(cidr)
    private = list(vpc.subnets(new_prefix=vpc.prefixlen + PRIVATE_NEWBITS))
    edge = list(vpc.subnets(new_prefix=vpc.prefixlen + EDGE_NEWBITS))
    pub = tuple(Subnet(f"{prefix}-public-{az}", az, str(edge[PUBLIC_START + i])) for i, az in enumerate(azs))
    prv = tuple(Subnet(f"{prefix}-private-{az}", az, str(private[i])) for i, az in enumerate(azs))
    db = tuple(Subnet(f"{prefix}-database-{az}", az, str(edge[DATABASE_START + i])) for i, az in enumerate(azs))
    return pub, prv, db


def retention_days(tier: str, compliance: list[str]) -> tuple[int, Source]:
    """The tier's log retention, raised to what the plan's compliance frameworks ask for (resolve/compliance.py)."""
    days, why = (90, "production keeps logs 90 days") if tier == "production" else (30, f"{tier} keeps logs 30 days")
    asked = floor(tier, compliance, "log_retention_days")
    if asked is not None and asked.value > days:
        return asked.value, asked.source
    return days, rule("log-retention-tier", why)


def resolve_network(
    trace: Trace,
    *,
    name: str,
    cidr: str,
    cidr_source: Source,
    env: EnvironmentPlan,
    env_file: str,
    compliance: list[str],
    region: str | None = None,
) -> ResolvedNetwork:
    """The network of a cluster in ``env``: its own CIDR, the environment's AZs, NAT and log settings."""
    t = trace.child("network.")
    t.record("cidr", cidr, cidr_source)
    region = region or env.regions[0]
    azs = tuple(f"{region}{chr(ord('a') + i)}" for i in range(env.availability_zones))
    t.record("azs", list(azs), environment(f"{env_file}: availability_zones") if "availability_zones" in env.model_fields_set else default("two AZs"))
    pub, prv, db = subnet_layout(cidr, azs, name)
    layout = rule("subnet-layout", "private /+4 from the start; public and database /+8 from the upper half, one per AZ")
    t.record("private_subnets", [s.cidr for s in prv], layout)
    t.record("public_subnets", [s.cidr for s in pub], layout)
    t.record("database_subnets", [s.cidr for s in db], layout)
    tier = env.tier
    nat_value = t.pick(
        "nat",
        [
            (env.nat, environment(f"{env_file}: nat")),
            (NAT_BY_TIER[tier], rule("nat-by-tier", f"{tier}: {NAT_BY_TIER[tier]} NAT gateway" + (" (an AZ outage must not cut egress)" if tier == "production" else " (cost over AZ-resilience)"))),
        ],
    )
    days, why = retention_days(tier, compliance)
    retention = t.pick("flow_logs_retention_days", [(env.flow_logs_retention_days, environment(f"{env_file}: flow_logs_retention_days")), (days, why)])
    return ResolvedNetwork(
        name=name,
        cidr=cidr,
        azs=azs,
        public_subnets=pub,
        private_subnets=prv,
        database_subnets=db,
        nat=nat_value,
        flow_logs_retention_days=retention,
    )
