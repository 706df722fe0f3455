"""Adding your own resources to infraplan's stacks.

An extension is a function ``extend(stack, context)`` called once for every stack
after infraplan built it. It may add any construct to ``stack``: the L1 classes
of :mod:`constructs_lib.terraform.aws`, a class of its own deriving from
:class:`~constructs_lib.terraform.aws.AwsResource` for a resource type
infraplan does not use, or whole L2 constructs. It reads the same resolved
model as infraplan, so names and tags stay consistent::

    # my_platform/extensions.py
    from constructs_lib.terraform.aws import AwsResource

    class SnsTopic(AwsResource):
        resource_type = "aws_sns_topic"

    def alerts_topic(stack, ctx):
        if ctx.kind == "platform":
            SnsTopic(stack, "alerts", name=f"{ctx.environment.cluster.name}-alerts", kms_master_key_id="alias/aws/sns")

    $ infraplan synth --extension my_platform.extensions:alerts_topic
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cdktf

from ..resolve.model import ResolvedEnvironment, ResolvedTenant


@dataclass(frozen=True)
class StackContext:
    kind: Literal["state", "platform", "region", "tenant"]
    environment: ResolvedEnvironment
    tenant: ResolvedTenant | None = None


Extension = Callable[[cdktf.TerraformStack, StackContext], None]


class ExtensionError(Exception):
    pass


def load_extension(spec: str) -> Extension:
    """``package.module:function`` -> the function."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ExtensionError(f"extension '{spec}' is not of the form package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ExtensionError(f"extension '{spec}': cannot import {module_name}: {exc}") from exc
    func = getattr(module, attr, None)
    if not callable(func):
        raise ExtensionError(f"extension '{spec}': {module_name} has no function {attr}")
    return func
