"""Add-on settings are typed (#13): each add-on with GitOps settings that are not Helm values has a
frozen dataclass in its own module, the others None; a reader's typo or a reader asking for another
add-on's settings fails loudly instead of reading a default."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from constructs_lib.addons import CHART_ADDONS
from constructs_lib.addons.argocd import ArgoCdSettings
from constructs_lib.addons.base import AddOnSettings
from constructs_lib.addons.cert_manager import CertManagerSettings, Dns01Solver
from constructs_lib.addons.external_secrets import ExternalSecretsSettings
from constructs_lib.addons.ingress_nginx import IngressNginxSettings
from constructs_lib.plan import load_plan
from constructs_lib.resolve.addons import ResolvedAddon
from constructs_lib.resolve.environment import resolve_environment


@pytest.fixture(scope="module")
def plan(example_plan: Path):
    return load_plan(example_plan)


@pytest.fixture(scope="module")
def prod(plan):
    return resolve_environment(plan, "prod")


def test_every_addons_settings_are_a_frozen_dataclass_of_its_own_module_or_none(prod) -> None:
    seen = set()
    for cluster, _ in prod.clusters:
        for a in cluster.addons:
            module = sys.modules[CHART_ADDONS[a.component].settings.__module__]
            if a.settings is None:
                continue
            kind = type(a.settings)
            assert isinstance(a.settings, AddOnSettings) and dataclasses.is_dataclass(kind), (a.component, kind)
            assert kind.__dataclass_params__.frozen and kind.__module__ == module.__name__, (a.component, kind)  # type: ignore[attr-defined]
            seen.add(a.component)
    # the example lists every add-on that has settings
    assert seen == {"argocd", "aws-load-balancer-controller", "ingress-nginx", "external-dns", "cert-manager", "external-secrets"}


def test_readers_get_attributes_and_fail_loudly(plan, prod) -> None:
    cm = prod.cluster.addon("cert-manager")
    assert cm is not None
    issuer = cm.settings_as(CertManagerSettings).issuer
    assert issuer.name == "letsencrypt-production" and isinstance(issuer.solver, Dns01Solver) and issuer.solver.domain == prod.cluster.dns.domain
    with pytest.raises(AttributeError):
        issuer.issuer_name  # noqa: B018 (a typo is an error, not a default)
    with pytest.raises(dataclasses.FrozenInstanceError):
        issuer.name = "letsencrypt-staging"  # type: ignore[misc]
    with pytest.raises(TypeError, match="cert-manager has settings CertManagerSettings, not IngressNginxSettings"):
        cm.settings_as(IngressNginxSettings)
    argocd = prod.cluster.addon("argocd")
    assert argocd is not None and argocd.settings_as(ArgoCdSettings).admin_groups == tuple(plan.platform.platform_admins.groups)
    assert prod.cluster.addon("external-secrets").settings_as(ExternalSecretsSettings).aws_stores is True  # type: ignore[union-attr]


def test_an_addon_built_without_resolution_has_no_settings_to_misread() -> None:
    """A ResolvedAddon made in Python (the Kubernetes constructs do) has None: asking it for
    cert-manager's issuer is a TypeError, not an issuer made of defaults."""
    chart = CHART_ADDONS["cert-manager"].chart
    bare = ResolvedAddon("cert-manager", "helm", "", chart, {})
    assert bare.settings is None
    with pytest.raises(TypeError, match="has settings NoneType"):
        bare.settings_as(CertManagerSettings)
