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


def test_add_addon_defaults_to_the_eks_default_version_after_the_node_groups() -> None:
    s = stack()
    net = Network(s, "net")
    cluster = Cluster(s, "eks", network=net, admin_principal_arns=(ADMIN,), version="1.34")
    returned = cluster.add_addon("metrics-server")
    out = synth(s)
    addon = by_attr(out, "aws_eks_addon", "addon_name", "metrics-server")
    assert cluster.addons["metrics-server"] is returned
    # no version given: the one EKS marks default for the cluster's Kubernetes version, read at plan time
    [(key, source)] = [(k, d) for k, d in out["data"]["aws_eks_addon_version"].items() if d["addon_name"] == "metrics-server"]
    assert (source["kubernetes_version"], source["most_recent"]) == ("1.34", False)
    assert addon["addon_version"] == f"${{data.aws_eks_addon_version.{key}.version}}"
    assert addon["cluster_name"].startswith("${aws_eks_cluster.") and addon["tags"] == {"Name": "eks-metrics-server"}
    assert sorted(addon["depends_on"]) == sorted(f"aws_eks_node_group.{ng.friendly_unique_id}" for ng in cluster.node_groups)
    assert "service_account_role_arn" not in addon and "configuration_values" not in addon
    assert (addon["resolve_conflicts_on_create"], addon["resolve_conflicts_on_update"]) == ("OVERWRITE", "PRESERVE")


def test_add_addon_with_a_pinned_version_a_role_and_its_configuration() -> None:
    s = stack()
    cluster = Cluster(s, "eks", network=NET, admin_principal_arns=(ADMIN,))
    role = cluster.irsa_roles["ebs-csi"]
    cluster.add_addon("aws-efs-csi-driver", version="v2.1.4-eksbuild.1", service_account_role=role, configuration={"controller": {"replicaCount": 2}})
    cluster.add_addon("eks-pod-identity-agent", version="v1.3.4-eksbuild.1", service_account_role=f"arn:aws:iam::{ACCOUNT}:role/agent", after_node_groups=False)
    out = synth(s)
    efs = by_attr(out, "aws_eks_addon", "addon_name", "aws-efs-csi-driver")
    assert efs["addon_version"] == "v2.1.4-eksbuild.1" and efs["service_account_role_arn"] == f"${{aws_iam_role.{role.friendly_unique_id}.arn}}"
    assert json.loads(efs["configuration_values"]) == {"controller": {"replicaCount": 2}}
    agent = by_attr(out, "aws_eks_addon", "addon_name", "eks-pod-identity-agent")
    assert agent["service_account_role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/agent" and "depends_on" not in agent
    assert not [d for d in out.get("data", {}).get("aws_eks_addon_version", {}).values() if d["addon_name"] in ("aws-efs-csi-driver", "eks-pod-identity-agent")]


def test_the_managed_addons_are_added_through_add_addon() -> None:
    """The constructor's add-ons are add_addon's: listed in ``addons``, node agents not waiting for nodes."""
    from constructs_lib.terraform.cluster import managed_addon_defaults

    s = stack()
    cluster = Cluster(s, "eks", network=NET, admin_principal_arns=(ADMIN,))
    assert list(cluster.addons) == [name for name, _, _ in managed_addon_defaults("1.35")]
    out = synth(s)
    waits = {a["addon_name"]: "depends_on" in a for a in resources(out, "aws_eks_addon").values()}
    assert waits == {"vpc-cni": False, "kube-proxy": False, "coredns": True, "aws-ebs-csi-driver": True}


ADDON_REFUSED = [
    ("Metrics_Server", {}, "name"),  # not an EKS add-on name
    ("metrics server", {}, "name"),
    ("coredns", {}, "name"),  # the constructor added it already
    ("metrics-server", {"version": "latest"}, "version"),
    ("metrics-server", {"version": ">=0.7"}, "version"),
    ("metrics-server", {"version": "0.7.2"}, "version"),  # EKS versions start with v
    ("metrics-server", {"service_account_role": "metrics-role"}, "service_account_role"),
    ("metrics-server", {"service_account_role": "arn:aws-cn:iam::111122223333:role/x"}, "service_account_role"),
    ("metrics-server", {"configuration": '{"replicas": 2}'}, "configuration"),  # a dict, not its JSON
    ("metrics-server", {"configuration": {"replicas": float("nan")}}, "configuration"),
    ("metrics-server", {"configuration": {1: 2}}, "configuration"),
    ("metrics-server", {"after_node_groups": "yes"}, "after_node_groups"),
]


@pytest.mark.parametrize(("name", "kwargs", "prop"), ADDON_REFUSED, ids=[f"{p}-{i}" for i, (_, _, p) in enumerate(ADDON_REFUSED)])
def test_add_addon_refuses(name: str, kwargs: dict, prop: str) -> None:
    cluster = Cluster(stack(), "eks", network=NET, admin_principal_arns=(ADMIN,))
    with pytest.raises(ConstructPropsError) as e:
        cluster.add_addon(name, **kwargs)
    assert e.value.prop == prop and "fix: " in str(e.value) and f"Cluster 'test/eks' add-on {name!r}" in str(e.value)


def test_add_addon_refuses_an_addon_added_twice_or_with_the_id_of_another() -> None:
    cluster = Cluster(stack(), "eks", network=NET, admin_principal_arns=(ADMIN,))
    cluster.add_addon("metrics-server")
    with pytest.raises(ConstructPropsError, match="already has this add-on"):
        cluster.add_addon("metrics-server", version="v0.7.2-eksbuild.1")
    with pytest.raises(ConstructPropsError, match="construct id addon_metrics_server is that of add-on 'metrics-server'"):
        cluster.add_addon("metrics_server")


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
