"""A CloudWatch log group encrypted with its own KMS key, with retention."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from .attribute_handover import Block
from .aws import logs
from .kms_key import EncryptionKey, logs_statement


class _AdoptIfPresent(Block):
    """An ``import`` block that adopts the log group when ``lookup`` finds one of its name and the
    state has none (Terraform 1.7's ``for_each`` over zero or one key; an address already in
    state is never imported again), so the next apply takes it over instead of failing on
    CreateLogGroup's ResourceAlreadyExistsException. cdktf's ``import_from`` has no ``for_each``."""

    def __init__(self, scope: Construct, id: str, *, group: logs.CloudwatchLogGroup, lookup: logs.DataCloudwatchLogGroups):
        super().__init__(scope, id, "import")
        self._group = group
        self._lookup = lookup

    def ask_terraform(self) -> Any:
        # References only (the name is the lookup's own argument): no plan text in an expression.
        name = self._lookup.expr("log_group_name_prefix")
        return {
            "import": [
                {
                    "to": f"{self._group.resource_type}.{self._group._unique_id()}",  # asked of cdktf once, not at each synth pass
                    "id": "${" + name + "}",
                    "for_each": "${contains(" + self._lookup.expr("log_group_names") + ", " + name + ') ? toset(["present"]) : toset([])}',
                }
            ]
        }


class EncryptedLogGroup(Construct):
    """``cloudwatch_log_group`` with ``retention_in_days`` and a customer-managed key whose
    policy lets CloudWatch Logs use it for this account's log groups only.

    ``adopt_existing``: a service that writes to a fixed name (EKS: ``/aws/eks/<cluster>/cluster``)
    creates the group itself when it is missing, e.g. with the last logs after Terraform deleted
    it; the stack then adopts that group (its retention and key set again) instead of failing."""

    def __init__(
        self, scope: Construct, id: str, *, name: str, retention_days: int, key_alias: str, description: str, account_id: str, region: str, adopt_existing: bool = False
    ):
        super().__init__(scope, id)
        self.kms = EncryptionKey(self, "kms", alias=key_alias, description=description, account_id=account_id, statements=[logs_statement(region, account_id)])
        self.group = logs.CloudwatchLogGroup(self, "group", name=name, retention_in_days=retention_days, kms_key_id=self.kms.arn, tags={"Name": key_alias})
        if adopt_existing:
            lookup = logs.DataCloudwatchLogGroups(self, "existing", log_group_name_prefix=name)
            _AdoptIfPresent(self, "adopt", group=self.group, lookup=lookup)

    @property
    def arn(self) -> str:
        return self.group.arn
