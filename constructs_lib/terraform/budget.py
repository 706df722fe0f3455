"""The AWS Budget of an environment's account: the plan's monthly budget, alerting its contacts."""

from __future__ import annotations

from constructs import Construct

from ..resolve.model import ResolvedBudget
from .aws import budgets


class AccountBudget(Construct):
    """A monthly cost budget of the whole account (no cost filter: every service, tagged or not),
    with an email alert per resolved threshold."""

    def __init__(self, scope: Construct, id: str, budget: ResolvedBudget, account_id: str):
        super().__init__(scope, id)
        self.budget = budgets.BudgetsBudget(
            self,
            "budget",
            name=budget.name,
            account_id=account_id,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=str(budget.limit_usd),
            limit_unit="USD",
            notification=[
                {
                    "comparison_operator": "GREATER_THAN",
                    "notification_type": alert.notification_type,
                    "threshold": alert.threshold_percent,
                    "threshold_type": "PERCENTAGE",
                    "subscriber_email_addresses": list(budget.emails),
                }
                for alert in budget.alerts
            ],
            tags={"Name": budget.name},
        )
