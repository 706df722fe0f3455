"""The add-on registry: one module per add-on, and everything else derives from it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib import addons
from constructs_lib.addons import AddOn, CHART_ADDONS, EKS_ADDONS, IrsaSpec, PolicyStatement, UnknownAddOn, chart_catalog
from constructs_lib.addons.base import ChartRef, chart_series
from constructs_lib.addons.manifests import cluster_scoped_config
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.chart_lock import LOCK_FILE, ChartLockFile, LockedChart
from constructs_lib.resolve.environment import resolve_environment
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps


def test_the_plan_accepts_exactly_the_registered_components(plan_copy: Path) -> None:
    from constructs_lib.plan.platform import PlatformPlan

    listed = PlatformPlan.model_fields["components"].annotation
    assert set(listed.__args__[0].__args__) == set(addons.PLAN_COMPONENTS) == {n for n, a in CHART_ADDONS.items() if a.listed_in_plan}
    listed_now = len(load_plan(plan_copy).platform.components)
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["components"].append("cert-manger"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = info.value.issues
    assert issue.path == f"components[{listed_now}]" and "did you mean 'cert-manager'" in issue.hint


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
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(charts={"argocd": {"version": "9.0.1"}}))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = info.value.issues
    assert issue.path == "charts.argocd.version" and "argo-cd 7.x, 8.x" in issue.message
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(charts={"argocd": {"version": "7.9.1"}}))
    lock = ChartLockFile(charts={"argocd": LockedChart(chart="argo-cd", repo_url=chart_catalog()["argocd"].repo_url, constraint="7.9.1", version="7.9.1")})
    (plan_copy / LOCK_FILE).write_text(lock.dump())  # what `infraplan charts lock` writes (tests/test_charts_lock.py), without a repository
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
    doc = json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(env))))
    roles = {r["name"]: k for k, r in doc["resource"]["aws_iam_role"].items()}
    inline = {p["name"]: p for p in doc["resource"]["aws_iam_role_policy"].values()}
    attached = {(a["role"], a["policy_arn"]) for a in doc["resource"]["aws_iam_role_policy_attachment"].values()}
    assert {r.component for r in env.cluster.irsa_roles} == {"cert-manager", "ebs-csi", "external-dns", "aws-load-balancer-controller"}  # external-secrets' controller has none (#11 isolation 2)
    for role in env.cluster.irsa_roles:
        assert role.role_name in roles
        key = roles[role.role_name]
        for arn in role.managed_policies:
            assert (f"${{aws_iam_role.{key}.name}}", arn) in attached
        if role.statements:
            written = _statements(inline[f"{role.component}-least-privilege"])
            assert written == sorted(
                (
                    {"Sid": s.sid, "Effect": "Allow", "Action": sorted(s.actions), "Resource": list(s.resources)}
                    | ({"Condition": {op: {k: list(v) if len(v) > 1 else v[0] for o, k, v in s.conditions if o == op} for op, _, _ in s.conditions}} if s.conditions else {})
                    for s in role.statements
                ),
                key=lambda s: s["Sid"],
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
    doc = json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(env))))
    policies = {p["name"]: p for p in doc["resource"]["aws_iam_role_policy"].values()}
    assert _statements(policies["podinfo-least-privilege"]) == [
        {"Sid": "ReadBucket", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::podinfo-111111111111/*"]}
    ]


def test_a_role_without_rights_never_reaches_terraform(example_plan: Path) -> None:
    env = resolve_environment(load_plan(example_plan), "dev")
    broken = replace(env.cluster, irsa_roles=tuple(replace(r, statements=(), managed_policies=()) if r.component == "cert-manager" else r for r in env.cluster.irsa_roles))
    with pytest.raises(ValueError, match="has no policy"):
        cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(replace(env, cluster=broken))))


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
    from the connection: the AWS Load Balancer Controller's NLB sends to the pods (IP targets) with
    client IP preservation on (off by default for IP targets)."""
    import yaml

    for cluster in ("dev", "prod", "prod-org-c"):
        app = yaml.safe_load((example_synth / "kubernetes" / cluster / "infrastructure/ingress-nginx/application.yaml").read_text())
        controller = app["spec"]["source"]["helm"]["valuesObject"]["controller"]
        assert controller["config"]["use-forwarded-headers"] == "false"
        assert controller["service"]["externalTrafficPolicy"] == "Local"
        annotations = controller["service"]["annotations"]
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == "ip"
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"] == "preserve_client_ip.enabled=true"


def _system_taint(d: dict, group: int, labels: dict | None = None) -> None:
    ng = d["cluster"]["node_groups"][group]
    ng["taints"] = [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    ng["labels"] = labels or {}


def test_add_on_pods_run_on_the_system_node_group_and_explain_says_why(example_plan: Path) -> None:
    """#11 convergence 7: prod's system group is tainted CriticalAddonsOnly; every declared pod
    template of every add-on tolerates it and selects it, and the EBS CSI controller too."""
    plan = load_plan(example_plan)
    prod, dev = resolve_environment(plan, "prod"), resolve_environment(plan, "dev")
    system = prod.cluster.system
    assert system is not None and system.node_groups == ("system",)
    assert system.tolerations == ({"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"},)
    assert system.node_selector == {"workload": "system"}
    for addon in prod.cluster.addons:
        pods = CHART_ADDONS[addon.component].pods
        assert pods, f"{addon.component} declares no pod templates"
        for pod in pods:
            node = addon.values
            for part in pod.path.split(".") if pod.path else ():
                node = node[part]
            if pod.every_node:
                assert node["tolerations"] == [{"operator": "Exists"}] and "nodeSelector" not in node
            else:
                assert node["tolerations"] == list(system.tolerations) and node["nodeSelector"] == system.node_selector, (addon.component, pod.path)
        assert "system node group system" in addon.reason
    why = {d.path: d for d in prod.decisions if d.path.endswith("system_nodes")}
    assert why and all("CriticalAddonsOnly" in d.source.ref for d in why.values()), sorted(why)
    # without a system group nothing changes: dev's values are the add-ons' own
    assert dev.cluster.system is None
    assert "tolerations" not in json.dumps([a.values for a in dev.cluster.addons])
    assert EKS_ADDONS["aws-ebs-csi-driver"].configuration_for(dev.cluster.system) is None
    ebs = EKS_ADDONS["aws-ebs-csi-driver"].configuration_for(system)
    assert ebs == {"controller": {"tolerations": list(system.tolerations), "nodeSelector": system.node_selector}}


def test_a_system_group_without_labels_is_selected_by_its_eks_node_group_label(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "prod.yaml", lambda d: _system_taint(d, 1))
    system = resolve_environment(load_plan(plan_copy), "prod").cluster.system
    assert system is not None and system.node_selector == {"eks.amazonaws.com/nodegroup": "system"}


def test_several_system_groups_need_a_common_label(plan_copy: Path) -> None:
    apps = {"name": "apps", "instance_types": ["m6i.large"], "min_size": 3, "max_size": 3}  # the tenants' pods run somewhere (plan/goals.py)
    edit_yaml(plan_copy / "prod.yaml", lambda d: (_system_taint(d, 0, {"pool": "a"}), _system_taint(d, 1, {"pool": "b"}), d["cluster"]["node_groups"].append(apps)))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = info.value.issues
    assert issue.path == "cluster.node_groups[1].labels" and "share no label" in issue.message and "common label" in issue.hint
    edit_yaml(plan_copy / "prod.yaml", lambda d: (_system_taint(d, 0, {"pool": "a", "workload": "system"}), _system_taint(d, 1, {"pool": "b", "workload": "system"})))
    system = resolve_environment(load_plan(plan_copy), "prod").cluster.system
    assert system is not None and system.node_groups == ("general", "system") and system.node_selector == {"workload": "system"}
