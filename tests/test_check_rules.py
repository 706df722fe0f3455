"""infraplan check, pure Python: a gate's rule and params and the plan's validation tools are checked
when the plan is read; the report's summary, JSON and JUnit XML and the exit code follow the gates'
results; the rules find what they are for in small synthesized-output fragments."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.gates import policy
from constructs_lib.gates.manifests import custom_resource_problems, strict
from constructs_lib.gates.report import CheckReport, GateResult, Status, as_json, as_junit, summary
from constructs_lib.gates.rules import RULES, check_rule
from constructs_lib.gates.runner import RUNNERS, CheckContext, run_gate
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.platform import Gate
from constructs_lib.resolve.environment import resolve_plan


def _issues(plan_dir: Path) -> list[str]:
    with pytest.raises(PlanError) as exc:
        load_plan(plan_dir)
    return [i.render() for i in exc.value.issues]


def _set_gates(plan_copy: Path, gates: list[dict], validation: list[str] | None = None) -> None:
    def change(d: dict) -> None:
        d["constitution"] = gates
        if validation is not None:
            d["validation"] = validation

    edit_yaml(plan_copy / "platform.yaml", change)


# --- the plan: rule, params, validation tools ---------------------------------------------------


def test_the_example_names_a_rule_for_every_gate(example_plan: Path) -> None:
    gates = load_plan(example_plan).platform.constitution
    assert gates and all(g.rule in RULES for g in gates)
    assert set(RULES) <= {g.rule for g in gates}, "the example shows every rule"


def test_an_unknown_rule_is_refused_with_the_closest_id(plan_copy: Path) -> None:
    _set_gates(plan_copy, [{"id": "private", "description": "d", "rule": "no-public-endpoint"}])
    (issue,) = _issues(plan_copy)
    assert "constitution[0].rule: unknown rule 'no-public-endpoint'" in issue and "did you mean 'no-public-endpoints'?" in issue
    assert "platform.yaml:" in issue.splitlines()[0]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"minimum": 3}, ["constitution[0].params.minimum: unknown parameter 'minimum' for rule min-azs", "did you mean 'min'?"]),
        ({"min": 0}, ["constitution[0].params.min:", "greater than or equal to 1"]),
        ({"min": "3"}, ["constitution[0].params.min:", "valid integer"]),
        ({"environments": {"dev": 9}}, ["constitution[0].params:", "environments.dev: 9 is not between 1 and 6"]),
    ],
)
def test_params_are_checked_per_rule(plan_copy: Path, params: dict, expected: list[str]) -> None:
    _set_gates(plan_copy, [{"id": "azs", "description": "d", "rule": "min-azs", "params": params}])
    (issue,) = _issues(plan_copy)
    for text in expected:
        assert text in issue


def test_a_rule_without_params_takes_none_and_params_need_a_rule(plan_copy: Path) -> None:
    _set_gates(plan_copy, [{"id": "a", "description": "d", "rule": "terraform-validate", "params": {"x": 1}}, {"id": "b", "description": "d", "params": {"min": 3}}])
    issues = _issues(plan_copy)
    assert any("constitution[0].params.x: unknown parameter 'x' for rule terraform-validate" in i for i in issues)
    assert any("constitution[1].params: params without a rule" in i for i in issues)


def test_per_environment_params_name_environments_of_the_plan(plan_copy: Path) -> None:
    _set_gates(plan_copy, [{"id": "azs", "description": "d", "rule": "min-azs", "params": {"environments": {"stagin": 2}}}])
    (issue,) = _issues(plan_copy)
    assert "constitution[0].params.environments.stagin: 'stagin' is not an environment of the plan" in issue and "did you mean 'staging'?" in issue


def test_a_residency_gate_needs_regions_to_compare_with(plan_copy: Path) -> None:
    _set_gates(plan_copy, [{"id": "eu", "description": "d", "rule": "data-residency"}])
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["constraints"].pop("data_residency"))
    (issue,) = _issues(plan_copy)
    assert "constitution[0].params: the data-residency gate has no allowed regions" in issue


@pytest.mark.parametrize("tool, closest", [("kubeval", "kubernetes-validate"), ("kustomize", "kustomize-build"), ("tfvalidate", "terraform-validate")])
def test_an_unknown_validation_tool_names_the_closest_supported_one(plan_copy: Path, tool: str, closest: str) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.__setitem__("validation", ["terraform-validate", tool]))
    (issue,) = _issues(plan_copy)
    assert f"validation[1]: '{tool}' is not a validation tool infraplan check runs" in issue and f"did you mean '{closest}'?" in issue


def test_the_older_tool_name_still_selects_the_crd_schemas(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.__setitem__("validation", ["argocd-schema"]))
    assert load_plan(plan_copy).platform.validation == ["argocd-schema"]


def test_every_rule_has_a_runner_and_valid_default_params() -> None:
    assert set(RUNNERS) == set(RULES)
    for rule in RULES:
        check_rule(rule, {})


# --- the report -----------------------------------------------------------------------------------


def _result(gate: str, env: str, status: Status, required: bool = True, details: tuple[str, ...] = ()) -> GateResult:
    return GateResult(gate=gate, environment=env, status=status, reason=f"{gate} is {status.value}", rule=None if status is Status.MANUAL else gate, required=required, details=details)


@pytest.mark.parametrize(
    "statuses, code",
    [
        ([(Status.PASS, True)], 0),
        ([(Status.PASS, True), (Status.MANUAL, True)], 0),
        ([(Status.FAIL, False), (Status.NOT_RUN, False)], 0),
        ([(Status.PASS, True), (Status.FAIL, True)], 1),
        ([(Status.PASS, True), (Status.NOT_RUN, True)], 1),
    ],
)
def test_the_exit_code_fails_only_on_a_required_gate_that_failed_or_did_not_run(statuses, code) -> None:
    report = CheckReport("acme", ("dev",), [_result(f"g{i}", "dev", s, r) for i, (s, r) in enumerate(statuses)])
    assert report.exit_code == code
    assert ("FAILED:" in summary(report)) == bool(code)


def _sample() -> CheckReport:
    return CheckReport(
        "acme",
        ("dev", "prod"),
        [
            _result("plan-validates", "dev", Status.PASS),
            _result("no-public-data", "dev", Status.PASS),
            _result("review", "dev", Status.MANUAL),
            _result("checkov", "dev", Status.NOT_RUN, details=("add 'checkov' to validation: in platform.yaml",)),
            _result("plan-validates", "prod", Status.PASS),
            _result("no-public-data", "prod", Status.FAIL, details=("prod-platform: aws_db_instance.db: publicly_accessible is true",)),
            _result("review", "prod", Status.MANUAL),
            _result("checkov", "prod", Status.NOT_RUN, required=False),
        ],
    )


def test_the_summary_lists_every_gate_per_environment_with_the_failures_findings() -> None:
    text = summary(_sample())
    dev, prod = text.split("\ndev\n")[1].split("\nprod\n")
    assert [ln.split()[0] for ln in dev.strip().splitlines() if not ln.strip().startswith("-")] == ["PASS", "PASS", "MANUAL", "NOT"]
    assert "- add 'checkov' to validation: in platform.yaml" in dev
    assert "FAIL     no-public-data" in prod and "- prod-platform: aws_db_instance.db: publicly_accessible is true" in prod
    assert "8 gate results: 3 passed, 1 failed, 2 manual, 2 not run" in text
    assert "FAILED: required gates that failed or did not run: dev/checkov, prod/no-public-data" in text


def test_the_json_report() -> None:
    data = json.loads(as_json(_sample()))
    assert data["exit_code"] == 1 and data["counts"] == {"pass": 3, "fail": 1, "manual": 2, "not run": 2}
    assert [e["name"] for e in data["environments"]] == ["dev", "prod"]
    gate = data["environments"][1]["gates"][1]
    assert gate == {"id": "no-public-data", "rule": "no-public-data", "required": True, "status": "fail", "reason": "no-public-data is fail",
                    "details": ["prod-platform: aws_db_instance.db: publicly_accessible is true"], "seconds": 0.0}  # fmt: skip


def test_the_junit_report_has_a_suite_per_environment_and_a_case_per_gate() -> None:
    root = ET.fromstring(as_junit(_sample()))
    assert root.tag == "testsuites" and root.get("tests") == "8" and root.get("failures") == "2" and root.get("skipped") == "3"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["dev", "prod"]
    prod = {c.get("name"): c for c in suites["prod"].findall("testcase")}
    assert list(prod) == ["plan-validates", "no-public-data", "review", "checkov"]
    failure = prod["no-public-data"].find("failure")
    assert failure is not None and "no-public-data failed" in failure.get("message") and "publicly_accessible" in failure.text
    assert prod["review"].find("skipped").get("message").startswith("manual:")
    assert prod["checkov"].find("skipped") is not None and prod["checkov"].find("failure") is None  # optional: skipped
    dev_checkov = next(c for c in suites["dev"].findall("testcase") if c.get("name") == "checkov")
    assert "did not run" in dev_checkov.find("failure").get("message")  # required: a failure
    assert prod["plan-validates"].find("failure") is None and prod["plan-validates"].find("skipped") is None


# --- run_gate: manual, not run --------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_env(example_plan: Path):
    plan = load_plan(example_plan)
    return plan, {e.name: e for e in resolve_plan(plan)}


def test_a_gate_without_rule_is_manual_and_an_unselected_tool_is_not_run(example_env, tmp_path: Path) -> None:
    plan, envs = example_env
    ctx = CheckContext(plan, Path("environments"), tmp_path, tmp_path)
    manual = run_gate(ctx, envs["dev"], Gate(id="review", description="a person reviews it"))
    assert manual.status is Status.MANUAL and manual.fails_check is False
    platform = plan.platform.model_copy(update={"validation": ["terraform-validate"]})
    ctx.plan = type(plan)(plan.root, platform, plan.environments, plan.tenants, plan.sources, plan.files, plan.origins, checked=True)
    not_run = run_gate(ctx, envs["dev"], Gate(id="scan", description="d", rule="checkov"))
    assert not_run.status is Status.NOT_RUN and not_run.fails_check
    assert not_run.details == ("add 'checkov' to validation: in platform.yaml (checkov (its own virtualenv; --checkov PATH or INFRAPLAN_CHECKOV))",)
    optional = run_gate(ctx, envs["dev"], Gate(id="scan", description="d", rule="checkov", required=False))
    assert optional.status is Status.NOT_RUN and not optional.fails_check


def test_a_selected_tool_that_is_not_installed_is_not_run_with_how_to_install(example_env, tmp_path: Path, monkeypatch) -> None:
    plan, envs = example_env
    monkeypatch.setattr("shutil.which", lambda name: None)
    ctx = CheckContext(plan, Path("environments"), tmp_path, tmp_path)
    result = run_gate(ctx, envs["dev"], Gate(id="tf", description="d", rule="terraform-validate"))
    assert result.status is Status.NOT_RUN and "terraform is not on PATH: install Terraform" in result.details[0]


def test_min_azs_per_environment(example_env) -> None:
    _, envs = example_env
    assert policy.az_problems(envs["prod"], 3) == []
    problems = policy.az_problems(envs["dev"], 3)
    assert problems and all("fewer than 3" in p for p in problems) and any("the database subnets span 2" in p for p in problems)


def test_residency_names_what_is_outside(example_env) -> None:
    _, envs = example_env
    assert policy.residency_problems(envs["dev"], {}, ["eu-"]) == []
    problems = policy.residency_problems(envs["dev"], {"dev-x": {"provider": {"aws": [{"region": "us-east-1"}]}}}, ["eu-"])
    assert problems == ["stack dev-x's provider: region us-east-1 is outside eu-"]
    assert any("cluster acme-dev" in p for p in policy.residency_problems(envs["dev"], {}, ["us-"]))


def test_complexity_justified_makes_validates_warnings_blocking_where_the_choice_is(plan_copy: Path, tmp_path: Path) -> None:
    gate = Gate(id="justified", description="d", rule="complexity-justified")
    plan = load_plan(plan_copy)
    envs = {e.name: e for e in resolve_plan(plan)}
    ctx = CheckContext(plan, plan_copy, tmp_path, tmp_path)
    assert [run_gate(ctx, envs[e], gate).status for e in ("dev", "prod")] == [Status.PASS, Status.PASS]
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.update(complexity_tracking=[]))  # org-c's dedicated prod cluster, unjustified
    plan = load_plan(plan_copy)
    envs = {e.name: e for e in resolve_plan(plan)}
    ctx = CheckContext(plan, plan_copy, tmp_path, tmp_path)
    prod, dev = run_gate(ctx, envs["prod"], gate), run_gate(ctx, envs["dev"], gate)
    assert prod.status is Status.FAIL and prod.fails_check
    assert len(prod.details) == 1 and "org-c.yaml" in prod.details[0] and "no justification in complexity_tracking" in prod.details[0]
    assert dev.status is Status.PASS  # org-c shares dev's cluster: nothing to justify there


# --- the rules on fragments ---------------------------------------------------------------------


def _stack(**resources: dict) -> dict:
    return {"s": {"resource": resources}}


def test_no_public_endpoints() -> None:
    assert policy.public_endpoint_problems(_stack(aws_db_instance={"db": {"publicly_accessible": False}})) == []
    assert "publicly_accessible is true" in policy.public_endpoint_problems(_stack(aws_db_instance={"db": {"publicly_accessible": True}}))[0]
    eks = {"c": {"vpc_config": [{"endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"]}]}}
    assert "API endpoint is public (from 203.0.113.0/24)" in policy.public_endpoint_problems(_stack(aws_eks_cluster=eks))[0]
    bucket = {"aws_s3_bucket": {"b": {"bucket": "x"}}}
    assert "no public access block" in policy.public_endpoint_problems(_stack(**bucket))[0]
    pab = {"p": {"bucket": "${aws_s3_bucket.b.id}", "block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True, "restrict_public_buckets": True}}
    assert policy.public_endpoint_problems(_stack(**bucket, aws_s3_bucket_public_access_block=pab)) == []
    pab["p"]["restrict_public_buckets"] = False
    assert policy.public_endpoint_problems(_stack(**bucket, aws_s3_bucket_public_access_block=pab))
    assert "admits the whole internet" in policy.public_endpoint_problems(_stack(aws_vpc_security_group_ingress_rule={"r": {"cidr_ipv4": "0.0.0.0/0"}}))[0]


def test_encryption_at_rest() -> None:
    assert "storage_encrypted is not true" in policy.encryption_problems(_stack(aws_db_instance={"db": {}}), {})[0]
    assert policy.encryption_problems(_stack(aws_db_instance={"db": {"storage_encrypted": True}}), {}) == []
    lt = {"lt": {"block_device_mappings": [{"device_name": "/dev/xvda", "ebs": [{"encrypted": "false"}]}]}}
    assert "volume /dev/xvda is not encrypted" in policy.encryption_problems(_stack(aws_launch_template=lt), {})[0]
    assert "not envelope-encrypted" in policy.encryption_problems(_stack(aws_eks_cluster={"c": {}}), {})[0]
    assert "no kms_key_id" in policy.encryption_problems(_stack(aws_cloudwatch_log_group={"l": {"name": "x"}}), {})[0]
    sc = {"kind": "StorageClass", "metadata": {"name": "gp3"}, "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}}
    assert "not encrypted" in policy.encryption_problems({}, {"dev": [("sc.yaml", sc)]})[0]


def test_pinned_versions() -> None:
    app = {"kind": "Application", "metadata": {"name": "x"}, "spec": {"source": {"repoURL": "https://charts.example", "chart": "x", "targetRevision": "7.x"}}}
    assert "chart x at '7.x', not an exact version" in policy.pinning_problems("dev", [("a.yaml", app)], [], None, {})[0]
    app["spec"]["source"]["targetRevision"] = "7.9.1"
    assert policy.pinning_problems("dev", [("a.yaml", app)], [], None, {}) == []
    git = {"kind": "Application", "metadata": {"name": "g"}, "spec": {"source": {"repoURL": "https://git.example/m.git", "path": ".", "targetRevision": "main"}}}
    assert "not a tag or commit" in policy.pinning_problems("dev", [("g.yaml", git)], [], None, {})[0]
    assert policy.pinning_problems("dev", [("g.yaml", git)], [], "https://git.example/m.git", {}) == []  # the plan's own GitOps repository
    deploy = {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [{"image": "ghcr.io/acme/x"}]}}}}
    assert "has no tag" in policy.pinning_problems("dev", [("d.yaml", deploy)], [], None, {})[0]
    pinned = [("k.yaml", {"images": [{"name": "ghcr.io/acme/x", "newTag": "1.2.3"}]})]
    assert policy.pinning_problems("dev", [("d.yaml", deploy)], pinned, None, {}) == []
    latest = [("k.yaml", {"images": [{"name": "ghcr.io/acme/x", "newTag": "latest"}]})]
    assert "is given tag latest" in policy.pinning_problems("dev", [("d.yaml", deploy)], latest, None, {})[0]
    ranged = {"s": {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "~> 5.0"}}}}}
    assert "provider aws at '~> 5.0', not an exact version" in policy.pinning_problems("", [], [], None, ranged)[0]


class _Tenant:
    name, namespaces = "org-a", ("org-a-web",)


def _guarded_namespace() -> list[tuple[str, dict]]:
    ns = "org-a-web"
    return [
        ("ns.yaml", {"kind": "Namespace", "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
        ("np.yaml", {"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
        ("rq.yaml", {"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": ns}}),
        ("lr.yaml", {"kind": "LimitRange", "metadata": {"name": "l", "namespace": ns}}),
        ("p.yaml", {"kind": "AppProject", "metadata": {"name": "org-a"}, "spec": {"destinations": [{"server": "https://kubernetes.default.svc", "namespace": ns}], "clusterResourceWhitelist": [],
                    "namespaceResourceWhitelist": [{"group": "apps", "kind": "Deployment"}]}}),
    ]  # fmt: skip


def test_tenant_isolation() -> None:
    tree = _guarded_namespace()
    assert policy.isolation_problems("dev", tree, [_Tenant()], argocd=True) == []
    open_np = [(f, o) if o["kind"] != "NetworkPolicy" else (f, {**o, "spec": {**o["spec"], "ingress": [{}]}}) for f, o in tree]
    assert "no default-deny NetworkPolicy" in policy.isolation_problems("dev", open_np, [_Tenant()], argocd=True)[0]
    no_quota = [(f, o) for f, o in tree if o["kind"] != "ResourceQuota"]
    assert policy.isolation_problems("dev", no_quota, [_Tenant()], argocd=True) == ["dev: namespace org-a-web: no ResourceQuota"]
    project = tree[-1][1]
    anywhere = {**project, "spec": {**project["spec"], "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "*"}]}}
    assert "destination https://kubernetes.default.svc namespace * is not one of the tenant's namespaces" in policy.isolation_problems("dev", [*tree[:-1], ("p.yaml", anywhere)], [_Tenant()], argocd=True)[0]
    everything = {**project, "spec": {**project["spec"], "namespaceResourceWhitelist": [{"group": "*", "kind": "*"}]}}
    assert any("lets the tenant deploy NetworkPolicy" in p for p in policy.isolation_problems("dev", [*tree[:-1], ("p.yaml", everything)], [_Tenant()], argocd=True))


def test_custom_resources_against_the_crd_schema_of_the_chart_version_installed() -> None:
    es = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "x", "namespace": "n"},
          "spec": {"refreshInterval": "1h", "secretStoreRef": {"kind": "ClusterSecretStore", "name": "s"}, "target": {"name": "t"}, "dataFrom": [{"extract": {"key": "k"}}]}}  # fmt: skip
    assert custom_resource_problems(es, {"external-secrets": "0.17.0"}, {}) == []
    es["spec"]["refreshIntervall"] = "1h"
    assert any("refreshIntervall" in p for p in custom_resource_problems(es, {"external-secrets": "0.17.0"}, {}))
    old = {**es, "apiVersion": "external-secrets.io/v1beta1"}
    assert custom_resource_problems(old, {"external-secrets": "0.17.0"}, {}) == ["ExternalSecret: external-secrets.io/v1beta1 is not served by external-secrets 0.17.0 (served: external-secrets.io/v1)"]
    assert "infraplan ships no CRD schemas for external-secrets 0.9.0" in custom_resource_problems(es, {}, {"external-secrets": "0.9.0"})[0]
    assert "ships no CRD schema for this kind" in custom_resource_problems({"apiVersion": "example.com/v1", "kind": "Widget"}, {}, {})[0]


def test_strict_schemas_refuse_unknown_fields_where_the_crd_lists_properties() -> None:
    schema = strict({"type": "object", "properties": {"a": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {}}}})
    assert schema["additionalProperties"] is False and "additionalProperties" not in schema["properties"]["a"]


def test_the_provider_schema_check_on_a_small_schema() -> None:
    """The product's check (infraplan check's provider-schema rule) on a hand-written block schema."""
    from constructs_lib.gates.terraform import check_block

    block = {
        "attributes": {"name": {"type": "string", "required": True}, "arn": {"type": "string", "computed": True}, "tags": {"type": ["map", "string"], "optional": True}},
        "block_types": {"rule": {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {"days": {"type": "number", "optional": True}}}}},
    }
    assert check_block(block, {"name": "x", "tags": {"a": "b"}, "rule": [{"days": 3}], "depends_on": []}, "r") == []
    assert check_block(block, {"name": "${var.x}"}, "r") == []  # a reference is not typed here
    problems = check_block(block, {"nam": "x", "arn": "y", "tags": {"a": 1}, "rule": [{"days": "3"}, {}]}, "r")
    assert "r.nam: no such attribute or block (known: arn, name, rule, tags)" in problems
    assert "r.arn: read-only attribute set" in problems and "r.name: required attribute missing" in problems
    assert "r.tags: {'a': 1} does not match type ['map', 'string']" in problems
    assert "r.rule: 2 blocks, at most 1" in problems and "r.rule[0].days: '3' does not match type number" in problems


def test_a_kustomize_only_chart_folder_builds_with_helm_or_fails_saying_helm_is_needed(tmp_path: Path, monkeypatch) -> None:
    """kubectl kustomize refuses helmCharts without --enable-helm: every kustomize-only plan failed
    manifests-validate with kustomize's own refusal, whatever its manifests were."""
    from constructs_lib.gates import manifests

    charts, plain = tmp_path / "prod/infrastructure/ingress-nginx", tmp_path / "prod/bootstrap"
    for d, text in ((charts, "helmCharts:\n- name: ingress-nginx\n  version: 4.12.3\n"), (plain, "resources: []\n")):
        d.mkdir(parents=True)
        (d / "kustomization.yaml").write_text(text)
    ran: list[list[str]] = []

    def run(command, **kwargs):
        ran.append(command)
        return manifests.subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(manifests.subprocess, "run", run)
    monkeypatch.setattr(manifests.shutil, "which", lambda name: None)
    built, failed = manifests.build_all(tmp_path / "prod")
    assert failed == [f"prod/infrastructure/ingress-nginx: kubectl kustomize failed: {manifests.HELM_NEEDED}"]
    assert ran == [["kubectl", "kustomize", str(plain)]]
    monkeypatch.setattr(manifests.shutil, "which", lambda name: f"/usr/bin/{name}")
    ran.clear()
    built, failed = manifests.build_all(tmp_path / "prod")
    assert failed == [] and sorted(ran) == sorted([["kubectl", "kustomize", str(plain)], ["kubectl", "kustomize", "--enable-helm", str(charts)]])


def test_no_terraform_init_runs_while_another_stack_validates():
    """The terraform-validate gate validates two stacks at once, and they share terraform's plugin
    cache: an init (which may install into the cache) waits until no validate reads it, validates
    run together (a CI run once saw "no package ... cached in .terraform/providers")."""
    import threading
    import time

    from constructs_lib.gates.terraform import PluginCacheLock

    lock = PluginCacheLock()
    events: list[str] = []
    both = threading.Barrier(3)  # the two validates inside the lock, and the init about to ask for it

    def validate(name: str) -> None:
        with lock.validate():
            events.append(f"{name} validates")
            both.wait(timeout=10)  # both validate at once: neither waited for the other
            time.sleep(0.2)
            events.append(f"{name} done")

    def init() -> None:
        both.wait(timeout=10)
        with lock.init():
            events.append("init")

    threads = [threading.Thread(target=validate, args=("a",)), threading.Thread(target=validate, args=("b",)), threading.Thread(target=init)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert events[-1] == "init" and events.index("init") > max(events.index("a done"), events.index("b done")), events
