"""A CloudWatch log group encrypted with its own KMS key, with retention."""

from __future__ import annotations

from constructs import Construct

from .aws import logs
from .kms_key import EncryptionKey, logs_statement


class EncryptedLogGroup(Construct):
    """``cloudwatch_log_group`` with ``retention_in_days`` and a customer-managed key whose
    policy lets CloudWatch Logs use it for this account's log groups only."""

    def __init__(self, scope: Construct, id: str, *, name: str, retention_days: int, key_alias: str, description: str, account_id: str, region: str):
        super().__init__(scope, id)
        self.kms = EncryptionKey(self, "kms", alias=key_alias, description=description, account_id=account_id, statements=[logs_statement(region, account_id)])
        self.group = logs.CloudwatchLogGroup(self, "group", name=name, retention_in_days=retention_days, kms_key_id=self.kms.arn, tags={"Name": key_alias})

    @property
    def arn(self) -> str:
        return self.group.arn
