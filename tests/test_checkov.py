"""checkov, offline, over everything the example plan synthesizes: the Terraform
stacks and the Kubernetes manifests (app overlays built with kustomize first).

Every finding must be accepted on purpose in policy/checkov-accepted.yaml, with
its reason and where it applies; any other finding fails the test, and so does
an accepted entry that no longer matches anything (the list cannot rot)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from constructs_lib.gates.checkov import RUNNER, unaccepted  # the product's matching (infraplan check's checkov rule)

ACCEPTED = ROOT / "policy" / "checkov-accepted.yaml"


def checkov_bin() -> Path:
    path = Path(os.environ.get("INFRAPLAN_CHECKOV", ROOT / ".tools" / "checkov" / "bin" / "checkov"))
    if not path.exists():
        pytest.fail(f"{path} is missing: ./dev setup installs checkov into .tools/checkov")
    return path


def run_checkov(directory: Path, framework: str) -> list[tuple[str, str, str]]:
    """(check id, file relative to ``directory``, resource) for every failed check."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", LOG_LEVEL="ERROR")
    # checkov's own Python, through the product's checkov_run.py (infraplan check runs the same): it fixes
    # checkov's reading of the terraform block; -I keeps constructs_lib/gates/ off its sys.path
    python = checkov_bin().parent / "python"
    proc = subprocess.run(
        [str(python), "-I", str(RUNNER), "-d", str(directory), "--framework", framework, "--skip-download", "-o", "json", "--soft-fail"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    findings = []
    for report in reports:
        assert report["summary"]["parsing_errors"] == 0, report["summary"]
        assert report["summary"]["passed"] > 0  # it really scanned something
        for failed in report["results"]["failed_checks"]:
            findings.append((failed["check_id"], failed["file_path"].lstrip("/"), failed["resource"]))
    return findings


@pytest.fixture(scope="module")
def accepted() -> dict:
    data = yaml.safe_load(ACCEPTED.read_text())
    for section in data.values():
        for entry in section:
            assert entry.get("reason", "").strip(), f"{entry['check']}: every accepted finding needs a reason"
    return data


def test_terraform_has_no_unaccepted_findings(example_synth: Path, accepted: dict) -> None:
    findings = run_checkov(example_synth / "terraform" / "stacks", "terraform_json")
    left, stale = unaccepted(findings, accepted["terraform"])
    assert not left, "checkov findings not accepted in policy/checkov-accepted.yaml:\n" + "\n".join(sorted(left))
    assert not stale, "accepted entries that match nothing any more:\n" + "\n".join(stale)


def test_kubernetes_has_no_unaccepted_findings(example_synth: Path, accepted: dict, tmp_path: Path) -> None:
    tree = example_synth / "kubernetes"
    scan = tmp_path / "scan"
    for path in tree.rglob("*.yaml"):
        rel = path.relative_to(tree)
        if "apps" in rel.parts or path.name == "kustomization.yaml":
            continue  # apps are scanned as kustomize builds them, below
        (scan / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, scan / rel)
    overlays = sorted(tree.glob("*/apps/*/overlays/*"))
    assert overlays
    for overlay in overlays:
        built = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True).stdout
        rel = overlay.relative_to(tree)
        target = scan / rel.parent / f"{rel.name}-built.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(built)
    findings = run_checkov(scan, "kubernetes")
    left, stale = unaccepted(findings, accepted["kubernetes"])
    assert not left, "checkov findings not accepted in policy/checkov-accepted.yaml:\n" + "\n".join(sorted(left))
    assert not stale, "accepted entries that match nothing any more:\n" + "\n".join(stale)


def test_acceptance_is_by_check_and_place() -> None:
    entries = [{"check": "CKV_A", "where": ["dev-*"], "reason": "r"}, {"check": "CKV_B", "reason": "r"}]
    left, stale = unaccepted([("CKV_A", "dev-platform/cdk.tf.json", "x"), ("CKV_A", "prod-platform/cdk.tf.json", "y")], entries)
    assert left == ["CKV_A prod-platform/cdk.tf.json y"]
    assert stale == ["CKV_B where ['*']"]
