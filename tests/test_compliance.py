"""constraints.compliance drives the output: each framework is its own control set (resolve/compliance.py),
recorded per framework in the decisions explain shows, the stricter value of each setting applied when a
plan names several, and the production environment's stack rendered with it (the CloudTrail trail, log
retention, backups). constraints.data_residency is a list of allowed region prefixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps
from tfjson import one, resources


def _plan(plan_dir: Path, compliance: list[str]):
    edit_yaml(plan_dir / "platform.yaml", lambda d: d["constraints"].update(compliance=compliance))
    return load_plan(plan_dir)


def _decisions(env) -> dict:
    return {d.path: d for d in env.decisions}


def _issues(plan_dir: Path) -> list:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value.issues


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# --- resolution: each framework's controls, the stricter value of each setting -----------------------


def test_pci_dss_alone_asks_for_a_trail_and_a_year_of_logs_but_no_backup_window(plan_copy: Path) -> None:
    prod = resolve_environment(_plan(plan_copy, ["PCI-DSS"]), "prod")
    d = _decisions(prod)
    assert prod.audit_trail is not None and prod.audit_trail.retention_days == 365 and prod.audit_trail.frameworks == ("PCI-DSS",)
    assert prod.network.flow_logs_retention_days == prod.cluster.log_retention_days == prod.database.log_retention_days == 365
    assert d["network.flow_logs_retention_days"].source.ref == "platform.yaml: constraints.compliance: PCI-DSS"
    assert "10.5.1" in d["network.flow_logs_retention_days"].source.reason
    assert prod.database.backup_retention_days == 14 and d["database.backup_retention_days"].source.kind == "rule"  # PCI DSS asks for no window: the tier's
    assert {p.split(".")[1] for p in d if p.startswith("compliance.")} == {"PCI-DSS"}
    assert "compliance.PCI-DSS.backup_retention_days" not in d


def test_soc2_is_another_control_set_than_pci_dss(plan_copy: Path) -> None:
    prod = resolve_environment(_plan(plan_copy, ["SOC2"]), "prod")
    d = _decisions(prod)
    assert prod.database.backup_retention_days == 35 and d["database.backup_retention_days"].source.ref == "platform.yaml: constraints.compliance: SOC2"
    assert "A1.2" in d["database.backup_retention_days"].source.reason
    assert d["database.deletion_protection"].value is True and "A1.2" in d["database.deletion_protection"].source.reason
    assert "CC7.2" in d["audit_trail"].source.reason
    assert {p.split(".")[1] for p in d if p.startswith("compliance.")} == {"SOC2"}


def test_both_get_the_stricter_value_of_each_setting_and_each_framework_is_listed(plan_copy: Path) -> None:
    prod = resolve_environment(_plan(plan_copy, ["PCI-DSS", "SOC2", "HIPAA"]), "prod")
    d = _decisions(prod)
    assert prod.database.backup_retention_days == 35  # SOC2's and HIPAA's, above the tier's 14 (PCI DSS asks for none)
    assert prod.audit_trail is not None and prod.audit_trail.retention_days == 2192  # HIPAA's six years beats PCI DSS's and SOC2's year
    assert prod.audit_trail.frameworks == ("PCI-DSS", "SOC2", "HIPAA")
    assert d["audit_trail.retention_days"].source.ref.endswith(": HIPAA") and "164.316" in d["audit_trail.retention_days"].source.reason
    assert d["compliance.PCI-DSS.audit_trail_retention_days"].value == 365
    assert "applied: 2192" in d["compliance.PCI-DSS.audit_trail_retention_days"].source.reason
    assert d["compliance.HIPAA.audit_trail_retention_days"].value == 2192
    for fw in ("PCI-DSS", "SOC2", "HIPAA"):
        assert f"compliance.{fw}.audit_trail" in d and f"compliance.{fw}.log_retention_days" in d


def test_only_production_is_in_scope(plan_copy: Path) -> None:
    dev = resolve_environment(_plan(plan_copy, ["PCI-DSS", "SOC2"]), "dev")
    d = _decisions(dev)
    assert dev.audit_trail is None and dev.network.flow_logs_retention_days == 30 and dev.database.backup_retention_days == 1
    assert "not in scope" in d["compliance"].source.reason and not [p for p in d if p.startswith("compliance.")]


@pytest.mark.parametrize(("frameworks", "trail"), [([], False), (["GDPR"], False), (["ISO27001"], True)])
def test_no_framework_or_one_without_audit_logging_renders_no_trail(plan_copy: Path, frameworks: list[str], trail: bool) -> None:
    prod = resolve_environment(_plan(plan_copy, frameworks), "prod")
    assert (prod.audit_trail is not None) is trail
    assert prod.network.flow_logs_retention_days == (365 if trail else 90)


# --- rendered: the production platform stack per framework ---------------------------------------------


def _prod_stack(plan_dir: Path, compliance: list[str]) -> dict:
    prod = resolve_environment(_plan(plan_dir, compliance), "prod")
    return json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), prod.stack_name, EnvironmentStackProps(prod))))


def _log_retention(stack: dict) -> set[int]:
    return {g["retention_in_days"] for g in resources(stack, "aws_cloudwatch_log_group").values()}


def test_rendered_pci_dss_versus_soc2_versus_both_with_hipaa(plan_copy: Path) -> None:
    pci = _prod_stack(plan_copy, ["PCI-DSS"])
    soc2 = _prod_stack(plan_copy, ["SOC2"])
    strict = _prod_stack(plan_copy, ["PCI-DSS", "SOC2", "HIPAA"])
    for stack in (pci, soc2, strict):
        trail = one(stack, "aws_cloudtrail")
        assert trail["is_multi_region_trail"] and trail["enable_log_file_validation"] and trail["include_global_service_events"] and "aws_kms_key" in trail["kms_key_id"]
        assert _log_retention(stack) == {365}
    assert one(pci, "aws_db_instance")["backup_retention_period"] == 14
    assert one(soc2, "aws_db_instance")["backup_retention_period"] == one(strict, "aws_db_instance")["backup_retention_period"] == 35
    expire = {name: one(s, "aws_s3_bucket_lifecycle_configuration")["rule"][0]["expiration"][0]["days"] for name, s in (("pci", pci), ("soc2", soc2), ("strict", strict))}
    assert expire == {"pci": 365, "soc2": 365, "strict": 2192}


def test_rendered_without_compliance_no_trail_and_the_tier_retention(plan_copy: Path) -> None:
    stack = _prod_stack(plan_copy, [])
    assert not resources(stack, "aws_cloudtrail")
    assert _log_retention(stack) == {90}
    assert one(stack, "aws_db_instance")["backup_retention_period"] == 14


# --- validate: an override below a framework's value, names ---------------------------------------------


def test_an_override_below_a_framework_in_scope_is_refused_at_its_line(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: (d["database"].update(backup_retention_days=7, deletion_protection=False), d.update(flow_logs_retention_days=90)))
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["database"].update(backup_retention_days=1))  # dev: not in scope
    found = {i.path: i for i in _issues(plan_copy) if "asks for" in i.message}
    assert set(found) == {"database.backup_retention_days", "database.deletion_protection", "flow_logs_retention_days"}
    backups = found["database.backup_retention_days"]
    assert backups.file.endswith("prod.yaml") and backups.line == _line(plan_copy / "prod.yaml", "backup_retention_days:")
    assert "SOC2" in backups.message and "35" in backups.message and "constraints.compliance" in backups.hint


def test_a_trail_name_cloudtrail_refuses_is_refused_by_validate(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(name="acme--eu"))  # a DNS label, but CloudTrail refuses adjacent dashes
    (issue,) = [i for i in _issues(plan_copy) if "audit trail" in i.message]
    assert issue.file.endswith("prod.yaml") and "acme--eu-prod-audit" in issue.message and "adjacent" in issue.message  # prod only: in scope of SOC2


# --- data residency -------------------------------------------------------------------------------------


def test_data_residency_is_a_list_of_prefixes(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["constraints"].update(data_residency=["eu-", "us-"]))
    edit_yaml(plan_copy / "staging.yaml", lambda d: d.update(regions=["us-east-1"]))
    plan = load_plan(plan_copy)
    assert plan.platform.constraints.data_residency == ["eu-", "us-"]
    d = _decisions(resolve_environment(plan, "staging"))
    assert d["data_residency"].value == ["eu-", "us-"] and "us-east-1" in d["data_residency"].source.reason


def test_the_single_string_still_reads_as_a_list_of_one(plan_copy: Path) -> None:
    text = (plan_copy / "platform.yaml").read_text()
    (plan_copy / "platform.yaml").write_text(text.replace("  data_residency: [eu-]", "  data_residency: eu-"))  # as plans wrote it before
    assert "  data_residency: eu-  " in (plan_copy / "platform.yaml").read_text()
    assert load_plan(plan_copy).platform.constraints.data_residency == ["eu-"]
    edit_yaml(plan_copy / "staging.yaml", lambda d: d.update(regions=["us-east-1"]))
    (issue,) = [i for i in _issues(plan_copy) if "data residency" in i.message]
    assert issue.file.endswith("staging.yaml") and issue.path == "regions[0]" and issue.line == _line(plan_copy / "staging.yaml", "us-east-1")
    assert "'eu-'" in issue.hint


def test_every_region_is_checked_secondary_ones_too(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(deployment_type="multi-region"))
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["constraints"].update(data_residency=["eu-", "us-"]))
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(regions=["eu-west-1", "ap-southeast-2"], region_vpc_cidrs={"ap-southeast-2": "10.31.0.0/16"}))
    residency = [i for i in _issues(plan_copy) if "data residency" in i.message]
    assert [(i.file.rsplit("/", 1)[-1], i.path) for i in residency] == [("prod.yaml", "regions[1]")]
    assert "'eu-' or 'us-'" in residency[0].message and "backups" in residency[0].message


@pytest.mark.parametrize(
    ("value", "problem"),
    [([], "allows no region"), (["europe-"], "starts no AWS region"), (["eu-", "eu-"], "listed twice"), ("mars-", "starts no AWS region")],
)
def test_residency_values_that_allow_nothing_are_refused(plan_copy: Path, value, problem: str) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["constraints"].update(data_residency=value))
    issues = [i for i in _issues(plan_copy) if problem in i.message]
    assert issues and issues[0].file.endswith("platform.yaml") and issues[0].path.startswith("constraints.data_residency")


def test_a_framework_listed_twice_is_refused(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["constraints"].update(compliance=["SOC2", "SOC2"]))
    assert any("listed twice" in i.message and i.path == "constraints.compliance[1]" for i in _issues(plan_copy))
