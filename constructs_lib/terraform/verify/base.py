"""What every live check shares: the difference it reports, the boto3 clients it reads with, and
the check of a log group a construct creates for a service's logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Difference:
    """One live setting that is not what the resolved model says (``exists``: the resource is missing)."""

    resource: str
    setting: str
    expected: object
    actual: object

    def render(self) -> str:
        if self.setting == "exists":
            return f"{self.resource}: missing"
        return f"{self.resource}: {self.setting} is {self.actual!r}, expected {self.expected!r}"


# An endpoint that accepts connections but never answers must not hold verify for minutes:
# botocore's defaults are 60 s per read and several retries.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 15
MAX_ATTEMPTS = 2


class Clients:
    """boto3 clients of one region, made once per service, with the short timeouts above;
    ``endpoint`` points them at a local AWS API such as moto (dummy credentials, S3 by path)."""

    def __init__(self, region: str, endpoint: str | None):
        import boto3
        from botocore.config import Config

        kwargs: dict[str, Any] = {
            "region_name": region,
            "config": Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S, retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"}),
        }
        if endpoint:
            kwargs.update(endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test")
        self._kwargs = kwargs
        self._boto3 = boto3
        self._cache: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._cache:
            kwargs = dict(self._kwargs)
            if service == "s3" and "endpoint_url" in kwargs:  # a local API serves buckets by path
                from botocore.config import Config

                kwargs["config"] = kwargs["config"].merge(Config(s3={"addressing_style": "path"}))
            self._cache[service] = self._boto3.client(service, **kwargs)
        return self._cache[service]


def check_log_group(aws: Clients, name: str, days: int) -> list[Difference]:
    """A log group a construct creates for a service's logs: kept ``days``, encrypted with a key."""
    groups = [g for g in aws("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    if not groups:
        return [Difference(f"log group {name}", "exists", True, False)]
    out = []
    if groups[0].get("retentionInDays") != days:
        out.append(Difference(f"log group {name}", "retention_days", days, groups[0].get("retentionInDays")))
    if not groups[0].get("kmsKeyId"):
        out.append(Difference(f"log group {name}", "KMS encryption", "a key", None))
    return out
