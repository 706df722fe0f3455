"""Custom tenant apps as Kustomize: ``apps/<app>/base`` (environment-neutral) and
``apps/<app>/overlays/<env>`` (image tag, environment label, the Ingress of the app's hostname in
the environment's domain, ExternalSecret of the environment's database credentials). Values come from the resolved model."""

from __future__ import annotations

from typing import Any

from ..resolve.gitops import AppSpec, restricted_container_security_context
from . import external_secrets


def _labels(s: AppSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": s.app.name, "app.kubernetes.io/managed-by": "infraplan", "infraplan.io/tenant": s.tenant}


def _selector(s: AppSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": s.app.name}


def deployment(s: AppSpec) -> dict[str, Any]:
    a = s.app
    probe = {"httpGet": {"path": a.health_path, "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 2}
    container: dict[str, Any] = {
        "name": a.name,
        "image": a.image,  # the tag is pinned per environment by the overlay's `images`
        "ports": [{"name": "http", "containerPort": a.port, "protocol": "TCP"}],
        "readinessProbe": {**probe, "failureThreshold": 3},
        "livenessProbe": {**probe, "initialDelaySeconds": 10, "failureThreshold": 6},
        "resources": {"requests": {"cpu": a.cpu, "memory": a.memory}, "limits": {"memory": a.memory}},
        "securityContext": restricted_container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if s.database_secret_target:
        container["envFrom"] = [{"secretRef": {"name": s.database_secret_target}}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": a.name, "namespace": a.namespace, "labels": _labels(s)},
        "spec": {
            "replicas": a.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": _selector(s)},
            "template": {
                "metadata": {"labels": _labels(s)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def service(s: AppSpec) -> dict[str, Any]:
    a = s.app
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": a.name, "namespace": a.namespace, "labels": _labels(s)},
        "spec": {"type": "ClusterIP", "selector": _selector(s), "ports": [{"name": "http", "port": a.port, "targetPort": "http", "protocol": "TCP"}]},
    }


def ingress(s: AppSpec) -> dict[str, Any] | None:
    a = s.app
    if not a.host:
        return None
    meta: dict[str, Any] = {"name": a.name, "namespace": a.namespace, "labels": _labels(s)}
    spec: dict[str, Any] = {
        "ingressClassName": s.ingress_class,
        "rules": [{"host": a.host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": a.name, "port": {"name": "http"}}}}]}}],
    }
    if s.cluster_issuer:
        meta["annotations"] = {"cert-manager.io/cluster-issuer": s.cluster_issuer}
        spec["tls"] = [{"hosts": [a.host], "secretName": s.tls_secret}]
    if s.ingress_class is None:
        del spec["ingressClassName"]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def external_secret(s: AppSpec) -> dict[str, Any] | None:
    a = s.app
    if not (a.database_secret and s.secret_store and s.database_secret_target):
        return None
    return external_secrets.external_secret(
        name=s.database_secret_target,
        namespace=a.namespace,
        labels=_labels(s),
        store=s.secret_store,
        data_from=external_secrets.extract(a.database_secret),
        annotations=external_secrets.credentials_version_annotation(s.credentials_version),
        api_version=s.external_secrets_api,
    )


def base_files(s: AppSpec) -> dict[str, dict]:
    return {"deployment.yaml": deployment(s), "service.yaml": service(s)}


def overlay(s: AppSpec) -> tuple[dict[str, Any], dict[str, dict]]:
    """The overlay's kustomization (without ``resources`` files list) and its own objects."""
    objs: dict[str, dict] = {}
    ing = ingress(s)  # its hostname lies in the environment's domain (resolved): the overlay's, not the base's
    if ing:
        objs["ingress.yaml"] = ing
    es = external_secret(s)
    if es:
        objs["externalsecret.yaml"] = es
    kust: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../../base", *sorted(objs)],
        "labels": [{"pairs": {"infraplan.io/environment": s.environment}, "includeSelectors": False, "includeTemplates": True}],
        "images": [{"name": s.app.image, "newTag": s.app.tag}],
    }
    return kust, objs
