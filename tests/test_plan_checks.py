"""The plan's semantic checks (issue #10): values accepted when wrong, holes in the security
checks, plans that pass validate and crash synth. Every refusal names file, line, field and hint."""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import pytest
import yaml

from conftest import edit_yaml
from constructs_lib.kubernetes.tree import render_environment
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.base import aws_regions, catalog, parse_quantity
from constructs_lib.plan.errors import PlanIssue
from constructs_lib.resolve import names
from constructs_lib.resolve.environment import resolve_plan


def errors_of(plan_dir: Path) -> list[PlanIssue]:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    return info.value.issues


def one(issues: list[PlanIssue], text: str) -> PlanIssue:
    found = [i for i in issues if text in i.message]
    assert len(found) == 1, "\n".join(i.render() for i in issues)
    return found[0]


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if needle in text)


def assert_located(issue: PlanIssue, file: str, path: str) -> None:
    """The issue names the file and field it is about, at a real line, with a hint."""
    assert Path(issue.file).name == file and issue.path == path, issue.render()
    assert issue.line and issue.line > 0 and issue.hint, issue.render()


# --- Cluster-admins per environment (#12 below-defaults 2) -----------------------------------


def test_the_platform_default_admin_of_another_account_is_refused_where_it_would_apply(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.pop("platform_admins"))  # prod falls back to platform.yaml's dev role
    issue = one(errors_of(plan_copy), "would be cluster-admin in 'prod', whose account is 333333333333")
    assert_located(issue, "platform.yaml", "platform_admins.principal_arns[0]")
    assert "prod.yaml" in issue.hint and "cross_account_principal_arns" in issue.hint


def test_an_environments_own_admin_must_be_in_its_account(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "staging.yaml", lambda d: d["platform_admins"]["principal_arns"].append("arn:aws:iam::111111111111:role/platform-admin"))
    issue = one(errors_of(plan_copy), "would be cluster-admin in 'staging'")
    assert_located(issue, "staging.yaml", "platform_admins.principal_arns[1]")


def test_a_named_cross_account_admin_is_accepted_and_synthesized(plan_copy: Path) -> None:
    breakglass = "arn:aws:iam::444444444444:role/break-glass"
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["platform_admins"].update(cross_account_principal_arns=[breakglass]))
    prod = next(e for e in resolve_plan(load_plan(plan_copy)) if e.name == "prod")
    assert prod.cluster.admin_principal_arns == ("arn:aws:iam::333333333333:role/platform-admin", breakglass)
    assert prod.tenant("org-c").cluster.admin_principal_arns == prod.cluster.admin_principal_arns  # the dedicated cluster too


def test_a_cross_account_admin_in_the_own_account_is_refused(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["platform_admins"].update(cross_account_principal_arns=["arn:aws:iam::333333333333:role/other"]))
    assert_located(one(errors_of(plan_copy), "is in 'prod''s own account"), "prod.yaml", "platform_admins.cross_account_principal_arns[0]")


def test_every_cluster_has_an_admin(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["platform_admins"].update(principal_arns=[]))
    issue = one(errors_of(plan_copy), "no cluster-admin for the clusters of 'prod' (prod, prod-org-c)")
    assert_located(issue, "prod.yaml", "platform_admins")
    assert "333333333333" in issue.hint


# --- Tenant roles: who may assume them (#12 below-defaults 5) ------------------------------


def test_a_tenant_role_nobody_is_named_for_is_refused(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d["environments"]["staging"]["access_principals"].pop("viewers"))
    issue = one(errors_of(plan_copy), "nobody may assume the viewers role of tenant 'org-b' in 'staging'")
    assert_located(issue, "org-b.yaml", "environments.staging.access_principals.viewers")  # the field to write
    assert "222222222222" in issue.hint and "access_trust: account" in issue.hint


def test_a_tenant_without_principals_for_an_environment_is_blamed_on_its_groups(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-c.yaml", lambda d: d["environments"].pop("dev"))
    issues = errors_of(plan_copy)
    for kind in ("admins", "developers"):
        assert_located(one(issues, f"nobody may assume the {kind} role of tenant 'org-c' in 'dev'"), "org-c.yaml", f"groups.{kind}")


def test_a_tenant_role_cannot_trust_another_environments_account(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["environments"]["prod"]["access_principals"]["admins"].append("arn:aws:iam::111111111111:role/org-a-admins"))
    issue = one(errors_of(plan_copy), "in account 111111111111, not in 'prod''s account 333333333333")
    assert_located(issue, "org-a.yaml", "environments.prod.access_principals.admins[1]")


@pytest.mark.parametrize(
    ("change", "expected", "path"),
    [
        (lambda d: d["environments"]["dev"]["access_principals"].update(viewers=["arn:aws:iam::111111111111:role/x"]), "no viewers groups", "environments.dev.access_principals.viewers"),
        (lambda d: d.update(access_trust="account"), "environments.dev.access_principals is ignored with access_trust: account", "environments.dev.access_principals"),
        (lambda d: d["environments"]["dev"]["access_principals"].update(admins=["arn:aws:iam::111111111111:root"]), "is not an IAM principal ARN", "environments.dev.access_principals.admins[0]"),
    ],
)
def test_tenant_principals_that_mean_nothing_are_refused(plan_copy: Path, change, expected: str, path: str) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", change)
    assert_located(one(errors_of(plan_copy), expected), "org-a.yaml", path)


# --- 1. Identity groups: each belongs to one tenant (or to the platform) -------------------


def test_a_tenant_cannot_claim_another_tenants_group(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["groups"].update(admins=["org-a-admins", "org-b-admins"]))
    issue = one(errors_of(plan_copy), "org-b-admins")
    assert_located(issue, "org-a.yaml", "groups.admins[1]")
    assert "tenant 'org-b'" in issue.message and "org-b.yaml:" in issue.message  # both files named
    assert "exactly one tenant" in issue.hint


def test_the_owner_is_the_tenant_the_group_is_named_after_whatever_the_file_order(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-c.yaml", lambda d: d["groups"].update(viewers=["ORG-A-Developers"]))
    issue = one(errors_of(plan_copy), "ORG-A-Developers")  # case does not make another group
    assert_located(issue, "org-c.yaml", "groups.viewers[0]")
    assert "org-a.yaml:" in issue.message


def test_a_tenant_cannot_claim_the_platforms_group(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d["groups"].update(developers=["platform-team"]))
    issue = one(errors_of(plan_copy), "platform-team")
    assert_located(issue, "org-b.yaml", "groups.developers[0]")
    assert "the platform" in issue.message and "platform.yaml:" in issue.message


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("system:masters", "Kubernetes system group"),
        ("system:authenticated", "Kubernetes system group"),
        ("оrg-a-admins", "U+043E CYRILLIC SMALL LETTER O"),  # a Cyrillic о
        ("org-a admins", "a space"),
    ],
)
def test_groups_that_mean_something_else_are_refused(plan_copy: Path, group: str, expected: str) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["groups"].update(viewers=[group]))
    issue = one(errors_of(plan_copy), expected)
    assert_located(issue, "org-a.yaml", "groups.viewers[0]")


def test_one_group_one_role_within_a_tenant(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["groups"].update(viewers=["org-a-admins"]))
    issue = one(errors_of(plan_copy), "org-a-admins")
    assert_located(issue, "org-a.yaml", "groups.viewers[0]")


# --- 2. The public API endpoint -------------------------------------------------------------


def test_splitting_the_internet_does_not_pass_and_is_blamed_on_platform_yaml(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["0.0.0.0/1", "128.0.0.0/1"]))
    issues = errors_of(plan_copy)
    assert {Path(i.file).name for i in issues} == {"platform.yaml"}, "\n".join(i.render() for i in issues)
    issue = one(issues, "0.0.0.0/1")
    assert_located(issue, "platform.yaml", "cluster.public_access_cidrs[0]")
    assert "/8" in issue.hint


def test_the_union_of_the_list_may_cover_at_most_one_slash_8(plan_copy: Path) -> None:
    # Each /8 is allowed on its own; together they admit twice as many addresses.
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["8.0.0.0/8", "9.0.0.0/8"]))
    issue = one(errors_of(plan_copy), "together these ranges")
    assert_located(issue, "prod.yaml", "cluster.public_access_cidrs")
    assert "at most one /8" in issue.hint and "16,777,216" in issue.hint


def test_the_union_is_judged_after_merging_adjacent_ranges(plan_copy: Path) -> None:
    halves = [f"{a}.0.0.0/9" for a in (8, 9)] + ["8.128.0.0/9"]  # 8/8 plus half of 9/8
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=halves))
    one(errors_of(plan_copy), "together these ranges")
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"].update(public_access_cidrs=["8.0.0.0/9", "8.128.0.0/9", "81.2.69.0/24"][:2]))
    load_plan(plan_copy)  # exactly one /8, in two halves: accepted


@pytest.mark.parametrize("cidr", ["10.20.0.0/24", "192.168.1.0/24", "100.64.0.0/16", "169.254.0.0/16", "127.0.0.0/8", "203.0.113.0/24"])
def test_non_internet_ranges_are_useless_on_a_public_endpoint(plan_copy: Path, cidr: str) -> None:
    edit_yaml(plan_copy / "staging.yaml", lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["81.2.69.0/24", cidr]))
    issue = one(errors_of(plan_copy), "not an internet range")
    assert_located(issue, "staging.yaml", "cluster.public_access_cidrs[1]")


def test_a_public_default_without_a_list_is_blamed_once_on_platform_yaml(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["cluster"].update(endpoint_public_access=True))
    issues = errors_of(plan_copy)
    issue = one(issues, "allow-list")
    assert_located(issue, "platform.yaml", "cluster.endpoint_public_access")
    assert "dev" in issue.message and "prod" in issue.message


def test_a_public_endpoint_with_a_real_allow_list_is_accepted(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=["81.2.69.0/24", "8.8.8.8/32"]))
    load_plan(plan_copy)


# --- 3. Derived names are unique -----------------------------------------------------------


def add_environment(plan_dir: Path, name: str, *, like: str = "prod", account: str = "999999999999", cidr: str = "10.90.0.0/16") -> Path:
    path = plan_dir / f"{name}.yaml"
    shutil.copy(plan_dir / f"{like}.yaml", path)
    edit_yaml(path, lambda d: d.update(name=name, account_id=account, vpc_cidr=cidr))
    return path


def test_an_environment_cannot_take_a_dedicated_clusters_gitops_folder(plan_copy: Path) -> None:
    add_environment(plan_copy, "prod-org-c")
    issue = one(errors_of(plan_copy), "GitOps folder 'prod-org-c'")
    names_in_message = {"environment 'prod-org-c'", "tenant 'org-c' in 'prod'"}
    assert all(n in issue.message for n in names_in_message), issue.render()
    assert "prod-org-c.yaml:" in issue.message or Path(issue.file).name == "prod-org-c.yaml"
    assert "org-c.yaml" in issue.file or "org-c.yaml:" in issue.message
    assert issue.line and issue.hint


def test_an_environment_and_a_tenant_cannot_share_a_terraform_stack(plan_copy: Path) -> None:
    # Environment 'dev-tenant-org' has stack 'dev-tenant-org-platform'; so has tenant 'org-platform' in 'dev'.
    add_environment(plan_copy, "dev-tenant-org", like="dev")
    path = plan_copy / "tenants" / "org-platform.yaml"
    shutil.copy(plan_copy / "tenants" / "org-b.yaml", path)
    edit_yaml(path, lambda d: d.update(name="org-platform", namespaces=["org-platform"], groups={}, apps=[{**d["apps"][0], "namespace": "org-platform"}]))
    issue = one(errors_of(plan_copy), "Terraform stack 'dev-tenant-org-platform'")
    assert "environment 'dev-tenant-org'" in issue.message and "tenant 'org-platform' in 'dev'" in issue.message
    assert issue.line and issue.hint


def test_a_dedicated_tenant_named_like_a_region_collides_with_the_regional_cluster(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(deployment_type="multi-region"))
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(regions=["eu-west-1", "eu-central-1"], region_vpc_cidrs={"eu-central-1": "10.32.0.0/16"}))
    path = plan_copy / "tenants" / "eu-central-1.yaml"
    shutil.copy(plan_copy / "tenants" / "org-c.yaml", path)
    edit_yaml(
        path,
        lambda d: d.update(
            name="eu-central-1",
            namespaces=["eu-central-1"],
            groups={},
            apps=[{**d["apps"][0], "namespace": "eu-central-1"}],
            database={"mode": "shared", "name": "eu_c"},
            environments={"prod": {"isolation": "dedicated", "vpc_cidr": "10.33.0.0/16", "database": {"mode": "dedicated", "name": "eu_c"}}},
        ),
    )
    issue = one(errors_of(plan_copy), "GitOps folder 'prod-eu-central-1'")
    assert "EKS cluster 'acme-prod-eu-central-1'" in issue.message
    assert_located(issue, "eu-central-1.yaml", "environments.prod.isolation")


def test_a_store_role_cannot_collide_with_a_tenants_secrets_role(plan_copy: Path) -> None:
    # Tenant 'org-c' has its dedicated cluster acme-prod-org-c in prod, whose platform store's role is
    # acme-prod-org-c-platform-secrets; a shared tenant 'org-c-platform' would get that name as its secrets role.
    path = plan_copy / "tenants" / "org-c-platform.yaml"
    shutil.copy(plan_copy / "tenants" / "org-b.yaml", path)
    edit_yaml(path, lambda d: d.update(name="org-c-platform", namespaces=["org-c-platform"], groups={}, apps=[{**d["apps"][0], "namespace": "org-c-platform"}]))
    issue = one(errors_of(plan_copy), "IAM role 'acme-prod-org-c-platform-secrets'")
    assert "tenant 'org-c-platform' in 'prod'" in issue.message or "tenant 'org-c' in 'prod'" in issue.message
    assert issue.line and issue.hint


def test_no_store_path_lies_inside_another_principals() -> None:
    """Grafana's admin secret is beside the platform's and the tenants' paths, inside none (a tenant name has no dot)."""
    for env, cluster in (("prod", "acme-prod"), ("prod", "acme-prod-org-c")):
        grafana = names.grafana_admin_secret("acme", env, cluster)
        for other in (names.platform_secrets_path("acme", env), names.platform_secrets_path("acme", env, "org-c"), names.secrets_path("acme", env, "org-c")):
            assert not f"{grafana}/".startswith(f"{other}/") and not f"{other}/".startswith(f"{grafana}/")


def test_no_secrets_path_lies_inside_another_principals() -> None:
    for env, tenant in (("prod", "org-c"), ("dev", "org-a")):
        tenant_path = names.secrets_path("acme", env, tenant)
        for reader in (names.platform_secrets_path("acme", env), names.platform_secrets_path("acme", env, tenant)):
            assert not f"{reader}/".startswith(f"{tenant_path}/") and not f"{tenant_path}/".startswith(f"{reader}/")
    assert not f"{names.platform_secrets_path('acme', 'prod', 'org-c')}/".startswith(f"{names.platform_secrets_path('acme', 'prod')}/")


def test_the_dedicated_clusters_platform_secrets_are_not_readable_by_the_tenant(example_plan: Path) -> None:
    prod = next(e for e in resolve_plan(load_plan(example_plan), ["prod"]))
    org_c = prod.tenant("org-c")
    assert org_c.cluster is not None
    assert not f"{org_c.cluster.platform_secrets_path}/".startswith(f"{org_c.secrets_path}/")
    assert org_c.cluster.platform_secrets_path == "acme/prod/platform.org-c"


def test_validate_refuses_a_secrets_path_inside_a_tenants(plan_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The layout before the fix: a dedicated cluster's platform secrets below the tenant's own path.
    monkeypatch.setattr(names, "platform_secrets_path", lambda prefix, env, tenant=None: f"{names.secrets_path(prefix, env, tenant)}/platform")
    issue = one(errors_of(plan_copy), "lie inside those of tenant 'org-c' in 'prod'")
    assert "acme/prod/org-c/platform/*" in issue.message and Path(issue.file).name == "org-c.yaml" and issue.line


def test_names_over_aws_limits_are_blamed_on_the_name_that_makes_them_long(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["state_backend"].update(bucket_prefix="b" * 45))
    issues = errors_of(plan_copy)
    issue = next(i for i in issues if "S3 bucket" in i.message)
    assert "bucket_prefix" in issue.hint and "platform.yaml" in issue.hint
    assert not any("tenants" in i.file for i in issues)  # the bucket is no tenant's doing


# --- 4. validate rejects what synth would reject -------------------------------------------


def test_a_kubernetes_version_without_pinned_add_ons_is_refused_with_the_supported_ones(plan_copy: Path) -> None:
    # 1.31 is in the support calendar (extended support until 2026-11-26, the tests' day) but has no add-ons pinned.
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["kubernetes"].update(version="1.31"))
    issue = one(errors_of(plan_copy), "1.31")
    assert_located(issue, "platform.yaml", "kubernetes.version")
    supported = sorted(catalog("eks_addons.yaml"))
    assert all(v in issue.hint for v in supported)


def test_every_kubernetes_quantity_form_validates_and_synthesizes(plan_copy: Path) -> None:
    def org_a(d: dict) -> None:
        d["quotas"].update(cpu="2k", memory="16G")
        d["environments"]["dev"]["quotas"].update(cpu="1e3", memory="8e9")
        d["apps"][0].update(cpu="0.5", memory="512M")
        d["apps"][1].update(cpu="100m", memory="1Gi")

    edit_yaml(plan_copy / "tenants" / "org-a.yaml", org_a)
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d["quotas"].update(cpu=3, memory="12884901888"))
    plan = load_plan(plan_copy)
    for env in resolve_plan(plan):
        files = render_environment(env)
        assert files
    dev = next(e for e in resolve_plan(plan, ["dev"]))
    quota = yaml.safe_load(render_environment(dev)["dev/bootstrap/namespaces/org-a-web/resourcequota.yaml"])["spec"]["hard"]
    assert (quota["requests.cpu"], quota["requests.memory"]) == ("500", "3814Mi")  # 1e3 cores and 8e9 bytes over two namespaces


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("cpu", "2 cores", "not a CPU quantity"),
        ("cpu", "-2", "not more than zero"),
        ("cpu", "0", "not more than zero"),
        ("cpu", "0.0001", "finer than 1m"),
        ("memory", "16GB", "not a memory quantity"),
        ("memory", "500m", "not a whole number of bytes"),
        ("memory", "8Ei", "too large"),
    ],
)
def test_malformed_quantities_are_refused(plan_copy: Path, field: str, value: str, expected: str) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d["quotas"].update({field: value}))
    issue = one(errors_of(plan_copy), expected)
    assert_located(issue, "org-b.yaml", f"quotas.{field}")


def test_app_resources_are_quantities_too(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d["apps"][0].update(cpu="lots", memory="500m"))
    issues = errors_of(plan_copy)
    assert_located(one(issues, "not a CPU quantity"), "org-b.yaml", "apps[0].cpu")
    memory = one(issues, "500m")
    assert_located(memory, "org-b.yaml", "apps[0].memory")
    assert "500Mi" in memory.hint


def test_apps_must_fit_the_namespace_share_of_the_quota(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d["apps"][0].update(replicas=3, cpu="2"))
    issue = one(errors_of(plan_copy), "ask for 6 of CPU")
    assert_located(issue, "org-b.yaml", "quotas.cpu")


def test_quantity_values_are_exact() -> None:
    assert parse_quantity("16G") == 16 * 10**9 and parse_quantity("16Gi") == 16 * 2**30
    assert parse_quantity("2k") == 2000 and parse_quantity("1e3") == 1000 and parse_quantity("500m") * 2 == 1
    assert parse_quantity("1E3") == 1000 and parse_quantity("1E") == 10**18 and parse_quantity(".5") * 2 == 1


# --- 5. Values that look right and are not ---------------------------------------------------


def test_fullwidth_digits_in_an_account_id(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(account_id="１１１１１１１１１１１１"))
    issue = one(errors_of(plan_copy), "U+FF11 FULLWIDTH DIGIT ONE")
    assert_located(issue, "dev.yaml", "account_id")


@pytest.mark.parametrize(
    ("region", "expected"),
    [("eu-nowhere-9", "not an AWS region"), ("eu-west-١", "U+0661 ARABIC-INDIC DIGIT ONE"), ("us-gov-west-1", "aws-us-gov partition")],
)
def test_regions_must_be_real_aws_regions(plan_copy: Path, region: str, expected: str) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(regions=[region]))
    issue = one(errors_of(plan_copy), expected)
    assert_located(issue, "dev.yaml", "regions[0]")
    assert "eu-west-1" in issue.hint


def test_the_region_list_matches_botocore() -> None:
    session = boto3.session.Session()
    ours = aws_regions()
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        assert sorted(ours[partition]) == sorted(session.get_available_regions("ec2", partition_name=partition)), partition


@pytest.mark.parametrize("cidr", ["169.254.0.0/16", "127.0.0.0/16", "0.0.0.0/16", "240.0.0.0/16", "100.64.0.0/16", "8.8.0.0/16"])
def test_vpc_cidrs_are_rfc1918(plan_copy: Path, cidr: str) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(vpc_cidr=cidr))
    issue = one(errors_of(plan_copy), "not a private range")
    assert_located(issue, "dev.yaml", "vpc_cidr")
    assert "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16" in issue.hint


@pytest.mark.parametrize("days", [-1, 31, 10000])
def test_flow_log_retention_takes_only_what_cloudwatch_logs_accepts(plan_copy: Path, days: int) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(flow_logs_retention_days=days))
    issue = one(errors_of(plan_copy), f"{days} days")
    assert_located(issue, "dev.yaml", "flow_logs_retention_days")
    assert "3653" in issue.hint


def test_flow_log_retention_accepts_a_cloudwatch_value(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d.update(flow_logs_retention_days=545))
    load_plan(plan_copy)


@pytest.mark.parametrize("maximum", [50, 100, 109])
def test_max_storage_must_be_ten_percent_above_allocated(plan_copy: Path, maximum: int) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["database"].update(allocated_storage_gb=100, max_allocated_storage_gb=maximum))
    issue = one(errors_of(plan_copy), "max_allocated_storage_gb")
    assert_located(issue, "prod.yaml", "database.max_allocated_storage_gb")
    assert "110 GiB" in issue.hint


@pytest.mark.parametrize(("file", "where"), [("platform.yaml", ("database",)), ("prod.yaml", ("database",))])
@pytest.mark.parametrize("version", ["16.3", "99", "16.99"])
def test_engine_versions_rds_does_not_offer_are_refused(plan_copy: Path, file: str, where: tuple, version: str) -> None:
    edit_yaml(plan_copy / file, lambda d: d.setdefault("database", {}).update(engine_version=version))
    issue = one(errors_of(plan_copy), f"'{version}'")
    assert_located(issue, file, "database.engine_version")


def test_an_engine_major_or_a_listed_minor_is_accepted(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["database"].update(engine_version="17"))
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["database"].update(engine_version="16.9", auto_minor_version_upgrade=False))
    load_plan(plan_copy)


def test_no_backups_in_production_is_refused(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["database"].update(backup_retention_days=0))
    assert_located(one(errors_of(plan_copy), "automated backups"), "prod.yaml", "database.backup_retention_days")


def test_aws_reserved_tag_keys_are_refused(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "dev.yaml", lambda d: d["tags"].update({"aws:owner": "me"}))
    assert_located(one(errors_of(plan_copy), "aws:owner"), "dev.yaml", "tags.aws:owner")


# --- 6. Model-level errors name the field that holds the bad value ------------------------


@pytest.mark.parametrize(
    ("file", "change", "text", "path"),
    [
        ("tenants/org-a.yaml", lambda d: d.update(namespaces=["org-a-web", "org-a-api", "org-a-web"]), "listed twice", "namespaces[2]"),
        ("tenants/org-a.yaml", lambda d: d["apps"][1].update(namespace="org-a-batch"), "not one of the tenant's", "apps[1].namespace"),
        ("tenants/org-a.yaml", lambda d: d["apps"][1].update(name="storefront"), "used twice", "apps[1].name"),
        ("tenants/org-b.yaml", lambda d: d["apps"][0].update(uses_database=True), "database.mode is 'none'", "apps[0].uses_database"),
        ("tenants/org-a.yaml", lambda d: d["environments"]["dev"]["image_tags"].update(checkout="1.0.0"), "not an app", "environments.dev.image_tags.checkout"),
        ("prod.yaml", lambda d: d["cluster"]["node_groups"][1].update(name="general"), "used twice", "cluster.node_groups[1].name"),
        ("prod.yaml", lambda d: d["cluster"]["node_groups"][1]["taints"][0].update(effect="NoSchedule"), "taint effect", "cluster.node_groups[1].taints[0].effect"),
        ("dev.yaml", lambda d: d.update(region_vpc_cidrs={"eu-west-2": "10.11.0.0/16"}), "not a secondary region", "region_vpc_cidrs.eu-west-2"),
        ("platform.yaml", lambda d: d["certificates"].update(hosted_zone_id="Z0123456789ABCDEFGHIJ"), "one Route 53 zone cannot serve every environment", "certificates.hosted_zone_id"),
        ("platform.yaml", lambda d: d.update(components=[*d["components"], "cert-manager"]), "listed twice", "components[6]"),
        ("platform.yaml", lambda d: d["components"].remove("cert-manager"), "needs cert-manager for its webhook certificate", "components[0]"),
        ("dev.yaml", lambda d: d["dns"].update(domain="Dev.acme.example.com"), "not a DNS name", "dns.domain"),
        ("dev.yaml", lambda d: d["dns"].update(domain="example"), "at least 2", "dns.domain"),
        ("prod.yaml", lambda d: d["dns"].update(hosted_zone_id="zone-1"), "not a Route 53 hosted zone id", "dns.hosted_zone_id"),
        ("tenants/org-a.yaml", lambda d: d["apps"][0].update(host="shop_1"), "not a DNS name", "apps[0].host"),
        ("platform.yaml", lambda d: d["constitution"].insert(1, {"id": "plan-validates", "description": "again"}), "used twice", "constitution[1].id"),
        (
            "platform.yaml",
            lambda d: d.update(manifest_components=[{"name": "ingress-nginx", "repo_url": "https://github.com/acme/m.git", "path": "x", "revision": "v1.0.0", "namespace": "x"}]),
            "already the name",
            "manifest_components[0].name",
        ),
    ],
)
def test_model_errors_point_at_the_field(plan_copy: Path, file: str, change, text: str, path: str) -> None:
    edit_yaml(plan_copy / file, change)
    issue = one(errors_of(plan_copy), text)
    assert_located(issue, Path(file).name, path)
    assert issue.line != 1 or path.startswith("name")


def test_the_line_is_the_line_of_the_bad_value(plan_copy: Path) -> None:
    path = plan_copy / "tenants" / "org-a.yaml"
    path.write_text(path.read_text().replace("    namespace: org-a-api\n", "    namespace: org-a-batch\n"))
    issue = one(errors_of(plan_copy), "org-a-batch")
    assert issue.line == line_of(path, "namespace: org-a-batch")


# --- 7. Homoglyphs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("оrg-b", "'о' (U+043E CYRILLIC SMALL LETTER O) looks like 'o'"),
        ("org-ｂ", "'ｂ' (U+FF42 FULLWIDTH LATIN SMALL LETTER B) looks like 'b'"),
        ("org\u200b-b", "U+200B ZERO WIDTH SPACE"),
    ],
)
def test_a_homoglyph_in_a_name_is_pointed_out(plan_copy: Path, name: str, expected: str) -> None:
    edit_yaml(plan_copy / "tenants" / "org-b.yaml", lambda d: d.update(name=name))
    issue = one(errors_of(plan_copy), expected)
    assert_located(issue, "org-b.yaml", "name")
    assert "'org-b'" in issue.hint


# --- More values a consumer would refuse ----------------------------------------------------


@pytest.mark.parametrize(
    ("file", "change", "text", "path"),
    [
        ("platform.yaml", lambda d: d.update(charts={"argocd": {"version": "latest"}}), "an upgrade nobody reviewed", "charts.argocd.version"),
        ("dev.yaml", lambda d: d["cluster"]["node_groups"][0].update(instance_types=["t3 large"]), "EC2 instance type", "cluster.node_groups[0].instance_types[0]"),
        ("tenants/org-a.yaml", lambda d: d["environments"]["dev"]["image_tags"].update(storefront="latest"), "not an exact version", "environments.dev.image_tags.storefront"),
        ("platform.yaml", lambda d: d["platform_admins"]["principal_arns"].append(d["platform_admins"]["principal_arns"][0]), "listed twice", "platform_admins.principal_arns[1]"),
        ("platform.yaml", lambda d: d["platform_admins"]["principal_arns"].append("arn:aws:iam::12345:role/x"), "not an IAM principal ARN", "platform_admins.principal_arns[1]"),
        ("tenants/org-b.yaml", lambda d: d["apps"][0].update(memory="12Gi"), "at most 8Gi", "apps[0].memory"),
        ("platform.yaml", lambda d: d["state_backend"].update(bucket_prefix="xn--acme"), "may not start with 'xn--'", "state_backend.bucket_prefix"),
        ("dev.yaml", lambda d: d["tags"].update({f"k{i}": "v" for i in range(45)}), "over the 50 AWS allows", "tags"),
    ],
)
def test_values_aws_kubernetes_or_argocd_would_refuse(plan_copy: Path, file: str, change, text: str, path: str) -> None:
    edit_yaml(plan_copy / file, change)
    issue = one(errors_of(plan_copy), text)
    assert Path(issue.file).name == Path(file).name and issue.path == path and issue.line, issue.render()


# --- DNS: each environment (account) its own domain and zone; every hostname inside it ----


@pytest.mark.parametrize(
    ("file", "change", "text", "path"),
    [
        ("staging.yaml", lambda d: d["dns"].update(domain="dev.acme.example.com"), "the same domain as environment 'dev'", "dns.domain"),
        ("staging.yaml", lambda d: d["dns"].update(domain="x.dev.acme.example.com"), "nested with that of environment 'dev'", "dns.domain"),
        ("staging.yaml", lambda d: d["dns"].update(hosted_zone_id="Z0123456789ABCDEFGHIJ"), "also environment 'prod''s", "dns.hosted_zone_id"),
        ("staging.yaml", lambda d: d.pop("dns"), "has no dns domain, but external-dns publishes", "dns"),
        ("tenants/org-b.yaml", lambda d: d["apps"][0].update(host="shop.org-a"), "in 'dev' is also app org-a/storefront's", "apps[0].host"),
        ("tenants/org-b.yaml", lambda d: d["apps"][0].update(host="shop.org-a.dev.acme.example.com"), "in 'dev' is also app org-a/storefront's", "apps[0].host"),
        ("tenants/org-b.yaml", lambda d: d["apps"][0].update(host=".".join(["a" * 60] * 4)), "(in 'dev') has 264 characters; a DNS name has at most 253", "apps[0].host"),
        ("tenants/org-b.yaml", lambda d: d["apps"][0].update(host="b" * 60), "external-dns could not publish 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.dev.acme.example.com' (in 'dev')", "apps[0].host"),
    ],
)
def test_dns_checks_point_at_the_field(plan_copy: Path, file: str, change, text: str, path: str) -> None:
    edit_yaml(plan_copy / file, change)
    issue = one(errors_of(plan_copy), text)
    assert_located(issue, Path(file).name, path)


def test_dns_is_needed_only_by_what_uses_it(plan_copy: Path) -> None:
    """Without external-dns, DNS-01, app hosts and ArgoCD's SSO URL in it, an environment needs no domain."""
    def strip(d):
        d["components"] = [c for c in d["components"] if c != "external-dns"]
        d["certificates"]["challenge"] = "http-01"
        d["gitops"].pop("sso")  # with SSO, ArgoCD's URL is published and certified in every environment's domain
    edit_yaml(plan_copy / "platform.yaml", strip)
    edit_yaml(plan_copy / "staging.yaml", lambda d: d.pop("dns"))
    issue = one(errors_of(plan_copy), "has no dns domain")  # org-a's apps still have hosts
    assert "app hosts are names in it" in issue.message
    for t in ("org-a", "org-b", "org-c"):
        edit_yaml(plan_copy / f"tenants/{t}.yaml", lambda d: [a.pop("host", None) for a in d["apps"]])
    load_plan(plan_copy)


def test_app_hosts_are_relative_to_each_environment_domain(example_plan: Path) -> None:
    envs = {e.name: e for e in resolve_plan(load_plan(example_plan), ["dev", "staging"])}
    assert envs["dev"].tenant("org-a").apps[0].host == "shop.org-a.dev.acme.example.com"
    assert envs["staging"].tenant("org-a").apps[0].host == "shop.org-a.staging.acme.example.com"
    assert envs["dev"].tenant("org-b").apps[0].host == "reports.org-b.dev.acme.example.com"
    # a full name inside the environment's domain is kept as written
    assert names.app_hostname("reports.staging.acme.example.com", "staging.acme.example.com") == "reports.staging.acme.example.com"
    assert names.app_hostname("staging.acme.example.com", "staging.acme.example.com") == "staging.acme.example.com"


def test_a_full_host_lies_in_one_environment_only(plan_copy: Path) -> None:
    """A full name inside one environment's domain is kept there; the other environments refuse it
    (relative to their domain it would be a surprising name)."""
    edit_yaml(plan_copy / "tenants/org-b.yaml", lambda d: d["apps"][0].update(host="reports.staging.acme.example.com"))
    issues = [i for i in errors_of(plan_copy) if "lies in environment 'staging''s domain" in i.message]
    assert {i.message.split("; in '")[1].split("'")[0] for i in issues} == {"dev", "prod"}
    assert all(i.path == "apps[0].host" for i in issues)


def test_a_tenant_dedicated_everywhere_is_refused_only_where_the_environment_spans_regions(plan_copy: Path) -> None:
    """isolation: dedicated at the top of the tenant file: a multi-region prod refuses it (blamed
    there, not at an override), the single-region environments keep it."""
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(deployment_type="multi-region"))
    edit_yaml(plan_copy / "prod.yaml", lambda d: d.update(regions=["eu-west-1", "eu-central-1"], region_vpc_cidrs={"eu-central-1": "10.32.0.0/16"}))
    for tenant in (plan_copy / "tenants").glob("*.yaml"):
        edit_yaml(tenant, lambda d: [a.update(uses_database=False) for a in d.get("apps", [])])

    def dedicated_everywhere(d: dict) -> None:
        d.update(isolation="dedicated", vpc_cidr="10.40.0.0/16", database={"mode": "dedicated", "name": "org_b"})
        for env in ("dev", "staging"):
            d.setdefault("environments", {}).setdefault(env, {})["vpc_cidr"] = "10.41.0.0/16" if env == "dev" else "10.42.0.0/16"

    edit_yaml(plan_copy / "tenants/org-b.yaml", dedicated_everywhere)
    edit_yaml(plan_copy / "tenants/org-c.yaml", lambda d: [d["environments"]["prod"].pop(k) for k in ("isolation", "vpc_cidr", "database")])
    issues = errors_of(plan_copy)
    issue = one(issues, "is dedicated in")
    assert "tenant 'org-b' is dedicated in 'prod'" in issue.message and "nothing in eu-central-1" in issue.message
    assert_located(issue, "org-b.yaml", "isolation")


def test_two_tenants_on_one_shared_cluster_cannot_name_an_app_alike(plan_copy: Path) -> None:
    """apps/<name>/ is one folder of the shared cluster's tree: the second app of a name made the
    GitOps tree construct raise during synth (a traceback) after validate had passed."""
    edit_yaml(plan_copy / "tenants/org-b.yaml", lambda d: d["apps"][0].update(name="storefront"))
    issue = one(errors_of(plan_copy), "app 'storefront' is also an app of tenant org-a")
    assert_located(issue, "org-b.yaml", "apps[0].name")
    assert "shared cluster of dev, prod, staging" in issue.message and "org-b-storefront" in issue.hint


def test_only_the_environments_where_both_tenants_share_the_cluster_count(plan_copy: Path) -> None:
    """org-c has its own cluster (and tree) in prod only: a name it shares with org-a clashes in dev and staging."""
    name = yaml.safe_load((plan_copy / "tenants/org-c.yaml").read_text())["apps"][0]["name"]
    edit_yaml(plan_copy / "tenants/org-a.yaml", lambda d: d["apps"].append({**d["apps"][0], "name": name, "host": None}))
    issue = one(errors_of(plan_copy), f"app '{name}' is also an app of tenant")
    assert "shared cluster of dev, staging," in issue.message, issue.render()
