"""The live check of an :class:`~constructs_lib.terraform.budget.AccountBudget`: its limit, type
and period over the whole account, and each alert with exactly the plan's contacts."""

from __future__ import annotations

from typing import Any

from ...resolve.model import ResolvedBudget
from .base import Clients, Difference


def check_budget(aws: Clients, account_id: str, budget: ResolvedBudget) -> list[Difference]:
    """The account's AWS Budget: its limit and period, and each alert with exactly the plan's contacts
    (an alert nobody receives is the failure this catches: a contact removed by hand in the console)."""
    bg = aws("budgets")
    where = f"budget {budget.name}"
    try:
        live = bg.describe_budget(AccountId=account_id, BudgetName=budget.name)["Budget"]
    except bg.exceptions.NotFoundException:
        return [Difference(where, "exists", True, False)]
    out: list[Difference] = []
    limit = live.get("BudgetLimit") or {}
    expected_limit = f"{budget.limit_usd} USD"
    try:
        actual_amount = float(limit.get("Amount", "nan"))
    except ValueError:
        actual_amount = float("nan")
    if actual_amount != budget.limit_usd or limit.get("Unit") != "USD":
        out.append(Difference(where, "limit", expected_limit, f"{limit.get('Amount')} {limit.get('Unit')}"))
    for setting, key, expected in (("type", "BudgetType", "COST"), ("period", "TimeUnit", "MONTHLY")):
        if live.get(key) != expected:
            out.append(Difference(where, setting, expected, live.get(key)))
    if live.get("CostFilters"):
        out.append(Difference(where, "cost filters", "none (the whole account)", live["CostFilters"]))
    return out + _check_alerts(bg, account_id, budget, where)


def _check_alerts(bg: Any, account_id: str, budget: ResolvedBudget, where: str) -> list[Difference]:
    """Each resolved alert (type and threshold) with exactly the plan's email contacts, and no other alert."""
    out: list[Difference] = []
    try:
        notifications = bg.describe_notifications_for_budget(AccountId=account_id, BudgetName=budget.name).get("Notifications", [])
    except bg.exceptions.NotFoundException:
        notifications = []
    by_alert = {(n.get("NotificationType"), float(n.get("Threshold", -1))): n for n in notifications if n.get("ComparisonOperator") == "GREATER_THAN"}
    expected_alerts = {(a.notification_type, float(a.threshold_percent)) for a in budget.alerts}
    for kind, threshold in sorted(expected_alerts):
        alert = f"{where}: alert {kind} > {threshold:g}%"
        n = by_alert.get((kind, threshold))
        if n is None:
            out.append(Difference(alert, "exists", True, False))
            continue
        try:
            subscribers = bg.describe_subscribers_for_notification(AccountId=account_id, BudgetName=budget.name, Notification=n).get("Subscribers", [])
        except bg.exceptions.NotFoundException:
            subscribers = []
        emails = sorted(s["Address"] for s in subscribers if s.get("SubscriptionType") == "EMAIL")
        if emails != sorted(budget.emails):
            out.append(Difference(alert, "email subscribers", sorted(budget.emails), emails))
    extra = sorted(set(by_alert) - expected_alerts)
    if extra:
        out.append(Difference(where, "alerts not in the plan", [], [f"{k} > {t:g}%" for k, t in extra]))
    return out
