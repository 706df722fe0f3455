"""``infraplan preview --env E``: the offline (mocked) run of the Pulumi program and its table."""

from __future__ import annotations

from conftest import edit_yaml
from stacks.cli import main


def test_preview_prints_an_offline_resource_plan(capsys, example_plan):
    assert main(["preview", "--env", "prod", "--plan", str(example_plan)]) == 0
    out = capsys.readouterr().out
    assert "Offline preview" in out and "mocks" in out and "nothing was created" in out
    assert "pulumi preview --stack prod, pulumi preview --stack prod-org-c" in out  # one stack per cluster
    for line in (
        ("pulumi:providers:kubernetes", "prod-org-c-cluster", "cluster arn:aws:eks:eu-west-1:333333333333:cluster/acme-prod-org-c"),
        ("kubernetes:helm.sh/v3:Release", "prod-argocd", "argo-cd 8.1.3", "namespace argocd", "retained on delete; ignores changes to every input"),
        ("kubernetes:core/v1:Secret", "prod-org-c-gitops-repository", "argocd/gitops-repository (repository)", "password, username from secret stack config", "retained on delete"),
        ("kubernetes:argoproj.io/v1alpha1:AppProject", "prod-platform-appproject", "argocd/platform", "cluster-scoped kinds allowed"),
        ("kubernetes:argoproj.io/v1alpha1:Application", "prod-org-c-root", "project platform", "kubernetes/prod-org-c/argocd", "retained on delete"),
    ):
        assert any(all(part in row for part in line) for row in out.splitlines()), line
    assert out.count("kubernetes:core/v1:Secret") == 2  # the GitOps repository credential; the Helm repository Secrets are the root Application's
    assert "offline-preview: secret config" not in out  # the table names the credential's source, never a value
    assert "12 resources would be created" in out  # per cluster: the ClusterBootstrap component, provider, ArgoCD, repository credential, platform project, root
    assert any("infraplan:index:ClusterBootstrap" in row and "prod-org-c " in row and "aliased" in row for row in out.splitlines())


def test_preview_gitops_none(capsys, plan_copy):
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(tool="none"))
    assert main(["preview", "--env", "dev", "--plan", str(plan_copy)]) == 0
    out = capsys.readouterr().out
    assert "dev-cert-manager" in out and "cert-manager v1.17.2" in out
    assert "argoproj.io" not in out and "kubernetes:core/v1:Secret" not in out and "retained" not in out
    assert "14 resources would be created" in out  # the component, 6 charts, the provider, and the tree's objects in 6 groups (storage first)
    for line in ("dev-namespaces", "5 Namespace"), ("dev-secret-stores", "ClusterSecretStore"), ("dev-platform-secrets", "ExternalSecret"), ("dev-cluster-config", "ClusterIssuer"), ("dev-database-bootstrap", "2 Job"):
        assert any(all(part in row for part in line) for row in out.splitlines()), line
    assert "dev (acme-dev, helm): external-secrets=0.17.0, kube-prometheus-stack=72.6.2, cert-manager=v1.17.2, aws-load-balancer-controller=3.5.0, ingress-nginx=4.12.3" in out  # in sync-wave order


def test_preview_unknown_environment_is_a_plan_error(capsys, example_plan):
    assert main(["preview", "--env", "qa", "--plan", str(example_plan)]) == 2
    assert "qa" in capsys.readouterr().err
