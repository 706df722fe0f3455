"""The runnable examples (examples/): each runs as a user would run it, and what it writes passes
the gates the bundled plan's output passes: terraform validate and the provider schema for the
Terraform, kubectl kustomize and kubernetes-validate for the GitOps tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, terraform
from kustomize_check import build_and_validate
from test_provider_schema import schema_problems

pytestmark = pytest.mark.slow
EXAMPLES = ROOT / "examples"


def run_example(name: str, out: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def validate_stack(stack: Path, work: Path, cli_config: dict[str, str]) -> None:
    shutil.copytree(stack, work)
    terraform(["init", "-backend=false", "-input=false"], work, cli_config)
    result = terraform(["validate", "-json"], work, cli_config)
    assert '"valid": true' in result.stdout, result.stdout


@pytest.fixture(scope="module")
def platform_in_python(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("platform-in-python") / "out"
    run_example("platform_in_python.py", out)
    return out


def test_the_platform_in_python_writes_a_secure_stack(platform_in_python: Path) -> None:
    doc = json.loads((platform_in_python / "terraform/stacks/shop/cdk.tf.json").read_text())
    res = doc["resource"]
    (cluster,) = res["aws_eks_cluster"].values()
    assert cluster["vpc_config"][0]["endpoint_public_access"] is False  # private unless allowed CIDRs are given
    (db,) = res["aws_db_instance"].values()
    assert db["storage_encrypted"] is True and db["publicly_accessible"] is False and db["multi_az"] is True
    # PostgreSQL admits the cluster's nodes only: one rule, from the cluster's security group.
    rules = [r for r in res.get("aws_vpc_security_group_ingress_rule", {}).values() if r.get("from_port") == 5432]
    assert len(rules) == 1 and "aws_eks_cluster" in rules[0]["referenced_security_group_id"]


def test_the_platform_in_python_adds_an_eks_addon_at_the_eks_default(platform_in_python: Path) -> None:
    doc = json.loads((platform_in_python / "terraform/stacks/shop/cdk.tf.json").read_text())
    [addon] = [a for a in doc["resource"]["aws_eks_addon"].values() if a["addon_name"] == "metrics-server"]
    [(key, version)] = [(k, d) for k, d in doc["data"]["aws_eks_addon_version"].items() if d["addon_name"] == "metrics-server"]
    assert addon["addon_version"] == f"${{data.aws_eks_addon_version.{key}.version}}" and version["kubernetes_version"] == "1.35"


def test_the_platform_in_python_validates(platform_in_python: Path, terraform_cli_config: dict[str, str], aws_schema: dict, tmp_path: Path) -> None:
    validate_stack(platform_in_python / "terraform/stacks/shop", tmp_path / "shop", terraform_cli_config)
    assert not schema_problems(platform_in_python, aws_schema)


def test_the_platform_in_python_gitops_tree_builds(platform_in_python: Path) -> None:
    kinds = build_and_validate(platform_in_python / "kubernetes")
    assert {"Application", "AppProject", "Namespace", "NetworkPolicy", "Deployment", "Ingress"} <= kinds


def test_the_plan_with_my_construct_adds_it_to_every_platform_stack(tmp_path: Path, terraform_cli_config: dict[str, str]) -> None:
    out = tmp_path / "dist"
    run_example("plan_with_my_construct.py", out)
    for env in ("dev", "staging", "prod"):
        doc = json.loads((out / f"terraform/stacks/{env}-platform/cdk.tf.json").read_text())
        (topic,) = doc["resource"]["aws_sns_topic"].values()
        assert topic["name"] == f"acme-{env}-alerts" and topic["kms_master_key_id"] == "alias/aws/sns"
        (sub,) = doc["resource"]["aws_sns_topic_subscription"].values()
        assert sub["protocol"] == "email" and "aws_sns_topic" in sub["topic_arn"]
    tenant = json.loads((out / "terraform/stacks/dev-tenant-org-a/cdk.tf.json").read_text())
    assert "aws_sns_topic" not in tenant.get("resource", {})  # platform stacks only
    validate_stack(out / "terraform/stacks/dev-platform", tmp_path / "dev-platform", terraform_cli_config)
