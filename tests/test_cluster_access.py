"""The cluster on a real account (#12 items 1, 3, 4): who reaches the private API endpoint,
node groups that follow the cluster's version, and a control-plane log group that survives a
rebuild. Asserted on the plan checks and on the synthesized Terraform JSON; the moto deploy
test applies the same stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.errors import PlanIssue
from constructs_lib.resolve import names
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps
from tfjson import by_attr, one, resources


def errors_of(plan_dir: Path) -> list[PlanIssue]:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value.issues


def the(issues: list[PlanIssue], text: str) -> PlanIssue:
    found = [i for i in issues if text in i.message]
    assert len(found) == 1, "\n".join(i.render() for i in issues)
    return found[0]


def synth(plan_dir: Path, env: str = "dev") -> dict:
    resolved = {e.name: e for e in resolve_plan(load_plan(plan_dir))}[env]
    return json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), resolved.stack_name, EnvironmentStackProps(resolved))))


def _drop_api_access(d: dict) -> None:
    d["cluster"].pop("api_access")


# --- 1. the private API endpoint --------------------------------------------------------------


def test_a_private_cluster_nothing_can_reach_is_refused_once_in_platform_yaml(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", _drop_api_access)
    issue = the(errors_of(plan_copy), "no cluster.api_access")
    assert Path(issue.file).name == "platform.yaml" and issue.path == "cluster.endpoint_public_access" and issue.line
    assert all(env in issue.message for env in ("dev", "staging", "prod"))
    assert "api_access" in issue.hint and "docs/deploy.md" in issue.hint


def test_an_environment_decides_its_own_api_access(plan_copy: Path) -> None:
    # platform.yaml admits nobody; prod names its VPN, dev and staging a CI runner's group: valid
    edit_yaml(plan_copy / "platform.yaml", _drop_api_access)
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"].update(api_access={"cidrs": ["100.96.0.0/16"]}))
    for env in ("dev", "staging"):
        edit_yaml(plan_copy / f"{env}.yaml", lambda d: d["cluster"].update(api_access={"security_group_ids": ["sg-0123456789abcdef0"]}))
    load_plan(plan_copy)
    # an environment that empties it is blamed in its own file
    edit_yaml(plan_copy / "staging.yaml", lambda d: d["cluster"].update(api_access={}))
    issue = the(errors_of(plan_copy), "admits nobody")
    assert Path(issue.file).name == "staging.yaml" and issue.path == "cluster.api_access"


def test_a_public_endpoint_needs_no_api_access(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", _drop_api_access)
    for env in ("dev", "staging", "prod"):
        edit_yaml(plan_copy / f"{env}.yaml", lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["81.2.69.0/24"]))
    load_plan(plan_copy)


@pytest.mark.parametrize(
    ("access", "path", "words"),
    [
        ({"cidrs": ["81.2.69.0/24"]}, "cluster.api_access.cidrs[0]", "not a private range"),
        ({"cidrs": ["0.0.0.0/0"]}, "cluster.api_access.cidrs[0]", "not a private range"),
        ({"cidrs": ["10.10.0.1/16"]}, "cluster.api_access.cidrs[0]", "host bits"),
        ({"cidrs": ["10.1.0.0/16", "10.1.0.0/16"]}, "cluster.api_access.cidrs[1]", "listed twice"),
        ({"security_group_ids": ["sg-123"]}, "cluster.api_access.security_group_ids[0]", "not a security group id"),
        ({"security_group_ids": ["${aws_security_group.x.id}"]}, "cluster.api_access.security_group_ids[0]", "not a security group id"),
        ({"cidrs": [f"10.{i}.0.0/16" for i in range(61)]}, "cluster.api_access", "over the 60"),
        ({"vpc": "yes"}, "cluster.api_access.vpc", ""),
    ],
)
def test_api_access_sources_are_checked(plan_copy: Path, access: dict, path: str, words: str) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["cluster"].update(api_access=access))
    issues = [i for i in errors_of(plan_copy) if i.path == path]
    assert len(issues) == 1 and Path(issues[0].file).name == "dev.yaml" and words in issues[0].message, issues


def test_api_access_renders_443_rules_on_a_group_of_the_control_plane(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["cluster"].update(api_access={"vpc": True, "cidrs": ["10.99.0.0/16"], "security_group_ids": ["sg-0123456789abcdef0"]}))
    stack = synth(plan_copy)
    group = by_attr(stack, "aws_security_group", "name", names.cluster_api_access_security_group("acme-dev"))
    group_id = next(f"${{aws_security_group.{k}.id}}" for k, v in resources(stack, "aws_security_group").items() if v is group)
    assert "ingress" not in group and "egress" not in group  # rules are their own resources; no egress at all
    assert group["vpc_id"].startswith("${aws_vpc.")
    cluster = one(stack, "aws_eks_cluster")
    assert cluster["vpc_config"][0]["security_group_ids"] == [group_id]
    assert cluster["vpc_config"][0]["endpoint_public_access"] is False
    rules = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if r["security_group_id"] == group_id]
    assert all((r["ip_protocol"], r["from_port"], r["to_port"]) == ("tcp", 443, 443) for r in rules)
    sources = sorted(r.get("cidr_ipv4") or r["referenced_security_group_id"] for r in rules)
    vpc_cidr = next(f"${{aws_vpc.{k}.cidr_block}}" for k in resources(stack, "aws_vpc"))
    assert sources == sorted([vpc_cidr, "10.99.0.0/16", "sg-0123456789abcdef0"])
    # the EKS-managed cluster group (the nodes' too) gets no rule from api_access
    assert not [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if "cluster_security_group_id" in r["security_group_id"]]


def test_the_api_access_group_is_there_even_without_sources(plan_copy: Path) -> None:
    """Attached from the start: adding a source later changes rules, never replaces the cluster."""
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["81.2.69.0/24"], api_access={}))
    stack = synth(plan_copy)
    group = by_attr(stack, "aws_security_group", "name", "acme-dev-api-access")
    assert one(stack, "aws_eks_cluster")["vpc_config"][0]["security_group_ids"] and group
    assert not [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if "api_access" in r["security_group_id"]]


# --- 3. node groups follow the cluster's version ----------------------------------------------


def test_node_groups_follow_the_cluster_version_and_may_pin_an_ami_release(plan_copy: Path) -> None:
    version = load_plan(plan_copy).platform.kubernetes.version
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["cluster"]["node_groups"][0].update(release_version=f"{version}.3-20250101"))
    stack = synth(plan_copy)
    cluster_key = next(iter(resources(stack, "aws_eks_cluster")))
    (group,) = resources(stack, "aws_eks_node_group").values()
    assert group["version"] == f"${{aws_eks_cluster.{cluster_key}.version}}"
    assert group["release_version"] == f"{version}.3-20250101"
    # the launch template has no image_id, without which EKS would refuse a version
    for lt in resources(stack, "aws_launch_template").values():
        assert "image_id" not in lt


def test_an_unpinned_node_group_takes_the_latest_release(example_plan: Path) -> None:
    stack = synth(example_plan)
    for group in resources(stack, "aws_eks_node_group").values():
        assert group["version"].endswith(".version}") and "release_version" not in group


@pytest.mark.parametrize(("release", "words"), [("1.30.3-20250101", "is not one of Kubernetes"), ("20250101", "not an EKS optimized AMI release"), ("1.31.3", "not an EKS optimized AMI release")])
def test_a_release_of_another_version_or_format_is_refused(plan_copy: Path, release: str, words: str) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["cluster"]["node_groups"][0].update(release_version=release))
    issues = [i for i in errors_of(plan_copy) if i.path == "cluster.node_groups[0].release_version"]
    assert len(issues) == 1 and Path(issues[0].file).name == "dev.yaml", issues
    assert words in issues[0].message or words in issues[0].hint, issues[0].render()


# --- 4. the control-plane log group survives a rebuild ------------------------------------------


def test_the_control_plane_log_group_is_adopted_when_eks_recreated_it(example_plan: Path) -> None:
    stack = synth(example_plan)
    name = names.eks_log_group("acme-dev")
    group_key = next(k for k, v in resources(stack, "aws_cloudwatch_log_group").items() if v["name"] == name)
    (lookup_key,) = (k for k, v in stack["data"]["aws_cloudwatch_log_groups"].items() if v["log_group_name_prefix"] == name)
    lookup = f"data.aws_cloudwatch_log_groups.{lookup_key}"
    (block,) = [b for b in stack["import"] if b["to"] == f"aws_cloudwatch_log_group.{group_key}"]
    # imported only when the lookup finds exactly that name (zero or one key), by reference only
    assert block["id"] == f"${{{lookup}.log_group_name_prefix}}"
    assert block["for_each"] == f'${{contains({lookup}.log_group_names, {lookup}.log_group_name_prefix) ? toset(["present"]) : toset([])}}'
    # the cluster is created after its group, so EKS never creates it first
    cluster = one(stack, "aws_eks_cluster")
    assert f"aws_cloudwatch_log_group.{group_key}" in cluster["depends_on"]
    # other log groups (flow logs) are ours alone: no import
    assert len(stack["import"]) == 1
