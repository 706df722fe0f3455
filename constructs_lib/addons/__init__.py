"""The add-on registry: every add-on infraplan installs, one module each (see ``base.py``).

``CHART_ADDONS`` are Helm charts (the plan's ``components``, and Argo CD by ``gitops.tool``);
``EKS_ADDONS`` are EKS managed add-ons that need something of infraplan (an IRSA role, a
configuration, objects in the cluster).
Everything else derives from here: the plan's list of allowed components, the IRSA roles
and their policies, the Helm values, the cluster configuration objects and the names."""

from __future__ import annotations

from . import argocd, aws_ebs_csi_driver, aws_load_balancer_controller, cert_manager, external_dns, external_secrets, ingress_nginx, kube_prometheus_stack, vpc_cni
from .base import AddOn, AddOnContext, ChartRef, EksAddOn, IrsaPolicyInputs, IrsaSpec, PolicyStatement, UnknownAddOn, chart_catalog

# Order: the order in which a cluster lists its add-ons (Argo CD first: it syncs the rest).
CHART_ADDONS: dict[str, AddOn] = {
    a.name: a
    for a in (
        argocd.ADDON,
        aws_load_balancer_controller.ADDON,
        ingress_nginx.ADDON,
        external_dns.ADDON,
        cert_manager.ADDON,
        external_secrets.ADDON,
        kube_prometheus_stack.ADDON,
    )
}
EKS_ADDONS: dict[str, EksAddOn] = {a.name: a for a in (aws_ebs_csi_driver.ADDON, vpc_cni.ADDON)}

PLAN_COMPONENTS: tuple[str, ...] = tuple(name for name, a in CHART_ADDONS.items() if a.listed_in_plan)
"""What a plan's ``components`` may list."""


def addon(name: str) -> AddOn:
    """The chart add-on called ``name``; an unknown name is an error, never a fallthrough."""
    try:
        return CHART_ADDONS[name]
    except KeyError:
        raise UnknownAddOn(name) from None


def irsa_specs(platform) -> tuple[IrsaSpec, ...]:  # noqa: ANN001 (PlatformPlan: the plan imports this package)
    """Every IRSA role a cluster of this plan gets: the EKS add-ons' and the enabled charts'."""
    specs = [a.irsa for a in EKS_ADDONS.values() if a.irsa is not None]
    specs += [a.irsa for a in CHART_ADDONS.values() if a.irsa is not None and a.enabled(platform) and a.irsa_when(platform)]
    return tuple(specs)


__all__ = [
    "AddOn",
    "AddOnContext",
    "CHART_ADDONS",
    "ChartRef",
    "EKS_ADDONS",
    "EksAddOn",
    "IrsaPolicyInputs",
    "IrsaSpec",
    "PLAN_COMPONENTS",
    "PolicyStatement",
    "UnknownAddOn",
    "addon",
    "chart_catalog",
    "irsa_specs",
]
