"""ArgoCD's health check for Application objects, run in a real Lua 5.1 interpreter (ArgoCD runs
resource customizations in gopher-lua, a Lua 5.1): an app-of-apps waits for each child to be
healthy, synced and done syncing before its next wave (#11 convergence 4)."""

from __future__ import annotations

import pytest
from lupa import lua51  # a test dependency: Lua 5.1, as gopher-lua

from constructs_lib.addons.argocd import APPLICATION_HEALTH_LUA


def health(status: dict | None) -> tuple[str, str]:
    lua = lua51.LuaRuntime(unpack_returned_tuples=True)
    to_lua = lambda v: lua.table_from({k: to_lua(x) for k, x in v.items()}) if isinstance(v, dict) else v  # noqa: E731
    obj = lua.table_from({"status": to_lua(status)} if status is not None else {})
    lua.globals().obj = obj
    result = lua.execute(APPLICATION_HEALTH_LUA)
    return result["status"], result["message"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, "Progressing"),  # just created: no status yet
        ({"health": {"status": "Healthy"}, "sync": {"status": "Synced"}}, "Healthy"),
        ({"health": {"status": "Healthy"}, "sync": {"status": "OutOfSync"}}, "Progressing"),  # later waves not applied yet
        ({"health": {"status": "Healthy"}}, "Progressing"),
        ({"health": {"status": "Healthy"}, "sync": {"status": "Synced"}, "operationState": {"phase": "Running"}}, "Progressing"),
        ({"health": {"status": "Healthy"}, "sync": {"status": "Synced"}, "operationState": {"phase": "Succeeded"}}, "Healthy"),
        ({"health": {"status": "Degraded", "message": "pod crash-looping"}, "sync": {"status": "Synced"}}, "Degraded"),
        ({"health": {"status": "Missing"}, "sync": {"status": "OutOfSync"}}, "Missing"),
    ],
)
def test_application_health(status, expected: str) -> None:
    assert health(status)[0] == expected


def test_degraded_keeps_its_message() -> None:
    assert health({"health": {"status": "Degraded", "message": "pod crash-looping"}, "sync": {"status": "Synced"}}) == ("Degraded", "pod crash-looping")
