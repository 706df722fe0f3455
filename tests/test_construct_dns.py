"""The EnvironmentZone construct alone, aws-cdk style: one construct in an empty cdktf stack with
hand-written props (no plan), assertions on what it synthesizes, and a refusal per check."""

from __future__ import annotations

import pytest

from construct_stack import stack, synth
from constructs_lib.terraform.dns import EnvironmentZone, EnvironmentZoneProps
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.props import ConstructPropsError
from tfjson import one


def test_defaults_are_a_public_zone_that_keeps_its_records() -> None:
    s = stack(provider=False)
    zone = EnvironmentZone(s, "dns", domain="dev.acme.example.com")
    cdktf.TerraformOutput(s, "ns", value=zone.name_servers)
    out = synth(s)
    z = one(out, "aws_route53_zone")
    assert z["name"] == "dev.acme.example.com" and z["comment"] == "public zone (infraplan)"
    assert z["tags"] == {"Name": "dev.acme.example.com"}
    assert "force_destroy" not in z and "vpc" not in z  # public; destroy stops at a zone with records
    assert out["output"]["ns"]["value"].endswith(".name_servers}")


def test_props_reach_the_zone() -> None:
    s = stack(provider=False)
    EnvironmentZone(s, "dns", EnvironmentZoneProps(domain="shop.example.org", comment="the shop's zone"))
    assert one(synth(s), "aws_route53_zone")["comment"] == "the shop's zone"


@pytest.mark.parametrize(
    ("props", "prop", "problem"),
    [
        ({"domain": "example"}, "domain", "at least 2"),
        ({"domain": "Dev.Example.com"}, "domain", "label 'Dev'"),
        ({"domain": "dev.example.com."}, "domain", "is empty"),
        ({"domain": "*.example.com"}, "domain", "label '*'"),
        ({"domain": "-dev.example.com"}, "domain", "label '-dev'"),
        ({"domain": ("a" * 60 + ".") * 5 + "com"}, "domain", "at most 253"),
        ({"domain": 42}, "domain", "not a string"),
        ({"comment": ""}, "comment", "1 to 256"),
        ({"comment": "x" * 257}, "comment", "1 to 256"),
    ],
)
def test_what_route53_refuses_is_refused(props: dict, prop: str, problem: str) -> None:
    with pytest.raises(ConstructPropsError) as info:
        EnvironmentZone(stack(provider=False), "dns", **{"domain": "dev.example.com", **props})
    assert info.value.prop == prop and problem in info.value.problem and info.value.fix
    assert str(info.value).startswith("EnvironmentZone 'test/dns': ")


def test_the_domain_is_required_and_force_destroy_is_no_prop() -> None:
    with pytest.raises(ConstructPropsError, match="required prop"):
        EnvironmentZone(stack(provider=False), "dns", comment="no domain")
    with pytest.raises(ConstructPropsError, match="EnvironmentZoneProps has no such prop"):
        EnvironmentZone(stack(provider=False), "dns", domain="dev.example.com", force_destroy=True)
