"""``tenants/<name>.yaml``: an organization on the platform."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..value_checks.aws import principal_arn_error
from ..value_checks.dns import check_dns_name
from ..value_checks.ipv4 import check_cidr
from .base import IPV4_CIDR_PATTERN, CpuQuantity, DnsLabel, IdentityGroup, InstanceType, MemoryQuantity, PlanModel, group_key
from .environment import DNS_NAME_PATTERN
from .errors import FieldValueError

GROUP_ROLES = ("admins", "developers", "viewers")
IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
IMAGE_TAG_SCHEMA = {"title": "exact image tag", "pattern": IMAGE_TAG_PATTERN, "not": {"const": "latest"}}  # check_image_tag, for the JSON Schema
CIDR_SCHEMA = {"title": "IPv4 CIDR block", "pattern": IPV4_CIDR_PATTERN}


def check_image_tag(tag: str) -> str:
    """An exact image tag: never 'latest', never empty, what a registry accepts as a tag."""
    if tag in ("latest", "") or not re.fullmatch(IMAGE_TAG_PATTERN, tag):
        raise FieldValueError((), f"image tag '{tag}' is not an exact version", "write a pinned tag such as '1.4.2' (letters, digits, '_', '.', '-'; not 'latest')")
    return tag


class Quotas(PlanModel):
    cpu: CpuQuantity = Field("4", description="CPU requests of all the tenant's pods together (ResourceQuota requests.cpu).")
    memory: MemoryQuantity = Field("8Gi", description="Memory requests and limits of all the tenant's pods together (requests.memory, limits.memory).")
    pods: int = Field(50, ge=1, description="Pods the tenant may run at once.")
    services_loadbalancers: int = Field(0, ge=0, description="Services of type LoadBalancer (each an AWS load balancer) the tenant may create.")
    persistentvolumeclaims: int = Field(10, ge=0, description="PersistentVolumeClaims (EBS volumes) the tenant may create.")


class TenantGroups(PlanModel):
    """Identity groups and the role each gets in the tenant's namespaces. A group belongs to one tenant."""

    admins: list[IdentityGroup] = Field(default_factory=list, description="Groups bound to tenant-admin in its namespaces; admins of its ArgoCD project.")
    developers: list[IdentityGroup] = Field(default_factory=list, description="Groups bound to tenant-developer in its namespaces; may view and sync its ArgoCD apps.")
    viewers: list[IdentityGroup] = Field(default_factory=list, description="Groups bound to tenant-viewer in its namespaces; may view its ArgoCD apps.")

    @model_validator(mode="after")
    def _one_role_each(self) -> "TenantGroups":
        seen: dict[str, str] = {}
        for role in GROUP_ROLES:
            for i, group in enumerate(getattr(self, role)):
                key = group_key(group)
                if key in seen:
                    where = "twice" if seen[key] == role else f"under {seen[key]} too"
                    raise FieldValueError((role, i), f"group '{group}' is listed {where}", "give each group one role: the highest it needs (admins > developers > viewers)")
                seen[key] = role
        return self


class TenantPrincipals(PlanModel):
    """Per tenant role (``<cluster>-<tenant>-<role>``), the IAM principals that may assume it in one
    environment, e.g. the IAM Identity Center permission-set roles of the tenant's people. They are
    the role's trust policy; validate checks each is in that environment's account."""

    admins: list[str] = Field(default_factory=list, description="IAM role or user ARNs that may assume the tenant's admins role here.")
    developers: list[str] = Field(default_factory=list, description="IAM role or user ARNs that may assume the tenant's developers role here.")
    viewers: list[str] = Field(default_factory=list, description="IAM role or user ARNs that may assume the tenant's viewers role here.")

    @model_validator(mode="after")
    def _arns(self) -> "TenantPrincipals":
        for role in GROUP_ROLES:
            values = getattr(self, role)
            for i, v in enumerate(values):
                if error := principal_arn_error((role, i), v):
                    raise error
                if v in values[:i]:
                    raise FieldValueError((role, i), f"'{v}' is listed twice", "list each principal once")
        return self


class AppPlan(PlanModel):
    name: DnsLabel = Field(description="The app's name (unique in the tenant): its Deployment, Service and Kustomize folder apps/<name>.")
    namespace: DnsLabel = Field(description="One of the tenant's namespaces, where the app runs.")
    image: str = Field(pattern=r"^[a-z0-9][a-z0-9._/-]*(:\d+)?[a-z0-9._/-]*$", description="The container image without its tag (registry/path).")
    tag: str = Field(description="Image tag per environment is set under environments.<env>.image_tags.", json_schema_extra=IMAGE_TAG_SCHEMA)
    port: int = Field(8080, ge=1, le=65535, description="The port the container listens on; its Service and probes use it.")
    replicas: int = Field(2, ge=1, description="Pods of the Deployment.")
    host: str | None = Field(
        None,
        json_schema_extra={"title": "DNS name", "pattern": DNS_NAME_PATTERN},
        description="Its hostname relative to each environment's dns.domain (shop -> shop.dev.acme.example.com), or a full name inside that domain.",
    )
    health_path: str = Field("/healthz", pattern=r"^/[\x21-\x7e]*$", description="The HTTP path of the readiness and liveness probes.")
    cpu: CpuQuantity = Field("250m", description="Each pod's CPU request.")
    memory: MemoryQuantity = Field("256Mi", description="Each pod's memory request and limit.")
    uses_database: bool = Field(False, description="The pods get the tenant's database credentials as environment variables (needs database.mode shared or dedicated).")

    @field_validator("tag")
    @classmethod
    def _exact_tag(cls, v: str) -> str:
        return check_image_tag(v)

    @field_validator("host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        return v if v is None else check_dns_name(v)


class TenantDatabase(PlanModel):
    mode: Literal["none", "shared", "dedicated"] = Field(
        "none", description="none; shared: a database and role on the environment's instance; dedicated: an RDS instance of the tenant's own."
    )
    name: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,62}$", description="The PostgreSQL database (and role) name; left out, the tenant's name with '_' for '-'.")
    credentials_version: int = Field(
        1, ge=1, description="Raise it to rotate the tenant's database password: Terraform writes a new one, the bootstrap Job sets it on the role."
    )


class TenantEnvironmentOverride(PlanModel):
    isolation: Literal["shared", "dedicated"] | None = Field(None, description="Replaces the tenant's isolation in this environment.")
    vpc_cidr: str | None = Field(None, description="The VPC of the tenant's dedicated cluster in this environment.", json_schema_extra=CIDR_SCHEMA)
    quotas: Quotas | None = Field(None, description="Replaces the tenant's quotas in this environment.")
    database: TenantDatabase | None = Field(None, description="Replaces the tenant's database in this environment.")
    image_tags: dict[str, str] = Field(
        default={},
        description="Per app name, its exact image tag in this environment (over the app's tag).",
        json_schema_extra={"additionalProperties": {"type": "string", **IMAGE_TAG_SCHEMA}},
    )
    node_instance_types: list[InstanceType] | None = Field(None, description="The instance types of the tenant's dedicated cluster's node groups in this environment.")
    access_principals: TenantPrincipals | None = Field(
        None, description="Who may assume the tenant's admins/developers/viewers roles in this environment (IAM ARNs in its account)."
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        return None if v is None else check_cidr(v)

    @field_validator("image_tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        for app, tag in v.items():
            try:
                check_image_tag(tag)
            except FieldValueError as exc:
                raise FieldValueError((app,), exc.message, exc.hint) from None
        return v


class TenantPlan(PlanModel):
    name: DnsLabel = Field(description="The tenant's name: its namespaces start with it; it names its stacks (<env>-tenant-<name>), roles and ArgoCD project.")
    display_name: str = Field(description="The tenant's name for people (its ArgoCD project's description).")
    isolation: Literal["shared", "dedicated"] = Field(
        "shared", description="shared: namespaces on the environment's cluster; dedicated: its own VPC, cluster (and database), per environment."
    )
    vpc_cidr: str | None = Field(None, description="Needed where the tenant has a dedicated cluster.", json_schema_extra=CIDR_SCHEMA)
    namespaces: list[DnsLabel] = Field(
        min_length=1, description="Its namespaces, each '<name>' or '<name>-...': quota, limits, default-deny NetworkPolicies, restricted Pod Security."
    )
    quotas: Quotas = Field(Quotas(), description="The tenant's whole quota, split evenly over its namespaces.")
    groups: TenantGroups = Field(TenantGroups(), description="Identity groups and their role in the tenant's namespaces and ArgoCD project.")
    access_trust: Literal["principals", "account"] = Field(
        "principals",
        description="principals: each tenant role trusts the ARNs of environments.<env>.access_principals only; "
        "account: it trusts the environment's account root (any principal whose IAM policy allows sts:AssumeRole on it).",
    )
    source_repos: list[str] = Field(default_factory=list, description="Git repos the tenant's ArgoCD project may use.")
    apps: list[AppPlan] = Field(default=[], description="The tenant's apps: a Kustomize base and an overlay per environment, synced by ArgoCD.")
    database: TenantDatabase = Field(TenantDatabase(), description="The tenant's PostgreSQL database and its credentials secret.")
    environments: dict[str, TenantEnvironmentOverride] = Field(default={}, description="Per environment name, what differs there.")

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        return None if v is None else check_cidr(v)

    @model_validator(mode="after")
    def _consistent(self) -> "TenantPlan":
        for i, ns in enumerate(self.namespaces):
            if ns in self.namespaces[:i]:
                raise FieldValueError(("namespaces", i), f"namespace '{ns}' is listed twice", "list each namespace once")
            if not ns.startswith(f"{self.name}-") and ns != self.name:
                raise FieldValueError(
                    ("namespaces", i),
                    f"namespace '{ns}' must be '{self.name}' or start with '{self.name}-' so tenants never collide",
                    f"e.g. '{self.name}-{ns}'",
                )
        for i, app in enumerate(self.apps):
            if any(other.name == app.name for other in self.apps[:i]):
                raise FieldValueError(("apps", i, "name"), f"app name '{app.name}' is used twice", "app names are unique within a tenant")
            if app.namespace not in self.namespaces:
                raise FieldValueError(
                    ("apps", i, "namespace"),
                    f"app '{app.name}' uses namespace '{app.namespace}', which is not one of the tenant's",
                    f"the tenant's namespaces: {', '.join(self.namespaces)}",
                )
        for env_name, override in self.environments.items():
            for app_name in override.image_tags:
                if not any(a.name == app_name for a in self.apps):
                    raise FieldValueError(
                        ("environments", env_name, "image_tags", app_name),
                        f"image_tags names '{app_name}', which is not an app of this tenant",
                        f"apps: {', '.join(a.name for a in self.apps) or 'none'}",
                    )
        users = [i for i, a in enumerate(self.apps) if a.uses_database]
        if users:
            if self.database.mode == "none":
                raise FieldValueError(
                    ("apps", users[0], "uses_database"),
                    f"app '{self.apps[users[0]].name}' uses a database, but database.mode is 'none'",
                    "set database.mode to shared or dedicated, or uses_database: false",
                )
            for env_name, override in self.environments.items():
                if override.database is not None and override.database.mode == "none":
                    raise FieldValueError(
                        ("environments", env_name, "database", "mode"),
                        f"app '{self.apps[users[0]].name}' uses a database, but there is none in '{env_name}'",
                        "shared or dedicated",
                    )
        return self
