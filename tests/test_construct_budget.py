"""The AccountBudget construct alone, aws-cdk style: one construct in an empty cdktf stack with
hand-written props (no plan), assertions on what it synthesizes, and a refusal per check."""

from __future__ import annotations

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.terraform.budget import AccountBudget, AccountBudgetProps, CostAlert
from constructs_lib.terraform.props import ConstructPropsError
from tfjson import one

FINOPS = ("finops@example.com",)


def test_defaults_budget_the_whole_account_monthly_with_three_alerts() -> None:
    s = stack()
    AccountBudget(s, "shop-monthly", limit_usd=5000, emails=FINOPS)
    budget = one(synth(s), "aws_budgets_budget")
    assert budget["name"] == "shop-monthly" and budget["account_id"] == ACCOUNT  # the id; the provider's account
    assert budget["budget_type"] == "COST" and budget["time_unit"] == "MONTHLY" and budget["limit_amount"] == "5000" and budget["limit_unit"] == "USD"
    assert "cost_filter" not in budget  # every service, tagged or not
    alerts = [(n["notification_type"], n["threshold"]) for n in budget["notification"]]
    assert alerts == [("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)]
    assert all(n["subscriber_email_addresses"] == list(FINOPS) and n["comparison_operator"] == "GREATER_THAN" and n["threshold_type"] == "PERCENTAGE" for n in budget["notification"])


def test_props_reach_the_budget() -> None:
    s = stack(provider=False)
    props = AccountBudgetProps(
        limit_usd=120.5, emails=("a@example.com", "b@example.com"), name="lab", alerts=(CostAlert(threshold_percent=50),), account_id="444455556666"
    )
    AccountBudget(s, "budget", props)
    budget = one(synth(s), "aws_budgets_budget")
    assert budget["name"] == "lab" and budget["account_id"] == "444455556666" and budget["limit_amount"] == "120.5"
    assert [(n["notification_type"], n["threshold"], n["subscriber_email_addresses"]) for n in budget["notification"]] == [("ACTUAL", 50, ["a@example.com", "b@example.com"])]


@pytest.mark.parametrize(
    ("props", "prop", "problem"),
    [
        ({"limit_usd": 0}, "limit_usd", "above 0"),
        ({"limit_usd": -10}, "limit_usd", "above 0"),
        ({"emails": ()}, "emails", "1 to 10 email subscribers"),
        ({"emails": tuple(f"p{i}@example.com" for i in range(11))}, "emails", "1 to 10 email subscribers"),
        ({"emails": "finops@example.com"}, "emails", "1 to 10 email subscribers"),  # a string, not a tuple of addresses
        ({"emails": ("finops",)}, "emails", "not an email address"),
        ({"emails": ("a@example.com", "a@example.com")}, "emails", "listed twice"),
        ({"name": "team:shop"}, "name", "without ':'"),
        ({"name": "x" * 101}, "name", "1 to 100 characters"),
        ({"alerts": ()}, "alerts", "1 to 10 notifications"),
        ({"alerts": tuple(CostAlert(threshold_percent=10 * i) for i in range(11))}, "alerts", "1 to 10 notifications"),
        ({"alerts": (CostAlert(threshold_percent=-1),)}, "alerts", "is not 0 to 1,000,000"),
        ({"alerts": (CostAlert(threshold_percent=1_000_001),)}, "alerts", "is not 0 to 1,000,000"),
        ({"alerts": (CostAlert(notification_type="SPENT"),)}, "alerts", "not ACTUAL or FORECASTED"),
        ({"alerts": (CostAlert(), CostAlert())}, "alerts", "listed twice"),
        ({"alerts": ((80, "ACTUAL"),)}, "alerts", "is not a CostAlert"),
    ],
)
def test_what_aws_budgets_refuses_is_refused(props: dict, prop: str, problem: str) -> None:
    with pytest.raises(ConstructPropsError) as info:
        AccountBudget(stack(), "budget", **{"limit_usd": 100, "emails": FINOPS, **props})
    assert info.value.prop == prop and problem in info.value.problem and info.value.fix
    assert str(info.value).startswith("AccountBudget 'test/budget': ")


def test_the_account_comes_from_the_props_or_the_provider() -> None:
    with pytest.raises(ConstructPropsError) as info:
        AccountBudget(stack(provider=False), "budget", limit_usd=100, emails=FINOPS)
    assert info.value.prop == "account_id" and "allowed_account_ids" in info.value.fix
    with pytest.raises(ConstructPropsError, match="account_id='12345'"):
        AccountBudget(stack(provider=False), "budget", limit_usd=100, emails=FINOPS, account_id="12345")


def test_unknown_and_missing_props_are_refused() -> None:
    with pytest.raises(ConstructPropsError, match="AccountBudgetProps has no such prop"):
        AccountBudget(stack(), "budget", limit_usd=100, emails=FINOPS, cost_filter={"Service": ["EC2"]})
    with pytest.raises(ConstructPropsError, match="required prop"):
        AccountBudget(stack(), "budget", limit_usd=100)
