"""``infraplan diff --against DIR``: is DIR what synth writes for this plan? (the CI check for a committed tree)

It synthesizes the plan into a temporary folder and compares that output with DIR, file by file.
Exit 0 when they are the same, 1 on any difference (each listed: added, changed with a short
unified diff, removed), 2 for plan errors or an unusable DIR.

Which files of DIR count (everything else in DIR, such as a GitOps repository's README, is ignored):
- DIR holds ``.infraplan-output`` (synth wrote it): the files that marker lists (the ownership rule
  synth itself follows);
- otherwise, the known layout: ``terraform/manifest.json``, ``terraform/stacks/<stack>/cdk.tf.json``,
  ``kubernetes/<cluster>/**.yaml`` and ``bootstrap/<cluster>/{README.md,argocd-values.yaml}``.
DIR is a whole output when it holds the marker, ``terraform/`` or ``kubernetes/``; otherwise it is
taken as the ``kubernetes/`` part alone (a GitOps repository whose top folders are the cluster trees).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from constructs_lib.plan import load_plan

from .output import OUTPUT_MARKER, owned_files, read_environments
from .output_changes import MANIFEST, Changes, compare, unit_prefix

KUBERNETES = "kubernetes/"
# The known layout: the files synth writes, by path (relative to a whole output).
LAYOUT = re.compile(r"terraform/manifest\.json|terraform/stacks/[^/]+/cdk\.tf\.json|kubernetes/[^/]+/.+\.yaml|bootstrap/[^/]+/(README\.md|argocd-values\.yaml)")
DIFF_LINES = 30  # of each changed file's unified diff
DIFFS_SHOWN = 10  # changed files whose diff is printed


def add_parser(sub: argparse._SubParsersAction, with_plan) -> None:  # noqa: ANN001 (cli.py's helper)
    p = sub.add_parser("diff", help="synthesize into a temporary folder and compare with an existing output or GitOps tree (exit 1 on any difference)")
    with_plan(p)
    p.add_argument("--against", type=Path, required=True, metavar="DIR", help="an output of infraplan synth, or its kubernetes/ part alone (a GitOps repository)")
    p.add_argument("--env", action="append", help="only this environment's stacks and cluster trees (repeatable; default: all)")
    p.add_argument("--extension", action="append", metavar="MODULE:FUNCTION", help="the same extensions synth gets (repeatable)")
    p.set_defaults(func=run)


def layout_of(against: Path) -> tuple[str, str]:
    """(prefix, rule): "" for a whole output or "kubernetes/" for the kubernetes/ part alone; the rule
    deciding which of its files are infraplan's ("marker" or "layout")."""
    if (against / OUTPUT_MARKER).is_file():
        return "", "marker"
    if (against / "terraform").is_dir() or (against / "kubernetes").is_dir():
        return "", "layout"
    return KUBERNETES, "layout"


def _by_layout(against: Path, prefix: str) -> set[str]:
    """DIR's files that the known layout says synth writes; hidden folders (.git, .terraform) are not walked."""
    found = set()
    for folder, dirs, files in os.walk(against):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        base = Path(folder).relative_to(against).as_posix()
        for name in files:
            rel = prefix + (name if base == "." else f"{base}/{name}")
            if LAYOUT.fullmatch(rel) and not os.path.islink(os.path.join(folder, name)):
                found.add(rel)
    return found


def _in_units(files: set[str], units: set[str] | None) -> set[str]:
    """The files of the selected environments' stacks and cluster trees (all without ``--env``)."""
    return files if units is None else {rel for rel in files if unit_prefix(rel) in units}


def _selected_units(fresh: Path, against: Path, rule: str, envs: list[str] | None) -> set[str] | None:
    if not envs:
        return None
    units = {p for folders in (read_environments(fresh) or {}).values() for p in folders}
    if rule == "marker":  # what DIR's own marker says those environments had (a stack since removed, too)
        units |= {p for env, folders in (read_environments(against) or {}).items() if env in envs for p in folders}
    return units


def _manifest_stacks(text: str, stacks: set[str]) -> str:
    data = json.loads(text)
    data["stacks"] = {name: entry for name, entry in data.get("stacks", {}).items() if name in stacks}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def differences(fresh: Path, against: Path, envs: list[str] | None) -> tuple[Changes, dict[str, str], str]:
    """What differs between the fresh output and DIR (paths relative to DIR), a unified diff per changed
    text file, and the rule that chose DIR's files."""
    prefix, rule = layout_of(against)
    ours = owned_files(against) if rule == "marker" else _by_layout(against, prefix)
    units = _selected_units(fresh, against, rule, envs)
    new = _in_units(owned_files(fresh), units)
    old = _in_units(ours, units)
    strip = len(prefix)
    new = {rel[strip:] for rel in new if rel.startswith(prefix)}
    old = {rel[strip:] for rel in old if rel.startswith(prefix)}
    changes = compare(fresh / prefix, new, against, old)
    texts: dict[str, str] = {}
    if units is not None and not prefix and (fresh / MANIFEST).is_file():
        changes = _with_manifest(changes, fresh, against, ours, units)
    for rel in changes.changed[:DIFFS_SHOWN]:
        texts[rel] = _unified(rel, _read(against / rel, rel, units), _read(fresh / prefix / rel, rel, units))
    return changes, texts, f"{rule} ({'.infraplan-output' if rule == 'marker' else 'the known layout'})"


def _read(path: Path, rel: str, units: set[str] | None) -> bytes:
    """A file's bytes; the Terraform manifest of a ``--env`` run reduced to the selected stacks."""
    data = path.read_bytes()
    if units is not None and rel == MANIFEST:
        stacks = {p.rsplit("/", 1)[1] for p in units if p.startswith("terraform/stacks/")}
        return _manifest_stacks(data.decode("utf-8"), stacks).encode()
    return data


def _with_manifest(changes: Changes, fresh: Path, against: Path, ours: set[str], units: set[str]) -> Changes:
    """With ``--env``, cdktf's manifest counts for the selected environments' stacks only."""
    stacks = {p.rsplit("/", 1)[1] for p in units if p.startswith("terraform/stacks/")}
    if MANIFEST not in ours or not (against / MANIFEST).is_file():
        changes.added = sorted({*changes.added, MANIFEST})
        return changes
    same = _manifest_stacks((fresh / MANIFEST).read_text(encoding="utf-8"), stacks) == _manifest_stacks((against / MANIFEST).read_text(encoding="utf-8"), stacks)
    (changes.unchanged if same else changes.changed).append(MANIFEST)
    changes.changed.sort()
    return changes


def _unified(rel: str, old: bytes, new: bytes) -> str:
    try:
        a, b = old.decode("utf-8").splitlines(), new.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return "    (binary files differ)"
    lines = list(difflib.unified_diff(a, b, f"against/{rel}", f"synth/{rel}", lineterm="", n=2))
    more = [f"… {len(lines) - DIFF_LINES} more lines"] if len(lines) > DIFF_LINES else []
    return "\n".join("    " + line for line in lines[:DIFF_LINES] + more)


def _print(changes: Changes, texts: dict[str, str], against: Path, rule: str) -> None:
    out = sys.stdout
    count = len(changes.added) + len(changes.changed) + len(changes.removed)
    if not count:
        print(f"no differences: {against} is what synth writes ({len(changes.unchanged)} files compared; its files by {rule})", file=out)
        return
    print(f"{count} differences between a fresh synthesis and {against} (its files by {rule}):", file=out)
    rows = [(rel, "added") for rel in changes.added] + [(rel, "changed") for rel in changes.changed] + [(rel, "removed") for rel in changes.removed]
    for rel, status in sorted(rows):
        print(f"  {status:<8} {rel}", file=out)
    for rel, text in texts.items():
        print(text, file=out)
    if len(changes.changed) > len(texts):
        print(f"  (diffs of the first {len(texts)} changed files shown)", file=out)


def run(args: argparse.Namespace) -> int:
    from .cli import _fail, _jsii_env, _warn_support

    plan = load_plan(args.plan)  # plan errors: exit 2 before anything is synthesized
    _warn_support(plan.platform.kubernetes.version)
    against = Path(args.against)
    if not against.is_dir():
        return _fail(f"--against {against} is not a folder (an output of infraplan synth, or its kubernetes/ part)")
    _jsii_env()
    work = Path(tempfile.mkdtemp(prefix="infraplan-diff-"))
    try:
        from constructs_lib.terraform.extensions import ExtensionError

        from .synth import OutputDirError, synthesize
        from .terraform_worker import TerraformRuntimeError

        print(f"Synthesizing {args.plan} into a temporary folder …", file=sys.stderr)
        try:
            synthesize(args.plan, work / "dist", args.env, None, extensions=args.extension)
        except (OutputDirError, ExtensionError, TerraformRuntimeError) as exc:
            return _fail(str(exc))
        changes, texts, rule = differences(work / "dist", against, args.env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _print(changes, texts, against, rule)
    return 1 if changes.any else 0
