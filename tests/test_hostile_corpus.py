"""Issue #10's proof: a corpus of hostile, broken and unusual inputs (tests/hostile/cases.py).

For every case, `infraplan validate` and `infraplan synth` (over a previous good output)
exit 2 naming the file and line (or 0 where the input is valid), never with a traceback or a
hang, agree with each other, and a refused synth leaves the output folder byte for byte as it
was and nothing beside it. Cases that could hang or eat the memory run in a subprocess with a
timeout and a memory limit; the others run `stacks.cli.main` in-process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile.cases import CASES
from hostile.harness import (
    EXAMPLE_PLAN,
    TIMEOUT_S,
    Case,
    assert_no_traceback,
    assert_refusal_explained,
    diff_states,
    infraplan_command,
    listing,
    prepare,
    restore_permissions,
    run_in_process,
    run_isolated,
    tree_state,
)


@pytest.fixture(scope="module")
def reference_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A previous good synth output of the example (dev only, to keep the copies small),
    linked into every case; nothing may have written into it in place."""
    from stacks.synth import synthesize

    out = tmp_path_factory.mktemp("hostile-reference") / "dist"
    synthesize(EXAMPLE_PLAN, out, envs=["dev"])
    state = tree_state(out)
    yield out
    assert tree_state(out) == state, f"a run wrote into an existing output in place: {diff_states(state, tree_state(out))}"


def test_the_corpus_is_large_and_covers_every_class() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids are unique"
    assert len(CASES) >= 150
    for prefix in ("dataloss-", "inject-", "groups-", "public-", "names-", "crash-", "yaml-", "special-", "ops-", "coerce-", "region-", "vpc-cidr-", "clarify-", "message-", "valid-"):
        assert sum(i.startswith(prefix) for i in ids) >= 2, prefix
    assert sum(c.expect == 0 for c in CASES) >= 10  # valid-but-unusual inputs stay valid


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_input(case: Case, tmp_path: Path, reference_out: Path, capfd: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "case"
    ctx = prepare(case, base, reference_out)
    try:
        _check(case, ctx, capfd)
    finally:
        restore_permissions(ctx)
        shutil.rmtree(base, ignore_errors=True)


def _check(case: Case, ctx, capfd) -> None:
    before_out = tree_state(ctx.out)
    before_root = listing(ctx.root)
    isolated = case.isolate or case.unprivileged

    def run(argv: list[str]):
        return run_isolated(argv, ctx, case.unprivileged) if isolated else run_in_process(argv, capfd, ctx)

    validate = None
    if case.kind == "argv":
        assert ctx.argv, "case bug: an argv case sets ctx.argv"
        final = run(ctx.argv)
        assert_no_traceback(final, case)
    else:
        if case.kind == "plan":
            validate = run(["validate", "--plan", str(ctx.plan_path)])
            assert_no_traceback(validate, case)
        selection = [] if case.expect == 2 else [a for env in case.envs for a in ("--env", env)]
        final = run(["synth", "--plan", str(ctx.plan_path), "--out", str(ctx.out_path), *selection, *ctx.synth_extra])
        assert_no_traceback(final, case)
        if validate is not None:
            assert validate.code == final.code, (
                f"[{case.id}] validate and synth disagree (validate must reject everything synth rejects)\n"
                f"{validate.describe()}\n\n{final.describe()}"
            )

    if case.expect is not None:
        assert final.code == case.expect, f"[{case.id}] expected exit {case.expect}\n{final.describe()}"

    if final.code == 2:
        for r in (validate, final):
            if r is not None:
                assert_refusal_explained(r, case, ctx)
        after = tree_state(ctx.out)
        assert after == before_out, f"[{case.id}] a refused synth changed the previous output: {diff_states(before_out, after)}"
    elif case.check is not None:
        case.check(ctx)
    assert listing(ctx.root) == before_root, f"[{case.id}] left or removed something beside the output: {listing(ctx.root)} (was {before_root})"


# --- what a kill or an earlier killed run leaves behind ------------------------------------------


def test_sigterm_during_synth_leaves_the_old_output_and_nothing_else(tmp_path: Path, reference_out: Path) -> None:
    """SIGTERM is handled like Ctrl-C: a clean exit, `--out` whole, no staging or temp folder left."""
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    shutil.copytree(reference_out, out, symlinks=True)  # a real copy: this run may be killed anywhere
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    before, beside = tree_state(out), listing(work)
    env = dict(os.environ, TMPDIR=str(private_tmp))
    proc = subprocess.Popen(
        [*infraplan_command(), "synth", "--plan", str(EXAMPLE_PLAN), "--out", str(out), "--env", "dev"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None and listing(work) == beside:
            time.sleep(0.01)  # wait until the run is under way: its staging folder appears
        assert proc.poll() is None, "synth ended before it could be interrupted"
        time.sleep(0.1)  # inside the cdktf synthesis
        proc.send_signal(signal.SIGTERM)  # as `kill PID` or a CI runner's cancel would
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert "Traceback" not in stdout + stderr, stderr
    assert proc.returncode in (0, 2, 130, 143), (proc.returncode, stderr)
    assert tree_state(out) == before, diff_states(before, tree_state(out))  # the same plan: old and new tree are equal
    assert listing(work) == beside, f"left behind: {sorted(set(listing(work)) - set(beside))}"
    deadline = time.monotonic() + 5
    leftovers = []
    while time.monotonic() < deadline:
        leftovers = [str(p.relative_to(private_tmp)) for p in private_tmp.rglob("*") if not p.is_dir() or p.name.startswith(("run-", "jsii-"))]
        if not leftovers:
            break
        time.sleep(0.1)
    assert not leftovers, f"temporary files of the killed run are left: {leftovers[:10]}"


def test_synth_removes_what_killed_runs_left_beside_the_output(tmp_path: Path, reference_out: Path, capfd) -> None:
    """Staging folders of runs whose process is gone are removed by the next run; other folders are not."""
    from stacks.cli import main

    out = tmp_path / "out"
    shutil.copytree(reference_out, out, symlinks=True)
    dead = _dead_pid()
    stale = [tmp_path / f".out.infraplan-staging-{dead}-abc123", tmp_path / f".out.infraplan-old-{dead}-def456"]
    for folder in stale:
        (folder / "terraform").mkdir(parents=True)
        (folder / "terraform" / "half-written.json").write_text("{")
    (tmp_path / "notes").mkdir()
    assert main(["synth", "--plan", str(EXAMPLE_PLAN), "--out", str(out), "--env", "dev"]) == 0, capfd.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["notes", "out"]


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
