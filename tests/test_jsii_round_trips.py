"""Building the stacks asks cdktf (jsii round trips to Node.js, 0.07-0.2 ms each) only what Python does
not know (#16): a construct's path and id are known where it is made, a stack's Terraform settings go
in one override, an element's Terraform name is asked once; and a worker finds each class's jsii
overrides once. The output stays byte for byte the same (tests/test_golden_output.py).

Bounds per stack and per element, not totals: a new resource changes the totals, not these."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from jsii._kernel.providers import process

from constructs_lib.plan import load_plan
from constructs_lib.resolve import resolve_plan
from constructs_lib.terraform import attribute_handover as handover
from constructs_lib.terraform.engine import cdktf
from stacks.terraform_app import add_stacks

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "environments"


@pytest.fixture(scope="module")
def example_requests(tmp_path_factory):
    """Every jsii request (kind, member, object) while add_stacks builds the example, then while it synthesizes."""
    envs = resolve_plan(load_plan(EXAMPLE))
    app = cdktf.App(outdir=str(tmp_path_factory.mktemp("cdktf")))
    requests: dict[str, list[tuple[str, str, str | None]]] = {"build": [], "synth": []}
    phase = "build"
    send = process._NodeProcess.send

    def counting(self, request, response_type):
        member = getattr(request, "property", None) or getattr(request, "method", None) or getattr(request, "fqn", None) or ""
        objref = getattr(request, "objref", None)
        requests[phase].append((type(request).__name__, member, getattr(objref, "ref", None)))
        return send(self, request, response_type)

    mp = pytest.MonkeyPatch()
    mp.setattr(process._NodeProcess, "send", counting)
    try:
        built = add_stacks(app, envs)
        phase = "synth"
        app.synth()
    finally:
        mp.undo()
    return built, requests


def _count(requests, kind: str, member: str) -> int:
    return sum(1 for k, m, _ in requests if k == kind and m == member)


def test_construct_paths_and_ids_are_not_asked_of_constructs(example_requests):
    """Before: every stack's node.id (add_stacks' dependency map), every L2 construct's scope path
    (its name in errors, twice), each subnet's id for its route table association: thousands at
    100 tenants. Now the App's path once, and the node of a cluster a DatabaseAdminAccess checks."""
    built, requests = example_requests
    clusters = sum(1 for s in built if getattr(s, "cluster", None) is not None)
    build = requests["build"]
    assert len(built) >= 10 and clusters >= 3
    asked = {member: _count(build, "GetRequest", member) for member in ("id", "path", "node")}
    assert asked["id"] == 0 and asked["path"] <= 1 and asked["node"] <= 1 + clusters, f"{asked} for {len(built)} stacks, {clusters} clusters"


def test_a_stack_has_one_override(example_requests):
    """required_version, the S3 backend's use_lockfile (and a local target's backend settings) in one
    add_override of the terraform block: before, one per setting."""
    built, requests = example_requests
    overrides = _count(requests["build"], "InvokeRequest", "addOverride")
    assert overrides <= len(built), f"{overrides} add_override for {len(built)} stacks"


def test_the_constructs_are_created_without_round_trips(example_requests):
    """Each construct's create was a round trip, Python waiting for the reference: now Python gives it
    the reference the kernel will (constructs_lib/terraform/jsii_pipeline.py) and goes on. Only the
    App (it teaches the numbering) and the stacks (cdktf checks their ids) are created waiting."""
    built, requests = example_requests
    waited = Counter(m for k, m, _ in requests["build"] if k == "CreateRequest")
    elements = sum(1 for s in built for c in s.node.find_all() if isinstance(c, (handover.Resource, handover.DataSource, handover.Provider, handover.Block)))
    assert elements > 500
    assert waited == Counter({"cdktf.TerraformStack": len(built)}), waited  # the App was made by the fixture


def test_references_are_made_without_round_trips(example_requests):
    """An element's reference (``ref``, ``id_ref``, ``arn``) was cdktf's token, asked by a round trip
    (417 for the example): now it is made in Python and becomes cdktf's token at the handover. What
    is left is asked where a reference goes to Node.js otherwise: outputs, cdktf functions."""
    built, requests = example_requests
    asked = _count(requests["build"], "InvokeRequest", "getStringAttribute")
    outputs = sum(1 for s in built for c in s.node.children if isinstance(c, cdktf.TerraformOutput))
    assert asked <= outputs + len(built), f"{asked} tokens asked for {outputs} outputs in {len(built)} stacks"


def test_an_elements_terraform_name_is_asked_once(example_requests):
    """friendlyUniqueId at most once per element, building and synthesizing together (before: the log
    groups' import blocks asked it at each of cdktf's two passes)."""
    _, requests = example_requests
    asked = Counter(ref for phase in requests.values() for k, m, ref in phase if k == "GetRequest" and m == "friendlyUniqueId")
    assert asked and max(asked.values()) == 1, asked.most_common(3)


def test_the_worker_finds_each_classs_jsii_overrides_once_and_the_same():
    """A worker keeps jsii's overrides per (class, type of the object): computed once per pair while
    the example's stacks are built and synthesized, each equal to what jsii computes afresh."""
    code = textwrap.dedent(
        """
        import tempfile
        from collections import Counter
        from jsii import _kernel
        jsii_own = _kernel._get_overides
        computed = Counter()
        def counted(klass, obj):
            computed[(klass, type(obj))] += 1
            return jsii_own(klass, obj)
        _kernel._get_overides = counted
        from stacks.terraform_worker import cache_jsii_overrides
        cache_jsii_overrides()
        cache_jsii_overrides()  # once is enough: not wrapped twice
        from constructs_lib.plan import load_plan
        from constructs_lib.resolve import resolve_plan
        from constructs_lib.terraform.engine import cdktf
        from stacks.terraform_app import add_stacks
        app = cdktf.App(outdir=tempfile.mkdtemp())
        add_stacks(app, resolve_plan(load_plan("environments")))
        app.synth()
        kept = _kernel._get_overides._infraplan_computed
        same = all([list(o) == jsii_own(klass, object.__new__(cls)) for (klass, cls), o in kept.items()])
        overriding = sum(1 for o in kept.values() if o)
        print("pairs", len(kept), "computed", sum(computed.values()), "max", max(computed.values()), "same", same, "overriding", overriding)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("pairs")), None)
    assert line is not None, proc.stdout + proc.stderr
    words = line.split()
    pairs, computed, most = int(words[1]), int(words[3]), int(words[5])
    assert pairs > 10 and computed == pairs and most == 1, line
    assert words[7] == "True", f"a kept list differs from jsii's own: {line}"
    assert int(words[9]) > 0, f"no class overrides anything, so nothing was compared: {line}"
