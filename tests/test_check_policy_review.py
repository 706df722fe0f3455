"""infraplan check's plan-level rules against mutated synthesized output (review of #14): each
mutation makes the output weaker than the rule's PASS claims, so the rule must name it.

The bundled example's golden output (tests/golden/example/) is the synthesized output mutated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from constructs_lib.gates import policy
from constructs_lib.gates.report import Status
from constructs_lib.gates.runner import CheckContext, run_gate
from constructs_lib.plan import load_plan
from constructs_lib.plan.platform import Gate
from constructs_lib.resolve.environment import resolve_plan

STACKS = Path(__file__).parent / "golden" / "example" / "terraform" / "stacks"


@pytest.fixture
def prod() -> dict[str, dict]:
    return {n: json.loads((STACKS / n / "cdk.tf.json").read_text()) for n in ("prod-state", "prod-platform")}


def _one(stacks: dict[str, dict], type_: str) -> dict:
    [(_, resources)] = [(n, s["resource"][type_]) for n, s in stacks.items() if type_ in s.get("resource", {})][:1]
    return next(iter(resources.values()))


def test_the_unmutated_output_passes(prod: dict[str, dict]) -> None:
    assert policy.public_endpoint_problems(prod) == []
    assert policy.encryption_problems(prod, {}) == []


def test_an_eks_endpoint_whose_public_access_is_left_out_is_public(prod: dict[str, dict]) -> None:
    """The AWS provider's endpoint_public_access defaults to true: leaving it out opens the API to 0.0.0.0/0."""
    vpc = _one(prod, "aws_eks_cluster")["vpc_config"][0]
    del vpc["endpoint_public_access"]
    [problem] = policy.public_endpoint_problems(prod)
    assert "prod-platform: aws_eks_cluster." in problem and "API endpoint is public (from 0.0.0.0/0)" in problem


def test_a_bucket_encrypted_only_with_s3s_own_key_is_not_encrypted_with_the_accounts(prod: dict[str, dict]) -> None:
    config = _one(prod, "aws_s3_bucket_server_side_encryption_configuration")
    config["rule"][0]["apply_server_side_encryption_by_default"] = [{"sse_algorithm": "AES256"}]
    [problem] = policy.encryption_problems(prod, {})
    assert "prod-state: aws_s3_bucket." in problem and "no server-side encryption configuration with the account's key" in problem


def test_node_volumes_left_to_the_ami_or_account_default_are_not_encrypted(prod: dict[str, dict]) -> None:
    """Without block device mappings (or without our launch template) EKS nodes get the AMI's root volume, unencrypted unless the account encrypts by default."""
    del _one(prod, "aws_launch_template")["block_device_mappings"]
    del _one(prod, "aws_eks_node_group")["launch_template"]
    problems = policy.encryption_problems(prod, {})
    assert len(problems) == 2
    assert "prod-platform: aws_launch_template." in problems[0] and "no block_device_mappings" in problems[0]
    assert "prod-platform: aws_eks_node_group." in problems[1] and "no launch_template" in problems[1]


def test_a_kustomize_inflated_chart_must_be_pinned() -> None:
    """kustomize-only: the Application names the plan's Git repository (exempt), the chart version is in helmCharts."""
    chart = {"name": "argo-cd", "repo": "https://argoproj.github.io/argo-helm", "version": "7.9.1", "releaseName": "argocd"}
    kustomization = {"kind": "Kustomization", "helmCharts": [chart]}
    assert policy.pinning_problems("dev", [], [("infrastructure/argocd/chart/kustomization.yaml", kustomization)], None, {}) == []
    chart["version"] = "7.x"
    [problem] = policy.pinning_problems("dev", [], [("infrastructure/argocd/chart/kustomization.yaml", kustomization)], None, {})
    assert problem == "dev/infrastructure/argocd/chart/kustomization.yaml: helmCharts: argo-cd at '7.x', not an exact version"
    del chart["version"]
    [problem] = policy.pinning_problems("dev", [], [("k.yaml", kustomization)], None, {})
    assert "argo-cd at ''" in problem and "latest" in problem


def test_the_pinned_versions_gate_names_a_kustomization_once_by_its_place_in_the_cluster_tree(example_plan: Path, tmp_path: Path) -> None:
    plan = load_plan(example_plan)
    dev = next(e for e in resolve_plan(plan) if e.name == "dev")
    key = dev.clusters[0][0].key
    folder = tmp_path / "kubernetes" / key / "infrastructure" / "argocd" / "chart"
    folder.mkdir(parents=True)
    chart = {"name": "argo-cd", "repo": "https://argoproj.github.io/argo-helm", "version": "7.x", "releaseName": "argocd"}
    (folder / "kustomization.yaml").write_text(yaml.safe_dump({"kind": "Kustomization", "helmCharts": [chart]}))
    result = run_gate(CheckContext(plan, example_plan, tmp_path, tmp_path), dev, Gate(id="pins", description="d", rule="pinned-versions"))
    assert result.status is Status.FAIL
    assert result.details == (f"{key}/infrastructure/argocd/chart/kustomization.yaml: helmCharts: argo-cd at '7.x', not an exact version",)


def test_an_appproject_whitelist_glob_that_admits_a_guardrail_kind_is_found() -> None:
    """ArgoCD matches namespaceResourceWhitelist entries by glob: kind '*Policy' lets a tenant deploy an allow-all NetworkPolicy."""
    ns = "org-a-web"
    project = {"kind": "AppProject", "metadata": {"name": "org-a"}, "spec": {
        "destinations": [{"server": "https://kubernetes.default.svc", "namespace": ns}],
        "namespaceResourceWhitelist": [{"group": "apps", "kind": "Deployment"}, {"group": "networking.k8s.io", "kind": "*Policy"}],
        "namespaceResourceBlacklist": [{"group": "", "kind": "Resource*"}, {"group": "", "kind": "LimitRange"}]}}  # fmt: skip
    tenant = type("Tenant", (), {"name": "org-a", "namespaces": (ns,)})()
    guarded = [
        ("ns.yaml", {"kind": "Namespace", "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
        ("np.yaml", {"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        ("rq.yaml", {"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": ns}}),
        ("lr.yaml", {"kind": "LimitRange", "metadata": {"name": "l", "namespace": ns}}),
    ]
    assert policy.isolation_problems("dev", [*guarded, ("p.yaml", project)], [tenant], argocd=True) == [
        "dev: AppProject org-a: lets the tenant deploy NetworkPolicy (a guardrail of its namespaces)"
    ]
