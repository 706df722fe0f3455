"""A customer-managed KMS key with rotation on, an explicit key policy, and its alias."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from ..resolve import names
from . import policy
from .aws import kms

KEY_USE = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def logs_statement(region: str, account_id: str) -> dict[str, Any]:
    """Let CloudWatch Logs use the key, for this account's log groups only."""
    return {
        "Sid": "CloudWatchLogs",
        "Effect": "Allow",
        "Principal": {"Service": names.service_principal("logs", region)},
        "Action": KEY_USE,
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": names.arn("logs", region, account_id, "log-group:*")}},
    }


def principal_via_service_statement(sid: str, principal_arn: str, service: str, actions: list[str]) -> dict[str, Any]:
    """Let one IAM principal use the key only through one AWS service. The principal is
    matched by condition, so the key can be created before the principal exists."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": actions,
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalArn": principal_arn, "kms:ViaService": service}},
    }


class EncryptionKey(Construct):
    """``kms_key`` + ``kms_alias``: rotation on, 30-day deletion window, and a key policy
    that keeps administration with the account (IAM policies decide who) plus the
    service statements the key's users need."""

    def __init__(self, scope: Construct, id: str, *, alias: str, description: str, account_id: str, statements: list[dict[str, Any]] | None = None):
        super().__init__(scope, id)
        key_policy = policy.document(
            {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": names.account_root_arn(account_id)}, "Action": "kms:*", "Resource": "*"},
            *(statements or []),
        )
        self.key = kms.KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy,
            tags={"Name": alias},
        )
        kms.KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.ref("key_id"))

    @property
    def arn(self) -> str:
        return self.key.arn
