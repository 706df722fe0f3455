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
    """The console script: :func:`run`, then the process ends at once (see :func:`_leave`)."""
    code = run()
    _leave(code)
    return code


def _leave(code: int) -> None:
    """End the process now with ``code`` when nothing is left to do at exit. Python's own exit frees
    every object one by one (the plan, the resolved model, the GitOps trees: about 40 ms after the
    example's synth) in a process that ends anyway. Not when an exit handler is registered (jsii's,
    which stops Node.js, in a command that built stacks in this process) or a thread that is not a
    daemon still runs, nor when flushing the output fails (Python's own exit then reports it)."""
    import atexit
    import os
    import threading

    handlers = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere Python exits as usual
    if handlers is None or handlers() or any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def run() -> int:
    """The command line's command, run; its exit status."""
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
