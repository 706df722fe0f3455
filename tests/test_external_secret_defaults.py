"""ExternalSecrets are a fixed point of the API server's defaulting (#11 convergence 3).

external-secrets 0.17's CRD defaults fields inside ``dataFrom[]``, an atomic list. An
object that leaves them out is changed by the API server on every apply, ArgoCD sees the
Application OutOfSync, self-heals every few minutes and runs its PostSync hooks (the
database bootstrap Jobs) again each time. Here every ExternalSecret of the tree is put
through the structural defaulting of the pinned CRD, which must change nothing."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from conftest import SHARED

CRDS = SHARED / "charts/external-secrets-0.17.0-crds/bundle.yaml"


def default(value, schema: dict):
    """Kubernetes structural defaulting: a missing property with a default gets it (recursively)."""
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                value[key] = default(value[key], sub)
    elif isinstance(value, list) and "items" in schema:
        value = [default(item, schema["items"]) for item in value]
    return value


@pytest.fixture(scope="module")
def schema() -> dict:
    if not CRDS.exists():
        pytest.fail(f"the pinned external-secrets CRDs are missing: {CRDS}")
    for doc in yaml.safe_load_all(CRDS.read_text()):
        if doc and doc.get("kind") == "CustomResourceDefinition" and doc["spec"]["names"]["kind"] == "ExternalSecret":
            return next(v for v in doc["spec"]["versions"] if v["name"] == "v1")["schema"]["openAPIV3Schema"]
    raise AssertionError("no ExternalSecret CRD in the bundle")


def test_defaulting_leaves_every_external_secret_unchanged(example_synth: Path, schema: dict) -> None:
    found = 0
    for path in sorted((example_synth / "kubernetes").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not (doc and doc.get("kind") == "ExternalSecret"):
                continue
            found += 1
            assert default(copy.deepcopy(doc), schema) == doc, f"{path.relative_to(example_synth)}: the API server would add defaults ArgoCD then sees as drift"
    assert found >= 6  # the apps' database credentials and the database bootstrap's
