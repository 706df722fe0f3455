"""The Pulumi bootstrap and the GitOps tree never both own an object.

Every object Pulumi creates on a cluster (a typed resource's object, each object of a ConfigGroup, and
what each Helm release installs as the chart model sees it: its CRDs, its workloads, the objects its
chart renders that matter across Applications) is compared, by (group, kind, namespace, name), with
every object an Application of the tree syncs, as the GitOps simulation (``tests/gitops_sim.py``)
renders them from the synthesized tree on the Pulumi bootstrap path.

The design (docs/pulumi.md, docs/gitops.md): Pulumi applies the tree's ``root/`` objects (the
platform AppProject and the root Application) and the GitOps repository credential, which no file
of the tree holds; the root syncs ``<key>/argocd``. The one object both install is ArgoCD itself:
the tree's ``argocd`` Application takes over the release Pulumi installed, so that release must be
handed over (retained on delete, every input ignored) and must be taken over by an Application
installing the same chart as the same release. Anything else in both is two owners.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

import gitops_sim as sim
from constructs_lib.plan import load_plan

RELEASE = "kubernetes:helm.sh/v3:Release"
GROUP = "kubernetes:yaml/v2:ConfigGroup"
PROVIDER = "pulumi:providers:kubernetes"
CLUSTERS = ("dev", "staging", "prod", "prod-org-c")


def _provider_name(r) -> str:
    return (r.provider or "").split("::")[-2] if r.provider else ""


def created_by_pulumi(s: sim.Simulation, resources: list, key: str) -> dict[sim.Key, object]:
    """(group, kind, namespace, name) -> the Pulumi resource (RecordedResource) creating it on cluster ``key``."""
    out: dict[sim.Key, object] = {}
    for r in resources:
        if r.typ == PROVIDER or _provider_name(r) != f"{key}-cluster":
            continue
        i = r.inputs
        if r.typ == RELEASE:
            install = sim.ChartInstall(i["chart"], str(i["version"]), i["name"], i["namespace"], i.get("values") or {})
            objs, default_ns = [o for o in install.objects() if not o.get("x-sim-capabilities")], i["namespace"]
        elif r.typ == GROUP:
            objs, default_ns = list(i.get("objs") or []), "default"
        else:
            _, gv, kind = r.typ.split(":")
            group, version = gv.split("/")
            objs, default_ns = [{"apiVersion": version if group == "core" else f"{group}/{version}", "kind": kind, "metadata": i.get("metadata") or {}}], "default"
        for o in objs:
            k = s.key_of(o, default_ns)
            assert k not in out, f"{k} created by both {out[k].name} and {r.name}"  # type: ignore[attr-defined]
            out[k] = r
    return out


def synced_by_applications(s: sim.Simulation) -> dict[sim.Key, list[str]]:
    """(group, kind, namespace, name) -> the Applications whose sources hold it (hooks included: ArgoCD creates them)."""
    out: dict[sim.Key, list[str]] = {}
    for app in s.apps.values():
        for t in app.tasks:
            out.setdefault(t.key, []).append(app.name)
    return out


def handed_over(r) -> bool:
    """Retained on delete, and `pulumi up` acts on none of its inputs (SDK constant `compat` aside)."""
    return bool(r.options.get("retain_on_delete")) and set(r.options.get("ignore_changes") or []) >= set(r.inputs) - {"compat"}


def two_owners(s: sim.Simulation, resources: list, key: str) -> list[str]:
    """Every object both Pulumi and an Application own, unless Pulumi hands it over to exactly that Application."""
    mine = created_by_pulumi(s, resources, key)
    synced = synced_by_applications(s)
    problems = []
    for k in sorted(set(mine) & set(synced)):
        r = mine[k]
        apps = synced[k]
        if r.typ == RELEASE and handed_over(r) and len(apps) == 1 and _takes_over(s.apps[apps[0]], r):  # type: ignore[attr-defined]
            continue
        problems.append(f"{key}: {k} is created by Pulumi's {r.name} and synced by {', '.join(apps)}")  # type: ignore[attr-defined]
    return problems


def _takes_over(app: sim.App, release) -> bool:
    """The Application installs the same chart as the same release in the same namespace (Helm source)."""
    i = release.inputs
    return app.install is not None and (app.install.chart, app.install.release, app.install.namespace) == (i["chart"], i["name"], i["namespace"])


@pytest.fixture(scope="module")
def sims(example_synth: Path, example_plan: Path) -> dict[tuple[str, str], sim.Simulation]:
    out = sim.simulations(example_synth, example_plan.resolve())
    assert {k for k, _ in out} == set(CLUSTERS)
    return out


@pytest.fixture(scope="module")
def resources(example_plan: Path) -> dict[str, list]:
    """The Pulumi program's resources per cluster key."""
    per_env = sim.pulumi_resources(example_plan.resolve())
    return {key: rs for rs in per_env.values() for key in CLUSTERS if any(r.typ == PROVIDER and r.name == f"{key}-cluster" for r in rs)}


@pytest.mark.parametrize("key", CLUSTERS)
def test_pulumi_and_the_tree_never_both_own_an_object(sims, resources, key):
    s = sims[(key, sim.PATHS[0])]
    assert s.bootstrap.name == "pulumi"
    mine = created_by_pulumi(s, resources[key], key)
    synced = synced_by_applications(s)
    assert len(synced) > 100 and {k.kind for k in mine} >= {"Application", "AppProject", "Secret", "CustomResourceDefinition"}  # the comparison sees both sides
    assert not two_owners(s, resources[key], key), two_owners(s, resources[key], key)
    # the one object both install: ArgoCD, handed over to the tree's own Application, which takes it over
    shared = {mine[k].name for k in set(mine) & set(synced)}  # type: ignore[attr-defined]
    assert shared == {f"{key}-argocd"}
    (owner,) = {a for k in set(mine) & set(synced) for a in synced[k]}
    assert "<pulumi>" not in s.apps[owner].owners, s.apps[owner].owners  # an Application of the tree, not one Pulumi creates


def _with(resources: list, changed: object) -> list:
    return [changed if r.name == changed.name else r for r in resources]  # type: ignore[attr-defined]


def _resimulate(example_synth: Path, example_plan: Path, key: str, resources: list) -> sim.Simulation:
    gitops = load_plan(example_plan).platform.gitops
    return sim.simulate(example_synth, key, gitops.repo_url, gitops.path, sim.pulumi_bootstrap(resources, key))


def test_a_helm_repository_secret_created_by_pulumi_would_have_two_owners(sims, resources, example_synth, example_plan):
    """The check fails when Pulumi also creates one of the Helm repository Secrets the root syncs."""
    key = "dev"
    s = sims[(key, sim.PATHS[0])]
    root_secret = next(t.obj for t in s.apps["root"].tasks if t.key.kind == "Secret")
    provider = next(r for r in resources[key] if r.name == f"{key}-gitops-repository").provider
    extra = sim_resource("kubernetes:core/v1:Secret", f"{key}-{root_secret['metadata']['name']}", {"metadata": root_secret["metadata"], "stringData": root_secret.get("stringData") or {}}, provider)
    mutated = [*resources[key], extra]
    found = two_owners(_resimulate(example_synth, example_plan, key, mutated), mutated, key)
    assert any(root_secret["metadata"]["name"] in p and "synced by root" in p for p in found), found


def test_a_root_that_synced_root_would_have_two_owners(sims, resources, example_synth, example_plan):
    """The check fails when the root Application Pulumi creates syncs `<key>/root` (its own folder) instead of `<key>/argocd`."""
    key = "dev"
    root = next(r for r in resources[key] if r.name == f"{key}-root")
    spec = copy.deepcopy(root.inputs["spec"])
    spec["source"]["path"] = spec["source"]["path"].removesuffix("/argocd") + "/root"
    mutated = _with(resources[key], dataclasses.replace(root, inputs={**root.inputs, "spec": spec}))
    found = two_owners(_resimulate(example_synth, example_plan, key, mutated), mutated, key)
    assert any("Application.argoproj.io argocd/root" in p for p in found) and any("AppProject.argoproj.io argocd/platform" in p for p in found), found


def test_an_argocd_release_not_handed_over_would_have_two_owners(sims, resources):
    """The check fails when the ArgoCD release stays Pulumi's (`pulumi up` would upgrade what ArgoCD upgrades)."""
    key = "dev"
    s = sims[(key, sim.PATHS[0])]
    release = next(r for r in resources[key] if r.name == f"{key}-argocd")
    kept = dataclasses.replace(release, options={**release.options, "ignore_changes": ["chart", "version", "repositoryOpts", "values"]})
    found = two_owners(s, _with(resources[key], kept), key)
    assert found and all(f"{key}-argocd" in p for p in found), found


def sim_resource(typ: str, name: str, inputs: dict, provider: str | None):
    from stacks.pulumi_preview import RecordedResource

    return RecordedResource(typ, name, inputs, provider, True, {"retain_on_delete": True, "ignore_changes": []})
