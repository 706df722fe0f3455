"""The AWS constructs, asserted on synthesized properties with cdktf's Testing helpers.
Each resolved decision shows up in the Terraform, and dev differs from prod where it should."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import edit_yaml, terraform
from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps, StateStack, TenantStack, TenantStackProps
from tfjson import by_attr, one, resources


@pytest.fixture(scope="module")
def envs(example_plan: Path):
    return {e.name: e for e in resolve_plan(load_plan(example_plan))}


def synth_platform(env) -> str:
    return cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(env)))


@pytest.fixture(scope="module")
def dev(envs) -> str:
    return synth_platform(envs["dev"])


@pytest.fixture(scope="module")
def prod(envs) -> str:
    return synth_platform(envs["prod"])


def test_network_tiers_nat_and_secure_defaults(dev: str, prod: str) -> None:
    d, p = json.loads(dev), json.loads(prod)
    assert cdktf.Testing.to_have_resource_with_properties(dev, "aws_vpc", {"cidr_block": "10.10.0.0/16", "enable_dns_hostnames": True})
    assert len(resources(d, "aws_subnet")) == 6 and len(resources(p, "aws_subnet")) == 9
    assert len(resources(d, "aws_nat_gateway")) == 1 and len(resources(p, "aws_nat_gateway")) == 3
    public = by_attr(p, "aws_subnet", "cidr_block", "10.30.128.0/24")
    assert public["map_public_ip_on_launch"] is False
    assert public["tags"]["kubernetes.io/role/elb"] == "1" and public["tags"]["kubernetes.io/cluster/acme-prod"] == "shared"
    private = by_attr(p, "aws_subnet", "cidr_block", "10.30.0.0/20")
    assert private["tags"]["kubernetes.io/role/internal-elb"] == "1"
    sg = one(d, "aws_default_security_group")
    assert "ingress" not in sg and "egress" not in sg  # managed with no rules
    routes = resources(d, "aws_route")
    assert not any("database" in name for name in routes)  # the database tier never reaches the internet
    flow = one(p, "aws_flow_log")
    assert flow["traffic_type"] == "ALL" and flow["log_destination_type"] == "cloud-watch-logs"
    assert by_attr(p, "aws_cloudwatch_log_group", "name", "/aws/vpc/acme-prod/flow-logs")["retention_in_days"] == 365
    assert by_attr(d, "aws_cloudwatch_log_group", "name", "/aws/vpc/acme-dev/flow-logs")["retention_in_days"] == 30
    endpoint = one(d, "aws_vpc_endpoint")
    assert endpoint["vpc_endpoint_type"] == "Gateway" and endpoint["service_name"] == "com.amazonaws.eu-west-1.s3"
    assert cdktf.Testing.to_have_resource_with_properties(dev, "aws_db_subnet_group", {"name": "acme-dev-database"})


def test_cluster_is_private_encrypted_and_uses_access_entries(prod: str) -> None:
    p = json.loads(prod)
    cluster = one(p, "aws_eks_cluster")
    assert cluster["name"] == "acme-prod" and cluster["version"] == "1.35"
    assert cluster["vpc_config"][0]["endpoint_private_access"] is True
    assert cluster["vpc_config"][0]["endpoint_public_access"] is False
    assert "public_access_cidrs" not in cluster["vpc_config"][0]
    assert cluster["encryption_config"][0]["resources"] == ["secrets"]
    assert cluster["access_config"][0] == {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}
    assert sorted(cluster["enabled_cluster_log_types"]) == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert all(k["enable_key_rotation"] for k in resources(p, "aws_kms_key").values())
    policies = resources(p, "aws_eks_access_policy_association").values()
    scopes = {(a["policy_arn"].rsplit("/", 1)[1], a["access_scope"][0]["type"], tuple(a["access_scope"][0].get("namespaces", []))) for a in policies}
    # Platform admins get cluster admin; tenant entries carry only their Kubernetes groups, so the
    # GitOps tree's namespaced Roles decide (no AmazonEKSEditPolicy/AdminPolicy past the guardrails).
    assert scopes == {("AmazonEKSClusterAdminPolicy", "cluster", ())}
    entries = resources(p, "aws_eks_access_entry").values()
    groups = sorted(tuple(e["kubernetes_groups"]) for e in entries if "kubernetes_groups" in e)
    assert ("org-a-admins",) in groups and ("org-b-developers",) in groups
    assert not any("org-c" in g for gs in groups for g in gs)  # org-c has its own cluster in prod


def cluster_admins(d: dict) -> list[str]:
    return sorted(a["principal_arn"] for a in resources(d, "aws_eks_access_policy_association").values() if a["policy_arn"].endswith("/AmazonEKSClusterAdminPolicy"))


def test_each_environment_has_cluster_admins_of_its_own_account(envs, dev: str, prod: str) -> None:
    """#12 below-defaults 2: prod and staging no longer make dev's role cluster-admin; the dedicated cluster
    of an environment has that environment's admins too."""
    assert cluster_admins(json.loads(dev)) == ["arn:aws:iam::111111111111:role/platform-admin"]
    assert cluster_admins(json.loads(prod)) == ["arn:aws:iam::333333333333:role/platform-admin"]
    assert cluster_admins(json.loads(synth_platform(envs["staging"]))) == ["arn:aws:iam::222222222222:role/platform-admin"]
    p = envs["prod"]
    dedicated = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), "t", TenantStackProps(p, p.tenant("org-c")))))
    assert cluster_admins(dedicated) == ["arn:aws:iam::333333333333:role/platform-admin"]


def test_node_groups_follow_the_plan_on_imdsv2_launch_templates(dev: str, prod: str) -> None:
    d, p = json.loads(dev), json.loads(prod)
    general = by_attr(d, "aws_eks_node_group", "node_group_name", "general")
    assert general["capacity_type"] == "SPOT" and general["instance_types"] == ["t3.large"]
    assert general["scaling_config"] == [{"desired_size": 2, "max_size": 4, "min_size": 1}]
    system = by_attr(p, "aws_eks_node_group", "node_group_name", "system")
    assert system["labels"] == {"workload": "system"}
    assert system["taint"] == [{"effect": "NO_SCHEDULE", "key": "CriticalAddonsOnly", "value": "true"}]
    for lt in resources(p, "aws_launch_template").values():
        assert lt["metadata_options"][0]["http_tokens"] == "required"
        assert lt["metadata_options"][0]["http_put_response_hop_limit"] == 1  # pods cannot reach node credentials
        assert lt["block_device_mappings"][0]["ebs"][0]["encrypted"] == "true"


def test_irsa_and_pinned_addons(dev: str) -> None:
    d = json.loads(dev)
    oidc = one(d, "aws_iam_openid_connect_provider")
    assert oidc["client_id_list"] == ["sts.amazonaws.com"] and "identity[0].oidc[0].issuer" in oidc["url"]
    addons = {a["addon_name"]: a for a in resources(d, "aws_eks_addon").values()}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}
    # Pinned where eks_addons.yaml publishes a version; where it says null, the version EKS marks
    # default for the cluster's Kubernetes version (never absent: an add-on without a version
    # would stay at its first install when the cluster is upgraded).
    from constructs_lib.resolve.cluster import eks_addon_versions

    cluster = one(d, "aws_eks_cluster")
    published = d.get("data", {}).get("aws_eks_addon_version", {})
    for name, pin in eks_addon_versions(cluster["version"]).items():
        version = addons[name]["addon_version"]
        if pin is not None:
            assert version == pin and "eksbuild" in version
        else:
            (key,) = [k for k, v in published.items() if v["addon_name"] == name]
            assert version == f"${{data.aws_eks_addon_version.{key}.version}}"
            assert (published[key]["kubernetes_version"], published[key]["most_recent"]) == (cluster["version"], False)
    assert "aws_iam_role" in addons["aws-ebs-csi-driver"]["service_account_role_arn"]
    # external-secrets' controller has no IRSA role; each store's role trusts its own service account alone
    assert not [r for r in resources(d, "aws_iam_role").values() if r["name"] == "acme-dev-irsa-external-secrets"]
    for role_name, sa in (("acme-dev-platform-secrets", "store-aws-secrets-manager"), ("acme-dev-org-a-secrets", "store-tenant-org-a"),
                          ("acme-dev-database-admin", "store-database-admin"), ("acme-dev-grafana-admin", "store-grafana-admin"),
                          ("acme-dev-argocd-sso", "store-argocd-sso")):
        assert store_trust(d, role_name) == {"sub": [f"system:serviceaccount:external-secrets:{sa}"], "aud": ["sts.amazonaws.com"]}
    platform = by_attr(d, "aws_iam_role_policy", "name", "read-platform-secrets")
    (read,) = json.loads(platform["policy"])["Statement"]
    assert read["Resource"] == ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme/dev/platform/*"]  # not the tenants'
    assert all(not a.startswith("secretsmanager:Put") and a != "secretsmanager:*" for a in read["Action"])
    (sso,) = json.loads(by_attr(d, "aws_iam_role_policy", "name", "read-argocd-sso")["policy"])["Statement"]  # ArgoCD's SSO client secret alone
    assert sso["Resource"] == ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme/dev/argocd.acme-dev/argocd-sso-??????"]
    assert "sts:" not in json.dumps([p["policy"] for p in resources(d, "aws_iam_role_policy").values()])  # no role may assume another
    cert = next(p for p in resources(d, "aws_iam_role_policy").values() if p["name"] == "cert-manager-least-privilege")
    (zone_key,) = resources(d, "aws_route53_zone")  # dev's zone is created in its platform stack; the policy names that zone only
    assert f"hostedzone/${{aws_route53_zone.{zone_key}.zone_id}}" in cert["policy"] and "hostedzone/*" not in cert["policy"]


def test_cert_manager_may_write_acme_challenge_txt_records_only(prod: str) -> None:
    """#12 below-defaults 5: DNS-01 needs TXT records named _acme-challenge.<name in the domain>;
    any other change of the zone (A, NS, the apex) is refused by IAM."""
    p = json.loads(prod)
    cert = json.loads(by_attr(p, "aws_iam_role_policy", "name", "cert-manager-least-privilege")["policy"])
    zone = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
    change = [s for s in cert["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert len(change) == 1 and change[0]["Resource"] == [zone] and change[0]["Action"] == ["route53:ChangeResourceRecordSets"]
    assert change[0]["Condition"] == {
        "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": "TXT"},
        "ForAllValues:StringLike": {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.prod.acme.example.com", "_acme-challenge.*.prod.acme.example.com"]},
    }
    unconditioned = [a for s in cert["Statement"] if "Condition" not in s for a in s["Action"]]
    assert "route53:ChangeResourceRecordSets" not in unconditioned and "route53:ListResourceRecordSets" in unconditioned


def test_flow_log_role_trusts_the_service_for_this_account_only(dev: str, prod: str) -> None:
    """#12 below-defaults 5: vpc-flow-logs.amazonaws.com may assume the role only on behalf of a flow log of
    the environment's account and region (the confused-deputy conditions AWS documents)."""
    for synth, account in ((dev, "111111111111"), (prod, "333333333333")):
        role = by_attr(json.loads(synth), "aws_iam_role", "name", next(r["name"] for r in resources(json.loads(synth), "aws_iam_role").values() if "vpc-flow-logs" in r["assume_role_policy"]))
        (st,) = json.loads(role["assume_role_policy"])["Statement"]
        assert st["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
        assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:eu-west-1:{account}:vpc-flow-log/*"}}


def tenant_role_trust(d: dict, role_name: str) -> dict:
    (st,) = json.loads(by_attr(d, "aws_iam_role", "name", role_name)["assume_role_policy"])["Statement"]
    return st


def test_tenant_roles_trust_the_principals_the_plan_names(envs, dev: str) -> None:
    """#12 below-defaults 5: a tenant role is assumable by the ARNs of environments.<env>.access_principals
    (in that environment's account), not by whatever the account root delegates to; dedicated clusters too."""
    d = json.loads(dev)
    roles = [r["name"] for r in resources(d, "aws_iam_role").values() if r["name"].startswith("acme-dev-org-")]
    assert "acme-dev-org-b-viewers" in roles and ":root" not in json.dumps([by_attr(d, "aws_iam_role", "name", n)["assume_role_policy"] for n in roles])
    assert tenant_role_trust(d, "acme-dev-org-a-admins")["Principal"] == {"AWS": ["arn:aws:iam::111111111111:role/org-a-admins"]}
    assert tenant_role_trust(d, "acme-dev-org-b-viewers")["Principal"] == {"AWS": ["arn:aws:iam::111111111111:role/org-b-viewers"]}
    prod = envs["prod"]
    dedicated = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), "t", TenantStackProps(prod, prod.tenant("org-c")))))
    (name,) = [r["name"] for r in resources(dedicated, "aws_iam_role").values() if r["name"].endswith("-org-c-developers")]
    assert tenant_role_trust(dedicated, name)["Principal"] == {"AWS": ["arn:aws:iam::333333333333:role/org-c-developers"]}


def test_access_trust_account_keeps_the_account_root(plan_copy: Path) -> None:
    """The account-wide trust stays possible, but only where the tenant's file says so."""
    def trust_account(t: dict) -> None:
        t["access_trust"] = "account"
        for override in t["environments"].values():
            override.pop("access_principals")

    edit_yaml(plan_copy / "tenants" / "org-b.yaml", trust_account)
    dev = next(e for e in resolve_plan(load_plan(plan_copy)) if e.name == "dev")
    d = json.loads(synth_platform(dev))
    assert tenant_role_trust(d, "acme-dev-org-b-viewers")["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root"]}
    assert tenant_role_trust(d, "acme-dev-org-a-admins")["Principal"] == {"AWS": ["arn:aws:iam::111111111111:role/org-a-admins"]}


def test_logs_and_keys_are_encrypted_with_explicit_policies(prod: str) -> None:
    p = json.loads(prod)
    for group in resources(p, "aws_cloudwatch_log_group").values():
        assert "aws_kms_key" in group["kms_key_id"], group["name"]
    for key in resources(p, "aws_kms_key").values():
        statements = json.loads(key["policy"])["Statement"]
        assert statements[0]["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    logs_keys = [k for k in resources(p, "aws_kms_key").values() if "logs." in k["policy"]]
    assert len(logs_keys) == 3  # flow logs, control-plane logs and PostgreSQL logs
    cluster_kms = by_attr(p, "aws_iam_role_policy", "name", "envelope-encryption")
    assert "kms:Decrypt" in cluster_kms["policy"] and "aws_kms_key.cluster_kms_key" in cluster_kms["policy"]


def store_trust(d: dict, role_name: str) -> dict[str, list[str]]:
    """The conditions of a role's web-identity trust (its one statement, on the cluster's OIDC provider)."""
    role = by_attr(d, "aws_iam_role", "name", role_name)
    assert role["assume_role_policy"].startswith("${data.aws_iam_policy_document.")
    (statement,) = next(v for k, v in d["data"]["aws_iam_policy_document"].items() if f".{k}.json" in role["assume_role_policy"])["statement"]
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"] and statement["principals"][0]["type"] == "Federated"
    assert "aws_iam_openid_connect_provider" in statement["principals"][0]["identifiers"][0]
    assert {c["test"] for c in statement["condition"]} == {"StringEquals"}
    return {c["variable"].rsplit(":", 1)[1]: c["values"] for c in statement["condition"]}


def test_each_tenant_reads_only_its_own_secrets(dev: str) -> None:
    d = json.loads(dev)
    assert store_trust(d, "acme-dev-org-a-secrets") == {"sub": ["system:serviceaccount:external-secrets:store-tenant-org-a"], "aud": ["sts.amazonaws.com"]}
    reads = [json.loads(p["policy"])["Statement"][0] for p in resources(d, "aws_iam_role_policy").values() if p["name"] == "read-tenant-secrets"]
    assert sorted(r["Resource"][0] for r in reads) == [f"arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme/dev/{t}/*" for t in ("org-a", "org-b", "org-c")]


def test_database_settings_per_environment(dev: str, prod: str) -> None:
    d, p = one(json.loads(dev), "aws_db_instance"), one(json.loads(prod), "aws_db_instance")
    for db in (d, p):
        assert db["storage_encrypted"] is True and db["manage_master_user_password"] is True
        assert "password" not in db and db["publicly_accessible"] is False
        assert db["enabled_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]
    assert (d["multi_az"], p["multi_az"]) == (False, True)
    assert (d["backup_retention_period"], p["backup_retention_period"]) == (1, 35)
    assert (d["deletion_protection"], p["deletion_protection"]) == (False, True)
    assert d["skip_final_snapshot"] is True and "final_snapshot_identifier" not in d
    assert p["skip_final_snapshot"] is False and p["final_snapshot_identifier"].startswith("acme-prod-pg-final-${aws_kms_key.database_kms_key")
    assert (d["instance_class"], p["instance_class"]) == ("db.t4g.micro", "db.r6g.large")
    assert d["performance_insights_enabled"] is False and p["performance_insights_enabled"] is True
    assert p["max_allocated_storage"] == 500
    assert "monitoring_interval" not in d or d["monitoring_interval"] == 0
    assert p["monitoring_interval"] == 15 and "aws_iam_role.database_monitoring_role" in p["monitoring_role_arn"]
    assert cdktf.Testing.to_have_resource_with_properties(prod, "aws_db_parameter_group", {"family": "postgres16"})
    params = one(json.loads(prod), "aws_db_parameter_group")["parameter"]
    assert {"name": "rds.force_ssl", "value": "1"} in params
    rule = by_attr(json.loads(prod), "aws_vpc_security_group_ingress_rule", "description", "PostgreSQL from the EKS nodes")
    assert rule["from_port"] == 5432 and "cluster_security_group_id" in rule["referenced_security_group_id"]
    assert "cidr_ipv4" not in rule


def test_provider_guards_account_and_tags_everything(prod: str) -> None:
    provider = json.loads(prod)["provider"]["aws"][0]
    assert provider["allowed_account_ids"] == ["333333333333"]
    assert provider["default_tags"][0]["tags"]["infraplan:environment"] == "prod"
    terraform_block = json.loads(prod)["terraform"]
    assert terraform_block["required_providers"]["aws"] == {"source": "hashicorp/aws", "version": "5.100.0"}
    backend = terraform_block["backend"]["s3"]
    assert backend["bucket"] == "acme-tfstate-prod-333333333333" and backend["key"] == "prod-platform/terraform.tfstate"
    assert backend["use_lockfile"] is True and backend["dynamodb_table"] == "acme-tfstate-prod-locks" and backend["encrypt"] is True
    # the state bucket's own key, not SSE-S3: named by the alias ARN the state stack creates (a backend takes no expressions)
    assert backend["kms_key_id"] == "arn:aws:kms:eu-west-1:333333333333:alias/acme-tfstate-prod-333333333333-state"


def test_every_stack_requires_terraform_1_11(envs) -> None:
    """Ephemeral resources and write-only attributes (the tenant secrets) need Terraform 1.11:
    every stack says so, so an older CLI refuses it instead of misreading it."""
    dev = envs["dev"]
    stacks = [
        StateStack(cdktf.Testing.app(), "dev-state", EnvironmentStackProps(dev)),
        EnvironmentStack(cdktf.Testing.app(), "dev-platform", EnvironmentStackProps(dev)),
        TenantStack(cdktf.Testing.app(), "t", TenantStackProps(dev, dev.tenant("org-a"))),
    ]
    for stack in stacks:
        assert json.loads(cdktf.Testing.synth(stack))["terraform"]["required_version"] == ">= 1.11", stack.node.id


def test_state_bootstrap(envs) -> None:
    synth = cdktf.Testing.synth(StateStack(cdktf.Testing.app(), "dev-state", EnvironmentStackProps(envs["dev"])))
    s = json.loads(synth)
    assert "local" in s["terraform"]["backend"]
    assert one(s, "aws_s3_bucket")["bucket"] == "acme-tfstate-dev-111111111111"
    assert one(s, "aws_s3_bucket_versioning")["versioning_configuration"] == [{"status": "Enabled"}]
    block = one(s, "aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    sse = one(s, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert sse["sse_algorithm"] == "aws:kms"
    deny, non_kms, other_key = json.loads(one(s, "aws_s3_bucket_policy")["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # writes must name SSE-KMS and the state key, as every backend does (its kms_key_id is the alias ARN)
    (key_id, key), = resources(s, "aws_kms_key").items()
    alias = f"arn:aws:kms:eu-west-1:111111111111:{one(s, 'aws_kms_alias')['name']}"
    assert alias == envs["dev"].state.kms_key_id == envs["dev"].tenant("org-a").state.kms_key_id
    for st in (non_kms, other_key):
        assert (st["Effect"], st["Principal"], st["Action"]) == ("Deny", "*", "s3:PutObject") and st["Resource"].endswith("/*")
    assert non_kms["Condition"] == {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    assert other_key["Condition"] == {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": [f"${{aws_kms_key.{key_id}.arn}}", alias]}}
    rule = one(s, "aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}] and rule["status"] == "Enabled"
    table = one(s, "aws_dynamodb_table")
    assert table["hash_key"] == "LockID" and table["point_in_time_recovery"] == [{"enabled": True}]
    assert table["server_side_encryption"][0]["enabled"] is True


def test_tenant_stacks_shared_and_dedicated(envs) -> None:
    prod = envs["prod"]
    shared = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), "t", TenantStackProps(prod, prod.tenant("org-a")))))
    assert "aws_eks_cluster" not in shared.get("resource", {})
    assert shared["data"]["aws_vpc"]
    secret = one(shared, "aws_secretsmanager_secret")
    assert secret["name"] == "acme/prod/org-a/database" and "aws_kms_key" in secret["kms_key_id"]
    reader = json.loads(one(shared, "aws_kms_key")["policy"])["Statement"][1]
    assert reader["Condition"]["StringEquals"] == {
        "aws:PrincipalArn": "arn:aws:iam::333333333333:role/acme-prod-org-a-secrets",
        "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
    }
    dedicated = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), "t", TenantStackProps(prod, prod.tenant("org-c")))))
    assert one(dedicated, "aws_eks_cluster")["name"] == "acme-prod-org-c"
    assert one(dedicated, "aws_vpc")["cidr_block"] == "10.31.0.0/16"
    assert one(dedicated, "aws_db_instance")["identifier"] == "acme-prod-org-c-pg"
    assert one(dedicated, "aws_db_instance")["multi_az"] is True
    platform = by_attr(dedicated, "aws_iam_role_policy", "name", "read-platform-secrets")
    # The dedicated cluster's own secrets lie outside the tenant's path: the tenant's role cannot read them.
    assert "secret:acme/prod/platform.org-c/*" in platform["policy"] and "secret:acme/prod/org-c/" not in platform["policy"]
    assert by_attr(dedicated, "aws_iam_role_policy", "name", "read-tenant-secrets")["policy"].count("secret:acme/prod/org-c/*") == 1
    outputs = dedicated["output"]
    assert {"cluster_name", "cluster_endpoint", "oidc_provider_arn", "db_endpoint", "db_master_secret_arn"} <= set(outputs)


def test_database_admin_role_reads_only_the_master_secret(dev: str) -> None:
    d = json.loads(dev)
    assert store_trust(d, "acme-dev-database-admin")["sub"] == ["system:serviceaccount:external-secrets:store-database-admin"]
    read, find, decrypt = json.loads(by_attr(d, "aws_iam_role_policy", "name", "read-master-secret")["policy"])["Statement"]
    instance = next(k for k, v in resources(d, "aws_db_instance").items() if v["identifier"] == "acme-dev-pg")
    key = next(k for k, v in resources(d, "aws_kms_key").items() if "acme-dev-pg" in v["description"])
    assert read["Resource"] == [f"${{aws_db_instance.{instance}.master_user_secret[0].secret_arn}}"]  # one secret, not a pattern
    assert read["Action"] == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert find["Action"] == ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"] and find["Resource"] == "*"  # they take no resource; values still need GetSecretValue
    assert decrypt["Resource"] == [f"${{aws_kms_key.{key}.arn}}"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}


def test_tenant_database_credentials_never_reach_state(envs) -> None:
    dev, prod = envs["dev"], envs["prod"]
    shared = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), "t", TenantStackProps(dev, dev.tenant("org-a")))))
    (password_id, password), = shared["ephemeral"]["aws_secretsmanager_random_password"].items()
    assert password["password_length"] == 32 and password["exclude_punctuation"] is True
    version = one(shared, "aws_secretsmanager_secret_version")
    assert "secret_string" not in version  # only the write-only attribute
    assert version["secret_string_wo_version"] == 1
    value = version["secret_string_wo"]
    assert f"ephemeral.aws_secretsmanager_random_password.{password_id}.random_password" in value
    # the shared instance is found by its identifier; its address and port go into the secret
    assert shared["data"]["aws_db_instance"]["shared_database"]["db_instance_identifier"] == "acme-dev-pg"
    for field in ('"host" = data.aws_db_instance.shared_database.address', '"port" = data.aws_db_instance.shared_database.port', '"dbname" = "org_a"', '"username" = "org_a"', '"engine" = "postgres"'):
        assert field in value, field
    dedicated = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), "t", TenantStackProps(prod, prod.tenant("org-c")))))
    assert "data" not in dedicated or "aws_db_instance" not in dedicated["data"]
    value = resources(dedicated, "aws_secretsmanager_secret_version")["db_credentials_value_40D3F809"]["secret_string_wo"]
    instance_id = next(iter(resources(dedicated, "aws_db_instance")))
    assert f'"host" = aws_db_instance.{instance_id}.address' in value and '"dbname" = "org_c"' in value
    assert by_attr(dedicated, "aws_iam_role", "name", "acme-prod-org-c-database-admin")


def test_user_extension_adds_resources_and_still_validates(tmp_path: Path, example_plan: Path, terraform_cli_config: dict[str, str]) -> None:
    from stacks.cli import main

    out = tmp_path / "out"
    assert main(["synth", "--plan", str(example_plan), "--out", str(out), "--env", "dev", "--extension", "fixtures.user_extension:alerts_topic"]) == 0
    stack = json.loads((out / "terraform/stacks/dev-platform/cdk.tf.json").read_text())
    assert one(stack, "aws_sns_topic")["name"] == "acme-dev-alerts"
    assert "aws_sns_topic" not in json.loads((out / "terraform/stacks/dev-state/cdk.tf.json").read_text()).get("resource", {})
    work = tmp_path / "validate"
    shutil.copytree(out / "terraform/stacks/dev-platform", work)
    terraform(["init", "-backend=false", "-input=false"], work, terraform_cli_config)
    terraform(["validate"], work, terraform_cli_config)


def test_bad_extension_is_a_clear_error(tmp_path: Path, example_plan: Path, capsys) -> None:
    from stacks.cli import main

    assert main(["synth", "--plan", str(example_plan), "--out", str(tmp_path / "o"), "--extension", "fixtures.user_extension:nope"]) == 2
    assert "has no function nope" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
