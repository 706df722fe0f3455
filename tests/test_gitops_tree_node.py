"""The GitOps constructs are plain Python (#16): rendering the trees starts no Node.js runtime,
and the construct tree they are built on (constructs_lib/kubernetes/tree_node.py) answers what
jsii's constructs answered: ids, paths, children and their order, find_all, refusals."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from constructs import Construct as JsiiConstruct
from constructs import RootConstruct

from constructs_lib.kubernetes import tree_node
from constructs_lib.kubernetes.gitops_tree import GitOpsTree
from constructs_lib.kubernetes.helm_addon import HelmAddOn
from constructs_lib.kubernetes.platform_objects import ObjectFolder
from constructs_lib.kubernetes.tree_base import ConstructError

ROOT = Path(__file__).resolve().parents[1]
REPO = "https://git.example.com/acme/platform.git"
CM = {"cm.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}}


def test_rendering_the_examples_trees_loads_neither_jsii_nor_constructs():
    """A fresh process renders every environment's trees of the bundled example: jsii (which
    starts Node.js) and constructs (whose import loads jsii) stay out of sys.modules."""
    code = (
        "import sys\n"
        "from constructs_lib.plan import load_plan\n"
        "from constructs_lib.resolve.environment import resolve_plan\n"
        "from constructs_lib.kubernetes.tree import render_environment\n"
        "files = sum(len(render_environment(env)) for env in resolve_plan(load_plan(sys.argv[1])))\n"
        "print(files, sorted(m for m in ('jsii', 'constructs', 'cdktf') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "environments")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    files, loaded = out.stdout.split(" ", 1)
    assert int(files) > 400 and loaded.strip() == "[]"


# --- the same tree as jsii's constructs ----------------------------------------------------------

IDS = ["a", "b", "web", "0", "1", "2", "10", "01", "-1", "4294967294", "4294967295", "a/b", "a--b", "x\ny", "é", "Default", "1.5", " "]


def _grow(rng: random.Random, make, root, count: int) -> list:
    """Adds ``count`` constructs under random scopes of the tree (the same choices for both kinds)."""
    made = [root]
    for _ in range(count):
        scope = made[rng.randrange(min(len(made), 4) if rng.random() < 0.5 else len(made))]  # crowded scopes: ids repeat
        id = rng.choice(IDS) + ("" if rng.random() < 0.6 else str(rng.randrange(3)))
        try:
            made.append(make(scope, id))
        except RuntimeError:  # a taken id: recorded by make, compared by the test
            pass
    return made


def _shape(root) -> list:
    return [(c.node.id, c.node.path, [k.node.id for k in c.node.children]) for c in root.node.find_all()]


@pytest.mark.parametrize("seed", range(6))
def test_ids_paths_children_and_find_all_are_constructs(seed):
    """Random trees built alike through jsii's constructs and tree_node: every id, path, child
    order (JavaScript lists array-index ids first) and find_all's pre-order are the same, and
    each id refused by one is refused by the other with the same sentence."""
    jsii_errors: list[str] = []
    ours_errors: list[str] = []

    def make_jsii(scope, id):
        try:
            return JsiiConstruct(scope, id)
        except RuntimeError as e:
            jsii_errors.append(re.sub(r" in \w+", " in <class>", str(e)))  # the class is the host's: Python's in ours
            raise

    def make_ours(scope, id):
        try:
            return tree_node.Construct(scope, id)
        except tree_node.ConstructIdError as e:
            ours_errors.append(re.sub(r" in \w+", " in <class>", e.message))
            raise

    jroot, root = RootConstruct(""), tree_node.Construct(None, "")
    _grow(random.Random(seed), make_jsii, jroot, 100)
    _grow(random.Random(seed), make_ours, root, 100)
    assert _shape(root) == _shape(jroot)
    assert ours_errors == jsii_errors and len(ours_errors) >= 2  # ids repeat: some are refused
    for c, j in zip(root.node.find_all(), jroot.node.find_all()):
        for id in ("a/b", "a--b", "0", "zz"):
            assert (c.node.try_find_child(id) is None) == (j.node.try_find_child(id) is None)


def test_a_named_root_and_an_empty_id():
    assert tree_node.Construct(None, "top").node.path == RootConstruct("top").node.path == "top"
    for root in (tree_node.Construct(None, ""), RootConstruct("")):
        assert root.node.path == "" and root.node.scope is None
        with pytest.raises(RuntimeError, match="Only root constructs may have an empty ID"):
            (tree_node.Construct if isinstance(root, tree_node.Construct) else JsiiConstruct)(root, "")


def test_a_taken_id_is_a_construct_error_naming_the_scope():
    t = GitOpsTree(None, "dev", repo_url=REPO, environment="dev")
    ObjectFolder(t, "extra", path="bootstrap/one", objects=CM)
    with pytest.raises(ConstructError, match=r"^dev/extra: There is already a Construct with name 'extra' in GitOpsTree \[dev\]; "):
        ObjectFolder(t, "extra", path="bootstrap/two", objects=CM)
    assert [c.node.id for c in t.node.children] == ["extra"] and t.synth()["dev/bootstrap/one/kustomization.yaml"]


def test_the_trees_paths_start_at_its_id_as_before():
    t = GitOpsTree(None, "dev", repo_url=REPO, environment="dev")
    tenant = t.add_tenant("shop", namespaces=["shop-web"])
    assert t.node.path == "dev" and t.node.scope is not None and t.node.scope.node.path == ""
    assert [c.node.path for c in t.node.find_all()] == ["dev", "dev/tenant-shop", "dev/tenant-shop/project", "dev/tenant-shop/namespace-shop-web"]
    assert tenant.namespaces[0].node.scope is tenant and t.node.try_find_child("tenant-shop") is tenant


@pytest.mark.parametrize("make", [lambda s: GitOpsTree(s, "dev", repo_url=REPO, environment="dev"), lambda s: HelmAddOn(s, "x", component="cert-manager")])
def test_a_jsii_construct_is_refused_as_scope(make):
    """The GitOps tree is its own root: a cdktf app or stack (any jsii construct) is no scope of it."""
    with pytest.raises(ConstructError, match=r"scope is a constructs\.RootConstruct, not a construct of a GitOps tree .*GitOpsTree\(None, id"):
        make(RootConstruct(""))
