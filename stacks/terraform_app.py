"""Compose the cdktf App of a plan: which stacks exist and what each is given."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from constructs_lib.terraform.engine import cdktf

from constructs_lib.resolve.model import ResolvedEnvironment
from constructs_lib.terraform import attribute_handover
from constructs_lib.terraform.extensions import Extension, StackContext
from constructs_lib.terraform.props import node_id
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
    only: set[str] | None = None,
) -> list[cdktf.TerraformStack]:
    """Add every stack of ``envs`` to ``app``; ``tenants`` limits the tenant stacks, ``only`` (stack
    names) the stacks built: a stack one of them needs that is not built is added as an empty
    stand-in of that name, so that cdktf records the dependency (synth's workers render a large
    environment in parts, stacks/terraform_worker.py; the stand-ins' output is not kept).
    Each extension is called with every stack once infraplan has built it.

    ``state_dir`` holds the state stacks' local state (``terraform.<stack>.tfstate``);
    default: cdktf's, the project root. The path is written relative to the stack folder
    (``<app outdir>/stacks/<stack>``, or ``final_outdir`` when the app's output will be
    moved there), so the output does not depend on where it lies."""
    envs = tuple(envs)
    built: list[tuple[cdktf.TerraformStack, StackContext]] = []

    def wanted(name: str) -> bool:
        return only is None or name in only

    for env in envs:
        if wanted(env.state_stack_name):
            local_state = None
            if state_dir is not None:
                stack_dir = Path(final_outdir or app.outdir).resolve() / "stacks" / env.state_stack_name
                local_state = os.path.relpath(state_dir.resolve() / f"terraform.{env.state_stack_name}.tfstate", stack_dir)
            built.append((StateStack(app, env.state_stack_name, StateStackProps(env, target, local_state)), StackContext("state", env)))
        if wanted(env.stack_name):
            built.append((EnvironmentStack(app, env.stack_name, EnvironmentStackProps(env, target)), StackContext("platform", env)))
        for region in env.secondary_regions:
            if wanted(region.stack_name):
                built.append((RegionalStack(app, region.stack_name, RegionalStackProps(env, region, target)), StackContext("region", env)))
        for tenant in env.tenants:
            if (tenants is None or tenant.name in tenants) and wanted(tenant.stack_name):
                built.append((TenantStack(app, tenant.stack_name, TenantStackProps(env, tenant, target)), StackContext("tenant", env, tenant)))
    # What each stack finds in another (stack_graph.py), as cdktf's own stack dependencies: manifest.json lists them.
    by_name = {node_id(stack): stack for stack, _ in built}  # each stack's path known in Python: no round trip
    nodes = [n for n in plan_stacks(envs, tenants) if wanted(n.name)]
    assert [n.name for n in nodes] == list(by_name), f"the stack graph's stacks {[n.name for n in nodes]} are not the built ones {list(by_name)}"
    stand_ins: dict[str, cdktf.TerraformStack] = {}
    for node in nodes:
        for needed in node.depends_on:
            if needed not in by_name and needed not in stand_ins:
                stand_ins[needed] = cdktf.TerraformStack(app, needed)
            by_name[node.name].add_dependency(by_name.get(needed) or stand_ins[needed])
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
    only: set[str] | None = None,
) -> list[str]:
    """Write cdktf's layout (``manifest.json``, ``stacks/<stack>/cdk.tf.json``) to ``outdir``;
    returns the stacks built (with ``only``, stand-ins are written too: see :func:`add_stacks`).

    ``final_outdir`` is where ``outdir`` will be moved to (synth stages its output):
    relative paths in the stacks are computed from there."""
    app = cdktf.App(outdir=str(outdir))
    stacks = add_stacks(app, envs, tenants, target, extensions, state_dir, final_outdir, only)
    attribute_handover.synth(app)  # app.synth(), the elements' attributes handed to cdktf in one call
    return [node_id(s) for s in stacks]
