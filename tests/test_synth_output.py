"""The output folder: synth never deletes what it did not write, never holds state, and
swaps trees so that --out is always a whole tree (old or new)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stacks.cli import main
from stacks.output import OUTPUT_MARKER, cleanup_stale, swap_in

ROOT = Path(__file__).resolve().parents[1]


def tree_digest(root: Path) -> str:
    """Every path, mode, symlink target and file content below ``root``."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        h.update(f"{path.relative_to(root)}\0{st.st_mode:o}\0".encode())
        if path.is_symlink():
            h.update(os.readlink(path).encode())
        elif path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def synth(plan: Path, out: Path, *extra: str) -> int:
    return main(["synth", "--plan", str(plan), "--out", str(out), "--env", "dev", *extra])


@pytest.fixture
def dist(tmp_path: Path, example_plan: Path) -> Path:
    out = tmp_path / "dist"
    assert synth(example_plan, out) == 0
    return out


def test_local_state_lives_outside_the_output(dist: Path) -> None:
    stack = dist / "terraform/stacks/dev-state"
    path = json.loads((stack / "cdk.tf.json").read_text())["terraform"]["backend"]["local"]["path"]
    assert not os.path.isabs(path)
    assert (stack / path).resolve() == dist.parent / "terraform.dev-state.tfstate"


def test_state_dir_option_and_a_state_dir_inside_out_is_refused(tmp_path: Path, example_plan: Path, capsys) -> None:
    out = tmp_path / "dist"
    assert synth(example_plan, out, "--state-dir", str(tmp_path / "state")) == 0
    stack = out / "terraform/stacks/dev-state"
    path = json.loads((stack / "cdk.tf.json").read_text())["terraform"]["backend"]["local"]["path"]
    assert (stack / path).resolve() == tmp_path / "state" / "terraform.dev-state.tfstate"
    before = tree_digest(out)
    assert synth(example_plan, out, "--state-dir", str(out / "state")) == 2
    assert "inside --out" in capsys.readouterr().err
    assert tree_digest(out) == before


def test_terraform_working_files_survive_a_resynth(dist: Path, example_plan: Path) -> None:
    stack = dist / "terraform/stacks/dev-platform"
    (stack / ".terraform/providers").mkdir(parents=True)
    (stack / ".terraform/providers/plugin").write_bytes(b"\x7fELF provider")
    (stack / ".terraform/terraform.tfstate").write_text('{"backend": {"type": "s3"}}')  # backend config, not state
    os.symlink("/nonexistent/cache/provider", stack / ".terraform/providers/link")
    (stack / ".terraform.lock.hcl").write_text('provider "registry.terraform.io/hashicorp/aws" {}\n')
    (stack / "tfplan").write_bytes(b"saved plan")
    generated = (stack / "cdk.tf.json").read_bytes()
    (stack / "cdk.tf.json").write_text("{}")  # a generated file edited by hand is ours to replace
    assert synth(example_plan, dist) == 0
    assert (stack / ".terraform/providers/plugin").read_bytes() == b"\x7fELF provider"
    assert os.readlink(stack / ".terraform/providers/link") == "/nonexistent/cache/provider"
    assert (stack / ".terraform.lock.hcl").read_text().startswith("provider")
    assert (stack / "tfplan").read_bytes() == b"saved plan"
    assert (stack / "cdk.tf.json").read_bytes() == generated
    written = json.loads((dist / OUTPUT_MARKER).read_text())["files"]
    assert "terraform/stacks/dev-platform/tfplan" not in written  # still not ours on the next run


def test_state_inside_the_output_is_refused_not_deleted(dist: Path, example_plan: Path, capsys) -> None:
    state = dist / "terraform/stacks/dev-state/dev-state.tfstate"  # where older versions kept it
    state.write_text('{"version": 4, "serial": 7}')
    before = tree_digest(dist)
    assert synth(example_plan, dist) == 2
    err = capsys.readouterr().err
    assert "Terraform state" in err and "dev-state.tfstate" in err and "mv " in err
    assert tree_digest(dist) == before


def test_foreign_files_whose_folder_is_gone_are_refused(dist: Path, example_plan: Path, capsys) -> None:
    lock = dist / "terraform/stacks/dev-tenant-org-a/.terraform.lock.hcl"
    lock.write_text("lock")
    notes = dist / "kubernetes/dev/NOTES.txt"
    notes.write_text("mine")
    before = tree_digest(dist)
    # Only org-b: org-a's stack folder would disappear with the file in it.
    assert synth(example_plan, dist, "--tenant", "org-b") == 2
    err = capsys.readouterr().err
    assert str(lock) in err and "refusing to delete" in err
    assert tree_digest(dist) == before
    lock.unlink()
    assert synth(example_plan, dist, "--tenant", "org-b") == 0
    assert notes.read_text() == "mine"  # its folder still exists: kept


def test_a_folder_infraplan_did_not_write_is_refused(tmp_path: Path, example_plan: Path, capsys) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert synth(example_plan, out) == 2
    assert "not written by infraplan" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("layout", ["plan-inside-out", "out-is-plan", "out-inside-plan"])
def test_an_output_that_holds_the_plan_is_refused(tmp_path: Path, layout: str, capsys) -> None:
    plan = tmp_path / "dist/myplan" if layout == "plan-inside-out" else tmp_path / "plan"
    shutil.copytree(ROOT / "environments", plan)
    out = {"plan-inside-out": tmp_path / "dist", "out-is-plan": plan, "out-inside-plan": plan / "dist"}[layout]
    if layout == "plan-inside-out":
        (out / OUTPUT_MARKER).write_text("{}")  # even a folder infraplan wrote
    before = tree_digest(tmp_path)
    assert main(["synth", "--plan", str(plan), "--out", str(out)]) == 2
    assert "plan" in capsys.readouterr().err
    assert tree_digest(tmp_path) == before


def test_an_extension_inside_out_is_refused(dist: Path, example_plan: Path, monkeypatch, capsys) -> None:
    (dist / "myext.py").write_text("def extend(stack, ctx):\n    pass\n")
    monkeypatch.syspath_prepend(str(dist))
    before = tree_digest(dist)
    assert synth(example_plan, dist, "--extension", "myext:extend") == 2
    assert "contains the extension" in capsys.readouterr().err
    assert tree_digest(dist) == before


def test_stale_staging_of_dead_runs_is_removed_and_live_ones_kept(dist: Path, example_plan: Path) -> None:
    dead = dist.parent / ".dist.infraplan-staging-999999999-abc"
    live = dist.parent / ".dist.infraplan-staging-1-abc"  # PID 1 is alive
    other = dist.parent / ".dist.backup"
    for folder in (dead, live, other):
        folder.mkdir()
    assert synth(example_plan, dist) == 0
    assert not dead.exists() and live.exists() and other.exists()


def test_a_kill_between_the_fallback_renames_is_repaired(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    old = tmp_path / ".dist.infraplan-old-999999999-x" / "tree"
    old.mkdir(parents=True)
    (old / OUTPUT_MARKER).write_text("{}")
    (old / "file").write_text("old tree")
    cleanup_stale(out)
    assert (out / "file").read_text() == "old tree"
    assert not old.parent.exists()


@pytest.mark.parametrize("exchange", [True, False])
def test_swap_in_replaces_the_tree_with_and_without_renameat2(tmp_path: Path, monkeypatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr("stacks.output._exchange", lambda a, b: False)
    out, staging = tmp_path / "out", tmp_path / "staging"
    out.mkdir()
    (out / "f").write_text("old")
    staging.mkdir()
    (staging / "f").write_text("new")
    swap_in(staging, out)
    assert (out / "f").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _synth_process(plan: Path, out: Path, tmp: Path) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.Popen(
        [sys.executable, "-m", "stacks.cli", "synth", "--plan", str(plan), "--out", str(out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _whole_tree(out: Path) -> bool:
    """``out`` is a complete tree: its marker lists exactly the files present (kept ones aside)."""
    listed = set(json.loads((out / OUTPUT_MARKER).read_text())["files"])
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != OUTPUT_MARKER}
    return listed == present


def test_kills_at_any_moment_leave_a_whole_tree_and_nothing_behind(tmp_path: Path, example_plan: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(example_plan, plan)
    out, tmp = tmp_path / "dist", tmp_path / "tmp"
    tmp.mkdir()
    assert _synth_process(plan, out, tmp).wait(timeout=120) == 0
    old = tree_digest(out)
    (plan / "dev.yaml").write_text((plan / "dev.yaml").read_text().replace("max_size: 4", "max_size: 5"))
    for delay in (0.3, 1.0, 1.6, 2.2, 2.8):
        proc = _synth_process(plan, out, tmp)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert out.is_dir() and _whole_tree(out), f"killed after {delay} s"
        assert tree_digest(out) == old or "max_size" in (out / "terraform/stacks/dev-platform/cdk.tf.json").read_text()
    proc = _synth_process(plan, out, tmp)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".dist"))
    assert leftovers == []
    assert [p.name for p in (tmp / f"infraplan-{os.getuid()}").iterdir()] == []  # jsii's temp folders too


def test_sigterm_ends_a_synth_like_ctrl_c(tmp_path: Path, example_plan: Path) -> None:
    out, tmp = tmp_path / "dist", tmp_path / "tmp"
    tmp.mkdir()
    assert _synth_process(example_plan, out, tmp).wait(timeout=120) == 0
    before = tree_digest(out)
    proc = _synth_process(example_plan, out, tmp)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".dist.infraplan-staging") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None, "the synth never started staging"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)  # while the new tree is being written
    code = proc.wait(timeout=60)
    stderr = proc.stderr.read()
    assert "Traceback" not in stderr
    assert code == 128 + signal.SIGTERM and "interrupted" in stderr
    assert tree_digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist")] == []
    assert [p.name for p in (tmp / f"infraplan-{os.getuid()}").iterdir()] == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--aws-endpoint", "localhost:5000"], "not an http(s) URL"),
        (["--aws-endpoint", "http://"], "not an http(s) URL"),
        (["--aws-endpoint", "http://localhost:99999"], "invalid port"),
    ],
)
def test_bad_endpoint_is_a_clear_error(tmp_path: Path, example_plan: Path, capsys, args, expected) -> None:
    assert synth(example_plan, tmp_path / "dist", *args) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "dist").exists()


def test_verify_endpoint_without_scheme(example_plan: Path, capsys) -> None:
    assert main(["verify", "--plan", str(example_plan), "--env", "dev", "--endpoint", "127.0.0.1:1"]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["under-a-file", "name-too-long"])
def test_unwritable_out_is_a_clear_error(tmp_path: Path, example_plan: Path, capsys, where: str) -> None:
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "dist" if where == "under-a-file" else tmp_path / ("d" * 300)
    assert synth(example_plan, out) == 2
    err = capsys.readouterr().err
    assert "cannot write the output" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_full_disk_leaves_out_as_it_was(dist: Path, example_plan: Path, monkeypatch, capsys) -> None:
    import errno

    import stacks.synth

    before = tree_digest(dist)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dist.parent / "staging/x.yaml"))

    monkeypatch.setattr(stacks.synth, "write_kubernetes", full)
    assert synth(example_plan, dist) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert tree_digest(dist) == before
    assert sorted(p.name for p in dist.parent.iterdir()) == ["dist"]


def test_an_extension_that_raises_shows_its_own_traceback(tmp_path: Path, example_plan: Path, monkeypatch, capsys) -> None:
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "broken_ext.py").write_text("def helper():\n    raise ValueError('bucket name missing')\n\ndef extend(stack, ctx):\n    helper()\n")
    monkeypatch.syspath_prepend(str(ext))
    assert synth(example_plan, tmp_path / "dist", "--extension", "broken_ext:extend") == 2
    err = capsys.readouterr().err
    assert "extension 'broken_ext:extend' failed on stack dev-state" in err
    assert "broken_ext.py\", line 2, in helper" in err and "ValueError: bucket name missing" in err
    assert "stacks/" not in err and "constructs_lib" not in err  # the user's frames only
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("../evil.py:f", "name a Python module, not a file"),
        ("/tmp/evil.py:f", "name a Python module, not a file"),
        ("evil.py:f", "name a Python module, not a file"),
        ("os.path", "package.module:function"),
        ("no_such_module_xyz:f", "no module named no_such_module_xyz"),
        ("os:no_such_function", "has no function"),
    ],
)
def test_bad_extension_specs(tmp_path: Path, example_plan: Path, capsys, spec: str, expected: str) -> None:
    assert synth(example_plan, tmp_path / "dist", "--extension", spec) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback (most recent call last)" not in err


def test_an_extension_that_fails_on_import(tmp_path: Path, example_plan: Path, monkeypatch, capsys) -> None:
    (tmp_path / "bad_import_ext.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert synth(example_plan, tmp_path / "dist", "--extension", "bad_import_ext:f") == 2
    err = capsys.readouterr().err
    assert "importing bad_import_ext failed" in err and "no_such_dependency_xyz" in err and "importlib" not in err


def test_verify_gives_up_on_an_endpoint_that_never_answers(example_plan: Path, monkeypatch, capsys) -> None:
    import socket

    from constructs_lib.terraform.verify import base

    monkeypatch.setattr(base, "CONNECT_TIMEOUT_S", 1)
    monkeypatch.setattr(base, "READ_TIMEOUT_S", 1)
    with socket.socket() as server:  # accepts connections (the kernel's backlog), never answers
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        started = time.monotonic()
        assert main(["verify", "--plan", str(example_plan), "--env", "dev", "--endpoint", url]) == 2
        took = time.monotonic() - started
    err = capsys.readouterr().err
    assert took < 20, took
    assert "did not answer" in err and url in err and "timeout" in err


def test_the_cdktf_runtime_dying_is_a_clear_error(tmp_path: Path, example_plan: Path) -> None:
    """An extension kills the Node.js process behind jsii in the middle of the synth."""
    (tmp_path / "kill_node_ext.py").write_text(
        "import os, signal, time\n"
        "def extend(stack, ctx):\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if pid.isdigit():\n"
        "            try:\n"
        "                stat = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()\n"
        "            except OSError:\n"
        "                continue\n"
        "            if int(stat[1]) == os.getpid():\n"
        "                os.kill(int(pid), signal.SIGKILL)\n"
        "    time.sleep(0.5)\n"
    )
    out = tmp_path / "dist"
    env = dict(os.environ, PYTHONPATH=str(tmp_path), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "stacks.cli", "synth", "--plan", str(example_plan), "--out", str(out), "--extension", "kill_node_ext:extend"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "cdktf runtime" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_synth_in_process_leaves_tmpdir_as_it_was(tmp_path: Path, example_plan: Path) -> None:
    before = (os.environ.get("TMPDIR"), __import__("tempfile").gettempdir())
    for _ in range(2):
        assert synth(example_plan, tmp_path / "dist") == 0
    assert (os.environ.get("TMPDIR"), __import__("tempfile").gettempdir()) == before


def test_a_temp_folder_someone_else_prepared_is_not_used(tmp_path: Path, monkeypatch) -> None:
    """In a shared /tmp another user may create infraplan-<uid> first (or a symlink to elsewhere)."""
    import tempfile

    from stacks.output import private_tmpdir

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"infraplan-{os.getuid()}").symlink_to(elsewhere)
    with pytest.raises(OSError, match="not a private folder"):
        private_tmpdir()
    assert list(elsewhere.iterdir()) == []
