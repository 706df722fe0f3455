"""Lifecycle of synth's Terraform workers under interruption and in a user's folder (stacks/terraform_worker.py, #16).

Proved here: stop() returns only once the thread driving the workers is done with them, even after
Ctrl-C or SIGTERM interrupted the wait for them (Python 3.11's interrupted Thread.join marks a running
thread as ended); a worker imports what the synth process imports, not modules lying in the current
folder; what an extension prints is not lost; a worker that dies, or whose parent dies, takes its
process group (Node.js) with it; a worker that cannot start, a PlanError or a sys.exit in a worker,
and a --state-dir Terraform would read as an expression are exit 2 with the reason; without a
private temporary folder the workers leave nothing in the system's."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from stacks import terraform_worker
from stacks.terraform_worker import TerraformRuntimeError, TerraformWorkers

from conftest import EXAMPLE_PLAN

ROOT = Path(__file__).resolve().parents[1]


class _Interrupted(Exception):
    pass


class _SlowToStopWorker:
    """A worker whose run() returns a moment after kill(), as a real one does once its pipes see the end."""

    made: list["_SlowToStopWorker"] = []

    def __init__(self, tmpdir: Path | None = None) -> None:
        self.killed = threading.Event()
        self.run_returned = False
        self.ended_while_running = False
        self.running = False
        _SlowToStopWorker.made.append(self)

    def run(self, job: object) -> object:
        self.running = True
        try:
            self.killed.wait(10)
            time.sleep(0.3)  # closing its pipes, reaping
            raise TerraformRuntimeError("stopped")
        finally:
            self.running = False
            self.run_returned = True

    def kill(self) -> None:
        self.killed.set()

    def end(self) -> None:
        self.ended_while_running |= self.running


def test_stop_after_an_interrupted_wait_waits_for_the_driving_thread(monkeypatch) -> None:
    """SIGTERM (or Ctrl-C) during wait(): stop() must not return, nor end a worker, while the driving
    thread still uses it; before, the thread closed its worker's pipe fds after stop() had returned,
    closing fds the synth process had opened since (seen as EBADF in the staging folder's removal)."""
    _SlowToStopWorker.made.clear()
    monkeypatch.setattr(terraform_worker, "TerraformWorker", _SlowToStopWorker)

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        with TerraformWorkers() as workers:
            workers.start([object()])
            timer.start()
            with pytest.raises(_Interrupted):
                workers.wait()
            workers.stop()
            (worker,) = _SlowToStopWorker.made
            assert worker.run_returned, "stop() returned while the driving thread still ran its worker"
            assert not worker.ended_while_running, "a worker was ended while the driving thread still ran it"
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)


@pytest.mark.slow
def test_a_worker_does_not_import_modules_of_the_current_folder(tmp_path: Path, monkeypatch) -> None:
    """``infraplan synth`` run in a folder holding a ``cdktf.py`` (or ``yaml.py``...): the synth process
    (a console script) does not import it, so neither may its worker; before, ``python -m`` put the
    current folder first in the worker's path and the user's file shadowed cdktf."""
    from constructs_lib.terraform.target import REAL_AWS
    from stacks.terraform_worker import TerraformJob, TerraformWorker

    here = tmp_path / "repo"
    here.mkdir()
    marker = tmp_path / "imported"
    (here / "cdktf.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise ImportError('the user folder cdktf.py')\n")
    monkeypatch.chdir(here)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(here))])  # as in the console script
    worker = TerraformWorker()
    try:
        result = worker.run(TerraformJob(tmp_path / "out", (), None, REAL_AWS, (), None, None))
    finally:
        worker.kill()
        worker.end()
    assert result.stacks == [] and (tmp_path / "out/manifest.json").is_file()
    assert not marker.exists(), "the worker imported cdktf.py from the current folder"


@pytest.mark.slow
def test_what_an_extension_prints_reaches_the_output_before_the_report(tmp_path: Path) -> None:
    """stdout a pipe (CI) and no PYTHONUNBUFFERED: the worker's prints sit in its buffer, and the worker
    may end by os._exit once it has replied; before, every line an extension printed was lost."""
    (tmp_path / "printing_ext.py").write_text("def extend(stack, ctx):\n    print('extension saw', stack.node.id)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "stacks.cli", "synth", "--plan", str(EXAMPLE_PLAN), "--out", str(tmp_path / "dist"), "--extension", "printing_ext:extend"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    seen = [line.split()[-1] for line in lines if line.startswith("extension saw ")]
    assert sorted(seen) == sorted(p.name for p in (tmp_path / "dist/terraform/stacks").iterdir())
    report = next(i for i, line in enumerate(lines) if "Terraform stacks →" in line)
    assert max(i for i, line in enumerate(lines) if line.startswith("extension saw ")) < report


def test_a_state_dir_terraform_would_read_as_an_expression_is_refused_before_the_workers(tmp_path: Path) -> None:
    """Before, the worker's ValueError came back to the CLI as a traceback (exit 1)."""
    from stacks.cli import main

    assert main(["synth", "--plan", str(EXAMPLE_PLAN), "--out", str(tmp_path / "dist"), "--state-dir", str(tmp_path / "${var.x}")]) == 2
    assert not (tmp_path / "dist").exists()


def _group(pgid: int) -> list[int]:
    """The living (not zombie) processes of process group ``pgid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                state, _ppid, pgrp = Path(f"/proc/{entry}/stat").read_text().rsplit(") ", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(pgrp) == pgid and state != "Z":
                found.append(int(entry))
    return found


def _node_with_a_straggler(tmp_path: Path) -> Path:
    """JSII_NODE: Node.js, plus a process of the worker's group that, like a Node.js busy with a
    request, does not end when the worker's pipes close."""
    node = shutil.which("node")
    assert node, "Node.js is needed"
    wrapper = tmp_path / "node-with-straggler"
    wrapper.write_text(f'#!/bin/sh\nsleep 300 </dev/null >/dev/null 2>&1 &\nexec {node} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def _wait_until(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_worker_that_dies_mid_job_takes_its_node_processes_with_it(tmp_path: Path, monkeypatch) -> None:
    """The OOM killer ends a worker: its Node.js, maybe busy, must not go on (writing into the staging
    folder synth removes); before, kill() saw the worker reaped and skipped its process group."""
    from constructs_lib.terraform.target import REAL_AWS
    from stacks.terraform_worker import TerraformJob, TerraformWorker

    monkeypatch.setenv("JSII_NODE", str(_node_with_a_straggler(tmp_path)))
    worker = TerraformWorker()
    pgid = worker.process.pid
    try:
        assert _wait_until(lambda: len(_group(pgid)) >= 3), "the worker's Node.js did not start"
        os.kill(pgid, signal.SIGKILL)  # the worker alone, as the OOM killer does
        with pytest.raises(TerraformRuntimeError, match="SIGKILL"):
            worker.run(TerraformJob(tmp_path / "out", (), None, REAL_AWS, (), None, None))
        worker.kill()
        worker.end()
        assert _wait_until(lambda: not _group(pgid), 5), f"left running: {_group(pgid)}"
    finally:
        worker.kill()
        for pid in _group(pgid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_worker_whose_parent_dies_mid_job_takes_its_node_processes_with_it(tmp_path: Path) -> None:
    """``kill -9`` of synth while a worker renders: the worker ends (it watches its job pipe) and so
    must every process of its group; before, only the worker did."""
    called = tmp_path / "extension-called"
    (tmp_path / "slow_ext.py").write_text(f"import time\ndef extend(stack, ctx):\n    open({str(called)!r}, 'w').close()\n    time.sleep(60)\n")
    code = textwrap.dedent(
        f"""
        import sys, threading, time
        sys.path.insert(0, {str(tmp_path)!r})
        from pathlib import Path
        from constructs_lib.plan import load_plan
        from constructs_lib.resolve.environment import resolve_plan
        from constructs_lib.terraform.target import REAL_AWS
        from stacks.terraform_worker import TerraformJob, TerraformWorker
        envs = resolve_plan(load_plan(Path({str(EXAMPLE_PLAN)!r})), ["dev"])
        w = TerraformWorker()
        print(w.process.pid, flush=True)
        job = TerraformJob(Path({str(tmp_path / 'out')!r}), tuple(envs), None, REAL_AWS, ("slow_ext:extend",), None, None)
        threading.Thread(target=w.run, args=(job,), daemon=True).start()
        time.sleep(300)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "JSII_NODE": str(_node_with_a_straggler(tmp_path))})
    try:
        pgid = int(parent.stdout.readline())
        assert _wait_until(called.exists, 60), "the worker did not get to the extension"  # mid-job: the extension sleeps
        assert len(_group(pgid)) >= 3, "the worker's Node.js is not running"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _wait_until(lambda: not _group(pgid), 15), f"left running: {_group(pgid)}"
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in _group(pgid) if "pgid" in locals() else []:
            os.kill(pid, signal.SIGKILL)


def test_a_plan_error_comes_back_from_a_worker_with_its_issues() -> None:
    """A PlanError raised in a worker reaches the CLI as one (exit 2, its issues, no traceback); before,
    it did not unpickle (rebuilt from its text) and came back as a RuntimeError with a traceback."""
    from constructs_lib.plan.errors import PlanError, PlanIssue

    issue = PlanIssue("environments/prod.yaml", 3, "tenants[0]", "bad", "fix it")
    r, w = os.pipe()
    try:
        terraform_worker._reply(w, "error", PlanError([issue]), "the worker's traceback")
        kind, payload, _ = terraform_worker._read_message(r)
    finally:
        os.close(r)
        os.close(w)
    assert kind == "error" and isinstance(payload, PlanError) and payload.issues == [issue]


def _no_process(*args: object, **kwargs: object) -> None:
    raise OSError(11, "Resource temporarily unavailable")  # fork's EAGAIN: a CI container's pids limit


def test_a_worker_that_cannot_be_started_is_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:
    """No process to be had (EAGAIN, ENOMEM): synth exits 2 saying so; before, the OSError escaped
    main() with a traceback (from the first worker, started before the rest) and left its folder."""
    from stacks.cli import main

    monkeypatch.setattr(terraform_worker.subprocess, "Popen", _no_process)
    assert main(["synth", "--plan", str(EXAMPLE_PLAN), "--out", str(tmp_path / "dist")]) == 2
    assert "the Terraform worker process could not start: Resource temporarily unavailable" in capsys.readouterr().err
    assert not (tmp_path / "dist").exists()
    folder = tmp_path / "worker-tmp"
    with TerraformWorkers(lambda: folder.mkdir() or folder) as workers:
        assert not folder.exists()
        workers.start([object()])
        with pytest.raises(TerraformRuntimeError, match="could not start"):
            workers.wait()
    assert not folder.exists()


@pytest.mark.slow
def test_an_extension_calling_sys_exit_is_reported_as_such(tmp_path: Path, monkeypatch, capsys) -> None:
    """A policy check in an extension that ends synth with sys.exit("..."): exit 2 naming it, not
    "the cdktf runtime (Node.js) stopped" (the worker's exit status is all the parent saw before)."""
    from stacks.cli import main

    (tmp_path / "policy_ext.py").write_text("import sys\ndef extend(stack, ctx):\n    sys.exit('policy: no public buckets')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["synth", "--plan", str(EXAMPLE_PLAN), "--out", str(tmp_path / "dist"), "--extension", "policy_ext:extend"]) == 2
    err = capsys.readouterr().err
    assert "sys.exit('policy: no public buckets')" in err and "Node.js" not in err, err
    assert not (tmp_path / "dist").exists()


@pytest.mark.slow
def test_without_a_private_temp_folder_the_workers_leave_nothing_in_the_system_one(tmp_path: Path, monkeypatch) -> None:
    """``$TMPDIR/infraplan-<uid>`` unusable (another user's, a symlink, group-writable): each worker's
    jsii runtime folders went into the system temp folder, and a worker that does not end gracefully
    (the last one is killed once it has replied) left them there on every run (2 MB and more each)."""
    import tempfile

    from stacks import output
    from stacks.synth import synthesize

    system = tmp_path / "system-tmp"
    system.mkdir()
    monkeypatch.setenv("TMPDIR", str(system))
    monkeypatch.setattr(tempfile, "tempdir", str(system))

    def not_private() -> Path:
        raise OSError("not a private folder of this user")

    monkeypatch.setattr(output, "private_tmpdir", not_private)
    synthesize(EXAMPLE_PLAN, tmp_path / "dist", state_dir=tmp_path / "state")
    assert (tmp_path / "dist/terraform/manifest.json").is_file()
    assert sorted(p.name for p in system.iterdir()) == []
