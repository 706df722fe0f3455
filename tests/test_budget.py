"""The plan's monthly budget becomes one AWS Budget per environment account, alerting the
plan's contacts; a budget nobody would hear about is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps
from tfjson import one


def issues(plan_dir: Path) -> list:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value.issues


def test_a_budget_needs_a_contact(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["constraints"].pop("budget_alert_emails"))
    (issue,) = [i for i in issues(plan_copy) if "budget" in i.message]
    assert issue.file.endswith("platform.yaml") and issue.path.endswith("constraints.budget_alert_emails")
    assert "nobody would be told" in issue.message and "budget_alert_emails" in issue.hint


@pytest.mark.parametrize(
    ("emails", "expected"),
    [
        (["finops"], "'finops' is not an email address"),
        (["a@example.com", "a@example.com"], "'a@example.com' is listed twice"),
        ([f"p{i}@example.com" for i in range(11)], "at most 10"),  # AWS Budgets: 10 email subscribers per notification
    ],
)
def test_contacts_aws_would_refuse_are_refused(plan_copy: Path, emails: list[str], expected: str) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["constraints"].update(budget_alert_emails=emails))
    assert any(expected in i.message for i in issues(plan_copy)), issues(plan_copy)


def test_no_budget_no_contact_needed(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: [d["constraints"].pop(k) for k in ("monthly_budget_usd", "budget_alert_emails")])
    assert all(e.budget is None for e in resolve_plan(load_plan(plan_copy)))


def test_one_budget_per_account_splitting_the_platform_budget(plan_copy: Path) -> None:
    envs = {e.name: e for e in resolve_plan(load_plan(plan_copy))}
    assert {n: e.budget.limit_usd for n, e in envs.items()} == {"dev": 8333, "staging": 8333, "prod": 8333}  # 25000 / 3, whole dollars
    assert envs["prod"].budget.emails == ("finops@acme.example.com",)
    assert len({e.account_id for e in envs.values()}) == len(envs)  # one environment per account (validate refuses a shared one)


def test_the_environment_stack_renders_the_budget(example_plan: Path) -> None:
    prod = {e.name: e for e in resolve_plan(load_plan(example_plan))}["prod"]
    s = json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), prod.stack_name, EnvironmentStackProps(prod))))
    budget = one(s, "aws_budgets_budget")
    assert (budget["name"], budget["account_id"], budget["budget_type"], budget["time_unit"]) == ("acme-prod-monthly", "333333333333", "COST", "MONTHLY")
    assert (budget["limit_amount"], budget["limit_unit"]) == ("8333", "USD")
    assert "cost_filter" not in budget  # the whole account, tagged or not
    alerts = {(n["notification_type"], n["threshold"]) for n in budget["notification"]}
    assert alerts == {("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)}
    for n in budget["notification"]:
        assert (n["comparison_operator"], n["threshold_type"]) == ("GREATER_THAN", "PERCENTAGE")
        assert n["subscriber_email_addresses"] == ["finops@acme.example.com"]
