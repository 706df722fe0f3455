"""An environment or tenant name on the command line that the plan does not define (#14): every
command that takes --env / --tenant says which defined name is closest and lists them all, in the
plan error format, with exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.cli import main

ENVS = "defined environments: dev, prod, staging"
TENANTS = "defined tenants: org-a, org-b, org-c"


def _refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "The plan has 1 problem; nothing was written." in err
    return err


@pytest.mark.parametrize(
    "command",
    [["synth", "--out", "{tmp}/out"], ["explain"], ["check"], ["diff", "--against", "{tmp}"], ["preview"], ["verify"], ["graph"]],
    ids=lambda c: c[0],
)
def test_an_unknown_environment_is_refused_with_the_closest_and_the_defined_ones(command: list[str], tmp_path: Path, capsys) -> None:
    argv = [arg.format(tmp=tmp_path) for arg in command]
    err = _refused(capsys, [*argv, "--env", "prdo"])
    assert "<command line>: --env: no environment named 'prdo'" in err
    assert f"hint: did you mean 'prod'? {ENVS}" in err
    assert not (tmp_path / "out").exists()


def test_a_name_close_to_none_lists_the_defined_ones(capsys) -> None:
    err = _refused(capsys, ["explain", "--env", "qa"])
    assert f"hint: {ENVS}" in err and "did you mean" not in err


@pytest.mark.parametrize("command", [["synth", "--out", "{tmp}/out"], ["explain", "--env", "prod"], ["verify", "--env", "prod"]], ids=lambda c: c[0])
def test_an_unknown_tenant_is_refused_with_the_closest_and_the_defined_ones(command: list[str], tmp_path: Path, capsys) -> None:
    argv = [arg.format(tmp=tmp_path) for arg in command]
    err = _refused(capsys, [*argv, "--tenant", "orgc"])
    assert "<command line>: --tenant: no tenant named 'orgc'" in err
    assert f"hint: did you mean 'org-c'? {TENANTS}" in err
    assert not (tmp_path / "out").exists()
