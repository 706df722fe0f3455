"""The typed plan model: what the user wrote, validated.

Public names are imported on first use (``constructs_lib/_lazy.py`` says why): ``PlanError``
alone stays light, so ``infraplan synth`` starts its Terraform worker before the model loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .errors import PlanError, PlanIssue
    from .loader import Plan, load_plan

__all__ = ["Plan", "PlanError", "PlanIssue", "load_plan"]

__getattr__, __dir__ = lazy_exports(__name__, __all__)
