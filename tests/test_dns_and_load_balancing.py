"""#11 convergence 6: each environment publishes and certifies its own hostnames in its own Route 53
zone, from its own account, and its load balancer is made by the controller that reads its annotations.

Proved on the synthesized Terraform (the zone, the IRSA roles' trust and policies) and on the
resolved add-on values (what external-dns, the AWS Load Balancer Controller and ingress-nginx get)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gitops_sim as sim
from conftest import edit_yaml
from constructs_lib.plan import load_plan
from constructs_lib.resolve import names
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps, TenantStack, TenantStackProps
from tfjson import by_attr, one, resources


def synth_platform(plan: Path, env_name: str) -> tuple[object, dict]:
    env = resolve_environment(load_plan(plan), env_name)
    return env, json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(env))))


def trust(d: dict, role_name: str) -> dict[str, list[str]]:
    role = by_attr(d, "aws_iam_role", "name", role_name)
    (statement,) = next(v for k, v in d["data"]["aws_iam_policy_document"].items() if f".{k}.json" in role["assume_role_policy"])["statement"]
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"] and "aws_iam_openid_connect_provider" in statement["principals"][0]["identifiers"][0]
    return {c["variable"].rsplit(":", 1)[1]: c["values"] for c in statement["condition"]}


def policy(d: dict, component: str) -> list[dict]:
    return json.loads(by_attr(d, "aws_iam_role_policy", "name", f"{component}-least-privilege")["policy"])["Statement"]


def zone_rights(statements: list[dict]) -> set[str]:
    """Every resource a statement that may change records applies to."""
    return {r for s in statements if "route53:ChangeResourceRecordSets" in s["Action"] for r in s["Resource"]}


def test_a_zone_terraform_creates_is_the_only_one_its_roles_may_edit(example_plan: Path) -> None:
    """dev names no zone: its platform stack creates the zone of its domain (tagged, name servers as an
    output for the delegation), and cert-manager's and external-dns' roles may change that zone only."""
    env, d = synth_platform(example_plan, "dev")
    (key,) = resources(d, "aws_route53_zone")
    zone = one(d, "aws_route53_zone")
    assert zone["name"] == "dev.acme.example.com" and zone["tags"]["Name"] == "dev.acme.example.com" and not zone.get("force_destroy")
    assert zone["comment"] == names.dns_zone_comment("acme", "dev")
    assert d["output"]["dns_name_servers"]["value"] == f"${{aws_route53_zone.{key}.name_servers}}"
    ref = f"arn:aws:route53:::hostedzone/${{aws_route53_zone.{key}.zone_id}}"
    for component, sa in (("cert-manager", "system:serviceaccount:cert-manager:cert-manager"), ("external-dns", "system:serviceaccount:external-dns:external-dns")):
        assert trust(d, f"acme-dev-irsa-{component}") == {"sub": [sa], "aud": ["sts.amazonaws.com"]}
        assert zone_rights(policy(d, component)) == {ref}, component
    assert "<zone of" not in json.dumps(d)  # the marker never reaches Terraform


def test_a_zone_the_plan_names_is_used_as_is(example_plan: Path) -> None:
    env, d = synth_platform(example_plan, "prod")
    assert not resources(d, "aws_route53_zone") and "dns_name_servers" not in d["output"]
    for component in ("cert-manager", "external-dns"):
        assert zone_rights(policy(d, component)) == {"arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"}
    external_dns = [s for s in policy(d, "external-dns") if s["Resource"] == ["*"]]
    assert [s["Action"] for s in external_dns] == [["route53:ListHostedZones"]]  # only what AWS grants on "*" alone


def test_other_stacks_of_the_environment_find_the_created_zone_by_name(plan_copy: Path) -> None:
    """A dedicated tenant cluster's stack does not create the zone again: it looks it up (the platform stack is applied first)."""
    edit_yaml(plan_copy / "prod.yaml", lambda d: d["dns"].pop("hosted_zone_id"))
    env = resolve_environment(load_plan(plan_copy), "prod")
    d = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), "t", TenantStackProps(env, env.tenant("org-c")))))
    assert not resources(d, "aws_route53_zone")
    (key,) = d["data"]["aws_route53_zone"]
    assert d["data"]["aws_route53_zone"][key] == {"name": "prod.acme.example.com", "private_zone": False}
    assert zone_rights(policy(d, "external-dns")) == {f"arn:aws:route53:::hostedzone/${{data.aws_route53_zone.{key}.zone_id}}"}
    assert trust(d, "acme-prod-org-c-irsa-external-dns")["sub"] == ["system:serviceaccount:external-dns:external-dns"]


def test_external_dns_publishes_only_its_environment_domain(example_plan: Path) -> None:
    for env_name, zone in (("dev", None), ("prod", "Z0123456789ABCDEFGHIJ")):
        env = resolve_environment(load_plan(example_plan), env_name)
        for cluster in (env.cluster, *(t.cluster for t in env.tenants if t.cluster)):
            v = cluster.addon("external-dns").values
            assert v["domainFilters"] == [f"{env_name}.acme.example.com"] and v["txtOwnerId"] == cluster.name
            assert v["policy"] == "sync" and v["registry"] == "txt" and v["sources"] == ["ingress"]
            assert v["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == cluster.irsa("external-dns").role_arn
            assert ("--zone-id-filter=" + zone in v["extraArgs"]) if zone else not [a for a in v["extraArgs"] if "zone-id" in a]


def test_load_balancer_controller_finds_its_vpc_without_imds(example_plan: Path) -> None:
    """Pods cannot reach IMDS (hop limit 1): the controller gets its region, and the VPC by the Name tag the network construct sets."""
    env, d = synth_platform(example_plan, "dev")
    assert {lt["metadata_options"][0]["http_put_response_hop_limit"] for lt in resources(d, "aws_launch_template").values()} == {1}
    v = env.cluster.addon("aws-load-balancer-controller").values
    assert v["clusterName"] == env.cluster.name and v["region"] == env.region
    vpc_names = [r["tags"]["Name"] for r in resources(d, "aws_vpc").values()]
    assert vpc_names == [v["vpcTags"]["Name"]]
    # the controller picks the subnets of an internet-facing load balancer by role tag (internal ones: internal-elb)
    for tier, role in (("public", "kubernetes.io/role/elb"), ("private", "kubernetes.io/role/internal-elb")):
        subnets = [s for s in resources(d, "aws_subnet").values() if s["tags"].get("infraplan:tier") == tier]
        assert subnets and all(s["tags"].get(role) == "1" for s in subnets), tier
    assert v["enableCertManager"] and not v["enableServiceMutatorWebhook"] and not v["createIngressClassResource"]


def test_load_balancer_controller_may_change_only_its_cluster_resources(example_plan: Path) -> None:
    env, d = synth_platform(example_plan, "prod")
    cluster = env.cluster.name
    assert trust(d, f"{cluster}-irsa-aws-load-balancer-controller") == {
        "sub": ["system:serviceaccount:aws-load-balancer-controller:aws-load-balancer-controller"],
        "aud": ["sts.amazonaws.com"],
    }
    for s in policy(d, "aws-load-balancer-controller"):
        actions = s["Action"]
        assert all(":" in a and "*" not in a for a in actions), s["Sid"]
        assert not [a for a in actions if a.split(":")[0] in ("waf-regional", "wafv2", "shield", "acm", "cognito-idp")], s["Sid"]
        if s["Resource"] == ["*"]:  # describes only, and the service-linked role of ELB
            assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in actions) or s["Condition"] == {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}, s["Sid"]
            continue
        assert all(f":{env.account_id}:" in r and env.region in r for r in s["Resource"]), s["Sid"]
        changes_tagged = [a for a in actions if a.startswith(("elasticloadbalancing:Delete", "elasticloadbalancing:Modify", "elasticloadbalancing:Register", "ec2:DeleteSecurityGroup"))]
        if changes_tagged and s["Sid"] != "NlbListeners":
            conditions = json.dumps(s.get("Condition"))
            assert f'"{cluster}"' in conditions, f"{s['Sid']}: changes resources not tagged as {cluster}'s"


def test_ingress_nginx_service_is_the_controllers_and_keeps_client_addresses(plan_copy: Path) -> None:
    """With the controller: its load balancer class, IP targets with client IP preservation (nginx trusts no
    X-Forwarded-For: the address is the connection's). Without it: the in-tree NLB gets no annotation it ignores."""
    env = resolve_environment(load_plan(plan_copy), "dev")
    nginx = env.cluster.addon("ingress-nginx").values["controller"]
    service = nginx["service"]
    assert service["loadBalancerClass"] == "service.k8s.aws/nlb"
    assert service["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
    }
    assert nginx["config"]["use-forwarded-headers"] == "false"
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["components"].remove("aws-load-balancer-controller"))
    service = resolve_environment(load_plan(plan_copy), "dev").cluster.addon("ingress-nginx").values["controller"]["service"]
    assert service == {"externalTrafficPolicy": "Local", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}}


@pytest.mark.parametrize("chart", ["external-dns", "aws-load-balancer-controller"])
def test_values_of_charts_outside_shared_charts_are_checked_against_their_keys(example_plan: Path, chart: str) -> None:
    """The two charts are not in ../shared/charts: their values are checked against the keys extracted
    from their source at the pinned version (tests/fixtures/chart-values), and a wrong key is caught."""
    env = resolve_environment(load_plan(example_plan), "prod")
    addon = next(a for a in env.cluster.addons if a.chart.chart == chart)
    install = sim.ChartInstall(chart, addon.chart.version, addon.chart.release, addon.namespace, addon.values)
    assert not sim.chart_folder(chart, addon.chart.version).is_dir() and install.known
    assert sim.unknown_values(install) == []
    wrong = sim.ChartInstall(chart, addon.chart.version, addon.chart.release, addon.namespace, {**addon.values, "serviceMonitor": {"enabled": True, "labelz": {"a": "b"}}, "domainFilter": ["x"]})
    assert sim.unknown_values(wrong) == ["serviceMonitor.labelz.a", "domainFilter"]
    header = (sim.CHART_KEYS / f"{chart}-{addon.chart.version}.txt").read_text().splitlines()[:2]
    assert addon.chart.version in header[0] and header[1].startswith("# generated by: python tests/fixtures/chart-values/generate.py")
