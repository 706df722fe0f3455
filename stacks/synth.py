"""The synth pipeline: plan files -> plan model -> resolved model -> files, atomically, rewriting
only what changed (see :mod:`stacks.output` and :mod:`stacks.output_changes`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from constructs_lib.kubernetes.manual_bootstrap import render_manual_bootstrap
from constructs_lib.kubernetes.tree import clusters, render_environment
from constructs_lib.plan import Plan, load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.resolve.model import ResolvedEnvironment
from constructs_lib.terraform.target import REAL_AWS, AwsTarget

from .output import (
    OUTPUT_MARKER,
    OutputDirError,
    carry_foreign,
    check_foreign,
    check_inputs,
    check_replaceable,
    cleanup_stale,
    new_staging,
    owned_files,
    read_environments,
    staged_files,
    swap_in,
    write_marker,
)
from .output_changes import MANIFEST, Changes, compare, link_kept, link_unchanged, manifest_of_batches, merge_manifest, unit_prefix
from .terraform_worker import TerraformJob, TerraformResult, TerraformWorkers, batches, worker_tmpdir

__all__ = ["OUTPUT_MARKER", "OutputDirError", "SynthResult", "synthesize"]


@dataclass
class SynthResult:
    plan: Plan
    environments: tuple[ResolvedEnvironment, ...]
    out: Path
    state_dir: Path
    stacks: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    bootstrap: list[str] = field(default_factory=list)  # the by-hand bootstrap (gitops-only), relative to out
    kept: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)  # against the output this run replaced
    seconds: float = 0.0


def select(plan: Plan, envs: list[str] | None, tenants: list[str] | None) -> tuple[tuple[ResolvedEnvironment, ...], set[str] | None]:
    for name in envs or []:
        plan.environment(name)  # raises PlanError with a hint
    for name in tenants or []:
        plan.tenant(name)
    return resolve_plan(plan, envs or None), (set(tenants) if tenants else None)


class TreeWriter:
    """Writes rendered files below ``root``, as ``Path.write_text`` (UTF-8, mode 0o666 less the umask) after
    ``mkdir(parents=True, exist_ok=True)`` of its folder, with a few system calls: each folder is made once
    (the staging folder is this run's own), a file is one ``open``, ``write`` and ``close`` of a path string."""

    _FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC

    def __init__(self, root: Path) -> None:
        self.root = os.fspath(root)
        self._made: set[str] = set()

    def write(self, rel: str, text: str) -> None:
        folder = rel.rpartition("/")[0]
        if folder not in self._made:
            self._make(folder)
        fd = os.open(f"{self.root}/{rel}", self._FLAGS, 0o666)
        try:
            data = memoryview(text.encode("utf-8"))  # after the open, as write_text: a text it cannot encode leaves the file empty
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)

    def _make(self, folder: str) -> None:
        if not folder:
            os.makedirs(self.root, exist_ok=True)
        else:
            parent = folder.rpartition("/")[0]
            if parent not in self._made:
                self._make(parent)
            path = f"{self.root}/{folder}"
            try:
                os.mkdir(path)
            except FileExistsError:
                if not os.path.isdir(path):
                    raise
        self._made.add(folder)


def write_kubernetes(root: Path, envs: tuple[ResolvedEnvironment, ...], tenants: set[str] | None, units: dict[str, list[str]] | None = None) -> list[str]:
    written = []
    writer = TreeWriter(root)
    for env in envs:
        for rel, text in sorted(render_environment(env, tenants).items()):
            if units is not None:
                units.setdefault(env.name, []).append(f"kubernetes/{rel.split('/', 1)[0]}")
            writer.write(rel, text)
            written.append(rel)
    return written


def write_manual_bootstrap(root: Path, envs: tuple[ResolvedEnvironment, ...], tenants: set[str] | None, units: dict[str, list[str]] | None = None) -> list[str]:
    """With iac.cluster_bootstrap gitops-only, each written cluster's by-hand bootstrap (``bootstrap/<cluster key>/``);
    nothing with pulumi (the Pulumi program bootstraps the clusters)."""
    written = []
    writer = TreeWriter(root)
    for env in envs:
        for rel, text in sorted(render_manual_bootstrap(env, clusters(env, tenants)).items()):
            if units is not None and (prefix := unit_prefix(rel)) is not None:
                units.setdefault(env.name, []).append(prefix)
            writer.write(rel, text)
            written.append(rel)
    return written


def stack_units(env: ResolvedEnvironment, tenants: set[str] | None) -> list[str]:
    """The stack folders an environment's run writes (as add_stacks builds them)."""
    names = [env.state_stack_name, env.stack_name, *(r.stack_name for r in env.secondary_regions)]
    names += [t.stack_name for t in env.tenants if tenants is None or t.name in tenants]
    return [f"terraform/stacks/{name}" for name in names]


def stage_whole_output(staging: Path, out: Path, units: dict[str, list[str]], only_envs: bool) -> Changes:
    """Complete the staging folder into the whole new output and sort it against ``out``.

    A run of some environments (``--env``) keeps the files the previous run wrote for the others
    (hard links) and their stacks in cdktf's manifest; a previous marker that does not say whose a
    file is keeps every file this run does not write. Then the marker is written."""
    owned = owned_files(out) if out.is_dir() else set()
    environments: dict[str, list[str]] | None = dict(units)
    files = staged_files(staging)  # listed once: the marker and the comparison take this list
    if only_envs and owned:
        rendered = set(files)
        previous = read_environments(out)
        if previous is None:  # whose each file is stays unknown until a run of every environment records it
            kept, environments = {rel for rel in owned - rendered if rel != MANIFEST}, None
        else:
            others = {p for env, folders in previous.items() if env not in units for p in folders}
            kept = {rel for rel in owned - rendered if unit_prefix(rel) in others}
            environments = {**{e: f for e, f in previous.items() if e not in units}, **units}
        kept = {rel for rel in kept if (out / rel).is_file() and not (out / rel).is_symlink()}  # one deleted by hand stays deleted
        link_kept(staging, out, sorted(kept))
        if kept:
            files = staged_files(staging)  # with the kept files, as they are named on disk
        if MANIFEST in owned and (out / MANIFEST).is_file() and (staging / MANIFEST).is_file():
            own = {p.rsplit("/", 1)[1] for folders in units.values() for p in folders if p.startswith("terraform/stacks/")}
            kept_stacks = {unit_prefix(rel).rsplit("/", 1)[1] for rel in kept if rel.startswith("terraform/stacks/")}
            old = (out / MANIFEST).read_text(encoding="utf-8")
            merged = merge_manifest((staging / MANIFEST).read_text(encoding="utf-8"), old, own, kept_stacks)
            (staging / MANIFEST).write_text(merged, encoding="utf-8")
    write_marker(staging, environments, files)
    return compare(staging, files, out, owned)


def terraform_jobs(staging: Path, out: Path, result: SynthResult, tenant_filter: set[str] | None, target: AwsTarget, extensions: list[str]) -> list[TerraformJob]:
    """The worker jobs of the selected environments: one cdktf app folder each (``terraform/`` itself for one)."""
    groups = batches(result.environments, tenant_filter)
    return [
        TerraformJob(
            staging / "terraform" if len(groups) == 1 else staging / f".terraform-batch-{i}",
            group.envs,
            frozenset(tenant_filter) if tenant_filter is not None else None,
            target,
            tuple(extensions),
            result.state_dir,
            out / "terraform",
            group.only,
        )
        for i, group in enumerate(groups)
    ]


def gather_terraform(staging: Path, jobs: list[TerraformJob], results: list[TerraformResult]) -> list[str]:
    """Move the batches' stacks into ``terraform/`` and merge their manifests into the one a single app writes."""
    names = [name for r in results for name in r.stacks]
    if len(jobs) == 1:
        return names
    target = staging / "terraform"
    (target / "stacks").mkdir(parents=True)
    parts = []
    for job, res in zip(jobs, results):
        for name in res.stacks:
            os.rename(job.outdir / "stacks" / name, target / "stacks" / name)
        parts.append(((job.outdir / "manifest.json").read_text(encoding="utf-8"), res.stacks))
        shutil.rmtree(job.outdir)  # what is left: the stand-ins of stacks another batch built
    (target / "manifest.json").write_text(manifest_of_batches(parts), encoding="utf-8")
    return names


def _render(staging: Path, result: SynthResult, tenant_filter: set[str] | None, target: AwsTarget, extensions: list[str], out: Path, workers: TerraformWorkers) -> dict[str, list[str]]:
    """Write the selected environments' files into ``staging``; returns each environment's unit folders.
    The workers render the Terraform stacks while this process renders the Kubernetes trees."""
    units: dict[str, list[str]] = {env.name: stack_units(env, tenant_filter) for env in result.environments}
    jobs = terraform_jobs(staging, out, result, tenant_filter, target, extensions)
    workers.start(jobs)
    result.manifests = write_kubernetes(staging / "kubernetes", result.environments, tenant_filter, units)
    result.bootstrap = write_manual_bootstrap(staging, result.environments, tenant_filter, units)
    results = workers.wait()
    check_inputs(out, [(f"extension {spec}", file) for r in results for spec, file in r.extension_files])
    result.stacks = gather_terraform(staging, jobs, results)
    return units


def _unchanged_output(staging: Path, out: Path, changes: Changes) -> bool:
    """Nothing to swap: no file added, changed or removed, and the marker as it was."""
    if changes.any or not (out / OUTPUT_MARKER).is_file():
        return False
    return (out / OUTPUT_MARKER).read_bytes() == (staging / OUTPUT_MARKER).read_bytes()


def synthesize(
    plan_dir: Path,
    out: Path,
    envs: list[str] | None = None,
    tenants: list[str] | None = None,
    target: AwsTarget = REAL_AWS,
    extensions: list[str] | None = None,
    state_dir: Path | None = None,
    workers: TerraformWorkers | None = None,
) -> SynthResult:
    """Synthesize into ``out``. Nothing in ``out`` changes unless everything succeeded,
    no file infraplan did not write is ever deleted (see :mod:`stacks.output`), and a file
    whose bytes did not change keeps its inode and mtime; when nothing changed, nothing is written.
    With ``envs``, the other environments' files in ``out`` are kept as they are.

    ``state_dir`` (default: the folder holding ``out``) receives the state stacks'
    local state, ``terraform.<env>-state.tfstate``, outside the replaced output.

    The Terraform stacks are rendered in worker processes (:mod:`stacks.terraform_worker`);
    ``workers`` lets a caller start the first one earlier (the CLI does, before its imports)."""
    started = time.perf_counter()
    out = Path(os.path.abspath(out))
    plan_dir = Path(plan_dir)
    state_dir = Path(os.path.abspath(state_dir)) if state_dir is not None else out.parent
    check_inputs(out, [("plan folder", plan_dir)])
    if state_dir == out or out in state_dir.parents:
        raise OutputDirError(f"--state-dir {state_dir} lies inside --out {out}; Terraform state must live outside the replaced output")
    if "${" in str(state_dir):  # refused by the state stacks (a Terraform expression), in a worker: say so here, without a traceback
        raise OutputDirError(f"--state-dir {state_dir} holds '${{', which Terraform would read as an expression; choose a folder without it")
    with contextlib.ExitStack() as own:
        if workers is None:  # the first starts cdktf's runtime while the plan is read
            workers = own.enter_context(TerraformWorkers(worker_tmpdir))
        plan = load_plan(plan_dir)
        resolved, tenant_filter = select(plan, envs, tenants)
        cleanup_stale(out)
        check_replaceable(out)
        staging = new_staging(out)
        try:
            result = SynthResult(plan, resolved, out, state_dir)
            units = _render(staging, result, tenant_filter, target, list(extensions or []), out, workers)
            result.changes = stage_whole_output(staging, out, units, bool(envs))
            os.chmod(staging, 0o755)
            if out.is_dir() and _unchanged_output(staging, out, result.changes):
                result.kept = check_foreign(out, staging)  # its refusals hold even when nothing changed
            else:
                if out.is_dir():
                    result.kept = carry_foreign(out, staging)
                    link_unchanged(staging, out, result.changes.unchanged)
                swap_in(staging, out)
        finally:
            workers.stop()  # a stopped run's workers end before its staging folder goes
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result
