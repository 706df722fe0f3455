"""What synth, check and diff say when cdktf's runtime cannot start in the Terraform worker, or an
extension fails there: exit 2 with the reason, no traceback, nothing written (stacks/terraform_worker.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE_PLAN

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # whole commands in subprocesses


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stacks.cli", *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(tmp_path), **env}, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("command", ["synth", "check", "diff"])
def test_no_node_is_a_clear_error(command: str, tmp_path: Path) -> None:
    args = {"synth": ["synth", "--out", str(tmp_path / "dist")], "check": ["check"], "diff": ["diff", "--against", str(tmp_path)]}[command]
    proc = _run([*args, "--plan", str(EXAMPLE_PLAN)], tmp_path, JSII_NODE=str(tmp_path / "no-such-node"))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "the cdktf runtime (Node.js, through jsii) could not start" in proc.stderr and "JSII_NODE" in proc.stderr
    assert not any(line.startswith("Traceback") for line in proc.stderr.splitlines())
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize("command", ["synth", "check", "diff"])
def test_a_failing_extension_is_a_clear_error(command: str, tmp_path: Path) -> None:
    (tmp_path / "broken_ext.py").write_text("def extend(stack, ctx):\n    raise RuntimeError('boom from the extension')\n")
    args = {"synth": ["synth", "--out", str(tmp_path / "dist")], "check": ["check"], "diff": ["diff", "--against", str(tmp_path)]}[command]
    proc = _run([*args, "--plan", str(EXAMPLE_PLAN), "--extension", "broken_ext:extend"], tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "extension 'broken_ext:extend' failed on stack" in proc.stderr and "boom from the extension" in proc.stderr
    assert not any(line.startswith("Traceback") for line in proc.stderr.splitlines())  # the extension's own is indented in the message
    assert not (tmp_path / "dist").exists()
