"""`infraplan verify` against an empty account: everything the resolved model says exists is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.deploy

PLAN = Path(__file__).resolve().parents[2] / "environments"


def test_verify_reports_every_missing_resource(moto_server, capsys):
    from stacks.cli import main

    code = main(["verify", "--plan", str(PLAN), "--env", "dev", "--tenant", "org-a", "--endpoint", moto_server.url])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1, text
    for line in (
        "VPC acme-dev: missing",
        "EKS cluster acme-dev: missing",
        "RDS instance acme-dev-pg: missing",
        "tenant org-a: secret",
        "IAM role acme-dev-irsa-cert-manager: missing",
        "IAM role acme-dev-platform-secrets: missing",
        "IAM role acme-dev-grafana-admin: missing",
        "IAM role acme-dev-argocd-sso: missing",
        "cluster acme-dev: secret acme/dev/grafana.acme-dev/admin: missing",
        "IAM role acme-dev-org-a-secrets: missing",
        "IAM role acme-dev-database-admin: missing",
        "state s3://acme-tfstate-dev-111111111111/dev-platform/terraform.tfstate: missing",
        "budget acme-dev-monthly: missing",
    ):
        assert line in text, text


def test_verify_names_an_unknown_tenant(moto_server, capsys):
    from stacks.cli import main

    assert main(["verify", "--plan", str(PLAN), "--env", "dev", "--tenant", "org-zzz", "--endpoint", moto_server.url]) == 2


def test_verify_refuses_the_wrong_account(moto_factory, capsys):
    from stacks.cli import main

    other = moto_factory("999999999999")
    assert main(["verify", "--plan", str(PLAN), "--env", "dev", "--endpoint", other.url]) == 2
    err = capsys.readouterr().err
    assert "account 999999999999" in err and "111111111111" in err
