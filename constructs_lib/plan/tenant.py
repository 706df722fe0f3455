"""``tenants/<name>.yaml``: an organization on the platform."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import DnsLabel, PlanModel
from .environment import check_cidr

_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


class Quotas(PlanModel):
    cpu: str = "4"
    memory: str = "8Gi"
    pods: int = Field(50, ge=1)
    services_loadbalancers: int = Field(0, ge=0)
    persistentvolumeclaims: int = Field(10, ge=0)

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _quantity(cls, v: object) -> str:
        v = str(v)
        if not _QUANTITY.match(v):
            raise ValueError(f"'{v}' is not a Kubernetes quantity such as '4', '500m' or '16Gi'")
        return v


class TenantGroups(PlanModel):
    admins: list[str] = Field(default_factory=list)
    developers: list[str] = Field(default_factory=list)
    viewers: list[str] = Field(default_factory=list)


class AppPlan(PlanModel):
    name: DnsLabel
    namespace: DnsLabel
    image: str = Field(pattern=r"^[a-z0-9][a-z0-9._/-]*(:\d+)?[a-z0-9._/-]*$")
    tag: str = Field(description="Image tag per environment is set under environments.<env>.image_tags.")
    port: int = Field(8080, ge=1, le=65535)
    replicas: int = Field(2, ge=1)
    host: str | None = None
    health_path: str = "/healthz"
    cpu: str = "250m"
    memory: str = "256Mi"
    uses_database: bool = False

    @field_validator("tag")
    @classmethod
    def _exact_tag(cls, v: str) -> str:
        if v in ("latest", "") or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", v):
            raise ValueError(f"image tag '{v}' must be an exact version such as '1.4.2', not 'latest'")
        return v


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
    node_instance_types: list[str] | None = None

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        return None if v is None else check_cidr(v)


class TenantPlan(PlanModel):
    name: DnsLabel
    display_name: str
    isolation: Literal["shared", "dedicated"] = "shared"
    vpc_cidr: str | None = Field(None, description="Needed where the tenant has a dedicated cluster.")
    namespaces: list[DnsLabel] = Field(min_length=1)
    quotas: Quotas = Quotas()
    groups: TenantGroups = TenantGroups()
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
        if len(set(self.namespaces)) != len(self.namespaces):
            raise ValueError("namespaces: each namespace may be listed once")
        for ns in self.namespaces:
            if not ns.startswith(f"{self.name}-") and ns != self.name:
                raise ValueError(f"namespace '{ns}' must be '{self.name}' or start with '{self.name}-' so tenants never collide")
        names = [a.name for a in self.apps]
        if len(set(names)) != len(names):
            raise ValueError("apps: app names must be unique within a tenant")
        for app in self.apps:
            if app.namespace not in self.namespaces:
                raise ValueError(f"app '{app.name}' uses namespace '{app.namespace}', which is not in namespaces {self.namespaces}")
        uses_db = any(a.uses_database for a in self.apps)
        if uses_db and self.database.mode == "none":
            raise ValueError("an app has uses_database: true but database.mode is 'none'")
        return self
