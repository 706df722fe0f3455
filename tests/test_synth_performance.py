"""What makes synth fast without changing a byte of its output (#16): the C YAML emitter
only where it writes what the Python emitter writes, the GitOps tree listing its constructs
once instead of once per question, and each cdktf reference asked of cdktf once.

The speed itself is measured by benchmarks/synth.py, never here: these tests count the work
(emitter used, jsii calls made, walks over the GitOps tree) and compare the text."""

from __future__ import annotations

import json
import random
import string

import pytest
import yaml

from constructs_lib.kubernetes import yaml_out
from constructs_lib.kubernetes.gitops_tree import GitOpsTree
from constructs_lib.kubernetes.platform_objects import ObjectFolder
from constructs_lib.kubernetes.tenant_namespace import Tenant, TenantNamespace, TenantProject
from constructs_lib.kubernetes.tree_base import TreeConstruct
from constructs_lib.kubernetes.tree_node import Construct, Node
from constructs_lib.terraform.aws import vpc
from constructs_lib.terraform.engine import cdktf

from construct_stack import stack, synth

REPO = "https://git.example.com/acme/platform.git"
AGREED = string.printable.replace("\r", "").replace("\x0b", "").replace("\x0c", "").replace("\t", "")
needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: only the Python emitter exists")

# --- YAML: one output, whichever emitter writes it ------------------------------------------------


def _python(obj) -> str:
    return yaml.dump(obj, Dumper=yaml_out._Dumper, **yaml_out._OPTIONS)


def _c(obj) -> str:
    return yaml.dump(obj, Dumper=yaml_out._CDumper, **yaml_out._OPTIONS)


def _agreed_strings(count: int) -> list[str]:
    """Strings of the class the C emitter is used for: printable ASCII and newlines,
    with the pieces that change a scalar's style (indicators, quotes, spaces at the ends,
    YAML words, numbers, template markers, lines longer than the width)."""
    rng = random.Random(16)
    pieces = ["a", "bb", " ", "  ", "\n", "-", ": ", "#", "'", '"', "${x}", "%{y}", "yes", "null", "1", "0x1f", "?", "|", ">", "*a", "&b", "!t", "x" * 70, "- ", "[", "{", ",", "@", "`"]
    out = ["", " ", "\n", "\n\n", "a\n", " a", "a ", "x" * 300, " ".join(["word"] * 80)]
    for _ in range(count):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
        out.append("".join(rng.choice(AGREED) for _ in range(rng.randint(1, 40))))
    return out


@needs_libyaml
def test_both_emitters_write_the_agreed_strings_alike():
    checked = 0
    for text in _agreed_strings(3000):
        docs = [{"k": text, "list": [text, {"n": text}]}, [{"a": {"b": [[text]]}}]]
        if text and yaml_out.emitters_agree({text: 0}):  # a key: no newline
            docs.append({text: text})
        for doc in docs:
            if yaml_out.emitters_agree(doc):  # not: several lines a | block cannot hold
                checked += 1
                assert _c(doc) == _python(doc), repr(doc)
    assert checked > 12000


@pytest.mark.parametrize(
    "doc",
    [
        {"display": "Organisation Ä 😀"},  # libyaml escapes characters outside the BMP
        {"é" * 130: "key longer than 128 bytes but not characters"},  # it measures keys in bytes
        {"": "empty key"},  # it writes '' where PyYAML writes ? ''
        {"nel": "a\x85b", "cr": "a\rb"},  # control characters, carriage returns, Unicode line breaks
        {"two\nlines": 1},  # a key with a newline: libyaml writes a ? complex key
        {"list": ["ok", {"deep": "tab\tand \u2028"}]},  # a tab: double-quoted, folded differently
        {"long": "[" + "x" * 130 + "\t y"},
        {"script": "set -e \necho " + "x" * 120 + "\n"},  # a space before a line break: no | block, double-quoted
        {"k" * 101: "a long key"},  # the emitters differ on when a key is too long to be simple
    ],
)
def test_other_text_is_written_by_the_python_emitter(doc):
    assert not yaml_out.emitters_agree(doc)
    assert yaml_out.dump(doc) == _python(doc)
    assert yaml_out.dump_all([{"a": "b"}, doc]) == yaml.dump_all([{"a": "b"}, doc], Dumper=yaml_out._Dumper, **yaml_out._OPTIONS)


@needs_libyaml
def test_the_c_emitter_writes_the_agreed_documents(monkeypatch):
    def python_emitter_used(self, event):
        raise AssertionError("the Python emitter was used")

    monkeypatch.setattr(yaml.emitter.Emitter, "emit", python_emitter_used)
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"script": "set -e\necho ok\n"}}
    assert yaml_out.dump(doc) == "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  script: |\n    set -e\n    echo ok\n"
    with pytest.raises(AssertionError, match="Python emitter"):
        yaml_out.dump({"name": "Ä"})


# --- the GitOps tree lists its constructs once ----------------------------------------------------


@pytest.fixture
def find_all_calls(monkeypatch):
    """The constructs each ``find_all`` of the tree walked, one list per call (the tree's
    constructs are plain Python, tree_node.py: a walk costs what it visits)."""
    calls: list[list] = []
    original = Node.find_all

    def counting(self, *args, **kwargs):
        calls.append(original(self, *args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(Node, "find_all", counting)
    return calls


def _tree_of(tenants: int) -> GitOpsTree:
    tree = GitOpsTree(None, "dev", repo_url=REPO, environment="dev")
    for i in range(tenants):
        tree.add_tenant(f"t{i}", namespaces=[f"t{i}-web", f"t{i}-api"])
        tree.add_app(f"app{i}", namespace=f"t{i}-web", tenant=f"t{i}", image=f"ghcr.io/acme/app{i}", tag="1.0.0")
    return tree


def test_composing_and_writing_a_tree_lists_its_constructs_a_fixed_number_of_times(find_all_calls):
    small = _tree_of(2)
    small.synth()
    few = len(find_all_calls)
    find_all_calls.clear()
    large = _tree_of(20)
    files = large.synth()
    assert len(find_all_calls) == few <= 2  # not one per construct, as it was
    visited = sum(len(walk) for walk in find_all_calls)
    assert visited <= 2 * len(large.node.find_all())  # linear in the tree: each walk visits it once at most
    assert f"dev/apps/app19/base/deployment.yaml" in files


def _listed(tree: GitOpsTree, kind: type) -> list:
    return [c for c in tree.node.find_all() if isinstance(c, kind)]


def test_the_listing_is_find_alls_order_wherever_constructs_are_added():
    """Added at the root, under the construct last added, under an earlier one (which find_all
    lists before later ones), under a plain construct of the user's: the tree's answer is always
    find_all's."""
    tree = _tree_of(2)
    first = tree.constructs_of(TenantNamespace)
    assert first == _listed(tree, TenantNamespace)
    earlier = next(c for c in tree.node.children if isinstance(c, Tenant))
    TenantNamespace(earlier, "namespace-late", name="late", tenant="t0")  # under an earlier tenant
    group = Construct(tree, "group")  # the user's own scope
    ObjectFolder(group, "extra", path="bootstrap/extra", objects={"cm.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}})
    tree.add_tenant("last", namespaces=["last"])
    for kind in (TreeConstruct, TenantNamespace, TenantProject, ObjectFolder, Tenant, Construct):
        assert tree.constructs_of(kind) == _listed(tree, kind), kind
    assert [ns.spec.name for ns in tree.constructs_of(TenantNamespace)] == ["t0-web", "t0-api", "late", "t1-web", "t1-api", "last"]


# --- each cdktf reference is asked once ----------------------------------------------------------


def test_a_reference_is_made_without_asking_cdktf_and_resolves_as_before(monkeypatch):
    """An element's reference is made in Python (attribute_handover.reference); cdktf's token for it is
    asked in Node.js at the handover, not by a round trip while the stacks are built."""
    calls = []
    original = cdktf.TerraformResource.get_string_attribute

    def counting(self, attribute):
        calls.append(attribute)
        return original(self, attribute)

    monkeypatch.setattr(cdktf.TerraformResource, "get_string_attribute", counting)
    s = stack()
    network = vpc.Vpc(s, "vpc", cidr_block="10.0.0.0/16")
    for i in range(3):
        vpc.Subnet(s, f"subnet{i}", vpc_id=network.id_ref, cidr_block=f"10.0.{i}.0/24", tags={"vpc": network.ref("id"), "arn": network.arn})
    assert calls == []
    assert network.ref("id") == network.id_ref and network.arn != network.id_ref  # one reference per attribute
    subnets = synth(s)["resource"]["aws_subnet"]
    assert {json.dumps(x["vpc_id"]) for x in subnets.values()} == {'"${aws_vpc.vpc.id}"'}
    assert {x["tags"]["vpc"] for x in subnets.values()} == {"${aws_vpc.vpc.id}"}
    assert {x["tags"]["arn"] for x in subnets.values()} == {"${aws_vpc.vpc.arn}"}
    assert network.expr("id") == "aws_vpc.vpc.id" == network.expr("id")


# --- the benchmark's large plans are plans infraplan synthesizes ----------------------------------


def test_the_benchmarks_grown_plan_validates_and_renders(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from plans import write_plan

    from constructs_lib.kubernetes.tree import render_environment
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_environment

    plan = load_plan(write_plan(8, tmp_path / "plan"))
    assert sorted(plan.tenants)[-5:] == ["t0004", "t0005", "t0006", "t0007", "t0008"] and len(plan.tenants) == 8
    files = render_environment(resolve_environment(plan, "dev"), None)
    assert "dev/apps/t0004-storefront/base/deployment.yaml" in files and "dev/apps/t0005-reports/base/deployment.yaml" in files


def test_a_clusters_trust_policies_share_one_issuer_expression(monkeypatch):
    """Every IRSA trust policy names the issuer without its scheme: one Fn.replace per cluster,
    not one per policy, and each policy still reads it from the cluster."""
    from constructs_lib.terraform.cluster import Cluster
    from constructs_lib.terraform.network import Network

    calls = []
    original = cdktf.Fn.replace

    def counting(*args):
        calls.append(args[1:])
        return original(*args)

    monkeypatch.setattr(cdktf.Fn, "replace", staticmethod(counting))
    s = stack()
    cluster = Cluster(s, "eks", network=Network(s, "net"), admin_principal_arns=("arn:aws:iam::111122223333:role/admin",))
    for i in range(3):
        cluster.web_identity_trust(f"trust{i}", "ns", f"sa{i}")
    assert calls == [("https://", "")]
    docs = synth(s)["data"]["aws_iam_policy_document"]
    variables = {c["variable"] for d in docs.values() for st in d["statement"] for c in st.get("condition", [])}
    eks = next(iter(synth(s)["resource"]["aws_eks_cluster"]))
    host = f'${{replace(aws_eks_cluster.{eks}.identity[0].oidc[0].issuer, "https://", "")}}'
    assert variables == {f"{host}:sub", f"{host}:aud"} and sum(k.startswith("eks_trust") for k in docs) == 3


# --- validate stays light -------------------------------------------------------------------------


def test_validate_neither_imports_cdktf_nor_starts_node():
    """`infraplan validate` answers in a fraction of a second: the CDK engine, jsii and its Node
    process are for the commands that build stacks (synth, explain's construct defaults, ...)."""
    import subprocess
    import sys
    from pathlib import Path

    from conftest import EXAMPLE_PLAN

    script = (
        "import sys\n"
        "from stacks.cli import main\n"
        f"rc = main(['validate', '--plan', {str(EXAMPLE_PLAN)!r}])\n"
        "print(rc, sorted(m for m in ('cdktf', 'cdktn', 'jsii', 'constructs') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
