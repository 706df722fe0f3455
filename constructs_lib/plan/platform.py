"""``platform.yaml``: the plan-wide decisions."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from ..addons import CHART_ADDONS, PLAN_COMPONENTS
from ..gates.rules import RULES, SUPPORTED_TOOLS, RuleError, check_rule, unknown_tool
from ..value_checks.aws import principal_arn_error
from ..value_checks.ipv4 import parse_ipv4_cidr
from .base import SUPPORTED_PARTITION, AwsTags, DnsLabel, EditorSchema, GitUrl, IdentityGroup, KubernetesVersion, PlanModel, PublicAccessCidrs, RdsPostgresVersion, aws_regions
from .charts import ChartChoice, check_chart_choices
from .cluster_access import ApiAccess
from .errors import FieldValueError
from .gitops_repository import ARGOCD_KNOWN_SSH_HOSTS, keyscan, known_hosts_names, ssh_known_hosts_name

Component = Literal[PLAN_COMPONENTS]  # type: ignore[valid-type]  # the add-on registry's chart add-ons
ChartAddOn = Literal[tuple(CHART_ADDONS)]  # type: ignore[valid-type]  # the same, and argocd


class ManifestComponent(PlanModel):
    """A component without a Helm chart: a Kustomize folder in a Git repository, pinned to a tag or commit."""

    name: DnsLabel = Field(description="Its ArgoCD Application's name; distinct from every component's.")
    repo_url: GitUrl = Field(description="The Git repository holding its Kustomize folder.")
    path: str = Field(pattern=r"^[A-Za-z0-9._/-]+$", description="The Kustomize folder in that repository.")
    revision: str = Field(description="An exact tag (v1.2.3) or a full commit SHA, never a branch.")
    namespace: DnsLabel = Field(description="The namespace ArgoCD applies it to (created if missing).")
    sync_wave: int = Field(0, description="Its ArgoCD sync wave: lower waves are synced first.")

    @field_validator("revision")
    @classmethod
    def _pinned(cls, v: str) -> str:
        if re.fullmatch(r"[0-9a-f]{40}", v) or re.fullmatch(r"v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?", v):
            return v
        raise ValueError(f"revision '{v}' is not pinned: use an exact version tag such as v1.2.3 or a full commit SHA, not a branch")


class IacTools(PlanModel):
    terraform: Literal["cdktf"] = Field("cdktf", description="How the Terraform JSON is written: CDK for Terraform (or CDK Terrain, INFRAPLAN_CDK=cdktn).")
    cluster_bootstrap: Literal["pulumi", "gitops-only"] = Field(
        "pulumi",
        description="Who installs ArgoCD and the root Application on each cluster: pulumi, the Pulumi program; gitops-only, a person "
        "with helm and kubectl, following the bootstrap/<cluster>/README.md synth writes (the Pulumi program refuses to run). gitops-only needs gitops.tool: argocd.",
    )


class KubernetesDecision(PlanModel):
    flavour: Literal["eks"] = Field("eks", description="The Kubernetes service: EKS only.")
    version: KubernetesVersion = Field(
        description="The clusters' Kubernetes minor version (quoted); it picks the pinned EKS add-ons, and validate refuses one past EKS support on the day."
    )


class SsoDecision(PlanModel):
    """Single sign-on for ArgoCD through an OpenID Connect provider (Okta, Entra ID, Google, Keycloak, Cognito, ...).

    With it, ArgoCD's local ``admin`` is disabled and ``platform_admins.groups`` are ArgoCD admins;
    the AppProject roles' groups come from the provider's ``groups_claim``."""

    type: Literal["oidc"] = Field("oidc", description="The protocol: OpenID Connect.")
    name: str = Field("SSO", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 ._()-]+$", description="The login button's label.")
    issuer: str = Field(description="The provider's issuer URL (https), as its /.well-known/openid-configuration states it.")
    client_id: str = Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9._:@/+=-]+$", description="ArgoCD's client id at the provider.")
    client_secret: str = Field(
        "argocd-sso",
        pattern=r"^[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*$",
        description="Secrets Manager secret <path_prefix>/<env>/argocd.<cluster name>/<client_secret>, one per cluster, holding JSON {\"clientSecret\": ...}; "
        "you create it, never in Git. Only the cluster's argocd-sso store reads it.",
    )
    domain: str | None = Field(
        None,
        max_length=180,  # argocd.<cluster key, up to 63>.<domain> stays within a DNS name's 253 characters
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="ArgoCD of cluster <key> is https://argocd.<key>.<domain>. Left out: https://argocd.<the environment's dns.domain> "
        "(argocd-<tenant>.<dns.domain> for a dedicated cluster). Register <url>/auth/callback at the provider.",
    )
    groups_claim: str = Field("groups", min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_:./-]+$", description="The ID token claim that lists the user's groups.")
    requested_scopes: list[str] = Field(
        default_factory=lambda: ["openid", "profile", "email", "groups"], description="The scopes ArgoCD asks the provider for; openid is required."
    )
    allowed_cidrs: list[str] | None = Field(
        None,
        description="Who may reach ArgoCD's UI and API through the internet-facing ingress-nginx (IPv4 CIDR blocks, e.g. your office or VPN egress). "
        "Required with SSO; 0.0.0.0/0 only when written here.",
    )

    @field_validator("allowed_cidrs")
    @classmethod
    def _allowed(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise FieldValueError((), "allowed_cidrs is empty: nobody could reach ArgoCD", "list your office or VPN ranges (0.0.0.0/0 opens it to the internet)")
        for i, value in enumerate(v):
            try:
                net = parse_ipv4_cidr(value)
            except FieldValueError as exc:
                raise FieldValueError((i,), exc.message, exc.hint) from None
            if str(net) in [str(parse_ipv4_cidr(w)) for w in v[:i]]:
                raise FieldValueError((i,), f"{value} is listed twice", "list each range once")
        return v

    @model_validator(mode="after")
    def _cidrs_given(self) -> "SsoDecision":
        if self.allowed_cidrs is None:
            raise FieldValueError(
                ("allowed_cidrs",),
                "gitops.sso needs allowed_cidrs: ArgoCD is exposed through the internet-facing ingress-nginx, and who may reach it is not guessed",
                "list your office or VPN ranges, e.g. allowed_cidrs: [203.0.113.0/24]; write 0.0.0.0/0 to open it to the internet",
            )
        return self

    @field_validator("issuer")
    @classmethod
    def _https(cls, v: str) -> str:
        from urllib.parse import urlparse

        u = urlparse(v)
        if u.scheme != "https" or not u.hostname or u.query or u.fragment or any(c.isspace() for c in v):
            raise ValueError(f"issuer '{v}' is not an https URL: ArgoCD fetches <issuer>/.well-known/openid-configuration over TLS")
        return v

    @field_validator("requested_scopes")
    @classmethod
    def _scopes(cls, v: list[str]) -> list[str]:
        for i, scope in enumerate(v):
            if not re.fullmatch(r"[!#-\[\]-~]+", scope):  # RFC 6749 scope-token
                raise FieldValueError((i,), f"'{scope}' is not an OAuth scope", "a scope is printable ASCII without spaces, quotes or backslashes")
            if scope in v[:i]:
                raise FieldValueError((i,), f"scope '{scope}' is listed twice", "list it once")
        if "openid" not in v:
            raise FieldValueError((), "requested_scopes lacks openid: without it the provider issues no ID token", "add openid")
        return v


class GitOpsDecision(PlanModel):
    tool: Literal["argocd", "none"] = Field(
        "argocd", description="argocd: ArgoCD syncs the GitOps tree from repo_url; none: no ArgoCD, the Pulumi program applies the add-ons and namespaces itself."
    )
    repo_url: GitUrl = Field(description="The Git repository ArgoCD syncs from.")
    target_revision: str = Field("main", description="The branch, tag or commit of repo_url ArgoCD's Applications track.")
    path: str = Field("kubernetes", description="Folder of the GitOps tree inside the repository.")
    argocd_version: str | None = Field(
        None, description="Replaced by charts.argocd.version (a constraint that `infraplan charts lock` resolves into charts.lock): refused, with the migration."
    )
    sso: SsoDecision | None = Field(None, description="ArgoCD single sign-on; without it ArgoCD keeps its local admin.")
    repository_auth: Literal["none", "https", "ssh"] = Field(
        "none",
        description="How ArgoCD reads repo_url: none (a public repository), https (username and token) or ssh (a deploy key). "
        "The credential is Pulumi secret config, never in the plan or in Git (docs/gitops.md).",
    )

    @model_validator(mode="after")
    def _auth_matches_url(self) -> "GitOpsDecision":
        if self.repository_auth == "none":
            return self
        ssh = ssh_known_hosts_name(self.repo_url) is not None
        if self.repository_auth == "https" and not self.repo_url.startswith("https://"):
            raise FieldValueError(("repository_auth",), f"repository_auth is https, but repo_url '{self.repo_url}' is not an https:// URL", "use the repository's https:// URL, or repository_auth: ssh")
        if self.repository_auth == "ssh" and not ssh:
            raise FieldValueError(("repository_auth",), f"repository_auth is ssh, but repo_url '{self.repo_url}' is not an SSH URL", "use git@<host>:<path> or ssh://git@<host>/<path>, or repository_auth: https")
        return self

    @field_validator("argocd_version")
    @classmethod
    def _moved_to_charts(cls, v: str | None) -> str | None:
        """One place states chart versions (``charts``), and synth reads them only from the lock."""
        if v is not None:
            raise FieldValueError(
                (),
                "gitops.argocd_version is replaced by charts.argocd.version, a version constraint resolved into charts.lock",
                f'remove gitops.argocd_version, write charts: {{argocd: {{version: "{v}"}}}} in platform.yaml, then run infraplan charts lock (docs/charts.md)',
            )
        return v


class StateBackendDecision(PlanModel):
    type: Literal["s3"] = Field("s3", description="Where Terraform state lives: an S3 bucket per environment, in its account.")
    bucket_prefix: DnsLabel = Field(description="State bucket name is '<prefix>-<env>-<account id>'.")
    lock: Literal["dynamodb+lockfile", "lockfile", "dynamodb"] = Field(
        "dynamodb+lockfile", description="How Terraform locks the state: S3's lockfile, a DynamoDB table (<prefix>-<env>-locks), or both."
    )


class SecretsDecision(PlanModel):
    manager: Literal["aws-secrets-manager"] = Field("aws-secrets-manager", description="Where secrets live: AWS Secrets Manager.")
    operator: Literal["external-secrets", "none"] = Field(
        "external-secrets", description="external-secrets copies them into the clusters (ClusterSecretStores per tenant); none: nothing does."
    )
    path_prefix: str = Field(
        "infraplan", pattern=r"^[A-Za-z0-9/_+=.@-]+$", description="The first part of every secret's name: <path_prefix>/<env>/...; each store reads only its own path."
    )


# What AWS documents: RDS uploads transaction logs for point-in-time recovery every 5 minutes; a
# Multi-AZ instance fails over in 60-120 s; the EKS and Multi-AZ RDS SLAs are 99.95 %, a Single-AZ
# instance's 99.5 %. RESTORE_MINUTES is infraplan's own estimate of a restore into a new instance.
PITR_LOG_MINUTES = 5
FAILOVER_MINUTES = 2
PLATFORM_SLA_PERCENT = 99.95
SINGLE_AZ_DATABASE_SLA_PERCENT = 99.5
RESTORE_MINUTES = 60


class PerformanceGoals(PlanModel):
    """The production environments' goals. validate checks each is feasible with the design and
    explain shows what it drives (docs/goals.md)."""

    uptime_percent: float = Field(
        ge=90, le=99.999, description="Above 99.5 the database is Multi-AZ; from 99.9 NAT per AZ and a node per AZ; 99.95 needs 3 AZs; above 99.95 infeasible."
    )
    rto_minutes: int = Field(gt=0, description="Time to recover from failure_scope; under 60 the database is Multi-AZ (a restore takes longer).")
    rpo_minutes: int = Field(gt=0, description="Data lost at most through failure_scope; at least 5 (point-in-time recovery).")
    failure_scope: Literal["availability-zone", "region"] = Field(
        "availability-zone",
        description="The failure rto_minutes and rpo_minutes are measured for: the loss of an Availability Zone, or of the primary region (needs deployment_type: multi-region).",
    )
    max_pods: int | None = Field(None, gt=0, description="Pods one cluster runs for its tenants: their ResourceQuota pods on each cluster add up to at most this.")

    @model_validator(mode="after")
    def _feasible(self) -> "PerformanceGoals":
        if self.rpo_minutes < PITR_LOG_MINUTES:
            raise FieldValueError(
                ("rpo_minutes",),
                f"rpo_minutes: {self.rpo_minutes} is below what RDS point-in-time recovery achieves: it ships the transaction logs every {PITR_LOG_MINUTES} minutes, "
                "and less needs a synchronous replica outside the failure, which infraplan does not render",
                f"raise it to {PITR_LOG_MINUTES} or more",
            )
        if self.rto_minutes < FAILOVER_MINUTES:
            raise FieldValueError(
                ("rto_minutes",),
                f"rto_minutes: {self.rto_minutes} is below an RDS Multi-AZ failover, which takes 60-120 seconds",
                f"raise it to {FAILOVER_MINUTES} or more",
            )
        if self.uptime_percent > PLATFORM_SLA_PERCENT:
            raise FieldValueError(
                ("uptime_percent",),
                f"uptime_percent: {self.uptime_percent} is above the {PLATFORM_SLA_PERCENT} % AWS commits to for EKS and for a Multi-AZ RDS instance, which the platform needs both of",
                f"lower it to {PLATFORM_SLA_PERCENT} or less",
            )
        return self


# A list, or the single prefix older plans wrote (read as a list of one): what an editor may accept.
RegionPrefixes = Annotated[
    list[str],
    EditorSchema(
        "allowed region prefixes",
        {"anyOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "uniqueItems": True}]},
    ),
]


class Constraints(PlanModel):
    compliance: list[Literal["SOC2", "HIPAA", "PCI-DSS", "ISO27001", "GDPR"]] = Field(
        default=[],
        description="The frameworks whose controls production environments render (docs/compliance.md): log retention, a CloudTrail trail, "
        "backups, deletion protection; several: the stricter value of each. explain lists the controls per framework.",
    )
    data_residency: RegionPrefixes | None = Field(
        None,
        description="Allowed region prefixes, e.g. [eu-] or [eu-, us-]: every region of every environment (the primary, which holds "
        "the state and the secrets, and each secondary, which holds a cluster and the database's backup copies) starts with one. "
        "One string is read as a list of one.",
    )
    monthly_budget_usd: int | None = Field(None, gt=0, description="The whole platform's; split evenly over the environments' AWS Budgets.")
    budget_alert_emails: list[str] = Field(
        default_factory=list,
        max_length=10,  # AWS Budgets: at most 10 email subscribers per notification
        description="Who the AWS Budgets alerts go to; required with monthly_budget_usd.",
    )

    @field_validator("compliance")
    @classmethod
    def _frameworks_once(cls, frameworks: list[str]) -> list[str]:
        for i, fw in enumerate(frameworks):
            if fw in frameworks[:i]:
                raise FieldValueError((i,), f"'{fw}' is listed twice", "list each framework once")
        return frameworks

    @field_validator("data_residency", mode="before")
    @classmethod
    def _residency_as_list(cls, value: Any) -> Any:
        """The single prefix plans wrote before (``data_residency: eu-``) is a list of one."""
        return [value] if isinstance(value, str) else value

    @field_validator("data_residency")
    @classmethod
    def _residency_prefixes(cls, prefixes: list[str] | None) -> list[str] | None:
        if prefixes is None:
            return None
        if not prefixes:
            raise FieldValueError((), "an empty list allows no region at all", "list the allowed region prefixes, e.g. [eu-], or leave data_residency out")
        regions = aws_regions()[SUPPORTED_PARTITION]
        starts = sorted({r.split("-")[0] + "-" for r in regions})
        for i, prefix in enumerate(prefixes):
            if not any(r.startswith(prefix) for r in regions):
                raise FieldValueError((i,), f"'{prefix}' starts no AWS region", f"region prefixes: {', '.join(starts)} (or a longer one, e.g. eu-central-)")
            if prefix in prefixes[:i]:
                raise FieldValueError((i,), f"'{prefix}' is listed twice", "list each prefix once")
        return prefixes

    @field_validator("budget_alert_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for i, email in enumerate(emails):
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or len(email) > 254:
                raise FieldValueError((i,), f"'{email}' is not an email address", "write one address, e.g. finops@example.com")
            if email in emails[:i]:
                raise FieldValueError((i,), f"'{email}' is listed twice", "list each address once")
        return emails

    @model_validator(mode="after")
    def _budget_has_a_contact(self) -> "Constraints":
        if self.monthly_budget_usd is not None and not self.budget_alert_emails:
            raise FieldValueError(
                ("budget_alert_emails",),
                "monthly_budget_usd is set, but nobody would be told when it is exceeded",
                "add constraints.budget_alert_emails: [finops@example.com] (the AWS Budgets alerts' contacts)",
            )
        return self


class Scale(PlanModel):
    tenants: int = Field(gt=0, description="Tenant files the plan may have.")
    namespaces_per_tenant: int = Field(gt=0, description="Namespaces each tenant may list.")
    max_nodes: int = Field(
        gt=0, description="Per environment: the node groups' max_size summed over all its clusters (shared, secondary regions', dedicated tenants')."
    )


GateRule = Annotated[str, EditorSchema("gate rule", {"type": "string", "enum": list(RULES)})]
ValidationTool = Annotated[str, EditorSchema("validation tool", {"type": "string", "enum": list(SUPPORTED_TOOLS)})]


class Gate(PlanModel):
    id: DnsLabel = Field(description="The gate's identifier, unique in the constitution; reports name the gate by it.")
    description: str = Field(description="What the gate guarantees, in words people read.")
    required: bool = Field(True, description="Whether the gate must pass: a failing required gate fails the change, an optional one is only reported.")
    rule: GateRule | None = Field(None, description="What infraplan check runs for this gate (docs/check.md: each rule, its params and tools); left out, the gate is reported as manual, never passed.")
    params: dict[str, Any] = Field(default_factory=dict, description="The rule's parameters, checked per rule (docs/check.md); only with a rule.")

    @model_validator(mode="after")
    def _known_rule(self) -> "Gate":
        if self.rule is None:
            if self.params:
                raise FieldValueError(("params",), "params without a rule", "name the rule they are for (rule: min-azs), or remove params")
            return self
        try:
            check_rule(self.rule, self.params)
        except RuleError as exc:
            raise FieldValueError(exc.path, exc.message, exc.hint) from None
        return self


COMPLEXITY_CHOICES = {"dedicated-cluster": "a tenant's own VPC, cluster (and database) in some environment", "multi-region": "secondary regions (deployment_type: multi-region)"}


class ComplexityJustification(PlanModel):
    """Why a choice that adds complexity is worth it (the template's Complexity Tracking). A choice
    without an entry is a warning of validate (plan/complexity.py); explain shows the entry next to it."""

    decision: str = Field(description="The choice, in words (e.g. org-c gets a dedicated EKS cluster in prod).")
    justification: str = Field(description="Why the platform needs it.")
    simpler_alternative_rejected: str | None = Field(None, description="The simpler choice considered, and why it was not enough.")
    applies_to: str | None = Field(
        None, description="The choice it justifies: dedicated-cluster:<tenant> or multi-region; left out, infraplan cannot tell (a warning)."
    )

    @field_validator("applies_to")
    @classmethod
    def _choice(cls, v: str | None) -> str | None:
        if v is None:
            return v
        kind, _, subject = v.partition(":")
        if kind not in COMPLEXITY_CHOICES:
            raise ValueError(f"'{v}' names no choice infraplan tracks; it tracks {', '.join(COMPLEXITY_CHOICES)}")
        if kind == "dedicated-cluster" and not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", subject):
            raise ValueError(f"'{v}' names no tenant: write dedicated-cluster:<tenant name>, e.g. dedicated-cluster:org-c")
        if kind == "multi-region" and subject:
            raise ValueError(f"'{v}': multi-region is one choice of the whole plan, written without ':<name>'")
        return v


class PlatformAdmins(PlanModel):
    principal_arns: list[str] = Field(default_factory=list, description="IAM roles given cluster-admin.")
    groups: list[IdentityGroup] = Field(default_factory=list, description="Identity groups for ArgoCD's platform project.")

    @field_validator("principal_arns")
    @classmethod
    def _arns(cls, values: list[str]) -> list[str]:
        for i, v in enumerate(values):
            if error := principal_arn_error((i,), v):
                raise error
            if v in values[:i]:
                raise FieldValueError((i,), f"'{v}' is listed twice", "EKS takes one access entry per principal: list it once")
        return values

    @field_validator("groups")
    @classmethod
    def _groups(cls, values: list[str]) -> list[str]:
        for i, v in enumerate(values):
            if v in values[:i]:
                raise FieldValueError((i,), f"group '{v}' is listed twice", "list it once")
        return values


class ClusterDefaults(PlanModel):
    endpoint_public_access: bool = Field(False, description="false: the Kubernetes API is private to the VPC (and api_access); true: also public, to public_access_cidrs only.")
    public_access_cidrs: PublicAccessCidrs = Field(default=[], description="The internet ranges a public endpoint admits (required with endpoint_public_access: true).")
    api_access: ApiAccess = Field(default_factory=ApiAccess, description="Who reaches the private API endpoint (443); <env>.yaml may replace it.")


class Certificates(PlanModel):
    acme_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Contact for Let's Encrypt.")
    challenge: Literal["http-01", "dns-01"] = Field(
        "http-01", description="How Let's Encrypt checks a name: http-01 through ingress-nginx, or dns-01 in the environment's Route 53 zone (dns in <env>.yaml)."
    )
    hosted_zone_id: str | None = Field(None, description="Refused: each environment names its own zone (dns.hosted_zone_id in <env>.yaml).")

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        # One zone id for every environment would be edited from every environment's account: the
        # zone lives in one account only, so cert-manager and external-dns elsewhere could not change it.
        if v is not None:
            raise FieldValueError(
                (),
                "one Route 53 zone cannot serve every environment: each environment runs in its own AWS account and edits only its own zone",
                "remove it here; give each <env>.yaml a dns: {domain: <env>.<your domain>} (Terraform creates the zone) or dns.hosted_zone_id of a zone in that account",
            )
        return v


class DatabaseDefaults(PlanModel):
    engine_version: RdsPostgresVersion = Field("16", description="PostgreSQL of every RDS instance: a major (RDS picks its current minor) or an exact minor.")
    auto_minor_version_upgrade: bool = Field(
        True, description="RDS upgrades the minor in the maintenance window; with a pinned minor (16.9) it must be false (validate checks)."
    )


class PlatformPlan(PlanModel):
    name: DnsLabel = Field(description="The platform's name: it begins the clusters' and databases' names (<name>-<env>) and is an AWS tag on everything.")
    cloud: str = Field("aws", description="The cloud: aws only.")
    iac: IacTools = Field(IacTools(), description="The infrastructure-as-code tools infraplan writes for.")
    kubernetes: KubernetesDecision = Field(description="The clusters' Kubernetes.")
    gitops: GitOpsDecision = Field(description="How the clusters get their add-ons, namespaces and apps: the GitOps repository ArgoCD syncs.")
    deployment_strategy: Literal["helm-first", "kustomize-only", "raw-manifests"] = Field(
        "helm-first", description="helm-first: charts as Helm sources of ArgoCD; kustomize-only, raw-manifests: each chart inflated by Kustomize instead."
    )
    state_backend: StateBackendDecision = Field(description="Where each environment's Terraform state lives (the <env>-state stack makes it).")
    secrets: SecretsDecision = Field(SecretsDecision(), description="Where secrets live and what copies them into the clusters.")
    validation: list[ValidationTool] = Field(
        default_factory=lambda: ["terraform-validate", "kubernetes-validate"],
        description="The tools infraplan check may run (argocd-schema is crd-schema's older name); a gate whose rule needs a tool not listed is reported as not run (docs/check.md).",
    )
    deployment_type: Literal["single-region", "multi-region"] = Field(
        "single-region", description="multi-region: an environment's regions after the first get their own VPC and cluster, and copies of the database's backups."
    )
    performance: PerformanceGoals = Field(description="Uptime, RTO and RPO that production's design must meet.")
    constraints: Constraints = Field(Constraints(), description="Compliance, data residency and the monthly budget.")
    scale: Scale = Field(description="The plan's size limits, which validate holds it to.")
    components: list[Component] = Field(default=[], description="The add-ons every cluster gets, each a pinned Helm chart (argocd comes with gitops.tool: argocd).")
    component_values: dict[ChartAddOn, dict[str, Any]] = Field(
        default_factory=dict, description="Helm values merged over infraplan's for a chart that needs customization (a values overlay)."
    )
    manifest_components: list[ManifestComponent] = Field(default_factory=list, description="Components with no chart: Kustomize + ArgoCD.")
    charts: dict[ChartAddOn, ChartChoice] = Field(
        default_factory=dict,
        description="Per component (argocd included): the chart's version constraint, and its repository and name (default: the catalog's). "
        "`infraplan charts lock` resolves them into charts.lock, which synth reads; a component left out keeps the catalog's exact pin (docs/charts.md).",
    )
    constitution: list[Gate] = Field(default=[], description="The gates every change must pass.")
    complexity_tracking: list[ComplexityJustification] = Field(
        default=[], description="A justification for each choice that adds complexity (a dedicated cluster, multi-region), as the template's Complexity Tracking asks."
    )
    platform_admins: PlatformAdmins = Field(PlatformAdmins(), description="The platform team: cluster-admins (where <env>.yaml names none) and ArgoCD admins.")
    cluster: ClusterDefaults = Field(ClusterDefaults(), description="Who reaches the clusters' Kubernetes API; <env>.yaml may replace it.")
    certificates: Certificates | None = Field(None, description="Let's Encrypt through cert-manager (required with the cert-manager component).")
    database: DatabaseDefaults = Field(DatabaseDefaults(), description="The PostgreSQL version of every RDS instance; <env>.yaml may replace it.")
    tags: AwsTags = Field(default={}, description="AWS tags on every resource of every stack (an environment's tags win).")

    def _check_sso(self) -> None:
        """SSO configures ArgoCD, disables its local admin and needs its client secret in the cluster
        (with gitops.tool none there is no ArgoCD, and the decision has no effect)."""
        if self.gitops.tool != "argocd":
            return
        if not self.platform_admins.groups:
            raise FieldValueError(
                ("gitops", "sso"),
                "with SSO, ArgoCD's local admin is disabled, and platform_admins.groups is empty: nobody could administer ArgoCD",
                "list your platform team's identity provider groups under platform_admins.groups (they become ArgoCD admins)",
            )
        if self.secrets.operator != "external-secrets" or "external-secrets" not in self.components:
            raise FieldValueError(
                ("gitops", "sso"),
                "the SSO client secret reaches ArgoCD through external-secrets, which this plan does not run",
                "add external-secrets to components and keep secrets.operator: external-secrets, or remove gitops.sso",
            )
        missing = [c for c in ("ingress-nginx", "cert-manager") if c not in self.components]
        if missing:
            raise FieldValueError(
                ("gitops", "sso"),
                f"with SSO the identity provider redirects browsers to ArgoCD's URL, served through ingress-nginx with a certificate from cert-manager; "
                f"this plan lacks {' and '.join(missing)}",
                f"add {' and '.join(missing)} to components, or remove gitops.sso",
            )

    @field_validator("validation")
    @classmethod
    def _known_tools(cls, tools: list[str]) -> list[str]:
        for i, tool in enumerate(tools):
            if problem := unknown_tool(tool):
                raise FieldValueError((i,), *problem)
            if tool in tools[:i]:
                raise FieldValueError((i,), f"'{tool}' is listed twice", "list each tool once")
        return tools

    @model_validator(mode="after")
    def _residency_gate_has_regions(self) -> "PlatformPlan":
        """A data-residency gate with nothing to compare against would pass anything."""
        for i, gate in enumerate(self.constitution):
            if gate.rule == "data-residency" and not gate.params.get("regions") and not self.constraints.data_residency:
                raise FieldValueError(
                    ("constitution", i, "params"),
                    "the data-residency gate has no allowed regions: neither params.regions nor constraints.data_residency is set",
                    "add params: {regions: [eu-]} to the gate, or set constraints.data_residency",
                )
        return self

    @field_validator("cloud")
    @classmethod
    def _aws_only(cls, v: str) -> str:
        if v.lower() != "aws":
            raise ValueError(f"cloud '{v}' is not supported yet; infraplan synthesizes for 'aws' only")
        return "aws"

    @model_validator(mode="after")
    def _charts_installed(self) -> "PlatformPlan":
        check_chart_choices(self)
        return self

    @model_validator(mode="after")
    def _unique(self) -> "PlatformPlan":
        for i, component in enumerate(self.components):
            if component in self.components[:i]:
                raise FieldValueError(("components", i), f"component '{component}' is listed twice", "list each component once")
        taken = {"argocd", *self.components}
        for i, m in enumerate(self.manifest_components):
            if m.name in taken:
                raise FieldValueError(
                    ("manifest_components", i, "name"),
                    f"'{m.name}' is already the name of a component",
                    f"names must differ from each other and from {', '.join(sorted({'argocd', *self.components}))}",
                )
            taken.add(m.name)
        if self.manifest_components and self.gitops.tool == "none":
            raise FieldValueError(
                ("manifest_components",),
                "manifest_components need GitOps: without it nothing would apply them",
                "set gitops.tool: argocd, or remove manifest_components",
            )
        if "aws-load-balancer-controller" in self.components and "cert-manager" not in self.components:
            raise FieldValueError(
                ("components", self.components.index("aws-load-balancer-controller")),
                "aws-load-balancer-controller needs cert-manager for its webhook certificate",
                "ArgoCD renders the chart without Helm's lookup, so the chart's own certificate would change at every sync; add cert-manager to components",
            )
        if self.gitops.sso is not None:
            self._check_sso()
        if "cert-manager" in self.components and self.certificates is None:
            raise FieldValueError(
                ("components", self.components.index("cert-manager")),
                "cert-manager is a component, but certificates is not set",
                "add certificates: {acme_email: ..., challenge: http-01 | dns-01}",
            )
        for i, gate in enumerate(self.constitution):
            if any(g.id == gate.id for g in self.constitution[:i]):
                raise FieldValueError(("constitution", i, "id"), f"gate id '{gate.id}' is used twice", "gate ids are unique")
        return self

    @model_validator(mode="after")
    def _bootstrap_by_hand_needs_argocd(self) -> "PlatformPlan":
        """By hand, a person installs ArgoCD and applies the root; without ArgoCD only the Pulumi program installs the add-ons."""
        if self.iac.cluster_bootstrap == "gitops-only" and self.gitops.tool != "argocd":
            raise FieldValueError(
                ("iac", "cluster_bootstrap"),
                "gitops-only bootstraps each cluster by installing ArgoCD and its root Application by hand, but gitops.tool is none: "
                "without ArgoCD the add-ons are installed by the Pulumi program as Helm releases",
                "set gitops.tool: argocd, or iac.cluster_bootstrap: pulumi",
            )
        return self

    @model_validator(mode="after")
    def _ssh_host_is_known(self) -> "PlatformPlan":
        """ArgoCD verifies the SSH host key against argocd-ssh-known-hosts-cm, which the chart fills
        for a few public hosts only: any other host needs its key in the plan, or https."""
        host = ssh_known_hosts_name(self.gitops.repo_url) if self.gitops.repository_auth == "ssh" else None
        if host is None or host in ARGOCD_KNOWN_SSH_HOSTS:
            return self
        extra = ((self.component_values.get("argocd") or {}).get("configs") or {}).get("ssh") or {}
        if host in known_hosts_names(str(extra.get("extraHosts") or "")):
            return self
        raise FieldValueError(
            ("gitops", "repository_auth"),
            f"ArgoCD does not know the SSH host key of {host}: it knows only {', '.join(sorted(ARGOCD_KNOWN_SSH_HOSTS))}",
            f"use repository_auth: https, or add the output of `{keyscan(host)}` under component_values.argocd.configs.ssh.extraHosts",
        )
