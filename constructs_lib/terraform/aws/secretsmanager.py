"""Secrets Manager family."""

from __future__ import annotations

from .base import AwsEphemeralResource, AwsResource


class SecretsmanagerSecret(AwsResource):
    resource_type = "aws_secretsmanager_secret"


class SecretsmanagerSecretVersion(AwsResource):
    """Use ``secret_string_wo`` + ``secret_string_wo_version``: the value is sent to AWS
    and never stored in state."""

    resource_type = "aws_secretsmanager_secret_version"


class SecretsmanagerRandomPassword(AwsEphemeralResource):
    """A password from Secrets Manager's GetRandomPassword, never stored in state."""

    ephemeral_type = "aws_secretsmanager_random_password"
