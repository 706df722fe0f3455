"""Helpers to read synthesized Terraform JSON in tests."""

from __future__ import annotations

from typing import Any


def resources(stack: dict, type_: str) -> dict[str, dict[str, Any]]:
    return stack.get("resource", {}).get(type_, {})


def one(stack: dict, type_: str) -> dict[str, Any]:
    found = resources(stack, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.values()))


def by_attr(stack: dict, type_: str, attr: str, value: Any) -> dict[str, Any]:
    matches = [r for r in resources(stack, type_).values() if r.get(attr) == value]
    assert len(matches) == 1, f"expected one {type_} with {attr}={value!r}, found {len(matches)}"
    return matches[0]
