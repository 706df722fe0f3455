"""The Markdown plan (#15): `infraplan import` reads a filled Implementation Plan template into plan
files, `infraplan document` writes a plan back in that format.

Here (fast): the reader and the mapping (every template field to its plan field, tolerated spellings,
one error per malformed input naming its line and leaving nothing behind, undecided values listed by
validate all at once), the Project Structure document shows, and document(import(md)) keeping every
decision of the filled templates in tests/fixtures/markdown/. The plans built here for the whole-plan
round trips are used by tests/test_markdown_roundtrip.py (slow)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_PLAN, edit_yaml
from constructs_lib.addons import addon
from constructs_lib.markdown import document, import_markdown, plan_files
from constructs_lib.markdown.reader import parse_markdown
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.chart_lock import ChartLockFile, LockedChart
from stacks.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
TODO = "NEEDS CLARIFICATION"


def _md(name: str) -> str:
    return (FIXTURES / f"{name}.md").read_text(encoding="utf-8")


def _files(text: str, name: str = "plan.md") -> dict[str, dict]:
    return {rel: yaml.safe_load(body) for rel, body in plan_files(parse_markdown(text, name)).items()}


def _issues(text: str) -> list:
    with pytest.raises(PlanError) as exc:
        plan_files(parse_markdown(text, "plan.md"))
    return exc.value.issues


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


# -- reading: every template field to its plan field ------------------------------------------------


def test_the_small_plan_maps_every_technical_context_field() -> None:
    files = _files(_md("small"))
    p = files["platform.yaml"]
    assert p["name"] == "shop" and p["kubernetes"] == {"version": "1.33", "flavour": "eks"}
    assert p["gitops"]["tool"] == "argocd" and p["gitops"]["repo_url"] == TODO  # the template has no place for it
    assert p["state_backend"] == {"bucket_prefix": TODO, "type": "s3", "lock": "dynamodb"}  # S3+DynamoDB
    assert p["validation"] == ["terraform-validate", "kustomize-build"]
    assert p["performance"] == {"uptime_percent": 99.9, "rto_minutes": 240, "rpo_minutes": 60, "max_pods": 300}
    assert p["constraints"] == {"budget_alert_emails": ["ops@shop.example.com"], "monthly_budget_usd": 8000}
    assert p["scale"] == {"tenants": 1, "namespaces_per_tenant": 4, "max_nodes": 12}
    assert p["components"] == ["ingress-nginx", "cert-manager"] and "charts" not in p  # the catalog's pins: no constraint
    assert [g["id"] for g in p["constitution"]] == ["plan-validates", "no-public-data"]
    assert "complexity_tracking" not in p  # only the template's placeholders
    assert sorted(files) == ["platform.yaml", "prod.yaml", "tenants/shop.yaml"]
    assert files["prod.yaml"]["tier"] == "production" and files["prod.yaml"]["account_id"] == TODO
    text = plan_files(parse_markdown(_md("small"), "small.md"))["platform.yaml"]
    assert "# Summary: One EKS cluster in one region for the shop team's two services; GitOps through ArgoCD.\n" in text  # the Markdown's words kept
    assert "flavour: eks  # Kubernetes: \"EKS 1.33\" (small.md:15)" in text


def test_the_regulated_plan_maps_regions_frameworks_organizations_and_charts() -> None:
    files = _files(_md("regulated"))
    p = files["platform.yaml"]
    assert p["deployment_type"] == "multi-region" and p["gitops"]["path"] == "clusters"
    assert p["gitops"]["repo_url"] == "https://git.northwind.example/platform/gitops.git"
    assert p["state_backend"] == {"bucket_prefix": "northwind-tfstate", "type": "s3", "lock": "dynamodb+lockfile"}
    assert p["performance"] == {"uptime_percent": 99.95, "rto_minutes": 30, "rpo_minutes": 15, "max_pods": 1000}  # "≈ 30 min", "1k pods"
    assert p["constraints"]["compliance"] == ["SOC2", "HIPAA", "PCI-DSS"]  # "SOC 2", "PCI DSS"
    assert p["constraints"]["data_residency"] == ["eu-"] and p["constraints"]["monthly_budget_usd"] == 40000  # "$40k/month"
    assert p["constraints"]["budget_alert_emails"] == ["finops@northwind.example", "cto@northwind.example"]
    assert p["scale"] == {"tenants": 3, "namespaces_per_tenant": 8, "max_nodes": 60}  # 24 namespaces over 3 organizations
    assert p["charts"] == {"argocd": {"version": "7.x"}, "external-secrets": {"version": "~0.10"}, "kube-prometheus-stack": {"version": "65.x"}}
    assert p["manifest_components"][0] | {"path": None, "namespace": None} == {
        "name": "priority-classes", "repo_url": "https://git.northwind.example/platform/priority-classes.git", "revision": "v1.4.0", "path": None, "namespace": None,
    }  # fmt: skip
    gates = {g["id"]: g for g in p["constitution"]}
    assert gates["zone-redundant"]["params"] == {"min": 3} and gates["change-review"] == {"id": "change-review", "required": False, "description": "Two people approve each change"}
    assert [e.get("applies_to") for e in p["complexity_tracking"]] == ["multi-region", "dedicated-cluster:payments"]
    assert sorted(f for f in files if f.startswith("tenants/")) == ["tenants/clinic.yaml", "tenants/lab.yaml", "tenants/payments.yaml"]
    assert files["tenants/payments.yaml"]["environments"]["staging"]["isolation"] == "dedicated"
    assert "isolation" not in files["tenants/clinic.yaml"]
    assert files["prod.yaml"]["regions"] == [TODO, TODO] and "region_vpc_cidrs" in files["prod.yaml"]


SPELLINGS = [
    ("**Performance Goals**: 99.9% uptime, RTO < 1h, RPO < 15m, 400 pods", {"uptime_percent": 99.9, "rto_minutes": 60, "rpo_minutes": 15, "max_pods": 400}),
    ("Performance Goals: 99.9 % uptime, RTO ≈ 60 min, RPO ≤ 15 minutes, 0.4k pods", {"uptime_percent": 99.9, "rto_minutes": 60, "rpo_minutes": 15, "max_pods": 400}),
    ("- **Performance Goals:** 99.9% uptime; RTO < 2 hours; RPO < 900s", {"uptime_percent": 99.9, "rto_minutes": 120, "rpo_minutes": 15}),
    ("__Performance Goals__: 99.95% uptime, RTO < 1h, RPO < 5m, region failure", {"uptime_percent": 99.95, "rto_minutes": 60, "rpo_minutes": 5, "failure_scope": "region"}),
]


@pytest.mark.parametrize(("line", "performance"), SPELLINGS)
def test_labels_and_values_are_read_however_they_are_written(line: str, performance: dict) -> None:
    text = re.sub(r"(?m)^\*\*Performance Goals\*\*:.*$", line, _md("small"))
    assert _files(text)["platform.yaml"]["performance"] == performance


@pytest.mark.parametrize(
    ("value", "constraints"),
    [
        ("$40k/month, EU and US regions only, compliance (SOC2, HIPAA)", {"monthly_budget_usd": 40000, "budget_alert_emails": TODO, "data_residency": ["eu-", "us-"], "compliance": ["SOC2", "HIPAA"]}),
        ("budget $25,000 per month (alerts to a@x.example), ISO 27001 and GDPR compliance", {"monthly_budget_usd": 25000, "budget_alert_emails": ["a@x.example"], "compliance": ["ISO27001", "GDPR"]}),
        ("data residency: eu-central- regions only", {"data_residency": ["eu-central-"]}),
    ],
)
def test_constraints_are_read_into_budget_frameworks_and_residency(value: str, constraints: dict) -> None:
    text = re.sub(r"(?m)^\*\*Constraints\*\*:.*$", f"**Constraints**: {value}", _md("small"))
    assert _files(text)["platform.yaml"]["constraints"] == constraints


def test_the_tools_and_platforms_the_template_names_are_read() -> None:
    text = _md("small").replace("**IaC Tools**: Terraform 1.11 (via CDK for Terraform), Pulumi for cluster bootstrap", "**IaC Tools**: Terraform 1.12 (via CDK for Terraform)")
    text = text.replace("**Target Environment**: production", "**Target Environment**: dev, qa (staging) and prod")
    files = _files(text)
    assert files["platform.yaml"]["iac"] == {"cluster_bootstrap": "gitops-only"}  # no Pulumi named: ArgoCD by hand
    assert [(files[f]["name"], files[f]["tier"]) for f in ("dev.yaml", "qa.yaml", "prod.yaml")] == [("dev", "development"), ("qa", "staging"), ("prod", "production")]


# -- undecided values ----------------------------------------------------------------------------


def test_undecided_values_and_what_the_template_lacks_are_listed_by_validate_all_at_once(tmp_path: Path) -> None:
    import_markdown(parse_markdown(_md("undecided"), "undecided.md"), tmp_path / "plan")
    platform = (tmp_path / "plan/platform.yaml").read_text()
    assert "version: NEEDS CLARIFICATION  # decide the EKS minor version" in platform  # "[e.g., EKS 1.28, ...]"
    assert "uptime_percent: NEEDS CLARIFICATION  # decide the uptime goal" in platform  # "NEEDS CLARIFICATION"
    assert "tenants: 2" in platform and "namespaces_per_tenant: NEEDS CLARIFICATION" in platform  # the decided part is kept
    with pytest.raises(PlanError) as exc:
        load_plan(tmp_path / "plan")
    marked = {(Path(i.file).name, i.path) for i in exc.value.issues if "NEEDS CLARIFICATION" in i.message}
    assert {("platform.yaml", "kubernetes.version"), ("platform.yaml", "state_backend.bucket_prefix"), ("platform.yaml", "performance.rto_minutes"),
            ("platform.yaml", "constraints.compliance"), ("dev.yaml", "account_id"), ("prod.yaml", "vpc_cidr"),
            ("prod.yaml", "cluster.node_groups[0].instance_types[0]"), ("team-b.yaml", "groups.developers[0]")} <= marked  # fmt: skip
    assert len(marked) == len(exc.value.issues)  # nothing but the decisions left to make
    assert ("platform.yaml", "constitution") in marked  # the template's "[Gates determined based on constitution file]"


def test_a_constitution_check_left_as_the_template_has_it_is_asked_for_and_an_empty_gate_table_is_none() -> None:
    """With no gates `infraplan check` passes having run nothing: the template's placeholder is a decision to
    make (it was read as no gates); a gate table without rows, as document writes a plan without gates, is none."""
    gates = "## Constitution Check\n\n*GATE: Must pass before Phase 0 research. Re-check after Phase 1 design.*\n\n"
    section = re.compile(r"(?s)## Constitution Check\n.*?(?=\n## )")
    placeholder = section.sub(gates + "[Gates determined based on constitution file]\n", _md("small"))
    assert _files(placeholder)["platform.yaml"]["constitution"] == TODO
    empty_table = section.sub(gates + "| Gate | Rule | Required | Params | Status | Guarantee |\n|---|---|---|---|---|---|\n", _md("small"))
    assert _files(empty_table)["platform.yaml"].get("constitution", []) == []  # the default: none


def test_the_acceptance_plans_open_decisions_are_all_listed_in_one_round_each_saying_what_to_decide(tmp_path: Path) -> None:
    """A budget without alert addresses is asked for with the rest (validate refuses a budget nobody is
    alerted about; before, that came in a second round after the user had filled every other value), and
    each hint says what the field decides, not only that it is undecided."""
    text = _md("acceptance")
    import_markdown(parse_markdown(text, "acceptance.md"), tmp_path / "plan")
    platform = (tmp_path / "plan/platform.yaml").read_text()
    assert "budget_alert_emails: NEEDS CLARIFICATION  # decide who AWS Budgets alerts" in platform
    # payments is dedicated in staging of a multi-region platform: validate refuses a dedicated cluster in several
    # regions, so the regions to decide say it there (and only there) before the user fills two
    assert "payments has a cluster of its own here, which infraplan builds in one region only" in (tmp_path / "plan/staging.yaml").read_text()
    assert "one region only" not in (tmp_path / "plan/prod.yaml").read_text()
    with pytest.raises(PlanError) as exc:
        load_plan(tmp_path / "plan")
    issues = {(Path(i.file).name, i.path): i for i in exc.value.issues}
    assert all("NEEDS CLARIFICATION" in i.message for i in issues.values())  # nothing else: one round
    assert ("platform.yaml", "constraints.budget_alert_emails") in issues
    assert "required with monthly_budget_usd" in issues["platform.yaml", "constraints.budget_alert_emails"].hint
    assert "primary" in issues["prod.yaml", "regions[0]"].hint
    assert "secondary region" in issues["prod.yaml", "region_vpc_cidrs.NEEDS CLARIFICATION"].hint  # a key: its field's description
    assert "staging" in {Path(i.file).stem for i in issues.values()} and ("payments.yaml", "environments.staging.vpc_cidr") in issues


@pytest.mark.parametrize("source", ["http://127.0.0.1:8080/argo", "https://charts.mirror.internal:8443/helm", "oci://harbor.corp/charts"])
def test_a_chart_source_url_the_plan_accepts_is_imported(source: str) -> None:
    """A mirror on http, a port or an IP is the plan's to accept (plan/charts.py repo_url_problem); import
    refused it, so a plan whose charts come from one could not read its own document back."""
    text = _md("regulated").replace("| argoproj.github.io/argo-helm | 7.x |", f"| {source} | 7.x |")
    assert _files(text)["platform.yaml"]["charts"]["argocd"] == {"version": "7.x", "repo_url": source}


def test_a_chart_source_url_the_plan_refuses_is_an_error_at_its_line() -> None:
    text = _md("regulated").replace("| argoproj.github.io/argo-helm | 7.x |", "| https://bot:s3cret@charts.example.com/argo | 7.x |")
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, "bot:s3cret") and "holds credentials" in issue.message


# -- errors: one per malformed input, at its line -----------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "needle", "message"),
    [
        (lambda t: t.replace("## Constitution Check", "## Constitution"), None, "the section '## Constitution Check' is missing"),
        (lambda t: t.replace("**GitOps**: ArgoCD", "**Git Ops Tool**: ArgoCD"), "Git Ops Tool", "unknown label 'Git Ops Tool'"),
        (lambda t: t.replace("RTO < 4h", "RTO soon"), "RTO soon", "RTO: 'RTO soon' is no duration"),
        (lambda t: t.replace("EKS 1.33", "AKS 1.29"), "AKS 1.29", "'AKS 1.29' is not EKS"),
        (lambda t: t.replace("Terraform 1.11", "Terraform 1.6"), "Terraform 1.6", "the stacks need Terraform 1.11 or later"),
        (lambda t: t.replace("| Cert Manager |", "| Velero |"), "| Velero |", "infraplan has no add-on for 'Velero'"),
        (lambda t: t.replace("| v1.17.2 |", "| latest |"), "| latest |", "latest"),
        (lambda t: t.replace("**Constraints**: budget $8k/month", "**Constraints**: cheap"), "**Constraints**: cheap", "is no constraint infraplan knows"),
        (lambda t: t.replace("12 nodes", "12 clusters"), "12 clusters", "'12 clusters' is no scale"),
        (lambda t: t.replace("| Version | Notes |", "| Release | Notes |"), "| Release | Notes |", "the table has no 'Version' column"),
        (lambda t: t.replace("**Validation**: terraform validate", "**Validation**: kubeval"), "kubeval", "'kubeval' is no validation tool infraplan runs"),
    ],
)
def test_each_malformed_input_is_one_error_naming_its_line(edit, needle: str | None, message: str, tmp_path: Path) -> None:
    text = edit(_md("small"))
    assert text != _md("small")
    (issue,) = _issues(text)
    assert message in issue.message
    assert issue.line == (_line_of(text, needle) if needle else len(text.splitlines()))
    (tmp_path / "plan.md").write_text(text)
    assert main(["import", str(tmp_path / "plan.md"), "--out", str(tmp_path / "out")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.md"]  # nothing left behind


def test_the_templates_stock_chart_versions_infraplan_has_no_values_for_are_errors_at_their_lines() -> None:
    rows = "| ArgoCD | ✅ Yes | argoproj.github.io/argo-helm | 5.x | GitOps controller |\n| Prometheus Stack | ✅ Yes | prometheus-community | 50.x | Full monitoring |\n"
    text = _md("small").replace("| [Custom Component]", rows + "| [Custom Component]")
    issues = _issues(text)
    assert [(i.line, i.message.split(";")[0]) for i in issues] == [(_line_of(text, "| 5.x |"), "'5.x' admits argo-cd 5.x"), (_line_of(text, "| 50.x |"), "'50.x' admits kube-prometheus-stack 50.x")]
    assert "argo-cd 7.x, 8.x only" in issues[0].message


def test_a_component_given_twice_is_an_error() -> None:
    text = _md("small").replace("| [Custom Component]", "| ArgoCD | Yes | - | - | |\n| Argo CD | ✅ | - | 8.x | |\n| [Custom Component]")
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, "| Argo CD |") and "'argocd' has two rows" in issue.message


@pytest.mark.parametrize("value", ["NEEDS CLARIFICATION", "[e.g., production, staging, development or NEEDS CLARIFICATION]"])
def test_environments_left_undecided_are_an_error_at_their_label(value: str) -> None:
    """Each environment is a file named after it: without names there is nothing to write the account, region and nodes into."""
    text = _md("small").replace("**Target Environment**: production", f"**Target Environment**: {value}")
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, "**Target Environment**") and "the environments are not named" in issue.message


@pytest.mark.parametrize(("version", "message"), [("1.31", "past the end of EKS extended support"), ("1.29", "not in the EKS support calendar")])
def test_a_kubernetes_version_eks_no_longer_runs_is_an_error_at_its_markdown_line(version: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's own rule at import, where the user wrote it: before, import wrote the plan and validate
    refused platform.yaml's kubernetes.version only in a second round, after every other value was filled."""
    monkeypatch.setenv("INFRAPLAN_TODAY", "2026-11-27")  # the day after 1.31's extended support ends
    text = _md("acceptance").replace("EKS 1.34", f"EKS {version}")
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, "**Kubernetes**") and message in issue.message and "1.32, 1.33" in issue.hint


@pytest.mark.parametrize("own", [None, "Tessera runs payments for three organizations on a platform that is multi-region and zone-redundant-by-default."])
def test_document_keeps_the_teams_summary(own: str | None, tmp_path: Path) -> None:
    """The Summary is the team's words: import keeps it in platform.yaml's header, and document writes it
    back (it wrote a generated sentence instead, so the team's summary was lost on the first round trip),
    word for word (a hyphenated word at the header's line end came back as 'zone- redundant')."""
    text = _md("small") if own is None else re.sub(r"(?s)(## Summary\n\n).*?\n\n", lambda m: m.group(1) + own + "\n\n", _md("small"), count=1)
    import_markdown(parse_markdown(text, "small.md"), tmp_path / "plan")
    header = "".join(line for line in (tmp_path / "plan/platform.yaml").read_text().splitlines(keepends=True) if line.startswith("#"))
    _fill(tmp_path / "plan", "small")  # as a person's editor would, the comments kept
    (tmp_path / "plan/platform.yaml").write_text(header + (tmp_path / "plan/platform.yaml").read_text())
    written = document(load_plan(tmp_path / "plan"))
    said = parse_markdown(text, "small.md").summary.text
    assert own is None or said == own
    assert f"## Summary\n\n{said}\n" in written
    assert parse_markdown(written, "written.md").summary.text == said
    import_markdown(parse_markdown(written, "written.md"), tmp_path / "again")
    assert document(load_plan(tmp_path / "again")) == written  # stable: the appendix carries it on


def test_gate_params_that_are_not_json_are_an_error_at_their_line() -> None:
    text = _md("regulated").replace('`{"min": 3}`', "`{min: 3}`")
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, "{min: 3}") and "the params are not JSON" in issue.message


def test_a_non_empty_output_folder_is_never_written(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text(_md("small"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert main(["import", str(tmp_path / "plan.md"), "--out", str(tmp_path / "out")]) == 2
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]
    assert main(["import", str(tmp_path / "plan.md"), "--out", str(tmp_path / "new")]) == 0
    assert sorted(str(p.relative_to(tmp_path / "new")) for p in (tmp_path / "new").rglob("*.yaml")) == ["platform.yaml", "prod.yaml", "tenants/shop.yaml"]


# -- plans built for the round trips -------------------------------------------------------------------


def _lock(plan: Path, versions: dict[str, tuple[str, str]]) -> None:
    """A charts.lock as `infraplan charts lock` writes it (component -> (constraint, exact version))."""
    charts = {}
    for component, (constraint, version) in versions.items():
        chart = addon(component).chart
        charts[component] = LockedChart(chart=chart.chart, repo_url=chart.repo_url, constraint=constraint, version=version, digest="sha256:" + "ab" * 32)
    (plan / "charts.lock").write_text(ChartLockFile(charts=charts).dump())


def regulated_plan(dest: Path) -> Path:
    """The example with several compliance frameworks, two residency prefixes, older chart majors (locked) and org-c dedicated."""
    shutil.copytree(EXAMPLE_PLAN, dest)
    older = {"argocd": ("7.x", "7.9.1"), "kube-prometheus-stack": ("~65.8", "65.8.1"), "external-secrets": ("0.10.x", "0.10.7")}

    def change(d: dict) -> None:
        d["constraints"].update(compliance=["SOC2", "HIPAA", "PCI-DSS", "GDPR"], data_residency=["eu-", "us-"], monthly_budget_usd=40500)
        d["charts"] = {c: {"version": v} for c, (v, _) in older.items()}
        d["performance"].update(uptime_percent=99.95, rto_minutes=45, max_pods=None)
        d["performance"].pop("max_pods")
        d["complexity_tracking"].append({"decision": "a second gate for audits", "justification": "auditors ask"})

    edit_yaml(dest / "platform.yaml", change)
    edit_yaml(dest / "prod.yaml", lambda d: d.update(availability_zones=3))
    _lock(dest, older)
    return dest


def multi_region_plan(dest: Path) -> Path:
    from test_multi_region import make_multi_region

    return make_multi_region(dest)


def gitops_none_plan(dest: Path) -> Path:
    shutil.copytree(EXAMPLE_PLAN, dest)

    def change(d: dict) -> None:
        d["gitops"]["tool"] = "none"
        d["gitops"].pop("sso")
        d["state_backend"]["lock"] = "lockfile"
        d["secrets"]["operator"] = "external-secrets"

    edit_yaml(dest / "platform.yaml", change)
    return dest


BUILT = {"example": lambda d: shutil.copytree(EXAMPLE_PLAN, d) and d, "regulated": regulated_plan, "multi-region": multi_region_plan, "gitops-none": gitops_none_plan}


def round_trip(plan: Path, out: Path) -> Path:
    """import(document(plan)) into ``out``."""
    text = document(load_plan(plan))
    out.parent.mkdir(parents=True)
    (out.parent / "plan.md").write_text(text)
    assert main(["import", str(out.parent / "plan.md"), "--out", str(out)]) == 0
    return out


def test_document_shows_the_stacks_and_trees_synth_writes() -> None:
    text = document(load_plan(EXAMPLE_PLAN))
    golden = Path(__file__).parent / "golden" / "example"
    for stack in (golden / "terraform" / "stacks").iterdir():
        assert f"── {stack.name}/" in text
    for cluster in (golden / "kubernetes").iterdir():
        assert f"── {cluster.name}/" in text
    assert "Option 3 (multi-tenant)" in text


# -- document(import(md)) keeps every decision of the Markdown -------------------------------------


def _fill(plan: Path, md_name: str) -> None:
    """Decide what the Markdown left open, as a person would, so that the plan validates."""
    accounts = {}
    for i, env in enumerate(sorted(p.stem for p in plan.glob("*.yaml") if p.name != "platform.yaml")):
        accounts[env] = f"{i + 1}" * 12
    for env, account in accounts.items():
        def env_change(d: dict, env=env, account=account) -> None:
            second = d.get("region_vpc_cidrs") is not None and env == "prod"
            d.update(account_id=account, regions=["eu-west-1", "eu-central-1"] if second else ["eu-west-1"], vpc_cidr=f"10.{10 + len(env)}.0.0/16")
            d.pop("region_vpc_cidrs", None)
            if second:
                d["region_vpc_cidrs"] = {"eu-central-1": f"10.{50 + len(env)}.0.0/16"}
            d["availability_zones"] = 3 if d["tier"] == "production" else 2
            d["cluster"]["node_groups"][0].update(instance_types=["m6i.large"], min_size=3, max_size=6)
            d["platform_admins"]["principal_arns"] = [f"arn:aws:iam::{account}:role/admin"]
            if "dns" in d:
                d["dns"]["domain"] = f"{env}.{md_name}.example.com"
        edit_yaml(plan / f"{env}.yaml", env_change)
    for tenant in (plan / "tenants").glob("*.yaml"):
        def tenant_change(d: dict, t=tenant.stem) -> None:
            d.update(display_name=t.title(), groups={"developers": [f"{t}-developers"]})
            for env, override in d["environments"].items():
                override["access_principals"] = {"developers": [f"arn:aws:iam::{accounts[env]}:role/{t}"]}
                if override.get("vpc_cidr") == TODO:
                    override["vpc_cidr"] = "10.90.0.0/16"
        edit_yaml(tenant, tenant_change)

    def platform_change(d: dict) -> None:
        d["name"] = md_name
        d["cluster"]["api_access"]["vpc"] = True
        if d["gitops"]["repo_url"] == TODO:
            d["gitops"]["repo_url"] = "https://github.com/example/gitops.git"
        if d["state_backend"]["bucket_prefix"] == TODO:
            d["state_backend"]["bucket_prefix"] = f"{md_name}-state"
        if "certificates" in d:
            d["certificates"]["acme_email"] = "ops@example.com"
        if d.get("constraints", {}).get("budget_alert_emails") == TODO:
            d["constraints"]["budget_alert_emails"] = ["finops@example.com"]
        for m in d.get("manifest_components", []):
            m.update(path=m["name"], namespace="kube-system")

    edit_yaml(plan / "platform.yaml", platform_change)
    charts = yaml.safe_load((plan / "platform.yaml").read_text()).get("charts") or {}
    versions = {"argocd": "7.9.1", "external-secrets": "0.10.7", "kube-prometheus-stack": "65.8.1"}
    if charts:
        _lock(plan, {c: (choice["version"], versions[c]) for c, choice in charts.items()})
    assert TODO not in "".join(p.read_text() for p in plan.rglob("*.yaml"))


def _leaves(data: object, path: tuple = ()) -> dict[tuple, object]:
    """Every decided value (lists whole, unless they hold something undecided)."""
    if isinstance(data, dict):
        return {k: v for key, value in data.items() for k, v in _leaves(value, (*path, key)).items()}
    if TODO in json.dumps(data):
        return {}
    return {path: data}


@pytest.mark.parametrize("name", ["small", "regulated", "acceptance"])
def test_document_of_import_keeps_every_decision_of_the_markdown(name: str, tmp_path: Path) -> None:
    text = _md(name)
    import_markdown(parse_markdown(text, f"{name}.md"), tmp_path / "plan")
    _fill(tmp_path / "plan", name)
    written = document(load_plan(tmp_path / "plan"))
    before = {rel: _leaves(d) for rel, d in _files(text, f"{name}.md").items()}
    after_md = parse_markdown(written, "written.md")
    from dataclasses import replace

    after = {rel: _leaves(yaml.safe_load(t)) for rel, t in plan_files(replace(after_md, appendix=())).items()}
    assert set(before) == set(after)
    for rel, decided in before.items():
        for path, value in decided.items():
            if rel == "platform.yaml" and path == ("name",):
                continue
            assert after[rel].get(path) == value, (rel, path)


@pytest.mark.parametrize("path", ["../outside.yaml", "/etc/passwd", "tenants/../../x.yaml", "notes.txt"])
def test_an_appendix_file_outside_the_plan_folder_is_refused(path: str, tmp_path: Path) -> None:
    text = _md("small") + f"\n## Appendix: plan files\n\n### `{path}`\n\n```yaml\nname: x\n```\n"
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, f"### `{path}`") and "is no plan file" in issue.message
    (tmp_path / "plan.md").write_text(text)
    assert main(["import", str(tmp_path / "plan.md"), "--out", str(tmp_path / "out")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.md"]


def test_an_output_folder_filled_while_importing_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The move at the end fails (someone wrote into --out meanwhile): exit 2, their file kept, no temporary folder left."""
    (tmp_path / "plan.md").write_text(_md("small"))
    import os

    real = os.rename

    def filled_meanwhile(src, dst):
        if ".import-" in str(src):
            (tmp_path / "out").mkdir()
            (tmp_path / "out" / "theirs.txt").write_text("theirs")
        return real(src, dst)

    monkeypatch.setattr(os, "rename", filled_meanwhile)
    assert main(["import", str(tmp_path / "plan.md"), "--out", str(tmp_path / "out")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "plan.md"] and [p.name for p in (tmp_path / "out").iterdir()] == ["theirs.txt"]


# -- hostile or odd input: an error at its line, never a hang or a traceback ------------------------


def _first_issue_within(text: str, tmp_path: Path, seconds: int = 30) -> str:
    """'<line> <message>' of the first issue import finds in ``text``, read in a subprocess killed after
    ``seconds``: a running regular expression or YAML expansion cannot be interrupted in-process."""
    import subprocess
    import sys

    (tmp_path / "plan.md").write_text(text)
    code = (
        "import sys; from pathlib import Path; from constructs_lib.markdown import plan_files; "
        "from constructs_lib.markdown.reader import parse_markdown; from constructs_lib.plan import PlanError\n"
        "try:\n    plan_files(parse_markdown(Path(sys.argv[1]).read_text()))\n"
        "except PlanError as e:\n    print(e.issues[0].line, e.issues[0].message)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "plan.md")], capture_output=True, text=True, timeout=seconds, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_long_runs_of_spaces_are_read_in_linear_time(tmp_path: Path) -> None:
    """A heading and a Technical Context line each holding a long run of spaces (no closing, no colon):
    the heading pattern backtracked cubically and the label pattern quadratically, so a 1 MiB Markdown
    plan from anyone hung import."""
    text = _md("small").replace("## Technical Context\n", "## Technical Context\nIaC Tools" + " " * 200_000 + "x\n", 1) + "## a" + " " * 10_000 + "b\n"
    line = _line_of(_md("small"), "## Technical Context") + 1
    assert _first_issue_within(text, tmp_path).startswith(f"{line} expected '**Label**: value'")


@pytest.mark.parametrize(
    "label, code_point",
    [("Kuber\u200bnetes:", "U+200B ZERO WIDTH SPACE"), ("\u041aubernetes:", "U+041A CYRILLIC CAPITAL LETTER KA"), ("Kubernetes\uff1a", "U+FF1A FULLWIDTH COLON")],
)
def test_a_label_with_look_alike_characters_is_refused_at_its_line(label: str, code_point: str) -> None:
    """Written without a bullet under another label, such a line was read as that value's continuation:
    the Kubernetes decision vanished into the IaC Tools value without a word."""
    text = re.sub(r"(?m)^- ", "", _md("regulated")).replace("Kubernetes:", label, 1)
    issues = _issues(text)
    assert [(i.line, i.message) for i in issues] == [(_line_of(text, label), f"'Kubernetes' is written with characters that are not ASCII ({code_point})")]
    assert issues[0].hint == "type the label again: Kubernetes: value"


def _with_appendix(body: str) -> str:
    return _md("small") + f"\n## Appendix: plan files\n\n### `platform.yaml`\n\n```yaml\n{body}```\n"


def test_an_appendix_nested_too_deep_is_an_error_at_its_line() -> None:
    """yaml.safe_load recursed once per level: 100,000 '[' raised RecursionError out of import."""
    text = _with_appendix("name: x\nnested: " + "[" * 100_000 + "\n")
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, "nested: [") and "nested more than 64 levels deep" in issue.message


def test_an_appendix_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    """yaml.safe_load shared the aliased lists, and import then walked 9**8 values (it hung)."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(7)]
    text = _with_appendix("\n".join(lines) + "\n")
    line, message = _first_issue_within(text, tmp_path).split(" ", 1)
    assert "more than 100,000 values" in message and int(line) in range(_line_of(text, "a: &a"), _line_of(text, "h: &h") + 1)


def test_an_appendix_yaml_error_names_its_own_line_and_reads_the_core_schema() -> None:
    """The first line's error was reported on the fence above it; and the appendix is read as plan files are
    (YAML 1.2 core schema: no Python tags)."""
    text = _with_appendix("name: a: b\n")
    (issue,) = _issues(text)
    assert issue.line == _line_of(text, "name: a: b")
    (issue,) = _issues(_with_appendix("name: !!python/object/apply:os.system [id]\n"))
    assert "!!python/object/apply:os.system" in issue.message


def test_plan_text_holding_an_html_comment_opener_survives_the_round_trip(plan_copy: Path) -> None:
    """A justification or gate description with '<!--' made import read the rest of the document as an HTML
    comment: the justification was cut there and the row's other cells lost, without a word."""

    def opener(d: dict) -> None:
        d["complexity_tracking"][0]["justification"] = "card data <!-- PCI scope; | not the shared cluster"
        d["constitution"][0]["description"] = "validate passes <!-- and nothing is left undecided"

    edit_yaml(plan_copy / "platform.yaml", opener)
    md = document(load_plan(plan_copy))
    assert "<!--" not in md.split("## Appendix: plan files")[0]
    files = plan_files(parse_markdown(md, "plan.md"))
    assert files["platform.yaml"] == (plan_copy / "platform.yaml").read_text()


@pytest.mark.parametrize(
    "text, frameworks",
    [
        ("compliance (SOC 2 Type II, PCI DSS v4.0, ISO 27001:2022)", ["SOC2", "PCI-DSS", "ISO27001"]),
        ("SOC 2 Type 2 and HIPAA", ["SOC2", "HIPAA"]),
        ("PCI-DSS 4.0.1, ISO/IEC 27001", ["PCI-DSS", "ISO27001"]),
        ("ISO27001:2022", ["ISO27001"]),
    ],
)
def test_a_framework_written_with_its_version_or_report_type_is_read(text: str, frameworks: list[str]) -> None:
    """'SOC 2 Type II', 'PCI DSS v4.0', 'ISO 27001:2022' are how teams write them; each was refused ('Type' is no framework)."""
    from constructs_lib.markdown import values

    assert values.constraints(text)[("constraints", "compliance")] == frameworks
    with pytest.raises(values.Unreadable, match="'FedRAMP' is no"):  # still refused, never dropped
        values.constraints(text + ", FedRAMP")


def test_a_fifo_or_an_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    """read_bytes read the whole file before the 1 MiB check (`infraplan import /dev/zero` never ended) and blocked
    on a FIFO nobody writes; in a subprocess, so the old behaviour fails instead of hanging the suite."""
    import os
    import subprocess
    import sys

    os.mkfifo(tmp_path / "plan.md")
    with open(tmp_path / "big.md", "wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse
    code = (
        "import sys; from stacks.cli import main\n"
        "print(main(['import', sys.argv[1], '--out', sys.argv[2]]), main(['import', sys.argv[3], '--out', sys.argv[2]]))\n"
    )
    args = [str(tmp_path / "plan.md"), str(tmp_path / "out"), str(tmp_path / "big.md")]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=30, cwd=Path(__file__).parent.parent)
    assert done.stdout.split()[-2:] == ["2", "2"], done.stderr[-2000:]
    assert "not a regular file" in done.stderr and "larger than 1048576 bytes" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("odd", ["\u2028", "\x0c", "\x1c", "\x85"])
def test_a_line_number_is_the_editors_after_a_unicode_line_separator(odd: str) -> None:
    """str.splitlines breaks at U+2028, a form feed and other separators no editor counts: every issue after
    one named a line too far down."""
    text = _md("small").replace("## Summary\n", f"## Summary\n\nA platform{odd}for the shop.\n", 1).replace("## Technical Context\n", "## Technical Context\nbogus line\n", 1)
    (issue,) = [i for i in _issues(text) if "bogus" in i.message]
    assert issue.line == text[: text.index("bogus line")].count("\n") + 1
