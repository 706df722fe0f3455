"""The typed plan model: what the user wrote, validated."""

from .errors import PlanError, PlanIssue
from .loader import Plan, load_plan

__all__ = ["Plan", "PlanError", "PlanIssue", "load_plan"]
