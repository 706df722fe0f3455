"""What ``infraplan check`` found: one result per gate and environment, and its three renderings
(a summary a person reads, JSON, JUnit XML for CI systems)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    MANUAL = "manual"  # the gate names no rule: a person must confirm it
    NOT_RUN = "not run"  # its tool is not selected in validation: or not installed


@dataclass(frozen=True)
class GateResult:
    gate: str
    environment: str
    status: Status
    reason: str
    rule: str | None = None
    required: bool = True
    description: str = ""
    details: tuple[str, ...] = ()  # each finding, one line each
    seconds: float = 0.0

    @property
    def fails_check(self) -> bool:
        """A required gate that failed or could not run fails the check; a manual one is reported, not failed."""
        return self.required and self.status in (Status.FAIL, Status.NOT_RUN)


@dataclass
class CheckReport:
    plan: str
    environments: tuple[str, ...]
    results: list[GateResult] = field(default_factory=list)

    @property
    def failing(self) -> list[GateResult]:
        return [r for r in self.results if r.fails_check]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0

    def of(self, environment: str) -> list[GateResult]:
        return [r for r in self.results if r.environment == environment]

    def counts(self) -> dict[str, int]:
        return {s.value: sum(r.status is s for r in self.results) for s in Status}


MAX_DETAILS = 20  # per gate in the summary; JSON and JUnit carry them all


def summary(report: CheckReport) -> str:
    """The plain-text report: per environment, each gate's status and reason, the findings of a failed one."""
    lines = [f"infraplan check: plan {report.plan}, environments {', '.join(report.environments)}"]
    width = max((len(r.gate) for r in report.results), default=0)
    for env in report.environments:
        lines.append(f"\n{env}")
        for r in report.of(env):
            optional = "" if r.required else " (optional)"
            lines.append(f"  {r.status.value.upper():<8} {r.gate:<{width}}  {r.reason}{optional}")
            if r.status in (Status.FAIL, Status.NOT_RUN):
                lines += [f"           - {d}" for d in r.details[:MAX_DETAILS]]
                if len(r.details) > MAX_DETAILS:
                    lines.append(f"           ... and {len(r.details) - MAX_DETAILS} more (--json or --junit lists them all)")
    counts = report.counts()
    lines.append(
        f"\n{len(report.results)} gate results: {counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['manual']} manual, {counts['not run']} not run"
    )
    if report.failing:
        names = ", ".join(f"{r.environment}/{r.gate}" for r in report.failing)
        lines.append(f"FAILED: required gates that failed or did not run: {names}")
    else:
        lines.append("OK: every required gate with a rule passed" + ("; manual gates need a person's confirmation" if counts["manual"] else ""))
    return "\n".join(lines) + "\n"


def as_json(report: CheckReport) -> str:
    data = {
        "plan": report.plan,
        "exit_code": report.exit_code,
        "counts": report.counts(),
        "environments": [
            {
                "name": env,
                "gates": [
                    {
                        "id": r.gate,
                        "rule": r.rule,
                        "required": r.required,
                        "status": r.status.value,
                        "reason": r.reason,
                        "details": list(r.details),
                        "seconds": round(r.seconds, 3),
                    }
                    for r in report.of(env)
                ],
            }
            for env in report.environments
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def as_junit(report: CheckReport) -> str:
    """JUnit XML: a testsuite per environment, a testcase per gate; FAIL and a required NOT RUN are
    failures, MANUAL and an optional NOT RUN are skipped (with why)."""
    root = ET.Element("testsuites", name=f"infraplan check {report.plan}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for env in report.environments:
        results = report.of(env)
        failures = sum(r.status is Status.FAIL or (r.status is Status.NOT_RUN and r.required) for r in results)
        skipped = len([r for r in results if r.status is Status.MANUAL or (r.status is Status.NOT_RUN and not r.required)])
        suite = ET.SubElement(
            root, "testsuite", name=env, tests=str(len(results)), failures=str(failures), errors="0", skipped=str(skipped),
            time=f"{sum(r.seconds for r in results):.3f}",
        )  # fmt: skip
        for r in results:
            case = ET.SubElement(suite, "testcase", name=r.gate, classname=f"{report.plan}.{env}", time=f"{r.seconds:.3f}")
            text = "\n".join(r.details)
            if r.status is Status.FAIL or (r.status is Status.NOT_RUN and r.required):
                kind = "failed" if r.status is Status.FAIL else "did not run"
                node = ET.SubElement(case, "failure", message=f"{r.gate} {kind}: {r.reason}", type=r.status.value)
                node.text = text or r.reason
            elif r.status in (Status.MANUAL, Status.NOT_RUN):
                ET.SubElement(case, "skipped", message=f"{r.status.value}: {r.reason}")
            out = ET.SubElement(case, "system-out")
            out.text = f"rule: {r.rule or '(none)'}\nrequired: {str(r.required).lower()}\n{r.description}\n{r.reason}"
        for key, value in (("tests", len(results)), ("failures", failures), ("skipped", skipped)):
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
