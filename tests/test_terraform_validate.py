"""`terraform init -backend=false && terraform validate` passes for every stack of the example."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import terraform

STACKS = [
    f"{env}-{kind}"
    for env in ("dev", "staging", "prod")
    for kind in ("state", "platform", "tenant-org-a", "tenant-org-b", "tenant-org-c")
]


def test_the_example_has_the_expected_stacks(example_synth: Path) -> None:
    assert sorted(p.name for p in (example_synth / "terraform/stacks").iterdir()) == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_validates(stack: str, example_synth: Path, terraform_cli_config: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / stack
    shutil.copytree(example_synth / "terraform/stacks" / stack, work)
    terraform(["init", "-backend=false", "-input=false"], work, terraform_cli_config)
    result = terraform(["validate", "-json"], work, terraform_cli_config)
    assert '"valid": true' in result.stdout, result.stdout
