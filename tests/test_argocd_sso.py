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


def test_argocd_url_must_lie_in_the_environment_domain(plan_copy: Path) -> None:
    """ArgoCD is published (external-dns) and certified (DNS-01) in its environment's zone only: a
    gitops.sso.domain that puts a cluster's ArgoCD outside it is refused, naming the cluster."""
    path, message, hint = _refused_any(plan_copy, lambda d: _sso(d, domain="sso.acme.example.com"))
    assert path == "gitops.sso.domain" and "argocd.dev.sso.acme.example.com" in message and "outside environment 'dev''s domain" in message
    assert "leave gitops.sso.domain out" in hint
    # acme.example.com puts the environments' own ArgoCD inside their domains, but not prod's dedicated cluster of org-c
    path, message, _ = _refused_any(plan_copy, lambda d: _sso(d, domain="acme.example.com"))
    assert path == "gitops.sso.domain" and "argocd.prod-org-c.acme.example.com" in message


def _refused_any(plan: Path, edit) -> tuple[str, str, str]:
    """The first issue of a refused plan (one per environment here)."""
    edit_yaml(plan / "platform.yaml", edit)
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    issue = info.value.issues[0]
    return issue.path, issue.message, issue.hint


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
    assert es["spec"]["dataFrom"][0]["extract"]["key"] == "acme/prod/argocd.acme-prod/argocd-sso" and es["spec"]["secretStoreRef"]["name"] == "argocd-sso"
    assert "argocd" in yaml.safe_load(files["prod/infrastructure/kustomization.yaml"])["resources"]
    org_c = next(t for t in env.tenants if t.name == "org-c")
    assert org_c.cluster is not None and org_c.cluster.addon("argocd").values["configs"]["cm"]["url"] == "https://argocd-org-c.prod.acme.example.com"
    assert yaml.safe_load(files[f"prod-org-c/infrastructure/argocd/externalsecret-{SSO_SECRET}.yaml"])["spec"]["dataFrom"][0]["extract"]["key"] == "acme/prod/argocd.acme-prod-org-c/argocd-sso"

    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].pop("sso"))
    plain = resolve_environment(load_plan(plan_copy), "prod")
    values = plain.cluster.addon("argocd").values
    assert values["configs"]["cm"]["admin.enabled"] is True and "oidc.config" not in values["configs"]["cm"] and "rbac" not in values["configs"]
    assert values["global"]["domain"] == "argocd.acme-prod.internal"
    assert not any("argocd-sso" in f for f in render_environment(plain))


def test_sso_needs_who_may_reach_argocd(plan_copy: Path) -> None:
    """ingress-nginx is internet-facing: with SSO the plan must say who may reach ArgoCD (never guessed)."""
    path, message, hint = _refused(plan_copy, lambda d: d["gitops"]["sso"].pop("allowed_cidrs"))
    assert path == "gitops.sso.allowed_cidrs" and "internet-facing" in message and "0.0.0.0/0" in hint


@pytest.mark.parametrize(
    ("cidrs", "path", "words"),
    [
        ([], "gitops.sso.allowed_cidrs", "nobody could reach"),
        (["203.0.113.7/24"], "gitops.sso.allowed_cidrs[0]", "host bits"),
        (["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"], "gitops.sso.allowed_cidrs[2]", "twice"),
        (["2001:db8::/32"], "gitops.sso.allowed_cidrs[0]", "IPv6"),
        (["office"], "gitops.sso.allowed_cidrs[0]", "prefix length"),
    ],
)
def test_allowed_cidrs_are_checked(plan_copy: Path, cidrs: list, path: str, words: str) -> None:
    got, message, _ = _refused(plan_copy, lambda d: _sso(d, allowed_cidrs=cidrs))
    assert got == path and words in message


@pytest.mark.parametrize("missing", ["ingress-nginx", "cert-manager"])
def test_sso_needs_ingress_nginx_and_cert_manager(plan_copy: Path, missing: str) -> None:
    """Without them nothing serves ArgoCD's URL with a certificate, and the provider's redirect goes nowhere."""

    def platform(d: dict) -> None:
        d["components"] = [c for c in d["components"] if c not in (missing, "aws-load-balancer-controller")]
        if missing == "cert-manager":
            d.pop("certificates")

    path, message, hint = _refused(plan_copy, platform)
    assert path == "gitops.sso" and missing in message and f"add {missing}" in hint


def test_an_app_cannot_take_argocds_hostname(plan_copy: Path) -> None:
    edit_yaml(plan_copy / "tenants" / "org-a.yaml", lambda d: d["apps"][0].update(host="argocd"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    assert any(i.path.endswith("apps[0].host") and "is also ArgoCD of dev's" in i.message for i in info.value.issues), info.value.issues


def test_argocd_is_exposed_at_its_url_to_the_allowed_ranges(example_plan: Path, plan_copy: Path) -> None:
    """With SSO, the chart's server Ingress: ingress-nginx, the URL's host, TLS from the tier's
    ClusterIssuer, HTTPS to argocd-server (its own TLS kept), the plan's ranges only, out of ArgoCD's
    health. Without SSO, no Ingress."""
    plan = load_plan(example_plan)
    for env_name, issuer in (("prod", "letsencrypt-production"), ("dev", "letsencrypt-staging")):
        env = resolve_environment(plan, env_name)
        for cluster in [env.cluster, *(t.cluster for t in env.tenants if t.cluster is not None)]:
            values = cluster.addon("argocd").values
            ingress = values["server"]["ingress"]
            assert values["configs"]["cm"]["url"] == f"https://{ingress['hostname']}" and values["configs"]["params"]["server.insecure"] is False
            assert ingress["enabled"] is True and ingress["ingressClassName"] == "nginx" and ingress["tls"] is True
            assert ingress["annotations"] == {
                "cert-manager.io/cluster-issuer": issuer,
                "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
                "nginx.ingress.kubernetes.io/allowlist-source-range": ",".join(plan.platform.gitops.sso.allowed_cidrs),
                "argocd.argoproj.io/ignore-healthcheck": "true",
            }
    edit_yaml(plan_copy / "platform.yaml", lambda d: _sso(d, allowed_cidrs=["0.0.0.0/0"]))
    opened = resolve_environment(load_plan(plan_copy), "dev").cluster.addon("argocd").values["server"]["ingress"]
    assert opened["annotations"]["nginx.ingress.kubernetes.io/allowlist-source-range"] == "0.0.0.0/0"  # only because the plan says so
    edit_yaml(plan_copy / "platform.yaml", lambda d: d["gitops"].pop("sso"))
    assert "ingress" not in resolve_environment(load_plan(plan_copy), "dev").cluster.addon("argocd").values["server"]
