"""The synth pipeline: plan files -> plan model -> resolved model -> files, atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from constructs_lib.kubernetes.tree import render_environment
from constructs_lib.plan import Plan, load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.resolve.model import ResolvedEnvironment
from constructs_lib.terraform.extensions import load_extension
from constructs_lib.terraform.target import REAL_AWS, AwsTarget

from .terraform_app import synth_terraform

OUTPUT_MARKER = ".infraplan-output"


class OutputDirError(Exception):
    pass


@dataclass
class SynthResult:
    plan: Plan
    environments: tuple[ResolvedEnvironment, ...]
    out: Path
    stacks: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
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


def _check_replaceable(out: Path) -> None:
    if out.exists() and not (out / OUTPUT_MARKER).exists():
        if out.is_dir() and not any(out.iterdir()):
            return
        raise OutputDirError(f"{out} exists and was not written by infraplan; refusing to replace it (choose another --out or remove it)")


def synthesize(
    plan_dir: Path,
    out: Path,
    envs: list[str] | None = None,
    tenants: list[str] | None = None,
    target: AwsTarget = REAL_AWS,
    extensions: list[str] | None = None,
) -> SynthResult:
    """Synthesize into ``out``. Nothing in ``out`` changes unless everything succeeded."""
    started = time.perf_counter()
    plan = load_plan(plan_dir)
    resolved, tenant_filter = select(plan, envs, tenants)
    hooks = [load_extension(spec) for spec in extensions or []]
    out = out.resolve()
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.infraplan-", dir=out.parent))
    try:
        result = SynthResult(plan, resolved, out)
        result.stacks = synth_terraform(staging / "terraform", resolved, tenant_filter, target, hooks)
        result.manifests = write_kubernetes(staging / "kubernetes", resolved, tenant_filter)
        (staging / OUTPUT_MARKER).write_text("Written by `infraplan synth`; replaced as a whole on every run.\n")
        os.chmod(staging, 0o755)
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, trash / "old")
            os.replace(staging, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result
