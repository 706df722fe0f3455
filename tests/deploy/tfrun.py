"""Running terraform in the deploy tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def tf(args: list[str], cwd: Path, env: dict[str, str], check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run terraform; on failure raise with its output (the deploy tests' only runner)."""
    proc = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed in {cwd} (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc
