"""`terraform plan` on moto reads a hostile tag as the literal it is (issue #10).

The dev-state stack is given the tag ``${file("/etc/hostname")}`` (as a value and as a
key); the saved plan holds that very string in the state bucket's ``tags_all``, never
the file's contents. `validate` refuses such a tag in the plan (AWS tags take no ``$``,
see tests/test_injection.py), so the stack gets it the way an extension or a Python
user of the constructs could: in the resolved environment. Plan only, one moto server.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.terraform.target import AwsTarget
from stacks.terraform_app import synth_terraform

from .tfrun import tf

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '${file("/etc/hostname")}'


def test_terraform_plan_shows_the_hostile_tag_as_written(moto_factory, terraform_cli_config: dict[str, str], tmp_path: Path) -> None:
    env = resolve_environment(load_plan(ROOT / "environments"), "dev")
    env = dataclasses.replace(env, tags=(*env.tags, ("injected", HOSTILE), (HOSTILE, "key")))
    moto = moto_factory(env.account_id)
    out = tmp_path / "terraform"
    synth_terraform(out, [env], tenants=set(), target=AwsTarget(moto.url), state_dir=tmp_path)
    stack = out / "stacks" / env.state_stack_name

    tf(["init", "-input=false"], stack, terraform_cli_config)
    tf(["plan", "-input=false", "-out=plan.bin"], stack, terraform_cli_config)
    plan = json.loads(tf(["show", "-json", "plan.bin"], stack, terraform_cli_config).stdout)

    buckets = [c["change"]["after"] for c in plan["resource_changes"] if c["type"] == "aws_s3_bucket"]
    assert len(buckets) == 1
    tags = buckets[0]["tags_all"]
    assert tags["injected"] == HOSTILE and tags[HOSTILE] == "key"
    contents = Path("/etc/hostname").read_text() if Path("/etc/hostname").is_file() else None
    assert contents not in (tags["injected"], *tags), "Terraform read /etc/hostname"  # what file() would have made of it
