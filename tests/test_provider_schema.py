"""Every resource, data source, ephemeral resource, attribute and block that infraplan emits exists in
the real AWS provider schema (`terraform providers schema -json`), required
attributes are present and value types match."""

from __future__ import annotations

from pathlib import Path
from typing import Any


from conftest import load_stack


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _type_ok(value: Any, type_: Any) -> bool:
    if _is_reference(value):
        return True
    if isinstance(type_, str):
        if type_ == "string":
            return isinstance(value, str)
        if type_ == "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if type_ == "bool":
            return isinstance(value, bool)
        if type_ == "dynamic":
            return True
        return False
    kind, inner = type_[0], type_[1]
    if kind in ("list", "set"):
        return isinstance(value, list) and all(_type_ok(v, inner) for v in value)
    if kind == "map":
        return isinstance(value, dict) and all(_type_ok(v, inner) for v in value.values())
    if kind == "object":
        return isinstance(value, dict) and all(k in inner and _type_ok(v, inner[k]) for k, v in value.items())
    return False


META = {"//", "provider", "depends_on", "lifecycle", "count", "for_each"}


def check_block(block: dict, values: dict, where: str) -> list[str]:
    problems = []
    attrs = block.get("attributes", {})
    blocks = block.get("block_types", {})
    for key, value in values.items():
        if key in META:
            continue
        if key in attrs:
            spec = attrs[key]
            if spec.get("computed") and not (spec.get("optional") or spec.get("required")):
                problems.append(f"{where}.{key}: read-only attribute set")
            if spec.get("deprecated"):
                problems.append(f"{where}.{key}: deprecated attribute")
            if not _type_ok(value, spec["type"]):
                problems.append(f"{where}.{key}: {value!r} does not match type {spec['type']}")
        elif key in blocks:
            nested = blocks[key]
            items = value if isinstance(value, list) else [value]
            if nested["nesting_mode"] in ("single", "list", "set") and nested.get("max_items") and len(items) > nested["max_items"]:
                problems.append(f"{where}.{key}: {len(items)} blocks, at most {nested['max_items']}")
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    problems.append(f"{where}.{key}[{i}]: a block must be a mapping")
                    continue
                problems += check_block(nested["block"], item, f"{where}.{key}[{i}]")
        else:
            problems.append(f"{where}.{key}: no such attribute or block (known: {', '.join(sorted([*attrs, *blocks]))})")
    for key, spec in attrs.items():
        if spec.get("required") and key not in values:
            problems.append(f"{where}.{key}: required attribute missing")
    for key, nested in blocks.items():
        if nested.get("min_items") and len(values.get(key, [])) < nested["min_items"]:
            problems.append(f"{where}.{key}: at least {nested['min_items']} block(s) required")
    return problems


def schema_problems(out: Path, aws_schema: dict, seen_types: set[str] | None = None) -> list[str]:
    """Every problem of every stack under ``out`` against the provider schema."""
    problems: list[str] = []
    seen_types = set() if seen_types is None else seen_types
    for name in sorted(p.name for p in (out / "terraform/stacks").iterdir()):
        stack = load_stack(out, name)
        for kind, section in (("resource", "resource_schemas"), ("data", "data_source_schemas"), ("ephemeral", "ephemeral_resource_schemas")):
            for type_, items in stack.get(kind, {}).items():
                seen_types.add(f"{kind}.{type_}")
                if type_ not in aws_schema[section]:
                    problems.append(f"{name}: {kind} type {type_} does not exist")
                    continue
                for logical, values in items.items():
                    problems += check_block(aws_schema[section][type_]["block"], values, f"{name}: {type_}.{logical}")
        for provider in stack["provider"]["aws"]:
            problems += check_block(aws_schema["provider"]["block"], provider, f"{name}: provider.aws")
    return problems


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
