"""Shared pieces of the plan model: strict base model and reusable field types."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from ..resolve import names
from ..value_checks.aws import LOG_RETENTION_DAYS, catalog, rds_postgres_versions
from ..value_checks.characters import ascii_twin, describe_character, lookalike, not_ascii_error
from ..value_checks.ipv4 import PUBLIC_CIDRS_MAX, check_public_cidrs
from .errors import FieldValueError

NEEDS_CLARIFICATION = "NEEDS CLARIFICATION"

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class PlanModel(BaseModel):
    """Every plan model forbids unknown keys, takes values only of the type it declares
    (strict: no "5" for 5, no true for 1, no 4200 for "4200"), and is immutable once read."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


@dataclass(frozen=True, eq=False)  # hashed by identity: Annotated metadata must be hashable (X | None)
class EditorSchema:
    """The JSON Schema of a type whose rule is a Python function (pydantic sees only its base type):
    what an editor can check of it, so that ``infraplan schema`` neither accepts nonsense nor
    refuses a value the plan takes. ``schema`` may be a function, for values read from a catalog."""

    title: str
    schema: dict[str, Any] | Callable[[], dict[str, Any]]

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"title": self.title, **(self.schema() if callable(self.schema) else self.schema)}


DNS1123_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4_CIDR_PATTERN = rf"^({_OCTET}\.){{3}}{_OCTET}/([0-9]|[12][0-9]|3[0-2])$"


# --- Names ----------------------------------------------------------------------------------


def _dns_label(value: str) -> str:
    if not value.isascii():
        twin = ascii_twin(value).lower()
        suggestion = twin if twin.isascii() and _DNS1123_LABEL.match(twin) else re.sub(r"[^a-z0-9-]+", "-", twin.lower()).strip("-") or "name"
        raise not_ascii_error(value, "a DNS-1123 label", f"type it again in ASCII: '{suggestion}' (lowercase letters a-z, digits 0-9 and '-')")
    if len(value) > 63:
        raise ValueError(f"'{value}' is {len(value)} characters; a DNS-1123 label has at most 63")
    if not _DNS1123_LABEL.match(value):
        suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "name"
        raise ValueError(
            f"'{value}' is not a DNS-1123 label (lowercase letters, digits and '-', "
            f"starting and ending with a letter or digit); did you mean '{suggestion}'?"
        )
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label), EditorSchema("DNS-1123 label", {"type": "string", "maxLength": 63, "pattern": DNS1123_LABEL_PATTERN})]
"""A Kubernetes/DNS-1123 label: names of tenants, environments, namespaces, apps."""


def _git_url(value: str) -> str:
    if not value.startswith(("https://", "ssh://", "git@")):
        raise ValueError(f"'{value}' is not a Git URL (https://, ssh:// or git@)")
    return value


GitUrl = Annotated[str, AfterValidator(_git_url), EditorSchema("Git URL", {"type": "string", "pattern": "^(https://|ssh://|git@)"})]


def _identity_group(value: str) -> str:
    """A group of the identity provider, as Kubernetes RBAC, EKS access entries and ArgoCD see it."""
    if not value:
        raise FieldValueError((), "an identity group name is empty", "write the group's name as your identity provider sends it")
    bad = next((c for c in value if c.isspace() or unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        raise FieldValueError((), f"the group '{value}' contains {describe_character(bad)}", "group names have no spaces or control characters")
    if value.startswith("system:"):
        raise FieldValueError(
            (),
            f"'{value}' is a Kubernetes system group: 'system:' groups are the API server's own "
            "(system:masters is cluster-admin everywhere, system:authenticated is every user)",
            "name a group of your identity provider; EKS access entries refuse 'system:' groups",
        )
    deceptive = next((c for c in value if not c.isascii() and lookalike(c)), None)
    if deceptive is not None:
        raise FieldValueError(
            (),
            f"the group '{value}' is not what it looks like: {describe_character(deceptive)}",
            f"a group that only looks like '{ascii_twin(value)}' is another group: type its name in ASCII",
        )
    return value


IdentityGroup = Annotated[str, AfterValidator(_identity_group), EditorSchema("identity group", {"type": "string", "pattern": "^(?!system:)[^\\s]+$"})]
"""An identity (OIDC/SSO) group: RoleBinding subject, EKS access entry group, ArgoCD project role group."""


def group_key(group: str) -> str:
    """How two spellings of one group compare (case and compatibility forms folded)."""
    return unicodedata.normalize("NFKC", group).casefold()


# --- AWS values -----------------------------------------------------------------------------


def _account_id(value: str) -> str:
    if not value.isascii():
        raise not_ascii_error(value, "an AWS account id", "type the 12 digits again in ASCII (0-9)")
    if not re.fullmatch(r"[0-9]{12}", value):
        raise ValueError(f"'{value}' is not an AWS account id (12 digits, quote it in YAML to keep leading zeros)")
    return value


AwsAccountId = Annotated[str, AfterValidator(_account_id), EditorSchema("AWS account id", {"type": "string", "pattern": "^[0-9]{12}$"})]

SUPPORTED_PARTITION = names.PARTITION  # the partition of every ARN infraplan writes (resolve/names.py)


def aws_regions() -> dict[str, list[str]]:
    """AWS regions by partition (constructs_lib/data/aws_regions.yaml)."""
    return {p: list(rs) for p, rs in catalog("aws_regions.yaml").items()}


def _region(value: str) -> str:
    by_partition = aws_regions()
    usable = by_partition[SUPPORTED_PARTITION]
    if not value.isascii():
        twin = ascii_twin(value)
        raise not_ascii_error(value, "an AWS region name", f"did you mean '{twin}'?" if twin in usable else f"AWS regions: {', '.join(usable)}")
    partition = next((p for p, regions in by_partition.items() if value in regions), None)
    if partition is None:
        close = difflib.get_close_matches(value, usable, n=1)
        raise FieldValueError(
            (),
            f"'{value}' is not an AWS region",
            (f"did you mean '{close[0]}'? " if close else "") + f"AWS regions: {', '.join(usable)}",
        )
    if partition != SUPPORTED_PARTITION:
        raise FieldValueError(
            (),
            f"'{value}' is a region of the {partition} partition; infraplan writes arn:{SUPPORTED_PARTITION}: ARNs and supports the {SUPPORTED_PARTITION} partition only",
            f"use a region of the {SUPPORTED_PARTITION} partition: {', '.join(usable)}",
        )
    return value


AwsRegion = Annotated[str, AfterValidator(_region), EditorSchema("AWS region", lambda: {"type": "string", "enum": aws_regions()[SUPPORTED_PARTITION]})]


def _k8s_version(value: str) -> str:
    value = str(value)
    if not re.fullmatch(r"1\.[0-9]{2}", value):
        raise ValueError(f"'{value}' is not a Kubernetes minor version such as '1.31' (quote it in YAML)")
    from .kubernetes_support import calendar, refusal, today

    known = sorted(catalog("eks_addons.yaml"), key=lambda v: tuple(int(p) for p in v.split(".")))
    if value not in calendar():
        raise FieldValueError(
            (),
            f"Kubernetes {value} is not in the EKS support calendar (constructs_lib/data/eks_support.yaml)",
            f"supported versions: {', '.join(known)}; a new version needs its support dates and add-ons pinned first",
        )
    if (past := refusal(value, today(), set(known))) is not None:
        raise FieldValueError((), *past)
    if value not in known:
        raise FieldValueError(
            (),
            f"Kubernetes {value} has no pinned EKS add-on versions (constructs_lib/data/eks_addons.yaml)",
            f"supported versions: {', '.join(known)}; a new version needs its add-ons pinned there first",
        )
    return value


def _k8s_versions_schema() -> dict[str, Any]:
    """The versions with pinned add-ons; whether EKS still supports one depends on the day, which validate judges."""
    from .kubernetes_support import calendar

    known = sorted((v for v in catalog("eks_addons.yaml") if v in calendar()), key=lambda v: tuple(int(p) for p in v.split(".")))
    return {"type": "string", "enum": known}


KubernetesVersion = Annotated[str, AfterValidator(_k8s_version), EditorSchema("Kubernetes minor version", _k8s_versions_schema)]


def _pg_version(value: str) -> str:
    offered = rds_postgres_versions()
    if value in offered or any(value in minors for minors in offered.values()):
        return value
    majors = ", ".join(sorted(offered, key=int))
    major = value.split(".")[0]
    if major in offered:
        hint = f"write '{major}' (RDS picks its default {major}.x) or one of {', '.join(offered[major])}"
    else:
        hint = f"majors: {majors}; or a listed minor such as {', '.join(m[-1] for m in offered.values())}"
    raise FieldValueError((), f"RDS for PostgreSQL does not offer engine version '{value}' (constructs_lib/data/rds_postgres_versions.yaml)", hint)


RdsPostgresVersion = Annotated[
    str,
    AfterValidator(_pg_version),
    EditorSchema("PostgreSQL version", lambda: {"type": "string", "enum": [v for major, minors in sorted(rds_postgres_versions().items(), key=lambda kv: int(kv[0])) for v in (major, *minors)]}),
]
"""A PostgreSQL major ("16") or a minor RDS offers ("16.9")."""


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        above = [d for d in LOG_RETENTION_DAYS if d > value]
        nearest = f"the next one up is {above[0]}; " if above and value > 0 else ""
        raise FieldValueError((), f"CloudWatch Logs cannot keep logs {value} days", f"{nearest}allowed: {', '.join(map(str, LOG_RETENTION_DAYS))} (0 = never expire)")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_retention), EditorSchema("CloudWatch Logs retention (days)", {"type": "integer", "enum": list(LOG_RETENTION_DAYS)})]


def _tags(tags: dict[str, str]) -> dict[str, str]:
    """AWS tag rules: keys 1-128 and values 0-256 characters, no 'aws:' prefix."""
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise FieldValueError((key,), f"the tag key '{key[:40]}' is {len(key)} characters; AWS allows 1 to 128")
        if key.lower().startswith("aws:"):
            raise FieldValueError((key,), f"the tag key '{key}' starts with 'aws:', which AWS reserves for its own tags", "choose another key")
        if len(value) > 256:
            raise FieldValueError((key,), f"the value of tag '{key}' is {len(value)} characters; AWS allows at most 256")
        bad = next((c for c in key + value if not (c.isalnum() or c in " _.:/=+-@")), None)
        if bad is not None:
            raise FieldValueError((key,), f"tag '{key}' contains {describe_character(bad) if not bad.isascii() else repr(bad)}", "AWS tags take letters, digits, spaces and _ . : / = + - @")
    return tags


AwsTags = Annotated[
    dict[str, str],
    AfterValidator(_tags),
    EditorSchema(
        "AWS tags",
        {
            "type": "object",
            "propertyNames": {"minLength": 1, "maxLength": 128, "not": {"pattern": "^[aA][wW][sS]:"}},
            "additionalProperties": {"type": "string", "maxLength": 256},
        },
    ),
]


def _instance_type(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", value):
        raise ValueError(f"'{value}' is not an EC2 instance type such as 'm6i.large'")
    return value


InstanceType = Annotated[str, AfterValidator(_instance_type), EditorSchema("EC2 instance type", {"type": "string", "pattern": "^[a-z][a-z0-9-]*\\.[a-z0-9]+$"})]

PublicAccessCidrs = Annotated[
    list[str], AfterValidator(check_public_cidrs), EditorSchema("public IPv4 CIDR blocks", {"type": "array", "maxItems": PUBLIC_CIDRS_MAX, "items": {"type": "string", "pattern": IPV4_CIDR_PATTERN}})
]

# --- Kubernetes quantities --------------------------------------------------------------------

_QUANTITY = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]{1,3}))?", re.ASCII)
_SUFFIX: dict[str, Fraction] = {
    "": Fraction(1), "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30), "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}  # fmt: skip
QUANTITY_MAX = 2**63 - 1  # Kubernetes caps larger quantities silently


def parse_quantity(text: str) -> Fraction:
    """The exact value of a Kubernetes quantity ('500m', '16Gi', '16G', '2k', '1e3'); ValueError if it is not one."""
    m = _QUANTITY.fullmatch(text) if len(text) <= 64 else None
    if not m:
        raise ValueError(f"'{text}' is not a Kubernetes quantity")
    sign, number, suffix, exponent = m.groups()
    value = Fraction(number) * (_SUFFIX[suffix or ""] if exponent is None else Fraction(10) ** int(exponent))
    return -value if sign == "-" else value


def _quantity_text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a Kubernetes quantity such as '4', '500m' or '16Gi' (quote it in YAML)")
    return value if isinstance(value, str) else str(value)


def _cpu(text: str) -> str:
    try:
        cores = parse_quantity(text)
    except ValueError:
        raise FieldValueError((), f"'{text}' is not a CPU quantity", "cores ('2', '0.5', '2k', '1e3') or millicores ('500m')") from None
    if cores <= 0:
        raise FieldValueError((), f"CPU '{text}' is not more than zero", "cores ('2', '0.5') or millicores ('500m')")
    milli = cores * 1000
    if milli.denominator != 1:
        raise FieldValueError((), f"CPU '{text}' is finer than 1m, the smallest CPU amount Kubernetes knows", "round it to whole millicores, e.g. '1m' or '0.001'")
    if milli > QUANTITY_MAX:
        raise FieldValueError((), f"CPU '{text}' is too large for Kubernetes", "at most 9223372036854775807m")
    return text


def _memory(text: str) -> str:
    try:
        size = parse_quantity(text)
    except ValueError:
        raise FieldValueError((), f"'{text}' is not a memory quantity", "bytes with a suffix: '512Mi', '16Gi' (powers of 1024) or '16G' (powers of 1000)") from None
    if size <= 0:
        raise FieldValueError((), f"memory '{text}' is not more than zero", "e.g. '512Mi' or '16Gi'")
    if size.denominator != 1:
        unit = re.sub(r"^[+-]?[0-9.]+", "", text)
        hint = f"did you mean '{text[: -len(unit)]}Mi'? ('m' is one thousandth)" if unit == "m" else "memory is a whole number of bytes"
        raise FieldValueError((), f"memory '{text}' is {float(size):g} bytes, not a whole number of bytes", hint)
    if size > QUANTITY_MAX:
        raise FieldValueError((), f"memory '{text}' is too large for Kubernetes", "at most 8Ei - 1 byte")
    return text


# A quantity as text or a YAML number (pattern and minimum each apply to their own type).
_QUANTITY_SCHEMA = {
    "type": ["string", "number"],
    "pattern": r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]{1,3})?$",
    "exclusiveMinimum": 0,
}
CpuQuantity = Annotated[str, BeforeValidator(_quantity_text), AfterValidator(_cpu), EditorSchema("CPU quantity", _QUANTITY_SCHEMA)]
"""A CPU amount: cores or millicores, any Kubernetes quantity form ('2', '500m', '2k', '1e3')."""
MemoryQuantity = Annotated[str, BeforeValidator(_quantity_text), AfterValidator(_memory), EditorSchema("memory quantity", _QUANTITY_SCHEMA)]
"""A memory amount in whole bytes, any Kubernetes quantity form ('16Gi', '16G', '512Mi', '1e9')."""
