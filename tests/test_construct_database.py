"""The Database construct alone, aws-cdk style: one construct in an empty cdktf stack with
hand-written props (no plan), assertions on what it synthesizes, and a refusal for every check
its constructor makes."""

from __future__ import annotations

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.terraform.database import Database, DatabaseProps
from constructs_lib.terraform.props import ConstructPropsError, ExistingNetwork, SecurityGroupPeer
from tfjson import by_attr, one, resources

NET = ExistingNetwork(vpc_id="vpc-0abc", database_subnet_group_name="acme-db")
NODES = SecurityGroupPeer("nodes", "sg-0nodes", "the EKS nodes")


def test_defaults_are_a_sound_database() -> None:
    s = stack()
    Database(s, "orders", network=NET)
    out = synth(s)
    db = one(out, "aws_db_instance")
    assert db["identifier"] == "orders" and db["engine"] == "postgres" and db["engine_version"] == "16"
    assert db["storage_encrypted"] is True and db["publicly_accessible"] is False and db["iam_database_authentication_enabled"] is True
    assert db["deletion_protection"] is True and db["skip_final_snapshot"] is False and db["final_snapshot_identifier"].startswith("orders-final-${")
    assert db["manage_master_user_password"] is True and "password" not in db
    assert db["backup_retention_period"] == 7 and db["backup_window"] == "02:00-03:00" and db["maintenance_window"] == "sun:03:30-sun:04:30"
    assert db["allocated_storage"] == 20 and db["max_allocated_storage"] == 40
    assert db["performance_insights_enabled"] is True and db["performance_insights_retention_period"] == 7
    assert db["db_subnet_group_name"] == "acme-db" and "monitoring_role_arn" not in db and db["monitoring_interval"] == 0
    params = one(out, "aws_db_parameter_group")
    assert {"name": "rds.force_ssl", "value": "1"} in params["parameter"] and params["family"] == "postgres16"
    # the account comes from the stack's provider: the key policies name it
    keys = resources(out, "aws_kms_key")
    assert len(keys) == 2 and all(f"arn:aws:iam::{ACCOUNT}:root" in k["policy"] for k in keys.values())
    assert one(out, "aws_security_group")["vpc_id"] == "vpc-0abc"
    assert "aws_vpc_security_group_ingress_rule" not in out.get("resource", {})  # no client, no access


def test_each_client_gets_one_rule_from_its_security_group() -> None:
    s = stack()
    db = Database(s, "db", network=NET, clients=[NODES, SecurityGroupPeer("bastion", "sg-0bastion", "the bastion")], port=6432)
    db.allow_from(SecurityGroupPeer("jobs", "sg-0jobs"))
    out = synth(s)
    rules = resources(out, "aws_vpc_security_group_ingress_rule").values()
    assert sorted(r["referenced_security_group_id"] for r in rules) == ["sg-0bastion", "sg-0jobs", "sg-0nodes"]
    assert all(r["from_port"] == r["to_port"] == 6432 and r["ip_protocol"] == "tcp" and "cidr_ipv4" not in r for r in rules)
    assert by_attr(out, "aws_vpc_security_group_ingress_rule", "referenced_security_group_id", "sg-0bastion")["description"] == "PostgreSQL from the bastion"


def test_plan_values_reach_the_instance() -> None:
    s = stack()
    Database(
        s,
        "db",
        DatabaseProps(
            network=NET, identifier="acme-dev-pg", instance_class="db.t4g.micro", engine_version="16.9", auto_minor_version_upgrade=False,
            deletion_protection=False, skip_final_snapshot=True, monitoring_interval_seconds=60, backup_window="22:00-23:00",
        ),
    )
    out = synth(s)
    db = one(out, "aws_db_instance")
    assert db["identifier"] == "acme-dev-pg" and db["engine_version"] == "16.9" and db["auto_minor_version_upgrade"] is False
    assert db["performance_insights_enabled"] is False and "performance_insights_retention_period" not in db  # not offered on micro
    assert db["deletion_protection"] is False and "final_snapshot_identifier" not in db and db["backup_window"] == "22:00-23:00"
    assert one(out, "aws_iam_role")["name"] == "acme-dev-pg-monitoring"


REFUSED = [
    ({"identifier": "Orders_DB"}, "identifier"),
    ({"engine_version": "9"}, "engine_version"),
    ({"engine_version": "16.9"}, "engine_version"),  # a pinned minor with automatic minor upgrades
    ({"instance_class": "m5.large"}, "instance_class"),
    ({"allocated_storage_gb": 10}, "allocated_storage_gb"),
    ({"allocated_storage_gb": 100, "max_allocated_storage_gb": 100}, "max_allocated_storage_gb"),
    ({"backup_retention_days": 36}, "backup_retention_days"),
    ({"backup_window": "2:00-3:00"}, "backup_window"),
    ({"backup_window": "02:00-02:15"}, "backup_window"),
    ({"maintenance_window": "sunday:03:30-sunday:04:30"}, "maintenance_window"),
    ({"maintenance_window": "sun:02:30-sun:03:30"}, "maintenance_window"),  # overlaps the backup window
    ({"instance_class": "db.t4g.small", "performance_insights": True}, "performance_insights"),
    ({"performance_insights_retention_days": 30}, "performance_insights_retention_days"),
    ({"monitoring_interval_seconds": 20}, "monitoring_interval_seconds"),
    ({"master_username": "postgres"}, "master_username"),
    ({"database_name": "1st"}, "database_name"),
    ({"port": 80}, "port"),
    ({"log_exports": ()}, "log_exports"),
    ({"log_exports": ("postgresql", "slowquery")}, "log_exports"),
    ({"log_retention_days": 10}, "log_retention_days"),
    ({"clients": [NODES, NODES]}, "clients"),
    ({"clients": ["sg-0nodes"]}, "clients"),
    ({"network": "vpc-0abc"}, "network"),
    ({"network": ExistingNetwork(vpc_id="vpc-0abc")}, "network"),  # no DB subnet group
    ({"account_id": "1234"}, "account_id"),
    ({"region": "Ireland"}, "region"),
]


@pytest.mark.parametrize(("props", "prop"), REFUSED, ids=[f"{p}-{i}" for i, (_, p) in enumerate(REFUSED)])
def test_refuses(props: dict, prop: str) -> None:
    with pytest.raises(ConstructPropsError) as e:
        Database(stack(), "db", **{"network": NET, **props})
    assert e.value.prop == prop
    assert "fix: " in str(e.value) and "Database 'test/db'" in str(e.value)


def test_refuses_without_account_or_region() -> None:
    with pytest.raises(ConstructPropsError, match="account_id=None.*no account given") as e:
        Database(stack(provider=False), "db", network=NET)
    with pytest.raises(ConstructPropsError, match="region=None") as e:
        Database(stack(provider=False), "db", network=NET, account_id=ACCOUNT)
    assert e.value.fix.startswith("pass region=")


def test_refuses_a_construct_id_that_is_no_identifier() -> None:
    with pytest.raises(ConstructPropsError, match="identifier=None: the construct id is the default identifier"):
        Database(stack(), "Orders_DB", network=NET)


def test_refuses_props_and_keywords_together_and_unknown_props() -> None:
    with pytest.raises(ConstructPropsError, match="not both"):
        Database(stack(), "db", DatabaseProps(network=NET), port=5433)
    with pytest.raises(ConstructPropsError, match="has no such prop"):
        Database(stack(), "db", network=NET, publicly_accessible=True)
    with pytest.raises(ConstructPropsError, match="network"):
        Database(stack(), "db")


def test_refuses_a_second_rule_for_the_same_client_key() -> None:
    db = Database(stack(), "db", network=NET, clients=[NODES])
    with pytest.raises(ConstructPropsError, match="unique"):
        db.allow_from(SecurityGroupPeer("nodes", "sg-0other"))


def test_explain_shows_what_the_construct_decides(example_plan) -> None:
    """Resolution leaves the windows and Performance Insights' retention to the construct:
    explain lists them with the construct's own default and reason."""
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_environment
    from constructs_lib.terraform.stacks import construct_defaults

    env = resolve_environment(load_plan(example_plan), "prod")
    shown = {d.path: d for d in construct_defaults(env) if d.path.startswith("database.")}
    assert set(shown) == {"database.backup_window", "database.maintenance_window", "database.performance_insights_retention_days"}
    window = shown["database.backup_window"]
    assert window.value == DatabaseProps.backup_window and window.source.ref == "Database construct" and "@default 02:00-03:00" in window.source.reason
    assert all(d.path.removeprefix("database.") not in shown for d in env.decisions if d.path.startswith("database."))


def test_docs_list_every_prop() -> None:
    import dataclasses
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs/constructs.md").read_text()
    table = text.split("### Database props", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    for f in dataclasses.fields(DatabaseProps):
        assert f"`{f.name}`" in table, f"docs/constructs.md: Database props lack {f.name}"


def test_infraplan_explain_prints_the_construct_defaults(example_plan, capsys) -> None:
    """The environment's table and a dedicated tenant's (its own instance) both list them."""
    from stacks.cli import main

    for argv in (["--env", "prod"], ["--env", "prod", "--tenant", "org-c"]):
        assert main(["explain", "--plan", str(example_plan), *argv]) == 0
        rows = [line for line in capsys.readouterr().out.splitlines() if "database.backup_window" in line]
        assert len(rows) == 1 and "02:00-03:00" in rows[0] and "default: Database construct" in rows[0], rows
