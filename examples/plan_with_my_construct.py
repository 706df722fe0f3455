"""The bundled plan, plus a construct of your own in every environment's platform stack.

    .venv/bin/python examples/plan_with_my_construct.py OUT

infraplan builds the plan's stacks, then calls ``alerts(stack, context)`` for each (the same
hook as ``infraplan synth --extension plan_with_my_construct:alerts`` with this folder on
PYTHONPATH). ``AlertsTopic`` is an ordinary construct of L1 resources with the provider's own
attribute names; its names follow infraplan's resolved model (``context.environment``), and every
string it is given reaches Terraform as a literal. tests/test_examples.py runs this script and
validates what it writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from constructs import Construct

from constructs_lib.terraform.aws import AwsResource
from constructs_lib.terraform.extensions import StackContext
from constructs_lib.terraform.engine import cdktf

ROOT = Path(__file__).resolve().parents[1]


class SnsTopic(AwsResource):
    resource_type = "aws_sns_topic"


class SnsTopicSubscription(AwsResource):
    resource_type = "aws_sns_topic_subscription"


class AlertsTopic(Construct):
    """An SNS topic for the platform's alerts, encrypted with AWS's SNS key, mailing one address."""

    def __init__(self, scope: Construct, id: str, *, name: str, email: str):
        super().__init__(scope, id)
        if "@" not in email:
            raise ValueError(f"AlertsTopic email {email!r} is not an email address: give the on-call mailbox")
        self.topic = SnsTopic(self, "topic", name=name, kms_master_key_id="alias/aws/sns")
        SnsTopicSubscription(self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=email)


def alerts(stack: cdktf.TerraformStack, context: StackContext) -> None:
    if context.kind == "platform":
        AlertsTopic(stack, "alerts", name=f"{context.environment.cluster.name}-alerts", email="oncall@acme.example.com")


def main(out: Path) -> None:
    from stacks.synth import synthesize

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # so the hook imports as plan_with_my_construct:alerts
    synthesize(ROOT / "environments", out, extensions=["plan_with_my_construct:alerts"], state_dir=out.parent)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT")
    main(Path(sys.argv[1]))
