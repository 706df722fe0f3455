"""external-dns: publishes the hostnames of the cluster's Ingresses in the environment's Route 53
zone (the environment's own domain, in its own account), with its own IRSA role that may change
that zone's records and nothing else.

Policy ``sync`` with the TXT registry: external-dns creates, updates and deletes only the records
it owns (a TXT record beside each names ``txtOwnerId``, the cluster's name), so a removed Ingress
loses its record instead of leaving a name pointing at whatever later takes over the load balancer's
address, while records it did not write (the zone's NS and SOA, anything made by hand, the records
of another cluster of the environment sharing the zone) are never touched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..resolve import names
from .base import AddOn, AddOnContext, AddOnSettings, IrsaPolicyInputs, IrsaSpec, PodPlacement, PolicyStatement
from .kube_prometheus_stack import prometheus_selector_labels

if TYPE_CHECKING:
    from ..plan.platform import PlatformPlan

SERVICE_ACCOUNT = "external-dns"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"


def route53_statements(inputs: IrsaPolicyInputs) -> tuple[PolicyStatement, ...]:
    """Records of the environment's zone only; listing zones takes "*" (ListHostedZones has no
    resource-level permissions), which reveals zone names but changes nothing."""
    if inputs.hosted_zone_id is None:
        raise ValueError("external-dns needs the environment's zone (dns in <env>.yaml)")
    zone = names.arn("route53", "", "", f"hostedzone/{inputs.hosted_zone_id}")
    return (
        PolicyStatement("EditZoneRecords", ("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResources"), (zone,)),
        PolicyStatement("FindZones", ("route53:ListHostedZones",), ("*",)),
    )


def values(ctx: AddOnContext) -> dict[str, Any]:
    assert ctx.dns is not None, "validate requires a dns domain in every environment with external-dns"
    role = ctx.irsa("external-dns")
    monitored = ctx.has("kube-prometheus-stack")
    args = ["--aws-zone-type=public"]
    if ctx.dns.zone_id:  # the plan's zone; a zone Terraform creates is found by the domain filter
        args.append(f"--zone-id-filter={ctx.dns.zone_id}")
    return {
        "provider": {"name": "aws"},
        # The AWS SDK's region (Route 53 is global, but the SDK wants one); pods cannot reach IMDS.
        "env": [{"name": "AWS_DEFAULT_REGION", "value": ctx.region}],
        "sources": ["ingress"],  # the apps' Ingresses; ingress-nginx's own Service is not a hostname
        "domainFilters": [ctx.dns.domain],
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": ctx.cluster_name,
        "extraArgs": args,
        "serviceAccount": {"name": SERVICE_ACCOUNT, "annotations": {ROLE_ARN_ANNOTATION: role.role_arn} if role else {}},
        "serviceMonitor": {"enabled": True, "additionalLabels": prometheus_selector_labels()} if monitored else {"enabled": False},
    }


@dataclass(frozen=True)
class ExternalDnsSettings(AddOnSettings):
    """Where external-dns publishes."""

    domain: str
    """The environment's DNS domain: the only names it writes records for (its domain filter)."""


def settings(ctx: AddOnContext) -> tuple[ExternalDnsSettings, str]:
    assert ctx.dns is not None
    zone = ctx.dns.zone_id or "the zone Terraform creates"
    return ExternalDnsSettings(domain=ctx.dns.domain), f"publishes Ingress hostnames in {ctx.dns.domain} (Route 53 {zone}), owner {ctx.cluster_name}, policy sync (TXT registry: only its own records)"


def enabled(platform: PlatformPlan) -> bool:
    return "external-dns" in platform.components


ADDON = AddOn(
    name="external-dns",
    values_by_series={"1": values},
    enabled=enabled,
    irsa=IrsaSpec("external-dns", "external-dns", SERVICE_ACCOUNT, statements=route53_statements),
    settings=settings,
    pods=(PodPlacement(""),),
)
