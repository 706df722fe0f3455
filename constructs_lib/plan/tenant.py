"""``tenants/<name>.yaml``: an organization on the platform."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import CpuQuantity, DnsLabel, IdentityGroup, InstanceType, MemoryQuantity, PlanModel, group_key
from .environment import check_cidr, check_dns_name, principal_arn_error
from .errors import FieldValueError

GROUP_ROLES = ("admins", "developers", "viewers")


def check_image_tag(tag: str) -> str:
    """An exact image tag: never 'latest', never empty, what a registry accepts as a tag."""
    if tag in ("latest", "") or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag):
        raise FieldValueError((), f"image tag '{tag}' is not an exact version", "write a pinned tag such as '1.4.2' (letters, digits, '_', '.', '-'; not 'latest')")
    return tag


class Quotas(PlanModel):
    cpu: CpuQuantity = "4"
    memory: MemoryQuantity = "8Gi"
    pods: int = Field(50, ge=1)
    services_loadbalancers: int = Field(0, ge=0)
    persistentvolumeclaims: int = Field(10, ge=0)


class TenantGroups(PlanModel):
    """Identity groups and the role each gets in the tenant's namespaces. A group belongs to one tenant."""

    admins: list[IdentityGroup] = Field(default_factory=list)
    developers: list[IdentityGroup] = Field(default_factory=list)
    viewers: list[IdentityGroup] = Field(default_factory=list)

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

    admins: list[str] = Field(default_factory=list)
    developers: list[str] = Field(default_factory=list)
    viewers: list[str] = Field(default_factory=list)

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
    name: DnsLabel
    namespace: DnsLabel
    image: str = Field(pattern=r"^[a-z0-9][a-z0-9._/-]*(:\d+)?[a-z0-9._/-]*$")
    tag: str = Field(description="Image tag per environment is set under environments.<env>.image_tags.")
    port: int = Field(8080, ge=1, le=65535)
    replicas: int = Field(2, ge=1)
    host: str | None = Field(
        None,
        description="Its hostname relative to each environment's dns.domain (shop -> shop.dev.acme.example.com), or a full name inside that domain.",
    )
    health_path: str = Field("/healthz", pattern=r"^/[\x21-\x7e]*$", description="The HTTP path of the readiness and liveness probes.")
    cpu: CpuQuantity = "250m"
    memory: MemoryQuantity = "256Mi"
    uses_database: bool = False

    @field_validator("tag")
    @classmethod
    def _exact_tag(cls, v: str) -> str:
        return check_image_tag(v)

    @field_validator("host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        return v if v is None else check_dns_name(v)


class TenantDatabase(PlanModel):
    mode: Literal["none", "shared", "dedicated"] = "none"
    name: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    credentials_version: int = Field(
        1, ge=1, description="Raise it to rotate the tenant's database password: Terraform writes a new one, the bootstrap Job sets it on the role."
    )


class TenantEnvironmentOverride(PlanModel):
    isolation: Literal["shared", "dedicated"] | None = None
    vpc_cidr: str | None = None
    quotas: Quotas | None = None
    database: TenantDatabase | None = None
    image_tags: dict[str, str] = {}
    node_instance_types: list[InstanceType] | None = None
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
    name: DnsLabel
    display_name: str
    isolation: Literal["shared", "dedicated"] = "shared"
    vpc_cidr: str | None = Field(None, description="Needed where the tenant has a dedicated cluster.")
    namespaces: list[DnsLabel] = Field(min_length=1)
    quotas: Quotas = Quotas()
    groups: TenantGroups = TenantGroups()
    access_trust: Literal["principals", "account"] = Field(
        "principals",
        description="principals: each tenant role trusts the ARNs of environments.<env>.access_principals only; "
        "account: it trusts the environment's account root (any principal whose IAM policy allows sts:AssumeRole on it).",
    )
    source_repos: list[str] = Field(default_factory=list, description="Git repos the tenant's ArgoCD project may use.")
    apps: list[AppPlan] = []
    database: TenantDatabase = TenantDatabase()
    environments: dict[str, TenantEnvironmentOverride] = {}

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
