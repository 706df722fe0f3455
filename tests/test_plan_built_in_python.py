"""The plan's rules across files hold for any Plan, however it was built: read from files,
built in Python (no files, so errors name `<python>:<part>`), or changed with dataclasses.replace."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.loader import Plan
from constructs_lib.resolve.environment import resolve_environment


@pytest.fixture(scope="module")
def parts(example_plan: Path) -> dict:
    plan = load_plan(example_plan)
    return {"root": Path("."), "platform": plan.platform, "environments": dict(plan.environments), "tenants": dict(plan.tenants)}


def test_a_sound_plan_built_in_python_resolves(parts: dict) -> None:
    plan = Plan(**parts)
    assert resolve_environment(plan, "dev").cluster.name == "acme-dev"


def test_a_public_api_without_an_allow_list_is_refused_in_python_too(parts: dict) -> None:
    """A public API endpoint open to anyone: refused by validate from files, and now from Python."""
    dev = parts["environments"]["dev"]
    open_api = dev.model_copy(update={"cluster": dev.cluster.model_copy(update={"endpoint_public_access": True, "public_access_cidrs": None})})
    platform = parts["platform"].model_copy(update={"cluster": parts["platform"].cluster.model_copy(update={"public_access_cidrs": None})})
    with pytest.raises(PlanError) as caught:
        Plan(**{**parts, "platform": platform, "environments": {**parts["environments"], "dev": open_api}})
    (issue,) = [i for i in caught.value.issues if i.path == "cluster.endpoint_public_access"]
    assert issue.file == "<python>:environments.dev" and issue.line is None
    assert "allow-list" in issue.message and "public_access_cidrs" in issue.hint


def test_more_tenants_than_the_declared_scale_is_refused_in_python(parts: dict) -> None:
    platform = parts["platform"].model_copy(update={"scale": parts["platform"].scale.model_copy(update={"tenants": 1})})
    with pytest.raises(PlanError) as caught:
        Plan(**{**parts, "platform": platform})
    (issue,) = [i for i in caught.value.issues if i.path == "scale.tenants"]
    assert issue.file == "<python>:platform" and "raise scale.tenants" in issue.hint


def test_replace_checks_again_and_names_the_files(example_plan: Path) -> None:
    """A loaded plan changed with dataclasses.replace is checked again; its parts keep their files."""
    plan = load_plan(example_plan)
    platform = plan.platform.model_copy(update={"scale": plan.platform.scale.model_copy(update={"tenants": 1})})
    with pytest.raises(PlanError) as caught:
        dataclasses.replace(plan, platform=platform)
    (issue,) = [i for i in caught.value.issues if i.path == "scale.tenants"]
    assert issue.file.endswith("platform.yaml") and issue.line is not None
