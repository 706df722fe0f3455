"""The `infraplan` CLI end to end: synth, explain, validate, errors, atomic output."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, edit_yaml
from stacks.cli import main


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_synth_writes_every_stack_and_the_namespaces(tmp_path: Path, example_plan: Path, capsys) -> None:
    out = tmp_path / "x"
    assert main(["synth", "--plan", str(example_plan), "--out", str(out)]) == 0
    stacks = sorted(p.name for p in (out / "terraform/stacks").iterdir())
    for env in ("dev", "staging", "prod"):
        assert f"{env}-platform" in stacks and f"{env}-state" in stacks
        for tenant in ("org-a", "org-b", "org-c"):
            assert f"{env}-tenant-{tenant}" in stacks
    manifest = json.loads((out / "terraform/manifest.json").read_text())
    assert set(manifest["stacks"]) == set(stacks)
    ns = out / "kubernetes/dev/bootstrap/namespaces/org-a-web/namespace.yaml"
    assert "pod-security.kubernetes.io/enforce: restricted" in ns.read_text()
    assert (out / "kubernetes/prod-org-c/bootstrap/namespaces/org-c-payments/namespace.yaml").exists()
    assert not (out / "kubernetes/prod/bootstrap/namespaces/org-c-payments").exists()
    printed = capsys.readouterr().out
    assert "15 Terraform stacks" in printed and "Done in" in printed


def test_second_synth_is_byte_identical(tmp_path: Path, example_plan: Path) -> None:
    out = tmp_path / "x"
    assert main(["synth", "--plan", str(example_plan), "--out", str(out)]) == 0
    first = tree_digest(out)
    assert main(["synth", "--plan", str(example_plan), "--out", str(out)]) == 0
    assert tree_digest(out) == first
    other = tmp_path / "elsewhere" / "y"
    assert main(["synth", "--plan", str(example_plan), "--out", str(other)]) == 0
    assert tree_digest(other) == first  # no absolute paths leak into the output


def test_bad_plan_exits_2_and_leaves_previous_output(tmp_path: Path, plan_copy: Path, capsys) -> None:
    out = tmp_path / "x"
    assert main(["synth", "--plan", str(plan_copy), "--out", str(out)]) == 0
    before = tree_digest(out)
    (plan_copy / "staging.yaml").write_bytes(b"\x00\x01binary junk\xff")
    assert main(["synth", "--plan", str(plan_copy), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "staging.yaml" in err and "nothing was written" in err and "Traceback" not in err
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan", "x"]  # no staging folders left behind


def test_bad_plan_writes_nothing_into_a_new_folder(tmp_path: Path, plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(vpc_cidr="NEEDS CLARIFICATION"))
    out = tmp_path / "new"
    assert main(["synth", "--plan", str(plan_copy), "--out", str(out)]) == 2
    assert not out.exists()


def test_synth_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path, example_plan: Path, capsys) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["synth", "--plan", str(example_plan), "--out", str(out)]) == 2
    assert (out / "notes.txt").read_text() == "mine"
    assert "refusing" in capsys.readouterr().err


def test_synth_selects_environments_and_tenants(tmp_path: Path, example_plan: Path) -> None:
    out = tmp_path / "x"
    assert main(["synth", "--plan", str(example_plan), "--out", str(out), "--env", "prod", "--tenant", "org-c"]) == 0
    assert sorted(p.name for p in (out / "terraform/stacks").iterdir()) == ["prod-platform", "prod-state", "prod-tenant-org-c"]
    assert sorted(p.name for p in (out / "kubernetes").iterdir()) == ["prod", "prod-org-c"]


def test_unknown_environment_suggests(tmp_path: Path, example_plan: Path, capsys) -> None:
    assert main(["synth", "--plan", str(example_plan), "--out", str(tmp_path / "x"), "--env", "prd"]) == 2
    assert "did you mean 'prod'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_validate_is_fast_and_reports(example_plan: Path, plan_copy: Path, capsys) -> None:
    assert main(["validate", "--plan", str(example_plan)]) == 0
    assert "is valid" in capsys.readouterr().out
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(colour="blue"))
    assert main(["validate", "--plan", str(plan_copy)]) == 2
    err = capsys.readouterr().err
    assert "platform.yaml" in err and "unknown field 'colour'" in err


def test_explain_shows_values_and_sources(example_plan: Path, capsys) -> None:
    assert main(["explain", "--plan", str(example_plan), "--env", "prod"]) == 0
    out = capsys.readouterr().out
    assert "one-per-az" in out and "nat-by-tier" in out and "multi-az-from-uptime" in out
    assert "deployment-decision-matrix" in out and "kube-prometheus-stack" in out  # the add-on decisions
    assert "gitops.prod." in out and "gitops.prod-org-c." in out  # the GitOps tree's decisions per cluster
    assert "bootstrap." in out  # and the Pulumi bootstrap's
    assert main(["explain", "--plan", str(example_plan), "--env", "prod", "--tenant", "org-c"]) == 0
    out = capsys.readouterr().out
    assert "dedicated" in out and "acme-prod-org-c" in out


def test_explain_json_is_every_setting_as_data(example_plan: Path, capsys) -> None:
    """explain --json (#14) for tools and CI: the same settings as the table, values as JSON data, each
    with its source's kind, file/rule and reason."""
    assert main(["explain", "--plan", str(example_plan), "--env", "prod", "--tenant", "org-c", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["plan"], data["environment"], data["tenant"]) == ("acme", "prod", "org-c")
    settings = {s["path"]: s for s in data["settings"]}
    assert settings["tenant.org-c.isolation"]["value"] == "dedicated" and settings["tenant.org-c.isolation"]["source"]["kind"] == "tenant"
    assert all(set(s) == {"path", "value", "source"} and set(s["source"]) == {"kind", "ref", "reason"} for s in data["settings"])
    assert main(["explain", "--plan", str(example_plan), "--env", "prod", "--json"]) == 0
    table_free = capsys.readouterr().out
    assert "│" not in table_free and any(s["path"] == "network.azs" and isinstance(s["value"], list) for s in json.loads(table_free)["settings"])


def test_version_is_the_packages(capsys) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"infraplan {version('infraplan')}"


def _explained(out: str) -> dict[str, list[tuple[str, str]]]:
    """explain's table as setting -> [(value, source)], from each row's first line (settings never wrap)."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == 6 and cells[1]:
            rows.setdefault(cells[1], []).append((cells[2], cells[3]))
    return rows


def test_explain_shows_the_constructs_own_defaults(example_plan: Path, capsys) -> None:
    """What the plan leaves to the constructs is shown, once, with the construct that decides it: each
    EKS managed add-on's version (the pin of data/eks_addons.yaml, or EKS's default for the cluster's
    Kubernetes version), the database's windows and Performance Insights retention, the state bucket's
    old versions; for the environment and for a dedicated tenant's own cluster and database."""
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.cluster import eks_addon_versions
    from constructs_lib.terraform.state_backend import StateBackendProps

    version = load_plan(example_plan).platform.kubernetes.version
    expected = {name: pin or f"EKS default for Kubernetes {version}" for name, pin in eks_addon_versions(version).items()}
    assert main(["explain", "--plan", str(example_plan), "--env", "prod"]) == 0
    rows = _explained(capsys.readouterr().out)
    assert all(len(shown) == 1 for shown in rows.values()), {k: v for k, v in rows.items() if len(v) > 1}
    for name, value in expected.items():
        assert rows[f"cluster.eks_addons.{name}"] == [(value, "default: Cluster construct")]
    assert rows["state.noncurrent_version_days"] == [(str(StateBackendProps.noncurrent_version_days), "default: StateBackend construct")]
    for prop in ("backup_window", "maintenance_window", "performance_insights_retention_days"):
        assert rows[f"database.{prop}"][0][1] == "default: Database construct"
    assert main(["explain", "--plan", str(example_plan), "--env", "prod", "--tenant", "org-c"]) == 0
    rows = _explained(capsys.readouterr().out)
    assert all(len(shown) == 1 for shown in rows.values())
    for name, value in expected.items():
        assert rows[f"tenant.org-c.cluster.eks_addons.{name}"] == [(value, "default: Cluster construct")]
    assert rows["tenant.org-c.database.backup_window"][0][1] == "default: Database construct"


def test_console_script_runs_without_traceback_on_bad_input(tmp_path: Path) -> None:
    exe = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "infraplan"
    exe = exe if exe.exists() else Path(shutil.which("infraplan") or "infraplan")
    bad = tmp_path / "plan"
    bad.mkdir()
    (bad / "platform.yaml").write_text("- a list\n")
    proc = subprocess.run([str(exe), "validate", "--plan", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "platform.yaml" in proc.stderr


def test_cdktf_synth_works(tmp_path: Path) -> None:
    cli = ROOT / "node_modules" / ".bin" / "cdktf"
    if not cli.exists():
        pytest.fail("node_modules/.bin/cdktf is missing: run ./dev setup (npm ci)")
    work = tmp_path / "project"
    work.mkdir()
    for name in ("cdktf.json", "environments", "stacks", "constructs_lib", "node_modules", ".venv"):
        (work / name).symlink_to(ROOT / name)
    env = dict(os.environ, CHECKPOINT_DISABLE="1", DISABLE_VERSION_CHECK="1", CI="1")
    proc = subprocess.run([str(cli), "synth"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stacks = sorted(p.name for p in (work / "cdktf.out" / "stacks").iterdir())
    assert "dev-platform" in stacks and "prod-tenant-org-c" in stacks and len(stacks) == 15
    manifest = json.loads((work / "cdktf.out" / "manifest.json").read_text())  # the stack graph, as cdktf's CLI writes it
    assert manifest["stacks"]["prod-tenant-org-a"]["dependencies"] == ["prod-state", "prod-platform"]
