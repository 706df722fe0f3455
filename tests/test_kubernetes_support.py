"""EKS support windows (#12 breaks 6): the calendar is data with its dates and sources; validate
refuses a Kubernetes version past extended support and warns on one in extended support, judged on
an injected day (INFRAPLAN_TODAY, never the wall clock); clusters opt out of extended support."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.base import catalog
from constructs_lib.plan.kubernetes_support import calendar, warning
from constructs_lib.resolve.cluster import eks_addon_versions
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps, construct_defaults
from stacks.cli import main
from tfjson import one, resources


def _set_version(plan_dir: Path, version: str) -> None:
    edit_yaml(plan_dir / "platform.yaml", lambda d: d["kubernetes"].update(version=version))


def _dev_stack(plan_dir: Path) -> dict:
    env = next(e for e in resolve_plan(load_plan(plan_dir)) if e.name == "dev")
    return json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(env))))


def test_the_calendar_gives_every_version_its_dates_and_source() -> None:
    cal = calendar()
    assert {"1.32", "1.33", "1.34", "1.35"} <= set(cal)
    for version, w in cal.items():
        assert isinstance(w.standard_support_end, dt.date) and isinstance(w.extended_support_end, dt.date), version
        assert w.standard_support_end < w.extended_support_end, version
        assert w.source.startswith("http") and isinstance(w.read, dt.date), version
    assert cal["1.33"].standard_support_end == dt.date(2026, 7, 29) and cal["1.33"].extended_support_end == dt.date(2027, 7, 29)
    # Every version infraplan can build has its support window.
    assert set(catalog("eks_addons.yaml")) <= set(cal)


def test_1_33_synthesizes_with_eks_defaults_where_no_add_on_version_is_published(plan_copy: Path) -> None:
    _set_version(plan_copy, "1.33")
    d = _dev_stack(plan_copy)
    assert one(d, "aws_eks_cluster")["version"] == "1.33"
    addons = {a["addon_name"]: a for a in resources(d, "aws_eks_addon").values()}
    pins = eks_addon_versions("1.33")
    assert None in pins.values()  # at least one without a published pin, and said so in explain
    published = {v["addon_name"]: (k, v) for k, v in d.get("data", {}).get("aws_eks_addon_version", {}).items()}
    for name, pin in pins.items():
        if pin is not None:
            assert addons[name]["addon_version"] == pin
            continue
        # The version EKS marks default for the cluster's Kubernetes version, so a version bump upgrades the add-on too.
        key, source = published[name]
        assert (source["kubernetes_version"], source["most_recent"]) == ("1.33", False)
        assert addons[name]["addon_version"] == f"${{data.aws_eks_addon_version.{key}.version}}"
    assert set(published) == {n for n, v in pins.items() if v is None}
    env = next(e for e in resolve_plan(load_plan(plan_copy)) if e.name == "dev")
    shown = {d.path: d for d in construct_defaults(env)}  # what explain shows: the Cluster construct's own choice
    assert all(shown[f"cluster.eks_addons.{name}"].value == ("EKS default for Kubernetes 1.33" if pin is None else pin) for name, pin in pins.items())
    assert {shown[f"cluster.eks_addons.{name}"].source.ref for name in pins} == {"Cluster construct"}


def test_upgrade_policy_is_standard(example_plan: Path) -> None:
    cluster = one(_dev_stack(example_plan), "aws_eks_cluster")
    assert cluster["upgrade_policy"] == [{"support_type": "STANDARD"}]


def test_a_version_past_extended_support_is_refused_naming_the_oldest_supported(plan_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_version(plan_copy, "1.32")
    load_plan(plan_copy)  # 2026-11-26: in extended support until 2027-03-23
    monkeypatch.setenv("INFRAPLAN_TODAY", "2027-03-24")
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    [issue] = [i for i in info.value.issues if i.path == "kubernetes.version"]
    assert "past the end of EKS extended support" in issue.message and "2027-03-23" in issue.message
    assert "oldest supported is 1.33" in issue.hint and Path(issue.file).name == "platform.yaml" and issue.line


def test_extended_support_warns_on_validate_and_standard_support_does_not(plan_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert warning("1.33", dt.date(2026, 7, 29)) is None  # last day of standard support
    assert "extended support" in (warning("1.33", dt.date(2026, 7, 30)) or "")
    _set_version(plan_copy, "1.33")
    assert main(["validate", "--plan", str(plan_copy)]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "1.33" in err and "extended support" in err and "1.34" in err
    monkeypatch.setenv("INFRAPLAN_TODAY", "2026-07-01")
    assert main(["validate", "--plan", str(plan_copy)]) == 0
    assert "warning" not in capsys.readouterr().err
