"""The Markdown plan as read: each value with the Markdown line it came from, so that every error
(and every comment of the plan files written from it) names that line."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..plan.errors import PlanIssue

# The template's Technical Context labels, as infraplan names them (key) and as the template writes them.
CONTEXT_LABELS: dict[str, str] = {
    "cloud_provider": "Cloud Provider",
    "iac_tools": "IaC Tools",
    "kubernetes": "Kubernetes",
    "gitops": "GitOps",
    "deployment_strategy": "Deployment Strategy",
    "state_backend": "State Backend",
    "secrets_management": "Secrets Management",
    "validation": "Validation",
    "target_environment": "Target Environment",
    "deployment_type": "Deployment Type",
    "performance_goals": "Performance Goals",
    "constraints": "Constraints",
    "scale_scope": "Scale/Scope",
}

APPENDIX_HEADING = "Appendix: plan files"


@dataclass(frozen=True)
class Cell:
    """One value of the Markdown (a label's value or a table cell) and its 1-based line."""

    text: str
    line: int


@dataclass(frozen=True)
class ChartRow:
    """A row of the Helm Chart Discovery table."""

    component: Cell
    helm_available: Cell
    source: Cell
    version: Cell
    notes: Cell


@dataclass(frozen=True)
class GateRow:
    """A gate of the Constitution Check (a table row or a bullet); cells it does not have are None."""

    gate: Cell
    description: Cell
    rule: Cell | None = None
    required: Cell | None = None
    params: Cell | None = None


@dataclass(frozen=True)
class ComplexityRow:
    """A row of the Complexity Tracking table."""

    violation: Cell
    why_needed: Cell
    alternative: Cell | None


@dataclass(frozen=True)
class PlanFileBlock:
    """A plan file carried verbatim under the appendix heading (what the template cannot hold)."""

    path: str
    text: str
    line: int
    text_line: int = 0  # the Markdown line of the block's first line (its YAML errors' lines count from it)


@dataclass(frozen=True)
class MarkdownPlan:
    file: str
    title: Cell | None
    summary: Cell | None
    context: dict[str, Cell]  # CONTEXT_LABELS key -> its value
    context_line: int  # the Technical Context heading
    charts: tuple[ChartRow, ...]
    gates: tuple[GateRow, ...]
    complexity: tuple[ComplexityRow, ...]
    appendix: tuple[PlanFileBlock, ...] = field(default=())
    # The Constitution Check left as the template has it (no gate, a placeholder such as
    # "[Gates determined based on constitution file]"): its line, so that import asks for the gates.
    gates_undecided: Cell | None = None

    def issue(self, line: int | None, where: str, message: str, hint: str = "") -> PlanIssue:
        return PlanIssue(self.file, line, where, message, hint)
