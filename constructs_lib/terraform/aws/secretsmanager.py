"""Secrets Manager family."""

from __future__ import annotations

from .base import AwsResource


class SecretsmanagerSecret(AwsResource):
    resource_type = "aws_secretsmanager_secret"
