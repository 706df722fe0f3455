"""Ctrl-C before a command runs (#16 review): while the `infraplan` command imports the CLI and the
CLI builds its parser (together about 0.4 s, the window in which a user who typed the wrong command
presses Ctrl-C), the run ends as an interrupted command does: a message, exit 130, synth's early
worker stopped, no traceback."""

from __future__ import annotations

import signal
import sys
import types

import pytest

import stacks.cli as cli
import stacks.command as command
import stacks.terraform_worker as terraform_worker


class _Early:
    """Stands for synth's first worker, started before the command line is parsed."""

    def __init__(self) -> None:
        self.stopped = 0

    def stop(self) -> None:
        self.stopped += 1


def _interrupt(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
    raise KeyboardInterrupt


def test_ctrl_c_while_the_cli_builds_its_parser(monkeypatch, capsys) -> None:
    early = _Early()
    monkeypatch.setattr(cli, "build_parser", _interrupt)
    assert cli.main(["synth", "--plan", "p", "--out", "o"], early) == 128 + signal.SIGINT
    assert early.stopped == 1
    assert "interrupted" in capsys.readouterr().err


class _InterruptedImport(types.ModuleType):
    def __getattr__(self, name: str):  # noqa: ANN204
        raise KeyboardInterrupt


def test_ctrl_c_while_the_command_imports_the_cli(monkeypatch, capsys) -> None:
    early = _Early()
    monkeypatch.setattr(terraform_worker, "early_terraform_workers", lambda argv: early)
    monkeypatch.setitem(sys.modules, "stacks.cli", _InterruptedImport("stacks.cli"))
    monkeypatch.setattr(sys, "argv", ["infraplan", "synth", "--plan", "p", "--out", "o"])
    assert command.run() == 128 + signal.SIGINT
    assert early.stopped == 1
    assert "interrupted" in capsys.readouterr().err


def test_other_errors_still_propagate(monkeypatch) -> None:
    """Only Ctrl-C is turned into exit 130: a broken import is still a traceback."""

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("broken parser")

    monkeypatch.setattr(cli, "build_parser", broken)
    early = _Early()
    with pytest.raises(RuntimeError, match="broken parser"):
        cli.main(["synth"], early)
    assert early.stopped == 1
