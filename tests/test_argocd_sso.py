"""ArgoCD single sign-on from the plan (#11 convergence 7, isolation 8): OIDC, admins from
platform_admins.groups, no local admin, and the client secret through external-secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import edit_yaml
from constructs_lib.addons.argocd import ARGOCD_SECRET_LABELS, SSO_SECRET
from constructs_lib.kubernetes.tree import render_environment
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.environment import resolve_environment


def _refused(plan: Path, edit, file: str = "platform.yaml") -> tuple[str, str, str]:
    edit_yaml(plan / file, edit)
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    [issue] = info.value.issues
    return issue.path, issue.message, issue.hint


def test_argocd_url_lies_in_the_environment_domain_or_the_plans_sso_domain(plan_copy: Path) -> None:
    """Left out, gitops.sso.domain is each environment's dns.domain (the zone in its own account);
    given, every cluster's ArgoCD is argocd.<cluster key>.<domain>."""
    edit_yaml(plan_copy / "platform.yaml", lambda d: _sso(d, domain="sso.acme.example.com"))
    env = resolve_environment(load_plan(plan_copy), "prod")
    assert env.cluster.addon("argocd").values["configs"]["cm"]["url"] == "https://argocd.prod.sso.acme.example.com"
    org_c = next(t for t in env.tenants if t.name == "org-c")
    assert org_c.cluster is not None and org_c.cluster.addon("argocd").values["global"]["domain"] == "argocd.prod-org-c.sso.acme.example.com"


def test_sso_without_a_domain_needs_the_environments_dns(plan_copy: Path) -> None:
    """Only SSO needs dev's domain here (no external-dns, HTTP-01, no app hosts): validate names it."""

    def platform(d: dict) -> None:
        d["components"] = [c for c in d["components"] if c not in ("external-dns", "aws-load-balancer-controller")]
        d["certificates"]["challenge"] = "http-01"

    edit_yaml(plan_copy / "platform.yaml", platform)
    for tenant in (plan_copy / "tenants").glob("*.yaml"):
        edit_yaml(tenant, lambda d: [a.pop("host", None) for a in d.get("apps", [])])
    load_plan(plan_copy)  # valid as it is
    path, message, hint = _refused(plan_copy, lambda d: d.pop("dns"), "dev.yaml")
    assert path == "dns" and "ArgoCD's SSO URL" in message and "dns: {domain:" in hint


def _sso(d: dict, **change) -> None:
    d["gitops"]["sso"].update(change)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"issuer": "http://login.acme.example.com"}, "gitops.sso.issuer", "not an https URL"),
        ({"issuer": "https://"}, "gitops.sso.issuer", "not an https URL"),
        ({"requested_scopes": ["profile", "groups"]}, "gitops.sso.requested_scopes", "openid"),
        ({"requested_scopes": ["openid", "openid"]}, "gitops.sso.requested_scopes[1]", "twice"),
        ({"client_secret": "/argocd"}, "gitops.sso.client_secret", ""),
        ({"domain": "Acme.Example.com"}, "gitops.sso.domain", ""),
        ({"domain": "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + ".com"}, "gitops.sso.domain", ""),
        ({"groups_claim": ""}, "gitops.sso.groups_claim", ""),
    ],
)
def test_sso_settings_are_checked(plan_copy: Path, change: dict, path: str, words: str) -> None:
    got, message, _ = _refused(plan_copy, lambda d: _sso(d, **change))
    assert got == path and words in message


def test_sso_without_anyone_to_administer_argocd_is_refused(plan_copy: Path) -> None:
    path, message, hint = _refused(plan_copy, lambda d: d["platform_admins"].update(groups=[]))
    assert path == "gitops.sso" and "nobody could administer ArgoCD" in message and "platform_admins.groups" in hint


def test_sso_needs_argocd_and_external_secrets(plan_copy: Path) -> None:
    path, message, _ = _refused(plan_copy, lambda d: d["secrets"].update(operator="none"))
    assert path == "gitops.sso" and "external-secrets" in message


def test_sso_without_argocd_has_no_effect(plan_copy: Path) -> None:
    """With gitops.tool none there is no ArgoCD to log in to: the decision is accepted and unused."""
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].update(tool="none"))
    env = resolve_environment(load_plan(plan_copy), "prod")
    assert env.cluster.addon("argocd") is None and not any("argocd-sso" in f for f in render_environment(env))


def test_argocd_login_follows_the_sso_decision(example_plan: Path, plan_copy: Path) -> None:
    """With SSO: OIDC with the client secret by reference, platform admins as role:admin, no local
    admin, ArgoCD's URL per cluster, and the ExternalSecret that brings the secret. Without: the
    local admin stays and nothing else changes."""
    env = resolve_environment(load_plan(example_plan), "prod")
    argocd = env.cluster.addon("argocd")
    cm, rbac = argocd.values["configs"]["cm"], argocd.values["configs"]["rbac"]
    assert cm["admin.enabled"] is False and cm["url"] == "https://argocd.prod.acme.example.com" == f"https://{argocd.values['global']['domain']}"
    oidc = yaml.safe_load(cm["oidc.config"])
    assert oidc["issuer"] == "https://login.acme.example.com" and oidc["clientID"] == "argocd"
    assert oidc["clientSecret"] == f"${SSO_SECRET}:clientSecret"
    assert rbac == {"policy.csv": "g, platform-team, role:admin\n", "policy.default": "", "scopes": "[groups]"}
    assert "the local admin is disabled" in argocd.reason and "/auth/callback" in argocd.reason
    files = render_environment(env)
    es = yaml.safe_load(files[f"prod/infrastructure/argocd/externalsecret-{SSO_SECRET}.yaml"])
    assert es["metadata"]["namespace"] == "argocd" and es["metadata"]["labels"] == ARGOCD_SECRET_LABELS and "template" not in es["spec"]["target"]
    assert es["spec"]["dataFrom"][0]["extract"]["key"] == "acme/prod/platform/argocd-sso"
    assert "argocd" in yaml.safe_load(files["prod/infrastructure/kustomization.yaml"])["resources"]
    org_c = next(t for t in env.tenants if t.name == "org-c")
    assert org_c.cluster is not None and org_c.cluster.addon("argocd").values["configs"]["cm"]["url"] == "https://argocd-org-c.prod.acme.example.com"
    assert yaml.safe_load(files[f"prod-org-c/infrastructure/argocd/externalsecret-{SSO_SECRET}.yaml"])["spec"]["dataFrom"][0]["extract"]["key"] == "acme/prod/platform.org-c/argocd-sso"

    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].pop("sso"))
    plain = resolve_environment(load_plan(plan_copy), "prod")
    values = plain.cluster.addon("argocd").values
    assert values["configs"]["cm"]["admin.enabled"] is True and "oidc.config" not in values["configs"]["cm"] and "rbac" not in values["configs"]
    assert values["global"]["domain"] == "argocd.acme-prod.internal"
    assert not any("argocd-sso" in f for f in render_environment(plain))
