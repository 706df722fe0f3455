"""The synth parent's file-system calls (#16): writing the GitOps trees makes each folder once and writes
each file with one open; listing the staging folder scans each folder once and stats no regular file;
a whole synth lists its staging folder once (the marker and the comparison share the list).

These count calls, bounded per folder and file, and check that the faster ways give what the old ones
gave (the set, the order, the bytes, the mode, the error); the speed itself is in docs/performance.md."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from stacks.output import OUTPUT_MARKER, staged_files
from stacks.synth import TreeWriter, select, synthesize, write_kubernetes, write_manual_bootstrap


def _count(monkeypatch, name: str) -> Counter:
    """Count the calls of ``os.<name>`` by their first argument (a path string, or a descriptor)."""
    calls: Counter = Counter()
    real = getattr(os, name)

    def counted(path, *args, **kwargs):
        calls[os.fspath(path) if isinstance(path, (str, os.PathLike)) else path] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, name, counted)
    return calls


def _folders(root: Path) -> set[str]:
    return {os.fspath(p) for p in root.rglob("*") if p.is_dir()} | {os.fspath(root)}


def test_writing_the_gitops_trees_makes_each_folder_once(tmp_path: Path, example_plan: Path, monkeypatch) -> None:
    from constructs_lib.plan import load_plan

    envs, tenants = select(load_plan(example_plan), None, None)
    mkdirs, opens = _count(monkeypatch, "mkdir"), _count(monkeypatch, "open")
    written = write_kubernetes(tmp_path / "kubernetes", envs, tenants)
    written += write_manual_bootstrap(tmp_path, envs, tenants)
    monkeypatch.undo()
    assert len(written) > 300
    folders = _folders(tmp_path) - {os.fspath(tmp_path)}
    assert set(mkdirs) <= folders | {os.fspath(tmp_path)}
    assert max(mkdirs.values()) == 1, mkdirs.most_common(3)  # before: one mkdir per file, of its folder
    assert sum(mkdirs.values()) <= len(folders) + 1
    assert sum(opens.values()) == len(written)  # one open per file, nothing else opened


def _tree(root: Path) -> None:
    """Files, nested folders, hidden names, nested markers, and symbolic links of every kind."""
    for rel in ["a.yaml", ".hidden", "k/b.yaml", "k/c/d.yaml", "k/c/.infraplan-output", "k/e/f/g.json", "t/x", OUTPUT_MARKER]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (root / "empty").mkdir()
    (root / "k/link-to-file").symlink_to("b.yaml")
    (root / "k/link-to-folder").symlink_to("c")
    (root / "k/broken").symlink_to("nowhere")


def test_listing_scans_each_folder_once_and_stats_no_regular_file(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path)
    expected = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() and p.name != OUTPUT_MARKER)
    scans, stats, lstats = _count(monkeypatch, "scandir"), _count(monkeypatch, "stat"), _count(monkeypatch, "lstat")
    listed = staged_files(tmp_path)
    monkeypatch.undo()
    assert listed == expected  # the same set, in the same order, as rglob and is_file gave
    assert "k/link-to-file" in listed and not any(rel.startswith("k/link-to-folder/") for rel in listed)
    real_folders = {f for f in _folders(tmp_path) if not os.path.islink(f)}
    assert set(scans) == real_folders and max(scans.values()) == 1  # before: two scans per folder
    assert sum(stats.values()) + sum(lstats.values()) <= 3  # at most the symbolic links; before: one per entry


def test_the_tree_writer_writes_what_write_text_writes(tmp_path: Path) -> None:
    text = "kind: ConfigMap\ndata:\n  name: Organisation Ä 😀\n" + "x" * 200_000 + "\n"
    old_umask = os.umask(0o027)
    try:
        Path(tmp_path / "by-path").mkdir()
        (tmp_path / "by-path/a.yaml").write_text(text, encoding="utf-8")
        TreeWriter(tmp_path / "by-writer").write("a.yaml", text)
    finally:
        os.umask(old_umask)
    old, new = tmp_path / "by-path/a.yaml", tmp_path / "by-writer/a.yaml"
    assert new.read_bytes() == old.read_bytes()
    assert new.stat().st_mode == old.stat().st_mode
    with pytest.raises(UnicodeEncodeError) as by_path:
        (tmp_path / "by-path/bad").write_text("a\udc80", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError) as by_writer:
        TreeWriter(tmp_path / "by-writer").write("bad", "a\udc80")
    assert str(by_writer.value) == str(by_path.value)
    assert (tmp_path / "by-writer/bad").read_bytes() == (tmp_path / "by-path/bad").read_bytes() == b""
    (tmp_path / "by-writer/file").write_text("")
    with pytest.raises(FileExistsError):  # a file where a folder must go, as Path.mkdir(exist_ok=True)
        TreeWriter(tmp_path / "by-writer").write("file/a.yaml", text)


@pytest.mark.slow  # two whole synths
def test_a_synth_lists_its_staging_folder_once(tmp_path: Path, example_plan: Path, monkeypatch) -> None:
    out = tmp_path / "dist"
    staging_prefix = os.fspath(tmp_path / ".dist.infraplan-staging")
    for run in ("fresh", "no change"):
        scans, mkdirs = _count(monkeypatch, "scandir"), _count(monkeypatch, "mkdir")
        synthesize(example_plan, out)
        monkeypatch.undo()
        staged_scans = {p: n for p, n in scans.items() if isinstance(p, str) and p.startswith(staging_prefix)}
        staged_mkdirs = {p: n for p, n in mkdirs.items() if isinstance(p, str) and p.startswith(staging_prefix)}
        assert len(staged_scans) > 50, run
        assert max(staged_scans.values()) == 1, (run, Counter(staged_scans).most_common(3))  # before: 4 per folder
        assert max(staged_mkdirs.values()) == 1, (run, Counter(staged_mkdirs).most_common(3))
    assert len(staged_files(out)) > 500


def test_linking_kept_files_makes_each_folder_once(tmp_path: Path, monkeypatch) -> None:
    from stacks.output_changes import link_kept

    out, staging = tmp_path / "out", tmp_path / "staging"
    kept = [f"kubernetes/{c}/apps/{a}/{n}.yaml" for c in ("dev", "prod") for a in ("x", "y") for n in range(5)]
    for rel in kept:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(rel)
    staging.mkdir()
    mkdirs = _count(monkeypatch, "mkdir")
    link_kept(staging, out, kept)
    monkeypatch.undo()
    assert all((staging / rel).samefile(out / rel) for rel in kept)
    # Path.mkdir(parents=True) asks twice for a folder whose parent is missing; before: once more per file
    assert max(mkdirs.values()) <= 2 and sum(mkdirs.values()) <= 2 * len(_folders(staging))
