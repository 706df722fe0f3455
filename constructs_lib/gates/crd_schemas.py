"""The CRD schemas ``infraplan check`` validates custom resources against, shipped as package data.

Why shipped: a user's CI has the plan and infraplan, not the charts' sources, and must not fetch
anything to check a tree. ``scripts/extract_crd_schemas.py`` extracts, from the charts infraplan
pins (their sources at the release tag, ``../shared/charts``), the ``openAPIV3Schema`` of every
served version of the kinds a tree may hold, without the ``description`` texts (they validate
nothing and are most of the size), into ``data/crd_schemas/<chart>-<version>.json``;
``tests/test_check_crd_schemas.py`` fails when the shipped copy differs from a fresh extraction.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# chart -> (the folders under the charts directory holding its CRDs, {version} filled in; the kinds shipped)
SOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "argo-cd": (("argo-cd-{version}/templates/crds/*.yaml",), ("Application", "AppProject", "ApplicationSet")),
    "cert-manager": (("cert-manager-{version}-crds/crd-*.yaml",), ("Certificate", "ClusterIssuer", "Issuer")),
    "external-secrets": (("external-secrets-{version}-crds/bundle.yaml",), ("ClusterSecretStore", "ExternalSecret", "SecretStore")),
    "kube-prometheus-stack": (("kube-prometheus-stack-{version}/charts/crds/crds/crd-*.yaml",), ("PodMonitor", "PrometheusRule", "ServiceMonitor")),
}
# The chart versions shipped: the catalog's pins and the older majors a plan may choose.
VERSIONS: dict[str, tuple[str, ...]] = {
    "argo-cd": ("7.9.1", "8.1.3"),
    "cert-manager": ("v1.17.2",),
    "external-secrets": ("0.10.7", "0.17.0"),
    "kube-prometheus-stack": ("65.8.1", "72.6.2"),
}
PACKAGE = "constructs_lib.data"
FOLDER = "crd_schemas"



class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1's ``=`` (value) tag is text, as Kubernetes reads it (CRD enums list ``=``)."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _documents(text: str) -> list[dict]:
    """The CRDs of a chart file whose only template directives are whole lines ({{- if ... }})."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("{{")]
    return [d for d in yaml.load_all("\n".join(lines), Loader=_Loader) if isinstance(d, dict)]


def _without_descriptions(schema: Any) -> Any:
    """The schema without its description texts; a property called ``description`` stays."""
    if isinstance(schema, dict):
        return {k: _without_descriptions(v) for k, v in schema.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_without_descriptions(v) for v in schema]
    return schema


def extract(charts: Path) -> dict[str, str]:
    """``{file name: JSON text}`` of every shipped chart version, read from the charts' sources under ``charts``."""
    out: dict[str, str] = {}
    for chart, versions in VERSIONS.items():
        patterns, kinds = SOURCES[chart]
        for version in versions:
            schemas: dict[str, Any] = {}
            files = sorted(p for pattern in patterns for p in charts.glob(pattern.format(version=version)))
            if not files:
                raise FileNotFoundError(f"no CRDs of {chart} {version} under {charts}")
            for path in files:
                for crd in _documents(path.read_text(encoding="utf-8")):
                    if crd.get("kind") != "CustomResourceDefinition" or crd["spec"]["names"]["kind"] not in kinds:
                        continue
                    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                    for v in crd["spec"].get("versions") or []:
                        schema = (v.get("schema") or {}).get("openAPIV3Schema")
                        if v.get("served", True) and schema:
                            schemas[f"{group}/{v['name']}/{kind}"] = _without_descriptions(schema)
            missing = {k for k in kinds if not any(key.endswith(f"/{k}") for key in schemas)}
            if missing:
                raise ValueError(f"{chart} {version} serves no {', '.join(sorted(missing))}")
            out[f"{chart}-{version}.json"] = json.dumps(schemas, sort_keys=True, separators=(",", ":")) + "\n"
    return out


@cache
def shipped(chart: str, version: str) -> dict[str, Any] | None:
    """``{group/version/Kind: openAPIV3Schema}`` of a chart version infraplan ships, or None."""
    path = resources.files(PACKAGE).joinpath(FOLDER).joinpath(f"{chart}-{version}.json")
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def chart_of_kind(group: str, kind: str) -> str | None:
    """The chart whose CRDs serve ``group``'s ``kind`` (by the shipped kinds), or None."""
    for chart, (_, kinds) in SOURCES.items():
        if kind in kinds and any(f"{group}/" in key and key.endswith(f"/{kind}") for v in VERSIONS[chart] for key in (shipped(chart, v) or {})):
            return chart
    return None
