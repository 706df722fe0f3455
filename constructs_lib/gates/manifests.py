"""The GitOps tree's gates: every kustomization builds (``kubectl kustomize``), every core object
passes kubernetes-validate (strict), every custom resource the schema of its CRD in the chart
version the tree installs (the shipped copies, ``crd_schemas.py``), with unknown fields refused
as the API server would prune them. Also what the other rules read from a cluster's tree."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import yaml

from .crd_schemas import chart_of_kind, shipped

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def tree_files(cluster_dir: Path) -> Iterator[tuple[str, dict]]:
    """(file relative to the cluster's folder, object) for every object file of a cluster's tree."""
    for path in sorted(cluster_dir.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for obj in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader):
            if isinstance(obj, dict):
                yield str(path.relative_to(cluster_dir)), obj


def kustomize_dirs(cluster_dir: Path) -> list[Path]:
    return sorted(p.parent for p in cluster_dir.rglob("kustomization.yaml"))


HELM_NEEDED = (
    "its helmCharts (deployment_strategy kustomize-only) build only with kubectl kustomize --enable-helm, "
    "which needs helm on PATH and the chart repositories reachable: install helm (https://helm.sh/docs/intro/install/)"
)


def uses_helm(directory: Path) -> bool:
    """A kustomization with a ``helmCharts`` generator: plain ``kubectl kustomize`` refuses it."""
    doc = yaml.load((directory / "kustomization.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    return isinstance(doc, dict) and bool(doc.get("helmCharts"))


def build(directory: Path) -> tuple[Path, subprocess.CompletedProcess]:
    """``kubectl kustomize`` of one folder; with ``--enable-helm`` where its charts need it (and helm is
    installed; without helm the build fails with HELM_NEEDED instead of kustomize's own refusal)."""
    command = ["kubectl", "kustomize", str(directory)]
    if uses_helm(directory):
        if shutil.which("helm") is None:
            return directory, subprocess.CompletedProcess(command, 1, "", HELM_NEEDED)
        command.insert(2, "--enable-helm")
    return directory, subprocess.run(command, capture_output=True, text=True, timeout=300)


def build_all(cluster_dir: Path, workers: int = 4) -> tuple[dict[Path, list[dict]], list[str]]:
    """The objects each kustomization under ``cluster_dir`` builds to, and the builds that failed."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(build, kustomize_dirs(cluster_dir)))
    built, failed = {}, []
    for d, proc in results:
        where = d.relative_to(cluster_dir.parent)
        if proc.returncode != 0:
            failed.append(f"{where}: kubectl kustomize failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
        else:
            built[d] = [o for o in yaml.load_all(proc.stdout, Loader=_Loader) if isinstance(o, dict)]
    return built, failed


def group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


CORE_GROUPS = {
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
    "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io", "admissionregistration.k8s.io",
    "apiextensions.k8s.io", "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "events.k8s.io",
}  # fmt: skip


def chart_versions(objects: list[dict]) -> dict[str, str]:
    """The Helm charts a tree's Applications install: chart -> targetRevision."""
    out: dict[str, str] = {}
    for obj in objects:
        if obj.get("kind") != "Application":
            continue
        spec = obj.get("spec") or {}
        for source in [spec.get("source") or {}, *(spec.get("sources") or [])]:
            if source.get("chart"):
                out[source["chart"]] = str(source.get("targetRevision", ""))
    return out


def strict(schema: Any) -> Any:
    """Deny unknown fields wherever the schema lists properties and does not preserve unknown fields."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@cache
def _validator(chart: str, version: str, key: str) -> Any:
    import jsonschema

    schema = strict(copy.deepcopy((shipped(chart, version) or {})[key]))
    return jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)(schema)


def custom_resource_problems(obj: dict, charts: dict[str, str], fallback: dict[str, str]) -> list[str]:
    """Problems of a custom resource against the CRD schema of the chart version that serves its kind
    (the tree's own Application's version, else ``fallback``: the catalog's pin)."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    group = group_of(api_version)
    chart = chart_of_kind(group, kind)
    if chart is None:
        return [f"{api_version} {kind}: infraplan ships no CRD schema for this kind"]
    version = charts.get(chart) or fallback.get(chart, "")
    schemas = shipped(chart, version)
    if schemas is None:
        return [f"{kind}: infraplan ships no CRD schemas for {chart} {version}"]
    key = f"{api_version}/{kind}"
    if key not in schemas:
        served = sorted(k.rsplit("/", 1)[0] for k in schemas if k.endswith(f"/{kind}"))
        return [f"{kind}: {api_version} is not served by {chart} {version} (served: {', '.join(served)})"]
    errors = sorted(_validator(chart, version, key).iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{kind} {(obj.get('metadata') or {}).get('name')}: {'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in errors[:5]]


def core_problems(obj: dict, kubernetes_version: str) -> list[str]:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')}: {'.'.join(str(p) for p in e.path) or '(top)'}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{obj.get('apiVersion')} {obj.get('kind')}: not a Kubernetes {kubernetes_version} kind"]
    return []


def kubernetes_validate_version(plan_version: str) -> str:
    """The schema set kubernetes-validate checks against: the plan's version, or its newest if it has none yet."""
    from kubernetes_validate import utils

    wanted = f"{plan_version}.0"
    return wanted if wanted in utils.all_versions() else utils.latest_version()


def validate_cluster(cluster_dir: Path, kubernetes_version: str, catalog: dict[str, str]) -> tuple[list[str], int]:
    """(problems, objects checked) of one cluster's tree: builds, core objects, custom resources."""
    built, problems = build_all(cluster_dir)
    objects: dict[str, tuple[str, dict]] = {}
    for d, objs in built.items():
        for obj in objs:
            objects.setdefault(json.dumps(obj, sort_keys=True), (str(d.relative_to(cluster_dir.parent)), obj))
    everything = [o for _, o in objects.values()]
    charts = chart_versions(everything)
    for where, obj in objects.values():
        if group_of(obj.get("apiVersion", "")) in CORE_GROUPS:
            found = core_problems(obj, kubernetes_version)
        else:
            found = custom_resource_problems(obj, charts, catalog)
        problems += [f"{where}: {p}" for p in found]
    return problems, len(objects)
