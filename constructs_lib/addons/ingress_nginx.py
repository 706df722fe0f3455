"""ingress-nginx: the cluster's ingress controller, behind an AWS Network Load Balancer (made by the
AWS Load Balancer Controller when the plan lists it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import AddOn, AddOnContext, AddOnSettings, PodPlacement
from .kube_prometheus_stack import prometheus_selector_labels

INGRESS_CLASS = "nginx"  # the IngressClass ingress-nginx creates; app Ingresses and HTTP-01 solvers use it


def monitor(ctx: AddOnContext) -> dict[str, Any]:
    """Its ServiceMonitor, labelled so that kube-prometheus-stack's Prometheus selects it."""
    if not ctx.has("kube-prometheus-stack"):
        return {"enabled": False}
    return {"enabled": True, "additionalLabels": prometheus_selector_labels()}


def load_balancer_service(ctx: AddOnContext) -> dict[str, Any]:
    """The controller's Service: an internet-facing Network Load Balancer whose connections carry the client's address.

    With the AWS Load Balancer Controller: its load balancer class, IP targets (the pods, no node
    hop) and client IP preservation switched on (off by default for IP targets). Without it, the
    in-tree controller's NLB with instance targets, where externalTrafficPolicy Local keeps the
    client address (it reads neither the scheme nor the target-type annotation: internet-facing is its default)."""
    from .aws_load_balancer_controller import LOAD_BALANCER_CLASS

    if ctx.has("aws-load-balancer-controller"):
        return {
            "externalTrafficPolicy": "Local",
            "loadBalancerClass": LOAD_BALANCER_CLASS,
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
            },
        }
    return {"externalTrafficPolicy": "Local", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}}


def values(ctx: AddOnContext) -> dict[str, Any]:
    n = ctx.replicas
    return {
        "controller": {
            "replicaCount": n,
            "minAvailable": max(1, n - 1),
            "service": load_balancer_service(ctx),
            "metrics": {"enabled": True, "serviceMonitor": monitor(ctx)},
            # Behind a layer-4 NLB there is no proxy in front that sets X-Forwarded-For: trusting the
            # header would let any client spoof its address (and pass source-range allow-lists).
            # The client address comes from the connection instead (see load_balancer_service).
            "config": {"use-forwarded-headers": "false", "server-tokens": "false"},
            "ingressClassResource": {"name": INGRESS_CLASS, "enabled": True, "default": False},
            "ingressClass": INGRESS_CLASS,
        }
    }


@dataclass(frozen=True)
class IngressNginxSettings(AddOnSettings):
    """What the GitOps tree needs of ingress-nginx."""

    ingress_class: str
    """The IngressClass it serves, which the apps' Ingresses name."""


def settings(ctx: AddOnContext) -> tuple[IngressNginxSettings, str]:
    return IngressNginxSettings(ingress_class=INGRESS_CLASS), f"IngressClass {INGRESS_CLASS}"


ADDON = AddOn(
    name="ingress-nginx",
    values_by_series={"4": values},
    enabled=lambda platform: "ingress-nginx" in platform.components,
    settings=settings,
    pods=(PodPlacement("controller"), PodPlacement("controller.admissionWebhooks.patch"), PodPlacement("defaultBackend")),
)
