"""Multi-region: a secondary region gets its own network and cluster (a stack of its own),
runs the shared tenants, reads secrets from the primary region and keeps a copy of the
primary database's backups."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_PLAN, edit_yaml, terraform
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.bootstrap import resolve_bootstrap
from constructs_lib.resolve.environment import resolve_environment
from stacks.synth import synthesize


def make_multi_region(dest: Path, secondary_cidr: str = "10.32.0.0/16", *, as_is: bool = False) -> Path:
    """The example plan with prod in two regions. Unless ``as_is``, what a multi-region plan
    cannot have yet is taken out: apps that use the database (nothing connects a secondary
    region to it) and org-c's dedicated cluster in prod (it would exist in the primary region only)."""
    shutil.copytree(EXAMPLE_PLAN, dest)
    edit_yaml(dest / "platform.yaml", lambda d: d.update(deployment_type="multi-region"))
    edit_yaml(dest / "prod.yaml", lambda d: d.update(regions=["eu-west-1", "eu-central-1"], region_vpc_cidrs={"eu-central-1": secondary_cidr}))
    if not as_is:
        for tenant in (dest / "tenants").glob("*.yaml"):
            edit_yaml(tenant, lambda d: [a.update(uses_database=False) for a in d.get("apps", [])])
        edit_yaml(dest / "tenants/org-c.yaml", lambda d: [d["environments"]["prod"].pop(k) for k in ("isolation", "vpc_cidr", "database")])
    return dest


@pytest.fixture(scope="module")
def mr_plan(tmp_path_factory) -> Path:
    return make_multi_region(tmp_path_factory.mktemp("mr") / "plan")


@pytest.fixture(scope="module")
def mr_out(mr_plan: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mr-out") / "dist"
    synthesize(mr_plan, out, envs=["prod"])
    return out


def test_secondary_region_is_resolved_with_reasons(mr_plan: Path) -> None:
    env = resolve_environment(load_plan(mr_plan), "prod")
    (r,) = env.secondary_regions
    assert r.region == "eu-central-1" and r.stack_name == "prod-eu-central-1-platform"
    assert r.network.cidr == "10.32.0.0/16" and r.network.azs == ("eu-central-1a", "eu-central-1b", "eu-central-1c")
    assert r.cluster.name == "acme-prod-eu-central-1" and r.cluster.region == "eu-central-1" and r.cluster.secrets_region == "eu-west-1"
    assert {a.tenant for a in r.cluster.tenant_access} == {"org-a", "org-b", "org-c"}  # the shared tenants
    assert r.source_database_arn == "arn:aws:rds:eu-west-1:333333333333:db:acme-prod-pg" and r.backup_replication_days == 35
    assert r.state.bucket == env.state.bucket and r.state.key == "prod-eu-central-1-platform/terraform.tfstate"
    assert [c.key for c, _ in env.clusters] == ["prod", "prod-eu-central-1"]
    paths = {d.path: d for d in env.decisions}
    assert paths["regions.eu-central-1.database"].source.ref == "multi-region-database"
    assert paths["regions.eu-central-1.cluster.name"].source.ref == "names.regional_cluster_name"
    assert r.cluster.database_admin is None  # no instance there: tenant databases are bootstrapped from the primary region


def test_explain_shows_the_secondary_regions_cluster_defaults_under_its_region(mr_plan: Path) -> None:
    """The regional stack's Cluster is explained under regions.<region>., as its resolution is."""
    from constructs_lib.terraform.stacks import construct_defaults

    env = resolve_environment(load_plan(mr_plan), "prod")
    (r,) = env.secondary_regions
    region = r.region
    shown = {d.path: d for d in construct_defaults(env)}
    assert shown[f"regions.{region}.cluster.eks_addons.coredns"].source.ref == "Cluster construct"
    assert "cluster.eks_addons.coredns" in shown  # and the primary region's own


def test_single_region_plans_have_no_secondary_regions(example_plan: Path) -> None:
    assert resolve_environment(load_plan(example_plan), "prod").secondary_regions == ()


def test_regional_stack_validates(mr_out: Path, terraform_cli_config: dict[str, str], tmp_path: Path) -> None:
    stacks = sorted(p.name for p in (mr_out / "terraform/stacks").iterdir())
    assert "prod-eu-central-1-platform" in stacks
    stack = json.loads((mr_out / "terraform/stacks/prod-eu-central-1-platform/cdk.tf.json").read_text())
    assert stack["provider"]["aws"][0]["region"] == "eu-central-1"
    backend = stack["terraform"]["backend"]["s3"]
    assert backend["region"] == "eu-west-1" and backend["key"] == "prod-eu-central-1-platform/terraform.tfstate"
    assert "aws_db_instance" not in stack["resource"]  # one writer, in the primary region
    (copy,) = stack["resource"]["aws_db_instance_automated_backups_replication"].values()
    assert copy["source_db_instance_arn"] == "arn:aws:rds:eu-west-1:333333333333:db:acme-prod-pg" and copy["retention_period"] == 35
    (cluster,) = stack["resource"]["aws_eks_cluster"].values()
    assert cluster["name"] == "acme-prod-eu-central-1"
    text = json.dumps(stack)
    assert "secretsmanager:eu-central-1" not in text and "secret:acme/prod/platform/*" in text  # secrets stay in the primary region
    work = tmp_path / "regional"
    shutil.copytree(mr_out / "terraform/stacks/prod-eu-central-1-platform", work)
    terraform(["init", "-backend=false", "-input=false"], work, terraform_cli_config)
    terraform(["validate"], work, terraform_cli_config)


def test_regional_stack_matches_the_provider_schema(mr_out: Path, aws_schema: dict) -> None:
    from test_provider_schema import schema_problems

    seen: set[str] = set()
    problems = schema_problems(mr_out, aws_schema, seen)
    assert not problems, "\n".join(problems)
    assert "resource.aws_db_instance_automated_backups_replication" in seen


def test_regional_cluster_gets_its_gitops_tree_and_bootstrap(mr_out: Path, mr_plan: Path) -> None:
    tree = mr_out / "kubernetes/prod-eu-central-1"
    assert (tree / "bootstrap/namespaces/org-a-web/namespace.yaml").exists()
    assert (tree / "bootstrap/namespaces/org-c-payments/namespace.yaml").exists()  # shared in this plan
    assert not (tree / "infrastructure/database-bootstrap").exists()  # the instance's one writer is in the primary region
    store = yaml.safe_load((tree / "infrastructure/external-secrets/clustersecretstore-tenant-org-a.yaml").read_text())
    assert store["spec"]["provider"]["aws"]["region"] == "eu-west-1"
    assert store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"] == {"name": "store-tenant-org-a", "namespace": "external-secrets"}
    sa = yaml.safe_load((tree / "infrastructure/external-secrets/serviceaccount-store-tenant-org-a.yaml").read_text())
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::333333333333:role/acme-prod-eu-central-1-org-a-secrets"
    grafana = yaml.safe_load((tree / "infrastructure/external-secrets/clustersecretstore-grafana-admin.yaml").read_text())
    assert grafana["spec"]["provider"]["aws"]["region"] == "eu-west-1"  # its secret is the primary region's, made by prod-platform
    primary = json.loads((mr_out / "terraform/stacks/prod-platform/cdk.tf.json").read_text())
    assert "acme/prod/grafana.acme-prod-eu-central-1/admin" in {s["name"] for s in primary["resource"]["aws_secretsmanager_secret"].values()}
    boot = resolve_bootstrap(resolve_environment(load_plan(mr_plan), "prod"))
    regional = next(c for c in boot.clusters if c.key == "prod-eu-central-1")
    assert regional.connection.region == "eu-central-1" and regional.connection.terraform_stack == "prod-eu-central-1-platform"
    assert regional.connection.endpoint_key == "clusterEndpoint-prod-eu-central-1"


def test_secondary_region_needs_a_cidr_that_overlaps_nothing(tmp_path: Path) -> None:
    plan = make_multi_region(tmp_path / "a", secondary_cidr="10.30.0.0/16")
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    assert any("overlaps" in i.message and "in eu-central-1" in i.message for i in info.value.issues), str(info.value)
    plan = make_multi_region(tmp_path / "b")
    edit_yaml(plan / "prod.yaml", lambda d: d.update(region_vpc_cidrs={}))
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    assert any("need a VPC CIDR in region_vpc_cidrs" in i.message for i in info.value.issues), str(info.value)


def test_multi_region_needs_two_regions_in_production(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(deployment_type="multi-region"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    assert any("at least two regions in production" in i.message and i.file.endswith("prod.yaml") for i in info.value.issues)


def test_secondary_tenant_store_can_decrypt_the_tenant_secrets(mr_out: Path) -> None:
    """Follow org-a's store in the secondary cluster's tree to its role, then to the key policy
    of the key that encrypts org-a's secret in the primary region: the role must be a reader there,
    through the primary region's Secrets Manager (the store reads the secret in that region)."""
    tree = mr_out / "kubernetes/prod-eu-central-1/infrastructure/external-secrets"
    store = yaml.safe_load((tree / "clustersecretstore-tenant-org-a.yaml").read_text())["spec"]["provider"]["aws"]
    sa = yaml.safe_load((tree / f"serviceaccount-{store['auth']['jwt']['serviceAccountRef']['name']}.yaml").read_text())
    role_arn = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    regional = json.loads((mr_out / "terraform/stacks/prod-eu-central-1-platform/cdk.tf.json").read_text())
    assert role_arn.split("/")[-1] in {r["name"] for r in regional["resource"]["aws_iam_role"].values()}
    tenant = json.loads((mr_out / "terraform/stacks/prod-tenant-org-a/cdk.tf.json").read_text())
    (secret,) = (s for s in tenant["resource"]["aws_secretsmanager_secret"].values() if s["name"] == "acme/prod/org-a/database")
    key_name = secret["kms_key_id"].removeprefix("${aws_kms_key.").removesuffix(".arn}")
    key_policy = json.loads(tenant["resource"]["aws_kms_key"][key_name]["policy"])
    readers = {
        st["Condition"]["StringEquals"]["aws:PrincipalArn"]: st
        for st in key_policy["Statement"]
        if "kms:Decrypt" in st.get("Action", []) and "aws:PrincipalArn" in st.get("Condition", {}).get("StringEquals", {})
    }
    assert role_arn in readers, f"{role_arn} is not a reader of {key_name}: {sorted(readers)}"
    assert readers[role_arn]["Condition"]["StringEquals"]["kms:ViaService"] == f"secretsmanager.{store['region']}.amazonaws.com" == "secretsmanager.eu-west-1.amazonaws.com"
    assert "arn:aws:iam::333333333333:role/acme-prod-org-a-secrets" in readers  # the primary cluster's store still reads
    assert len({st["Sid"] for st in key_policy["Statement"]}) == len(key_policy["Statement"])  # Sids unique in the policy


def test_multi_region_refuses_what_a_secondary_region_cannot_give(tmp_path: Path) -> None:
    """The example plan as it is, made multi-region: org-a's and org-c's database apps would run in
    eu-central-1 with nothing connecting them to the database, and org-c's dedicated prod cluster
    would exist in eu-west-1 only."""
    plan = make_multi_region(tmp_path / "plan", as_is=True)
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    issues = info.value.issues
    dedicated = [i for i in issues if "is dedicated in 'prod'" in i.message]
    assert len(dedicated) == 1, "\n".join(i.render() for i in issues)
    (d,) = dedicated
    assert d.file.endswith("org-c.yaml") and d.path == "environments.prod.isolation"
    assert "nothing in eu-central-1" in d.message and "backups would not be copied" in d.message and "isolation: shared" in d.hint
    apps = sorted((i.file.rsplit("/", 1)[-1], i.path) for i in issues if "uses a database, but in 'prod'" in i.message)
    assert apps == [("org-a.yaml", "apps[0].uses_database"), ("org-a.yaml", "apps[1].uses_database")], "\n".join(i.render() for i in issues)
    assert all("no VPC peering" in i.message and "single-region" in i.hint for i in issues if "uses a database, but in 'prod'" in i.message)
    # Either change alone is enough for each: shared org-c with no database apps, and no database apps in org-a.
    plan = make_multi_region(tmp_path / "ok")
    load_plan(plan)
