"""Parity of the Pulumi bootstrap with the synthesized GitOps tree (``infraplan synth``):
the same chart versions and values as the ArgoCD Applications, a root Application over
the roots that exist in the tree, and a GitOps repository credential that the tree
never holds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_environment
from stacks.pulumi_preview import offline_program, run_offline

ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def runs(example_plan: Path):
    return {env: run_offline(offline_program(example_plan, env), stack=env) for env in ENVS}


def _load(path: Path) -> dict:
    if not path.exists():
        pytest.fail(f"{path} is missing from the synthesized GitOps tree")
    return yaml.safe_load(path.read_text())


def _without_pulumi_awaits(o: dict) -> dict:
    from stacks.pulumi_program import PULUMI_AWAIT_ANNOTATIONS

    annotations = {k: v for k, v in (o["metadata"].get("annotations") or {}).items() if k not in PULUMI_AWAIT_ANNOTATIONS}
    meta = {k: v for k, v in o["metadata"].items() if k != "annotations"} | ({"annotations": annotations} if annotations else {})
    return {**o, "metadata": meta}


def _clusters(example_plan: Path, env: str):
    return resolve_environment(load_plan(example_plan), env).clusters


@pytest.mark.parametrize("env", ENVS)
def test_argocd_release_matches_the_synthesized_argocd_application(example_synth, example_plan, runs, env):
    for cluster, _ in _clusters(example_plan, env):
        app = _load(example_synth / "kubernetes" / cluster.key / "bootstrap/argocd/install/application.yaml")
        source = app["spec"]["source"]
        release = runs[env].mocks.named(f"{cluster.key}-argocd").inputs
        assert release["repositoryOpts"]["repo"] == source["repoURL"]
        assert release["chart"] == source["chart"]
        assert release["version"] == source["targetRevision"]
        assert release["name"] == source["helm"]["releaseName"]
        assert release["namespace"] == app["spec"]["destination"]["namespace"]
        assert release["values"] == source["helm"]["valuesObject"]


@pytest.mark.parametrize("env", ENVS)
def test_gitops_none_releases_match_the_synthesized_infrastructure_applications(example_synth, example_plan, plan_copy, env):
    """With gitops.tool none the program installs each add-on, and applies the cluster objects, with exactly what the GitOps tree of the same plan under ArgoCD deploys."""
    from conftest import edit_yaml

    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(tool="none"))
    run = run_offline(offline_program(plan_copy, env), stack=env)
    for cluster, _ in _clusters(example_plan, env):
        apps = {p.parent.name: _load(p) for p in (example_synth / "kubernetes" / cluster.key / "infrastructure").glob("*/application.yaml")}
        infra = sorted(name for name, app in apps.items() if "chart" in app["spec"]["source"])  # the add-ons (not database-bootstrap)
        assert infra, f"no add-on Applications under kubernetes/{cluster.key}/infrastructure"
        for component in infra:
            app = _load(example_synth / "kubernetes" / cluster.key / "infrastructure" / component / "application.yaml")
            source = app["spec"]["source"]
            release = run.mocks.named(f"{cluster.key}-{component}").inputs
            assert (release["repositoryOpts"]["repo"], release["chart"], release["version"]) == (source["repoURL"], source["chart"], source["targetRevision"]), component
            assert release["name"] == source["helm"]["releaseName"], component
            assert release["namespace"] == app["spec"]["destination"]["namespace"], component
            assert release["values"] == source["helm"]["valuesObject"], component
        on_cluster = [r for r in run.mocks.of_type("kubernetes:helm.sh/v3:Release") if r.provider.split("::")[-2] == f"{cluster.key}-cluster"]
        assert sorted(r.name.removeprefix(f"{cluster.key}-") for r in on_cluster) == infra  # every add-on, nothing else
        # ...and beside the charts, exactly the tree's default StorageClass, namespaces, cluster configuration and database bootstrap
        tree = example_synth / "kubernetes" / cluster.key

        def objects(paths) -> list[dict]:
            return sorted((_load(p) for p in paths if p.name != "kustomization.yaml"), key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))

        expected = {
            "storage": objects((tree / "bootstrap/eks-addons").rglob("*.yaml")),  # before the releases: charts claim volumes
            "namespaces": objects((tree / "bootstrap/namespaces").rglob("*.yaml")),
            # the stores and their service accounts after external-secrets, Grafana's admin Secret before kube-prometheus-stack
            # ...but ArgoCD's SSO store (and its service account): with gitops none there is no ArgoCD to log in to
            "secret-stores": objects([p for p in [*(tree / "infrastructure").glob("*/clustersecretstore-*.yaml"), *(tree / "infrastructure/external-secrets").glob("serviceaccount-*.yaml")]
                                      if not p.stem.endswith("-argocd-sso")]),
            "platform-secrets": objects([*(tree / "infrastructure/kube-prometheus-stack").glob("namespace-*.yaml"), *(tree / "infrastructure/kube-prometheus-stack").glob("externalsecret-*.yaml")]),
            "cluster-config": objects([*(tree / "infrastructure").glob("*/clusterissuer-*.yaml")]),
            "database-bootstrap": objects((tree / "infrastructure/database-bootstrap/manifests").glob("*.yaml")),
        }
        for phase, want in expected.items():
            assert want, f"{cluster.key}: nothing in the tree for {phase}"
            group = run.mocks.named(f"{cluster.key}-{phase}")
            assert group.typ == "kubernetes:yaml/v2:ConfigGroup"
            # less what only Pulumi reads (its awaits: test_pulumi_graph.py), which the tree never holds
            got = sorted((_without_pulumi_awaits(o) for o in group.inputs["objs"]), key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            assert got == want, f"{cluster.key}-{phase} differs from the synthesized tree"
        assert run.exports["clusters"][cluster.key]["manifestGroups"] == [f"{cluster.key}-{phase}" for phase in expected]


@pytest.mark.parametrize("env", ENVS)
def test_pulumi_applies_exactly_the_trees_root_folder(example_synth, example_plan, runs, env):
    """What the bootstrap creates is the tree's root/ folder, object for object; the folder the
    root syncs (argocd/) holds the roots, repository Secrets and locked default project, which
    Pulumi never creates: every object has one owner."""
    run = runs[env]
    kinds = ("kubernetes:argoproj.io/v1alpha1:AppProject", "kubernetes:argoproj.io/v1alpha1:Application")
    for cluster, _ in _clusters(example_plan, env):
        tree = example_synth / "kubernetes" / cluster.key
        want = sorted((_load(p) for p in (tree / "root").glob("*.yaml") if p.name != "kustomization.yaml"), key=lambda o: o["kind"])
        got = sorted((r.inputs for r in run.resources if r.typ in kinds and r.provider.split("::")[-2] == f"{cluster.key}-cluster"), key=lambda o: o["kind"])
        assert [(o["apiVersion"], o["kind"], o["metadata"], o["spec"]) for o in got] == [(o["apiVersion"], o["kind"], o["metadata"], o["spec"]) for o in want]
        root = next(o for o in want if o["kind"] == "Application")
        assert root["spec"]["source"]["path"] == f"kubernetes/{cluster.key}/argocd"
        # the path is relative to the GitOps repo, whose kubernetes/ folder is the synthesized one
        synced = {(o["kind"], o["metadata"]["name"]) for p in (example_synth / root["spec"]["source"]["path"]).rglob("*.yaml") if p.name != "kustomization.yaml" for o in [_load(p)]}
        assert {("Application", "bootstrap"), ("Application", "infrastructure"), ("ApplicationSet", "apps"), ("AppProject", "default")} <= synced
        assert not synced & {(o["kind"], o["metadata"]["name"]) for o in want}  # nothing both applied by Pulumi and synced
        # beside root/, only the GitOps repository credential, which nothing in the tree holds (one owner: the bootstrap)
        secrets = [r.inputs for r in run.mocks.of_type("kubernetes:core/v1:Secret") if r.provider.split("::")[-2] == f"{cluster.key}-cluster"]
        assert [(s["metadata"]["namespace"], s["metadata"]["name"], s["stringData"]["url"]) for s in secrets] == [("argocd", "gitops-repository", root["spec"]["source"]["repoURL"])]
        in_tree = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for p in tree.rglob("*.yaml") if p.name != "kustomization.yaml" for o in [_load(p)]}
        assert ("Secret", "argocd", "gitops-repository") not in in_tree
    assert len(run.resources) == len({r.name for r in run.resources})


def test_the_repository_credential_never_reaches_the_synthesized_files(example_plan, tmp_path, capsys):
    """#11 convergence 5: the credential is a Pulumi secret input, never a file. With a known token in
    the stack config the program puts it into the Secret (as a secret), and neither a synth run while
    that config is set (the GitOps tree, Terraform, everything under dist) nor any stack output nor the
    offline preview contains it."""
    import pulumi.runtime

    from stacks.cli import main
    from stacks.pulumi_program import program
    from stacks.synth import synthesize

    token = "ghp_c0nv5canary0not0a0real0token"
    config = {
        "infraplan:gitopsRepoUsername": "x-access-token",
        "infraplan:gitopsRepoPassword": token,
        "infraplan:clusterEndpoint": "https://e",
        "infraplan:clusterCertificateAuthority": "Y2E=",
        "infraplan:clusterEndpoint-prod-org-c": "https://f",
        "infraplan:clusterCertificateAuthority-prod-org-c": "Y2E=",
    }
    for env in ENVS:
        run = run_offline(lambda: program(example_plan, env), stack=env, config=config, secret_keys=["infraplan:gitopsRepoPassword"])
        secrets = run.mocks.of_type("kubernetes:core/v1:Secret")
        assert secrets and all(s.inputs["stringData"]["password"] == token and "stringData" in s.secret_paths for s in secrets), env
        assert token not in repr(run.exports), env
    pulumi.runtime.set_all_config(config, ["infraplan:gitopsRepoPassword"])
    try:
        synthesize(example_plan, tmp_path / "dist")
        assert main(["preview", "--env", "prod", "--plan", str(example_plan)]) == 0
    finally:
        pulumi.runtime.set_all_config({}, [])
    assert token not in capsys.readouterr().out
    files = [p for p in (tmp_path / "dist").rglob("*") if p.is_file()]
    assert len(files) > 50
    leaks = [str(p) for p in files if token.encode() in p.read_bytes()]
    assert not leaks, leaks
