"""Validation of the synthesized GitOps tree with the real tools:

- every kustomization builds with ``kubectl kustomize``;
- every core Kubernetes object passes kubernetes-validate (strict) for the
  plan's Kubernetes version;
- every ArgoCD Application, AppProject and ApplicationSet validates against the
  ArgoCD CRD schemas in ``../shared/schemas/argocd/`` with unknown fields denied;
- custom resources kubernetes-validate cannot know are listed explicitly and get
  an apiVersion/kind/metadata.name check.
"""

from __future__ import annotations

import copy
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from conftest import SHARED
from constructs_lib.gates.manifests import strict  # the rule infraplan check applies: one copy
from constructs_lib.plan import load_plan

ARGOCD_SCHEMAS = SHARED / "schemas" / "argocd"
ARGOCD_KINDS = {"Application": "application-crd.yaml", "AppProject": "appproject-crd.yaml", "ApplicationSet": "applicationset-crd.yaml"}
# Custom resources of the add-ons: not known to kubernetes-validate, no CRD schema here.
CUSTOM_KINDS = {
    "ClusterIssuer": "cert-manager.io/v1",
    "ClusterSecretStore": "external-secrets.io/v1",
    "ExternalSecret": "external-secrets.io/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
}
METADATA_KEYS = {"name", "namespace", "labels", "annotations", "finalizers"}


def _kustomize_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("kustomization.yaml"))


def _build(d: Path) -> tuple[Path, subprocess.CompletedProcess]:
    return d, subprocess.run(["kubectl", "kustomize", str(d)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def builds(example_synth: Path) -> dict[Path, str]:
    dirs = _kustomize_dirs(example_synth / "kubernetes")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_build, dirs))
    failed = [f"{d.relative_to(example_synth)}:\n{r.stderr}" for d, r in results if r.returncode != 0]
    assert not failed, "kubectl kustomize failed:\n" + "\n".join(failed)
    return {d: r.stdout for d, r in results}


def test_every_kustomization_builds(builds: dict[Path, str], example_synth: Path):
    k8s = example_synth / "kubernetes"
    assert len(builds) > 50
    # every object file is reachable from a kustomization in its folder
    for path in k8s.rglob("*.yaml"):
        if path.name == "kustomization.yaml":
            continue
        kust = yaml.safe_load((path.parent / "kustomization.yaml").read_text())
        assert path.name in kust["resources"], f"{path.relative_to(k8s)} is not listed in its kustomization"
    # the roots ArgoCD syncs build to what they should hold
    for cluster in (p for p in k8s.iterdir()):
        kinds = {d["kind"] for d in yaml.safe_load_all(builds[cluster / "bootstrap"]) if d}
        assert {"Application", "AppProject", "Namespace", "NetworkPolicy", "ResourceQuota", "StorageClass"} <= kinds
        root = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(builds[cluster / "argocd"]) if d}
        assert {("Application", "bootstrap"), ("Application", "infrastructure"), ("ApplicationSet", "apps"), ("AppProject", "default")} <= root
        assert {kind for kind, _ in root} == {"Application", "ApplicationSet", "AppProject", "Secret"}
        applied_once = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(builds[cluster / "root"]) if d}
        assert applied_once == {("AppProject", "platform"), ("Application", "root")}


def _objects(example_synth: Path, builds: dict[Path, str]) -> list[tuple[str, dict]]:
    """Every object file, plus the built app overlays (where the image tag is set)."""
    out = []
    k8s = example_synth / "kubernetes"
    for path in sorted(k8s.rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            out.append((str(path.relative_to(k8s)), yaml.safe_load(path.read_text())))
    for d, text in builds.items():
        if d.parent.name == "overlays":
            out += [(f"{d.relative_to(k8s)} (built)", o) for o in yaml.safe_load_all(text) if o]
    return out


def test_core_manifests_pass_kubernetes_validate(example_synth: Path, example_plan: Path, builds):
    version = load_plan(example_plan).platform.kubernetes.version
    seen: dict[str, int] = {}
    for where, obj in _objects(example_synth, builds):
        kind = obj["kind"]
        seen[kind] = seen.get(kind, 0) + 1
        if kind in ARGOCD_KINDS:
            continue  # validated against the CRD schemas below
        if kind in CUSTOM_KINDS:
            assert obj["apiVersion"] == CUSTOM_KINDS[kind], where
            assert obj["metadata"]["name"], where
            assert isinstance(obj.get("spec"), dict) and obj["spec"], where
            continue
        try:
            kubernetes_validate.validate(obj, f"{version}.0", strict=True)
        except kubernetes_validate.ValidationError as e:  # pragma: no cover - the message is the point
            pytest.fail(f"{where}: {e.message} at {list(e.path)}")
    for kind in ("Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "RoleBinding", "Deployment", "Service", "Ingress", "Secret"):
        assert seen.get(kind), f"no {kind} synthesized"


@cache
def _argocd_validator(kind: str) -> jsonschema.protocols.Validator:
    crd = yaml.safe_load((ARGOCD_SCHEMAS / ARGOCD_KINDS[kind]).read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def test_argocd_objects_validate_against_crds(example_synth: Path, builds):
    if not ARGOCD_SCHEMAS.is_dir():
        pytest.skip(f"ArgoCD CRD schemas not found at {ARGOCD_SCHEMAS} (present in CI: ../shared/schemas/argocd/)")
    count = 0
    for where, obj in _objects(example_synth, builds):
        if obj["kind"] not in ARGOCD_KINDS:
            continue
        assert obj["apiVersion"] == "argoproj.io/v1alpha1", where
        assert set(obj["metadata"]) <= METADATA_KEYS and obj["metadata"]["namespace"] == "argocd", where
        errors = sorted(_argocd_validator(obj["kind"]).iter_errors(obj), key=lambda e: list(e.path))
        assert not errors, f"{where}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        count += 1
    assert count >= 4 * (3 + 3 + 5)  # per cluster at least: 3 roots, 2+ projects, 5 add-on Applications


def test_strict_schema_rejects_unknown_fields():
    if not ARGOCD_SCHEMAS.is_dir():
        pytest.skip(f"ArgoCD CRD schemas not found at {ARGOCD_SCHEMAS}")
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {"project": "p", "destination": {"server": "https://kubernetes.default.svc"}, "source": {"repoURL": "https://x", "chart": "c", "targetRevision": "1.0.0", "helmm": {}}},
    }
    assert any("helmm" in e.message for e in _argocd_validator("Application").iter_errors(app))
    app["spec"]["source"] = {"repoURL": "https://x", "chart": "c", "targetRevision": "1.0.0", "helm": {"valuesObject": {"any": {"thing": 1}}}}
    assert not list(_argocd_validator("Application").iter_errors(app))
