"""The Cluster construct, aws-cdk style: on a Network in an empty cdktf stack with hand-written
props (no plan), assertions on what it synthesizes, the Database taking clusters as clients,
and a refusal for every check its constructor makes."""

from __future__ import annotations

import json

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.addons.base import SystemNodes
from constructs_lib.resolve.model import IrsaRole, Taint
from constructs_lib.terraform.cluster import Cluster, ClusterProps, NodeGroup
from constructs_lib.terraform.database import Database
from constructs_lib.terraform.network import Network
from constructs_lib.terraform.props import ConstructPropsError, ExistingNetwork, SecurityGroupPeer
from tfjson import by_attr, one, resources

ADMIN = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"


def test_defaults_are_a_private_encrypted_cluster() -> None:
    s = stack()
    net = Network(s, "net")
    Cluster(s, "eks", network=net, admin_principal_arns=(ADMIN,))
    out = synth(s)
    eks = one(out, "aws_eks_cluster")
    config = eks["vpc_config"][0]
    assert eks["name"] == "eks" and eks["version"] == "1.35"
    assert config["endpoint_private_access"] is True and config["endpoint_public_access"] is False and "public_access_cidrs" not in config
    assert len(config["subnet_ids"]) == 2 and all("aws_subnet.net_private_" in x for x in config["subnet_ids"])
    assert eks["encryption_config"][0]["resources"] == ["secrets"]
    assert eks["access_config"][0] == {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}
    assert sorted(eks["enabled_cluster_log_types"]) == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    # the VPC may reach the private endpoint, nothing else
    rule = one(out, "aws_vpc_security_group_ingress_rule")
    assert rule["from_port"] == 443 and "aws_vpc.net_vpc" in rule["cidr_ipv4"]
    lt = one(out, "aws_launch_template")
    assert lt["metadata_options"][0]["http_tokens"] == "required" and lt["metadata_options"][0]["http_put_response_hop_limit"] == 1
    assert lt["block_device_mappings"][0]["ebs"][0]["encrypted"] == "true"
    ng = one(out, "aws_eks_node_group")
    assert ng["instance_types"] == ["m6i.large"] and ng["scaling_config"][0] == {"min_size": 2, "max_size": 4, "desired_size": 2}
    # the EBS CSI driver gets its IRSA role (AWS managed policy) without a plan
    csi = by_attr(out, "aws_eks_addon", "addon_name", "aws-ebs-csi-driver")
    role_id = next(k for k, r in resources(out, "aws_iam_role").items() if r["name"] == "eks-irsa-ebs-csi")
    assert csi["service_account_role_arn"] == f"${{aws_iam_role.{role_id}.arn}}"
    attached = [a for a in resources(out, "aws_iam_role_policy_attachment").values() if a["role"] == f"${{aws_iam_role.{role_id}.name}}"]
    assert [a["policy_arn"] for a in attached] == ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    assert one(out, "aws_eks_access_policy_association")["access_scope"] == [{"type": "cluster"}]
    assert one(out, "aws_eks_access_entry")["principal_arn"] == ADMIN
    tagged = {x["tags"]["infraplan:tier"] for x in resources(out, "aws_subnet").values() if x["tags"].get("kubernetes.io/cluster/eks") == "shared"}
    assert tagged == {"public", "private"}


def test_a_public_endpoint_only_with_its_allow_list_and_api_sources() -> None:
    s = stack()
    net = Network(s, "net")
    Cluster(
        s, "eks", network=net, admin_principal_arns=(ADMIN,), public_access_cidrs=("81.2.69.0/24",), api_access_vpc=False,
        api_access_cidrs=("10.99.0.0/16",), api_access_security_groups=("sg-0123456789abcdef0", SecurityGroupPeer("ci", "sg-0ci")),
        node_groups=(NodeGroup(name="system", taints=(Taint("CriticalAddonsOnly", "", "NO_SCHEDULE"),)), NodeGroup(name="apps", capacity_type="SPOT")),
    )  # fmt: skip
    out = synth(s)
    config = one(out, "aws_eks_cluster")["vpc_config"][0]
    assert config["endpoint_public_access"] is True and config["public_access_cidrs"] == ["81.2.69.0/24"]
    rules = resources(out, "aws_vpc_security_group_ingress_rule").values()
    assert sorted(r.get("cidr_ipv4") or r["referenced_security_group_id"] for r in rules) == ["10.99.0.0/16", "sg-0123456789abcdef0", "sg-0ci"]
    assert by_attr(out, "aws_eks_node_group", "node_group_name", "system")["taint"] == [{"key": "CriticalAddonsOnly", "effect": "NO_SCHEDULE"}]
    assert by_attr(out, "aws_eks_node_group", "node_group_name", "apps")["capacity_type"] == "SPOT"


def test_database_with_two_client_clusters_admits_each_clusters_security_group() -> None:
    s = stack()
    net = Network(s, "net")
    clusters = [Cluster(s, name, network=net, admin_principal_arns=(ADMIN,)) for name in ("blue", "green")]
    Database(s, "db", network=net, clients=clusters)
    out = synth(s)
    rules = {k: r for k, r in resources(out, "aws_vpc_security_group_ingress_rule").items() if r.get("from_port") == 5432}
    sources = sorted(r["referenced_security_group_id"] for r in rules.values())
    assert sources == sorted(f"${{aws_eks_cluster.{c.eks.friendly_unique_id}.vpc_config[0].cluster_security_group_id}}" for c in clusters)
    assert sorted(r["tags"]["Name"] for r in rules.values()) == ["db-from-blue", "db-from-green"]
    assert one(out, "aws_db_instance")["db_subnet_group_name"] == f"${{aws_db_subnet_group.{net.db_subnet_group.friendly_unique_id}.name}}"
    both = [x for x in resources(out, "aws_subnet").values() if x["tags"]["infraplan:tier"] == "private"]
    assert all(x["tags"].get("kubernetes.io/cluster/blue") == x["tags"].get("kubernetes.io/cluster/green") == "shared" for x in both)


NET = ExistingNetwork(vpc_id="vpc-0abc", vpc_cidr="10.0.0.0/16", private_subnet_ids=("subnet-0a", "subnet-0b"))
REFUSED = [
    ({"public_access_cidrs": ("0.0.0.0/0",)}, "public_access_cidrs"),
    ({"public_access_cidrs": ("10.0.0.0/8",)}, "public_access_cidrs"),
    ({"public_access_cidrs": "203.0.113.0/24"}, "public_access_cidrs"),
    ({"api_access_cidrs": ("203.0.113.0/24",)}, "api_access_cidrs"),
    ({"api_access_security_groups": ("sg-nope",)}, "api_access_security_groups"),
    ({"api_access_security_groups": (42,)}, "api_access_security_groups"),
    ({"api_access_vpc": False}, "api_access_vpc"),  # private and unreachable
    ({"admin_principal_arns": ()}, "admin_principal_arns"),
    ({"admin_principal_arns": ("platform-admin",)}, "admin_principal_arns"),
    ({"version": "1.20"}, "version"),
    ({"name": "EKS"}, "name"),
    ({"node_groups": ()}, "node_groups"),
    ({"node_groups": (NodeGroup(), NodeGroup())}, "node_groups"),
    ({"node_groups": (NodeGroup(name="Big"),)}, "name"),
    ({"admin_principal_arns": (ADMIN, ADMIN)}, "admin_principal_arns"),
    ({"node_groups": (NodeGroup(instance_types=()),)}, "instance_types"),
    ({"node_groups": (NodeGroup(capacity_type="spot"),)}, "capacity_type"),
    ({"node_groups": (NodeGroup(min_size=3, desired_size=2),)}, "desired_size"),
    ({"node_groups": (NodeGroup(disk_size_gb=8),)}, "disk_size_gb"),
    ({"node_groups": (NodeGroup(taints=(Taint("k", "", "NoSchedule"),)),)}, "taints"),
    ({"node_groups": (NodeGroup(release_version="1.34.1-20250101"),)}, "release_version"),
    ({"log_types": ("api", "kubelet")}, "log_types"),
    ({"log_retention_days": 10}, "log_retention_days"),
    ({"system": SystemNodes(node_groups=("system",), tolerations=(), node_selector={})}, "system"),
    ({"irsa_roles": (IrsaRole("cert-manager", "eks-cert-manager", "arn", "cert-manager", "cert-manager"),)}, "irsa_roles"),
    ({"network": ExistingNetwork(vpc_id="vpc-0abc")}, "network"),
    ({"network": "vpc-0abc"}, "network"),
]


@pytest.mark.parametrize(("props", "prop"), REFUSED, ids=[f"{p}-{i}" for i, (_, p) in enumerate(REFUSED)])
def test_refuses(props: dict, prop: str) -> None:
    with pytest.raises(ConstructPropsError) as e:
        Cluster(stack(), "eks", **{"network": NET, "admin_principal_arns": (ADMIN,), **props})
    assert e.value.prop == prop
    assert "fix: " in str(e.value) and "Cluster 'test/eks'" in str(e.value)


def test_refuses_without_admins_a_bad_default_name_and_both_props_and_keywords() -> None:
    with pytest.raises(ConstructPropsError, match="admin_principal_arns"):
        Cluster(stack(), "eks", network=NET)
    with pytest.raises(ConstructPropsError, match="name=None: the construct id 'EKS_1'"):
        Cluster(stack(), "EKS_1", network=NET, admin_principal_arns=(ADMIN,))
    with pytest.raises(ConstructPropsError, match="not both"):
        Cluster(stack(), "eks", ClusterProps(network=NET, admin_principal_arns=(ADMIN,)), version="1.35")
    # the floor is no prop: a public endpoint comes only with its allow-list, IMDSv1 never
    for floor in ({"endpoint_public_access": True}, {"http_tokens": "optional"}):
        with pytest.raises(ConstructPropsError, match="has no such prop"):
            Cluster(stack(), "eks", network=NET, admin_principal_arns=(ADMIN,), **floor)


def test_docs_list_every_prop() -> None:
    import dataclasses
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs/constructs.md").read_text()
    section = text.split("### Cluster props", 1)[1]
    table = section.split("\n\n", 2)[2].split("\n\n", 1)[0]
    node_groups = section.split("`NodeGroup` props:", 1)[1].split("\n\n", 1)[0]
    for f in dataclasses.fields(ClusterProps):
        assert f"`{f.name}`" in table, f"docs/constructs.md: Cluster props lack {f.name}"
    for f in dataclasses.fields(NodeGroup):
        assert f"`{f.name}`" in node_groups, f"docs/constructs.md: NodeGroup props lack {f.name}"


def _docs_example(outdir: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs/constructs.md").read_text()
    code = text.split("## Composing the constructs in Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert 'cdktf.App(outdir="cdktf.out")' in code
    return code.replace('cdktf.App(outdir="cdktf.out")', f"cdktf.App(outdir={outdir!r})")


def test_the_docs_composition_example_runs(tmp_path) -> None:
    """docs/constructs.md's example, as written, builds the VPC, cluster and database wired together."""
    exec(compile(_docs_example(str(tmp_path)), "docs/constructs.md", "exec"), {})
    out = json.loads((tmp_path / "stacks/shop/cdk.tf.json").read_text())
    eks = one(out, "aws_eks_cluster")
    rule = by_attr(out, "aws_vpc_security_group_ingress_rule", "from_port", 5432)
    assert rule["referenced_security_group_id"].endswith(".vpc_config[0].cluster_security_group_id}") and eks["name"] == "shop-eks"
    assert one(out, "aws_db_instance")["multi_az"] is True and len(resources(out, "aws_nat_gateway")) == 1


def test_the_docs_composition_example_validates(tmp_path, terraform_cli_config: dict[str, str]) -> None:
    """... and terraform validate accepts what it synthesizes (slow: terraform init)."""
    from conftest import terraform

    exec(compile(_docs_example(str(tmp_path / "out")), "docs/constructs.md", "exec"), {})
    work = tmp_path / "out/stacks/shop"
    terraform(["init", "-backend=false", "-input=false"], work, terraform_cli_config)
    result = terraform(["validate", "-json"], work, terraform_cli_config)
    assert '"valid": true' in result.stdout, result.stdout
