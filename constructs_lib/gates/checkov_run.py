"""Run checkov (in its own virtualenv's Python) with one fix to its ``terraform_json`` parser.

checkov 3.3.30 (and its main branch as of 2026-08) treats every key of the ``terraform``
block as a nested block: a scalar attribute such as ``required_version`` makes it give up on
the whole file ("this method receives only dicts"), so nothing in that stack would be scanned.
The fix hands the parser only the block's nested blocks (backend, required_providers); the
scalars it drops are Terraform settings no checkov check reads. The parser also reads an
``import`` block (a list of unlabeled blocks: ``to``, ``id``, ``for_each``) as labeled blocks
and fails the same way on its strings; import blocks configure no resource, so they are left
out of the scan (the log group they adopt is scanned as a resource). The stacks stay as
Terraform needs them: the gate is fixed, not the stack.
"""

from __future__ import annotations

import sys
import warnings


def patch_parser() -> None:
    from checkov.terraform_json import parser

    handle_block_type = parser.handle_block_type

    def handle_terraform_block(block_type, blocks):
        if block_type == "import":
            return []
        if block_type == "terraform" and isinstance(blocks, dict):
            blocks = {name: value for name, value in blocks.items() if isinstance(value, (dict, list))}
        return handle_block_type(block_type=block_type, blocks=blocks)

    parser.handle_block_type = handle_terraform_block


if __name__ == "__main__":
    patch_parser()
    from checkov.main import Checkov

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        sys.exit(Checkov().run())
