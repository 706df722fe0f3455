"""The cdktf app entry (``cdktf.json`` runs this): ``cdktf synth`` writes every
stack of the plan to ``cdktf.out/stacks/<stack>/cdk.tf.json``.

Environment variables: ``INFRAPLAN_PLAN`` (default ``environments``),
``INFRAPLAN_AWS_ENDPOINT`` (a local AWS API for dry runs, optional).
"""

from __future__ import annotations

import os
import sys

from constructs_lib.terraform.engine import cdktf

from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform import attribute_handover
from constructs_lib.terraform.target import AwsTarget

from .terraform_app import add_stacks


def main() -> int:
    try:
        plan = load_plan(os.environ.get("INFRAPLAN_PLAN", "environments"))
    except PlanError as exc:
        print(f"The plan has {len(exc.issues)} problem(s):\n{exc}", file=sys.stderr)
        return 2
    app = cdktf.App()  # the outdir comes from the cdktf CLI (CDKTF_OUTDIR)
    add_stacks(app, resolve_plan(plan), target=AwsTarget(os.environ.get("INFRAPLAN_AWS_ENDPOINT") or None))
    attribute_handover.synth(app)  # app.synth(), the elements' attributes handed to cdktf in one call
    return 0


if __name__ == "__main__":
    sys.exit(main())
