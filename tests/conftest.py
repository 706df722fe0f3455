"""Shared fixtures: the example plan, a scratch copy to break, the Terraform CLI
config for the local provider mirror, and one synth of the example per session."""

from __future__ import annotations

import atexit
import glob
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PLAN = ROOT / "environments"
SHARED = ROOT.parent / "shared"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")
# The EKS support windows are judged on this day, never the wall clock (subprocesses inherit it).
os.environ["INFRAPLAN_TODAY"] = "2026-11-26"

# cdktf's Testing.app() makes a new outdir under Node's os.tmpdir() on every call and never
# removes it. The jsii runtime (Node) inherits TMPDIR when it starts, so point it at a folder of
# this session's own, removed at exit; Python's own temporary folder stays the system one, in
# pytest-xdist's workers too (they inherit the controller's TMPDIR: a folder only root may enter,
# where PostgreSQL, run as its own user by the database bootstrap tests, could not read its files).
_SYSTEM_TMP = os.environ.get("INFRAPLAN_TESTS_SYSTEM_TMPDIR") or tempfile.gettempdir()
os.environ["INFRAPLAN_TESTS_SYSTEM_TMPDIR"] = _SYSTEM_TMP
tempfile.tempdir = _SYSTEM_TMP
_SESSION_TMP = tempfile.mkdtemp(prefix="infraplan-tests-")
os.environ["TMPDIR"] = _SESSION_TMP
atexit.register(shutil.rmtree, _SESSION_TMP, True)


def find_provider_mirror() -> Path | None:
    """The folder above ``registry.terraform.io/`` that holds the AWS provider."""
    candidates = [os.environ.get("INFRAPLAN_TF_MIRROR", ""), "/opt/tf-plugins", "/usr/share/terraform/plugins", str(Path.home() / ".terraform.d/plugins")]
    for root in candidates:
        if root and glob.glob(f"{root}/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*"):
            return Path(root)
    return None


@pytest.fixture(scope="session")
def example_plan() -> Path:
    return EXAMPLE_PLAN


@pytest.fixture
def plan_copy(tmp_path: Path) -> Path:
    """A scratch copy of the example plan that a test may break."""
    dest = tmp_path / "plan"
    shutil.copytree(EXAMPLE_PLAN, dest)
    return dest


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for running terraform offline against the local provider mirror."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH; infraplan's tests need the real terraform CLI")
    mirror = find_provider_mirror()
    if mirror is None:
        pytest.fail("no local mirror of the AWS provider found; set INFRAPLAN_TF_MIRROR to the folder above registry.terraform.io/")
    base = tmp_path_factory.mktemp("terraform-cli")
    cache = base / "plugin-cache"
    cache.mkdir()
    config = base / "terraformrc"
    config.write_text(
        f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/*"]
  }}
}}
plugin_cache_dir = "{cache}"
disable_checkpoint = true
"""
    )
    env = dict(os.environ)
    env.update({"TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"})
    return env


def terraform(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def example_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plan synthesized once for the session (read-only for tests)."""
    from stacks.synth import synthesize

    out = tmp_path_factory.mktemp("example") / "dist"
    synthesize(EXAMPLE_PLAN, out)
    return out


@pytest.fixture(scope="session")
def aws_schema(example_synth: Path, terraform_cli_config: dict[str, str], tmp_path_factory) -> dict:
    """The real AWS provider schema (`terraform providers schema -json`) from the local mirror."""
    work = tmp_path_factory.mktemp("schema")
    stack = json.loads((example_synth / "terraform/stacks/dev-platform/cdk.tf.json").read_text())
    (work / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": stack["terraform"]["required_providers"]}}))
    terraform(["init", "-backend=false", "-input=false"], work, terraform_cli_config)
    proc = terraform(["providers", "schema", "-json"], work, terraform_cli_config)
    schemas = json.loads(proc.stdout)["provider_schemas"]
    return schemas["registry.terraform.io/hashicorp/aws"]


def load_stack(out: Path, stack: str) -> dict:
    return json.loads((out / "terraform" / "stacks" / stack / "cdk.tf.json").read_text())


# --- lanes ----------------------------------------------------------------------------------------
# The fast lane (`./dev test -n 2 -m "not slow and not deploy"`, under 30 s on two cores) is pure Python: the
# plan model, resolution, the renderers' objects. Everything that runs terraform, kubectl, checkov,
# a database, a subprocess or a full synth is `slow` and runs in CI with the deploy tests.
SLOW_FIXTURES = {"example_synth", "terraform_cli_config", "aws_schema", "moto_server", "moto_factory", "builds", "sims", "views"}
SLOW_MODULES = {
    "test_checkov",
    "test_cli",
    "test_database_bootstrap",
    "test_gitops_crds",
    "test_gitops_sync",
    "test_gitops_validate",
    "test_hostile_corpus",
    "test_injection",
    "test_multi_region",
    "test_plan_properties",
    "test_provider_schema",
    "test_synth_output",
    "test_terraform_validate",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
        if module in SLOW_MODULES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
