"""Compose the cdktf App of a plan: which stacks exist and what each is given."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from constructs_lib.terraform.engine import cdktf

from constructs_lib.resolve.model import ResolvedEnvironment
from constructs_lib.terraform.extensions import Extension, StackContext
from constructs_lib.terraform.stack_graph import plan_stacks
from constructs_lib.terraform.stacks import (
    EnvironmentStack,
    EnvironmentStackProps,
    RegionalStack,
    RegionalStackProps,
    StateStack,
    StateStackProps,
    TenantStack,
    TenantStackProps,
)
from constructs_lib.terraform.target import REAL_AWS, AwsTarget


def add_stacks(
    app: cdktf.App,
    envs: Iterable[ResolvedEnvironment],
    tenants: set[str] | None = None,
    target: AwsTarget = REAL_AWS,
    extensions: Iterable[Extension] = (),
    state_dir: Path | None = None,
    final_outdir: Path | None = None,
) -> list[cdktf.TerraformStack]:
    """Add every stack of ``envs`` to ``app``; ``tenants`` limits the tenant stacks.
    Each extension is called with every stack once infraplan has built it.

    ``state_dir`` holds the state stacks' local state (``terraform.<stack>.tfstate``);
    default: cdktf's, the project root. The path is written relative to the stack folder
    (``<app outdir>/stacks/<stack>``, or ``final_outdir`` when the app's output will be
    moved there), so the output does not depend on where it lies."""
    envs = tuple(envs)
    built: list[tuple[cdktf.TerraformStack, StackContext]] = []
    for env in envs:
        local_state = None
        if state_dir is not None:
            stack_dir = Path(final_outdir or app.outdir).resolve() / "stacks" / env.state_stack_name
            local_state = os.path.relpath(state_dir.resolve() / f"terraform.{env.state_stack_name}.tfstate", stack_dir)
        built.append((StateStack(app, env.state_stack_name, StateStackProps(env, target, local_state)), StackContext("state", env)))
        built.append((EnvironmentStack(app, env.stack_name, EnvironmentStackProps(env, target)), StackContext("platform", env)))
        for region in env.secondary_regions:
            built.append((RegionalStack(app, region.stack_name, RegionalStackProps(env, region, target)), StackContext("region", env)))
        for tenant in env.tenants:
            if tenants is None or tenant.name in tenants:
                built.append((TenantStack(app, tenant.stack_name, TenantStackProps(env, tenant, target)), StackContext("tenant", env, tenant)))
    # What each stack finds in another (stack_graph.py), as cdktf's own stack dependencies: manifest.json lists them.
    by_name = {stack.node.id: stack for stack, _ in built}
    nodes = plan_stacks(envs, tenants)
    assert [n.name for n in nodes] == list(by_name), f"the stack graph's stacks {[n.name for n in nodes]} are not the built ones {list(by_name)}"
    for node in nodes:
        for needed in node.depends_on:
            by_name[node.name].add_dependency(by_name[needed])
    for extend in extensions:
        for stack, context in built:
            extend(stack, context)
    return [stack for stack, _ in built]


def synth_terraform(
    outdir: Path,
    envs: Iterable[ResolvedEnvironment],
    tenants: set[str] | None = None,
    target: AwsTarget = REAL_AWS,
    extensions: Iterable[Extension] = (),
    state_dir: Path | None = None,
    final_outdir: Path | None = None,
) -> list[str]:
    """Write cdktf's layout (``manifest.json``, ``stacks/<stack>/cdk.tf.json``) to ``outdir``.

    ``final_outdir`` is where ``outdir`` will be moved to (synth stages its output):
    relative paths in the stacks are computed from there."""
    app = cdktf.App(outdir=str(outdir))
    stacks = add_stacks(app, envs, tenants, target, extensions, state_dir, final_outdir)
    app.synth()
    return [s.node.id for s in stacks]
