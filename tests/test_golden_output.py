"""The bundled example's whole output against a reviewed copy (tests/golden/example/).

A refactor must not change what infraplan writes, except where a fix says so: every file of
`infraplan synth` of the example (the Terraform stacks, the GitOps trees, the manifests) is
compared byte for byte with the golden copy, and files added or gone are named. When a change
is intended, rewrite the copy and review it as a diff in the pull request:

    INFRAPLAN_UPDATE_GOLDEN=1 ./dev test tests/test_golden_output.py
    git diff --stat tests/golden/
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

from constructs_lib.terraform import engine

GOLDEN = Path(__file__).with_name("golden") / "example"
UPDATE = "INFRAPLAN_UPDATE_GOLDEN"
SHOWN_DIFFS = 5
DIFF_LINES = 40


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _same(name: str, golden: bytes, actual: bytes) -> bool:
    """Byte for byte; on CDK Terrain (INFRAPLAN_CDK=cdktn) the JSON files as data without the
    engine's version (it formats empty lists and writes its own version; the copy is cdktf's)."""
    if golden == actual:
        return True
    if engine.NAME == engine.DEFAULT or not name.endswith(".json"):
        return False
    a, b = json.loads(golden), json.loads(actual)
    for doc in (a, b):
        doc.get("//", {}).get("metadata", {}).pop("version", None)  # a stack's
        if name == "terraform/manifest.json":
            doc.pop("version", None)  # the manifest's
    return a == b


def _diff(name: str, golden: bytes, actual: bytes) -> str:
    lines = list(difflib.unified_diff(golden.decode().splitlines(), actual.decode().splitlines(), f"golden/{name}", f"synth/{name}", lineterm="", n=2))
    more = f"\n… {len(lines) - DIFF_LINES} more lines" if len(lines) > DIFF_LINES else ""
    return "\n".join(lines[:DIFF_LINES]) + more


def test_the_example_output_is_the_reviewed_one(example_synth: Path) -> None:
    actual = _files(example_synth)
    if os.environ.get(UPDATE) == "1":
        assert engine.NAME == engine.DEFAULT, f"write the golden copy with {engine.DEFAULT}"
        shutil.rmtree(GOLDEN, ignore_errors=True)  # the copy is this test's own
        shutil.copytree(example_synth, GOLDEN)
    golden = _files(GOLDEN) if GOLDEN.is_dir() else {}
    added = sorted(set(actual) - set(golden))
    gone = sorted(set(golden) - set(actual))
    changed = sorted(n for n in set(actual) & set(golden) if not _same(n, golden[n], actual[n]))
    if not (added or gone or changed):
        return
    report = [f"the example's output differs from tests/golden/example ({len(changed)} changed, {len(added)} new, {len(gone)} gone)"]
    report += [f"  new:  {n}" for n in added[:20]] + [f"  gone: {n}" for n in gone[:20]]
    report += [_diff(n, golden[n], actual[n]) for n in changed[:SHOWN_DIFFS]]
    report.append(f"If the change is intended: {UPDATE}=1 ./dev test tests/test_golden_output.py, then review `git diff tests/golden/`.")
    raise AssertionError("\n".join(report))


def test_the_golden_copy_is_a_whole_output() -> None:
    """The copy is what synth writes for the example: its Terraform manifest and every cluster tree."""
    assert (GOLDEN / "terraform" / "manifest.json").is_file()
    assert {p.name for p in (GOLDEN / "kubernetes").iterdir()} == {"dev", "staging", "prod", "prod-org-c"}
