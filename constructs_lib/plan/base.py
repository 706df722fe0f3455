"""Shared pieces of the plan model: strict base model and reusable field types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

NEEDS_CLARIFICATION = "NEEDS CLARIFICATION"

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class PlanModel(BaseModel):
    """Every plan model forbids unknown keys, takes values only of the type it declares
    (strict: no "5" for 5, no true for 1, no 4200 for "4200"), and is immutable once read."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


def _dns_label(value: str) -> str:
    if len(value) > 63:
        raise ValueError(f"'{value}' is {len(value)} characters; a DNS-1123 label has at most 63")
    if not _DNS1123_LABEL.match(value):
        suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "name"
        raise ValueError(
            f"'{value}' is not a DNS-1123 label (lowercase letters, digits and '-', "
            f"starting and ending with a letter or digit); did you mean '{suggestion}'?"
        )
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
"""A Kubernetes/DNS-1123 label: names of tenants, environments, namespaces, apps."""


def _git_url(value: str) -> str:
    if not value.startswith(("https://", "ssh://", "git@")):
        raise ValueError(f"'{value}' is not a Git URL (https://, ssh:// or git@)")
    return value


GitUrl = Annotated[str, AfterValidator(_git_url)]


def _account_id(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise ValueError(f"'{value}' is not an AWS account id (12 digits, quote it in YAML to keep leading zeros)")
    return value


AwsAccountId = Annotated[str, AfterValidator(_account_id)]


def _region(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", value):
        raise ValueError(f"'{value}' is not an AWS region name such as 'eu-west-1'")
    return value


AwsRegion = Annotated[str, AfterValidator(_region)]


def _k8s_version(value: str) -> str:
    if not re.fullmatch(r"1\.\d{2}", str(value)):
        raise ValueError(f"'{value}' is not a Kubernetes minor version such as '1.31' (quote it in YAML)")
    return str(value)


KubernetesVersion = Annotated[str, AfterValidator(_k8s_version)]
