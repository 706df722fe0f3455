"""The environment's public DNS zone: one per environment, in the environment's own account.

The environment's platform stack creates the zone of ``dns.domain`` when the plan names no
existing one (``dns.hosted_zone_id``); its name servers are an output, to be delegated once from
the parent domain (docs/deploy.md). The other stacks of the environment (secondary regions, a
tenant's dedicated cluster) find the zone by name, as they find the shared VPC: stacks do not
read each other's state."""

from __future__ import annotations

from constructs import Construct

from ..resolve import names
from ..resolve.model import ClusterDns
from .aws import route53


class EnvironmentZone(Construct):
    """The zone Terraform creates for the environment's domain."""

    def __init__(self, scope: Construct, id: str, *, dns: ClusterDns, platform: str, environment: str):
        super().__init__(scope, id)
        if not dns.managed:
            raise ValueError(f"{dns.domain}: the plan names zone {dns.zone_id}; Terraform creates none")
        # No force_destroy: destroying the stack stops at a zone that still holds records (external-dns', by hand).
        self.zone = route53.Route53Zone(self, "zone", name=dns.domain, comment=names.dns_zone_comment(platform, environment), tags={"Name": dns.domain})
        self.zone_id = self.zone.ref("zone_id")
        self.name_servers = self.zone.ref("name_servers")


def zone_id(scope: Construct, id: str, dns: ClusterDns | None) -> str | None:
    """The id IAM policies name in a stack that does not create the zone: the plan's zone, or the
    environment's zone found by name (the platform stack, applied first, creates it)."""
    if dns is None:
        return None
    if dns.zone_id is not None:
        return dns.zone_id
    return route53.DataRoute53Zone(scope, id, name=dns.domain, private_zone=False).ref("zone_id")
