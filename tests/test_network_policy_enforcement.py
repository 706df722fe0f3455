"""The tree never relies on a NetworkPolicy the cluster does not enforce (#11 isolation 1).

Every cluster whose GitOps folder holds NetworkPolicies runs the VPC CNI with its network
policy agent on; without ``enableNetworkPolicy`` the API server accepts the policies and
nothing enforces them, so any pod could reach the shared database."""

from __future__ import annotations

import json
from pathlib import Path

from constructs_lib.addons import EKS_ADDONS
from constructs_lib.plan import load_plan
from constructs_lib.resolve.cluster import eks_addon_versions


def _eks_addons(example_synth: Path) -> dict[str, dict[str, dict]]:
    """cluster name -> EKS add-on name -> its aws_eks_addon block, from every stack."""
    out: dict[str, dict[str, dict]] = {}
    for stack in (example_synth / "terraform/stacks").iterdir():
        doc = json.loads((stack / "cdk.tf.json").read_text())
        clusters = {f"${{aws_eks_cluster.{k}.name}}": c["name"] for k, c in doc.get("resource", {}).get("aws_eks_cluster", {}).items()}
        for addon in doc.get("resource", {}).get("aws_eks_addon", {}).values():
            out.setdefault(clusters[addon["cluster_name"]], {})[addon["addon_name"]] = addon
    return out


def test_every_cluster_with_network_policies_enforces_them(example_synth: Path, example_plan: Path) -> None:
    addons = _eks_addons(example_synth)
    platform = load_plan(example_plan).platform.name
    k8s = example_synth / "kubernetes"
    checked = 0
    for folder in sorted(k8s.iterdir()):
        policies = [p for p in folder.rglob("networkpolicy-*.yaml")]
        if not policies:
            continue
        cluster = f"{platform}-{folder.name}"  # names.cluster_name: <platform>-<cluster key>
        cni = addons[cluster]["vpc-cni"]
        assert json.loads(cni["configuration_values"])["enableNetworkPolicy"] == "true", f"{folder.name}: {len(policies)} NetworkPolicies, none enforced"
        checked += 1
    assert checked == 4  # dev, staging, prod, prod-org-c


def test_every_registered_eks_add_on_is_pinned_for_every_kubernetes_version() -> None:
    """A registered add-on missing from eks_addons.yaml would silently not be installed."""
    from constructs_lib.plan.base import catalog

    for version in catalog("eks_addons.yaml"):
        assert set(EKS_ADDONS) <= set(eks_addon_versions(str(version))), version
