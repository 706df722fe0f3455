"""The one seam to the CDK engine that turns constructs into Terraform JSON.

HashiCorp archived CDK for Terraform (``cdktf``) in December 2025; CDK Terrain (``cdktn``)
continues it with the same API under a new name. infraplan runs on either, and every module
takes the engine from here, never by its package name::

    from constructs_lib.terraform.engine import cdktf

``INFRAPLAN_CDK`` chooses it: ``cdktf`` (the default) or ``cdktn`` (``pip install -e '.[cdktn]'``).
Both write the same Terraform JSON for the bundled example, apart from the engine's version in
each stack's metadata (tests/test_cdk_engines.py); docs/architecture.md says how to switch.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

ENV = "INFRAPLAN_CDK"
ENGINES = ("cdktf", "cdktn")
DEFAULT = "cdktf"


class EngineMissing(ImportError):
    pass


def load(name: str | None = None) -> ModuleType:
    """The engine module ``name`` (default: ``$INFRAPLAN_CDK``, else cdktf), with the fix when it is unknown or absent."""
    name = name or os.environ.get(ENV) or DEFAULT
    if name not in ENGINES:
        raise EngineMissing(f"{ENV}={name!r} is not an engine infraplan runs on: choose {' or '.join(ENGINES)}")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        extra = "" if name == DEFAULT else f"[{name}]"
        raise EngineMissing(f"{ENV} is {name}, but the {name} package is not installed: pip install -e '.{extra}' (or ./dev setup)") from exc


cdktf = load()
NAME = cdktf.__name__  # the engine in use: "cdktf" or "cdktn"
