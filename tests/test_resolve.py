"""Resolution: concrete settings per environment and tenant, each with its source."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_environment, resolve_plan


@pytest.fixture(scope="module")
def resolved(example_plan: Path):
    return {e.name: e for e in resolve_plan(load_plan(example_plan))}


def decision(env, path: str):
    matches = [d for d in env.decisions if d.path == path]
    assert len(matches) == 1, f"{path}: {matches}"
    return matches[0]


def test_dev_and_prod_differ_where_the_tier_says(resolved) -> None:
    dev, prod = resolved["dev"], resolved["prod"]
    assert (dev.network.nat, prod.network.nat) == ("single", "one-per-az")
    assert (dev.database.multi_az, prod.database.multi_az) == (False, True)
    assert dev.database.backup_retention_days == 1 and prod.database.backup_retention_days == 35
    assert (dev.database.deletion_protection, prod.database.deletion_protection) == (False, True)
    assert (dev.database.skip_final_snapshot, prod.database.skip_final_snapshot) == (True, False)
    assert dev.network.azs == ("eu-west-1a", "eu-west-1b")
    assert prod.network.azs == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert dev.database.performance_insights is False  # db.t4g.micro has none
    assert prod.database.performance_insights is True


def test_every_value_says_where_it_came_from(resolved) -> None:
    prod = resolved["prod"]
    nat = decision(prod, "network.nat")
    assert nat.value == "one-per-az" and nat.source.kind == "rule" and nat.source.ref == "nat-by-tier"
    multi = decision(prod, "database.multi_az")
    assert multi.source.ref == "multi-az-from-uptime" and "99.9" in multi.source.reason
    backup = decision(prod, "database.backup_retention_days")
    assert backup.source.ref == "platform.yaml: constraints.compliance: SOC2" and "A1.2" in backup.source.reason  # the framework that asks for 35 days
    klass = decision(prod, "database.instance_class")
    assert klass.source.kind == "environment" and klass.source.ref == "prod.yaml: database.instance_class"
    version = decision(prod, "cluster.version")
    assert version.source.kind == "plan" and version.value == "1.35"


def test_environment_override_wins_over_the_rule(example_plan: Path, plan_copy: Path) -> None:
    # (production's single NAT gateway is refused under uptime 99.9: tests/test_goals.py)
    edit_yaml(plan_copy / "staging.yaml", lambda d: d.update(nat="one-per-az"))
    env = resolve_environment(load_plan(plan_copy), "staging")
    assert env.network.nat == "one-per-az"
    assert decision(env, "network.nat").source.ref == "staging.yaml: nat"


def test_uptime_below_three_nines_gives_single_az(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["performance"].update(uptime_percent=99.5))
    env = resolve_environment(load_plan(plan_copy), "prod")
    assert env.database.multi_az is False
    assert "99.5" in decision(env, "database.multi_az").source.reason


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_subnets_are_inside_the_vpc_and_disjoint(resolved, env_name: str) -> None:
    net = resolved[env_name].network
    vpc = ipaddress.ip_network(net.cidr)
    subnets = [ipaddress.ip_network(s.cidr) for s in (*net.public_subnets, *net.private_subnets, *net.database_subnets)]
    assert len(subnets) == 3 * len(net.azs)
    for i, a in enumerate(subnets):
        assert a.subnet_of(vpc)
        for b in subnets[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    assert [s.az for s in net.private_subnets] == list(net.azs)


def test_tenants_share_or_own_a_cluster(resolved) -> None:
    dev, prod = resolved["dev"], resolved["prod"]
    assert {t.cluster_name for t in dev.tenants} == {"acme-dev"}
    org_c = prod.tenant("org-c")
    assert org_c.isolation == "dedicated" and org_c.cluster_name == "acme-prod-org-c"
    assert org_c.network is not None and org_c.network.cidr == "10.31.0.0/16"
    assert org_c.dedicated_database is not None and org_c.dedicated_database.identifier == "acme-prod-org-c-pg"
    assert [c.name for c, _ in prod.clusters] == ["acme-prod", "acme-prod-org-c"]
    shared_access = {a.tenant for a in prod.cluster.tenant_access}
    assert shared_access == {"org-a", "org-b"}


def test_tenant_overrides_per_environment(resolved) -> None:
    assert resolved["dev"].tenant("org-a").quota.cpu == "4"
    assert resolved["prod"].tenant("org-a").quota.cpu == "16"
    assert resolved["staging"].tenant("org-a").quota.cpu == "8"
    dev_store = next(a for a in resolved["dev"].tenant("org-a").apps if a.name == "storefront")
    prod_store = next(a for a in resolved["prod"].tenant("org-a").apps if a.name == "storefront")
    assert (dev_store.tag, prod_store.tag) == ("2.4.0-rc.1", "2.3.1")
    assert dev_store.database_secret == "acme/dev/org-a/database"


def test_names_and_tags(resolved) -> None:
    dev = resolved["dev"]
    assert dev.state.bucket == "acme-tfstate-dev-111111111111"
    assert dev.state.lock_table == "acme-tfstate-dev-locks" and dev.state.use_lockfile
    assert dev.stack_name == "dev-platform" and dev.state.key == "dev-platform/terraform.tfstate"
    tags = dev.tag_map
    assert tags["owner"] == "platform-team" and tags["infraplan:environment"] == "dev" and tags["data-classification"] == "internal"
    assert dev.tenant("org-b").tag_map["infraplan:tenant"] == "org-b"


def test_irsa_roles_follow_components(resolved) -> None:
    roles = {r.component: r for r in resolved["dev"].cluster.irsa_roles}
    assert set(roles) == {"ebs-csi", "cert-manager", "external-dns", "aws-load-balancer-controller"}  # external-secrets' controller has no AWS identity: its stores have their own
    c = resolved["dev"].cluster
    assert c.platform_secrets_role.role_arn == "arn:aws:iam::111111111111:role/acme-dev-platform-secrets"
    stores = [c.platform_secrets_role, c.database_admin, c.grafana_admin, c.argocd_sso, *c.tenant_secrets_roles]
    assert [(r.namespace, r.service_account) for r in stores] == [
        ("external-secrets", f"store-{s}") for s in ("aws-secrets-manager", "database-admin", "grafana-admin", "argocd-sso", "tenant-org-a", "tenant-org-b", "tenant-org-c")
    ]
    assert c.grafana_admin.secret_name == "acme/dev/grafana.acme-dev/admin" and c.grafana_admin.target_namespace == "monitoring"
    assert c.argocd_sso.secret_name == "acme/dev/argocd.acme-dev/argocd-sso" and c.argocd_sso.target_namespace == "argocd"  # outside the platform's path


def test_resolution_is_pure_and_repeatable(example_plan: Path) -> None:
    plan = load_plan(example_plan)
    assert resolve_environment(plan, "prod") == resolve_environment(plan, "prod")


def test_tenant_databases_and_their_bootstrap(resolved) -> None:
    dev, prod = resolved["dev"], resolved["prod"]
    org_a = dev.tenant("org-a").database
    assert (org_a.mode, org_a.database_name, org_a.role_name, org_a.instance_identifier) == ("shared", "org_a", "org_a", "acme-dev-pg")
    assert dev.tenant("org-b").database is None
    admin = dev.cluster.database_admin
    assert admin.role_name == "acme-dev-database-admin" and admin.instance_arn == "arn:aws:rds:eu-west-1:111111111111:db:acme-dev-pg"
    dedicated = prod.tenant("org-c")
    assert dedicated.cluster.database_admin.instance_identifier == dedicated.database.instance_identifier == "acme-prod-org-c-pg"
    assert decision(dev, "cluster.database_admin").source.ref == "database-bootstrap"
    tenant_paths = {d.path: d for d in dev.tenant("org-a").decisions}
    assert tenant_paths["tenant.org-a.database.role"].value == "org_a"
