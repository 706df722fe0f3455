"""Where the synthesized Terraform talks to: real AWS, or a local AWS API for dry runs."""

from __future__ import annotations

from dataclasses import dataclass

# Services whose endpoints a local target overrides: every service the stacks use,
# plus STS (the provider's account check) and IAM (the backend's role handling).
LOCAL_SERVICES = ("budgets", "cloudtrail", "dynamodb", "ec2", "eks", "iam", "kms", "logs", "rds", "route53", "s3", "secretsmanager", "sts")
# The S3 backend only talks to these (Terraform 1.11 ``endpoints`` block).
BACKEND_SERVICES = ("dynamodb", "iam", "s3", "sts")

# Throw-away credentials: a local AWS API accepts any; they must never be real ones.
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"


@dataclass(frozen=True)
class AwsTarget:
    """``endpoint_url`` None means real AWS. Otherwise every provider block and the
    S3 backend go to that URL with throw-away credentials (e.g. a moto server).

    The provider still asks STS who it is, so ``allowed_account_ids`` guards a local
    run as it guards a real one: run the local API as the environment's account
    (moto: ``MOTO_ACCOUNT_ID=<account id>``)."""

    endpoint_url: str | None = None

    def __post_init__(self) -> None:
        if self.endpoint_url is not None:
            url = self.endpoint_url.rstrip("/")
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"--aws-endpoint must be an http(s) URL, got {self.endpoint_url!r}")
            object.__setattr__(self, "endpoint_url", url)

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def provider_settings(self) -> dict:
        """Arguments of every ``provider "aws"`` block (merged into the block)."""
        if not self.endpoint_url:
            return {}
        return {
            "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": "true",  # a string in the provider schema
            "skip_region_validation": True,
            "s3_use_path_style": True,
            "endpoints": [{svc: self.endpoint_url for svc in LOCAL_SERVICES}],
        }

    def backend_settings(self) -> dict:
        """Overrides of the ``backend "s3"`` block (bucket, key, table stay the plan's)."""
        if not self.endpoint_url:
            return {}
        return {
            "access_key": TEST_ACCESS_KEY,
            "secret_key": TEST_SECRET_KEY,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "skip_requesting_account_id": True,
            "use_path_style": True,
            "endpoints": {svc: self.endpoint_url for svc in BACKEND_SERVICES},
        }


REAL_AWS = AwsTarget()
