"""Run a plan's constitution over its synthesized output: each gate, per environment.

``run_gates`` takes what ``synth`` wrote (``out``) and the resolved environments; the CLI
(``stacks/check.py``) synthesizes into a temporary folder first. A gate with no rule is MANUAL;
a rule whose tool is not selected in ``validation:`` or not installed is NOT RUN, saying how to
install it; otherwise the rule's runner decides PASS or FAIL with its findings.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..plan.loader import Plan
from ..plan.platform import Gate
from ..resolve.model import ResolvedEnvironment
from . import checkov as checkov_gate
from . import manifests, policy, terraform
from .report import CheckReport, GateResult, Status
from .rules import RULES, TOOLS, check_rule, tool_name


@dataclass
class CheckContext:
    """What the rules read, and what they compute once for every environment (``cache``)."""

    plan: Plan
    plan_dir: Path
    out: Path  # the synthesized output: terraform/stacks/<stack>/, kubernetes/<cluster key>/
    work: Path  # a scratch folder of this run
    checkov: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            try:
                self.cache[key] = (True, compute())
            except Exception as exc:  # noqa: BLE001 (a tool's failure is the gate's finding)
                self.cache[key] = (False, exc)
        ok, value = self.cache[key]
        if not ok:
            raise value
        return value

    def stack_names(self, env: ResolvedEnvironment) -> list[str]:
        names = [env.state_stack_name, env.stack_name, *(r.stack_name for r in env.secondary_regions), *(t.stack_name for t in env.tenants)]
        root = self.out / "terraform" / "stacks"
        return [n for n in dict.fromkeys(names) if (root / n / "cdk.tf.json").is_file()]

    def stacks(self, env: ResolvedEnvironment) -> policy.Stacks:
        root = self.out / "terraform" / "stacks"
        return {n: self.once(f"stack:{n}", lambda n=n: json.loads((root / n / "cdk.tf.json").read_text())) for n in self.stack_names(env)}

    def cluster_keys(self, env: ResolvedEnvironment) -> list[str]:
        return [c.key for c, _ in env.clusters if (self.out / "kubernetes" / c.key).is_dir()]

    def tree(self, key: str) -> policy.Tree:
        return self.once(f"tree:{key}", lambda: list(manifests.tree_files(self.out / "kubernetes" / key)))


def tool_problem(tool: str, checkov: str | None) -> str | None:
    """Why ``tool`` cannot run on this machine (and how to install it), or None."""
    if tool == "terraform-validate" and shutil.which("terraform") is None:
        return "terraform is not on PATH: install Terraform >= 1.11 (https://developer.hashicorp.com/terraform/install)"
    if tool == "kustomize-build" and shutil.which("kubectl") is None:
        return "kubectl is not on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/)"
    if tool == "kubernetes-validate" and importlib.util.find_spec("kubernetes_validate") is None:
        return "the kubernetes-validate package is not installed: pip install 'infraplan[check]'"
    if tool == "crd-schema" and importlib.util.find_spec("jsonschema") is None:
        return "the jsonschema package is not installed: pip install 'infraplan[check]'"
    if tool == "checkov" and checkov_gate.locate(checkov) is None:
        return f"checkov is not installed: {checkov_gate.INSTALL}"
    return None


def not_run_reason(rule: str, selected: set[str], checkov: str | None) -> tuple[str, tuple[str, ...]] | None:
    needs = RULES[rule].tools
    unselected = [t for t in needs if t not in selected]
    if unselected:
        return (
            f"needs {', '.join(unselected)}, not selected in platform.yaml validation:",
            tuple(f"add '{t}' to validation: in platform.yaml ({TOOLS[t]})" for t in unselected),
        )
    missing = [p for t in needs if (p := tool_problem(t, checkov)) is not None]
    return ("a tool it needs is not installed", tuple(missing)) if missing else None


Outcome = tuple[list[str], str]  # (problems, what was checked: the PASS reason)
Runner = Callable[[CheckContext, ResolvedEnvironment, Any], Outcome]


def _plan_validates(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    return [], f"the plan is valid ({len(ctx.plan.files)} files) and {env.name} resolves"


def _terraform_validate(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    names = ctx.stack_names(env)
    problems = terraform.validate_stacks(ctx.out / "terraform" / "stacks", names)
    return problems, f"{len(names)} stacks valid ({', '.join(names)})"


def _provider_schema(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    root = ctx.out / "terraform" / "stacks"
    schema = ctx.once("aws-schema", lambda: terraform.provider_schema(root, sorted(p.name for p in root.iterdir()), ctx.work / "provider-schema"))
    seen: set[str] = set()
    names = ctx.stack_names(env)
    problems = terraform.schema_problems(ctx.out, schema, seen, names)
    return problems, f"{len(seen)} resource, data source and ephemeral types in {len(names)} stacks match the AWS provider's schema"


def _manifests_validate(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    from ..addons import chart_catalog

    catalog = {ref.chart: ref.version for ref in chart_catalog().values()}
    version = manifests.kubernetes_validate_version(ctx.plan.platform.kubernetes.version)
    problems, count = [], 0
    for key in ctx.cluster_keys(env):
        found, n = ctx.once(f"manifests:{key}", lambda key=key: manifests.validate_cluster(ctx.out / "kubernetes" / key, version, catalog))
        problems += found
        count += n
    return problems, f"{count} objects of {len(ctx.cluster_keys(env))} cluster trees build and validate (Kubernetes schemas {version}, CRD schemas of the pinned charts)"


def _pinned_versions(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    import yaml

    problems = []
    for key in ctx.cluster_keys(env):
        root = ctx.out / "kubernetes" / key
        kustomizations = [(str(p.relative_to(root)), yaml.safe_load(p.read_text()) or {}) for p in sorted(root.rglob("kustomization.yaml"))]
        problems += policy.pinning_problems(key, ctx.tree(key), kustomizations, ctx.plan.platform.gitops.repo_url, {})
    problems += policy.pinning_problems("", [], [], None, ctx.stacks(env))
    return problems, "charts, Git sources, images, providers and EKS add-ons are at exact versions"


def _encryption(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    trees = {k: ctx.tree(k) for k in ctx.cluster_keys(env)}
    return policy.encryption_problems(ctx.stacks(env), trees), "databases, volumes, buckets, tables, logs, secrets and cluster secrets are encrypted with the account's keys"


def _no_public(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    return policy.public_endpoint_problems(ctx.stacks(env)), "no database, cluster API or bucket is public; no security group admits the internet"


def _min_azs(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    minimum = params.environments.get(env.name, params.min)
    return policy.az_problems(env, minimum), f"every subnet tier of {len(policy.networks(env))} network(s) spans at least {minimum} availability zones"


def _isolation(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    argocd = ctx.plan.platform.gitops.tool == "argocd"
    problems, count = [], 0
    for cluster, tenants in env.clusters:
        if (ctx.out / "kubernetes" / cluster.key).is_dir():
            problems += policy.isolation_problems(cluster.key, ctx.tree(cluster.key), tenants, argocd)
            count += sum(len(t.namespaces) for t in tenants)
    return problems, f"{count} tenant namespaces guarded (restricted, default-deny, quota, limits)" + (", AppProjects confined to them" if argocd else "")


def _residency(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    declared = ctx.plan.platform.constraints.data_residency
    prefixes = list(params.regions) or ([declared] if isinstance(declared, str) else list(declared or []))
    return policy.residency_problems(env, ctx.stacks(env), prefixes), f"every region used starts with {', '.join(prefixes)}"


def _complexity(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    """validate's complexity warnings (plan/complexity.py), made blocking: those of this environment's
    file, of its dedicated tenants' files, and the platform-wide ones (in every environment's result)."""
    files = {ctx.plan.origin("platform"), ctx.plan.origin(f"environments.{env.name}")}
    files |= {ctx.plan.origin(f"tenants.{t.name}") for t in env.tenants if t.isolation == "dedicated"}
    warnings = ctx.once("plan-warnings", lambda: ctx.plan.warnings)
    problems = [w.render() for w in warnings if w.file in files]
    entries = sum(1 for e in ctx.plan.platform.complexity_tracking if e.applies_to)
    return problems, f"every choice that adds complexity is justified ({entries} complexity_tracking entries name their choice)"


def _checkov(ctx: CheckContext, env: ResolvedEnvironment, params: Any) -> Outcome:
    binary = checkov_gate.locate(ctx.checkov)
    assert binary is not None  # not_run_reason checked it
    accepted_file = (ctx.plan_dir / params.accepted_findings) if params.accepted_findings else None
    entries = ctx.once(f"checkov-accepted:{accepted_file}", lambda: checkov_gate.accepted_entries(accepted_file))
    mine = {"terraform": set(ctx.stack_names(env)), "kubernetes": set(ctx.cluster_keys(env))}
    problems = []
    for framework in params.frameworks:
        findings = ctx.once(f"checkov:{framework}", lambda framework=framework: _scan(ctx, binary, framework))
        own = [f for f in findings if f[1].split("/", 1)[0] in mine[framework]]
        left, _ = checkov_gate.unaccepted(own, entries.get(framework, []))
        problems += [f"{framework}: {line}" for line in sorted(left)]
    where = f"accepted in {params.accepted_findings}" if accepted_file else "with no accepted-findings file"
    return problems, f"checkov ({', '.join(params.frameworks)}) finds nothing not {where}"


def _scan(ctx: CheckContext, binary: Path, framework: str) -> list[tuple[str, str, str]]:
    if framework == "terraform":
        return checkov_gate.run(binary, ctx.out / "terraform" / "stacks", "terraform_json")
    scan = checkov_gate.kubernetes_scan_folder(ctx.out / "kubernetes", ctx.work / "checkov-kubernetes")
    return checkov_gate.run(binary, scan, "kubernetes")


RUNNERS: dict[str, Runner] = {
    "plan-validates": _plan_validates,
    "terraform-validate": _terraform_validate,
    "provider-schema": _provider_schema,
    "manifests-validate": _manifests_validate,
    "pinned-versions": _pinned_versions,
    "checkov": _checkov,
    "encryption-at-rest": _encryption,
    "no-public-endpoints": _no_public,
    "min-azs": _min_azs,
    "tenant-isolation": _isolation,
    "data-residency": _residency,
    "complexity-justified": _complexity,
}
assert set(RUNNERS) == set(RULES), "every documented rule has a runner"


def run_gate(ctx: CheckContext, env: ResolvedEnvironment, gate: Gate) -> GateResult:
    base = {"gate": gate.id, "environment": env.name, "rule": gate.rule, "required": gate.required, "description": gate.description}
    if gate.rule is None:
        return GateResult(status=Status.MANUAL, reason="no rule: a person must confirm it (see its description)", **base)
    selected = {tool_name(t) for t in ctx.plan.platform.validation}
    if (why := not_run_reason(gate.rule, selected, ctx.checkov)) is not None:
        return GateResult(status=Status.NOT_RUN, reason=why[0], details=why[1], **base)
    started = time.perf_counter()
    try:
        problems, checked = RUNNERS[gate.rule](ctx, env, check_rule(gate.rule, gate.params))
    except Exception as exc:  # noqa: BLE001 (a tool that breaks fails its gate, with why)
        problems, checked = [f"{type(exc).__name__}: {exc}"], ""
    seconds = time.perf_counter() - started
    if problems:
        return GateResult(status=Status.FAIL, reason=f"{len(problems)} finding(s)", details=tuple(problems), seconds=seconds, **base)
    return GateResult(status=Status.PASS, reason=checked, seconds=seconds, **base)


def run_gates(ctx: CheckContext, environments: tuple[ResolvedEnvironment, ...]) -> CheckReport:
    report = CheckReport(ctx.plan.platform.name, tuple(e.name for e in environments))
    for env in environments:
        for gate in ctx.plan.platform.constitution:
            report.results.append(run_gate(ctx, env, gate))
    return report
