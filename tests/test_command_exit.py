"""The `infraplan` command ends without tearing the interpreter down (#16): Python's exit frees every
object one by one (about 40 ms after the example's synth) in a process that ends anyway. What
must run at exit still runs: an exit handler (jsii's stops Node.js), a thread that is not a
daemon, and the output is flushed whole with the command's exit status."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT

EXAMPLE_PLAN = ROOT / "environments"

# An object whose finalizer says so, as the plan and the trees would be freed at a normal exit.
SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    class Freed:
        def __del__(self):
            sys.stderr.write("torn down\\n")
    kept = Freed()
    {setup}
    sys.argv = ["infraplan"] + {argv!r}
    from stacks.command import main
    sys.exit(main())
    """
)


def run(argv: list[str], setup: str = "") -> subprocess.CompletedProcess[str]:
    code = SCRIPT.format(setup=setup, argv=argv)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_command_ends_at_once_with_its_status_and_its_output_whole() -> None:
    ok = run(["validate", "--plan", str(EXAMPLE_PLAN)])
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("✓ plan acme is valid"), ok.stdout  # buffered in a pipe, flushed before the end
    assert "torn down" not in ok.stderr  # no teardown
    failed = run(["validate", "--plan", str(ROOT / "no-such-plan")])
    assert failed.returncode == 2
    assert "the plan folder does not exist" in failed.stderr
    assert "torn down" not in failed.stderr


def test_an_exit_handler_or_a_running_thread_gets_a_normal_exit() -> None:
    handler = run(["validate", "--plan", str(EXAMPLE_PLAN)], setup="import atexit; atexit.register(lambda: sys.stderr.write('handler ran\\n'))")
    assert handler.returncode == 0
    assert "handler ran" in handler.stderr and "torn down" in handler.stderr
    thread = run(["validate", "--plan", str(EXAMPLE_PLAN)], setup="threading.Thread(target=lambda: (time.sleep(0.5), sys.stderr.write('thread done\\n'))).start()")
    assert thread.returncode == 0
    assert "thread done" in thread.stderr and "torn down" in thread.stderr
