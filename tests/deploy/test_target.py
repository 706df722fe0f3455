"""The local AWS target: what `infraplan synth --aws-endpoint URL` writes into every stack (no AWS needed)."""

from __future__ import annotations

import json

import pytest

from constructs_lib.terraform.target import BACKEND_SERVICES, LOCAL_SERVICES, REAL_AWS, AwsTarget

URL = "http://127.0.0.1:4566"


def test_real_aws_adds_nothing():
    assert not REAL_AWS.is_local
    assert REAL_AWS.provider_settings() == {} and REAL_AWS.backend_settings() == {}


def test_endpoint_must_be_a_url_and_loses_its_trailing_slash():
    assert AwsTarget(URL + "/").endpoint_url == URL
    with pytest.raises(ValueError):
        AwsTarget("127.0.0.1:4566")


def test_every_provider_and_backend_points_at_the_endpoint(tmp_path, example_plan):
    from stacks.synth import synthesize

    result = synthesize(example_plan, tmp_path / "dist", ["dev"], ["org-a"], AwsTarget(URL))
    assert result.stacks == ["dev-state", "dev-platform", "dev-tenant-org-a"]
    for name in result.stacks:
        doc = json.loads((tmp_path / "dist" / "terraform" / "stacks" / name / "cdk.tf.json").read_text())
        providers = doc["provider"]["aws"]
        assert providers, name
        for provider in providers:
            assert provider["access_key"] == "test" and provider["secret_key"] == "test"
            assert provider["endpoints"] == [{svc: URL for svc in LOCAL_SERVICES}]
            assert provider["allowed_account_ids"] == ["111111111111"]  # the account guard stays on
            assert "skip_requesting_account_id" not in provider
        backend = doc["terraform"]["backend"]
        if name == "dev-state":
            assert list(backend) == ["local"]
            continue
        s3 = backend["s3"]
        assert s3["endpoints"] == {svc: URL for svc in BACKEND_SERVICES}
        assert s3["access_key"] == "test" and s3["use_path_style"] is True
        assert s3["bucket"] == "acme-tfstate-dev-111111111111" and s3["key"] == f"{name}/terraform.tfstate"
