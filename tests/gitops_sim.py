"""A model of ArgoCD 3.0 syncing one synthesized cluster folder on a fresh EKS cluster.

Why: kustomize, kubernetes-validate and the CRD schemas prove the tree's *shape*. Whether
it *converges* — every Application synced and Healthy, nothing fought over — depends on
the order ArgoCD applies things and on what exists in the cluster at that moment. This
module replays that order from the synthesized tree alone (``dist/kubernetes/<cluster>``,
``dist/terraform/stacks/<stack>/cdk.tf.json``), the Pulumi bootstrap (its program run
offline) and the pinned charts in ``../shared/charts``, and reports what would stall, race
or be fought over.

What it models (read from argo-cd v3.0.11 and the gitops-engine commit it pins,
89c110b5952e; references are to those sources):

* **A new EKS cluster** (its Terraform stack): the built-in kinds of its Kubernetes version
  (kubernetes-validate's schemas, no alpha APIs), the in-tree ``gp2`` StorageClass (the
  default only before 1.30), the EBS CSI add-on's classes if its configuration asks for
  them, the four initial namespaces, no IngressClass.
* **Bootstrap.** Either the Pulumi program (its Helm releases and the objects it creates,
  read from ``stacks.pulumi_preview.run_offline``) or the documented manual path:
  ``helm install`` of the tree's argo-cd Application's chart and values, then
  ``kubectl apply -k <cluster>/<folder>`` (the folder docs/gitops.md names). Everything the
  bootstrap applies exists at the start; it is not an ArgoCD owner.
* **Sources.** A Git source in the GitOps repository is the folder under
  ``dist/kubernetes`` (``kubectl kustomize``, or a plain directory, non-recursive); a
  missing folder is a ComparisonError and the Application never deploys. A Helm source is
  *not rendered*: it installs the chart's CRDs (from the pinned chart or its ``-crds``
  folder, gated by the chart's own values), a ``ChartWorkloads`` stand-in for its pods
  (Healthy once its storage claims can bind), and the few objects the chart renders that
  matter across Applications (IngressClass, ServiceMonitors, cert-manager Certificates),
  each gated by the values condition of its template (see CHART_OBJECTS).
* **ApplicationSets** with list generators (Go or fasttemplate placeholders).
* **Sync order** (pkg/sync/sync_tasks.go): phase (PreSync, Sync, PostSync), wave, then
  kind groups in gitops-engine's kind order, applied group after group; Namespaces and
  CRDs of the same sync move ahead of their first user (``adjustDeps``). A multi-step sync
  waits for every task of a step to be Healthy (hooks: completed) before the next step;
  the last step is not waited for (sync_context.go ``Sync``).
* **What fails a sync** (sync_context.go ``getSyncTasks``): a kind the API server does not
  serve, unless the object or Application sets ``SkipDryRunOnMissingResource=true`` or its
  CRD is in the same sync (then it must exist when the object is applied); a project that
  denies the kind, the namespace or the source repository; an object in a namespace that
  does not exist when it is applied (dry-run is client-side and does not catch it).
* **Waiting without failing:** an Application whose AppProject does not exist yet is not
  synced until it does (appcontroller: InvalidSpecError, re-queued on project events).
  ArgoCD's own ``default`` project allows everything unless the tree defines it.
* **Health** (gitops-engine pkg/health, argo-cd resource_customizations, controller/health.go):
  only kinds with a health check can keep a wave waiting; an Application's health is the
  worst of its resources' (hooks and itself excluded) and counts for its parent only when
  ArgoCD's values restore ``resource.customizations.health.argoproj.io_Application``
  (and, unless that Lua also reads ``status.sync``, a child counts Healthy while its
  sync still runs, so it orders what the child's health-checked objects need, not the
  rest of its waves);
  custom resources with a health check need their operator's pods; PVCs need a
  StorageClass (named, or the default); pods need their Secrets, ConfigMaps,
  ServiceAccounts and claims; an ExternalSecret needs its store, the store's operator and a
  store condition admitting its namespace; an Ingress needs its IngressClass and controller.
* **Ordering proofs.** Each event (Application created, step reached, object applied or
  Healthy, kind served, namespace or StorageClass present) is a node of a graph whose
  edges are the orderings ArgoCD guarantees. "X exists before Y" holds only if X is a
  guaranteed predecessor of Y; a dependency that eventually exists but is not ordered is a
  race. ArgoCD retries an automated sync 5 times (about 2.5 minutes) by default
  (appcontroller ``autoSync``); only an explicit ``syncPolicy.retry`` counts as tolerating a
  race, because the default budget is shorter than an add-on install.
* **Ownership:** an object (group, kind, namespace, name) in the sources of two
  Applications is tracked by both (annotation tracking) and self-healed back and forth.
* **Server-side apply drift** (gitops-engine pkg/diff ``Diff``): without server-side diff,
  an object applied with ``ServerSideApply=true`` is diffed with a structured merge or a
  two-way diff, which replaces atomic lists wholesale; a field the CRD defaults inside an
  atomic list that the tree does not write stays OutOfSync forever.

What it does not model (only a real cluster proves these): Helm template rendering,
chart hooks, admission webhooks, image pulls, scheduling onto nodes (taints, capacity),
IAM (IRSA, assumed roles, Secrets Manager contents), DNS, ACME, cloud load balancers,
PodSecurity admission, quota admission, NetworkPolicy enforcement, EKS's own CRDs
(ENIConfig, SecurityGroupPolicy), timing (backoffs, retry budgets running out, the
3-minute reconciliation, the 2 s wave delay: a tolerated race is assumed to resolve),
Helm's ``.Capabilities`` checks beyond "the CRD exists somewhere", pruning and deletion,
and anything a controller does beyond creating the objects listed above.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Iterable

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHARTS = ROOT.parent / "shared" / "charts"
CHART_KEYS = ROOT / "tests" / "fixtures" / "chart-values"  # values keys of pinned charts not in CHARTS (generate.py there)

WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
SECRET_TYPE = "argocd.argoproj.io/secret-type"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class"
IGNORE_HEALTH = "argocd.argoproj.io/ignore-healthcheck"
APP_HEALTH_KEY = "resource.customizations.health.argoproj.io_Application"
SIM_GROUP = "sim.infraplan.io"  # the group of the model's stand-ins (ChartWorkloads)

# gitops-engine pkg/sync/sync_tasks.go: kindOrder and syncPhaseOrder.
KIND_ORDER = [
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
    "IngressClass", "Ingress", "APIService",
]
PHASE_ORDER = {"PreSync": -1, "Sync": 0, "PostSync": 1}

# Built-in kinds that are cluster-scoped (the API server's discovery; not in the JSON schemas).
CLUSTER_SCOPED = {
    ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"), ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"),
    ("storage.k8s.io", "StorageClass"), ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"), ("networking.k8s.io", "IngressClass"), ("node.k8s.io", "RuntimeClass"),
    ("scheduling.k8s.io", "PriorityClass"), ("certificates.k8s.io", "CertificateSigningRequest"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
}

# Kinds with a health check: gitops-engine pkg/health/health.go (built in) and argo-cd
# v3.0.11 resource_customizations/<group>/<kind>/health.lua (those of the charts pinned
# here). argoproj.io/Application is added only when ArgoCD's values restore it.
HEALTH_CHECKED = {
    ("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"),
    ("networking.k8s.io", "Ingress"), ("extensions", "Ingress"), ("", "Service"), ("", "PersistentVolumeClaim"),
    ("", "Pod"), ("batch", "Job"), ("autoscaling", "HorizontalPodAutoscaler"), ("apiregistration.k8s.io", "APIService"),
    ("argoproj.io", "ApplicationSet"),
    ("cert-manager.io", "Certificate"), ("cert-manager.io", "ClusterIssuer"), ("cert-manager.io", "Issuer"),
    ("external-secrets.io", "ClusterExternalSecret"), ("external-secrets.io", "ClusterSecretStore"),
    ("external-secrets.io", "ExternalSecret"), ("external-secrets.io", "PushSecret"), ("external-secrets.io", "SecretStore"),
    ("monitoring.coreos.com", "Prometheus"),
    (SIM_GROUP, "ChartWorkloads"),
}
# Custom resources whose health is reported by their operator (status conditions).
OPERATOR_HEALTH = {g for g, _ in HEALTH_CHECKED if g not in {"", "apps", "batch", "networking.k8s.io", "extensions", "autoscaling", "apiregistration.k8s.io", SIM_GROUP}}

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


# --------------------------------------------------------------------------- objects


def group_version(api_version: str) -> tuple[str, str]:
    return tuple(api_version.split("/", 1)) if "/" in api_version else ("", api_version)  # type: ignore[return-value]


@dataclass(frozen=True, order=True)
class Key:
    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}{'.' + self.group if self.group else ''} {where}{self.name}"


def annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def has_option(options: Iterable[str] | str | None, option: str) -> bool:
    """ArgoCD's option lists: a list (syncPolicy.syncOptions) or a comma-separated annotation."""
    if not options:
        return False
    items = options.split(",") if isinstance(options, str) else options
    return option in {o.strip() for o in items}


def dig(d: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return d


def deep_merge(base: Any, over: Any) -> Any:
    """Helm's coalescing of user values over chart defaults (maps merge, anything else replaces)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base.get(k), v) if k in base else v
        return out
    return copy.deepcopy(over)


class _Loader(yaml.SafeLoader):
    """YAML 1.1's ``=`` (value) tag is text, as Kubernetes reads it (CRD enums list ``=``)."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def template_yaml(text: str) -> list[dict]:
    """Documents of a chart file whose only template directives are whole lines (the CRD files)."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("{{")]
    return [d for d in yaml.load_all("\n".join(lines), Loader=_Loader) if isinstance(d, dict)]


# --------------------------------------------------------------------------- charts

# Where each pinned chart keeps its CRDs and which values install them.
# (folder pattern relative to ../shared/charts with {version}; values that must all be
# true — any of the alternatives in a tuple; per-kind extra gates). Grounded by
# tests/test_gitops_sync.py::test_chart_model_is_grounded_in_the_pinned_charts.
CHART_CRDS: dict[str, dict[str, Any]] = {
    "argo-cd": {"files": "argo-cd-{version}/templates/crds/*.yaml", "gate": ("crds.install",), "grounding": ("argo-cd-{version}/templates/crds/crd-application.yaml", "if .Values.crds.install")},
    "cert-manager": {"files": "cert-manager-{version}-crds/crd-*.yaml", "gate": (("crds.enabled", "installCRDs"),), "grounding": ("cert-manager-{version}-crds/crd-clusterissuers.yaml", "if or .Values.crds.enabled .Values.installCRDs")},
    "external-secrets": {
        "files": "external-secrets-{version}-crds/bundle.yaml",
        "gate": ("installCRDs",),
        "per_kind": {"ClusterExternalSecret": "crds.createClusterExternalSecret", "ClusterSecretStore": "crds.createClusterSecretStore", "ClusterGenerator": "crds.createClusterGenerator", "ClusterPushSecret": "crds.createClusterPushSecret", "PushSecret": "crds.createPushSecret"},
        "grounding": ("external-secrets-{version}/values.yaml", "installCRDs:"),
    },
    "kube-prometheus-stack": {"files": "kube-prometheus-stack-{version}/charts/crds/crds/crd-*.yaml", "gate": ("crds.enabled",), "grounding": ("kube-prometheus-stack-{version}/Chart.yaml", "condition: crds.enabled")},
}

# Objects a chart renders that other Applications depend on or that must be checked across
# Applications: (template file, values conditions (all truthy), apiVersion, kind, name, labels from values).
CHART_OBJECTS: dict[str, list[dict[str, Any]]] = {
    "ingress-nginx": [
        {"template": "templates/controller-ingressclass.yaml", "when": ("controller.ingressClassResource.enabled",), "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "name_from": "controller.ingressClassResource.name", "default_from": "controller.ingressClassResource.default"},
        {"template": "templates/controller-servicemonitor.yaml", "when": ("controller.metrics.enabled", "controller.metrics.serviceMonitor.enabled"), "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "labels_from": ("commonLabels", "controller.metrics.serviceMonitor.additionalLabels")},
        {"template": "templates/controller-prometheusrules.yaml", "when": ("controller.metrics.enabled", "controller.metrics.prometheusRule.enabled"), "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule"},
    ],
    "cert-manager": [
        {"template": "templates/servicemonitor.yaml", "when": ("prometheus.enabled", "prometheus.servicemonitor.enabled"), "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "labels_from": ("prometheus.servicemonitor.labels",), "label_values": {"prometheus": "prometheus.servicemonitor.prometheusInstance"}},
        {"template": "templates/podmonitor.yaml", "when": ("prometheus.enabled", "prometheus.podmonitor.enabled"), "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "labels_from": ("prometheus.podmonitor.labels",)},
    ],
    "external-dns": [
        {"template": "templates/servicemonitor.yaml", "when": ("serviceMonitor.enabled",), "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "labels_from": ("serviceMonitor.additionalLabels",)},
    ],
    "aws-load-balancer-controller": [
        {"template": "templates/servicemonitor.yaml", "when": ("serviceMonitor.enabled",), "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "labels_from": ("serviceMonitor.additionalLabels",)},
        # the webhook's serving certificate, from the chart's own CA Issuer (cert-manager must run first)
        {"template": "templates/cert-manager.yaml", "when": ("enableCertManager",), "apiVersion": "cert-manager.io/v1", "kind": "Issuer"},
        {"template": "templates/cert-manager.yaml", "when": ("enableCertManager",), "apiVersion": "cert-manager.io/v1", "kind": "Certificate", "issuer": 1},
    ],
    "argo-cd": [
        # argocd-server's Ingress (the same template in 7.9.1 and 8.1.3), rendered by _argocd_server_ingress
        {"template": "templates/argocd-server/ingress.yaml", "when": ("server.ingress.enabled",), "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "render": "argocd-server-ingress"},
    ],
    "external-secrets": [
        # guarded by .Capabilities.APIVersions.Has: rendered only if the CRD already exists
        {"template": "templates/servicemonitor.yaml", "when": ("serviceMonitor.enabled",), "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "capabilities": True, "labels_from": ("serviceMonitor.additionalLabels",)},
        {"template": "templates/webhook-certificate.yaml", "when": ("webhook.create", "webhook.certManager.enabled", "webhook.certManager.cert.create"), "apiVersion": "cert-manager.io/v1", "kind": "Certificate"},
    ],
}

# Storage a chart claims: (values condition, path of the claim, path of its class under it).
CHART_CLAIMS: dict[str, list[tuple[str, str, str]]] = {
    "kube-prometheus-stack": [
        ("prometheus.enabled", "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate", "spec.storageClassName"),
        ("alertmanager.enabled", "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate", "spec.storageClassName"),
        ("thanosRuler.enabled", "thanosRuler.thanosRulerSpec.storage.volumeClaimTemplate", "spec.storageClassName"),
        ("grafana.persistence.enabled", "grafana.persistence", "storageClassName"),
    ],
}


# Every pod template a pinned chart renders, and where it reads its scheduling: (template file
# relative to the chart folder; values conditions that must all hold to render it, "!" negates;
# the values prefixes of its tolerations and nodeSelector, most specific first: the charts'
# `<own> | default .Values.global.*`, so the first non-empty one wins; kind). Charts whose
# subcharts are pinned in ../shared/charts list them under "<subchart>/" with their values
# prefix ("subchart": its values live under that key of the parent's; "gated_by": the template's own
# text of a condition it does not spell as .Values.<path>). Grounded by tests/test_gitops_sync.py::test_pod_templates_are_grounded_in_the_pinned_charts:
# each file renders the kind, reads the prefixes and the conditions, and every workload template
# of the chart is listed. (Helm test hooks are not synced by ArgoCD and are not listed.)
_DEPLOY, _STS, _DS, _JOB = "Deployment", "StatefulSet", "DaemonSet", "Job"
CHART_PODS: dict[str, list[dict[str, Any]]] = {
    "argo-cd": [
        {"template": "templates/argocd-server/deployment.yaml", "when": (), "from": ("server", "global"), "kind": _DEPLOY},
        {"template": "templates/argocd-repo-server/deployment.yaml", "when": (), "from": ("repoServer", "global"), "kind": _DEPLOY},
        {"template": "templates/argocd-applicationset/deployment.yaml", "when": (), "from": ("applicationSet", "global"), "kind": _DEPLOY},
        {"template": "templates/argocd-application-controller/statefulset.yaml", "when": ("!controller.dynamicClusterDistribution",), "from": ("controller", "global"), "kind": _STS},
        {"template": "templates/argocd-application-controller/deployment.yaml", "when": ("controller.dynamicClusterDistribution",), "from": ("controller", "global"), "kind": _DEPLOY},
        {"template": "templates/argocd-commit-server/deployment.yaml", "when": ("commitServer.enabled",), "from": ("commitServer", "global"), "kind": _DEPLOY},
        {"template": "templates/argocd-notifications/deployment.yaml", "when": ("notifications.enabled",), "from": ("notifications", "global"), "kind": _DEPLOY},
        {"template": "templates/dex/deployment.yaml", "when": ("dex.enabled",), "from": ("dex", "global"), "kind": _DEPLOY},
        {"template": "templates/redis/deployment.yaml", "when": ("redis.enabled", "!redis-ha.enabled"), "from": ("redis", "global"), "kind": _DEPLOY, "gated_by": {"!redis-ha.enabled": "not $redisHa.enabled"}},
        {"template": "templates/redis-secret-init/job.yaml", "when": ("redisSecretInit.enabled", "!externalRedis.host"), "from": ("redisSecretInit", "global"), "kind": _JOB},
    ],
    "ingress-nginx": [
        {"template": "templates/controller-deployment.yaml", "when": ("controller.kind=Deployment",), "from": ("controller",), "kind": _DEPLOY, "gated_by": {"controller.kind=Deployment": 'eq .Values.controller.kind "Deployment"'}},
        {"template": "templates/controller-daemonset.yaml", "when": ("controller.kind=DaemonSet",), "from": ("controller",), "kind": _DS, "gated_by": {"controller.kind=DaemonSet": 'eq .Values.controller.kind "DaemonSet"'}},
        {"template": "templates/default-backend-deployment.yaml", "when": ("defaultBackend.enabled",), "from": ("defaultBackend",), "kind": _DEPLOY},
        *(
            {"template": f"templates/admission-webhooks/job-patch/{f}", "when": ("controller.admissionWebhooks.enabled", "controller.admissionWebhooks.patch.enabled", "!controller.admissionWebhooks.certManager.enabled"), "from": ("controller.admissionWebhooks.patch",), "kind": _JOB}
            for f in ("job-createSecret.yaml", "job-patchWebhook.yaml")
        ),
    ],
    "cert-manager": [
        {"template": "templates/deployment.yaml", "when": (), "from": ("",), "kind": _DEPLOY},
        {"template": "templates/webhook-deployment.yaml", "when": (), "from": ("webhook",), "kind": _DEPLOY},
        {"template": "templates/cainjector-deployment.yaml", "when": ("cainjector.enabled",), "from": ("cainjector",), "kind": _DEPLOY},
        {"template": "templates/startupapicheck-job.yaml", "when": ("startupapicheck.enabled",), "from": ("startupapicheck",), "kind": _JOB},
    ],
    "external-secrets": [
        {"template": "templates/deployment.yaml", "when": ("createOperator",), "from": ("", "global"), "kind": _DEPLOY},
        {"template": "templates/webhook-deployment.yaml", "when": ("webhook.create",), "from": ("webhook", "global"), "kind": _DEPLOY},
        {"template": "templates/cert-controller-deployment.yaml", "when": ("certController.create", "!webhook.certManager.enabled"), "from": ("certController", "global"), "kind": _DEPLOY},
    ],
    "kube-prometheus-stack": [
        {"template": "templates/prometheus-operator/deployment.yaml", "when": ("prometheusOperator.enabled",), "from": ("prometheusOperator",), "kind": _DEPLOY},
        {"template": "templates/prometheus-operator/admission-webhooks/deployment/deployment.yaml", "when": ("prometheusOperator.enabled", "prometheusOperator.admissionWebhooks.deployment.enabled"), "from": ("prometheusOperator.admissionWebhooks.deployment",), "kind": _DEPLOY},
        *(
            {"template": f"templates/prometheus-operator/admission-webhooks/job-patch/{f}", "when": ("prometheusOperator.enabled", "prometheusOperator.admissionWebhooks.enabled", "prometheusOperator.admissionWebhooks.patch.enabled", "!prometheusOperator.admissionWebhooks.certManager.enabled"), "from": ("prometheusOperator.admissionWebhooks.patch",), "kind": _JOB}
            for f in ("job-createSecret.yaml", "job-patchWebhook.yaml")
        ),
        # custom resources: the operator renders their StatefulSets with these tolerations and nodeSelector
        {"template": "templates/prometheus/prometheus.yaml", "when": ("prometheus.enabled",), "from": ("prometheus.prometheusSpec",), "kind": "Prometheus"},
        {"template": "templates/alertmanager/alertmanager.yaml", "when": ("alertmanager.enabled",), "from": ("alertmanager.alertmanagerSpec",), "kind": "Alertmanager"},
        {"template": "templates/thanos-ruler/ruler.yaml", "when": ("thanosRuler.enabled",), "from": ("thanosRuler.thanosRulerSpec",), "kind": "ThanosRuler"},
        {"template": "charts/crds/templates/upgrade/job.yaml", "when": ("crds.enabled", "crds.upgradeJob.enabled"), "from": ("crds.upgradeJob",), "kind": _JOB, "subchart": "crds"},
        # the grafana subchart (pinned in ../shared/charts as grafana-9.0.0): its pod comes from _pod.tpl
        {"template": "grafana/templates/deployment.yaml", "when": ("grafana.enabled", "!grafana.useStatefulSet"), "from": ("grafana",), "kind": _DEPLOY, "helpers": "templates/_pod.tpl", "subchart": "grafana"},
        {"template": "grafana/templates/statefulset.yaml", "when": ("grafana.enabled", "grafana.useStatefulSet"), "from": ("grafana",), "kind": _STS, "helpers": "templates/_pod.tpl", "subchart": "grafana"},
        {"template": "grafana/templates/image-renderer-deployment.yaml", "when": ("grafana.enabled", "grafana.imageRenderer.enabled"), "from": ("grafana.imageRenderer",), "kind": _DEPLOY, "subchart": "grafana"},
    ],
}

# Subcharts that are not in ../shared/charts, read at the version their parent resolves
# (Chart.yaml's range at the parent's release date) from their upstream tags: their pod
# templates, the values prefix they read (under the parent's key), and the defaults of
# those keys (so the effective values are known without the chart here).
UNPINNED_SUBCHART_PODS: dict[str, list[dict[str, Any]]] = {
    "argo-cd": [  # dandydeveloper/charts redis-ha-4.33.7: the StatefulSet and the haproxy Deployment read the top level
        {"template": "redis-ha-4.33.7: templates/redis-ha-statefulset.yaml", "when": ("redis-ha.enabled",), "from": ("redis-ha",), "kind": _STS, "defaults": {"tolerations": [], "nodeSelector": {}}},
        {"template": "redis-ha-4.33.7: templates/redis-haproxy-deployment.yaml", "when": ("redis-ha.enabled", "redis-ha.haproxy.enabled"), "from": ("redis-ha",), "kind": _DEPLOY, "defaults": {"tolerations": [], "nodeSelector": {}}},
    ],
    "kube-prometheus-stack": [  # prometheus-community/helm-charts kube-state-metrics-5.33.1, prometheus-node-exporter-4.46.0
        {"template": "kube-state-metrics-5.33.1: templates/deployment.yaml", "when": ("kubeStateMetrics.enabled",), "from": ("kube-state-metrics",), "kind": _DEPLOY, "defaults": {"tolerations": [], "nodeSelector": {}}},
        {"template": "prometheus-node-exporter-4.46.0: templates/daemonset.yaml", "when": ("nodeExporter.enabled",), "from": ("prometheus-node-exporter",), "kind": _DS, "defaults": {"tolerations": [{"effect": "NoSchedule", "operator": "Exists"}], "nodeSelector": {"kubernetes.io/os": "linux"}}},
    ],
    # Pinned charts not in ../shared/charts (their values keys: CHART_KEYS): the one workload template
    # each renders at its pinned tag, reading the top-level tolerations and nodeSelector (both default empty).
    "external-dns": [  # kubernetes-sigs/external-dns external-dns-helm-chart-1.21.1
        {"template": "external-dns-1.21.1: templates/deployment.yaml", "when": (), "from": ("",), "kind": _DEPLOY, "defaults": {"tolerations": [], "nodeSelector": {}}},
    ],
    "aws-load-balancer-controller": [  # aws/eks-charts 5239609 (aws-load-balancer-controller 3.5.0)
        {"template": "aws-load-balancer-controller-3.5.0: templates/deployment.yaml", "when": (), "from": ("",), "kind": _DEPLOY, "defaults": {"tolerations": [], "nodeSelector": {}}},
    ],
}
# A subchart whose Chart.yaml pins a range, not a version: the version the parent's release resolves
# (the newest in the range on the parent's release day), whose keys are in CHART_KEYS.
SUBCHART_RESOLVED = {("kube-prometheus-stack", "65.8.1", "grafana"): ("8.5.12",)}  # grafana 8.5.*: 8.5.12 (2024-11-05), 65.8.1 (2024-11-06)
UNPINNED_SUBCHART_KEYS = {("argo-cd", "redis-ha"): ("tolerations", "nodeSelector"), ("kube-prometheus-stack", "kube-state-metrics"): ("tolerations", "nodeSelector"), ("kube-prometheus-stack", "prometheus-node-exporter"): ("tolerations", "nodeSelector")}
"""Values keys of those subcharts that infraplan sets, vouched for by the upstream values.yaml at those tags."""


@dataclass(frozen=True)
class PodTemplate:
    """One pod template a chart install renders, with the scheduling its values give it."""

    chart: str
    template: str
    kind: str
    tolerations: list
    node_selector: dict

    @property
    def every_node(self) -> bool:
        return self.kind == "DaemonSet"


def _condition_holds(values: dict, cond: str) -> bool:
    if "=" in cond:
        path, want = cond.split("=", 1)
        return str(dig(values, path)) == want
    return not truthy(values, cond[1:]) if cond.startswith("!") else truthy(values, cond)


def _first_set(values: dict, prefixes: tuple[str, ...], key: str, defaults: dict | None = None) -> Any:
    for prefix in prefixes:
        v = dig(values, f"{prefix}.{key}" if prefix else key)
        if v is None and defaults is not None:
            v = copy.deepcopy(defaults.get(key))
        if v:
            return v
    return [] if key == "tolerations" else {}


def pod_templates(install: "ChartInstall") -> list[PodTemplate]:
    """The pod templates ``install`` renders (CHART_PODS, UNPINNED_SUBCHART_PODS) with their tolerations and nodeSelector."""
    v = install.effective
    out = []
    for p in CHART_PODS.get(install.chart, []) + UNPINNED_SUBCHART_PODS.get(install.chart, []):
        if all(_condition_holds(v, c) for c in p["when"]):
            d = p.get("defaults")
            out.append(PodTemplate(install.chart, p["template"], p["kind"], _first_set(v, p["from"], "tolerations", d), _first_set(v, p["from"], "nodeSelector", d)))
    return out


def tolerates(tolerations: list, taint: dict) -> bool:
    """Kubernetes' ToleratesTaint: an empty key with Exists matches every taint; an empty effect every effect."""
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint["effect"]:
            continue
        op = t.get("operator", "Equal")
        if not t.get("key"):
            if op == "Exists":
                return True
            continue
        if t["key"] != taint["key"]:
            continue
        if op == "Exists" or str(t.get("value", "")) == str(taint.get("value") or ""):
            return True
    return False


# Secrets a chart's pods read that the chart does not render itself, once its values name one:
# (values conditions, values path of the Secret's name, (chart folder, template) that reads it).
# Grounded by tests/test_gitops_sync.py::test_chart_model_is_grounded_in_the_pinned_charts.
CHART_SECRETS: dict[str, list[tuple[tuple[str, ...], str, tuple[str, str]]]] = {
    # grafana 9.0.0 (kube-prometheus-stack 72's subchart): REQ_USERNAME/REQ_PASSWORD and
    # GF_SECURITY_ADMIN_* are secretKeyRefs to admin.existingSecret, and then templates/secret.yaml renders nothing
    "kube-prometheus-stack": [(("grafana.enabled",), "grafana.admin.existingSecret", ("grafana-9.0.0", "templates/_pod.tpl"))],
}


def chart_folder(chart: str, version: str) -> Path:
    return CHARTS / f"{chart}-{version}"


@cache
def chart_defaults(chart: str, version: str) -> dict:
    path = chart_folder(chart, version) / "values.yaml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


@cache
def chart_crds(chart: str, version: str) -> tuple[dict, ...]:
    spec = CHART_CRDS.get(chart)
    if not spec:
        return ()
    docs: list[dict] = []
    for path in sorted(CHARTS.glob(spec["files"].format(version=version))):
        docs += [d for d in template_yaml(path.read_text()) if d.get("kind") == "CustomResourceDefinition"]
    return tuple(docs)


def truthy(values: dict, path: str) -> bool:
    return bool(dig(values, path))


@dataclass(frozen=True)
class ChartInstall:
    """A Helm release of a pinned chart: what the model installs for it."""

    chart: str
    version: str
    release: str
    namespace: str
    values: dict  # the user's values (valuesObject / values)

    @property
    def known(self) -> bool:
        return chart_folder(self.chart, self.version).is_dir() or chart_keys(self.chart, self.version) is not None

    @property
    def effective(self) -> dict:
        return deep_merge(chart_defaults(self.chart, self.version), self.values)

    def objects(self) -> list[dict]:
        v = self.effective
        out: list[dict] = []
        spec = CHART_CRDS.get(self.chart)
        if spec and all(any(truthy(v, p) for p in (g if isinstance(g, tuple) else (g,))) for g in spec["gate"]):
            for crd in chart_crds(self.chart, self.version):
                gate = spec.get("per_kind", {}).get(crd["spec"]["names"]["kind"])
                if gate is None or truthy(v, gate):
                    out.append(copy.deepcopy(crd))
        claims = []
        for when, path, cls in CHART_CLAIMS.get(self.chart, []):
            claim = dig(v, path)
            if truthy(v, when) and isinstance(claim, dict) and claim and (path.endswith("persistence") or claim.get("spec")):
                claims.append({"values": path, "storageClassName": dig(claim, cls)})
        secrets = [dig(v, path) for when, path, _ in CHART_SECRETS.get(self.chart, []) if all(truthy(v, w) for w in when) and dig(v, path)]
        out.append({"apiVersion": f"{SIM_GROUP}/v1", "kind": "ChartWorkloads", "metadata": {"name": self.release, "namespace": self.namespace}, "chart": f"{self.chart}-{self.version}", "chartName": self.chart, "claims": claims, "secrets": secrets})
        for n, o in enumerate(CHART_OBJECTS.get(self.chart, [])):
            if not all(truthy(v, p) for p in o["when"]):
                continue
            labels = {"app.kubernetes.io/instance": self.release}
            for p in o.get("labels_from", ()):
                labels.update(dig(v, p) or {})
            for label, p in o.get("label_values", {}).items():
                labels[label] = str(dig(v, p))
            obj = {"apiVersion": o["apiVersion"], "kind": o["kind"], "metadata": {"name": dig(v, o["name_from"]) if "name_from" in o else f"{self.release}-{o['kind'].lower()}-{n}", "labels": labels}}
            if o["kind"] != "IngressClass":
                obj["metadata"]["namespace"] = self.namespace
            if o.get("default_from") and truthy(v, o["default_from"]):
                obj["metadata"]["annotations"] = {DEFAULT_INGRESS_CLASS: "true"}
            if "issuer" in o:  # a Certificate of the Issuer the chart renders as its n-th object
                obj["spec"] = {"issuerRef": {"kind": "Issuer", "name": f"{self.release}-issuer-{o['issuer']}"}}
            if o.get("capabilities"):
                obj["x-sim-capabilities"] = True
            if o.get("render") == "argocd-server-ingress":
                obj["metadata"]["name"] = f"{self.release}-server"
                obj["metadata"]["annotations"], obj["spec"] = _argocd_server_ingress(v)
            obj["x-sim-chart"] = f"{self.chart}-{self.version}"
            out.append(obj)
        return out


# What templates/argocd-server/ingress.yaml reads (argo-cd 7.9.1 and 8.1.3 alike; grounded by
# tests/test_gitops_sync.py::test_argocd_is_reachable_at_its_sso_url_from_the_allowed_ranges_only).
ARGOCD_INGRESS_TEMPLATE = (
    "tpl (.Values.server.ingress.hostname) $ | default .Values.global.domain",
    "with .Values.server.ingress.ingressClassName",
    "with .Values.server.ingress.annotations",
    "if .Values.server.ingress.tls",
    "secretName: argocd-server-tls",
    'index .Values.configs.params "server.insecure"',
)


def _argocd_server_ingress(v: dict) -> tuple[dict, dict]:
    """(annotations, spec) of argo-cd's server Ingress from the effective values: host = server.ingress.hostname
    or global.domain; TLS for that host in Secret argocd-server-tls when server.ingress.tls; the backend
    port is the HTTP one only with server.insecure. extraHosts/extraTls/extraPaths/extraRules are not modelled."""
    ing = dig(v, "server.ingress") or {}
    host = ing.get("hostname") or dig(v, "global.domain")
    insecure = str((dig(v, "configs.params") or {}).get("server.insecure")).lower() == "true"
    port = dig(v, "server.service.servicePortHttp" if insecure else "server.service.servicePortHttps")
    path = {"path": ing.get("path"), "pathType": ing.get("pathType"), "backend": {"service": {"name": "argocd-server", "port": {"number": port}}}}
    spec: dict = {"rules": [{"host": host, "http": {"paths": [path]}}]}
    if ing.get("ingressClassName"):
        spec["ingressClassName"] = ing["ingressClassName"]
    if ing.get("tls"):
        spec["tls"] = [{"hosts": [host], "secretName": "argocd-server-tls"}]
    annotations = {k: str(val).lower() if isinstance(val, bool) else str(val) for k, val in (ing.get("annotations") or {}).items()}
    return annotations, spec


def helm_install(source: dict, namespace: str) -> ChartInstall:
    helm = source.get("helm") or {}
    values = copy.deepcopy(helm.get("valuesObject") or {})
    if helm.get("values"):
        values = deep_merge(yaml.safe_load(helm["values"]) or {}, values)
    return ChartInstall(source["chart"], str(source["targetRevision"]), helm.get("releaseName") or source["chart"], namespace, values)


# --------------------------------------------------------------------------- the tree


@cache
def _build(folder: str) -> tuple[dict, ...]:
    d = Path(folder)
    if (d / "kustomization.yaml").exists() or (d / "kustomization.yml").exists() or (d / "Kustomization").exists():
        proc = subprocess.run(["kubectl", "kustomize", folder], capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"kubectl kustomize {folder} failed: {proc.stderr}")
        text = proc.stdout
    else:  # ArgoCD's plain directory source, not recursive
        text = "\n---\n".join(p.read_text() for p in sorted(d.iterdir()) if p.suffix in (".yaml", ".yml", ".json"))
    return tuple(o for o in yaml.safe_load_all(text) if isinstance(o, dict))


def build(folder: Path) -> list[dict]:
    """The objects ArgoCD renders from a folder (cached: the session's tree does not change)."""
    return copy.deepcopy(list(_build(str(folder.resolve()))))


@dataclass(frozen=True)
class GitOpsRepo:
    """``dist/kubernetes`` committed at ``path`` of ``repo_url``."""

    repo_url: str
    path: str
    root: Path  # dist/kubernetes

    def folder(self, repo_url: str, path: str) -> Path | None:
        """The tree folder of a Git source, or None for another repository."""
        if repo_url.rstrip("/").removesuffix(".git") != self.repo_url.rstrip("/").removesuffix(".git"):
            return None
        prefix = self.path.strip("/")
        p = path.strip("/")
        rel = p[len(prefix):].lstrip("/") if prefix and (p == prefix or p.startswith(prefix + "/")) else ("\0" if prefix else p)
        return self.root / rel


# --------------------------------------------------------------------------- EKS


@dataclass
class ClusterBase:
    """What a new EKS cluster serves before anything is applied."""

    key: str
    version: str
    builtin: dict[tuple[str, str], set[str]]  # (group, kind) -> versions
    storage_classes: list[dict]
    vpc_cni_network_policy: bool
    taints: list[dict]
    node_groups: list[dict] = field(default_factory=list)  # name, labels, taints (Kubernetes effects) of each EKS node group
    ebs_csi_configuration: dict = field(default_factory=dict)  # the aws-ebs-csi-driver add-on's configuration_values


@cache
def builtin_kinds(version: str) -> dict[tuple[str, str], frozenset[str]]:
    """Kinds the API server serves (kubernetes-validate's schemas for the version; no alpha APIs)."""
    import kubernetes_validate

    d = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}.0-local-strict" / "_definitions.json"
    defs = json.loads(d.read_text())["$defs"]
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for schema in defs.values():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            if "alpha" not in gvk["version"] and not gvk["kind"].endswith("List") and gvk["kind"] not in ("WatchEvent", "DeleteOptions", "Status"):
                out[(gvk["group"], gvk["kind"])].add(gvk["version"])
    return {k: frozenset(v) for k, v in out.items()}


def terraform_stack_of(dist: Path, key: str) -> dict:
    """The Terraform stack holding the cluster ``key`` (``<env>-platform`` or ``<env>-tenant-<tenant>``)."""
    stacks = dist / "terraform" / "stacks"
    candidates = [stacks / f"{key}-platform"] + [stacks / f"{key[:i]}-tenant-{key[i + 1:]}" for i in range(len(key)) if key[i] == "-"]
    for c in candidates:
        f = c / "cdk.tf.json"
        if f.exists():
            data = json.loads(f.read_text())
            if data.get("resource", {}).get("aws_eks_cluster"):
                return data
    raise AssertionError(f"no Terraform stack with an EKS cluster for cluster {key} under {stacks}")


def eks_base(dist: Path, key: str) -> ClusterBase:
    stack = terraform_stack_of(dist, key)
    res = stack["resource"]
    (cluster,) = res["aws_eks_cluster"].values()
    version = str(cluster["version"])
    major, minor = (int(x) for x in version.split(".")[:2])
    # EKS creates the in-tree gp2 StorageClass; from 1.30 on it is no longer the default.
    classes = [{"metadata": {"name": "gp2", "annotations": {DEFAULT_CLASS: "true"} if (major, minor) < (1, 30) else {}}, "provisioner": "kubernetes.io/aws-ebs"}]
    network_policy = False
    for addon in res.get("aws_eks_addon", {}).values():
        config = json.loads(addon.get("configuration_values") or "{}")
        if addon["addon_name"] == "aws-ebs-csi-driver":
            # the add-on's Helm values: defaultStorageClass.enabled makes ebs-csi-default-sc (default)
            if dig(config, "defaultStorageClass.enabled"):
                classes.append({"metadata": {"name": "ebs-csi-default-sc", "annotations": {DEFAULT_CLASS: "true"}}, "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}})
            for sc in config.get("storageClasses") or []:
                classes.append({"metadata": {"name": sc["name"], "annotations": sc.get("annotations") or {}}, "provisioner": "ebs.csi.aws.com", "parameters": sc.get("parameters") or {}})
        if addon["addon_name"] == "vpc-cni":
            network_policy = str(config.get("enableNetworkPolicy", "false")).lower() == "true"
    taints = [t for ng in res.get("aws_eks_node_group", {}).values() for t in ng.get("taint") or []]
    effect = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
    groups = [
        {
            "name": ng["node_group_name"],
            # EKS labels each node with its group's name, and the kubelet with its OS
            "labels": {**(ng.get("labels") or {}), "eks.amazonaws.com/nodegroup": ng["node_group_name"], "kubernetes.io/os": "linux"},
            "taints": [{"key": t["key"], "value": t.get("value"), "effect": effect[t["effect"]]} for t in ng.get("taint") or []],
        }
        for ng in res.get("aws_eks_node_group", {}).values()
    ]
    ebs = next((json.loads(a.get("configuration_values") or "{}") for a in res.get("aws_eks_addon", {}).values() if a["addon_name"] == "aws-ebs-csi-driver"), {})
    return ClusterBase(key, version, dict(builtin_kinds(version)), classes, network_policy, taints, groups, ebs)


# --------------------------------------------------------------------------- bootstrap


@dataclass
class Bootstrap:
    """What is applied before ArgoCD syncs anything (not an ArgoCD owner)."""

    name: str
    releases: list[ChartInstall]
    objects: list[dict]

    @property
    def argocd_values(self) -> dict:
        for r in self.releases:
            if r.chart == "argo-cd":
                return r.effective
        return {}


def pulumi_bootstrap(resources: list, key: str) -> Bootstrap:
    """The Pulumi program's resources for cluster ``key`` (from ``run_offline(...).resources``)."""
    releases, objects = [], []
    for r in resources:
        provider = r.provider or ""
        m = re.search(r"pulumi:providers:kubernetes::([^:]+)", provider)
        owner = m.group(1) if m else ""
        if r.typ == "pulumi:providers:kubernetes" or owner != f"{key}-cluster":
            continue
        i = r.inputs
        if r.typ == "kubernetes:helm.sh/v3:Release":
            releases.append(ChartInstall(i["chart"], str(i["version"]), i["name"], i["namespace"], i.get("values") or {}))
        elif r.typ == "kubernetes:yaml/v2:ConfigGroup":
            objects += copy.deepcopy(i.get("objs") or [])
        elif r.typ.startswith("kubernetes:"):
            _, gv, kind = r.typ.split(":")
            group, version = gv.split("/")
            api = version if group == "core" else f"{group}/{version}"
            obj = {"apiVersion": api, "kind": kind, **{k: copy.deepcopy(v) for k, v in i.items() if k not in ("apiVersion", "kind")}}
            objects.append(obj)
    return Bootstrap("pulumi", releases, objects)


def documented_kubectl_folder(docs: Path) -> str:
    """The folder docs/gitops.md tells an operator to ``kubectl apply -k`` after installing ArgoCD."""
    m = re.search(r"kubectl apply -k \S*?<cluster>/([\w./-]+)", docs.read_text())
    if not m:
        raise AssertionError(f"{docs} names no `kubectl apply -k .../<cluster>/<folder>` bootstrap step")
    return m.group(1).rstrip("/.`")


def kubectl_bootstrap(cluster_dir: Path, folder: str) -> Bootstrap:
    """``helm install`` ArgoCD with the tree's own chart and values, then ``kubectl apply -k <cluster>/<folder>``."""
    argocd = [o for d in ("bootstrap", folder) for o in build(cluster_dir / d) if o.get("kind") == "Application" and (dig(o, "spec.source.chart") == "argo-cd")]
    if not argocd:
        raise AssertionError(f"no Application of the argo-cd chart in {cluster_dir}")
    app = argocd[0]
    release = helm_install(app["spec"]["source"], app["spec"]["destination"]["namespace"])
    return Bootstrap(f"kubectl apply -k {folder}", [release], build(cluster_dir / folder))


# --------------------------------------------------------------------------- event graph


class Node:
    __slots__ = ("idx", "label", "pre", "guard", "any", "happened", "anc", "why")

    def __init__(self, idx: int, label: str, pre: list["Node"], guard: list["Node"], any_: bool, why: str = ""):
        self.idx, self.label, self.pre, self.guard, self.any = idx, label, pre, guard, any_
        self.happened = False
        self.anc = 0  # bitmask of guaranteed predecessors
        self.why = why  # for a leaf that never happens

    def __repr__(self) -> str:
        return f"<{self.label}{' ✓' if self.happened else ''}>"


class Graph:
    """AND/OR events. An AND event happens once all its predecessors (``pre``) and guards have;
    an OR event once any alternative has. Guards are dependencies ArgoCD does not order (a
    sync fails and is retried until they hold): they delay the event but are not counted
    as guaranteed predecessors when a check asks what exists before it."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.init = self.event("cluster created and bootstrapped")

    def event(self, label: str, pre: Iterable[Node] = (), guard: Iterable[Node] = ()) -> Node:
        n = Node(len(self.nodes), label, list(pre), list(guard), False)
        self.nodes.append(n)
        return n

    def any_of(self, label: str, alternatives: Iterable[Node] = (), why: str = "") -> Node:
        n = Node(len(self.nodes), label, list(alternatives), [], True, why)
        self.nodes.append(n)
        return n

    def solve(self) -> None:
        """Fire every event that can happen; each event's guaranteed predecessors are fixed when it fires.

        An AND event's predecessors are the union of its inputs'. An OR event's are the
        intersection over the alternatives that had fired before it (any of them may have
        been the one), which also keeps cycles through alternatives (a namespace made by
        several Applications) from claiming an order nobody guarantees."""
        changed = True
        while changed:
            changed = False
            for n in self.nodes:
                if n.happened:
                    continue
                if n.any:
                    alts = [p for p in n.pre if p.happened]
                    if not alts:
                        continue
                    mask = None
                    for p in alts:
                        m = p.anc | (1 << p.idx)
                        mask = m if mask is None else mask & m
                    n.anc = mask or 0
                else:
                    deps = n.pre + n.guard
                    if not all(p.happened for p in deps):
                        continue
                    mask = 0
                    for p in deps:
                        mask |= p.anc | (1 << p.idx)
                    n.anc = mask
                n.happened = True
                changed = True

    @staticmethod
    def before(dep: Node, node: Node) -> bool:
        """Is ``dep`` guaranteed to have happened once ``node``'s own predecessors (not its guards) have?"""
        mask = 0
        for p in node.pre:
            mask |= p.anc | (1 << p.idx)
        if mask >> dep.idx & 1:
            return True
        return dep.any and any(mask >> p.idx & 1 for p in dep.pre)

    def blockers(self, node: Node, limit: int = 4) -> list[str]:
        """The leaves that keep ``node`` from happening, shallowest first."""
        out: list[str] = []
        seen: set[int] = set()
        frontier = [node]
        while frontier and len(out) < limit:
            nxt = []
            for n in frontier:
                if n.idx in seen or n.happened:
                    continue
                seen.add(n.idx)
                if n.any and not n.pre:
                    out.append(n.why or n.label)
                else:
                    nxt += [p for p in (n.pre + n.guard) if not p.happened]
            frontier = nxt
        return list(dict.fromkeys(out))[:limit] or [node.label]


# --------------------------------------------------------------------------- the simulation


@dataclass(frozen=True)
class Finding:
    rule: str  # served | storage | owners | stall | blocked | source | race | namespace | drift | unhealthy | unmodelled
    cluster: str
    bootstrap: str
    app: str
    subject: str
    message: str
    tolerated: bool = False  # a race the Application's explicit retry policy absorbs

    def __str__(self) -> str:
        return f"[{self.cluster} via {self.bootstrap}] {self.rule}: {self.app}: {self.subject}: {self.message}"


@dataclass
class Task:
    obj: dict
    key: Key
    phase: str
    wave: int
    hook: bool
    apply: Node | None = None
    healthy: Node | None = None


@dataclass
class App:
    name: str
    obj: dict
    owners: list[str]
    tasks: list[Task] = field(default_factory=list)
    install: ChartInstall | None = None
    folder: Path | None = None
    created: Node | None = None
    ready: Node | None = None  # created and its project exists: what the sync start waits for
    discovery: list[tuple[Task, Node]] = field(default_factory=list)  # kinds the sync start (dry run) needs served
    start: Node | None = None
    synced: Node | None = None
    health: Node | None = None
    steps: list[tuple[tuple[int, int], Node, Node]] = field(default_factory=list)  # ((phase, wave), reached, done)

    @property
    def spec(self) -> dict:
        return self.obj.get("spec") or {}

    @property
    def sync_options(self) -> list[str]:
        return list(dig(self.spec, "syncPolicy.syncOptions") or [])

    @property
    def dest_ns(self) -> str:
        return dig(self.spec, "destination.namespace") or ""

    @property
    def retry(self) -> bool:
        retry = dig(self.spec, "syncPolicy.retry")
        return isinstance(retry, dict) and retry.get("limit", 0) != 0


class Simulation:
    """One cluster, one bootstrap path: build the event graph, solve it, collect findings."""

    def __init__(self, repo: GitOpsRepo, base: ClusterBase, bootstrap: Bootstrap):
        self.repo, self.base, self.bootstrap = repo, base, bootstrap
        self.g = Graph()
        self.findings: list[Finding] = []
        self.apps: dict[str, App] = {}
        self.appsets: dict[str, tuple[dict, list[str]]] = {}
        self.crds: dict[tuple[str, str], list[dict]] = defaultdict(list)  # every CRD seen anywhere
        self.projects: dict[str, dict] = {}
        self.owners: dict[Key, list[str]] = defaultdict(list)
        argocd_cm = dig(bootstrap.argocd_values, "configs.cm") or {}
        lua = str(argocd_cm.get(APP_HEALTH_KEY, "")) or str(argocd_cm.get("resource.customizations", ""))
        self.app_health = APP_HEALTH_KEY in argocd_cm or "argoproj.io/Application" in lua
        # the usual Lua returns status.health only: a child counts Healthy while its sync still runs
        self.app_health_waits_sync = self.app_health and ("obj.status.sync" in lua or "operationState" in lua)
        params = dig(bootstrap.argocd_values, "configs.params") or {}
        self.server_side_diff = str(params.get("controller.diff.server.side", "false")).lower() == "true"
        self.health_checked = set(HEALTH_CHECKED) | {tuple(k.removeprefix("resource.customizations.health.").split("_", 1)) for k in argocd_cm if k.startswith("resource.customizations.health.")}
        # provider OR-events, filled while building
        self._or: dict[tuple, Node] = {}
        self._discover()
        self._build_graph()
        self.g.solve()
        self._check()

    # ------------------------------------------------------------ helpers

    def add(self, finding_rule: str, app: str, subject: str, message: str, tolerated: bool = False) -> None:
        self.findings.append(Finding(finding_rule, self.base.key, self.bootstrap.name, app, subject, message, tolerated))

    def provider(self, *key: Any, why: str = "") -> Node:
        k = tuple(key)
        if k not in self._or:
            self._or[k] = self.g.any_of(" ".join(str(x) for x in k), why=why or f"no {' '.join(str(x) for x in k)}")
        return self._or[k]

    def namespaced(self, group: str, kind: str) -> bool:
        if (group, kind) in CLUSTER_SCOPED:
            return False
        for crd in self.crds.get((group, kind), []):
            return crd["spec"].get("scope", "Namespaced") == "Namespaced"
        return True

    def key_of(self, obj: dict, default_ns: str) -> Key:
        group, _ = group_version(obj.get("apiVersion", ""))
        kind = obj.get("kind", "")
        meta = obj.get("metadata") or {}
        ns = (meta.get("namespace") or default_ns) if self.namespaced(group, kind) else ""
        return Key(group, kind, ns, meta.get("name", ""))

    # ------------------------------------------------------------ discovery: every Application's objects

    def _discover(self) -> None:
        queue: list[tuple[dict, str]] = []
        for r in self.bootstrap.releases:
            for o in r.objects():
                self._index(o)
        for o in self.bootstrap.objects:
            self._index(o)
            queue.append((o, f"<{self.bootstrap.name}>"))
        seen_objs: list[tuple[dict, str]] = []
        while queue:
            obj, owner = queue.pop(0)
            seen_objs.append((obj, owner))
            kind = obj.get("kind")
            if group_version(obj.get("apiVersion", ""))[0] != "argoproj.io":
                continue
            name = dig(obj, "metadata.name")
            if kind == "Application":
                if name in self.apps:
                    self.apps[name].owners.append(owner)
                    continue
                app = App(name, obj, [owner])
                self.apps[name] = app
                for o in self._render(app):
                    self._index(o)
                    queue.append((o, name))
            elif kind == "ApplicationSet":
                if name in self.appsets:
                    self.appsets[name][1].append(owner)
                    continue
                self.appsets[name] = (obj, [owner])
                for gen in self._generate(obj):
                    queue.append((gen, f"applicationset/{name}"))

    def _index(self, o: dict) -> None:
        kind = o.get("kind")
        if kind == "CustomResourceDefinition":
            self.crds[(o["spec"]["group"], o["spec"]["names"]["kind"])].append(o)
        elif kind == "AppProject":
            self.projects.setdefault(dig(o, "metadata.name"), o)

    def _render(self, app: App) -> list[dict]:
        source = app.spec.get("source") or {}
        if app.spec.get("sources"):
            self.add("unmodelled", app.name, "spec.sources", "multi-source Applications are not modelled")
            return []
        if source.get("chart"):
            app.install = helm_install(source, app.dest_ns)
            if not app.install.known:
                self.add("unmodelled", app.name, f"{source['chart']} {source['targetRevision']}", f"chart not pinned in {CHARTS}")
                return []
            return app.install.objects()
        folder = self.repo.folder(source.get("repoURL", ""), source.get("path", ""))
        if folder is None:
            self.add("unmodelled", app.name, source.get("repoURL", ""), "a Git source outside the GitOps repository")
            return []
        app.folder = folder
        if not folder.is_dir():
            self.add("source", app.name, f"{source.get('repoURL')} path {source.get('path')}", "the source path does not exist in the tree: ComparisonError, the Application never deploys")
            return []
        return build(folder)

    def _generate(self, appset: dict) -> list[dict]:
        spec = appset.get("spec") or {}
        go = spec.get("goTemplate", False)
        out = []
        for gen in spec.get("generators") or []:
            if set(gen) != {"list"}:
                self.add("unmodelled", dig(appset, "metadata.name"), str(sorted(gen)), "only list generators are modelled")
                continue
            for element in gen["list"].get("elements") or []:
                text = json.dumps(spec.get("template") or {})
                for k, v in element.items():
                    pattern = r"\{\{\s*\." + re.escape(k) + r"\s*\}\}" if go else r"\{\{\s*" + re.escape(k) + r"\s*\}\}"
                    text = re.sub(pattern, lambda _m, v=v: json.dumps(str(v))[1:-1], text)
                template = json.loads(text)
                meta = dict(template.get("metadata") or {})
                meta["namespace"] = dig(appset, "metadata.namespace")
                out.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta, "spec": template.get("spec") or {}})
        return out

    # ------------------------------------------------------------ graph

    def _build_graph(self) -> None:
        g = self.g
        init = g.init
        for (group, kind), versions in self.base.builtin.items():
            self.provider("served", group, kind).pre.append(init)
        for ns in INITIAL_NAMESPACES:
            self.provider("namespace", ns).pre.append(init)
        for sc in self.base.storage_classes:
            self.provider("storageclass", sc["metadata"]["name"]).pre.append(init)
            if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true":
                self.provider("default storageclass").pre.append(init)
        self.provider("project", "default").pre.append(init)
        # the bootstrap: releases and objects exist at the start
        for r in self.bootstrap.releases:
            self.provider("namespace", r.namespace).pre.append(init)
            for o in r.objects():
                self._provide(o, self.key_of(o, r.namespace), init, init, owner=None)
        for o in self.bootstrap.objects:
            key = self.key_of(o, "default")
            self._provide(o, key, init, init, owner=None)
            if o.get("kind") == "Application":
                self.provider("created", key.name).pre.append(init)
            if o.get("kind") == "ApplicationSet":
                self.provider("appset", key.name).pre.append(init)
        for name, (obj, owners) in self.appsets.items():
            for gen in self._generate_quiet(obj):
                self.provider("created", dig(gen, "metadata.name")).pre.append(self.provider("appset", name))
        for app in self.apps.values():
            self._app_graph(app)

    def _generate_quiet(self, obj: dict) -> list[dict]:
        """The ApplicationSet's Applications again, without repeating discovery's findings."""
        n = len(self.findings)
        out = self._generate(obj)
        del self.findings[n:]
        return out

    def _provide(self, o: dict, key: Key, applied: Node, healthy: Node, owner: str | None) -> None:
        """Register what an applied object makes exist."""
        kind, meta = key.kind, o.get("metadata") or {}
        if kind == "CustomResourceDefinition":
            spec = o["spec"]
            for v in spec.get("versions") or []:
                if v.get("served", True):
                    self.provider("served", spec["group"], spec["names"]["kind"]).pre.append(applied)
        elif kind == "Namespace" and key.group == "":
            self.provider("namespace", key.name).pre.append(applied)
        elif kind == "StorageClass":
            self.provider("storageclass", key.name).pre.append(applied)
            if (meta.get("annotations") or {}).get(DEFAULT_CLASS) == "true":
                self.provider("default storageclass").pre.append(applied)
        elif kind == "AppProject":
            self.provider("project", key.name).pre.append(applied)
        elif kind in ("Secret", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim") and key.group == "":
            self.provider(kind.lower(), key.namespace, key.name).pre.append(applied if kind != "PersistentVolumeClaim" else healthy)
        elif kind == "ExternalSecret":
            target = dig(o, "spec.target.name") or key.name
            self.provider("secret", key.namespace, target).pre.append(healthy)
        elif kind == "Certificate" and key.group == "cert-manager.io":
            self.provider("secret", key.namespace, dig(o, "spec.secretName")).pre.append(healthy)
        elif kind == "IngressClass":
            self.provider("ingressclass", key.name).pre.append(applied)
            if (meta.get("annotations") or {}).get(DEFAULT_INGRESS_CLASS) == "true":
                self.provider("default ingressclass").pre.append(applied)
        elif kind == "ChartWorkloads":
            self.provider("workloads", o["chartName"]).pre.append(healthy)
            for crd_group in {c["spec"]["group"] for c in self._chart_crds_of(o)}:
                self.provider("operator", crd_group).pre.append(healthy)
        elif kind == "Application" and key.group == "argoproj.io":
            self.provider("created", key.name).pre.append(applied)
        elif kind == "ApplicationSet" and key.group == "argoproj.io":
            self.provider("appset", key.name).pre.append(applied)
        if key.kind in ("ClusterSecretStore", "SecretStore", "ClusterIssuer", "Issuer"):
            self.provider("ready", key.kind, key.namespace, key.name).pre.append(healthy)
        self.provider("object", key).pre.append(applied)

    def _chart_crds_of(self, workloads: dict) -> list[dict]:
        for r in self.bootstrap.releases:
            if f"{r.chart}-{r.version}" == workloads["chart"]:
                return [o for o in r.objects() if o.get("kind") == "CustomResourceDefinition"]
        for app in self.apps.values():
            if app.install and f"{app.install.chart}-{app.install.version}" == workloads["chart"]:
                return [o for o in app.install.objects() if o.get("kind") == "CustomResourceDefinition"]
        return []

    def _tasks(self, app: App) -> list[Task]:
        objs = app.install.objects() if app.install else (build(app.folder) if app.folder and app.folder.is_dir() else [])
        tasks = []
        for o in objs:
            if o.get("x-sim-capabilities"):
                group = group_version(o["apiVersion"])[0]
                if not self.crds.get((group, o["kind"])):
                    continue  # the chart's .Capabilities guard drops it
            key = self.key_of(o, app.dest_ns)
            hooks = [h.strip() for h in (annotations(o).get(HOOK) or "").split(",") if h.strip()]
            if "Skip" in hooks:
                continue
            wave = int(annotations(o).get(WAVE, "0"))
            if hooks:
                for h in hooks:
                    if h in PHASE_ORDER:
                        tasks.append(Task(o, key, h, wave, True))
            else:
                tasks.append(Task(o, key, "Sync", wave, False))
        return tasks

    def _app_graph(self, app: App) -> None:
        g = self.g
        app.tasks = self._tasks(app)
        for t in app.tasks:
            if not t.hook:
                self.owners[t.key].append(app.name)
        app.created = self.provider("created", app.name)
        project = app.spec.get("project") or "default"
        ready = g.event(f"{app.name}: created, project {project} exists", [app.created, self.provider("project", project, why=f"AppProject {project} is never created")])
        denied = self._denied(app, project)
        for subject, message in denied:
            self.add("blocked", app.name, subject, message)
        own_crds = {(t.obj["spec"]["group"], t.obj["spec"]["names"]["kind"]) for t in app.tasks if t.key.kind == "CustomResourceDefinition"}
        own_ns = {t.key.name for t in app.tasks if t.key.kind == "Namespace" and t.key.group == ""}
        if has_option(app.sync_options, "CreateNamespace=true") and app.dest_ns:
            own_ns.add(app.dest_ns)
        app_skip = has_option(app.sync_options, "SkipDryRunOnMissingResource=true")
        discovery: list[tuple[Task, Node]] = []
        for t in app.tasks:
            if t.key.group == SIM_GROUP:
                continue
            served = self._served_node(app, t)
            skip = app_skip or has_option(annotations(t.obj).get(SYNC_OPTIONS), "SkipDryRunOnMissingResource=true") or (t.key.group, t.key.kind) in own_crds
            if not skip:
                discovery.append((t, served))
        checked_at_start = {id(t) for t, _ in discovery}
        never = [g.any_of("denied", why="its AppProject denies it: " + denied[0][1])] if denied else []
        app.start = g.event(f"{app.name}: sync starts", [ready] + never, guard=[s for _, s in discovery])
        app.discovery, app.ready = discovery, ready
        if has_option(app.sync_options, "CreateNamespace=true") and app.dest_ns:
            self.provider("namespace", app.dest_ns).pre.append(app.start)
        steps = sorted({(PHASE_ORDER[t.phase], t.wave) for t in app.tasks})
        prev_done: Node | None = None
        for n, step in enumerate(steps):
            reached = g.event(f"{app.name}: {self._step_name(step)} reached", [app.start] + ([prev_done] if prev_done else []))
            in_step = [t for t in app.tasks if (PHASE_ORDER[t.phase], t.wave) == step]
            in_step.sort(key=lambda t: (KIND_ORDER.index(t.key.kind) - len(KIND_ORDER) if t.key.kind in KIND_ORDER else 0, t.key.name))
            group_start = reached
            groups: list[list[Task]] = []
            for t in in_step:
                if groups and groups[-1][0].key.kind == t.key.kind:
                    groups[-1].append(t)
                else:
                    groups.append([t])
            for grp in groups:
                for t in grp:
                    guard = []
                    ns = t.key.namespace
                    if ns and ns not in own_ns:
                        guard.append(self.provider("namespace", ns, why=f"namespace {ns} is never created"))
                    if id(t) not in checked_at_start and t.key.group != SIM_GROUP and (t.key.group, t.key.kind) not in own_crds:
                        guard.append(self._served_node(app, t))
                    t.apply = g.event(f"{app.name}: apply {t.key}", [group_start], guard)
                group_start = g.event(f"{app.name}: {self._step_name(step)} {grp[0].key.kind} applied", [t.apply for t in grp])
            for t in in_step:
                t.healthy = g.event(f"{t.key} healthy", [t.apply] + self._health_deps(app, t))
                if not t.hook:
                    self._provide(t.obj, t.key, t.apply, t.healthy, app.name)
            waited = [t.healthy for t in in_step if (t.hook or self._has_health(t)) and not self._is_self(app, t)]
            last = n == len(steps) - 1
            done = g.event(f"{app.name}: {self._step_name(step)} done", [group_start] + (waited if not last or any(t.hook for t in in_step) else []))
            app.steps.append((step, reached, done))
            prev_done = done
        app.synced = g.event(f"{app.name}: synced", [prev_done] if prev_done else [app.start])
        # Argo CD 3.0 (controller/health.go setApplicationHealth) leaves a resource annotated
        # ignore-healthcheck out of its Application's health.
        health_of = [t.healthy for t in app.tasks if not t.hook and self._has_health(t) and not self._is_self(app, t) and annotations(t.obj).get(IGNORE_HEALTH) != "true"]
        app.health = g.event(f"Application {app.name} Healthy", [app.start] + health_of)
        self.provider("app healthy", app.name).pre.append(app.health)
        self.provider("app synced", app.name).pre.append(app.synced)

    def _step_name(self, step: tuple[int, int]) -> str:
        phase = {v: k for k, v in PHASE_ORDER.items()}[step[0]]
        return f"{phase} wave {step[1]}"

    def _is_self(self, app: App, t: Task) -> bool:
        return t.key.group == "argoproj.io" and t.key.kind == "Application" and t.key.name == app.name

    def _has_health(self, t: Task) -> bool:
        gk = (t.key.group, t.key.kind)
        if gk == ("argoproj.io", "Application"):
            return self.app_health
        if gk == ("", "Service"):
            return (t.obj.get("spec") or {}).get("type") == "LoadBalancer"
        return gk in self.health_checked

    def _served_node(self, app: App, t: Task) -> Node:
        group, version = group_version(t.obj.get("apiVersion", ""))
        gk = (group, t.key.kind)
        if gk in self.base.builtin:
            if version not in self.base.builtin[gk]:
                msg = f"{t.obj['apiVersion']} is not served by Kubernetes {self.base.version} (serves {sorted(self.base.builtin[gk])})"
                self.add("served", app.name, str(t.key), msg)
                return self.g.any_of("unserved", why=msg)
            return self.provider("served", group, t.key.kind)
        crds = self.crds.get(gk, [])
        if not crds:
            self.add("served", app.name, str(t.key), f"no CRD in the tree, its charts or the bootstrap serves {t.key.kind}.{group}")
            return self.provider("served", group, t.key.kind, why=f"nothing serves {t.key.kind}.{group}")
        if not any(v["name"] == version and v.get("served", True) for c in crds for v in c["spec"].get("versions") or []):
            msg = f"{t.obj['apiVersion']} is not a served version of the CRD {crds[0]['metadata']['name']}"
            self.add("served", app.name, str(t.key), msg)
            return self.g.any_of("unserved", why=msg)
        return self.provider("served", group, t.key.kind)

    def _denied(self, app: App, project: str) -> list[tuple[str, str]]:
        """AppProject rules (argo-cd IsSourcePermitted, IsDestinationPermitted, IsGroupKindPermitted)."""
        proj = self.projects.get(project)
        if proj is None:
            return []  # ArgoCD's own default project allows everything; any other is waited for
        spec = proj.get("spec") or {}
        out = []
        repo = dig(app.spec, "source.repoURL") or ""
        if not any(fnmatch.fnmatchcase(repo, p) for p in spec.get("sourceRepos") or []):
            out.append((repo, f"project {project} does not allow source repository {repo}"))
        server = dig(app.spec, "destination.server") or ""

        def dest_ok(ns: str) -> bool:
            ok = False
            for d in spec.get("destinations") or []:
                pattern = d.get("namespace", "")
                hit = fnmatch.fnmatchcase(server, d.get("server", "*")) and fnmatch.fnmatchcase(ns, pattern.lstrip("!"))
                if pattern.startswith("!") and hit:
                    return False
                ok = ok or (hit and not pattern.startswith("!"))
            return ok

        if not dest_ok(app.dest_ns):
            out.append((f"destination {app.dest_ns}", f"project {project} does not allow destination namespace {app.dest_ns}"))

        def matches(rules: list, group: str, kind: str) -> bool:
            return any(fnmatch.fnmatchcase(group, r.get("group", "")) and fnmatch.fnmatchcase(kind, r.get("kind", "")) for r in rules or [])

        for t in app.tasks:
            if t.key.group == SIM_GROUP:
                continue
            g_, k = t.key.group, t.key.kind
            if not t.key.namespace:
                allowed = matches(spec.get("clusterResourceWhitelist"), g_, k) and not matches(spec.get("clusterResourceBlacklist"), g_, k)
            else:
                wl = spec.get("namespaceResourceWhitelist")
                allowed = (not wl or matches(wl, g_, k)) and not matches(spec.get("namespaceResourceBlacklist"), g_, k)
                if allowed and not dest_ok(t.key.namespace):
                    out.append((str(t.key), f"project {project} does not allow namespace {t.key.namespace}"))
                    continue
            if not allowed:
                out.append((str(t.key), f"project {project} does not permit {k}.{g_ or 'core'}"))
        return out

    # health prerequisites: what must exist for an object to become Healthy
    def _health_deps(self, app: App, t: Task) -> list[Node]:
        o, key = t.obj, t.key
        deps: list[Node] = []
        ns = key.namespace
        if key.kind == "ChartWorkloads":
            for claim in o.get("claims", []):
                deps.append(self._class_node(claim.get("storageClassName")))
            for name in o.get("secrets", []):  # its pods cannot start without them
                deps.append(self.provider("secret", ns, name, why=f"Secret {ns}/{name} never exists"))
            return deps
        if key.kind == "PersistentVolumeClaim" and key.group == "":
            return [self._class_node(dig(o, "spec.storageClassName"))]
        if key.group == "argoproj.io" and key.kind == "Application":
            if not self.app_health or key.name == app.name:
                return []
            deps = [self.provider("app healthy", key.name, why=f"Application {key.name} is never Healthy")]
            return deps + ([self.provider("app synced", key.name, why=f"Application {key.name} never finishes syncing")] if self.app_health_waits_sync else [])
        if key.group in OPERATOR_HEALTH:
            deps.append(self.provider("operator", key.group, why=f"no operator runs for {key.group}"))
        pod = self._pod_spec(o)
        if pod is not None:
            deps += self._pod_deps(pod, ns, o)
        if key.kind in ("ClusterSecretStore", "SecretStore") and key.group == "external-secrets.io":
            # ESO 0.17 validates a store by building its client: with jwt auth it reads the service
            # account (pkg/provider/aws/auth credsFromServiceAccount); missing, the store is never Ready
            for provider in (dig(o, "spec.provider") or {}).values():
                ref = dig(provider, "auth.jwt.serviceAccountRef") if isinstance(provider, dict) else None
                if ref:
                    sa_ns = ref.get("namespace", "") if key.kind == "ClusterSecretStore" else ns
                    deps.append(self.provider("serviceaccount", sa_ns, ref["name"], why=f"ServiceAccount {sa_ns}/{ref['name']} never exists"))
        if key.kind == "ExternalSecret":
            ref = dig(o, "spec.secretStoreRef") or {}
            store_kind = ref.get("kind", "SecretStore")
            store_ns = "" if store_kind == "ClusterSecretStore" else ns
            deps.append(self.provider("ready", store_kind, store_ns, ref.get("name"), why=f"{store_kind} {ref.get('name')} is never Ready"))
            admit = self._store_admits(store_kind, ref.get("name"), ns)
            if admit is not None:
                deps.append(admit)
        if key.kind in ("Certificate",) and key.group == "cert-manager.io":
            ref = dig(o, "spec.issuerRef") or {}
            kind = ref.get("kind", "Issuer")
            deps.append(self.provider("ready", kind, "" if kind == "ClusterIssuer" else ns, ref.get("name"), why=f"{kind} {ref.get('name')} is never Ready"))
        if key.kind == "Ingress":
            cls = dig(o, "spec.ingressClassName")
            deps.append(self.provider("ingressclass", cls, why=f"IngressClass {cls} is never created") if cls else self.provider("default ingressclass", why="no default IngressClass"))
            deps.append(self.provider("workloads", "ingress-nginx", why="no ingress controller runs"))
        return deps

    def _store_admits(self, store_kind: str, name: str, ns: str) -> Node | None:
        """ESO refuses an ExternalSecret whose namespace no condition of the ClusterSecretStore admits."""
        if store_kind != "ClusterSecretStore":
            return None
        stores = [t.obj for a in self.apps.values() for t in a.tasks if t.key.kind == "ClusterSecretStore" and t.key.name == name]
        if not stores:
            return None
        conditions = dig(stores[0], "spec.conditions") or []
        if not conditions:
            return None
        labels = self._namespace_labels(ns)
        for c in conditions:
            if ns in (c.get("namespaces") or []):
                return None
            if any(re.fullmatch(r, ns) for r in c.get("namespaceRegexes") or []):
                return None
            sel = c.get("namespaceSelector")
            if sel is not None and labels is not None and selector_matches(sel, labels):
                return None
        return self.provider("admitted", name, ns, why=f"ClusterSecretStore {name} does not admit namespace {ns} (spec.conditions)")

    def _namespace_labels(self, ns: str) -> dict | None:
        for a in self.apps.values():
            for t in a.tasks:
                if t.key.kind == "Namespace" and t.key.group == "" and t.key.name == ns:
                    return dig(t.obj, "metadata.labels") or {}
        # the bootstrap's releases create their namespace without labels (Pulumi createNamespace, helm --create-namespace)
        return {} if ns in INITIAL_NAMESPACES or any(r.namespace == ns for r in self.bootstrap.releases) else None

    def _class_node(self, name: str | None) -> Node:
        if name:
            return self.provider("storageclass", name, why=f"StorageClass {name} does not exist")
        return self.provider("default storageclass", why="no default StorageClass (EKS 1.30+ has none)")

    @staticmethod
    def _pod_spec(o: dict) -> dict | None:
        kind = o.get("kind")
        if kind == "Pod":
            return o.get("spec") or {}
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            return dig(o, "spec.template.spec") or {}
        if kind == "CronJob":
            return None  # runs later, on a schedule
        return None

    def _pod_deps(self, pod: dict, ns: str, owner: dict) -> list[Node]:
        deps = []
        containers = (pod.get("containers") or []) + (pod.get("initContainers") or [])
        for c in containers:
            for e in c.get("env") or []:
                for ref_kind in ("secretKeyRef", "configMapKeyRef"):
                    ref = dig(e, f"valueFrom.{ref_kind}")
                    if ref and not ref.get("optional"):
                        deps.append(self.provider("secret" if ref_kind == "secretKeyRef" else "configmap", ns, ref["name"], why=f"{'Secret' if ref_kind == 'secretKeyRef' else 'ConfigMap'} {ns}/{ref['name']} never exists"))
            for e in c.get("envFrom") or []:
                for ref_kind in ("secretRef", "configMapRef"):
                    ref = e.get(ref_kind)
                    if ref and not ref.get("optional"):
                        deps.append(self.provider("secret" if ref_kind == "secretRef" else "configmap", ns, ref["name"], why=f"{'Secret' if ref_kind == 'secretRef' else 'ConfigMap'} {ns}/{ref['name']} never exists"))
        for v in pod.get("volumes") or []:
            if v.get("secret") and not v["secret"].get("optional"):
                deps.append(self.provider("secret", ns, v["secret"]["secretName"], why=f"Secret {ns}/{v['secret']['secretName']} never exists"))
            if v.get("configMap") and not v["configMap"].get("optional"):
                deps.append(self.provider("configmap", ns, v["configMap"]["name"], why=f"ConfigMap {ns}/{v['configMap']['name']} never exists"))
            if v.get("persistentVolumeClaim"):
                claim = v["persistentVolumeClaim"]["claimName"]
                deps.append(self.provider("persistentvolumeclaim", ns, claim, why=f"PersistentVolumeClaim {ns}/{claim} never binds"))
        sa = pod.get("serviceAccountName")
        if sa and sa != "default":
            deps.append(self.provider("serviceaccount", ns, sa, why=f"ServiceAccount {ns}/{sa} never exists"))
        for vct in dig(owner, "spec.volumeClaimTemplates") or []:
            deps.append(self._class_node(dig(vct, "spec.storageClassName")))
        return deps

    # ------------------------------------------------------------ checks

    def _check(self) -> None:
        g = self.g
        for app in self.apps.values():
            tolerated = app.retry
            ready = app.ready
            # (a) kinds served when the sync starts (dry run) or when the object is applied
            for t, served in app.discovery:
                if ready.happened and not (served.any and not served.pre) and not g.before(served, ready):
                    self._late(app, t, served, ready, "served", f"{t.key.kind}.{t.key.group} is served only by a CRD another Application installs, not ordered before this sync starts (dry run fails: add a wave, or SkipDryRunOnMissingResource=true)", tolerated)
            for t in app.tasks:
                if t.apply is None or not all(p.happened for p in t.apply.pre):
                    continue  # never reached: the stall is reported instead
                for dep in t.apply.guard:
                    if (dep.any and not dep.pre) or g.before(dep, t.apply):
                        continue
                    if dep.label.startswith("namespace"):
                        self._late(app, t, dep, t.apply, "namespace", f"namespace {t.key.namespace} is created by another Application, not ordered before this object", tolerated)
                    else:
                        self._late(app, t, dep, t.apply, "served", f"{t.key.kind}.{t.key.group} is served only by a CRD another Application installs, not ordered before this object", tolerated)
            # (b) storage: the class exists before the claim is applied
            for t in app.tasks:
                for cls in self._claims(t):
                    node = self._class_node(cls)
                    if t.apply is not None and all(p.happened for p in t.apply.pre) and not g.before(node, t.apply):
                        what = f"StorageClass {cls}" if cls else "a default StorageClass"
                        where = f" ({', '.join(c['values'] for c in t.obj.get('claims', []))})" if t.key.kind == "ChartWorkloads" else ""
                        if node.happened:
                            self.add("race", app.name, str(t.key), f"claims storage{where} from {what}, which another Application creates, not ordered before the claim", app.retry)
                        else:
                            self.add("storage", app.name, str(t.key), f"claims storage{where} from {what}, which never exists")
            # (d) stalls: a step reached but never done
            if app.start is not None and not app.start.happened and app.created is not None and app.created.happened:
                self.add("blocked", app.name, "sync", "never starts: " + "; ".join(g.blockers(app.start)))
            for step, reached, done in app.steps:
                if reached.happened and not done.happened:
                    stuck = [t for t in app.tasks if (PHASE_ORDER[t.phase], t.wave) == step and t.healthy is not None and not t.healthy.happened]
                    causes = sorted({c for t in stuck for c in g.blockers(t.healthy)})
                    self.add("stall", app.name, self._step_name(step), f"waits forever for {', '.join(str(t.key) for t in stuck[:4])}{' …' if len(stuck) > 4 else ''}: " + "; ".join(causes))
                    break
            if app.health is not None and not app.health.happened:
                self.add("unhealthy", app.name, "health", "never Healthy: " + "; ".join(g.blockers(app.health, limit=6)))
            # drift under server-side apply
            self._check_drift(app)
        # (c) owners
        for key, owners in sorted(self.owners.items()):
            if len(set(owners)) > 1:
                self.add("owners", ", ".join(sorted(set(owners))), str(key), f"tracked by {len(set(owners))} Applications ({', '.join(sorted(set(owners)))}): each self-heals it back, forever")

    def _late(self, app: App, t: Task, dep: Node, at: Node, rule: str, message: str, tolerated: bool) -> None:
        if not dep.happened:
            self.add(rule, app.name, str(t.key), message.split(",")[0] + ": " + "; ".join(self.g.blockers(dep)))
            return
        self.add("race", app.name, str(t.key), message + (" (absorbed by the Application's retry policy)" if tolerated else ""), tolerated)

    @staticmethod
    def _claims(t: Task) -> list[str | None]:
        if t.key.kind == "ChartWorkloads":
            return [c.get("storageClassName") for c in t.obj.get("claims", [])]
        if t.key.kind == "PersistentVolumeClaim" and t.key.group == "":
            return [dig(t.obj, "spec.storageClassName")]
        return [dig(v, "spec.storageClassName") for v in dig(t.obj, "spec.volumeClaimTemplates") or []] if t.key.kind == "StatefulSet" else []

    def _check_drift(self, app: App) -> None:
        ssa_app = has_option(app.sync_options, "ServerSideApply=true")
        ssd = self.server_side_diff or has_option(annotations(app.obj).get(COMPARE_OPTIONS), "ServerSideDiff=true")
        if ssd:
            return
        for t in app.tasks:
            if t.hook or not (ssa_app or has_option(annotations(t.obj).get(SYNC_OPTIONS), "ServerSideApply=true")):
                continue
            crds = self.crds.get((t.key.group, t.key.kind))
            if not crds:
                continue
            version = group_version(t.obj["apiVersion"])[1]
            schema = next((v["schema"]["openAPIV3Schema"] for v in crds[0]["spec"].get("versions") or [] if v["name"] == version and v.get("schema")), None)
            if schema is None:
                continue
            missing = atomic_defaults_missing(schema.get("properties", {}).get("spec", {}), t.obj.get("spec"), "spec", False)
            if missing:
                self.add("drift", app.name, str(t.key), f"server-side apply without server-side diff: the CRD defaults {', '.join(missing[:4])} inside atomic lists; the tree does not write them, so the object stays OutOfSync and is self-healed forever")

    # ------------------------------------------------------------ reading the result

    def of(self, *rules: str, tolerated: bool = False) -> list[Finding]:
        return [f for f in self.findings if f.rule in rules and f.tolerated == tolerated]

    def timeline(self) -> list[str]:
        """The Applications and steps in the order they can happen (for reading a failure)."""
        out = []
        for app in sorted(self.apps.values(), key=lambda a: bin(a.start.anc).count("1") if a.start else 0):
            status = "Healthy" if app.health and app.health.happened else "not Healthy"
            out.append(f"{app.name} ({', '.join(sorted(set(app.owners)))}) → {status}")
            for step, reached, done in app.steps:
                out.append(f"    {self._step_name(step)}: {'reached' if reached.happened else 'never reached'}, {'done' if done.happened else 'never done'}")
        return out


def selector_matches(sel: dict, labels: dict) -> bool:
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and labels.get(k) in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def atomic_defaults_missing(schema: dict, value: Any, path: str, in_atomic: bool) -> list[str]:
    """Fields the CRD defaults inside atomic lists or maps that ``value`` does not write."""
    out: list[str] = []
    if not isinstance(schema, dict):
        return out
    if schema.get("type") == "array" and isinstance(value, list):
        atomic = schema.get("x-kubernetes-list-type", "atomic") == "atomic"
        for i, item in enumerate(value):
            out += atomic_defaults_missing(schema.get("items") or {}, item, f"{path}[{i}]", in_atomic or atomic)
        return out
    if isinstance(value, dict):
        atomic_map = in_atomic or schema.get("x-kubernetes-map-type") == "atomic"
        for k, sub in (schema.get("properties") or {}).items():
            if k in value:
                out += atomic_defaults_missing(sub, value[k], f"{path}.{k}", atomic_map)
            elif atomic_map and "default" in sub:
                out.append(f"{path}.{k}")
    return out


def simulate(dist: Path, key: str, repo_url: str, gitops_path: str, bootstrap: Bootstrap) -> Simulation:
    repo = GitOpsRepo(repo_url, gitops_path, dist / "kubernetes")
    return Simulation(repo, eks_base(dist, key), bootstrap)


# --------------------------------------------------------------------------- Helm values and CRD schemas


@cache
def _template_text(chart: str, version: str) -> str:
    folder = chart_folder(chart, version) / "templates"
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".yaml", ".yml", ".tpl", ".txt", ".json"))


@cache
def _values_schema(chart: str, version: str) -> dict | None:
    path = chart_folder(chart, version) / "values.schema.json"
    return json.loads(path.read_text()) if path.exists() else None


@cache
def subcharts(chart: str, version: str) -> dict[str, tuple[str, str]]:
    """Dependency name (or alias) -> (chart, version) as the chart's Chart.yaml pins them."""
    path = chart_folder(chart, version) / "Chart.yaml"
    if not path.exists():
        return {}
    deps = (yaml.safe_load(path.read_text()) or {}).get("dependencies") or []
    return {d.get("alias") or d["name"]: (d["name"], str(d.get("version", ""))) for d in deps}


def _referenced(text: str, dotted: str) -> tuple[bool, bool]:
    """(read at all, rendered wholesale) for ``.Values.<dotted>`` (or ``index .Values "a" "b.c"``).

    Wholesale means the template passes the map through (toYaml, omit, merge, range over it,
    or ``with`` it and ``toYaml .``), so any key under it reaches the manifest."""
    parts = dotted.split(".")
    referenced, wholesale = False, False
    for m in re.finditer(r"\.Values\." + re.escape(dotted) + r"(?![\w-])(\.)?", text):
        referenced = True
        if m.group(1) is None:
            before = text[max(0, m.start() - 60):m.start()]
            block = re.split(r"\{\{-?\s*end", text[m.end():m.end() + 300])[0]
            if re.search(r"(toYaml|omit|deepCopy|merge\w*|range\s+\$\w+\s*,\s*\$\w+\s*:=)[\s(]*$", before) or (
                re.search(r"with\s*$", before) and re.search(r"(toYaml|range\s+\$\w+\s*,\s*\$\w+\s*:=)\s+\.(?![\w.])", block)
            ):
                wholesale = True
    for n in range(1, len(parts) + 1):
        head, tail = parts[:n], parts[n:]
        pattern = r"index\s+\.Values" + "".join(r"\." + re.escape(p) for p in head) + "".join(r"\s+\"" + re.escape(p) + r"\"" for p in tail) + r"(?![\w.-])"
        if tail and re.search(pattern, text):
            referenced = True
    return referenced, wholesale


@cache
def chart_keys(chart: str, version: str) -> frozenset[str] | None:
    """The values keys of a pinned chart that is not in CHARTS, extracted from its source (the fixture's header says how)."""
    path = CHART_KEYS / f"{chart}-{version}.txt"
    if not path.exists():
        return None
    return frozenset(ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#"))


def values_key_known(chart: str, version: str, path: tuple[str, ...], parent_defaults: dict | None = None) -> bool:
    """Does the pinned chart read ``path`` (values.yaml, values.schema.json, templates, subcharts)?"""
    if path[0] == "global":
        return True
    keys = chart_keys(chart, version) if not chart_folder(chart, version).is_dir() else None
    if keys is not None:
        dotted = ".".join(path)
        return dotted in keys or any(".".join(path[:i]) + ".*" in keys for i in range(1, len(path)))
    defaults = chart_defaults(chart, version) if parent_defaults is None else parent_defaults
    node: Any = defaults
    for i, k in enumerate(path):
        if isinstance(node, dict) and k in node:
            node = node[k]
            continue
        if i > 0 and (node is None or node == {}):
            return True  # a free-form map the chart passes through (annotations: {})
        break
    else:
        return True
    schema = _values_schema(chart, version)
    if schema is not None and _schema_has(schema, schema, path):
        return True
    text = _template_text(chart, version)
    for j in range(len(path), 0, -1):
        referenced, wholesale = _referenced(text, ".".join(path[:j]))
        if referenced and (j == len(path) or (wholesale and isinstance(dig(defaults, ".".join(path[:j]), {}), (dict, type(None))))):
            return True
    sub = subcharts(chart, version).get(path[0])
    if sub and sub[1] not in SUBCHART_RESOLVED.get((chart, version, path[0]), (sub[1],)):
        sub = (sub[0], SUBCHART_RESOLVED[(chart, version, path[0])][0])
    if sub and len(path) > 1 and (chart_folder(*sub).is_dir() or chart_keys(*sub) is not None):
        return values_key_known(sub[0], sub[1], path[1:])
    if sub and len(path) > 1 and path[1] in UNPINNED_SUBCHART_KEYS.get((chart, path[0]), ()):
        return True
    return False


def _schema_has(root: dict, schema: dict, path: tuple[str, ...]) -> bool:
    while "$ref" in schema:
        ref = schema["$ref"]
        node: Any = root
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
    if not path:
        return True
    props = schema.get("properties")
    if props and path[0] in props:
        return _schema_has(root, props[path[0]], path[1:])
    extra = schema.get("additionalProperties")
    if props is None and schema.get("type") in ("object", None) and extra is not False:
        return True  # a map the schema leaves free-form
    return isinstance(extra, dict) or extra is True


def value_paths(values: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf path a values tree sets (lists and empty maps are leaves)."""
    if isinstance(values, dict) and values:
        return [p for k, v in values.items() for p in value_paths(v, prefix + (str(k),))]
    return [prefix] if prefix else []


def unknown_values(install: ChartInstall) -> list[str]:
    return [".".join(p) for p in value_paths(install.values) if not values_key_known(install.chart, install.version, p)]


def values_schema_errors(install: ChartInstall) -> list[str]:
    """Helm validates the coalesced values against values.schema.json and refuses to render."""
    import jsonschema

    schema = _values_schema(install.chart, install.version)
    if schema is None:
        return []
    cls = jsonschema.validators.validator_for(schema)
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in cls(schema).iter_errors(install.effective)]


def crd_schema(crd: dict, version: str) -> dict | None:
    """The openAPIV3Schema of a served version of a CRD, or None if the version is not served."""
    for v in crd["spec"].get("versions") or []:
        if v["name"] == version and v.get("served", True):
            return (v.get("schema") or {}).get("openAPIV3Schema") or crd["spec"].get("validation", {}).get("openAPIV3Schema")
    return None


# --------------------------------------------------------------------------- the example's simulations (cached per session)

PATHS = ("pulumi", "kubectl")


@cache
def pulumi_resources(plan_dir: Path) -> dict[str, list]:
    """The Pulumi program's resources per environment, run offline under mocks."""
    from constructs_lib.plan import load_plan
    from stacks.pulumi_preview import offline_program, run_offline

    return {env: run_offline(offline_program(plan_dir, env), stack=env).resources for env in load_plan(plan_dir).environments}


def cluster_keys(dist: Path) -> list[str]:
    return sorted(p.name for p in (dist / "kubernetes").iterdir() if p.is_dir())


@cache
def simulations(dist: Path, plan_dir: Path) -> dict[tuple[str, str], Simulation]:
    """Every cluster of ``dist`` on both bootstrap paths: (cluster, "pulumi" | "kubectl") -> Simulation."""
    from constructs_lib.plan import load_plan

    gitops = load_plan(plan_dir).platform.gitops
    resources = pulumi_resources(plan_dir)
    folder = documented_kubectl_folder(ROOT / "docs" / "gitops.md")
    out = {}
    for key in cluster_keys(dist):
        env = next((e for e, rs in resources.items() if any(r.typ == "pulumi:providers:kubernetes" and r.name == f"{key}-cluster" for r in rs)), None)
        if env is None:
            raise AssertionError(f"no Pulumi stack bootstraps cluster {key}")
        out[(key, "pulumi")] = simulate(dist, key, gitops.repo_url, gitops.path, pulumi_bootstrap(resources[env], key))
        out[(key, "kubectl")] = simulate(dist, key, gitops.repo_url, gitops.path, kubectl_bootstrap(dist / "kubernetes" / key, folder))
    return out
