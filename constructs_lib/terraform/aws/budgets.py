"""AWS Budgets family."""

from __future__ import annotations

from .base import AwsResource


class BudgetsBudget(AwsResource):
    """A cost or usage budget; ``notification`` blocks alert its subscribers."""

    resource_type = "aws_budgets_budget"
