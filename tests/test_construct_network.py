"""The Network construct alone, aws-cdk style: one construct in an empty cdktf stack with
hand-written props (no plan), assertions on what it synthesizes, and a refusal for every check
its constructor makes."""

from __future__ import annotations

import json

import pytest

from construct_stack import ACCOUNT, stack, synth
from constructs_lib.terraform.network import Network, NetworkProps
from constructs_lib.terraform.props import ConstructPropsError
from tfjson import by_attr, one, resources


def test_defaults_are_a_sound_network() -> None:
    s = stack()
    Network(s, "net")
    out = synth(s)
    assert one(out, "aws_vpc")["cidr_block"] == "10.0.0.0/16"
    subnets = resources(out, "aws_subnet").values()
    assert sorted((x["tags"]["infraplan:tier"], x["availability_zone"], x["cidr_block"]) for x in subnets) == [
        ("database", "eu-west-1a", "10.0.144.0/24"), ("database", "eu-west-1b", "10.0.145.0/24"),
        ("private", "eu-west-1a", "10.0.0.0/20"), ("private", "eu-west-1b", "10.0.16.0/20"),
        ("public", "eu-west-1a", "10.0.128.0/24"), ("public", "eu-west-1b", "10.0.129.0/24"),
    ]  # fmt: skip
    assert all(x["map_public_ip_on_launch"] is False and not any(k.startswith("kubernetes.io/cluster/") for k in x["tags"]) for x in subnets)
    assert len(resources(out, "aws_nat_gateway")) == 2  # one per AZ
    sg = one(out, "aws_default_security_group")
    assert "ingress" not in sg and "egress" not in sg
    # the database tier's route table has no route at all; each private one goes out through its AZ's NAT
    routes = resources(out, "aws_route")
    assert sorted(routes) == sorted(k for k in routes if "database" not in k) and len(routes) == 3
    flow = one(out, "aws_flow_log")
    assert flow["traffic_type"] == "ALL" and flow["tags"]["Name"] == "net-flow-log"
    assert by_attr(out, "aws_cloudwatch_log_group", "name", "/aws/vpc/net/flow-logs")["retention_in_days"] == 90
    trust = json.loads(by_attr(out, "aws_iam_role", "name", "net-flow-logs")["assume_role_policy"])
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"},
    }
    assert one(out, "aws_vpc_endpoint")["service_name"] == "com.amazonaws.eu-west-1.s3"
    assert one(out, "aws_db_subnet_group")["name"] == "net-database"


def test_props_shape_the_network_and_clusters_tag_their_subnets() -> None:
    s = stack()
    net = Network(s, "net", NetworkProps(cidr="10.20.0.0/20", azs=("eu-west-1a", "eu-west-1b", "eu-west-1c"), name="acme-dev", nat="single", flow_logs_retention_days=30))
    net.add_cluster("acme-dev")
    out = synth(s)
    assert len(resources(out, "aws_subnet")) == 9 and by_attr(out, "aws_subnet", "cidr_block", "10.20.8.0/28")["availability_zone"] == "eu-west-1a"
    nat = resources(out, "aws_nat_gateway")
    assert len(nat) == 1
    private_routes = [r for r in resources(out, "aws_route").values() if "nat_gateway_id" in r]
    assert len(private_routes) == 3 and len({r["nat_gateway_id"] for r in private_routes}) == 1
    tagged = {x["tags"]["infraplan:tier"] for x in resources(out, "aws_subnet").values() if x["tags"].get("kubernetes.io/cluster/acme-dev") == "shared"}
    assert tagged == {"public", "private"}  # the database tier is no load balancer's
    assert by_attr(out, "aws_cloudwatch_log_group", "name", "/aws/vpc/acme-dev/flow-logs")["retention_in_days"] == 30


def test_no_nat_leaves_the_private_tier_without_a_default_route() -> None:
    s = stack()
    Network(s, "net", nat="none")
    out = synth(s)
    assert "aws_nat_gateway" not in out["resource"] and all("nat_gateway_id" not in r for r in resources(out, "aws_route").values())


REFUSED = [
    ({"cidr": "8.8.0.0/16"}, "cidr"),
    ({"cidr": "10.0.0.0/24"}, "cidr"),
    ({"cidr": "10.0.0.1/16"}, "cidr"),
    ({"azs": ("eu-west-1a",)}, "azs"),
    ({"azs": ("eu-west-1a", "eu-west-1a")}, "azs"),
    ({"azs": ("eu-west-1a", "us-east-1b")}, "azs"),
    ({"azs": "eu-west-1a"}, "azs"),
    ({"name": "Acme_Dev"}, "name"),
    ({"nat": "per-az"}, "nat"),
    ({"flow_logs_retention_days": 10}, "flow_logs_retention_days"),
    ({"account_id": "acme"}, "account_id"),
    ({"region": "eu-west"}, "region"),
]


@pytest.mark.parametrize(("props", "prop"), REFUSED, ids=[f"{p}-{i}" for i, (_, p) in enumerate(REFUSED)])
def test_refuses(props: dict, prop: str) -> None:
    with pytest.raises(ConstructPropsError) as e:
        Network(stack(), "net", **props)
    assert e.value.prop == prop
    assert "fix: " in str(e.value) and "Network 'test/net'" in str(e.value)


def test_refuses_without_account_a_bad_default_name_and_unknown_props() -> None:
    with pytest.raises(ConstructPropsError, match="account_id=None"):
        Network(stack(provider=False), "net")
    with pytest.raises(ConstructPropsError, match="name=None: the construct id 'Net_1'"):
        Network(stack(), "Net_1")
    with pytest.raises(ConstructPropsError, match="has no such prop"):
        Network(stack(), "net", map_public_ip_on_launch=True)
    with pytest.raises(ConstructPropsError, match="not both"):
        Network(stack(), "net", NetworkProps(), nat="single")


def test_docs_list_every_prop() -> None:
    import dataclasses
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs/constructs.md").read_text()
    table = text.split("### Network props", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    for f in dataclasses.fields(NetworkProps):
        assert f"`{f.name}`" in table, f"docs/constructs.md: Network props lack {f.name}"
