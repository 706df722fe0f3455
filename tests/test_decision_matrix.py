"""The Deployment Decision Matrix beyond "a chart exists": a chart that needs customization
gets Helm with a values overlay from the plan, and a component with no chart gets
Kustomize + ArgoCD from its own pinned repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import edit_yaml
from constructs_lib.kubernetes.tree import render_environment
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.bootstrap import resolve_bootstrap
from constructs_lib.resolve.environment import resolve_environment
from test_gitops_validate import ARGOCD_SCHEMAS, _argocd_validator

MANIFESTS = {
    "name": "priority-classes",
    "repo_url": "https://github.com/acme/platform-manifests.git",
    "path": "priority-classes",
    "revision": "v1.4.0",
    "namespace": "kube-system",
    "sync_wave": -8,
}


@pytest.fixture
def customized(plan_copy: Path) -> Path:
    def platform(d):
        d["component_values"] = {"ingress-nginx": {"controller": {"replicaCount": 5, "config": {"proxy-body-size": "16m"}}}, "argocd": {"server": {"replicas": 3}}}
        d["manifest_components"] = [MANIFESTS]

    edit_yaml(plan_copy / "platform.yaml", platform)
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(component_values={"ingress-nginx": {"controller": {"config": {"proxy-body-size": "64m"}}}}))
    return plan_copy


def test_values_overlay_is_merged_and_explained(customized: Path) -> None:
    plan = load_plan(customized)
    dev, prod = resolve_environment(plan, "dev"), resolve_environment(plan, "prod")
    ingress_dev, ingress_prod = dev.cluster.addon("ingress-nginx"), prod.cluster.addon("ingress-nginx")
    assert ingress_dev.method == "helm"
    assert ingress_dev.values["controller"]["replicaCount"] == 5  # the plan's overlay wins over the tier default
    assert ingress_dev.values["controller"]["config"]["proxy-body-size"] == "16m"
    assert ingress_dev.values["controller"]["config"]["server-tokens"] == "false"  # infraplan's own value survives the merge
    assert ingress_prod.values["controller"]["config"]["proxy-body-size"] == "64m"  # the environment's overlay comes last
    assert "values overlay from platform.yaml component_values.ingress-nginx" in ingress_prod.reason
    assert "values overlay from prod.yaml component_values.ingress-nginx" in ingress_prod.reason
    app = yaml.safe_load(render_environment(dev)["dev/infrastructure/ingress-nginx/application.yaml"])
    assert app["spec"]["source"]["helm"]["valuesObject"] == ingress_dev.values
    release = next(r for r in resolve_bootstrap(dev).clusters[0].releases if r.addon.component == "argocd")
    assert release.addon.values["server"]["replicas"] == 3  # Pulumi installs the same values the tree would


def test_component_without_chart_is_kustomize_from_its_pinned_repo(customized: Path) -> None:
    env = resolve_environment(load_plan(customized), "dev")
    files = render_environment(env)
    app = yaml.safe_load(files["dev/infrastructure/priority-classes/application.yaml"])
    assert app["spec"]["source"] == {"repoURL": MANIFESTS["repo_url"], "targetRevision": "v1.4.0", "path": "priority-classes"}
    assert app["spec"]["destination"]["namespace"] == "kube-system"
    assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-8"
    assert "priority-classes" in yaml.safe_load(files["dev/infrastructure/kustomization.yaml"])["resources"]
    project = yaml.safe_load(files["dev/root/project-platform.yaml"])
    assert MANIFESTS["repo_url"] in project["spec"]["sourceRepos"]
    decision = next(d for d in env.decisions if d.path == "cluster.addons.priority-classes")
    assert decision.source.ref == "deployment-decision-matrix" and "no chart" in decision.source.reason
    if ARGOCD_SCHEMAS.is_dir():
        errors = sorted(_argocd_validator("Application").iter_errors(app), key=str)
        assert not errors, [e.message for e in errors]


def test_built_infrastructure_tree_includes_the_component(customized: Path, tmp_path: Path) -> None:
    files = render_environment(resolve_environment(load_plan(customized), "dev"))
    for rel, text in files.items():
        if rel.startswith("dev/infrastructure/"):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
    built = subprocess.run(["kubectl", "kustomize", str(tmp_path / "dev/infrastructure")], capture_output=True, text=True, check=True).stdout
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(built) if d and d["kind"] == "Application"]
    assert "priority-classes" in names


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(manifest_components=[{**MANIFESTS, "revision": "main"}]), "is not pinned"),
        (lambda d: d.update(manifest_components=[{**MANIFESTS, "name": "cert-manager"}]), "already the name of a component"),
        (lambda d: (d.update(manifest_components=[MANIFESTS]), d["gitops"].update(tool="none")), "need GitOps"),
    ],
)
def test_bad_manifest_components(plan_copy: Path, change, expected: str) -> None:
    edit_yaml(plan_copy / "platform.yaml", change)
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    assert expected in str(info.value)


def test_overlay_for_an_unknown_component(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(component_values={"ingres-nginx": {"x": 1}}))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    issue = next(i for i in info.value.issues if i.path == "component_values.ingres-nginx")
    assert issue.line and "not a chart component" in issue.message
