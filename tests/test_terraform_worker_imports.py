"""What a Terraform worker loads (stacks/terraform_worker.py, #16).

A worker's start is on the critical path of every synth. Proved here: importing what a worker
imports (``stacks.terraform_app``) and unpickling the job of the example's resolved environments
load neither the pydantic plan model (``constructs_lib.plan``'s modules; ``plan.errors``, plain
exceptions the constructs raise, aside) nor pydantic: the constructs' checks shared with the plan
live in ``constructs_lib/value_checks/``, and resolution needs the plan model only for annotations."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.target import REAL_AWS
from stacks.terraform_worker import TerraformJob

from conftest import EXAMPLE_PLAN, ROOT

# Run as a worker runs: this process's module path, then what main() imports, then the job.
_PROBE = """
import json, pickle, sys
sys.path[:] = json.loads(sys.argv[2])
import stacks.terraform_app
with open(sys.argv[1], "rb") as f:
    job = pickle.load(f)
print(json.dumps({"modules": sorted(sys.modules), "envs": len(job.envs)}))
"""

PLAIN_PLAN_MODULES = {"constructs_lib.plan", "constructs_lib.plan.errors"}


def test_worker_loads_neither_the_plan_model_nor_pydantic(tmp_path: Path) -> None:
    envs = tuple(resolve_plan(load_plan(EXAMPLE_PLAN), None))
    job_file = tmp_path / "job.pickle"
    job_file.write_bytes(pickle.dumps(TerraformJob(tmp_path / "out", envs, None, REAL_AWS, (), None, None)))
    run = subprocess.run([sys.executable, "-c", _PROBE, str(job_file), json.dumps(sys.path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.splitlines()[-1])
    modules = set(found["modules"])
    # the probe did load the worker's code and the job (the assertions below are not vacuous)
    assert found["envs"] == len(envs) and {"cdktf", "constructs_lib.terraform.stacks", "constructs_lib.resolve.model"} <= modules
    plan_model = sorted(m for m in modules if m.startswith("constructs_lib.plan") and m not in PLAIN_PLAN_MODULES)
    assert not plan_model, f"the worker loaded the plan model: {', '.join(plan_model)}"
    pydantic = sorted(m for m in modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
    assert not pydantic, f"the worker loaded pydantic: {', '.join(pydantic)}"
