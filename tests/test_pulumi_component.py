"""The cluster bootstrap as a Pulumi component (constructs_lib/pulumi/cluster_bootstrap.py), under
pulumi 3.272's mock monitor (as tests/test_pulumi_graph.py): each RegisterResourceRequest is kept
as sent, with its parent and aliases, and each RegisterResourceOutputsRequest.

Before the component the program registered every resource at the stack's root; a parent is part
of a URN (``<parent type>$<type>``), so without an alias the engine would replace everything on the
next ``pulumi up`` (and ArgoCD's release is retained on delete: a replacement would install a
second ArgoCD). Each child must carry an alias spec that names no other parent (``noParent``), the
same name and type: the engine then finds it under ``urn:pulumi:<stack>::<project>::<type>::<name>``,
its URN before the component."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pytest
import yaml
from pulumi.runtime import rpc
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

from conftest import EXAMPLE_PLAN, edit_yaml
from constructs_lib.addons import addon
from constructs_lib.kubernetes.gitops_tree import GitOpsTree
from constructs_lib.pulumi.cluster_bootstrap import COMPONENT_TYPE, BootstrapPropsError, ClusterBootstrap
from constructs_lib.resolve.bootstrap import RepositoryCredential
from stacks.pulumi_preview import PROJECT, RecordingMocks, offline_program

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registered:
    typ: str
    name: str
    urn: str
    parent: str
    aliases: list[Any]  # alias_pb2.Alias, as sent
    custom: bool


class ComponentMonitor(MockMonitor):
    """pulumi's MockMonitor, keeping each registration's parent and aliases, and the outputs registered."""

    def __init__(self, mocks: RecordingMocks):
        super().__init__(mocks)
        self.registered: list[Registered] = []
        self.outputs: dict[str, dict] = {}

    def RegisterResource(self, request):  # noqa: N802 (the gRPC method's name)
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            self.registered.append(Registered(request.type, request.name, response.urn, request.parent, list(request.aliases), request.custom))
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        # as the engine receives them (resource references stay references: rehydrating them here would re-enter the runtime)
        self.outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


def run(program, stack: str) -> tuple[ComponentMonitor, RecordingMocks, Any]:
    mocks = RecordingMocks()
    monitor = ComponentMonitor(mocks)
    result: dict[str, Any] = {}
    pulumi.runtime.set_all_config({}, [])
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=True, monitor=monitor)

    @pulumi.runtime.test
    def _run():
        pulumi.runtime.register_stack_transformation(mocks.capture_options)
        return pulumi.Output.from_input(program()).apply(result.update)

    _run()
    return monitor, mocks, result


def root_urn(stack: str, typ: str, name: str) -> str:
    """A resource's URN at the stack's root: what the program registered before the component."""
    return f"urn:pulumi:{stack}::{PROJECT}::{typ}::{name}"


def old_urn(stack: str, r: Registered) -> str:
    """The URN the engine derives from the registration's one alias spec (pulumi/runtime/resource.py
    create_alias_spec: ``Alias(parent=ROOT_STACK_RESOURCE)`` is sent as noParent, no name, no type)."""
    assert len(r.aliases) == 1, r
    spec = r.aliases[0].spec
    assert spec.noParent and not spec.parentUrn, r
    return root_urn(spec.stack or stack, spec.type or r.typ, spec.name or r.name)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_child_is_under_its_component_and_aliased_to_its_old_urn(env: str):
    monitor, _, exports = run(offline_program(EXAMPLE_PLAN, env), env)
    components = {r.name: r for r in monitor.registered if r.typ == COMPONENT_TYPE}
    assert set(components) == set(exports["clusters"])  # one per cluster, named after its key
    children = [r for r in monitor.registered if r.typ != COMPONENT_TYPE]
    assert children
    for r in children:
        key = r.name.removesuffix("-cluster") if r.typ == "pulumi:providers:kubernetes" else next(k for k in sorted(components, key=len, reverse=True) if r.name.startswith(f"{k}-"))
        assert r.parent == components[key].urn, r
        assert r.urn == f"urn:pulumi:{env}::{PROJECT}::{COMPONENT_TYPE}${r.typ}::{r.name}"  # the parent changed the URN ...
        assert old_urn(env, r) == root_urn(env, r.typ, r.name)  # ... and the alias finds the resource under its URN from before
    for c in components.values():
        assert (not c.parent or c.parent.split("::")[2] == STACK_TYPE) and not c.aliases  # the component itself is new, at the root


def test_without_gitops_the_releases_and_groups_are_children_too(tmp_path: Path):
    import shutil

    plan = tmp_path / "plan"
    shutil.copytree(EXAMPLE_PLAN, plan)
    edit_yaml(plan / "platform.yaml", lambda d: d["gitops"].update(tool="none"))
    monitor, _, _ = run(offline_program(plan, "dev"), "dev")
    (component,) = [r for r in monitor.registered if r.typ == COMPONENT_TYPE]
    children = [r for r in monitor.registered if r.typ != COMPONENT_TYPE]
    assert {r.typ for r in children} == {"pulumi:providers:kubernetes", "kubernetes:helm.sh/v3:Release", "kubernetes:yaml/v2:ConfigGroup"}
    for r in children:
        assert r.parent == component.urn and old_urn("dev", r) == root_urn("dev", r.typ, r.name), r


def test_the_component_registers_its_outputs():
    monitor, _, exports = run(offline_program(EXAMPLE_PLAN, "prod"), "prod")
    for c in (r for r in monitor.registered if r.typ == COMPONENT_TYPE):
        out = monitor.outputs[c.urn]
        assert out["exports"] == exports["clusters"][c.name]
        ref = lambda o: o[rpc._special_sig_key] == rpc._special_resource_sig and o["urn"]  # noqa: E731 (a resource reference)
        assert ref(out["provider"]).endswith(f"::{c.name}-cluster")
        assert {n: ref(o).rsplit("::", 1)[1] for n, o in out["releases"].items()} == {f"{c.name}-argocd": f"{c.name}-argocd"}
        assert sorted(ref(o).rsplit("::", 1)[1] for o in out["root"]) == sorted([f"{c.name}-root", f"{c.name}-platform-appproject"])


# --- composed in Python, without a plan ------------------------------------------------------------

REPO = "https://git.example.com/acme/platform.git"


def sandbox_tree() -> GitOpsTree:
    tree = GitOpsTree(None, "sandbox", repo_url=REPO, environment="dev")
    tree.add_argocd(values={"configs": {"params": {"server.insecure": True}}}, admin_groups=["platform-admins"])
    return tree


def test_a_python_user_bootstraps_any_cluster_from_a_tree():
    tree = sandbox_tree()
    root = {path.rsplit("/", 1)[1]: yaml.safe_load(text) for path, text in tree.synth().items() if path.startswith("sandbox/root/") and not path.endswith("kustomization.yaml")}
    cred = RepositoryCredential("gitops-repository", "argocd", REPO, "https", {"username": "u", "password": "p"})

    def program():
        c = ClusterBootstrap("sandbox", tree=tree, kubeconfig="apiVersion: v1\nkind: Config\n", cluster_identifier="kind-sandbox", repository_credential=cred, credential={"username": "git", "password": "token"})
        return c.exports

    monitor, mocks, exports = run(program, "sandbox")
    assert exports == {"clusterName": "sandbox", "mode": "argocd", "chartVersions": {"argocd": addon("argocd").chart.version}, "argocdNamespace": "argocd",
                       "rootApplication": "root", "rootPath": "kubernetes/sandbox/argocd", "repositorySecret": "argocd/gitops-repository"}  # fmt: skip
    assert mocks.named("sandbox-cluster").inputs["clusterIdentifier"] == "kind-sandbox"
    release = mocks.named("sandbox-argocd")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["values"]) == ("argo-cd", addon("argocd").chart.version, {"configs": {"params": {"server.insecure": True}}})
    assert release.options["retain_on_delete"] and "values" in release.options["ignore_changes"]
    assert mocks.named("sandbox-platform-appproject").inputs["spec"] == root["project-platform.yaml"]["spec"]  # the tree's root/, exactly
    assert mocks.named("sandbox-root").inputs["spec"] == root["application-root.yaml"]["spec"]
    assert mocks.named("sandbox-gitops-repository").inputs["stringData"]["password"] == "token"
    assert "sandbox-gitops-repository" in mocks.named("sandbox-root").options["depends_on"]
    (component,) = [r for r in monitor.registered if r.typ == COMPONENT_TYPE]
    assert all(r.parent == component.urn for r in monitor.registered if r is not component)


def test_a_given_provider_is_used_and_not_created():
    import pulumi_kubernetes as k8s

    def program():
        provider = k8s.Provider("mine", kubeconfig="apiVersion: v1\nkind: Config\n")
        return ClusterBootstrap("sandbox", tree=sandbox_tree(), provider=provider).exports

    monitor, mocks, _ = run(program, "sandbox")
    assert [r.name for r in mocks.of_type("pulumi:providers:kubernetes")] == ["mine"]
    assert all(r.provider.split("::")[-2] == "mine" for r in mocks.resources if r.typ.startswith("kubernetes:")), [r.provider for r in mocks.resources]


@pytest.mark.parametrize(
    "props, words",
    [
        ({}, "give either plan= (a resolved cluster bootstrap) or tree= (a GitOpsTree with ArgoCD), not neither"),
        ({"tree": "t", "plan": "p", "kubeconfig": "k"}, "not both"),
        ({"tree": "t"}, "give either kubeconfig= (any cluster's kubeconfig) or provider= (a kubernetes.Provider), not neither"),
        ({"tree": "t", "kubeconfig": "k", "provider": "p"}, "not both"),
        ({"tree": "t", "provider": "p", "cluster_identifier": "x"}, "set it on the provider you pass instead"),
        ({"plan": "p", "kubeconfig": "k", "cluster_identifier": "x"}, "leave cluster_identifier= and repository_credential= out"),
        ({"tree": "t", "kubeconfig": "k", "repository_credential": RepositoryCredential("s", "argocd", REPO, "https", {"username": "u", "password": "p"}), "credential": {"username": "u"}},
         "needs credential= with exactly the keys ['password', 'username'], got ['username']"),  # fmt: skip
        ({"tree": "t", "kubeconfig": "k", "credential": {"password": "p"}}, "credential= without a private repository"),
        ({"tree": "t", "kubeconfig": "k", "release_timeout_seconds": 30}, "release_timeout_seconds=30; give at least 60"),
    ],
)
def test_the_component_refuses_bad_props(props, words):
    with pytest.raises(BootstrapPropsError, match=r"ClusterBootstrap 'c': .*" + __import__("re").escape(words)):
        ClusterBootstrap("c", **props)


def test_a_tree_without_argocd_is_refused():
    tree = GitOpsTree(None, "sandbox", repo_url=REPO, environment="dev")
    with pytest.raises(BootstrapPropsError, match="tree 'sandbox' has no ArgoCD; call tree.add_argocd"):
        ClusterBootstrap("c", tree=tree, kubeconfig="k")
