"""Compliance frameworks -> the controls infraplan renders.

Each framework of ``constraints.compliance`` is its own control set: a list of :class:`Control`,
each a setting infraplan renders, the value the framework asks for and the requirement that asks
for it. A plan naming several frameworks gets, per setting, the stricter value (:data:`SETTINGS`
says what "stricter" means for each). Pure data and functions: resolution records every control
and every effective setting as a Decision, so ``infraplan explain`` lists them per framework.

Scope: the controls apply to production-tier environments, where the regulated data lives;
development and staging keep their tier defaults (docs/compliance.md says so, and what infraplan
does not cover for each framework).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .trace import Source, Trace, plan, rule

FRAMEWORK_NAMES = ("SOC2", "HIPAA", "PCI-DSS", "ISO27001", "GDPR")
IN_SCOPE_TIERS = ("production",)

# The EKS control-plane log types each framework asks for; infraplan turns on all five everywhere.
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ENCRYPTION = "customer-managed KMS keys, rotation on (EKS secrets, RDS storage and backups, log groups, state and trail buckets)"


@dataclass(frozen=True)
class Setting:
    """A setting a framework can ask for: what it drives and how two asks combine."""

    renders: str
    stricter: Callable[[Any, Any], Any]


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(x for x in EKS_LOG_TYPES if x in a or x in b)


def _same(a: Any, b: Any) -> Any:
    assert a == b, f"frameworks disagree on a fixed setting: {a!r} / {b!r}"
    return a


SETTINGS: dict[str, Setting] = {
    "encryption_at_rest": Setting("every store infraplan creates is encrypted with a customer-managed KMS key (always on)", _same),
    "log_retention_days": Setting("CloudWatch Logs retention of the EKS control-plane logs, the VPC flow logs and the RDS log exports", max),
    "audit_trail": Setting("an account CloudTrail trail: all regions, global services, log file validation, KMS-encrypted private TLS-only S3 bucket", lambda a, b: a or b),
    "audit_trail_retention_days": Setting("days the trail's bucket keeps each log file before it expires", max),
    "flow_logs_traffic": Setting("VPC flow logs of accepted and rejected traffic (ALL) on every VPC (always on)", _same),
    "eks_log_types": Setting("EKS control-plane log types (all five are always on)", _union),
    "backup_retention_days": Setting("minimum RDS automated backup retention (point-in-time recovery window)", max),
    "deletion_protection": Setting("RDS deletion protection", lambda a, b: a or b),
}


@dataclass(frozen=True)
class Control:
    setting: str
    value: Any
    requirement: str


FRAMEWORKS: dict[str, tuple[Control, ...]] = {
    "PCI-DSS": (
        Control("encryption_at_rest", ENCRYPTION, "PCI DSS v4.0 3.5.1 (stored account data unreadable) and 3.7.4 (keys changed at the end of their cryptoperiod: rotation)"),
        Control("log_retention_days", 365, "PCI DSS v4.0 10.5.1: audit log history kept at least 12 months, the last three immediately available (CloudWatch Logs keeps all of it searchable)"),
        Control("audit_trail", True, "PCI DSS v4.0 10.2.1 and 10.2.1.2 (audit logs of every component and of administrative actions), 10.3.2-10.3.4 (protected, central, change-detected: log file validation)"),
        Control("audit_trail_retention_days", 365, "PCI DSS v4.0 10.5.1: 12 months of audit log history"),
        Control("flow_logs_traffic", "ALL", "PCI DSS v4.0 10.2.1: audit logs for all system components, the network included"),
        Control("eks_log_types", ("api", "audit", "authenticator"), "PCI DSS v4.0 10.2.1.2 (administrative actions), 10.2.1.4 (invalid access attempts), 10.2.1.5 (changes to credentials)"),
    ),
    "SOC2": (
        Control("encryption_at_rest", ENCRYPTION, "SOC 2 CC6.1: logical access security over protected information assets, encryption at rest among them"),
        Control("log_retention_days", 365, "SOC 2 CC7.2 sets no period; infraplan keeps a year so a type II audit's observation period (up to 12 months) can be sampled"),
        Control("audit_trail", True, "SOC 2 CC7.2 (monitoring of system components for anomalies) and CC8.1 (changes to infrastructure are tracked)"),
        Control("audit_trail_retention_days", 365, "SOC 2 CC7.2: a year of evidence, as for the logs"),
        Control("flow_logs_traffic", "ALL", "SOC 2 CC7.2: monitoring of network activity"),
        Control("eks_log_types", ("audit", "authenticator"), "SOC 2 CC6.1 and CC7.2: who did what on the cluster's API"),
        Control("backup_retention_days", 35, "SOC 2 A1.2: data backup and recovery; infraplan keeps the longest window RDS offers (35 days)"),
        Control("deletion_protection", True, "SOC 2 A1.2: recovery infrastructure protected against loss"),
    ),
    "HIPAA": (
        Control("encryption_at_rest", ENCRYPTION, "HIPAA 45 CFR 164.312(a)(2)(iv): encryption and decryption of ePHI"),
        Control("log_retention_days", 365, "HIPAA 45 CFR 164.312(b) sets no period; infraplan keeps a year searchable, the trail longer"),
        Control("audit_trail", True, "HIPAA 45 CFR 164.312(b): audit controls that record activity in systems holding ePHI"),
        Control("audit_trail_retention_days", 2192, "HIPAA 45 CFR 164.316(b)(2)(i): records of required activities kept six years (infraplan's reading: the audit trail too)"),
        Control("flow_logs_traffic", "ALL", "HIPAA 45 CFR 164.312(b): activity in information systems, the network included"),
        Control("eks_log_types", ("audit", "authenticator"), "HIPAA 45 CFR 164.312(b) and 164.308(a)(5)(ii)(C): activity and log-in monitoring"),
        Control("backup_retention_days", 35, "HIPAA 45 CFR 164.308(a)(7)(ii)(A): data backup plan (retrievable exact copies); the longest window RDS offers"),
        Control("deletion_protection", True, "HIPAA 45 CFR 164.308(a)(7): contingency plan, ePHI not lost by a mistaken deletion"),
    ),
    "ISO27001": (
        Control("encryption_at_rest", ENCRYPTION, "ISO/IEC 27001:2022 A.8.24: use of cryptography"),
        Control("log_retention_days", 365, "ISO/IEC 27001:2022 A.8.15 sets no period; infraplan keeps a year (one surveillance audit cycle)"),
        Control("audit_trail", True, "ISO/IEC 27001:2022 A.8.15: logs of activities, protected against tampering (log file validation)"),
        Control("audit_trail_retention_days", 365, "ISO/IEC 27001:2022 A.8.15: a year, as for the logs"),
        Control("flow_logs_traffic", "ALL", "ISO/IEC 27001:2022 A.8.16: monitoring of networks"),
        Control("eks_log_types", ("audit", "authenticator"), "ISO/IEC 27001:2022 A.8.15: user activities and exceptions"),
        Control("backup_retention_days", 35, "ISO/IEC 27001:2022 A.8.13: information backup; the longest window RDS offers"),
        Control("deletion_protection", True, "ISO/IEC 27001:2022 A.8.13: backups and data protected against loss"),
    ),
    "GDPR": (
        Control("encryption_at_rest", ENCRYPTION, "GDPR Art. 32(1)(a): encryption of personal data"),
        Control("backup_retention_days", 7, "GDPR Art. 32(1)(c): restore availability of personal data in a timely manner; a week of point-in-time recovery"),
    ),
}
assert set(FRAMEWORKS) == set(FRAMEWORK_NAMES) and all(c.setting in SETTINGS for cs in FRAMEWORKS.values() for c in cs)


@dataclass(frozen=True)
class Effective:
    """One setting for the plan's frameworks: the stricter value and the framework that asks for it."""

    setting: str
    value: Any
    framework: str
    requirement: str
    also: tuple[str, ...] = ()  # the other frameworks that ask for this setting

    @property
    def source(self) -> Source:
        also = f" (also asked by {', '.join(self.also)})" if self.also else ""
        return plan(f"platform.yaml: constraints.compliance: {self.framework}", self.requirement + also)


def effective_controls(frameworks: list[str] | tuple[str, ...]) -> dict[str, Effective]:
    """Per setting, the stricter value of every framework that asks for it (ties: the first listed)."""
    out: dict[str, Effective] = {}
    for fw in frameworks:
        for c in FRAMEWORKS[fw]:
            prev = out.get(c.setting)
            if prev is None:
                out[c.setting] = Effective(c.setting, c.value, fw, c.requirement)
                continue
            value = SETTINGS[c.setting].stricter(prev.value, c.value)
            if value != prev.value and value == c.value:
                out[c.setting] = Effective(c.setting, value, fw, c.requirement, (*prev.also, prev.framework))
            else:
                out[c.setting] = Effective(c.setting, value, prev.framework, prev.requirement, (*prev.also, fw))
    return {s: out[s] for s in SETTINGS if s in out}


def in_scope(tier: str, frameworks: list[str] | tuple[str, ...]) -> bool:
    return bool(frameworks) and tier in IN_SCOPE_TIERS


def controls_for(tier: str, frameworks: list[str] | tuple[str, ...]) -> dict[str, Effective]:
    """The effective controls of an environment of ``tier``: none outside the in-scope tiers."""
    return effective_controls(frameworks) if in_scope(tier, frameworks) else {}


def floor(tier: str, frameworks: list[str] | tuple[str, ...], setting: str) -> Effective | None:
    return controls_for(tier, frameworks).get(setting)


def scope_source(tier: str, frameworks: list[str] | tuple[str, ...]) -> Source:
    if in_scope(tier, frameworks):
        return rule("compliance-scope", f"{tier}: in scope of {', '.join(frameworks)}; each framework's controls below, the stricter value of each setting applied")
    return rule("compliance-scope", f"{tier}: not in scope; the frameworks' controls apply to production-tier environments, where regulated data lives")


def record_compliance(trace: Trace, tier: str, frameworks: list[str] | tuple[str, ...]) -> dict[str, Effective]:
    """Record the environment's scope and, in scope, every framework's controls (``compliance.<framework>.<setting>``:
    what the framework asks, why; where a stricter framework wins, which); return the effective controls."""
    controls = controls_for(tier, frameworks)
    trace.record("compliance", list(frameworks) if frameworks else "none", scope_source(tier, frameworks))
    for fw in frameworks if controls else ():
        for c in FRAMEWORKS[fw]:
            eff = controls[c.setting]
            applied = "" if eff.value == c.value else f"; applied: {_show(eff.value)}, the stricter value {eff.framework} asks for"
            trace.record(f"compliance.{fw}.{c.setting}", c.value, plan(f"platform.yaml: constraints.compliance: {fw}", c.requirement + applied))
    return controls


def _show(value: Any) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)
