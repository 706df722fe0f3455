"""The plan's constitution as gates ``infraplan check`` runs: the rules, their runners, the report.

Public names are imported on first use (``constructs_lib/_lazy.py`` says why); the plan model
reads ``rules`` alone, without the runners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from . import rules
    from .report import CheckReport, GateResult, Status, as_json, as_junit, summary
    from .rules import RULES, SUPPORTED_TOOLS, TOOLS, Rule
    from .runner import CheckContext, run_gate, run_gates
    from .terraform import check_block, schema_problems

__all__ = [
    "CheckContext",
    "CheckReport",
    "GateResult",
    "RULES",
    "Rule",
    "SUPPORTED_TOOLS",
    "Status",
    "TOOLS",
    "as_json",
    "as_junit",
    "check_block",
    "rules",
    "run_gate",
    "run_gates",
    "schema_problems",
    "summary",
]
__getattr__, __dir__ = lazy_exports(__name__, __all__)
