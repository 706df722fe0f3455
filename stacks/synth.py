"""The synth pipeline: plan files -> plan model -> resolved model -> files, atomically."""

from __future__ import annotations

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
from constructs_lib.terraform.extensions import load_extension
from constructs_lib.terraform.target import REAL_AWS, AwsTarget

from .output import OUTPUT_MARKER, OutputDirError, carry_foreign, check_inputs, check_replaceable, cleanup_stale, new_staging, swap_in, write_marker
from .terraform_app import synth_terraform

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
    seconds: float = 0.0


def select(plan: Plan, envs: list[str] | None, tenants: list[str] | None) -> tuple[tuple[ResolvedEnvironment, ...], set[str] | None]:
    for name in envs or []:
        plan.environment(name)  # raises PlanError with a hint
    for name in tenants or []:
        plan.tenant(name)
    return resolve_plan(plan, envs or None), (set(tenants) if tenants else None)


def write_kubernetes(root: Path, envs: tuple[ResolvedEnvironment, ...], tenants: set[str] | None) -> list[str]:
    written = []
    for env in envs:
        for rel, text in sorted(render_environment(env, tenants).items()):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(rel)
    return written


def write_manual_bootstrap(root: Path, envs: tuple[ResolvedEnvironment, ...], tenants: set[str] | None) -> list[str]:
    """With iac.cluster_bootstrap gitops-only, each written cluster's by-hand bootstrap (``bootstrap/<cluster key>/``);
    nothing with pulumi (the Pulumi program bootstraps the clusters)."""
    written = []
    for env in envs:
        for rel, text in sorted(render_manual_bootstrap(env, clusters(env, tenants)).items()):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(rel)
    return written


def synthesize(
    plan_dir: Path,
    out: Path,
    envs: list[str] | None = None,
    tenants: list[str] | None = None,
    target: AwsTarget = REAL_AWS,
    extensions: list[str] | None = None,
    state_dir: Path | None = None,
) -> SynthResult:
    """Synthesize into ``out``. Nothing in ``out`` changes unless everything succeeded,
    and no file infraplan did not write is ever deleted (see :mod:`stacks.output`).

    ``state_dir`` (default: the folder holding ``out``) receives the state stacks'
    local state, ``terraform.<env>-state.tfstate``, outside the replaced output."""
    started = time.perf_counter()
    out = Path(os.path.abspath(out))
    plan_dir = Path(plan_dir)
    state_dir = Path(os.path.abspath(state_dir)) if state_dir is not None else out.parent
    check_inputs(out, [("plan folder", plan_dir)])
    if state_dir == out or out in state_dir.parents:
        raise OutputDirError(f"--state-dir {state_dir} lies inside --out {out}; Terraform state must live outside the replaced output")
    plan = load_plan(plan_dir)
    resolved, tenant_filter = select(plan, envs, tenants)
    hooks = [load_extension(spec) for spec in extensions or []]
    check_inputs(out, [(f"extension {h.spec}", h.file) for h in hooks if h.file is not None])
    cleanup_stale(out)
    check_replaceable(out)
    staging = new_staging(out)
    try:
        result = SynthResult(plan, resolved, out, state_dir)
        result.stacks = synth_terraform(staging / "terraform", resolved, tenant_filter, target, hooks, state_dir, out / "terraform")
        result.manifests = write_kubernetes(staging / "kubernetes", resolved, tenant_filter)
        result.bootstrap = write_manual_bootstrap(staging, resolved, tenant_filter)
        write_marker(staging)
        os.chmod(staging, 0o755)
        if out.is_dir():
            result.kept = carry_foreign(out, staging)
        swap_in(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result
