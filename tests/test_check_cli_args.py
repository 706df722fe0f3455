"""infraplan check's --junit (review of #14): a path that cannot be written is an error before the
synthesis (exit 2, no traceback), not an IsADirectoryError after minutes of work."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks import synth
from stacks.cli import main


@pytest.fixture
def no_synthesis(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("check synthesized although --junit cannot be written")

    monkeypatch.setattr(synth, "synthesize", refuse)


def test_a_junit_path_that_is_a_folder_is_refused_before_synthesizing(example_plan: Path, tmp_path: Path, no_synthesis: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--plan", str(example_plan), "--junit", str(tmp_path)]) == 2
    assert f"--junit {tmp_path} is a folder: give a file name, e.g. {tmp_path / 'infraplan-check.xml'}" in " ".join(capsys.readouterr().err.split())


def test_a_junit_path_under_a_file_is_refused_before_synthesizing(example_plan: Path, tmp_path: Path, no_synthesis: None, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "reports").write_text("a file")
    assert main(["check", "--plan", str(example_plan), "--junit", str(tmp_path / "reports" / "check.xml")]) == 2
    assert f"{tmp_path / 'reports'} is a file, not a folder" in " ".join(capsys.readouterr().err.split())
