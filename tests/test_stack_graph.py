"""The stack graph (#14): which stack applies before which, as cdktf's stack dependencies in
manifest.json and as `infraplan graph`'s waves; each edge is a lookup a stack really makes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLE_PLAN, edit_yaml
from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.stack_graph import StackCycleError, StackNode, plan_stacks, waves
from stacks.cli import main

GOLDEN = Path(__file__).with_name("golden") / "example" / "terraform"


def _graph(capsys, *argv: str) -> str:
    assert main(["graph", *argv]) == 0
    return capsys.readouterr().out


def _deps(plan_dir: Path, envs: list[str] | None = None) -> dict[str, set[str]]:
    return {n.name: set(n.depends_on) for n in plan_stacks(resolve_plan(load_plan(plan_dir), envs))}


def _managed_zone_plan(dest: Path) -> Path:
    """The example with prod's zone created by Terraform (no hosted_zone_id): org-c's dedicated
    cluster then finds the zone by name, in prod-platform."""
    shutil.copytree(EXAMPLE_PLAN, dest)
    edit_yaml(dest / "prod.yaml", lambda d: d["dns"].pop("hosted_zone_id"))
    return dest


def test_example_graph_waves_per_environment(capsys) -> None:
    """dev: every tenant is shared (state, platform, tenants); prod: org-c's dedicated stack needs only the state
    stack (the plan names prod's zone, its database is its own), so it applies beside prod-platform."""
    dev = json.loads(_graph(capsys, "--env", "dev", "--format", "json"))
    assert dev["waves"] == [["dev-state"], ["dev-platform"], ["dev-tenant-org-a", "dev-tenant-org-b", "dev-tenant-org-c"]]
    prod = json.loads(_graph(capsys, "--env", "prod", "--format", "json"))
    assert prod["waves"] == [["prod-state"], ["prod-platform", "prod-tenant-org-c"], ["prod-tenant-org-a", "prod-tenant-org-b"]]
    org_a, org_b, org_c = (prod["stacks"][f"prod-tenant-org-{t}"] for t in "abc")
    assert org_c["depends_on"] == ["prod-state"] and org_c["wave"] == 2 and org_c["kind"] == "tenant" and org_c["environment"] == "prod"
    assert org_a["depends_on"] == ["prod-state", "prod-platform"]
    (on_platform,) = [n["for"] for n in org_a["needs"] if n["stack"] == "prod-platform"]
    assert on_platform == ["shared VPC acme-prod (found by its Name tag)", "shared database instance acme-prod-pg (found by identifier)"]
    (on_platform,) = [n["for"] for n in org_b["needs"] if n["stack"] == "prod-platform"]  # org-b has no database
    assert on_platform == ["shared VPC acme-prod (found by its Name tag)"]
    whole = json.loads(_graph(capsys, "--format", "json"))  # all environments: their waves side by side
    assert whole["waves"][0] == ["dev-state", "prod-state", "staging-state"] and len(whole["waves"]) == 3
    assert set(whole["stacks"]) == {p.name for p in (GOLDEN / "stacks").iterdir()}


def test_text_format_lists_each_stack_with_what_it_comes_after(capsys) -> None:
    lines = _graph(capsys, "--env", "prod").splitlines()
    assert lines[0] == "acme: 5 stacks in 3 waves; the stacks of one wave can apply in parallel"
    assert [line.split() for line in lines[1:]] == [
        ["wave", "1", "prod-state", "first"],
        ["wave", "2", "prod-platform", "after", "prod-state"],
        ["wave", "2", "prod-tenant-org-c", "after", "prod-state"],
        ["wave", "3", "prod-tenant-org-a", "after", "prod-state,", "prod-platform"],
        ["wave", "3", "prod-tenant-org-b", "after", "prod-state,", "prod-platform"],
    ]


_DOT_ID = r'"[^"\\]*"'
_DOT_LINE = re.compile(
    rf'digraph {_DOT_ID} \{{|  rankdir=LR;|  node \[shape=box\];|  subgraph "cluster_wave_\d+" \{{|    label="wave \d+";|    {_DOT_ID};|  \}}|\}}'
    rf'|  (?P<a>{_DOT_ID}) -> (?P<b>{_DOT_ID}) \[tooltip="[^"\\]*"\];'
)


def test_dot_is_a_digraph_with_a_cluster_per_wave_and_an_edge_per_dependency(capsys) -> None:
    text = _graph(capsys, "--format", "dot")
    lines = text.splitlines()
    assert all(_DOT_LINE.fullmatch(line) for line in lines), [line for line in lines if not _DOT_LINE.fullmatch(line)]
    assert text.count("{") == text.count("}") and lines[-1] == "}"
    declared = re.findall(r'^    "([^"]+)";$', text, re.M)
    deps = _deps(EXAMPLE_PLAN)
    assert sorted(declared) == sorted(deps)  # each stack once
    edges = {(m["b"].strip('"'), m["a"].strip('"')) for line in lines if (m := _DOT_LINE.fullmatch(line)) and m["a"]}
    assert edges == {(s, d) for s, ds in deps.items() for d in ds}  # A -> B: A applies before B


_MERMAID_LINE = re.compile(r'flowchart LR|  subgraph wave(\d+)\["wave \1"\]|    (?P<id>s\d+)\["(?P<name>[a-z0-9-]+)"\]|  end|  (?P<a>s\d+) --> (?P<b>s\d+)')


def test_mermaid_is_a_flowchart_with_a_subgraph_per_wave(capsys) -> None:
    lines = _graph(capsys, "--env", "prod", "--format", "mermaid").splitlines()
    assert lines[0] == "flowchart LR"
    matches = [_MERMAID_LINE.fullmatch(line) for line in lines]
    assert all(matches), [line for line, m in zip(lines, matches) if not m]
    assert sum(line.strip().startswith("subgraph") for line in lines) == sum(line.strip() == "end" for line in lines) == 3
    names = {m["id"]: m["name"] for m in matches if m["id"]}
    assert len(names) == len(set(names.values())) == 5
    edges = {(names[m["b"]], names[m["a"]]) for m in matches if m["a"]}  # every id used is declared (KeyError otherwise)
    assert edges == {(s, d) for s, ds in _deps(EXAMPLE_PLAN, ["prod"]).items() for d in ds}


def _manifest_deps(terraform: Path) -> dict[str, set[str]]:
    manifest = json.loads((terraform / "manifest.json").read_text())
    return {name: set(entry["dependencies"]) for name, entry in manifest["stacks"].items()}


def test_manifest_dependencies_are_the_graph() -> None:
    """The reviewed example output (tests/test_golden_output.py proves synth writes it) lists in
    manifest.json, in cdktf's own field, exactly the graph's dependencies, in build order."""
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    nodes = plan_stacks(resolve_plan(load_plan(EXAMPLE_PLAN)))
    assert {n: e["dependencies"] for n, e in manifest["stacks"].items()} == {n.name: list(n.depends_on) for n in nodes}
    assert manifest["stacks"]["prod-tenant-org-a"]["dependencies"] == ["prod-state", "prod-platform"]


# What a stack finds in another one: the data sources and references in its cdk.tf.json that name
# something another stack creates. A data source type not listed here fails the test until it is classified.
LOCAL_DATA = {"aws_iam_policy_document", "aws_eks_addon_version", "aws_cloudwatch_log_groups"}


def _lookups(terraform: Path) -> dict[str, set[str]]:
    """Per stack, the stacks whose resources its Terraform looks up (derived from the JSON alone)."""
    docs = {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((terraform / "stacks").iterdir())}
    creates: dict[tuple[str, str], str] = {}
    for stack, doc in docs.items():
        res = doc.get("resource", {})
        creates |= {("bucket", b["bucket"]): stack for b in res.get("aws_s3_bucket", {}).values()}
        creates |= {("vpc", v["tags"]["Name"]): stack for v in res.get("aws_vpc", {}).values()}
        creates |= {("db", d["identifier"]): stack for d in res.get("aws_db_instance", {}).values()}
        creates |= {("zone", z["name"]): stack for z in res.get("aws_route53_zone", {}).values()}
    found: dict[str, set[str]] = {}
    for stack, doc in docs.items():
        data, res = doc.get("data", {}), doc.get("resource", {})
        assert set(data) <= LOCAL_DATA | {"aws_vpc", "aws_db_instance", "aws_route53_zone"}, f"{stack}: classify {set(data) - LOCAL_DATA}"
        wanted = [("bucket", b["bucket"]) for b in [doc["terraform"]["backend"].get("s3")] if b]
        wanted += [("vpc", v["tags"]["Name"]) for v in data.get("aws_vpc", {}).values()]
        wanted += [("db", d["db_instance_identifier"]) for d in data.get("aws_db_instance", {}).values()]
        wanted += [("zone", z["name"]) for z in data.get("aws_route53_zone", {}).values()]
        wanted += [("db", r["source_db_instance_arn"].rsplit(":db:", 1)[1]) for r in res.get("aws_db_instance_automated_backups_replication", {}).values()]
        found[stack] = {creates[w] for w in wanted} - {stack}  # KeyError: a lookup of something no stack creates
    return found


def test_each_edge_is_a_lookup_the_example_stacks_make() -> None:
    assert _lookups(GOLDEN) == _deps(EXAMPLE_PLAN)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["multi-region", "managed-zone"])
def test_synthesized_manifest_and_lookups_are_the_graph(variant: str, tmp_path: Path, capsys) -> None:
    """A multi-region prod: the secondary region's stack copies the primary database's backups, so it
    applies after prod-platform, in the shared tenants' wave. prod with a zone Terraform creates: org-c's
    dedicated stack finds it in prod-platform and moves to the last wave. In both, manifest.json's
    dependencies and the lookups in the stacks' JSON are the graph's edges."""
    from stacks.synth import synthesize
    from test_multi_region import make_multi_region

    plan = make_multi_region(tmp_path / "plan") if variant == "multi-region" else _managed_zone_plan(tmp_path / "plan")
    synthesize(plan, tmp_path / "dist", envs=["prod"])
    deps = _deps(plan, ["prod"])
    assert _manifest_deps(tmp_path / "dist/terraform") == deps
    assert _lookups(tmp_path / "dist/terraform") == deps
    graph = json.loads(_graph(capsys, "--plan", str(plan), "--env", "prod", "--format", "json"))
    if variant == "multi-region":
        assert graph["waves"] == [["prod-state"], ["prod-platform"], ["prod-eu-central-1-platform", "prod-tenant-org-a", "prod-tenant-org-b", "prod-tenant-org-c"]]
        regional = graph["stacks"]["prod-eu-central-1-platform"]
        assert regional["kind"] == "region" and regional["needs"][1]["for"] == ["automated backups of the database arn:aws:rds:eu-west-1:333333333333:db:acme-prod-pg"]
    else:
        assert graph["waves"] == [["prod-state"], ["prod-platform"], ["prod-tenant-org-a", "prod-tenant-org-b", "prod-tenant-org-c"]]
        assert graph["stacks"]["prod-tenant-org-c"]["needs"][1] == {"stack": "prod-platform", "for": ["Route 53 zone prod.acme.example.com (found by name)"]}


def test_a_cycle_is_an_internal_error(monkeypatch, capsys) -> None:
    a, b, c = (StackNode(n, "tenant", "dev", tuple((d, ("x",)) for d in deps)) for n, deps in (("a", ["c"]), ("b", ["a"]), ("c", ["b"])))
    with pytest.raises(StackCycleError, match=r"a, c, b, a depend on each other in a cycle"):
        waves([a, b, c, StackNode("d", "state", "dev", ())])
    with pytest.raises(StackCycleError, match="needs e, which the graph does not hold"):
        waves([StackNode("a", "tenant", "dev", (("e", ("x",)),))])
    import stacks.graph_command as graph_command

    monkeypatch.setattr(graph_command, "plan_stacks", lambda envs: [a, b, c])
    assert main(["graph"]) == 3
    assert "internal error" in capsys.readouterr().err
