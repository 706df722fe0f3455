"""The environment's public DNS zone: one per environment, in the environment's own account.

``EnvironmentZone(stack, "dns", domain="dev.acme.example.com")``. The environment's platform
stack creates the zone of ``dns.domain`` when the plan names no existing one
(``dns.hosted_zone_id``; ``stacks.py`` maps it onto the props); its name servers are an output, to
be delegated once from the parent domain (docs/deploy.md). The other stacks of the environment
(secondary regions, a tenant's dedicated cluster) find the zone by name, as they find the shared
VPC: stacks do not read each other's state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from ..plan.errors import FieldValueError
from ..resolve.model import ClusterDns
from ..value_checks.dns import check_dns_name
from .aws import route53
from .props import ConstructPropsError, construct_path, props_from

COMMENT_MAX = 256
"""Route 53: a hosted zone's comment has at most 256 characters."""
DEFAULT_COMMENT = "public zone (infraplan)"


@dataclass(frozen=True, kw_only=True)
class EnvironmentZoneProps:
    """A public Route 53 zone. Required: the domain. Not a prop: ``force_destroy`` (off), so
    destroying the stack stops at a zone that still holds records (external-dns', by hand)."""

    domain: str
    """The zone's name: a subdomain of a domain you own (at least two labels), lowercase, without
    the final dot, as the plan's ``dns.domain`` is checked."""
    comment: str | None = None
    """The zone's comment, 1 to 256 characters. @default ``public zone (infraplan)``, which fits
    any domain; the plan writes its platform and environment (``names.dns_zone_comment``)."""


class EnvironmentZone(Construct):
    """The zone Terraform creates for an environment's domain; ``zone_id`` and ``name_servers`` are its references."""

    def __init__(self, scope: Construct, id: str, props: EnvironmentZoneProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "EnvironmentZone")
        p = props_from(EnvironmentZoneProps, props, kwargs, where)
        if not isinstance(p.domain, str):
            raise ConstructPropsError(where, "domain", p.domain, "not a string", "pass the domain, e.g. domain='dev.acme.example.com'")
        try:
            check_dns_name(p.domain, min_labels=2)
        except FieldValueError as e:
            raise ConstructPropsError(where, "domain", p.domain, e.message, e.hint) from None
        comment = p.comment if p.comment is not None else DEFAULT_COMMENT
        if not comment or len(comment) > COMMENT_MAX:
            raise ConstructPropsError(where, "comment", p.comment, f"Route 53 takes a comment of 1 to {COMMENT_MAX} characters", "shorten it, or leave it out")
        super().__init__(scope, id)
        self.props = p
        self.domain = p.domain
        self.zone = route53.Route53Zone(self, "zone", name=p.domain, comment=comment, tags={"Name": p.domain})
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
