"""Acceptance (#14, #15): the flow a platform team runs on its own Markdown plan, command by command
through the installed CLI, as a user's terminal or CI runs it (a subprocess each, in an environment
without infraplan's test settings):

import -> validate (every open decision, one round) -> fill -> charts lock (a local Helm repository)
-> validate -> explain -> synth -> check -> document -> import of that document -> the same synth.

The plan is tests/fixtures/markdown/acceptance.md: multi-region, PCI-DSS and SOC2, three
organizations (one on a dedicated cluster), argo-cd 7.x, kube-prometheus-stack 65.x,
external-secrets 0.10.x, "EU and US regions only", "$40k/month". What is asserted is what the user
relies on, not exit codes alone."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import edit_yaml
from test_charts_lock import Repos

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MARKDOWN = Path(__file__).parent / "fixtures" / "markdown" / "acceptance.md"
TODO = "NEEDS CLARIFICATION"
ACCOUNTS = {"staging": "111111111111", "prod": "222222222222"}


@pytest.fixture
def helm_repos() -> Iterator[Repos]:
    """A chart mirror (http, an IP and a port, as many companies run one) publishing older and newer series."""
    r = Repos()
    server = ThreadingHTTPServer(("127.0.0.1", r.port), r.handler())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    r.publish("argo", "argo-cd", "6.11.1", "7.7.0", "7.9.1", "8.1.3")
    r.publish("prom", "kube-prometheus-stack", "65.1.0", "65.8.1", "72.6.2")
    r.publish("eso", "external-secrets", "0.9.20", "0.10.5", "0.10.7", "0.17.0")
    yield r
    server.shutdown()
    server.server_close()


def infraplan(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: without the JSII_* settings the suite's conftest puts in os.environ
    (INFRAPLAN_TODAY stays: the EKS support calendar is judged on the suite's fixed day)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CHECKPOINT_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "stacks.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "b'!!" not in proc.stderr and "end-of-life" not in proc.stderr, f"jsii's Node banner reached the user: {proc.stderr[:400]}"
    return proc


def fill(plan: Path, mirror: str) -> None:
    """Decide what the Markdown left open, as the platform team does: EU primary, US secondary in prod."""
    for env, account in ACCOUNTS.items():
        def env_change(d: dict, env: str = env, account: str = account) -> None:
            base = {"staging": 20, "prod": 30}[env]
            d.update(account_id=account, vpc_cidr=f"10.{base}.0.0/16", availability_zones=3)
            d.pop("region_vpc_cidrs")
            d["regions"] = ["eu-west-1", "us-east-1"] if env == "prod" else ["eu-west-1"]  # payments' dedicated staging cluster is single-region
            if env == "prod":
                d["region_vpc_cidrs"] = {"us-east-1": f"10.{base + 1}.0.0/16"}
            d["cluster"]["node_groups"][0].update(instance_types=["m6i.large"], min_size=3, max_size=9)
            d["platform_admins"]["principal_arns"] = [f"arn:aws:iam::{account}:role/platform-admin"]
            d["dns"]["domain"] = f"{env}.tessera.example.com"

        edit_yaml(plan / f"{env}.yaml", env_change)
    for tenant in (plan / "tenants").glob("*.yaml"):
        def tenant_change(d: dict, t: str = tenant.stem) -> None:
            d.update(display_name=t.title(), groups={"developers": [f"{t}-developers"]})
            for env, override in d["environments"].items():
                override["access_principals"] = {"developers": [f"arn:aws:iam::{ACCOUNTS[env]}:role/{t}-developers"]}
                if override.get("vpc_cidr") == TODO:
                    override["vpc_cidr"] = "10.40.0.0/16"

        edit_yaml(tenant, tenant_change)

    def platform_change(d: dict) -> None:
        d["cluster"]["api_access"]["vpc"] = True
        d["gitops"]["repo_url"] = "https://git.tessera.example/platform/gitops.git"
        d["state_backend"]["bucket_prefix"] = "tessera-tfstate"
        d["certificates"]["acme_email"] = "platform@tessera.example"
        d["constraints"]["budget_alert_emails"] = ["finops@tessera.example"]
        for component, repo in (("argocd", "argo"), ("kube-prometheus-stack", "prom"), ("external-secrets", "eso")):
            d["charts"][component]["repo_url"] = f"{mirror}/{repo}"  # the company's chart mirror

    edit_yaml(plan / "platform.yaml", platform_change)
    assert TODO not in "".join(p.read_text() for p in plan.rglob("*.yaml"))


def _explain(work: Path, env: str) -> dict[str, str]:
    """explain --json: setting -> its value, source and reason as one text to search."""
    settings = json.loads(infraplan("explain", "--plan", "plan", "--env", env, "--json", cwd=work).stdout)["settings"]
    return {s["path"]: f"{json.dumps(s['value'])} | {s['source']['kind']}: {s['source']['ref']} | {s['source']['reason']}" for s in settings}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_regulated_multi_region_plan_from_markdown_to_gates_and_back(tmp_path: Path, helm_repos: Repos) -> None:
    work = tmp_path
    shutil.copy(MARKDOWN, work / "plan.md")

    # 1. import: a plan folder; 2. validate lists every open decision at once, each saying what to decide
    assert infraplan("import", "plan.md", "--out", "plan", cwd=work).returncode == 0
    first = infraplan("validate", "--plan", "plan", cwd=work)
    assert first.returncode == 2
    problems = re.findall(r"^(\S+?):(\d+): (\S+): (.*)\n\s+hint: (.*)$", first.stderr, re.M)
    assert problems and all("NEEDS CLARIFICATION" in message for *_, message, _ in problems)  # one round: nothing else yet
    assert all(hint.startswith("decide this value before synthesizing: ") for *_, hint in problems)  # each says what the field decides
    undecided = {(Path(f).name, path) for f, _, path, _, _ in problems}
    assert {("platform.yaml", "constraints.budget_alert_emails"), ("prod.yaml", "account_id"), ("payments.yaml", "environments.staging.vpc_cidr")} <= undecided

    # 3. fill them; 4. charts lock against the mirror: the highest release of each series the Markdown chose
    fill(work / "plan", helm_repos.url)
    locked = infraplan("charts", "lock", "--plan", "plan", cwd=work)
    assert locked.returncode == 0, locked.stderr
    lock = yaml.safe_load((work / "plan/charts.lock").read_text())["charts"]
    assert {c: e["version"] for c, e in lock.items()} == {"argocd": "7.9.1", "kube-prometheus-stack": "65.8.1", "external-secrets": "0.10.7"}

    # 5. validate
    valid = infraplan("validate", "--plan", "plan", cwd=work)
    assert valid.returncode == 0, valid.stderr

    # 6. explain: the frameworks' controls, the goals, the justifications, the locked charts, the budget split
    prod = _explain(work, "prod")
    assert {"compliance.PCI-DSS.audit_trail", "compliance.PCI-DSS.log_retention_days", "compliance.SOC2.backup_retention_days", "compliance.SOC2.eks_log_types"} <= set(prod)
    assert "PCI DSS v4.0 10.2.1" in prod["compliance.PCI-DSS.audit_trail"] and "SOC 2 A1.2" in prod["compliance.SOC2.backup_retention_days"]
    assert {"goals.uptime_percent", "goals.rto_minutes", "goals.rpo_minutes"} <= set(prod)
    assert "Multi-region deployment" in prod["complexity.multi-region"]
    assert "argo-cd 7.9.1" in prod["cluster.addons.argocd.chart"] and "charts.lock" in prod["cluster.addons.argocd.chart"]
    assert '"limit_usd": 20000' in prod["budget"]  # $40k/month over two environments
    staging = _explain(work, "staging")
    assert "payments gets a dedicated cluster" in staging["complexity.dedicated-cluster.payments"]

    # 7. synth: what the decisions must have driven
    assert infraplan("synth", "--plan", "plan", "--out", "out", cwd=work).returncode == 0
    out = work / "out"
    stacks = {p.parent.name: json.loads(p.read_text()) for p in (out / "terraform/stacks").glob("*/cdk.tf.json")}
    assert {"prod-platform", "prod-us-east-1-platform", "staging-tenant-payments"} <= set(stacks)
    trails = {s for s, d in stacks.items() if d.get("resource", {}).get("aws_cloudtrail")}
    assert trails == {"prod-platform"}  # production is in scope of PCI-DSS and SOC2; staging is not
    budgets = {s: [b["limit_amount"] for b in d["resource"]["aws_budgets_budget"].values()] for s, d in stacks.items() if d.get("resource", {}).get("aws_budgets_budget")}
    assert budgets == {"prod-platform": ["20000"], "staging-platform": ["20000"]}
    for d in stacks.values():
        for provider in d.get("provider", {}).get("aws", []):
            assert provider["region"].startswith(("eu-", "us-"))
    trees = {p.name for p in (out / "kubernetes").iterdir()}
    assert trees == {"prod", "prod-us-east-1", "staging", "staging-payments"}
    for tree in trees:
        app = yaml.safe_load((out / "kubernetes" / tree / "bootstrap/argocd/install/application.yaml").read_text())
        assert (app["spec"]["source"]["chart"], app["spec"]["source"]["targetRevision"]) == ("argo-cd", "7.9.1")
        assert app["spec"]["source"]["repoURL"] == f"{helm_repos.url}/argo"
        kinds = [yaml.safe_load(p.read_text()) for p in (out / "kubernetes" / tree).rglob("*.yaml")]
        eso = [k for k in kinds if isinstance(k, dict) and str(k.get("apiVersion", "")).startswith("external-secrets.io/")]
        assert eso and {k["apiVersion"] for k in eso} == {"external-secrets.io/v1beta1"}  # 0.10 serves no v1

    # 8. check: every required gate passes, the manual one is listed as MANUAL, never passed
    checked = infraplan("check", "--plan", "plan", "--json", cwd=work)
    report = json.loads(checked.stdout)
    assert checked.returncode == 0 and report["exit_code"] == 0, checked.stdout[-2000:]
    statuses = {(e["name"], g["id"]): g["status"] for e in report["environments"] for g in e["gates"]}
    assert {env for env, _ in statuses} == {"staging", "prod"}
    assert {s for (_, gate), s in statuses.items() if gate != "quarterly-review"} == {"pass"}
    assert {s for (_, gate), s in statuses.items() if gate == "quarterly-review"} == {"manual"}
    (work / "check.json").write_text(checked.stdout)

    # 9. document (with the gates' status), 10. import of that document: the same plan, the same output
    assert infraplan("document", "--plan", "plan", "--out", "written.md", "--check-results", "check.json", cwd=work).returncode == 0
    written = (work / "written.md").read_text()
    assert "| pinned | pinned-versions | yes | - | pass |" in written and "| External Secrets (external-secrets) | ✅ Yes | " + f"{helm_repos.url}/eso | 0.10.x | locked 0.10.7" in written
    assert infraplan("import", "written.md", "--out", "again", cwd=work).returncode == 0
    assert infraplan("synth", "--plan", "again", "--out", "out-again", cwd=work).returncode == 0
    assert _tree(work / "out-again") == _tree(out)
