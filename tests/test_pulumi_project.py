"""A Pulumi project in the user's own repository: `infraplan init --pulumi` writes one for the
user's plan, its program finds the plan relative to the project (not to infraplan's checkout),
`toolchain: pip` has the requirements it installs, and nothing of the user's is overwritten."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pulumi
import pytest
import yaml

from conftest import ROOT
from stacks.cli import main
from stacks.pulumi_preview import run_offline

# The connection as an override (no AWS lookup) and the example's private repository credential.
CONFIG = {
    "infraplan:clusterEndpoint": "https://cluster.example",
    "infraplan:clusterCertificateAuthority": "Y2E=",
    "infraplan:gitopsRepoUsername": "x-access-token",
    "infraplan:gitopsRepoPassword": "ghp_TEST0nly0fake",
}


@pytest.fixture
def user_repo(tmp_path: Path, example_plan: Path) -> Path:
    """A user's repository: the plan in platform/plan, nothing else."""
    repo = tmp_path / "user-repo"
    shutil.copytree(example_plan, repo / "platform" / "plan")
    return repo


def test_init_writes_a_runnable_project_for_the_users_plan(user_repo: Path, capsys) -> None:
    out = user_repo / "bootstrap"
    assert main(["init", "--pulumi", "--plan", str(user_repo / "platform" / "plan"), "--out", str(out), "--requirement", "infraplan @ git+https://git.example/infraplan.git@v0.1.0"]) == 0
    # one stack per cluster: prod also has org-c's dedicated cluster
    assert sorted(p.name for p in out.iterdir()) == [
        "Pulumi.dev.yaml", "Pulumi.prod-org-c.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", "Pulumi.yaml", "__main__.py", "requirements.txt"
    ]
    project = yaml.safe_load((out / "Pulumi.yaml").read_text())
    assert project["name"] == "acme-bootstrap"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert (out / project["main"]).is_file()
    assert project["config"]["plan"]["default"] == "../platform/plan"  # relative: the repository can move
    requirements = [line for line in (out / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    from importlib.metadata import version

    assert requirements[0] == "infraplan @ git+https://git.example/infraplan.git@v0.1.0"
    assert f"pulumi=={version('pulumi')}" in requirements and f"pulumi-kubernetes=={version('pulumi-kubernetes')}" in requirements
    for stack, env in (("dev", "dev"), ("staging", "staging"), ("prod", "prod"), ("prod-org-c", "prod")):
        assert yaml.safe_load((out / f"Pulumi.{stack}.yaml").read_text()) == {"config": {"infraplan:environment": env, "infraplan:cluster": stack}}


def test_the_program_reads_the_plan_relative_to_the_project_root(user_repo: Path, tmp_path: Path, monkeypatch) -> None:
    """The CLI runs the program with the project root known (pulumi.get_root_directory());
    the plan path resolves against it, from whatever folder pulumi was started."""
    out = user_repo / "bootstrap"
    assert main(["init", "--pulumi", "--plan", str(user_repo / "platform" / "plan"), "--out", str(out)]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = {
        **CONFIG,
        "infraplan:clusterEndpoint-prod-org-c": "https://org-c.example",  # a dedicated cluster's own override keys
        "infraplan:clusterCertificateAuthority-prod-org-c": "Y2E=",
        **yaml.safe_load((out / "Pulumi.prod-org-c.yaml").read_text())["config"],
        "infraplan:plan": yaml.safe_load((out / "Pulumi.yaml").read_text())["config"]["plan"]["default"],
    }

    def program() -> dict:
        pulumi.runtime.settings.SETTINGS.root_directory = str(out)  # what the CLI passes the language host
        runpy.run_path(str(out / "__main__.py"), run_name="__main__")
        return {}

    run = run_offline(program, stack="prod-org-c", config=config)
    assert {r.name for r in run.resources} >= {"prod-org-c-cluster", "prod-org-c-argocd", "prod-org-c-root"}
    assert "prod-cluster" not in {r.name for r in run.resources}


def test_init_never_overwrites_the_users_files(user_repo: Path, capsys) -> None:
    out = user_repo / "bootstrap"
    out.mkdir()
    (out / "Pulumi.yaml").write_text("name: theirs\n")
    assert main(["init", "--pulumi", "--plan", str(user_repo / "platform" / "plan"), "--out", str(out)]) == 2
    assert "Pulumi.yaml" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["Pulumi.yaml"] and (out / "Pulumi.yaml").read_text() == "name: theirs\n"


def test_init_with_a_bad_plan_writes_nothing(user_repo: Path, capsys) -> None:
    plan = user_repo / "platform" / "plan"
    (plan / "platform.yaml").write_text((plan / "platform.yaml").read_text().replace("cloud: aws", "cloud: gcp", 1))
    out = user_repo / "bootstrap"
    assert main(["init", "--pulumi", "--plan", str(plan), "--out", str(out)]) == 2
    assert not out.exists()


def test_init_needs_to_be_told_what_to_create(user_repo: Path, capsys) -> None:
    assert main(["init", "--plan", str(user_repo / "platform" / "plan"), "--out", str(user_repo / "x")]) == 2
    assert "--pulumi" in capsys.readouterr().err


def test_the_repositorys_own_project_has_the_requirements_its_toolchain_installs() -> None:
    """Pulumi.yaml's `toolchain: pip` runs `pip install -r requirements.txt` into the virtualenv on `pulumi install`."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["runtime"]["options"]["toolchain"] == "pip"
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert "-e ." in lines
