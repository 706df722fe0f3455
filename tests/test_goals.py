"""The plan's performance and scale goals drive the output or are refused (issue #14):
an infeasible goal is a plan error at its file and line with the fix, a feasible one drives
settings that `explain` shows next to it, and scale is checked over every cluster of an environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.errors import PlanIssue
from constructs_lib.resolve.environment import resolve_environment


def issues_of(plan_dir: Path) -> list[PlanIssue]:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value.issues


def only(issues: list[PlanIssue], path: str) -> PlanIssue:
    found = [i for i in issues if i.path == path]
    assert len(found) == 1, "\n".join(i.render() for i in issues)
    return found[0]


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if needle in text)


def decision(env, path: str):
    return next(d for d in env.decisions if d.path == path)


def performance(plan_dir: Path, **values) -> None:
    edit_yaml(plan_dir / "platform.yaml", lambda d: d["performance"].update(values))


# --- performance: refused where the design cannot meet it ------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "fix"),
    [("rpo_minutes", 1, "raise it to 5"), ("rto_minutes", 1, "raise it to 2"), ("uptime_percent", 99.99, "lower it to 99.95")],
)
def test_an_infeasible_goal_is_refused_at_its_line_with_the_fix(plan_copy: Path, field: str, value, fix: str) -> None:
    performance(plan_copy, **{field: value})
    issue = only(issues_of(plan_copy), f"performance.{field}")
    assert Path(issue.file).name == "platform.yaml" and issue.line == line_of(plan_copy / "platform.yaml", f"{field}:")
    assert fix in issue.hint and f"{field}: {value}" in issue.message


def test_the_lowest_feasible_goals_are_accepted(plan_copy: Path) -> None:
    performance(plan_copy, rpo_minutes=5, rto_minutes=2, uptime_percent=99.95)
    load_plan(plan_copy)


def test_uptime_above_a_single_az_instance_refuses_an_explicit_single_az_database(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["database"].update(multi_az=False))
    issue = only(issues_of(plan_copy), "database.multi_az")
    assert Path(issue.file).name == "prod.yaml" and issue.line == line_of(plan_copy / "prod.yaml", "multi_az:")
    assert "99.5 %" in issue.message and "remove multi_az: false" in issue.hint


def test_a_short_rto_makes_the_database_multi_az_even_at_low_uptime(plan_copy: Path) -> None:
    performance(plan_copy, uptime_percent=99.5, rto_minutes=60)
    assert resolve_environment(load_plan(plan_copy), "prod").database.multi_az is False
    performance(plan_copy, rto_minutes=30)
    env = resolve_environment(load_plan(plan_copy), "prod")
    assert env.database.multi_az is True and "RTO 30 min" in decision(env, "database.multi_az").source.reason
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["database"].update(multi_az=False))
    assert "RTO 30 min" in only(issues_of(plan_copy), "database.multi_az").message


def test_three_nines_refuse_a_single_nat_gateway_and_a_zone_without_nodes(plan_copy: Path) -> None:
    def change(d) -> None:
        d["nat"] = "single"
        d["cluster"]["node_groups"][0]["min_size"] = 2
        d["cluster"]["node_groups"][0]["desired_size"] = 2

    edit_yaml(plan_copy / "prod.yaml", change)
    issues = issues_of(plan_copy)
    assert "one AZ" in only(issues, "nat").message
    assert "at least 3" in only(issues, "cluster.node_groups[0].min_size").hint
    # Below three nines the same production environment is accepted, and dev is never held to the goals.
    performance(plan_copy, uptime_percent=99.5, rto_minutes=120)
    load_plan(plan_copy)


def test_a_group_that_scales_to_zero_is_elastic_but_not_every_group(plan_copy: Path) -> None:
    def batch(d) -> None:
        d["cluster"]["node_groups"].append({"name": "batch", "instance_types": ["c6i.large"], "min_size": 0, "max_size": 3})

    edit_yaml(plan_copy / "prod.yaml", batch)
    load_plan(plan_copy)  # the general and system groups keep a node per AZ
    edit_yaml(plan_copy / "prod.yaml", lambda d: [g.update(min_size=0, desired_size=0) for g in d["cluster"]["node_groups"]])
    assert "every node group may scale to zero" in only(issues_of(plan_copy), "cluster.node_groups").message


def test_a_tainted_system_group_does_not_keep_the_tenants_a_node_per_zone(plan_copy: Path) -> None:
    """The system group (CriticalAddonsOnly, NO_SCHEDULE) runs the add-ons only: with the general group
    at min_size 0 the tenants' pods may have no node at all, which validate accepted."""
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"]["node_groups"][0].update(min_size=0, desired_size=0))
    issue = only(issues_of(plan_copy), "cluster.node_groups")
    assert "every node group may scale to zero but tainted ones" in issue.message and "untainted node group min_size 3" in issue.hint
    # A PREFER_NO_SCHEDULE taint still lets them run there.
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"]["node_groups"][1]["taints"][0].update(effect="PREFER_NO_SCHEDULE"))
    load_plan(plan_copy)


def test_99_95_needs_three_zones_in_production(plan_copy: Path) -> None:
    performance(plan_copy, uptime_percent=99.95)
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(availability_zones=2))
    assert "set availability_zones: 3" in only(issues_of(plan_copy), "availability_zones").hint


def test_a_region_loss_needs_a_multi_region_plan(plan_copy: Path) -> None:
    performance(plan_copy, failure_scope="region")
    issue = only(issues_of(plan_copy), "performance.failure_scope")
    assert "deployment_type: multi-region" in issue.hint


def test_a_region_loss_rto_below_a_restore_is_refused_in_a_multi_region_plan(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(deployment_type="multi-region"))
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(regions=["eu-west-1", "eu-central-1"], region_vpc_cidrs={"eu-central-1": "10.40.0.0/16"}))
    # a multi-region environment hosts no dedicated tenant and no database apps yet (validate): keep org-c shared, no databases
    for name in ("org-a", "org-b", "org-c"):
        edit_yaml(plan_copy / "tenants" / f"{name}.yaml", _without_databases)
    performance(plan_copy, failure_scope="region", rto_minutes=30)
    assert "raise it to 60" in only(issues_of(plan_copy), "performance.rto_minutes").hint
    performance(plan_copy, rto_minutes=240)
    env = resolve_environment(load_plan(plan_copy), "prod")
    rto = decision(env, "goals.rto_minutes")
    assert "loss of the primary region" in rto.source.reason and "eu-central-1" in rto.source.reason
    assert "copied to eu-central-1" in decision(env, "goals.rpo_minutes").source.reason


def _without_databases(d) -> None:
    d.pop("database", None)
    for app in d.get("apps", []):
        app.pop("uses_database", None)
    for override in d.get("environments", {}).values():
        for key in ("isolation", "vpc_cidr", "database"):
            override.pop(key, None)


def test_explain_shows_what_each_goal_drives(example_plan: Path) -> None:
    prod = resolve_environment(load_plan(example_plan), "prod")
    uptime = decision(prod, "goals.uptime_percent")
    assert uptime.value == 99.9 and "database multi_az true" in uptime.source.reason and "NAT one-per-az" in uptime.source.reason
    assert "an Availability Zone" in decision(prod, "goals.rto_minutes").source.reason
    assert "every 5 min" in decision(prod, "goals.rpo_minutes").source.reason and "35 days" in decision(prod, "goals.rpo_minutes").source.reason
    dev = resolve_environment(load_plan(example_plan), "dev")
    assert "not held to the performance goals" in decision(dev, "goals.uptime_percent").source.reason


# --- scale: over every cluster of an environment -----------------------------------------------


def test_max_nodes_counts_a_dedicated_tenant_cluster(plan_copy: Path) -> None:
    # prod's node groups grow to 15 nodes per cluster; org-c's dedicated cluster in prod makes 30.
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["scale"].update(max_nodes=20))
    issue = only(issues_of(plan_copy), "cluster.node_groups")
    assert Path(issue.file).name == "prod.yaml" and "30 nodes" in issue.message and "prod-org-c" in issue.message
    assert "at least 30" in issue.hint
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["scale"].update(max_nodes=30))
    assert resolve_environment(load_plan(plan_copy), "prod").decisions  # 30 fits


def test_max_nodes_counts_secondary_region_clusters(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: (d.update(deployment_type="multi-region"), d["scale"].update(max_nodes=8)))
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(regions=["eu-west-1", "eu-central-1", "eu-north-1"], region_vpc_cidrs={"eu-central-1": "10.41.0.0/16", "eu-north-1": "10.42.0.0/16"}))
    for name in ("org-a", "org-b", "org-c"):
        edit_yaml(plan_copy / "tenants" / f"{name}.yaml", _without_databases)
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(regions=["eu-west-1", "eu-central-1"], region_vpc_cidrs={"eu-central-1": "10.43.0.0/16"}))
    issues = [i for i in issues_of(plan_copy) if i.path == "cluster.node_groups"]
    dev = next(i for i in issues if Path(i.file).name == "dev.yaml")
    assert "12 nodes over 3 clusters" in dev.message and "dev-eu-north-1" in dev.message


def test_max_pods_blames_the_quota_that_overflows_at_its_line(plan_copy: Path) -> None:
    # prod's shared cluster: org-a 120 (its prod quota) + org-b 40 = 160; org-c's dedicated cluster: 150.
    performance(plan_copy, max_pods=150)
    (issue,) = [i for i in issues_of(plan_copy) if "cluster prod " in i.message]
    assert Path(issue.file).name == "org-b.yaml" and issue.path == "quotas.pods"
    assert issue.line == line_of(plan_copy / "tenants" / "org-b.yaml", "pods:")
    assert "org-b's quota of 40 takes it over" in issue.message and "raise performance.max_pods" in issue.hint
    performance(plan_copy, max_pods=160)
    env = resolve_environment(load_plan(plan_copy), "prod")
    assert decision(env, "scale.tenant_pods").value == {"prod": 160, "prod-org-c": 150, "limit": 160}


def test_max_pods_is_optional(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["performance"].pop("max_pods"))
    env = resolve_environment(load_plan(plan_copy), "prod")
    assert decision(env, "scale.tenant_pods").value["limit"] == "none"
