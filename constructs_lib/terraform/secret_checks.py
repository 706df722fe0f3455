"""Checks the secret constructs share (GrafanaAdminSecret, TenantDatabaseCredentials): what Secrets
Manager, KMS and IAM would refuse of a secret's name, recovery window, key alias and readers.
Each returns the problem, or None."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..resolve import names

SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
"""Secrets Manager: 1 to 512 letters, digits and ``/_+=.@-``."""
KEY_ALIAS = re.compile(r"^[A-Za-z0-9/_-]{1,250}$")
"""KMS: an alias is ``alias/`` and up to 250 letters, digits and ``/_-`` (256 in all)."""
ROLE_ARN = re.compile(rf"^arn:{names.PARTITION}:iam::\d{{12}}:role/[A-Za-z0-9+=,.@_/-]{{1,512}}$")
"""An IAM role's ARN in infraplan's partition (its path included)."""
RECOVERY_FIX = "0 (deleted at once: a rebuild reuses the name), or 7 to 30 days"


def secret_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not SECRET_NAME.match(name):
        return "Secrets Manager takes 1 to 512 letters, digits and /_+=.@-"
    return None


def recovery_window_problem(days: object) -> str | None:
    if isinstance(days, bool) or not isinstance(days, int) or not (days == 0 or 7 <= days <= 30):
        return "Secrets Manager keeps a deleted secret 7 to 30 days, or deletes it at once (0)"
    return None


def key_alias_problem(alias: object) -> str | None:
    if not isinstance(alias, str) or not KEY_ALIAS.match(alias) or alias.startswith(("aws/", "alias/")):
        return "a KMS alias name is up to 250 letters, digits and /_-, given without alias/, and not aws/..."
    return None


def readers_problem(readers: Sequence[object]) -> str | None:
    if isinstance(readers, str) or not readers:
        return "nobody could read the secret: at least one IAM role ARN may decrypt it"
    for arn in readers:
        if not isinstance(arn, str) or not ROLE_ARN.match(arn):
            return f"{arn!r} is not an IAM role ARN (arn:{names.PARTITION}:iam::<account>:role/<name>)"
    if len(set(readers)) != len(readers):
        return "a role is listed twice"
    return None


VERSION_FIX = "1, raised by one for each new password"


def write_only_version_problem(version: object) -> str | None:
    """The version of a write-only value (``*_wo_version``): Terraform sends the value again only when it changes."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return "a write-only value's version is a whole number from 1"
    return None
