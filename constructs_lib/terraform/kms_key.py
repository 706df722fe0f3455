"""A customer-managed KMS key with rotation on, and its alias."""

from __future__ import annotations

from constructs import Construct

from .aws import kms


class EncryptionKey(Construct):
    """``kms_key`` + ``kms_alias``: rotation on, 30-day deletion window."""

    def __init__(self, scope: Construct, id: str, *, alias: str, description: str, policy: str | None = None):
        super().__init__(scope, id)
        self.key = kms.KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
            tags={"Name": alias},
        )
        kms.KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.ref("key_id"))

    @property
    def arn(self) -> str:
        return self.key.arn
