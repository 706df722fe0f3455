"""One construct in an empty cdktf stack (aws-cdk style tests): the stack, with the aws provider
the L2 constructs read their account and region from, and its synthesized JSON."""

from __future__ import annotations

import json

from constructs_lib.terraform.aws import AwsProvider
from constructs_lib.terraform.engine import cdktf

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def stack(provider: bool = True) -> cdktf.TerraformStack:
    """An empty stack; with ``provider``, the one aws provider (``REGION``, ``ACCOUNT`` allowed)."""
    s = cdktf.TerraformStack(cdktf.Testing.app(), "test")
    if provider:
        AwsProvider(s, "aws", region=REGION, allowed_account_ids=[ACCOUNT])
    return s


def synth(s: cdktf.TerraformStack) -> dict:
    return json.loads(cdktf.Testing.synth(s))
