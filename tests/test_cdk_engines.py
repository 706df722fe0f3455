"""infraplan on both CDK engines: cdktf (archived upstream in December 2025) and its maintained
fork CDK Terrain (cdktn). The engine is chosen once, in constructs_lib/terraform/engine.py; both
write the same Terraform for the bundled example. CI also runs the Terraform tests with
INFRAPLAN_CDK=cdktn (.ci/run). CDK Terrain's CLI (`cdktn synth`, npm cdktn-cli 0.24) needs
Node.js >= 22 and is not run here (docs/architecture.md)."""

from __future__ import annotations

import importlib.util
from importlib.metadata import version
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLE_PLAN, ROOT, terraform
from constructs_lib.terraform import engine

GOLDEN = ROOT / "tests" / "golden" / "example"


def engine_neutral(doc: dict) -> dict:
    """A stack's JSON without the engine's name and version (the only difference between engines)."""
    meta = doc.get("//", {}).get("metadata", {})
    meta.pop("version", None)
    return doc


def test_an_unknown_engine_is_refused_with_the_choices() -> None:
    with pytest.raises(engine.EngineMissing, match="cdktf or cdktn"):
        engine.load("cdk8s")


def test_both_engines_are_installed_so_ci_runs_each() -> None:
    """./dev setup installs both; a missing one would quietly test only the other."""
    assert all(importlib.util.find_spec(name) for name in engine.ENGINES), "run ./dev setup"


@pytest.mark.slow
@pytest.mark.parametrize("name", engine.ENGINES)
def test_each_engine_writes_the_reviewed_terraform(name: str, tmp_path: Path, terraform_cli_config: dict[str, str]) -> None:
    """`infraplan synth` on each engine: every stack equals the golden copy's but for the engine's version, and validates."""
    out = tmp_path / "dist"
    env = dict(os.environ, INFRAPLAN_CDK=name)
    proc = subprocess.run([str(ROOT / ".venv/bin/infraplan"), "synth", "--plan", str(EXAMPLE_PLAN), "--out", str(out), "--state-dir", str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stacks = sorted(p.name for p in (GOLDEN / "terraform/stacks").iterdir())
    assert sorted(p.name for p in (out / "terraform/stacks").iterdir()) == stacks
    for stack in stacks:
        ours = json.loads((out / "terraform/stacks" / stack / "cdk.tf.json").read_text())
        golden = json.loads((GOLDEN / "terraform/stacks" / stack / "cdk.tf.json").read_text())
        assert ours["//"]["metadata"]["version"] == version(name), stack  # written by the engine asked for
        assert engine_neutral(ours) == engine_neutral(golden), stack
    work = tmp_path / "validate"
    shutil.copytree(out / "terraform/stacks/dev-platform", work)
    terraform(["init", "-backend=false", "-input=false"], work, terraform_cli_config)
    assert '"valid": true' in terraform(["validate", "-json"], work, terraform_cli_config).stdout
