"""A plan in the Implementation Plan template's format (``infraplan document``).

Deterministic (no dates, no absolute paths), for review in a pull request. The Technical Context,
Helm Chart Discovery, Constitution Check and Complexity Tracking say the plan's decisions in the
words ``infraplan import`` reads back; the Project Structure and the Deployment Decision Matrix are
what synth writes for it. What the template has no place for (accounts, regions, CIDRs, node groups,
tenants' apps...) is under ``## Appendix: plan files``: each plan file verbatim in a fenced YAML block,
which a reviewer reads as YAML and import takes as the base it writes the Markdown's decisions over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..addons import addon as registered_addon
from ..plan.chart_lock import LOCK_FILE
from ..plan.loader import Plan
from .model import APPENDIX_HEADING
from .values import REGION_WORDS, TIER_WORDS, duration_text

DISPLAY = {
    "argocd": "ArgoCD",
    "ingress-nginx": "Ingress Controller (ingress-nginx)",
    "cert-manager": "Cert Manager (cert-manager)",
    "external-secrets": "External Secrets (external-secrets)",
    "external-dns": "External DNS (external-dns)",
    "kube-prometheus-stack": "Prometheus Stack (kube-prometheus-stack)",
    "aws-load-balancer-controller": "AWS Load Balancer Controller (aws-load-balancer-controller)",
}
STRATEGY = {"helm-first": "Helm-first with Kustomize fallback", "kustomize-only": "Kustomize-only", "raw-manifests": "Raw manifests"}
LOCKS = {"dynamodb+lockfile": "S3 + DynamoDB + S3 lockfile", "dynamodb": "S3 + DynamoDB", "lockfile": "S3 + S3 lockfile"}


def _text(text: str) -> str:
    """Plan text outside a code block: ``<!--`` escaped (``<\\!--``, as Markdown renders it), or import would read the
    rest of the document as an HTML comment and lose it."""
    return text.replace("<!--", "<\\!--")


def _cell(text: Any) -> str:
    """A table cell: one line, a literal bar escaped."""
    return _text(" ".join(str(text).split()).replace("|", "\\|"))


def _row(*cells: Any) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _environments(plan: Plan) -> str:
    parts = []
    for name, env in plan.environments.items():
        parts.append(name if TIER_WORDS.get(name) == (name, env.tier) else f"{name} ({env.tier})")
    return ", ".join(parts)


def _dedicated(plan: Plan, tenant: str) -> str:
    t = plan.tenants[tenant]
    envs = [e for e in plan.environments if ((t.environments.get(e) and t.environments[e].isolation) or t.isolation) == "dedicated"]
    if envs and len(envs) == len(plan.environments):
        return f"{tenant} dedicated"
    return f"{tenant} dedicated in {' and '.join(envs)}" if envs else tenant


def _constraints(plan: Plan) -> str:
    c = plan.platform.constraints
    parts = []
    if c.monthly_budget_usd is not None:
        amount = f"${c.monthly_budget_usd // 1000}k" if c.monthly_budget_usd % 1000 == 0 else f"${c.monthly_budget_usd:,}"
        parts.append(f"budget {amount}/month" + (f" (alerts to {', '.join(c.budget_alert_emails)})" if c.budget_alert_emails else ""))
    elif c.budget_alert_emails:
        parts.append(", ".join(c.budget_alert_emails))
    if c.compliance:
        parts.append(f"compliance ({', '.join(c.compliance)})")
    if c.data_residency:
        words = {p: w.upper() for w, p in REGION_WORDS.items() if w != "apac"}
        parts.append(f"{' and '.join(words.get(p, p) for p in c.data_residency)} regions only")
    return ", ".join(parts) or "none"


def technical_context(plan: Plan) -> list[str]:
    p = plan.platform
    g = p.gitops
    perf = p.performance
    goals = [f"{perf.uptime_percent:g}% uptime", f"RTO < {duration_text(perf.rto_minutes)}", f"RPO < {duration_text(perf.rpo_minutes)}"]
    goals += [f"{perf.max_pods} pods"] if perf.max_pods is not None else []
    goals += ["region failure"] if perf.failure_scope == "region" else []
    orgs = f" ({', '.join(_dedicated(plan, t) for t in plan.tenants)})" if plan.tenants else ""
    bootstrap = "Pulumi for cluster bootstrap" if p.iac.cluster_bootstrap == "pulumi" else "cluster bootstrap by hand (gitops-only)"
    operator = "External Secrets Operator" if p.secrets.operator == "external-secrets" else "no operator"
    values = {
        "Cloud Provider": "AWS",
        "IaC Tools": f"Terraform 1.11 (via CDK for Terraform), {bootstrap}",
        "Kubernetes": f"EKS {p.kubernetes.version}",
        "GitOps": f"{'ArgoCD' if g.tool == 'argocd' else 'none'} (repo {g.repo_url}, path {g.path}, revision {g.target_revision}, auth {g.repository_auth})",
        "Deployment Strategy": STRATEGY[p.deployment_strategy],
        "State Backend": f"{LOCKS[p.state_backend.lock]} (bucket prefix {p.state_backend.bucket_prefix})",
        "Secrets Management": f"AWS Secrets Manager ({operator}, path prefix {p.secrets.path_prefix})",
        "Validation": ", ".join(p.validation),
        "Target Environment": _environments(plan),
        "Deployment Type": p.deployment_type,
        "Performance Goals": ", ".join(goals),
        "Constraints": _constraints(plan),
        "Scale/Scope": f"{p.scale.tenants} organizations{orgs}, {p.scale.namespaces_per_tenant} namespaces per organization, {p.scale.max_nodes} nodes",
    }
    return ["## Technical Context", "", *(f"**{label}**: {value}  " for label, value in values.items()), ""]


def helm_charts(plan: Plan) -> list[str]:
    p = plan.platform
    locked = plan.charts
    lines = ["## Helm Chart Discovery", "", "### Infrastructure Components", "", _row("Component", "Helm Available?", "Chart Source", "Version", "Notes"), "|---|---|---|---|---|"]
    for name in (["argocd"] if p.gitops.tool == "argocd" else []) + list(p.components):
        catalog = registered_addon(name).chart
        choice = p.charts.get(name)
        repo = (choice.repo_url if choice and choice.repo_url else None) or catalog.repo_url
        chart = (choice.chart if choice and choice.chart else None) or catalog.chart
        source = repo + (f" (chart: {chart})" if chart != catalog.chart else "")
        if choice is not None:
            ref = locked.get(name)
            note = f"locked {ref.version} ({LOCK_FILE})" if ref is not None else f"not locked: run infraplan charts lock"
            version = choice.version
        else:
            note, version = f"catalog pin ({catalog.maintainer} chart)", catalog.version
        lines.append(_row(DISPLAY.get(name, name), "✅ Yes", source, version, note))
    for m in p.manifest_components:
        lines.append(_row(m.name, "❌ No", m.repo_url, m.revision, f"Kustomize + ArgoCD: path {m.path}, namespace {m.namespace}"))
    return [*lines, ""]


def constitution(plan: Plan, results: dict[str, dict[str, str]] | None) -> list[str]:
    lines = ["## Constitution Check", "", "*GATE: Must pass before Phase 0 research. Re-check after Phase 1 design.*", ""]
    lines.append("Status: from `infraplan check --json`." if results is not None else "Status: not run (`infraplan document --check-results FILE` takes the output of `infraplan check --json`).")
    lines += ["", _row("Gate", "Rule", "Required", "Params", "Status", "Guarantee"), "|---|---|---|---|---|---|"]
    for gate in plan.platform.constitution:
        params = f"`{json.dumps(gate.params, separators=(', ', ': '))}`" if gate.params else "-"
        lines.append(_row(gate.id, gate.rule or "manual", "yes" if gate.required else "no", params, _status(results, gate.id), gate.description))
    return [*lines, ""]


def _status(results: dict[str, dict[str, str]] | None, gate: str) -> str:
    """One status, or each with its environments where they differ."""
    if results is None or gate not in results:
        return "not run"
    by_status: dict[str, list[str]] = {}
    for env, status in results[gate].items():
        by_status.setdefault(status, []).append(env)
    if len(by_status) == 1:
        return next(iter(by_status))
    return "; ".join(f"{s}: {', '.join(envs)}" for s, envs in by_status.items())


def check_results(data: Any) -> dict[str, dict[str, str]]:
    """``infraplan check --json`` output as {gate: {environment: status}}; ValueError if it is not that."""
    if not isinstance(data, dict) or not isinstance(data.get("environments"), list):
        raise ValueError("not the output of infraplan check --json (no 'environments' list)")
    out: dict[str, dict[str, str]] = {}
    for env in data["environments"]:
        for gate in env.get("gates", []) if isinstance(env, dict) else []:
            out.setdefault(str(gate["id"]), {})[str(env["name"])] = str(gate["status"])
    return out


def complexity(plan: Plan) -> list[str]:
    lines = ["## Complexity Tracking", "", "> **Fill ONLY if Constitution Check has violations that must be justified**", ""]
    lines += [_row("Violation", "Why Needed", "Simpler Alternative Rejected Because"), "|---|---|---|"]
    for entry in plan.platform.complexity_tracking:
        lines.append(_row(entry.decision, entry.justification, entry.simpler_alternative_rejected or "-"))
    return [*lines, ""]


def appendix(plan: Plan) -> list[str]:
    """Each plan file verbatim: the decisions the template holds nowhere else, for import to take back."""
    lines = [f"## {APPENDIX_HEADING}", "", "The plan files as they are; `infraplan import` writes the decisions above over them.", ""]
    files = [("platform.yaml", plan.origin("platform"))]
    files += [(Path(plan.origin(f"environments.{n}")).name, plan.origin(f"environments.{n}")) for n in sorted(plan.environments)]
    files += [(f"tenants/{Path(plan.origin(f'tenants.{n}')).name}", plan.origin(f"tenants.{n}")) for n in sorted(plan.tenants)]
    if plan.chart_lock is not None:
        files.append((LOCK_FILE, plan.origin("charts.lock")))
    for rel, path in files:
        text = Path(path).read_text(encoding="utf-8")
        fence = "```"
        while fence in text:
            fence += "`"
        lines += [f"### `{rel}`", "", f"{fence}yaml", text.rstrip("\n"), fence, ""]
    return lines


def _tree(root: str, children: dict[str, list[str]]) -> list[str]:
    """``root/`` with its children and their children, drawn as the template draws trees."""
    lines = [f"{root}/"]
    names = list(children)
    for i, name in enumerate(names):
        last = i == len(names) - 1
        lines.append(f"{'└── ' if last else '├── '}{name}/")
        for j, sub in enumerate(children[name]):
            lines.append(f"{'    ' if last else '│   '}{'└── ' if j == len(children[name]) - 1 else '├── '}{sub}/")
    return lines


def project_structure(plan: Plan) -> list[str]:
    """The folders synth writes for this plan (its stacks and its clusters' trees), and the template's option it is."""
    from ..kubernetes.tree import render_environment
    from ..resolve.environment import resolve_plan

    stacks: dict[str, list[str]] = {}
    clusters: dict[str, list[str]] = {}
    for env in resolve_plan(plan, None):
        names = [env.state_stack_name, env.stack_name, *(r.stack_name for r in env.secondary_regions), *(t.stack_name for t in env.tenants)]
        stacks.update({n: [] for n in names})
        for rel in sorted(render_environment(env)):
            key, top = rel.split("/")[:2]
            if top not in clusters.setdefault(key, []) and "/" in rel.split("/", 1)[1]:
                clusters[key].append(top)
    tree = ["```text", *_tree("terraform/stacks", stacks), "", *_tree("kubernetes", clusters)]
    if plan.platform.iac.cluster_bootstrap == "pulumi":
        tree += ["", "Pulumi.yaml                      # a Pulumi stack per cluster: " + ", ".join(clusters)]
    else:
        tree += ["", *_tree("bootstrap", {k: [] for k in clusters})]
    tree.append("```")
    if plan.tenants:
        option = "Option 3 (multi-tenant): a Terraform stack per tenant and environment, the shared platform's stacks per environment"
    else:
        option = "Option 2 (multi-tool): Terraform stacks per environment and a GitOps tree per cluster"
    return ["## Project Structure", "", "### Infrastructure Code (repository root)", "", *tree, "",
            f"**Structure Decision**: {option}; `infraplan synth` writes the folders above (docs/gitops.md has each cluster's tree).", ""]  # fmt: skip


def decision_matrix(plan: Plan) -> list[str]:
    """Per component (the add-ons, the manifest components, the tenants' apps): the template's scenario and strategy."""
    p = plan.platform
    how = {"helm-first": "Helm + ArgoCD", "kustomize-only": "Helm chart inflated by Kustomize + ArgoCD", "raw-manifests": "Helm chart rendered to manifests + ArgoCD"}[p.deployment_strategy]
    if p.gitops.tool == "none":
        how = "Helm release (Pulumi program)"
    lines = ["## Deployment Decision Matrix", "", _row("Component", "Scenario", "Strategy", "infraplan action"), "|---|---|---|---|"]
    for name in (["argocd"] if p.gitops.tool == "argocd" else []) + list(p.components):
        chart = registered_addon(name).chart
        scenario = "Component has official Helm chart" if chart.maintainer == "official" else "Component has community Helm chart (>1k downloads)"
        strategy = "Helm + values overlay" if name in p.component_values else how
        action = f"{chart.chart} chart in namespace {chart.namespace}, sync wave {chart.sync_wave}" + (" with the plan's values overlay" if name in p.component_values else "")
        lines.append(_row(DISPLAY.get(name, name), scenario, strategy, action))
    for m in p.manifest_components:
        lines.append(_row(m.name, "No Helm chart available", "Kustomize + ArgoCD", f"{m.repo_url} at {m.revision}, path {m.path}, namespace {m.namespace}"))
    for tenant in plan.tenants.values():
        for app in tenant.apps:
            lines.append(_row(f"{tenant.name}/{app.name}", "Custom user application", "Kustomize + ArgoCD", f"apps/{app.name}: a base and an overlay per environment, namespace {app.namespace}"))
    return [*lines, ""]


def _team_summary(plan: Plan) -> str | None:
    """The Markdown's own Summary, which import keeps in platform.yaml's leading comments (``# Summary: ...``)."""
    try:
        text = Path(plan.origin("platform")).read_text(encoding="utf-8")
    except (OSError, KeyError, ValueError):  # a plan built in Python has no file
        return None
    found: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if found or line.startswith("# Summary: "):
            found.append(line[1:].strip())
    return " ".join(found).removeprefix("Summary: ").strip() or None


def summary(plan: Plan) -> list[str]:
    """The team's Summary where the plan keeps one; otherwise one written from the plan."""
    if own := _team_summary(plan):
        return ["## Summary", "", _text(own), ""]
    p = plan.platform
    text = (
        f"The {p.name} platform on AWS: EKS {p.kubernetes.version} in {len(plan.environments)} environment(s) ({', '.join(plan.environments)}), "
        f"{len(plan.tenants)} organization(s), {'GitOps with ArgoCD' if p.gitops.tool == 'argocd' else 'no GitOps (the Pulumi program applies the add-ons)'}; "
        "Terraform through CDK for Terraform, written by infraplan from this plan."
    )
    return ["## Summary", "", text, ""]


def document(plan: Plan, results: dict[str, dict[str, str]] | None = None) -> str:
    """The whole Markdown plan; ``results`` is infraplan check's outcome per gate and environment."""
    lines = [f"# Implementation Plan: {plan.platform.name}", "", "**Input**: the infraplan plan folder (`infraplan document`); `infraplan import` reads this file back.", ""]
    lines += summary(plan) + technical_context(plan) + helm_charts(plan) + constitution(plan, results)
    lines += project_structure(plan) + decision_matrix(plan) + complexity(plan) + appendix(plan)
    return "\n".join(lines).rstrip("\n") + "\n"
