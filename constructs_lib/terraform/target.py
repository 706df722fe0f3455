"""Where the synthesized Terraform talks to: real AWS, or a local AWS API for dry runs."""

from __future__ import annotations

from dataclasses import dataclass

# Services whose endpoints a local target overrides (every service the stacks use).
LOCAL_SERVICES = ("dynamodb", "ec2", "eks", "iam", "kms", "logs", "rds", "s3", "secretsmanager", "sts")


@dataclass(frozen=True)
class AwsTarget:
    """``endpoint_url`` None means real AWS. Otherwise every provider block and the
    S3 backend go to that URL with throw-away credentials (e.g. a moto server)."""

    endpoint_url: str | None = None

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def provider_settings(self) -> dict:
        if not self.endpoint_url:
            return {}
        return {
            "access_key": "test",
            "secret_key": "test",
            "skip_credentials_validation": True,
            "skip_metadata_api_check": "true",
            "skip_requesting_account_id": True,
            "s3_use_path_style": True,
            "endpoints": [{svc: self.endpoint_url for svc in LOCAL_SERVICES}],
        }

    def backend_settings(self) -> dict:
        if not self.endpoint_url:
            return {}
        return {
            "access_key": "test",
            "secret_key": "test",
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_requesting_account_id": True,
            "use_path_style": True,
            "endpoints": {"s3": self.endpoint_url, "dynamodb": self.endpoint_url, "sts": self.endpoint_url, "iam": self.endpoint_url},
        }


REAL_AWS = AwsTarget()
