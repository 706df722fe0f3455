"""kube-prometheus-stack: Prometheus, Alertmanager and Grafana with the prometheus-operator CRDs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kubernetes.external_secrets import external_secret, extract
from ..resolve import names
from .aws_ebs_csi_driver import DEFAULT_STORAGE_CLASS
from .manifests import LABELS
from .base import AddOn, AddOnContext, PodPlacement, chart_catalog

if TYPE_CHECKING:
    from ..resolve.addons import ResolvedAddon
    from ..resolve.gitops import ClusterGitOps


def prometheus_selector_labels() -> dict[str, str]:
    """The labels the chart's Prometheus selects ServiceMonitors and PodMonitors by
    (``serviceMonitorSelectorNilUsesHelmValues``: ``release: <its release name>``)."""
    return {"release": chart_catalog()["kube-prometheus-stack"].release}


def grafana_admin(ctx: AddOnContext) -> dict[str, Any]:
    """Never the chart's default admin password (``prom-operator``). With AWS secret stores, the
    admin credentials come from Secrets Manager through the ``grafana-admin`` ExternalSecret
    (grafana 9: with ``admin.existingSecret`` the chart renders no Secret of its own and ignores
    ``adminPassword``). Without them, no admin is created: a random password of the chart
    (``lookup`` is empty under ArgoCD) would change on every render, and so would the Secret."""
    from .external_secrets import aws_stores

    if aws_stores(ctx.platform):
        return {"admin": {"existingSecret": names.GRAFANA_ADMIN_SECRET, "userKey": names.GRAFANA_ADMIN_USER_KEY, "passwordKey": names.GRAFANA_ADMIN_PASSWORD_KEY}}
    return {"env": {"GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION": "true"}}


def config_objects(g: ClusterGitOps, addon: ResolvedAddon) -> dict[str, dict]:
    """Grafana's admin Secret, through the ``grafana-admin`` store, before the chart (whose Grafana
    pods cannot start without it): the ``monitoring`` namespace and the ExternalSecret, in the
    ``platform-secrets`` wave, after the stores and before kube-prometheus-stack's wave."""
    from .external_secrets import api_version as external_secrets_api

    ga = g.cluster.grafana_admin
    if ga is None or not any(s.name == names.GRAFANA_ADMIN_STORE for s in g.secret_stores):
        return {}
    wave = {"argocd.argoproj.io/sync-wave": str(g.waves["platform-secrets"])}
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        # the chart's Application creates it too (CreateNamespace) when missing; never pruned with what runs in it
        "metadata": {"name": ga.target_namespace, "labels": LABELS, "annotations": {**wave, "argocd.argoproj.io/sync-options": "Prune=false,Delete=false"}},
    }
    secret = external_secret(
        name=ga.target_secret,
        namespace=ga.target_namespace,
        labels=LABELS,
        store=names.GRAFANA_ADMIN_STORE,
        data_from=extract(ga.secret_name),
        annotations={**wave, "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"},  # its CRD comes with external-secrets, in the same sync
        api_version=external_secrets_api(g.cluster, "ExternalSecret"),
    )
    return {f"namespace-{ga.target_namespace}.yaml": namespace, f"externalsecret-{ga.target_secret}.yaml": secret}


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
        "grafana": {"replicas": 2 if ha else 1, **grafana_admin(ctx)},
        # EKS runs the control plane itself and exposes none of these to the cluster, and kube-proxy
        # serves its metrics on 127.0.0.1 only: scraping them would page TargetDown forever.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubeProxy": {"enabled": False},
    }


_PODS = (
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
)

ADDON = AddOn(
    name="kube-prometheus-stack",
    # 65.x and 72.x read the same keys for what infraplan sets: the parent's values.yaml, and the grafana
    # subchart (65.8.1 resolves grafana 8.5.12, Grafana 11.3; 72.6.2 pins 9.0.0, Grafana 12.0), whose
    # admin.existingSecret/userKey/passwordKey and GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION behave alike
    # (templates/secret.yaml renders no admin Secret with either, _pod.tpl reads the named one).
    values_by_series={"65": values, "72": values},
    enabled=lambda platform: "kube-prometheus-stack" in platform.components,
    config_objects=config_objects,
    pods=_PODS,
    # the CRD upgrade Job (crds.upgradeJob, off by default) came after 65.8.1, whose crds subchart renders no pod
    pods_by_series={"65": tuple(p for p in _PODS if p.path != "crds.upgradeJob")},
    # both serve monitoring.coreos.com/v1 (charts/crds/crds), the only version infraplan's charts' monitors use
    api_versions={s: {kind: "monitoring.coreos.com/v1" for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule")} for s in ("65", "72")},
)
