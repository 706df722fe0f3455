"""The pure parts of an incremental synth and of `infraplan diff` (no synth): sorting files into
added/changed/removed/unchanged, the units the report names, cdktf's manifest merged for a --env
run, and which files of a GitOps repository diff counts."""

from __future__ import annotations

import json
import os
from pathlib import Path

from stacks.diff_command import _by_layout, layout_of
from stacks.output_changes import Changes, compare, link_unchanged, merge_manifest, report_lines, stable_stringify_cdktf, unit_of

GOLDEN_MANIFEST = Path(__file__).with_name("golden") / "example" / "terraform" / "manifest.json"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_compare_sorts_files_and_a_symlink_or_missing_file_is_not_unchanged(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write(old, {"a": "1", "b": "2", "c": "3", "gone": "x"})
    write(new, {"a": "1", "b": "two", "c": "3", "d": "4", "e": "5"})
    os.unlink(old / "c")
    os.symlink(new / "c", old / "c")  # same bytes through a link: still rewritten as a file
    changes = compare(new, ["a", "b", "c", "d", "e"], old, ["a", "b", "c", "gone", "e"])
    assert (changes.added, changes.changed, changes.removed, changes.unchanged) == (["d", "e"], ["b", "c"], ["gone"], ["a"])


def test_link_unchanged_makes_the_staged_file_the_old_inode(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write(old, {"k/a.yaml": "same\n"})
    write(new, {"k/a.yaml": "same\n"})
    assert link_unchanged(new, old, ["k/a.yaml"]) == 1
    assert os.path.samefile(new / "k/a.yaml", old / "k/a.yaml")
    assert sorted(p.name for p in (new / "k").iterdir()) == ["a.yaml"]  # no temporary name left


def test_units_and_the_report() -> None:
    assert unit_of("terraform/stacks/dev-platform/cdk.tf.json") == ("stack", "dev-platform")
    assert unit_of("kubernetes/prod-org-c/root/kustomization.yaml") == ("cluster tree", "prod-org-c")
    assert unit_of("bootstrap/dev/README.md") == ("bootstrap", "dev")
    assert unit_of("terraform/manifest.json") == ("file", "terraform/manifest.json")
    changes = Changes(
        added=["kubernetes/new/a.yaml", "kubernetes/dev/x.yaml"],
        changed=["terraform/manifest.json"],
        removed=["terraform/stacks/dev-tenant-old/cdk.tf.json"],
        unchanged=["kubernetes/dev/y.yaml"],
    )
    assert changes.units() == [
        ("removed", "stack", "dev-tenant-old"),
        ("changed", "cluster tree", "dev"),  # a file added to a tree that stays: the tree changed
        ("added", "cluster tree", "new"),
        ("changed", "file", "terraform/manifest.json"),
    ]
    assert report_lines(changes)[0] == "changes: 1 stack removed, 1 cluster tree changed, 1 cluster tree added, 1 file changed"
    assert report_lines(Changes(unchanged=["a", "b"])) == ["no changes (2 files as they were)"]


def test_cdktfs_manifest_format_round_trips_and_a_merge_keeps_only_kept_stacks() -> None:
    text = GOLDEN_MANIFEST.read_text()
    assert stable_stringify_cdktf(json.loads(text)) == text  # cdktf's json-stable-stringify, byte for byte
    data = json.loads(text)
    dev = {k: v for k, v in data["stacks"].items() if k.startswith("dev-")}
    fresh = stable_stringify_cdktf({**data, "stacks": {k: v for k, v in dev.items() if k != "dev-tenant-org-b"}})
    kept = {k for k in data["stacks"] if not k.startswith("dev-")}
    merged = json.loads(merge_manifest(fresh, text, own_stacks=set(dev), kept_stacks=kept))
    assert set(merged["stacks"]) == set(data["stacks"]) - {"dev-tenant-org-b"}
    assert merge_manifest(stable_stringify_cdktf({**data, "stacks": dev}), text, set(dev), kept) == text
    terrain = json.dumps(data, indent=2, sort_keys=True)  # CDK Terrain's format is kept as well
    assert merge_manifest(json.dumps({**data, "stacks": dev}, indent=2, sort_keys=True), terrain, set(dev), kept) == terrain


def test_diff_counts_the_known_layout_and_ignores_the_rest(tmp_path: Path) -> None:
    repo = tmp_path / "gitops"
    write(repo, {
        "README.md": "x", "dev/root/kustomization.yaml": "x", "dev/NOTES.txt": "x", ".git/objects/a.yaml": "x",
        "dev/.hidden/b.yaml": "x", "top.yaml": "x",
    })
    assert layout_of(repo) == ("kubernetes/", "layout")
    assert _by_layout(repo, "kubernetes/") == {"kubernetes/dev/root/kustomization.yaml"}
    whole = tmp_path / "whole"
    write(whole, {"terraform/stacks/dev-state/cdk.tf.json": "{}", "terraform/stacks/dev-state/.terraform.lock.hcl": "", "terraform/manifest.json": "{}", "kubernetes/dev/a.yaml": "", "bootstrap/dev/README.md": "", "notes.md": ""})
    assert layout_of(whole) == ("", "layout")
    assert _by_layout(whole, "") == {"terraform/stacks/dev-state/cdk.tf.json", "terraform/manifest.json", "kubernetes/dev/a.yaml", "bootstrap/dev/README.md"}
    (whole / ".infraplan-output").write_text("{}")
    assert layout_of(whole) == ("", "marker")


def test_diff_shows_a_capped_unified_diff_and_no_bytes_of_binary_files() -> None:
    from stacks.diff_command import DIFF_LINES, _unified

    old = "".join(f"line {i}\n" for i in range(100)).encode()
    new = "".join(f"line {i} changed\n" for i in range(100)).encode()
    text = _unified("kubernetes/dev/a.yaml", old, new).splitlines()
    assert len(text) == DIFF_LINES + 1 and text[-1].strip().startswith("…") and text[-1].endswith("more lines")
    assert text[0].strip() == "--- against/kubernetes/dev/a.yaml" and "    -line 0" in text
    assert "    +line 0 changed" in _unified("a.yaml", b"line 0\n", b"line 0 changed\n").splitlines()
    assert _unified("x.bin", b"\xff\x00", b"\xfe").strip() == "(binary files differ)"
