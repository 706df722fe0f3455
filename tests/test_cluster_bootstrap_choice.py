"""iac.cluster_bootstrap drives the output (issue #14): `pulumi` gives the Pulumi program; `gitops-only`
gives no Pulumi program (it, its preview and `init --pulumi` refuse the plan) and a by-hand bootstrap
per cluster that synth writes: ArgoCD's values, the helm and kubectl steps, and the tree's root/,
which builds with kustomize into exactly what the Pulumi program would create."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pulumi
import pytest
import yaml

from conftest import edit_yaml
from constructs_lib.kubernetes.manual_bootstrap import render_manual_bootstrap
from constructs_lib.kubernetes.tree import clusters, root_objects
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.bootstrap import resolve_bootstrap
from constructs_lib.resolve.environment import resolve_environment
from stacks.cli import main
from stacks.pulumi_program import BootstrapByHand, program


def by_hand(plan_dir: Path) -> Path:
    edit_yaml(plan_dir / "platform.yaml", lambda d: d["iac"].update(cluster_bootstrap="gitops-only"))
    return plan_dir


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if needle in text)


def test_gitops_only_without_argocd_is_refused(plan_copy: Path) -> None:
    by_hand(plan_copy)
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(tool="none"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    (issue,) = info.value.issues
    assert issue.path == "iac.cluster_bootstrap" and issue.line == line_of(plan_copy / "platform.yaml", "cluster_bootstrap:")
    assert "gitops.tool: argocd" in issue.hint


def test_the_pulumi_program_refuses_a_gitops_only_plan(plan_copy: Path, example_plan: Path) -> None:
    assert issubclass(BootstrapByHand, pulumi.RunError)  # Pulumi prints a RunError's message alone, without a traceback
    with pytest.raises(BootstrapByHand, match="bootstrap/<cluster>/README.md"):
        program(by_hand(plan_copy), "dev", kubeconfig_for=lambda cb: "unused", credential_for=lambda rc: {})


def test_preview_and_init_refuse_a_gitops_only_plan(plan_copy: Path, tmp_path: Path, capsys) -> None:
    by_hand(plan_copy)
    assert main(["preview", "--plan", str(plan_copy), "--env", "dev"]) == 2
    assert "gitops-only" in capsys.readouterr().err
    project = tmp_path / "project"
    assert main(["init", "--pulumi", "--plan", str(plan_copy), "--out", str(project)]) == 2
    assert "gitops-only" in capsys.readouterr().err and not project.exists()


def test_explain_says_who_bootstraps_each_cluster(plan_copy: Path, example_plan: Path) -> None:
    def tool(plan_dir: Path, key: str) -> str:
        bootstrap = resolve_bootstrap(resolve_environment(load_plan(plan_dir), "prod"))
        return next(d.value for d in bootstrap.decisions if d.path == f"bootstrap.{key}.tool")

    assert tool(example_plan, "prod-org-c") == "pulumi (stack prod-org-c)"
    assert tool(by_hand(plan_copy), "prod-org-c").startswith("by hand") and "bootstrap/prod-org-c/README.md" in tool(plan_copy, "prod-org-c")


def test_pulumi_writes_no_by_hand_bootstrap(example_plan: Path) -> None:
    env = resolve_environment(load_plan(example_plan), "prod")
    assert render_manual_bootstrap(env, clusters(env)) == {}


def test_gitops_only_writes_each_clusters_steps_and_argocds_values(plan_copy: Path) -> None:
    env = resolve_environment(load_plan(by_hand(plan_copy)), "prod")
    files = render_manual_bootstrap(env, clusters(env))
    assert sorted(files) == ["bootstrap/prod-org-c/README.md", "bootstrap/prod-org-c/argocd-values.yaml", "bootstrap/prod/README.md", "bootstrap/prod/argocd-values.yaml"]
    for cb in resolve_bootstrap(env).clusters:
        (release,) = cb.releases
        # the values the Pulumi program would give Helm, which are the tree's argocd Application's
        assert yaml.safe_load(files[f"bootstrap/{cb.key}/argocd-values.yaml"]) == release.addon.values
        readme = files[f"bootstrap/{cb.key}/README.md"]
        chart = release.addon.chart
        assert f"helm install {chart.release} {chart.chart} --repo {chart.repo_url} --version {chart.version}" in readme
        assert f"--namespace {chart.namespace} --create-namespace --values argocd-values.yaml" in readme
        assert f"aws eks update-kubeconfig --name {cb.cluster.name} --region {cb.cluster.region}" in readme
        assert f'kubectl --context "$CONTEXT" apply -k ../../kubernetes/{cb.key}/root' in readme
        # a private repository: the credential is a kubectl command reading the token from the shell, never a value
        assert 'create secret generic gitops-repository' in readme and '--from-literal=password="$GITOPS_TOKEN"' in readme
        assert "argocd.argoproj.io/secret-type=repository" in readme


def test_a_public_repository_needs_no_credential_step(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(repository_auth="none"))
    env = resolve_environment(load_plan(by_hand(plan_copy)), "dev")
    readme = render_manual_bootstrap(env, clusters(env))["bootstrap/dev/README.md"]
    assert "needs no credential" in readme and "create secret" not in readme


@pytest.mark.slow
def test_synth_of_both_choices_differs_only_by_the_by_hand_bootstrap(example_plan: Path, plan_copy: Path, tmp_path: Path) -> None:
    """The Terraform and the GitOps tree are the same; gitops-only adds bootstrap/<cluster>/, and the
    root/ its README applies builds with kustomize into the objects the Pulumi program creates."""
    with_pulumi, gitops_only = tmp_path / "pulumi", tmp_path / "gitops-only"
    assert main(["synth", "--plan", str(example_plan), "--out", str(with_pulumi), "--env", "prod"]) == 0
    assert main(["synth", "--plan", str(by_hand(plan_copy)), "--out", str(gitops_only), "--env", "prod"]) == 0

    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".infraplan-output"}

    a, b = files(with_pulumi), files(gitops_only)
    assert not any(k.startswith("bootstrap/") for k in a)
    assert sorted(k for k in b if k.startswith("bootstrap/")) == sorted(render_manual_bootstrap(resolve_environment(load_plan(plan_copy), "prod"), clusters(resolve_environment(load_plan(plan_copy), "prod"))))
    assert {k: v for k, v in b.items() if not k.startswith("bootstrap/")} == a

    env = resolve_environment(load_plan(plan_copy), "prod")
    for cb in resolve_bootstrap(env).clusters:
        kit = gitops_only / "bootstrap" / cb.key
        built = subprocess.run(["kubectl", "kustomize", f"../../kubernetes/{cb.key}/root"], cwd=kit, capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        objects = sorted((o for o in yaml.safe_load_all(built.stdout) if o), key=lambda o: (o["kind"], o["metadata"]["name"]))
        expected = sorted(root_objects(cb.gitops).values(), key=lambda o: (o["kind"], o["metadata"]["name"]))
        assert objects == expected and [o["kind"] for o in objects] == ["AppProject", "Application"]
