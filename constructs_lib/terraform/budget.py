"""The AccountBudget construct: an AWS Budget of a whole account's monthly cost, alerting by email.

``AccountBudget(stack, "budget", limit_usd=5000, emails=("finops@example.com",))``. The plan is one
front end (``stacks.py: budget_props`` maps the resolved budget onto these props)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NoReturn

from constructs import Construct

from .aws import budgets
from .props import ACCOUNT_ID, ConstructPropsError, construct_path, props_from, stack_provider_setting

NOTIFICATION_TYPES = ("ACTUAL", "FORECASTED")
"""ACTUAL: what was spent; FORECASTED: AWS's forecast of the month's end."""
MAX_NOTIFICATIONS = 10
"""AWS Budgets: at most ten notifications per budget."""
MAX_EMAILS = 10
"""AWS Budgets: at most ten email subscribers per notification."""
MAX_THRESHOLD_PERCENT = 1_000_000
"""AWS Budgets: a percentage threshold is at most 1,000,000 % of the budgeted amount."""
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
"""One address, as the plan's ``constraints.budget_alert_emails`` checks it."""


@dataclass(frozen=True, kw_only=True)
class CostAlert:
    """One email alert of a budget: when the cost passes ``threshold_percent`` of the limit."""

    threshold_percent: float = 100
    """Percent of the limit, 0 to 1,000,000. @default 100: the budget is spent."""
    notification_type: str = "ACTUAL"
    """ACTUAL (spent) or FORECASTED (AWS's month-end forecast). @default ACTUAL."""


DEFAULT_ALERTS = (CostAlert(threshold_percent=80), CostAlert(threshold_percent=100), CostAlert(threshold_percent=100, notification_type="FORECASTED"))
"""80 % and 100 % of actual cost, and a forecast past 100 %: a warning, the overrun, and the month heading there."""


@dataclass(frozen=True, kw_only=True)
class AccountBudgetProps:
    """A monthly cost budget of a whole account. Required: the limit and who hears of it; there is
    no cost filter (every service, tagged or not), so the account should hold one environment."""

    limit_usd: int | float
    """The monthly limit in USD, more than 0."""
    emails: tuple[str, ...]
    """Who the alerts go to: 1 to 10 distinct addresses (a budget nobody hears of is refused)."""
    name: str | None = None
    """The budget's name, unique in the account: 1 to 100 characters, no ``:`` or ``\\``.
    @default the construct id."""
    alerts: tuple[CostAlert, ...] = DEFAULT_ALERTS
    """Email alerts, 1 to 10, each distinct. @default 80 % and 100 % of actual cost and a forecast
    past 100 %: a warning, the overrun, and the month heading there."""
    account_id: str | None = None
    """The account whose cost is budgeted. @default the stack's aws provider's single allowed_account_ids."""


def check_budget_props(p: AccountBudgetProps, construct: str) -> None:
    """Every value AWS Budgets would refuse, and a budget nobody would hear of, with the fix."""

    def refuse(prop: str, problem: str, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem, fix)

    if isinstance(p.limit_usd, bool) or not isinstance(p.limit_usd, int | float) or not p.limit_usd > 0:
        refuse("limit_usd", "a budget's limit is an amount above 0", "pass the monthly limit in USD, e.g. limit_usd=5000")
    if isinstance(p.emails, str) or not 1 <= len(p.emails) <= MAX_EMAILS:
        refuse("emails", f"a notification takes 1 to {MAX_EMAILS} email subscribers (nobody would hear of a budget without one)", "pass a tuple of 1 to 10 addresses")
    for i, email in enumerate(p.emails):
        if not isinstance(email, str) or not EMAIL.fullmatch(email) or len(email) > 254:
            refuse("emails", f"{email!r} is not an email address", "write one address per item, e.g. finops@example.com")
        if email in p.emails[:i]:
            refuse("emails", f"{email!r} is listed twice", "list each address once")
    if p.name is not None and (not 1 <= len(p.name) <= 100 or ":" in p.name or "\\" in p.name or "/action/" in p.name):
        refuse("name", "AWS Budgets takes 1 to 100 characters without ':', '\\' or '/action/'", "e.g. name='acme-prod-monthly'")
    if not 1 <= len(p.alerts) <= MAX_NOTIFICATIONS:
        refuse("alerts", f"a budget has 1 to {MAX_NOTIFICATIONS} notifications", "pass CostAlert(...) items, e.g. the default three")
    for i, alert in enumerate(p.alerts):
        if not isinstance(alert, CostAlert):
            refuse("alerts", f"{alert!r} is not a CostAlert", "pass CostAlert(threshold_percent=..., notification_type=...)")
        if alert.notification_type not in NOTIFICATION_TYPES:
            refuse("alerts", f"notification_type {alert.notification_type!r} is not ACTUAL or FORECASTED", "ACTUAL (spent) or FORECASTED")
        t = alert.threshold_percent
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= MAX_THRESHOLD_PERCENT:
            refuse("alerts", f"threshold_percent {t!r} is not 0 to {MAX_THRESHOLD_PERCENT:,} (AWS Budgets' range)", "a percent of the limit, e.g. 80")
        if alert in p.alerts[:i]:
            refuse("alerts", f"{alert!r} is listed twice (AWS refuses a duplicate notification)", "list each alert once")


class AccountBudget(Construct):
    """``aws_budgets_budget``: COST, MONTHLY, in USD, without cost filter (the whole account), one
    GREATER_THAN percentage notification per alert, each to every address."""

    def __init__(self, scope: Construct, id: str, props: AccountBudgetProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "AccountBudget")
        p = props_from(AccountBudgetProps, props, kwargs, where)
        check_budget_props(p, where)
        super().__init__(scope, id)
        self.props = p
        account_id = p.account_id or stack_provider_setting(self, "account_id")
        if account_id is None or not ACCOUNT_ID.match(account_id):
            raise ConstructPropsError(
                where, "account_id", account_id, "no 12-digit account given, and the stack has no aws provider with one allowed_account_ids",
                "pass account_id='123456789012', or add AwsProvider(stack, 'aws', ..., allowed_account_ids=[<account>]) first",
            )  # fmt: skip
        self.name = name = p.name or id
        self.budget = budgets.BudgetsBudget(
            self,
            "budget",
            name=name,
            account_id=account_id,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=str(p.limit_usd),
            limit_unit="USD",
            notification=[
                {
                    "comparison_operator": "GREATER_THAN",
                    "notification_type": alert.notification_type,
                    "threshold": alert.threshold_percent,
                    "threshold_type": "PERCENTAGE",
                    "subscriber_email_addresses": list(p.emails),
                }
                for alert in p.alerts
            ],
            tags={"Name": name},
        )
