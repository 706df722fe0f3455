"""What a synth changes in an existing output, and the units it reports (stacks, cluster trees).

``synth`` renders the whole new output into a staging folder, then :func:`compare` sorts its
files against the output it replaces: added, changed, removed, unchanged (byte for byte).
Unchanged files are hard-linked from the old output into the staging folder (:func:`link_unchanged`)
so they keep their inode, mtime and content through the swap, and a run where nothing changed
swaps nothing at all. ``infraplan diff`` uses the same comparison (:mod:`stacks.diff_command`).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "terraform/manifest.json"

# The folders infraplan writes a unit into: what the synth report and ``infraplan diff`` name.
_UNIT_KINDS = (("terraform/stacks/", "stack"), ("kubernetes/", "cluster tree"), ("bootstrap/", "bootstrap"))


def unit_of(rel: str) -> tuple[str, str]:
    """The unit a generated file belongs to: ("stack", name), ("cluster tree", key), ("bootstrap", key),
    or ("file", rel) for one outside any unit (terraform/manifest.json)."""
    for prefix, kind in _UNIT_KINDS:
        if rel.startswith(prefix) and "/" in rel[len(prefix) :]:
            return kind, rel[len(prefix) :].split("/", 1)[0]
    return "file", rel


def unit_prefix(rel: str) -> str | None:
    """The unit's folder (``terraform/stacks/dev-platform``), None for a file outside any unit."""
    kind, name = unit_of(rel)
    if kind == "file":
        return None
    return next(prefix for prefix, k in _UNIT_KINDS if k == kind) + name


@dataclass
class Changes:
    """Relative paths (sorted) of what a new output adds, changes and removes, and what stays."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def units(self) -> list[tuple[str, str, str]]:
        """(status, kind, name) per unit, sorted by kind, name: a unit is added when all its files are new,
        removed when all are gone, changed otherwise."""
        touched: dict[tuple[str, str], set[str]] = {}
        for status, paths in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            for rel in paths:
                touched.setdefault(unit_of(rel), set()).add(status)
        kept = {unit_of(rel) for rel in self.unchanged}
        rows = []
        for unit, statuses in touched.items():
            whole = len(statuses) == 1 and unit not in kept  # every file of the unit is new, or every one is gone
            status = next(iter(statuses)) if whole else "changed"
            rows.append((status, *unit))
        order = {kind: i for i, (_, kind) in enumerate(_UNIT_KINDS)}
        return sorted(rows, key=lambda r: (order.get(r[1], len(order)), r[2]))


def same_file(new: Path, old: Path) -> bool:
    """Whether ``old`` is a regular file (not a symlink) with ``new``'s bytes."""
    try:
        st_old = os.lstat(old)
    except OSError:
        return False
    return _same_as(os.fspath(new), os.fspath(old), st_old)


def _same_as(new: str, old: str, st_old: os.stat_result) -> bool:
    """:func:`same_file` with ``old``'s lstat in hand."""
    try:
        st_new = os.lstat(new)
    except OSError:
        return False
    if not stat.S_ISREG(st_old.st_mode) or st_old.st_size != st_new.st_size:
        return False
    if (st_old.st_dev, st_old.st_ino) == (st_new.st_dev, st_new.st_ino):
        return True
    with open(old, "rb") as f_old, open(new, "rb") as f_new:
        return f_old.read() == f_new.read()


def compare(new_root: Path, new_files: Iterable[str], old_root: Path, old_files: Iterable[str]) -> Changes:
    """Sort ``new_files`` (below ``new_root``) against ``old_files`` (the old output's own, below ``old_root``).
    An old file that is missing on disk, or is no longer a regular file, counts as added or changed.
    One ``lstat`` of each file present in both (and a read of both only when their sizes agree and they are
    not one file), on path strings."""
    new_set, old_set = set(new_files), set(old_files)
    new_base, old_base = os.fspath(new_root), os.fspath(old_root)
    changes = Changes()
    for rel in sorted(new_set):
        if rel not in old_set:
            changes.added.append(rel)
            continue
        old = os.path.join(old_base, rel)
        try:
            st_old = os.lstat(old)  # what os.path.lexists asks
        except (OSError, ValueError):
            changes.added.append(rel)
            continue
        if _same_as(os.path.join(new_base, rel), old, st_old):
            changes.unchanged.append(rel)
        else:
            changes.changed.append(rel)
    changes.removed = sorted(rel for rel in old_set - new_set if os.path.lexists(old_root / rel))
    return changes


def link_unchanged(staging: Path, out: Path, unchanged: Iterable[str]) -> int:
    """Replace each staged copy of an unchanged file by a hard link to the file in ``out``, so the swap
    keeps its inode and mtime. A file system without hard links keeps the copy (same bytes). Returns
    how many were linked."""
    linked = 0
    staging_base, out_base = os.fspath(staging), os.fspath(out)
    for rel in unchanged:
        staged, old = os.path.join(staging_base, rel), os.path.join(out_base, rel)
        if os.path.samefile(staged, old):
            linked += 1
            continue
        folder, name = os.path.split(staged)
        tmp = os.path.join(folder, f".{name}.infraplan-link")
        try:
            os.link(old, tmp)
        except OSError:
            continue
        os.replace(tmp, staged)
        linked += 1
    return linked


def link_kept(staging: Path, out: Path, kept: Iterable[str]) -> None:
    """Hard-link files of ``out`` that this run does not render (other environments' under ``--env``)
    into the staging folder at the same place (each folder made once: they are only ever added here)."""
    made: set[Path] = set()
    for rel in kept:
        dst = staging / rel
        if dst.parent not in made:
            dst.parent.mkdir(parents=True, exist_ok=True)
            made.add(dst.parent)
        os.link(out / rel, dst)


def stable_stringify_cdktf(value: object, indent: str = "  ", level: int = 0) -> str:
    """JSON as cdktf writes its manifest (json-stable-stringify, space 2): sorted keys, and empty lists
    and objects still broken over two lines."""
    pad = "\n" + indent * level
    if isinstance(value, dict):
        items = [f"{pad}{indent}{json.dumps(k, ensure_ascii=False)}: {stable_stringify_cdktf(value[k], indent, level + 1)}" for k in sorted(value)]
        return "{" + ",".join(items) + pad + "}"
    if isinstance(value, list):
        return "[" + ",".join(f"{pad}{indent}{stable_stringify_cdktf(v, indent, level + 1)}" for v in value) + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def _stringify_like(text: str, data: object) -> str:
    """``data`` in the format of ``text`` (cdktf's, or CDK Terrain's safe-stable-stringify)."""
    for writer in (stable_stringify_cdktf, lambda d: json.dumps(d, indent=2, sort_keys=True, ensure_ascii=False)):
        if writer(json.loads(text)) == text:
            return writer(data)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def merge_manifest(new_text: str, old_text: str, own_stacks: set[str], kept_stacks: set[str]) -> str:
    """cdktf's manifest of a ``--env`` run: this run's stacks from the new manifest and the kept ones
    (other environments', still in the output) from the old, in cdktf's format. A stack of the selected
    environments (``own_stacks``) that this run no longer writes leaves the manifest."""
    new, old = json.loads(new_text), json.loads(old_text)
    stacks = {name: entry for name, entry in old.get("stacks", {}).items() if name in kept_stacks and name not in own_stacks}
    stacks.update(new.get("stacks", {}))
    return _stringify_like(new_text, {**new, "stacks": stacks})


def manifest_of_batches(parts: list[tuple[str, list[str]]]) -> str:
    """cdktf's manifest of one app holding every stack, from the manifests of apps that each built
    some of them: ``(manifest text, the stacks that app built)`` per app (an app's stand-ins for
    stacks another app built are left out)."""
    first = json.loads(parts[0][0])
    stacks: dict[str, object] = {}
    for text, built in parts:
        entries = json.loads(text).get("stacks", {})
        stacks.update({name: entries[name] for name in built})
    return _stringify_like(parts[0][0], {**first, "stacks": stacks})


def report_lines(changes: Changes) -> list[str]:
    """The synth report: a summary line, then one line per unit added, changed or removed (sorted), or
    "no changes"."""
    rows = changes.units()
    if not rows:
        return [f"no changes ({len(changes.unchanged)} files as they were)"]
    counts: dict[tuple[str, str], int] = {}
    for status, kind, _ in rows:
        counts[(kind, status)] = counts.get((kind, status), 0) + 1
    plural = {"stack": "stacks", "cluster tree": "cluster trees", "bootstrap": "bootstraps", "file": "files"}
    summary = ", ".join(f"{n} {plural[kind] if n != 1 else kind} {status}" for (kind, status), n in counts.items())
    width = max(len(kind) for _, kind, _ in rows)
    return [f"changes: {summary}"] + [f"    {status:<8} {kind:<{width}}  {name}" for status, kind, name in rows]
