"""RDS PostgreSQL resolution: class, HA, backups, protection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import names
from .compliance import floor
from .model import ResolvedDatabase
from .network import retention_days
from .trace import Source, Trace, default, environment, plan, rule

if TYPE_CHECKING:  # annotations only: the Terraform worker imports this module without the plan model
    from ..plan.environment import DatabasePlan
    from ..plan.platform import PerformanceGoals, PlatformPlan

CLASS_BY_TIER = {"development": "db.t4g.micro", "staging": "db.t4g.medium", "production": "db.r6g.large"}
MONITORING_BY_TIER = {"development": 0, "staging": 60, "production": 15}
LOG_EXPORTS = ("postgresql", "upgrade")
# Secrets Manager keeps a deleted secret (and its name) for 7 to 30 days, or deletes it at once (0).
RECOVERY_WINDOW_BY_TIER = {"development": 0, "staging": 7, "production": 30}


def secret_recovery_window(tier: str) -> tuple[int, Source]:
    """How long a secret Terraform deletes can still be restored; its name is taken as long."""
    days = RECOVERY_WINDOW_BY_TIER[tier]
    why = {
        "development": "development: deleted at once, so the environment can be destroyed and rebuilt with the same names",
        "staging": "staging: 7 days (the shortest window AWS offers) to restore a secret deleted by mistake",
        "production": "production: 30 days (the longest) to restore a secret deleted by mistake; a rebuild within them restores and imports it (docs/deploy.md)",
    }[tier]
    return days, rule("secret-recovery-by-tier", why)


def _multi_az(tier: str, goals: PerformanceGoals) -> tuple[bool, str]:
    """The performance goals decide for production (plan/goals.py); the other tiers are not held to them."""
    if tier != "production":
        return False, f"{tier} accepts an AZ outage"
    from ..plan.goals import database_needs_multi_az  # here, not at the top: the Terraform worker imports this module without the plan model

    why = database_needs_multi_az(goals)
    if why:
        return True, f"production needs a standby in a second AZ: {'; '.join(why)}"
    return False, f"uptime {goals.uptime_percent}% and RTO {goals.rto_minutes} min are met by a single-AZ instance"


def _backup_days(tier: str, rpo_minutes: int, rto_minutes: int, compliance: list[str]) -> tuple[int, str | Source]:
    # Automated backups give point-in-time recovery to about 5 minutes; the RPO decides
    # that backups are on, the tier decides how far back we can go, raised to what the
    # compliance frameworks ask for (resolve/compliance.py).
    asked = floor(tier, compliance, "backup_retention_days")
    if tier == "production":
        if asked is not None and asked.value > 14:
            return asked.value, asked.source
        return 14, f"production, RPO {rpo_minutes} min: two weeks of point-in-time recovery"
    if tier == "staging":
        return 7, f"staging, RPO {rpo_minutes} min: a week of point-in-time recovery"
    return 1, "development: one day keeps backups on at the lowest cost"


def resolve_database(
    trace: Trace,
    *,
    identifier: str,
    tier: str,
    platform: PlatformPlan,
    db: DatabasePlan,
    env_file: str,
    database_name: str,
) -> ResolvedDatabase:
    t = trace.child("database.")
    t.record("identifier", identifier, rule("names.db_identifier", "<platform>-<env>[-<tenant>]-pg"))
    engine = t.pick(
        "engine_version",
        [(db.engine_version, environment(f"{env_file}: database.engine_version")), (platform.database.engine_version, plan("platform.yaml: database.engine_version"))],
    )
    klass = t.pick(
        "instance_class",
        [(db.instance_class, environment(f"{env_file}: database.instance_class")), (CLASS_BY_TIER[tier], rule("db-class-by-tier", f"{tier} default class"))],
    )
    multi_az, backup, deletion, auto_minor = _resilience(t, tier=tier, platform=platform, db=db, env_file=env_file)
    family, immediately, log_days, skip = _changes_and_logs(t, identifier=identifier, tier=tier, platform=platform, engine=engine)
    pi, monitoring = _monitoring(t, tier=tier, klass=klass)
    storage = t.record("allocated_storage_gb", db.allocated_storage_gb, environment(f"{env_file}: database.allocated_storage_gb") if "allocated_storage_gb" in db.model_fields_set else default("20 GiB gp3"))
    max_storage = t.pick(
        "max_allocated_storage_gb",
        [(db.max_allocated_storage_gb, environment(f"{env_file}: database.max_allocated_storage_gb")), (storage * 2, rule("storage-autoscaling", "grow up to twice the allocated storage"))],
    )
    return ResolvedDatabase(
        identifier=identifier,
        engine_version=engine,
        instance_class=klass,
        allocated_storage_gb=storage,
        max_allocated_storage_gb=max(max_storage, storage),
        multi_az=multi_az,
        backup_retention_days=backup,
        deletion_protection=deletion,
        skip_final_snapshot=skip,
        performance_insights=pi,
        monitoring_interval_seconds=monitoring,
        master_username=names.DB_MASTER_USERNAME,
        database_name=database_name,
        port=5432,
        auto_minor_version_upgrade=auto_minor,
        parameter_group_family=family,
        apply_immediately=immediately,
        log_exports=LOG_EXPORTS,
        log_retention_days=log_days,
    )


def _resilience(t: Trace, *, tier: str, platform: PlatformPlan, db: DatabasePlan, env_file: str) -> tuple[bool, int, bool, bool]:
    """Multi-AZ, backup retention, deletion protection and automatic minor upgrades: what keeps the data through a loss."""
    multi, why = _multi_az(tier, platform.performance)
    multi_az = t.pick("multi_az", [(db.multi_az, environment(f"{env_file}: database.multi_az")), (multi, rule("multi-az-from-uptime", why))])
    days, why = _backup_days(tier, platform.performance.rpo_minutes, platform.performance.rto_minutes, platform.constraints.compliance)
    backup = t.pick(
        "backup_retention_days",
        [(db.backup_retention_days, environment(f"{env_file}: database.backup_retention_days")), (days, why if isinstance(why, Source) else rule("backup-from-rpo", why))],
    )
    protect = tier != "development"
    asked = floor(tier, platform.constraints.compliance, "deletion_protection")
    deletion = t.pick(
        "deletion_protection",
        [
            (db.deletion_protection, environment(f"{env_file}: database.deletion_protection")),
            (True, asked.source) if asked is not None and asked.value else (protect, rule("protect-by-tier", f"{tier}: deletion protection {'on' if protect else 'off so dev can be torn down'}")),
        ],
    )
    auto_minor = t.pick(
        "auto_minor_version_upgrade",
        [
            (db.auto_minor_version_upgrade, environment(f"{env_file}: database.auto_minor_version_upgrade")),
            (platform.database.auto_minor_version_upgrade, plan("platform.yaml: database.auto_minor_version_upgrade")),
        ],
    )
    return multi_az, backup, deletion, auto_minor


def _changes_and_logs(t: Trace, *, identifier: str, tier: str, platform: PlatformPlan, engine: str) -> tuple[str, bool, int, bool]:
    """How a change is applied (parameter group family, at once), where the logs go and for how long, and the final snapshot."""
    major = engine.split(".")[0]
    family = t.record("parameter_group_family", f"postgres{major}", rule("parameter-group-family", f"the parameter group family of PostgreSQL {major}; a new major gets a new group"))
    immediately = t.record(
        "apply_immediately",
        True,
        rule(
            "rds-apply-immediately",
            "an apply is the change window: a new major (engine, parameter group and allow_major_version_upgrade) completes in one apply, and the state never "
            "waits for a maintenance window (a deferred change would show in every plan until then)",
        ),
    )
    log_days, log_why = retention_days(tier, platform.constraints.compliance)
    t.record("log_exports", list(LOG_EXPORTS), rule("rds-log-groups", "exported to /aws/rds/instance/<identifier>/<log>, created by Terraform with the tier's retention and a customer key"))
    t.record("log_retention_days", log_days, log_why)
    skip = t.record("skip_final_snapshot", tier == "development", rule("final-snapshot-by-tier", "a final snapshot is taken everywhere but development"))
    if not skip:
        t.record(
            "final_snapshot_identifier",
            f"{names.db_final_snapshot_prefix(identifier)}<key id>",
            rule("final-snapshot-name", "the instance's KMS key id makes it unique per instance and stable for its life: a rebuilt environment's next deletion does not collide"),
        )
    return family, immediately, log_days, skip


def _monitoring(t: Trace, *, tier: str, klass: str) -> tuple[bool, int]:
    """Performance Insights (where the class has it) and enhanced monitoring by tier."""
    small = klass.endswith((".micro", ".small"))
    pi = t.record(
        "performance_insights",
        not small,
        rule("performance-insights", "not available on micro/small classes" if small else "on, 7 days (no extra cost)"),
    )
    monitoring = t.record(
        "monitoring_interval_seconds",
        MONITORING_BY_TIER[tier],
        rule("enhanced-monitoring-by-tier", {"development": "off in development (cost)", "staging": "OS metrics every 60 s", "production": "OS metrics every 15 s"}[tier]),
    )
    return pi, monitoring
