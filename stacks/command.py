"""The ``infraplan`` command: pyproject.toml's console script.

``infraplan synth`` spends its first half second reading the plan in this process while its
Terraform worker starts Node.js and cdktf (stacks/terraform_worker.py): the sooner the worker
starts, the sooner the stacks are done. This entry point starts it before the CLI's own modules
(rich, argparse, the plan model's names: about 30 ms) load, then runs :func:`stacks.cli.main`,
which ends it."""

from __future__ import annotations

import signal
import sys


def main() -> int:
    argv = sys.argv[1:]
    early = None
    try:
        from .terraform_worker import early_terraform_workers

        early = early_terraform_workers(argv)
        from .cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C before the CLI's own handling is in place: no traceback either
        if early is not None:
            early.stop()
        sys.stderr.write("interrupted; the output folder was left as it was\n")
        return 128 + signal.SIGINT
    return cli_main(argv, early)


if __name__ == "__main__":
    sys.exit(main())
