"""What AWS accepts, as infraplan checks it both in the plan and on the constructs' props: log
retention days, RDS for PostgreSQL versions, S3 bucket name prefixes, security group ids, the
private API endpoint's rule quota and IAM principal ARNs; and the data files they are read from."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..plan.errors import FieldValueError
from ..resolve import names


@cache
def catalog(name: str) -> Any:
    """A data file of ``constructs_lib/data`` (read once)."""
    return yaml.safe_load(resources.files("constructs_lib.data").joinpath(name).read_text(encoding="utf-8"))


def rds_postgres_versions() -> dict[str, list[str]]:
    """Majors and minors of RDS for PostgreSQL (constructs_lib/data/rds_postgres_versions.yaml)."""
    return {str(major): [str(m) for m in minors] for major, minors in catalog("rds_postgres_versions.yaml").items()}


# CloudWatch Logs' retention values (0 = never expire): terraform-provider-aws
# internal/service/logs/group.go, retention_in_days ValidateFunc IntInSlice (unchanged from 5.x to 6.x).
LOG_RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


# Bucket name prefixes S3 reserves (general purpose buckets naming rules).
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
API_ACCESS_RULES_MAX = 60  # EC2 quota "inbound rules per security group" (default): one rule per source
SECURITY_GROUP_ID = re.compile(r"sg-(?:[0-9a-f]{8}|[0-9a-f]{17})")

IAM_PRINCIPAL_ARN = re.compile(rf"arn:{re.escape(names.PARTITION)}:iam::([0-9]{{12}}):(role|user)/[\w+=,.@/-]{{1,512}}", re.ASCII)


def principal_arn_error(path: tuple[str | int, ...], value: str) -> FieldValueError | None:
    """Why ``value`` is no IAM role or user ARN of infraplan's partition (None when it is one)."""
    if IAM_PRINCIPAL_ARN.fullmatch(value):
        return None
    shape = f"arn:{names.PARTITION}:iam::<12-digit account>:role/<name> (or :user/<name>)"
    other = re.match(r"arn:(aws-[a-z-]+):", value, re.ASCII)
    if other:
        return FieldValueError(path, f"'{value}' is in the {other[1]} partition; infraplan supports the {names.PARTITION} partition only", shape)
    return FieldValueError(path, f"'{value}' is not an IAM principal ARN", shape)


def check_principal_arns(values: list[str], why_unique: str) -> list[str]:
    """IAM role or user ARNs, each once."""
    for i, v in enumerate(values):
        if error := principal_arn_error((i,), v):
            raise error
        if v in values[:i]:
            raise FieldValueError((i,), f"'{v}' is listed twice", why_unique)
    return values
