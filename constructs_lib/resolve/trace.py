"""Provenance: where each resolved value came from and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SourceKind = Literal["plan", "environment", "tenant", "rule", "default"]


@dataclass(frozen=True)
class Source:
    """Where a resolved value came from.

    ``kind`` is one of: ``plan`` (platform.yaml), ``environment`` (an override in
    ``<env>.yaml``), ``tenant`` (``tenants/<t>.yaml``), ``rule`` (a derivation rule,
    named in ``ref``) or ``default`` (infraplan's default).
    """

    kind: SourceKind
    ref: str
    reason: str = ""


@dataclass(frozen=True)
class Decision:
    path: str
    value: Any
    source: Source


@dataclass
class Trace:
    """Collects decisions while resolving; frozen into a tuple on the resolved model."""

    prefix: str = ""
    decisions: list[Decision] = field(default_factory=list)

    def record(self, path: str, value: Any, source: Source) -> Any:
        self.decisions.append(Decision(f"{self.prefix}{path}", value, source))
        return value

    def pick(self, path: str, candidates: list[tuple[Any, Source]]) -> Any:
        """Record and return the first candidate whose value is not None."""
        for value, source in candidates:
            if value is not None:
                return self.record(path, value, source)
        raise ValueError(f"no value for {path}")

    def child(self, prefix: str) -> "Trace":
        sub = Trace(prefix=f"{self.prefix}{prefix}", decisions=self.decisions)
        return sub


def plan(ref: str, reason: str = "") -> Source:
    return Source("plan", ref, reason)


def environment(ref: str, reason: str = "") -> Source:
    return Source("environment", ref, reason)


def tenant(ref: str, reason: str = "") -> Source:
    return Source("tenant", ref, reason)


def rule(name: str, reason: str) -> Source:
    return Source("rule", name, reason)


def default(reason: str) -> Source:
    return Source("default", "infraplan", reason)
