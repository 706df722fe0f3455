"""IAM policy documents as deterministic JSON strings (tokens stay inside strings)."""

from __future__ import annotations

import json
from typing import Any

from ..resolve import names

AWS_MANAGED = names.arn("iam", "", "aws", "policy")  # + "/<policy path>"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def allow(actions: list[str], resources: list[str] | str, sid: str | None = None, condition: dict | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if sid:
        st["Sid"] = sid
    if condition:
        st["Condition"] = condition
    return st


def assume_by_service(service: str) -> str:
    return document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})
