"""Attributes handed to cdktf once per synth (constructs_lib/terraform/attribute_handover.py, #16):
the same bytes as cdktf asking Python at each synth, without the two callbacks per element, and
nothing stale afterwards."""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path

import jsii._kernel
import pytest

from constructs_lib.terraform import attribute_handover
from constructs_lib.terraform.aws import AwsProvider, iam, vpc
from constructs_lib.terraform.engine import cdktf

from conftest import EXAMPLE_PLAN
from construct_stack import ACCOUNT, REGION


@pytest.fixture
def callbacks(monkeypatch) -> collections.Counter:
    """The callbacks from Node into Python, by the Python method they call."""
    seen: collections.Counter = collections.Counter()
    handle = jsii._kernel._handle_callback

    def counting(kernel, callback):  # noqa: ANN001, ANN202 (jsii's signature)
        seen[callback.cookie] += 1
        return handle(kernel, callback)

    monkeypatch.setattr(jsii._kernel, "_handle_callback", counting)
    return seen


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _small_app(outdir: Path) -> tuple[cdktf.App, vpc.Subnet]:
    """A resource changed after it was made, one referring to it, a data source and the provider."""
    app = cdktf.App(outdir=str(outdir))
    s = cdktf.TerraformStack(app, "handover")
    AwsProvider(s, "aws", region=REGION, allowed_account_ids=[ACCOUNT])
    network = vpc.Vpc(s, "vpc", cidr_block="10.0.0.0/16", tags={"Name": "${not-an-expression}"})
    subnet = vpc.Subnet(s, "subnet", vpc_id=network.id_ref, cidr_block="10.0.1.0/24", tags={"Name": "a"})
    subnet.attributes["tags"]["kubernetes.io/cluster/x"] = "shared"  # as Network.add_cluster does
    iam.DataIamPolicyDocument(s, "doc", statement=[{"actions": ["s3:GetObject"], "resources": [f"{network.arn}/*"]}])
    return app, subnet


def test_the_handover_writes_what_cdktf_writes_asking_python(tmp_path: Path, callbacks) -> None:
    asked, _ = _small_app(tmp_path / "asked")
    asked.synth()
    assert callbacks["ask_attributes"] == 2 * 4  # cdktf asks each element twice per synth: prepare, then write
    callbacks.clear()
    handed, _ = _small_app(tmp_path / "handed")
    attribute_handover.synth(handed)
    assert callbacks["ask_attributes"] == 0
    assert _files(tmp_path / "handed") == _files(tmp_path / "asked")
    written = json.loads((tmp_path / "handed/stacks/handover/cdk.tf.json").read_text())
    assert written["resource"]["aws_subnet"]["subnet"]["tags"] == {"Name": "a", "kubernetes.io/cluster/x": "shared"}
    assert written["resource"]["aws_vpc"]["vpc"]["tags"] == {"Name": "$${not-an-expression}"}  # still a literal
    assert written["provider"]["aws"] == [{"allowed_account_ids": [ACCOUNT], "region": REGION}]


def test_after_the_synth_the_elements_ask_python_again(tmp_path: Path, callbacks) -> None:
    app, subnet = _small_app(tmp_path / "out")
    attribute_handover.synth(app)
    subnet.attributes["tags"]["later"] = "changed"  # a change after the handover's synth is not lost
    app.synth()
    assert callbacks["ask_attributes"] == 2 * 4
    written = json.loads((tmp_path / "out/stacks/handover/cdk.tf.json").read_text())
    assert written["resource"]["aws_subnet"]["subnet"]["tags"]["later"] == "changed"


def test_an_element_whose_attributes_are_not_json_keeps_asking_python(tmp_path: Path, callbacks) -> None:
    """A jsii object among the attributes (here an IResolvable) has no JSON form: that element is not
    handed over and cdktf asks it, the others are handed over."""
    app, _ = _small_app(tmp_path / "out")
    odd = vpc.Vpc(cdktf.TerraformStack.of(app.node.find_child("handover")), "odd", cidr_block="10.1.0.0/16", tags={"Lazy": cdktf.Token.as_any("resolved")})
    assert attribute_handover._json(odd.ask_attributes()) is None
    attribute_handover.synth(app)
    assert callbacks["ask_attributes"] == 2  # the odd one, twice; the four others none
    written = json.loads((tmp_path / "out/stacks/handover/cdk.tf.json").read_text())
    assert written["resource"]["aws_vpc"]["odd"]["tags"] == {"Lazy": "resolved"}
    assert written["resource"]["aws_subnet"]["subnet"]["tags"]["kubernetes.io/cluster/x"] == "shared"


@jsii.implements(cdktf.IAspect)
class _TagSubnets:
    """An aspect changing an element's attributes: cdktf runs it while writing the stacks."""

    def visit(self, node) -> None:  # noqa: ANN001 (cdktf's signature)
        if isinstance(node, vpc.Subnet):
            node.attributes["tags"]["by-aspect"] = "yes"


def test_with_an_aspect_the_elements_ask_python(tmp_path: Path, callbacks) -> None:
    """cdktf runs aspects after the handover; what an aspect changes is written all the same."""
    app, subnet = _small_app(tmp_path / "out")
    cdktf.Aspects.of(cdktf.TerraformStack.of(subnet)).add(_TagSubnets())
    attribute_handover.synth(app)
    written = json.loads((tmp_path / "out/stacks/handover/cdk.tf.json").read_text())
    assert written["resource"]["aws_subnet"]["subnet"]["tags"]["by-aspect"] == "yes"
    assert callbacks["ask_attributes"] > 0


class _FailsOnce(cdktf.TerraformElement):
    """An element whose first synth fails (as a failing extension's element would)."""

    failed = False

    def to_terraform(self):  # noqa: ANN201 (cdktf's signature)
        if not _FailsOnce.failed:
            _FailsOnce.failed = True
            raise RuntimeError("this synth fails")
        return {}


def test_a_synth_that_fails_takes_the_attributes_back(tmp_path: Path, callbacks) -> None:
    app, subnet = _small_app(tmp_path / "out")
    _FailsOnce(cdktf.TerraformStack.of(subnet), "fails-once")
    with pytest.raises(Exception, match="this synth fails"):
        attribute_handover.synth(app)
    callbacks.clear()
    subnet.attributes["tags"]["after"] = "the failure"
    app.synth()
    assert callbacks["ask_attributes"] == 2 * 4, "the elements kept the attributes of the failed synth"
    written = json.loads((tmp_path / "out/stacks/handover/cdk.tf.json").read_text())
    assert written["resource"]["aws_subnet"]["subnet"]["tags"]["after"] == "the failure"


def test_the_assembly_is_the_same_bytes_each_time(monkeypatch) -> None:
    """The kernel caches a package by its tarball's bytes: the same tarball, the same cache entry
    (a tarball stamped with the time it was made would add a cache entry at each start)."""
    first = attribute_handover.assembly_tarball()
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)  # built at another moment
    assert attribute_handover.assembly_tarball() == first
    spec = attribute_handover.assembly_spec()
    assert {t["base"] for t in spec["types"].values() if "base" in t} == {f"{attribute_handover.ENGINE}.{b}" for b in ("TerraformResource", "TerraformDataSource", "TerraformProvider", "TerraformElement")}


@pytest.mark.slow
def test_the_examples_stacks_are_the_same_bytes_either_way(tmp_path: Path, callbacks) -> None:
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_plan
    from stacks.terraform_app import add_stacks

    envs = resolve_plan(load_plan(EXAMPLE_PLAN), None)
    asked = cdktf.App(outdir=str(tmp_path / "asked"))
    add_stacks(asked, envs)
    asked.synth()
    asked_callbacks, asked_blocks = callbacks["ask_attributes"], callbacks["ask_terraform"]
    callbacks.clear()
    handed = cdktf.App(outdir=str(tmp_path / "handed"))
    add_stacks(handed, envs)
    count = len(attribute_handover._HandOver.elements_under(handed))
    attribute_handover.synth(handed)
    blocks = sum(isinstance(e, attribute_handover.Block) for e in attribute_handover._HandOver.elements_under(handed))
    assert blocks > 10 and asked_blocks == 2 * blocks  # the ephemeral passwords, the log groups' import blocks
    assert count > 500 and asked_callbacks == 2 * (count - blocks) and sum(callbacks.values()) == 0
    assert _files(tmp_path / "handed") == _files(tmp_path / "asked")


def _referring_app(outdir: Path) -> cdktf.App:
    """References made in Python in every place one goes: an attribute, text around one, a mapping
    key, another stack, an output's value and a cdktf function's argument."""
    app = cdktf.App(outdir=str(outdir))
    s = cdktf.TerraformStack(app, "first")
    AwsProvider(s, "aws", region=REGION, allowed_account_ids=[ACCOUNT])
    network = vpc.Vpc(s, "vpc", cidr_block="10.0.0.0/16")
    vpc.Subnet(s, "subnet", vpc_id=network.id_ref, cidr_block="10.0.1.0/24", tags={f"vpc/{network.id_ref}": "key", "arn": f"{network.arn}/x"})
    cdktf.TerraformOutput(s, "replaced", value=cdktf.Fn.replace(network.arn, "arn:", ""))
    other = cdktf.TerraformStack(app, "second")
    AwsProvider(other, "aws", region=REGION, allowed_account_ids=[ACCOUNT])
    vpc.Subnet(other, "far", vpc_id=network.id_ref, cidr_block="10.0.2.0/24")
    return app


def test_references_made_in_python_write_what_cdktfs_tokens_write(tmp_path: Path) -> None:
    """A reference is made in Python (attribute_handover.reference) and becomes cdktf's token in Node.js
    at the handover, or on its way when it goes to Node.js otherwise: handed over and asked, the same
    bytes, and each where cdktf's own token would have put it."""
    handed = _referring_app(tmp_path / "handed")
    attribute_handover.synth(handed)
    _referring_app(tmp_path / "asked").synth()  # cdktf asks Python: the references are resolved on the way
    assert _files(tmp_path / "handed") == _files(tmp_path / "asked")
    first = json.loads((tmp_path / "handed/stacks/first/cdk.tf.json").read_text())
    assert first["resource"]["aws_subnet"]["subnet"]["tags"] == {"vpc/${aws_vpc.vpc.id}": "key", "arn": "${aws_vpc.vpc.arn}/x"}
    assert first["output"]["replaced"]["value"] == '${replace(aws_vpc.vpc.arn, "arn:", "")}'
    second = json.loads((tmp_path / "handed/stacks/second/cdk.tf.json").read_text())
    assert second["resource"]["aws_subnet"]["far"]["vpc_id"].startswith("${data.terraform_remote_state.")  # across stacks, as cdktf does
    assert "INFRAPLAN" not in "".join(p.read_text() for p in (tmp_path / "handed").rglob("*.json"))
