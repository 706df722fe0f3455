"""`infraplan init [DIR]`: a new plan to fill in (issue #14, "Seeing and starting a plan").

It asks nothing and writes every decision nothing can default as NEEDS CLARIFICATION; validate
lists them all at once, each at its file, line and field. Filled in at exactly those lines (the
test writes a value where validate points), the plan validates, passes the editor's schemas and
synthesizes. A folder that holds anything is refused, and `init --pulumi` still writes a Pulumi project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_lib.plan import PlanError, load_plan
from stacks.cli import main

# Each decision init leaves open (file, field as validate names it) and a value the test decides.
DECISIONS = {
    ("platform.yaml", "name"): "acme",
    ("platform.yaml", "kubernetes.version"): '"1.35"',
    ("platform.yaml", "gitops.repo_url"): "https://git.example.com/acme/gitops.git",
    ("platform.yaml", "state_backend.bucket_prefix"): "acme-tfstate",
    ("platform.yaml", "performance.uptime_percent"): "99.9",
    ("platform.yaml", "performance.rto_minutes"): "60",
    ("platform.yaml", "performance.rpo_minutes"): "15",
    ("platform.yaml", "scale.tenants"): "5",
    ("platform.yaml", "scale.namespaces_per_tenant"): "3",
    ("platform.yaml", "scale.max_nodes"): "10",
    ("dev.yaml", "account_id"): '"123456789012"',
    ("dev.yaml", "regions[0]"): "eu-west-1",
    ("dev.yaml", "vpc_cidr"): "10.10.0.0/16",
    ("dev.yaml", "cluster.node_groups[0].instance_types[0]"): "m6i.large",
    ("dev.yaml", "cluster.node_groups[0].min_size"): "2",
    ("dev.yaml", "cluster.node_groups[0].max_size"): "4",
    ("dev.yaml", "platform_admins.principal_arns[0]"): "arn:aws:iam::123456789012:role/platform-admin",
    ("tenants/example.yaml", "display_name"): '"Example Corp"',
    ("tenants/example.yaml", "groups.developers[0]"): "example-developers",
    ("tenants/example.yaml", "environments.dev.access_principals.developers[0]"): "arn:aws:iam::123456789012:role/example-developers",
}
FILES = ["dev.yaml", "platform.yaml", "tenants/example.yaml"]


def files_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def undecided(plan: Path) -> list:
    with pytest.raises(PlanError) as caught:
        load_plan(plan)
    return caught.value.issues


def fill(plan: Path) -> None:
    """Write each decision at the line validate names: the lines it reports are the lines to edit."""
    for issue in undecided(plan):
        path = Path(issue.file)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        assert lines[issue.line - 1].count("NEEDS CLARIFICATION") == 1, (issue.render(), lines[issue.line - 1])
        lines[issue.line - 1] = lines[issue.line - 1].replace("NEEDS CLARIFICATION", DECISIONS[(path.relative_to(plan).as_posix(), issue.path)])
        path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def scaffold(tmp_path: Path) -> Path:
    plan = tmp_path / "my-platform" / "plan"
    assert main(["init", str(plan)]) == 0
    return plan


def test_init_writes_a_plan_with_one_environment_and_one_tenant(tmp_path: Path, capsys) -> None:
    plan = tmp_path / "my-platform" / "plan"
    assert main(["init", str(plan)]) == 0
    assert files_of(plan) == FILES
    out = capsys.readouterr().out
    assert "NEEDS CLARIFICATION" in out and f"validate --plan {plan}" in out


def test_validate_lists_every_open_decision_at_once(scaffold: Path, capsys) -> None:
    issues = undecided(scaffold)
    assert all(i.message == "still marked NEEDS CLARIFICATION" and i.line for i in issues), [i.render() for i in issues]
    assert sorted((Path(i.file).relative_to(scaffold).as_posix(), i.path) for i in issues) == sorted(DECISIONS)
    assert main(["validate", "--plan", str(scaffold)]) == 2
    assert f"The plan has {len(DECISIONS)} problems" in capsys.readouterr().err


def test_the_filled_plan_validates_and_passes_the_editor_schemas(scaffold: Path) -> None:
    from test_plan_schema import schema_errors

    fill(scaffold)
    plan = load_plan(scaffold)
    assert list(plan.environments) == ["dev"] and list(plan.tenants) == ["example"]
    assert schema_errors(scaffold) == []


@pytest.mark.slow
def test_the_filled_plan_synthesizes(scaffold: Path, tmp_path: Path) -> None:
    fill(scaffold)
    out = tmp_path / "dist"
    assert main(["synth", "--plan", str(scaffold), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "terraform" / "stacks").iterdir()) == ["dev-platform", "dev-state", "dev-tenant-example"]
    assert (out / "kubernetes" / "dev").is_dir()


def test_init_refuses_a_folder_that_holds_anything(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    (folder / ".keep").write_text("mine\n")
    assert main(["init", str(folder)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert files_of(folder) == [".keep"] and (folder / ".keep").read_text() == "mine\n"


def test_init_refuses_a_file_and_writes_into_an_empty_folder(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["init", str(tmp_path / "file")]) == 2
    assert (tmp_path / "file").read_text() == "x"
    (tmp_path / "empty").mkdir()
    assert main(["init", "--plan", str(tmp_path / "empty")]) == 0
    assert files_of(tmp_path / "empty") == FILES


def test_init_without_a_folder_writes_environments_in_the_current_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert files_of(tmp_path / "environments") == FILES
    assert main(["init"]) == 2  # the second time it is not empty


def test_init_takes_the_pulumi_options_only_with_pulumi(tmp_path: Path, capsys) -> None:
    assert main(["init", str(tmp_path / "plan"), "--out", str(tmp_path / "x")]) == 2
    assert "--pulumi" in capsys.readouterr().err
    assert not (tmp_path / "plan").exists() and not (tmp_path / "x").exists()


def test_init_pulumi_takes_the_project_folder_as_dir(scaffold: Path, tmp_path: Path) -> None:
    fill(scaffold)
    project = tmp_path / "bootstrap"
    assert main(["init", "--pulumi", "--plan", str(scaffold), str(project)]) == 0
    assert sorted(p.name for p in project.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.yaml", "__main__.py", "requirements.txt"]
