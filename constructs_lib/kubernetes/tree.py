"""The GitOps tree: ``kubernetes/<cluster>/...``, as a mapping of relative path -> file text."""

from __future__ import annotations

from ..resolve.model import ResolvedEnvironment
from . import namespaces
from .yaml_out import dump


def kustomization(resources: list[str]) -> str:
    return dump({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": sorted(resources)})


def render_environment(env: ResolvedEnvironment, only_tenants: set[str] | None = None) -> dict[str, str]:
    files: dict[str, str] = {}
    for cluster, tenants in env.clusters:
        tenants = tuple(t for t in tenants if only_tenants is None or t.name in only_tenants)
        if cluster is not env.cluster and not tenants:
            continue  # a dedicated cluster whose tenant was not selected
        base = f"{cluster.key}/bootstrap/namespaces"
        dirs = []
        for tenant in tenants:
            for ns in tenant.namespaces:
                files[f"{base}/{ns}/namespace.yaml"] = dump(namespaces.namespace(tenant, ns))
                files[f"{base}/{ns}/kustomization.yaml"] = kustomization(["namespace.yaml"])
                dirs.append(ns)
        files[f"{base}/kustomization.yaml"] = kustomization(dirs)
    return files
