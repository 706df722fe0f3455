"""Re-running synth after `terraform apply` of the bootstrap stack loses nothing:
the local state lives outside the output, and terraform's working files are kept."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from .tfrun import tf

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_resynth_keeps_the_applied_state_and_terraform_sees_no_change(moto_server, terraform_cli_config, tmp_path: Path) -> None:
    from stacks.cli import main

    out = tmp_path / "dist"
    argv = ["synth", "--plan", str(ROOT / "environments"), "--out", str(out), "--env", "dev", "--tenant", "org-a", "--aws-endpoint", moto_server.url]
    assert main(argv) == 0
    stack = out / "terraform/stacks/dev-state"
    tf(["init", "-input=false"], stack, terraform_cli_config)
    tf(["apply", "-auto-approve", "-input=false"], stack, terraform_cli_config)

    state = tmp_path / "terraform.dev-state.tfstate"
    resources = {r["type"] for r in json.loads(state.read_text())["resources"]}
    assert {"aws_s3_bucket", "aws_dynamodb_table", "aws_kms_key"} <= resources
    assert not list(stack.glob("*.tfstate*"))  # nothing terraform keeps lives in the replaced folder
    before = {"state": digest(state), "lock": digest(stack / ".terraform.lock.hcl")}

    assert main(argv) == 0  # the documented flow: synth again after applying

    assert digest(state) == before["state"]
    assert digest(stack / ".terraform.lock.hcl") == before["lock"]
    assert (stack / ".terraform").is_dir()
    # No init needed, and terraform finds every resource it made: nothing to change.
    plan = tf(["plan", "-detailed-exitcode", "-input=false"], stack, terraform_cli_config, check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr
