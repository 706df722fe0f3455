"""Every resource, data source, ephemeral resource, attribute and block that infraplan emits exists in
the real AWS provider schema (`terraform providers schema -json`), required
attributes are present and value types match."""

from __future__ import annotations

from pathlib import Path

from conftest import load_stack
from constructs_lib.gates.terraform import check_block, schema_problems  # the product's check (infraplan check's provider-schema rule)

__all__ = ["check_block", "schema_problems"]  # test_examples and test_multi_region use them from here


def test_every_emitted_attribute_is_in_the_provider_schema(example_synth: Path, aws_schema: dict) -> None:
    seen_types: set[str] = set()
    problems = schema_problems(example_synth, aws_schema, seen_types)
    assert not problems, "\n".join(problems)
    # The check covered the whole construct library, not a corner of it.
    for expected in (
        "resource.aws_vpc",
        "resource.aws_eks_cluster",
        "resource.aws_eks_node_group",
        "resource.aws_db_instance",
        "resource.aws_s3_bucket",
        "resource.aws_dynamodb_table",
        "resource.aws_iam_openid_connect_provider",
        "resource.aws_secretsmanager_secret_version",
        "data.aws_vpc",
        "data.aws_db_instance",
        "ephemeral.aws_secretsmanager_random_password",
    ):
        assert expected in seen_types


def test_the_checker_catches_wrong_names_types_and_missing_required(aws_schema: dict) -> None:
    block = aws_schema["resource_schemas"]["aws_vpc"]["block"]
    assert check_block(block, {"cidr_block": "10.0.0.0/16"}, "vpc") == []
    assert any("no such attribute" in p for p in check_block(block, {"cidr": "10.0.0.0/16"}, "vpc"))
    assert any("does not match type" in p for p in check_block(block, {"enable_dns_support": "yes"}, "vpc"))
    sg = aws_schema["resource_schemas"]["aws_db_subnet_group"]["block"]
    assert any("required attribute missing" in p for p in check_block(sg, {"name": "x"}, "sg"))


def test_api_access_rules_and_pinned_node_releases_are_in_the_provider_schema(plan_copy: Path, aws_schema: dict, tmp_path: Path) -> None:
    """What the example plan leaves out (CIDR and security group sources of cluster.api_access,
    a pinned AMI release) against the schema too, with the log group's adoption lookup."""
    from conftest import edit_yaml
    from constructs_lib.plan import load_plan
    from stacks.synth import synthesize

    version = load_plan(plan_copy).platform.kubernetes.version

    def change(d: dict) -> None:
        d["cluster"]["api_access"] = {"vpc": True, "cidrs": ["100.96.0.0/16"], "security_group_ids": ["sg-0123456789abcdef0"]}
        d["cluster"]["node_groups"][0]["release_version"] = f"{version}.3-20250101"

    edit_yaml(plan_copy / "dev.yaml", change)
    out = tmp_path / "dist"
    synthesize(plan_copy, out, envs=["dev"])
    seen: set[str] = set()
    assert not (problems := schema_problems(out, aws_schema, seen)), "\n".join(problems)
    stack = load_stack(out, "dev-platform")
    rules = stack["resource"]["aws_vpc_security_group_ingress_rule"].values()
    assert {"cidr_ipv4", "referenced_security_group_id"} <= {k for r in rules for k in r}
    assert [g["release_version"] for g in stack["resource"]["aws_eks_node_group"].values()] == [f"{version}.3-20250101"]
    assert "data.aws_cloudwatch_log_groups" in seen
