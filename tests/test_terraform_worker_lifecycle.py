"""Lifecycle of synth's Terraform workers under interruption and in a user's folder (stacks/terraform_worker.py, #16).

Proved here: stop() returns only once the thread driving the workers is done with them, even after
Ctrl-C or SIGTERM interrupted the wait for them (Python 3.11's interrupted Thread.join marks a running
thread as ended); a worker imports what the synth process imports, not modules lying in the current
folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
