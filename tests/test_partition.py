"""One AWS partition, in one place: validate refuses regions and principals of the others before
synth, and every ARN and service principal is built from resolve/names.py's PARTITION."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conftest import ROOT, edit_yaml
from constructs_lib.addons import IrsaPolicyInputs
from constructs_lib.addons import aws_ebs_csi_driver, aws_load_balancer_controller, cert_manager, external_dns
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.base import aws_regions
from constructs_lib.resolve import names
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.terraform import Database, ExistingNetwork, Network
from constructs_lib.terraform.aws import AwsProvider
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.props import ConstructPropsError
from stacks.cli import main


@pytest.mark.parametrize(("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn")])
@pytest.mark.parametrize("command", ["validate", "synth"])
def test_other_partitions_stop_at_validate(tmp_path: Path, plan_copy: Path, capsys, command: str, region: str, partition: str) -> None:
    edit_yaml(plan_copy / "staging.yaml", lambda d: d.update(regions=[region]))
    line = next(i for i, text in enumerate((plan_copy / "staging.yaml").read_text().splitlines(), 1) if text.startswith("regions:"))
    out = tmp_path / "out"
    args = [command, "--plan", str(plan_copy)] + (["--out", str(out)] if command == "synth" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"staging.yaml:{line + 1}: regions[0]: '{region}' is a region of the {partition} partition" in err, err
    assert f"hint: use a region of the {names.PARTITION} partition:" in err and "eu-west-1" in err
    assert "Traceback" not in err
    assert not out.exists()  # synth never ran


@pytest.mark.parametrize(
    ("file", "change", "path"),
    [
        ("platform.yaml", lambda d: d["platform_admins"].update(principal_arns=["arn:aws-us-gov:iam::111111111111:role/admin"]), "platform_admins.principal_arns[0]"),
        (
            "tenants/org-a.yaml",
            lambda d: d["environments"]["dev"]["access_principals"].update(admins=["arn:aws-cn:iam::111111111111:role/admin"]),
            "environments.dev.access_principals.admins[0]",
        ),
    ],
)
def test_principals_of_other_partitions_are_named(plan_copy: Path, file: str, change, path: str) -> None:
    edit_yaml(plan_copy / file, change)
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    found = [i for i in info.value.issues if "partition" in i.message]
    assert len(found) == 1, "\n".join(i.render() for i in info.value.issues)
    assert found[0].file.endswith(file) and found[0].path == path and found[0].line
    assert f"supports the {names.PARTITION} partition only" in found[0].message and found[0].hint.startswith(f"arn:{names.PARTITION}:iam::")


def test_resolved_arns_follow_the_one_partition_constant(example_plan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch PARTITION after the plan is read: every ARN resolution and the add-on policies build
    must follow it, so no module keeps its own arn:aws: (adding a partition is one place)."""
    plan = load_plan(example_plan)
    written = set(re.findall(r"arn:aws:[^\s\],'\"]+", "".join(p.read_text() for p in example_plan.rglob("*.yaml"))))
    assert written  # the plan's own principals: data, kept as written
    imported = {aws_ebs_csi_driver.AWS_MANAGED_POLICY}  # a module constant, bound when the module was imported
    monkeypatch.setattr(names, "PARTITION", "aws-test")
    monkeypatch.setattr(names, "SERVICE_DOMAIN", "example.test")
    for env_name in plan.environments:
        text = repr(resolve_environment(plan, env_name))
        built = set(re.findall(r"arn:[a-z-]+:[^\s,'\"]+", text)) - written - imported
        assert built and {a.split(":")[1] for a in built} == {"aws-test"}, sorted(a for a in built if not a.startswith("arn:aws-test:"))
    inputs = IrsaPolicyInputs(account_id="111111111111", region="eu-west-1", cluster_name="c", hosted_zone_id="Z1", domain="example.com")
    statements = [*external_dns.route53_statements(inputs), *cert_manager.route53_statements(inputs), *aws_load_balancer_controller.statements(inputs)]
    text = repr([dataclasses.astuple(s) for s in statements])
    assert "arn:aws:" not in text and "arn:aws-test:route53:::hostedzone/Z1" in text
    assert "elasticloadbalancing.example.test" in text and "amazonaws.com" not in text


def test_partition_of_agrees_with_the_region_catalog() -> None:
    for partition, regions in aws_regions().items():
        assert {names.partition_of(r) for r in regions} == {partition}, partition


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_constructs_built_in_python_refuse_other_partitions(region: str) -> None:
    """No plan, so no validate: the L2 constructs read their region (prop or the stack's provider)
    through terraform/props.py, which refuses what their arn:aws: ARNs would get wrong."""
    s = cdktf.TerraformStack(cdktf.Testing.app(), "gov")
    AwsProvider(s, "aws", region=region, allowed_account_ids=["111122223333"])
    with pytest.raises(ConstructPropsError, match=f"region='{region}': a region of the aws-[a-z-]+ partition") as info:
        Network(s, "net")
    assert "eu-west-1" in info.value.fix
    other = cdktf.TerraformStack(cdktf.Testing.app(), "commercial")
    AwsProvider(other, "aws", region="eu-west-1", allowed_account_ids=["111122223333"])
    with pytest.raises(ConstructPropsError, match="partition"):
        Database(other, "db", network=ExistingNetwork(vpc_id="vpc-0abc", database_subnet_group_name="db"), region=region)


def test_no_module_writes_its_own_partition() -> None:
    offenders = []
    for path in sorted([*(ROOT / "constructs_lib").rglob("*.py"), *(ROOT / "stacks").rglob("*.py")]):
        rel = str(path.relative_to(ROOT))
        if rel == "constructs_lib/resolve/names.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "arn:aws:" in line or re.search(r"\.amazonaws\.com\b(?!/)", line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "build ARNs and service principals with resolve/names.py:\n" + "\n".join(offenders)
