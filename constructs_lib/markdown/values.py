"""The Technical Context values: each parser reads one label's free text into plan fields.

A parser returns ``{field path: value}`` for what the text decides (a path it leaves out keeps the
plan's value), or raises :class:`Unreadable` saying what was expected. ``UNDECIDED`` marks a value
the Markdown leaves open; the mapping writes it as NEEDS CLARIFICATION with the note.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from ..gates.rules import SUPPORTED_TOOLS

FieldPath = tuple[str | int, ...]
Decided = dict[FieldPath, Any]


class Unreadable(ValueError):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Undecided:
    """A value to decide; ``note`` says what (it becomes the YAML comment)."""

    note: str


def marked(text: str) -> bool:
    """Whether ``text`` says NEEDS CLARIFICATION anywhere (any spelling)."""
    return "needsclarification" in re.sub(r"[\s_-]", "", text).casefold()


def undecided_text(text: str) -> bool:
    """Only NEEDS CLARIFICATION, a placeholder such as ``[e.g., ...]``, or nothing at all."""
    t = text.strip().strip("*_`").strip()
    return not t or re.sub(r"[\s_-]", "", t).casefold() == "needsclarification" or t.lower().startswith("[e.g") or (t.startswith("[") and t.endswith("]"))


def clauses(text: str) -> list[str]:
    """``text`` split at top-level commas and semicolons (not inside parentheses, nor a number's thousands)."""
    out, depth, current = [], 0, ""
    for i, c in enumerate(text):
        depth += c == "("
        depth -= c == ")" and depth > 0
        thousands = c == "," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()  # $25,000
        if c in ",;" and depth == 0 and not thousands:
            out.append(current.strip())
            current = ""
        else:
            current += c
    out.append(current.strip())
    return [c for c in out if c and not undecided_text(c)]  # an undecided part leaves its field to decide


def _number(text: str) -> float:
    """``1,000`` / ``1.5k`` / ``2M`` as a number."""
    m = re.fullmatch(r"(\d+(?:[.,]\d+)*)\s*([kKmM])?", text.strip())
    if m is None:
        raise Unreadable(f"'{text}' is not a number")
    raw = m.group(1)
    value = float(raw.replace(",", "")) if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw) or "," not in raw else float(raw.replace(",", "."))
    return value * {"k": 1e3, "m": 1e6}.get((m.group(2) or "").lower(), 1)


def whole(text: str, what: str) -> int:
    value = _number(text)
    if value != int(value):
        raise Unreadable(f"'{text}' is not a whole number of {what}")
    return int(value)


_UNITS = {"s": 1 / 60, "sec": 1 / 60, "second": 1 / 60, "m": 1, "min": 1, "minute": 1, "h": 60, "hr": 60, "hour": 60, "d": 1440, "day": 1440}
DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\b", re.I)


def minutes(text: str, what: str) -> int:
    """``< 1h`` / ``≈15 min`` / ``30m`` as whole minutes."""
    m = DURATION.search(text)
    if m is None:
        raise Unreadable(f"{what}: '{text}' is no duration", f"e.g. {what} < 1h or {what} < 15m")
    unit = m.group("u").lower().rstrip("s") or "s"
    unit = {"sec": "sec", "se": "s", "hr": "hr", "min": "min"}.get(unit, unit)
    value = float(m.group("n")) * _UNITS.get(unit, _UNITS.get(unit[:1], 1))
    if value != int(value) or value <= 0:
        raise Unreadable(f"{what}: '{text}' is not a whole number of minutes", "the plan counts RTO and RPO in whole minutes")
    return int(value)


def duration_text(minutes_: int) -> str:
    """Whole minutes as the template writes them: 60 -> 1h, 15 -> 15m."""
    return f"{minutes_ // 60}h" if minutes_ % 60 == 0 else f"{minutes_}m"


def cloud(text: str) -> Decided:
    if re.fullmatch(r"(?i)\s*(aws|amazon web services)(\s*\(.*\))?\s*", text):
        return {("cloud",): "aws"}
    raise Unreadable(f"cloud '{text}' is not one infraplan writes for", "AWS (infraplan synthesizes for AWS only)")


def iac_tools(text: str) -> Decided:
    """``Terraform 1.11 (via CDK for Terraform), Pulumi for cluster bootstrap``."""
    out: Decided = {("iac", "terraform"): "cdktf"}
    bootstrap = "gitops-only"
    for clause in clauses(re.sub(r"\s+(?:\+|and|&)\s+", ", ", text)):
        low = clause.lower()
        if low.startswith("terraform") or "cdk for terraform" in low or "cdktf" in low or "cdk terrain" in low:
            version = re.search(r"terraform\s*(?:>=\s*)?v?(\d+)\.(\d+)", low)
            if version and (int(version.group(1)), int(version.group(2))) < (1, 11):
                raise Unreadable(f"'{clause}': the stacks need Terraform 1.11 or later (ephemeral resources, write-only attributes)", "Terraform 1.11 (via CDK for Terraform)")
        elif low.startswith("pulumi"):
            bootstrap = "pulumi"
        elif "by hand" in low or "gitops-only" in low:
            bootstrap = "gitops-only"
        else:
            raise Unreadable(f"'{clause}' is no IaC tool infraplan writes for", "Terraform 1.11 (via CDK for Terraform), Pulumi for cluster bootstrap")
    out[("iac", "cluster_bootstrap")] = bootstrap
    return out


def kubernetes(text: str) -> Decided:
    m = re.fullmatch(r"(?i)\s*(?:amazon\s+)?EKS(?:\s+v?(\d+\.\d+))?\s*(\(.*\))?\s*", text)
    if m is None:
        raise Unreadable(f"'{text}' is not EKS", "EKS <minor version>, e.g. EKS 1.31 (infraplan builds EKS clusters only)")
    out: Decided = {("kubernetes", "flavour"): "eks"}
    out[("kubernetes", "version")] = m.group(1) if m.group(1) else Undecided("the EKS minor version, quoted, e.g. \"1.31\"")
    if m.group(1):
        from ..plan.base import _k8s_version
        from ..plan.errors import FieldValueError

        try:  # the plan's own rule (support calendar, pinned add-ons), at the Markdown's line rather than in a second round
            _k8s_version(m.group(1))
        except FieldValueError as exc:
            raise Unreadable(exc.message, exc.hint) from None
        except ValueError as exc:
            raise Unreadable(str(exc), "EKS <minor version>, e.g. EKS 1.33") from None
    return out


_GIT_URL = re.compile(r"(https://\S+?|ssh://\S+?|git@[\w.-]+:\S+?)(?=[\s,;)]|$)")


def gitops(text: str) -> Decided:
    """``ArgoCD (repo https://..., path kubernetes, revision main)`` or ``none``."""
    low = text.lower()
    if re.match(r"\s*(argo\s*cd|argocd)\b", low):
        out: Decided = {("gitops", "tool"): "argocd"}
    elif re.match(r"\s*(none|n/a|no gitops)\b", low):
        out = {("gitops", "tool"): "none"}
    else:
        raise Unreadable(f"GitOps '{text}' is not one infraplan writes for", "ArgoCD (repo <Git URL>, path <folder>, revision <branch>), or none")
    if url := _GIT_URL.search(text):
        out[("gitops", "repo_url")] = url.group(1)
    for word, key in (("path", "path"), ("revision", "target_revision"), ("branch", "target_revision"), ("auth", "repository_auth")):
        if m := re.search(rf"\b{word}\s*:?\s+([^\s,;)]+)", text):
            out[("gitops", key)] = m.group(1).strip("`")
    return out


def deployment_strategy(text: str) -> Decided:
    low = re.sub(r"[\s_]+", "-", text.strip().lower())
    for start, value in (("helm-first", "helm-first"), ("helm", "helm-first"), ("kustomize-only", "kustomize-only"), ("kustomize", "kustomize-only"), ("raw", "raw-manifests")):
        if low.startswith(start):
            return {("deployment_strategy",): value}
    raise Unreadable(f"'{text}' is no deployment strategy", "Helm-first with Kustomize fallback | Kustomize-only | Raw manifests")


def state_backend(text: str) -> Decided:
    """``S3 + DynamoDB + S3 lockfile (bucket prefix acme-tfstate)``."""
    low = text.lower()
    if not re.match(r"\s*(aws\s+)?s3\b", low):
        raise Unreadable(f"state backend '{text}' is not S3", "S3 + DynamoDB, S3 + S3 lockfile or S3 + DynamoDB + S3 lockfile (bucket prefix <name>)")
    out: Decided = {("state_backend", "type"): "s3"}
    dynamo, lockfile = "dynamodb" in low, "lockfile" in low or "lock file" in low
    if dynamo or lockfile:
        out[("state_backend", "lock")] = "dynamodb+lockfile" if dynamo and lockfile else "dynamodb" if dynamo else "lockfile"
    if m := re.search(r"bucket[\s_-]*prefix\s*:?\s+`?([a-z0-9-]+)`?", text):
        out[("state_backend", "bucket_prefix")] = m.group(1)
    return out


def secrets(text: str) -> Decided:
    low = text.lower()
    if "secrets manager" not in low:
        raise Unreadable(f"'{text}' is not AWS Secrets Manager", "AWS Secrets Manager (External Secrets Operator)")
    out: Decided = {("secrets", "manager"): "aws-secrets-manager"}
    if re.search(r"external[\s-]*secrets|\beso\b", low):
        out[("secrets", "operator")] = "external-secrets"
    elif re.search(r"no operator|without (an )?operator", low):
        out[("secrets", "operator")] = "none"
    if m := re.search(r"path[\s_-]*prefix\s*:?\s+`?([A-Za-z0-9/_+=.@-]+)`?", text):
        out[("secrets", "path_prefix")] = m.group(1)
    return out


def validation(text: str) -> Decided:
    tools = []
    for part in clauses(re.sub(r"\s+(?:and|&|\+)\s+", ", ", text)):
        name = re.sub(r"[\s_]+", "-", part.strip("` ").lower())
        name = {"crd-schemas": "crd-schema", "kubectl-kustomize": "kustomize-build"}.get(name, name)
        if name not in SUPPORTED_TOOLS:
            raise Unreadable(f"'{part}' is no validation tool infraplan runs", f"any of {', '.join(SUPPORTED_TOOLS)}")
        tools.append(name)
    return {("validation",): tools}


TIER_WORDS = {"development": ("dev", "development"), "dev": ("dev", "development"), "staging": ("staging", "staging"), "stage": ("staging", "staging"),
              "production": ("prod", "production"), "prod": ("prod", "production")}  # fmt: skip
TIERS = ("development", "staging", "production")


def environments(text: str) -> list[tuple[str, str]]:
    """``dev, staging, prod (production)`` -> [(name, tier)]; a name that is no tier word needs ``(tier)``."""
    out: list[tuple[str, str]] = []
    for part in clauses(re.sub(r"\s+and\s+", ", ", text)):
        m = re.fullmatch(r"`?([a-z0-9][a-z0-9-]*)`?\s*(?:\((\w+)\))?", part.strip().lower())
        if m is None:
            raise Unreadable(f"'{part}' is no environment", "name (tier), e.g. dev (development), staging, prod (production)")
        name, tier = m.group(1), m.group(2)
        if tier is None:
            if name not in TIER_WORDS:
                raise Unreadable(f"environment '{name}' has no tier", f"write {name} (development|staging|production)")
            name, tier = TIER_WORDS[name]
        tier = TIER_WORDS.get(tier, (None, tier))[1]
        if tier not in TIERS:
            raise Unreadable(f"'{part}': the tier is development, staging or production")
        if any(n == name for n, _ in out):
            raise Unreadable(f"environment '{name}' is named twice")
        out.append((name, tier))
    return out


def deployment_type(text: str) -> Decided:
    low = re.sub(r"[\s_]+", "-", text.strip().lower())
    for value in ("single-region", "multi-region"):
        if low.startswith(value):
            return {("deployment_type",): value}
    raise Unreadable(f"'{text}' is no deployment type infraplan builds", "single-region or multi-region (one cloud: AWS)")


def performance(text: str) -> Decided:
    """``99.95% uptime, RTO < 1h, RPO < 15m, 400 pods`` (and optionally ``region failure``)."""
    out: Decided = {}
    for clause in clauses(text):
        low = clause.lower()
        if m := re.search(r"(\d+(?:\.\d+)?)\s*%", clause):
            out[("performance", "uptime_percent")] = float(m.group(1))
        elif re.match(r"\s*rto\b", low):
            out[("performance", "rto_minutes")] = minutes(clause, "RTO")
        elif re.match(r"\s*rpo\b", low):
            out[("performance", "rpo_minutes")] = minutes(clause, "RPO")
        elif m := re.fullmatch(r"\s*[<≤≈~]?=?\s*(\d[\d,.]*\s*[kK]?)\s*pods(\s+per\s+cluster)?\s*", clause):
            out[("performance", "max_pods")] = whole(m.group(1), "pods")
        elif re.search(r"\b(region|availability[\s-]zone|az)\b.*\bfailure\b|failure\s*scope", low):
            out[("performance", "failure_scope")] = "region" if "region" in low else "availability-zone"
        else:
            raise Unreadable(f"'{clause}' is no performance goal", "e.g. 99.9% uptime, RTO < 1h, RPO < 15m, 400 pods (optionally: region failure)")
    for key, what in (("uptime_percent", "the uptime goal, e.g. 99.9"), ("rto_minutes", "the RTO in minutes, e.g. 60"), ("rpo_minutes", "the RPO in minutes, e.g. 15")):
        out.setdefault(("performance", key), Undecided(what))
    return out


FRAMEWORKS = {"soc2": "SOC2", "hipaa": "HIPAA", "pcidss": "PCI-DSS", "pci": "PCI-DSS", "iso27001": "ISO27001", "gdpr": "GDPR"}
REGION_WORDS = {"eu": "eu-", "us": "us-", "ap": "ap-", "apac": "ap-", "ca": "ca-", "sa": "sa-", "me": "me-", "af": "af-", "il": "il-", "mx": "mx-"}
_FILLER = {"and", "or", "regions", "region", "only", "data", "residency", "in", "within", "compliance", "compliant", "frameworks", "framework", "with", "the"}
EMAIL = re.compile(r"[^@\s,;()]+@[^@\s,;()]+\.[^@\s,;()]+")


# What people write beside a framework's name: a version (PCI DSS v4.0, ISO 27001:2022), SOC 2's report type.
_FRAMEWORK_QUALIFIER = re.compile(r"(?i)v?\d+(\.\d+)*|type|i{1,2}")


def _frameworks(clause: str) -> list[str]:
    out = []
    merged = re.sub(r"(?i)(soc|iso|pci)(?:/iec)?[\s-]*(27001|dss|2)(?::\d{4})?", r"\1\2", clause)
    for token in re.split(r"[\s,/&()]+|\band\b", merged):
        key = re.sub(r"[^a-z0-9]", "", token.lower())
        if not key or key in _FILLER or key == "dss" or _FRAMEWORK_QUALIFIER.fullmatch(token):
            continue
        if key not in FRAMEWORKS:
            raise Unreadable(f"'{token}' is no compliance framework infraplan knows", f"frameworks: {', '.join(sorted(set(FRAMEWORKS.values())))}")
        if FRAMEWORKS[key] not in out:
            out.append(FRAMEWORKS[key])
    return out


def _residency(clause: str) -> list[str]:
    out = []
    for token in re.split(r"[\s,/&():]+", clause):
        key = token.lower().strip("`")
        if not key or key in _FILLER:
            continue
        prefix = REGION_WORDS.get(key) or (key if re.fullmatch(r"[a-z]{2}(-[a-z]+)*-", key) else None)
        if prefix is None:
            raise Unreadable(f"'{token}' names no AWS region group", "e.g. EU and US regions only, or region prefixes such as eu-central-")
        out.append(prefix)
    return out


def _budget(clause: str) -> int:
    m = re.search(r"\$\s*(\d[\d,.]*\s*[kKmM]?)\s*(?:/|per|a)\s*(month|mo)\b", clause)
    if m is None:
        raise Unreadable(f"'{clause}' is no monthly budget", "e.g. budget $40k/month (alerts to finops@example.com)")
    return whole(m.group(1), "dollars")


def constraints(text: str) -> Decided:
    """``budget $40k/month (alerts to a@b.c), compliance (SOC2, HIPAA), EU and US regions only``."""
    out: Decided = {}
    if emails := EMAIL.findall(text):
        out[("constraints", "budget_alert_emails")] = emails
    for clause in clauses(text):
        low = clause.lower()
        if re.fullmatch(r"n/?a|none", low.strip()) or EMAIL.fullmatch(clause.strip()):
            continue
        if "$" in clause or "budget" in low:
            out[("constraints", "monthly_budget_usd")] = _budget(clause)
        elif "region" in low or "residency" in low:
            out[("constraints", "data_residency")] = _residency(clause)
        elif "compliance" in low or any(k in re.sub(r"[^a-z0-9]", "", low.replace("/iec", "")) for k in FRAMEWORKS):
            out[("constraints", "compliance")] = out.get(("constraints", "compliance"), []) + _frameworks(clause)
        else:
            raise Unreadable(f"'{clause}' is no constraint infraplan knows", "budget $40k/month (alerts to ...), compliance (SOC2, HIPAA), EU and US regions only")
    if ("constraints", "monthly_budget_usd") in out and ("constraints", "budget_alert_emails") not in out:
        # A budget nobody is alerted about is refused by validate: ask now, with the rest, not in a second round.
        out[("constraints", "budget_alert_emails")] = Undecided("who AWS Budgets alerts when the budget is exceeded, e.g. [finops@example.com] (or write 'budget $40k/month (alerts to finops@example.com)')")
    return out


@dataclass(frozen=True)
class Organization:
    name: str
    dedicated: tuple[str, ...] | None  # None: shared; (): dedicated everywhere; else in these environments


def _organizations(text: str) -> list[Organization]:
    out = []
    for part in clauses(text):
        m = re.fullmatch(r"`?([a-z0-9][a-z0-9-]*)`?(\s+dedicated(?:\s+in\s+(.+))?)?", part.strip())
        if m is None:
            raise Unreadable(f"'{part}' is no organization", "its name, e.g. org-a, or org-c dedicated in prod")
        envs = tuple(e.strip() for e in re.split(r"\s+and\s+|\s*&\s*|\s+", m.group(3) or "") if e.strip()) if m.group(2) else None
        out.append(Organization(m.group(1), envs))
    return out


def scale(text: str) -> tuple[Decided, list[Organization] | None]:
    """``3 organizations (org-a, org-b, org-c dedicated in prod), 5 namespaces per organization, 60 nodes``."""
    out: Decided = {}
    orgs: list[Organization] | None = None
    total_namespaces: int | None = None
    for clause in clauses(text):
        m = re.fullmatch(r"(?i)\s*[<≤≈~]?\s*(\d[\d,.]*\s*[kK]?)\s+(organizations?|orgs?|tenants?|namespaces?|nodes?)(.*)", clause)
        if m is None:
            raise Unreadable(f"'{clause}' is no scale", "e.g. 3 organizations (org-a, org-b, org-c), 24 namespaces, 60 nodes")
        count, what, rest = whole(m.group(1), m.group(2)), m.group(2).lower(), m.group(3).strip()
        if what.startswith(("org", "tenant")):
            out[("scale", "tenants")] = count
            if rest:
                inner = re.fullmatch(r"\((.*)\)", rest)
                if inner is None:
                    raise Unreadable(f"'{clause}': name the organizations in parentheses", "3 organizations (org-a, org-b, org-c)")
                orgs = _organizations(inner.group(1))
        elif what.startswith("namespace"):
            if re.fullmatch(r"(?i)(per|each|/)\s*(organization|org|tenant)", rest):
                out[("scale", "namespaces_per_tenant")] = count
            elif rest in ("", "in total", "total"):
                total_namespaces = count
            else:
                raise Unreadable(f"'{clause}': namespaces in total, or per organization", "24 namespaces, or 8 namespaces per organization")
        else:
            if rest and not re.fullmatch(r"(?i)(per|each)\s+environment", rest):
                raise Unreadable(f"'{clause}': nodes per environment", "60 nodes")
            out[("scale", "max_nodes")] = count
    if total_namespaces is not None:
        tenants = out.get(("scale", "tenants"))
        if not isinstance(tenants, int):
            raise Unreadable(f"{total_namespaces} namespaces in total need the number of organizations to split them over", "3 organizations, 24 namespaces")
        out[("scale", "namespaces_per_tenant")] = math.ceil(total_namespaces / tenants)
    for key, what in (("tenants", "how many organizations (tenants)"), ("namespaces_per_tenant", "namespaces per organization"), ("max_nodes", "nodes per environment")):
        out.setdefault(("scale", key), Undecided(what))
    return out, orgs


PARSERS: dict[str, Callable[[str], Decided]] = {
    "cloud_provider": cloud,
    "iac_tools": iac_tools,
    "kubernetes": kubernetes,
    "gitops": gitops,
    "deployment_strategy": deployment_strategy,
    "state_backend": state_backend,
    "secrets_management": secrets,
    "validation": validation,
    "deployment_type": deployment_type,
    "performance_goals": performance,
    "constraints": constraints,
}

UNDECIDED_FIELDS: dict[str, tuple[tuple[FieldPath, str], ...]] = {
    "cloud_provider": ((("cloud",), "the cloud: aws"),),
    "kubernetes": ((("kubernetes", "version"), "the EKS minor version, quoted, e.g. \"1.31\""),),
    "gitops": ((("gitops", "tool"), "argocd or none"),),
    "state_backend": ((("state_backend", "bucket_prefix"), "the state buckets' prefix (S3 + DynamoDB / lockfile)"),),
    "performance_goals": tuple((("performance", k), w) for k, w in (("uptime_percent", "the uptime goal, e.g. 99.9"), ("rto_minutes", "the RTO in minutes"), ("rpo_minutes", "the RPO in minutes"))),
    "constraints": ((("constraints", "compliance"), "the compliance frameworks in scope ([] for none)"), (("constraints", "data_residency"), "the allowed region prefixes, e.g. [eu-], or remove it")),
    "scale_scope": tuple((("scale", k), w) for k, w in (("tenants", "how many organizations"), ("namespaces_per_tenant", "namespaces per organization"), ("max_nodes", "nodes per environment"))),
    "deployment_type": ((("deployment_type",), "single-region or multi-region"),),
    "deployment_strategy": ((("deployment_strategy",), "helm-first, kustomize-only or raw-manifests"),),
    "validation": ((("validation",), f"the tools infraplan check runs: {', '.join(SUPPORTED_TOOLS)}"),),
    "secrets_management": ((("secrets", "manager"), "aws-secrets-manager"),),
    "iac_tools": ((("iac", "cluster_bootstrap"), "pulumi (the Pulumi program) or gitops-only (by hand)"),),
}
