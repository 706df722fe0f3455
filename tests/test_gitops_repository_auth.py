"""``gitops.repository_auth`` (#11 convergence 5): what the plan may say about ArgoCD's credential
for the GitOps repository. The credential itself is Pulumi secret config (tests/test_pulumi_program.py);
here the plan is refused when ArgoCD could not use it: the wrong kind of URL, or an SSH host whose key
ArgoCD does not know."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import edit_yaml
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.gitops_repository import ARGOCD_KNOWN_SSH_HOSTS, known_hosts_names, ssh_known_hosts_name

CHARTS = Path(__file__).resolve().parents[2] / "shared" / "charts"


def gitops(plan_copy: Path, **values) -> None:
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(values))


def refusal(plan_dir: Path) -> str:
    with pytest.raises(PlanError) as info:
        load_plan(plan_dir)
    issues = [i for i in info.value.issues if i.path == "gitops.repository_auth"]
    assert len(issues) == 1, "\n".join(i.render() for i in info.value.issues)
    assert issues[0].line and issues[0].hint and issues[0].file.endswith("platform.yaml")
    return issues[0].render()


def test_the_example_repository_is_private_over_https(example_plan: Path):
    g = load_plan(example_plan).platform.gitops
    assert (g.repository_auth, g.repo_url.startswith("https://")) == ("https", True)


def test_https_auth_needs_an_https_url(plan_copy: Path):
    gitops(plan_copy, repo_url="git@github.com:acme/platform-gitops.git", repository_auth="https")
    assert "is not an https:// URL" in refusal(plan_copy)


def test_ssh_auth_needs_an_ssh_url(plan_copy: Path):
    gitops(plan_copy, repository_auth="ssh")
    assert "is not an SSH URL" in refusal(plan_copy)


@pytest.mark.parametrize("url", ["git@github.com:acme/platform-gitops.git", "ssh://git@gitlab.com/acme/platform-gitops.git", "ssh://git@ssh.github.com:443/acme/x.git"])
def test_ssh_to_a_host_argocd_knows(plan_copy: Path, url: str):
    gitops(plan_copy, repo_url=url, repository_auth="ssh")
    assert load_plan(plan_copy).platform.gitops.repository_auth == "ssh"


def test_ssh_to_an_unknown_host_is_refused_until_the_plan_gives_its_key(plan_copy: Path):
    """ArgoCD checks the host key against argocd-ssh-known-hosts-cm: an unknown host fails every fetch."""
    gitops(plan_copy, repo_url="git@git.acme.internal:platform/gitops.git", repository_auth="ssh")
    text = refusal(plan_copy)
    assert "does not know the SSH host key of git.acme.internal" in text and "repository_auth: https" in text and "extraHosts" in text
    key = "git.acme.internal ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    edit_yaml(plan_copy / "platform.yaml", lambda d: d.setdefault("component_values", {}).setdefault("argocd", {}).update(configs={"ssh": {"extraHosts": key}}))
    assert load_plan(plan_copy).platform.gitops.repository_auth == "ssh"


def test_a_non_standard_port_is_its_own_known_host(plan_copy: Path):
    gitops(plan_copy, repo_url="ssh://git@gitlab.com:2222/acme/x.git", repository_auth="ssh")
    text = refusal(plan_copy)
    assert "[gitlab.com]:2222" in text and "ssh-keyscan -p 2222 gitlab.com" in text


def test_an_unused_repository_auth_without_gitops_is_harmless(plan_copy: Path):
    gitops(plan_copy, tool="none")
    assert load_plan(plan_copy).platform.gitops.repository_auth == "https"


def test_ssh_host_names():
    assert ssh_known_hosts_name("git@github.com:a/b.git") == "github.com"
    assert ssh_known_hosts_name("ssh://git@GitLab.com:22/a/b.git") == "gitlab.com"
    assert ssh_known_hosts_name("ssh://git@ssh.github.com:443/a/b.git") == "[ssh.github.com]:443"
    assert ssh_known_hosts_name("https://github.com/a/b.git") is None


@pytest.mark.parametrize("version", ["8.1.3", "7.9.1"])
def test_known_hosts_are_the_ones_the_pinned_chart_ships(version: str):
    """The list infraplan trusts is exactly the argo-cd chart's default configs.ssh.knownHosts."""
    values = CHARTS / f"argo-cd-{version}" / "values.yaml"
    if not values.exists():
        pytest.skip(f"{values} is not here")
    shipped = yaml.safe_load(values.read_text())["configs"]["ssh"]["knownHosts"]
    assert known_hosts_names(shipped) == ARGOCD_KNOWN_SSH_HOSTS
