"""The add-on registry: one module per add-on, and everything else derives from it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cdktf import Testing as CdktfTesting

from conftest import edit_yaml
from constructs_lib import addons
from constructs_lib.addons import AddOn, CHART_ADDONS, EKS_ADDONS, IrsaSpec, PolicyStatement, UnknownAddOn, chart_catalog
from constructs_lib.addons.base import ChartRef, chart_series
from constructs_lib.addons.manifests import cluster_scoped_config
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps


def test_the_plan_accepts_exactly_the_registered_components(plan_copy: Path) -> None:
    from constructs_lib.plan.platform import PlatformPlan

    listed = PlatformPlan.model_fields["components"].annotation
    assert set(listed.__args__[0].__args__) == set(addons.PLAN_COMPONENTS) == {n for n, a in CHART_ADDONS.items() if a.listed_in_plan}
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["components"].append("cert-manger"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = info.value.issues
    assert issue.path == "components[4]" and "did you mean 'cert-manager'" in issue.hint


def test_an_unknown_add_on_is_an_error_not_a_fallthrough() -> None:
    with pytest.raises(UnknownAddOn, match="no add-on named 'podinfo'"):
        addons.addon("podinfo")


def test_every_chart_add_on_has_a_pinned_chart_and_values_for_its_series() -> None:
    catalog = chart_catalog()
    assert set(CHART_ADDONS) == set(catalog)
    for name, addon in CHART_ADDONS.items():
        assert addon.supports(catalog[name].version), name


@pytest.mark.parametrize(("version", "series"), [("8.1.3", "8"), ("v1.17.2", "1"), ("0.17.0", "0.17"), ("0.10.7", "0.10"), ("72.6.2", "72")])
def test_chart_series(version: str, series: str) -> None:
    assert chart_series(version) == series


def test_an_argocd_major_without_values_is_refused_and_a_known_one_accepted(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(argocd_version="9.0.1"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = info.value.issues
    assert issue.path == "gitops.argocd_version" and "argo-cd 7.x, 8.x" in issue.message
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(argocd_version="7.9.1"))
    env = resolve_environment(load_plan(plan_copy), "dev")
    assert env.cluster.addon("argocd").chart.version == "7.9.1"


def test_an_irsa_spec_must_declare_its_rights() -> None:
    with pytest.raises(ValueError, match="either policy statements or managed policies"):
        IrsaSpec("podinfo", "podinfo", "podinfo")
    with pytest.raises(ValueError, match="not both"):
        IrsaSpec("podinfo", "podinfo", "podinfo", statements=lambda i: (), managed_policies=("arn:aws:iam::aws:policy/X",))


def _statements(doc: dict) -> list[dict]:
    return sorted(json.loads(doc["policy"])["Statement"], key=lambda s: s["Sid"])


def test_irsa_roles_and_policies_are_the_registrys(example_plan: Path) -> None:
    """Each IRSA role the Terraform writes has exactly the rights its add-on module declares."""
    env = resolve_environment(load_plan(example_plan), "prod")
    doc = json.loads(CdktfTesting.synth(EnvironmentStack(CdktfTesting.app(), env.stack_name, EnvironmentStackProps(env))))
    roles = {r["name"]: k for k, r in doc["resource"]["aws_iam_role"].items()}
    inline = {p["name"]: p for p in doc["resource"]["aws_iam_role_policy"].values()}
    attached = {(a["role"], a["policy_arn"]) for a in doc["resource"]["aws_iam_role_policy_attachment"].values()}
    assert {r.component for r in env.cluster.irsa_roles} == {"cert-manager", "ebs-csi", "external-secrets"}
    for role in env.cluster.irsa_roles:
        assert role.role_name in roles
        key = roles[role.role_name]
        for arn in role.managed_policies:
            assert (f"${{aws_iam_role.{key}.name}}", arn) in attached
        if role.statements:
            written = _statements(inline[f"{role.component}-least-privilege"])
            assert written == sorted(
                ({"Sid": s.sid, "Effect": "Allow", "Action": sorted(s.actions), "Resource": list(s.resources)} for s in role.statements), key=lambda s: s["Sid"]
            )
        else:
            assert f"{role.component}-least-privilege" not in inline  # no inline policy borrowed from another add-on
    ebs = env.cluster.irsa("ebs-csi")
    assert ebs.managed_policies == EKS_ADDONS["aws-ebs-csi-driver"].irsa.managed_policies
    addon = next(a for a in doc["resource"]["aws_eks_addon"].values() if a["addon_name"] == "aws-ebs-csi-driver")
    assert addon["service_account_role_arn"] == f"${{aws_iam_role.{roles[ebs.role_name]}.arn}}"


def test_adding_an_add_on_touches_only_its_module_and_the_catalog(example_plan: Path, monkeypatch) -> None:
    """A new add-on, registered with its chart, reaches resolution, the GitOps tree and the
    Terraform IRSA role without a change anywhere else."""
    from constructs_lib.kubernetes.tree import render_environment

    chart = ChartRef("podinfo", "https://stefanprodan.github.io/podinfo", "podinfo", "6.9.2", "community", "podinfo", "podinfo", 5)

    def values(ctx):
        role = ctx.irsa("podinfo")
        return {"replicaCount": ctx.replicas, "serviceAccount": {"create": True, "name": "podinfo", "annotations": {"eks.amazonaws.com/role-arn": role.role_arn}}}

    def statements(inputs):
        return (PolicyStatement("ReadBucket", ("s3:GetObject",), (f"arn:aws:s3:::podinfo-{inputs.account_id}/*",)),)

    def config(g, addon):
        return {"podinfo-config.yaml": cluster_scoped_config(g, "v1", "Namespace", "podinfo-extra", {})}

    podinfo = AddOn(
        name="podinfo",
        values_by_series={"6": values},
        enabled=lambda platform: True,
        irsa=IrsaSpec("podinfo", "podinfo", "podinfo", statements=statements),
        config_objects=config,
        listed_in_plan=False,
    )
    monkeypatch.setitem(CHART_ADDONS, "podinfo", podinfo)
    monkeypatch.setitem(chart_catalog(), "podinfo", chart)

    env = resolve_environment(load_plan(example_plan), "dev")
    resolved = env.cluster.addon("podinfo")
    role = env.cluster.irsa("podinfo")
    assert resolved.values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role.role_arn == "arn:aws:iam::111111111111:role/acme-dev-irsa-podinfo"
    files = render_environment(env)
    assert "image" not in resolved.values and "dev/infrastructure/podinfo/application.yaml" in files
    assert "podinfo-extra" in files["dev/infrastructure/podinfo/podinfo-config.yaml"]
    doc = json.loads(CdktfTesting.synth(EnvironmentStack(CdktfTesting.app(), env.stack_name, EnvironmentStackProps(env))))
    policies = {p["name"]: p for p in doc["resource"]["aws_iam_role_policy"].values()}
    assert _statements(policies["podinfo-least-privilege"]) == [
        {"Sid": "ReadBucket", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::podinfo-111111111111/*"]}
    ]


def test_a_role_without_rights_never_reaches_terraform(example_plan: Path) -> None:
    env = resolve_environment(load_plan(example_plan), "dev")
    broken = replace(env.cluster, irsa_roles=tuple(replace(r, statements=(), managed_policies=()) if r.component == "cert-manager" else r for r in env.cluster.irsa_roles))
    with pytest.raises(ValueError, match="has no policy"):
        CdktfTesting.synth(EnvironmentStack(CdktfTesting.app(), env.stack_name, EnvironmentStackProps(replace(env, cluster=broken))))


def test_every_cluster_has_an_encrypted_default_storage_class_that_charts_name(example_synth: Path) -> None:
    """EKS 1.30+ has no default StorageClass: without one Prometheus' claim stays Pending and the
    infrastructure root never gets past the wave that waits for it (#11 convergence 1)."""
    import yaml

    for cluster in ("dev", "staging", "prod", "prod-org-c"):
        tree = example_synth / "kubernetes" / cluster
        sc = yaml.safe_load((tree / "bootstrap/eks-addons/aws-ebs-csi-driver/storageclass-gp3-encrypted.yaml").read_text())
        assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
        assert sc["provisioner"] == "ebs.csi.aws.com" and sc["parameters"]["encrypted"] == "true" and sc["parameters"]["type"] == "gp3"
        assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
        assert sc["reclaimPolicy"] == ("Retain" if cluster.startswith("prod") else "Delete")
        assert "eks-addons/aws-ebs-csi-driver" in yaml.safe_load((tree / "bootstrap/kustomization.yaml").read_text())["resources"]
        prometheus = yaml.safe_load((tree / "infrastructure/kube-prometheus-stack/application.yaml").read_text())
        claim = prometheus["spec"]["source"]["helm"]["valuesObject"]["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
        assert claim["storageClassName"] == sc["metadata"]["name"]


def test_ingress_does_not_trust_client_supplied_forwarded_headers(example_synth: Path) -> None:
    """Behind a layer-4 NLB nothing in front sets X-Forwarded-For: trusting it would let any client
    spoof its address and pass source-range allow-lists (#11 isolation 4). The client address comes
    from the connection, kept by externalTrafficPolicy Local."""
    import yaml

    for cluster in ("dev", "prod", "prod-org-c"):
        app = yaml.safe_load((example_synth / "kubernetes" / cluster / "infrastructure/ingress-nginx/application.yaml").read_text())
        controller = app["spec"]["source"]["helm"]["valuesObject"]["controller"]
        assert controller["config"]["use-forwarded-headers"] == "false"
        assert controller["service"]["externalTrafficPolicy"] == "Local"
        assert controller["service"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"
