"""``infraplan check`` end to end, as a user's CI runs it: on the bundled example every gate passes
(terraform offline through the provider mirror the tests configure, checkov from ./dev setup), and
the JUnit XML parses; a mutated plan that breaks a gate exits 1 naming the gate and the environment;
a gate without a rule is reported as manual; a required gate whose tool is not selected does not run
and fails the check; plan errors exit 2 before anything is synthesized."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, edit_yaml

pytestmark = pytest.mark.slow


def infraplan(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stacks.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def tf_env(terraform_cli_config: dict[str, str]) -> dict[str, str]:
    return dict(terraform_cli_config, PYTHONPATH=str(ROOT))


def test_the_bundled_example_passes_every_gate(tf_env: dict[str, str], example_plan: Path, tmp_path: Path) -> None:
    junit = tmp_path / "reports" / "check.xml"
    done = infraplan(["check", "--plan", str(example_plan), "--junit", str(junit), "--json"], tf_env)
    report = json.loads(done.stdout)
    failing = [(e["name"], g["id"], g["status"], g["details"][:3]) for e in report["environments"] for g in e["gates"] if g["status"] != "pass"]
    assert done.returncode == 0 and not failing, (failing, done.stderr[-2000:])
    gates = [g["id"] for g in report["environments"][0]["gates"]]
    assert [e["name"] for e in report["environments"]] == ["dev", "staging", "prod"]
    assert {"plan-validates", "terraform-validate", "provider-schema", "manifests-validate", "pinned-versions", "checkov", "no-public-data", "encrypted-at-rest", "tenant-isolation"} <= set(gates)
    root = ET.parse(junit).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["dev", "staging", "prod"]
    assert all([c.get("name") for c in s.findall("testcase")] == gates for s in suites)
    assert root.get("failures") == "0" and root.get("skipped") == "0" and root.get("tests") == str(3 * len(gates))


EXTENSION = '''
from constructs_lib.terraform.aws.rds import DbInstance


def public_database(stack, context):
    if context.kind == "platform":
        DbInstance(stack, "reporting", identifier="reporting", engine="postgres", instance_class="db.t4g.micro",
                   allocated_storage=20, storage_encrypted=True, publicly_accessible=True, manage_master_user_password=True, username="reports")
'''


def test_a_public_database_fails_no_public_endpoints_naming_the_gate_and_environment(tf_env, plan_copy: Path, tmp_path: Path) -> None:
    (tmp_path / "ext").mkdir()
    (tmp_path / "ext" / "reporting_db.py").write_text(EXTENSION)
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.__setitem__("constitution", [g for g in d["constitution"] if g["rule"] in ("no-public-endpoints", "encryption-at-rest")]))
    env = dict(tf_env, PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path / 'ext'}")
    done = infraplan(["check", "--plan", str(plan_copy), "--env", "dev", "--extension", "reporting_db:public_database"], env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL     no-public-data" in done.stdout and "PASS     encrypted-at-rest" in done.stdout
    assert "dev-platform: aws_db_instance.reporting" in done.stdout and "publicly_accessible is true" in done.stdout
    assert "FAILED: required gates that failed or did not run: dev/no-public-data" in done.stdout


def test_manual_and_not_run_gates(tf_env, plan_copy: Path, tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["validation"] = ["terraform-validate"]
        d["constitution"] = [
            {"id": "change-review", "description": "Two platform engineers approve every change."},
            {"id": "scan", "rule": "checkov", "description": "checkov finds nothing new."},
            {"id": "manifests", "rule": "manifests-validate", "required": False, "description": "optional here"},
            {"id": "isolation", "rule": "tenant-isolation", "description": "tenants stay apart"},
        ]

    edit_yaml(plan_copy / "platform.yaml", change)
    junit = tmp_path / "check.xml"
    done = infraplan(["check", "--plan", str(plan_copy), "--env", "dev", "--json", "--junit", str(junit)], tf_env)
    assert done.returncode == 1, done.stderr[-2000:]
    gates = {g["id"]: g for g in json.loads(done.stdout)["environments"][0]["gates"]}
    assert gates["change-review"]["status"] == "manual" and gates["change-review"]["rule"] is None
    assert gates["scan"]["status"] == "not run" and "add 'checkov' to validation: in platform.yaml" in gates["scan"]["details"][0]
    assert gates["manifests"]["status"] == "not run" and gates["isolation"]["status"] == "pass"
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["scan"].find("failure") is not None and cases["change-review"].find("skipped") is not None and cases["manifests"].find("skipped") is not None


def test_plan_errors_exit_2_before_anything_runs(tf_env, plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.__setitem__("validation", ["kubeval"]))
    done = infraplan(["check", "--plan", str(plan_copy)], tf_env)
    assert done.returncode == 2 and "did you mean 'kubernetes-validate'?" in done.stderr and "Synthesizing" not in done.stderr
