"""The live check of a :class:`~constructs_lib.terraform.database.Database`: the instance's
settings and floor (encrypted with a customer key, private), its parameter group's family, the
log groups of its exports, and its RDS-managed master secret. The database admin's role is
checked in ``iam.py``."""

from __future__ import annotations

from ...resolve import names
from ...resolve.model import ResolvedDatabase
from .base import Clients, Difference, check_log_group


def check_database(aws: Clients, db: ResolvedDatabase) -> list[Difference]:
    """Every difference between the live RDS instance ``db.identifier`` and ``db``."""
    rds = aws("rds")
    where = f"RDS instance {db.identifier}"
    try:
        live = rds.describe_db_instances(DBInstanceIdentifier=db.identifier)["DBInstances"][0]
    except rds.exceptions.DBInstanceNotFoundFault:
        return [Difference(where, "exists", True, False)]
    out: list[Difference] = []
    for setting, want, got in (
        ("engine", "postgres", live.get("Engine")),
        ("instance_class", db.instance_class, live.get("DBInstanceClass")),
        ("multi_az", db.multi_az, live.get("MultiAZ")),
        ("backup_retention_days", db.backup_retention_days, live.get("BackupRetentionPeriod")),
        ("deletion_protection", db.deletion_protection, live.get("DeletionProtection")),
        ("storage_encrypted", True, live.get("StorageEncrypted")),
        ("publicly_accessible", False, live.get("PubliclyAccessible")),
        ("allocated_storage_gb", db.allocated_storage_gb, live.get("AllocatedStorage")),
        ("max_allocated_storage_gb", db.max_allocated_storage_gb, live.get("MaxAllocatedStorage")),
        ("master_username", db.master_username, live.get("MasterUsername")),
    ):
        if got != want:
            out.append(Difference(where, setting, want, got))
    if live.get("StorageEncrypted") and not live.get("KmsKeyId"):
        out.append(Difference(where, "kms_key", "a customer managed key", None))
    if live.get("AutoMinorVersionUpgrade") != db.auto_minor_version_upgrade:
        out.append(Difference(where, "auto_minor_version_upgrade", db.auto_minor_version_upgrade, live.get("AutoMinorVersionUpgrade")))
    if sorted(live.get("EnabledCloudwatchLogsExports") or []) != sorted(db.log_exports):
        out.append(Difference(where, "log exports", sorted(db.log_exports), sorted(live.get("EnabledCloudwatchLogsExports") or [])))
    groups = [g["DBParameterGroupName"] for g in live.get("DBParameterGroups") or []]
    families = {g["DBParameterGroupFamily"] for name in groups for g in rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]}
    if families != {db.parameter_group_family}:
        out.append(Difference(where, "parameter group family", db.parameter_group_family, sorted(families)))
    for log in db.log_exports:
        out += check_log_group(aws, names.rds_log_group(db.identifier, log), db.log_retention_days)
    return out + _check_master_secret(aws, where, (live.get("MasterUserSecret") or {}).get("SecretArn"))


def _check_master_secret(aws: Clients, where: str, secret: str | None) -> list[Difference]:
    """The master password is managed by RDS in Secrets Manager, and that secret is live."""
    if not secret:
        return [Difference(where, "master user secret (manage_master_user_password)", "managed by RDS", None)]
    sm = aws("secretsmanager")
    try:
        if sm.describe_secret(SecretId=secret).get("DeletedDate"):
            return [Difference(where, "master user secret", "active", "scheduled for deletion")]
    except sm.exceptions.ResourceNotFoundException:
        return [Difference(f"{where} master user secret {secret}", "exists", True, False)]
    return []
