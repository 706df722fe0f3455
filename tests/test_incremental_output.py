"""A re-synth rewrites only what changed (issue #16): unchanged files keep inode, mtime and bytes, a run
with no change writes nothing, synth reports the stacks and cluster trees it added, changed or removed,
a --env run keeps the other environments' files, a failure at any step leaves --out as it was, and
`infraplan diff --against DIR` compares a fresh synthesis with an existing output or GitOps tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stacks.cli import main
from stacks.output import OUTPUT_MARKER

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "example"

pytestmark = pytest.mark.slow  # whole synths


def stats(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file below ``root`` (the marker and others' files too): inode, mtime in ns, bytes."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            found[path.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns, path.read_bytes())
    return found


def synth(plan: Path, out: Path, *extra: str) -> int:
    return main(["synth", "--plan", str(plan), "--out", str(out), *extra])


def report(text: str) -> list[str]:
    """The synth report's unit lines (status, kind, name), and 'no changes'."""
    lines = text.splitlines()
    return [" ".join(line.split()) for line in lines if line.startswith(("    added ", "    changed ", "    removed ", "no changes"))]


def retag_dev_storefront(plan: Path) -> None:
    """A change of tenant org-a in dev only: its image tag there and its database credentials version."""
    path = plan / "tenants" / "org-a.yaml"
    text = path.read_text()
    assert "storefront: 2.4.0-rc.1" in text and "credentials_version: 1 " in text
    path.write_text(text.replace("storefront: 2.4.0-rc.1", "storefront: 2.4.0-rc.2"))


@pytest.fixture
def dist(tmp_path: Path, plan_copy: Path, capsys) -> Path:
    out = tmp_path / "dist"
    assert synth(plan_copy, out) == 0
    capsys.readouterr()
    return out


def test_a_resynth_without_change_rewrites_no_file(dist: Path, plan_copy: Path, capsys) -> None:
    stack = dist / "terraform/stacks/dev-platform"
    (stack / ".terraform").mkdir()
    (stack / ".terraform/plugin").write_bytes(b"provider")  # others' files stay as they are too
    before, dirs = stats(dist), {p: p.stat().st_ino for p in dist.rglob("*") if p.is_dir()}
    assert len(before) > 500
    assert synth(plan_copy, dist) == 0
    files = len(json.loads((dist / OUTPUT_MARKER).read_text())["files"])
    assert report(capsys.readouterr().out) == [f"no changes ({files} files as they were)"]
    assert stats(dist) == before
    assert {p: p.stat().st_ino for p in dist.rglob("*") if p.is_dir()} == dirs  # nothing was swapped
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist", "plan"]  # no staging left


def test_a_one_tenant_change_rewrites_only_its_files_and_names_them(dist: Path, plan_copy: Path, capsys) -> None:
    before = stats(dist)
    retag_dev_storefront(plan_copy)
    text = (plan_copy / "tenants/org-a.yaml").read_text()
    assert text.count('cpu: "4"') == 1
    (plan_copy / "tenants/org-a.yaml").write_text(text.replace('cpu: "4"', 'cpu: "6"'))  # its quota in dev
    assert synth(plan_copy, dist) == 0
    assert report(capsys.readouterr().out) == ["changed cluster tree dev"]
    after = stats(dist)
    rewritten = {rel for rel in after if after[rel][:2] != before.get(rel, (None, None, None))[:2]} - {OUTPUT_MARKER}
    differing = {rel for rel in after if after[rel][2] != before.get(rel, (None, None, None))[2]} - {OUTPUT_MARKER}
    assert rewritten == differing  # a file is rewritten exactly when its bytes changed
    assert rewritten == {
        "kubernetes/dev/apps/storefront/overlays/dev/kustomization.yaml",
        "kubernetes/dev/bootstrap/namespaces/org-a-api/resourcequota.yaml",
        "kubernetes/dev/bootstrap/namespaces/org-a-web/resourcequota.yaml",
    }


def test_the_report_names_each_changed_unit_in_order(dist: Path, plan_copy: Path, capsys) -> None:
    text = (plan_copy / "tenants/org-a.yaml").read_text()
    (plan_copy / "tenants/org-a.yaml").write_text(text.replace("credentials_version: 1 ", "credentials_version: 2 "))
    shutil.rmtree(dist / "kubernetes/prod-org-c")  # removed by hand: synth writes it again
    assert synth(plan_copy, dist) == 0
    lines = report(capsys.readouterr().out)
    assert lines == [
        "changed stack dev-tenant-org-a",
        "changed stack prod-tenant-org-a",
        "changed stack staging-tenant-org-a",
        "changed cluster tree dev",
        "changed cluster tree prod",
        "added cluster tree prod-org-c",
        "changed cluster tree staging",
    ], lines


def test_an_env_run_keeps_the_other_environments_files(dist: Path, plan_copy: Path, capsys) -> None:
    before = stats(dist)
    assert synth(plan_copy, dist, "--env", "dev") == 0  # the same plan: nothing changes, the manifest included
    assert report(capsys.readouterr().out)[0].startswith("no changes")
    assert stats(dist) == before
    (plan_copy / "tenants/org-b.yaml").unlink()  # org-b leaves every environment; only dev is synthesized
    assert synth(plan_copy, dist, "--env", "dev") == 0
    assert report(capsys.readouterr().out) == [
        "changed stack dev-platform",  # org-b's access entries on the cluster
        "removed stack dev-tenant-org-b",
        "changed cluster tree dev",
        "changed file terraform/manifest.json",
    ]
    after = stats(dist)
    for rel, entry in before.items():
        if not rel.startswith(("kubernetes/dev/", "terraform/stacks/dev-", "terraform/manifest.json", OUTPUT_MARKER)):
            assert after[rel] == entry, rel  # staging's and prod's files: not deleted, not rewritten
    assert not (dist / "terraform/stacks/dev-tenant-org-b").exists()
    manifest = json.loads((dist / "terraform/manifest.json").read_text())["stacks"]
    assert "dev-tenant-org-b" not in manifest and {"staging-tenant-org-b", "prod-tenant-org-b", "dev-platform"} <= set(manifest)
    assert synth(plan_copy, dist) == 0  # the whole plan: now staging and prod follow
    assert "removed stack staging-tenant-org-b" in report(capsys.readouterr().out)


def test_an_env_run_over_an_older_marker_deletes_nothing_it_cannot_attribute(dist: Path, plan_copy: Path, capsys) -> None:
    marker = json.loads((dist / OUTPUT_MARKER).read_text())
    del marker["environments"]  # as infraplan wrote it before it recorded whose each file is
    (dist / OUTPUT_MARKER).write_text(json.dumps(marker))
    (plan_copy / "tenants/org-b.yaml").unlink()
    for env in ("dev", "staging"):
        assert synth(plan_copy, dist, "--env", env) == 0
        assert "environments" not in json.loads((dist / OUTPUT_MARKER).read_text())
    assert (dist / "terraform/stacks/prod-tenant-org-b/cdk.tf.json").is_file()  # not attributable: kept
    assert (dist / "terraform/stacks/dev-tenant-org-b/cdk.tf.json").is_file()  # (dev's too, until a whole run)
    assert "prod-tenant-org-b" in json.loads((dist / "terraform/manifest.json").read_text())["stacks"]
    capsys.readouterr()
    assert synth(plan_copy, dist) == 0
    lines = report(capsys.readouterr().out)
    assert {"removed stack dev-tenant-org-b", "removed stack staging-tenant-org-b", "removed stack prod-tenant-org-b"} <= set(lines)
    assert "environments" in json.loads((dist / OUTPUT_MARKER).read_text())


def test_an_env_run_writes_the_bytes_a_whole_run_writes(tmp_path: Path, plan_copy: Path, capsys) -> None:
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert synth(plan_copy, whole) == 0
    for env in ("prod", "dev", "staging"):
        assert synth(plan_copy, parts, "--env", env) == 0
    assert {rel: v[2] for rel, v in stats(parts).items()} == {rel: v[2] for rel, v in stats(whole).items()}


# --- failures between the steps: --out stays as it was ----------------------------------------------


def _changed_plan_run(dist: Path, plan_copy: Path) -> dict[str, tuple[int, int, bytes]]:
    before = stats(dist)
    retag_dev_storefront(plan_copy)
    return before


def test_a_failure_before_the_swap_leaves_out_as_it_was(dist: Path, plan_copy: Path, monkeypatch, capsys) -> None:
    import stacks.synth

    before = _changed_plan_run(dist, plan_copy)

    def fail(staging: Path, out: Path) -> None:
        raise OSError(28, "No space left on device", str(staging))

    monkeypatch.setattr(stacks.synth, "swap_in", fail)  # the new tree is complete, links included
    assert synth(plan_copy, dist) == 2
    assert stats(dist) == before
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist", "plan"]  # no staging left


def test_a_failure_while_linking_unchanged_files_leaves_out_as_it_was(dist: Path, plan_copy: Path, monkeypatch, capsys) -> None:
    import stacks.synth
    from stacks.output_changes import link_unchanged

    before = _changed_plan_run(dist, plan_copy)

    def half(staging: Path, out: Path, unchanged: list[str]) -> int:
        link_unchanged(staging, out, unchanged[: len(unchanged) // 2])
        raise OSError(5, "Input/output error", str(out))

    monkeypatch.setattr(stacks.synth, "link_unchanged", half)
    assert synth(plan_copy, dist) == 2
    assert stats(dist) == before
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist", "plan"]


def test_a_kill_right_after_the_exchange_leaves_the_whole_new_tree(dist: Path, plan_copy: Path, monkeypatch) -> None:
    import stacks.output

    before = _changed_plan_run(dist, plan_copy)
    exchange = stacks.output._exchange

    def exchange_then_die(a: Path, b: Path) -> bool:
        assert exchange(a, b)
        raise KeyboardInterrupt  # before the old tree is removed

    monkeypatch.setattr(stacks.output, "_exchange", exchange_then_die)
    assert synth(plan_copy, dist) == 130
    after = stats(dist)
    listed = set(json.loads((dist / OUTPUT_MARKER).read_text())["files"])
    assert listed == set(after) - {OUTPUT_MARKER}  # a whole tree
    assert "2.4.0-rc.2" in (dist / "kubernetes/dev/apps/storefront/overlays/dev/kustomization.yaml").read_text()
    same = [rel for rel in after if rel in before and after[rel][2] == before[rel][2] and rel != OUTPUT_MARKER]
    assert len(same) > 500 and all(after[rel][:2] == before[rel][:2] for rel in same)  # unchanged: same inode and mtime


@pytest.mark.parametrize("exchange", [True, False])
def test_a_changing_run_keeps_unchanged_files_with_and_without_renameat2(dist: Path, plan_copy: Path, monkeypatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr("stacks.output._exchange", lambda a, b: False)
    before = _changed_plan_run(dist, plan_copy)
    assert synth(plan_copy, dist) == 0
    after = stats(dist)
    kept = [rel for rel in after if rel != OUTPUT_MARKER and after[rel][2] == before[rel][2]]
    assert len(kept) == len(after) - 1 - 1  # one file changed (the overlay's kustomization), the marker aside
    assert all(after[rel][:2] == before[rel][:2] for rel in kept)


# --- infraplan diff ---------------------------------------------------------------------------------


def diff(plan: Path, against: Path, *extra: str) -> int:
    return main(["diff", "--plan", str(plan), "--against", str(against), *extra])


def test_diff_of_the_example_against_the_golden_copy_is_clean(example_plan: Path, capsys) -> None:
    """The CI use: is the committed output up to date?"""
    assert diff(example_plan, GOLDEN) == 0
    assert "no differences" in capsys.readouterr().out


def test_diff_lists_what_differs_and_ignores_files_infraplan_does_not_write(dist: Path, plan_copy: Path, capsys) -> None:
    (dist / "README.md").write_text("our GitOps repository\n")  # not in the marker: not a difference
    (dist / "kubernetes/dev/NOTES.txt").write_text("mine\n")
    (dist / "terraform/stacks/dev-state/cdk.tf.json").unlink()
    retag_dev_storefront(plan_copy)
    assert diff(plan_copy, dist) == 1
    out = capsys.readouterr().out
    assert "2 differences" in out
    assert "  added    terraform/stacks/dev-state/cdk.tf.json" in out
    assert "  changed  kubernetes/dev/apps/storefront/overlays/dev/kustomization.yaml" in out
    assert "    -  newTag: 2.4.0-rc.1\n    +  newTag: 2.4.0-rc.2\n" in out
    assert "README.md" not in out and "NOTES.txt" not in out


def test_diff_against_a_gitops_repository_of_the_kubernetes_part(dist: Path, plan_copy: Path, tmp_path: Path, capsys) -> None:
    repo = tmp_path / "gitops"
    shutil.copytree(dist / "kubernetes", repo)
    (repo / "README.md").write_text("# clusters\n")
    (repo / ".git").mkdir()
    (repo / ".git/stray.yaml").write_text("x: 1\n")
    assert diff(plan_copy, repo) == 0
    assert "known layout" in capsys.readouterr().out
    (repo / "dev/apps/retired").mkdir()
    (repo / "dev/apps/retired/deployment.yaml").write_text("kind: Deployment\n")  # the layout says: synth's
    (repo / "staging/apps/retired.yaml").write_text("kind: Deployment\n")
    assert diff(plan_copy, repo, "--env", "dev") == 1
    out = capsys.readouterr().out
    assert "  removed  dev/apps/retired/deployment.yaml" in out
    assert "staging" not in out.split("\n", 1)[1] and "README" not in out and ".git" not in out


def test_diff_with_env_compares_only_that_environment(dist: Path, plan_copy: Path, capsys) -> None:
    path = plan_copy / "staging.yaml"
    path.write_text(path.read_text() + "\n")  # no change in meaning
    (dist / "terraform/stacks/staging-platform/cdk.tf.json").write_text("{}")
    assert diff(plan_copy, dist, "--env", "dev") == 0
    capsys.readouterr()
    assert diff(plan_copy, dist, "--env", "staging") == 1
    assert "  changed  terraform/stacks/staging-platform/cdk.tf.json" in capsys.readouterr().out


def test_diff_exit_2_for_plan_errors_and_a_missing_dir(plan_copy: Path, tmp_path: Path, capsys) -> None:
    assert diff(plan_copy, tmp_path / "absent") == 2
    assert "not a folder" in capsys.readouterr().err
    (plan_copy / "dev.yaml").write_text("name: [\n")
    assert diff(plan_copy, GOLDEN) == 2
