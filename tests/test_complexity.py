"""Complexity tracking (issue #14): a choice that adds complexity (a tenant's dedicated cluster,
multi-region) without a justification entry is a warning of validate at the choice's file and
line; entries name what they justify (applies_to), and explain shows the justification next to
the choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.environment import resolve_environment
from stacks.cli import main


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if needle in text)


def entries(plan_dir: Path, change) -> None:
    edit_yaml(plan_dir / "platform.yaml", lambda d: change(d["complexity_tracking"]))


def decision(decisions, path: str):
    return next(d for d in decisions if d.path == path)


def test_the_example_justifies_every_choice(example_plan: Path) -> None:
    assert load_plan(example_plan).warnings == []


def test_an_unjustified_dedicated_cluster_is_a_warning_at_its_line(plan_copy: Path, capsys) -> None:
    entries(plan_copy, lambda e: e[0].pop("applies_to"))
    plan = load_plan(plan_copy)  # a warning, not a refusal
    tenant_file = plan_copy / "tenants" / "org-c.yaml"
    (choice,) = [w for w in plan.warnings if w.file == str(tenant_file)]
    assert choice.path == "environments.prod.isolation" and choice.line == line_of(tenant_file, "isolation: dedicated")
    assert "org-c" in choice.message and "applies_to: dedicated-cluster:org-c" in choice.hint
    (entry,) = [w for w in plan.warnings if w.path == "complexity_tracking[0]"]
    assert "does not say which choice" in entry.message
    assert main(["validate", "--plan", str(plan_copy)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {tenant_file}:{choice.line}: environments.prod.isolation" in err


def test_multi_region_without_an_entry_is_a_warning_at_deployment_type(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(deployment_type="multi-region"))
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(regions=["eu-west-1", "eu-central-1"], region_vpc_cidrs={"eu-central-1": "10.40.0.0/16"}))
    edit_yaml(plan_copy / "tenants" / "org-c.yaml", _shared_without_database)
    for name in ("org-a", "org-b"):
        edit_yaml(plan_copy / "tenants" / f"{name}.yaml", _shared_without_database)
    plan = load_plan(plan_copy)
    (warning,) = [w for w in plan.warnings if w.path == "deployment_type"]
    assert warning.line == line_of(plan_copy / "platform.yaml", "deployment_type:") and "applies_to: multi-region" in warning.hint
    # org-c is no longer dedicated: its entry justifies a choice the plan does not make
    assert any(w.path == "complexity_tracking[0].applies_to" and "does not make" in w.message for w in plan.warnings)
    prod = resolve_environment(plan, "prod")
    assert decision(prod.decisions, "complexity.multi-region").value == "multi-region: not justified"
    entries(plan_copy, lambda e: e.append({"decision": "prod runs in two regions", "justification": "a region loss must not stop the storefront", "applies_to": "multi-region"}))
    plan = load_plan(plan_copy)
    assert not [w for w in plan.warnings if w.path == "deployment_type"]
    justified = decision(resolve_environment(plan, "prod").decisions, "complexity.multi-region")
    assert justified.source.ref == "platform.yaml: complexity_tracking[1]" and "region loss" in justified.source.reason


def _shared_without_database(d) -> None:
    d.pop("database", None)
    for app in d.get("apps", []):
        app.pop("uses_database", None)
    for override in d.get("environments", {}).values():
        for key in ("isolation", "vpc_cidr", "database"):
            override.pop(key, None)


@pytest.mark.parametrize(
    ("applies_to", "text"),
    [("dedicated-cluster:org-x", "tenant 'org-x', which is not defined"), ("dedicated-clusters:org-c", "names no choice"), ("multi-region:eu", "without ':<name>'")],
)
def test_an_entry_for_nothing_that_can_exist_is_refused(plan_copy: Path, applies_to: str, text: str) -> None:
    entries(plan_copy, lambda e: e[0].update(applies_to=applies_to))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    (issue,) = info.value.issues
    assert issue.path == "complexity_tracking[0].applies_to" and text in issue.message
    assert issue.line == line_of(plan_copy / "platform.yaml", "applies_to:")


def test_two_entries_for_one_choice_are_refused(plan_copy: Path) -> None:
    entries(plan_copy, lambda e: e.append(dict(e[0])))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    assert "already justifies dedicated-cluster:org-c" in info.value.issues[0].message


def test_explain_shows_the_justification_next_to_the_choice(example_plan: Path) -> None:
    prod = resolve_environment(load_plan(example_plan), "prod")
    tenant = prod.tenant("org-c").decisions
    paths = [d.path for d in tenant]
    assert paths.index("tenant.org-c.isolation.justification") == paths.index("tenant.org-c.isolation") + 1
    j = decision(tenant, "tenant.org-c.isolation.justification")
    assert j.source.ref == "platform.yaml: complexity_tracking[0]" and "card data" in j.source.reason and "NetworkPolicies" in j.source.reason
    assert "card data" in decision(prod.decisions, "complexity.dedicated-cluster.org-c").source.reason
    # a shared tenant has no choice to justify
    assert not [d for d in prod.tenant("org-a").decisions if d.path.endswith("justification")]
