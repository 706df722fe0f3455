"""Compose the cdktf App of a plan: which stacks exist and what each is given."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cdktf

from constructs_lib.resolve.model import ResolvedEnvironment
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps, StateStack, TenantStack, TenantStackProps
from constructs_lib.terraform.target import REAL_AWS, AwsTarget


def add_stacks(app: cdktf.App, envs: Iterable[ResolvedEnvironment], tenants: set[str] | None = None, target: AwsTarget = REAL_AWS) -> list[cdktf.TerraformStack]:
    """Add every stack of ``envs`` to ``app``; ``tenants`` limits the tenant stacks."""
    stacks: list[cdktf.TerraformStack] = []
    for env in envs:
        stacks.append(StateStack(app, env.state_stack_name, EnvironmentStackProps(env, target)))
        stacks.append(EnvironmentStack(app, env.stack_name, EnvironmentStackProps(env, target)))
        for tenant in env.tenants:
            if tenants is None or tenant.name in tenants:
                stacks.append(TenantStack(app, tenant.stack_name, TenantStackProps(env, tenant, target)))
    return stacks


def synth_terraform(outdir: Path, envs: Iterable[ResolvedEnvironment], tenants: set[str] | None = None, target: AwsTarget = REAL_AWS) -> list[str]:
    """Write cdktf's layout (``manifest.json``, ``stacks/<stack>/cdk.tf.json``) to ``outdir``."""
    app = cdktf.App(outdir=str(outdir))
    stacks = add_stacks(app, envs, tenants, target)
    app.synth()
    return [s.node.id for s in stacks]
