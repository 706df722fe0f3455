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
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..resolve.model import ResolvedEnvironment, ResolvedTenant

if TYPE_CHECKING:  # a process that only reports an ExtensionError (synth's parent) never loads cdktf
    from .engine import cdktf


@dataclass(frozen=True)
class StackContext:
    kind: Literal["state", "platform", "region", "tenant"]
    environment: ResolvedEnvironment
    tenant: ResolvedTenant | None = None


Extension = Callable[["cdktf.TerraformStack", StackContext], None]


class ExtensionError(Exception):
    """An extension cannot be loaded, or failed: the message holds the extension's own traceback."""


_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_FUNCTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _users_traceback(exc: BaseException) -> str:
    """The traceback from the extension's code down, without infraplan's frames above it."""
    ours = (__file__, importlib.__file__)
    tb = exc.__traceback__
    while tb is not None and (tb.tb_frame.f_code.co_filename in ours or tb.tb_frame.f_code.co_filename.startswith("<frozen")):
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return "".join("    " + line for line in "".join(lines).splitlines(keepends=True))


@dataclass(frozen=True)
class LoadedExtension:
    """A user's extension function; calling it turns its exceptions into :class:`ExtensionError`."""

    spec: str
    function: Extension
    file: Path | None

    def __call__(self, stack: cdktf.TerraformStack, context: StackContext) -> None:
        from . import jsii_pipeline  # jsii is loaded by now: the stack is one of its objects

        jsii_pipeline.sync()  # a refusal of what was made before the function is not the function's
        failed_before = jsii_pipeline.failure_count()
        try:
            self.function(stack, context)
            jsii_pipeline.raise_failures_since(failed_before)  # a construct of theirs Node.js refused, even if caught since
        except Exception as exc:  # the user's code: any failure is reported as theirs
            raise ExtensionError(
                f"extension '{self.spec}' failed on stack {stack.node.id}:\n{_users_traceback(exc)}".rstrip()
            ) from None


def load_extension(spec: str) -> LoadedExtension:
    """``package.module:function`` -> the function, importable from ``sys.path`` (PYTHONPATH)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not _MODULE.fullmatch(module_name) or not _FUNCTION.fullmatch(attr) or module_name.endswith(".py"):
        looks_like_path = "/" in module_name or module_name.endswith(".py") or module_name.startswith(".")
        hint = (
            "name a Python module, not a file: put the file's folder on PYTHONPATH and pass module:function"
            if looks_like_path
            else "write it as package.module:function"
        )
        raise ExtensionError(f"extension '{spec}' is not of the form package.module:function; {hint}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ExtensionError(f"extension '{spec}': no module named {exc.name} (is its folder on PYTHONPATH?)") from None
        raise ExtensionError(f"extension '{spec}': importing {module_name} failed:\n{_users_traceback(exc)}".rstrip()) from None
    except Exception as exc:  # the module's own code failed while importing
        raise ExtensionError(f"extension '{spec}': importing {module_name} failed:\n{_users_traceback(exc)}".rstrip()) from None
    func = getattr(module, attr, None)
    if not callable(func):
        raise ExtensionError(f"extension '{spec}': {module_name} has no function {attr}")
    file = getattr(module, "__file__", None)
    return LoadedExtension(spec, func, Path(file) if file else None)
