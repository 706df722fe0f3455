"""`infraplan schema`: the JSON Schemas of the plan files (issue #14, "Seeing and starting a plan").

The schemas are what an editor (yaml-language-server, draft-07) checks a plan file against, so
they must accept every file the plan accepts (the example, the tests' plans, mutated plans the
loader takes) and refuse what the plan refuses where one file can tell (unknown keys, names,
regions, versions, quantities). Files are read by the plan's own YAML 1.2 reader, as editors do.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from conftest import EXAMPLE_PLAN, edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.schema import KINDS, json_schema, schema_files
from constructs_lib.plan.yaml_source import load_yaml_file
from stacks.cli import main

VALIDATORS = {kind: jsonschema.Draft7Validator(json_schema(kind)) for kind in KINDS}


def kind_of(plan: Path, path: Path) -> str:
    rel = path.relative_to(plan)
    return "platform" if rel.as_posix() == "platform.yaml" else "tenant" if rel.parts[0] == "tenants" else "environment"


def data_of(path: Path) -> Any:
    doc, issues = load_yaml_file(path, str(path))
    assert doc is not None, issues
    return doc.data


def schema_errors(plan: Path) -> list[str]:
    """Every schema error in every file of ``plan``, as 'file: path: message'."""
    found = []
    for path in sorted(plan.rglob("*.yaml")):
        for error in VALIDATORS[kind_of(plan, path)].iter_errors(data_of(path)):
            found.append(f"{path.relative_to(plan)}: {'.'.join(map(str, error.absolute_path))}: {error.message}")
    return found


def errors_for(kind: str, data: Any) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATORS[kind].iter_errors(data)]


def test_the_schemas_are_draft_07_as_yaml_language_server_reads_them() -> None:
    for kind in KINDS:
        schema = json_schema(kind)
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        jsonschema.Draft7Validator.check_schema(schema)
        text = json.dumps(schema)
        assert "$defs" not in text, "draft-07 keeps definitions under 'definitions'"

        def refs_alone(node: Any) -> None:
            if isinstance(node, dict):
                assert "$ref" not in node or len(node) == 1, f"a $ref with siblings (draft-07 ignores them): {node}"
                for v in node.values():
                    refs_alone(v)
            elif isinstance(node, list):
                for v in node:
                    refs_alone(v)

        refs_alone(schema)


def test_the_example_plan_validates_against_the_schemas() -> None:
    load_plan(EXAMPLE_PLAN)
    assert schema_errors(EXAMPLE_PLAN) == []


def _multi_region(dest: Path) -> Path:
    from test_multi_region import make_multi_region

    return make_multi_region(dest)


def _gitops_none(dest: Path) -> Path:
    shutil.copytree(EXAMPLE_PLAN, dest)
    edit_yaml(dest / "platform.yaml", lambda d: d["gitops"].update(tool="none"))
    return dest


def _everything_optional(dest: Path) -> Path:
    """The example with optional fields it leaves out: numbers as YAML numbers, log retention, NAT, release versions."""
    shutil.copytree(EXAMPLE_PLAN, dest)

    def env(d: dict) -> None:
        d.update(nat="single", flow_logs_retention_days=400)
        d["cluster"]["node_groups"][0].update(
            release_version="1.35.3-20260101", disk_size_gb=80, labels={"workload": "general"}, taints=[{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}]
        )
        d["cluster"]["api_access"] = {"vpc": True, "cidrs": ["10.99.0.0/16"], "security_group_ids": ["sg-0123456789abcdef0"]}
        d["database"].update(engine_version="16.9", auto_minor_version_upgrade=False, backup_retention_days=7)

    edit_yaml(dest / "dev.yaml", env)
    edit_yaml(dest / "tenants/org-a.yaml", lambda d: d["quotas"].update(cpu=8, memory="32Gi"))
    edit_yaml(dest / "platform.yaml", lambda d: d.update(manifest_components=[{"name": "priority-classes", "repo_url": "https://github.com/acme/m.git", "path": "pc", "revision": "v1.4.0", "namespace": "kube-system"}]))
    return dest


@pytest.mark.parametrize("make", [_multi_region, _gitops_none, _everything_optional])
def test_the_tests_plans_validate_against_the_schemas(make, tmp_path: Path) -> None:
    plan = make(tmp_path / "plan")
    load_plan(plan)  # the plan accepts it ...
    assert schema_errors(plan) == []  # ... so the schema does too


# (file kind, where, value): each refused by the plan for that file alone, and by the schema
REFUSED = [
    ("platform", ("colour",), "blue"),  # an unknown key
    ("platform", ("gitops", "repo_uri"), "https://x"),  # an unknown key below
    ("platform", ("name",), "Acme Corp"),
    ("platform", ("kubernetes", "version"), "1.99"),
    ("platform", ("gitops", "repo_url"), "github.com/acme/gitops"),
    ("platform", ("components",), ["istio"]),
    ("platform", ("performance", "rto_minutes"), 0),
    ("platform", ("performance", "uptime_percent"), "99.9"),  # text where a number is meant
    ("platform", ("scale", "tenants"), "NEEDS CLARIFICATION"),
    ("platform", ("tags",), {"aws:owner": "x"}),
    ("environment", ("account_id",), "12345678901"),
    ("environment", ("account_id",), 123456789012),
    ("environment", ("regions",), ["eu-west-9"]),
    ("environment", ("tier",), "dev"),
    ("environment", ("flow_logs_retention_days",), 13),
    ("environment", ("cluster", "node_groups", 0, "instance_types"), ["large"]),
    ("environment", ("cluster", "node_groups", 0, "taints"), [{"key": "dedicated", "effect": "NoSchedule"}]),
    ("environment", ("cluster", "node_groups", 0, "taints"), [{"key": "dedicated", "effect": "NO_SCHEDULE", "operator": "Equal"}]),
    ("environment", ("cluster", "public_access_cidrs"), ["203.0.113.0"]),
    ("environment", ("database", "engine_version"), "11"),
    ("environment", ("vpc_cidr",), "10.10.0.0"),
    ("environment", ("dns", "domain"), "Dev.acme.example.com"),
    ("tenant", ("apps", 0, "tag"), "latest"),
    ("tenant", ("quotas", "cpu"), "-1"),
    ("tenant", ("quotas", "memory"), True),
    ("tenant", ("namespaces",), ["Org-A"]),
    ("tenant", ("groups", "admins"), ["two words"]),
]
EXAMPLE_FILE = {"platform": "platform.yaml", "environment": "dev.yaml", "tenant": "tenants/org-a.yaml"}


def _set(doc: Any, where: tuple, value: Any) -> None:
    for part in where[:-1]:
        doc = doc[part]
    doc[where[-1]] = value


@pytest.mark.parametrize(("kind", "where", "value"), REFUSED, ids=[f"{k}:{'.'.join(map(str, w))}={v!r}" for k, w, v in REFUSED])
def test_the_schema_refuses_what_the_plan_refuses(kind: str, where: tuple, value: Any, plan_copy: Path) -> None:
    path = plan_copy / EXAMPLE_FILE[kind]
    data = data_of(path)
    _set(data, where, value)
    assert errors_for(kind, data), f"the schema accepts {value!r} at {where}"
    edit_yaml(path, lambda d: _set(d, where, value))
    with pytest.raises(PlanError):
        load_plan(plan_copy)


# (file kind, where, value): forms the plan takes that a schema of the base types alone would refuse or ignore
ACCEPTED = [
    ("tenant", ("quotas", "cpu"), 4),  # a YAML number is a quantity too
    ("tenant", ("quotas", "cpu"), "1500m"),
    ("tenant", ("quotas", "memory"), "4e9"),
    ("environment", ("database", "engine_version"), "17"),
    ("environment", ("flow_logs_retention_days",), 0),
]


@pytest.mark.parametrize(("kind", "where", "value"), ACCEPTED, ids=[f"{k}:{'.'.join(map(str, w))}={v!r}" for k, w, v in ACCEPTED])
def test_the_schema_accepts_what_the_plan_accepts(kind: str, where: tuple, value: Any, plan_copy: Path) -> None:
    path = plan_copy / EXAMPLE_FILE[kind]
    edit_yaml(path, lambda d: _set(d, where, value))
    load_plan(plan_copy)
    assert errors_for(kind, data_of(path)) == []


@pytest.mark.slow
def test_every_mutated_plan_the_loader_accepts_the_schemas_accept() -> None:
    """The mutations of test_plan_properties that keep plans mostly valid: whatever the loader
    takes, the editor must not flag (the schema is never stricter than the plan)."""
    from test_plan_properties import EXAMPLE, MUTATIONS, _write

    accepted: list[str] = []

    @settings(max_examples=40, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def accepted_plans_pass_the_schemas(data: st.DataObject) -> None:
        docs = copy.deepcopy(EXAMPLE)
        steps = data.draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4), label="mutations")
        note("; ".join(step(docs, data) for step in steps))
        with tempfile.TemporaryDirectory() as tmp:
            plan = Path(tmp)
            _write(docs, plan)
            try:
                load_plan(plan)
            except PlanError:
                return
            assert schema_errors(plan) == []
            accepted.append("ok")

    accepted_plans_pass_the_schemas()
    assert len(accepted) >= 15, f"only {len(accepted)} mutated plans were valid: the property barely ran"


def test_infraplan_schema_writes_the_three_schemas(tmp_path: Path, capsys) -> None:
    out = tmp_path / "schema"
    assert main(["schema", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["environment.schema.json", "platform.schema.json", "tenant.schema.json"]
    for name, text in schema_files().items():
        assert (out / name).read_text(encoding="utf-8") == text
    assert json.loads((out / "platform.schema.json").read_text())["title"] == "infraplan platform.yaml"
    assert main(["schema", "--out", str(out)]) == 0  # its own files: replaced


def test_infraplan_schema_never_overwrites_a_file_it_did_not_write(tmp_path: Path, capsys) -> None:
    out = tmp_path / "schema"
    out.mkdir()
    (out / "tenant.schema.json").write_text('{"title": "my own"}\n')
    assert main(["schema", "--out", str(out)]) == 2
    assert "tenant.schema.json" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["tenant.schema.json"]
    assert (out / "tenant.schema.json").read_text() == '{"title": "my own"}\n'
