"""kube-prometheus-stack: Prometheus, Alertmanager and Grafana with the prometheus-operator CRDs."""

from __future__ import annotations

from typing import Any

from .aws_ebs_csi_driver import DEFAULT_STORAGE_CLASS
from .base import AddOn, AddOnContext, PodPlacement, chart_catalog


def prometheus_selector_labels() -> dict[str, str]:
    """The labels the chart's Prometheus selects ServiceMonitors and PodMonitors by
    (``serviceMonitorSelectorNilUsesHelmValues``: ``release: <its release name>``)."""
    return {"release": chart_catalog()["kube-prometheus-stack"].release}


def values(ctx: AddOnContext) -> dict[str, Any]:
    ha = ctx.ha
    return {
        "prometheus": {
            "prometheusSpec": {
                "replicas": 2 if ha else 1,
                "retention": "15d" if ha else "3d",
                "storageSpec": {
                    "volumeClaimTemplate": {
                        "spec": {
                            "storageClassName": DEFAULT_STORAGE_CLASS,
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "100Gi" if ha else "20Gi"}},
                        }
                    }
                },
            }
        },
        "alertmanager": {"alertmanagerSpec": {"replicas": 3 if ha else 1}},
        "grafana": {"replicas": 2 if ha else 1},
        # EKS runs the control plane itself and exposes none of these to the cluster, and kube-proxy
        # serves its metrics on 127.0.0.1 only: scraping them would page TargetDown forever.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubeProxy": {"enabled": False},
    }


ADDON = AddOn(
    name="kube-prometheus-stack",
    values_by_series={"72": values},
    enabled=lambda platform: "kube-prometheus-stack" in platform.components,
    pods=(
        PodPlacement("prometheusOperator"),
        PodPlacement("prometheusOperator.admissionWebhooks.patch"),
        PodPlacement("prometheusOperator.admissionWebhooks.deployment"),
        PodPlacement("prometheus.prometheusSpec"),
        PodPlacement("alertmanager.alertmanagerSpec"),
        PodPlacement("thanosRuler.thanosRulerSpec"),
        PodPlacement("crds.upgradeJob"),
        PodPlacement("grafana"),
        PodPlacement("grafana.imageRenderer"),
        PodPlacement("kube-state-metrics"),
        PodPlacement("prometheus-node-exporter", every_node=True),  # a DaemonSet: metrics of every node
    ),
)
