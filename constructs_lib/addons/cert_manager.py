"""cert-manager: certificates from Let's Encrypt through a ClusterIssuer chosen by tier;
DNS-01 via Route 53 with its own IRSA role, or HTTP-01 through ingress-nginx."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..resolve import names
from .base import AddOn, AddOnContext, AddOnSettings, IrsaPolicyInputs, IrsaSpec, PodPlacement, PolicyStatement
from .ingress_nginx import INGRESS_CLASS
from .kube_prometheus_stack import prometheus_selector_labels

if TYPE_CHECKING:
    from ..plan.platform import PlatformPlan
    from ..resolve.addons import ResolvedAddon
    from ..resolve.gitops import ClusterGitOps

LETSENCRYPT = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}


def cluster_issuer_for(tier: str) -> tuple[str, str]:
    """The ACME ClusterIssuer of a tier and why."""
    if tier == "production":
        return "letsencrypt-production", "tier production: Let's Encrypt production ACME (browser-trusted certificates)"
    return "letsencrypt-staging", f"tier {tier}: Let's Encrypt staging ACME (untrusted certificates, no production rate limits burnt by short-lived environments)"


def acme_challenge_names(domain: str) -> tuple[str, str]:
    """The TXT names DNS-01 writes for names in ``domain``, as Route 53 normalizes them (lower case,
    no trailing dot): the domain's own and any name below it (StringLike ``*`` spans dots)."""
    d = domain.lower().rstrip(".")
    return (f"_acme-challenge.{d}", f"_acme-challenge.*.{d}")


def route53_statements(inputs: IrsaPolicyInputs) -> tuple[PolicyStatement, ...]:
    """DNS-01 writes and deletes ``_acme-challenge`` TXT records and nothing else: Route 53's
    record-set condition keys are multivalued (one value per change of the batch), hence ForAllValues.
    ListResourceRecordSets has no such keys, so it is a statement of its own."""
    if inputs.hosted_zone_id is None or inputs.domain is None:
        raise ValueError("cert-manager's DNS-01 role needs the environment's zone (dns in <env>.yaml)")
    zone = names.arn("route53", "", "", f"hostedzone/{inputs.hosted_zone_id}")
    return (
        PolicyStatement("ReadChanges", ("route53:GetChange",), (names.arn("route53", "", "", "change/*"),)),
        PolicyStatement(
            "WriteChallengeRecords",
            ("route53:ChangeResourceRecordSets",),
            (zone,),
            conditions=(
                ("ForAllValues:StringEquals", "route53:ChangeResourceRecordSetsRecordTypes", ("TXT",)),
                ("ForAllValues:StringLike", "route53:ChangeResourceRecordSetsNormalizedRecordNames", acme_challenge_names(inputs.domain)),
            ),
        ),
        PolicyStatement("ListRecords", ("route53:ListResourceRecordSets",), (zone,)),
        PolicyStatement("FindZone", ("route53:ListHostedZonesByName",), ("*",)),
    )


def needs_aws(platform: PlatformPlan) -> bool:
    """Only DNS-01 needs AWS: the role may edit the environment's hosted zone and nothing else."""
    return platform.certificates is not None and platform.certificates.challenge == "dns-01"


def values(ctx: AddOnContext) -> dict[str, Any]:
    role = ctx.irsa("cert-manager")
    monitored = ctx.has("kube-prometheus-stack")
    prometheus: dict[str, Any] = {"enabled": monitored}
    if monitored:
        prometheus["servicemonitor"] = {"enabled": True, "labels": prometheus_selector_labels()}
    n = 2 if ctx.ha else 1
    out: dict[str, Any] = {"crds": {"enabled": True, "keep": True}, "replicaCount": n, "prometheus": prometheus}
    if ctx.ha:  # every certificate and every admission of a cert-manager object goes through these
        pdb = {"enabled": True, "minAvailable": 1}
        out["podDisruptionBudget"] = pdb
        out["webhook"] = {"replicaCount": n, "podDisruptionBudget": pdb}
        out["cainjector"] = {"replicaCount": n, "podDisruptionBudget": pdb}
    if role:
        out["serviceAccount"] = {"name": role.service_account, "annotations": {"eks.amazonaws.com/role-arn": role.role_arn}}
        out["securityContext"] = {"fsGroup": 1001}
    return out


@dataclass(frozen=True)
class Dns01Solver:
    """DNS-01 through Route 53: TXT records in the environment's zone, with cert-manager's IRSA role."""

    domain: str
    """The environment's domain: the only names this solver answers for."""
    hosted_zone_id: str | None
    """The zone's id; None when Terraform creates the zone (cert-manager finds it by name)."""
    region: str
    """The AWS SDK's region (Route 53 is global; pods cannot ask IMDS)."""
    role_arn: str | None
    """cert-manager's IRSA role (its service account carries it: ambient credentials)."""


@dataclass(frozen=True)
class Http01Solver:
    """HTTP-01 through an ingress controller."""

    ingress_class: str
    """The IngressClass that serves the challenge's Ingress."""


@dataclass(frozen=True)
class AcmeIssuer:
    """The cluster's ACME ClusterIssuer."""

    name: str
    """letsencrypt-staging or letsencrypt-production, by tier (:func:`cluster_issuer_for`)."""
    server: str
    """The ACME directory URL of that name."""
    email: str
    """The ACME account's contact (certificates.acme_email)."""
    solver: Dns01Solver | Http01Solver
    """How it proves control of a name (certificates.challenge)."""


@dataclass(frozen=True)
class CertManagerSettings(AddOnSettings):
    """What the GitOps tree builds beside cert-manager, and what apps' Ingresses name."""

    issuer: AcmeIssuer


def settings(ctx: AddOnContext) -> tuple[CertManagerSettings, str]:
    c = ctx.platform.certificates
    assert c is not None, "the plan model requires certificates with cert-manager"
    name, why = cluster_issuer_for(ctx.tier)
    solver: Dns01Solver | Http01Solver
    if c.challenge == "dns-01":
        assert ctx.dns is not None, "validate requires a dns domain in every environment with DNS-01"
        role = ctx.irsa("cert-manager")
        solver = Dns01Solver(domain=ctx.dns.domain, hosted_zone_id=ctx.dns.zone_id, region=ctx.region, role_arn=role.role_arn if role else None)
        zone = f"zone {ctx.dns.zone_id}" if ctx.dns.zone_id else "the zone Terraform creates (found by name)"
        how = f"DNS-01 for names in {ctx.dns.domain} via its Route 53 {zone} in this environment's account, with the cert-manager IRSA role"
    else:
        solver = Http01Solver(ingress_class=INGRESS_CLASS)
        how = f"HTTP-01 through IngressClass {INGRESS_CLASS}"
    issuer = AcmeIssuer(name=name, server=LETSENCRYPT[name], email=c.acme_email, solver=solver)
    return CertManagerSettings(issuer=issuer), f"ClusterIssuer {name}: {why}; {how}"


def config_objects(g: ClusterGitOps, addon: ResolvedAddon) -> dict[str, dict]:
    """The ClusterIssuer (file name -> object)."""
    from .manifests import cluster_scoped_config

    i = addon.settings_as(CertManagerSettings).issuer
    s = i.solver
    if isinstance(s, Dns01Solver):
        # Ambient credentials: the cert-manager service account is annotated with its IRSA role (Helm values).
        # Only names in the environment's domain; without a zone id (Terraform creates the zone),
        # cert-manager finds the zone by name, in this account (ListHostedZonesByName).
        route53: dict[str, Any] = {"region": s.region}
        if s.hosted_zone_id:
            route53["hostedZoneID"] = s.hosted_zone_id
        solver: dict[str, Any] = {"selector": {"dnsZones": [s.domain]}, "dns01": {"route53": route53}}
    else:
        solver = {"http01": {"ingress": {"ingressClassName": s.ingress_class}}}
    issuer = cluster_scoped_config(
        g,
        "cert-manager.io/v1",
        "ClusterIssuer",
        i.name,
        {"acme": {"server": i.server, "email": i.email, "privateKeySecretRef": {"name": f"{i.name}-account-key"}, "solvers": [solver]}},
    )
    return {f"clusterissuer-{i.name}.yaml": issuer}


ADDON = AddOn(
    name="cert-manager",
    values_by_series={"1": values},
    enabled=lambda platform: "cert-manager" in platform.components,
    irsa=IrsaSpec("cert-manager", "cert-manager", "cert-manager", statements=route53_statements),
    irsa_when=needs_aws,
    settings=settings,
    config_objects=config_objects,
    pods=(PodPlacement(""), PodPlacement("webhook"), PodPlacement("cainjector"), PodPlacement("startupapicheck")),
)
