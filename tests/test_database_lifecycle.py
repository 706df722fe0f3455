"""The database survives upgrades and rebuilds on real AWS (#12, breaks 2 and 4, below-defaults 4).

Asserted on the plan checks, the resolved model and the synthesized Terraform JSON: moto
accepts a fixed final-snapshot name twice, a secret name during its recovery window, any
parameter group for any engine version, and creates no RDS log groups, so none of these
could fail there (docs/deploy.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.errors import PlanIssue
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps, TenantStack, TenantStackProps
from tfjson import by_attr, one, resources


def errors_of(plan_dir: Path) -> list[PlanIssue]:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value.issues


def pinned(issues: list[PlanIssue]) -> list[PlanIssue]:
    return [i for i in issues if "pins a minor" in i.message]


def platform_json(env) -> dict:
    return json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(env))))


def tenant_json(env, tenant: str) -> dict:
    t = env.tenant(tenant)
    return json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), t.stack_name, TenantStackProps(env, t))))


@pytest.fixture(scope="module")
def envs(example_plan: Path):
    return {e.name: e for e in resolve_plan(load_plan(example_plan))}


@pytest.fixture(scope="module")
def stacks(envs) -> dict[str, dict]:
    return {name: platform_json(env) for name, env in envs.items()}


# --- Breaks 2: the PostgreSQL version ---------------------------------------------------------


def test_a_pinned_minor_with_automatic_minor_upgrades_is_refused_where_it_is_written(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["database"].update(engine_version="16.9"))
    (issue,) = pinned(errors_of(plan_copy))
    assert Path(issue.file).name == "dev.yaml" and issue.path == "database.engine_version" and issue.line
    assert "'16'" in issue.hint and "auto_minor_version_upgrade: false" in issue.hint


def test_a_pinned_minor_in_platform_yaml_is_reported_once(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["database"].update(engine_version="17.5"))
    (issue,) = pinned(errors_of(plan_copy))
    assert Path(issue.file).name == "platform.yaml" and issue.path == "database.engine_version"
    assert "environments dev, prod, staging use this default" in issue.message and "'17'" in issue.hint


def test_switching_upgrades_on_against_a_pinned_minor_is_blamed_on_the_switch(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["database"].update(engine_version="16.9", auto_minor_version_upgrade=False))
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["database"].update(auto_minor_version_upgrade=True))
    (issue,) = pinned(errors_of(plan_copy))
    assert Path(issue.file).name == "prod.yaml" and issue.path == "database.auto_minor_version_upgrade"


def test_a_pinned_minor_without_automatic_upgrades_renders_as_written(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "staging.yaml", lambda d: d["database"].update(engine_version="16.9", auto_minor_version_upgrade=False))
    env = next(e for e in resolve_plan(load_plan(plan_copy)) if e.name == "staging")
    db = one(platform_json(env), "aws_db_instance")
    assert db["engine_version"] == "16.9" and db["auto_minor_version_upgrade"] is False


def test_a_new_major_is_one_apply(plan_copy: Path, stacks: dict[str, dict]) -> None:
    """The parameter group is named from a prefix and replaced before it is destroyed; its family
    follows the major; the instance may take a new major and takes it in this apply."""
    group = one(stacks["prod"], "aws_db_parameter_group")
    assert "name" not in group and group["name_prefix"] == "acme-prod-pg-postgres16-" and group["family"] == "postgres16"
    assert group["lifecycle"] == {"create_before_destroy": True}
    db = one(stacks["prod"], "aws_db_instance")
    assert db["engine_version"] == "16" and db["auto_minor_version_upgrade"] is True  # a major: RDS keeps its minor current
    assert db["allow_major_version_upgrade"] is True and db["apply_immediately"] is True
    assert re.fullmatch(r"\$\{aws_db_parameter_group\.[A-Za-z0-9_]+\.name\}", db["parameter_group_name"])

    edit_yaml(plan_copy / "prod.yaml", lambda d: d["database"].update(engine_version="17"))
    env = next(e for e in resolve_plan(load_plan(plan_copy)) if e.name == "prod")
    upgraded = platform_json(env)
    group = one(upgraded, "aws_db_parameter_group")
    assert group["family"] == "postgres17" and group["name_prefix"] == "acme-prod-pg-postgres17-"
    assert one(upgraded, "aws_db_instance")["engine_version"] == "17"


# --- Breaks 4: rebuilding an environment ------------------------------------------------------


def test_final_snapshot_names_are_unique_per_instance_and_stable(stacks: dict[str, dict], envs) -> None:
    """The name carries the instance's own KMS key id: a new instance (a rebuild) has a new key,
    while the key lives as long as the instance, so the name never changes under it."""
    for name in ("staging", "prod"):
        stack = stacks[name]
        db = one(stack, "aws_db_instance")
        (key,) = [k for k, v in resources(stack, "aws_kms_key").items() if f"${{aws_kms_key.{k}.arn}}" == db["kms_key_id"]]
        assert db["final_snapshot_identifier"] == f"{envs[name].database.identifier}-final-${{aws_kms_key.{key}.key_id}}"
        assert "timestamp" not in db["final_snapshot_identifier"] and not any("random" in t for t in stack["resource"])
    dedicated = one(tenant_json(envs["prod"], "org-c"), "aws_db_instance")
    assert dedicated["final_snapshot_identifier"].startswith("acme-prod-org-c-pg-final-${aws_kms_key.")
    assert "final_snapshot_identifier" not in one(stacks["dev"], "aws_db_instance")  # dev takes none


@pytest.mark.parametrize(("env", "days"), [("dev", 0), ("staging", 7), ("prod", 30)])
def test_every_secret_terraform_creates_has_the_tiers_recovery_window(envs, stacks: dict[str, dict], env: str, days: int) -> None:
    e = envs[env]
    secrets = dict(resources(stacks[env], "aws_secretsmanager_secret"))
    for tenant in e.tenants:
        secrets |= resources(tenant_json(e, tenant.name), "aws_secretsmanager_secret")
    grafana = [s for s in secrets.values() if "/grafana." in s["name"]]
    tenant_db = [s for s in secrets.values() if s["name"].endswith("/database")]
    assert grafana and tenant_db and len(grafana) + len(tenant_db) == len(secrets)
    assert {s["name"]: s["recovery_window_in_days"] for s in secrets.values()} == {s["name"]: days for s in secrets.values()}


# --- Below the defaults 4: RDS log groups ----------------------------------------------------


@pytest.mark.parametrize(("env", "days"), [("dev", 30), ("prod", 365)])
def test_exported_logs_go_to_log_groups_made_first_with_retention_and_a_customer_key(envs, stacks: dict[str, dict], env: str, days: int) -> None:
    stack, identifier = stacks[env], envs[env].database.identifier
    db = one(stack, "aws_db_instance")
    groups = {log: by_attr(stack, "aws_cloudwatch_log_group", "name", f"/aws/rds/instance/{identifier}/{log}") for log in ("postgresql", "upgrade")}
    assert sorted(db["enabled_cloudwatch_logs_exports"]) == sorted(groups)
    keys = resources(stack, "aws_kms_key")
    for log, group in groups.items():
        assert group["retention_in_days"] == days
        key = re.fullmatch(r"\$\{aws_kms_key\.([A-Za-z0-9_]+)\.arn\}", group["kms_key_id"]).group(1)
        statements = json.loads(keys[key]["policy"])["Statement"]
        logs = next(s for s in statements if s.get("Principal") == {"Service": f"logs.{envs[env].region}.amazonaws.com"})
        assert "kms:GenerateDataKey*" in logs["Action"] and "kms:Decrypt*" in logs["Action"]
        assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == f"arn:aws:logs:{envs[env].region}:{envs[env].account_id}:log-group:*"
        (name,) = [k for k, v in resources(stack, "aws_cloudwatch_log_group").items() if v is group]
        assert f"aws_cloudwatch_log_group.{name}" in db["depends_on"], f"{log}: RDS would create the group first, without retention or key"
    assert group["kms_key_id"] != db["kms_key_id"]  # a key of its own: CloudWatch Logs may not use the data's key

