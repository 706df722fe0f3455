"""``pulumi`` entry point (Pulumi.yaml ``main: stacks/pulumi_main.py``).

The Python language host runs this file with ``runpy``; the repository root is
put on ``sys.path`` so ``constructs_lib`` and ``stacks`` import even without an
editable install. Everything else lives in :mod:`stacks.pulumi_program`.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from stacks.pulumi_program import main  # noqa: E402

main()
