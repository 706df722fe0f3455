"""From a :class:`MarkdownPlan` to plan files (``infraplan import``).

What the Markdown decides (Technical Context, Helm Chart Discovery, Constitution Check, Complexity
Tracking, the environments and organizations it names) is written over a base: the plan files of its
appendix (``## Appendix: plan files``, which ``infraplan document`` writes), else a new plan whose
every decision the template does not hold (account ids, regions, CIDRs, node groups, admins...) is
NEEDS CLARIFICATION with a comment saying what to decide. A file whose content the Markdown leaves
as the appendix has it is written verbatim (its comments kept); another is written anew, the
Markdown's wording as comments.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import tempfile
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from ..addons import CHART_ADDONS
from ..addons import addon as registered_addon
from ..plan.base import NEEDS_CLARIFICATION
from ..plan.chart_versions import ConstraintError, parse_constraint
from ..plan.charts import repo_url_problem
from ..plan.environment import EnvironmentPlan
from ..plan.errors import PlanError, PlanIssue
from ..plan.platform import PlatformPlan
from ..plan.tenant import TenantPlan
from ..plan.yaml_source import load_yaml_text
from . import plan_yaml
from . import values as v
from .model import CONTEXT_LABELS, APPENDIX_HEADING, Cell, ChartRow, MarkdownPlan

TODO = NEEDS_CLARIFICATION
# What people call each add-on in the template's Component column (folded: lowercase letters and digits).
COMPONENT_NAMES = {
    "ingresscontroller": "ingress-nginx", "nginxingress": "ingress-nginx", "ingressnginx": "ingress-nginx",
    "certmanager": "cert-manager", "argocd": "argocd", "prometheusstack": "kube-prometheus-stack", "kubeprometheusstack": "kube-prometheus-stack",
    "externalsecrets": "external-secrets", "externalsecretsoperator": "external-secrets", "externaldns": "external-dns",
    "awsloadbalancercontroller": "aws-load-balancer-controller", "loadbalancercontroller": "aws-load-balancer-controller",
}  # fmt: skip
# Fields a label's text decides by not naming them: left out, they take the plan's default.
UNSAID = {
    "constraints": tuple(("constraints", k) for k in ("compliance", "data_residency", "monthly_budget_usd", "budget_alert_emails")),
    "performance_goals": (("performance", "max_pods"), ("performance", "failure_scope")),
}
YES, NO = ("yes", "y", "true", "✅", "✓", "✔"), ("no", "n", "false", "❌", "✗", "✘")


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"\(.*?\)", "", text.lower()))


def _annotation(model: type[BaseModel], path: tuple) -> Any:
    """The type ``model`` declares at ``path`` (None where the path leaves the models)."""
    annotation: Any = model
    for part in path:
        while typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str) and part in annotation.model_fields:
            annotation = annotation.model_fields[part].annotation
        else:
            return None
    return annotation


def _default(model: type[BaseModel], path: tuple) -> Any:
    """The model's default at ``path``, or a sentinel where the field is required or unknown."""
    parent = _annotation(model, path[:-1])
    while typing.get_origin(parent) in (typing.Union, types.UnionType):
        parent = [a for a in typing.get_args(parent) if a is not type(None)][0]
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)) or path[-1] not in parent.model_fields:
        return _MISSING
    info = parent.model_fields[path[-1]]
    if info.is_required():
        return _MISSING
    return info.get_default(call_default_factory=True)


_MISSING = object()


def _same(model: type[BaseModel], path: tuple, old: Any, new: Any) -> bool:
    """Whether two plan values mean the same (``eu-`` and ``[eu-]``; a field left out and its default)."""
    if old == new:
        return True
    annotation = _annotation(model, path)
    if annotation is None or old is _MISSING or TODO in (old, new):
        return False
    try:
        adapter = TypeAdapter(annotation)
        return adapter.validate_python(old) == adapter.validate_python(new)
    except Exception:  # noqa: BLE001  (a value the model refuses is not the same as any other)
        return False


class _Doc:
    """One plan file being built: its data, the comments of its keys, the model it follows."""

    def __init__(self, data: dict, model: type[BaseModel], base_text: str | None) -> None:
        self.data, self.model, self.base_text = data, model, base_text
        self.base = copy.deepcopy(data) if base_text is not None else None
        self.comments: dict[tuple, str] = {}

    def set(self, path: tuple, value: Any, comment: str | None = None) -> bool:
        """Write ``value`` at ``path`` unless what is there (or the default, if nothing is) means the same; whether it wrote."""
        if isinstance(value, v.Undecided):
            comment, value = f"decide {value.note}" + (f"; {comment}" if comment else ""), TODO
        parent: dict | None = self.data
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        now = parent if isinstance(parent, dict) else {}
        if value != TODO and self._equivalent(path, now, {**now, path[-1]: value}):
            return False
        parent = self.data
        for part in path[:-1]:
            if not isinstance(parent.get(part), dict):
                parent[part] = {}
            parent = parent[part]
        parent[path[-1]] = value
        if comment:
            self.comments[path] = comment
        return True

    def unset(self, path: tuple) -> None:
        """Leave the field to its default (the Markdown's text decides it by not naming it)."""
        parent = self.data
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)

    def _equivalent(self, path: tuple, before: dict, after: dict) -> bool:
        """Whether the model reads ``before`` and ``after`` (the field's parent, without and with the value) the same."""
        if before == after:
            return True
        if len(path) == 1:
            key = path[0]
            return _same(self.model, path, before.get(key, _default(self.model, path)), after[key])
        parent = _annotation(self.model, path[:-1])
        while typing.get_origin(parent) in (typing.Union, types.UnionType):
            parent = [a for a in typing.get_args(parent) if a is not type(None)][0]
        if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
            return False
        try:
            return parent.model_validate(before) == parent.model_validate(after)
        except Exception:  # noqa: BLE001  (either is refused: not known to be the same)
            return False

    def text(self, header: str) -> str:
        if self.base_text is not None and self.data == self.base:
            return self.base_text
        return plan_yaml.dump(self.data, {p: c for p, c in self.comments.items() if not c.startswith("decide") or _undecided_at(self.data, p)}, header)


def _undecided_at(data: Any, path: tuple) -> bool:
    """Whether NEEDS CLARIFICATION is still at ``path`` (or inside it): its "decide" comment still applies."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    return TODO in json.dumps(data)


class _Mapper:
    def __init__(self, md: MarkdownPlan) -> None:
        self.md = md
        self.issues: list[PlanIssue] = []
        self.base: dict[str, tuple[dict, str]] = {}
        self.seen: set[str] = set()  # the components of Helm Chart Discovery's rows

    def issue(self, line: int | None, where: str, message: str, hint: str = "") -> None:
        self.issues.append(PlanIssue(self.md.file, line, where, message, hint))

    def said(self, cell: Cell) -> str:
        return f'"{cell.text[:120]}" ({Path(self.md.file).name}:{cell.line})'

    # -- the appendix ---------------------------------------------------------------------------
    def read_appendix(self) -> None:
        for block in self.md.appendix:
            ok = re.fullmatch(r"(tenants/)?[a-z0-9][a-z0-9-]*\.yaml|charts\.lock", block.path)
            if not ok:
                self.issue(block.line, APPENDIX_HEADING, f"'{block.path}' is no plan file", "platform.yaml, <env>.yaml, tenants/<tenant>.yaml or charts.lock")
                continue
            if block.path in self.base:
                self.issue(block.line, APPENDIX_HEADING, f"'{block.path}' is given twice", "give each plan file once")
                continue
            # Read as the plan loader reads a file (depth and alias bounds, the core schema): the
            # appendix of a Markdown plan from anyone must not hang or crash import.
            doc, problems = load_yaml_text(block.text, block.path)
            for p in problems:
                line = block.text_line + p.line - 1 if block.text_line and p.line else block.line
                self.issue(line, f"{APPENDIX_HEADING}.{block.path}", f"the YAML cannot be read: {p.message}", p.hint)
            if doc is None or problems:
                continue
            self.base[block.path] = (doc.data, block.text)

    def doc(self, path: str, model: type[BaseModel], skeleton: dict) -> _Doc:
        if path in self.base:
            data, text = self.base[path]
            return _Doc(copy.deepcopy(data), model, text)
        return _Doc(skeleton, model, None)

    # -- Technical Context ------------------------------------------------------------------------
    def context(self, platform: _Doc) -> tuple[list[tuple[str, str]] | None, list[v.Organization] | None]:
        envs: list[tuple[str, str]] | None = None
        orgs: list[v.Organization] | None = None
        for key, cell in self.md.context.items():
            label = CONTEXT_LABELS[key]
            if v.undecided_text(cell.text):
                for path, what in v.UNDECIDED_FIELDS.get(key, ()):
                    platform.set(path, v.Undecided(what), f"the Markdown's {label}: {self.said(cell)}")
                continue
            try:
                if key == "target_environment":
                    envs = v.environments(cell.text)
                    continue
                if key == "scale_scope":
                    decided, orgs = v.scale(cell.text)
                else:
                    decided = v.PARSERS[key](cell.text)
            except v.Unreadable as exc:
                if v.marked(cell.text):  # "EKS NEEDS CLARIFICATION": undecided, as the Markdown says
                    for path, what in v.UNDECIDED_FIELDS.get(key, ()):
                        platform.set(path, v.Undecided(what), f"the Markdown's {label}: {self.said(cell)}")
                    continue
                self.issue(cell.line, f"Technical Context.{label}", exc.message, exc.hint)
                continue
            said = f"{label}: {self.said(cell)}"
            for path, value in decided.items():  # the Markdown's words beside the first value they change
                if said and platform.set(path, value, said):
                    said = ""
                elif not said:
                    platform.set(path, value)
            for path in UNSAID.get(key, ()):
                if path not in decided:
                    platform.unset(path)
        return envs, orgs

    # -- Helm Chart Discovery ---------------------------------------------------------------------
    def charts(self, platform: _Doc) -> None:
        components: list[str] = []
        charts: dict[str, dict] = {}
        manifests: list[dict] = []
        base_charts = platform.data.get("charts") or {}
        base_manifests = {m.get("name"): m for m in platform.data.get("manifest_components") or [] if isinstance(m, dict)}
        for row in self.md.charts:
            helm = row.helm_available.text.strip().lower()
            if helm.startswith(YES) or helm.startswith("✅"):
                self._chart_row(row, components, charts, base_charts)
            elif helm.startswith(NO) or helm.startswith("❌"):
                if (m := self._manifest_row(row, base_manifests)) is not None:
                    manifests.append(m)
            else:
                self.issue(row.helm_available.line, "Helm Chart Discovery.Helm Available?", f"'{row.helm_available.text}' is neither yes nor no", "✅ Yes or ❌ No")
        platform.set(("components",), components, "Helm Chart Discovery" if components else None)
        platform.set(("charts",), charts)
        platform.set(("manifest_components",), manifests)

    def _chart_row(self, row: ChartRow, components: list[str], charts: dict[str, dict], base_charts: dict) -> None:
        where = f"Helm Chart Discovery.{row.component.text}"
        name = COMPONENT_NAMES.get(_fold(row.component.text)) or next((c for c in CHART_ADDONS if _fold(c) == _fold(row.component.text)), None)
        if name is None:
            self.issue(row.component.line, where, f"infraplan has no add-on for '{row.component.text}'", f"add-ons: {', '.join(CHART_ADDONS)}; a component without one is '❌ No' (Kustomize)")
            return
        if name in self.seen:
            self.issue(row.component.line, where, f"'{name}' has two rows", "give each component one row")
            return
        self.seen.add(name)
        if name != "argocd":
            components.append(name)
        catalog = registered_addon(name).chart
        choice = self._chart_choice(row, where, catalog)
        if choice is None:
            return
        version, repo, chart = choice
        if version is not None and (problem := _unsupported_series(name, version)):
            self.issue(row.version.line, f"{where}.Version", *problem)
            return
        base = base_charts.get(name) if isinstance(base_charts, dict) else None
        if isinstance(base, dict) and (base.get("version"), base.get("repo_url") or catalog.repo_url, base.get("chart") or catalog.chart) == (version or catalog.version, repo, chart):
            charts[name] = base
        elif (version or catalog.version, repo, chart) != (catalog.version, catalog.repo_url, catalog.chart):
            charts[name] = {"version": version or catalog.version, **({"repo_url": repo} if repo != catalog.repo_url else {}), **({"chart": chart} if chart != catalog.chart else {})}

    def _chart_choice(self, row: ChartRow, where: str, catalog: Any) -> tuple[str | None, str, str] | None:
        """(version constraint or None for the catalog's, repository URL, chart name) the row states."""
        version = row.version.text.strip("` ")
        version = None if version in ("", "-", "—", "N/A", "n/a") else version
        if version is not None:
            try:
                parse_constraint(version)
            except ConstraintError as exc:
                self.issue(row.version.line, f"{where}.Version", exc.message, exc.hint)
                return None
        source = row.source.text.strip("` ")
        chart = catalog.chart
        if m := re.fullmatch(r"(.*?)\s*\(chart:?\s*([a-z0-9._-]+)\)", source):
            source, chart = m.group(1).strip(), m.group(2)
        if source in ("", "-", "—", "N/A", "n/a"):
            return version, catalog.repo_url, chart
        bare = re.sub(r"^[a-z]+://", "", source).rstrip("/")
        catalog_bare = re.sub(r"^[a-z]+://", "", catalog.repo_url).rstrip("/")
        if bare == catalog_bare or bare == catalog_bare.split(".")[0]:
            return version, catalog.repo_url, chart
        if "://" in source:  # a URL: the plan's own rule (a mirror on http, a port, an IP are the user's choice)
            if problem := repo_url_problem(source):
                self.issue(row.source.line, f"{where}.Chart Source", *problem)
                return None
            return version, source, chart
        if not re.fullmatch(r"[\w.-]+\.[a-z]{2,}(:\d+)?(/[\w./-]*)?", bare):  # a bare host/path, as the template writes it
            self.issue(row.source.line, f"{where}.Chart Source", f"'{source}' is no chart repository", f"a repository URL such as {catalog.repo_url}, or oci://registry/path")
            return None
        return version, f"https://{bare}", chart

    def _manifest_row(self, row: ChartRow, base: dict) -> dict | None:
        name = re.sub(r"[^a-z0-9]+", "-", row.component.text.lower()).strip("-")
        if name in base:
            return base[name]
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", name):
            self.issue(row.component.line, "Helm Chart Discovery", f"'{row.component.text}' gives no name for its ArgoCD Application", "letters, digits and '-'")
            return None
        source = row.source.text.strip("` ")
        revision = row.version.text.strip("` ")
        return {
            "name": name,
            "repo_url": source if re.match(r"(https|ssh)://|git@", source) else TODO,
            "path": TODO,
            "revision": revision if revision not in ("", "-", "—", "N/A") else TODO,
            "namespace": TODO,
        }

    # -- Constitution Check and Complexity Tracking ------------------------------------------------
    def gates(self, platform: _Doc) -> None:
        gates = []
        for row in self.md.gates:
            gate_id = re.sub(r"[^a-z0-9]+", "-", row.gate.text.lower()).strip("-")
            gate: dict[str, Any] = {"id": gate_id}
            rule = (row.rule.text.strip("` ") if row.rule else "").lower()
            if rule and rule not in ("-", "—", "manual", "none", "n/a"):
                gate["rule"] = rule
            if row.params and row.params.text.strip("` ") not in ("", "-", "—"):
                try:
                    params = json.loads(row.params.text.strip("` "))
                except ValueError as exc:
                    self.issue(row.params.line, f"Constitution Check.{gate_id}.Params", f"the params are not JSON: {exc}", 'e.g. `{"min": 3}`')
                    continue
                if not isinstance(params, dict):
                    self.issue(row.params.line, f"Constitution Check.{gate_id}.Params", "the params are no JSON object", 'e.g. `{"min": 3}`')
                    continue
                if params:
                    gate["params"] = params
            if row.required and (req := row.required.text.strip().lower()):
                if req.startswith(NO) or req.startswith("optional") or req.startswith("❌"):
                    gate["required"] = False
                elif not (req.startswith(YES) or req.startswith("required") or req.startswith("✅")):
                    self.issue(row.required.line, f"Constitution Check.{gate_id}.Required", f"'{row.required.text}' is neither yes nor no", "yes or no")
            gate["description"] = row.description.text or TODO
            gates.append(gate)
        if not gates and self.md.gates_undecided is not None and not platform.data.get("constitution"):
            # the template's "[Gates determined based on constitution file]": no gates would make `infraplan check` pass having run nothing
            platform.set(("constitution",), v.Undecided("the gates `infraplan check` runs (a rule each: docs/check.md), or [] for none"), f"Constitution Check: {self.said(self.md.gates_undecided)}")
            return
        platform.set(("constitution",), gates)

    def complexity(self, platform: _Doc, tenants: list[str]) -> None:
        base = {e.get("decision"): e for e in platform.data.get("complexity_tracking") or [] if isinstance(e, dict)}
        rows = []
        for row in self.md.complexity:
            entry: dict[str, Any] = {"decision": row.violation.text, "justification": row.why_needed.text}
            if row.alternative and row.alternative.text not in ("", "-", "—") and not v.undecided_text(row.alternative.text):
                entry["simpler_alternative_rejected"] = row.alternative.text
            if isinstance(old := base.get(row.violation.text), dict) and "applies_to" in old:
                entry["applies_to"] = old["applies_to"]
            elif applies := _applies_to(row.violation.text, tenants):
                entry["applies_to"] = applies
            rows.append(entry)
        platform.set(("complexity_tracking",), rows)


def _unsupported_series(component: str, version: str) -> tuple[str, str] | None:
    """(message, hint) when a constraint admits a chart series infraplan has no values for (validate would refuse it)."""
    a = registered_addon(component)
    supported = [s for s in a.series if a.supports(s)]
    series = parse_constraint(version).series()
    unknown = [s for s in series or [] if not a.supports(s)]
    if series is not None and not unknown:
        return None
    known = ", ".join(f"{s}.x" for s in supported)
    what = f"admits {a.chart.chart} {', '.join(s + '.x' for s in unknown)}" if unknown else "has no upper bound"
    return f"'{version}' {what}; infraplan has values for {a.chart.chart} {known} only", f"e.g. {supported[-1]}.x, or the catalog's pin {a.chart.version}"


def _applies_to(text: str, tenants: list[str]) -> str | None:
    """The choice a Complexity Tracking row names, when its words name one: multi-region, or a tenant's dedicated cluster."""
    low = text.lower()
    if re.search(r"multi[\s-]?region", low):
        return "multi-region"
    named = [t for t in tenants if re.search(rf"(?<![a-z0-9-]){re.escape(t)}(?![a-z0-9-])", low)]
    if "dedicated" in low and len(named) == 1:
        return f"dedicated-cluster:{named[0]}"
    return None


HEADER = (
    "# Written by `infraplan import` from {source}. Replace every NEEDS CLARIFICATION with your decision;\n"
    "# `infraplan validate --plan <this folder>` lists those left (docs/markdown.md, docs/plan-reference.md).\n"
)


def _platform_skeleton(md: MarkdownPlan) -> dict:
    """A new platform.yaml: what the template does not hold is NEEDS CLARIFICATION."""
    title = re.sub(r"(?i)^implementation plan:\s*", "", md.title.text).strip() if md.title else ""
    name = title if re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", title) else TODO
    return {
        "name": name,
        "kubernetes": {"version": TODO},
        "gitops": {"repo_url": TODO},
        "state_backend": {"bucket_prefix": TODO},
        "performance": {"uptime_percent": TODO, "rto_minutes": TODO, "rpo_minutes": TODO},
        "scale": {"tenants": TODO, "namespaces_per_tenant": TODO, "max_nodes": TODO},
        "cluster": {"api_access": {"vpc": TODO}},
    }


SKELETON_NOTES = {
    ("name",): "the platform's name (lowercase letters, digits, '-'); the Markdown's title is not one",
    ("gitops", "repo_url"): "the Git repository ArgoCD syncs (the template does not hold it)",
    ("state_backend", "bucket_prefix"): "the state buckets' prefix: <prefix>-<env>-<account id>",
    ("platform_admins", "groups"): "the platform team's identity provider groups (ArgoCD admins)",
    ("certificates", "acme_email"): "the Let's Encrypt contact address",
    ("cluster", "api_access", "vpc"): "who reaches the clusters' private API: true for the cluster's own VPC (a bastion, a CI runner), and/or cidrs, security_group_ids",
}


def _environment_skeleton(name: str, tier: str, multi_region: bool, dns: bool) -> tuple[dict, dict]:
    """A new <env>.yaml and its comments: the account, regions, network, nodes and admins to decide."""
    data: dict[str, Any] = {"name": name, "tier": tier, "account_id": TODO, "regions": [TODO, TODO] if multi_region else [TODO], "vpc_cidr": TODO}
    comments = {
        ("account_id",): "decide: the environment's AWS account, 12 digits, quoted",
        ("regions",): "decide: AWS regions, the primary first" + (" (multi-region: and the secondary ones, each with region_vpc_cidrs)" if multi_region else ""),
        ("vpc_cidr",): "decide: a private /16 to /20 that overlaps none of your networks",
        ("cluster", "node_groups", 0, "instance_types"): "decide: EC2 instance types, e.g. [m6i.large]",
        ("cluster", "node_groups", 0, "min_size"): "decide: the fewest nodes",
        ("cluster", "node_groups", 0, "max_size"): "decide: the most nodes (counted against scale.max_nodes)",
        ("platform_admins", "principal_arns"): "decide: IAM roles of this account that are cluster-admin",
    }
    if multi_region:
        data["region_vpc_cidrs"] = {TODO: TODO}
        comments[("region_vpc_cidrs",)] = "decide: each secondary region's VPC CIDR"
    data["cluster"] = {"node_groups": [{"name": "general", "instance_types": [TODO], "min_size": TODO, "max_size": TODO}]}
    data["platform_admins"] = {"principal_arns": [TODO]}
    if dns:
        data["dns"] = {"domain": TODO}
        comments[("dns", "domain")] = "decide: the environment's DNS domain, e.g. dev.example.com"
    return data, comments


def _tenant_skeleton(name: str, envs: list[str]) -> tuple[dict, dict]:
    data = {
        "name": name,
        "display_name": TODO,
        "namespaces": [name],
        "groups": {"developers": [TODO]},
        "environments": {e: {"access_principals": {"developers": [TODO]}} for e in envs},
    }
    comments: dict[tuple, str] = {
        ("display_name",): "decide: the organization's name as people say it",
        ("groups", "developers"): "decide: its identity provider groups, e.g. [" + name + "-developers]",
    }
    for e in envs:
        comments[("environments", e, "access_principals", "developers")] = f"decide: IAM roles of {e}'s account that may assume its developers role"
    return data, comments


def _dedicated_in(tenant: dict, envs: list[str]) -> set[str]:
    """The environments where a tenant file gives the tenant its own cluster."""
    overrides = tenant.get("environments") or {}
    out = set()
    for e in envs:
        iso = (overrides.get(e) or {}).get("isolation") or tenant.get("isolation") or "shared"
        if iso == "dedicated":
            out.add(e)
    return out


def _set_dedicated(doc: _Doc, org: v.Organization, envs: list[str]) -> None:
    """Give the tenant its own cluster where the Markdown says (and only there); a VPC to decide for each."""
    want = set(envs) if org.dedicated == () else set(org.dedicated or ())
    if _dedicated_in(doc.data, envs) == want:
        return
    everywhere = org.dedicated == () and bool(envs)
    doc.set(("isolation",), "dedicated" if everywhere else "shared")
    overrides = doc.data.setdefault("environments", {})
    for e in envs:
        o = overrides.setdefault(e, {})
        o.pop("isolation", None)
        if e in want and not everywhere:
            o["isolation"] = "dedicated"
        if e in want and not o.get("vpc_cidr") and not doc.data.get("vpc_cidr"):
            o["vpc_cidr"] = TODO
            doc.comments[("environments", e, "vpc_cidr")] = "decide: the VPC of the tenant's own cluster here (a private /16 to /20)"
        database = o.get("database") or doc.data.get("database") or {}
        if e in want and database.get("mode") == "shared":  # its own cluster has its own instance
            o["database"] = {**database, "mode": "dedicated"}
        if e not in want:
            o.pop("vpc_cidr", None)
            o.pop("node_instance_types", None)
            if (o.get("database") or {}).get("mode") == "dedicated":
                o["database"] = {**o["database"], "mode": "shared"}
        if not o:
            overrides.pop(e)


def _build(md: MarkdownPlan) -> dict[str, str]:
    m = _Mapper(md)
    m.read_appendix()
    platform = m.doc("platform.yaml", PlatformPlan, _platform_skeleton(md))
    new_platform = "platform.yaml" not in m.base
    if new_platform:
        platform.comments.update({k: f"decide {n}" for k, n in SKELETON_NOTES.items()})
    envs, orgs = m.context(platform)
    m.charts(platform)
    m.gates(platform)
    if new_platform and "cert-manager" in platform.data.get("components", []):
        platform.data["certificates"] = {"acme_email": TODO}
    env_names = [n for n, _ in envs] if envs is not None else sorted(p.removesuffix(".yaml") for p in m.base if "/" not in p and p not in ("platform.yaml", "charts.lock"))
    if envs is None and not env_names:
        at = md.context["target_environment"].line if "target_environment" in md.context else md.context_line
        m.issue(at, "Technical Context.Target Environment", "the environments are not named: infraplan writes one file per environment", "Target Environment: dev, staging, prod (production)")
    tenants = [o.name for o in orgs] if orgs is not None else sorted(p[len("tenants/") : -len(".yaml")] for p in m.base if p.startswith("tenants/"))
    m.complexity(platform, tenants)
    if m.issues:
        raise PlanError(m.issues)
    source = Path(md.file).name
    summary = "".join(f"# {line}\n" for line in textwrap.wrap(f"Summary: {md.summary.text}", 100, break_on_hyphens=False, break_long_words=False)) if md.summary and platform.base_text is None else ""
    files = {"platform.yaml": platform.text(HEADER.format(source=source) + summary)}
    multi = platform.data.get("deployment_type") == "multi-region"
    dns = bool({"cert-manager", "external-dns"} & set(platform.data.get("components") or []))
    for name, tier in envs if envs is not None else [(n, None) for n in env_names]:
        data, comments = _environment_skeleton(name, tier or TODO, multi, dns)
        doc = m.doc(f"{name}.yaml", EnvironmentPlan, data)
        if doc.base_text is None:
            doc.comments.update(comments)
            dedicated = [o.name for o in orgs or [] if o.dedicated is not None and (o.dedicated == () or name in o.dedicated)]
            if multi and dedicated:  # validate refuses a dedicated cluster in an environment of several regions: say so before it is filled
                doc.comments[("regions",)] = (
                    f"decide: AWS regions, the primary first; {', '.join(dedicated)} {'has' if len(dedicated) == 1 else 'have'} a cluster of {'its' if len(dedicated) == 1 else 'their'} own here, "
                    "which infraplan builds in one region only: list one region (and no region_vpc_cidrs), or keep the organization shared here"
                )
        elif tier is not None:
            doc.set(("tier",), tier)
        files[f"{name}.yaml"] = doc.text(HEADER.format(source=source))
    by_name = {o.name: o for o in orgs or []}
    for name in tenants:
        data, comments = _tenant_skeleton(name, env_names)
        doc = m.doc(f"tenants/{name}.yaml", TenantPlan, data)
        if doc.base_text is None:
            doc.comments.update(comments)
        if name in by_name:
            _set_dedicated(doc, by_name[name], env_names)
        files[f"tenants/{name}.yaml"] = doc.text(HEADER.format(source=source))
    if "charts.lock" in m.base and platform.data.get("charts"):
        files["charts.lock"] = m.base["charts.lock"][1]
    return files


def plan_files(md: MarkdownPlan) -> dict[str, str]:
    """The plan folder's files (relative path -> text) the Markdown plan decides; PlanError naming its lines if it cannot."""
    return _build(md)


def import_markdown(md: MarkdownPlan, out: Path) -> list[Path]:
    """Write the plan into ``out`` (absent or empty): built in a temporary folder beside it and
    moved there whole, so an error leaves nothing behind."""
    files = plan_files(md)
    if os.path.lexists(out) and (not out.is_dir() or out.is_symlink() or any(out.iterdir())):
        raise PlanError([PlanIssue(str(out), None, "", "the output folder exists and is not empty; nothing was written", "import writes a new plan into an absent or empty folder")])
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # as mkdir would make it, not mkdtemp's 0700
        for rel, text in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_text(text, encoding="utf-8")
        if os.path.lexists(out):
            out.rmdir()  # empty: checked above
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / rel for rel in files]
