"""ingress-nginx: the cluster's ingress controller, behind an AWS Network Load Balancer."""

from __future__ import annotations

from typing import Any

from .base import AddOn, AddOnContext

INGRESS_CLASS = "nginx"  # the IngressClass ingress-nginx creates; app Ingresses and HTTP-01 solvers use it


def values(ctx: AddOnContext) -> dict[str, Any]:
    n = ctx.replicas
    return {
        "controller": {
            "replicaCount": n,
            "minAvailable": max(1, n - 1),
            "service": {
                "annotations": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                }
            },
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": ctx.has("kube-prometheus-stack")}},
            "config": {"use-forwarded-headers": "true", "server-tokens": "false"},
            "ingressClassResource": {"name": INGRESS_CLASS, "enabled": True, "default": False},
            "ingressClass": INGRESS_CLASS,
        }
    }


def settings(ctx: AddOnContext) -> tuple[dict[str, Any], str]:
    return {"ingress_class": INGRESS_CLASS}, f"IngressClass {INGRESS_CLASS}"


ADDON = AddOn(
    name="ingress-nginx",
    values_by_series={"4": values},
    enabled=lambda platform: "ingress-nginx" in platform.components,
    settings=settings,
)
