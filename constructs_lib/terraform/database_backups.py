"""The DatabaseBackupReplication construct: an RDS instance's automated backups copied into this
stack's region, so the database can be restored to a point in time there if its own region is lost.

``DatabaseBackupReplication(stack, "database_backups", source=db)`` with a Database of another
region's stack, or ``source_arn=...`` for an instance no construct here made; the plan is one front
end (``stacks.py: RegionalStack`` copies the primary database's backups into each secondary region).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from constructs import Construct

from ..resolve import names
from .aws import rds
from .database import Database
from .engine import cdktf
from .kms_key import EncryptionKey
from .props import ConstructPropsError, account_and_region, construct_path, props_from
from .secret_checks import key_alias_problem

RETENTION_DAYS = (1, 35)
"""The copies' retention RDS accepts, as for the instance's own automated backups."""
_SOURCE_ARN = re.compile(rf"^arn:{names.PARTITION}:rds:([a-z0-9-]+):(\d{{12}}):db:(.+)$")
_KEY_ARN = re.compile(rf"^arn:{names.PARTITION}:kms:([a-z0-9-]+):\d{{12}}:key/[A-Za-z0-9-]+$")


@dataclass(frozen=True, kw_only=True)
class DatabaseBackupReplicationProps:
    """A copy of one instance's automated backups (snapshots and transaction logs) in this stack's
    region. Required: the instance, as ``source`` or ``source_arn`` (one of them). Not a prop: the
    copies are encrypted, with a key in this region."""

    source: Database | None = None
    """The instance whose backups are copied: a Database built in another region's stack (its ARN is
    derived from its identifier, account and region, so no stack reads another's state).
    @default none: give ``source_arn`` instead."""
    source_arn: str | None = None
    """The instance by ARN, ``arn:<partition>:rds:<region>:<account>:db:<identifier>``, for one no construct
    here made. @default none: give ``source`` instead."""
    retention_days: int = 7
    """How long the copies are kept, 1 to 35 days. @default 7 days, RDS's own default for the copies;
    the plan keeps them as long as the instance keeps its backups."""
    kms_key: EncryptionKey | str | None = None
    """The key the copies are encrypted with, in this region: an EncryptionKey of this stack, a key
    ARN (``arn:<partition>:kms:<this region>:<account>:key/<id>``) or a reference to one.
    @default a key of its own (rotation on), alias ``key_alias``."""
    key_alias: str | None = None
    """The alias of the key made when ``kms_key`` is not given, without ``alias/``.
    @default ``<source identifier>-rds-backups``."""
    account_id: str | None = None
    """The account (the key's policy; RDS copies backups within one account). @default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """The region the copies land in. @default the stack's aws provider's region."""


def _source(p: DatabaseBackupReplicationProps) -> tuple[str, str, str, str] | None:
    """(ARN, region, account, identifier) of the source instance, or None when it cannot be read."""
    if isinstance(p.source, Database):
        return names.arn("rds", p.source.region, p.source.account_id, f"db:{p.source.identifier}"), p.source.region, p.source.account_id, p.source.identifier
    m = _SOURCE_ARN.match(p.source_arn) if isinstance(p.source_arn, str) else None
    if m is None or names.rds_identifier_problem(m[3]) is not None:
        return None
    return p.source_arn, m[1], m[2], m[3]  # type: ignore[return-value]


def check_backup_replication_props(p: DatabaseBackupReplicationProps, construct: str, account_id: str, region: str, stack: cdktf.TerraformStack) -> tuple[str, str]:
    """What RDS or KMS would refuse, with the fix; the source's ARN and identifier."""

    def refuse(prop: str, problem: str, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem, fix)

    if (p.source is None) == (p.source_arn is None):
        refuse("source", "give the instance once: source=Database(...) or source_arn='arn:...:rds:...:db:<identifier>'", "pass exactly one of source and source_arn")
    if p.source is not None and not isinstance(p.source, Database):
        refuse("source", "not a Database construct", f"pass source=Database(...), or source_arn='arn:{names.PARTITION}:rds:<region>:<account>:db:<identifier>'")
    source = _source(p)
    if source is None:
        refuse("source_arn", "not an RDS DB instance ARN of this partition", f"arn:{names.PARTITION}:rds:<region>:<account>:db:<identifier>")
    arn, source_region, source_account, identifier = source
    prop = "source" if p.source is not None else "source_arn"
    if source_region == region:
        refuse(prop, f"the instance is in {region}, this stack's region: RDS copies automated backups to another region only", "build this construct in a stack of another region")
    if source_account != account_id:
        refuse(prop, f"the instance is in account {source_account}, the copies would be in {account_id}: RDS copies automated backups within one account", "build this construct in a stack of the instance's account")
    if isinstance(p.retention_days, bool) or not isinstance(p.retention_days, int) or not RETENTION_DAYS[0] <= p.retention_days <= RETENTION_DAYS[1]:
        refuse("retention_days", "RDS keeps copied backups 1 to 35 days", "a whole number from 1 to 35")
    _check_key(p, refuse, region, stack)
    return arn, identifier


def _check_key(p: DatabaseBackupReplicationProps, refuse: Callable[[str, str, str], NoReturn], region: str, stack: cdktf.TerraformStack) -> None:
    """A key RDS can encrypt the copies with: of this stack, or in this region by ARN or reference; or the alias of the key made here."""
    key = p.kms_key
    if isinstance(key, EncryptionKey):
        if cdktf.TerraformStack.of(key) is not stack:
            refuse("kms_key", f"a key of stack '{cdktf.TerraformStack.of(key).node.id}': cdktf would read that stack's state, and infraplan's stacks never read each other's", "an EncryptionKey of this stack, or nothing (a key of its own)")
    elif isinstance(key, str) and not cdktf.Token.is_unresolved(key):  # a reference is taken as it is
        m = _KEY_ARN.match(key)
        if m is None or m[1] != region:
            refuse("kms_key", f"not the ARN of a KMS key in {region}: RDS encrypts the copies with a key of their region", f"an EncryptionKey of this stack, or arn:{names.PARTITION}:kms:{region}:<account>:key/<id>")
    elif key is not None and not isinstance(key, str):
        refuse("kms_key", "neither an EncryptionKey nor a key ARN", "pass kms_key=EncryptionKey(...), a key ARN, or nothing (a key of its own)")
    if p.key_alias is not None and key is not None:
        refuse("key_alias", "names the key this construct makes, but kms_key is given (no key is made)", "drop key_alias, or kms_key")
    if p.key_alias is not None and (problem := key_alias_problem(p.key_alias)):
        refuse("key_alias", problem, "e.g. 'orders-rds-backups'")


class DatabaseBackupReplication(Construct):
    """``aws_db_instance_automated_backups_replication``: RDS copies each snapshot and the transaction
    logs of the source instance into this region as they are made, encrypted with a key of this
    region; a restore to any point within ``retention_days`` works there without the source region.

    The replication is the construct's default child (id ``Default``), so its Terraform address is
    the construct's id: ``RegionalStack``'s replication kept its address when it became this construct."""

    def __init__(self, scope: Construct, id: str, props: DatabaseBackupReplicationProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "DatabaseBackupReplication")
        p = props_from(DatabaseBackupReplicationProps, props, kwargs, where)
        account_id, region = account_and_region(scope, where, p.account_id, p.region)
        source_arn, identifier = check_backup_replication_props(p, where, account_id, region, cdktf.TerraformStack.of(scope))
        alias = p.key_alias or names.rds_backup_copies_key_alias(identifier)  # an RDS identifier always makes a valid alias
        super().__init__(scope, id)
        self.props, self.source_arn = p, source_arn
        if p.kms_key is None:
            self.kms: EncryptionKey | None = EncryptionKey(self, "kms", alias=alias, description=f"Copies of {identifier}'s backups in {region}", account_id=account_id)
        else:
            self.kms = p.kms_key if isinstance(p.kms_key, EncryptionKey) else None
        self.kms_key_arn = self.kms.arn if self.kms is not None else p.kms_key
        self.replication = rds.DbInstanceAutomatedBackupsReplication(
            self,
            "Default",
            source_db_instance_arn=self.source_arn,
            retention_period=p.retention_days,
            kms_key_id=self.kms_key_arn,
        )
