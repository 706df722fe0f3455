"""Terraform synthesis in worker processes (stacks/terraform_worker.py, #16).

Proved here: the stacks are batched in build order; a synth in several batches (whole
environments, or parts of one with stand-ins for the stacks another batch builds) writes the same
bytes as one app; the parent process never loads cdktf (its runtime lives in the workers);
a failure in a worker is reported in the parent; a worker whose parent dies ends too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_plan
from stacks import terraform_worker
from stacks.terraform_worker import Batch, TerraformJob, TerraformRuntimeError, TerraformWorker, batches
from constructs_lib.terraform.stack_graph import environment_stacks
from constructs_lib.terraform.target import REAL_AWS

from conftest import EXAMPLE_PLAN

ROOT = Path(__file__).resolve().parents[1]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _names(env, tenants=None) -> list[str]:
    return [n.name for n in environment_stacks(env, tenants)]


def test_batches_cut_the_stacks_in_build_order() -> None:
    envs = resolve_plan(load_plan(EXAMPLE_PLAN), None)
    every = [name for e in envs for name in _names(e)]
    assert batches(envs, None, limit=len(every)) == [Batch(tuple(envs))]  # all fit: one app, as cdktf synth builds it
    per_env = batches(envs, None, limit=len(_names(envs[0])))
    assert [b.envs for b in per_env] == [(e,) for e in envs] and [b.only for b in per_env] == [frozenset(_names(e)) for e in envs]
    threes = batches(envs, None, limit=3)
    assert [len(b.only) for b in threes[:-1]] == [3] * (len(threes) - 1) and 0 < len(threes[-1].only) <= 3
    assert [n for b in threes for n in sorted(b.only, key=every.index)] == every  # each stack once, in order
    assert [len(b.only) for b in batches(envs, None, limit=len(every) // 2 - 1)] == [5, 5, 5] == [len(_names(e)) for e in envs]  # equal sizes, not 6, 6, 3
    assert [len(b.only) for b in batches(envs, None, limit=len(every) - 1)] == [8, 7]
    for b in threes:  # a batch holds exactly the environments its stacks belong to, in plan order
        assert list(b.envs) == [e for e in envs if set(_names(e)) & b.only]
    only = {envs[0].tenants[0].name}
    assert batches(envs, only, limit=2)[0].only == frozenset(_names(envs[0], only)[:2])
    with pytest.raises(ValueError):
        batches(envs, None, limit=0)


@pytest.mark.slow
def test_a_synth_in_batches_writes_the_bytes_of_one_app(tmp_path: Path, example_synth: Path, monkeypatch) -> None:
    """Batches of 4 stacks, each environment cut in two: the stacks move into one terraform/ and the
    manifests merge into the one a single cdktf app writes, the dependencies on stacks of another batch
    included (the session's example synth ran as one batch)."""
    from stacks.synth import synthesize

    envs = resolve_plan(load_plan(EXAMPLE_PLAN), None)
    monkeypatch.setattr(terraform_worker, "STACKS_PER_WORKER", 4)  # each environment has 5: cut through all of them
    assert len(batches(envs, None)) > len(envs) > 1
    before_folders = _worker_folders()
    alive_at_starts: list[int] = []
    start = terraform_worker.TerraformWorker.__init__

    def counting(self, *args, **kwargs):  # noqa: ANN001, ANN202
        alive_at_starts.append(len(_children()))  # the workers (and so their Node.js) alive as another one starts
        start(self, *args, **kwargs)

    monkeypatch.setattr(terraform_worker.TerraformWorker, "__init__", counting)
    result = synthesize(EXAMPLE_PLAN, tmp_path / "dist")
    assert len(alive_at_starts) == len(batches(envs, None)) and max(alive_at_starts) == 0, alive_at_starts  # one at a time: the memory bound
    assert result.stacks == [n for e in envs for n in [e.state_stack_name, e.stack_name, *(r.stack_name for r in e.secondary_regions), *(t.stack_name for t in e.tenants)]]
    assert _files(tmp_path / "dist") == _files(example_synth)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]  # no batch folder or staging left
    assert not _worker_folders() - before_folders, "a worker's temporary folder is left"  # (synth also removes dead runs' ones)
    assert not _children(), "a worker still runs after synth returned"


def _worker_folders() -> set[str]:
    """This process's runs' temporary folders (``run-<pid>-*``: other processes synthesize meanwhile)."""
    base = Path(tempfile.gettempdir()) / f"infraplan-{os.getuid()}"
    return {p.name for p in base.glob(f"run-{os.getpid()}-*")} if base.is_dir() else set()


def _children() -> list[int]:
    """This process's living workers (not, say, a jsii runtime it started itself)."""
    pid = os.getpid()
    kids = [int(c) for t in os.listdir(f"/proc/{pid}/task") for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
    return [c for c in kids if _alive(c) and b"stacks.terraform_worker" in _cmdline(c)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.slow
def test_the_synth_process_never_loads_cdktf(tmp_path: Path) -> None:
    """cdktf's runtime (and every stack it holds) lives in the workers, which end with their batch."""
    code = textwrap.dedent(
        f"""
        import sys
        from stacks.cli import main
        code = main(["synth", "--plan", {str(EXAMPLE_PLAN)!r}, "--out", {str(tmp_path / 'dist')!r}])
        print("exit", code, "cdktf" in sys.modules)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "exit 0 False", proc.stderr
    assert (tmp_path / "dist/terraform/manifest.json").is_file()


@pytest.mark.slow
def test_a_failure_in_the_worker_is_reported_in_the_parent(tmp_path: Path) -> None:
    envs = resolve_plan(load_plan(EXAMPLE_PLAN), None)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    worker = TerraformWorker()
    try:
        with pytest.raises(TerraformRuntimeError, match=r"the cdktf runtime \(Node.js, through jsii\) failed: .*not-a-folder"):
            worker.run(TerraformJob(blocker / "terraform", tuple(envs[:1]), None, REAL_AWS, (), None, None))
    finally:
        worker.kill()
        worker.end()
    assert worker.process.returncode is not None


@pytest.mark.slow
def test_a_worker_ends_when_its_parent_dies(tmp_path: Path) -> None:
    """A killed ``infraplan synth`` leaves no worker (nor its Node.js) running: the worker watches its job pipe."""
    code = textwrap.dedent(
        """
        import os, sys, time
        from stacks.terraform_worker import TerraformWorker
        w = TerraformWorker()
        print(w.process.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        assert not _alive(pid), "the worker outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"  # a zombie is gone, only not reaped (its parent died)
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_synth_starts_its_worker_before_the_plan_model_loads(tmp_path: Path) -> None:
    """The worker's start (Node.js, cdktf: the longest part of a small synth) overlaps the parent's imports
    and plan reading only if it comes first: `infraplan synth` starts it before parsing its command line."""
    code = textwrap.dedent(
        f"""
        import sys
        import stacks.terraform_worker as W
        seen = []
        start = W.TerraformWorker.__init__
        def spy(self, *a, **k):
            seen.append("constructs_lib.plan.loader" in sys.modules)
            start(self, *a, **k)
        W.TerraformWorker.__init__ = spy
        from stacks.cli import main
        code = main(["synth", "--plan", {str(EXAMPLE_PLAN)!r}, "--out", {str(tmp_path / 'dist')!r}])
        print("exit", code, "plan model loaded at the first worker's start:", seen[0])
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "exit 0 plan model loaded at the first worker's start: False", proc.stdout + proc.stderr


def test_the_infraplan_command_starts_the_worker_before_the_cli_loads(tmp_path: Path) -> None:
    """pyproject's `infraplan` (stacks/command.py) starts synth's first worker before the CLI's own
    modules (rich, argparse, the CLI) are imported: about 30 ms sooner than stacks.cli.main could."""
    import tomllib

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["infraplan"] == "stacks.command:main"
    code = textwrap.dedent(
        f"""
        import sys
        import stacks.terraform_worker as W
        seen = []
        start = W.TerraformWorker.__init__
        def spy(self, *a, **k):
            seen.append(sorted(m for m in ("stacks.cli", "rich", "argparse") if m in sys.modules))
            start(self, *a, **k)
        W.TerraformWorker.__init__ = spy
        sys.argv = ["infraplan", "synth", "--plan", {str(EXAMPLE_PLAN)!r}, "--out", {str(tmp_path / 'dist')!r}]
        from stacks.command import run
        code = run()
        print("exit", code, "loaded at the first worker's start:", seen[0], "workers:", len(seen))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "exit 0 loaded at the first worker's start: [] workers: 1", proc.stdout + proc.stderr
    assert (tmp_path / "dist" / "terraform").is_dir()


def test_a_worker_computes_each_binding_checks_type_hints_once() -> None:
    """jsii's generated argument checks ask typing.get_type_hints of a stub on every call; in a worker
    each stub's hints are computed once, the checks still run, and other functions are left alone."""
    code = textwrap.dedent(
        """
        import typing
        computed = []
        real = typing.get_type_hints
        typing.get_type_hints = lambda obj, *a, **k: computed.append(obj.__name__) or real(obj, *a, **k)
        from stacks.terraform_worker import cache_binding_type_hints
        cache_binding_type_hints()
        cache_binding_type_hints()  # once is enough: not wrapped twice
        from constructs_lib.terraform.engine import cdktf
        app = cdktf.App()
        for i in range(3):
            cdktf.TerraformStack(app, f"s{i}")
        try:
            cdktf.TerraformStack(app, 42)  # the check still runs
        except TypeError as exc:
            print("refused:", "id" in str(exc))
        def mine(x: "int") -> None: ...
        typing.get_type_hints(mine); typing.get_type_hints(mine)
        stubs = [n for n in computed if n.startswith("_typecheckingstub__")]
        print("stubs", len(stubs), len(set(stubs)), "mine", computed.count("mine"))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = proc.stdout.splitlines()
    assert "refused: True" in lines, proc.stdout + proc.stderr
    stubs = next(line for line in lines if line.startswith("stubs")).split()
    assert int(stubs[1]) == int(stubs[2]) > 0, f"a stub's hints computed more than once: {stubs}"
    assert stubs[-1] == "2", "another function's hints were cached"
