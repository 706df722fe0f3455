"""The plan model: the example is valid; bad input gets errors with file, line, field and hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan


def errors_of(plan_dir: Path) -> PlanError:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value


def test_example_plan_loads(example_plan: Path) -> None:
    plan = load_plan(example_plan)
    assert list(plan.environments) == ["dev", "staging", "prod"]
    assert list(plan.tenants) == ["org-a", "org-b", "org-c"]
    assert plan.environments["prod"].availability_zones == 3
    assert plan.tenants["org-c"].environments["prod"].isolation == "dedicated"


def test_unknown_key_names_file_line_path_and_suggests(plan_copy: Path) -> None:
    path = plan_copy / "dev.yaml"
    text = path.read_text().replace("      min_size: 1\n", "      min_sise: 1\n")
    path.write_text(text)
    err = errors_of(plan_copy)
    line = text.splitlines().index("      min_sise: 1") + 1
    unknown = [i for i in err.issues if "min_sise" in i.message]
    assert unknown, err
    issue = unknown[0]
    assert issue.file.endswith("dev.yaml") and issue.line == line
    assert issue.path == "cluster.node_groups[0].min_sise"
    assert "did you mean 'min_size'" in issue.hint
    rendered = str(err)
    assert f"dev.yaml:{line}: cluster.node_groups[0].min_sise: unknown field" in rendered
    assert not any(i.path == "cluster.node_groups[0].min_size" for i in err.issues)  # one mistake, one message


def test_every_needs_clarification_is_listed_at_once(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["kubernetes"].update(version="NEEDS CLARIFICATION"))
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(vpc_cidr="[NEEDS CLARIFICATION: which range?]"))
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d["quotas"].update(cpu="NEEDS CLARIFICATION"))
    err = errors_of(plan_copy)
    undecided = {(Path(i.file).name, i.path) for i in err.issues if "NEEDS CLARIFICATION" in i.message}
    assert undecided == {("platform.yaml", "kubernetes.version"), ("prod.yaml", "vpc_cidr"), ("org-b.yaml", "quotas.cpu")}
    assert all(i.line for i in err.issues)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"name: dev\n  tier: [oops\n", "malformed YAML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8"),
        (b"", "the file is empty"),
        (b"   \n# only a comment\n", "the file is empty"),
        (b"- name: dev\n- name: prod\n", "holds a list"),
        (b"just a string\n", "holds a str"),
        (b"name: dev\nname: dev\n", "appears twice"),
    ],
)
def test_bad_files_are_reported_not_raised(plan_copy: Path, content: bytes, expected: str) -> None:
    (plan_copy / "dev.yaml").write_bytes(content)
    err = errors_of(plan_copy)
    assert any(expected in i.message and i.file.endswith("dev.yaml") for i in err.issues), str(err)


def test_wrong_type_names_the_field(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "staging.yaml", lambda d: d["cluster"]["node_groups"][0].update(max_size="many"))
    err = errors_of(plan_copy)
    assert any(i.path == "cluster.node_groups[0].max_size" and i.line for i in err.issues), str(err)


def test_literal_gets_allowed_values_and_suggestion(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(deployment_strategy="helm-frist"))
    err = errors_of(plan_copy)
    issue = next(i for i in err.issues if i.path == "deployment_strategy")
    assert "helm-first" in issue.message and "did you mean 'helm-first'" in issue.hint


def test_other_clouds_are_not_supported_yet(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(cloud="gcp"))
    err = errors_of(plan_copy)
    assert any(i.path == "cloud" and "not supported yet" in i.message for i in err.issues)


def test_duplicate_tenant_names(plan_copy: Path) -> None:
    (plan_copy / "tenants" / "org-a-copy.yaml").write_text((plan_copy / "tenants" / "org-a.yaml").read_text())
    err = errors_of(plan_copy)
    assert any("duplicate tenant name 'org-a'" in i.message for i in err.issues), str(err)


def test_tenant_override_of_an_undefined_environment(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["environments"].update(prdo={"quotas": {"cpu": "2"}}))
    err = errors_of(plan_copy)
    issue = next(i for i in err.issues if "prdo" in i.message)
    assert issue.file.endswith("org-a.yaml") and issue.line and "did you mean 'prod'" in issue.hint


def test_overlapping_vpc_cidrs(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-c.yaml", lambda d: d["environments"]["prod"].update(vpc_cidr="10.30.0.0/16"))
    err = errors_of(plan_copy)
    assert any("overlaps" in i.message for i in err.issues), str(err)


def test_cidr_with_host_bits_suggests_the_network(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(vpc_cidr="10.10.1.0/16"))
    err = errors_of(plan_copy)
    assert any("did you mean 10.10.0.0/16" in i.message for i in err.issues), str(err)


def test_names_over_limits(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(name="a" * 50))
    err = errors_of(plan_copy)
    text = str(err)
    assert "RDS identifiers have at most 63" in text or "IAM role names" in text


def test_dns_label_rules_with_suggestion(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d.update(namespaces=["Org_B"]))
    err = errors_of(plan_copy)
    assert any("not a DNS-1123 label" in i.message and "did you mean 'org-b'" in i.message for i in err.issues), str(err)


def test_public_endpoint_needs_an_allow_list(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"].update(endpoint_public_access=True))
    err = errors_of(plan_copy)
    assert any("allow-list" in i.message for i in err.issues)


def test_dedicated_tenant_needs_a_vpc_cidr(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-c.yaml", lambda d: d["environments"]["prod"].pop("vpc_cidr"))
    err = errors_of(plan_copy)
    assert any("dedicated cluster in 'prod' needs its own VPC CIDR" in i.message for i in err.issues)


def test_data_residency(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "staging.yaml", lambda d: d.update(regions=["us-east-1"]))
    err = errors_of(plan_copy)
    assert any("data residency" in i.message for i in err.issues)


def test_errors_from_several_files_come_together(plan_copy: Path) -> None:
    (plan_copy / "dev.yaml").write_text("[]\n")
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d.update(colour="blue"))
    err = errors_of(plan_copy)
    assert {Path(i.file).name for i in err.issues} >= {"dev.yaml", "org-b.yaml"}


def test_tenant_names_that_make_iam_roles_too_long(plan_copy: Path) -> None:
    long_name = "org-" + "x" * 50
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d.update(name=long_name, namespaces=[long_name], apps=[{**d["apps"][0], "namespace": long_name}]))
    err = errors_of(plan_copy)
    assert any("IAM role" in i.message and i.file.endswith("org-b.yaml") for i in err.issues), str(err)


def test_platform_is_a_reserved_tenant_name(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d.update(name="platform", namespaces=["platform"], apps=[{**d["apps"][0], "namespace": "platform"}]))
    err = errors_of(plan_copy)
    assert any("reserved" in i.message for i in err.issues), str(err)


def test_two_tenants_cannot_share_a_database_name_on_the_shared_instance(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d.update(database={"mode": "shared", "name": "org_a"}))
    err = errors_of(plan_copy)
    issue = next(i for i in err.issues if "also tenant 'org-a's" in i.message)
    assert issue.file.endswith("org-b.yaml") and issue.path == "database.name" and issue.line > 0


@pytest.mark.parametrize("name", ["postgres", "rdsadmin", "platform", "infraplan_admin", "pg_monitor", "rds_superuser"])
def test_reserved_database_names(plan_copy: Path, name: str) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["database"].update(name=name))
    err = errors_of(plan_copy)
    assert any(f"database name '{name}' is reserved" in i.message and i.path == "database.name" for i in err.issues), str(err)


def test_database_mode_must_fit_the_cluster(plan_copy: Path) -> None:
    """A dedicated cluster has its own VPC: it cannot reach the shared instance (and vice versa)."""
    edit_yaml(plan_copy / "tenants" / "org-c.yaml", lambda d: d["environments"]["prod"]["database"].update(mode="shared"))
    err = errors_of(plan_copy)
    issue = next(i for i in err.issues if "does not fit" in i.message)
    assert issue.path == "environments.prod.database.mode" and "mode: dedicated" in issue.hint


def test_tenants_cannot_claim_platform_namespaces(plan_copy: Path) -> None:
    edit_yaml(
        plan_copy / "tenants" / "org-b.yaml",
        lambda d: d.update(name="database", namespaces=["database-bootstrap"], apps=[{**d["apps"][0], "namespace": "database-bootstrap"}]),
    )
    (plan_copy / "tenants" / "org-b.yaml").rename(plan_copy / "tenants" / "database.yaml")
    err = errors_of(plan_copy)
    assert any("namespace 'database-bootstrap' belongs to the platform" in i.message for i in err.issues), str(err)


def test_model_level_error_names_the_field_and_its_line(plan_copy: Path) -> None:
    path = plan_copy / "dev.yaml"
    text = path.read_text().replace("      min_size: 1\n", "      min_size: 5\n")
    path.write_text(text)
    err = errors_of(plan_copy)
    line = text.splitlines().index("      max_size: 4") + 1
    [issue] = [i for i in err.issues if "min_size" in i.message]
    assert (Path(issue.file).name, issue.line, issue.path) == ("dev.yaml", line, "cluster.node_groups[0].max_size")
