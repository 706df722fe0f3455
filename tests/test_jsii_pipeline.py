"""Creates Python does not wait for (#16): constructs_lib/terraform/jsii_pipeline.py and the host's
side of them (jsii_host.js, "Creates Python does not wait for").

The host against a stand-in kernel that numbers its objects as jsii's does: an answer to a create
Python did not wait for is dropped, a failed one's error comes instead of the next answer and a
placeholder takes its number, a wrong number or a callback ends the host with a message, and the
kernel is given one request line per read. Then through jsii's Python side and cdktf: the
example's elements are created without round trips, and the stacks are the same bytes; a failed
create is reported at the next call that waits and the runtime stays right; a class that may be
called back is created waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from constructs_lib.terraform import jsii_host
from test_jsii_host import NODE, console_lines, needs_node

slow = pytest.mark.slow

# Reads requests as jsii's SyncStdio does (fs.readSync of fd 3 into a large buffer, a line at a
# time) and numbers the objects it creates as jsii's ObjectTable does (<fqn>@<n>, from 10000).
# fqn "Fail" fails; "Calls" calls back before it answers. It records what each read returned.
NUMBERING_KERNEL = r"""
const fs = require('fs');
let next = 10000;
let pending = Buffer.alloc(0);
const reads = [];
function readLine() {
  let at;
  while ((at = pending.indexOf(10)) < 0) {
    const buf = Buffer.alloc(1 << 20);
    const n = fs.readSync(3, buf, 0, buf.length, null);
    if (n === 0) return undefined;
    reads.push(buf.subarray(0, n).toString().split('\n').length - 1);
    pending = Buffer.concat([pending, buf.subarray(0, n)]);
  }
  const line = pending.subarray(0, at).toString();
  pending = pending.subarray(at + 1);
  return JSON.parse(line);
}
function reply(obj) { fs.writeSync(3, JSON.stringify(obj) + '\n'); }
reply({ hello: 'numbering@1' });
for (;;) {
  const request = readLine();
  if (request === undefined || 'exit' in request) break;
  if (request.api === 'create' && request.fqn === 'Fail') {
    reply({ error: 'There is already a Construct with name x', name: '@jsii/kernel.RuntimeError', stack: 'at create' });
  } else if (request.api === 'create') {
    if (request.fqn === 'Calls') {
      reply({ callback: { cbid: 'jsii::callback::1', invoke: { objref: { '$jsii.byref': 'x@1' }, method: 'm', args: [] } } });
      readLine();
    }
    reply({ ok: { '$jsii.byref': `${request.fqn}@${next++}` } });
  } else {
    reply({ ok: { next, reads } });
  }
}
"""


def run_numbering_host(tmp_path: Path, lines: list[dict]) -> subprocess.CompletedProcess[bytes]:
    embedded = tmp_path / "embedded"
    embedded.mkdir()
    (embedded / "lib__program.js").write_text(NUMBERING_KERNEL)
    (tmp_path / "tmp").mkdir()
    env = dict(os.environ, INFRAPLAN_JSII_EMBEDDED=str(embedded), TMPDIR=str(tmp_path / "tmp"))
    text = "".join(json.dumps(line) + "\n" for line in lines)  # json.dumps' ", " and ": ", as jsii's Python side writes
    return subprocess.run([NODE, str(jsii_host.HOST)], input=text.encode(), capture_output=True, env=env, timeout=30)


def answers(proc: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines()][1:]  # after the hello


def pipelined(expect: str, fqn: str) -> dict:
    return {"infraplan.expect": expect, "fqn": fqn, "args": [], "overrides": [], "interfaces": [], "api": "create"}


@slow
@needs_node
def test_the_answer_of_a_create_python_did_not_wait_for_is_dropped(tmp_path: Path) -> None:
    proc = run_numbering_host(
        tmp_path,
        [
            {"fqn": "A", "args": [], "api": "create"},  # waited for: answered
            pipelined("B@10001", "B"),
            pipelined("C@10002", "C"),
            {"api": "stats"},
            {"exit": 0},
        ],
    )
    assert proc.returncode == 0, proc.stderr
    got = answers(proc)
    assert got[0] == {"ok": {"$jsii.byref": "A@10000"}}
    assert got[1]["ok"]["next"] == 10003  # both creates were made, their answers not written
    assert len(got) == 2
    assert set(got[1]["ok"]["reads"]) == {1}  # the kernel was given one line per read


@slow
@needs_node
def test_a_failed_create_is_told_at_once_and_its_number_taken(tmp_path: Path) -> None:
    proc = run_numbering_host(
        tmp_path,
        [
            {"fqn": "A", "args": [], "api": "create"},
            pipelined("Fail@10001", "Fail"),
            pipelined("B@10002", "B"),  # numbered as if the failed one had its number: a placeholder took it
            {"api": "stats"},
            {"exit": 0},
        ],
    )
    assert proc.returncode == 0, console_lines(proc.stderr)
    got = answers(proc)
    failed = got[1]["infraplan.failedCreate"]  # a line of its own, before the next answer: no answer is replaced
    assert failed["error"] == "creating Fail failed: There is already a Construct with name x" and failed["expect"] == "Fail@10001"
    assert got[2]["ok"]["next"] == 10003  # A, the placeholder, B
    assert len(got) == 3


@slow
@needs_node
def test_a_wrong_number_ends_the_host_with_a_message(tmp_path: Path) -> None:
    proc = run_numbering_host(tmp_path, [pipelined("B@10005", "B"), {"api": "stats"}, {"exit": 0}])
    assert proc.returncode == 1
    assert answers(proc) == []
    printed = "".join(text for _, text in console_lines(proc.stderr))
    assert "not the reference B@10005 Python gave its object" in printed


@slow
@needs_node
def test_a_callback_while_python_does_not_listen_ends_the_host(tmp_path: Path) -> None:
    proc = run_numbering_host(tmp_path, [pipelined("Calls@10000", "Calls"), {"api": "stats"}, {"exit": 0}])
    assert proc.returncode == 1
    assert answers(proc) == []
    assert "creating Calls@10000 called back into Python" in "".join(text for _, text in console_lines(proc.stderr))


# --- through jsii's Python side and cdktf, in a fresh process each (a kernel of its own) ---------------

PROBE = r"""
import json, sys
from jsii._kernel.providers import process
from constructs_lib.terraform import attribute_handover as handover, jsii_pipeline
from constructs_lib.terraform.engine import cdktf

waited = []
send = process._NodeProcess.send
def counting(self, request, response_type):
    waited.append(type(request).__name__)
    return send(self, request, response_type)
process._NodeProcess.send = counting

class Null(handover.Resource):
    def __init__(self, scope, id, **attributes):
        super().__init__(scope, id, terraform_resource_type="null_resource")
        self.attributes = attributes
    def ask_attributes(self):
        return self.attributes

app = cdktf.App(outdir=sys.argv[1])
stack = cdktf.TerraformStack(app, "s")
"""


def probe(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    code = PROBE + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    facts = json.loads(proc.stdout.splitlines()[-1]) if proc.stdout.strip() else {}
    return proc, facts


@slow
def test_a_failed_create_is_reported_at_the_next_wait_and_the_runtime_stays_right(tmp_path: Path) -> None:
    proc, facts = probe(
        tmp_path,
        """
        first = Null(stack, "x")
        stack.__dict__.pop("_infraplan_child_ids")  # as if Node.js had made "x": Python does not know of it
        before = len(waited)
        refused = Null(stack, "x")  # a second "x" in one scope: constructs refuses it
        handover.reference(refused, "id")  # a reference to it, which no other app's synth may trip on
        after = Null(stack, "y")
        created_without_waiting = len(waited) == before
        try:
            first.get_string_attribute("id")
            error = None
        except RuntimeError as exc:
            error = str(exc)
        # the numbers after the refused create are right: Python's objects are Node.js's
        y_path = after.node.path
        y_ref = after.friendly_unique_id
        # caught once, the refusal still stops the app's synth, both ways
        again = []
        for synth in (lambda: handover.synth(app), lambda: app.synth()):
            try:
                synth()
                again.append(None)
            except RuntimeError as exc:
                again.append(str(exc))
        # another app of the process is not concerned
        other = cdktf.App(outdir=sys.argv[1] + "-other")
        s2 = cdktf.TerraformStack(other, "s2")
        a = Null(s2, "a")
        Null(s2, "b", triggers={"a": handover.reference(a, "id")})
        handover.synth(other)
        written = json.load(open(sys.argv[1] + "-other/stacks/s2/cdk.tf.json"))["resource"]["null_resource"]
        print(json.dumps({"error": error, "without_waiting": created_without_waiting, "y": [y_path, y_ref], "again": again, "written": written}))
        """,
    )
    assert proc.returncode == 0, proc.stderr
    assert facts["without_waiting"]
    assert facts["error"].startswith("creating infraplan-cdktf-handover.Resource failed: There is already a Construct with name 'x'"), facts["error"]
    assert facts["y"] == ["s/y", "y"]
    assert all(e and e.startswith("creating infraplan-cdktf-handover.Resource failed: There is already a Construct with name 'x'") for e in facts["again"]), facts["again"]
    assert facts["written"]["b"]["triggers"] == {"a": "${null_resource.a.id}"}


@slow
def test_an_extension_whose_construct_node_refused_fails_even_if_it_caught_the_error(tmp_path: Path) -> None:
    """A construct of an extension that Node.js refuses (an id cdktf gave a child of the stack itself,
    which Python cannot see) is the extension's failure: exit 2 naming it, even when the extension
    caught the error where it surfaced (an unrelated call) and went on; --out is not written."""
    (tmp_path / "ext").mkdir()
    (tmp_path / "ext" / "catching.py").write_text(
        textwrap.dedent(
            """
            from constructs_lib.terraform.aws import vpc

            def add(stack, ctx):
                if ctx.kind != "tenant":
                    return
                node = stack.node
                vpc.Vpc(stack, "backend", cidr_block="10.9.0.0/16")  # cdktf's S3 backend is the stack's "backend"
                try:
                    node.find_child("extras")  # where the refusal surfaces, caught as "no such child"
                except RuntimeError:
                    vpc.Vpc(stack, "extras", cidr_block="10.8.0.0/16")
            """
        )
    )
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "ext"))
    proc = subprocess.run([sys.executable, "-m", "stacks.cli", "synth", "--plan", str(ROOT / "environments"), "--out", str(out), "--extension", "catching:add"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "extension 'catching:add' failed on stack dev-tenant-org-a" in proc.stderr
    assert "There is already a Construct with name 'backend'" in proc.stderr
    assert not out.exists()


@slow
def test_a_second_child_of_one_id_fails_where_it_is_made(tmp_path: Path) -> None:
    """A create constructs or cdktf would refuse, as far as Python can see (an id given twice in a
    scope by this process, "/" read as "--"; an id holding a token; a stack), is created waiting:
    the error is raised by the line that makes the construct, as without the pipeline."""
    proc, facts = probe(
        tmp_path,
        """
        Null(stack, "x")
        cdktf.TerraformOutput(stack, "out", value="v")
        errors = []
        for make in (lambda: Null(stack, "x"), lambda: cdktf.TerraformOutput(stack, "out", value="w"), lambda: cdktf.TerraformStack(app, "s"), lambda: Null(stack, "${TfToken[TOKEN.1]}"), lambda: Null(stack, "a/b"), lambda: Null(stack, "a--b")):
            try:
                make()
                errors.append(None)
            except RuntimeError as exc:
                errors.append(str(exc))
        print(json.dumps({"errors": errors}))
        """,
    )
    assert proc.returncode == 0, proc.stderr
    errors = facts["errors"]
    assert [e and e.split(" in ")[0] for e in errors[:3]] == ["There is already a Construct with name 'x'", "There is already a Construct with name 'out'", "There is already a Construct with name 's'"]
    assert errors[3].startswith("You cannot use a token (e.g., a reference to an attribute) as the id of a construct.")
    assert errors[4] is None and errors[5].startswith("There is already a Construct with name 'a--b'")  # ids as constructs keeps them


@slow
def test_a_class_that_may_be_called_back_is_created_waiting(tmp_path: Path) -> None:
    """An element class overriding a jsii member beyond the asks, an element whose scope's class does,
    and one given an object implemented in Python (jsii creates it as it sends the arguments): Node.js
    may call into Python while it creates them, so Python waits (and answers)."""
    proc, facts = probe(
        tmp_path,
        """
        from constructs import Construct
        class Meta(Null):
            def to_terraform(self):
                return {"resource": {"null_resource": {"meta": {"from": "python"}}}}
        class Scope(Construct):
            def to_string(self):
                return "scope"
        import jsii
        @jsii.implements(cdktf.ITerraformDependable)
        class Dependency:  # implemented in Python: jsii creates it while it sends the create's arguments
            @property
            def fqn(self):
                return "null_resource.elsewhere"
        before = len(waited)
        handover.Resource(stack, "depends", terraform_resource_type="null_resource", depends_on=[Dependency()])
        depends = waited[before:]
        plain_before = len(waited); Null(stack, "plain"); plain = len(waited) - plain_before
        before = len(waited); Meta(stack, "meta"); meta = len(waited) - before
        scope = Scope(stack, "scope")
        before = len(waited); Null(scope, "child"); child = len(waited) - before
        handover.synth(app)
        written = json.load(open(sys.argv[1] + "/stacks/s/cdk.tf.json"))
        print(json.dumps({"plain": plain, "meta": meta, "child": child, "written": written["resource"]["null_resource"]["meta"], "depends": depends, "depends_on": written["resource"]["null_resource"]["depends"].get("depends_on")}))
        """,
    )
    assert proc.returncode == 0, proc.stderr
    assert facts["plain"] == 0 and facts["meta"] == 1 and facts["child"] == 1, facts
    assert facts["written"] == {"from": "python"}  # the override answered, as when every create waited
    assert facts["depends"] == ["CreateRequest", "CreateRequest"] and facts["depends_on"] == ["null_resource.elsewhere"], facts  # the dependency's, then the element's


@slow
def test_a_wrong_number_stops_the_runtime_instead_of_naming_another_object(tmp_path: Path) -> None:
    proc, _ = probe(
        tmp_path,
        """
        Null(stack, "a")
        jsii_pipeline._Numbering.next += 3  # as if a reference had gone unseen
        b = Null(stack, "b")
        b.get_string_attribute("id")
        print(json.dumps({"went on": True}))
        """,
    )
    assert proc.returncode != 0
    assert "went on" not in proc.stdout
    assert "not the reference infraplan-cdktf-handover.Resource@" in proc.stderr


@slow
def test_creates_while_node_synthesizes_are_waited_for_and_every_synth_checks(tmp_path: Path) -> None:
    """What Python creates while it answers Node.js (an aspect's visit during the synth) is waited
    for, so a refusal comes from its line; a refusal caught earlier stops Testing.synth as it stops
    App.synth; a refused backend (its create has no id) concerns its own app only; and App.synth keeps
    jsii's name, so a subclass's synth is still an override."""
    proc, facts = probe(
        tmp_path,
        """
        import jsii
        from jsii import _kernel
        seen = {}
        @jsii.implements(cdktf.IAspect)
        class Late:
            def visit(self, node):
                if isinstance(node, cdktf.TerraformStack) and "late" not in seen:
                    before = len(waited)
                    Null(node, "late")
                    seen["late"] = len(waited) - before
        Null(stack, "x")
        cdktf.Aspects.of(stack).add(Late())
        app.synth()
        # a refusal caught, then cdktf's Testing.synth of the stack
        t = cdktf.TerraformStack(cdktf.Testing.app(), "t")
        Null(t, "x")
        t.__dict__.pop("_infraplan_child_ids")
        Null(t, "x")
        try:
            t.node.id
        except RuntimeError:
            pass
        try:
            cdktf.Testing.synth(t)
            testing = None
        except RuntimeError as exc:
            testing = str(exc)
        # a refused backend: its app's synth fails, another app's does not
        b_app = cdktf.App(outdir=sys.argv[1] + "-b")
        b = cdktf.TerraformStack(b_app, "b")
        cdktf.LocalBackend(b, path="one.tfstate")
        cdktf.LocalBackend(b, path="two.tfstate")
        try:
            b.node.id
        except RuntimeError:
            pass
        outcomes = []
        for a in (b_app, cdktf.App(outdir=sys.argv[1] + "-c")):
            Null(cdktf.TerraformStack(a, "s"), "n") if a is not b_app else None
            try:
                handover.synth(a)
                outcomes.append(None)
            except RuntimeError as exc:
                outcomes.append(str(exc))
        class MyApp(cdktf.App):
            def synth(self):
                super().synth()
        overrides = [o.method for o in _kernel._get_overides(MyApp, MyApp.__new__(MyApp))]
        print(json.dumps({"late": seen["late"], "testing": testing, "outcomes": outcomes, "overrides": overrides}))
        """,
    )
    assert proc.returncode == 0, proc.stderr
    assert facts["late"] == 1  # waited for: Python was answering Node.js
    assert facts["testing"].startswith("creating infraplan-cdktf-handover.Resource failed: There is already a Construct with name 'x'")
    assert facts["outcomes"][0].startswith("creating cdktf.LocalBackend failed: There is already a Construct with name 'backend'")
    assert facts["outcomes"][1] is None
    assert facts["overrides"] == ["synth"]
